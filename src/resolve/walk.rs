//! Walking the items of a file: following includes, collecting profiles
//! and their rules, applying prefix blocks and deciding conditionals.
//!
//! The walk follows upstream's textual include semantics: an included
//! file's items take the place of the `include` line, and a file is read
//! at most once per profile block (upstream's include cache), which also
//! ends include cycles.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use super::{
    Collected, EMBEDDED_TUNABLE_NAMES, MAX_INCLUDE_DEPTH, MAX_NESTING, Resolver, Scope, ScopedRule,
    Target, codes, include, nesting_span,
};
use crate::diagnostic::Diagnostic;
use crate::model;
use crate::parse::ast::{self, Item};
use crate::source::Span;

impl Resolver<'_> {
    pub(super) fn walk(
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
                crate::parse::codes::TOO_DEEP,
                "nesting-too-deep",
                span,
                chain,
                message,
                "too deep",
            );
            return;
        }
        let in_profile = matches!(target, Target::Profile(_));
        if !in_profile && self.late_preamble(item, &scope.chain) {
            return;
        }
        match item {
            Item::Abi(abi) => self.abi(abi, &scope.chain),
            Item::Include(include) => self.include(include, scope, cache, target),
            Item::Variable(assignment) if !in_profile => self.assign_set(assignment, &scope.chain),
            Item::Boolean(assignment) if !in_profile => {
                self.assign_boolean(assignment, &scope.chain)
            }
            Item::Alias(alias) if !in_profile => {
                // A repeated `from` keeps its first target, as upstream.
                let from = alias.from.text.clone();
                if !self.aliases.iter().any(|(known, _)| *known == from) {
                    self.aliases.push((from, alias.to.text.clone()));
                }
            }
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

    /// Upstream's grammar reads the preamble (abi, variables, aliases)
    /// before the first profile; reports one that comes later.
    fn late_preamble(&mut self, item: &Item, chain: &[Span]) -> bool {
        let span = match item {
            Item::Abi(abi) => abi.span,
            Item::Variable(variable) => variable.span,
            Item::Boolean(boolean) => boolean.span,
            Item::Alias(alias) => alias.span,
            _ => return false,
        };
        if !self.profile_seen {
            return false;
        }
        let message = "this statement must come before the first profile".to_string();
        self.error(
            codes::MISPLACED,
            "misplaced-statement",
            span,
            chain,
            message,
            "after a profile",
        );
        true
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
        log_include(&name, include.magic, &self.search_dirs, &located);
        let mut chain = scope.chain.clone();
        chain.push(include.span);
        let inner = Scope {
            chain,
            block: scope.block,
            masked: scope.masked,
            depth: scope.depth + 1,
        };
        match located {
            include::Located::Found(path) if path.is_dir() => {
                self.include_dir(&path, include, &inner, cache, target)
            }
            include::Located::Found(path) if path.is_file() => {
                self.include_file(&path, include, &inner, cache, target)
            }
            include::Located::Found(path) => {
                // Upstream reads regular files and directories only.
                log::debug!("skipping include of special file {}", path.display());
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
            include::Located::Missing(tried) => {
                self.missing_include(include, &scope.chain, &tried);
                if let Target::Profile(collected) = target {
                    collected.unresolved.push(model::UnresolvedInclude {
                        name: name.clone(),
                        origin: model::Origin {
                            span: include.span,
                            include_chain: scope.chain.clone(),
                        },
                    });
                }
            }
        }
    }

    fn missing_include(&mut self, include: &ast::Include, chain: &[Span], tried: &[PathBuf]) {
        let name = &include.path.text;
        let message = format!("cannot find included file `{name}`");
        let note = if include.magic && self.search_dirs.is_empty() {
            "no include directories to search: `--no-system-dir` and no `-I`".to_string()
        } else if include.magic {
            let dirs: Vec<String> = self.search_dirs.iter().map(|d| quote_path(d)).collect();
            format!("searched the include directories {}", dirs.join(", "))
        } else {
            let tried: Vec<String> = tried.iter().map(|p| quote_path(p)).collect();
            let relative = tried.iter().any(|p| !p.starts_with("`/"));
            let base = if relative {
                " (relative to the working directory)"
            } else {
                ""
            };
            format!("looked for {}{base}", tried.join(", "))
        };
        let help = if include.magic {
            "pass `-I DIR` for the directory that holds it, or write `include if exists`"
        } else {
            "write `<name>` to search the include directories, or `include if exists`"
        };
        let diagnostic = Diagnostic::error(codes::INCLUDE_MISSING, "include-not-found", message)
            .with_primary(include.span, "included here")
            .with_note(note)
            .with_help(help)
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
            unresolved: Vec::new(),
        };
        // Each profile block starts a fresh include cache, as upstream.
        let mut cache = HashSet::new();
        let inner = Scope {
            chain: scope.chain.clone(),
            block: None,
            masked: false,
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
                self.profile_seen = true;
                self.check_top_level_name(profile, &scope.chain);
                list.push(collected);
            }
            Target::Profile(parent) => {
                if profile.keyword == ast::ProfileKeyword::None {
                    let message =
                        "a child profile needs the keyword `profile` or `hat`".to_string();
                    let name = &profile.name.text;
                    let diagnostic = Diagnostic::error(codes::PROFILE, "bad-profile", message)
                        .with_primary(profile.name.span, "no keyword")
                        .with_help(format!("write `profile {name}` or `hat {name}`"))
                        .with_include_chain(scope.chain.clone());
                    self.report(diagnostic);
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
        let masked = scope.masked || self.masks_both_halves(scope, &block.prefix, block.span);
        let merged = match scope.block {
            Some(outer) => merge_prefix(outer, &without_owner(&block.prefix, masked))
                .unwrap_or_else(|| block.prefix.clone()),
            None => block.prefix.clone(),
        };
        let inner = Scope {
            chain: scope.chain.clone(),
            block: Some(&merged),
            masked,
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
            let diagnostic = Diagnostic::warning(codes::IGNORED_RULE, "ignored-rule", message)
                .with_primary(rule.span, "dropped by apparmor_parser")
                .with_help("move the rule out of the block and write the prefix on it")
                .with_include_chain(scope.chain.clone());
            self.report(diagnostic);
            return;
        }
        let masked = scope.masked || self.masks_both_halves(scope, &rule.prefix, rule.span);
        if let Some(block) = scope.block {
            match merge_prefix(block, &without_owner(&rule.prefix, masked)) {
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
            masked,
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
            masked: scope.masked,
            depth: scope.depth + 1,
        };
        if value {
            self.walk(&conditional.then_items, &inner, cache, target);
        } else if let Some(items) = &conditional.else_items {
            self.walk(items, &inner, cache, target);
        }
    }
}

impl Resolver<'_> {
    /// Whether `prefix` names the half (`owner` or `other`) opposite to
    /// the enclosing block's; then it is reported once, at `span`.
    /// Upstream applies each prefix's mask in turn, so such a rule keeps
    /// no permission, and accepts it.
    fn masks_both_halves(&mut self, scope: &Scope<'_>, prefix: &ast::Prefix, span: Span) -> bool {
        let block_owner = scope.block.and_then(|block| block.owner);
        let (Some((outer, _)), Some((inner, _))) = (block_owner, prefix.owner) else {
            return false;
        };
        if outer == inner {
            return false;
        }
        let message = "this rule grants nothing: `owner` and `other` together leave it no \
                       permission"
            .to_string();
        let diagnostic = Diagnostic::warning(codes::IGNORED_RULE, "ignored-rule", message)
            .with_primary(span, "inside a block of the other half")
            .with_help("remove the rule, or move it out of the block")
            .with_include_chain(scope.chain.clone());
        self.report(diagnostic);
        true
    }
}

/// `prefix` without its owner qualifier when `masked`, so that merging it
/// with its block's does not conflict.
fn without_owner(prefix: &ast::Prefix, masked: bool) -> ast::Prefix {
    let mut prefix = prefix.clone();
    if masked {
        prefix.owner = None;
    }
    prefix
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

/// `path` in backquotes, for notes.
fn quote_path(path: &Path) -> String {
    format!("`{}`", path.display())
}

/// Logs (at info level, `-v`) where an include was searched and found.
fn log_include(name: &str, magic: bool, dirs: &[PathBuf], located: &include::Located) {
    let searched = if magic {
        let dirs: Vec<String> = dirs.iter().map(|d| d.display().to_string()).collect();
        format!("<{name}> searched in [{}]", dirs.join(", "))
    } else {
        format!("\"{name}\" (a relative name)")
    };
    match located {
        include::Located::Found(path) => log::info!("include {searched}: found {}", path.display()),
        include::Located::Missing(_) => log::info!("include {searched}: not found"),
    }
}
