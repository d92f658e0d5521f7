use serde_json::{Map, Value};
use tessera_types::{Relationship, Revision};

use crate::filter::RelationshipFilter;

/// What a write does to one relationship.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Operation {
    /// Insert; the transaction fails if the relationship exists.
    Create,
    /// Insert or replace (caveat and expiration included).
    Touch,
    /// Remove; removing an absent relationship is not an error.
    Delete,
}

/// One change in a write transaction.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Update {
    /// What to do.
    pub operation: Operation,
    /// To which relationship (only its key matters for [`Operation::Delete`]).
    pub relationship: Relationship,
}

/// Whether a precondition requires its filter to match something or nothing.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum PreconditionKind {
    /// At least one live relationship must match.
    MustMatch,
    /// No live relationship may match.
    MustNotMatch,
}

/// A condition on the store's contents, checked atomically with the write it guards.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Precondition {
    /// Match or no match.
    pub kind: PreconditionKind,
    /// Against which relationships.
    pub filter: RelationshipFilter,
}

/// Free-form JSON recorded with a transaction and reported by the changelog.
pub type TransactionMetadata = Map<String, Value>;

/// An atomic write: all updates become visible at one new revision, or none do.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct WriteTransaction {
    /// The changes, applied in order. INVARIANT (checked by the API): no relationship twice.
    pub updates: Vec<Update>,
    /// Conditions checked against the state just before the commit.
    pub preconditions: Vec<Precondition>,
    /// Recorded in the changelog.
    pub metadata: Option<TransactionMetadata>,
    /// The revision at which the schema the updates were validated against was written; the
    /// commit fails with [`crate::StoreError::SchemaChanged`] if a newer schema is in force.
    pub schema_revision: Option<Revision>,
}

/// A delete of every relationship matching a filter, possibly capped.
#[derive(Clone, Debug, PartialEq)]
pub struct DeleteByFilter {
    /// What to delete.
    pub filter: RelationshipFilter,
    /// Conditions checked atomically with the delete.
    pub preconditions: Vec<Precondition>,
    /// Delete at most this many.
    pub limit: Option<u64>,
    /// With a limit and more matches than it: delete `limit` of them (`true`) or fail with
    /// [`crate::StoreError::TooManyToDelete`] and delete nothing (`false`).
    pub allow_partial: bool,
    /// Recorded in the changelog.
    pub metadata: Option<TransactionMetadata>,
}

/// What a delete by filter did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DeleteOutcome {
    /// The revision of the commit.
    pub revision: Revision,
    /// How many relationships were deleted.
    pub deleted: u64,
    /// `false` when a limit left matching relationships behind.
    pub complete: bool,
}

/// A new schema, stored as opaque text.
#[derive(Clone, Debug, PartialEq)]
pub struct SchemaWrite {
    /// The schema text; the store never parses it.
    pub text: String,
    /// Conditions checked atomically with the write, e.g. that no relationship uses a relation
    /// the new schema removes.
    pub preconditions: Vec<Precondition>,
}

/// The schema in force at a revision.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredSchema {
    /// The text as written.
    pub text: String,
    /// The revision that wrote it.
    pub revision: Revision,
}

/// One relationship change as the changelog reports it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Change {
    /// Created or touched, with its new value.
    Touch(Relationship),
    /// Deleted, with the value it had.
    Delete(Relationship),
}

/// Everything one committed revision changed.
#[derive(Clone, Debug, PartialEq)]
pub struct ChangeSet {
    /// The revision.
    pub revision: Revision,
    /// Relationship changes in commit order. Expiry is not a change: an expired relationship
    /// disappears without a [`Change::Delete`], as in SpiceDB.
    pub changes: Vec<Change>,
    /// Whether the revision wrote a new schema.
    pub schema_changed: bool,
    /// The transaction's metadata.
    pub metadata: Option<TransactionMetadata>,
}
