//! L004 `slash-in-negated-class`: a negated class that matches `/`.
//!
//! Exact by automata: the rule's pattern is compared with the same pattern
//! where `/` is added to every negated class that lacks it; a finding is
//! made only when the two differ on a canonical path, and it names such
//! paths.

use crate::declare_lint;
use crate::diagnostic::{Diagnostic, Severity};
use crate::lint::context::{both, grants, minus};
use crate::lint::examples::{examples, files, listed};
use crate::lint::glob_syntax::{Piece, class_members, tokens};
use crate::lint::{Check, Lint, LintContext};
use crate::model::FileRule;

declare_lint! {
    /// Reports negated classes that match `/` where one byte of a path
    /// component was meant.
    ///
    /// ## What it does
    /// Flags an allow rule whose pattern has a negated class such as
    /// `[^.]` that does not exclude `/`, when the class matching `/` makes
    /// the rule grant paths it would not grant otherwise. The finding gives
    /// such paths.
    ///
    /// ## Why it matters
    /// In AppArmor, `[^s]` is any byte but `s`, and that includes `/`: the
    /// class can end one path component and start the next, so a pattern
    /// written for names in one directory reaches into subdirectories. In
    /// an allow rule it grants more than the author wrote down. Docker
    /// wrote `[^1-9/]` in its `/proc` rule for this reason.
    ///
    /// ## Example
    /// ```text
    /// /etc/app[^.]*.conf r,
    /// ```
    /// also grants `/etc/app/x.conf`.
    ///
    /// ## Use instead
    /// ```text
    /// /etc/app[^./]*.conf r,
    /// ```
    ///
    /// ## Known problems
    /// Deny rules are not reported: there a class matching `/` denies more,
    /// usually in the direction the author meant (`deny /sys/f[^s]*/**`
    /// also denies the tree of `/sys/f/`, which "everything under `/sys/f*`
    /// but `/sys/fs`" includes); `negated-class-prefix` and `comment-claim`
    /// report the cases where it matters. A class that matches `/` on
    /// purpose is reported too; allow it with a suppression comment.
    pub static SLASH_IN_NEGATED_CLASS = Lint {
        code: "L004",
        name: "slash-in-negated-class",
        severity: Severity::Warning,
        check: Check::Profile(check),
    };
}

const EXAMPLES: usize = 3;

fn check(lint: &Lint, context: &LintContext, diagnostics: &mut Vec<Diagnostic>) {
    for rule in context
        .profile
        .file_rules
        .iter()
        .filter(|rule| grants(rule))
    {
        let Some((fixed, classes)) = with_slash_excluded(&rule.pattern) else {
            continue;
        };
        if let Some(finding) = compare(lint, context, rule, &fixed, &classes) {
            diagnostics.push(finding);
        }
    }
}

/// The pattern with `/` added to each negated class that matches it, and
/// those classes as written; `None` when there is no such class.
fn with_slash_excluded(pattern: &str) -> Option<(String, Vec<String>)> {
    let mut fixed = String::new();
    let mut classes = Vec::new();
    let mut copied = 0;
    for token in tokens(pattern)? {
        let Piece::Class {
            negated: true,
            body,
        } = &token.piece
        else {
            continue;
        };
        let members = class_members(&pattern[body.clone()])?;
        if members.contains(&b'/') {
            continue;
        }
        fixed.push_str(&pattern[copied..body.end]);
        fixed.push('/');
        copied = body.end;
        let written = pattern[token.range.clone()].to_string();
        if !classes.contains(&written) {
            classes.push(written);
        }
    }
    if classes.is_empty() {
        return None;
    }
    fixed.push_str(&pattern[copied..]);
    Some((fixed, classes))
}

fn compare(
    lint: &Lint,
    context: &LintContext,
    rule: &FileRule,
    fixed: &str,
    classes: &[String],
) -> Option<Diagnostic> {
    let actual = context.pattern(&rule.pattern)?;
    let component = context.pattern(fixed)?;
    // A class at the end of a pattern matching `/` only adds the directory
    // of the same name, which is not worth a finding.
    let extra = minus(&actual, &component, &context.limits)?;
    let extra = examples(&both(&extra, files(), &context.limits)?, EXAMPLES);
    if extra.is_empty() {
        return None;
    }
    let quoted: Vec<String> = classes.iter().map(|class| format!("`{class}`")).collect();
    let message = format!("{} also matches `/`", quoted.join(", "));
    let label = "reaches into subdirectories";
    let note = format!("so the rule also covers {}", listed(&extra));
    let help = format!("exclude `/` as well: `{fixed}`");
    let finding = super::rule_finding(lint, rule, message, label);
    Some(finding.with_note(note).with_help(help))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lint::rules::tests::{lint_text, profile_text};

    #[test]
    fn adds_slash_to_negated_classes_without_it() {
        let cases: &[(&str, Option<&str>)] = &[
            ("/d/[^n][^s]*", Some("/d/[^n/][^s/]*")),
            ("/d/[^n/]*", None),
            ("/d/[!-0]*", None),
            ("/d/[^!-0]x", None),
            ("/d/[ab]", None),
        ];
        for (pattern, expected) in cases {
            let fixed = with_slash_excluded(pattern).map(|(fixed, _)| fixed);
            assert_eq!(fixed.as_deref(), *expected, "{pattern}");
        }
    }

    #[test]
    fn reports_only_when_the_slash_makes_a_difference() {
        let cases: &[(&str, usize)] = &[
            ("/proc/sys/kernel/[^n][^s]* r", 1),
            ("deny /proc/sys/kernel/[^n][^s]* w", 0),
            ("/proc/sys/kernel/[^n]* r", 0),
            ("/proc/[^1-9]/** r", 0),
            ("/etc/[^.]*.conf r", 0),
            ("/etc/a[^.]*.conf r", 1),
            ("/etc/x[^.] r", 0),
            ("/etc/x[^.]y r", 1),
        ];
        for (rule, expected) in cases {
            let found = lint_text(&SLASH_IN_NEGATED_CLASS, &profile_text(&[rule]));
            assert_eq!(found.len(), *expected, "{rule}: {found:#?}");
        }
    }
}
