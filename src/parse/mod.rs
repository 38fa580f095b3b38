//! Profile text to a syntax tree with spans.
//!
//! [`parse_file`] reads one file and returns its [`ast::File`] together with
//! every syntax error found: the parser recovers at the end of each bad rule
//! and goes on. It knows nothing about other files: `include` directives
//! stay in the tree for `resolve` to follow. Hostile input is bounded: block
//! nesting by [`parser::MAX_DEPTH`], errors per file by
//! [`parser::MAX_ERRORS`].

pub mod ast;
pub mod lexer;
pub mod parser;
pub mod suggest;

use crate::diagnostic::Diagnostic;
use crate::source::{FileId, Span};

/// The stable codes of language errors found while parsing.
pub mod codes {
    /// Text that does not fit the grammar.
    pub const SYNTAX: &str = "E001";
    /// Blocks or expressions nested beyond the limit.
    pub const TOO_DEEP: &str = "E002";
    /// The parser gave up on a file after too many errors.
    pub const TOO_MANY_ERRORS: &str = "E003";
    /// The file is not valid UTF-8 text.
    pub const NOT_TEXT: &str = "E004";
}

/// A syntax error at `span` with a short label.
pub fn syntax_error(span: Span, message: impl Into<String>, label: &str) -> Diagnostic {
    Diagnostic::error(codes::SYNTAX, "syntax-error", message).with_primary(span, label)
}

/// Parses one file. Never panics; every problem is a diagnostic.
///
/// Runs on a thread with [`STACK_SIZE`] bytes of stack, so the deepest
/// nesting the grammar accepts cannot overflow a small caller's stack.
pub fn parse_file(file: FileId, text: &str) -> (ast::File, Vec<Diagnostic>) {
    with_deep_stack(|| parse_file_here(file, text))
}

/// [`parse_file`] on the current thread, for callers that already run on
/// a deep stack (such as `resolve`).
pub fn parse_file_here(file: FileId, text: &str) -> (ast::File, Vec<Diagnostic>) {
    parser::Parser::new(file, text).parse_file()
}

/// The stack given to parsing and resolution. Nesting is bounded by
/// [`parser::MAX_DEPTH`]; this leaves room for it in unoptimised builds.
pub const STACK_SIZE: usize = 64 * 1024 * 1024;

/// Runs `work` on a scoped thread with [`STACK_SIZE`] bytes of stack, or
/// on the current thread if no thread can be started.
pub fn with_deep_stack<T: Send>(work: impl FnOnce() -> T + Send) -> T {
    // The work sits behind a lock so that it can still run here when the
    // thread cannot be started (the failed spawn drops only its closure).
    let work = std::sync::Mutex::new(Some(work));
    let take = || work.lock().ok().and_then(|mut slot| slot.take());
    let result = std::thread::scope(|scope| {
        let spawned = std::thread::Builder::new()
            .name("aaprove-parse".into())
            .stack_size(STACK_SIZE)
            .spawn_scoped(scope, || take().map(|work| work()));
        match spawned {
            Ok(handle) => match handle.join() {
                Ok(value) => value,
                Err(panic) => std::panic::resume_unwind(panic),
            },
            Err(error) => {
                log::debug!("no deep-stack thread ({error}); working in place");
                None
            }
        }
    });
    match result {
        Some(value) => value,
        None => take().expect("the work has not run yet")(),
    }
}

#[cfg(test)]
mod tests {
    use super::ast::{Item, RuleKind};
    use super::*;

    fn parse(text: &str) -> (ast::File, Vec<Diagnostic>) {
        parse_file(FileId(0), text)
    }

    fn rule_kinds(text: &str) -> Vec<&'static str> {
        let (file, diagnostics) = parse(text);
        assert!(diagnostics.is_empty(), "{text}: {diagnostics:?}");
        let mut kinds = Vec::new();
        for item in &file.items {
            if let Item::Profile(profile) = item {
                for item in &profile.items {
                    if let Item::Rule(rule) = item {
                        kinds.push(rule.kind.keyword());
                    }
                }
            }
        }
        kinds
    }

    #[test]
    fn every_rule_kind_parses() {
        let cases = [
            ("/a r,", "file"),
            ("r /a,", "file"),
            ("file,", "file"),
            ("file rw /a/**,", "file"),
            ("/bin/ls Pix -> foo,", "file"),
            ("link subset /a -> /b,", "link"),
            ("capability chown sys_admin,", "capability"),
            ("network inet stream,", "network"),
            ("unix (send, receive) type=stream peer=(label=foo),", "unix"),
            ("signal (send) set=(hup, term) peer=foo,", "signal"),
            ("ptrace tracedby peer=/usr/bin/gdb,", "ptrace"),
            ("dbus send bus=session path=/org/a member={A,B},", "dbus"),
            (
                "mount fstype=ext4 options=(ro, nosuid) /dev/a -> /mnt/,",
                "mount",
            ),
            ("umount /mnt/,", "umount"),
            ("pivot_root oldroot=/old/ /new/ -> child,", "pivot_root"),
            ("change_profile -> foo,", "change_profile"),
            ("set rlimit nofile <= 1024,", "rlimit"),
            ("userns create,", "userns"),
            ("mqueue (open, read) type=posix /q,", "mqueue"),
            ("io_uring sqpoll label=foo,", "io_uring"),
            ("all,", "all"),
        ];
        for (rule, kind) in cases {
            let text = format!("profile p {{\n  {rule}\n}}\n");
            assert_eq!(rule_kinds(&text), vec![kind], "{rule}");
        }
    }

    #[test]
    fn prefixes_are_read_in_order() {
        let (file, diagnostics) = parse("/p {\n priority=-3 audit deny owner /a w,\n}\n");
        assert!(diagnostics.is_empty(), "{diagnostics:?}");
        let Item::Profile(profile) = &file.items[0] else {
            panic!()
        };
        let Item::Rule(rule) = &profile.items[0] else {
            panic!()
        };
        assert!(rule.prefix.audit.is_some());
        assert_eq!(rule.prefix.priority.as_ref().unwrap().0.text, "-3");
        assert!(matches!(rule.kind, RuleKind::File(_)));

        let (_, diagnostics) = parse("/p {\n deny audit /a w,\n}\n");
        assert_eq!(diagnostics.len(), 1);
    }

    #[test]
    fn preamble_statements_parse() {
        let text = "abi <abi/4.0>,\ninclude if exists <tunables/global>\n#include \"x\"\n\
                    @{A} = /a /b # c\n@{A} += /c\n$B = true\nalias /a -> /b,\n";
        let (file, diagnostics) = parse(text);
        assert!(diagnostics.is_empty(), "{diagnostics:?}");
        assert_eq!(file.items.len(), 7);
    }

    #[test]
    fn a_leading_variable_ends_at_plus_in_either_order() {
        // Upstream's lexer ends the variable token at `+`, which is then an
        // unexpected character, wherever a rule's path is; targets after
        // `->` are lexed differently.
        let rules = [
            "@{A}+ r,",
            "r @{A}+,",
            "@{A}+x r,",
            "r @{A}+x,",
            "link @{A}+ -> /b,",
        ];
        for rule in rules {
            let (_, diagnostics) = parse(&format!("/p {{\n  {rule}\n}}\n"));
            let messages: Vec<&str> = diagnostics.iter().map(|d| d.message.as_str()).collect();
            assert_eq!(
                messages,
                ["unexpected `+` right after a variable"],
                "{rule}"
            );
        }
        for rule in ["r @{A}x+,", "link /a -> @{A}+,", "/a px -> @{A}+,"] {
            let (_, diagnostics) = parse(&format!("/p {{\n  {rule}\n}}\n"));
            assert!(diagnostics.is_empty(), "{rule}: {diagnostics:?}");
        }
    }

    #[test]
    fn errors_are_collected_and_parsing_goes_on() {
        let text = "/p {\n  /a rw qq,\n  capability chown,\n  /b,\n}\n";
        let (file, diagnostics) = parse(text);
        assert_eq!(diagnostics.len(), 2, "{diagnostics:?}");
        let Item::Profile(profile) = &file.items[0] else {
            panic!()
        };
        assert!(!profile.items.is_empty());
    }

    #[test]
    fn rules_may_span_lines() {
        let cases = [
            ("mount options=(ro)\n    /dev/a\n    -> /mnt/,", "mount"),
            (
                "dbus send\n    bus=system\n    path=/org/x\n    peer=(name=a),",
                "dbus",
            ),
            ("capability chown\n    setuid,", "capability"),
            ("/a\n    r,", "file"),
        ];
        for (rule, kind) in cases {
            let text = format!("profile p {{\n  {rule}\n}}\n");
            assert_eq!(rule_kinds(&text), vec![kind], "{rule}");
        }
    }

    #[test]
    fn a_rule_keyword_on_a_new_line_ends_a_rule_missing_its_comma() {
        let cases = [
            "capability chown\n  network inet,",
            "capability chown\n  /a r,",
            "signal (send)\n  deny /a r,",
        ];
        for rule in cases {
            let text = format!("profile p {{\n  {rule}\n}}\n");
            let (_, diagnostics) = parse(&text);
            let messages: Vec<&str> = diagnostics.iter().map(|d| d.message.as_str()).collect();
            assert_eq!(messages, ["missing `,` at the end of the rule"], "{rule}");
        }
    }

    /// Rules are read in the order of parts upstream's grammar gives each
    /// kind, with upstream's lexer modes: `{` starts a word in a mount
    /// rule, and `#` starts no comment inside keyed rules or lists.
    #[test]
    fn keyed_rules_follow_upstream_order_and_lexer_modes() {
        let cases = [
            ("network inet stream ip=1.2.3.4,", true),
            ("network ip=1.2.3.4 inet,", false),
            ("network (send) inet stream,", true),
            ("network inet stream (send),", false),
            ("network send (receive),", false),
            // Upstream's list mode drops commas: both lists are valid.
            ("signal (,send,,) peer=a,", true),
            ("signal () peer=a,", true),
            ("mount options=(ro) /a -> /b,", true),
            ("mount /a options=(ro) -> /b,", false),
            ("mount {a,b} -> /b,", true),
            ("mqueue type=posix /q,", true),
            ("mqueue /q type=posix,", false),
            ("pivot_root oldroot=/o/ /n/,", true),
            ("pivot_root /n/ oldroot=/o/,", false),
            ("dbus bus=system peer=(name=a),", true),
            ("dbus peer=(name=a) bus=system,", false),
            ("unix peer=(label=a) peer=(addr=@b),", false),
            ("userns,", true),
            ("userns create,", true),
            ("userns (create),", false),
            ("userns create label=a,", false),
            ("dbus send # comment\n    bus=system,", false),
            ("capability chown # comment\n    setuid,", true),
            ("/a # comment\n    r,", true),
            ("read r,", false),
            ("file open r,", false),
            ("foo r,", true),
        ];
        for (rule, ok) in cases {
            let text = format!("profile p {{\n  {rule}\n}}\n");
            let (_, diagnostics) = parse(&text);
            assert_eq!(diagnostics.is_empty(), ok, "{rule}: {diagnostics:?}");
        }
    }

    #[test]
    fn header_and_file_level_lexing() {
        let cases = [
            ("profile p { }\n# last line\n", true),
            ("profile p { }\n# last line without a line break", false),
            ("rewrite /a -> /b,\nprofile p { }\n", true),
        ];
        for (text, ok) in cases {
            let (_, diagnostics) = parse(text);
            assert_eq!(diagnostics.is_empty(), ok, "{text}: {diagnostics:?}");
        }
    }

    /// Include directives as upstream's lexer starts them: `include` and a
    /// blank, or `#include` and anything up to a line break; `if exists`
    /// only with blanks around it on the line.
    #[test]
    fn includes_start_as_upstream_lexes_them() {
        let cases: [(&str, Option<(&str, bool)>); 10] = [
            ("#include <x>\n", Some(("x", false))),
            ("#include\n<x>\n", Some(("x", false))),
            ("#includex\n", Some(("x", false))),
            ("#include <x>", None),
            ("include <x>", Some(("x", false))),
            ("include \n<x>\n", Some(("x", false))),
            ("include\n<x>\n", None),
            ("include if exists <x>\n", Some(("x", true))),
            ("#include if exists <x>\n", Some(("x", true))),
            ("include if exists\n<x>\n", None),
        ];
        for (text, expected) in cases {
            let (file, diagnostics) = parse(text);
            let include = file.items.iter().find_map(|item| match item {
                Item::Include(include) => Some((include.path.text.as_str(), include.if_exists)),
                _ => None,
            });
            let got = diagnostics.is_empty().then_some(include).flatten();
            assert_eq!(got, expected, "{text:?}: {diagnostics:?}");
        }

        let (_, diagnostics) = parse("profile p {\n  include\n  <x>\n}\n");
        let messages: Vec<&str> = diagnostics.iter().map(|d| d.message.as_str()).collect();
        assert_eq!(messages, ["`include` needs its file name on the same line"]);
    }

    /// In a variable assignment `#` starts a comment only when a line
    /// break ends it: on the last line it is one more value.
    #[test]
    fn comments_end_assignments_only_before_a_line_break() {
        let cases: [(&str, &[&str]); 4] = [
            ("@{A} = a #c\n", &["a"]),
            ("@{A} = a #c d", &["a", "#c", "d"]),
            ("@{A} = a#c", &["a#c"]),
            ("@{A} = #c", &["#c"]),
        ];
        for (text, expected) in cases {
            let (file, diagnostics) = parse(text);
            assert!(diagnostics.is_empty(), "{text:?}: {diagnostics:?}");
            let Some(Item::Variable(variable)) = file.items.first() else {
                panic!("{text:?}: no assignment")
            };
            let values: Vec<&str> = variable.values.iter().map(|w| w.text.as_str()).collect();
            assert_eq!(values, expected, "{text:?}");
        }
    }

    /// Upstream's group mode has no `in`: `in` is read as a key and the
    /// `(` after it is an error.
    #[test]
    fn groups_take_no_in_lists() {
        let cases: [(&str, &[&str]); 4] = [
            ("unix peer=(label=(a b)),", &[]),
            (
                "unix peer=(label in (a, b)),",
                &["`label in (...)` cannot be used in a group"],
            ),
            (
                "dbus peer=(name in (a),label=b),\n  /a r,",
                &["`name in (...)` cannot be used in a group"],
            ),
            (
                "unix peer=(label in (a\n",
                &["`label in (...)` cannot be used in a group"],
            ),
        ];
        for (rule, expected) in cases {
            let (_, diagnostics) = parse(&format!("profile p {{\n  {rule}\n}}\n"));
            let messages: Vec<&str> = diagnostics.iter().map(|d| d.message.as_str()).collect();
            assert_eq!(messages, expected, "{rule}");
        }
    }

    #[test]
    fn deep_nesting_is_an_error_not_an_overflow() {
        let text = "/p ".to_string() + &"{".repeat(10_000) + &"}".repeat(10_000);
        let (_, diagnostics) = parse(&text);
        assert!(diagnostics.iter().any(|d| d.code == codes::TOO_DEEP));
    }
}
