//! Event types as people type them: the wire names, the short names the
//! log table shows (`permfail`, `tempfail`, `unsub`), and any prefix that
//! names one type only (`bou` is bounced). The dashboard's `type:` filter
//! and headless `--event-type` read types through here, so whatever the
//! table shows can be typed back in either.

use std::fmt;

use super::LogEventType;

impl LogEventType {
    /// The name the log table shows: its type column is nine cells wide.
    pub fn short_name(self) -> &'static str {
        match self {
            LogEventType::TemporaryFail => "tempfail",
            LogEventType::PermanentFail => "permfail",
            LogEventType::Unsubscribed => "unsub",
            t => t.as_str(),
        }
    }
}

/// Which names a place accepts besides the ten documented types.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TypeNames {
    /// What the API filters on: the documented types only.
    Documented,
    /// The dashboard's filter also matches `other`: a type the server sent
    /// that is not documented.
    WithOther,
}

/// Why typed text names no event type. Its message is short enough to be
/// read whole beside a filter at 80 columns.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TypeNameError {
    Empty,
    Unknown {
        /// As typed, cut to a length that fits a message.
        name: String,
        /// The short name of a type a few edits away, when there is one.
        suggestion: Option<&'static str>,
    },
    /// A prefix of more than one type: their short names.
    Ambiguous {
        prefix: String,
        candidates: Vec<&'static str>,
    },
}

/// Longest typed name an error quotes back, as long as the longest type
/// name: a pasted paragraph must not push the rest of the message off the
/// screen.
const QUOTED_CHARS: usize = "permanent_fail".len();

/// How many edits away a typo may be and still be suggested.
const SUGGEST_DISTANCE: usize = 2;

impl fmt::Display for TypeNameError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TypeNameError::Empty => f.write_str("empty event type"),
            TypeNameError::Unknown {
                name,
                suggestion: Some(suggestion),
            } => write!(f, "unknown type \"{name}\": did you mean {suggestion}?"),
            TypeNameError::Unknown {
                name,
                suggestion: None,
            } => write!(
                f,
                "unknown type \"{name}\": try bounced, deferred, permfail…"
            ),
            TypeNameError::Ambiguous { prefix, candidates } => {
                let (last, rest) = candidates.split_last().unwrap_or((&"", &[]));
                if rest.is_empty() {
                    write!(f, "ambiguous type \"{prefix}\": {last}?")
                } else {
                    write!(
                        f,
                        "ambiguous type \"{prefix}\": {} or {last}?",
                        rest.join(", ")
                    )
                }
            }
        }
    }
}

impl std::error::Error for TypeNameError {}

/// Every name a type answers to, documented types in their order.
fn names(accept: TypeNames) -> impl Iterator<Item = (&'static str, LogEventType)> {
    let other = (accept == TypeNames::WithOther).then_some(("other", LogEventType::Other));
    LogEventType::KNOWN
        .iter()
        .flat_map(|&t| {
            let short = (t.short_name() != t.as_str()).then_some((t.short_name(), t));
            [Some((t.as_str(), t)), short]
        })
        .chain([other])
        .flatten()
}

/// Reads a typed event type: a name (any case, surrounding spaces
/// ignored) or a prefix that only one type's names start with.
pub fn parse_type_name(text: &str, accept: TypeNames) -> Result<LogEventType, TypeNameError> {
    let typed = text.trim().to_lowercase();
    if typed.is_empty() {
        return Err(TypeNameError::Empty);
    }
    if let Some((_, t)) = names(accept).find(|(name, _)| *name == typed) {
        return Ok(t);
    }
    let mut candidates: Vec<LogEventType> = Vec::new();
    for (_, t) in names(accept).filter(|(name, _)| name.starts_with(&typed)) {
        if !candidates.contains(&t) {
            candidates.push(t);
        }
    }
    match candidates.as_slice() {
        [only] => Ok(*only),
        [] => Err(TypeNameError::Unknown {
            name: quoted(&typed),
            suggestion: names(accept)
                .map(|(name, t)| (edit_distance(&typed, name), t.short_name()))
                .min()
                .filter(|(distance, _)| *distance <= SUGGEST_DISTANCE)
                .map(|(_, short)| short),
        }),
        many => Err(TypeNameError::Ambiguous {
            prefix: quoted(&typed),
            candidates: many.iter().map(|t| t.short_name()).collect(),
        }),
    }
}

/// The typed text as an error may show it: made safe for a terminal (it
/// goes to stderr as it is in headless mode) and cut short. No type name
/// holds anything but ASCII letters and `_`, so anything else a person
/// typed is shown as `?`: nothing of it can reach a terminal raw.
fn quoted(typed: &str) -> String {
    let typed: String = typed
        .chars()
        .map(|c| if c.is_ascii_graphic() { c } else { '?' })
        .collect();
    match typed.char_indices().nth(QUOTED_CHARS) {
        Some((end, _)) => format!("{}…", &typed[..end]),
        None => typed.to_string(),
    }
}

/// Levenshtein distance; the strings here are a few bytes long.
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut current = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            let substitution = previous[j] + usize::from(ca != *cb);
            current.push(substitution.min(previous[j + 1] + 1).min(current[j] + 1));
        }
        previous = current;
    }
    previous[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;
    use LogEventType as T;

    fn parse(text: &str) -> Result<LogEventType, TypeNameError> {
        parse_type_name(text, TypeNames::WithOther)
    }

    fn message(text: &str) -> String {
        parse(text).unwrap_err().to_string()
    }

    #[test]
    fn every_name_the_table_shows_reads_back() {
        for t in LogEventType::KNOWN {
            assert_eq!(parse(t.short_name()), Ok(t), "{}", t.short_name());
            assert_eq!(parse(t.as_str()), Ok(t), "{}", t.as_str());
            assert_eq!(
                parse_type_name(t.short_name(), TypeNames::Documented),
                Ok(t)
            );
        }
        assert_eq!(parse("permfail"), Ok(T::PermanentFail));
        assert_eq!(parse("tempfail"), Ok(T::TemporaryFail));
        assert_eq!(parse("unsub"), Ok(T::Unsubscribed));
        assert_eq!(parse(" PermFail "), Ok(T::PermanentFail));
        assert_eq!(parse("other"), Ok(T::Other));
    }

    #[test]
    fn a_prefix_of_one_type_names_it() {
        assert_eq!(parse("bou"), Ok(T::Bounced));
        assert_eq!(parse("b"), Ok(T::Bounced));
        // Both of permanent_fail's names start so: still one type.
        assert_eq!(parse("perm"), Ok(T::PermanentFail));
        assert_eq!(parse("t"), Ok(T::TemporaryFail));
        assert_eq!(parse("del"), Ok(T::Delivered));
        assert_eq!(parse("def"), Ok(T::Deferred));
        assert_eq!(parse("unsubscr"), Ok(T::Unsubscribed));
        // `other` is no candidate where it is not accepted.
        assert_eq!(parse_type_name("o", TypeNames::Documented), Ok(T::Opened));
        assert!(parse_type_name("other", TypeNames::Documented).is_err());
    }

    #[test]
    fn an_ambiguous_prefix_lists_its_candidates() {
        assert_eq!(
            parse("de"),
            Err(TypeNameError::Ambiguous {
                prefix: "de".into(),
                candidates: vec!["delivered", "deferred"],
            })
        );
        assert_eq!(message("D"), "ambiguous type \"d\": delivered or deferred?");
        assert_eq!(message("o"), "ambiguous type \"o\": opened or other?");
    }

    #[test]
    fn unknown_names_get_a_suggestion_or_a_short_hint() {
        assert_eq!(
            message("bouncd"),
            "unknown type \"bouncd\": did you mean bounced?"
        );
        assert_eq!(
            message("permfial"),
            "unknown type \"permfial\": did you mean permfail?"
        );
        assert_eq!(
            message("x"),
            "unknown type \"x\": try bounced, deferred, permfail…"
        );
        assert_eq!(parse(""), Err(TypeNameError::Empty));
        assert_eq!(parse("  "), Err(TypeNameError::Empty));
    }

    #[test]
    fn messages_are_short() {
        // Typos of a long name suggest the short one.
        assert_eq!(
            message("permanent_fial"),
            "unknown type \"permanent_fial\": did you mean permfail?"
        );
        for typed in ["x", "bouncd", "de", "o", "unsubscrbed", "temporaryfail"] {
            let m = message(typed);
            assert!(m.chars().count() <= 52, "{} chars: {m}", m.chars().count());
        }
        // Nothing typed reaches a terminal raw: a control is a `?`.
        assert_eq!(
            message("\u{1b}[31mx"),
            "unknown type \"?[31mx\": try bounced, deferred, permfail…"
        );
        let long = "z".repeat(300);
        assert_eq!(
            message(&long),
            format!(
                "unknown type \"{}…\": try bounced, deferred, permfail…",
                "z".repeat(QUOTED_CHARS)
            )
        );
    }
}
