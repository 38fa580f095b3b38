//! L003 `negated-class-prefix`: `[^n][^s]*` read as "not starting with
//! `ns`".
//!
//! The check compares, with automata, the rule's pattern with the reading
//! its author most likely meant: the same pattern where the run of negated
//! classes and its star stand for "every name of the directory except
//! those starting with the word", other alternatives of the same `{...}`
//! kept. Both differences are reported with example paths.

use crate::declare_lint;
use crate::diagnostic::{Diagnostic, Severity};
use crate::lint::context::{PathSet, minus};
use crate::lint::examples::{Paths, examples, listed};
use crate::lint::glob_syntax::{Piece, Token, class_members, tokens};
use crate::lint::{Check, Lint, LintContext};
use crate::model::FileRule;

declare_lint! {
    /// Reports a run of negated classes used as "every name except those
    /// starting with this word".
    ///
    /// ## What it does
    /// Flags a pattern component such as `[^n][^s]*` or `[^s][^h][^m]**`,
    /// made of two or more negated classes of one byte each and a star, when
    /// what it matches differs from "every name in the directory that does
    /// not start with `ns`" (or `shm`). The finding gives example paths both
    /// ways: names the rule leaves out although they do not start with the
    /// word, and paths it matches that the reading does not include.
    ///
    /// ## Why it matters
    /// Each class reads one byte on its own, so `[^n][^s]*` matches only
    /// names whose first byte is not `n` *and* whose second byte is not `s`:
    /// `osrelease` (second byte `s`) and `nmi_watchdog` (first byte `n`)
    /// are not matched. In a deny rule meant to protect everything but one
    /// file, those names stay writable. A class without `/` also matches
    /// `/`, so the run reaches into subdirectories the star would not.
    ///
    /// ## Example
    /// ```text
    /// # deny everything except ns* in /proc/sys/kernel/
    /// deny /proc/sys/kernel/{?,??,[^n][^s]*} w,
    /// ```
    ///
    /// ## Use instead
    /// ```text
    /// deny /proc/sys/kernel/{[^n/]*,n,n[^s/]*} w,
    /// ```
    /// Each alternative names one way to differ from the word: a different
    /// first byte, a proper prefix, or a different byte after a prefix.
    ///
    /// ## Known problems
    /// Only classes that exclude a single byte (besides `/`) are read as
    /// letters of a word; runs such as `[^1-9][^0-9]` usually mean "not a
    /// number" and are left alone. The run must be a whole path component
    /// or a whole alternative of `{...}`.
    pub static NEGATED_CLASS_PREFIX = Lint {
        code: "L003",
        name: "negated-class-prefix",
        severity: Severity::Warning,
        check: Check::Profile(check),
    };
}

/// How many example paths a note lists.
const EXAMPLES: usize = 4;

/// A run of single-byte negated classes and the star after it.
#[derive(Debug, PartialEq, Eq)]
struct Trap {
    /// Byte range of the run and its star in the pattern.
    start: usize,
    end: usize,
    /// The byte each class excludes, in order.
    word: Vec<u8>,
    double_star: bool,
    /// True when the run is a whole alternative of a `{...}` group.
    alternative: bool,
}

fn check(lint: &Lint, context: &LintContext, diagnostics: &mut Vec<Diagnostic>) {
    for rule in &context.profile.file_rules {
        let Some(tokens) = tokens(&rule.pattern) else {
            continue;
        };
        for trap in traps(&rule.pattern, &tokens) {
            if let Some(finding) = analyse(lint, context, rule, &trap) {
                diagnostics.push(finding);
            }
        }
    }
}

/// Every trap of a pattern that is a whole component (outside groups) or
/// a whole alternative.
fn traps(pattern: &str, tokens: &[Token]) -> Vec<Trap> {
    let mut traps = Vec::new();
    let mut depth = 0;
    let mut index = 0;
    while index < tokens.len() {
        match tokens[index].piece {
            Piece::Open => depth += 1,
            Piece::Close => depth -= 1,
            _ => {}
        }
        let starts = index == 0 || opens_component(&tokens[index - 1].piece);
        match trap_at(pattern, tokens, index).filter(|_| starts) {
            Some((trap, next)) if depth == 0 || trap.alternative => {
                traps.push(trap);
                index = next;
            }
            _ => index += 1,
        }
    }
    traps
}

fn opens_component(piece: &Piece) -> bool {
    matches!(piece, Piece::Byte(b'/') | Piece::Open | Piece::Comma)
}

/// The trap starting at `tokens[index]`, and the index after it.
fn trap_at(pattern: &str, tokens: &[Token], index: usize) -> Option<(Trap, usize)> {
    let mut word = Vec::new();
    let mut at = index;
    while let Some(byte) = tokens
        .get(at)
        .and_then(|t| excluded_byte(pattern, &t.piece))
    {
        word.push(byte);
        at += 1;
    }
    let Piece::Star { double } = tokens.get(at)?.piece else {
        return None;
    };
    let after = tokens.get(at + 1).map(|token| &token.piece);
    let closes = matches!(
        after,
        None | Some(Piece::Byte(b'/') | Piece::Comma | Piece::Close)
    );
    if word.len() < 2 || !closes {
        return None;
    }
    let before = index.checked_sub(1).map(|i| &tokens[i].piece);
    let alternative = matches!(before, Some(Piece::Open | Piece::Comma))
        && matches!(after, Some(Piece::Comma | Piece::Close));
    let trap = Trap {
        start: tokens[index].range.start,
        end: tokens[at].range.end,
        word,
        double_star: double,
        alternative,
    };
    Some((trap, at + 1))
}

/// The one byte (besides `/`) a negated class excludes, if it is one.
fn excluded_byte(pattern: &str, piece: &Piece) -> Option<u8> {
    let Piece::Class {
        negated: true,
        body,
    } = piece
    else {
        return None;
    };
    let mut members = class_members(&pattern[body.clone()])?;
    members.retain(|&byte| byte != b'/');
    members.dedup();
    match members.as_slice() {
        [byte] if byte.is_ascii_graphic() => Some(*byte),
        _ => None,
    }
}

/// The pattern with the trap's text replaced by `with`.
fn replaced(pattern: &str, trap: &Trap, with: &str) -> String {
    format!("{}{with}{}", &pattern[..trap.start], &pattern[trap.end..])
}

fn star(trap: &Trap) -> &'static str {
    if trap.double_star { "**" } else { "*" }
}

/// The word as pattern text, its special bytes escaped. (Escaping every
/// byte would not do: `\n` is a newline to the compiler.)
fn escaped(word: &[u8]) -> String {
    let escape = |byte: u8| {
        let special = b"*?[]{},\\".contains(&byte);
        format!("{}{}", if special { "\\" } else { "" }, byte as char)
    };
    word.iter().map(|&byte| escape(byte)).collect()
}

/// The paths of the intended reading: the other alternatives, and every
/// name of the directory that does not start with the word.
fn intended(context: &LintContext, rule: &FileRule, trap: &Trap) -> Option<(PathSet, PathSet)> {
    let any_name = replaced(&rule.pattern, trap, &format!("?{}", star(trap)));
    let word = format!("{}{}", escaped(&trap.word), star(trap));
    let with_word = replaced(&rule.pattern, trap, &word);
    let not_word = minus(
        &*context.pattern(&any_name)?,
        &*context.pattern(&with_word)?,
        &context.limits,
    )?;
    // A NUL byte is in no canonical path: replacing the run by one drops
    // its alternative, and outside a group leaves no path at all.
    let others = context.pattern(&replaced(&rule.pattern, trap, "\\x00"))?;
    Some((std::rc::Rc::new(Paths::new(not_word)), others))
}

fn analyse(lint: &Lint, context: &LintContext, rule: &FileRule, trap: &Trap) -> Option<Diagnostic> {
    let limits = &context.limits;
    let actual = context.pattern(&rule.pattern)?;
    let (not_word, others) = intended(context, rule, trap)?;
    let missed = minus(&not_word, &actual, limits)?;
    let (left_out, allowed) = super::left_allowed(context, rule, &missed, EXAMPLES);
    let extra = examples(
        &minus(&minus(&actual, &others, limits)?, &not_word, limits)?,
        EXAMPLES,
    );
    if left_out.is_empty() && extra.is_empty() {
        return None;
    }

    let text = &rule.pattern[trap.start..trap.end];
    let word = String::from_utf8_lossy(&trap.word);
    let message = format!("`{text}` does not mean \"every name not starting with `{word}`\"");
    let label = "each negated class reads one byte on its own";
    let mut diagnostic = super::rule_finding(lint, rule, message, label);
    if !left_out.is_empty() {
        let note = format!(
            "it leaves out names that do not start with `{word}`, such as {}{}",
            listed(&left_out),
            still(allowed)
        );
        diagnostic = diagnostic.with_note(note);
    }
    if !extra.is_empty() {
        let note = format!("it also matches {}, outside that reading", listed(&extra));
        diagnostic = diagnostic.with_note(note);
    }
    let help = format!(
        "to match every name not starting with `{word}`, write `{}`",
        suggestion(trap)
    );
    Some(diagnostic.with_help(help))
}

/// The end of a note about paths a deny rule leaves out, when the profile
/// still allows them `perm`.
pub(super) fn still(allowed: Option<crate::model::FilePerms>) -> String {
    allowed.map_or(String::new(), |perm| {
        format!(", which this profile still allows `{}`", perm.letters())
    })
}

/// An alternation matching every name that does not start with the word:
/// for each position, the word's prefix followed by another byte, or the
/// prefix alone.
fn suggestion(trap: &Trap) -> String {
    let word: String = trap.word.iter().map(|&byte| byte as char).collect();
    let star = star(trap);
    let mut alternatives = Vec::new();
    for (index, letter) in word.char_indices() {
        let prefix = &word[..index];
        if !prefix.is_empty() {
            let below = if trap.double_star { "{,/**}" } else { "" };
            alternatives.push(format!("{prefix}{below}"));
        }
        alternatives.push(format!("{prefix}[^{letter}/]{star}"));
    }
    format!("{{{}}}", alternatives.join(","))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lint::rules::tests::{lint_text, profile_text};

    #[test]
    fn finds_runs_that_are_whole_components_or_alternatives() {
        type Found<'a> = Option<(&'a [u8], bool)>;
        let cases: &[(&str, Found)] = &[
            ("/d/{?,??,[^n][^s]*}", Some((b"ns", true))),
            ("/d/[^s][^h][^m]**", Some((b"shm", false))),
            ("/d/[^n/][^s/]*/x", Some((b"ns", false))),
            ("/d/[^n]*", None),
            ("/d/x[^n][^s]*", None),
            ("/d/{x,y[^n][^s]*}", None),
            ("/d/[^1-9][^0-9]*", None),
            ("/d/[^n][^s]", None),
        ];
        for (pattern, expected) in cases {
            let found = traps(pattern, &tokens(pattern).unwrap());
            let found = found.first().map(|t| (t.word.as_slice(), t.alternative));
            assert_eq!(found, *expected, "{pattern}");
        }
    }

    #[test]
    fn reports_both_differences_with_examples() {
        let text = profile_text(&["deny /proc/sys/kernel/{?,??,[^n][^s]*} w"]);
        let found = lint_text(&NEGATED_CLASS_PREFIX, &text);
        assert_eq!(found.len(), 1, "{found:#?}");
        let notes = found[0].notes.join("\n");
        assert!(notes.contains("`/proc/sys/kernel/osrelease`"), "{notes}");
        assert!(
            notes.contains("it also matches `/proc/sys/kernel/a/a`"),
            "{notes}"
        );
    }

    #[test]
    fn suggestion_means_what_the_run_was_read_as() {
        let context_text = profile_text(&["/x r"]);
        let resolved = crate::resolve::load_test_text(&context_text);
        let context = LintContext::new(&resolved.profiles[0], &resolved.sources);
        for pattern in ["/d/[^n][^s]*", "/d/[^s][^h][^m]**"] {
            let trap = traps(pattern, &tokens(pattern).unwrap()).pop().unwrap();
            let fixed = replaced(pattern, &trap, &suggestion(&trap));
            let rule = FileRule {
                pattern: pattern.to_string(),
                ..resolved.profiles[0].file_rules[0].clone()
            };
            let (not_word, _) = intended(&context, &rule, &trap).unwrap();
            let fixed = context.pattern(&fixed).unwrap();
            let leaves_out = crate::lint::context::leaves_out;
            assert!(!leaves_out(&fixed, &not_word), "{pattern}");
            assert!(!leaves_out(&not_word, &fixed), "{pattern}");
        }
    }
}
