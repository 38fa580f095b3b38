//! `aaprove check`: every output format, exit codes, standard input, colour,
//! logging and a closed stdout, as snapshots of whole runs where the output
//! is the point.

mod cli_support;

use cli_support::aaprove;

const APP: &str = "tests/data/cli/app.profile";
const INVALID: &str = "tests/data/cli/invalid.profile";
const CLEAN: &str = "fixtures/lint/clean/shadowed-allow.profile";

#[test]
fn text_output() {
    let run = aaprove(&["check", APP, CLEAN], "");
    insta::assert_snapshot!(run.transcript());
}

#[test]
fn json_output() {
    let run = aaprove(&["check", "--format", "json", APP, INVALID], "");
    for line in run.stdout.lines() {
        serde_json::from_str::<serde_json::Value>(line).expect("each line is JSON");
    }
    insta::assert_snapshot!(run.transcript());
}

#[test]
fn sarif_output_is_valid_and_stable() {
    let run = aaprove(
        &["--format", "sarif", "check", APP, INVALID, "-"],
        "profile s {\n  /x ux,\n}\n",
    );
    assert_eq!(run.code, 1);
    let log: serde_json::Value = serde_json::from_str(&run.stdout).expect("one JSON document");
    let schema_path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/data/sarif-schema-2.1.0.json"
    );
    let schema: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(schema_path).expect("schema")).expect("JSON");
    let validator = jsonschema::options()
        .should_validate_formats(true)
        .build(&schema)
        .expect("schema compiles");
    let errors: Vec<String> = validator.iter_errors(&log).map(|e| e.to_string()).collect();
    assert!(errors.is_empty(), "{errors:#?}");
    let results = log["runs"][0]["results"].as_array().expect("results");
    assert_eq!(results.len(), 4, "{results:#?}");
    insta::assert_json_snapshot!(log);
}

#[test]
fn exit_codes() {
    let missing = "tests/data/cli/no-such.profile";
    let cases: [(&[&str], i32); 9] = [
        (&["check", CLEAN], 0),
        (&["check", APP], 0),
        (&["check", "--deny-warnings", APP], 1),
        (&["check", INVALID], 1),
        (&["check", missing], 2),
        (&["check", INVALID, missing], 2),
        (&["check", "tests/data/cli"], 2),
        (&["check", "-", "-"], 2),
        (&["check"], 2),
    ];
    for (args, code) in cases {
        let run = aaprove(args, "");
        assert_eq!(run.code, code, "{args:?}: {}", run.stderr);
    }
}

#[test]
fn input_errors_are_reported_and_other_files_still_checked() {
    let run = aaprove(&["check", "tests/data/cli/no-such.profile", INVALID], "");
    insta::assert_snapshot!(run.transcript());
}

#[test]
fn standard_input() {
    let run = aaprove(&["check", "-"], "profile p {\n  /usr/bin/x ux,\n}\n");
    assert_eq!(run.code, 0);
    assert!(run.stdout.contains(" --> <stdin>:2:3\n"), "{}", run.stdout);

    let empty = aaprove(&["check", "-"], "");
    assert_eq!(
        empty.code, 0,
        "empty input is a clean file: {}",
        empty.stderr
    );
}

#[test]
fn colour_only_when_asked_or_on_a_terminal() {
    let plain = aaprove(&["check", APP], "");
    assert!(!plain.stdout.contains('\u{1b}'));
    let forced = aaprove(&["check", "--color", "always", APP], "");
    assert!(forced.stdout.contains("\u{1b}["), "{}", forced.stdout);
    let never = aaprove(&["check", "--color", "never", APP], "");
    assert_eq!(never.stdout, plain.stdout);
}

#[test]
fn verbosity_controls_the_log_and_the_summary() {
    let verbose = aaprove(&["-v", "check", CLEAN], "");
    assert!(
        verbose
            .stderr
            .contains("checking fixtures/lint/clean/shadowed-allow.profile"),
        "{}",
        verbose.stderr
    );
    let quiet = aaprove(&["check", "-q", CLEAN], "");
    assert_eq!(quiet.stderr, "");
    let both = aaprove(&["check", "-q", "-v", CLEAN], "");
    assert_eq!(both.code, 2);
}

#[test]
fn closed_stdout_exits_quietly() {
    use std::io::Read;
    use std::process::{Command, Stdio};

    let many_rules = "  /usr/bin/x ux,\n".repeat(3000);
    let profile = format!("profile p {{\n{many_rules}}}\n");
    let path = std::env::temp_dir().join(format!("aaprove-pipe-{}.profile", std::process::id()));
    std::fs::write(&path, profile).expect("temp profile");

    let mut child = Command::new(env!("CARGO_BIN_EXE_aaprove"))
        .args(["check", "--deny-warnings"])
        .arg(&path)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("aaprove runs");
    let mut first = [0u8; 16];
    child
        .stdout
        .take()
        .expect("stdout")
        .read_exact(&mut first)
        .expect("some output");
    // The read end is closed here, long before 3000 diagnostics are written.
    let mut stderr = String::new();
    child
        .stderr
        .take()
        .expect("stderr")
        .read_to_string(&mut stderr)
        .expect("stderr");
    let status = child.wait().expect("aaprove exits");
    let _ = std::fs::remove_file(&path);

    assert_eq!(
        status.code(),
        Some(1),
        "the findings decide the code: {stderr}"
    );
    assert!(
        !stderr.contains("error") && !stderr.contains("panicked"),
        "{stderr}"
    );
}

/// `docker-default` names the built-in profile, in `check` as in every
/// command that takes a profile; its rules are shown under a name that
/// cannot be a file's.
#[test]
fn the_built_in_profile_is_checked_by_name() {
    let run = aaprove(&["--format", "json", "check", "docker-default"], "");
    assert_eq!(run.code, 0, "{}", run.stderr);
    let codes: Vec<(String, String)> = run
        .stdout
        .lines()
        .map(|line| {
            let value: serde_json::Value = serde_json::from_str(line).expect("JSON line");
            (value["code"].to_string(), value["file"].to_string())
        })
        .collect();
    let file = "\"<built-in docker-default>\"".to_string();
    assert_eq!(
        codes,
        [
            ("\"L003\"".to_string(), file.clone()),
            ("\"L011\"".to_string(), file)
        ]
    );
}
