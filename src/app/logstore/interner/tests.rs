use std::hash::BuildHasher;

use super::*;

fn hash(key: &str) -> u64 {
    FixedState::with_seed(7).hash_one(key)
}

fn plain(key: &str) -> ReadyString {
    ReadyString {
        key: key.into(),
        cleaned: None,
        hash: hash(key),
    }
}

fn cleaned(key: &str, text: &str) -> ReadyString {
    ReadyString {
        key: key.into(),
        cleaned: Some(text.into()),
        hash: hash(key),
    }
}

/// A distinct string of about 30 bytes, as an order subject is.
fn subject(n: usize) -> String {
    format!("Your order #{n} has shipped")
}

/// Slot `id` holds `text` under `key`, with `text`'s mask.
fn assert_holds(strings: &Interner, id: StrId, key: &str, text: &str) {
    assert_eq!(strings.get(id), text, "text of {id}");
    assert_eq!(strings.strings.key(id), key, "key of {id}");
    assert_eq!(strings.mask(id), char_mask(text), "mask of {id}");
}

#[test]
fn a_key_interned_twice_is_one_string_with_both_references() {
    let mut strings = Interner::default();
    let (id, fresh) = strings.intern(plain("news@example.com"), 2);
    assert!(fresh);
    assert_eq!(strings.intern(plain("news@example.com"), 3), (id, false));
    assert_eq!(strings.live(), 1);
    for _ in 0..4 {
        strings.release(id);
    }
    assert_eq!(strings.live(), 1);
    assert_holds(&strings, id, "news@example.com", "news@example.com");
    strings.release(id);
    assert_eq!(strings.live(), 0);
    assert_eq!(strings.get(id), "");
}

#[test]
fn a_cleaned_string_is_found_by_its_upstream_key_and_reads_cleaned() {
    let mut strings = Interner::default();
    let (id, _) = strings.intern(cleaned("Sale\u{1b}[31m!", "Sale[31m!"), 1);
    assert_holds(&strings, id, "Sale\u{1b}[31m!", "Sale[31m!");
    assert_eq!(
        strings.intern(cleaned("Sale\u{1b}[31m!", "Sale[31m!"), 1),
        (id, false)
    );
    // Its cleaned text is another key.
    let (other, fresh) = strings.intern(plain("Sale[31m!"), 1);
    assert!(fresh);
    assert_ne!(other, id);
    assert_holds(&strings, other, "Sale[31m!", "Sale[31m!");
    for _ in 0..2 {
        strings.release(id);
    }
    assert!(strings.strings.keys.is_empty());
    assert_eq!(strings.intern(plain("Sale[31m!"), 1), (other, false));
}

#[test]
fn a_string_released_to_zero_is_freed_and_its_id_reused() {
    let mut strings = Interner::default();
    let (a, _) = strings.intern(cleaned("a\u{200b}", "a"), 1);
    let (b, _) = strings.intern(plain("b"), 1);
    strings.release(a);
    assert_eq!(strings.live(), 1);
    assert_eq!(strings.intern(plain("c"), 1), (a, true));
    assert_holds(&strings, a, "c", "c");
    assert_holds(&strings, b, "b", "b");
    // The freed string is gone: interning it again gives another id.
    assert_eq!(strings.intern(cleaned("a\u{200b}", "a"), 1), (2, true));
    assert_eq!(strings.id_bound(), 3);
}

#[test]
fn strings_are_found_after_the_table_grows_many_times() {
    let mut strings = Interner::default();
    let ids: Vec<StrId> = (0..100_000)
        .map(|n| strings.intern(plain(&subject(n)), 1).0)
        .collect();
    assert_eq!(strings.live(), 100_000);
    for (n, &id) in ids.iter().enumerate() {
        assert_eq!(strings.intern(plain(&subject(n)), 1), (id, false));
        assert_eq!(strings.get(id), subject(n));
    }
}

#[test]
fn strings_whose_hashes_share_the_low_half_stay_apart() {
    let mut strings = Interner::default();
    // Every string's hash differs only above the 32 bits a slot keeps.
    let same_low = |n: u64, key: &str| ReadyString {
        key: key.into(),
        cleaned: None,
        hash: n << 32 | 0x1234_5678,
    };
    let ids: Vec<StrId> = (0..2_000)
        .map(|n| strings.intern(same_low(n, &subject(n as usize)), 1).0)
        .collect();
    for (n, &id) in ids.iter().enumerate() {
        let again = same_low(n as u64, &subject(n));
        assert_eq!(strings.intern(again, 1), (id, false));
    }
    for (n, &id) in ids.iter().enumerate().step_by(2) {
        strings.release(id);
        strings.release(id);
        assert_eq!(strings.live(), 2_000 - n / 2 - 1);
    }
    for (n, &id) in ids.iter().enumerate().skip(1).step_by(2) {
        assert_holds(&strings, id, &subject(n), &subject(n));
    }
}

#[test]
fn a_compaction_keeps_every_live_string() {
    let mut strings = Interner::default();
    let key = |n: usize| format!("{}\u{1b}", subject(n));
    let ids: Vec<StrId> = (0..20_000)
        .map(|n| match n % 7 {
            0 => strings.intern(cleaned(&key(n), &subject(n)), 1).0,
            _ => strings.intern(plain(&subject(n)), 1).0,
        })
        .collect();
    let before = strings.strings.texts.heap_bytes();
    for &id in ids.iter().filter(|&&id| id % 5 != 0) {
        strings.release(id);
    }
    assert!(strings.strings.dead < strings.strings.held.max(MIN_DEAD));
    assert!(strings.strings.texts.heap_bytes() < before / 2);
    assert_eq!(strings.live(), 4_000);
    for (n, &id) in ids.iter().enumerate().step_by(5) {
        let key = if n % 7 == 0 { key(n) } else { subject(n) };
        assert_holds(&strings, id, &key, &subject(n));
        let string = match n % 7 {
            0 => cleaned(&key, &subject(n)),
            _ => plain(&key),
        };
        assert_eq!(strings.intern(string, 1), (id, false));
    }
}

#[test]
fn an_evicting_table_holds_at_most_about_twice_its_live_text() {
    let mut strings = Interner::default();
    let live = 5_000;
    let mut held: std::collections::VecDeque<(usize, StrId)> = (0..live)
        .map(|n| (n, strings.intern(plain(&subject(n)), 1).0))
        .collect();
    let mut most = 0;
    for round in 1..200 {
        for n in round * live..(round + 1) * live {
            let (old, id) = held.pop_front().expect("a live string");
            assert_eq!(strings.get(id), subject(old));
            strings.release(id);
            held.push_back((n, strings.intern(plain(&subject(n)), 1).0));
        }
        let texts = strings.strings.texts.heap_bytes();
        assert!(
            texts <= 2 * strings.strings.held + MIN_DEAD + CHUNK,
            "round {round}: {texts} bytes for {} live",
            strings.strings.held
        );
        most = most.max(strings.heap_bytes());
    }
    assert_eq!(strings.live(), live);
    assert_eq!(strings.id_bound(), live);
    for &(n, id) in &held {
        assert_holds(&strings, id, &subject(n), &subject(n));
    }
    // The slots, masks and table no longer grow either.
    assert!(most < 1024 * 1024, "{most} bytes");
}

#[test]
fn a_text_no_chunk_takes_is_kept_aside() {
    let mut strings = Interner::default();
    let long = "x".repeat(CHUNK + 1);
    let (short, _) = strings.intern(plain("short"), 1);
    let (id, _) = strings.intern(cleaned(&format!("{long}\u{1b}"), &long), 1);
    assert_holds(&strings, id, &format!("{long}\u{1b}"), &long);
    assert!(strings.heap_bytes() > 2 * CHUNK);
    assert_eq!(strings.strings.held, "short".len());
    strings.release(id);
    assert!(strings.strings.spilled.is_empty() && strings.strings.keys.is_empty());
    assert!(strings.heap_bytes() < CHUNK);
    assert_holds(&strings, short, "short", "short");
}

#[test]
fn empty_texts_take_no_chunk() {
    let mut strings = Interner::default();
    let (id, _) = strings.intern(plain(""), 1);
    let (zwsp, _) = strings.intern(cleaned("\u{200b}", ""), 1);
    assert_ne!(id, zwsp);
    assert_holds(&strings, id, "", "");
    assert_holds(&strings, zwsp, "\u{200b}", "");
    assert!(strings.strings.texts.chunks.is_empty());
}
