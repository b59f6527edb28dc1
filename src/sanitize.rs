//! Makes upstream text safe to put into a terminal cell.
//!
//! Subjects, addresses, tags and error details come from other people's
//! servers and mail. A raw escape sequence in a cell could recolour the
//! screen, move the cursor, set the window title or write to the clipboard;
//! a bidi override could make one address read as another; a zero-width
//! character could make two different strings look identical. [`clean`]
//! strips all of that, once, when the text enters the app state.

use std::borrow::Cow;

const ESC: char = '\u{1b}';
const BEL: char = '\u{07}';
/// The 8-bit String Terminator (C1), the single-character form of `ESC \`.
const ST_C1: char = '\u{9c}';

/// Removes control characters, terminal escape sequences, bidi controls,
/// zero-width and other invisible characters, and the emoji presentation
/// selectors and skin-tone modifiers whose width terminals disagree on;
/// turns tabs and line breaks into spaces, and the regional indicators a
/// flag is written with into their letters (`🇯🇵` shows as `JP`).
///
/// Returns the input borrowed when it needs no change, which is the common
/// case and costs one scan.
pub fn clean(s: &str) -> Cow<'_, str> {
    // Nearly all upstream text is printable ASCII, and most of the rest
    // Latin text; one pass over the bytes, sixteen at a time, settles
    // either without decoding a char.
    if is_safe_latin(s) {
        return Cow::Borrowed(s);
    }
    match s.char_indices().find(|&(_, c)| is_unsafe(c)) {
        None => Cow::Borrowed(s),
        Some((first, _)) => {
            let mut out = String::with_capacity(s.len());
            out.push_str(&s[..first]);
            clean_into(&s[first..], &mut out);
            Cow::Owned(out)
        }
    }
}

/// Most bytes kept of one upstream text outside the log store (which has
/// its own cap): a feed line, a campaign's name or failure reason, an error
/// or malformed-event detail. A hostile server can send a 1 MiB subject
/// in every event; a feed of thousands of events must not keep them all.
pub const MAX_TEXT_BYTES: usize = 1024;

/// [`clean`], then cut to at most `max_bytes` bytes at a character boundary,
/// ending in `…` when cut.
pub fn clean_capped(s: &str, max_bytes: usize) -> Cow<'_, str> {
    cap(clean(s), max_bytes)
}

/// Text already clean, cut to at most `max_bytes` bytes at a character
/// boundary, ending in `…` when cut.
#[inline]
pub fn cap(text: Cow<'_, str>, max_bytes: usize) -> Cow<'_, str> {
    if text.len() <= max_bytes {
        return text;
    }
    let mut end = max_bytes.saturating_sub('…'.len_utf8());
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    let mut out = String::with_capacity(end + '…'.len_utf8());
    out.push_str(&text[..end]);
    out.push('…');
    Cow::Owned(out)
}

/// JSON for a terminal: a `serde_json` formatter that writes every
/// character [`clean`] would remove as a `\uXXXX` escape. serde_json escapes
/// only C0 controls, so DEL, C1 controls (an 8-bit CSI is U+009B), bidi
/// overrides and invisible characters would otherwise reach whoever runs
/// `misar-dash stream` in a terminal. The data is unchanged for any JSON
/// reader.
#[derive(Clone, Copy, Debug, Default)]
pub struct TerminalSafeJson;

impl serde_json::ser::Formatter for TerminalSafeJson {
    fn write_string_fragment<W: ?Sized + std::io::Write>(
        &mut self,
        writer: &mut W,
        fragment: &str,
    ) -> std::io::Result<()> {
        if fragment.bytes().all(|b| b < 0x7f) {
            return writer.write_all(fragment.as_bytes());
        }
        let mut start = 0;
        for (i, c) in fragment.char_indices() {
            if is_unsafe(c) {
                writer.write_all(&fragment.as_bytes()[start..i])?;
                let mut units = [0u16; 2];
                for unit in c.encode_utf16(&mut units) {
                    write!(writer, "\\u{unit:04x}")?;
                }
                start = i + c.len_utf8();
            }
        }
        writer.write_all(&fragment.as_bytes()[start..])
    }
}

/// `value` as one line of terminal-safe JSON (see [`TerminalSafeJson`]).
pub fn write_json<W: std::io::Write, T: serde::Serialize + ?Sized>(
    writer: W,
    value: &T,
) -> std::io::Result<()> {
    let mut ser = serde_json::Serializer::with_formatter(writer, TerminalSafeJson);
    value.serialize(&mut ser).map_err(std::io::Error::from)
}

/// True when every byte is in 0x20..=0x7E: no control, no DEL, nothing
/// beyond ASCII. Such text needs no cleaning, and each byte is one cell.
pub fn is_printable_ascii(text: &str) -> bool {
    let printable = |b: u8| (0x20..0x7f).contains(&b);
    #[cfg(target_arch = "x86_64")]
    {
        use safe_arch::{cmp_eq_mask_i8_m128i, cmp_lt_mask_i8_m128i, set_splat_i8_m128i};
        // Signed, a byte beyond ASCII is below the space too.
        every_byte(text.as_bytes(), printable, |v| {
            cmp_lt_mask_i8_m128i(v, set_splat_i8_m128i(0x20))
                | cmp_eq_mask_i8_m128i(v, set_splat_i8_m128i(0x7f))
        })
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        text.bytes().all(printable)
    }
}

/// True when every character is printable ASCII or in U+00C0..=U+033F
/// (accented Latin letters, IPA, combining marks): none of those is one
/// [`clean`] removes. Decided on the bytes, with no char decoded: every
/// byte is printable ASCII, a UTF-8 continuation byte, or a lead byte of
/// that range (0xC3..=0xCC). U+0080..=U+00BF (lead byte 0xC2) holds the C1
/// controls and the soft hyphen, and is left to the char scan.
fn is_safe_latin(text: &str) -> bool {
    let latin = |b: u8| matches!(b, 0x20..=0x7e | 0x80..=0xbf | 0xc3..=0xcc);
    #[cfg(target_arch = "x86_64")]
    {
        every_byte(text.as_bytes(), latin, not_safe_latin)
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        text.bytes().all(latin)
    }
}

/// True when every byte of `bytes` is `ok`; `bad` is the same test as a
/// mask of sixteen bytes. Sixty-four bytes a step, one branch each, for a
/// batch's whole text; then sixteen, the last sixteen overlapping the ones
/// before. Shorter text, as many strings of a record are, is read as
/// [`short_lanes`].
#[cfg(target_arch = "x86_64")]
#[inline(always)]
fn every_byte(
    bytes: &[u8],
    ok: impl Fn(u8) -> bool,
    bad: impl Fn(safe_arch::m128i) -> safe_arch::m128i,
) -> bool {
    use safe_arch::{m128i, move_mask_i8_m128i};
    let Some(last) = bytes.last_chunk::<16>() else {
        return match short_lanes(bytes) {
            Some((lanes, _)) => move_mask_i8_m128i(bad(lanes)) == 0,
            None => bytes.iter().all(|&b| ok(b)),
        };
    };
    // The sixteen bytes at `at` of a block; the offsets are constants, and
    // the lookups compile to plain loads.
    let lanes = |block: &[u8; 64], at: usize| {
        let chunk = block.get(at..).and_then(<[u8]>::first_chunk::<16>);
        chunk.map_or(m128i::default(), |chunk| bad(m128i::from(*chunk)))
    };
    let mut tail = bytes;
    while let Some((block, after)) = tail.split_first_chunk::<64>() {
        let found = lanes(block, 0) | lanes(block, 16) | lanes(block, 32) | lanes(block, 48);
        if move_mask_i8_m128i(found) != 0 {
            return false;
        }
        tail = after;
    }
    let mut found = bad(m128i::from(*last));
    while let Some((chunk, after)) = tail.split_first_chunk::<16>() {
        found |= bad(m128i::from(*chunk));
        tail = after;
    }
    move_mask_i8_m128i(found) == 0
}

/// The lanes of `v` that are not printable ASCII, a continuation byte or
/// the lead byte of U+00C0..=U+033F ([`is_safe_latin`]).
#[cfg(target_arch = "x86_64")]
#[inline(always)]
fn not_safe_latin(v: safe_arch::m128i) -> safe_arch::m128i {
    use safe_arch::{
        bitandnot_m128i, cmp_eq_mask_i8_m128i, cmp_gt_mask_i8_m128i as gt,
        cmp_lt_mask_i8_m128i as lt, set_splat_i8_m128i as splat,
    };
    // As signed bytes: controls are 0..=31, continuation bytes
    // -128..=-65, lead bytes 0xC0.. from -64, 0xC3..=0xCC -61..=-52.
    let control_or_lead = gt(v, splat(-65)) & lt(v, splat(0x20));
    let latin_lead = gt(v, splat(-62)) & lt(v, splat(-51));
    bitandnot_m128i(latin_lead, control_or_lead) | cmp_eq_mask_i8_m128i(v, splat(0x7f))
}

/// Text of 4 to 15 bytes as sixteen lanes, without a copy (padding it to
/// sixteen cost a call to memcpy): its first `half` bytes (eight, or four
/// when shorter), then its last `half`, overlapping them, then bytes of
/// `a`, which no test here stops at. A hit in lane `i >= half` is at byte
/// `len - 2 * half + i`. `None` for fewer than four bytes.
#[cfg(target_arch = "x86_64")]
#[inline(always)]
fn short_lanes(bytes: &[u8]) -> Option<(safe_arch::m128i, usize)> {
    use safe_arch::m128i;
    if let (Some(first), Some(last)) = (bytes.first_chunk::<8>(), bytes.last_chunk::<8>()) {
        let words = [u64::from_le_bytes(*first), u64::from_le_bytes(*last)];
        return Some((m128i::from(words), 8));
    }
    let (first, last) = (bytes.first_chunk::<4>()?, bytes.last_chunk::<4>()?);
    let pad = u32::from_le_bytes(*b"aaaa");
    let words = [
        u32::from_le_bytes(*first),
        u32::from_le_bytes(*last),
        pad,
        pad,
    ];
    Some((m128i::from(words), 4))
}

/// A byte [`first_json_special`] stops at.
fn is_json_special(b: u8) -> bool {
    matches!(b, b'"' | b'\\' | 0..0x20 | 0x7f | 0xc0..=0xc2 | 0xcd..)
}

/// Where the first byte of `bytes` is that a JSON string written for a
/// terminal cannot copy as it is: `"`, `\`, a control character, DEL, or
/// the lead byte of a character beyond ASCII that [`TerminalSafeJson`]
/// may escape. Accented Latin letters (U+00C0..=U+033F, lead bytes
/// 0xC3..=0xCC, as [`is_safe_latin`]) and continuation bytes are passed
/// over: a server's names and subjects are full of them. Sixteen bytes at
/// a time, the last sixteen overlapping the ones before (which held none);
/// shorter text as [`short_lanes`].
#[cfg(target_arch = "x86_64")]
#[inline]
pub fn first_json_special(bytes: &[u8]) -> Option<usize> {
    use safe_arch::{cmp_eq_mask_i8_m128i, m128i, move_mask_i8_m128i, set_splat_i8_m128i};
    let special = |v: m128i| {
        let hits = not_safe_latin(v)
            | cmp_eq_mask_i8_m128i(v, set_splat_i8_m128i(b'"' as i8))
            | cmp_eq_mask_i8_m128i(v, set_splat_i8_m128i(b'\\' as i8));
        move_mask_i8_m128i(hits)
    };
    let Some(last) = bytes.last_chunk::<16>() else {
        let Some((lanes, half)) = short_lanes(bytes) else {
            return bytes.iter().position(|&b| is_json_special(b));
        };
        let mask = special(lanes);
        let lane = mask.trailing_zeros() as usize;
        return match mask {
            0 => None,
            _ if lane < half => Some(lane),
            _ => Some(bytes.len() + lane - 2 * half),
        };
    };
    let mut tail = bytes;
    while let Some((chunk, after)) = tail.split_first_chunk::<16>() {
        let mask = special(m128i::from(*chunk));
        if mask != 0 {
            return Some(bytes.len() - tail.len() + mask.trailing_zeros() as usize);
        }
        tail = after;
    }
    let mask = special(m128i::from(*last));
    (mask != 0).then(|| bytes.len() - 16 + mask.trailing_zeros() as usize)
}

#[cfg(not(target_arch = "x86_64"))]
pub fn first_json_special(bytes: &[u8]) -> Option<usize> {
    bytes.iter().position(|&b| is_json_special(b))
}

/// A character [`clean`] never lets through: controls, bidi controls,
/// invisible format characters, line breaks that are not C0, the
/// width-ambiguous emoji modifiers, and the regional indicators of flags
/// (which it writes as their letters). The tests check screens and outputs
/// against this, not against a list of their own that could drift.
pub fn is_unsafe(c: char) -> bool {
    // Below U+034F only the controls and the soft hyphen are: ASCII and
    // the Latin letters, most text, are decided here.
    if c < '\u{34f}' {
        return c < ' ' || ('\u{7f}'..='\u{9f}').contains(&c) || c == '\u{ad}';
    }
    is_unsafe_by_category(c)
}

/// [`is_unsafe`] from the categories alone.
fn is_unsafe_by_category(c: char) -> bool {
    c.is_control()
        || is_bidi_control(c)
        || is_invisible(c)
        || is_line_break(c)
        || is_width_ambiguous_modifier(c)
        || is_regional_indicator(c)
}

/// Characters that change the width of the character before them in some
/// terminals and not in others: the text and emoji presentation selectors
/// (`❤\u{fe0f}` is one column in tmux and xterm, two for ratatui) and the
/// skin-tone modifiers (`👍\u{1f3fd}` is four columns in tmux, two for
/// ratatui). Left in, they shift every later cell of the row on a real
/// screen. Without them the emoji still shows, in its default look.
fn is_width_ambiguous_modifier(c: char) -> bool {
    matches!(c, '\u{fe0e}' | '\u{fe0f}' | '\u{1f3fb}'..='\u{1f3ff}')
}

/// The letters flags are written with, two to a flag. Terminals disagree
/// on their width: tmux gives each its own cell where ratatui puts a pair
/// in one wide cell, so a redraw over a flag left half of it on screen.
/// [`clean`] writes each as its letter, which keeps a flag's two columns.
fn is_regional_indicator(c: char) -> bool {
    ('\u{1f1e6}'..='\u{1f1ff}').contains(&c)
}

/// The letter a flag's [regional indicator](is_regional_indicator) shows
/// as (`🇯` as `J`); `None` for any other character.
pub fn flag_letter(c: char) -> Option<char> {
    if !is_regional_indicator(c) {
        return None;
    }
    char::from_u32(u32::from('A') + u32::from(c) - 0x1f1e6)
}

/// Characters that reorder text around them. U+202A–202E are embeddings and
/// overrides, U+2066–2069 isolates, U+200E/200F/061C the directional marks.
fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{200e}' | '\u{200f}' | '\u{61c}')
}

/// Characters with no glyph that make different strings look the same or
/// hide text: the zero-width space, joiners and word joiner, the invisible
/// operators, the soft hyphen, the BOM, the deprecated format controls,
/// interlinear annotations, the tag characters that can smuggle a hidden
/// ASCII message, and the Hangul fillers that draw as blank letters. (These
/// are Unicode's format characters, less the bidi ones handled above, plus
/// the fillers.) Terminals disagree on their width, so they would also
/// break column alignment.
fn is_invisible(c: char) -> bool {
    matches!(
        c,
        '\u{ad}'
            | '\u{34f}'
            | '\u{600}'..='\u{605}'
            | '\u{6dd}'
            | '\u{70f}'
            | '\u{890}'..='\u{891}'
            | '\u{8e2}'
            | '\u{115f}'
            | '\u{1160}'
            | '\u{17b4}'
            | '\u{17b5}'
            | '\u{180b}'..='\u{180f}'
            | '\u{200b}'..='\u{200d}'
            | '\u{2060}'..='\u{2065}'
            | '\u{206a}'..='\u{206f}'
            | '\u{3164}'
            | '\u{feff}'
            | '\u{ffa0}'
            | '\u{fff9}'..='\u{fffb}'
            | '\u{110bd}'
            | '\u{110cd}'
            | '\u{13430}'..='\u{1343f}'
            | '\u{1bca0}'..='\u{1bca3}'
            | '\u{1d173}'..='\u{1d17a}'
            | '\u{e0000}'..='\u{e007f}'
    )
}

/// Line and paragraph breaks that are not C0 controls.
fn is_line_break(c: char) -> bool {
    matches!(c, '\u{85}' | '\u{2028}' | '\u{2029}')
}

/// What follows an escape introducer, and so how far the sequence reaches.
enum Sequence {
    /// `ESC [` or C1 `U+009B`: parameters, intermediates, one final byte.
    Csi,
    /// `ESC ]` or C1 `U+009D`: a string ended by BEL or ST.
    Osc,
    /// DCS, SOS, PM and APC: a string ended by ST.
    ControlString,
    /// Any other `ESC`: intermediates, then one final byte.
    Short,
}

fn clean_into(s: &str, out: &mut String) {
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        let sequence = match c {
            ESC => match chars.peek() {
                Some('[') => {
                    chars.next();
                    Sequence::Csi
                }
                Some(']') => {
                    chars.next();
                    Sequence::Osc
                }
                Some('P' | 'X' | '^' | '_') => {
                    chars.next();
                    Sequence::ControlString
                }
                _ => Sequence::Short,
            },
            '\u{9b}' => Sequence::Csi,
            '\u{9d}' => Sequence::Osc,
            '\u{90}' | '\u{98}' | '\u{9e}' | '\u{9f}' => Sequence::ControlString,
            '\t' | '\n' | '\r' | '\u{0b}' | '\u{0c}' => {
                out.push(' ');
                continue;
            }
            c if is_line_break(c) => {
                out.push(' ');
                continue;
            }
            c if is_regional_indicator(c) => {
                out.extend(flag_letter(c));
                continue;
            }
            c if is_unsafe(c) => continue,
            c => {
                out.push(c);
                continue;
            }
        };
        match sequence {
            Sequence::Csi => {
                // Parameter bytes 0x30–0x3F, intermediates 0x20–0x2F, then
                // one final byte 0x40–0x7E. Anything else ends the sequence
                // early and is processed as ordinary text.
                while let Some(&n) = chars.peek() {
                    if ('\u{20}'..='\u{3f}').contains(&n) {
                        chars.next();
                    } else {
                        if ('\u{40}'..='\u{7e}').contains(&n) {
                            chars.next();
                        }
                        break;
                    }
                }
            }
            Sequence::Osc | Sequence::ControlString => {
                let bel_ends = matches!(sequence, Sequence::Osc);
                // An unterminated string swallows the rest: a terminal would
                // also treat everything after the introducer as its payload.
                while let Some(n) = chars.next() {
                    if n == ST_C1 || (bel_ends && n == BEL) {
                        break;
                    }
                    if n == ESC && chars.peek() == Some(&'\\') {
                        chars.next();
                        break;
                    }
                }
            }
            Sequence::Short => {
                while let Some(&n) = chars.peek() {
                    if ('\u{20}'..='\u{2f}').contains(&n) {
                        chars.next();
                    } else {
                        if ('\u{30}'..='\u{7e}').contains(&n) {
                            chars.next();
                        }
                        break;
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests;
