//! Which characters a text holds, as 64 bits (32 for a record's
//! recipient): what lets the log filter rule most strings out without
//! reading them. The parse threads take the narrow mask of every record's
//! recipient while its bytes are in their cache; the log store takes the
//! full one of every string it interns, and both of every needle.

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

/// [`char_mask`] in 32 bits, for the mask every held record keeps of its
/// recipient (four bytes a record fewer than the full mask): a bit per
/// letter as there, the digits sharing three, the other ASCII characters
/// two, and one for non-ASCII. Each character has one bit here as there,
/// so a text can contain a needle only if it has every bit of the
/// needle's narrow mask too; only a one-letter needle is decided by it.
pub fn narrow_char_mask(text: &str) -> u32 {
    text.bytes()
        .fold(0u32, |mask, b| mask | 1 << NARROW_BITS[usize::from(b)])
}

/// Whether a needle's narrow mask alone decides if a text holds it.
pub fn narrow_mask_decides(needle: &str) -> bool {
    needle.len() == 1 && needle.as_bytes()[0].is_ascii_alphabetic()
}

const NARROW_BITS: [u8; 256] = {
    let mut bits = [0u8; 256];
    let mut b = 0;
    while b < 256 {
        bits[b] = match char_bit(b as u8) {
            letter @ 0..=25 => letter,
            digit @ 26..=35 => 26 + (digit - 26) % 3,
            other @ 36..=62 => 29 + (other - 36) % 2,
            _ => 31,
        };
        b += 1;
    }
    bits
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_narrow_mask_keeps_letters_apart_and_never_rules_a_match_out() {
        let text = "Zoë.o'Neil+42@example.org";
        for needle in ["zo", "42", "+", "ë", "neil+4", "o'n", "@example.org", "Z"] {
            let (needle, narrow) = (
                needle.to_lowercase(),
                narrow_char_mask(&needle.to_lowercase()),
            );
            assert!(text.to_lowercase().contains(&needle));
            assert_eq!(narrow & !narrow_char_mask(text), 0, "{needle}");
        }
        // Each letter has a bit of its own; digits share.
        assert_ne!(narrow_char_mask("a"), narrow_char_mask("b"));
        assert_eq!(narrow_char_mask("1"), narrow_char_mask("4"));
        assert_eq!(
            narrow_char_mask("q") & !narrow_char_mask("abc"),
            narrow_char_mask("q")
        );
        assert!(
            narrow_mask_decides("q") && !narrow_mask_decides("4") && !narrow_mask_decides("ab")
        );
    }
}
