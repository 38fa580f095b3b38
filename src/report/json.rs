//! The JSON rendering of a diagnostic: one object per line ("JSON lines").
//!
//! Every object has the same keys in the same order, so consumers need no
//! optional handling beyond `null`:
//!
//! `code`, `name`, `severity` (`error`, `warning`, `note`), `message`,
//! `file`, `line`, `column`, `end_line`, `end_column` (the primary span, all
//! `null` when the diagnostic has no place), `labels` (every span, primary
//! first, each with `primary`, `file`, `line`, `column`, `end_line`,
//! `end_column`, `message`), `notes`, `help` (`null` or text) and
//! `include_chain` (outermost first, each `{file, line, column}` of an
//! `include` line). Positions are 1-based; ends are exclusive.

use serde::Serialize;

use crate::diagnostic::{Diagnostic, Label, Severity};
use crate::source::SourceMap;

use super::Place;

#[derive(Serialize)]
struct JsonDiagnostic<'a> {
    code: &'a str,
    name: &'a str,
    severity: Severity,
    message: &'a str,
    file: Option<String>,
    line: Option<u32>,
    column: Option<u32>,
    end_line: Option<u32>,
    end_column: Option<u32>,
    labels: Vec<JsonLabel<'a>>,
    notes: &'a [String],
    help: Option<&'a str>,
    include_chain: Vec<JsonPosition>,
}

#[derive(Serialize)]
struct JsonLabel<'a> {
    primary: bool,
    file: String,
    line: u32,
    column: u32,
    end_line: u32,
    end_column: u32,
    message: &'a str,
}

#[derive(Serialize)]
struct JsonPosition {
    file: String,
    line: u32,
    column: u32,
}

/// One diagnostic as a JSON value, for documents that embed diagnostics.
pub fn value(diagnostic: &Diagnostic, sources: &SourceMap) -> serde_json::Value {
    // Serializing plain structs of strings and numbers cannot fail.
    serde_json::to_value(to_json(diagnostic, sources)).unwrap_or_default()
}

/// One diagnostic as a single line of JSON, without the line break.
pub fn render(diagnostic: &Diagnostic, sources: &SourceMap) -> String {
    let value = to_json(diagnostic, sources);
    // Serializing plain structs of strings and numbers cannot fail.
    serde_json::to_string(&value).unwrap_or_default()
}

fn to_json<'a>(diagnostic: &'a Diagnostic, sources: &SourceMap) -> JsonDiagnostic<'a> {
    let primary = diagnostic
        .primary
        .as_ref()
        .map(|label| Place::of(label.span, sources));
    let labels = diagnostic.primary.iter().map(|label| (true, label));
    let labels = labels.chain(diagnostic.secondary.iter().map(|label| (false, label)));
    JsonDiagnostic {
        code: diagnostic.code,
        name: diagnostic.name,
        severity: diagnostic.severity,
        message: &diagnostic.message,
        file: primary.as_ref().map(|place| place.file.clone()),
        line: primary.as_ref().map(|place| place.start.line),
        column: primary.as_ref().map(|place| place.start.column),
        end_line: primary.as_ref().map(|place| place.end.line),
        end_column: primary.as_ref().map(|place| place.end.column),
        labels: labels
            .map(|(primary, label)| json_label(primary, label, sources))
            .collect(),
        notes: &diagnostic.notes,
        help: diagnostic.help.as_deref(),
        include_chain: diagnostic
            .include_chain
            .iter()
            .map(|span| {
                let place = Place::of(*span, sources);
                JsonPosition {
                    file: place.file,
                    line: place.start.line,
                    column: place.start.column,
                }
            })
            .collect(),
    }
}

fn json_label<'a>(primary: bool, label: &'a Label, sources: &SourceMap) -> JsonLabel<'a> {
    let place = Place::of(label.span, sources);
    JsonLabel {
        primary,
        file: place.file,
        line: place.start.line,
        column: place.start.column,
        end_line: place.end.line,
        end_column: place.end.column,
        message: &label.message,
    }
}
