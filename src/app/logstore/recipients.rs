//! Every held record's recipient through its last `@` (its domain is an
//! interned string), lowercased and side by side, so that a free word or a
//! `to:` term searches all recipients in one sweep; for a recipient
//! without capitals, its only copy of that part.
//!
//! Senders, subjects and tags are interned: a text term tests each distinct
//! one once. Recipients are not (nearly every record names another one, see
//! the store's notes), and testing each record's recipient where it is, in
//! the arena among the record's detail fields, cost a free word over 500,000
//! records about 12 ms, twice a field term. Here they are in one run of
//! bytes per few thousand records, ASCII-lowercased and separated by a byte
//! sanitized text never holds, and a term's needles are found with
//! `memchr::memmem` over the whole run: a few milliseconds for all of them.
//!
//! For an ASCII needle (lowercase, as [`contains_ci`] takes it) a hit in
//! the lowercased recipient is exactly a [`contains_ci`] match: that
//! compares ASCII letters without case and every other byte as it is,
//! which is what lowercasing ASCII bytes alone leaves to compare. Other
//! needles are tested record by record as before.
//!
//! [`contains_ci`]: crate::app::filter::contains_ci

use memchr::memmem::Finder;

use super::hits::RecordHits;
use super::seq_chunks::{Chunk, SeqChunks};
use crate::model::log::store_ready::RECIPIENT_END;

/// Ends each recipient, so that no needle (which never holds a control
/// character) is found across two of them.
const END: u8 = RECIPIENT_END;

/// The recipients in chunks of a run of records each, lowercased, each
/// followed by [`END`]. Which record a byte is in is the number of
/// [`END`]s before it in its chunk: no offsets are kept.
#[derive(Debug, Default)]
pub(super) struct RecipientColumn {
    pub(super) chunks: SeqChunks,
}

impl RecipientColumn {
    /// Takes the recipients of `records` records from `first_seq` on, as a
    /// batch's preparation made them ([`StoreReady::recipients`]); where
    /// they start in their chunk.
    ///
    /// [`StoreReady::recipients`]: crate::model::log::store_ready::StoreReady::recipients
    pub(super) fn adopt(&mut self, first_seq: u64, records: usize, text: &[u8]) -> u32 {
        self.chunks.adopt(first_seq, records, text)
    }

    /// Record `seq`'s recipient through its last `@`, lowercased: from `at`
    /// in its chunk to its [`END`].
    pub(super) fn get(&self, seq: u64, at: u32) -> &str {
        let text = self.chunks.from(seq, at);
        let recipient = memchr::memchr(END, text).map_or(text, |end| &text[..end]);
        std::str::from_utf8(recipient).unwrap_or("")
    }

    pub(super) fn heap_bytes(&self) -> usize {
        self.chunks.heap_bytes()
    }

    pub(super) fn evict_before(&mut self, first_seq: u64) {
        self.chunks.evict_before(first_seq);
    }

    /// The records from `from_seq` on whose recipient holds any of
    /// `needles` (lowercase ASCII, none empty).
    pub(super) fn find(&self, needles: &[Finder<'static>], from_seq: u64) -> RecordHits {
        let end_seq = self.chunks.end_seq().unwrap_or(from_seq);
        let base = from_seq.min(end_seq);
        let mut hits = RecordHits::new(base, end_seq);
        for chunk in self.chunks.holding(base) {
            for finder in needles {
                mark(chunk, finder, &mut hits);
            }
        }
        hits
    }
}

/// Sets the bit of each record of `chunk` whose recipient holds `finder`'s
/// needle, reading the chunk once: after a hit, the search goes on from
/// the next record's recipient.
fn mark(chunk: &Chunk, finder: &Finder<'static>, hits: &mut RecordHits) {
    let text = chunk.text.as_slice();
    let (mut at, mut seq) = (0, chunk.first_seq);
    while let Some(found) = text.get(at..).and_then(|rest| finder.find(rest)) {
        let position = at + found;
        // Records passed over on the way to the hit.
        seq += ends_in(&text[at..position]);
        hits.set(seq);
        match memchr::memchr(END, &text[position..]) {
            Some(end) => at = position + end + 1,
            None => break,
        }
        seq += 1;
    }
}

/// How many recipients end in `bytes`. Between two hits there is often a
/// record or two, too little to pay for memchr's setup; between rare ones,
/// thousands.
fn ends_in(bytes: &[u8]) -> u64 {
    if bytes.len() < 64 {
        bytes.iter().filter(|&&b| b == END).count() as u64
    } else {
        memchr::memchr_iter(END, bytes).count() as u64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn finders(needles: &[&str]) -> Vec<Finder<'static>> {
        needles
            .iter()
            .map(|n| Finder::new(n.as_bytes()).into_owned())
            .collect()
    }

    /// Adds `recipients` for the records from `seq` on, as a batch's
    /// preparation lays them out; where each starts in its chunk.
    fn add<S: AsRef<str>>(column: &mut RecipientColumn, seq: u64, recipients: &[S]) -> Vec<u32> {
        let mut text = Vec::new();
        let mut starts = Vec::new();
        for recipient in recipients {
            starts.push(text.len() as u32);
            text.extend(recipient.as_ref().bytes().map(|b| b.to_ascii_lowercase()));
            text.push(END);
        }
        let base = column.adopt(seq, recipients.len(), &text);
        starts.iter().map(|at| base + at).collect()
    }

    #[test]
    fn hits_are_per_record_and_never_span_two() {
        let mut column = RecipientColumn::default();
        add(&mut column, 0, &["Ana@X.io", "bob@y.io"]);
        add(&mut column, 2, &["xana@z.io", "an", "a@b"]);
        let hits = column.find(&finders(&["ana"]), 0);
        let found: Vec<bool> = (0..5).map(|s| hits.get(s).unwrap_or(false)).collect();
        assert_eq!(found, [true, false, true, false, false]);
        // "an" then "a@b": the needle across the separator is no hit.
        let hits = column.find(&finders(&["ana@"]), 0);
        assert_eq!(hits.get(3), Some(false));
        assert_eq!(hits.get(0), Some(true));
        // Records after the search are not answered for.
        assert_eq!(hits.get(5), None);
    }

    #[test]
    fn chunks_fill_evict_and_are_searched_from_a_sequence_number() {
        let mut column = RecipientColumn::default();
        // Longer than a chunk: each takes one of its own.
        let long = "z".repeat(3 << 20);
        for batch in 0..100u64 {
            let recipients: Vec<String> = (batch * 100..batch * 100 + 100)
                .map(|seq| match seq {
                    3_000 | 5_000 => long.clone(),
                    _ => format!("USER{seq}@example.org"),
                })
                .collect();
            let starts = add(&mut column, batch * 100, &recipients);
            let last = batch * 100 + 99;
            assert_eq!(
                column.get(last, starts[99]),
                format!("user{last}@example.org")
            );
        }
        assert!(column.chunks.len() > 3);
        column.evict_before(6_000);
        assert!(column.chunks.front().is_some_and(|c| c.first_seq <= 6_000));
        let hits = column.find(&finders(&["user99"]), 6_000);
        let found: Vec<u64> = (6_000..10_000)
            .filter(|&s| hits.get(s) == Some(true))
            .collect();
        assert_eq!(found, (9_900..10_000).collect::<Vec<_>>());
        assert_eq!(hits.get(5_999), None);
    }
}
