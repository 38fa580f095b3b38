//! AppArmor patterns (globs) to the pattern IR.
//!
//! A rule's pattern goes through the same steps as in `apparmor_parser`:
//! runs of `/` collapse ([`convert::collapse_slashes`]), the glob is
//! rewritten into upstream's regex dialect ([`convert`]), and that regex is
//! parsed into [`Ir`] ([`regex`]). The IR is small on purpose: bytes, byte
//! classes, concatenation, alternation and the two repetitions, which is
//! all an NFA needs.

pub mod convert;
pub mod regex;

use std::fmt;

use crate::compile::Limits;
use crate::compile::byteset::ByteSet;

/// The pattern IR: a regular expression over bytes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Ir {
    /// The empty string.
    Empty,
    Byte(u8),
    /// One byte out of a set; from `[...]`, `[^...]`, `?`, `*` and `.`.
    Class(ByteSet),
    Concat(Vec<Ir>),
    Alternation(Vec<Ir>),
    /// A `{a,b}` of the glob: the index of its [`GroupSpan`] in
    /// [`Pattern::groups`], and its alternatives. Matches like
    /// [`Ir::Alternation`]; the index lets `explain` say which alternative
    /// matched.
    Group(usize, Vec<Ir>),
    /// Zero or more.
    Star(Box<Ir>),
    /// One or more.
    Plus(Box<Ir>),
}

/// A parsed pattern with what the permission merge needs to know about it.
#[derive(Clone, Debug)]
pub struct Pattern {
    pub ir: Ir,
    /// True when the pattern has no wildcard at all (alternations allowed):
    /// upstream lets such a rule's exec mode override a glob rule's.
    pub exact: bool,
    /// The upstream regex text, for diagnostics and `-D rule-exprs`-style
    /// debugging.
    pub regex: Vec<u8>,
    /// Where each `{...}` of the pattern is, indexed by [`Ir::Group`].
    pub groups: Vec<GroupSpan>,
}

/// A `{...}` in a pattern's text: byte offsets of its `{`, of each `,`
/// directly in it, and of its `}`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GroupSpan {
    pub braces: Vec<usize>,
}

impl GroupSpan {
    /// The byte range of alternative `index` in the pattern's text.
    pub fn alternative(&self, index: usize) -> std::ops::Range<usize> {
        self.braces[index] + 1..self.braces[index + 1]
    }

    /// The byte range of the whole group, braces included.
    pub fn whole(&self) -> std::ops::Range<usize> {
        self.braces[0]..self.braces[self.braces.len() - 1] + 1
    }
}

/// Why a pattern is not a valid AppArmor glob.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PatternError {
    /// A `{` or `[` is never closed.
    Unclosed,
    UnopenedClass,
    UnopenedGroup,
    /// `{a}` or `{}`: an alternation needs a `,`.
    SingleAlternative,
    TrailingBackslash,
    /// `{` nested deeper than the limit.
    TooDeep {
        limit: usize,
    },
    /// The pattern is longer than the limit.
    TooLong {
        length: usize,
        limit: usize,
    },
    /// The rewritten regex does not parse; `token` is where it stops.
    Regex {
        token: usize,
    },
}

impl fmt::Display for PatternError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PatternError::Unclosed => write!(f, "unclosed `{{` or `[`"),
            PatternError::UnopenedClass => write!(f, "`]` without an opening `[`"),
            PatternError::UnopenedGroup => write!(f, "`}}` without an opening `{{`"),
            PatternError::SingleAlternative => {
                write!(f, "an alternation `{{...}}` needs at least two items")
            }
            PatternError::TrailingBackslash => write!(f, "trailing `\\` escape"),
            PatternError::TooDeep { limit } => {
                write!(f, "alternations nested deeper than {limit} levels")
            }
            PatternError::TooLong { length, limit } => {
                write!(
                    f,
                    "pattern of {length} bytes is longer than the limit of {limit}"
                )
            }
            PatternError::Regex { token } => {
                write!(f, "invalid character class or group near item {token}")
            }
        }
    }
}

impl std::error::Error for PatternError {}

/// Parses a file rule's pattern (after variable expansion) exactly as
/// `apparmor_parser` reads it.
pub fn parse(pattern: &str, limits: &Limits) -> Result<Pattern, PatternError> {
    if pattern.len() > limits.max_pattern_len {
        return Err(PatternError::TooLong {
            length: pattern.len(),
            limit: limits.max_pattern_len,
        });
    }
    let (collapsed, kept) = convert::collapse_slashes_with_origin(pattern.as_bytes());
    let rewritten = convert::rewrite(&collapsed, limits.max_alternation_depth)?;
    let parsed = regex::parse_regex_with_groups(&rewritten.regex)?;
    let in_pattern = |regex_offset: usize| kept[rewritten.origin[regex_offset]];
    let groups = parsed
        .groups
        .iter()
        .map(|offsets| GroupSpan {
            braces: offsets.iter().map(|&offset| in_pattern(offset)).collect(),
        })
        .collect();
    Ok(Pattern {
        ir: parsed.ir,
        exact: parsed.exact,
        regex: rewritten.regex,
        groups,
    })
}

/// Parses an upstream regex directly (no glob rewrite, no slash collapse),
/// as upstream does for its built-in rules such as a link's default
/// target.
pub fn parse_upstream_regex(regex: &str) -> Result<Pattern, PatternError> {
    let (ir, exact) = regex::parse_regex(regex.as_bytes())?;
    Ok(Pattern {
        ir,
        exact,
        regex: regex.as_bytes().to_vec(),
        groups: Vec::new(),
    })
}
