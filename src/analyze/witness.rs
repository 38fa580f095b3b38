//! Sets of paths as automata, and what `prove` says about a set of
//! violating paths: witnesses, size and a summary as patterns.
//!
//! Every set here is a `Dfa<bool>` restricted to the [`path_universe`]:
//! the strings the kernel can look up (a leading `/`, no empty, `.` or `..`
//! component, no NUL; a directory ends in `/`). Statements about a set are
//! computed on its automaton, never by sampling: the size is counted on the
//! automaton, and every summary pattern is checked to lie inside the set
//! before it is printed. Real paths (from an [`Inventory`]) only choose
//! which witnesses to show first and which patterns to try.

use std::borrow::Cow;
use std::sync::OnceLock;

use crate::compile::byteset::ByteSet;
use crate::compile::dfa::from_ir;
use crate::compile::pattern::{self, Ir};
use crate::compile::{CompileError, Dfa, Limits, PatternError};

/// The real paths `prove` shows first, from `fixtures/inventory` of this
/// repository; directories end in `/`.
const BUILTIN_INVENTORIES: [&str; 3] = [
    include_str!("../../fixtures/inventory/proc-sys.txt"),
    include_str!("../../fixtures/inventory/proc.txt"),
    include_str!("../../fixtures/inventory/sys.txt"),
];

/// Most real paths shown per set of violating paths.
pub const MAX_REAL_WITNESSES: usize = 5;
/// Most paths from the automaton (not from the inventory) shown per set.
pub const MAX_SYNTHETIC_WITNESSES: usize = 3;
/// Most patterns in one summary.
pub const MAX_SUMMARY_PATTERNS: usize = 8;
/// Most directory levels and name prefixes tried when generalising one
/// path, so that a very long witness costs a bounded number of automata.
pub const MAX_CANDIDATE_STEPS: usize = 32;

/// Known paths of a real system, used to pick witnesses that mean
/// something to a reader.
///
/// The texts are read into sorted paths only when first asked for: a
/// proof that holds needs no witnesses, and the built-in inventories hold
/// thousands of paths.
#[derive(Clone, Debug, Default)]
pub struct Inventory {
    /// The texts the paths come from, one path a line.
    texts: Vec<Cow<'static, str>>,
    /// Their paths, shortest first, without duplicates.
    paths: OnceLock<Vec<Vec<u8>>>,
}

impl Inventory {
    /// The inventories aaprove carries: /proc/sys, /proc and /sys of a
    /// Linux host.
    pub fn builtin() -> Inventory {
        Inventory {
            texts: BUILTIN_INVENTORIES.map(Cow::Borrowed).to_vec(),
            paths: OnceLock::new(),
        }
    }

    /// Adds the paths of `text`, one per line; blank lines and lines
    /// starting with `#` are skipped, duplicates are dropped.
    pub fn add_text(&mut self, text: &str) {
        self.texts.push(Cow::Owned(text.to_string()));
        self.paths = OnceLock::new();
    }

    /// Every path, shortest first.
    pub fn paths(&self) -> &[Vec<u8>] {
        self.paths.get_or_init(|| {
            let lines = self
                .texts
                .iter()
                .flat_map(|text| text.lines())
                .map(str::trim);
            let paths = lines.filter(|line| !line.is_empty() && !line.starts_with('#'));
            let mut paths: Vec<Vec<u8>> = paths.map(|line| line.as_bytes().to_vec()).collect();
            paths.sort_unstable_by(|a, b| a.len().cmp(&b.len()).then(a.cmp(b)));
            paths.dedup();
            paths
        })
    }

    /// The paths in `set`, shortest first.
    pub fn members<'i>(&'i self, set: &'i Dfa<bool>) -> impl Iterator<Item = &'i [u8]> + 'i {
        let paths = self.paths().iter().map(Vec::as_slice);
        paths.filter(|path| *set.classify(path))
    }
}

/// How many strings a set holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SetSize {
    Empty,
    Finite(u128),
    /// Finite, but more than `u128::MAX` strings.
    FiniteHuge,
    Infinite,
}

/// The automaton of the paths the kernel can look up: `/`, then
/// components separated by single `/`, none empty, `.` or `..`, no NUL; a
/// trailing `/` marks a directory.
pub fn path_universe(limits: &Limits) -> Dfa<bool> {
    let mut separators = ByteSet::single(b'/');
    separators.insert(0);
    let name_byte = separators.complement();
    separators.insert(b'.');
    let not_dot = separators.complement();
    let any = || Ir::Class(name_byte);
    let component = Ir::Alternation(vec![
        Ir::Concat(vec![Ir::Class(not_dot), Ir::Star(Box::new(any()))]),
        Ir::Concat(vec![
            Ir::Byte(b'.'),
            Ir::Class(not_dot),
            Ir::Star(Box::new(any())),
        ]),
        Ir::Concat(vec![
            Ir::Byte(b'.'),
            Ir::Byte(b'.'),
            Ir::Plus(Box::new(any())),
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

/// The automaton of one AppArmor pattern (variables already expanded),
/// matching as a rule's pattern does, not yet restricted to paths.
pub fn pattern_set(text: &str, limits: &Limits) -> Result<Dfa<bool>, PatternSetError> {
    let parsed = pattern::parse(text, limits).map_err(PatternSetError::Pattern)?;
    let dfa = from_ir(&parsed.ir, limits).map_err(PatternSetError::Compile)?;
    Ok(dfa.minimize())
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

// The set operations build only the reachable product, without
// minimising it: callers minimise a set once it is final, where its size
// matters (before many further products), since minimising costs more than
// most products here.

/// `a ∩ b`.
pub fn intersection(
    a: &Dfa<bool>,
    b: &Dfa<bool>,
    limits: &Limits,
) -> Result<Dfa<bool>, CompileError> {
    a.product(b, limits, |x, y| *x && *y)
}

/// `a ∪ b`.
pub fn union(a: &Dfa<bool>, b: &Dfa<bool>, limits: &Limits) -> Result<Dfa<bool>, CompileError> {
    a.product(b, limits, |x, y| *x || *y)
}

/// `a \ b`.
pub fn difference(
    a: &Dfa<bool>,
    b: &Dfa<bool>,
    limits: &Limits,
) -> Result<Dfa<bool>, CompileError> {
    a.product(b, limits, |x, y| *x && !*y)
}

/// True when `set` holds no string.
pub fn is_empty(set: &Dfa<bool>) -> bool {
    set.is_empty(|accepted| *accepted)
}

/// The number of strings of `set`, counted on its automaton: infinite
/// exactly when a cycle lies on a path from the start to an accepting
/// state; otherwise the number of accepted strings, each byte class
/// counting as many strings as it has bytes.
pub fn set_size(set: &Dfa<bool>) -> SetSize {
    let useful = useful_states(set);
    if !useful[set.start() as usize] {
        return SetSize::Empty;
    }
    let Some(order) = topological_order(set, &useful) else {
        return SetSize::Infinite;
    };
    let sizes: Vec<u128> = set
        .classes()
        .members()
        .iter()
        .map(|m| m.len() as u128)
        .collect();
    let mut count: Vec<Option<u128>> = vec![Some(0); set.state_count()];
    for &state in order.iter().rev() {
        let mut total = Some(u128::from(*set.label(state)));
        for (class, size) in sizes.iter().enumerate() {
            let next = set.next_by_class(state, class) as usize;
            if useful[next] {
                let more = count[next].and_then(|c| c.checked_mul(*size));
                total = total.zip(more).and_then(|(t, m)| t.checked_add(m));
            }
        }
        count[state as usize] = total;
    }
    match count[set.start() as usize] {
        Some(total) => SetSize::Finite(total),
        None => SetSize::FiniteHuge,
    }
}

/// States reachable from the start from which an accepting state can be
/// reached.
fn useful_states(set: &Dfa<bool>) -> Vec<bool> {
    let reachable = set.reachable();
    let mut reverse: Vec<Vec<u32>> = vec![Vec::new(); set.state_count()];
    for &state in &reachable {
        for class in 0..set.classes().count() {
            reverse[set.next_by_class(state, class) as usize].push(state);
        }
    }
    let mut useful = vec![false; set.state_count()];
    let mut stack: Vec<u32> = reachable
        .iter()
        .copied()
        .filter(|&s| *set.label(s))
        .collect();
    for &state in &stack {
        useful[state as usize] = true;
    }
    while let Some(state) = stack.pop() {
        for &source in &reverse[state as usize] {
            if !useful[source as usize] {
                useful[source as usize] = true;
                stack.push(source);
            }
        }
    }
    useful
}

/// The useful states in topological order (start first), or `None` when
/// they hold a cycle.
fn topological_order(set: &Dfa<bool>, useful: &[bool]) -> Option<Vec<u32>> {
    let successors = |state: u32| {
        let classes = 0..set.classes().count();
        let next = classes.map(move |class| set.next_by_class(state, class));
        next.filter(|&next| useful[next as usize])
    };
    let mut indegree = vec![0usize; set.state_count()];
    let states: Vec<u32> = (0..set.state_count() as u32)
        .filter(|&s| useful[s as usize])
        .collect();
    for &state in &states {
        for next in successors(state) {
            indegree[next as usize] += 1;
        }
    }
    let mut ready: Vec<u32> = states
        .iter()
        .copied()
        .filter(|&s| indegree[s as usize] == 0)
        .collect();
    let mut order = Vec::with_capacity(states.len());
    while let Some(state) = ready.pop() {
        order.push(state);
        for next in successors(state) {
            indegree[next as usize] -= 1;
            if indegree[next as usize] == 0 {
                ready.push(next);
            }
        }
    }
    (order.len() == states.len()).then_some(order)
}

/// A path shown as evidence, and whether it exists on a real system.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WitnessPath {
    pub path: Vec<u8>,
    /// True when the path comes from the inventory.
    pub real: bool,
}

/// What `prove` says about a non-empty set of violating paths.
#[derive(Clone, Debug)]
pub struct SetDescription {
    /// Real paths first (shortest first), then the shortest other paths.
    pub witnesses: Vec<WitnessPath>,
    /// How many inventory paths the set holds.
    pub real_count: usize,
    pub size: SetSize,
    /// Patterns, each proven to lie inside the set (on the path universe).
    pub summary: Vec<String>,
    /// True when the summary patterns together cover the whole set.
    pub summary_complete: bool,
}

/// Describes `set` (a subset of `universe`): witnesses, size and summary.
///
/// Real paths are taken files first, then directories, each shortest
/// first; the summary generalises them in that order, and the real
/// witnesses are picked one per summary pattern first, so that they show
/// the different parts of the set.
pub fn describe(
    set: &Dfa<bool>,
    universe: &Dfa<bool>,
    inventory: &Inventory,
    limits: &Limits,
) -> Result<SetDescription, CompileError> {
    let mut real: Vec<&[u8]> = inventory.members(set).collect();
    real.sort_by_key(|path| path.ends_with(b"/"));
    let (patterns, summary_complete) = summarize(set, universe, &real, limits)?;
    let mut witnesses = pick_real(&real, &patterns);
    let wanted = MAX_SYNTHETIC_WITNESSES + witnesses.len();
    let synthetic = set.witnesses(wanted, |accepted| *accepted).into_iter();
    let fresh: Vec<Vec<u8>> = synthetic
        .filter(|path| !witnesses.iter().any(|w| w.path == *path))
        .take(MAX_SYNTHETIC_WITNESSES)
        .collect();
    witnesses.extend(
        fresh
            .into_iter()
            .map(|path| WitnessPath { path, real: false }),
    );
    Ok(SetDescription {
        witnesses,
        real_count: real.len(),
        size: set_size(set),
        summary: patterns.into_iter().map(|(pattern, _)| pattern).collect(),
        summary_complete,
    })
}

/// A summary pattern with its automaton.
type SummaryPattern = (String, Dfa<bool>);

/// Up to [`MAX_REAL_WITNESSES`] real paths: the first one of each summary
/// pattern, then the others in order.
fn pick_real(real: &[&[u8]], patterns: &[SummaryPattern]) -> Vec<WitnessPath> {
    let per_pattern = patterns
        .iter()
        .filter_map(|(_, dfa)| real.iter().find(|path| *dfa.classify(path)));
    let mut picked: Vec<&[u8]> = Vec::new();
    for path in per_pattern.chain(real.iter()) {
        if picked.len() == MAX_REAL_WITNESSES {
            break;
        }
        if !picked.contains(path) {
            picked.push(path);
        }
    }
    let witness = |path: &&[u8]| WitnessPath {
        path: path.to_vec(),
        real: true,
    };
    picked.iter().map(witness).collect()
}

/// Covers `set` greedily with patterns: each round takes the first real
/// path not yet covered (or else the shortest uncovered path of the
/// automaton) and generalises it as far as the set allows. Returns each
/// pattern with its automaton, and whether they cover the whole set.
fn summarize(
    set: &Dfa<bool>,
    universe: &Dfa<bool>,
    real: &[&[u8]],
    limits: &Limits,
) -> Result<(Vec<SummaryPattern>, bool), CompileError> {
    let outside = difference(universe, set, limits)?.minimize();
    let mut covered = universe.map(|_| false);
    let mut patterns = Vec::new();
    loop {
        let uncovered = difference(set, &covered, limits)?;
        let next_real = real.iter().find(|path| *uncovered.classify(path));
        let next = match next_real {
            Some(path) => path.to_vec(),
            None => match uncovered.witnesses(1, |accepted| *accepted).pop() {
                Some(path) => path,
                None => return Ok((patterns, true)),
            },
        };
        if patterns.len() == MAX_SUMMARY_PATTERNS {
            return Ok((patterns, false));
        }
        let Some((pattern, dfa)) = generalize(&next, &outside, limits)? else {
            return Ok((patterns, false));
        };
        covered = union(&covered, &dfa, limits)?.minimize();
        patterns.push((pattern, dfa));
    }
}

/// The most general candidate pattern for `path` that has no path
/// `outside` the set; the literal path when nothing more general fits, and
/// `None` only if even that fails (a path the pattern syntax cannot say).
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
        debug_assert!(*dfa.classify(path), "{candidate} must match its path");
        if *dfa.classify(path) && is_empty(&intersection(&dfa, outside, limits)?) {
            return Ok(Some((candidate, dfa)));
        }
    }
    Ok(None)
}

/// Patterns matching `path`, most general first: for each directory
/// `d/c/` on the way to the path (outermost first, the path itself
/// included when it is a directory) `d/*/{,**}`, `d/*/**`, `d/c/{,**}`,
/// `d/c/**` (those matching the path); then, in the path's own directory
/// `p/`, `p/*`, `p/PREFIX*` for each prefix of the name (shortest
/// first), and the literal path; at most [`MAX_CANDIDATE_STEPS`] levels
/// and prefixes. A directory path keeps its trailing `/`
/// in the last two kinds.
pub fn candidates(path: &[u8]) -> Vec<String> {
    let (name_part, tail) = match path.strip_suffix(b"/") {
        Some(stripped) if !stripped.is_empty() => (stripped, "/"),
        _ => (path, ""),
    };
    let Some(last_slash) = name_part.iter().rposition(|&b| b == b'/') else {
        return vec![escape(path)];
    };
    let (parent, name) = name_part.split_at(last_slash + 1);
    if name.is_empty() {
        return vec![escape(path)];
    }
    let mut out = directory_candidates(path);
    let parent = escape(parent);
    out.push(format!("{parent}*{tail}"));
    for end in 1..=name.len().min(MAX_CANDIDATE_STEPS) {
        out.push(format!("{parent}{}*{tail}", escape(&name[..end])));
    }
    out.push(escape(path));
    out
}

/// The directory-level candidates of [`candidates`].
fn directory_candidates(path: &[u8]) -> Vec<String> {
    let slashes = path.iter().enumerate().filter(|(_, b)| **b == b'/');
    let ends: Vec<usize> = slashes.map(|(index, _)| index + 1).collect();
    let mut out = Vec::new();
    for pair in ends.windows(2).take(MAX_CANDIDATE_STEPS) {
        let (outer, inner) = (escape(&path[..pair[0]]), escape(&path[..pair[1]]));
        let below_only = pair[1] < path.len();
        out.push(format!("{outer}*/{{,**}}"));
        if below_only {
            out.push(format!("{outer}*/**"));
        }
        out.push(format!("{inner}{{,**}}"));
        if below_only {
            out.push(format!("{inner}**"));
        }
    }
    out
}

/// `bytes` as a pattern matching exactly them: pattern syntax is escaped
/// with `\`, other bytes than printable ASCII are written `\xNN`.
pub fn escape(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len());
    for &byte in bytes {
        match byte {
            b'*' | b'?' | b'[' | b']' | b'{' | b'}' | b',' | b'\\' | b'^' | b'$' | b'@' => {
                out.push('\\');
                out.push(byte as char);
            }
            b' '..=b'~' => out.push(byte as char),
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
        intersection(
            &pattern_set(pattern, &limits).unwrap(),
            &path_universe(&limits),
            &limits,
        )
        .unwrap()
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
            ("/a/../", false),
            ("/a\0", false),
        ];
        for (path, expected) in cases {
            assert_eq!(*universe.classify(path.as_bytes()), *expected, "{path:?}");
        }
    }

    #[test]
    fn sizes_are_counted_on_the_automaton() {
        let cases: &[(&str, SetSize)] = &[
            ("/a", SetSize::Finite(1)),
            ("/{a,b,c}/{d,e}", SetSize::Finite(6)),
            ("/a/[0-9]", SetSize::Finite(10)),
            ("/a/?", SetSize::Finite(253)),
            ("/a/*", SetSize::Infinite),
            ("/a/{,b/}", SetSize::Finite(2)),
        ];
        for (pattern, expected) in cases {
            assert_eq!(set_size(&set(pattern)), *expected, "{pattern}");
        }
        let limits = Limits::default();
        let none = difference(&set("/a"), &set("/a"), &limits).unwrap();
        assert_eq!(set_size(&none), SetSize::Empty);
    }

    #[test]
    fn candidates_go_from_general_to_literal() {
        let file = [
            "/*/{,**}",
            "/*/**",
            "/a/{,**}",
            "/a/**",
            "/a/*/{,**}",
            "/a/*/**",
            "/a/b/{,**}",
            "/a/b/**",
            "/a/b/*",
            "/a/b/c*",
            "/a/b/cd*",
            "/a/b/cd",
        ];
        assert_eq!(candidates(b"/a/b/cd"), file);
        assert_eq!(
            candidates(b"/a/"),
            ["/*/{,**}", "/a/{,**}", "/*/", "/a*/", "/a/"]
        );
        assert_eq!(candidates(b"/"), ["/"]);
        let long = format!("/{}", "x/".repeat(100) + &"y".repeat(100));
        assert!(candidates(long.as_bytes()).len() <= 5 * MAX_CANDIDATE_STEPS + 2);
        assert_eq!(escape(b"/a*{b}\x01"), "/a\\*\\{b\\}\\x01");
    }

    #[test]
    fn summaries_are_inside_the_set_and_say_when_complete() {
        let limits = Limits::default();
        let universe = path_universe(&limits);
        let region = union(&set("/k/*/**"), &set("/k/osr*"), &limits).unwrap();
        let mut inventory = Inventory::default();
        inventory.add_text("/k/osrelease\n/k/random/uuid\n/k/shmmax\n");
        let described = describe(&region, &universe, &inventory, &limits).unwrap();
        assert_eq!(described.summary, ["/k/osr*", "/k/*/**"]);
        assert!(described.summary_complete);
        assert_eq!(described.real_count, 2);
        assert_eq!(described.size, SetSize::Infinite);
        assert!(described.witnesses[0].real && described.witnesses[0].path == b"/k/osrelease");
        for witness in &described.witnesses {
            assert!(*region.classify(&witness.path), "{:?}", witness.path);
        }
        let mut subdirectories = Inventory::default();
        subdirectories.add_text("/k/random/\n");
        let region = union(&set("/k/*/{,**}"), &set("/k/osr*"), &limits).unwrap();
        let described = describe(&region, &universe, &subdirectories, &limits).unwrap();
        assert_eq!(described.summary, ["/k/*/{,**}", "/k/osr*"]);
    }

    #[test]
    fn summaries_stop_at_the_pattern_limit() {
        let limits = Limits::default();
        let universe = path_universe(&limits);
        let names: Vec<String> = (0..12).map(|i| format!("/x{i}/y")).collect();
        let region = set(&format!("{{{}}}", names.join(",")));
        let described = describe(&region, &universe, &Inventory::default(), &limits).unwrap();
        assert_eq!(described.summary.len(), MAX_SUMMARY_PATTERNS);
        assert!(!described.summary_complete);
        assert_eq!(described.size, SetSize::Finite(12));
    }
}
