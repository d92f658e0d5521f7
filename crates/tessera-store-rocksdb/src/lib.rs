//! The embedded RocksDB backend of Tessera's relationship store.
//!
//! [`RocksStore`] implements the [`tessera_store::Datastore`] contract on one RocksDB
//! database: relationships are versioned by revision in a forward and a reverse index, so a
//! snapshot reads exactly at any revision of the GC window, also after a restart. Writers
//! queue to one committer that checks and commits them in groups sharing one `fsync`; bulk
//! imports become visible at once or not at all; a background collector deletes versions
//! older than the window and expired relationships. The on-disk format is versioned and
//! checked at open.
//!
//! This crate owns the key layout (one `keys` module), value encodings and durability; it
//! is the only crate that depends on `rocksdb`, and no RocksDB type or error crosses its API.
//!
//! ```
//! use tessera_store::{Datastore, Operation, Update, WriteTransaction};
//! use tessera_store_rocksdb::{RocksConfig, RocksStore};
//!
//! let dir = tempfile::tempdir()?;
//! let store = RocksStore::open(dir.path(), RocksConfig::default())?;
//! let relationship: tessera_types::Relationship = "document:readme#viewer@user:alice".parse()?;
//! let revision = store.write(WriteTransaction {
//!     updates: vec![Update { operation: Operation::Create, relationship: relationship.clone() }],
//!     ..WriteTransaction::default()
//! })?;
//!
//! let snapshot = store.snapshot(revision)?;
//! let found = snapshot.find(relationship.resource(), "viewer", relationship.subject())?;
//! assert_eq!(found, Some(relationship));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod batch;
mod codec;
mod commit;
mod config;
mod error;
mod gc;
mod import;
mod keys;
mod read;
mod store;

pub use config::RocksConfig;
pub use gc::GcStats;
pub use store::RocksStore;
