//! App states built through the public API, for the rendering tests: a
//! fixed clock, then actions applied with `dispatch` one by one, as the event loop applies them.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use misar_dash::app::{Action, AppOptions, AppState};
use misar_dash::dashboard::dispatch;
use misar_dash::model::log::parse_timestamp_ms;
use misar_dash::model::{
    ConnState, InboxEvent, LogEventType, LogRecord, Source, UpstreamBody, UpstreamEvent,
};

use super::screen::{self, assert_palette, draw};

/// The fixtures' clock: 2026-05-27T10:00:00Z.
pub fn now() -> i64 {
    parse_timestamp_ms("2026-05-27T10:00:00Z").expect("a valid timestamp")
}

/// Log record `i` at `timestamp_ms`: the weekly digest from news@acme.io,
/// delivered to `reader{i}@example.org`. Change a field with
/// `LogRecord { field, ..record(i, at) }`.
pub fn record(i: u64, timestamp_ms: i64) -> LogRecord {
    LogRecord {
        id: format!("log_{i}"),
        timestamp_ms,
        event_type: Some(LogEventType::Delivered),
        sender: "news@acme.io".into(),
        recipient: format!("reader{i}@example.org"),
        subject: "Weekly digest #212".into(),
        ..LogRecord::default()
    }
}

pub struct Fixture {
    pub state: AppState,
}

impl Fixture {
    pub fn new(options: AppOptions) -> Fixture {
        let mut state = AppState::new(AppOptions {
            now_ms: now(),
            ..options
        });
        dispatch(&mut state, Action::Tick { now_ms: now() });
        Fixture { state }
    }

    pub fn plain() -> Fixture {
        Fixture::new(AppOptions::default())
    }

    pub fn act(&mut self, action: Action) -> &mut Fixture {
        dispatch(&mut self.state, action);
        self
    }

    pub fn event(&mut self, source: &Source, body: UpstreamBody) -> &mut Fixture {
        self.act(Action::Upstream(UpstreamEvent {
            source: source.clone(),
            generation: 1,
            body,
        }))
    }

    pub fn conn(&mut self, source: &Source, conn: ConnState) -> &mut Fixture {
        self.event(source, UpstreamBody::Conn(conn))
    }

    pub fn tick(&mut self, offset_ms: i64) -> &mut Fixture {
        self.act(Action::Tick {
            now_ms: now() + offset_ms,
        })
    }

    pub fn key(&mut self, code: KeyCode) -> &mut Fixture {
        self.act(Action::Key(KeyEvent::new(code, KeyModifiers::NONE)))
    }

    /// Keys typed as `text` spells them; a newline is Enter.
    pub fn keys(&mut self, text: &str) -> &mut Fixture {
        for c in text.chars() {
            self.key(match c {
                '\n' => KeyCode::Enter,
                c => KeyCode::Char(c),
            });
        }
        self
    }

    pub fn size(&mut self, width: u16, height: u16) -> &mut Fixture {
        self.act(Action::Resize(width, height))
    }

    /// The link of `source` coming up: connecting, then live.
    pub fn up(&mut self, source: &Source) -> &mut Fixture {
        self.conn(source, ConnState::Connecting { attempt: 1 })
            .conn(source, ConnState::Live)
    }

    /// An event on the live feed.
    pub fn feed(&mut self, event: InboxEvent) -> &mut Fixture {
        self.event(&Source::Inbox, UpstreamBody::Inbox(event))
    }

    /// The screen at the state's size must be snapshot `name`
    /// ([`screen::snapshot`]).
    pub fn snapshot(&mut self, name: &str) -> &mut Fixture {
        let (width, height) = self.state.size;
        screen::snapshot(name, &self.state, width, height);
        self
    }

    /// The styled runs at the state's size must be snapshot `name`.
    pub fn snapshot_styles(&mut self, name: &str) -> &mut Fixture {
        let (width, height) = self.state.size;
        screen::snapshot_styles(name, &self.state, width, height);
        self
    }

    /// Resized to each size in turn, the screen must be snapshot
    /// `{name}_{width}x{height}`.
    pub fn snapshots(&mut self, name: &str, sizes: &[(u16, u16)]) -> &mut Fixture {
        for &(width, height) in sizes {
            self.size(width, height)
                .snapshot(&format!("{name}_{width}x{height}"));
        }
        self
    }

    /// Resized to each size in turn, drawing never panics and never paints
    /// outside the palette.
    pub fn draws_at(&mut self, sizes: &[(u16, u16)]) -> &mut Fixture {
        for &(width, height) in sizes {
            self.size(width, height);
            assert_palette(&draw(&self.state, width, height));
        }
        self
    }
}
