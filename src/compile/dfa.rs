//! Labelled DFAs over bytes, and how to build one from an NFA.
//!
//! A [`Dfa<L>`] is total: every state has a transition for every byte, and
//! every state carries a label `L` (for the permission automaton an id of
//! the set of matching rules; for `prove` and `diff` often a `bool`).
//! Bytes that no pattern tells apart share a byte class, so the transition
//! table has one column per class, not per byte.
//!
//! Operations on automata (product, witnesses, minimisation) live in
//! [`super::ops`]; this module owns the representation and determinisation.

use crate::compile::byteset::ByteSet;
use std::hash::Hasher;

use crate::compile::hash::{FastHasher, FastMap, FastSet};
use crate::compile::nfa::{Nfa, NfaState, NfaStateId};
use crate::compile::{CompileError, Limits};

/// Index of a DFA state.
pub type StateId = u32;

/// A partition of the 256 byte values into classes that every automaton
/// built on it treats alike.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ByteClasses {
    class_of: [u16; 256],
    count: usize,
}

impl ByteClasses {
    /// The coarsest partition in which every set in `sets` is a union of
    /// classes.
    pub fn from_sets<'s>(sets: impl IntoIterator<Item = &'s ByteSet>) -> ByteClasses {
        let mut classes = ByteClasses {
            class_of: [0; 256],
            count: 1,
        };
        let mut seen = FastSet::default();
        for set in sets {
            if seen.insert(*set) {
                classes.refine(|byte| set.contains(byte));
            }
        }
        classes
    }

    /// Splits every class by `inside`. Classes are numbered in the order
    /// of their smallest byte, as before the split.
    pub fn refine(&mut self, inside: impl Fn(u8) -> bool) {
        // Two slots per old class: the new number of its bytes outside and
        // inside.
        let mut renumber = [u16::MAX; 512];
        let mut count = 0;
        for byte in 0..=255u8 {
            let slot = self.class_of[byte as usize] as usize * 2 + inside(byte) as usize;
            if renumber[slot] == u16::MAX {
                renumber[slot] = count;
                count += 1;
            }
            self.class_of[byte as usize] = renumber[slot];
        }
        self.count = count as usize;
    }

    /// The common refinement of two partitions, and for each of its
    /// classes the pair of classes (of `left`, of `right`) it lies in.
    /// Classes are numbered in the order of their smallest byte.
    pub fn joint(left: &ByteClasses, right: &ByteClasses) -> (ByteClasses, Vec<(usize, usize)>) {
        let mut number = vec![u16::MAX; left.count * right.count];
        let mut joint = ByteClasses {
            class_of: [0; 256],
            count: 0,
        };
        let mut pairs = Vec::new();
        for byte in 0..=255u8 {
            let pair = (left.class(byte), right.class(byte));
            let slot = &mut number[pair.0 * right.count + pair.1];
            if *slot == u16::MAX {
                *slot = pairs.len() as u16;
                pairs.push(pair);
            }
            joint.class_of[byte as usize] = *slot;
        }
        joint.count = pairs.len();
        (joint, pairs)
    }

    pub fn class(&self, byte: u8) -> usize {
        self.class_of[byte as usize] as usize
    }

    pub fn count(&self) -> usize {
        self.count
    }

    /// The bytes of each class, in byte order.
    pub fn members(&self) -> Vec<Vec<u8>> {
        let mut members = vec![Vec::new(); self.count];
        for byte in 0..=255u8 {
            members[self.class(byte)].push(byte);
        }
        members
    }

    /// One byte per class, chosen to read well in a witness path: a lower
    /// case letter if the class has one, else a digit, else other printable
    /// ASCII, else the smallest byte.
    pub fn representatives(&self) -> Vec<u8> {
        self.members()
            .iter()
            .map(|bytes| {
                let pick = |test: fn(&u8) -> bool| bytes.iter().copied().find(&test);
                pick(u8::is_ascii_lowercase)
                    .or_else(|| pick(u8::is_ascii_digit))
                    .or_else(|| pick(|b| b"._-".contains(b)))
                    .or_else(|| pick(u8::is_ascii_uppercase))
                    .or_else(|| pick(|b| b.is_ascii_graphic()))
                    .unwrap_or(bytes[0])
            })
            .collect()
    }
}

/// A total, labelled DFA over bytes.
#[derive(Clone, Debug)]
pub struct Dfa<L> {
    pub(crate) classes: ByteClasses,
    /// `transitions[state * classes.count() + class]`.
    pub(crate) transitions: Vec<StateId>,
    pub(crate) labels: Vec<L>,
    pub(crate) start: StateId,
}

impl<L> Dfa<L> {
    pub fn start(&self) -> StateId {
        self.start
    }

    pub fn state_count(&self) -> usize {
        self.labels.len()
    }

    pub fn classes(&self) -> &ByteClasses {
        &self.classes
    }

    pub fn label(&self, state: StateId) -> &L {
        &self.labels[state as usize]
    }

    pub fn next(&self, state: StateId, byte: u8) -> StateId {
        self.next_by_class(state, self.classes.class(byte))
    }

    pub fn next_by_class(&self, state: StateId, class: usize) -> StateId {
        self.transitions[state as usize * self.classes.count() + class]
    }

    /// The state reached from the start by `input`.
    pub fn run(&self, input: &[u8]) -> StateId {
        input
            .iter()
            .fold(self.start, |state, &byte| self.next(state, byte))
    }

    /// The label of the state reached by `input`.
    pub fn classify(&self, input: &[u8]) -> &L {
        self.label(self.run(input))
    }

    /// The same automaton with every label replaced by `f(label)`.
    pub fn map<M>(&self, f: impl FnMut(&L) -> M) -> Dfa<M> {
        Dfa {
            classes: self.classes.clone(),
            transitions: self.transitions.clone(),
            labels: self.labels.iter().map(f).collect(),
            start: self.start,
        }
    }
}

impl Dfa<bool> {
    /// The automaton accepting exactly the strings this one rejects.
    pub fn complement(&self) -> Dfa<bool> {
        self.map(|accepted| !accepted)
    }
}

/// Determinises `nfa` by the subset construction; each state's label is
/// `label(tags)` for the sorted, de-duplicated tags of the NFA match states
/// in it. Fails once more than `limits.max_dfa_states` states exist.
pub fn determinize<L>(
    nfa: &Nfa,
    limits: &Limits,
    mut label: impl FnMut(&[u32]) -> L,
) -> Result<Dfa<L>, CompileError> {
    let classes = ByteClasses::from_sets(nfa.states.iter().filter_map(|state| match state {
        NfaState::Byte { set, .. } => Some(set),
        _ => None,
    }));
    let moves = MoveClasses::new(nfa, &classes);
    let mut builder = SubsetBuilder {
        nfa,
        seen: vec![0; nfa.states.len()],
        seen_moves: vec![0; moves.sets.len()],
        groups_of: vec![Vec::new(); moves.sets.len()],
        smallest: Vec::new(),
        mark: 0,
        closed: Vec::new(),
        closures: Closures::new(nfa.states.len()),
        sets: SetTable::default(),
        steps: SetTable::default(),
        step_targets: Vec::new(),
        max_states: limits.max_dfa_states,
        stored: 0,
        max_stored: limits.max_dfa_states.saturating_mul(64).max(1 << 20),
    };
    builder.close(&[nfa.start]);
    let start = builder.intern()?;
    let mut transitions = Vec::new();
    let mut groups = Vec::new();
    let mut buckets = Vec::new();
    let mut targets = vec![0; classes.count()];
    let mut state = 0;
    while state < builder.sets.len() {
        // Classes on which the same NFA states of this DFA state move have
        // the same target; each group is computed once, in the order of
        // its first class, so states are numbered as class by class.
        builder.group_classes(state, &moves, classes.count(), &mut groups);
        builder.fill_buckets(state, &moves, &groups, &mut buckets);
        for (group, bucket) in groups.iter().zip(&mut buckets) {
            let target = builder.target(bucket)?;
            bucket.clear();
            group.members().for_each(|class| targets[class] = target);
        }
        transitions.extend_from_slice(&targets);
        state += 1;
    }
    let mut tags = Vec::new();
    let labels = (0..builder.sets.len())
        .map(|id| {
            nfa.tags_into(builder.sets.get(id), &mut tags);
            label(&tags)
        })
        .collect();
    Ok(Dfa {
        classes,
        transitions,
        labels,
        start,
    })
}

/// The classes each NFA state moves on, numbered so that a DFA state can
/// skip NFA states that move on the same classes as one already seen.
struct MoveClasses {
    /// For each NFA state, an index into `sets` (`u32::MAX` for a state
    /// that consumes no byte).
    of_state: Vec<u32>,
    /// The distinct sets of classes, each the classes of a byte set.
    sets: Vec<ClassSet>,
}

impl MoveClasses {
    fn new(nfa: &Nfa, classes: &ByteClasses) -> MoveClasses {
        let members = classes.members();
        let mut index: FastMap<ByteSet, u32> = FastMap::default();
        let mut sets = Vec::new();
        let mut of_state = Vec::with_capacity(nfa.states.len());
        for state in &nfa.states {
            let NfaState::Byte { set, .. } = state else {
                of_state.push(u32::MAX);
                continue;
            };
            let id = *index.entry(*set).or_insert_with(|| {
                let mut covered = ClassSet::default();
                for (class, bytes) in members.iter().enumerate() {
                    if set.contains(bytes[0]) {
                        covered.insert(class);
                    }
                }
                sets.push(covered);
                sets.len() as u32 - 1
            });
            of_state.push(id);
        }
        MoveClasses { of_state, sets }
    }
}

/// A set of byte class numbers (there are at most 256 classes).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct ClassSet([u64; 4]);

impl ClassSet {
    /// The classes `0..count`.
    fn first(count: usize) -> ClassSet {
        ClassSet(std::array::from_fn(|word| {
            let bits = count.saturating_sub(word * 64).min(64);
            if bits == 64 {
                u64::MAX
            } else {
                (1u64 << bits) - 1
            }
        }))
    }

    pub(crate) fn insert(&mut self, class: usize) {
        self.0[class / 64] |= 1 << (class % 64);
    }

    pub(crate) fn contains(&self, class: usize) -> bool {
        self.0[class / 64] & (1 << (class % 64)) != 0
    }

    pub(crate) fn union_with(&mut self, other: &ClassSet) {
        for (word, more) in self.0.iter_mut().zip(other.0) {
            *word |= more;
        }
    }

    fn intersection(&self, other: &ClassSet) -> ClassSet {
        ClassSet(std::array::from_fn(|word| self.0[word] & other.0[word]))
    }

    fn minus(&self, other: &ClassSet) -> ClassSet {
        ClassSet(std::array::from_fn(|word| self.0[word] & !other.0[word]))
    }

    fn is_empty(&self) -> bool {
        self.0 == [0; 4]
    }

    /// The smallest class in the set, or 256 when it is empty.
    fn smallest(&self) -> usize {
        let word = self.0.iter().position(|&word| word != 0);
        word.map_or(256, |word| {
            word * 64 + self.0[word].trailing_zeros() as usize
        })
    }

    /// The classes of the set, ascending.
    fn members(&self) -> impl Iterator<Item = usize> + '_ {
        self.0.iter().enumerate().flat_map(|(index, &word)| {
            let mut rest = word;
            std::iter::from_fn(move || {
                let bit = (rest != 0).then(|| rest.trailing_zeros() as usize)?;
                rest &= rest - 1;
                Some(index * 64 + bit)
            })
        })
    }
}

/// Sorted lists of NFA state ids, numbered in the order they were added,
/// stored end to end, and found again by their content.
#[derive(Default)]
struct SetTable {
    ids: Vec<NfaStateId>,
    /// List `i` is `ids[ends[i - 1]..ends[i]]` (from 0 for the first).
    ends: Vec<usize>,
    /// Each list's number by its hash; lists with the same hash are
    /// chained through `same_hash`.
    by_hash: FastMap<u64, u32>,
    same_hash: Vec<u32>,
}

impl SetTable {
    fn len(&self) -> usize {
        self.ends.len()
    }

    fn get(&self, index: usize) -> &[NfaStateId] {
        let start = index.checked_sub(1).map_or(0, |before| self.ends[before]);
        &self.ids[start..self.ends[index]]
    }

    fn hash(list: &[NfaStateId]) -> u64 {
        let mut hasher = FastHasher::default();
        hasher.write_usize(list.len());
        list.iter().for_each(|&id| hasher.write_u32(id));
        hasher.finish()
    }

    fn find(&self, list: &[NfaStateId], hash: u64) -> Option<u32> {
        let mut at = *self.by_hash.get(&hash)?;
        loop {
            if self.get(at as usize) == list {
                return Some(at);
            }
            at = self.same_hash[at as usize];
            if at == u32::MAX {
                return None;
            }
        }
    }

    /// Adds `list`, which the table does not hold, with the next number.
    fn push(&mut self, list: &[NfaStateId], hash: u64) -> u32 {
        let index = self.len() as u32;
        self.ids.extend_from_slice(list);
        self.ends.push(self.ids.len());
        let previous = self.by_hash.insert(hash, index);
        self.same_hash.push(previous.unwrap_or(u32::MAX));
        index
    }
}

/// The closure of each NFA state, stored end to end: DFA states are
/// unions of the closures of a few NFA states, most of them met many
/// times.
struct Closures {
    ids: Vec<NfaStateId>,
    /// `ids[..kept]` holds the kept closures, at most `max_kept` ids, so
    /// that memory stays linear in the NFA whatever its shape.
    kept: usize,
    max_kept: usize,
    range: Vec<Option<(usize, usize)>>,
    /// Work space of a walk.
    stack: Vec<NfaStateId>,
    seen: Vec<u32>,
    mark: u32,
}

impl Closures {
    fn new(states: usize) -> Closures {
        Closures {
            ids: Vec::new(),
            kept: 0,
            max_kept: states.saturating_mul(8).max(1 << 20),
            range: vec![None; states],
            stack: Vec::new(),
            seen: vec![0; states],
            mark: 0,
        }
    }

    /// Walks the closure of `id` onto the end of `ids` and returns its
    /// range; keeps it for later unless that would pass `max_kept`.
    fn walk(&mut self, nfa: &Nfa, id: NfaStateId) -> (usize, usize) {
        self.mark += 1;
        let start = self.ids.len();
        self.stack.clear();
        self.stack.push(id);
        while let Some(next) = self.stack.pop() {
            if self.seen[next as usize] == self.mark {
                continue;
            }
            self.seen[next as usize] = self.mark;
            match &nfa.states[next as usize] {
                NfaState::Split(targets) => self.stack.extend(targets.iter().rev()),
                _ => self.ids.push(next),
            }
        }
        let range = (start, self.ids.len());
        if self.ids.len() <= self.max_kept {
            self.range[id as usize] = Some(range);
            self.kept = self.ids.len();
        }
        range
    }

    /// Drops a closure that [`Closures::walk`] did not keep.
    fn forget_unkept(&mut self) {
        self.ids.truncate(self.kept);
    }
}

struct SubsetBuilder<'n> {
    nfa: &'n Nfa,
    /// Marks of NFA states (for closures) and of move sets (for
    /// grouping classes), equal to `mark` when seen in the current pass.
    seen: Vec<u32>,
    seen_moves: Vec<u32>,
    mark: u32,
    /// For each move set seen in the current DFA state, the groups of
    /// classes it moves on.
    groups_of: Vec<Vec<u32>>,
    /// The smallest class of each group of the current DFA state.
    smallest: Vec<usize>,
    /// The closure being built, and the closure of each NFA state.
    closed: Vec<NfaStateId>,
    closures: Closures,
    /// The NFA states of each DFA state.
    sets: SetTable,
    /// Targets before closure, numbered as the DFA state they close into
    /// (`step_targets`): most transitions repeat, and their target lists
    /// are short.
    steps: SetTable,
    step_targets: Vec<StateId>,
    max_states: usize,
    /// NFA state ids held by all DFA states, bounded to keep memory finite.
    stored: usize,
    max_stored: usize,
}

impl SubsetBuilder<'_> {
    /// Puts the closure of `from` into `self.closed`, sorted: the union of
    /// the closures of its states, each walked once and then kept (while
    /// the kept closures stay within their bound).
    fn close(&mut self, from: &[NfaStateId]) {
        self.mark += 1;
        self.closed.clear();
        for &id in from {
            let range = match self.closures.range[id as usize] {
                Some(range) => range,
                None => self.closures.walk(self.nfa, id),
            };
            for index in range.0..range.1 {
                let state = self.closures.ids[index];
                if self.seen[state as usize] != self.mark {
                    self.seen[state as usize] = self.mark;
                    self.closed.push(state);
                }
            }
            self.closures.forget_unkept();
        }
        self.closed.sort_unstable();
    }

    /// The DFA state that the NFA states `bucket` close into.
    fn target(&mut self, bucket: &mut Vec<NfaStateId>) -> Result<StateId, CompileError> {
        bucket.sort_unstable();
        bucket.dedup();
        let hash = SetTable::hash(bucket);
        if let Some(step) = self.steps.find(bucket, hash) {
            return Ok(self.step_targets[step as usize]);
        }
        self.close(bucket);
        let id = self.intern()?;
        self.stored += bucket.len();
        self.steps.push(bucket, hash);
        self.step_targets.push(id);
        Ok(id)
    }

    /// The DFA state of the NFA states in `self.closed`.
    fn intern(&mut self) -> Result<StateId, CompileError> {
        let hash = SetTable::hash(&self.closed);
        if let Some(id) = self.sets.find(&self.closed, hash) {
            return Ok(id);
        }
        if self.sets.len() >= self.max_states || self.stored > self.max_stored {
            return Err(CompileError::TooManyDfaStates {
                limit: self.max_states,
            });
        }
        self.stored += self.closed.len() * 2;
        Ok(self.sets.push(&self.closed, hash))
    }

    /// Splits the classes `0..count` into groups on which the same NFA
    /// states of DFA state `state` move, ordered by their smallest class.
    fn group_classes(
        &mut self,
        state: usize,
        moves: &MoveClasses,
        count: usize,
        groups: &mut Vec<ClassSet>,
    ) {
        groups.clear();
        groups.push(ClassSet::first(count));
        self.mark += 1;
        for &id in self.sets.get(state) {
            let set = moves.of_state[id as usize];
            if set == u32::MAX || self.seen_moves[set as usize] == self.mark {
                continue;
            }
            self.seen_moves[set as usize] = self.mark;
            let set = &moves.sets[set as usize];
            for index in 0..groups.len() {
                let inside = groups[index].intersection(set);
                if !inside.is_empty() && inside != groups[index] {
                    groups.push(groups[index].minus(set));
                    groups[index] = inside;
                }
            }
        }
        groups.sort_unstable_by_key(ClassSet::smallest);
    }

    /// Puts, for each group of classes, the targets of the NFA states of
    /// DFA state `state` on those classes into its bucket, in the order of
    /// the state. Every NFA state of it moves on all classes of a group or
    /// on none, so the group's smallest class decides.
    fn fill_buckets(
        &mut self,
        state: usize,
        moves: &MoveClasses,
        groups: &[ClassSet],
        buckets: &mut Vec<Vec<NfaStateId>>,
    ) {
        // Buckets are only added, never dropped, so that their space is
        // allocated once.
        if buckets.len() < groups.len() {
            buckets.resize_with(groups.len(), Vec::new);
        }
        self.smallest.clear();
        self.smallest.extend(groups.iter().map(ClassSet::smallest));
        let smallest = &self.smallest;
        self.mark += 1;
        for &id in self.sets.get(state) {
            let NfaState::Byte { next, .. } = self.nfa.states[id as usize] else {
                continue;
            };
            let set = moves.of_state[id as usize] as usize;
            if self.seen_moves[set] != self.mark {
                self.seen_moves[set] = self.mark;
                let contains = |&(_, &class): &(usize, &usize)| moves.sets[set].contains(class);
                let entered = smallest.iter().enumerate().filter(contains);
                self.groups_of[set].clear();
                self.groups_of[set].extend(entered.map(|(group, _)| group as u32));
            }
            for &group in &self.groups_of[set] {
                buckets[group as usize].push(next);
            }
        }
    }
}

impl Nfa {
    /// Puts the tags of the match states in `set` into `tags`, sorted and
    /// de-duplicated.
    fn tags_into(&self, set: &[NfaStateId], tags: &mut Vec<u32>) {
        tags.clear();
        tags.extend(set.iter().filter_map(|&id| match self.states[id as usize] {
            NfaState::Match(tag) => Some(tag),
            _ => None,
        }));
        tags.sort_unstable();
        tags.dedup();
    }
}

/// Builds the DFA of one IR whose label says whether the IR matches.
pub fn from_ir(
    ir: &crate::compile::pattern::Ir,
    limits: &Limits,
) -> Result<Dfa<bool>, CompileError> {
    let mut builder = crate::compile::nfa::NfaBuilder::new(limits);
    builder.add(ir, 0)?;
    let nfa = builder.finish()?;
    determinize(&nfa, limits, |tags| !tags.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compile::pattern;

    fn glob(pattern: &str) -> Dfa<bool> {
        let limits = Limits::default();
        from_ir(&pattern::parse(pattern, &limits).unwrap().ir, &limits).unwrap()
    }

    #[test]
    fn matches_globs_like_upstream() {
        let cases: &[(&str, &str, bool)] = &[
            ("/foo/*", "/foo/bar", true),
            ("/foo/*", "/foo/", false),
            ("/foo/*", "/foo/a/b", false),
            ("/foo/**", "/foo/a/b", true),
            ("/foo/**", "/foo/", false),
            ("/foo/**/bar", "/foo/bar", false),
            ("/foo/**/bar", "/foo/x/bar", true),
            ("/*bar", "/bar", true),
            ("/a/{,**}", "/a/", true),
            ("/a/{,**}", "/a/b/c", true),
            ("/t/a[^b]c", "/t/a/c", true),
            ("/a/?", "/a/b", true),
            ("/a/?", "/a//", false),
            ("/a/[*]", "/a/[^]", true),
            ("/a/[*]", "/a/*", false),
            ("/a/b+c", "/a/b+c", true),
            ("/a//b", "/a/b", true),
            ("/a//b", "/a//b", false),
            ("/a/", "/a", false),
            ("/a/{b,c{d,e}}", "/a/ce", true),
        ];
        for (pattern, path, expected) in cases {
            assert_eq!(
                *glob(pattern).classify(path.as_bytes()),
                *expected,
                "{pattern} on {path}"
            );
        }
    }

    #[test]
    fn refines_byte_classes_in_byte_order() {
        let set = |bytes: &[u8]| {
            let mut set = ByteSet::empty();
            bytes.iter().for_each(|&byte| set.insert(byte));
            set
        };
        let (slash, letters) = (set(b"/"), set(b"ab"));
        let left = ByteClasses::from_sets([&slash]);
        let right = ByteClasses::from_sets([&letters, &slash]);
        assert_eq!((left.count(), right.count()), (2, 3));
        let (joint, pairs) = ByteClasses::joint(&left, &right);
        assert_eq!(joint, right);
        assert_eq!(pairs, [(0, 0), (1, 1), (0, 2)]);
        let cases: &[(u8, usize)] = &[(0, 0), (b'/', 1), (b'a', 2), (b'b', 2), (b'c', 0)];
        for &(byte, class) in cases {
            assert_eq!(joint.class(byte), class, "byte {byte}");
        }
    }

    /// States are numbered in the order they are first reached, state by
    /// state and class by class, whatever groups of classes share a target.
    #[test]
    fn numbers_states_breadth_first_by_class() {
        let patterns = [
            "/a/[^b]*/c",
            "/{x,y}/**",
            "/proc/[0-9]*/attr/{,apparmor/}current",
        ];
        for pattern in patterns {
            let dfa = glob(pattern);
            let mut next_new = dfa.start() + 1;
            for &target in &dfa.transitions {
                assert!(target <= next_new, "{pattern}: state {target} too early");
                if target == next_new {
                    next_new += 1;
                }
            }
            assert_eq!(next_new as usize, dfa.state_count(), "{pattern}");
        }
    }

    /// Kept or not, a walked closure is the NFA's own closure of the state.
    #[test]
    fn walks_closures_within_their_bound() {
        let limits = Limits::default();
        let ir = pattern::parse("/a{,b{,c}}{x,**}", &limits).unwrap().ir;
        let mut builder = crate::compile::nfa::NfaBuilder::new(&limits);
        builder.add(&ir, 0).unwrap();
        let nfa = builder.finish().unwrap();
        for max_kept in [0, 1 << 20] {
            let mut closures = Closures::new(nfa.states.len());
            closures.max_kept = max_kept;
            let mut seen = vec![0; nfa.states.len()];
            for id in 0..nfa.states.len() as NfaStateId {
                let (start, end) = closures.walk(&nfa, id);
                let mut walked = closures.ids[start..end].to_vec();
                walked.sort_unstable();
                assert_eq!(walked, nfa.closure(&[id], &mut seen, id + 1), "state {id}");
                assert_eq!(closures.range[id as usize].is_some(), max_kept > 0);
                closures.forget_unkept();
            }
            assert_eq!(closures.ids.is_empty(), max_kept == 0);
        }
    }

    #[test]
    fn limits_the_state_count() {
        let limits = Limits {
            max_dfa_states: 50,
            ..Limits::default()
        };
        let ir = pattern::parse("/**a?????????", &limits).unwrap().ir;
        assert_eq!(
            from_ir(&ir, &limits).unwrap_err(),
            CompileError::TooManyDfaStates { limit: 50 }
        );
    }

    #[test]
    fn compiles_large_optional_runs_quickly() {
        let hex = "{[0-9a-f],}".repeat(64);
        let pattern = format!("/tmp/{hex}-{hex}/{hex}");
        let started = std::time::Instant::now();
        let dfa = glob(&pattern);
        assert!(dfa.state_count() < 1000, "{} states", dfa.state_count());
        assert!(*dfa.classify(b"/tmp/ab12-/f"));
        assert!(!*dfa.classify(b"/tmp/ab12-/g"));
        assert!(started.elapsed().as_secs() < 5);
    }
}

#[cfg(test)]
mod hostile_tests {
    use super::*;
    use crate::compile::pattern;

    /// Hostile patterns end quickly, either compiled or with a limit error.
    #[test]
    fn hostile_patterns_finish_quickly() {
        let hex = "{[0-9a-f],}".repeat(64);
        let nested = format!("/{}x{}", "{a,".repeat(40), "}".repeat(40));
        let many: Vec<String> = (0..2000).map(|i| format!("n{i}")).collect();
        let cases: Vec<(String, bool)> = vec![
            ("/**a????????????????????".to_string(), false),
            (nested, true),
            (format!("/{{{}}}/*", many.join(",")), true),
            (format!("/tmp/**/{hex}-{hex}-{hex}/**"), true),
        ];
        let limits = Limits {
            max_dfa_states: 20_000,
            ..Limits::default()
        };
        for (text, compiles) in cases {
            let started = std::time::Instant::now();
            let ir = pattern::parse(&text, &limits).unwrap().ir;
            let result = from_ir(&ir, &limits);
            assert_eq!(result.is_ok(), compiles, "{}", &text[..40.min(text.len())]);
            if let Err(error) = result {
                assert_eq!(error, CompileError::TooManyDfaStates { limit: 20_000 });
            }
            assert!(started.elapsed().as_secs() < 10, "{:?}", started.elapsed());
        }
    }
}
