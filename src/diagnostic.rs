//! The diagnostic value shared by every layer that reports a problem.
//!
//! Parse errors, resolution errors, semantic errors and lints are all
//! [`Diagnostic`]s. Layers only build these values; rendering them as text,
//! JSON or SARIF belongs to `report`, which is the only consumer.

use crate::source::Span;

/// How serious a diagnostic is. Errors make a profile invalid.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Note,
    Warning,
    Error,
}

impl Severity {
    /// The lowercase word used in every output: `error`, `warning`, `note`.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Note => "note",
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }
}

/// A span with a short noun-phrase label ("denied here").
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Label {
    pub span: Span,
    pub message: String,
}

/// One problem found in a profile.
///
/// `code` is stable across releases: `E…` for errors of the language,
/// `L…` for lints. `name` is the kebab-case name of the same thing.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diagnostic {
    pub code: &'static str,
    pub name: &'static str,
    pub severity: Severity,
    /// A lowercase headline that makes sense alone, without a final period.
    pub message: String,
    /// Where the problem is. `None` only for problems with no place in a file,
    /// such as a missing file named on the command line.
    pub primary: Option<Label>,
    /// Further places, such as the rule that shadows this one.
    pub secondary: Vec<Label>,
    /// Free-standing notes, printed as `= note: …`.
    pub notes: Vec<String>,
    /// An imperative suggestion, printed as `= help: …`.
    pub help: Option<String>,
    /// The include directives that led to the file of `primary`, outermost
    /// first: each is the span of an `include` line.
    pub include_chain: Vec<Span>,
}

impl Diagnostic {
    pub fn new(
        severity: Severity,
        code: &'static str,
        name: &'static str,
        message: impl Into<String>,
    ) -> Diagnostic {
        Diagnostic {
            code,
            name,
            severity,
            message: message.into(),
            primary: None,
            secondary: Vec::new(),
            notes: Vec::new(),
            help: None,
            include_chain: Vec::new(),
        }
    }

    pub fn error(code: &'static str, name: &'static str, message: impl Into<String>) -> Self {
        Diagnostic::new(Severity::Error, code, name, message)
    }

    pub fn warning(code: &'static str, name: &'static str, message: impl Into<String>) -> Self {
        Diagnostic::new(Severity::Warning, code, name, message)
    }

    pub fn with_primary(mut self, span: Span, label: impl Into<String>) -> Self {
        self.primary = Some(Label {
            span,
            message: label.into(),
        });
        self
    }

    pub fn with_secondary(mut self, span: Span, label: impl Into<String>) -> Self {
        self.secondary.push(Label {
            span,
            message: label.into(),
        });
        self
    }

    pub fn with_note(mut self, note: impl Into<String>) -> Self {
        self.notes.push(note.into());
        self
    }

    pub fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    pub fn with_include_chain(mut self, chain: Vec<Span>) -> Self {
        self.include_chain = chain;
        self
    }

    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }
}
