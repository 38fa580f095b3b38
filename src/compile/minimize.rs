//! DFA minimisation by Hopcroft's partition refinement.
//!
//! States start in blocks by label; a block is split whenever some of its
//! states, and not others, reach a given block on a given byte class. The
//! smaller half of each split goes back on the work list, which keeps the
//! work at about `classes * states * log(states)`.
//!
//! Most states are entered on a few classes only, so most pairs (block,
//! class) split nothing. Each block keeps the classes its states may be
//! entered on (exactly for a new block, a superset for the rest of a split
//! one); a pair whose class is not among them is neither queued nor
//! processed. Leaving out such pairs, which would mark no state, changes
//! neither the splits nor their order, only the work.

use std::hash::Hash;

use crate::compile::dfa::{ClassSet, Dfa, StateId};
use crate::compile::hash::FastMap;

/// The coarsest partition of `reachable` compatible with labels and
/// transitions: the block of each state (`u32::MAX` for unreachable ones)
/// and the number of blocks.
pub fn partition<L: Eq + Hash>(dfa: &Dfa<L>, reachable: &[StateId]) -> (Vec<u32>, usize) {
    let mut refiner = Refiner::new(dfa, reachable);
    while let Some((splitter, class)) = refiner.work.pop() {
        refiner.queued[splitter as usize * refiner.classes + class] = false;
        refiner.split_by(splitter, class);
    }
    let count = refiner.members.len();
    (refiner.block, count)
}

struct Refiner {
    classes: usize,
    /// Sources of each (class, target) pair: `sources[offsets[i]..offsets[i + 1]]`
    /// for `i = class * states + target`.
    offsets: Vec<u32>,
    sources: Vec<StateId>,
    states: usize,
    block: Vec<u32>,
    members: Vec<Vec<StateId>>,
    work: Vec<(u32, usize)>,
    /// Whether (block, class) is on the work list.
    queued: Vec<bool>,
    /// For each state, the classes of the transitions entering it; for
    /// each block, a superset of its states' (see the module doc).
    entered: Vec<ClassSet>,
    incoming: Vec<ClassSet>,
    /// For the splitter being processed: marked states (in `marked`, in
    /// the order they were marked), per-block counts, and the blocks with
    /// marked states (in `touched`, in the order they were met). The lists
    /// are kept between splitters so that they are allocated once.
    mark: Vec<bool>,
    marked: Vec<StateId>,
    marked_in: Vec<u32>,
    touched: Vec<u32>,
}

impl Refiner {
    fn new<L: Eq + Hash>(dfa: &Dfa<L>, reachable: &[StateId]) -> Refiner {
        let (states, classes) = (dfa.state_count(), dfa.classes().count());
        let mut block = vec![u32::MAX; states];
        let mut members: Vec<Vec<StateId>> = Vec::new();
        let mut by_label: FastMap<&L, u32> = FastMap::default();
        for &state in reachable {
            let next = by_label.len() as u32;
            let id = *by_label.entry(dfa.label(state)).or_insert(next);
            if id as usize == members.len() {
                members.push(Vec::new());
            }
            members[id as usize].push(state);
            block[state as usize] = id;
        }
        let (offsets, sources) = inverse(dfa, reachable);
        let entered = entered_on(&offsets, states, classes);
        let incoming: Vec<ClassSet> = members.iter().map(|m| union_of(&entered, m)).collect();
        let mut queued = vec![false; members.len() * classes];
        let mut work = Vec::new();
        for (block, incoming) in incoming.iter().enumerate() {
            for class in (0..classes).filter(|&class| incoming.contains(class)) {
                queued[block * classes + class] = true;
                work.push((block as u32, class));
            }
        }
        Refiner {
            classes,
            offsets,
            sources,
            states,
            queued,
            entered,
            incoming,
            block,
            members,
            work,
            mark: vec![false; states],
            marked: Vec::new(),
            marked_in: Vec::new(),
            touched: Vec::new(),
        }
    }

    /// Splits every block by "reaches `splitter` on `class`".
    fn split_by(&mut self, splitter: u32, class: usize) {
        if !self.incoming[splitter as usize].contains(class) {
            return;
        }
        let mut marked = std::mem::take(&mut self.marked);
        for &target in &self.members[splitter as usize] {
            let index = class * self.states + target as usize;
            let range = self.offsets[index] as usize..self.offsets[index + 1] as usize;
            for &source in &self.sources[range] {
                if !self.mark[source as usize] {
                    self.mark[source as usize] = true;
                    marked.push(source);
                }
            }
        }
        self.marked_in.resize(self.members.len(), 0);
        let mut touched = std::mem::take(&mut self.touched);
        for &state in &marked {
            let block = self.block[state as usize];
            if self.marked_in[block as usize] == 0 {
                touched.push(block);
            }
            self.marked_in[block as usize] += 1;
        }
        for &block in &touched {
            if (self.marked_in[block as usize] as usize) < self.members[block as usize].len() {
                self.split(block);
            }
            self.marked_in[block as usize] = 0;
        }
        for &state in &marked {
            self.mark[state as usize] = false;
        }
        marked.clear();
        touched.clear();
        self.marked = marked;
        self.touched = touched;
    }

    /// Moves the marked states of `block` into a new block and queues the
    /// smaller half where the work list needs it.
    fn split(&mut self, block: u32) {
        let mut inside = Vec::with_capacity(self.marked_in[block as usize] as usize);
        let mark = &self.mark;
        self.members[block as usize].retain(|&state| {
            let marked = mark[state as usize];
            if marked {
                inside.push(state);
            }
            !marked
        });
        let new = self.members.len() as u32;
        for &state in &inside {
            self.block[state as usize] = new;
        }
        let smaller_is_new = inside.len() <= self.members[block as usize].len();
        self.incoming.push(union_of(&self.entered, &inside));
        self.members.push(inside);
        self.queued.resize(self.members.len() * self.classes, false);
        for class in 0..self.classes {
            let queued_old = self.queued[block as usize * self.classes + class];
            let pick = if queued_old || smaller_is_new {
                new
            } else {
                block
            };
            let slot = pick as usize * self.classes + class;
            if !self.queued[slot] && self.incoming[pick as usize].contains(class) {
                self.queued[slot] = true;
                self.work.push((pick, class));
            }
        }
    }
}

/// For each state, the classes on which some reachable state enters it.
fn entered_on(offsets: &[u32], states: usize, classes: usize) -> Vec<ClassSet> {
    let mut entered = vec![ClassSet::default(); states];
    for class in 0..classes {
        for (state, set) in entered.iter_mut().enumerate() {
            let index = class * states + state;
            if offsets[index + 1] > offsets[index] {
                set.insert(class);
            }
        }
    }
    entered
}

/// The classes on which some of `states` are entered.
fn union_of(entered: &[ClassSet], states: &[StateId]) -> ClassSet {
    let mut union = ClassSet::default();
    for &state in states {
        union.union_with(&entered[state as usize]);
    }
    union
}

/// The inverse transition relation of the reachable states, as offsets
/// and sources.
fn inverse<L>(dfa: &Dfa<L>, reachable: &[StateId]) -> (Vec<u32>, Vec<StateId>) {
    let (states, classes) = (dfa.state_count(), dfa.classes().count());
    let mut offsets = vec![0u32; states * classes + 1];
    for &state in reachable {
        for class in 0..classes {
            let target = dfa.next_by_class(state, class) as usize;
            offsets[class * states + target + 1] += 1;
        }
    }
    for index in 1..offsets.len() {
        offsets[index] += offsets[index - 1];
    }
    let mut fill = offsets.clone();
    let mut sources = vec![0; offsets[states * classes] as usize];
    for &state in reachable {
        for class in 0..classes {
            let index = class * states + dfa.next_by_class(state, class) as usize;
            sources[fill[index] as usize] = state;
            fill[index] += 1;
        }
    }
    (offsets, sources)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compile::{Limits, dfa, pattern};

    fn glob(text: &str) -> Dfa<bool> {
        let limits = Limits::default();
        dfa::from_ir(&pattern::parse(text, &limits).unwrap().ir, &limits).unwrap()
    }

    /// Whether every string leads `a` and `b` to the same label: a walk
    /// over pairs of states.
    fn equivalent(dfa: &Dfa<bool>, a: StateId, b: StateId) -> bool {
        let mut seen = std::collections::HashSet::from([(a, b)]);
        let mut stack = vec![(a, b)];
        while let Some((x, y)) = stack.pop() {
            if dfa.label(x) != dfa.label(y) {
                return false;
            }
            for class in 0..dfa.classes().count() {
                let next = (dfa.next_by_class(x, class), dfa.next_by_class(y, class));
                if seen.insert(next) {
                    stack.push(next);
                }
            }
        }
        true
    }

    #[test]
    fn merges_exactly_the_equivalent_states() {
        let patterns = [
            "/a/{b,c}/**",
            "/a/[bc]/*",
            "/{x,xy,xyz}",
            "/**/a",
            "/a/b",
            "/{a,b}{,c}",
        ];
        for text in patterns {
            let dfa = glob(text);
            let reachable = dfa.reachable();
            let (block, count) = partition(&dfa, &reachable);
            for &a in &reachable {
                for &b in &reachable {
                    let same = block[a as usize] == block[b as usize];
                    assert_eq!(same, equivalent(&dfa, a, b), "{text}: {a} {b}");
                }
            }
            let used: std::collections::HashSet<u32> =
                reachable.iter().map(|&s| block[s as usize]).collect();
            assert_eq!(used.len(), count, "{text}");
        }
    }
}
