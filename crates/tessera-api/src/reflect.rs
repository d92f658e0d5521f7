//! Schema reflection: ReflectSchema, ComputablePermissions, DependentRelations and
//! DiffSchema, all read from the compiled schema of a revision.

use std::collections::{BTreeSet, HashMap};

use tessera_proto::authzed::api::v1 as wire;
use tessera_schema::ir::{
    AllowedSubject, ArrowFunction, Caveat, Definition, DefinitionId, Relation, RelationBody,
    RelationRef, Rewrite, Schema, SubjectTarget,
};

use crate::consistency::Consistency;
use crate::convert::{Field, FromWire};
use crate::error::ApiError;
use crate::schema_service::schema_error;
use crate::service::Inner;

fn comment(comments: &[String]) -> String {
    comments.join("\n")
}

fn type_reference(schema: &Schema, allowed: &AllowedSubject) -> wire::ReflectionTypeReference {
    use wire::reflection_type_reference::Typeref;
    let definition = schema.definition(allowed.definition);
    wire::ReflectionTypeReference {
        subject_definition_name: definition.name.clone(),
        optional_caveat_name: allowed
            .caveat
            .map(|caveat| schema.caveat(caveat).name.clone())
            .unwrap_or_default(),
        typeref: Some(match allowed.target {
            SubjectTarget::Terminal => Typeref::IsTerminalSubject(true),
            SubjectTarget::Relation(relation) => {
                Typeref::OptionalRelationName(definition.relation(relation).name.clone())
            }
            SubjectTarget::Wildcard => Typeref::IsPublicWildcard(true),
        }),
    }
}

fn reflect_relation(
    schema: &Schema,
    definition: &Definition,
    relation: &Relation,
) -> wire::ReflectionRelation {
    wire::ReflectionRelation {
        name: relation.name.clone(),
        comment: comment(&relation.comments),
        parent_definition_name: definition.name.clone(),
        subject_types: relation
            .allowed_subjects()
            .iter()
            .map(|allowed| type_reference(schema, allowed))
            .collect(),
    }
}

fn reflect_permission(definition: &Definition, relation: &Relation) -> wire::ReflectionPermission {
    wire::ReflectionPermission {
        name: relation.name.clone(),
        comment: comment(&relation.comments),
        parent_definition_name: definition.name.clone(),
    }
}

fn reflect_parameter(caveat: &Caveat, index: usize) -> Option<wire::ReflectionCaveatParameter> {
    caveat
        .parameters
        .get(index)
        .map(|parameter| wire::ReflectionCaveatParameter {
            name: parameter.name.clone(),
            r#type: parameter.parameter_type.to_string(),
            parent_caveat_name: caveat.name.clone(),
        })
}

/// A definition with those of its relations and permissions that `include` accepts.
fn reflect_definition(
    schema: &Schema,
    definition: &Definition,
    include: impl Fn(&Relation) -> bool,
) -> wire::ReflectionDefinition {
    let (mut relations, mut permissions) = (Vec::new(), Vec::new());
    for relation in definition.relations.iter().filter(|r| include(r)) {
        if relation.is_permission() {
            permissions.push(reflect_permission(definition, relation));
        } else {
            relations.push(reflect_relation(schema, definition, relation));
        }
    }
    wire::ReflectionDefinition {
        name: definition.name.clone(),
        comment: comment(&definition.comments),
        relations,
        permissions,
    }
}

fn reflect_caveat(caveat: &Caveat) -> wire::ReflectionCaveat {
    wire::ReflectionCaveat {
        name: caveat.name.clone(),
        comment: comment(&caveat.comments),
        parameters: (0..caveat.parameters.len())
            .filter_map(|index| reflect_parameter(caveat, index))
            .collect(),
        expression: caveat.expression.clone(),
    }
}

/// Which parts of a schema ReflectSchema returns: filters are OR-ed, each a set of name
/// prefixes.
struct Selection(Vec<wire::ReflectionSchemaFilter>);

impl Selection {
    fn new(filters: Vec<wire::ReflectionSchemaFilter>) -> Result<Self, ApiError> {
        let field = Field::root("ReflectSchemaRequest");
        let filters_field = field.child("optional_filters");
        for (index, filter) in filters.iter().enumerate() {
            let wire::ReflectionSchemaFilter {
                optional_definition_name_filter: definition,
                optional_caveat_name_filter: caveat,
                optional_relation_name_filter: relation,
                optional_permission_name_filter: permission,
            } = filter;
            let item = filters_field.item(index);
            if definition.is_empty() && !(relation.is_empty() && permission.is_empty()) {
                return Err(
                    item.invalid("a relation or permission filter needs a definition filter")
                );
            }
            if !definition.is_empty() && !caveat.is_empty() {
                return Err(item.invalid("cannot filter by both definition and caveat name"));
            }
        }
        Ok(Self(filters))
    }

    /// The definition with the relations and permissions the filters select, if selected.
    fn definition(
        &self,
        schema: &Schema,
        definition: &Definition,
    ) -> Option<wire::ReflectionDefinition> {
        if self.0.is_empty() {
            return Some(reflect_definition(schema, definition, |_| true));
        }
        let matching: Vec<_> = self
            .0
            .iter()
            .filter(|f| {
                f.optional_caveat_name_filter.is_empty()
                    && definition
                        .name
                        .starts_with(f.optional_definition_name_filter.as_str())
            })
            .collect();
        if matching.is_empty() {
            return None;
        }
        Some(reflect_definition(schema, definition, |relation| {
            matching.iter().any(|f| {
                let prefix = if relation.is_permission() {
                    &f.optional_permission_name_filter
                } else {
                    &f.optional_relation_name_filter
                };
                let unfiltered = f.optional_relation_name_filter.is_empty()
                    && f.optional_permission_name_filter.is_empty();
                unfiltered || (!prefix.is_empty() && relation.name.starts_with(prefix.as_str()))
            })
        }))
    }

    fn caveat(&self, caveat: &Caveat) -> bool {
        self.0.is_empty()
            || self.0.iter().any(|f| {
                !f.optional_caveat_name_filter.is_empty()
                    && caveat
                        .name
                        .starts_with(f.optional_caveat_name_filter.as_str())
            })
    }
}

/// The relations and permissions a permission's expression reads directly.
fn direct_dependencies(definition: DefinitionId, rewrite: &Rewrite, into: &mut Vec<RelationRef>) {
    match rewrite {
        Rewrite::Union(children)
        | Rewrite::Intersection(children)
        | Rewrite::Exclusion(children) => {
            for child in children {
                direct_dependencies(definition, child, into);
            }
        }
        Rewrite::Computed(relation) => into.push(RelationRef {
            definition,
            relation: *relation,
        }),
        Rewrite::Arrow(arrow) => {
            into.push(RelationRef {
                definition,
                relation: arrow.tupleset,
            });
            into.extend(arrow.targets.iter().filter_map(|(target, relation)| {
                relation.map(|relation| RelationRef {
                    definition: *target,
                    relation,
                })
            }));
        }
        Rewrite::Nil | Rewrite::SelfSubject => {}
    }
}

/// What a relation or permission reads directly: a permission its expression's operands, a
/// relation the subject sets it admits.
fn reads(schema: &Schema, relation: RelationRef) -> Vec<RelationRef> {
    let mut found = Vec::new();
    match &schema.relation(relation).body {
        RelationBody::Permission { rewrite, .. } => {
            direct_dependencies(relation.definition, rewrite, &mut found);
        }
        RelationBody::Relation(allowed) => {
            found.extend(allowed.iter().filter_map(|allowed| match allowed.target {
                SubjectTarget::Relation(target) => Some(RelationRef {
                    definition: allowed.definition,
                    relation: target,
                }),
                SubjectTarget::Terminal | SubjectTarget::Wildcard => None,
            }));
        }
    }
    found
}

/// Every relation and permission of the schema.
fn all_relations(schema: &Schema) -> impl Iterator<Item = RelationRef> + '_ {
    schema
        .definitions
        .iter()
        .enumerate()
        .flat_map(|(definition, body)| {
            (0..body.relations.len()).map(move |relation| RelationRef {
                definition: DefinitionId(definition as u32),
                relation: tessera_schema::ir::RelationId(relation as u32),
            })
        })
}

/// Everything reachable from `start` along `next`, `start` excluded unless on a cycle.
fn closure(
    start: Vec<RelationRef>,
    next: impl Fn(RelationRef) -> Vec<RelationRef>,
) -> BTreeSet<RelationRef> {
    let mut seen = BTreeSet::new();
    let mut pending = start;
    while let Some(relation) = pending.pop() {
        for reached in next(relation) {
            if seen.insert(reached) {
                pending.push(reached);
            }
        }
    }
    seen
}

fn relation_reference(schema: &Schema, relation: RelationRef) -> wire::ReflectionRelationReference {
    let definition = schema.definition(relation.definition);
    let body = definition.relation(relation.relation);
    wire::ReflectionRelationReference {
        definition_name: definition.name.clone(),
        relation_name: body.name.clone(),
        is_permission: body.is_permission(),
    }
}

fn sorted_references(
    schema: &Schema,
    relations: impl IntoIterator<Item = RelationRef>,
) -> Vec<wire::ReflectionRelationReference> {
    let mut references: Vec<_> = relations
        .into_iter()
        .map(|relation| relation_reference(schema, relation))
        .collect();
    references.sort_by(|a, b| {
        (&a.definition_name, &a.relation_name).cmp(&(&b.definition_name, &b.relation_name))
    });
    references
}

/// A permission's expression as text, to tell whether it changed between two schemas.
fn expression(schema: &Schema, definition: DefinitionId, rewrite: &Rewrite) -> String {
    let name = |relation| {
        schema
            .definition(definition)
            .relation(relation)
            .name
            .clone()
    };
    let join = |children: &[Rewrite], operator: &str| {
        children
            .iter()
            .map(|child| match child {
                Rewrite::Union(_) | Rewrite::Intersection(_) | Rewrite::Exclusion(_) => {
                    format!("({})", expression(schema, definition, child))
                }
                _ => expression(schema, definition, child),
            })
            .collect::<Vec<_>>()
            .join(operator)
    };
    match rewrite {
        Rewrite::Union(children) => join(children, " + "),
        Rewrite::Intersection(children) => join(children, " & "),
        Rewrite::Exclusion(children) => join(children, " - "),
        Rewrite::Computed(relation) => name(*relation),
        Rewrite::Arrow(arrow) => match arrow.function {
            ArrowFunction::Any => format!("{}->{}", name(arrow.tupleset), arrow.computed),
            ArrowFunction::All => format!("{}.all({})", name(arrow.tupleset), arrow.computed),
        },
        Rewrite::Nil => "nil".to_owned(),
        Rewrite::SelfSubject => "self".to_owned(),
    }
}

/// The differences from `old` to `new`, as SpiceDB's DiffSchema lists them.
fn diff(old: &Schema, new: &Schema) -> Vec<wire::ReflectionSchemaDiff> {
    use wire::reflection_schema_diff::Diff;
    let mut diffs = Vec::new();
    let reflect_definition =
        |schema: &Schema, definition: &Definition| reflect_definition(schema, definition, |_| true);
    for (index, definition) in old.definitions.iter().enumerate() {
        let Some(new_id) = new.definition_id(&definition.name) else {
            diffs.push(Diff::DefinitionRemoved(reflect_definition(old, definition)));
            continue;
        };
        let new_definition = new.definition(new_id);
        if definition.comments != new_definition.comments {
            diffs.push(Diff::DefinitionDocCommentChanged(reflect_definition(
                new,
                new_definition,
            )));
        }
        diff_members((old, DefinitionId(index as u32)), (new, new_id), &mut diffs);
    }
    for definition in &new.definitions {
        if old.definition_id(&definition.name).is_none() {
            diffs.push(Diff::DefinitionAdded(reflect_definition(new, definition)));
        }
    }
    for caveat in &old.caveats {
        match new.caveat_id(&caveat.name).map(|id| new.caveat(id)) {
            None => diffs.push(Diff::CaveatRemoved(reflect_caveat(caveat))),
            Some(new_caveat) => diff_caveat(caveat, new_caveat, &mut diffs),
        }
    }
    for caveat in &new.caveats {
        if old.caveat_id(&caveat.name).is_none() {
            diffs.push(Diff::CaveatAdded(reflect_caveat(caveat)));
        }
    }
    diffs
        .into_iter()
        .map(|diff| wire::ReflectionSchemaDiff { diff: Some(diff) })
        .collect()
}

fn diff_members(
    (old, old_id): (&Schema, DefinitionId),
    (new, new_id): (&Schema, DefinitionId),
    diffs: &mut Vec<wire::reflection_schema_diff::Diff>,
) {
    use wire::reflection_schema_diff::Diff;
    let (definition, new_definition) = (old.definition(old_id), new.definition(new_id));
    let counterpart = |relation: &Relation| {
        new_definition
            .relation_id(&relation.name)
            .map(|id| new_definition.relation(id))
            .filter(|r| r.is_permission() == relation.is_permission())
    };
    for relation in &definition.relations {
        match (counterpart(relation), relation.is_permission()) {
            (None, true) => diffs.push(Diff::PermissionRemoved(reflect_permission(
                definition, relation,
            ))),
            (None, false) => diffs.push(Diff::RelationRemoved(reflect_relation(
                old, definition, relation,
            ))),
            (Some(kept), true) => {
                let reflected = reflect_permission(new_definition, kept);
                if relation.comments != kept.comments {
                    diffs.push(Diff::PermissionDocCommentChanged(reflected.clone()));
                }
                let text = |schema: &Schema, id: DefinitionId, r: &Relation| match &r.body {
                    RelationBody::Permission { rewrite, .. } => expression(schema, id, rewrite),
                    RelationBody::Relation(_) => String::new(),
                };
                if text(old, old_id, relation) != text(new, new_id, kept) {
                    diffs.push(Diff::PermissionExprChanged(reflected));
                }
            }
            (Some(kept), false) => {
                let reflected = reflect_relation(new, new_definition, kept);
                if relation.comments != kept.comments {
                    diffs.push(Diff::RelationDocCommentChanged(reflected.clone()));
                }
                let described = |schema: &Schema, r: &Relation| -> Vec<(String, AllowedSubject)> {
                    r.allowed_subjects()
                        .iter()
                        .map(|a| (schema.describe_subject(a), *a))
                        .collect()
                };
                let (before, after) = (described(old, relation), described(new, kept));
                let change = |schema: &Schema,
                              allowed: &AllowedSubject,
                              relation: &wire::ReflectionRelation| {
                    wire::ReflectionRelationSubjectTypeChange {
                        relation: Some(relation.clone()),
                        changed_subject_type: Some(type_reference(schema, allowed)),
                    }
                };
                for (text, allowed) in &before {
                    if !after.iter().any(|(t, _)| t == text) {
                        let relation = reflect_relation(old, definition, relation);
                        diffs.push(Diff::RelationSubjectTypeRemoved(change(
                            old, allowed, &relation,
                        )));
                    }
                }
                for (text, allowed) in &after {
                    if !before.iter().any(|(t, _)| t == text) {
                        diffs.push(Diff::RelationSubjectTypeAdded(change(
                            new, allowed, &reflected,
                        )));
                    }
                }
            }
        }
    }
    for relation in &new_definition.relations {
        let existed = definition
            .relation_id(&relation.name)
            .map(|id| definition.relation(id))
            .is_some_and(|r| r.is_permission() == relation.is_permission());
        if !existed {
            diffs.push(if relation.is_permission() {
                Diff::PermissionAdded(reflect_permission(new_definition, relation))
            } else {
                Diff::RelationAdded(reflect_relation(new, new_definition, relation))
            });
        }
    }
}

fn diff_caveat(
    caveat: &Caveat,
    new_caveat: &Caveat,
    diffs: &mut Vec<wire::reflection_schema_diff::Diff>,
) {
    use wire::reflection_schema_diff::Diff;
    if caveat.comments != new_caveat.comments {
        diffs.push(Diff::CaveatDocCommentChanged(reflect_caveat(new_caveat)));
    }
    if caveat.expression != new_caveat.expression {
        diffs.push(Diff::CaveatExprChanged(reflect_caveat(new_caveat)));
    }
    let position = |c: &Caveat, name: &str| c.parameters.iter().position(|p| p.name == name);
    for (index, parameter) in caveat.parameters.iter().enumerate() {
        match position(new_caveat, &parameter.name) {
            None => {
                diffs.extend(reflect_parameter(caveat, index).map(Diff::CaveatParameterRemoved))
            }
            Some(new_index) => {
                let changed = new_caveat
                    .parameters
                    .get(new_index)
                    .is_some_and(|p| p.parameter_type != parameter.parameter_type);
                if changed {
                    diffs.extend(reflect_parameter(new_caveat, new_index).map(|p| {
                        Diff::CaveatParameterTypeChanged(
                            wire::ReflectionCaveatParameterTypeChange {
                                parameter: Some(p),
                                previous_type: parameter.parameter_type.to_string(),
                            },
                        )
                    }));
                }
            }
        }
    }
    for (index, parameter) in new_caveat.parameters.iter().enumerate() {
        if position(caveat, &parameter.name).is_none() {
            diffs.extend(reflect_parameter(new_caveat, index).map(Diff::CaveatParameterAdded));
        }
    }
}

impl Inner {
    pub(crate) fn reflect_schema(
        &self,
        request: wire::ReflectSchemaRequest,
    ) -> Result<wire::ReflectSchemaResponse, ApiError> {
        let field = Field::root("ReflectSchemaRequest");
        let wire::ReflectSchemaRequest {
            consistency,
            optional_filters,
        } = request;
        let consistency = Consistency::from_wire(consistency, field.child("consistency"))?;
        let selection = Selection::new(optional_filters)?;
        let view = self.view(&consistency)?;
        let schema = view.schema.schema();
        let definitions = schema
            .definitions
            .iter()
            .filter_map(|definition| selection.definition(schema, definition))
            .collect();
        Ok(wire::ReflectSchemaResponse {
            definitions,
            caveats: schema
                .caveats
                .iter()
                .filter(|caveat| selection.caveat(caveat))
                .map(reflect_caveat)
                .collect(),
            read_at: Some(self.token(view.revision())),
        })
    }

    pub(crate) fn computable_permissions(
        &self,
        request: wire::ComputablePermissionsRequest,
    ) -> Result<wire::ComputablePermissionsResponse, ApiError> {
        let field = Field::root("ComputablePermissionsRequest");
        let wire::ComputablePermissionsRequest {
            consistency,
            definition_name,
            relation_name,
            optional_definition_name_filter,
        } = request;
        let consistency = Consistency::from_wire(consistency, field.child("consistency"))?;
        let view = self.view(&consistency)?;
        let schema = view.schema.schema();
        // What reads each relation: the reverse of `reads`.
        let mut read_by: HashMap<RelationRef, Vec<RelationRef>> = HashMap::new();
        for relation in all_relations(schema) {
            for read in reads(schema, relation) {
                read_by.entry(read).or_default().push(relation);
            }
        }
        // Without a relation, the objects themselves change: every relation that admits them
        // directly is affected, and so is everything that reads those.
        let (start, start_is_affected) = if relation_name.is_empty() {
            let definition = schema
                .definition_id(&definition_name)
                .ok_or_else(|| ApiError::UnknownDefinition(definition_name.clone()))?;
            let admitting = all_relations(schema)
                .filter(|relation| {
                    schema
                        .relation(*relation)
                        .allowed_subjects()
                        .iter()
                        .any(|allowed| {
                            allowed.definition == definition
                                && allowed.target == SubjectTarget::Terminal
                        })
                })
                .collect::<Vec<_>>();
            (admitting, true)
        } else {
            (
                vec![
                    view.schema
                        .evaluator
                        .resolve_relation(&definition_name, &relation_name)?,
                ],
                false,
            )
        };
        let mut found = closure(start.clone(), |relation| {
            read_by.get(&relation).cloned().unwrap_or_default()
        });
        if start_is_affected {
            found.extend(start);
        }
        let found = found.into_iter().filter(|relation| {
            schema
                .definition(relation.definition)
                .name
                .starts_with(optional_definition_name_filter.as_str())
        });
        Ok(wire::ComputablePermissionsResponse {
            permissions: sorted_references(schema, found),
            read_at: Some(self.token(view.revision())),
        })
    }

    pub(crate) fn dependent_relations(
        &self,
        request: wire::DependentRelationsRequest,
    ) -> Result<wire::DependentRelationsResponse, ApiError> {
        let field = Field::root("DependentRelationsRequest");
        let wire::DependentRelationsRequest {
            consistency,
            definition_name,
            permission_name,
        } = request;
        let consistency = Consistency::from_wire(consistency, field.child("consistency"))?;
        let view = self.view(&consistency)?;
        let schema = view.schema.schema();
        let permission = view
            .schema
            .evaluator
            .resolve_relation(&definition_name, &permission_name)?;
        if !schema.relation(permission).is_permission() {
            return Err(ApiError::NotAPermission {
                definition: definition_name,
                relation: permission_name,
            });
        }
        let found = closure(vec![permission], |relation| reads(schema, relation));
        Ok(wire::DependentRelationsResponse {
            relations: sorted_references(schema, found),
            read_at: Some(self.token(view.revision())),
        })
    }

    pub(crate) fn diff_schema(
        &self,
        request: wire::DiffSchemaRequest,
    ) -> Result<wire::DiffSchemaResponse, ApiError> {
        let field = Field::root("DiffSchemaRequest");
        let wire::DiffSchemaRequest {
            consistency,
            comparison_schema,
        } = request;
        let consistency = Consistency::from_wire(consistency, field.child("consistency"))?;
        let comparison =
            tessera_schema::compile(&comparison_schema).map_err(|d| schema_error(&d))?;
        let view = self.view(&consistency)?;
        Ok(wire::DiffSchemaResponse {
            diffs: diff(view.schema.schema(), &comparison),
            read_at: Some(self.token(view.revision())),
        })
    }
}
