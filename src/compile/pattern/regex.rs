//! The upstream regex dialect to [`Ir`].
//!
//! This is the language `libapparmor_re` parses after the glob rewrite in
//! [`super::convert`]: concatenation, `|` alternation, `(...)` groups (which
//! may be empty), postfix `*` and `+` (one per term: `a**` is an error),
//! `.`, classes `[...]`, `[^...]`, and backslash escapes. Its quirks are
//! kept on purpose, because they decide what real rules match:
//!
//! - `^`, `-` and `]` outside a class are literal bytes;
//! - in a class, `]` and `-` are literal when first, `^` when not first,
//!   `[^^...]` negates a set that also holds `^`, a range may run
//!   backwards (`[z-a]`), and `[a-]`, `[--]` and `[]` are errors;
//! - a backslash before a byte that is neither special nor an escape
//!   sequence stands for itself, a literal backslash.

use super::convert::escape_sequence_value;
use super::{Ir, PatternError};
use crate::compile::byteset::ByteSet;

/// One lexed unit: a literal byte or an operator.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Token {
    Byte(u8),
    Operator(u8),
}

const OPERATORS: &[u8] = b"*+.|^-[]()";
const ESCAPABLE: &[u8] = b"*+.|^$-[](){}";

#[cfg(test)]
fn lex(regex: &[u8]) -> Vec<Token> {
    lex_with_positions(regex).0
}

/// The tokens and the regex offset each starts at.
fn lex_with_positions(regex: &[u8]) -> (Vec<Token>, Vec<usize>) {
    let mut tokens = Vec::with_capacity(regex.len());
    let mut starts = Vec::with_capacity(regex.len());
    let mut pos = 0;
    while pos < regex.len() {
        let byte = regex[pos];
        pos += 1;
        if byte != b'\\' {
            let is_operator = OPERATORS.contains(&byte);
            tokens.push(if is_operator {
                Token::Operator(byte)
            } else {
                Token::Byte(byte)
            });
            starts.push(pos - 1);
            continue;
        }
        starts.push(pos - 1);
        let rest = &regex[pos..];
        match rest.first() {
            Some(next) if ESCAPABLE.contains(next) => {
                tokens.push(Token::Byte(*next));
                pos += 1;
            }
            _ => match escape_sequence_value(rest) {
                Some((value, len)) => {
                    tokens.push(Token::Byte(value));
                    pos += len;
                }
                // Not an escape: the backslash stands for itself and the
                // next byte is read again on its own.
                None => tokens.push(Token::Byte(b'\\')),
            },
        }
    }
    (tokens, starts)
}

/// Parses a whole regex into IR. The result says whether the regex has a
/// wildcard (a star, plus, `.` or class), which upstream uses to tell exact
/// rules from glob rules.
pub fn parse_regex(regex: &[u8]) -> Result<(Ir, bool), PatternError> {
    let parsed = parse_regex_with_groups(regex)?;
    Ok((parsed.ir, parsed.exact))
}

/// A parsed regex with the groups `(...)` it holds.
pub struct ParsedRegex {
    pub ir: Ir,
    pub exact: bool,
    /// For each [`Ir::Group`] index: the regex offsets of its `(`, each
    /// `|` directly in it, and its `)`.
    pub groups: Vec<Vec<usize>>,
}

/// Parses a whole regex, numbering its groups in the order of their `(`.
pub fn parse_regex_with_groups(regex: &[u8]) -> Result<ParsedRegex, PatternError> {
    let (tokens, starts) = lex_with_positions(regex);
    let mut parser = Parser {
        tokens: &tokens,
        starts: &starts,
        pos: 0,
        has_wildcard: false,
        groups: Vec::new(),
    };
    let (alternatives, _) = parser.alternatives()?;
    if parser.pos != tokens.len() {
        return Err(parser.error());
    }
    Ok(ParsedRegex {
        ir: join_alternatives(alternatives),
        exact: !parser.has_wildcard,
        groups: parser.groups,
    })
}

fn join_alternatives(mut alternatives: Vec<Ir>) -> Ir {
    if alternatives.len() == 1 {
        alternatives.pop().expect("one alternative")
    } else {
        Ir::Alternation(alternatives)
    }
}

struct Parser<'t> {
    tokens: &'t [Token],
    /// The regex offset of each token.
    starts: &'t [usize],
    pos: usize,
    has_wildcard: bool,
    groups: Vec<Vec<usize>>,
}

impl Parser<'_> {
    fn peek(&self) -> Option<Token> {
        self.tokens.get(self.pos).copied()
    }

    fn eat(&mut self, operator: u8) -> bool {
        let found = self.peek() == Some(Token::Operator(operator));
        self.pos += found as usize;
        found
    }

    fn error(&self) -> PatternError {
        PatternError::Regex { token: self.pos }
    }

    /// `regex: empty | expr`, where an `expr` may start with `|`: the
    /// alternatives, and the token index of each `|` between them.
    fn alternatives(&mut self) -> Result<(Vec<Ir>, Vec<usize>), PatternError> {
        let mut alternatives = vec![self.terms()?];
        let mut bars = Vec::new();
        while self.peek() == Some(Token::Operator(b'|')) {
            bars.push(self.pos);
            self.pos += 1;
            alternatives.push(self.terms()?);
        }
        Ok((alternatives, bars))
    }

    /// Zero or more quantified terms; empty gives [`Ir::Empty`].
    fn terms(&mut self) -> Result<Ir, PatternError> {
        let mut items = Vec::new();
        while self.starts_term() {
            items.push(self.quantified_term()?);
        }
        Ok(match items.len() {
            0 => Ir::Empty,
            1 => items.pop().expect("one item"),
            _ => Ir::Concat(items),
        })
    }

    fn starts_term(&self) -> bool {
        match self.peek() {
            Some(Token::Byte(_)) => true,
            Some(Token::Operator(op)) => b".^-][(".contains(&op),
            None => false,
        }
    }

    fn quantified_term(&mut self) -> Result<Ir, PatternError> {
        let term = self.term()?;
        if self.eat(b'*') {
            self.has_wildcard = true;
            return Ok(Ir::Star(Box::new(term)));
        }
        if self.eat(b'+') {
            self.has_wildcard = true;
            return Ok(Ir::Plus(Box::new(term)));
        }
        Ok(term)
    }

    fn term(&mut self) -> Result<Ir, PatternError> {
        let token = self.peek().ok_or_else(|| self.error())?;
        self.pos += 1;
        match token {
            Token::Byte(byte) => Ok(Ir::Byte(byte)),
            Token::Operator(b'.') => {
                self.has_wildcard = true;
                Ok(Ir::Class(ByteSet::full()))
            }
            Token::Operator(op @ (b'^' | b'-' | b']')) => Ok(Ir::Byte(op)),
            Token::Operator(b'[') => self.class(),
            Token::Operator(b'(') => self.group(self.pos - 1),
            Token::Operator(_) => Err(PatternError::Regex {
                token: self.pos - 1,
            }),
        }
    }

    /// After `(`: the group's alternatives up to `)`.
    fn group(&mut self, open: usize) -> Result<Ir, PatternError> {
        let index = self.groups.len();
        self.groups.push(Vec::new());
        let (alternatives, bars) = self.alternatives()?;
        let close = self.pos;
        if !self.eat(b')') {
            return Err(self.error());
        }
        let tokens = std::iter::once(open)
            .chain(bars)
            .chain(std::iter::once(close));
        self.groups[index] = tokens.map(|token| self.starts[token]).collect();
        Ok(Ir::Group(index, alternatives))
    }

    /// After `[`: a class, its negation, or the `[^^...]` form.
    fn class(&mut self) -> Result<Ir, PatternError> {
        self.has_wildcard = true;
        let negated = self.eat(b'^');
        let mut set = ByteSet::empty();
        if negated && self.eat(b'^') {
            set.insert(b'^');
        } else {
            self.first_class_item(&mut set)?;
        }
        self.class_items(&mut set)?;
        if !self.eat(b']') {
            return Err(self.error());
        }
        Ok(Ir::Class(if negated { set.complement() } else { set }))
    }

    /// The first item of a class, where `]` and `-` are literal.
    fn first_class_item(&mut self, set: &mut ByteSet) -> Result<(), PatternError> {
        let first = match self.peek() {
            Some(Token::Operator(op @ (b']' | b'-'))) => {
                self.pos += 1;
                op
            }
            _ => self.class_byte(false).ok_or_else(|| self.error())?,
        };
        self.range_tail(set, first)
    }

    /// Items after the first: bytes and ranges, up to the closing `]`.
    fn class_items(&mut self, set: &mut ByteSet) -> Result<(), PatternError> {
        while let Some(byte) = self.class_byte(true) {
            self.range_tail(set, byte)?;
        }
        Ok(())
    }

    /// Inserts `low`, or the range `low-high` when a `-` follows.
    fn range_tail(&mut self, set: &mut ByteSet, low: u8) -> Result<(), PatternError> {
        if !self.eat(b'-') {
            set.insert(low);
            return Ok(());
        }
        let high = self.class_byte(true).ok_or_else(|| self.error())?;
        set.insert_range(low.min(high), low.max(high));
        Ok(())
    }

    /// Consumes a byte that may stand in a class at this point: any literal
    /// and the operators `[ * + . | ( )`, and `^` when `caret` is allowed.
    fn class_byte(&mut self, caret: bool) -> Option<u8> {
        let byte = match self.peek()? {
            Token::Byte(byte) => byte,
            Token::Operator(op) if b"[*+.|()".contains(&op) => op,
            Token::Operator(b'^') if caret => b'^',
            Token::Operator(_) => return None,
        };
        self.pos += 1;
        Some(byte)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn class(bytes: &[u8]) -> Ir {
        let mut set = ByteSet::empty();
        bytes.iter().for_each(|&b| set.insert(b));
        Ir::Class(set)
    }

    #[test]
    fn parses_classes_like_upstream() {
        let not = |bytes: &[u8]| match class(bytes) {
            Ir::Class(set) => Ir::Class(set.complement()),
            _ => unreachable!(),
        };
        let cases: Vec<(&str, Ir)> = vec![
            ("[]a]", class(b"]a")),
            ("[-a]", class(b"-a")),
            ("[a^]", class(b"a^")),
            ("[^^a]", not(b"^a")),
            ("[^]a]", not(b"]a")),
            ("[c-a]", class(b"abc")),
            ("[*.|]", class(b"*.|")),
            ("[\\,]", class(b"\\,")),
            ("[\\]]", class(b"]")),
        ];
        for (regex, expected) in cases {
            assert_eq!(
                parse_regex(regex.as_bytes()).unwrap().0,
                expected,
                "{regex}"
            );
        }
    }

    #[test]
    fn rejects_like_upstream() {
        for regex in ["[]", "[a-]", "[--]", "[^]", "a**", "*a", "(a", "a)", "[a"] {
            assert!(parse_regex(regex.as_bytes()).is_err(), "{regex}");
        }
    }

    #[test]
    fn tells_exact_patterns() {
        let cases = [
            ("/a/b", true),
            ("/a/(b|c)", true),
            ("/a/\\*", true),
            ("/a/[b]", false),
            ("/a/b*", false),
            ("/a/.", false),
        ];
        for (regex, exact) in cases {
            assert_eq!(parse_regex(regex.as_bytes()).unwrap().1, exact, "{regex}");
        }
    }

    #[test]
    fn lexes_escapes() {
        let cases: &[(&str, &[Token])] = &[
            ("\\x41", &[Token::Byte(b'A')]),
            ("\\*", &[Token::Byte(b'*')]),
            ("\\q", &[Token::Byte(b'\\'), Token::Byte(b'q')]),
            ("\\\\", &[Token::Byte(b'\\')]),
            (
                "\\xg",
                &[Token::Byte(b'\\'), Token::Byte(b'x'), Token::Byte(b'g')],
            ),
        ];
        for (regex, expected) in cases {
            assert_eq!(lex(regex.as_bytes()), *expected, "{regex}");
        }
    }
}
