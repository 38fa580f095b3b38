//! L012 `wildcard-in-class`: `*` or `?` written inside `[...]`.

use crate::declare_lint;
use crate::diagnostic::{Diagnostic, Severity};
use crate::lint::examples::{examples, listed};
use crate::lint::glob_syntax::{Piece, tokens};
use crate::lint::{Check, Lint, LintContext};
use crate::model::FileRule;

declare_lint! {
    /// Reports `*` or `?` inside a character class.
    ///
    /// ## What it does
    /// Flags a pattern with a class such as `[*]`, `[?]` or `[a-z*]` in
    /// which `*` or `?` is written without a backslash.
    ///
    /// ## Why it matters
    /// `apparmor_parser` rewrites `*` and `?` into its own regex text before
    /// it reads classes, even inside `[...]`. So `[*]` does not match a `*`:
    /// it becomes a class of `[`, `^`, `/` and NUL, repeated, followed by a
    /// literal `]`, and `/tmp/[*]` matches `/tmp/[^]` and `/tmp/]` but not
    /// `/tmp/*`. Whatever the author meant (a literal `*` as in a shell, or
    /// any byte), the rule does something else, so this is an error.
    ///
    /// ## Example
    /// ```text
    /// /tmp/[*] r,
    /// ```
    ///
    /// ## Use instead
    /// ```text
    /// /tmp/\* r,
    /// ```
    /// for the file named `*`, or `/tmp/* r,` for any file.
    ///
    /// ## Known problems
    /// None known: no use of this form means what it looks like.
    pub static WILDCARD_IN_CLASS = Lint {
        code: "L012",
        name: "wildcard-in-class",
        severity: Severity::Error,
        check: Check::Profile(check),
    };
}

fn check(lint: &Lint, context: &LintContext, diagnostics: &mut Vec<Diagnostic>) {
    for rule in &context.profile.file_rules {
        if let Some(class) = class_with_wildcard(&rule.pattern) {
            diagnostics.push(finding(lint, context, rule, &class));
        }
    }
}

/// The first class of `pattern` holding an unescaped `*` or `?`.
fn class_with_wildcard(pattern: &str) -> Option<String> {
    tokens(pattern)?.into_iter().find_map(|token| {
        let Piece::Class { body, .. } = &token.piece else {
            return None;
        };
        let body = &pattern.as_bytes()[body.clone()];
        let mut escaped = false;
        let mut wildcard = false;
        for &byte in body {
            wildcard |= !escaped && (byte == b'*' || byte == b'?');
            escaped = !escaped && byte == b'\\';
        }
        wildcard.then(|| pattern[token.range].to_string())
    })
}

fn finding(lint: &Lint, context: &LintContext, rule: &FileRule, class: &str) -> Diagnostic {
    let message = format!("`{class}` does not match a `*` or `?`, nor any byte");
    let label = "wildcard inside a class";
    let mut diagnostic = super::rule_finding(lint, rule, message, label).with_note(
        "the compiler rewrites `*` and `?` before it reads the class, \
         so the class holds `[`, `^`, `/` and NUL and is followed by a literal `]`",
    );
    if let Some(set) = context.pattern(&rule.pattern) {
        let matched = examples(&set, 2);
        if !matched.is_empty() {
            let note = format!("the rule matches {}", listed(&matched));
            diagnostic = diagnostic.with_note(note);
        }
    }
    diagnostic.with_help("write `\\*` or `\\?` for the byte itself, outside any class")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_unescaped_wildcards_in_classes() {
        let cases: &[(&str, Option<&str>)] = &[
            ("/tmp/[*]", Some("[*]")),
            ("/tmp/[a-z?]x", Some("[a-z?]")),
            ("/tmp/[^*]", Some("[^*]")),
            ("/tmp/[\\*]", None),
            ("/tmp/*[ab]?", None),
        ];
        for (pattern, expected) in cases {
            assert_eq!(
                class_with_wildcard(pattern).as_deref(),
                *expected,
                "{pattern}"
            );
        }
    }
}
