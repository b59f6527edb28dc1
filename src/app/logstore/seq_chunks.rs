//! Text of a run of records in chunks that follow the records' sequence
//! numbers: the recipients column and the hot text. A record keeps only
//! where its text starts in its chunk; the chunk is found by its sequence
//! number, and chunks go as their records are evicted.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicUsize, Ordering};

/// Bytes a chunk is made for: batches' text is copied into it, one after
/// another, until the next does not fit. A chunk of a batch's own (the
/// buffer its preparation wrote) cost up to a page of the allocator's
/// rounding a batch and left the buffer's unused room held; with the copy
/// (a few milliseconds over 500,000 records) the batch's buffer is freed
/// and reused for the next, and the store's own memory grows a megabyte
/// at a time. Pages of a chunk not yet written are not resident.
const CHUNK_BYTES: usize = 1024 * 1024;

#[derive(Debug, Default)]
pub(super) struct SeqChunks {
    chunks: VecDeque<Chunk>,
    /// The chunk the last lookup found: a filter pass reads records in
    /// order, so the next is nearly always in the same one, and a search
    /// of the chunks for each record was a tenth of an `smtp:` pass.
    /// Atomic only so that the store stays `Sync`; one thread reads it.
    last: AtomicUsize,
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
    /// Takes (copies) the text of `records` records from `first_seq` on,
    /// which come next after those taken before: into the newest chunk when
    /// it has room, else into a new one. Where the text starts in its
    /// chunk.
    pub(super) fn adopt(&mut self, first_seq: u64, records: usize, text: &[u8]) -> u32 {
        let records = records as u64;
        if let Some(chunk) = self
            .chunks
            .back_mut()
            .filter(|c| c.end_seq() == first_seq && c.text.capacity() - c.text.len() >= text.len())
        {
            let at = chunk.text.len() as u32;
            chunk.text.extend_from_slice(text);
            chunk.records += records;
            return at;
        }
        // No text (a batch of records without hot fields) takes no room
        // until a batch's text comes.
        let mut chunk = Vec::new();
        if !text.is_empty() {
            chunk.reserve_exact(text.len().max(CHUNK_BYTES));
            chunk.extend_from_slice(text);
        }
        self.chunks.push_back(Chunk {
            first_seq,
            records,
            text: chunk,
        });
        0
    }

    /// The text of record `seq`'s chunk from `at` on.
    #[inline]
    pub(super) fn from(&self, seq: u64, at: u32) -> &[u8] {
        let last = self.last.load(Ordering::Relaxed);
        let chunk = match self.chunks.get(last) {
            Some(c) if c.first_seq <= seq && seq < c.end_seq() => Some(c),
            _ => {
                let index = self.chunks.partition_point(|c| c.end_seq() <= seq);
                self.last.store(index, Ordering::Relaxed);
                self.chunks.get(index).filter(|c| c.first_seq <= seq)
            }
        };
        chunk
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
    fn batches_share_a_chunk_until_it_is_full() {
        let mut chunks = SeqChunks::default();
        assert_eq!(chunks.adopt(0, 2, b"ab"), 0);
        assert_eq!(chunks.adopt(2, 1, b"cd"), 2);
        let fill = vec![b'y'; CHUNK_BYTES - 6];
        assert_eq!(chunks.adopt(3, 1, &fill), 4);
        // Two bytes left: these do not fit, and start the next chunk.
        assert_eq!(chunks.adopt(4, 10, b"xyz"), 0);
        // A batch larger than a chunk gets one its size.
        let big = vec![b'x'; CHUNK_BYTES + 1];
        assert_eq!(chunks.adopt(14, 1, &big), 0);
        assert_eq!(chunks.adopt(15, 1, b"ef"), 0);
        assert_eq!(chunks.chunks.len(), 4);
        // A record's text runs to its chunk's end: its reader knows where
        // it ends.
        assert!(chunks.from(2, 2).starts_with(b"cdyy"));
        assert_eq!(chunks.from(13, 0), b"xyz");
        assert_eq!(chunks.from(15, 0), b"ef");
        chunks.evict_before(4);
        assert_eq!(chunks.chunks.len(), 3);
        // A record evicted, or never held, reads as no text.
        assert_eq!(chunks.from(2, 0), b"");
        assert_eq!(chunks.from(99, 0), b"");
        assert_eq!(chunks.end_seq(), Some(16));
        // Records without text take no room.
        let mut empty = SeqChunks::default();
        empty.adopt(0, 1_000, &[]);
        assert_eq!(empty.heap_bytes(), 0);
    }
}
