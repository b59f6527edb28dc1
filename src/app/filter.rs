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
        let (needle, hay) = (needle_lower.as_bytes(), haystack.as_bytes());
        let Some(last_start) = hay.len().checked_sub(needle.len()) else {
            return false;
        };
        // Jump between the places the first byte occurs, in either case.
        let (first, rest) = (needle[0], &needle[1..]);
        return memchr::memchr2_iter(first, first.to_ascii_uppercase(), &hay[..=last_start])
            .any(|at| hay[at + 1..at + needle.len()].eq_ignore_ascii_case(rest));
    }
    haystack.to_lowercase().contains(needle_lower)
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
mod tests {
    use super::*;

    const NOW: i64 = 1_780_000_000_000;

    fn kinds(input: &str) -> Vec<(bool, TermKind)> {
        parse(input)
            .unwrap()
            .terms
            .into_iter()
            .map(|t| (t.negated, t.kind))
            .collect()
    }

    fn text(field: TextField, values: &[&str]) -> TermKind {
        TermKind::Text {
            field,
            any_of: values.iter().map(|v| v.to_string()).collect(),
        }
    }

    fn err(input: &str) -> FilterError {
        parse(input).unwrap_err()
    }

    #[test]
    fn empty_and_blank_match_all() {
        assert!(parse("").unwrap().is_empty());
        assert!(parse("   \t ").unwrap().is_empty());
    }

    #[test]
    fn free_words_and_phrases() {
        assert_eq!(
            kinds("alice \"weekly digest\""),
            vec![
                (false, text(TextField::Anywhere, &["alice"])),
                (false, text(TextField::Anywhere, &["weekly digest"])),
            ]
        );
        // A colon inside quotes is text, not a field.
        assert_eq!(
            kinds("\"re: hello\""),
            vec![(false, text(TextField::Anywhere, &["re: hello"]))]
        );
    }

    #[test]
    fn each_text_field() {
        assert_eq!(
            kinds("from:a to:b subject:c tag:d sender:e recipient:f tags:g"),
            vec![
                (false, text(TextField::Sender, &["a"])),
                (false, text(TextField::Recipient, &["b"])),
                (false, text(TextField::Subject, &["c"])),
                (false, text(TextField::Tag, &["d"])),
                (false, text(TextField::Sender, &["e"])),
                (false, text(TextField::Recipient, &["f"])),
                (false, text(TextField::Tag, &["g"])),
            ]
        );
        assert_eq!(
            kinds("FROM:x"),
            vec![(false, text(TextField::Sender, &["x"]))]
        );
    }

    #[test]
    fn recipient_domains_and_smtp() {
        assert_eq!(
            kinds("to:@gmail.com to:@a.io,@b.io to:@a.io,bob to:\"@x.io\" -to:@Yahoo.com"),
            vec![
                (false, text(TextField::RecipientDomain, &["@gmail.com"])),
                (false, text(TextField::RecipientDomain, &["@a.io", "@b.io"])),
                (false, text(TextField::Recipient, &["@a.io", "bob"])),
                (false, text(TextField::RecipientDomain, &["@x.io"])),
                (true, text(TextField::RecipientDomain, &["@Yahoo.com"])),
            ]
        );
        assert_eq!(
            kinds("smtp:\"550 5.7.1\" SMTP:421,450 ip:10.0."),
            vec![
                (false, text(TextField::Smtp, &["550 5.7.1"])),
                (false, text(TextField::Smtp, &["421", "450"])),
                (false, text(TextField::Ip, &["10.0."])),
            ]
        );
        assert_eq!(err("smtp:").reason, "empty value after \"smtp:\"");
        // Neither is a field the API filters by: both stay in memory.
        let q = parse("to:@gmail.com smtp:550 ip:10.0.0.1")
            .unwrap()
            .server_query(NOW, 50);
        assert_eq!(
            q,
            LogQuery {
                limit: Some(50),
                ..LogQuery::default()
            }
        );
    }

    #[test]
    fn ends_with_ci_cases() {
        assert!(ends_with_ci("ana@Gmail.COM", "@gmail.com"));
        assert!(!ends_with_ci("ana@gmail.com.evil.io", "@gmail.com"));
        assert!(!ends_with_ci("ana@mail.gmail.com", "@gmail.com"));
        assert!(!ends_with_ci("com", "@gmail.com"));
        assert!(ends_with_ci("ana@ÉTÉ.fr", "@été.fr"));
        assert!(ends_with_ci("漢字@x.io", "@x.io"));
    }

    #[test]
    fn quoted_values_keep_spaces_and_commas() {
        assert_eq!(
            kinds("subject:\"weekly digest, vol 2\""),
            vec![(false, text(TextField::Subject, &["weekly digest, vol 2"]))]
        );
    }

    #[test]
    fn comma_lists_are_any_of() {
        assert_eq!(
            kinds("type:bounced,deferred from:a,b"),
            vec![
                (
                    false,
                    TermKind::Type(vec![LogEventType::Bounced, LogEventType::Deferred])
                ),
                (false, text(TextField::Sender, &["a", "b"])),
            ]
        );
        assert_eq!(
            kinds("type:OPENED,other"),
            vec![(
                false,
                TermKind::Type(vec![LogEventType::Opened, LogEventType::Other])
            )]
        );
    }

    #[test]
    fn negation() {
        assert_eq!(
            kinds("-type:opened -spam"),
            vec![
                (true, TermKind::Type(vec![LogEventType::Opened])),
                (true, text(TextField::Anywhere, &["spam"])),
            ]
        );
    }

    #[test]
    fn times() {
        assert_eq!(
            kinds("since:15m until:2h since:1d since:30s since:1h30m since:1w"),
            vec![
                (false, TermKind::Since(TimeBound::Ago(15 * 60_000))),
                (false, TermKind::Until(TimeBound::Ago(2 * 3_600_000))),
                (false, TermKind::Since(TimeBound::Ago(86_400_000))),
                (false, TermKind::Since(TimeBound::Ago(30_000))),
                (false, TermKind::Since(TimeBound::Ago(90 * 60_000))),
                (false, TermKind::Since(TimeBound::Ago(7 * 86_400_000))),
            ]
        );
        let at = parse_time("2026-05-27T10:00:00Z")
            .unwrap()
            .timestamp_millis();
        assert_eq!(
            kinds("since:2026-05-27T10:00:00Z until:2026-05-27"),
            vec![
                (false, TermKind::Since(TimeBound::At(at))),
                (false, TermKind::Until(TimeBound::At(at - 10 * 3_600_000))),
            ]
        );
        assert_eq!(TimeBound::Ago(1000).resolve(NOW), NOW - 1000);
        assert_eq!(TimeBound::At(5).resolve(NOW), 5);
    }

    #[test]
    fn local_times() {
        const CET: Zone = Zone::Fixed {
            offset_secs: 3600,
            name: "CET",
        };
        let bounds = |input: &str| -> Vec<TermKind> {
            parse_in(input, CET)
                .unwrap()
                .terms
                .into_iter()
                .map(|t| t.kind)
                .collect()
        };
        assert_eq!(
            bounds("since:09:00 until:09:00:30 since:today since:yesterday"),
            vec![
                TermKind::Since(TimeBound::Local(LocalBound::TimeOfDay(9 * 3600), CET)),
                TermKind::Until(TimeBound::Local(LocalBound::TimeOfDay(9 * 3600 + 30), CET)),
                TermKind::Since(TimeBound::Local(LocalBound::Today, CET)),
                TermKind::Since(TimeBound::Local(LocalBound::Yesterday, CET)),
            ]
        );
        // Durations and RFC 3339 times read as before.
        assert_eq!(
            bounds("since:15m"),
            vec![TermKind::Since(TimeBound::Ago(15 * 60_000))]
        );
        // 2026-05-27T12:00:00Z is 13:00 CET: since:09:00 is 08:00Z.
        let now = 1_779_883_200_000;
        let q = parse_in("since:09:00 until:today", CET)
            .unwrap()
            .server_query(now, 10);
        assert_eq!(
            q.start.map(|t| t.to_rfc3339()),
            Some("2026-05-27T08:00:00+00:00".to_string())
        );
        assert_eq!(
            q.end.map(|t| t.to_rfc3339()),
            Some("2026-05-26T23:00:00+00:00".to_string())
        );
        // In UTC, the same words name other instants.
        let q = parse_in("since:09:00", Zone::Utc)
            .unwrap()
            .server_query(now, 10);
        assert_eq!(
            q.start.map(|t| t.timestamp_millis()),
            Some(now - 3 * 3_600_000)
        );
    }

    #[test]
    fn bad_local_times() {
        let e = err("x since:25:00");
        assert_eq!(e.span, 2..13);
        assert_eq!(
            e.reason,
            "bad time of day \"25:00\" (use HH:MM or HH:MM:SS, hours 00-23, minutes and \
             seconds 00-59)"
        );
        assert!(err("until:09:61").reason.starts_with("bad time of day"));
        assert!(err("since:9:5").reason.starts_with("bad time of day"));
        assert!(err("since:tomorrow").reason.starts_with("bad duration"));
    }

    #[test]
    fn spans_point_at_the_term() {
        let f = parse("  alice  -type:opened").unwrap();
        assert_eq!(f.terms[0].span, 2..7);
        assert_eq!(f.terms[1].span, 9..21);
    }

    #[test]
    fn unknown_field() {
        let e = err("alice frm:bob");
        assert_eq!(e.span, 6..13);
        assert_eq!(
            e.reason,
            "unknown field \"frm\" (try from:, to:, subject:, tag:, type:, smtp:, ip:, since:, until:)"
        );
    }

    #[test]
    fn unknown_event_type_suggests() {
        let e = err("type:bouncd");
        assert_eq!(e.span, 0..11);
        assert_eq!(e.reason, "unknown type \"bouncd\": did you mean bounced?");
        let e = err("type:delivered,zzzzzzzz");
        assert_eq!(
            e.reason,
            "unknown type \"zzzzzzzz\": try bounced, deferred, permfail…"
        );
    }

    #[test]
    fn types_as_the_table_shows_them_and_prefixes() {
        assert_eq!(
            kinds("type:permfail,tempfail,unsub -type:bou"),
            vec![
                (
                    false,
                    TermKind::Type(vec![
                        LogEventType::PermanentFail,
                        LogEventType::TemporaryFail,
                        LogEventType::Unsubscribed,
                    ])
                ),
                (true, TermKind::Type(vec![LogEventType::Bounced])),
            ]
        );
        let e = err("from:a type:de");
        assert_eq!(e.span, 7..14);
        assert_eq!(e.reason, "ambiguous type \"de\": delivered or deferred?");
        // What a short name sends the server is the wire name's type.
        let q = parse("type:permfail").unwrap().server_query(NOW, 10);
        assert_eq!(q.event_type, Some(LogEventType::PermanentFail));
    }

    #[test]
    fn bad_duration() {
        let e = err("x since:15x");
        assert_eq!(e.span, 2..11);
        assert_eq!(
            e.reason,
            "bad duration \"15x\" (use 30s, 15m, 2h, 1d or an RFC 3339 time)"
        );
        assert!(parse("since:15").is_err());
        assert!(parse("until:m").is_err());
        assert!(parse("since:99999999999999999999d").is_err());
    }

    #[test]
    fn unterminated_quote() {
        let e = err("from:a subject:\"weekly dig");
        assert_eq!(e.span, 7..26);
        assert!(e.reason.starts_with("unterminated quote"));
    }

    #[test]
    fn empty_values_and_lone_dash() {
        assert_eq!(err("from:").reason, "empty value after \"from:\"");
        assert_eq!(err("type:bounced,").reason, "empty item in a comma list");
        assert_eq!(err("subject:\"\"").reason, "empty quoted value");
        assert_eq!(err("a - b").span, 2..3);
    }

    #[test]
    fn spans_are_byte_ranges_with_multibyte_text() {
        let e = err("漢字 frm:x");
        assert_eq!(e.span, 7..12);
    }

    #[test]
    fn server_query_maps_what_the_api_supports() {
        let f = parse(
            "type:bounced from:alice@example.com to:bob@example.org subject:\"weekly digest\" \
             tag:news since:15m until:2026-05-27T10:00:00Z free",
        )
        .unwrap();
        let q = f.server_query(NOW, 500);
        assert_eq!(q.event_type, Some(LogEventType::Bounced));
        assert_eq!(q.sender.as_deref(), Some("alice@example.com"));
        assert_eq!(q.recipient.as_deref(), Some("bob@example.org"));
        assert_eq!(q.subject.as_deref(), Some("weekly digest"));
        assert_eq!(q.tags.as_deref(), Some("news"));
        assert_eq!(
            q.start.map(|t| t.timestamp_millis()),
            Some(NOW - 15 * 60_000)
        );
        assert_eq!(q.end, Some(parse_time("2026-05-27T10:00:00Z").unwrap()));
        assert_eq!(q.limit, Some(500));
    }

    #[test]
    fn server_query_leaves_out_what_it_cannot_express() {
        let f = parse("type:bounced,deferred -from:a@b.co from:alice to:x,y -tag:t hello").unwrap();
        let q = f.server_query(NOW, 50);
        assert_eq!(
            q,
            LogQuery {
                limit: Some(50),
                ..LogQuery::default()
            }
        );
        // A second term on one field: the first goes to the server, both
        // stay in memory.
        let q = parse("subject:a subject:b type:other type:opened")
            .unwrap()
            .server_query(NOW, 50);
        assert_eq!(q.subject.as_deref(), Some("a"));
        assert_eq!(q.event_type, Some(LogEventType::Opened));
    }

    #[test]
    fn whole_addresses() {
        assert!(is_whole_address("a@b.co"));
        assert!(!is_whole_address("@b.co"));
        assert!(!is_whole_address("alice@"));
        assert!(!is_whole_address("alice@localhost"));
        assert!(!is_whole_address("alice"));
    }

    #[test]
    fn contains_ci_cases() {
        assert!(contains_ci("Hello World", "world"));
        assert!(contains_ci("ÉCOLE", "éco"));
        assert!(!contains_ci("abc", "abcd"));
        assert!(contains_ci("anything", ""));
        assert!(contains_ci("xxAbC", "abc"));
        assert!(contains_ci("abc", "abc"));
        assert!(!contains_ci("ab", "abc"));
        assert!(contains_ci("a-b-c-ABD", "abd"));
        assert!(!contains_ci("a-b-c-ABX", "abd"));
        assert!(contains_ci("50% off", "0%"));
    }
}
