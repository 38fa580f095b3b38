//! AppArmor glob text to the upstream regex dialect.
//!
//! `apparmor_parser` does not parse globs directly: it first rewrites a
//! rule's pattern, character by character, into a small regex language
//! (the one its `libapparmor_re` grammar reads), then parses that. Several
//! well-known surprises of AppArmor patterns only exist because of this
//! two-step design, for example `[*]`, where the `*` is rewritten even
//! inside a character class. To be exact, aaprove performs the same two
//! steps: this module is the rewrite, [`super::regex`] the parse.
//!
//! The rewrite works on bytes. Facts it reproduces (each checked against
//! the parser's compiled tables in `tests/differential.rs`):
//!
//! - `*` becomes "any run of bytes other than `/` and NUL", `**` "any run
//!   of bytes other than NUL";
//! - when the rewritten text so far ends in `/` and the run of `*` reaches
//!   a `/` or the end of the pattern, one more byte (not `/`, not NUL) is
//!   required first, so `/a/*` and `/a/**` do not match `/a/`; the check
//!   looks at the rewritten text, so after `{` or `,` it does not apply;
//! - `?` is one byte other than `/` and NUL, even inside `[...]`;
//! - `{a,b}` becomes a group with alternatives; `{` with no `,` before its
//!   `}` is an error; `{` and `,` are literal inside `[...]`;
//! - `.`, `+`, `|`, `(`, `)` are always literal; `^` and `$` are literal
//!   outside `[...]`;
//! - a backslash escapes the next byte; a recognised escape sequence
//!   (`\n`, `\x41`, `\101`, `\d065`, ...) is kept for the regex parser.

use super::PatternError;

/// Nesting depth of `{` at which upstream gives up (it rejects the 50th
/// level).
pub const UPSTREAM_MAX_ALTERNATION_DEPTH: usize = 50;

/// Rewrites one glob into the upstream regex dialect.
pub fn glob_to_regex(glob: &[u8], max_depth: usize) -> Result<Vec<u8>, PatternError> {
    Ok(rewrite(glob, max_depth)?.regex)
}

/// A rewritten glob, with where each regex byte came from.
pub struct Rewritten {
    pub regex: Vec<u8>,
    /// `origin[i]` is the offset in the glob of the item that produced
    /// `regex[i]` (a `{`, `,` or `}` for the group operators).
    pub origin: Vec<usize>,
}

/// Rewrites one glob, keeping the origin of each regex byte.
pub fn rewrite(glob: &[u8], max_depth: usize) -> Result<Rewritten, PatternError> {
    let mut rewriter = Rewriter {
        glob,
        out: Vec::with_capacity(glob.len() * 2),
        origin: Vec::with_capacity(glob.len() * 2),
        group_items: vec![0],
        in_class: false,
        max_depth: max_depth.min(UPSTREAM_MAX_ALTERNATION_DEPTH - 1),
    };
    rewriter.run()?;
    Ok(Rewritten {
        regex: rewriter.out,
        origin: rewriter.origin,
    })
}

struct Rewriter<'g> {
    glob: &'g [u8],
    out: Vec<u8>,
    origin: Vec<usize>,
    /// For each open `{` (index 0 is the top level), how many `,` it holds.
    group_items: Vec<usize>,
    in_class: bool,
    max_depth: usize,
}

/// Bytes other than `/` and NUL: the upstream text of a single path byte.
const ONE_PATH_BYTE: &[u8] = b"[^/\\x00]";

impl Rewriter<'_> {
    fn run(&mut self) -> Result<(), PatternError> {
        let mut pos = 0;
        while pos < self.glob.len() {
            let start = pos;
            pos = if self.glob[pos] == b'\\' {
                self.escaped(pos + 1)?
            } else {
                self.plain(pos)?
            };
            self.origin.resize(self.out.len(), start);
        }
        if self.group_items.len() > 1 || self.in_class {
            return Err(PatternError::Unclosed);
        }
        Ok(())
    }

    /// Handles the byte after a backslash; returns the next position.
    fn escaped(&mut self, pos: usize) -> Result<usize, PatternError> {
        let Some(&byte) = self.glob.get(pos) else {
            return Err(PatternError::TrailingBackslash);
        };
        match byte {
            b'\\' => self.out.extend_from_slice(b"\\\\"),
            b'*' | b'[' | b']' | b'{' | b'}' => self.out.extend_from_slice(&[b'\\', byte]),
            b'?' => self.out.push(b'?'),
            b',' if self.in_class => self.out.extend_from_slice(b"\\,"),
            b',' => self.out.push(b','),
            b'^' | b'$' => self.caret_or_dollar(byte),
            b'.' | b'+' | b'|' | b'(' | b')' => self.out.extend_from_slice(&[b'\\', byte]),
            _ => return Ok(self.escape_sequence(pos)),
        }
        Ok(pos + 1)
    }

    /// A backslash before an ordinary byte: a known escape sequence is kept
    /// whole, anything else loses its backslash.
    fn escape_sequence(&mut self, pos: usize) -> usize {
        match escape_sequence_len(&self.glob[pos..]) {
            Some(len) => {
                self.out.push(b'\\');
                self.out.extend_from_slice(&self.glob[pos..pos + len]);
                pos + len
            }
            None => {
                self.out.push(self.glob[pos]);
                pos + 1
            }
        }
    }

    fn caret_or_dollar(&mut self, byte: u8) {
        if !self.in_class {
            self.out.push(b'\\');
        }
        self.out.push(byte);
    }

    /// Handles an unescaped byte; returns the next position.
    fn plain(&mut self, pos: usize) -> Result<usize, PatternError> {
        let byte = self.glob[pos];
        match byte {
            b'*' => return Ok(self.star(pos)),
            b'?' => self.out.extend_from_slice(ONE_PATH_BYTE),
            b'[' => {
                self.in_class = true;
                self.out.push(b'[');
            }
            b']' => {
                if !self.in_class {
                    return Err(PatternError::UnopenedClass);
                }
                self.in_class = false;
                self.out.push(b']');
            }
            b'{' if !self.in_class => self.open_group()?,
            b'}' if !self.in_class => self.close_group()?,
            b',' if !self.in_class && self.group_items.len() > 1 => {
                *self.group_items.last_mut().expect("a group is open") += 1;
                self.out.push(b'|');
            }
            b'^' | b'$' => self.caret_or_dollar(byte),
            b'.' | b'+' | b'|' | b'(' | b')' => self.out.extend_from_slice(&[b'\\', byte]),
            _ => self.out.push(byte),
        }
        Ok(pos + 1)
    }

    /// Rewrites a `*` or `**` at `pos`; returns the next position.
    fn star(&mut self, pos: usize) -> usize {
        if self.out.last() == Some(&b'/') {
            let run_end = pos + self.glob[pos..].iter().take_while(|&&b| b == b'*').count();
            if matches!(self.glob.get(run_end), None | Some(b'/')) {
                self.out.extend_from_slice(ONE_PATH_BYTE);
            }
        }
        if self.glob.get(pos + 1) == Some(&b'*') {
            self.out.extend_from_slice(b"[^\\x00]*");
            pos + 2
        } else {
            self.out.extend_from_slice(b"[^/\\x00]*");
            pos + 1
        }
    }

    fn open_group(&mut self) -> Result<(), PatternError> {
        // Upstream counts levels from 1 and fails when reaching its limit.
        if self.group_items.len() > self.max_depth {
            return Err(PatternError::TooDeep {
                limit: self.max_depth,
            });
        }
        self.group_items.push(0);
        self.out.push(b'(');
        Ok(())
    }

    fn close_group(&mut self) -> Result<(), PatternError> {
        if self.group_items.len() == 1 {
            return Err(PatternError::UnopenedGroup);
        }
        if self.group_items.pop() == Some(0) {
            return Err(PatternError::SingleAlternative);
        }
        self.out.push(b')');
        Ok(())
    }
}

/// The length of the escape sequence starting at `text[0]` (the byte after
/// the backslash) when upstream recognises it, `None` otherwise.
///
/// Recognised: up to three octal digits (value at most 255), `\d` with up
/// to three decimal digits, `\x` with up to two hex digits, and the letters
/// `a e f n r t`, backslash and double quote.
pub fn escape_sequence_len(text: &[u8]) -> Option<usize> {
    let first = *text.first()?;
    if (b'0'..=b'7').contains(&first) {
        return Some(number_len(text, 8, 3));
    }
    match first {
        b'd' => Some(1 + number_len(&text[1..], 10, 3)).filter(|&len| len > 1),
        b'x' => Some(1 + number_len(&text[1..], 16, 2)).filter(|&len| len > 1),
        b'a' | b'e' | b'f' | b'n' | b'r' | b't' | b'\\' | b'"' => Some(1),
        _ => None,
    }
}

/// How many leading digits of `text` in `radix` upstream consumes: at most
/// `max_digits`, and never past the value 255.
fn number_len(text: &[u8], radix: u32, max_digits: usize) -> usize {
    let mut value = 0u32;
    let mut len = 0;
    for &byte in text.iter().take(max_digits) {
        let Some(digit) = (byte as char).to_digit(radix) else {
            break;
        };
        if value * radix + digit > 255 {
            break;
        }
        value = value * radix + digit;
        len += 1;
    }
    len
}

/// The value of the escape sequence starting at `text[0]`, with its length.
pub fn escape_sequence_value(text: &[u8]) -> Option<(u8, usize)> {
    let len = escape_sequence_len(text)?;
    let digits = |from: usize, radix: u32| {
        let digits = std::str::from_utf8(&text[from..len]).ok()?;
        u8::from_str_radix(digits, radix).ok()
    };
    let value = match text[0] {
        b'0'..=b'7' => digits(0, 8)?,
        b'd' => digits(1, 10)?,
        b'x' => digits(1, 16)?,
        b'a' => 0x07,
        b'e' => 0x1b,
        b'f' => 0x0c,
        b'n' => b'\n',
        b'r' => b'\r',
        b't' => b'\t',
        other => other,
    };
    Some((value, len))
}

/// Collapses runs of `/` to one, except a leading `//` followed by a byte
/// other than `/` (a distinct namespace to Linux). A trailing `/` is kept:
/// it is what makes a rule apply to a directory.
pub fn collapse_slashes(pattern: &[u8]) -> Vec<u8> {
    collapse_slashes_with_origin(pattern).0
}

/// [`collapse_slashes`], with the offset in `pattern` of each kept byte.
pub fn collapse_slashes_with_origin(pattern: &[u8]) -> (Vec<u8>, Vec<usize>) {
    if pattern.len() < 2 {
        return (pattern.to_vec(), (0..pattern.len()).collect());
    }
    let keeps_namespace = pattern.starts_with(b"//") && pattern.get(2) != Some(&b'/');
    let skip = if keeps_namespace { 2 } else { 0 };
    let mut out = pattern[..skip].to_vec();
    let mut origin: Vec<usize> = (0..skip).collect();
    let mut after_slash = false;
    for (offset, &byte) in pattern.iter().enumerate().skip(skip) {
        if byte == b'/' && after_slash {
            continue;
        }
        after_slash = byte == b'/';
        out.push(byte);
        origin.push(offset);
    }
    (out, origin)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rewrites_like_upstream() {
        let cases: &[(&str, &str)] = &[
            ("/foo/**", "/foo/[^/\\x00][^\\x00]*"),
            ("/foo/f**", "/foo/f[^\\x00]*"),
            ("/foo/*", "/foo/[^/\\x00][^/\\x00]*"),
            ("/foo/f*", "/foo/f[^/\\x00]*"),
            ("/foo/**.ext", "/foo/[^\\x00]*\\.ext"),
            ("/foo/*.ext", "/foo/[^/\\x00]*\\.ext"),
            ("/*/x", "/[^/\\x00][^/\\x00]*/x"),
            ("/a/{*,b}", "/a/([^/\\x00]*|b)"),
            ("/a/{b,}", "/a/(b|)"),
            ("/a/[*]", "/a/[[^/\\x00]*]"),
            ("/a/[?]", "/a/[[^/\\x00]]"),
            ("/a/\\*", "/a/\\*"),
            ("/a/\\?", "/a/?"),
            ("/a+b(c)", "/a\\+b\\(c\\)"),
            ("/a^$[^$]", "/a\\^\\$[^$]"),
            ("/a\\x41\\q", "/a\\x41q"),
            ("/a[{,}]", "/a[{,}]"),
            ("/a[\\,]", "/a[\\,]"),
        ];
        for (glob, regex) in cases {
            let got = glob_to_regex(glob.as_bytes(), 50).unwrap();
            assert_eq!(String::from_utf8_lossy(&got), *regex, "glob {glob}");
        }
    }

    #[test]
    fn rejects_like_upstream() {
        let cases: &[(&str, PatternError)] = &[
            ("/a/{b}", PatternError::SingleAlternative),
            ("/a/{}", PatternError::SingleAlternative),
            ("/a/{b,c", PatternError::Unclosed),
            ("/a/[b", PatternError::Unclosed),
            ("/a/b]", PatternError::UnopenedClass),
            ("/a/[]b]", PatternError::UnopenedClass),
            ("/a/b}", PatternError::UnopenedGroup),
            ("/a/b\\", PatternError::TrailingBackslash),
        ];
        for (glob, error) in cases {
            assert_eq!(
                glob_to_regex(glob.as_bytes(), 50),
                Err(error.clone()),
                "{glob}"
            );
        }
    }

    #[test]
    fn limits_alternation_depth() {
        let glob = |depth: usize| format!("/{}x{}", "{a,".repeat(depth), "}".repeat(depth));
        assert!(glob_to_regex(glob(49).as_bytes(), 50).is_ok());
        assert_eq!(
            glob_to_regex(glob(50).as_bytes(), 50),
            Err(PatternError::TooDeep { limit: 49 })
        );
        assert_eq!(
            glob_to_regex(glob(5).as_bytes(), 4),
            Err(PatternError::TooDeep { limit: 4 })
        );
    }

    #[test]
    fn collapses_slashes_like_upstream() {
        let cases = [
            ("/a//b///c", "/a/b/c"),
            ("//a//b", "//a/b"),
            ("///a", "/a"),
            ("/a/", "/a/"),
            ("/", "/"),
            ("//", "//"),
        ];
        for (pattern, expected) in cases {
            let got = collapse_slashes(pattern.as_bytes());
            assert_eq!(String::from_utf8_lossy(&got), expected, "{pattern}");
        }
    }

    #[test]
    fn reads_escape_sequences() {
        let cases: &[(&str, Option<(u8, usize)>)] = &[
            ("x41z", Some((0x41, 3))),
            ("101", Some((0o101, 3))),
            ("400", Some((0o40, 2))),
            ("d065", Some((65, 4))),
            ("d300", Some((30, 3))),
            ("n", Some((b'\n', 1))),
            ("xz", None),
            ("q", None),
        ];
        for (text, expected) in cases {
            assert_eq!(escape_sequence_value(text.as_bytes()), *expected, "{text}");
        }
    }
}
