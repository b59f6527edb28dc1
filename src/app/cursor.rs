//! A selection in a scrolling list, shared by every pane.

/// The selected row and the first row in view. The view height is not
/// stored: the reducer passes the height it has now, and drawing clamps
/// again with [`ListCursor::window_top`], so a resize never shows a stale
/// window.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ListCursor {
    pub selected: usize,
    pub top: usize,
}

impl ListCursor {
    /// Moves the selection by `delta` rows within `len`, keeping it in a
    /// view of `height` rows.
    pub fn move_by(&mut self, delta: isize, len: usize, height: usize) {
        let last = len.saturating_sub(1);
        self.selected = self.selected.saturating_add_signed(delta).min(last);
        self.top = self.window_top(len, height);
    }

    pub fn to_first(&mut self) {
        *self = ListCursor::default();
    }

    pub fn to_last(&mut self, len: usize, height: usize) {
        self.selected = len.saturating_sub(1);
        self.top = self.window_top(len, height);
    }

    /// Shifts both the selection and the view by `n` rows (items were added
    /// above or removed from above), clamped to `len`.
    pub fn shift(&mut self, n: isize, len: usize, height: usize) {
        self.selected = self
            .selected
            .saturating_add_signed(n)
            .min(len.saturating_sub(1));
        self.top = self.top.saturating_add_signed(n);
        self.top = self.window_top(len, height);
    }

    /// The selection, clamped to `len` (None when the list is empty).
    pub fn selected_in(&self, len: usize) -> Option<usize> {
        (len > 0).then(|| self.selected.min(len - 1))
    }

    /// The first row to draw: `top` moved just enough to show the
    /// selection, and no further down than needed to fill the view.
    pub fn window_top(&self, len: usize, height: usize) -> usize {
        if len == 0 || height == 0 {
            return 0;
        }
        let selected = self.selected.min(len - 1);
        let mut top = self.top.min(len.saturating_sub(height));
        if selected < top {
            top = selected;
        } else if selected >= top + height {
            top = selected + 1 - height;
        }
        top
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn moving_keeps_the_selection_in_view() {
        let mut c = ListCursor::default();
        c.move_by(7, 100, 5);
        assert_eq!(
            c,
            ListCursor {
                selected: 7,
                top: 3
            }
        );
        c.move_by(-2, 100, 5);
        assert_eq!(
            c,
            ListCursor {
                selected: 5,
                top: 3
            }
        );
        c.move_by(-10, 100, 5);
        assert_eq!(
            c,
            ListCursor {
                selected: 0,
                top: 0
            }
        );
        c.move_by(1000, 100, 5);
        assert_eq!(
            c,
            ListCursor {
                selected: 99,
                top: 95
            }
        );
    }

    #[test]
    fn empty_and_short_lists() {
        let mut c = ListCursor::default();
        c.move_by(3, 0, 5);
        assert_eq!(c, ListCursor::default());
        assert_eq!(c.selected_in(0), None);
        c.move_by(3, 2, 5);
        assert_eq!(
            c,
            ListCursor {
                selected: 1,
                top: 0
            }
        );
    }

    #[test]
    fn window_top_clamps_a_stale_view() {
        let c = ListCursor {
            selected: 50,
            top: 90,
        };
        // The list shrank and the view grew.
        assert_eq!(c.window_top(60, 20), 40);
        assert_eq!(c.window_top(10, 20), 0);
    }

    #[test]
    fn shift_follows_items_added_above() {
        let mut c = ListCursor {
            selected: 4,
            top: 2,
        };
        c.shift(3, 100, 5);
        assert_eq!(
            c,
            ListCursor {
                selected: 7,
                top: 5
            }
        );
        c.shift(-10, 100, 5);
        assert_eq!(
            c,
            ListCursor {
                selected: 0,
                top: 0
            }
        );
    }
}
