//! Operations on labelled DFAs: product, minimisation, emptiness and
//! shortest witnesses.
//!
//! These are what `prove` and `diff` are made of: build the automaton of
//! "paths where the profile allows `w`", take its product with the
//! automaton of the spec's patterns, and look for the shortest paths whose
//! label says the two disagree.

use std::collections::VecDeque;
use std::hash::Hash;

use crate::compile::dfa::{ByteClasses, Dfa, StateId};
use crate::compile::hash::FastMap;
use crate::compile::{CompileError, Limits};

impl<L> Dfa<L> {
    /// The product automaton: it runs both automata on the same input and
    /// labels each pair of states with `combine(left, right)`. Only
    /// reachable pairs are built; more than `limits.max_dfa_states` is an
    /// error.
    pub fn product<R, M>(
        &self,
        other: &Dfa<R>,
        limits: &Limits,
        mut combine: impl FnMut(&L, &R) -> M,
    ) -> Result<Dfa<M>, CompileError> {
        let (classes, pairs) = ByteClasses::joint(&self.classes, &other.classes);
        let mut ids: FastMap<(StateId, StateId), StateId> = FastMap::default();
        let mut order = vec![(self.start, other.start)];
        ids.insert(order[0], 0);
        let mut transitions = Vec::new();
        let mut index = 0;
        while index < order.len() {
            let (left, right) = order[index];
            for &(left_class, right_class) in &pairs {
                let target = (
                    self.next_by_class(left, left_class),
                    other.next_by_class(right, right_class),
                );
                let next_id = order.len() as StateId;
                let id = *ids.entry(target).or_insert(next_id);
                if id == next_id {
                    if order.len() >= limits.max_dfa_states {
                        return Err(CompileError::TooManyDfaStates {
                            limit: limits.max_dfa_states,
                        });
                    }
                    order.push(target);
                }
                transitions.push(id);
            }
            index += 1;
        }
        let labels = order
            .iter()
            .map(|&(l, r)| combine(self.label(l), other.label(r)))
            .collect();
        Ok(Dfa {
            classes,
            transitions,
            labels,
            start: 0,
        })
    }

    /// States reachable from the start, in breadth-first order.
    pub fn reachable(&self) -> Vec<StateId> {
        let mut seen = vec![false; self.state_count()];
        let mut order = vec![self.start];
        seen[self.start as usize] = true;
        let mut index = 0;
        while index < order.len() {
            let state = order[index];
            for class in 0..self.classes.count() {
                let next = self.next_by_class(state, class);
                if !seen[next as usize] {
                    seen[next as usize] = true;
                    order.push(next);
                }
            }
            index += 1;
        }
        order
    }

    /// True when no string leads to a state whose label satisfies `wanted`.
    pub fn is_empty(&self, wanted: impl Fn(&L) -> bool) -> bool {
        !self.reachable().iter().any(|&s| wanted(self.label(s)))
    }

    /// Up to `count` shortest strings leading to states whose label
    /// satisfies `wanted`, shortest first. Each byte is the most readable
    /// member of its byte class (see [`ByteClasses::representatives`]), so
    /// witnesses read like paths. The search stops after a bounded amount
    /// of work and may then return fewer than `count` strings; it always
    /// returns a shortest witness when one exists.
    pub fn witnesses(&self, count: usize, wanted: impl Fn(&L) -> bool) -> Vec<Vec<u8>> {
        let distance = self.distance_to(&wanted);
        if count == 0 || distance[self.start as usize] == u32::MAX {
            return Vec::new();
        }
        let order = self.readable_class_order();
        let mut found = Vec::new();
        let mut queue = VecDeque::from([(self.start, Vec::new())]);
        let mut budget = 10_000 + 100 * count;
        while let Some((state, path)) = queue.pop_front() {
            if wanted(self.label(state)) {
                found.push(path.clone());
                if found.len() == count {
                    break;
                }
            }
            for &(class, byte) in &order {
                let next = self.next_by_class(state, class);
                if distance[next as usize] == u32::MAX || budget == 0 {
                    continue;
                }
                budget -= 1;
                let mut longer = path.clone();
                longer.push(byte);
                queue.push_back((next, longer));
            }
        }
        found
    }

    /// How many strings of each length `0..=max_len` lead to a state whose
    /// label satisfies `wanted` (saturating at `u128::MAX`): a measure of
    /// how large a difference is, when it has no end.
    pub fn count_by_length(&self, max_len: usize, wanted: impl Fn(&L) -> bool) -> Vec<u128> {
        let sizes: Vec<u128> = self
            .classes
            .members()
            .iter()
            .map(|m| m.len() as u128)
            .collect();
        let mut ways = vec![0u128; self.state_count()];
        ways[self.start as usize] = 1;
        let mut counts = Vec::with_capacity(max_len + 1);
        for length in 0..=max_len {
            let here = (0..self.state_count())
                .filter(|&state| wanted(&self.labels[state]))
                .fold(0u128, |sum, state| sum.saturating_add(ways[state]));
            counts.push(here);
            if length == max_len {
                break;
            }
            let mut next = vec![0u128; self.state_count()];
            for (state, &count) in ways.iter().enumerate().filter(|(_, c)| **c > 0) {
                for (class, &size) in sizes.iter().enumerate() {
                    let target = self.next_by_class(state as StateId, class) as usize;
                    next[target] = next[target].saturating_add(count.saturating_mul(size));
                }
            }
            ways = next;
        }
        counts
    }

    /// For each state, the length of the shortest string from it to a
    /// state satisfying `wanted` (`u32::MAX` when there is none).
    fn distance_to(&self, wanted: &impl Fn(&L) -> bool) -> Vec<u32> {
        let classes = self.classes.count();
        let mut reverse: Vec<Vec<StateId>> = vec![Vec::new(); self.state_count()];
        for (index, &target) in self.transitions.iter().enumerate() {
            reverse[target as usize].push((index / classes) as StateId);
        }
        let mut distance = vec![u32::MAX; self.state_count()];
        let mut queue = VecDeque::new();
        for (state, label) in self.labels.iter().enumerate() {
            if wanted(label) {
                distance[state] = 0;
                queue.push_back(state);
            }
        }
        while let Some(state) = queue.pop_front() {
            for &source in &reverse[state] {
                if distance[source as usize] == u32::MAX {
                    distance[source as usize] = distance[state] + 1;
                    queue.push_back(source as usize);
                }
            }
        }
        distance
    }

    /// Classes with their representative byte, most readable first.
    fn readable_class_order(&self) -> Vec<(usize, u8)> {
        let mut order: Vec<(usize, u8)> = self
            .classes
            .representatives()
            .into_iter()
            .enumerate()
            .collect();
        order.sort_by_key(|&(_, byte)| readable_order(byte));
        order
    }
}

/// The key that sorts bytes most readable first, as witnesses and example
/// paths prefer them: lower case letters, digits, `/`, then other
/// punctuation, upper case, other printable bytes, the rest.
pub fn readable_order(byte: u8) -> (u8, u8) {
    let rank = match byte {
        b'a'..=b'z' => 0,
        b'0'..=b'9' => 1,
        b'/' => 2,
        b'.' | b'_' | b'-' => 3,
        b'A'..=b'Z' => 4,
        _ if byte.is_ascii_graphic() => 5,
        _ => 6,
    };
    (rank, byte)
}

impl<L: Clone + Eq + Hash> Dfa<L> {
    /// The minimal DFA with the same labelled language: states reached by
    /// strings with the same future labels are merged (Hopcroft's partition
    /// refinement), and unreachable states are dropped.
    pub fn minimize(&self) -> Dfa<L> {
        let reachable = self.reachable();
        let (block, block_count) = crate::compile::minimize::partition(self, &reachable);
        self.quotient(&reachable, &block, block_count)
    }

    /// The automaton whose states are the blocks of a partition.
    fn quotient(&self, reachable: &[StateId], block: &[u32], block_count: usize) -> Dfa<L> {
        let classes = self.classes.count();
        let mut transitions = vec![0; block_count * classes];
        let mut labels: Vec<Option<L>> = vec![None; block_count];
        for &state in reachable {
            let id = block[state as usize] as usize;
            if labels[id].is_some() {
                continue;
            }
            labels[id] = Some(self.label(state).clone());
            for class in 0..classes {
                transitions[id * classes + class] =
                    block[self.next_by_class(state, class) as usize];
            }
        }
        Dfa {
            classes: self.classes.clone(),
            transitions,
            labels: labels
                .into_iter()
                .map(|l| l.expect("every block has a state"))
                .collect(),
            start: block[self.start as usize],
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::compile::dfa::{Dfa, from_ir};
    use crate::compile::{Limits, pattern};

    fn glob(pattern: &str) -> Dfa<bool> {
        let limits = Limits::default();
        from_ir(&pattern::parse(pattern, &limits).unwrap().ir, &limits).unwrap()
    }

    #[test]
    fn product_answers_set_questions() {
        let limits = Limits::default();
        let proc_any = glob("/proc/**");
        let sys = glob("/proc/sys/**");
        let outside = proc_any.product(&sys, &limits, |a, b| *a && !*b).unwrap();
        assert!(*outside.classify(b"/proc/1/maps"));
        assert!(!*outside.classify(b"/proc/sys/kernel/x"));
        let inside_only = sys.product(&proc_any, &limits, |a, b| *a && !*b).unwrap();
        assert!(inside_only.is_empty(|label| *label));
    }

    #[test]
    fn witnesses_are_shortest_and_readable() {
        let dfa = glob("/proc/sys/**");
        let witnesses = dfa.witnesses(3, |label| *label);
        assert_eq!(witnesses[0], b"/proc/sys/a".to_vec());
        assert_eq!(witnesses.len(), 3);
        assert!(witnesses.iter().all(|w| w.len() == 11));
        assert!(glob("/a").complement().witnesses(1, |l| *l)[0].is_empty());
    }

    #[test]
    fn counts_strings_by_length() {
        let counts = glob("/a?").count_by_length(4, |label| *label);
        assert_eq!(counts, vec![0, 0, 0, 254, 0]);
        let everything = glob("/**").count_by_length(3, |label| *label);
        assert_eq!(everything, vec![0, 0, 254, 254 * 255]);
    }

    #[test]
    fn minimisation_keeps_the_language() {
        let limits = Limits::default();
        let left = glob("/a/{b,c}/**");
        let right = glob("/a/[bc]/**");
        let same = left.product(&right, &limits, |a, b| a == b).unwrap();
        let minimal = same.minimize();
        assert_eq!(minimal.state_count(), 1);
        assert!(*minimal.classify(b"/a/b/x"));
        let either = left.product(&right, &limits, |a, _| *a).unwrap().minimize();
        assert!(either.state_count() <= left.state_count());
        assert!(*either.classify(b"/a/c/x") && !*either.classify(b"/a/d/x"));
    }
}
