//! Brute force for the `prove` tests: what a spec's claim says about one
//! path, computed from `apparmor_parser`'s compiled policy (the oracle)
//! rather than from aaprove's automata.

#![allow(dead_code, reason = "each test crate uses a different subset")]

use aaprove::analyze::prove::Direction;
use aaprove::analyze::spec::{Assertion, Claim, HalfSelector};
use aaprove::analyze::witness::pattern_set;
use aaprove::compile::{Half, Limits};
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

/// True when `path` matches one of the spec patterns (literal patterns:
/// the tests write no variables).
pub fn matches_any(patterns: &[toml::Spanned<String>], path: &[u8]) -> bool {
    let limits = Limits::default();
    patterns.iter().any(|pattern| {
        let set = pattern_set(pattern.get_ref(), &limits).expect("valid spec pattern");
        *set.classify(path)
    })
}

/// The directions in which `path` violates `assertion` for `perm`,
/// according to the oracle: `subject` is the profile, `baseline` the
/// baseline of a comparison claim.
pub fn oracle_violations(
    assertion: &Assertion,
    perm: FilePerms,
    subject: &CompiledPolicy,
    baseline: Option<&CompiledPolicy>,
    path: &[u8],
) -> Vec<Direction> {
    let within = std::slice::from_ref(&assertion.within);
    if !matches_any(within, path) {
        return Vec::new();
    }
    let allowed = oracle_allows(subject, path, perm, assertion.half);
    let base = || {
        let baseline = baseline.expect("a comparison claim has a baseline");
        oracle_allows(baseline, path, perm, assertion.half)
    };
    let (over, under) = match &assertion.claim {
        Claim::AllowExactly(patterns) => {
            let expected = matches_any(patterns, path);
            (allowed && !expected, expected && !allowed)
        }
        Claim::AllowOnly(patterns) => (allowed && !matches_any(patterns, path), false),
        Claim::AllowNone => (allowed, false),
        Claim::NoMoreThan { except, .. } => {
            let free = matches_any(except, path);
            (!free && allowed && !base(), false)
        }
        Claim::SameAs { except, .. } => {
            let free = matches_any(except, path);
            (!free && allowed && !base(), !free && base() && !allowed)
        }
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
