//! The `a` prompt's language: `issue ID`, `campaign ID`, `domain NAME` or
//! `inbox`, and what makes a domain name one.

use crate::model::Source;
use crate::sanitize::clean;

/// Longest domain name DNS allows.
const MAX_DOMAIN_BYTES: usize = 253;
/// Longest label (the part between dots).
const MAX_LABEL_BYTES: usize = 63;

/// Parses what was typed at the prompt. Domains are normalised, so
/// `Shop.Example.COM.` is the `shop.example.com` already watched.
pub fn parse_watch(text: &str) -> Result<Source, String> {
    let mut words = text.split_whitespace();
    let kind = words.next().map(str::to_ascii_lowercase);
    let id = words.next();
    if words.next().is_some() {
        return Err("one kind and one ID, like: issue 42".into());
    }
    let valid_id = |id: Option<&str>, what: &str| match id {
        Some(id) if !id.chars().any(char::is_control) && clean(id) == id => Ok(id.to_string()),
        Some(_) => Err(format!("the {what} holds control characters")),
        None => Err(format!("which {what}? like: {}", example(what))),
    };
    match kind.as_deref() {
        Some("issue") => Ok(Source::SendProgress {
            issue_id: valid_id(id, "issue")?,
        }),
        Some("campaign") => Ok(Source::Campaign {
            campaign_id: valid_id(id, "campaign")?,
        }),
        Some("domain") => Ok(Source::DomainLogs {
            domain: normalize_domain(&valid_id(id, "domain")?)?,
        }),
        Some("inbox") if id.is_none() => Ok(Source::Inbox),
        Some("inbox") => Err("inbox takes no ID".into()),
        Some(other) => Err(format!(
            "unknown kind \"{}\" (issue ID, campaign ID, domain NAME, inbox)",
            clean(other)
        )),
        None => Err("type: issue ID, campaign ID, domain NAME or inbox".into()),
    }
}

fn example(what: &str) -> &'static str {
    match what {
        "domain" => "domain example.com",
        "campaign" => "campaign 7",
        _ => "issue 42",
    }
}

/// A domain as the API knows it: lower case, no trailing dot. Refuses
/// what no domain is (`foo..com`, a label starting with `-`, a name with
/// one label or characters DNS does not allow) rather than asking the
/// server and spending quota on a 404.
pub fn normalize_domain(name: &str) -> Result<String, String> {
    let domain = name.trim().trim_end_matches('.').to_ascii_lowercase();
    let bad = |why: &str| Err(format!("\"{}\" is not a domain: {why}", clean(name)));
    if domain.is_empty() {
        return bad("it is empty");
    }
    if domain.len() > MAX_DOMAIN_BYTES {
        return bad("it is longer than 253 characters");
    }
    let labels: Vec<&str> = domain.split('.').collect();
    if labels.len() < 2 {
        return bad("it needs a dot, like example.com");
    }
    for label in labels {
        if label.is_empty() {
            return bad("two dots in a row");
        }
        if label.len() > MAX_LABEL_BYTES {
            return bad("a part is longer than 63 characters");
        }
        if label.starts_with('-') || label.ends_with('-') {
            return bad("a part starts or ends with '-'");
        }
        if !label
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        {
            return bad("only letters, digits, '-' and '.' (an IDN in its xn-- form)");
        }
    }
    Ok(domain)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn domain(text: &str) -> Result<String, String> {
        match parse_watch(text)? {
            Source::DomainLogs { domain } => Ok(domain),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn domains_are_normalised() {
        assert_eq!(
            domain("domain Shop.Example.COM").unwrap(),
            "shop.example.com"
        );
        assert_eq!(
            domain("DOMAIN shop.example.com.").unwrap(),
            "shop.example.com"
        );
        assert_eq!(
            domain("domain xn--bcher-kva.example").unwrap(),
            "xn--bcher-kva.example"
        );
    }

    #[test]
    fn what_is_no_domain_is_refused_saying_why() {
        for (text, why) in [
            ("domain foo..com", "two dots"),
            ("domain localhost", "needs a dot"),
            ("domain -shop.example.com", "starts or ends"),
            ("domain shop!.example.com", "only letters"),
            ("domain büch.example", "xn--"),
            ("domain .", "empty"),
        ] {
            let err = domain(text).unwrap_err();
            assert!(err.contains(why), "{text}: {err}");
        }
        let long = format!("domain {}.com", "a".repeat(64));
        assert!(domain(&long).unwrap_err().contains("63"));
    }

    #[test]
    fn kinds_and_ids() {
        assert_eq!(
            parse_watch("issue iss-1"),
            Ok(Source::SendProgress {
                issue_id: "iss-1".into()
            })
        );
        assert_eq!(parse_watch("Inbox"), Ok(Source::Inbox));
        assert!(parse_watch("inbox x").is_err());
        assert!(parse_watch("issue").unwrap_err().contains("which issue"));
        assert!(parse_watch("issue a b").is_err());
        assert!(parse_watch("bogus 1").unwrap_err().contains("unknown kind"));
    }
}
