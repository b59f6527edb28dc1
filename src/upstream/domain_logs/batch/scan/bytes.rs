//! The scanner's byte-level reading: where a string's special bytes are,
//! what an escape stands for, and where a value ends.

/// The character an escape stands for, from the byte after its backslash,
/// and how many bytes it took from there; `None` where serde_json refuses
/// it (an unknown escape, a lone surrogate).
pub(super) fn unescape(bytes: &[u8]) -> Option<(char, usize)> {
    let c = match bytes.first()? {
        b'"' => '"',
        b'\\' => '\\',
        b'/' => '/',
        b'b' => '\u{8}',
        b'f' => '\u{c}',
        b'n' => '\n',
        b'r' => '\r',
        b't' => '\t',
        b'u' => {
            let high = hex4(bytes.get(1..5)?)?;
            if !(0xD800..0xDC00).contains(&high) {
                return Some((char::from_u32(high)?, 5));
            }
            // A surrogate pair: the low half must follow as its own escape.
            if bytes.get(5..7)? != b"\\u" {
                return None;
            }
            let low = hex4(bytes.get(7..11)?)?;
            if !(0xDC00..0xE000).contains(&low) {
                return None;
            }
            let c = char::from_u32(0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00))?;
            return Some((c, 11));
        }
        _ => return None,
    };
    Some((c, 1))
}

/// Four hex digits' value.
fn hex4(digits: &[u8]) -> Option<u32> {
    digits
        .iter()
        .try_fold(0u32, |n, &d| Some(n * 16 + char::from(d).to_digit(16)?))
}

/// Where the first `"`, `\\` or control character of `bytes` is; with
/// `plain` (the text is printable ASCII) only quotes and backslashes are
/// looked for.
#[cfg(target_arch = "x86_64")]
#[inline(always)]
pub(super) fn first_special(bytes: &[u8], plain: bool) -> Option<usize> {
    use safe_arch::{
        cmp_eq_mask_i8_m128i, m128i, min_u8_m128i, move_mask_i8_m128i, set_splat_i8_m128i,
    };
    // Sixteen bytes at a time (SSE2 is part of x86_64): strings are short,
    // and most end within the first one or two of these.
    let quote = set_splat_i8_m128i(b'"' as i8);
    let backslash = set_splat_i8_m128i(b'\\' as i8);
    let below_space = set_splat_i8_m128i(0x1f);
    let mut tail = bytes;
    while let Some((chunk, after)) = tail.split_first_chunk::<16>() {
        let v = m128i::from(*chunk);
        let mut hits = cmp_eq_mask_i8_m128i(v, quote) | cmp_eq_mask_i8_m128i(v, backslash);
        if !plain {
            // A byte is at most 0x1f when the unsigned minimum leaves it.
            hits |= cmp_eq_mask_i8_m128i(min_u8_m128i(v, below_space), v);
        }
        let mask = move_mask_i8_m128i(hits);
        if mask != 0 {
            return Some(bytes.len() - tail.len() + mask.trailing_zeros() as usize);
        }
        tail = after;
    }
    first_special_by_words(bytes, bytes.len() - tail.len(), plain)
}

#[cfg(not(target_arch = "x86_64"))]
pub(super) fn first_special(bytes: &[u8], plain: bool) -> Option<usize> {
    first_special_by_words(bytes, 0, plain)
}

/// [`first_special`] from `from` on, eight bytes at a time.
fn first_special_by_words(bytes: &[u8], from: usize, plain: bool) -> Option<usize> {
    let stops = if plain {
        quote_or_backslash
    } else {
        special_bytes
    };
    let mut tail = bytes.get(from..)?;
    while let Some((word, after)) = tail.split_first_chunk::<8>() {
        let special = stops(u64::from_le_bytes(*word));
        if special != 0 {
            return Some(bytes.len() - tail.len() + (special.trailing_zeros() / 8) as usize);
        }
        tail = after;
    }
    // The last few bytes of the text, one at a time.
    Some(bytes.len() - tail.len() + tail.iter().position(|&b| is_special(b))?)
}

pub(super) fn is_special(b: u8) -> bool {
    matches!(b, b'"' | b'\\' | 0..0x20)
}

const ONES: u64 = 0x0101_0101_0101_0101;
const HIGHS: u64 = 0x8080_8080_8080_8080;

/// The high bit of each zero byte of `word`, and possibly of bytes above
/// such a one: the lowest bit set is exact (a borrow only runs upwards),
/// which is all the callers read.
fn zero_bytes(word: u64) -> u64 {
    word.wrapping_sub(ONES) & !word & HIGHS
}

/// [`zero_bytes`] for the bytes of `word` that are `"` or `\`.
fn quote_or_backslash(word: u64) -> u64 {
    zero_bytes(word ^ (ONES * u64::from(b'"'))) | zero_bytes(word ^ (ONES * u64::from(b'\\')))
}

/// [`zero_bytes`] for the bytes of `word` that are `"`, `\` or a control
/// character.
pub(super) fn special_bytes(word: u64) -> u64 {
    // Bytes below 0x20 (a byte of 0x80 or more has its high bit, and is
    // ruled out by `!word`).
    let control = word.wrapping_sub(ONES * 0x20) & !word & HIGHS;
    quote_or_backslash(word) | control
}

/// Where the JSON value starting at `at` ends, by its brackets and
/// strings; serde_json then reads exactly that much and checks it.
pub(super) fn skip_value(bytes: &[u8], at: usize) -> Option<usize> {
    let mut depth = 0usize;
    let mut i = at;
    while let Some(&b) = bytes.get(i) {
        match b {
            b'"' => {
                i += 1;
                loop {
                    match bytes.get(i)? {
                        b'"' => break,
                        b'\\' => i += 2,
                        _ => i += 1,
                    }
                }
            }
            b'{' | b'[' => depth += 1,
            b'}' | b']' => {
                depth = depth.checked_sub(1)?;
                if depth == 0 {
                    return Some(i + 1);
                }
            }
            b',' if depth == 0 => return Some(i),
            _ => {}
        }
        i += 1;
    }
    None
}

/// Whether two byte strings are equal, compared eight bytes at a time in
/// place: the strings compared (senders, subjects, tags; a record's keys)
/// are short, and a call to memcmp for each cost more than the comparison.
#[inline(always)]
pub(in crate::upstream::domain_logs::batch) fn same_bytes(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let Some(last) = a.len().checked_sub(8) else {
        return a.iter().zip(b).all(|(x, y)| x == y);
    };
    let word = |s: &[u8], at: usize| {
        s.get(at..)
            .and_then(<[u8]>::first_chunk::<8>)
            .map(|w| u64::from_ne_bytes(*w))
    };
    let mut at = 0;
    while at < last {
        if word(a, at) != word(b, at) {
            return false;
        }
        at += 8;
    }
    // The last word, overlapping the one before when the length is not a
    // multiple of eight.
    word(a, last) == word(b, last)
}
