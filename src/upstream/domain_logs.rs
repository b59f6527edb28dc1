//! Domain email logs: `GET {mail}/api/domains/{domain}/log/stream`
//! (Server-Sent Events), with the query the server filters by.

use std::fmt;

use chrono::{DateTime, SecondsFormat, Utc};
use serde::de::{self, Deserializer, MapAccess, Visitor};
use serde::ser::{SerializeMap, Serializer};
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// The API's default and largest `limit`.
pub const DEFAULT_LIMIT: u32 = 50_000;
pub const MAX_LIMIT: u32 = 500_000;

/// The event types the API filters by.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum LogEventType {
    Queued,
    Delivered,
    Bounced,
    Failed,
    Opened,
    Clicked,
    Unsubscribed,
    TemporaryFail,
    PermanentFail,
    Deferred,
    /// Anything else the server sends; the original name is kept in the
    /// record's `extra` under `event_type`.
    Other,
}

impl LogEventType {
    /// The ten documented types, in the doc's order.
    pub const KNOWN: [LogEventType; 10] = [
        LogEventType::Queued,
        LogEventType::Delivered,
        LogEventType::Bounced,
        LogEventType::Failed,
        LogEventType::Opened,
        LogEventType::Clicked,
        LogEventType::Unsubscribed,
        LogEventType::TemporaryFail,
        LogEventType::PermanentFail,
        LogEventType::Deferred,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            LogEventType::Queued => "queued",
            LogEventType::Delivered => "delivered",
            LogEventType::Bounced => "bounced",
            LogEventType::Failed => "failed",
            LogEventType::Opened => "opened",
            LogEventType::Clicked => "clicked",
            LogEventType::Unsubscribed => "unsubscribed",
            LogEventType::TemporaryFail => "temporary_fail",
            LogEventType::PermanentFail => "permanent_fail",
            LogEventType::Deferred => "deferred",
            LogEventType::Other => "other",
        }
    }

    /// A documented type by its wire name.
    pub fn from_wire(s: &str) -> Option<LogEventType> {
        LogEventType::KNOWN.into_iter().find(|t| t.as_str() == s)
    }
}

impl fmt::Display for LogEventType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One log record. `id` and `timestamp` are required (they are what a
/// reconnect resumes from); everything else may be missing.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct LogRecord {
    pub id: String,
    /// Milliseconds since the Unix epoch, UTC.
    pub timestamp_ms: i64,
    pub event_type: Option<LogEventType>,
    pub sender: String,
    pub recipient: String,
    pub subject: String,
    pub tags: Vec<String>,
    pub message_id: String,
    pub smtp_response: Option<String>,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
    pub url: Option<String>,
    /// Fields this client does not know, in arrival order, for the detail
    /// view and the headless output.
    pub extra: Vec<(String, Value)>,
}

impl LogRecord {
    /// The timestamp as RFC 3339 (UTC, milliseconds only when present).
    pub fn timestamp_rfc3339(&self) -> String {
        format_timestamp_ms(self.timestamp_ms)
    }
}

/// Formats milliseconds since the epoch as RFC 3339 UTC.
pub fn format_timestamp_ms(ms: i64) -> String {
    match DateTime::<Utc>::from_timestamp_millis(ms) {
        Some(t) => t.to_rfc3339_opts(SecondsFormat::AutoSi, true),
        None => ms.to_string(),
    }
}

/// Parses an RFC 3339 timestamp into milliseconds since the epoch.
pub fn parse_timestamp_ms(s: &str) -> Option<i64> {
    DateTime::parse_from_rfc3339(s)
        .ok()
        .map(|t| t.timestamp_millis())
}

impl Serialize for LogRecord {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(None)?;
        map.serialize_entry("id", &self.id)?;
        map.serialize_entry("timestamp", &self.timestamp_rfc3339())?;
        if let Some(t) = self.event_type.filter(|t| *t != LogEventType::Other) {
            map.serialize_entry("event_type", t.as_str())?;
        }
        map.serialize_entry("sender", &self.sender)?;
        map.serialize_entry("recipient", &self.recipient)?;
        map.serialize_entry("subject", &self.subject)?;
        map.serialize_entry("tags", &self.tags)?;
        map.serialize_entry("message_id", &self.message_id)?;
        for (name, value) in [
            ("smtp_response", &self.smtp_response),
            ("ip", &self.ip),
            ("user_agent", &self.user_agent),
            ("url", &self.url),
        ] {
            if let Some(v) = value {
                map.serialize_entry(name, v)?;
            }
        }
        for (name, value) in &self.extra {
            map.serialize_entry(name, value)?;
        }
        map.end()
    }
}

impl<'de> Deserialize<'de> for LogRecord {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_map(LogRecordVisitor)
    }
}

struct LogRecordVisitor;

impl<'de> Visitor<'de> for LogRecordVisitor {
    type Value = LogRecord;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a log record object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<LogRecord, A::Error> {
        let mut record = LogRecord::default();
        let mut has_id = false;
        let mut has_timestamp = false;
        while let Some(key) = map.next_key::<std::borrow::Cow<'de, str>>()? {
            match key.as_ref() {
                "id" => {
                    // Ids are strings in the contract; numbers are accepted
                    // and kept as their decimal text.
                    record.id = match map.next_value::<Value>()? {
                        Value::String(s) => s,
                        Value::Number(n) => n.to_string(),
                        _ => return Err(de::Error::custom("id is not a string")),
                    };
                    has_id = true;
                }
                "timestamp" => {
                    let raw = map.next_value::<std::borrow::Cow<'de, str>>()?;
                    record.timestamp_ms = parse_timestamp_ms(&raw).ok_or_else(|| {
                        de::Error::custom(format_args!("timestamp {raw:?} is not RFC 3339"))
                    })?;
                    has_timestamp = true;
                }
                "event_type" => {
                    let raw = map.next_value::<Option<std::borrow::Cow<'de, str>>>()?;
                    if let Some(raw) = raw {
                        record.event_type = Some(LogEventType::from_wire(&raw).unwrap_or_else(|| {
                            record
                                .extra
                                .push(("event_type".into(), Value::String(raw.into_owned())));
                            LogEventType::Other
                        }));
                    }
                }
                "sender" => record.sender = string_or_empty(&mut map)?,
                "recipient" => record.recipient = string_or_empty(&mut map)?,
                "subject" => record.subject = string_or_empty(&mut map)?,
                "message_id" => record.message_id = string_or_empty(&mut map)?,
                "tags" => record.tags = map.next_value::<Option<Vec<String>>>()?.unwrap_or_default(),
                "smtp_response" => record.smtp_response = map.next_value()?,
                "ip" => record.ip = map.next_value()?,
                "user_agent" => record.user_agent = map.next_value()?,
                "url" => record.url = map.next_value()?,
                other => {
                    let name = other.to_string();
                    record.extra.push((name, map.next_value::<Value>()?));
                }
            }
        }
        if !has_id {
            return Err(de::Error::missing_field("id"));
        }
        if !has_timestamp {
            return Err(de::Error::missing_field("timestamp"));
        }
        Ok(record)
    }
}

fn string_or_empty<'de, A: MapAccess<'de>>(map: &mut A) -> Result<String, A::Error> {
    Ok(map.next_value::<Option<String>>()?.unwrap_or_default())
}

/// What to ask the server for. Every field is validated on the way in (see
/// the `parse_*` functions), so a bad value never reaches a request.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LogQuery {
    pub start: Option<DateTime<Utc>>,
    pub end: Option<DateTime<Utc>>,
    pub sender: Option<String>,
    pub recipient: Option<String>,
    pub subject: Option<String>,
    pub event_type: Option<LogEventType>,
    pub tags: Option<String>,
    pub limit: Option<u32>,
}

impl LogQuery {
    /// Checks what single-field parsing cannot: that the range is not empty.
    pub fn validate(&self) -> Result<(), String> {
        if let (Some(start), Some(end)) = (self.start, self.end)
            && start > end
        {
            return Err(format!(
                "start {} is after end {}",
                start.to_rfc3339_opts(SecondsFormat::AutoSi, true),
                end.to_rfc3339_opts(SecondsFormat::AutoSi, true)
            ));
        }
        Ok(())
    }

    /// The limit the server applies.
    pub fn effective_limit(&self) -> u32 {
        self.limit.unwrap_or(DEFAULT_LIMIT)
    }

    /// Query-string pairs, in a fixed order.
    pub fn params(&self) -> Vec<(&'static str, String)> {
        let mut params = Vec::new();
        let time = |t: &DateTime<Utc>| t.to_rfc3339_opts(SecondsFormat::AutoSi, true);
        if let Some(t) = &self.start {
            params.push(("start", time(t)));
        }
        if let Some(t) = &self.end {
            params.push(("end", time(t)));
        }
        for (name, value) in [
            ("sender", &self.sender),
            ("recipient", &self.recipient),
            ("subject", &self.subject),
        ] {
            if let Some(v) = value {
                params.push((name, v.clone()));
            }
        }
        if let Some(t) = self.event_type {
            params.push(("event_type", t.as_str().to_string()));
        }
        if let Some(t) = &self.tags {
            params.push(("tags", t.clone()));
        }
        if let Some(l) = self.limit {
            params.push(("limit", l.to_string()));
        }
        params
    }
}

/// Parses a `start`/`end` value: RFC 3339.
pub fn parse_time(s: &str) -> Result<DateTime<Utc>, String> {
    DateTime::parse_from_rfc3339(s.trim())
        .map(|t| t.with_timezone(&Utc))
        .map_err(|_| format!("invalid time {s:?}: expected RFC 3339, like 2026-05-27T10:15:00Z"))
}

/// Parses an `event_type` value: one of the ten documented types.
pub fn parse_event_type(s: &str) -> Result<LogEventType, String> {
    LogEventType::from_wire(s.trim()).ok_or_else(|| {
        let known: Vec<&str> = LogEventType::KNOWN.iter().map(|t| t.as_str()).collect();
        format!("unknown event type {s:?}: expected one of {}", known.join(", "))
    })
}

/// Parses a `limit` value: 1..=500000.
pub fn parse_limit(s: &str) -> Result<u32, String> {
    match s.trim().parse::<u64>() {
        Ok(n) if (1..=u64::from(MAX_LIMIT)).contains(&n) => Ok(n as u32),
        _ => Err(format!(
            "invalid limit {s:?}: expected a whole number from 1 to {MAX_LIMIT}"
        )),
    }
}

/// Parses a free-text filter value (sender, recipient, subject, tags): any
/// non-empty text without control characters.
pub fn parse_text(s: &str) -> Result<String, String> {
    if s.is_empty() {
        return Err("empty value: leave the option out instead".into());
    }
    if s.chars().any(char::is_control) {
        return Err(format!("value {s:?} holds control characters"));
    }
    Ok(s.to_string())
}
