//! Lints: checks of a resolved profile that find risky but valid policy.
//!
//! Every lint is a [`Lint`] value declared with
//! [`declare_lint!`](crate::declare_lint), whose doc comment is its user
//! documentation (printed by `aaprove rule CODE`). The [`registry`] lists
//! them all; [`run_all`] runs every profile lint on a profile and its
//! children, each seeing a [`LintContext`] (the profile, its source text and
//! its automata, built once and shared), and [`suppression`] then removes
//! the findings that a `# aaprove: allow(CODE) reason: ...` comment allows.
//!
//! Lints that ask what a pattern or a profile matches do it with the
//! automata of `compile`: [`context`] builds and keeps them per profile,
//! [`examples`] answers conjunctions of path sets ("in this rule, still
//! writable, not denied") with example paths, real ones from the `/proc`
//! inventories first. Lints about how a pattern is written read its pieces
//! with [`glob_syntax`].
//!
//! Severity: `error` only for rules that are surely wrong (no reading of
//! the text gives what it matches); `warning` for likely mistakes; `note`
//! for what is often deliberate (a deny that only quiets the log).
//!
//! Codes are stable: `L0xx` for lints on the policy, `L9xx` for lints on the
//! suppression comments themselves. A code or name is never reused.

pub mod context;
pub mod examples;
pub mod glob_syntax;
pub mod registry;
pub mod rules;
pub mod suppression;

use crate::diagnostic::{Diagnostic, Severity};

pub use context::LintContext;
pub use context::PatternSets;
pub use registry::{all, find, run_all, run_all_sharing};
pub use suppression::apply_suppressions;

/// How a lint is run.
#[derive(Clone, Copy, Debug)]
pub enum Check {
    /// A check of one profile (not its children: [`run_all`] recurses).
    Profile(fn(&Lint, &LintContext, &mut Vec<Diagnostic>)),
    /// A lint raised by the suppression pass, not by a profile check.
    Suppression,
}

/// One lint: its stable identity, its default severity, its documentation
/// and its check.
#[derive(Debug)]
pub struct Lint {
    /// `L` and three digits, unique in the registry and never reused.
    pub code: &'static str,
    /// Kebab-case name, unique in the registry; accepted wherever a code is.
    pub name: &'static str,
    pub severity: Severity,
    /// The lint's doc comment as written: Markdown, each line keeping the
    /// one space that follows `///`.
    pub raw_doc: &'static str,
    pub check: Check,
}

/// The headings every lint's documentation has, in this order.
pub const DOC_SECTIONS: [&str; 5] = [
    "## What it does",
    "## Why it matters",
    "## Example",
    "## Use instead",
    "## Known problems",
];

impl Lint {
    /// A diagnostic of this lint with its code, name and default severity.
    pub fn diagnostic(&self, message: impl Into<String>) -> Diagnostic {
        Diagnostic::new(self.severity, self.code, self.name, message)
    }

    /// The user documentation: the doc comment without its `///` indent.
    pub fn doc(&self) -> String {
        let mut doc = String::new();
        for line in self.raw_doc.lines() {
            doc.push_str(line.strip_prefix(' ').unwrap_or(line));
            doc.push('\n');
        }
        doc
    }

    /// The one-sentence summary: the doc's first paragraph, on one line.
    pub fn summary(&self) -> String {
        let lines = self.raw_doc.lines().map(str::trim);
        let mut paragraph = lines
            .skip_while(|line| line.is_empty() || line.starts_with('#'))
            .take_while(|line| !line.is_empty() && !line.starts_with('#'));
        let first = paragraph.next().unwrap_or("").to_string();
        paragraph.fold(first, |summary, line| summary + " " + line)
    }
}

/// Declares a lint whose doc comment becomes its user documentation.
///
/// ```text
/// declare_lint! {
///     /// ## What it does
///     /// ...
///     pub static MY_LINT = Lint {
///         code: "L001", name: "my-lint", severity: Severity::Warning,
///         check: Check::Profile(check_my_lint),
///     };
/// }
/// ```
#[macro_export]
macro_rules! declare_lint {
    (
        $(#[doc = $doc:literal])*
        $vis:vis static $ident:ident = Lint {
            code: $code:literal,
            name: $name:literal,
            severity: $severity:expr,
            check: $check:expr $(,)?
        };
    ) => {
        $(#[doc = $doc])*
        $vis static $ident: $crate::lint::Lint = $crate::lint::Lint {
            code: $code,
            name: $name,
            severity: $severity,
            raw_doc: concat!($($doc, "\n"),*),
            check: $check,
        };
    };
}
