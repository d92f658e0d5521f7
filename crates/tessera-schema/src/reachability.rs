//! Derives [`Reachability`] from a compiled schema: who uses what, which relations admit
//! which subjects, and which subject kinds can end up in each relation or permission.

use std::collections::{BTreeSet, HashMap, VecDeque};

use crate::ir::{
    Admission, DefinitionId, Reachability, RelationBody, RelationId, RelationRef, Rewrite, Schema,
    SubjectTarget, Use, UseKind,
};

pub(crate) fn compute(schema: &Schema) -> Reachability {
    Reachability {
        uses: uses(schema),
        admissions: admissions(schema),
        reachable_subjects: reachable_subjects(schema),
    }
}

/// Every relation and permission of the schema with its reference, in declaration order.
fn relations(schema: &Schema) -> impl Iterator<Item = (RelationRef, &RelationBody)> {
    schema
        .definitions
        .iter()
        .enumerate()
        .flat_map(|(definition_index, definition)| {
            definition
                .relations
                .iter()
                .enumerate()
                .map(move |(relation_index, relation)| {
                    let reference = RelationRef {
                        definition: DefinitionId(id(definition_index)),
                        relation: RelationId(id(relation_index)),
                    };
                    (reference, &relation.body)
                })
        })
}

fn id(index: usize) -> u32 {
    u32::try_from(index).unwrap_or(u32::MAX)
}

/// The relations a leaf of `by`'s expression mentions, and how.
fn mentioned(by: RelationRef, leaf: &Rewrite) -> Vec<(RelationRef, UseKind)> {
    match leaf {
        Rewrite::Computed(relation) => vec![(
            RelationRef {
                definition: by.definition,
                relation: *relation,
            },
            UseKind::Computed,
        )],
        Rewrite::Arrow(arrow) => arrow
            .targets
            .iter()
            .filter_map(|(definition, relation)| {
                relation.map(|relation| {
                    (
                        RelationRef {
                            definition: *definition,
                            relation,
                        },
                        UseKind::Arrow {
                            tupleset: arrow.tupleset,
                            function: arrow.function,
                        },
                    )
                })
            })
            .collect(),
        _ => Vec::new(),
    }
}

fn uses(schema: &Schema) -> HashMap<RelationRef, Vec<Use>> {
    let mut uses: HashMap<RelationRef, Vec<Use>> = HashMap::new();
    for (by, body) in relations(schema) {
        let RelationBody::Permission { rewrite, .. } = body else {
            continue;
        };
        rewrite.visit_leaves(&mut |leaf, exclusions| {
            let positive = exclusions % 2 == 0;
            for (used, via) in mentioned(by, leaf) {
                let entries = uses.entry(used).or_default();
                match entries.iter_mut().find(|u| u.by == by && u.via == via) {
                    Some(existing) => existing.positive |= positive,
                    None => entries.push(Use { by, via, positive }),
                }
            }
        });
    }
    uses
}

fn admissions(schema: &Schema) -> HashMap<DefinitionId, Vec<Admission>> {
    let mut admissions: HashMap<DefinitionId, Vec<Admission>> = HashMap::new();
    for (relation, body) in relations(schema) {
        if let RelationBody::Relation(allowed) = body {
            for subject in allowed {
                admissions
                    .entry(subject.definition)
                    .or_default()
                    .push(Admission {
                        relation,
                        subject: *subject,
                    });
            }
        }
    }
    admissions
}

type SubjectKind = (DefinitionId, SubjectTarget);

/// A fixpoint over "the subjects of X are subjects of Y" edges, from the subjects each
/// relation admits directly (and `self`). Only leaves that can contribute members count: an
/// exclusion's subtracted side never adds subjects.
fn reachable_subjects(schema: &Schema) -> HashMap<RelationRef, Vec<SubjectKind>> {
    let mut found: HashMap<RelationRef, BTreeSet<SubjectKind>> = HashMap::new();
    let mut feeds: HashMap<RelationRef, Vec<RelationRef>> = HashMap::new();
    for (relation, body) in relations(schema) {
        let own = found.entry(relation).or_default();
        match body {
            RelationBody::Relation(allowed) => {
                for subject in allowed {
                    own.insert((subject.definition, subject.target));
                    if let SubjectTarget::Relation(included) = subject.target {
                        let source = RelationRef {
                            definition: subject.definition,
                            relation: included,
                        };
                        feeds.entry(source).or_default().push(relation);
                    }
                }
            }
            RelationBody::Permission { rewrite, .. } => {
                rewrite.visit_leaves(&mut |leaf, exclusions| {
                    if exclusions > 0 {
                        return;
                    }
                    if matches!(leaf, Rewrite::SelfSubject) {
                        own.insert((relation.definition, SubjectTarget::Terminal));
                    }
                    for (source, _) in mentioned(relation, leaf) {
                        feeds.entry(source).or_default().push(relation);
                    }
                });
            }
        }
    }
    let mut queue: VecDeque<RelationRef> = found.keys().copied().collect();
    while let Some(source) = queue.pop_front() {
        let Some(targets) = feeds.get(&source) else {
            continue;
        };
        let subjects = found.get(&source).cloned().unwrap_or_default();
        for target in targets {
            let entry = found.entry(*target).or_default();
            let before = entry.len();
            entry.extend(subjects.iter().copied());
            if entry.len() > before {
                queue.push_back(*target);
            }
        }
    }
    found
        .into_iter()
        .map(|(relation, subjects)| (relation, subjects.into_iter().collect()))
        .collect()
}
