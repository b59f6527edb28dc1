//! The log record generator: record `i` of a domain, as a pure function of
//! the seed, written into reused buffers.

use std::fmt::Write as _;

use super::domains::{DomainBehavior, DomainSpec};
use super::epoch::Epoch;
use super::people::address_into;
use super::record_text::{
    BOUNCE_RESPONSES, CATEGORIES, CATEGORY_WEIGHTS, DEFER_RESPONSES, FAILED_RESPONSES,
    PERMANENT_RESPONSES, USER_AGENTS, delivered_response,
};
use super::rng::{Rng, SALT_MESSAGE, SALT_RECORD, hash};
use crate::model::{LogEventType, LogRecord};

const EVENT_TYPES: &[LogEventType] = &[
    LogEventType::Queued,
    LogEventType::Delivered,
    LogEventType::Opened,
    LogEventType::Clicked,
    LogEventType::Deferred,
    LogEventType::Bounced,
    LogEventType::TemporaryFail,
    LogEventType::PermanentFail,
    LogEventType::Failed,
    LogEventType::Unsubscribed,
];
const EVENT_WEIGHTS: &[u32] = &[260, 380, 200, 60, 30, 25, 12, 10, 8, 15];
/// The same events for a domain with a deliverability problem: bounced
/// and failed are ~19% of records, ~25% with permanent failures.
const HIGH_BOUNCE_WEIGHTS: &[u32] = &[260, 300, 120, 30, 30, 150, 20, 60, 50, 10];

/// How many records back the message an event belongs to was queued: a
/// `delivered` record belongs to the message queued three records before
/// it, an `opened` one to a message sixty records back. So following one
/// recipient or message id shows a believable trail.
fn message_lag(t: LogEventType) -> u64 {
    match t {
        LogEventType::Queued => 0,
        LogEventType::Failed => 1,
        LogEventType::Deferred | LogEventType::TemporaryFail => 2,
        LogEventType::Delivered => 3,
        LogEventType::Bounced | LogEventType::PermanentFail => 4,
        LogEventType::Opened => 60,
        LogEventType::Clicked => 90,
        _ => 120,
    }
}

/// Appends `template` with `{order}` replaced by `order`.
fn push_with_order(out: &mut String, template: &str, order: u64) {
    match template.split_once("{order}") {
        Some((head, tail)) => {
            out.push_str(head);
            let _ = write!(out, "{order}");
            out.push_str(tail);
        }
        None => out.push_str(template),
    }
}

impl DomainSpec {
    /// Record `i` of this domain.
    #[cfg(test)]
    pub(crate) fn record(&self, seed: u64, epoch: Epoch, i: u64) -> LogRecord {
        let mut g = RecordGen::default();
        self.fill(seed, epoch, i, &mut g);
        g.rec
    }

    /// Writes record `i` into `g.rec`, reusing its buffers: generating the
    /// bulk domain's half million records must not cost half a million
    /// allocations per field.
    pub(crate) fn fill(&self, seed: u64, epoch: Epoch, i: u64, g: &mut RecordGen) {
        let mut rng = Rng::new(hash(seed, SALT_RECORD ^ self.salt, i));
        let weights = match self.behavior {
            DomainBehavior::HighBounce => HIGH_BOUNCE_WEIGHTS,
            _ => EVENT_WEIGHTS,
        };
        let event_type = EVENT_TYPES[rng.weighted(weights)];
        let msg = i.saturating_sub(message_lag(event_type));

        let msg_hash = hash(seed, SALT_MESSAGE ^ self.salt, msg);
        let mut m = Rng::new(msg_hash);
        let category = &CATEGORIES[m.weighted(CATEGORY_WEIGHTS)];
        let r = &mut g.rec;
        r.recipient.clear();
        address_into(&mut m, &mut r.recipient);
        let order = 40_000 + m.below(9_000);
        r.subject.clear();
        push_with_order(&mut r.subject, m.pick::<&str>(category.subjects), order);
        let tags = *m.pick(category.tags);
        r.tags.truncate(tags.len());
        for (n, t) in tags.iter().enumerate() {
            match r.tags.get_mut(n) {
                Some(slot) => {
                    slot.clear();
                    slot.push_str(t);
                }
                None => r.tags.push((*t).to_string()),
            }
        }
        let link = *m.pick(category.links);

        r.id.clear();
        let _ = write!(r.id, "{}-{i:08}", self.prefix);
        r.timestamp_ms = self.record_ms(seed, epoch, i);
        r.event_type = Some(event_type);
        r.sender.clear();
        let _ = write!(r.sender, "{}@{}", category.sender, self.name);
        r.message_id.clear();
        let _ = write!(r.message_id, "<{msg_hash:016x}@{}>", self.name);
        r.extra.clear();

        let pick = |list: &[&'static str]| list[(msg_hash % list.len() as u64) as usize];
        let smtp: Option<&str> = match event_type {
            LogEventType::Bounced => Some(pick(BOUNCE_RESPONSES)),
            LogEventType::Deferred | LogEventType::TemporaryFail => Some(pick(DEFER_RESPONSES)),
            LogEventType::PermanentFail => Some(pick(PERMANENT_RESPONSES)),
            LogEventType::Failed => Some(pick(FAILED_RESPONSES)),
            _ => None,
        };
        match (event_type, smtp) {
            (LogEventType::Delivered, _) => {
                let s = g.smtp.take(&mut r.smtp_response);
                delivered_response(s, &r.recipient, msg_hash);
            }
            (_, Some(text)) => {
                let s = g.smtp.take(&mut r.smtp_response);
                match text.split_once("{rcpt}") {
                    Some((head, tail)) => {
                        s.push_str(head);
                        s.push_str(&r.recipient);
                        s.push_str(tail);
                    }
                    None => s.push_str(text),
                }
            }
            _ => g.smtp.put(&mut r.smtp_response),
        }
        // Opens, clicks and unsubscribes come from the reader's device.
        let reader = matches!(
            event_type,
            LogEventType::Opened | LogEventType::Clicked | LogEventType::Unsubscribed
        );
        if reader {
            let s = g.ip.take(&mut r.ip);
            let _ = match rng.below(4) {
                0 => write!(
                    s,
                    "2001:db8:{:x}::{:x}",
                    rng.below(0xffff),
                    rng.below(0xffff)
                ),
                1 => write!(s, "198.51.100.{}", 1 + rng.below(254)),
                _ => write!(s, "203.0.113.{}", 1 + rng.below(254)),
            };
        } else {
            g.ip.put(&mut r.ip);
        }
        if matches!(event_type, LogEventType::Opened | LogEventType::Clicked) {
            g.ua.take(&mut r.user_agent)
                .push_str(rng.pick::<&str>(USER_AGENTS));
        } else {
            g.ua.put(&mut r.user_agent);
        }
        if event_type == LogEventType::Clicked {
            let s = g.url.take(&mut r.url);
            let _ = write!(s, "https://{}", self.name);
            push_with_order(s, link, order);
        } else {
            g.url.put(&mut r.url);
        }
    }
}

/// A record being generated, with spare buffers for its optional fields.
#[derive(Debug, Default)]
pub(crate) struct RecordGen {
    pub(crate) rec: LogRecord,
    smtp: Spare,
    ip: Spare,
    ua: Spare,
    url: Spare,
}

/// Keeps an optional field's buffer while the field is `None`.
#[derive(Debug, Default)]
struct Spare(String);

impl Spare {
    /// Makes `slot` `Some` with an empty buffer and returns that buffer.
    fn take<'a>(&mut self, slot: &'a mut Option<String>) -> &'a mut String {
        let s = slot.get_or_insert_with(|| std::mem::take(&mut self.0));
        s.clear();
        s
    }

    /// Makes `slot` `None`, keeping its buffer for later.
    fn put(&mut self, slot: &mut Option<String>) {
        if let Some(s) = slot.take() {
            self.0 = s;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::scenario::domains::domains;
    use crate::sim::scenario::epoch::TEST_EPOCH;

    #[test]
    fn records_are_deterministic_ascending_and_realistic() {
        let shop = &domains()[0];
        let a: Vec<LogRecord> = (0..2000).map(|i| shop.record(7, TEST_EPOCH, i)).collect();
        let b: Vec<LogRecord> = (0..2000).map(|i| shop.record(7, TEST_EPOCH, i)).collect();
        assert_eq!(a, b);
        assert!(a.windows(2).all(|w| w[0].timestamp_ms <= w[1].timestamp_ms));
        assert!(a.iter().all(|r| r.timestamp_ms % 1000 != 0));
        assert!(a.iter().all(|r| r.sender.ends_with("@shop.example.com")));
        let bytes: usize = a.iter().map(|r| serde_json::to_vec(r).unwrap().len()).sum();
        let avg = bytes / a.len();
        assert!((220..420).contains(&avg), "average record is {avg} bytes");
        let delivered = a
            .iter()
            .filter(|r| r.event_type == Some(LogEventType::Delivered))
            .count();
        assert!(delivered > 600 && delivered < 900, "{delivered}");
        let c = shop.record(8, TEST_EPOCH, 5);
        assert_ne!(c, a[5], "another seed gives other records");
    }

    #[test]
    fn the_high_bounce_domain_bounces_and_fails_over_ten_percent() {
        let spec = domains()
            .into_iter()
            .find(|d| d.name == "bounces.example.com")
            .unwrap();
        assert_eq!(spec.behavior, DomainBehavior::HighBounce);
        let bad = |r: &LogRecord| {
            matches!(
                r.event_type,
                Some(LogEventType::Bounced | LogEventType::Failed)
            )
        };
        let worse = |r: &LogRecord| bad(r) || r.event_type == Some(LogEventType::PermanentFail);
        // Every 5-minute window of the first ten minutes, backlog included
        // for the early ones.
        for end in (0..=600).step_by(30) {
            let end = end as f64;
            let n = spec.available(1, end);
            let from_ms = TEST_EPOCH.wall_ms(end - 300.0);
            let first = spec.first_at_or_after(1, TEST_EPOCH, from_ms, n);
            let window: Vec<LogRecord> =
                (first..n).map(|i| spec.record(1, TEST_EPOCH, i)).collect();
            assert!(window.len() >= 95, "at {end}: {}", window.len());
            let share = |f: &dyn Fn(&LogRecord) -> bool| {
                window.iter().filter(|r| f(r)).count() as f64 / window.len() as f64
            };
            assert!(share(&bad) > 0.12, "at {end}: {}", share(&bad));
            let worse = share(&worse);
            assert!((0.15..0.35).contains(&worse), "at {end}: {worse}");
        }
        // Live records of the first five minutes: a quarter are bad.
        let (live, n) = (spec.backlog, spec.available(1, 300.0));
        let worse = (live..n)
            .filter(|i| worse(&spec.record(1, TEST_EPOCH, *i)))
            .count() as f64
            / (n - live) as f64;
        assert!((0.2..0.3).contains(&worse), "{worse}");
        // The demo's usual domains keep their usual mix.
        let shop = &domains()[0];
        let usual = (0..2000)
            .map(|i| shop.record(1, TEST_EPOCH, i))
            .filter(|r| bad(r))
            .count();
        assert!(usual < 100, "{usual}");
    }
}
