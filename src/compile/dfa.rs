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
use crate::compile::hash::{FastMap, FastSet};
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
    let class_lists = classes_per_state(nfa, &classes);
    let mut builder = SubsetBuilder {
        nfa,
        seen: vec![0; nfa.states.len()],
        mark: 0,
        ids: FastMap::default(),
        steps: FastMap::default(),
        sets: Vec::new(),
        max_states: limits.max_dfa_states,
        stored: 0,
        max_stored: limits.max_dfa_states.saturating_mul(64).max(1 << 20),
    };
    let start_set = builder.closure(&[nfa.start]);
    let start = builder.intern(start_set)?;
    let mut transitions = Vec::new();
    let mut buckets: Vec<Vec<NfaStateId>> = vec![Vec::new(); classes.count()];
    let mut state = 0;
    while state < builder.sets.len() {
        builder.fill_buckets(state, &class_lists, &mut buckets);
        for bucket in &mut buckets {
            transitions.push(builder.target(bucket)?);
            bucket.clear();
        }
        state += 1;
    }
    let labels = builder
        .sets
        .iter()
        .map(|set| label(&nfa.tags(set)))
        .collect();
    Ok(Dfa {
        classes,
        transitions,
        labels,
        start,
    })
}

/// For each NFA state that consumes a byte, the classes of its byte set.
fn classes_per_state(nfa: &Nfa, classes: &ByteClasses) -> Vec<Vec<u16>> {
    let members = classes.members();
    let mut cache: FastMap<ByteSet, Vec<u16>> = FastMap::default();
    nfa.states
        .iter()
        .map(|state| match state {
            NfaState::Byte { set, .. } => cache
                .entry(*set)
                .or_insert_with(|| {
                    let covered = members.iter().enumerate();
                    covered
                        .filter(|(_, bytes)| set.contains(bytes[0]))
                        .map(|(class, _)| class as u16)
                        .collect()
                })
                .clone(),
            _ => Vec::new(),
        })
        .collect()
}

struct SubsetBuilder<'n> {
    nfa: &'n Nfa,
    seen: Vec<u32>,
    mark: u32,
    ids: FastMap<Vec<NfaStateId>, StateId>,
    /// Targets before closure to the state they close into: most
    /// transitions repeat, and their target lists are short.
    steps: FastMap<Vec<NfaStateId>, StateId>,
    sets: Vec<Vec<NfaStateId>>,
    max_states: usize,
    /// NFA state ids held by all DFA states, bounded to keep memory finite.
    stored: usize,
    max_stored: usize,
}

impl SubsetBuilder<'_> {
    fn closure(&mut self, from: &[NfaStateId]) -> Vec<NfaStateId> {
        self.mark += 1;
        self.nfa.closure(from, &mut self.seen, self.mark)
    }

    /// The DFA state that the NFA states `bucket` close into.
    fn target(&mut self, bucket: &mut Vec<NfaStateId>) -> Result<StateId, CompileError> {
        bucket.sort_unstable();
        bucket.dedup();
        if let Some(&id) = self.steps.get(bucket.as_slice()) {
            return Ok(id);
        }
        let closed = self.closure(bucket);
        let id = self.intern(closed)?;
        self.stored += bucket.len();
        self.steps.insert(bucket.clone(), id);
        Ok(id)
    }

    fn intern(&mut self, set: Vec<NfaStateId>) -> Result<StateId, CompileError> {
        if let Some(&id) = self.ids.get(&set) {
            return Ok(id);
        }
        if self.sets.len() >= self.max_states || self.stored > self.max_stored {
            return Err(CompileError::TooManyDfaStates {
                limit: self.max_states,
            });
        }
        let id = self.sets.len() as StateId;
        self.stored += set.len() * 2;
        self.sets.push(set.clone());
        self.ids.insert(set, id);
        Ok(id)
    }

    /// Puts, for each byte class, the targets of the DFA state's NFA states
    /// on that class into `buckets[class]`, in one pass over the state.
    fn fill_buckets(
        &self,
        state: usize,
        class_lists: &[Vec<u16>],
        buckets: &mut [Vec<NfaStateId>],
    ) {
        for &id in &self.sets[state] {
            if let NfaState::Byte { next, .. } = self.nfa.states[id as usize] {
                for &class in &class_lists[id as usize] {
                    buckets[class as usize].push(next);
                }
            }
        }
    }
}

impl Nfa {
    /// The tags of the match states in `set`, sorted and de-duplicated.
    fn tags(&self, set: &[NfaStateId]) -> Vec<u32> {
        let mut tags: Vec<u32> = set
            .iter()
            .filter_map(|&id| match self.states[id as usize] {
                NfaState::Match(tag) => Some(tag),
                _ => None,
            })
            .collect();
        tags.sort_unstable();
        tags.dedup();
        tags
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
