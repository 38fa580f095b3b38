//! `aaprove explain` on the seed checkpoint profile, as reviewed snapshots:
//! `/proc/sys/kernel/shmmax` (write denied by the `{?,??,[^n][^s]*}` rule,
//! through its third alternative) and `/proc/sys/kernel/ns_last_pid` (the
//! path the profile was written to open), in text and JSON.

mod cli_support;

use cli_support::aaprove;

const SEED: &str = "profiles/docker_allow_checkpoint.profile";

fn explain(args: &[&str]) -> String {
    let run = aaprove(args, "");
    assert_eq!(run.code, 0, "{args:?}: {}", run.stderr);
    run.stdout
}

#[test]
fn shmmax_text() {
    insta::assert_snapshot!(explain(&["explain", SEED, "/proc/sys/kernel/shmmax"]));
}

#[test]
fn shmmax_write_json() {
    let out = explain(&[
        "--format",
        "json",
        "explain",
        SEED,
        "/proc/sys/kernel/shmmax",
        "--perm",
        "w",
    ]);
    let value: serde_json::Value = serde_json::from_str(&out).expect("one JSON object");
    insta::assert_json_snapshot!(value);
}

#[test]
fn ns_last_pid_write_text() {
    let args = [
        "explain",
        SEED,
        "/proc/sys/kernel/ns_last_pid",
        "--perm",
        "w",
    ];
    insta::assert_snapshot!(explain(&args));
}

#[test]
fn ns_last_pid_json() {
    let out = explain(&[
        "--format",
        "json",
        "explain",
        SEED,
        "/proc/sys/kernel/ns_last_pid",
    ]);
    let value: serde_json::Value = serde_json::from_str(&out).expect("one JSON object");
    insta::assert_json_snapshot!(value);
}
