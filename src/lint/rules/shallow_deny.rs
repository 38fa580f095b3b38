//! L005 `shallow-deny`: a deny ending in `*` while what lies below the
//! paths it names stays allowed.

use crate::declare_lint;
use crate::diagnostic::{Diagnostic, Severity};
use crate::lint::context::{Region, grants, is_own};
use crate::lint::examples::is_known;
use crate::lint::glob_syntax::{Piece, tokens};
use crate::lint::{Check, Lint, LintContext};
use crate::model::{FilePerms, FileRule};

declare_lint! {
    /// Reports deny rules whose last component ends in a single `*` while
    /// the profile allows the same permissions below the paths it names.
    ///
    /// ## What it does
    /// Flags a deny rule written in the profile itself whose pattern's last
    /// component holds `*` but no `**` (such as `/proc/*` or `/etc/*.conf`),
    /// when some path inside a directory the pattern matches (the pattern
    /// followed by `/**`) is still allowed one of the denied permissions
    /// once every rule is applied. The finding names such a path. When the
    /// star only ends a name's prefix (`/etc/shadow*`), which usually means
    /// files, the path must be a real one of aaprove's /proc inventories.
    ///
    /// ## Why it matters
    /// `*` stops at `/`: `deny /etc/app/* w` protects the files directly
    /// in `/etc/app/` and nothing in its subdirectories. With a broad allow
    /// such as `file,` or `/** rw`, the subdirectories stay writable,
    /// which is rarely what a rule that reads "deny `/etc/app/*`" means.
    ///
    /// ## Example
    /// ```text
    /// /** rw,
    /// deny /etc/app/* w,
    /// ```
    ///
    /// ## Use instead
    /// ```text
    /// /** rw,
    /// deny /etc/app/** w,
    /// ```
    ///
    /// ## Known problems
    /// The heuristic cannot know intent: a rule meant for the files
    /// directly in a directory is reported when the profile allows what
    /// lies below. A trailing comment saying so ("directly in", "not in a
    /// subdir") silences it, and `comment-claim` then checks the claim.
    /// Prefix patterns such as `/boot/vmlinuz*` are only reported under
    /// /proc, where aaprove knows the real directories.
    /// Profiles with includes that were not found are skipped.
    pub static SHALLOW_DENY = Lint {
        code: "L005",
        name: "shallow-deny",
        severity: Severity::Warning,
        check: Check::Profile(check),
    };
}

fn check(lint: &Lint, context: &LintContext, diagnostics: &mut Vec<Diagnostic>) {
    if !super::is_complete(context.profile) {
        return;
    }
    for rule in &context.profile.file_rules {
        if grants(rule) || !is_own(rule) || !ends_in_single_star(&rule.pattern) {
            continue;
        }
        if says_directly_in(context.trailing_comment(rule)) {
            continue;
        }
        if let Some(finding) = shallow(lint, context, rule, ends_in_name_prefix(&rule.pattern)) {
            diagnostics.push(finding);
        }
    }
}

/// Whether the last component of `pattern` holds a `*` and no `**`, and
/// the pattern does not end in `/` (a directory).
fn ends_in_single_star(pattern: &str) -> bool {
    let Some(tokens) = tokens(pattern) else {
        return false;
    };
    let last_slash = tokens
        .iter()
        .rposition(|token| token.piece == Piece::Byte(b'/'));
    let last = &tokens[last_slash.map_or(0, |slash| slash + 1)..];
    let star = |double| {
        last.iter()
            .any(|token| token.piece == Piece::Star { double })
    };
    !last.is_empty() && star(false) && !star(true)
}

/// Whether the last `*` of `pattern` follows a literal name from the
/// start of its component or alternative, as in `/etc/shadow*` or
/// `{a,lib*}`: a prefix of names, more often of files than of directories.
fn ends_in_name_prefix(pattern: &str) -> bool {
    let Some(star) = pattern.rfind('*') else {
        return false;
    };
    let before = pattern[..star].bytes().rev();
    let name = before
        .clone()
        .take_while(|byte| !b"/{},[]?*\\".contains(byte))
        .count();
    let start = pattern[..star].bytes().rev().nth(name);
    name > 0 && matches!(start, None | Some(b'/' | b'{' | b','))
}

fn says_directly_in(comment: Option<&str>) -> bool {
    let comment = comment.unwrap_or("").to_lowercase();
    ["directly in", "not in a subdir", "top level", "top-level"]
        .iter()
        .any(|phrase| comment.contains(phrase))
}

/// The finding for `rule` when a path below what it names stays allowed;
/// with `real_only`, only when that path is a real one.
fn shallow(
    lint: &Lint,
    context: &LintContext,
    rule: &FileRule,
    real_only: bool,
) -> Option<Diagnostic> {
    let perms = super::path_perms(rule).minus(FilePerms::LINK);
    let below = context.pattern(&format!("{}/**", rule.pattern))?;
    let halves = super::halves(rule);
    let (example, perm) = super::some_path_in(context, &below, Region::Allowed, perms, halves)?;
    if real_only && !is_known(&example) {
        return None;
    }
    let message = format!("`deny {}` does not reach into subdirectories", rule.pattern);
    let label = "`*` stops at `/`";
    let note = format!("`{example}` is still allowed `{}`", perm.letters());
    let help = format!(
        "write `{}` to deny below it too, or say \"directly in\" in a trailing comment",
        double_star(&rule.pattern)
    );
    let finding = super::rule_finding(lint, rule, message, label);
    Some(finding.with_note(note).with_help(help))
}

/// The pattern with its last `*` made `**`.
fn double_star(pattern: &str) -> String {
    match pattern.rfind('*') {
        Some(at) => format!("{}*{}", &pattern[..at], &pattern[at..]),
        None => pattern.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lint::rules::tests::{lint_text, profile_text};

    #[test]
    fn finds_single_star_endings() {
        let cases = [
            ("/proc/*", true),
            ("/sys/f*", true),
            ("/sys/f*/**", false),
            ("/a/*/b", false),
            ("/a/**", false),
            ("/a/*/", false),
            ("/a/{x,y*}", true),
        ];
        for (pattern, expected) in cases {
            assert_eq!(ends_in_single_star(pattern), expected, "{pattern}");
        }
    }

    #[test]
    fn finds_name_prefixes() {
        let cases = [
            ("/etc/shadow*", true),
            ("/boot/initrd.img*", true),
            ("/a/{x,lib*}", true),
            ("/proc/*", false),
            ("/var/log/*.log", false),
            ("/proc/sys/kernel/{?,??,[^n][^s]*}", false),
            ("/a/b[0-9]*", false),
        ];
        for (pattern, expected) in cases {
            assert_eq!(ends_in_name_prefix(pattern), expected, "{pattern}");
        }
    }

    #[test]
    fn reports_when_subdirectories_stay_allowed() {
        let cases: &[(&[&str], usize)] = &[
            (&["/** rw", "deny /etc/app/* w"], 1),
            (
                &["/** rw", "deny /etc/app/* w # files directly in /etc/app"],
                0,
            ),
            (&["/** rw", "deny /etc/app/** w"], 0),
            (&["/etc/app/* rw", "deny /etc/app/* w"], 0),
            (&["/** r", "deny /etc/app/* w"], 0),
            (&["/** rw", "deny /etc/app/* w", "deny /etc/app/*/** w"], 0),
            (&["/** rw", "deny /boot/vmlinuz* w"], 0),
            (&["/** rw", "deny /etc/app/*.conf w"], 1),
            (&["/proc/** rw", "deny /proc/sys/f* w"], 1),
        ];
        for (rules, expected) in cases {
            let found = lint_text(&SHALLOW_DENY, &profile_text(rules));
            assert_eq!(found.len(), *expected, "{rules:?}: {found:#?}");
        }
    }
}
