//! Every failure of the API and its one mapping to a gRPC status, as SpiceDB reports it: a
//! code, a message naming the offending input, and `google.rpc.ErrorInfo` (domain
//! `authzed.com`, reason `ERROR_REASON_…`, metadata) in the status details.

use std::collections::HashMap;

use prost::Message;
use tessera_eval::EvalError;
use tessera_identity::IdentityError;
use tessera_proto::authzed::api::v1::ErrorReason;
use tessera_proto::google::rpc;
use tessera_schema::RelationshipError;
use tessera_store::StoreError;
use tonic::Code;

use crate::access::Capability;

/// The `ErrorInfo.domain` of every error, as SpiceDB sets it.
const ERROR_DOMAIN: &str = "authzed.com";
const ERROR_INFO_TYPE_URL: &str = "type.googleapis.com/google.rpc.ErrorInfo";

/// Why a request failed.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// A field breaks a validation rule of the wire contract.
    #[error("invalid `{field}`: {message}")]
    InvalidArgument {
        /// The field, as a dotted path from the request, e.g. `updates[2].relationship.relation`.
        field: String,
        /// What is wrong with it, naming the offending value.
        message: String,
    },
    /// A relationship filter that selects nothing or is self-contradictory.
    #[error("invalid `{field}`: {message}")]
    InvalidFilter {
        /// The filter's field path.
        field: String,
        /// What is wrong with it.
        message: String,
    },
    /// More relationship updates than one write may carry.
    #[error("update count of {count} is greater than maximum allowed of {limit}")]
    TooManyUpdates {
        /// How many were sent.
        count: usize,
        /// The limit.
        limit: usize,
    },
    /// More preconditions than one write may carry.
    #[error("precondition count of {count} is greater than maximum allowed of {limit}")]
    TooManyPreconditions {
        /// How many were sent.
        count: usize,
        /// The limit.
        limit: usize,
    },
    /// More checks than one bulk check may carry.
    #[error("check count of {count} is greater than maximum allowed of {limit}")]
    TooManyChecks {
        /// How many were sent.
        count: usize,
        /// The limit.
        limit: usize,
    },
    /// A requested limit above the configured maximum.
    #[error("provided limit {value} in `{field}` is greater than maximum allowed of {limit}")]
    LimitExceeded {
        /// Which limit field.
        field: &'static str,
        /// What was asked for.
        value: u64,
        /// The maximum.
        limit: u64,
    },
    /// The same relationship twice in one write.
    #[error(
        "found more than one update for relationship `{0}` in this request; a relationship can only be specified in an update once per request"
    )]
    DuplicateUpdate(String),
    /// Transaction metadata too large to record.
    #[error("transaction metadata of {size} bytes is larger than the maximum of {limit} bytes")]
    TransactionMetadataTooLarge {
        /// Its encoded size.
        size: usize,
        /// The limit.
        limit: usize,
    },
    /// A relationship's caveat (name and context) too large to store.
    #[error(
        "the caveat of relationship `{relationship}` is {size} bytes, larger than the maximum of {limit} bytes"
    )]
    RelationshipContextTooLarge {
        /// The relationship.
        relationship: String,
        /// The caveat's encoded size.
        size: usize,
        /// The limit.
        limit: usize,
    },
    /// A request's caveat context too large.
    #[error("`{field}` is {size} bytes, larger than the maximum of {limit} bytes")]
    ContextTooLarge {
        /// The context field.
        field: String,
        /// Its encoded size.
        size: usize,
        /// The limit.
        limit: usize,
    },
    /// A schema text too large to store.
    #[error("the schema is {size} bytes, larger than the maximum of {limit} bytes")]
    SchemaTooLarge {
        /// Its size.
        size: usize,
        /// The limit.
        limit: usize,
    },
    /// A relationship that the schema does not allow (boxed: it is large and rare).
    #[error(transparent)]
    Relationship(Box<RelationshipError>),
    /// The evaluator failed.
    #[error(transparent)]
    Eval(#[from] EvalError),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A request names a type the schema does not define.
    #[error("object definition `{0}` not found")]
    UnknownDefinition(String),
    /// A request names a relation or permission the type does not have.
    #[error("relation/permission `{relation}` not found under definition `{definition}`")]
    UnknownRelation {
        /// The type.
        definition: String,
        /// The missing name.
        relation: String,
    },
    /// A request names a caveat the schema does not define.
    #[error("caveat `{0}` not found")]
    UnknownCaveat(String),
    /// DependentRelations asked about a relation.
    #[error("`{relation}` is not a permission under definition `{definition}`")]
    NotAPermission {
        /// The type.
        definition: String,
        /// The relation.
        relation: String,
    },
    /// Schema text that does not parse.
    #[error("error parsing schema: {line}:{column}: {message}")]
    SchemaParse {
        /// The first problem.
        message: String,
        /// Its 1-based line.
        line: u32,
        /// Its 1-based column.
        column: u32,
    },
    /// Schema text that parses but is inconsistent.
    #[error("error in schema: {line}:{column}: {message}")]
    SchemaType {
        /// The first problem.
        message: String,
        /// Its 1-based line.
        line: u32,
        /// Its 1-based column.
        column: u32,
    },
    /// A new schema that would leave stored relationships without a relation to live in.
    #[error("{what}, as at least one relationship exists under it: `{example}`")]
    SchemaWouldOrphan {
        /// What the schema removes, e.g. ``cannot delete relation `viewer` in definition `document` ``.
        what: String,
        /// One relationship that stands in the way.
        example: String,
    },
    /// No schema has been written yet.
    #[error("no schema has been defined; please call WriteSchema to start")]
    SchemaNotFound,
    /// A ZedToken that cannot be decoded.
    #[error("invalid revision requested: {0}")]
    InvalidZedToken(String),
    /// A ZedToken of another datastore where only this datastore's tokens make sense.
    #[error(
        "invalid revision requested: the ZedToken was issued by datastore `{token}…`, not by this one (`{ours}…`)"
    )]
    ForeignZedToken {
        /// The token's datastore id prefix.
        token: String,
        /// This datastore's id prefix.
        ours: String,
    },
    /// A cursor that cannot be decoded or belongs to another request.
    #[error("invalid cursor: {0}")]
    InvalidCursor(String),
    /// The caller could not be authenticated.
    #[error(transparent)]
    Unauthenticated(#[from] IdentityError),
    /// An authenticated caller without the capability the RPC needs.
    #[error("principal `{principal}` may not call {rpc}: it lacks the `{capability}` capability")]
    PermissionDenied {
        /// The caller, as `kind:id`.
        principal: String,
        /// What the RPC needs.
        capability: Capability,
        /// The RPC, as `package.Service/Method`.
        rpc: String,
    },
    /// An authenticated caller whose grant of the capability names other object types than
    /// the request touches; `None` when the request names no type (so touches every one).
    #[error("principal `{principal}` may not use the `{capability}` capability on {}: its grant is scoped to other object types", on_types(.object_type.as_deref()))]
    TypeDenied {
        /// The caller, as `kind:id`.
        principal: String,
        /// What the RPC needs.
        capability: Capability,
        /// The object type the request touches.
        object_type: Option<String>,
    },
    /// An access configuration that cannot work.
    #[error("invalid access configuration: {0}")]
    AccessConfig(String),
    /// The end-user token of an `IdentityService` request does not verify (or maps to no
    /// subject); what exactly is wrong is in the server's debug log.
    #[error("invalid `end_user_token`: {0}")]
    EndUserToken(IdentityError),
    /// `IdentityService` was called on a server that verifies no end-user tokens.
    #[error(
        "end-user tokens are not configured: start the server with --jwt-issuer, --jwt-audience and --jwt-jwks"
    )]
    EndUserTokensDisabled,
    /// An RPC Tessera does not implement.
    #[error("{0} is not implemented")]
    Unimplemented(&'static str),
    /// The server is shutting down.
    #[error("the server is shutting down; retry against another instance or later")]
    ShuttingDown,
    /// The client went away or stopped reading a stream.
    #[error("{0}")]
    Cancelled(String),
    /// A bug or an unexpected failure inside the server.
    #[error("internal error: {0}")]
    Internal(String),
}

/// What a status is made of.
struct Parts {
    code: Code,
    reason: Option<ErrorReason>,
    metadata: Vec<(&'static str, String)>,
}

/// How a type-scope denial names what the request touched.
fn on_types(object_type: Option<&str>) -> String {
    object_type.map_or_else(
        || "every object type (the request names none)".to_owned(),
        |object_type| format!("`{object_type}` objects"),
    )
}

fn parts(code: Code, reason: Option<ErrorReason>) -> Parts {
    Parts {
        code,
        reason,
        metadata: Vec::new(),
    }
}

impl Parts {
    fn with(mut self, key: &'static str, value: impl ToString) -> Self {
        self.metadata.push((key, value.to_string()));
        self
    }
}

impl ApiError {
    /// An invalid field.
    pub(crate) fn invalid(field: impl ToString, message: impl Into<String>) -> Self {
        Self::InvalidArgument {
            field: field.to_string(),
            message: message.into(),
        }
    }

    /// The code, reason and metadata SpiceDB reports for this error: the one mapping.
    fn parts(&self) -> Parts {
        use ErrorReason as R;
        match self {
            Self::InvalidFilter { field, .. } => {
                parts(Code::InvalidArgument, Some(R::InvalidFilter)).with("field", field)
            }
            Self::TooManyUpdates { limit, .. } => {
                parts(Code::InvalidArgument, Some(R::TooManyUpdatesInRequest))
                    .with("update_count_limit", limit)
            }
            Self::TooManyPreconditions { limit, .. } => parts(
                Code::InvalidArgument,
                Some(R::TooManyPreconditionsInRequest),
            )
            .with("precondition_count_limit", limit),
            Self::TooManyChecks { limit, .. } => {
                parts(Code::InvalidArgument, Some(R::TooManyChecksInRequest))
                    .with("check_count_limit", limit)
            }
            Self::LimitExceeded { value, limit, .. } => {
                parts(Code::InvalidArgument, Some(R::ExceedsMaximumAllowableLimit))
                    .with("limit_provided", value)
                    .with("maximum_limit_allowed", limit)
            }
            Self::DuplicateUpdate(relationship) => {
                parts(Code::InvalidArgument, Some(R::UpdatesOnSameRelationship))
                    .with("definition_name", resource_type_of(relationship))
                    .with("relationship", relationship)
            }
            Self::TransactionMetadataTooLarge { size, limit } => {
                parts(Code::InvalidArgument, Some(R::TransactionMetadataTooLarge))
                    .with("metadata_byte_size", size)
                    .with("maximum_metadata_byte_size", limit)
            }
            Self::RelationshipContextTooLarge {
                relationship,
                size,
                limit,
            } => parts(Code::InvalidArgument, Some(R::MaxRelationshipContextSize))
                .with("relationship", relationship)
                .with("context_byte_size", size)
                .with("max_context_byte_size", limit),
            Self::InvalidArgument { .. }
            | Self::ContextTooLarge { .. }
            | Self::SchemaTooLarge { .. } => parts(Code::InvalidArgument, None),
            Self::Relationship(err) => relationship_parts(err),
            Self::Eval(err) => eval_parts(err),
            Self::Store(err) => store_parts(err),
            Self::UnknownDefinition(definition) => {
                parts(Code::FailedPrecondition, Some(R::UnknownDefinition))
                    .with("definition_name", definition)
            }
            Self::UnknownRelation {
                definition,
                relation,
            } => parts(
                Code::FailedPrecondition,
                Some(R::UnknownRelationOrPermission),
            )
            .with("definition_name", definition)
            .with("relation_or_permission_name", relation),
            Self::UnknownCaveat(caveat) => {
                parts(Code::FailedPrecondition, Some(R::UnknownCaveat)).with("caveat_name", caveat)
            }
            Self::NotAPermission {
                definition,
                relation,
            } => parts(Code::InvalidArgument, Some(R::UnknownRelationOrPermission))
                .with("definition_name", definition)
                .with("relation_or_permission_name", relation),
            Self::SchemaParse { line, column, .. } => {
                parts(Code::InvalidArgument, Some(R::SchemaParseError))
                    .with("start_line_number", line)
                    .with("start_column_position", column)
            }
            Self::SchemaType { line, column, .. } => {
                parts(Code::FailedPrecondition, Some(R::SchemaTypeError))
                    .with("start_line_number", line)
                    .with("start_column_position", column)
            }
            Self::SchemaWouldOrphan { example, .. } => {
                parts(Code::InvalidArgument, Some(R::SchemaTypeError)).with("relationship", example)
            }
            Self::SchemaNotFound => parts(Code::NotFound, None),
            Self::InvalidZedToken(_) | Self::ForeignZedToken { .. } => {
                parts(Code::InvalidArgument, None)
            }
            Self::InvalidCursor(_) => parts(Code::FailedPrecondition, Some(R::InvalidCursor)),
            Self::Unauthenticated(_) => parts(Code::Unauthenticated, None),
            Self::PermissionDenied { .. } | Self::TypeDenied { .. } => {
                parts(Code::PermissionDenied, None)
            }
            Self::AccessConfig(_) => parts(Code::Internal, None),
            Self::EndUserToken(_) => parts(Code::InvalidArgument, None),
            Self::EndUserTokensDisabled => parts(Code::FailedPrecondition, None),
            Self::Unimplemented(_) => parts(Code::Unimplemented, None),
            Self::ShuttingDown => parts(Code::Unavailable, None),
            Self::Cancelled(_) => parts(Code::Cancelled, None),
            Self::Internal(_) => parts(Code::Internal, None),
        }
    }

    /// The error as a `google.rpc.Status`, e.g. for one pair of a bulk check.
    pub(crate) fn to_rpc_status(&self) -> rpc::Status {
        let Parts {
            code,
            reason,
            metadata,
        } = self.parts();
        let message = self.message();
        let details = reason
            .map(|reason| prost_types::Any {
                type_url: ERROR_INFO_TYPE_URL.to_owned(),
                value: rpc::ErrorInfo {
                    reason: reason.as_str_name().to_owned(),
                    domain: ERROR_DOMAIN.to_owned(),
                    metadata: metadata
                        .into_iter()
                        .map(|(key, value)| (key.to_owned(), value))
                        .collect::<HashMap<_, _>>(),
                }
                .encode_to_vec(),
            })
            .into_iter()
            .collect();
        rpc::Status {
            code: code as i32,
            message,
            details,
        }
    }

    /// The message SpiceDB's clients see; storage errors keep their details out of it.
    fn message(&self) -> String {
        match self {
            Self::Store(StoreError::RevisionExpired { requested, oldest })
            | Self::Eval(EvalError::Store(StoreError::RevisionExpired { requested, oldest })) => {
                format!(
                    "invalid revision: revision has expired (revision {requested} is older than \
                     the oldest readable revision {oldest})"
                )
            }
            Self::Store(StoreError::RevisionInFuture { requested, head })
            | Self::Eval(EvalError::Store(StoreError::RevisionInFuture { requested, head })) => {
                format!("revision was invalid (revision {requested} is newer than the head {head})")
            }
            other => other.to_string(),
        }
    }
}

impl From<RelationshipError> for ApiError {
    fn from(error: RelationshipError) -> Self {
        Self::Relationship(Box::new(error))
    }
}

impl From<ApiError> for tonic::Status {
    fn from(error: ApiError) -> Self {
        let rpc = error.to_rpc_status();
        let code = Code::from_i32(rpc.code);
        if matches!(code, Code::Internal | Code::Unavailable) {
            tracing::warn!(error = %error, "request failed");
        }
        if rpc.details.is_empty() {
            tonic::Status::new(code, rpc.message)
        } else {
            let message = rpc.message.clone();
            tonic::Status::with_details(code, message, rpc.encode_to_vec().into())
        }
    }
}

/// `document` of `document:1#viewer@user:1`.
fn resource_type_of(relationship: &str) -> &str {
    relationship.split(':').next().unwrap_or_default()
}

fn relationship_parts(error: &RelationshipError) -> Parts {
    use ErrorReason as R;
    match error {
        RelationshipError::UnknownDefinition { definition, .. } => {
            parts(Code::FailedPrecondition, Some(R::UnknownDefinition))
                .with("definition_name", definition)
        }
        RelationshipError::UnknownRelation {
            definition,
            relation,
            ..
        } => parts(
            Code::FailedPrecondition,
            Some(R::UnknownRelationOrPermission),
        )
        .with("definition_name", definition)
        .with("relation_or_permission_name", relation),
        RelationshipError::CannotUpdatePermission {
            definition,
            permission,
            ..
        } => parts(Code::InvalidArgument, Some(R::CannotUpdatePermission))
            .with("definition_name", definition)
            .with("permission_name", permission),
        RelationshipError::InvalidSubjectType {
            definition,
            relation,
            subject_type,
            ..
        } => parts(Code::InvalidArgument, Some(R::InvalidSubjectType))
            .with("definition_name", definition)
            .with("relation_name", relation)
            .with("subject_type", subject_type),
        RelationshipError::UnknownCaveat { caveat, .. } => {
            parts(Code::FailedPrecondition, Some(R::UnknownCaveat)).with("caveat_name", caveat)
        }
        RelationshipError::UnknownCaveatParameter { .. } => parts(Code::InvalidArgument, None),
    }
}

fn eval_parts(error: &EvalError) -> Parts {
    use ErrorReason as R;
    match error {
        EvalError::UnknownDefinition(definition) => {
            parts(Code::FailedPrecondition, Some(R::UnknownDefinition))
                .with("definition_name", definition)
        }
        EvalError::UnknownRelation {
            definition,
            relation,
        } => parts(
            Code::FailedPrecondition,
            Some(R::UnknownRelationOrPermission),
        )
        .with("definition_name", definition)
        .with("relation_or_permission_name", relation),
        EvalError::UnknownCaveat(caveat) => {
            parts(Code::FailedPrecondition, Some(R::UnknownCaveat)).with("caveat_name", caveat)
        }
        EvalError::WildcardSubject { .. } => {
            parts(Code::InvalidArgument, Some(R::WildcardNotAllowed))
        }
        EvalError::DepthExceeded { limit } => {
            parts(Code::ResourceExhausted, Some(R::MaximumDepthExceeded))
                .with("maximum_depth_allowed", limit)
        }
        EvalError::CaveatEvaluation { caveat, .. } => {
            parts(Code::InvalidArgument, Some(R::CaveatEvaluationError)).with("caveat_name", caveat)
        }
        EvalError::CaveatParameterType {
            caveat, parameter, ..
        } => parts(Code::InvalidArgument, Some(R::CaveatParameterTypeError))
            .with("caveat_name", caveat)
            .with("parameter_name", parameter),
        EvalError::InvalidCursor(_) => parts(Code::FailedPrecondition, Some(R::InvalidCursor)),
        EvalError::Store(err) => store_parts(err),
    }
}

fn store_parts(error: &StoreError) -> Parts {
    use ErrorReason as R;
    match error {
        StoreError::RevisionExpired { .. } | StoreError::RevisionInFuture { .. } => {
            parts(Code::OutOfRange, None)
        }
        StoreError::AlreadyExists(relationship) => {
            parts(Code::AlreadyExists, Some(R::AttemptToRecreateRelationship))
                .with("relationship", relationship)
        }
        StoreError::PreconditionFailed(precondition) => parts(
            Code::FailedPrecondition,
            Some(R::WriteOrDeletePreconditionFailure),
        )
        .with("precondition_filter", &precondition.filter),
        StoreError::TooManyToDelete { limit } => parts(
            Code::InvalidArgument,
            Some(R::TooManyRelationshipsForTransactionalDelete),
        )
        .with("limit", limit),
        // The write was validated against a schema that was replaced before it committed:
        // retrying validates it against the new one.
        StoreError::SchemaChanged { .. } => parts(Code::Aborted, Some(R::SerializationFailure)),
        StoreError::Corrupt(_) => parts(Code::Internal, None),
        StoreError::Io(_) | StoreError::Locked(_) => parts(Code::Unavailable, None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn error_info(status: &tonic::Status) -> Option<rpc::ErrorInfo> {
        let rpc = rpc::Status::decode(status.details()).ok()?;
        let any = rpc.details.first()?;
        assert_eq!(any.type_url, ERROR_INFO_TYPE_URL);
        rpc::ErrorInfo::decode(any.value.as_slice()).ok()
    }

    #[test]
    fn statuses_carry_spicedb_reasons_in_error_info() {
        let status = tonic::Status::from(ApiError::UnknownRelation {
            definition: "document".to_owned(),
            relation: "viewr".to_owned(),
        });
        assert_eq!(status.code(), Code::FailedPrecondition);
        assert_eq!(
            status.message(),
            "relation/permission `viewr` not found under definition `document`"
        );
        let info = error_info(&status).unwrap();
        assert_eq!(info.domain, "authzed.com");
        assert_eq!(info.reason, "ERROR_REASON_UNKNOWN_RELATION_OR_PERMISSION");
        assert_eq!(info.metadata["relation_or_permission_name"], "viewr");
    }

    #[test]
    fn revision_errors_use_spicedbs_messages() {
        let expired = tonic::Status::from(ApiError::Store(StoreError::RevisionExpired {
            requested: tessera_types::Revision::new(1),
            oldest: tessera_types::Revision::new(5),
        }));
        assert_eq!(expired.code(), Code::OutOfRange);
        assert!(
            expired
                .message()
                .starts_with("invalid revision: revision has expired")
        );
        let future = tonic::Status::from(ApiError::Store(StoreError::RevisionInFuture {
            requested: tessera_types::Revision::new(9),
            head: tessera_types::Revision::new(5),
        }));
        assert_eq!(future.code(), Code::OutOfRange);
        assert!(future.message().starts_with("revision was invalid"));
    }

    #[test]
    fn plain_validation_errors_have_no_reason() {
        let status = tonic::Status::from(ApiError::invalid("resource.object_id", "bad"));
        assert_eq!(status.code(), Code::InvalidArgument);
        assert_eq!(status.message(), "invalid `resource.object_id`: bad");
        assert!(error_info(&status).is_none());
    }
}
