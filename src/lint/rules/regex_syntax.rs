//! L013 `regex-syntax`: regular expression syntax that AppArmor reads as
//! literal bytes.

use crate::declare_lint;
use crate::diagnostic::{Diagnostic, Severity};
use crate::lint::glob_syntax::{Piece, Token, tokens};
use crate::lint::{Check, Lint, LintContext};

declare_lint! {
    /// Reports regular expression syntax in a pattern, where AppArmor reads
    /// it as literal bytes.
    ///
    /// ## What it does
    /// Flags a `+` right after a class, a wildcard or a `}` (as in
    /// `[0-9]+`), a `|` (as in `(a|b)`) and a trailing `$`.
    ///
    /// ## Why it matters
    /// AppArmor patterns are globs, not regular expressions. In a glob,
    /// `+`, `|`, `(`, `)`, `^` and `$` are ordinary bytes: `/dev/tty[0-9]+`
    /// matches `/dev/tty1+` and not `/dev/tty12`, and `/etc/(a|b)` matches
    /// only a file named `(a|b)`. The rule looks right and quietly matches
    /// nothing the program uses.
    ///
    /// ## Example
    /// ```text
    /// /dev/tty[0-9]+ rw,
    /// /etc/(passwd|group) r,
    /// ```
    ///
    /// ## Use instead
    /// ```text
    /// /dev/tty[0-9]* rw,
    /// /etc/{passwd,group} r,
    /// ```
    ///
    /// ## Known problems
    /// A file whose name really holds one of these bytes, such as
    /// `/usr/lib/libstdc++.so`, is not reported (the `+` follows a
    /// letter), but `/usr/lib/*+` is, although it may be meant.
    pub static REGEX_SYNTAX = Lint {
        code: "L013",
        name: "regex-syntax",
        severity: Severity::Warning,
        check: Check::Profile(check),
    };
}

fn check(lint: &Lint, context: &LintContext, diagnostics: &mut Vec<Diagnostic>) {
    for rule in &context.profile.file_rules {
        let Some(tokens) = tokens(&rule.pattern) else {
            continue;
        };
        if let Some((form, meaning, help)) = regex_form(&tokens) {
            let message = format!("`{form}` in `{}` is a literal byte here", rule.pattern);
            let finding = super::rule_finding(lint, rule, message, "pattern with regex syntax");
            diagnostics.push(finding.with_note(meaning).with_help(help));
        }
    }
}

/// The first regex form of a pattern: the byte, what it does here, and
/// what to write instead.
fn regex_form(tokens: &[Token]) -> Option<(&'static str, &'static str, &'static str)> {
    let plus = tokens.windows(2).any(|pair| {
        let repeatable = matches!(
            pair[0].piece,
            Piece::Class { .. } | Piece::Star { .. } | Piece::Question | Piece::Close
        );
        repeatable && pair[1].piece == Piece::Byte(b'+')
    });
    if plus {
        return Some((
            "+",
            "AppArmor has no \"one or more\": `[0-9]+` is one digit and then a `+`",
            "write `*` after the class, or list the forms in `{...}`",
        ));
    }
    if tokens.iter().any(|token| token.piece == Piece::Byte(b'|')) {
        return Some((
            "|",
            "`(a|b)` matches the bytes `(`, `a`, `|`, `b`, `)`",
            "write alternatives as `{a,b}`",
        ));
    }
    // A leading `^` cannot occur: file rule patterns start with `/`.
    let last = tokens.last().map(|token| &token.piece);
    (last == Some(&Piece::Byte(b'$'))).then_some((
        "$",
        "a pattern always matches the whole path; `$` is a byte of it",
        "remove the anchor",
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_regex_forms() {
        let cases: &[(&str, Option<&str>)] = &[
            ("/dev/tty[0-9]+", Some("+")),
            ("/a/{b,c}+", Some("+")),
            ("/usr/lib/libstdc++.so*", None),
            ("/etc/(passwd|group)", Some("|")),
            ("/etc/x$", Some("$")),
            ("/etc/[$^]x", None),
            ("/etc/{a,b}*", None),
        ];
        for (pattern, expected) in cases {
            let found = regex_form(&tokens(pattern).unwrap()).map(|(form, _, _)| form);
            assert_eq!(found, *expected, "{pattern}");
        }
    }
}
