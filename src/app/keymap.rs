//! Every key binding, in one table. The key handler looks keys up here and
//! the help overlay is drawn from it, so the two cannot disagree.

use crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};

use super::feed::FeedGroup;

/// Where a binding applies. Several are active at once, most specific
/// first; see `active_contexts` in the reducer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Context {
    /// In every mode, even while typing.
    Always,
    /// Whenever no prompt or overlay is open.
    Global,
    /// Any focused pane's list.
    List,
    Sends,
    Feed,
    Logs,
    FilterBar,
    WatchPrompt,
    ConfirmUnwatch,
    ExportPrompt,
    ConfirmOverwrite,
    Detail,
    ConnLog,
    Help,
    /// The top-values panel (`t`) in the log pane.
    TopValues,
    /// The alert list (`!`).
    Alerts,
}

impl Context {
    /// Help overlay sections, in order.
    pub const ALL: [Context; 16] = [
        Context::Always,
        Context::Global,
        Context::List,
        Context::Sends,
        Context::Feed,
        Context::Logs,
        Context::FilterBar,
        Context::WatchPrompt,
        Context::ConfirmUnwatch,
        Context::ExportPrompt,
        Context::ConfirmOverwrite,
        Context::Detail,
        Context::ConnLog,
        Context::TopValues,
        Context::Alerts,
        Context::Help,
    ];

    pub fn title(self) -> &'static str {
        match self {
            Context::Always => "Everywhere",
            Context::Global => "Main view",
            Context::List => "Lists (focused pane)",
            Context::Sends => "Sends",
            Context::Feed => "Live feed",
            Context::Logs => "Domain logs",
            Context::FilterBar => "Filter bar (/)",
            Context::WatchPrompt => "Watch prompt (a)",
            Context::ConfirmUnwatch => "Stop watching? (d)",
            Context::ExportPrompt => "Export prompt (x)",
            Context::ConfirmOverwrite => "Replace the file? (x)",
            Context::Detail => "Detail (Enter)",
            Context::ConnLog => "Connection log (L)",
            Context::Help => "This help",
            Context::TopValues => "Top values (t)",
            Context::Alerts => "Alert list (!)",
        }
    }

    /// Unbound keys edit the text (typing goes to the input).
    pub fn takes_text(self) -> bool {
        matches!(
            self,
            Context::FilterBar | Context::WatchPrompt | Context::ExportPrompt
        )
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeyAction {
    Quit,
    FocusNext,
    FocusPrev,
    Focus(super::Pane),
    ToggleZoom,
    ToggleHelp,
    OpenWatchPrompt,
    Unwatch,
    OpenConnLog,
    /// The alert list (`!`).
    OpenAlerts,
    Up,
    Down,
    PageUp,
    PageDown,
    HalfPageUp,
    HalfPageDown,
    Top,
    Bottom,
    Follow,
    OpenFilter,
    /// The log table's times in UTC or the local zone.
    ToggleUtc,
    /// The log table's next column set.
    CycleColumns,
    ToggleHistogram,
    /// Larger (`+1`) or smaller (`-1`) histogram buckets.
    ZoomHistogram(i32),
    /// The table to the previous (`-1`) or next (`+1`) histogram bucket.
    JumpBucket(isize),
    OpenDetail,
    /// Write the current domain's matches to a file (`x`).
    ExportMatches,
    /// The selected record's JSON to the clipboard (`y`).
    CopyRecord,
    PrevDomain,
    NextDomain,
    TogglePause,
    ToggleFeed(FeedGroup),
    ShowAllFeed,
    Submit,
    Cancel,
    /// The top-values panel (`t`).
    ToggleTopValues,
    /// The panel's next (`+1`) or previous (`-1`) field.
    TopField(isize),
    /// The panel's value as an exclusion (`e`); Enter (`Submit`) narrows.
    TopExclude,
    /// The selection to the next (`+1`) or previous (`-1`) match (`n`/`N`).
    JumpMatch(isize),
    /// Text editing, handed to the input widget.
    Edit,
    Close,
}

/// One key: a code and the modifiers that must be held.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Key {
    pub code: KeyCode,
    pub modifiers: KeyModifiers,
}

const fn key(code: KeyCode) -> Key {
    Key {
        code,
        modifiers: KeyModifiers::NONE,
    }
}

const fn ch(c: char) -> Key {
    key(KeyCode::Char(c))
}

const fn ctrl(c: char) -> Key {
    Key {
        code: KeyCode::Char(c),
        modifiers: KeyModifiers::CONTROL,
    }
}

#[derive(Clone, Copy, Debug)]
pub struct Binding {
    pub keys: &'static [Key],
    pub context: Context,
    pub action: KeyAction,
    pub description: &'static str,
}

const fn bind(
    keys: &'static [Key],
    context: Context,
    action: KeyAction,
    description: &'static str,
) -> Binding {
    Binding {
        keys,
        context,
        action,
        description,
    }
}

use Context as C;
use KeyAction as A;
use KeyCode as K;

pub const KEYMAP: &[Binding] = &[
    bind(&[ctrl('c')], C::Always, A::Quit, "quit"),
    bind(&[ch('q')], C::Global, A::Quit, "quit"),
    bind(&[key(K::Tab)], C::Global, A::FocusNext, "next pane"),
    bind(&[key(K::BackTab)], C::Global, A::FocusPrev, "previous pane"),
    bind(
        &[ch('1')],
        C::Global,
        A::Focus(super::Pane::Sends),
        "focus Sends",
    ),
    bind(
        &[ch('2')],
        C::Global,
        A::Focus(super::Pane::Feed),
        "focus Live feed",
    ),
    bind(
        &[ch('3')],
        C::Global,
        A::Focus(super::Pane::Logs),
        "focus Domain logs",
    ),
    bind(
        &[ch('Z')],
        C::Global,
        A::ToggleZoom,
        "zoom the focused pane / restore",
    ),
    bind(&[ch('?')], C::Global, A::ToggleHelp, "this help"),
    bind(
        &[ch('a')],
        C::Global,
        A::OpenWatchPrompt,
        "watch an issue, a campaign, a domain or the inbox",
    ),
    bind(&[ch('k'), key(K::Up)], C::List, A::Up, "up"),
    bind(&[ch('j'), key(K::Down)], C::List, A::Down, "down"),
    bind(&[key(K::PageUp)], C::List, A::PageUp, "page up"),
    bind(&[key(K::PageDown)], C::List, A::PageDown, "page down"),
    bind(&[ctrl('u')], C::List, A::HalfPageUp, "half a page up"),
    bind(&[ctrl('d')], C::List, A::HalfPageDown, "half a page down"),
    bind(&[ch('g'), key(K::Home)], C::List, A::Top, "first row"),
    bind(&[ch('G'), key(K::End)], C::List, A::Bottom, "last row"),
    bind(
        &[key(K::Enter)],
        C::List,
        A::OpenDetail,
        "detail: every field of the selected row",
    ),
    bind(
        &[ch('L')],
        C::Global,
        A::OpenConnLog,
        "connection log (selected send, inbox or domain)",
    ),
    bind(
        &[ch('!')],
        C::Global,
        A::OpenAlerts,
        "alerts: active and cleared, newest first",
    ),
    bind(
        &[ch('d')],
        C::Sends,
        A::Unwatch,
        "stop watching the selected send",
    ),
    bind(
        &[ch(' ')],
        C::Feed,
        A::TogglePause,
        "pause / resume (new events are counted)",
    ),
    bind(
        &[ch('e')],
        C::Feed,
        A::ToggleFeed(FeedGroup::Email),
        "show/hide received email",
    ),
    bind(
        &[ch('b')],
        C::Feed,
        A::ToggleFeed(FeedGroup::Bounce),
        "show/hide bounces",
    ),
    bind(
        &[ch('c')],
        C::Feed,
        A::ToggleFeed(FeedGroup::Complaint),
        "show/hide complaints",
    ),
    bind(
        &[ch('u')],
        C::Feed,
        A::ToggleFeed(FeedGroup::Unsubscribe),
        "show/hide unsubscribes",
    ),
    bind(
        &[ch('s')],
        C::Feed,
        A::ToggleFeed(FeedGroup::Campaign),
        "show/hide campaign events",
    ),
    bind(&[ch('A')], C::Feed, A::ShowAllFeed, "show every type"),
    bind(
        &[ch('f'), key(K::End)],
        C::Logs,
        A::Follow,
        "follow the newest record",
    ),
    bind(
        &[ch('/')],
        C::Logs,
        A::OpenFilter,
        "filter: narrows as you type, Enter re-queries",
    ),
    bind(
        &[ch('i')],
        C::Logs,
        A::ToggleHistogram,
        "histogram of the matches over time",
    ),
    bind(
        &[ch('+'), ch('=')],
        C::Logs,
        A::ZoomHistogram(1),
        "histogram: larger buckets",
    ),
    bind(
        &[ch('-')],
        C::Logs,
        A::ZoomHistogram(-1),
        "histogram: smaller buckets",
    ),
    bind(
        &[ch('{')],
        C::Logs,
        A::JumpBucket(-1),
        "to the previous time bucket",
    ),
    bind(
        &[ch('}')],
        C::Logs,
        A::JumpBucket(1),
        "to the next time bucket",
    ),
    bind(
        &[ch('x')],
        C::Logs,
        A::ExportMatches,
        "export the matches to a file (.csv: CSV, else NDJSON)",
    ),
    bind(
        &[ch('y')],
        C::Logs,
        A::CopyRecord,
        "copy the selected record's JSON (OSC 52)",
    ),
    bind(
        &[ch('z')],
        C::Logs,
        A::ToggleUtc,
        "times in UTC / in the local zone",
    ),
    bind(
        &[ch('c')],
        C::Logs,
        A::CycleColumns,
        "columns: default, delivery, content",
    ),
    bind(
        &[ch('t')],
        C::Logs,
        A::ToggleTopValues,
        "top values of a field over the matches",
    ),
    bind(
        &[ch('n')],
        C::Logs,
        A::JumpMatch(1),
        "next match (with a filter set)",
    ),
    bind(
        &[ch('N')],
        C::Logs,
        A::JumpMatch(-1),
        "previous match (with a filter set)",
    ),
    bind(&[ch('[')], C::Logs, A::PrevDomain, "previous domain"),
    bind(&[ch(']')], C::Logs, A::NextDomain, "next domain"),
    bind(&[ch('d')], C::Logs, A::Unwatch, "stop watching this domain"),
    bind(
        &[key(K::Enter)],
        C::FilterBar,
        A::Submit,
        "apply; re-query the server if that part changed",
    ),
    bind(
        &[key(K::Esc)],
        C::FilterBar,
        A::Cancel,
        "cancel: back to the filter before /",
    ),
    bind(
        &[key(K::Up)],
        C::FilterBar,
        A::Up,
        "previous filter applied to this domain",
    ),
    bind(&[key(K::Down)], C::FilterBar, A::Down, "next filter"),
    bind(
        &[key(K::Left), key(K::Right), ctrl('w'), ctrl('u')],
        C::FilterBar,
        A::Edit,
        "edit; Ctrl-w deletes a word, Ctrl-u the line",
    ),
    bind(&[key(K::Enter)], C::WatchPrompt, A::Submit, "watch it"),
    bind(&[key(K::Esc)], C::WatchPrompt, A::Cancel, "cancel"),
    bind(
        &[key(K::Left), key(K::Right), ctrl('w'), ctrl('u')],
        C::WatchPrompt,
        A::Edit,
        "edit; Ctrl-w deletes a word, Ctrl-u the line",
    ),
    bind(&[key(K::Enter)], C::ExportPrompt, A::Submit, "export"),
    bind(&[key(K::Esc)], C::ExportPrompt, A::Cancel, "cancel"),
    bind(
        &[key(K::Left), key(K::Right), ctrl('w'), ctrl('u')],
        C::ExportPrompt,
        A::Edit,
        "edit; Ctrl-w deletes a word, Ctrl-u the line",
    ),
    bind(
        &[ch('y')],
        C::ConfirmOverwrite,
        A::Submit,
        "yes, replace the file",
    ),
    bind(
        &[ch('n'), key(K::Esc)],
        C::ConfirmOverwrite,
        A::Cancel,
        "no, back to the name",
    ),
    bind(
        &[ch('y'), key(K::Enter)],
        C::ConfirmUnwatch,
        A::Submit,
        "yes, stop watching",
    ),
    bind(
        &[ch('n'), key(K::Esc), ch('q')],
        C::ConfirmUnwatch,
        A::Cancel,
        "no, keep it",
    ),
    bind(
        &[key(K::Esc), ch('q'), key(K::Enter)],
        C::Detail,
        A::Close,
        "close",
    ),
    bind(&[ch('k'), key(K::Up)], C::Detail, A::Up, "scroll up"),
    bind(&[ch('j'), key(K::Down)], C::Detail, A::Down, "scroll down"),
    bind(&[key(K::PageUp)], C::Detail, A::PageUp, "page up"),
    bind(&[key(K::PageDown)], C::Detail, A::PageDown, "page down"),
    bind(&[ch('g'), key(K::Home)], C::Detail, A::Top, "top"),
    bind(&[ch('G'), key(K::End)], C::Detail, A::Bottom, "bottom"),
    bind(
        &[key(K::Esc), ch('q'), ch('L')],
        C::ConnLog,
        A::Close,
        "close",
    ),
    bind(&[ch('k'), key(K::Up)], C::ConnLog, A::Up, "scroll up"),
    bind(&[ch('j'), key(K::Down)], C::ConnLog, A::Down, "scroll down"),
    bind(&[key(K::PageUp)], C::ConnLog, A::PageUp, "page up"),
    bind(&[key(K::PageDown)], C::ConnLog, A::PageDown, "page down"),
    bind(&[ch('g'), key(K::Home)], C::ConnLog, A::Top, "oldest"),
    bind(&[ch('G'), key(K::End)], C::ConnLog, A::Bottom, "newest"),
    bind(
        &[ch('k'), key(K::Up)],
        C::TopValues,
        A::Up,
        "previous value",
    ),
    bind(
        &[ch('j'), key(K::Down)],
        C::TopValues,
        A::Down,
        "next value",
    ),
    bind(
        &[ch('l'), key(K::Right)],
        C::TopValues,
        A::TopField(1),
        "next field (domain, sender, subject, smtp…)",
    ),
    bind(
        &[ch('h'), key(K::Left)],
        C::TopValues,
        A::TopField(-1),
        "previous field",
    ),
    bind(
        &[key(K::Enter)],
        C::TopValues,
        A::Submit,
        "add the value to the filter (to:@gmail.com)",
    ),
    bind(
        &[ch('e')],
        C::TopValues,
        A::TopExclude,
        "add it as an exclusion (-to:@gmail.com)",
    ),
    bind(&[key(K::Esc), ch('t')], C::TopValues, A::Close, "close"),
    bind(&[ch('q')], C::TopValues, A::Quit, "quit"),
    bind(&[ch('k'), key(K::Up)], C::Alerts, A::Up, "previous alert"),
    bind(&[ch('j'), key(K::Down)], C::Alerts, A::Down, "next alert"),
    bind(&[ch('g'), key(K::Home)], C::Alerts, A::Top, "newest"),
    bind(&[ch('G'), key(K::End)], C::Alerts, A::Bottom, "oldest"),
    bind(
        &[key(K::Enter)],
        C::Alerts,
        A::Submit,
        "go to its send, domain or the live feed",
    ),
    bind(
        &[ch('!'), key(K::Esc), ch('q')],
        C::Alerts,
        A::Close,
        "close",
    ),
    bind(&[ch('?'), key(K::Esc), ch('q')], C::Help, A::Close, "close"),
    bind(&[ch('k'), key(K::Up)], C::Help, A::Up, "scroll up"),
    bind(&[ch('j'), key(K::Down)], C::Help, A::Down, "scroll down"),
];

/// Shift is part of the character for printable keys ('G', '?') and is
/// reported inconsistently by terminals, so it is ignored there.
fn normalized(event: &KeyEvent) -> Key {
    let mut modifiers = event.modifiers;
    if matches!(event.code, KeyCode::Char(_) | KeyCode::BackTab) {
        modifiers.remove(KeyModifiers::SHIFT);
    }
    Key {
        code: event.code,
        modifiers,
    }
}

/// The action bound to `event` in the first of `contexts` that binds it.
/// Releases are ignored (terminals with the kitty protocol report them).
pub fn lookup(contexts: &[Context], event: &KeyEvent) -> Option<KeyAction> {
    if event.kind == KeyEventKind::Release {
        return None;
    }
    let pressed = normalized(event);
    contexts.iter().find_map(|context| {
        KEYMAP
            .iter()
            .find(|b| b.context == *context && b.keys.contains(&pressed))
            .map(|b| b.action)
    })
}

/// How a key is written in the help.
pub fn key_label(key: &Key) -> String {
    let name = match key.code {
        KeyCode::Char(' ') => "Space".to_string(),
        KeyCode::Char(c) => c.to_string(),
        KeyCode::Tab => "Tab".into(),
        KeyCode::BackTab => "Shift-Tab".into(),
        KeyCode::Enter => "Enter".into(),
        KeyCode::Esc => "Esc".into(),
        KeyCode::Up => "↑".into(),
        KeyCode::Down => "↓".into(),
        KeyCode::Left => "←".into(),
        KeyCode::Right => "→".into(),
        KeyCode::PageUp => "PgUp".into(),
        KeyCode::PageDown => "PgDn".into(),
        KeyCode::Home => "Home".into(),
        KeyCode::End => "End".into(),
        other => format!("{other:?}"),
    };
    if key.modifiers.contains(KeyModifiers::CONTROL) {
        format!("Ctrl-{name}")
    } else {
        name
    }
}

/// All of a binding's keys, for the help.
pub fn keys_label(binding: &Binding) -> String {
    binding
        .keys
        .iter()
        .map(key_label)
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn press(code: KeyCode, modifiers: KeyModifiers) -> KeyEvent {
        KeyEvent::new(code, modifiers)
    }

    #[test]
    fn most_specific_context_wins() {
        let end = press(KeyCode::End, KeyModifiers::NONE);
        assert_eq!(
            lookup(&[C::Logs, C::List, C::Global], &end),
            Some(A::Follow)
        );
        assert_eq!(
            lookup(&[C::Sends, C::List, C::Global], &end),
            Some(A::Bottom)
        );
    }

    #[test]
    fn shift_is_ignored_for_characters() {
        let shifted_g = press(KeyCode::Char('G'), KeyModifiers::SHIFT);
        assert_eq!(lookup(&[C::List], &shifted_g), Some(A::Bottom));
        let backtab = press(KeyCode::BackTab, KeyModifiers::SHIFT);
        assert_eq!(lookup(&[C::Global], &backtab), Some(A::FocusPrev));
    }

    #[test]
    fn control_is_not_ignored() {
        let ctrl_d = press(KeyCode::Char('d'), KeyModifiers::CONTROL);
        assert_eq!(lookup(&[C::Logs, C::List], &ctrl_d), Some(A::HalfPageDown));
        let d = press(KeyCode::Char('d'), KeyModifiers::NONE);
        assert_eq!(lookup(&[C::Logs, C::List], &d), Some(A::Unwatch));
    }

    #[test]
    fn releases_are_ignored() {
        let mut q = press(KeyCode::Char('q'), KeyModifiers::NONE);
        q.kind = KeyEventKind::Release;
        assert_eq!(lookup(&[C::Global], &q), None);
    }

    #[test]
    fn no_key_is_bound_twice_in_contexts_active_together() {
        let together: &[&[Context]] = &[
            &[C::Always, C::Sends, C::List, C::Global],
            &[C::Always, C::Feed, C::List, C::Global],
            &[C::Always, C::Logs, C::List, C::Global],
            &[C::Always, C::FilterBar],
            &[C::Always, C::WatchPrompt],
            &[C::Always, C::ExportPrompt],
            &[C::Always, C::ConfirmOverwrite],
            &[C::Always, C::Detail],
            &[C::Always, C::ConnLog],
            &[C::Always, C::Help],
            &[C::Always, C::TopValues],
            &[C::Always, C::Alerts],
        ];
        for contexts in together {
            let mut seen: Vec<(Key, Context)> = Vec::new();
            for binding in KEYMAP.iter().filter(|b| contexts.contains(&b.context)) {
                for key in binding.keys {
                    let clash = seen.iter().find(|(k, c)| {
                        // A pane may deliberately override a list key.
                        k == key
                            && !(*c == C::List && matches!(binding.context, C::Logs))
                            && !(binding.context == C::List && *c == C::Logs)
                    });
                    assert!(clash.is_none(), "{key:?} bound twice in {contexts:?}");
                    seen.push((*key, binding.context));
                }
            }
        }
    }

    #[test]
    fn labels() {
        assert_eq!(key_label(&ctrl('d')), "Ctrl-d");
        assert_eq!(key_label(&ch(' ')), "Space");
        assert_eq!(key_label(&key(K::BackTab)), "Shift-Tab");
        assert_eq!(keys_label(&KEYMAP[10]), "k ↑");
    }
}
