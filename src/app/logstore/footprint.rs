//! What the store's parts hold on the heap, by their allocations'
//! capacities: `bench store` and `cargo bench` report it per record.

use super::LogStore;
use super::record::CompactRecord;

/// Heap bytes by part.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Footprint {
    /// The compact records.
    pub records: usize,
    /// The string table: its texts, slots, masks and hash table.
    pub strings: usize,
    /// The text arena's chunks (recipients and detail fields).
    pub text: usize,
    /// The recipients again, lowercased, for filters.
    pub recipients: usize,
    /// The match index, with the narrowed filters' kept matches.
    pub matches: usize,
    /// Unknown fields.
    pub extras: usize,
}

impl Footprint {
    pub fn total(&self) -> usize {
        self.records + self.strings + self.text + self.recipients + self.matches + self.extras
    }
}

impl LogStore {
    /// What the store holds on the heap, part by part.
    pub fn footprint(&self) -> Footprint {
        let extras = self.extras.capacity()
            * size_of::<(u64, crate::model::log::store_ready::ExtraFields)>()
            + self
                .extras
                .iter()
                .map(|(_, fields)| fields.heap_bytes())
                .sum::<usize>();
        Footprint {
            records: self.records.capacity() * size_of::<CompactRecord>(),
            strings: self.strings.heap_bytes(),
            text: self.arena.text_bytes(),
            recipients: self.arena.recipients.heap_bytes(),
            matches: self.matches.capacity() * size_of::<u32>()
                + self.wider.iter().map(|w| w.heap_bytes()).sum::<usize>(),
            extras,
        }
    }
}
