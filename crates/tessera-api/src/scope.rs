//! Grants scoped to object types, enforced where the request is decoded.
//!
//! The guard sees only an RPC's path, so it can say whether the caller holds the capability
//! on every object type or only on some; it leaves that answer, an [`AllowedScope`], in the
//! request's extensions. Each handler then names the object types its message touches and
//! the scope allows or denies them: an unscoped caller is let through without another
//! evaluation (the check hot path stays one evaluation), a scoped caller's types are each
//! asked of the access policy and audited like the guard's decisions.

use std::sync::Arc;
use std::time::Instant;

use tessera_identity::Principal;
use tessera_proto::authzed::api::v1 as wire;

use crate::access::{AccessPolicy, Capability, principal_name};
use crate::audit::{AuditEvent, AuditLog, EventKind};
use crate::error::ApiError;

/// Which object types a request may touch, as the guard decided.
///
/// A request without one passed no guard (a service used without [`crate::Guard`], where no
/// capability is enforced either), and the guard leaves none for unscoped callers: both
/// mean every type.
#[derive(Clone, Debug)]
pub(crate) enum AllowedScope {
    /// Every object type.
    All,
    /// Only the types the caller's grants name, asked one by one.
    Types(Arc<ScopedCaller>),
}

/// A caller holding the capability its RPC needs only on some object types.
#[derive(Debug)]
pub(crate) struct ScopedCaller {
    pub(crate) access: AccessPolicy,
    pub(crate) audit: AuditLog,
    pub(crate) principal: Principal,
    /// Its system subject, e.g. `principal:user/alice`, for audit lines.
    pub(crate) subject: String,
    pub(crate) capability: Capability,
    pub(crate) rpc: String,
    pub(crate) request_id: Option<String>,
}

impl AllowedScope {
    /// The scope the guard left on `request`.
    pub(crate) fn of<T>(request: &tonic::Request<T>) -> Self {
        request
            .extensions()
            .get::<Self>()
            .cloned()
            .unwrap_or(Self::All)
    }

    /// Allows a request touching objects of each of `object_types`, where `None` is a
    /// request naming no type (which touches every one, so only an unscoped grant allows
    /// it). Any type denied denies the whole request.
    ///
    /// # Errors
    /// [`ApiError::TypeDenied`] for the first type the caller may not touch.
    pub(crate) fn authorize<'a>(
        &self,
        object_types: impl IntoIterator<Item = Option<&'a str>>,
    ) -> Result<(), ApiError> {
        let Self::Types(caller) = self else {
            return Ok(());
        };
        let mut asked: Vec<Option<&str>> = Vec::new();
        for object_type in object_types {
            if !asked.contains(&object_type) {
                asked.push(object_type);
                caller.authorize(object_type)?;
            }
        }
        Ok(())
    }
}

impl ScopedCaller {
    fn authorize(&self, object_type: Option<&str>) -> Result<(), ApiError> {
        let started = Instant::now();
        let allowed = object_type.is_some_and(|object_type| {
            self.access
                .decide_on_type(&self.principal, self.capability, object_type)
        });
        let resource = object_type.map(|object_type| format!("object_type:{object_type}"));
        let reason = match (allowed, object_type) {
            (true, _) => None,
            (false, Some(_)) => Some("the grant is scoped to other object types"),
            (false, None) => Some("the request names no object type and the grant is scoped"),
        };
        self.audit.record(&AuditEvent {
            kind: EventKind::Authorization,
            request_id: self.request_id.as_deref(),
            rpc: &self.rpc,
            principal: Some(&self.principal),
            subject: Some(&self.subject),
            resource: resource.as_deref(),
            permission: Some(self.capability.name()),
            result: if allowed { "allowed" } else { "denied" },
            reason,
            revision: None,
            latency: started.elapsed(),
        });
        if allowed {
            return Ok(());
        }
        let principal = principal_name(&self.principal);
        tracing::debug!(%principal, capability = %self.capability, ?object_type, "type denied");
        Err(ApiError::TypeDenied {
            principal,
            capability: self.capability,
            object_type: object_type.map(str::to_owned),
        })
    }
}

/// The type of an object a request names; `None` when it names none.
pub(crate) fn object_type(object: Option<&wire::ObjectReference>) -> Option<&str> {
    object
        .map(|object| object.object_type.as_str())
        .filter(|object_type| !object_type.is_empty())
}

/// The resource type a relationship filter selects; `None` for every type.
pub(crate) fn filter_type(filter: Option<&wire::RelationshipFilter>) -> Option<&str> {
    filter
        .map(|filter| filter.resource_type.as_str())
        .filter(|object_type| !object_type.is_empty())
}

/// The resource types of preconditions (which read relationships).
pub(crate) fn precondition_types(
    preconditions: &[wire::Precondition],
) -> impl Iterator<Item = Option<&str>> {
    preconditions
        .iter()
        .map(|precondition| filter_type(precondition.filter.as_ref()))
}

/// The resource type of a relationship.
pub(crate) fn relationship_type(relationship: Option<&wire::Relationship>) -> Option<&str> {
    object_type(relationship.and_then(|relationship| relationship.resource.as_ref()))
}

/// The types a Watch follows: its object types and filters, or every type.
pub(crate) fn watch_types(request: &wire::WatchRequest) -> Vec<Option<&str>> {
    let mut types: Vec<Option<&str>> = request
        .optional_object_types
        .iter()
        .map(|object_type| Some(object_type.as_str()))
        .chain(
            request
                .optional_relationship_filters
                .iter()
                .map(|filter| filter_type(Some(filter))),
        )
        .collect();
    if types.is_empty() {
        types.push(None);
    }
    types
}
