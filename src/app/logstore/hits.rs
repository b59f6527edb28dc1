//! Which of a run of records a sweep found a term's needles in: a bit a
//! record ([`RecordHits`], the recipients' sweep), or a bit a byte of the
//! hot text where an entry starts ([`EntryHits`], `smtp:`), for
//! the records held when it ran; records after them are tested one by
//! one.

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

/// What an `smtp:` sweep found of the records `base..end`: for
/// each chunk of the hot text, where the entries start whose field holds
/// a needle, searched a stretch at a time as the pass over the records
/// reaches them.
#[derive(Debug)]
pub(super) struct EntryHits {
    base: u64,
    end: u64,
    /// The chunk looked up last, out of `chunks`: records are looked up
    /// in order, so nearly every one is in it.
    pub(super) current: ChunkHits,
    /// The others, by their records; `current`'s place holds an empty
    /// one.
    chunks: Vec<ChunkHits>,
    place: Option<usize>,
}

/// What was found in one chunk of the hot text.
#[derive(Debug, Default)]
pub(super) struct ChunkHits {
    /// The chunk's records.
    pub(super) first_seq: u64,
    pub(super) end_seq: u64,
    /// Those of them to search: `from..from + records`.
    from: u64,
    records: u64,
    /// The text before this is searched: the start of an entry;
    /// `u32::MAX` once all of it is.
    pub(super) searched: u32,
    /// The text's length.
    pub(super) len: usize,
    /// A bit a byte of the text, set where an entry starts whose field
    /// holds a needle: looked up in one step.
    starts: Vec<u64>,
}

impl ChunkHits {
    /// Nothing found yet in the `len` bytes of text of the records
    /// `first_seq..end_seq`.
    pub(super) fn new(first_seq: u64, end_seq: u64, len: usize) -> ChunkHits {
        ChunkHits {
            first_seq,
            end_seq,
            len,
            starts: vec![0; len / 64 + 1],
            ..ChunkHits::default()
        }
    }

    /// Whether record `seq` is one of this chunk's to search.
    #[inline(always)]
    pub(super) fn has(&self, seq: u64) -> bool {
        seq.wrapping_sub(self.from) < self.records
    }

    /// The entry at `at` holds a needle.
    pub(super) fn mark(&mut self, at: usize) {
        if let Some(word) = self.starts.get_mut(at / 64) {
            *word |= 1 << (at % 64);
        }
    }

    /// Whether the entry at `at` holds a needle (when searched).
    #[inline(always)]
    pub(super) fn holds(&self, at: u32) -> bool {
        bit(&self.starts, at as usize)
    }
}

#[inline(always)]
fn bit(bits: &[u64], at: usize) -> bool {
    bits.get(at / 64)
        .is_some_and(|word| word >> (at % 64) & 1 != 0)
}

impl EntryHits {
    /// Nothing searched yet of the records from `base` to `end` (not
    /// included).
    pub(super) fn new(base: u64, end: u64) -> EntryHits {
        EntryHits {
            base,
            end: end.max(base),
            current: ChunkHits::default(),
            chunks: Vec::new(),
            place: None,
        }
    }

    /// Whether record `seq` is one to search.
    pub(super) fn searched(&self, seq: u64) -> bool {
        (self.base..self.end).contains(&seq)
    }

    /// Makes the chunk holding record `seq` (one to search) the current
    /// one, made by `new_chunk` the first time one of its records is
    /// asked for; false when no chunk holds it.
    #[cold]
    #[inline(never)]
    pub(super) fn seek(
        &mut self,
        seq: u64,
        new_chunk: impl FnOnce(u64) -> Option<ChunkHits>,
    ) -> bool {
        if let Some(place) = self.place.take() {
            std::mem::swap(&mut self.chunks[place], &mut self.current);
        }
        let place = self.chunks.partition_point(|c| c.end_seq <= seq);
        if self.chunks.get(place).is_none_or(|c| c.first_seq > seq) {
            match new_chunk(seq) {
                Some(mut made) if made.first_seq <= seq && seq < made.end_seq => {
                    made.from = made.first_seq.max(self.base);
                    made.records = made.end_seq.min(self.end).saturating_sub(made.from);
                    self.chunks.insert(place, made);
                }
                _ => return false,
            }
        }
        std::mem::swap(&mut self.chunks[place], &mut self.current);
        self.place = Some(place);
        true
    }
}
