//! L011 `comment-claim`: a deny rule whose trailing comment says it does
//! something its pattern does not.
//!
//! A few common ways of describing a deny rule have a checkable form; the
//! comment is parsed into a set of paths and compared with the pattern by
//! automata. Comments of any other form are not read.

use crate::declare_lint;
use crate::diagnostic::{Diagnostic, Severity};
use crate::lint::context::{PathSet, both, grants, minus};
use crate::lint::examples::{Paths, examples, listed};
use crate::lint::{Check, Lint, LintContext};
use crate::model::FileRule;

declare_lint! {
    /// Reports deny rules whose trailing comment claims a set of paths the
    /// pattern does not match.
    ///
    /// ## What it does
    /// Reads the comment after a deny rule when it has one of these forms,
    /// and compares the set it describes with the rule's pattern:
    ///
    /// - "deny ... directly in D (not in a subdir)": the names in `D`,
    ///   `D/*`;
    /// - "deny everything except X and Y in D": every path below `D`
    ///   except `D/X` and `D/Y` and what lies below them;
    /// - "deny D except D/X": every path below `D` except `D/X` and what
    ///   lies below it.
    ///
    /// Names may be globs (`shm*`); a parenthesis after one is a remark.
    /// The finding gives example paths of both differences: what the
    /// comment says is denied but the rule leaves out, and what the rule
    /// denies although the comment excludes it.
    ///
    /// ## Why it matters
    /// Reviewers read the comment, not the pattern: a comment that says
    /// "everything except `ns_last_pid`" over a pattern that leaves
    /// `osrelease` writable passes review. Docker's `docker-default` and
    /// its derivatives carry such comments on their hardest patterns.
    ///
    /// ## Example
    /// ```text
    /// deny /proc/sys/kernel/{?,??,[^n][^s]*} w,  # deny everything except ns* in /proc/sys/kernel/
    /// ```
    ///
    /// ## Use instead
    /// ```text
    /// deny /proc/sys/kernel/{[^n/]*,n,n[^s/]*}{,/**} w,  # deny everything except ns* in /proc/sys/kernel/
    /// ```
    ///
    /// ## Known problems
    /// Only the forms above are read, in English, and only on deny rules.
    /// "Everything in D" is read as every path below `D`, subdirectories
    /// included.
    pub static COMMENT_CLAIM = Lint {
        code: "L011",
        name: "comment-claim",
        severity: Severity::Warning,
        check: Check::Profile(check),
    };
}

const EXAMPLES: usize = 4;

/// A set of paths a comment describes, as patterns.
#[derive(Debug, PartialEq, Eq)]
struct Claim {
    /// The paths the comment talks about: the comparison looks only here.
    scope: String,
    /// The paths it says are denied, before `excluded` is taken out.
    denied: String,
    /// The paths it says are not denied, each with all below it.
    excluded: Vec<String>,
}

fn check(lint: &Lint, context: &LintContext, diagnostics: &mut Vec<Diagnostic>) {
    for rule in &context.profile.file_rules {
        if grants(rule) {
            continue;
        }
        let Some(comment) = context.trailing_comment(rule) else {
            continue;
        };
        let Some(claim) = parse(comment) else {
            continue;
        };
        if let Some(finding) = compare(lint, context, rule, comment, &claim) {
            diagnostics.push(finding);
        }
    }
}

/// The claim of a comment of one of the known forms.
fn parse(comment: &str) -> Option<Claim> {
    let lower = comment.to_lowercase();
    let words: Vec<&str> = lower.split_whitespace().collect();
    if words.first() != Some(&"deny") {
        return None;
    }
    if let Some(at) = lower.find("directly in ") {
        let dir = directory(&lower[at + "directly in ".len()..])?;
        return Some(Claim {
            scope: format!("{dir}/**"),
            denied: format!("{dir}/*"),
            excluded: Vec::new(),
        });
    }
    if let Some(at) = lower.find("everything except ") {
        let rest = &lower[at + "everything except ".len()..];
        let split = rest.rfind(" in /")?;
        let dir = directory(&rest[split + " in ".len()..])?;
        let names = names(&rest[..split])?;
        let excluded = names.iter().map(|name| format!("{dir}/{name}")).collect();
        return Some(Claim {
            scope: format!("{dir}/**"),
            denied: format!("{dir}/**"),
            excluded,
        });
    }
    if words.get(2) == Some(&"except") && words[1].starts_with('/') {
        let dir = directory(words[1])?;
        let rest = lower.split_once(" except ")?.1;
        let excluded = names(rest)?;
        let inside = |name: &String| name.starts_with(&format!("{dir}/"));
        return excluded.iter().all(inside).then(|| Claim {
            scope: format!("{dir}/**"),
            denied: format!("{dir}/**"),
            excluded,
        });
    }
    None
}

/// The directory a phrase starts with: a path, without a trailing `/` or
/// punctuation.
fn directory(text: &str) -> Option<String> {
    let word = text.split_whitespace().next()?;
    let word = word
        .trim_end_matches([',', '.', ';', ':', ')'])
        .trim_end_matches('/');
    let plain = |c: char| c.is_ascii_alphanumeric() || "/_-.@".contains(c);
    (word.starts_with('/') && word.chars().all(plain)).then(|| word.to_string())
}

/// The names of a list such as "shm* and ns*(ns_last_pid)", each a glob
/// without spaces; parentheses are remarks and are dropped.
fn names(text: &str) -> Option<Vec<String>> {
    let mut plain = String::new();
    let mut depth = 0usize;
    for c in text.chars() {
        match c {
            '(' => depth += 1,
            ')' => depth = depth.saturating_sub(1),
            _ if depth == 0 => plain.push(c),
            _ => {}
        }
    }
    let names: Vec<String> = plain
        .replace(" and ", ",")
        .replace(" or ", ",")
        .split(',')
        .map(|name| name.trim().to_string())
        .filter(|name| !name.is_empty())
        .collect();
    let glob = |c: char| c.is_ascii_alphanumeric() || "/_-.*?".contains(c);
    let valid = !names.is_empty() && names.iter().all(|name| name.chars().all(glob));
    valid.then_some(names)
}

/// The claim's set: the scope without the excluded names and their trees.
fn claimed(context: &LintContext, claim: &Claim) -> Option<(PathSet, PathSet)> {
    let scope = context.pattern(&claim.scope)?;
    let mut set = (*context.pattern(&claim.denied)?).clone();
    for name in &claim.excluded {
        let excluded = context.pattern(&format!("{name}{{,/**}}"))?;
        set = minus(&set, &excluded, &context.limits)?;
    }
    Some((scope, std::rc::Rc::new(Paths::new(set))))
}

fn compare(
    lint: &Lint,
    context: &LintContext,
    rule: &FileRule,
    comment: &str,
    claim: &Claim,
) -> Option<Diagnostic> {
    let limits = &context.limits;
    let (scope, claimed) = claimed(context, claim)?;
    let actual = context.pattern(&rule.pattern)?;
    let missed = minus(&claimed, &actual, limits)?;
    let (left_out, allowed) = super::left_allowed(context, rule, &missed, EXAMPLES);
    let in_scope = both(&actual, &scope, limits)?;
    let extra = examples(&minus(&in_scope, &claimed, limits)?, EXAMPLES);
    if left_out.is_empty() && extra.is_empty() {
        return None;
    }

    let message = format!(
        "the comment of `deny {}` claims what it does not do",
        rule.pattern
    );
    let label = "pattern and comment disagree";
    let mut diagnostic = super::rule_finding(lint, rule, message, label);
    diagnostic = diagnostic.with_note(format!("the comment: \"{comment}\""));
    if !left_out.is_empty() {
        let note = format!(
            "the rule does not deny {}{}",
            listed(&left_out),
            super::negated_class_prefix::still(allowed)
        );
        diagnostic = diagnostic.with_note(note);
    }
    if !extra.is_empty() {
        let note = format!(
            "the rule denies {}, which the comment excludes",
            listed(&extra)
        );
        diagnostic = diagnostic.with_note(note);
    }
    Some(diagnostic.with_help("fix the pattern, or make the comment say what it does"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lint::rules::tests::{lint_text, profile_text};

    fn claim(scope: &str, denied: &str, excluded: &[&str]) -> Option<Claim> {
        Some(Claim {
            scope: scope.to_string(),
            denied: denied.to_string(),
            excluded: excluded.iter().map(|name| name.to_string()).collect(),
        })
    }

    #[test]
    fn parses_the_known_forms() {
        let cases: &[(&str, Option<Claim>)] = &[
            (
                "deny write for all files directly in /proc (not in a subdir)",
                claim("/proc/**", "/proc/*", &[]),
            ),
            (
                "deny everything except shm* and ns*(ns_last_pid) in /proc/sys/kernel/",
                claim(
                    "/proc/sys/kernel/**",
                    "/proc/sys/kernel/**",
                    &["/proc/sys/kernel/shm*", "/proc/sys/kernel/ns*"],
                ),
            ),
            (
                "deny /proc/sys except /proc/sys/k* (effectively /proc/sys/kernel)",
                claim("/proc/sys/**", "/proc/sys/**", &["/proc/sys/k*"]),
            ),
            ("deny /proc/sys except /etc/x", None),
            ("allow everything except x in /a", None),
            ("suppress ptrace denials", None),
        ];
        for (comment, expected) in cases {
            assert_eq!(parse(comment), *expected, "{comment}");
        }
    }

    #[test]
    fn compares_claims_with_patterns() {
        let cases: &[(&str, usize)] = &[
            (
                "deny /proc/* w # deny write for all files directly in /proc",
                0,
            ),
            (
                "deny /proc/** w # deny write for all files directly in /proc",
                1,
            ),
            (
                "deny /proc/sys/[^k]** w # deny /proc/sys except /proc/sys/k*",
                0,
            ),
            (
                "deny /proc/sys/kernel/{?,??,[^n][^s]*} w # deny everything except ns* in /proc/sys/kernel",
                1,
            ),
            (
                "deny /proc/sys/kernel/{[^n/]*,n,n[^s/]*}{,/**} w # deny everything except ns* in /proc/sys/kernel",
                0,
            ),
            (
                "/proc/** w # deny everything except ns* in /proc/sys/kernel",
                0,
            ),
        ];
        for (rule, expected) in cases {
            let found = lint_text(&COMMENT_CLAIM, &profile_text(&[rule]));
            assert_eq!(found.len(), *expected, "{rule}: {found:#?}");
        }
    }
}
