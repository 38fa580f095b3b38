//! L010 `denied-exec-transition`: deny rules that cancel an exec rule's
//! transition while the rest of the rule stays.

use crate::declare_lint;
use crate::diagnostic::{Diagnostic, Severity};
use crate::lint::context::grants;
use crate::lint::examples::examples;
use crate::lint::{Check, Lint, LintContext};
use crate::model::{ExecTransition, FilePerms, FileRule};

declare_lint! {
    /// Reports deny rules that take `x` from every path of an exec rule
    /// whose other permissions remain.
    ///
    /// ## What it does
    /// Flags a deny rule that, alone or with other deny rules, denies `x`
    /// on every path of an allow rule with an exec mode (`ix`, `Px`, `Cx`,
    /// `Ux`, ...), when that allow rule keeps some other permission (so
    /// that `shadowed-allow` does not already report it).
    ///
    /// ## Why it matters
    /// An exec mode says which profile the program runs under. When a deny
    /// takes `x` away, the program cannot run at all and the transition
    /// the rule names never happens: the rule reads as "run it under
    /// profile P" but means "read it". One of the two rules is wrong.
    ///
    /// ## Example
    /// ```text
    /// deny /usr/bin/* x,
    /// /usr/bin/helper rPx,
    /// ```
    ///
    /// ## Use instead
    /// ```text
    /// deny /usr/bin/[^h]* x,
    /// /usr/bin/helper rPx,
    /// ```
    ///
    /// ## Known problems
    /// Only exec rules of the profile itself are checked, and only when
    /// `x` is denied on all their paths; a deny covering part of a glob
    /// exec rule is normal use and not reported. Profiles with
    /// `priority=` rules are skipped.
    pub static DENIED_EXEC_TRANSITION = Lint {
        code: "L010",
        name: "denied-exec-transition",
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
        let transition = rule.exec.as_ref().and_then(|exec| exec.transition);
        if !grants(rule) || !crate::lint::context::is_own(rule) || transition.is_none() {
            continue;
        }
        if let Some(finding) = dead_transition(lint, context, rule) {
            diagnostics.push(finding);
        }
    }
}

fn dead_transition(lint: &Lint, context: &LintContext, rule: &FileRule) -> Option<Diagnostic> {
    let pattern = context.pattern(&rule.pattern)?;
    let exec = FilePerms::EXEC;
    if !super::denied_everywhere(context, rule, exec)? {
        return None;
    }
    // `ix`, `pix` and `cix` bring `m` with them; it is not a permission
    // the author wrote next to the exec mode.
    let inherits = rule.exec.as_ref().is_some_and(|mode| {
        mode.transition == Some(ExecTransition::Inherit)
            || mode.fallback == Some(ExecTransition::Inherit)
    });
    let mut others = super::shadowed_allow::checked_perms(rule).minus(exec);
    if inherits {
        others = others.minus(FilePerms::MMAP);
    }
    if others.is_empty() || super::denied_everywhere(context, rule, others)? {
        return None;
    }

    let example = examples(&pattern, 1).pop()?;
    let denies = super::shadowed_allow::denies_meeting(context, rule, exec);
    let first = denies.first()?;
    let message = format!("deny rules take `x` from every path of `{}`", rule.pattern);
    let mut diagnostic = super::rule_finding(lint, first, message, "denies `x`");
    for deny in &denies[1..] {
        diagnostic = diagnostic.with_secondary(deny.origin.span, "denies `x`");
    }
    let label = "this exec transition never happens";
    diagnostic = diagnostic.with_secondary(rule.origin.span, label);
    let note = format!("for example `{example}` cannot be run at all");
    let help = "narrow the deny rule, or drop the exec mode from the allow rule";
    Some(diagnostic.with_note(note).with_help(help))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lint::rules::tests::{lint_text, profile_text};

    #[test]
    fn reports_exec_rules_whose_x_is_denied() {
        let cases: &[(&[&str], usize)] = &[
            (&["deny /usr/bin/* x", "/usr/bin/helper rPx"], 1),
            (&["deny /usr/bin/* x", "/usr/bin/helper Px"], 0),
            (&["deny /usr/bin/[^h]* x", "/usr/bin/helper rPx"], 0),
            (&["deny /usr/bin/h* x", "/usr/bin/* rix"], 0),
            (&["deny /usr/bin/* rx", "/usr/bin/helper rix"], 0),
            (&["deny /usr/bin/* x", "/usr/bin/helper rix"], 1),
        ];
        for (rules, expected) in cases {
            let found = lint_text(&DENIED_EXEC_TRANSITION, &profile_text(rules));
            assert_eq!(found.len(), *expected, "{rules:?}: {found:#?}");
        }
    }
}
