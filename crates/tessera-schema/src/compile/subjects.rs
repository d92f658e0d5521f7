//! Relations' allowed subject types: resolution, duplicates, and wildcards reachable through
//! subject sets.

use std::collections::{HashMap, HashSet, VecDeque};

use tessera_types::NameKind;

use crate::ast::{self, TypeTarget};
use crate::diagnostic::{Diagnostic, Span};
use crate::ir::{
    AllowedSubject, DefinitionId, RelationBody, RelationId, RelationRef, SubjectTarget,
};

use super::{Compiler, Declaration};

/// A relation whose subjects can include a wildcard: the wildcard's type and the relation
/// that allows it directly.
#[derive(Clone, Copy, Debug)]
pub(super) struct WildcardWitness {
    pub(super) wildcard_type: DefinitionId,
    pub(super) via: RelationRef,
}

impl Compiler<'_> {
    /// Fills in the allowed subjects of every relation.
    pub(super) fn resolve_relations(&mut self) {
        for definition_index in 0..self.declarations.len() {
            for relation_index in 0..self.declarations[definition_index].len() {
                let Declaration::Relation(declaration) =
                    self.declarations[definition_index][relation_index]
                else {
                    continue;
                };
                let definition = DefinitionId(super::index_u32(definition_index));
                let (allowed, spans) = self
                    .allowed_subjects(definition, declaration)
                    .into_iter()
                    .unzip();
                self.schema.definitions[definition_index].relations[relation_index].body =
                    RelationBody::Relation(allowed);
                let relation = RelationRef {
                    definition,
                    relation: RelationId(super::index_u32(relation_index)),
                };
                self.subject_spans.insert(relation, spans);
            }
        }
    }

    fn allowed_subjects(
        &mut self,
        definition: DefinitionId,
        declaration: &ast::RelationDecl,
    ) -> Vec<(AllowedSubject, Span)> {
        let mut allowed: Vec<(AllowedSubject, Span)> = Vec::new();
        for reference in &declaration.types {
            let Some(subject) = self.allowed_subject(reference) else {
                continue;
            };
            if allowed.iter().any(|(earlier, _)| *earlier == subject) {
                let described = self.schema.describe_subject(&subject);
                let relation = &declaration.name.text;
                let definition_name = &self.schema.definition(definition).name;
                self.errors.push(Diagnostic::semantic(
                    reference.span,
                    format!(
                        "duplicate subject type `{described}` in relation `{relation}` of \
                         `{definition_name}`"
                    ),
                    "remove one of them",
                ));
                continue;
            }
            allowed.push((subject, reference.span));
        }
        allowed
    }

    fn allowed_subject(&mut self, reference: &ast::TypeRef) -> Option<AllowedSubject> {
        let type_name = &reference.type_name;
        // Names breaking their rule were reported by `check_names`; nothing to resolve.
        let relation_name_valid = match &reference.target {
            TypeTarget::Relation(relation) => NameKind::Relation.matches(&relation.text),
            TypeTarget::Terminal | TypeTarget::Ellipsis | TypeTarget::Wildcard => true,
        };
        let type_valid = NameKind::ObjectType.matches(&type_name.text);
        let caveat = reference.caveat.as_ref().map(|name| self.find_caveat(name));
        if !(type_valid && relation_name_valid) {
            return None;
        }
        let definition = self.find_definition(type_name)?;
        let target = match &reference.target {
            TypeTarget::Terminal | TypeTarget::Ellipsis => SubjectTarget::Terminal,
            TypeTarget::Wildcard => SubjectTarget::Wildcard,
            TypeTarget::Relation(relation) => {
                SubjectTarget::Relation(self.find_relation(definition, relation)?)
            }
        };
        // A caveat that does not resolve was reported; the subject type is dropped with it.
        let caveat = match caveat {
            Some(found) => Some(found?),
            None => None,
        };
        Some(AllowedSubject {
            definition,
            target,
            caveat,
            expiration: reference.expiration,
        })
    }

    /// For every relation whose subjects can include a wildcard, one witness. A relation
    /// reaches a wildcard if it allows one directly or through a subject set of a relation
    /// that does; computed backwards from the wildcards, so each relation is visited once.
    pub(super) fn wildcard_witnesses(&self) -> HashMap<RelationRef, WildcardWitness> {
        let mut included_by: HashMap<RelationRef, Vec<RelationRef>> = HashMap::new();
        let mut witnesses = HashMap::new();
        let mut queue = VecDeque::new();
        for (holder, subjects) in self.relations_with_subjects() {
            for subject in subjects {
                match subject.target {
                    SubjectTarget::Wildcard => {
                        witnesses.entry(holder).or_insert_with(|| {
                            queue.push_back(holder);
                            WildcardWitness {
                                wildcard_type: subject.definition,
                                via: holder,
                            }
                        });
                    }
                    SubjectTarget::Relation(relation) => {
                        let included = RelationRef {
                            definition: subject.definition,
                            relation,
                        };
                        included_by.entry(included).or_default().push(holder);
                    }
                    SubjectTarget::Terminal => {}
                }
            }
        }
        while let Some(relation) = queue.pop_front() {
            let witness = witnesses[&relation];
            for &holder in included_by.get(&relation).into_iter().flatten() {
                witnesses.entry(holder).or_insert_with(|| {
                    queue.push_back(holder);
                    witness
                });
            }
        }
        witnesses
    }

    fn relations_with_subjects(&self) -> impl Iterator<Item = (RelationRef, &[AllowedSubject])> {
        self.schema
            .definitions
            .iter()
            .enumerate()
            .flat_map(|(definition_index, definition)| {
                definition
                    .relations
                    .iter()
                    .enumerate()
                    .map(move |(relation_index, relation)| {
                        (
                            RelationRef {
                                definition: DefinitionId(super::index_u32(definition_index)),
                                relation: RelationId(super::index_u32(relation_index)),
                            },
                            relation.allowed_subjects(),
                        )
                    })
            })
    }

    /// SpiceDB forbids a subject set of *another* definition that can hold a wildcard: the
    /// wildcard would leak into this relation. (Subject sets of the same definition are not
    /// checked, as in SpiceDB.)
    pub(super) fn check_transitive_wildcards(&mut self) {
        let witnesses = self.wildcard_witnesses();
        let mut reported = HashSet::new();
        for definition_index in 0..self.declarations.len() {
            let definition = DefinitionId(super::index_u32(definition_index));
            for (relation_index, relation) in self.schema.definitions[definition_index]
                .relations
                .iter()
                .enumerate()
            {
                let Some(spans) = self.subject_spans.get(&RelationRef {
                    definition,
                    relation: RelationId(super::index_u32(relation_index)),
                }) else {
                    continue;
                };
                for (subject, span) in relation.allowed_subjects().iter().zip(spans) {
                    let SubjectTarget::Relation(subject_relation) = subject.target else {
                        continue;
                    };
                    if subject.definition == definition {
                        continue;
                    }
                    let included = RelationRef {
                        definition: subject.definition,
                        relation: subject_relation,
                    };
                    let Some(witness) = witnesses.get(&included) else {
                        continue;
                    };
                    if !reported.insert(*span) {
                        continue;
                    }
                    let message = format!(
                        "subject set `{}` can hold the wildcard `{}:*` (through `{}`)",
                        self.schema.relation_path(included),
                        self.schema.definition(witness.wildcard_type).name,
                        self.schema.relation_path(witness.via),
                    );
                    self.errors.push(Diagnostic::semantic(
                        *span,
                        message,
                        format!(
                            "wildcards cannot be included through subject sets; allow `{}:*` \
                             on `{}` directly if that is intended",
                            self.schema.definition(witness.wildcard_type).name,
                            relation.name
                        ),
                    ));
                }
            }
        }
    }
}
