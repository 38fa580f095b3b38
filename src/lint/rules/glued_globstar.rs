//! L006 `glued-globstar`: an allow whose `**` follows part of a name, so it
//! reaches into every directory whose name starts the same way.

use crate::declare_lint;
use crate::diagnostic::{Diagnostic, Severity};
use crate::lint::context::{grants, is_own, minus};
use crate::lint::examples::{examples, listed};
use crate::lint::glob_syntax::{Piece, Token, tokens};
use crate::lint::{Check, Lint, LintContext};
use crate::model::FileRule;

declare_lint! {
    /// Reports allow rules whose `**` is glued to the start of a name, as
    /// in `/usr/lib/app**`.
    ///
    /// ## What it does
    /// Flags an allow rule written in the profile itself whose pattern has
    /// a `**` right after a name byte or class (not after `/`), when the
    /// pattern reaches paths inside directories other than the one the
    /// name spells: `/usr/lib/app**` matches `/usr/lib/app-old/x` and
    /// `/usr/lib/apparmor/x`. The finding gives such paths.
    ///
    /// ## Why it matters
    /// `**` crosses `/`, so a name prefix followed by `**` grants the whole
    /// tree of every sibling whose name starts with that prefix. What was
    /// meant is usually `/usr/lib/app/**` (the directory's tree) or
    /// `/usr/lib/app*` (files named so); the glued form grants both and
    /// more, which for write or exec permissions widens the profile
    /// silently.
    ///
    /// ## Example
    /// ```text
    /// /usr/lib/app** r,
    /// ```
    ///
    /// ## Use instead
    /// ```text
    /// /usr/lib/app{,/**} r,
    /// ```
    ///
    /// ## Known problems
    /// It is sometimes meant, for versioned directories such as
    /// `/usr/lib/python3**`; allow it with a suppression comment. Denies
    /// are not reported, since a deny reaching too far only refuses more.
    pub static GLUED_GLOBSTAR = Lint {
        code: "L006",
        name: "glued-globstar",
        severity: Severity::Note,
        check: Check::Profile(check),
    };
}

const EXAMPLES: usize = 2;

fn check(lint: &Lint, context: &LintContext, diagnostics: &mut Vec<Diagnostic>) {
    for rule in &context.profile.file_rules {
        if !grants(rule) || !is_own(rule) {
            continue;
        }
        let Some(tokens) = tokens(&rule.pattern) else {
            continue;
        };
        let star = glued_globstar(&tokens);
        if let Some(finding) = star.and_then(|star| reach(lint, context, rule, star)) {
            diagnostics.push(finding);
        }
    }
}

/// The first `**` that follows a name byte or class, as a token.
fn glued_globstar(tokens: &[Token]) -> Option<&Token> {
    tokens.windows(2).find_map(|pair| {
        let glued = matches!(pair[0].piece, Piece::Byte(byte) if byte != b'/')
            || matches!(pair[0].piece, Piece::Class { .. } | Piece::Question);
        (glued && pair[1].piece == Piece::Star { double: true }).then_some(&pair[1])
    })
}

/// The paths of the rule inside directories whose names only start with
/// the glued name: neither the names themselves (`app*`) nor the tree of
/// the directory the name spells (`app/**`).
fn reach(lint: &Lint, context: &LintContext, rule: &FileRule, star: &Token) -> Option<Diagnostic> {
    let (before, after) = (
        &rule.pattern[..star.range.start],
        &rule.pattern[star.range.end..],
    );
    let names = context.pattern(&format!("{before}*{after}"))?;
    let tree = context.pattern(&format!("{before}/**{after}"))?;
    let actual = context.pattern(&rule.pattern)?;
    let beyond = minus(
        &minus(&actual, &names, &context.limits)?,
        &tree,
        &context.limits,
    )?;
    let found = examples(&beyond, EXAMPLES);
    if found.is_empty() {
        return None;
    }
    let message = format!(
        "`**` in `{}` reaches into sibling directories",
        rule.pattern
    );
    let note = format!("it also matches {}", listed(&found));
    let help = format!("write `{before}{{,/**}}{after}` for the directory and its tree");
    let finding = super::rule_finding(lint, rule, message, "`**` glued to a name");
    Some(finding.with_note(note).with_help(help))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lint::rules::tests::{lint_text, profile_text};

    #[test]
    fn reports_glued_globstars_of_allows() {
        let cases: &[(&str, usize)] = &[
            ("/usr/lib/app** r", 1),
            ("/usr/lib/app/** r", 0),
            ("/usr/lib/{app,bin}/** r", 0),
            ("deny /usr/lib/app** r", 0),
            ("/usr/lib/app**.so r", 1),
            ("/proc/[0-9]** r", 1),
        ];
        for (rule, expected) in cases {
            let found = lint_text(&GLUED_GLOBSTAR, &profile_text(&[rule]));
            assert_eq!(found.len(), *expected, "{rule}: {found:#?}");
        }
    }
}
