//! Patterns to automata, and a profile's file rules to its permission
//! automaton.
//!
//! The layers follow regex-syntax and regex-automata: [`pattern`] turns an
//! AppArmor glob into IR exactly as `apparmor_parser` reads it (slash
//! collapse, the rewrite into upstream's regex dialect, that dialect's
//! grammar), [`nfa`] builds a Thompson NFA, [`dfa`] determinises it into a
//! labelled DFA over byte classes, [`minimize`] and [`ops`] transform and
//! query DFAs (product, minimisation, emptiness, witnesses, counts).
//! [`profile`] builds the [`PermissionAutomaton`] of a profile with the
//! permission merge of [`perms`]; [`alternatives`] says which `{...}`
//! alternative of a rule matched a path.
//!
//! Invariants: the permission automaton gives every byte string the same
//! permission words as the kernel's file table that `apparmor_parser`
//! 3.0.8 builds from the same rules (link pairs included; checked on all
//! strings by `tests/differential.rs`); query paths are never normalised.
//! Every construction is bounded by [`Limits`]; exceeding one is a
//! [`CompileError`] that gives the numbers, never a hang.
//!
//! ```
//! use aaprove::compile::{Half, Limits, PermissionAutomaton};
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
//! #                      rule("/proc/sys/**", "w", Decision::Deny)],
//! # };
//! let automaton = PermissionAutomaton::build(&profile, &Limits::default())?;
//! let decision = automaton.lookup(b"/proc/sys/kernel/x");
//! assert!(decision.owner.allow.contains(FilePerms::READ));
//! assert!(decision.owner.deny.contains(FilePerms::WRITE));
//! assert_eq!(automaton.matching_rules(b"/proc/sys/kernel/x"), vec![0, 1]);
//!
//! // prove-style: may the owner write anywhere under /proc/sys? Build the
//! // automaton of writable paths, intersect it with the spec's region, and
//! // ask for witnesses (none here) or check emptiness.
//! let limits = Limits::default();
//! let writable = automaton.allowed(FilePerms::WRITE, Half::Owner);
//! let region = aaprove::compile::pattern_automaton("/proc/sys/**", &limits)?;
//! let violations = writable.product(&region, &limits, |w, r| *w && *r)?;
//! assert!(violations.is_empty(|bad| *bad));
//! let elsewhere = writable.product(&region, &limits, |w, r| *w && !*r)?;
//! assert_eq!(elsewhere.witnesses(1, |bad| *bad), vec![b"/proc/a".to_vec()]);
//! # Ok::<(), aaprove::compile::CompileError>(())
//! ```

pub mod alternatives;
pub mod byteset;
pub mod dfa;
pub(crate) mod hash;
pub mod minimize;
pub mod nfa;
pub mod ops;
pub mod pattern;
pub mod perms;
pub mod profile;

use std::fmt;

pub use alternatives::AlternativeMatch;
pub use dfa::{Dfa, StateId};
pub use pattern::PatternError;
pub use perms::{ExecDecision, Half, HalfPermissions, PathPermissions};
pub use profile::{EntrySource, PermissionAutomaton};

/// Bounds on the work and memory of a compilation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Longest pattern, in bytes.
    pub max_pattern_len: usize,
    /// Deepest `{` nesting; upstream accepts 49 levels.
    pub max_alternation_depth: usize,
    /// NFA states over all patterns of one automaton.
    pub max_nfa_states: usize,
    /// DFA states of one automaton (built or product).
    pub max_dfa_states: usize,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            max_pattern_len: 64 * 1024,
            max_alternation_depth: pattern::convert::UPSTREAM_MAX_ALTERNATION_DEPTH - 1,
            max_nfa_states: 2_000_000,
            max_dfa_states: 200_000,
        }
    }
}

/// Why a profile or pattern could not be compiled.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CompileError {
    /// An invalid pattern: of `profile.file_rules[rule]` when `rule` is
    /// given, else one passed to [`patterns_automaton`].
    Pattern {
        rule: Option<usize>,
        pattern: String,
        error: PatternError,
    },
    TooManyNfaStates {
        limit: usize,
    },
    TooManyDfaStates {
        limit: usize,
    },
    /// Rules give one path different exec modes (upstream rejects the
    /// profile); `witness` is a shortest such path.
    ExecConflict {
        rules: Vec<usize>,
        witness: String,
    },
    /// More distinct named exec targets than the kernel's table holds.
    TooManyExecTargets {
        count: usize,
        limit: usize,
    },
}

impl fmt::Display for CompileError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CompileError::Pattern { pattern, error, .. } => {
                write!(f, "invalid pattern `{pattern}`: {error}")
            }
            CompileError::TooManyNfaStates { limit } => {
                write!(f, "patterns need more than {limit} NFA states")
            }
            CompileError::TooManyDfaStates { limit } => {
                write!(f, "automaton needs more than {limit} DFA states")
            }
            CompileError::ExecConflict { rules, witness } => write!(
                f,
                "rules {rules:?} give conflicting exec modes, for example to `{witness}`"
            ),
            CompileError::TooManyExecTargets { count, limit } => write!(
                f,
                "{count} named exec targets, more than the {limit} the kernel's table holds"
            ),
        }
    }
}

impl std::error::Error for CompileError {}

/// The automaton of one pattern: the label says whether the path matches.
pub fn pattern_automaton(pattern: &str, limits: &Limits) -> Result<Dfa<bool>, CompileError> {
    Ok(patterns_automaton(&[pattern], limits)?.map(|matching| !matching.is_empty()))
}

/// One automaton for several patterns (a spec's paths, say): each state's
/// label lists the indices of the patterns that match, ascending.
pub fn patterns_automaton(
    patterns: &[&str],
    limits: &Limits,
) -> Result<Dfa<Vec<usize>>, CompileError> {
    let mut builder = nfa::NfaBuilder::new(limits);
    for (index, text) in patterns.iter().enumerate() {
        let parsed = pattern::parse(text, limits).map_err(|error| CompileError::Pattern {
            rule: None,
            pattern: text.to_string(),
            error,
        })?;
        builder.add(&parsed.ir, index as u32)?;
    }
    let nfa = builder.finish()?;
    dfa::determinize(&nfa, limits, |tags| {
        tags.iter().map(|&t| t as usize).collect()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builds_automata_of_patterns() {
        let limits = Limits::default();
        let spec = patterns_automaton(&["/proc/**", "/proc/sys/**", "/etc/*"], &limits).unwrap();
        assert_eq!(*spec.classify(b"/proc/sys/x"), vec![0, 1]);
        assert_eq!(*spec.classify(b"/etc/x"), vec![2]);
        assert!(spec.classify(b"/etc/").is_empty());
        assert!(
            *pattern_automaton("/a/{b,c}", &limits)
                .unwrap()
                .classify(b"/a/c")
        );
        let error = pattern_automaton("/a/{b}", &limits).unwrap_err();
        assert_eq!(
            error.to_string(),
            "invalid pattern `/a/{b}`: an alternation `{...}` needs at least two items"
        );
    }
}
