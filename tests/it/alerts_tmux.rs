//! Send health in a real terminal (issue 19): the demo's sends trip
//! alerts within its first minute; the status bar counts them, `!` lists
//! them, and Enter on one goes to its subject.
//!
//! `.ci/run` installs tmux; without it this test fails and says so.

use crate::support::tmux::{Tmux, dashboard};

/// What the list calls each rule (`AlertKind::describe`).
const RULES: [&str; 8] = [
    "bounce rate",
    "complaint rate",
    "complaints",
    "no progress while sending",
    "send failed",
    "send cancelled",
    "bounced+failed in the window",
    "stream down",
];

/// The domain the demo's records bounce on.
const BOUNCING: &str = "bounces.example.com";

/// The status bar's count: `▲ N alerts`.
fn alert_count(screen: &str) -> usize {
    screen
        .lines()
        .filter_map(|l| l.split("▲ ").nth(1))
        .filter_map(|rest| rest.strip_suffix_alerts())
        .max()
        .unwrap_or(0)
}

trait CountWord {
    fn strip_suffix_alerts(&self) -> Option<usize>;
}

impl CountWord for str {
    /// `3 alerts · ! list…` → 3.
    fn strip_suffix_alerts(&self) -> Option<usize> {
        let (n, rest) = self.split_once(' ')?;
        (rest.starts_with("alert")).then_some(())?;
        n.parse().ok()
    }
}

/// The alert rows inside the list's box: the text between its borders of
/// the lines that start with a time (`▸ 09:59:55  …` or `  09:59:55  …`).
fn list_rows(screen: &str) -> Vec<String> {
    screen
        .lines()
        .filter_map(|l| {
            let inner = l.split('║').nth(1)?;
            let time = inner.get(2..10).or_else(|| {
                // `▸` is three bytes.
                inner.strip_prefix("▸ ").and_then(|r| r.get(..8))
            })?;
            let b = time.as_bytes();
            (b.len() == 8 && b[2] == b':' && b[5] == b':' && b[0].is_ascii_digit())
                .then(|| inner.to_string())
        })
        .collect()
}

fn rules_listed(rows: &[String]) -> Vec<&'static str> {
    RULES
        .into_iter()
        .filter(|rule| rows.iter().any(|r| r.contains(&format!("  {rule}  "))))
        .collect()
}

#[test]
fn the_demo_raises_alerts_that_the_list_names_and_enter_goes_to() {
    let tmux = Tmux::start("alerts", 120, 40, &dashboard("", ""));
    tmux.wait_for("the demo", |s| {
        s.contains("DEMO") && s.contains("issue iss-")
    });
    let screen = tmux.wait_for("three alerts counted in the status bar", |s| {
        alert_count(s) >= 3
    });
    assert!(screen.contains("· ! list"), "{screen}");

    // From the live feed, so that going to the domain is seen to move.
    tmux.keys(&["2", "!"]);
    let screen = tmux.wait_for("three rules and the bouncing domain listed", |s| {
        let rows = list_rows(s);
        rules_listed(&rows).len() >= 3 && rows.iter().any(|r| r.contains(BOUNCING))
    });
    assert!(screen.contains("Alerts ·"), "{screen}");

    // Down to the domain's alert. New alerts go on top without moving the
    // selection off the alert it is on, so its place is counted once.
    let at = list_rows(&screen)
        .iter()
        .position(|r| r.contains(BOUNCING))
        .expect("listed");
    for _ in 0..at {
        tmux.keys(&["j"]);
    }
    tmux.wait_for("the domain's alert selected", |s| {
        list_rows(s)
            .iter()
            .any(|r| r.starts_with('▸') && r.contains(BOUNCING))
    });
    tmux.keys(&["Enter"]);
    let screen = tmux.wait_for("the domain's tab in the focused logs pane", |s| {
        !s.contains("Alerts ·") && s.contains(&format!("▶ 3 Domain logs · {BOUNCING} ▲ bounces"))
    });
    assert!(alert_count(&screen) >= 3, "{screen}");
    tmux.keys(&["q"]);
}
