//! Lookup subjects: every subject of a type with a permission on one object, wildcards with
//! the subjects they exclude.

use std::collections::{HashMap, HashSet};
use std::ops::ControlFlow;
use std::rc::Rc;

use tessera_schema::ir::{
    Arrow, ArrowFunction, DefinitionId, RelationBody, RelationId, RelationRef, Rewrite,
};
use tessera_store::ResourceQuery;
use tessera_types::{CaveatContext, ObjectRef, Relationship};

use crate::check::Permissionship;
use crate::error::EvalError;
use crate::evaluator::Evaluator;
use crate::outcome::Outcome;
use crate::subject_set::{SubjectSet, Wildcard};
use crate::walker::{WalkEnv, caveat_outcome};

/// Which subjects of a type have `permission` on `resource`?
#[derive(Clone, Debug, PartialEq)]
pub struct LookupSubjectsRequest {
    /// The object asked about.
    pub resource: ObjectRef,
    /// The permission or relation.
    pub permission: String,
    /// The type of the subjects looked for.
    pub subject_type: String,
    /// Look for subject sets `type:id#relation` instead of objects.
    pub subject_relation: Option<String>,
    /// Caveat context supplied with the request.
    pub context: CaveatContext,
    /// Whether to report the wildcard `type:*` when it applies.
    pub include_wildcards: bool,
    /// Return at most this many concrete subjects.
    pub limit: Option<usize>,
    /// Resume after this subject id (the last concrete one of the previous page).
    pub after: Option<String>,
}

/// One subject found by a lookup.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FoundSubject {
    /// Its id, `*` for the wildcard.
    pub subject_id: String,
    /// `Has`, or `Conditional` with the context still missing.
    pub permissionship: Permissionship,
    /// For the wildcard: the subjects it does not include, each with whether that exclusion
    /// is certain or conditional.
    pub excluded: Vec<FoundSubject>,
}

impl Evaluator {
    /// Finds the subjects with a permission on an object: the wildcard first (if any and
    /// asked for), then concrete subjects in id order.
    ///
    /// # Errors
    /// Unknown types or relations, exceeding the depth limit, caveat and store failures.
    pub fn lookup_subjects(
        &self,
        snapshot: &dyn tessera_store::Snapshot,
        request: &LookupSubjectsRequest,
    ) -> Result<Vec<FoundSubject>, EvalError> {
        let target = self.resolve_relation(request.resource.object_type(), &request.permission)?;
        let subject_definition = self
            .schema()
            .definition_id(&request.subject_type)
            .ok_or_else(|| EvalError::UnknownDefinition(request.subject_type.clone()))?;
        let subject_relation = match &request.subject_relation {
            None => None,
            Some(name) => Some(self.resolve_relation(&request.subject_type, name)?.relation),
        };
        let mut walker = SubjectWalker {
            env: self.walk_env(snapshot, &request.context),
            subject_definition,
            subject_relation,
            memo: HashMap::new(),
            on_path: HashSet::new(),
            cut_cycle: false,
        };
        let set = walker.subjects(target, request.resource.object_id(), 0)?;
        Ok(page(&set, request))
    }
}

fn found(id: &str, outcome: &Outcome) -> FoundSubject {
    FoundSubject {
        subject_id: id.to_owned(),
        permissionship: outcome.into(),
        excluded: Vec::new(),
    }
}

fn page(set: &SubjectSet, request: &LookupSubjectsRequest) -> Vec<FoundSubject> {
    let mut results = Vec::new();
    if let Some(wildcard) = set
        .wildcard
        .as_ref()
        .filter(|_| request.include_wildcards && request.after.is_none())
    {
        let mut subject = found(tessera_types::WILDCARD_ID, &wildcard.outcome);
        subject.excluded = wildcard
            .exclusions
            .iter()
            .map(|(id, o)| found(id, o))
            .collect();
        results.push(subject);
    }
    let after = request.after.as_deref();
    let concrete = set
        .concrete
        .iter()
        .filter(|(id, _)| after.is_none_or(|after| id.as_str() > after))
        .take(request.limit.unwrap_or(usize::MAX))
        .map(|(id, outcome)| found(id, outcome));
    results.extend(concrete);
    results
}

/// Collects the subjects of one type (and relation) in relations and permissions,
/// remembering sets it has computed.
struct SubjectWalker<'e> {
    env: WalkEnv<'e>,
    subject_definition: DefinitionId,
    subject_relation: Option<RelationId>,
    memo: HashMap<(RelationRef, String), Rc<SubjectSet>>,
    on_path: HashSet<(RelationRef, String)>,
    cut_cycle: bool,
}

impl SubjectWalker<'_> {
    fn subjects(
        &mut self,
        relation: RelationRef,
        id: &str,
        depth: u32,
    ) -> Result<Rc<SubjectSet>, EvalError> {
        if depth >= self.env.max_depth {
            return Err(EvalError::DepthExceeded {
                limit: self.env.max_depth,
            });
        }
        let key = (relation, id.to_owned());
        if let Some(known) = self.memo.get(&key) {
            return Ok(known.clone());
        }
        if !self.on_path.insert(key.clone()) {
            self.cut_cycle = true;
            return Ok(Rc::default());
        }
        let cut_above = std::mem::replace(&mut self.cut_cycle, false);
        let result = stacker::maybe_grow(128 * 1024, 2 * 1024 * 1024, || {
            self.subjects_uncached(relation, id, depth)
        });
        self.on_path.remove(&key);
        let mut set = result?;
        // A subject set holds itself: `group:eng#member` is a subject of `group:eng#member`.
        if relation.definition == self.subject_definition
            && self.subject_relation == Some(relation.relation)
        {
            Rc::make_mut(&mut set).add_concrete(id, Outcome::Has);
        }
        if !self.cut_cycle {
            self.memo.insert(key, set.clone());
        }
        self.cut_cycle |= cut_above;
        Ok(set)
    }

    fn subjects_uncached(
        &mut self,
        relation: RelationRef,
        id: &str,
        depth: u32,
    ) -> Result<Rc<SubjectSet>, EvalError> {
        match &self.env.schema.relation(relation).body {
            RelationBody::Relation(_) => self.stored(relation, id, depth),
            RelationBody::Permission { rewrite, .. } => {
                self.rewrite(relation.definition, rewrite, id, depth)
            }
        }
    }

    fn stored(
        &mut self,
        relation: RelationRef,
        id: &str,
        depth: u32,
    ) -> Result<Rc<SubjectSet>, EvalError> {
        let schema = self.env.schema;
        let mut set = SubjectSet::default();
        for relationship in self.read(relation, id)? {
            let via = self.relationship_outcome(&relationship)?;
            if via.is_no() {
                continue;
            }
            let subject = relationship.subject();
            let Some(subject_definition) = schema.definition_id(subject.object_type()) else {
                continue;
            };
            match subject.relation() {
                None => {
                    if subject_definition != self.subject_definition
                        || self.subject_relation.is_some()
                    {
                        continue;
                    }
                    if subject.is_wildcard() {
                        set.add_wildcard(Wildcard {
                            outcome: via,
                            exclusions: Default::default(),
                        });
                    } else {
                        set.add_concrete(subject.object_id(), via);
                    }
                }
                Some(name) => {
                    let Some(set_relation) =
                        schema.definition(subject_definition).relation_id(name)
                    else {
                        continue;
                    };
                    let nested = RelationRef {
                        definition: subject_definition,
                        relation: set_relation,
                    };
                    let nested = self.subjects(nested, subject.object_id(), depth + 1)?;
                    set.union_under(&nested, &via);
                }
            }
        }
        Ok(Rc::new(set))
    }

    fn rewrite(
        &mut self,
        definition: DefinitionId,
        rewrite: &Rewrite,
        id: &str,
        depth: u32,
    ) -> Result<Rc<SubjectSet>, EvalError> {
        match rewrite {
            Rewrite::Union(children) => {
                let mut set = SubjectSet::default();
                for child in children {
                    let child = self.rewrite(definition, child, id, depth)?;
                    set.union_under(&child, &Outcome::Has);
                }
                Ok(Rc::new(set))
            }
            Rewrite::Intersection(children) | Rewrite::Exclusion(children) => {
                let Some((first, rest)) = children.split_first() else {
                    return Ok(Rc::default());
                };
                let mut set = Rc::unwrap_or_clone(self.rewrite(definition, first, id, depth)?);
                for child in rest {
                    if set.concrete.is_empty() && set.wildcard.is_none() {
                        break;
                    }
                    let other = self.rewrite(definition, child, id, depth)?;
                    match rewrite {
                        Rewrite::Intersection(_) => set.intersect(&other),
                        _ => set.subtract(&other),
                    }
                }
                Ok(Rc::new(set))
            }
            Rewrite::Computed(relation) => self.subjects(
                RelationRef {
                    definition,
                    relation: *relation,
                },
                id,
                depth + 1,
            ),
            Rewrite::Arrow(arrow) => self.arrow(definition, arrow, id, depth),
            Rewrite::Nil => Ok(Rc::default()),
            Rewrite::SelfSubject => {
                let mut set = SubjectSet::default();
                if definition == self.subject_definition && self.subject_relation.is_none() {
                    set.add_concrete(id, Outcome::Has);
                }
                Ok(Rc::new(set))
            }
        }
    }

    fn arrow(
        &mut self,
        definition: DefinitionId,
        arrow: &Arrow,
        id: &str,
        depth: u32,
    ) -> Result<Rc<SubjectSet>, EvalError> {
        let schema = self.env.schema;
        let tupleset = RelationRef {
            definition,
            relation: arrow.tupleset,
        };
        let mut combined: Option<SubjectSet> = None;
        for relationship in self.read(tupleset, id)? {
            let subject = relationship.subject();
            let target = schema
                .definition_id(subject.object_type())
                .and_then(|subject_type| {
                    let (_, relation) = arrow.targets.iter().find(|(d, _)| *d == subject_type)?;
                    relation.map(|relation| RelationRef {
                        definition: subject_type,
                        relation,
                    })
                });
            let via = self.relationship_outcome(&relationship)?;
            let mut reached = SubjectSet::default();
            if let Some(target) = target {
                let nested = self.subjects(target, subject.object_id(), depth + 1)?;
                reached.union_under(&nested, &via);
            }
            match (&mut combined, arrow.function) {
                (None, _) => combined = Some(reached),
                (Some(set), ArrowFunction::Any) => set.union_under(&reached, &Outcome::Has),
                (Some(set), ArrowFunction::All) => set.intersect(&reached),
            }
        }
        Ok(Rc::new(combined.unwrap_or_default()))
    }

    fn read(&self, relation: RelationRef, id: &str) -> Result<Vec<Relationship>, EvalError> {
        let definition = self.env.schema.definition(relation.definition);
        let ids = [id];
        let query = ResourceQuery {
            resource_type: &definition.name,
            resource_ids: &ids,
            relation: &definition.relation(relation.relation).name,
            subject: None,
        };
        let mut found = Vec::new();
        self.env
            .snapshot
            .read_resources(&query, &mut |relationship| {
                found.push(relationship);
                ControlFlow::Continue(())
            })?;
        Ok(found)
    }

    fn relationship_outcome(&self, relationship: &Relationship) -> Result<Outcome, EvalError> {
        match relationship.caveat() {
            None => Ok(Outcome::Has),
            Some(caveat) => caveat_outcome(self.env, caveat.name(), caveat.context()),
        }
    }
}
