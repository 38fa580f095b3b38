//! Runs `aaprove check` on every profile in fixtures/lint/ and compares its
//! findings with the `# expect: CODE, ...` annotations written in the
//! profile: a trailing annotation is about its own line, an annotation alone
//! on its line is about the next line. A code appears once per finding.

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

fn fixtures() -> Vec<String> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/lint");
    let mut paths: Vec<String> = std::fs::read_dir(dir)
        .expect("fixtures/lint exists")
        .map(|entry| entry.expect("directory entry").file_name())
        .map(|name| format!("fixtures/lint/{}", name.to_string_lossy()))
        .filter(|path| path.ends_with(".profile"))
        .collect();
    paths.sort();
    paths
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
fn clean_fixture_is_silent_and_passes_deny_warnings() {
    let run = aaprove(
        &["check", "--deny-warnings", "fixtures/lint/clean.profile"],
        "",
    );
    assert_eq!(run.stdout, "");
    assert_eq!(run.stderr, "no problems found in 1 file\n");
    assert_eq!(run.code, 0);
}

#[test]
fn every_lint_has_an_expected_finding_in_some_fixture() {
    let mut annotated = std::collections::BTreeSet::new();
    for path in fixtures() {
        let text = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(&path))
            .expect("fixture is readable");
        annotated.extend(expected(&text).into_keys().map(|(_, code)| code));
    }
    let run = aaprove(&["--format", "json", "rules"], "");
    for line in run.stdout.lines() {
        let value: serde_json::Value = serde_json::from_str(line).expect("JSON line");
        let code = value["code"].as_str().expect("code");
        assert!(annotated.contains(code), "no fixture expects {code}");
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
    for path in fixtures() {
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
