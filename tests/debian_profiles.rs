//! Every profile file directly in `/etc/apparmor.d` (as installed by
//! Debian's apparmor, apparmor-profiles and apparmor-profiles-extra), and
//! every one apparmor-profiles ships inactive in
//! `/usr/share/apparmor/extra-profiles`, must resolve without errors, with
//! includes searched in `/etc/apparmor.d`.

use std::path::Path;

use aaprove::resolve::{Input, ResolveOptions, is_ignored_entry, load};

const SYSTEM_DIR: &str = "/etc/apparmor.d";

/// Where apparmor-profiles puts the profiles it installs but does not
/// enable; the folder also holds a README, which is no profile.
const EXTRA_DIR: &str = "/usr/share/apparmor/extra-profiles";

/// The profile files directly in `dir`, sorted.
fn profile_files(dir: &Path) -> Vec<std::path::PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut files: Vec<_> = entries
        .filter_map(|entry| entry.ok().map(|entry| entry.path()))
        .filter(|path| path.is_file())
        .filter(|path| {
            let name = path.file_name().unwrap().to_string_lossy();
            !is_ignored_entry(&name) && name != "README"
        })
        .collect();
    files.sort();
    files
}

#[test]
fn installed_profiles_have_no_errors() {
    let dir = Path::new(SYSTEM_DIR);
    if !dir.is_dir() {
        assert!(
            std::env::var("AAPROVE_REQUIRE_ORACLE").as_deref() != Ok("1"),
            "{SYSTEM_DIR} is absent and AAPROVE_REQUIRE_ORACLE=1"
        );
        eprintln!("NOTICE: {SYSTEM_DIR} is absent; skipping the Debian profile test");
        return;
    }
    let mut files = profile_files(dir);
    assert!(!files.is_empty(), "no profiles in {SYSTEM_DIR}");
    let extra = profile_files(Path::new(EXTRA_DIR));
    let required = std::env::var("AAPROVE_REQUIRE_ORACLE").as_deref() == Ok("1");
    assert!(
        !extra.is_empty() || !required,
        "no profiles in {EXTRA_DIR} and AAPROVE_REQUIRE_ORACLE=1"
    );
    files.extend(extra);

    let options = ResolveOptions {
        include_dirs: Vec::new(),
        use_system_dir: true,
        base_dir: Some(dir.to_path_buf()),
    };
    let mut failures = Vec::new();
    for path in &files {
        let resolved = load(Input::Path(path.clone()), &options);
        assert!(
            !resolved.used_embedded_tunables,
            "{}: tunables not found",
            path.display()
        );
        for diagnostic in resolved.diagnostics.iter().filter(|d| d.is_error()) {
            let place = diagnostic.primary.as_ref().map_or(String::new(), |label| {
                let file = resolved.sources.get(label.span.file);
                let at = file.line_col(label.span.start);
                format!("{}:{}:{}", file.name, at.line, at.column)
            });
            failures.push(format!(
                "{}: {place}: {}",
                path.display(),
                diagnostic.message
            ));
        }
        println!("{}: {} profiles", path.display(), resolved.profiles.len());
    }
    assert!(failures.is_empty(), "errors:\n{}", failures.join("\n"));
}

/// How many rules the differential test compares.
const CASES: usize = 400;

/// The real compiler, when installed.
const ORACLE: &str = "/usr/sbin/apparmor_parser";

/// A small deterministic generator, so the cases are the same every run.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self, bound: usize) -> usize {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        ((self.0 >> 33) as usize) % bound.max(1)
    }
}

/// Rule lines of the installed abstractions, each once, sorted.
fn abstraction_rules() -> Vec<String> {
    let mut lines = std::collections::BTreeSet::new();
    let Ok(entries) = std::fs::read_dir(Path::new(SYSTEM_DIR).join("abstractions")) else {
        return Vec::new();
    };
    for entry in entries.filter_map(Result::ok) {
        let text = std::fs::read_to_string(entry.path()).unwrap_or_default();
        for line in text.lines().map(str::trim) {
            let skip = line.is_empty()
                || line.starts_with('#')
                || line.contains("include")
                || line.ends_with('{')
                || line.starts_with('}')
                || line.starts_with('@');
            if !skip {
                lines.insert(line.to_string());
            }
        }
    }
    lines.into_iter().collect()
}

/// One small edit of a rule line: drop, repeat or swap characters or
/// words, or drop the final comma.
fn mutate(line: &str, random: &mut Lcg) -> String {
    let chars: Vec<char> = line.chars().collect();
    let at = random.next(chars.len());
    match random.next(4) {
        0 => chars
            .iter()
            .enumerate()
            .filter(|(i, _)| *i != at)
            .map(|(_, c)| c)
            .collect(),
        1 => chars[..=at].iter().chain(&chars[at..]).collect(),
        2 => {
            let mut words: Vec<&str> = line.split_whitespace().collect();
            let last = words.len() - 1;
            words.swap(0, last);
            words.join(" ")
        }
        _ => line.trim_end_matches(',').to_string(),
    }
}

fn oracle_accepts(text: &str, dir: &Path, index: usize) -> bool {
    let path = dir.join(format!("case{index}.sd"));
    std::fs::write(&path, text).expect("temporary profile is writable");
    std::process::Command::new(ORACLE)
        .args(["-Q", "-K"])
        .arg(&path)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .is_ok_and(|status| status.success())
}

/// Rules of the installed abstractions and small edits of them, each in a
/// profile: aaprove must accept exactly what the installed compiler accepts.
#[test]
fn edited_rules_agree_with_the_installed_compiler() {
    if !Path::new(ORACLE).exists() || !Path::new(SYSTEM_DIR).is_dir() {
        assert!(
            std::env::var("AAPROVE_REQUIRE_ORACLE").as_deref() != Ok("1"),
            "{ORACLE} is absent and AAPROVE_REQUIRE_ORACLE=1"
        );
        eprintln!("NOTICE: {ORACLE} or {SYSTEM_DIR} is absent; skipping the differential test");
        return;
    }
    let rules = abstraction_rules();
    let mut random = Lcg(0x5eed);
    let dir = std::env::temp_dir().join(format!("aaprove-oracle-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temporary folder");
    let options = ResolveOptions::default();
    let mut disagreements = Vec::new();
    let mut rejected = 0;
    for index in 0..CASES {
        let line = &rules[random.next(rules.len())];
        let rule = if index % 2 == 0 {
            line.clone()
        } else {
            mutate(line, &mut random)
        };
        let text = format!("include <tunables/global>\n/usr/bin/aaprove-test {{\n  {rule}\n}}\n");
        let expected = oracle_accepts(&text, &dir, index);
        rejected += usize::from(!expected);
        let input = Input::Text {
            name: format!("case{index}.sd"),
            text: text.clone(),
        };
        let resolved = load(input, &options);
        if resolved.has_errors() == expected {
            let first = resolved.diagnostics.iter().find(|d| d.is_error());
            let why = first.map_or(String::new(), |d| d.message.clone());
            disagreements.push(format!(
                "`{rule}`: oracle accepts: {expected}; aaprove: {why}"
            ));
        }
    }
    std::fs::remove_dir_all(&dir).ok();
    println!(
        "{rejected} of {CASES} cases rejected, {} disagreements",
        disagreements.len()
    );
    assert!(disagreements.is_empty(), "{}", disagreements.join("\n"));
}

/// Statements inserted into whole installed profiles by the second
/// differential test; all are in the language of Debian's 3.0.8 compiler.
const SNIPPETS: [&str; 40] = [
    "flags=(complain)",
    "flags=(attach_disconnected,mediate_deleted)",
    "(complain)",
    "capability bogus,",
    "@{X}=y",
    "$B=true",
    "^hat {",
    "}",
    "audit deny /x rw,",
    "deny file,",
    "hat h {",
    "profile p {",
    "network bogus,",
    "owner capability,",
    "/x rwa,",
    "/x Pxix,",
    "signal (send) set=(hup),",
    "signal set=(bogus),",
    "ptrace trace peer=x,",
    "dbus bind name=x,",
    "unix (send) type=stream,",
    "mount fstype=ext4,",
    "change_profile -> x,",
    "set rlimit nofile <= 10,",
    "set rlimit bogus <= 1,",
    "link /a -> /b,",
    "alias /a -> /b,",
    "if $B {",
    "} else {",
    "/x ix -> y,",
    "/x/{a} r,",
    "/x/[a-z-] r,",
    "deny /x mrwlk,",
    "file r /x,",
    "@{NOPE}/x r,",
    "other /x r,",
    "/x rw,,",
    "include <abstractions/base>",
    "include <abstractions/nope>",
    "include if exists <nope>",
];

/// Whole installed profiles with one statement inserted or one line
/// edited: aaprove must accept exactly what the installed compiler accepts.
#[test]
fn edited_profiles_agree_with_the_installed_compiler() {
    if !Path::new(ORACLE).exists() || !Path::new(SYSTEM_DIR).is_dir() {
        assert!(
            std::env::var("AAPROVE_REQUIRE_ORACLE").as_deref() != Ok("1"),
            "{ORACLE} is absent and AAPROVE_REQUIRE_ORACLE=1"
        );
        eprintln!("NOTICE: {ORACLE} or {SYSTEM_DIR} is absent; skipping the differential test");
        return;
    }
    let mut texts = Vec::new();
    for entry in std::fs::read_dir(SYSTEM_DIR)
        .expect("profile folder")
        .filter_map(Result::ok)
    {
        if entry.path().is_file() {
            texts.push(std::fs::read_to_string(entry.path()).unwrap_or_default());
        }
    }
    texts.sort();
    let mut random = Lcg(0xf11e);
    let dir = std::env::temp_dir().join(format!("aaprove-oracle-files-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temporary folder");
    let options = ResolveOptions::default();
    let mut disagreements = Vec::new();
    for index in 0..PROFILE_CASES {
        let text = edit_profile(&texts[random.next(texts.len())], &mut random);
        let expected = oracle_accepts(&text, &dir, index);
        let input = Input::Text {
            name: format!("profile{index}.sd"),
            text: text.clone(),
        };
        let resolved = load(input, &options);
        if resolved.has_errors() == expected {
            let first = resolved.diagnostics.iter().find(|d| d.is_error());
            let why = first.map_or(String::new(), |d| d.message.clone());
            disagreements.push(format!(
                "case {index}: oracle accepts: {expected}; aaprove: {why}"
            ));
        }
    }
    std::fs::remove_dir_all(&dir).ok();
    assert!(disagreements.is_empty(), "{}", disagreements.join("\n"));
}

/// How many edited profiles the second differential test compares.
const PROFILE_CASES: usize = 150;

/// Inserts a snippet before a line, appends one to a line, inserts a
/// punctuation character, or deletes a line.
fn edit_profile(text: &str, random: &mut Lcg) -> String {
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    let candidates: Vec<usize> = (0..lines.len())
        .filter(|&i| !lines[i].trim().is_empty() && !lines[i].trim().starts_with('#'))
        .collect();
    let at = candidates[random.next(candidates.len())];
    let snippet = SNIPPETS[random.next(SNIPPETS.len())];
    match random.next(4) {
        0 => lines.insert(at, format!("  {snippet}")),
        1 => {
            let line = lines[at].trim_end().to_string();
            lines[at] = match line.strip_suffix('{') {
                Some(head) => format!("{head}{} {{", SNIPPETS[random.next(3)]),
                None => format!("{line} {snippet}"),
            };
        }
        // Only file rules get stray punctuation: without the kernel's
        // features the 3.0.8 compiler skips the patterns of other rules,
        // which the newer language (and aaprove) check.
        2 if lines[at].trim_start().starts_with(['/', '@']) => {
            let punctuation: Vec<char> = ",{}()[]\"#@=-><^$:&\\".chars().collect();
            let mut chars: Vec<char> = lines[at].chars().collect();
            let position = random.next(chars.len() + 1);
            chars.insert(position, punctuation[random.next(punctuation.len())]);
            lines[at] = chars.into_iter().collect();
        }
        _ => {
            lines.remove(at);
        }
    }
    lines.join("\n") + "\n"
}
