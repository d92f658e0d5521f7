//! API authorization: may this principal call this RPC?
//!
//! Every RPC needs one [`Capability`] ([`RPC_CAPABILITIES`], checked against the compiled
//! descriptor set by a test). Whether a principal holds it is decided by Tessera's own
//! evaluator over a small built-in schema ([`SYSTEM_SCHEMA`]) and relationships made from
//! the configured [`Grant`]s, kept in an in-memory store of their own. Identity never
//! decides: authentication hands over a [`Principal`], and only the grants say what it may
//! do. Nothing granted means nothing allowed.

use std::fmt;
use std::str::FromStr;
use std::sync::Arc;

use tessera_eval::{CheckRequest, EvalConfig, Evaluator, Permissionship};
use tessera_identity::{Principal, PrincipalKind};
use tessera_store::{
    Datastore, MemStore, Operation, SchemaWrite, Snapshot, Update, WriteTransaction,
};
use tessera_types::{CaveatContext, NameKind, ObjectRef, Relationship, SubjectRef, WILDCARD_ID};

use crate::error::ApiError;

/// The built-in schema API authorization is evaluated over: each capability is a permission
/// of the one `api:tessera` object, held through its own grant or through `admin`. A grant
/// scoped to object types is a relationship on `object_type:<name>` instead; the `api`
/// object's `<capability>_on_some_type` permission says whether a principal holds any such
/// grant (through one `api:tessera#typed_<capability>@object_type:<name>#<capability>` per
/// type named).
pub const SYSTEM_SCHEMA: &str = r"
definition principal {}

definition object_type {
    relation granted_check: principal | principal:*
    relation granted_read_relationships: principal | principal:*
    relation granted_write_relationships: principal | principal:*
    relation granted_watch: principal | principal:*
    relation granted_import_export: principal | principal:*

    permission check = granted_check
    permission read_relationships = granted_read_relationships
    permission write_relationships = granted_write_relationships
    permission watch = granted_watch
    permission import_export = granted_import_export
}

definition api {
    relation admin: principal | principal:*
    relation granted_check: principal | principal:*
    relation granted_read_relationships: principal | principal:*
    relation granted_write_relationships: principal | principal:*
    relation granted_read_schema: principal | principal:*
    relation granted_write_schema: principal | principal:*
    relation granted_watch: principal | principal:*
    relation granted_import_export: principal | principal:*

    relation typed_check: object_type#check
    relation typed_read_relationships: object_type#read_relationships
    relation typed_write_relationships: object_type#write_relationships
    relation typed_watch: object_type#watch
    relation typed_import_export: object_type#import_export

    permission check = granted_check + admin
    permission read_relationships = granted_read_relationships + admin
    permission write_relationships = granted_write_relationships + admin
    permission read_schema = granted_read_schema + admin
    permission write_schema = granted_write_schema + admin
    permission watch = granted_watch + admin
    permission import_export = granted_import_export + admin

    permission check_on_some_type = typed_check
    permission read_relationships_on_some_type = typed_read_relationships
    permission write_relationships_on_some_type = typed_write_relationships
    permission watch_on_some_type = typed_watch
    permission import_export_on_some_type = typed_import_export
}
";

/// The object every capability is a permission of.
const API_OBJECT: (&str, &str) = ("api", "tessera");
/// The system schema's type of callers.
const PRINCIPAL_TYPE: &str = "principal";
/// The system schema's type standing for an object type of the user's schema.
const OBJECT_TYPE_TYPE: &str = "object_type";

/// A part of the API a principal may be allowed to use.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Capability {
    /// Permission questions: check, bulk check, expand, lookups.
    Check,
    /// Reading relationships.
    ReadRelationships,
    /// Writing and deleting relationships.
    WriteRelationships,
    /// Reading and reflecting the schema.
    ReadSchema,
    /// Writing the schema.
    WriteSchema,
    /// Watching changes.
    Watch,
    /// Bulk import and export of relationships.
    ImportExport,
}

impl Capability {
    /// Every capability.
    pub const ALL: [Self; 7] = [
        Self::Check,
        Self::ReadRelationships,
        Self::WriteRelationships,
        Self::ReadSchema,
        Self::WriteSchema,
        Self::Watch,
        Self::ImportExport,
    ];

    /// Its name in access configurations, audit lines and errors, e.g. `write_schema`.
    pub fn name(self) -> &'static str {
        match self {
            Self::Check => "check",
            Self::ReadRelationships => "read_relationships",
            Self::WriteRelationships => "write_relationships",
            Self::ReadSchema => "read_schema",
            Self::WriteSchema => "write_schema",
            Self::Watch => "watch",
            Self::ImportExport => "import_export",
        }
    }

    /// Whether a grant of it may be scoped to object types: the capabilities whose requests
    /// name the types of the objects they touch (not the schema's).
    pub fn scopes_to_types(self) -> bool {
        match self {
            Self::Check
            | Self::ReadRelationships
            | Self::WriteRelationships
            | Self::Watch
            | Self::ImportExport => true,
            Self::ReadSchema | Self::WriteSchema => false,
        }
    }
}

impl fmt::Display for Capability {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// What a grant gives: one capability, or all of them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Granted {
    /// Every capability.
    Admin,
    /// One capability.
    Only(Capability),
}

impl FromStr for Granted {
    type Err = ApiError;

    fn from_str(name: &str) -> Result<Self, Self::Err> {
        if name == "admin" {
            return Ok(Self::Admin);
        }
        Capability::ALL
            .into_iter()
            .find(|capability| capability.name() == name)
            .map(Self::Only)
            .ok_or_else(|| {
                let known: Vec<_> = Capability::ALL.iter().map(|c| c.name()).collect();
                ApiError::AccessConfig(format!(
                    "unknown capability `{name}`; expected `admin` or one of {}",
                    known.join(", ")
                ))
            })
    }
}

/// Every RPC of the API and the capability it needs: the one table. An RPC missing here
/// is denied to everyone.
pub const RPC_CAPABILITIES: &[(&str, Capability)] = {
    use Capability as C;
    &[
        (
            "authzed.api.v1.PermissionsService/ReadRelationships",
            C::ReadRelationships,
        ),
        (
            "authzed.api.v1.PermissionsService/WriteRelationships",
            C::WriteRelationships,
        ),
        (
            "authzed.api.v1.PermissionsService/DeleteRelationships",
            C::WriteRelationships,
        ),
        (
            "authzed.api.v1.PermissionsService/CheckPermission",
            C::Check,
        ),
        (
            "authzed.api.v1.PermissionsService/CheckBulkPermissions",
            C::Check,
        ),
        (
            "authzed.api.v1.PermissionsService/ExpandPermissionTree",
            C::Check,
        ),
        (
            "authzed.api.v1.PermissionsService/LookupResources",
            C::Check,
        ),
        ("authzed.api.v1.PermissionsService/LookupSubjects", C::Check),
        (
            "authzed.api.v1.PermissionsService/ImportBulkRelationships",
            C::ImportExport,
        ),
        (
            "authzed.api.v1.PermissionsService/ExportBulkRelationships",
            C::ImportExport,
        ),
        ("authzed.api.v1.SchemaService/ReadSchema", C::ReadSchema),
        ("authzed.api.v1.SchemaService/WriteSchema", C::WriteSchema),
        ("authzed.api.v1.SchemaService/ReflectSchema", C::ReadSchema),
        (
            "authzed.api.v1.SchemaService/ComputablePermissions",
            C::ReadSchema,
        ),
        (
            "authzed.api.v1.SchemaService/DependentRelations",
            C::ReadSchema,
        ),
        ("authzed.api.v1.SchemaService/DiffSchema", C::ReadSchema),
        ("authzed.api.v1.WatchService/Watch", C::Watch),
        (
            "authzed.api.v1.ExperimentalService/BulkImportRelationships",
            C::ImportExport,
        ),
        (
            "authzed.api.v1.ExperimentalService/BulkExportRelationships",
            C::ImportExport,
        ),
        (
            "authzed.api.v1.ExperimentalService/BulkCheckPermission",
            C::Check,
        ),
        (
            "authzed.api.v1.ExperimentalService/ExperimentalReflectSchema",
            C::ReadSchema,
        ),
        (
            "authzed.api.v1.ExperimentalService/ExperimentalComputablePermissions",
            C::ReadSchema,
        ),
        (
            "authzed.api.v1.ExperimentalService/ExperimentalDependentRelations",
            C::ReadSchema,
        ),
        (
            "authzed.api.v1.ExperimentalService/ExperimentalDiffSchema",
            C::ReadSchema,
        ),
        // Counters change what the store maintains, like a schema change.
        (
            "authzed.api.v1.ExperimentalService/ExperimentalRegisterRelationshipCounter",
            C::WriteSchema,
        ),
        (
            "authzed.api.v1.ExperimentalService/ExperimentalCountRelationships",
            C::ReadRelationships,
        ),
        (
            "authzed.api.v1.ExperimentalService/ExperimentalUnregisterRelationshipCounter",
            C::WriteSchema,
        ),
        (
            "tessera.v1.IdentityService/CheckPermissionForToken",
            C::Check,
        ),
    ]
};

/// The capability the RPC at an HTTP/2 path (`/package.Service/Method`) needs, if it is one.
pub fn capability_of(path: &str) -> Option<Capability> {
    let method = path.strip_prefix('/').unwrap_or(path);
    RPC_CAPABILITIES
        .iter()
        .find(|(rpc, _)| *rpc == method)
        .map(|(_, capability)| *capability)
}

/// Who a grant is for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Grantee {
    /// One principal, by kind and id.
    Principal {
        /// Its kind.
        kind: PrincipalKind,
        /// Its id (a key's name, a token's `sub`, a SPIFFE id).
        id: String,
    },
    /// Every authenticated principal.
    Anyone,
}

impl FromStr for Grantee {
    type Err = ApiError;

    /// `user:<sub>`, `service:<name>`, `workload:<spiffe id>`, or `*` for anyone.
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        if text == WILDCARD_ID {
            return Ok(Self::Anyone);
        }
        let invalid = || {
            ApiError::AccessConfig(format!(
                "principal `{text}`: expected `user:<id>`, `service:<id>`, `workload:<id>` or `*`"
            ))
        };
        let (kind, id) = text.split_once(':').ok_or_else(invalid)?;
        let kind = match kind {
            "user" => PrincipalKind::User,
            "service" => PrincipalKind::Service,
            "workload" => PrincipalKind::Workload,
            _ => return Err(invalid()),
        };
        if id.is_empty() {
            return Err(invalid());
        }
        Ok(Self::Principal {
            kind,
            id: id.to_owned(),
        })
    }
}

/// Capabilities given to principals, on every object type or only on some.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Grant {
    /// Who.
    pub grantees: Vec<Grantee>,
    /// What.
    pub granted: Vec<Granted>,
    /// On which object types of the user's schema; empty for every type.
    pub object_types: Vec<String>,
}

/// `kind:id`, how audit lines and errors name a principal.
pub fn principal_name(principal: &Principal) -> String {
    format!("{}:{}", kind_name(principal.kind), principal.id)
}

fn kind_name(kind: PrincipalKind) -> &'static str {
    match kind {
        PrincipalKind::User => "user",
        PrincipalKind::Service => "service",
        PrincipalKind::Workload => "workload",
    }
}

/// The system subject of a principal: `principal:<kind>/<id>`, with every character an
/// object id may not hold (and `=`) written as `=XX`, so distinct ids stay distinct.
fn system_subject(kind: PrincipalKind, id: &str) -> Result<SubjectRef, ApiError> {
    let mut object_id = format!("{}/", kind_name(kind));
    for byte in id.bytes() {
        if byte.is_ascii_alphanumeric() || b"/_|-+".contains(&byte) {
            object_id.push(char::from(byte));
        } else {
            object_id.push_str(&format!("={byte:02X}"));
        }
    }
    SubjectRef::new(PRINCIPAL_TYPE, object_id, None).map_err(|err| {
        ApiError::AccessConfig(format!("principal `{}:{id}`: {err}", kind_name(kind)))
    })
}

/// What API authorization decided.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Decision {
    /// Whether the call may proceed.
    pub allowed: bool,
    /// Whether it is allowed only on the object types the principal's grants name: then
    /// each type the request touches is asked with [`AccessPolicy::decide_on_type`].
    pub scoped: bool,
    /// The system subject the question was asked for, e.g. `principal:user/alice`.
    pub subject: String,
}

/// Which principals may use which capabilities, decided by the evaluator.
#[derive(Clone)]
pub struct AccessPolicy {
    /// `None` when nothing is granted: then there is nothing to evaluate.
    inner: Option<Arc<Policy>>,
}

struct Policy {
    evaluator: Evaluator,
    snapshot: Arc<dyn Snapshot>,
    grants: usize,
}

impl AccessPolicy {
    /// A policy allowing exactly what `grants` give.
    ///
    /// # Errors
    /// [`ApiError::AccessConfig`] for a principal that cannot be a system subject;
    /// [`ApiError::Internal`] if the system schema or store fails.
    pub fn new(grants: &[Grant]) -> Result<Self, ApiError> {
        let schema = tessera_schema::compile(SYSTEM_SCHEMA).map_err(|diagnostics| {
            ApiError::Internal(format!("the system schema does not compile: {diagnostics}"))
        })?;
        let evaluator = Evaluator::for_schema(Arc::new(schema), EvalConfig::default())?;
        let mut updates = Vec::new();
        for grant in grants {
            for relationship in grant_relationships(grant)? {
                if !updates
                    .iter()
                    .any(|update: &Update| update.relationship == relationship)
                {
                    updates.push(Update {
                        operation: Operation::Touch,
                        relationship,
                    });
                }
            }
        }
        let store = MemStore::new();
        store.write_schema(SchemaWrite {
            text: SYSTEM_SCHEMA.to_owned(),
            preconditions: Vec::new(),
        })?;
        let grants = updates.len();
        let revision = store.write(WriteTransaction {
            updates,
            ..WriteTransaction::default()
        })?;
        let snapshot = store.snapshot(revision)?;
        Ok(Self {
            inner: Some(Arc::new(Policy {
                evaluator,
                snapshot,
                grants,
            })),
        })
    }

    /// A policy allowing nobody anything.
    pub fn deny_all() -> Self {
        Self { inner: None }
    }

    /// A policy making the named service principals (e.g. the names of preshared keys)
    /// admins, and nobody else anything.
    ///
    /// # Errors
    /// As [`AccessPolicy::new`].
    pub fn service_admins<'a>(names: impl IntoIterator<Item = &'a str>) -> Result<Self, ApiError> {
        Self::new(&[Grant {
            grantees: names
                .into_iter()
                .map(|name| Grantee::Principal {
                    kind: PrincipalKind::Service,
                    id: name.to_owned(),
                })
                .collect(),
            granted: vec![Granted::Admin],
            object_types: Vec::new(),
        }])
    }

    /// Whether `principal` holds `capability`, on every object type or only on some.
    /// Anything that goes wrong denies.
    ///
    /// A principal with an unscoped grant costs one evaluation; only one without it is
    /// asked (a second evaluation) whether it holds the capability on some type.
    pub fn decide(&self, principal: &Principal, capability: Capability) -> Decision {
        let subject = match system_subject(principal.kind, &principal.id) {
            Ok(subject) => subject,
            Err(err) => {
                tracing::debug!(error = %err, "the principal has no system subject; denied");
                return Decision {
                    allowed: false,
                    scoped: false,
                    subject: String::new(),
                };
            }
        };
        let Some(policy) = &self.inner else {
            return Decision {
                allowed: false,
                scoped: false,
                subject: subject.to_string(),
            };
        };
        let unscoped = policy.holds(api_object(), capability.name(), &subject);
        let scoped = !unscoped
            && capability.scopes_to_types()
            && policy.holds(
                api_object(),
                &format!("{capability}_on_some_type"),
                &subject,
            );
        Decision {
            allowed: unscoped || scoped,
            scoped,
            subject: subject.to_string(),
        }
    }

    /// Whether `principal` holds `capability` on objects of `object_type` through a grant
    /// naming that type: one evaluation. An unscoped grant is not consulted (ask
    /// [`AccessPolicy::decide`] first); anything that goes wrong denies.
    pub fn decide_on_type(
        &self,
        principal: &Principal,
        capability: Capability,
        object_type: &str,
    ) -> bool {
        let Some(policy) = &self.inner else {
            return false;
        };
        let Ok(subject) = system_subject(principal.kind, &principal.id) else {
            return false;
        };
        let resource = ObjectRef::new(OBJECT_TYPE_TYPE, object_type)
            .map_err(|err| ApiError::Internal(err.to_string()));
        policy.holds(resource, capability.name(), &subject)
    }
}

impl Policy {
    /// Whether `subject` has `permission` on `resource` in the system schema.
    fn holds(
        &self,
        resource: Result<ObjectRef, ApiError>,
        permission: &str,
        subject: &SubjectRef,
    ) -> bool {
        resource
            .and_then(|resource| {
                let request = CheckRequest {
                    resource,
                    permission: permission.to_owned(),
                    subject: subject.clone(),
                    context: CaveatContext::new(),
                };
                Ok(self
                    .evaluator
                    .check(self.snapshot.as_ref(), &request, false)?)
            })
            .map(|result| result.permissionship == Permissionship::Has)
            .unwrap_or_else(|err| {
                tracing::warn!(error = %err, "API authorization failed; denied");
                false
            })
    }
}

/// The system relationships one grant stands for.
///
/// Unscoped: `api:tessera#granted_<capability>@<principal>` (or `#admin`). Scoped to types:
/// `object_type:<type>#granted_<capability>@<principal>`, plus
/// `api:tessera#typed_<capability>@object_type:<type>#<capability>` so the guard can tell
/// the principal holds the capability on some type.
fn grant_relationships(grant: &Grant) -> Result<Vec<Relationship>, ApiError> {
    let internal = |err: tessera_types::TypesError| ApiError::Internal(err.to_string());
    let api = api_object()?;
    let mut relationships = Vec::new();
    for grantee in &grant.grantees {
        let subject = match grantee {
            Grantee::Anyone => {
                SubjectRef::new(PRINCIPAL_TYPE, WILDCARD_ID, None).map_err(internal)?
            }
            Grantee::Principal { kind, id } => system_subject(*kind, id)?,
        };
        for granted in &grant.granted {
            match (granted, grant.object_types.is_empty()) {
                (Granted::Admin, true) => {
                    relationships.push(
                        Relationship::new(api.clone(), "admin", subject.clone())
                            .map_err(internal)?,
                    );
                }
                (Granted::Only(capability), true) => relationships.push(
                    Relationship::new(
                        api.clone(),
                        format!("granted_{capability}"),
                        subject.clone(),
                    )
                    .map_err(internal)?,
                ),
                (Granted::Admin, false) => {
                    return Err(ApiError::AccessConfig(
                        "`admin` cannot be scoped to object types; grant the capabilities \
                         instead"
                            .to_owned(),
                    ));
                }
                (Granted::Only(capability), false) if !capability.scopes_to_types() => {
                    return Err(ApiError::AccessConfig(format!(
                        "`{capability}` cannot be scoped to object types: the schema is one \
                         for all of them"
                    )));
                }
                (Granted::Only(capability), false) => {
                    for object_type in &grant.object_types {
                        NameKind::ObjectType.check(object_type).map_err(|err| {
                            ApiError::AccessConfig(format!("object_types: {err}"))
                        })?;
                        let scope = ObjectRef::new(OBJECT_TYPE_TYPE, object_type.as_str())
                            .map_err(internal)?;
                        relationships.push(
                            Relationship::new(
                                scope.clone(),
                                format!("granted_{capability}"),
                                subject.clone(),
                            )
                            .map_err(internal)?,
                        );
                        let typed = SubjectRef::new(
                            OBJECT_TYPE_TYPE,
                            object_type.as_str(),
                            Some(capability.name().to_owned()),
                        )
                        .map_err(internal)?;
                        relationships.push(
                            Relationship::new(api.clone(), format!("typed_{capability}"), typed)
                                .map_err(internal)?,
                        );
                    }
                }
            }
        }
    }
    Ok(relationships)
}

fn api_object() -> Result<ObjectRef, ApiError> {
    ObjectRef::new(API_OBJECT.0, API_OBJECT.1).map_err(|err| ApiError::Internal(err.to_string()))
}

impl fmt::Debug for AccessPolicy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AccessPolicy")
            .field(
                "grants",
                &self.inner.as_ref().map_or(0, |policy| policy.grants),
            )
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use prost::Message;
    use tessera_identity::Claims;

    use super::*;

    fn principal(kind: PrincipalKind, id: &str) -> Principal {
        Principal {
            id: id.to_owned(),
            kind,
            issuer: "test".to_owned(),
            tenant: None,
            claims: Claims::new(),
        }
    }

    fn grant(grantees: &[&str], granted: &[&str]) -> Grant {
        Grant {
            grantees: grantees.iter().map(|g| g.parse().unwrap()).collect(),
            granted: granted.iter().map(|g| g.parse().unwrap()).collect(),
            object_types: Vec::new(),
        }
    }

    fn scoped(grantees: &[&str], granted: &[&str], object_types: &[&str]) -> Grant {
        Grant {
            object_types: object_types.iter().map(|t| (*t).to_owned()).collect(),
            ..grant(grantees, granted)
        }
    }

    #[test]
    fn every_rpc_of_the_descriptor_set_needs_a_capability() {
        let set =
            prost_types::FileDescriptorSet::decode(tessera_proto::FILE_DESCRIPTOR_SET).unwrap();
        let mut methods = BTreeSet::new();
        for file in &set.file {
            let package = file.package();
            if package != "authzed.api.v1" && package != "tessera.v1" {
                continue;
            }
            for service in &file.service {
                for method in &service.method {
                    methods.insert(format!("{package}.{}/{}", service.name(), method.name()));
                }
            }
        }
        let table: BTreeSet<String> = RPC_CAPABILITIES
            .iter()
            .map(|(rpc, _)| (*rpc).to_owned())
            .collect();
        assert_eq!(methods, table);
        assert!(methods.contains("tessera.v1.IdentityService/CheckPermissionForToken"));
    }

    #[test]
    fn nothing_is_allowed_without_a_grant() {
        let policy = AccessPolicy::deny_all();
        for capability in Capability::ALL {
            let decision = policy.decide(&principal(PrincipalKind::Service, "ci"), capability);
            assert!(!decision.allowed, "{capability}");
            assert_eq!(decision.subject, "principal:service/ci");
        }
        assert_eq!(capability_of("/random/Path"), None);
    }

    #[test]
    fn grants_give_exactly_their_capabilities() {
        let policy = AccessPolicy::new(&[
            grant(&["user:alice"], &["check", "read_schema"]),
            grant(&["service:ci"], &["admin"]),
            grant(&["*"], &["watch"]),
        ])
        .unwrap();
        let alice = principal(PrincipalKind::User, "alice");
        let ci = principal(PrincipalKind::Service, "ci");
        let bob = principal(PrincipalKind::User, "bob");
        let alice_as_service = principal(PrincipalKind::Service, "alice");
        for capability in Capability::ALL {
            assert!(policy.decide(&ci, capability).allowed, "{capability}");
            let alice_may = matches!(
                capability,
                Capability::Check | Capability::ReadSchema | Capability::Watch
            );
            assert_eq!(
                policy.decide(&alice, capability).allowed,
                alice_may,
                "{capability}"
            );
            let anyone_may = capability == Capability::Watch;
            assert_eq!(policy.decide(&bob, capability).allowed, anyone_may);
            assert_eq!(
                policy.decide(&alice_as_service, capability).allowed,
                anyone_may
            );
        }
    }

    #[test]
    fn principal_ids_are_escaped_so_distinct_ids_stay_distinct() {
        let policy = AccessPolicy::new(&[grant(
            &["workload:spiffe://example.org/ns/billing"],
            &["check"],
        )])
        .unwrap();
        let billing = principal(PrincipalKind::Workload, "spiffe://example.org/ns/billing");
        let decision = policy.decide(&billing, Capability::Check);
        assert!(decision.allowed);
        assert_eq!(
            decision.subject,
            "principal:workload/spiffe=3A//example=2Eorg/ns/billing"
        );
        let lookalike = principal(
            PrincipalKind::Workload,
            "spiffe=3A//example=2Eorg/ns/billing",
        );
        assert!(!policy.decide(&lookalike, Capability::Check).allowed);
    }

    #[test]
    fn a_scoped_grant_holds_its_capability_only_on_the_types_it_names() {
        let policy = AccessPolicy::new(&[
            scoped(&["user:alice"], &["check"], &["document", "org/folder"]),
            scoped(&["*"], &["watch"], &["document"]),
            grant(&["service:ci"], &["admin"]),
        ])
        .unwrap();
        let alice = principal(PrincipalKind::User, "alice");
        let decision = policy.decide(&alice, Capability::Check);
        assert!(decision.allowed && decision.scoped, "{decision:?}");
        assert!(policy.decide_on_type(&alice, Capability::Check, "document"));
        assert!(policy.decide_on_type(&alice, Capability::Check, "org/folder"));
        assert!(!policy.decide_on_type(&alice, Capability::Check, "folder"));
        assert!(!policy.decide_on_type(&alice, Capability::Check, "Not A Type!"));
        assert!(!policy.decide_on_type(&alice, Capability::ReadRelationships, "document"));
        assert!(!policy.decide(&alice, Capability::ReadRelationships).allowed);

        let bob = principal(PrincipalKind::User, "bob");
        let decision = policy.decide(&bob, Capability::Watch);
        assert!(decision.allowed && decision.scoped, "{decision:?}");
        assert!(policy.decide_on_type(&bob, Capability::Watch, "document"));
        assert!(!policy.decide(&bob, Capability::Check).allowed);

        let ci = principal(PrincipalKind::Service, "ci");
        for capability in Capability::ALL {
            let decision = policy.decide(&ci, capability);
            assert!(decision.allowed && !decision.scoped, "{capability}");
        }
    }

    #[test]
    fn only_capabilities_over_objects_can_be_scoped_to_types() {
        for granted in ["admin", "read_schema", "write_schema"] {
            let err = AccessPolicy::new(&[scoped(&["user:alice"], &[granted], &["document"])])
                .unwrap_err()
                .to_string();
            assert!(err.contains("cannot be scoped to object types"), "{err}");
        }
        let err = AccessPolicy::new(&[scoped(&["user:alice"], &["check"], &["Document"])])
            .unwrap_err()
            .to_string();
        assert!(err.contains("`Document`"), "{err}");
    }

    #[test]
    fn unknown_capabilities_and_principals_are_configuration_errors() {
        assert!("delete_everything".parse::<Granted>().is_err());
        for bad in ["alice", "robot:x", "user:", ""] {
            assert!(bad.parse::<Grantee>().is_err(), "{bad}");
        }
    }
}
