//! The syntax tree of one profile file, as written.
//!
//! Nothing here is resolved: includes are still directives, variables are
//! still `@{NAME}` text inside words, conditionals keep both branches. Every
//! node carries the [`Span`] of its text so later layers can point at it.
//! Rule kinds without file semantics share [`KeyedBody`], the common shape
//! `KEYWORD [perms] [key=value ...] [words] [-> ...]` of upstream's grammar,
//! and are told apart by [`RuleKind`].

use crate::source::Span;

/// A whole file: a list of items, which may hold profiles, preamble
/// statements or (in an included abstraction) bare rules.
#[derive(Clone, Debug, Default)]
pub struct File {
    pub items: Vec<Item>,
}

/// A word of the language: a bare identifier, path or pattern, or a quoted
/// string. `text` is the content without the surrounding quotes; escapes are
/// kept as written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Word {
    pub text: String,
    pub quoted: bool,
    pub span: Span,
}

/// One statement of a file or a block.
#[derive(Clone, Debug)]
pub enum Item {
    Abi(Abi),
    Include(Include),
    Variable(VariableAssignment),
    Boolean(BooleanAssignment),
    Alias(Alias),
    Profile(Profile),
    Rule(Rule),
    Conditional(Conditional),
    /// `audit { ... }`, `deny { ... }`: a prefix applied to every rule of
    /// the block.
    PrefixBlock(PrefixBlock),
}

/// `abi <abi/4.0>,` or `abi "file",`.
#[derive(Clone, Debug)]
pub struct Abi {
    pub span: Span,
    pub path: Word,
    /// `<...>`: searched in the include path.
    pub magic: bool,
}

/// `include <x>`, `include "x"`, `#include <x>`, `include if exists <x>`.
#[derive(Clone, Debug)]
pub struct Include {
    pub span: Span,
    pub path: Word,
    /// `<...>`: searched in the include path; otherwise relative.
    pub magic: bool,
    pub if_exists: bool,
}

/// The operator of a variable assignment.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AssignOp {
    /// `=`: define; redefining an existing variable is an error.
    Define,
    /// `+=`: append values to an existing variable.
    Append,
    /// `?=`: define only when not yet defined.
    DefineIfUndefined,
    /// `:=`: define, replacing any earlier definition.
    Override,
}

/// `@{NAME} OP value ...` (ended by the end of the line).
#[derive(Clone, Debug)]
pub struct VariableAssignment {
    pub span: Span,
    /// The name without `@{` and `}`.
    pub name: String,
    pub name_span: Span,
    pub op: AssignOp,
    pub values: Vec<Word>,
}

/// `$NAME OP expression`.
#[derive(Clone, Debug)]
pub struct BooleanAssignment {
    pub span: Span,
    pub name: String,
    pub op: AssignOp,
    pub value: Expr,
}

/// `alias /from -> /to,`.
#[derive(Clone, Debug)]
pub struct Alias {
    pub span: Span,
    pub from: Word,
    pub to: Word,
}

/// How a profile was introduced.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ProfileKeyword {
    /// `/path {` without a keyword.
    None,
    /// `profile name ...`.
    Profile,
    /// `^name` or `hat name`.
    Hat,
}

/// A profile, child profile or hat, with its header and body.
#[derive(Clone, Debug)]
pub struct Profile {
    pub span: Span,
    pub keyword: ProfileKeyword,
    pub name: Word,
    pub attachment: Option<Word>,
    /// `xattrs=(key=value ...)`.
    pub xattrs: Vec<Condition>,
    /// `+ identities=(...)` values.
    pub identities: Vec<Word>,
    /// `flags=(...)` values in order.
    pub flags: Vec<Word>,
    pub items: Vec<Item>,
}

/// The prefix common to every rule; each part keeps its span.
#[derive(Clone, Debug, Default)]
pub struct Prefix {
    pub priority: Option<(Word, Span)>,
    pub audit: Option<Span>,
    pub decision: Option<(crate::model::Decision, Span)>,
    pub owner: Option<(crate::model::OwnerQualifier, Span)>,
}

impl Prefix {
    pub fn is_empty(&self) -> bool {
        self.priority.is_none()
            && self.audit.is_none()
            && self.decision.is_none()
            && self.owner.is_none()
    }
}

/// `PREFIX { items }`.
#[derive(Clone, Debug)]
pub struct PrefixBlock {
    pub span: Span,
    pub prefix: Prefix,
    pub items: Vec<Item>,
}

/// One rule with its prefix.
#[derive(Clone, Debug)]
pub struct Rule {
    pub span: Span,
    pub prefix: Prefix,
    pub kind: RuleKind,
}

/// `safe`/`unsafe` before a file or change_profile rule.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExecSafety {
    Safe,
    Unsafe,
}

/// A file rule in either order: `PATH PERMS [-> T]` or `PERMS PATH [-> T]`.
#[derive(Clone, Debug)]
pub struct FileRuleNode {
    /// The `file` keyword was written.
    pub keyword: bool,
    pub safety: Option<ExecSafety>,
    pub path: Word,
    /// The permission word as written (`rw`, `Pix`, ...).
    pub perms: Word,
    pub perms_first: bool,
    /// `subset` or `<=` (only valid with link permissions).
    pub subset: bool,
    pub target: Option<Word>,
}

/// `link [subset] A -> B,`.
#[derive(Clone, Debug)]
pub struct LinkRuleNode {
    pub subset: bool,
    pub path: Word,
    pub target: Word,
}

/// A `key=value`, `key=(v1 v2)`, `key in (...)` or bare `key` condition.
#[derive(Clone, Debug)]
pub struct Condition {
    pub span: Span,
    pub key: Word,
    /// `=`, `:=` or `in`; `None` for a bare key.
    pub op: Option<String>,
    pub values: Vec<Word>,
    /// The values were given as a parenthesised list.
    pub list: bool,
}

/// The common shape of the keyed rule kinds.
#[derive(Clone, Debug, Default)]
pub struct KeyedBody {
    /// Bare access words or a parenthesised list of them.
    pub perms: Vec<Word>,
    /// Whether perms were written as `( ... )`.
    pub perms_list: bool,
    /// Positional words (network family and type, mount point, ...).
    pub words: Vec<Word>,
    pub conditions: Vec<Condition>,
    /// A `peer=(...)` / `xattrs=(...)` group.
    pub group: Option<(Word, Vec<Condition>)>,
    /// For mount: conditions and the mount point after `->`; for
    /// pivot_root: the profile after `->`.
    pub arrow: Option<ArrowPart>,
}

/// What follows `->` in a mount or pivot_root rule.
#[derive(Clone, Debug)]
pub struct ArrowPart {
    pub span: Span,
    pub conditions: Vec<Condition>,
    pub target: Option<Word>,
}

/// Every rule kind of the language.
#[derive(Clone, Debug)]
pub enum RuleKind {
    /// `file,`: access to every file.
    FileAll,
    File(FileRuleNode),
    Link(LinkRuleNode),
    Capability(Vec<Word>),
    Network(KeyedBody),
    Unix(KeyedBody),
    Signal(KeyedBody),
    Ptrace(KeyedBody),
    Dbus(KeyedBody),
    Mount(KeyedBody),
    Remount(KeyedBody),
    Umount(KeyedBody),
    PivotRoot(KeyedBody),
    Userns(KeyedBody),
    Mqueue(KeyedBody),
    IoUring(KeyedBody),
    /// `change_profile [safe|unsafe] [EXEC] [-> TARGET],`.
    ChangeProfile {
        safety: Option<ExecSafety>,
        exec: Option<Word>,
        target: Option<Word>,
    },
    /// `set rlimit NAME <= VALUE [UNIT],`.
    Rlimit {
        name: Word,
        value: Word,
        unit: Option<Word>,
    },
    /// `all,`.
    All,
}

impl RuleKind {
    /// The keyword that starts the rule, as used in the model.
    pub fn keyword(&self) -> &'static str {
        match self {
            RuleKind::FileAll | RuleKind::File(_) => "file",
            RuleKind::Link(_) => "link",
            RuleKind::Capability(_) => "capability",
            RuleKind::Network(_) => "network",
            RuleKind::Unix(_) => "unix",
            RuleKind::Signal(_) => "signal",
            RuleKind::Ptrace(_) => "ptrace",
            RuleKind::Dbus(_) => "dbus",
            RuleKind::Mount(_) => "mount",
            RuleKind::Remount(_) => "remount",
            RuleKind::Umount(_) => "umount",
            RuleKind::PivotRoot(_) => "pivot_root",
            RuleKind::Userns(_) => "userns",
            RuleKind::Mqueue(_) => "mqueue",
            RuleKind::IoUring(_) => "io_uring",
            RuleKind::ChangeProfile { .. } => "change_profile",
            RuleKind::Rlimit { .. } => "rlimit",
            RuleKind::All => "all",
        }
    }
}

/// `if EXPR { ... } [else if ... | else { ... }]`.
#[derive(Clone, Debug)]
pub struct Conditional {
    pub span: Span,
    pub condition: Expr,
    pub then_items: Vec<Item>,
    pub else_items: Option<Vec<Item>>,
}

/// A boolean expression of a conditional or boolean assignment.
#[derive(Clone, Debug)]
pub enum Expr {
    /// `$NAME` or `${NAME}`.
    Boolean(String, Span),
    /// `defined @{NAME}` or `defined $NAME`; the flag says which sigil.
    Defined {
        name: String,
        set: bool,
        span: Span,
    },
    /// A literal such as `true`, `false` or another word.
    Literal(Word),
    Not(Box<Expr>),
    And(Box<Expr>, Box<Expr>),
    Or(Box<Expr>, Box<Expr>),
    /// `a == b`, `a in b`, ...: compared as text after expansion.
    Compare {
        left: Word,
        op: String,
        right: Word,
    },
}
