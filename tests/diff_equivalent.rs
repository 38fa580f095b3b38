//! Profiles written differently but meaning the same are reported equal
//! by `aaprove diff`, and `apparmor_parser` agrees: the compiled file DFAs
//! of each pair are equivalent. Pairs that do differ are reported as
//! different, and the parser's DFAs differ too, so the check can fail.

mod support;

use aaprove::analyze::diff::{Change, DiffOptions, Inventory, ProfileDiff, diff_profiles};
use aaprove::compile::{Limits, PathPermissions, PermissionAutomaton};
use aaprove::model::Profile;
use aaprove::resolve::{self, Input, ResolveOptions};
use support::oracle::{self, CompiledPolicy};

/// Each pair: a preamble (variable definitions) and the rule lines of
/// each side, which mean the same.
const EQUIVALENT: &[(&str, &str, &str)] = &[
    // Reordered rules.
    (
        "",
        "/a/** r,\n/b/* w,\ndeny /a/secret r,",
        "deny /a/secret r,\n/b/* w,\n/a/** r,",
    ),
    // Aliased keywords and letter order.
    ("", "allow /x r,\nfile /y w,", "/x r,\n/y w,"),
    ("", "/x rw,", "/x wr,"),
    ("", "/bin/x mix,", "/bin/x ix,"),
    ("", "file,", "/{**,} rwlkmix,"),
    // Variables against literals.
    ("@{D}=/a /b\n", "@{D}/** r,", "/{a,b}/** r,"),
    ("@{PROC}=/proc/\n", "@{PROC}/sys/** r,", "/proc/sys/** r,"),
    // Split and merged permission lists and patterns.
    ("", "/x rw,", "/x r,\n/x w,"),
    ("", "/a/{b,c} r,", "/a/b r,\n/a/c r,"),
    ("", "/x w,", "/x a,\n/x w,"),
    // A deny rule against allow rules carved around it. (The parser's
    // DFAs are compared on every string, paths with `//` included, so the
    // classes exclude `/` as `*` does.)
    (
        "",
        "/a/* rw,\ndeny /a/b w,",
        "/a/b r,\n/a/[^b/]* rw,\n/a/b?* rw,",
    ),
    // Non-file rules split or merged.
    (
        "",
        "capability chown setuid,\n/x r,",
        "capability setuid,\ncapability chown,\n/x r,",
    ),
];

/// Pairs that differ: in a letter, an exec mode, on `/a/` alone (which
/// `/a/**` does not match), in the other half only, and by a deny rule.
const DIFFERENT: &[(&str, &str, &str)] = &[
    ("", "/x r,", "/x rw,"),
    ("", "/bin/x ix,", "/bin/x Px,"),
    ("", "/a/** r,", "/a/{,**} r,"),
    ("", "owner /x r,", "/x r,"),
    ("", "/a/* rw,\ndeny /a/b w,", "/a/* rw,"),
];

fn text(preamble: &str, rules: &str) -> String {
    format!("{preamble}profile p {{\n{rules}\n}}\n")
}

fn resolve(text: &str) -> Profile {
    let options = ResolveOptions {
        include_dirs: Vec::new(),
        use_system_dir: false,
        base_dir: None,
    };
    let input = Input::Text {
        name: "pair".to_string(),
        text: text.to_string(),
    };
    let mut resolved = resolve::load(input, &options);
    assert!(
        !resolved.has_errors(),
        "{text}: {:#?}",
        resolved.diagnostics
    );
    resolved.profiles.remove(0)
}

fn diff(base: &str, new: &str) -> ProfileDiff {
    let (base, new) = (resolve(base), resolve(new));
    diff_profiles(&base, &new, &DiffOptions::default(), &Inventory::default()).unwrap()
}

/// The allowed permissions and exec modes: what `diff` compares.
fn same_allow(a: &PathPermissions, b: &PathPermissions, _link_pair: bool) -> bool {
    a.kernel_accept() == b.kernel_accept()
}

/// True when the parser's DFAs for `base` and `new` allow the same on
/// every path: each is checked against aaprove's automaton of `base`, on
/// every path, so the two are equivalent to each other when both hold.
fn oracle_equivalent(base: &str, new: &str) -> bool {
    let ours = PermissionAutomaton::build(&resolve(base), &Limits::default());
    let ours = ours.unwrap().permissions_automaton();
    let base_policy = CompiledPolicy::compile(base).expect("the parser accepts the base");
    let new_policy = CompiledPolicy::compile(new).expect("the parser accepts the new side");
    if let Err(difference) = base_policy.equivalent(&ours, false, same_allow) {
        panic!("aaprove differs from apparmor_parser on {base}: {difference:?}");
    }
    new_policy.equivalent(&ours, false, same_allow).is_ok()
}

#[test]
fn profiles_written_differently_are_equal() {
    for (preamble, base, new) in EQUIVALENT {
        let (base, new) = (text(preamble, base), text(preamble, new));
        let result = diff(&base, &new);
        assert!(result.equivalent(), "{base}\n{new}\n{:#?}", result.regions);
        assert!(result.files_equivalent());
    }
}

#[test]
fn profiles_that_differ_are_reported() {
    for (preamble, base, new) in DIFFERENT {
        let (base, new) = (text(preamble, base), text(preamble, new));
        let result = diff(&base, &new);
        assert!(!result.files_equivalent(), "{base}\n{new}");
    }
}

#[test]
fn the_parser_agrees_on_every_pair() {
    if !oracle::available("the_parser_agrees_on_every_pair") {
        return;
    }
    for (preamble, base, new) in EQUIVALENT {
        let (base, new) = (text(preamble, base), text(preamble, new));
        assert!(oracle_equivalent(&base, &new), "{base}\n{new}");
    }
    for (preamble, base, new) in DIFFERENT {
        let (base, new) = (text(preamble, base), text(preamble, new));
        assert!(!oracle_equivalent(&base, &new), "{base}\n{new}");
    }
}

/// Every witness of every region of the differing pairs is a path on which
/// the parser's two policies differ as the region says.
#[test]
fn witnesses_of_differences_differ_in_the_parsers_policies() {
    if !oracle::available("witnesses_of_differences_differ_in_the_parsers_policies") {
        return;
    }
    for (preamble, base, new) in DIFFERENT {
        let (base, new) = (text(preamble, base), text(preamble, new));
        let base_policy = CompiledPolicy::compile(&base).unwrap();
        let new_policy = CompiledPolicy::compile(&new).unwrap();
        let result = diff(&base, &new);
        for region in &result.regions {
            for witness in &region.witnesses {
                let (b, n) = (
                    base_policy.lookup(&witness.path),
                    new_policy.lookup(&witness.path),
                );
                for slice in &region.slices {
                    let (b, n) = (b.half(slice.half), n.half(slice.half));
                    let allows =
                        |h: &aaprove::compile::HalfPermissions| h.allow.contains(slice.perm);
                    let differs = match region.change {
                        Change::Gained => allows(n) && !allows(b),
                        Change::Lost => allows(b) && !allows(n),
                        Change::ExecChanged => {
                            b.exec.is_some() && n.exec.is_some() && b.exec != n.exec
                        }
                    };
                    assert!(differs, "{base}{new}{:?} {slice:?}", witness.path);
                }
            }
        }
    }
}
