//! The real binary in a real terminal (tmux), as a person uses it: the demo
//! starts against the in-process simulator, keys move focus, filter, open
//! a record and quit, and the terminal is handed back in a sane state.
//!
//! `.ci/run` installs tmux; without it this test fails and says so.

use crate::support::TempDir;
use crate::support::tmux::{Tmux, dashboard, report_exit_and_modes};

/// The rows of the log table: lines of the focused (heavy-bordered) logs
/// pane that start with a time.
fn log_rows(screen: &str) -> Vec<&str> {
    screen
        .lines()
        .filter_map(|l| l.split('┃').nth(1))
        .filter(|row| {
            // `13:02:55 …`, or `12-06 13:02:55 …` with the date.
            let b = row.as_bytes();
            let time = |b: &[u8]| b.len() > 8 && b[2] == b':' && b[5] == b':';
            b.first().is_some_and(u8::is_ascii_digit)
                && (time(b) || (b.len() > 14 && b[2] == b'-' && time(&b[6..])))
        })
        .collect()
}

#[test]
fn the_demo_answers_keys_and_gives_the_terminal_back() {
    // No keys and no config: the demo. After quitting, the shell reports the
    // exit code and the terminal mode the program left behind.
    let command = format!("{}; {}", dashboard("", ""), report_exit_and_modes(""));
    let tmux = Tmux::start("e2e", 120, 40, &command);
    let screen = tmux.wait_for("the demo with sends, feed and logs", |s| {
        s.contains("DEMO") && s.contains("issue iss-") && s.contains("Live feed") && log_rows_any(s)
    });
    assert!(screen.contains("Domain logs"));

    // Focus the logs pane.
    tmux.keys(&["3"]);
    tmux.wait_for("the logs pane focused", |s| s.contains("▶ 3 Domain logs"));

    // Filter as you type, then Enter re-asks the server.
    tmux.keys(&["/"]);
    tmux.type_text("type:bounced");
    tmux.keys(&["Enter"]);
    let screen = tmux.wait_for("only bounced records", |s| {
        let rows = log_rows(s);
        !rows.is_empty()
            && rows.iter().all(|r| r.contains("bounced"))
            && !s.contains("/ type:bounced")
    });
    assert!(screen.contains("match"), "{screen}");

    // A bad term is explained, not fatal.
    tmux.keys(&["/"]);
    tmux.type_text(" frm:x");
    tmux.wait_for("the bad term explained", |s| s.contains("frm"));
    tmux.keys(&["Escape"]);
    // Enter only once Escape has landed: a program slowed by a busy machine
    // reads Escape and Enter sent together as one key, Alt+Enter.
    tmux.wait_for("the filter bar closed", |s| {
        !s.contains("/ type:bounced") && !log_rows(s).is_empty()
    });

    // Enter opens the record's detail view with every field.
    tmux.keys(&["Enter"]);
    tmux.wait_for("the detail view", |s| {
        s.contains("Record ·") && s.contains("message_id") && s.contains("event_type")
    });
    tmux.keys(&["Escape"]);
    tmux.wait_for("the detail view closed", |s| !s.contains("Record ·"));

    // The help overlay lists the bindings.
    tmux.keys(&["?"]);
    tmux.wait_for("the help overlay", |s| {
        s.contains("Help: keys") && s.contains("quit")
    });
    tmux.keys(&["?"]);

    tmux.keys(&["q"]);
    let screen = tmux.wait_for("the program to exit", |s| s.contains("EXITED="));
    assert!(screen.contains("EXITED=0"), "{screen}");
    // Raw mode is off again: canonical input and echo are back.
    assert!(
        screen.contains("icanon echo") || screen.contains("echo icanon"),
        "{screen}"
    );
    // The alternate screen is gone: nothing of the dashboard is left.
    assert!(!screen.contains("Domain logs"), "{screen}");
}

fn log_rows_any(screen: &str) -> bool {
    screen
        .lines()
        .any(|l| l.contains(':') && (l.contains("delivered") || l.contains("queued")))
}

/// Issue 16: started at 80x24, resized to 100x30, `q` left about a dozen
/// dashboard lines above the shell prompt (tmux 3.3 brings lines drawn
/// after the resize back onto the main screen). The screen is cleared
/// before it is handed back, so nothing of the dashboard can remain.
#[test]
fn quitting_after_a_resize_leaves_nothing_of_the_dashboard() {
    let command = format!("clear; {}; echo EXITED=$?; sleep 30", dashboard("", ""));
    for attempt in 0..3 {
        let tmux = Tmux::start(&format!("resize{attempt}"), 80, 24, &command);
        tmux.wait_for("the demo", |s| {
            s.contains("DEMO") && s.contains("issue iss-")
        });
        tmux.tmux(&["resize-window", "-x", "100", "-y", "30"]);
        tmux.wait_for("the dashboard redrawn at 100 columns", |s| {
            s.lines().next().is_some_and(|l| l.chars().count() >= 100)
        });
        tmux.keys(&["q"]);
        let screen = tmux.wait_for("the program to exit", |s| s.contains("EXITED="));
        assert!(screen.contains("EXITED=0"), "{screen}");
        let left: Vec<&str> = screen
            .lines()
            .filter(|l| !l.trim().is_empty() && !l.contains("EXITED="))
            .collect();
        assert!(
            left.is_empty(),
            "attempt {attempt}: left on screen: {left:#?}"
        );
    }
}

/// Issue 16: filters applied in one run are there for ↑ in the next (kept
/// in the state directory).
#[test]
fn filters_applied_in_one_run_are_offered_in_the_next() {
    let state = TempDir::new("history");
    let own_state = format!("XDG_STATE_HOME={}", state.path().display());
    let command = format!("{}; echo EXITED=$?; sleep 30", dashboard(&own_state, ""));
    let first = Tmux::start("history1", 120, 40, &command);
    first.wait_for("the demo", |s| s.contains("DEMO") && log_rows_any(s));
    first.keys(&["3", "/"]);
    first.type_text("type:deferred");
    first.keys(&["Enter"]);
    first.wait_for("the filter applied", |s| {
        s.contains("filter: type:deferred")
    });
    first.keys(&["q"]);
    first.wait_for("the first run to end", |s| s.contains("EXITED=0"));

    let second = Tmux::start("history2", 120, 40, &command);
    second.wait_for("the demo again", |s| s.contains("DEMO") && log_rows_any(s));
    second.keys(&["3", "/", "Up"]);
    second.wait_for("the last run's filter offered", |s| {
        s.contains("/ type:deferred")
    });
    second.keys(&["Escape", "q"]);
    second.wait_for("the second run to end", |s| s.contains("EXITED=0"));
}

/// The bucket size under the histogram's count: `/1m`, `/30s`…
fn bucket_size(screen: &str) -> Option<String> {
    screen.lines().find_map(|line| {
        let cell = line.split('┃').nth(1)?;
        let word = cell.split_whitespace().next()?;
        (word.starts_with('/') && word.len() <= 4).then(|| word.to_string())
    })
}

/// `i` on the demo's shop.example.com: the strip appears over the table
/// with its legend and a bucket size, `-` makes the buckets smaller, `{`
/// moves the table back a bucket (leaving follow), `i` hides it again.
#[test]
fn the_histogram_strip_in_the_demo() {
    let tmux = Tmux::start(
        "histogram",
        120,
        40,
        &format!(
            "{}; {}",
            dashboard("", "--domain shop.example.com"),
            report_exit_and_modes("DONE")
        ),
    );
    tmux.wait_for("records of the demo domain", |s| {
        s.contains("shop.example.com") && s.contains(" held")
    });
    tmux.keys(&["3", "i"]);
    let screen = tmux.wait_for("the strip", |s| {
        s.contains("delivered") && s.contains("bounced") && bucket_size(s).is_some()
    });
    assert!(
        screen.contains('▲'),
        "the selected record's bucket:\n{screen}"
    );
    let before = bucket_size(&screen).expect("a bucket size");
    tmux.keys(&["-"]);
    let screen = tmux.wait_for("smaller buckets", |s| {
        bucket_size(s).is_some_and(|b| b != before)
    });
    assert!(screen.contains('▲'), "{screen}");
    tmux.keys(&["{"]);
    tmux.wait_for("the table a bucket back", |s| s.contains("follow off"));
    tmux.keys(&["i"]);
    let screen = tmux.wait_for("the strip gone", |s| bucket_size(s).is_none());
    assert!(!screen.contains("█ delivered"), "{screen}");
    tmux.keys(&["q"]);
    tmux.wait_for("the program to quit", |s| s.contains("DONE"));
}
