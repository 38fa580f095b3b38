//! `aaprove diff docker-default profiles/docker_allow_checkpoint.profile`:
//! the regions reported are exactly where the two profiles' compiled
//! policies differ, checked against `apparmor_parser`; and the report, read
//! as a whole, in a snapshot.

mod cli_support;
mod support;

use aaprove::analyze::diff::{Change, DiffOptions, Inventory, ProfileDiff, diff_profiles};
use aaprove::analyze::witness as summary;
use aaprove::builtin;
use aaprove::compile::{Half, Limits, PermissionAutomaton};
use aaprove::model::{FilePerms, Profile};
use aaprove::resolve::{self, Input, ResolveOptions};
use cli_support::aaprove;
use support::oracle::{self, CompiledPolicy};

const SEED: &str = "profiles/docker_allow_checkpoint.profile";
const INVENTORIES: [&str; 3] = ["proc-sys.txt", "proc.txt", "sys.txt"];

fn read(path: &str) -> String {
    let full = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(path);
    std::fs::read_to_string(&full).unwrap_or_else(|e| panic!("{}: {e}", full.display()))
}

/// The profile of `text`, resolved as `aaprove` does (system includes).
fn resolve(name: &str, text: &str) -> Profile {
    let options = ResolveOptions {
        include_dirs: Vec::new(),
        use_system_dir: true,
        base_dir: None,
    };
    let input = Input::Text {
        name: name.to_string(),
        text: text.to_string(),
    };
    let mut resolved = resolve::load(input, &options);
    assert!(
        !resolved.has_errors(),
        "{name}: {:#?}",
        resolved.diagnostics
    );
    resolved.profiles.remove(0)
}

fn seed_texts() -> (String, String) {
    let base = builtin::profile_text("docker-default").unwrap().to_string();
    (base, read(SEED))
}

fn seed_diff(perms: &str) -> ProfileDiff {
    let (base, new) = seed_texts();
    let options = DiffOptions {
        perms: FilePerms::from_letters(perms).unwrap(),
        ..DiffOptions::default()
    };
    let (base, new) = (resolve("docker-default", &base), resolve(SEED, &new));
    diff_profiles(&base, &new, &options, &Inventory::builtin()).unwrap()
}

#[test]
fn write_differs_in_one_gained_and_one_lost_region() {
    let diff = seed_diff("w");
    let kinds: Vec<(Change, usize)> = diff
        .regions
        .iter()
        .map(|region| (region.change, region.slices.len()))
        .collect();
    assert_eq!(kinds, [(Change::Gained, 2), (Change::Lost, 2)]);
    for region in &diff.regions {
        assert!(region.slices.iter().all(|s| s.perm == FilePerms::WRITE));
    }
}

/// Each side's permission automaton is the parser's DFA, on every path
/// (not only sampled ones); so the regions, computed from the automata,
/// are the exact difference of the two compiled policies. The inventory
/// check then compares region membership with the parser's lookups
/// directly, path by path.
#[test]
fn regions_are_the_difference_of_the_compiled_policies() {
    if !oracle::available("regions_are_the_difference_of_the_compiled_policies") {
        return;
    }
    let (base_text, new_text) = seed_texts();
    let base_policy = CompiledPolicy::compile(&base_text).expect("docker-default compiles");
    let new_policy = CompiledPolicy::compile(&new_text).expect("the seed compiles");
    let sides = [
        ("docker-default", &base_text, &base_policy),
        (SEED, &new_text, &new_policy),
    ];
    for (name, text, policy) in sides {
        let automaton = PermissionAutomaton::build(&resolve(name, text), &Limits::default());
        let ours = automaton.unwrap().permissions_automaton();
        if let Err(difference) = policy.equivalent(&ours, false, |a, b, _| a == b) {
            panic!("{name}: aaprove and apparmor_parser differ: {difference:?}");
        }
    }

    let diff = seed_diff("w");
    let region = |change| diff.regions.iter().find(|r| r.change == change).unwrap();
    let (gained, lost) = (region(Change::Gained), region(Change::Lost));
    let mut checked = 0;
    for inventory in INVENTORIES {
        for path in read(&format!("fixtures/inventory/{inventory}")).lines() {
            let (base, new) = (
                base_policy.lookup(path.as_bytes()),
                new_policy.lookup(path.as_bytes()),
            );
            for half in Half::BOTH {
                let allows = |p: &aaprove::compile::PathPermissions| {
                    p.half(half).allow.contains(FilePerms::WRITE)
                };
                let (base, new) = (allows(&base), allows(&new));
                assert_eq!(
                    *gained.set.classify(path.as_bytes()),
                    new && !base,
                    "{path}"
                );
                assert_eq!(*lost.set.classify(path.as_bytes()), base && !new, "{path}");
            }
            checked += 1;
        }
    }
    assert_eq!(checked, 1392 + 483 + 17013);
}

/// Where the seed's glob does not do what its comment says, the report
/// shows it: `shm*` is denied by the very rule whose comment promises it,
/// and names the comment says are denied (`ngroups_max`, `osrelease`, the
/// subdirectories) are allowed.
#[test]
fn the_report_shows_where_the_seed_deviates_from_its_comment() {
    let run = aaprove(&["diff", "docker-default", SEED, "--perm", "w"], "");
    assert_eq!(run.code, 1, "{}", run.stderr);
    let lost = run
        .stdout
        .split("- w (owner, other): allowed by base only")
        .nth(1);
    let lost = lost.expect("a lost region");
    // Every `s*` name of three or more bytes but `ss*`: `shm*` among them.
    assert!(lost.contains("      /proc/sys/kernel/s[^s/]?*\n"), "{lost}");
    let comment = "# deny everything except shm* and ns*(ns_last_pid) in /proc/sys/kernel/";
    let shm_witness = lost
        .split("/proc/sys/kernel/shmall (real path)")
        .nth(1)
        .unwrap();
    let new_line = shm_witness.lines().nth(2).unwrap();
    assert!(
        new_line.trim_start().starts_with("new   deny"),
        "{new_line}"
    );
    assert!(new_line.ends_with(comment), "{new_line}");

    let diff = seed_diff("w");
    let gained = diff
        .regions
        .iter()
        .find(|r| r.change == Change::Gained)
        .unwrap();
    for path in ["ngroups_max", "osrelease", "keys/", "keys/maxkeys"] {
        let path = format!("/proc/sys/kernel/{path}");
        assert!(*gained.set.classify(path.as_bytes()), "{path}");
    }
    let lost = diff
        .regions
        .iter()
        .find(|r| r.change == Change::Lost)
        .unwrap();
    assert!(*lost.set.classify(b"/proc/sys/kernel/shmmax"));
    // The change the seed is for: docker-default denies it.
    assert!(*gained.set.classify(b"/proc/sys/kernel/ns_last_pid"));
}

#[test]
fn text_report() {
    let run = aaprove(&["diff", "docker-default", SEED, "--perm", "w"], "");
    insta::assert_snapshot!(run.transcript());
}

#[test]
fn json_report() {
    let run = aaprove(
        &[
            "diff",
            "--format",
            "json",
            "docker-default",
            SEED,
            "--perm",
            "w",
            "--within",
            "/proc/sys/kernel/s*",
        ],
        "",
    );
    assert_eq!(run.code, 1, "{}", run.stderr);
    let report: serde_json::Value = serde_json::from_str(&run.stdout).expect("one JSON document");
    insta::assert_json_snapshot!(report);
}

#[test]
fn exit_codes_follow_diff() {
    let cases: &[(&[&str], i32)] = &[
        (&["diff", "docker-default", "docker-default"], 0),
        (&["diff", "-q", "docker-default", SEED, "--perm", "w"], 1),
        (
            &[
                "diff",
                "docker-default",
                SEED,
                "--perm",
                "w",
                "--within",
                "/sys/**",
            ],
            1,
        ),
        (&["diff", "docker-default", "no/such.profile"], 2),
        (&["diff", "docker-default", SEED, "--perm", "q"], 2),
        (&["diff", "docker-default", SEED, "--within", "/a/{"], 2),
        (&["diff", "--format", "sarif", "docker-default", SEED], 2),
    ];
    for (args, code) in cases {
        let run = aaprove(args, "");
        assert_eq!(run.code, *code, "{args:?}: {}", run.stderr);
    }
    let quiet = aaprove(&["diff", "-q", "docker-default", SEED], "");
    assert_eq!((quiet.stdout.as_str(), quiet.stderr.as_str()), ("", ""));
}

/// The summary patterns are inside their region, checked here again on
/// the automata, and when the report says they cover the region, their
/// union is the region.
#[test]
fn summaries_are_inside_their_regions_and_cover_them() {
    let limits = Limits::default();
    let universe = summary::path_universe(&limits);
    let diff = seed_diff("w");
    for region in &diff.regions {
        let mut union = universe.map(|_| false);
        for pattern in &region.summary {
            let set = summary::pattern_set(pattern, &limits).unwrap();
            let set = summary::intersection(&set, &universe, &limits).unwrap();
            let outside = summary::difference(&set, &region.set, &limits).unwrap();
            assert!(summary::is_empty(&outside), "{pattern} leaves the region");
            union = union.product(&set, &limits, |a, b| *a || *b).unwrap();
        }
        assert!(region.summary_complete, "{:?}", region.summary);
        let missed = summary::difference(&region.set, &union, &limits).unwrap();
        assert!(summary::is_empty(&missed));
    }
}
