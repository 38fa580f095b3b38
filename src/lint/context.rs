//! What a lint sees: one profile, the source text it came from, and the
//! automata of that profile, built at most once per profile and shared by
//! every lint that asks.
//!
//! The canonical path sets of patterns depend on the pattern text alone,
//! so [`PatternSets`] keeps them for every profile of a run: the rules of
//! an abstraction are compiled once, not once per profile including it.
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

/// Rules by their indices, a permission bit and a half.
type DeniedKey = (Vec<usize>, u8, Half);

/// Which rules a permission region is computed from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Region {
    /// Allowed after every rule of the profile (deny included).
    Allowed,
    /// Explicitly denied by a deny rule.
    Denied,
}

/// The canonical path sets of patterns, by pattern text, built with one
/// set of limits and shared by the contexts of many profiles.
pub struct PatternSets {
    limits: Limits,
    sets: RefCell<HashMap<String, Option<PathSet>>>,
    canonical: OnceCell<PathSet>,
}

/// Patterns kept at most by one [`PatternSets`]; past this it starts
/// afresh, so that memory stays bounded over a long run.
const MAX_KEPT_PATTERNS: usize = 10_000;

impl PatternSets {
    pub fn new(limits: Limits) -> PatternSets {
        PatternSets {
            limits,
            sets: RefCell::default(),
            canonical: OnceCell::new(),
        }
    }

    fn get(&self, text: &str) -> Option<PathSet> {
        if let Some(found) = self.sets.borrow().get(text) {
            return found.clone();
        }
        let built = self.build(text);
        let mut sets = self.sets.borrow_mut();
        if sets.len() >= MAX_KEPT_PATTERNS {
            sets.clear();
        }
        sets.insert(text.to_string(), built.clone());
        built
    }

    fn build(&self, text: &str) -> Option<PathSet> {
        let parsed = pattern::parse(text, &self.limits).ok()?;
        let raw = dfa::from_ir(&parsed.ir, &self.limits).ok()?;
        let canonical = self.canonical();
        let both = raw.product(&canonical, &self.limits, |a, b| *a && *b);
        Some(Rc::new(Paths::new(both.ok()?.minimize())))
    }

    fn canonical(&self) -> PathSet {
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
}

/// The profile under lint and everything derived from it.
pub struct LintContext<'a> {
    pub profile: &'a Profile,
    pub sources: &'a SourceMap,
    pub limits: Limits,
    full: OnceCell<Option<PermissionAutomaton>>,
    /// Each path's decision.
    decisions: OnceCell<Option<Dfa<PathPermissions>>>,
    patterns: Rc<PatternSets>,
    regions: RefCell<HashMap<(Region, u8, Half), Option<PathSet>>>,
    /// The automaton of a set of deny rules alone, by their indices.
    denials: RefCell<HashMap<Vec<usize>, Option<Rc<PermissionAutomaton>>>>,
    denied: RefCell<HashMap<DeniedKey, PathSet>>,
}

impl<'a> LintContext<'a> {
    pub fn new(profile: &'a Profile, sources: &'a SourceMap) -> LintContext<'a> {
        let patterns = Rc::new(PatternSets::new(Limits::default()));
        LintContext::sharing(profile, sources, patterns)
    }

    /// A context that takes pattern sets from `patterns` (and its limits),
    /// which other contexts may share.
    pub fn sharing(
        profile: &'a Profile,
        sources: &'a SourceMap,
        patterns: Rc<PatternSets>,
    ) -> LintContext<'a> {
        LintContext {
            profile,
            sources,
            limits: patterns.limits.clone(),
            full: OnceCell::new(),
            decisions: OnceCell::new(),
            patterns,
            regions: RefCell::default(),
            denials: RefCell::default(),
            denied: RefCell::default(),
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
        self.patterns.get(text)
    }

    /// Whether `rule`'s pattern matches no canonical path at all (every
    /// path it matches holds `//`); `None` when it does not compile.
    pub fn matches_nothing(&self, rule: &FileRule) -> Option<bool> {
        let pattern = self.pattern(&rule.pattern)?;
        Some(PathQuery::new().with_kept(&pattern, true).is_empty())
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
        self.patterns.canonical()
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

    /// The paths where the rules `rules` (indices into the profile's file
    /// rules, usually deny rules), compiled on their own, deny `perm` in
    /// `half`. `None` when they cannot be compiled. Lints ask this for the
    /// same few sets of rules many times, so each set is compiled once.
    pub fn denied_by(&self, rules: &[usize], perm: FilePerms, half: Half) -> Option<PathSet> {
        let key = (rules.to_vec(), perm.0, half);
        if let Some(found) = self.denied.borrow().get(&key) {
            return Some(found.clone());
        }
        let automaton = self.automaton_of(rules)?;
        let dfa = automaton.automaton(|decision| decision.half(half).deny.contains(perm));
        let built = Rc::new(Paths::new(dfa));
        self.denied.borrow_mut().insert(key, built.clone());
        Some(built)
    }

    /// The permission automaton of the rules `rules` alone.
    fn automaton_of(&self, rules: &[usize]) -> Option<Rc<PermissionAutomaton>> {
        if let Some(found) = self.denials.borrow().get(rules) {
            return found.clone();
        }
        let profile = self.profile;
        let selected = Profile {
            file_rules: rules
                .iter()
                .map(|&i| profile.file_rules[i].clone())
                .collect(),
            children: Vec::new(),
            other_rules: Vec::new(),
            ..profile.clone()
        };
        let built = PermissionAutomaton::build(&selected, &self.limits)
            .ok()
            .map(Rc::new);
        self.denials
            .borrow_mut()
            .insert(rules.to_vec(), built.clone());
        built
    }

    /// The text of the comment after `rule` on the line where it ends, up
    /// to any second `#` (where a fixture's `# expect:` starts).
    pub fn trailing_comment(&self, rule: &FileRule) -> Option<&'a str> {
        crate::claim::trailing_comment(self.sources, rule)
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
pub fn leaves_out(left: &Paths, right: &Paths) -> bool {
    !PathQuery::new()
        .with_kept(left, true)
        .with_kept(right, false)
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::resolve;

    #[test]
    fn contexts_share_pattern_sets_and_deny_automata() {
        let text = "profile a {\n  deny /a/* w,\n  /a/b w,\n}\nprofile b {\n  /a/* r,\n}\n";
        let resolved = resolve::load_test_text(text);
        let patterns = Rc::new(PatternSets::new(Limits::default()));
        let [a, b] = [0, 1].map(|index| {
            let profile = &resolved.profiles[index];
            LintContext::sharing(profile, &resolved.sources, patterns.clone())
        });
        let shared = a.pattern("/a/*").unwrap();
        assert!(Rc::ptr_eq(&shared, &b.pattern("/a/*").unwrap()));
        assert!(!Rc::ptr_eq(
            &shared,
            &LintContext::new(a.profile, a.sources)
                .pattern("/a/*")
                .unwrap()
        ));
        let denied = a.denied_by(&[0], FilePerms::WRITE, Half::Owner).unwrap();
        let again = a.denied_by(&[0], FilePerms::WRITE, Half::Owner).unwrap();
        assert!(Rc::ptr_eq(&denied, &again));
        let cases: &[(&[u8], bool)] = &[(b"/a/b", true), (b"/a/", false), (b"/b/c", false)];
        for &(path, expected) in cases {
            assert_eq!(*denied.classify(path), expected, "{path:?}");
        }
        assert!(
            a.denied_by(&[1], FilePerms::WRITE, Half::Owner)
                .unwrap()
                .is_empty(|d| *d)
        );
    }
}
