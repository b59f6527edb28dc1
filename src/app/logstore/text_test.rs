//! One text term of a compiled filter: its needles, a verdict per
//! interned string, and the records whose recipient holds a needle.

use memchr::memmem::Finder;

use super::arena::Arena;
use super::hits::RecordHits;
use super::interner::{Interner, StrId};
use super::recipients::RecipientColumn;
use super::record::CompactRecord;
use crate::app::filter::contains_ci;
use crate::charmask::{char_mask, narrow_char_mask, narrow_mask_decides};

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
    /// the recipient column when it covered the record, else from its text.
    #[inline]
    pub(super) fn test_recipient(
        &mut self,
        seq: u64,
        record: &CompactRecord,
        arena: &Arena,
    ) -> bool {
        if let Some(from_seq) = self.sweep_from {
            self.start_sweep(&arena.recipients, from_seq);
        }
        match self.recipients.as_ref().and_then(|hits| hits.get(seq)) {
            Some(true) => true,
            // One-letter needles are not swept: the mask decides them.
            Some(false) => self.recipient_exact && self.test_exact(record.recipient_mask),
            None => self.test_recipient_text(record.recipient_mask, arena.recipient(seq, record)),
        }
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
    }

    /// Whether `text`, whose [`char_mask`] is `mask`, holds a needle.
    fn test_text(&self, mask: u64, text: &str) -> bool {
        self.needles.iter().any(|needle| {
            needle.mask & !mask == 0 && (needle.exact || contains_ci(text, &needle.lower))
        })
    }

    /// Whether a recipient, whose [`narrow_char_mask`] is `mask`, holds a
    /// needle.
    fn test_recipient_text(&self, mask: u32, recipient: &str) -> bool {
        self.needles.iter().any(|needle| {
            needle.recipient_mask & !mask == 0
                && (needle.recipient_exact || contains_ci(recipient, &needle.lower))
        })
    }
}
