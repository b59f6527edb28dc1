//! An `smtp:` term over many records at once. Testing each
//! record's field where it is cost a chunk lookup, a field split and a
//! short search per record: 35-50 ms over 500,000 records. Here the
//! needles are found in the hot text a stretch at a time, each hit is
//! given to the entry it lies in (when it lies in the term's field), and
//! the pass over the records asks for each record's entry as it goes: the
//! stretch of text its record is in is searched when the pass first
//! needs it, just before its records are asked for. An SMTP response
//! kept after its group ([`SMTP_AFTER_GROUP`]) is also a hit when its
//! group holds a needle (decided once per group) or when a needle runs
//! across the join (read from the response's entry, in text just
//! searched).
//!
//! A needle found in most entries (`ok` on a server that says it in
//! every response) made the sweep as slow as the per-record test it
//! replaced. What keeps it cheap: the two bytes a needle is looked for
//! by are those that start the fewest false starts in the text at hand,
//! not in text at large; a hit's entry is found by reading back eight
//! bytes at a time, no further than the hit before; the pass looks an
//! entry up in a bitmap; and the records are read once, by the pass
//! (an earlier sweep walked them first to mark them: 19 MB read twice).

mod find;

use find::{Finder, found_in};

use super::arena::Arena;
use super::hits::{ChunkHits, EntryHits};
use super::interner::{Interner, StrId};
use super::record::CompactRecord;
use crate::app::filter::{contains_ascii_ci, ends_with_starts_of};
use crate::model::log::store_ready::{HAS_SMTP, HotEntry, RECORD_END, SEPARATOR, SMTP_AFTER_GROUP};

const SEP: u8 = SEPARATOR as u8;

/// How much of the text a needle's pair of bytes is chosen on.
const SAMPLE_BYTES: usize = 16 * 1024;

/// How much of a chunk's text is searched at a time.
const STRETCH_BYTES: usize = 64 * 1024;

/// What a sweep found, for the pass over the records to ask record by
/// record.
#[derive(Debug)]
pub(super) struct DetailSweep {
    entries: EntryHits,
    searcher: Searcher,
    groups: Groups,
}

impl DetailSweep {
    /// A sweep of the held records (`first_seq` on, `held` of them) for
    /// `needles` (lowercased). `None` when a needle is not ASCII, is
    /// empty or holds a control character: those are tested record by
    /// record.
    pub(super) fn new(needles: &[String], first_seq: u64, held: usize) -> Option<DetailSweep> {
        // Below, a needle is known to lie within one field of an entry,
        // and a comparison with it to stop at the field's end.
        if needles
            .iter()
            .any(|n| n.is_empty() || !n.is_ascii() || n.bytes().any(|b| b.is_ascii_control()))
        {
            return None;
        }
        Some(DetailSweep {
            entries: EntryHits::new(first_seq, first_seq + held as u64),
            searcher: Searcher {
                finders: Vec::new(),
            },
            groups: Groups::default(),
        })
    }

    /// Whether record `seq`'s SMTP response holds one of `needles` (those
    /// the sweep was made for); `None` when the sweep is not for it. Asked
    /// of every record of a pass: a record of the chunk of the one before,
    /// in text searched already, is answered in a few steps (its group,
    /// when decided, without a branch on what it says); the rest by
    /// [`DetailSweep::test_further`]. Not inlined into the pass's test of
    /// every term: there it made the other terms' tests a fifth slower
    /// (`type:` over 500,000 records, 2.4 ms to 2.9).
    #[inline(never)]
    pub(super) fn test(
        &mut self,
        seq: u64,
        record: &CompactRecord,
        needles: &[String],
        (arena, strings): (&Arena, &Interner),
    ) -> Option<bool> {
        let flags = record.flags;
        let current = &self.entries.current;
        if current.has(seq) {
            // The flag first: a record without the field needs no
            // offset read through its block's base.
            if flags & HAS_SMTP == 0 {
                return Some(false);
            }
            let at = arena.hot_at(seq, record);
            if at < current.searched {
                let found = current.holds(at);
                if flags & SMTP_AFTER_GROUP == 0 {
                    return Some(found);
                }
                if let Some(join) = self
                    .groups
                    .decided(strings.profile(record.profile).smtp_group)
                    && let Some(joined) = join.joins_here(arena.hot.from(seq, at))
                {
                    return Some(found | joined);
                }
            }
        }
        self.test_further(seq, record, needles, (arena, strings))
    }

    /// [`DetailSweep::test`] of a record in another chunk, or in text not
    /// searched yet (which is searched), or whose group may be joined by
    /// a needle or is not decided yet.
    #[inline(never)]
    fn test_further(
        &mut self,
        seq: u64,
        record: &CompactRecord,
        needles: &[String],
        (arena, strings): (&Arena, &Interner),
    ) -> Option<bool> {
        if !self.entries.searched(seq) {
            return None;
        }
        if record.flags & HAS_SMTP == 0 {
            return Some(false);
        }
        let new_chunk = |seq| {
            let chunk = arena.hot.holding(seq).next()?;
            Some(ChunkHits::new(
                chunk.first_seq,
                chunk.end_seq(),
                chunk.text.len(),
            ))
        };
        if !self.entries.current.has(seq) && !self.entries.seek(seq, new_chunk) {
            return Some(false);
        }
        let at = arena.hot_at(seq, record);
        let current = &mut self.entries.current;
        if at >= current.searched && (current.searched as usize) < current.len {
            self.searcher.search(current, arena, at as usize, needles);
        }
        let found = current.holds(at);
        if found || record.flags & SMTP_AFTER_GROUP == 0 {
            return Some(found);
        }
        let group = strings.profile(record.profile).smtp_group;
        if group == StrId::MAX {
            return Some(false);
        }
        let entry = || arena.hot.from(seq, at);
        Some(self.groups.joins(group, needles, strings, entry))
    }
}

/// How the needles are looked for.
#[derive(Debug)]
struct Searcher {
    /// A needle's each, chosen on the first stretch searched.
    finders: Vec<Finder>,
}

impl Searcher {
    /// Searches `chunk`'s text on from where it was searched to, up to
    /// the entry at `at` and some way on: to the end of the entry after
    /// the next [`STRETCH_BYTES`], so that the records that follow read
    /// their entries for the groups' joins soon after (a search of the
    /// whole chunk at once measured the same).
    #[cold]
    #[inline(never)]
    fn search(&mut self, chunk: &mut ChunkHits, arena: &Arena, at: usize, needles: &[String]) {
        let Some(text) = arena
            .hot
            .holding(chunk.first_seq)
            .next()
            .map(|c| c.text.as_slice())
            .filter(|t| t.len() == chunk.len)
        else {
            chunk.searched = u32::MAX;
            return;
        };
        let from = chunk.searched as usize;
        let start = from.min(text.len().saturating_sub(SAMPLE_BYTES));
        let sample = &text[start..text.len().min(start + SAMPLE_BYTES)];
        if self.finders.is_empty() {
            self.finders
                .extend(needles.iter().map(|n| Finder::new(n.as_bytes(), sample)));
        }
        let end = (at + 1).max(from + STRETCH_BYTES).min(text.len());
        // Up to an entry's end: the next stretch starts with an entry.
        let end = memchr::memchr(RECORD_END, &text[end - 1..]).map_or(text.len(), |i| end + i);
        let stretch = &text[from..end];
        for (needle, finder) in needles.iter().zip(&self.finders) {
            found_in(
                stretch,
                needle.as_bytes(),
                finder,
                HotEntry::SMTP,
                |start| {
                    chunk.mark(from + start);
                },
            );
        }
        chunk.searched = if end == text.len() {
            u32::MAX
        } else {
            end as u32
        };
    }
}

/// Where the SMTP field of the entry at the start of `entry` starts:
/// after the recipient field, which is empty unless the recipient has
/// capitals.
#[inline]
fn smtp_start(entry: &[u8]) -> Option<usize> {
    if entry.first() == Some(&SEP) {
        return Some(1);
    }
    memchr::memchr2(SEP, RECORD_END, entry)
        .filter(|&i| entry[i] == SEP)
        .map(|i| i + 1)
}

/// Whether `text` goes on at `at` with `rest` (ASCII, lowercase, no
/// control character: it cannot run past the field), case folded.
#[inline]
fn starts(text: &[u8], at: usize, rest: &[u8]) -> bool {
    text.get(at..at + rest.len())
        .is_some_and(|t| t.eq_ignore_ascii_case(rest))
}

/// What a group's text says for a term: whether it holds a needle
/// (then every response of the group matches), and if not, which rests
/// of needles a response must go on with after it, the group ending with
/// their starts.
#[derive(Debug)]
struct Join {
    holds: bool,
    /// Where the rests are in `Groups::rests`.
    from: u32,
    to: u32,
    /// With one rest of eight bytes or fewer, or none: the rest as a
    /// word, and a mask of as many bytes (none and `u64::MAX` for no rest,
    /// which nothing matches), compared with what follows the group in
    /// one step.
    word: u64,
    mask: u64,
    fast: bool,
}

impl Join {
    fn new(holds: bool, (from, to): (usize, usize), rest: Option<&[u8]>) -> Join {
        let (mut word, mut mask, mut fast) = (u64::MAX, 0, from == to);
        if let Some(rest) = rest.filter(|r| r.len() <= 8) {
            let mut bytes = [0; 8];
            bytes[..rest.len()].copy_from_slice(rest);
            word = u64::from_le_bytes(bytes);
            mask = u64::MAX >> (64 - 8 * rest.len());
            fast = true;
        }
        Join {
            holds,
            from: from as u32,
            to: to as u32,
            word,
            mask,
            fast,
        }
    }

    /// Whether a response of the group, kept after it in the hot entry at
    /// the start of `entry`, holds a needle by the group or the join; by
    /// `word`, without a branch on what the group says. `None` when that
    /// cannot be: a recipient first in the entry, the chunk's last bytes.
    #[inline(always)]
    fn joins_here(&self, entry: &[u8]) -> Option<bool> {
        let bytes: [u8; 8] = entry.get(1..9)?.try_into().ok()?;
        if entry[0] != SEP {
            return None;
        }
        let joined = ascii_lowercase(u64::from_le_bytes(bytes)) & self.mask == self.word;
        Some(self.holds | joined)
    }
}

/// Eight bytes at a time: `word` with its ASCII capitals lowercased.
#[inline(always)]
fn ascii_lowercase(word: u64) -> u64 {
    const ONES: u64 = 0x0101_0101_0101_0101;
    let low7 = word & (ONES * 0x7f);
    // The top bit of each byte: at least `A`, more than `Z`, and not
    // ASCII at all.
    let from_a = low7 + ONES * (0x80 - u64::from(b'A'));
    let past_z = low7 + ONES * (0x80 - u64::from(b'Z') - 1);
    let capitals = from_a & !past_z & !word & (ONES * 0x80);
    word | capitals >> 2
}

/// The groups' verdicts, decided the first time each is asked.
#[derive(Debug, Default)]
struct Groups {
    /// By group id: 0 not decided yet, else one more than its place in
    /// `joins`.
    verdicts: Vec<u32>,
    joins: Vec<Join>,
    /// The needles (an index) and the lengths `k` of their starts that
    /// a group ends with: a response's join is a comparison of what
    /// follows the group with the rest of the needle, `needle[k..]`.
    rests: Vec<(u32, u32)>,
}

impl Groups {
    /// Group `id`'s verdict, when it is decided and `Join::word` says it.
    #[inline(always)]
    fn decided(&self, id: StrId) -> Option<&Join> {
        let place = self.verdicts.get(id as usize)?.checked_sub(1)?;
        self.joins.get(place as usize).filter(|j| j.fast)
    }

    /// Whether a response of group `id`, kept after it in the hot entry
    /// at the start of `entry()`, holds a needle that its group or the
    /// join does. What follows the group was searched with the rest of the
    /// text: only the join is left to read.
    fn joins<'a>(
        &mut self,
        id: StrId,
        needles: &[String],
        strings: &Interner,
        entry: impl FnOnce() -> &'a [u8],
    ) -> bool {
        let place = match self.verdicts.get(id as usize) {
            Some(&place) if place > 0 => place - 1,
            _ => self.decide(id, needles, strings),
        };
        let join = &self.joins[place as usize];
        let entry = entry();
        join.holds
            || smtp_start(entry).is_some_and(|tail| {
                self.rests[join.from as usize..join.to as usize]
                    .iter()
                    .any(|&(n, k)| {
                        starts(entry, tail, &needles[n as usize].as_bytes()[k as usize..])
                    })
            })
    }

    /// Decides group `id`; its place in `joins`.
    #[cold]
    fn decide(&mut self, id: StrId, needles: &[String], strings: &Interner) -> u32 {
        let index = id as usize;
        if index >= self.verdicts.len() {
            let bound = strings.id_bound().max(index + 1);
            self.verdicts.resize(bound, 0);
        }
        let text = strings.get(id).as_bytes();
        let from = self.rests.len();
        let join = if needles
            .iter()
            .any(|n| contains_ascii_ci(text, n.as_bytes()))
        {
            Join::new(true, (from, from), None)
        } else {
            for (n, needle) in needles.iter().enumerate() {
                self.rests.extend(
                    ends_with_starts_of(text, needle.as_bytes()).map(|k| (n as u32, k as u32)),
                );
            }
            let rest = match &self.rests[from..] {
                &[(n, k)] => needles[n as usize].as_bytes().get(k as usize..),
                _ => None,
            };
            Join::new(false, (from, self.rests.len()), rest)
        };
        self.joins.push(join);
        self.verdicts[index] = self.joins.len() as u32;
        self.joins.len() as u32 - 1
    }
}
