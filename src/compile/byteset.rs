//! A set of bytes, the alphabet unit of every automaton in `compile`.

/// A set of byte values as a 256-bit mask.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ByteSet([u64; 4]);

impl ByteSet {
    pub fn empty() -> ByteSet {
        ByteSet([0; 4])
    }

    pub fn full() -> ByteSet {
        ByteSet([u64::MAX; 4])
    }

    pub fn single(byte: u8) -> ByteSet {
        let mut set = ByteSet::empty();
        set.insert(byte);
        set
    }

    pub fn insert(&mut self, byte: u8) {
        self.0[byte as usize / 64] |= 1 << (byte % 64);
    }

    /// Inserts every byte from `low` to `high`, both included.
    pub fn insert_range(&mut self, low: u8, high: u8) {
        for byte in low..=high {
            self.insert(byte);
        }
    }

    pub fn contains(&self, byte: u8) -> bool {
        self.0[byte as usize / 64] & (1 << (byte % 64)) != 0
    }

    pub fn complement(&self) -> ByteSet {
        ByteSet(self.0.map(|word| !word))
    }

    pub fn is_empty(&self) -> bool {
        self.0 == [0; 4]
    }

    pub fn len(&self) -> usize {
        self.0.iter().map(|word| word.count_ones() as usize).sum()
    }

    pub fn iter(&self) -> impl Iterator<Item = u8> + '_ {
        (0..=255u8).filter(|&byte| self.contains(byte))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn holds_what_was_inserted() {
        let mut set = ByteSet::empty();
        set.insert_range(b'a', b'c');
        set.insert(255);
        assert_eq!(set.iter().collect::<Vec<_>>(), vec![b'a', b'b', b'c', 255]);
        assert_eq!(set.complement().len(), 252);
        assert!(!set.complement().contains(b'b'));
        assert!(ByteSet::full().complement().is_empty());
    }
}
