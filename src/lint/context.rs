//! What a lint sees: one profile, the source text it came from, and the
//! automata of that profile, built at most once per profile and shared by
//! every lint that asks.
//!
//! Automata are built lazily: a lint that only reads rules costs nothing,
//! and a profile whose rules cannot be compiled (a pattern past the limits)
//! makes the automaton lints fall silent for that profile instead of
//! failing the whole check; the reason is logged.

use std::cell::{OnceCell, RefCell};
use std::collections::HashMap;
use std::rc::Rc;

use crate::compile::pattern::{self, Ir};
use crate::compile::{
    Dfa, Half, Limits, PathPermissions, PermissionAutomaton, byteset::ByteSet, dfa,
};
use crate::lint::examples::{PathQuery, Paths};
use crate::model::{Decision, FilePerms, FileRule, Profile};
use crate::source::SourceMap;

/// A set of paths as an automaton (`true` on the paths in the set), kept
/// for many queries.
pub type PathSet = Rc<Paths>;

/// Which rules a permission region is computed from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Region {
    /// Allowed after every rule of the profile (deny included).
    Allowed,
    /// Explicitly denied by a deny rule.
    Denied,
}

/// The profile under lint and everything derived from it.
pub struct LintContext<'a> {
    pub profile: &'a Profile,
    pub sources: &'a SourceMap,
    pub limits: Limits,
    full: OnceCell<Option<PermissionAutomaton>>,
    /// Each path's decision.
    decisions: OnceCell<Option<Dfa<PathPermissions>>>,
    patterns: RefCell<HashMap<String, Option<PathSet>>>,
    regions: RefCell<HashMap<(Region, u8, Half), Option<PathSet>>>,
    canonical: OnceCell<PathSet>,
}

impl<'a> LintContext<'a> {
    pub fn new(profile: &'a Profile, sources: &'a SourceMap) -> LintContext<'a> {
        LintContext {
            profile,
            sources,
            limits: Limits::default(),
            full: OnceCell::new(),
            decisions: OnceCell::new(),
            patterns: RefCell::default(),
            regions: RefCell::default(),
            canonical: OnceCell::new(),
        }
    }

    /// The permission automaton of the whole profile, or `None` when it
    /// cannot be built.
    pub fn automaton(&self) -> Option<&PermissionAutomaton> {
        let built = self.full.get_or_init(|| self.build(self.profile));
        built.as_ref()
    }

    fn build(&self, profile: &Profile) -> Option<PermissionAutomaton> {
        match PermissionAutomaton::build(profile, &self.limits) {
            Ok(automaton) => Some(automaton),
            Err(error) => {
                log::info!(
                    "profile `{}`: automaton lints skipped: {error}",
                    profile.name
                );
                None
            }
        }
    }

    /// The canonical paths a pattern matches: the pattern's automaton
    /// intersected with [`LintContext::canonical`]. `None` when the pattern
    /// does not compile.
    pub fn pattern(&self, text: &str) -> Option<PathSet> {
        if let Some(found) = self.patterns.borrow().get(text) {
            return found.clone();
        }
        let built = self.build_pattern(text);
        self.patterns
            .borrow_mut()
            .insert(text.to_string(), built.clone());
        built
    }

    fn build_pattern(&self, text: &str) -> Option<PathSet> {
        let parsed = pattern::parse(text, &self.limits).ok()?;
        let raw = dfa::from_ir(&parsed.ir, &self.limits).ok()?;
        let canonical = self.canonical();
        let both = raw.product(&canonical, &self.limits, |a, b| *a && *b);
        Some(Rc::new(Paths::new(both.ok()?.minimize())))
    }

    /// Whether `rule`'s pattern matches no canonical path at all (every
    /// path it matches holds `//`); `None` when it does not compile.
    pub fn matches_nothing(&self, rule: &FileRule) -> Option<bool> {
        let pattern = self.pattern(&rule.pattern)?;
        Some(PathQuery::new().with(&pattern, true).is_empty())
    }

    /// A shortest string the pattern matches, canonical or not.
    pub fn raw_pattern_witness(&self, text: &str) -> Option<Vec<u8>> {
        let parsed = pattern::parse(text, &self.limits).ok()?;
        let raw = Paths::new(dfa::from_ir(&parsed.ir, &self.limits).ok()?);
        PathQuery::new().with_kept(&raw, true).shortest(1).pop()
    }

    /// The paths the kernel can present: a `/`, then components without
    /// NUL or `/`, one `/` between them, and possibly a trailing `/` (a
    /// directory). `/proc//sys` is not one of them.
    pub fn canonical(&self) -> PathSet {
        let built = self.canonical.get_or_init(|| {
            let mut excluded = ByteSet::single(b'/');
            excluded.insert(0);
            let name_byte = excluded.complement();
            let component = Ir::Plus(Box::new(Ir::Class(name_byte)));
            let directories = Ir::Concat(vec![component.clone(), Ir::Byte(b'/')]);
            let ir = Ir::Concat(vec![
                Ir::Byte(b'/'),
                Ir::Star(Box::new(directories)),
                Ir::Alternation(vec![Ir::Empty, component]),
            ]);
            let built = dfa::from_ir(&ir, &self.limits).expect("a small fixed automaton");
            Rc::new(Paths::new(built.minimize()))
        });
        built.clone()
    }

    /// The paths where every permission of `perms` holds in `half`, by the
    /// rules `region` names. `None` when the profile's automaton cannot be
    /// built.
    pub fn region(&self, region: Region, perms: FilePerms, half: Half) -> Option<PathSet> {
        let key = (region, perms.0, half);
        if let Some(found) = self.regions.borrow().get(&key) {
            return found.clone();
        }
        let built = self.build_region(region, perms, half);
        self.regions.borrow_mut().insert(key, built.clone());
        built
    }

    fn build_region(&self, region: Region, perms: FilePerms, half: Half) -> Option<PathSet> {
        let decisions = self
            .decisions
            .get_or_init(|| Some(self.automaton()?.permissions_automaton()));
        // Not minimised again: path queries do not need it, and one
        // minimisation per automaton is what costs.
        let dfa = decisions.as_ref()?.map(|decision| {
            let decision = decision.half(half);
            match region {
                Region::Denied => decision.deny.contains(perms),
                Region::Allowed => decision.allow.contains(perms),
            }
        });
        Some(Rc::new(Paths::new(dfa)))
    }

    /// The text of the comment after `rule` on the line where it ends, up
    /// to any second `#` (where a fixture's `# expect:` starts).
    pub fn trailing_comment(&self, rule: &FileRule) -> Option<&'a str> {
        let span = rule.origin.span;
        let file = self.sources.get(span.file);
        let line = file.line_text(file.line_index(span.end));
        let line_start = line.as_ptr() as usize - file.text.as_ptr() as usize;
        let after = line.get((span.end as usize).saturating_sub(line_start)..)?;
        let comment = after.trim_start().strip_prefix('#')?;
        let comment = comment.split('#').next().unwrap_or("");
        Some(comment.trim()).filter(|comment| !comment.is_empty())
    }
}

/// Whether a rule grants what it names (allow or prompt), as opposed to a
/// deny rule.
pub fn grants(rule: &FileRule) -> bool {
    matches!(rule.qualifiers.decision, Decision::Allow | Decision::Prompt)
}

/// Whether a rule was written in the profile's own file rather than in an
/// included abstraction, which is written for many profiles at once.
pub fn is_own(rule: &FileRule) -> bool {
    rule.origin.include_chain.is_empty()
}

/// Whether some path is in `left` but not in `right`.
pub fn leaves_out(left: &Dfa<bool>, right: &Dfa<bool>) -> bool {
    !PathQuery::new()
        .with(left, true)
        .with(right, false)
        .is_empty()
}

/// The paths in `left` and not in `right`, as an automaton.
pub fn minus(left: &Dfa<bool>, right: &Dfa<bool>, limits: &Limits) -> Option<Dfa<bool>> {
    let difference = left.product(right, limits, |a, b| *a && !*b).ok()?;
    Some(difference.minimize())
}

/// The paths in both `left` and `right`, as an automaton.
pub fn both(left: &Dfa<bool>, right: &Dfa<bool>, limits: &Limits) -> Option<Dfa<bool>> {
    let intersection = left.product(right, limits, |a, b| *a && *b).ok()?;
    Some(intersection.minimize())
}
