//! Which held records the filter shows, by sequence number, ascending.
//!
//! Without a filter every held record matches, and that is the state a
//! store spends most of its life in: a list of 500,000 offsets then costs
//! 2 MB and says nothing the held range does not. So it is kept as the
//! held range itself ([`MatchIndex::Every`]), and a list only for a filter
//! that leaves records out.

use std::collections::VecDeque;
use std::ops::Range;

#[derive(Clone, Debug, Default)]
pub(super) enum MatchIndex {
    /// Every held record matches.
    #[default]
    Every,
    /// These records, as offsets from `base` (u32 to keep the list small;
    /// re-based when they would overflow).
    Listed { base: u64, offsets: VecDeque<u32> },
}

/// The matches' sequence numbers, oldest first.
#[derive(Clone)]
pub(super) enum Seqs<'a> {
    Every(Range<u64>),
    Listed {
        base: u64,
        offsets: std::collections::vec_deque::Iter<'a, u32>,
    },
}

impl Iterator for Seqs<'_> {
    type Item = u64;

    #[inline]
    fn next(&mut self) -> Option<u64> {
        match self {
            Seqs::Every(range) => range.next(),
            Seqs::Listed { base, offsets } => offsets.next().map(|&o| *base + u64::from(o)),
        }
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        match self {
            Seqs::Every(range) => range.size_hint(),
            Seqs::Listed { offsets, .. } => offsets.size_hint(),
        }
    }
}

impl MatchIndex {
    /// An empty list, to be filled from `base` on.
    pub(super) fn listed(base: u64) -> MatchIndex {
        MatchIndex::Listed {
            base,
            offsets: VecDeque::new(),
        }
    }

    /// How many of the `held` records match.
    pub(super) fn len(&self, held: &Range<u64>) -> usize {
        match self {
            MatchIndex::Every => (held.end - held.start) as usize,
            MatchIndex::Listed { offsets, .. } => offsets.len(),
        }
    }

    /// The sequence number of the `i`-th match.
    pub(super) fn seq(&self, i: usize, held: &Range<u64>) -> Option<u64> {
        match self {
            MatchIndex::Every => Some(held.start + i as u64).filter(|seq| *seq < held.end),
            MatchIndex::Listed { base, offsets } => offsets.get(i).map(|&o| base + u64::from(o)),
        }
    }

    /// How many matches are older than `seq`.
    pub(super) fn position(&self, seq: u64, held: &Range<u64>) -> usize {
        match self {
            MatchIndex::Every => (seq.clamp(held.start, held.end) - held.start) as usize,
            MatchIndex::Listed { base, offsets } => {
                offsets.partition_point(|&o| base + u64::from(o) < seq)
            }
        }
    }

    /// The matches from the `from`-th on.
    pub(super) fn seqs_from(&self, from: usize, held: &Range<u64>) -> Seqs<'_> {
        match self {
            MatchIndex::Every => Seqs::Every((held.start + from as u64).min(held.end)..held.end),
            MatchIndex::Listed { base, offsets } => Seqs::Listed {
                base: *base,
                offsets: offsets.range(from.min(offsets.len())..),
            },
        }
    }

    /// Adds `seq`, newer than every match so far; `first_held` is where a
    /// re-based list starts. Nothing to add to [`MatchIndex::Every`].
    pub(super) fn push(&mut self, seq: u64, first_held: u64) {
        let MatchIndex::Listed { base, offsets } = self else {
            return;
        };
        if seq - *base > u64::from(u32::MAX) {
            // After four billion records: every held offset moves down.
            let shift = first_held - *base;
            for offset in offsets.iter_mut() {
                *offset = (u64::from(*offset) - shift) as u32;
            }
            *base = first_held;
        }
        offsets.push_back((seq - *base) as u32);
    }

    /// Drops the matches older than `first_held` (evicted records); how
    /// many went.
    pub(super) fn evict_before(&mut self, first_held: u64, held_before: &Range<u64>) -> usize {
        match self {
            MatchIndex::Every => {
                (first_held.clamp(held_before.start, held_before.end) - held_before.start) as usize
            }
            MatchIndex::Listed { base, offsets } => {
                let gone = offsets.partition_point(|&o| *base + u64::from(o) < first_held);
                offsets.drain(..gone);
                gone
            }
        }
    }

    /// Keeps the matches `keep` approves of, as a list.
    pub(super) fn retain(&mut self, held: &Range<u64>, mut keep: impl FnMut(u64) -> bool) {
        match self {
            MatchIndex::Every => {
                let mut kept = MatchIndex::listed(held.start);
                for seq in held.clone() {
                    if keep(seq) {
                        kept.push(seq, held.start);
                    }
                }
                *self = kept;
            }
            MatchIndex::Listed { base, offsets } => {
                let base = *base;
                offsets.retain(|&o| keep(base + u64::from(o)));
            }
        }
    }

    pub(super) fn heap_bytes(&self) -> usize {
        match self {
            MatchIndex::Every => 0,
            MatchIndex::Listed { offsets, .. } => offsets.capacity() * size_of::<u32>(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::filter::parse;
    use crate::app::logstore::LogStore;
    use crate::app::logstore::tests::{NOW, matched_ids, record};
    use crate::model::{LogBatch, LogRecord};

    /// Both kinds answer alike for the same matches: every held record.
    #[test]
    fn every_answers_as_the_full_list_does() {
        let held = 10..15;
        let mut list = MatchIndex::listed(10);
        for seq in held.clone() {
            list.push(seq, 10);
        }
        let every = MatchIndex::Every;
        for index in [&every, &list] {
            assert_eq!(index.len(&held), 5);
            assert_eq!(index.seq(0, &held), Some(10));
            assert_eq!(index.seq(4, &held), Some(14));
            assert_eq!(index.seq(5, &held), None);
            assert_eq!(index.position(9, &held), 0);
            assert_eq!(index.position(12, &held), 2);
            assert_eq!(index.position(99, &held), 5);
            assert_eq!(index.seqs_from(3, &held).collect::<Vec<_>>(), [13, 14]);
            assert_eq!(index.seqs_from(9, &held).count(), 0);
        }
        let (mut every, mut list) = (every, list);
        assert_eq!(every.evict_before(12, &held), 2);
        assert_eq!(list.evict_before(12, &held), 2);
        let held = 12..15;
        assert_eq!(every.len(&held), list.len(&held));
        assert_eq!(every.heap_bytes(), 0);
    }

    #[test]
    fn retaining_turns_every_into_a_list() {
        let held = 0..6;
        let mut index = MatchIndex::Every;
        index.retain(&held, |seq| seq % 2 == 0);
        assert_eq!(index.seqs_from(0, &held).collect::<Vec<_>>(), [0, 2, 4]);
        index.retain(&held, |seq| seq > 0);
        assert_eq!(index.seqs_from(0, &held).collect::<Vec<_>>(), [2, 4]);
    }

    #[test]
    fn a_list_rebases_before_its_offsets_overflow() {
        let mut index = MatchIndex::listed(0);
        index.push(10, 0);
        // Records before 10 are gone by now: offsets start from there.
        let far = u64::from(u32::MAX) + 10;
        index.push(far, 10);
        let held = 10..far + 1;
        assert_eq!(index.seqs_from(0, &held).collect::<Vec<_>>(), [10, far]);
        let MatchIndex::Listed { base, .. } = index else {
            panic!("a list stays a list");
        };
        assert_eq!(base, 10);
    }

    #[test]
    fn without_a_filter_the_matches_take_no_room() {
        let mut store = LogStore::new(40);
        let records = |from: u64| -> Vec<LogRecord> {
            (from..from + 30)
                .map(|i| record(i, None, &format!("s{i}@x.io"), "s", &[]))
                .collect()
        };
        store.append(LogBatch::from(records(0)));
        assert_eq!((store.match_count(), store.footprint().matches), (30, 0));
        // Typed a key at a time: each narrows the last.
        for typed in ["from:s", "from:s2"] {
            store.set_filter(&parse(typed).unwrap(), NOW);
        }
        assert_eq!(matched_ids(&store).len(), 11);
        assert!(store.footprint().matches > 0);
        // Evicting through a filter, then deleting it back to nothing.
        store.append(LogBatch::from(records(30)));
        assert_eq!(store.match_count(), 10);
        for typed in ["from:s", ""] {
            store.set_filter(&parse(typed).unwrap(), NOW);
        }
        assert_eq!((store.match_count(), store.footprint().matches), (40, 0));
        assert_eq!(store.match_seq(0), Some(20));
        assert_eq!(store.match_position(25), 5);
        // Clearing keeps a filter, which lists its matches from then on.
        store.set_filter(&parse("from:s5").unwrap(), NOW);
        store.clear();
        store.append(LogBatch::from(records(0)));
        assert_eq!(matched_ids(&store), ["id-5"]);
    }
}
