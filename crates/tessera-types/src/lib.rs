//! Tessera's vocabulary: the nouns every other crate speaks.
//!
//! This crate owns object and subject references, relationships and their text syntax, the
//! rules for names and ids (exactly SpiceDB's), and [`Revision`]. It does no I/O and knows
//! nothing of schemas, storage or the wire protocol.
//!
//! ```
//! use tessera_types::Relationship;
//!
//! let rel: Relationship = "document:readme#viewer@group:eng#member".parse()?;
//! assert_eq!(rel.resource().object_type(), "document");
//! assert_eq!(rel.subject().relation(), Some("member"));
//! assert_eq!(rel.to_string(), "document:readme#viewer@group:eng#member");
//! # Ok::<(), tessera_types::TypesError>(())
//! ```

mod error;
mod names;
mod refs;
mod relationship;
mod revision;
mod text;

pub use error::TypesError;
pub use names::{
    ELLIPSIS, MAX_CAVEAT_NAME_LEN, MAX_OBJECT_ID_LEN, MAX_RELATION_LEN, MAX_TYPE_LEN, NameKind,
    WILDCARD_ID,
};
pub use refs::{ObjectRef, SubjectRef};
pub use relationship::{CaveatContext, ContextualizedCaveat, Relationship, Timestamp};
pub use revision::Revision;
