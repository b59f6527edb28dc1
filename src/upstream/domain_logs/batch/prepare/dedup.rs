//! Finding each sender, subject, tag set, SMTP group and recipient
//! domain of a batch once.

use std::hash::BuildHasher;
use std::sync::OnceLock;

use hashbrown::HashTable;

use super::super::scan::bytes::same_bytes;
use crate::model::log::store_ready::{NO_STRING, ReadyString};

/// The hash a [`ReadyString`]'s key is found by, in a batch and in the log
/// store. foldhash, seeded once per process: several times faster than
/// SipHash on these short strings, and still keyed, so an upstream cannot
/// pick strings that all collide.
fn string_hash(key: &str) -> u64 {
    static STATE: OnceLock<foldhash::fast::FixedState> = OnceLock::new();
    STATE
        .get_or_init(|| {
            foldhash::fast::FixedState::with_seed(
                foldhash::fast::RandomState::default().hash_one(0u64),
            )
        })
        .hash_one(key)
}

/// Which of a record's strings a [`Dedup::recent`] row is for.
pub(super) const SENDER: usize = 0;
pub(super) const SUBJECT: usize = 1;
pub(super) const TAGS: usize = 2;
pub(super) const SMTP_GROUP: usize = 3;
pub(super) const RECIPIENT_DOMAIN: usize = 4;
pub(super) const IP: usize = 5;

/// Entries of each row of [`Dedup::recent`].
const RECENT_WAYS: usize = 64;
/// How far a [`quick_key`] is shifted to pick one of them.
const RECENT_SHIFT: u32 = 64 - RECENT_WAYS.trailing_zeros();

/// Finds each sender, subject, tag set and SMTP group of a batch once.
pub(super) struct Dedup {
    table: HashTable<u32>,
    /// The index of a string recently looked up, for each of sender,
    /// subject, tag set and SMTP group, by a [`quick_key`] of its text: a
    /// batch names a few dozen of each over and over, and a comparison
    /// with one candidate is much cheaper than hashing the whole string
    /// and probing the table. A miss (or a candidate that differs) goes to
    /// the keyed table, so text chosen to collide here costs only that.
    recent: [[u32; RECENT_WAYS]; 6],
}

impl Default for Dedup {
    fn default() -> Dedup {
        Dedup {
            // A batch of the service's has a few hundred distinct strings.
            table: HashTable::with_capacity(256),
            recent: [[NO_STRING; RECENT_WAYS]; 6],
        }
    }
}

/// A cheap mix of a string's length and its first and last eight bytes:
/// where to look in [`Dedup::recent`].
#[inline(always)]
fn quick_key(b: &[u8]) -> u64 {
    let (head, tail) = match (b.first_chunk::<8>(), b.last_chunk::<8>()) {
        (Some(head), Some(tail)) => (u64::from_le_bytes(*head), u64::from_le_bytes(*tail)),
        _ => (
            b.iter().fold(0, |word, &byte| word << 8 | u64::from(byte)),
            0,
        ),
    };
    (head ^ tail.rotate_left(29) ^ b.len() as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15)
}

impl Dedup {
    /// The index of `key` among `strings`, added when new. `clean` gives
    /// its cleaned form, or `None` when that is the key itself (as it is
    /// for nearly every string), so that nothing is copied to find out.
    #[inline(always)]
    pub(super) fn index(
        &mut self,
        strings: &mut Vec<ReadyString>,
        slot: usize,
        key: &str,
        clean: impl FnOnce() -> Option<String>,
    ) -> u32 {
        let way = (quick_key(key.as_bytes()) >> RECENT_SHIFT) as usize;
        let recent = self.recent[slot][way];
        if let Some(string) = strings.get(recent as usize)
            && same_bytes(string.key.as_bytes(), key.as_bytes())
        {
            return recent;
        }
        let hash = string_hash(key);
        let i = *self
            .table
            .entry(
                hash,
                |&i| same_bytes(strings[i as usize].key.as_bytes(), key.as_bytes()),
                |&i| strings[i as usize].hash,
            )
            .or_insert_with(|| {
                strings.push(ReadyString {
                    key: key.into(),
                    cleaned: clean().map(String::into_boxed_str),
                    hash,
                });
                (strings.len() - 1) as u32
            })
            .get();
        self.recent[slot][way] = i;
        i
    }
}
