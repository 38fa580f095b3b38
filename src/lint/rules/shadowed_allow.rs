//! L007 `shadowed-allow`: an allow rule that deny rules cancel entirely.

use crate::declare_lint;
use crate::diagnostic::{Diagnostic, Severity};
use crate::lint::context::{grants, is_own};
use crate::lint::examples::{PathQuery, examples};
use crate::lint::{Check, Lint, LintContext};
use crate::model::{Decision, FilePerms, FileRule};

declare_lint! {
    /// Reports allow rules whose every permission, on every path they
    /// match, is taken away by deny rules.
    ///
    /// ## What it does
    /// Flags an allow rule written in the profile itself when, for each
    /// permission it grants (in each of its owner halves), the deny rules
    /// of the profile deny that permission on every path of its pattern.
    /// The check is automata inclusion, so denies combine: `deny /a/x* w`
    /// and `deny /a/[^x]* w` together cancel `/a/* w`.
    ///
    /// ## Why it matters
    /// Deny always wins over allow, whatever the order of the rules. An
    /// allow rule that is entirely denied never takes effect: either it is
    /// dead text that misleads the reader, or the program needs it and the
    /// deny rules are broader than intended.
    ///
    /// ## Example
    /// ```text
    /// deny /etc/** w,
    /// /etc/app/state w,
    /// ```
    ///
    /// ## Use instead
    /// Remove the allow rule, or narrow the deny rule so that it leaves
    /// the intended access:
    /// ```text
    /// deny /etc/[^a]** w,
    /// /etc/app/state w,
    /// ```
    ///
    /// ## Known problems
    /// Rules from included abstractions are not reported (profiles often
    /// deny what an abstraction allows, on purpose). The link permission
    /// `l` is left out of the check, and profiles with `priority=` rules
    /// are skipped.
    pub static SHADOWED_ALLOW = Lint {
        code: "L007",
        name: "shadowed-allow",
        severity: Severity::Warning,
        check: Check::Profile(check),
    };
}

fn check(lint: &Lint, context: &LintContext, diagnostics: &mut Vec<Diagnostic>) {
    if !super::pairs_are_affordable(lint, context.profile) {
        return;
    }
    if super::has_priorities(context.profile) {
        return;
    }
    for rule in &context.profile.file_rules {
        if !grants(rule) || !is_own(rule) || context.matches_nothing(rule) != Some(false) {
            continue;
        }
        if let Some(finding) = shadowed(lint, context, rule) {
            diagnostics.push(finding);
        }
    }
}

/// The permissions of an allow rule the check can reason about.
pub(super) fn checked_perms(rule: &FileRule) -> FilePerms {
    super::path_perms(rule).minus(FilePerms::LINK)
}

fn shadowed(lint: &Lint, context: &LintContext, rule: &FileRule) -> Option<Diagnostic> {
    let perms = checked_perms(rule);
    if perms.is_empty() {
        return None;
    }
    let pattern = context.pattern(&rule.pattern)?;
    if !super::denied_everywhere(context, rule, perms)? {
        return None;
    }
    let example = examples(&pattern, 1).pop()?;
    let message = format!(
        "`{}` never takes effect: deny rules take all of it away",
        rule.pattern
    );
    let label = format!("grants `{}`, all denied", perms.letters());
    let mut diagnostic = super::rule_finding(lint, rule, message, &label);
    for deny in denies_meeting(context, rule, perms) {
        diagnostic = diagnostic.with_secondary(deny.origin.span, "denied here");
    }
    let note = format!("for example on `{example}`");
    let help = "remove the rule, or narrow the deny rules if the access is needed";
    Some(diagnostic.with_note(note).with_help(help))
}

/// The deny rules that deny some of `perms` on some path of `rule`.
pub(super) fn denies_meeting<'p>(
    context: &LintContext<'p>,
    rule: &FileRule,
    perms: FilePerms,
) -> Vec<&'p FileRule> {
    let Some(pattern) = context.pattern(&rule.pattern) else {
        return Vec::new();
    };
    let meets = |deny: &&FileRule| {
        let Some(denied) = context.pattern(&deny.pattern) else {
            return false;
        };
        let shared = PathQuery::new()
            .with_kept(&pattern, true)
            .with_kept(&denied, true);
        super::prefixes_agree(&deny.pattern, &rule.pattern) && !shared.is_empty()
    };
    context
        .profile
        .file_rules
        .iter()
        .filter(|deny| deny.qualifiers.decision == Decision::Deny)
        .filter(|deny| super::path_perms(deny).0 & perms.0 != 0)
        .filter(meets)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lint::rules::tests::{lint_text, profile_text};

    #[test]
    fn reports_allows_that_denies_cancel() {
        let cases: &[(&[&str], usize)] = &[
            (&["deny /etc/** w", "/etc/app/state w"], 1),
            (&["deny /etc/** w", "/etc/app/state rw"], 0),
            (&["deny /a/x* w", "deny /a/[^x]* w", "/a/* w"], 1),
            (&["deny /a/x* w", "/a/* w"], 0),
            (&["deny owner /a/* w", "/a/* w"], 0),
            (&["deny owner /a/* w", "owner /a/* w"], 1),
            (&["deny /a/* w", "/a/* a"], 1),
            (&["deny /a/* a", "/a/* w"], 0),
        ];
        for (rules, expected) in cases {
            let found = lint_text(&SHADOWED_ALLOW, &profile_text(rules));
            assert_eq!(found.len(), *expected, "{rules:?}: {found:#?}");
        }
    }
}
