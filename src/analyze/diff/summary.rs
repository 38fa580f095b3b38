//! Summary patterns with byte classes: the summariser of `diff`, built on
//! [`crate::analyze::witness`] (inventory, witnesses, set size, pattern
//! automata), which `prove` shares.
//!
//! [`describe`] is `witness::describe` with its summary replaced by one
//! whose patterns may hold byte classes: each generalised pattern has the
//! bytes of its last name (and of a short directory name above it)
//! widened, one position at a time, to every byte class the set allows, so
//! that a region such as "names whose first three bytes are not `s`, `h`,
//! `m`" reads `[^s/][^h/][^m/]*` rather than eight of its members. Every
//! pattern is still compiled and checked, on the automata, to match no
//! path of the universe outside the set, and drops out when a later one
//! covers it.
//!
//! FIXME: two summarisers exist, `witness::summarize` and this one; the
//! widening (`widen`, `Simulation`, `Candidate`) belongs in
//! `witness::generalize`, after which this file goes and `prove` gets the
//! same summaries.

use crate::analyze::witness::{
    self, Inventory, PatternSetError, SetDescription, difference, escape, intersection, is_empty,
    pattern_set, union,
};
use crate::compile::byteset::ByteSet;
use crate::compile::{CompileError, Dfa, Limits};

/// Most patterns in one summary.
pub const MAX_SUMMARY_PATTERNS: usize = witness::MAX_SUMMARY_PATTERNS;

/// Describes `set`, a subset of `universe`, as `witness::describe` does,
/// with the summary of this module.
pub fn describe(
    set: &Dfa<bool>,
    universe: &Dfa<bool>,
    inventory: &Inventory,
    limits: &Limits,
) -> Result<SetDescription, CompileError> {
    let mut description = witness::describe(set, universe, inventory, limits)?;
    let real: Vec<&[u8]> = inventory.members(set).collect();
    let (summary, complete) = summarize(set, universe, &real, limits)?;
    description.summary = summary;
    description.summary_complete = complete;
    Ok(description)
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
/// matches no path `outside` the set, with the bytes of its name widened
/// to classes as far as the set allows (see [`widen`]); `None` only when
/// even the literal path cannot be written as a pattern.
fn generalize(
    path: &[u8],
    outside: &Dfa<bool>,
    limits: &Limits,
) -> Result<Option<(String, Dfa<bool>)>, CompileError> {
    for candidate in candidate_parts(path) {
        let Some(dfa) = inside(&candidate.text(), outside, limits)? else {
            continue;
        };
        if !*dfa.classify(path) {
            continue;
        }
        let widened = widen(candidate.clone(), outside, limits)?;
        return Ok(Some(match widened {
            Some(found) => found,
            None => (candidate.text(), dfa),
        }));
    }
    Ok(None)
}

/// The automaton of `pattern` when it is valid and matches no path
/// `outside` the set.
fn inside(
    pattern: &str,
    outside: &Dfa<bool>,
    limits: &Limits,
) -> Result<Option<Dfa<bool>>, CompileError> {
    let dfa = match pattern_set(pattern, limits) {
        Ok(dfa) => dfa,
        Err(PatternSetError::Compile(error)) => return Err(error),
        Err(PatternSetError::Pattern(_)) => return Ok(None),
    };
    let inside = is_empty(&intersection(&dfa, outside, limits)?);
    Ok(inside.then_some(dfa))
}

/// Bounds on the candidates of one path, so that a hostile inventory
/// path (thousands of components, a huge name) costs bounded work: the
/// outermost ancestors, and the shortest name prefixes, are tried.
const MAX_ANCESTOR_CANDIDATES: usize = 32;
const MAX_PREFIX_CANDIDATES: usize = 64;

/// Names longer than this keep their literal bytes: widening costs one
/// walk of the automaton per byte class and position.
const MAX_WIDENED_BYTES: usize = 8;
/// A directory name at most this long widens with the name below it.
const MAX_WIDENED_DIRECTORY: usize = 2;

/// Widens each byte of the candidate's name, left to right, to every byte
/// class (of the automaton of `outside`) it can take with the other bytes
/// fixed, so that `ngr*` becomes `n[^h/][^m/]*` when the set holds all of
/// those names. Trials run on the automaton of `outside` directly (see
/// [`Simulation`]); the widened pattern is then compiled and checked like
/// every other. `None` when nothing widens or the check fails.
fn widen(
    mut candidate: Candidate,
    outside: &Dfa<bool>,
    limits: &Limits,
) -> Result<Option<(String, Dfa<bool>)>, CompileError> {
    let Some(head) = candidate.head_bytes.clone() else {
        return Ok(None);
    };
    if candidate.atoms.is_empty() || candidate.atoms.len() > MAX_WIDENED_BYTES {
        return Ok(None);
    }
    let simulation = Simulation::new(outside);
    let mut widened_any = false;
    for position in 0..candidate.atoms.len() {
        if candidate.atoms[position] == ByteSet::single(b'/') {
            continue;
        }
        let mut widened = candidate.atoms[position];
        for class in &simulation.name_classes {
            if class.iter().all(|byte| widened.contains(byte)) {
                continue;
            }
            let mut trial = candidate.atoms.clone();
            trial[position] = *class;
            if simulation.inside(&head, &trial, candidate.star, candidate.tail) {
                widened = set_of(widened.iter().chain(class.iter()));
                widened_any = true;
            }
        }
        candidate.atoms[position] = shortest_with_or_without_dot(widened);
    }
    if !widened_any {
        return Ok(None);
    }
    let text = candidate.text();
    Ok(inside(&text, outside, limits)?.map(|dfa| (text, dfa)))
}

/// Runs a name candidate on the automaton of the paths outside the set,
/// reading `*` as any run of bytes but `/` and `{,**}` as anything: a
/// superset of what the pattern matches, so that "no path outside" here
/// implies it for the pattern.
struct Simulation<'d> {
    outside: &'d Dfa<bool>,
    /// For each state, whether a string from it reaches an accepting one.
    live: Vec<bool>,
    /// The byte classes of the automaton, without `/` and NUL.
    name_classes: Vec<ByteSet>,
    /// The bytes of each class, with the class index.
    class_bytes: Vec<(usize, Vec<u8>)>,
}

impl<'d> Simulation<'d> {
    fn new(outside: &'d Dfa<bool>) -> Simulation<'d> {
        let class_bytes: Vec<(usize, Vec<u8>)> = outside
            .classes()
            .members()
            .into_iter()
            .enumerate()
            .collect();
        let name_classes = class_bytes
            .iter()
            .map(|(_, bytes)| set_of(bytes.iter().copied().filter(|&b| b != b'/' && b != 0)))
            .filter(|class| !class.is_empty())
            .collect();
        Simulation {
            outside,
            live: live_states(outside),
            name_classes,
            class_bytes,
        }
    }

    fn inside(&self, head: &[u8], atoms: &[ByteSet], star: bool, tail: &str) -> bool {
        let mut states = vec![self.outside.run(head)];
        for atom in atoms {
            states = self.step_set(&states, |byte| atom.contains(byte));
        }
        if star {
            states = self.name_closure(states);
        }
        let accepting = |states: &[u32]| states.iter().any(|&s| *self.outside.label(s));
        match tail {
            "" => !accepting(&states),
            "/" => !accepting(&self.step_slash(&states)),
            _ => !self
                .step_slash(&states)
                .iter()
                .any(|&s| self.live[s as usize]),
        }
    }

    /// The states reached from `states` by one byte satisfying `wanted`.
    fn step_set(&self, states: &[u32], wanted: impl Fn(u8) -> bool) -> Vec<u32> {
        let mut next = Vec::new();
        for &state in states {
            for (class, bytes) in &self.class_bytes {
                if bytes.iter().any(|&b| wanted(b)) {
                    next.push(self.outside.next_by_class(state, *class));
                }
            }
        }
        next.sort_unstable();
        next.dedup();
        next
    }

    fn step_slash(&self, states: &[u32]) -> Vec<u32> {
        states.iter().map(|&s| self.outside.next(s, b'/')).collect()
    }

    /// Every state reached from `states` by bytes other than `/` and NUL.
    fn name_closure(&self, mut states: Vec<u32>) -> Vec<u32> {
        let mut seen = vec![false; self.outside.state_count()];
        for &state in &states {
            seen[state as usize] = true;
        }
        let mut index = 0;
        while index < states.len() {
            let name_byte = |byte: u8| byte != b'/' && byte != 0;
            for next in self.step_set(&states[index..=index], name_byte) {
                if !seen[next as usize] {
                    seen[next as usize] = true;
                    states.push(next);
                }
            }
            index += 1;
        }
        states
    }
}

/// For each state, whether some string leads from it to an accepting
/// state.
fn live_states(dfa: &Dfa<bool>) -> Vec<bool> {
    let mut reverse: Vec<Vec<u32>> = vec![Vec::new(); dfa.state_count()];
    for state in 0..dfa.state_count() as u32 {
        for class in 0..dfa.classes().count() {
            reverse[dfa.next_by_class(state, class) as usize].push(state);
        }
    }
    let mut live: Vec<bool> = (0..dfa.state_count() as u32)
        .map(|s| *dfa.label(s))
        .collect();
    let mut stack: Vec<u32> = (0..dfa.state_count() as u32)
        .filter(|&s| live[s as usize])
        .collect();
    while let Some(state) = stack.pop() {
        for &before in &reverse[state as usize] {
            if !live[before as usize] {
                live[before as usize] = true;
                stack.push(before);
            }
        }
    }
    live
}

/// `atom`, or `atom` without `.` when that reads shorter. A name that is
/// `.` is no path, so `.` often widens a class only on paths that do not
/// exist; dropping it keeps `[.n]` from being shown for `n`.
fn shortest_with_or_without_dot(atom: ByteSet) -> ByteSet {
    let without = set_of(atom.iter().filter(|&byte| byte != b'.'));
    let shorter = atom_text(without).len() < atom_text(atom).len();
    if shorter && !without.is_empty() {
        without
    } else {
        atom
    }
}

fn set_of(bytes: impl IntoIterator<Item = u8>) -> ByteSet {
    let mut set = ByteSet::empty();
    for byte in bytes {
        set.insert(byte);
    }
    set
}

/// A candidate pattern in parts, so that the bytes of its name can be
/// widened: `head`, then one byte of each set in `atoms`, then `*` when
/// `star`, then `tail`.
#[derive(Clone, Debug)]
struct Candidate {
    /// Pattern text: the directory of the name, or a whole pattern.
    head: String,
    /// The directory's bytes, for a name candidate.
    head_bytes: Option<Vec<u8>>,
    atoms: Vec<ByteSet>,
    star: bool,
    /// `""`, `/` or `/{,**}`.
    tail: &'static str,
}

impl Candidate {
    fn whole(text: String) -> Candidate {
        Candidate {
            head: text,
            head_bytes: None,
            atoms: Vec::new(),
            star: false,
            tail: "",
        }
    }

    fn text(&self) -> String {
        let mut text = self.head.clone();
        for atom in &self.atoms {
            text.push_str(&atom_text(*atom));
        }
        if self.star {
            text.push('*');
        }
        text.push_str(self.tail);
        text
    }
}

/// One byte of a pattern out of `set` (which never holds `/` or NUL):
/// the byte itself, `?` for every byte a name may hold, else a class,
/// negated when that is shorter (and then excluding `/`).
fn atom_text(set: ByteSet) -> String {
    let name_bytes = set_of((1..=255u8).filter(|&b| b != b'/'));
    if set.len() == 1 {
        let byte = set.iter().next().expect("one byte");
        return escape(&[byte]);
    }
    if set == name_bytes {
        return "?".to_string();
    }
    let excluded = set_of(name_bytes.iter().filter(|&b| !set.contains(b)));
    if excluded.len() < set.len() {
        format!("[^{}/]", class_body(excluded))
    } else {
        format!("[{}]", class_body(set))
    }
}

/// The inside of a `[...]` class holding `set`: runs of three or more
/// bytes as ranges, `]`, `\`, `^`, `-` and `[` escaped, bytes outside
/// printable ASCII as `\xNN`.
fn class_body(set: ByteSet) -> String {
    let bytes: Vec<u8> = set.iter().collect();
    let mut out = String::new();
    let mut index = 0;
    while index < bytes.len() {
        let mut end = index;
        while end + 1 < bytes.len() && bytes[end + 1] == bytes[end] + 1 {
            end += 1;
        }
        if end - index >= 2 {
            out.push_str(&format!(
                "{}-{}",
                class_byte(bytes[index]),
                class_byte(bytes[end])
            ));
        } else {
            for &byte in &bytes[index..=end] {
                out.push_str(&class_byte(byte));
            }
        }
        index = end + 1;
    }
    out
}

fn class_byte(byte: u8) -> String {
    match byte {
        b']' | b'\\' | b'^' | b'-' | b'[' => format!("\\{}", byte as char),
        b'!'..=b'~' => (byte as char).to_string(),
        _ => format!("\\x{byte:02x}"),
    }
}

/// The candidates of [`candidates`], in parts.
fn candidate_parts(path: &[u8]) -> Vec<Candidate> {
    let (name_part, tail) = match path.strip_suffix(b"/") {
        Some(stripped) if !stripped.is_empty() => (stripped, "/"),
        _ => (path, ""),
    };
    let Some(last_slash) = name_part.iter().rposition(|&b| b == b'/') else {
        return vec![Candidate::whole(escape(path))];
    };
    let (parent, name) = name_part.split_at(last_slash + 1);
    let mut out = Vec::new();
    let ends = parent.iter().enumerate().filter(|(_, b)| **b == b'/');
    for (index, _) in ends.skip(1).take(MAX_ANCESTOR_CANDIDATES) {
        let ancestor = escape(&parent[..=index]);
        out.push(Candidate::whole(format!("{ancestor}{{,**}}")));
        out.push(Candidate::whole(format!("{ancestor}**")));
    }
    // A short directory name joins the name's bytes, so that it widens
    // with them (`a/m*` to `[^n/]/m*`).
    let (head_bytes, lead) = match parent[..parent.len() - 1].iter().rposition(|&b| b == b'/') {
        Some(start) if parent.len() - start - 2 <= MAX_WIDENED_DIRECTORY => {
            parent.split_at(start + 1)
        }
        _ => (parent, &b""[..]),
    };
    let head = escape(head_bytes);
    let name_forms = |tail: &'static str| -> Vec<Candidate> {
        let longest = name.len().min(MAX_PREFIX_CANDIDATES);
        let prefixes = (0..=longest).map(|end| (&name[..end], true));
        let forms = prefixes.chain([(name, false)]);
        let each = forms.map(|(bytes, star)| Candidate {
            head: head.clone(),
            head_bytes: Some(head_bytes.to_vec()),
            atoms: lead
                .iter()
                .chain(bytes)
                .map(|&b| ByteSet::single(b))
                .collect(),
            star,
            tail,
        });
        each.collect()
    };
    if tail == "/" {
        out.extend(name_forms("/{,**}"));
    }
    out.extend(name_forms(tail));
    out
}

/// Patterns matching `path`, most general first: for each ancestor
/// directory `d/` below the root (outermost first) `d/{,**}` and `d/**`;
/// then in the path's own directory `p/`, for each prefix of the name
/// (shortest first, from the empty one to the whole name) `p/PREFIX*`, and
/// the literal path. For a directory path, the same names followed by
/// `/{,**}` (the directory and all below it) come first, and every
/// pattern keeps the trailing `/`.
pub fn candidates(path: &[u8]) -> Vec<String> {
    candidate_parts(path).iter().map(Candidate::text).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analyze::witness::path_universe;

    fn set(pattern: &str) -> Dfa<bool> {
        let limits = Limits::default();
        let dfa = pattern_set(pattern, &limits).unwrap();
        intersection(&dfa, &path_universe(&limits), &limits).unwrap()
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
        // A hostile path gets a bounded number of candidates.
        let deep = "/a".repeat(10_000);
        let long = format!("/a/{}", "x".repeat(100_000));
        for path in [deep, long] {
            let count = candidates(path.as_bytes()).len();
            assert!(count <= 2 * (MAX_ANCESTOR_CANDIDATES + MAX_PREFIX_CANDIDATES) + 4);
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
            // Bytes widen to classes.
            ("/t/[^s/]s*", &["/t/[^s/]s*"], true),
            ("/t/n[^h/][^m/]*", &["/t/n[^h/][^m/]*"], true),
            ("/t/{a,b,c}/x", &["/t/[a-c]/x"], true),
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
