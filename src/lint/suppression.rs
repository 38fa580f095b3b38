//! Suppression comments, and the two lints about them.
//!
//! A finding of a lint is allowed by a comment in the profile text:
//!
//! ```text
//! # aaprove: allow(L001) reason: the helper has its own profile in the image
//! /usr/bin/helper PUx,
//! /usr/bin/tool ux,  # aaprove: allow(unconfined-exec, L002) reason: ...
//! ```
//!
//! - A comment alone on its line applies to the next line that is neither
//!   blank nor a comment; a comment after a rule applies to its own line.
//! - `allow(...)` takes lint codes or names separated by commas. Only lints
//!   can be allowed: errors of the language cannot, nor the two lints below.
//! - A finding is allowed when the line of its primary span is the line the
//!   comment applies to, or when one of the `include` lines that led to the
//!   finding is (so an include site can allow findings in an abstraction).
//! - `reason:` and a text are required. Without them the comment still
//!   applies but is reported as `invalid-suppression` (L901), as is any
//!   comment starting `# aaprove:` that is not of this form.
//! - A code that allows no finding is reported as `unused-suppression`
//!   (L900), only when the caller says the lints ran on complete profiles.
//!
//! The scan is textual: a `#` starts a comment at the start of a line or
//! after white space, and `#include` is not a comment.

use std::collections::HashMap;

use crate::declare_lint;
use crate::diagnostic::{Diagnostic, Severity};
use crate::lint::{Check, Lint, registry};
use crate::source::{FileId, SourceFile, SourceMap, Span};

declare_lint! {
    /// Reports suppression comments that allow a lint which has no finding
    /// there.
    ///
    /// ## What it does
    /// Flags each code in a `# aaprove: allow(...)` comment that allowed no
    /// finding on the line the comment applies to.
    ///
    /// ## Why it matters
    /// A suppression that allows nothing is left over from a rule that was
    /// changed or moved. It hides the next real finding on that line, and
    /// its reason no longer describes the policy.
    ///
    /// ## Example
    /// ```text
    /// # aaprove: allow(L001) reason: helper is confined by its own profile
    /// /usr/bin/helper Px,
    /// ```
    ///
    /// ## Use instead
    /// ```text
    /// /usr/bin/helper Px,
    /// ```
    ///
    /// ## Known problems
    /// It is reported only when the profile resolved without errors, since
    /// lints do not see rules that failed to resolve.
    pub static UNUSED_SUPPRESSION = Lint {
        code: "L900",
        name: "unused-suppression",
        severity: Severity::Warning,
        check: Check::Suppression,
    };
}

declare_lint! {
    /// Reports suppression comments that are malformed or give no reason.
    ///
    /// ## What it does
    /// Flags a comment starting `# aaprove:` that is not of the form
    /// `# aaprove: allow(CODE, ...) reason: TEXT`, names an unknown lint,
    /// names something that cannot be allowed (an error, or one of the
    /// suppression lints), or gives no reason.
    ///
    /// ## Why it matters
    /// A suppression is a decision that a risky rule is acceptable; the
    /// reason is what lets a reviewer check that decision later. A comment
    /// that does not parse allows nothing, which its author did not intend.
    ///
    /// ## Example
    /// ```text
    /// /usr/bin/helper ux,  # aaprove: allow(L001)
    /// ```
    ///
    /// ## Use instead
    /// ```text
    /// /usr/bin/helper ux,  # aaprove: allow(L001) reason: runs the user's shell
    /// ```
    ///
    /// ## Known problems
    /// The scan is textual, so a `# aaprove:` inside a quoted pattern is read
    /// as a comment.
    pub static INVALID_SUPPRESSION = Lint {
        code: "L901",
        name: "invalid-suppression",
        severity: Severity::Warning,
        check: Check::Suppression,
    };
}

/// One parsed suppression comment.
#[derive(Debug)]
pub struct Suppression {
    /// The 0-based line the comment applies to; `None` when no rule follows.
    pub target_line: Option<usize>,
    /// Each allowed lint with the span of its code or name in the comment.
    pub allowed: Vec<(&'static Lint, Span)>,
    pub reason: Option<String>,
}

/// Removes the lint findings that suppressions allow and adds the findings
/// about the suppressions themselves. `report_unused` must be false when the
/// lints did not see every rule (because resolution failed), since then a
/// suppression may be unused only in appearance.
pub fn apply_suppressions(
    diagnostics: Vec<Diagnostic>,
    sources: &SourceMap,
    report_unused: bool,
) -> Vec<Diagnostic> {
    let mut found = Vec::new();
    let mut kept = Vec::new();
    for (file, source) in sources.files() {
        for suppression in scan(file, source, &mut kept) {
            found.push((file, suppression));
        }
    }
    let mut used: Vec<Vec<bool>> = found
        .iter()
        .map(|(_, s)| vec![false; s.allowed.len()])
        .collect();
    let by_line = index_by_line(&found);
    for diagnostic in diagnostics {
        if !allow(&diagnostic, sources, &found, &by_line, &mut used) {
            kept.push(diagnostic);
        }
    }
    if report_unused {
        kept.extend(unused(&found, &used));
    }
    kept
}

fn index_by_line(found: &[(FileId, Suppression)]) -> HashMap<(FileId, usize), Vec<usize>> {
    let mut by_line: HashMap<_, Vec<usize>> = HashMap::new();
    for (index, (file, suppression)) in found.iter().enumerate() {
        if let Some(line) = suppression.target_line {
            by_line.entry((*file, line)).or_default().push(index);
        }
    }
    by_line
}

/// Whether some suppression allows `diagnostic`; marks every code that does.
fn allow(
    diagnostic: &Diagnostic,
    sources: &SourceMap,
    found: &[(FileId, Suppression)],
    by_line: &HashMap<(FileId, usize), Vec<usize>>,
    used: &mut [Vec<bool>],
) -> bool {
    if registry::find(diagnostic.code).is_none_or(|lint| matches!(lint.check, Check::Suppression)) {
        return false;
    }
    let places = diagnostic.primary.iter().map(|label| label.span);
    let places = places.chain(diagnostic.include_chain.iter().copied());
    let mut allowed = false;
    for span in places {
        let line = sources.get(span.file).line_index(span.start);
        for &index in by_line.get(&(span.file, line)).into_iter().flatten() {
            for (slot, (lint, _)) in found[index].1.allowed.iter().enumerate() {
                if lint.code == diagnostic.code {
                    used[index][slot] = true;
                    allowed = true;
                }
            }
        }
    }
    allowed
}

fn unused(found: &[(FileId, Suppression)], used: &[Vec<bool>]) -> Vec<Diagnostic> {
    let mut diagnostics = Vec::new();
    for ((_, suppression), used) in found.iter().zip(used) {
        for ((lint, span), &was_used) in suppression.allowed.iter().zip(used) {
            if !was_used {
                let message = format!("suppression of `{}` allows no finding", lint.code);
                let diagnostic = UNUSED_SUPPRESSION
                    .diagnostic(message)
                    .with_primary(*span, format!("no `{}` finding here", lint.name))
                    .with_help("remove it, or put it on the line before the rule it is for");
                diagnostics.push(diagnostic);
            }
        }
    }
    diagnostics
}

/// Every suppression comment of one file; problems with them are pushed to
/// `problems`.
pub fn scan(file: FileId, source: &SourceFile, problems: &mut Vec<Diagnostic>) -> Vec<Suppression> {
    let lines: Vec<&str> = source.text.split_inclusive('\n').collect();
    let next_rule = next_rule_lines(&lines);
    let mut offset = 0;
    let mut suppressions = Vec::new();
    for (index, line) in lines.iter().enumerate() {
        if let Some(comment) = find_marker(line) {
            let at = |start: usize, end: usize| Span::new(file, offset + start, offset + end);
            let target_line = if line[..comment].trim().is_empty() {
                next_rule[index]
            } else {
                Some(index)
            };
            let parsed = parse_comment(line, comment, at, problems);
            suppressions.extend(parsed.map(|(allowed, reason)| Suppression {
                target_line,
                allowed,
                reason,
            }));
        }
        offset += line.len();
    }
    suppressions
}

/// The byte index of the `#` of a `# aaprove:` comment in `line`, if any.
fn find_marker(line: &str) -> Option<usize> {
    let bytes = line.as_bytes();
    let mut from = 0;
    while let Some(found) = line[from..].find('#') {
        let hash = from + found;
        let starts_word = hash == 0 || bytes[hash - 1].is_ascii_whitespace();
        let after = &line[hash + 1..];
        if starts_word && !after.starts_with("include") {
            return after.trim_start().starts_with("aaprove:").then_some(hash);
        }
        from = hash + 1;
    }
    None
}

/// For each line, the first later line that is neither blank nor a
/// comment (`#include` counts as a rule), found in one backward pass so that
/// many comment lines in a row cost linear time.
fn next_rule_lines(lines: &[&str]) -> Vec<Option<usize>> {
    let mut next = vec![None; lines.len()];
    let mut following = None;
    for index in (0..lines.len()).rev() {
        next[index] = following;
        let code = lines[index].trim();
        if !code.is_empty() && (!code.starts_with('#') || code.starts_with("#include")) {
            following = Some(index);
        }
    }
    next
}

type Allowed = Vec<(&'static Lint, Span)>;

/// Parses the comment starting at byte `hash` of `line`: the allowed lints
/// and the reason, or `None` (with a problem pushed) when it is malformed.
fn parse_comment(
    line: &str,
    hash: usize,
    at: impl Fn(usize, usize) -> Span,
    problems: &mut Vec<Diagnostic>,
) -> Option<(Allowed, Option<String>)> {
    let end = line.trim_end().len();
    let comment = at(hash, end);
    let text = &line[..end];
    let marker = hash + text[hash..].find("aaprove:")? + "aaprove:".len();
    let open = skip_spaces(text, marker);
    let Some(list_start) = text[open..].strip_prefix("allow(").map(|_| open + 6) else {
        problems.push(malformed(comment, "expected `allow(` after `aaprove:`"));
        return None;
    };
    let Some(close) = text[list_start..].find(')').map(|i| list_start + i) else {
        problems.push(malformed(comment, "`allow(` has no closing `)`"));
        return None;
    };
    let allowed = parse_list(text, list_start, close, &at, problems)?;
    if allowed.is_empty() && text[list_start..close].trim().is_empty() {
        problems.push(malformed(comment, "`allow()` names no lint"));
        return None;
    }
    let reason = parse_reason(&text[close + 1..], comment, problems)?;
    Some((allowed, reason))
}

fn skip_spaces(text: &str, from: usize) -> usize {
    from + (text[from..].len() - text[from..].trim_start().len())
}

/// The lints named between `start` and `close`; unknown names are reported
/// and skipped, an empty item makes the whole comment malformed.
fn parse_list(
    text: &str,
    start: usize,
    close: usize,
    at: &impl Fn(usize, usize) -> Span,
    problems: &mut Vec<Diagnostic>,
) -> Option<Allowed> {
    let mut allowed = Vec::new();
    let mut item_start = start;
    for item in text[start..close].split(',') {
        let trimmed_start = skip_spaces(text, item_start);
        let span = at(trimmed_start, trimmed_start + item.trim().len());
        item_start += item.len() + 1;
        let key = item.trim();
        if key.is_empty() && start != close {
            problems.push(malformed(span, "empty item in `allow(...)`"));
            return None;
        }
        match registry::find(key) {
            Some(lint) if matches!(lint.check, Check::Profile(_)) => allowed.push((lint, span)),
            Some(lint) => problems.push(cannot_allow(span, lint.code, "a suppression lint")),
            None if key.starts_with(['E', 'e']) => {
                problems.push(cannot_allow(span, key, "an error, not a lint"));
            }
            None if !key.is_empty() => problems.push(unknown_lint(span, key)),
            None => {}
        }
    }
    Some(allowed)
}

/// `Some(None)` when no reason is given (reported), `None` when the text
/// after `)` is neither empty nor `reason: ...` (reported as malformed).
fn parse_reason(
    rest: &str,
    comment: Span,
    problems: &mut Vec<Diagnostic>,
) -> Option<Option<String>> {
    let rest = rest.trim();
    let reason = if rest.is_empty() {
        ""
    } else if let Some(reason) = rest.strip_prefix("reason:") {
        reason.trim()
    } else {
        problems.push(malformed(comment, "expected `reason:` after `allow(...)`"));
        return None;
    };
    if reason.is_empty() {
        let diagnostic = INVALID_SUPPRESSION
            .diagnostic("suppression gives no reason")
            .with_primary(comment, "no `reason:` text")
            .with_help("add `reason: why this is acceptable` after `allow(...)`");
        problems.push(diagnostic);
        return Some(None);
    }
    Some(Some(reason.to_string()))
}

fn malformed(span: Span, label: &str) -> Diagnostic {
    INVALID_SUPPRESSION
        .diagnostic("malformed suppression comment")
        .with_primary(span, label)
        .with_help("write `# aaprove: allow(CODE) reason: TEXT`")
}

fn cannot_allow(span: Span, key: &str, what: &str) -> Diagnostic {
    INVALID_SUPPRESSION
        .diagnostic(format!("`{key}` cannot be allowed"))
        .with_primary(span, what.to_string())
        .with_note("only lints on the policy can be allowed")
}

fn unknown_lint(span: Span, key: &str) -> Diagnostic {
    INVALID_SUPPRESSION
        .diagnostic(format!("`{key}` is not a lint code or name"))
        .with_primary(span, "unknown lint")
        .with_help("run `aaprove rules` to list the lints")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scan_text(text: &str) -> (Vec<Suppression>, Vec<String>) {
        let source = SourceFile::new("t".into(), None, text.into());
        let mut problems = Vec::new();
        let suppressions = scan(FileId(0), &source, &mut problems);
        let problems = problems.iter().map(|d| d.message.clone()).collect();
        (suppressions, problems)
    }

    #[test]
    fn parses_comments_and_their_target_lines() {
        // (comment text, line it applies to, codes, reason)
        type Case<'a> = (&'a str, Option<usize>, &'a [&'a str], Option<&'a str>);
        let cases: [Case; 7] = [
            (
                "/a ux, # aaprove: allow(L001) reason: ok\n",
                Some(0),
                &["L001"],
                Some("ok"),
            ),
            (
                "# aaprove: allow(L001) reason: ok\n/a ux,\n",
                Some(1),
                &["L001"],
                Some("ok"),
            ),
            (
                "# aaprove: allow(L001) reason: ok\n\n# x\n/a ux,\n",
                Some(3),
                &["L001"],
                Some("ok"),
            ),
            (
                "# aaprove: allow(L001) reason: ok\n#include <x>\n",
                Some(1),
                &["L001"],
                Some("ok"),
            ),
            (
                "#aaprove:allow( unconfined-exec ,L002 )reason:r\n/a,\n",
                Some(1),
                &["L001", "L002"],
                Some("r"),
            ),
            ("# aaprove: allow(L001)\n", None, &["L001"], None),
            (
                "  # aaprove: allow(L002) reason: x\n",
                None,
                &["L002"],
                Some("x"),
            ),
        ];
        for (text, target, codes, reason) in cases {
            let (suppressions, _) = scan_text(text);
            assert_eq!(suppressions.len(), 1, "{text:?}");
            let found = &suppressions[0];
            let found_codes: Vec<&str> = found.allowed.iter().map(|(lint, _)| lint.code).collect();
            assert_eq!(found.target_line, target, "{text:?}");
            assert_eq!(found_codes, codes, "{text:?}");
            assert_eq!(found.reason.as_deref(), reason, "{text:?}");
        }
    }

    #[test]
    fn reports_bad_comments() {
        let cases: [(&str, usize, &[&str]); 8] = [
            (
                "# aaprove: allow(L001)\n",
                1,
                &["suppression gives no reason"],
            ),
            (
                "# aaprove: deny(L001) reason: x\n",
                0,
                &["malformed suppression comment"],
            ),
            (
                "# aaprove: allow(L001 reason: x\n",
                0,
                &["malformed suppression comment"],
            ),
            (
                "# aaprove: allow() reason: x\n",
                0,
                &["malformed suppression comment"],
            ),
            (
                "# aaprove: allow(L001,,L002) reason: x\n",
                0,
                &["malformed suppression comment"],
            ),
            (
                "# aaprove: allow(L001) because\n",
                0,
                &["malformed suppression comment"],
            ),
            (
                "# aaprove: allow(L999, E012) reason: x\n",
                1,
                &[
                    "`L999` is not a lint code or name",
                    "`E012` cannot be allowed",
                ],
            ),
            (
                "# aaprove: allow(L900) reason: x\n",
                1,
                &["`L900` cannot be allowed"],
            ),
        ];
        for (text, count, problems) in cases {
            let (suppressions, found) = scan_text(text);
            assert_eq!(suppressions.len(), count, "{text:?}");
            assert_eq!(found, problems, "{text:?}");
        }
    }

    #[test]
    fn ignores_ordinary_comments_and_patterns() {
        for text in [
            "# a comment\n",
            "/a#aaprove: r,\n",
            "#include <aaprove:x>\n",
            "/a r,\n",
        ] {
            let (suppressions, problems) = scan_text(text);
            assert!(suppressions.is_empty() && problems.is_empty(), "{text:?}");
        }
    }

    #[test]
    fn applies_to_the_target_line_and_reports_unused() {
        let text = "/a ux, # aaprove: allow(L001, L002) reason: r\n/b ux,\n";
        let mut sources = SourceMap::new();
        let file = sources.add(SourceFile::new("t".into(), None, text.into()));
        let on_line = |line: usize| {
            let start = text.split_inclusive('\n').take(line).map(str::len).sum();
            crate::lint::rules::unconfined_exec::UNCONFINED_EXEC
                .diagnostic("x")
                .with_primary(Span::new(file, start, start + 1), "here")
        };
        let out = apply_suppressions(vec![on_line(0), on_line(1)], &sources, true);
        let codes: Vec<&str> = out.iter().map(|d| d.code).collect();
        assert_eq!(codes, ["L001", "L900"]);
        assert_eq!(
            sources
                .get(file)
                .line_col(out[0].primary.as_ref().unwrap().span.start)
                .line,
            2
        );

        let out = apply_suppressions(vec![on_line(0)], &sources, false);
        assert!(out.is_empty(), "{out:?}");
    }

    #[test]
    fn an_include_line_allows_findings_in_the_included_file() {
        let main = "# aaprove: allow(L001) reason: the abstraction is vetted\ninclude <x>\n";
        let included = "/a ux,\n";
        let mut sources = SourceMap::new();
        let main_id = sources.add(SourceFile::new("main".into(), None, main.into()));
        let included_id = sources.add(SourceFile::new("x".into(), None, included.into()));
        let include_line = Span::new(main_id, main.find("include").unwrap(), main.len() - 1);
        let finding = crate::lint::rules::unconfined_exec::UNCONFINED_EXEC
            .diagnostic("x")
            .with_primary(Span::new(included_id, 0, 6), "here");

        let through_include = finding.clone().with_include_chain(vec![include_line]);
        let out = apply_suppressions(vec![through_include], &sources, true);
        assert!(out.is_empty(), "{out:?}");

        let out = apply_suppressions(vec![finding], &sources, true);
        let codes: Vec<&str> = out.iter().map(|d| d.code).collect();
        assert_eq!(codes, ["L001", "L900"]);
    }
}
