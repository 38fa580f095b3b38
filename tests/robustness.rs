//! Hostile input through the whole front end: random bytes, soups of the
//! language's tokens, and real profiles with random edits go through
//! `resolve::load` and then `PermissionAutomaton::build` for every profile.
//!
//! Whatever the input: nothing panics; every span of every diagnostic lies
//! inside its file and on character boundaries; every error has a primary
//! span. Case counts are small so the suite stays fast in debug builds; the
//! fuzz targets in `fuzz/` run the same checks for as long as one likes.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use aaprove::compile::{Limits, PermissionAutomaton};
use aaprove::model::Profile;
use aaprove::resolve::{Input, ResolveOptions, Resolved, load};
use aaprove::source::Span;
use proptest::prelude::*;

/// Words and punctuation of the profile language, for token soups.
const TOKENS: [&str; 96] = [
    "profile",
    "hat",
    "^",
    "include",
    "#include",
    "include if exists",
    "<abstractions/base>",
    "<tunables/global>",
    "\"rel\"",
    "abi",
    "<abi/3.0>",
    "alias",
    "if",
    "else",
    "defined",
    "and",
    "or",
    "not",
    "==",
    "in",
    "true",
    "$b",
    "${b}",
    "@{HOME}",
    "@{A}",
    "@{",
    "${",
    "=",
    "+=",
    "?=",
    ":=",
    "capability",
    "chown",
    "sys_admin",
    "network",
    "inet",
    "inet6",
    "stream",
    "tcp",
    "deny",
    "audit",
    "allow",
    "owner",
    "other",
    "priority=1",
    "priority=-9999",
    "file",
    "link",
    "subset",
    "->",
    "<=",
    "mount",
    "remount",
    "umount",
    "options=(ro,bind)",
    "fstype=ext4",
    "signal",
    "set=(hup)",
    "peer=(label=x)",
    "peer=x",
    "set",
    "rlimit",
    "nofile",
    "dbus",
    "bus=session",
    "unix",
    "ptrace",
    "change_profile",
    "pivot_root",
    "userns",
    "mqueue",
    "io_uring",
    "all",
    "flags=(complain)",
    "xattrs=(a=b)",
    "/a/**",
    "/b/{c,d}",
    "/c/[a-z]*",
    "/d/{,x}",
    "{a,{b,{c,d}}}",
    "**",
    "rw",
    "Pix",
    "ix",
    "x",
    "Cx",
    "mrwlk",
    "{",
    "}",
    "(",
    ")",
    ",",
    "\"",
    "\\",
    "#",
    "é🙂\0",
];

/// Separators between soup tokens.
const SEPARATORS: [&str; 6] = [" ", " ", "\n", "", "\t", "\r\n"];

fn offline() -> ResolveOptions {
    ResolveOptions {
        include_dirs: Vec::new(),
        use_system_dir: false,
        base_dir: None,
    }
}

/// Real profile texts: the repository's profiles and the installed ones
/// (top-level profiles, and abstractions wrapped in a profile), read once.
/// Includes are not followed (no system directory), which keeps the suite
/// fast; the embedded tunables stand in for `tunables/global`.
fn corpus() -> &'static [String] {
    static CORPUS: OnceLock<Vec<String>> = OnceLock::new();
    CORPUS.get_or_init(|| {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut paths: Vec<PathBuf> = Vec::new();
        for dir in [
            root.join("profiles"),
            PathBuf::from("/etc/apparmor.d"),
            PathBuf::from("/etc/apparmor.d/abstractions"),
        ] {
            let Ok(entries) = std::fs::read_dir(&dir) else {
                continue;
            };
            paths.extend(entries.filter_map(|e| e.ok()).map(|e| e.path()));
        }
        paths.sort();
        let texts: Vec<String> = paths
            .iter()
            .filter(|path| path.is_file())
            .filter_map(|path| Some((path, std::fs::read_to_string(path).ok()?)))
            .map(|(path, text)| {
                // An abstraction holds bare rules: give it a profile so its
                // rules are compiled too.
                let abstraction = path
                    .parent()
                    .is_some_and(|dir| dir.ends_with("abstractions"));
                if abstraction {
                    format!("include <tunables/global>\nprofile robust {{\n{text}\n}}\n")
                } else {
                    text
                }
            })
            .collect();
        assert!(!texts.is_empty(), "no profiles found to mutate");
        texts
    })
}

/// Checks every span of `span`'s kind: inside its file, on char boundaries.
fn check_span(resolved: &Resolved, span: Span, what: &str) {
    let text = &resolved.sources.get(span.file).text;
    let (start, end) = (span.start as usize, span.end as usize);
    assert!(
        start <= end && end <= text.len(),
        "{what}: {span:?} of {}",
        text.len()
    );
    assert!(
        text.is_char_boundary(start) && text.is_char_boundary(end),
        "{what}: {span:?}"
    );
}

fn check_diagnostics(resolved: &Resolved) {
    for diagnostic in &resolved.diagnostics {
        let what = format!("{} {}", diagnostic.code, diagnostic.message);
        if diagnostic.is_error() {
            assert!(diagnostic.primary.is_some(), "no primary span: {what}");
        }
        let labels = diagnostic.primary.iter().chain(&diagnostic.secondary);
        for label in labels {
            check_span(resolved, label.span, &what);
        }
        for span in &diagnostic.include_chain {
            check_span(resolved, *span, &what);
        }
    }
}

/// Builds the automaton of `profile` and its children; errors are fine,
/// panics are not. Returns (automata built, profiles tried).
fn compile_all(profile: &Profile) -> (usize, usize) {
    let built = PermissionAutomaton::build(profile, &Limits::default()).is_ok();
    let mut counts = (usize::from(built), 1);
    for child in &profile.children {
        let (built, tried) = compile_all(child);
        counts = (counts.0 + built, counts.1 + tried);
    }
    counts
}

fn run(resolved: Resolved) -> (usize, usize) {
    check_diagnostics(&resolved);
    let counts = resolved.profiles.iter().map(compile_all);
    counts.fold((0, 0), |sum, (built, tried)| (sum.0 + built, sum.1 + tried))
}

fn run_text(text: String, options: &ResolveOptions) -> (usize, usize) {
    let input = Input::Text {
        name: "robust.profile".into(),
        text,
    };
    run(load(input, options))
}

/// Random bytes go through a file, so invalid UTF-8 reaches the decoder.
fn run_bytes(bytes: &[u8]) {
    let dir = std::env::temp_dir().join(format!("aaprove-robust-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(format!("{:?}.profile", std::thread::current().id()));
    std::fs::write(&path, bytes).unwrap();
    run(load(Input::Path(path.clone()), &offline()));
    std::fs::remove_file(&path).ok();
}

/// One edit of a text; positions are fractions of its length.
#[derive(Clone, Debug)]
enum Edit {
    Delete { at: u16, len: u8 },
    Insert { at: u16, token: usize },
    Duplicate { at: u16, len: u8 },
}

fn edit() -> impl Strategy<Value = Edit> {
    prop_oneof![
        (any::<u16>(), any::<u8>()).prop_map(|(at, len)| Edit::Delete { at, len }),
        (any::<u16>(), 0..TOKENS.len()).prop_map(|(at, token)| Edit::Insert { at, token }),
        (any::<u16>(), any::<u8>()).prop_map(|(at, len)| Edit::Duplicate { at, len }),
    ]
}

/// The char boundary at or before the fraction `at` of `text`'s length.
fn boundary(text: &str, at: u16) -> usize {
    let mut index = text.len() * at as usize / (u16::MAX as usize + 1);
    while !text.is_char_boundary(index) {
        index -= 1;
    }
    index
}

/// The char boundary at or before `start + len`, within `text`.
fn end_from(text: &str, start: usize, len: u8) -> usize {
    let mut end = (start + len as usize).min(text.len());
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    end
}

fn apply(text: &mut String, edit: &Edit) {
    match *edit {
        Edit::Delete { at, len } => {
            let start = boundary(text, at);
            let end = end_from(text, start, len);
            text.replace_range(start..end, "");
        }
        Edit::Insert { at, token } => {
            let start = boundary(text, at);
            text.insert_str(start, TOKENS[token]);
        }
        Edit::Duplicate { at, len } => {
            let start = boundary(text, at);
            let end = end_from(text, start, len);
            let copy = text[start..end].to_string();
            text.insert_str(end, &copy);
        }
    }
}

fn soup() -> impl Strategy<Value = String> {
    let piece = (0..TOKENS.len(), 0..SEPARATORS.len());
    proptest::collection::vec(piece, 0..80).prop_map(|pieces| {
        let words = pieces
            .iter()
            .map(|&(t, s)| format!("{}{}", TOKENS[t], SEPARATORS[s]));
        words.collect()
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn random_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..400)) {
        run_bytes(&bytes);
    }

    #[test]
    fn token_soups_never_panic(text in soup()) {
        run_text(text, &offline());
    }

    #[test]
    fn edited_profiles_never_panic(
        index in any::<usize>(),
        edits in proptest::collection::vec(edit(), 1..6),
    ) {
        let texts = corpus();
        let mut text = texts[index % texts.len()].clone();
        for edit in &edits {
            apply(&mut text, edit);
        }
        run_text(text, &offline());
    }
}

/// The unedited corpus resolves and compiles too, so the edits above start
/// from input that exercises every layer.
#[test]
fn corpus_profiles_compile() {
    let (mut built, mut tried) = (0, 0);
    for text in corpus() {
        let counts = run_text(text.clone(), &offline());
        built += counts.0;
        tried += counts.1;
    }
    assert!(
        tried > 0 && built * 10 >= tried * 9,
        "{built} of {tried} built"
    );
}
