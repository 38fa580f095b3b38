//! The facts about AppArmor patterns that the lint documentation states,
//! checked against the real compiler: what `[*]`, `[0-9]+`, `(a|b)`, a
//! trailing `$`, `[^n][^s]*` and `a[^.]*` match once `apparmor_parser` has
//! compiled them, and that aaprove's automata agree.

mod support;

use aaprove::compile::{Limits, dfa, pattern};
use aaprove::model::FilePerms;
use support::oracle::{self, CompiledPolicy};

/// (pattern, path, whether the pattern matches the path), as the lint docs
/// and messages say.
const FACTS: &[(&str, &str, bool)] = &[
    ("/tmp/[*]", "/tmp/[^]", true),
    ("/tmp/[*]", "/tmp/]", true),
    ("/tmp/[*]", "/tmp/*", false),
    ("/tmp/[*]", "/tmp/a", false),
    ("/tmp/x[?]", "/tmp/x^]", true),
    ("/tmp/x[?]", "/tmp/x?", false),
    ("/dev/tty[0-9]+", "/dev/tty1+", true),
    ("/dev/tty[0-9]+", "/dev/tty12", false),
    ("/etc/(passwd|group)", "/etc/(passwd|group)", true),
    ("/etc/(passwd|group)", "/etc/passwd", false),
    ("/etc/app.conf$", "/etc/app.conf$", true),
    ("/etc/app.conf$", "/etc/app.conf", false),
    ("/k/{?,??,[^n][^s]*}", "/k/osrelease", false),
    ("/k/{?,??,[^n][^s]*}", "/k/nmi_watchdog", false),
    ("/k/{?,??,[^n][^s]*}", "/k/shmmax", true),
    ("/k/{?,??,[^n][^s]*}", "/k/a/b", true),
    ("/k/{?,??,[^s][^h][^m]**}", "/k/threads-max", false),
    ("/etc/app[^.]*.conf", "/etc/app/x.conf", true),
    ("/etc/app[^./]*.conf", "/etc/app/x.conf", false),
    ("/usr/lib/app**", "/usr/lib/app-old/x", true),
    ("/srv/app/*", "/srv/app/sub/x", false),
    ("/{/run,/var/run}/x", "/run/x", false),
    ("/{/run,/var/run}/x", "//run/x", true),
];

#[test]
fn aaprove_reads_the_documented_patterns_so() {
    let limits = Limits::default();
    for &(text, path, expected) in FACTS {
        let parsed = pattern::parse(text, &limits).expect("pattern compiles");
        let automaton = dfa::from_ir(&parsed.ir, &limits).expect("automaton builds");
        assert_eq!(
            *automaton.classify(path.as_bytes()),
            expected,
            "{text} on {path}"
        );
    }
}

#[test]
fn apparmor_parser_reads_the_documented_patterns_so() {
    if !oracle::available("apparmor_parser_reads_the_documented_patterns_so") {
        return;
    }
    for &(text, path, expected) in FACTS {
        // One profile per pattern, so that each path is asked of its own
        // rule only.
        let policy = CompiledPolicy::compile(&format!("profile facts {{\n  {text} r,\n}}\n"))
            .expect("apparmor_parser compiles the pattern");
        let read = policy
            .lookup(path.as_bytes())
            .owner
            .allow
            .contains(FilePerms::READ);
        assert_eq!(read, expected, "{text} on {path}");
    }
}
