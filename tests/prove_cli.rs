//! `aaprove prove`: the rendered proof of the seed profile (text and JSON
//! snapshots), exit codes, and diagnostics pointing into the spec.

mod cli_support;

use cli_support::aaprove;

const SEED: &str = "profiles/docker_allow_checkpoint.profile";
const CORRECTED: &str = "profiles/docker_allow_checkpoint.corrected.profile";
const SPEC: &str = "profiles/docker_allow_checkpoint.spec.toml";

#[test]
fn seed_profile_text() {
    let run = aaprove(&["prove", SEED, "--spec", SPEC], "");
    assert_eq!(run.code, 1, "{}", run.transcript());
    insta::assert_snapshot!(run.transcript());
}

#[test]
fn seed_profile_json() {
    let run = aaprove(&["prove", "--format", "json", SEED, "--spec", SPEC], "");
    assert_eq!(run.code, 1, "{}", run.transcript());
    let value: serde_json::Value = serde_json::from_str(&run.stdout).expect("one JSON document");
    assert_eq!(value["verdict"], "violated");
    insta::assert_json_snapshot!(value);
}

#[test]
fn corrected_profile_text() {
    let run = aaprove(&["prove", CORRECTED, "--spec", SPEC], "");
    assert_eq!(run.code, 0, "{}", run.transcript());
    insta::assert_snapshot!(run.transcript());
}

#[test]
fn spec_errors_point_into_the_spec() {
    let run = aaprove(
        &[
            "prove",
            SEED,
            "--spec",
            "tests/data/prove/invalid.spec.toml",
        ],
        "",
    );
    assert_eq!(run.code, 2, "{}", run.transcript());
    insta::assert_snapshot!(run.transcript());
}

#[test]
fn exit_codes() {
    let bad_pattern = "tests/data/prove/bad-pattern.spec.toml";
    let variables = "tests/data/prove/variables.spec.toml";
    let undefined = "tests/data/prove/undefined-variable.spec.toml";
    let cases: [(&[&str], i32); 9] = [
        (&["prove", CORRECTED, "--spec", SPEC], 0),
        (&["prove", SEED, "--spec", SPEC], 1),
        (
            &["prove", SEED, "--spec", "tests/data/prove/no-such.toml"],
            2,
        ),
        (
            &["prove", "tests/data/prove/no-such.profile", "--spec", SPEC],
            2,
        ),
        (&["prove", SEED, "--spec", bad_pattern], 2),
        (&["prove", "--format", "sarif", SEED, "--spec", SPEC], 2),
        (&["prove", CORRECTED, "--spec", variables], 0),
        (&["prove", SEED, "--spec", variables], 1),
        (&["prove", CORRECTED, "--spec", undefined], 2),
    ];
    for (args, expected) in cases {
        let run = aaprove(args, "");
        assert_eq!(run.code, expected, "{args:?}\n{}", run.transcript());
    }
}

#[test]
fn an_inventory_file_adds_real_witnesses() {
    let args = [
        "prove",
        "tests/data/prove/srv.profile",
        "--spec",
        "tests/data/prove/srv.spec.toml",
    ];
    let run = aaprove(&args, "");
    assert_eq!(run.code, 1, "{}", run.transcript());
    assert!(
        run.stdout.contains("/srv/a (not in the inventory)"),
        "{}",
        run.stdout
    );
    let mut with_inventory = args.to_vec();
    with_inventory.extend(["--inventory", "tests/data/prove/srv-inventory.txt"]);
    let run = aaprove(&with_inventory, "");
    assert!(
        run.stdout.contains("    /srv/www/index.html\n"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains("1 real path, infinitely many"),
        "{}",
        run.stdout
    );
}

#[test]
fn a_named_profile_is_chosen_and_an_unknown_one_refused() {
    let spec = "tests/data/prove/srv.spec.toml";
    let profile = "tests/data/prove/srv.profile";
    let run = aaprove(&["prove", profile, "--spec", spec, "--profile", "srv"], "");
    assert_eq!(run.code, 1, "{}", run.transcript());
    let run = aaprove(&["prove", profile, "--spec", spec, "--profile", "nope"], "");
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("no profile `nope`"), "{}", run.stderr);
}

/// A missing include leaves its rules unknown: a claim that the known
/// rules settle is decided, and one that depends on them is undecided.
#[test]
fn a_missing_include_makes_only_dependent_claims_undecided() {
    let profile = "tests/data/prove/unresolved-include.profile";
    let spec = "tests/data/prove/unresolved-include.spec.toml";
    let run = aaprove(&["prove", "--format", "json", profile, "--spec", spec], "");
    assert_eq!(run.code, 1, "{}", run.transcript());
    let value: serde_json::Value = serde_json::from_str(&run.stdout).expect("one JSON document");
    let verdicts: Vec<&str> = value["assertions"]
        .as_array()
        .expect("assertions")
        .iter()
        .map(|assertion| assertion["verdict"].as_str().expect("verdict"))
        .collect();
    assert_eq!(
        verdicts,
        ["proved", "undecided", "violated"],
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains("abstractions/does-not-exist"),
        "{}",
        run.stdout
    );
}
