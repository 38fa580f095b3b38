//! Every profile file directly in `/etc/apparmor.d` (as installed by
//! Debian's apparmor, apparmor-profiles and apparmor-profiles-extra) must
//! resolve without errors, with includes searched in `/etc/apparmor.d`.

use std::path::Path;

use aaprove::resolve::{Input, ResolveOptions, is_ignored_entry, load};

const SYSTEM_DIR: &str = "/etc/apparmor.d";

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
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .expect("profile folder is readable")
        .filter_map(|entry| entry.ok().map(|entry| entry.path()))
        .filter(|path| path.is_file())
        .filter(|path| !is_ignored_entry(&path.file_name().unwrap().to_string_lossy()))
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no profiles in {SYSTEM_DIR}");

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
