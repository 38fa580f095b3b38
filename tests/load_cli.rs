//! `aaprove load`: the parser runs only after a complete proof. A failed
//! proof never starts it (checked with a stand-in parser that records its
//! runs); `--dry-run` hands the corrected profile to the real
//! `apparmor_parser -QK`. No test ever loads policy with `-r`: runs
//! without `--dry-run` use the recording stand-in.

mod cli_support;
mod support;

use std::os::unix::fs::PermissionsExt;
use std::path::PathBuf;

use cli_support::aaprove;
use support::oracle;

const SEED: &str = "profiles/docker_allow_checkpoint.profile";
const CORRECTED: &str = "profiles/docker_allow_checkpoint.corrected.profile";
const SPEC: &str = "profiles/docker_allow_checkpoint.spec.toml";

/// A stand-in `apparmor_parser` that appends its arguments to a log
/// beside it; returns the script and the log.
fn recording_parser(test: &str) -> (PathBuf, PathBuf) {
    let dir = std::env::temp_dir().join(format!("aaprove-{test}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let script = dir.join("apparmor_parser");
    let log = dir.join("runs.log");
    let _ = std::fs::remove_file(&log);
    let text = format!("#!/bin/sh\necho \"$@\" >> '{}'\n", log.display());
    std::fs::write(&script, text).expect("write script");
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    (script, log)
}

#[test]
fn a_failed_proof_never_starts_the_parser() {
    let (script, log) = recording_parser("failed-proof");
    let parser = script.display().to_string();
    for extra in [&[][..], &["--dry-run"][..]] {
        let mut args = vec!["load", SEED, "--spec", SPEC, "--parser", &parser];
        args.extend(extra);
        let run = aaprove(&args, "");
        assert_eq!(run.code, 1, "{}", run.transcript());
        assert!(run.stderr.contains("nothing was loaded"), "{}", run.stderr);
    }
    assert!(
        !log.exists(),
        "the parser ran: {:?}",
        std::fs::read_to_string(&log)
    );
}

#[test]
fn a_proved_profile_is_handed_to_the_parser() {
    let (script, log) = recording_parser("proved");
    let parser = script.display().to_string();
    let args = [
        "load", CORRECTED, "--spec", SPEC, "--parser", &parser, "--", "-W",
    ];
    let run = aaprove(&args, "");
    assert_eq!(run.code, 0, "{}", run.transcript());
    let runs = std::fs::read_to_string(&log).expect("the parser ran");
    assert_eq!(runs, format!("-r -W {CORRECTED}\n"));
}

#[test]
fn spec_errors_start_nothing() {
    let (script, log) = recording_parser("spec-error");
    let parser = script.display().to_string();
    let spec = "tests/data/prove/bad-pattern.spec.toml";
    let run = aaprove(
        &["load", CORRECTED, "--spec", spec, "--parser", &parser],
        "",
    );
    assert_eq!(run.code, 2, "{}", run.transcript());
    assert!(!log.exists());
}

#[test]
fn dry_run_compiles_with_the_real_parser() {
    if !oracle::available("dry_run_compiles_with_the_real_parser") {
        return;
    }
    let parser = oracle::parser_path().display().to_string();
    let args = [
        "load",
        CORRECTED,
        "--spec",
        SPEC,
        "--dry-run",
        "--parser",
        &parser,
    ];
    let run = aaprove(&args, "");
    assert_eq!(run.code, 0, "{}", run.transcript());
}
