//! Escape sequences written beside the frames: a notification for a
//! raised alert (the bell, or OSC 9 and OSC 777 desktop notifications) and
//! tmux's passthrough, which carries a sequence through tmux to the
//! terminal outside (the clipboard's OSC 52 uses it too).

use crate::model::alert::Notify;
use crate::sanitize::clean;

/// Longest notification text sent: desktop notifiers cut long ones anyway,
/// and a slow link should not carry more.
const MAX_TEXT_CHARS: usize = 200;

/// Whether this process runs inside tmux.
pub fn in_tmux() -> bool {
    std::env::var_os("TMUX").is_some_and(|v| !v.is_empty())
}

/// The bytes that announce `text`. `Bell` is a BEL; `Osc` is OSC 9
/// (iTerm2, Ghostty, WezTerm, kitty, foot) and OSC 777 (rxvt-unicode's
/// notify extension, foot, VTE terminals with Fedora's patch), each
/// ignored by terminals that do not know it (README, "Alerts"). The text is sanitized and stripped of `;`
/// (OSC 777's separator), so nothing in it ends the sequence early. Inside
/// tmux the OSCs go through its passthrough; the bell needs none.
pub fn notification(how: Notify, text: &str, in_tmux: bool) -> Vec<u8> {
    match how {
        Notify::Off => Vec::new(),
        Notify::Bell => b"\x07".to_vec(),
        Notify::Osc => {
            let text: String = clean(text)
                .chars()
                .map(|c| if c == ';' { ',' } else { c })
                .take(MAX_TEXT_CHARS)
                .collect();
            let sequences = [
                format!("\x1b]9;{text}\x07"),
                format!("\x1b]777;notify;misar-dash;{text}\x07"),
            ];
            sequences
                .iter()
                .flat_map(|s| wrap(s.as_bytes(), in_tmux))
                .collect()
        }
    }
}

/// `sequence` as is, or inside tmux wrapped in its passthrough:
/// `ESC P tmux; <the sequence, each ESC doubled> ESC \`, which tmux
/// forwards when `allow-passthrough` is on.
pub fn wrap(sequence: &[u8], in_tmux: bool) -> Vec<u8> {
    if !in_tmux {
        return sequence.to_vec();
    }
    let mut wrapped = b"\x1bPtmux;".to_vec();
    for &byte in sequence {
        if byte == 0x1b {
            wrapped.push(0x1b);
        }
        wrapped.push(byte);
    }
    wrapped.extend_from_slice(b"\x1b\\");
    wrapped
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_way_of_announcing() {
        assert!(notification(Notify::Off, "x", false).is_empty());
        assert_eq!(notification(Notify::Bell, "x", true), b"\x07");
        assert_eq!(
            notification(Notify::Osc, "issue a: bounce rate 9% > 5%", false),
            b"\x1b]9;issue a: bounce rate 9% > 5%\x07\x1b]777;notify;misar-dash;issue a: bounce rate 9% > 5%\x07"
                .to_vec()
        );
        assert_eq!(
            notification(Notify::Osc, "a", true),
            b"\x1bPtmux;\x1b\x1b]9;a\x07\x1b\\\x1bPtmux;\x1b\x1b]777;notify;misar-dash;a\x07\x1b\\"
                .to_vec()
        );
    }

    #[test]
    fn upstream_text_cannot_end_the_sequence() {
        let bytes = notification(Notify::Osc, "evil\x07\x1b]0;title\x1b\\;x", false);
        let text = String::from_utf8(bytes).unwrap();
        // Two sequences, each with one BEL at its end and one ESC at its start.
        assert_eq!(text.matches('\x07').count(), 2, "{text:?}");
        assert_eq!(text.matches('\x1b').count(), 2, "{text:?}");
        assert!(!text.contains("]0;"));
    }
}
