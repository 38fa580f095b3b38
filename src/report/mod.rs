//! Renderers of diagnostics: rustc-style text, JSON lines and SARIF 2.1.0.
//!
//! Renderers only consume values: a [`Diagnostic`] and the [`SourceMap`]
//! its spans point into (plus, for SARIF, the lint registry's metadata).
//! They compute lines and columns, never change a diagnostic, and return
//! text; writing it is the caller's business.
//!
//! Positions in every format are 1-based; columns count characters (Unicode
//! scalar values), and an end position is the one just after the last
//! character of the span, as in SARIF.

pub mod json;
pub mod sarif;
pub mod text;

use crate::diagnostic::Diagnostic;
use crate::source::{LineCol, SourceMap, Span};

/// The output formats of `check` and the other commands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Text,
    Json,
    Sarif,
}

/// The diagnostics of one loaded input, with the files their spans point
/// into. Each input of `check` has its own [`SourceMap`].
#[derive(Clone, Copy)]
pub struct Batch<'a> {
    pub sources: &'a SourceMap,
    pub diagnostics: &'a [Diagnostic],
}

/// A span as the user sees it: a file name and start and end positions.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Place {
    pub file: String,
    pub start: LineCol,
    /// Just after the last character; equal to `start` for an empty span.
    pub end: LineCol,
}

impl Place {
    pub fn of(span: Span, sources: &SourceMap) -> Place {
        let file = sources.get(span.file);
        Place {
            file: file.name.clone(),
            start: file.line_col(span.start),
            end: file.line_col(span.end),
        }
    }
}

#[cfg(test)]
mod tests;
