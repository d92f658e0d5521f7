//! ReadSchema and WriteSchema, with the guards that keep a new schema from orphaning stored
//! relationships.

use tessera_proto::authzed::api::v1 as wire;
use tessera_schema::ir::{Definition, Relation, Schema, SubjectTarget};
use tessera_schema::{DiagnosticKind, Diagnostics};
use tessera_store::{
    Precondition, PreconditionKind, RelationshipFilter, SchemaWrite, StoreError, SubjectFilter,
    SubjectRelationFilter,
};
use tessera_types::WILDCARD_ID;

use crate::error::ApiError;
use crate::service::Inner;

/// A condition a new schema needs the stored relationships to meet, and what it protects.
struct OrphanGuard {
    /// What the new schema removes, for the error.
    what: String,
    precondition: Precondition,
}

fn guard(what: String, filter: RelationshipFilter) -> OrphanGuard {
    OrphanGuard {
        what,
        precondition: Precondition {
            kind: PreconditionKind::MustNotMatch,
            filter,
        },
    }
}

/// The first problem of a schema that does not compile, as SpiceDB reports it.
pub(crate) fn schema_error(diagnostics: &Diagnostics) -> ApiError {
    let Some(first) = diagnostics.iter().next() else {
        return ApiError::Internal("the schema compiler reported no problem".to_owned());
    };
    let (message, line, column) = (first.message().to_owned(), first.line(), first.column());
    match first.kind() {
        DiagnosticKind::Parse => ApiError::SchemaParse {
            message,
            line,
            column,
        },
        DiagnosticKind::Type => ApiError::SchemaType {
            message,
            line,
            column,
        },
    }
}

/// A subject type as names, comparable across schemas: (type, relation or `*`).
fn subject_key(definition: &Definition, target: SubjectTarget) -> (String, String) {
    let relation = match target {
        SubjectTarget::Terminal => String::new(),
        SubjectTarget::Relation(id) => definition.relation(id).name.clone(),
        SubjectTarget::Wildcard => WILDCARD_ID.to_owned(),
    };
    (definition.name.clone(), relation)
}

/// Guards for everything `new` removes from `old` that relationships may still use: whole
/// definitions, relations (also those turned into permissions), and allowed subject types.
///
/// A subject type is only guarded when no variant of it remains: removing `user with
/// on_tuesday` while `user` stays cannot be guarded by a filter (filters do not see
/// caveats), and neither can removing `user` while `user:*` stays be told apart from the
/// wildcard; the latter is guarded and may refuse a schema because of wildcard
/// relationships.
fn orphan_guards(old: &Schema, new: &Schema) -> Vec<OrphanGuard> {
    let mut guards = Vec::new();
    for definition in &old.definitions {
        let Some(new_definition) = new
            .definition_id(&definition.name)
            .map(|id| new.definition(id))
        else {
            guards.push(guard(
                format!("cannot delete definition `{}`", definition.name),
                RelationshipFilter {
                    resource_type: Some(definition.name.clone()),
                    ..RelationshipFilter::default()
                },
            ));
            continue;
        };
        for relation in definition.relations.iter().filter(|r| !r.is_permission()) {
            let kept = new_definition
                .relation_id(&relation.name)
                .map(|id| new_definition.relation(id))
                .filter(|r| !r.is_permission());
            match kept {
                None => guards.push(guard(
                    format!(
                        "cannot delete relation `{}` in definition `{}`",
                        relation.name, definition.name
                    ),
                    RelationshipFilter {
                        resource_type: Some(definition.name.clone()),
                        relation: Some(relation.name.clone()),
                        ..RelationshipFilter::default()
                    },
                )),
                Some(kept) => {
                    guards.extend(removed_subject_types(old, new, definition, relation, kept));
                }
            }
        }
    }
    guards
}

fn removed_subject_types(
    old: &Schema,
    new: &Schema,
    definition: &Definition,
    relation: &Relation,
    kept: &Relation,
) -> Vec<OrphanGuard> {
    let remaining: Vec<_> = kept
        .allowed_subjects()
        .iter()
        .map(|allowed| subject_key(new.definition(allowed.definition), allowed.target))
        .collect();
    let mut guards = Vec::new();
    // Variants of one subject type (with and without a caveat) share one guard.
    let mut guarded = Vec::new();
    for allowed in relation.allowed_subjects() {
        let key = subject_key(old.definition(allowed.definition), allowed.target);
        if remaining.contains(&key) || guarded.contains(&key) {
            continue;
        }
        guarded.push(key.clone());
        let (subject_id, subject_relation) = match allowed.target {
            SubjectTarget::Terminal => (None, SubjectRelationFilter::Ellipsis),
            SubjectTarget::Wildcard => (
                Some(WILDCARD_ID.to_owned()),
                SubjectRelationFilter::Ellipsis,
            ),
            SubjectTarget::Relation(_) => (None, SubjectRelationFilter::Named(key.1.clone())),
        };
        guards.push(guard(
            format!(
                "cannot remove allowed type `{}` from relation `{}` in definition `{}`",
                old.describe_subject(allowed),
                relation.name,
                definition.name
            ),
            RelationshipFilter {
                resource_type: Some(definition.name.clone()),
                relation: Some(relation.name.clone()),
                subject: Some(SubjectFilter {
                    subject_type: key.0,
                    subject_id,
                    relation: Some(subject_relation),
                }),
                ..RelationshipFilter::default()
            },
        ));
    }
    guards
}

impl Inner {
    pub(crate) fn read_schema(
        &self,
        request: wire::ReadSchemaRequest,
    ) -> Result<wire::ReadSchemaResponse, ApiError> {
        let wire::ReadSchemaRequest {} = request;
        let view = self.view_at_head()?;
        if view.schema.revision.is_none() {
            return Err(ApiError::SchemaNotFound);
        }
        Ok(wire::ReadSchemaResponse {
            schema_text: view.schema.text.clone(),
            read_at: Some(self.token(view.revision())),
        })
    }

    pub(crate) fn write_schema(
        &self,
        request: wire::WriteSchemaRequest,
    ) -> Result<wire::WriteSchemaResponse, ApiError> {
        let wire::WriteSchemaRequest { schema } = request;
        let limit = self.config.max_schema_bytes;
        if schema.len() > limit {
            return Err(ApiError::SchemaTooLarge {
                size: schema.len(),
                limit,
            });
        }
        let compiled = tessera_schema::compile(&schema).map_err(|d| schema_error(&d))?;
        // Guards are computed from the schema being replaced: no other schema write may land
        // in between.
        let _writing = self.schema_writes.lock();
        let current = self.view_at_head()?;
        let guards = orphan_guards(current.schema.schema(), &compiled);
        let preconditions = guards.iter().map(|g| g.precondition.clone()).collect();
        match self.store.write_schema(SchemaWrite {
            text: schema,
            preconditions,
        }) {
            Ok(revision) => Ok(wire::WriteSchemaResponse {
                written_at: Some(self.committed(revision)),
            }),
            Err(StoreError::PreconditionFailed(failed)) => {
                let what = guards
                    .into_iter()
                    .find(|g| g.precondition == *failed)
                    .map_or_else(|| "cannot apply the schema".to_owned(), |g| g.what);
                let example = self
                    .view_at_head()?
                    .snapshot
                    .read_filtered(&failed.filter, None, Some(1))?
                    .first()
                    .map_or_else(|| failed.filter.to_string(), ToString::to_string);
                Err(ApiError::SchemaWouldOrphan { what, example })
            }
            Err(err) => Err(err.into()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn compile(text: &str) -> Schema {
        tessera_schema::compile(text).unwrap()
    }

    fn guarded(old: &str, new: &str) -> Vec<(String, String)> {
        orphan_guards(&compile(old), &compile(new))
            .into_iter()
            .map(|g| (g.what, g.precondition.filter.to_string()))
            .collect()
    }

    const OLD: &str = "definition user {}
        definition group {
            relation member: user
        }
        definition document {
            relation viewer: user | user:* | group#member
            relation editor: user
            permission view = viewer + editor
        }";

    #[test]
    fn removing_definitions_relations_and_subject_types_is_guarded() {
        let new = "definition user {}
            definition document {
                relation viewer: user
                permission editor = viewer
                permission view = viewer
            }";
        assert_eq!(
            guarded(OLD, new),
            [
                (
                    "cannot delete definition `group`".to_owned(),
                    "{resource_type: group}".to_owned()
                ),
                (
                    "cannot remove allowed type `user:*` from relation `viewer` in definition \
                     `document`"
                        .to_owned(),
                    "{resource_type: document, relation: viewer, subject: user:*#...}".to_owned()
                ),
                (
                    "cannot remove allowed type `group#member` from relation `viewer` in \
                     definition `document`"
                        .to_owned(),
                    "{resource_type: document, relation: viewer, subject: group#member}".to_owned()
                ),
                (
                    "cannot delete relation `editor` in definition `document`".to_owned(),
                    "{resource_type: document, relation: editor}".to_owned()
                ),
            ]
        );
    }

    #[test]
    fn keeping_everything_needs_no_guard() {
        assert!(guarded(OLD, OLD).is_empty());
        assert!(guarded("", OLD).is_empty());
    }
}
