//! `aaprove diff docker-default profiles/docker_allow_checkpoint.profile`:
//! the regions reported are exactly where the two profiles' compiled
//! policies differ, checked against `apparmor_parser`; and the report, read
//! as a whole, in a snapshot. Where a commented deny rule does not do
//! what its comment says, the report says so, and the parser agrees with
//! what it says about the rule's pattern.

mod cli_support;
mod support;

use aaprove::analyze::diff::{
    Change, Deviation, DiffInput, DiffOptions, Direction, Inventory, ProfileDiff, Region, Side,
    diff_profiles,
};
use aaprove::analyze::witness as summary;
use aaprove::builtin;
use aaprove::claim::{self, RuleClaim};
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
    resolve_with_claims(name, text).0
}

/// The profile of `text` and the claims of its commented deny rules.
fn resolve_with_claims(name: &str, text: &str) -> (Profile, Vec<RuleClaim>) {
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
    let profile = resolved.profiles.remove(0);
    let claims = claim::rule_claims(&profile, &resolved.sources);
    (profile, claims)
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

/// The diff of two profile texts with the claims of their comments, and
/// the new profile.
fn claimed_diff(base: (&str, &str), new: (&str, &str), perms: &str) -> (ProfileDiff, Profile) {
    let options = DiffOptions {
        perms: FilePerms::from_letters(perms).unwrap(),
        ..DiffOptions::default()
    };
    let (base, base_claims) = resolve_with_claims(base.0, base.1);
    let (new, new_claims) = resolve_with_claims(new.0, new.1);
    let input = |profile, claims| DiffInput { profile, claims };
    let diff = diff_profiles(
        input(&base, &base_claims),
        input(&new, &new_claims),
        &options,
        &Inventory::builtin(),
    );
    (diff.unwrap(), new)
}

fn seed_claimed_diff() -> (ProfileDiff, Profile) {
    let (base, new) = seed_texts();
    claimed_diff(("docker-default", &base), (SEED, &new), "w")
}

fn region(diff: &ProfileDiff, change: Change) -> &Region {
    diff.regions.iter().find(|r| r.change == change).unwrap()
}

/// The deviation of the region in `direction` of the new profile's rule
/// on `line`.
fn deviation<'r>(
    region: &'r Region,
    new: &Profile,
    line: &str,
    direction: Direction,
) -> &'r Deviation {
    let found = region.deviations.iter().find(|d| {
        d.side == Side::New && d.direction == direction && new.file_rules[d.rule].pattern == line
    });
    found.unwrap_or_else(|| panic!("{line}: {:#?}", region.deviations))
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

/// The witnesses show the deciding rules with their comments: `shm*` is
/// denied by the very rule whose comment promises it, and names the
/// comment says are denied (`ngroups_max`, `osrelease`, the
/// subdirectories) are allowed.
#[test]
fn the_witnesses_show_the_seed_rule_beside_its_comment() {
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

const SEED_KERNEL_RULE: &str = "/proc/sys/kernel/{?,??,[^n][^s]*}";

/// The gained region holds the names the comment says are denied and the
/// pattern leaves out (`osrelease`, `msgmax`, everything in `keys/`); the
/// lost region the `shm*` names the comment excludes and the pattern
/// denies. Both are said, with the rule's place and real paths.
#[test]
fn the_report_says_where_the_seed_deviates_from_its_comment() {
    let (diff, new) = seed_claimed_diff();
    let gained = region(&diff, Change::Gained);
    let unmatched = deviation(gained, &new, SEED_KERNEL_RULE, Direction::Unmatched);
    let kernel = |name: &str| format!("/proc/sys/kernel/{name}");
    for name in [
        "osrelease",
        "msgmax",
        "keys/",
        "keys/maxkeys",
        "ngroups_max",
    ] {
        assert!(*unmatched.set.classify(kernel(name).as_bytes()), "{name}");
    }
    assert!(!*unmatched.set.classify(b"/proc/sys/kernel/ns_last_pid"));
    assert_eq!(unmatched.real_count, gained.real_count - 1);
    let lost = region(&diff, Change::Lost);
    let matched = deviation(lost, &new, SEED_KERNEL_RULE, Direction::Matched);
    for name in ["shmmax", "shmall", "shmmni", "shm_rmid_forced"] {
        assert!(*matched.set.classify(kernel(name).as_bytes()), "{name}");
    }
    assert!(!*matched.set.classify(b"/proc/sys/kernel/sem"));
    assert!(matched.examples.iter().all(|e| e.real));

    let run = aaprove(&["diff", "docker-default", SEED, "--perm", "w"], "");
    let (gained, lost) = run
        .stdout
        .split_once("- w (owner, other): allowed by base only")
        .unwrap();
    let head = "where the new rule at profiles/docker_allow_checkpoint.profile:21:3 \
does not do what its comment says:";
    let says = [
        (
            gained,
            "the comment says it denies `/proc/sys/kernel/msgmax`, ",
            "; its pattern does not match them (32 real paths of the region)",
        ),
        (
            lost,
            "the comment says it does not deny `/proc/sys/kernel/shmall`, \
`/proc/sys/kernel/shmmax`, ",
            "; its pattern matches them (5 real paths of the region)",
        ),
    ];
    for (text, start, end) in says {
        assert!(text.contains(head), "{text}");
        let line = text.lines().find(|l| l.trim_start().starts_with(start));
        let line = line.unwrap_or_else(|| panic!("{start}: {text}"));
        assert!(line.ends_with(end), "{line}");
    }
    let shm_witness = lost.split("/proc/sys/kernel/shmall (real path)").nth(1);
    let mark = shm_witness.unwrap().lines().nth(3).unwrap().trim();
    let expected = "! the comment of the new rule at profiles/docker_allow_checkpoint.profile:21:3 \
says it does not deny it; its pattern matches it";
    assert_eq!(mark, expected);
}

/// What each deviation says about its rule's pattern is what the parser
/// compiles: a profile of `file,` and the rule alone allows every real
/// path of an `unmatched` set and denies every real path of a `matched`
/// one, and the examples shown, real or not.
#[test]
fn deviations_agree_with_the_parser() {
    if !oracle::available("deviations_agree_with_the_parser") {
        return;
    }
    let (diff, new) = seed_claimed_diff();
    let (base_text, _) = seed_texts();
    let base = resolve("docker-default", &base_text);
    let inventories: Vec<String> = INVENTORIES
        .iter()
        .map(|name| read(&format!("fixtures/inventory/{name}")))
        .collect();
    let mut checked = 0;
    for region in &diff.regions {
        assert!(!region.deviations.is_empty(), "{:?}", region.change);
        for deviation in &region.deviations {
            let profile = match deviation.side {
                Side::Base => &base,
                Side::New => &new,
            };
            let rule = &profile.file_rules[deviation.rule];
            let text = format!("profile t {{\n  file,\n  deny {} w,\n}}\n", rule.pattern);
            let policy = CompiledPolicy::compile(&text).expect("the rule compiles");
            let real = inventories.iter().flat_map(|text| text.lines());
            let real = real.map(|path| path.as_bytes().to_vec());
            let examples = deviation.examples.iter().map(|e| e.path.clone());
            let paths: Vec<Vec<u8>> = real.filter(|p| *deviation.set.classify(p)).collect();
            assert!(paths.len() >= deviation.real_count);
            for path in paths.into_iter().chain(examples) {
                assert!(*region.set.classify(&path), "{path:?} leaves the region");
                let allowed = policy.lookup(&path).half(Half::Owner).allow;
                let denied = !allowed.contains(FilePerms::WRITE);
                let expected = deviation.direction == Direction::Matched;
                assert_eq!(denied, expected, "{}: {path:?}", rule.pattern);
                checked += 1;
            }
        }
    }
    assert!(checked > 50, "{checked}");
}

/// A comment that says what its pattern does gives no statement: not the
/// corrected profile's, nor a pattern written to match its comment.
#[test]
fn a_comment_that_matches_its_pattern_is_not_reported() {
    let run = aaprove(
        &[
            "diff",
            "docker-default",
            "profiles/docker_allow_checkpoint.corrected.profile",
            "--perm",
            "w",
        ],
        "",
    );
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(!run.stdout.contains("where the new rule"), "{}", run.stdout);
    assert!(
        !run.stdout.contains("comment of the new rule"),
        "{}",
        run.stdout
    );

    let base = "profile t {\n  file,\n}\n";
    let new = |pattern: &str| {
        format!(
            "profile t {{\n  file,\n  deny {pattern} w,  # deny everything except ns* in /proc/sys/kernel\n}}\n"
        )
    };
    let exact = new("/proc/sys/kernel/{[^n/]*,n,n[^s/]*}{,/**}");
    let (diff, _) = claimed_diff(("base", base), ("exact", &exact), "w");
    assert_eq!(diff.regions.len(), 1);
    assert!(diff.regions[0].deviations.is_empty());
    let trap = new(SEED_KERNEL_RULE);
    let (diff, _) = claimed_diff(("base", base), ("trap", &trap), "w");
    assert_eq!(diff.regions.len(), 1);
    let directions: Vec<Direction> = diff.regions[0]
        .deviations
        .iter()
        .map(|d| d.direction)
        .collect();
    // The region is what the rule denies: only the matched direction lies in it.
    assert_eq!(directions, [Direction::Matched]);
}
