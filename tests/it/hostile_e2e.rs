//! The real binary in a real terminal (tmux) against the hostile
//! simulator: records and events full of title changes, clipboard writes,
//! colours and screen clears are shown, and afterwards the terminal's
//! title, clipboard (tmux's paste buffers) and colours are untouched. A
//! control run at the end prints the same sequences raw, to prove each
//! check would have caught them. And with `--token-in-query` the screen
//! warns once and shows no key.
//!
//! `.ci/run` installs tmux; without it these tests fail and say so.

use std::time::Duration;

use crate::support::longest_running_campaign;
use crate::support::tmux::{Tmux, dashboard};

use misar_dash::sim::{self, Sim, SimConfig};

/// SGR parameters the dashboard's theme can produce: resets, bold, dim,
/// underline, reverse, the 16 foreground colours, default colours. Anything
/// else on screen came from somewhere else.
fn theme_sgr(param: u32) -> bool {
    matches!(param, 0 | 1 | 2 | 4 | 7 | 22 | 24 | 27 | 39 | 49 | 30..=37 | 90..=97)
}

/// Every SGR parameter list in `styled`.
fn sgr_params(styled: &str) -> Vec<Vec<u32>> {
    let mut out = Vec::new();
    let mut rest = styled;
    while let Some(at) = rest.find("\u{1b}[") {
        let tail = &rest[at + 2..];
        let end = tail
            .find(|c: char| !(c.is_ascii_digit() || c == ';' || c == ':'))
            .unwrap_or(tail.len());
        if tail[end..].starts_with('m') {
            out.push(
                tail[..end]
                    .split([';', ':'])
                    .map(|p| p.parse().unwrap_or(0))
                    .collect(),
            );
        }
        rest = &tail[end..];
    }
    out
}

/// SGR parameter lists with something the theme never sends. tmux writes
/// the 16 colours as `38;5;N` with N below 16; any background, any other
/// indexed colour and any RGB colour is stray.
fn stray_sgr(styled: &str) -> Vec<Vec<u32>> {
    let ours = |p: &[u32]| {
        let mut i = 0;
        while i < p.len() {
            match p[i] {
                38 if p.get(i + 1) == Some(&5) && p.get(i + 2).is_some_and(|n| *n < 16) => i += 3,
                n if theme_sgr(n) => i += 1,
                _ => return false,
            }
        }
        true
    };
    sgr_params(styled)
        .into_iter()
        .filter(|p| !ours(p))
        .collect()
}

/// The real terminal agrees with ratatui on every width: each pane row of
/// tmux's screen spans exactly `width` columns from border to border, and
/// where two panes meet their borders are where the top border's corners
/// are. A cluster that tmux draws wider or narrower than ratatui thinks
/// would shift the rest of its row, or leave stray glyphs behind.
fn assert_real_screen_aligned(screen: &str, width: usize) {
    use misar_dash::ui::widgets::display_width;
    let vertical = |c: char| matches!(c, '│' | '┃');
    let columns_of = |line: &str, pattern: &str| -> Vec<usize> {
        line.match_indices(pattern)
            .map(|(i, _)| display_width(&line[..i]))
            .collect()
    };
    let meets: Vec<usize> = screen
        .lines()
        .flat_map(|l| {
            let mut v = columns_of(l, "┐┌");
            v.extend(columns_of(l, "┓┌"));
            v.extend(columns_of(l, "┐┏"));
            v
        })
        .collect();
    for (y, line) in screen.lines().enumerate() {
        if !line.starts_with(vertical) {
            continue;
        }
        assert_eq!(
            display_width(line),
            width,
            "row {y} is not {width} columns wide:\n{screen}"
        );
        assert!(
            line.ends_with(vertical),
            "row {y} lost its border:\n{screen}"
        );
        for pattern in ["││", "┃│", "│┃", "┃┃"] {
            for at in columns_of(line, pattern) {
                assert!(
                    meets.contains(&at),
                    "row {y}: borders at {at}, not where the panes meet {meets:?}:\n{screen}"
                );
            }
        }
    }
}

fn sim_runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a runtime")
}

#[test]
fn hostile_text_leaves_title_clipboard_and_colours_alone() {
    let rt = sim_runtime();
    let sim = rt
        .block_on(Sim::start(SimConfig {
            ws_hostile: true,
            ..SimConfig::default()
        }))
        .expect("the simulator starts");
    let ep = sim.endpoints();
    let campaign = longest_running_campaign(&sim);
    let against = format!(
        "MISAR_BLOG_URL={blog} MISAR_MAIL_URL={mail} MISAR_MAIL_WS_URL={ws} \
         MISAR_BLOG_KEY={bk} MISAR_MAIL_KEY={mk}",
        blog = ep.blog_url,
        mail = ep.mail_url,
        ws = ep.mail_ws_url,
        bk = sim::DEMO_BLOG_KEY,
        mk = sim::DEMO_MAIL_KEY,
    );
    let args = format!("--domain {} --campaign {campaign}", sim::hostile::DOMAIN);
    // Waits for Enter before the dashboard (so the test can read the title
    // and set tmux up), and again after it (before the control run).
    let command = format!(
        "read x; {}; \
         echo EXITED=$?; echo AFTER-TEXT; read x; \
         printf '\\033]2;CONTROL-TITLE\\033\\\\'; printf '\\033]52;c;Y29udHJvbA==\\007'; \
         printf '\\033[41mCONTROL-RED\\033[0m\\n'; echo CONTROL-DONE; sleep 60",
        dashboard(&against, &args),
    );
    let tmux = Tmux::start("hostile-title", 140, 44, &command);
    // Accept OSC 52 from applications, so a leak would create a buffer.
    tmux.tmux(&["set-option", "-g", "set-clipboard", "on"]);
    std::thread::sleep(Duration::from_millis(300));
    let title_before = tmux.title();
    assert!(!title_before.contains("PWNED"));
    assert_eq!(tmux.buffers(), "", "no paste buffer yet");
    tmux.keys(&["Enter"]);

    let screen = tmux.wait_for("hostile records, events and the campaign", |s| {
        s.contains("after-osc0")
            && s.contains("RED on red")
            && s.contains("hostile.example.com")
            && s.contains("CAMP▶ RED")
            && s.contains("cmp-hostile-404")
            && s.contains("blinkhidden")
            && s.contains("the last record")
    });
    assert!(screen.contains("blinkhidden"), "{screen}");
    // The announced campaign whose id holds an OSC is not followed.
    assert!(!screen.contains("cmp-hostileafter"), "{screen}");
    assert_real_screen_aligned(&screen, 140);
    // Let every hostile frame arrive (the oversized one, the reconnect,
    // the followed campaign's refusal) and be drawn.
    std::thread::sleep(Duration::from_millis(2500));
    tmux.keys(&["3"]);
    std::thread::sleep(Duration::from_millis(500));
    assert_real_screen_aligned(&tmux.screen(), 140);
    let styled = tmux.screen_with_styles();
    assert_eq!(
        tmux.title(),
        title_before,
        "the title changed while running"
    );
    let stray = stray_sgr(&styled);
    assert!(
        stray.is_empty(),
        "SGR the theme never uses is on screen: {stray:?}\n{styled}"
    );
    assert_eq!(tmux.buffers(), "", "an OSC 52 reached tmux");
    let screen = tmux.screen();
    assert!(screen.contains("malformed skipped"), "{screen}");

    tmux.keys(&["q"]);
    let screen = tmux.wait_for("the program to exit", |s| s.contains("AFTER-TEXT"));
    assert!(screen.contains("EXITED=0"), "{screen}");
    assert_eq!(tmux.title(), title_before, "the title changed");
    assert_eq!(tmux.buffers(), "", "an OSC 52 reached tmux");
    // The shell's lines after the program carry no attributes at all.
    let styled = tmux.screen_with_styles();
    for line in styled
        .lines()
        .filter(|l| l.contains("EXITED=") || l.contains("AFTER-TEXT"))
    {
        assert!(!line.contains('\u{1b}'), "styled after exit: {line:?}");
    }

    // The control: the same sequences printed raw are seen by every check.
    tmux.keys(&["Enter"]);
    tmux.wait_for("the control run", |s| s.contains("CONTROL-DONE"));
    std::thread::sleep(Duration::from_millis(200));
    assert_eq!(tmux.title(), "CONTROL-TITLE", "the title check is blind");
    assert_ne!(tmux.buffers(), "", "the clipboard check is blind");
    assert!(
        stray_sgr(&tmux.screen_with_styles())
            .iter()
            .any(|p| p.contains(&41)),
        "the colour check is blind"
    );
    drop(tmux);
    rt.block_on(sim.shutdown());
}

#[test]
fn token_in_query_warns_once_and_the_screen_shows_no_key() {
    let command = format!(
        "{}; echo EXITED=$?; sleep 60",
        dashboard("", "--sim --token-in-query")
    );
    let tmux = Tmux::start("hostile-token", 120, 40, &command);
    let screen = tmux.wait_for("the warning and live streams", |s| {
        s.contains("--token-in-query puts keys in URLs") && s.contains("Domain logs")
    });
    assert_eq!(
        screen.matches("--token-in-query").count(),
        1,
        "warned once:\n{screen}"
    );
    // Streams work with the key in the URL.
    let screen = tmux.wait_for("records", |s| {
        s.contains("delivered") || s.contains("queued")
    });
    let mut screens = vec![screen];
    // The help and a record's detail are screens too.
    tmux.keys(&["?"]);
    screens.push(tmux.wait_for("help", |s| s.contains("Help: keys")));
    tmux.keys(&["?", "3", "Enter"]);
    screens.push(tmux.wait_for("a record", |s| s.contains("Record ·")));
    tmux.keys(&["Escape", "q"]);
    screens.push(tmux.wait_for("the exit", |s| s.contains("EXITED=")));
    assert!(screens[3].contains("EXITED=0"), "{}", screens[3]);
    for screen in &screens {
        for key in [sim::DEMO_BLOG_KEY, sim::DEMO_MAIL_KEY] {
            assert!(!screen.contains(key), "the key is on screen:\n{screen}");
            assert!(
                !screen.contains(&key[9..21]),
                "part of the key is on screen:\n{screen}"
            );
        }
        assert!(!screen.contains("token="), "{screen}");
    }
    // In the dashboard the warning is on screen, not on stderr: nothing
    // was printed over the shell.
    assert!(!screens[3].contains("warning"), "{}", screens[3]);
}
