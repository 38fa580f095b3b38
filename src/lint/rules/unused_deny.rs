//! L009 `unused-deny`: a deny rule that no allow rule reaches.

use crate::declare_lint;
use crate::diagnostic::{Diagnostic, Severity};
use crate::lint::context::{grants, is_own};
use crate::lint::{Check, Lint, LintContext};
use crate::model::{FilePerms, FileRule};

declare_lint! {
    /// Reports deny rules that take away nothing the profile allows.
    ///
    /// ## What it does
    /// Flags a deny rule written in the profile itself when no allow rule
    /// of the profile (its includes counted) grants any of the denied
    /// permissions on any path of its pattern.
    ///
    /// ## Why it matters
    /// Such a rule changes no decision: the access is refused anyway. It
    /// often shows a pattern that misses what it was meant to protect (a
    /// typo, `/proc/` against `@{PROC}`), or a rule left behind when the
    /// allow it guarded was removed.
    ///
    /// ## Example
    /// ```text
    /// /var/lib/app/** rw,
    /// deny /var/lib/ap/secret w,
    /// ```
    ///
    /// ## Use instead
    /// ```text
    /// /var/lib/app/** rw,
    /// deny /var/lib/app/secret w,
    /// ```
    ///
    /// ## Known problems
    /// A deny rule also silences the audit log of the accesses it refuses,
    /// and is often written on purpose to do just that, or as a guard
    /// against allow rules a later include may add; hence this is only a
    /// note. Denies from included abstractions, and `l` (which a deny
    /// applies to link pairs), are not checked; profiles with `priority=`
    /// rules or with includes that were not found are skipped.
    pub static UNUSED_DENY = Lint {
        code: "L009",
        name: "unused-deny",
        severity: Severity::Note,
        check: Check::Profile(check),
    };
}

fn check(lint: &Lint, context: &LintContext, diagnostics: &mut Vec<Diagnostic>) {
    if !super::pairs_are_affordable(lint, context.profile) {
        return;
    }
    if !super::is_complete(context.profile) {
        return;
    }
    if super::has_priorities(context.profile) {
        return;
    }
    for rule in &context.profile.file_rules {
        if grants(rule) || !is_own(rule) || context.matches_nothing(rule) != Some(false) {
            continue;
        }
        if removes_nothing(context, rule) == Some(true) {
            let perms = super::path_perms(rule);
            let message = format!("`deny {}` removes nothing", rule.pattern);
            let label = format!("no allow rule grants `{}` here", perms.letters());
            let help = "check the pattern, or remove the rule if it only quiets the log";
            let finding = super::rule_finding(lint, rule, message, &label);
            diagnostics.push(finding.with_help(help));
        }
    }
}

fn removes_nothing(context: &LintContext, rule: &FileRule) -> Option<bool> {
    let perms = super::path_perms(rule).minus(FilePerms::LINK);
    if perms.is_empty() {
        return None;
    }
    Some(!super::granted_somewhere(context, rule, perms)?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lint::rules::tests::{lint_text, profile_text};

    #[test]
    fn reports_denies_no_allow_reaches() {
        let cases: &[(&[&str], usize)] = &[
            (&["/var/lib/app/** rw", "deny /var/lib/ap/secret w"], 1),
            (&["/var/lib/app/** rw", "deny /var/lib/app/secret w"], 0),
            (&["/var/lib/app/** r", "deny /var/lib/app/secret w"], 1),
            (&["/var/lib/app/** r", "deny /var/lib/app/secret rw"], 0),
            (&["owner /a/* w", "deny other /a/* w"], 1),
            (&["/a/* a", "deny /a/* w"], 0),
        ];
        for (rules, expected) in cases {
            let found = lint_text(&UNUSED_DENY, &profile_text(rules));
            assert_eq!(found.len(), *expected, "{rules:?}: {found:#?}");
        }
    }

    #[test]
    fn stays_silent_when_an_include_is_missing() {
        use crate::model::UnresolvedInclude;
        let text = profile_text(&["/a r", "deny /b w"]);
        let resolved = crate::resolve::load_test_text(&text);
        let mut profile = resolved.profiles[0].clone();
        let check = |profile: &crate::model::Profile| {
            let mut found = Vec::new();
            let context = LintContext::new(profile, &resolved.sources);
            super::check(&UNUSED_DENY, &context, &mut found);
            found.len()
        };
        assert_eq!(check(&profile), 1);
        profile.unresolved_includes.push(UnresolvedInclude {
            name: "local/t".into(),
            origin: profile.origin.clone(),
        });
        assert_eq!(check(&profile), 0);
    }
}
