use tessera_types::{Relationship, Revision};

use crate::write::Precondition;

/// Why a store operation failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The revision is older than the garbage-collection window.
    #[error("revision {requested} has expired: the oldest readable revision is {oldest}")]
    RevisionExpired {
        /// What was asked for.
        requested: Revision,
        /// The oldest revision still readable.
        oldest: Revision,
    },
    /// The revision has not been committed yet.
    #[error("revision {requested} is in the future: the newest revision is {head}")]
    RevisionInFuture {
        /// What was asked for.
        requested: Revision,
        /// The newest committed revision.
        head: Revision,
    },
    /// A `Create` (or a bulk import) met an existing relationship.
    #[error("relationship `{0}` already exists; use TOUCH to overwrite it")]
    AlreadyExists(Box<Relationship>),
    /// A precondition did not hold; nothing was written.
    #[error("precondition failed: {} a relationship matching {}", precondition_verb(.0), .0.filter)]
    PreconditionFailed(Box<Precondition>),
    /// A capped delete without `allow_partial` matched more than its limit; nothing was deleted.
    #[error(
        "more than {limit} relationships match the delete filter; raise the limit or allow partial deletions"
    )]
    TooManyToDelete {
        /// The cap that was exceeded.
        limit: u64,
    },
    /// The schema the writes were validated against was replaced before the commit.
    #[error(
        "the schema changed while the write was in flight (now the one written at revision {current})"
    )]
    SchemaChanged {
        /// The revision of the schema now in force.
        current: Revision,
    },
    /// The store holds data this build cannot read, or its files are damaged.
    #[error("store data is corrupt or unreadable: {0}")]
    Corrupt(String),
    /// The underlying storage failed.
    #[error("storage failure: {0}")]
    Io(String),
    /// Another process holds the data directory.
    #[error("{0}")]
    Locked(String),
}

fn precondition_verb(precondition: &Precondition) -> &'static str {
    match precondition.kind {
        crate::write::PreconditionKind::MustMatch => "expected",
        crate::write::PreconditionKind::MustNotMatch => "expected no",
    }
}
