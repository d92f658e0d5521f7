/// Why a caller could not be authenticated. Messages never contain a secret.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum IdentityError {
    /// The request carries no credential at all.
    #[error("missing authorization: send `authorization: Bearer <key>`")]
    Missing,
    /// The `authorization` value is not of the form `Bearer <token>`. Nothing of the value
    /// is repeated: a client that forgot the scheme sent its secret as the whole value.
    #[error("malformed authorization: expected `Bearer <token>`")]
    Malformed,
    /// A credential was presented but no authenticator could verify it.
    #[error("unknown credentials: the presented {kind} matches no configured identity")]
    Unrecognised {
        /// What kind of credential it was, e.g. `bearer token`.
        kind: &'static str,
    },
    /// An authenticator recognised the credential and rejected it (e.g. an expired token).
    #[error("invalid credentials: {0}")]
    Rejected(String),
    /// A configuration of an authenticator that cannot work.
    #[error("invalid authentication configuration: {0}")]
    Configuration(String),
    /// A principal's id cannot be used as a subject id.
    #[error("principal `{principal}` cannot be a subject: {reason}")]
    NotASubject {
        /// The principal's id.
        principal: String,
        /// Which rule the id breaks.
        reason: String,
    },
}
