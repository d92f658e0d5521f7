//! The storage conformance suite, run against [`RocksStore`]: a fresh directory per store,
//! and the reopening cases close and reopen the directory for real.

#![expect(
    clippy::unwrap_used,
    reason = "helpers of a test: a failure is the test failing"
)]

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use tessera_store::conformance::Backend;
use tessera_store::{Clock, GcWindow, StoreError};
use tessera_store_rocksdb::{RocksConfig, RocksStore};

/// One temporary directory per test; every store the test opens gets its own subdirectory.
struct Rocks {
    root: tempfile::TempDir,
    opened: AtomicUsize,
}

impl Rocks {
    fn new() -> Self {
        Self {
            root: tempfile::tempdir().unwrap(),
            opened: AtomicUsize::new(0),
        }
    }

    fn config(clock: Arc<dyn Clock>, gc_window: GcWindow) -> RocksConfig {
        RocksConfig {
            // Small: dozens of stores may be open at once in one test process.
            block_cache_bytes: 1 << 20,
            write_buffer_bytes: 1 << 20,
            gc_window,
            clock,
            ..RocksConfig::default()
        }
    }

    fn open_dir(&self, dir: PathBuf, clock: Arc<dyn Clock>, gc_window: GcWindow) -> RocksStore {
        RocksStore::open(dir, Self::config(clock, gc_window)).unwrap()
    }
}

impl Backend for Rocks {
    type Store = RocksStore;

    fn open(&self, clock: Arc<dyn Clock>, gc_window: GcWindow) -> RocksStore {
        let n = self.opened.fetch_add(1, Ordering::Relaxed);
        self.open_dir(self.root.path().join(n.to_string()), clock, gc_window)
    }

    fn collect_garbage(&self, store: &RocksStore) -> Result<(), StoreError> {
        store.collect_garbage().map(drop)
    }

    fn reopen(
        &self,
        store: RocksStore,
        clock: Arc<dyn Clock>,
        gc_window: GcWindow,
    ) -> Option<RocksStore> {
        let dir = store.dir().to_path_buf();
        drop(store);
        Some(self.open_dir(dir, clock, gc_window))
    }
}

tessera_store::conformance_tests!(Rocks::new());
