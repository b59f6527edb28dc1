//! How an `smtp:` sweep finds its needles in the hot text, and
//! which entry and field each hit lies in.

use crate::app::filter::ascii_ci_matches;
use crate::model::log::store_ready::{RECORD_END, SEPARATOR};

use super::SAMPLE_BYTES;

const SEP: u8 = SEPARATOR as u8;

/// How many bytes of the sample all of a needle's pairs are counted on
/// together (10 pairs for a needle of 5 bytes, 120 for one of 16).
const SAMPLE_PAIR_BYTES: usize = 10 * SAMPLE_BYTES;

/// Calls `mark` with where each entry of `text` (which starts with an
/// entry) starts whose field `field` holds `needle` (ASCII, lowercase,
/// not empty, no control character), once or more.
pub(super) fn found_in(
    text: &[u8],
    needle: &[u8],
    finder: &Finder,
    field: usize,
    mut mark: impl FnMut(usize),
) {
    // The hit before: where it is, where its entry starts and how many
    // separators that has before it.
    let mut last = None;
    let mut add = |at: usize, last: &mut Option<(usize, usize, usize)>| {
        // A needle holds no control character, so it lies within one
        // field: the one after as many separators as its entry has
        // before it.
        let (start, seps) = entry_of(text, at, *last);
        *last = Some((at, start, seps));
        if seps == field {
            mark(start);
        }
    };
    match finder {
        Finder::Pairs(pairs) => {
            for pair in pairs {
                let mut last = None;
                pair.find_each(text, needle, |at| add(at, &mut last));
            }
        }
        Finder::Plain if needle.iter().any(u8::is_ascii_alphabetic) => {
            ascii_ci_matches(text, needle).for_each(|at| add(at, &mut last));
        }
        Finder::Plain => memchr::memmem::find_iter(text, needle).for_each(|at| add(at, &mut last)),
    }
}

/// Eight bytes at a time: `0x80` in each byte of `word` that is `byte`,
/// nothing in the others.
#[inline]
fn bytes_eq(word: u64, byte: u8) -> u64 {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const LOW7: u64 = 0x7f7f_7f7f_7f7f_7f7f;
    let x = word ^ (ONES * u64::from(byte));
    // The top bit of a byte of `x` is left clear only when it is zero.
    !(((x & LOW7) + LOW7) | x | LOW7)
}

/// How many bytes [`bytes_eq`] marked: their top bits summed in the top
/// byte (`count_ones` is a dozen instructions without POPCNT, which the
/// baseline x86-64 has not).
#[inline]
fn marked(mask: u64) -> usize {
    ((mask >> 7).wrapping_mul(0x0101_0101_0101_0101) >> 56) as usize
}

/// Where the entry holding byte `at` of `text` starts, and how many
/// separators it has before `at`; `last` is the same of a hit before
/// `at`, if any (where it is, its entry's start, its separators). Read
/// back from `at` eight bytes at a time, and no further than `last`: a
/// needle found many times in one long field costs no more than one
/// pass over it.
#[inline]
fn entry_of(text: &[u8], at: usize, last: Option<(usize, usize, usize)>) -> (usize, usize) {
    let floor = last.map_or(0, |(hit, _, _)| hit);
    let (mut end, mut seps) = (at, 0);
    while end >= floor + 8 {
        let bytes = &text[end - 8..end];
        let word = u64::from_le_bytes(bytes.try_into().unwrap_or_default());
        let (ends, separators) = (bytes_eq(word, RECORD_END), bytes_eq(word, SEP));
        if ends != 0 {
            // The last end in the word, and the separators after it.
            let top = 63 - ends.leading_zeros();
            let after = separators.checked_shr(top + 1).unwrap_or(0);
            return (end - 8 + top as usize / 8 + 1, seps + marked(after));
        }
        seps += marked(separators);
        end -= 8;
    }
    let rest = &text[floor..end];
    let count = |bytes: &[u8]| bytes.iter().filter(|&&b| b == SEP).count();
    match (rest.iter().rposition(|&b| b == RECORD_END), last) {
        (Some(i), _) => (floor + i + 1, seps + count(&rest[i + 1..])),
        (None, Some((_, start, before))) => (start, before + seps + count(rest)),
        (None, None) => (0, seps + count(rest)),
    }
}

/// How a needle is looked for in the hot text.
#[derive(Debug)]
pub(super) enum Finder {
    /// By the two bytes of it that begin the fewest false starts in a
    /// sample of the text, a search for each case they can be in.
    Pairs(Vec<PairFinder>),
    /// memmem for a needle without letters, a search for its first
    /// byte in either case for one with.
    Plain,
}

impl Finder {
    /// For `needle` in text like `sample`.
    pub(super) fn new(needle: &[u8], sample: &[u8]) -> Finder {
        let Some((i, j)) = fewest_starts(needle, sample) else {
            return Finder::Plain;
        };
        let cases = |b: u8| {
            let upper = b.to_ascii_uppercase();
            if upper == b { vec![b] } else { vec![b, upper] }
        };
        let mut pairs = Vec::new();
        for a in cases(needle[i]) {
            for b in cases(needle[j]) {
                let mut variant = needle.to_vec();
                (variant[i], variant[j]) = (a, b);
                match PairFinder::new(&variant, i, j) {
                    Some(pair) => pairs.push(pair),
                    None => return Finder::Plain,
                }
            }
        }
        Finder::Pairs(pairs)
    }
}

/// The pair of positions in `needle` (in its first 16 bytes) whose bytes
/// (ASCII case folded) come together the fewest times in `sample` (less
/// of it the more pairs there are: a long needle's pairs are counted in
/// no more time than a short one's). memmem picks the two bytes it ranks
/// rarest in text at large; in an IP's `113.1` those are `3` and `.`,
/// which every `203.0.113.x` holds twice, while `3` with a `1` two bytes
/// on is (nearly) only the needle itself: a fifth of the false starts.
fn fewest_starts(needle: &[u8], sample: &[u8]) -> Option<(usize, usize)> {
    let n = needle.len().min(16);
    let pairs = n * n.saturating_sub(1) / 2;
    let sample = &sample[..sample.len().min(SAMPLE_PAIR_BYTES / pairs.max(1))];
    let windows = (sample.len() + 1).checked_sub(needle.len())?;
    let mut best: Option<(usize, usize, usize)> = None;
    for i in 0..n {
        for j in i + 1..n {
            let (a, b) = (needle[i], needle[j]);
            let count = sample[i..i + windows]
                .iter()
                .zip(&sample[j..j + windows])
                .filter(|&(&x, &y)| (x.to_ascii_lowercase() == a) & (y.to_ascii_lowercase() == b))
                .count();
            if best.is_none_or(|(fewest, _, _)| count < fewest) {
                best = Some((count, i, j));
            }
        }
    }
    best.map(|(_, i, j)| (i, j))
}

/// memchr's "packed pair" search for two bytes of a needle in one case
/// each, where the machine has one.
#[derive(Debug)]
#[cfg_attr(
    not(any(target_arch = "x86_64", target_arch = "aarch64")),
    allow(dead_code)
)]
pub(super) struct PairFinder {
    /// The needle has no letter: the search compares the whole needle.
    exact: bool,
    min_len: usize,
    #[cfg(target_arch = "x86_64")]
    finder: PairArch,
    #[cfg(target_arch = "aarch64")]
    finder: memchr::arch::aarch64::neon::packedpair::Finder,
}

#[cfg(target_arch = "x86_64")]
#[derive(Debug)]
enum PairArch {
    Avx2(memchr::arch::x86_64::avx2::packedpair::Finder),
    Sse2(memchr::arch::x86_64::sse2::packedpair::Finder),
}

#[cfg_attr(
    not(any(target_arch = "x86_64", target_arch = "aarch64")),
    allow(dead_code)
)]
impl PairFinder {
    /// For bytes `i` and `j` of `needle`, in the case they are there.
    #[allow(unused_variables)]
    fn new(needle: &[u8], i: usize, j: usize) -> Option<PairFinder> {
        let exact = !needle.iter().any(u8::is_ascii_alphabetic);
        #[cfg(any(target_arch = "x86_64", target_arch = "aarch64"))]
        let pair = memchr::arch::all::packedpair::Pair::with_indices(
            needle,
            u8::try_from(i).ok()?,
            u8::try_from(j).ok()?,
        )?;
        #[cfg(target_arch = "x86_64")]
        {
            use memchr::arch::x86_64::{avx2, sse2};
            let finder = match avx2::packedpair::Finder::with_pair(needle, pair) {
                Some(f) => PairArch::Avx2(f),
                None => PairArch::Sse2(sse2::packedpair::Finder::with_pair(needle, pair)?),
            };
            let min_len = match &finder {
                PairArch::Avx2(f) => f.min_haystack_len(),
                PairArch::Sse2(f) => f.min_haystack_len(),
            };
            Some(PairFinder {
                exact,
                min_len,
                finder,
            })
        }
        #[cfg(target_arch = "aarch64")]
        {
            let finder = memchr::arch::aarch64::neon::packedpair::Finder::with_pair(needle, pair)?;
            Some(PairFinder {
                exact,
                min_len: finder.min_haystack_len(),
                finder,
            })
        }
        #[cfg(not(any(target_arch = "x86_64", target_arch = "aarch64")))]
        None
    }

    /// Calls `found` with where each match of `needle` (ASCII case
    /// folded) starts in `text` whose pair of bytes is in this finder's
    /// case, and that does not overlap the one before it; the last few
    /// bytes, too few for the search, are searched the plain way (every
    /// case: a match there may be reported twice).
    fn find_each(&self, text: &[u8], needle: &[u8], mut found: impl FnMut(usize)) {
        let mut at = 0;
        while let Some(rest) = text.get(at..).filter(|r| r.len() >= self.min_len) {
            let Some(i) = self.find(rest, needle) else {
                return;
            };
            let hit = at + i;
            if self.exact
                || text
                    .get(hit..hit + needle.len())
                    .is_some_and(|t| t.eq_ignore_ascii_case(needle))
            {
                found(hit);
                at = hit + needle.len();
            } else {
                at = hit + 1;
            }
        }
        let rest = &text[at.min(text.len())..];
        if self.exact {
            memchr::memmem::find_iter(rest, needle).for_each(|i| found(at + i));
        } else {
            ascii_ci_matches(rest, needle).for_each(|i| found(at + i));
        }
    }

    /// Where the needle (`exact`), or only the pair (else), is first
    /// found in `haystack`, which is `min_len` long or longer.
    #[allow(unused_variables)]
    fn find(&self, haystack: &[u8], needle: &[u8]) -> Option<usize> {
        #[cfg(target_arch = "x86_64")]
        return match (&self.finder, self.exact) {
            (PairArch::Avx2(f), true) => f.find(haystack, needle),
            (PairArch::Avx2(f), false) => f.find_prefilter(haystack),
            (PairArch::Sse2(f), true) => f.find(haystack, needle),
            (PairArch::Sse2(f), false) => f.find_prefilter(haystack),
        };
        #[cfg(target_arch = "aarch64")]
        return if self.exact {
            self.finder.find(haystack, needle)
        } else {
            self.finder.find_prefilter(haystack)
        };
        #[cfg(not(any(target_arch = "x86_64", target_arch = "aarch64")))]
        None
    }
}
