//! Patterns to automata, and a profile's file rules to its permission
//! automaton.
//!
//! The layers follow regex-syntax and regex-automata: [`pattern`] turns an
//! AppArmor glob into IR exactly as `apparmor_parser` reads it, [`nfa`]
//! builds a Thompson NFA, [`dfa`] determinises it into a labelled DFA over
//! byte classes, and [`ops`] combines DFAs (product, minimisation,
//! emptiness, witnesses). [`profile`] builds the [`PermissionAutomaton`]
//! with the permission merge of [`perms`].
//!
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
//! // The shortest path the owner may write to.
//! let writable = automaton.allowed(FilePerms::WRITE, Half::Owner);
//! let witnesses = writable.witnesses(1, |allowed| *allowed);
//! assert_eq!(witnesses, vec![b"/proc/a".to_vec()]);
//! # Ok::<(), aaprove::compile::CompileError>(())
//! ```

pub mod byteset;
pub mod dfa;
pub mod nfa;
pub mod ops;
pub mod pattern;
pub mod perms;
pub mod profile;

use std::fmt;

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
            max_pattern_len: 16 * 1024,
            max_alternation_depth: pattern::convert::UPSTREAM_MAX_ALTERNATION_DEPTH - 1,
            max_nfa_states: 2_000_000,
            max_dfa_states: 200_000,
        }
    }
}

/// Why a profile or pattern could not be compiled.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CompileError {
    /// `profile.file_rules[rule]` has an invalid pattern.
    Pattern {
        rule: usize,
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
