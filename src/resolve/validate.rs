//! Semantic checks of non-file rules and profile flags, and the normalised
//! text form of non-file rules stored in [`model::OtherRule`].
//!
//! Each rule kind has a small check function naming the problems
//! `apparmor_parser` rejects: unknown names (capabilities, families,
//! signals, rlimits), access words a kind does not know, conditions it does
//! not take, prefixes it does not allow.
//!
//! [`model::OtherRule`]: crate::model::OtherRule

mod mount;

use super::names::{self, RlimitUnit};
use super::{Resolver, codes, lower::expand_or_report};
use crate::parse::ast::{self, Condition, KeyedBody, RuleKind, Word};
use crate::parse::suggest;
use crate::source::Span;

/// Collects the problems of one rule.
struct Check<'r, 'o> {
    resolver: &'r mut Resolver<'o>,
    chain: &'r [Span],
    failed: bool,
}

impl Check<'_, '_> {
    fn error(&mut self, span: Span, message: String, label: &str) {
        self.failed = true;
        self.resolver
            .error(codes::RULE, "bad-rule", span, self.chain, message, label);
    }

    /// As [`Check::error`], with an optional help line.
    fn error_help(&mut self, span: Span, message: String, label: &str, help: Option<String>) {
        self.error(span, message, label);
        if let (Some(help), Some(last)) = (help, self.resolver.diagnostics.last_mut()) {
            last.help = Some(help);
        }
    }

    /// Expands a word that is a pattern, and checks its syntax.
    fn expand_pattern(&mut self, word: &Word) -> String {
        let Some(text) = self.try_expand(word) else {
            return word.text.clone();
        };
        if !super::lower::check_pattern(self.resolver, word, &text, self.chain) {
            self.failed = true;
        }
        text
    }

    /// Expands a word; on failure (already reported) the rule fails and
    /// the raw text stands in.
    fn try_expand(&mut self, word: &Word) -> Option<String> {
        let text = expand_or_report(self.resolver, word, self.chain);
        self.failed |= text.is_none();
        text
    }

    fn expand(&mut self, word: &Word) -> String {
        self.try_expand(word).unwrap_or_else(|| word.text.clone())
    }
}

/// Checks a non-file rule; returns its normalised body, or `None` when it
/// is invalid (after reporting why).
pub(crate) fn check_rule(
    resolver: &mut Resolver<'_>,
    rule: &ast::Rule,
    chain: &[Span],
) -> Option<String> {
    let mut check = Check {
        resolver,
        chain,
        failed: false,
    };
    check_owner(&mut check, rule);
    let body = match &rule.kind {
        RuleKind::Capability(names) => capability(&mut check, names),
        RuleKind::ChangeProfile {
            safety,
            exec,
            target,
        } => change_profile(&mut check, rule.span, *safety, exec, target),
        RuleKind::Rlimit { name, value, unit } => rlimit(&mut check, name, value, unit.as_ref()),
        RuleKind::All => String::new(),
        RuleKind::Network(body) => network(&mut check, body),
        RuleKind::Mount(body) | RuleKind::Remount(body) | RuleKind::Umount(body) => {
            mount::mount(&mut check, rule.kind.keyword(), body)
        }
        RuleKind::PivotRoot(body) => pivot_root(&mut check, body),
        RuleKind::Mqueue(body) => mqueue(&mut check, body),
        RuleKind::Unix(body) => unix(&mut check, body),
        RuleKind::Signal(body)
        | RuleKind::Ptrace(body)
        | RuleKind::Dbus(body)
        | RuleKind::Userns(body)
        | RuleKind::IoUring(body) => keyed(&mut check, rule.kind.keyword(), body),
        RuleKind::File(_) | RuleKind::FileAll | RuleKind::Link(_) => String::new(),
    };
    (!check.failed).then_some(body)
}

/// `owner`/`other` only qualify file rules: every other rule kind rejects
/// them. rlimit rules take no prefix at all.
fn check_owner(check: &mut Check<'_, '_>, rule: &ast::Rule) {
    if let Some((_, span)) = rule.prefix.owner {
        let message = format!(
            "the owner qualifier is not allowed on {} rules",
            rule.kind.keyword()
        );
        check.error(span, message, "not allowed here");
    }
    if !rule.prefix.is_empty() && matches!(rule.kind, RuleKind::Rlimit { .. }) {
        check.error(
            rule.span,
            "rlimit rules take no prefix".into(),
            "prefix here",
        );
    }
}

fn capability(check: &mut Check<'_, '_>, names: &[Word]) -> String {
    let mut sorted = Vec::new();
    for word in names {
        let name = check.expand(word);
        if !names::is_capability(&name) {
            let help = capability_suggestion(&name).map(|near| format!("write `{near}`"));
            check.error_help(
                word.span,
                format!("unknown capability `{name}`"),
                "unknown capability",
                help,
            );
        }
        sorted.push(name);
    }
    sorted.sort();
    sorted.dedup();
    sorted.join(" ")
}

/// "write `NAME`" for the known name nearest to `word`, if one is near.
fn write_nearest<'a>(word: &str, known: impl IntoIterator<Item = &'a str>) -> Option<String> {
    suggest::nearest(word, known).map(|near| format!("write `{near}`"))
}

/// The capability meant by a misspelt `name`: `CAP_SYS_ADMIN` and
/// `SYS_ADMIN` mean `sys_admin`; otherwise the nearest name.
fn capability_suggestion(name: &str) -> Option<&'static str> {
    let lower = name.to_ascii_lowercase();
    let bare = lower.strip_prefix("cap_").unwrap_or(&lower);
    let exact = names::CAPABILITIES.iter().find(|known| **known == bare);
    exact
        .copied()
        .or_else(|| suggest::nearest(bare, names::CAPABILITIES))
}

fn change_profile(
    check: &mut Check<'_, '_>,
    span: Span,
    safety: Option<ast::ExecSafety>,
    exec: &Option<Word>,
    target: &Option<Word>,
) -> String {
    let mut parts = Vec::new();
    match safety {
        Some(ast::ExecSafety::Safe) => parts.push("safe".to_string()),
        Some(ast::ExecSafety::Unsafe) => parts.push("unsafe".to_string()),
        None => {}
    }
    if safety.is_some() && exec.is_none() {
        let message = "`safe` and `unsafe` need an exec path in change_profile".into();
        check.error(span, message, "missing exec path");
    }
    if let Some(exec) = exec {
        if !(exec.text.starts_with('/') || exec.text.starts_with("@{")) {
            check.error(
                exec.span,
                format!("exec path `{}` must begin with `/`", exec.text),
                "not absolute",
            );
        }
        parts.push(check.expand(exec));
    }
    if let Some(target) = target {
        parts.push("->".into());
        parts.push(check.expand(target));
    }
    parts.join(" ")
}

fn rlimit(check: &mut Check<'_, '_>, name: &Word, value: &Word, unit: Option<&Word>) -> String {
    let Some(kind) = names::rlimit_unit(&name.text) else {
        let known = names::RLIMITS.iter().map(|(name, _)| *name);
        let known = known.chain([names::RLIMIT_RTTIME]);
        check.error_help(
            name.span,
            format!("unknown rlimit `{}`", name.text),
            "unknown rlimit",
            write_nearest(&name.text, known),
        );
        return String::new();
    };
    let unit_text = unit.map(|w| w.text.as_str());
    if value.text != "infinity" {
        if let Err(message) = rlimit_value(kind, &value.text, unit_text) {
            let span = unit.map_or(value.span, |unit| value.span.to(unit.span));
            check.error(
                span,
                format!("invalid value for rlimit `{}`: {message}", name.text),
                "bad value",
            );
        }
    } else if unit.is_some() {
        check.error(value.span, "`infinity` takes no unit".into(), "unit here");
    }
    let mut body = format!("{} <= {}", name.text, value.text);
    if let Some(unit) = unit_text {
        body.push(' ');
        body.push_str(unit);
    }
    body
}

/// Checks an rlimit value as upstream: counts and nice values take no
/// unit, sizes take `K`/`M`/`G` (with optional `B`), times take time units.
fn rlimit_value(kind: RlimitUnit, value: &str, unit: Option<&str>) -> Result<(), String> {
    let number: i64 = value
        .parse()
        .map_err(|_| format!("`{value}` is not a number"))?;
    match kind {
        RlimitUnit::Count if unit.is_some() => Err("this limit takes no unit".into()),
        RlimitUnit::Count if number < 0 => Err("the value must not be negative".into()),
        RlimitUnit::Nice if unit.is_some() => Err("nice takes no unit".into()),
        RlimitUnit::Nice if !(-20..=19).contains(&number) => {
            Err(format!("nice value {number} is outside -20..19"))
        }
        RlimitUnit::Size => match unit {
            _ if number < 0 => Err("the value must not be negative".into()),
            None | Some("K" | "KB" | "M" | "MB" | "G" | "GB") => Ok(()),
            Some(unit) => Err(format!("unknown size unit `{unit}`")),
        },
        RlimitUnit::CpuTime | RlimitUnit::RealTime => time_value(kind, number, unit),
        _ => Ok(()),
    }
}

fn time_value(kind: RlimitUnit, number: i64, unit: Option<&str>) -> Result<(), String> {
    if number < 0 {
        return Err("the value must not be negative".into());
    }
    let micro = ["us", "microsecond", "microseconds"];
    let milli = ["ms", "millisecond", "milliseconds"];
    let larger = [
        "s", "sec", "second", "seconds", "min", "minute", "minutes", "h", "hour", "hours", "d",
        "day", "days", "week", "weeks",
    ];
    match unit {
        None => Ok(()),
        Some(unit) if larger.contains(&unit) => Ok(()),
        Some(unit)
            if kind == RlimitUnit::RealTime && (micro.contains(&unit) || milli.contains(&unit)) =>
        {
            Ok(())
        }
        Some(unit)
            if kind == RlimitUnit::CpuTime && (micro.contains(&unit) || milli.contains(&unit)) =>
        {
            Err("cpu limits below one second are not allowed".into())
        }
        Some(unit) => Err(format!("unknown time unit `{unit}`")),
    }
}

/// The normalised text of access words: one word, or a sorted list.
fn perms_text(perms: &[String]) -> Option<String> {
    let mut sorted = perms.to_vec();
    sorted.sort();
    sorted.dedup();
    match sorted.len() {
        0 => None,
        1 => sorted.pop(),
        _ => Some(format!("({})", sorted.join(","))),
    }
}

fn condition_text(condition: &Condition, values: &[String]) -> String {
    let op = condition.op.as_deref().unwrap_or("");
    let mut sorted = values.to_vec();
    if condition.list {
        sorted.sort();
        sorted.dedup();
        let op = if op == "in" { " in " } else { op };
        return format!("{}{op}({})", condition.key.text, sorted.join(","));
    }
    match op {
        "" => condition.key.text.clone(),
        _ => format!("{}{op}{}", condition.key.text, sorted.join(",")),
    }
}

/// Checks access words against the kind's vocabulary.
fn check_perms(check: &mut Check<'_, '_>, kind: &str, body: &KeyedBody) -> Vec<String> {
    let allowed = names::access_words(kind);
    let mut perms = Vec::new();
    for word in &body.perms {
        if !allowed.contains(&word.text.as_str()) {
            check.error_help(
                word.span,
                format!("`{}` is not an access of {kind} rules", word.text),
                "unknown access",
                write_nearest(&word.text, allowed.iter().copied()),
            );
        }
        perms.push(word.text.clone());
    }
    perms
}

/// Checks conditions against the allowed keys; returns their texts.
fn check_conditions(
    check: &mut Check<'_, '_>,
    kind: &str,
    conditions: &[Condition],
    allowed: &[&str],
) -> Vec<String> {
    let mut texts = Vec::new();
    let mut seen: Vec<&str> = Vec::new();
    for condition in conditions {
        let key = condition.key.text.as_str();
        if !allowed.contains(&key) {
            check.error(
                condition.key.span,
                format!("{kind} rules have no condition `{key}`"),
                "unknown condition",
            );
            continue;
        }
        if seen.contains(&key) && !(kind == "signal" && key == "set") {
            check.error(
                condition.key.span,
                format!("condition `{key}` given twice"),
                "repeated",
            );
        }
        seen.push(key);
        if condition.op.as_deref() != Some("=") {
            check.error(
                condition.key.span,
                format!("only `=` is allowed in conditions of {kind} rules"),
                "here",
            );
        }
        let values: Vec<String> = condition
            .values
            .iter()
            .map(|w| check.expand_pattern(w))
            .collect();
        if kind == "signal" && key == "set" {
            for (value, word) in values.iter().zip(&condition.values) {
                for signal in value.split(',').filter(|s| !s.is_empty()) {
                    if !names::is_signal(signal) {
                        check.error_help(
                            word.span,
                            format!("unknown signal `{signal}`"),
                            "unknown signal",
                            write_nearest(signal, names::SIGNALS),
                        );
                    }
                }
            }
        }
        if values.len() > 1 && matches!(kind, "dbus" | "io_uring") {
            check.error(
                condition.key.span,
                format!("condition `{key}` takes a single value"),
                "several values",
            );
        }
        texts.push(condition_text(condition, &values));
    }
    texts
}

/// unix, signal, ptrace, dbus, userns and io_uring rules.
fn keyed(check: &mut Check<'_, '_>, kind: &str, body: &KeyedBody) -> String {
    let perms = check_perms(check, kind, body);
    for word in &body.words {
        check.error(
            word.span,
            format!("unexpected `{}` in a {kind} rule", word.text),
            "unexpected",
        );
    }
    if let Some(arrow) = &body.arrow {
        check.error(
            arrow.span,
            format!("`->` is not allowed in {kind} rules"),
            "unexpected",
        );
    }
    let (keys, peer_keys) = names::condition_keys(kind);
    let mut parts: Vec<String> = perms_text(&perms).into_iter().collect();
    parts.extend(check_conditions(check, kind, &body.conditions, keys));
    if kind == "dbus" {
        check_dbus(check, body);
    }
    if let Some((key, conditions)) = &body.group {
        if peer_keys.is_empty() || key.text != "peer" {
            check.error(
                key.span,
                format!("{kind} rules have no `{}=(...)` group", key.text),
                "unknown group",
            );
        }
        let inner = check_conditions(check, kind, conditions, peer_keys);
        parts.push(format!("peer=({})", inner.join(" ")));
    }
    parts.join(" ")
}

fn check_dbus(check: &mut Check<'_, '_>, body: &KeyedBody) {
    if let Some(condition) = body.conditions.iter().find(|c| c.key.text == "label") {
        let message = "dbus `label` can only be used inside `peer=(...)`".into();
        check.error(condition.key.span, message, "outside peer");
    }
    let has = |key: &str| body.conditions.iter().any(|c| c.key.text == key);
    let message_rule = has("path") || has("interface") || has("member") || body.group.is_some();
    let service_rule = has("name");
    if message_rule && service_rule {
        let span = body.conditions[0].key.span;
        check.error(
            span,
            "dbus rule mixes message and service conditions".into(),
            "here",
        );
    }
    for word in &body.perms {
        let text = word.text.as_str();
        let bad = (message_rule && text == "bind")
            || (service_rule && matches!(text, "send" | "receive"))
            || (text == "eavesdrop" && (message_rule || service_rule));
        if bad {
            check.error(
                word.span,
                format!("dbus `{text}` access does not fit these conditions"),
                "here",
            );
        }
    }
}

fn network(check: &mut Check<'_, '_>, body: &KeyedBody) -> String {
    let perms = check_perms(check, "network", body);
    let mut parts: Vec<String> = perms_text(&perms).into_iter().collect();
    let words: Vec<&str> = body.words.iter().map(|w| w.text.as_str()).collect();
    if let Some(problem) = network_words_problem(&words) {
        let span = body.words[0].span.to(body.words[words.len() - 1].span);
        check.error_help(span, problem, "invalid network entry", network_help(&words));
    }
    parts.extend(words.iter().map(|w| w.to_string()));

    let (keys, peer_keys) = names::condition_keys("network");
    let has_conditions = !body.conditions.is_empty() || body.group.is_some();
    if has_conditions && !words.is_empty() && !network_words_allow_ip(&words) {
        let span = body.words[0].span;
        check.error(
            span,
            "only inet and inet6 network rules take ip conditions".into(),
            "here",
        );
    }
    let local: Vec<&str> = keys.iter().copied().chain(["interface"]).collect();
    parts.extend(socket_conditions(
        check,
        "network",
        &body.conditions,
        &local,
    ));
    if let Some((key, conditions)) = &body.group {
        if key.text != "peer" {
            check.error(
                key.span,
                "network rules have only a `peer=(...)` group".into(),
                "unknown group",
            );
        }
        let inner = socket_conditions(check, "network", conditions, peer_keys);
        parts.push(format!("peer=({})", inner.join(" ")));
        check_peer_perms(check, "network", body);
    }
    parts.join(" ")
}

/// Why `network FAMILY [TYPE [PROTOCOL]]` names no socket, if it does not.
fn network_words_problem(words: &[&str]) -> Option<String> {
    let family_ok = |w: &str| names::NETWORK_FAMILIES.contains(&w);
    let type_ok = |w: &str| names::SOCKET_TYPES.contains(&w) && w != "dccp";
    let protocol_ok = |w: &str| names::NETWORK_PROTOCOLS.contains(&w);
    match words {
        [] => None,
        [one] if family_ok(one) || type_ok(one) || protocol_ok(one) => None,
        [one] => Some(format!("unknown network family or type `{one}`")),
        [family, kind] if family_ok(family) && type_ok(kind) => None,
        ["inet", "tcp" | "udp" | "icmp"] | ["inet6", "tcp" | "udp"] => None,
        [family, kind] => Some(format!("invalid network entry `{family} {kind}`")),
        _ => Some(format!("invalid network entry `{}`", words.join(" "))),
    }
}

/// A suggestion for the first unknown word of a network rule.
fn network_help(words: &[&str]) -> Option<String> {
    let known = |w: &&str| {
        names::NETWORK_FAMILIES.contains(w)
            || names::SOCKET_TYPES.contains(w)
            || names::NETWORK_PROTOCOLS.contains(w)
    };
    let Some(unknown) = words.iter().find(|w| !known(w)) else {
        return Some("write `network FAMILY TYPE`, as in `network inet stream`".into());
    };
    let all = names::NETWORK_FAMILIES
        .iter()
        .chain(&names::SOCKET_TYPES)
        .chain(&names::NETWORK_PROTOCOLS)
        .copied();
    let near = suggest::nearest(unknown, all)?;
    Some(format!("write `{near}` instead of `{unknown}`"))
}

/// Whether ip/port conditions fit the family named by `words`.
fn network_words_allow_ip(words: &[&str]) -> bool {
    match words.first() {
        Some(&"inet") | Some(&"inet6") => true,
        Some(first) if names::NETWORK_FAMILIES.contains(first) => false,
        Some(first) => {
            words.len() == 1
                && (names::SOCKET_TYPES.contains(first) || names::NETWORK_PROTOCOLS.contains(first))
        }
        None => true,
    }
}

/// Accesses that only make sense on a connected socket's peer.
const PEER_ACCESSES: [&str; 10] = [
    "send", "receive", "connect", "accept", "r", "w", "rw", "wr", "read", "write",
];

fn check_peer_perms(check: &mut Check<'_, '_>, kind: &str, body: &KeyedBody) {
    for word in &body.perms {
        if !PEER_ACCESSES.contains(&word.text.as_str()) {
            let message = format!(
                "{kind} access `{}` cannot be used with peer conditions",
                word.text
            );
            check.error(word.span, message, "not a peer access");
        }
    }
}

/// Conditions of network and unix rules, with their value checks.
fn socket_conditions(
    check: &mut Check<'_, '_>,
    kind: &str,
    conditions: &[Condition],
    allowed: &[&str],
) -> Vec<String> {
    let mut texts = Vec::new();
    let mut seen: Vec<&str> = Vec::new();
    for condition in conditions {
        let key = condition.key.text.as_str();
        if seen.contains(&key) {
            check.error(
                condition.key.span,
                format!("condition `{key}` given twice"),
                "repeated",
            );
        }
        seen.push(key);
        if !allowed.contains(&key) {
            let message = match key {
                "label" if kind == "unix" => {
                    "unix `label` is only valid inside `peer=(...)`".into()
                }
                "protocol" if kind == "unix" => "unix `protocol` condition is not supported".into(),
                _ => format!("{kind} rules have no condition `{key}` here"),
            };
            check.error(condition.key.span, message, "invalid condition");
            continue;
        }
        let op_ok = condition.op.as_deref() == Some("=")
            || (key == "label" && condition.op.as_deref() == Some(":="));
        if !op_ok {
            check.error(
                condition.key.span,
                format!("operator not allowed in `{key}`"),
                "here",
            );
        }
        if condition.values.len() != 1 || condition.list {
            check.error(
                condition.key.span,
                format!("`{key}` takes a single value"),
                "here",
            );
        }
        let values: Vec<String> = condition
            .values
            .iter()
            .map(|w| check.expand_pattern(w))
            .collect();
        for (value, word) in values.iter().zip(&condition.values) {
            if let Some(problem) = socket_value_problem(kind, key, value) {
                check.error(word.span, problem, "invalid value");
            }
        }
        texts.push(condition_text(condition, &values));
    }
    texts
}

fn socket_value_problem(kind: &str, key: &str, value: &str) -> Option<String> {
    let ok = match (kind, key) {
        ("network", "ip") => value == "none" || value.parse::<std::net::IpAddr>().is_ok(),
        ("network", "port") => port_ok(value),
        ("unix", "addr") => value.starts_with('@') || value == "none" || value == "auto",
        ("unix", "type") => names::SOCKET_TYPES.contains(&value),
        _ => true,
    };
    (!ok).then(|| format!("invalid {kind} {key} `{value}`"))
}

fn port_ok(value: &str) -> bool {
    let number = |text: &str| {
        !text.is_empty() && text.chars().all(|c| c.is_ascii_digit()) && text.parse::<u16>().is_ok()
    };
    match value.split_once('-') {
        Some((from, to)) => {
            number(from) && number(to) && from.parse::<u16>().ok() <= to.parse::<u16>().ok()
        }
        None => number(value),
    }
}

fn unix(check: &mut Check<'_, '_>, body: &KeyedBody) -> String {
    let perms = check_perms(check, "unix", body);
    let mut parts: Vec<String> = perms_text(&perms).into_iter().collect();
    for word in &body.words {
        check.error(
            word.span,
            format!("unexpected `{}` in a unix rule", word.text),
            "unexpected",
        );
    }
    parts.extend(socket_conditions(
        check,
        "unix",
        &body.conditions,
        &["type", "addr"],
    ));
    if let Some((key, conditions)) = &body.group {
        if key.text != "peer" {
            check.error(
                key.span,
                "unix rules have only a `peer=(...)` group".into(),
                "unknown group",
            );
        }
        let inner = socket_conditions(check, "unix", conditions, &["addr", "label"]);
        parts.push(format!("peer=({})", inner.join(" ")));
        check_peer_perms(check, "unix", body);
    }
    parts.join(" ")
}

fn mqueue(check: &mut Check<'_, '_>, body: &KeyedBody) -> String {
    let perms = check_perms(check, "mqueue", body);
    let mut parts: Vec<String> = perms_text(&perms).into_iter().collect();
    let (keys, _) = names::condition_keys("mqueue");
    parts.extend(check_conditions(check, "mqueue", &body.conditions, keys));
    let type_value = body
        .conditions
        .iter()
        .find(|c| c.key.text == "type")
        .and_then(|c| c.values.first());
    let queue_type = type_value.map(|w| w.text.clone());
    if let Some(word) = type_value
        && word.text != "posix"
        && word.text != "sysv"
    {
        check.error(
            word.span,
            format!("unknown mqueue type `{}`", word.text),
            "unknown type",
        );
    }
    if body.words.len() > 1 {
        check.error(
            body.words[1].span,
            "an mqueue rule takes one queue name".into(),
            "unexpected",
        );
    }
    if let Some(name) = body.words.first() {
        let text = check.expand(name);
        let numeric = text.parse::<u64>().is_ok();
        let ok = match queue_type.as_deref() {
            Some("posix") => text.starts_with('/'),
            Some("sysv") => numeric,
            _ => text.starts_with('/') || numeric,
        };
        if !ok {
            check.error(
                name.span,
                format!("invalid mqueue name `{text}`"),
                "bad queue name",
            );
        }
        parts.push(text);
    }
    parts.join(" ")
}

fn pivot_root(check: &mut Check<'_, '_>, body: &KeyedBody) -> String {
    let mut parts = Vec::new();
    for word in &body.perms {
        check.error(
            word.span,
            format!("unexpected `{}` in a pivot_root rule", word.text),
            "unexpected",
        );
    }
    for condition in &body.conditions {
        if condition.key.text != "oldroot" {
            let message = format!(
                "pivot_root rules have no condition `{}`",
                condition.key.text
            );
            check.error(condition.key.span, message, "unknown condition");
        }
        let values: Vec<String> = condition.values.iter().map(|w| check.expand(w)).collect();
        parts.push(condition_text(condition, &values));
    }
    if body.words.len() > 1 {
        check.error(
            body.words[1].span,
            "a pivot_root rule takes one new root".into(),
            "unexpected",
        );
    }
    for word in &body.words {
        parts.push(check.expand(word));
    }
    if let Some(arrow) = &body.arrow {
        parts.push("->".into());
        match &arrow.target {
            Some(target) if arrow.conditions.is_empty() => parts.push(check.expand(target)),
            _ => check.error(
                arrow.span,
                "`->` in pivot_root needs one profile name".into(),
                "here",
            ),
        }
    }
    parts.join(" ")
}

/// Checks `flags=(...)`: known names, at most one mode, no conflicts.
pub(crate) fn check_flags(resolver: &mut Resolver<'_>, flags: &[Word], chain: &[Span]) {
    let mut mode: Option<&Word> = None;
    let mut valued: Vec<(&str, &str)> = Vec::new();
    for flag in flags {
        let text = flag.text.as_str();
        if names::PROFILE_MODES.contains(&text) {
            if let Some(previous) = mode.filter(|previous| previous.text != text) {
                let message = format!("profile flag `{text}` conflicts with `{}`", previous.text);
                resolver.error(
                    codes::FLAG,
                    "bad-flag",
                    flag.span,
                    chain,
                    message,
                    "conflicting mode",
                );
            }
            mode = Some(flag);
            continue;
        }
        if names::PROFILE_FLAGS.contains(&text) {
            continue;
        }
        if let Some(problem) = valued_flag_problem(text) {
            resolver.error(
                codes::FLAG,
                "bad-flag",
                flag.span,
                chain,
                problem,
                "invalid flag",
            );
            if let Some(help) = flag_suggestion(text) {
                let last = resolver.diagnostics.last_mut();
                last.into_iter().for_each(|d| d.help = Some(help.clone()));
            }
            continue;
        }
        if let Some((key, value)) = text.split_once('=') {
            if let Some((_, other)) = valued.iter().find(|(k, _)| *k == key)
                && *other != value
            {
                let message = format!("profile flag `{key}` set to conflicting values");
                resolver.error(
                    codes::FLAG,
                    "bad-flag",
                    flag.span,
                    chain,
                    message,
                    "conflict",
                );
            }
            valued.push((key, value));
        }
    }
    for (first, second) in names::CONFLICTING_FLAGS {
        let has = |name: &str| {
            flags.iter().any(|f| {
                f.text == name
                    || f.text.starts_with(&format!("{name}.path=")) && name == "attach_disconnected"
                    || f.text.starts_with(&format!("{name}="))
            })
        };
        if has(first) && has(second) {
            let span = flags[0].span;
            let message = format!("profile flag `{first}` conflicts with `{second}`");
            resolver.error(
                codes::FLAG,
                "bad-flag",
                span,
                chain,
                message,
                "conflicting flags",
            );
        }
    }
}

/// A near flag name for an unknown flag without a value.
fn flag_suggestion(text: &str) -> Option<String> {
    if text.contains('=') {
        return None;
    }
    let all = names::PROFILE_MODES.iter().chain(&names::PROFILE_FLAGS);
    let near = suggest::nearest(text, all.copied())?;
    Some(format!("write `{near}`"))
}

/// The problem with a `key=value` flag, or `None` when it is valid.
fn valued_flag_problem(text: &str) -> Option<String> {
    let Some((key, value)) = text.split_once('=') else {
        return Some(format!("unknown profile flag `{text}`"));
    };
    match key {
        "attach_disconnected.path" | "attach_disconnected.ipc" => {
            let ok = value.starts_with('/') || value.starts_with("@{");
            (!ok).then(|| format!("`{key}` must be a path beginning with `/`"))
        }
        "kill.signal" => {
            (!names::is_signal(value)).then(|| format!("unknown signal `{value}` in `kill.signal`"))
        }
        "error" => {
            let known = names::ERRNO_NAMES
                .iter()
                .any(|name| name.eq_ignore_ascii_case(value));
            (!known).then(|| format!("unknown error code `{value}`"))
        }
        _ => Some(format!("unknown profile flag `{text}`")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rlimit_values() {
        let cases = [
            (RlimitUnit::Count, "1024", None, true),
            (RlimitUnit::Count, "1024", Some("KB"), false),
            (RlimitUnit::Count, "-1", None, false),
            (RlimitUnit::Size, "10", Some("MB"), true),
            (RlimitUnit::Size, "10", Some("XB"), false),
            (RlimitUnit::Nice, "-20", None, true),
            (RlimitUnit::Nice, "20", None, false),
            (RlimitUnit::CpuTime, "1", Some("seconds"), true),
            (RlimitUnit::CpuTime, "1", Some("ms"), false),
            (RlimitUnit::RealTime, "1", Some("ms"), true),
            (RlimitUnit::Count, "ten", None, false),
        ];
        for (kind, value, unit, ok) in cases {
            assert_eq!(
                rlimit_value(kind, value, unit).is_ok(),
                ok,
                "{kind:?} {value} {unit:?}"
            );
        }
    }

    #[test]
    fn valued_flags() {
        let cases = [
            ("kill.signal=bus", true),
            ("kill.signal=nope", false),
            ("attach_disconnected.path=/foo", true),
            ("attach_disconnected.path=foo", false),
            ("error=EPERM", true),
            ("bogus", false),
        ];
        for (flag, ok) in cases {
            assert_eq!(valued_flag_problem(flag).is_none(), ok, "{flag}");
        }
    }
}
