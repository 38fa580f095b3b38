//! `aaprove query` against `apparmor_parser`: every path of the real
//! inventories (fixtures/inventory) for the seed checkpoint profile, its
//! corrected version and the built-in docker-default, and hand-written
//! cases for each trap of the pattern language, all through the CLI. Both
//! halves must agree on every set (allow, deny, audit, quiet) and on the
//! exec mode, and `--perm` must give the decision those sets imply.

mod cli_support;
mod support;

use std::path::PathBuf;

use aaprove::builtin;
use aaprove::compile::{HalfPermissions, PathPermissions};
use aaprove::model::FilePerms;
use cli_support::aaprove;
use serde_json::Value;
use support::oracle::{self, CompiledPolicy};

const SEED: &str = "profiles/docker_allow_checkpoint.profile";
const CORRECTED: &str = "profiles/docker_allow_checkpoint.corrected.profile";

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A file in the system temp folder, unique to this test process and name.
fn temp_file(name: &str, text: &str) -> PathBuf {
    // One folder per call: tests run in parallel and may write files of the
    // same name, which must not overwrite each other while being read.
    static CALLS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let call = CALLS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let dir = std::env::temp_dir().join(format!(
        "aaprove-query-oracle-{}-{call}",
        std::process::id()
    ));
    std::fs::create_dir_all(&dir).expect("create temp folder");
    let path = dir.join(name);
    std::fs::write(&path, text).expect("write temp file");
    path
}

fn inventory_paths() -> Vec<String> {
    let mut paths = Vec::new();
    for name in ["proc-sys.txt", "proc.txt", "sys.txt"] {
        let file = root().join("fixtures/inventory").join(name);
        let text = std::fs::read_to_string(&file).expect("read inventory");
        paths.extend(text.lines().filter(|l| !l.is_empty()).map(str::to_string));
    }
    paths
}

/// The oracle's half in the JSON form of `query`.
fn oracle_half(half: &HalfPermissions, exec_targets: &[String]) -> Value {
    let exec = half.exec.map_or(String::new(), |exec| {
        let mode = exec.mode_text();
        match exec.target().checked_sub(4) {
            Some(index) => format!("{mode} -> {}", exec_targets[index as usize]),
            None => mode,
        }
    });
    serde_json::json!({
        "allow": half.allow.letters(),
        "deny": half.deny.letters(),
        "audit": half.audit.letters(),
        "quiet": half.quiet.letters(),
        "exec": exec,
    })
}

/// The decision the oracle's sets imply for `perms`: allow when all are
/// allowed, else deny when one is denied, else none.
fn oracle_decision(half: &HalfPermissions, perms: FilePerms) -> &'static str {
    let denied = FilePerms::LETTERS
        .iter()
        .any(|&(_, letter)| perms.contains(letter) && half.deny.contains(letter));
    if half.allow.contains(perms) {
        "allow"
    } else if denied {
        "deny"
    } else {
        "none"
    }
}

/// Runs `query --format json PROFILE --paths FILE [--perm PERM]` and
/// returns each line's JSON, checking the exit code.
fn query_json(profile: &str, paths_file: &str, perm: Option<&str>) -> Vec<Value> {
    let mut args = vec!["--format", "json", "query", profile, "--paths", paths_file];
    if let Some(perm) = perm {
        args.extend(["--perm", perm]);
    }
    let run = aaprove(&args, "");
    assert_eq!(run.code, 0, "{args:?}: {}", run.stderr);
    run.stdout
        .lines()
        .map(|line| serde_json::from_str(line).expect("each line is JSON"))
        .collect()
}

/// Compares `query`'s answers (all sets, then the decision for each of
/// `perms`) for `paths` with the oracle's compile of `text`.
fn check_against_oracle(profile: &str, text: &str, paths: &[String], perms: &[&str]) {
    let policy = CompiledPolicy::compile(text).expect("apparmor_parser compiles the profile");
    let expected: Vec<PathPermissions> =
        paths.iter().map(|p| policy.lookup(p.as_bytes())).collect();
    let paths_file = temp_file("paths.txt", &paths.join("\n"));
    let paths_file = paths_file.to_str().expect("UTF-8 temp path");

    let lines = query_json(profile, paths_file, None);
    assert_eq!(lines.len(), paths.len(), "{profile}: one line per path");
    let mut wrong = Vec::new();
    for ((line, path), oracle) in lines.iter().zip(paths).zip(&expected) {
        assert_eq!(line["path"], path.as_str());
        let want_owner = oracle_half(&oracle.owner, &policy.exec_targets);
        let want_other = oracle_half(&oracle.other, &policy.exec_targets);
        if line["owner"] != want_owner || line["other"] != want_other {
            wrong.push(format!(
                "{path}: got {line}, want {want_owner} / {want_other}"
            ));
        }
    }
    assert!(
        wrong.is_empty(),
        "{profile}: {} paths differ:\n{}",
        wrong.len(),
        wrong[..wrong.len().min(10)].join("\n")
    );

    for &perm in perms {
        let lines = query_json(profile, paths_file, Some(perm));
        let letters = FilePerms::from_letters(perm).expect("letters");
        for ((line, path), oracle) in lines.iter().zip(paths).zip(&expected) {
            let want = serde_json::json!({
                "owner": oracle_decision(&oracle.owner, letters),
                "other": oracle_decision(&oracle.other, letters),
            });
            assert_eq!(line["decision"], want, "{profile} {path} --perm {perm}");
        }
    }
}

fn profile_text(file: &str) -> String {
    std::fs::read_to_string(root().join(file)).expect("read profile")
}

#[test]
fn seed_profile_matches_the_oracle_on_every_inventory_path() {
    if !oracle::available("seed_profile_matches_the_oracle_on_every_inventory_path") {
        return;
    }
    let every_letter = ["r", "w", "a", "l", "k", "m", "x", "rw", "rwx"];
    check_against_oracle(SEED, &profile_text(SEED), &inventory_paths(), &every_letter);
}

#[test]
fn corrected_profile_matches_the_oracle_on_every_inventory_path() {
    if !oracle::available("corrected_profile_matches_the_oracle_on_every_inventory_path") {
        return;
    }
    check_against_oracle(
        CORRECTED,
        &profile_text(CORRECTED),
        &inventory_paths(),
        &["w", "rw"],
    );
}

#[test]
fn built_in_docker_default_matches_the_oracle_on_every_inventory_path() {
    if !oracle::available("built_in_docker_default_matches_the_oracle_on_every_inventory_path") {
        return;
    }
    let text = builtin::profile_text("docker-default").expect("built in");
    check_against_oracle("docker-default", text, &inventory_paths(), &["w", "rwx"]);
}

/// Rules for the traps of issue 3, each under its own folder, and the
/// paths that probe them, with the `r` decision each trap is about (also
/// checked against the oracle, with every other permission).
const TRAP_PROFILE: &str = r#"@{MULTI} = /mv/a/ /mv/b/
@{WORD} = x y

profile traps {
  /stars/** r,
  /deep/**/bar r,
  /*bar r,
  /neg/a[^b]c r,
  /alt/{a,{b,c}d,}x r,
  /plus/a+b r,
  /esc/\*x r,
  /esc/\{a\} r,
  /esc/\[z\] r,
  /slash//twice r,
  @{MULTI}* r,
  /word/@{WORD}* r,
  owner /half/owner r,
  other /half/other r,
  /empty/{,a/}end r,
}
"#;

const TRAP_CASES: &[(&str, &str)] = &[
    ("/stars/", "none"),
    ("/stars/x", "allow"),
    ("/stars/x/y/", "allow"),
    ("/deep/bar", "none"),
    ("/deep/x/bar", "allow"),
    ("/deep/x/y/bar", "allow"),
    ("/bar", "allow"),
    ("/foobar", "allow"),
    ("/neg/a/c", "allow"),
    ("/neg/abc", "none"),
    ("/neg/axc", "allow"),
    ("/alt/ax", "allow"),
    ("/alt/bdx", "allow"),
    ("/alt/cdx", "allow"),
    ("/alt/x", "allow"),
    ("/alt/dx", "none"),
    ("/plus/a+b", "allow"),
    ("/plus/aab", "none"),
    ("/esc/*x", "allow"),
    ("/esc/ax", "none"),
    ("/esc/{a}", "allow"),
    ("/esc/[z]", "allow"),
    ("/esc/z", "none"),
    ("/slash/twice", "allow"),
    ("/slash//twice", "none"),
    // `*` after a variable's `}` needs no extra byte after a trailing `/`.
    ("/mv/a/", "allow"),
    ("/mv/b/f", "allow"),
    ("/mv/c/", "none"),
    ("/word/x", "allow"),
    ("/word/yes", "allow"),
    ("/word/", "none"),
    ("/half/owner", "owner"),
    ("/half/other", "other"),
    ("/empty/end", "allow"),
    ("/empty/a/end", "allow"),
    ("/empty/a/", "none"),
];

#[test]
fn glob_traps_match_the_oracle() {
    if !oracle::available("glob_traps_match_the_oracle") {
        return;
    }
    let profile = temp_file("traps.profile", TRAP_PROFILE);
    let profile = profile.to_str().expect("UTF-8 temp path");
    let paths: Vec<String> = TRAP_CASES.iter().map(|(p, _)| p.to_string()).collect();
    check_against_oracle(profile, TRAP_PROFILE, &paths, &["r", "rw"]);

    let policy = CompiledPolicy::compile(TRAP_PROFILE).expect("compiles");
    for &(path, expected) in TRAP_CASES {
        let oracle = policy.lookup(path.as_bytes());
        let read = |half: &HalfPermissions| oracle_decision(half, FilePerms::READ);
        let got = match (read(&oracle.owner), read(&oracle.other)) {
            ("allow", "allow") => "allow",
            ("allow", "none") => "owner",
            ("none", "allow") => "other",
            ("none", "none") => "none",
            other => panic!("{path}: unexpected {other:?}"),
        };
        assert_eq!(
            got, expected,
            "{path}: the trap is not what this test assumes"
        );
    }
}
