//! The rule view of `aaprove diff`: which file rules one profile adds,
//! removes or changes against another, each with the origin of the rules
//! on both sides.
//!
//! This view compares rules as written (after variable expansion), not the
//! paths they reach: two different patterns that match the same paths are
//! two different rules here. The semantic view, which compares the
//! permissions every path gets, is built on automata elsewhere; this view
//! lets a reviewer connect a semantic change to the edit that made it.
//!
//! # Normalisation
//!
//! Rules are first cut into *parts* and merged, so that the way a
//! permission list is split over rules does not matter (`/a r, /a w,` and
//! `/a rw,` normalise to the same single entry):
//!
//! - the `x` permission of a rule with an exec mode is one part, keyed by
//!   the exec mode and its target (`/a rix` gives `/a r` and `/a ix`); a
//!   bare `x` (in deny rules) has no mode and stays a plain permission;
//! - the `l` permission of a rule with a link target is one part, keyed by
//!   the target (the `link` rule form);
//! - every other permission of the rule is one plain part;
//! - parts with the same pattern text, qualifiers (decision, audit, owner,
//!   priority), exec mode and link target are merged into one
//!   [`NormalRule`] holding the union of their permissions and the origins
//!   of every rule that contributed.
//!
//! Permissions are not otherwise rewritten: `w` and `wa` differ here
//! although the kernel grants `a` with `w`, because this view reports what
//! was written.
//!
//! # Pairing
//!
//! Normal rules equal on both sides (same key, same permissions) are not
//! reported. The rest are grouped by *site*: the pattern text, the decision
//! (allow, deny, prompt) and the part kind (plain, exec, link). Within a
//! site, rules with the same key on both sides are paired first, then the
//! remaining ones in key order; every pair is a [`RuleChange::Changed`]
//! (a change of permissions, exec mode, link target, audit, owner or
//! priority), and what is left over is added or removed.

use std::collections::BTreeMap;
use std::fmt;

use crate::model::{
    Decision, ExecMode, ExecTransition, FilePerms, FileRule, LinkTarget, Origin, OwnerQualifier,
    Qualifiers,
};

/// A file rule part after normalisation: one entry per pattern, qualifiers,
/// exec mode and link target, with the union of the permissions written
/// for it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NormalRule {
    /// The pattern text after variable expansion, as in the model.
    pub pattern: String,
    pub qualifiers: Qualifiers,
    /// For an exec part exactly `x`, for a link part exactly `l`.
    pub perms: FilePerms,
    /// Present on exec parts only: a bare `x` is a plain permission.
    pub exec: Option<ExecMode>,
    /// Present on link parts only.
    pub link: Option<LinkTarget>,
    /// The rules that contributed, in the order they were written.
    pub origins: Vec<Origin>,
}

/// One difference between two profiles' file rules.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RuleChange {
    /// Only the new profile has this rule.
    Added(NormalRule),
    /// Only the base profile has this rule.
    Removed(NormalRule),
    /// Both profiles have a rule at this site (pattern, decision and part
    /// kind) but they differ in permissions, exec mode, link target, audit,
    /// owner or priority.
    Changed {
        before: NormalRule,
        after: NormalRule,
    },
}

/// What the two sides of a [`RuleChange::Changed`] pair differ in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ChangedField {
    Permissions,
    Exec,
    Link,
    Audit,
    Owner,
    Priority,
}

impl RuleChange {
    /// What differs between the two sides of a changed pair, in the order
    /// of [`ChangedField`]; empty for an added or removed rule.
    pub fn changed_fields(&self) -> Vec<ChangedField> {
        let RuleChange::Changed { before, after } = self else {
            return Vec::new();
        };
        let (b, a) = (&before.qualifiers, &after.qualifiers);
        [
            (before.perms != after.perms, ChangedField::Permissions),
            (before.exec != after.exec, ChangedField::Exec),
            (before.link != after.link, ChangedField::Link),
            (b.audit != a.audit, ChangedField::Audit),
            (b.owner != a.owner, ChangedField::Owner),
            (b.priority != a.priority, ChangedField::Priority),
        ]
        .into_iter()
        .filter_map(|(differs, field)| differs.then_some(field))
        .collect()
    }
}

/// The kind of a rule part: which permissions it can hold.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum PartKind {
    Plain,
    Exec,
    Link,
}

/// Where a part sits: the normal rules of one site are paired together.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
struct Site {
    pattern: String,
    decision: u8,
    kind: PartKind,
}

/// The full identity of a normal rule: its site and everything else that
/// merging keeps apart. Exec mode and link target are kept as their text,
/// which determines them.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
struct PartKey {
    site: Site,
    priority: i32,
    audit: bool,
    owner: u8,
    exec: String,
    link: String,
}

/// The normal rules of one site, before and after, each in key order.
type SiteRules = (Vec<(PartKey, NormalRule)>, Vec<(PartKey, NormalRule)>);

/// Compares the file rules of a base profile and a new one.
///
/// The result is ordered by pattern, decision and part kind.
pub fn diff_file_rules(base: &[FileRule], new: &[FileRule]) -> Vec<RuleChange> {
    let mut before = normal_rules_by_key(base);
    let mut after = normal_rules_by_key(new);
    let unchanged: Vec<PartKey> = before
        .iter()
        .filter(|(key, rule)| {
            after
                .get(*key)
                .is_some_and(|other| other.perms == rule.perms)
        })
        .map(|(key, _)| key.clone())
        .collect();
    for key in &unchanged {
        before.remove(key);
        after.remove(key);
    }

    let mut sites: BTreeMap<Site, SiteRules> = BTreeMap::new();
    for (key, rule) in before {
        sites
            .entry(key.site.clone())
            .or_default()
            .0
            .push((key, rule));
    }
    for (key, rule) in after {
        sites
            .entry(key.site.clone())
            .or_default()
            .1
            .push((key, rule));
    }
    sites
        .into_values()
        .flat_map(|(before, after)| pair_site(before, after))
        .collect()
}

/// Normalises file rules as the module documentation describes, returning
/// them in key order (pattern, decision, part kind, then qualifiers).
pub fn normalize(rules: &[FileRule]) -> Vec<NormalRule> {
    normal_rules_by_key(rules).into_values().collect()
}

fn normal_rules_by_key(rules: &[FileRule]) -> BTreeMap<PartKey, NormalRule> {
    let mut merged: BTreeMap<PartKey, NormalRule> = BTreeMap::new();
    for rule in rules {
        for part in parts(rule) {
            let key = part_key(&part);
            match merged.get_mut(&key) {
                Some(existing) => {
                    existing.perms = existing.perms.union(part.perms);
                    existing.origins.extend(part.origins);
                }
                None => {
                    merged.insert(key, part);
                }
            }
        }
    }
    merged
}

/// Cuts a rule into its plain, exec and link parts; parts with no
/// permission are dropped.
fn parts(rule: &FileRule) -> Vec<NormalRule> {
    let part = |perms, exec, link| NormalRule {
        pattern: rule.pattern.clone(),
        qualifiers: rule.qualifiers,
        perms,
        exec,
        link,
        origins: vec![rule.origin.clone()],
    };
    let mut plain = rule.perms;
    let mut parts = Vec::new();
    let mode = rule
        .exec
        .as_ref()
        .filter(|e| e.transition.is_some() || e.target.is_some());
    if let (true, Some(exec)) = (plain.contains(FilePerms::EXEC), mode) {
        parts.push(part(FilePerms::EXEC, Some(exec.clone()), None));
        plain = plain.minus(FilePerms::EXEC);
    }
    if let (true, Some(link)) = (plain.contains(FilePerms::LINK), &rule.link) {
        parts.push(part(FilePerms::LINK, None, Some(link.clone())));
        plain = plain.minus(FilePerms::LINK);
    }
    if !plain.is_empty() {
        parts.push(part(plain, None, None));
    }
    parts
}

fn part_key(rule: &NormalRule) -> PartKey {
    let kind = match (&rule.exec, &rule.link) {
        (Some(_), _) => PartKind::Exec,
        (None, Some(_)) => PartKind::Link,
        (None, None) => PartKind::Plain,
    };
    let q = rule.qualifiers;
    PartKey {
        site: Site {
            pattern: rule.pattern.clone(),
            decision: q.decision as u8,
            kind,
        },
        priority: q.priority,
        audit: q.audit,
        owner: q.owner as u8,
        exec: rule.exec.as_ref().map(exec_text).unwrap_or_default(),
        link: rule.link.as_ref().map(link_text).unwrap_or_default(),
    }
}

/// Pairs the normal rules of one site: same keys first, then the rest in
/// key order.
fn pair_site(
    before: Vec<(PartKey, NormalRule)>,
    after: Vec<(PartKey, NormalRule)>,
) -> Vec<RuleChange> {
    let mut after: BTreeMap<PartKey, NormalRule> = after.into_iter().collect();
    let mut changes = Vec::new();
    let mut unpaired = Vec::new();
    for (key, rule) in before {
        match after.remove(&key) {
            Some(new) => changes.push(RuleChange::Changed {
                before: rule,
                after: new,
            }),
            None => unpaired.push(rule),
        }
    }

    let mut after = after.into_values();
    for rule in unpaired {
        changes.push(match after.next() {
            Some(new) => RuleChange::Changed {
                before: rule,
                after: new,
            },
            None => RuleChange::Removed(rule),
        });
    }
    changes.extend(after.map(RuleChange::Added));
    changes
}

/// The exec mode as written in a rule: `ix`, `Px`, `cux`, a bare `x`, with
/// ` -> target` when it has one.
pub fn exec_text(exec: &ExecMode) -> String {
    let letter = |transition| match transition {
        ExecTransition::Inherit => 'i',
        ExecTransition::Unconfined => 'u',
        ExecTransition::Profile => 'p',
        ExecTransition::Child => 'c',
    };
    let mut text = String::new();
    if let Some(transition) = exec.transition {
        let first = letter(transition);
        let scrubbed = exec.scrub && transition != ExecTransition::Inherit;
        text.push(if scrubbed {
            first.to_ascii_uppercase()
        } else {
            first
        });
    }
    if let Some(fallback) = exec.fallback {
        text.push(letter(fallback));
    }
    text.push('x');
    if let Some(target) = &exec.target {
        text.push_str(" -> ");
        text.push_str(&quoted(target));
    }
    text
}

fn link_text(link: &LinkTarget) -> String {
    let subset = if link.subset { "subset " } else { "" };
    format!("{subset}{}", link.pattern)
}

/// Quotes a pattern that holds white space, as a profile must.
fn quoted(pattern: &str) -> String {
    if pattern.chars().any(char::is_whitespace) {
        format!("\"{pattern}\"")
    } else {
        pattern.to_string()
    }
}

/// The qualifier prefix as written before a rule, with a trailing space
/// when not empty: `priority=-1 audit deny owner `.
pub fn qualifiers_text(q: &Qualifiers) -> String {
    let mut text = String::new();
    if q.priority != 0 {
        text.push_str(&format!("priority={} ", q.priority));
    }
    if q.audit {
        text.push_str("audit ");
    }
    text.push_str(match q.decision {
        Decision::Allow => "",
        Decision::Deny => "deny ",
        Decision::Prompt => "prompt ",
    });
    text.push_str(match q.owner {
        OwnerQualifier::Both => "",
        OwnerQualifier::Owner => "owner ",
        OwnerQualifier::Other => "other ",
    });
    text
}

/// Prints the normal rule as profile text: `deny owner /a rw,`,
/// `/bin/b Px -> b,` or `link subset /a -> /b,`.
impl fmt::Display for NormalRule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let prefix = qualifiers_text(&self.qualifiers);
        let pattern = quoted(&self.pattern);
        match (&self.exec, &self.link) {
            (Some(exec), _) => write!(f, "{prefix}{pattern} {},", exec_text(exec)),
            (None, Some(link)) => {
                let subset = if link.subset { "subset " } else { "" };
                let target = quoted(&link.pattern);
                write!(f, "{prefix}link {subset}{pattern} -> {target},")
            }
            (None, None) => write!(f, "{prefix}{pattern} {},", self.perms.letters()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::{FileId, Span};

    /// A rule from a compact text: `[deny ][audit ][owner ]PATTERN PERMS`
    /// where PERMS may end in an exec mode (`rix`, `Px`) and may be followed
    /// by `-> TARGET`; `link [subset ]A -> B` gives a link rule. The origin
    /// is the rule's index in its list, as a span `index..index + 1`.
    fn rule(index: usize, text: &str) -> FileRule {
        let mut qualifiers = Qualifiers::default();
        let mut words: Vec<&str> = text.split_whitespace().collect();
        while let Some(word) = words.first() {
            match *word {
                "deny" => qualifiers.decision = Decision::Deny,
                "audit" => qualifiers.audit = true,
                "owner" => qualifiers.owner = OwnerQualifier::Owner,
                "priority=1" => qualifiers.priority = 1,
                _ => break,
            }
            words.remove(0);
        }
        let origin = Origin {
            span: Span::new(FileId(0), index, index + 1),
            include_chain: vec![],
        };
        if words[0] == "link" {
            let subset = words[1] == "subset";
            let rest = &words[1 + subset as usize..];
            return FileRule {
                origin,
                qualifiers,
                pattern: rest[0].to_string(),
                perms: FilePerms::LINK,
                exec: None,
                link: Some(LinkTarget {
                    subset,
                    pattern: rest[2].to_string(),
                }),
            };
        }
        let target = words.get(3).map(|t| t.to_string());
        let (perms, exec) = perms_and_exec(words[1], target);
        FileRule {
            origin,
            qualifiers,
            pattern: words[0].to_string(),
            perms,
            exec,
            link: None,
        }
    }

    /// Splits `rPix` into `r` plus `x` and the exec mode `Pix`.
    fn perms_and_exec(text: &str, target: Option<String>) -> (FilePerms, Option<ExecMode>) {
        let Some(x) = text.find('x') else {
            return (FilePerms::from_letters(text).unwrap(), None);
        };
        let mode_start = text[..x]
            .rfind(|c: char| "rwalkm".contains(c))
            .map_or(0, |i| i + 1);
        let plain = FilePerms::from_letters(&text[..mode_start]).unwrap();
        let transition_of = |c: char| match c.to_ascii_lowercase() {
            'i' => ExecTransition::Inherit,
            'u' => ExecTransition::Unconfined,
            'p' => ExecTransition::Profile,
            _ => ExecTransition::Child,
        };
        let mode: Vec<char> = text[mode_start..x].chars().collect();
        let exec = ExecMode {
            transition: mode.first().map(|c| transition_of(*c)),
            scrub: mode.first().is_some_and(|c| c.is_ascii_uppercase()),
            fallback: mode.get(1).map(|c| transition_of(*c)),
            target,
        };
        (plain.union(FilePerms::EXEC), Some(exec))
    }

    fn rules(texts: &[&str]) -> Vec<FileRule> {
        texts.iter().enumerate().map(|(i, t)| rule(i, t)).collect()
    }

    /// A change as text: `+ rule`, `- rule`, or `~ before => after`, each
    /// rule followed by the indexes of its origins.
    fn change_text(change: &RuleChange) -> String {
        let shown = |rule: &NormalRule| {
            let origins: Vec<String> = rule
                .origins
                .iter()
                .map(|o| o.span.start.to_string())
                .collect();
            format!("{rule} @{}", origins.join(","))
        };
        match change {
            RuleChange::Added(rule) => format!("+ {}", shown(rule)),
            RuleChange::Removed(rule) => format!("- {}", shown(rule)),
            RuleChange::Changed { before, after } => {
                format!("~ {} => {}", shown(before), shown(after))
            }
        }
    }

    fn diff_text(base: &[&str], new: &[&str]) -> Vec<String> {
        diff_file_rules(&rules(base), &rules(new))
            .iter()
            .map(change_text)
            .collect()
    }

    #[test]
    fn normalize_merges_split_lists_and_cuts_exec_and_link_parts() {
        let cases: &[(&[&str], &[&str])] = &[
            (&["/a r", "/a w"], &["/a rw, @0,1"]),
            (&["/a wr"], &["/a rw, @0"]),
            (&["/a rix", "/a m"], &["/a rm, @0,1", "/a ix, @0"]),
            (&["/a r", "audit /a w"], &["/a r, @0", "audit /a w, @1"]),
            (&["/a r", "deny /a r"], &["/a r, @0", "deny /a r, @1"]),
            (&["/b Px -> t", "/b Px"], &["/b Px, @1", "/b Px -> t, @0"]),
            (&["link subset /a -> /b"], &["link subset /a -> /b, @0"]),
            (&["/a rl"], &["/a rl, @0"]),
            (&["deny /a rwklx"], &["deny /a rwlkx, @0"]),
            (&["owner /a r", "/a k"], &["/a k, @1", "owner /a r, @0"]),
        ];
        for (input, expected) in cases {
            let got: Vec<String> = normalize(&rules(input))
                .iter()
                .map(|r| {
                    let origins: Vec<String> =
                        r.origins.iter().map(|o| o.span.start.to_string()).collect();
                    format!("{r} @{}", origins.join(","))
                })
                .collect();
            assert_eq!(got, *expected, "input {input:?}");
        }
    }

    #[test]
    fn diff_reports_added_removed_and_changed_rules() {
        let cases: &[(&[&str], &[&str], &[&str])] = &[
            // Splitting or merging a permission list is no change.
            (&["/a r", "/a w"], &["/a rw"], &[]),
            (&["/a rix"], &["/a ix", "/a r"], &[]),
            (&["/a r"], &["/a r", "/b w"], &["+ /b w, @1"]),
            (
                &["deny /p/** w", "/a r"],
                &["/a r"],
                &["- deny /p/** w, @0"],
            ),
            (&["/a r"], &["/a rw"], &["~ /a r, @0 => /a rw, @0"]),
            (
                &["/a r"],
                &["owner /a r"],
                &["~ /a r, @0 => owner /a r, @0"],
            ),
            (
                &["/a r"],
                &["audit /a r"],
                &["~ /a r, @0 => audit /a r, @0"],
            ),
            (&["/a ix"], &["/a Px"], &["~ /a ix, @0 => /a Px, @0"]),
            (
                &["/a rix"],
                &["/a rPx -> b"],
                &["~ /a ix, @0 => /a Px -> b, @0"],
            ),
            // Allow and deny at the same pattern are different sites.
            (
                &["/a w"],
                &["deny /a w"],
                &["- /a w, @0", "+ deny /a w, @0"],
            ),
            // Same key is paired before the rest: audit /a r is unchanged.
            (
                &["/a r", "audit /a w"],
                &["owner /a r", "audit /a w"],
                &["~ /a r, @0 => owner /a r, @0"],
            ),
            (
                &["link /a -> /b"],
                &["link subset /a -> /b"],
                &["~ link /a -> /b, @0 => link subset /a -> /b, @0"],
            ),
            // Two plain parts against one: one pair, one removal.
            (
                &["/a r", "owner /a w"],
                &["audit /a r"],
                &["~ /a r, @0 => audit /a r, @0", "- owner /a w, @1"],
            ),
        ];
        for (base, new, expected) in cases {
            assert_eq!(diff_text(base, new), *expected, "{base:?} -> {new:?}");
        }
    }

    #[test]
    fn changed_pairs_name_what_differs() {
        use ChangedField::*;
        let cases: &[(&str, &str, &[ChangedField])] = &[
            ("/a r", "/a rw", &[Permissions]),
            ("/a r", "audit owner /a rw", &[Permissions, Audit, Owner]),
            ("/a ix", "/a Px -> b", &[Exec]),
            ("link /a -> /b", "link /a -> /c", &[Link]),
            ("/a r", "priority=1 /a r", &[Priority]),
            ("/a r", "/b r", &[]),
        ];
        for (base, new, expected) in cases {
            let changes = diff_file_rules(&rules(&[base]), &rules(&[new]));
            let fields: Vec<ChangedField> = changes
                .iter()
                .flat_map(RuleChange::changed_fields)
                .collect();
            assert_eq!(fields, *expected, "{base} -> {new}");
        }
    }

    /// The file rules of docker-default and of the checkpoint profile, with
    /// `@{PROC}` expanded; the text patterns differ in three places.
    #[test]
    fn docker_default_against_the_checkpoint_profile() {
        let sys = [
            "deny /sys/[^f]*/** wklx",
            "deny /sys/f[^s]*/** wklx",
            "deny /sys/fs/[^c]*/** wklx",
            "deny /sys/fs/c[^g]*/** wklx",
            "deny /sys/fs/cg[^r]*/** wklx",
            "deny /sys/firmware/** rwklx",
        ];
        let proc_base = "deny /proc/{[^1-9/],[^1-9/][^0-9/],[^1-9s/][^0-9y/][^0-9s/],\
                         [^1-9/][^0-9/][^0-9/][^0-9/]*}/** w";
        let proc_new = "deny /proc/{[^1-9],[^1-9][^0-9],[^1-9s][^0-9y][^0-9s],\
                        [^1-9][^0-9][^0-9][^0-9/]*}/** w";
        let mut base = vec![
            "/{**,} rwlkmix",
            "deny /proc/* w",
            proc_base,
            "deny /proc/sys/[^k]** w",
            "deny /proc/sys/kernel/{?,??,[^s][^h][^m]**} w",
            "deny /proc/sysrq-trigger rwklx",
            "deny /proc/kcore rwklx",
        ];
        let mut new = base.clone();
        new[2] = proc_new;
        new[4] = "deny /proc/sys/kernel/{?,??,[^n][^s]*} w";
        base.extend(sys);
        new.extend(sys);
        base.extend(["deny /sys/devices/virtual/powercap/** rwklx"]);
        base.extend(["deny /sys/kernel/security/** rwklx"]);
        new.extend(["deny /sys/kernel/security/** rwklx"]);

        let proc_base_rule = format!("{} @2", normalize(&rules(&[proc_base]))[0]);
        let proc_new_rule = format!("{} @2", normalize(&rules(&[proc_new]))[0]);
        assert_eq!(
            diff_text(&base, &new),
            [
                "+ deny /proc/sys/kernel/{?,??,[^n][^s]*} w, @4".to_string(),
                "- deny /proc/sys/kernel/{?,??,[^s][^h][^m]**} w, @4".to_string(),
                format!("- {proc_base_rule}"),
                format!("+ {proc_new_rule}"),
                "- deny /sys/devices/virtual/powercap/** rwlkx, @13".to_string(),
            ]
        );
    }

    #[test]
    fn diff_is_symmetric_in_added_and_removed() {
        let base = ["/a r", "deny /b w", "/c ix"];
        let new = ["/a rw", "/d r"];
        let forward = diff_text(&base, &new);
        let backward = diff_text(&new, &base);
        let flip = |line: &String| match line.chars().next() {
            Some('+') => line.replacen('+', "-", 1),
            Some('-') => line.replacen('-', "+", 1),
            _ => {
                let (before, after) = line[2..].split_once(" => ").unwrap();
                format!("~ {after} => {before}")
            }
        };
        let mut flipped: Vec<String> = backward.iter().map(flip).collect();
        let mut forward_sorted = forward.clone();
        flipped.sort();
        forward_sorted.sort();
        assert_eq!(forward_sorted, flipped);
        assert_eq!(forward.len(), 4, "{forward:?}");
    }

    #[test]
    fn text_forms_follow_profile_syntax() {
        let q = Qualifiers {
            decision: Decision::Deny,
            audit: true,
            owner: OwnerQualifier::Other,
            priority: -2,
        };
        assert_eq!(qualifiers_text(&q), "priority=-2 audit deny other ");
        assert_eq!(qualifiers_text(&Qualifiers::default()), "");
        let cases = [
            ("/a Pix", "Pix"),
            ("/a pux", "pux"),
            ("/a Cx -> child", "Cx -> child"),
            ("/a ux", "ux"),
            ("deny /a x", "x"),
        ];
        for (text, expected) in cases {
            let rule = rule(0, text);
            assert_eq!(exec_text(rule.exec.as_ref().unwrap()), expected);
        }
        let spaced = rule(0, "/a r");
        let spaced = FileRule {
            pattern: "/my dir/*".into(),
            ..spaced
        };
        assert_eq!(normalize(&[spaced])[0].to_string(), "\"/my dir/*\" r,");
    }
}
