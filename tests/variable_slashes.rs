//! Variables next to `/`: the slashes upstream drops or keeps when it
//! expands a variable into a rule, checked against `apparmor_parser`.
//!
//! A variable of several values loses each value's leading `/` when the
//! already expanded text before it ends in `/` (so `@{EMPTY}/@{run}/x`
//! means `/{run,var/run}/x`), and its trailing `/` when the text after it
//! starts with `/`; a single value is inserted as it is, and only the
//! collapsing of `/` runs in the rule applies to it.

mod support;

use aaprove::compile::{Limits, PermissionAutomaton};
use aaprove::resolve::{self, Input, ResolveOptions};
use support::oracle::{self, CompiledPolicy};

const PROFILE: &str = r#"
@{EMPTY}=""
@{run}=/run /var/run
@{one}=/srv
@{proc}=/proc/
@{homes}=/a/ /b/
profile slashes {
  /@{run}/a1 rw,
  @{EMPTY}/@{run}/a2 rw,
  @{EMPTY}@{run}/a3 rw,
  //@{run}/a4 rw,
  /@{one}/a5 r,
  @{EMPTY}/@{one}/a6 r,
  /x/@{EMPTY}/@{run}/a7 r,
  @{proc}/sys/a8 r,
  @{homes}/a9 k,
  @{homes}@{run}/a10 w,
}
"#;

const PATHS: &[&str] = &[
    "/run/a1",
    "//run/a1",
    "/var/run/a1",
    "/run/a2",
    "//run/a2",
    "/run/a3",
    "//run/a3",
    "/run/a4",
    "//run/a4",
    "/srv/a5",
    "//srv/a5",
    "/srv/a6",
    "//srv/a6",
    "/x/run/a7",
    "/x//run/a7",
    "/proc/sys/a8",
    "/a/a9",
    "/b/a9",
    "/a//a9",
    "/a/run/a10",
    "/a//run/a10",
];

#[test]
fn slashes_around_variables_match_the_parser() {
    let input = Input::Text {
        name: "slashes.profile".into(),
        text: PROFILE.into(),
    };
    let options = ResolveOptions {
        use_system_dir: false,
        ..ResolveOptions::default()
    };
    let resolved = resolve::load(input, &options);
    assert!(!resolved.has_errors(), "{:?}", resolved.diagnostics);
    let automaton = PermissionAutomaton::build(&resolved.profiles[0], &Limits::default())
        .expect("the profile compiles");

    // The case that started this: a multi-valued variable after an empty one.
    assert!(!automaton.lookup(b"/run/a2").owner.allow.is_empty());
    assert!(automaton.lookup(b"//run/a2").owner.allow.is_empty());

    if !oracle::available("slashes_around_variables_match_the_parser") {
        return;
    }
    let policy = CompiledPolicy::compile(PROFILE).expect("the parser accepts the profile");
    let differences: Vec<String> = PATHS
        .iter()
        .filter(|path| automaton.lookup(path.as_bytes()) != policy.lookup(path.as_bytes()))
        .map(|path| path.to_string())
        .collect();
    assert!(
        differences.is_empty(),
        "aaprove and the parser differ on {differences:?}"
    );
}
