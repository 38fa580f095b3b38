//! The pieces of a pattern's text, for lints about how a pattern is
//! written (a run of negated classes, a `*` inside `[...]`, a `+` after a
//! class) rather than about what it matches, which is the automata's job.
//!
//! The split follows the compiler's reading (see `compile::pattern::convert`):
//! a backslash makes the next byte literal, a class runs from `[` to the
//! first unescaped `]` and holds `{`, `,`, `*` and `?` as written, and `,`
//! separates alternatives only inside `{...}`.

use std::ops::Range;

/// One piece of a pattern.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Piece {
    /// A byte that stands for itself (escaped or not).
    Byte(u8),
    /// `*` (`double` false) or `**`.
    Star {
        double: bool,
    },
    Question,
    /// `[...]` or `[^...]`; `body` is the text between `[` or `[^` and `]`.
    Class {
        negated: bool,
        body: Range<usize>,
    },
    Open,
    Comma,
    Close,
}

/// A piece and where its text is in the pattern.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Token {
    pub piece: Piece,
    pub range: Range<usize>,
}

/// The pieces of `pattern`, or `None` when a class, group or escape is not
/// closed (the compiler rejects such a pattern anyway).
pub fn tokens(pattern: &str) -> Option<Vec<Token>> {
    let bytes = pattern.as_bytes();
    let mut tokens = Vec::new();
    let mut depth = 0usize;
    let mut pos = 0;
    while pos < bytes.len() {
        let start = pos;
        let (piece, next) = match bytes[pos] {
            b'\\' => (Piece::Byte(*bytes.get(pos + 1)?), pos + 2),
            b'*' if bytes.get(pos + 1) == Some(&b'*') => (Piece::Star { double: true }, pos + 2),
            b'*' => (Piece::Star { double: false }, pos + 1),
            b'?' => (Piece::Question, pos + 1),
            b'[' => class(bytes, pos)?,
            b'{' => {
                depth += 1;
                (Piece::Open, pos + 1)
            }
            b'}' if depth > 0 => {
                depth -= 1;
                (Piece::Close, pos + 1)
            }
            b',' if depth > 0 => (Piece::Comma, pos + 1),
            byte => (Piece::Byte(byte), pos + 1),
        };
        tokens.push(Token {
            piece,
            range: start..next,
        });
        pos = next;
    }
    (depth == 0).then_some(tokens)
}

/// The class whose `[` is at `open`, and the position after its `]`.
fn class(bytes: &[u8], open: usize) -> Option<(Piece, usize)> {
    let negated = bytes.get(open + 1) == Some(&b'^');
    let body_start = open + 1 + negated as usize;
    let mut pos = body_start;
    loop {
        match *bytes.get(pos)? {
            b'\\' => pos += 2,
            b']' => break,
            _ => pos += 1,
        }
    }
    let body = body_start..pos;
    Some((Piece::Class { negated, body }, pos + 1))
}

/// The bytes a class body names: single bytes and `a-z` ranges, escapes
/// read as the byte they escape. `None` for bodies this reading does not
/// cover (escape sequences such as `\x41`).
pub fn class_members(body: &str) -> Option<Vec<u8>> {
    let bytes = body.as_bytes();
    let mut members = Vec::new();
    let mut pos = 0;
    while pos < bytes.len() {
        let (low, after) = class_byte(bytes, pos)?;
        if bytes.get(after) == Some(&b'-') && after + 1 < bytes.len() {
            let (high, end) = class_byte(bytes, after + 1)?;
            members.extend(low.min(high)..=low.max(high));
            pos = end;
        } else {
            members.push(low);
            pos = after;
        }
    }
    Some(members)
}

fn class_byte(bytes: &[u8], pos: usize) -> Option<(u8, usize)> {
    match bytes[pos] {
        b'\\' => {
            let next = *bytes.get(pos + 1)?;
            (!next.is_ascii_alphanumeric()).then_some((next, pos + 2))
        }
        byte => Some((byte, pos + 1)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pieces(pattern: &str) -> Vec<Piece> {
        tokens(pattern)
            .unwrap()
            .into_iter()
            .map(|t| t.piece)
            .collect()
    }

    #[test]
    fn splits_like_the_compiler() {
        use Piece::*;
        let class = |negated, body| Class { negated, body };
        let cases: &[(&str, Vec<Piece>)] = &[
            ("/a*", vec![Byte(b'/'), Byte(b'a'), Star { double: false }]),
            ("/**", vec![Byte(b'/'), Star { double: true }]),
            ("[^n]?", vec![class(true, 2..3), Question]),
            ("[*]", vec![class(false, 1..2)]),
            (
                "{a,[,]}",
                vec![Open, Byte(b'a'), Comma, class(false, 4..5), Close],
            ),
            ("a,\\*", vec![Byte(b'a'), Byte(b','), Byte(b'*')]),
        ];
        for (pattern, expected) in cases {
            assert_eq!(pieces(pattern), *expected, "{pattern}");
        }
        for broken in ["[a", "{a,b", "a\\"] {
            assert_eq!(tokens(broken), None, "{broken}");
        }
    }

    #[test]
    fn reads_class_members() {
        let cases: &[(&str, Option<&[u8]>)] = &[
            ("n", Some(b"n")),
            ("1-3s", Some(b"123s")),
            ("0-9/", Some(b"0123456789/")),
            ("\\]", Some(b"]")),
            ("\\x41", None),
        ];
        for (body, expected) in cases {
            assert_eq!(class_members(body).as_deref(), *expected, "{body}");
        }
    }
}
