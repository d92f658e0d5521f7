use std::fmt;

/// A point in the datastore's history: every committed write transaction gets the next one.
///
/// Revisions are dense, monotonic and comparable; revision 0 is the empty store before any
/// write.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Revision(u64);

impl Revision {
    /// The empty store, before the first transaction.
    pub const ZERO: Revision = Revision(0);

    /// The revision numbered `n`.
    pub const fn new(n: u64) -> Self {
        Self(n)
    }

    /// The revision's number.
    pub const fn get(self) -> u64 {
        self.0
    }

    /// The revision that the next transaction will commit at.
    pub const fn next(self) -> Self {
        Self(self.0 + 1)
    }
}

impl fmt::Display for Revision {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}
