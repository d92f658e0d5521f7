//! The relationship store contract, an in-memory store, and the conformance suite every
//! backend passes.
//!
//! A [`Datastore`] commits write transactions atomically at new, monotonic [`Revision`]s and
//! hands out [`Snapshot`]s pinned at any revision inside its garbage-collection window. The
//! schema is stored as opaque text with the revision that wrote it: this crate never parses
//! it. The changelog ([`Datastore::changes_after`]) feeds Watch and cache invalidation.
//!
//! This crate knows nothing of RocksDB, schemas or the wire protocol.
//!
//! [`Revision`]: tessera_types::Revision

mod clock;
mod datastore;
mod error;
mod filter;
mod query;
mod write;

pub use clock::{Clock, ManualClock, SystemClock};
pub use datastore::{Datastore, Snapshot};
pub use error::StoreError;
pub use filter::{RelationshipFilter, SubjectFilter, SubjectRelationFilter};
pub use query::{ResourceQuery, Sink, SubjectQuery, SubjectSelector};
pub use write::{
    Change, ChangeSet, DeleteByFilter, DeleteOutcome, Operation, Precondition, PreconditionKind,
    SchemaWrite, StoredSchema, TransactionMetadata, Update, WriteTransaction,
};
