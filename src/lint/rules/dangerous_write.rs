//! L002 `dangerous-write`: write access to kernel control files.
//!
//! Exact over the whole of each sensitive place: a rule is reported when
//! its pattern, the place and the paths the profile still lets be written
//! (after every deny rule, priorities included) share a path.

use crate::declare_lint;
use crate::diagnostic::{Diagnostic, Severity};
use crate::lint::context::{Region, grants};
use crate::lint::examples::{PathQuery, Paths};
use crate::lint::{Check, Lint, LintContext};
use crate::model::{FilePerms, FileRule};

declare_lint! {
    /// Reports rules that let a profile write kernel control files.
    ///
    /// ## What it does
    /// Flags every `allow` (or `prompt`) file rule that grants `w` or `a` on
    /// `/proc/sysrq-trigger`, `/proc/kcore` or the security file system under
    /// `/sys/kernel/security/`, unless `deny` rules of the same profile take
    /// that write away again.
    ///
    /// ## Why it matters
    /// These files are switches of the kernel, not data: a write to
    /// `/proc/sysrq-trigger` can reboot or freeze the host, `/proc/kcore`
    /// maps the kernel's memory, and `/sys/kernel/security/` loads and
    /// replaces security policy (AppArmor's own `.load` and `.replace`).
    /// Broad rules such as `/** rw,` or `file,` grant these writes without
    /// anyone having asked for them.
    ///
    /// ## Example
    /// ```text
    /// profile app {
    ///   /** rw,
    /// }
    /// ```
    ///
    /// ## Use instead
    /// ```text
    /// profile app {
    ///   /** rw,
    ///   deny /proc/sysrq-trigger w,
    ///   deny /proc/kcore w,
    ///   deny /sys/kernel/security/** w,
    /// }
    /// ```
    /// or, better, a pattern that names only the files the program uses.
    ///
    /// ## Known problems
    /// Only these three places are checked; other dangerous files (such as
    /// `/proc/sys/kernel/core_pattern`) are the business of
    /// `unguarded-file-rule` when a `file,` rule grants them. When several
    /// allow rules grant the same write, each of them is reported. In
    /// `/sys/kernel/security/` only the files that load or change policy
    /// count: AppArmor's `.load`, `.replace`, `.remove` and `.access` (also
    /// those of policy namespaces), IMA's `policy`, `evm`, `lockdown`, and
    /// the policy files of TOMOYO, SafeSetID and LoadPin, so that a rule
    /// such as `/**pcap w` is not reported for a file no kernel has.
    /// Profiles with includes that were not found are skipped, since the
    /// missing file may deny the write.
    pub static DANGEROUS_WRITE = Lint {
        code: "L002",
        name: "dangerous-write",
        severity: Severity::Warning,
        check: Check::Profile(check),
    };
}

/// A sensitive place: how messages name it, why it matters, the pattern
/// of its files, and the pattern a `deny` rule should use for all of it.
struct Target {
    name: &'static str,
    why: &'static str,
    files: &'static str,
    deny: &'static str,
}

const TARGETS: [Target; 3] = [
    Target {
        name: "`/proc/sysrq-trigger`",
        why: "a write to `/proc/sysrq-trigger` can reboot, crash or freeze the host",
        files: "/proc/sysrq-trigger",
        deny: "/proc/sysrq-trigger",
    },
    Target {
        name: "`/proc/kcore`",
        why: "`/proc/kcore` maps the kernel's memory",
        files: "/proc/kcore",
        deny: "/proc/kcore",
    },
    Target {
        name: "the security file system `/sys/kernel/security/`",
        why: "`/sys/kernel/security/` loads and replaces security policy",
        files: SECURITYFS_CONTROL_FILES,
        deny: "/sys/kernel/security/**",
    },
];

/// The files of securityfs whose writes load or change security policy:
/// AppArmor's policy interface (its names start with a dot, in the root
/// and in each policy namespace), IMA's policy, EVM, lockdown, and the
/// policy files of TOMOYO, SafeSetID and LoadPin. Named one by one, so
/// that a glob such as `/**pcap` is not taken to reach a file no kernel
/// has.
const SECURITYFS_CONTROL_FILES: &str = "/sys/kernel/security/{\
    apparmor/{,policy/,policy/namespaces/**/}{.load,.replace,.remove,.access},\
    {,integrity/}ima/policy,{,integrity/}evm{,/evm},lockdown,\
    tomoyo/{domain_policy,exception_policy,profile,manager,self_domain},\
    safesetid/{uid,gid}_allowlist_policy,loadpin/dm-verity}";

/// `w` and `a`, the permissions this lint is about.
const WRITES: FilePerms = FilePerms(FilePerms::WRITE.0 | FilePerms::APPEND.0);

fn check(lint: &Lint, context: &LintContext, diagnostics: &mut Vec<Diagnostic>) {
    if !super::is_complete(context.profile) {
        return;
    }
    let places = TARGETS.map(|target| context.pattern(target.files));
    for rule in context
        .profile
        .file_rules
        .iter()
        .filter(|rule| grants(rule))
    {
        let writes = FilePerms(super::path_perms(rule).0 & WRITES.0);
        if writes.is_empty() {
            continue;
        }
        for (target, place) in TARGETS.iter().zip(&places) {
            let Some(place) = place else {
                continue;
            };
            if let Some(example) = still_writable(context, rule, writes, place) {
                diagnostics.push(finding(lint, rule, target, &example));
            }
        }
    }
}

/// A path of `place` that `rule` lets be written and no deny rule takes
/// back, if there is one.
fn still_writable(
    context: &LintContext,
    rule: &FileRule,
    writes: FilePerms,
    place: &Paths,
) -> Option<String> {
    let pattern = context.pattern(&rule.pattern)?;
    let covered = || {
        PathQuery::new()
            .with_kept(&pattern, true)
            .with_kept(place, true)
    };
    if covered().is_empty() {
        return None;
    }
    for &half in super::halves(rule) {
        for perm in super::each_perm(writes) {
            let writable = context.region(Region::Allowed, perm, half)?;
            if let Some(example) = covered().with_kept(&writable, true).examples(1).pop() {
                return Some(example);
            }
        }
    }
    None
}

fn finding(lint: &Lint, rule: &FileRule, target: &Target, example: &str) -> Diagnostic {
    let writes = FilePerms(super::path_perms(rule).0 & WRITES.0);
    let message = format!("`{}` allows writing {}", rule.pattern, target.name);
    let label = format!("grants `{}`", writes.letters());
    let mut diagnostic = super::rule_finding(lint, rule, message, &label).with_note(target.why);
    if example != target.files {
        diagnostic = diagnostic.with_note(format!("for example `{example}`"));
    }
    let help = format!(
        "narrow the pattern, or add `deny {} w,` to this profile",
        target.deny
    );
    diagnostic.with_help(help)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lint::rules::tests::{lint_text, profile_text};

    #[test]
    fn counts_findings_after_deny_rules() {
        let cases: [(&[&str], usize); 17] = [
            (&["/proc/sysrq-trigger w"], 1),
            (&["/proc/sysrq-trigger r"], 0),
            (&["/proc/kcore a"], 1),
            (&["/** rw"], 3),
            (
                &["/** rw", "deny /proc/sysrq-trigger w", "deny /proc/kcore w"],
                1,
            ),
            (&["/proc/* w", "deny /proc/sysrq-trigger a"], 2),
            (&["/proc/* w", "deny owner /proc/* w"], 2),
            (&["owner /proc/* w", "deny owner /proc/* w"], 0),
            (&["deny /proc/kcore w"], 0),
            (&["/sys/kernel/security/apparmor/** w"], 1),
            (&["/sys/kernel/security/foo/** w"], 0),
            (&["/**pcap{,ng} w"], 0),
            (
                &["/sys/kernel/security/apparmor/policy/namespaces/ns/.replace w"],
                1,
            ),
            (&["/sys/kernel/security/{,integrity/}ima/policy w"], 1),
            (&["/sys/** w", "deny /sys/kernel/security/{,**} w"], 0),
            (&["owner /**.png w"], 0),
            (&["/sys/kernel/security/apparmor/.* w"], 1),
        ];
        for (rules, expected) in cases {
            let text = profile_text(rules);
            let found = lint_text(&DANGEROUS_WRITE, &text);
            assert_eq!(found.len(), expected, "{rules:?}: {found:#?}");
        }
    }
}
