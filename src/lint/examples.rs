//! Example paths for lint messages: real paths when the set holds some,
//! shortest witnesses of the automaton otherwise.
//!
//! A message that says "leaves `/proc/sys/kernel/osrelease` writable" is
//! understood at once; "leaves `/proc/sys/kernel/aas` writable" needs a
//! second look. So examples are first taken from the inventories of real
//! `/proc` trees in fixtures/inventory (captured from a running kernel,
//! directories ending in `/`), and only when none of those is in the set
//! from the automaton's shortest witnesses.

use std::sync::OnceLock;

use crate::compile::byteset::ByteSet;
use crate::compile::hash::FastMap;
use crate::compile::pattern::Ir;
use crate::compile::{Dfa, Limits, dfa, ops};

const PROC_SYS: &str = include_str!("../../fixtures/inventory/proc-sys.txt");
const PROC: &str = include_str!("../../fixtures/inventory/proc.txt");

/// Well-known paths outside the inventories, for the lints about kernel
/// control files.
const OTHERS: &[&str] = &[
    "/proc/sysrq-trigger",
    "/proc/kcore",
    "/sys/kernel/security/apparmor/.load",
    "/sys/kernel/security/apparmor/.replace",
    "/sys/kernel/security/apparmor/.remove",
    "/sys/kernel/security/ima/policy",
    "/sys/kernel/uevent_helper",
    "/sys/firmware/efi/efivars/",
    "/sys/fs/cgroup/release_agent",
];

/// Real paths, files before directories, shallow before deep, each group
/// in inventory order.
fn known_paths() -> &'static [&'static str] {
    static PATHS: OnceLock<Vec<&'static str>> = OnceLock::new();
    PATHS.get_or_init(|| {
        let lines = PROC_SYS.lines().chain(PROC.lines()).map(str::trim);
        let mut paths: Vec<&str> = lines
            .filter(|line| line.starts_with('/'))
            .chain(OTHERS.iter().copied())
            .collect();
        paths.sort_by_key(|path| (path.ends_with('/'), path.matches('/').count()));
        paths.dedup();
        paths
    })
}

/// Whether `path` is one of the real paths examples are first taken from.
pub fn is_known(path: &str) -> bool {
    known_paths().contains(&path)
}

/// Up to `count` paths of `set`, each as text: real ones when the set
/// holds some, varied (one per directory and first letter of the name
/// before any second one), else the shortest, files first.
pub fn examples(set: &Dfa<bool>, count: usize) -> Vec<String> {
    PathQuery::new().with(set, true).examples(count)
}

/// The strings that do not end in `/` (nor hold a NUL): paths of files
/// rather than directories.
pub fn files() -> &'static Dfa<bool> {
    static FILES: OnceLock<Dfa<bool>> = OnceLock::new();
    FILES.get_or_init(|| {
        let any = ByteSet::single(0).complement();
        let mut excluded = ByteSet::single(b'/');
        excluded.insert(0);
        let last = Ir::Class(excluded.complement());
        let ir = Ir::Concat(vec![Ir::Star(Box::new(Ir::Class(any))), last]);
        dfa::from_ir(&ir, &Limits::default()).expect("a small fixed automaton")
    })
}

/// Up to `count` of `paths`, first those whose directory and first letter
/// of the name no earlier pick shares, then the rest in order.
fn varied(paths: &[&str], count: usize) -> Vec<String> {
    let key = |path: &str| {
        let trimmed = path.trim_end_matches('/');
        let cut = trimmed.rfind('/').map_or(0, |slash| slash + 1);
        trimmed[..cut.min(trimmed.len())].to_string() + trimmed.get(cut..cut + 1).unwrap_or("")
    };
    let mut seen = std::collections::HashSet::new();
    let (mut picked, mut rest): (Vec<&str>, Vec<&str>) = (Vec::new(), Vec::new());
    for &path in paths {
        if seen.insert(key(path)) {
            picked.push(path);
        } else {
            rest.push(path);
        }
    }
    picked.extend(rest);
    picked.into_iter().take(count).map(str::to_string).collect()
}

/// A path as text, bytes outside printable ASCII escaped as `\xNN`.
pub fn display(path: &[u8]) -> String {
    let mut text = String::new();
    for &byte in path {
        if byte.is_ascii_graphic() {
            text.push(byte as char);
        } else {
            text.push_str(&format!("\\x{byte:02x}"));
        }
    }
    text
}

/// Paths as a list for a message: `` `a`, `b` and `c` ``.
pub fn listed(paths: &[String]) -> String {
    let quoted: Vec<String> = paths.iter().map(|path| format!("`{path}`")).collect();
    match quoted.split_last() {
        None => String::new(),
        Some((last, [])) => last.clone(),
        Some((last, rest)) => format!("{} and {last}", rest.join(", ")),
    }
}

/// A conjunction of path sets, each wanted in or out: "in the rule's
/// pattern, in the writable region, not in the deny rules' paths".
///
/// Asking a query its examples walks the product of its automata on the
/// fly, breadth first, and never enters a tuple of states from which no
/// path can satisfy every term. That keeps a question about one small
/// pattern and one large region as cheap as the pattern, where building
/// the product automaton would visit the whole region.
pub struct PathQuery<'d> {
    terms: Vec<(&'d Dfa<bool>, bool)>,
    /// For each term, its [`can_reach`] when the caller had it cached.
    reach: Vec<Option<&'d [bool]>>,
    /// For kept terms, a string of the term ([`Paths::sample`]).
    samples: Vec<&'d [u8]>,
}

/// A path set kept for many queries, with what each query would otherwise
/// recompute: for each state, whether a path in (or out of) the set is
/// still reachable from it.
pub struct Paths {
    pub dfa: Dfa<bool>,
    reach: [OnceLock<Vec<bool>>; 2],
    samples: [OnceLock<Option<Vec<u8>>>; 2],
}

impl Paths {
    pub fn new(dfa: Dfa<bool>) -> Paths {
        Paths {
            dfa,
            reach: [OnceLock::new(), OnceLock::new()],
            samples: [OnceLock::new(), OnceLock::new()],
        }
    }

    fn reach(&self, wanted: bool) -> &[bool] {
        self.reach[wanted as usize].get_or_init(|| can_reach(&self.dfa, wanted))
    }

    /// A shortest string in the set (`wanted` true) or out of it.
    fn sample(&self, wanted: bool) -> Option<&[u8]> {
        let sample = self.samples[wanted as usize].get_or_init(|| shortest_to(&self.dfa, wanted));
        sample.as_deref()
    }
}

impl std::ops::Deref for Paths {
    type Target = Dfa<bool>;

    fn deref(&self) -> &Dfa<bool> {
        &self.dfa
    }
}

/// Tuples of states a query visits at most before it gives up.
const MAX_VISITED: usize = 200_000;

impl<'d> PathQuery<'d> {
    pub fn new() -> PathQuery<'d> {
        PathQuery {
            terms: Vec::new(),
            reach: Vec::new(),
            samples: Vec::new(),
        }
    }

    /// The query with one more term: paths in `set` (`wanted` true) or
    /// not in it (`wanted` false).
    pub fn with(mut self, set: &'d Dfa<bool>, wanted: bool) -> PathQuery<'d> {
        self.terms.push((set, wanted));
        self.reach.push(None);
        self
    }

    /// [`PathQuery::with`] for a kept set, whose reachability is computed
    /// once for all queries.
    pub fn with_kept(mut self, set: &'d Paths, wanted: bool) -> PathQuery<'d> {
        self.terms.push((&set.dfa, wanted));
        self.reach.push(Some(set.reach(wanted)));
        self.samples.extend(set.sample(wanted));
        self
    }

    fn holds(&self, path: &[u8]) -> bool {
        self.terms
            .iter()
            .all(|(set, wanted)| set.classify(path) == wanted)
    }

    /// Whether no path satisfies every term (also `true` in the unlikely
    /// case that the walk gives up, which is logged).
    pub fn is_empty(&self) -> bool {
        // When the walk cannot give up, its answer is exact, and a sample
        // of one term that satisfies the others answers as well.
        if self.tuples() <= MAX_VISITED && self.samples.iter().any(|path| self.holds(path)) {
            return false;
        }
        self.shortest(1).is_empty()
    }

    /// How many tuples of states the terms have (saturating).
    fn tuples(&self) -> usize {
        let sizes = self.terms.iter().map(|(set, _)| set.state_count());
        sizes.fold(1, usize::saturating_mul)
    }

    /// Up to `count` paths satisfying every term: real ones when there are
    /// some (varied, see [`examples`]), else the shortest, files first.
    pub fn examples(&self, count: usize) -> Vec<String> {
        let real: Vec<&str> = known_paths()
            .iter()
            .copied()
            .filter(|path| self.holds(path.as_bytes()))
            .collect();
        if !real.is_empty() {
            return varied(&real, count);
        }
        let same = PathQuery {
            terms: self.terms.clone(),
            reach: self.reach.clone(),
            samples: self.samples.clone(),
        };
        let mut found = same.with(files(), true).shortest(count);
        if found.is_empty() {
            found = self.shortest(count);
        }
        found.iter().map(|path| display(path)).collect()
    }

    /// Up to `count` short paths, by a pruned breadth-first walk. A tuple
    /// of states is entered at most `count` times, so that paths which
    /// meet early still give distinct witnesses.
    pub fn shortest(&self, count: usize) -> Vec<Vec<u8>> {
        let computed: Vec<Option<Vec<bool>>> = self
            .terms
            .iter()
            .zip(&self.reach)
            .map(|((set, wanted), kept)| kept.is_none().then(|| can_reach(set, *wanted)))
            .collect();
        let alive: Vec<&[bool]> = computed
            .iter()
            .zip(&self.reach)
            .map(|(computed, kept)| kept.unwrap_or_else(|| computed.as_deref().unwrap_or(&[])))
            .collect();
        let start: Vec<u32> = self.terms.iter().map(|(set, _)| set.start()).collect();
        let is_alive = |states: &[u32]| states.iter().zip(&alive).all(|(&s, a)| a[s as usize]);
        if !is_alive(&start) {
            return Vec::new();
        }
        let mut walk = Walk::new(self, &start);
        if walk.accepts(&start) {
            walk.found.push(Vec::new());
        }
        walk.run(count, &joint_steps(&self.terms), is_alive);
        let mut found = walk.found;
        found.sort_by_key(Vec::len);
        found
    }
}

/// The breadth-first walk of [`PathQuery::shortest`]. Each entered tuple
/// is a node that keeps its states and the step that reached it, so that
/// paths are spelled out only for the ones found.
struct Walk<'q, 'd> {
    query: &'q PathQuery<'d>,
    /// The states of node `n` are `states[n * width..(n + 1) * width]`.
    states: Vec<u32>,
    /// The node each node was reached from, and the byte of that step.
    parents: Vec<(u32, u8)>,
    visits: Visits,
    found: Vec<Vec<u8>>,
}

impl<'q, 'd> Walk<'q, 'd> {
    fn new(query: &'q PathQuery<'d>, start: &[u32]) -> Walk<'q, 'd> {
        let mut visits = Visits::new(start.len());
        *visits.entry(start) = 1;
        Walk {
            query,
            states: start.to_vec(),
            parents: vec![(u32::MAX, 0)],
            visits,
            found: Vec::new(),
        }
    }

    fn accepts(&self, states: &[u32]) -> bool {
        let mut labels = states.iter().zip(&self.query.terms);
        labels.all(|(&state, (set, wanted))| set.label(state) == wanted)
    }

    /// The path of `node`, then `byte`.
    fn path(&self, node: usize, byte: u8) -> Vec<u8> {
        let mut path = vec![byte];
        let mut at = node;
        while self.parents[at].0 != u32::MAX {
            path.push(self.parents[at].1);
            at = self.parents[at].0 as usize;
        }
        path.reverse();
        path
    }

    fn run(&mut self, count: usize, steps: &[u8], is_alive: impl Fn(&[u32]) -> bool) {
        let width = self.query.terms.len();
        let mut next = vec![0; width];
        let mut queue = std::collections::VecDeque::from([0usize]);
        while let Some(node) = queue.pop_front() {
            if self.found.len() >= count {
                break;
            }
            for byte in steps {
                let states = &self.states[node * width..(node + 1) * width];
                for (index, (set, _)) in self.query.terms.iter().enumerate() {
                    next[index] = set.next(states[index], *byte);
                }
                if !is_alive(&next) {
                    continue;
                }
                if self.accepts(&next) && self.found.len() < count {
                    let found = self.path(node, *byte);
                    self.found.push(found);
                }
                let visited = self.visits.entry(&next);
                if *visited as usize >= count {
                    continue;
                }
                *visited += 1;
                if self.visits.len() > MAX_VISITED {
                    log::warn!("path query gave up after {MAX_VISITED} states");
                    break;
                }
                queue.push_back(self.parents.len());
                self.parents.push((node as u32, *byte));
                self.states.extend_from_slice(&next);
            }
        }
    }
}

/// How often each tuple of states was entered. Tuples of up to four
/// states are packed into one number, which hashes without allocating.
enum Visits {
    Packed(FastMap<u128, u32>),
    Wide(FastMap<Vec<u32>, u32>),
}

impl Visits {
    /// The counts for tuples of `width` states.
    fn new(width: usize) -> Visits {
        if width <= 4 {
            Visits::Packed(FastMap::default())
        } else {
            Visits::Wide(FastMap::default())
        }
    }

    fn entry(&mut self, states: &[u32]) -> &mut u32 {
        match self {
            Visits::Packed(packed) => {
                let key = states
                    .iter()
                    .fold(0u128, |key, &state| key << 32 | state as u128);
                packed.entry(key).or_insert(0)
            }
            Visits::Wide(wide) => wide.entry(states.to_vec()).or_insert(0),
        }
    }

    fn len(&self) -> usize {
        match self {
            Visits::Packed(packed) => packed.len(),
            Visits::Wide(wide) => wide.len(),
        }
    }
}

impl Default for PathQuery<'_> {
    fn default() -> Self {
        PathQuery::new()
    }
}

/// For each state of `set`, whether some string leads from it to a state
/// labelled `wanted`.
fn can_reach(set: &Dfa<bool>, wanted: bool) -> Vec<bool> {
    let classes = set.classes().count();
    let mut reverse = vec![Vec::new(); set.state_count()];
    for state in 0..set.state_count() as u32 {
        for class in 0..classes {
            reverse[set.next_by_class(state, class) as usize].push(state);
        }
    }
    let mut alive = vec![false; set.state_count()];
    let mut stack: Vec<u32> = (0..set.state_count() as u32)
        .filter(|&state| *set.label(state) == wanted)
        .collect();
    for &state in &stack {
        alive[state as usize] = true;
    }
    while let Some(state) = stack.pop() {
        for &source in &reverse[state as usize] {
            if !alive[source as usize] {
                alive[source as usize] = true;
                stack.push(source);
            }
        }
    }
    alive
}

/// Every byte, most readable first ([`ops::readable_order`]).
fn readable_bytes() -> &'static [u8; 256] {
    static BYTES: OnceLock<[u8; 256]> = OnceLock::new();
    BYTES.get_or_init(|| {
        let mut bytes = [0u8; 256];
        for (slot, byte) in bytes.iter_mut().zip(0..=255u8) {
            *slot = byte;
        }
        bytes.sort_by_key(|&byte| ops::readable_order(byte));
        bytes
    })
}

/// A shortest string leading to a state of `set` labelled `wanted`, by a
/// breadth-first search from the start.
fn shortest_to(set: &Dfa<bool>, wanted: bool) -> Option<Vec<u8>> {
    let members = set.classes().members();
    let mut parent = vec![None; set.state_count()];
    parent[set.start() as usize] = Some((set.start(), 0));
    let mut queue = std::collections::VecDeque::from([set.start()]);
    while let Some(state) = queue.pop_front() {
        if *set.label(state) == wanted {
            let mut path = Vec::new();
            let mut at = state;
            while at != set.start() {
                let (from, byte) = parent[at as usize].expect("a visited state");
                path.push(byte);
                at = from;
            }
            path.reverse();
            return Some(path);
        }
        for (class, bytes) in members.iter().enumerate() {
            let next = set.next_by_class(state, class);
            if parent[next as usize].is_none() {
                parent[next as usize] = Some((state, bytes[0]));
                queue.push_back(next);
            }
        }
    }
    None
}

/// One step per distinct tuple of byte classes of the terms: the most
/// readable byte of that tuple, most readable first.
fn joint_steps(terms: &[(&Dfa<bool>, bool)]) -> Vec<u8> {
    // Bytes with the same tuple of classes get the same number: the
    // tuples are numbered one term at a time, as pairs (tuple so far,
    // class of the next term).
    let mut tuple = [0usize; 256];
    let mut tuples = 1;
    for (set, _) in terms {
        let classes = set.classes();
        let mut number = vec![usize::MAX; tuples * classes.count()];
        let mut next = 0;
        for byte in 0..=255u8 {
            let slot = &mut number[tuple[byte as usize] * classes.count() + classes.class(byte)];
            if *slot == usize::MAX {
                *slot = next;
                next += 1;
            }
            tuple[byte as usize] = *slot;
        }
        tuples = next;
    }
    let mut seen = vec![false; tuples];
    let mut steps = Vec::new();
    for &byte in readable_bytes() {
        if !std::mem::replace(&mut seen[tuple[byte as usize]], true) {
            steps.push(byte);
        }
    }
    steps
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compile::pattern;

    fn set(text: &str) -> Dfa<bool> {
        let limits = Limits::default();
        dfa::from_ir(&pattern::parse(text, &limits).unwrap().ir, &limits).unwrap()
    }

    #[test]
    fn prefers_real_shallow_files() {
        let cases: &[(&str, &[&str])] = &[
            ("/proc/sys/kernel/osr*", &["/proc/sys/kernel/osrelease"]),
            ("/proc/kc*", &["/proc/kcore"]),
            ("/nowhere/?", &["/nowhere/a", "/nowhere/e"]),
            (
                "/proc/sys/kernel/shmm*",
                &["/proc/sys/kernel/shmmax", "/proc/sys/kernel/shmmni"],
            ),
        ];
        for (pattern, expected) in cases {
            assert_eq!(examples(&set(pattern), 2), *expected, "{pattern}");
        }
    }

    #[test]
    fn finds_long_witnesses_among_many_classes() {
        let many = set("/etc/a/[0-9a-zA-Z]*.conf");
        assert_eq!(examples(&many, 2), ["/etc/a/a.conf", "/etc/a/b.conf"]);
        let (x, y) = (set("/x"), set("/y"));
        assert!(PathQuery::new().with(&x, true).with(&y, true).is_empty());
        let outside = PathQuery::new().with(&x, false).with(&y, false);
        assert_eq!(outside.shortest(1), [b"".to_vec()]);
        let files_only = PathQuery::new().with(&many, true).with(files(), false);
        assert!(files_only.is_empty());
    }

    #[test]
    fn walks_tuples_of_any_width() {
        let (any, conf, etc) = (set("/**"), set("/**.conf"), set("/etc/**"));
        let narrow = PathQuery::new().with(&conf, true).with(&etc, true);
        let cases: &[(usize, PathQuery)] = &[
            (2, PathQuery::new().with(&conf, true).with(&etc, true)),
            (
                5,
                narrow.with(&any, true).with(&any, true).with(files(), true),
            ),
        ];
        for (width, query) in cases {
            let found = query.shortest(3);
            assert_eq!(found.len(), 3, "{width} terms");
            assert!(found.iter().all(|path| path.starts_with(b"/etc/")));
            assert_eq!(found[0], b"/etc/.conf".to_vec(), "{width} terms");
        }
    }

    #[test]
    fn lists_and_escapes() {
        let paths = |list: &[&str]| list.iter().map(|p| p.to_string()).collect::<Vec<_>>();
        assert_eq!(listed(&paths(&["/a"])), "`/a`");
        assert_eq!(listed(&paths(&["/a", "/b", "/c"])), "`/a`, `/b` and `/c`");
        assert_eq!(display(b"/a b\x01"), "/a\\x20b\\x01");
    }
}
