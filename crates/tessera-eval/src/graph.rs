//! The schema read backwards, for lookups: from a relation an object holds, which relations
//! and permissions can that make it (or related objects) hold?

use std::collections::HashMap;

use tessera_schema::ir::{
    ArrowFunction, DefinitionId, RelationBody, RelationId, RelationRef, Rewrite, Schema,
    SubjectTarget,
};

/// Where a walk backwards starts or continues: holders of a relation, or the objects of a
/// type themselves (and their wildcard).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) enum Holder {
    /// Objects of the type as plain subjects.
    Object(DefinitionId),
    /// Objects holding the relation or permission.
    Relation(RelationRef),
}

/// How holders of one node come to hold another.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Step {
    /// Relationships `to:?#to.relation@holder#subject_relation` (or `@type:*` when
    /// `wildcard`) make their resources hold `to`.
    Stored {
        /// The relation storing such relationships.
        to: RelationRef,
        /// The subject relation the relationships carry; `None` is the ellipsis.
        subject_relation: Option<RelationId>,
        /// Whether the relationships have the wildcard as subject.
        wildcard: bool,
    },
    /// The same object may hold `to`, a permission mentioning the holder's relation.
    Computed {
        /// The permission.
        to: RelationRef,
        /// Whether holding the relation is enough to hold the permission (only unions lie
        /// between them); otherwise candidates must be checked.
        sufficient: bool,
    },
    /// Resources pointing at the holder through `tupleset` may hold `to`.
    Arrow {
        /// The permission with the arrow.
        to: RelationRef,
        /// The arrow's left side, on `to`'s definition.
        tupleset: RelationId,
        /// The subject relations the tupleset stores for the holder's type; `None` is the
        /// ellipsis.
        subject_relations: Vec<Option<RelationId>>,
        /// Whether reaching one pointed-at holder is enough.
        sufficient: bool,
    },
}

/// Every backward step of a schema, by the node it leaves from.
#[derive(Debug, Default)]
pub(crate) struct LookupGraph {
    steps: HashMap<Holder, Vec<Step>>,
    /// Permissions that hold for the object itself through `self`, by definition.
    self_permissions: HashMap<DefinitionId, Vec<RelationRef>>,
}

impl LookupGraph {
    pub(crate) fn build(schema: &Schema) -> Self {
        let mut graph = LookupGraph::default();
        for (index, definition) in schema.definitions.iter().enumerate() {
            let definition_id = DefinitionId(index as u32);
            for (relation_index, relation) in definition.relations.iter().enumerate() {
                let to = RelationRef {
                    definition: definition_id,
                    relation: RelationId(relation_index as u32),
                };
                match &relation.body {
                    RelationBody::Relation(allowed) => {
                        for subject in allowed {
                            let (holder, subject_relation, wildcard) = match subject.target {
                                SubjectTarget::Terminal => {
                                    (Holder::Object(subject.definition), None, false)
                                }
                                SubjectTarget::Wildcard => {
                                    (Holder::Object(subject.definition), None, true)
                                }
                                SubjectTarget::Relation(r) => (
                                    Holder::Relation(RelationRef {
                                        definition: subject.definition,
                                        relation: r,
                                    }),
                                    Some(r),
                                    false,
                                ),
                            };
                            graph.add(
                                holder,
                                Step::Stored {
                                    to,
                                    subject_relation,
                                    wildcard,
                                },
                            );
                        }
                    }
                    RelationBody::Permission { rewrite, .. } => {
                        graph.add_rewrite(schema, to, rewrite, true);
                    }
                }
            }
        }
        for steps in graph.steps.values_mut() {
            steps.dedup();
        }
        graph
    }

    /// Records the steps into permission `to` from the parts of `rewrite` that can grant it.
    /// `sufficient` stays true only while every operator above is a union. Only the first
    /// operand of an intersection or exclusion is followed: every member of the whole is a
    /// member of it, so candidates stay complete.
    fn add_rewrite(
        &mut self,
        schema: &Schema,
        to: RelationRef,
        rewrite: &Rewrite,
        sufficient: bool,
    ) {
        match rewrite {
            Rewrite::Union(children) => {
                for child in children {
                    self.add_rewrite(schema, to, child, sufficient);
                }
            }
            Rewrite::Intersection(children) | Rewrite::Exclusion(children) => {
                if let Some(first) = children.first() {
                    self.add_rewrite(schema, to, first, false);
                }
            }
            Rewrite::Computed(relation) => {
                let holder = Holder::Relation(RelationRef {
                    definition: to.definition,
                    relation: *relation,
                });
                self.add(holder, Step::Computed { to, sufficient });
            }
            Rewrite::Arrow(arrow) => {
                let tupleset = schema.definition(to.definition).relation(arrow.tupleset);
                for (target_definition, target_relation) in &arrow.targets {
                    let Some(target_relation) = target_relation else {
                        continue;
                    };
                    let subject_relations = tupleset
                        .allowed_subjects()
                        .iter()
                        .filter(|allowed| allowed.definition == *target_definition)
                        .filter_map(|allowed| match allowed.target {
                            SubjectTarget::Terminal => Some(None),
                            SubjectTarget::Relation(r) => Some(Some(r)),
                            SubjectTarget::Wildcard => None,
                        })
                        .collect();
                    let holder = Holder::Relation(RelationRef {
                        definition: *target_definition,
                        relation: *target_relation,
                    });
                    self.add(
                        holder,
                        Step::Arrow {
                            to,
                            tupleset: arrow.tupleset,
                            subject_relations,
                            sufficient: sufficient && arrow.function == ArrowFunction::Any,
                        },
                    );
                }
            }
            Rewrite::SelfSubject => {
                self.self_permissions
                    .entry(to.definition)
                    .or_default()
                    .push(to);
            }
            Rewrite::Nil => {}
        }
    }

    fn add(&mut self, from: Holder, step: Step) {
        self.steps.entry(from).or_default().push(step);
    }

    /// The steps leaving `from`.
    pub(crate) fn steps(&self, from: Holder) -> &[Step] {
        self.steps.get(&from).map_or(&[], Vec::as_slice)
    }

    /// Permissions of `definition` that its objects hold for themselves through `self`.
    pub(crate) fn self_permissions(&self, definition: DefinitionId) -> &[RelationRef] {
        self.self_permissions
            .get(&definition)
            .map_or(&[], Vec::as_slice)
    }
}
