//! Timing of the permission automaton: build, minimise, look up, and a
//! prove-style product with witnesses.
//!
//! Run with `cargo bench --bench compile`. Profiles come from
//! /etc/apparmor.d (read with the test-only flattener) when the machine
//! has `apparmor_parser`; otherwise a synthetic profile is used.

#[path = "../tests/support/flatten.rs"]
#[allow(dead_code, reason = "only part of the flattener is needed")]
mod flatten;

use std::time::{Duration, Instant};

use aaprove::compile::{Half, Limits, PermissionAutomaton, dfa, pattern};
use aaprove::model::{Decision, FilePerms, FileRule, Origin, OwnerQualifier, Profile, Qualifiers};
use aaprove::source::{FileId, Span};

fn origin() -> Origin {
    Origin {
        span: Span::new(FileId(0), 0, 0),
        include_chain: Vec::new(),
    }
}

fn rule(pattern: &str, perms: &str, deny: bool, owner: bool) -> FileRule {
    FileRule {
        origin: origin(),
        qualifiers: Qualifiers {
            decision: if deny {
                Decision::Deny
            } else {
                Decision::Allow
            },
            owner: if owner {
                OwnerQualifier::Owner
            } else {
                OwnerQualifier::Both
            },
            ..Qualifiers::default()
        },
        pattern: pattern.to_string(),
        perms: FilePerms::from_letters(perms).expect("letters"),
        exec: None,
        link: None,
    }
}

fn profile(name: &str, file_rules: Vec<FileRule>) -> Profile {
    Profile {
        name: name.to_string(),
        origin: origin(),
        attachment: None,
        flags: Vec::new(),
        is_hat: false,
        file_rules,
        other_rules: Vec::new(),
        children: Vec::new(),
        unresolved_includes: Vec::new(),
    }
}

/// 600 rules in the shapes real profiles use.
fn synthetic() -> Profile {
    let shapes = [
        ("/usr/share/{NAME}/**", "r", false, false),
        ("/etc/{NAME}/*.conf", "r", false, false),
        ("/{,var/}run/{NAME}/[0-9]*.pid", "rw", false, true),
        ("/home/*/.config/{NAME}/{,**}", "rwk", false, true),
        (
            "/proc/{[1-9],[1-9][0-9],[1-9][0-9][0-9]}/{NAME}",
            "r",
            false,
            false,
        ),
        ("/sys/devices/**/{NAME}", "w", true, false),
    ];
    let rules = (0..100)
        .flat_map(|i| {
            shapes.iter().map(move |(shape, perms, deny, owner)| {
                rule(
                    &shape.replace("{NAME}", &format!("app{i}")),
                    perms,
                    *deny,
                    *owner,
                )
            })
        })
        .collect();
    profile("synthetic", rules)
}

/// The first profile of each installed policy file, when readable.
fn installed() -> Vec<Profile> {
    let Ok(entries) = std::fs::read_dir("/etc/apparmor.d") else {
        return Vec::new();
    };
    let mut profiles = Vec::new();
    for path in entries.flatten().map(|e| e.path()).filter(|p| p.is_file()) {
        let output = std::process::Command::new("/usr/sbin/apparmor_parser")
            .args(["-Q", "-K", "-p"])
            .arg(&path)
            .output();
        let Ok(output) = output else { continue };
        let flat = flatten::flatten(&String::from_utf8_lossy(&output.stdout));
        let rules: Vec<FileRule> = flat
            .rules
            .iter()
            .filter(|line| line.perms.chars().all(|c| "rwalkm".contains(c)))
            .map(|line| {
                let has = |q: &str| line.qualifiers.iter().any(|w| w == q);
                rule(&line.pattern, &line.perms, has("deny"), has("owner"))
            })
            .collect();
        if !rules.is_empty() {
            profiles.push(profile(&flat.name, rules));
        }
    }
    profiles
}

fn time<T>(f: impl FnOnce() -> T) -> (T, Duration) {
    let started = Instant::now();
    let value = f();
    (value, started.elapsed())
}

fn main() {
    let limits = Limits::default();
    let mut profiles = vec![synthetic()];
    profiles.extend(installed());
    profiles.sort_by_key(|p| std::cmp::Reverse(p.file_rules.len()));
    profiles.truncate(5);
    let region = dfa::from_ir(&pattern::parse("/proc/**", &limits).unwrap().ir, &limits).unwrap();
    for profile in &profiles {
        let (automaton, build) = time(|| PermissionAutomaton::build(profile, &limits).unwrap());
        let (minimal, minimise) = time(|| automaton.permissions_automaton().minimize());
        let paths: Vec<Vec<u8>> = (0..10_000)
            .map(|i| format!("/usr/share/app{}/x/{i}.conf", i % 120).into_bytes())
            .collect();
        let (allowed, lookups) = time(|| {
            let lookup = |p: &Vec<u8>| automaton.lookup(p).owner.allow.contains(FilePerms::READ);
            paths.iter().filter(|p| lookup(p)).count()
        });
        let ((), prove) = time(|| {
            let writable = automaton.allowed(FilePerms::WRITE, Half::Owner);
            let both = writable.product(&region, &limits, |w, r| *w && *r).unwrap();
            let _ = both.witnesses(5, |label| *label);
        });
        println!(
            "{:<32} {:>4} rules {:>6} states ({:>5} minimal)  build {:>9.2?}  minimise {:>9.2?}  \
             10k lookups {:>9.2?} ({allowed} r)  prove /proc/** w {:>9.2?}",
            profile.name,
            profile.file_rules.len(),
            automaton.state_count(),
            minimal.state_count(),
            build,
            minimise,
            lookups,
            prove
        );
    }
}
