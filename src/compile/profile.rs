//! The permission automaton of a profile: for every path, what its file
//! rules decide.
//!
//! One DFA holds all file rules of a profile; each state is labelled with
//! the set of rules matching the paths that reach it, and each distinct
//! set with its merged [`PathPermissions`]. This is what the kernel's file
//! table computes, kept with the rule indices so that `explain` can name
//! the deciding rules and `prove`/`diff` can map labels to any question.
//!
//! Rules enter the merge as upstream prepares them (see [`rule_entry`]):
//! `w` brings `a`, `ix`/`pix`/`cix` bring `m`, a deny rule's `l` is left to
//! the link pair and does not touch the path, named exec targets get table
//! indices in upstream's order, and profiles with hats get upstream's
//! implicit `/proc/*/attr/...` rules.

use crate::compile::alternatives::{self, AlternativeMatch};
use crate::compile::dfa::{Dfa, determinize};
use crate::compile::hash::FastMap;
use crate::compile::minimize;
use crate::compile::nfa::{Nfa, NfaBuilder};
use crate::compile::pattern::{self, Ir, Pattern};
use crate::compile::perms::{
    self, EXEC_INHERIT, EXEC_TARGET_CHILD, EXEC_TARGET_FIRST_NAMED, EXEC_TARGET_LAST,
    EXEC_TARGET_PROFILE, EXEC_TARGET_SHIFT, EXEC_TARGET_UNCONFINED, EXEC_UNCONFINED_FALLBACK,
    EXEC_UNSAFE, Half, PathPermissions, RuleEntry,
};
use crate::compile::{CompileError, Limits};
use crate::model::{
    Decision, ExecMode, ExecTransition, FilePerms, FileRule, OwnerQualifier, Profile,
};

/// Where an entry of the automaton came from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum EntrySource {
    /// `profile.file_rules[index]`.
    Rule(usize),
    /// A rule upstream adds by itself, such as the `change_hat` access to
    /// `/proc/*/attr/current`; the text is its pattern.
    Implicit(&'static str),
    /// The link pair `PATH\0TARGET` of `profile.file_rules[index]`, a rule
    /// granting or denying `l`.
    LinkPair(usize),
}

/// One distinct label of the DFA: the entries matching there and the
/// merged decision.
#[derive(Clone, Debug)]
struct StateLabel {
    entries: Vec<u32>,
    permissions: PathPermissions,
}

/// The compiled file rules of one profile.
#[derive(Clone, Debug)]
pub struct PermissionAutomaton {
    /// Each state's label is an index into `labels`.
    dfa: Dfa<u32>,
    labels: Vec<StateLabel>,
    sources: Vec<EntrySource>,
    /// Named exec targets; index `i` here is kernel index `i + 4`.
    exec_targets: Vec<String>,
    /// The parsed pattern of each file rule, for `explain`.
    patterns: Vec<Pattern>,
}

/// Patterns of upstream's implicit rules for profiles with hats.
const HAT_PROBE_DIRECTORY: &str = "/proc/*/attr/apparmor/";
const HAT_PROBE_ENABLED: &str = "/sys/module/apparmor/parameters/enabled";
const HAT_ACCESS: &str = "/proc/[0-9]*/attr/{apparmor/,}current";
const CHANGE_PROFILE_ACCESS: &str = "/proc/*/attr/{apparmor/,}{current,exec}";

impl PermissionAutomaton {
    /// Compiles the file rules of `profile` (not of its children).
    pub fn build(profile: &Profile, limits: &Limits) -> Result<PermissionAutomaton, CompileError> {
        let exec_targets = exec_table(profile)?;
        let mut sources = Vec::new();
        let mut entries = Vec::new();
        let mut builder = NfaBuilder::new(limits);
        let mut patterns = Vec::new();
        for (index, rule) in profile.file_rules.iter().enumerate() {
            let pattern = parse_rule_pattern(index, &rule.pattern, limits)?;
            entries.push(rule_entry(profile, rule, &pattern, &exec_targets));
            builder.add(&pattern.ir, sources.len() as u32)?;
            sources.push(EntrySource::Rule(index));
            if let Some((ir, entry)) = link_pair(index, rule, &pattern, limits)? {
                entries.push(entry);
                builder.add(&ir, sources.len() as u32)?;
                sources.push(EntrySource::LinkPair(index));
            }
            patterns.push(pattern);
        }
        for (text, mode) in implicit_rules(profile) {
            let pattern = pattern::parse(text, limits).expect("built-in patterns are valid");
            entries.push(implicit_entry(mode, pattern.exact));
            builder.add(&pattern.ir, sources.len() as u32)?;
            sources.push(EntrySource::Implicit(text));
        }
        let nfa = builder.finish()?;
        // FIXME: upstream simplifies the expression (factoring alternations)
        // before building its DFA; determinising the NFA as it is can need
        // far more states on alternations of many starred alternatives, so
        // some profiles upstream compiles exceed `Limits::max_dfa_states`.
        let (mut dfa, interned) = determinize_interned(&nfa, limits)?;
        let mut labels = label_permissions(&dfa, interned, &entries, &sources)?;
        clear_start_state(&mut dfa, &mut labels);
        log::debug!(
            "profile {}: {} file rules, {} DFA states, {} labels",
            profile.name,
            profile.file_rules.len(),
            dfa.state_count(),
            labels.len()
        );
        Ok(PermissionAutomaton {
            dfa,
            labels,
            sources,
            exec_targets,
            patterns,
        })
    }

    /// The exec-mode conflict that [`PermissionAutomaton::build`] would
    /// report for `profile`, found on the rules with `x` alone.
    ///
    /// Whether the rules matching a path conflict depends only on the
    /// rules that carry `x`: allow rules give exec modes, deny rules and
    /// priorities take them away, and no other rule touches an exec bit.
    /// So the automaton of those rules, usually a handful, decides it.
    /// `None` when there is no conflict or the rules exceed `limits` (then
    /// `build` fails on the limit).
    pub fn exec_conflict(profile: &Profile, limits: &Limits) -> Option<CompileError> {
        let with_exec = |rule: &&FileRule| rule.perms.contains(FilePerms::EXEC);
        let allowing = profile.file_rules.iter().filter(with_exec);
        if allowing
            .filter(|r| r.qualifiers.decision != Decision::Deny)
            .count()
            < 2
        {
            return None;
        }
        let exec_targets = exec_table(profile).ok()?;
        let mut sources = Vec::new();
        let mut entries = Vec::new();
        let mut builder = NfaBuilder::new(limits);
        for (index, rule) in profile.file_rules.iter().enumerate() {
            if !with_exec(&rule) {
                continue;
            }
            let pattern = parse_rule_pattern(index, &rule.pattern, limits).ok()?;
            entries.push(rule_entry(profile, rule, &pattern, &exec_targets));
            builder.add(&pattern.ir, sources.len() as u32).ok()?;
            sources.push(EntrySource::Rule(index));
        }
        let nfa = builder.finish().ok()?;
        let (dfa, interned) = determinize_interned(&nfa, limits).ok()?;
        label_permissions(&dfa, interned, &entries, &sources).err()
    }

    /// What the profile decides for `path`, matched as the kernel presents
    /// it: no normalisation, a directory ends in `/`.
    pub fn lookup(&self, path: &[u8]) -> PathPermissions {
        self.labels[*self.dfa.classify(path) as usize].permissions
    }

    /// What the profile decides for creating the hard link `link` to
    /// `target`: the kernel looks up `link\0target`. In each half, `l`
    /// allows the link, and the bit of `k` here means "subset": the link
    /// may then carry no more permissions than the target has.
    pub fn lookup_link(&self, link: &[u8], target: &[u8]) -> PathPermissions {
        let mut pair = Vec::with_capacity(link.len() + target.len() + 1);
        pair.extend_from_slice(link);
        pair.push(0);
        pair.extend_from_slice(target);
        self.lookup(&pair)
    }

    /// Indices into `profile.file_rules` of the rules whose pattern
    /// matches `path`, in rule order.
    pub fn matching_rules(&self, path: &[u8]) -> Vec<usize> {
        self.matching_sources(path)
            .into_iter()
            .filter_map(|source| match source {
                EntrySource::Rule(index) | EntrySource::LinkPair(index) => Some(*index),
                EntrySource::Implicit(_) => None,
            })
            .collect()
    }

    /// For rule `rule` (an index into `profile.file_rules`), which
    /// alternatives of its `{...}` groups match `path`; byte ranges are in
    /// the rule's pattern text.
    pub fn matching_alternatives(
        &self,
        rule: usize,
        path: &[u8],
    ) -> Result<Vec<AlternativeMatch>, CompileError> {
        match self.patterns.get(rule) {
            Some(pattern) => alternatives::matching_alternatives(pattern, path),
            None => Ok(Vec::new()),
        }
    }

    /// Every entry matching `path`, implicit rules included.
    pub fn matching_sources(&self, path: &[u8]) -> Vec<&EntrySource> {
        let label = &self.labels[*self.dfa.classify(path) as usize];
        label
            .entries
            .iter()
            .map(|&entry| &self.sources[entry as usize])
            .collect()
    }

    /// The automaton labelled with each path's decision.
    pub fn permissions_automaton(&self) -> Dfa<PathPermissions> {
        self.dfa
            .map(|&label| self.labels[label as usize].permissions)
            .minimize()
    }

    /// The minimal automaton of the paths where every permission of `perms`
    /// is allowed in `half`.
    pub fn allowed(&self, perms: FilePerms, half: Half) -> Dfa<bool> {
        self.automaton(|decision| decision.half(half).allow.contains(perms))
    }

    /// The minimal automaton labelled with `f` of each path's decision: the
    /// general form of [`PermissionAutomaton::allowed`].
    pub fn automaton<L: Clone + Eq + std::hash::Hash>(
        &self,
        mut f: impl FnMut(&PathPermissions) -> L,
    ) -> Dfa<L> {
        let per_label: Vec<L> = self.labels.iter().map(|l| f(&l.permissions)).collect();
        self.dfa
            .map(|&label| per_label[label as usize].clone())
            .minimize()
    }

    /// The name of the exec table entry `index` (4 to 15) of
    /// [`crate::compile::ExecDecision::target`].
    pub fn exec_target(&self, index: u32) -> Option<&str> {
        let position = index.checked_sub(EXEC_TARGET_FIRST_NAMED)?;
        self.exec_targets.get(position as usize).map(String::as_str)
    }

    pub fn exec_targets(&self) -> &[String] {
        &self.exec_targets
    }

    pub fn state_count(&self) -> usize {
        self.dfa.state_count()
    }
}

fn parse_rule_pattern(index: usize, text: &str, limits: &Limits) -> Result<Pattern, CompileError> {
    pattern::parse(text, limits).map_err(|error| CompileError::Pattern {
        rule: Some(index),
        pattern: text.to_string(),
        error,
    })
}

/// Upstream's table writer leaves the permissions of its start state
/// empty (`accept[1] = 0` in `chfa.cc`), so the kernel grants nothing on
/// the strings that end in the start state of upstream's minimal DFA: the
/// empty string, and every string after which the tables decide as from
/// the start. That matters only when a pattern matches the empty string,
/// which only a relative one can (`@{EMPTY}*` with `@{EMPTY}=""` matches
/// nothing at all). Upstream minimises on the words it writes, where an
/// `audit deny` leaves no trace, so the start's block is taken on
/// [`table_words`]; explicit denials are what the same tables hold once
/// `audit` is taken off every rule, so `deny` is cleared on the start's
/// block of [`denial_words`]. Cleared states get new labels that keep
/// their entries, so that `explain` still names the rules.
fn clear_start_state(dfa: &mut Dfa<u32>, labels: &mut Vec<StateLabel>) {
    let start = dfa.start();
    if labels[*dfa.label(start) as usize].permissions == PathPermissions::default() {
        return;
    }
    let start_block = |view: fn(&PathPermissions) -> PathPermissions| {
        let words = dfa.map(|&label| view(&labels[label as usize].permissions));
        let (block, _) = minimize::partition(&words, &words.reachable());
        let start_block = block[start as usize];
        block.into_iter().map(move |b| b == start_block)
    };
    let cleared: Vec<(bool, bool)> = start_block(table_words)
        .zip(start_block(denial_words))
        .collect();
    let mut relabelled: FastMap<(u32, bool, bool), u32> = FastMap::default();
    for (state, &(words, denials)) in cleared.iter().enumerate() {
        if !words && !denials {
            continue;
        }
        let label = dfa.labels[state];
        dfa.labels[state] = *relabelled
            .entry((label, words, denials))
            .or_insert_with(|| {
                let old = &labels[label as usize];
                let mut permissions = if words {
                    PathPermissions::default()
                } else {
                    old.permissions
                };
                for (half, old) in [
                    (&mut permissions.owner, &old.permissions.owner),
                    (&mut permissions.other, &old.permissions.other),
                ] {
                    half.deny = if denials {
                        FilePerms::default()
                    } else {
                        old.deny
                    };
                }
                labels.push(StateLabel {
                    entries: old.entries.clone(),
                    permissions,
                });
                labels.len() as u32 - 1
            });
    }
}

/// What the kernel's tables hold for a decision: no explicit denials.
fn table_words(permissions: &PathPermissions) -> PathPermissions {
    let mut words = *permissions;
    words.owner.deny = FilePerms::default();
    words.other.deny = FilePerms::default();
    words
}

/// What the tables would hold with `audit` taken off every rule: every
/// denial quiet, nothing audited.
fn denial_words(permissions: &PathPermissions) -> PathPermissions {
    let mut words = *permissions;
    for half in [&mut words.owner, &mut words.other] {
        half.audit = FilePerms::default();
        half.quiet = half.deny;
    }
    words
}

/// Each distinct set of NFA tags (rule entries) matching in some DFA state,
/// with the label that numbers it.
type TagSets = FastMap<Vec<u32>, u32>;

/// The DFA of `nfa` whose labels number the distinct sets of tags matching
/// in a state, with those sets.
fn determinize_interned(nfa: &Nfa, limits: &Limits) -> Result<(Dfa<u32>, TagSets), CompileError> {
    let mut interned = TagSets::default();
    let dfa = determinize(nfa, limits, |tags| match interned.get(tags) {
        Some(&id) => id,
        None => {
            let id = interned.len() as u32;
            interned.insert(tags.to_vec(), id);
            id
        }
    })?;
    Ok((dfa, interned))
}

/// Computes each label's permissions; a label whose rules conflict on the
/// exec mode is an error, with the shortest path showing it.
fn label_permissions(
    dfa: &Dfa<u32>,
    interned: TagSets,
    entries: &[RuleEntry],
    sources: &[EntrySource],
) -> Result<Vec<StateLabel>, CompileError> {
    let mut by_id: Vec<(u32, Vec<u32>)> = interned.into_iter().map(|(k, v)| (v, k)).collect();
    by_id.sort_unstable();
    by_id
        .into_iter()
        .map(|(id, tags)| {
            let matched = tags.iter().map(|&tag| &entries[tag as usize]);
            match perms::merge(matched) {
                Ok(words) => Ok(StateLabel {
                    permissions: PathPermissions::from_words(&words),
                    entries: tags,
                }),
                Err(_) => Err(exec_conflict(dfa, id, &tags, entries, sources)),
            }
        })
        .collect()
}

fn exec_conflict(
    dfa: &Dfa<u32>,
    id: u32,
    tags: &[u32],
    entries: &[RuleEntry],
    sources: &[EntrySource],
) -> CompileError {
    let exec_bits = 1 | 1 << perms::OTHER_SHIFT;
    let rules = tags
        .iter()
        .filter(|&&tag| entries[tag as usize].mode & exec_bits != 0)
        .filter_map(|&tag| match sources[tag as usize] {
            EntrySource::Rule(index) => Some(index),
            EntrySource::Implicit(_) | EntrySource::LinkPair(_) => None,
        })
        .collect();
    let witness = dfa
        .witnesses(1, |&label| label == id)
        .pop()
        .unwrap_or_default();
    CompileError::ExecConflict {
        rules,
        witness: String::from_utf8_lossy(&witness).into_owned(),
    }
}

/// The rule as it enters the merge: both halves, implied bits, exec type.
fn rule_entry(
    profile: &Profile,
    rule: &FileRule,
    pattern: &Pattern,
    exec_targets: &[String],
) -> RuleEntry {
    let qualifiers = &rule.qualifiers;
    // FIXME: AppArmor 4 `prompt` rules merge as allow here, as on kernels
    // without a prompt listener; 4.x's separate prompt bits are not kept.
    let deny = qualifiers.decision == Decision::Deny;
    let mut half = access_bits(rule.perms);
    // A deny rule's `x` has no exec mode (upstream rejects `deny ... px`).
    let grants_exec = !deny && rule.perms.contains(FilePerms::EXEC);
    if let Some(exec) = rule.exec.as_ref().filter(|_| grants_exec) {
        half |= exec_type_bits(profile, rule, exec, exec_targets);
    }
    let mut mode = match qualifiers.owner {
        OwnerQualifier::Both => Half::Owner.place(half) | Half::Other.place(half),
        OwnerQualifier::Owner => Half::Owner.place(half),
        OwnerQualifier::Other => Half::Other.place(half),
    };
    // Audit (allow rules) or quiet (deny rules) bits are set before the
    // implied `m` of `ix` is added, so that `m` is never audited.
    let audit = if deny != qualifiers.audit {
        mode & !(perms::EXEC_TYPE_MASK | perms::EXEC_TYPE_MASK << perms::OTHER_SHIFT)
    } else {
        0
    };
    for half in Half::BOTH {
        if mode & half.place(EXEC_INHERIT) != 0 {
            mode |= half.place(FilePerms::MMAP.0 as u32);
        }
    }
    let link =
        Half::Owner.place(FilePerms::LINK.0 as u32) | Half::Other.place(FilePerms::LINK.0 as u32);
    let (mode, audit) = if deny {
        (mode & !link, audit & !link)
    } else {
        (mode, audit)
    };
    RuleEntry {
        mode,
        audit,
        deny,
        exact: pattern.exact,
        priority: qualifiers.priority,
    }
}

/// The link pair of a rule with `l`: `PATH\0TARGET`, where the target is
/// the rule's `-> TARGET` or else any path (`/[^/].*` in upstream's regex
/// dialect), granting or denying `l`. Without a target, or with `link
/// subset`, the pair also sets the subset bit (`l` shifted up by one), in
/// the owner half only, as upstream does.
fn link_pair(
    index: usize,
    rule: &FileRule,
    pattern: &Pattern,
    limits: &Limits,
) -> Result<Option<(Ir, RuleEntry)>, CompileError> {
    if !rule.perms.contains(FilePerms::LINK) {
        return Ok(None);
    }
    let target = match &rule.link {
        Some(link) => parse_rule_pattern(index, &link.pattern, limits)?,
        None => pattern::parse_upstream_regex("/[^/].*").expect("a valid built-in regex"),
    };
    let link = FilePerms::LINK.0 as u32;
    let mut mode = match rule.qualifiers.owner {
        OwnerQualifier::Both => Half::Owner.place(link) | Half::Other.place(link),
        OwnerQualifier::Owner => Half::Owner.place(link),
        OwnerQualifier::Other => Half::Other.place(link),
    };
    let deny = rule.qualifiers.decision == Decision::Deny;
    let audit = if deny != rule.qualifiers.audit {
        mode
    } else {
        0
    };
    // Upstream masks the shifted bits with the owner half's subset bit
    // only, so the other half never asks for the subset test.
    if rule.link.as_ref().is_none_or(|link| link.subset) {
        mode |= (mode << 1) & (FilePerms::LINK.0 as u32) << 1;
    }
    let ir = Ir::Concat(vec![pattern.ir.clone(), Ir::Byte(0), target.ir]);
    let entry = RuleEntry {
        mode,
        audit,
        deny,
        exact: false,
        priority: rule.qualifiers.priority,
    };
    Ok(Some((ir, entry)))
}

/// `x w r a l k m` of one half; `w` brings `a`.
fn access_bits(perms: FilePerms) -> u32 {
    let mut bits = perms.0 as u32;
    if perms.contains(FilePerms::WRITE) {
        bits |= FilePerms::APPEND.0 as u32;
    }
    bits
}

/// The exec type bits of one half for an allow rule's exec mode.
fn exec_type_bits(
    profile: &Profile,
    rule: &FileRule,
    exec: &ExecMode,
    exec_targets: &[String],
) -> u32 {
    let Some(transition) = exec.transition else {
        return 0;
    };
    // `ix` has no target kind and is never unsafe, but `ix -> name` still
    // gets the name's exec table index, as upstream does.
    let mut bits = match transition {
        ExecTransition::Inherit => EXEC_INHERIT,
        ExecTransition::Unconfined => EXEC_TARGET_UNCONFINED << EXEC_TARGET_SHIFT,
        ExecTransition::Profile => EXEC_TARGET_PROFILE << EXEC_TARGET_SHIFT,
        ExecTransition::Child => EXEC_TARGET_CHILD << EXEC_TARGET_SHIFT,
    };
    if !exec.scrub && transition != ExecTransition::Inherit {
        bits |= EXEC_UNSAFE;
    }
    match exec.fallback {
        Some(ExecTransition::Inherit) => bits |= EXEC_INHERIT,
        Some(ExecTransition::Unconfined) => bits |= EXEC_UNCONFINED_FALLBACK,
        _ => {}
    }
    if let Some(name) = exec_target_name(profile, rule, exec) {
        let position = exec_targets.iter().position(|target| *target == name);
        let index =
            position.expect("exec table holds every target") as u32 + EXEC_TARGET_FIRST_NAMED;
        bits = (bits & !(0xf << EXEC_TARGET_SHIFT)) | index << EXEC_TARGET_SHIFT;
    }
    bits
}

/// The exec table entry a rule's `-> target` names, if it needs one: a
/// child target is named `profile//target`, unless it names the rule's own
/// pattern, which is the plain child transition.
fn exec_target_name(profile: &Profile, rule: &FileRule, exec: &ExecMode) -> Option<String> {
    let target = exec.target.as_ref()?;
    if exec.transition == Some(ExecTransition::Child) && !target.starts_with(':') {
        if *target == rule.pattern {
            return None;
        }
        return Some(format!("{}//{}", profile.name, target));
    }
    // FIXME: upstream also turns `px -> parent//child` targets naming this
    // profile's own child into the plain child transition; not done here,
    // which affects only the exec table index such rules report.
    Some(target.clone())
}

/// Upstream numbers named targets walking the rules from last to first,
/// from 4 up to 15.
///
/// FIXME: the indices can differ from upstream's, never the names they
/// stand for. Upstream walks its list of rules, in which the rules of a
/// prefix block keep their written order while the others are reversed
/// (the model does not keep blocks), and 3.0.8 also gives a slot to the
/// `-> TARGET` of a rule in the `PATH MODE -> TARGET` form without `x`
/// (AppArmor 4.1, like aaprove, reads it as a link target).
fn exec_table(profile: &Profile) -> Result<Vec<String>, CompileError> {
    let mut table: Vec<String> = Vec::new();
    for rule in profile.file_rules.iter().rev() {
        let granted =
            rule.qualifiers.decision != Decision::Deny && rule.perms.contains(FilePerms::EXEC);
        let Some(exec) = rule.exec.as_ref().filter(|_| granted) else {
            continue;
        };
        let Some(name) = exec_target_name(profile, rule, exec) else {
            continue;
        };
        if !table.contains(&name) {
            table.push(name);
        }
    }
    let limit = (EXEC_TARGET_LAST - EXEC_TARGET_FIRST_NAMED + 1) as usize;
    if table.len() > limit {
        return Err(CompileError::TooManyExecTargets {
            count: table.len(),
            limit,
        });
    }
    Ok(table)
}

/// Rules upstream adds to profiles that are hats or have hats or child
/// profiles, and to profiles
/// with `change_profile` rules. Their modes are owner-only `r` or `w`
/// (without the `a` a written `w` brings), as upstream builds them.
///
/// FIXME: `change_profile` rules also put entries into the file table past
/// a NUL (exec path, NUL, target profile) and the `onexec` bit (bit 30) on
/// every path; neither is modelled. No path holds a NUL and bit 30 is not
/// a file permission, so lookups of paths are unaffected; link pair
/// lookups in profiles with `change_profile` may differ.
fn implicit_rules(profile: &Profile) -> Vec<(&'static str, u32)> {
    let read = FilePerms::READ.0 as u32;
    let write = FilePerms::WRITE.0 as u32;
    let mut rules = Vec::new();
    // Upstream keeps hats and child profiles in one table, so a child
    // profile is enough.
    let has_hats = profile.is_hat || !profile.children.is_empty();
    if has_hats {
        rules.extend([
            (HAT_PROBE_DIRECTORY, read),
            (HAT_PROBE_ENABLED, read),
            (HAT_ACCESS, write),
        ]);
    }
    if profile
        .other_rules
        .iter()
        .any(|rule| rule.kind == "change_profile")
    {
        rules.extend([
            (HAT_PROBE_DIRECTORY, read),
            (HAT_PROBE_ENABLED, read),
            (CHANGE_PROFILE_ACCESS, write),
        ]);
    }
    rules
}

fn implicit_entry(mode: u32, exact: bool) -> RuleEntry {
    RuleEntry {
        mode,
        audit: 0,
        deny: false,
        exact,
        priority: 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Origin, Qualifiers};
    use crate::source::{FileId, Span};

    fn rule(pattern: &str, perms: &str, decision: Decision, exec: Option<ExecMode>) -> FileRule {
        FileRule {
            origin: Origin {
                span: Span::new(FileId(0), 0, 0),
                include_chain: Vec::new(),
            },
            qualifiers: Qualifiers {
                decision,
                ..Qualifiers::default()
            },
            pattern: pattern.to_string(),
            perms: FilePerms::from_letters(perms).unwrap(),
            exec,
            link: None,
        }
    }

    fn profile(file_rules: Vec<FileRule>) -> Profile {
        Profile {
            name: "p".to_string(),
            origin: file_rules.first().map_or_else(
                || Origin {
                    span: Span::new(FileId(0), 0, 0),
                    include_chain: Vec::new(),
                },
                |rule| rule.origin.clone(),
            ),
            attachment: None,
            flags: Vec::new(),
            is_hat: false,
            file_rules,
            other_rules: Vec::new(),
            children: Vec::new(),
            unresolved_includes: Vec::new(),
        }
    }

    fn exec(transition: ExecTransition, target: Option<&str>) -> Option<ExecMode> {
        Some(ExecMode {
            transition: Some(transition),
            scrub: true,
            fallback: None,
            target: target.map(str::to_string),
        })
    }

    #[test]
    fn rules_upstream_rejects_do_not_panic() {
        let cases = vec![
            rule(
                "/a",
                "x",
                Decision::Deny,
                exec(ExecTransition::Profile, Some("t")),
            ),
            rule("/b", "x", Decision::Allow, None),
            rule(
                "/c",
                "x",
                Decision::Allow,
                exec(ExecTransition::Child, Some("/c")),
            ),
        ];
        let automaton = PermissionAutomaton::build(&profile(cases), &Limits::default()).unwrap();
        assert_eq!(automaton.lookup(b"/a").owner.deny, FilePerms::EXEC);
        assert_eq!(automaton.lookup(b"/b").owner.exec.unwrap().target(), 0);
        assert_eq!(automaton.lookup(b"/c").owner.exec.unwrap().target(), 3);
        assert!(automaton.exec_targets().is_empty());
    }

    #[test]
    fn exec_conflict_agrees_with_build() {
        let px = || exec(ExecTransition::Profile, None);
        let ix = || exec(ExecTransition::Inherit, None);
        let allow = |pattern, mode| rule(pattern, "x", Decision::Allow, mode);
        let cases = [
            (vec![allow("/b*", px()), allow("/*", ix())], true),
            // An exact path's exec mode overrides a glob's.
            (vec![allow("/b", px()), allow("/*", ix())], false),
            (vec![allow("/b*", ix()), allow("/*", ix())], false),
            (vec![allow("/b/*", px()), allow("/a/*", ix())], false),
            // A deny does not take the conflict away, as upstream.
            (
                vec![
                    allow("/b*", px()),
                    allow("/*", ix()),
                    rule("/b*", "x", Decision::Deny, None),
                ],
                true,
            ),
            // Rules without `x` play no part.
            (
                vec![
                    allow("/b*", px()),
                    rule("/**", "rw", Decision::Allow, None),
                    rule("/*", "mr", Decision::Allow, None),
                ],
                false,
            ),
        ];
        for (rules, conflicts) in cases {
            let profile = profile(rules);
            let built = PermissionAutomaton::build(&profile, &Limits::default());
            let found = PermissionAutomaton::exec_conflict(&profile, &Limits::default());
            let built_conflict = matches!(built, Err(CompileError::ExecConflict { .. }));
            assert_eq!(built_conflict, conflicts, "{:?}", profile.file_rules);
            assert_eq!(found.is_some(), conflicts, "{:?}", profile.file_rules);
            if let (Some(found), Err(built)) = (found, built) {
                assert_eq!(found, built);
            }
        }
    }

    #[test]
    fn too_many_exec_targets_is_an_error() {
        let rules = (0..13)
            .map(|i| {
                let target = format!("t{i}");
                rule(
                    &format!("/x{i}"),
                    "x",
                    Decision::Allow,
                    exec(ExecTransition::Profile, Some(&target)),
                )
            })
            .collect();
        let error = PermissionAutomaton::build(&profile(rules), &Limits::default()).unwrap_err();
        assert_eq!(
            error,
            CompileError::TooManyExecTargets {
                count: 13,
                limit: 12
            }
        );
    }

    #[test]
    fn reports_matching_rules_and_implicit_sources() {
        let mut hat_owner = profile(vec![
            rule("/proc/**", "r", Decision::Allow, None),
            rule("/proc/*/attr/current", "w", Decision::Deny, None),
        ]);
        hat_owner.children.push(profile(Vec::new()));
        let automaton = PermissionAutomaton::build(&hat_owner, &Limits::default()).unwrap();
        let path = b"/proc/1/attr/current";
        assert_eq!(automaton.matching_rules(path), vec![0, 1]);
        assert_eq!(
            automaton.matching_sources(path),
            vec![
                &EntrySource::Rule(0),
                &EntrySource::Rule(1),
                &EntrySource::Implicit(HAT_ACCESS)
            ]
        );
        assert!(automaton.lookup(path).owner.deny.contains(FilePerms::WRITE));
    }

    #[test]
    fn strings_ending_in_the_start_state_get_nothing() {
        // Patterns of `r` rules, and which strings get `r`: those after
        // which the profile decides as from the start get nothing.
        type Reads<'a> = &'a [(&'a str, bool)];
        let cases: [(&[&str], Reads); 4] = [
            (&["", "/a"], &[("", false), ("/a", true)]),
            (&["*"], &[("", false), ("x", false), ("xy", false)]),
            (&["*", "/a"], &[("", false), ("x", true), ("/a", true)]),
            (&["{,x}y"], &[("", false), ("y", true), ("xy", true)]),
        ];
        for (patterns, expected) in cases {
            let rules = patterns
                .iter()
                .map(|pattern| rule(pattern, "r", Decision::Allow, None))
                .collect();
            let automaton =
                PermissionAutomaton::build(&profile(rules), &Limits::default()).unwrap();
            for (path, read) in expected {
                let allowed = automaton.lookup(path.as_bytes()).owner.allow;
                assert_eq!(
                    allowed.contains(FilePerms::READ),
                    *read,
                    "{patterns:?}: {path}"
                );
            }
        }
    }

    #[test]
    fn the_start_state_is_found_on_the_words_the_tables_hold() {
        // An `audit deny` leaves no trace in the tables, so there the state
        // after `/` is as dead as the one after `a/`, and every string of
        // `{*,a}{*,a}` decides as the start: nothing. A plain deny leaves
        // quiet bits, which keep the states apart.
        for audit in [true, false] {
            let mut deny = rule("/a", "r", Decision::Deny, None);
            deny.qualifiers.audit = audit;
            let rules = vec![rule("{*,a}{*,a}", "r", Decision::Allow, None), deny];
            let automaton =
                PermissionAutomaton::build(&profile(rules), &Limits::default()).unwrap();
            let read = automaton
                .lookup(b"aa")
                .owner
                .allow
                .contains(FilePerms::READ);
            assert_eq!(read, !audit, "audit {audit}");
            assert_eq!(automaton.lookup(b"/a").owner.deny, FilePerms::READ);
        }
    }

    #[test]
    fn names_the_alternative_a_rule_matched_by() {
        let rules = vec![rule("/usr/lib{,32,64}/**", "r", Decision::Allow, None)];
        let automaton = PermissionAutomaton::build(&profile(rules), &Limits::default()).unwrap();
        let found = automaton.matching_alternatives(0, b"/usr/lib32/x").unwrap();
        assert_eq!(found.len(), 1);
        assert_eq!((found[0].alternative, found[0].text.clone()), (1, 10..12));
        assert!(
            automaton
                .matching_alternatives(7, b"/x")
                .unwrap()
                .is_empty()
        );
    }
}
