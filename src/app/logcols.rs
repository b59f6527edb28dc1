//! The log table's column sets (`c` cycles them) and its columns.

/// One column of the log table.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LogColumn {
    Time,
    Type,
    Sender,
    Recipient,
    Subject,
    Tags,
    /// The SMTP response, from the record's detail text.
    Smtp,
    Ip,
}

impl LogColumn {
    pub fn heading(self) -> &'static str {
        match self {
            LogColumn::Time => "time",
            LogColumn::Type => "type",
            LogColumn::Sender => "sender",
            LogColumn::Recipient => "recipient",
            LogColumn::Subject => "subject",
            LogColumn::Tags => "tags",
            LogColumn::Smtp => "smtp response",
            LogColumn::Ip => "ip",
        }
    }
}

/// Which columns the table shows.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum ColumnSet {
    /// Type, time, sender, recipient, subject, tags and the SMTP response
    /// where there is room.
    #[default]
    Default,
    /// Recipient, SMTP response, IP.
    Delivery,
    /// Sender, subject, tags.
    Content,
}

impl ColumnSet {
    /// The next set, wrapping.
    pub fn next(self) -> ColumnSet {
        match self {
            ColumnSet::Default => ColumnSet::Delivery,
            ColumnSet::Delivery => ColumnSet::Content,
            ColumnSet::Content => ColumnSet::Default,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            ColumnSet::Default => "default",
            ColumnSet::Delivery => "delivery",
            ColumnSet::Content => "content",
        }
    }

    /// The set's columns in the order they are drawn.
    pub fn columns(self) -> &'static [LogColumn] {
        use LogColumn as C;
        match self {
            ColumnSet::Default => &[
                C::Time,
                C::Type,
                C::Sender,
                C::Recipient,
                C::Subject,
                C::Tags,
                C::Smtp,
            ],
            ColumnSet::Delivery => &[C::Time, C::Type, C::Recipient, C::Smtp, C::Ip],
            ColumnSet::Content => &[C::Time, C::Type, C::Sender, C::Subject, C::Tags],
        }
    }

    /// The set's columns, the first to drop on a narrow screen first: tags,
    /// then sender, then the SMTP response, IP, subject, recipient, type;
    /// time stays longest.
    pub fn drop_order(self) -> impl Iterator<Item = LogColumn> {
        use LogColumn as C;
        const ORDER: [LogColumn; 8] = [
            C::Tags,
            C::Sender,
            C::Smtp,
            C::Ip,
            C::Subject,
            C::Recipient,
            C::Type,
            C::Time,
        ];
        ORDER
            .into_iter()
            .filter(move |c| self.columns().contains(c))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cycles_through_every_set() {
        let sets: Vec<_> = std::iter::successors(Some(ColumnSet::Default), |s| {
            Some(s.next()).filter(|n| *n != ColumnSet::Default)
        })
        .map(ColumnSet::name)
        .collect();
        assert_eq!(sets, ["default", "delivery", "content"]);
    }

    #[test]
    fn every_column_has_a_place_to_drop() {
        for set in [ColumnSet::Default, ColumnSet::Delivery, ColumnSet::Content] {
            assert_eq!(set.drop_order().count(), set.columns().len());
        }
    }
}
