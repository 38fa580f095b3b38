//! Thompson NFAs built from pattern IR.
//!
//! Several patterns go into one NFA, each ending in a match state that
//! carries the pattern's tag (for the permission automaton, the index of
//! the rule entry). The DFA construction in [`super::dfa`] then labels each
//! DFA state with the tags of the patterns that match there.

use crate::compile::byteset::ByteSet;
use crate::compile::pattern::Ir;
use crate::compile::{CompileError, Limits};

/// Index of an NFA state.
pub type NfaStateId = u32;

/// One NFA state.
#[derive(Clone, Debug)]
pub enum NfaState {
    /// Consumes one byte of `set`, then goes to `next`.
    Byte { set: ByteSet, next: NfaStateId },
    /// Goes to every target without consuming anything.
    Split(Vec<NfaStateId>),
    /// The pattern tagged `tag` matches here.
    Match(u32),
}

/// An NFA over bytes with tagged match states.
#[derive(Clone, Debug)]
pub struct Nfa {
    pub states: Vec<NfaState>,
    pub start: NfaStateId,
}

/// Builds an [`Nfa`] from tagged patterns, within a state limit.
pub struct NfaBuilder {
    states: Vec<NfaState>,
    starts: Vec<NfaStateId>,
    max_states: usize,
}

impl NfaBuilder {
    pub fn new(limits: &Limits) -> NfaBuilder {
        NfaBuilder {
            states: Vec::new(),
            starts: Vec::new(),
            max_states: limits.max_nfa_states,
        }
    }

    /// Adds a pattern that reports `tag` when it matches.
    pub fn add(&mut self, ir: &Ir, tag: u32) -> Result<(), CompileError> {
        let matched = self.push(NfaState::Match(tag))?;
        let start = self.compile(ir, matched)?;
        self.starts.push(start);
        Ok(())
    }

    pub fn finish(mut self) -> Result<Nfa, CompileError> {
        let starts = std::mem::take(&mut self.starts);
        let start = self.push(NfaState::Split(starts))?;
        Ok(Nfa {
            states: self.states,
            start,
        })
    }

    fn push(&mut self, state: NfaState) -> Result<NfaStateId, CompileError> {
        if self.states.len() >= self.max_states {
            return Err(CompileError::TooManyNfaStates {
                limit: self.max_states,
            });
        }
        self.states.push(state);
        Ok((self.states.len() - 1) as NfaStateId)
    }

    /// Compiles `ir` so that it continues to `next`; returns its entry.
    fn compile(&mut self, ir: &Ir, next: NfaStateId) -> Result<NfaStateId, CompileError> {
        match ir {
            Ir::Empty => Ok(next),
            Ir::Byte(byte) => self.push(NfaState::Byte {
                set: ByteSet::single(*byte),
                next,
            }),
            Ir::Class(set) => self.push(NfaState::Byte { set: *set, next }),
            Ir::Concat(items) => items
                .iter()
                .rev()
                .try_fold(next, |next, item| self.compile(item, next)),
            Ir::Alternation(items) | Ir::Group(_, items) => {
                let entries = items
                    .iter()
                    .map(|item| self.compile(item, next))
                    .collect::<Result<Vec<_>, _>>()?;
                self.push(NfaState::Split(entries))
            }
            Ir::Star(body) => {
                let split = self.push(NfaState::Split(Vec::new()))?;
                let body_entry = self.compile(body, split)?;
                self.states[split as usize] = NfaState::Split(vec![body_entry, next]);
                Ok(split)
            }
            Ir::Plus(body) => {
                let split = self.push(NfaState::Split(Vec::new()))?;
                let body_entry = self.compile(body, split)?;
                self.states[split as usize] = NfaState::Split(vec![body_entry, next]);
                Ok(body_entry)
            }
        }
    }
}

impl Nfa {
    /// The byte-consuming and match states reachable from `from` without
    /// consuming input, sorted: the identity of a DFA state.
    pub fn closure(&self, from: &[NfaStateId], seen: &mut [u32], mark: u32) -> Vec<NfaStateId> {
        let mut stack: Vec<NfaStateId> = from.to_vec();
        let mut out = Vec::new();
        while let Some(id) = stack.pop() {
            if seen[id as usize] == mark {
                continue;
            }
            seen[id as usize] = mark;
            match &self.states[id as usize] {
                NfaState::Split(targets) => stack.extend(targets.iter().rev()),
                _ => out.push(id),
            }
        }
        out.sort_unstable();
        out
    }
}

impl Nfa {
    /// The tags of the patterns that match all of `input`, by simulating
    /// the NFA (no DFA is built): sorted, without duplicates.
    pub fn run(&self, input: &[u8]) -> Vec<u32> {
        let mut seen = vec![0; self.states.len()];
        let mut current = self.closure(&[self.start], &mut seen, 1);
        for (step, &byte) in input.iter().enumerate() {
            let next: Vec<NfaStateId> = current
                .iter()
                .filter_map(|&id| match &self.states[id as usize] {
                    NfaState::Byte { set, next } if set.contains(byte) => Some(*next),
                    _ => None,
                })
                .collect();
            current = self.closure(&next, &mut seen, step as u32 + 2);
        }
        let mut tags: Vec<u32> = current
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compile::pattern;

    #[test]
    fn bounds_the_state_count() {
        let limits = Limits {
            max_nfa_states: 10,
            ..Limits::default()
        };
        let ir = pattern::parse("/abcdefghijklmnop", &Limits::default())
            .unwrap()
            .ir;
        let mut builder = NfaBuilder::new(&limits);
        assert_eq!(
            builder.add(&ir, 0),
            Err(CompileError::TooManyNfaStates { limit: 10 })
        );
    }
}
