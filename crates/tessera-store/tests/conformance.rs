//! The storage conformance suite, run against [`MemStore`].

use std::sync::Arc;

use tessera_store::conformance::Backend;
use tessera_store::{Clock, GcWindow, MemStore, StoreError};

/// `MemStore` keeps nothing across opens, so the reopening case is skipped.
struct Mem;

impl Backend for Mem {
    type Store = MemStore;

    fn open(&self, clock: Arc<dyn Clock>, gc_window: GcWindow) -> MemStore {
        MemStore::with_clock(clock).with_gc_window(gc_window)
    }

    fn collect_garbage(&self, store: &MemStore) -> Result<(), StoreError> {
        store.collect_garbage();
        Ok(())
    }
}

tessera_store::conformance_tests!(Mem);
