//! Checks shared by the fuzz targets: what must hold of the diagnostics of
//! any input (spans inside their file and on character boundaries, every
//! error placed), and compiling every resolved profile.

use aaprove::compile::{Limits, PermissionAutomaton};
use aaprove::diagnostic::Diagnostic;
use aaprove::model::Profile;
use aaprove::source::{Span, SourceMap};

/// Limits small enough that one input compiles in well under a second.
pub fn fuzz_limits() -> Limits {
    Limits {
        max_nfa_states: 100_000,
        max_dfa_states: 20_000,
        ..Limits::default()
    }
}

/// Panics when a span is outside its file or cuts a character.
pub fn check_span(sources: &SourceMap, span: Span) {
    let text = &sources.get(span.file).text;
    let (start, end) = (span.start as usize, span.end as usize);
    assert!(start <= end && end <= text.len(), "{span:?} of {}", text.len());
    assert!(text.is_char_boundary(start) && text.is_char_boundary(end), "{span:?}");
}

/// Panics when a diagnostic breaks the invariants of spans and errors.
pub fn check_diagnostics(sources: &SourceMap, diagnostics: &[Diagnostic]) {
    for diagnostic in diagnostics {
        if diagnostic.is_error() {
            assert!(diagnostic.primary.is_some(), "{}", diagnostic.message);
        }
        let labels = diagnostic.primary.iter().chain(&diagnostic.secondary);
        labels.for_each(|label| check_span(sources, label.span));
        diagnostic.include_chain.iter().for_each(|span| check_span(sources, *span));
    }
}

/// Builds the automaton of a profile and of its children.
pub fn compile_all(profile: &Profile, limits: &Limits) {
    let _ = PermissionAutomaton::build(profile, limits);
    for child in &profile.children {
        compile_all(child, limits);
    }
}
