//! A filter evaluated on one record as it arrives: the headless mode's
//! `--filter`, which has no log store. The store's compiled filter
//! (`logstore`) must agree with this on every record; its property test
//! holds the two together.

use std::borrow::Cow;

use super::{Filter, TermKind, TextField, contains_ci, ends_with_ci};
use crate::model::LogRecordRef;

impl Filter {
    /// Whether `record` matches, with relative times resolved at `now_ms`.
    pub fn matches(&self, record: &LogRecordRef, now_ms: i64) -> bool {
        self.terms.iter().all(|term| {
            let hit = match &term.kind {
                TermKind::Type(types) => record.event_type.is_some_and(|t| types.contains(&t)),
                TermKind::Since(bound) => record.timestamp_ms >= bound.resolve(now_ms),
                TermKind::Until(bound) => record.timestamp_ms <= bound.resolve(now_ms),
                TermKind::Text { field, any_of } => any_of.iter().any(|value| {
                    let value = lowercase(value);
                    let in_tags = || record.tags.iter().any(|t| contains_ci(t, &value));
                    match field {
                        TextField::Sender => contains_ci(record.sender, &value),
                        TextField::Recipient => contains_ci(record.recipient, &value),
                        TextField::Subject => contains_ci(record.subject, &value),
                        TextField::Tag => in_tags(),
                        TextField::RecipientDomain => ends_with_ci(record.recipient, &value),
                        TextField::Smtp => record
                            .smtp_response
                            .is_some_and(|smtp| contains_ci(smtp, &value)),
                        TextField::Ip => record.ip.is_some_and(|ip| contains_ci(ip, &value)),
                        TextField::Anywhere => {
                            contains_ci(record.sender, &value)
                                || contains_ci(record.recipient, &value)
                                || contains_ci(record.subject, &value)
                                || in_tags()
                        }
                    }
                }),
            };
            hit != term.negated
        })
    }
}

/// `value` lowercased, without a copy in the common case: this runs for
/// every record of a headless stream, and typed values are mostly
/// lower-case ASCII already. (Only for ASCII is "no upper-case letter"
/// the same as "lowercasing changes nothing".)
fn lowercase(value: &str) -> Cow<'_, str> {
    if value.is_ascii() && !value.bytes().any(|b| b.is_ascii_uppercase()) {
        Cow::Borrowed(value)
    } else {
        Cow::Owned(value.to_lowercase())
    }
}

#[cfg(test)]
mod tests {
    use crate::app::filter::parse;
    use crate::model::{LogEventType, LogRecord};

    #[test]
    fn each_kind_of_term_on_one_record() {
        let record = LogRecord {
            id: "r1".into(),
            timestamp_ms: 1_000_000,
            event_type: Some(LogEventType::Bounced),
            sender: "News@Acme.io".into(),
            recipient: "ana@gmail.com".into(),
            subject: "Weekly Digest".into(),
            tags: vec!["newsletter".into()],
            smtp_response: Some("550 5.7.1 Message BLOCKED".into()),
            ip: Some("10.0.0.7".into()),
            ..LogRecord::default()
        };
        let r = record.borrowed();
        let now = 1_060_000;
        for (filter, want) in [
            ("", true),
            ("type:bounced", true),
            ("type:delivered,bounced", true),
            ("-type:bounced", false),
            ("from:news@acme", true),
            ("to:@gmail.com", true),
            ("to:@yahoo.com", false),
            ("to:@GMAIL.com", true),
            ("to:@mail.com", false),
            ("to:@gmail", false),
            ("to:@yahoo.com,@gmail.com", true),
            ("-to:@gmail.com", false),
            ("smtp:\"550 5.7.1\"", true),
            ("smtp:blocked", true),
            ("smtp:421", false),
            ("ip:10.0.0", true),
            ("ip:10.0.1", false),
            ("subject:\"weekly digest\"", true),
            ("tag:news", true),
            ("digest", true),
            ("gmail", true),
            ("since:30s", false),
            ("since:2m", true),
            ("until:2m", false),
            ("digest -tag:newsletter", false),
        ] {
            let parsed = parse(filter).unwrap();
            assert_eq!(parsed.matches(&r, now), want, "{filter}");
        }
    }
}
