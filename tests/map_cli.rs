//! `aaprove map`: the tree of an inventory for one profile and for two
//! (snapshots), every entry's decision against `apparmor_parser`, and the
//! walk of a live directory with its bounds.

mod cli_support;
mod support;

use std::path::{Path, PathBuf};

use aaprove::model::FilePerms;
use cli_support::aaprove;
use support::oracle::{self, CompiledPolicy};

const SEED: &str = "profiles/docker_allow_checkpoint.profile";
const PROC_SYS: &str = "fixtures/inventory/proc-sys.txt";

#[test]
fn one_profile_over_an_inventory() {
    let run = aaprove(&["map", SEED, "--inventory", PROC_SYS, "--perm", "w"], "");
    insta::assert_snapshot!(run.transcript());
}

#[test]
fn two_profiles_over_an_inventory() {
    let args = [
        "map",
        "docker-default",
        SEED,
        "--inventory",
        PROC_SYS,
        "--perm",
        "w",
    ];
    let run = aaprove(&args, "");
    insta::assert_snapshot!(run.transcript());
}

/// Every inventory entry, found through the line that stands for it (its
/// own, or a folded directory above it), has the decision the parser's
/// compiled policy gives it.
#[test]
fn every_entry_has_the_parsers_decision() {
    if !oracle::available("every_entry_has_the_parsers_decision") {
        return;
    }
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(root.join(SEED)).unwrap();
    let policy = CompiledPolicy::compile(&text).expect("the seed compiles");
    let args = [
        "--format",
        "json",
        "map",
        SEED,
        "--inventory",
        PROC_SYS,
        "--perm",
        "w",
    ];
    let run = aaprove(&args, "");
    assert_eq!(run.code, 0, "{}", run.stderr);
    let map: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    let lines = map["lines"].as_array().unwrap();

    let inventory = std::fs::read_to_string(root.join(PROC_SYS)).unwrap();
    for path in inventory.lines() {
        let line = lines
            .iter()
            .find(|l| {
                l["path"] == path
                    || (l["folded"] == true && path.starts_with(l["path"].as_str().unwrap()))
            })
            .unwrap_or_else(|| panic!("no line stands for {path}"));
        let owner = policy.lookup(path.as_bytes()).owner;
        let expected = if owner.allow.contains(FilePerms::WRITE) {
            "allow"
        } else if owner.deny.contains(FilePerms::WRITE) {
            "deny"
        } else {
            "none"
        };
        assert_eq!(line["decision"], expected, "{path}");
    }
    assert_eq!(map["total"], inventory.lines().count());
}

/// A fresh directory under the target directory, emptied first.
fn scratch_dir(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// `root/` with `a/x`, `a/y`, `deep/1/2/3/f`, `n`, and `link` pointing at
/// `a/` (a symbolic link is an entry, never followed).
fn live_tree(name: &str) -> PathBuf {
    let root = scratch_dir(name);
    for dir in ["a", "deep/1/2/3"] {
        std::fs::create_dir_all(root.join(dir)).unwrap();
    }
    for file in ["a/x", "a/y", "deep/1/2/3/f", "n"] {
        std::fs::write(root.join(file), "").unwrap();
    }
    std::os::unix::fs::symlink(root.join("a"), root.join("link")).unwrap();
    root
}

fn live_profile(root: &Path) -> PathBuf {
    let root = root.display();
    let text = format!(
        "profile live {{\n  /** r,\n  {root}/a/** w,\n  {root}/link w,\n  deny {root}/deep/** w,\n}}\n"
    );
    let file = Path::new(env!("CARGO_TARGET_TMPDIR")).join("map-live.profile");
    std::fs::write(&file, text).unwrap();
    file
}

#[test]
fn a_live_directory_is_walked_within_bounds() {
    let root = live_tree("map-live");
    let profile = live_profile(&root);
    let (root_text, profile_text) = (root.display().to_string(), profile.display().to_string());
    let cases: &[(&str, &[&str])] = &[
        ("whole", &[]),
        ("shallow", &["--max-depth", "2"]),
        ("few", &["--max-entries", "4"]),
    ];
    let mut transcripts = String::new();
    for (name, limits) in cases {
        let mut args = vec!["map", &profile_text, "--root", &root_text, "--perm", "w"];
        args.extend_from_slice(limits);
        let run = aaprove(&args, "");
        assert_eq!(run.code, 0, "{}", run.stderr);
        transcripts.push_str(&format!("== {name}\n{}", run.transcript()));
    }
    insta::assert_snapshot!(transcripts.replace(&root_text, "<ROOT>"));
}

#[test]
fn bad_arguments_are_errors() {
    let cases: &[&[&str]] = &[
        &["map", SEED],
        &["map", SEED, "--root", "/proc", "--inventory", PROC_SYS],
        &["map", SEED, "--root", "no/such/dir"],
        &["map", SEED, "--inventory", PROC_SYS, "--perm", "z"],
        &["map", SEED, "--inventory", "no/such/file"],
        &["map", "no/such.profile", "--inventory", PROC_SYS],
    ];
    for args in cases {
        let run = aaprove(args, "");
        assert_eq!(run.code, 2, "{args:?}: {}", run.stderr);
    }
}
