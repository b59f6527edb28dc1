//! The simulated world: issues, campaigns, inbox traffic and domain logs.
//!
//! Everything here is a pure function of the seed and a simulated time (or a
//! record index), never of what was asked before: a client that reconnects
//! sees the same issue numbers, the same campaign schedule and the same log
//! records it would have seen had it stayed connected.

use std::fmt::Write as _;

use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::{Map, Value};

use crate::model::mail::{InboxCampaign, InboxContact, InboxMail};
use crate::model::{CampaignUpdate, CampaignUpdateKind, InboxEvent, SendProgress, SendStatus};
use crate::model::{LogEventType, LogRecord};

// ---------------------------------------------------------------------------
// Randomness

/// splitmix64's finaliser: a good 64-bit mixer, so `mix(seed ^ i)` gives
/// independent-looking values for consecutive `i` with no state to keep.
pub(crate) const fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// One value for (seed, stream, index); `salt` keeps streams apart.
pub(crate) fn hash(seed: u64, salt: u64, i: u64) -> u64 {
    mix(mix(seed ^ mix(salt)) ^ i)
}

/// A splitmix64 generator, for drawing several values from one hash.
#[derive(Clone, Debug)]
pub(crate) struct Rng(u64);

impl Rng {
    pub(crate) fn new(state: u64) -> Rng {
        Rng(state)
    }

    pub(crate) fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (n > 0). The modulo bias is irrelevant at these sizes.
    pub(crate) fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n.max(1)
    }

    /// Uniform in `[0, 1)`.
    pub(crate) fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    pub(crate) fn range(&mut self, lo: f64, hi: f64) -> f64 {
        lo + (hi - lo) * self.unit()
    }

    pub(crate) fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }

    /// An index drawn by weight.
    pub(crate) fn weighted(&mut self, weights: &[u32]) -> usize {
        let total: u32 = weights.iter().sum();
        let mut x = self.below(u64::from(total)) as u32;
        for (i, w) in weights.iter().enumerate() {
            if x < *w {
                return i;
            }
            x -= w;
        }
        weights.len() - 1
    }
}

// Salts: one per independent stream of values.
const SALT_INBOX: u64 = 0x1b0c;
const SALT_CAMPAIGN: u64 = 0xca3b;
const SALT_CAMPAIGN_ID: u64 = 0xca1d;
const SALT_RECORD: u64 = 0x5ec0;
const SALT_MESSAGE: u64 = 0x3e55;
const SALT_TIME: u64 = 0x7173;

// ---------------------------------------------------------------------------
// Time

/// Simulated time, as seconds since the simulator started, mapped to wall
/// time through the epoch.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Epoch {
    pub(crate) ms: i64,
}

impl Epoch {
    pub(crate) fn from_datetime(t: DateTime<Utc>) -> Epoch {
        Epoch {
            ms: t.timestamp_millis(),
        }
    }

    pub(crate) fn wall_ms(self, t: f64) -> i64 {
        // `as` saturates, and so does the sum: times beyond any record's
        // (a past-only domain asked past its end) stay well defined.
        self.ms.saturating_add((t * 1000.0).floor() as i64)
    }

    /// Wall time of simulated time `t`, to the second, as the mail API's
    /// examples write it.
    pub(crate) fn rfc3339(self, t: f64) -> String {
        DateTime::<Utc>::from_timestamp_millis(self.wall_ms(t))
            .map(|d| d.to_rfc3339_opts(SecondsFormat::Secs, true))
            .unwrap_or_default()
    }

    /// Simulated time of a wall time in milliseconds.
    pub(crate) fn sim_of_ms(self, ms: i64) -> f64 {
        (ms - self.ms) as f64 / 1000.0
    }
}

// ---------------------------------------------------------------------------
// Accounts

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Account {
    /// The account the demo keys open.
    Demo,
    /// A second account, to prove that one account cannot see another's.
    Other,
}

impl Account {
    pub fn as_str(self) -> &'static str {
        match self {
            Account::Demo => "demo",
            Account::Other => "other",
        }
    }
}

// ---------------------------------------------------------------------------
// Newsletter issues

/// What happens to an issue, for the catalog.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum IssueFate {
    /// Sends for longer than a demo lasts.
    LongRunning,
    /// Finishes as `sent` shortly after start.
    Sent,
    /// Ends as `failed` partway.
    Failed,
    /// Ends as `cancelled` partway.
    Cancelled,
    /// Was `sent` before the simulator started.
    AlreadySent,
    /// Odd-numbered connections fail with `poll_failed`.
    Flaky,
}

impl IssueFate {
    pub fn describe(self) -> &'static str {
        match self {
            IssueFate::LongRunning => {
                "sending; outlasts a demo (ends `sent` after ~28 simulated min)"
            }
            IssueFate::Sent => "sending; ends `sent` within ~30 simulated s",
            IssueFate::Failed => "sending; ends `failed` at ~40% within ~50 simulated s",
            IssueFate::Cancelled => "sending; ends `cancelled` at ~25% within ~60 simulated s",
            IssueFate::AlreadySent => "already `sent`: one terminal event, then [DONE]",
            IssueFate::Flaky => {
                "odd-numbered connections: one event, then poll_failed and [DONE]; even ones normal"
            }
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum Stop {
    Complete,
    Fail(f64),
    Cancel(f64),
}

#[derive(Clone, Debug)]
pub(crate) struct Issue {
    pub(crate) id: &'static str,
    pub(crate) account: Account,
    pub(crate) fate: IssueFate,
    pub(crate) total: u64,
    /// Simulated time the send began (negative: before the simulator).
    start: f64,
    /// Recipients per simulated second.
    rate: f64,
    stop: Stop,
    open_share: f64,
    /// How long after delivery opens trail, in simulated seconds.
    open_lag: f64,
    bounce_share: f64,
    /// Simulated time the issue reaches its terminal state.
    end: f64,
}

/// The sending rate wobbles by ±10% with this period, so progress does not
/// look machine-made; the wobble's slope never exceeds the rate, so `sent`
/// never goes backwards.
const WOBBLE_PERIOD: f64 = 23.0;

impl Issue {
    fn new(
        id: &'static str,
        account: Account,
        fate: IssueFate,
        total: u64,
        start: f64,
        rate: f64,
        stop: Stop,
    ) -> Issue {
        let mut issue = Issue {
            id,
            account,
            fate,
            total,
            start,
            rate,
            stop,
            open_share: 0.35,
            open_lag: 240.0,
            bounce_share: 0.01,
            end: 0.0,
        };
        if total < 20_000 {
            issue.open_lag = 45.0;
        }
        let target = issue.stop_sent() as f64;
        // raw() is increasing, so bisection finds when the target is reached.
        let (mut lo, mut hi) = (0.0f64, 2.0 * target / rate + 10.0);
        for _ in 0..80 {
            let mid = (lo + hi) / 2.0;
            if issue.raw_sent(mid) >= target {
                hi = mid;
            } else {
                lo = mid;
            }
        }
        issue.end = start + hi;
        issue
    }

    fn stop_sent(&self) -> u64 {
        match self.stop {
            Stop::Complete => self.total,
            Stop::Fail(f) | Stop::Cancel(f) => (self.total as f64 * f).round() as u64,
        }
    }

    fn raw_sent(&self, u: f64) -> f64 {
        if u <= 0.0 {
            return 0.0;
        }
        let w = std::f64::consts::TAU / WOBBLE_PERIOD;
        self.rate * u + 0.1 * self.rate / w * (w * u).sin()
    }

    fn sent_at(&self, t: f64) -> u64 {
        if t >= self.end {
            return self.stop_sent();
        }
        (self.raw_sent(t - self.start).floor() as u64).min(self.stop_sent())
    }

    /// Opens trail sends: each send opens with probability `open_share`,
    /// after an exponentially distributed delay. With sends treated as
    /// uniform over the send window this integrates in closed form, and it
    /// keeps growing after the send ends, as opens do.
    fn opened_at(&self, t: f64) -> u64 {
        let duration = (self.end - self.start).max(1e-9);
        let r = self.stop_sent() as f64 / duration;
        let a = self.start;
        let b = t.min(self.end);
        if b <= a {
            return 0;
        }
        let tau = self.open_lag;
        let opened = self.open_share
            * r
            * ((b - a) - tau * ((-(t - b) / tau).exp() - (-(t - a) / tau).exp()));
        (opened.max(0.0).floor() as u64).min(self.sent_at(t))
    }

    fn bounced_at(&self, t: f64) -> u64 {
        // Bounces come back a few seconds after the send.
        (self.sent_at(t - 4.0) as f64 * self.bounce_share).floor() as u64
    }

    pub(crate) fn progress(&self, t: f64) -> SendProgress {
        let status = if t < self.end {
            SendStatus::Sending
        } else {
            match self.stop {
                Stop::Complete => SendStatus::Sent,
                Stop::Fail(_) => SendStatus::Failed,
                Stop::Cancel(_) => SendStatus::Cancelled,
            }
        };
        SendProgress {
            status,
            sent: self.sent_at(t),
            total: self.total,
            opened: self.opened_at(t),
            bounced: self.bounced_at(t),
        }
    }

    pub(crate) fn is_flaky(&self) -> bool {
        self.fate == IssueFate::Flaky
    }
}

pub(crate) fn issues() -> Vec<Issue> {
    use Account::*;
    vec![
        Issue::new(
            "iss-weekly-digest",
            Demo,
            IssueFate::LongRunning,
            250_000,
            -120.0,
            150.0,
            Stop::Complete,
        ),
        Issue::new(
            "iss-spring-sale",
            Demo,
            IssueFate::Sent,
            4_200,
            -5.0,
            150.0,
            Stop::Complete,
        ),
        Issue::new(
            "iss-partner-update",
            Demo,
            IssueFate::Failed,
            12_000,
            0.0,
            100.0,
            Stop::Fail(0.4),
        ),
        Issue::new(
            "iss-flash-sale-reminder",
            Demo,
            IssueFate::Cancelled,
            20_000,
            0.0,
            90.0,
            Stop::Cancel(0.25),
        ),
        Issue::new(
            "iss-may-newsletter",
            Demo,
            IssueFate::AlreadySent,
            8_450,
            -7_200.0,
            120.0,
            Stop::Complete,
        ),
        Issue::new(
            "iss-flaky",
            Demo,
            IssueFate::Flaky,
            30_000,
            -60.0,
            60.0,
            Stop::Complete,
        ),
        Issue::new(
            "iss-acme-quarterly",
            Other,
            IssueFate::LongRunning,
            150_000,
            -30.0,
            80.0,
            Stop::Complete,
        ),
    ]
}

// ---------------------------------------------------------------------------
// Campaigns

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CampaignFate {
    Completed,
    Failed,
    Cancelled,
}

impl CampaignFate {
    pub fn as_str(self) -> &'static str {
        match self {
            CampaignFate::Completed => "completed",
            CampaignFate::Failed => "failed",
            CampaignFate::Cancelled => "cancelled",
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Campaign {
    pub(crate) id: String,
    pub(crate) name: String,
    pub(crate) account: Account,
    pub(crate) start: f64,
    /// Simulated time it ends (completes, fails or is cancelled).
    pub(crate) end: f64,
    pub(crate) total: u64,
    pub(crate) fate: CampaignFate,
    /// Share of `total` sent when it ends.
    stop_share: f64,
    reason: Option<&'static str>,
}

const CAMPAIGN_NAMES: &[&str] = &[
    "May Newsletter",
    "Spring Sale: Last Call",
    "Product Update: Faster Checkout",
    "Webinar Invite: Deliverability 101",
    "Customer Survey 2026",
    "Weekly Digest",
    "New Arrivals: Summer Collection",
    "Win-back: We Miss You",
    "Loyalty Points Reminder",
    "Onboarding Day 3: Tips",
    "Black Friday Early Access",
    "Price Drop Alert",
];

/// Demo campaigns: two already running at start, then one about every 45
/// simulated seconds. The fourth fails and the sixth is cancelled, so both
/// endings show within the first few minutes of a demo.
const CAMPAIGN_EVERY: f64 = 45.0;
const CAMPAIGN_FAILS: u64 = 3;
const CAMPAIGN_CANCELLED: u64 = 5;
/// Longest campaign run, in simulated seconds.
const CAMPAIGN_MAX_RUN: f64 = 180.0;

pub(crate) fn demo_campaign(seed: u64, k: u64) -> Campaign {
    let mut rng = Rng::new(hash(seed, SALT_CAMPAIGN, k));
    let (start, run) = match k {
        0 => (-rng.range(85.0, 105.0), rng.range(125.0, 150.0)),
        1 => (-rng.range(20.0, 40.0), rng.range(100.0, 160.0)),
        _ => (
            CAMPAIGN_EVERY * (k - 1) as f64 + rng.range(-8.0, 8.0),
            rng.range(60.0, CAMPAIGN_MAX_RUN),
        ),
    };
    let total = (2_000 + rng.below(58_001)) / 10 * 10;
    let (fate, stop_share, reason) = match k {
        CAMPAIGN_FAILS => (
            CampaignFate::Failed,
            rng.range(0.35, 0.6),
            Some("SMTP relay rejected the sender: 535 5.7.8 authentication credentials invalid"),
        ),
        CAMPAIGN_CANCELLED => (
            CampaignFate::Cancelled,
            rng.range(0.2, 0.5),
            Some("Cancelled by maria@shop.example.com"),
        ),
        _ => (CampaignFate::Completed, 1.0, None),
    };
    let base = CAMPAIGN_NAMES[(k as usize) % CAMPAIGN_NAMES.len()];
    let name = if base == "Weekly Digest" {
        format!("{base} #{}", 214 + k / CAMPAIGN_NAMES.len() as u64)
    } else if k as usize >= CAMPAIGN_NAMES.len() {
        format!("{base} ({})", k as usize / CAMPAIGN_NAMES.len() + 1)
    } else {
        base.to_string()
    };
    Campaign {
        id: format!("cmp-{:08x}", hash(seed, SALT_CAMPAIGN_ID, k) as u32),
        name,
        account: Account::Demo,
        start,
        end: start + run,
        total,
        fate,
        stop_share,
        reason,
    }
}

pub(crate) fn other_campaign(seed: u64) -> Campaign {
    Campaign {
        id: format!(
            "cmp-{:08x}",
            hash(seed ^ 0x07be, SALT_CAMPAIGN_ID, 0) as u32
        ),
        name: "Acme Quarterly Update".into(),
        account: Account::Other,
        start: -30.0,
        end: 570.0,
        total: 15_000,
        fate: CampaignFate::Completed,
        stop_share: 1.0,
        reason: None,
    }
}

/// Demo campaigns whose lifetime touches `(a, b]`, in schedule order.
pub(crate) fn demo_campaigns_touching(seed: u64, a: f64, b: f64) -> Vec<Campaign> {
    let first = ((a - CAMPAIGN_MAX_RUN - 8.0) / CAMPAIGN_EVERY)
        .floor()
        .max(0.0) as u64;
    let last = ((b + 8.0) / CAMPAIGN_EVERY).ceil().max(0.0) as u64 + 2;
    (first..=last)
        .map(|k| demo_campaign(seed, k))
        .filter(|c| c.end > a && c.start <= b)
        .collect()
}

/// Campaign numbers at a moment.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct CampaignNumbers {
    pub(crate) sent: u64,
    pub(crate) delivered: u64,
    pub(crate) bounced: u64,
    pub(crate) opened: u64,
}

impl Campaign {
    fn sent_at(&self, t: f64) -> u64 {
        let run = (self.end - self.start).max(1e-9);
        let u = ((t - self.start) / run).clamp(0.0, 1.0);
        (self.total as f64 * self.stop_share * u).floor() as u64
    }

    pub(crate) fn numbers(&self, t: f64) -> CampaignNumbers {
        let t = t.min(self.end);
        let sent = self.sent_at(t);
        let bounced = (self.sent_at(t - 4.0) as f64 * 0.012).floor() as u64;
        let delivered = ((self.sent_at(t - 2.0) as f64 * 0.985).floor() as u64)
            .min(sent.saturating_sub(bounced));
        // Opens trail delivery by ~90 s; a simple lag keeps this monotone.
        let opened = (self.sent_at(t - 90.0) as f64 * 0.24 + self.sent_at(t - 20.0) as f64 * 0.04)
            .floor() as u64;
        CampaignNumbers {
            sent,
            delivered,
            bounced,
            opened: opened.min(delivered),
        }
    }

    pub(crate) fn update(&self, t: f64) -> CampaignUpdate {
        let kind = if t < self.end {
            CampaignUpdateKind::Progress
        } else {
            match self.fate {
                CampaignFate::Completed => CampaignUpdateKind::Completed,
                CampaignFate::Failed => CampaignUpdateKind::Failed,
                CampaignFate::Cancelled => CampaignUpdateKind::Cancelled,
            }
        };
        let n = self.numbers(t);
        CampaignUpdate {
            kind,
            campaign_id: self.id.clone(),
            sent: n.sent,
            total: Some(self.total),
            delivered: n.delivered,
            bounced: n.bounced,
            opened: n.opened,
            reason: if kind.is_terminal() {
                self.reason.map(str::to_string)
            } else {
                None
            },
            extra: Map::new(),
        }
    }

    fn started_event(&self, epoch: Epoch) -> InboxEvent {
        InboxEvent::CampaignStarted(InboxCampaign {
            campaign_id: self.id.clone(),
            campaign_name: self.name.clone(),
            total: Some(self.total),
            started_at: Some(epoch.rfc3339(self.start)),
            ..InboxCampaign::default()
        })
    }

    fn completed_event(&self, epoch: Epoch) -> InboxEvent {
        let n = self.numbers(self.end);
        InboxEvent::CampaignCompleted(InboxCampaign {
            campaign_id: self.id.clone(),
            campaign_name: self.name.clone(),
            total: Some(self.total),
            sent: Some(n.sent),
            delivered: Some(n.delivered),
            opened: Some(n.opened),
            started_at: Some(epoch.rfc3339(self.start)),
            completed_at: Some(epoch.rfc3339(self.end)),
            ..InboxCampaign::default()
        })
    }
}

// ---------------------------------------------------------------------------
// People, mail and text

const FIRST_NAMES: &[&str] = &[
    "Alice",
    "Bruno",
    "Chen",
    "Daniela",
    "Emeka",
    "Fatima",
    "Gustav",
    "Hana",
    "Ivan",
    "Jasmine",
    "Kofi",
    "Laura",
    "Mateo",
    "Nadia",
    "Oliver",
    "Priya",
    "Quentin",
    "Rosa",
    "Sven",
    "Tomoko",
    "Umar",
    "Valentina",
    "William",
    "Ximena",
    "Yusuf",
    "Zoe",
    "Aarav",
    "Beatriz",
    "Carlos",
    "Dmitri",
    "Elena",
    "Farah",
    "Giulia",
    "Hiroshi",
    "Ingrid",
    "Jamal",
    "Katarzyna",
    "Liam",
    "Mei",
    "Noah",
    "Olga",
    "Pedro",
    "Rahul",
    "Sofia",
    "Thabo",
    "Ana",
    "Ben",
    "Chloe",
    "David",
    "Emma",
    "Felix",
    "Grace",
    "Hugo",
    "Isla",
    "Jack",
    "Kai",
    "Lena",
    "Marco",
    "Nora",
    "Oscar",
];

const LAST_NAMES: &[&str] = &[
    "Smith",
    "Garcia",
    "Chen",
    "Muller",
    "Okafor",
    "Rossi",
    "Nakamura",
    "Kowalski",
    "Silva",
    "Johansson",
    "Patel",
    "Dubois",
    "Nguyen",
    "Ivanova",
    "Hernandez",
    "Kim",
    "Brown",
    "Novak",
    "Costa",
    "Schmidt",
    "Haddad",
    "Tanaka",
    "Jensen",
    "Lopez",
    "Murphy",
    "Fischer",
    "Singh",
    "Moreau",
    "Yilmaz",
    "Andersen",
    "Martin",
    "Wilson",
    "Bianchi",
    "Sato",
    "Cohen",
    "Mensah",
    "Ferreira",
    "Larsen",
    "Walker",
    "Kaur",
    "Petrov",
    "Romero",
    "OConnor",
    "Lindqvist",
    "Abe",
];

const PROVIDERS: &[&str] = &[
    "gmail.com",
    "gmail.com",
    "gmail.com",
    "outlook.com",
    "hotmail.com",
    "yahoo.com",
    "icloud.com",
    "proton.me",
    "gmx.de",
    "web.de",
    "orange.fr",
    "btinternet.com",
    "comcast.net",
    "fastmail.com",
    "libero.it",
    "northwind-traders.com",
    "contoso.org",
];

/// Appends a realistic address to `out`, varying the local-part style, and
/// returns the person's first and last name.
fn address_into(rng: &mut Rng, out: &mut String) -> (&'static str, &'static str) {
    let first = *rng.pick(FIRST_NAMES);
    let last = *rng.pick(LAST_NAMES);
    let provider = *rng.pick(PROVIDERS);
    let style = rng.below(6);
    let lower = |out: &mut String, s: &str| out.extend(s.chars().map(|c| c.to_ascii_lowercase()));
    match style {
        0 | 1 | 3 | 5 => {
            lower(out, first);
            out.push(if style == 3 { '_' } else { '.' });
            lower(out, last);
            if style == 5 {
                out.push_str("+news");
            }
        }
        2 => {
            lower(out, &first[..1]);
            lower(out, last);
        }
        _ => {
            lower(out, first);
            lower(out, last);
            let _ = write!(out, "{}", 70 + rng.below(35));
        }
    }
    out.push('@');
    out.push_str(provider);
    (first, last)
}

/// A person's name and address.
fn address(rng: &mut Rng) -> (String, String) {
    let mut email = String::new();
    let (first, last) = address_into(rng, &mut email);
    (format!("{first} {last}"), email)
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

/// The kind of mail a message is; its sender, subjects, tags and links go
/// together.
struct Category {
    sender: &'static str,
    subjects: &'static [&'static str],
    tags: &'static [&'static [&'static str]],
    links: &'static [&'static str],
}

const CATEGORIES: &[Category] = &[
    Category {
        sender: "newsletter",
        subjects: &[
            "Your weekly digest: 5 stories worth your time",
            "This week at Example Shop",
            "New arrivals you'll love",
            "The May edition is here",
            "3 tips to get more from your account",
        ],
        tags: &[
            &["newsletter", "weekly"],
            &["newsletter", "monthly"],
            &["newsletter", "product-updates"],
        ],
        links: &[
            "/collections/new-arrivals?utm_source=newsletter&utm_medium=email&utm_campaign=weekly",
            "/blog/how-we-source-our-cotton?utm_source=newsletter&utm_medium=email",
            "/account/preferences?utm_source=newsletter",
        ],
    },
    Category {
        sender: "orders",
        subjects: &[
            "Your order #{order} has shipped",
            "Order #{order} confirmed",
            "Your receipt from Example Shop (#{order})",
            "Your package is out for delivery",
            "Refund processed for order #{order}",
        ],
        tags: &[
            &["transactional", "order"],
            &["transactional", "shipping"],
            &["transactional", "receipt"],
        ],
        links: &[
            "/account/orders/{order}",
            "/track?order={order}&carrier=dhl",
        ],
    },
    Category {
        sender: "noreply",
        subjects: &[
            "Reset your password",
            "Confirm your email address",
            "New sign-in from Chrome on Windows",
            "Your verification code",
        ],
        tags: &[&["account", "security"], &["account", "onboarding"]],
        links: &["/account/reset?token=redacted", "/account/verify"],
    },
    Category {
        sender: "marketing",
        subjects: &[
            "Spring Sale: 30% off everything",
            "Last chance: free shipping ends tonight",
            "You left something in your cart",
            "A gift for you: 15% off your next order",
            "We miss you, here's 20% off",
        ],
        tags: &[
            &["promo", "spring-sale"],
            &["promo", "cart-recovery"],
            &["promo", "win-back"],
        ],
        links: &[
            "/sale?utm_source=email&utm_campaign=spring-sale",
            "/cart?utm_source=email&utm_campaign=cart-recovery",
        ],
    },
];
const CATEGORY_WEIGHTS: &[u32] = &[45, 30, 10, 15];

const USER_AGENTS: &[&str] = &[
    "Mozilla/5.0 (Windows NT 5.1; rv:11.0) Gecko Firefox/11.0 (via ggpht.com GoogleImageProxy)",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko)",
    "Microsoft Office/16.0 (Windows NT 10.0; Microsoft Outlook 16.0.17531; Pro)",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36",
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.6367.82 Mobile Safari/537.36",
    "Mozilla/5.0 (X11; Linux x86_64; rv:115.0) Gecko/20100101 Thunderbird/115.10.1",
    "YahooMailProxy; https://help.yahoo.com/kb/yahoo-mail-proxy-SLN28749.html",
];

const BOUNCE_RESPONSES: &[&str] = &[
    "550 5.1.1 The email account that you tried to reach does not exist",
    "550 5.1.1 <{rcpt}>: Recipient address rejected: User unknown in virtual mailbox table",
    "552 5.2.2 Mailbox full: user is over quota",
    "550 5.7.1 Message rejected due to content restrictions",
    "554 5.7.1 Service unavailable; Client host [192.0.2.14] blocked using zen.spamhaus.org",
];
const DEFER_RESPONSES: &[&str] = &[
    "421 4.7.0 Try again later, closing connection.",
    "451 4.7.1 Greylisted, please try again in 300 seconds",
    "452 4.2.2 The email account that you tried to reach is over quota",
    "421 4.7.28 Unusual rate of unsolicited mail from your IP; try again later",
];
const PERMANENT_RESPONSES: &[&str] = &[
    "550 5.4.1 Recipient address rejected: Access denied",
    "554 5.7.9 Message not accepted for policy reasons",
    "550 5.7.26 Unauthenticated email is not accepted from this domain",
];
const FAILED_RESPONSES: &[&str] = &[
    "Connection timed out after 30s (mx1.contoso.org:25)",
    "DNS lookup failed for recipient domain: NXDOMAIN",
    "TLS handshake failed: certificate expired",
];

// ---------------------------------------------------------------------------
// Inbox traffic

const INBOX_SUBJECTS: &[&str] = &[
    "Re: Order #{order}: wrong size",
    "Question about shipping to Canada",
    "Invoice INV-2026-0{order}",
    "Partnership inquiry",
    "Re: Your weekly digest",
    "Automatic reply: Spring Sale: 30% off everything",
    "Out of office until Monday",
    "Re: Refund processed for order #{order}",
    "Can I change my delivery address?",
    "Feedback on the new checkout",
    "Grüße aus München: Frage zur Bestellung",
    "Re: Webinar recording?",
    "Wholesale pricing for 200 units",
    "注文の確認について",
];
const INBOX_TO: &[&str] = &[
    "support@shop.example.com",
    "hello@shop.example.com",
    "orders@shop.example.com",
    "newsletter@shop.example.com",
];
const INBOX_BOUNCES: &[&str] = &[
    "550 5.1.1 User unknown",
    "552 5.2.2 Mailbox full",
    "550 5.7.1 Blocked by recipient policy",
    "554 5.7.1 Message rejected as spam",
    "550 5.1.2 Host unknown: domain does not exist",
];
const INBOX_COMPLAINTS: &[&str] = &[
    "Marked as spam (Yahoo FBL)",
    "Marked as spam (Outlook JMRP)",
    "abuse report via ARF",
];
const INBOX_UNSUBSCRIBES: &[&str] = &[
    "List-Unsubscribe one-click",
    "Preference center: all marketing",
    "Replied STOP",
    "Too many emails",
];

/// Probability, per simulated second, of a contact or mail event: about one
/// every 1.5 simulated seconds.
const INBOX_CHANCE: f64 = 0.65;

fn inbox_random_event(
    seed: u64,
    account: Account,
    slot: i64,
    epoch: Epoch,
) -> Option<(f64, InboxEvent)> {
    let salt = SALT_INBOX ^ (account as u64) << 32;
    let mut rng = Rng::new(hash(seed, salt, slot as u64));
    if rng.unit() >= INBOX_CHANCE {
        return None;
    }
    let t = slot as f64 + rng.range(0.02, 0.98);
    let at = Some(epoch.rfc3339(t));
    let (name, email) = address(&mut rng);
    let order = 40_000 + rng.below(9_000);
    let event = match rng.weighted(&[52, 21, 8, 19]) {
        0 => {
            let mut extra = Map::new();
            extra.insert("fromName".into(), Value::String(name));
            InboxEvent::EmailReceived(InboxMail {
                from: email,
                to: Some((*rng.pick(INBOX_TO)).to_string()),
                subject: rng
                    .pick(INBOX_SUBJECTS)
                    .replace("{order}", &order.to_string()),
                received_at: at,
                extra,
            })
        }
        kind => {
            // Contact events usually come from a running campaign.
            let running: Vec<Campaign> = match account {
                Account::Demo => demo_campaigns_touching(seed, t - 1.0, t)
                    .into_iter()
                    .filter(|c| c.start <= t && t < c.end + 60.0)
                    .collect(),
                Account::Other => vec![other_campaign(seed)],
            };
            let campaign = (!running.is_empty() && rng.below(10) < 8)
                .then(|| running[rng.below(running.len() as u64) as usize].clone());
            let contact = InboxContact {
                email,
                reason: Some(
                    (*rng.pick(match kind {
                        1 => INBOX_BOUNCES,
                        2 => INBOX_COMPLAINTS,
                        _ => INBOX_UNSUBSCRIBES,
                    }))
                    .to_string(),
                ),
                campaign_id: campaign.as_ref().map(|c| c.id.clone()),
                campaign_name: campaign.map(|c| c.name),
                at,
                extra: Map::new(),
            };
            match kind {
                1 => InboxEvent::Bounce(contact),
                2 => InboxEvent::Complaint(contact),
                _ => InboxEvent::Unsubscribe(contact),
            }
        }
    };
    Some((t, event))
}

/// Inbox events of `account` that happen in `(a, b]` simulated time, in
/// order.
pub(crate) fn inbox_events(
    seed: u64,
    account: Account,
    epoch: Epoch,
    a: f64,
    b: f64,
) -> Vec<(f64, InboxEvent)> {
    let mut out = Vec::new();
    if b <= a {
        return out;
    }
    for slot in a.floor() as i64..=b.floor() as i64 {
        if let Some((t, e)) = inbox_random_event(seed, account, slot, epoch)
            && t > a
            && t <= b
        {
            out.push((t, e));
        }
    }
    let campaigns = match account {
        Account::Demo => demo_campaigns_touching(seed, a, b),
        Account::Other => vec![other_campaign(seed)],
    };
    for c in campaigns {
        if c.start > a && c.start <= b {
            out.push((c.start, c.started_event(epoch)));
        }
        if c.fate == CampaignFate::Completed && c.end > a && c.end <= b {
            out.push((c.end, c.completed_event(epoch)));
        }
    }
    out.sort_by(|x, y| x.0.total_cmp(&y.0));
    out
}

// ---------------------------------------------------------------------------
// Domain logs

/// How a domain's stream behaves besides sending its records.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DomainBehavior {
    Normal,
    /// 429 twice, then served.
    RateLimited,
    /// 500 on the first request.
    FailsFirst,
    /// 200 with SSE headers, then not a byte.
    Stalled,
    /// The fixed stream of [`super::hostile`]: hostile text, broken
    /// records, a batch that is not JSON and an event over the cap.
    Hostile,
}

#[derive(Clone, Debug)]
pub(crate) struct DomainSpec {
    pub(crate) name: &'static str,
    /// Record ids are `{prefix}-{index:08}`.
    prefix: &'static str,
    pub(crate) account: Account,
    pub(crate) behavior: DomainBehavior,
    /// Records before the simulator started.
    pub(crate) backlog: u64,
    /// The backlog spreads evenly over this many simulated seconds before
    /// start.
    span: f64,
    /// A live domain logs one record about every this many simulated
    /// seconds after start.
    pub(crate) live_every: Option<f64>,
    salt: u64,
}

pub(crate) fn domains() -> Vec<DomainSpec> {
    let d = |name, prefix, account, behavior, backlog, span, live_every, salt| DomainSpec {
        name,
        prefix,
        account,
        behavior,
        backlog,
        span,
        live_every,
        salt,
    };
    use Account::*;
    use DomainBehavior::*;
    vec![
        d(
            "shop.example.com",
            "shop",
            Demo,
            Normal,
            20_000,
            86_400.0,
            Some(0.2),
            1,
        ),
        d(
            "bulk.example.com",
            "bulk",
            Demo,
            Normal,
            500_000,
            259_200.0,
            None,
            2,
        ),
        d(
            "limited.example.com",
            "limited",
            Demo,
            RateLimited,
            300,
            86_400.0,
            Some(2.0),
            3,
        ),
        d(
            "flaky.example.com",
            "flaky",
            Demo,
            FailsFirst,
            2_000,
            172_800.0,
            None,
            4,
        ),
        d(
            "stalled.example.com",
            "stalled",
            Demo,
            Stalled,
            0,
            86_400.0,
            None,
            5,
        ),
        d(
            "other.example.org",
            "other",
            Other,
            Normal,
            1_000,
            86_400.0,
            None,
            6,
        ),
        // Its records come from `hostile::log_events`, not from `fill`; the
        // backlog is how many of them are valid.
        d(
            super::hostile::DOMAIN,
            "hostile",
            Demo,
            Hostile,
            18,
            3_600.0,
            None,
            7,
        ),
    ]
}

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

impl DomainSpec {
    pub(crate) fn is_live(&self) -> bool {
        self.live_every.is_some()
    }

    /// Simulated time of record `i`. Each record sits at a jittered point in
    /// its own slot, so times ascend with the index.
    fn record_t(&self, seed: u64, i: u64) -> f64 {
        let jitter = 0.05 + 0.9 * Rng::new(hash(seed, SALT_TIME ^ self.salt, i)).unit();
        if i < self.backlog {
            -self.span + (i as f64 + jitter) * (self.span / self.backlog as f64)
        } else {
            let every = self.live_every.unwrap_or(f64::INFINITY);
            ((i - self.backlog) as f64 + jitter) * every
        }
    }

    /// Wall time of record `i`, in milliseconds. Never on a whole second, so
    /// every timestamp shows its milliseconds.
    pub(crate) fn record_ms(&self, seed: u64, epoch: Epoch, i: u64) -> i64 {
        let ms = epoch.wall_ms(self.record_t(seed, i));
        if ms.rem_euclid(1000) == 0 {
            ms.saturating_add(1)
        } else {
            ms
        }
    }

    /// How many records exist at simulated time `t`: indices `0..n`.
    pub(crate) fn available(&self, seed: u64, t: f64) -> u64 {
        let Some(every) = self.live_every else {
            return self.backlog;
        };
        if t <= 0.0 {
            return self.backlog;
        }
        // Live record j lies in [j*every, (j+1)*every): only the last slot is
        // in doubt.
        let j = (t / every).floor() as u64;
        let live = if self.record_t(seed, self.backlog + j) <= t {
            j + 1
        } else {
            j
        };
        self.backlog + live
    }

    /// The first index in `0..n` whose wall time is at or after `ms` (or `n`).
    pub(crate) fn first_at_or_after(&self, seed: u64, epoch: Epoch, ms: i64, n: u64) -> u64 {
        let (mut lo, mut hi) = (0u64, n);
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            if self.record_ms(seed, epoch, mid) < ms {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        lo
    }

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
        let event_type = EVENT_TYPES[rng.weighted(EVENT_WEIGHTS)];
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

fn delivered_response(out: &mut String, recipient: &str, h: u64) {
    let provider = recipient.rsplit('@').next().unwrap_or_default();
    let _ = match provider {
        "gmail.com" => write!(
            out,
            "250 2.0.0 OK {} {:x} - gsmtp",
            1_716_000_000 + h % 1_000_000,
            h >> 36
        ),
        "outlook.com" | "hotmail.com" => write!(out, "250 2.6.0 Queued mail for delivery"),
        "yahoo.com" => write!(out, "250 ok dirdel"),
        _ => write!(out, "250 2.0.0 Ok: queued as {:010X}", h >> 24),
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    fn epoch() -> Epoch {
        Epoch {
            ms: 1_780_000_000_000,
        }
    }

    #[test]
    fn issues_reach_their_fates_when_promised() {
        let all = issues();
        let by = |id: &str| all.iter().find(|i| i.id == id).unwrap().clone();
        assert_eq!(
            by("iss-spring-sale").progress(30.0).status,
            SendStatus::Sent
        );
        assert_eq!(
            by("iss-spring-sale").progress(0.0).status,
            SendStatus::Sending
        );
        let failed = by("iss-partner-update").progress(60.0);
        assert_eq!(failed.status, SendStatus::Failed);
        assert_eq!(failed.sent, 4_800);
        let cancelled = by("iss-flash-sale-reminder").progress(60.0);
        assert_eq!(cancelled.status, SendStatus::Cancelled);
        assert_eq!(cancelled.sent, 5_000);
        assert_eq!(
            by("iss-may-newsletter").progress(0.0).status,
            SendStatus::Sent
        );
        let digest = by("iss-weekly-digest");
        assert_eq!(digest.progress(900.0).status, SendStatus::Sending);
        let late = digest.progress(100_000.0);
        assert_eq!(late.status, SendStatus::Sent);
        assert!((0.33..0.36).contains(&(late.opened as f64 / late.total as f64)));
        assert!((0.009..0.011).contains(&(late.bounced as f64 / late.total as f64)));
    }

    #[test]
    fn issue_numbers_never_go_backwards() {
        for issue in issues() {
            let mut prev = issue.progress(-10.0);
            for step in 0..4000 {
                let p = issue.progress(step as f64 * 0.5);
                assert!(p.sent >= prev.sent, "{} sent went back", issue.id);
                assert!(p.opened >= prev.opened, "{} opened went back", issue.id);
                assert!(p.bounced >= prev.bounced, "{} bounced went back", issue.id);
                assert!(p.sent <= p.total && p.opened <= p.sent);
                prev = p;
            }
        }
    }

    #[test]
    fn campaign_schedule_has_two_running_and_one_of_each_ending() {
        let cs: Vec<Campaign> = (0..12).map(|k| demo_campaign(1, k)).collect();
        assert!(cs[0].start < 0.0 && cs[0].end > 0.0);
        assert!(cs[1].start < 0.0 && cs[1].end > 0.0);
        for c in &cs[2..] {
            assert!(c.start > 0.0);
            let run = c.end - c.start;
            assert!((60.0..=180.0).contains(&run), "{run}");
            assert!((2_000..=60_000).contains(&c.total));
        }
        let fates: Vec<CampaignFate> = cs.iter().map(|c| c.fate).collect();
        assert_eq!(
            fates.iter().filter(|f| **f == CampaignFate::Failed).count(),
            1
        );
        assert_eq!(
            fates
                .iter()
                .filter(|f| **f == CampaignFate::Cancelled)
                .count(),
            1
        );
        let ids: std::collections::HashSet<_> = cs.iter().map(|c| c.id.clone()).collect();
        assert_eq!(ids.len(), cs.len());
        let done = cs[0].update(cs[0].end);
        assert_eq!(done.kind, CampaignUpdateKind::Completed);
        assert_eq!(done.sent, cs[0].total);
    }

    #[test]
    fn inbox_flow_is_steady_and_covers_every_type() {
        let events = inbox_events(1, Account::Demo, epoch(), 0.0, 600.0);
        let per_second = events.len() as f64 / 600.0;
        assert!((0.5..1.0).contains(&per_second), "{per_second}");
        let mut names: Vec<&str> = events.iter().map(|(_, e)| e.type_name()).collect();
        names.sort();
        names.dedup();
        assert_eq!(names.len(), 6, "{names:?}");
        assert!(events.windows(2).all(|w| w[0].0 <= w[1].0));
        // Failed and cancelled campaigns end on their own channel only.
        for (_, e) in &events {
            if let InboxEvent::CampaignCompleted(c) = e {
                let k = (0..20)
                    .find(|k| demo_campaign(1, *k).id == c.campaign_id)
                    .unwrap();
                assert_eq!(demo_campaign(1, k).fate, CampaignFate::Completed);
            }
        }
        let completed = events
            .iter()
            .filter(|(_, e)| matches!(e, InboxEvent::CampaignCompleted(_)))
            .count();
        let started = events
            .iter()
            .filter(|(_, e)| matches!(e, InboxEvent::CampaignStarted(_)))
            .count();
        assert!(completed >= 8 && started >= 10, "{completed} {started}");
        // Splitting the window changes nothing.
        let mut halves = inbox_events(1, Account::Demo, epoch(), 0.0, 250.5);
        halves.extend(inbox_events(1, Account::Demo, epoch(), 250.5, 600.0));
        assert_eq!(halves, events);
    }

    #[test]
    fn records_are_deterministic_ascending_and_realistic() {
        let shop = &domains()[0];
        let a: Vec<LogRecord> = (0..2000).map(|i| shop.record(7, epoch(), i)).collect();
        let b: Vec<LogRecord> = (0..2000).map(|i| shop.record(7, epoch(), i)).collect();
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
        let c = shop.record(8, epoch(), 5);
        assert_ne!(c, a[5], "another seed gives other records");
    }

    #[test]
    fn availability_and_time_search_agree_with_record_times() {
        let shop = &domains()[0];
        assert_eq!(shop.available(1, 0.0), 20_000);
        let n = shop.available(1, 10.0);
        assert!((20_045..=20_055).contains(&n), "{n}");
        assert!(shop.record_t(1, n - 1) <= 10.0 && shop.record_t(1, n) > 10.0);
        let ms = epoch().wall_ms(-3600.0);
        let i = shop.first_at_or_after(1, epoch(), ms, 20_000);
        assert!(shop.record_ms(1, epoch(), i) >= ms);
        assert!(shop.record_ms(1, epoch(), i - 1) < ms);
    }
}
