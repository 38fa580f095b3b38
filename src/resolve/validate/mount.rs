//! Checks of `mount`, `remount` and `umount` rules, as `apparmor_parser`
//! makes them while parsing (`mount.cc`) and while encoding the rule.
//!
//! Mount options become flag bits: each option sets or clears one bit of
//! the kernel's mount flags. `options=(...)` lists flags the operation must
//! have, `options in (...)` flags it may have. Upstream then encodes a rule
//! as one or more mount operations (new mount, remount, bind, move, change
//! of propagation type); a rule that fits none of them fails to compile,
//! and so is an error here too.

use super::{Check, condition_text, write_nearest};
use crate::parse::ast::{Condition, KeyedBody};

const RDONLY: u32 = 1 << 0;
const NOSUID: u32 = 1 << 1;
const NODEV: u32 = 1 << 2;
const NOEXEC: u32 = 1 << 3;
const SYNCHRONOUS: u32 = 1 << 4;
const REMOUNT: u32 = 1 << 5;
const MAND: u32 = 1 << 6;
const DIRSYNC: u32 = 1 << 7;
const NOSYMFOLLOW: u32 = 1 << 8;
const NOATIME: u32 = 1 << 10;
const NODIRATIME: u32 = 1 << 11;
const BIND: u32 = 1 << 12;
const MOVE: u32 = 1 << 13;
const REC: u32 = 1 << 14;
/// `MS_VERBOSE` and `MS_SILENT` are the same bit.
const SILENT: u32 = 1 << 15;
const ACL: u32 = 1 << 16;
const UNBINDABLE: u32 = 1 << 17;
const PRIVATE: u32 = 1 << 18;
const SLAVE: u32 = 1 << 19;
const SHARED: u32 = 1 << 20;
const RELATIME: u32 = 1 << 21;
const IVERSION: u32 = 1 << 23;
const STRICTATIME: u32 = 1 << 24;
const LAZYTIME: u32 = 1 << 25;
const NOUSER: u32 = 1 << 31;

/// Every flag a mount rule can name.
const ALL_FLAGS: u32 = RDONLY
    | NOSUID
    | NODEV
    | NOEXEC
    | SYNCHRONOUS
    | REMOUNT
    | MAND
    | DIRSYNC
    | NOSYMFOLLOW
    | NOATIME
    | NODIRATIME
    | BIND
    | REC
    | MOVE
    | SILENT
    | ACL
    | UNBINDABLE
    | PRIVATE
    | SLAVE
    | SHARED
    | RELATIME
    | IVERSION
    | STRICTATIME
    | LAZYTIME;

/// The propagation types.
const MAKE_CMDS: u32 = UNBINDABLE | PRIVATE | SLAVE | SHARED | REC;

/// The flags that pick an operation other than a new mount.
const CMDS: u32 = MOVE | REMOUNT | BIND | REC | MAKE_CMDS;

/// The flags a remount may change.
const REMOUNT_FLAGS: u32 = ALL_FLAGS & !MOVE;

/// Mount options with the flag bits they set and clear, as upstream's
/// `mnt_opts_table`.
const MOUNT_OPTIONS: [(&str, u32, u32); 60] = [
    ("ro", RDONLY, 0),
    ("r", RDONLY, 0),
    ("read-only", RDONLY, 0),
    ("rw", 0, RDONLY),
    ("w", 0, RDONLY),
    ("suid", 0, NOSUID),
    ("nosuid", NOSUID, 0),
    ("dev", 0, NODEV),
    ("nodev", NODEV, 0),
    ("exec", 0, NOEXEC),
    ("noexec", NOEXEC, 0),
    ("sync", SYNCHRONOUS, 0),
    ("async", 0, SYNCHRONOUS),
    ("remount", REMOUNT, 0),
    ("mand", MAND, 0),
    ("nomand", 0, MAND),
    ("dirsync", DIRSYNC, 0),
    ("symfollow", 0, NOSYMFOLLOW),
    ("nosymfollow", NOSYMFOLLOW, 0),
    ("atime", 0, NOATIME),
    ("noatime", NOATIME, 0),
    ("diratime", 0, NODIRATIME),
    ("nodiratime", NODIRATIME, 0),
    ("bind", BIND, 0),
    ("B", BIND, 0),
    ("move", MOVE, 0),
    ("M", MOVE, 0),
    ("rbind", BIND | REC, 0),
    ("R", BIND | REC, 0),
    ("verbose", SILENT, 0),
    ("silent", SILENT, 0),
    ("loud", 0, SILENT),
    ("acl", ACL, 0),
    ("noacl", 0, ACL),
    ("unbindable", UNBINDABLE, 0),
    ("make-unbindable", UNBINDABLE, 0),
    ("runbindable", UNBINDABLE | REC, 0),
    ("make-runbindable", UNBINDABLE | REC, 0),
    ("private", PRIVATE, 0),
    ("make-private", PRIVATE, 0),
    ("rprivate", PRIVATE | REC, 0),
    ("make-rprivate", PRIVATE | REC, 0),
    ("slave", SLAVE, 0),
    ("make-slave", SLAVE, 0),
    ("rslave", SLAVE | REC, 0),
    ("make-rslave", SLAVE | REC, 0),
    ("shared", SHARED, 0),
    ("make-shared", SHARED, 0),
    ("rshared", SHARED | REC, 0),
    ("make-rshared", SHARED | REC, 0),
    ("relatime", RELATIME, 0),
    ("norelatime", 0, RELATIME),
    ("iversion", IVERSION, 0),
    ("noiversion", 0, IVERSION),
    ("strictatime", STRICTATIME, 0),
    ("nostrictatime", 0, STRICTATIME),
    ("lazytime", LAZYTIME, 0),
    ("nolazytime", 0, LAZYTIME),
    ("user", 0, NOUSER),
    ("nouser", NOUSER, 0),
];

fn option(name: &str) -> Option<(u32, u32)> {
    let found = MOUNT_OPTIONS.iter().find(|(option, _, _)| *option == name);
    found.map(|(_, set, clear)| (*set, *clear))
}

/// What a mount rule names, for deciding whether upstream can encode it.
#[derive(Debug, Default)]
struct MountShape {
    remount: bool,
    source: bool,
    mount_point: bool,
    fstype: bool,
    /// The flags of each `options=(...)`, the mount must have them.
    required: Vec<u32>,
    /// The flags of each `options in (...)`, the mount may have them.
    optional: Vec<u32>,
}

impl MountShape {
    /// Whether upstream's encoder emits at least one mount operation for
    /// this rule (`mnt_rule::gen_flag_rules` over every pair of flag sets).
    fn encodes(&self) -> bool {
        let (required, optional) = self.flag_sets();
        required
            .iter()
            .any(|&flags| optional.iter().any(|&opt| self.encodes_pair(flags, opt)))
    }

    /// The required and optional flag sets as upstream fills in defaults.
    fn flag_sets(&self) -> (Vec<u32>, Vec<u32>) {
        let mut required = self.required.clone();
        let mut optional = self.optional.clone();
        if required.is_empty() && optional.is_empty() {
            if self.remount {
                return (vec![REMOUNT], vec![REMOUNT_FLAGS & !REMOUNT]);
            }
            return (vec![ALL_FLAGS], vec![ALL_FLAGS]);
        }
        if required.is_empty() {
            required.push(if self.remount { REMOUNT } else { 0 });
        }
        if optional.is_empty() {
            optional.push(0);
        }
        (required, optional)
    }

    fn encodes_pair(&self, flags: u32, optional: u32) -> bool {
        let no_type = !self.fstype;
        if flags == 0 || flags == ALL_FLAGS {
            return true;
        }
        (flags & REMOUNT != 0 && !self.source && no_type)
            || (flags & BIND != 0 && no_type)
            || (flags & MAKE_CMDS != 0 && !(self.source && self.mount_point) && no_type)
            || (flags & MOVE != 0 && no_type)
            || (flags | optional) & !CMDS != 0
    }

    /// Why the rule encodes nothing, for the message.
    fn problem(&self) -> &'static str {
        let commands = self.required.iter().any(|flags| flags & CMDS != 0);
        let remount = self.required.iter().any(|flags| flags & REMOUNT != 0);
        if remount && self.source && !self.fstype {
            "a remount rule cannot name a source, only the mount point after `->`"
        } else if commands && self.source && self.mount_point && !self.fstype {
            "a propagation type rule cannot name both a source and a mount point"
        } else if self.fstype {
            "bind, move, remount and propagation type rules cannot name an fstype"
        } else {
            "these options name no mount operation apparmor_parser can encode"
        }
    }
}

/// mount, remount and umount rules.
pub(super) fn mount(check: &mut Check<'_, '_>, kind: &str, body: &KeyedBody) -> String {
    let mut parts = Vec::new();
    for word in &body.perms {
        check.error(
            word.span,
            format!("unexpected `{}` in a {kind} rule", word.text),
            "unexpected",
        );
    }
    let mut shape = MountShape {
        remount: kind == "remount",
        ..MountShape::default()
    };
    parts.extend(mount_conditions(check, kind, &body.conditions, &mut shape));
    if body.words.len() > 1 {
        check.error(
            body.words[1].span,
            format!("a {kind} rule takes one path before `->`"),
            "unexpected",
        );
    }
    for word in &body.words {
        parts.push(check.expand_pattern(word));
    }
    if let Some(arrow) = &body.arrow {
        parts.extend(mount_point(check, kind, arrow));
    }
    if let Some((key, _)) = &body.group {
        check.error(
            key.span,
            format!("{kind} rules have no `{}=(...)` group", key.text),
            "unexpected",
        );
    }
    check_encoding(check, kind, body, shape);
    parts.join(" ")
}

/// `-> [conditions] MOUNT_POINT` of a mount rule.
fn mount_point(
    check: &mut Check<'_, '_>,
    kind: &str,
    arrow: &crate::parse::ast::ArrowPart,
) -> Vec<String> {
    if kind != "mount" {
        check.error(
            arrow.span,
            format!("`->` is not allowed in {kind} rules"),
            "unexpected",
        );
    }
    if !arrow.conditions.is_empty() {
        check.error(
            arrow.span,
            "mount point conditions are not supported".into(),
            "here",
        );
    }
    match &arrow.target {
        Some(target) => vec!["->".into(), check.expand_pattern(target)],
        None => {
            let message = "`->` needs a mount point".into();
            check.error(arrow.span, message, "missing mount point");
            vec!["->".into()]
        }
    }
}

/// Reports a mount or remount rule that upstream's encoder turns into no
/// mount operation, which makes `apparmor_parser` fail.
fn check_encoding(check: &mut Check<'_, '_>, kind: &str, body: &KeyedBody, mut shape: MountShape) {
    if check.failed || !matches!(kind, "mount" | "remount") {
        return;
    }
    // A remount rule's one path is its mount point; a mount rule's is the
    // source.
    let has_word = !body.words.is_empty();
    let has_target = body.arrow.as_ref().is_some_and(|a| a.target.is_some());
    shape.source = has_word && !shape.remount;
    shape.mount_point = has_target || (has_word && shape.remount);
    if shape.encodes() {
        return;
    }
    let span = body
        .words
        .first()
        .map(|word| word.span)
        .or(body.conditions.first().map(|c| c.key.span));
    if let Some(span) = span {
        check.error(span, shape.problem().into(), "cannot be encoded");
    }
}

/// The conditions of a mount rule; options are read as written, since
/// upstream expands no variables in them.
fn mount_conditions(
    check: &mut Check<'_, '_>,
    kind: &str,
    conditions: &[Condition],
    shape: &mut MountShape,
) -> Vec<String> {
    let mut texts = Vec::new();
    for condition in conditions {
        let key = condition.key.text.as_str();
        if !matches!(key, "fstype" | "vfstype" | "options" | "option") {
            check.error(
                condition.key.span,
                format!("{kind} rules have no condition `{key}`"),
                "unknown condition",
            );
            continue;
        }
        let op = condition.op.as_deref();
        if !matches!(op, Some("=") | Some("in")) {
            check.error(
                condition.key.span,
                format!("only `=` and `in` are allowed in {kind} rules"),
                "here",
            );
        }
        let values: Vec<String> = if key.starts_with("option") {
            let flags = option_flags(check, condition, shape.remount);
            match op {
                Some("in") => shape.optional.push(flags),
                _ => shape.required.push(flags),
            }
            condition.values.iter().map(|w| w.text.clone()).collect()
        } else {
            shape.fstype = true;
            condition
                .values
                .iter()
                .map(|w| check.expand_pattern(w))
                .collect()
        };
        texts.push(condition_text(condition, &values));
    }
    texts
}

/// The flags of one options condition; reports unknown and, for `=`,
/// conflicting options. `options in (...)` holds flags that may be set
/// or clear, so both count.
fn option_flags(check: &mut Check<'_, '_>, condition: &Condition, remount: bool) -> u32 {
    let (mut set, mut clear) = (0, 0);
    for word in &condition.values {
        match option(&word.text) {
            Some((on, off)) => {
                set |= on;
                clear |= off;
            }
            None => check.error_help(
                word.span,
                format!("unknown mount option `{}`", word.text),
                "unknown option",
                write_nearest(&word.text, MOUNT_OPTIONS.iter().map(|(name, _, _)| *name)),
            ),
        }
    }
    if condition.op.as_deref() == Some("in") {
        return set | clear;
    }
    if remount {
        set |= REMOUNT;
    }
    if set & clear != 0 {
        let names = conflicting_names(&condition.values, set & clear);
        let message = format!("mount options {names} conflict");
        check.error(condition.key.span, message, "conflicting options");
    }
    set
}

/// The options of `values` that set or clear a bit of `bits`.
fn conflicting_names(values: &[crate::parse::ast::Word], bits: u32) -> String {
    let names: Vec<String> = values
        .iter()
        .filter(|word| option(&word.text).is_some_and(|(on, off)| (on | off) & bits != 0))
        .map(|word| format!("`{}`", word.text))
        .collect();
    names.join(" and ")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A mount shape from letters: `r` remount, `s` source, `p` mount
    /// point, `t` fstype; `options` are those of one `options=(...)`.
    fn shape(letters: &str, options: &[&str]) -> MountShape {
        let remount = letters.contains('r');
        let mut required = Vec::new();
        if !options.is_empty() {
            let flags = options.iter().map(|o| option(o).unwrap().0);
            let remount_flag = if remount { REMOUNT } else { 0 };
            required.push(flags.fold(remount_flag, |all, flag| all | flag));
        }
        MountShape {
            remount,
            source: letters.contains('s'),
            mount_point: letters.contains('p'),
            fstype: letters.contains('t'),
            required,
            optional: Vec::new(),
        }
    }

    #[test]
    fn rules_upstream_can_encode() {
        let cases: [(&str, &[&str], bool); 12] = [
            ("sp", &[], true),
            ("spt", &["ro"], true),
            ("sp", &["bind"], true),
            ("spt", &["bind"], false),
            ("sp", &["private"], false),
            ("s", &["private"], true),
            ("p", &["rshared"], true),
            ("sp", &["remount"], false),
            ("p", &["remount"], true),
            ("spt", &["move"], false),
            ("rpt", &[], true),
            ("rpt", &["bind"], false),
        ];
        for (letters, options, expected) in cases {
            let shape = shape(letters, options);
            assert_eq!(shape.encodes(), expected, "{letters} {options:?}");
        }
    }

    #[test]
    fn a_rule_encoding_nothing_says_why() {
        let remount_source = "a remount rule cannot name a source, only the mount point after `->`";
        let both = "a propagation type rule cannot name both a source and a mount point";
        let cases: [(&str, &[&str], &str); 4] = [
            ("s", &["remount"], remount_source),
            ("sp", &["remount"], remount_source),
            ("sp", &["private"], both),
            (
                "spt",
                &["bind"],
                "bind, move, remount and propagation type rules cannot name an fstype",
            ),
        ];
        for (letters, options, expected) in cases {
            let shape = shape(letters, options);
            assert!(!shape.encodes(), "{letters} {options:?}");
            assert_eq!(shape.problem(), expected, "{letters} {options:?}");
        }
    }

    #[test]
    fn every_option_has_flags_and_opposites_share_a_bit() {
        for (name, set, clear) in MOUNT_OPTIONS {
            assert!((set | clear) != 0, "{name}");
            assert!(set & clear == 0, "{name}");
        }
        let pairs = [
            ("ro", "rw"),
            ("verbose", "loud"),
            ("silent", "loud"),
            ("user", "nouser"),
        ];
        for (a, b) in pairs {
            let (a, b) = (option(a).unwrap(), option(b).unwrap());
            assert!(a.0 & b.1 != 0 || a.1 & b.0 != 0, "{a:?} {b:?}");
        }
    }
}
