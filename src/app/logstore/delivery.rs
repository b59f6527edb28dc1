//! The delivery fields the table shows beside a record's compact ones,
//! read from its detail text without allocating.

use super::LogStore;
use crate::model::log::store_ready::{HAS_IP, HAS_SMTP, SEPARATOR};

/// A held record's SMTP response and IP, borrowed from the arena.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Delivery<'a> {
    pub smtp_response: Option<&'a str>,
    pub ip: Option<&'a str>,
}

impl LogStore {
    /// The SMTP response and IP of the record `seq`, for the visible rows
    /// only: a few fields of its detail text, read in place (the order is
    /// [`LogStore::full_record`]'s: id, message id, SMTP response, IP).
    pub fn delivery(&self, seq: u64) -> Option<Delivery<'_>> {
        let record = self.record(seq)?;
        let mut cold = self.arena.details(record).split(SEPARATOR).skip(2);
        let smtp = cold.next().unwrap_or("");
        let ip = cold.next().unwrap_or("");
        Some(Delivery {
            smtp_response: (record.flags & HAS_SMTP != 0).then_some(smtp),
            ip: (record.flags & HAS_IP != 0).then_some(ip),
        })
    }
}
