//! The recursive-descent grammar of profile files, over [`Lexer`] tokens.
//!
//! The parser recovers from every error: it records a diagnostic, skips to
//! the end of the rule (the next `,`, the end of the line or a `}`), and goes
//! on. Nesting of blocks and of expressions is bounded by [`MAX_DEPTH`], and
//! the number of errors per file by [`MAX_ERRORS`], so hostile input costs
//! linear time and bounded stack.

use super::ast::*;
use super::lexer::{Lexer, Token, WordMode, is_mode_word};
use super::{codes, suggest, syntax_error};
use crate::diagnostic::Diagnostic;
use crate::model::{Decision, OwnerQualifier};
use crate::source::{FileId, Span};

/// The deepest nesting of blocks or parenthesised expressions accepted.
pub const MAX_DEPTH: usize = 256;

/// After this many errors in one file the parser stops reading it.
pub const MAX_ERRORS: usize = 200;

/// Keywords that start a rule; an identifier here is never a path.
const RULE_KEYWORDS: [&str; 18] = [
    "capability",
    "network",
    "unix",
    "signal",
    "ptrace",
    "dbus",
    "mount",
    "remount",
    "umount",
    "unmount",
    "pivot_root",
    "userns",
    "mqueue",
    "io_uring",
    "change_profile",
    "link",
    "file",
    "set",
];

/// Words that may start a statement other than a file rule, offered as
/// suggestions for a misspelt rule keyword.
const STATEMENT_KEYWORDS: [&str; 15] = [
    "all", "profile", "hat", "include", "abi", "alias", "audit", "allow", "deny", "owner", "other",
    "priority", "if", "safe", "unsafe",
];

/// The rule prefix words, which belong before the rule's path.
const PREFIX_KEYWORDS: [&str; 6] = ["audit", "allow", "deny", "prompt", "owner", "other"];

pub struct Parser<'a> {
    lexer: Lexer<'a>,
    file: FileId,
    pub diagnostics: Vec<Diagnostic>,
    errors: usize,
    stopped: bool,
    /// The keyword of the last rule read, to explain a following mistake
    /// (`capability chown, setuid,`).
    last_rule: Option<&'static str>,
    /// The first block whose `}` is indented less than the line of its
    /// `{`: when a `}` is missing, most likely the one it lacks.
    misindented_block: Option<Span>,
}

impl<'a> Parser<'a> {
    pub fn new(file: FileId, text: &'a str) -> Parser<'a> {
        Parser {
            lexer: Lexer::new(file, text),
            file,
            diagnostics: Vec::new(),
            errors: 0,
            stopped: false,
            last_rule: None,
            misindented_block: None,
        }
    }

    pub fn parse_file(mut self) -> (File, Vec<Diagnostic>) {
        let items = self.items(0, None);
        if let Some(start) = self.lexer.unterminated_comment() {
            self.unterminated_comment(start);
        }
        (File { items }, self.diagnostics)
    }

    /// A comment on the last line with no line break after it: upstream's
    /// lexer reads a comment only up to a line break, so it rejects this.
    fn unterminated_comment(&mut self, start: usize) {
        let end = self.lexer.pos();
        let span = Span::new(self.file, start, end.max(start));
        let message = "comment at the end of the file without a line break";
        let help = "end the file with a line break".to_string();
        self.syntax_help(span, message, "no line break after this comment", help);
    }

    fn span(&self, start: usize) -> Span {
        Span::new(self.file, start, self.lexer.pos().max(start))
    }

    fn here(&self) -> Span {
        let pos = self.lexer.pos();
        let end = pos + self.lexer.peek_char().map_or(0, char::len_utf8);
        Span::new(self.file, pos, end)
    }

    fn error(&mut self, diagnostic: Diagnostic) {
        if self.stopped {
            return;
        }
        self.errors += 1;
        self.diagnostics.push(diagnostic);
        if self.errors >= MAX_ERRORS {
            self.stopped = true;
            let note = format!("the parser stops after {MAX_ERRORS} errors in one file");
            self.diagnostics.push(
                Diagnostic::error(codes::TOO_MANY_ERRORS, "too-many-errors", note)
                    .with_primary(self.here(), "stopped here"),
            );
        }
    }

    fn syntax(&mut self, span: Span, message: impl Into<String>, label: &str) {
        self.error(syntax_error(span, message, label));
    }

    fn syntax_help(&mut self, span: Span, message: impl Into<String>, label: &str, help: String) {
        self.error(syntax_error(span, message, label).with_help(help));
    }

    /// Skips to the end of the current rule: past the next `,`, or to the
    /// next line break, `{`-block end or `}` (not consumed).
    fn recover(&mut self) {
        loop {
            self.lexer.skip_blanks();
            match self.lexer.peek_char() {
                None | Some('}') => return,
                Some('\n') | Some(',') => {
                    self.lexer.eat(if self.lexer.rest().starts_with(',') {
                        ","
                    } else {
                        "\n"
                    });
                    return;
                }
                Some('#') if !self.lexer.at_hash_include() => return self.lexer.skip_line(),
                _ => {
                    let (token, _) = self.lexer.token(WordMode::Rule);
                    if token == Token::OpenBrace {
                        // Keep braces balanced: read and drop the block.
                        self.items(MAX_DEPTH, Some(self.here()));
                        return;
                    }
                }
            }
        }
    }

    /// Reads items up to the `}` closing a block opened at `open`, or to the
    /// end of the file when `open` is `None`.
    fn items(&mut self, depth: usize, open: Option<Span>) -> Vec<Item> {
        let mut items = Vec::new();
        loop {
            self.lexer.skip_trivia();
            if self.stopped {
                self.lexer.set_pos(usize::MAX);
                return items;
            }
            match (self.lexer.peek_char(), open) {
                (None, None) => return items,
                (None, Some(open)) => {
                    self.unclosed_block(open);
                    return items;
                }
                (Some('}'), Some(open)) => {
                    self.note_indentation(open);
                    self.lexer.eat("}");
                    return items;
                }
                (Some('}'), None) => {
                    let span = self.here();
                    let help = "remove this `}`, or look for a block closed twice above".into();
                    self.syntax_help(span, "unmatched `}`", "no block to close", help);
                    self.lexer.eat("}");
                }
                _ => {
                    if let Some(item) = self.item(depth) {
                        items.push(item);
                    }
                }
            }
        }
    }

    fn unclosed_block(&mut self, open: Span) {
        let eof = self.here();
        let mut diagnostic = syntax_error(
            eof,
            "unexpected end of file: unclosed `{`",
            "file ends here",
        )
        .with_secondary(open, "block opened here")
        .with_help("add the missing `}`");
        if let Some(suspect) = self.misindented_block.filter(|suspect| *suspect != open) {
            let label = "this block's `}` is indented less than its start";
            diagnostic = diagnostic.with_secondary(suspect, label);
        }
        self.error(diagnostic);
    }

    /// Remembers the block opened at `open` if the `}` at the cursor is
    /// indented less than the line of the `{`.
    fn note_indentation(&mut self, open: Span) {
        if self.misindented_block.is_some() {
            return;
        }
        let text = self
            .lexer
            .text_at(Span::new(self.file, 0, self.lexer.pos()));
        let close_indent = indentation(text, self.lexer.pos());
        let open_indent = indentation(text, open.start as usize);
        if close_indent.is_some_and(|close| open_indent.is_some_and(|open| close < open)) {
            self.misindented_block = Some(open);
        }
    }

    /// The block body after `{` (already consumed at `open`).
    fn block(&mut self, depth: usize, open: Span) -> Vec<Item> {
        if depth + 1 >= MAX_DEPTH {
            let message = format!("blocks nested deeper than {MAX_DEPTH} levels");
            self.error(
                Diagnostic::error(codes::TOO_DEEP, "nesting-too-deep", message)
                    .with_primary(open, "this block is too deep"),
            );
            self.skip_balanced();
            return Vec::new();
        }
        self.items(depth + 1, Some(open))
    }

    /// Skips to the `}` matching an already consumed `{` without recursion.
    fn skip_balanced(&mut self) {
        let mut level = 1usize;
        while level > 0 {
            let (token, _) = self.lexer.token(WordMode::Rule);
            match token {
                Token::OpenBrace => level += 1,
                Token::CloseBrace => level -= 1,
                Token::Eof => return,
                _ => {}
            }
        }
    }

    fn item(&mut self, depth: usize) -> Option<Item> {
        let start = self.lexer.pos();
        if self.lexer.at_hash_include() || self.at_word_keyword("include") {
            return self.include(start);
        }
        match self.lexer.peek_char() {
            Some('@') if self.at_assignment() => return self.variable(start),
            Some('$') => return self.boolean(start),
            Some('^') => {
                self.lexer.eat("^");
                return self.profile(start, ProfileKeyword::Hat, Prefix::default(), depth);
            }
            _ => {}
        }
        match self.keyword_here() {
            Some("abi") => return self.abi(start),
            // `rewrite` is upstream's old spelling of `alias`.
            Some(keyword @ ("alias" | "rewrite")) => return self.alias(start, keyword),
            Some("if") => return self.conditional(start, depth),
            Some("profile") => {
                self.lexer.eat_keyword("profile");
                return self.profile(start, ProfileKeyword::Profile, Prefix::default(), depth);
            }
            Some("hat") => {
                self.lexer.eat_keyword("hat");
                return self.profile(start, ProfileKeyword::Hat, Prefix::default(), depth);
            }
            _ => {}
        }
        let prefix = self.prefix();
        self.lexer.skip_trivia();
        if self.lexer.peek_char() == Some('{') {
            let open = self.here();
            self.lexer.eat("{");
            let items = self.block(depth, open);
            let span = self.span(start);
            return Some(Item::PrefixBlock(PrefixBlock {
                span,
                prefix,
                items,
            }));
        }
        self.rule(start, prefix, depth)
    }

    /// The identifier at the cursor, a keyword candidate such as `network`
    /// in `network inet,`.
    fn keyword_here(&self) -> Option<&'a str> {
        // Upstream's lexer reads the longest identifier here whatever
        // follows, so `owner@{HOME}/x r,` is `owner` and a path.
        self.lexer.peek_identifier()
    }

    fn at_word_keyword(&self, keyword: &str) -> bool {
        let rest = self.lexer.rest();
        rest.starts_with(keyword) && rest[keyword.len()..].starts_with([' ', '\t'])
    }

    fn include(&mut self, start: usize) -> Option<Item> {
        if !self.lexer.eat("#include") {
            self.lexer.eat("include");
        }
        let if_exists = self.include_if_exists();
        self.lexer.skip_blanks();
        let Some((name, magic, name_span)) = self.lexer.include_name() else {
            let span = self.here();
            if self.lexer.rest().starts_with('<') {
                let message = "unterminated include name";
                let help = "add the closing `>` on the same line".to_string();
                self.syntax_help(span, message, "name starts here", help);
            } else {
                let message = "expected a file name after `include`";
                self.syntax(span, message, "expected `<name>`");
            }
            self.recover();
            return None;
        };
        let path = Word {
            text: name,
            quoted: !magic,
            span: name_span,
        };
        Some(Item::Include(Include {
            span: self.span(start),
            path,
            magic,
            if_exists,
        }))
    }

    /// Eats ` if exists` after `include` where upstream's lexer reads it
    /// (`include{WS}+if{WS}+exists/{WS}`): blanks before and between the
    /// words and a blank after them, all on one line. Anywhere else `if`
    /// is the file's name.
    fn include_if_exists(&mut self) -> bool {
        let is_blank = |c: char| c == ' ' || c == '\t';
        let rest = self.lexer.rest();
        let after_blanks = |text: &'a str| {
            let trimmed = text.trim_start_matches(is_blank);
            (trimmed.len() < text.len()).then_some(trimmed)
        };
        let found = after_blanks(rest)
            .and_then(|text| text.strip_prefix("if"))
            .and_then(after_blanks)
            .and_then(|text| text.strip_prefix("exists"))
            .filter(|text| text.starts_with(is_blank));
        if let Some(after) = found {
            self.lexer
                .set_pos(self.lexer.pos() + rest.len() - after.len());
        }
        found.is_some()
    }

    fn abi(&mut self, start: usize) -> Option<Item> {
        self.lexer.eat_keyword("abi");
        let Some((name, magic, name_span)) = self.lexer.include_name() else {
            let span = self.here();
            self.syntax(
                span,
                "expected a file name after `abi`",
                "expected `<name>`",
            );
            self.recover();
            return None;
        };
        self.expect_comma()?;
        if self
            .lexer
            .rest()
            .starts_with(|c: char| !is_statement_gap(c))
        {
            // Upstream's abi mode reads `,x` as one more name.
            let span = self.here();
            let message = "expected a line break or blank after the `abi` rule's `,`";
            self.syntax(span, message, "text right after `,`");
            self.recover();
            return None;
        }
        let path = Word {
            text: name,
            quoted: !magic,
            span: name_span,
        };
        Some(Item::Abi(Abi {
            span: self.span(start),
            path,
            magic,
        }))
    }

    fn alias(&mut self, start: usize, keyword: &str) -> Option<Item> {
        self.lexer.eat_keyword(keyword);
        let from = self.expect_word("the aliased path")?;
        let (token, span) = self.lexer.token(WordMode::Rule);
        if token != Token::Arrow {
            self.syntax(span, "expected `->` in alias", "expected `->`");
            self.recover();
            return None;
        }
        let to = self.id_word("the alias target")?;
        self.expect_comma()?;
        Some(Item::Alias(Alias {
            span: self.span(start),
            from,
            to,
        }))
    }

    /// Reads one word or quoted string, or reports what was expected.
    fn expect_word(&mut self, what: &str) -> Option<Word> {
        let (token, span) = self.lexer.token(WordMode::Rule);
        match token {
            Token::Word(text) => Some(Word {
                text,
                quoted: false,
                span,
            }),
            Token::Quoted(text) => Some(Word {
                text,
                quoted: true,
                span,
            }),
            Token::Unexpected('"') => {
                let message = "unterminated quoted string";
                let help = "add the closing `\"`".to_string();
                self.syntax_help(span, message, "string starts here", help);
                self.lexer.skip_line();
                None
            }
            Token::Comma if what == "a rule" => {
                let message = format!("expected {what}, found `,`");
                let help = "remove the extra `,`".to_string();
                self.syntax_help(span, message, "unexpected `,`", help);
                None
            }
            Token::Comma => {
                let message = format!("expected {what}, found `,`");
                self.syntax(span, message, "expected a word");
                None
            }
            _ => {
                self.lexer.set_pos(span.start as usize);
                let here = self.here();
                let found = describe(self.lexer.rest());
                let message = format!("expected {what}, found {found}");
                self.syntax(here, message, "expected a word");
                self.recover();
                None
            }
        }
    }

    /// The word after `->` in file, link, change_profile, pivot_root and
    /// alias rules, and after `profile` or `hat`, read as upstream's lexer
    /// reads it there ([`Lexer::target_word`]): `-> ,x` and `-> a=b` are
    /// targets too, and `profile a,b` names `a,b`.
    fn id_word(&mut self, what: &str) -> Option<Word> {
        let mark = self.lexer.pos();
        match self.lexer.target_word() {
            Some((Token::Word(text), span)) => Some(word_from(text, span, "")),
            Some((Token::Quoted(text), span)) => Some(Word {
                text,
                quoted: true,
                span,
            }),
            _ => {
                self.lexer.set_pos(mark);
                self.expect_word(what)
            }
        }
    }

    /// Expects the `,` ending a rule.
    fn expect_comma(&mut self) -> Option<()> {
        let (token, span) = self.lexer.token(WordMode::Rule);
        if token == Token::Comma {
            return Some(());
        }
        self.unexpected(span, "`,` at the end of the rule")
    }

    // ---- variables -------------------------------------------------------

    /// `@{NAME}` or `@NAME` followed by an assignment operator.
    fn at_assignment(&self) -> bool {
        let mut probe = Lexer::new(self.file, self.lexer.rest());
        let Some(name) = variable_name(&mut probe, '@') else {
            return false;
        };
        // Unbraced, `@AB=x` is one word to upstream's lexer (its `LABEL`
        // matches `@A`, `B` and `=x`); `@A=x` and `@AB =x` assign.
        let braced = self.lexer.rest().starts_with("@{");
        let glued = ["=", "+=", "?="]
            .iter()
            .any(|op| probe.rest().starts_with(op));
        if !braced && name.len() > 1 && glued {
            return false;
        }
        // `@{A}:=x` is one word to upstream's lexer (a `:` may continue a
        // variable in a path); only `@{A} := x` assigns.
        if probe.rest().starts_with(":=") {
            return false;
        }
        probe.skip_blanks();
        ["=", "+=", "?=", ":="]
            .iter()
            .any(|op| probe.rest().starts_with(op))
    }

    fn assign_op(&mut self) -> Option<AssignOp> {
        self.lexer.skip_blanks();
        for (text, op) in [
            ("+=", AssignOp::Append),
            ("?=", AssignOp::DefineIfUndefined),
            (":=", AssignOp::Override),
            ("=", AssignOp::Define),
        ] {
            if self.lexer.eat(text) {
                return Some(op);
            }
        }
        None
    }

    fn variable(&mut self, start: usize) -> Option<Item> {
        let name_start = self.lexer.pos();
        let name = variable_name(&mut self.lexer, '@')?;
        let name_span = self.span(name_start);
        let op = self.assign_op()?;
        let values = self.without_comments(Self::variable_values)?;
        if values.is_empty() {
            let span = self.span(start);
            self.syntax(
                span,
                format!("no value given to `@{{{name}}}`"),
                "missing value",
            );
        }
        Some(Item::Variable(VariableAssignment {
            span: self.span(start),
            name,
            name_span,
            op,
            values,
        }))
    }

    /// The values of an assignment, up to the end of its line. Upstream's
    /// assign mode reads `#` up to a line break as a comment; with no line
    /// break after it, on the last line, the `#` word is one more value.
    fn variable_values(&mut self) -> Option<Vec<Word>> {
        let mut values = Vec::new();
        loop {
            self.lexer.skip_blanks();
            match self.lexer.peek_char() {
                None | Some('\n') => break,
                Some('#') if self.lexer.rest().contains('\n') => {
                    self.lexer.skip_line();
                    break;
                }
                Some(',') => {
                    let span = self.here();
                    self.syntax_help(
                        span,
                        "variable assignments do not take a trailing comma",
                        "unexpected `,`",
                        "remove the `,`: a value ends at the end of the line".into(),
                    );
                    self.lexer.skip_line();
                    break;
                }
                _ => values.push(self.value_word()?),
            }
        }
        Some(values)
    }

    /// One value of a variable assignment: a quoted string or a bare word
    /// (where a `,` is part of the word, as in `{a,b}`).
    fn value_word(&mut self) -> Option<Word> {
        let start = self.lexer.pos();
        let (token, span) = self.lexer.token(WordMode::Value);
        match token {
            Token::Word(text) => Some(Word {
                text,
                quoted: false,
                span,
            }),
            Token::Quoted(text) => Some(Word {
                text,
                quoted: true,
                span,
            }),
            _ => {
                self.syntax(span, "unexpected text in a variable value", "not a value");
                self.lexer.set_pos(start);
                self.lexer.skip_line();
                None
            }
        }
    }

    fn boolean(&mut self, start: usize) -> Option<Item> {
        let Some(name) = variable_name(&mut self.lexer, '$') else {
            let span = self.here();
            self.syntax(
                span,
                "expected a boolean variable name after `$`",
                "bad name",
            );
            self.recover();
            return None;
        };
        let Some(op) = self.assign_op() else {
            let span = self.here();
            self.syntax(
                span,
                "expected `=` after a boolean variable",
                "expected `=`",
            );
            self.recover();
            return None;
        };
        let value = self.expression(0, true)?;
        self.lexer.skip_blanks();
        if self.lexer.peek_char() == Some(',') {
            let span = self.here();
            self.syntax_help(
                span,
                "variable assignments do not take a trailing comma",
                "unexpected `,`",
                "remove the `,`: a value ends at the end of the line".into(),
            );
            self.lexer.skip_line();
        }
        Some(Item::Boolean(BooleanAssignment {
            span: self.span(start),
            name,
            op,
            value,
        }))
    }

    // ---- conditionals ----------------------------------------------------

    fn conditional(&mut self, start: usize, depth: usize) -> Option<Item> {
        if depth + 1 >= MAX_DEPTH {
            return self.too_deep(start);
        }
        self.lexer.eat_keyword("if");
        let condition = self.expression(depth, false)?;
        let then_items = self.braced_block(depth)?;
        self.lexer.skip_trivia();
        let else_start = self.lexer.pos();
        let mut else_items = None;
        if self.lexer.eat_keyword("else") {
            self.lexer.skip_trivia();
            if self.keyword_here() == Some("if") {
                let nested = self.conditional(else_start, depth + 1)?;
                else_items = Some(vec![nested]);
            } else {
                else_items = Some(self.braced_block(depth)?);
            }
        }
        Some(Item::Conditional(Conditional {
            span: self.span(start),
            condition,
            then_items,
            else_items,
        }))
    }

    fn too_deep(&mut self, start: usize) -> Option<Item> {
        let message = format!("blocks nested deeper than {MAX_DEPTH} levels");
        let span = self.span(start);
        self.error(
            Diagnostic::error(codes::TOO_DEEP, "nesting-too-deep", message)
                .with_primary(span, "too deep"),
        );
        self.recover();
        None
    }

    fn braced_block(&mut self, depth: usize) -> Option<Vec<Item>> {
        self.lexer.skip_trivia();
        let open = self.here();
        if !self.lexer.eat("{") {
            self.syntax(open, "expected `{`", "expected a block");
            self.recover();
            return None;
        }
        Some(self.block(depth, open))
    }

    /// `or` of `and`s of (possibly negated) factors. `line` ends the
    /// expression at the end of the line (boolean assignments).
    fn expression(&mut self, depth: usize, line: bool) -> Option<Expr> {
        let mut left = self.term(depth, line)?;
        while self.eat_expr_keyword("or", line) {
            let right = self.term(depth, line)?;
            left = Expr::Or(Box::new(left), Box::new(right));
        }
        Some(left)
    }

    fn term(&mut self, depth: usize, line: bool) -> Option<Expr> {
        let mut left = self.not_factor(depth, line)?;
        while self.eat_expr_keyword("and", line) {
            let right = self.not_factor(depth, line)?;
            left = Expr::And(Box::new(left), Box::new(right));
        }
        Some(left)
    }

    fn skip_expr_space(&mut self, line: bool) {
        if line {
            self.lexer.skip_blanks();
        } else {
            self.lexer.skip_trivia();
        }
    }

    fn eat_expr_keyword(&mut self, keyword: &str, line: bool) -> bool {
        self.skip_expr_space(line);
        self.keyword_here() == Some(keyword) && self.lexer.eat_keyword(keyword)
    }

    fn not_factor(&mut self, depth: usize, line: bool) -> Option<Expr> {
        if depth >= MAX_DEPTH {
            let span = self.here();
            let message = format!("expression nested deeper than {MAX_DEPTH} levels");
            self.error(
                Diagnostic::error(codes::TOO_DEEP, "nesting-too-deep", message)
                    .with_primary(span, "too deep"),
            );
            self.recover();
            return None;
        }
        if self.eat_expr_keyword("not", line) {
            let inner = self.not_factor(depth + 1, line)?;
            return Some(Expr::Not(Box::new(inner)));
        }
        self.factor(depth, line)
    }

    fn factor(&mut self, depth: usize, line: bool) -> Option<Expr> {
        self.skip_expr_space(line);
        let start = self.lexer.pos();
        if self.lexer.eat("(") {
            let inner = self.expression(depth + 1, line)?;
            self.skip_expr_space(line);
            if !self.lexer.eat(")") {
                let span = self.here();
                self.syntax(span, "expected `)` in expression", "expected `)`");
                self.recover();
                return None;
            }
            return Some(inner);
        }
        if self.lexer.peek_char() == Some('$') {
            let name = variable_name(&mut self.lexer, '$');
            return match name {
                Some(name) => Some(Expr::Boolean(name, self.span(start))),
                None => self.expr_error(start),
            };
        }
        if self.eat_expr_keyword("defined", line) {
            self.skip_expr_space(line);
            let sigil = self.lexer.peek_char().unwrap_or(' ');
            let name = if sigil == '@' || sigil == '$' {
                variable_name(&mut self.lexer, sigil)
            } else {
                None
            };
            let Some(name) = name else {
                return self.expr_error(start);
            };
            let span = self.span(start);
            return Some(Expr::Defined {
                name,
                set: sigil == '@',
                span,
            });
        }
        let left = self.expr_word(line)?;
        self.skip_expr_space(line);
        for op in ["==", "!=", ">=", "<=", ">", "<", "in"] {
            let is_word = op == "in";
            if (is_word && self.keyword_here() == Some("in")) || (!is_word && self.lexer.eat(op)) {
                if is_word {
                    self.lexer.eat_keyword("in");
                }
                let right = self.expr_word(line)?;
                let op = op.to_string();
                return Some(Expr::Compare { left, op, right });
            }
        }
        Some(Expr::Literal(left))
    }

    fn expr_word(&mut self, line: bool) -> Option<Word> {
        self.skip_expr_space(line);
        let start = self.lexer.pos();
        if self.lexer.peek_char() == Some('@') {
            if let Some(name) = variable_name(&mut self.lexer, '@') {
                let span = self.span(start);
                let text = format!("@{{{name}}}");
                return Some(Word {
                    text,
                    quoted: false,
                    span,
                });
            }
            self.lexer.set_pos(start);
        }
        let rest = self.lexer.rest();
        let len = rest
            .find(|c: char| {
                c.is_whitespace() || matches!(c, '(' | ')' | '{' | '=' | '!' | '<' | '>')
            })
            .unwrap_or(rest.len());
        if len == 0 {
            self.expr_error(start)?;
        }
        let text = rest[..len].to_string();
        self.lexer.set_pos(start + len);
        let quoted = text.starts_with('"');
        let text = text.trim_matches('"').to_string();
        Some(Word {
            text,
            quoted,
            span: self.span(start),
        })
    }

    fn expr_error<T>(&mut self, start: usize) -> Option<T> {
        self.lexer.set_pos(start);
        let span = self.here();
        self.syntax(span, "expected a condition", "not a condition");
        self.recover();
        None
    }

    // ---- prefixes and profiles -------------------------------------------

    /// `[priority=N] [audit] [allow|deny|prompt] [owner|other]`; parts out
    /// of this order are errors, as in upstream's grammar.
    fn prefix(&mut self) -> Prefix {
        let mut prefix = Prefix::default();
        let mut last_rank = None;
        loop {
            self.lexer.skip_trivia();
            let start = self.lexer.pos();
            let Some(word) = self.keyword_here() else {
                return prefix;
            };
            let rank = match word {
                "priority" if self.lexer.at_key() => 0,
                "audit" => 1,
                "allow" | "deny" | "prompt" => 2,
                "owner" | "other" | "user" => 3,
                _ => return prefix,
            };
            self.lexer.eat_keyword(word);
            if rank == 0 {
                prefix.priority = self.priority(start);
            }
            let span = self.span(start);
            if last_rank.is_some_and(|last| last >= rank) {
                let help =
                    "write the prefix in the order `priority=N audit allow|deny owner|other`";
                self.syntax_help(
                    span,
                    format!("`{word}` is out of place in the rule prefix"),
                    "out of order",
                    help.into(),
                );
            }
            last_rank = Some(rank);
            match word {
                "audit" => prefix.audit = Some(span),
                "allow" => prefix.decision = Some((Decision::Allow, span)),
                "deny" => prefix.decision = Some((Decision::Deny, span)),
                "prompt" => prefix.decision = Some((Decision::Prompt, span)),
                "owner" | "user" => prefix.owner = Some((OwnerQualifier::Owner, span)),
                "other" => prefix.owner = Some((OwnerQualifier::Other, span)),
                _ => {}
            }
        }
    }

    /// `=N` after `priority`: upstream's lexer reads `[+-]?DIGITS` right
    /// there, so `priority=1deny /a r,` is `priority=1` and a rule.
    fn priority(&mut self, start: usize) -> Option<(Word, Span)> {
        let (token, _) = self.lexer.token(WordMode::Rule);
        self.lexer.skip_blanks();
        let value_start = self.lexer.pos();
        let rest = self.lexer.rest();
        let sign = usize::from(rest.starts_with(['+', '-']));
        let digits = rest[sign..].bytes().take_while(u8::is_ascii_digit).count();
        if token != Token::Assign("=".into()) || digits == 0 {
            let span = self.here();
            self.syntax(span, "expected `priority=NUMBER`", "expected a number");
            return None;
        }
        self.lexer.set_pos(value_start + sign + digits);
        let word = Word {
            text: rest[..sign + digits].to_string(),
            quoted: false,
            span: self.span(value_start),
        };
        Some((word, self.span(start)))
    }

    fn profile(
        &mut self,
        start: usize,
        keyword: ProfileKeyword,
        prefix: Prefix,
        depth: usize,
    ) -> Option<Item> {
        if !prefix.is_empty() {
            let span = self.span(start);
            self.syntax(span, "a profile cannot have a rule prefix", "prefix here");
        }
        // No `\` line continuation here, unlike in variable values.
        let rest = self.lexer.rest();
        self.lexer
            .set_pos(self.lexer.pos() + rest.len() - rest.trim_start_matches([' ', '\t']).len());
        let mut name = self.id_word("a profile name")?;
        if !name.quoted && name.text.len() > 1 && name.text.ends_with('{') {
            // Upstream reads `foo{` as the name; report it and read on as
            // if the `{` stood apart.
            let message = format!("`{}` runs into the `{{` that opens the profile", name.text);
            let help = "put a space between the profile name and `{`".to_string();
            self.syntax_help(name.span, message, "no space before `{`", help);
            name.text.pop();
            name.span.end -= 1;
            self.lexer.set_pos(name.span.end as usize);
        }
        self.profile_after_name(start, keyword, name, depth)
    }

    fn profile_after_name(
        &mut self,
        start: usize,
        keyword: ProfileKeyword,
        name: Word,
        depth: usize,
    ) -> Option<Item> {
        let mut profile = Profile {
            span: name.span,
            keyword,
            name,
            attachment: None,
            xattrs: Vec::new(),
            identities: Vec::new(),
            flags: Vec::new(),
            items: Vec::new(),
        };
        // The header parts come in this order: attachment, xattrs,
        // identities, flags; `stage` is the last part read.
        let mut stage = 0;
        loop {
            let (token, span) = self.lexer.token(WordMode::Rule);
            let part = match &token {
                Token::OpenBrace => break,
                Token::Word(text) if text == "xattrs" => 2,
                Token::Word(text) if text == "+" => 3,
                Token::Word(text) if text == "flags" => 4,
                Token::OpenParen => 4,
                Token::Word(_) | Token::Quoted(_) => 1,
                _ => 0,
            };
            if part < stage || (part == stage && part != 3) {
                self.lexer.set_pos(span.start as usize);
                let here = self.here();
                self.syntax(
                    here,
                    "expected `{` after the profile header",
                    "expected `{`",
                );
                self.recover();
                return None;
            }
            stage = part;
            match token {
                Token::Word(text) if text == "flags" || text == "xattrs" => {
                    self.header_list(&mut profile, &text, span)?;
                }
                Token::Word(text) if text == "+" => {
                    self.lexer.skip_blanks();
                    if !self.lexer.eat_keyword("identities") {
                        return self.unexpected(span, "`identities=(...)` after `+`");
                    }
                    self.header_list(&mut profile, "identities", span)?;
                }
                Token::OpenParen => profile.flags = self.nonempty_values(span, "flags")?,
                Token::Word(text) | Token::Quoted(text) => {
                    let quoted = self.lexer.text_at(span).starts_with('"');
                    profile.attachment = Some(Word { text, quoted, span });
                }
                _ => {}
            }
        }
        let open = self.span(self.lexer.pos() - 1);
        profile.items = self.block(depth, open);
        profile.span = self.span(start);
        Some(Item::Profile(profile))
    }

    fn header_list(&mut self, profile: &mut Profile, key: &str, span: Span) -> Option<()> {
        let (token, _) = self.lexer.token(WordMode::Rule);
        let (paren, paren_span) = self.lexer.token(WordMode::Rule);
        if token != Token::Assign("=".into()) || paren != Token::OpenParen {
            let help = match &paren {
                Token::Word(value) => format!("write `{key}=({value})`"),
                _ => format!("write the values in parentheses: `{key}=(...)`"),
            };
            self.syntax_help(
                paren_span,
                format!("expected `{key}=(...)`"),
                "expected `=(`",
                help,
            );
            self.recover();
            return None;
        }
        if key == "flags" {
            profile.flags = self.nonempty_values(span, "flags")?;
        } else if key == "identities" {
            profile.identities = self.nonempty_values(span, "identities")?;
        } else {
            profile.xattrs = self.condition_group(span)?;
        }
        Some(())
    }

    /// A `( ... )` list of values that must not be empty.
    fn nonempty_values(&mut self, span: Span, what: &str) -> Option<Vec<Word>> {
        let values = self.flag_values()?;
        if values.is_empty() {
            let span = self.span(span.start as usize);
            self.syntax(span, format!("empty `{what}` list"), "nothing in the list");
        }
        Some(values)
    }

    /// Values of `flags=(...)` up to the `)`, separated by blanks or `,`.
    fn flag_values(&mut self) -> Option<Vec<Word>> {
        self.without_comments(Self::flag_values_here)
    }

    /// Runs `read` with comments off, as upstream's lexer reads the
    /// inside of `( ... )` lists: a `#` there is part of a word.
    fn without_comments<T>(&mut self, read: impl FnOnce(&mut Self) -> T) -> T {
        let comments = self.lexer.set_comments(false);
        let result = read(self);
        self.lexer.set_comments(comments);
        result
    }

    fn flag_values_here(&mut self) -> Option<Vec<Word>> {
        let mut values = Vec::new();
        loop {
            let (token, span) = self.lexer.token(WordMode::List);
            match token {
                Token::CloseParen => return Some(values),
                Token::Comma => {}
                Token::Word(mut text) => {
                    // `kill.signal=bus`: the key and value form one flag.
                    let mut end = span.end;
                    if self.lexer.eat("=") {
                        let (value, value_span) = self.lexer.token(WordMode::List);
                        if let Token::Word(value) | Token::Quoted(value) = value {
                            text = format!("{text}={value}");
                            end = value_span.end;
                        }
                    }
                    let span = Span { end, ..span };
                    values.push(Word {
                        text,
                        quoted: false,
                        span,
                    });
                }
                Token::Quoted(text) => values.push(Word {
                    text,
                    quoted: true,
                    span,
                }),
                _ => {
                    self.syntax(span, "expected a flag or `)`", "unexpected here");
                    self.recover();
                    return None;
                }
            }
        }
    }

    // ---- rules -------------------------------------------------------------

    fn rule(&mut self, start: usize, prefix: Prefix, depth: usize) -> Option<Item> {
        let keyword = self.keyword_here();
        let kind = match keyword {
            Some("all") => {
                self.lexer.eat_keyword("all");
                self.expect_comma()?;
                Some(RuleKind::All)
            }
            Some("profile") | Some("hat") => {
                let keyword = if keyword == Some("hat") {
                    ProfileKeyword::Hat
                } else {
                    ProfileKeyword::Profile
                };
                self.lexer.eat_keyword(keyword_text(keyword));
                return self.profile(start, keyword, prefix, depth);
            }
            Some(word) if RULE_KEYWORDS.contains(&word) => {
                self.lexer.eat_keyword(word);
                self.keyword_rule(word)
            }
            _ => {
                let item = self.file_rule_or_profile(start, prefix, false, depth);
                self.last_rule = item.as_ref().map(|_| "file");
                return item;
            }
        }?;
        self.last_rule = Some(kind.keyword());
        Some(Item::Rule(Rule {
            span: self.span(start),
            prefix,
            kind,
        }))
    }

    fn keyword_rule(&mut self, keyword: &str) -> Option<RuleKind> {
        match keyword {
            "capability" => self.capability(),
            // Both have a lexer mode of their own upstream, without comments.
            "change_profile" => self.without_comments(Self::change_profile),
            "link" => self.link(),
            "set" => self.without_comments(Self::rlimit),
            "file" => self.file_keyword_rule(),
            _ => {
                let body = self.keyed_body(keyword)?;
                Some(keyed_kind(keyword, body))
            }
        }
    }

    fn file_keyword_rule(&mut self) -> Option<RuleKind> {
        self.lexer.skip_trivia();
        if self.lexer.eat(",") {
            return Some(RuleKind::FileAll);
        }
        let start = self.lexer.pos();
        match self.file_rule_or_profile(start, Prefix::default(), true, MAX_DEPTH)? {
            Item::Rule(rule) => Some(rule.kind),
            _ => None,
        }
    }

    fn capability(&mut self) -> Option<RuleKind> {
        let mut names = Vec::new();
        loop {
            let (token, span) = self.lexer.token(WordMode::Rule);
            match token {
                Token::Comma => return Some(RuleKind::Capability(names)),
                Token::Word(text) if self.starts_next_rule(&text, span, true) => {
                    return self.unexpected(span, "a capability name or `,`");
                }
                Token::Word(text) => names.push(Word {
                    text,
                    quoted: false,
                    span,
                }),
                _ => return self.unexpected(span, "a capability name or `,`"),
            }
        }
    }

    fn bad_path<T>(&mut self, word: Word) -> Option<T> {
        let message = format!("`{}` cannot start a rule or path", word.text);
        let relative = word.text.contains('/') && word.text.starts_with(char::is_alphanumeric);
        let help = if relative {
            format!(
                "file rules start with `/`, `@{{`, or a permission: write `/{}`",
                word.text
            )
        } else {
            "file rules start with `/`, `@{`, or a permission".to_string()
        };
        let diagnostic = syntax_error(word.span, message, "not a path").with_help(help);
        self.error(diagnostic);
        self.recover();
        None
    }

    /// Whether `word` is a permission word: upstream's lexer reads one only
    /// when a blank, line break or `,` follows it (`rw"/a"` is no rule).
    fn is_perms(&self, word: &Word) -> bool {
        !word.quoted && is_mode_word(&word.text) && self.ends_mode_word(word.span)
    }

    fn ends_mode_word(&self, span: Span) -> bool {
        let after = self.lexer.text_at(Span::new(
            self.file,
            span.end as usize,
            span.end as usize + 1,
        ));
        matches!(after, " " | "\t" | "\r" | "\n" | "," | "\x0b" | "\x0c")
    }

    /// A file rule whose path is one of upstream's keywords (`read r,`):
    /// its lexer reads such a word as the keyword, never as a path.
    fn keyword_as_path<T>(&mut self, word: Word) -> Option<T> {
        let message = format!("`{}` is a keyword and cannot be a file path", word.text);
        let help = format!("write an absolute path, such as `/{}`", word.text);
        let diagnostic = syntax_error(word.span, message, "keyword").with_help(help);
        self.error(diagnostic);
        self.recover();
        None
    }

    fn unexpected<T>(&mut self, span: Span, expected: &str) -> Option<T> {
        let previous_end = self.lexer.last_end().min(span.start as usize);
        self.lexer.set_pos(span.start as usize);
        let here = self.here();
        let found = describe(self.lexer.rest());
        let message = format!("expected {expected}, found {found}");
        let gap = self
            .lexer
            .text_at(Span::new(self.file, previous_end, here.start as usize));
        if gap.contains('\n') {
            // Most likely the rule lacks its end: point there, and resume
            // at the next line, which may well be a good rule.
            let end = Span::new(self.file, previous_end, previous_end);
            let diagnostic = if expected.contains("`,`") {
                syntax_error(end, "missing `,` at the end of the rule", "expected `,`")
                    .with_secondary(here, next_label(self.lexer.rest()))
                    .with_help("end every rule with `,`")
            } else {
                let label = format!("expected {expected} here");
                syntax_error(end, message, &label).with_secondary(here, "found this")
            };
            self.error(diagnostic);
            self.lexer.set_pos(previous_end);
        } else {
            self.syntax(here, message, "unexpected here");
        }
        self.recover();
        None
    }

    /// Whether the word `text` at `span`, read inside a rule, is on a new
    /// line and starts a statement: then the rule before it lacks its `,`.
    /// With `paths`, a path or variable on a new line counts too (a rule
    /// kind whose words are never paths).
    fn starts_next_rule(&mut self, text: &str, span: Span, paths: bool) -> bool {
        let on_new_line = self.on_new_line(span);
        let keyword = RULE_KEYWORDS.contains(&text)
            || STATEMENT_KEYWORDS.contains(&text)
            || PREFIX_KEYWORDS.contains(&text);
        let path = paths && text.starts_with(['/', '@']);
        on_new_line && (keyword || path) && !self.next_is_assign()
    }

    /// Whether a line break separates the token at `span` from the one
    /// before it.
    fn on_new_line(&self, span: Span) -> bool {
        let previous_end = self.lexer.last_end().min(span.start as usize);
        let gap = Span::new(self.file, previous_end, span.start as usize);
        self.lexer.text_at(gap).contains('\n')
    }

    fn safety(&mut self) -> Option<ExecSafety> {
        self.lexer.skip_trivia();
        match self.keyword_here() {
            Some("safe") => {
                self.lexer.eat_keyword("safe");
                Some(ExecSafety::Safe)
            }
            Some("unsafe") => {
                self.lexer.eat_keyword("unsafe");
                Some(ExecSafety::Unsafe)
            }
            _ => None,
        }
    }

    fn change_profile(&mut self) -> Option<RuleKind> {
        let safety = self.safety();
        let mut exec = None;
        let mut target = None;
        loop {
            // Upstream's change_profile mode reads words as mount rules do
            // (`{` starts one, `->/x` is one).
            let (token, span) = self.lexer.token(WordMode::Keyed);
            match token {
                Token::Comma => break,
                Token::Word(text) | Token::Quoted(text) if exec.is_none() && target.is_none() => {
                    exec = Some(word_from(text, span, self.lexer.rest()))
                }
                Token::Arrow if target.is_none() => {
                    target = Some(self.id_word("a profile name after `->`")?);
                }
                _ => return self.unexpected(span, "`->` or `,`"),
            }
        }
        Some(RuleKind::ChangeProfile {
            safety,
            exec,
            target,
        })
    }

    fn link(&mut self) -> Option<RuleKind> {
        self.lexer.skip_trivia();
        let subset = self.eat_subset();
        let path = self.expect_word("the link path")?;
        if is_keyword_word(&path) {
            return self.keyword_as_path(path);
        }
        self.reject_char_after_variable(&path)?;
        let (token, span) = self.lexer.token(WordMode::Rule);
        if token != Token::Arrow {
            return self.unexpected(span, "`->` in a link rule");
        }
        let target = self.id_word("the link target")?;
        self.expect_comma()?;
        Some(RuleKind::Link(LinkRuleNode {
            subset,
            path,
            target,
        }))
    }

    /// Reports a rule's path that continues a leading variable with a
    /// character that ends upstream's variable token (see
    /// [`char_after_leading_variable`]). Targets after `->` are lexed
    /// differently and may.
    fn reject_char_after_variable(&mut self, path: &Word) -> Option<()> {
        let Some(after) = char_after_leading_variable(path) else {
            return Some(());
        };
        let message = format!("unexpected `{after}` right after a variable");
        self.syntax(path.span, message, "not a path");
        self.recover();
        None
    }

    fn eat_subset(&mut self) -> bool {
        self.lexer.skip_trivia();
        if self.keyword_here() == Some("subset") {
            return self.lexer.eat_keyword("subset");
        }
        self.lexer.eat("<=")
    }

    fn rlimit(&mut self) -> Option<RuleKind> {
        self.lexer.skip_trivia();
        if !self.lexer.eat_keyword("rlimit") {
            let span = self.here();
            return self.unexpected(span, "`rlimit` after `set`");
        }
        let name = self.expect_word("an rlimit name")?;
        let (token, span) = self.lexer.token(WordMode::Rule);
        if token != Token::LessEqual {
            return self.unexpected(span, "`<=` in an rlimit rule");
        }
        let value = self.expect_word("an rlimit value")?;
        let (token, span) = self.lexer.token(WordMode::Rule);
        let unit = match token {
            Token::Comma => None,
            Token::Word(text) => {
                self.expect_comma()?;
                Some(Word {
                    text,
                    quoted: false,
                    span,
                })
            }
            _ => return self.unexpected(span, "a unit or `,`"),
        };
        // `rlimit as <= 10MB` lexes the number and unit as one word.
        let (value, unit) = split_unit(value, unit);
        Some(RuleKind::Rlimit { name, value, unit })
    }

    /// A file rule in either order, or a profile named by a path.
    fn file_rule_or_profile(
        &mut self,
        start: usize,
        prefix: Prefix,
        keyword: bool,
        depth: usize,
    ) -> Option<Item> {
        let safety = self.safety();
        let first = self.expect_word("a rule")?;
        let is_perms = self.is_perms(&first);
        if !is_perms && !is_rule_path(&first) {
            return self.bad_path(first);
        }
        self.reject_char_after_variable(&first)?;
        if is_perms && !first.text.starts_with('/') {
            let subset = self.eat_subset();
            let path = self.expect_word("a path after the permissions")?;
            if !is_rule_path(&path) {
                return self.bad_path(path);
            }
            if is_keyword_word(&path) {
                return self.keyword_as_path(path);
            }
            if !path.quoted && is_mode_word(&path.text) {
                // `ix r,`: upstream's lexer reads both words as permissions.
                return self.split_permissions(&first, &path.text, path.span);
            }
            self.reject_char_after_variable(&path)?;
            return self.file_rule_end(start, prefix, keyword, safety, path, first, true, subset);
        }
        let mark = self.lexer.pos();
        let (token, span) = self.lexer.token(WordMode::Rule);
        match token {
            Token::Word(_) if is_keyword_word(&first) => self.keyword_as_path(first),
            Token::Word(text) if is_mode_word(&text) && self.ends_mode_word(span) => {
                let perms = Word {
                    text,
                    quoted: false,
                    span,
                };
                self.file_rule_end(start, prefix, keyword, safety, first, perms, false, false)
            }
            Token::Word(text) if !self.at_profile_header(&text) => {
                let second = word_from(text, span, "");
                self.misplaced_rule_word(first, second)
            }
            Token::OpenBrace | Token::OpenParen | Token::Word(_) | Token::Quoted(_)
                if !keyword && safety.is_none() =>
            {
                self.lexer.set_pos(mark);
                let keyword = ProfileKeyword::None;
                if !prefix.is_empty() {
                    let span = self.span(start);
                    self.syntax(span, "a profile cannot have a rule prefix", "prefix here");
                }
                self.profile_after_name(start, keyword, first, depth)
            }
            Token::Comma if is_identifier(&first) => self.lone_identifier(first, span),
            Token::Comma => {
                let message = format!("missing permissions for `{}`", first.text);
                let help = "add permissions such as `r` or `rw` before the `,`".to_string();
                self.syntax_help(span, message, "expected permissions before `,`", help);
                None
            }
            _ => self.unexpected(span, "file permissions"),
        }
    }

    /// Whether a word `second` after a rule's first word continues a
    /// profile header (`/path flags=(...) {`, `/path /attachment {`)
    /// rather than a rule.
    fn at_profile_header(&mut self, second: &str) -> bool {
        if matches!(second, "flags" | "xattrs" | "+") || second.starts_with(['/', '@', '"']) {
            return true;
        }
        let mark = self.lexer.pos();
        let (next, _) = self.lexer.token(WordMode::Rule);
        self.lexer.set_pos(mark);
        match next {
            Token::OpenBrace | Token::OpenParen => true,
            Token::Word(text) => matches!(text.as_str(), "flags" | "xattrs" | "+"),
            _ => false,
        }
    }

    /// A rule whose second word is not a permission: an unknown rule
    /// keyword (`foo bar,`), a prefix after the path (`/a owner r,`) or
    /// misspelt permissions (`/a read,`).
    fn misplaced_rule_word<T>(&mut self, first: Word, second: Word) -> Option<T> {
        if is_identifier(&first) {
            return self.unknown_rule(first);
        }
        let diagnostic = if PREFIX_KEYWORDS.contains(&second.text.as_str()) {
            let message = format!("`{}` must come before the path", second.text);
            syntax_error(second.span, message, "qualifier after the path")
                .with_help(format!("move `{}` to the start of the rule", second.text))
        } else {
            let (message, label, help) = permission_problem(&second.text);
            syntax_error(second.span, message, label).with_help(help)
        };
        self.error(diagnostic);
        self.recover();
        None
    }

    /// `/a r w,`: permissions split over two words.
    fn split_permissions<T>(&mut self, perms: &Word, more: &str, span: Span) -> Option<T> {
        let first = &perms.text;
        let message = format!("permissions split over two words, `{first}` and `{more}`");
        let help = format!("write the permissions as one word: `{}{more}`", perms.text);
        self.syntax_help(span, message, "second permission word", help);
        self.recover();
        None
    }

    /// A bare identifier starting a rule that is no rule keyword.
    fn unknown_rule<T>(&mut self, first: Word) -> Option<T> {
        let keywords = RULE_KEYWORDS.iter().chain(&STATEMENT_KEYWORDS).copied();
        let diagnostic = match suggest::nearest(&first.text, keywords) {
            // Upstream starts an include only at `include` and a blank.
            _ if first.text == "include" => syntax_error(
                first.span,
                "`include` needs its file name on the same line".to_string(),
                "no file name after this",
            )
            .with_help("write `include <name>` on one line"),
            Some(keyword) => syntax_error(
                first.span,
                format!("unknown rule keyword `{}`", first.text),
                "unknown keyword",
            )
            .with_help(format!("write `{keyword}`")),
            None => syntax_error(
                first.span,
                format!("expected a rule, found `{}`", first.text),
                "not a rule keyword or path",
            )
            .with_help(
                "start a rule with a keyword such as `capability`, `network` or \
                 `signal`; file rules start with `/`, `@{`, or a permission",
            ),
        };
        self.error(diagnostic);
        self.recover();
        None
    }

    /// `NAME,`: a file rule with a relative path and no permissions, most
    /// likely a misspelt keyword or a name that belongs to the rule before.
    fn lone_identifier<T>(&mut self, first: Word, comma: Span) -> Option<T> {
        let keywords = RULE_KEYWORDS.iter().chain(&STATEMENT_KEYWORDS).copied();
        if suggest::nearest(&first.text, keywords).is_some() {
            return self.unknown_rule(first);
        }
        let message = format!("missing permissions for `{}`", first.text);
        let mut diagnostic = syntax_error(comma, message, "expected permissions before `,`");
        diagnostic = match self.last_rule {
            Some(kind @ ("capability" | "network")) => diagnostic.with_help(format!(
                "separate the names of one `{kind}` rule with spaces, not commas"
            )),
            _ => diagnostic.with_help("add permissions such as `r` or `rw` before the `,`"),
        };
        self.error(diagnostic);
        None
    }

    #[allow(clippy::too_many_arguments)] // the parts of one rule, read in order
    fn file_rule_end(
        &mut self,
        start: usize,
        prefix: Prefix,
        keyword: bool,
        safety: Option<ExecSafety>,
        path: Word,
        perms: Word,
        perms_first: bool,
        subset: bool,
    ) -> Option<Item> {
        let (token, span) = self.lexer.token(WordMode::Rule);
        let target = match token {
            Token::Arrow => {
                let target = self.id_word("an exec or link target after `->`")?;
                self.expect_comma()?;
                Some(target)
            }
            Token::Comma => None,
            Token::Word(text) if is_mode_word(&text) && !self.on_new_line(span) => {
                return self.split_permissions(&perms, &text, span);
            }
            _ => return self.unexpected(span, "`,` at the end of the rule"),
        };
        let node = FileRuleNode {
            keyword,
            safety,
            path,
            perms,
            perms_first,
            subset,
            target,
        };
        Some(Item::Rule(Rule {
            span: self.span(start),
            prefix,
            kind: RuleKind::File(node),
        }))
    }

    // ---- keyed rules ---------------------------------------------------------

    /// `KEYWORD [perms|(perms)] [key=value ...] [words] [-> ...] ,`, in the
    /// order [`part_rank`] gives. Rules with a lexer mode of their own in
    /// upstream's lexer take no comments and read `{` as part of a word.
    fn keyed_body(&mut self, keyword: &str) -> Option<KeyedBody> {
        if keyword == "userns" {
            return self.userns_body();
        }
        let own_mode = has_own_lexer_mode(keyword);
        let comments = self.lexer.set_comments(!own_mode);
        let body = self.keyed_parts(keyword, own_mode);
        self.lexer.set_comments(comments);
        body
    }

    fn keyed_parts(&mut self, keyword: &str, own_mode: bool) -> Option<KeyedBody> {
        let mut body = KeyedBody::default();
        let mut rank = 0;
        loop {
            let mode = if own_mode {
                WordMode::Keyed
            } else {
                WordMode::Rule
            };
            let (token, span) = self.lexer.token(mode);
            let part = match &token {
                Token::OpenParen => Part::Access,
                Token::Word(text) if self.next_is_assign() && self.is_group_key(text) => {
                    Part::Group
                }
                Token::Word(_) if self.next_is_assign() => Part::Condition,
                Token::Word(text) if self.is_bare_access(keyword, &body, text) => Part::Access,
                Token::Word(_) | Token::Quoted(_) => Part::Word,
                Token::Arrow => Part::Arrow,
                _ => Part::Other,
            };
            if let Token::Word(text) = &token
                && (self.starts_next_rule(text, span, false)
                    || self.is_comment_word(keyword, text, span))
            {
                return self.comment_or_next_rule(keyword, span);
            }
            if !self.in_order(keyword, part, &body, &mut rank, span) {
                return None;
            }
            match token {
                Token::Comma => return Some(body),
                Token::OpenParen => {
                    body.perms = self.list_values()?;
                    body.perms_list = true;
                }
                Token::Word(text) if matches!(part, Part::Group | Part::Condition) => {
                    self.condition_into(&mut body, text, span)?;
                }
                Token::Word(text) if part == Part::Access => {
                    body.perms.push(word_from(text, span, ""));
                }
                Token::Word(text) if keyword == "pivot_root" && !is_initial_id(&text) => {
                    // Upstream reads pivot_root as file rules: a path, or an
                    // identifier that is no keyword; a bare `@{VAR}` is a
                    // variable token there, not a path.
                    return self.unexpected(span, "a path");
                }
                Token::Word(text) | Token::Quoted(text) if body.arrow.is_none() => {
                    let quoted = self.lexer.text_at(span).starts_with('"');
                    if !quoted && misplaced_equals(&text) {
                        return self.unexpected(span, "a word without `=` or `)`");
                    }
                    body.words.push(Word { text, quoted, span });
                }
                Token::Arrow if body.arrow.is_none() && keyword == "pivot_root" => {
                    let target = self.id_word("a profile name after `->`")?;
                    body.arrow = Some(ArrowPart {
                        span: span.to(target.span),
                        conditions: Vec::new(),
                        target: Some(target),
                    });
                }
                Token::Arrow if body.arrow.is_none() => {
                    body.arrow = Some(self.arrow_part(span)?);
                }
                _ => return self.unexpected(span, "a condition or `,`"),
            }
        }
    }

    /// Whether the word `text` read first in a keyed rule is its access.
    fn is_bare_access(&self, keyword: &str, body: &KeyedBody, text: &str) -> bool {
        let nothing_yet = body.perms.is_empty()
            && !body.perms_list
            && body.words.is_empty()
            && body.conditions.is_empty()
            && body.group.is_none();
        nothing_yet && is_perm_word(keyword, text)
    }

    /// A word starting with `#` in a keyed rule, where upstream's lexer
    /// reads no comment: on a new line, most likely a comment after a rule
    /// that lacks its `,`; on the same line, a comment that cannot be
    /// there, except that a mount rule takes it as its source or mount
    /// point, as upstream does.
    fn is_comment_word(&self, keyword: &str, text: &str, span: Span) -> bool {
        let mount = matches!(keyword, "mount" | "remount" | "umount" | "unmount");
        text.starts_with('#') && (self.on_new_line(span) || !mount)
    }

    /// `peer=(` or `xattrs=(` at a key just read.
    fn is_group_key(&mut self, key: &str) -> bool {
        (key == "peer" || key == "xattrs") && self.at_group()
    }

    /// Checks that `part` may come after the parts read so far; reports
    /// it as out of place otherwise.
    fn in_order(
        &mut self,
        keyword: &str,
        part: Part,
        body: &KeyedBody,
        rank: &mut u8,
        span: Span,
    ) -> bool {
        if part == Part::Other {
            return true;
        }
        let repeated = match part {
            Part::Access => !body.perms.is_empty() || body.perms_list,
            Part::Group => body.group.is_some(),
            _ => false,
        };
        let part_rank = part_rank(keyword, part);
        if !repeated && part_rank >= *rank {
            *rank = part_rank;
            return true;
        }
        let text = describe(self.lexer.text_at(span));
        let message = format!("{text} is out of place in a {keyword} rule");
        let help = format!("write the parts in the order `{}`", rule_shape(keyword));
        self.syntax_help(span, message, "out of order", help);
        self.recover();
        false
    }

    /// A word starting with `#` inside a rule upstream reads in a lexer
    /// mode of its own (where `#` starts no comment), or a statement on a
    /// new line: either the rule lacks its `,`, or a comment is inside it.
    fn comment_or_next_rule<T>(&mut self, keyword: &str, span: Span) -> Option<T> {
        if self.on_new_line(span) || !self.lexer.text_at(span).starts_with('#') {
            self.lexer.set_comments(true);
            return self.unexpected(span, "a condition or `,`");
        }
        let message = format!("comments are not allowed inside a {keyword} rule");
        let help = "end the rule with `,` before the comment".to_string();
        self.syntax_help(span, message, "comment inside the rule", help);
        self.lexer.set_comments(true);
        self.recover();
        None
    }

    /// `userns [create],`: upstream's lexer knows nothing else in this
    /// rule, not even a list or a condition.
    fn userns_body(&mut self) -> Option<KeyedBody> {
        let comments = self.lexer.set_comments(false);
        let mut body = KeyedBody::default();
        let (mut token, mut span) = self.lexer.token(WordMode::Rule);
        if token == Token::Word("create".into()) {
            body.perms.push(word_from("create".into(), span, ""));
            (token, span) = self.lexer.token(WordMode::Rule);
        }
        self.lexer.set_comments(comments);
        if token == Token::Comma {
            return Some(body);
        }
        let expected = if body.perms.is_empty() {
            "`create` or `,`"
        } else {
            "`,`"
        };
        self.unexpected(span, expected)
    }

    /// Whether a condition's operator follows the key just read: `=`,
    /// `:=` or `in (`.
    fn next_is_assign(&mut self) -> bool {
        self.next_is_operator() || self.next_is_in_list()
    }

    /// `=` or `:=` after the key just read. As upstream's
    /// `{VARIABLE_NAME}/{WS}*=`: `key==x` is `key` with the value `=x`.
    fn next_is_operator(&mut self) -> bool {
        let mark = self.lexer.pos();
        self.lexer.skip_blanks();
        let rest = self.lexer.rest();
        let is_assign = rest.starts_with('=') || rest.starts_with(":=");
        self.lexer.set_pos(mark);
        is_assign
    }

    /// `in (` after the key just read.
    fn next_is_in_list(&mut self) -> bool {
        let mark = self.lexer.pos();
        self.lexer.skip_blanks();
        let rest = self.lexer.rest();
        let is_in = rest.starts_with("in") && {
            let mut probe = Lexer::new(self.file, &rest[2..]);
            probe.skip_blanks();
            probe.rest().starts_with('(')
        };
        self.lexer.set_pos(mark);
        is_in
    }

    fn condition_into(&mut self, body: &mut KeyedBody, key: String, span: Span) -> Option<()> {
        let key_word = Word {
            text: key.clone(),
            quoted: false,
            span,
        };
        let is_group = (key == "peer" || key == "xattrs") && self.at_group();
        if is_group {
            self.lexer.skip_blanks();
            self.lexer.eat("=");
            self.lexer.skip_blanks();
            self.lexer.eat("(");
            let conditions = self.condition_group(span)?;
            body.group = Some((key_word, conditions));
            return Some(());
        }
        let condition = self.condition(key_word)?;
        body.conditions.push(condition);
        Some(())
    }

    fn at_group(&mut self) -> bool {
        let mark = self.lexer.pos();
        self.lexer.skip_blanks();
        let ok = self.lexer.eat("=");
        self.lexer.skip_blanks();
        let ok = ok && self.lexer.peek_char() == Some('(');
        self.lexer.set_pos(mark);
        ok
    }

    /// The operator and value(s) of a condition whose key was read.
    fn condition(&mut self, key: Word) -> Option<Condition> {
        self.lexer.skip_blanks();
        let op = if self.lexer.eat(":=") {
            ":="
        } else if self.lexer.eat("=") {
            "="
        } else {
            self.lexer.eat_keyword("in");
            "in"
        };
        self.lexer.skip_blanks();
        if matches!(self.lexer.peek_char(), None | Some('\n' | '\r')) {
            // Upstream's lexer reads a value on the line of its `=`; only a
            // `(` list may start on a later line.
            self.lexer.skip_trivia();
            if self.lexer.peek_char() != Some('(') {
                let span = self.here();
                let message = format!("expected a value for `{}` on the same line", key.text);
                self.syntax(span, message, "expected a value");
                self.recover();
                return None;
            }
        }
        let (values, list) = if self.lexer.eat("(") {
            (self.nonempty_list(&key)?, true)
        } else {
            let (token, span) = self.lexer.token(WordMode::Value);
            match token {
                Token::Word(text) => (vec![word_from(text, span, "")], false),
                Token::Quoted(text) => (
                    vec![Word {
                        text,
                        quoted: true,
                        span,
                    }],
                    false,
                ),
                _ => {
                    let message = format!("expected a value for `{}`", key.text);
                    self.syntax(span, message, "expected a value");
                    self.recover();
                    return None;
                }
            }
        };
        Some(Condition {
            span: key.span.to(self.span(self.lexer.pos())),
            key,
            op: Some(op.to_string()),
            values,
            list,
        })
    }

    /// The values of `key=( ... )`, of which upstream's grammar needs one
    /// at least.
    fn nonempty_list(&mut self, key: &Word) -> Option<Vec<Word>> {
        let open = self.lexer.pos() - 1;
        let values = self.list_values()?;
        if values.is_empty() {
            let span = self.span(open);
            let message = format!("empty list of values for `{}`", key.text);
            self.syntax(span, message, "nothing in the list");
            return None;
        }
        Some(values)
    }

    /// Words up to `)`, separated by blanks or commas.
    fn list_values(&mut self) -> Option<Vec<Word>> {
        self.without_comments(Self::list_values_here)
    }

    fn list_values_here(&mut self) -> Option<Vec<Word>> {
        let mut values = Vec::new();
        loop {
            let (token, span) = self.lexer.token(WordMode::List);
            match token {
                Token::CloseParen => return Some(values),
                Token::Comma => {}
                Token::Word(text) => values.push(word_from(text, span, "")),
                Token::Quoted(text) => values.push(Word {
                    text,
                    quoted: true,
                    span,
                }),
                _ => return self.unexpected(span, "a value or `)`"),
            }
        }
    }

    /// `key=value ...` pairs up to `)` (after `peer=(` or `xattrs=(`).
    fn condition_group(&mut self, _open: Span) -> Option<Vec<Condition>> {
        self.without_comments(Self::condition_group_here)
    }

    fn condition_group_here(&mut self) -> Option<Vec<Condition>> {
        let mut conditions = Vec::new();
        loop {
            let (token, span) = self.lexer.token(WordMode::ListKey);
            match token {
                Token::CloseParen => return Some(conditions),
                Token::Comma => {}
                Token::Word(text) => {
                    let key = Word {
                        text,
                        quoted: false,
                        span,
                    };
                    if self.next_is_in_list() {
                        // Upstream's group mode reads `in` as one more
                        // key and has no token for the `(` after it.
                        let message = format!("`{} in (...)` cannot be used in a group", key.text);
                        let help = format!("write `{}=(...)`", key.text);
                        self.syntax_help(span, message, "`in` list in a group", help);
                        self.skip_past_group();
                        self.recover();
                        return None;
                    }
                    if self.next_is_operator() {
                        let condition = self.list_condition(key)?;
                        conditions.push(condition);
                    } else {
                        conditions.push(Condition {
                            span,
                            key,
                            op: None,
                            values: Vec::new(),
                            list: false,
                        });
                    }
                }
                _ => return self.unexpected(span, "a condition or `)`"),
            }
        }
    }

    /// Moves past the `)` that closes the group being read, so that
    /// recovery does not stop at a `,` inside it.
    fn skip_past_group(&mut self) {
        let mut depth = 1;
        while depth > 0 {
            let before = self.lexer.pos();
            match self.lexer.token(WordMode::List).0 {
                Token::OpenParen => depth += 1,
                Token::CloseParen => depth -= 1,
                // Leave a block's `}` to the block.
                Token::Eof | Token::CloseBrace => return self.lexer.set_pos(before),
                _ => {}
            }
        }
    }

    /// A condition inside a group, whose single values end at `,` or `)`.
    fn list_condition(&mut self, key: Word) -> Option<Condition> {
        self.lexer.skip_blanks();
        let op = if self.lexer.eat(":=") { ":=" } else { "=" };
        if op == "=" {
            self.lexer.eat("=");
        }
        self.lexer.skip_trivia();
        let (values, list) = if self.lexer.eat("(") {
            (self.nonempty_list(&key)?, true)
        } else {
            match self.lexer.group_value() {
                Some((Token::Word(text), span)) => (vec![word_from(text, span, "")], false),
                Some((Token::Quoted(text), span)) => (
                    vec![Word {
                        text,
                        quoted: true,
                        span,
                    }],
                    false,
                ),
                _ => {
                    let span = self.here();
                    return self.unexpected(span, "a value");
                }
            }
        };
        Some(Condition {
            span: key.span.to(self.span(self.lexer.pos())),
            key,
            op: Some(op.to_string()),
            values,
            list,
        })
    }

    fn arrow_part(&mut self, arrow: Span) -> Option<ArrowPart> {
        let mut part = ArrowPart {
            span: arrow,
            conditions: Vec::new(),
            target: None,
        };
        loop {
            self.lexer.skip_trivia();
            if self.lexer.peek_char() == Some(',') || self.lexer.peek_char() == Some('}') {
                part.span = arrow.to(self.span(self.lexer.pos()));
                return Some(part);
            }
            let (token, span) = self.lexer.token(WordMode::Keyed);
            match token {
                Token::Word(text) if self.next_is_assign() => {
                    let key = Word {
                        text,
                        quoted: false,
                        span,
                    };
                    part.conditions.push(self.condition(key)?);
                }
                Token::Word(text) if misplaced_equals(&text) => {
                    return self.unexpected(span, "a mount point without `=` or `)`");
                }
                Token::Word(text) | Token::Quoted(text) if part.target.is_none() => {
                    let quoted = self.lexer.text_at(span).starts_with('"');
                    part.target = Some(Word { text, quoted, span });
                }
                _ => return self.unexpected(span, "a mount point or `,`"),
            }
        }
    }
}

/// Whether a word may stand where upstream's grammar reads a rule path:
/// a word starting with `/`, `&`, `:` (not `:=`) or a variable, a quoted
/// string starting with one of `/@:&`, or a plain identifier.
fn is_rule_path(word: &Word) -> bool {
    let text = word.text.as_str();
    if word.quoted {
        return text.starts_with(['/', '@', ':', '&']);
    }
    let identifier = text.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
        && text.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    let variable = starts_with_variable(text);
    identifier
        || variable
        || text.starts_with(['/', '&'])
        || (text.starts_with(':') && !text.starts_with(":="))
}

/// Whether upstream's lexer reads `text` as an identifier token where a
/// rule starts: a path or label, or a plain identifier that is neither a
/// keyword nor a permission word, but not a bare variable.
fn is_initial_id(text: &str) -> bool {
    let word = Word {
        text: text.to_string(),
        quoted: false,
        span: Span::new(FileId(0), 0, 0),
    };
    is_rule_path(&word) && !is_keyword_word(&word) && !is_mode_word(text) && !is_lone_variable(text)
}

/// Whether `text` is exactly one `@{NAME}` or `@NAME`, which upstream's
/// lexer reads as a variable token rather than a word.
fn is_lone_variable(text: &str) -> bool {
    let mut probe = Lexer::new(FileId(0), text);
    variable_name(&mut probe, '@').is_some() && probe.at_eof()
}

/// Whether `text` starts with a well-formed `@{NAME}` or `@NAME`.
fn starts_with_variable(text: &str) -> bool {
    let Some(rest) = text.strip_prefix('@') else {
        return false;
    };
    let (name, braced) = match rest.strip_prefix('{') {
        Some(inner) => (inner, true),
        None => (rest, false),
    };
    let length = name
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .unwrap_or(name.len());
    let starts_alpha = name.starts_with(|c: char| c.is_ascii_alphabetic());
    starts_alpha && (!braced || name[length..].starts_with('}'))
}

/// A path may not continue a leading `@{VAR}` with `+`, `=` or `?` (in
/// upstream's lexer these end the variable token); returns that character.
fn char_after_leading_variable(word: &Word) -> Option<char> {
    if word.quoted || !word.text.starts_with("@{") {
        return None;
    }
    let close = word.text.find('}')?;
    word.text[close + 1..]
        .chars()
        .next()
        .filter(|c| matches!(c, '+' | '=' | '?'))
}

/// In the words of keyed rules upstream's lexer ends a word at `=` (even
/// an escaped one) and at `)` unless the word starts like a path or label;
/// what follows cannot start a word.
fn misplaced_equals(text: &str) -> bool {
    !is_label(text) && text.contains(['=', ')'])
}

/// Whether upstream's `LABEL` reads `text` (a path or profile label, which
/// may hold any character): it starts with `/`, `&`, `:` or a variable that
/// more text follows, but not one of `=`, `+` or `?` right after `@{VAR}`.
fn is_label(text: &str) -> bool {
    if text.starts_with(['/', '&', ':']) {
        return true;
    }
    let Some(inner) = text.strip_prefix("@{") else {
        return text.starts_with('@');
    };
    match inner.find('}') {
        Some(close) => inner[close + 1..].starts_with(|c: char| !matches!(c, '=' | '+' | '?')),
        None => false,
    }
}

/// Characters that may follow the `,` of an `abi` rule without upstream's
/// abi mode reading them as part of a name.
fn is_statement_gap(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\r' | '\n' | '"' | '!' | ',' | '<' | '>')
}

/// The words upstream's lexer turns into keyword tokens wherever a rule
/// may start (`parser_misc.c`'s keyword table).
const UPSTREAM_KEYWORDS: [&str; 57] = [
    "network",
    "unix",
    "capability",
    "if",
    "else",
    "not",
    "defined",
    "change_profile",
    "unsafe",
    "safe",
    "link",
    "owner",
    "user",
    "other",
    "subset",
    "audit",
    "deny",
    "allow",
    "prompt",
    "set",
    "rlimit",
    "alias",
    "rewrite",
    "ptrace",
    "file",
    "mount",
    "remount",
    "umount",
    "unmount",
    "pivot_root",
    "in",
    "dbus",
    "signal",
    "send",
    "receive",
    "bind",
    "read",
    "write",
    "eavesdrop",
    "peer",
    "trace",
    "tracedby",
    "readby",
    "abi",
    "userns",
    "mqueue",
    "delete",
    "open",
    "io_uring",
    "override_creds",
    "sqpoll",
    "all",
    "priority",
    "and",
    "or",
    "hat",
    "profile",
];

/// A bare identifier that upstream reads as a keyword, never as a path.
fn is_keyword_word(word: &Word) -> bool {
    is_identifier(word) && UPSTREAM_KEYWORDS.contains(&word.text.as_str())
}

/// A plain identifier such as `foo`: the lexer reads it as a relative
/// path, but written first in a rule it is almost always a keyword.
fn is_identifier(word: &Word) -> bool {
    !word.quoted
        && word.text.starts_with(|c: char| c.is_ascii_alphabetic())
        && word
            .text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// Why `text` is not a permission word: (message, label, help).
fn permission_problem(text: &str) -> (String, &'static str, String) {
    const WORDS: [(&str, &str); 8] = [
        ("read", "r"),
        ("write", "w"),
        ("append", "a"),
        ("link", "l"),
        ("lock", "k"),
        ("mmap", "m"),
        ("exec", "ix"),
        ("execute", "ix"),
    ];
    let lower = text.to_ascii_lowercase();
    if let Some((_, letters)) = WORDS.iter().find(|(word, _)| *word == lower) {
        let message = format!("`{text}` is not a file permission");
        return (message, "not a permission", format!("write `{letters}`"));
    }
    let letters_help = "write permissions as letters: `r`, `w`, `a`, `l`, `k`, `m`, and \
                        `ix`, `px`, `cx` or `ux` to execute"
        .to_string();
    match text.chars().find(|c| !"rwalkmxRWLMXiIuUpPcC".contains(*c)) {
        Some(bad) => {
            let message = format!("unknown permission `{bad}` in `{text}`");
            (message, "unknown permission", letters_help)
        }
        None => {
            let message = format!("invalid permissions `{text}`");
            let help = "follow an exec qualifier `i`, `p`, `c` or `u` with `x`".to_string();
            (message, "not a set of permissions", help)
        }
    }
}

/// The indentation (leading blanks, in bytes) of the line holding byte
/// `offset` of `text`; `None` when `offset` is past the end of `text`.
fn indentation(text: &str, offset: usize) -> Option<usize> {
    let before = text.get(..offset)?;
    let line_start = before.rfind('\n').map_or(0, |index| index + 1);
    let line = &text[line_start..];
    Some(line.len() - line.trim_start_matches([' ', '\t']).len())
}

/// The label of the token found on the line after a rule missing its `,`.
fn next_label(rest: &str) -> &'static str {
    if rest.starts_with('}') {
        "block ends here"
    } else {
        "next rule starts here"
    }
}

fn keyword_text(keyword: ProfileKeyword) -> &'static str {
    match keyword {
        ProfileKeyword::Hat => "hat",
        _ => "profile",
    }
}

fn word_from(text: String, span: Span, _rest: &str) -> Word {
    Word {
        text,
        quoted: false,
        span,
    }
}

/// Splits `10MB` into `10` and `MB` when no separate unit was written.
fn split_unit(value: Word, unit: Option<Word>) -> (Word, Option<Word>) {
    if unit.is_some() || value.quoted {
        return (value, unit);
    }
    let digits = value
        .text
        .trim_start_matches('-')
        .find(|c: char| !c.is_ascii_digit())
        .map(|index| index + usize::from(value.text.starts_with('-')));
    match digits {
        Some(index) if index > 0 => {
            let split = value.span.start as usize + index;
            let number = Word {
                text: value.text[..index].to_string(),
                quoted: false,
                span: Span::new(value.span.file, value.span.start as usize, split),
            };
            let unit = Word {
                text: value.text[index..].to_string(),
                quoted: false,
                span: Span::new(value.span.file, split, value.span.end as usize),
            };
            (number, Some(unit))
        }
        _ => (value, None),
    }
}

fn keyed_kind(keyword: &str, body: KeyedBody) -> RuleKind {
    match keyword {
        "network" => RuleKind::Network(body),
        "unix" => RuleKind::Unix(body),
        "signal" => RuleKind::Signal(body),
        "ptrace" => RuleKind::Ptrace(body),
        "dbus" => RuleKind::Dbus(body),
        "mount" => RuleKind::Mount(body),
        "remount" => RuleKind::Remount(body),
        "umount" | "unmount" => RuleKind::Umount(body),
        "pivot_root" => RuleKind::PivotRoot(body),
        "userns" => RuleKind::Userns(body),
        "mqueue" => RuleKind::Mqueue(body),
        _ => RuleKind::IoUring(body),
    }
}

/// A part of a keyed rule, for checking the order upstream's grammar
/// reads them in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Part {
    Access,
    Condition,
    Word,
    Group,
    Arrow,
    /// `,` or a token no part starts with.
    Other,
}

/// The place of `part` in a `keyword` rule: the access first, then for
/// `network` its family and type before the conditions, for the others the
/// conditions before any word (a mount source, a queue name); a group and
/// `->` come last.
fn part_rank(keyword: &str, part: Part) -> u8 {
    match (keyword, part) {
        (_, Part::Access | Part::Other) => 0,
        ("network", Part::Word) => 1,
        ("network", Part::Condition) => 2,
        (_, Part::Condition) => 1,
        (_, Part::Word) => 2,
        (_, Part::Group | Part::Arrow) => 3,
    }
}

/// The parts of a `keyword` rule in their order, for help text.
fn rule_shape(keyword: &str) -> String {
    let parts = match keyword {
        "network" => "[access] [family [type]] [conditions] [peer=(...)]",
        "unix" | "dbus" | "io_uring" => "[access] [conditions] [peer=(...)]",
        "mqueue" => "[access] [conditions] [name]",
        "mount" => "[conditions] [source] [-> [conditions] mount point]",
        "pivot_root" => "[oldroot=...] [new root] [-> profile]",
        "remount" | "umount" | "unmount" => "[conditions] [mount point]",
        _ => "[access] [conditions]",
    };
    format!("{keyword} {parts}")
}

/// Whether upstream's lexer reads a `keyword` rule in a mode of its own
/// (every keyed rule but `io_uring` and `pivot_root`, which it reads as it
/// reads file rules).
fn has_own_lexer_mode(keyword: &str) -> bool {
    !matches!(keyword, "io_uring" | "pivot_root")
}

/// The access words each keyed rule kind accepts outside parentheses, as
/// upstream's lexer modes define them.
fn is_perm_word(keyword: &str, word: &str) -> bool {
    const RW: [&str; 4] = ["r", "w", "rw", "wr"];
    let socket = [
        "listen", "accept", "connect", "getopt", "setopt", "shutdown", "create", "getattr",
        "setattr", "bind", "send", "receive", "read", "write",
    ];
    let list: &[&str] = match keyword {
        "network" | "unix" => &socket,
        "dbus" => &["bind", "eavesdrop", "send", "receive", "read", "write"],
        "signal" => &["send", "receive", "read", "write"],
        "ptrace" => &["trace", "readby", "tracedby", "read", "write"],
        "userns" => &["create"],
        "mqueue" => &[
            "create", "open", "delete", "getattr", "setattr", "read", "write",
        ],
        "io_uring" => &["override_creds", "sqpoll"],
        _ => &[],
    };
    // Only these modes of upstream's lexer read `r`, `w`, `rw` and `wr`.
    let rw_allowed = matches!(
        keyword,
        "dbus" | "signal" | "ptrace" | "unix" | "mqueue" | "network"
    );
    list.contains(&word) || (rw_allowed && RW.contains(&word))
}

/// `@{NAME}`, `@NAME`, `${NAME}` or `$NAME` at the cursor, with `sigil`;
/// consumes it and returns the name.
pub fn variable_name(lexer: &mut Lexer<'_>, sigil: char) -> Option<String> {
    let start = lexer.pos();
    if !lexer.eat(&sigil.to_string()) {
        return None;
    }
    let braced = lexer.eat("{");
    let Some(name) = lexer.peek_identifier() else {
        lexer.set_pos(start);
        return None;
    };
    lexer.set_pos(lexer.pos() + name.len());
    if braced && !lexer.eat("}") {
        lexer.set_pos(start);
        return None;
    }
    Some(name.to_string())
}

/// A short description of the text at an error, for messages.
fn describe(rest: &str) -> String {
    match rest.chars().next() {
        None => "end of file".to_string(),
        Some('\n') => "end of line".to_string(),
        Some(c) if c.is_control() => format!("character {:#04x}", c as u32),
        Some(_) => {
            let token: String = rest
                .chars()
                .take_while(|c| !c.is_whitespace())
                .take(30)
                .collect();
            format!("`{token}`")
        }
    }
}
