//! Per-record values kept in fewer bytes, as differences from a base per
//! block of [`BLOCK`] records: a record's time (4 bytes instead of 8) and
//! where its text starts in a column's chunk (2 instead of 4). Records of
//! one stream come in about time order, and their text is written in
//! record order, so a block's values lie close together: times within
//! days (32 bits reach 24 days either way), offsets within a few KB. A
//! value that does not fit (a clock far off, a hostile value, the text
//! after a new chunk began mid-block) is kept here in full, by sequence
//! number. For 500,000 records: 4 MB less, and a base lookup where the
//! value is read.

use std::collections::{BTreeMap, VecDeque};

/// Records per block.
const BLOCK: u64 = 256;

/// A value kept as a difference from its block's base.
pub(super) trait Based: Copy + Default {
    type Delta: Copy + PartialEq;
    /// The delta of a value kept in full ([`BlockBases::far`]).
    const FAR: Self::Delta;
    /// `self` from `base`, when it fits and is not [`Based::FAR`].
    fn delta(self, base: Self) -> Option<Self::Delta>;
    fn add(base: Self, delta: Self::Delta) -> Self;
}

/// Times in milliseconds.
impl Based for i64 {
    type Delta = i32;
    const FAR: i32 = i32::MIN;

    fn delta(self, base: i64) -> Option<i32> {
        let delta = i32::try_from(self.checked_sub(base)?).ok()?;
        (delta != Self::FAR).then_some(delta)
    }

    #[inline]
    fn add(base: i64, delta: i32) -> i64 {
        base + i64::from(delta)
    }
}

/// Offsets into a chunk.
impl Based for u32 {
    type Delta = u16;
    const FAR: u16 = u16::MAX;

    fn delta(self, base: u32) -> Option<u16> {
        let delta = u16::try_from(self.checked_sub(base)?).ok()?;
        (delta != Self::FAR).then_some(delta)
    }

    #[inline]
    fn add(base: u32, delta: u16) -> u32 {
        base + u32::from(delta)
    }
}

#[derive(Debug, Default)]
pub(super) struct BlockBases<T: Based> {
    /// The first value given for each block, from block `first_block` on.
    bases: VecDeque<T>,
    first_block: u64,
    /// Values too far from their block's base for a delta.
    far: BTreeMap<u64, T>,
}

impl<T: Based> BlockBases<T> {
    /// The delta a record keeps for record `seq`'s `value`. Given in
    /// sequence order; records whose value is never read may be left out.
    pub(super) fn push(&mut self, seq: u64, value: T) -> T::Delta {
        let block = seq / BLOCK;
        if self.bases.is_empty() {
            self.first_block = block;
        }
        // Blocks left out get a base no record of theirs reads.
        while block >= self.first_block + self.bases.len() as u64 {
            self.bases.push_back(value);
        }
        match self.base(block).and_then(|base| value.delta(base)) {
            Some(delta) => delta,
            None => {
                self.far.insert(seq, value);
                T::FAR
            }
        }
    }

    /// Record `seq`'s value, from the delta it keeps.
    #[inline]
    pub(super) fn get(&self, seq: u64, delta: T::Delta) -> T {
        if delta == T::FAR {
            return self.far.get(&seq).copied().unwrap_or_default();
        }
        T::add(self.base(seq / BLOCK).unwrap_or_default(), delta)
    }

    #[inline]
    fn base(&self, block: u64) -> Option<T> {
        let index = usize::try_from(block.checked_sub(self.first_block)?).ok()?;
        self.bases.get(index).copied()
    }

    /// Forgets the records before `first_seq`: their blocks' bases once
    /// no held record is in them.
    pub(super) fn evict_before(&mut self, first_seq: u64) {
        let block = first_seq / BLOCK;
        while self.first_block < block && self.bases.pop_front().is_some() {
            self.first_block += 1;
        }
        if self
            .far
            .first_key_value()
            .is_some_and(|(&seq, _)| seq < first_seq)
        {
            self.far = self.far.split_off(&first_seq);
        }
    }

    pub(super) fn heap_bytes(&self) -> usize {
        // A B-tree entry, with its share of the node around it.
        self.bases.capacity() * size_of::<T>() + self.far.len() * 2 * size_of::<u64>()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_come_back_across_blocks_far_values_and_eviction() {
        let mut times = BlockBases::<i64>::default();
        let now = 1_795_420_860_123_i64;
        let time = |seq: u64| match seq {
            // A clock years off, the extremes, the delta that means "far".
            1_500 => now - 10 * 365 * 86_400_000,
            2_000 => i64::MIN,
            2_001 => i64::MAX,
            2_048 => now + 1,
            2_049 => now + 1 + i64::from(i32::MIN),
            _ => now + seq as i64 * 1_000 - 500_000,
        };
        let deltas: Vec<i32> = (0..5_000).map(|seq| times.push(seq, time(seq))).collect();
        for seq in 0..5_000 {
            assert_eq!(times.get(seq, deltas[seq as usize]), time(seq), "{seq}");
        }
        assert_eq!(times.far.len(), 4, "{:?}", times.far);
        times.evict_before(2_001);
        assert_eq!(times.far.len(), 2);
        assert_eq!(times.first_block, 2_001 / BLOCK);
        for seq in 2_001..5_000 {
            assert_eq!(times.get(seq, deltas[seq as usize]), time(seq), "{seq}");
        }
        // Appending goes on after an eviction, in the same block.
        let delta = times.push(5_000, now);
        times.evict_before(5_000);
        assert_eq!(times.far.len(), 0);
        assert_eq!(times.get(5_000, delta), now);
    }

    #[test]
    fn offsets_with_records_left_out_a_new_chunk_mid_block_and_eviction() {
        let mut offsets = BlockBases::<u32>::default();
        // Only every third record has text; a new chunk (offsets from 0)
        // begins at record 1,000, mid-block; record 2,000's text is far on.
        let mut at = 5_000_u32;
        let mut kept = Vec::new();
        for seq in (300..3_000_u64).filter(|seq| seq % 3 == 0) {
            if seq == 1_000_u64.next_multiple_of(3) {
                at = 0;
            }
            let value = if seq == 2_001 { at + 70_000 } else { at };
            kept.push((seq, value, offsets.push(seq, value)));
            at += 40;
        }
        for &(seq, value, delta) in &kept {
            assert_eq!(offsets.get(seq, delta), value, "{seq}");
        }
        let far = offsets.far.len();
        assert!((1..=BLOCK as usize).contains(&far), "{far}");
        offsets.evict_before(2_500);
        assert!(offsets.far.is_empty());
        for &(seq, value, delta) in kept.iter().filter(|(seq, ..)| *seq >= 2_500) {
            assert_eq!(offsets.get(seq, delta), value, "{seq}");
        }
        // All evicted, then more: a new first block.
        offsets.evict_before(10_000);
        let delta = offsets.push(10_000, 123);
        assert_eq!(offsets.get(10_000, delta), 123);
    }
}
