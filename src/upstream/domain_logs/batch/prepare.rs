//! A batch prepared for the log store ([`StoreReady`]), on the thread that parsed it.
//!
//! Sanitizing and capping every string of a record, and finding which
//! senders, subjects and tag sets repeat, were most of what storing a
//! record cost the UI thread. Done here, on the parse thread while the
//! batch's text is still in its cache, they leave the log store only to
//! look up the batch's few distinct strings and to adopt its text whole.

use std::borrow::Cow;
use std::hash::BuildHasher;
use std::sync::OnceLock;

use hashbrown::HashTable;
use serde_json::Value;

use crate::charmask::narrow_char_mask;
use crate::model::log::batch::{LogBatch, LogRecordRef, Span, Tags};
use crate::model::log::smtp::smtp_group;
use crate::model::log::store_ready::{
    ColdEntry, ColdText, HAS_SMTP, HAS_URL, HAS_USER_AGENT, HotEntry, MAX_FIELD_BYTES, NO_STRING,
    RECIPIENT_END, RECIPIENT_IN_TEXT, ReadyRecord, ReadyString, SEPARATOR, SMTP_AFTER_GROUP,
    StoreReady,
};
use crate::sanitize::{cap, clean_capped};

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

/// The most bytes a field keeps, its `…` included.
const FIELD_CAP: usize = MAX_FIELD_BYTES + '…'.len_utf8();

/// Sanitized and cut to [`MAX_FIELD_BYTES`], then `…` when cut.
fn clean_field(text: &str) -> Cow<'_, str> {
    clean_capped(text, FIELD_CAP)
}

/// How a batch's strings are cleaned.
#[derive(Clone, Copy)]
enum Cleaning {
    /// All of the batch's text, and its side buffer (where escapes are
    /// undone: a `\u001b` in the text is an ESC there), is printable ASCII,
    /// as nearly every batch is. One check of the whole stood for one of
    /// every string, and only a cap is left to apply.
    Plain,
    Mixed,
}

impl Cleaning {
    fn clean(self, text: &str) -> Cow<'_, str> {
        match self {
            Cleaning::Plain => cap(Cow::Borrowed(text), FIELD_CAP),
            Cleaning::Mixed => clean_field(text),
        }
    }

    /// Appends `text` cleaned and capped.
    fn push(self, out: &mut String, text: &str) {
        out.push_str(&self.clean(text));
    }
}

/// Which of a record's strings a [`Dedup::recent`] row is for.
const SENDER: usize = 0;
const SUBJECT: usize = 1;
const TAGS: usize = 2;
const SMTP_GROUP: usize = 3;
const RECIPIENT_DOMAIN: usize = 4;
const IP: usize = 5;

/// Entries of each row of [`Dedup::recent`].
const RECENT_WAYS: usize = 64;
/// How far a [`quick_key`] is shifted to pick one of them.
const RECENT_SHIFT: u32 = 64 - RECENT_WAYS.trailing_zeros();

/// Finds each sender, subject, tag set and SMTP group of a batch once.
struct Dedup {
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
    fn index(
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

/// `cleaned`, when it is not `original` itself.
fn changed(original: &str, cleaned: Cow<'_, str>) -> Option<String> {
    match cleaned {
        Cow::Borrowed(_) => None,
        Cow::Owned(text) => (text != original).then_some(text),
    }
}

/// Appends the tags, each as `part` makes it, between separators.
fn join_tags<'t>(out: &mut String, tags: Tags<'t>, part: impl Fn(&mut String, &'t str)) {
    for (i, tag) in tags.iter().enumerate() {
        if i > 0 {
            out.push(SEPARATOR);
        }
        part(out, tag);
    }
}

/// `plain` says all the batch's strings are printable ASCII.
pub(super) fn store_ready(batch: &LogBatch, plain: bool) -> StoreReady {
    if plain
        && batch.spill.is_empty()
        && batch.extras.is_empty()
        && let Some(cleaned) = clean_plain(batch)
    {
        return cleaned;
    }
    clean_any(batch, plain)
}

/// The bytes of a span's text; none for an absent field.
fn span_bytes(span: Span) -> usize {
    if span == Span::ABSENT {
        0
    } else {
        span.len as usize
    }
}

/// The bytes a batch's [`StoreReady::hot`] and cold text take at most,
/// but for unknown fields (guessed): cleaning never lengthens text. Every
/// recipient is counted, for the few with capitals the hot text keeps,
/// rather than reading each to find out (the store copies what was
/// written into its own chunks).
fn text_bytes(batch: &LogBatch) -> (usize, usize) {
    batch.records.iter().fold((0, 0), |(hot, cold), r| {
        let hot_entry = span_bytes(r.recipient) + span_bytes(r.smtp_response);
        let extra = if r.extra == 0 { 0 } else { 64 };
        let cold_entry = span_bytes(r.id)
            + span_bytes(r.message_id)
            + span_bytes(r.url)
            + span_bytes(r.user_agent)
            + extra
            + 5;
        (hot + hot_entry + 3, cold + cold_entry)
    })
}

/// A batch's hot and cold text as its records are written, each record's
/// entries one after another.
struct Texts {
    hot: Vec<u8>,
    /// Where the last entry written to `hot` starts and ends.
    previous_hot: Option<(usize, usize)>,
    cold: String,
    /// Room for a record's unknown fields' JSON.
    scratch: Vec<u8>,
}

impl Texts {
    fn for_batch(batch: &LogBatch) -> Texts {
        let (hot, cold) = text_bytes(batch);
        Texts {
            hot: Vec::with_capacity(hot),
            previous_hot: None,
            cold: String::with_capacity(cold),
            scratch: Vec::new(),
        }
    }

    /// Writes a record's hot entry: its recipient when it has capitals and
    /// its SMTP response, or none when it has neither. An
    /// entry the same as the one before (a message's events often carry
    /// the same response) is not written again: the record shares it.
    /// Where its entry starts.
    fn push_hot(&mut self, cased_recipient: Option<&str>, smtp: Option<&str>) -> u32 {
        if cased_recipient.is_none() && smtp.is_none() {
            return 0;
        }
        let hot = &mut self.hot;
        let start = hot.len();
        HotEntry::write(hot, [cased_recipient, smtp].map(Option::unwrap_or_default));
        if let Some((at, end)) = self.previous_hot
            && hot[at..end] == hot[start..]
        {
            hot.truncate(start);
            return at as u32;
        }
        self.previous_hot = Some((start, hot.len()));
        start as u32
    }

    /// Writes a record's cold entry; the names and strings of its unknown
    /// fields are cleaned as they are written.
    fn push_cold<'a>(
        &mut self,
        fields: [&str; 4],
        extra: impl IntoIterator<Item = (&'a str, &'a Value)>,
    ) {
        ColdEntry::write(
            &mut self.cold,
            &mut self.scratch,
            fields,
            extra,
            &clean_field,
        );
    }

    /// The hot text (the store copies it into its chunks) and the cold
    /// text, compressed when long enough.
    fn finish(self, out: &mut StoreReady) {
        out.hot = self.hot;
        out.cold = ColdText::pack(self.cold);
    }
}

/// [`store_ready`] of any batch, through each record's borrowed view.
fn clean_any(batch: &LogBatch, plain: bool) -> StoreReady {
    let mut out = StoreReady {
        records: Vec::with_capacity(batch.len()),
        recipients: Vec::with_capacity(recipient_bytes(batch)),
        ..StoreReady::default()
    };
    let mut texts = Texts::for_batch(batch);
    let cleaning = if plain {
        Cleaning::Plain
    } else {
        Cleaning::Mixed
    };
    let mut dedup = Dedup::default();
    let mut joined = String::new();
    for record in batch.iter() {
        let sender = dedup.index(&mut out.strings, SENDER, record.sender, || {
            changed(record.sender, cleaning.clean(record.sender))
        });
        let subject = dedup.index(&mut out.strings, SUBJECT, record.subject, || {
            changed(record.subject, cleaning.clean(record.subject))
        });
        // A tag set is found by its upstream tags joined; cleaning (which
        // would drop the separators) is per tag, for a new set. A tag
        // holding the separator itself cannot be told apart that way: such
        // a set is found by its cleaned form.
        joined.clear();
        join_tags(&mut joined, record.tags, |out, tag| out.push_str(tag));
        let separators = joined.bytes().filter(|&b| b == SEPARATOR as u8).count();
        if separators > record.tags.len().saturating_sub(1) {
            joined.clear();
            join_tags(&mut joined, record.tags, |out, tag| cleaning.push(out, tag));
        }
        let tags = dedup.index(&mut out.strings, TAGS, &joined, || {
            let mut text = String::with_capacity(joined.len());
            join_tags(&mut text, record.tags, |out, tag| cleaning.push(out, tag));
            (text != joined).then_some(text)
        });
        let strings = RecordStrings {
            sender,
            subject,
            tags,
        };
        let CleanedRecord {
            mut ready,
            smtp,
            ip,
        } = clean_record(&mut out, &mut texts, &mut dedup, cleaning, record, strings);
        if let Some((smtp, split)) = smtp
            && !split.group.is_empty()
        {
            ready.smtp_group =
                dedup.index(&mut out.strings, SMTP_GROUP, &smtp[split.group], || None);
        }
        if let Some(ip) = ip {
            ready.ip = dedup.index(&mut out.strings, IP, &ip, || None);
        }
        out.records.push(ready);
    }
    texts.finish(&mut out);
    out
}

/// [`store_ready`] of the usual batch: printable ASCII whose strings all lie in
/// its text, without unknown fields. Nothing needs sanitizing, so each
/// field is copied straight from the text by its span, without a view of
/// the whole record. `None` when a field must be capped (a hostile
/// upstream): [`clean_any`] does that.
fn clean_plain(batch: &LogBatch) -> Option<StoreReady> {
    let mut texts = Texts::for_batch(batch);
    let mut out = StoreReady {
        records: Vec::with_capacity(batch.len()),
        recipients: Vec::with_capacity(recipient_bytes(batch)),
        ..StoreReady::default()
    };
    let mut dedup = Dedup::default();
    let mut joined = String::new();
    let mut previous_tags: Option<(&[Span], u32)> = None;
    for r in &batch.records {
        let (sender, subject) = (
            uncapped(batch.str(r.sender))?,
            uncapped(batch.str(r.subject))?,
        );
        // Plain text is its own cleaned form.
        let sender = dedup.index(&mut out.strings, SENDER, sender, || None);
        let subject = dedup.index(&mut out.strings, SUBJECT, subject, || None);
        let spans = batch
            .tags
            .get(r.tags_start as usize..)?
            .get(..r.tags_len as usize)?;
        let tags = match previous_tags {
            Some((previous, i)) if same_strings(batch, previous, spans) => i,
            _ => {
                // Printable ASCII holds no separator: the joined tags are
                // the set's key and its cleaned form at once.
                joined.clear();
                for (n, &span) in spans.iter().enumerate() {
                    if n > 0 {
                        joined.push(SEPARATOR);
                    }
                    joined.push_str(uncapped(batch.str(span))?);
                }
                dedup.index(&mut out.strings, TAGS, &joined, || None)
            }
        };
        previous_tags = Some((spans, tags));
        // Before the SMTP group: strings are listed in the order
        // `clean_any` lists them.
        let recipient = uncapped(batch.str(r.recipient))?;
        let recipient_mask = narrow_char_mask(recipient);
        let (recipient_at, recipient_domain, cased) =
            push_recipient(&mut out, &mut dedup, recipient);
        let mut flags = 0;
        let smtp = match r.smtp_response {
            Span::ABSENT => None,
            span => Some(uncapped(batch.str(span))?),
        };
        let split = smtp.map(SmtpSplit::of);
        let smtp_group = match (smtp, &split) {
            (Some(smtp), Some(split)) if !split.group.is_empty() => dedup.index(
                &mut out.strings,
                SMTP_GROUP,
                &smtp[split.group.clone()],
                || None,
            ),
            _ => NO_STRING,
        };
        flags |= split.as_ref().map_or(0, SmtpSplit::flag);
        let smtp = smtp
            .zip(split.as_ref())
            .map(|(smtp, split)| split.kept(smtp));

        let optional = |span: Span, flag: u8| match span {
            Span::ABSENT => Some((None, 0)),
            span => Some((Some(uncapped(batch.str(span))?), flag)),
        };
        let smtp_flag = if smtp.is_some() { HAS_SMTP } else { 0 };
        // After the SMTP group, as `clean_any` lists it.
        let ip = match r.ip {
            Span::ABSENT => NO_STRING,
            span => dedup.index(&mut out.strings, IP, uncapped(batch.str(span))?, || None),
        };
        let (url, url_flag) = optional(r.url, HAS_URL)?;
        let (agent, agent_flag) = optional(r.user_agent, HAS_USER_AGENT)?;
        flags |= smtp_flag | url_flag | agent_flag;
        if cased {
            flags |= RECIPIENT_IN_TEXT;
        }
        let hot_at = texts.push_hot(cased.then_some(recipient), smtp);
        let id = uncapped(batch.str(r.id))?;
        let message_id = uncapped(batch.str(r.message_id))?;
        texts.push_cold(
            [
                id,
                message_id,
                url.unwrap_or_default(),
                agent.unwrap_or_default(),
            ],
            [],
        );
        out.records.push(ReadyRecord {
            timestamp_ms: r.timestamp_ms,
            sender,
            subject,
            tags,
            smtp_group,
            hot_at,
            recipient_at,
            recipient_domain,
            recipient_mask,
            ip,
            event_type: r.event_type,
            flags,
        });
    }
    texts.finish(&mut out);
    Some(out)
}

/// Adds the recipient to the batch: its domain, what follows its last
/// `@`, to the strings (a domain repeats as a sender does), and the rest,
/// through the `@`, to the recipients, both ASCII-lowercased, the latter
/// ended by [`RECIPIENT_END`]. Where it starts in the recipients, its
/// domain's index ([`NO_STRING`] for none), and whether it has capitals,
/// which lowercasing loses (the record keeps a copy of such a one).
fn push_recipient(out: &mut StoreReady, dedup: &mut Dedup, recipient: &str) -> (u32, u32, bool) {
    let (local, domain) = match recipient.rfind('@') {
        Some(at) => recipient.split_at(at + 1),
        None => (recipient, ""),
    };
    let at = out.recipients.len() as u32;
    out.recipients
        .extend(local.bytes().map(|b| b.to_ascii_lowercase()));
    out.recipients.push(RECIPIENT_END);
    let cased = recipient.bytes().any(|b| b.is_ascii_uppercase());
    let domain = if domain.is_empty() {
        NO_STRING
    } else if cased && domain.bytes().any(|b| b.is_ascii_uppercase()) {
        let lower = domain.to_ascii_lowercase();
        dedup.index(&mut out.strings, RECIPIENT_DOMAIN, &lower, || None)
    } else {
        dedup.index(&mut out.strings, RECIPIENT_DOMAIN, domain, || None)
    };
    (at, domain, cased)
}

/// The bytes a batch's [`StoreReady::recipients`] take at most.
fn recipient_bytes(batch: &LogBatch) -> usize {
    batch
        .records
        .iter()
        .map(|r| span_bytes(r.recipient) + 1)
        .sum()
}

/// `text`, when it needs no cap.
fn uncapped(text: &str) -> Option<&str> {
    (text.len() <= FIELD_CAP).then_some(text)
}

/// Whether two lists of spans of a batch hold the same strings.
fn same_strings(batch: &LogBatch, a: &[Span], b: &[Span]) -> bool {
    a.len() == b.len()
        && a.iter()
            .zip(b)
            .all(|(&x, &y)| same_bytes(batch.str(x).as_bytes(), batch.str(y).as_bytes()))
}

/// Whether two byte strings are equal, compared eight bytes at a time in
/// place: the strings compared here (senders, subjects, tags) are short,
/// and a call to memcmp for each cost more than the comparison.
#[inline(always)]
fn same_bytes(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let Some(last) = a.len().checked_sub(8) else {
        return a.iter().zip(b).all(|(x, y)| x == y);
    };
    let word = |s: &[u8], at: usize| {
        s.get(at..)
            .and_then(<[u8]>::first_chunk::<8>)
            .map(|w| u64::from_ne_bytes(*w))
    };
    let mut at = 0;
    while at < last {
        if word(a, at) != word(b, at) {
            return false;
        }
        at += 8;
    }
    // The last word, overlapping the one before when the length is not a
    // multiple of eight.
    word(a, last) == word(b, last)
}

/// A record's indexes into [`StoreReady::strings`].
struct RecordStrings {
    sender: u32,
    subject: u32,
    tags: u32,
}

/// A record cleaned, but for the strings its caller lists after the
/// record's others: its SMTP response's group and its IP.
struct CleanedRecord<'r> {
    ready: ReadyRecord,
    /// The SMTP response cleaned, with where its group is in it (found
    /// from the cleaned form, the one drawn and filtered).
    smtp: Option<(Cow<'r, str>, SmtpSplit)>,
    ip: Option<Cow<'r, str>>,
}

/// The record cleaned, its text written.
fn clean_record<'r>(
    out: &mut StoreReady,
    texts: &mut Texts,
    dedup: &mut Dedup,
    cleaning: Cleaning,
    record: LogRecordRef<'r>,
    strings: RecordStrings,
) -> CleanedRecord<'r> {
    let recipient = cleaning.clean(record.recipient);
    let recipient_mask = narrow_char_mask(&recipient);
    let (recipient_at, recipient_domain, cased) = push_recipient(out, dedup, &recipient);
    let mut flags = if cased { RECIPIENT_IN_TEXT } else { 0 };
    let smtp = record.smtp_response.map(|v| cleaning.clean(v));
    let ip = record.ip.map(|v| cleaning.clean(v));
    let url = record.url.map(|v| cleaning.clean(v));
    let agent = record.user_agent.map(|v| cleaning.clean(v));
    for (present, flag) in [
        (smtp.is_some(), HAS_SMTP),
        (url.is_some(), HAS_URL),
        (agent.is_some(), HAS_USER_AGENT),
    ] {
        if present {
            flags |= flag;
        }
    }
    let split = smtp.as_deref().map(SmtpSplit::of);
    flags |= split.as_ref().map_or(0, SmtpSplit::flag);
    let kept = smtp
        .as_deref()
        .zip(split.as_ref())
        .map(|(smtp, split)| split.kept(smtp));
    let hot_at = texts.push_hot(cased.then_some(&*recipient), kept);
    texts.push_cold(
        [
            &cleaning.clean(record.id),
            &cleaning.clean(record.message_id),
            url.as_deref().unwrap_or_default(),
            agent.as_deref().unwrap_or_default(),
        ],
        record
            .extra
            .iter()
            .map(|(name, value)| (name.as_str(), value)),
    );
    let ready = ReadyRecord {
        timestamp_ms: record.timestamp_ms,
        sender: strings.sender,
        subject: strings.subject,
        tags: strings.tags,
        smtp_group: NO_STRING,
        hot_at,
        recipient_at,
        recipient_domain,
        recipient_mask,
        ip: NO_STRING,
        event_type: record.event_type,
        flags,
    };
    CleanedRecord {
        ready,
        smtp: smtp.zip(split),
        ip,
    }
}

/// Where an SMTP response's [`smtp_group`] is in it (interned for the
/// top-values panel when not empty), and whether the hot entry keeps only
/// what follows it: when the response starts with it ([`SMTP_AFTER_GROUP`];
/// not when a space comes first, which the group leaves out).
struct SmtpSplit {
    group: std::ops::Range<usize>,
    after_group: bool,
}

impl SmtpSplit {
    fn of(smtp: &str) -> SmtpSplit {
        // The group is a slice of the response from its first non-space.
        let start = smtp.len() - smtp.trim_start().len();
        let group = start..start + smtp_group(smtp).len();
        let after_group = start == 0 && !group.is_empty();
        SmtpSplit { group, after_group }
    }

    /// What the record's hot entry keeps of `smtp`.
    fn kept<'a>(&self, smtp: &'a str) -> &'a str {
        if self.after_group {
            &smtp[self.group.end..]
        } else {
            smtp
        }
    }

    fn flag(&self) -> u8 {
        if self.after_group {
            SMTP_AFTER_GROUP
        } else {
            0
        }
    }
}

#[cfg(test)]
mod tests;
