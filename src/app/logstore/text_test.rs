//! One text term of a compiled filter: its needles, a verdict per
//! interned string, and the records whose recipient holds a needle.
//!
//! The store keeps a recipient in two parts: through its last `@` in the
//! recipients column, and its domain as an interned string. A needle lies
//! in the first part (found by a sweep of the column), or in the domain
//! (a verdict per domain, as for any string), or runs from one into the
//! other: then it has an `@`, and what comes after its last one starts
//! the domain ([`JoinNeedle`]).

use memchr::memmem::Finder;

use super::arena::Arena;
use super::hits::RecordHits;
use super::interner::{Interner, StrId};
use super::recipients::RecipientColumn;
use super::record::CompactRecord;
use crate::app::filter::{contains_ci, contains_ci_split};
use crate::charmask::{char_mask, narrow_char_mask, narrow_mask_decides};
use crate::model::log::store_ready::RECIPIENT_END;

pub(super) const UNKNOWN: u8 = 0;
const NO: u8 = 1;
const YES: u8 = 2;

/// One text term: its alternatives and a verdict per string id.
#[derive(Debug)]
pub(super) struct TextTest {
    pub(super) needles: Vec<Needle>,
    pub(super) verdicts: Vec<u8>,
    /// The records whose recipient holds a needle, found in one sweep of
    /// the [`RecipientColumn`] in a pass over many records.
    pub(super) recipients: Option<RecordHits>,
    /// Sweep the recipients from this record on when the pass first needs
    /// one: a free word in every sender never does.
    pub(super) sweep_from: Option<u64>,
    /// Some needle is [`Needle::recipient_exact`].
    pub(super) recipient_exact: bool,
    /// The needles that may run across a recipient's last `@`.
    joins: Vec<JoinNeedle>,
}

/// A needle with an `@` before its last character: it is in a recipient
/// whose part through the `@` ends with `head` and whose domain starts
/// with `tail` (or wholly in the first part, which the sweep finds).
#[derive(Debug)]
struct JoinNeedle {
    /// Through the needle's last `@`.
    head: Vec<u8>,
    /// What follows it: not empty, without `@`, as a domain may start.
    tail: String,
    /// From a sweep: the records whose part through the `@` ends with
    /// `head`. None for a head of `@` alone, which every such part ends
    /// with.
    heads: Option<RecordHits>,
    /// Per domain id: whether it starts with `tail`.
    starts: Vec<u8>,
}

impl JoinNeedle {
    fn of(needle: &Needle) -> Option<JoinNeedle> {
        let at = needle.lower.rfind('@')?;
        let (head, tail) = needle.lower.split_at(at + 1);
        (needle.lower.is_ascii() && !tail.is_empty()).then(|| JoinNeedle {
            head: head.as_bytes().to_vec(),
            tail: tail.to_string(),
            heads: None,
            starts: Vec::new(),
        })
    }

    /// Whether swept record `seq`, whose domain is `domain`, holds it.
    fn test(&mut self, seq: u64, domain: StrId, strings: &Interner) -> bool {
        let head = self
            .heads
            .as_ref()
            .is_none_or(|hits| hits.get(seq) == Some(true));
        head && {
            let index = domain as usize;
            if index >= self.starts.len() {
                self.starts
                    .resize(strings.id_bound().max(index + 1), UNKNOWN);
            }
            if self.starts[index] == UNKNOWN {
                let text = strings.get(domain).as_bytes();
                let starts = text.len() >= self.tail.len()
                    && text[..self.tail.len()].eq_ignore_ascii_case(self.tail.as_bytes());
                self.starts[index] = if starts { YES } else { NO };
            }
            self.starts[index] == YES
        }
    }

    fn sweep(&mut self, column: &RecipientColumn, from_seq: u64) {
        self.heads = (self.head != b"@").then(|| {
            let ends = [self.head.as_slice(), &[RECIPIENT_END]].concat();
            column.find(&[Finder::new(&ends).into_owned()], from_seq)
        });
    }
}

/// One alternative of a text term, and what a string must hold for it to
/// be in it.
#[derive(Debug)]
pub(super) struct Needle {
    /// Lowercased, as [`contains_ci`] takes it.
    pub(super) lower: String,
    /// Every character's bit of [`char_mask`] (none for a non-ASCII needle:
    /// a non-ASCII character may lowercase to an ASCII one).
    pub(super) mask: u64,
    /// The mask alone decides: a needle of one letter or digit.
    pub(super) exact: bool,
    /// Every character's bit of [`narrow_char_mask`], which a record keeps
    /// of its recipient (none for a non-ASCII needle).
    pub(super) recipient_mask: u32,
    /// The narrow mask alone decides: a needle of one letter.
    pub(super) recipient_exact: bool,
    /// Finds an ASCII needle the narrow mask does not decide in the
    /// lowercased [`RecipientColumn`].
    pub(super) finder: Option<Finder<'static>>,
}

impl Needle {
    pub(super) fn new(value: &str) -> Needle {
        let lower = value.to_lowercase();
        let ascii = lower.is_ascii();
        let (mask, exact, recipient_mask, recipient_exact) = if ascii {
            (
                char_mask(&lower),
                lower.len() == 1 && lower.as_bytes()[0].is_ascii_alphanumeric(),
                narrow_char_mask(&lower),
                narrow_mask_decides(&lower),
            )
        } else {
            (0, false, 0, false)
        };
        let finder = (ascii && !recipient_exact && !lower.is_empty())
            .then(|| Finder::new(lower.as_bytes()).into_owned());
        Needle {
            lower,
            mask,
            exact,
            recipient_mask,
            recipient_exact,
            finder,
        }
    }
}

impl TextTest {
    pub(super) fn new(needles: Vec<Needle>) -> TextTest {
        TextTest {
            recipient_exact: needles.iter().any(|n| n.recipient_exact),
            joins: needles.iter().filter_map(JoinNeedle::of).collect(),
            needles,
            verdicts: Vec::new(),
            recipients: None,
            sweep_from: None,
        }
    }

    /// `id` now names a different string: forget what was decided for it.
    pub(super) fn forget(&mut self, id: StrId) {
        if let Some(verdict) = self.verdicts.get_mut(id as usize) {
            *verdict = UNKNOWN;
        }
        for join in &mut self.joins {
            if let Some(verdict) = join.starts.get_mut(id as usize) {
                *verdict = UNKNOWN;
            }
        }
    }

    /// The store was cleared: verdicts name strings that are gone, and
    /// sweeps records that are.
    pub(super) fn clear(&mut self) {
        self.verdicts.clear();
        self.recipients = None;
        self.sweep_from = None;
        for join in &mut self.joins {
            join.heads = None;
            join.starts.clear();
        }
    }

    #[inline]
    pub(super) fn test(&mut self, id: StrId, strings: &Interner) -> bool {
        // Decided before (every held string is, after a sweep): no call.
        match self.verdicts.get(id as usize) {
            Some(&YES) => true,
            Some(&NO) => false,
            _ => self.decide(id, strings),
        }
    }

    #[cold]
    fn decide(&mut self, id: StrId, strings: &Interner) -> bool {
        let index = id as usize;
        if index >= self.verdicts.len() {
            self.verdicts
                .resize(strings.id_bound().max(index + 1), UNKNOWN);
        }
        match self.verdicts[index] {
            YES => true,
            NO => false,
            _ => {
                let hit = self.test_text(strings.mask(id), strings.get(id));
                self.verdicts[index] = if hit { YES } else { NO };
                hit
            }
        }
    }

    /// Decides every held string at once, before a pass over many records:
    /// the pass then only looks verdicts up.
    pub(super) fn decide_all(&mut self, strings: &Interner) {
        self.verdicts.resize(strings.id_bound(), UNKNOWN);
        for index in 0..self.verdicts.len() {
            if self.verdicts[index] == UNKNOWN {
                let id = index as StrId;
                let hit = self.test_text(strings.mask(id), strings.get(id));
                self.verdicts[index] = if hit { YES } else { NO };
            }
        }
    }

    /// Whether record `seq`'s recipient holds a needle: from the sweep of
    /// the recipient column when it covered the record, and its domain;
    /// else from its text.
    #[inline]
    pub(super) fn test_recipient(
        &mut self,
        seq: u64,
        record: &CompactRecord,
        arena: &Arena,
        strings: &Interner,
    ) -> bool {
        if let Some(from_seq) = self.sweep_from {
            self.start_sweep(&arena.recipients, from_seq);
        }
        match self.recipients.as_ref().and_then(|hits| hits.get(seq)) {
            Some(true) => true,
            // One-letter needles are not swept: the mask decides them.
            Some(false) => {
                (self.recipient_exact && self.test_exact(record.recipient_mask))
                    || self.test_domain(
                        seq,
                        strings.profile(record.profile).recipient_domain,
                        strings,
                    )
            }
            None => self.test_recipient_text(record.recipient_mask, || {
                arena.recipient_parts(seq, record, strings)
            }),
        }
    }

    /// Whether a needle lies in swept record `seq`'s domain, or runs into
    /// it across the `@`.
    #[inline]
    fn test_domain(&mut self, seq: u64, domain: StrId, strings: &Interner) -> bool {
        domain != StrId::MAX
            && (self.test(domain, strings)
                || self
                    .joins
                    .iter_mut()
                    .any(|join| join.test(seq, domain, strings)))
    }

    #[cold]
    fn start_sweep(&mut self, column: &RecipientColumn, from_seq: u64) {
        self.sweep_from = None;
        self.sweep_recipients(column, from_seq);
    }

    /// Whether a recipient whose [`narrow_char_mask`] is `mask` holds a
    /// one-letter needle.
    fn test_exact(&self, mask: u32) -> bool {
        self.needles
            .iter()
            .any(|needle| needle.recipient_exact && needle.recipient_mask & !mask == 0)
    }

    /// Sweeps the recipient column for this term's needles, when each is
    /// one the sweep answers exactly (ASCII) and one needs the text.
    fn sweep_recipients(&mut self, column: &RecipientColumn, from_seq: u64) {
        let ascii = self
            .needles
            .iter()
            .all(|n| n.recipient_exact || n.finder.is_some());
        let finders: Vec<Finder<'static>> = self
            .needles
            .iter()
            .filter_map(|n| n.finder.clone())
            .collect();
        self.recipients = (ascii && !finders.is_empty()).then(|| column.find(&finders, from_seq));
        if self.recipients.is_some() {
            for join in &mut self.joins {
                join.sweep(column, from_seq);
            }
        }
    }

    /// Whether `text`, whose [`char_mask`] is `mask`, holds a needle.
    fn test_text(&self, mask: u64, text: &str) -> bool {
        self.needles.iter().any(|needle| {
            needle.mask & !mask == 0 && (needle.exact || contains_ci(text, &needle.lower))
        })
    }

    /// Whether a recipient, whose [`narrow_char_mask`] is `mask`, holds a
    /// needle. `parts` reads it (through its last `@`, then its domain)
    /// when the masks leave a needle to search for.
    fn test_recipient_text<'a>(
        &self,
        mask: u32,
        parts: impl FnOnce() -> (&'a str, &'a str),
    ) -> bool {
        let candidates = || {
            self.needles
                .iter()
                .filter(move |needle| needle.recipient_mask & !mask == 0)
        };
        if candidates().any(|needle| needle.recipient_exact) {
            return true;
        }
        if candidates().next().is_none() {
            return false;
        }
        let (local, domain) = parts();
        candidates().any(|needle| contains_ci_split(local, domain.as_bytes(), &needle.lower))
    }
}
