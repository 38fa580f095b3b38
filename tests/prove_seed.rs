//! `prove` on the checkpoint profile of the FastFreeze note: the seed
//! profile fails its spec both ways, the corrected profile is proved, and
//! the oracle (`apparmor_parser`'s compiled policy) agrees with every
//! finding on every inventory path and every printed witness.

mod prove_support;
mod support;

use aaprove::analyze::prove::{Direction, Finding, Proof, ProveContext, Verdict, prove};
use aaprove::analyze::spec::{Baseline, Claim, Spec, parse_spec};
use aaprove::analyze::witness::Inventory;
use aaprove::builtin;
use aaprove::compile::Limits;
use aaprove::model::Profile;
use aaprove::resolve::{self, Input, ResolveOptions};
use prove_support::{CompiledAssertion, check_findings};
use support::oracle::{self, CompiledPolicy};

const SEED: &str = "profiles/docker_allow_checkpoint.profile";
const CORRECTED: &str = "profiles/docker_allow_checkpoint.corrected.profile";
const SPEC: &str = "profiles/docker_allow_checkpoint.spec.toml";

fn root(path: &str) -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(path)
}

fn options() -> ResolveOptions {
    ResolveOptions {
        include_dirs: Vec::new(),
        use_system_dir: true,
        base_dir: None,
    }
}

/// The one profile of `input`, which must resolve without errors.
fn resolve_profile(input: Input) -> Profile {
    let resolved = resolve::load(input, &options());
    assert!(!resolved.has_errors(), "{:#?}", resolved.diagnostics);
    let mut profiles = resolved.profiles;
    assert_eq!(profiles.len(), 1);
    profiles.remove(0)
}

fn spec() -> Spec {
    let text = std::fs::read_to_string(root(SPEC)).expect("spec");
    parse_spec(aaprove::source::FileId(0), &text).expect("valid spec")
}

fn docker_default() -> Profile {
    let text = builtin::profile_text("docker-default").expect("built in");
    resolve_profile(Input::Text {
        name: "docker-default".into(),
        text: text.to_string(),
    })
}

fn prove_file(profile: &str) -> Proof {
    let subject = resolve_profile(Input::Path(root(profile)));
    let baselines = [(Baseline::DockerDefault, docker_default())];
    let context = ProveContext {
        profile: &subject,
        baselines: &baselines,
        inventory: &Inventory::builtin(),
        expand: &|pattern| Ok(pattern.to_string()),
        limits: &Limits::default(),
    };
    prove(&spec(), &context).expect("the spec is provable")
}

fn finding(proof: &Proof, assertion: usize, direction: Direction) -> &Finding {
    let findings = &proof.assertions[assertion].findings;
    let found = findings
        .iter()
        .find(|f| f.perm == 'w' && f.direction == direction);
    found.unwrap_or_else(|| panic!("no `w` {direction:?} finding in {findings:#?}"))
}

#[test]
fn the_seed_profile_fails_both_ways() {
    let proof = prove_file(SEED);
    assert_eq!(proof.assertions[0].verdict, Verdict::Violated);
    let writable = finding(&proof, 0, Direction::AllowedButShouldNotBe);
    for path in [
        "/proc/sys/kernel/osrelease",
        "/proc/sys/kernel/random/uuid",
        "/proc/sys/kernel/pty/max",
        "/proc/sys/kernel/keys/maxkeys",
    ] {
        assert!(
            *writable.set.classify(path.as_bytes()),
            "{path} should be writable"
        );
    }
    let denied = finding(&proof, 0, Direction::ShouldBeAllowedButIsNot);
    for path in [
        "/proc/sys/kernel/shmmax",
        "/proc/sys/kernel/shmall",
        "/proc/sys/kernel/shmmni",
        "/proc/sys/kernel/shm_rmid_forced",
    ] {
        assert!(
            *denied.set.classify(path.as_bytes()),
            "{path} should be denied"
        );
    }
    assert!(!*denied.set.classify(b"/proc/sys/kernel/ns_last_pid"));
    assert_eq!(denied.summary, ["/proc/sys/kernel/shm*"]);
    assert!(denied.summary_complete);
    assert_eq!(proof.assertions[2].verdict, Verdict::Proved);
}

#[test]
fn the_corrected_profile_is_proved() {
    let proof = prove_file(CORRECTED);
    let verdicts: Vec<Verdict> = proof.assertions.iter().map(|a| a.verdict).collect();
    assert_eq!(verdicts, [Verdict::Proved; 3], "{proof:#?}");
}

/// Every path of the three inventories, and the directory of each file.
fn inventory_paths() -> Vec<Vec<u8>> {
    Inventory::builtin().paths().to_vec()
}

#[test]
fn the_oracle_agrees_on_every_inventory_path_and_witness() {
    if !oracle::available("the_oracle_agrees_on_every_inventory_path_and_witness") {
        return;
    }
    let baseline_text = builtin::profile_text("docker-default").expect("built in");
    let baseline = CompiledPolicy::compile(baseline_text).expect("docker-default compiles");
    let spec = spec();
    let paths = inventory_paths();
    for profile in [SEED, CORRECTED] {
        let text = std::fs::read_to_string(root(profile)).expect("profile");
        let subject = CompiledPolicy::compile(&text).expect("the parser compiles it");
        let proof = prove_file(profile);
        for (assertion, outcome) in spec.assertions.iter().zip(&proof.assertions) {
            let compiled = CompiledAssertion::new(assertion);
            let base = matches!(assertion.claim, Claim::NoMoreThan { .. }).then_some(&baseline);
            let checked = check_findings(&compiled, &outcome.findings, &subject, base, &paths);
            if let Err(message) = checked {
                panic!("{profile}, `{}`: {message}", assertion.name);
            }
        }
    }
}
