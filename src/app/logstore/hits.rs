//! Which of a run of records a sweep found a term's needles in: a bit a
//! record, for the records held when it ran; records after them are
//! tested one by one.

#[derive(Debug)]
pub(super) struct RecordHits {
    base: u64,
    end: u64,
    bits: Vec<u64>,
}

impl RecordHits {
    /// None of the records from `base` to `end` (not included), yet.
    pub(super) fn new(base: u64, end: u64) -> RecordHits {
        let end = end.max(base);
        RecordHits {
            base,
            end,
            bits: vec![0; (end - base).div_ceil(64) as usize],
        }
    }

    pub(super) fn set(&mut self, seq: u64) {
        if let Some(i) = seq.checked_sub(self.base).filter(|_| seq < self.end) {
            self.bits[(i / 64) as usize] |= 1 << (i % 64);
        }
    }

    /// Whether record `seq` holds a needle, if it was searched.
    #[inline]
    pub(super) fn get(&self, seq: u64) -> Option<bool> {
        if seq >= self.end {
            return None;
        }
        let i = seq.checked_sub(self.base)?;
        Some(self.bits[(i / 64) as usize] & (1 << (i % 64)) != 0)
    }
}
