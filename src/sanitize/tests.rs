use super::*;

fn cleaned(s: &str) -> String {
    clean(s).into_owned()
}

#[test]
fn the_quick_answer_for_latin_text_is_the_categories_answer() {
    for c in ('\0'..='\u{400}').chain(['\u{34f}', '\u{350}']) {
        assert_eq!(is_unsafe(c), is_unsafe_by_category(c), "{:?}", c);
    }
}

#[test]
fn clean_text_is_borrowed() {
    for s in ["", "hello", "Ünïcødé 漢字 😀", "a b-c_d@example.com"] {
        assert!(matches!(clean(s), Cow::Borrowed(_)), "{s:?}");
    }
}

#[test]
fn csi_sequences_are_removed_whole() {
    assert_eq!(cleaned("a\u{1b}[31mred\u{1b}[0m b"), "ared b");
    assert_eq!(cleaned("\u{1b}[2J\u{1b}[1;1Hx"), "x");
    assert_eq!(cleaned("\u{1b}[?1049h"), "");
    // 8-bit CSI.
    assert_eq!(cleaned("a\u{9b}1mb"), "ab");
}

#[test]
fn osc_is_removed_with_either_terminator() {
    assert_eq!(cleaned("a\u{1b}]0;evil title\u{07}b"), "ab");
    assert_eq!(cleaned("a\u{1b}]52;c;aGVsbG8=\u{1b}\\b"), "ab");
    assert_eq!(
        cleaned("\u{1b}]8;;https://evil.example\u{1b}\\link\u{1b}]8;;\u{1b}\\"),
        "link"
    );
    assert_eq!(cleaned("a\u{9d}0;t\u{9c}b"), "ab");
}

#[test]
fn unterminated_strings_swallow_the_rest() {
    assert_eq!(cleaned("ok\u{1b}]0;never ends"), "ok");
    assert_eq!(cleaned("ok\u{1b}Pq#0;2;0;0;0"), "ok");
}

#[test]
fn dcs_pm_apc_are_removed() {
    assert_eq!(cleaned("a\u{1b}Pdata\u{1b}\\b"), "ab");
    assert_eq!(cleaned("a\u{1b}^pm\u{1b}\\b"), "ab");
    assert_eq!(cleaned("a\u{1b}_apc\u{9c}b"), "ab");
    // BEL does not end a DCS; it is part of its payload.
    assert_eq!(cleaned("a\u{1b}Px\u{07}y\u{1b}\\b"), "ab");
}

#[test]
fn other_escape_sequences_are_removed() {
    assert_eq!(cleaned("a\u{1b}(Bb"), "ab");
    assert_eq!(cleaned("a\u{1b}7b\u{1b}8"), "ab");
    assert_eq!(cleaned("a\u{1b}cb"), "ab");
    assert_eq!(cleaned("trailing\u{1b}"), "trailing");
}

#[test]
fn controls_are_removed_and_breaks_become_spaces() {
    assert_eq!(cleaned("a\u{0}b\u{7}c\u{7f}d\u{80}e\u{91}f"), "abcdef");
    // C1 APC opens a control string, like ESC _.
    assert_eq!(cleaned("a\u{9f}hidden\u{9c}b"), "ab");
    assert_eq!(cleaned("line1\nline2\r\nx\ty"), "line1 line2  x y");
    assert_eq!(cleaned("a\u{2028}b\u{85}c"), "a b c");
    assert_eq!(cleaned("back\u{8}\u{8}space"), "backspace");
}

#[test]
fn bidi_and_zero_width_are_removed() {
    assert_eq!(cleaned("admin\u{202e}moc.evil"), "adminmoc.evil");
    assert_eq!(
        cleaned("a\u{2066}b\u{2069}c\u{200e}d\u{200f}e\u{61c}f"),
        "abcdef"
    );
    assert_eq!(
        cleaned("pay\u{200b}pal\u{200c}\u{200d}\u{2060}\u{feff}"),
        "paypal"
    );
}

#[test]
fn other_invisible_characters_are_removed() {
    // Soft hyphen, invisible times, Mongolian vowel separator, a Hangul
    // filler posing as a name, and a tag-character "hidden" message.
    assert_eq!(cleaned("pa\u{ad}y\u{2062}pal\u{180e}"), "paypal");
    assert_eq!(cleaned("\u{3164}\u{3164}admin"), "admin");
    assert_eq!(cleaned("ok\u{e0001}\u{e0068}\u{e0069}\u{e007f}"), "ok");
    // Presentation selectors and skin tones: terminals disagree on
    // their width.
    assert_eq!(cleaned("\u{2764}\u{fe0f}"), "\u{2764}");
    assert_eq!(
        cleaned("👍\u{1f3fd} 0\u{fe0f}\u{20e3} ☺\u{fe0e}"),
        "👍 0\u{20e3} ☺"
    );
    // Other variation selectors (CJK, maths) are kept.
    assert_eq!(cleaned("\u{845b}\u{fe00}"), "\u{845b}\u{fe00}");
}

#[test]
fn json_for_a_terminal_escapes_what_clean_removes_and_round_trips() {
    let text = "a\u{1b}]0;t\u{7}b\u{9b}31m\u{7f}\u{202e}\u{200b}\u{e0041}漢😀\"\\";
    let mut out = Vec::new();
    write_json(&mut out, &serde_json::json!({ "s": text, "k\u{85}": 1 })).unwrap();
    let json = String::from_utf8(out).unwrap();
    assert!(!json.chars().any(is_unsafe), "{json:?}");
    assert!(
        json.contains("\\u009b") && json.contains("\\udb40\\udc41"),
        "{json}"
    );
    assert!(json.contains("漢😀"), "{json}");
    let back: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(back["s"], text);
    assert_eq!(back["k\u{85}"], 1);
}

#[test]
fn the_ascii_fast_path_agrees_with_the_char_scan() {
    for b in 0u8..=0x7f {
        let s = format!("ab{}cd", b as char);
        let printable = (0x20..0x7f).contains(&b);
        assert_eq!(is_printable_ascii(&s), printable, "{b:#x}");
        assert_eq!(!s.chars().any(is_unsafe), printable, "{b:#x}");
    }
    assert!(!is_printable_ascii("é"));
}

#[test]
fn the_latin_fast_path_passes_only_text_clean_leaves_alone() {
    // Every character up to U+0400, alone and between others.
    for c in '\0'..='\u{400}' {
        for s in [
            c.to_string(),
            format!("é{c}a"),
            format!("{}{c}", "ü".repeat(70)),
        ] {
            if is_safe_latin(&s) {
                assert!(!s.chars().any(is_unsafe), "{s:?}");
            }
        }
        let latin = ('\u{c0}'..='\u{33f}').contains(&c) || (' '..='~').contains(&c);
        assert_eq!(is_safe_latin(&c.to_string()), latin, "{c:?}");
    }
    assert!(is_safe_latin(
        "Ren\u{e9}e M\u{fc}ller, R\u{e9}sum\u{e9} e\u{301}"
    ));
    assert!(matches!(clean("caf\u{e9} na\u{ef}ve"), Cow::Borrowed(_)));
    assert_eq!(cleaned("caf\u{e9}\u{ad}\u{9b}1m!"), "caf\u{e9}!");
}

#[test]
fn a_byte_outside_printable_ascii_or_latin_is_found_at_every_offset() {
    // Lengths either side of the 16- and 64-byte steps.
    for len in 0..140 {
        assert!(is_printable_ascii(&"~".repeat(len)) && is_safe_latin(&"é".repeat(len)));
        for at in 0..len {
            for c in [
                '\u{0}', '\u{1f}', '\u{7f}', '\u{80}', '\u{ad}', '\u{340}', '😀',
            ] {
                let mut text = "a".repeat(len);
                text.replace_range(at..=at, &c.to_string());
                assert!(!is_printable_ascii(&text), "{c:?} at {at} of {len}");
                assert!(!is_safe_latin(&text), "{c:?} at {at} of {len}");
            }
            let mut text = "a".repeat(len);
            text.replace_range(at..=at, "\u{e9}");
            assert!(!is_printable_ascii(&text) && is_safe_latin(&text));
        }
    }
}

#[test]
fn the_first_json_special_byte_is_found_at_every_offset_and_length() {
    let naive = |b: &[u8]| {
        b.iter()
            .position(|&b| matches!(b, b'"' | b'\\' | 0..0x20 | 0x7f | 0xc0..=0xc2 | 0xcd..))
    };
    for len in 0..40 {
        for at in 0..=len {
            for special in [
                b'"', b'\\', 0, b'\n', 0x1f, 0x7f, 0xc0, 0xc2, 0xcd, 0xe2, 0xff,
            ] {
                let mut bytes = vec![b'a'; len + 1];
                bytes[len] = b'"';
                bytes[at] = special;
                assert_eq!(
                    first_json_special(&bytes),
                    naive(&bytes),
                    "{special} at {at}"
                );
            }
            for plain in [b' ', b'~', b'!', b'[', b'/', 0x80, 0xbf, 0xc3, 0xcc] {
                let mut bytes = vec![b'a'; len];
                if at < len {
                    bytes[at] = plain;
                }
                assert_eq!(first_json_special(&bytes), None, "{plain} at {at} of {len}");
            }
        }
    }
}

#[test]
fn capped_text_is_cut_on_a_char_boundary_with_an_ellipsis() {
    assert_eq!(clean_capped("short", 10), "short");
    let long = format!("\u{1b}[31m{}", "漢".repeat(1000));
    let out = clean_capped(&long, 100);
    assert!(out.len() <= 100 && out.ends_with('…'), "{out}");
    assert!(out.starts_with('漢'));
    assert_eq!(clean_capped("abcdef", 4), "a…");
}

#[test]
fn flags_become_their_letters() {
    assert_eq!(cleaned("go \u{1f1ef}\u{1f1f5}!"), "go JP!");
    assert_eq!(cleaned("\u{1f1e6}\u{1f1ff}\u{1f1fa}"), "AZU");
    // Not a regional indicator: kept.
    assert_eq!(cleaned("\u{1f1e5}\u{1f200}"), "\u{1f1e5}\u{1f200}");
    let mut out = Vec::new();
    write_json(&mut out, "\u{1f1ef}\u{1f1f5}").unwrap();
    assert_eq!(out, br#""\ud83c\uddef\ud83c\uddf5""#);
}

#[test]
fn wide_and_combining_text_is_kept() {
    assert_eq!(cleaned("漢字\u{1b}[1m e\u{301}"), "漢字 e\u{301}");
}

#[test]
fn output_never_holds_an_escape_or_control() {
    let nasty = "\u{1b}[\u{1b}]\u{1b}P\u{9b}\u{9d}x\u{1b}";
    for s in [nasty, "\u{1b}[31", "\u{1b}[\u{7f}m", "\u{1b}\u{1b}[1m"] {
        let out = cleaned(s);
        assert!(!out.chars().any(is_unsafe), "{s:?} -> {out:?}");
    }
}
