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

mod include;
mod lower;
pub mod names;
pub mod pattern;
mod validate;
pub mod variables;

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::rc::Rc;

use crate::diagnostic::Diagnostic;
use crate::model;
use crate::parse::ast::{self, Item};
use crate::source::{FileId, SourceFile, SourceMap, Span};
use variables::{SetVariable, SymbolTable};

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

/// The stable codes of resolution and semantic errors.
pub mod codes {
    pub const IO: &str = "E010";
    pub const INCLUDE_MISSING: &str = "E011";
    pub const INCLUDE_TOO_DEEP: &str = "E012";
    pub const INCLUDE_CYCLE: &str = "E013";
    pub const VARIABLE: &str = "E020";
    pub const CONDITIONAL: &str = "E021";
    pub const MISPLACED: &str = "E030";
    pub const ABI: &str = "E033";
    pub const PROFILE: &str = "E031";
    pub const PREFIX: &str = "E032";
    pub const FILE_RULE: &str = "E040";
    pub const PATTERN: &str = "E042";
    pub const EXEC_CONFLICT: &str = "E041";
    pub const RULE: &str = "E050";
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
}

/// A rule with the prefix of its enclosing blocks merged in.
pub(crate) struct ScopedRule {
    pub rule: ast::Rule,
    pub chain: Vec<Span>,
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
            let span = Span::new(file, offset, offset + 1);
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

    // ---- walking items -----------------------------------------------------

    fn walk(
        &mut self,
        items: &[Item],
        scope: &Scope<'_>,
        cache: &mut HashSet<PathBuf>,
        mut target: Target<'_>,
    ) {
        for item in items {
            self.walk_item(item, scope, cache, target.reborrow());
        }
    }

    fn walk_item(
        &mut self,
        item: &Item,
        scope: &Scope<'_>,
        cache: &mut HashSet<PathBuf>,
        target: Target<'_>,
    ) {
        if scope.depth >= MAX_NESTING
            && let Some(span) = nesting_span(item)
        {
            let message = format!("includes and blocks nested deeper than {MAX_NESTING} levels");
            let chain = &scope.chain;
            self.error(
                codes::INCLUDE_TOO_DEEP,
                "nesting-too-deep",
                span,
                chain,
                message,
                "too deep",
            );
            return;
        }
        let in_profile = matches!(target, Target::Profile(_));
        match item {
            Item::Abi(abi) => self.abi(abi, &scope.chain),
            Item::Include(include) => self.include(include, scope, cache, target),
            Item::Variable(assignment) if !in_profile => self.assign_set(assignment, &scope.chain),
            Item::Boolean(assignment) if !in_profile => {
                self.assign_boolean(assignment, &scope.chain)
            }
            // FIXME: aliases are accepted but not applied; upstream rewrites
            // rule paths under `from` to `to`, so the model of a profile
            // using `alias` lacks those rewritten rules.
            Item::Alias(_) if !in_profile => {}
            Item::Profile(profile) => self.walk_profile(profile, scope, target),
            Item::Rule(rule) => match target {
                Target::Profile(collected) => self.add_rule(rule, scope, collected),
                Target::Preamble(_) => {
                    self.misplaced(rule.span, &scope.chain, "a rule outside of a profile")
                }
            },
            Item::PrefixBlock(block) => match target {
                Target::Profile(_) => self.walk_block(block, scope, cache, target),
                Target::Preamble(_) => self.misplaced(
                    block.span,
                    &scope.chain,
                    "a rule block outside of a profile",
                ),
            },
            Item::Conditional(conditional) => match target {
                Target::Profile(_) => self.walk_conditional(conditional, scope, cache, target),
                Target::Preamble(_) => self.misplaced(
                    conditional.span,
                    &scope.chain,
                    "a conditional outside of a profile",
                ),
            },
            Item::Variable(v) => self.misplaced(
                v.span,
                &scope.chain,
                "a variable assignment inside a profile",
            ),
            Item::Boolean(v) => self.misplaced(
                v.span,
                &scope.chain,
                "a variable assignment inside a profile",
            ),
            Item::Alias(a) => self.misplaced(a.span, &scope.chain, "an alias inside a profile"),
        }
    }

    /// `abi <name>,` must name a readable features file (or the special
    /// `<kernel>` and `<default>`), found as an include would be.
    fn abi(&mut self, abi: &ast::Abi, chain: &[Span]) {
        let name = abi.path.text.as_str();
        let problem = if name.is_empty() {
            Some("`abi` needs a file name".to_string())
        } else if abi.magic && (name == "kernel" || name == "default") {
            None
        } else {
            let base = self.options.base_dir.as_deref();
            match include::locate(name, abi.magic, &self.search_dirs, base) {
                include::Located::Found(path) if path.is_file() => None,
                _ => Some(format!("cannot find the features abi file `{name}`")),
            }
        };
        if let Some(message) = problem {
            self.error(codes::ABI, "bad-abi", abi.span, chain, message, "abi here");
        }
    }

    fn misplaced(&mut self, span: Span, chain: &[Span], what: &str) {
        let message = format!("{what} is not allowed here");
        self.error(
            codes::MISPLACED,
            "misplaced-statement",
            span,
            chain,
            message,
            "not allowed here",
        );
    }

    fn include(
        &mut self,
        include: &ast::Include,
        scope: &Scope<'_>,
        cache: &mut HashSet<PathBuf>,
        target: Target<'_>,
    ) {
        let name = include.path.text.clone();
        if scope.chain.len() >= MAX_INCLUDE_DEPTH {
            let message = format!("includes nested deeper than {MAX_INCLUDE_DEPTH} levels");
            self.error(
                codes::INCLUDE_TOO_DEEP,
                "include-too-deep",
                include.span,
                &scope.chain,
                message,
                "too deep",
            );
            return;
        }
        let located = include::locate(
            &name,
            include.magic,
            &self.search_dirs,
            self.options.base_dir.as_deref(),
        );
        let mut chain = scope.chain.clone();
        chain.push(include.span);
        let inner = Scope {
            chain,
            block: scope.block,
            depth: scope.depth + 1,
        };
        match located {
            include::Located::Found(path) if path.is_dir() => {
                self.include_dir(&path, include, &inner, cache, target)
            }
            include::Located::Found(path) => {
                self.include_file(&path, include, &inner, cache, target)
            }
            include::Located::Missing(_) if include.if_exists => {
                log::debug!("optional include `{name}` not found");
            }
            include::Located::Missing(_)
                if include.magic && EMBEDDED_TUNABLE_NAMES.contains(&name.as_str()) =>
            {
                log::info!("`{name}` not found; using the embedded default tunables");
                let tree = self.embedded_tunables();
                self.walk(&tree.items, &inner, cache, target);
            }
            include::Located::Missing(tried) => self.missing_include(include, &scope.chain, &tried),
        }
    }

    fn missing_include(&mut self, include: &ast::Include, chain: &[Span], tried: &[PathBuf]) {
        let name = &include.path.text;
        let message = format!("cannot find included file `{name}`");
        let searched: Vec<String> = tried.iter().map(|p| p.display().to_string()).collect();
        let diagnostic = Diagnostic::error(codes::INCLUDE_MISSING, "include-not-found", message)
            .with_primary(include.span, "included here")
            .with_note(format!("looked for: {}", searched.join(", ")))
            .with_help("write `include if exists` for an optional file, or pass `-I DIR`")
            .with_include_chain(chain.to_vec());
        self.report(diagnostic);
    }

    fn include_file(
        &mut self,
        path: &Path,
        include: &ast::Include,
        scope: &Scope<'_>,
        cache: &mut HashSet<PathBuf>,
        target: Target<'_>,
    ) {
        if !cache.insert(path.to_path_buf()) {
            // Upstream's include cache: a file already read in this block
            // is skipped, which also ends include cycles.
            if self.is_on_chain(path, &scope.chain) {
                let message = format!("`{}` includes itself", include.path.text);
                let diagnostic =
                    Diagnostic::warning(codes::INCLUDE_CYCLE, "include-cycle", message)
                        .with_primary(include.span, "skipped: already being included")
                        .with_include_chain(scope.chain[..scope.chain.len() - 1].to_vec());
                self.report(diagnostic);
            }
            log::debug!("skipping repeated include of {}", path.display());
            return;
        }
        let Some(tree) = self.parsed_file(path, include.span, &scope.chain) else {
            return;
        };
        self.walk(&tree.items, scope, cache, target);
    }

    /// True when `path` is the file of one of the include lines on `chain`
    /// (so including it again would be a cycle).
    fn is_on_chain(&self, path: &Path, chain: &[Span]) -> bool {
        chain
            .iter()
            .any(|span| self.sources.get(span.file).path.as_deref() == Some(path))
    }

    fn include_dir(
        &mut self,
        dir: &Path,
        include: &ast::Include,
        scope: &Scope<'_>,
        cache: &mut HashSet<PathBuf>,
        mut target: Target<'_>,
    ) {
        let entries = match include::directory_entries(dir) {
            Ok(entries) => entries,
            Err(error) => {
                let message = format!("cannot read directory `{}`: {error}", dir.display());
                self.error(
                    codes::IO,
                    "io-error",
                    include.span,
                    &scope.chain,
                    message,
                    "included here",
                );
                return;
            }
        };
        for entry in entries {
            self.include_file(&entry, include, scope, cache, target.reborrow());
        }
    }

    fn walk_profile(&mut self, profile: &ast::Profile, scope: &Scope<'_>, target: Target<'_>) {
        let header = ast::Profile {
            items: Vec::new(),
            ..profile.clone()
        };
        let mut collected = Collected {
            header,
            chain: scope.chain.clone(),
            rules: Vec::new(),
            children: Vec::new(),
        };
        // Each profile block starts a fresh include cache, as upstream.
        let mut cache = HashSet::new();
        let inner = Scope {
            chain: scope.chain.clone(),
            block: None,
            depth: scope.depth + 1,
        };
        self.walk(
            &profile.items,
            &inner,
            &mut cache,
            Target::Profile(&mut collected),
        );
        match target {
            Target::Preamble(list) => {
                self.check_top_level_name(profile, &scope.chain);
                list.push(collected);
            }
            Target::Profile(parent) => {
                if profile.keyword == ast::ProfileKeyword::None {
                    let message =
                        "a child profile needs the keyword `profile` or `hat`".to_string();
                    self.error(
                        codes::PROFILE,
                        "bad-profile",
                        profile.name.span,
                        &scope.chain,
                        message,
                        "no keyword",
                    );
                }
                parent.children.push(collected);
            }
        }
    }

    fn check_top_level_name(&mut self, profile: &ast::Profile, chain: &[Span]) {
        let name = &profile.name.text;
        let keyword = profile.keyword != ast::ProfileKeyword::None;
        let ok = name.starts_with('/') || name.starts_with(':') || keyword;
        if !ok {
            let message = format!(
                "profile name `{name}` must begin with `/`, a namespace, or the keyword `profile`"
            );
            self.error(
                codes::PROFILE,
                "bad-profile",
                profile.name.span,
                chain,
                message,
                "bad name",
            );
        }
    }

    fn walk_block(
        &mut self,
        block: &ast::PrefixBlock,
        scope: &Scope<'_>,
        cache: &mut HashSet<PathBuf>,
        target: Target<'_>,
    ) {
        if let Some((word, span)) = &block.prefix.priority
            && word.text.parse::<i64>() != Ok(0)
        {
            let message = "priority is not allowed on rule blocks".to_string();
            self.error(
                codes::PREFIX,
                "bad-prefix",
                *span,
                &scope.chain,
                message,
                "not allowed on a block",
            );
        }
        let merged = match scope.block {
            Some(outer) => {
                merge_prefix(outer, &block.prefix).unwrap_or_else(|| block.prefix.clone())
            }
            None => block.prefix.clone(),
        };
        let inner = Scope {
            chain: scope.chain.clone(),
            block: Some(&merged),
            depth: scope.depth + 1,
        };
        self.walk(&block.items, &inner, cache, target);
    }

    fn add_rule(&mut self, rule: &ast::Rule, scope: &Scope<'_>, collected: &mut Collected) {
        let mut rule = rule.clone();
        let is_file = matches!(
            rule.kind,
            ast::RuleKind::File(_) | ast::RuleKind::FileAll | ast::RuleKind::Link(_)
        );
        if scope.block.is_some() && !is_file {
            // apparmor_parser applies a block's prefix to its file rules
            // only and drops every other rule of the block.
            let message = format!(
                "{} rule inside a prefix block is ignored",
                rule.kind.keyword()
            );
            let diagnostic = Diagnostic::warning(codes::MISPLACED, "ignored-rule", message)
                .with_primary(rule.span, "dropped by apparmor_parser")
                .with_help("move the rule out of the block and write the prefix on it")
                .with_include_chain(scope.chain.clone());
            self.report(diagnostic);
            return;
        }
        if let Some(block) = scope.block {
            match merge_prefix(block, &rule.prefix) {
                Some(prefix) => rule.prefix = prefix,
                None => {
                    let message = "the rule's prefix conflicts with its block's prefix".to_string();
                    self.error(
                        codes::PREFIX,
                        "bad-prefix",
                        rule.span,
                        &scope.chain,
                        message,
                        "conflicting prefix",
                    );
                }
            }
        }
        collected.rules.push(ScopedRule {
            rule,
            chain: scope.chain.clone(),
        });
    }

    fn walk_conditional(
        &mut self,
        conditional: &ast::Conditional,
        scope: &Scope<'_>,
        cache: &mut HashSet<PathBuf>,
        target: Target<'_>,
    ) {
        let Some(value) = self.evaluate(&conditional.condition, &scope.chain) else {
            return;
        };
        let inner = Scope {
            chain: scope.chain.clone(),
            block: scope.block,
            depth: scope.depth + 1,
        };
        if value {
            self.walk(&conditional.then_items, &inner, cache, target);
        } else if let Some(items) = &conditional.else_items {
            self.walk(items, &inner, cache, target);
        }
    }

    // ---- variables -----------------------------------------------------------

    fn assign_set(&mut self, assignment: &ast::VariableAssignment, chain: &[Span]) {
        let name = assignment.name.clone();
        let values: Vec<String> = assignment.values.iter().map(|w| w.text.clone()).collect();
        let exists =
            self.symbols.sets.contains_key(&name) || self.symbols.booleans.contains_key(&name);
        match assignment.op {
            ast::AssignOp::Append => match self.symbols.sets.get_mut(&name) {
                Some(variable) => variable.values.extend(values),
                None => {
                    let message =
                        format!("`@{{{name}}}` gets values with `+=` but was never defined");
                    self.error(
                        codes::VARIABLE,
                        "bad-variable",
                        assignment.name_span,
                        chain,
                        message,
                        "not defined",
                    );
                }
            },
            ast::AssignOp::Define if exists => {
                let message = format!("variable `@{{{name}}}` is already defined");
                let mut diagnostic = Diagnostic::error(codes::VARIABLE, "bad-variable", message)
                    .with_primary(assignment.name_span, "defined again here")
                    .with_help("write `+=` to add values, or `:=` to replace them")
                    .with_include_chain(chain.to_vec());
                if let Some(previous) = self.symbols.sets.get(&name) {
                    diagnostic = diagnostic.with_secondary(previous.span, "first defined here");
                }
                self.report(diagnostic);
            }
            ast::AssignOp::DefineIfUndefined if exists => {}
            _ => {
                self.symbols.booleans.remove(&name);
                let variable = SetVariable {
                    values,
                    span: assignment.name_span,
                };
                self.symbols.sets.insert(name, variable);
            }
        }
    }

    fn assign_boolean(&mut self, assignment: &ast::BooleanAssignment, chain: &[Span]) {
        let name = &assignment.name;
        let exists =
            self.symbols.booleans.contains_key(name) || self.symbols.sets.contains_key(name);
        let problem = match assignment.op {
            ast::AssignOp::Append => Some("`+=` is not allowed with boolean variables"),
            ast::AssignOp::Define if exists => Some("boolean variable is already defined"),
            _ => None,
        };
        if let Some(problem) = problem {
            let message = format!("{problem}: `${name}`");
            self.error(
                codes::VARIABLE,
                "bad-variable",
                assignment.span,
                chain,
                message,
                "here",
            );
            return;
        }
        let Some(value) = self.evaluate(&assignment.value, chain) else {
            return;
        };
        if assignment.op == ast::AssignOp::DefineIfUndefined && exists {
            return;
        }
        self.symbols.sets.remove(name);
        self.symbols.booleans.insert(name.clone(), value);
    }

    /// Evaluates a condition; `None` after reporting an error.
    fn evaluate(&mut self, expr: &ast::Expr, chain: &[Span]) -> Option<bool> {
        match expr {
            ast::Expr::Boolean(name, span) => match self.symbols.booleans.get(name) {
                Some(value) => Some(*value),
                None => {
                    let message = format!("boolean variable `${name}` is not defined");
                    self.error(
                        codes::CONDITIONAL,
                        "bad-condition",
                        *span,
                        chain,
                        message,
                        "not defined",
                    );
                    None
                }
            },
            ast::Expr::Defined { name, set, .. } => Some(if *set {
                self.symbols.sets.contains_key(name)
            } else {
                self.symbols.booleans.contains_key(name)
            }),
            ast::Expr::Literal(word) => match word.text.to_ascii_lowercase().as_str() {
                "true" => Some(true),
                "false" => Some(false),
                _ => {
                    let message = format!("`{}` is not true or false", word.text);
                    self.error(
                        codes::CONDITIONAL,
                        "bad-condition",
                        word.span,
                        chain,
                        message,
                        "not a boolean",
                    );
                    None
                }
            },
            ast::Expr::Not(inner) => self.evaluate(inner, chain).map(|v| !v),
            ast::Expr::And(left, right) => {
                let left = self.evaluate(left, chain)?;
                let right = self.evaluate(right, chain)?;
                Some(left && right)
            }
            ast::Expr::Or(left, right) => {
                let left = self.evaluate(left, chain)?;
                let right = self.evaluate(right, chain)?;
                Some(left || right)
            }
            ast::Expr::Compare { left, op, right } => self.compare(left, op, right, chain),
        }
    }

    fn compare(
        &mut self,
        left: &ast::Word,
        op: &str,
        right: &ast::Word,
        chain: &[Span],
    ) -> Option<bool> {
        let left_set = self.operand(left, chain)?;
        let right_set = self.operand(right, chain)?;
        let numbers = |set: &std::collections::BTreeSet<String>| -> Option<i64> {
            (set.len() == 1)
                .then(|| set.iter().next()?.parse().ok())
                .flatten()
        };
        Some(match op {
            "==" => left_set == right_set,
            "!=" => left_set != right_set,
            "in" => left_set.is_subset(&right_set),
            _ => match (numbers(&left_set), numbers(&right_set)) {
                (Some(l), Some(r)) => compare_ordered(op, l, r),
                (None, None) => compare_ordered(op, left_set, right_set),
                _ => {
                    let message = "cannot compare a number with a set".to_string();
                    self.error(
                        codes::CONDITIONAL,
                        "bad-condition",
                        left.span,
                        chain,
                        message,
                        "here",
                    );
                    return None;
                }
            },
        })
    }

    fn operand(
        &mut self,
        word: &ast::Word,
        chain: &[Span],
    ) -> Option<std::collections::BTreeSet<String>> {
        let text = &word.text;
        let Some(name) = text.strip_prefix("@{").and_then(|t| t.strip_suffix('}')) else {
            return Some([text.clone()].into_iter().collect());
        };
        match self.symbols.expand_set(name) {
            Ok(set) => Some(set),
            Err(error) => {
                self.error(
                    codes::VARIABLE,
                    "bad-variable",
                    word.span,
                    chain,
                    error.message(),
                    "here",
                );
                None
            }
        }
    }
}

fn compare_ordered<T: PartialOrd>(op: &str, left: T, right: T) -> bool {
    match op {
        ">" => left > right,
        ">=" => left >= right,
        "<" => left < right,
        _ => left <= right,
    }
}

/// The prefix of a rule inside a block: the block's parts fill in the
/// rule's missing ones. `None` when the two decide differently.
fn merge_prefix(block: &ast::Prefix, rule: &ast::Prefix) -> Option<ast::Prefix> {
    let mut merged = rule.clone();
    match (&block.decision, &rule.decision) {
        (Some((a, _)), Some((b, _))) if a != b => return None,
        (Some(decision), None) => merged.decision = Some(*decision),
        _ => {}
    }
    match (&block.owner, &rule.owner) {
        (Some((a, _)), Some((b, _))) if a != b => return None,
        (Some(owner), None) => merged.owner = Some(*owner),
        _ => {}
    }
    if merged.audit.is_none() {
        merged.audit = block.audit;
    }
    if merged.priority.is_none() {
        merged.priority = block.priority.clone();
    }
    Some(merged)
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
        let options = ResolveOptions {
            include_dirs: Vec::new(),
            use_system_dir: false,
            base_dir: None,
        };
        let text = "include <tunables/global>\n/p {\n  @{PROC}/@{pid}/stat r,\n}\n";
        let resolved = load_with(text, &options);
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
            ("/c", "mx"),
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
