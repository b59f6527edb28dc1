//! The scanner's word-at-a-time search and value skipping, byte by byte.

use super::bytes::*;

#[test]
fn the_first_special_byte_is_found_in_every_lane() {
    for lane in 0..8 {
        for special in [b'"', b'\\', 0, 0x1f] {
            // Specials above it must not move the answer.
            let mut word = [b'a', b'"', 0, b'\\', b'a', 0x1f, b'"', 0];
            word[..=lane].fill(b'a');
            word[lane] = special;
            let found = special_bytes(u64::from_le_bytes(word)).trailing_zeros() / 8;
            assert_eq!(found as usize, lane, "{special} at {lane}");
        }
        for plain in [b' ', b'~', 0x7f, 0x80, 0xff, b'!', b'#', b'['] {
            let mut word = [b'a'; 8];
            word[lane] = plain;
            assert_eq!(
                special_bytes(u64::from_le_bytes(word)),
                0,
                "{plain} at {lane}"
            );
        }
    }
}

#[test]
fn the_first_special_byte_is_found_at_every_offset_and_length() {
    // Lengths either side of the 16- and 8-byte strides, a special at
    // every place in them, another after it that must not move the
    // answer.
    for len in 0..40 {
        for at in 0..=len {
            for special in [b'"', b'\\', 0, b'\n', 0x1f] {
                let mut bytes = vec![b'a'; len + 2];
                bytes[len + 1] = b'"';
                bytes[at] = special;
                let naive = bytes.iter().position(|&b| is_special(b));
                assert_eq!(
                    first_special(&bytes, false),
                    naive,
                    "{special} at {at} of {len}"
                );
                if !special.is_ascii_control() {
                    assert_eq!(first_special(&bytes, true), naive, "plain: {at} of {len}");
                }
            }
            // Bytes of UTF-8 and DEL are not special in either mode.
            let mut bytes = vec![b'a'; len + 1];
            bytes[at] = if at % 2 == 0 { 0xc3 } else { 0x7f };
            assert_eq!(first_special(&bytes, false), None, "{at} of {len}");
        }
    }
}

#[test]
fn a_value_ends_at_its_closing_bracket_or_the_next_comma() {
    let text = br#"{"a":"}\"]","b":[1,{"c":2}]},{"next":1}"#;
    assert_eq!(skip_value(text, 0), Some(28));
    assert_eq!(skip_value(b"12,3", 0), Some(2));
    assert_eq!(skip_value(br#"{"open":"#, 0), None);
}
