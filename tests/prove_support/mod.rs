//! Brute force for the `prove` tests: what a spec's claim says about one
//! path, computed from `apparmor_parser`'s compiled policy (the oracle)
//! rather than from aaprove's automata.

#![allow(dead_code, reason = "each test crate uses a different subset")]

use aaprove::analyze::prove::{Direction, Finding};
use aaprove::analyze::spec::{Assertion, Claim, HalfSelector};
use aaprove::analyze::witness::{pattern_set, union};
use aaprove::compile::{Dfa, Half, Limits};
use aaprove::model::FilePerms;

use crate::support::oracle::CompiledPolicy;

/// The target used to ask the oracle whether a path may be linked: no
/// rule of the tested profiles names a link target, so every target gets
/// the same answer.
const LINK_TARGET: &[u8] = b"/aaprove/link/target";

/// True when the oracle's policy allows `perm` on `path` in `half`. For
/// `l`, the link pair `path\0target` must allow it too, as the kernel
/// checks it.
pub fn oracle_allows(
    policy: &CompiledPolicy,
    path: &[u8],
    perm: FilePerms,
    half: HalfSelector,
) -> bool {
    let decision = policy.lookup(path);
    let pair = (perm == FilePerms::LINK).then(|| {
        let mut pair = path.to_vec();
        pair.push(0);
        pair.extend_from_slice(LINK_TARGET);
        policy.lookup(&pair)
    });
    let holds = |which: Half| {
        let on_path = decision.half(which).allow.contains(perm);
        let on_pair = pair.is_none_or(|pair| pair.half(which).allow.contains(perm));
        on_path && on_pair
    };
    match half {
        HalfSelector::Either => holds(Half::Owner) || holds(Half::Other),
        HalfSelector::Both => holds(Half::Owner) && holds(Half::Other),
        HalfSelector::Owner => holds(Half::Owner),
        HalfSelector::Other => holds(Half::Other),
    }
}

/// An assertion with its spec patterns compiled once (literal patterns:
/// the tests write no variables).
pub struct CompiledAssertion<'a> {
    pub assertion: &'a Assertion,
    within: Dfa<bool>,
    /// `allow_exactly`/`allow_only` patterns, or `except` patterns.
    patterns: Dfa<bool>,
}

impl<'a> CompiledAssertion<'a> {
    pub fn new(assertion: &'a Assertion) -> CompiledAssertion<'a> {
        let within = union_of(std::slice::from_ref(&assertion.within));
        let patterns = match &assertion.claim {
            Claim::AllowExactly(patterns) | Claim::AllowOnly(patterns) => union_of(patterns),
            Claim::AllowNone => union_of(&[]),
            Claim::NoMoreThan { except, .. } | Claim::SameAs { except, .. } => union_of(except),
        };
        CompiledAssertion {
            assertion,
            within,
            patterns,
        }
    }

    /// The directions in which `path` violates the assertion for `perm`,
    /// according to the oracle: `subject` is the profile, `baseline` the
    /// baseline of a comparison claim.
    pub fn violations(
        &self,
        perm: FilePerms,
        subject: &CompiledPolicy,
        baseline: Option<&CompiledPolicy>,
        path: &[u8],
    ) -> Vec<Direction> {
        if !*self.within.classify(path) {
            return Vec::new();
        }
        let half = self.assertion.half;
        let allowed = oracle_allows(subject, path, perm, half);
        let listed = *self.patterns.classify(path);
        let base = || {
            let baseline = baseline.expect("a comparison claim has a baseline");
            oracle_allows(baseline, path, perm, half)
        };
        let (over, under) = match &self.assertion.claim {
            Claim::AllowExactly(_) => (allowed && !listed, listed && !allowed),
            Claim::AllowOnly(_) => (allowed && !listed, false),
            Claim::AllowNone => (allowed, false),
            Claim::NoMoreThan { .. } => (!listed && allowed && !base(), false),
            Claim::SameAs { .. } => (!listed && allowed && !base(), !listed && base() && !allowed),
        };
        let mut directions = Vec::new();
        if over {
            directions.push(Direction::AllowedButShouldNotBe);
        }
        if under {
            directions.push(Direction::ShouldBeAllowedButIsNot);
        }
        directions
    }
}

fn union_of(patterns: &[toml::Spanned<String>]) -> Dfa<bool> {
    let limits = Limits::default();
    let mut set = pattern_set("/x", &limits).expect("valid").map(|_| false);
    for pattern in patterns {
        let one = pattern_set(pattern.get_ref(), &limits).expect("valid spec pattern");
        set = union(&set, &one, &limits).expect("small automata");
    }
    set
}

/// Checks the prover's findings for one assertion against the oracle on
/// `paths` and on every printed witness; `Err` names the first
/// disagreement.
pub fn check_findings(
    compiled: &CompiledAssertion,
    findings: &[Finding],
    subject: &CompiledPolicy,
    baseline: Option<&CompiledPolicy>,
    paths: &[Vec<u8>],
) -> Result<(), String> {
    for (letter, perm) in FilePerms::LETTERS {
        if !compiled.assertion.perms.contains(perm) {
            continue;
        }
        let mine: Vec<&Finding> = findings.iter().filter(|f| f.perm == letter).collect();
        let witnesses = mine
            .iter()
            .flat_map(|f| f.witnesses.iter().map(|w| &w.path));
        for path in paths.iter().chain(witnesses) {
            let expected = compiled.violations(perm, subject, baseline, path);
            let found: Vec<Direction> = mine
                .iter()
                .filter(|f| *f.set.classify(path))
                .map(|f| f.direction)
                .collect();
            if expected != found {
                return Err(format!(
                    "`{letter}` on {:?}: oracle {expected:?}, prover {found:?}",
                    String::from_utf8_lossy(path)
                ));
            }
        }
    }
    Ok(())
}
