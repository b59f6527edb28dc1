//! Send-health alerts: the rules (the config's `[alerts]` table), what an
//! alert is about, and how one is announced. The dashboard and the
//! headless mode judge the same streams by the same rules.

use std::fmt;

use serde::de::{self, Deserializer, Visitor};
use serde::{Deserialize, Serialize};

use super::stream::Source;

/// What is judged and where the lines are. A threshold set to `false` in
/// the config turns its rule off (`None` here).
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AlertRules {
    /// A send's bounced share of its sent, in percent.
    #[serde(deserialize_with = "threshold")]
    pub bounce_rate_pct: Option<f64>,
    /// Rates are judged only once a send has sent this many: three bounces
    /// in the first twenty are not news.
    pub min_sent: u64,
    /// Complaints the inbox attributes to a send, as a share of its sent,
    /// in percent.
    #[serde(deserialize_with = "threshold")]
    pub complaint_rate_pct: Option<f64>,
    /// Complaints attributed to a send, whatever its rate (a campaign
    /// whose numbers this client never saw still has a count).
    #[serde(deserialize_with = "threshold")]
    pub complaint_count: Option<f64>,
    /// Seconds a send may stay `sending` without its sent count moving.
    #[serde(deserialize_with = "threshold")]
    pub stall_secs: Option<f64>,
    /// A send that ends `failed` or `cancelled`.
    pub failed_or_cancelled: bool,
    /// A domain's bounced, failed and permanent_fail records as a share of
    /// its records timed within the window, in percent.
    #[serde(deserialize_with = "threshold")]
    pub domain_bounce_rate_pct: Option<f64>,
    pub domain_window_secs: u64,
    /// A domain's share is judged only over at least this many records.
    pub domain_min_records: u64,
    /// Seconds a stream may be down (connecting, reconnecting, waiting out a
    /// rate limit, or given up) before it is an alert.
    #[serde(deserialize_with = "threshold")]
    pub stream_down_secs: Option<f64>,
    /// Seconds a condition must stay false before its alert clears, so a
    /// rate on the line does not raise and clear it over and over.
    pub clear_after_secs: u64,
    pub notify: Notify,
}

impl Default for AlertRules {
    fn default() -> AlertRules {
        AlertRules {
            bounce_rate_pct: Some(5.0),
            min_sent: 200,
            complaint_rate_pct: Some(0.1),
            complaint_count: Some(10.0),
            stall_secs: Some(60.0),
            failed_or_cancelled: true,
            domain_bounce_rate_pct: Some(10.0),
            domain_window_secs: 300,
            domain_min_records: 20,
            stream_down_secs: Some(120.0),
            clear_after_secs: 30,
            notify: Notify::Off,
        }
    }
}

/// How a raised alert is announced besides the screen.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Notify {
    #[default]
    Off,
    /// The terminal bell (BEL).
    Bell,
    /// A desktop notification: OSC 9 and OSC 777.
    Osc,
}

/// A number, or `false` for "this rule is off".
fn threshold<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<f64>, D::Error> {
    struct Threshold;
    impl Visitor<'_> for Threshold {
        type Value = Option<f64>;
        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str("a number, or false to turn the rule off")
        }
        fn visit_bool<E: de::Error>(self, v: bool) -> Result<Option<f64>, E> {
            if v {
                Err(E::custom(
                    "true is not a threshold: give a number, or false for off",
                ))
            } else {
                Ok(None)
            }
        }
        fn visit_f64<E: de::Error>(self, v: f64) -> Result<Option<f64>, E> {
            if v.is_finite() && v >= 0.0 {
                Ok(Some(v))
            } else {
                Err(E::custom(format!(
                    "{v} is not a threshold: give a number >= 0"
                )))
            }
        }
        fn visit_i64<E: de::Error>(self, v: i64) -> Result<Option<f64>, E> {
            self.visit_f64(v as f64)
        }
        fn visit_u64<E: de::Error>(self, v: u64) -> Result<Option<f64>, E> {
            self.visit_f64(v as f64)
        }
    }
    deserializer.deserialize_any(Threshold)
}

/// Which rule an alert comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AlertKind {
    BounceRate,
    ComplaintRate,
    Complaints,
    Stalled,
    Failed,
    Cancelled,
    DomainBounces,
    StreamDown,
}

impl AlertKind {
    /// The word a marked row and the alert list show.
    pub fn label(self) -> &'static str {
        match self {
            AlertKind::BounceRate => "bounces",
            AlertKind::ComplaintRate | AlertKind::Complaints => "complaints",
            AlertKind::Stalled => "stalled",
            AlertKind::Failed => "failed",
            AlertKind::Cancelled => "cancelled",
            AlertKind::DomainBounces => "bounces",
            AlertKind::StreamDown => "down",
        }
    }

    /// What the rule says, for the alert list and the headless line.
    pub fn describe(self) -> &'static str {
        match self {
            AlertKind::BounceRate => "bounce rate",
            AlertKind::ComplaintRate => "complaint rate",
            AlertKind::Complaints => "complaints",
            AlertKind::Stalled => "no progress while sending",
            AlertKind::Failed => "send failed",
            AlertKind::Cancelled => "send cancelled",
            AlertKind::DomainBounces => "bounced+failed in the window",
            AlertKind::StreamDown => "stream down",
        }
    }
}

/// What an alert's value and threshold are measured in.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AlertUnit {
    Percent,
    Count,
    Seconds,
    /// The rule has no number (a send that failed).
    None,
}

/// One alert, raised or cleared: the headless mode's `{"type":"alert"}`
/// line, and the dashboard's notification.
#[derive(Clone, Debug, PartialEq)]
pub struct AlertNotice {
    pub source: Source,
    pub kind: AlertKind,
    /// True when raised, false when cleared.
    pub raised: bool,
    /// The value that crossed (when raised) or the latest (when cleared).
    pub value: f64,
    pub threshold: f64,
    pub unit: AlertUnit,
    /// When its condition became true, in milliseconds since the epoch.
    pub since_ms: i64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rules_read_from_toml_with_false_for_off() {
        let rules: AlertRules = toml::from_str(
            "bounce_rate_pct = 8\nstall_secs = false\nnotify = \"osc\"\nmin_sent = 500",
        )
        .unwrap();
        assert_eq!(rules.bounce_rate_pct, Some(8.0));
        assert_eq!(rules.stall_secs, None);
        assert_eq!(rules.notify, Notify::Osc);
        assert_eq!(rules.min_sent, 500);
        assert_eq!(rules.complaint_rate_pct, Some(0.1), "the rest default");
        for bad in [
            "stall_secs = true",
            "stall_secs = -1",
            "notify = \"loud\"",
            "bounce = 5",
        ] {
            let e = toml::from_str::<AlertRules>(bad).unwrap_err();
            assert!(!e.to_string().is_empty(), "{bad}");
        }
    }
}
