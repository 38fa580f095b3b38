//! Which alternatives of a pattern's `{...}` groups match a path.
//!
//! `explain` uses this to point into a rule written with alternations or
//! multi-valued variables: for `/usr/lib{,32,64}/locale/**` and the path
//! `/usr/lib64/locale/x`, the group's third alternative `64` matched. An
//! alternative matches when the pattern, with its group narrowed to that
//! alternative, still matches the path. The check simulates the NFA on the
//! one path, so it costs a few pattern-sized passes and no DFA.

use std::ops::Range;

use crate::compile::nfa::NfaBuilder;
use crate::compile::pattern::{Ir, Pattern};
use crate::compile::{CompileError, Limits};

/// Alternatives tried at most for one path; beyond, the answer is cut.
const MAX_ALTERNATIVES: usize = 4096;

/// One alternative of one group that matches the path.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AlternativeMatch {
    /// Index into [`Pattern::groups`].
    pub group: usize,
    /// Which alternative of the group, from 0.
    pub alternative: usize,
    /// The alternative's byte range in the pattern's text.
    pub text: Range<usize>,
}

/// The alternatives of `pattern`'s groups that match `path`, in group
/// order; empty when the pattern does not match at all. Groups with more
/// than one matching alternative list them all (the path is ambiguous).
pub fn matching_alternatives(
    pattern: &Pattern,
    path: &[u8],
) -> Result<Vec<AlternativeMatch>, CompileError> {
    let mut found = Vec::new();
    if !matches(&pattern.ir, path)? {
        return Ok(found);
    }
    let mut tried = 0;
    for (group, span) in pattern.groups.iter().enumerate() {
        for alternative in 0..span.braces.len() - 1 {
            tried += 1;
            if tried > MAX_ALTERNATIVES {
                return Ok(found);
            }
            if matches(&narrow(&pattern.ir, group, alternative), path)? {
                found.push(AlternativeMatch {
                    group,
                    alternative,
                    text: span.alternative(alternative),
                });
            }
        }
    }
    Ok(found)
}

fn matches(ir: &Ir, path: &[u8]) -> Result<bool, CompileError> {
    let mut builder = NfaBuilder::new(&Limits::default());
    builder.add(ir, 0)?;
    Ok(!builder.finish()?.run(path).is_empty())
}

/// `ir` with group `group` reduced to its alternative `alternative`.
fn narrow(ir: &Ir, group: usize, alternative: usize) -> Ir {
    let recurse = |items: &[Ir]| {
        items
            .iter()
            .map(|i| narrow(i, group, alternative))
            .collect()
    };
    match ir {
        Ir::Group(index, items) if *index == group => items[alternative].clone(),
        Ir::Group(index, items) => Ir::Group(*index, recurse(items)),
        Ir::Concat(items) => Ir::Concat(recurse(items)),
        Ir::Alternation(items) => Ir::Alternation(recurse(items)),
        Ir::Star(body) => Ir::Star(Box::new(narrow(body, group, alternative))),
        Ir::Plus(body) => Ir::Plus(Box::new(narrow(body, group, alternative))),
        Ir::Empty | Ir::Byte(_) | Ir::Class(_) => ir.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compile::pattern;

    fn alternatives(text: &str, path: &str) -> Vec<String> {
        let pattern = pattern::parse(text, &Limits::default()).unwrap();
        let found = matching_alternatives(&pattern, path.as_bytes()).unwrap();
        found
            .iter()
            .map(|m| text[m.text.clone()].to_string())
            .collect()
    }

    #[test]
    fn names_the_matching_alternatives() {
        let cases: &[(&str, &str, &[&str])] = &[
            ("/usr/lib{,32,64}/locale/**", "/usr/lib64/locale/x", &["64"]),
            ("/usr/lib{,32,64}/locale/**", "/usr/lib/locale/x", &[""]),
            ("/{a,b{c,d}}/x", "/bd/x", &["b{c,d}", "d"]),
            ("/{a,b}//{c,d}", "/b/c", &["b", "c"]),
            ("/{a*,ab}", "/ab", &["a*", "ab"]),
            ("/{a,b}", "/c", &[]),
        ];
        for (text, path, expected) in cases {
            assert_eq!(alternatives(text, path), *expected, "{text} on {path}");
        }
    }
}
