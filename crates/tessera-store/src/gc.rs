use std::time::Duration;

use tessera_types::{Revision, Timestamp};

/// How much history a store keeps readable; older revisions answer
/// [`crate::StoreError::RevisionExpired`].
///
/// The head revision is always readable, whatever the window.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum GcWindow {
    /// Every revision stays readable.
    #[default]
    KeepAll,
    /// The head and the `n` revisions before it stay readable.
    Revisions(u64),
    /// A revision stays readable while it was committed no longer than this before now
    /// (SpiceDB's `--datastore-gc-window`, 24 hours by default there).
    Duration(Duration),
}

impl GcWindow {
    /// Whether `revision`, committed at `committed_at`, is still inside the window when the
    /// store's head is `head` and its clock reads `now`.
    ///
    /// This is monotonic in the revision as long as commit times are, so a store's oldest
    /// readable revision is the first one this keeps.
    pub fn keeps(
        self,
        revision: Revision,
        committed_at: Timestamp,
        head: Revision,
        now: Timestamp,
    ) -> bool {
        revision >= head
            || match self {
                GcWindow::KeepAll => true,
                GcWindow::Revisions(n) => revision.get().saturating_add(n) >= head.get(),
                // A window reaching before the earliest representable time keeps everything.
                GcWindow::Duration(window) => now
                    .checked_sub(window)
                    .ok()
                    .is_none_or(|cutoff| committed_at >= cutoff),
            }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(seconds: i64) -> Timestamp {
        Timestamp::from_second(seconds).unwrap()
    }

    #[test]
    fn revision_windows_keep_the_head_and_n_before_it() {
        let window = GcWindow::Revisions(2);
        let head = Revision::new(10);
        let keeps = |r| window.keeps(Revision::new(r), at(0), head, at(0));
        assert!(!keeps(7));
        assert!(keeps(8));
        assert!(keeps(10));
        assert!(GcWindow::Revisions(0).keeps(head, at(0), head, at(0)));
        assert!(!GcWindow::Revisions(0).keeps(Revision::new(9), at(0), head, at(0)));
    }

    #[test]
    fn duration_windows_keep_recent_commits_and_always_the_head() {
        let window = GcWindow::Duration(Duration::from_secs(10));
        let head = Revision::new(5);
        let now = at(100);
        assert!(window.keeps(Revision::new(3), at(90), head, now));
        assert!(!window.keeps(Revision::new(3), at(89), head, now));
        assert!(window.keeps(head, at(0), head, now));
        let forever = GcWindow::Duration(Duration::from_secs(u64::MAX / 4));
        assert!(forever.keeps(Revision::new(1), at(0), head, now));
    }

    #[test]
    fn keep_all_keeps_everything() {
        assert!(GcWindow::KeepAll.keeps(Revision::ZERO, at(0), Revision::new(9), at(1_000_000)));
    }
}
