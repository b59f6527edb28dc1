//! Styles. Colours come only from the 16-colour ANSI palette, so the user's
//! terminal theme decides what they look like, and no style sets a
//! background: the terminal's own background shows everywhere. With
//! `NO_COLOR` every colour is dropped and meaning is carried by words,
//! symbols, bold, underline and reverse video.

use ratatui::style::{Color, Modifier, Style};

use crate::app::feed::FeedKind;
use crate::app::sends::{Outcome, SendPhase};
use crate::model::ConnState;
use crate::model::LogEventType;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Theme {
    pub no_color: bool,
}

impl Default for Theme {
    fn default() -> Self {
        Theme::color()
    }
}

/// How healthy something is, which decides its colour.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tone {
    Good,
    Info,
    Warn,
    Bad,
    Muted,
    Plain,
}

impl Theme {
    pub fn color() -> Theme {
        Theme { no_color: false }
    }

    pub fn no_color() -> Theme {
        Theme { no_color: true }
    }

    pub fn new(no_color: bool) -> Theme {
        Theme { no_color }
    }

    /// The theme `state` is drawn in: colour unless `NO_COLOR` was set.
    pub fn of(state: &crate::app::AppState) -> Theme {
        Theme::new(state.no_color)
    }

    fn fg(self, color: Color) -> Style {
        if self.no_color {
            Style::new()
        } else {
            Style::new().fg(color)
        }
    }

    pub fn tone(self, tone: Tone) -> Style {
        match tone {
            Tone::Good => self.fg(Color::Green),
            Tone::Info => self.fg(Color::Cyan),
            Tone::Warn => self.fg(Color::Yellow),
            // Bold so it stands out without colour too.
            Tone::Bad => self.fg(Color::Red).add_modifier(Modifier::BOLD),
            Tone::Muted => self.fg(Color::DarkGray),
            Tone::Plain => Style::new(),
        }
    }

    /// The selected row: reverse video, visible with or without colour.
    pub fn selected(self) -> Style {
        Style::new().add_modifier(Modifier::REVERSED | Modifier::BOLD)
    }

    /// The selected row of a pane without focus.
    pub fn selected_unfocused(self) -> Style {
        Style::new().add_modifier(Modifier::BOLD)
    }

    pub fn border(self, focused: bool) -> Style {
        if focused {
            self.fg(Color::Cyan).add_modifier(Modifier::BOLD)
        } else {
            self.fg(Color::DarkGray)
        }
    }

    pub fn title(self, focused: bool) -> Style {
        if focused {
            self.fg(Color::Cyan).add_modifier(Modifier::BOLD)
        } else {
            Style::new().add_modifier(Modifier::BOLD)
        }
    }

    pub fn header(self) -> Style {
        Style::new().add_modifier(Modifier::BOLD | Modifier::UNDERLINED)
    }

    pub fn key(self) -> Style {
        self.fg(Color::Cyan).add_modifier(Modifier::BOLD)
    }

    /// The offending part of a filter or prompt.
    pub fn bad_span(self) -> Style {
        self.fg(Color::Red)
            .add_modifier(Modifier::UNDERLINED | Modifier::BOLD)
    }

    pub fn badge(self) -> Style {
        self.fg(Color::Magenta)
            .add_modifier(Modifier::BOLD | Modifier::REVERSED)
    }

    pub fn gauge_filled(self, phase: SendPhase) -> Style {
        self.tone(phase_tone(phase))
    }

    pub fn log_type(self, event: Option<LogEventType>) -> Style {
        use LogEventType as T;
        let color = match event {
            Some(T::Delivered) => Color::Green,
            Some(T::Opened | T::Clicked) => Color::Cyan,
            Some(T::Queued) => Color::Blue,
            Some(T::Deferred | T::TemporaryFail) => Color::Yellow,
            Some(T::Bounced | T::Failed | T::PermanentFail) => Color::Red,
            Some(T::Unsubscribed) => Color::Magenta,
            Some(T::Other) | None => Color::Gray,
        };
        self.fg(color)
    }

    pub fn feed_kind(self, kind: FeedKind) -> Style {
        let color = match kind {
            FeedKind::Email => Color::Blue,
            FeedKind::Bounce => Color::Red,
            FeedKind::Complaint => Color::LightRed,
            FeedKind::Unsubscribe => Color::Magenta,
            FeedKind::CampaignStarted => Color::Cyan,
            FeedKind::CampaignCompleted => Color::Green,
            FeedKind::CampaignFailed => Color::Red,
            FeedKind::CampaignCancelled => Color::Yellow,
        };
        self.fg(color).add_modifier(Modifier::BOLD)
    }

    pub fn phase(self, phase: SendPhase) -> Style {
        self.tone(phase_tone(phase))
    }

    pub fn conn(self, conn: Option<&ConnState>) -> Style {
        self.tone(conn_tone(conn))
    }
}

pub fn phase_tone(phase: SendPhase) -> Tone {
    match phase {
        SendPhase::Waiting => Tone::Muted,
        SendPhase::Sending => Tone::Info,
        SendPhase::Unknown => Tone::Warn,
        SendPhase::Ended(Outcome::Sent | Outcome::Completed) => Tone::Good,
        SendPhase::Ended(Outcome::Failed) => Tone::Bad,
        SendPhase::Ended(Outcome::Cancelled) => Tone::Warn,
    }
}

pub fn conn_tone(conn: Option<&ConnState>) -> Tone {
    match conn {
        None => Tone::Muted,
        Some(ConnState::Live) => Tone::Good,
        Some(ConnState::Connecting { .. }) => Tone::Info,
        Some(ConnState::Reconnecting { .. } | ConnState::RateLimited { .. }) => Tone::Warn,
        Some(ConnState::Finished { .. }) => Tone::Muted,
        Some(ConnState::Stopped(_)) => Tone::Bad,
    }
}
