//! The text arena: each record's detail fields (and its recipient where it
//! has capitals), in chunks that are dropped as their records are
//! evicted; and the recipients column.

use std::collections::VecDeque;

use super::recipients::RecipientColumn;
use super::record::{ColdRef, CompactRecord};
use crate::model::log::store_ready::{RECIPIENT_IN_TEXT, SEPARATOR};

/// A batch's text shorter than this is copied into a shared arena chunk of
/// [`SMALL_TEXTS_CHUNK_BYTES`] instead of kept as a chunk of its own.
const SMALL_TEXT_BYTES: usize = 8 * 1024;
const SMALL_TEXTS_CHUNK_BYTES: usize = 64 * 1024;

/// Append-only text in chunks, one per bulk batch (its cleaned text,
/// adopted whole) or shared by small batches, dropped from the front once
/// every record pointing into them is gone. Records arrive and leave in
/// order, so each chunk serves a contiguous run of them.
#[derive(Debug, Default)]
pub(super) struct Arena {
    pub(super) chunks: VecDeque<ArenaChunk>,
    /// Absolute number of `chunks[0]`.
    first_chunk: u32,
    /// The recipients again, lowercased and side by side, for filters.
    pub(super) recipients: RecipientColumn,
    /// Recipients read back, for tests that a filter pass read none.
    #[cfg(test)]
    pub(super) recipients_read: std::cell::Cell<u64>,
}

#[derive(Debug)]
pub(super) struct ArenaChunk {
    text: String,
    /// The newest record with text here.
    last_seq: u64,
}

impl Arena {
    /// Takes a batch's text, for records up to `last_seq`: a bulk batch's
    /// as a chunk of its own; a small one (a live tail's few records) copied
    /// into the newest chunk, so that a chunk, and its allocation, does not
    /// stand for every record or two. Returns the chunk's number and where
    /// the text starts in it.
    pub(super) fn adopt(&mut self, text: String, last_seq: u64) -> (u32, u32) {
        if text.len() >= SMALL_TEXT_BYTES {
            self.chunks.push_back(ArenaChunk { text, last_seq });
            return (self.newest_chunk(), 0);
        }
        if let Some(chunk) = self
            .chunks
            .back_mut()
            .filter(|c| c.text.capacity() - c.text.len() >= text.len())
        {
            let start = chunk.text.len() as u32;
            chunk.text.push_str(&text);
            chunk.last_seq = last_seq;
            return (self.newest_chunk(), start);
        }
        // A chunk is never grown: growing would copy it and leave up to
        // half of it unused. A new one has room for the small batches after.
        let mut shared = String::with_capacity(SMALL_TEXTS_CHUNK_BYTES);
        shared.push_str(&text);
        self.chunks.push_back(ArenaChunk {
            text: shared,
            last_seq,
        });
        (self.newest_chunk(), 0)
    }

    /// The number of the newest chunk.
    fn newest_chunk(&self) -> u32 {
        self.first_chunk
            .wrapping_add((self.chunks.len() as u32).wrapping_sub(1))
    }

    fn get(&self, cold: ColdRef) -> &str {
        let index = cold.chunk.wrapping_sub(self.first_chunk) as usize;
        let start = cold.offset as usize;
        self.chunks
            .get(index)
            .and_then(|c| c.text.get(start..start + cold.len as usize))
            .unwrap_or("")
    }

    /// Record `seq`'s recipient: at the start of its text where it has
    /// capitals, else from the recipients column (which lowercases).
    pub(super) fn recipient(&self, seq: u64, record: &CompactRecord) -> &str {
        #[cfg(test)]
        self.recipients_read.set(self.recipients_read.get() + 1);
        if record.flags & RECIPIENT_IN_TEXT == 0 {
            return self
                .recipients
                .get(seq, record.recipient_at, record.recipient_len);
        }
        let text = self.get(record.cold);
        text.get(..usize::from(record.recipient_len))
            .unwrap_or(text)
    }

    /// The record's detail fields, after its recipient if its text has it.
    pub(super) fn details(&self, record: &CompactRecord) -> &str {
        let text = self.get(record.cold);
        let recipient = if record.flags & RECIPIENT_IN_TEXT == 0 {
            0
        } else {
            usize::from(record.recipient_len)
        };
        text.get(recipient + SEPARATOR.len_utf8()..).unwrap_or("")
    }

    pub(super) fn text_bytes(&self) -> usize {
        self.chunks.iter().map(|c| c.text.capacity()).sum()
    }

    pub(super) fn evict_before(&mut self, first_seq: u64) {
        self.recipients.evict_before(first_seq);
        while self.chunks.front().is_some_and(|c| c.last_seq < first_seq) {
            self.chunks.pop_front();
            self.first_chunk = self.first_chunk.wrapping_add(1);
        }
    }
}
