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

/// Random small profiles built as models (so `priority=` and every
/// qualifier can be mixed freely): the reasons must imply the automaton's
/// decision for every path, half and letter, and the rules named for an
/// allowed `x` must carry the exec mode the automaton holds.
mod random_profiles {
    use aaprove::analyze::explain::{Explainer, Explanation};
    use aaprove::analyze::query::PermissionDecision;
    use aaprove::compile::{Limits, PermissionAutomaton};
    use aaprove::model::{
        Decision, ExecMode, ExecTransition, FilePerms, FileRule, Origin, OwnerQualifier, Profile,
        Qualifiers,
    };
    use aaprove::source::{FileId, Span};
    use proptest::prelude::*;

    const PATTERNS: &[&str] = &[
        "/a/**", "/a/*", "/a/b", "/a/{b,c}", "/a/b/c", "/**", "/a/[^b]*", "/a/{,**}",
    ];
    const PATHS: &[&str] = &["/a/b", "/a/c", "/a/b/c", "/a/", "/x", "/a/bb"];

    fn origin() -> Origin {
        Origin {
            span: Span::new(FileId(0), 0, 0),
            include_chain: vec![],
        }
    }

    /// (pattern, deny, halves, priority, letters, exec kind)
    type RuleSpec = (usize, bool, u8, i32, u8, u8);

    fn rule((pattern, deny, halves, priority, letters, exec): RuleSpec) -> FileRule {
        let owner = [
            OwnerQualifier::Both,
            OwnerQualifier::Owner,
            OwnerQualifier::Other,
        ];
        let mut perms = FilePerms(letters & 0x7e);
        let transition = match exec {
            1 => Some(Some(ExecTransition::Inherit)),
            2 => Some(Some(ExecTransition::Profile)),
            3 if deny => Some(None),
            _ => None,
        };
        let exec = transition.map(|transition| {
            perms = perms.union(FilePerms::EXEC);
            ExecMode {
                transition: if deny { None } else { transition },
                scrub: true,
                fallback: None,
                target: None,
            }
        });
        FileRule {
            origin: origin(),
            qualifiers: Qualifiers {
                decision: if deny {
                    Decision::Deny
                } else {
                    Decision::Allow
                },
                audit: false,
                owner: owner[halves as usize % 3],
                priority,
            },
            pattern: PATTERNS[pattern % PATTERNS.len()].to_string(),
            perms,
            exec,
            link: None,
        }
    }

    fn check(explanation: &Explanation, path: &str) {
        for reason in &explanation.reasons {
            let implied = match (reason.allowed_by.is_empty(), reason.denied_by.is_empty()) {
                (_, false) => PermissionDecision::Deny,
                (false, true) => PermissionDecision::Allow,
                (true, true) => PermissionDecision::None,
            };
            assert_eq!(implied, reason.decision, "{path}: {reason:?}");
            let Some(exec) = &reason.exec else { continue };
            let decided = explanation.permissions.half(reason.half).exec.unwrap();
            for &m in &exec.from {
                let mode = explanation.matches[m].contribution.exec.as_ref().unwrap();
                let inherit = mode.transition == Some(ExecTransition::Inherit);
                assert_eq!(inherit, decided.inherits(), "{path}: {reason:?}");
            }
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(200))]
        #[test]
        fn reasons_imply_the_decision(
            specs in proptest::collection::vec(
                (0..8usize, any::<bool>(), 0..3u8, 0..2i32, any::<u8>(), 0..4u8),
                1..6,
            )
        ) {
            let profile = Profile {
                name: "p".into(),
                origin: origin(),
                attachment: None,
                flags: vec![],
                is_hat: false,
                file_rules: specs.into_iter().map(rule).collect(),
                other_rules: vec![],
                children: vec![],
                unresolved_includes: vec![],
            };
            // Profiles with conflicting exec modes are rejected: nothing to explain.
            let Ok(automaton) = PermissionAutomaton::build(&profile, &Limits::default()) else {
                return Ok(());
            };
            let explainer = Explainer::new(&profile, &automaton);
            for path in PATHS {
                check(&explainer.explain(path.as_bytes()), path);
            }
        }
    }
}
