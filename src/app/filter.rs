//! The domain-log filter language.
//!
//! ```text
//! bounce                      a free word: sender, recipient, subject or tags
//! "weekly digest"             a quoted phrase, same places
//! type:bounced,deferred       any of these event types
//! from:alice to:bob          sender / recipient contains
//! to:@gmail.com               recipient domain: the recipient ends with
//!                             "@gmail.com" (case-insensitive; not
//!                             "@mail.gmail.com": write to:@mail.gmail.com)
//! smtp:"550 5.7.1"            the SMTP response contains
//! ip:203.0.113.               the IP contains
//! subject:"weekly digest"     subject contains
//! tag:newsletter              some tag contains
//! since:15m until:2h          relative to now (s, m, h, d, w; combinable: 1h30m)
//! since:2026-05-27T10:00:00Z  or an RFC 3339 time, or a date (UTC midnight)
//! since:09:00 since:today     or a local time of day (the last 09:00 at or
//!                             before now), today or yesterday (midnight)
//! -type:opened                a leading '-' excludes
//! ```
//!
//! Terms are separated by spaces and all must hold. Text matching is
//! case-insensitive. An unquoted value with commas is a list: any item may
//! match. [`parse`] only checks the text; relative times resolve when the
//! filter is applied ([`TimeBound::resolve`]), so one parsed filter can be
//! evaluated and sent at a given clock.

mod record;

use std::fmt;
use std::ops::Range;

use chrono::{DateTime, NaiveDate, Utc};

pub use super::timezone::{LocalBound, Zone};
use crate::model::LogEventType;
use crate::model::log::{
    LogQuery, TypeNameError, TypeNames, parse_text, parse_time, parse_type_name,
};

/// A parsed filter: all terms must hold. The empty filter matches every
/// record.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Filter {
    pub terms: Vec<Term>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Term {
    /// A leading `-`: the term must not hold.
    pub negated: bool,
    pub kind: TermKind,
    /// Where the term is in the input, for highlighting.
    pub span: Range<usize>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TermKind {
    /// The field contains any of the values (case-insensitive).
    Text {
        field: TextField,
        any_of: Vec<String>,
    },
    /// The event type is any of these. A record without a type matches none.
    Type(Vec<LogEventType>),
    /// At or after.
    Since(TimeBound),
    /// At or before.
    Until(TimeBound),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TextField {
    /// Sender, recipient, subject or any tag.
    Anywhere,
    Sender,
    Recipient,
    Subject,
    Tag,
    /// The recipient ends with the value, which starts with `@`:
    /// `to:@gmail.com` (every item of the list starts with `@`).
    RecipientDomain,
    /// The SMTP response contains the value. A record without one matches
    /// none.
    Smtp,
    /// The IP contains the value. A record without one matches none.
    Ip,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TimeBound {
    /// This many milliseconds before the clock the filter is applied at.
    Ago(i64),
    /// Milliseconds since the Unix epoch.
    At(i64),
    /// A wall-clock time (`09:00`, `today`) in the zone the filter was
    /// typed in, resolved against the clock it is applied at.
    Local(LocalBound, Zone),
}

impl TimeBound {
    pub fn resolve(self, now_ms: i64) -> i64 {
        match self {
            TimeBound::Ago(ms) => now_ms.saturating_sub(ms),
            TimeBound::At(ms) => ms,
            TimeBound::Local(bound, zone) => bound.resolve(now_ms, zone),
        }
    }
}

/// Why the input is not a filter, and which bytes of it are to blame.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FilterError {
    /// Byte range of the bad term in the input.
    pub span: Range<usize>,
    pub reason: String,
}

impl fmt::Display for FilterError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.reason)
    }
}

impl std::error::Error for FilterError {}

const FIELD_HINT: &str = "try from:, to:, subject:, tag:, type:, smtp:, ip:, since:, until:";
const DURATION_HINT: &str = "use 30s, 15m, 2h, 1d or an RFC 3339 time";

/// Parses filter text, local times (`since:09:00`) in the process's zone.
/// Empty or blank input is the match-all filter.
pub fn parse(input: &str) -> Result<Filter, FilterError> {
    parse_in(input, Zone::Local)
}

/// Parses filter text, local times (`since:09:00`, `since:today`) in
/// `zone`.
pub fn parse_in(input: &str, zone: Zone) -> Result<Filter, FilterError> {
    let mut terms = Vec::new();
    let mut rest = 0;
    while let Some(span) = next_token(input, rest)? {
        rest = span.end;
        terms.push(parse_term(input, span, zone)?);
    }
    Ok(Filter { terms })
}

/// Finds the next whitespace-separated token from byte `from`, keeping
/// quoted whitespace inside it.
fn next_token(input: &str, from: usize) -> Result<Option<Range<usize>>, FilterError> {
    let tail = &input[from..];
    let Some(start_in_tail) = tail.find(|c: char| !c.is_whitespace()) else {
        return Ok(None);
    };
    let start = from + start_in_tail;
    let mut in_quote = false;
    for (i, c) in input[start..].char_indices() {
        if c == '"' {
            in_quote = !in_quote;
        } else if c.is_whitespace() && !in_quote {
            return Ok(Some(start..start + i));
        }
    }
    if in_quote {
        return Err(FilterError {
            span: start..input.len(),
            reason: "unterminated quote: close it with \"".into(),
        });
    }
    Ok(Some(start..input.len()))
}

fn parse_term(input: &str, span: Range<usize>, zone: Zone) -> Result<Term, FilterError> {
    let raw = &input[span.clone()];
    let error = |reason: String| FilterError {
        span: span.clone(),
        reason,
    };
    let (negated, body) = match raw.strip_prefix('-') {
        Some(body) => (true, body),
        None => (false, raw),
    };
    if body.is_empty() {
        return Err(error(
            "nothing after \"-\": write -type:opened, -word".into(),
        ));
    }
    // A colon before any quote makes a field; `"a:b"` is a quoted phrase.
    let field_split = match (body.find(':'), body.find('"')) {
        (Some(colon), Some(quote)) if quote < colon => None,
        (colon, _) => colon,
    };
    let kind = match field_split {
        None => TermKind::Text {
            field: TextField::Anywhere,
            any_of: text_values(body).map_err(error)?,
        },
        Some(colon) => {
            let (name, value) = (&body[..colon], &body[colon + 1..]);
            let field = name.to_ascii_lowercase();
            if value.is_empty() {
                return Err(error(format!("empty value after \"{name}:\"")));
            }
            match field.as_str() {
                "from" | "sender" => text_term(TextField::Sender, value).map_err(error)?,
                "to" | "recipient" => text_term(recipient_field(value), value).map_err(error)?,
                "smtp" => text_term(TextField::Smtp, value).map_err(error)?,
                "ip" => text_term(TextField::Ip, value).map_err(error)?,
                "subject" | "subj" => text_term(TextField::Subject, value).map_err(error)?,
                "tag" | "tags" => text_term(TextField::Tag, value).map_err(error)?,
                "type" | "event" => TermKind::Type(event_types(value).map_err(error)?),
                "since" | "after" => TermKind::Since(time_bound(value, zone).map_err(error)?),
                "until" | "before" => TermKind::Until(time_bound(value, zone).map_err(error)?),
                _ => return Err(error(format!("unknown field \"{name}\" ({FIELD_HINT})"))),
            }
        }
    };
    Ok(Term {
        negated,
        kind,
        span,
    })
}

/// `to:@gmail.com` (and `to:@a.io,@b.io`) is a domain: the recipient
/// ends with it. Any other `to:` value is a fragment the recipient
/// contains.
fn recipient_field(value: &str) -> TextField {
    let unquoted = value.replace('"', "");
    let domains = if value.contains('"') {
        unquoted.starts_with('@')
    } else {
        unquoted.split(',').all(|item| item.starts_with('@'))
    };
    if domains {
        TextField::RecipientDomain
    } else {
        TextField::Recipient
    }
}

fn text_term(field: TextField, value: &str) -> Result<TermKind, String> {
    Ok(TermKind::Text {
        field,
        any_of: text_values(value)?,
    })
}

/// A quoted value is one literal (commas included); an unquoted one is a
/// comma-separated list.
fn text_values(value: &str) -> Result<Vec<String>, String> {
    if value.chars().any(char::is_control) {
        return Err("control characters are not allowed in a filter".into());
    }
    let values: Vec<String> = if value.contains('"') {
        vec![value.replace('"', "")]
    } else {
        value.split(',').map(str::to_string).collect()
    };
    if values.iter().any(String::is_empty) {
        return Err(if values.len() > 1 {
            "empty item in a comma list".into()
        } else {
            "empty quoted value".into()
        });
    }
    Ok(values)
}

/// Each item a type's name as the table shows it, its wire name, or a
/// prefix of one type's names ([`parse_type_name`]).
fn event_types(value: &str) -> Result<Vec<LogEventType>, String> {
    let mut types = Vec::new();
    for name in value.split(',') {
        match parse_type_name(name.trim_matches('"'), TypeNames::WithOther) {
            Ok(t) if !types.contains(&t) => types.push(t),
            Ok(_) => {}
            Err(TypeNameError::Empty) => return Err("empty item in a comma list".into()),
            Err(e) => return Err(e.to_string()),
        }
    }
    Ok(types)
}

fn time_bound(value: &str, zone: Zone) -> Result<TimeBound, String> {
    let value = value.trim_matches('"');
    if let Some(ms) = parse_duration_ms(value) {
        return Ok(TimeBound::Ago(ms));
    }
    if let Some(bound) = LocalBound::parse(value)? {
        return Ok(TimeBound::Local(bound, zone));
    }
    if let Ok(t) = parse_time(value) {
        return Ok(TimeBound::At(t.timestamp_millis()));
    }
    if let Ok(date) = NaiveDate::parse_from_str(value, "%Y-%m-%d") {
        let midnight = date
            .and_hms_opt(0, 0, 0)
            .map(|t| t.and_utc().timestamp_millis());
        if let Some(ms) = midnight {
            return Ok(TimeBound::At(ms));
        }
    }
    Err(format!("bad duration \"{value}\" ({DURATION_HINT})"))
}

/// `30s`, `15m`, `2h`, `1d`, `1w`, or several run together (`1h30m`).
fn parse_duration_ms(value: &str) -> Option<i64> {
    let mut total: i64 = 0;
    let mut number: Option<i64> = None;
    for c in value.chars() {
        if let Some(digit) = c.to_digit(10) {
            number = Some(
                number
                    .unwrap_or(0)
                    .checked_mul(10)?
                    .checked_add(i64::from(digit))?,
            );
            continue;
        }
        let unit_ms: i64 = match c {
            's' => 1_000,
            'm' => 60_000,
            'h' => 3_600_000,
            'd' => 86_400_000,
            'w' => 7 * 86_400_000,
            _ => return None,
        };
        total = total.checked_add(number.take()?.checked_mul(unit_ms)?)?;
    }
    match number {
        // A trailing bare number has no unit.
        Some(_) => None,
        None if value.is_empty() => None,
        None => Some(total),
    }
}

impl Filter {
    pub fn is_empty(&self) -> bool {
        self.terms.is_empty()
    }

    /// The part of this filter the domain-log API can apply itself, so a new
    /// stream brings records the client never held. What the API cannot
    /// express (negation, lists, free words, a second term on one field) is
    /// left out: the server returns a superset, and the in-memory filter
    /// narrows it.
    ///
    /// `from:`/`to:` are sent only as whole addresses: the API documents
    /// sender and recipient as "filter by email", not as partial matches
    /// like subject and tags, so a fragment there could drop records the
    /// in-memory filter would keep.
    pub fn server_query(&self, now_ms: i64, limit: u32) -> LogQuery {
        let mut query = LogQuery {
            limit: Some(limit),
            ..LogQuery::default()
        };
        for term in self.terms.iter().filter(|t| !t.negated) {
            match &term.kind {
                TermKind::Type(types) => {
                    if let ([only], None) = (types.as_slice(), query.event_type)
                        && *only != LogEventType::Other
                    {
                        query.event_type = Some(*only);
                    }
                }
                TermKind::Text { field, any_of } => {
                    let [value] = any_of.as_slice() else { continue };
                    let Ok(value) = parse_text(value) else {
                        continue;
                    };
                    let slot = match field {
                        TextField::Sender if is_whole_address(&value) => &mut query.sender,
                        TextField::Recipient if is_whole_address(&value) => &mut query.recipient,
                        TextField::Subject => &mut query.subject,
                        TextField::Tag => &mut query.tags,
                        _ => continue,
                    };
                    slot.get_or_insert(value);
                }
                TermKind::Since(bound) => {
                    if query.start.is_none() {
                        query.start = utc(bound.resolve(now_ms));
                    }
                }
                TermKind::Until(bound) => {
                    if query.end.is_none() {
                        query.end = utc(bound.resolve(now_ms));
                    }
                }
            }
        }
        query
    }
}

fn is_whole_address(value: &str) -> bool {
    match value.split_once('@') {
        Some((local, domain)) => {
            !local.is_empty() && domain.contains('.') && !domain.ends_with('.')
        }
        None => false,
    }
}

fn utc(ms: i64) -> Option<DateTime<Utc>> {
    DateTime::<Utc>::from_timestamp_millis(ms)
}

/// Case-insensitive substring test; `needle_lower` is already lowercase.
/// ASCII needles avoid allocating, which is the common case in a tight
/// filter loop.
pub fn contains_ci(haystack: &str, needle_lower: &str) -> bool {
    if needle_lower.is_empty() {
        return true;
    }
    if needle_lower.is_ascii() {
        return contains_ascii_ci(haystack.as_bytes(), needle_lower.as_bytes());
    }
    haystack.to_lowercase().contains(needle_lower)
}

/// [`contains_ci`] of an ASCII needle (lowercase), on bytes: the same
/// verdict, without the haystack being known to be UTF-8 first.
pub fn contains_ascii_ci(hay: &[u8], needle: &[u8]) -> bool {
    needle.is_empty() || ascii_ci_matches(hay, needle).next().is_some()
}

/// Where a non-empty ASCII needle (lowercase) starts in `hay`, ASCII case
/// folded, in order.
pub fn ascii_ci_matches<'a>(hay: &'a [u8], needle: &'a [u8]) -> impl Iterator<Item = usize> + 'a {
    let first = needle.first().copied().unwrap_or_default();
    let last_start = hay
        .len()
        .checked_sub(needle.len())
        .filter(|_| !needle.is_empty());
    // Jump between the places the first byte occurs, in either case.
    let candidates = last_start.map(|last| &hay[..=last]).unwrap_or_default();
    memchr::memchr2_iter(first, first.to_ascii_uppercase(), candidates)
        .filter(move |&at| hay[at + 1..at + needle.len()].eq_ignore_ascii_case(&needle[1..]))
}

/// [`contains_ci`] of `head` and `tail` one after the other, without
/// joining them (an ASCII needle): a text kept in two parts, like an SMTP
/// response after its interned group.
pub fn contains_ci_split(head: &str, tail: &[u8], needle_lower: &str) -> bool {
    if !needle_lower.is_ascii() {
        let joined = [head.as_bytes(), tail].concat();
        return contains_ci(&String::from_utf8_lossy(&joined), needle_lower);
    }
    let (needle, h) = (needle_lower.as_bytes(), head.as_bytes());
    contains_ascii_ci(tail, needle)
        || (!h.is_empty() && (contains_ascii_ci(h, needle) || spans_join(h, tail, needle)))
}

/// Whether an ASCII needle (lowercase) runs across the join of `head` and
/// `tail`: a start of it ends the head, and the rest of it starts the
/// tail.
pub fn spans_join(head: &[u8], tail: &[u8], needle: &[u8]) -> bool {
    ends_with_starts_of(head, needle).any(|k| {
        tail.len() >= needle.len() - k
            && tail[..needle.len() - k].eq_ignore_ascii_case(&needle[k..])
    })
}

/// Each length `k`, shorter than the needle, of a start of an ASCII
/// needle (lowercase) that `head` ends with, ASCII case folded.
pub fn ends_with_starts_of<'a>(
    head: &'a [u8],
    needle: &'a [u8],
) -> impl Iterator<Item = usize> + 'a {
    (1..needle.len().min(head.len() + 1))
        .filter(move |&k| head[head.len() - k..].eq_ignore_ascii_case(&needle[..k]))
}

/// [`ends_with_ci`] of `head` and `tail` joined, without joining them for
/// an ASCII needle.
pub fn ends_with_ci_split(head: &str, tail: &str, needle_lower: &str) -> bool {
    if !needle_lower.is_ascii() {
        return ends_with_ci(&[head, tail].concat(), needle_lower);
    }
    match needle_lower.len().checked_sub(tail.len()) {
        None | Some(0) => ends_with_ci(tail, needle_lower),
        Some(k) => {
            tail.as_bytes()
                .eq_ignore_ascii_case(&needle_lower.as_bytes()[k..])
                && ends_with_ci(head, &needle_lower[..k])
        }
    }
}

/// Case-insensitive suffix test, compared as [`contains_ci`] compares:
/// ASCII needles byte by byte, others on the lowercased text.
pub fn ends_with_ci(haystack: &str, needle_lower: &str) -> bool {
    if needle_lower.is_ascii() {
        let (needle, hay) = (needle_lower.as_bytes(), haystack.as_bytes());
        return hay.len() >= needle.len()
            && hay[hay.len() - needle.len()..].eq_ignore_ascii_case(needle);
    }
    haystack.to_lowercase().ends_with(needle_lower)
}

#[cfg(test)]
mod tests;
