//! The delivery fields the table shows beside a record's compact ones:
//! the SMTP response, read from its hot text, and the IP.

use std::borrow::Cow;

use super::LogStore;
use super::arena::Arena;
use super::interner::{Interner, StrId};
use super::record::CompactRecord;
use crate::model::log::store_ready::{HAS_SMTP, HotEntry, SMTP_AFTER_GROUP};

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
        let smtp = smtp_field(&self.arena, &self.strings, seq, record)
            .and_then(|(head, tail)| Some((head, std::str::from_utf8(tail).ok()?)));
        Some(Delivery {
            smtp_response: smtp.map(|(head, tail)| match head {
                "" => Cow::Borrowed(tail),
                head => Cow::Owned([head, tail].concat()),
            }),
            ip: (record.ip != StrId::MAX).then(|| self.strings.get(record.ip)),
        })
    }
}

/// Record `seq`'s SMTP response, when it has one, as a head and a tail
/// that read as one text: one kept after its group ([`SMTP_AFTER_GROUP`])
/// has the group as its head, any other no head. The tail is the hot
/// entry's bytes, UTF-8 as it was written.
#[inline]
pub(super) fn smtp_field<'a>(
    arena: &'a Arena,
    strings: &'a Interner,
    seq: u64,
    record: &CompactRecord,
) -> Option<(&'a str, &'a [u8])> {
    let tail = arena.hot_field(seq, record, HotEntry::SMTP, HAS_SMTP)?;
    let group = strings.profile(record.profile).smtp_group;
    let head = if record.flags & SMTP_AFTER_GROUP != 0 && group != StrId::MAX {
        strings.get(group)
    } else {
        ""
    };
    Some((head, tail))
}
