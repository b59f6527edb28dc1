//! Which of the log table's columns fit, and how wide each is.
//!
//! A narrow pane drops whole columns in the set's fixed order
//! ([`ColumnSet::drop_order`]: tags, then sender, then the SMTP response,
//! IP, subject, recipient, type) rather than cutting every column to a few
//! characters; the columns left share the room over their minimums by
//! weight. Time and type have fixed widths.

use crate::app::logcols::{ColumnSet, LogColumn};

/// The narrowest a column is drawn, and its share of the room left over
/// (0: fixed).
fn sizing(column: LogColumn) -> (usize, usize) {
    match column {
        LogColumn::Time => (8, 0),
        LogColumn::Type => (9, 0),
        LogColumn::Sender => (12, 3),
        LogColumn::Recipient => (18, 3),
        LogColumn::Subject => (20, 4),
        LogColumn::Tags => (8, 2),
        LogColumn::Smtp => (16, 4),
        // An IPv4 address whole; an IPv6 one gets what is left.
        LogColumn::Ip => (15, 1),
    }
}

/// The columns of `set` that fit in `width` cells, in drawing order, with
/// their widths; one space between columns. `time_width` is the time
/// column's (a clock, or a date and a clock, or its heading if wider).
pub fn fit_columns(set: ColumnSet, width: usize, time_width: usize) -> Vec<(LogColumn, usize)> {
    let min = |c: LogColumn| match c {
        LogColumn::Time => time_width,
        _ => sizing(c).0,
    };
    let mut shown: Vec<LogColumn> = set.columns().to_vec();
    let needed = |shown: &[LogColumn]| -> usize {
        shown.iter().map(|c| min(*c)).sum::<usize>() + shown.len().saturating_sub(1)
    };
    let mut drop = set.drop_order();
    while shown.len() > 1 && needed(&shown) > width {
        let Some(gone) = drop.next() else { break };
        shown.retain(|c| *c != gone);
    }
    let mut widths: Vec<(LogColumn, usize)> = shown.iter().map(|c| (*c, min(*c))).collect();
    if let [(LogColumn::Time, w)] = widths.as_mut_slice() {
        *w = (*w).min(width);
        return widths;
    }
    let spare = width.saturating_sub(needed(&shown));
    let weights: usize = shown.iter().map(|c| sizing(*c).1).sum();
    if weights == 0 {
        return widths;
    }
    let mut given = 0;
    for (column, w) in &mut widths {
        let share = spare * sizing(*column).1 / weights;
        *w += share;
        given += share;
    }
    // What rounding left goes to the last flexible column.
    if let Some((_, w)) = widths.iter_mut().rev().find(|(c, _)| sizing(*c).1 > 0) {
        *w += spare - given;
    }
    widths
}

#[cfg(test)]
mod tests {
    use super::*;
    use LogColumn as C;

    fn names(set: ColumnSet, width: usize) -> Vec<LogColumn> {
        fit_columns(set, width, 8)
            .into_iter()
            .map(|(c, _)| c)
            .collect()
    }

    fn total(fitted: &[(LogColumn, usize)]) -> usize {
        fitted.iter().map(|(_, w)| w).sum::<usize>() + fitted.len() - 1
    }

    #[test]
    fn wide_shows_every_column_and_fills_the_width() {
        let fitted = fit_columns(ColumnSet::Default, 118, 8);
        assert_eq!(
            names(ColumnSet::Default, 118),
            [
                C::Time,
                C::Type,
                C::Sender,
                C::Recipient,
                C::Subject,
                C::Tags,
                C::Smtp
            ]
        );
        assert_eq!(total(&fitted), 118);
        assert_eq!(fitted[0], (C::Time, 8));
        assert_eq!(fitted[1], (C::Type, 9));
    }

    #[test]
    fn narrow_drops_tags_then_sender_then_smtp() {
        let d = ColumnSet::Default;
        assert_eq!(names(d, 97).len(), 7);
        assert!(!names(d, 96).contains(&C::Tags));
        assert!(names(d, 96).contains(&C::Sender));
        assert_eq!(
            names(d, 78),
            [C::Time, C::Type, C::Recipient, C::Subject, C::Smtp]
        );
        assert_eq!(names(d, 74), [C::Time, C::Type, C::Recipient, C::Subject]);
        assert_eq!(names(d, 58), [C::Time, C::Type, C::Recipient, C::Subject]);
        assert_eq!(names(d, 57), [C::Time, C::Type, C::Recipient]);
        assert_eq!(names(d, 36), [C::Time, C::Type]);
        assert_eq!(names(d, 17), [C::Time]);
        assert_eq!(fit_columns(d, 5, 8), [(C::Time, 5)]);
        // Once a flexible column shows, the columns fill the width.
        for width in 37..200 {
            assert_eq!(total(&fit_columns(d, width, 8)), width, "{width}");
        }
    }

    #[test]
    fn each_set_drops_in_its_order() {
        assert_eq!(
            names(ColumnSet::Delivery, 118),
            [C::Time, C::Type, C::Recipient, C::Smtp, C::Ip]
        );
        assert_eq!(
            names(ColumnSet::Delivery, 60),
            [C::Time, C::Type, C::Recipient, C::Ip]
        );
        assert_eq!(
            names(ColumnSet::Content, 118),
            [C::Time, C::Type, C::Sender, C::Subject, C::Tags]
        );
        assert_eq!(
            names(ColumnSet::Content, 56),
            [C::Time, C::Type, C::Sender, C::Subject]
        );
        assert_eq!(
            names(ColumnSet::Content, 40),
            [C::Time, C::Type, C::Subject]
        );
    }

    #[test]
    fn a_wider_time_column_takes_its_room_first() {
        let fitted = fit_columns(ColumnSet::Default, 78, 14);
        assert_eq!(fitted[0], (C::Time, 14));
        assert_eq!(total(&fitted), 78);
        assert_eq!(
            fitted.iter().map(|(c, _)| *c).collect::<Vec<_>>(),
            [C::Time, C::Type, C::Recipient, C::Subject]
        );
    }
}
