//! The list of every lint, lookup by code or name, and running them all.
//!
//! Running them also reports the one error that only the compiled profile
//! shows: rules that give one path different exec modes, whether their
//! patterns are equal or only meet, which `apparmor_parser` rejects while
//! building its DFA.
//!
//! Adding a lint means declaring it in `rules/` (or `suppression.rs`) and
//! adding one line to `LINTS`; the tests below keep codes and names unique
//! and well formed and every doc complete, so a mistake fails the build.

use std::rc::Rc;

use super::context::PatternSets;
use super::rules;
use super::suppression;
use super::{Check, Lint, LintContext};
use crate::compile::{CompileError, Limits, PermissionAutomaton};
use crate::diagnostic::Diagnostic;
use crate::model::Profile;
use crate::resolve::codes;
use crate::source::SourceMap;

/// Every lint, in code order.
static LINTS: &[&Lint] = &[
    &rules::unconfined_exec::UNCONFINED_EXEC,
    &rules::dangerous_write::DANGEROUS_WRITE,
    &rules::negated_class_prefix::NEGATED_CLASS_PREFIX,
    &rules::slash_in_negated_class::SLASH_IN_NEGATED_CLASS,
    &rules::shallow_deny::SHALLOW_DENY,
    &rules::glued_globstar::GLUED_GLOBSTAR,
    &rules::shadowed_allow::SHADOWED_ALLOW,
    &rules::redundant_rule::REDUNDANT_RULE,
    &rules::unused_deny::UNUSED_DENY,
    &rules::denied_exec_transition::DENIED_EXEC_TRANSITION,
    &rules::comment_claim::COMMENT_CLAIM,
    &rules::wildcard_in_class::WILDCARD_IN_CLASS,
    &rules::regex_syntax::REGEX_SYNTAX,
    &rules::unguarded_file_rule::UNGUARDED_FILE_RULE,
    &rules::unmatchable_rule::UNMATCHABLE_RULE,
    &suppression::UNUSED_SUPPRESSION,
    &suppression::INVALID_SUPPRESSION,
];

/// Every lint, in code order.
pub fn all() -> &'static [&'static Lint] {
    LINTS
}

/// The lint whose code (`L001`, any case) or name (`unconfined-exec`) is
/// `key`.
pub fn find(key: &str) -> Option<&'static Lint> {
    let key = key.trim();
    LINTS
        .iter()
        .find(|lint| lint.code.eq_ignore_ascii_case(key) || lint.name == key)
        .copied()
}

/// Runs every profile lint of the registry on `profile` and, recursively,
/// on its hats and child profiles; `sources` holds the text its spans point
/// into. Findings come in registry order, then in the order of the rules
/// each lint visits, then the error of an exec conflict the compiler finds.
pub fn run_all(profile: &Profile, sources: &SourceMap) -> Vec<Diagnostic> {
    let patterns = Rc::new(PatternSets::new(Limits::default()));
    run_all_sharing(profile, sources, &patterns)
}

/// [`run_all`] taking pattern sets from `patterns`, which a caller linting
/// many profiles keeps from one profile to the next.
pub fn run_all_sharing(
    profile: &Profile,
    sources: &SourceMap,
    patterns: &Rc<PatternSets>,
) -> Vec<Diagnostic> {
    let mut diagnostics = Vec::new();
    run_on(profile, sources, patterns, &mut diagnostics);
    diagnostics
}

fn run_on(
    profile: &Profile,
    sources: &SourceMap,
    patterns: &Rc<PatternSets>,
    diagnostics: &mut Vec<Diagnostic>,
) {
    let context = LintContext::sharing(profile, sources, patterns.clone());
    for lint in all() {
        if let Check::Profile(check) = lint.check {
            let started = std::time::Instant::now();
            check(lint, &context, diagnostics);
            let spent = started.elapsed();
            log::debug!(
                "lint {} on profile `{}`: {spent:.2?}",
                lint.code,
                profile.name
            );
        }
    }
    let conflict = PermissionAutomaton::exec_conflict(profile, &context.limits);
    if let Some(CompileError::ExecConflict { rules, witness }) = conflict {
        diagnostics.extend(exec_conflict(profile, &rules, &witness));
    }
    for child in &profile.children {
        run_on(child, sources, patterns, diagnostics);
    }
}

/// The error for file rules `rules` of `profile` that give `witness`
/// different exec modes: the first rule is the primary place, the others
/// the rules it conflicts with.
fn exec_conflict(profile: &Profile, rules: &[usize], witness: &str) -> Option<Diagnostic> {
    let mut sites = rules
        .iter()
        .filter_map(|&index| profile.file_rules.get(index));
    let first = sites.next()?;
    let message = format!("rules give `{witness}` conflicting exec modes");
    let mut diagnostic = Diagnostic::error(codes::EXEC_CONFLICT, "conflicting-exec", message)
        .with_primary(first.origin.span, "this exec mode")
        .with_include_chain(first.origin.include_chain.clone());
    for other in sites {
        diagnostic = diagnostic.with_secondary(other.origin.span, "conflicts with this one");
    }
    let note = "`apparmor_parser` rejects a profile in which one path gets two exec modes";
    let help = "give the paths both patterns match one exec mode, or make one pattern exact";
    Some(diagnostic.with_note(note).with_help(help))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lint::DOC_SECTIONS;
    use std::collections::HashSet;

    #[test]
    fn codes_and_names_are_unique_and_well_formed() {
        let mut codes = HashSet::new();
        let mut names = HashSet::new();
        for lint in all() {
            assert!(codes.insert(lint.code), "duplicate code {}", lint.code);
            assert!(names.insert(lint.name), "duplicate name {}", lint.name);
            let digits = lint.code.strip_prefix('L').unwrap_or("");
            assert!(
                digits.len() == 3 && digits.bytes().all(|b| b.is_ascii_digit()),
                "bad code {}",
                lint.code
            );
            let kebab = |c: char| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-';
            assert!(lint.name.chars().all(kebab), "bad name {}", lint.name);
        }
    }

    #[test]
    fn registry_is_in_code_order() {
        let codes: Vec<&str> = all().iter().map(|lint| lint.code).collect();
        let mut sorted = codes.clone();
        sorted.sort();
        assert_eq!(codes, sorted);
    }

    #[test]
    fn every_doc_has_the_sections_in_order() {
        for lint in all() {
            let doc = lint.doc();
            let mut from = 0;
            for section in DOC_SECTIONS {
                let found = doc[from..].find(section);
                assert!(
                    found.is_some(),
                    "{}: no `{section}` after byte {from}",
                    lint.code
                );
                from += found.unwrap_or(0) + section.len();
            }
            assert!(!lint.summary().is_empty(), "{}: no summary", lint.code);
        }
    }

    #[test]
    fn find_accepts_code_or_name() {
        let cases = [
            ("L001", Some("L001")),
            ("l002", Some("L002")),
            ("unconfined-exec", Some("L001")),
            ("Unconfined-Exec", None),
            ("L999", None),
            ("", None),
        ];
        for (key, expected) in cases {
            assert_eq!(find(key).map(|lint| lint.code), expected, "{key:?}");
        }
    }

    #[test]
    fn run_all_visits_children() {
        let resolved = crate::resolve::load_test_text("profile p {\n  /a ux,\n}\n");
        let sources = &resolved.sources;
        let mut parent = resolved.profiles[0].clone();
        assert_eq!(run_all(&parent, sources).len(), 1);
        let mut child = parent.clone();
        child.name = "child".into();
        parent.children.push(child);
        let codes: Vec<&str> = run_all(&parent, sources).iter().map(|d| d.code).collect();
        assert_eq!(codes, ["L001", "L001"]);
    }

    #[test]
    fn exec_modes_of_different_patterns_that_meet_are_an_error() {
        let resolved =
            crate::resolve::load_test_text("profile p {\n  /b* px,\n  /* ix,\n  /c* ix,\n}\n");
        let diagnostics = run_all(&resolved.profiles[0], &resolved.sources);
        let conflicts: Vec<&Diagnostic> = diagnostics
            .iter()
            .filter(|d| d.code == codes::EXEC_CONFLICT)
            .collect();
        assert_eq!(conflicts.len(), 1, "{diagnostics:#?}");
        assert!(
            conflicts[0].message.contains("`/b`"),
            "{}",
            conflicts[0].message
        );

        // Equal patterns conflict the same way, reported once, here.
        let equal = crate::resolve::load_test_text("profile p {\n  /a px,\n  /a ix,\n}\n");
        assert!(!equal.has_errors(), "{:#?}", equal.diagnostics);
        let diagnostics = run_all(&equal.profiles[0], &equal.sources);
        let codes: Vec<&str> = diagnostics.iter().map(|d| d.code).collect();
        assert_eq!(codes, [codes::EXEC_CONFLICT]);

        let agreeing = crate::resolve::load_test_text("profile p {\n  /b* ix,\n  /* ix,\n}\n");
        let diagnostics = run_all(&agreeing.profiles[0], &agreeing.sources);
        assert!(diagnostics.iter().all(|d| d.code != codes::EXEC_CONFLICT));
    }
}
