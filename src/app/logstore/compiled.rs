//! A filter compiled against the store: its terms as tests on string ids,
//! event-type codes and timestamps, and whether one filter narrows another.

use std::collections::VecDeque;

use super::arena::Arena;
use super::codes::type_code;
use super::delivery::smtp_field;
use super::detail_sweep::DetailSweep;
use super::interner::{Interner, StrId};
use super::record::CompactRecord;
use super::text_test::{Needle, TextTest};
use crate::app::filter::{Filter, TermKind, TextField, contains_ci_split, ends_with_ci_split};

/// A filter turned into tests on interned ids (and, for recipients, on
/// the arena's text and each record's character mask).
#[derive(Debug, Default)]
pub(super) struct CompiledFilter {
    /// What it was compiled from.
    pub(super) source: Filter,
    terms: Vec<CompiledTerm>,
    pub(super) texts: Vec<TextTest>,
}

#[derive(Debug)]
struct CompiledTerm {
    negated: bool,
    test: Test,
}

impl CompiledTerm {
    /// Whether a record passing this term (of a filter with `texts`) must
    /// pass `other` (of a filter with `other_texts`).
    fn implies(&self, other: &CompiledTerm, texts: &[TextTest], other_texts: &[TextTest]) -> bool {
        if self.negated != other.negated {
            return false;
        }
        // For a negated pair the implication runs the other way round.
        let (narrow, wide, narrow_texts, wide_texts) = if self.negated {
            (&other.test, &self.test, other_texts, texts)
        } else {
            (&self.test, &other.test, texts, other_texts)
        };
        match (narrow, wide) {
            (Test::Types(n), Test::Types(w)) => n & !w == 0,
            (Test::Since(n), Test::Since(w)) => n >= w,
            (Test::Until(n), Test::Until(w)) => n <= w,
            // Ending with "@mail.gmail.com" implies ending with "@gmail.com".
            (Test::RecipientDomain(n), Test::RecipientDomain(w)) => n.iter().all(|n| {
                w.iter()
                    .any(|w| n.is_ascii() == w.is_ascii() && n.ends_with(w.as_str()))
            }),
            (Test::Smtp(n, _), Test::Smtp(w, _)) => {
                n.iter().all(|n| w.iter().any(|w| needle_implies(n, w)))
            }
            (Test::Text(n_field, n), Test::Text(w_field, w)) => {
                n_field == w_field
                    && narrow_texts[*n].needles.iter().all(|needle| {
                        wide_texts[*w]
                            .needles
                            .iter()
                            .any(|shorter| needle_implies(&needle.lower, &shorter.lower))
                    })
            }
            _ => false,
        }
    }
}

/// Whether record `seq`'s SMTP response holds one of `needles`, read
/// where it is. Not inlined into [`CompiledFilter::matches`]: there it
/// had the record's fields for it loaded for every record of every pass,
/// which made a `type:` pass over 500,000 records a tenth slower.
#[inline(never)]
fn smtp_holds(
    needles: &[String],
    seq: u64,
    record: &CompactRecord,
    (arena, strings): (&Arena, &Interner),
) -> bool {
    smtp_field(arena, strings, seq, record)
        .is_some_and(|(head, tail)| needles.iter().any(|n| contains_ci_split(head, tail, n)))
}

/// Whether text containing `needle` must contain `shorter`, as
/// [`contains_ci`](crate::app::filter::contains_ci) decides: true when one
/// holds the other, both compared the same way (ASCII needles byte by byte;
/// others on lowercased text, where a non-ASCII letter may lowercase to an
/// ASCII one).
fn needle_implies(needle: &str, shorter: &str) -> bool {
    needle.is_ascii() == shorter.is_ascii() && needle.contains(shorter)
}

#[derive(Debug)]
enum Test {
    /// Bit `code` set: that event-type code matches.
    Types(u16),
    Since(i64),
    Until(i64),
    /// Index into `CompiledFilter::texts`.
    Text(TextField, usize),
    /// The recipient ends with one of these (lowercased), read from the
    /// arena: `to:@gmail.com`.
    RecipientDomain(Vec<String>),
    /// The SMTP response contains one of these (lowercased), read from
    /// the arena; in a pass over many records, from a sweep of it.
    Smtp(Vec<String>, Option<Box<DetailSweep>>),
}

impl CompiledFilter {
    /// Whether every record passes: no terms.
    pub(super) fn matches_everything(&self) -> bool {
        self.terms.is_empty()
    }

    pub(super) fn compile(filter: &Filter, now_ms: i64) -> CompiledFilter {
        let mut compiled = CompiledFilter {
            source: filter.clone(),
            ..CompiledFilter::default()
        };
        for term in &filter.terms {
            let test = match &term.kind {
                TermKind::Type(types) => Test::Types(
                    types
                        .iter()
                        .fold(0, |mask, t| mask | 1 << type_code(Some(*t))),
                ),
                TermKind::Since(bound) => Test::Since(bound.resolve(now_ms)),
                TermKind::Until(bound) => Test::Until(bound.resolve(now_ms)),
                TermKind::Text {
                    field: TextField::RecipientDomain,
                    any_of,
                } => Test::RecipientDomain(any_of.iter().map(|v| v.to_lowercase()).collect()),
                TermKind::Text {
                    field: TextField::Smtp,
                    any_of,
                } => Test::Smtp(any_of.iter().map(|v| v.to_lowercase()).collect(), None),
                TermKind::Text { field, any_of } => {
                    let needles: Vec<Needle> = any_of.iter().map(|v| Needle::new(v)).collect();
                    compiled.texts.push(TextTest::new(needles));
                    Test::Text(*field, compiled.texts.len() - 1)
                }
            };
            compiled.terms.push(CompiledTerm {
                negated: term.negated,
                test,
            });
        }
        compiled
    }

    pub(super) fn matches(
        &mut self,
        seq: u64,
        record: &CompactRecord,
        strings: &Interner,
        arena: &Arena,
    ) -> bool {
        for term in &mut self.terms {
            let hit = match &mut term.test {
                Test::RecipientDomain(domains) => {
                    let (local, domain) = arena.recipient_parts(seq, record, strings);
                    domains.iter().any(|d| ends_with_ci_split(local, domain, d))
                }
                Test::Smtp(needles, sweep) => {
                    match sweep
                        .as_mut()
                        .and_then(|s| s.test(seq, record, needles, (arena, strings)))
                    {
                        Some(hit) => hit,
                        None => smtp_holds(needles, seq, record, (arena, strings)),
                    }
                }
                &mut Test::Types(mask) => mask & (1 << record.event) != 0,
                &mut Test::Since(ms) => arena.timestamp_ms(seq, record) >= ms,
                &mut Test::Until(ms) => arena.timestamp_ms(seq, record) <= ms,
                &mut Test::Text(field, index) => {
                    let text = &mut self.texts[index];
                    match field {
                        TextField::Sender => {
                            text.test(strings.profile(record.profile).sender, strings)
                        }
                        TextField::Recipient => text.test_recipient(seq, record, arena, strings),
                        TextField::Subject => text.test(record.subject, strings),
                        TextField::Tag => text.test(strings.profile(record.profile).tags, strings),
                        TextField::Ip => record.ip != StrId::MAX && text.test(record.ip, strings),
                        // Compiled to their own tests above.
                        TextField::RecipientDomain | TextField::Smtp => false,
                        // The recipient last: it is the one not cached.
                        TextField::Anywhere => {
                            let profile = strings.profile(record.profile);
                            text.test(profile.sender, strings)
                                || text.test(record.subject, strings)
                                || text.test(profile.tags, strings)
                                || text.test_recipient(seq, record, arena, strings)
                        }
                    }
                }
            };
            if hit == term.negated {
                return false;
            }
        }
        true
    }

    /// True when every record this filter matches, `old` matches too: each
    /// of `old`'s terms is implied by one of this filter's.
    pub(super) fn narrows(&self, old: &CompiledFilter) -> bool {
        old.terms.iter().all(|o| {
            self.terms
                .iter()
                .any(|n| n.implies(o, &self.texts, &old.texts))
        })
    }

    /// Before a pass over many records: decides each text term for every
    /// held string at once, and has it find its needles in every held
    /// recipient at once, when the pass first needs a recipient; has an
    /// `smtp:` term find its needles in the held records' hot text as the
    /// pass reaches them.
    pub(super) fn sweep(
        &mut self,
        (_, strings): (&Arena, &Interner),
        records: &VecDeque<CompactRecord>,
        first_seq: u64,
    ) {
        for term in &mut self.terms {
            if let Test::Smtp(needles, hits) = &mut term.test {
                *hits = DetailSweep::new(needles, first_seq, records.len()).map(Box::new);
            }
        }
        for term in &self.terms {
            match term.test {
                Test::Text(TextField::Recipient, index) => {
                    self.texts[index].sweep_from = Some(first_seq);
                }
                Test::Text(TextField::Anywhere, index) => {
                    self.texts[index].decide_all(strings);
                    self.texts[index].sweep_from = Some(first_seq);
                }
                Test::Text(_, index) => self.texts[index].decide_all(strings),
                _ => {}
            }
        }
    }

    /// After the pass: a record appended later is tested on its own.
    pub(super) fn end_sweep(&mut self) {
        for text in &mut self.texts {
            text.sweep_from = None;
        }
        for term in &mut self.terms {
            if let Test::Smtp(_, hits) = &mut term.test {
                *hits = None;
            }
        }
    }

    /// No `since:` or `until:` term: those resolve against the clock, so
    /// matches kept from earlier would be out of date.
    pub(super) fn is_timeless(&self) -> bool {
        self.terms
            .iter()
            .all(|t| !matches!(t.test, Test::Since(_) | Test::Until(_)))
    }

    /// `id` now names a different string: forget what was decided for it.
    pub(super) fn forget(&mut self, id: StrId) {
        for text in &mut self.texts {
            text.forget(id);
        }
    }
}
