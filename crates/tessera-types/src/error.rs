use crate::names::NameKind;

/// Everything that can be wrong with a reference, a relationship or its text form.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TypesError {
    /// A name or id breaks SpiceDB's rule for its kind.
    #[error("invalid {} `{name}`: {}", kind.noun(), kind.rule())]
    InvalidName {
        /// Which rule was broken.
        kind: NameKind,
        /// The offending input.
        name: String,
    },
    /// `*` used where only a concrete subject is allowed.
    #[error("the wildcard subject `{object_type}:*` cannot have a relation (found `#{relation}`)")]
    WildcardWithRelation {
        /// The wildcard's type.
        object_type: String,
        /// The relation that was given with it.
        relation: String,
    },
    /// Relationship text that does not parse; `column` is 1-based and counts characters.
    #[error("invalid relationship `{text}` at column {column}: {message}")]
    Syntax {
        /// The whole text that was parsed.
        text: String,
        /// Where the problem starts.
        column: usize,
        /// What was expected there.
        message: String,
    },
}
