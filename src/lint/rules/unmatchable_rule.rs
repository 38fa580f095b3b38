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
    /// The compiler collapses runs of `/` in the text of a pattern, but not
    /// across `{`: `/{/run,/var/run}/x` stays `//run/x`, which the kernel
    /// never looks up, since it always presents paths with single slashes.
    ///
    /// ## Why it matters
    /// The rule is dead: it grants or denies nothing. Most often a variable
    /// that starts with `/` was written after a `/`, as in
    /// `@{CHROOT_BASE}/@{run}/app.ctl` with `@{CHROOT_BASE}` empty, and the
    /// program then lacks the access the rule was written for.
    ///
    /// ## Example
    /// ```text
    /// /@{run}/app.ctl rw,
    /// ```
    ///
    /// ## Use instead
    /// ```text
    /// @{run}/app.ctl rw,
    /// ```
    ///
    /// ## Known problems
    /// Rules written with variables are not checked yet: aaprove's variable
    /// expansion does not collapse `/` across a variable the way
    /// `apparmor_parser` does.
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
    // FIXME: `resolve` expands `/@{run}/x` (values `/run/ /var/run/`) to
    // `/{/run,/var/run}/x`, which reads as `//run/x`, while apparmor_parser
    // grants `/run/x` for it (checked on Debian's sbin.syslog-ng). Until
    // the expansion matches upstream, rules written with variables are not
    // reported, so this lint misses `/@{run}/x` written by mistake.
    if context.sources.text(rule.origin.span).contains("@{") {
        return None;
    }
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
}
