//! L002 `dangerous-write`: write access to kernel control files.
//!
//! FIXME: the check tests each rule against a few sample paths with the
//! stopgap matcher of `lint::glob`, not against every path of the sensitive
//! trees, so a rule such as `/sys/kernel/security/foo/** w` that covers none
//! of the samples is missed. The automaton-based version will compare the
//! profile's permission automaton with the sensitive trees instead.

use crate::declare_lint;
use crate::diagnostic::{Diagnostic, Severity};
use crate::lint::{Check, Lint, glob};
use crate::model::{Decision, FilePerms, FileRule, OwnerQualifier, Profile};

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
    /// The lint checks a handful of sample paths, not every path of the
    /// sensitive trees: a rule that covers a file of `/sys/kernel/security/`
    /// other than the samples (AppArmor's `.load`, `.replace` and `.remove`,
    /// `ima/policy`, `evm`) is missed. It ignores rule priorities.
    pub static DANGEROUS_WRITE = Lint {
        code: "L002",
        name: "dangerous-write",
        severity: Severity::Warning,
        check: Check::Profile(check),
    };
}

/// A sensitive place: how messages name it, why it matters, the paths the
/// check tests, and the pattern a `deny` rule should use.
struct Target {
    name: &'static str,
    why: &'static str,
    samples: &'static [&'static str],
    deny_pattern: &'static str,
}

const TARGETS: [Target; 3] = [
    Target {
        name: "`/proc/sysrq-trigger`",
        why: "a write to `/proc/sysrq-trigger` can reboot, crash or freeze the host",
        samples: &["/proc/sysrq-trigger"],
        deny_pattern: "/proc/sysrq-trigger",
    },
    Target {
        name: "`/proc/kcore`",
        why: "`/proc/kcore` maps the kernel's memory",
        samples: &["/proc/kcore"],
        deny_pattern: "/proc/kcore",
    },
    Target {
        name: "the security file system `/sys/kernel/security/`",
        why: "`/sys/kernel/security/` loads and replaces security policy",
        samples: &[
            "/sys/kernel/security/apparmor/.load",
            "/sys/kernel/security/apparmor/.replace",
            "/sys/kernel/security/apparmor/.remove",
            "/sys/kernel/security/ima/policy",
            "/sys/kernel/security/evm",
        ],
        deny_pattern: "/sys/kernel/security/**",
    },
];

/// `w` and `a`, the permissions this lint is about.
const WRITES: FilePerms = FilePerms(FilePerms::WRITE.0 | FilePerms::APPEND.0);

fn check(lint: &Lint, profile: &Profile, diagnostics: &mut Vec<Diagnostic>) {
    // Each deny rule is matched once per sample, not once per allow rule.
    let denials: Vec<Vec<Denied>> = TARGETS
        .iter()
        .map(|target| target.samples.iter().map(|s| denied(profile, s)).collect())
        .collect();
    for rule in &profile.file_rules {
        if !super::grants(rule.qualifiers.decision) || writes_of(rule.perms).is_empty() {
            continue;
        }
        for (target, denials) in TARGETS.iter().zip(&denials) {
            let samples = target.samples.iter().zip(denials);
            let mut writable = samples.filter(|(sample, denied)| rule_writes(rule, sample, denied));
            if let Some((sample, _)) = writable.next() {
                diagnostics.push(finding(lint, rule, target, sample));
            }
        }
    }
}

/// The write permissions in `perms`; `w` implies `a`, as in the compiler.
fn writes_of(perms: FilePerms) -> FilePerms {
    let mut writes = FilePerms(perms.0 & WRITES.0);
    if writes.contains(FilePerms::WRITE) {
        writes = writes.union(FilePerms::APPEND);
    }
    writes
}

/// The writes that deny rules remove from one sample path, in the owner
/// half and in the other half of the permissions.
#[derive(Clone, Copy, Default)]
struct Denied {
    owner: FilePerms,
    other: FilePerms,
}

impl Denied {
    fn in_half(self, half: OwnerQualifier) -> FilePerms {
        match half {
            OwnerQualifier::Other => self.other,
            _ => self.owner,
        }
    }
}

fn denied(profile: &Profile, sample: &str) -> Denied {
    let mut denied = Denied::default();
    let deny_rules = profile.file_rules.iter();
    let deny_rules = deny_rules.filter(|rule| rule.qualifiers.decision == Decision::Deny);
    for rule in deny_rules.filter(|rule| covers(rule, sample)) {
        let writes = writes_of(rule.perms);
        for half in halves(rule.qualifiers.owner) {
            match half {
                OwnerQualifier::Other => denied.other = denied.other.union(writes),
                _ => denied.owner = denied.owner.union(writes),
            }
        }
    }
    denied
}

/// Whether `rule` grants a write on `sample` that `denied` does not take
/// away, in either half (owner, other) of the permissions.
fn rule_writes(rule: &FileRule, sample: &str, denied: &Denied) -> bool {
    if !covers(rule, sample) {
        return false;
    }
    let granted = writes_of(rule.perms);
    let halves = halves(rule.qualifiers.owner);
    halves
        .iter()
        .any(|&half| !granted.minus(denied.in_half(half)).is_empty())
}

/// The halves of the permission table a qualifier applies to.
fn halves(owner: OwnerQualifier) -> Vec<OwnerQualifier> {
    match owner {
        OwnerQualifier::Both => vec![OwnerQualifier::Owner, OwnerQualifier::Other],
        half => vec![half],
    }
}

fn covers(rule: &FileRule, sample: &str) -> bool {
    match glob::matches(&rule.pattern, sample) {
        Some(covered) => covered,
        None => {
            log::debug!("pattern `{}` is past the matcher's limits", rule.pattern);
            false
        }
    }
}

fn finding(lint: &Lint, rule: &FileRule, target: &Target, sample: &str) -> Diagnostic {
    let message = format!("`{}` allows writing {}", rule.pattern, target.name);
    let label = format!("grants `{}`", writes_of(rule.perms).letters());
    let mut diagnostic = lint
        .diagnostic(message)
        .with_primary(rule.origin.span, label)
        .with_include_chain(rule.origin.include_chain.clone())
        .with_note(target.why);
    if target.samples.len() > 1 {
        diagnostic = diagnostic.with_note(format!("for example `{sample}`"));
    }
    let help = format!(
        "narrow the pattern, or add `deny {} w,` to this profile",
        target.deny_pattern
    );
    diagnostic.with_help(help)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Origin, Qualifiers};
    use crate::source::{FileId, Span};

    fn rule(text: &str) -> FileRule {
        let mut words: Vec<&str> = text.split_whitespace().collect();
        let mut qualifiers = Qualifiers::default();
        while words.len() > 2 {
            match words.remove(0) {
                "deny" => qualifiers.decision = Decision::Deny,
                "owner" => qualifiers.owner = OwnerQualifier::Owner,
                "other" => qualifiers.owner = OwnerQualifier::Other,
                word => panic!("test rule word {word}"),
            }
        }
        FileRule {
            origin: Origin {
                span: Span::new(FileId(0), 0, 0),
                include_chain: Vec::new(),
            },
            qualifiers,
            pattern: words[0].to_string(),
            perms: FilePerms::from_letters(words[1]).expect("test perms"),
            exec: None,
            link: None,
        }
    }

    fn profile(rules: &[&str]) -> Profile {
        Profile {
            name: "test".into(),
            origin: rule("/x r").origin,
            attachment: None,
            flags: Vec::new(),
            is_hat: false,
            file_rules: rules.iter().map(|text| rule(text)).collect(),
            other_rules: Vec::new(),
            children: Vec::new(),
            unresolved_includes: Vec::new(),
        }
    }

    #[test]
    fn counts_findings_after_deny_rules() {
        let cases: [(&[&str], usize); 9] = [
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
        ];
        for (rules, expected) in cases {
            let mut diagnostics = Vec::new();
            check(&DANGEROUS_WRITE, &profile(rules), &mut diagnostics);
            assert_eq!(diagnostics.len(), expected, "{rules:?}");
        }
    }
}
