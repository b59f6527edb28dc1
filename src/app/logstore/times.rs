//! Each held record's time in four bytes instead of eight: milliseconds
//! from the time of the first record of its block of [`BLOCK`] records,
//! which this keeps. Records of one stream come in about time order, so
//! a block's times lie within days of each other, and 32 bits reach 24
//! days either way. A time that does not fit (a clock far off, a
//! hostile value) is kept here in full, by sequence number. For 500,000
//! records: 2 MB less, and a base lookup where the time is read.

use std::collections::{BTreeMap, VecDeque};

/// Records per block: one base (8 bytes) per 1,024 records.
const BLOCK: u64 = 1024;

/// The delta of a time kept in [`TimeColumn::far`].
const FAR: i32 = i32::MIN;

#[derive(Debug, Default)]
pub(super) struct TimeColumn {
    /// The time of each block's first record, from block `first_block` on.
    bases: VecDeque<i64>,
    first_block: u64,
    /// Times too far from their block's base for a delta.
    far: BTreeMap<u64, i64>,
}

impl TimeColumn {
    /// The delta a record keeps for record `seq` at `timestamp_ms`.
    /// Records come in sequence order, with no gaps.
    pub(super) fn push(&mut self, seq: u64, timestamp_ms: i64) -> i32 {
        let block = seq / BLOCK;
        if self.bases.is_empty() {
            self.first_block = block;
        }
        if block >= self.first_block + self.bases.len() as u64 {
            self.bases.push_back(timestamp_ms);
        }
        let base = self.base(block).unwrap_or(timestamp_ms);
        match timestamp_ms
            .checked_sub(base)
            .and_then(|delta| i32::try_from(delta).ok())
        {
            Some(delta) if delta != FAR => delta,
            _ => {
                self.far.insert(seq, timestamp_ms);
                FAR
            }
        }
    }

    /// Record `seq`'s time, from the delta it keeps.
    #[inline]
    pub(super) fn get(&self, seq: u64, delta: i32) -> i64 {
        if delta == FAR {
            return self.far.get(&seq).copied().unwrap_or_default();
        }
        self.base(seq / BLOCK).unwrap_or_default() + i64::from(delta)
    }

    fn base(&self, block: u64) -> Option<i64> {
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
        self.bases.capacity() * size_of::<i64>() + self.far.len() * 2 * size_of::<u64>()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_come_back_across_blocks_far_values_and_eviction() {
        let mut times = TimeColumn::default();
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
        assert_eq!(times.first_block, 1);
        for seq in 2_001..5_000 {
            assert_eq!(times.get(seq, deltas[seq as usize]), time(seq), "{seq}");
        }
        // Appending goes on after an eviction, in the same block.
        let delta = times.push(5_000, now);
        times.evict_before(5_000);
        assert_eq!(times.far.len(), 0);
        assert_eq!(times.get(5_000, delta), now);
    }
}
