//! Checks of `dbus` rules, as `apparmor_parser` makes them (`dbus.cc`).
//!
//! A dbus rule is a message rule (it names a path, interface, member or a
//! peer) or a service rule (it names the bus name it binds); each takes
//! only the accesses that fit it. Every condition may be written once,
//! counting the ones inside `peer=(...)`.

use super::{Check, check_perms, perms_text};
use crate::parse::ast::{Condition, KeyedBody};

/// The conditions of a dbus rule, in the rule and in `peer=(...)` alike.
const KEYS: [&str; 6] = ["bus", "name", "label", "path", "interface", "member"];

/// Access bits, as upstream's `AA_DBUS_*`.
const SEND: u8 = 1;
const RECEIVE: u8 = 2;
const BIND: u8 = 4;
const EAVESDROP: u8 = 8;

/// The bits of one access word; letters `r` and `w` in a list are
/// receive and send.
fn access_bits(text: &str) -> u8 {
    match text {
        "send" | "write" => SEND,
        "receive" | "read" => RECEIVE,
        "bind" => BIND,
        "eavesdrop" => EAVESDROP,
        letters => letters.bytes().fold(0, |bits, letter| match letter {
            b'r' | b'R' => bits | RECEIVE,
            b'w' | b'W' => bits | SEND,
            _ => bits,
        }),
    }
}

pub(super) fn dbus(check: &mut Check<'_, '_>, body: &KeyedBody) -> String {
    let perms = check_perms(check, "dbus", body);
    super::no_words_or_arrow(check, "dbus", body);
    let mut parts: Vec<String> = perms_text(&perms).into_iter().collect();
    let mut seen = Vec::new();
    parts.extend(conditions(check, &body.conditions, &mut seen));
    if let Some(condition) = body.conditions.iter().find(|c| c.key.text == "label") {
        let message = "dbus `label` can only be used inside `peer=(...)`".into();
        check.error(condition.key.span, message, "outside peer");
    }
    let mut peer: &[Condition] = &[];
    if let Some((key, conditions)) = &body.group {
        if key.text != "peer" {
            let message = format!("dbus rules have no `{}=(...)` group", key.text);
            check.error(key.span, message, "unknown group");
        }
        let inner = super::conditions_only(check, conditions, &mut seen, |check, c| {
            single_value(check, c);
        });
        parts.push(format!("peer=({})", inner.join(" ")));
        peer = conditions;
    }
    check_kind(check, body, peer);
    parts.join(" ")
}

/// The conditions of the rule itself; `seen` collects the keys given.
fn conditions<'a>(
    check: &mut Check<'_, '_>,
    conditions: &'a [Condition],
    seen: &mut Vec<&'a str>,
) -> Vec<String> {
    super::conditions_only(check, conditions, seen, single_value)
}

fn single_value(check: &mut Check<'_, '_>, condition: &Condition) {
    let key = condition.key.text.as_str();
    if !KEYS.contains(&key) {
        let message = format!("dbus rules have no condition `{key}`");
        check.error(condition.key.span, message, "unknown condition");
    }
    if condition.op.as_deref() != Some("=") {
        let message = "only `=` is allowed in conditions of dbus rules".into();
        check.error(condition.key.span, message, "here");
    }
    if condition.values.len() > 1 {
        let message = format!("condition `{key}` takes a single value");
        check.error(condition.key.span, message, "several values");
    }
}

/// A message rule takes no `bind`, a service rule no `send` or
/// `receive`, and `eavesdrop` takes nothing but a bus.
fn check_kind(check: &mut Check<'_, '_>, body: &KeyedBody, peer: &[Condition]) {
    let local = |key: &str| body.conditions.iter().any(|c| c.key.text == key);
    let in_peer = |key: &str| peer.iter().any(|c| c.key.text == key);
    let anywhere = |key: &str| local(key) || in_peer(key);
    let service = local("name");
    let message = ["path", "interface", "member"]
        .iter()
        .any(|key| anywhere(key))
        || in_peer("label")
        || (in_peer("name") && !service);
    if message && service {
        let span = body.conditions[0].key.span;
        let text = "dbus rule mixes message and service conditions".into();
        check.error(span, text, "here");
    }
    let Some(bits) = body
        .perms
        .iter()
        .map(|w| access_bits(&w.text))
        .reduce(|a, b| a | b)
    else {
        return;
    };
    let named = message || anywhere("name") || anywhere("label");
    let problem = if message && bits & BIND != 0 {
        Some("dbus `bind` access cannot be used with message conditions")
    } else if service && bits & (SEND | RECEIVE) != 0 {
        Some("dbus `send` and `receive` accesses cannot be used with a service name")
    } else if bits & EAVESDROP != 0 && named {
        Some("dbus `eavesdrop` access takes only a `bus` condition")
    } else {
        None
    };
    if let (Some(problem), Some(first)) = (problem, body.perms.first()) {
        let span = body
            .perms
            .last()
            .map_or(first.span, |last| first.span.to(last.span));
        check.error(span, problem.into(), "access here");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn access_words_map_to_bits() {
        let cases = [
            ("send", SEND),
            ("write", SEND),
            ("r", RECEIVE),
            ("RW", SEND | RECEIVE),
            ("rrw", SEND | RECEIVE),
            ("bind", BIND),
            ("eavesdrop", EAVESDROP),
        ];
        for (text, bits) in cases {
            assert_eq!(access_bits(text), bits, "{text}");
        }
    }
}
