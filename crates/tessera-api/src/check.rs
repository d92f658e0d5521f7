//! The evaluator-facing RPCs: CheckPermission, CheckBulkPermissions, ExpandPermissionTree,
//! LookupResources and LookupSubjects.

use prost::Message;
use tessera_eval::{
    CheckRequest, ExpandDepth, ExpandNode, ExpandTree, FoundSubject, LookupResourcesRequest,
    LookupSubjectsRequest, Permissionship, TraceResult, TraceStep,
};
use tessera_proto::authzed::api::v1 as wire;
use tessera_types::{CaveatContext, NameKind, ObjectRef, SubjectRef};

use crate::consistency::Consistency;
use crate::convert::{Field, FromWire, ToWire, name, object_type, relation_name, required};
use crate::error::ApiError;
use crate::service::{Inner, View};
use crate::token::{Cursor, request_hash};

/// The parts of a check as the wire carries them (a request or one bulk item).
pub(crate) struct WireCheck {
    pub(crate) resource: Option<wire::ObjectReference>,
    pub(crate) permission: String,
    pub(crate) subject: Option<wire::SubjectReference>,
    pub(crate) context: Option<prost_types::Struct>,
}

impl Inner {
    /// A request's caveat context, within the size limit.
    fn context(
        &self,
        context: Option<prost_types::Struct>,
        field: Field<'_>,
    ) -> Result<CaveatContext, ApiError> {
        let Some(context) = context else {
            return Ok(CaveatContext::new());
        };
        let size = context.encoded_len();
        let limit = self.config.max_caveat_context_bytes;
        if size > limit {
            return Err(ApiError::ContextTooLarge {
                field: field.to_string(),
                size,
                limit,
            });
        }
        CaveatContext::from_wire(context, field)
    }

    pub(crate) fn check_request(
        &self,
        check: WireCheck,
        field: Field<'_>,
    ) -> Result<CheckRequest, ApiError> {
        let WireCheck {
            resource,
            permission,
            subject,
            context,
        } = check;
        let resource_field = field.child("resource");
        let subject_field = field.child("subject");
        Ok(CheckRequest {
            resource: ObjectRef::from_wire(required(resource, resource_field)?, resource_field)?,
            permission: relation_name(permission, field.child("permission"))?,
            subject: SubjectRef::from_wire(required(subject, subject_field)?, subject_field)?,
            context: self.context(context, field.child("context"))?,
        })
    }

    pub(crate) fn check_permission(
        &self,
        request: wire::CheckPermissionRequest,
    ) -> Result<wire::CheckPermissionResponse, ApiError> {
        let field = Field::root("CheckPermissionRequest");
        let wire::CheckPermissionRequest {
            consistency,
            resource,
            permission,
            subject,
            context,
            with_tracing,
        } = request;
        let consistency = Consistency::from_wire(consistency, field.child("consistency"))?;
        let check = self.check_request(
            WireCheck {
                resource,
                permission,
                subject,
                context,
            },
            field,
        )?;
        let view = self.view(&consistency)?;
        let result = view
            .schema
            .evaluator
            .check(view.snapshot.as_ref(), &check, with_tracing)?;
        let (permissionship, partial_caveat_info) = check_permissionship(&result.permissionship);
        Ok(wire::CheckPermissionResponse {
            checked_at: Some(self.token(view.revision())),
            permissionship: permissionship as i32,
            partial_caveat_info,
            debug_trace: result
                .trace
                .map(|trace| debug_information(&trace, &check.subject, &view)),
            // Not computed: the evaluator does not track when an answer would expire.
            optional_expires_at: None,
        })
    }

    pub(crate) fn check_bulk_permissions(
        &self,
        request: wire::CheckBulkPermissionsRequest,
    ) -> Result<wire::CheckBulkPermissionsResponse, ApiError> {
        let field = Field::root("CheckBulkPermissionsRequest");
        let wire::CheckBulkPermissionsRequest {
            consistency,
            items,
            with_tracing,
        } = request;
        let limit = self.config.max_bulk_checks;
        if items.len() > limit {
            return Err(ApiError::TooManyChecks {
                count: items.len(),
                limit,
            });
        }
        let consistency = Consistency::from_wire(consistency, field.child("consistency"))?;
        let items_field = field.child("items");
        let checks = items
            .iter()
            .enumerate()
            .map(|(index, item)| {
                let wire::CheckBulkPermissionsRequestItem {
                    resource,
                    permission,
                    subject,
                    context,
                } = item.clone();
                let check = WireCheck {
                    resource,
                    permission,
                    subject,
                    context,
                };
                self.check_request(check, items_field.item(index))
            })
            .collect::<Result<Vec<_>, _>>()?;
        let view = self.view(&consistency)?;
        let results =
            view.schema
                .evaluator
                .check_bulk(view.snapshot.as_ref(), &checks, with_tracing);
        let pairs = items
            .into_iter()
            .zip(checks.iter().zip(results))
            .map(|(item, (check, result))| {
                use wire::check_bulk_permissions_pair::Response;
                let response = match result {
                    Ok(result) => {
                        let (permissionship, partial_caveat_info) =
                            check_permissionship(&result.permissionship);
                        Response::Item(wire::CheckBulkPermissionsResponseItem {
                            permissionship: permissionship as i32,
                            partial_caveat_info,
                            debug_trace: result
                                .trace
                                .map(|trace| debug_information(&trace, &check.subject, &view)),
                        })
                    }
                    Err(err) => Response::Error(ApiError::from(err).to_rpc_status()),
                };
                wire::CheckBulkPermissionsPair {
                    request: Some(item),
                    response: Some(response),
                }
            })
            .collect();
        Ok(wire::CheckBulkPermissionsResponse {
            checked_at: Some(self.token(view.revision())),
            pairs,
        })
    }

    pub(crate) fn expand_permission_tree(
        &self,
        request: wire::ExpandPermissionTreeRequest,
    ) -> Result<wire::ExpandPermissionTreeResponse, ApiError> {
        let field = Field::root("ExpandPermissionTreeRequest");
        let wire::ExpandPermissionTreeRequest {
            consistency,
            resource,
            permission,
        } = request;
        let consistency = Consistency::from_wire(consistency, field.child("consistency"))?;
        let resource_field = field.child("resource");
        let resource = ObjectRef::from_wire(required(resource, resource_field)?, resource_field)?;
        let permission = relation_name(permission, field.child("permission"))?;
        let view = self.view(&consistency)?;
        // One level, as SpiceDB's API does: clients expand subject sets themselves.
        let tree = view.schema.evaluator.expand(
            view.snapshot.as_ref(),
            &resource,
            &permission,
            ExpandDepth::Shallow,
        )?;
        Ok(wire::ExpandPermissionTreeResponse {
            expanded_at: Some(self.token(view.revision())),
            tree_root: Some(tree.to_wire()),
        })
    }

    /// The revision a paged request reads at: its cursor's, else its consistency's.
    fn paged_view(
        &self,
        consistency: &Consistency,
        cursor: Option<&Cursor>,
    ) -> Result<View, ApiError> {
        match cursor {
            Some(cursor) => self.view_at(cursor.revision),
            None => self.view(consistency),
        }
    }

    /// A request's limit field, refused above `max`; zero means none.
    pub(crate) fn limit(
        value: u32,
        max: u32,
        field: &'static str,
    ) -> Result<Option<usize>, ApiError> {
        if value > max {
            return Err(ApiError::LimitExceeded {
                field,
                value: u64::from(value),
                limit: u64::from(max),
            });
        }
        Ok((value > 0).then_some(value as usize))
    }

    /// The cursor a paged request sent, if any.
    pub(crate) fn cursor(
        &self,
        cursor: Option<wire::Cursor>,
        hash: &crate::token::RequestHash,
    ) -> Result<Option<Cursor>, ApiError> {
        cursor
            .map(|wire::Cursor { token }| Cursor::decode(&token, hash, self.store.datastore_id()))
            .transpose()
    }

    /// The wire cursor resuming after `after`.
    pub(crate) fn wire_cursor(
        &self,
        view: &View,
        after: String,
        hash: &crate::token::RequestHash,
    ) -> wire::Cursor {
        let cursor = Cursor {
            revision: view.revision(),
            after,
        };
        wire::Cursor {
            token: cursor.encode(hash, self.store.datastore_id()),
        }
    }

    pub(crate) fn lookup_resources(
        &self,
        request: wire::LookupResourcesRequest,
    ) -> Result<Vec<wire::LookupResourcesResponse>, ApiError> {
        let field = Field::root("LookupResourcesRequest");
        let hash = request_hash(&wire::LookupResourcesRequest {
            consistency: None,
            optional_limit: 0,
            optional_cursor: None,
            ..request.clone()
        });
        let wire::LookupResourcesRequest {
            consistency,
            resource_object_type,
            permission,
            subject,
            context,
            optional_limit,
            optional_cursor,
        } = request;
        let consistency = Consistency::from_wire(consistency, field.child("consistency"))?;
        let subject_field = field.child("subject");
        let lookup = LookupResourcesRequest {
            resource_type: object_type(resource_object_type, field.child("resource_object_type"))?,
            permission: relation_name(permission, field.child("permission"))?,
            subject: SubjectRef::from_wire(required(subject, subject_field)?, subject_field)?,
            context: self.context(context, field.child("context"))?,
            limit: Self::limit(
                optional_limit,
                self.config.max_lookup_limit,
                "optional_limit",
            )?,
            after: None,
        };
        let cursor = self.cursor(optional_cursor, &hash)?;
        let view = self.paged_view(&consistency, cursor.as_ref())?;
        let lookup = LookupResourcesRequest {
            after: cursor.map(|cursor| cursor.after),
            ..lookup
        };
        let found = view
            .schema
            .evaluator
            .lookup_resources(view.snapshot.as_ref(), &lookup)?;
        let looked_up_at = self.token(view.revision());
        Ok(found
            .into_iter()
            .map(|resource| {
                let (permissionship, partial_caveat_info) =
                    lookup_permissionship(&resource.permissionship);
                wire::LookupResourcesResponse {
                    looked_up_at: Some(looked_up_at.clone()),
                    after_result_cursor: Some(self.wire_cursor(
                        &view,
                        resource.resource_id.clone(),
                        &hash,
                    )),
                    resource_object_id: resource.resource_id,
                    permissionship: permissionship as i32,
                    partial_caveat_info,
                }
            })
            .collect())
    }

    pub(crate) fn lookup_subjects(
        &self,
        request: wire::LookupSubjectsRequest,
    ) -> Result<Vec<wire::LookupSubjectsResponse>, ApiError> {
        use wire::lookup_subjects_request::WildcardOption;
        let field = Field::root("LookupSubjectsRequest");
        let hash = request_hash(&wire::LookupSubjectsRequest {
            consistency: None,
            optional_concrete_limit: 0,
            optional_cursor: None,
            ..request.clone()
        });
        let wire::LookupSubjectsRequest {
            consistency,
            resource,
            permission,
            subject_object_type,
            optional_subject_relation,
            context,
            optional_concrete_limit,
            optional_cursor,
            wildcard_option,
        } = request;
        let consistency = Consistency::from_wire(consistency, field.child("consistency"))?;
        let include_wildcards = match WildcardOption::try_from(wildcard_option) {
            Ok(WildcardOption::Unspecified | WildcardOption::IncludeWildcards) => true,
            Ok(WildcardOption::ExcludeWildcards) => false,
            Err(_) => {
                return Err(field
                    .child("wildcard_option")
                    .invalid(format!("`{wildcard_option}` is not a wildcard option")));
            }
        };
        let subject_relation = if optional_subject_relation.is_empty() {
            None
        } else {
            let relation_field = field.child("optional_subject_relation");
            name(
                NameKind::Relation,
                &optional_subject_relation,
                relation_field,
            )?;
            Some(optional_subject_relation)
        };
        let resource_field = field.child("resource");
        let cursor = self.cursor(optional_cursor, &hash)?;
        let lookup = LookupSubjectsRequest {
            resource: ObjectRef::from_wire(required(resource, resource_field)?, resource_field)?,
            permission: relation_name(permission, field.child("permission"))?,
            subject_type: object_type(subject_object_type, field.child("subject_object_type"))?,
            subject_relation,
            context: self.context(context, field.child("context"))?,
            include_wildcards,
            limit: Self::limit(
                optional_concrete_limit,
                self.config.max_lookup_limit,
                "optional_concrete_limit",
            )?,
            after: cursor.as_ref().map(|cursor| cursor.after.clone()),
        };
        let view = self.paged_view(&consistency, cursor.as_ref())?;
        let found = view
            .schema
            .evaluator
            .lookup_subjects(view.snapshot.as_ref(), &lookup)?;
        let looked_up_at = self.token(view.revision());
        Ok(found
            .into_iter()
            .map(|subject| {
                // The wildcard comes first; resuming after it starts at the first concrete
                // subject, which every id sorts after.
                let after = if subject.subject_id == tessera_types::WILDCARD_ID {
                    String::new()
                } else {
                    subject.subject_id.clone()
                };
                lookup_subjects_response(
                    subject,
                    looked_up_at.clone(),
                    self.wire_cursor(&view, after, &hash),
                )
            })
            .collect())
    }
}

/// A found subject in both the current and the deprecated fields, as SpiceDB fills them.
#[expect(
    deprecated,
    reason = "SpiceDB still fills the deprecated fields for older clients"
)]
fn lookup_subjects_response(
    subject: FoundSubject,
    looked_up_at: wire::ZedToken,
    after_result_cursor: wire::Cursor,
) -> wire::LookupSubjectsResponse {
    let resolved = |found: &FoundSubject| {
        let (permissionship, partial_caveat_info) = lookup_permissionship(&found.permissionship);
        wire::ResolvedSubject {
            subject_object_id: found.subject_id.clone(),
            permissionship: permissionship as i32,
            partial_caveat_info,
        }
    };
    let main = resolved(&subject);
    let excluded_subjects: Vec<_> = subject.excluded.iter().map(resolved).collect();
    wire::LookupSubjectsResponse {
        looked_up_at: Some(looked_up_at),
        subject_object_id: main.subject_object_id.clone(),
        excluded_subject_ids: subject
            .excluded
            .iter()
            .map(|excluded| excluded.subject_id.clone())
            .collect(),
        permissionship: main.permissionship,
        partial_caveat_info: main.partial_caveat_info.clone(),
        subject: Some(main),
        excluded_subjects,
        after_result_cursor: Some(after_result_cursor),
    }
}

fn partial_caveat_info(permissionship: &Permissionship) -> Option<wire::PartialCaveatInfo> {
    match permissionship {
        Permissionship::Conditional { missing } => Some(wire::PartialCaveatInfo {
            missing_required_context: missing.clone(),
        }),
        Permissionship::Has | Permissionship::No => None,
    }
}

fn check_permissionship(
    permissionship: &Permissionship,
) -> (
    wire::check_permission_response::Permissionship,
    Option<wire::PartialCaveatInfo>,
) {
    use wire::check_permission_response::Permissionship as Wire;
    let wire = match permissionship {
        Permissionship::No => Wire::NoPermission,
        Permissionship::Has => Wire::HasPermission,
        Permissionship::Conditional { .. } => Wire::ConditionalPermission,
    };
    (wire, partial_caveat_info(permissionship))
}

fn lookup_permissionship(
    permissionship: &Permissionship,
) -> (wire::LookupPermissionship, Option<wire::PartialCaveatInfo>) {
    let wire = match permissionship {
        Permissionship::Has => wire::LookupPermissionship::HasPermission,
        Permissionship::Conditional { .. } => wire::LookupPermissionship::ConditionalPermission,
        // Lookups only report members; a non-member here would be an evaluator bug.
        Permissionship::No => wire::LookupPermissionship::Unspecified,
    };
    (wire, partial_caveat_info(permissionship))
}

/// The explanation of a check as SpiceDB's `DebugInformation`.
fn debug_information(
    trace: &TraceStep,
    subject: &SubjectRef,
    view: &View,
) -> wire::DebugInformation {
    wire::DebugInformation {
        check: Some(debug_trace(trace, subject)),
        schema_used: view.schema.text.clone(),
    }
}

fn debug_trace(step: &TraceStep, subject: &SubjectRef) -> wire::CheckDebugTrace {
    use wire::check_debug_trace::{
        PermissionType, Permissionship as Result, Resolution, SubProblems,
    };
    let TraceStep {
        resource,
        relation,
        is_permission,
        result,
        relationships: _,
        note,
        children,
    } = step;
    let resolution = if note.is_some() && children.is_empty() {
        Resolution::WasCachedResult(true)
    } else {
        Resolution::SubProblems(SubProblems {
            traces: children
                .iter()
                .map(|child| debug_trace(child, subject))
                .collect(),
        })
    };
    wire::CheckDebugTrace {
        resource: resource
            .parse::<ObjectRef>()
            .ok()
            .map(|object| object.to_wire()),
        permission: relation.clone(),
        permission_type: if *is_permission {
            PermissionType::Permission
        } else {
            PermissionType::Relation
        } as i32,
        subject: Some(subject.to_wire()),
        result: match result {
            TraceResult::Has => Result::HasPermission,
            TraceResult::No => Result::NoPermission,
            TraceResult::Conditional => Result::ConditionalPermission,
            TraceResult::Failed => Result::Unspecified,
        } as i32,
        resolution: Some(resolution),
        caveat_evaluation_info: None,
        duration: None,
        optional_expires_at: None,
        trace_operation_id: String::new(),
        source: "tessera".to_owned(),
    }
}

impl ToWire<wire::PermissionRelationshipTree> for ExpandTree {
    fn to_wire(&self) -> wire::PermissionRelationshipTree {
        use wire::algebraic_subject_set::Operation;
        use wire::permission_relationship_tree::TreeType;
        let ExpandTree {
            object,
            relation,
            node,
        } = self;
        let algebraic = |operation: Operation, children: &[ExpandTree]| {
            TreeType::Intermediate(wire::AlgebraicSubjectSet {
                operation: operation as i32,
                children: children.iter().map(ToWire::to_wire).collect(),
            })
        };
        let tree_type = match node {
            ExpandNode::Leaf(subjects) => TreeType::Leaf(wire::DirectSubjectSet {
                subjects: subjects
                    .iter()
                    .map(|expanded| expanded.subject.to_wire())
                    .collect(),
            }),
            ExpandNode::Union(children) => algebraic(Operation::Union, children),
            ExpandNode::Intersection(children) => algebraic(Operation::Intersection, children),
            ExpandNode::Exclusion(children) => algebraic(Operation::Exclusion, children),
        };
        wire::PermissionRelationshipTree {
            expanded_object: Some(object.to_wire()),
            expanded_relation: relation.clone(),
            tree_type: Some(tree_type),
        }
    }
}
