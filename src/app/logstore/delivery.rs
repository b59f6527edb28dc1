//! The delivery fields the table shows beside a record's compact ones,
//! read from its hot text without allocating.

use super::LogStore;

/// A held record's SMTP response and IP, borrowed from the arena.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Delivery<'a> {
    pub smtp_response: Option<&'a str>,
    pub ip: Option<&'a str>,
}

impl LogStore {
    /// The SMTP response and IP of the record `seq`, for the visible rows
    /// only, read in place from its hot text.
    pub fn delivery(&self, seq: u64) -> Option<Delivery<'_>> {
        let record = self.record(seq)?;
        let hot = self.arena.hot(seq, record);
        Some(Delivery {
            smtp_response: hot.smtp,
            ip: hot.ip,
        })
    }
}
