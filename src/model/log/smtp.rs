//! How SMTP responses group: the stable part of a response, without the
//! queue ids, addresses and times that differ from one message to the
//! next. The top-values panel counts by it; the client works it out on
//! the parse thread so that a recount of 500,000 records compares ids.

/// The part of an SMTP response the panel groups by: the reply code, the
/// enhanced status code, and the words after them up to the first that
/// carries a number, an address or a bracket (those vary per message:
/// queue ids, IPs, timestamps), at most eight words. It is a slice of the
/// response as it came, so `smtp:"<group>"` matches every response of the
/// group: `550 5.7.1 [203.0.113.9] blocked` groups as `550 5.7.1`,
/// `250 2.0.0 OK 1700000000 x12 - gsmtp` as `250 2.0.0 OK`.
pub fn smtp_group(response: &str) -> &str {
    let text = response.trim_start();
    // Bytes, not chars: this runs for every match in a recount (see
    // `benches/log_path.rs`, group `top_values`). Words end at ASCII
    // whitespace, so every cut is on a character boundary.
    let bytes = text.as_bytes();
    let (mut at, mut end) = (0, 0);
    for n in 0..8 {
        while at < bytes.len() && bytes[at].is_ascii_whitespace() {
            at += 1;
        }
        if at == bytes.len() {
            break;
        }
        let start = at;
        while at < bytes.len() && !bytes[at].is_ascii_whitespace() {
            at += 1;
        }
        let word = &bytes[start..at];
        let code = match n {
            0 => is_reply_code(word),
            1 => is_enhanced_code(word),
            _ => false,
        };
        let varies = matches!(word[0], b'[' | b'(' | b'<' | b'{')
            || word
                .iter()
                .any(|b| b.is_ascii_digit() || *b == b'@' || *b == b'=');
        if !code && varies {
            break;
        }
        end = at;
    }
    if end == 0 {
        // Nothing stable at the start: the first 60 bytes stand for it.
        let mut cut = text.len().min(60);
        while !text.is_char_boundary(cut) {
            cut -= 1;
        }
        return text[..cut].trim_end();
    }
    &text[..end]
}

/// `550`, or `550-` (a continued multi-line reply).
fn is_reply_code(word: &[u8]) -> bool {
    word.len() >= 3
        && word[..3].iter().all(u8::is_ascii_digit)
        && (word.len() == 3 || (word.len() == 4 && word[3] == b'-'))
}

/// `5.7.1`: class, subject and detail.
fn is_enhanced_code(word: &[u8]) -> bool {
    let mut parts = 0;
    for part in word.split(|b| *b == b'.') {
        parts += 1;
        if !(1..=3).contains(&part.len()) || !part.iter().all(u8::is_ascii_digit) {
            return false;
        }
    }
    parts == 3
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn smtp_groups_by_codes_and_stable_words() {
        for (response, group) in [
            ("550 5.7.1 [203.0.113.9] blocked", "550 5.7.1"),
            ("250 2.0.0 OK  1700000000 x12si - gsmtp", "250 2.0.0 OK"),
            (
                "421 4.7.0 Try again later, closing connection. (EHLO) 5si",
                "421 4.7.0 Try again later, closing connection.",
            ),
            ("  550 5.1.1 User unknown", "550 5.1.1 User unknown"),
            (
                "550-5.7.1 Rejected by policy",
                "550-5.7.1 Rejected by policy",
            ),
            ("452 Too many recipients", "452 Too many recipients"),
            ("Mailbox full", "Mailbox full"),
            ("[1.2.3.4] é", "[1.2.3.4] é"),
            ("", ""),
        ] {
            assert_eq!(smtp_group(response), group, "{response}");
            assert!(response.contains(smtp_group(response)));
        }
        // Cut at a character boundary: é spans bytes 59 and 60.
        let long = "x".repeat(58) + "éé";
        assert_eq!(smtp_group(&format!("[{long}")).len(), 59);
    }
}
