//! A batch prepared for the log store ([`StoreReady`]), on the thread that parsed it.
//!
//! Sanitizing and capping every string of a record, and finding which
//! senders, subjects and tag sets repeat, were most of what storing a
//! record cost the UI thread. Done here, on the parse thread while the
//! batch's text is still in its cache, they leave the log store only to
//! look up the batch's few distinct strings and to adopt its text whole.

use std::borrow::Cow;

use super::scan::bytes::same_bytes;
use crate::charmask::narrow_char_mask;
use crate::model::log::batch::{ExtraValue, LogBatch, SPILLED, Span};
use crate::model::log::smtp::smtp_group;
use crate::model::log::store_ready::{
    ColdEntry, ColdText, HAS_SMTP, HAS_URL, HAS_USER_AGENT, HotEntry, MAX_FIELD_BYTES, NO_STRING,
    RECIPIENT_END, RECIPIENT_IN_TEXT, ReadyRecord, ReadyString, SEPARATOR, SMTP_AFTER_GROUP,
    StoreReady,
};
use crate::sanitize::{cap, clean_capped};
use dedup::{Dedup, IP, RECIPIENT_DOMAIN, SENDER, SMTP_GROUP, SUBJECT, TAGS};

mod dedup;

/// The most bytes a field keeps, its `…` included.
const FIELD_CAP: usize = MAX_FIELD_BYTES + '…'.len_utf8();

/// Sanitized and cut to [`MAX_FIELD_BYTES`], then `…` when cut.
fn clean_field(text: &str) -> Cow<'_, str> {
    clean_capped(text, FIELD_CAP)
}

/// Which of a batch's strings are printable ASCII, by where they lie: in
/// the batch's text, or in its side buffer (where escapes are undone: a
/// `\u001b` in the text is an ESC there, a `\u00e9` an é). One check of
/// each buffer stands for one of every string in it, and such a string is
/// only capped. A server that escapes everything beyond ASCII (as
/// `ensure_ascii` encoders do) sends plain text and a side buffer that is
/// not: only the strings it escaped need cleaning, not all of the batch.
#[derive(Clone, Copy, Debug)]
pub(super) struct Plain {
    pub(super) text: bool,
    pub(super) spill: bool,
}

impl Plain {
    #[inline(always)]
    fn of(self, span: Span) -> bool {
        if span.start & SPILLED != 0 {
            self.spill
        } else {
            self.text
        }
    }
}

/// A string of the batch as the store keeps it: sanitized (printable
/// ASCII needs nothing) and capped.
#[inline(always)]
fn cleaned(batch: &LogBatch, plain: Plain, span: Span) -> Cow<'_, str> {
    let text = batch.str(span);
    match plain.of(span) {
        true if text.len() <= FIELD_CAP => Cow::Borrowed(text),
        true => cap(Cow::Borrowed(text), FIELD_CAP),
        false => clean_field(text),
    }
}

/// `cleaned`, when it is not `original` itself.
fn changed(original: &str, cleaned: Cow<'_, str>) -> Option<String> {
    match cleaned {
        Cow::Borrowed(_) => None,
        Cow::Owned(text) => (text != original).then_some(text),
    }
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
        let extra = if r.extras_len == 0 { 0 } else { 64 };
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
        extra: impl IntoIterator<Item = (&'a str, ExtraValue<'a>)>,
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

/// Each record's strings read by their spans, straight from the batch's
/// text and side buffer, without a view of the whole record; those not
/// [`Plain`] are cleaned.
pub(super) fn store_ready(batch: &LogBatch, plain: Plain) -> StoreReady {
    let mut texts = Texts::for_batch(batch);
    let mut out = StoreReady {
        records: Vec::with_capacity(batch.records.len()),
        recipients: Vec::with_capacity(recipient_bytes(batch)),
        ..StoreReady::default()
    };
    let mut dedup = Dedup::default();
    let mut joined = String::new();
    let mut previous_tags: Option<(&[Span], u32)> = None;
    let cleaned = |span: Span| cleaned(batch, plain, span);
    for r in &batch.records {
        let mut intern = |slot: usize, span: Span| {
            let key = batch.str(span);
            dedup.index(&mut out.strings, slot, key, || changed(key, cleaned(span)))
        };
        let sender = intern(SENDER, r.sender);
        let subject = intern(SUBJECT, r.subject);
        let start = r.tags_start as usize;
        let spans = batch
            .tags
            .get(start..start + r.tags_len as usize)
            .unwrap_or_default();
        let tags = match previous_tags {
            Some((previous, i)) if same_strings(batch, previous, spans) => i,
            _ => tag_set(
                &mut dedup,
                &mut out.strings,
                &mut joined,
                batch,
                plain,
                spans,
            ),
        };
        previous_tags = Some((spans, tags));
        // Before the SMTP group: strings are listed in the order the
        // reference (by each record's view, in the tests) lists them.
        let recipient = cleaned(r.recipient);
        let recipient_mask = narrow_char_mask(&recipient);
        let (recipient_at, recipient_domain, cased) =
            push_recipient(&mut out, &mut dedup, &recipient);
        let optional = |span: Span| (span != Span::ABSENT).then(|| cleaned(span));
        let smtp = optional(r.smtp_response);
        let split = smtp.as_deref().map(SmtpSplit::of);
        let smtp_group = match (&smtp, &split) {
            (Some(smtp), Some(split)) if !split.group.is_empty() => dedup.index(
                &mut out.strings,
                SMTP_GROUP,
                &smtp[split.group.clone()],
                || None,
            ),
            _ => NO_STRING,
        };
        // After the SMTP group, as the reference lists it.
        let ip = match optional(r.ip) {
            Some(ip) => dedup.index(&mut out.strings, IP, &ip, || None),
            None => NO_STRING,
        };
        let (url, agent) = (optional(r.url), optional(r.user_agent));
        let flag = |present: bool, flag: u8| if present { flag } else { 0 };
        let flags = split.as_ref().map_or(0, SmtpSplit::flag)
            | flag(smtp.is_some(), HAS_SMTP)
            | flag(url.is_some(), HAS_URL)
            | flag(agent.is_some(), HAS_USER_AGENT)
            | flag(cased, RECIPIENT_IN_TEXT);
        let kept = smtp
            .as_deref()
            .zip(split.as_ref())
            .map(|(smtp, split)| split.kept(smtp));
        let hot_at = texts.push_hot(cased.then_some(&*recipient), kept);
        let extra = batch.extras_of(r);
        let fields = [
            &*cleaned(r.id),
            &cleaned(r.message_id),
            url.as_deref().unwrap_or_default(),
            agent.as_deref().unwrap_or_default(),
        ];
        match extra {
            // Without the loop over them, as nearly every record.
            [] => texts.push_cold(fields, []),
            extra => texts.push_cold(
                fields,
                extra
                    .iter()
                    .map(|f| (batch.str(f.name), batch.extra_value(f.value))),
            ),
        }
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
    out
}

/// The index of a record's tag set among `strings`. A set is found by its
/// upstream tags joined (into `joined`); cleaning, which would drop the
/// separators, is per tag, for a new set. A tag holding the separator
/// itself cannot be told apart that way: such a set is found by its
/// cleaned form.
fn tag_set<'b>(
    dedup: &mut Dedup,
    strings: &mut Vec<ReadyString>,
    joined: &mut String,
    batch: &'b LogBatch,
    plain: Plain,
    spans: &[Span],
) -> u32 {
    let join = |out: &mut String, part: &dyn Fn(Span) -> Cow<'b, str>| {
        for (i, &span) in spans.iter().enumerate() {
            if i > 0 {
                out.push(SEPARATOR);
            }
            out.push_str(&part(span));
        }
    };
    let raw = |span: Span| Cow::Borrowed(batch.str(span));
    let cleaned = |span: Span| cleaned(batch, plain, span);
    joined.clear();
    join(joined, &raw);
    // Printable ASCII short enough is its own cleaned form, and holds no
    // separator.
    let clean = spans
        .iter()
        .all(|&span| plain.of(span) && span.len as usize <= FIELD_CAP);
    if !clean {
        let separators = joined.bytes().filter(|&b| b == SEPARATOR as u8).count();
        if separators > spans.len().saturating_sub(1) {
            joined.clear();
            join(joined, &cleaned);
        }
    }
    let key: &str = joined;
    dedup.index(strings, TAGS, key, || {
        if clean {
            return None;
        }
        let mut text = String::with_capacity(key.len());
        join(&mut text, &cleaned);
        (text != key).then_some(text)
    })
}

/// Adds the recipient to the batch: its domain, what follows its last
/// `@`, to the strings (a domain repeats as a sender does), and the rest,
/// through the `@`, to the recipients, both ASCII-lowercased, the latter
/// ended by [`RECIPIENT_END`]. Where it starts in the recipients, its
/// domain's index ([`NO_STRING`] for none), and whether it has capitals,
/// which lowercasing loses (the record keeps a copy of such a one).
#[inline(never)]
fn push_recipient(out: &mut StoreReady, dedup: &mut Dedup, recipient: &str) -> (u32, u32, bool) {
    // `@` is ASCII: what follows it starts a character.
    let (local, domain) = match memchr::memrchr(b'@', recipient.as_bytes()) {
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

/// Whether two lists of spans of a batch hold the same strings.
fn same_strings(batch: &LogBatch, a: &[Span], b: &[Span]) -> bool {
    a.len() == b.len()
        && a.iter()
            .zip(b)
            .all(|(&x, &y)| same_bytes(batch.str(x).as_bytes(), batch.str(y).as_bytes()))
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
