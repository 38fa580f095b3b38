//! Analyses of compiled profiles: query, explain, prove and diff.
//!
//! Everything here is an operation on the automata that `compile` builds;
//! no analysis samples paths to reach a verdict.

pub mod diff;
pub mod explain;
pub mod map;
pub mod other_rules;
pub mod prove;
pub mod query;
pub mod rule_diff;
pub mod spec;
pub mod witness;
