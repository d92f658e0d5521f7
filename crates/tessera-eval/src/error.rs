use tessera_store::StoreError;

/// Why an evaluation failed.
#[derive(Debug, thiserror::Error)]
pub enum EvalError {
    /// The request names a type the schema does not define.
    #[error("object definition `{0}` not found")]
    UnknownDefinition(String),
    /// The request names a relation or permission the type does not have.
    #[error("relation/permission `{relation}` not found under definition `{definition}`")]
    UnknownRelation {
        /// The type.
        definition: String,
        /// The missing relation or permission.
        relation: String,
    },
    /// A relationship names a caveat the schema does not define.
    #[error("caveat `{0}` not found")]
    UnknownCaveat(String),
    /// The question asks about `type:*`, which only stands for subjects inside relationships.
    #[error(
        "cannot {operation} with the wildcard subject `{subject}`; ask about a concrete subject"
    )]
    WildcardSubject {
        /// What was being done.
        operation: &'static str,
        /// The wildcard.
        subject: String,
    },
    /// The evaluation went deeper than the configured limit.
    #[error(
        "the request has exceeded the allowable maximum depth of {limit}: this usually indicates a \
         recursive or too deep data dependency; run the check with explain to see the path"
    )]
    DepthExceeded {
        /// The limit.
        limit: u32,
    },
    /// A caveat could not be evaluated (bad expression result or cost limit).
    #[error("evaluating caveat `{caveat}`: {message}")]
    CaveatEvaluation {
        /// The caveat.
        caveat: String,
        /// What went wrong.
        message: String,
    },
    /// A context value has the wrong type for the caveat parameter it fills.
    #[error("caveat `{caveat}`: parameter `{parameter}`: {message}")]
    CaveatParameterType {
        /// The caveat.
        caveat: String,
        /// The parameter.
        parameter: String,
        /// What was expected.
        message: String,
    },
    /// A cursor that does not belong to this request.
    #[error("invalid cursor: {0}")]
    InvalidCursor(String),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}
