//! Snapshots of every format for a few hand-built diagnostics, and the
//! validation of the SARIF output against the official 2.1.0 schema.

use super::*;
use crate::diagnostic::Diagnostic;
use crate::source::{FileId, SourceFile, SourceMap, Span};

const MAIN: &str = "\
profile app /usr/bin/app {
  include <abstractions/base>
\t/usr/bin/helper ux,
  /** rw,  # é
  deny /proc/kcore w,
  /tmp/{a,
        b} r,
}
";

const BASE: &str = "\
# base abstraction
/etc/ld.so.cache r,
";

/// The byte span of the first `needle` in `text`.
fn find(file: FileId, text: &str, needle: &str) -> Span {
    let start = text.find(needle).expect("needle in test source");
    Span::new(file, start, start + needle.len())
}

fn example() -> (SourceMap, Vec<Diagnostic>) {
    let mut sources = SourceMap::new();
    let main = sources.add(SourceFile::new("app.profile".into(), None, MAIN.into()));
    let base = sources.add(SourceFile::new(
        "abstractions/base".into(),
        None,
        BASE.into(),
    ));
    let include = find(main, MAIN, "include <abstractions/base>");
    let diagnostics = vec![
        Diagnostic::warning(
            "L001",
            "unconfined-exec",
            "`/usr/bin/helper` may run unconfined",
        )
        .with_primary(find(main, MAIN, "/usr/bin/helper ux,"), "exec mode `ux`")
        .with_note("the lower-case mode also keeps the environment")
        .with_help("use `Px` or `Cx` with a profile for the program"),
        Diagnostic::error("E042", "shadowed-rule", "rule is shadowed by a deny rule")
            .with_primary(find(main, MAIN, "/** rw,"), "allows `w` here")
            .with_secondary(find(main, MAIN, "deny /proc/kcore w,"), "denied here")
            .with_secondary(find(base, BASE, "/etc/ld.so.cache"), "also read here"),
        Diagnostic::warning("L002", "dangerous-write", "rule in an abstraction")
            .with_primary(
                find(base, BASE, "/etc/ld.so.cache r,"),
                "in the abstraction",
            )
            .with_include_chain(vec![include]),
        Diagnostic::error("E007", "unclosed-alternation", "alternation spans lines")
            .with_primary(find(main, MAIN, "{a,\n        b}"), "opened here")
            .with_secondary(Span::new(main, MAIN.len(), MAIN.len()), "end of file"),
        Diagnostic::error("E001", "unreadable-file", "cannot read `missing.profile`")
            .with_note("No such file or directory (os error 2)"),
    ];
    (sources, diagnostics)
}

#[test]
fn text_snapshot() {
    let (sources, diagnostics) = example();
    let text: Vec<String> = diagnostics
        .iter()
        .map(|diagnostic| text::render(diagnostic, &sources, false))
        .collect();
    insta::assert_snapshot!(text.join("\n"));
}

#[test]
fn colored_text_differs_only_by_escapes() {
    let (sources, diagnostics) = example();
    for diagnostic in &diagnostics {
        let plain = text::render(diagnostic, &sources, false);
        let colored = text::render(diagnostic, &sources, true);
        assert!(colored.contains("\u{1b}["), "no escape in {colored:?}");
        assert!(!plain.contains('\u{1b}'));
        assert_eq!(strip_escapes(&colored), plain);
    }
}

/// Removes `ESC [ ... m` sequences.
fn strip_escapes(text: &str) -> String {
    let mut out = String::new();
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            chars.by_ref().find(|&c| c == 'm');
        } else {
            out.push(c);
        }
    }
    out
}

#[test]
fn hostile_text_cannot_drive_the_terminal() {
    let source = "/a\u{1b}[2J r,\n";
    let mut sources = SourceMap::new();
    let file = sources.add(SourceFile::new(
        "x\u{1b}]0;t\u{7}".into(),
        None,
        source.into(),
    ));
    let diagnostic = Diagnostic::error("E001", "x", "bad\nmessage\u{1b}[31m")
        .with_primary(Span::new(file, 0, 8), "label\u{1b}")
        .with_note("note\r");
    let text = text::render(&diagnostic, &sources, false);
    assert!(!text.contains('\u{1b}') && !text.contains('\r'), "{text:?}");
    assert_eq!(
        text.lines().next(),
        Some("error[E001]: bad\u{FFFD}message\u{FFFD}[31m")
    );
}

#[test]
fn json_snapshot() {
    let (sources, diagnostics) = example();
    let lines: Vec<String> = diagnostics
        .iter()
        .map(|diagnostic| json::render(diagnostic, &sources))
        .collect();
    for line in &lines {
        assert!(!line.contains('\n'));
        let value: serde_json::Value = serde_json::from_str(line).expect("valid JSON");
        assert!(value.get("include_chain").is_some());
    }
    insta::assert_snapshot!(lines.join("\n"));
}

#[test]
fn sarif_snapshot() {
    let (sources, diagnostics) = example();
    let batches = [Batch {
        sources: &sources,
        diagnostics: &diagnostics,
    }];
    let log = sarif::render(&batches);
    insta::assert_json_snapshot!(log);
}

/// The official OASIS schema (errata 01), kept in tests/data.
fn sarif_schema() -> jsonschema::Validator {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/data/sarif-schema-2.1.0.json"
    );
    let text = std::fs::read_to_string(path).expect("schema file");
    let schema: serde_json::Value = serde_json::from_str(&text).expect("schema JSON");
    jsonschema::options()
        .should_validate_formats(true)
        .build(&schema)
        .expect("schema compiles")
}

#[test]
fn sarif_is_valid_against_the_schema() {
    let (sources, diagnostics) = example();
    let batches = [Batch {
        sources: &sources,
        diagnostics: &diagnostics,
    }];
    let validator = sarif_schema();
    let log = sarif::render(&batches);
    let errors: Vec<String> = validator.iter_errors(&log).map(|e| e.to_string()).collect();
    assert!(errors.is_empty(), "{errors:#?}");

    // The check can fail: a result without a message breaks the schema.
    let mut broken = log.clone();
    broken["runs"][0]["results"][0]
        .as_object_mut()
        .expect("result object")
        .remove("message");
    assert!(!validator.is_valid(&broken));
}

#[test]
fn long_lines_are_cut_around_the_label() {
    let long = format!("{} /usr/bin/x ux, {}\n", "a".repeat(300), "b".repeat(300));
    let mut sources = SourceMap::new();
    let file = sources.add(SourceFile::new("long".into(), None, long.clone()));
    let diagnostic = Diagnostic::warning("L001", "unconfined-exec", "x")
        .with_primary(find(file, &long, "/usr/bin/x ux,"), "here");
    let text = text::render(&diagnostic, &sources, false);
    let lines: Vec<&str> = text.lines().collect();
    let shown = lines[3].strip_prefix("1 | ...").expect("cut at the start");
    assert!(
        shown.starts_with(&"a".repeat(19)) && shown.ends_with("b..."),
        "{shown}"
    );
    assert_eq!(shown.chars().count(), 120 + 3);
    let carets = lines[4].find('^').expect("carets");
    assert_eq!(&lines[3][carets..carets + 14], "/usr/bin/x ux,");
    assert_eq!(lines[4][carets..].trim_end(), "^^^^^^^^^^^^^^ here");
}
