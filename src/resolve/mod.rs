//! From a parsed file to resolved profiles: includes, variables,
//! conditionals and the semantic checks `apparmor_parser` makes at compile
//! time.
//!
//! [`load`] reads the input, follows includes (each file read and parsed
//! once per run, included at most once per profile block as upstream's
//! include cache does), records variable definitions, evaluates
//! conditionals in text order, and finally lowers every profile to the
//! [`model`] with variables expanded. All problems become diagnostics in
//! [`Resolved::diagnostics`]; nothing here panics or exits.
//!
//! Invariants: a diagnostic about a file reached through includes carries
//! the include chain (outermost include line first); the profiles of a
//! [`Resolved`] with errors are still returned, as far as they could be
//! built, so later layers may report more.

mod evaluate;
mod include;
mod lower;
pub mod names;
pub mod pattern;
mod validate;
pub mod variables;
mod walk;

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::rc::Rc;

use crate::diagnostic::Diagnostic;
use crate::model;
use crate::parse::ast::{self, Item};
use crate::source::{FileId, SourceFile, SourceMap, Span};
use variables::SymbolTable;

pub use include::{IGNORED_SUFFIXES, SYSTEM_DIR, is_ignored_entry};

/// The deepest chain of nested includes accepted (upstream's limit).
pub const MAX_INCLUDE_DEPTH: usize = 100;

/// The deepest nesting of includes, profiles, blocks and conditionals
/// across files, which bounds the resolver's recursion.
pub const MAX_NESTING: usize = 256;

/// The span of an item that nests further, or `None` for a plain item.
fn nesting_span(item: &Item) -> Option<Span> {
    match item {
        Item::Include(include) => Some(include.span),
        Item::Profile(profile) => Some(profile.span),
        Item::PrefixBlock(block) => Some(block.span),
        Item::Conditional(conditional) => Some(conditional.span),
        _ => None,
    }
}

/// The largest file read, in bytes.
pub const MAX_FILE_SIZE: u64 = 256 * 1024 * 1024;

/// The stable codes of resolution and semantic errors, each with the one
/// kebab-case name it is reported under (see [`codes::NAMES`]).
pub mod codes {
    /// A file could not be read.
    pub const IO: &str = "E010";
    /// An included file was not found.
    pub const INCLUDE_MISSING: &str = "E011";
    /// Includes nested too deeply.
    pub const INCLUDE_TOO_DEEP: &str = "E012";
    /// A file includes itself (a warning: upstream skips it).
    pub const INCLUDE_CYCLE: &str = "E013";
    /// An undefined, redefined or self-referencing variable.
    pub const VARIABLE: &str = "E020";
    /// A condition of `if` that cannot be evaluated.
    pub const CONDITIONAL: &str = "E021";
    /// A statement in a place the grammar does not allow it.
    pub const MISPLACED: &str = "E030";
    /// A bad profile name, attachment, identity or xattrs.
    pub const PROFILE: &str = "E031";
    /// A bad rule prefix (priority, owner, conflicting block prefix).
    pub const PREFIX: &str = "E032";
    /// An `abi` file that cannot be found.
    pub const ABI: &str = "E033";
    /// An unknown or conflicting profile flag.
    pub const FLAG: &str = "E034";
    /// Two profiles with one name at one level.
    pub const DUPLICATE_PROFILE: &str = "E035";
    /// A rule apparmor_parser drops (a warning).
    pub const IGNORED_RULE: &str = "E036";
    /// A file rule that upstream rejects.
    pub const FILE_RULE: &str = "E040";
    /// Exec modes that conflict on one path.
    pub const EXEC_CONFLICT: &str = "E041";
    /// A malformed pattern.
    pub const PATTERN: &str = "E042";
    /// Bad permission letters.
    pub const PERMISSIONS: &str = "E043";
    /// A non-file rule that upstream rejects.
    pub const RULE: &str = "E050";

    /// Every code of this module with its name.
    pub const NAMES: [(&str, &str); 17] = [
        (IO, "io-error"),
        (INCLUDE_MISSING, "include-not-found"),
        (INCLUDE_TOO_DEEP, "include-too-deep"),
        (INCLUDE_CYCLE, "include-cycle"),
        (VARIABLE, "bad-variable"),
        (CONDITIONAL, "bad-condition"),
        (MISPLACED, "misplaced-statement"),
        (PROFILE, "bad-profile"),
        (PREFIX, "bad-prefix"),
        (ABI, "bad-abi"),
        (FLAG, "bad-flag"),
        (DUPLICATE_PROFILE, "duplicate-profile"),
        (IGNORED_RULE, "ignored-rule"),
        (FILE_RULE, "bad-file-rule"),
        (EXEC_CONFLICT, "conflicting-exec"),
        (PATTERN, "bad-pattern"),
        (PERMISSIONS, "bad-permissions"),
    ];
}

/// Where includes are searched.
#[derive(Clone, Debug)]
pub struct ResolveOptions {
    /// `-I DIR` directories, searched in order for `<magic>` includes.
    pub include_dirs: Vec<PathBuf>,
    /// Also search `/etc/apparmor.d` after `include_dirs`.
    pub use_system_dir: bool,
    /// The directory `"relative"` includes are opened from; the working
    /// directory when `None`.
    pub base_dir: Option<PathBuf>,
}

impl Default for ResolveOptions {
    fn default() -> Self {
        ResolveOptions {
            include_dirs: Vec::new(),
            use_system_dir: true,
            base_dir: None,
        }
    }
}

/// The text to check.
#[derive(Clone, Debug)]
pub enum Input {
    Path(PathBuf),
    /// Text read from standard input, named `<stdin>`.
    Stdin(String),
    Text {
        name: String,
        text: String,
    },
}

/// The outcome of [`load`].
#[derive(Debug)]
pub struct Resolved {
    pub sources: SourceMap,
    pub profiles: Vec<model::Profile>,
    pub diagnostics: Vec<Diagnostic>,
    /// The embedded default tunables stood in for a missing `tunables/...`.
    pub used_embedded_tunables: bool,
    /// The variables defined by the input and its includes, so that `prove`
    /// can expand spec patterns as the profile's rules are expanded.
    pub symbols: SymbolTable,
}

impl Resolved {
    pub fn has_errors(&self) -> bool {
        self.diagnostics.iter().any(Diagnostic::is_error)
    }
}

/// Reads, resolves and checks `input`.
///
/// Runs on a thread with a deep stack (see [`crate::parse::with_deep_stack`]).
pub fn load(input: Input, options: &ResolveOptions) -> Resolved {
    crate::parse::with_deep_stack(|| load_here(input, options))
}

/// Resolves the profile text `text` as a file named `test`, with no
/// include directory and no system directory: for unit tests.
#[cfg(test)]
pub(crate) fn load_test_text(text: &str) -> Resolved {
    let input = Input::Text {
        name: "test".into(),
        text: text.into(),
    };
    let options = ResolveOptions {
        use_system_dir: false,
        ..ResolveOptions::default()
    };
    load(input, &options)
}

fn load_here(input: Input, options: &ResolveOptions) -> Resolved {
    let mut resolver = Resolver::new(options);
    let mut profiles = Vec::new();
    if let Some((file, tree)) = resolver.read_input(input) {
        let mut cache = HashSet::new();
        if let Some(path) = resolver.sources.get(file).path.clone() {
            cache.insert(path);
        }
        let mut collected = Vec::new();
        let scope = Scope {
            chain: Vec::new(),
            block: None,
            masked: false,
            depth: 0,
        };
        resolver.walk(
            &tree.items,
            &scope,
            &mut cache,
            Target::Preamble(&mut collected),
        );
        profiles = collected
            .iter()
            .map(|profile| lower::lower_profile(&mut resolver, profile, None))
            .collect();
        lower::check_duplicates(&mut resolver, &profiles);
    }
    Resolved {
        sources: resolver.sources,
        profiles,
        diagnostics: resolver.diagnostics,
        used_embedded_tunables: resolver.used_embedded,
        symbols: resolver.symbols,
    }
}

/// A profile with its includes followed and conditionals decided, before
/// variables are expanded (variables are global, so expansion waits until
/// the whole input has been read).
pub(crate) struct Collected {
    pub header: ast::Profile,
    pub chain: Vec<Span>,
    pub rules: Vec<ScopedRule>,
    pub children: Vec<Collected>,
    /// Includes of this profile block whose file was not found: their
    /// rules are unknown, which `prove` must take into account.
    pub unresolved: Vec<model::UnresolvedInclude>,
}

/// A rule with the prefix of its enclosing blocks merged in.
pub(crate) struct ScopedRule {
    pub rule: ast::Rule,
    pub chain: Vec<Span>,
    /// Its prefix and its blocks' name both `owner` and `other`, so
    /// upstream masks away both halves: the rule is checked but grants
    /// nothing.
    pub masked: bool,
}

/// Where the items being walked go.
enum Target<'a> {
    Preamble(&'a mut Vec<Collected>),
    Profile(&'a mut Collected),
}

impl Target<'_> {
    fn reborrow(&mut self) -> Target<'_> {
        match self {
            Target::Preamble(list) => Target::Preamble(list),
            Target::Profile(profile) => Target::Profile(profile),
        }
    }
}

/// The include chain and enclosing prefix block of the items being walked.
struct Scope<'a> {
    chain: Vec<Span>,
    block: Option<&'a ast::Prefix>,
    /// Nested blocks named both `owner` and `other` (see
    /// [`ScopedRule::masked`]).
    masked: bool,
    /// Nesting of includes, profiles, blocks and conditionals so far.
    depth: usize,
}

pub(crate) struct Resolver<'o> {
    options: &'o ResolveOptions,
    search_dirs: Vec<PathBuf>,
    pub sources: SourceMap,
    pub diagnostics: Vec<Diagnostic>,
    pub symbols: SymbolTable,
    parsed: HashMap<PathBuf, (FileId, Rc<ast::File>)>,
    embedded: Option<(FileId, Rc<ast::File>)>,
    used_embedded: bool,
    /// Set by `decode` for the file about to be added: where its first
    /// invalid UTF-8 byte was.
    bad_utf8_at: Option<usize>,
    /// A top-level profile has been read, which ends the preamble.
    profile_seen: bool,
    /// `alias FROM -> TO,` rules in the order read.
    pub aliases: Vec<(String, String)>,
}

const EMBEDDED_TUNABLES: &str = include_str!("tunables.apparmor");

/// The `tunables/...` files whose definitions the embedded defaults hold;
/// a missing one of these is replaced by them.
const EMBEDDED_TUNABLE_NAMES: [&str; 14] = [
    "tunables/global",
    "tunables/home",
    "tunables/multiarch",
    "tunables/proc",
    "tunables/alias",
    "tunables/kernelvars",
    "tunables/xdg-user-dirs",
    "tunables/share",
    "tunables/etc",
    "tunables/run",
    "tunables/sys",
    "tunables/securityfs",
    "tunables/apparmorfs",
    "tunables/dovecot",
];

impl<'o> Resolver<'o> {
    fn new(options: &'o ResolveOptions) -> Resolver<'o> {
        let search_dirs = include::search_dirs(&options.include_dirs, options.use_system_dir);
        log::debug!("include search path: {search_dirs:?}");
        Resolver {
            options,
            search_dirs,
            sources: SourceMap::new(),
            diagnostics: Vec::new(),
            symbols: SymbolTable::default(),
            parsed: HashMap::new(),
            embedded: None,
            used_embedded: false,
            bad_utf8_at: None,
            profile_seen: false,
            aliases: Vec::new(),
        }
    }

    pub fn report(&mut self, diagnostic: Diagnostic) {
        self.diagnostics.push(diagnostic);
    }

    /// Reports an error at `span`, with the include chain of its file.
    pub fn error(
        &mut self,
        code: &'static str,
        name: &'static str,
        span: Span,
        chain: &[Span],
        message: String,
        label: &str,
    ) {
        let diagnostic = Diagnostic::error(code, name, message)
            .with_primary(span, label)
            .with_include_chain(chain.to_vec());
        self.report(diagnostic);
    }

    fn read_input(&mut self, input: Input) -> Option<(FileId, Rc<ast::File>)> {
        let (name, path, text) = match input {
            Input::Path(path) => {
                let text = self.read_text(&path, None, &[])?;
                (path.display().to_string(), Some(path), text)
            }
            Input::Stdin(text) => ("<stdin>".to_string(), None, text),
            Input::Text { name, text } => (name, None, text),
        };
        log::info!("reading {name}");
        Some(self.add_and_parse(name, path, text, &[]))
    }

    /// Reads a file as text. Invalid UTF-8 is replaced and reported.
    fn read_text(&mut self, path: &Path, at: Option<Span>, chain: &[Span]) -> Option<String> {
        let result = std::fs::metadata(path).and_then(|meta| {
            if !meta.is_file() {
                // Devices and pipes could be read forever.
                return Err(std::io::Error::other("not a regular file"));
            }
            if meta.len() > MAX_FILE_SIZE {
                let message = format!(
                    "file is {} bytes, more than the limit of {MAX_FILE_SIZE}",
                    meta.len()
                );
                return Err(std::io::Error::other(message));
            }
            std::fs::read(path)
        });
        match result {
            Ok(bytes) => Some(self.decode(path, bytes)),
            Err(error) => {
                let message = format!("cannot read `{}`: {error}", path.display());
                let mut diagnostic = Diagnostic::error(codes::IO, "io-error", message)
                    .with_include_chain(chain.to_vec());
                if let Some(span) = at {
                    diagnostic = diagnostic.with_primary(span, "included here");
                }
                self.report(diagnostic);
                None
            }
        }
    }

    fn decode(&mut self, path: &Path, bytes: Vec<u8>) -> String {
        match String::from_utf8(bytes) {
            Ok(text) => text,
            Err(error) => {
                // The text before the first bad byte survives the lossy
                // conversion unchanged, so the offset is still right.
                let valid = error.utf8_error().valid_up_to();
                log::debug!("{} is not UTF-8 from byte {valid}", path.display());
                self.bad_utf8_at = Some(valid);
                String::from_utf8_lossy(error.as_bytes()).into_owned()
            }
        }
    }

    fn add_and_parse(
        &mut self,
        name: String,
        path: Option<PathBuf>,
        text: String,
        chain: &[Span],
    ) -> (FileId, Rc<ast::File>) {
        let file = self.sources.add(SourceFile::new(name, path.clone(), text));
        if let Some(offset) = self.bad_utf8_at.take() {
            let message = format!("file is not UTF-8 text (bad byte at offset {offset})");
            // The bad byte became a three-byte U+FFFD: cover the whole of it
            // so the span ends on a character boundary.
            let text = &self.sources.get(file).text;
            let width = text[offset..].chars().next().map_or(0, char::len_utf8);
            let span = Span::new(file, offset, offset + width);
            let diagnostic = Diagnostic::error(crate::parse::codes::NOT_TEXT, "not-text", message)
                .with_primary(span, "not UTF-8")
                .with_include_chain(chain.to_vec());
            self.report(diagnostic);
        }
        let (tree, diagnostics) = crate::parse::parse_file_here(file, &self.sources.get(file).text);
        for diagnostic in diagnostics {
            self.report(diagnostic.with_include_chain(chain.to_vec()));
        }
        let tree = Rc::new(tree);
        if let Some(path) = path {
            self.parsed.insert(path, (file, tree.clone()));
        }
        (file, tree)
    }

    /// The parsed tree of an included file, read once per run.
    fn parsed_file(&mut self, path: &Path, at: Span, chain: &[Span]) -> Option<Rc<ast::File>> {
        if let Some((_, tree)) = self.parsed.get(path) {
            return Some(tree.clone());
        }
        log::info!("reading {}", path.display());
        let text = self.read_text(path, Some(at), chain)?;
        let name = path.display().to_string();
        Some(
            self.add_and_parse(name, Some(path.to_path_buf()), text, chain)
                .1,
        )
    }

    fn embedded_tunables(&mut self) -> Rc<ast::File> {
        self.used_embedded = true;
        if let Some((_, tree)) = &self.embedded {
            return tree.clone();
        }
        let name = "<embedded tunables>".to_string();
        let (file, tree) = self.add_and_parse(name, None, EMBEDDED_TUNABLES.to_string(), &[]);
        self.embedded = Some((file, tree.clone()));
        tree
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A temporary folder of include files, removed on drop.
    struct TempTree(PathBuf);

    impl TempTree {
        fn new(name: &str, files: &[(&str, &str)]) -> TempTree {
            let unique = format!("aaprove-resolve-{name}-{}", std::process::id());
            let root = std::env::temp_dir().join(unique);
            std::fs::remove_dir_all(&root).ok();
            for (path, text) in files {
                let path = root.join(path);
                std::fs::create_dir_all(path.parent().unwrap()).unwrap();
                std::fs::write(path, text).unwrap();
            }
            TempTree(root)
        }

        fn options(&self) -> ResolveOptions {
            ResolveOptions {
                include_dirs: vec![self.0.join("inc")],
                use_system_dir: false,
                base_dir: Some(self.0.clone()),
            }
        }
    }

    impl Drop for TempTree {
        fn drop(&mut self) {
            std::fs::remove_dir_all(&self.0).ok();
        }
    }

    fn load_with(text: &str, options: &ResolveOptions) -> Resolved {
        let input = Input::Text {
            name: "test.sd".into(),
            text: text.into(),
        };
        load(input, options)
    }

    fn patterns(resolved: &Resolved) -> Vec<String> {
        let profile = &resolved.profiles[0];
        profile
            .file_rules
            .iter()
            .map(|r| r.pattern.clone())
            .collect()
    }

    fn error_codes(resolved: &Resolved) -> Vec<&'static str> {
        let errors = resolved.diagnostics.iter().filter(|d| d.is_error());
        errors.map(|d| d.code).collect()
    }

    #[test]
    fn includes_resolve_as_upstream() {
        let tree = TempTree::new(
            "includes",
            &[
                ("inc/abs/one", "/one r,\n"),
                ("inc/dir/a", "/dir/a r,\n"),
                ("inc/dir/b.dpkg-new", "/dir/bad r,\n"),
                ("inc/dir/.hidden", "/dir/bad r,\n"),
                ("inc/dir/c~", "/dir/bad r,\n"),
                ("inc/dir/d", "/dir/d r,\n"),
                ("rel/two", "/two r,\n"),
            ],
        );
        let cases: [(&str, Vec<&str>); 5] = [
            ("include <abs/one>", vec!["/one"]),
            ("include \"rel/two\"", vec!["/two"]),
            ("include <dir>", vec!["/dir/a", "/dir/d"]),
            ("include <abs/one>\n include <abs/one>", vec!["/one"]),
            ("include if exists <nope>", vec![]),
        ];
        for (include, expected) in cases {
            let text = format!("/p {{\n {include}\n}}\n");
            let resolved = load_with(&text, &tree.options());
            assert!(
                !resolved.has_errors(),
                "{include}: {:?}",
                resolved.diagnostics
            );
            assert_eq!(patterns(&resolved), expected, "{include}");
        }
    }

    #[test]
    fn missing_include_carries_the_chain() {
        let tree = TempTree::new("missing", &[("inc/outer", "include <inner>\n")]);
        let resolved = load_with("/p {\n include <outer>\n}\n", &tree.options());
        let diagnostic = resolved.diagnostics.iter().find(|d| d.is_error()).unwrap();
        assert_eq!(diagnostic.code, codes::INCLUDE_MISSING);
        assert_eq!(diagnostic.include_chain.len(), 1);
        let outer = diagnostic.include_chain[0];
        assert_eq!(resolved.sources.text(outer), "include <outer>");
    }

    #[test]
    fn include_cycles_end_with_a_warning() {
        let tree = TempTree::new(
            "cycle",
            &[
                ("inc/a", "/a r,\ninclude <b>\n"),
                ("inc/b", "include <a>\n"),
            ],
        );
        let resolved = load_with("/p {\n include <a>\n}\n", &tree.options());
        assert!(!resolved.has_errors(), "{:?}", resolved.diagnostics);
        assert!(
            resolved
                .diagnostics
                .iter()
                .any(|d| d.code == codes::INCLUDE_CYCLE)
        );
        assert_eq!(patterns(&resolved), vec!["/a"]);
    }

    #[test]
    fn variables_follow_the_assignment_operators() {
        let options = ResolveOptions::default();
        let cases: [(&str, Result<&str, &str>); 7] = [
            ("@{A} = /a\n@{A} += /b", Ok("{/a,/b}/x")),
            ("@{A} = /a\n@{A} ?= /b", Ok("/a/x")),
            ("@{A} ?= /b", Ok("/b/x")),
            ("@{A} = /a\n@{A} := /c", Ok("/c/x")),
            ("@{A} = /a\n@{A} = /b", Err(codes::VARIABLE)),
            ("@{A} += /b", Err(codes::VARIABLE)),
            ("@{B} = /b", Err(codes::VARIABLE)),
        ];
        for (preamble, expected) in cases {
            let text = format!("{preamble}\n/p {{\n  @{{A}}/x r,\n}}\n");
            let resolved = load_with(
                &text,
                &ResolveOptions {
                    use_system_dir: false,
                    ..options.clone()
                },
            );
            match expected {
                Ok(pattern) => {
                    assert!(
                        !resolved.has_errors(),
                        "{preamble}: {:?}",
                        resolved.diagnostics
                    );
                    assert_eq!(patterns(&resolved), vec![pattern], "{preamble}");
                }
                Err(code) => assert!(error_codes(&resolved).contains(&code), "{preamble}"),
            }
        }
    }

    #[test]
    fn embedded_tunables_stand_in_for_a_missing_global() {
        let text = "include <tunables/global>\n/p {\n  @{PROC}/@{pid}/stat r,\n}\n";
        let resolved = load_test_text(text);
        assert!(!resolved.has_errors(), "{:?}", resolved.diagnostics);
        assert!(resolved.used_embedded_tunables);
        assert!(patterns(&resolved)[0].starts_with("/proc/{[1-9],"));
    }

    #[test]
    fn conditionals_choose_rules() {
        let text = "$on = true\n$off = false\n@{V} = /v\n/p {\n  if $on and not $off {\n    /yes r,\n  } \
                    else {\n    /no r,\n  }\n  if defined @{V} {\n    /defined r,\n  }\n  if $off {\n    \
                    /never r,\n  } else if $on {\n    /elif r,\n  }\n}\n";
        let resolved = load_with(text, &ResolveOptions::default());
        assert!(!resolved.has_errors(), "{:?}", resolved.diagnostics);
        assert_eq!(patterns(&resolved), vec!["/yes", "/defined", "/elif"]);
    }

    #[test]
    fn rules_lower_to_the_model() {
        let text = "/p {\n  file,\n  owner /a/** rw,\n  deny /b x,\n  /c Pix -> other,\n  /d l -> /e,\n  \
                    link subset /f -> /g,\n  priority=5 audit capability sys_admin chown,\n  \
                    signal (receive, send) set=(term, hup),\n  ^hat {\n    /h r,\n  }\n}\n";
        let resolved = load_with(text, &ResolveOptions::default());
        assert!(!resolved.has_errors(), "{:?}", resolved.diagnostics);
        let profile = &resolved.profiles[0];
        let rules: Vec<(String, String)> = profile
            .file_rules
            .iter()
            .map(|r| (r.pattern.clone(), r.perms.letters()))
            .collect();
        let expected = [
            ("/{**,}", "rwalkmx"),
            ("/a/**", "rwa"),
            ("/b", "x"),
            ("/c", "x"),
            ("/d", "l"),
            ("/f", "l"),
        ];
        let expected: Vec<(String, String)> = expected
            .iter()
            .map(|(p, l)| (p.to_string(), l.to_string()))
            .collect();
        assert_eq!(rules, expected);
        assert_eq!(
            profile.file_rules[1].qualifiers.owner,
            model::OwnerQualifier::Owner
        );
        assert_eq!(
            profile.file_rules[2].qualifiers.decision,
            model::Decision::Deny
        );
        let exec = profile.file_rules[3].exec.as_ref().unwrap();
        assert_eq!(exec.target.as_deref(), Some("other"));
        assert_eq!(profile.file_rules[4].link.as_ref().unwrap().pattern, "/e");
        assert!(profile.file_rules[5].link.as_ref().unwrap().subset);
        let other: Vec<(&str, &str)> = profile
            .other_rules
            .iter()
            .map(|r| (r.kind.as_str(), r.body.as_str()))
            .collect();
        assert_eq!(
            other,
            vec![
                ("capability", "chown sys_admin"),
                ("signal", "(receive,send) set=(hup,term)")
            ]
        );
        assert_eq!(profile.other_rules[0].qualifiers.priority, 5);
        assert!(profile.children[0].is_hat);
        assert_eq!(profile.children[0].name, "hat");
    }

    #[test]
    fn variables_expand_in_link_targets_not_in_exec_targets() {
        let text = "@{T}=/t\n/p {\n  /a px -> @{T},\n  l /b -> @{T}/x,\n  link /c -> @{T},\n}\n";
        let resolved = load_test_text(text);
        assert!(!resolved.has_errors(), "{:?}", resolved.diagnostics);
        let rules = &resolved.profiles[0].file_rules;
        let exec = rules[0].exec.as_ref().unwrap();
        assert_eq!(exec.target.as_deref(), Some("@{T}"));
        let links: Vec<&str> = rules[1..]
            .iter()
            .map(|r| r.link.as_ref().unwrap().pattern.as_str())
            .collect();
        assert_eq!(links, ["/t/x", "/t"]);
    }

    #[test]
    fn aliases_match_patterns_before_slashes_collapse() {
        let text = "@{D}=/a\nalias /a/ -> /b/,\n/p {\n  ///a/ r,\n  /a//x r,\n  @{D}/y r,\n}\n";
        let resolved = load_test_text(text);
        assert!(!resolved.has_errors(), "{:?}", resolved.diagnostics);
        assert_eq!(patterns(&resolved), ["/a/", "/a/x", "/b/x", "/a/y", "/b/y"]);
    }

    #[test]
    fn prefix_blocks_apply_as_upstream() {
        use model::{Decision::*, OwnerQualifier::*};
        // Rules kept, as (pattern, owner, decision, audit), and the codes of
        // the diagnostics. A rule naming the half opposite to its block's
        // keeps no permission, which upstream accepts.
        type Kept = (&'static str, model::OwnerQualifier, model::Decision, bool);
        let cases: [(&str, &[Kept], &[&str]); 5] = [
            ("owner { /a r, }", &[("/a", Owner, Allow, false)], &[]),
            (
                "audit other { deny /a w, /b r, }",
                &[("/a", Other, Deny, true), ("/b", Other, Allow, true)],
                &[],
            ),
            (
                "owner { other /a r, /b r, }",
                &[("/b", Owner, Allow, false)],
                &[codes::IGNORED_RULE],
            ),
            (
                "owner { other { /a r, owner /c r, } /b r, }",
                &[("/b", Owner, Allow, false)],
                &[codes::IGNORED_RULE],
            ),
            // An error, as in AppArmor 4.1 (3.0.8 accepts it as a deny rule).
            (
                "allow { deny /a r, }",
                &[("/a", Both, Deny, false)],
                &[codes::PREFIX],
            ),
        ];
        let options = ResolveOptions {
            use_system_dir: false,
            ..ResolveOptions::default()
        };
        for (body, kept, expected_codes) in cases {
            let resolved = load_with(&format!("/p {{\n  {body}\n}}\n"), &options);
            let rules: Vec<String> = resolved.profiles[0]
                .file_rules
                .iter()
                .map(|r| {
                    let q = &r.qualifiers;
                    format!("{:?}", (&r.pattern, q.owner, q.decision, q.audit))
                })
                .collect();
            let kept: Vec<String> = kept.iter().map(|k| format!("{k:?}")).collect();
            assert_eq!(rules, kept, "{body}");
            let codes: Vec<&str> = resolved.diagnostics.iter().map(|d| d.code).collect();
            assert_eq!(codes, expected_codes, "{body}");
        }
    }

    #[test]
    fn every_code_has_one_name() {
        let mut all: Vec<(&str, &str)> = codes::NAMES.to_vec();
        all.push((codes::RULE, "bad-rule"));
        let parse_codes = [
            (crate::parse::codes::SYNTAX, "syntax-error"),
            (crate::parse::codes::TOO_DEEP, "nesting-too-deep"),
            (crate::parse::codes::TOO_MANY_ERRORS, "too-many-errors"),
            (crate::parse::codes::NOT_TEXT, "not-text"),
        ];
        all.extend(parse_codes);
        let codes: HashSet<&str> = all.iter().map(|(code, _)| *code).collect();
        let names: HashSet<&str> = all.iter().map(|(_, name)| *name).collect();
        assert_eq!((codes.len(), names.len()), (all.len(), all.len()));

        // Diagnostics of many broken inputs use each code with its name.
        let inputs = [
            "@{A}=1\n@{A}=2\n/p flags=(bogus, complain, enforce) {\n include <nope>\n              capability bogus,\n owner signal,\n /a/{b} r,\n /a wa,\n /a ix,\n /a px,\n              deny /b ix,\n audit { network, }\n if $nope { }\n @{X}/y r,\n}\n/p {\n}\n",
            "abi <nope>,\n/q {\n /r ux,\n /r rz,\n}\n@{Z}=1\n",
        ];
        for text in inputs {
            let resolved = load_with(text, &ResolveOptions::default());
            assert!(
                resolved.diagnostics.len() >= 3,
                "{:?}",
                resolved.diagnostics
            );
            for diagnostic in &resolved.diagnostics {
                let pair = (diagnostic.code, diagnostic.name);
                assert!(all.contains(&pair), "{pair:?}: {}", diagnostic.message);
            }
        }
    }

    /// Profiles in the style of AppArmor 4.x policy, not in the corpus.
    #[test]
    fn modern_profiles_are_accepted() {
        let profiles = [
            "abi <abi/4.0>,\ninclude if exists <tunables/global>\n\nprofile firefox \
             /usr/lib/firefox/firefox flags=(unconfined) {\n  userns,\n  \
             include if exists <local/firefox>\n}\n",
            "abi <abi/4.0>,\nprofile sandbox flags=(enforce) {\n  priority=10 allow file,\n  \
             priority=-10 deny /etc/shadow r,\n  userns create,\n  mqueue (open, read, write) \
             type=posix /myq,\n  io_uring (override_creds, sqpoll) label=foo,\n  all,\n}\n",
            "profile unconfined-ish flags=(default_allow) {\n  all,\n  deny capability sys_module,\n  \
             audit deny mount,\n  deny ptrace (trace) peer=unconfined,\n}\n",
            "@{exec_path} = /usr/bin/tool{,-helper}\nprofile tool @{exec_path} {\n  \
             @{exec_path} mr,\n  owner @{HOME}/.config/tool/** rw,\n  network inet stream,\n  \
             network inet6 dgram,\n  unix (send, receive) type=stream peer=(label=tool//helper),\n  \
             dbus send bus=session path=/org/tool interface=org.tool member={Get,Set} \
             peer=(name=org.tool),\n  signal (send) set=(term, kill) peer=tool//helper,\n  \
             profile helper {\n    /usr/bin/tool-helper rix,\n  }\n}\n",
        ];
        let tree = TempTree::new("modern", &[("inc/abi/4.0", "")]);
        let mut options = tree.options();
        options.include_dirs.push(PathBuf::from(SYSTEM_DIR));
        for text in profiles {
            let text = format!("include <tunables/global>\n{text}");
            let resolved = load_with(&text, &options);
            assert!(!resolved.has_errors(), "{text}\n{:?}", resolved.diagnostics);
            assert!(!resolved.profiles.is_empty());
        }
    }
}
