//! The histogram strip over the log table (`i`, as in lnav): the filter's
//! matches per time bucket, split by outcome, so that "since when, and how
//! much" is read off the screen instead of the rows.
//!
//! Counting is a pass over the matches' times and types (no strings), cheap
//! enough to run for each frame at 500,000 records (see `benches/`); what
//! is kept in the state is only what the user chose: the strip shown, and
//! how far the bucket size is moved from the one the span suggests.

use super::AppState;
use super::keymap::KeyAction;
use crate::model::LogEventType;

/// What became of a message, as the strip groups the event types.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Outcome {
    /// Delivered, opened, clicked.
    Delivered,
    /// Deferred or temporarily failed: still being tried.
    Deferred,
    /// Bounced, failed, permanently failed.
    Bounced,
    /// Unsubscribed: the nearest thing the log has to a complaint.
    Complaint,
    /// Queued, or a type the client does not know.
    Other,
}

impl Outcome {
    /// Bottom to top in a stacked bar; the legend's order.
    pub const ALL: [Outcome; 5] = [
        Outcome::Delivered,
        Outcome::Deferred,
        Outcome::Bounced,
        Outcome::Complaint,
        Outcome::Other,
    ];

    pub fn of(event: Option<LogEventType>) -> Outcome {
        use LogEventType as T;
        match event {
            Some(T::Delivered | T::Opened | T::Clicked) => Outcome::Delivered,
            Some(T::Deferred | T::TemporaryFail) => Outcome::Deferred,
            Some(T::Bounced | T::Failed | T::PermanentFail) => Outcome::Bounced,
            Some(T::Unsubscribed) => Outcome::Complaint,
            Some(T::Queued | T::Other) | None => Outcome::Other,
        }
    }

    pub fn index(self) -> usize {
        self as usize
    }

    pub fn label(self) -> &'static str {
        match self {
            Outcome::Delivered => "delivered",
            Outcome::Deferred => "deferred",
            Outcome::Bounced => "bounced",
            Outcome::Complaint => "unsub",
            Outcome::Other => "other",
        }
    }
}

const SECOND: i64 = 1000;
const MINUTE: i64 = 60 * SECOND;
const HOUR: i64 = 60 * MINUTE;
const DAY: i64 = 24 * HOUR;

/// The bucket sizes offered, smallest first: round numbers a clock reads.
pub const BUCKETS_MS: [i64; 18] = [
    SECOND,
    2 * SECOND,
    5 * SECOND,
    10 * SECOND,
    15 * SECOND,
    30 * SECOND,
    MINUTE,
    2 * MINUTE,
    5 * MINUTE,
    10 * MINUTE,
    15 * MINUTE,
    30 * MINUTE,
    HOUR,
    2 * HOUR,
    3 * HOUR,
    6 * HOUR,
    12 * HOUR,
    DAY,
];

/// A bucket size as a person writes it: `1s`, `15m`, `1d`.
pub fn bucket_label(bucket_ms: i64) -> String {
    match bucket_ms {
        ms if ms % DAY == 0 => format!("{}d", ms / DAY),
        ms if ms % HOUR == 0 => format!("{}h", ms / HOUR),
        ms if ms % MINUTE == 0 => format!("{}m", ms / MINUTE),
        ms => format!("{}s", ms / SECOND),
    }
}

/// What the user set for the strip.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct HistogramOptions {
    pub shown: bool,
    /// The index in [`BUCKETS_MS`] the user chose with `+`/`-`; `None`
    /// fits the size to the span. A chosen size stays put while records
    /// arrive (the span growing must not change what `-` gave), until
    /// the strip is hidden.
    pub bucket: Option<usize>,
}

/// The bucket size for matches spanning `span_ms` drawn in `columns`
/// columns: the one chosen, or else the smallest that fits the span.
pub fn bucket_index(span_ms: i64, columns: usize, chosen: Option<usize>) -> usize {
    if let Some(index) = chosen {
        return index.min(BUCKETS_MS.len() - 1);
    }
    let columns = columns.max(1) as i64;
    BUCKETS_MS
        .iter()
        .position(|b| span_ms / b < columns)
        .unwrap_or(BUCKETS_MS.len() - 1)
}

/// The index `step` sizes away from `current`, within [`BUCKETS_MS`].
fn step_bucket(current: usize, step: i32) -> usize {
    (current as i64 + i64::from(step)).clamp(0, BUCKETS_MS.len() as i64 - 1) as usize
}

/// The bucket a time falls in: its start, aligned to the bucket size in
/// UTC (a day bucket starts at midnight UTC).
pub fn bucket_start(timestamp_ms: i64, bucket_ms: i64) -> i64 {
    timestamp_ms.div_euclid(bucket_ms) * bucket_ms
}

/// Matches counted per bucket and outcome over a window of buckets.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Histogram {
    pub bucket_ms: i64,
    /// Start of the first bucket shown.
    pub start_ms: i64,
    /// One entry per bucket, indexed by [`Outcome::index`].
    pub counts: Vec<[u32; 5]>,
    /// The first and last match's times, over every match.
    pub span: Option<(i64, i64)>,
    /// Matches outside the window (older or newer than it shows).
    pub outside: u64,
}

impl Histogram {
    /// The bucket of `timestamp_ms` within the window, if shown.
    pub fn column_of(&self, timestamp_ms: i64) -> Option<usize> {
        let offset = bucket_start(timestamp_ms, self.bucket_ms) - self.start_ms;
        (offset >= 0)
            .then(|| (offset / self.bucket_ms) as usize)
            .filter(|c| *c < self.counts.len())
    }

    pub fn tallest(&self) -> u32 {
        self.counts
            .iter()
            .map(|c| c.iter().sum::<u32>())
            .max()
            .unwrap_or(0)
    }
}

/// Counts `matches` (time, type) into `columns` buckets. The window ends
/// at the newest match's bucket, unless `focus_ms` (the selected record's
/// time) would fall off its left edge: then it starts a little before the
/// focus, so the selection stays in sight.
pub fn count(
    matches: impl Iterator<Item = (i64, Option<LogEventType>)> + Clone,
    columns: usize,
    chosen: Option<usize>,
    focus_ms: Option<i64>,
) -> Histogram {
    let columns = columns.max(1);
    let span = matches
        .clone()
        .fold(None, |span: Option<(i64, i64)>, (t, _)| {
            Some(span.map_or((t, t), |(lo, hi)| (lo.min(t), hi.max(t))))
        });
    let Some((first, last)) = span else {
        return Histogram {
            bucket_ms: BUCKETS_MS[bucket_index(0, columns, chosen)],
            ..Histogram::default()
        };
    };
    let bucket_ms = BUCKETS_MS[bucket_index(last - first, columns, chosen)];
    let newest = bucket_start(last, bucket_ms);
    let mut start_ms = newest - (columns as i64 - 1) * bucket_ms;
    start_ms = start_ms.max(bucket_start(first, bucket_ms));
    if let Some(focus) = focus_ms
        && bucket_start(focus, bucket_ms) < start_ms
    {
        // A quarter of the window before the focus, for context.
        let lead = (columns as i64 / 4) * bucket_ms;
        start_ms = bucket_start(focus, bucket_ms) - lead;
        start_ms = start_ms.max(bucket_start(first, bucket_ms));
    }
    let shown = ((newest - start_ms) / bucket_ms + 1).clamp(1, columns as i64) as usize;
    let mut counts = vec![[0u32; 5]; shown];
    let mut outside = 0;
    for (t, event) in matches {
        let offset = bucket_start(t, bucket_ms) - start_ms;
        match usize::try_from(offset / bucket_ms) {
            Ok(column) if offset >= 0 && column < shown => {
                let cell = &mut counts[column][Outcome::of(event).index()];
                *cell = cell.saturating_add(1);
            }
            _ => outside += 1,
        }
    }
    Histogram {
        bucket_ms,
        start_ms,
        counts,
        span: Some((first, last)),
        outside,
    }
}

/// The strip's counts as last worked out, and for what: counting is a
/// pass over every match (5 ms at 500,000), too slow for every frame, so
/// the reducer keeps the result and the screen only draws it.
#[derive(Clone, Debug)]
pub struct Strip {
    key: StripKey,
    pub histogram: Histogram,
    counted_ms: i64,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct StripKey {
    domain: usize,
    generation: u64,
    match_version: u64,
    columns: usize,
    bucket: Option<usize>,
    focus_ms: Option<i64>,
}

/// Matches above which records streaming in are counted at most once a
/// second (a tick), not after every batch.
const COUNT_EVERY_BATCH_BELOW: usize = 50_000;

/// After every action: the strip counted again when what it shows has
/// changed. While a large store fills, the count waits for the clock to
/// move (once a second) so an ingest is not slowed by a pass per batch;
/// any other change (filter, bucket size, selection, size) counts at once.
pub(super) fn refresh(state: &mut AppState) {
    let logs = &mut state.logs;
    let (true, Some(view)) = (logs.histogram.shown, logs.domains.get(logs.current)) else {
        logs.strip = None;
        return;
    };
    let store = &view.store;
    let focus_ms = view
        .cursor
        .selected_in(store.match_count())
        .and_then(|i| store.match_at(i))
        .map(|r| r.timestamp_ms);
    let key = StripKey {
        domain: logs.current,
        generation: store.generation(),
        match_version: store.match_version(),
        columns: state.geometry.histogram_columns,
        bucket: logs.histogram.bucket,
        focus_ms,
    };
    if let Some(strip) = &logs.strip {
        // Records streaming in move a following cursor as well.
        let only_new_records = StripKey {
            match_version: key.match_version,
            focus_ms: key.focus_ms,
            ..strip.key
        } == key
            && strip.key.match_version != key.match_version;
        if strip.key == key
            || (only_new_records
                && store.match_count() >= COUNT_EVERY_BATCH_BELOW
                && strip.counted_ms == state.now_ms)
        {
            return;
        }
    }
    logs.strip = Some(Strip {
        key,
        histogram: count(store.match_times(), key.columns, key.bucket, focus_ms),
        counted_ms: state.now_ms,
    });
    state.dirty = true;
}

/// `i`, `+`/`-`, `{`/`}` in the logs pane.
pub(super) fn key(state: &mut AppState, action: KeyAction) {
    let columns = state.geometry.histogram_columns;
    let height = state.geometry.viewports.logs;
    let options = &mut state.logs.histogram;
    match action {
        KeyAction::ToggleHistogram => {
            options.shown = !options.shown;
            options.bucket = None;
        }
        KeyAction::ZoomHistogram(step) if options.shown => {
            let current = match options.bucket {
                Some(index) => index,
                None => {
                    let Some(view) = state.logs.current() else {
                        return;
                    };
                    let shown = count(view.store.match_times(), columns, None, None);
                    BUCKETS_MS
                        .iter()
                        .position(|b| *b == shown.bucket_ms)
                        .unwrap_or(0)
                }
            };
            state.logs.histogram.bucket = Some(step_bucket(current, step));
        }
        KeyAction::JumpBucket(step) => {
            let chosen = options.bucket;
            let Some(view) = state.logs.current_mut() else {
                return;
            };
            let len = view.store.match_count();
            let Some(selected) = view.cursor.selected_in(len) else {
                return;
            };
            let times = view.store.match_times();
            let histogram = count(times.clone(), columns, chosen, None);
            let Some(here) = view
                .store
                .match_at(selected)
                .map(|r| bucket_start(r.timestamp_ms, histogram.bucket_ms))
            else {
                return;
            };
            if let Some(position) = neighbour_bucket(times, histogram.bucket_ms, here, step) {
                view.follow = false;
                view.cursor.selected = position;
                view.cursor.top = view.cursor.window_top(len, height);
            }
        }
        _ => {}
    }
}

/// The first match of the nearest non-empty bucket before (`step < 0`) or
/// after `here`, by time: matches arrive roughly, not strictly, in time
/// order, so the whole list is looked at.
fn neighbour_bucket(
    times: impl Iterator<Item = (i64, Option<LogEventType>)>,
    bucket_ms: i64,
    here: i64,
    step: isize,
) -> Option<usize> {
    let mut best: Option<(i64, usize)> = None;
    for (position, (t, _)) in times.enumerate() {
        let bucket = bucket_start(t, bucket_ms);
        let nearer = match best {
            None => true,
            Some((b, _)) if step < 0 => bucket > b,
            Some((b, _)) => bucket < b,
        };
        let beyond = if step < 0 {
            bucket < here
        } else {
            bucket > here
        };
        if beyond && nearer {
            best = Some((bucket, position));
        }
    }
    best.map(|(_, position)| position)
}

#[cfg(test)]
mod tests {
    use super::*;
    use LogEventType as T;

    fn at(seconds: i64, event: LogEventType) -> (i64, Option<LogEventType>) {
        (1_780_000_000_000 + seconds * 1000, Some(event))
    }

    #[test]
    fn outcomes_group_the_documented_types() {
        for t in LogEventType::KNOWN {
            let outcome = Outcome::of(Some(t));
            let expected = match t {
                T::Delivered | T::Opened | T::Clicked => Outcome::Delivered,
                T::Deferred | T::TemporaryFail => Outcome::Deferred,
                T::Bounced | T::Failed | T::PermanentFail => Outcome::Bounced,
                T::Unsubscribed => Outcome::Complaint,
                _ => Outcome::Other,
            };
            assert_eq!(outcome, expected, "{t:?}");
        }
        assert_eq!(Outcome::of(None), Outcome::Other);
    }

    #[test]
    fn the_bucket_fits_the_span_unless_one_is_chosen() {
        // Ten minutes in 60 columns: 10 s buckets give 60, one too many.
        assert_eq!(BUCKETS_MS[bucket_index(10 * MINUTE, 60, None)], 15 * SECOND);
        assert_eq!(BUCKETS_MS[bucket_index(10 * MINUTE, 61, None)], 10 * SECOND);
        assert_eq!(BUCKETS_MS[bucket_index(0, 60, None)], SECOND);
        assert_eq!(BUCKETS_MS[bucket_index(400 * DAY, 60, None)], DAY);
        assert_eq!(
            BUCKETS_MS[bucket_index(10 * MINUTE, 60, Some(5))],
            30 * SECOND
        );
        assert_eq!(
            BUCKETS_MS[bucket_index(400 * DAY, 60, Some(5))],
            30 * SECOND
        );
        assert_eq!(BUCKETS_MS[bucket_index(0, 60, Some(99))], DAY);
        assert_eq!(step_bucket(4, -2), 2);
        assert_eq!(step_bucket(0, -1), 0);
        assert_eq!(step_bucket(BUCKETS_MS.len() - 1, 1), BUCKETS_MS.len() - 1);
        assert_eq!(bucket_label(15 * SECOND), "15s");
        assert_eq!(bucket_label(2 * HOUR), "2h");
        assert_eq!(bucket_label(DAY), "1d");
    }

    #[test]
    fn matches_are_counted_by_bucket_and_outcome() {
        let matches = [
            at(0, T::Delivered),
            at(1, T::Opened),
            at(1, T::Bounced),
            at(3, T::Deferred),
            // Out of order, as a resumed stream may deliver them.
            at(2, T::Unsubscribed),
            at(3, T::Queued),
        ];
        let h = count(matches.iter().copied(), 10, None, None);
        assert_eq!(h.bucket_ms, SECOND);
        assert_eq!(h.counts.len(), 4);
        assert_eq!(h.counts[0], [1, 0, 0, 0, 0]);
        assert_eq!(h.counts[1], [1, 0, 1, 0, 0]);
        assert_eq!(h.counts[2], [0, 0, 0, 1, 0]);
        assert_eq!(h.counts[3], [0, 1, 0, 0, 1]);
        assert_eq!(h.tallest(), 2);
        assert_eq!(h.outside, 0);
        assert_eq!(h.column_of(at(2, T::Queued).0), Some(2));
        assert_eq!(h.column_of(at(9, T::Queued).0), None);
    }

    #[test]
    fn a_long_span_at_a_small_bucket_shows_the_newest_or_the_focus() {
        // 100 s of records, one a second, in 10 columns of 1 s buckets.
        let matches: Vec<_> = (0..100).map(|s| at(s, T::Delivered)).collect();
        let h = count(matches.iter().copied(), 10, Some(0), None);
        assert_eq!((h.bucket_ms, h.counts.len(), h.outside), (SECOND, 10, 90));
        assert_eq!(h.column_of(at(99, T::Queued).0), Some(9));
        // The selection at 30 s: the window moves back to show it.
        let h = count(
            matches.iter().copied(),
            10,
            Some(0),
            Some(at(30, T::Queued).0),
        );
        assert_eq!(h.column_of(at(30, T::Queued).0), Some(2));
        assert_eq!(h.counts.iter().map(|c| c[0]).sum::<u32>(), 10);
    }

    #[test]
    fn jumps_go_to_the_first_match_of_the_nearest_bucket() {
        let matches = [
            at(0, T::Delivered),
            at(10, T::Delivered),
            at(11, T::Delivered),
            at(40, T::Delivered),
            // Late arrival of an older record: its bucket is the 10 s one.
            at(12, T::Bounced),
        ];
        let times = || matches.iter().copied();
        let bucket = 10 * SECOND;
        let here = bucket_start(at(11, T::Queued).0, bucket);
        assert_eq!(neighbour_bucket(times(), bucket, here, 1), Some(3));
        assert_eq!(neighbour_bucket(times(), bucket, here, -1), Some(0));
        let last = bucket_start(at(40, T::Queued).0, bucket);
        assert_eq!(neighbour_bucket(times(), bucket, last, 1), None);
        assert_eq!(neighbour_bucket(times(), bucket, last, -1), Some(1));
    }

    #[test]
    fn no_matches_no_bars() {
        let h = count(std::iter::empty(), 40, None, None);
        assert!(h.counts.is_empty());
        assert_eq!(h.span, None);
        assert_eq!(h.tallest(), 0);
    }
}
