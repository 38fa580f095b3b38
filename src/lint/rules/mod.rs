//! The lints on the policy itself, one file per lint, each declared with
//! [`declare_lint!`](crate::declare_lint) so that its doc comment is its
//! user documentation; and the small helpers they share.

pub mod comment_claim;
pub mod dangerous_write;
pub mod denied_exec_transition;
pub mod glued_globstar;
pub mod negated_class_prefix;
pub mod redundant_rule;
pub mod regex_syntax;
pub mod shadowed_allow;
pub mod shallow_deny;
pub mod slash_in_negated_class;
pub mod unconfined_exec;
pub mod unguarded_file_rule;
pub mod unmatchable_rule;
pub mod unused_deny;
pub mod wildcard_in_class;

use crate::compile::Half;
use crate::diagnostic::Diagnostic;
use crate::lint::context::grants;
use crate::lint::examples::PathQuery;
use crate::lint::{Lint, LintContext};
use crate::model::{FilePerms, FileRule, Profile};

/// The halves of the permission table a rule applies to.
fn halves(rule: &FileRule) -> &'static [Half] {
    Half::of_rule(rule.qualifiers.owner)
}

/// The permissions a rule puts on its paths, as the compiler does: `w`
/// brings `a`, and a deny rule's `l` is left to the link pair (it does not
/// touch the path itself).
fn path_perms(rule: &FileRule) -> FilePerms {
    let mut perms = rule.perms;
    if perms.contains(FilePerms::WRITE) {
        perms = perms.union(FilePerms::APPEND);
    }
    if !grants(rule) {
        perms = perms.minus(FilePerms::LINK);
    }
    perms
}

/// Each permission of `perms` on its own, in `rwalkmx` order.
fn each_perm(perms: FilePerms) -> impl Iterator<Item = FilePerms> {
    FilePerms::LETTERS
        .into_iter()
        .map(|(_, bit)| bit)
        .filter(move |bit| perms.contains(*bit))
}

/// A finding of `lint` on `rule`, with its span, label and include chain.
fn rule_finding(lint: &Lint, rule: &FileRule, message: String, label: &str) -> Diagnostic {
    lint.diagnostic(message)
        .with_primary(rule.origin.span, label)
        .with_include_chain(rule.origin.include_chain.clone())
}

/// Whether every include of the profile was found: lints that conclude
/// from the absence of a rule ("nothing denies this", "nothing allows
/// that") stay silent otherwise, since the missing file may hold it.
fn is_complete(profile: &Profile) -> bool {
    profile.unresolved_includes.is_empty()
}

/// Whether some rule of the profile has a `priority=`: the lints that
/// reason about which rule wins (deny over allow) then stay silent, since
/// priorities change who wins per permission.
// FIXME: AppArmor 4 priorities make `shadowed-allow`, `unused-deny` and
// `denied-exec-transition` skip the whole profile instead of reasoning with
// them.
fn has_priorities(profile: &crate::model::Profile) -> bool {
    profile
        .file_rules
        .iter()
        .any(|rule| rule.qualifiers.priority != 0)
}

/// Whether deny rules of the profile deny each of `perms`, in each half
/// `rule` applies to, on every path of `rule`'s pattern. `None` when an
/// automaton cannot be built.
///
/// Only the deny rules that can meet the pattern (their literal prefixes
/// agree) take part: their own small automaton is built, not the whole
/// profile's.
fn denied_everywhere(context: &LintContext, rule: &FileRule, perms: FilePerms) -> Option<bool> {
    let profile = context.profile;
    let candidates: Vec<usize> = profile
        .file_rules
        .iter()
        .enumerate()
        .filter(|(_, deny)| !grants(deny) && path_perms(deny).0 & perms.0 != 0)
        .filter(|(_, deny)| prefixes_agree(&deny.pattern, &rule.pattern))
        .map(|(index, _)| index)
        .collect();
    if candidates.is_empty() {
        return Some(false);
    }
    let pattern = context.pattern(&rule.pattern)?;
    for &half in halves(rule) {
        for perm in each_perm(perms) {
            let denied = context.denied_by(&candidates, perm, half)?;
            if crate::lint::context::leaves_out(&pattern, &denied) {
                return Some(false);
            }
        }
    }
    Some(true)
}

/// Whether some allow rule grants one of `perms`, in a half the deny rule
/// `deny` applies to, on some path of `deny`'s pattern.
fn granted_somewhere(context: &LintContext, deny: &FileRule, perms: FilePerms) -> Option<bool> {
    let pattern = context.pattern(&deny.pattern)?;
    let overlaps = |allow: &&FileRule| {
        let halves_meet = halves(allow).iter().any(|half| halves(deny).contains(half));
        grants(allow) && halves_meet && path_perms(allow).0 & perms.0 != 0
    };
    for allow in context.profile.file_rules.iter().filter(overlaps) {
        if !prefixes_agree(&allow.pattern, &deny.pattern) {
            continue;
        }
        let granted = context.pattern(&allow.pattern)?;
        if !PathQuery::new()
            .with_kept(&pattern, true)
            .with_kept(&granted, true)
            .is_empty()
        {
            return Some(true);
        }
    }
    Some(false)
}

/// Up to `count` example paths of `set`, for a finding about `rule`: when
/// `rule` is a deny rule, paths of `set` the profile still allows the
/// rule's first permission first, and whether they are such.
fn left_allowed(
    context: &LintContext,
    rule: &FileRule,
    set: &crate::compile::Dfa<bool>,
    count: usize,
) -> (Vec<String>, Option<FilePerms>) {
    let perm = each_perm(path_perms(rule).minus(FilePerms::LINK)).next();
    let allowed = perm.filter(|_| !grants(rule)).and_then(|perm| {
        context.region(crate::lint::context::Region::Allowed, perm, halves(rule)[0])
    });
    if let (Some(perm), Some(allowed)) = (perm, allowed) {
        let found = PathQuery::new()
            .with(set, true)
            .with_kept(&allowed, true)
            .examples(count);
        if !found.is_empty() {
            return (found, Some(perm));
        }
    }
    (crate::lint::examples::examples(set, count), None)
}

/// A quick necessary condition for two patterns to share a path: their
/// literal beginnings (before any wildcard, runs of `/` collapsed) are
/// prefixes of one another.
fn prefixes_agree(left: &str, right: &str) -> bool {
    literal_prefix(left)
        .zip(literal_prefix(right))
        .all(|(a, b)| a == b)
}

/// The bytes of a pattern before its first wildcard, runs of `/` as one.
fn literal_prefix(pattern: &str) -> impl Iterator<Item = u8> + '_ {
    let end = pattern
        .find(['*', '?', '[', '{', '\\'])
        .unwrap_or(pattern.len());
    let mut previous = 0;
    pattern.as_bytes()[..end]
        .iter()
        .copied()
        .filter(move |&byte| {
            let repeated = byte == b'/' && previous == b'/';
            previous = byte;
            !repeated
        })
}

/// Above this many file rules, the lints that compare rules in pairs skip
/// the profile (and log it) rather than spend quadratic time.
const MAX_RULES_FOR_PAIRS: usize = 5_000;

/// Whether the profile is small enough for pairwise lints; logs when not.
fn pairs_are_affordable(lint: &Lint, profile: &Profile) -> bool {
    let count = profile.file_rules.len();
    let affordable = count <= MAX_RULES_FOR_PAIRS;
    if !affordable {
        log::info!(
            "{} skipped on `{}`: {count} file rules, more than {MAX_RULES_FOR_PAIRS}",
            lint.code,
            profile.name
        );
    }
    affordable
}

/// A path of `pattern` where some permission of `perms` holds in some half
/// of `halves` in `region`, with that permission.
fn some_path_in(
    context: &LintContext,
    pattern: &crate::lint::context::PathSet,
    region: crate::lint::context::Region,
    perms: FilePerms,
    halves: &[Half],
) -> Option<(String, FilePerms)> {
    for &half in halves {
        for perm in each_perm(perms) {
            let set = context.region(region, perm, half)?;
            let query = PathQuery::new()
                .with_kept(pattern, true)
                .with_kept(&set, true);
            if let Some(path) = query.examples(1).pop() {
                return Some((path, perm));
            }
        }
    }
    None
}

#[cfg(test)]
pub(crate) mod tests {
    use crate::diagnostic::Diagnostic;
    use crate::lint::{Check, Lint, LintContext};
    use crate::resolve;

    /// A profile `test` holding `rules`, one per line, each given without
    /// its trailing comma (which may be followed by a comment).
    pub fn profile_text(rules: &[&str]) -> String {
        let mut text = String::from("profile test {\n");
        for rule in rules {
            let (rule, comment) = rule.split_once(" #").unwrap_or((rule, ""));
            let comment = if comment.is_empty() {
                String::new()
            } else {
                format!("  #{comment}")
            };
            text.push_str(&format!("  {rule},{comment}\n"));
        }
        text + "}\n"
    }

    /// The findings of `lint` on the profiles of `text`.
    pub fn lint_text(lint: &Lint, text: &str) -> Vec<Diagnostic> {
        let resolved = resolve::load_test_text(text);
        assert!(!resolved.has_errors(), "{:#?}", resolved.diagnostics);
        let Check::Profile(check) = lint.check else {
            panic!("{} is not a profile lint", lint.code);
        };
        let mut diagnostics = Vec::new();
        for profile in &resolved.profiles {
            check(
                lint,
                &LintContext::new(profile, &resolved.sources),
                &mut diagnostics,
            );
        }
        diagnostics
    }
}
