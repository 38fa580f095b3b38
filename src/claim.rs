//! What the trailing comment of a deny rule claims the rule denies, for
//! the few ways of describing a deny rule that have a checkable form.
//!
//! A comment of such a form is parsed into a [`Claim`]: patterns for the
//! paths the comment talks about, the paths it says are denied and those
//! it says are not. [`Claim::claimed_set`] turns them into an automaton
//! with `compile`, over whatever set of paths the caller compares on. The
//! lint L011 (`comment-claim`) and `diff` both read claims; this module
//! uses only `model`, `source` and `compile`, so neither depends on the
//! other. Comments of any other form are not read.

use crate::compile::{Dfa, Limits};
use crate::model::{Decision, FileRule, Profile};
use crate::source::SourceMap;

/// A set of paths a comment describes, as patterns.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Claim {
    /// The paths the comment talks about: a comparison looks only here.
    pub scope: String,
    /// The paths it says are denied, before `excluded` is taken out.
    pub denied: String,
    /// The paths it says are not denied, each with all below it.
    pub excluded: Vec<String>,
}

impl Claim {
    /// The paths the comment says are denied: `denied` without the
    /// excluded names and what lies below them. `set` gives the paths a
    /// pattern matches, restricted to the paths the caller compares on;
    /// `None` when a pattern does not compile or an automaton grows past
    /// `limits`.
    pub fn claimed_set(
        &self,
        set: impl Fn(&str) -> Option<Dfa<bool>>,
        limits: &Limits,
    ) -> Option<Dfa<bool>> {
        let mut claimed = set(&self.denied)?;
        for name in &self.excluded {
            let excluded = set(&format!("{name}{{,/**}}"))?;
            let rest = claimed.product(&excluded, limits, |a, b| *a && !*b).ok()?;
            claimed = rest.minimize();
        }
        Some(claimed)
    }
}

/// The claim of a comment of one of the known forms:
///
/// - "deny ... directly in D": the names in `D`, `D/*`;
/// - "deny everything except X and Y in D": every path below `D` except
///   `D/X` and `D/Y` and what lies below them;
/// - "deny D except D/X": every path below `D` except `D/X` and what lies
///   below it.
pub fn parse(comment: &str) -> Option<Claim> {
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

/// The comment after `rule` on the line where the rule ends, without the
/// `#`; `None` when there is none or it is empty.
pub fn trailing_comment<'s>(sources: &'s SourceMap, rule: &FileRule) -> Option<&'s str> {
    let span = rule.origin.span;
    let file = sources.get(span.file);
    let line = file.line_text(file.line_index(span.end));
    let line_start = line.as_ptr() as usize - file.text.as_ptr() as usize;
    let after = line.get((span.end as usize).saturating_sub(line_start)..)?;
    let comment = after.trim_start().strip_prefix('#')?;
    let comment = comment.split('#').next().unwrap_or("");
    Some(comment.trim()).filter(|comment| !comment.is_empty())
}

/// A deny rule whose trailing comment makes a claim.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RuleClaim {
    /// The rule's index in `profile.file_rules`.
    pub rule: usize,
    /// The comment as written, without the `#`.
    pub comment: String,
    pub claim: Claim,
}

/// The deny rules of `profile` whose trailing comment (in `sources`) has
/// a checkable claim, in rule order.
pub fn rule_claims(profile: &Profile, sources: &SourceMap) -> Vec<RuleClaim> {
    let denies = profile.file_rules.iter().enumerate().filter(|(_, rule)| {
        !matches!(rule.qualifiers.decision, Decision::Allow | Decision::Prompt)
    });
    denies
        .filter_map(|(index, rule)| {
            let comment = trailing_comment(sources, rule)?;
            Some(RuleClaim {
                rule: index,
                comment: comment.to_string(),
                claim: parse(comment)?,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

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
}
