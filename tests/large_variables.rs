//! Upstream 4.1's large variables compile within the default limits and
//! mean what `apparmor_parser` makes of them.
//!
//! AppArmor 4.1 tunables define `@{hex64}` and `@{rand64}` as 64 character
//! classes each, and older profiles wrote runs of optional characters such
//! as `{[0-9a-f],}` repeated. Real rules use several of them at once. These
//! must never hit a limit; how fast they compile is measured by the
//! benchmarks, not asserted here.

mod support;

use aaprove::compile::{Limits, PermissionAutomaton};
use aaprove::resolve::{self, Input, ResolveOptions};
use support::oracle::{self, CompiledPolicy};

/// `name` defined as `count` copies of `unit`, built by doubling as the
/// upstream tunables do.
fn doubled(name: &str, unit: &str, count: usize) -> String {
    let mut text = format!("@{{{name}1}}={unit}\n");
    let mut size = 1;
    while size < count {
        text.push_str(&format!(
            "@{{{name}{}}}=@{{{name}{size}}}@{{{name}{size}}}\n",
            size * 2
        ));
        size *= 2;
    }
    text
}

fn profile_text() -> String {
    let mut text = doubled("hex", "[0-9a-f]", 64);
    text.push_str(&doubled("rand", "[a-zA-Z0-9]", 64));
    text.push_str(&doubled("opt", "{[0-9a-f],}", 64));
    text.push_str(
        "profile large {\n\
         \x20 /run/user/*/app-@{hex64}/@{rand64}.sock rw,\n\
         \x20 owner /tmp/@{opt64}-@{opt64}/lock k,\n\
         \x20 deny /tmp/@{hex64}*/@{opt64} w,\n\
         \x20 /var/cache/@{rand64}/@{hex64}/@{opt64} r,\n\
         }\n",
    );
    text
}

fn paths() -> Vec<String> {
    let hex = "0123456789abcdef".repeat(4);
    let rand = "Ab3".repeat(21) + "z";
    vec![
        format!("/run/user/1000/app-{hex}/{rand}.sock"),
        format!("/run/user/1000/app-{}/{rand}.sock", &hex[1..]),
        "/tmp/-/lock".to_string(),
        format!("/tmp/{hex}-{}/lock", &hex[..7]),
        format!("/tmp/{hex}x/{}", &hex[..3]),
        format!("/var/cache/{rand}/{hex}/"),
        format!("/var/cache/{rand}/{hex}/{hex}"),
        format!("/var/cache/{rand}/{hex}/{hex}0"),
    ]
}

#[test]
fn large_variables_compile_and_match_the_parser() {
    let text = profile_text();
    let input = Input::Text {
        name: "large.profile".into(),
        text: text.clone(),
    };
    let options = ResolveOptions {
        use_system_dir: false,
        ..ResolveOptions::default()
    };
    let resolved = resolve::load(input, &options);
    assert!(!resolved.has_errors(), "{:?}", resolved.diagnostics);
    let automaton = PermissionAutomaton::build(&resolved.profiles[0], &Limits::default())
        .expect("large variables stay within the default limits");

    // The paths hit and miss: 64 hex digits match `@{hex64}`, 63 do not.
    let allowed: Vec<bool> = paths()
        .iter()
        .map(|path| !automaton.lookup(path.as_bytes()).owner.allow.is_empty())
        .collect();
    assert_eq!(allowed, [true, false, true, true, false, true, true, false]);

    if !oracle::available("large_variables_compile_and_match_the_parser") {
        return;
    }
    let policy = CompiledPolicy::compile(&text).expect("the parser accepts the profile");
    for path in paths() {
        let ours = automaton.lookup(path.as_bytes());
        let theirs = policy.lookup(path.as_bytes());
        assert_eq!(ours, theirs, "{path}");
    }
}
