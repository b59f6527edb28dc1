//! The domain-logs pane: one view per watched domain.

use tui_input::Input;

use super::cursor::ListCursor;
use super::filter::{self, Filter, FilterError};
use super::filter_history::FilterHistory;
use super::histogram::{HistogramOptions, Strip};
use super::logcols::ColumnSet;
use super::logstore::LogStore;
use super::timezone::Zone;
use crate::model::LogQuery;

#[derive(Debug, Default)]
pub struct LogsPane {
    /// In the order they were first seen.
    pub domains: Vec<DomainView>,
    pub current: usize,
    /// The `/` bar, editing the current domain's filter.
    pub filter_bar: Option<FilterBar>,
    /// The filters applied, per domain: what ↑/↓ in the bar walk.
    pub history: FilterHistory,
    /// The histogram strip over the table (`i`), for every domain.
    pub histogram: HistogramOptions,
    /// The strip's counts for the current domain while it is shown.
    pub strip: Option<Strip>,
    /// The zone the program runs in (`Local` in the dashboard).
    pub zone: Zone,
    /// `z`: times in UTC instead of `zone`.
    pub utc: bool,
    /// `c`: which columns the table shows.
    pub columns: ColumnSet,
    /// The top-values panel (`t`), open on the current domain.
    pub top: Option<super::top_values::TopPanel>,
}

impl LogsPane {
    /// The zone the table shows times in and the filter reads them in.
    pub fn shown_zone(&self) -> Zone {
        if self.utc { Zone::Utc } else { self.zone }
    }

    /// `z`: UTC or the program's zone.
    pub fn toggle_utc(&mut self) {
        self.utc = !self.utc;
    }

    /// `c`: the next column set.
    pub fn cycle_columns(&mut self) {
        self.columns = self.columns.next();
    }

    pub fn current(&self) -> Option<&DomainView> {
        self.domains.get(self.current)
    }

    pub fn current_mut(&mut self) -> Option<&mut DomainView> {
        self.domains.get_mut(self.current)
    }

    pub fn index_of(&self, domain: &str) -> Option<usize> {
        self.domains.iter().position(|d| d.domain == domain)
    }

    pub fn get_mut(&mut self, domain: &str) -> Option<&mut DomainView> {
        self.domains.iter_mut().find(|d| d.domain == domain)
    }

    pub fn get(&self, domain: &str) -> Option<&DomainView> {
        self.domains.iter().find(|d| d.domain == domain)
    }

    /// The view for `domain`, created if it is new.
    pub fn view_mut(&mut self, domain: &str, cap: usize, query: LogQuery) -> &mut DomainView {
        let index = match self.index_of(domain) {
            Some(i) => i,
            None => {
                self.domains.push(DomainView::new(domain, cap, query));
                self.domains.len() - 1
            }
        };
        &mut self.domains[index]
    }

    pub fn remove(&mut self, domain: &str) -> bool {
        let Some(index) = self.index_of(domain) else {
            return false;
        };
        self.domains.remove(index);
        if self.current > index || self.current >= self.domains.len() {
            self.current = self.current.saturating_sub(1);
        }
        true
    }

    /// Moves to the next (`+1`) or previous (`-1`) domain, wrapping.
    pub fn switch(&mut self, step: isize) {
        let n = self.domains.len();
        if n > 0 {
            self.current = (self.current as isize + step).rem_euclid(n as isize) as usize;
        }
    }
}

/// One domain's records, filter and scroll position.
#[derive(Debug)]
pub struct DomainView {
    /// As given by the user or config; sanitize before drawing.
    pub domain: String,
    pub store: LogStore,
    /// The applied filter and its text (the bar may be previewing another).
    pub filter_text: String,
    pub filter: Filter,
    /// What the stream was last opened with, as far as this app knows.
    pub server_query: LogQuery,
    /// Over the filter's matches, oldest first.
    pub cursor: ListCursor,
    /// Keep the newest record selected and in view.
    pub follow: bool,
    /// The stream said it is complete, with the server's total if given.
    pub complete: Option<Option<u64>>,
}

impl DomainView {
    fn new(domain: &str, cap: usize, query: LogQuery) -> DomainView {
        let mut store = LogStore::new(cap);
        store.reserve(query.effective_limit() as usize);
        DomainView {
            domain: domain.to_string(),
            store,
            filter_text: String::new(),
            filter: Filter::default(),
            server_query: query,
            cursor: ListCursor::default(),
            follow: true,
            complete: None,
        }
    }

    /// The stream is being re-opened: drop every record, keep the filter.
    pub fn reset_stream(&mut self, query: LogQuery) {
        self.store.clear();
        self.store.reserve(query.effective_limit() as usize);
        self.server_query = query;
        self.cursor = ListCursor::default();
        self.complete = None;
    }

    /// Puts the cursor on the newest match if following.
    pub fn settle(&mut self, height: usize) {
        if self.follow {
            self.cursor.to_last(self.store.match_count(), height);
        }
    }

    /// Applies `filter` to the held records, keeping the selected record
    /// (or its nearest following match) selected.
    pub fn preview(&mut self, filter: &Filter, now_ms: i64, height: usize) {
        let selected_seq = self.store.match_seq(self.cursor.selected);
        self.store.set_filter(filter, now_ms);
        let len = self.store.match_count();
        match (self.follow, selected_seq) {
            (false, Some(seq)) => {
                self.cursor.selected = self.store.match_position(seq).min(len.saturating_sub(1));
                self.cursor.top = self.cursor.window_top(len, height);
            }
            (false, None) => self.cursor.to_first(),
            (true, _) => self.cursor.to_last(len, height),
        }
    }
}

/// The `/` bar.
#[derive(Debug)]
pub struct FilterBar {
    pub input: Input,
    /// Why the text is not a filter; the view keeps the last valid one.
    pub error: Option<FilterError>,
    /// The filter applied when the bar opened; Esc returns to it.
    pub text_before: String,
    /// Which history entry ↑/↓ show, and the text typed before the
    /// first ↑ (↓ past the newest entry brings it back).
    pub browsing: Option<(usize, String)>,
    /// The zone local times typed here are read in.
    pub zone: Zone,
}

impl FilterBar {
    pub fn open(current: &str) -> FilterBar {
        FilterBar {
            input: Input::new(current.to_string()),
            error: None,
            text_before: current.to_string(),
            browsing: None,
            zone: Zone::Local,
        }
    }

    /// Reads local times typed in the bar in `zone`.
    pub fn in_zone(self, zone: Zone) -> FilterBar {
        FilterBar { zone, ..self }
    }

    /// Parses `text` as the bar does.
    pub fn parse_text(&self, text: &str) -> Result<Filter, FilterError> {
        filter::parse_in(text, self.zone)
    }

    /// ↑ (`older`) or ↓ through `entries` (oldest first). Returns whether
    /// the text changed.
    pub fn browse(&mut self, entries: &[String], older: bool) -> bool {
        let text = match (self.browsing.take(), older) {
            (None, false) => return false,
            (None, true) => {
                let Some(last) = entries.len().checked_sub(1) else {
                    return false;
                };
                self.browsing = Some((last, self.input.value().to_string()));
                entries[last].clone()
            }
            (Some((at, draft)), true) => {
                let at = at.saturating_sub(1).min(entries.len().saturating_sub(1));
                let text = entries.get(at).cloned().unwrap_or_default();
                self.browsing = Some((at, draft));
                text
            }
            (Some((at, draft)), false) => match entries.get(at + 1) {
                Some(newer) => {
                    let newer = newer.clone();
                    self.browsing = Some((at + 1, draft));
                    newer
                }
                None => draft,
            },
        };
        self.input = Input::new(text);
        true
    }

    /// Parses the text being typed.
    pub fn parse(&mut self) -> Option<Filter> {
        match filter::parse_in(self.input.value(), self.zone) {
            Ok(filter) => {
                self.error = None;
                Some(filter)
            }
            Err(error) => {
                self.error = Some(error);
                None
            }
        }
    }
}
