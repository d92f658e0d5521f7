//! The check engine: decides whether one subject is in `resource#relation`, walking the
//! schema's rewrites and the snapshot's relationships.
//!
//! A walker serves one subject and one request context; it remembers every sub-answer it
//! computes, so the items of a bulk check that share a subject share their work.

use std::collections::{HashMap, HashSet};
use std::ops::ControlFlow;
use std::sync::Arc;

use tessera_schema::ir::{
    AllowedSubject, Arrow, ArrowFunction, DefinitionId, RelationBody, RelationId, RelationRef,
    Rewrite, Schema, SubjectTarget,
};
use tessera_store::{ResourceQuery, Snapshot, SubjectSelector};
use tessera_types::{CaveatContext, ObjectRef, Relationship, SubjectRef, WILDCARD_ID};

use crate::cache::{CacheKey, CheckCache};
use crate::caveat::{CaveatEvaluator, CaveatVerdict, merge_context};
use crate::error::EvalError;
use crate::outcome::{CaveatExpr, Outcome, PendingCaveat};
use crate::trace::{TraceBuilder, TraceStep};

/// Below this much free stack a recursive step moves to a fresh segment, so deep data never
/// overflows the thread's stack; the depth limit bounds the total.
const STACK_RED_ZONE: usize = 128 * 1024;
const STACK_SEGMENT: usize = 2 * 1024 * 1024;

/// Relations with at most this many relationships on an object are read whole (see
/// [`Walker::check_stored`]); past it, reading on costs more than the lookups it saves.
const SMALL_RELATION: usize = 16;

/// The subject of a walk, resolved against the schema.
#[derive(Debug)]
pub(crate) struct ResolvedSubject {
    pub(crate) definition: DefinitionId,
    pub(crate) relation: Option<RelationId>,
    pub(crate) subject: SubjectRef,
}

impl ResolvedSubject {
    /// Resolves `subject`'s type and relation by name.
    pub(crate) fn resolve(schema: &Schema, subject: &SubjectRef) -> Result<Self, EvalError> {
        let definition = schema
            .definition_id(subject.object_type())
            .ok_or_else(|| EvalError::UnknownDefinition(subject.object_type().to_owned()))?;
        let relation = match subject.relation() {
            None => None,
            Some(name) => Some(schema.definition(definition).relation_id(name).ok_or_else(
                || EvalError::UnknownRelation {
                    definition: subject.object_type().to_owned(),
                    relation: name.to_owned(),
                },
            )?),
        };
        Ok(Self {
            definition,
            relation,
            subject: subject.clone(),
        })
    }

    fn id(&self) -> &str {
        self.subject.object_id()
    }

    /// Whether `allowed` admits this very subject (not through a wildcard).
    fn admitted_by(&self, allowed: &AllowedSubject) -> bool {
        allowed.definition == self.definition
            && match (allowed.target, self.relation) {
                (SubjectTarget::Terminal, None) => true,
                (SubjectTarget::Relation(r), Some(own)) => r == own,
                _ => false,
            }
    }

    /// Whether this subject is `definition:id#relation` itself.
    fn is(&self, relation: RelationRef, id: &str) -> bool {
        self.definition == relation.definition
            && self.relation == Some(relation.relation)
            && self.id() == id
    }
}

/// Everything a walk reads from.
#[derive(Clone, Copy, Debug)]
pub(crate) struct WalkEnv<'e> {
    pub(crate) schema: &'e Schema,
    pub(crate) snapshot: &'e dyn Snapshot,
    pub(crate) caveats: &'e dyn CaveatEvaluator,
    pub(crate) context: &'e CaveatContext,
    pub(crate) max_depth: u32,
    /// The cross-request cache, when usable at this snapshot and context.
    pub(crate) cache: Option<&'e CheckCache>,
}

/// Decides membership of one subject, remembering sub-answers.
#[derive(Debug)]
pub(crate) struct Walker<'e> {
    env: WalkEnv<'e>,
    subject: ResolvedSubject,
    /// Answers that do not depend on where the walk came from.
    memo: HashMap<(RelationRef, String), Outcome>,
    /// The `(relation, object)` pairs on the current path, to cut cycles in the data.
    on_path: HashSet<(RelationRef, String)>,
    /// Set when a cycle was cut below the current step: its answer then depends on the path
    /// and must not be remembered.
    cut_cycle: bool,
    trace: Option<TraceBuilder>,
}

impl<'e> Walker<'e> {
    pub(crate) fn new(env: WalkEnv<'e>, subject: ResolvedSubject, explain: bool) -> Self {
        Self {
            env,
            subject,
            memo: HashMap::new(),
            on_path: HashSet::new(),
            cut_cycle: false,
            trace: explain.then(TraceBuilder::default),
        }
    }

    /// The explanation of the walks so far, if asked for.
    pub(crate) fn take_trace(&mut self) -> Option<TraceStep> {
        self.trace.as_mut().and_then(TraceBuilder::take_root)
    }

    /// Whether the subject is in `relation` of the object with id `id`.
    pub(crate) fn check(
        &mut self,
        relation: RelationRef,
        id: &str,
        depth: u32,
    ) -> Result<Outcome, EvalError> {
        if depth >= self.env.max_depth {
            return Err(EvalError::DepthExceeded {
                limit: self.env.max_depth,
            });
        }
        // A subject set is a member of itself: `group:eng#member` is in `group:eng#member`.
        if self.subject.is(relation, id) {
            return Ok(Outcome::Has);
        }
        let key = (relation, id.to_owned());
        if let Some(known) = self.memo.get(&key) {
            let known = known.clone();
            if let Some(trace) = &mut self.trace {
                trace.leaf(
                    self.env.schema,
                    relation,
                    id,
                    &known,
                    "remembered from earlier in this request",
                );
            }
            return Ok(known);
        }
        let shared_key = self.env.cache.map(|_| self.cache_key(relation, id));
        if let (Some(cache), Some(shared_key)) = (self.env.cache, &shared_key) {
            if let Some(known) = cache.get(shared_key, self.env.snapshot.revision()) {
                if let Some(trace) = &mut self.trace {
                    trace.leaf(self.env.schema, relation, id, &known, "cached");
                }
                self.memo.insert(key, known.clone());
                return Ok(known);
            }
        }
        if !self.on_path.insert(key.clone()) {
            self.cut_cycle = true;
            return Ok(Outcome::No);
        }
        let cut_above = std::mem::replace(&mut self.cut_cycle, false);
        if let Some(trace) = &mut self.trace {
            trace.enter(self.env.schema, relation, id);
        }

        let result = stacker::maybe_grow(STACK_RED_ZONE, STACK_SEGMENT, || {
            self.check_uncached(relation, id, depth)
        });

        self.on_path.remove(&key);
        if let Some(trace) = &mut self.trace {
            trace.exit(result.as_ref().ok());
        }
        let outcome = result?;
        if !self.cut_cycle {
            if let (Some(cache), Some(shared_key)) = (self.env.cache, shared_key) {
                cache.insert(shared_key, outcome.clone(), self.env.snapshot.revision());
            }
            self.memo.insert(key, outcome.clone());
        }
        self.cut_cycle |= cut_above;
        Ok(outcome)
    }

    fn cache_key(&self, relation: RelationRef, id: &str) -> CacheKey {
        CacheKey {
            relation,
            resource_id: id.into(),
            subject_definition: self.subject.definition,
            subject_id: self.subject.id().into(),
            subject_relation: self.subject.relation,
        }
    }

    fn check_uncached(
        &mut self,
        relation: RelationRef,
        id: &str,
        depth: u32,
    ) -> Result<Outcome, EvalError> {
        let schema = self.env.schema;
        match &schema.relation(relation).body {
            RelationBody::Relation(allowed) => self.check_stored(relation, allowed, id, depth),
            RelationBody::Permission { rewrite, .. } => {
                self.check_rewrite(relation.definition, rewrite, id, depth)
            }
        }
    }

    /// A relation: the subject directly, through a wildcard, or through a subject set.
    fn check_stored(
        &mut self,
        relation: RelationRef,
        allowed: &[AllowedSubject],
        id: &str,
        depth: u32,
    ) -> Result<Outcome, EvalError> {
        let definition = self.env.schema.definition(relation.definition);
        let relation_name = definition.relation(relation.relation).name.as_str();
        // Most relations hold a handful of subjects on an object: reading them whole is one
        // seek, where looking up the subject, the wildcard and the subject sets is three.
        // A big one (an organisation's members) stops that read early and takes the lookups.
        if let Some(all) = self.read_small(&definition.name, id, relation_name)? {
            return self.check_stored_among(allowed, &all, depth);
        }
        let resource = ObjectRef::new(definition.name.as_str(), id).map_err(invalid_stored_id)?;
        let mut outcome = Outcome::No;
        if allowed.iter().any(|a| self.subject.admitted_by(a)) {
            let found = self
                .env
                .snapshot
                .find(&resource, relation_name, &self.subject.subject)?;
            if let Some(relationship) = found {
                outcome = self.direct(&relationship, outcome)?;
                if outcome.is_has() {
                    return Ok(outcome);
                }
            }
        }
        if self.wildcard_allowed(allowed) {
            let wildcard = self.wildcard()?;
            if let Some(relationship) =
                self.env
                    .snapshot
                    .find(&resource, relation_name, &wildcard)?
            {
                outcome = self.direct(&relationship, outcome)?;
                if outcome.is_has() {
                    return Ok(outcome);
                }
            }
        }
        for set in subject_sets(allowed) {
            let set_definition = self.env.schema.definition(set.definition);
            let selector = SubjectSelector {
                subject_type: &set_definition.name,
                subject_relation: Some(set_definition.relation(set.relation).name.as_str()),
            };
            let members = self.read(&definition.name, id, relation_name, Some(selector))?;
            outcome = self.through_set(set, &members, outcome, depth)?;
            if outcome.is_has() {
                return Ok(outcome);
            }
        }
        Ok(outcome)
    }

    /// [`Walker::check_stored`] over every relationship of the relation, read at once: the
    /// same steps in the same order as the lookups (store order within each subject set).
    fn check_stored_among(
        &mut self,
        allowed: &[AllowedSubject],
        all: &[Relationship],
        depth: u32,
    ) -> Result<Outcome, EvalError> {
        let mut outcome = Outcome::No;
        if allowed.iter().any(|a| self.subject.admitted_by(a)) {
            if let Some(relationship) = all.iter().find(|r| *r.subject() == self.subject.subject) {
                outcome = self.direct(relationship, outcome)?;
                if outcome.is_has() {
                    return Ok(outcome);
                }
            }
        }
        if self.wildcard_allowed(allowed) {
            let wildcard = self.wildcard()?;
            if let Some(relationship) = all.iter().find(|r| *r.subject() == wildcard) {
                outcome = self.direct(relationship, outcome)?;
                if outcome.is_has() {
                    return Ok(outcome);
                }
            }
        }
        for set in subject_sets(allowed) {
            let set_definition = self.env.schema.definition(set.definition);
            let set_relation = set_definition.relation(set.relation).name.as_str();
            let members: Vec<Relationship> = all
                .iter()
                .filter(|r| {
                    r.subject().object_type() == set_definition.name
                        && r.subject().relation() == Some(set_relation)
                })
                .cloned()
                .collect();
            outcome = self.through_set(set, &members, outcome, depth)?;
            if outcome.is_has() {
                return Ok(outcome);
            }
        }
        Ok(outcome)
    }

    /// `outcome` joined with what a relationship naming the subject (or its wildcard)
    /// contributes.
    fn direct(
        &mut self,
        relationship: &Relationship,
        outcome: Outcome,
    ) -> Result<Outcome, EvalError> {
        let outcome = outcome.or(self.relationship_outcome(relationship)?);
        self.note_relationship(relationship, &outcome);
        Ok(outcome)
    }

    /// `outcome` joined with membership through the subject sets `members` of kind `set`,
    /// stopping at the first certain one.
    fn through_set(
        &mut self,
        set: RelationRef,
        members: &[Relationship],
        mut outcome: Outcome,
        depth: u32,
    ) -> Result<Outcome, EvalError> {
        for relationship in members {
            let via = self.relationship_outcome(relationship)?;
            if via.is_no() {
                continue;
            }
            let member = self.check(set, relationship.subject().object_id(), depth + 1)?;
            outcome = outcome.or(member.and(via));
            if outcome.is_has() {
                break;
            }
        }
        Ok(outcome)
    }

    fn wildcard_allowed(&self, allowed: &[AllowedSubject]) -> bool {
        allowed
            .iter()
            .any(|a| a.definition == self.subject.definition && a.target == SubjectTarget::Wildcard)
    }

    /// `type:*` of the subject's type.
    fn wildcard(&self) -> Result<SubjectRef, EvalError> {
        SubjectRef::new(self.subject.subject.object_type(), WILDCARD_ID, None)
            .map_err(invalid_stored_id)
    }

    fn check_rewrite(
        &mut self,
        definition: DefinitionId,
        rewrite: &Rewrite,
        id: &str,
        depth: u32,
    ) -> Result<Outcome, EvalError> {
        match rewrite {
            Rewrite::Union(children) => {
                let mut outcome = Outcome::No;
                for child in children {
                    outcome = outcome.or(self.check_rewrite(definition, child, id, depth)?);
                    if outcome.is_has() {
                        break;
                    }
                }
                Ok(outcome)
            }
            Rewrite::Intersection(children) => {
                let mut outcome = Outcome::Has;
                for child in children {
                    outcome = outcome.and(self.check_rewrite(definition, child, id, depth)?);
                    if outcome.is_no() {
                        break;
                    }
                }
                Ok(outcome)
            }
            Rewrite::Exclusion(children) => {
                let mut outcome = Outcome::Has;
                for (index, child) in children.iter().enumerate() {
                    let part = self.check_rewrite(definition, child, id, depth)?;
                    outcome = if index == 0 {
                        part
                    } else {
                        outcome.and_not(part)
                    };
                    if outcome.is_no() {
                        break;
                    }
                }
                Ok(outcome)
            }
            Rewrite::Computed(relation) => self.check(
                RelationRef {
                    definition,
                    relation: *relation,
                },
                id,
                depth + 1,
            ),
            Rewrite::Arrow(arrow) => self.check_arrow(definition, arrow, id, depth),
            Rewrite::Nil => Ok(Outcome::No),
            Rewrite::SelfSubject => Ok(self.is_self(definition, id)),
        }
    }

    fn is_self(&self, definition: DefinitionId, id: &str) -> Outcome {
        let subject = &self.subject;
        if subject.definition == definition && subject.relation.is_none() && subject.id() == id {
            Outcome::Has
        } else {
            Outcome::No
        }
    }

    /// `tupleset->computed`: the subject must hold `computed` on one (`any`) or every (`all`)
    /// object the resource's tupleset relation points at.
    fn check_arrow(
        &mut self,
        definition: DefinitionId,
        arrow: &Arrow,
        id: &str,
        depth: u32,
    ) -> Result<Outcome, EvalError> {
        let schema = self.env.schema;
        let resource_definition = schema.definition(definition);
        let tupleset = resource_definition.relation(arrow.tupleset).name.as_str();
        let related = self.read(&resource_definition.name, id, tupleset, None)?;
        if related.is_empty() {
            return Ok(Outcome::No);
        }
        let mut outcome = match arrow.function {
            ArrowFunction::Any => Outcome::No,
            ArrowFunction::All => Outcome::Has,
        };
        for relationship in related {
            let subject = relationship.subject();
            let target = schema
                .definition_id(subject.object_type())
                .and_then(|subject_type| {
                    arrow
                        .targets
                        .iter()
                        .find(|(candidate, _)| *candidate == subject_type)
                        .and_then(|(_, relation)| {
                            relation.map(|relation| RelationRef {
                                definition: subject_type,
                                relation,
                            })
                        })
                });
            let reached = match target {
                Some(target) => {
                    let via = self.relationship_outcome(&relationship)?;
                    if via.is_no() {
                        Outcome::No
                    } else {
                        self.check(target, subject.object_id(), depth + 1)?.and(via)
                    }
                }
                None => Outcome::No,
            };
            outcome = match arrow.function {
                ArrowFunction::Any => outcome.or(reached),
                ArrowFunction::All => outcome.and(reached),
            };
            let decided = match arrow.function {
                ArrowFunction::Any => outcome.is_has(),
                ArrowFunction::All => outcome.is_no(),
            };
            if decided {
                break;
            }
        }
        Ok(outcome)
    }

    /// What a stored relationship contributes: everything, or what its caveat allows.
    pub(crate) fn relationship_outcome(
        &self,
        relationship: &Relationship,
    ) -> Result<Outcome, EvalError> {
        match relationship.caveat() {
            None => Ok(Outcome::Has),
            Some(caveat) => caveat_outcome(self.env, caveat.name(), caveat.context()),
        }
    }

    fn read(
        &self,
        resource_type: &str,
        id: &str,
        relation: &str,
        subject: Option<SubjectSelector<'_>>,
    ) -> Result<Vec<Relationship>, EvalError> {
        let ids = [id];
        let query = ResourceQuery {
            resource_type,
            resource_ids: &ids,
            relation,
            subject,
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

    /// Every relationship of `resource_type:id#relation` if there are at most
    /// [`SMALL_RELATION`], else `None` (having read one more).
    fn read_small(
        &self,
        resource_type: &str,
        id: &str,
        relation: &str,
    ) -> Result<Option<Vec<Relationship>>, EvalError> {
        let ids = [id];
        let query = ResourceQuery {
            resource_type,
            resource_ids: &ids,
            relation,
            subject: None,
        };
        let mut found = Vec::new();
        let mut complete = true;
        self.env
            .snapshot
            .read_resources(&query, &mut |relationship| {
                if found.len() == SMALL_RELATION {
                    complete = false;
                    return ControlFlow::Break(());
                }
                found.push(relationship);
                ControlFlow::Continue(())
            })?;
        Ok(complete.then_some(found))
    }

    fn note_relationship(&mut self, relationship: &Relationship, outcome: &Outcome) {
        if let Some(trace) = &mut self.trace {
            trace.relationship(relationship, outcome);
        }
    }
}

/// Decides a caveat for a context: the request's values overlaid with the stored ones.
pub(crate) fn caveat_outcome(
    env: WalkEnv<'_>,
    name: &str,
    stored: &CaveatContext,
) -> Result<Outcome, EvalError> {
    let caveat = env
        .schema
        .caveat_id(name)
        .ok_or_else(|| EvalError::UnknownCaveat(name.to_owned()))?;
    let context = merge_context(env.context, stored);
    Ok(match env.caveats.evaluate(caveat, &context)? {
        CaveatVerdict::True => Outcome::Has,
        CaveatVerdict::False => Outcome::No,
        CaveatVerdict::Missing(missing) => {
            Outcome::Conditional(CaveatExpr::Caveat(Arc::new(PendingCaveat {
                caveat,
                name: name.to_owned(),
                context,
                missing,
            })))
        }
    })
}

/// The distinct subject-set targets (`group#member`) a relation admits.
fn subject_sets(allowed: &[AllowedSubject]) -> Vec<RelationRef> {
    let mut sets: Vec<RelationRef> = allowed
        .iter()
        .filter_map(|a| match a.target {
            SubjectTarget::Relation(relation) => Some(RelationRef {
                definition: a.definition,
                relation,
            }),
            SubjectTarget::Terminal | SubjectTarget::Wildcard => None,
        })
        .collect();
    sets.sort_unstable();
    sets.dedup();
    sets
}

/// Ids read back from the store were valid when written; failing to rebuild a reference from
/// one means the store returned damaged data.
fn invalid_stored_id(err: tessera_types::TypesError) -> EvalError {
    EvalError::Store(tessera_store::StoreError::Corrupt(err.to_string()))
}
