//! The rustc-style text rendering of a diagnostic.
//!
//! ```text
//! warning[L001]: `/usr/bin/helper` may run unconfined
//!  --> app.profile:3:3
//!   |
//! 3 |   /usr/bin/helper ux,
//!   |   ^^^^^^^^^^^^^^^^^^^ exec mode `ux`
//!   |
//!   = note: the lower-case mode also keeps the environment
//!   = help: use `Px` or `Cx` with a profile for the program
//!   = note: in file included from app.profile:2:1
//! ```
//!
//! Labels are grouped by file, the primary's file first (` --> `), others
//! after it (` ::: `); within a file, by line. Each label gets its own
//! underline row: `^` for the primary, `-` for secondary ones. A span over
//! several lines is shown on its first line, underlined to the line's end.
//! The include chain comes last, innermost first, as gcc prints it: the
//! first line names the `include` that read the file of the primary span.
//!
//! Tabs are shown as four spaces and other control characters as `�`, so
//! carets line up and profile text cannot drive the terminal. A line longer
//! than 120 columns is shown as a window around the label, cut with `...`.
//!
//! FIXME: a column is one character, so carets under East Asian wide
//! characters or combining marks are misplaced on a terminal.

use anstyle::{AnsiColor, Style};

use crate::diagnostic::{Diagnostic, Label, Severity};
use crate::source::{FileId, SourceMap};

use super::Place;

const TAB: &str = "    ";
/// At most this many columns of a source line are shown, so a hostile
/// one-line profile cannot make every diagnostic print all of it.
const MAX_COLUMNS: usize = 120;
/// Columns shown before a label's start when the line is cut.
const CONTEXT: usize = 20;
/// Marks where a shown line is cut.
const CUT: &str = "...";

/// Renders one diagnostic as text ending in a newline, with ANSI colours
/// when `color` is true.
pub fn render(diagnostic: &Diagnostic, sources: &SourceMap, color: bool) -> String {
    let mut renderer = Renderer {
        sources,
        painter: Painter { color },
        gutter: gutter_width(diagnostic, sources),
        severity: diagnostic.severity,
        window: 0,
        out: String::new(),
    };
    renderer.header(diagnostic);

    if diagnostic.primary.is_some() {
        renderer.snippets(diagnostic);
    }
    let has_trailer = !diagnostic.notes.is_empty()
        || diagnostic.help.is_some()
        || !diagnostic.include_chain.is_empty();
    if has_trailer && diagnostic.primary.is_some() {
        renderer.empty_gutter();
    }
    renderer.trailer(diagnostic);
    renderer.out
}

/// Whether to emit ANSI styles, and the styles of each part.
#[derive(Clone, Copy)]
struct Painter {
    color: bool,
}

impl Painter {
    fn paint(self, style: Style, text: &str) -> String {
        if self.color && !text.is_empty() {
            format!("{}{text}{}", style.render(), style.render_reset())
        } else {
            text.to_string()
        }
    }

    fn severity(self, severity: Severity) -> Style {
        let color = match severity {
            Severity::Error => AnsiColor::BrightRed,
            Severity::Warning => AnsiColor::BrightYellow,
            Severity::Note => AnsiColor::BrightGreen,
        };
        Style::new().bold().fg_color(Some(color.into()))
    }

    fn gutter(self) -> Style {
        Style::new()
            .bold()
            .fg_color(Some(AnsiColor::BrightBlue.into()))
    }

    fn bold(self) -> Style {
        Style::new().bold()
    }
}

/// Width of the line-number column: the widest line number shown.
fn gutter_width(diagnostic: &Diagnostic, sources: &SourceMap) -> usize {
    let lines = labels(diagnostic).map(|label| Place::of(label.span, sources).start.line);
    let widest = lines.max().unwrap_or(1);
    widest.to_string().len()
}

/// The primary label first, then the secondary ones.
fn labels(diagnostic: &Diagnostic) -> impl Iterator<Item = &Label> {
    diagnostic.primary.iter().chain(&diagnostic.secondary)
}

/// One label to show, with the line it starts on.
struct Row<'d> {
    line: u32,
    primary: bool,
    label: &'d Label,
}

/// The state of rendering one diagnostic.
struct Renderer<'a> {
    sources: &'a SourceMap,
    painter: Painter,
    gutter: usize,
    severity: Severity,
    /// The first display column of the source line shown last.
    window: usize,
    out: String,
}

impl Renderer<'_> {
    fn line(&mut self, text: &str) {
        self.out.push_str(text.trim_end());
        self.out.push('\n');
    }

    /// The gutter's padding followed by `text`, as in ` --> ` or ` = `.
    fn padded(&mut self, text: &str) {
        let row = format!("{:width$} {text}", "", width = self.gutter);
        self.line(&row);
    }

    fn blue(&self, text: &str) -> String {
        self.painter.paint(self.painter.gutter(), text)
    }

    fn header(&mut self, diagnostic: &Diagnostic) {
        let severity = diagnostic.severity.as_str();
        let tag = format!("{severity}[{}]", diagnostic.code);
        let tag = self
            .painter
            .paint(self.painter.severity(self.severity), &tag);
        let message = format!(": {}", sanitize(&diagnostic.message));
        let message = self.painter.paint(self.painter.bold(), &message);
        self.line(&format!("{tag}{message}"));
    }

    fn snippets(&mut self, diagnostic: &Diagnostic) {
        let mut files: Vec<FileId> = Vec::new();
        for label in labels(diagnostic) {
            if !files.contains(&label.span.file) {
                files.push(label.span.file);
            }
        }
        for (index, &file) in files.iter().enumerate() {
            let rows: Vec<Row> = labels(diagnostic)
                .enumerate()
                .filter(|(_, label)| label.span.file == file)
                .map(|(position, label)| Row {
                    line: Place::of(label.span, self.sources).start.line,
                    primary: position == 0,
                    label,
                })
                .collect();
            let arrow = if index == 0 { "-->" } else { ":::" };
            self.file_snippet(rows, arrow);
        }
    }

    /// The ` --> file:line:col` line, then each source line with its labels.
    fn file_snippet(&mut self, mut rows: Vec<Row>, arrow: &str) {
        let first = Place::of(rows[0].label.span, self.sources);
        let location = format!("{}:{}:{}", first.file, first.start.line, first.start.column);
        let arrow = self.blue(arrow);
        let row = format!(
            "{:width$}{arrow} {}",
            "",
            sanitize(&location),
            width = self.gutter
        );
        self.line(&row);
        self.empty_gutter();

        rows.sort_by_key(|row| (row.line, !row.primary, row.label.span.start));
        let mut previous_line = None;
        for row in rows {
            if previous_line != Some(row.line) {
                if previous_line.is_some_and(|previous| row.line > previous + 1) {
                    let dots = self.blue("...");
                    self.line(&dots);
                }
                self.source_line(&row);
                previous_line = Some(row.line);
            }
            self.underline(&row);
        }
    }

    fn empty_gutter(&mut self) {
        let bar = self.blue("|");
        self.padded(&bar);
    }

    /// Shows the line of `row`, or a window of [`MAX_COLUMNS`] columns of it
    /// around the label's start, marked with `...` where it is cut.
    fn source_line(&mut self, row: &Row) {
        let (start, _) = self.columns(row);
        self.window = if start + CONTEXT < MAX_COLUMNS {
            0
        } else {
            start - CONTEXT
        };
        let file = self.sources.get(row.label.span.file);
        let shown = display(file.line_text(row.line as usize - 1));
        let mut text: String = shown.chars().skip(self.window).take(MAX_COLUMNS).collect();
        if self.window > 0 {
            text.insert_str(0, CUT);
        }
        if shown.chars().count() > self.window + MAX_COLUMNS {
            text.push_str(CUT);
        }
        let number = format!("{:>width$} |", row.line, width = self.gutter);
        let number = self.blue(&number);
        self.line(&format!("{number} {text}"));
    }

    /// The display columns (0-based) of the start and end of the label of
    /// `row` on its first line; a span past the line's end is cut there.
    fn columns(&self, row: &Row) -> (usize, usize) {
        let span = row.label.span;
        let file = self.sources.get(span.file);
        let line = file.line_text(row.line as usize - 1).as_bytes();
        let line_start = line_start(&file.text, span.start as usize);
        let start = (span.start as usize - line_start).min(line.len());
        let end = (span.end as usize)
            .saturating_sub(line_start)
            .clamp(start, line.len());
        (display_width(&line[..start]), display_width(&line[..end]))
    }

    /// The row of `^` or `-` under one label, followed by its message.
    fn underline(&mut self, row: &Row) {
        let (start, end) = self.columns(row);
        let window_end = self.window + MAX_COLUMNS;
        let start = start.clamp(self.window, window_end);
        let end = end.clamp(start, window_end);
        let shift = if self.window > 0 { CUT.len() } else { 0 };
        let indent = start - self.window + shift;
        let width = (end - start).max(1);

        let (mark, style) = if row.primary {
            ("^", self.painter.severity(self.severity))
        } else {
            ("-", self.painter.gutter())
        };
        let marks = format!("{} {}", mark.repeat(width), sanitize(&row.label.message));
        let marks = self.painter.paint(style, marks.trim_end());
        let bar = self.blue("|");
        self.padded(&format!("{bar} {:indent$}{marks}", ""));
    }

    fn trailer(&mut self, diagnostic: &Diagnostic) {
        for note in &diagnostic.notes {
            self.equals("note", &sanitize(note));
        }
        if let Some(help) = &diagnostic.help {
            self.equals("help", &sanitize(help));
        }
        for span in diagnostic.include_chain.iter().rev() {
            let place = Place::of(*span, self.sources);
            let location = format!("{}:{}:{}", place.file, place.start.line, place.start.column);
            let text = format!("in file included from {}", sanitize(&location));
            self.equals("note", &text);
        }
    }

    /// A ` = note: text` line.
    fn equals(&mut self, kind: &str, text: &str) {
        let equals = self.blue("=");
        let kind = self.painter.paint(self.painter.bold(), kind);
        self.padded(&format!("{equals} {kind}: {text}"));
    }
}

/// The byte offset where the line holding byte `offset` starts.
fn line_start(text: &str, offset: usize) -> usize {
    let before = &text.as_bytes()[..offset.min(text.len())];
    before
        .iter()
        .rposition(|&byte| byte == b'\n')
        .map_or(0, |index| index + 1)
}

/// A line as shown: tabs expanded, control characters replaced.
fn display(line: &str) -> String {
    line.chars()
        .map(|c| match c {
            '\t' => TAB.to_string(),
            c if c.is_control() => '\u{FFFD}'.to_string(),
            c => c.to_string(),
        })
        .collect()
}

/// The number of columns `bytes` take once shown by [`display`]; bytes that
/// are not valid UTF-8 (a span cutting a character) count as one each.
fn display_width(bytes: &[u8]) -> usize {
    String::from_utf8_lossy(bytes)
        .chars()
        .map(|c| if c == '\t' { TAB.len() } else { 1 })
        .sum()
}

/// Message text with control characters (line breaks included) replaced,
/// so one diagnostic stays one block and cannot drive the terminal.
fn sanitize(text: &str) -> String {
    text.chars()
        .map(|c| if c.is_control() { '\u{FFFD}' } else { c })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::{SourceFile, Span};

    /// A zero-width span (a missing `,`, the end of the file) still gets
    /// one caret, in the column just after the text before it.
    #[test]
    fn zero_width_spans_get_one_caret() {
        let text = "profile p {\n  /a r\n  /b w,\n";
        let cases = [
            (
                text.find(" r").unwrap() + 2,
                "2 |   /a r\n  |       ^ expected `,`\n",
            ),
            (text.len(), "4 |\n  | ^ file ends here\n"),
        ];
        for (offset, expected) in cases {
            let mut sources = SourceMap::new();
            let file = sources.add(SourceFile::new("p".into(), None, text.into()));
            let span = Span::new(file, offset, offset);
            let label = if offset == text.len() {
                "file ends here"
            } else {
                "expected `,`"
            };
            let diagnostic =
                Diagnostic::error("E001", "syntax-error", "missing").with_primary(span, label);
            let rendered = render(&diagnostic, &sources, false);
            assert!(rendered.contains(expected), "{rendered}");
        }
    }
}
