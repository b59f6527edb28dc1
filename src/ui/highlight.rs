//! The filter's words marked in the log table's cells: free words in the
//! sender, recipient, subject and tags; a field's values (`from:`, `to:`,
//! `subject:`, `tag:`, `smtp:`, `ip:`) in that field's column. Marked text is bold and
//! underlined, so it shows without colour and on the selected (reversed)
//! row too. Cells are marked after they are fitted to their columns, so
//! the row's width is what it was; a word cut by the `…` is not marked.

use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};

use crate::app::AppState;
use crate::app::filter::{self, Filter, TermKind, TextField};
use crate::app::logcols::LogColumn;

/// How marked text looks on top of its cell's style.
pub const MARK: Modifier = Modifier::BOLD.union(Modifier::UNDERLINED);

/// The lowercased words of `filter` to mark in `column`: free words in
/// the sender, recipient, subject and tags; a field's values in its own
/// column. Excluded terms mark nothing.
pub fn words_for(filter: &Filter, column: LogColumn) -> Vec<String> {
    let mut words = Vec::new();
    for term in filter.terms.iter().filter(|t| !t.negated) {
        let TermKind::Text { field, any_of } = &term.kind else {
            continue;
        };
        let shown_in = match field {
            TextField::Anywhere => matches!(
                column,
                LogColumn::Sender | LogColumn::Recipient | LogColumn::Subject | LogColumn::Tags
            ),
            TextField::Sender => column == LogColumn::Sender,
            TextField::Recipient | TextField::RecipientDomain => column == LogColumn::Recipient,
            TextField::Subject => column == LogColumn::Subject,
            TextField::Tag => column == LogColumn::Tags,
            TextField::Smtp => column == LogColumn::Smtp,
            TextField::Ip => column == LogColumn::Ip,
        };
        if shown_in {
            words.extend(any_of.iter().map(|v| v.to_lowercase()));
        }
    }
    words
}

/// The filter the table shows: the one being typed in the `/` bar when it
/// parses, else the applied one.
pub fn shown_filter(state: &AppState) -> Option<Filter> {
    let view = state.logs.current()?;
    if let Some(bar) = &state.logs.filter_bar
        && let Ok(typed) = filter::parse(bar.input.value())
    {
        return Some(typed);
    }
    Some(view.filter.clone())
}

/// The words to mark in each of `columns`, in order: worked out once per
/// frame, for every row drawn. Empty when nothing is marked.
pub fn words_by_column(filter: Option<&Filter>, columns: &[LogColumn]) -> Vec<Vec<String>> {
    let Some(filter) = filter else {
        return Vec::new();
    };
    let words: Vec<Vec<String>> = columns.iter().map(|c| words_for(filter, *c)).collect();
    if words.iter().all(Vec::is_empty) {
        return Vec::new();
    }
    words
}

/// Marks `words` (from [`words_by_column`]) in a row built by
/// [`columns`](super::widgets::columns) from `texts` (cells at even span
/// positions, single spaces between). A word is found in the cell's whole
/// text and marked as far as the fitted cell shows it: `reader@gmail.c…`
/// has `@gmail.c` marked for `to:@gmail.com`.
pub fn mark_row(line: Line<'static>, words: &[Vec<String>], texts: &[&str]) -> Line<'static> {
    if words.is_empty() {
        return line;
    }
    let (style, alignment) = (line.style, line.alignment);
    let mut spans = Vec::with_capacity(line.spans.len() + 4);
    for (i, span) in line.spans.into_iter().enumerate() {
        match words.get(i / 2).filter(|w| i % 2 == 0 && !w.is_empty()) {
            Some(column_words) => spans.extend(split_fitted(
                &span.content,
                texts[i / 2],
                column_words,
                span.style,
            )),
            None => spans.push(span),
        }
    }
    Line {
        spans,
        style,
        alignment,
    }
}

/// `text` as spans in `style`, the parts that hold one of `words`
/// (lowercased) marked with [`MARK`]; case-insensitive, overlapping and
/// adjacent finds joined into one marked run, and every byte of `text`
/// in exactly one span.
#[cfg(test)]
pub fn split(text: &str, words: &[String], style: Style) -> Vec<Span<'static>> {
    split_fitted(text, text, words, style)
}

/// [`split`] for `shown`, the cell drawn of `text` (cut and padded): the
/// words are found in `text`, and marked in as much of `shown` as is
/// `text`'s start.
pub fn split_fitted(shown: &str, text: &str, words: &[String], style: Style) -> Vec<Span<'static>> {
    let mut same = shown
        .bytes()
        .zip(text.bytes())
        .take_while(|(a, b)| a == b)
        .count();
    while !shown.is_char_boundary(same) {
        same -= 1;
    }
    let marked: Vec<(usize, usize)> = ranges(text, words)
        .into_iter()
        .filter(|(start, _)| *start < same)
        .map(|(start, end)| (start, end.min(same)))
        .collect();
    let text = shown;
    let mut spans = Vec::with_capacity(marked.len() * 2 + 1);
    let mut at = 0;
    for (start, end) in marked {
        if start > at {
            spans.push(Span::styled(text[at..start].to_string(), style));
        }
        spans.push(Span::styled(
            text[start..end].to_string(),
            style.add_modifier(MARK),
        ));
        at = end;
    }
    if at < text.len() || spans.is_empty() {
        spans.push(Span::styled(text[at..].to_string(), style));
    }
    spans
}

/// Byte ranges of `text` holding one of `words`, merged, in order. The
/// text is lowercased character by character, remembering where each
/// lowercased byte came from, so ranges fall on `text`'s character
/// boundaries even where lowercasing changes a character's length.
fn ranges(text: &str, words: &[String]) -> Vec<(usize, usize)> {
    let mut lower = String::with_capacity(text.len());
    // For each byte of `lower`: the start and end of its character in `text`.
    let mut origin: Vec<(usize, usize)> = Vec::with_capacity(text.len());
    for (at, c) in text.char_indices() {
        let end = at + c.len_utf8();
        for l in c.to_lowercase() {
            lower.push(l);
            origin.extend(std::iter::repeat_n((at, end), l.len_utf8()));
        }
    }
    let mut found: Vec<(usize, usize)> = Vec::new();
    for word in words.iter().filter(|w| !w.is_empty()) {
        let mut from = 0;
        while let Some(i) = lower[from..].find(word.as_str()) {
            let (start, end) = (from + i, from + i + word.len());
            found.push((origin[start].0, origin[end - 1].1));
            // Overlapping finds: look again one character on.
            from = start + lower[start..].chars().next().map_or(1, char::len_utf8);
        }
    }
    found.sort_unstable();
    let mut merged: Vec<(usize, usize)> = Vec::with_capacity(found.len());
    for (start, end) in found {
        match merged.last_mut() {
            Some(last) if start <= last.1 => last.1 = last.1.max(end),
            _ => merged.push((start, end)),
        }
    }
    merged
}

#[cfg(test)]
mod tests {
    use super::*;

    fn marked(text: &str, words: &[&str]) -> Vec<(String, bool)> {
        let words: Vec<String> = words.iter().map(|w| w.to_string()).collect();
        split(text, &words, Style::default())
            .into_iter()
            .map(|s| {
                let on = s.style.add_modifier.contains(MARK);
                (s.content.into_owned(), on)
            })
            .collect()
    }

    fn parts(list: &[(&str, bool)]) -> Vec<(String, bool)> {
        list.iter().map(|(t, m)| (t.to_string(), *m)).collect()
    }

    #[test]
    fn case_insensitive() {
        assert_eq!(
            marked("Ana@GMAIL.com", &["gmail"]),
            parts(&[("Ana@", false), ("GMAIL", true), (".com", false)])
        );
        assert_eq!(marked("nothing", &["x"]), parts(&[("nothing", false)]));
        assert_eq!(marked("", &["x"]), parts(&[("", false)]));
        assert_eq!(
            marked("all", &["ALL".to_lowercase().as_str()]),
            parts(&[("all", true)])
        );
    }

    #[test]
    fn multibyte_and_length_changing_lowercase() {
        assert_eq!(
            marked("L'ÉTÉ est là", &["été"]),
            parts(&[("L'", false), ("ÉTÉ", true), (" est là", false)])
        );
        // İ lowercases to two characters (i and a combining dot): the mark
        // still covers whole characters of the text.
        assert_eq!(
            marked("xİSTANBUL", &["stan"]),
            parts(&[("xİ", false), ("STAN", true), ("BUL", false)])
        );
        assert_eq!(
            marked("漢字 weekly 漢字", &["漢字"]),
            parts(&[("漢字", true), (" weekly ", false), ("漢字", true)])
        );
    }

    #[test]
    fn overlapping_and_adjacent_words_join() {
        assert_eq!(
            marked("weekly digest", &["weekly d", "y dig"]),
            parts(&[("weekly dig", true), ("est", false)])
        );
        assert_eq!(marked("aaaa", &["aa"]), parts(&[("aaaa", true)]));
        assert_eq!(marked("abcd", &["ab", "cd"]), parts(&[("abcd", true)]));
    }

    #[test]
    fn a_cut_cell_marks_what_it_shows() {
        let words = vec!["@gmail.com".to_string()];
        let spans = split_fitted("ana@gmail.c…  ", "ana@gmail.com", &words, Style::default());
        let parts: Vec<(&str, bool)> = spans
            .iter()
            .map(|s| (&*s.content, s.style.add_modifier.contains(MARK)))
            .collect();
        assert_eq!(parts, [("ana", false), ("@gmail.c", true), ("…  ", false)]);
        // Padding after a whole cell is not marked.
        let spans = split_fitted("ana@gmail.com  ", "ana@gmail.com", &words, Style::default());
        assert_eq!(spans.len(), 3);
        assert_eq!(spans[2].content, "  ");
    }

    #[test]
    fn words_go_to_their_columns() {
        let f = filter::parse("news from:acme to:@gmail.com -subject:x smtp:550 tag:t").unwrap();
        let words = |column| words_for(&f, column);
        assert!(words(LogColumn::Time).is_empty() && words(LogColumn::Type).is_empty());
        assert_eq!(words(LogColumn::Sender), ["news", "acme"]);
        assert_eq!(words(LogColumn::Recipient), ["news", "@gmail.com"]);
        assert_eq!(words(LogColumn::Subject), ["news"]);
        assert_eq!(words(LogColumn::Tags), ["news", "t"]);
        assert_eq!(words(LogColumn::Smtp), ["550"]);
        assert!(words(LogColumn::Ip).is_empty());
    }
}
