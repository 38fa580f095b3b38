//! The reasons `explain` rebuilds from the matching rules agree with the
//! automaton's decision, for every inventory path, both halves and every
//! permission, on the seed, corrected and docker-default profiles: a letter
//! is allowed exactly when some rule allows it and no rule (of the highest
//! priority) denies it, and denied exactly when a deny rule takes it.

use std::path::PathBuf;

use aaprove::analyze::explain::{Explainer, Reason};
use aaprove::analyze::query::{PermissionDecision, select_profile};
use aaprove::builtin;
use aaprove::compile::{Limits, PermissionAutomaton};
use aaprove::resolve::{self, Input, ResolveOptions};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn inventory_paths() -> Vec<String> {
    let mut paths = Vec::new();
    for name in ["proc-sys.txt", "proc.txt", "sys.txt"] {
        let file = root().join("fixtures/inventory").join(name);
        let text = std::fs::read_to_string(&file).expect("read inventory");
        paths.extend(text.lines().filter(|l| !l.is_empty()).map(str::to_string));
    }
    paths
}

/// The decision the reason's rule lists imply.
fn implied_decision(reason: &Reason) -> PermissionDecision {
    match (reason.allowed_by.is_empty(), reason.denied_by.is_empty()) {
        (_, false) => PermissionDecision::Deny,
        (false, true) => PermissionDecision::Allow,
        (true, true) => PermissionDecision::None,
    }
}

fn check(input: Input) {
    let resolved = resolve::load(input, &ResolveOptions::default());
    assert!(!resolved.has_errors(), "{:?}", resolved.diagnostics);
    let profile = select_profile(&resolved.profiles, None).expect("one profile");
    let automaton = PermissionAutomaton::build(profile, &Limits::default()).expect("compiles");
    let explainer = Explainer::new(profile, &automaton).without_alternatives();
    for path in inventory_paths() {
        let explanation = explainer.explain(path.as_bytes());
        assert_eq!(explanation.reasons.len(), 14);
        for reason in &explanation.reasons {
            assert_eq!(
                implied_decision(reason),
                reason.decision,
                "{path}: {reason:?}"
            );
            let allowed_x = reason.perm == aaprove::model::FilePerms::EXEC
                && reason.decision == PermissionDecision::Allow;
            let exec_named = reason.exec.as_ref().is_some_and(|e| !e.from.is_empty());
            assert_eq!(allowed_x, exec_named, "{path}: {reason:?}");
        }
    }
}

#[test]
fn reasons_agree_with_the_automaton_on_the_seed_profile() {
    check(Input::Path(
        root().join("profiles/docker_allow_checkpoint.profile"),
    ));
}

#[test]
fn reasons_agree_with_the_automaton_on_the_corrected_profile() {
    check(Input::Path(
        root().join("profiles/docker_allow_checkpoint.corrected.profile"),
    ));
}

#[test]
fn reasons_agree_with_the_automaton_on_docker_default() {
    let text = builtin::profile_text("docker-default").expect("built in");
    check(Input::Text {
        name: "docker-default".into(),
        text: text.to_string(),
    });
}
