//! L008 `redundant-rule`: a rule that another rule with the same
//! qualifiers already covers.

use crate::declare_lint;
use crate::diagnostic::{Diagnostic, Severity};
use crate::lint::context::{is_own, leaves_out};
use crate::lint::{Check, Lint, LintContext};
use crate::model::FileRule;

declare_lint! {
    /// Reports rules whose pattern and permissions another rule with the
    /// same qualifiers already covers.
    ///
    /// ## What it does
    /// Flags a file rule written in the profile itself when another rule
    /// of the profile (its includes counted) has the same qualifiers
    /// (`audit`, `deny`, `owner`/`other`, priority), at least the same
    /// permissions, the same exec mode, and a pattern that matches every
    /// path this rule's pattern matches (automata inclusion). Of two rules
    /// that cover each other, the later one is reported.
    ///
    /// ## Why it matters
    /// The rule changes nothing: removing it leaves the policy the same.
    /// Redundant rules make a profile longer to review, and when the
    /// broader rule is later narrowed, the reader cannot tell which of the
    /// two was the one that mattered.
    ///
    /// ## Example
    /// ```text
    /// /etc/app/** r,
    /// /etc/app/app.conf r,
    /// ```
    ///
    /// ## Use instead
    /// ```text
    /// /etc/app/** r,
    /// ```
    ///
    /// ## Known problems
    /// A narrow rule is sometimes kept on purpose as documentation of what
    /// the program needs; allow it with a suppression comment. Rules with
    /// link targets are not compared.
    pub static REDUNDANT_RULE = Lint {
        code: "L008",
        name: "redundant-rule",
        severity: Severity::Note,
        check: Check::Profile(check),
    };
}

fn check(lint: &Lint, context: &LintContext, diagnostics: &mut Vec<Diagnostic>) {
    if !super::pairs_are_affordable(lint, context.profile) {
        return;
    }
    let rules = &context.profile.file_rules;
    for (index, rule) in rules.iter().enumerate() {
        if !is_own(rule) || rule.link.is_some() || context.matches_nothing(rule) != Some(false) {
            continue;
        }
        let covering = rules
            .iter()
            .enumerate()
            .filter(|&(other, _)| other != index)
            .find(|&(other, by)| covers(context, by, other, rule, index) == Some(true));
        if let Some((_, by)) = covering {
            let message = format!(
                "`{} {}` is already covered by `{} {}`",
                rule.pattern,
                rule.perms.letters(),
                by.pattern,
                by.perms.letters()
            );
            let same = by.pattern == rule.pattern && by.perms == rule.perms;
            let help = if same {
                "remove the repeated rule"
            } else {
                "remove the narrower rule"
            };
            let finding = super::rule_finding(lint, rule, message, "redundant rule");
            let finding = finding.with_secondary(by.origin.span, "covered by this rule");
            diagnostics.push(finding.with_help(help));
        }
    }
}

/// Whether rule `by` (at index `by_index`) makes `rule` (at `index`)
/// redundant: same qualifiers, at least its permissions and exec mode,
/// a pattern holding its pattern, and, when both hold each other, `by`
/// comes first.
fn covers(
    context: &LintContext,
    by: &FileRule,
    by_index: usize,
    rule: &FileRule,
    index: usize,
) -> Option<bool> {
    let same_kind = by.qualifiers == rule.qualifiers
        && by.link.is_none()
        && by.perms.contains(rule.perms)
        && (rule.exec.is_none() || by.exec == rule.exec);
    if !same_kind || !super::prefixes_agree(&by.pattern, &rule.pattern) {
        return Some(false);
    }
    let (narrow, broad) = (
        context.pattern(&rule.pattern)?,
        context.pattern(&by.pattern)?,
    );
    if leaves_out(&narrow, &broad) {
        return Some(false);
    }
    let equal = by.perms == rule.perms && !leaves_out(&broad, &narrow);
    Some(!equal || by_index < index)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lint::rules::tests::{lint_text, profile_text};

    #[test]
    fn reports_rules_another_rule_covers() {
        let cases: &[(&[&str], usize)] = &[
            (&["/etc/app/** r", "/etc/app/app.conf r"], 1),
            (&["/etc/app/app.conf r", "/etc/app/** r"], 1),
            (&["/etc/app/** r", "/etc/app/app.conf rw"], 0),
            (&["/etc/app/** rw", "/etc/app/app.conf r"], 1),
            (&["/etc/app/** r", "owner /etc/app/app.conf r"], 0),
            (&["/etc/app/** r", "deny /etc/app/app.conf r"], 0),
            (&["/a/{b,c} r", "/a/[bc] r"], 1),
            (&["/a/* r", "/b/* r"], 0),
            (&["/a/x Px", "/a/* rix"], 0),
        ];
        for (rules, expected) in cases {
            let found = lint_text(&REDUNDANT_RULE, &profile_text(rules));
            assert_eq!(found.len(), *expected, "{rules:?}: {found:#?}");
        }
    }

    #[test]
    fn skips_profiles_too_large_for_pairs() {
        let rules = vec!["/a r"; super::super::MAX_RULES_FOR_PAIRS + 1];
        assert!(lint_text(&REDUNDANT_RULE, &profile_text(&rules)).is_empty());
        let found = lint_text(&REDUNDANT_RULE, &profile_text(&rules[..3]));
        assert_eq!(found.len(), 2);
    }

    #[test]
    fn compares_literal_prefixes() {
        let cases = [
            ("/proc//sys/*", "/proc/sys/kernel", true),
            ("/etc/a*", "/etc/b", false),
            ("/{a,b}", "/c", true),
        ];
        for (left, right, expected) in cases {
            assert_eq!(
                super::super::prefixes_agree(left, right),
                expected,
                "{left} {right}"
            );
        }
    }
}
