//! L011 `comment-claim`: a deny rule whose trailing comment says it does
//! something its pattern does not.
//!
//! A few common ways of describing a deny rule have a checkable form;
//! [`crate::claim`] parses the comment into a set of paths, compared here
//! with the pattern by automata over canonical paths. Comments of any
//! other form are not read.

use crate::claim::{self, Claim};
use crate::declare_lint;
use crate::diagnostic::{Diagnostic, Severity};
use crate::lint::context::{PathSet, both, minus};
use crate::lint::examples::{Paths, examples, listed};
use crate::lint::{Check, Lint, LintContext};
use crate::model::FileRule;

declare_lint! {
    /// Reports deny rules whose trailing comment claims a set of paths the
    /// pattern does not match.
    ///
    /// ## What it does
    /// Reads the comment after a deny rule when it has one of these forms,
    /// and compares the set it describes with the rule's pattern:
    ///
    /// - "deny ... directly in D (not in a subdir)": the names in `D`,
    ///   `D/*`;
    /// - "deny everything except X and Y in D": every path below `D`
    ///   except `D/X` and `D/Y` and what lies below them;
    /// - "deny D except D/X": every path below `D` except `D/X` and what
    ///   lies below it.
    ///
    /// Names may be globs (`shm*`); a parenthesis after one is a remark.
    /// The finding gives example paths of both differences: what the
    /// comment says is denied but the rule leaves out, and what the rule
    /// denies although the comment excludes it.
    ///
    /// ## Why it matters
    /// Reviewers read the comment, not the pattern: a comment that says
    /// "everything except `ns_last_pid`" over a pattern that leaves
    /// `osrelease` writable passes review. Docker's `docker-default` and
    /// its derivatives carry such comments on their hardest patterns.
    ///
    /// ## Example
    /// ```text
    /// deny /proc/sys/kernel/{?,??,[^n][^s]*} w,  # deny everything except ns* in /proc/sys/kernel/
    /// ```
    ///
    /// ## Use instead
    /// ```text
    /// deny /proc/sys/kernel/{[^n/]*,n,n[^s/]*}{,/**} w,  # deny everything except ns* in /proc/sys/kernel/
    /// ```
    ///
    /// ## Known problems
    /// Only the forms above are read, in English, and only on deny rules.
    /// "Everything in D" is read as every path below `D`, subdirectories
    /// included.
    pub static COMMENT_CLAIM = Lint {
        code: "L011",
        name: "comment-claim",
        severity: Severity::Warning,
        check: Check::Profile(check),
    };
}

const EXAMPLES: usize = 4;

fn check(lint: &Lint, context: &LintContext, diagnostics: &mut Vec<Diagnostic>) {
    for claimed in claim::rule_claims(context.profile, context.sources) {
        let rule = &context.profile.file_rules[claimed.rule];
        if let Some(finding) = compare(lint, context, rule, &claimed.comment, &claimed.claim) {
            diagnostics.push(finding);
        }
    }
}

/// The claim's scope and set, over canonical paths.
fn claimed(context: &LintContext, claim: &Claim) -> Option<(PathSet, PathSet)> {
    let scope = context.pattern(&claim.scope)?;
    let set = |text: &str| Some(context.pattern(text)?.dfa.clone());
    let claimed = claim.claimed_set(set, &context.limits)?;
    Some((scope, std::rc::Rc::new(Paths::new(claimed))))
}

fn compare(
    lint: &Lint,
    context: &LintContext,
    rule: &FileRule,
    comment: &str,
    claim: &Claim,
) -> Option<Diagnostic> {
    let limits = &context.limits;
    let (scope, claimed) = claimed(context, claim)?;
    let actual = context.pattern(&rule.pattern)?;
    let missed = minus(&claimed, &actual, limits)?;
    let (left_out, allowed) = super::left_allowed(context, rule, &missed, EXAMPLES);
    let in_scope = both(&actual, &scope, limits)?;
    let extra = examples(&minus(&in_scope, &claimed, limits)?, EXAMPLES);
    if left_out.is_empty() && extra.is_empty() {
        return None;
    }

    let message = format!(
        "the comment of `deny {}` claims what it does not do",
        rule.pattern
    );
    let label = "pattern and comment disagree";
    let mut diagnostic = super::rule_finding(lint, rule, message, label);
    diagnostic = diagnostic.with_note(format!("the comment: \"{comment}\""));
    if !left_out.is_empty() {
        let note = format!(
            "the rule does not deny {}{}",
            listed(&left_out),
            super::negated_class_prefix::still(allowed)
        );
        diagnostic = diagnostic.with_note(note);
    }
    if !extra.is_empty() {
        let note = format!(
            "the rule denies {}, which the comment excludes",
            listed(&extra)
        );
        diagnostic = diagnostic.with_note(note);
    }
    Some(diagnostic.with_help("fix the pattern, or make the comment say what it does"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lint::rules::tests::{lint_text, profile_text};

    #[test]
    fn compares_claims_with_patterns() {
        let cases: &[(&str, usize)] = &[
            (
                "deny /proc/* w # deny write for all files directly in /proc",
                0,
            ),
            (
                "deny /proc/** w # deny write for all files directly in /proc",
                1,
            ),
            (
                "deny /proc/sys/[^k]** w # deny /proc/sys except /proc/sys/k*",
                0,
            ),
            (
                "deny /proc/sys/kernel/{?,??,[^n][^s]*} w # deny everything except ns* in /proc/sys/kernel",
                1,
            ),
            (
                "deny /proc/sys/kernel/{[^n/]*,n,n[^s/]*}{,/**} w # deny everything except ns* in /proc/sys/kernel",
                0,
            ),
            (
                "/proc/** w # deny everything except ns* in /proc/sys/kernel",
                0,
            ),
        ];
        for (rule, expected) in cases {
            let found = lint_text(&COMMENT_CLAIM, &profile_text(&[rule]));
            assert_eq!(found.len(), *expected, "{rule}: {found:#?}");
        }
    }
}
