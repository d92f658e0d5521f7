//! The relationship store contract, an in-memory store, and the conformance suite every
//! backend passes.
//!
//! A [`Datastore`] commits write transactions atomically at new, monotonic [`Revision`]s and
//! hands out [`Snapshot`]s pinned at any revision inside its garbage-collection window
//! ([`GcWindow`]). The schema is stored as opaque text with the revision that wrote it: this
//! crate never parses it. The changelog ([`Datastore::changes_after`]) feeds Watch and cache
//! invalidation. Reads return relationships in one documented order, [`OrderKey`].
//!
//! [`MemStore`] keeps everything in memory. With the `conformance` feature, the `conformance`
//! module holds the tests every backend must pass, and `conformance_tests!(backend)` expands
//! them into one `#[test]` each.
//!
//! This crate knows nothing of RocksDB, schemas or the wire protocol.
//!
//! ```
//! use tessera_store::{Datastore, MemStore, Operation, RelationshipFilter, Update, WriteTransaction};
//!
//! let store = MemStore::new();
//! let written_at = store.write(WriteTransaction {
//!     updates: vec![Update {
//!         operation: Operation::Create,
//!         relationship: "document:readme#viewer@user:ada".parse()?,
//!     }],
//!     ..WriteTransaction::default()
//! })?;
//!
//! let snapshot = store.snapshot(written_at)?;
//! let viewer = snapshot.find(&"document:readme".parse()?, "viewer", &"user:ada".parse()?)?;
//! assert_eq!(viewer.map(|v| v.to_string()).as_deref(), Some("document:readme#viewer@user:ada"));
//!
//! // The empty store before the write stays readable, exactly.
//! let before = store.snapshot(tessera_types::Revision::ZERO)?;
//! assert!(before.read_filtered(&RelationshipFilter::default(), None, None)?.is_empty());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! [`Revision`]: tessera_types::Revision

mod clock;
#[cfg(feature = "conformance")]
pub mod conformance;
mod datastore;
mod error;
mod filter;
mod gc;
mod id;
mod mem;
mod order;
mod query;
mod write;

pub use clock::{Clock, ManualClock, SystemClock};
pub use datastore::{Datastore, Snapshot};
pub use error::StoreError;
pub use filter::{RelationshipFilter, SubjectFilter, SubjectRelationFilter};
pub use gc::GcWindow;
pub use id::new_datastore_id;
pub use mem::MemStore;
pub use order::{OrderKey, store_order};
pub use query::{ResourceQuery, Sink, SubjectQuery, SubjectSelector};
pub use write::{
    Change, ChangeSet, DeleteByFilter, DeleteOutcome, Operation, Precondition, PreconditionKind,
    SchemaWrite, StoredSchema, TransactionMetadata, Update, WriteTransaction,
};
