//! Consistency resolution: each request's consistency requirement becomes one [`Revision`]
//! before anything is read, so the evaluator never sees "latest".

use std::sync::Arc;
use std::time::{Duration, Instant};

use parking_lot::Mutex;
use tessera_store::Datastore;
use tessera_types::Revision;

use crate::error::ApiError;
use crate::token::ZedToken;

/// SpiceDB's four consistency modes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Consistency {
    /// A recent revision shared by many requests, so caches hit (also when omitted).
    MinimizeLatency,
    /// At least as fresh as the token (the "new enemy" protection).
    AtLeastAsFresh(ZedToken),
    /// Exactly the token's revision.
    AtExactSnapshot(ZedToken),
    /// The head.
    FullyConsistent,
}

/// Picks revisions for requests.
#[derive(Debug)]
pub(crate) struct Revisions {
    store: Arc<dyn Datastore>,
    max_staleness: Duration,
    /// The head as last read, and when; `minimize_latency` reuses it while it is fresh enough.
    cached_head: Mutex<Option<(Instant, Revision)>>,
}

impl Revisions {
    /// A resolver over `store` whose `minimize_latency` answers are at most `max_staleness` old.
    pub(crate) fn new(store: Arc<dyn Datastore>, max_staleness: Duration) -> Self {
        Self {
            store,
            max_staleness,
            cached_head: Mutex::new(None),
        }
    }

    /// The revision a request with `consistency` reads at.
    ///
    /// # Errors
    /// [`ApiError::ForeignZedToken`] for `at_exact_snapshot` with another datastore's token.
    /// Expired or future revisions are refused later, when the snapshot is taken.
    pub(crate) fn resolve(&self, consistency: &Consistency) -> Result<Revision, ApiError> {
        let datastore_id = self.store.datastore_id();
        Ok(match consistency {
            Consistency::MinimizeLatency => self.optimized(),
            Consistency::FullyConsistent => self.head(),
            // SpiceDB's default `--mismatch-zed-token-behavior=full-consistency`.
            Consistency::AtLeastAsFresh(token) if !token.is_from(datastore_id) => self.head(),
            Consistency::AtLeastAsFresh(token) => self.optimized().max(token.revision()),
            Consistency::AtExactSnapshot(token) if !token.is_from(datastore_id) => {
                return Err(ApiError::ForeignZedToken {
                    token: token.datastore().to_owned(),
                    ours: ZedToken::new(Revision::ZERO, datastore_id)
                        .datastore()
                        .to_owned(),
                });
            }
            Consistency::AtExactSnapshot(token) => token.revision(),
        })
    }

    /// The head, read now (and remembered for `minimize_latency`).
    pub(crate) fn head(&self) -> Revision {
        let head = self.store.head_revision();
        *self.cached_head.lock() = Some((Instant::now(), head));
        head
    }

    /// Notes a revision this server just committed: `minimize_latency` never reads older
    /// than its own writes, so a client reads what it wrote even without the token.
    pub(crate) fn observe(&self, committed: Revision) {
        let mut cached = self.cached_head.lock();
        match &mut *cached {
            Some((_, head)) if *head >= committed => {}
            Some((_, head)) => *head = committed,
            None => *cached = Some((Instant::now(), committed)),
        }
    }

    /// A head read at most `max_staleness` ago.
    fn optimized(&self) -> Revision {
        if let Some((read_at, head)) = *self.cached_head.lock() {
            if read_at.elapsed() <= self.max_staleness {
                return head;
            }
        }
        self.head()
    }
}

#[cfg(test)]
mod tests {
    use tessera_store::{MemStore, Operation, Update, WriteTransaction};

    use super::*;

    fn write(store: &MemStore, text: &str) -> Revision {
        store
            .write(WriteTransaction {
                updates: vec![Update {
                    operation: Operation::Touch,
                    relationship: text.parse().unwrap(),
                }],
                ..WriteTransaction::default()
            })
            .unwrap()
    }

    #[test]
    fn modes_pick_their_revisions() {
        let store = Arc::new(MemStore::new());
        let revisions = Revisions::new(store.clone(), Duration::from_secs(3600));
        assert_eq!(
            revisions.resolve(&Consistency::MinimizeLatency).unwrap(),
            Revision::ZERO
        );
        let written = write(&store, "document:1#viewer@user:1");
        // The cached head is allowed to lag, but a token forces freshness.
        assert_eq!(
            revisions.resolve(&Consistency::MinimizeLatency).unwrap(),
            Revision::ZERO
        );
        let token = ZedToken::new(written, store.datastore_id());
        assert_eq!(
            revisions
                .resolve(&Consistency::AtLeastAsFresh(token.clone()))
                .unwrap(),
            written
        );
        assert_eq!(
            revisions
                .resolve(&Consistency::AtExactSnapshot(token))
                .unwrap(),
            written
        );
        assert_eq!(
            revisions.resolve(&Consistency::FullyConsistent).unwrap(),
            written
        );
    }

    #[test]
    fn own_writes_move_the_cached_head_forward_only() {
        let store = Arc::new(MemStore::new());
        let revisions = Revisions::new(store.clone(), Duration::from_secs(3600));
        revisions.resolve(&Consistency::MinimizeLatency).unwrap();
        let first = write(&store, "document:1#viewer@user:1");
        let second = write(&store, "document:1#viewer@user:2");
        revisions.observe(second);
        revisions.observe(first);
        assert_eq!(
            revisions.resolve(&Consistency::MinimizeLatency).unwrap(),
            second
        );
    }

    #[test]
    fn a_stale_cache_is_refreshed() {
        let store = Arc::new(MemStore::new());
        let revisions = Revisions::new(store.clone(), Duration::ZERO);
        revisions.resolve(&Consistency::MinimizeLatency).unwrap();
        let written = write(&store, "document:1#viewer@user:1");
        std::thread::sleep(Duration::from_millis(2));
        assert_eq!(
            revisions.resolve(&Consistency::MinimizeLatency).unwrap(),
            written
        );
    }

    #[test]
    fn foreign_tokens_mean_full_consistency_or_an_error() {
        let store = Arc::new(MemStore::new());
        let revisions = Revisions::new(store.clone(), Duration::from_secs(3600));
        revisions.resolve(&Consistency::MinimizeLatency).unwrap();
        let written = write(&store, "document:1#viewer@user:1");
        let foreign = ZedToken::new(Revision::ZERO, "someotherdatastore");
        assert_eq!(
            revisions
                .resolve(&Consistency::AtLeastAsFresh(foreign.clone()))
                .unwrap(),
            written
        );
        assert!(matches!(
            revisions.resolve(&Consistency::AtExactSnapshot(foreign)),
            Err(ApiError::ForeignZedToken { .. })
        ));
    }
}
