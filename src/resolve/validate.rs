//! Semantic checks of non-file rules and profile flags, and the normalised
//! text form of non-file rules stored in [`model::OtherRule`].
//!
//! Each rule kind has a small check function naming the problems
//! `apparmor_parser` rejects: unknown names (capabilities, families,
//! signals, rlimits), access words a kind does not know, conditions it does
//! not take, prefixes it does not allow.
//!
//! [`model::OtherRule`]: crate::model::OtherRule

mod dbus;
mod mount;
mod socket;

use super::names::{self, RlimitUnit};
use super::{Resolver, codes, lower::expand_or_report};
use crate::parse::ast::{self, Condition, KeyedBody, RuleKind, Word};
use crate::parse::suggest;
use crate::source::Span;

/// Collects the problems of one rule.
struct Check<'r, 'o> {
    resolver: &'r mut Resolver<'o>,
    chain: &'r [Span],
    /// The keyword of the rule checked.
    kind: &'static str,
    failed: bool,
}

impl Check<'_, '_> {
    fn error(&mut self, span: Span, message: String, label: &str) {
        self.failed = true;
        self.resolver
            .error(codes::RULE, "bad-rule", span, self.chain, message, label);
    }

    /// A warning at `span` that does not make the rule fail.
    fn warning(&mut self, span: Span, message: String, label: &str) {
        let diagnostic =
            crate::diagnostic::Diagnostic::warning(codes::IGNORED_RULE, "ignored-rule", message)
                .with_primary(span, label)
                .with_include_chain(self.chain.to_vec());
        self.resolver.report(diagnostic);
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
        kind: rule.kind.keyword(),
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
        RuleKind::Network(body) => socket::network(&mut check, body),
        RuleKind::Mount(body) | RuleKind::Remount(body) | RuleKind::Umount(body) => {
            mount::mount(&mut check, rule.kind.keyword(), body)
        }
        RuleKind::PivotRoot(body) => pivot_root(&mut check, body),
        RuleKind::Mqueue(body) => mqueue(&mut check, body),
        RuleKind::Unix(body) => socket::unix(&mut check, body),
        RuleKind::Dbus(body) => dbus::dbus(&mut check, body),
        RuleKind::Signal(body)
        | RuleKind::Ptrace(body)
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
        // Upstream looks names up while parsing: no variables here.
        let name = word.text.clone();
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
        parts.push(check.expand_pattern(exec));
    }
    if let Some(target) = target {
        parts.push("->".into());
        // Upstream compiles the target as a pattern, as it does the exec.
        parts.push(check.expand_pattern(target));
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
    // Upstream ignores a unit after `infinity`.
    if value.text != "infinity"
        && let Err(message) = rlimit_value(kind, &value.text, unit_text)
    {
        let span = unit.map_or(value.span, |unit| value.span.to(unit.span));
        check.error(
            span,
            format!("invalid value for rlimit `{}`: {message}", name.text),
            "bad value",
        );
    }
    let mut body = format!("{} <= {}", name.text, value.text);
    if let Some(unit) = unit_text {
        body.push(' ');
        body.push_str(unit);
    }
    body
}

/// Checks an rlimit value as upstream: counts and nice values take no
/// unit, sizes take `K`/`M`/`G` (with optional `B`), times take time units
/// and must not come out below the limit's base unit.
fn rlimit_value(kind: RlimitUnit, value: &str, unit: Option<&str>) -> Result<(), String> {
    let number = c_integer(value).ok_or_else(|| format!("`{value}` is not a number"))?;
    let negative = || Err("the value must not be negative".to_string());
    match kind {
        RlimitUnit::Count if unit.is_some() => Err("this limit takes no unit".into()),
        RlimitUnit::Count if number < 0 => negative(),
        RlimitUnit::Nice if unit.is_some() => Err("nice takes no unit".into()),
        RlimitUnit::Nice if !(-20..=19).contains(&number) => {
            Err(format!("nice value {number} is outside -20..19"))
        }
        RlimitUnit::Size if number < 0 => negative(),
        RlimitUnit::Size => match unit {
            None | Some("K" | "KB" | "M" | "MB" | "G" | "GB") => Ok(()),
            Some(unit) => Err(format!("unknown size unit `{unit}`")),
        },
        RlimitUnit::CpuTime | RlimitUnit::RealTime if number < 0 => negative(),
        RlimitUnit::CpuTime => time_value(number, 1_000_000, unit, "one second"),
        RlimitUnit::RealTime => time_value(number, 1, unit, "one microsecond"),
        _ => Ok(()),
    }
}

/// The value of `-?DIGITS` as C's `strtoll(text, &end, 0)` reads it: a
/// leading `0` makes it octal (up to the first digit that is not), and
/// overflow saturates. `None` for text that is no such number.
fn c_integer(text: &str) -> Option<i64> {
    let (negative, digits) = match text.strip_prefix('-') {
        Some(digits) => (true, digits),
        None => (false, text),
    };
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let (radix, digits) = match digits.strip_prefix('0') {
        Some(rest) if !rest.is_empty() => (8, rest),
        _ => (10, digits),
    };
    let mut value: i64 = 0;
    for digit in digits.bytes().map(|b| i64::from(b - b'0')) {
        if digit >= radix {
            break;
        }
        value = value.saturating_mul(radix).saturating_add(digit);
    }
    Some(if negative {
        value.saturating_neg()
    } else {
        value
    })
}

/// Converts `number` in `unit` to the limit's base (microseconds times
/// `base`), as upstream's `convert_time_units`: an unknown unit and a
/// value below one base unit are errors.
fn time_value(number: i64, base: i64, unit: Option<&str>, least: &str) -> Result<(), String> {
    const UNITS: [(&[&str], i64); 7] = [
        (&["us", "microsecond", "microseconds"], 1),
        (&["ms", "millisecond", "milliseconds"], 1_000),
        (&["s", "sec", "second", "seconds"], 1_000_000),
        (&["min", "minute", "minutes"], 60_000_000),
        (&["h", "hour", "hours"], 3_600_000_000),
        (&["d", "day", "days"], 86_400_000_000),
        (&["week", "weeks"], 604_800_000_000),
    ];
    let Some(unit) = unit else {
        return Ok(());
    };
    let Some((_, scale)) = UNITS.iter().find(|(names, _)| names.contains(&unit)) else {
        return Err(format!("unknown time unit `{unit}`"));
    };
    // C multiplies without overflow checks; wrapping keeps its result.
    if number.wrapping_mul(*scale) < base {
        return Err(format!("the limit must be at least {least}"));
    }
    Ok(())
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

/// Checks access words against the kind's vocabulary. In a `( ... )`
/// list upstream also reads any word of the letters `r` and `w` (either
/// case) as read and write, and ignores unknown io_uring accesses.
fn check_perms(check: &mut Check<'_, '_>, kind: &str, body: &KeyedBody) -> Vec<String> {
    let allowed = names::access_words(kind);
    let mut perms = Vec::new();
    for word in &body.perms {
        let text = word.text.as_str();
        let letters = body.perms_list && kind != "io_uring" && is_access_letters(text);
        if allowed.contains(&text) || letters {
            perms.push(word.text.clone());
        } else if kind == "io_uring" && body.perms_list {
            let message = format!("unknown io_uring access `{text}` is ignored");
            check.warning(word.span, message, "ignored by apparmor_parser");
        } else {
            check.error_help(
                word.span,
                format!("`{text}` is not an access of {kind} rules"),
                "unknown access",
                write_nearest(text, allowed.iter().copied()),
            );
            perms.push(word.text.clone());
        }
    }
    perms
}

/// `rw`, `RW`, `rrw`: a word upstream reads as read and write letters.
fn is_access_letters(text: &str) -> bool {
    !text.is_empty() && text.bytes().all(|b| matches!(b, b'r' | b'w' | b'R' | b'W'))
}

/// How the values of a condition are kept in the rule's text.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Values {
    /// Variables expanded and the pattern checked.
    Expanded,
    /// As written: upstream reads these values before expanding variables.
    AsWritten,
}

/// Checks each condition with `each` and that no key is given twice
/// (`seen` holds the keys given so far, so a rule and its `peer=(...)`
/// can share it); returns the conditions' texts.
fn conditions_only<'a>(
    check: &mut Check<'_, '_>,
    conditions: &'a [Condition],
    seen: &mut Vec<&'a str>,
    mut each: impl FnMut(&mut Check<'_, '_>, &Condition),
) -> Vec<String> {
    conditions_with(check, conditions, seen, |check, condition| {
        each(check, condition);
        Values::Expanded
    })
}

/// As [`conditions_only`], with `each` saying how values are kept.
fn conditions_with<'a>(
    check: &mut Check<'_, '_>,
    conditions: &'a [Condition],
    seen: &mut Vec<&'a str>,
    mut each: impl FnMut(&mut Check<'_, '_>, &Condition) -> Values,
) -> Vec<String> {
    let mut texts = Vec::new();
    for condition in conditions {
        let key = condition.key.text.as_str();
        // Upstream allows a signal set more than once and merges the sets.
        let repeatable = key == "set" && check.kind == "signal";
        if seen.contains(&key) && !repeatable {
            let message = format!("condition `{key}` given twice");
            check.error(condition.key.span, message, "repeated");
        }
        seen.push(key);
        let values: Vec<String> = match each(check, condition) {
            Values::Expanded => condition
                .values
                .iter()
                .map(|w| check.expand_pattern(w))
                .collect(),
            Values::AsWritten => condition.values.iter().map(|w| w.text.clone()).collect(),
        };
        texts.push(condition_text(condition, &values));
    }
    texts
}

/// Checks conditions of signal, ptrace, io_uring and mqueue rules against
/// the allowed keys, with `=` only; returns their texts. `seen` holds the
/// keys given so far.
fn check_conditions<'a>(
    check: &mut Check<'_, '_>,
    kind: &str,
    conditions: &'a [Condition],
    allowed: &[&str],
    seen: &mut Vec<&'a str>,
) -> Vec<String> {
    conditions_with(check, conditions, seen, |check, condition| {
        one_condition(check, kind, condition, allowed)
    })
}

fn one_condition(
    check: &mut Check<'_, '_>,
    kind: &str,
    condition: &Condition,
    allowed: &[&str],
) -> Values {
    let key = condition.key.text.as_str();
    if !allowed.contains(&key) {
        let message = format!("{kind} rules have no condition `{key}`");
        check.error(condition.key.span, message, "unknown condition");
        return Values::AsWritten;
    }
    if condition.op.as_deref() != Some("=") {
        let message = format!("only `=` is allowed in conditions of {kind} rules");
        check.error(condition.key.span, message, "here");
    }
    if condition.values.len() > 1 && kind == "io_uring" {
        let message = format!("condition `{key}` takes a single value");
        check.error(condition.key.span, message, "several values");
    }
    if kind == "signal" && key == "set" {
        check_signals(check, condition);
        return Values::AsWritten;
    }
    if kind == "mqueue" && key == "type" {
        return Values::AsWritten;
    }
    Values::Expanded
}

/// Signal names are read as written: upstream looks them up while
/// parsing, before variables exist.
fn check_signals(check: &mut Check<'_, '_>, condition: &Condition) {
    for word in &condition.values {
        if !names::is_signal(&word.text) {
            check.error_help(
                word.span,
                format!("unknown signal `{}`", word.text),
                "unknown signal",
                write_nearest(&word.text, names::SIGNALS),
            );
        }
    }
}

/// Words and `->` belong to none of the rules checked with this.
fn no_words_or_arrow(check: &mut Check<'_, '_>, kind: &str, body: &KeyedBody) {
    for word in &body.words {
        let message = format!("unexpected `{}` in a {kind} rule", word.text);
        check.error(word.span, message, "unexpected");
        if word.text.starts_with('#')
            && let Some(last) = check.resolver.diagnostics.last_mut()
        {
            last.help = Some("end the rule with `,` before a comment".into());
        }
    }
    no_arrow(check, kind, body);
}

/// A `->` part: upstream's grammar has none in network, unix, dbus,
/// signal, ptrace, mqueue and io_uring rules.
fn no_arrow(check: &mut Check<'_, '_>, kind: &str, body: &KeyedBody) {
    if let Some(arrow) = &body.arrow {
        let message = format!("`->` is not allowed in {kind} rules");
        check.error(arrow.span, message, "unexpected");
    }
}

/// A `peer=(...)` or `xattrs=(...)` group, which upstream's grammar reads
/// only in network, unix, dbus and io_uring rules.
fn no_group(check: &mut Check<'_, '_>, kind: &str, body: &KeyedBody) {
    if let Some((key, _)) = &body.group {
        let message = format!("{kind} rules have no `{}=(...)` group", key.text);
        check.error(key.span, message, "unknown group");
    }
}

/// signal, ptrace, userns and io_uring rules.
fn keyed(check: &mut Check<'_, '_>, kind: &str, body: &KeyedBody) -> String {
    let perms = check_perms(check, kind, body);
    no_words_or_arrow(check, kind, body);
    let keys = names::condition_keys(kind);
    let mut parts: Vec<String> = perms_text(&perms).into_iter().collect();
    let mut seen = Vec::new();
    parts.extend(check_conditions(
        check,
        kind,
        &body.conditions,
        keys,
        &mut seen,
    ));
    if let Some((key, conditions)) = &body.group {
        // io_uring takes a group of either name, read as its own
        // conditions; the others take none.
        if kind != "io_uring" {
            no_group(check, kind, body);
        }
        let inner = check_conditions(check, kind, conditions, keys, &mut seen);
        parts.push(format!("{}=({})", key.text, inner.join(" ")));
    }
    parts.join(" ")
}

fn mqueue(check: &mut Check<'_, '_>, body: &KeyedBody) -> String {
    let perms = check_perms(check, "mqueue", body);
    let mut parts: Vec<String> = perms_text(&perms).into_iter().collect();
    let keys = names::condition_keys("mqueue");
    let mut seen = Vec::new();
    parts.extend(check_conditions(
        check,
        "mqueue",
        &body.conditions,
        keys,
        &mut seen,
    ));
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
        // Upstream checks the name as written, before variables expand.
        let raw = name.text.as_str();
        let numeric = !raw.is_empty() && raw.bytes().all(|b| b.is_ascii_digit());
        let ok = match queue_type.as_deref() {
            Some("posix") => raw.starts_with('/'),
            Some("sysv") => numeric,
            _ => raw.starts_with('/') || numeric,
        };
        if !ok {
            check.error(
                name.span,
                format!("invalid mqueue name `{raw}`"),
                "bad queue name",
            );
        }
        parts.push(check.expand(name));
    }
    no_arrow(check, "mqueue", body);
    no_group(check, "mqueue", body);
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
        let values: Vec<String> = condition
            .values
            .iter()
            .map(|w| check.expand_pattern(w))
            .collect();
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
        parts.push(check.expand_pattern(word));
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
    no_group(check, "pivot_root", body);
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
            (RlimitUnit::CpuTime, "1000", Some("ms"), true),
            (RlimitUnit::CpuTime, "0", Some("s"), false),
            (RlimitUnit::CpuTime, "0", None, true),
            (RlimitUnit::RealTime, "1", Some("ms"), true),
            (RlimitUnit::RealTime, "0", Some("us"), false),
            (RlimitUnit::RealTime, "5", Some("bogus"), false),
            (RlimitUnit::Count, "99999999999999999999", None, true),
            (RlimitUnit::Nice, "-024", None, true),
            (RlimitUnit::Nice, "-25", None, false),
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

    /// The error messages of a profile holding `rule`.
    fn rule_errors(rule: &str) -> Vec<String> {
        let resolved = crate::resolve::load_test_text(&format!("profile p {{\n  {rule}\n}}\n"));
        let errors = resolved.diagnostics.iter().filter(|d| d.is_error());
        errors.map(|d| d.message.clone()).collect()
    }

    /// Upstream's grammar has a `->` part only in mount and pivot_root
    /// rules and a group only in network, unix, dbus and io_uring rules.
    #[test]
    fn arrows_and_groups_only_where_upstream_reads_them() {
        let cases: [(&str, &[&str]); 9] = [
            ("network inet stream,", &[]),
            (
                "network inet -> x,",
                &["`->` is not allowed in network rules"],
            ),
            ("network -> x,", &["`->` is not allowed in network rules"]),
            ("mqueue type=posix /q,", &[]),
            ("mqueue /q -> x,", &["`->` is not allowed in mqueue rules"]),
            (
                "mqueue /q peer=(label=a),",
                &["mqueue rules have no `peer=(...)` group"],
            ),
            ("pivot_root oldroot=/o/ /n/ -> c,", &[]),
            (
                "pivot_root /n/ xattrs=(a=b),",
                &["pivot_root rules have no `xattrs=(...)` group"],
            ),
            ("io_uring sqpoll peer=(label=a),", &[]),
        ];
        for (rule, expected) in cases {
            assert_eq!(rule_errors(rule), expected, "{rule}");
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
