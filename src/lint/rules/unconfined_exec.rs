//! L001 `unconfined-exec`: exec rules that can leave confinement.

use crate::declare_lint;
use crate::diagnostic::{Diagnostic, Severity};
use crate::lint::context::grants;
use crate::lint::{Check, Lint, LintContext};
use crate::model::{ExecMode, ExecTransition, FileRule};

declare_lint! {
    /// Reports allow rules whose exec mode can run a program unconfined.
    ///
    /// ## What it does
    /// Flags every `allow` (or `prompt`) file rule whose exec mode is `ux` or
    /// `Ux`, or one of the fallback modes `pux`, `Pux`, `PUx`, `cux`, `Cux`
    /// and `CUx`, which run the program unconfined when its profile is
    /// missing.
    ///
    /// ## Why it matters
    /// A program run unconfined escapes every rule of the policy, and so does
    /// everything it runs in turn. One such rule makes the whole profile only
    /// as strong as the program it names: a shell, an interpreter or anything
    /// that can be told to run a command turns it into a full escape. The
    /// lower-case forms also keep the environment, so variables such as
    /// `LD_PRELOAD` reach the unconfined program.
    ///
    /// ## Example
    /// ```text
    /// profile app /usr/bin/app {
    ///   /usr/bin/helper ux,
    ///   /usr/bin/tool PUx,
    /// }
    /// ```
    ///
    /// ## Use instead
    /// ```text
    /// profile app /usr/bin/app {
    ///   /usr/bin/helper Px,
    ///   /usr/bin/tool ix,
    /// }
    /// ```
    /// `Px` requires a profile for the program (and fails the exec when there
    /// is none); `ix` keeps the current profile; `Cx` moves to a child
    /// profile written for the program.
    ///
    /// ## Known problems
    /// The lint looks at each rule alone: a `deny` rule that takes the `x`
    /// away again still leaves the finding, and an `ux` that is truly needed
    /// must be allowed with a suppression comment that says why.
    pub static UNCONFINED_EXEC = Lint {
        code: "L001",
        name: "unconfined-exec",
        severity: Severity::Warning,
        check: Check::Profile(check),
    };
}

fn check(lint: &Lint, context: &LintContext, diagnostics: &mut Vec<Diagnostic>) {
    for rule in &context.profile.file_rules {
        let Some(exec) = rule.exec.as_ref() else {
            continue;
        };
        if grants(rule) && can_run_unconfined(exec) {
            diagnostics.push(finding(lint, rule, exec));
        }
    }
}

fn can_run_unconfined(exec: &ExecMode) -> bool {
    let unconfined = Some(ExecTransition::Unconfined);
    exec.transition == unconfined || exec.fallback == unconfined
}

fn finding(lint: &Lint, rule: &FileRule, exec: &ExecMode) -> Diagnostic {
    let mode = mode_letters(exec);
    let message = format!("`{}` may run unconfined", rule.pattern);
    let mut diagnostic = lint
        .diagnostic(message)
        .with_primary(rule.origin.span, format!("exec mode `{mode}`"))
        .with_include_chain(rule.origin.include_chain.clone());
    if exec.fallback.is_some() {
        let note = format!("`{mode}` runs the program unconfined when it has no profile");
        diagnostic = diagnostic.with_note(note);
    }
    if !exec.scrub {
        let note = "the lower-case mode also keeps the environment (`LD_PRELOAD`, ...)";
        diagnostic = diagnostic.with_note(note);
    }
    let help = "use `Px` or `Cx` with a profile for the program, or `ix` to keep this one";
    diagnostic.with_help(help)
}

/// The exec mode as written in a rule, such as `ux`, `PUx` or `cux`.
fn mode_letters(exec: &ExecMode) -> String {
    let letter = |transition| match transition {
        Some(ExecTransition::Inherit) => "i",
        Some(ExecTransition::Unconfined) => "u",
        Some(ExecTransition::Profile) => "p",
        Some(ExecTransition::Child) => "c",
        None => "",
    };
    let mut mode = letter(exec.transition).to_string();
    mode.push_str(letter(exec.fallback));
    if exec.scrub {
        mode = mode.to_ascii_uppercase();
        if exec.fallback == Some(ExecTransition::Inherit) {
            mode = mode.replace('I', "i");
        }
    }
    mode + "x"
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mode(transition: ExecTransition, fallback: Option<ExecTransition>, scrub: bool) -> ExecMode {
        ExecMode {
            transition: Some(transition),
            scrub,
            fallback,
            target: None,
        }
    }

    #[test]
    fn flags_exactly_the_unconfined_modes() {
        use ExecTransition::*;
        let cases = [
            (mode(Unconfined, None, false), true, "ux"),
            (mode(Unconfined, None, true), true, "Ux"),
            (mode(Profile, Some(Unconfined), false), true, "pux"),
            (mode(Profile, Some(Unconfined), true), true, "PUx"),
            (mode(Child, Some(Unconfined), true), true, "CUx"),
            (mode(Profile, Some(Inherit), true), false, "Pix"),
            (mode(Child, None, false), false, "cx"),
            (mode(Inherit, None, false), false, "ix"),
        ];
        for (exec, flagged, letters) in cases {
            assert_eq!(can_run_unconfined(&exec), flagged, "{letters}");
            assert_eq!(mode_letters(&exec), letters);
        }
    }
}
