//! Permission words and how matching rules merge into one decision.
//!
//! Everything here uses the kernel's layout, so that aaprove's answer can be
//! compared bit for bit with `apparmor_parser`'s tables: per half 14 bits
//! (`x w r a l k m` in bits 0 to 6, then the exec type: 0x80 fallback to
//! unconfined, 0x100 unsafe, 0x200 inherit, bits 10 to 13 the target kind
//! or exec table index), the owner half in bits 0 to 13 and the other half
//! shifted by 14.
//!
//! The merge ([`merge`]) follows upstream's rules for the rules matching
//! one path: deny beats allow; `deny x` also clears the exec type; a rule
//! without wildcards ("exact") overrides the exec type of glob rules, and
//! two rules of the same kind with different exec types are an error;
//! audit bits of allow rules are kept even when denied; quiet bits (from
//! deny rules without `audit`) are kept only where denied. `priority=`
//! (AppArmor 4) is applied per permission bit before that merge.

use std::hash::Hash;

use crate::model::{FilePerms, OwnerQualifier};

/// The owner half's bits, and the shift of the other half.
pub const HALF_MASK: u32 = 0x3fff;
pub const OTHER_SHIFT: u32 = 14;
/// `x w r a l k m` of one half.
pub const ACCESS_MASK: u32 = 0x7f;
/// The exec type bits of one half (everything that says how to exec).
pub const EXEC_TYPE_MASK: u32 = 0x3f80;
pub const EXEC_UNCONFINED_FALLBACK: u32 = 0x80;
pub const EXEC_UNSAFE: u32 = 0x100;
pub const EXEC_INHERIT: u32 = 0x200;
/// Bits 10 to 13: 1 unconfined, 2 profile, 3 child, 4 and up a named
/// target in the exec table.
pub const EXEC_TARGET_SHIFT: u32 = 10;
pub const EXEC_TARGET_UNCONFINED: u32 = 1;
pub const EXEC_TARGET_PROFILE: u32 = 2;
pub const EXEC_TARGET_CHILD: u32 = 3;
pub const EXEC_TARGET_FIRST_NAMED: u32 = 4;
pub const EXEC_TARGET_LAST: u32 = 15;

const EXEC: u32 = FilePerms::EXEC.0 as u32;
const BOTH_EXEC_TYPES: u32 = EXEC_TYPE_MASK | (EXEC_TYPE_MASK << OTHER_SHIFT);

/// Which half of a permission word: files the task owns, or the others.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Half {
    Owner,
    Other,
}

impl Half {
    pub const BOTH: [Half; 2] = [Half::Owner, Half::Other];

    /// The halves a rule qualified by `owner` applies to.
    pub fn of_rule(owner: OwnerQualifier) -> &'static [Half] {
        match owner {
            OwnerQualifier::Both => &Half::BOTH,
            OwnerQualifier::Owner => &[Half::Owner],
            OwnerQualifier::Other => &[Half::Other],
        }
    }

    fn shift(self) -> u32 {
        match self {
            Half::Owner => 0,
            Half::Other => OTHER_SHIFT,
        }
    }

    /// The bits of this half of `word`, moved to the owner position.
    pub fn of(self, word: u32) -> u32 {
        (word >> self.shift()) & HALF_MASK
    }

    /// `half_bits` moved into this half of a word.
    pub fn place(self, half_bits: u32) -> u32 {
        (half_bits & HALF_MASK) << self.shift()
    }
}

/// How an allowed exec happens: the exec type bits of one half, as the
/// kernel reads them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ExecDecision {
    /// The half's bits 7 to 13 (still in their place in the half).
    pub bits: u32,
}

impl ExecDecision {
    /// 1 unconfined, 2 profile, 3 child, 4 to 15 an exec table index, 0
    /// none (plain inherit).
    pub fn target(self) -> u32 {
        self.bits >> EXEC_TARGET_SHIFT
    }

    pub fn inherits(self) -> bool {
        self.bits & EXEC_INHERIT != 0
    }

    /// Lower-case modes (`px`, `ux`, `cx`, ...): the environment is not
    /// scrubbed.
    pub fn is_unsafe(self) -> bool {
        self.bits & EXEC_UNSAFE != 0
    }

    pub fn falls_back_to_unconfined(self) -> bool {
        self.bits & EXEC_UNCONFINED_FALLBACK != 0
    }

    /// The mode as written in a profile, such as `ix`, `Px`, `cux`, without
    /// any `-> target`.
    pub fn mode_text(self) -> String {
        let upper = !self.is_unsafe();
        let kind = match self.target() {
            0 => return "ix".to_string(),
            EXEC_TARGET_UNCONFINED => 'u',
            EXEC_TARGET_CHILD => 'c',
            _ => 'p',
        };
        let kind = if upper {
            kind.to_ascii_uppercase()
        } else {
            kind
        };
        let fallback = match (self.inherits(), self.falls_back_to_unconfined()) {
            (true, _) => "i",
            (_, true) => "u",
            _ => "",
        };
        format!("{kind}{fallback}x")
    }
}

/// The decision for one half: allowed, explicitly denied, audited and
/// quieted permissions, and the exec mode when `x` is allowed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct HalfPermissions {
    pub allow: FilePerms,
    /// Explicitly denied (by deny rules); never also in `allow`.
    pub deny: FilePerms,
    /// Audited on use: from `audit` allow rules, even where denied, as the
    /// kernel's tables keep them.
    pub audit: FilePerms,
    /// Denials not logged: from deny rules without `audit`.
    pub quiet: FilePerms,
    pub exec: Option<ExecDecision>,
}

impl HalfPermissions {
    /// Reads one half (already moved to the owner position) of the merged
    /// words.
    fn from_half_words(allow: u32, deny: u32, audit: u32, quiet: u32) -> HalfPermissions {
        let letters = |word: u32| FilePerms((word & ACCESS_MASK) as u8);
        HalfPermissions {
            allow: letters(allow),
            deny: letters(deny),
            audit: letters(audit),
            quiet: letters(quiet),
            exec: (allow & EXEC != 0).then_some(ExecDecision {
                bits: allow & EXEC_TYPE_MASK,
            }),
        }
    }

    fn allow_word(&self) -> u32 {
        self.allow.0 as u32 | self.exec.map_or(0, |exec| exec.bits)
    }
}

/// What a profile decides for one path: the owner and the other half.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct PathPermissions {
    pub owner: HalfPermissions,
    pub other: HalfPermissions,
}

impl PathPermissions {
    /// Builds the decision from full 28-bit words in the kernel's layout.
    pub fn from_words(words: &MergedWords) -> PathPermissions {
        let half = |half: Half| {
            HalfPermissions::from_half_words(
                half.of(words.allow),
                half.of(words.deny),
                half.of(words.audit),
                half.of(words.quiet),
            )
        };
        PathPermissions {
            owner: half(Half::Owner),
            other: half(Half::Other),
        }
    }

    pub fn half(&self, half: Half) -> &HalfPermissions {
        match half {
            Half::Owner => &self.owner,
            Half::Other => &self.other,
        }
    }

    /// The first accept word of the kernel's table: allowed permissions.
    pub fn kernel_accept(&self) -> u32 {
        Half::BOTH
            .iter()
            .map(|&half| half.place(self.half(half).allow_word()))
            .fold(0, |word, bits| word | bits)
    }

    /// The second accept word: audit in bits 0 to 6 (and 14 to 20), quiet
    /// in bits 7 to 13 (and 21 to 27).
    pub fn kernel_accept2(&self) -> u32 {
        Half::BOTH
            .iter()
            .map(|&half| {
                let perms = self.half(half);
                half.place(perms.audit.0 as u32 | (perms.quiet.0 as u32) << 7)
            })
            .fold(0, |word, bits| word | bits)
    }
}

/// One rule's contribution, in the kernel's layout, as it enters the merge.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RuleEntry {
    /// Permission bits of both halves, exec type included.
    pub mode: u32,
    /// For allow rules, the audited bits; for deny rules, the quiet bits.
    pub audit: u32,
    pub deny: bool,
    /// True when the pattern has no wildcard.
    pub exact: bool,
    pub priority: i32,
}

/// The four merged words of one path, before splitting into halves.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct MergedWords {
    pub allow: u32,
    pub deny: u32,
    pub audit: u32,
    pub quiet: u32,
}

/// Two rules give the same path different exec modes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ExecConflict;

/// True when `a` and `b` do not both allow `x` in a half with different
/// exec types.
fn exec_consistent(a: u32, b: u32) -> bool {
    Half::BOTH.iter().all(|&half| {
        let (a, b) = (half.of(a), half.of(b));
        a & EXEC == 0 || b & EXEC == 0 || a & EXEC_TYPE_MASK == b & EXEC_TYPE_MASK
    })
}

/// Merges the rules matching one path, as upstream computes a DFA state's
/// permissions.
pub fn merge<'e>(
    entries: impl IntoIterator<Item = &'e RuleEntry>,
) -> Result<MergedWords, ExecConflict> {
    let entries: Vec<RuleEntry> = apply_priority(entries.into_iter().collect());
    let mut words = MergedWords::default();
    let (mut exact_allow, mut exact_audit) = (0, 0);
    let mut consistent = true;
    for entry in &entries {
        if entry.deny {
            words.deny |= entry.mode;
            words.quiet |= entry.audit;
        } else if entry.exact {
            consistent &= exec_consistent(exact_allow, entry.mode);
            exact_allow |= entry.mode;
            exact_audit |= entry.audit;
        } else {
            consistent &= exec_consistent(words.allow, entry.mode);
            words.allow |= entry.mode;
            words.audit |= entry.audit;
        }
    }
    if !consistent {
        return Err(ExecConflict);
    }
    words.allow |= exact_allow & !BOTH_EXEC_TYPES;
    words.audit |= exact_audit & !BOTH_EXEC_TYPES;
    for half in Half::BOTH {
        let exec_type = half.place(EXEC_TYPE_MASK);
        if exact_allow & half.place(EXEC) != 0 {
            words.allow = (exact_allow & exec_type) | (words.allow & !exec_type);
        }
        if words.deny & half.place(EXEC) != 0 {
            words.deny |= exec_type;
        }
    }
    words.allow &= !words.deny;
    words.quiet &= words.deny;
    Ok(words)
}

/// Drops, bit by bit, the contributions of rules whose priority is lower
/// than the highest priority among the rules giving that bit. The exec
/// type bits go with their half's `x`. With equal priorities (always the
/// case before AppArmor 4) nothing changes.
///
/// FIXME: AppArmor 4's merge (per bit, priority * 4 plus 3 for deny, 2 for
/// an exact rule's `x`, 1 for allow) is approximated: within the highest
/// priority the 3.0.8 merge runs, so audit bits of denied permissions are
/// kept (4.x drops them), and the `m` implied by `ix` competes with the
/// rule's priority rather than the `x` bit's. No 4.x parser was available
/// to check against; this affects only profiles using `priority=`.
fn apply_priority(entries: Vec<&RuleEntry>) -> Vec<RuleEntry> {
    let Some(first) = entries.first() else {
        return Vec::new();
    };
    if entries.iter().all(|entry| entry.priority == first.priority) {
        return entries.into_iter().cloned().collect();
    }
    let mut highest = [i32::MIN; 28];
    for entry in &entries {
        for (bit, top) in highest.iter_mut().enumerate() {
            if entry.mode & (1 << bit) != 0 {
                *top = (*top).max(entry.priority);
            }
        }
    }
    entries
        .into_iter()
        .map(|entry| {
            let mut kept = 0;
            for bit in (0..28).filter(|&bit| highest[bit] == entry.priority) {
                kept |= 1 << bit;
            }
            for half in Half::BOTH {
                if kept & half.place(EXEC) != 0 {
                    kept |= half.place(EXEC_TYPE_MASK);
                } else {
                    kept &= !half.place(EXEC_TYPE_MASK);
                }
            }
            RuleEntry {
                mode: entry.mode & kept,
                audit: entry.audit & kept,
                ..entry.clone()
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(mode: u32, deny: bool, exact: bool) -> RuleEntry {
        RuleEntry {
            mode,
            audit: if deny { mode & !BOTH_EXEC_TYPES } else { 0 },
            deny,
            exact,
            priority: 0,
        }
    }

    const BOTH_R: u32 = 0x4 | 0x4 << 14;
    const BOTH_WA: u32 = 0xa | 0xa << 14;
    const PX: u32 = 0x901;
    const IX: u32 = 0x241;

    #[test]
    fn merges_like_upstream() {
        type Words = Result<(u32, u32, u32), ExecConflict>;
        let cases: Vec<(Vec<RuleEntry>, Words)> = vec![
            (
                vec![
                    entry(BOTH_R | BOTH_WA, false, false),
                    entry(BOTH_WA, true, false),
                ],
                Ok((BOTH_R, BOTH_WA, BOTH_WA)),
            ),
            (
                vec![entry(PX, false, false), entry(IX, false, true)],
                Ok((IX, 0, 0)),
            ),
            (
                vec![entry(PX, false, false), entry(IX, false, false)],
                Err(ExecConflict),
            ),
            (
                vec![entry(PX, false, true), entry(IX, false, true)],
                Err(ExecConflict),
            ),
            (
                vec![entry(IX, false, false), entry(0x1, true, false)],
                Ok((0x40, 0x3f81, 0x1)),
            ),
            (
                vec![entry(PX, false, false), entry(PX, false, false)],
                Ok((PX, 0, 0)),
            ),
        ];
        for (entries, expected) in cases {
            let got = merge(&entries).map(|w| (w.allow, w.deny, w.quiet));
            assert_eq!(got, expected, "{entries:?}");
        }
    }

    #[test]
    fn higher_priority_decides_each_bit() {
        let allow = RuleEntry {
            priority: 5,
            ..entry(BOTH_R, false, false)
        };
        let deny = entry(BOTH_R | BOTH_WA, true, false);
        let words = merge([&allow, &deny]).unwrap();
        assert_eq!((words.allow, words.deny), (BOTH_R, BOTH_WA));
    }

    #[test]
    fn round_trips_kernel_words() {
        let words = MergedWords {
            allow: PX | 0x4 << 14,
            deny: 0x2,
            audit: 0x4,
            quiet: 0x2,
        };
        let perms = PathPermissions::from_words(&words);
        assert_eq!(perms.kernel_accept(), words.allow);
        assert_eq!(perms.kernel_accept2(), 0x4 | 0x2 << 7);
        assert_eq!(perms.owner.exec.unwrap().mode_text(), "px");
        assert_eq!(perms.other.exec, None);
    }
}
