//! The simulated accounts a key opens.

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Account {
    /// The account the demo keys open.
    Demo,
    /// A second account, to prove that one account cannot see another's.
    Other,
}

impl Account {
    pub fn as_str(self) -> &'static str {
        match self {
            Account::Demo => "demo",
            Account::Other => "other",
        }
    }
}
