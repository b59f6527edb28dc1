//! [`update`]: every state change goes through here.

use crossterm::event::{Event, KeyEvent, MouseButton, MouseEvent, MouseEventKind};
use tui_input::Input;
use tui_input::backend::crossterm::EventHandler;

use super::connlog;
use super::feed::FeedItem;
use super::keymap::{self, Context, KeyAction};
use super::logs::FilterBar;
use super::sends::SendPhase;
use super::watch_prompt::parse_watch;
use super::{
    Action, AppState, Command, LastError, Notice, Overlay, Pane, RateLimitInfo, StreamStatus,
};
use crate::model::LogQuery;
use crate::model::{ConnState, Source};
use crate::model::{UpstreamBody, UpstreamEvent};
use crate::sanitize::{MAX_TEXT_BYTES, clean, clean_capped};

/// How long a status-bar notice stays.
const NOTICE_MS: i64 = 5_000;
/// Rows one mouse-wheel notch scrolls.
const WHEEL_ROWS: isize = 3;

/// Applies one action. Returns what the event loop must do; sets
/// `state.dirty` when anything on screen may have changed.
pub fn update(state: &mut AppState, action: Action) -> Vec<Command> {
    let mut commands = Vec::new();
    match action {
        Action::Key(key) => on_key(state, key, &mut commands),
        Action::Mouse(mouse) => on_mouse(state, mouse),
        Action::Resize(width, height) => {
            state.size = (width, height);
            state.dirty = true;
        }
        Action::Layout(geometry) => super::geometry::apply(state, geometry),
        Action::Upstream(event) => on_upstream(state, event),
        Action::Watching(source) => {
            ensure_source(state, &source);
            state.dirty = true;
        }
        Action::Tick { now_ms } => {
            if now_ms != state.now_ms {
                state.now_ms = now_ms;
                state.sends.tick(now_ms);
                state.dirty = true;
            }
            super::alert_list::judge(state, &mut commands);
            drop_old_ended_sends(state, &mut commands);
        }
        Action::Export(event) => super::export::on_event(state, event, &mut commands),
    }
    super::top_values::refresh(state);
    super::histogram::refresh(state);
    commands
}

/// `n`/`N`: with a filter set, the selection to the next or previous
/// match (the table lists only matches, so a row down or up); without
/// one, every row is a match and there is nothing to jump to.
fn jump_match(state: &mut AppState, step: isize) {
    let Some(view) = state.logs.current() else {
        return;
    };
    if view.filter.is_empty() {
        set_notice(state, "no filter set: n/N jump between matches of /".into());
        return;
    }
    let (selected, len) = (view.cursor.selected, view.store.match_count());
    let at_end = if step > 0 {
        selected + 1 >= len
    } else {
        selected == 0
    };
    if at_end {
        let which = if step > 0 { "last" } else { "first" };
        set_notice(state, format!("at the {which} match"));
        return;
    }
    move_pane(state, Pane::Logs, Move::By(step));
}

/// The contexts whose bindings apply now, most specific first.
fn active_contexts(state: &AppState) -> Vec<Context> {
    let modal = match &state.overlay {
        Overlay::Watch { .. } => Some(Context::WatchPrompt),
        Overlay::ConfirmUnwatch { .. } => Some(Context::ConfirmUnwatch),
        Overlay::Export(prompt) => Some(super::export::context(prompt)),
        Overlay::Help { .. } => Some(Context::Help),
        Overlay::Detail { .. } => Some(Context::Detail),
        Overlay::ConnLog { .. } => Some(Context::ConnLog),
        Overlay::Alerts { .. } => Some(Context::Alerts),
        Overlay::None if state.logs.filter_bar.is_some() => Some(Context::FilterBar),
        Overlay::None if state.logs.top.is_some() && state.focus == Pane::Logs => {
            Some(Context::TopValues)
        }
        Overlay::None => None,
    };
    match modal {
        Some(context) => vec![context, Context::Always],
        None => {
            let pane = match state.focus {
                Pane::Sends => Context::Sends,
                Pane::Feed => Context::Feed,
                Pane::Logs => Context::Logs,
            };
            vec![pane, Context::List, Context::Global, Context::Always]
        }
    }
}

fn on_key(state: &mut AppState, key: KeyEvent, commands: &mut Vec<Command>) {
    let contexts = active_contexts(state);
    let action = match keymap::lookup(&contexts, &key) {
        Some(action) => action,
        // Anything unbound is typing when an input is open.
        None if contexts[0].takes_text() => KeyAction::Edit,
        None => return,
    };
    state.dirty = true;
    match contexts[0] {
        Context::FilterBar => filter_bar_key(state, action, key, commands),
        Context::WatchPrompt => watch_prompt_key(state, action, key, commands),
        Context::ConfirmUnwatch => super::unwatch::confirm_unwatch_key(state, action, commands),
        Context::ExportPrompt | Context::ConfirmOverwrite => {
            super::export::prompt_key(state, action, key, commands)
        }
        Context::Help => help_key(state, action, commands),
        Context::Detail => super::detail::overlay_key(state, action, commands),
        Context::ConnLog => connlog::overlay_key(state, action, commands),
        Context::TopValues => super::top_values::key(state, action, commands),
        Context::Alerts => super::alert_list::overlay_key(state, action, commands),
        _ => main_key(state, action, commands),
    }
}

fn main_key(state: &mut AppState, action: KeyAction, commands: &mut Vec<Command>) {
    match action {
        KeyAction::Quit => commands.push(Command::Quit),
        KeyAction::FocusNext => focus(state, step_pane(state.focus, 1)),
        KeyAction::FocusPrev => focus(state, step_pane(state.focus, -1)),
        KeyAction::Focus(pane) => focus(state, pane),
        KeyAction::ToggleZoom => super::zoom::toggle(state),
        KeyAction::ToggleHelp => state.overlay = Overlay::Help { scroll: 0 },
        KeyAction::OpenAlerts => super::alert_list::open(state),
        KeyAction::OpenWatchPrompt => {
            state.overlay = Overlay::Watch {
                input: Input::default(),
                error: None,
            }
        }
        KeyAction::Unwatch => super::unwatch::ask_to_unwatch_selected(state),
        KeyAction::OpenConnLog => {
            if !connlog::open(state) {
                set_notice(state, "no stream selected".into());
            }
        }
        KeyAction::Up => move_focused(state, Move::By(-1)),
        KeyAction::Down => move_focused(state, Move::By(1)),
        KeyAction::PageUp => move_focused(state, Move::Pages(-1, 1)),
        KeyAction::PageDown => move_focused(state, Move::Pages(1, 1)),
        KeyAction::HalfPageUp => move_focused(state, Move::Pages(-1, 2)),
        KeyAction::HalfPageDown => move_focused(state, Move::Pages(1, 2)),
        KeyAction::Top => move_focused(state, Move::First),
        KeyAction::Bottom => move_focused(state, Move::Last),
        KeyAction::Follow => {
            let height = state.geometry.viewports.logs;
            if let Some(view) = state.logs.current_mut() {
                view.follow = true;
                view.settle(height);
            }
        }
        KeyAction::ToggleHistogram | KeyAction::ZoomHistogram(_) | KeyAction::JumpBucket(_) => {
            super::histogram::key(state, action)
        }
        KeyAction::ToggleUtc => state.logs.toggle_utc(),
        KeyAction::CycleColumns => state.logs.cycle_columns(),
        KeyAction::OpenFilter => {
            if let Some(view) = state.logs.current() {
                let zone = state.logs.shown_zone();
                state.logs.filter_bar = Some(FilterBar::open(&view.filter_text).in_zone(zone));
            }
        }
        // Nothing selected: nothing to show.
        KeyAction::OpenDetail => {
            super::detail::open(state);
        }
        KeyAction::ExportMatches => super::export::open(state),
        KeyAction::CopyRecord => super::export::copy_selected(state, commands),
        KeyAction::ToggleTopValues => super::top_values::toggle(state),
        KeyAction::JumpMatch(step) => jump_match(state, step),
        KeyAction::TopField(_) | KeyAction::TopExclude => {}
        KeyAction::PrevDomain => state.logs.switch(-1),
        KeyAction::NextDomain => state.logs.switch(1),
        KeyAction::TogglePause => state.feed.toggle_pause(),
        KeyAction::ToggleFeed(group) => state.feed.toggle(group),
        KeyAction::ShowAllFeed => {
            for group in super::feed::FeedGroup::ALL {
                if !state.feed.is_shown(group) {
                    state.feed.toggle(group);
                }
            }
        }
        KeyAction::Submit | KeyAction::Cancel | KeyAction::Edit | KeyAction::Close => {}
    }
}

fn help_key(state: &mut AppState, action: KeyAction, commands: &mut Vec<Command>) {
    let limit = state.geometry.overlay_scroll_limit;
    let Overlay::Help { scroll } = &mut state.overlay else {
        return;
    };
    match action {
        KeyAction::Up => *scroll = scroll.saturating_sub(1),
        KeyAction::Down => *scroll = scroll.saturating_add(1).min(limit),
        KeyAction::Close => state.overlay = Overlay::None,
        KeyAction::Quit => commands.push(Command::Quit),
        _ => {}
    }
}

fn filter_bar_key(
    state: &mut AppState,
    action: KeyAction,
    key: KeyEvent,
    commands: &mut Vec<Command>,
) {
    let height = state.geometry.viewports.logs;
    let now_ms = state.now_ms;
    let log_limit = state.log_limit;
    let Some(bar) = state.logs.filter_bar.as_mut() else {
        return;
    };
    let Some(view) = state.logs.domains.get_mut(state.logs.current) else {
        state.logs.filter_bar = None;
        return;
    };
    match action {
        KeyAction::Quit => commands.push(Command::Quit),
        KeyAction::Edit
            if bar
                .input
                .handle_event(&Event::Key(key))
                .is_some_and(|c| c.value) =>
        {
            bar.browsing = None;
            if let Some(filter) = bar.parse() {
                view.preview(&filter, now_ms, height);
            }
        }
        KeyAction::Up | KeyAction::Down => {
            let entries = state.logs.history.entries(&view.domain);
            if bar.browse(entries, action == KeyAction::Up)
                && let Some(filter) = bar.parse()
            {
                view.preview(&filter, now_ms, height);
            }
        }
        KeyAction::Cancel => {
            // Back to the filter applied before the bar opened; it parsed
            // then, so it parses now.
            if let Ok(filter) = bar.parse_text(&bar.text_before) {
                view.preview(&filter, now_ms, height);
            }
            state.logs.filter_bar = None;
        }
        KeyAction::Submit => {
            let Some(filter) = bar.parse() else { return };
            let query = filter.server_query(now_ms, log_limit);
            if let Err(reason) = query.validate() {
                bar.error = Some(super::filter::FilterError {
                    span: 0..bar.input.value().len(),
                    reason,
                });
                return;
            }
            view.filter_text = bar.input.value().trim().to_string();
            state.logs.history.record(&view.domain, &view.filter_text);
            view.filter = filter.clone();
            view.preview(&filter, now_ms, height);
            state.logs.filter_bar = None;
            if query != view.server_query {
                let domain = view.domain.clone();
                commands.push(watch_logs(state, &domain, query));
            }
        }
        _ => {}
    }
}

fn watch_prompt_key(
    state: &mut AppState,
    action: KeyAction,
    key: KeyEvent,
    commands: &mut Vec<Command>,
) {
    let Overlay::Watch { input, error } = &mut state.overlay else {
        return;
    };
    match action {
        KeyAction::Quit => commands.push(Command::Quit),
        KeyAction::Edit => {
            let edited = input.handle_event(&Event::Key(key));
            if edited.is_some_and(|c| c.value) {
                *error = None;
            }
        }
        KeyAction::Cancel => state.overlay = Overlay::None,
        KeyAction::Submit => match parse_watch(input.value()) {
            Err(reason) => *error = Some(reason),
            Ok(source) => {
                state.overlay = Overlay::None;
                commands.extend(watch(state, source));
            }
        },
        _ => {}
    }
}

/// Starts watching `source` from the prompt. The row or tab appears at once
/// so the user sees it is on its way. A stream already watched and still
/// running is not opened twice (that would spend the API's quota for the
/// same data): it is focused instead. One that ended or stopped is started
/// again.
fn watch(state: &mut AppState, source: Source) -> Option<Command> {
    let running = state
        .streams
        .get(&source)
        .is_some_and(|s| !s.conn.is_final())
        && !state.unwatched.contains(&source);
    if running {
        focus_source(state, &source);
        set_notice(
            state,
            format!("already watching {}", clean(&source.to_string())),
        );
        return None;
    }
    state.unwatched.remove(&source);
    let notice = format!("watching {}", clean(&source.to_string()));
    let command = match &source {
        Source::DomainLogs { domain } => {
            let domain = domain.clone();
            let query = state.default_log_query();
            ensure_source(state, &source);
            watch_logs(state, &domain, query)
        }
        _ => {
            ensure_source(state, &source);
            Command::Watch(source.clone())
        }
    };
    focus_source(state, &source);
    set_notice(state, notice);
    Some(command)
}

/// Moves focus to where `source` is shown: its send row, the feed, or its
/// domain's tab.
fn focus_source(state: &mut AppState, source: &Source) {
    match source {
        Source::SendProgress { .. } | Source::Campaign { .. } => {
            let height = state.geometry.viewports.sends;
            state.sends.select(source, height);
            state.focus = Pane::Sends;
        }
        Source::Inbox => state.focus = Pane::Feed,
        Source::DomainLogs { domain } => {
            if let Some(index) = state.logs.index_of(domain) {
                state.logs.current = index;
            }
            state.focus = Pane::Logs;
        }
    }
    state.dirty = true;
}

/// Re-opens a domain's stream with `query`. The held records came from the
/// old query, so they are dropped: the new stream brings what matches now.
pub(super) fn watch_logs(state: &mut AppState, domain: &str, query: LogQuery) -> Command {
    if let Some(view) = state.logs.get_mut(domain) {
        view.reset_stream(query.clone());
    }
    state.alerts.judge_domain(domain, !query.narrows_records());
    Command::WatchLogs {
        domain: domain.to_string(),
        query,
    }
}

/// Send rows kept at most. With `follow_campaigns`, every campaign the
/// inbox announces gets a row, for as long as the dashboard runs; past
/// this many, the oldest rows of sends that have ended go (their streams
/// are over), so memory stays flat. Rows of running sends always stay.
pub const MAX_SEND_ROWS: usize = 200;

fn drop_old_ended_sends(state: &mut AppState, commands: &mut Vec<Command>) {
    let excess = state.sends.rows.len().saturating_sub(MAX_SEND_ROWS);
    if excess == 0 {
        return;
    }
    let selected = state.sends.selected_row().map(|r| r.source.clone());
    let ended: Vec<Source> = state
        .sends
        .rows
        .iter()
        .filter(|r| matches!(r.phase, SendPhase::Ended(_)) && Some(&r.source) != selected.as_ref())
        .take(excess)
        .map(|r| r.source.clone())
        .collect();
    // Past the limit with every row still running: nothing changes.
    if ended.is_empty() {
        return;
    }
    for source in ended {
        state.sends.remove(&source);
        state.streams.remove(&source);
        state.alerts.forget(&source);
        commands.push(Command::Unwatch(source));
    }
    // The selected row stays selected.
    if let Some(index) = selected.and_then(|s| state.sends.rows.iter().position(|r| r.source == s))
    {
        state.sends.cursor.selected = index;
    }
    settle_sends_cursor(state);
    state.dirty = true;
}

/// Keeps the sends cursor on a row and its view around it after rows went.
pub(super) fn settle_sends_cursor(state: &mut AppState) {
    let len = state.sends.rows.len();
    let height = state.geometry.viewports.sends;
    state.sends.cursor.move_by(0, len, height);
}

fn step_pane(pane: Pane, step: isize) -> Pane {
    let index = Pane::ALL.iter().position(|p| *p == pane).unwrap_or(0) as isize;
    Pane::ALL[(index + step).rem_euclid(Pane::ALL.len() as isize) as usize]
}

fn focus(state: &mut AppState, pane: Pane) {
    state.focus = pane;
    if pane == Pane::Feed {
        state.feed.unread = 0;
    }
}

#[derive(Clone, Copy)]
enum Move {
    By(isize),
    /// `n` pages of `1/divisor` of the view.
    Pages(isize, usize),
    First,
    Last,
}

fn move_focused(state: &mut AppState, movement: Move) {
    move_pane(state, state.focus, movement);
}

fn move_pane(state: &mut AppState, pane: Pane, movement: Move) {
    let viewports = state.geometry.viewports;
    let (cursor, len, height) = match pane {
        Pane::Sends => (
            &mut state.sends.cursor,
            state.sends.rows.len(),
            viewports.sends,
        ),
        Pane::Feed => {
            let len = state.feed.visible_len();
            (&mut state.feed.cursor, len, viewports.feed)
        }
        Pane::Logs => {
            let Some(view) = state.logs.domains.get_mut(state.logs.current) else {
                return;
            };
            let moves_up = match movement {
                Move::By(n) | Move::Pages(n, _) => n < 0,
                Move::First => true,
                Move::Last => false,
            };
            if moves_up && view.follow {
                view.follow = false;
                state.notice = Some(Notice {
                    text: "follow off — f to resume".into(),
                    until_ms: state.now_ms + NOTICE_MS,
                });
            }
            (&mut view.cursor, view.store.match_count(), viewports.logs)
        }
    };
    match movement {
        Move::By(n) => cursor.move_by(n, len, height),
        Move::Pages(n, divisor) => {
            let page = (height / divisor).max(1) as isize;
            cursor.move_by(n * page, len, height);
        }
        Move::First => cursor.to_first(),
        Move::Last => cursor.to_last(len, height),
    }
}

fn on_mouse(state: &mut AppState, mouse: MouseEvent) {
    if !state.mouse || !matches!(state.overlay, Overlay::None) || state.logs.filter_bar.is_some() {
        return;
    }
    let Some(pane) = state.geometry.pane_at(mouse.column, mouse.row) else {
        return;
    };
    match mouse.kind {
        MouseEventKind::ScrollUp => move_pane(state, pane, Move::By(-WHEEL_ROWS)),
        MouseEventKind::ScrollDown => move_pane(state, pane, Move::By(WHEEL_ROWS)),
        MouseEventKind::Down(MouseButton::Left) => focus(state, pane),
        _ => return,
    }
    state.dirty = true;
}

pub(super) fn set_notice(state: &mut AppState, text: String) {
    state.notice = Some(Notice {
        text,
        until_ms: state.now_ms + NOTICE_MS,
    });
}

/// Creates the row, tab or stream entry for a source seen for the first
/// time.
fn ensure_source(state: &mut AppState, source: &Source) {
    match source {
        Source::SendProgress { .. } | Source::Campaign { .. } => {
            state.sends.row_mut(source);
        }
        Source::DomainLogs { domain } => {
            let query = state.default_log_query();
            state.logs.view_mut(domain, state.max_log_records, query);
        }
        Source::Inbox => {}
    }
    state
        .streams
        .entry(source.clone())
        .or_insert_with(|| StreamStatus {
            conn: ConnState::Connecting { attempt: 1 },
            since_ms: state.now_ms,
            rate_limit: None,
            history: Default::default(),
            failing: None,
        });
}

fn on_upstream(state: &mut AppState, event: UpstreamEvent) {
    if state.unwatched.contains(&event.source) {
        return;
    }
    state.alerts.observe(&event, state.now_ms);
    let UpstreamEvent { source, body, .. } = event;
    state.dirty = true;
    ensure_source(state, &source);
    let now_ms = state.now_ms;
    // Data means the link is up, even if the client's own "live" report is
    // still on its way (or never comes from a client that skips it).
    let carries_data = !matches!(
        body,
        UpstreamBody::Conn(_) | UpstreamBody::Malformed { .. } | UpstreamBody::RateLimit { .. }
    );
    if carries_data
        && let Some(stream) = state.streams.get_mut(&source)
        && matches!(stream.conn, ConnState::Connecting { .. })
    {
        stream.conn = ConnState::Live;
        stream.since_ms = now_ms;
    }
    // The stream that reported the last error is back and delivering: the
    // error is history (the connection log keeps it), not news.
    if carries_data
        && state.stream_live(&source)
        && state
            .last_error
            .as_ref()
            .is_some_and(|e| e.source == source)
    {
        state.last_error = None;
    }
    match body {
        UpstreamBody::Conn(conn) => on_conn(state, &source, conn),
        UpstreamBody::Progress(progress) => state.sends.apply_progress(&source, &progress, now_ms),
        UpstreamBody::Campaign(update) => {
            state.sends.apply_campaign(&source, &update, now_ms);
            let name = state
                .sends
                .rows
                .iter()
                .find(|r| r.source == source)
                .and_then(|r| r.name.as_deref());
            if let Some(item) = FeedItem::from_campaign(&update, name, now_ms) {
                push_feed(state, item);
            }
        }
        UpstreamBody::Inbox(event) => {
            use crate::model::InboxEvent;
            if let InboxEvent::CampaignStarted(c) | InboxEvent::CampaignCompleted(c) = &event {
                state
                    .sends
                    .learn_campaign_name(&c.campaign_id, &c.campaign_name);
            }
            // A complaint names its campaign too: the alert it raises says
            // which one, even when its start came before the inbox did.
            if let InboxEvent::Bounce(c) | InboxEvent::Complaint(c) | InboxEvent::Unsubscribe(c) =
                &event
                && let (Some(id), Some(name)) = (&c.campaign_id, &c.campaign_name)
            {
                state.sends.learn_campaign_name(id, name);
            }
            push_feed(state, FeedItem::from_inbox(&event, now_ms));
        }
        UpstreamBody::Logs(batch) => {
            let height = state.geometry.viewports.logs;
            if let Source::DomainLogs { domain } = &source
                && let Some(view) = state.logs.get_mut(domain)
            {
                let appended = view.store.append(batch);
                let len = view.store.match_count();
                if view.follow {
                    view.settle(height);
                } else if appended.matches_evicted > 0 {
                    view.cursor
                        .shift(-(appended.matches_evicted as isize), len, height);
                }
            }
        }
        UpstreamBody::LogsComplete { total } => {
            if let Source::DomainLogs { domain } = &source
                && let Some(view) = state.logs.get_mut(domain)
            {
                view.complete = Some(total);
            }
        }
        UpstreamBody::RateLimit { limit, remaining } => {
            if let Some(stream) = state.streams.get_mut(&source) {
                stream.rate_limit = Some(RateLimitInfo { limit, remaining });
            }
        }
        UpstreamBody::Malformed { detail } => {
            state.malformed.count += 1;
            state.malformed.last =
                Some((source, clean_capped(&detail, MAX_TEXT_BYTES).into_owned()));
        }
    }
}

fn push_feed(state: &mut AppState, item: FeedItem) {
    let height = state.geometry.viewports.feed;
    let focused = state.focus == Pane::Feed;
    state.feed.push(item, focused, height);
}

fn on_conn(state: &mut AppState, source: &Source, conn: ConnState) {
    // Connection states carry server text (reasons, details): made safe
    // here, once.
    let conn = conn.map_text(|text| clean_capped(&text, MAX_TEXT_BYTES).into_owned());
    let error = match &conn {
        ConnState::Reconnecting { reason, .. } => Some(reason.clone()),
        ConnState::Stopped(reason) => Some(reason.to_string()),
        _ => None,
    };
    if let Some(text) = error {
        state.last_error = Some(LastError {
            at_ms: state.now_ms,
            source: source.clone(),
            text,
        });
    }
    if let Some(stream) = state.streams.get_mut(source) {
        connlog::record(stream, &conn, state.now_ms);
        stream.conn = conn;
        stream.since_ms = state.now_ms;
    }
}

#[cfg(test)]
mod tests;
