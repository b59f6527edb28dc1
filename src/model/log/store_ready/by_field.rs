//! A block of cold entries laid out field by field for compression: every
//! entry's id, then every message id, URL, user agent and unknown fields'
//! text, each item ended by [`RECORD_END`]. Like beside like, the
//! compressor finds longer repeats and narrower symbols: against
//! other-server.py's records, 15.5 -> 12.6 bytes a record at zstd level 1
//! (BENCHMARKS.md). Both layouts have the same length.

use super::{RECORD_END, SEPARATOR};

/// Fields of an entry ([`ColdEntry::read`](super::ColdEntry::read)).
const FIELDS: usize = 5;

/// `text`'s entries laid out field by field into `out`; false (with `out`
/// left in no useful state) when the text is not whole entries of
/// [`FIELDS`] fields each, which is then kept as it is.
pub(super) fn to_fields(text: &str, out: &mut Vec<u8>) -> bool {
    let bytes = text.as_bytes();
    if bytes.last() != Some(&RECORD_END) {
        return false;
    }
    // Each entry's fields as ranges, found in one pass over the text (a
    // split by each separator in turn was a twentieth of an ingest's CPU).
    let mut entries: Vec<[(u32, u32); FIELDS]> = Vec::new();
    let (mut entry, mut field, mut start) = ([(0, 0); FIELDS], 0, 0);
    for at in memchr::memchr2_iter(SEPARATOR as u8, RECORD_END, bytes) {
        let Some(slot) = entry.get_mut(field) else {
            return false;
        };
        *slot = (start as u32, at as u32);
        (field, start) = (field + 1, at + 1);
        if bytes[at] == RECORD_END {
            if field != FIELDS {
                return false;
            }
            entries.push(entry);
            field = 0;
        }
    }
    out.clear();
    out.reserve(text.len());
    for field in 0..FIELDS {
        for entry in &entries {
            let (start, end) = entry[field];
            out.extend_from_slice(&bytes[start as usize..end as usize]);
            out.push(RECORD_END);
        }
    }
    true
}

/// The entries of a text [`to_fields`] made, as they were.
pub(super) fn from_fields(text: &str) -> String {
    let items: Vec<&str> = text.split_terminator(RECORD_END as char).collect();
    let entries = items.len() / FIELDS;
    let mut out = String::with_capacity(text.len());
    for entry in 0..entries {
        for field in 0..FIELDS {
            if field > 0 {
                out.push(SEPARATOR);
            }
            out.push_str(items[field * entries + entry]);
        }
        out.push(RECORD_END as char);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_go_field_by_field_and_come_back_as_they_were() {
        let text = "a\u{1f}<m1>\u{1f}\u{1f}ua\u{1f}\"n\" 1\u{1e}\
                    b\u{1f}<m2>\u{1f}https://u\u{1f}\u{1f}\u{1e}";
        let mut out = Vec::new();
        assert!(to_fields(text, &mut out));
        assert_eq!(
            out,
            b"a\x1eb\x1e<m1>\x1e<m2>\x1e\x1ehttps://u\x1eua\x1e\x1e\"n\" 1\x1e\x1e"
        );
        assert_eq!(out.len(), text.len());
        let back = from_fields(std::str::from_utf8(&out).unwrap_or_default());
        assert_eq!(back, text);
    }

    #[test]
    fn text_that_is_not_whole_entries_stays_as_it_is() {
        let mut out = Vec::new();
        // No end, too few fields, too many.
        assert!(!to_fields("a\u{1f}b\u{1f}c\u{1f}d\u{1f}e", &mut out));
        assert!(!to_fields("a\u{1f}b\u{1e}", &mut out));
        assert!(!to_fields(
            "a\u{1f}b\u{1f}c\u{1f}d\u{1f}e\u{1f}f\u{1e}",
            &mut out
        ));
        assert!(to_fields("\u{1f}\u{1f}\u{1f}\u{1f}\u{1e}", &mut out));
    }
}
