//! Deciding a spec's assertions over all paths, with automata.
//!
//! For each assertion and each permission letter of its `perm`, the set of
//! paths where the profile allows that letter (in the assertion's half) is
//! an automaton; the claim compares it with the automata of the spec's
//! patterns and, for comparison claims, of the baseline profile. A claim
//! fails in up to two directions, each a set of paths computed exactly:
//! "allowed but should not be" and "should be allowed but is not". A
//! violated direction is described by [`witness::describe`].
//!
//! Every set is restricted to [`witness::path_universe`], the paths the
//! kernel can look up, so `/a//b` or `/a/./b` never count as violations.
//!
//! Unresolved includes ([`Profile::unresolved_includes`]) hold unknown
//! rules. The allowed set is then only known to lie between two bounds:
//! "the unknown rules deny everything" (nothing is allowed) and "the
//! unknown rules allow everything" (what the known rules do not deny). A
//! direction's violating set grows with one operand and shrinks with the
//! other, so it is computed at both extremes: if even the smallest is not
//! empty the claim is violated; if even the largest is empty it holds;
//! otherwise it is undecided, and the includes it depends on are named.

use crate::analyze::explain::{Explainer, Explanation};
use crate::analyze::query::PermissionDecision;
use crate::analyze::spec::{Assertion, Baseline, Claim, HalfSelector, Spec};
use crate::analyze::witness::{
    self, Inventory, PatternSetError, SetDescription, SetSize, WitnessPath, difference,
    intersection, is_empty,
};
use crate::compile::{
    CompileError, Dfa, EntrySource, Half, HalfPermissions, Limits, PathPermissions,
    PermissionAutomaton,
};
use crate::diagnostic::Diagnostic;
use crate::model::{Decision, FilePerms, Origin, OwnerQualifier, Profile};
use crate::source::{FileId, Span};

/// What `prove` needs besides the spec: the profile, the baselines the
/// spec names, the inventory of real paths, and how to expand variables in
/// spec patterns.
pub struct ProveContext<'a> {
    pub profile: &'a Profile,
    /// The profile of each baseline the spec names.
    pub baselines: &'a [(Baseline, Profile)],
    pub inventory: &'a Inventory,
    /// Expands `@{VAR}` references of a spec pattern with the profile's
    /// variables; an error is a message for a diagnostic.
    pub expand: &'a dyn Fn(&str) -> Result<String, String>,
    pub limits: &'a Limits,
}

/// The outcome of proving a whole spec.
#[derive(Clone, Debug)]
pub struct Proof {
    pub assertions: Vec<AssertionOutcome>,
}

impl Proof {
    /// The worst verdict of all assertions.
    pub fn verdict(&self) -> Verdict {
        let verdicts = self.assertions.iter().map(|outcome| outcome.verdict);
        verdicts.max().unwrap_or(Verdict::Proved)
    }
}

/// Proved, undecided (depends on unknown rules) or violated; ordered from
/// best to worst.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    Proved,
    Undecided,
    Violated,
}

/// One assertion's verdict and, unless proved, its findings.
#[derive(Clone, Debug)]
pub struct AssertionOutcome {
    pub name: String,
    /// The `[[assert]]` table in the spec.
    pub span: Span,
    pub verdict: Verdict,
    /// One per permission letter and direction that is not proved.
    pub findings: Vec<Finding>,
}

/// The two ways a claim can fail.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    /// Allowed by the profile, but the claim says it should not be.
    AllowedButShouldNotBe,
    /// The claim says it should be allowed, but the profile does not allow it.
    ShouldBeAllowedButIsNot,
}

impl Direction {
    pub fn describe(self) -> &'static str {
        match self {
            Direction::AllowedButShouldNotBe => "allowed but should not be",
            Direction::ShouldBeAllowedButIsNot => "should be allowed but is not",
        }
    }
}

/// A violated or undecided direction of one permission letter.
#[derive(Clone, Debug)]
pub struct Finding {
    pub perm: char,
    pub direction: Direction,
    pub verdict: Verdict,
    /// For an undecided finding, the unresolved includes it depends on.
    pub unknown_includes: Vec<String>,
    /// The violating paths (for an undecided finding: the paths whose
    /// verdict depends on the unknown rules), with the deciding rules.
    pub witnesses: Vec<Witness>,
    /// How many inventory paths the set holds.
    pub real_count: usize,
    pub size: SetSize,
    pub summary: Vec<String>,
    pub summary_complete: bool,
    /// The set itself (on the path universe): the violating paths, or for
    /// an undecided finding the paths that may violate the claim.
    pub set: Dfa<bool>,
}

/// A path of a finding, and the rules that decide it.
#[derive(Clone, Debug)]
pub struct Witness {
    pub path: Vec<u8>,
    pub real: bool,
    pub rules: Vec<DecidingRule>,
}

/// Which profile a deciding rule belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Side {
    Profile,
    /// The baseline `ProveContext::baselines[index]`.
    Baseline(usize),
}

/// A rule that decides a witness's permission, or the fact that none does.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DecidingRule {
    /// `profile.file_rules[index]` (of the profile or of the baseline).
    Rule {
        side: Side,
        index: usize,
        decision: Decision,
        origin: Origin,
    },
    /// A rule upstream adds by itself; the text is its pattern.
    Implicit { side: Side, pattern: &'static str },
    /// No rule of this side allows the permission on the path.
    NoAllowRule { side: Side },
}

/// Proves every assertion of `spec`. Errors are diagnostics: an invalid
/// pattern in the spec (pointing into it), a profile or baseline that does
/// not compile, or an automaton over the limits.
pub fn prove(spec: &Spec, context: &ProveContext) -> Result<Proof, Vec<Diagnostic>> {
    let prover = Prover::new(context)?;
    let mut assertions = Vec::new();
    let mut diagnostics = Vec::new();
    for assertion in &spec.assertions {
        match prover.assertion(assertion) {
            Ok(outcome) => assertions.push(outcome),
            Err(error) => diagnostics.push(error),
        }
    }
    if diagnostics.is_empty() {
        Ok(Proof { assertions })
    } else {
        Err(diagnostics)
    }
}

/// A profile with its compiled automaton.
struct Compiled<'a> {
    profile: &'a Profile,
    automaton: PermissionAutomaton,
    side: Side,
    /// Each string's [`PathLabel`], minimal: every allowed set of this
    /// profile is a relabelling of it.
    paths: Dfa<PathLabel>,
}

/// What `prove` needs to know of one string for one profile.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
struct PathLabel {
    /// The string is in the path universe.
    is_path: bool,
    decision: PathPermissions,
    /// Per half (owner, other): a `deny ... l` rule without a link target
    /// matches. Such a rule denies the link pair for every target, which
    /// the path's own permissions do not show.
    link_denied: [bool; 2],
}

/// A set known only between two bounds; `lower == upper` when exact.
struct Bounds {
    lower: Dfa<bool>,
    upper: Dfa<bool>,
    unknown_includes: Vec<String>,
}

impl Bounds {
    fn exact(set: Dfa<bool>) -> Bounds {
        Bounds {
            lower: set.clone(),
            upper: set,
            unknown_includes: Vec::new(),
        }
    }

    /// Whether the set is known exactly (`lower` and `upper` are the same
    /// set): bounds are either built exact or name the includes they
    /// depend on.
    fn is_exact(&self) -> bool {
        self.unknown_includes.is_empty()
    }
}

/// One direction of a claim: the violating paths are those in `positive`
/// and in `within` but not in `negative` (for "allowed but should not be",
/// `positive` is what the profile allows; for "should be allowed but is
/// not", what the spec or the baseline expects).
struct DirectionSets<'s> {
    direction: Direction,
    half: HalfSelector,
    positive: &'s Bounds,
    negative: Option<&'s Bounds>,
    within: &'s Dfa<bool>,
}

struct Prover<'a> {
    context: &'a ProveContext<'a>,
    universe: Dfa<bool>,
    subject: Compiled<'a>,
    baselines: Vec<(&'a Baseline, Compiled<'a>)>,
}

impl<'a> Prover<'a> {
    fn new(context: &'a ProveContext<'a>) -> Result<Prover<'a>, Vec<Diagnostic>> {
        let subject = compile(context.profile, Side::Profile, context.limits)?;
        let mut baselines = Vec::new();
        for (index, (baseline, profile)) in context.baselines.iter().enumerate() {
            let side = Side::Baseline(index);
            baselines.push((baseline, compile(profile, side, context.limits)?));
        }
        Ok(Prover {
            context,
            universe: witness::path_universe(context.limits),
            subject,
            baselines,
        })
    }

    fn assertion(&self, assertion: &Assertion) -> Result<AssertionOutcome, Diagnostic> {
        let file = assertion.span.file;
        let within = self.spec_set(file, &[&assertion.within])?;
        let mut findings = Vec::new();
        for (letter, perm) in FilePerms::LETTERS {
            if assertion.perms.contains(perm) {
                let found = self.letter(assertion, &within, perm, letter)?;
                findings.extend(found);
            }
        }
        let verdicts = findings.iter().map(|finding| finding.verdict);
        Ok(AssertionOutcome {
            name: assertion.name.clone(),
            span: assertion.span,
            verdict: verdicts.max().unwrap_or(Verdict::Proved),
            findings,
        })
    }

    /// The findings of one permission letter.
    fn letter(
        &self,
        assertion: &Assertion,
        within: &Dfa<bool>,
        perm: FilePerms,
        letter: char,
    ) -> Result<Vec<Finding>, Diagnostic> {
        let file = assertion.span.file;
        let half = assertion.half;
        let allowed = self.allowed(&self.subject, perm, half)?;
        let limits = self.context.limits;
        let over = |positive, negative, within| DirectionSets {
            direction: Direction::AllowedButShouldNotBe,
            half,
            positive,
            negative,
            within,
        };
        let under = |positive, negative, within| DirectionSets {
            direction: Direction::ShouldBeAllowedButIsNot,
            half,
            positive,
            negative,
            within,
        };
        let mut findings = Vec::new();
        match &assertion.claim {
            Claim::AllowExactly(patterns) | Claim::AllowOnly(patterns) => {
                let expected = Bounds::exact(self.spec_set(file, &spanned(patterns))?);
                let exactly = matches!(assertion.claim, Claim::AllowExactly(_));
                let sets = over(&allowed, Some(&expected), within);
                findings.extend(self.direction(&sets, perm, letter, None)?);
                if exactly {
                    let sets = under(&expected, Some(&allowed), within);
                    findings.extend(self.direction(&sets, perm, letter, None)?);
                }
            }
            Claim::AllowNone => {
                let sets = over(&allowed, None, within);
                findings.extend(self.direction(&sets, perm, letter, None)?);
            }
            Claim::NoMoreThan { baseline, except } | Claim::SameAs { baseline, except } => {
                let except = self.spec_set(file, &spanned(except))?;
                let region = self.limit(difference(within, &except, limits))?;
                let base = self.baseline(baseline, assertion)?;
                let base_allowed = self.allowed(base, perm, half)?;
                let sets = over(&allowed, Some(&base_allowed), &region);
                findings.extend(self.direction(&sets, perm, letter, Some(base))?);
                if matches!(assertion.claim, Claim::SameAs { .. }) {
                    let sets = under(&base_allowed, Some(&allowed), &region);
                    findings.extend(self.direction(&sets, perm, letter, Some(base))?);
                }
            }
        }
        Ok(findings)
    }

    /// Decides one direction: `None` when it holds for every path.
    fn direction(
        &self,
        sets: &DirectionSets,
        perm: FilePerms,
        letter: char,
        baseline: Option<&Compiled>,
    ) -> Result<Option<Finding>, Diagnostic> {
        let limits = self.context.limits;
        let empty = self.universe.map(|_| false);
        let (negative_lower, negative_upper) = match sets.negative {
            Some(bounds) => (&bounds.lower, &bounds.upper),
            None => (&empty, &empty),
        };
        let positive = intersection(&sets.positive.lower, sets.within, limits);
        let must = self.limit(positive.and_then(|p| difference(&p, negative_upper, limits)))?;
        if !is_empty(&must) {
            let must = must.minimize();
            return self.finding(&must, sets, perm, letter, baseline, Vec::new());
        }
        // With exact bounds the largest violating set is the smallest one.
        if sets.positive.is_exact() && sets.negative.is_none_or(Bounds::is_exact) {
            return Ok(None);
        }
        let positive = intersection(&sets.positive.upper, sets.within, limits);
        let may = self.limit(positive.and_then(|p| difference(&p, negative_lower, limits)))?;
        if is_empty(&may) {
            return Ok(None);
        }
        let mut includes = sets.positive.unknown_includes.clone();
        includes.extend(
            sets.negative
                .iter()
                .flat_map(|b| b.unknown_includes.clone()),
        );
        includes.sort();
        includes.dedup();
        self.finding(&may.minimize(), sets, perm, letter, baseline, includes)
    }

    fn finding(
        &self,
        set: &Dfa<bool>,
        sets: &DirectionSets,
        perm: FilePerms,
        letter: char,
        baseline: Option<&Compiled>,
        unknown_includes: Vec<String>,
    ) -> Result<Option<Finding>, Diagnostic> {
        let limits = self.context.limits;
        let inventory = self.context.inventory;
        let described = witness::describe(set, &self.universe, inventory, limits);
        let SetDescription {
            witnesses,
            real_count,
            size,
            summary,
            summary_complete,
        } = self.limit(described)?;
        let witnesses = witnesses
            .into_iter()
            .map(|witness| self.witness(witness, sets, perm, baseline))
            .collect();
        let verdict = if unknown_includes.is_empty() {
            Verdict::Violated
        } else {
            Verdict::Undecided
        };
        Ok(Some(Finding {
            perm: letter,
            direction: sets.direction,
            verdict,
            unknown_includes,
            witnesses,
            real_count,
            size,
            summary,
            summary_complete,
            set: set.clone(),
        }))
    }

    /// A witness with the rules of the profile (and the baseline, if the
    /// claim has one) that decide `perm` on it.
    fn witness(
        &self,
        witness: WitnessPath,
        sets: &DirectionSets,
        perm: FilePerms,
        baseline: Option<&Compiled>,
    ) -> Witness {
        let (half, allowed) = (
            sets.half,
            sets.direction == Direction::AllowedButShouldNotBe,
        );
        let path = &witness.path;
        let mut rules = deciding_rules(&self.subject, path, perm, half, allowed);
        if let Some(baseline) = baseline {
            rules.extend(deciding_rules(baseline, path, perm, half, !allowed));
        }
        Witness {
            path: witness.path,
            real: witness.real,
            rules,
        }
    }

    /// The bounds of the paths where `compiled` allows `perm` in `half`.
    fn allowed(
        &self,
        compiled: &Compiled,
        perm: FilePerms,
        half: HalfSelector,
    ) -> Result<Bounds, Diagnostic> {
        let exact = self.select_halves(compiled, perm, half, |h| h.allow.contains(perm))?;
        let unknown = &compiled.profile.unresolved_includes;
        if unknown.is_empty() {
            return Ok(Bounds::exact(exact));
        }
        // FIXME: with AppArmor 4 priorities an unknown rule could also
        // override a known deny; the upper bound assumes it cannot.
        let upper = self.select_halves(compiled, perm, half, |h| !h.deny.contains(perm))?;
        Ok(Bounds {
            lower: self.universe.map(|_| false),
            upper,
            unknown_includes: unknown.iter().map(|include| include.name.clone()).collect(),
        })
    }

    /// The paths where `holds` of the selected half (or halves) is true; for
    /// `l`, minus the paths a `deny ... l` rule refuses to link.
    fn select_halves(
        &self,
        compiled: &Compiled,
        perm: FilePerms,
        half: HalfSelector,
        holds: impl Fn(&HalfPermissions) -> bool,
    ) -> Result<Dfa<bool>, Diagnostic> {
        let in_half = |label: &PathLabel, index: usize, which: Half| {
            let link_denied = perm == FilePerms::LINK && label.link_denied[index];
            holds(label.decision.half(which)) && !link_denied
        };
        Ok(compiled.paths.map(|label| {
            let owner = || in_half(label, 0, Half::Owner);
            let other = || in_half(label, 1, Half::Other);
            label.is_path
                && match half {
                    HalfSelector::Owner => owner(),
                    HalfSelector::Other => other(),
                    HalfSelector::Either => owner() || other(),
                    HalfSelector::Both => owner() && other(),
                }
        }))
    }

    fn baseline(
        &self,
        baseline: &Baseline,
        assertion: &Assertion,
    ) -> Result<&Compiled<'a>, Diagnostic> {
        let found = self.baselines.iter().find(|(known, _)| *known == baseline);
        found.map(|(_, compiled)| compiled).ok_or_else(|| {
            prove_error("the baseline of this assertion was not loaded")
                .with_primary(assertion.span, "this assertion")
        })
    }

    /// The union of the spec patterns, on the path universe.
    fn spec_set(
        &self,
        file: FileId,
        patterns: &[&toml::Spanned<String>],
    ) -> Result<Dfa<bool>, Diagnostic> {
        let limits = self.context.limits;
        let mut set = self.universe.map(|_| false);
        for pattern in patterns {
            let span = Span::new(file, pattern.span().start, pattern.span().end);
            let expanded = (self.context.expand)(pattern.get_ref()).map_err(|message| {
                pattern_error(
                    format!("cannot expand `{}`: {message}", pattern.get_ref()),
                    span,
                )
            })?;
            let one = witness::pattern_set(&expanded, limits).map_err(|error| {
                pattern_error(format!("invalid pattern `{expanded}`: {error}"), span)
            })?;
            set = self.limit(witness::union(&set, &one, limits))?;
        }
        self.limit(intersection(&set, &self.universe, limits))
    }

    /// Turns an automaton over the limits into a diagnostic.
    fn limit<T>(&self, result: Result<T, CompileError>) -> Result<T, Diagnostic> {
        result.map_err(|error| {
            prove_error(format!("cannot decide the spec: {error}"))
                .with_help("simplify the spec's patterns or the profile's rules")
        })
    }
}

fn spanned(patterns: &[toml::Spanned<String>]) -> Vec<&toml::Spanned<String>> {
    patterns.iter().collect()
}

fn compile<'a>(
    profile: &'a Profile,
    side: Side,
    limits: &Limits,
) -> Result<Compiled<'a>, Vec<Diagnostic>> {
    let built = PermissionAutomaton::build(profile, limits);
    match built.and_then(|automaton| Ok((path_labels(profile, &automaton, limits)?, automaton))) {
        Ok((paths, automaton)) => Ok(Compiled {
            profile,
            automaton,
            side,
            paths,
        }),
        Err(error) => {
            let which = match side {
                Side::Profile => "profile",
                Side::Baseline(_) => "baseline profile",
            };
            let message = format!("the {which} `{}` does not compile: {error}", profile.name);
            let mut diagnostic = prove_error(message);
            if let CompileError::Pattern {
                rule: Some(rule), ..
            } = error
            {
                let origin = &profile.file_rules[rule].origin;
                diagnostic = diagnostic
                    .with_primary(origin.span, "this rule")
                    .with_include_chain(origin.include_chain.clone());
            }
            Err(vec![diagnostic])
        }
    }
}

/// The labelled automaton of [`Compiled::paths`].
fn path_labels(
    profile: &Profile,
    automaton: &PermissionAutomaton,
    limits: &Limits,
) -> Result<Dfa<PathLabel>, CompileError> {
    let universe = witness::path_universe(limits);
    let [owner, other] = link_denied(profile, limits)?;
    let decisions = automaton.permissions_automaton();
    let labelled = decisions.product(&universe, limits, |decision, is_path| PathLabel {
        is_path: *is_path,
        decision: *decision,
        link_denied: [false; 2],
    })?;
    let labelled = labelled.product(&owner, limits, |label, denied| PathLabel {
        link_denied: [*denied, false],
        ..*label
    })?;
    let labelled = labelled.product(&other, limits, |label, denied| PathLabel {
        link_denied: [label.link_denied[0], *denied],
        ..*label
    })?;
    Ok(labelled.minimize())
}

/// Per half (owner, other), the union of the patterns of `deny ... l`
/// rules without a link target.
///
/// FIXME: a `deny ... l -> TARGET` rule leaves other targets linkable and
/// is not counted here, and the link pair itself is not modelled: `l` on a
/// path means "some rule lets it be linked", which is exact only when no
/// rule names a link target.
fn link_denied(profile: &Profile, limits: &Limits) -> Result<[Dfa<bool>; 2], CompileError> {
    let mut halves = Vec::new();
    for which in [OwnerQualifier::Owner, OwnerQualifier::Other] {
        let mut set: Option<Dfa<bool>> = None;
        for (index, rule) in profile.file_rules.iter().enumerate() {
            let applies = matches!(rule.qualifiers.owner, OwnerQualifier::Both)
                || rule.qualifiers.owner == which;
            let denies =
                rule.qualifiers.decision == Decision::Deny && rule.perms.contains(FilePerms::LINK);
            if !(applies && denies && rule.link.is_none()) {
                continue;
            }
            let one = witness::pattern_set(&rule.pattern, limits).map_err(|error| match error {
                PatternSetError::Compile(error) => error,
                PatternSetError::Pattern(error) => CompileError::Pattern {
                    rule: Some(index),
                    pattern: rule.pattern.clone(),
                    error,
                },
            })?;
            set = Some(match set {
                Some(set) => witness::union(&set, &one, limits)?,
                None => one,
            });
        }
        halves.push(set.unwrap_or_else(|| witness::path_universe(limits).map(|_| false)));
    }
    Ok(halves.try_into().expect("two halves"))
}

/// The rules that decide `perm` on `path` in the halves `half` selects, as
/// `explain` finds them: when `allowed`, the allow rules granting it where
/// it is allowed; otherwise the deny rules taking it where it is denied,
/// and the fact that no rule allows it where none does. A `deny ... l`
/// rule decides `l` on its own (explain counts it for link pairs only).
fn deciding_rules(
    compiled: &Compiled,
    path: &[u8],
    perm: FilePerms,
    half: HalfSelector,
    allowed: bool,
) -> Vec<DecidingRule> {
    let side = compiled.side;
    let explainer = Explainer::new(compiled.profile, &compiled.automaton);
    let explanation = explainer.without_alternatives().explain(path);
    let mut matches: Vec<usize> = Vec::new();
    let mut unallowed = false;
    for &which in selected_halves(half) {
        if perm == FilePerms::LINK && !allowed {
            matches.extend(link_deny_matches(compiled, &explanation, which));
        }
        match (allowed, explanation.decision(which, perm)) {
            (true, PermissionDecision::Allow) | (false, PermissionDecision::Deny) => {
                matches.extend(explanation.deciding(which, perm));
            }
            (false, PermissionDecision::None) => unallowed = true,
            _ => {}
        }
    }
    matches.sort_unstable();
    matches.dedup();
    let mut rules: Vec<DecidingRule> = matches
        .iter()
        .map(|&m| deciding_rule(compiled, &explanation.matches[m].source, side))
        .collect();
    if rules.is_empty() && (unallowed || !allowed) {
        rules.push(DecidingRule::NoAllowRule { side });
    }
    rules
}

fn selected_halves(half: HalfSelector) -> &'static [Half] {
    match half {
        HalfSelector::Either | HalfSelector::Both => &Half::BOTH,
        HalfSelector::Owner => &[Half::Owner],
        HalfSelector::Other => &[Half::Other],
    }
}

/// The matches of `deny ... l` rules without a link target in `half`.
fn link_deny_matches<'e>(
    compiled: &'e Compiled,
    explanation: &'e Explanation,
    half: Half,
) -> impl Iterator<Item = usize> + 'e {
    let matches = explanation.matches.iter().enumerate();
    matches.filter_map(move |(m, found)| {
        let EntrySource::Rule(index) = found.source else {
            return None;
        };
        let rule = &compiled.profile.file_rules[index];
        let in_half = Half::of_rule(rule.qualifiers.owner).contains(&half);
        let denies = rule.qualifiers.decision == Decision::Deny
            && rule.perms.contains(FilePerms::LINK)
            && rule.link.is_none();
        (in_half && denies).then_some(m)
    })
}

fn deciding_rule(compiled: &Compiled, source: &EntrySource, side: Side) -> DecidingRule {
    match source {
        EntrySource::Rule(index) | EntrySource::LinkPair(index) => {
            let rule = &compiled.profile.file_rules[*index];
            DecidingRule::Rule {
                side,
                index: *index,
                decision: rule.qualifiers.decision,
                origin: rule.origin.clone(),
            }
        }
        EntrySource::Implicit(pattern) => DecidingRule::Implicit { side, pattern },
    }
}

fn prove_error(message: impl Into<String>) -> Diagnostic {
    Diagnostic::error("E910", "cannot-prove", message)
}

fn pattern_error(message: String, span: Span) -> Diagnostic {
    Diagnostic::error("E901", "invalid-spec-pattern", message).with_primary(span, "in this pattern")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analyze::spec::parse_spec;
    use crate::model::{FileRule, Qualifiers, UnresolvedInclude};

    fn origin() -> Origin {
        Origin {
            span: Span::new(FileId(1), 0, 0),
            include_chain: Vec::new(),
        }
    }

    /// A profile from rules written `[deny] [owner] PATTERN PERMS`.
    fn profile(rules: &[&str]) -> Profile {
        let file_rules = rules.iter().map(|line| rule(line)).collect();
        Profile {
            name: "p".into(),
            origin: origin(),
            attachment: None,
            flags: Vec::new(),
            is_hat: false,
            file_rules,
            other_rules: Vec::new(),
            children: Vec::new(),
            unresolved_includes: Vec::new(),
        }
    }

    fn rule(line: &str) -> FileRule {
        let mut words: Vec<&str> = line.split_whitespace().collect();
        let mut qualifiers = Qualifiers::default();
        while words.len() > 2 {
            match words.remove(0) {
                "deny" => qualifiers.decision = Decision::Deny,
                "owner" => qualifiers.owner = OwnerQualifier::Owner,
                other => panic!("unknown qualifier {other}"),
            }
        }
        FileRule {
            origin: origin(),
            qualifiers,
            pattern: words[0].to_string(),
            perms: FilePerms::from_letters(words[1]).expect("letters"),
            exec: None,
            link: None,
        }
    }

    fn run(profile: &Profile, baselines: &[(Baseline, Profile)], spec: &str) -> Proof {
        let spec = parse_spec(FileId(0), spec).expect("valid spec");
        let mut inventory = Inventory::default();
        inventory.add_text("/k/osrelease\n/k/random/uuid\n/k/shmmax\n/k/ns_last_pid\n");
        let context = ProveContext {
            profile,
            baselines,
            inventory: &inventory,
            expand: &|pattern| Ok(pattern.replace("@{K}", "/k")),
            limits: &Limits::default(),
        };
        prove(&spec, &context).expect("provable")
    }

    const KERNEL_SPEC: &str = r#"
        [[assert]]
        name = "k"
        perm = "w"
        within = "@{K}/**"
        allow_exactly = ["/k/ns_last_pid", "/k/shm*"]
    "#;

    const SEED_RULES: [&str; 2] = ["/{**,} rw", "deny /k/{?,??,[^n][^s]*} w"];

    #[test]
    fn the_seed_rules_fail_both_ways() {
        let outcome = &run(&profile(&SEED_RULES), &[], KERNEL_SPEC).assertions[0];
        assert_eq!(outcome.verdict, Verdict::Violated);
        let directions: Vec<Direction> = outcome.findings.iter().map(|f| f.direction).collect();
        assert_eq!(
            directions,
            [
                Direction::AllowedButShouldNotBe,
                Direction::ShouldBeAllowedButIsNot
            ]
        );
        let over = &outcome.findings[0];
        assert_eq!(over.witnesses[0].path, b"/k/osrelease");
        assert!(over.witnesses[0].real);
        assert_eq!(over.real_count, 2);
        assert_eq!(over.size, SetSize::Infinite);
        // `[^s]` matches `/`, so `/k/a/b` is denied but `/k/random/uuid` is not.
        assert_eq!(over.summary[..2], ["/k/osr*", "/k/random/{,**}"]);
        assert!(!over.summary_complete);
        let under = &outcome.findings[1];
        assert_eq!(under.witnesses[0].path, b"/k/shmmax");
        let rules = &under.witnesses[0].rules;
        assert!(
            matches!(rules[0], DecidingRule::Rule { index: 1, .. }),
            "{rules:?}"
        );
    }

    #[test]
    fn exact_rules_are_proved() {
        let rules = [
            "/{**,} rw",
            "deny /k/*/{,**} w",
            "deny /k/[^ns/]* w",
            "deny /k/{s,s[^h/]*,sh,sh[^m/]*} w",
            "deny /k/{n,ns,n[^s/]*,ns[^_/]*,ns_[^l/]*,ns_l*} w",
        ];
        let spec = KERNEL_SPEC.replace("ns_last_pid", "ns_");
        let proof = run(&profile(&rules), &[], &spec);
        assert_eq!(proof.verdict(), Verdict::Proved, "{proof:#?}");
    }

    #[test]
    fn a_violation_of_one_letter_names_it() {
        let spec = r#"
            [[assert]]
            name = "none"
            perm = "rw"
            within = "/k/{a,b}"
            allow_none = true
        "#;
        let proof = run(&profile(&["/k/a r"]), &[], spec);
        let finding = &proof.assertions[0].findings[0];
        assert_eq!((finding.perm, finding.size), ('r', SetSize::Finite(1)));
        assert_eq!(finding.summary, ["/k/a"]);
        assert_eq!(proof.assertions[0].findings.len(), 1);
    }

    #[test]
    fn a_deny_link_rule_denies_linking_the_path() {
        let spec = "[[assert]]\nname = \"l\"\nperm = \"l\"\nwithin = \"/k/*\"\n\
                    allow_exactly = [\"/k/b\"]\n";
        let subject = profile(&["/{**,} rwl", "deny /k/a l", "deny owner /k/b l"]);
        let proof = run(&subject, &[], spec);
        let findings = &proof.assertions[0].findings;
        assert_eq!(findings.len(), 1, "{findings:#?}");
        assert_eq!(findings[0].direction, Direction::AllowedButShouldNotBe);
        let paths: Vec<&[u8]> = findings[0].witnesses.iter().map(|w| &w.path[..]).collect();
        assert_eq!(paths[0], b"/k/shmmax");
        assert!(paths.contains(&&b"/k/c"[..]) && !paths.contains(&&b"/k/a"[..]));
    }

    #[test]
    fn witnesses_name_their_deciding_rules() {
        let spec = "[[assert]]\nname = \"d\"\nperm = \"r\"\nwithin = \"/{a,b,c}\"\n\
                    allow_exactly = [\"/b\", \"/c\"]\n";
        let subject = profile(&["/{a,c} r", "deny /c r"]);
        let proof = run(&subject, &[], spec);
        let rules = |finding: usize| {
            let witness = &proof.assertions[0].findings[finding].witnesses;
            assert_eq!(witness.len(), 1 + finding, "{witness:#?}");
            witness.iter().map(|w| w.rules.clone()).collect::<Vec<_>>()
        };
        let allowed_by = |index| DecidingRule::Rule {
            side: Side::Profile,
            index,
            decision: if index == 0 {
                Decision::Allow
            } else {
                Decision::Deny
            },
            origin: origin(),
        };
        assert_eq!(rules(0), [vec![allowed_by(0)]]);
        let none = DecidingRule::NoAllowRule {
            side: Side::Profile,
        };
        assert_eq!(rules(1), [vec![none], vec![allowed_by(1)]]);
    }

    #[test]
    fn halves_are_selected() {
        let spec = |half: &str| {
            let text = format!(
                "[[assert]]\nname = \"h\"\nperm = \"r\"\nhalf = \"{half}\"\n\
                 within = \"/a\"\nallow_exactly = [\"/a\"]\n"
            );
            run(&profile(&["owner /a r"]), &[], &text).verdict()
        };
        assert_eq!(spec("either"), Verdict::Proved);
        assert_eq!(spec("owner"), Verdict::Proved);
        assert_eq!(spec("other"), Verdict::Violated);
        assert_eq!(spec("both"), Verdict::Violated);
    }

    #[test]
    fn comparisons_use_the_baseline_and_except() {
        let baseline = Baseline::File {
            path: "b.profile".into(),
            profile: None,
        };
        let base = profile(&["/{**,} rw", "deny /k/** w"]);
        let spec = |claim: &str| {
            format!(
                "[[assert]]\nname = \"c\"\nperm = \"w\"\nwithin = \"/**\"\n\
                 {claim} = \"b.profile\"\nexcept = [\"/k/ns_last_pid\"]\n"
            )
        };
        let subject = profile(&["/{**,} rw", "deny /k/[^n]* w", "deny /k/*/** w"]);
        let baselines = [(baseline, base)];
        let proof = run(&subject, &baselines, &spec("no_more_than"));
        let over = &proof.assertions[0].findings[0];
        assert_eq!(over.witnesses[0].path, b"/k/n");
        assert!(over.witnesses[0].rules.iter().any(|rule| matches!(
            rule,
            DecidingRule::Rule {
                side: Side::Baseline(0),
                decision: Decision::Deny,
                ..
            }
        )));
        let proof = run(&subject, &baselines, &spec("same_as"));
        assert_eq!(proof.assertions[0].findings.len(), 1);
        let proof = run(&baselines[0].1, &baselines, &spec("same_as"));
        assert_eq!(proof.verdict(), Verdict::Proved);
    }

    #[test]
    fn unresolved_includes_decide_only_what_does_not_depend_on_them() {
        let mut subject = profile(&["/a/** r", "deny /b/** r", "deny /a/x r"]);
        subject.unresolved_includes.push(UnresolvedInclude {
            name: "abstractions/missing".into(),
            origin: origin(),
        });
        let verdict = |within: &str, claim: &str| {
            let text =
                format!("[[assert]]\nname = \"u\"\nperm = \"r\"\nwithin = \"{within}\"\n{claim}\n");
            run(&subject, &[], &text).assertions.remove(0)
        };
        assert_eq!(
            verdict("/b/**", "allow_none = true").verdict,
            Verdict::Proved
        );
        let undecided = verdict("/a/**", "allow_none = true");
        assert_eq!(undecided.verdict, Verdict::Undecided);
        assert_eq!(
            undecided.findings[0].unknown_includes,
            ["abstractions/missing"]
        );
        let exactly = verdict("/a/**", "allow_exactly = [\"/a/**\"]");
        assert_eq!(exactly.verdict, Verdict::Violated);
        let violated = &exactly.findings[0];
        assert_eq!(violated.direction, Direction::ShouldBeAllowedButIsNot);
        assert_eq!(violated.witnesses[0].path, b"/a/x");
    }

    #[test]
    fn invalid_spec_patterns_point_into_the_spec() {
        let spec = parse_spec(
            FileId(0),
            "[[assert]]\nname = \"x\"\nperm = \"r\"\nwithin = \"/a{\"\nallow_none = true\n",
        )
        .unwrap();
        let subject = profile(&["/a r"]);
        let context = ProveContext {
            profile: &subject,
            baselines: &[],
            inventory: &Inventory::default(),
            expand: &|pattern| Ok(pattern.to_string()),
            limits: &Limits::default(),
        };
        let errors = prove(&spec, &context).expect_err("bad pattern");
        let span = errors[0].primary.as_ref().expect("span").span;
        assert_eq!((span.start, span.end), (42, 47));
        assert!(
            errors[0].message.starts_with("invalid pattern `/a{`"),
            "{}",
            errors[0].message
        );
    }
}
