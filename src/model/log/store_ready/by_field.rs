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
    let Some(body) = text.strip_suffix(RECORD_END as char) else {
        return false;
    };
    let mut entries: Vec<[&str; FIELDS]> = Vec::new();
    for entry in body.split(RECORD_END as char) {
        let mut fields = entry.split(SEPARATOR);
        let split = [(); FIELDS].map(|()| fields.next());
        if fields.next().is_some() || split.iter().any(Option::is_none) {
            return false;
        }
        entries.push(split.map(Option::unwrap_or_default));
    }
    out.clear();
    out.reserve(text.len());
    for field in 0..FIELDS {
        for entry in &entries {
            out.extend_from_slice(entry[field].as_bytes());
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
