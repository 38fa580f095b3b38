//! The rendered text of `check` for the mistakes people make in profiles,
//! one snapshot holding every case, each headed by the profile it checks.
//!
//! Each case is a short profile with one mistake; the snapshot shows every
//! diagnostic it gets, as the text renderer prints it without colour. No
//! system directory is searched, so the output does not depend on the
//! machine.

use aaprove::report::text;
use aaprove::resolve::{self, Input, ResolveOptions};

/// (what the mistake is, profile text).
const MISTAKES: [(&str, &str); 42] = [
    ("unknown rule word", "profile x {\n  foo bar,\n}\n"),
    (
        "misspelt rule keyword",
        "profile x {\n  capabilty chown,\n}\n",
    ),
    ("misspelt keyword alone", "profile x {\n  netwrk,\n}\n"),
    (
        "missing comma between file rules",
        "profile x {\n  /a r\n  /b w,\n}\n",
    ),
    (
        "missing comma before the next rule",
        "profile x {\n  capability chown\n  network inet,\n}\n",
    ),
    (
        "missing comma before `}`",
        "profile x {\n  ptrace (trace) peer=foo\n}\n",
    ),
    (
        "unclosed brace",
        "profile x {\n  /a r,\n  ^hat {\n    /b r,\n}\n",
    ),
    ("unmatched closing brace", "profile x {\n  /a r,\n}\n}\n"),
    (
        "misspelt capability",
        "profile x {\n  capability sys_admn,\n}\n",
    ),
    (
        "capability in kernel spelling",
        "profile x {\n  capability CAP_NET_RAW,\n}\n",
    ),
    (
        "misspelt network family",
        "profile x {\n  network inet6x stream,\n}\n",
    ),
    (
        "permission as a word",
        "profile x {\n  /etc/passwd read,\n}\n",
    ),
    (
        "unknown permission letter",
        "profile x {\n  /etc/passwd rwz,\n}\n",
    ),
    (
        "qualifier after the path",
        "profile x {\n  /a owner rw,\n}\n",
    ),
    (
        "prefix out of order",
        "profile x {\n  deny audit /a r,\n}\n",
    ),
    ("x without a qualifier", "profile x {\n  /bin/ls x,\n}\n"),
    (
        "exec qualifier in a deny rule",
        "profile x {\n  deny /bin/ls ix,\n}\n",
    ),
    (
        "append and write together",
        "profile x {\n  /var/log/x wa,\n}\n",
    ),
    ("missing permissions", "profile x {\n  /etc/hosts,\n}\n"),
    ("unknown flag", "profile x flags=(complian) {\n}\n"),
    ("single alternative", "profile x {\n  /a/{b} r,\n}\n"),
    (
        "undefined variable near a defined one",
        "@{CONFIG_DIR} = /etc/x\nprofile x {\n  @{CONFG_DIR}/** r,\n}\n",
    ),
    (
        "tunable used without tunables",
        "profile x {\n  @{PROC}/cpuinfo r,\n}\n",
    ),
    (
        "include not found",
        "include <tunables/nope>\nprofile x {\n}\n",
    ),
    (
        "relative include not found",
        "profile x {\n  include \"local/x\"\n}\n",
    ),
    ("relative path", "profile x {\n  etc/passwd r,\n}\n"),
    (
        "capabilities separated by commas",
        "profile x {\n  capability chown, setuid,\n}\n",
    ),
    ("double comma", "profile x {\n  /a r,,\n}\n"),
    ("unterminated string", "profile x {\n  \"/a b r,\n}\n"),
    (
        "trailing comma on a variable",
        "@{A} = /a,\nprofile x {\n}\n",
    ),
    (
        "child profile without keyword",
        "profile x {\n  child {\n  }\n}\n",
    ),
    (
        "flags without parentheses",
        "profile x flags=complain {\n}\n",
    ),
    (
        "misspelt signal",
        "profile x {\n  signal (send) set=(hup, trm),\n}\n",
    ),
    (
        "misspelt rlimit",
        "profile x {\n  set rlimit nofiles <= 1024,\n}\n",
    ),
    (
        "misspelt access",
        "profile x {\n  ptrace (tracee) peer=x,\n}\n",
    ),
    (
        "misspelt mount option",
        "profile x {\n  mount options=(rw,bnd) /a -> /b/,\n}\n",
    ),
    (
        "unterminated include name",
        "profile x {\n  include <abstractions/base\n}\n",
    ),
    (
        "permissions split in two words",
        "profile x {\n  /etc/hosts r w,\n}\n",
    ),
    (
        "include name on the next line",
        "profile x {\n  include\n  <abstractions/base>\n}\n",
    ),
    (
        "`->` in a network rule",
        "profile x {\n  network inet -> y,\n}\n",
    ),
    (
        "`in` list inside a peer group",
        "profile x {\n  unix peer=(label in (a, b)),\n}\n",
    ),
    (
        "remount options with a source",
        "profile x {\n  mount options=(remount) /dev/a,\n}\n",
    ),
];

/// Every diagnostic of `text` rendered, without colour.
fn rendered(text: &str) -> String {
    let input = Input::Text {
        name: "mistake.profile".into(),
        text: text.into(),
    };
    let options = ResolveOptions {
        use_system_dir: false,
        ..ResolveOptions::default()
    };
    let resolved = resolve::load(input, &options);
    let diagnostics = resolved.diagnostics.iter();
    let texts = diagnostics.map(|diagnostic| text::render(diagnostic, &resolved.sources, false));
    texts.collect::<Vec<_>>().join("\n")
}

#[test]
fn common_mistakes_read_well() {
    let mut all = String::new();
    for (mistake, text) in MISTAKES {
        let output = rendered(text);
        assert!(!output.is_empty(), "{mistake}: no diagnostic");
        all.push_str(&format!("### {mistake}\n{text}---\n{output}\n"));
    }
    insta::assert_snapshot!(all);
}

/// The first diagnostic of every case is an error with a primary span and
/// a lowercase headline without a final period or line break.
#[test]
fn headlines_follow_the_style() {
    for (mistake, text) in MISTAKES {
        let input = Input::Text {
            name: "mistake.profile".into(),
            text: text.into(),
        };
        let options = ResolveOptions {
            use_system_dir: false,
            ..ResolveOptions::default()
        };
        let resolved = resolve::load(input, &options);
        let first = &resolved.diagnostics[0];
        assert!(first.is_error(), "{mistake}");
        assert!(first.primary.is_some(), "{mistake}");
        let message = &first.message;
        assert!(
            !message.ends_with('.') && !message.contains('\n'),
            "{mistake}"
        );
        let initial = message.chars().next().unwrap();
        assert!(!initial.is_uppercase(), "{mistake}: {message}");
        if let Some(help) = &first.help {
            assert!(!help.ends_with('.'), "{mistake}: {help}");
        }
    }
}
