//! Sets of paths as automata, described for a reader: real and shortest
//! witnesses, the number of real paths inside, and a summary as patterns.
//!
//! FIXME: this is a stand-in for `analyze::witness`, which the `prove`
//! work writes with the same names (`Inventory`, `path_universe`,
//! `pattern_set`, `describe`, `SetDescription`, `WitnessPath`,
//! `display_path`); once that module is on main, this file is deleted and
//! `diff` uses it instead, so that `prove` and `diff` describe sets alike.
//!
//! Every set is a `Dfa<bool>` inside the [`path_universe`]. Every summary
//! pattern is checked, by automata, to match no path of the universe
//! outside the set before it is kept; the inventory only chooses which
//! witnesses come first and which paths are generalised into patterns.

use crate::compile::byteset::ByteSet;
use crate::compile::dfa::from_ir;
use crate::compile::pattern::{self, Ir};
use crate::compile::{CompileError, Dfa, Limits, PatternError};

/// The real paths aaprove carries, from `fixtures/inventory` of this
/// repository: /proc/sys, /proc and /sys of a Linux host.
const BUILTIN_INVENTORIES: [&str; 3] = [
    include_str!("../../../fixtures/inventory/proc-sys.txt"),
    include_str!("../../../fixtures/inventory/proc.txt"),
    include_str!("../../../fixtures/inventory/sys.txt"),
];

/// Most real paths shown per set.
pub const MAX_REAL_WITNESSES: usize = 3;
/// Most paths from the automaton (not from the inventory) shown per set.
pub const MAX_SYNTHETIC_WITNESSES: usize = 2;
/// Most patterns in one summary.
pub const MAX_SUMMARY_PATTERNS: usize = 8;

/// Known paths of a real system; directories end in `/`.
#[derive(Clone, Debug, Default)]
pub struct Inventory {
    /// Shortest first, then in byte order; no duplicates.
    paths: Vec<Vec<u8>>,
}

impl Inventory {
    /// The inventories aaprove carries.
    pub fn builtin() -> Inventory {
        let mut inventory = Inventory::default();
        for text in BUILTIN_INVENTORIES {
            inventory.add_text(text);
        }
        inventory
    }

    /// Adds the paths of `text`, one a line; blank lines and lines starting
    /// with `#` are skipped.
    pub fn add_text(&mut self, text: &str) {
        let lines = text.lines().map(str::trim);
        let paths = lines.filter(|line| !line.is_empty() && !line.starts_with('#'));
        self.paths
            .extend(paths.map(|line| line.as_bytes().to_vec()));
        self.paths
            .sort_by(|a, b| a.len().cmp(&b.len()).then_with(|| a.cmp(b)));
        self.paths.dedup();
    }

    /// Every path, shortest first.
    pub fn paths(&self) -> &[Vec<u8>] {
        &self.paths
    }

    /// The paths in `set`, shortest first.
    pub fn members<'i>(&'i self, set: &'i Dfa<bool>) -> impl Iterator<Item = &'i [u8]> + 'i {
        let paths = self.paths.iter().map(Vec::as_slice);
        paths.filter(|path| *set.classify(path))
    }
}

/// The automaton of the paths the kernel looks up: `/`, then components
/// separated by one `/`, none empty, `.` or `..`, without NUL; a trailing
/// `/` marks a directory.
pub fn path_universe(limits: &Limits) -> Dfa<bool> {
    let mut excluded = ByteSet::single(b'/');
    excluded.insert(0);
    let name_byte = Ir::Class(excluded.complement());
    excluded.insert(b'.');
    let first_not_dot = Ir::Class(excluded.complement());
    let rest = || Ir::Star(Box::new(name_byte.clone()));
    // A name not starting with `.`, `.` and a name not starting with `.`
    // (such as `.x`), or `..` and at least one more byte.
    let component = Ir::Alternation(vec![
        Ir::Concat(vec![first_not_dot.clone(), rest()]),
        Ir::Concat(vec![Ir::Byte(b'.'), first_not_dot, rest()]),
        Ir::Concat(vec![
            Ir::Byte(b'.'),
            Ir::Byte(b'.'),
            Ir::Plus(Box::new(name_byte.clone())),
        ]),
    ]);
    let ir = Ir::Concat(vec![
        Ir::Byte(b'/'),
        Ir::Star(Box::new(Ir::Concat(vec![
            component.clone(),
            Ir::Byte(b'/'),
        ]))),
        Ir::Alternation(vec![Ir::Empty, component]),
    ]);
    from_ir(&ir, limits)
        .expect("the path universe is a small automaton")
        .minimize()
}

/// Why a pattern has no automaton.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PatternSetError {
    Pattern(PatternError),
    Compile(CompileError),
}

impl std::fmt::Display for PatternSetError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            PatternSetError::Pattern(error) => error.fmt(f),
            PatternSetError::Compile(error) => error.fmt(f),
        }
    }
}

/// The automaton of one AppArmor pattern (variables already expanded),
/// matching as a rule's pattern does.
pub fn pattern_set(text: &str, limits: &Limits) -> Result<Dfa<bool>, PatternSetError> {
    let parsed = pattern::parse(text, limits).map_err(PatternSetError::Pattern)?;
    let dfa = from_ir(&parsed.ir, limits).map_err(PatternSetError::Compile)?;
    Ok(dfa.minimize())
}

/// `a ∩ b`, minimal.
pub fn intersection(
    a: &Dfa<bool>,
    b: &Dfa<bool>,
    limits: &Limits,
) -> Result<Dfa<bool>, CompileError> {
    Ok(a.product(b, limits, |x, y| *x && *y)?.minimize())
}

/// `a \ b`, minimal.
pub fn difference(
    a: &Dfa<bool>,
    b: &Dfa<bool>,
    limits: &Limits,
) -> Result<Dfa<bool>, CompileError> {
    Ok(a.product(b, limits, |x, y| *x && !*y)?.minimize())
}

/// `a ∪ b`, minimal.
fn union(a: &Dfa<bool>, b: &Dfa<bool>, limits: &Limits) -> Result<Dfa<bool>, CompileError> {
    Ok(a.product(b, limits, |x, y| *x || *y)?.minimize())
}

/// True when `set` holds no string.
pub fn is_empty(set: &Dfa<bool>) -> bool {
    set.is_empty(|accepted| *accepted)
}

/// A path shown as evidence, and whether it exists on a real system.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WitnessPath {
    pub path: Vec<u8>,
    /// True when the path comes from the inventory.
    pub real: bool,
}

/// What is said about a non-empty set of paths.
#[derive(Clone, Debug)]
pub struct SetDescription {
    /// Real paths first (shortest first), then the shortest other paths.
    pub witnesses: Vec<WitnessPath>,
    /// How many inventory paths the set holds.
    pub real_count: usize,
    /// Patterns, each proven to match no path of the universe outside the
    /// set.
    pub summary: Vec<String>,
    /// True when the summary patterns together cover the whole set.
    pub summary_complete: bool,
}

/// Describes `set`, a subset of `universe`: witnesses and summary.
pub fn describe(
    set: &Dfa<bool>,
    universe: &Dfa<bool>,
    inventory: &Inventory,
    limits: &Limits,
) -> Result<SetDescription, CompileError> {
    let real: Vec<&[u8]> = inventory.members(set).collect();
    let mut witnesses: Vec<WitnessPath> = real
        .iter()
        .take(MAX_REAL_WITNESSES)
        .map(|path| WitnessPath {
            path: path.to_vec(),
            real: true,
        })
        .collect();
    let wanted = MAX_SYNTHETIC_WITNESSES + witnesses.len();
    let synthetic = set.witnesses(wanted, |accepted| *accepted);
    let fresh: Vec<Vec<u8>> = synthetic
        .into_iter()
        .filter(|path| !witnesses.iter().any(|w| w.path == *path))
        .take(MAX_SYNTHETIC_WITNESSES)
        .collect();
    witnesses.extend(
        fresh
            .into_iter()
            .map(|path| WitnessPath { path, real: false }),
    );
    let (summary, summary_complete) = summarize(set, universe, &real, limits)?;
    Ok(SetDescription {
        witnesses,
        real_count: real.len(),
        summary,
        summary_complete,
    })
}

/// Covers `set` greedily with patterns: each round generalises the
/// shortest real path not yet covered (else the shortest uncovered path
/// of the automaton) as far as the set allows.
fn summarize(
    set: &Dfa<bool>,
    universe: &Dfa<bool>,
    real: &[&[u8]],
    limits: &Limits,
) -> Result<(Vec<String>, bool), CompileError> {
    let outside = difference(universe, set, limits)?;
    let mut uncovered = set.clone();
    let mut covered = universe.map(|_| false);
    let mut patterns: Vec<(String, Dfa<bool>)> = Vec::new();
    loop {
        let next_real = real.iter().find(|path| *uncovered.classify(path));
        let next = match next_real {
            Some(path) => path.to_vec(),
            None => match uncovered.witnesses(1, |accepted| *accepted).pop() {
                Some(path) => path,
                None => return Ok((names(patterns), true)),
            },
        };
        if patterns.len() == MAX_SUMMARY_PATTERNS {
            return Ok((names(patterns), false));
        }
        let Some((pattern, dfa)) = generalize(&next, &outside, limits)? else {
            return Ok((names(patterns), false));
        };
        covered = union(&covered, &dfa, limits)?;
        uncovered = difference(set, &covered, limits)?;
        patterns.push((pattern, dfa));
        drop_redundant(&mut patterns, limits)?;
    }
}

fn names(patterns: Vec<(String, Dfa<bool>)>) -> Vec<String> {
    patterns.into_iter().map(|(name, _)| name).collect()
}

/// Drops the earlier patterns that the newest one covers, so that a
/// summary never lists a pattern inside another.
fn drop_redundant(
    patterns: &mut Vec<(String, Dfa<bool>)>,
    limits: &Limits,
) -> Result<(), CompileError> {
    let Some((_, newest)) = patterns.last().cloned() else {
        return Ok(());
    };
    let mut kept = Vec::with_capacity(patterns.len());
    let last = patterns.len() - 1;
    for (index, (name, dfa)) in patterns.drain(..).enumerate() {
        if index == last || !is_empty(&difference(&dfa, &newest, limits)?) {
            kept.push((name, dfa));
        }
    }
    *patterns = kept;
    Ok(())
}

/// The first candidate pattern for `path` (most general first) that
/// matches no path `outside` the set; `None` only when even the literal
/// path cannot be written as a pattern.
fn generalize(
    path: &[u8],
    outside: &Dfa<bool>,
    limits: &Limits,
) -> Result<Option<(String, Dfa<bool>)>, CompileError> {
    for candidate in candidates(path) {
        let dfa = match pattern_set(&candidate, limits) {
            Ok(dfa) => dfa,
            Err(PatternSetError::Compile(error)) => return Err(error),
            Err(PatternSetError::Pattern(_)) => continue,
        };
        if *dfa.classify(path) && is_empty(&intersection(&dfa, outside, limits)?) {
            return Ok(Some((candidate, dfa)));
        }
    }
    Ok(None)
}

/// Patterns matching `path`, most general first: for each ancestor
/// directory `d/` below the root (outermost first) `d/{,**}` and `d/**`;
/// then in the path's own directory `p/`, for each prefix of the name
/// (shortest first, from the empty one to the whole name) `p/PREFIX*`, and
/// the literal path. For a directory path, the same names followed by
/// `/{,**}` (the directory and all below it) come first, and every
/// pattern keeps the trailing `/`.
pub fn candidates(path: &[u8]) -> Vec<String> {
    let (name_part, tail) = match path.strip_suffix(b"/") {
        Some(stripped) if !stripped.is_empty() => (stripped, "/"),
        _ => (path, ""),
    };
    let Some(last_slash) = name_part.iter().rposition(|&b| b == b'/') else {
        return vec![escape(path)];
    };
    let (parent, name) = name_part.split_at(last_slash + 1);
    let mut out = Vec::new();
    let ends = parent.iter().enumerate().filter(|(_, b)| **b == b'/');
    for (index, _) in ends.skip(1) {
        let ancestor = escape(&parent[..=index]);
        out.push(format!("{ancestor}{{,**}}"));
        out.push(format!("{ancestor}**"));
    }
    let parent = escape(parent);
    let prefixes = (0..=name.len()).map(|end| format!("{}*", escape(&name[..end])));
    let names: Vec<String> = prefixes.chain([escape(name)]).collect();
    if tail == "/" {
        out.extend(names.iter().map(|name| format!("{parent}{name}/{{,**}}")));
    }
    out.extend(names.iter().map(|name| format!("{parent}{name}{tail}")));
    out
}

/// `bytes` as a pattern matching exactly them: pattern syntax is escaped
/// with `\`, bytes outside printable ASCII are written `\xNN`.
pub fn escape(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len());
    for &byte in bytes {
        match byte {
            b'*' | b'?' | b'[' | b']' | b'{' | b'}' | b',' | b'\\' | b'^' | b'@' | b'"' => {
                out.push('\\');
                out.push(byte as char);
            }
            b'!'..=b'~' => out.push(byte as char),
            _ => out.push_str(&format!("\\x{byte:02x}")),
        }
    }
    out
}

/// `path` for display: printable ASCII as is, other bytes as `\xNN`.
pub fn display_path(path: &[u8]) -> String {
    let mut out = String::with_capacity(path.len());
    for &byte in path {
        match byte {
            b'\\' => out.push_str("\\\\"),
            b' '..=b'~' => out.push(byte as char),
            _ => out.push_str(&format!("\\x{byte:02x}")),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(pattern: &str) -> Dfa<bool> {
        let limits = Limits::default();
        let dfa = pattern_set(pattern, &limits).unwrap();
        intersection(&dfa, &path_universe(&limits), &limits).unwrap()
    }

    #[test]
    fn universe_holds_only_kernel_paths() {
        let universe = path_universe(&Limits::default());
        let cases: &[(&str, bool)] = &[
            ("/", true),
            ("/a", true),
            ("/a/", true),
            ("/a/.b/..c/...", true),
            ("", false),
            ("a", false),
            ("//a", false),
            ("/a//b", false),
            ("/a/./b", false),
            ("/a/..", false),
            ("/a\0", false),
        ];
        for (path, expected) in cases {
            assert_eq!(*universe.classify(path.as_bytes()), *expected, "{path:?}");
        }
    }

    #[test]
    fn candidates_go_from_general_to_literal() {
        let cases: &[(&str, &[&str])] = &[
            ("/a", &["/*", "/a*", "/a"]),
            (
                "/a/bc",
                &["/a/{,**}", "/a/**", "/a/*", "/a/b*", "/a/bc*", "/a/bc"],
            ),
            (
                "/a/b/",
                &[
                    "/a/{,**}",
                    "/a/**",
                    "/a/*/{,**}",
                    "/a/b*/{,**}",
                    "/a/b/{,**}",
                    "/a/*/",
                    "/a/b*/",
                    "/a/b/",
                ],
            ),
            (
                "/a/{x",
                &[
                    "/a/{,**}", "/a/**", "/a/*", "/a/\\{*", "/a/\\{x*", "/a/\\{x",
                ],
            ),
        ];
        for (path, expected) in cases {
            assert_eq!(candidates(path.as_bytes()), *expected, "{path}");
        }
    }

    #[test]
    fn summaries_are_inside_and_say_whether_they_cover() {
        let limits = Limits::default();
        let universe = path_universe(&limits);
        let mut inventory = Inventory::default();
        inventory.add_text("/t/keys/\n/t/keys/a\n/t/keys/b\n/t/ns_last_pid\n/t/nx\n/u/x\n");
        // Each case: the set, then the summary and whether it covers.
        let cases: &[(&str, &[&str], bool)] = &[
            ("/t/keys/{,**}", &["/t/keys/{,**}"], true),
            ("/t/n*", &["/t/n*"], true),
            ("/t/{ns_last_pid,nx}", &["/t/nx", "/t/ns_last_pid"], true),
            ("/t/*", &["/t/*"], true),
        ];
        for (pattern, summary, complete) in cases {
            let region = set(pattern);
            let description = describe(&region, &universe, &inventory, &limits).unwrap();
            assert_eq!(description.summary, *summary, "{pattern}");
            assert_eq!(description.summary_complete, *complete, "{pattern}");
        }
    }

    #[test]
    fn a_pattern_inside_a_newer_one_is_dropped() {
        let limits = Limits::default();
        let named = |names: &[&str]| -> Vec<(String, Dfa<bool>)> {
            let each = names.iter().map(|n| (n.to_string(), set(n)));
            each.collect()
        };
        let cases: &[(&[&str], &[&str])] = &[
            (&["/t/k", "/t/a", "/t/k*"], &["/t/a", "/t/k*"]),
            (&["/t/k*", "/t/a"], &["/t/k*", "/t/a"]),
        ];
        for (before, after) in cases {
            let mut patterns = named(before);
            drop_redundant(&mut patterns, &limits).unwrap();
            assert_eq!(names(patterns), *after);
        }
    }
}
