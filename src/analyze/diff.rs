//! The semantic view of `aaprove diff`: for every permission letter and
//! half, the paths a new profile allows that a base profile does not, and
//! the reverse, computed on automata; with the rule view
//! ([`super::rule_diff`]) and the non-file rules ([`super::other_rules`])
//! it makes up the whole diff.
//!
//! # Regions
//!
//! A *slice* is one permission letter in one half (`w` for the owner). For
//! each slice the diff takes the product of the two profiles' permission
//! automata and keeps, inside the *scope* (the paths the kernel looks up,
//! restricted to the `--within` pattern when one is given):
//!
//! - [`Change::Gained`]: the paths where the new profile allows the letter
//!   and the base profile does not;
//! - [`Change::Lost`]: the reverse;
//! - [`Change::ExecChanged`] (for `x` only): the paths where both allow
//!   `x` but with different exec modes or targets.
//!
//! Each non-empty set is a *region*. Regions of one kind with the same set
//! of paths (typically `w` and `a`, or the owner and the other half) are
//! grouped into one, which keeps the output short; the grouping compares
//! the automata, so grouped slices differ on exactly the same paths.
//!
//! Invariants: a region is never empty; the slices of different regions of
//! one kind never overlap; two profiles are equivalent on files exactly
//! when there is no region, which is decided on the automata and never by
//! sampling paths. The inventory of real paths only chooses witnesses,
//! counts real paths, and seeds the summary patterns, each of which is
//! proven inside its region (see [`summary`]).
//!
//! The rules shown for a witness are those the explain engine
//! ([`super::explain`]) names as deciding each slice. When a side's deny
//! rules carry comments with a checkable claim ([`crate::claim`]), each
//! region also says where such a rule does not do what its comment says
//! inside the region ([`deviation`]), and which witnesses lie there.

pub mod deviation;
pub mod summary;

use std::fmt;

use crate::analyze::explain::Explainer;
use crate::analyze::map::MapAccess;
use crate::analyze::other_rules::{OtherRulesDiff, diff_other_rules};
use crate::analyze::query::{PermissionDecision, decide};
use crate::analyze::rule_diff::{RuleChange, diff_file_rules};
use crate::analyze::witness;
use crate::claim::RuleClaim;
use crate::compile::{
    CompileError, Dfa, Half, HalfPermissions, Limits, PathPermissions, PermissionAutomaton,
};
use crate::model::{FilePerms, Profile};

pub use self::deviation::{Deviation, Direction};
pub use crate::analyze::witness::{Inventory, PatternSetError, SetSize, WitnessPath, display_path};

/// Every permission letter a file rule can give: `rwalkmx`.
pub const ALL_PERMS: FilePerms = FilePerms(0x7f);

/// What to compare.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DiffOptions {
    /// The permission letters compared, each on its own.
    pub perms: FilePerms,
    /// When given, only the paths this pattern matches are compared.
    pub within: Option<String>,
    pub limits: Limits,
}

impl Default for DiffOptions {
    fn default() -> DiffOptions {
        DiffOptions {
            perms: ALL_PERMS,
            within: None,
            limits: Limits::default(),
        }
    }
}

/// Which profile of the two.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Side {
    Base,
    New,
}

impl Side {
    pub fn name(self) -> &'static str {
        match self {
            Side::Base => "base",
            Side::New => "new",
        }
    }
}

/// What differs on the paths of a region.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Change {
    /// The new profile allows the letter, the base profile does not.
    Gained,
    /// The base profile allows the letter, the new profile does not.
    Lost,
    /// Both allow `x`, with different exec modes or targets.
    ExecChanged,
}

/// One permission letter in one half: the unit the diff compares.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Slice {
    /// Exactly one letter.
    pub perm: FilePerms,
    pub half: Half,
}

impl Slice {
    /// The slices of `perms`, in `rwalkmx` order, the owner half first.
    pub fn all(perms: FilePerms) -> Vec<Slice> {
        let letters = FilePerms::LETTERS
            .iter()
            .filter(|(_, bit)| perms.contains(*bit));
        letters
            .flat_map(|&(_, perm)| Half::BOTH.map(|half| Slice { perm, half }))
            .collect()
    }

    /// What `permissions` decides for this slice.
    pub fn access(self, permissions: &PathPermissions) -> MapAccess {
        access(permissions.half(self.half), self.perm)
    }
}

/// What one half decides for `perms`, as `query` decides it
/// ([`decide`]), in the words of `map`: allowed, explicitly denied, or no
/// rule (denied without a rule saying so).
pub fn access(half: &HalfPermissions, perms: FilePerms) -> MapAccess {
    match decide(half, perms) {
        PermissionDecision::Allow => MapAccess::Allow,
        PermissionDecision::Deny => MapAccess::Deny,
        PermissionDecision::None => MapAccess::NoRule,
    }
}

/// What one profile decides for a witness.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SideVerdict {
    /// The decision for each slice of the region, in slice order.
    pub access: Vec<MapAccess>,
    /// For `x` slices the profile allows: the exec mode as written (`ix`,
    /// `Px`, ...) with ` -> target` for a named target.
    pub exec: Option<String>,
    /// The rules deciding the slices (indices into `profile.file_rules`,
    /// sorted): those allowing the letters where allowed, those denying
    /// them where denied; none where no rule matches.
    pub rules: Vec<usize>,
}

/// A path of a region, with what each side decides for it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RegionWitness {
    pub path: Vec<u8>,
    /// True when the path comes from the inventory of real paths.
    pub real: bool,
    pub base: SideVerdict,
    pub new: SideVerdict,
    /// The deviations of the region ([`Region::deviations`], by index)
    /// whose paths hold this witness.
    pub deviations: Vec<usize>,
}

/// The paths on which the two profiles differ in one way, for one or more
/// slices.
#[derive(Clone, Debug)]
pub struct Region {
    pub change: Change,
    /// The slices that differ on exactly these paths, in slice order.
    pub slices: Vec<Slice>,
    /// The minimal automaton of the region's paths.
    pub set: Dfa<bool>,
    /// How many paths the region holds, counted on its automaton.
    pub size: SetSize,
    /// How many paths of the inventory lie in the region.
    pub real_count: usize,
    /// Patterns, each proven to match only paths of the region.
    pub summary: Vec<String>,
    /// True when the summary patterns together match every path of the
    /// region.
    pub summary_complete: bool,
    /// Real paths first, then the shortest paths of the automaton.
    pub witnesses: Vec<RegionWitness>,
    /// Where a commented deny rule of either side does not do what its
    /// comment says, inside the region: base side first, in rule order.
    pub deviations: Vec<Deviation>,
}

/// Everything `aaprove diff` reports about two profiles.
#[derive(Clone, Debug)]
pub struct ProfileDiff {
    /// The semantic view of file rules; empty when equivalent on files.
    pub regions: Vec<Region>,
    /// The rule view: file rules as written.
    pub rule_changes: Vec<RuleChange>,
    pub other_rules: OtherRulesDiff,
}

impl ProfileDiff {
    /// True when the file rules of both sides decide every compared slice
    /// alike on every path of the scope.
    pub fn files_equivalent(&self) -> bool {
        self.regions.is_empty()
    }

    /// True when neither files nor non-file rules differ. (The rule view
    /// does not count: rules written differently may mean the same.)
    pub fn equivalent(&self) -> bool {
        let other = &self.other_rules;
        self.files_equivalent() && other.only_in_base.is_empty() && other.only_in_new.is_empty()
    }
}

/// Why two profiles could not be compared.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DiffError {
    /// One side's file rules do not compile.
    Compile { side: Side, error: CompileError },
    /// The `within` pattern is invalid.
    Within {
        pattern: String,
        error: PatternSetError,
    },
    /// An automaton of the comparison grew past the limits.
    TooLarge(CompileError),
}

impl fmt::Display for DiffError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DiffError::Compile { side, error } => {
                write!(f, "the {} profile does not compile: {error}", side.name())
            }
            DiffError::Within { pattern, error } => {
                write!(f, "invalid `--within` pattern `{pattern}`: {error}")
            }
            DiffError::TooLarge(error) => write!(f, "cannot compare the profiles: {error}"),
        }
    }
}

impl std::error::Error for DiffError {}

/// A profile to compare, with the claims its deny rules' comments make
/// (none when the profile is given alone).
#[derive(Clone, Copy, Debug)]
pub struct DiffInput<'a> {
    pub profile: &'a Profile,
    pub claims: &'a [RuleClaim],
}

impl<'a> From<&'a Profile> for DiffInput<'a> {
    fn from(profile: &'a Profile) -> DiffInput<'a> {
        DiffInput {
            profile,
            claims: &[],
        }
    }
}

/// A profile with its permission automaton and its rules' claims.
#[derive(Clone, Copy, Debug)]
pub struct Compiled<'a> {
    pub profile: &'a Profile,
    pub automaton: &'a PermissionAutomaton,
    pub claims: &'a [RuleClaim],
}

/// Compares two profiles: the semantic view of their file rules, the rule
/// view, and their non-file rules.
pub fn diff_profiles<'a>(
    base: impl Into<DiffInput<'a>>,
    new: impl Into<DiffInput<'a>>,
    options: &DiffOptions,
    inventory: &Inventory,
) -> Result<ProfileDiff, DiffError> {
    let (base, new) = (base.into(), new.into());
    let build = |input: DiffInput, side| {
        PermissionAutomaton::build(input.profile, &options.limits)
            .map_err(|error| DiffError::Compile { side, error })
    };
    let base_automaton = build(base, Side::Base)?;
    let new_automaton = build(new, Side::New)?;
    let base = Compiled {
        profile: base.profile,
        automaton: &base_automaton,
        claims: base.claims,
    };
    let new = Compiled {
        profile: new.profile,
        automaton: &new_automaton,
        claims: new.claims,
    };
    Ok(ProfileDiff {
        regions: file_regions(base, new, options, inventory)?,
        rule_changes: diff_file_rules(&base.profile.file_rules, &new.profile.file_rules),
        other_rules: diff_other_rules(&base.profile.other_rules, &new.profile.other_rules),
    })
}

/// The paths the comparison looks at: the path universe, within the
/// `within` pattern when one is given.
pub fn scope(options: &DiffOptions) -> Result<Dfa<bool>, DiffError> {
    let limits = &options.limits;
    let universe = witness::path_universe(limits);
    let Some(pattern) = &options.within else {
        return Ok(universe);
    };
    let within = witness::pattern_set(pattern, limits).map_err(|error| DiffError::Within {
        pattern: pattern.clone(),
        error,
    })?;
    witness::intersection(&universe, &within, limits).map_err(DiffError::TooLarge)
}

/// The regions where `base` and `new` differ on files, grouped, ordered by
/// kind and then by their first slice, each described.
pub fn file_regions(
    base: Compiled,
    new: Compiled,
    options: &DiffOptions,
    inventory: &Inventory,
) -> Result<Vec<Region>, DiffError> {
    let limits = &options.limits;
    let scope = scope(options)?;
    let mut groups: Vec<Group> = Vec::new();
    for slice in Slice::all(options.perms) {
        for (change, set) in slice_sets(base, new, slice, &scope, limits)? {
            if !witness::is_empty(&set) {
                add_to_groups(&mut groups, change, slice, set, limits)?;
            }
        }
    }
    groups.sort_by_key(|group| group.change);
    let universe = witness::path_universe(limits);
    let deviations = claim_deviations(base, new, &universe, limits)?;
    let describe = |group| {
        let region = describe_region(group, base, new, &universe, inventory, limits)?;
        with_deviations(region, &deviations, inventory, limits)
    };
    groups.into_iter().map(describe).collect()
}

/// Where the claimed rules of both sides depart from their comments, on
/// the whole path universe: base side first.
fn claim_deviations(
    base: Compiled,
    new: Compiled,
    universe: &Dfa<bool>,
    limits: &Limits,
) -> Result<Vec<deviation::RuleDeviation>, DiffError> {
    let mut found = Vec::new();
    for (side, compiled) in [(Side::Base, base), (Side::New, new)] {
        let of_side =
            deviation::rule_deviations(side, compiled.profile, compiled.claims, universe, limits);
        found.extend(of_side.map_err(DiffError::TooLarge)?);
    }
    Ok(found)
}

/// `region` with the deviations inside it, and each witness marked with
/// those holding it.
fn with_deviations(
    mut region: Region,
    deviations: &[deviation::RuleDeviation],
    inventory: &Inventory,
    limits: &Limits,
) -> Result<Region, DiffError> {
    let found = deviation::in_region(deviations, &region.slices, &region.set, inventory, limits);
    region.deviations = found.map_err(DiffError::TooLarge)?;
    for witness in &mut region.witnesses {
        let holds = |(_, d): &(usize, &Deviation)| *d.set.classify(&witness.path);
        let held = region.deviations.iter().enumerate().filter(holds);
        witness.deviations = held.map(|(index, _)| index).collect();
    }
    Ok(region)
}

/// Slices of one kind that differ on the same paths.
struct Group {
    change: Change,
    slices: Vec<Slice>,
    set: Dfa<bool>,
}

/// The gained, lost and (for `x`) exec-changed paths of one slice, inside
/// `scope`.
fn slice_sets(
    base: Compiled,
    new: Compiled,
    slice: Slice,
    scope: &Dfa<bool>,
    limits: &Limits,
) -> Result<Vec<(Change, Dfa<bool>)>, DiffError> {
    let base_allowed = base.automaton.allowed(slice.perm, slice.half);
    let new_allowed = new.automaton.allowed(slice.perm, slice.half);
    let inside =
        |set: Dfa<bool>| witness::intersection(&set, scope, limits).map_err(DiffError::TooLarge);
    let product = |keep: fn(bool, bool) -> bool| {
        let both = new_allowed.product(&base_allowed, limits, |n, b| keep(*n, *b));
        inside(both.map_err(DiffError::TooLarge)?)
    };
    let mut sets = vec![
        (Change::Gained, product(|new, base| new && !base)?),
        (Change::Lost, product(|new, base| base && !new)?),
    ];
    if slice.perm == FilePerms::EXEC {
        let base_exec = exec_automaton(base.automaton, slice.half);
        let new_exec = exec_automaton(new.automaton, slice.half);
        let changed = new_exec.product(&base_exec, limits, |n, b| {
            n.is_some() && b.is_some() && n != b
        });
        sets.push((
            Change::ExecChanged,
            inside(changed.map_err(DiffError::TooLarge)?)?,
        ));
    }
    Ok(sets)
}

/// The automaton labelled with each path's exec mode in `half` (as
/// written, with the named target), `None` where `x` is not allowed.
fn exec_automaton(automaton: &PermissionAutomaton, half: Half) -> Dfa<Option<String>> {
    automaton.automaton(|permissions| exec_text(automaton, permissions.half(half)))
}

/// The exec mode of an allowed `x` as written: `ix`, `Px`, `Px -> name`.
fn exec_text(automaton: &PermissionAutomaton, half: &HalfPermissions) -> Option<String> {
    let exec = half.exec?;
    let mode = exec.mode_text();
    Some(match automaton.exec_target(exec.target()) {
        Some(target) => format!("{mode} -> {target}"),
        None => mode,
    })
}

/// Adds `set` to the group of its kind with the same paths, or starts a
/// new group.
fn add_to_groups(
    groups: &mut Vec<Group>,
    change: Change,
    slice: Slice,
    set: Dfa<bool>,
    limits: &Limits,
) -> Result<(), DiffError> {
    for group in groups.iter_mut().filter(|group| group.change == change) {
        let differ = group.set.product(&set, limits, |a, b| a != b);
        if witness::is_empty(&differ.map_err(DiffError::TooLarge)?) {
            group.slices.push(slice);
            return Ok(());
        }
    }
    groups.push(Group {
        change,
        slices: vec![slice],
        set,
    });
    Ok(())
}

fn describe_region(
    group: Group,
    base: Compiled,
    new: Compiled,
    universe: &Dfa<bool>,
    inventory: &Inventory,
    limits: &Limits,
) -> Result<Region, DiffError> {
    let description =
        summary::describe(&group.set, universe, inventory, limits).map_err(DiffError::TooLarge)?;
    let witnesses = description
        .witnesses
        .into_iter()
        .map(|witness| RegionWitness {
            base: verdict(base, &witness.path, &group.slices),
            new: verdict(new, &witness.path, &group.slices),
            path: witness.path,
            real: witness.real,
            deviations: Vec::new(),
        })
        .collect();
    Ok(Region {
        change: group.change,
        slices: group.slices,
        set: group.set,
        size: description.size,
        real_count: description.real_count,
        summary: description.summary,
        summary_complete: description.summary_complete,
        witnesses,
        deviations: Vec::new(),
    })
}

/// What `side` decides for `path` in each of `slices`, and which rules
/// decide it, as the explain engine finds them.
pub fn verdict(side: Compiled, path: &[u8], slices: &[Slice]) -> SideVerdict {
    let explainer = Explainer::new(side.profile, side.automaton).without_alternatives();
    let explanation = explainer.explain(path);
    let permissions = &explanation.permissions;
    let access: Vec<MapAccess> = slices.iter().map(|s| s.access(permissions)).collect();
    let exec_slice = slices.iter().find(|s| s.perm == FilePerms::EXEC);
    let exec = exec_slice.and_then(|s| exec_text(side.automaton, permissions.half(s.half)));
    let mut rules: Vec<usize> = slices
        .iter()
        .flat_map(|slice| explanation.deciding_rules(slice.half, slice.perm))
        .collect();
    rules.sort_unstable();
    rules.dedup();
    SideVerdict {
        access,
        exec,
        rules,
    }
}

#[cfg(test)]
mod tests;
