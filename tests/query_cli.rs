//! `aaprove query` and `aaprove explain` as commands: output forms, profile
//! selection, the built-in profile, and exit codes (0 when answered, 2 on
//! any usage, input or I/O error; these commands have no findings).

mod cli_support;

use std::path::PathBuf;

use cli_support::aaprove;

const RULES: &str = "profile t {\n  /a/** rw,\n  deny /a/b w,\n  owner /o/* r,\n}\n";
const TWO: &str = "profile one {\n  /a r,\n}\nprofile two {\n  /b w,\n}\n";
const WITH_HAT: &str = "profile parent {\n  /a r,\n  ^hat {\n    /b w,\n  }\n}\n";

/// Writes `text` to `name` in a folder of this test process.
fn temp_file(name: &str, text: &str) -> String {
    // One folder per call: tests run in parallel and may write files of the
    // same name, which must not overwrite each other while being read.
    static CALLS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let call = CALLS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let dir = std::env::temp_dir().join(format!("aaprove-query-cli-{}-{call}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("create temp folder");
    let path: PathBuf = dir.join(name);
    std::fs::write(&path, text).expect("write temp file");
    path.to_str().expect("UTF-8 temp path").to_string()
}

#[test]
fn table_and_json_lines() {
    let profile = temp_file("rules.profile", RULES);
    let paths = ["/a/b", "/a/c/", "/o/x", "/z"];
    let mut args = vec!["query", profile.as_str()];
    args.extend(paths);
    let table = aaprove(&args, "");
    insta::assert_snapshot!(table.transcript());

    let mut args = vec![
        "--format",
        "json",
        "query",
        "--perm",
        "wr",
        profile.as_str(),
    ];
    args.extend(paths);
    let json = aaprove(&args, "");
    assert_eq!(json.code, 0, "{}", json.stderr);
    insta::assert_snapshot!(json.stdout);
}

#[test]
fn perm_narrows_the_table_to_decisions() {
    let profile = temp_file("rules.profile", RULES);
    let run = aaprove(
        &[
            "query", &profile, "--perm", "w", "/a/b", "/a/c", "/o/x", "/z",
        ],
        "",
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    let rows: Vec<Vec<&str>> = run
        .stdout
        .lines()
        .map(|line| line.split_whitespace().collect())
        .collect();
    let expected = [
        ["owner", "other", "path"],
        ["deny", "deny", "/a/b"],
        ["allow", "allow", "/a/c"],
        ["none", "none", "/o/x"],
        ["none", "none", "/z"],
    ];
    assert_eq!(rows, expected);
}

#[test]
fn paths_come_from_a_file_or_standard_input() {
    let profile = temp_file("rules.profile", RULES);
    let list = temp_file("paths.txt", "/a/b\n\n/o/x\n");
    let from_file = aaprove(
        &["--format", "json", "query", &profile, "--paths", &list],
        "",
    );
    let from_stdin = aaprove(
        &["--format", "json", "query", &profile, "--paths", "-"],
        "/a/b\n\n/o/x\n",
    );
    assert_eq!(from_file.code, 0, "{}", from_file.stderr);
    assert_eq!(from_file.stdout, from_stdin.stdout);
    assert_eq!(
        from_file.stdout.lines().count(),
        2,
        "empty lines are skipped"
    );
}

#[test]
fn a_file_with_several_profiles_needs_a_name() {
    let profile = temp_file("two.profile", TWO);
    let run = aaprove(&["query", &profile, "/a"], "");
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("one, two"), "{}", run.stderr);

    let run = aaprove(
        &["query", &profile, "--profile", "two", "--perm", "w", "/b"],
        "",
    );
    assert_eq!(
        (run.code, run.stdout.lines().nth(1)),
        (0, Some("allow  allow  /b"))
    );

    let run = aaprove(&["explain", &profile, "/a", "--profile", "three"], "");
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains("no profile is called `three`"),
        "{}",
        run.stderr
    );
}

#[test]
fn hats_are_named_parent_slash_slash_child() {
    let profile = temp_file("hat.profile", WITH_HAT);
    let run = aaprove(
        &[
            "query",
            &profile,
            "--profile",
            "parent//hat",
            "--perm",
            "w",
            "/b",
        ],
        "",
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.stdout.lines().nth(1), Some("allow  allow  /b"));
}

#[test]
fn docker_default_is_built_in_unless_written_as_a_path() {
    let run = aaprove(
        &[
            "query",
            "docker-default",
            "--perm",
            "w",
            "/proc/sysrq-trigger",
        ],
        "",
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(
        run.stdout.lines().nth(1),
        Some("deny   deny   /proc/sysrq-trigger")
    );

    let file = temp_file("docker-default", RULES);
    let run = aaprove(&["query", &file, "--perm", "w", "/a/c"], "");
    assert_eq!(
        run.stdout.lines().nth(1),
        Some("allow  allow  /a/c"),
        "{}",
        run.stderr
    );
}

#[test]
fn explain_answers_with_exit_code_zero() {
    let profile = temp_file("rules.profile", RULES);
    let run = aaprove(&["explain", &profile, "/a/b", "--perm", "w"], "");
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stdout.contains("deny, by [2], over the allow of [1]"),
        "{}",
        run.stdout
    );

    let run = aaprove(&["--format", "json", "explain", &profile, "/nothing"], "");
    assert_eq!(run.code, 0, "{}", run.stderr);
    let value: serde_json::Value = serde_json::from_str(&run.stdout).expect("JSON");
    assert_eq!(value["matches"], serde_json::json!([]));
    assert_eq!(
        value["closest"],
        serde_json::json!([]),
        "no rule follows past `/`"
    );

    let run = aaprove(&["--format", "json", "explain", &profile, "/a"], "");
    let value: serde_json::Value = serde_json::from_str(&run.stdout).expect("JSON");
    let closest = &value["closest"];
    let near: Vec<(&str, u64)> = closest
        .as_array()
        .expect("a list")
        .iter()
        .map(|near| {
            (
                near["text"].as_str().unwrap(),
                near["followed_bytes"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(near, [("/a/** rw,", 2), ("deny /a/b w,", 2)]);
}

#[test]
fn errors_exit_with_two() {
    let profile = temp_file("rules.profile", RULES);
    let invalid = temp_file("invalid.profile", "profile x {\n  /a rw\n");
    let with_nul = temp_file("nul.txt", "/a/b\n/a\0b\n");
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (vec!["query", "/no/such/file", "/a"], "/no/such/file"),
        (vec!["query", &profile], "PATH"),
        (vec!["query", &profile, "--perm", "q", "/a"], "rwalkmx"),
        (vec!["query", &profile, "--perm", "ix", "/a"], "rwalkmx"),
        (vec!["--format", "sarif", "query", &profile, "/a"], "sarif"),
        (
            vec!["query", &profile, "--paths", "/no/such/list"],
            "/no/such/list",
        ),
        (vec!["query", &profile, "--paths", &with_nul], "NUL"),
        (vec!["query", &invalid, "/a"], "error"),
        (vec!["explain", &profile], "PATH"),
        (vec!["explain", "/no/such/file", "/a"], "/no/such/file"),
        (vec!["explain", &profile, "/a", "--perm", "z"], "rwalkmx"),
        (
            vec!["--format", "sarif", "explain", &profile, "/a"],
            "sarif",
        ),
    ];
    for (args, needle) in cases {
        let run = aaprove(&args, "");
        assert_eq!(run.code, 2, "{args:?}: {}", run.transcript());
        assert!(run.stderr.contains(needle), "{args:?}: {}", run.stderr);
    }
}
