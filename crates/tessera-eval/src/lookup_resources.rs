//! Lookup resources: every object of a type on which a subject has a permission.
//!
//! The walk goes backwards from the subject along the schema's [`LookupGraph`], reading the
//! reverse index in batches, so it only touches objects the subject can reach. A candidate
//! reached only through unions of uncaveated relationships certainly has the permission;
//! any other candidate (through an intersection, an exclusion, `.all()` or a caveat) is
//! confirmed with a check.

use std::collections::{BTreeMap, HashMap};
use std::ops::ControlFlow;

use tessera_schema::ir::RelationRef;
use tessera_store::{Snapshot, SubjectQuery};
use tessera_types::{CaveatContext, SubjectRef, WILDCARD_ID};

use crate::check::Permissionship;
use crate::error::EvalError;
use crate::evaluator::Evaluator;
use crate::graph::{Holder, Step};
use crate::outcome::Outcome;
use crate::walker::{ResolvedSubject, WalkEnv, Walker};

/// Which objects of `resource_type` may the subject `permission`?
#[derive(Clone, Debug, PartialEq)]
pub struct LookupResourcesRequest {
    /// The type of the objects looked for.
    pub resource_type: String,
    /// The permission or relation they must grant.
    pub permission: String,
    /// To whom.
    pub subject: SubjectRef,
    /// Caveat context supplied with the request.
    pub context: CaveatContext,
    /// Return at most this many.
    pub limit: Option<usize>,
    /// Resume after this object id (the last one of the previous page).
    pub after: Option<String>,
}

/// One object found by a lookup.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FoundResource {
    /// Its id.
    pub resource_id: String,
    /// `Has`, or `Conditional` with the context still missing.
    pub permissionship: Permissionship,
}

/// Objects reached so far, per relation, with whether reaching them proves membership.
#[derive(Debug, Default)]
struct Reached {
    certain: HashMap<RelationRef, HashMap<String, bool>>,
    pending: HashMap<RelationRef, Vec<(String, bool)>>,
}

impl Reached {
    /// Records that `id` may hold `relation`; queues it if that is news.
    fn reach(&mut self, relation: RelationRef, id: &str, certain: bool) {
        let known = self.certain.entry(relation).or_default();
        let news = match known.get_mut(id) {
            None => {
                known.insert(id.to_owned(), certain);
                true
            }
            Some(was_certain) if certain && !*was_certain => {
                *was_certain = true;
                true
            }
            Some(_) => false,
        };
        if news {
            self.pending
                .entry(relation)
                .or_default()
                .push((id.to_owned(), certain));
        }
    }

    fn next_batch(&mut self) -> Option<(RelationRef, Vec<(String, bool)>)> {
        let relation = *self.pending.keys().next()?;
        self.pending
            .remove(&relation)
            .map(|batch| (relation, batch))
    }
}

impl Evaluator {
    /// Finds the objects of a type on which the subject has a permission, in id order.
    ///
    /// # Errors
    /// Unknown types or relations, a wildcard subject, depth or caveat failures while
    /// confirming candidates, and store failures.
    pub fn lookup_resources(
        &self,
        snapshot: &dyn Snapshot,
        request: &LookupResourcesRequest,
    ) -> Result<Vec<FoundResource>, EvalError> {
        let target = self.resolve_relation(&request.resource_type, &request.permission)?;
        if request.subject.is_wildcard() {
            return Err(EvalError::WildcardSubject {
                operation: "look up resources",
                subject: request.subject.to_string(),
            });
        }
        let subject = ResolvedSubject::resolve(self.schema(), &request.subject)?;
        let env = self.walk_env(snapshot, &request.context);
        let candidates = self
            .reach_backwards(env, &subject)?
            .certain
            .remove(&target)
            .unwrap_or_default();
        let candidates: BTreeMap<String, bool> = candidates.into_iter().collect();

        let mut walker = Walker::new(env, subject, false);
        let mut found = Vec::new();
        let after = request.after.as_deref();
        for (id, certain) in candidates {
            if after.is_some_and(|after| id.as_str() <= after) {
                continue;
            }
            let outcome = if certain {
                Outcome::Has
            } else {
                walker.check(target, &id, 0)?
            };
            if outcome.is_no() {
                continue;
            }
            found.push(FoundResource {
                resource_id: id,
                permissionship: (&outcome).into(),
            });
            if request.limit.is_some_and(|limit| found.len() >= limit) {
                break;
            }
        }
        Ok(found)
    }

    /// Every `(relation, object)` the subject can reach by walking the schema backwards.
    fn reach_backwards(
        &self,
        env: WalkEnv<'_>,
        subject: &ResolvedSubject,
    ) -> Result<Reached, EvalError> {
        let graph = self.lookup_graph();
        let mut reached = Reached::default();
        let subject_id = subject.subject.object_id();
        match subject.relation {
            Some(relation) => {
                reached.reach(
                    RelationRef {
                        definition: subject.definition,
                        relation,
                    },
                    subject_id,
                    true,
                );
            }
            None => {
                for permission in graph.self_permissions(subject.definition) {
                    reached.reach(*permission, subject_id, false);
                }
                let seed = [(subject_id.to_owned(), true)];
                self.follow(env, Holder::Object(subject.definition), &seed, &mut reached)?;
            }
        }
        while let Some((relation, batch)) = reached.next_batch() {
            self.follow(env, Holder::Relation(relation), &batch, &mut reached)?;
        }
        Ok(reached)
    }

    /// Takes every step out of `holder` for the objects in `batch`.
    fn follow(
        &self,
        env: WalkEnv<'_>,
        holder: Holder,
        batch: &[(String, bool)],
        reached: &mut Reached,
    ) -> Result<(), EvalError> {
        let schema = self.schema();
        let holder_definition = match holder {
            Holder::Object(definition) => definition,
            Holder::Relation(relation) => relation.definition,
        };
        let holder_type = schema.definition(holder_definition).name.as_str();
        let ids: Vec<&str> = batch.iter().map(|(id, _)| id.as_str()).collect();
        let certain: HashMap<&str, bool> = batch.iter().map(|(id, c)| (id.as_str(), *c)).collect();
        let relation_name = |relation: RelationRef| schema.relation(relation).name.as_str();
        let subject_relation_name = |relation: Option<tessera_schema::ir::RelationId>| {
            relation.map(|r| {
                schema
                    .definition(holder_definition)
                    .relation(r)
                    .name
                    .as_str()
            })
        };

        for step in self.lookup_graph().steps(holder) {
            match step {
                Step::Stored {
                    to,
                    subject_relation,
                    wildcard,
                } => {
                    let wildcard_ids = [WILDCARD_ID];
                    let query = SubjectQuery {
                        subject_type: holder_type,
                        subject_ids: if *wildcard { &wildcard_ids } else { &ids },
                        subject_relation: subject_relation_name(*subject_relation),
                        resource_type: &schema.definition(to.definition).name,
                        relation: relation_name(*to),
                    };
                    // The wildcard stands for every seed object; it proves as much as they do.
                    let wildcard_certain = batch.iter().all(|(_, c)| *c);
                    read_reverse(env.snapshot, &query, |relationship| {
                        let subject_id = relationship.subject().object_id();
                        let via_certain = if *wildcard {
                            wildcard_certain
                        } else {
                            certain.get(subject_id).copied().unwrap_or(false)
                        };
                        let sure = via_certain && relationship.caveat().is_none();
                        reached.reach(*to, relationship.resource().object_id(), sure);
                    })?;
                }
                Step::Computed { to, sufficient } => {
                    for (id, c) in batch {
                        reached.reach(*to, id, *c && *sufficient);
                    }
                }
                Step::Arrow {
                    to,
                    tupleset,
                    subject_relations,
                    sufficient,
                } => {
                    for subject_relation in subject_relations {
                        let query = SubjectQuery {
                            subject_type: holder_type,
                            subject_ids: &ids,
                            subject_relation: subject_relation_name(*subject_relation),
                            resource_type: &schema.definition(to.definition).name,
                            relation: schema
                                .definition(to.definition)
                                .relation(*tupleset)
                                .name
                                .as_str(),
                        };
                        read_reverse(env.snapshot, &query, |relationship| {
                            let via_certain = certain
                                .get(relationship.subject().object_id())
                                .copied()
                                .unwrap_or(false);
                            let sure =
                                via_certain && *sufficient && relationship.caveat().is_none();
                            reached.reach(*to, relationship.resource().object_id(), sure);
                        })?;
                    }
                }
            }
        }
        Ok(())
    }
}

fn read_reverse(
    snapshot: &dyn Snapshot,
    query: &SubjectQuery<'_>,
    mut visit: impl FnMut(&tessera_types::Relationship),
) -> Result<(), EvalError> {
    snapshot.read_subjects(query, &mut |relationship| {
        visit(&relationship);
        ControlFlow::Continue(())
    })?;
    Ok(())
}
