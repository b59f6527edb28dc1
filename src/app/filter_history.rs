//! The filters applied to each domain, newest last: what ↑ and ↓ walk in
//! the filter bar. Kept for the session and, through the dashboard, in a
//! file in the state directory across runs.

use std::collections::BTreeMap;

use crate::sanitize::clean;

/// Filters kept per domain; the oldest go first.
pub const MAX_PER_DOMAIN: usize = 50;
/// Longest filter kept: a pasted page is not history.
const MAX_FILTER_BYTES: usize = 1024;

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FilterHistory {
    by_domain: BTreeMap<String, Vec<String>>,
}

impl FilterHistory {
    /// Remembers `filter` as the newest for `domain`; one applied before
    /// moves to the end rather than standing twice.
    pub fn record(&mut self, domain: &str, filter: &str) {
        let filter = filter.trim();
        if filter.is_empty() || filter.len() > MAX_FILTER_BYTES {
            return;
        }
        let entries = self.by_domain.entry(domain.to_string()).or_default();
        entries.retain(|f| f != filter);
        entries.push(filter.to_string());
        if entries.len() > MAX_PER_DOMAIN {
            entries.remove(0);
        }
    }

    /// `domain`'s filters, oldest first.
    pub fn entries(&self, domain: &str) -> &[String] {
        self.by_domain.get(domain).map_or(&[], Vec::as_slice)
    }

    /// The file's text: a `domain<TAB>filter` line per entry, oldest first.
    pub fn to_text(&self) -> String {
        let mut text = String::new();
        for (domain, entries) in &self.by_domain {
            for filter in entries {
                text.push_str(domain);
                text.push('\t');
                text.push_str(filter);
                text.push('\n');
            }
        }
        text
    }

    /// Reads the file's text. The file is ours, but a person may have
    /// edited it: a line that is not `domain<TAB>filter` is skipped, and
    /// what is kept is made safe for the screen.
    pub fn from_text(text: &str) -> FilterHistory {
        let mut history = FilterHistory::default();
        for line in text.lines() {
            if let Some((domain, filter)) = line.split_once('\t')
                && !domain.is_empty()
                && clean(domain) == domain
            {
                history.record(domain, &clean(filter));
            }
        }
        history
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn newest_last_no_repeats_capped() {
        let mut h = FilterHistory::default();
        h.record("a.io", "type:bounced");
        h.record("a.io", " from:x@a.io ");
        h.record("a.io", "type:bounced");
        h.record("a.io", "");
        h.record("b.io", "since:1h");
        assert_eq!(h.entries("a.io"), ["from:x@a.io", "type:bounced"]);
        assert_eq!(h.entries("b.io"), ["since:1h"]);
        assert!(h.entries("c.io").is_empty());
        for i in 0..60 {
            h.record("a.io", &format!("subject:{i}"));
        }
        assert_eq!(h.entries("a.io").len(), MAX_PER_DOMAIN);
        assert_eq!(
            h.entries("a.io").last().map(String::as_str),
            Some("subject:59")
        );
    }

    #[test]
    fn the_file_round_trips_and_bad_lines_are_skipped() {
        let mut h = FilterHistory::default();
        h.record("a.io", "type:bounced since:15m");
        h.record("b.io", "subject:\"weekly digest\"");
        assert_eq!(FilterHistory::from_text(&h.to_text()), h);
        let read = FilterHistory::from_text("no tab here\n\tempty domain\na.io\tto:x\u{1b}[2J\n");
        assert_eq!(read.entries("a.io").len(), 1);
        assert!(!read.entries("a.io")[0].contains('\u{1b}'));
        assert!(read.entries("").is_empty());
    }
}
