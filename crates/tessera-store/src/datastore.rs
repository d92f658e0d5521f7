use std::fmt;
use std::sync::Arc;

use tessera_types::{ObjectRef, Relationship, Revision, SubjectRef};
use tokio::sync::watch;

use crate::error::StoreError;
use crate::filter::RelationshipFilter;
use crate::query::{ResourceQuery, Sink, SubjectQuery};
use crate::write::{
    ChangeSet, DeleteByFilter, DeleteOutcome, SchemaWrite, StoredSchema, WriteTransaction,
};

/// A relationship store with history: writes commit at new revisions, reads go through
/// snapshots pinned at a revision.
pub trait Datastore: Send + Sync + fmt::Debug {
    /// This store's identity, fixed when it was created (and kept across restarts by
    /// persistent backends); tokens carry it so a token from another store is recognised.
    fn datastore_id(&self) -> &str;

    /// The newest committed revision.
    fn head_revision(&self) -> Revision;

    /// The oldest revision that can still be read exactly.
    fn oldest_revision(&self) -> Revision;

    /// A read-only view of the store as of `revision`.
    ///
    /// # Errors
    /// [`StoreError::RevisionExpired`] before the GC window, [`StoreError::RevisionInFuture`]
    /// after the head.
    fn snapshot(&self, revision: Revision) -> Result<Arc<dyn Snapshot>, StoreError>;

    /// Commits `transaction` atomically at a new revision, durably before returning, even
    /// when it changes nothing.
    ///
    /// # Errors
    /// Checked in this order, all against the state before the updates:
    /// [`StoreError::SchemaChanged`], [`StoreError::PreconditionFailed`] (the first failing
    /// precondition), [`StoreError::AlreadyExists`] (a `Create` of a live relationship; an
    /// expired one does not exist). Nothing is written on error.
    fn write(&self, transaction: WriteTransaction) -> Result<Revision, StoreError>;

    /// Deletes what matches a filter, atomically at a new revision; with a limit and
    /// `allow_partial`, the first `limit` matches in store order.
    ///
    /// # Errors
    /// [`StoreError::PreconditionFailed`] (checked first), [`StoreError::TooManyToDelete`];
    /// nothing is deleted on error.
    fn delete_by_filter(&self, delete: DeleteByFilter) -> Result<DeleteOutcome, StoreError>;

    /// Inserts many relationships, all visible at once at one new revision; returns it and
    /// the number inserted.
    ///
    /// # Errors
    /// [`StoreError::AlreadyExists`] if any relationship exists or appears twice; nothing
    /// becomes visible on error.
    fn bulk_import(
        &self,
        relationships: &mut dyn Iterator<Item = Relationship>,
    ) -> Result<(Revision, u64), StoreError>;

    /// Stores a new schema text at a new revision.
    ///
    /// # Errors
    /// [`StoreError::PreconditionFailed`] when a guard fails; nothing is written.
    fn write_schema(&self, schema: SchemaWrite) -> Result<Revision, StoreError>;

    /// The change sets of up to `limit` committed revisions after `after`, oldest first: one
    /// per revision, even one that changed nothing.
    ///
    /// # Errors
    /// [`StoreError::RevisionExpired`] when `after` is older than the retained changelog,
    /// [`StoreError::RevisionInFuture`] when it is after the head.
    fn changes_after(&self, after: Revision, limit: usize) -> Result<Vec<ChangeSet>, StoreError>;

    /// A receiver that sees the head revision every time a transaction commits.
    fn subscribe(&self) -> watch::Receiver<Revision>;
}

/// A consistent, read-only view of the store at one revision.
///
/// Relationships that have expired at the snapshot's clock reading (taken when the snapshot is)
/// are invisible. Reads return relationships in the store order ([`crate::OrderKey`]):
/// resource type, resource id, relation, subject type, subject relation (`...` first), subject
/// id; [`Snapshot::read_subjects`] groups by subject id first.
pub trait Snapshot: Send + Sync + fmt::Debug {
    /// The revision this snapshot reads at.
    fn revision(&self) -> Revision;

    /// The relationship `resource#relation@subject`, if it exists.
    ///
    /// # Errors
    /// Storage failures only.
    fn find(
        &self,
        resource: &ObjectRef,
        relation: &str,
        subject: &SubjectRef,
    ) -> Result<Option<Relationship>, StoreError>;

    /// Sends the relationships of many resources' relation to `sink`, in store order (so by
    /// resource id; an id given twice is read once).
    ///
    /// # Errors
    /// Storage failures only.
    fn read_resources(
        &self,
        query: &ResourceQuery<'_>,
        sink: &mut Sink<'_>,
    ) -> Result<(), StoreError>;

    /// Sends the relationships in which any of the given subjects holds a relation to `sink`,
    /// by subject id, then in store order (so by resource id); an id given twice is read once.
    ///
    /// This is the order of an index by subject, which a backend can stream without sorting.
    ///
    /// # Errors
    /// Storage failures only.
    fn read_subjects(
        &self,
        query: &SubjectQuery<'_>,
        sink: &mut Sink<'_>,
    ) -> Result<(), StoreError>;

    /// Up to `limit` relationships matching `filter`, in store order, starting strictly after
    /// the relationship `after` (a cursor) when given.
    ///
    /// # Errors
    /// Storage failures only.
    fn read_filtered(
        &self,
        filter: &RelationshipFilter,
        after: Option<&Relationship>,
        limit: Option<usize>,
    ) -> Result<Vec<Relationship>, StoreError>;

    /// The schema in force at this revision, if one was ever written.
    ///
    /// # Errors
    /// Storage failures only.
    fn schema(&self) -> Result<Option<StoredSchema>, StoreError>;
}
