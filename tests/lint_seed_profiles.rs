//! The lints on the three Docker profiles of profiles/: the seed with its
//! `[^n][^s]*` trap, docker-default with its `[^s][^h][^m]**` rule, and the
//! corrected seed, which must draw no finding at all. The rendered output
//! is snapshotted; the example paths the findings give are checked against
//! the real compiler, so that "still allows `w`" and "denies" are facts of
//! the compiled policy, not of aaprove's reading.

mod cli_support;
mod support;

use std::path::Path;

use aaprove::diagnostic::Diagnostic;
use aaprove::resolve::{Input, ResolveOptions, load};
use cli_support::aaprove;
use support::oracle::{self, CompiledPolicy};

const SEED: &str = "profiles/docker_allow_checkpoint.profile";
const DEFAULT: &str = "profiles/docker-default.profile";
const CORRECTED: &str = "profiles/docker_allow_checkpoint.corrected.profile";

#[test]
fn seed_profile_findings() {
    let run = aaprove(&["check", SEED], "");
    insta::assert_snapshot!(run.transcript());
}

#[test]
fn docker_default_findings() {
    let run = aaprove(&["check", DEFAULT], "");
    insta::assert_snapshot!(run.transcript());
}

#[test]
fn corrected_profile_is_clean() {
    let run = aaprove(&["check", "--deny-warnings", CORRECTED], "");
    assert_eq!(run.stdout, "", "{}", run.transcript());
    assert_eq!(run.code, 0, "{}", run.transcript());
}

/// The lint findings of one profile file, through the library.
fn findings(path: &str) -> Vec<Diagnostic> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let options = ResolveOptions {
        include_dirs: Vec::new(),
        use_system_dir: true,
        base_dir: Some(root.join("profiles")),
    };
    let resolved = load(Input::Path(root.join(path)), &options);
    assert!(!resolved.has_errors(), "{:#?}", resolved.diagnostics);
    let profiles = resolved.profiles.iter();
    profiles
        .flat_map(|profile| aaprove::lint::run_all(profile, &resolved.sources))
        .collect()
}

/// The backquoted absolute paths of a note.
fn paths_in(note: &str) -> Vec<String> {
    let quoted = note.split('`').skip(1).step_by(2);
    quoted
        .filter(|text| text.starts_with('/') && !text.contains(['*', '[', '{']))
        .map(str::to_string)
        .collect()
}

/// Every path a note says the profile still lets be written is writable in
/// the compiled policy, and every path a note says the rule denies is not.
fn check_examples_against_the_compiler(path: &str, expected_codes: &[&str]) {
    if !oracle::available("check_examples_against_the_compiler") {
        return;
    }
    let text = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(path))
        .expect("profile is readable");
    let policy = CompiledPolicy::compile(&text).expect("apparmor_parser compiles it");
    let found = findings(path);
    let codes: Vec<&str> = found.iter().map(|finding| finding.code).collect();
    assert_eq!(codes, expected_codes, "{found:#?}");
    let (mut writable, mut denied) = (0, 0);
    for note in found.iter().flat_map(|finding| &finding.notes) {
        let write = aaprove::model::FilePerms::WRITE;
        for example in paths_in(note) {
            let owner = policy.lookup(example.as_bytes()).owner;
            if note.contains("still allows `w`") || note.contains("is still allowed `w`") {
                assert!(owner.allow.contains(write), "{example} in {note}");
                writable += 1;
            }
            if note.starts_with("the rule denies") {
                assert!(!owner.allow.contains(write), "{example} in {note}");
                denied += 1;
            }
        }
    }
    assert!(writable > 0, "no writable example in {path}");
    if path == SEED {
        assert!(denied > 0, "no denied example in {path}");
    }
}

#[test]
fn seed_examples_are_what_the_compiler_does() {
    check_examples_against_the_compiler(SEED, &["L003", "L005", "L011"]);
}

#[test]
fn docker_default_examples_are_what_the_compiler_does() {
    check_examples_against_the_compiler(DEFAULT, &["L003", "L011"]);
}
