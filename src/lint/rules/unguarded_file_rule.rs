//! L014 `unguarded-file-rule`: `file,` without the deny rules that keep the
//! kernel's dangerous switches out of reach.

use crate::compile::Half;
use crate::declare_lint;
use crate::diagnostic::{Diagnostic, Severity};
use crate::lint::context::{Region, grants};
use crate::lint::{Check, Lint, LintContext};
use crate::model::{FilePerms, FileRule};

declare_lint! {
    /// Reports `file,` (or `/{**,}` with write) when the profile leaves the
    /// kernel's well-known escape switches writable.
    ///
    /// ## What it does
    /// Flags an allow rule matching every path with write permission, such
    /// as `file,`, when after all deny rules the profile still lets one of
    /// these be written: `/proc/sys/kernel/core_pattern`,
    /// `/proc/sys/kernel/modprobe`, `/proc/sys/fs/binfmt_misc/register`,
    /// `/proc/sys/vm/panic_on_oom` or `/sys/kernel/uevent_helper`.
    ///
    /// ## Why it matters
    /// Each of these makes the kernel run a program of the writer's choice
    /// as root, outside any confinement (a core dump handler, the module
    /// loader, a binary format handler, the hotplug helper), or takes the
    /// host down. Profiles that start from `file,`, as container profiles
    /// do, must deny them; Docker's `docker-default` does it with deny
    /// rules over `/proc/sys` and `/sys`.
    ///
    /// ## Example
    /// ```text
    /// profile app {
    ///   file,
    /// }
    /// ```
    ///
    /// ## Use instead
    /// ```text
    /// profile app {
    ///   file,
    ///   deny /proc/sys/** wklx,
    ///   deny /sys/** wklx,
    /// }
    /// ```
    /// or the deny rules of `docker-default`.
    ///
    /// ## Known problems
    /// Only these five files are checked; `dangerous-write` covers
    /// `/proc/sysrq-trigger`, `/proc/kcore` and `/sys/kernel/security/`.
    /// Profiles with includes that were not found are skipped.
    pub static UNGUARDED_FILE_RULE = Lint {
        code: "L014",
        name: "unguarded-file-rule",
        severity: Severity::Warning,
        check: Check::Profile(check),
    };
}

/// Files whose write lets a confined task run code as root on the host.
const SWITCHES: [&str; 5] = [
    "/proc/sys/kernel/core_pattern",
    "/proc/sys/kernel/modprobe",
    "/proc/sys/fs/binfmt_misc/register",
    "/proc/sys/vm/panic_on_oom",
    "/sys/kernel/uevent_helper",
];

fn check(lint: &Lint, context: &LintContext, diagnostics: &mut Vec<Diagnostic>) {
    if !super::is_complete(context.profile) {
        return;
    }
    for rule in context
        .profile
        .file_rules
        .iter()
        .filter(|rule| is_everything(rule))
    {
        let writable = writable_switches(context);
        if !writable.is_empty() {
            diagnostics.push(finding(lint, rule, &writable));
        }
    }
}

/// Whether `rule` is `file,` or another allow of every path with `w`.
fn is_everything(rule: &FileRule) -> bool {
    let everything = ["/{**,}", "/**", "/{,**}"].contains(&rule.pattern.as_str());
    grants(rule) && everything && rule.perms.contains(FilePerms::WRITE)
}

fn writable_switches(context: &LintContext) -> Vec<&'static str> {
    let writable = Half::BOTH.map(|half| context.region(Region::Allowed, FilePerms::WRITE, half));
    SWITCHES
        .into_iter()
        .filter(|switch| {
            let by = |set: &Option<_>| {
                set.as_ref()
                    .is_some_and(|set: &crate::lint::context::PathSet| {
                        *set.classify(switch.as_bytes())
                    })
            };
            writable.iter().any(by)
        })
        .collect()
}

fn finding(lint: &Lint, rule: &FileRule, writable: &[&str]) -> Diagnostic {
    let message = format!(
        "`{}` leaves the kernel's escape switches writable",
        rule.pattern
    );
    let quoted: Vec<String> = writable.iter().map(|path| format!("`{path}`")).collect();
    let note = format!("still writable: {}", quoted.join(", "));
    let why = "writing one of these makes the kernel run a chosen program as root";
    let help = "add deny rules for `/proc/sys/**` and `/sys/**` writes, as docker-default does";
    let finding = super::rule_finding(lint, rule, message, "allows every path");
    finding.with_note(note).with_note(why).with_help(help)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lint::rules::tests::{lint_text, profile_text};

    #[test]
    fn reports_file_rules_without_the_usual_denies() {
        let cases: &[(&[&str], usize)] = &[
            (&["file"], 1),
            (&["/** rw"], 1),
            (&["/** r"], 0),
            (&["file", "deny /proc/sys/** w", "deny /sys/** w"], 0),
            (&["file", "deny /proc/sys/** w"], 1),
            (&["/proc/sys/** w"], 0),
        ];
        for (rules, expected) in cases {
            let found = lint_text(&UNGUARDED_FILE_RULE, &profile_text(rules));
            assert_eq!(found.len(), *expected, "{rules:?}: {found:#?}");
        }
    }
}
