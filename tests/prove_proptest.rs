//! The prover against brute force: for random small profiles and specs,
//! aaprove's sets of violating paths agree with `apparmor_parser`'s
//! compiled policy on every path of a small universe and on every printed
//! witness. So a "proved" answer is never contradicted by any tested path,
//! and every witness really violates its claim.

mod prove_support;
mod support;

use aaprove::analyze::prove::{Proof, ProveContext, prove};
use aaprove::analyze::spec::{Baseline, parse_spec};
use aaprove::analyze::witness::Inventory;
use aaprove::compile::Limits;
use aaprove::model::{Decision, FilePerms, FileRule, Origin, OwnerQualifier, Profile, Qualifiers};
use aaprove::source::{FileId, Span};
use proptest::prelude::*;
use prove_support::{CompiledAssertion, check_findings};
use support::oracle::{self, CompiledPolicy};

/// A generated file rule: `[deny] [owner|other] PATTERN PERMS`.
#[derive(Clone, Debug)]
struct RuleText {
    deny: bool,
    owner: OwnerQualifier,
    pattern: String,
    perms: String,
}

impl RuleText {
    fn text(&self) -> String {
        let decision = if self.deny { "deny " } else { "" };
        let owner = match self.owner {
            OwnerQualifier::Both => "",
            OwnerQualifier::Owner => "owner ",
            OwnerQualifier::Other => "other ",
        };
        format!("{decision}{owner}{} {}", self.pattern, self.perms)
    }

    fn model(&self) -> FileRule {
        let decision = if self.deny {
            Decision::Deny
        } else {
            Decision::Allow
        };
        FileRule {
            origin: origin(),
            qualifiers: Qualifiers {
                decision,
                owner: self.owner,
                ..Qualifiers::default()
            },
            pattern: self.pattern.clone(),
            perms: FilePerms::from_letters(&self.perms).expect("letters"),
            exec: None,
            link: None,
        }
    }
}

fn origin() -> Origin {
    Origin {
        span: Span::new(FileId(1), 0, 0),
        include_chain: Vec::new(),
    }
}

fn profile(rules: &[RuleText]) -> (Profile, String) {
    let model = Profile {
        name: "t".to_string(),
        origin: origin(),
        attachment: None,
        flags: Vec::new(),
        is_hat: false,
        file_rules: rules.iter().map(RuleText::model).collect(),
        other_rules: Vec::new(),
        children: Vec::new(),
        unresolved_includes: Vec::new(),
    };
    let body: String = rules.iter().map(|r| format!("  {},\n", r.text())).collect();
    (model, format!("profile t {{\n{body}}}\n"))
}

const COMPONENTS: [&str; 4] = ["a", "b", "c", "ab"];

/// Every path of up to three components from [`COMPONENTS`], as a file
/// and as a directory, and `/`.
fn small_universe() -> Vec<Vec<u8>> {
    let mut paths = vec![b"/".to_vec()];
    let mut level = vec![String::new()];
    for _ in 0..3 {
        let next: Vec<String> = level
            .iter()
            .flat_map(|base| COMPONENTS.iter().map(move |c| format!("{base}/{c}")))
            .collect();
        for path in &next {
            paths.push(path.as_bytes().to_vec());
            paths.push(format!("{path}/").into_bytes());
        }
        level = next;
    }
    paths
}

fn pattern() -> impl Strategy<Value = String> {
    let segment = prop::sample::select(vec![
        "a", "b", "c", "ab", "*", "**", "[ab]", "{a,b}", "a*", "?", "[^a]*",
    ]);
    (prop::collection::vec(segment, 1..=3), any::<bool>()).prop_map(|(segments, dir)| {
        let mut text = format!("/{}", segments.join("/"));
        if dir {
            text.push('/');
        }
        text
    })
}

fn rule() -> impl Strategy<Value = RuleText> {
    let owner = prop::sample::select(vec![
        OwnerQualifier::Both,
        OwnerQualifier::Both,
        OwnerQualifier::Owner,
        OwnerQualifier::Other,
    ]);
    let perms = prop::sample::select(vec!["r", "w", "l", "rw", "rl", "rwl"]);
    (any::<bool>(), owner, pattern(), perms).prop_map(|(deny, owner, pattern, perms)| RuleText {
        deny,
        owner,
        pattern,
        perms: perms.to_string(),
    })
}

fn rules() -> impl Strategy<Value = Vec<RuleText>> {
    prop::collection::vec(rule(), 1..=4)
}

/// A spec of one assertion, as TOML text.
fn spec() -> impl Strategy<Value = String> {
    let perm = prop::sample::select(vec!["r", "w", "a", "l", "rw", "wl"]);
    let half = prop::sample::select(vec!["either", "both", "owner", "other"]);
    let patterns = prop::collection::vec(pattern(), 1..=2);
    let claim = (0..5usize, patterns).prop_map(|(kind, patterns)| {
        let list = format!("{patterns:?}");
        match kind {
            0 => format!("allow_exactly = {list}"),
            1 => format!("allow_only = {list}"),
            2 => "allow_none = true".to_string(),
            3 => format!("no_more_than = \"b.profile\"\nexcept = {list}"),
            _ => format!("same_as = \"b.profile\"\nexcept = {list}"),
        }
    });
    (perm, half, pattern(), claim).prop_map(|(perm, half, within, claim)| {
        format!(
            "[[assert]]\nname = \"p\"\nperm = \"{perm}\"\nhalf = \"{half}\"\n\
             within = \"{within}\"\n{claim}\n"
        )
    })
}

fn run_prove(subject: &Profile, baseline: &Profile, spec_text: &str) -> Proof {
    let spec = parse_spec(FileId(0), spec_text).expect("generated specs are valid");
    let baselines = [(
        Baseline::File {
            path: "b.profile".into(),
            profile: None,
        },
        baseline.clone(),
    )];
    let context = ProveContext {
        profile: subject,
        baselines: &baselines,
        inventory: &Inventory::default(),
        expand: &|pattern| Ok(pattern.to_string()),
        limits: &Limits::default(),
    };
    prove(&spec, &context).expect("generated profiles compile")
}

/// Compares the prover with the oracle; `Err` describes the first
/// disagreement.
fn compare(subject: &[RuleText], baseline: &[RuleText], spec_text: &str) -> Result<(), String> {
    let (subject_model, subject_text) = profile(subject);
    let (baseline_model, baseline_text) = profile(baseline);
    let (Ok(subject_policy), Ok(baseline_policy)) = (
        CompiledPolicy::compile(&subject_text),
        CompiledPolicy::compile(&baseline_text),
    ) else {
        return Ok(());
    };
    let proof = run_prove(&subject_model, &baseline_model, spec_text);
    let spec = parse_spec(FileId(0), spec_text).expect("valid");
    let compiled = CompiledAssertion::new(&spec.assertions[0]);
    let findings = &proof.assertions[0].findings;
    let baseline = Some(&baseline_policy);
    check_findings(
        &compiled,
        findings,
        &subject_policy,
        baseline,
        &small_universe(),
    )
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 1000, ..ProptestConfig::default() })]

    #[test]
    fn prover_agrees_with_brute_force(
        subject in rules(),
        baseline in rules(),
        spec_text in spec(),
    ) {
        if !oracle::available("prover_agrees_with_brute_force") {
            return Ok(());
        }
        let result = compare(&subject, &baseline, &spec_text);
        prop_assert!(result.is_ok(), "{}\n{spec_text}", result.unwrap_err());
    }
}

#[test]
fn a_hand_written_case_agrees() {
    if !oracle::available("a_hand_written_case_agrees") {
        return;
    }
    let subject = [
        RuleText {
            deny: false,
            owner: OwnerQualifier::Both,
            pattern: "/**".into(),
            perms: "rwl".into(),
        },
        RuleText {
            deny: true,
            owner: OwnerQualifier::Owner,
            pattern: "/a/*".into(),
            perms: "wl".into(),
        },
    ];
    let spec_text = "[[assert]]\nname = \"h\"\nperm = \"wl\"\nwithin = \"/a/**\"\n\
                     allow_exactly = [\"/a/*/**\"]\n";
    compare(&subject, &subject, spec_text).expect("agrees");
    let (model, _) = profile(&subject);
    let proof = run_prove(&model, &model, spec_text);
    assert_eq!(
        proof.assertions[0].findings.len(),
        2,
        "`w` and `l` each allowed on /a/x by other"
    );
}
