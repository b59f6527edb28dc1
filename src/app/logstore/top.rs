//! The top-values counts ([`crate::app::top_values`]) kept by the store:
//! for one field, how many of the current matches hold each value. Matches
//! that arrived since the last look are counted when the counts are next
//! read, evicted matches are taken off as they leave (their text is still
//! there then), and a new filter has them counted again from the start.
//! Only one field is counted, and only while the panel asks: closing it
//! drops the counts, so the ingest pays nothing for the panel shut.

use std::collections::HashMap;
use std::hash::BuildHasher;
use std::sync::OnceLock;

use super::codes::type_of_code;
use super::interner::{Interner, StrId};
use super::record::CompactRecord;
use super::{LogStore, TYPE_CODES};
use crate::app::top_values::{TopField, TopRow, TopValues, type_label};
use crate::model::log::store_ready::SEPARATOR;

type Hasher = foldhash::fast::FixedState;

fn hasher() -> Hasher {
    static STATE: OnceLock<Hasher> = OnceLock::new();
    STATE
        .get_or_init(|| Hasher::with_seed(foldhash::fast::RandomState::default().hash_one(0u64)))
        .clone()
}

/// Counts of one field over the matches with a sequence number below
/// `next_seq`.
#[derive(Debug)]
pub(super) struct TopCounts {
    field: TopField,
    /// False after a filter change: count again from the start.
    pub(super) valid: bool,
    next_seq: u64,
    counted: usize,
    /// Every field but the event type: by string id.
    by_id: Vec<u32>,
    by_code: [u32; TYPE_CODES],
    without: usize,
    /// The last list and its length limit, until a count changes: the
    /// reducer asks after every action, most of which change nothing.
    listed: Option<(usize, TopValues)>,
}

impl TopCounts {
    fn new(field: TopField) -> TopCounts {
        TopCounts {
            field,
            valid: false,
            next_seq: 0,
            counted: 0,
            by_id: Vec::new(),
            by_code: [0; TYPE_CODES],
            without: 0,
            listed: None,
        }
    }

    fn reset(&mut self, first_seq: u64) {
        self.valid = true;
        self.next_seq = first_seq;
        self.counted = 0;
        self.by_id.clear();
        self.by_code = [0; TYPE_CODES];
        self.without = 0;
        self.listed = None;
    }

    /// Counts `record` in (`add`) or takes it off.
    fn count(&mut self, record: &CompactRecord, strings: &Interner, add: bool) {
        self.listed = None;
        if add {
            self.counted += 1;
        } else {
            self.counted -= 1;
        }
        let profile = || strings.profile(record.profile);
        let id = match self.field {
            TopField::EventType => {
                bump(&mut self.by_code[usize::from(record.event)], add);
                return;
            }
            TopField::Sender => profile().sender,
            TopField::Subject => record.subject,
            TopField::Tag => profile().tags,
            TopField::Smtp => profile().smtp_group,
            TopField::RecipientDomain => profile().recipient_domain,
            TopField::Ip => record.ip,
        };
        if id == StrId::MAX {
            if add {
                self.without += 1;
            } else {
                self.without -= 1;
            }
            return;
        }
        let index = id as usize;
        if index >= self.by_id.len() {
            self.by_id.resize(index + 1, 0);
        }
        bump(&mut self.by_id[index], add);
    }

    /// The counts as the panel lists them: `limit` values, most first.
    fn list(&self, strings: &Interner, limit: usize) -> TopValues {
        let mut folded: HashMap<String, usize, Hasher> = HashMap::with_hasher(hasher());
        let mut all: Vec<(&str, usize)> = Vec::new();
        let mut without = self.without;
        match self.field {
            TopField::Sender | TopField::Subject | TopField::Smtp | TopField::Ip => {
                for (id, n) in self.by_id.iter().enumerate().filter(|(_, n)| **n > 0) {
                    match strings.get(id as StrId) {
                        // An empty value is no value (`"ip": ""`): counted
                        // with the records that lack the field, as an
                        // empty tag set is, not listed as a blank row.
                        "" => without += *n as usize,
                        value => all.push((value, *n as usize)),
                    }
                }
            }
            TopField::Tag => {
                let mut tags: HashMap<&str, usize, Hasher> = HashMap::with_hasher(hasher());
                for (id, n) in self.by_id.iter().enumerate().filter(|(_, n)| **n > 0) {
                    let set = strings.get(id as StrId);
                    let mut any = false;
                    for tag in set.split(SEPARATOR).filter(|t| !t.is_empty()) {
                        *tags.entry(tag).or_default() += *n as usize;
                        any = true;
                    }
                    if !any {
                        without += *n as usize;
                    }
                }
                all.extend(tags);
            }
            TopField::EventType => all.extend(
                self.by_code
                    .iter()
                    .enumerate()
                    .filter(|(_, n)| **n > 0)
                    .map(|(code, n)| (type_label(type_of_code(code as u8)), *n as usize)),
            ),
            TopField::RecipientDomain => {
                // Domains are kept ASCII-lowercased; other capitals are
                // folded here, where two spellings count as one.
                for (id, n) in self.by_id.iter().enumerate().filter(|(_, n)| **n > 0) {
                    let domain = strings.get(id as StrId);
                    if domain.is_empty() {
                        without += *n as usize;
                    } else if domain.is_ascii() {
                        all.push((domain, *n as usize));
                    } else {
                        *folded.entry(domain.to_lowercase()).or_default() += *n as usize;
                    }
                }
                all.extend(folded.iter().map(|(k, n)| (k.as_str(), *n)));
            }
        }
        let order = |a: &(&str, usize), b: &(&str, usize)| b.1.cmp(&a.1).then(a.0.cmp(b.0));
        if all.len() > limit && limit > 0 {
            all.select_nth_unstable_by(limit - 1, order);
        }
        let rest = all.split_off(limit.min(all.len()));
        all.sort_unstable_by(order);
        TopValues {
            field: self.field,
            matches: self.counted,
            rows: all
                .into_iter()
                .map(|(value, count)| TopRow {
                    value: value.to_string(),
                    count,
                })
                .collect(),
            other_values: rest.len(),
            other_count: rest.iter().map(|(_, n)| n).sum(),
            without,
        }
    }
}

fn bump(n: &mut u32, add: bool) {
    if add {
        *n += 1;
    } else {
        *n -= 1;
    }
}

impl LogStore {
    /// The top `limit` values of `field` over the current matches. Counts
    /// the matches added since the last call; the first call for a field,
    /// or the first after a filter change, counts every match.
    pub fn top_values(&mut self, field: TopField, limit: usize) -> TopValues {
        let held = self.held();
        let top = self.top.get_or_insert_with(|| TopCounts::new(field));
        if top.field != field {
            *top = TopCounts::new(field);
        }
        if !top.valid {
            top.reset(self.first_seq);
        }
        let from = self.matches.position(top.next_seq, &held);
        for seq in self.matches.seqs_from(from, &held) {
            if let Some(record) = self.records.get((seq - self.first_seq) as usize) {
                top.count(record, &self.strings, true);
            }
        }
        top.next_seq = self.first_seq + self.records.len() as u64;
        match &top.listed {
            Some((listed_limit, values)) if *listed_limit == limit => values.clone(),
            _ => {
                let values = top.list(&self.strings, limit);
                top.listed = Some((limit, values.clone()));
                values
            }
        }
    }

    /// Stops counting (the panel is closed).
    pub fn stop_top_values(&mut self) {
        self.top = None;
    }

    /// The filter's matches changed wholesale: count again when next asked.
    pub(super) fn top_filter_changed(&mut self) {
        if let Some(top) = &mut self.top {
            top.valid = false;
        }
    }

    /// Before the `n` oldest records go: takes the counted matches among
    /// them off the counts.
    pub(super) fn top_evict(&mut self, n: usize) {
        let held = self.held();
        let Some(top) = &mut self.top else { return };
        if !top.valid {
            return;
        }
        let end = (self.first_seq + n as u64).min(top.next_seq);
        for seq in self.matches.seqs_from(0, &held) {
            if seq >= end {
                break;
            }
            if let Some(record) = seq
                .checked_sub(self.first_seq)
                .and_then(|i| self.records.get(i as usize))
            {
                top.count(record, &self.strings, false);
            }
        }
    }
}
