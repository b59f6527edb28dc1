//! Alerts in the headless mode: each raised or cleared alert is one
//! `{"type":"alert"}` line among the stream's NDJSON (or, when stdout is
//! CSV, one line on stderr), and `--fail-on-alert` ends the run on the
//! first one raised.

use std::io::{self, Write};

use serde_json::{Map, Value, json};

use crate::app::alert_list::value_against_threshold;
use crate::model::alert::{AlertNotice, AlertUnit};
use crate::sanitize::{clean, write_json};

use super::source_fields;

/// Where alerts go and whether the first one ends the run.
pub(super) struct AlertOut {
    /// `--format csv`: stdout is CSV only, so alerts go to stderr.
    pub csv: bool,
    pub fail_on_alert: bool,
}

impl AlertOut {
    /// Writes each notice. With `--fail-on-alert`, the first raised one is
    /// the last thing written: its line, stdout flushed, and on stderr the
    /// line saying why the run ends; `true` then.
    pub fn write(
        &self,
        notices: &[AlertNotice],
        out: &mut impl Write,
        err: &mut impl Write,
    ) -> io::Result<bool> {
        for notice in notices {
            if self.csv {
                writeln!(err, "{}", alert_text(notice))?;
            } else {
                write_json(&mut *out, &alert_json(notice))?;
                out.write_all(b"\n")?;
            }
            if self.fail_on_alert && notice.raised {
                out.flush()?;
                writeln!(err, "{}", fail_reason(notice))?;
                err.flush()?;
                return Ok(true);
            }
        }
        Ok(false)
    }
}

/// `{"type":"alert","issue_id":…,"state":"raised","alert":"bounce_rate",
/// "what":"bounce rate","value":11.2,"threshold":5.0,"unit":"percent",
/// "since":"2026-12-07T01:30:00.123Z"}`. A rule without a number (a send
/// that failed) has `null` for its value and threshold.
pub(super) fn alert_json(notice: &AlertNotice) -> Map<String, Value> {
    let mut line = source_fields("alert", &notice.source);
    let number = |v: f64| match notice.unit {
        AlertUnit::None => Value::Null,
        // Three decimals: 11.235, not 11.234567890123457.
        _ => json!((v * 1000.0).round() / 1000.0),
    };
    line.insert("state".into(), json!(state(notice)));
    line.insert("alert".into(), json!(notice.kind));
    line.insert("what".into(), json!(notice.kind.describe()));
    line.insert("value".into(), number(notice.value));
    line.insert("threshold".into(), number(notice.threshold));
    line.insert("unit".into(), json!(notice.unit));
    line.insert("since".into(), json!(rfc3339_ms(notice.since_ms)));
    line
}

/// The stderr line of an alert, for `--format csv`: `logs d.example: alert
/// raised: bounced+failed in the window 12.5% > 10.0% (since …)`.
pub(super) fn alert_text(notice: &AlertNotice) -> String {
    let against = value_against_threshold(notice.kind, notice.value, notice.threshold, notice.unit);
    let what = format!("{} {against}", notice.kind.describe());
    clean(&format!(
        "{}: alert {}: {} (since {})",
        notice.source,
        state(notice),
        what.trim_end(),
        rfc3339_ms(notice.since_ms)
    ))
    .into_owned()
}

/// The one stderr line that says why `--fail-on-alert` ended the run.
fn fail_reason(notice: &AlertNotice) -> String {
    let against = value_against_threshold(notice.kind, notice.value, notice.threshold, notice.unit);
    let what = format!("{} {against}", notice.kind.describe());
    clean(&format!(
        "misar-dash: alert: {}: {} (--fail-on-alert)",
        notice.source,
        what.trim_end()
    ))
    .into_owned()
}

fn state(notice: &AlertNotice) -> &'static str {
    if notice.raised { "raised" } else { "cleared" }
}

/// Milliseconds since the epoch as RFC 3339, UTC, to the millisecond.
fn rfc3339_ms(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms)
        .unwrap_or_default()
        .to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Source;
    use crate::model::alert::AlertKind;

    fn notice(kind: AlertKind, raised: bool, value: f64, unit: AlertUnit) -> AlertNotice {
        AlertNotice {
            source: Source::SendProgress {
                issue_id: "iss-1".into(),
            },
            kind,
            raised,
            value,
            threshold: 5.0,
            unit,
            // 2026-12-07T01:30:00.123Z
            since_ms: 1_796_607_000_123,
        }
    }

    #[test]
    fn a_raised_alert_is_one_json_line_with_its_source_first() {
        let n = notice(
            AlertKind::BounceRate,
            true,
            11.234_567_8,
            AlertUnit::Percent,
        );
        let text = serde_json::to_string(&alert_json(&n)).unwrap();
        assert_eq!(
            text,
            "{\"type\":\"alert\",\"issue_id\":\"iss-1\",\"state\":\"raised\",\
             \"alert\":\"bounce_rate\",\"what\":\"bounce rate\",\"value\":11.235,\
             \"threshold\":5.0,\"unit\":\"percent\",\"since\":\"2026-12-07T01:30:00.123Z\"}"
        );
    }

    #[test]
    fn a_cleared_alert_says_so_and_a_rule_without_a_number_has_nulls() {
        let cleared = alert_json(&notice(AlertKind::Stalled, false, 3.0, AlertUnit::Seconds));
        assert_eq!(cleared["state"], "cleared");
        assert_eq!(cleared["alert"], "stalled");
        assert_eq!(cleared["unit"], "seconds");
        assert_eq!(cleared["value"], 3.0);
        let failed = alert_json(&notice(AlertKind::Failed, true, 0.0, AlertUnit::None));
        assert_eq!(failed["alert"], "failed");
        assert_eq!(failed["what"], "send failed");
        assert_eq!(failed["value"], Value::Null);
        assert_eq!(failed["threshold"], Value::Null);
        assert_eq!(failed["unit"], "none");
    }

    #[test]
    fn csv_mode_writes_alerts_to_stderr_and_fail_on_alert_stops_at_the_first_raised() {
        let notices = [
            notice(AlertKind::Stalled, false, 3.0, AlertUnit::Seconds),
            notice(AlertKind::BounceRate, true, 11.2, AlertUnit::Percent),
            notice(AlertKind::Failed, true, 0.0, AlertUnit::None),
        ];
        let (mut out, mut err) = (Vec::new(), Vec::new());
        let csv = AlertOut {
            csv: true,
            fail_on_alert: true,
        };
        assert!(csv.write(&notices, &mut out, &mut err).unwrap());
        assert!(out.is_empty());
        let err = String::from_utf8(err).unwrap();
        let lines: Vec<&str> = err.lines().collect();
        assert_eq!(
            lines,
            [
                "issue iss-1: alert cleared: no progress while sending 3s ≥ 5s \
                 (since 2026-12-07T01:30:00.123Z)",
                "issue iss-1: alert raised: bounce rate 11.2% > 5.0% \
                 (since 2026-12-07T01:30:00.123Z)",
                "misar-dash: alert: issue iss-1: bounce rate 11.2% > 5.0% (--fail-on-alert)",
            ]
        );

        let (mut out, mut err) = (Vec::new(), Vec::new());
        let ndjson = AlertOut {
            csv: false,
            fail_on_alert: false,
        };
        assert!(!ndjson.write(&notices, &mut out, &mut err).unwrap());
        assert!(err.is_empty());
        let out = String::from_utf8(out).unwrap();
        let states: Vec<Value> = out
            .lines()
            .map(|l| serde_json::from_str::<Value>(l).unwrap()["state"].clone())
            .collect();
        assert_eq!(states, ["cleared", "raised", "raised"]);
    }

    #[test]
    fn upstream_text_in_a_source_cannot_drive_the_terminal() {
        let mut n = notice(AlertKind::Failed, true, 0.0, AlertUnit::None);
        n.source = Source::Campaign {
            campaign_id: "c\u{1b}]0;x\u{7}".into(),
        };
        assert!(!alert_text(&n).contains('\u{1b}'));
        assert!(!fail_reason(&n).contains('\u{7}'));
        let mut out = Vec::new();
        write_json(&mut out, &alert_json(&n)).unwrap();
        assert!(!out.contains(&0x1b));
    }
}
