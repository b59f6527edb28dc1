//! The filter language: parsing, errors, and what each term matches.

use super::*;

const NOW: i64 = 1_780_000_000_000;

fn kinds(input: &str) -> Vec<(bool, TermKind)> {
    parse(input)
        .unwrap()
        .terms
        .into_iter()
        .map(|t| (t.negated, t.kind))
        .collect()
}

fn text(field: TextField, values: &[&str]) -> TermKind {
    TermKind::Text {
        field,
        any_of: values.iter().map(|v| v.to_string()).collect(),
    }
}

fn err(input: &str) -> FilterError {
    parse(input).unwrap_err()
}

#[test]
fn empty_and_blank_match_all() {
    assert!(parse("").unwrap().is_empty());
    assert!(parse("   \t ").unwrap().is_empty());
}

#[test]
fn free_words_and_phrases() {
    assert_eq!(
        kinds("alice \"weekly digest\""),
        vec![
            (false, text(TextField::Anywhere, &["alice"])),
            (false, text(TextField::Anywhere, &["weekly digest"])),
        ]
    );
    // A colon inside quotes is text, not a field.
    assert_eq!(
        kinds("\"re: hello\""),
        vec![(false, text(TextField::Anywhere, &["re: hello"]))]
    );
}

#[test]
fn each_text_field() {
    assert_eq!(
        kinds("from:a to:b subject:c tag:d sender:e recipient:f tags:g"),
        vec![
            (false, text(TextField::Sender, &["a"])),
            (false, text(TextField::Recipient, &["b"])),
            (false, text(TextField::Subject, &["c"])),
            (false, text(TextField::Tag, &["d"])),
            (false, text(TextField::Sender, &["e"])),
            (false, text(TextField::Recipient, &["f"])),
            (false, text(TextField::Tag, &["g"])),
        ]
    );
    assert_eq!(
        kinds("FROM:x"),
        vec![(false, text(TextField::Sender, &["x"]))]
    );
}

#[test]
fn recipient_domains_and_smtp() {
    assert_eq!(
        kinds("to:@gmail.com to:@a.io,@b.io to:@a.io,bob to:\"@x.io\" -to:@Yahoo.com"),
        vec![
            (false, text(TextField::RecipientDomain, &["@gmail.com"])),
            (false, text(TextField::RecipientDomain, &["@a.io", "@b.io"])),
            (false, text(TextField::Recipient, &["@a.io", "bob"])),
            (false, text(TextField::RecipientDomain, &["@x.io"])),
            (true, text(TextField::RecipientDomain, &["@Yahoo.com"])),
        ]
    );
    assert_eq!(
        kinds("smtp:\"550 5.7.1\" SMTP:421,450 ip:10.0."),
        vec![
            (false, text(TextField::Smtp, &["550 5.7.1"])),
            (false, text(TextField::Smtp, &["421", "450"])),
            (false, text(TextField::Ip, &["10.0."])),
        ]
    );
    assert_eq!(err("smtp:").reason, "empty value after \"smtp:\"");
    // Neither is a field the API filters by: both stay in memory.
    let q = parse("to:@gmail.com smtp:550 ip:10.0.0.1")
        .unwrap()
        .server_query(NOW, 50);
    assert_eq!(
        q,
        LogQuery {
            limit: Some(50),
            ..LogQuery::default()
        }
    );
}

#[test]
fn ends_with_ci_cases() {
    assert!(ends_with_ci("ana@Gmail.COM", "@gmail.com"));
    assert!(!ends_with_ci("ana@gmail.com.evil.io", "@gmail.com"));
    assert!(!ends_with_ci("ana@mail.gmail.com", "@gmail.com"));
    assert!(!ends_with_ci("com", "@gmail.com"));
    assert!(ends_with_ci("ana@ÉTÉ.fr", "@été.fr"));
    assert!(ends_with_ci("漢字@x.io", "@x.io"));
}

#[test]
fn quoted_values_keep_spaces_and_commas() {
    assert_eq!(
        kinds("subject:\"weekly digest, vol 2\""),
        vec![(false, text(TextField::Subject, &["weekly digest, vol 2"]))]
    );
}

#[test]
fn comma_lists_are_any_of() {
    assert_eq!(
        kinds("type:bounced,deferred from:a,b"),
        vec![
            (
                false,
                TermKind::Type(vec![LogEventType::Bounced, LogEventType::Deferred])
            ),
            (false, text(TextField::Sender, &["a", "b"])),
        ]
    );
    assert_eq!(
        kinds("type:OPENED,other"),
        vec![(
            false,
            TermKind::Type(vec![LogEventType::Opened, LogEventType::Other])
        )]
    );
}

#[test]
fn negation() {
    assert_eq!(
        kinds("-type:opened -spam"),
        vec![
            (true, TermKind::Type(vec![LogEventType::Opened])),
            (true, text(TextField::Anywhere, &["spam"])),
        ]
    );
}

#[test]
fn times() {
    assert_eq!(
        kinds("since:15m until:2h since:1d since:30s since:1h30m since:1w"),
        vec![
            (false, TermKind::Since(TimeBound::Ago(15 * 60_000))),
            (false, TermKind::Until(TimeBound::Ago(2 * 3_600_000))),
            (false, TermKind::Since(TimeBound::Ago(86_400_000))),
            (false, TermKind::Since(TimeBound::Ago(30_000))),
            (false, TermKind::Since(TimeBound::Ago(90 * 60_000))),
            (false, TermKind::Since(TimeBound::Ago(7 * 86_400_000))),
        ]
    );
    let at = parse_time("2026-05-27T10:00:00Z")
        .unwrap()
        .timestamp_millis();
    assert_eq!(
        kinds("since:2026-05-27T10:00:00Z until:2026-05-27"),
        vec![
            (false, TermKind::Since(TimeBound::At(at))),
            (false, TermKind::Until(TimeBound::At(at - 10 * 3_600_000))),
        ]
    );
    assert_eq!(TimeBound::Ago(1000).resolve(NOW), NOW - 1000);
    assert_eq!(TimeBound::At(5).resolve(NOW), 5);
}

#[test]
fn local_times() {
    const CET: Zone = Zone::Fixed {
        offset_secs: 3600,
        name: "CET",
    };
    let bounds = |input: &str| -> Vec<TermKind> {
        parse_in(input, CET)
            .unwrap()
            .terms
            .into_iter()
            .map(|t| t.kind)
            .collect()
    };
    assert_eq!(
        bounds("since:09:00 until:09:00:30 since:today since:yesterday"),
        vec![
            TermKind::Since(TimeBound::Local(LocalBound::TimeOfDay(9 * 3600), CET)),
            TermKind::Until(TimeBound::Local(LocalBound::TimeOfDay(9 * 3600 + 30), CET)),
            TermKind::Since(TimeBound::Local(LocalBound::Today, CET)),
            TermKind::Since(TimeBound::Local(LocalBound::Yesterday, CET)),
        ]
    );
    // Durations and RFC 3339 times read as before.
    assert_eq!(
        bounds("since:15m"),
        vec![TermKind::Since(TimeBound::Ago(15 * 60_000))]
    );
    // 2026-05-27T12:00:00Z is 13:00 CET: since:09:00 is 08:00Z.
    let now = 1_779_883_200_000;
    let q = parse_in("since:09:00 until:today", CET)
        .unwrap()
        .server_query(now, 10);
    assert_eq!(
        q.start.map(|t| t.to_rfc3339()),
        Some("2026-05-27T08:00:00+00:00".to_string())
    );
    assert_eq!(
        q.end.map(|t| t.to_rfc3339()),
        Some("2026-05-26T23:00:00+00:00".to_string())
    );
    // In UTC, the same words name other instants.
    let q = parse_in("since:09:00", Zone::Utc)
        .unwrap()
        .server_query(now, 10);
    assert_eq!(
        q.start.map(|t| t.timestamp_millis()),
        Some(now - 3 * 3_600_000)
    );
}

#[test]
fn bad_local_times() {
    let e = err("x since:25:00");
    assert_eq!(e.span, 2..13);
    assert_eq!(
        e.reason,
        "bad time of day \"25:00\" (use HH:MM or HH:MM:SS, hours 00-23, minutes and \
         seconds 00-59)"
    );
    assert!(err("until:09:61").reason.starts_with("bad time of day"));
    assert!(err("since:9:5").reason.starts_with("bad time of day"));
    assert!(err("since:tomorrow").reason.starts_with("bad duration"));
}

#[test]
fn spans_point_at_the_term() {
    let f = parse("  alice  -type:opened").unwrap();
    assert_eq!(f.terms[0].span, 2..7);
    assert_eq!(f.terms[1].span, 9..21);
}

#[test]
fn unknown_field() {
    let e = err("alice frm:bob");
    assert_eq!(e.span, 6..13);
    assert_eq!(
        e.reason,
        "unknown field \"frm\" (try from:, to:, subject:, tag:, type:, smtp:, ip:, since:, until:)"
    );
}

#[test]
fn unknown_event_type_suggests() {
    let e = err("type:bouncd");
    assert_eq!(e.span, 0..11);
    assert_eq!(e.reason, "unknown type \"bouncd\": did you mean bounced?");
    let e = err("type:delivered,zzzzzzzz");
    assert_eq!(
        e.reason,
        "unknown type \"zzzzzzzz\": try bounced, deferred, permfail…"
    );
}

#[test]
fn types_as_the_table_shows_them_and_prefixes() {
    assert_eq!(
        kinds("type:permfail,tempfail,unsub -type:bou"),
        vec![
            (
                false,
                TermKind::Type(vec![
                    LogEventType::PermanentFail,
                    LogEventType::TemporaryFail,
                    LogEventType::Unsubscribed,
                ])
            ),
            (true, TermKind::Type(vec![LogEventType::Bounced])),
        ]
    );
    let e = err("from:a type:de");
    assert_eq!(e.span, 7..14);
    assert_eq!(e.reason, "ambiguous type \"de\": delivered or deferred?");
    // What a short name sends the server is the wire name's type.
    let q = parse("type:permfail").unwrap().server_query(NOW, 10);
    assert_eq!(q.event_type, Some(LogEventType::PermanentFail));
}

#[test]
fn bad_duration() {
    let e = err("x since:15x");
    assert_eq!(e.span, 2..11);
    assert_eq!(
        e.reason,
        "bad duration \"15x\" (use 30s, 15m, 2h, 1d or an RFC 3339 time)"
    );
    assert!(parse("since:15").is_err());
    assert!(parse("until:m").is_err());
    assert!(parse("since:99999999999999999999d").is_err());
}

#[test]
fn unterminated_quote() {
    let e = err("from:a subject:\"weekly dig");
    assert_eq!(e.span, 7..26);
    assert!(e.reason.starts_with("unterminated quote"));
}

#[test]
fn empty_values_and_lone_dash() {
    assert_eq!(err("from:").reason, "empty value after \"from:\"");
    assert_eq!(err("type:bounced,").reason, "empty item in a comma list");
    assert_eq!(err("subject:\"\"").reason, "empty quoted value");
    assert_eq!(err("a - b").span, 2..3);
}

#[test]
fn spans_are_byte_ranges_with_multibyte_text() {
    let e = err("漢字 frm:x");
    assert_eq!(e.span, 7..12);
}

#[test]
fn server_query_maps_what_the_api_supports() {
    let f = parse(
        "type:bounced from:alice@example.com to:bob@example.org subject:\"weekly digest\" \
         tag:news since:15m until:2026-05-27T10:00:00Z free",
    )
    .unwrap();
    let q = f.server_query(NOW, 500);
    assert_eq!(q.event_type, Some(LogEventType::Bounced));
    assert_eq!(q.sender.as_deref(), Some("alice@example.com"));
    assert_eq!(q.recipient.as_deref(), Some("bob@example.org"));
    assert_eq!(q.subject.as_deref(), Some("weekly digest"));
    assert_eq!(q.tags.as_deref(), Some("news"));
    assert_eq!(
        q.start.map(|t| t.timestamp_millis()),
        Some(NOW - 15 * 60_000)
    );
    assert_eq!(q.end, Some(parse_time("2026-05-27T10:00:00Z").unwrap()));
    assert_eq!(q.limit, Some(500));
}

#[test]
fn server_query_leaves_out_what_it_cannot_express() {
    let f = parse("type:bounced,deferred -from:a@b.co from:alice to:x,y -tag:t hello").unwrap();
    let q = f.server_query(NOW, 50);
    assert_eq!(
        q,
        LogQuery {
            limit: Some(50),
            ..LogQuery::default()
        }
    );
    // A second term on one field: the first goes to the server, both
    // stay in memory.
    let q = parse("subject:a subject:b type:other type:opened")
        .unwrap()
        .server_query(NOW, 50);
    assert_eq!(q.subject.as_deref(), Some("a"));
    assert_eq!(q.event_type, Some(LogEventType::Opened));
}

#[test]
fn whole_addresses() {
    assert!(is_whole_address("a@b.co"));
    assert!(!is_whole_address("@b.co"));
    assert!(!is_whole_address("alice@"));
    assert!(!is_whole_address("alice@localhost"));
    assert!(!is_whole_address("alice"));
}

#[test]
fn contains_ci_cases() {
    assert!(contains_ci("Hello World", "world"));
    assert!(contains_ci("ÉCOLE", "éco"));
    assert!(!contains_ci("abc", "abcd"));
    assert!(contains_ci("anything", ""));
    assert!(contains_ci("xxAbC", "abc"));
    assert!(contains_ci("abc", "abc"));
    assert!(!contains_ci("ab", "abc"));
    assert!(contains_ci("a-b-c-ABD", "abd"));
    assert!(!contains_ci("a-b-c-ABX", "abd"));
    assert!(contains_ci("50% off", "0%"));
}

/// Every split of every text against every needle of it: the same
/// verdict as the joined text.
#[test]
fn contains_ci_split_agrees_with_the_joined_text() {
    let texts = [
        "250 2.0.0 OK 17 x - gsmtp",
        "550 5.7.1 Été blocked",
        "ab",
        "",
    ];
    let needles = [
        "ok 17",
        "k 1",
        "250 2.0.0 ok 17 x - gsmtp",
        "0 2",
        "été b",
        "ab",
        "b",
        "x",
        "",
    ];
    for text in texts {
        for cut in (0..=text.len()).filter(|&i| text.is_char_boundary(i)) {
            let (head, tail) = text.split_at(cut);
            for needle in needles {
                let needle = needle.to_lowercase();
                assert_eq!(
                    contains_ci_split(head, tail.as_bytes(), &needle),
                    contains_ci(text, &needle),
                    "{head:?} + {tail:?} for {needle:?}"
                );
            }
        }
    }
}
