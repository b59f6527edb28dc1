//! Domain-log records held in memory, built for hundreds of thousands of
//! them.
//!
//! - Each record is a 26-byte `CompactRecord`: its time and offsets
//!   (from a base per block of records, `block_bases`), event type as a
//!   byte, and u32 ids into a reference-counted string table for subject
//!   and IP, and for its profile (`profiles`): sender, the tag set
//!   (joined with U+001F, which sanitized text never holds), SMTP
//!   response group and recipient domain, which repeat together. Strings
//!   and profiles repeat a lot, so the table stays small and a filter
//!   tests each distinct string once.
//! - The rest of each record's text is in columns of chunks that follow
//!   the records' order and are dropped as their records are evicted
//!   (`arena`): the SMTP response (what follows its interned group),
//!   which the table draws and filters read (the hot text); the
//!   id, message id, URL, user agent and unknown fields, which only the
//!   detail view and exports read, compressed a batch at a time (the cold
//!   text, `cold`). Ids and message ids were half of all a record held.
//! - Recipients are not interned: on a busy domain nearly every record
//!   names another recipient than the one before, and a third of them are
//!   new, so a table of them saved no memory and cost a cache miss or more
//!   per record (the most of the ingest's time on the reducer). Their
//!   domains are: a few dozen serve most recipients. The rest of each,
//!   through its last `@`, is kept lowercased and side by side
//!   (`recipients`), so that a pass over many records finds a free word or
//!   `to:` value in all of them in one sweep, and a record reads its
//!   recipient from there and its domain; only one with capitals, which
//!   lowercasing loses, keeps its own copy in its hot text.
//!   Each record keeps its recipient's character mask too, so a filter
//!   rules most of them out without reading them.
//! - The filter's matches are an index of record positions that grows as
//!   records arrive (none at all without a filter: every record matches):
//!   only new records are tested. Setting a new filter re-scans once, and
//!   an `smtp:` term then sweeps the hot text a chunk at a time;
//!   per-term verdicts are cached per string id, and
//!   decided for every held string before a pass over many records, which
//!   then only looks them up by id.
//! - Past the cap, the oldest records are evicted and counted.
//!
//! Text arrives sanitized ([`crate::sanitize::clean`]) and cut to
//! [`MAX_FIELD_BYTES`](crate::model::log::store_ready::MAX_FIELD_BYTES), so
//! everything read back is safe to draw: the client cleans each batch on
//! the thread that parsed it ([`StoreReady`]), compressing its cold text
//! there too, and an append only looks up the batch's distinct strings and
//! adopts its text.

use std::borrow::Cow;
use std::collections::VecDeque;

use crate::model::LogBatch;
use crate::model::log::store_ready::{
    ColdEntry, HAS_URL, HAS_USER_AGENT, HOT, NO_STRING, ReadyRecord, ReadyString, SEPARATOR,
    StoreReady,
};
use crate::model::{LogEventType, LogRecord};

mod arena;
mod block_bases;
mod codes;
mod cold;
mod compiled;
mod delivery;
mod detail_sweep;
mod footprint;
mod hits;
mod interner;
mod match_index;
mod matches;
mod profiles;
mod recipients;
mod record;
mod seq_chunks;
#[cfg(test)]
mod sweep_tests;
#[cfg(test)]
mod tests;
mod text_test;
mod top;
#[cfg(test)]
mod top_tests;

use arena::{Arena, BatchText};
pub use codes::{TYPE_CODES, count_slot_type};
use codes::{type_code, type_of_code};
use compiled::CompiledFilter;
pub use delivery::Delivery;
pub use footprint::Footprint;
use interner::{Interner, StrId};
use match_index::MatchIndex;
use matches::WiderMatches;
use profiles::{BatchProfiles, Profile, ProfileId};
use record::CompactRecord;
use top::TopCounts;

/// What one [`LogStore::append`] did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Appended {
    pub records: usize,
    pub matched: usize,
    pub evicted: usize,
    /// Matches that left the front of the match index with the evicted
    /// records; a cursor into the matches moves up by this much.
    pub matches_evicted: usize,
}

/// Every record of one domain stream, and which of them the filter shows.
#[derive(Debug)]
pub struct LogStore {
    cap: usize,
    records: VecDeque<CompactRecord>,
    /// Sequence number of `records[0]`; sequence numbers count every record
    /// ever appended since the last clear.
    first_seq: u64,
    strings: Interner,
    arena: Arena,
    filter: CompiledFilter,
    /// Matches of the filters the current one narrowed, oldest first, so
    /// that deleting what was typed restores them instead of testing every
    /// record again.
    wider: Vec<WiderMatches>,
    /// The records the filter shows.
    matches: MatchIndex,
    counts: [u64; TYPE_CODES],
    evicted: u64,
    /// Clears so far: a sequence number names the same record only while
    /// this stays the same.
    generation: u64,
    /// Bumped whenever the matches may have changed (records in or out, a
    /// new filter): what the histogram strip's cache is keyed by.
    match_version: u64,
    /// The top-values panel's counts, while it is open.
    top: Option<TopCounts>,
}

/// One record as the table draws it: borrowed, sanitized text.
#[derive(Clone, Debug)]
pub struct RecordView<'a> {
    pub seq: u64,
    pub timestamp_ms: i64,
    pub event_type: Option<LogEventType>,
    pub sender: &'a str,
    pub recipient: Cow<'a, str>,
    pub subject: &'a str,
    tags: &'a str,
}

impl<'a> RecordView<'a> {
    pub fn tags(&self) -> impl Iterator<Item = &'a str> + use<'a> {
        self.tags.split(SEPARATOR).filter(|t| !t.is_empty())
    }
}

impl LogStore {
    /// A store that holds at most `cap` records (at least one).
    pub fn new(cap: usize) -> LogStore {
        LogStore {
            cap: cap.max(1),
            records: VecDeque::new(),
            first_seq: 0,
            strings: Interner::default(),
            arena: Arena::default(),
            filter: CompiledFilter::default(),
            wider: Vec::new(),
            matches: MatchIndex::Every,
            counts: [0; TYPE_CODES],
            evicted: 0,
            generation: 0,
            match_version: 0,
            top: None,
        }
    }

    /// Forgets every record (the stream is being re-opened); keeps the
    /// filter.
    pub fn clear(&mut self) {
        let cap = self.cap;
        let filter = std::mem::take(&mut self.filter);
        let generation = self.generation + 1;
        let match_version = self.match_version + 1;
        *self = LogStore::new(cap);
        self.filter = filter;
        self.generation = generation;
        self.match_version = match_version;
        if !self.filter.matches_everything() {
            self.matches = MatchIndex::listed(self.first_seq);
        }
        // Cached verdicts name strings that are gone, and swept recipients
        // records that are.
        for text in &mut self.filter.texts {
            text.clear();
        }
    }

    /// Makes room for `records` more records (at most up to the cap), so a
    /// stream whose size is known does not grow the store step by step.
    pub fn reserve(&mut self, records: usize) {
        let room = self.cap.saturating_sub(self.records.len());
        self.records.reserve(records.min(room));
    }

    /// Adds records in arrival order: O(batch), each new record tested once
    /// against the filter. The batch was cleaned on the thread that parsed
    /// it; here its distinct strings are looked up once each and its text
    /// is adopted as it is.
    pub fn append(&mut self, batch: LogBatch) -> Appended {
        let StoreReady {
            strings,
            records,
            hot,
            cold,
            recipients,
        } = batch.into_store_ready();
        let mut outcome = Appended::default();
        if records.is_empty() {
            return outcome;
        }
        self.match_version += 1;
        let first_seq = self.next_seq();
        let profiles = BatchProfiles::of(&records);
        let ids = self.intern_batch(strings, &records, &profiles);
        let profile_ids: Vec<ProfileId> = profiles
            .distinct
            .iter()
            .zip(&profiles.uses)
            .map(|(&[sender, tags, smtp_group, recipient_domain], &uses)| {
                let id = |i| store_id(&ids, i);
                let profile = Profile {
                    sender: id(sender),
                    tags: id(tags),
                    smtp_group: id(smtp_group),
                    recipient_domain: id(recipient_domain),
                };
                self.strings.add_profile(profile, uses)
            })
            .collect();
        let (hot_base, recipients_base) = self.arena.adopt(
            first_seq,
            BatchText {
                records: records.len(),
                hot,
                cold,
                recipients,
            },
        );
        for ((seq, record), &profile) in (first_seq..).zip(&records).zip(&profiles.of_record) {
            let compact = CompactRecord {
                time_delta: self.arena.times.push(seq, record.timestamp_ms),
                recipient_mask: record.recipient_mask,
                ip: store_id(&ids, record.ip),
                profile: profile_ids[profile as usize],
                subject: ids[record.subject as usize],
                hot_at: if record.flags & HOT != 0 {
                    self.arena.hot_offsets.push(seq, hot_base + record.hot_at)
                } else {
                    0
                },
                recipient_at: self
                    .arena
                    .recipient_offsets
                    .push(seq, recipients_base + record.recipient_at),
                event: type_code(record.event_type),
                flags: record.flags,
            };
            self.counts[usize::from(compact.event)] += 1;
            if self
                .filter
                .matches(seq, &compact, &self.strings, &self.arena)
            {
                self.matches.push(seq, self.first_seq);
                outcome.matched += 1;
            }
            self.records.push_back(compact);
            outcome.records += 1;
        }
        let excess = self.records.len().saturating_sub(self.cap);
        if excess > 0 {
            outcome.matches_evicted = self.evict(excess);
            outcome.evicted = excess;
        }
        outcome
    }

    /// Records held.
    pub fn len(&self) -> usize {
        self.records.len()
    }

    pub fn is_empty(&self) -> bool {
        self.records.is_empty()
    }

    /// Records appended since the last clear, evicted ones included.
    pub fn streamed(&self) -> u64 {
        self.next_seq()
    }

    /// How many times the store was cleared: sequence numbers taken before
    /// a clear name other records (or none) after it.
    pub fn generation(&self) -> u64 {
        self.generation
    }

    /// Changes when the matches may have: a new filter, records appended or
    /// evicted, a clear.
    pub fn match_version(&self) -> u64 {
        self.match_version
    }

    /// Records evicted to stay under the cap since the last clear.
    pub fn evicted(&self) -> u64 {
        self.evicted
    }

    pub fn cap(&self) -> usize {
        self.cap
    }

    /// Held records per event type; see [`count_slot_type`] for the slots.
    pub fn counts_by_type(&self) -> &[u64; TYPE_CODES] {
        &self.counts
    }

    /// Distinct strings held, for tests and diagnostics.
    pub fn distinct_strings(&self) -> usize {
        self.strings.live()
    }

    /// Distinct profiles (sender, tag set, SMTP group and recipient domain)
    /// held, for tests and diagnostics.
    pub fn distinct_profiles(&self) -> usize {
        self.strings.profiles()
    }

    /// A held record by sequence number.
    pub fn view(&self, seq: u64) -> Option<RecordView<'_>> {
        let record = self.record(seq)?;
        let profile = self.strings.profile(record.profile);
        Some(RecordView {
            seq,
            timestamp_ms: self.arena.timestamp_ms(seq, record),
            event_type: type_of_code(record.event),
            sender: self.strings.get(profile.sender),
            recipient: self.arena.recipient(seq, record, &self.strings),
            subject: self.strings.get(record.subject),
            tags: self.strings.get(profile.tags),
        })
    }

    /// A held record with every field, for the detail view and exports.
    pub fn full_record(&self, seq: u64) -> Option<LogRecord> {
        let record = self.record(seq)?;
        let view = self.view(seq)?;
        let delivery = self.delivery(seq).unwrap_or_default();
        // A held record's cold entry is always there; were it not, the
        // record would still show, without those fields.
        let (id, message_id, url, user_agent, extra) = self
            .arena
            .cold
            .with(seq, |entry| {
                let [id, message_id, url, agent, extra] = ColdEntry::read(entry);
                let has = |flag: u8| record.flags & flag != 0;
                (
                    id.to_string(),
                    message_id.to_string(),
                    has(HAS_URL).then(|| url.to_string()),
                    has(HAS_USER_AGENT).then(|| agent.to_string()),
                    ColdEntry::extra(extra),
                )
            })
            .unwrap_or_default();
        Some(LogRecord {
            id,
            timestamp_ms: view.timestamp_ms,
            event_type: view.event_type,
            sender: view.sender.to_string(),
            recipient: view.recipient.to_string(),
            subject: view.subject.to_string(),
            tags: view.tags().map(str::to_string).collect(),
            message_id,
            smtp_response: delivery.smtp_response.map(std::borrow::Cow::into_owned),
            ip: delivery.ip.map(str::to_string),
            user_agent,
            url,
            extra,
        })
    }

    fn record(&self, seq: u64) -> Option<&CompactRecord> {
        let index = usize::try_from(seq.checked_sub(self.first_seq)?).ok()?;
        self.records.get(index)
    }

    fn next_seq(&self) -> u64 {
        self.first_seq + self.records.len() as u64
    }

    /// The store's id of each of a batch's strings, with a reference for
    /// every record that names it as its subject or IP, and for every
    /// profile of the batch that names it.
    fn intern_batch(
        &mut self,
        strings: Vec<ReadyString>,
        records: &[ReadyRecord],
        profiles: &BatchProfiles,
    ) -> Vec<StrId> {
        let mut refs = vec![0u32; strings.len()];
        for record in records {
            refs[record.subject as usize] += 1;
            if record.ip != NO_STRING {
                refs[record.ip as usize] += 1;
            }
        }
        for i in profiles.strings() {
            refs[i as usize] += 1;
        }
        strings
            .into_iter()
            .zip(refs)
            .map(|(string, refs)| {
                // A string only records the client dropped named.
                if refs == 0 {
                    return StrId::MAX;
                }
                let (id, fresh) = self.strings.intern(string, refs);
                if fresh {
                    self.filter.forget(id);
                    for wider in &mut self.wider {
                        wider.filter.forget(id);
                    }
                }
                id
            })
            .collect()
    }

    /// Drops the `n` oldest records; returns how many matches went with them.
    fn evict(&mut self, n: usize) -> usize {
        self.top_evict(n);
        let held_before = self.held();
        for record in self.records.drain(..n) {
            self.strings.release(record.subject);
            if record.ip != StrId::MAX {
                self.strings.release(record.ip);
            }
            self.strings.release_profile(record.profile);
            self.counts[usize::from(record.event)] -= 1;
        }
        self.first_seq += n as u64;
        self.evicted += n as u64;
        self.arena.evict_before(self.first_seq);
        self.matches.evict_before(self.first_seq, &held_before)
    }
}

/// The store's id of a batch's string `i` (from [`LogStore::intern_batch`]),
/// `StrId::MAX` for [`NO_STRING`].
fn store_id(ids: &[StrId], i: u32) -> StrId {
    match i {
        NO_STRING => StrId::MAX,
        i => ids[i as usize],
    }
}
