//! Checks of `network` and `unix` rules, as `apparmor_parser` makes them
//! (`network.cc`, `af_rule.cc`, `af_unix.cc`).
//!
//! Upstream reads the conditions of these rules while parsing, before
//! variables are expanded, so ip addresses, ports, socket types and unix
//! addresses are checked as written. A rule with peer conditions takes only
//! the accesses that act on a peer.

use super::{
    Check, check_perms, conditions_only, names, no_arrow, no_words_or_arrow, perms_text, suggest,
};
use crate::parse::ast::{Condition, KeyedBody};

/// Accesses that act on a connected socket's peer.
const PEER_ACCESSES: [&str; 10] = [
    "send", "receive", "connect", "accept", "r", "w", "rw", "wr", "read", "write",
];

pub(super) fn network(check: &mut Check<'_, '_>, body: &KeyedBody) -> String {
    let perms = check_perms(check, "network", body);
    let mut parts: Vec<String> = perms_text(&perms).into_iter().collect();
    let words: Vec<&str> = body.words.iter().map(|w| w.text.as_str()).collect();
    if let Some(problem) = network_words_problem(&words) {
        let span = body.words[0].span.to(body.words[words.len() - 1].span);
        check.error_help(span, problem, "invalid network entry", network_help(&words));
    }
    parts.extend(words.iter().map(|w| w.to_string()));

    rule_conditions(check, body, network_condition, &mut parts);
    let peer = peer_group(check, "network", body, network_condition, &mut parts);
    let peer_ip = peer
        .iter()
        .any(|c| matches!(c.key.text.as_str(), "ip" | "port"));
    let any_condition = !body.conditions.is_empty() || peer_ip;
    if any_condition && !words.is_empty() && !network_words_allow_ip(&words) {
        let message = "only inet and inet6 network rules take conditions".into();
        check.error(body.words[0].span, message, "here");
    }
    if peer_ip {
        check_peer_perms(check, "network", body);
    }
    no_arrow(check, "network", body);
    parts.join(" ")
}

/// One condition of a network rule (`peer` says whether inside
/// `peer=(...)`); a list stands for its first value, as upstream reads it.
fn network_condition(check: &mut Check<'_, '_>, condition: &Condition, peer: bool) {
    let key = condition.key.text.as_str();
    let op = condition.op.as_deref();
    let known = matches!(key, "ip" | "port" | "label") || (key == "interface" && !peer);
    if !known {
        let message = if key == "interface" {
            "network `interface` cannot be given for the peer".into()
        } else {
            format!("network rules have no condition `{key}`")
        };
        check.error(condition.key.span, message, "invalid condition");
        return;
    }
    let op_ok = op == Some("=") || (key == "label" && op == Some(":="));
    if !op_ok {
        let message = format!("operator not allowed in network `{key}`");
        check.error(condition.key.span, message, "here");
    }
    let Some(first) = condition.values.first() else {
        return;
    };
    let ok = match key {
        "ip" => first.text == "none" || first.text.parse::<std::net::IpAddr>().is_ok(),
        "port" => port_ok(&first.text),
        _ => true,
    };
    if !ok {
        let message = format!("invalid network {key} `{}`", first.text);
        check.error(first.span, message, "invalid value");
    }
}

/// Why `network FAMILY [TYPE]` names no socket, if it does not.
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
    if let Some(word) = words.iter().find(|w| w.starts_with('#')) {
        return Some(format!(
            "`{word}` is no comment inside a rule: end the rule with `,` before it"
        ));
    }
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

/// Whether conditions fit the family named by `words`: inet and inet6
/// take them, and a type or protocol alone stands for those two families.
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

fn check_peer_perms(check: &mut Check<'_, '_>, kind: &str, body: &KeyedBody) {
    for word in &body.perms {
        if !PEER_ACCESSES.contains(&word.text.as_str()) && !is_letters(&word.text) {
            let message = format!(
                "{kind} access `{}` cannot be used with peer conditions",
                word.text
            );
            check.error(word.span, message, "not a peer access");
        }
    }
}

/// `rw`, `RW`, `rrw`: read and write letters, peer accesses.
fn is_letters(text: &str) -> bool {
    text.bytes().all(|b| matches!(b, b'r' | b'w' | b'R' | b'W'))
}

/// A port or `FROM-TO` range as upstream reads it with `strtoul`: a sign
/// is allowed, the whole text must be read, and the value fit 16 bits.
fn port_ok(value: &str) -> bool {
    let number = |text: &str| -> Option<u64> {
        let digits = text.strip_prefix(['+', '-']).unwrap_or(text);
        let all_digits = !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit());
        let number = names::strtoul_prefix(text);
        (all_digits && number <= u64::from(u16::MAX)).then_some(number)
    };
    if let Some((from, to)) = value.split_once('-')
        && let (Some(from), Some(to)) = (number(from), number(to))
    {
        return from <= to;
    }
    number(value).is_some()
}

pub(super) fn unix(check: &mut Check<'_, '_>, body: &KeyedBody) -> String {
    let perms = check_perms(check, "unix", body);
    let mut parts: Vec<String> = perms_text(&perms).into_iter().collect();
    no_words_or_arrow(check, "unix", body);
    rule_conditions(check, body, unix_condition, &mut parts);
    if !peer_group(check, "unix", body, unix_condition, &mut parts).is_empty() {
        check_peer_perms(check, "unix", body);
    }
    parts.join(" ")
}

/// Checks the conditions of a rule outside its group, each with
/// `condition`, and adds their text to `parts`.
fn rule_conditions(
    check: &mut Check<'_, '_>,
    body: &KeyedBody,
    condition: fn(&mut Check<'_, '_>, &Condition, bool),
    parts: &mut Vec<String>,
) {
    let mut seen = Vec::new();
    parts.extend(conditions_only(
        check,
        &body.conditions,
        &mut seen,
        |check, c| {
            condition(check, c, false);
        },
    ));
}

/// Checks the `peer=(...)` group of a `kind` rule, each condition with
/// `condition` (told it is inside the group), and adds its text to
/// `parts`. Returns the group's conditions, none without a group.
fn peer_group<'b>(
    check: &mut Check<'_, '_>,
    kind: &str,
    body: &'b KeyedBody,
    condition: fn(&mut Check<'_, '_>, &Condition, bool),
    parts: &mut Vec<String>,
) -> &'b [Condition] {
    let Some((key, conditions)) = &body.group else {
        return &[];
    };
    if key.text != "peer" {
        let message = format!("{kind} rules have only a `peer=(...)` group");
        check.error(key.span, message, "unknown group");
    }
    let mut seen = Vec::new();
    let inner = conditions_only(check, conditions, &mut seen, |check, c| {
        condition(check, c, true);
    });
    parts.push(format!("peer=({})", inner.join(" ")));
    conditions
}

/// One condition of a unix rule (`peer` says whether inside `peer=(...)`).
fn unix_condition(check: &mut Check<'_, '_>, condition: &Condition, peer: bool) {
    let key = condition.key.text.as_str();
    let problem = match key {
        "protocol" => Some("unix `protocol` condition is not supported".to_string()),
        "label" if !peer => Some("unix `label` is only valid inside `peer=(...)`".into()),
        "type" if peer => Some("unix `type` cannot be given for the peer".into()),
        "addr" | "label" | "type" => None,
        _ => Some(format!("unix rules have no condition `{key}`")),
    };
    if let Some(problem) = problem {
        check.error(condition.key.span, problem, "invalid condition");
        return;
    }
    if condition.op.as_deref() != Some("=") {
        let message = format!("operator not allowed in unix `{key}`");
        check.error(condition.key.span, message, "here");
    }
    if condition.values.len() > 1 {
        let message = format!("unix `{key}` takes a single value");
        check.error(condition.key.span, message, "several values");
    }
    let Some(value) = condition.values.first() else {
        return;
    };
    let text = value.text.as_str();
    let ok = match key {
        "addr" => text.starts_with('@') || text == "none" || text == "auto",
        "type" => text == "none" || names::SOCKET_TYPES.contains(&text),
        _ => true,
    };
    if !ok {
        let message = format!("invalid unix {key} `{text}`");
        check.error(value.span, message, "invalid value");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ports_as_strtoul_reads_them() {
        let cases = [
            ("80", true),
            ("+80", true),
            ("-0", true),
            ("-1", false),
            ("65535", true),
            ("65536", false),
            ("80-90", true),
            ("90-80", false),
            ("80-", false),
            ("8x", false),
            ("", false),
        ];
        for (port, ok) in cases {
            assert_eq!(port_ok(port), ok, "{port}");
        }
    }
}
