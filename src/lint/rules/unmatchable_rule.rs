//! L015 `unmatchable-rule`: a rule whose pattern matches no path the kernel
//! can present.

use crate::declare_lint;
use crate::diagnostic::{Diagnostic, Severity};
use crate::lint::examples::display;
use crate::lint::{Check, Lint, LintContext};
use crate::model::FileRule;

declare_lint! {
    /// Reports file rules whose pattern matches only paths the kernel never
    /// presents, such as paths with `//`.
    ///
    /// ## What it does
    /// Flags a rule whose pattern, after variable expansion, matches no
    /// canonical path: every path it matches holds `//` (or a NUL byte).
    /// The compiler collapses runs of `/` in a pattern except a leading
    /// `//`, and not across `{`: `/{/run,/var/run}/x` stays `//run/x`, which
    /// the kernel never looks up, since it always presents paths with
    /// single slashes.
    ///
    /// ## Why it matters
    /// The rule is dead: it grants or denies nothing. Most often a variable
    /// of one value that starts with `/` was written after a `/`, as in
    /// `/@{PROC}/sys/x` with `@{PROC}` set to `/proc/`: the rule reads
    /// `//proc/sys/x`, and the program lacks the access it was written for.
    /// (A variable of several values loses the leading `/` of each value
    /// after a `/`, as upstream expands it, so `/@{run}/x` is fine.)
    ///
    /// ## Example
    /// ```text
    /// /@{PROC}/sys/kernel/hostname r,
    /// ```
    ///
    /// ## Use instead
    /// ```text
    /// @{PROC}/sys/kernel/hostname r,
    /// ```
    ///
    /// ## Known problems
    /// Only the slashes of the expanded pattern are looked at; a rule that
    /// matches real paths no program uses is not reported.
    pub static UNMATCHABLE_RULE = Lint {
        code: "L015",
        name: "unmatchable-rule",
        severity: Severity::Warning,
        check: Check::Profile(check),
    };
}

fn check(lint: &Lint, context: &LintContext, diagnostics: &mut Vec<Diagnostic>) {
    for rule in &context.profile.file_rules {
        if let Some(finding) = unmatchable(lint, context, rule) {
            diagnostics.push(finding);
        }
    }
}

fn unmatchable(lint: &Lint, context: &LintContext, rule: &FileRule) -> Option<Diagnostic> {
    if !context.matches_nothing(rule)? {
        return None;
    }
    let message = format!("`{}` matches no path the kernel presents", rule.pattern);
    let mut finding = super::rule_finding(lint, rule, message, "this rule never applies");
    if let Some(raw) = context.raw_pattern_witness(&rule.pattern) {
        let note = format!("it matches only paths such as `{}`", display(&raw));
        finding = finding.with_note(note);
    }
    let help = "remove the `/` before a variable whose values start with `/`";
    Some(finding.with_help(help))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lint::rules::tests::{lint_text, profile_text};

    #[test]
    fn reports_patterns_matching_only_double_slashes() {
        let cases: &[(&str, usize)] = &[
            ("/{/run,/var/run}/x r", 1),
            ("/{run,var/run}/x r", 0),
            ("/run//x r", 0),
            ("/a/{,/b} r", 0),
        ];
        for (rule, expected) in cases {
            let found = lint_text(&UNMATCHABLE_RULE, &profile_text(&[rule]));
            assert_eq!(found.len(), *expected, "{rule}: {found:#?}");
        }
    }

    #[test]
    fn sees_slashes_as_upstream_expands_variables() {
        // One value is inserted as written; several lose the leading `/`
        // of each value after a `/` (checked against apparmor_parser in
        // tests/variable_slashes.rs).
        let preamble = "@{PROC}=/proc/\n@{run}=/run /var/run\n@{EMPTY}=\"\"\n";
        let cases: &[(&str, usize)] = &[
            ("/@{PROC}/sys/x r", 1),
            ("@{PROC}/sys/x r", 0),
            ("/@{run}/x r", 0),
            ("@{EMPTY}/@{run}/x r", 0),
        ];
        for (rule, expected) in cases {
            let text = format!("{preamble}{}", profile_text(&[rule]));
            let found = lint_text(&UNMATCHABLE_RULE, &text);
            assert_eq!(found.len(), *expected, "{rule}: {found:#?}");
        }
    }
}
