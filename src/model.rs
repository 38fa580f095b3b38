//! The resolved profile model: what `resolve` produces and `compile`,
//! `analyze` and `lint` consume.
//!
//! A [`Profile`] here has no includes, no variables and no conditionals
//! left: every file rule carries its pattern after variable expansion, as
//! the text `apparmor_parser` hands to its regex converter, together with
//! the span it came from and the include chain that led there. Non-file
//! rules are kept in a normalised text form so that `diff` can compare them.

use crate::source::Span;

/// Where a rule came from: its span, and the `include` lines (outermost
/// first) that led to the file holding it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Origin {
    pub span: Span,
    pub include_chain: Vec<Span>,
}

/// A profile, hat or child profile after resolution.
#[derive(Clone, Debug)]
pub struct Profile {
    /// The name as written, without the parent's name (`docker-default`,
    /// `/usr/bin/foo`, or a hat's name without `^`).
    pub name: String,
    pub origin: Origin,
    /// The attachment pattern, when the profile has one.
    pub attachment: Option<String>,
    /// Flags as written in `flags=(...)`, in order.
    pub flags: Vec<String>,
    pub is_hat: bool,
    /// File and link rules in profile order, each followed by the copies
    /// that `alias` rules make of it.
    pub file_rules: Vec<FileRule>,
    pub other_rules: Vec<OtherRule>,
    pub children: Vec<Profile>,
    /// Includes in this profile's body whose file could not be found: their
    /// rules are unknown, so an analysis must not treat them as absent
    /// (`prove` reports a claim that depends on them as undecided). A
    /// missing `include if exists` adds nothing and is not listed.
    pub unresolved_includes: Vec<UnresolvedInclude>,
}

/// An `include` line whose file was not found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UnresolvedInclude {
    /// The name as written, such as `abstractions/base` or `local/foo`.
    pub name: String,
    /// The span of the `include` line, and the includes that led to it.
    pub origin: Origin,
}

/// Allow, deny or prompt: the rule's decision when it matches.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Decision {
    Allow,
    Deny,
    /// AppArmor 4.x `prompt`: compiled as allow by kernels without a prompt
    /// listener.
    Prompt,
}

/// Which half of the permission table a rule applies to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum OwnerQualifier {
    /// No qualifier: both the owner and the other half.
    Both,
    /// `owner`: files owned by the task's fsuid.
    Owner,
    /// `other`: files not owned by the task's fsuid.
    Other,
}

/// The prefix common to all rules: `priority=N audit deny owner`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Qualifiers {
    pub decision: Decision,
    pub audit: bool,
    pub owner: OwnerQualifier,
    /// `priority=N`; 0 when absent.
    pub priority: i32,
}

impl Default for Qualifiers {
    fn default() -> Self {
        Qualifiers {
            decision: Decision::Allow,
            audit: false,
            owner: OwnerQualifier::Both,
            priority: 0,
        }
    }
}

/// The access permissions of a file rule, as bits in the kernel's order.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct FilePerms(pub u8);

impl FilePerms {
    pub const EXEC: FilePerms = FilePerms(0x01);
    pub const WRITE: FilePerms = FilePerms(0x02);
    pub const READ: FilePerms = FilePerms(0x04);
    pub const APPEND: FilePerms = FilePerms(0x08);
    pub const LINK: FilePerms = FilePerms(0x10);
    pub const LOCK: FilePerms = FilePerms(0x20);
    pub const MMAP: FilePerms = FilePerms(0x40);

    /// Letters in the canonical order used in every output: `rwalkmx`.
    pub const LETTERS: [(char, FilePerms); 7] = [
        ('r', FilePerms::READ),
        ('w', FilePerms::WRITE),
        ('a', FilePerms::APPEND),
        ('l', FilePerms::LINK),
        ('k', FilePerms::LOCK),
        ('m', FilePerms::MMAP),
        ('x', FilePerms::EXEC),
    ];

    pub fn contains(self, other: FilePerms) -> bool {
        self.0 & other.0 == other.0
    }

    pub fn union(self, other: FilePerms) -> FilePerms {
        FilePerms(self.0 | other.0)
    }

    pub fn minus(self, other: FilePerms) -> FilePerms {
        FilePerms(self.0 & !other.0)
    }

    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// Parses letters such as `rw` or `wklx`; `None` on any other letter.
    /// Exec qualifiers (`ix`, `Px`, ...) are not letters of this set.
    pub fn from_letters(letters: &str) -> Option<FilePerms> {
        let mut perms = FilePerms::default();
        for letter in letters.chars() {
            let (_, bit) = FilePerms::LETTERS.iter().find(|(l, _)| *l == letter)?;
            perms = perms.union(*bit);
        }
        Some(perms)
    }

    /// The letters that hold, in `rwalkmx` order.
    pub fn letters(self) -> String {
        FilePerms::LETTERS
            .iter()
            .filter(|(_, bit)| self.contains(*bit))
            .map(|(letter, _)| *letter)
            .collect()
    }
}

/// Where an exec transition goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ExecTransition {
    /// `i`: stay in the current profile.
    Inherit,
    /// `u`: run unconfined.
    Unconfined,
    /// `p`: the profile named by the target or the executable's path.
    Profile,
    /// `c`: a child profile of the current one.
    Child,
}

/// The exec mode of a rule granting `x`, such as `ix`, `Px` or `Cix`.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct ExecMode {
    /// `None` for a bare `x`, which only a deny rule may use.
    pub transition: Option<ExecTransition>,
    /// Upper-case forms (`Px`, `Ux`, `Cx`) scrub the environment; lower-case
    /// ones are "unsafe" in the kernel's words.
    pub scrub: bool,
    /// The fallback of `pix`/`pux`/`cix`/`cux` when the target profile is
    /// missing: `Inherit` or `Unconfined`.
    pub fallback: Option<ExecTransition>,
    /// The `-> target` of the rule as written: upstream expands no
    /// variable in an exec target.
    pub target: Option<String>,
}

/// One file rule after resolution: `[qualifiers] PATTERN PERMS [-> TARGET]`,
/// a `link` rule (perms `l` with a [`LinkTarget`]), or `file,` (pattern
/// `/{**,}`, perms `rwalkmx` with exec mode `ix`).
#[derive(Clone, Debug)]
pub struct FileRule {
    pub origin: Origin,
    pub qualifiers: Qualifiers,
    /// The path pattern after variable expansion: an AppArmor glob, possibly
    /// with `{..}` alternations that came from multi-valued variables.
    pub pattern: String,
    pub perms: FilePerms,
    /// Present exactly when `perms` holds `x`.
    pub exec: Option<ExecMode>,
    /// For `l` permissions and `link` rules: the link target pattern.
    pub link: Option<LinkTarget>,
}

/// The target side of a link permission.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LinkTarget {
    /// `link subset A -> B`: the link may carry no more than the target.
    pub subset: bool,
    pub pattern: String,
}

/// A non-file rule (capability, network, signal, ...), normalised.
#[derive(Clone, Debug)]
pub struct OtherRule {
    pub origin: Origin,
    pub qualifiers: Qualifiers,
    /// The rule's keyword: `capability`, `network`, `unix`, `signal`,
    /// `ptrace`, `dbus`, `mount`, `remount`, `umount` (also for `unmount`),
    /// `pivot_root`, `userns`, `mqueue`, `io_uring`, `change_profile`,
    /// `rlimit` (for `set rlimit`) or `all`.
    pub kind: String,
    /// The rule's text after the keyword, with variables expanded, words
    /// separated by one space and the trailing comma removed: accesses
    /// first (one word, or a sorted `(a,b)` list), then positional words,
    /// then `key=value` / `key=(a,b)` conditions with sorted value lists,
    /// then `peer=(...)`, then `-> target`. Capability names are sorted.
    /// Examples: `chown sys_admin`, `(receive,send) set=(hup,term)`,
    /// `nofile <= 1024`, and the empty body of `all`.
    pub body: String,
}

/// Collapses runs of `/` in a rule's pattern to one, except a leading `//`
/// not followed by a third `/`, as `apparmor_parser` does after expanding
/// variables and before compiling (so `@{PROC}/sys`, `/proc//sys` in text,
/// is `/proc/sys`). The compile layer applies the same rule to patterns it
/// is given directly.
pub fn collapse_slashes(pattern: &str) -> String {
    let keeps_leading = pattern.starts_with("//") && !pattern[2..].starts_with('/');
    let (head, rest) = pattern.split_at(if keeps_leading { 2 } else { 0 });
    let mut out = String::with_capacity(pattern.len());
    out.push_str(head);
    for c in rest.chars() {
        if !(c == '/' && out.ends_with('/')) {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slashes_collapse_except_a_leading_pair() {
        let cases = [
            ("/proc//sys/kernel", "/proc/sys/kernel"),
            ("/a///b/", "/a/b/"),
            ("//srv/x", "//srv/x"),
            ("///srv//x", "/srv/x"),
            ("//", "//"),
            ("/", "/"),
            ("", ""),
            ("/{a,//b}//c", "/{a,/b}/c"),
        ];
        for (pattern, expected) in cases {
            assert_eq!(collapse_slashes(pattern), expected, "{pattern}");
        }
    }
}
