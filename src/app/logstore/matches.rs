//! The match index: which held records the filter shows, kept up as
//! records arrive and leave, and the matches of wider filters kept for
//! going back to them.

use std::ops::Range;

use super::codes::type_of_code;
use super::compiled::CompiledFilter;
use super::match_index::MatchIndex;
use super::{LogStore, RecordView};
use crate::app::filter::Filter;
use crate::model::LogEventType;

/// A narrowing filter sweeps the recipient column when it tests at least
/// one held record in this many.
const SWEEP_FRACTION: usize = 8;

/// How many filters back [`LogStore::set_filter`] keeps matches for.
const MAX_WIDER: usize = 8;

/// The matches of a filter as they were when a narrower one replaced it.
#[derive(Debug)]
pub(super) struct WiderMatches {
    /// With its cached verdicts (forgotten, like the current filter's, for
    /// string ids handed out again).
    pub(super) filter: CompiledFilter,
    matches: MatchIndex,
    /// Records from here on arrived after it was replaced.
    next_seq: u64,
}

/// The same terms, wherever they are in the input.
fn same_terms(a: &Filter, b: &Filter) -> bool {
    a.terms.len() == b.terms.len()
        && a.terms
            .iter()
            .zip(&b.terms)
            .all(|(a, b)| a.negated == b.negated && a.kind == b.kind)
}

impl WiderMatches {
    pub(super) fn heap_bytes(&self) -> usize {
        self.matches.heap_bytes()
    }
}

impl LogStore {
    /// Applies a new filter: one pass over every held record, or less
    /// where the work was done before. Most keystrokes in the filter bar
    /// either narrow the filter (a term typed longer, a term added: only the
    /// current matches are tested) or go back to one it narrowed (Backspace:
    /// those matches are restored, and only records that arrived since are
    /// tested).
    pub fn set_filter(&mut self, filter: &Filter, now_ms: i64) {
        if self.filter.is_timeless() && same_terms(filter, &self.filter.source) {
            return;
        }
        self.match_version += 1;
        self.top_filter_changed();
        if let Some(at) = self
            .wider
            .iter()
            .rposition(|w| same_terms(&w.filter.source, filter))
        {
            self.wider.truncate(at + 1);
            if let Some(wider) = self.wider.pop() {
                self.restore(wider);
                return;
            }
        }
        let compiled = CompiledFilter::compile(filter, now_ms);
        let narrower = compiled.narrows(&self.filter);
        if narrower && self.filter.is_timeless() {
            if self.wider.len() == MAX_WIDER {
                self.wider.remove(0);
            }
            self.wider.push(WiderMatches {
                filter: std::mem::take(&mut self.filter),
                matches: self.matches.clone(),
                next_seq: self.next_seq(),
            });
        } else if !narrower {
            self.wider.clear();
        }
        self.filter = compiled;
        let held = self.held();
        if self.filter.matches_everything() {
            self.matches = MatchIndex::Every;
            return;
        }
        if narrower {
            // A sweep reads every held recipient; worth it when the
            // matches to test are a good part of them.
            if self.matches.len(&held) >= self.records.len() / SWEEP_FRACTION {
                self.filter
                    .sweep((&self.arena, &self.strings), &self.records, self.first_seq);
            }
            let (records, filter, strings, arena) =
                (&self.records, &mut self.filter, &self.strings, &self.arena);
            self.matches.retain(&held, |seq| {
                records
                    .get((seq - held.start) as usize)
                    .is_some_and(|record| filter.matches(seq, record, strings, arena))
            });
            self.filter.end_sweep();
            return;
        }
        self.filter
            .sweep((&self.arena, &self.strings), &self.records, self.first_seq);
        self.matches = MatchIndex::listed(self.first_seq);
        self.match_from(self.first_seq);
        self.filter.end_sweep();
    }

    /// Goes back to a filter the current one narrowed.
    fn restore(&mut self, wider: WiderMatches) {
        self.filter = wider.filter;
        self.matches = wider.matches;
        let held = self.held();
        self.matches.evict_before(self.first_seq, &held);
        self.match_from(wider.next_seq.max(self.first_seq));
    }

    /// Tests the held records from `seq` on, adding matches to the index.
    fn match_from(&mut self, seq: u64) {
        if let MatchIndex::Every = self.matches {
            return;
        }
        let start = (seq - self.first_seq) as usize;
        for (i, record) in self.records.iter().enumerate().skip(start) {
            let seq = self.first_seq + i as u64;
            if self.filter.matches(seq, record, &self.strings, &self.arena) {
                self.matches.push(seq, self.first_seq);
            }
        }
    }

    /// The held records' sequence numbers.
    pub(super) fn held(&self) -> Range<u64> {
        self.first_seq..self.next_seq()
    }

    /// Held records that match the filter.
    pub fn match_count(&self) -> usize {
        self.matches.len(&self.held())
    }

    /// The sequence number of the `i`-th match.
    pub fn match_seq(&self, i: usize) -> Option<u64> {
        self.matches.seq(i, &self.held())
    }

    /// The `i`-th matching record, oldest first.
    pub fn match_at(&self, i: usize) -> Option<RecordView<'_>> {
        self.view(self.match_seq(i)?)
    }

    /// Each match's time and event type, oldest first: what the histogram
    /// counts, read from the compact records without their strings.
    pub fn match_times(&self) -> impl Iterator<Item = (i64, Option<LogEventType>)> + Clone + '_ {
        let held = self.held();
        self.matches.seqs_from(0, &held).filter_map(move |seq| {
            let record = self.records.get(usize::try_from(seq - held.start).ok()?)?;
            Some((
                self.arena.timestamp_ms(seq, record),
                type_of_code(record.event),
            ))
        })
    }

    /// Where a record is, or would be, among the matches: the number of
    /// matches older than `seq`.
    pub fn match_position(&self, seq: u64) -> usize {
        self.matches.position(seq, &self.held())
    }
}
