//! Explain: every rule that matches a path, what each contributes, and why
//! the profile's decision for each permission of each half is what it is.
//!
//! The decision itself always comes from the [`PermissionAutomaton`], the
//! same answer `query` gives. The explanation is rebuilt from the matching
//! rules with the merge rules of [`crate::compile::perms`]: per permission
//! bit, only the rules of the highest `priority=` giving it count; among
//! those, a deny rule beats every allow rule; `w` brings `a` and `ix`
//! (also `pix`, `cix`) brings `m`; a deny rule's `l` applies to link pairs
//! only, never to the path itself; for `x`, a rule without wildcards
//! ("exact") sets the exec mode over glob rules. Unit and integration
//! tests check that the rebuilt reasons agree with the automaton on every
//! inventory path.
//!
//! For a rule whose pattern has `{...}` alternations, [`Alternatives`]
//! says which alternative of each group matched. The search is exact: it
//! restricts one group at a time to one alternative (written `{b,b}`, so
//! that the rewrite to upstream's regex sees the same text around it) and
//! asks the compile layer's pattern automaton whether the path still
//! matches; restricted patterns that no longer match are pruned, and the
//! number of automata built is bounded.
//!
//! When no rule matches, [`Explainer::closest_rules`] names the rules
//! whose pattern follows the path the longest way (bytes read before the
//! rule's automaton can no longer reach a match).
//!
//! ```
//! use aaprove::analyze::explain::Explainer;
//! use aaprove::analyze::query::PermissionDecision;
//! use aaprove::compile::{Half, Limits, PermissionAutomaton};
//! use aaprove::model::FilePerms;
//! # use aaprove::model::*;
//! # use aaprove::source::{FileId, Span};
//! # let origin = Origin { span: Span::new(FileId(0), 0, 0), include_chain: vec![] };
//! # let rule = |pattern: &str, perms: &str, decision| FileRule {
//! #     origin: origin.clone(),
//! #     qualifiers: Qualifiers { decision, ..Qualifiers::default() },
//! #     pattern: pattern.to_string(),
//! #     perms: FilePerms::from_letters(perms).unwrap(),
//! #     exec: None,
//! #     link: None,
//! # };
//! # let profile = Profile {
//! #     name: "p".into(), origin: origin.clone(), attachment: None, flags: vec![],
//! #     is_hat: false, other_rules: vec![], children: vec![],
//! #     unresolved_includes: vec![],
//! #     file_rules: vec![rule("/proc/**", "rw", Decision::Allow),
//! #                      rule("/proc/sys/{kernel,vm}/**", "w", Decision::Deny)],
//! # };
//! let automaton = PermissionAutomaton::build(&profile, &Limits::default())?;
//! let explanation = Explainer::new(&profile, &automaton).explain(b"/proc/sys/vm/x");
//!
//! // Write is denied by rule 1, over the allow of rule 0.
//! let write = explanation.reason(Half::Owner, FilePerms::WRITE).unwrap();
//! assert_eq!(write.decision, PermissionDecision::Deny);
//! assert_eq!((&write.denied_by[..], &write.allowed_by[..]), (&[1][..], &[0][..]));
//! assert_eq!(explanation.deciding_rules(Half::Owner, FilePerms::WRITE), vec![1]);
//! # Ok::<(), aaprove::compile::CompileError>(())
//! ```

use std::fmt::Write as _;

use crate::analyze::query::{PermissionDecision, decide};
use crate::compile::dfa::from_ir;
use crate::compile::pattern;
use crate::compile::{Dfa, EntrySource, Half, Limits, PathPermissions, PermissionAutomaton};
use crate::model::{Decision, ExecMode, ExecTransition, FilePerms, FileRule, Origin};
use crate::model::{OwnerQualifier, Profile};
use crate::source::SourceMap;

/// Bounds on the alternative search for one rule.
const MAX_ALTERNATIVE_AUTOMATA: usize = 512;
/// Most alternatives reported for one rule.
const MAX_ALTERNATIVE_MATCHES: usize = 16;

/// Explains paths against one compiled profile.
pub struct Explainer<'a> {
    profile: &'a Profile,
    automaton: &'a PermissionAutomaton,
    limits: Limits,
    /// Whether to search the alternatives of `{...}` groups (a few small
    /// automata per matching rule with groups).
    alternatives: bool,
}

/// Everything that decides one path.
#[derive(Clone, Debug)]
pub struct Explanation {
    pub path: Vec<u8>,
    /// The decision, from the automaton.
    pub permissions: PathPermissions,
    /// Every rule matching the path, in rule order (implicit rules last).
    pub matches: Vec<RuleMatch>,
    /// One reason per half and permission letter: the owner half first,
    /// each in `rwalkmx` order.
    pub reasons: Vec<Reason>,
}

/// One rule that matches the path.
#[derive(Clone, Debug)]
pub struct RuleMatch {
    pub source: EntrySource,
    pub contribution: Contribution,
    pub alternatives: Alternatives,
}

/// What a matching rule brings to the merge, as the compile layer enters
/// it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Contribution {
    pub deny: bool,
    pub audit: bool,
    pub priority: i32,
    /// The halves the rule applies to.
    pub halves: OwnerQualifier,
    /// Letters for the owner half, implied ones included.
    pub owner: FilePerms,
    /// Letters for the other half, implied ones included.
    pub other: FilePerms,
    /// Letters another letter of the rule implies, whether or not they are
    /// also written: `a` when it has `w`, `m` when it has an inheriting
    /// exec mode. (The resolved model may already hold them, so "written
    /// too" cannot be told apart.)
    pub implied: FilePerms,
    /// A deny rule's `l`: it applies to link pairs only, not to the path.
    pub link_pair_only: bool,
    /// The pattern has no wildcard: its exec mode overrides glob rules'.
    pub exact: bool,
    pub exec: Option<ExecMode>,
}

impl Contribution {
    pub fn half(&self, half: Half) -> FilePerms {
        match half {
            Half::Owner => self.owner,
            Half::Other => self.other,
        }
    }

    /// True when the rule applies to `half`.
    pub fn covers(&self, half: Half) -> bool {
        matches!(
            (self.halves, half),
            (OwnerQualifier::Both, _)
                | (OwnerQualifier::Owner, Half::Owner)
                | (OwnerQualifier::Other, Half::Other)
        )
    }
}

/// Which alternatives of a rule's `{...}` groups the path matched.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Alternatives {
    /// The pattern has no alternation.
    NoGroups,
    /// Each way through the groups that matches, at most
    /// 16 of them.
    Matched(Vec<AlternativeMatch>),
    /// The search was not finished; the text says why, with the numbers.
    Unknown(String),
    /// Not asked for (see [`Explainer::without_alternatives`]).
    NotSearched,
}

/// One matching way through a pattern's alternations.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AlternativeMatch {
    /// The chosen alternative of each group on the way, outermost first.
    pub choices: Vec<Choice>,
    /// The pattern with each chosen group replaced by its alternative
    /// (for reading; `*` right after a `{` can match differently).
    pub expanded: String,
}

/// The alternative chosen in one `{...}` group.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Choice {
    /// The group as written in the pattern, braces included.
    pub group: String,
    /// 0-based index of the alternative.
    pub index: usize,
    pub alternative: String,
}

/// Why one half decides one permission letter as it does. Rule lists are
/// indices into [`Explanation::matches`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Reason {
    pub half: Half,
    /// One letter.
    pub perm: FilePerms,
    /// From the automaton.
    pub decision: PermissionDecision,
    /// Allow rules giving the letter at the highest priority.
    pub allowed_by: Vec<usize>,
    /// Deny rules taking the letter at the highest priority.
    pub denied_by: Vec<usize>,
    /// Rules giving or taking the letter at a lower priority: ignored.
    pub outranked: Vec<usize>,
    /// Audit allow rules giving the letter.
    pub audited_by: Vec<usize>,
    /// For an allowed `x`: the exec mode and where it comes from.
    pub exec: Option<ExecReason>,
}

/// Where the exec mode of an allowed `x` comes from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExecReason {
    /// As written in a profile: `ix`, `Px`, `cux`, ...
    pub mode: String,
    /// The rules whose mode it is.
    pub from: Vec<usize>,
    /// Glob rules allowing `x` whose mode an exact rule overrides.
    pub overridden: Vec<usize>,
}

/// A rule near a path no rule matches.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NearRule {
    /// Index into `profile.file_rules`.
    pub rule: usize,
    /// How many leading bytes of the path the pattern follows.
    pub matched: usize,
}

impl<'a> Explainer<'a> {
    /// `automaton` must be `PermissionAutomaton::build(profile, ..)`.
    pub fn new(profile: &'a Profile, automaton: &'a PermissionAutomaton) -> Explainer<'a> {
        Explainer {
            profile,
            automaton,
            limits: Limits::default(),
            alternatives: true,
        }
    }

    /// An explainer that leaves [`RuleMatch::alternatives`] as
    /// [`Alternatives::NotSearched`]: only a walk of the automaton and the
    /// merge per path, for callers explaining many paths (such as every
    /// witness of `prove`).
    pub fn without_alternatives(self) -> Explainer<'a> {
        Explainer {
            alternatives: false,
            ..self
        }
    }

    pub fn with_limits(self, limits: Limits) -> Explainer<'a> {
        Explainer { limits, ..self }
    }

    pub fn profile(&self) -> &'a Profile {
        self.profile
    }

    pub fn automaton(&self) -> &'a PermissionAutomaton {
        self.automaton
    }

    /// The decision for `path` with every matching rule and the reasons.
    pub fn explain(&self, path: &[u8]) -> Explanation {
        let permissions = self.automaton.lookup(path);
        let matches: Vec<RuleMatch> = self
            .automaton
            .matching_sources(path)
            .into_iter()
            .map(|source| self.rule_match(source, path))
            .collect();
        let mut reasons = Vec::new();
        for half in Half::BOTH {
            for (_, perm) in FilePerms::LETTERS {
                reasons.push(reason(&matches, &permissions, half, perm, self.automaton));
            }
        }
        Explanation {
            path: path.to_vec(),
            permissions,
            matches,
            reasons,
        }
    }

    fn rule_match(&self, source: &EntrySource, path: &[u8]) -> RuleMatch {
        let search = |pattern: &str| {
            if self.alternatives {
                alternatives(pattern, path, &self.limits)
            } else {
                Alternatives::NotSearched
            }
        };
        match source {
            // A query path holds no NUL, so a link pair only matches when
            // asked about one; it is explained as the rule that made it.
            EntrySource::Rule(index) | EntrySource::LinkPair(index) => {
                let rule = &self.profile.file_rules[*index];
                let exact = self.is_exact(&rule.pattern);
                RuleMatch {
                    source: source.clone(),
                    contribution: rule_contribution(rule, exact),
                    alternatives: search(&rule.pattern),
                }
            }
            EntrySource::Implicit(text) => RuleMatch {
                source: source.clone(),
                contribution: implicit_contribution(text, self.is_exact(text)),
                alternatives: search(text),
            },
        }
    }

    fn is_exact(&self, text: &str) -> bool {
        pattern::parse(text, &self.limits).is_ok_and(|pattern| pattern.exact)
    }

    /// Up to `count` file rules accepted by `wanted`, ranked by how many
    /// leading bytes of `path` their pattern follows (ties in rule order);
    /// rules that follow no more than the leading `/` are left out.
    pub fn closest_rules(
        &self,
        path: &[u8],
        wanted: impl Fn(&FileRule) -> bool,
        count: usize,
    ) -> Vec<NearRule> {
        let mut near: Vec<NearRule> = Vec::new();
        for (index, rule) in self.profile.file_rules.iter().enumerate() {
            if !wanted(rule) {
                continue;
            }
            let Some(matched) = followed_prefix(&rule.pattern, path, &self.limits) else {
                continue;
            };
            if matched > 1 {
                near.push(NearRule {
                    rule: index,
                    matched,
                });
            }
        }
        near.sort_by_key(|near| (std::cmp::Reverse(near.matched), near.rule));
        near.truncate(count);
        near
    }
}

impl Explanation {
    /// The reason for one letter of one half.
    pub fn reason(&self, half: Half, perm: FilePerms) -> Option<&Reason> {
        self.reasons
            .iter()
            .find(|reason| reason.half == half && reason.perm == perm)
    }

    /// The decision of `half` for `perms`, as `query` gives it.
    pub fn decision(&self, half: Half, perms: FilePerms) -> PermissionDecision {
        decide(self.permissions.half(half), perms)
    }

    /// The matches (indices into [`Explanation::matches`]) that decide
    /// `perms` in `half`: for `allow`, the rules allowing any of the
    /// letters; for `deny`, the deny rules taking any of them; for `none`,
    /// no rule. This is what `prove` and `diff` print for a witness.
    pub fn deciding(&self, half: Half, perms: FilePerms) -> Vec<usize> {
        let decision = self.decision(half, perms);
        let mut deciding: Vec<usize> = self
            .reasons
            .iter()
            .filter(|reason| reason.half == half && perms.contains(reason.perm))
            .flat_map(|reason| match decision {
                PermissionDecision::Allow => reason.allowed_by.clone(),
                PermissionDecision::Deny => reason.denied_by.clone(),
                PermissionDecision::None => Vec::new(),
            })
            .collect();
        deciding.sort_unstable();
        deciding.dedup();
        deciding
    }

    /// Like [`Explanation::deciding`], as indices into
    /// `profile.file_rules` (implicit rules left out).
    pub fn deciding_rules(&self, half: Half, perms: FilePerms) -> Vec<usize> {
        let deciding = self.deciding(half, perms);
        let sources = deciding.iter().map(|&m| &self.matches[m].source);
        sources
            .filter_map(|source| match source {
                EntrySource::Rule(index) | EntrySource::LinkPair(index) => Some(*index),
                EntrySource::Implicit(_) => None,
            })
            .collect()
    }
}

/// What a file rule brings to the merge; mirrors how the compile layer
/// enters a rule.
fn rule_contribution(rule: &FileRule, exact: bool) -> Contribution {
    let deny = rule.qualifiers.decision == Decision::Deny;
    let written = rule.perms;
    let mut implied = FilePerms::default();
    if written.contains(FilePerms::WRITE) {
        implied = implied.union(FilePerms::APPEND);
    }
    let exec = rule
        .exec
        .clone()
        .filter(|_| written.contains(FilePerms::EXEC));
    if exec.as_ref().is_some_and(inherits) {
        implied = implied.union(FilePerms::MMAP);
    }
    let link_pair_only = deny && written.contains(FilePerms::LINK);
    let letters = written.union(implied);
    let letters = if deny {
        letters.minus(FilePerms::LINK)
    } else {
        letters
    };
    let none = FilePerms::default();
    let (owner, other) = match rule.qualifiers.owner {
        OwnerQualifier::Both => (letters, letters),
        OwnerQualifier::Owner => (letters, none),
        OwnerQualifier::Other => (none, letters),
    };
    Contribution {
        deny,
        audit: rule.qualifiers.audit,
        priority: rule.qualifiers.priority,
        halves: rule.qualifiers.owner,
        owner,
        other,
        implied,
        link_pair_only,
        exact,
        exec,
    }
}

/// `ix`, `pix` and `cix` run the target in the current profile (at least
/// as a fallback), so they need `m`.
fn inherits(exec: &ExecMode) -> bool {
    exec.transition == Some(ExecTransition::Inherit)
        || exec.fallback == Some(ExecTransition::Inherit)
}

/// Upstream's implicit rules give the owner `r` (the probes) or `w` (the
/// `attr/current` and `attr/exec` files), without the `a` of a written
/// `w`; see `compile::profile`. A test checks this against the automaton.
fn implicit_contribution(text: &str, exact: bool) -> Contribution {
    let letters = if text.contains("current") {
        FilePerms::WRITE
    } else {
        FilePerms::READ
    };
    Contribution {
        deny: false,
        audit: false,
        priority: 0,
        halves: OwnerQualifier::Owner,
        owner: letters,
        other: FilePerms::default(),
        implied: FilePerms::default(),
        link_pair_only: false,
        exact,
        exec: None,
    }
}

/// The reason for one letter of one half.
fn reason(
    matches: &[RuleMatch],
    permissions: &PathPermissions,
    half: Half,
    perm: FilePerms,
    automaton: &PermissionAutomaton,
) -> Reason {
    let giving: Vec<usize> = (0..matches.len())
        .filter(|&m| matches[m].contribution.half(half).contains(perm))
        .collect();
    let top = giving
        .iter()
        .map(|&m| matches[m].contribution.priority)
        .max();
    let (ranked, outranked): (Vec<usize>, Vec<usize>) = giving
        .into_iter()
        .partition(|&m| Some(matches[m].contribution.priority) == top);
    let (denied_by, allowed_by): (Vec<usize>, Vec<usize>) = ranked
        .into_iter()
        .partition(|&m| matches[m].contribution.deny);
    let audited_by = allowed_by
        .iter()
        .copied()
        .filter(|&m| matches[m].contribution.audit)
        .collect();
    let half_permissions = permissions.half(half);
    let exec = (perm == FilePerms::EXEC && half_permissions.allow.contains(perm))
        .then(|| exec_reason(matches, &allowed_by, half_permissions, automaton));
    Reason {
        half,
        perm,
        decision: decide(half_permissions, perm),
        allowed_by,
        denied_by,
        outranked,
        audited_by,
        exec,
    }
}

fn exec_reason(
    matches: &[RuleMatch],
    allowed_by: &[usize],
    half: &crate::compile::HalfPermissions,
    automaton: &PermissionAutomaton,
) -> ExecReason {
    let (exact, glob): (Vec<usize>, Vec<usize>) = allowed_by
        .iter()
        .partition(|&&m| matches[m].contribution.exact);
    let (from, overridden) = if exact.is_empty() {
        (glob, Vec::new())
    } else {
        (exact, glob)
    };
    ExecReason {
        mode: crate::analyze::query::exec_text(automaton, half),
        from,
        overridden,
    }
}

/// A `{...}` group or a run of other bytes of a pattern.
#[derive(Debug)]
enum Piece {
    Text(std::ops::Range<usize>),
    Group {
        id: usize,
        range: std::ops::Range<usize>,
        alternatives: Vec<Vec<Piece>>,
    },
}

/// Splits a pattern into text and groups, reading `\` escapes and `[...]`
/// classes (where `{`, `,` and `}` are plain bytes) as the compile layer
/// does. `None` for a pattern that is not well formed.
fn pieces(pattern: &[u8]) -> Option<Vec<Piece>> {
    let mut reader = PieceReader {
        pattern,
        pos: 0,
        next_id: 0,
    };
    let (sequence, end) = reader.sequence(0)?;
    (end.is_none()).then_some(sequence)
}

struct PieceReader<'p> {
    pattern: &'p [u8],
    pos: usize,
    next_id: usize,
}

impl PieceReader<'_> {
    /// Reads up to a `,` or `}` at this depth (returned) or the end.
    fn sequence(&mut self, depth: usize) -> Option<(Vec<Piece>, Option<u8>)> {
        let mut sequence = Vec::new();
        let mut text_start = self.pos;
        let mut in_class = false;
        while let Some(&byte) = self.pattern.get(self.pos) {
            match byte {
                b'\\' => self.pos += 1,
                b'[' => in_class = true,
                b']' => in_class = false,
                // Outside a group, `,` is a plain byte.
                b',' if depth == 0 => {}
                b'{' | b',' | b'}' if !in_class => {
                    if text_start < self.pos {
                        sequence.push(Piece::Text(text_start..self.pos));
                    }
                    if byte != b'{' {
                        return (depth > 0).then_some((sequence, Some(byte)));
                    }
                    sequence.push(self.group(depth)?);
                    text_start = self.pos;
                    continue;
                }
                _ => {}
            }
            self.pos += 1;
        }
        if text_start < self.pattern.len() {
            sequence.push(Piece::Text(text_start..self.pattern.len()));
        }
        Some((sequence, None))
    }

    /// Reads a group starting at the `{` under the cursor.
    fn group(&mut self, depth: usize) -> Option<Piece> {
        let start = self.pos;
        let id = self.next_id;
        self.next_id += 1;
        let mut alternatives = Vec::new();
        loop {
            self.pos += 1;
            let (alternative, end) = self.sequence(depth + 1)?;
            alternatives.push(alternative);
            match end? {
                b',' => continue,
                _ => break,
            }
        }
        self.pos += 1;
        Some(Piece::Group {
            id,
            range: start..self.pos,
            alternatives,
        })
    }
}

/// How a group is written when rendering pieces.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Rendering {
    /// A chosen group as `{alt,alt}`: the same pattern as the original
    /// with the group restricted to one alternative.
    Restricted,
    /// A chosen group as its alternative alone, for reading.
    Expanded,
}

/// Writes `pieces` with the chosen groups rendered as `how` says; false
/// (with `out` unfinished) once `out` would be longer than `limit`. The
/// limit matters for [`Rendering::Restricted`], which doubles the text of
/// every chosen group: nested choices could otherwise grow it
/// exponentially.
fn render(
    pattern: &str,
    pieces: &[Piece],
    choices: &[(usize, usize)],
    how: Rendering,
    limit: usize,
    out: &mut String,
) -> bool {
    for piece in pieces {
        let (id, range, alternatives) = match piece {
            Piece::Text(range) => {
                out.push_str(&pattern[range.clone()]);
                continue;
            }
            Piece::Group {
                id,
                range,
                alternatives,
            } => (id, range, alternatives),
        };
        let Some(&(_, chosen)) = choices.iter().find(|(group, _)| group == id) else {
            out.push_str(&pattern[range.clone()]);
            continue;
        };
        let mut alternative = String::new();
        if !render(
            pattern,
            &alternatives[chosen],
            choices,
            how,
            limit,
            &mut alternative,
        ) {
            return false;
        }
        if how == Rendering::Restricted && out.len() + 2 * alternative.len() + 3 > limit {
            return false;
        }
        match how {
            Rendering::Expanded => out.push_str(&alternative),
            Rendering::Restricted => {
                let _ = write!(out, "{{{alternative},{alternative}}}");
            }
        }
    }
    out.len() <= limit
}

/// The first group, in pre-order, that is on the way of `choices` (not
/// inside an alternative that was not chosen) and not chosen yet.
fn next_group<'p>(pieces: &'p [Piece], choices: &[(usize, usize)]) -> Option<&'p Piece> {
    for piece in pieces {
        let Piece::Group {
            id, alternatives, ..
        } = piece
        else {
            continue;
        };
        match choices.iter().find(|(group, _)| group == id) {
            None => return Some(piece),
            Some(&(_, chosen)) => {
                if let Some(inner) = next_group(&alternatives[chosen], choices) {
                    return Some(inner);
                }
            }
        }
    }
    None
}

/// The search for matching alternatives of one pattern.
struct AlternativeSearch<'s> {
    pattern: &'s str,
    pieces: Vec<Piece>,
    path: &'s [u8],
    limits: &'s Limits,
    automata_built: usize,
    found: Vec<Vec<(usize, usize)>>,
    stopped: Option<String>,
}

impl AlternativeSearch<'_> {
    fn search(&mut self, choices: &mut Vec<(usize, usize)>) {
        if self.stopped.is_some() {
            return;
        }
        let Some(Piece::Group {
            id, alternatives, ..
        }) = next_group(&self.pieces, choices)
        else {
            self.record(choices);
            return;
        };
        let (id, count) = (*id, alternatives.len());
        for index in 0..count {
            choices.push((id, index));
            if self.still_matches(choices) {
                self.search(choices);
            }
            choices.pop();
        }
    }

    fn record(&mut self, choices: &[(usize, usize)]) {
        if self.found.len() == MAX_ALTERNATIVE_MATCHES {
            self.stopped = Some(format!(
                "more than {MAX_ALTERNATIVE_MATCHES} alternatives match"
            ));
            return;
        }
        self.found.push(choices.to_vec());
    }

    fn still_matches(&mut self, choices: &[(usize, usize)]) -> bool {
        if self.stopped.is_some() {
            return false;
        }
        if self.automata_built == MAX_ALTERNATIVE_AUTOMATA {
            self.stopped = Some(format!(
                "the search stopped after {MAX_ALTERNATIVE_AUTOMATA} pattern automata"
            ));
            return false;
        }
        self.automata_built += 1;
        let mut restricted = String::new();
        let limit = self.limits.max_pattern_len;
        let how = Rendering::Restricted;
        if !render(
            self.pattern,
            &self.pieces,
            choices,
            how,
            limit,
            &mut restricted,
        ) {
            self.stopped = Some(format!(
                "a restricted pattern is longer than the limit of {limit} bytes"
            ));
            return false;
        }
        match pattern_matches(&restricted, self.path, self.limits) {
            Ok(matched) => matched,
            Err(error) => {
                self.stopped = Some(error);
                false
            }
        }
    }

    fn describe(&self, choices: &[(usize, usize)]) -> AlternativeMatch {
        // Expanding never makes the text longer than the pattern.
        let mut expanded = String::new();
        let how = Rendering::Expanded;
        render(
            self.pattern,
            &self.pieces,
            choices,
            how,
            usize::MAX,
            &mut expanded,
        );
        let choices = choices
            .iter()
            .map(|&(id, index)| self.choice(&self.pieces, id, index, choices))
            .collect();
        AlternativeMatch { choices, expanded }
    }

    fn choice(&self, pieces: &[Piece], id: usize, index: usize, all: &[(usize, usize)]) -> Choice {
        let (range, alternatives) = find_group(pieces, id).expect("chosen groups exist");
        let mut alternative = String::new();
        let how = Rendering::Expanded;
        render(
            self.pattern,
            &alternatives[index],
            all,
            how,
            usize::MAX,
            &mut alternative,
        );
        Choice {
            group: self.pattern[range.clone()].to_string(),
            index,
            alternative,
        }
    }
}

/// The range and alternatives of the group `wanted`.
fn find_group(pieces: &[Piece], wanted: usize) -> Option<(&std::ops::Range<usize>, &[Vec<Piece>])> {
    pieces.iter().find_map(|piece| match piece {
        Piece::Text(_) => None,
        Piece::Group {
            id,
            range,
            alternatives,
        } => {
            if *id == wanted {
                Some((range, alternatives.as_slice()))
            } else {
                alternatives
                    .iter()
                    .find_map(|alternative| find_group(alternative, wanted))
            }
        }
    })
}

/// Which alternatives of `pattern`'s groups `path` matches.
fn alternatives(pattern: &str, path: &[u8], limits: &Limits) -> Alternatives {
    let Some(pieces) = pieces(pattern.as_bytes()) else {
        return Alternatives::Unknown("the pattern's groups are not well formed".into());
    };
    if !pieces
        .iter()
        .any(|piece| matches!(piece, Piece::Group { .. }))
    {
        return Alternatives::NoGroups;
    }
    let mut search = AlternativeSearch {
        pattern,
        pieces,
        path,
        limits,
        automata_built: 0,
        found: Vec::new(),
        stopped: None,
    };
    search.search(&mut Vec::new());
    if let Some(reason) = search.stopped {
        return Alternatives::Unknown(reason);
    }
    let found = std::mem::take(&mut search.found);
    Alternatives::Matched(found.iter().map(|c| search.describe(c)).collect())
}

/// True when `path` matches `pattern`; an error text when the pattern's
/// automaton cannot be built within `limits`.
fn pattern_matches(pattern: &str, path: &[u8], limits: &Limits) -> Result<bool, String> {
    Ok(*pattern_automaton(pattern, limits)?.classify(path))
}

fn pattern_automaton(pattern: &str, limits: &Limits) -> Result<Dfa<bool>, String> {
    let parsed = pattern::parse(pattern, limits).map_err(|error| error.to_string())?;
    from_ir(&parsed.ir, limits).map_err(|error| error.to_string())
}

/// How many leading bytes of `path` the pattern follows: the longest
/// prefix after which its automaton can still reach a match. `None` when
/// the automaton cannot be built.
fn followed_prefix(pattern: &str, path: &[u8], limits: &Limits) -> Option<usize> {
    let dfa = pattern_automaton(pattern, limits).ok()?;
    let live = live_states(&dfa);
    let mut state = dfa.start();
    let mut followed = 0;
    for (index, &byte) in path.iter().enumerate() {
        state = dfa.next(state, byte);
        if !live[state as usize] {
            break;
        }
        followed = index + 1;
    }
    Some(followed)
}

/// For each state, whether some input leads from it to a match.
fn live_states(dfa: &Dfa<bool>) -> Vec<bool> {
    let count = dfa.state_count();
    let classes = dfa.classes().count();
    let mut predecessors: Vec<Vec<u32>> = vec![Vec::new(); count];
    for state in 0..count as u32 {
        for class in 0..classes {
            predecessors[dfa.next_by_class(state, class) as usize].push(state);
        }
    }
    let mut live: Vec<bool> = (0..count as u32).map(|s| *dfa.label(s)).collect();
    let mut work: Vec<u32> = (0..count as u32).filter(|&s| live[s as usize]).collect();
    while let Some(state) = work.pop() {
        for &before in &predecessors[state as usize] {
            if !live[before as usize] {
                live[before as usize] = true;
                work.push(before);
            }
        }
    }
    live
}

/// A place in a source file, 1-based.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Location {
    pub file: String,
    pub line: u32,
    pub column: u32,
}

/// Where a rule is written: its place, the `include` lines that led there
/// (outermost first), and its text as written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RuleSite {
    pub location: Location,
    pub include_chain: Vec<Location>,
    pub text: String,
}

/// The site of a rule with `origin`; its spans must belong to `sources`.
pub fn rule_site(origin: &Origin, sources: &SourceMap) -> RuleSite {
    let locate = |span: crate::source::Span| {
        let file = sources.get(span.file);
        let place = file.line_col(span.start);
        Location {
            file: file.name.clone(),
            line: place.line,
            column: place.column,
        }
    };
    RuleSite {
        location: locate(origin.span),
        include_chain: origin.include_chain.iter().map(|&s| locate(s)).collect(),
        text: sources.text(origin.span).to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Profile, Qualifiers};
    use crate::source::{FileId, Span};

    fn rule(text: &str) -> FileRule {
        let mut words: Vec<&str> = text.split_whitespace().collect();
        let mut qualifiers = Qualifiers::default();
        while let Some(&word) = words.first() {
            match word {
                "deny" => qualifiers.decision = Decision::Deny,
                "audit" => qualifiers.audit = true,
                "owner" => qualifiers.owner = OwnerQualifier::Owner,
                "other" => qualifiers.owner = OwnerQualifier::Other,
                _ if word.starts_with("priority=") => {
                    qualifiers.priority = word[9..].parse().unwrap()
                }
                _ => break,
            }
            words.remove(0);
        }
        let (pattern, letters) = (words[0], words[1]);
        let (exec, plain) = match letters.find('x') {
            Some(x) if x > 0 && !"rwalkm".contains(&letters[x - 1..x]) => {
                let transition = match letters.as_bytes()[x - 1].to_ascii_lowercase() {
                    b'i' => ExecTransition::Inherit,
                    b'p' => ExecTransition::Profile,
                    b'c' => ExecTransition::Child,
                    _ => ExecTransition::Unconfined,
                };
                let mode = ExecMode {
                    transition: Some(transition),
                    scrub: letters.as_bytes()[x - 1].is_ascii_uppercase(),
                    fallback: None,
                    target: None,
                };
                (Some(mode), format!("{}x", &letters[..x - 1]))
            }
            Some(_) => {
                let bare = ExecMode {
                    transition: None,
                    scrub: false,
                    fallback: None,
                    target: None,
                };
                (Some(bare), letters.to_string())
            }
            None => (None, letters.to_string()),
        };
        FileRule {
            origin: origin(),
            qualifiers,
            pattern: pattern.to_string(),
            perms: FilePerms::from_letters(&plain).unwrap(),
            exec,
            link: None,
        }
    }

    fn origin() -> Origin {
        Origin {
            span: Span::new(FileId(0), 0, 0),
            include_chain: vec![],
        }
    }

    fn profile(rules: &[&str]) -> Profile {
        Profile {
            name: "p".into(),
            origin: origin(),
            attachment: None,
            flags: vec![],
            is_hat: false,
            file_rules: rules.iter().map(|text| rule(text)).collect(),
            other_rules: vec![],
            children: vec![],
            unresolved_includes: vec![],
        }
    }

    fn explain(rules: &[&str], path: &str) -> Explanation {
        let profile = profile(rules);
        let automaton = PermissionAutomaton::build(&profile, &Limits::default()).unwrap();
        Explainer::new(&profile, &automaton).explain(path.as_bytes())
    }

    fn letter(text: &str) -> FilePerms {
        FilePerms::from_letters(text).unwrap()
    }

    /// (rules, path, half, letter, decision, allowed_by, denied_by,
    /// outranked)
    #[test]
    fn reasons_name_the_deciding_rules() {
        use PermissionDecision::*;
        type Case = (
            &'static [&'static str],
            &'static str,
            Half,
            &'static str,
            PermissionDecision,
            &'static [usize],
            &'static [usize],
            &'static [usize],
        );
        let cases: &[Case] = &[
            (
                &["/a/** rw", "deny /a/b w"],
                "/a/b",
                Half::Owner,
                "w",
                Deny,
                &[0],
                &[1],
                &[],
            ),
            (
                &["/a/** rw", "deny /a/b w"],
                "/a/b",
                Half::Other,
                "a",
                Deny,
                &[0],
                &[1],
                &[],
            ),
            (
                &["/a/** rw", "deny /a/b w"],
                "/a/b",
                Half::Owner,
                "r",
                Allow,
                &[0],
                &[],
                &[],
            ),
            (
                &["owner /a/** r"],
                "/a/b",
                Half::Other,
                "r",
                None,
                &[],
                &[],
                &[],
            ),
            (
                &["owner /a/** r"],
                "/a/b",
                Half::Owner,
                "r",
                Allow,
                &[0],
                &[],
                &[],
            ),
            (
                &["/a/** ix"],
                "/a/b",
                Half::Owner,
                "m",
                Allow,
                &[0],
                &[],
                &[],
            ),
            (
                &["deny /a/** l", "/a/b l"],
                "/a/b",
                Half::Owner,
                "l",
                Allow,
                &[1],
                &[],
                &[],
            ),
            (
                &["priority=1 /a/** w", "deny /a/b w"],
                "/a/b",
                Half::Owner,
                "w",
                Allow,
                &[0],
                &[],
                &[1],
            ),
        ];
        for &(rules, path, half, perm, decision, allowed, denied, outranked) in cases {
            let explanation = explain(rules, path);
            let reason = explanation.reason(half, letter(perm)).unwrap();
            let got = (
                reason.decision,
                reason.allowed_by.as_slice(),
                reason.denied_by.as_slice(),
                reason.outranked.as_slice(),
            );
            let expected = (decision, allowed, denied, outranked);
            assert_eq!(got, expected, "{rules:?} {path} {half:?} {perm}");
        }
    }

    #[test]
    fn exact_rule_sets_the_exec_mode() {
        let explanation = explain(&["/usr/bin/* Px", "/usr/bin/sh ix"], "/usr/bin/sh");
        let reason = explanation.reason(Half::Owner, FilePerms::EXEC).unwrap();
        let exec = reason.exec.as_ref().unwrap();
        assert_eq!((exec.mode.as_str(), &exec.from[..]), ("ix", &[1][..]));
        assert_eq!(exec.overridden, vec![0]);
    }

    #[test]
    fn deciding_rules_follow_the_decision() {
        let explanation = explain(&["/a/** rw", "deny /a/b/** w", "/a/b/c r"], "/a/b/c");
        let cases = [
            ("r", vec![0, 2]),
            ("w", vec![1]),
            ("rw", vec![1]),
            ("k", vec![]),
        ];
        for (perms, expected) in cases {
            let got = explanation.deciding_rules(Half::Owner, letter(perms));
            assert_eq!(got, expected, "{perms}");
        }
    }

    /// (pattern, path, expanded patterns of the matching alternatives)
    #[test]
    fn finds_the_matching_alternatives() {
        let cases: &[(&str, &str, &[&str])] = &[
            ("/a/{b,c}", "/a/c", &["/a/c"]),
            ("/a/{b,{c,d}e}", "/a/de", &["/a/de"]),
            // After `{`, `**` may match nothing: both alternatives match.
            ("/a/{,**}", "/a/", &["/a/", "/a/**"]),
            ("/a/{,**}", "/a/x/y", &["/a/**"]),
            ("/k/{?,??,[^n][^s]*}", "/k/ab", &["/k/??", "/k/[^n][^s]*"]),
            ("/a/{x,y}/{1,2}", "/a/y/1", &["/a/y/1"]),
            ("/a/[{]{b,c}", "/a/{c", &["/a/[{]c"]),
            ("/a/\\{b,c\\}{d,e}", "/a/{b,c}e", &["/a/\\{b,c\\}e"]),
        ];
        for (pattern, path, expected) in cases {
            let got: Vec<String> = match alternatives(pattern, path.as_bytes(), &Limits::default())
            {
                Alternatives::Matched(found) => found.into_iter().map(|m| m.expanded).collect(),
                other => panic!("{pattern}: {other:?}"),
            };
            assert_eq!(got, *expected, "{pattern} on {path}");
        }
        let plain = alternatives("/a/*", b"/a/b", &Limits::default());
        assert_eq!(plain, Alternatives::NoGroups);
    }

    #[test]
    fn restricting_a_group_keeps_the_star_rule() {
        // `*` right after `{` may match an empty segment, unlike `/a/*`.
        let found = alternatives("/a/{*,b}", b"/a/", &Limits::default());
        let Alternatives::Matched(found) = found else {
            panic!("{found:?}")
        };
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].choices[0].alternative, "*");
        assert_eq!(found[0].choices[0].group, "{*,b}");
    }

    #[test]
    fn deep_nesting_stops_at_the_length_limit() {
        let pattern = format!("/{}q{}", "{a,".repeat(30), "}".repeat(30));
        let found = alternatives(&pattern, b"/q", &Limits::default());
        let Alternatives::Unknown(reason) = found else {
            panic!("{found:?}")
        };
        let limit = format!("{} bytes", Limits::default().max_pattern_len);
        assert!(reason.contains(&limit), "{reason}");
        let shallow = format!("/{}q{}", "{a,".repeat(5), "}".repeat(5));
        let found = alternatives(&shallow, b"/q", &Limits::default());
        let Alternatives::Matched(found) = found else {
            panic!("{found:?}")
        };
        assert_eq!((found.len(), found[0].choices.len()), (1, 5));
    }

    #[test]
    fn closest_rules_follow_the_path_furthest() {
        let profile = profile(&["/usr/** r", "/proc/sys/kernel/shm* rw", "/proc/*/fd/ r"]);
        let automaton = PermissionAutomaton::build(&profile, &Limits::default()).unwrap();
        let explainer = Explainer::new(&profile, &automaton);
        let near = explainer.closest_rules(b"/proc/sys/kernel/x", |_| true, 2);
        let got: Vec<(usize, usize)> = near.iter().map(|n| (n.rule, n.matched)).collect();
        assert_eq!(got, vec![(1, 17), (2, 10)]);
    }

    #[test]
    fn implicit_rules_contribute_what_the_automaton_holds() {
        let mut with_hat = profile(&["/a r"]);
        let mut hat = profile(&[]);
        hat.is_hat = true;
        with_hat.children.push(hat);
        let automaton = PermissionAutomaton::build(&with_hat, &Limits::default()).unwrap();
        let explainer = Explainer::new(&with_hat, &automaton);
        let paths: &[&[u8]] = &[
            b"/proc/1/attr/current",
            b"/proc/1/attr/apparmor/",
            b"/sys/module/apparmor/parameters/enabled",
        ];
        for &path in paths {
            let explanation = explainer.explain(path);
            assert!(!explanation.matches.is_empty());
            for reason in &explanation.reasons {
                let given = !reason.allowed_by.is_empty();
                let allowed = reason.decision == PermissionDecision::Allow;
                assert_eq!(given, allowed, "{reason:?}");
            }
        }
    }
}
