//! The records' text beside their compact fields, in three columns that
//! follow the records' sequence numbers and are dropped from the front as
//! records are evicted: the recipients (lowercased, for filters), the hot
//! text (what the table draws and filters read: a recipient with capitals,
//! the SMTP response, the IP) and the cold text (compressed: what only the
//! detail view reads). Beside them, the bases each record's time and
//! offsets into the first two are kept from (`block_bases`).

use std::borrow::Cow;

use super::block_bases::BlockBases;
use super::cold::ColdColumn;
use super::interner::{Interner, StrId};
use super::recipients::RecipientColumn;
use super::record::CompactRecord;
use super::seq_chunks::SeqChunks;
use crate::model::log::store_ready::{ColdText, HOT, HotEntry, RECIPIENT_IN_TEXT};

#[derive(Debug, Default)]
pub(super) struct Arena {
    pub(super) hot: SeqChunks,
    pub(super) cold: ColdColumn,
    /// The recipients again, lowercased and side by side, for filters.
    pub(super) recipients: RecipientColumn,
    /// Records' times, in milliseconds.
    pub(super) times: BlockBases<i64>,
    /// Where records' hot entries start in their chunks.
    pub(super) hot_offsets: BlockBases<u32>,
    /// Where records' recipients start in their chunks.
    pub(super) recipient_offsets: BlockBases<u32>,
    /// Recipients read back, for tests that a filter pass read none.
    #[cfg(test)]
    pub(super) recipients_read: std::cell::Cell<u64>,
}

/// A batch's text, for the records from `first_seq` on.
pub(super) struct BatchText {
    pub(super) records: usize,
    pub(super) hot: Vec<u8>,
    pub(super) cold: ColdText,
    pub(super) recipients: Vec<u8>,
}

impl Arena {
    /// Takes a batch's text; where its hot text and its recipients start
    /// in their chunks.
    pub(super) fn adopt(&mut self, first_seq: u64, text: BatchText) -> (u32, u32) {
        let hot = self.hot.adopt(first_seq, text.records, &text.hot);
        let recipients = self
            .recipients
            .adopt(first_seq, text.records, &text.recipients);
        self.cold.adopt(first_seq, text.records, text.cold);
        (hot, recipients)
    }

    /// Record `seq`'s recipient: from its hot entry where it has capitals,
    /// else its two parts joined.
    pub(super) fn recipient<'a>(
        &'a self,
        seq: u64,
        record: &CompactRecord,
        strings: &'a Interner,
    ) -> Cow<'a, str> {
        if record.flags & RECIPIENT_IN_TEXT != 0 {
            let cased = self
                .hot_field(seq, record, HotEntry::RECIPIENT, RECIPIENT_IN_TEXT)
                .and_then(|bytes| std::str::from_utf8(bytes).ok());
            return Cow::Borrowed(cased.unwrap_or(""));
        }
        match self.recipient_parts(seq, record, strings) {
            (local, "") => Cow::Borrowed(local),
            (local, domain) => Cow::Owned([local, domain].concat()),
        }
    }

    /// Record `seq`'s recipient as the store keeps it, ASCII-lowercased:
    /// through its last `@` (from the recipients column), and its domain
    /// (empty for none).
    pub(super) fn recipient_parts<'a>(
        &'a self,
        seq: u64,
        record: &CompactRecord,
        strings: &'a Interner,
    ) -> (&'a str, &'a str) {
        #[cfg(test)]
        self.recipients_read.set(self.recipients_read.get() + 1);
        let at = self.recipient_offsets.get(seq, record.recipient_at);
        let local = self.recipients.get(seq, at);
        let domain = match strings.profile(record.profile).recipient_domain {
            StrId::MAX => "",
            id => strings.get(id),
        };
        (local, domain)
    }

    /// Field `n` of record `seq`'s hot entry ([`HotEntry::field`]), when
    /// the record has it (`flag`).
    #[inline]
    pub(super) fn hot_field(
        &self,
        seq: u64,
        record: &CompactRecord,
        n: usize,
        flag: u8,
    ) -> Option<&[u8]> {
        (record.flags & flag != 0)
            .then(|| HotEntry::field(self.hot.from(seq, self.hot_at(seq, record)), n))
    }

    /// Where record `seq`'s hot entry starts in its chunk; 0 when it has
    /// none ([`HOT`]).
    #[inline]
    pub(super) fn hot_at(&self, seq: u64, record: &CompactRecord) -> u32 {
        if record.flags & HOT == 0 {
            return 0;
        }
        self.hot_offsets.get(seq, record.hot_at)
    }

    /// Record `seq`'s time.
    #[inline]
    pub(super) fn timestamp_ms(&self, seq: u64, record: &CompactRecord) -> i64 {
        self.times.get(seq, record.time_delta)
    }

    pub(super) fn evict_before(&mut self, first_seq: u64) {
        self.times.evict_before(first_seq);
        self.hot_offsets.evict_before(first_seq);
        self.recipient_offsets.evict_before(first_seq);
        self.recipients.evict_before(first_seq);
        self.hot.evict_before(first_seq);
        self.cold.evict_before(first_seq);
    }
}
