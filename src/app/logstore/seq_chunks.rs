//! Text of a run of records in chunks that follow the records' sequence
//! numbers: the recipients column and the hot text. A record keeps only
//! where its text starts in its chunk; the chunk is found by its sequence
//! number, and chunks go as their records are evicted.

use std::collections::VecDeque;

/// Bytes a chunk shared by small batches (a live tail's few records) is
/// made for.
const SHARED_CHUNK_BYTES: usize = 64 * 1024;

/// A batch whose text takes this much or more is kept as a chunk of its
/// own, as its preparation made it: bulk batches filled shared 64 KiB
/// chunks only to about 80%, and were copied into them.
const OWN_CHUNK_BYTES: usize = 8 * 1024;

#[derive(Debug, Default)]
pub(super) struct SeqChunks {
    chunks: VecDeque<Chunk>,
}

/// The text of the records from `first_seq` on, `records` of them.
#[derive(Debug)]
pub(super) struct Chunk {
    pub(super) first_seq: u64,
    pub(super) records: u64,
    pub(super) text: Vec<u8>,
}

impl Chunk {
    pub(super) fn end_seq(&self) -> u64 {
        self.first_seq + self.records
    }
}

impl SeqChunks {
    /// Takes the text of `records` records from `first_seq` on, which come
    /// next after those taken before: a bulk batch's as a chunk of its own,
    /// a small one copied into the newest chunk when it has room. Where the
    /// text starts in its chunk.
    pub(super) fn adopt(&mut self, first_seq: u64, records: usize, text: Vec<u8>) -> u32 {
        let records = records as u64;
        if let Some(chunk) = self
            .chunks
            .back_mut()
            .filter(|c| c.end_seq() == first_seq && c.text.capacity() - c.text.len() >= text.len())
        {
            let at = chunk.text.len() as u32;
            chunk.text.extend_from_slice(&text);
            chunk.records += records;
            return at;
        }
        // No text (a batch of records without hot fields) takes no room
        // until a small batch's text comes.
        let text = if text.len() >= OWN_CHUNK_BYTES || text.is_empty() {
            text
        } else {
            let mut shared = Vec::with_capacity(SHARED_CHUNK_BYTES);
            shared.extend_from_slice(&text);
            shared
        };
        self.chunks.push_back(Chunk {
            first_seq,
            records,
            text,
        });
        0
    }

    /// The text of record `seq`'s chunk from `at` on.
    #[inline]
    pub(super) fn from(&self, seq: u64, at: u32) -> &[u8] {
        let index = self.chunks.partition_point(|c| c.end_seq() <= seq);
        self.chunks
            .get(index)
            .and_then(|c| c.text.get(at as usize..))
            .unwrap_or_default()
    }

    /// The chunks holding records from `seq` on.
    pub(super) fn holding(&self, seq: u64) -> impl Iterator<Item = &Chunk> {
        let first = self.chunks.partition_point(|c| c.end_seq() <= seq);
        self.chunks.range(first..)
    }

    /// How many chunks there are (tests).
    #[cfg(test)]
    pub(super) fn len(&self) -> usize {
        self.chunks.len()
    }

    #[cfg(test)]
    pub(super) fn front(&self) -> Option<&Chunk> {
        self.chunks.front()
    }

    pub(super) fn end_seq(&self) -> Option<u64> {
        self.chunks.back().map(Chunk::end_seq)
    }

    pub(super) fn heap_bytes(&self) -> usize {
        self.chunks.iter().map(|c| c.text.capacity()).sum()
    }

    /// Drops the chunks that hold only records before `first_seq`.
    pub(super) fn evict_before(&mut self, first_seq: u64) {
        while self
            .chunks
            .front()
            .is_some_and(|c| c.end_seq() <= first_seq)
        {
            self.chunks.pop_front();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn small_batches_share_a_chunk_and_big_ones_keep_their_own() {
        let mut chunks = SeqChunks::default();
        assert_eq!(chunks.adopt(0, 2, b"ab".to_vec()), 0);
        assert_eq!(chunks.adopt(2, 1, b"cd".to_vec()), 2);
        // Copied while the shared chunk has room.
        assert_eq!(chunks.adopt(3, 1, vec![b'y'; OWN_CHUNK_BYTES]), 4);
        let big = vec![b'x'; SHARED_CHUNK_BYTES];
        assert_eq!(chunks.adopt(4, 10, big), 0);
        assert_eq!(chunks.adopt(14, 1, b"ef".to_vec()), 0);
        assert_eq!(chunks.chunks.len(), 3);
        // A record's text runs to its chunk's end: its reader knows where
        // it ends.
        assert!(chunks.from(2, 2).starts_with(b"cdyy"));
        assert_eq!(chunks.from(13, SHARED_CHUNK_BYTES as u32 - 1), b"x");
        assert_eq!(chunks.from(14, 0), b"ef");
        chunks.evict_before(4);
        assert_eq!(chunks.chunks.len(), 2);
        // A record evicted, or never held, reads as no text.
        assert_eq!(chunks.from(99, 0), b"");
        assert_eq!(chunks.end_seq(), Some(15));
        // Records without text take no room.
        let mut empty = SeqChunks::default();
        empty.adopt(0, 1_000, Vec::new());
        assert_eq!(empty.heap_bytes(), 0);
    }
}
