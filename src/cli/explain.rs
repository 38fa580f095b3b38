//! `aaprove explain PROFILE PATH [--perm PERMS] [--profile NAME]`: the
//! decision for one path, every rule that matches it with its place, text
//! and matching alternative, and why each permission is decided as it is;
//! as text or one JSON object.

use std::ffi::OsString;
use std::fmt::Write as _;
use std::io::{self, Write};

use clap::Args;
use serde::Serialize;
use serde_json::{Value, json};

use crate::analyze::explain::{
    Alternatives, Contribution, Explainer, Explanation, Location, NearRule, Reason, RuleMatch,
    RuleSite, rule_site,
};
use crate::analyze::query::{PathAnswer, PermissionDecision};
use crate::compile::{EntrySource, Half};
use crate::model::{FilePerms, FileRule, OwnerQualifier, Profile};
use crate::source::SourceMap;

use super::query::{self as query_cli, AnswerJson, Loaded, PATHS_HELP, SelectArgs};
use super::{FormatArg, GlobalArgs, LoadArgs, Status, after_output};

/// The JSON object of `explain`: the `query` line's keys, then the rest.
#[derive(Serialize)]
struct ExplanationJson {
    #[serde(flatten)]
    answer: AnswerJson,
    profile: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    perm: Option<String>,
    matches: Vec<Value>,
    reasons: Vec<Value>,
    closest: Vec<Value>,
}

/// How many near rules are named when no rule decides.
const CLOSEST_COUNT: usize = 3;

#[derive(Debug, Args)]
#[command(after_help = PATHS_HELP)]
pub struct ExplainArgs {
    /// Profile file; `docker-default` is the built-in profile (write
    /// `./docker-default` for a file of that name).
    #[arg(value_name = "PROFILE")]
    pub profile: OsString,
    /// The path, exactly as the kernel presents it.
    #[arg(value_name = "PATH")]
    pub path: OsString,
    #[command(flatten)]
    pub select: SelectArgs,
    #[command(flatten)]
    pub load: LoadArgs,
}

pub fn run(args: &ExplainArgs, global: &GlobalArgs) -> Status {
    if !query_cli::text_or_json(global, "explain") {
        return Status::Failure;
    }
    let Some(loaded) = query_cli::load(&args.profile, &args.select, &args.load, global) else {
        return Status::Failure;
    };
    let rendered = render(
        &loaded,
        args.path.as_encoded_bytes(),
        args.select.perm,
        global.format,
    );
    let mut out = io::stdout().lock();
    let written = out
        .write_all(rendered.as_bytes())
        .and_then(|()| out.flush());
    after_output(Status::Clean, written)
}

/// The whole output of `explain` for `path`.
pub fn render(loaded: &Loaded, path: &[u8], perm: Option<FilePerms>, format: FormatArg) -> String {
    let explainer = Explainer::new(&loaded.profile, &loaded.automaton);
    let explanation = explainer.explain(path);
    let closest = closest(&explainer, &explanation, perm);
    let view = View {
        profile: &loaded.profile,
        sources: &loaded.resolved.sources,
        explanation: &explanation,
        perm,
        closest: &closest,
    };
    match format {
        FormatArg::Json => format!("{}\n", view.json(loaded)),
        _ => view.text(loaded),
    }
}

/// Near rules, when no matching rule gives what was asked: with `perm`,
/// rules allowing all of it when no half allows it; without, any rule when
/// none matches.
fn closest(
    explainer: &Explainer,
    explanation: &Explanation,
    perm: Option<FilePerms>,
) -> Vec<NearRule> {
    let path = &explanation.path;
    match perm {
        None if explanation.matches.is_empty() => {
            explainer.closest_rules(path, |_| true, CLOSEST_COUNT)
        }
        Some(perm)
            if Half::BOTH
                .iter()
                .all(|&h| explanation.deciding(h, perm).is_empty()) =>
        {
            let allows = |rule: &FileRule| {
                rule.qualifiers.decision != crate::model::Decision::Deny
                    && rule.perms.contains(perm)
            };
            explainer.closest_rules(path, allows, CLOSEST_COUNT)
        }
        _ => Vec::new(),
    }
}

/// What one rendering needs.
struct View<'a> {
    profile: &'a Profile,
    sources: &'a SourceMap,
    explanation: &'a Explanation,
    perm: Option<FilePerms>,
    closest: &'a [NearRule],
}

impl View<'_> {
    fn text(&self, loaded: &Loaded) -> String {
        let mut out = String::new();
        let path = String::from_utf8_lossy(&self.explanation.path);
        let _ = writeln!(out, "path {path} in profile {}", loaded.name);
        self.text_decision(&mut out, loaded);
        self.text_matches(&mut out);
        self.text_reasons(&mut out);
        self.text_closest(&mut out);
        out
    }

    fn text_decision(&self, out: &mut String, loaded: &Loaded) {
        let permissions = &self.explanation.permissions;
        for half in Half::BOTH {
            let perms = permissions.half(half);
            let mut line = format!(
                "  {:<5}  allow {}",
                half_name(half),
                letters_or_dash(perms.allow)
            );
            let exec = crate::analyze::query::exec_text(&loaded.automaton, perms);
            if !exec.is_empty() {
                let _ = write!(line, " (exec {exec})");
            }
            let _ = write!(line, ", deny {}", letters_or_dash(perms.deny));
            if !perms.audit.is_empty() {
                let _ = write!(line, ", audit {}", perms.audit.letters());
            }
            if let Some(perm) = self.perm {
                let decision = self.explanation.decision(half, perm);
                let _ = write!(line, "; {} {}", perm.letters(), decision.as_str());
            }
            let _ = writeln!(out, "{line}");
        }
    }

    fn text_matches(&self, out: &mut String) {
        let matches = &self.explanation.matches;
        if matches.is_empty() {
            let _ = writeln!(
                out,
                "\nno rule matches this path: every permission is refused"
            );
            return;
        }
        let _ = writeln!(out, "\nmatching rules:");
        for (index, rule_match) in matches.iter().enumerate() {
            self.text_match(out, index, rule_match);
        }
    }

    fn text_match(&self, out: &mut String, index: usize, rule_match: &RuleMatch) {
        let label = format!("[{}]", index + 1);
        match &rule_match.source {
            EntrySource::Rule(rule) | EntrySource::LinkPair(rule) => {
                let rule = &self.profile.file_rules[*rule];
                let site = rule_site(&rule.origin, self.sources);
                let _ = writeln!(out, "  {label} {}", location_text(&site.location));
                write_site_lines(out, &site);
                let _ = writeln!(out, "      pattern: {}", rule.pattern);
            }
            EntrySource::Implicit(pattern) => {
                let _ = writeln!(out, "  {label} implicit rule added by apparmor_parser");
                let _ = writeln!(out, "      pattern: {pattern}");
            }
        }
        write_alternatives(out, &rule_match.alternatives);
        let _ = writeln!(out, "      {}", contribution_text(&rule_match.contribution));
    }

    fn text_reasons(&self, out: &mut String) {
        let _ = writeln!(out, "\nwhy:");
        for (letter, perm) in FilePerms::LETTERS {
            if self.perm.is_some_and(|asked| !asked.contains(perm)) {
                continue;
            }
            let texts: Vec<String> = Half::BOTH
                .iter()
                .map(|&half| self.reason_text(self.reason(half, perm)))
                .collect();
            if texts[0] == texts[1] {
                let _ = writeln!(out, "  {letter}  owner, other: {}", texts[0]);
            } else {
                let _ = writeln!(out, "  {letter}  owner: {}", texts[0]);
                let _ = writeln!(out, "     other: {}", texts[1]);
            }
        }
    }

    fn reason(&self, half: Half, perm: FilePerms) -> &Reason {
        self.explanation
            .reason(half, perm)
            .expect("explain gives a reason for every half and letter")
    }

    /// One sentence: the decision, the rules deciding it and what they win
    /// over.
    fn reason_text(&self, reason: &Reason) -> String {
        let matches = &self.explanation.matches;
        let mut text = match reason.decision {
            PermissionDecision::Allow => format!("allow, by {}", labels(&reason.allowed_by)),
            PermissionDecision::Deny if reason.allowed_by.is_empty() => {
                format!("deny, by {}; no rule allows it", labels(&reason.denied_by))
            }
            PermissionDecision::Deny => format!(
                "deny, by {}, over the allow of {} (deny beats allow)",
                labels(&reason.denied_by),
                labels(&reason.allowed_by)
            ),
            PermissionDecision::None => "none: no rule allows it".to_string(),
        };
        let implied: Vec<usize> = reason_rules(reason)
            .filter(|&m| matches[m].contribution.implied.contains(reason.perm))
            .collect();
        if !implied.is_empty() {
            let by = implied_by(reason.perm);
            let _ = write!(text, "; {by} in {}", labels(&implied));
        }
        let other_half = match reason.half {
            Half::Owner => Half::Other,
            Half::Other => Half::Owner,
        };
        let elsewhere: Vec<usize> = (0..matches.len())
            .filter(|&m| {
                let contribution = &matches[m].contribution;
                !contribution.covers(reason.half)
                    && contribution.half(other_half).contains(reason.perm)
            })
            .collect();
        if !elsewhere.is_empty() {
            let other = half_name(other_half);
            let _ = write!(
                text,
                "; {} applies to the {other} half only",
                labels(&elsewhere)
            );
        }
        self.write_exec(&mut text, reason);
        self.write_outranked(&mut text, reason);
        if !reason.audited_by.is_empty() {
            let _ = write!(text, "; audited by {}", labels(&reason.audited_by));
        }
        let link_pairs: Vec<usize> = (0..matches.len())
            .filter(|&m| {
                let contribution = &matches[m].contribution;
                contribution.link_pair_only && contribution.covers(reason.half)
            })
            .collect();
        if reason.perm == FilePerms::LINK && !link_pairs.is_empty() {
            let _ = write!(
                text,
                "; the `deny l` of {} applies to link pairs only, not to the path",
                labels(&link_pairs)
            );
        }
        text
    }

    fn write_exec(&self, text: &mut String, reason: &Reason) {
        let Some(exec) = &reason.exec else {
            return;
        };
        let _ = write!(
            text,
            "; exec mode {} from {}",
            exec.mode,
            labels(&exec.from)
        );
        if !exec.overridden.is_empty() {
            let _ = write!(
                text,
                " (an exact rule sets the exec mode over the glob rules {})",
                labels(&exec.overridden)
            );
        }
    }

    fn write_outranked(&self, text: &mut String, reason: &Reason) {
        if reason.outranked.is_empty() {
            return;
        }
        let matches = &self.explanation.matches;
        let winners = reason.allowed_by.iter().chain(&reason.denied_by);
        let top = winners
            .map(|&m| matches[m].contribution.priority)
            .max()
            .unwrap_or(0);
        let _ = write!(
            text,
            "; {} ignored: lower priority than {top}",
            labels(&reason.outranked)
        );
    }

    fn text_closest(&self, out: &mut String) {
        if self.closest.is_empty() {
            return;
        }
        let heading = match self.perm {
            Some(perm) => format!(
                "\nno matching rule allows {}; closest rules that do:",
                perm.letters()
            ),
            None => "\nclosest rules:".to_string(),
        };
        let _ = writeln!(out, "{heading}");
        for near in self.closest {
            let rule = &self.profile.file_rules[near.rule];
            let site = rule_site(&rule.origin, self.sources);
            let followed = String::from_utf8_lossy(&self.explanation.path[..near.matched]);
            let _ = writeln!(out, "  {}", location_text(&site.location));
            write_site_lines(out, &site);
            let _ = writeln!(out, "      pattern: {}", rule.pattern);
            let _ = writeln!(out, "      follows the path as far as `{followed}`");
        }
    }

    fn json(&self, loaded: &Loaded) -> String {
        let answer = PathAnswer {
            path: self.explanation.path.clone(),
            permissions: self.explanation.permissions,
        };
        let matches = self.explanation.matches.iter().enumerate();
        let reasons = self.explanation.reasons.iter();
        let reasons = reasons.filter(|r| self.perm.is_none_or(|asked| asked.contains(r.perm)));
        let explanation = ExplanationJson {
            answer: AnswerJson::of(&answer, &loaded.automaton, self.perm),
            profile: loaded.name.clone(),
            perm: self.perm.map(FilePerms::letters),
            matches: matches.map(|(i, m)| self.match_json(i, m)).collect(),
            reasons: reasons.map(|reason| self.reason_json(reason)).collect(),
            closest: self
                .closest
                .iter()
                .map(|near| self.near_json(near))
                .collect(),
        };
        query_cli::to_json(&explanation)
    }

    fn match_json(&self, index: usize, rule_match: &RuleMatch) -> Value {
        let contribution = &rule_match.contribution;
        let mut object = json!({
            "id": index + 1,
            "implicit": matches!(rule_match.source, EntrySource::Implicit(_)),
            "decision": if contribution.deny { "deny" } else { "allow" },
            "audit": contribution.audit,
            "priority": contribution.priority,
            "halves": halves_name(contribution.halves),
            "owner": contribution.owner.letters(),
            "other": contribution.other.letters(),
            "implied": contribution.implied.letters(),
            "exact": contribution.exact,
            "alternatives": alternatives_json(&rule_match.alternatives),
        });
        let fields = object.as_object_mut().expect("an object");
        match &rule_match.source {
            EntrySource::Rule(rule) | EntrySource::LinkPair(rule) => {
                let rule = &self.profile.file_rules[*rule];
                let site = rule_site(&rule.origin, self.sources);
                fields.extend(site_json(&site));
                fields.insert("pattern".into(), json!(rule.pattern));
            }
            EntrySource::Implicit(pattern) => {
                fields.insert("pattern".into(), json!(pattern));
            }
        }
        object
    }

    fn reason_json(&self, reason: &Reason) -> Value {
        let ids = |list: &[usize]| list.iter().map(|m| m + 1).collect::<Vec<_>>();
        let exec = reason.exec.as_ref().map(|exec| {
            json!({"mode": exec.mode, "from": ids(&exec.from), "overridden": ids(&exec.overridden)})
        });
        json!({
            "perm": reason.perm.letters(),
            "half": half_name(reason.half),
            "decision": reason.decision.as_str(),
            "allowed_by": ids(&reason.allowed_by),
            "denied_by": ids(&reason.denied_by),
            "outranked": ids(&reason.outranked),
            "audited_by": ids(&reason.audited_by),
            "exec": exec,
            "text": self.reason_text(reason),
        })
    }

    fn near_json(&self, near: &NearRule) -> Value {
        let rule = &self.profile.file_rules[near.rule];
        let site = rule_site(&rule.origin, self.sources);
        let mut object = serde_json::Map::new();
        object.extend(site_json(&site));
        object.insert("pattern".into(), json!(rule.pattern));
        object.insert("followed_bytes".into(), json!(near.matched));
        Value::Object(object)
    }
}

fn half_name(half: Half) -> &'static str {
    match half {
        Half::Owner => "owner",
        Half::Other => "other",
    }
}

fn halves_name(halves: OwnerQualifier) -> &'static str {
    match halves {
        OwnerQualifier::Both => "both",
        OwnerQualifier::Owner => "owner",
        OwnerQualifier::Other => "other",
    }
}

/// `w implies a`, `an inheriting exec mode implies m`, or both.
fn implied_by(implied: FilePerms) -> String {
    let mut parts = Vec::new();
    if implied.contains(FilePerms::APPEND) {
        parts.push("w implies a");
    }
    if implied.contains(FilePerms::MMAP) {
        parts.push("an inheriting exec mode implies m");
    }
    parts.join(", ")
}

fn letters_or_dash(perms: FilePerms) -> String {
    if perms.is_empty() {
        "-".to_string()
    } else {
        perms.letters()
    }
}

/// `[1], [3]`: labels of matches.
fn labels(matches: &[usize]) -> String {
    let labels: Vec<String> = matches.iter().map(|m| format!("[{}]", m + 1)).collect();
    labels.join(", ")
}

fn reason_rules(reason: &Reason) -> impl Iterator<Item = usize> + '_ {
    reason.allowed_by.iter().chain(&reason.denied_by).copied()
}

fn location_text(location: &Location) -> String {
    format!("{}:{}:{}", location.file, location.line, location.column)
}

/// The rule's text and, when it came through includes, the chain.
fn write_site_lines(out: &mut String, site: &RuleSite) {
    let _ = writeln!(out, "      {}", one_line(&site.text));
    if !site.include_chain.is_empty() {
        let chain: Vec<String> = site.include_chain.iter().map(location_text).collect();
        let _ = writeln!(out, "      included from {}", chain.join(" -> "));
    }
}

/// A rule's text on one line: runs of white space become one space.
fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn write_alternatives(out: &mut String, alternatives: &Alternatives) {
    match alternatives {
        Alternatives::NoGroups | Alternatives::NotSearched => {}
        Alternatives::Unknown(reason) => {
            let _ = writeln!(out, "      alternatives: not known ({reason})");
        }
        Alternatives::Matched(found) => {
            for alternative in found {
                let choices: Vec<String> = alternative
                    .choices
                    .iter()
                    .map(|c| match c.alternative.as_str() {
                        "" => format!("the empty alternative of `{}`", c.group),
                        text => format!("`{text}` of `{}`", c.group),
                    })
                    .collect();
                let _ = writeln!(
                    out,
                    "      matches as {} ({})",
                    alternative.expanded,
                    choices.join(", ")
                );
            }
        }
    }
}

/// `allow rw (a implied) in both halves, audit, priority 2, exact`.
fn contribution_text(contribution: &Contribution) -> String {
    let decision = if contribution.deny { "deny" } else { "allow" };
    let letters = contribution.owner.union(contribution.other);
    let mut text = format!("{decision} {}", letters_or_dash(letters));
    if let Some(exec) = contribution.exec.as_ref().filter(|_| !contribution.deny) {
        let _ = write!(text, " (exec {})", exec_mode_text(exec));
    }
    if !contribution.implied.is_empty() {
        let by = implied_by(contribution.implied);
        let _ = write!(text, " ({by})");
    }
    let halves = match contribution.halves {
        OwnerQualifier::Both => "owner and other",
        OwnerQualifier::Owner => "owner only",
        OwnerQualifier::Other => "other only",
    };
    let _ = write!(text, "; {halves}");
    if contribution.link_pair_only {
        text.push_str("; its `l` applies to link pairs only");
    }
    if contribution.audit {
        text.push_str("; audit");
    }
    if contribution.priority != 0 {
        let _ = write!(text, "; priority {}", contribution.priority);
    }
    if contribution.exact {
        text.push_str("; exact (no wildcard)");
    }
    text
}

/// An exec mode as written: `ix`, `Px`, `cux`, `Px -> target`.
fn exec_mode_text(exec: &crate::model::ExecMode) -> String {
    use crate::model::ExecTransition::*;
    let kind = match exec.transition {
        None => return "x".to_string(),
        Some(Inherit) => return "ix".to_string(),
        Some(Unconfined) => 'u',
        Some(Profile) => 'p',
        Some(Child) => 'c',
    };
    let kind = if exec.scrub {
        kind.to_ascii_uppercase()
    } else {
        kind
    };
    let fallback = match exec.fallback {
        Some(Inherit) => "i",
        Some(Unconfined) => "u",
        _ => "",
    };
    let mut text = format!("{kind}{fallback}x");
    if let Some(target) = &exec.target {
        let _ = write!(text, " -> {target}");
    }
    text
}

fn site_json(site: &RuleSite) -> serde_json::Map<String, Value> {
    let location = |l: &Location| json!({"file": l.file, "line": l.line, "column": l.column});
    let mut object = serde_json::Map::new();
    object.insert("file".into(), json!(site.location.file));
    object.insert("line".into(), json!(site.location.line));
    object.insert("column".into(), json!(site.location.column));
    let chain: Vec<Value> = site.include_chain.iter().map(location).collect();
    object.insert("include_chain".into(), Value::Array(chain));
    object.insert("text".into(), json!(site.text));
    object
}

fn alternatives_json(alternatives: &Alternatives) -> Value {
    match alternatives {
        Alternatives::NoGroups | Alternatives::NotSearched => Value::Null,
        Alternatives::Unknown(reason) => json!({"unknown": reason}),
        Alternatives::Matched(found) => {
            let found: Vec<Value> = found
                .iter()
                .map(|alternative| {
                    let choices: Vec<Value> = alternative
                        .choices
                        .iter()
                        .map(|c| json!({"group": c.group, "index": c.index, "alternative": c.alternative}))
                        .collect();
                    json!({"expanded": alternative.expanded, "choices": choices})
                })
                .collect();
            Value::Array(found)
        }
    }
}
