//! The delivery fields the table shows beside a record's compact ones,
//! read from its hot text.

use std::borrow::Cow;

use super::LogStore;
use super::top::{Detail, detail_field};

/// A held record's SMTP response and IP.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Delivery<'a> {
    /// Joined to its group when the record keeps only what follows it.
    pub smtp_response: Option<Cow<'a, str>>,
    pub ip: Option<&'a str>,
}

impl LogStore {
    /// The SMTP response and IP of the record `seq`, for the visible rows
    /// only.
    pub fn delivery(&self, seq: u64) -> Option<Delivery<'_>> {
        let record = self.record(seq)?;
        let field = |detail| {
            let (head, tail) = detail_field(&self.arena, &self.strings, seq, record, detail)?;
            Some((head, std::str::from_utf8(tail).ok()?))
        };
        Some(Delivery {
            smtp_response: field(Detail::Smtp).map(|(head, tail)| match head {
                "" => Cow::Borrowed(tail),
                head => Cow::Owned([head, tail].concat()),
            }),
            ip: field(Detail::Ip).map(|(_, ip)| ip),
        })
    }
}
