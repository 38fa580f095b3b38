//! The tokens of the profile language, read on demand by the parser.
//!
//! AppArmor's own lexer switches modes by context (a word in a network rule
//! stops at `(`, a variable value ends at the end of the line); here the
//! parser asks for the token it can accept next, passing the [`WordMode`].
//! The small lexical pieces are nom parsers over the rest of the text.
//!
//! Invariant: every token method either consumes at least one byte or
//! returns `None`/[`Token::Eof`], so loops over tokens always end.

use nom::IResult;
use nom::Parser;
use nom::bytes::complete::{tag, take_while, take_while1};
use nom::character::complete::{satisfy, space0};
use nom::combinator::recognize;
use nom::sequence::pair;

use crate::source::{FileId, Span};

/// Where a word is read, which decides the characters that end it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WordMode {
    /// A rule or header word: a `,` ends it only when a blank, `,` or the
    /// end of the line follows (so `{a,b}` stays one word).
    Rule,
    /// A value inside `( ... )`: `,`, `(` and `)` always end a word.
    List,
    /// A key inside a `peer=( ... )` group: as `List`, and `=` ends it.
    ListKey,
    /// A word of a rule upstream reads in a lexer mode of its own (mount,
    /// dbus, network, ...): as `Rule`, but `{` starts a word, `,x`
    /// continues any word, and `->x` is a word.
    Keyed,
    /// The value of a condition: as `Rule`, but `{` may start a word and
    /// no `key=` is split off.
    Value,
}

/// One token of a rule.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Token {
    Word(String),
    Quoted(String),
    Comma,
    OpenParen,
    CloseParen,
    OpenBrace,
    CloseBrace,
    Arrow,
    LessEqual,
    /// `=`, `+=`, `?=` or `:=`.
    Assign(String),
    /// A character no rule accepts here, such as `!` or a NUL byte.
    Unexpected(char),
    Eof,
}

/// A cursor over one file's text.
pub struct Lexer<'a> {
    text: &'a str,
    pos: usize,
    file: FileId,
    /// Where the token before the last one read by [`Lexer::token`] ended.
    last_end: usize,
    /// Whether `#` starts a comment. Upstream's lexer knows comments only
    /// between statements and file rule tokens: inside the rules that have
    /// a lexer mode of their own and inside `( ... )` lists, `#` is an
    /// ordinary character of a word.
    comments: bool,
    /// Where a comment ran to the end of the file without a line break,
    /// which upstream's lexer does not read as a comment.
    unterminated_comment: Option<usize>,
}

fn is_blank(c: char) -> bool {
    c == ' ' || c == '\t' || c == '\r'
}

/// Characters that never belong to a bare word (upstream's ID class).
fn ends_word(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\r' | '\n' | '"' | '!' | ',' | '\0')
}

fn identifier(input: &str) -> IResult<&str, &str> {
    recognize(pair(
        satisfy(|c: char| c.is_ascii_alphabetic()),
        take_while(|c: char| c.is_ascii_alphanumeric() || c == '_'),
    ))
    .parse(input)
}

/// A quoted string: `"` up to the next `"` not escaped by a backslash.
fn quoted(input: &str) -> IResult<&str, &str> {
    let (rest, _) = tag("\"").parse(input)?;
    let mut escaped = false;
    for (index, c) in rest.char_indices() {
        match c {
            '\\' if !escaped => escaped = true,
            '"' if !escaped => return Ok((&rest[index + 1..], &rest[..index])),
            _ => escaped = false,
        }
    }
    Err(nom::Err::Error(nom::error::Error::new(
        input,
        nom::error::ErrorKind::Char,
    )))
}

impl<'a> Lexer<'a> {
    pub fn new(file: FileId, text: &'a str) -> Lexer<'a> {
        Lexer {
            text,
            pos: 0,
            file,
            last_end: 0,
            comments: true,
            unterminated_comment: None,
        }
    }

    /// Turns comments on or off; returns the previous setting.
    pub fn set_comments(&mut self, comments: bool) -> bool {
        std::mem::replace(&mut self.comments, comments)
    }

    /// The start of the first comment that ended the file without a
    /// line break.
    pub fn unterminated_comment(&self) -> Option<usize> {
        self.unterminated_comment
    }

    pub fn pos(&self) -> usize {
        self.pos
    }

    /// Where the previous token ended, before the trivia skipped by the
    /// last [`Lexer::token`] call.
    pub fn last_end(&self) -> usize {
        self.last_end
    }

    pub fn set_pos(&mut self, pos: usize) {
        self.pos = pos.min(self.text.len());
    }

    pub fn rest(&self) -> &'a str {
        &self.text[self.pos..]
    }

    /// The source text of `span`, a span of this lexer's file.
    pub fn text_at(&self, span: Span) -> &'a str {
        self.text.get(span.range()).unwrap_or("")
    }

    pub fn span(&self, start: usize, end: usize) -> Span {
        Span::new(self.file, start, end)
    }

    pub fn at_eof(&self) -> bool {
        self.pos >= self.text.len()
    }

    fn advance_to(&mut self, rest: &str) {
        self.pos = self.text.len() - rest.len();
    }

    /// Skips blanks, line breaks and comments (when they are on). A `#`
    /// starts a comment except in `#include`.
    pub fn skip_trivia(&mut self) {
        loop {
            let rest = self.rest();
            let trimmed = rest.trim_start_matches(|c: char| is_blank(c) || c == '\n');
            self.advance_to(trimmed);
            if self.comments && trimmed.starts_with('#') && !self.at_hash_include() {
                if !trimmed.contains('\n') {
                    self.unterminated_comment.get_or_insert(self.pos);
                }
                self.skip_line();
            } else {
                return;
            }
        }
    }

    /// Skips blanks (not line breaks) and `\`-newline continuations.
    pub fn skip_blanks(&mut self) {
        loop {
            let rest = self.rest().trim_start_matches(is_blank);
            self.advance_to(rest);
            if let Some(after) = rest.strip_prefix("\\\n") {
                self.advance_to(after);
            } else {
                return;
            }
        }
    }

    /// Moves past the next line break (or to the end).
    pub fn skip_line(&mut self) {
        match self.rest().find('\n') {
            Some(index) => self.pos += index + 1,
            None => self.pos = self.text.len(),
        }
    }

    /// Whether `#include` starts here as upstream's lexer reads it
    /// (`#include/.*\r?\n`): whatever follows on the line, as long as a
    /// line break ends it. So `#includex` names `x`, a name may follow on
    /// the next line, and `#include` on a last line without a line break
    /// is an unterminated comment.
    pub fn at_hash_include(&self) -> bool {
        let rest = self.rest();
        rest.starts_with("#include") && rest[8..].contains('\n')
    }

    pub fn peek_char(&self) -> Option<char> {
        self.rest().chars().next()
    }

    /// Consumes `text` if the rest starts with it.
    pub fn eat(&mut self, text: &str) -> bool {
        if self.rest().starts_with(text) {
            self.pos += text.len();
            true
        } else {
            false
        }
    }

    /// The identifier at the cursor, if one starts here (not consumed).
    pub fn peek_identifier(&self) -> Option<&'a str> {
        identifier(self.rest()).ok().map(|(_, id)| id)
    }

    /// Consumes a keyword if it is a whole identifier at the cursor.
    pub fn eat_keyword(&mut self, keyword: &str) -> bool {
        if self.peek_identifier() == Some(keyword) {
            self.pos += keyword.len();
            true
        } else {
            false
        }
    }

    /// True when an identifier at the cursor is followed by blanks and `=`
    /// (even `==`: the value then starts with `=`), which makes it the key
    /// of a `key=value` condition.
    pub fn at_key(&self) -> bool {
        let Ok((rest, _)) = identifier(self.rest()) else {
            return false;
        };
        let Ok((rest, _)) = space0::<&str, nom::error::Error<&str>>(rest) else {
            return false;
        };
        rest.starts_with('=') || rest.starts_with(":=")
    }

    /// Reads the next token of a rule after skipping trivia.
    pub fn token(&mut self, mode: WordMode) -> (Token, Span) {
        self.last_end = self.pos;
        self.skip_trivia();
        let start = self.pos;
        let token = self.token_here(mode);
        (token, self.span(start, self.pos))
    }

    fn token_here(&mut self, mode: WordMode) -> Token {
        let Some(c) = self.peek_char() else {
            return Token::Eof;
        };
        if mode == WordMode::Value
            && (!matches!(c, '"' | ',' | '!' | '\0' | '\n') || self.comma_word())
        {
            // A value is one word whatever its first character, even a
            // `,` that a word character follows (`fstype=,x`).
            return Token::Word(self.word(mode));
        }
        if mode == WordMode::Keyed && self.glued_arrow() {
            return Token::Word(self.word(mode));
        }
        for (text, token) in [
            ("->", Token::Arrow),
            ("<=", Token::LessEqual),
            ("+=", Token::Assign("+=".into())),
            ("?=", Token::Assign("?=".into())),
            (":=", Token::Assign(":=".into())),
        ] {
            if self.eat(text) {
                return token;
            }
        }
        let single = match c {
            ',' => Some(Token::Comma),
            '(' => Some(Token::OpenParen),
            ')' => Some(Token::CloseParen),
            '{' if matches!(mode, WordMode::Rule) => Some(Token::OpenBrace),
            '}' => Some(Token::CloseBrace),
            '=' => Some(Token::Assign("=".into())),
            '!' | '\0' => Some(Token::Unexpected(c)),
            _ => None,
        };
        if let Some(token) = single {
            self.pos += c.len_utf8();
            return token;
        }
        if c == '"' {
            return self.quoted_token();
        }
        Token::Word(self.word(mode))
    }

    fn quoted_token(&mut self) -> Token {
        match quoted(self.rest()) {
            Ok((rest, content)) => {
                self.advance_to(rest);
                Token::Quoted(content.to_string())
            }
            Err(_) => {
                self.pos += 1;
                Token::Unexpected('"')
            }
        }
    }

    /// `,` followed by a word character, which starts a word in upstream's
    /// values.
    fn comma_word(&self) -> bool {
        let rest = self.rest();
        rest.starts_with(',') && rest[1..].starts_with(|c: char| !ends_word(c))
    }

    /// `->` followed by a character that continues a word: upstream's
    /// longest match reads `->/mnt` in a mount rule as one word.
    fn glued_arrow(&self) -> bool {
        let rest = self.rest();
        rest.starts_with("->")
            && rest[2..].starts_with(|c: char| {
                !matches!(c, ' ' | '\t' | '\r' | '\n' | '"' | '!' | ',' | '=' | ')')
            })
    }

    /// Reads a bare word. A key (`name` before `=`) stops at the `=`.
    fn word(&mut self, mode: WordMode) -> String {
        let rule_like = matches!(mode, WordMode::Rule | WordMode::Keyed);
        if rule_like && self.at_key() {
            let id = self.peek_identifier().unwrap_or_default();
            self.pos += id.len();
            return id.to_string();
        }
        let start = self.pos;
        let bytes = self.text.as_bytes();
        if rule_like {
            self.colon_start();
        }
        while let Some(c) = self.peek_char() {
            let in_list = matches!(mode, WordMode::List | WordMode::ListKey);
            if c == '\\' {
                // Upstream's escapes keep a blank, `"`, `!` or `,` (in
                // lists also a parenthesis) in the word; any other
                // backslash is a character of its own.
                // In a rule of its own mode only a path or label has them.
                let escapes: &[u8] = match mode {
                    WordMode::List | WordMode::ListKey => b" \t\"!,()",
                    WordMode::Keyed if !self.text[start..].starts_with(['/', '@', ':', '&']) => b"",
                    _ => b" \t\"!,",
                };
                let next = bytes.get(self.pos + 1);
                self.pos += if next.is_some_and(|b| escapes.contains(b)) {
                    2
                } else {
                    1
                };
                continue;
            }
            if in_list && matches!(c, '(' | ')' | ',') {
                break;
            }
            if mode == WordMode::ListKey && (c == '=' || self.rest().starts_with(":=")) {
                break;
            }
            if c == ',' && !in_list {
                // `,x` continues a word, even `,#`; in file rules only a
                // path or label takes commas (upstream reads other words
                // there as identifiers or permissions: `r,all,` is two
                // rules).
                let label = self.text[start..].starts_with(['/', '@', ':', '&']);
                let continues = mode != WordMode::Rule || label;
                // The `,` and the character after it are one unit of the
                // word, so a `\\` there is no escape (`{a,\\,,b}` ends before
                // its second comma).
                let next = self.text[self.pos + 1..].chars().next();
                if continues && let Some(next) = next.filter(|n| !ends_word(*n)) {
                    self.pos += 1 + next.len_utf8();
                    continue;
                }
                break;
            }
            if ends_word(c) {
                break;
            }
            self.pos += c.len_utf8();
        }
        if self.pos == start {
            // A lone character that cannot start a word: consume it so the
            // caller makes progress.
            self.pos += self.peek_char().map_or(0, char::len_utf8);
        }
        self.text[start..self.pos].to_string()
    }

    /// Reads the value right after `key=` inside a group, as upstream's
    /// `LIST_COND_VAL` mode: a quoted string or a word of any characters
    /// but blanks, `"`, `!`, `,`, `(` and `)` (so it may start with `=`).
    pub fn group_value(&mut self) -> Option<(Token, Span)> {
        let start = self.pos;
        let c = self.peek_char()?;
        if c == '"' {
            let token = self.quoted_token();
            return Some((token, self.span(start, self.pos)));
        }
        if matches!(c, ' ' | '\t' | '\r' | '\n' | '!' | ',' | '(' | ')') {
            return None;
        }
        let text = self.word(WordMode::List);
        Some((Token::Word(text), self.span(start, self.pos)))
    }

    /// Reads the word after `->` as upstream's `SUB_ID_WS` mode does:
    /// blanks and line breaks are skipped (comments are not: `#` is part of
    /// a word there), then a quoted string or a run of any characters but
    /// blanks, `"`, `!` and a `,` that ends the word. `None` when no word
    /// starts here.
    pub fn target_word(&mut self) -> Option<(Token, Span)> {
        let rest = self.rest();
        let skipped = rest.trim_start_matches(|c: char| is_blank(c) || c == '\n');
        self.advance_to(skipped);
        let start = self.pos;
        if skipped.starts_with('"') {
            let token = self.quoted_token();
            return Some((token, self.span(start, self.pos)));
        }
        let bytes = skipped.as_bytes();
        let id_char = |b: u8| !matches!(b, b' ' | b'\t' | b'\r' | b'\n' | b'"' | b'!' | b',');
        let mut index = 0;
        while index < bytes.len() {
            let b = bytes[index];
            let next = bytes.get(index + 1).copied();
            let escaped = b == b'\\' && next.is_some_and(|n| b" \t\"!,#".contains(&n));
            if escaped || (b == b',' && next.is_some_and(id_char)) {
                index += 2;
            } else if id_char(b) {
                index += 1;
            } else {
                break;
            }
        }
        // Step back to a character boundary (bytes above 0x7f are word
        // characters, so a cut can only fall inside one at the very end).
        while !skipped.is_char_boundary(index) {
            index += 1;
        }
        if index == 0 {
            return None;
        }
        self.pos += index;
        let text = skipped[..index].to_string();
        Some((Token::Word(text), self.span(start, self.pos)))
    }

    /// Upstream's `LABEL` lets a word start with `:` and any character but
    /// `=`, even a blank or a `,` (`: r` is one word, so `: r,` is a rule
    /// without permissions); this consumes those two characters.
    fn colon_start(&mut self) {
        let mut chars = self.rest().chars();
        if chars.next() == Some(':')
            && let Some(next) = chars.next()
            && next != '='
        {
            self.pos += 1 + next.len_utf8();
        }
    }

    /// Reads the file name of an include or abi directive: `<name>`,
    /// `<"name">`, `"name"` or a bare name. Returns (name, magic).
    pub fn include_name(&mut self) -> Option<(String, bool, Span)> {
        // Upstream's include and abi modes skip line breaks too (but read
        // `#` as part of a name, not as a comment).
        let rest = self.rest();
        self.advance_to(rest.trim_start_matches(|c: char| is_blank(c) || c == '\n'));
        let start = self.pos;
        let rest = self.rest();
        let (name, magic, rest) = if let Some(inner) = rest.strip_prefix('<') {
            let (name, after) = if inner.starts_with('"') {
                let (after, name) = quoted(inner).ok()?;
                (name, after)
            } else {
                let end = inner.find(['>', '\n', '\t', '\r', '"'])?;
                (&inner[..end], &inner[end..])
            };
            (name.trim(), true, after.strip_prefix('>')?)
        } else if rest.starts_with('"') {
            let (after, name) = quoted(rest).ok()?;
            (name.trim(), false, after)
        } else {
            let (after, name) = take_while1::<_, &str, nom::error::Error<&str>>(|c: char| {
                !ends_word(c) && c != '<' && c != '>'
            })
            .parse(rest)
            .ok()?;
            (name, false, after)
        };
        self.advance_to(rest);
        Some((name.to_string(), magic, self.span(start, self.pos)))
    }
}

/// True for a word made only of permission letters as upstream's lexer
/// reads them (`rw`, `ix`, `Pix`, `PUx`, ...).
pub fn is_mode_word(text: &str) -> bool {
    // `all` is the `all` rule's keyword to upstream's lexer, never `a`
    // and two `l`s.
    if text == "all" {
        return false;
    }
    let bytes = text.as_bytes();
    let mut index = 0;
    while index < bytes.len() {
        let len = mode_char_len(&bytes[index..]);
        if len == 0 {
            return false;
        }
        index += len;
    }
    !bytes.is_empty()
}

/// Length of one upstream MODE_CHARS unit at the start of `bytes`, or 0.
fn mode_char_len(bytes: &[u8]) -> usize {
    let is_x = |b: Option<&u8>| matches!(b, Some(b'x' | b'X'));
    let first = bytes[0];
    if matches!(first, b'P' | b'p' | b'C' | b'c') {
        if is_x(bytes.get(1)) {
            return 2;
        }
        if matches!(bytes.get(1), Some(b'I' | b'i' | b'U' | b'u')) && is_x(bytes.get(2)) {
            return 3;
        }
        return 0;
    }
    if matches!(first, b'I' | b'i' | b'U' | b'u') {
        return if is_x(bytes.get(1)) { 2 } else { 0 };
    }
    usize::from(b"RrWwaLlMmkXx".contains(&first))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tokens(text: &str, mode: WordMode) -> Vec<Token> {
        let mut lexer = Lexer::new(FileId(0), text);
        let mut out = Vec::new();
        loop {
            let (token, _) = lexer.token(mode);
            if token == Token::Eof {
                return out;
            }
            out.push(token);
        }
    }

    fn word(text: &str) -> Token {
        Token::Word(text.to_string())
    }

    #[test]
    fn rule_words_keep_commas_inside_alternations() {
        let cases: [(&str, Vec<Token>); 6] = [
            (
                "/a/{b,c} r,",
                vec![word("/a/{b,c}"), word("r"), Token::Comma],
            ),
            ("/a r, # c\n", vec![word("/a"), word("r"), Token::Comma]),
            (
                "peer = x",
                vec![word("peer"), Token::Assign("=".into()), word("x")],
            ),
            (
                "/a\\ b -> \"q #\"",
                vec![word("/a\\ b"), Token::Arrow, Token::Quoted("q #".into())],
            ),
            ("/a#b", vec![word("/a#b")]),
            (
                "/a{,#b} r,#c",
                vec![word("/a{,#b}"), word("r"), Token::Comma],
            ),
        ];
        for (text, expected) in cases {
            assert_eq!(tokens(text, WordMode::Rule), expected, "{text}");
        }
    }

    #[test]
    fn list_words_end_at_commas_and_parens() {
        let expected = vec![
            word("send"),
            Token::Comma,
            word("receive"),
            Token::CloseParen,
        ];
        assert_eq!(tokens("send,receive)", WordMode::List), expected);
    }

    #[test]
    fn mode_words_follow_upstream() {
        let cases = [
            ("rw", true),
            ("Pix", true),
            ("PUx", true),
            ("cux", true),
            ("ix", true),
            ("rwlkm", true),
            ("i", false),
            ("all", false),
            ("file", false),
            ("px2", false),
        ];
        for (text, expected) in cases {
            assert_eq!(is_mode_word(text), expected, "{text}");
        }
    }

    #[test]
    fn include_names_in_all_forms() {
        let cases = [
            (" <abstractions/base>", "abstractions/base", true),
            (" <\"a b\">", "a b", true),
            (" \"rel/x\"", "rel/x", false),
            (" bare/x\n", "bare/x", false),
        ];
        for (text, name, magic) in cases {
            let mut lexer = Lexer::new(FileId(0), text);
            let (got, got_magic, _) = lexer.include_name().unwrap();
            assert_eq!((got.as_str(), got_magic), (name, magic), "{text}");
        }
    }
}
