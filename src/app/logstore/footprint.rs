//! What the store's parts hold on the heap, by their allocations'
//! capacities: `bench store` and `cargo bench` report it per record.

use super::LogStore;
use super::record::CompactRecord;

/// Heap bytes by part.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Footprint {
    /// The compact records, and the bases of their times and offsets.
    pub records: usize,
    /// The string table: its texts, slots, masks and hash table.
    pub strings: usize,
    /// The hot text: SMTP responses (what follows their group), IPs,
    /// recipients with capitals.
    pub hot: usize,
    /// The cold text, compressed: ids, message ids, URLs, user agents,
    /// unknown fields.
    pub cold: usize,
    /// The recipients, lowercased, for filters.
    pub recipients: usize,
    /// The match index, with the narrowed filters' kept matches.
    pub matches: usize,
}

impl Footprint {
    pub fn total(&self) -> usize {
        self.records + self.strings + self.hot + self.cold + self.recipients + self.matches
    }
}

impl LogStore {
    /// What the store holds on the heap, part by part.
    pub fn footprint(&self) -> Footprint {
        Footprint {
            records: self.records.capacity() * size_of::<CompactRecord>()
                + self.arena.times.heap_bytes()
                + self.arena.hot_offsets.heap_bytes()
                + self.arena.recipient_offsets.heap_bytes(),
            strings: self.strings.heap_bytes(),
            hot: self.arena.hot.heap_bytes(),
            cold: self.arena.cold.heap_bytes(),
            recipients: self.arena.recipients.heap_bytes(),
            matches: self.matches.heap_bytes()
                + self.wider.iter().map(|w| w.heap_bytes()).sum::<usize>(),
        }
    }
}
