//! Where a deny rule of either side does not do what its trailing comment
//! says, inside a region of the diff.
//!
//! For a deny rule whose comment has a checkable [`Claim`], two sets are
//! computed on automata, over the path universe: the paths the comment
//! says the rule denies that its pattern does not match, and the paths in
//! the claim's scope the comment says are not denied that the pattern
//! matches. A region reports each set's part inside it, for the rules
//! that deny one of the region's permission letters in one of its halves.
//! As everywhere in `diff`, the inventory only counts real paths and picks
//! examples; the sets come from the automata.

use crate::analyze::witness::{self, Inventory, WitnessPath};
use crate::claim::{Claim, RuleClaim};
use crate::compile::{CompileError, Dfa, Half, Limits};
use crate::model::{FilePerms, FileRule, Profile};

use super::{Side, Slice};

/// Example paths a deviation shows at most.
const MAX_EXAMPLES: usize = 4;

/// Which way a rule departs from its comment.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Direction {
    /// The comment says the rule denies these paths; its pattern does not
    /// match them.
    Unmatched,
    /// The comment says these paths are not denied; the pattern matches
    /// them.
    Matched,
}

impl Direction {
    pub fn name(self) -> &'static str {
        match self {
            Direction::Unmatched => "unmatched",
            Direction::Matched => "matched",
        }
    }
}

/// The paths of a region where one rule does not do what its comment
/// says, in one direction.
#[derive(Clone, Debug)]
pub struct Deviation {
    pub side: Side,
    /// The rule's index in the side's `profile.file_rules`.
    pub rule: usize,
    /// The rule's trailing comment, without the `#`.
    pub comment: String,
    pub direction: Direction,
    /// The deviating paths inside the region; never empty.
    pub set: Dfa<bool>,
    /// How many paths of the inventory lie in `set`.
    pub real_count: usize,
    /// Real paths first (one per directory before a second), then the
    /// shortest paths of `set`.
    pub examples: Vec<WitnessPath>,
}

/// Where one rule departs from its comment, on the whole path universe.
pub struct RuleDeviation {
    side: Side,
    rule: usize,
    comment: String,
    /// The halves and letters the rule denies.
    halves: &'static [Half],
    perms: FilePerms,
    direction: Direction,
    set: Dfa<bool>,
}

/// Every nonempty deviation of the claimed rules of `profile`. A claim
/// whose patterns do not compile is skipped: its comment cannot be read
/// as a set of paths.
pub fn rule_deviations(
    side: Side,
    profile: &Profile,
    claims: &[RuleClaim],
    universe: &Dfa<bool>,
    limits: &Limits,
) -> Result<Vec<RuleDeviation>, CompileError> {
    let mut found = Vec::new();
    for claimed in claims {
        let rule = &profile.file_rules[claimed.rule];
        let Some(sets) = claim_sets(&claimed.claim, &rule.pattern, universe, limits) else {
            log::info!("the claim of `{}` does not compile", claimed.comment);
            continue;
        };
        for (direction, set) in deviation_sets(&sets, limits)? {
            if !witness::is_empty(&set) {
                found.push(RuleDeviation {
                    side,
                    rule: claimed.rule,
                    comment: claimed.comment.clone(),
                    halves: Half::of_rule(rule.qualifiers.owner),
                    perms: denied_perms(rule),
                    direction,
                    set,
                });
            }
        }
    }
    Ok(found)
}

/// A claim's scope and claimed set, and the rule pattern's paths, each
/// on the path universe.
struct ClaimSets {
    scope: Dfa<bool>,
    claimed: Dfa<bool>,
    pattern: Dfa<bool>,
}

fn claim_sets(
    claim: &Claim,
    pattern: &str,
    universe: &Dfa<bool>,
    limits: &Limits,
) -> Option<ClaimSets> {
    let paths = |text: &str| {
        let set = witness::pattern_set(text, limits).ok()?;
        Some(
            witness::intersection(&set, universe, limits)
                .ok()?
                .minimize(),
        )
    };
    Some(ClaimSets {
        scope: paths(&claim.scope)?,
        claimed: claim.claimed_set(paths, limits)?,
        pattern: paths(pattern)?,
    })
}

/// The claimed paths the pattern misses, and the paths of the scope the
/// pattern matches although the claim leaves them out.
fn deviation_sets(
    sets: &ClaimSets,
    limits: &Limits,
) -> Result<[(Direction, Dfa<bool>); 2], CompileError> {
    let unmatched = witness::difference(&sets.claimed, &sets.pattern, limits)?;
    let in_scope = witness::intersection(&sets.pattern, &sets.scope, limits)?;
    let matched = witness::difference(&in_scope, &sets.claimed, limits)?;
    Ok([
        (Direction::Unmatched, unmatched.minimize()),
        (Direction::Matched, matched.minimize()),
    ])
}

/// The letters a deny rule denies on its paths: `w` brings `a`, as the
/// compiler merges them.
fn denied_perms(rule: &FileRule) -> FilePerms {
    if rule.perms.contains(FilePerms::WRITE) {
        rule.perms.union(FilePerms::APPEND)
    } else {
        rule.perms
    }
}

/// The deviations inside a region of `slices` whose paths are `region`:
/// those of rules denying one of its slices, in the order given.
pub fn in_region(
    deviations: &[RuleDeviation],
    slices: &[Slice],
    region: &Dfa<bool>,
    inventory: &Inventory,
    limits: &Limits,
) -> Result<Vec<Deviation>, CompileError> {
    let mut found = Vec::new();
    for deviation in deviations {
        let applies = |slice: &Slice| {
            deviation.perms.contains(slice.perm) && deviation.halves.contains(&slice.half)
        };
        if !slices.iter().any(applies) {
            continue;
        }
        let set = witness::intersection(&deviation.set, region, limits)?.minimize();
        if witness::is_empty(&set) {
            continue;
        }
        let real: Vec<&[u8]> = inventory.members(&set).collect();
        found.push(Deviation {
            side: deviation.side,
            rule: deviation.rule,
            comment: deviation.comment.clone(),
            direction: deviation.direction,
            examples: examples(&set, &real),
            real_count: real.len(),
            set,
        });
    }
    Ok(found)
}

/// Up to [`MAX_EXAMPLES`] paths of `set`: real ones first (files before
/// directories, shallow before deep, at most two of one directory before
/// a third), then the shortest.
fn examples(set: &Dfa<bool>, real: &[&[u8]]) -> Vec<WitnessPath> {
    let directory = |path: &[u8]| {
        let name = path.strip_suffix(b"/").unwrap_or(path);
        name[..name.iter().rposition(|&b| b == b'/').unwrap_or(0)].to_vec()
    };
    let mut sorted = real.to_vec();
    sorted.sort_by_key(|path| {
        (
            path.ends_with(b"/"),
            path.iter().filter(|&&b| b == b'/').count(),
        )
    });
    let mut seen: std::collections::HashMap<Vec<u8>, usize> = Default::default();
    let (mut picked, rest): (Vec<&[u8]>, Vec<&[u8]>) = sorted.into_iter().partition(|path| {
        let count = seen.entry(directory(path)).or_default();
        *count += 1;
        *count <= 2
    });
    picked.extend(rest);
    let mut examples: Vec<WitnessPath> = picked
        .into_iter()
        .take(MAX_EXAMPLES)
        .map(|path| WitnessPath {
            path: path.to_vec(),
            real: true,
        })
        .collect();
    let wanted = MAX_EXAMPLES - examples.len();
    let shortest = set.witnesses(MAX_EXAMPLES, |accepted| *accepted);
    let fresh = shortest
        .into_iter()
        .filter(|path| !real.contains(&path.as_slice()));
    examples.extend(
        fresh
            .take(wanted)
            .map(|path| WitnessPath { path, real: false }),
    );
    examples
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::claim;

    /// The deviations of one commented deny rule on the whole universe,
    /// as (direction, paths in the set) for a few paths.
    fn deviations(rule: &str, comment: &str) -> Vec<(Direction, Dfa<bool>)> {
        let limits = Limits::default();
        let universe = witness::path_universe(&limits);
        let claim = claim::parse(comment).unwrap();
        let sets = claim_sets(&claim, rule, &universe, &limits).unwrap();
        let found = deviation_sets(&sets, &limits).unwrap();
        found
            .into_iter()
            .filter(|(_, set)| !witness::is_empty(set))
            .collect()
    }

    #[test]
    fn finds_both_directions_of_the_seed_rule() {
        let found = deviations(
            "/proc/sys/kernel/{?,??,[^n][^s]*}",
            "deny everything except shm* and ns*(ns_last_pid) in /proc/sys/kernel/",
        );
        let directions: Vec<Direction> = found.iter().map(|(d, _)| *d).collect();
        assert_eq!(directions, [Direction::Unmatched, Direction::Matched]);
        let cases: &[(usize, &str, bool)] = &[
            (0, "/proc/sys/kernel/osrelease", true),
            (0, "/proc/sys/kernel/msgmax", true),
            (0, "/proc/sys/kernel/keys/maxkeys", true),
            (0, "/proc/sys/kernel/ns_last_pid", false),
            (0, "/proc/sys/kernel/shmmax", false),
            (1, "/proc/sys/kernel/shmmax", true),
            (1, "/proc/sys/kernel/sem", false),
            (1, "/proc/sys/kernel/ns_last_pid", false),
        ];
        for &(index, path, expected) in cases {
            let set = &found[index].1;
            assert_eq!(*set.classify(path.as_bytes()), expected, "{path}");
        }
    }

    #[test]
    fn a_pattern_that_does_what_its_comment_says_has_none() {
        let cases = [
            (
                "/proc/sys/kernel/{[^n/]*,n,n[^s/]*}{,/**}",
                "deny everything except ns* in /proc/sys/kernel",
            ),
            ("/proc/*", "deny write for all files directly in /proc"),
        ];
        for (rule, comment) in cases {
            assert!(deviations(rule, comment).is_empty(), "{rule}");
        }
    }
}
