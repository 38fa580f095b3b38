//! Runs `aaprove check` on the lint fixtures in fixtures/lint/.
//!
//! Each lint has a fixture named after it (`unused-deny.profile`; the
//! suppression lints share `suppression.profile`) whose findings must equal
//! the `# expect: CODE, ...` annotations written in the profile: a trailing
//! annotation is about its own line, an annotation alone on its line is
//! about the next line, and a code appears once per finding. Each lint also
//! has a clean fixture, `clean/NAME.profile`, of near misses that every
//! lint must leave silent.

mod cli_support;

use std::collections::BTreeMap;
use std::path::Path;

use cli_support::aaprove;

/// (1-based line, code) -> number of findings.
type Findings = BTreeMap<(u64, String), usize>;

fn expected(text: &str) -> Findings {
    let mut findings = Findings::new();
    for (index, line) in text.lines().enumerate() {
        let Some(at) = line.find("# expect:") else {
            continue;
        };
        let alone = line[..at].trim().is_empty();
        let line_number = index as u64 + if alone { 2 } else { 1 };
        for code in line[at + "# expect:".len()..].split(',') {
            let code = code.trim();
            let digits = code.get(1..).unwrap_or("");
            let well_formed = code.starts_with(['E', 'L'])
                && digits.len() == 3
                && digits.bytes().all(|b| b.is_ascii_digit());
            assert!(well_formed, "line {}: bad annotation {code:?}", index + 1);
            *findings.entry((line_number, code.to_string())).or_default() += 1;
        }
    }
    findings
}

/// The findings of `aaprove check` on `path`, its exit code, and whether
/// some finding is an error.
fn actual(path: &str) -> (Findings, i32, bool) {
    let run = aaprove(&["--format", "json", "check", path], "");
    assert!(run.stderr.is_empty(), "{path}: {}", run.stderr);
    let mut findings = Findings::new();
    let mut has_error = false;
    for line in run.stdout.lines() {
        let value: serde_json::Value = serde_json::from_str(line).expect("JSON line");
        has_error |= value["severity"] == "error";
        assert_eq!(value["file"], path, "finding outside the fixture: {line}");
        let line_number = value["line"].as_u64().expect("a finding has a line");
        let code = value["code"].as_str().expect("code").to_string();
        *findings.entry((line_number, code)).or_default() += 1;
    }
    (findings, run.code, has_error)
}

/// The fixtures with findings, as paths relative to the crate root.
fn fixtures() -> Vec<String> {
    profiles_in("fixtures/lint")
}

/// The clean fixtures, as paths relative to the crate root.
fn clean_fixtures() -> Vec<String> {
    profiles_in("fixtures/lint/clean")
}

fn profiles_in(folder: &str) -> Vec<String> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join(folder);
    let mut paths: Vec<String> = std::fs::read_dir(dir)
        .unwrap_or_else(|error| panic!("{folder}: {error}"))
        .map(|entry| entry.expect("directory entry").file_name())
        .map(|name| format!("{folder}/{}", name.to_string_lossy()))
        .filter(|path| path.ends_with(".profile"))
        .collect();
    paths.sort();
    paths
}

/// Code and name of every lint, as `aaprove rules` lists them.
fn lints() -> Vec<(String, String)> {
    let run = aaprove(&["--format", "json", "rules"], "");
    let lints: Vec<(String, String)> = run
        .stdout
        .lines()
        .map(|line| {
            let value: serde_json::Value = serde_json::from_str(line).expect("JSON line");
            let field = |key: &str| value[key].as_str().expect(key).to_string();
            (field("code"), field("name"))
        })
        .collect();
    assert!(!lints.is_empty(), "aaprove rules listed nothing");
    lints
}

#[test]
fn findings_match_the_annotations() {
    for path in fixtures() {
        let text = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(&path))
            .expect("fixture is readable");
        let (found, code, has_error) = actual(&path);
        assert_eq!(found, expected(&text), "{path}");
        // Only error-level lints fail a check without --deny-warnings.
        assert_eq!(code, i32::from(has_error), "{path}");
    }
}

#[test]
fn clean_fixtures_are_silent() {
    let clean = clean_fixtures();
    assert!(!clean.is_empty(), "no clean fixtures");
    for path in clean {
        let run = aaprove(&["check", "--deny-warnings", &path], "");
        assert_eq!(run.stdout, "", "{path}");
        assert_eq!(run.stderr, "no problems found in 1 file\n", "{path}");
        assert_eq!(run.code, 0, "{path}");
    }
}

#[test]
fn every_lint_has_a_fixture_with_findings_and_a_clean_one() {
    let mut annotated = std::collections::BTreeSet::new();
    for path in fixtures() {
        let text = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(&path))
            .expect("fixture is readable");
        annotated.extend(expected(&text).into_keys().map(|(_, code)| code));
    }
    let clean = clean_fixtures();
    for (code, name) in lints() {
        assert!(annotated.contains(&code), "no fixture expects {code}");
        let wanted = format!("fixtures/lint/clean/{name}.profile");
        assert!(
            clean.contains(&wanted),
            "{code} has no clean fixture {wanted}"
        );
    }
}

#[test]
fn annotations_are_read_as_documented() {
    let text = "a, # expect: L001\n# expect: L002, L002\nb,\n";
    let found = expected(text);
    let pairs: Vec<_> = found.into_iter().collect();
    assert_eq!(
        pairs,
        [((1, "L001".to_string()), 1), ((3, "L002".to_string()), 2)]
    );
}

/// The fixtures are real policy: the reference compiler accepts each one,
/// so lint results are never about text that AppArmor would reject.
#[test]
fn fixtures_are_accepted_by_apparmor_parser() {
    let parser = Path::new("/usr/sbin/apparmor_parser");
    if !parser.exists() {
        let required = std::env::var("AAPROVE_REQUIRE_ORACLE").is_ok_and(|v| v == "1");
        assert!(
            !required,
            "AAPROVE_REQUIRE_ORACLE=1 but {} is absent",
            parser.display()
        );
        println!("skipped: {} is absent", parser.display());
        return;
    }
    for path in fixtures().into_iter().chain(clean_fixtures()) {
        let output = std::process::Command::new(parser)
            .args(["-Q", "-K"])
            .arg(&path)
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .output()
            .expect("apparmor_parser runs");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(output.status.success(), "{path}: {stderr}");
    }
}
