//! App states built through the public API, for the rendering tests: a
//! fixed clock, then actions applied with `update` one by one.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use misar_dash::app::{Action, AppOptions, AppState, update};
use misar_dash::upstream::domain_logs::parse_timestamp_ms;
use misar_dash::upstream::{ConnState, Source, UpstreamBody, UpstreamEvent};

/// The fixtures' clock: 2026-05-27T10:00:00Z.
pub fn now() -> i64 {
    parse_timestamp_ms("2026-05-27T10:00:00Z").expect("a valid timestamp")
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
        update(&mut state, Action::Tick { now_ms: now() });
        Fixture { state }
    }

    pub fn plain() -> Fixture {
        Fixture::new(AppOptions::default())
    }

    pub fn act(&mut self, action: Action) -> &mut Fixture {
        update(&mut self.state, action);
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

    pub fn keys(&mut self, text: &str) -> &mut Fixture {
        for c in text.chars() {
            self.key(KeyCode::Char(c));
        }
        self
    }

    pub fn size(&mut self, width: u16, height: u16) -> &mut Fixture {
        self.act(Action::Resize(width, height))
    }
}
