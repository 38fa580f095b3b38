//! aaprove: an AppArmor profile compiler and verifier.
//!
//! The modules follow the pipeline, each layer using only those above it in
//! this list:
//!
//! - [`source`] and [`diagnostic`]: files, spans and the problem value;
//! - `parse`: profile text to an AST with spans, recovering from errors;
//! - `resolve`: includes, variables and the semantic checks of the language;
//! - `compile`: patterns to automata, file rules to the permission automaton;
//! - [`claim`]: what a deny rule's trailing comment claims, as patterns;
//! - `analyze`: query, explain, prove and diff, as automata operations;
//! - `lint`: the lint registry and its checks;
//! - `report`: text, JSON and SARIF renderers of diagnostics and results;
//! - `cli`: the commands, called by the thin `main.rs`.
//!
//! See ARCHITECTURE.md for the invariants between layers.

pub mod analyze;
pub mod builtin;
pub mod claim;
pub mod cli;
pub mod compile;
pub mod diagnostic;
pub mod lint;
pub mod model;
pub mod parse;
pub mod report;
pub mod resolve;
pub mod source;
