//! The string table: senders, subjects, tag sets and user agents, each
//! held once and shared by every record that names it.

use hashbrown::{HashTable, hash_table};

use crate::charmask::char_mask;
use crate::model::log::store_ready::ReadyString;

pub(super) type StrId = u32;

/// Strings by id, shared by every record that holds them, freed when the
/// last one is evicted. Freed ids are reused, which is why a compiled
/// filter's cached verdict for an id is reset when the id is handed out.
///
/// The table holds only ids and finds them by the hash of their slot's
/// text, the [`ReadyString::hash`] the batch's cleaning already took, so
/// each string is stored once and none is hashed here.
#[derive(Debug, Default)]
pub(super) struct Interner {
    table: HashTable<StrId>,
    slots: Vec<Slot>,
    /// Which characters each slot's text holds (see [`char_mask`]), beside
    /// the slots so that a filter can rule most strings out without reading
    /// them.
    masks: Vec<u64>,
    free: Vec<StrId>,
}

#[derive(Debug)]
struct Slot {
    /// Sanitized and capped: what is drawn and filtered.
    text: Box<str>,
    /// The upstream text it was made from, only when that differs: lookups
    /// are by upstream text, which is how a cleaned batch names its strings
    /// ([`ReadyString::key`]).
    upstream: Option<Box<str>>,
    /// The hash of the upstream text (the [`ReadyString::hash`]).
    hash: u64,
    refs: u32,
}

impl Slot {
    fn key(&self) -> &str {
        self.upstream.as_deref().unwrap_or(&self.text)
    }
}

impl Interner {
    pub(super) fn heap_bytes(&self) -> usize {
        let texts: usize = self
            .slots
            .iter()
            .map(|s| s.text.len() + s.upstream.as_ref().map_or(0, |u| u.len()))
            .sum();
        texts
            + self.slots.capacity() * size_of::<Slot>()
            + self.masks.capacity() * size_of::<u64>()
            + self.free.capacity() * size_of::<StrId>()
            + self.table.capacity() * (size_of::<StrId>() + 1)
    }

    /// The id of `string`, with `refs` more references to it, and whether
    /// the id is newly (re)assigned.
    pub(super) fn intern(&mut self, string: ReadyString, refs: u32) -> (StrId, bool) {
        let (key, hash) = (&*string.key, string.hash);
        let slots = &self.slots;
        let entry = self.table.entry(
            hash,
            |&id| slots[id as usize].key() == key,
            |&id| slots[id as usize].hash,
        );
        match entry {
            hash_table::Entry::Occupied(found) => {
                let id = *found.get();
                self.slots[id as usize].refs += refs;
                (id, false)
            }
            hash_table::Entry::Vacant(vacant) => {
                let (text, upstream) = match string.cleaned {
                    Some(text) => (text, Some(string.key)),
                    None => (string.key, None),
                };
                let slot = Slot {
                    text,
                    upstream,
                    hash,
                    refs,
                };
                let mask = char_mask(&slot.text);
                let id = match self.free.pop() {
                    Some(id) => {
                        self.slots[id as usize] = slot;
                        self.masks[id as usize] = mask;
                        id
                    }
                    None => {
                        self.slots.push(slot);
                        self.masks.push(mask);
                        (self.slots.len() - 1) as StrId
                    }
                };
                vacant.insert(id);
                (id, true)
            }
        }
    }

    pub(super) fn release(&mut self, id: StrId) {
        let slot = &mut self.slots[id as usize];
        slot.refs -= 1;
        if slot.refs == 0 {
            let hash = slot.hash;
            slot.text = Box::default();
            slot.upstream = None;
            if let Ok(found) = self.table.find_entry(hash, |&other| other == id) {
                found.remove();
            }
            self.free.push(id);
        }
    }

    pub(super) fn mask(&self, id: StrId) -> u64 {
        self.masks[id as usize]
    }

    pub(super) fn get(&self, id: StrId) -> &str {
        &self.slots[id as usize].text
    }

    /// One past the largest id in use.
    pub(super) fn id_bound(&self) -> usize {
        self.slots.len()
    }

    pub(super) fn live(&self) -> usize {
        self.table.len()
    }
}
