//! The cold column: each record's id, message id, URL and unknown fields
//! ([`ColdText`]), compressed a batch at a time. Only the detail view and
//! exports read them, one record or a run of records at a time, so a
//! block is unpacked when one of its records is asked for and kept
//! unpacked until another block is.

use std::collections::VecDeque;
use std::sync::Mutex;

use crate::model::log::store_ready::{ColdText, RECORD_END};

/// Plain text gathered from small batches is compressed once it is this
/// long.
const OPEN_BLOCK_BYTES: usize = 64 * 1024;

#[derive(Debug, Default)]
pub(super) struct ColdColumn {
    blocks: VecDeque<Block>,
    /// The block last read, unpacked: an export or a detail view paging
    /// through records reads one block's records in a row.
    unpacked: Mutex<Option<Unpacked>>,
}

#[derive(Debug)]
struct Block {
    first_seq: u64,
    records: u64,
    text: ColdText,
}

impl Block {
    fn end_seq(&self) -> u64 {
        self.first_seq + self.records
    }
}

#[derive(Debug)]
struct Unpacked {
    first_seq: u64,
    text: String,
    /// Where each record's entry starts.
    starts: Vec<u32>,
}

impl ColdColumn {
    /// Takes the cold text of `records` records from `first_seq` on, which
    /// come next after those taken before. Plain text (a live tail's few
    /// records) gathers in the newest block until it is worth compressing.
    pub(super) fn adopt(&mut self, first_seq: u64, records: usize, text: ColdText) {
        let records = records as u64;
        if let ColdText::Plain(more) = &text
            && let Some(open) = self.blocks.back_mut()
            && open.end_seq() == first_seq
            && let ColdText::Plain(gathered) = &mut open.text
        {
            gathered.push_str(more);
            open.records += records;
            if gathered.len() >= OPEN_BLOCK_BYTES {
                open.text = ColdText::pack(std::mem::take(gathered));
            }
            return;
        }
        self.seal();
        self.blocks.push_back(Block {
            first_seq,
            records,
            text,
        });
    }

    /// Compresses the newest block if it is gathering plain text: a bulk
    /// batch comes after it.
    fn seal(&mut self) {
        if let Some(open) = self.blocks.back_mut()
            && let ColdText::Plain(gathered) = &mut open.text
        {
            open.text = ColdText::pack(std::mem::take(gathered));
        }
    }

    /// `read` of record `seq`'s entry (without its end), when it is held.
    pub(super) fn with<R>(&self, seq: u64, read: impl FnOnce(&str) -> R) -> Option<R> {
        let index = self.blocks.partition_point(|b| b.end_seq() <= seq);
        let block = self.blocks.get(index).filter(|b| b.first_seq <= seq)?;
        let nth = (seq - block.first_seq) as usize;
        if let ColdText::Plain(text) = &block.text {
            return text.split(RECORD_END as char).nth(nth).map(read);
        }
        let mut unpacked = self.unpacked.lock().unwrap_or_else(|e| e.into_inner());
        if unpacked
            .as_ref()
            .is_none_or(|u| u.first_seq != block.first_seq)
        {
            let text = block.text.unpack().into_owned();
            let starts = std::iter::once(0)
                .chain(memchr::memchr_iter(RECORD_END, text.as_bytes()).map(|end| end as u32 + 1))
                .collect();
            *unpacked = Some(Unpacked {
                first_seq: block.first_seq,
                text,
                starts,
            });
        }
        let u = unpacked.as_ref()?;
        let start = *u.starts.get(nth)? as usize;
        let end = *u.starts.get(nth + 1)? as usize - 1;
        u.text.get(start..end).map(read)
    }

    /// Bytes on the heap, the unpacked block included.
    pub(super) fn heap_bytes(&self) -> usize {
        let unpacked = self
            .unpacked
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .as_ref()
            .map_or(0, |u| u.text.capacity() + u.starts.capacity() * 4);
        self.blocks
            .iter()
            .map(|b| b.text.heap_bytes())
            .sum::<usize>()
            + unpacked
    }

    /// Drops the blocks that hold only records before `first_seq`, and
    /// the unpacked copy of one of them.
    pub(super) fn evict_before(&mut self, first_seq: u64) {
        while let Some(block) = self.blocks.front().filter(|b| b.end_seq() <= first_seq) {
            let gone = block.first_seq;
            let unpacked = self.unpacked.get_mut().unwrap_or_else(|e| e.into_inner());
            if unpacked.as_ref().is_some_and(|u| u.first_seq == gone) {
                *unpacked = None;
            }
            self.blocks.pop_front();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entries(range: std::ops::Range<u64>) -> String {
        range.map(|i| format!("id-{i}\u{1f}<m{i}>\u{1e}")).collect()
    }

    #[test]
    fn records_read_back_from_packed_and_gathering_blocks() {
        let mut cold = ColdColumn::default();
        cold.adopt(0, 1_000, ColdText::pack(entries(0..1_000)));
        assert!(matches!(cold.blocks[0].text, ColdText::Packed { .. }));
        for i in 1_000..6_000 {
            cold.adopt(i, 1, ColdText::pack(entries(i..i + 1)));
        }
        // The small batches gathered, and were packed once 64 KiB long.
        assert_eq!(cold.blocks.len(), 3);
        assert!(matches!(cold.blocks[1].text, ColdText::Packed { .. }));
        assert!(matches!(cold.blocks[2].text, ColdText::Plain(_)));
        cold.adopt(6_000, 1_000, ColdText::pack(entries(6_000..7_000)));
        assert!(
            cold.blocks
                .iter()
                .all(|b| matches!(b.text, ColdText::Packed { .. }))
        );
        for seq in [0, 1, 999, 1_000, 2_500, 5_999, 6_000, 6_999, 0, 6_999] {
            let entry = cold.with(seq, str::to_string);
            assert_eq!(entry, Some(format!("id-{seq}\u{1f}<m{seq}>")), "{seq}");
        }
        assert_eq!(cold.with(7_000, str::to_string), None);
        // The unpacked first block goes with it.
        assert!(cold.with(0, str::len).is_some());
        cold.evict_before(1_000);
        assert!(cold.unpacked.lock().unwrap().is_none());
        assert_eq!(cold.with(999, str::to_string), None);
        assert_eq!(
            cold.with(1_000, str::len),
            Some("id-1000\u{1f}<m1000>".len())
        );
        // Ids that share most of their bytes pack to much less.
        let plain = entries(1_000..7_000).len();
        let packed: usize = cold.blocks.iter().map(|b| b.text.heap_bytes()).sum();
        assert!(packed * 10 < plain * 6, "{packed} of {plain}");
    }
}
