//! The SARIF 2.1.0 rendering: one log with one run for a whole invocation.
//!
//! `tool.driver.rules` lists every lint of the registry (its code as `id`,
//! its summary, the "What it does" section and the whole documentation as
//! help), then one bare rule for each other code (errors of the language)
//! that a result uses. Each result points at its rule by `ruleId` and
//! `ruleIndex`; its `locations` hold the primary span, `relatedLocations`
//! the secondary spans and the include chain; notes and help, which SARIF
//! has no field for, go to the result's `properties`.
//!
//! Columns count Unicode code points (`columnKind`), and `endColumn` is the
//! column just after the span, as SARIF defines it. A file name becomes a
//! URI: an absolute path a `file://` URI, a relative one a relative
//! reference, with bytes outside the unreserved set percent-encoded.

use serde_json::{Value, json};

use crate::diagnostic::{Diagnostic, Severity};
use crate::lint::{self, DOC_SECTIONS, Lint};
use crate::source::{SourceMap, Span};

use super::{Batch, Place};

/// The SARIF schema this output follows.
pub const SCHEMA_URI: &str = "https://json.schemastore.org/sarif-2.1.0.json";

/// The tool's web page, from Cargo.toml's `repository` (may be empty).
const INFORMATION_URI: &str = env!("CARGO_PKG_REPOSITORY");

/// The SARIF log of all diagnostics of all batches, in order.
pub fn render(batches: &[Batch]) -> Value {
    let mut rules: Vec<Value> = lint::all().iter().map(|lint| lint_rule(lint)).collect();
    let mut rule_ids: Vec<&str> = lint::all().iter().map(|lint| lint.code).collect();
    let mut results = Vec::new();
    for batch in batches {
        for diagnostic in batch.diagnostics {
            let index = rule_index(&mut rule_ids, &mut rules, diagnostic);
            results.push(result(diagnostic, index, batch.sources));
        }
    }
    json!({
        "$schema": SCHEMA_URI,
        "version": "2.1.0",
        "runs": [{
            "tool": { "driver": driver(rules) },
            "columnKind": "unicodeCodePoints",
            "results": results,
        }],
    })
}

fn driver(rules: Vec<Value>) -> Value {
    let mut driver = json!({
        "name": env!("CARGO_PKG_NAME"),
        "version": env!("CARGO_PKG_VERSION"),
        "rules": rules,
    });
    // FIXME: Cargo.toml sets no `repository` yet, so `informationUri` is
    // left out (an empty string is not a URI); it appears once it is set.
    if !INFORMATION_URI.is_empty() {
        driver["informationUri"] = json!(INFORMATION_URI);
    }
    driver
}

/// The index of the diagnostic's rule, adding a bare rule for a code that
/// is not a lint (an error of the language) the first time it is seen.
fn rule_index(
    ids: &mut Vec<&'static str>,
    rules: &mut Vec<Value>,
    diagnostic: &Diagnostic,
) -> usize {
    if let Some(index) = ids.iter().position(|&id| id == diagnostic.code) {
        return index;
    }
    ids.push(diagnostic.code);
    rules.push(json!({
        "id": diagnostic.code,
        "name": diagnostic.name,
        "defaultConfiguration": { "level": level(diagnostic.severity) },
    }));
    ids.len() - 1
}

fn lint_rule(lint: &Lint) -> Value {
    let doc = lint.doc();
    json!({
        "id": lint.code,
        "name": lint.name,
        "shortDescription": { "text": lint.summary() },
        "fullDescription": { "text": what_it_does(&doc) },
        "help": { "text": doc, "markdown": doc },
        "defaultConfiguration": { "level": level(lint.severity) },
    })
}

/// The text of the "What it does" section, joined into one paragraph.
fn what_it_does(doc: &str) -> String {
    let section = doc.split(DOC_SECTIONS[0]).nth(1).unwrap_or(doc);
    let section = section.split("\n## ").next().unwrap_or(section);
    section.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn level(severity: Severity) -> &'static str {
    match severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Note => "note",
    }
}

fn result(diagnostic: &Diagnostic, rule_index: usize, sources: &SourceMap) -> Value {
    let mut result = json!({
        "ruleId": diagnostic.code,
        "ruleIndex": rule_index,
        "level": level(diagnostic.severity),
        "message": { "text": diagnostic.message },
    });
    if let Some(primary) = &diagnostic.primary {
        result["locations"] = json!([location(primary.span, sources)]);
    }
    let related = related_locations(diagnostic, sources);
    if !related.is_empty() {
        result["relatedLocations"] = Value::Array(related);
    }
    if !diagnostic.notes.is_empty() || diagnostic.help.is_some() {
        result["properties"] = json!({ "notes": diagnostic.notes, "help": diagnostic.help });
    }
    result
}

fn related_locations(diagnostic: &Diagnostic, sources: &SourceMap) -> Vec<Value> {
    let secondary = diagnostic
        .secondary
        .iter()
        .map(|label| (label.span, label.message.as_str()));
    let includes = diagnostic
        .include_chain
        .iter()
        .map(|&span| (span, "in file included from here"));
    secondary
        .chain(includes)
        .enumerate()
        .map(|(id, (span, message))| {
            let mut related = location(span, sources);
            related["id"] = json!(id);
            related["message"] = json!({ "text": message });
            related
        })
        .collect()
}

fn location(span: Span, sources: &SourceMap) -> Value {
    let place = Place::of(span, sources);
    json!({
        "physicalLocation": {
            "artifactLocation": { "uri": file_uri(&place.file) },
            "region": {
                "startLine": place.start.line,
                "startColumn": place.start.column,
                "endLine": place.end.line,
                "endColumn": place.end.column,
            },
        },
    })
}

/// A file name as a URI reference: `file://` for absolute paths.
pub fn file_uri(name: &str) -> String {
    let mut uri = String::new();
    if name.starts_with('/') {
        uri.push_str("file://");
    }
    for byte in name.bytes() {
        let unreserved = byte.is_ascii_alphanumeric() || b"-._~/".contains(&byte);
        if unreserved {
            uri.push(byte as char);
        } else {
            uri.push_str(&format!("%{byte:02X}"));
        }
    }
    uri
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names_become_uris() {
        let cases = [
            ("app.profile", "app.profile"),
            ("dir/a b.profile", "dir/a%20b.profile"),
            (
                "/etc/apparmor.d/usr.bin.x",
                "file:///etc/apparmor.d/usr.bin.x",
            ),
            ("<stdin>", "%3Cstdin%3E"),
            ("é", "%C3%A9"),
        ];
        for (name, uri) in cases {
            assert_eq!(file_uri(name), uri);
        }
    }

    #[test]
    fn what_it_does_is_the_first_section() {
        let doc = "Summary.\n\n## What it does\nFlags\nthings.\n\n## Why it matters\nX.\n";
        assert_eq!(what_it_does(doc), "Flags things.");
    }
}
