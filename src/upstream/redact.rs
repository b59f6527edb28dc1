//! Keys and credentials taken out of text before it goes anywhere a
//! person or a log can read it.

use super::options::ApiKey;

/// Replaces the key wherever it appears in `text`, and any credential that
/// looks like one: the last guard before an error message goes anywhere a
/// person or a log can read it.
pub(crate) fn redact(text: impl Into<String>, key: Option<&ApiKey>) -> String {
    let secret = key.map(ApiKey::expose);
    redact_secrets(&text.into(), secret.as_slice())
}

const REDACTED: &str = "<redacted>";

/// Replaces each of `secrets` (keys, proxy passwords) wherever it appears
/// in `text`, then the value after any `token=` (a URL's query) or
/// `Bearer ` (a header), whatever key that is: a server or proxy may echo
/// a request back in an error.
pub fn redact_secrets<S: AsRef<str>>(text: &str, secrets: &[S]) -> String {
    let mut out = text.to_string();
    for secret in secrets {
        let secret = secret.as_ref();
        if !secret.is_empty() && out.contains(secret) {
            out = out.replace(secret, REDACTED);
        }
    }
    redact_credentials(&out)
}

fn redact_credentials(text: &str) -> String {
    const MARKERS: [&str; 3] = ["token=", "bearer ", "token%3d"];
    // ASCII lower-casing keeps every byte offset.
    let lower = text.to_ascii_lowercase();
    if !MARKERS.iter().any(|m| lower.contains(m)) {
        return text.to_string();
    }
    let mut out = String::with_capacity(text.len());
    let mut from = 0;
    loop {
        let next = MARKERS
            .iter()
            .filter_map(|m| lower[from..].find(m).map(|at| (from + at, m.len())))
            .min();
        let Some((at, len)) = next else {
            out.push_str(&text[from..]);
            return out;
        };
        let value = at + len;
        let value_len = text[value..]
            .find(|c: char| {
                c.is_whitespace()
                    || matches!(
                        c,
                        '&' | '#' | '"' | '\'' | ')' | '(' | ',' | ';' | '<' | '>'
                    )
            })
            .unwrap_or(text.len() - value);
        out.push_str(&text[from..value]);
        if value_len > 0 {
            out.push_str(REDACTED);
        }
        from = value + value_len;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_tokens_and_bearers_are_redacted() {
        let key = ApiKey::new("msk_live_abc123");
        assert_eq!(
            redact("GET /x?a=1&token=msk_live_abc123&b=2 failed", Some(&key)),
            "GET /x?a=1&token=<redacted>&b=2 failed"
        );
        assert_eq!(
            redact("echo: Authorization: Bearer msk_other_999, bye", None),
            "echo: Authorization: Bearer <redacted>, bye"
        );
        assert_eq!(
            redact(
                "url=http://h/p?TOKEN=zzz#frag key=msk_live_abc123",
                Some(&key)
            ),
            "url=http://h/p?TOKEN=<redacted>#frag key=<redacted>"
        );
        assert_eq!(redact("token%3Dabc", None), "token%3D<redacted>");
        assert_eq!(redact("nothing here: token", None), "nothing here: token");
        assert_eq!(redact("ends with token=", None), "ends with token=");
        assert_eq!(
            redact("Ünïcødé bearer x漢", None),
            "Ünïcødé bearer <redacted>"
        );
    }
}
