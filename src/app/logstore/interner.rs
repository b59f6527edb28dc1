//! The string table: senders, subjects, tag sets and SMTP groups, each
//! held once and shared by every record that names it.
//!
//! Against a server whose subjects are nearly all distinct (an order
//! number in each), the table holds a string for every few records, so
//! what each costs beyond its text counts: a 16-byte slot, its mask and
//! its place in the hash table. The texts lie side by side in chunks
//! ([`Texts`]) rather than in an allocation each, which cost a pointer and
//! a length in the slot and the allocator's rounding on top.

use foldhash::fast::FixedState;
use hashbrown::{HashMap, HashTable, hash_table};

use super::profiles::{Profile, ProfileId, Profiles};
use crate::charmask::char_mask;
use crate::model::log::store_ready::ReadyString;

#[cfg(test)]
mod tests;

pub(super) type StrId = u32;

/// Strings by id, shared by every record that holds them, freed when the
/// last one is evicted. Freed ids are reused, which is why a compiled
/// filter's cached verdict for an id is reset when the id is handed out.
///
/// The table holds only ids and finds them by the hash of their key, the
/// [`ReadyString::hash`] the batch's cleaning already took, so each string
/// is stored once and none is hashed here. Since it holds ids, the texts
/// can move (see [`Strings::compact`]) without it noticing.
#[derive(Debug, Default)]
pub(super) struct Interner {
    table: HashTable<StrId>,
    strings: Strings,
    /// Which characters each slot's text holds (see [`char_mask`]), beside
    /// the slots so that a filter can rule most strings out without reading
    /// them.
    masks: Vec<u64>,
    free: Vec<StrId>,
    /// Records' senders, tag sets, SMTP groups and recipient domains,
    /// four at a time.
    profiles: Profiles,
}

/// The slots and their texts.
#[derive(Debug, Default)]
struct Strings {
    slots: Vec<Slot>,
    texts: Texts,
    /// Bytes of `texts` that live strings use.
    held: usize,
    /// Bytes of `texts` that freed strings left, until a compaction.
    dead: usize,
    /// The upstream text of each string whose cleaning changed it
    /// ([`KEY_ASIDE`]). Few are, so a map beside the slots costs less than
    /// a field in every one.
    keys: HashMap<StrId, Box<str>, FixedState>,
    /// Texts no chunk can take ([`TEXT_ASIDE`]): longer than a chunk, or
    /// past the 4 GiB a slot's offset reaches.
    spilled: HashMap<StrId, Box<str>, FixedState>,
}

#[derive(Clone, Copy, Debug, Default)]
struct Slot {
    /// Where the text is in [`Texts`].
    at: u32,
    /// The text's length ([`LEN`]) and the [`KEY_ASIDE`] and [`TEXT_ASIDE`]
    /// flags: a text in a chunk is at most [`CHUNK`] bytes long, which
    /// leaves the top bits free.
    len: u32,
    /// The low half of the [`ReadyString::hash`]: all the table needs to
    /// find the slot again as it grows, through [`table_hash`].
    hash: u32,
    refs: u32,
}

const _: () = assert!(size_of::<Slot>() == 16);

/// The key is in [`Strings::keys`], not the text.
const KEY_ASIDE: u32 = 1 << 31;
/// The text is in [`Strings::spilled`], not in [`Texts`].
const TEXT_ASIDE: u32 = 1 << 30;
const LEN: u32 = TEXT_ASIDE - 1;
const _: () = assert!(CHUNK <= LEN as usize);

/// Dead bytes worth a compaction, once they also outnumber the live ones:
/// below it a small table would copy its texts for a few bytes' gain.
const MIN_DEAD: usize = 64 * 1024;

/// What the hash table is given for a slot's 32-bit hash. hashbrown takes
/// the bucket from the low bits and a 7-bit tag from the top ones, which a
/// bare `u64::from(hash)` leaves 0 for every string, so that every probe
/// would compare every key it passes. An odd multiplier maps the low bits
/// one to one (they stay as spread as the hash's) and mixes all 32 into
/// the top. Insert, lookup, growth and removal must all use it, or a
/// string is looked for in another bucket than it was put in.
fn table_hash(hash: u32) -> u64 {
    u64::from(hash).wrapping_mul(0x9e37_79b9_7f4a_7c15)
}

impl Slot {
    fn text_len(&self) -> usize {
        (self.len & LEN) as usize
    }
}

impl Strings {
    fn text(&self, id: StrId) -> &str {
        let slot = &self.slots[id as usize];
        if slot.len & TEXT_ASIDE != 0 {
            return self.spilled.get(&id).map_or("", |text| text);
        }
        self.texts.get(slot.at, slot.text_len())
    }

    /// What the string is found by: the upstream text it was made from.
    fn key(&self, id: StrId) -> &str {
        match self.slots[id as usize].len & KEY_ASIDE {
            0 => self.text(id),
            _ => self.keys.get(&id).map_or("", |key| key),
        }
    }

    /// Whether slot `id` is the string of key `key` whose hash is `hash`.
    /// The hash, in the slot already read, rules out most other strings
    /// without reading their text.
    fn is(&self, id: StrId, hash: u32, key: &str) -> bool {
        self.slots[id as usize].hash == hash && self.key(id) == key
    }

    /// Puts `string` in slot `id`; its text's mask.
    fn fill(&mut self, id: StrId, string: ReadyString, hash: u32, refs: u32) -> u64 {
        let (text, upstream) = match string.cleaned {
            Some(text) => (text, Some(string.key)),
            None => (string.key, None),
        };
        let mask = char_mask(&text);
        let mut slot = Slot {
            at: 0,
            len: 0,
            hash,
            refs,
        };
        (slot.at, slot.len) = self.place(id, &text);
        if let Some(upstream) = upstream {
            slot.len |= KEY_ASIDE;
            self.keys.insert(id, upstream);
        }
        self.slots[id as usize] = slot;
        mask
    }

    /// Puts string `id`'s text in a chunk, else aside; its slot's `at` and
    /// `len`.
    fn place(&mut self, id: StrId, text: &str) -> (u32, u32) {
        match self.texts.push(text) {
            Some(at) => {
                self.held += text.len();
                (at, text.len() as u32)
            }
            None => {
                self.spilled.insert(id, text.into());
                (0, TEXT_ASIDE)
            }
        }
    }

    /// Empties slot `id`; its hash.
    fn free(&mut self, id: StrId) -> u32 {
        let slot = std::mem::take(&mut self.slots[id as usize]);
        if slot.len & TEXT_ASIDE != 0 {
            self.spilled.remove(&id);
        } else {
            self.held -= slot.text_len();
            self.dead += slot.text_len();
        }
        if slot.len & KEY_ASIDE != 0 {
            self.keys.remove(&id);
        }
        if self.dead > self.held && self.dead >= MIN_DEAD {
            self.compact();
        }
        slot.hash
    }

    /// Copies the live texts into new chunks, leaving the dead bytes
    /// behind. It copies the live bytes once for at least as many dead ones
    /// freed since the last time, so an evicting store pays it a byte at a
    /// time, and `texts` stays within about twice what is live.
    fn compact(&mut self) {
        let old = std::mem::take(&mut self.texts);
        self.held = 0;
        self.dead = 0;
        for id in 0..self.slots.len() {
            let slot = self.slots[id];
            if slot.refs == 0 || slot.len & TEXT_ASIDE != 0 {
                continue;
            }
            let (at, len) = self.place(id as StrId, old.get(slot.at, slot.text_len()));
            self.slots[id].at = at;
            self.slots[id].len = len | slot.len & KEY_ASIDE;
        }
    }

    fn heap_bytes(&self) -> usize {
        let aside = |map: &HashMap<StrId, Box<str>, FixedState>| {
            map.allocation_size() + map.values().map(|text| text.len()).sum::<usize>()
        };
        self.slots.capacity() * size_of::<Slot>()
            + self.texts.heap_bytes()
            + aside(&self.keys)
            + aside(&self.spilled)
    }
}

/// Texts side by side in chunks of at most [`CHUNK`] bytes, none across
/// two, found by chunk and position packed in a `u32`. Chunks and not one
/// growing `String`: that doubles as it fills, holding up to twice the
/// text and copying all of it each time, where a new chunk wastes at most
/// the tail of the one before.
#[derive(Debug, Default)]
struct Texts {
    chunks: Vec<String>,
}

const CHUNK_BITS: u32 = 16;
const CHUNK: usize = 1 << CHUNK_BITS;
/// As many chunks as a `u32` position reaches.
const MAX_CHUNKS: usize = 1 << (u32::BITS - CHUNK_BITS);

impl Texts {
    /// Appends `text`; where it is, or `None` when no chunk can take it.
    fn push(&mut self, text: &str) -> Option<u32> {
        if text.is_empty() {
            return Some(0);
        }
        if text.len() > CHUNK {
            return None;
        }
        if self
            .chunks
            .last()
            .is_none_or(|chunk| chunk.len() + text.len() > CHUNK)
        {
            if self.chunks.len() == MAX_CHUNKS {
                return None;
            }
            // A small table stays small: the first chunk grows as it fills.
            // Past it, the table is big and takes every chunk in full.
            let capacity = if self.chunks.is_empty() { 0 } else { CHUNK };
            self.chunks.push(String::with_capacity(capacity));
        }
        let index = self.chunks.len() - 1;
        let chunk = &mut self.chunks[index];
        if chunk.capacity() - chunk.len() < text.len() {
            let grown = (chunk.capacity() * 2)
                .max(chunk.len() + text.len())
                .clamp(256, CHUNK);
            chunk.reserve_exact(grown - chunk.len());
        }
        let at = index << CHUNK_BITS | chunk.len();
        chunk.push_str(text);
        Some(at as u32)
    }

    fn get(&self, at: u32, len: usize) -> &str {
        let start = at as usize & (CHUNK - 1);
        // An empty text names no chunk, and there may be none yet.
        self.chunks
            .get((at >> CHUNK_BITS) as usize)
            .map_or("", |chunk| &chunk[start..start + len])
    }

    fn heap_bytes(&self) -> usize {
        self.chunks.capacity() * size_of::<String>()
            + self.chunks.iter().map(String::capacity).sum::<usize>()
    }
}

impl Interner {
    pub(super) fn heap_bytes(&self) -> usize {
        self.table.allocation_size()
            + self.strings.heap_bytes()
            + self.masks.capacity() * size_of::<u64>()
            + self.free.capacity() * size_of::<StrId>()
            + self.profiles.heap_bytes()
    }

    /// The id of `string`, with `refs` more references to it, and whether
    /// the id is newly (re)assigned.
    pub(super) fn intern(&mut self, string: ReadyString, refs: u32) -> (StrId, bool) {
        let hash = string.hash as u32;
        let strings = &self.strings;
        let entry = self.table.entry(
            table_hash(hash),
            |&id| strings.is(id, hash, &string.key),
            |&id| table_hash(strings.slots[id as usize].hash),
        );
        match entry {
            hash_table::Entry::Occupied(found) => {
                let id = *found.get();
                self.strings.slots[id as usize].refs += refs;
                (id, false)
            }
            hash_table::Entry::Vacant(vacant) => {
                let id = match self.free.pop() {
                    Some(id) => id,
                    None => {
                        self.strings.slots.push(Slot::default());
                        self.masks.push(0);
                        (self.masks.len() - 1) as StrId
                    }
                };
                self.masks[id as usize] = self.strings.fill(id, string, hash, refs);
                vacant.insert(id);
                (id, true)
            }
        }
    }

    pub(super) fn release(&mut self, id: StrId) {
        let slot = &mut self.strings.slots[id as usize];
        slot.refs -= 1;
        if slot.refs == 0 {
            let hash = self.strings.free(id);
            if let Ok(found) = self
                .table
                .find_entry(table_hash(hash), |&other| other == id)
            {
                found.remove();
            }
            self.free.push(id);
        }
    }

    /// The id of `profile`, with `refs` more references to it. A profile
    /// holds a reference to each of its strings, which the caller took
    /// for it: when the profile is held already, they are given back.
    pub(super) fn add_profile(&mut self, profile: Profile, refs: u32) -> ProfileId {
        let (id, fresh) = self.profiles.add(profile, refs);
        if !fresh {
            profile.strings().for_each(|string| self.release(string));
        }
        id
    }

    /// One reference fewer to profile `id`, and to its strings with its
    /// last.
    pub(super) fn release_profile(&mut self, id: ProfileId) {
        if let Some(profile) = self.profiles.release(id) {
            profile.strings().for_each(|string| self.release(string));
        }
    }

    #[inline]
    pub(super) fn profile(&self, id: ProfileId) -> Profile {
        self.profiles.get(id)
    }

    /// Distinct profiles held.
    pub(super) fn profiles(&self) -> usize {
        self.profiles.live()
    }

    pub(super) fn mask(&self, id: StrId) -> u64 {
        self.masks[id as usize]
    }

    pub(super) fn get(&self, id: StrId) -> &str {
        self.strings.text(id)
    }

    /// One past the largest id in use.
    pub(super) fn id_bound(&self) -> usize {
        self.strings.slots.len()
    }

    pub(super) fn live(&self) -> usize {
        self.table.len()
    }
}
