//! Which characters a text holds, as 64 bits: what lets the log filter
//! rule most strings out without reading them. The parse threads take the
//! mask of every record's recipient while its bytes are in their cache;
//! the log store takes it of every string it interns and of every needle.

/// A bit per ASCII letter and digit, case folded, a few shared by the other
/// ASCII characters, and one for "holds non-ASCII". A string can contain an
/// ASCII needle only if it has every bit of the needle's mask.
pub fn char_mask(text: &str) -> u64 {
    text.bytes()
        .fold(0u64, |mask, b| mask | 1 << CHAR_BITS[usize::from(b)])
}

/// [`char_bit`] of every byte: a mask is taken of every recipient as it
/// arrives, and a table lookup is a fraction of the branches.
const CHAR_BITS: [u8; 256] = {
    let mut bits = [0u8; 256];
    let mut b = 0;
    while b < 256 {
        bits[b] = char_bit(b as u8);
        b += 1;
    }
    bits
};

const fn char_bit(b: u8) -> u8 {
    match b.to_ascii_lowercase() {
        c @ b'a'..=b'z' => c - b'a',
        c @ b'0'..=b'9' => 26 + (c - b'0'),
        c if c.is_ascii() => 36 + c % 27,
        _ => 63,
    }
}
