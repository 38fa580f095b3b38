//! Lowering collected profiles to the [`model`]: variables expanded,
//! permissions decoded, and the checks `apparmor_parser` makes on profiles
//! and file rules.
//!
//! Permission words are decoded as upstream does: letters in any order,
//! upper-case `R`, `W`, `L`, `M`, `X` as deprecated spellings, `w` and `a`
//! exclusive, at most one exec qualifier per word. A rule granting `x`
//! needs a qualifier unless it denies; a deny rule must not have one.

use std::collections::HashMap;

use super::pattern::pattern_problem;
use super::variables::{ExpandError, SetVariable};
use super::{Collected, Resolver, ScopedRule, codes, validate};
use crate::diagnostic::Diagnostic;
use crate::model::{self, Decision, ExecMode, ExecTransition, FilePerms};
use crate::parse::ast::{self, ExecSafety, RuleKind};
use crate::source::Span;

/// The range of `priority=N`.
pub const PRIORITY_RANGE: std::ops::RangeInclusive<i64> = -1000..=1000;

/// Decoded permission letters of a file rule.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DecodedPerms {
    pub perms: FilePerms,
    pub exec: Option<ExecMode>,
}

/// Decodes a permission word such as `rwix` or `Pix`.
pub fn decode_perms(word: &str) -> Result<DecodedPerms, String> {
    let chars: Vec<char> = word.chars().collect();
    let mut decoded = DecodedPerms::default();
    let mut index = 0;
    while index < chars.len() {
        let c = chars[index];
        let next = chars.get(index + 1).copied().unwrap_or('\0');
        let consumed = match c {
            'r' | 'R' => add(&mut decoded, FilePerms::READ),
            'w' | 'W' => {
                if decoded.perms.contains(FilePerms::APPEND)
                    && !decoded.perms.contains(FilePerms::WRITE)
                {
                    return Err("`a` and `w` permissions exclude each other".into());
                }
                add(&mut decoded, FilePerms::WRITE.union(FilePerms::APPEND))
            }
            'a' => {
                if decoded.perms.contains(FilePerms::WRITE) {
                    return Err("`a` and `w` permissions exclude each other".into());
                }
                add(&mut decoded, FilePerms::APPEND)
            }
            'l' | 'L' => add(&mut decoded, FilePerms::LINK),
            'k' => add(&mut decoded, FilePerms::LOCK),
            'm' | 'M' => add(&mut decoded, FilePerms::MMAP),
            'x' | 'X' => {
                decoded.perms = decoded.perms.union(FilePerms::EXEC);
                if decoded.exec.is_none() {
                    decoded.exec = Some(bare_exec());
                }
                1
            }
            'i' | 'I' | 'u' | 'U' | 'p' | 'P' | 'c' | 'C' => {
                qualifier(&mut decoded, c, next, &chars[index..])?
            }
            _ => return Err(format!("unknown permission `{c}`")),
        };
        index += consumed;
    }
    Ok(decoded)
}

fn add(decoded: &mut DecodedPerms, perms: FilePerms) -> usize {
    decoded.perms = decoded.perms.union(perms);
    1
}

fn bare_exec() -> ExecMode {
    ExecMode {
        transition: None,
        scrub: false,
        fallback: None,
        target: None,
    }
}

/// An exec qualifier starting at `rest[0]`; returns the letters consumed.
fn qualifier(
    decoded: &mut DecodedPerms,
    c: char,
    next: char,
    rest: &[char],
) -> Result<usize, String> {
    let (mode, consumed) = match c {
        'i' | 'I' => (exec_mode(ExecTransition::Inherit, false, None), 2),
        'u' => (exec_mode(ExecTransition::Unconfined, false, None), 2),
        'U' => (exec_mode(ExecTransition::Unconfined, true, None), 2),
        _ => {
            let transition = if c.eq_ignore_ascii_case(&'p') {
                ExecTransition::Profile
            } else {
                ExecTransition::Child
            };
            let scrub = c.is_ascii_uppercase();
            match next.to_ascii_lowercase() {
                'i' => (
                    exec_mode(transition, scrub, Some(ExecTransition::Inherit)),
                    3,
                ),
                'u' => (
                    exec_mode(transition, scrub, Some(ExecTransition::Unconfined)),
                    3,
                ),
                _ => (exec_mode(transition, scrub, None), 2),
            }
        }
    };
    if rest.len() < consumed || !rest[consumed - 1].eq_ignore_ascii_case(&'x') {
        return Err(format!("exec qualifier `{c}` must be followed by `x`"));
    }
    // A bare `x` before `u`, `p` or `c` conflicts too: upstream compares
    // exec types once `x` is set, and only `i` checks for a qualifier.
    let bare_before =
        |existing: &ExecMode| existing.transition.is_none() && !matches!(c, 'i' | 'I');
    if let Some(existing) = &decoded.exec
        && (existing.transition.is_some() || bare_before(existing))
        && *existing != mode
    {
        let text: String = rest[..consumed].iter().collect();
        return Err(format!(
            "exec qualifier `{text}` conflicts with an earlier qualifier"
        ));
    }
    // `ix`, `pix` and `cix` also grant `m`, but the compile layer adds it:
    // upstream takes a rule's audit bits from the letters written, so an
    // implied `m` is never audited (`audit /a ix` audits only `x`).
    decoded.perms = decoded.perms.union(FilePerms::EXEC);
    decoded.exec = Some(mode);
    Ok(consumed)
}

fn exec_mode(
    transition: ExecTransition,
    scrub: bool,
    fallback: Option<ExecTransition>,
) -> ExecMode {
    ExecMode {
        transition: Some(transition),
        scrub,
        fallback,
        target: None,
    }
}

/// Lowers one collected profile and its children.
pub(crate) fn lower_profile(
    resolver: &mut Resolver<'_>,
    collected: &Collected,
    parent: Option<&str>,
) -> model::Profile {
    let header = &collected.header;
    let chain = &collected.chain;
    let name = match expand_or_report(resolver, &header.name, chain) {
        // Upstream compiles the name only when it is also the attachment.
        Some(name) if header.attachment.is_none() && name.starts_with('/') => {
            check_pattern(resolver, &header.name, &name, chain);
            name
        }
        Some(name) => name,
        None => header.name.text.clone(),
    };
    let attachment = lower_attachment(resolver, header, &name, chain);
    check_header(resolver, header, chain);
    let saved = set_profile_variables(resolver, &name, attachment.as_deref());

    let mut profile = model::Profile {
        name: name.clone(),
        origin: model::Origin {
            span: header.name.span,
            include_chain: chain.clone(),
        },
        attachment,
        flags: header.flags.iter().map(|w| w.text.clone()).collect(),
        is_hat: header.keyword == ast::ProfileKeyword::Hat,
        file_rules: Vec::new(),
        other_rules: Vec::new(),
        children: Vec::new(),
        unresolved_includes: collected.unresolved.clone(),
    };
    for scoped in &collected.rules {
        let before = profile.file_rules.len();
        lower_rule(resolver, scoped, &mut profile);
        if scoped.masked {
            // Checked like any rule, but it grants nothing.
            profile.file_rules.truncate(before);
        }
    }
    apply_aliases(&resolver.aliases, &mut profile.file_rules);
    collapse_patterns(&mut profile.file_rules);
    check_change_profile_conflicts(resolver, &profile);
    restore_variables(resolver, saved);

    let full_name = match parent {
        Some(parent) => format!("{parent}//{name}"),
        None => name,
    };
    profile.children = collected
        .children
        .iter()
        .map(|child| lower_profile(resolver, child, Some(&full_name)))
        .collect();
    check_duplicates(resolver, &profile.children);
    profile
}

const PROFILE_VARIABLES: [&str; 3] = ["profile_name", "attach_path", "exec_path"];

/// Defines `@{profile_name}`, `@{attach_path}` and `@{exec_path}` for the
/// rules of one profile; returns the definitions they replace.
fn set_profile_variables(
    resolver: &mut Resolver<'_>,
    name: &str,
    attachment: Option<&str>,
) -> Vec<(String, Option<SetVariable>)> {
    let span = Span::new(crate::source::FileId(0), 0, 0);
    let mut saved = Vec::new();
    for variable in PROFILE_VARIABLES {
        let value = match variable {
            "profile_name" => Some(escape_pattern(name)),
            _ => attachment.map(str::to_string),
        };
        if value.is_none() {
            // Without an attachment upstream leaves these variables alone.
            continue;
        }
        let previous = resolver.symbols.sets.remove(variable);
        saved.push((variable.to_string(), previous));
        if let Some(value) = value {
            let set = SetVariable {
                values: vec![value],
                span,
            };
            resolver.symbols.sets.insert(variable.to_string(), set);
        }
    }
    saved
}

fn restore_variables(resolver: &mut Resolver<'_>, saved: Vec<(String, Option<SetVariable>)>) {
    for (name, previous) in saved {
        resolver.symbols.sets.remove(&name);
        if let Some(previous) = previous {
            resolver.symbols.sets.insert(name, previous);
        }
    }
}

/// Escapes pattern characters of a profile name used as `@{profile_name}`.
fn escape_pattern(name: &str) -> String {
    let mut out = String::new();
    let mut chars = name.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            out.push(c);
            out.extend(chars.next());
        } else {
            if "{}[]*?".contains(c) {
                out.push('\\');
            }
            out.push(c);
        }
    }
    out
}

fn lower_attachment(
    resolver: &mut Resolver<'_>,
    header: &ast::Profile,
    name: &str,
    chain: &[Span],
) -> Option<String> {
    match &header.attachment {
        Some(word) => {
            if !(word.text.starts_with('/') || word.text.starts_with("@{")) {
                let message = format!(
                    "profile attachment `{}` must begin with `/` or a variable",
                    word.text
                );
                resolver.error(
                    codes::PROFILE,
                    "bad-profile",
                    word.span,
                    chain,
                    message,
                    "bad attachment",
                );
            }
            let attachment = expand_or_report(resolver, word, chain)?;
            check_pattern(resolver, word, &attachment, chain);
            Some(attachment)
        }
        None if name.starts_with('/') => Some(name.to_string()),
        None => None,
    }
}

fn check_header(resolver: &mut Resolver<'_>, header: &ast::Profile, chain: &[Span]) {
    check_namespace(resolver, &header.name, chain);
    for identity in &header.identities {
        if !identity.text.starts_with('/') && identity.text.contains(' ') {
            let message = format!("space not allowed in identity `{}`", identity.text);
            resolver.error(
                codes::PROFILE,
                "bad-profile",
                identity.span,
                chain,
                message,
                "here",
            );
        }
    }
    for flag in &header.flags {
        let Some((key, value)) = flag.text.split_once('=') else {
            continue;
        };
        if key.starts_with("attach_disconnected.") {
            let word = ast::Word {
                text: value.to_string(),
                ..flag.clone()
            };
            let Some(path) = expand_or_report(resolver, &word, chain) else {
                continue;
            };
            if !path.starts_with('/') {
                let message = format!("`{key}` must be a path beginning with `/`, not `{path}`");
                resolver.error(
                    codes::FLAG,
                    "bad-flag",
                    flag.span,
                    chain,
                    message,
                    "not a path",
                );
            }
        }
    }
    if header.keyword == ast::ProfileKeyword::Hat && !header.xattrs.is_empty() {
        let message = "a hat cannot have `xattrs`".to_string();
        resolver.error(
            codes::PROFILE,
            "bad-profile",
            header.name.span,
            chain,
            message,
            "hat here",
        );
    }
    validate::check_flags(resolver, &header.flags, chain);
}

/// Applies `alias FROM -> TO,` as upstream: in the order of `FROM`, every
/// file rule whose pattern (or link target) starts with `FROM` gets a copy
/// with that prefix replaced by `TO`, placed after it; copies are not
/// aliased again.
///
/// FIXME: upstream also gives a profile an alternate attachment for each
/// alias whose `FROM` is a prefix of its attachment (or of its name, when
/// it has no attachment): the prefix replaced by `TO`, matched as well as
/// the attachment itself. The model holds one attachment, so
/// `model::Profile::attachment` ignores aliases; nothing in aaprove
/// matches attachments yet, so no result is affected today.
fn apply_aliases(aliases: &[(String, String)], rules: &mut Vec<model::FileRule>) {
    let mut sorted: Vec<&(String, String)> = aliases.iter().collect();
    sorted.sort();
    let mut copied = vec![false; rules.len()];
    for (from, to) in sorted {
        let mut index = 0;
        while index < rules.len() {
            if copied[index] {
                index += 1;
                continue;
            }
            if let Some(copy) = aliased(&rules[index], from, to) {
                rules.insert(index + 1, copy);
                copied.insert(index + 1, true);
                index += 1;
            }
            index += 1;
        }
    }
}

/// The copy of `rule` with the prefix `from` replaced by `to`, if the rule's
/// pattern or link target starts with `from`.
fn aliased(rule: &model::FileRule, from: &str, to: &str) -> Option<model::FileRule> {
    let replace = |text: &str| text.strip_prefix(from).map(|rest| format!("{to}{rest}"));
    let pattern = replace(&rule.pattern);
    let link = rule.link.as_ref().and_then(|link| replace(&link.pattern));
    if pattern.is_none() && link.is_none() {
        return None;
    }
    let mut copy = rule.clone();
    if let Some(pattern) = pattern {
        copy.pattern = pattern;
    }
    if let (Some(target), Some(link)) = (link, copy.link.as_mut()) {
        link.pattern = target;
    }
    Some(copy)
}

/// A name `:ns:name` must name a profile after its namespace, and a
/// name cannot stack (`&name`), as upstream's `parse_label` reads it.
fn check_namespace(resolver: &mut Resolver<'_>, name: &ast::Word, chain: &[Span]) {
    let text = &name.text;
    let problem = if text.starts_with('&') {
        let message = format!("profile name `{text}` cannot start with `&`");
        Some((message, "a stacked label, not a name"))
    } else if let Some(rest) = text.strip_prefix(':') {
        let empty = |text: &str| text.trim_start_matches("//").is_empty();
        let parts = rest.split_once(':');
        let unnamed =
            parts.is_none_or(|(namespace, profile)| namespace.is_empty() || empty(profile));
        let message = || format!("`{text}` names a namespace but no profile");
        unnamed.then(|| (message(), "no profile name"))
    } else {
        None
    };
    if let Some((message, label)) = problem {
        let span = name.span;
        resolver.error(codes::PROFILE, "bad-profile", span, chain, message, label);
    }
}

/// Reports profiles of one level that share a name.
pub(crate) fn check_duplicates(resolver: &mut Resolver<'_>, profiles: &[model::Profile]) {
    let mut seen: HashMap<&str, &model::Profile> = HashMap::new();
    for profile in profiles {
        if let Some(first) = seen.get(profile.name.as_str()) {
            let message = format!("profile `{}` is defined twice", profile.name);
            let diagnostic = crate::diagnostic::Diagnostic::error(
                codes::DUPLICATE_PROFILE,
                "duplicate-profile",
                message,
            )
            .with_primary(profile.origin.span, "defined again here")
            .with_secondary(first.origin.span, "first defined here")
            .with_include_chain(profile.origin.include_chain.clone());
            resolver.report(diagnostic);
        } else {
            seen.insert(&profile.name, profile);
        }
    }
}

/// `change_profile` rules on the same exec path and target must agree on
/// `unsafe` (upstream merges them and rejects the conflict).
fn check_change_profile_conflicts(resolver: &mut Resolver<'_>, profile: &model::Profile) {
    let mut seen: HashMap<String, (bool, Span)> = HashMap::new();
    for rule in profile
        .other_rules
        .iter()
        .filter(|r| r.kind == "change_profile")
    {
        let unsafe_mode = rule.body.starts_with("unsafe ");
        let key = rule
            .body
            .trim_start_matches("unsafe ")
            .trim_start_matches("safe ")
            .to_string();
        if !key.starts_with('/') && !key.starts_with("@{") {
            continue;
        }
        match seen.get(&key) {
            Some((other, span)) if *other != unsafe_mode => {
                let message =
                    "change_profile rules conflict on `unsafe` for the same exec path".to_string();
                let diagnostic = crate::diagnostic::Diagnostic::error(
                    codes::EXEC_CONFLICT,
                    "conflicting-exec",
                    message,
                )
                .with_primary(rule.origin.span, "this rule")
                .with_secondary(*span, "conflicts with this one")
                .with_include_chain(rule.origin.include_chain.clone());
                resolver.report(diagnostic);
                return;
            }
            Some(_) => {}
            None => {
                seen.insert(key, (unsafe_mode, rule.origin.span));
            }
        }
    }
}

/// Expands the variables of a rule's path; on error reports it. Its runs of
/// `/` are collapsed only after aliases are applied (see
/// [`collapse_patterns`]).
fn expand_path(resolver: &mut Resolver<'_>, word: &ast::Word, chain: &[Span]) -> Option<String> {
    expand_or_report(resolver, word, chain)
}

/// Collapses the runs of `/` in every pattern and link target, giving the
/// patterns as upstream compiles them. Upstream does it after expanding
/// variables and applying aliases, so an alias `FROM` is matched against
/// the uncollapsed text (`///a/` does not start with `/a/`).
fn collapse_patterns(rules: &mut [model::FileRule]) {
    for rule in rules {
        rule.pattern = model::collapse_slashes(&rule.pattern);
        if let Some(link) = rule.link.as_mut() {
            link.pattern = model::collapse_slashes(&link.pattern);
        }
    }
}

/// Expands the variables of a word; on error reports it and returns the text.
pub(crate) fn expand_or_report(
    resolver: &mut Resolver<'_>,
    word: &ast::Word,
    chain: &[Span],
) -> Option<String> {
    match resolver.symbols.expand_pattern(&word.text) {
        Ok(text) => Some(text),
        Err(error) => {
            let mut diagnostic =
                Diagnostic::error(codes::VARIABLE, "bad-variable", error.message())
                    .with_primary(word.span, "used here")
                    .with_include_chain(chain.to_vec());
            if let Some(help) = variable_help(resolver, &error) {
                diagnostic = diagnostic.with_help(help);
            }
            resolver.report(diagnostic);
            None
        }
    }
}

/// A near defined name for an undefined variable, or where tunables
/// usually come from.
fn variable_help(resolver: &Resolver<'_>, error: &ExpandError) -> Option<String> {
    let ExpandError::Undefined(name) = error else {
        return None;
    };
    let defined = resolver.symbols.sets.keys().map(String::as_str);
    if let Some(near) = crate::parse::suggest::nearest(name, defined) {
        return Some(format!("write `@{{{near}}}`"));
    }
    let tunable = [
        "HOME",
        "PROC",
        "sys",
        "run",
        "pid",
        "pids",
        "tid",
        "multiarch",
    ];
    tunable
        .contains(&name.as_str())
        .then(|| "add `include <tunables/global>` before the profile".to_string())
}

/// The qualifiers of a rule, checking the priority's range.
fn qualifiers(
    resolver: &mut Resolver<'_>,
    prefix: &ast::Prefix,
    chain: &[Span],
) -> model::Qualifiers {
    let mut qualifiers = model::Qualifiers::default();
    if let Some((decision, _)) = prefix.decision {
        qualifiers.decision = decision;
    }
    qualifiers.audit = prefix.audit.is_some();
    if let Some((owner, _)) = prefix.owner {
        qualifiers.owner = owner;
    }
    if let Some((word, span)) = &prefix.priority {
        match word.text.parse::<i64>() {
            Ok(value) if PRIORITY_RANGE.contains(&value) => qualifiers.priority = value as i32,
            Ok(value) => {
                let message = format!(
                    "priority {value} is out of range {}..={}",
                    PRIORITY_RANGE.start(),
                    PRIORITY_RANGE.end()
                );
                resolver.error(
                    codes::PREFIX,
                    "bad-prefix",
                    *span,
                    chain,
                    message,
                    "out of range",
                );
            }
            Err(_) => {
                let message = format!("invalid priority `{}`", word.text);
                resolver.error(
                    codes::PREFIX,
                    "bad-prefix",
                    *span,
                    chain,
                    message,
                    "not a number",
                );
            }
        }
    }
    qualifiers
}

fn lower_rule(resolver: &mut Resolver<'_>, scoped: &ScopedRule, profile: &mut model::Profile) {
    let rule = &scoped.rule;
    let chain = &scoped.chain;
    let qualifiers = qualifiers(resolver, &rule.prefix, chain);
    let origin = model::Origin {
        span: rule.span,
        include_chain: chain.clone(),
    };
    match &rule.kind {
        RuleKind::FileAll if qualifiers.decision == Decision::Deny => {
            // `file,` carries `ix`, and a deny rule may not name an exec mode.
            let message = "`deny file,` is invalid: `file,` implies the exec mode `ix`".to_string();
            resolver.error(
                codes::FILE_RULE,
                "bad-file-rule",
                rule.span,
                chain,
                message,
                "in this rule",
            );
        }
        RuleKind::FileAll => profile.file_rules.push(file_all(origin, qualifiers)),
        RuleKind::File(node) => {
            if let Some(file_rule) = lower_file_rule(resolver, node, qualifiers, origin) {
                profile.file_rules.push(file_rule);
            }
        }
        RuleKind::Link(node) => {
            let pattern = expand_path(resolver, &node.path, chain);
            let target = expand_path(resolver, &node.target, chain);
            let (Some(pattern), Some(target)) = (pattern, target) else {
                return;
            };
            check_path(resolver, &node.path, &pattern, chain);
            check_pattern(resolver, &node.target, &target, chain);
            profile.file_rules.push(model::FileRule {
                origin,
                qualifiers,
                pattern,
                perms: FilePerms::LINK,
                exec: None,
                link: Some(model::LinkTarget {
                    subset: node.subset,
                    pattern: target,
                }),
            });
        }
        _ => {
            if let Some(body) = validate::check_rule(resolver, rule, chain) {
                profile.other_rules.push(model::OtherRule {
                    origin,
                    qualifiers,
                    kind: rule.kind.keyword().to_string(),
                    body,
                });
            }
        }
    }
}

/// `file,`: every permission on every path, exec as `ix`.
fn file_all(origin: model::Origin, qualifiers: model::Qualifiers) -> model::FileRule {
    let perms = FilePerms::from_letters("rwalkmx").unwrap_or_default();
    model::FileRule {
        origin,
        qualifiers,
        pattern: "/{**,}".to_string(),
        perms,
        exec: Some(exec_mode(ExecTransition::Inherit, false, None)),
        link: None,
    }
}

fn lower_file_rule(
    resolver: &mut Resolver<'_>,
    node: &ast::FileRuleNode,
    qualifiers: model::Qualifiers,
    origin: model::Origin,
) -> Option<model::FileRule> {
    let chain = origin.include_chain.clone();
    let mut decoded = match decode_perms(&node.perms.text) {
        Ok(decoded) => decoded,
        Err(message) => {
            let mut diagnostic = Diagnostic::error(codes::PERMISSIONS, "bad-permissions", message)
                .with_primary(node.perms.span, "these permissions")
                .with_include_chain(chain.clone());
            if diagnostic.message.contains("`a` and `w`") {
                diagnostic = diagnostic.with_help("write `w` alone: it already grants `a`");
            }
            resolver.report(diagnostic);
            return None;
        }
    };
    let pattern = expand_path(resolver, &node.path, &chain)?;
    check_path(resolver, &node.path, &pattern, &chain);
    let problem = file_rule_problem(node, &decoded, qualifiers.decision);
    if let Some((message, help)) = problem {
        let mut diagnostic = Diagnostic::error(codes::FILE_RULE, "bad-file-rule", message)
            .with_primary(node.perms.span, "these permissions")
            .with_include_chain(chain.clone());
        if let Some(help) = help {
            diagnostic = diagnostic.with_help(help);
        }
        resolver.report(diagnostic);
        return None;
    }
    // `unsafe` and `safe` before a rule override the letter case of its
    // exec qualifier.
    if let Some(exec) = decoded.exec.as_mut() {
        match node.safety {
            Some(ExecSafety::Unsafe) => exec.scrub = false,
            Some(ExecSafety::Safe) => exec.scrub = true,
            None => {}
        }
    }
    let target = match &node.target {
        // Upstream expands variables in a link target but never in an exec
        // target: `px -> @{name}` names the profile `@{name}`.
        Some(word) if decoded.exec.is_some() => Some(word.text.clone()),
        Some(word) => Some(expand_or_report(resolver, word, &chain)?),
        None => None,
    };
    let mut link = None;
    match (&mut decoded.exec, target) {
        (Some(exec), Some(target)) => exec.target = Some(target),
        (None, Some(target)) => {
            if let Some(word) = &node.target {
                check_pattern(resolver, word, &model::collapse_slashes(&target), &chain);
            }
            link = Some(model::LinkTarget {
                subset: node.subset,
                pattern: target,
            })
        }
        _ => {}
    }
    Some(model::FileRule {
        origin,
        qualifiers,
        pattern,
        perms: decoded.perms,
        exec: decoded.exec,
        link,
    })
}

/// The reason a decoded file rule is invalid, as upstream words it, with
/// a help line when there is an obvious fix.
fn file_rule_problem(
    node: &ast::FileRuleNode,
    decoded: &DecodedPerms,
    decision: Decision,
) -> Option<(String, Option<&'static str>)> {
    let problem = file_rule_message(node, decoded, decision)?;
    let help = match problem {
        NEEDS_QUALIFIER => Some(
            "write `ix` to run it in this profile, `px` or `cx` to run it under its own \
             profile, or `ux` to run it unconfined",
        ),
        DENY_QUALIFIER => Some("write a bare `x` in deny rules"),
        _ => None,
    };
    Some((problem.to_string(), help))
}

const NEEDS_QUALIFIER: &str = "`x` must be preceded by an exec qualifier `i`, `p`, `c` or `u`";
const DENY_QUALIFIER: &str = "in deny rules `x` must not have an exec qualifier";

fn file_rule_message(
    node: &ast::FileRuleNode,
    decoded: &DecodedPerms,
    decision: Decision,
) -> Option<&'static str> {
    let has_exec = decoded.perms.contains(FilePerms::EXEC);
    let has_link = decoded.perms.contains(FilePerms::LINK);
    let qualified = decoded
        .exec
        .as_ref()
        .is_some_and(|e| e.transition.is_some());
    if node.subset && !has_link {
        return Some("`subset` can only be used with link permissions");
    }
    if node.perms_first && node.target.is_some() && has_exec && has_link {
        return Some("link and exec permissions conflict on a rule with `->`");
    }
    if node.safety == Some(ExecSafety::Unsafe) && !has_exec {
        return Some("`unsafe` rule without exec permissions");
    }
    if has_exec && decision == Decision::Deny && qualified {
        return Some(DENY_QUALIFIER);
    }
    if has_exec && decision != Decision::Deny && !qualified {
        return Some(NEEDS_QUALIFIER);
    }
    None
}

/// Checks the pattern of a file or link rule.
fn check_path(resolver: &mut Resolver<'_>, word: &ast::Word, pattern: &str, chain: &[Span]) {
    // Upstream accepts relative patterns (`foo r,`, or a variable that
    // expands to one); the lexer already limits how a path may start.
    check_pattern(resolver, word, pattern, chain);
}

/// Reports a malformed pattern (after expansion) at the word it came from.
pub(crate) fn check_pattern(
    resolver: &mut Resolver<'_>,
    word: &ast::Word,
    pattern: &str,
    chain: &[Span],
) -> bool {
    match pattern_problem(pattern) {
        Some(problem) => {
            let message = format!("invalid pattern `{pattern}`: {problem}");
            let mut diagnostic = Diagnostic::error(codes::PATTERN, "bad-pattern", message)
                .with_primary(word.span, "in this pattern")
                .with_include_chain(chain.to_vec());
            if let Some(help) = super::pattern::pattern_help(&problem) {
                diagnostic = diagnostic.with_help(help);
            }
            resolver.report(diagnostic);
            false
        }
        None => true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn permission_words_decode_as_upstream() {
        let cases: [(&str, Result<&str, ()>); 16] = [
            ("xpx", Err(())),
            ("xix", Ok("x")),
            ("pxx", Ok("x")),
            ("rw", Ok("rwa")),
            ("r", Ok("r")),
            ("a", Ok("a")),
            ("wa", Err(())),
            ("aw", Err(())),
            ("ix", Ok("x")),
            ("Pix", Ok("x")),
            ("mix", Ok("mx")),
            ("rPx", Ok("rx")),
            ("pxPx", Err(())),
            ("ixix", Ok("x")),
            ("RW", Ok("rwa")),
            ("rz", Err(())),
        ];
        for (word, expected) in cases {
            let got = decode_perms(word)
                .map(|d| d.perms.letters())
                .map_err(|_| ());
            assert_eq!(
                got.as_deref(),
                expected.as_deref().map_err(|_| &()),
                "{word}"
            );
        }
    }

    #[test]
    fn aliases_copy_matching_rules() {
        let rule = |pattern: &str| model::FileRule {
            origin: model::Origin {
                span: Span::new(crate::source::FileId(0), 0, 0),
                include_chain: Vec::new(),
            },
            qualifiers: model::Qualifiers::default(),
            pattern: pattern.to_string(),
            perms: FilePerms::READ,
            exec: None,
            link: None,
        };
        let mut rules = vec![rule("/usr/a"), rule("/etc/b"), rule("/usr/c")];
        let aliases = vec![
            ("/usr/".to_string(), "/opt/".to_string()),
            ("/opt/".to_string(), "/srv/".to_string()),
        ];
        apply_aliases(&aliases, &mut rules);
        let patterns: Vec<&str> = rules.iter().map(|r| r.pattern.as_str()).collect();
        assert_eq!(patterns, ["/usr/a", "/opt/a", "/etc/b", "/usr/c", "/opt/c"]);
    }

    #[test]
    fn exec_qualifiers_decode() {
        let cases = [
            ("Px", ExecTransition::Profile, true, None),
            (
                "cux",
                ExecTransition::Child,
                false,
                Some(ExecTransition::Unconfined),
            ),
            (
                "PUx",
                ExecTransition::Profile,
                true,
                Some(ExecTransition::Unconfined),
            ),
            ("Ux", ExecTransition::Unconfined, true, None),
        ];
        for (word, transition, scrub, fallback) in cases {
            let exec = decode_perms(word).unwrap().exec.unwrap();
            assert_eq!(
                (exec.transition, exec.scrub, exec.fallback),
                (Some(transition), scrub, fallback),
                "{word}"
            );
        }
    }
}
