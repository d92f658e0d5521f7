//! The randomised case: sequences of operations over a universe small enough that they
//! collide, applied both to the backend and to a model too simple to be wrong, with every
//! read compared at random old revisions.

use std::cmp::Ordering;
use std::collections::BTreeMap;
use std::fmt::Debug;
use std::time::Duration;

use proptest::collection::vec;
use proptest::option;
use proptest::prelude::*;
use proptest::sample::{Index, select};
use proptest::test_runner::{Config, TestRunner};
use serde_json::Map;
use tessera_types::{ContextualizedCaveat, Relationship, Revision, Timestamp};

use super::{Backend, all, at, open_at_t0, read_in_pages, read_resources, read_subjects, rel};
use crate::{
    Change, ChangeSet, Datastore, DeleteByFilter, DeleteOutcome, GcWindow, Operation, OrderKey,
    Precondition, PreconditionKind, RelationshipFilter, ResourceQuery, StoreError, SubjectFilter,
    SubjectQuery, SubjectRelationFilter, SubjectSelector, Update, WriteTransaction, store_order,
};

const RESOURCE_TYPES: [&str; 2] = ["doc", "folder"];
const RESOURCE_IDS: [&str; 3] = ["a", "ab", "b"];
const RELATIONS: [&str; 2] = ["viewer", "owner"];
const SUBJECTS: [&str; 5] = ["usr:1", "usr:2", "usr:*", "grp:x#member", "grp:x"];
const SUBJECT_TYPES: [&str; 2] = ["usr", "grp"];
const SUBJECT_IDS: [&str; 4] = ["1", "2", "*", "x"];
const KEYS: usize = RESOURCE_TYPES.len() * RESOURCE_IDS.len() * RELATIONS.len() * SUBJECTS.len();
/// Values per key: with or without a caveat, times no expiration or one of two.
const VALUES: u8 = 6;

/// The `index`th relationship key of the universe.
fn key(index: usize) -> Relationship {
    let subject = SUBJECTS[index % SUBJECTS.len()];
    let index = index / SUBJECTS.len();
    let relation = RELATIONS[index % RELATIONS.len()];
    let index = index / RELATIONS.len();
    let resource_id = RESOURCE_IDS[index % RESOURCE_IDS.len()];
    let resource_type = RESOURCE_TYPES[index / RESOURCE_IDS.len() % RESOURCE_TYPES.len()];
    rel(&format!(
        "{resource_type}:{resource_id}#{relation}@{subject}"
    ))
}

/// Key `index` with value `variant`.
fn value(index: usize, variant: u8) -> Relationship {
    let caveat = (variant % 2 == 1).then(|| ContextualizedCaveat::new("cav", Map::new()).unwrap());
    let expires_at = match variant / 2 {
        0 => None,
        1 => Some(at(60)),
        _ => Some(at(180)),
    };
    key(index).with_caveat(caveat).with_expiration(expires_at)
}

#[derive(Clone, Debug)]
enum Op {
    Write {
        updates: Vec<Update>,
        preconditions: Vec<Precondition>,
    },
    DeleteByFilter {
        filter: RelationshipFilter,
        limit: Option<u64>,
        allow_partial: bool,
        preconditions: Vec<Precondition>,
    },
    Import(Vec<Relationship>),
    /// Moves the clock forward this many seconds.
    Advance(u64),
}

/// The reads compared after an operation.
#[derive(Clone, Debug)]
struct Probe {
    revision: Index,
    filter: RelationshipFilter,
    cursor: Option<usize>,
    limit: Option<usize>,
    key: usize,
    resource_type: &'static str,
    resource_ids: Vec<&'static str>,
    relation: &'static str,
    selector: Option<(&'static str, Option<&'static str>)>,
    subject_type: &'static str,
    subject_ids: Vec<&'static str>,
    subject_relation: Option<&'static str>,
}

fn subject_filter() -> impl Strategy<Value = SubjectFilter> {
    let relation = prop_oneof![
        Just(SubjectRelationFilter::Ellipsis),
        Just(SubjectRelationFilter::Named("member".to_owned())),
    ];
    (
        select(&SUBJECT_TYPES[..]),
        option::of(select(&SUBJECT_IDS[..])),
        option::of(relation),
    )
        .prop_map(|(subject_type, subject_id, relation)| SubjectFilter {
            subject_type: subject_type.to_owned(),
            subject_id: subject_id.map(str::to_owned),
            relation,
        })
}

fn filter() -> impl Strategy<Value = RelationshipFilter> {
    let owned = |s: &'static str| s.to_owned();
    (
        option::of(select(&RESOURCE_TYPES[..]).prop_map(owned)),
        option::of(select(&RESOURCE_IDS[..]).prop_map(owned)),
        option::of(select(&["a", "b"][..]).prop_map(owned)),
        option::of(select(&RELATIONS[..]).prop_map(owned)),
        option::of(subject_filter()),
    )
        .prop_map(
            |(resource_type, resource_id, resource_id_prefix, relation, subject)| {
                RelationshipFilter {
                    resource_type,
                    resource_id,
                    resource_id_prefix,
                    relation,
                    subject,
                }
            },
        )
}

fn preconditions() -> impl Strategy<Value = Vec<Precondition>> {
    let kind = prop_oneof![
        Just(PreconditionKind::MustMatch),
        Just(PreconditionKind::MustNotMatch)
    ];
    vec(
        (kind, filter()).prop_map(|(kind, filter)| Precondition { kind, filter }),
        0..2,
    )
}

fn op() -> impl Strategy<Value = Op> {
    let operation = select(&[Operation::Create, Operation::Touch, Operation::Delete][..]);
    let write = (vec((operation, 0..KEYS, 0..VALUES), 0..5), preconditions()).prop_map(
        |(updates, preconditions)| {
            // The API never sends a key twice in one transaction.
            let mut seen = Vec::new();
            let updates = updates
                .into_iter()
                .filter(|(_, index, _)| {
                    let fresh = !seen.contains(index);
                    seen.push(*index);
                    fresh
                })
                .map(|(operation, index, variant)| Update {
                    operation,
                    relationship: value(index, variant),
                })
                .collect();
            Op::Write {
                updates,
                preconditions,
            }
        },
    );
    let delete = (
        filter(),
        option::of(0u64..4),
        any::<bool>(),
        preconditions(),
    )
        .prop_map(
            |(filter, limit, allow_partial, preconditions)| Op::DeleteByFilter {
                filter,
                limit,
                allow_partial,
                preconditions,
            },
        );
    let import = vec((0..KEYS, 0..VALUES), 0..6).prop_map(|values| {
        Op::Import(
            values
                .into_iter()
                .map(|(index, variant)| value(index, variant))
                .collect(),
        )
    });
    prop_oneof![
        4 => write,
        2 => delete,
        1 => import,
        1 => (0u64..90).prop_map(Op::Advance),
    ]
}

fn probe() -> impl Strategy<Value = Probe> {
    let selector = option::of((select(&SUBJECT_TYPES[..]), option::of(Just("member"))));
    (
        (
            any::<Index>(),
            filter(),
            option::of(0..KEYS),
            option::of(0usize..5),
            0..KEYS,
        ),
        (
            select(&RESOURCE_TYPES[..]),
            vec(select(&RESOURCE_IDS[..]), 0..4),
            select(&RELATIONS[..]),
            selector,
        ),
        (
            select(&SUBJECT_TYPES[..]),
            vec(select(&SUBJECT_IDS[..]), 0..4),
            option::of(Just("member")),
        ),
    )
        .prop_map(
            |(
                (revision, filter, cursor, limit, key),
                (resource_type, resource_ids, relation, selector),
                (subject_type, subject_ids, subject_relation),
            )| Probe {
                revision,
                filter,
                cursor,
                limit,
                key,
                resource_type,
                resource_ids,
                relation,
                selector,
                subject_type,
                subject_ids,
                subject_relation,
            },
        )
}

/// The store as a list of states, one per revision, each a plain map holding expired
/// relationships too; expiry is applied when reading.
struct Model {
    states: Vec<BTreeMap<OrderKey<String>, Relationship>>,
    changes: Vec<ChangeSet>,
    now: Timestamp,
}

impl Model {
    fn new() -> Self {
        Self {
            states: vec![BTreeMap::new()],
            changes: Vec::new(),
            now: at(0),
        }
    }

    fn head(&self) -> Revision {
        Revision::new(self.states.len() as u64 - 1)
    }

    /// What a snapshot at `revision` taken now sees, in store order.
    fn visible(&self, revision: Revision) -> Vec<Relationship> {
        self.states[revision.get() as usize]
            .values()
            .filter(|relationship| !relationship.is_expired_at(self.now))
            .cloned()
            .collect()
    }

    fn live(&self, relationship: &Relationship) -> bool {
        self.visible(self.head())
            .iter()
            .any(|live| live.same_key(relationship))
    }

    fn check(&self, preconditions: &[Precondition]) -> Result<(), StoreError> {
        let live = self.visible(self.head());
        match preconditions.iter().find(|precondition| {
            let matched = live.iter().any(|r| precondition.filter.matches(r));
            matched != (precondition.kind == PreconditionKind::MustMatch)
        }) {
            Some(failed) => Err(StoreError::PreconditionFailed(Box::new(failed.clone()))),
            None => Ok(()),
        }
    }

    fn commit(
        &mut self,
        state: BTreeMap<OrderKey<String>, Relationship>,
        changes: Vec<Change>,
    ) -> Revision {
        self.states.push(state);
        let revision = self.head();
        self.changes.push(ChangeSet {
            revision,
            changes,
            schema_changed: false,
            metadata: None,
        });
        revision
    }

    fn write(
        &mut self,
        updates: &[Update],
        preconditions: &[Precondition],
    ) -> Result<Revision, StoreError> {
        self.check(preconditions)?;
        if let Some(existing) = updates
            .iter()
            .find(|update| update.operation == Operation::Create && self.live(&update.relationship))
        {
            return Err(StoreError::AlreadyExists(Box::new(
                existing.relationship.clone(),
            )));
        }
        let mut state = self.states[self.head().get() as usize].clone();
        let mut changes = Vec::new();
        for update in updates {
            let key = OrderKey::of(&update.relationship).to_owned_key();
            if update.operation == Operation::Delete {
                if let Some(old) = state.remove(&key) {
                    if !old.is_expired_at(self.now) {
                        changes.push(Change::Delete(old));
                    }
                }
            } else {
                state.insert(key, update.relationship.clone());
                changes.push(Change::Touch(update.relationship.clone()));
            }
        }
        Ok(self.commit(state, changes))
    }

    fn delete(
        &mut self,
        filter: &RelationshipFilter,
        limit: Option<u64>,
        allow_partial: bool,
        preconditions: &[Precondition],
    ) -> Result<DeleteOutcome, StoreError> {
        self.check(preconditions)?;
        let mut doomed: Vec<Relationship> = self
            .visible(self.head())
            .into_iter()
            .filter(|r| filter.matches(r))
            .collect();
        let mut complete = true;
        if let Some(limit) = limit {
            if doomed.len() as u64 > limit {
                if !allow_partial {
                    return Err(StoreError::TooManyToDelete { limit });
                }
                doomed.truncate(limit as usize);
                complete = false;
            }
        }
        let mut state = self.states[self.head().get() as usize].clone();
        for relationship in &doomed {
            state.remove(&OrderKey::of(relationship).to_owned_key());
        }
        let deleted = doomed.len() as u64;
        let revision = self.commit(state, doomed.into_iter().map(Change::Delete).collect());
        Ok(DeleteOutcome {
            revision,
            deleted,
            complete,
        })
    }

    fn import(&mut self, relationships: &[Relationship]) -> Result<(Revision, u64), StoreError> {
        for (i, relationship) in relationships.iter().enumerate() {
            let repeated = relationships[..i].iter().any(|r| r.same_key(relationship));
            if repeated || self.live(relationship) {
                return Err(StoreError::AlreadyExists(Box::new(relationship.clone())));
            }
        }
        let mut state = self.states[self.head().get() as usize].clone();
        for relationship in relationships {
            state.insert(
                OrderKey::of(relationship).to_owned_key(),
                relationship.clone(),
            );
        }
        let changes = relationships.iter().cloned().map(Change::Touch).collect();
        Ok((self.commit(state, changes), relationships.len() as u64))
    }
}

/// Results compared loosely where the contract leaves room: which conflicting relationship an
/// `AlreadyExists` names is up to the backend.
fn outcome<T: Debug>(result: &Result<T, StoreError>) -> String {
    match result {
        Ok(value) => format!("{value:?}"),
        Err(StoreError::AlreadyExists(_)) => "already exists".to_owned(),
        Err(err) => err.to_string(),
    }
}

fn compare_reads(store: &dyn Datastore, model: &Model, probe: &Probe) {
    let revision = Revision::new(probe.revision.index(model.states.len()) as u64);
    let snapshot = store.snapshot(revision).unwrap();
    let visible = model.visible(revision);
    assert_eq!(all(&*snapshot), visible, "everything at {revision}");

    let cursor = probe.cursor.map(key);
    let matching: Vec<Relationship> = visible
        .iter()
        .filter(|r| probe.filter.matches(r))
        .cloned()
        .collect();
    let expected: Vec<Relationship> = matching
        .iter()
        .filter(|r| {
            cursor
                .as_ref()
                .is_none_or(|cursor| store_order(r, cursor) == Ordering::Greater)
        })
        .take(probe.limit.unwrap_or(usize::MAX))
        .cloned()
        .collect();
    let found = snapshot
        .read_filtered(&probe.filter, cursor.as_ref(), probe.limit)
        .unwrap();
    assert_eq!(found, expected, "filter {} at {revision}", probe.filter);

    let paged = read_in_pages(&*snapshot, &probe.filter, 2);
    assert_eq!(paged, matching, "pages of {} at {revision}", probe.filter);

    let wanted = key(probe.key);
    let found = snapshot
        .find(wanted.resource(), wanted.relation(), wanted.subject())
        .unwrap();
    let expected = visible.iter().find(|r| r.same_key(&wanted)).cloned();
    assert_eq!(found, expected, "find {wanted} at {revision}");

    let query = ResourceQuery {
        resource_type: probe.resource_type,
        resource_ids: &probe.resource_ids,
        relation: probe.relation,
        subject: probe
            .selector
            .map(|(subject_type, subject_relation)| SubjectSelector {
                subject_type,
                subject_relation,
            }),
    };
    let expected: Vec<Relationship> = visible
        .iter()
        .filter(|r| {
            r.resource().object_type() == query.resource_type
                && query.resource_ids.contains(&r.resource().object_id())
                && r.relation() == query.relation
                && query.subject.is_none_or(|selector| {
                    r.subject().object_type() == selector.subject_type
                        && r.subject().relation() == selector.subject_relation
                })
        })
        .cloned()
        .collect();
    assert_eq!(
        read_resources(&*snapshot, &query),
        expected,
        "{query:?} at {revision}"
    );

    let query = SubjectQuery {
        subject_type: probe.subject_type,
        subject_ids: &probe.subject_ids,
        subject_relation: probe.subject_relation,
        resource_type: probe.resource_type,
        relation: probe.relation,
    };
    let mut expected: Vec<Relationship> = visible
        .iter()
        .filter(|r| {
            r.subject().object_type() == query.subject_type
                && query.subject_ids.contains(&r.subject().object_id())
                && r.subject().relation() == query.subject_relation
                && r.resource().object_type() == query.resource_type
                && r.relation() == query.relation
        })
        .cloned()
        .collect();
    // Stable: store order within each subject id.
    expected.sort_by(|a, b| a.subject().object_id().cmp(b.subject().object_id()));
    assert_eq!(
        read_subjects(&*snapshot, &query),
        expected,
        "{query:?} at {revision}"
    );

    if let Some(before) = revision.get().checked_sub(1) {
        let changes = store.changes_after(Revision::new(before), 1).unwrap();
        assert_eq!(
            changes,
            model.changes[before as usize..=before as usize],
            "changes at {revision}"
        );
    }
}

/// Random sequences of creates, touches, deletes, deletes by filter (with limits), imports,
/// preconditions and clock moves give the backend the same results, reads at random old
/// revisions and changelog as the model.
pub fn random_histories_match_the_model<B: Backend>(backend: &B) {
    let config = Config {
        cases: 64,
        failure_persistence: None,
        ..Config::default()
    };
    let mut runner = TestRunner::new(config);
    runner
        .run(&vec((op(), probe()), 1..24), |steps| {
            let (store, clock) = open_at_t0(backend, GcWindow::KeepAll);
            let mut model = Model::new();
            for (op, probe) in &steps {
                match op {
                    Op::Write {
                        updates,
                        preconditions,
                    } => {
                        let result = store.write(WriteTransaction {
                            updates: updates.clone(),
                            preconditions: preconditions.clone(),
                            ..WriteTransaction::default()
                        });
                        let expected = model.write(updates, preconditions);
                        assert_eq!(outcome(&result), outcome(&expected), "{op:?}");
                    }
                    Op::DeleteByFilter {
                        filter,
                        limit,
                        allow_partial,
                        preconditions,
                    } => {
                        let result = store.delete_by_filter(DeleteByFilter {
                            filter: filter.clone(),
                            preconditions: preconditions.clone(),
                            limit: *limit,
                            allow_partial: *allow_partial,
                            metadata: None,
                        });
                        let expected = model.delete(filter, *limit, *allow_partial, preconditions);
                        assert_eq!(outcome(&result), outcome(&expected), "{op:?}");
                    }
                    Op::Import(relationships) => {
                        let result = store.bulk_import(&mut relationships.iter().cloned());
                        let expected = model.import(relationships);
                        assert_eq!(outcome(&result), outcome(&expected), "{op:?}");
                    }
                    Op::Advance(seconds) => {
                        model.now = model
                            .now
                            .checked_add(Duration::from_secs(*seconds))
                            .unwrap();
                        clock.set(model.now);
                    }
                }
                assert_eq!(store.head_revision(), model.head());
                compare_reads(&store, &model, probe);
            }
            for revision in 0..model.states.len() {
                let revision = Revision::new(revision as u64);
                assert_eq!(
                    all(&*store.snapshot(revision).unwrap()),
                    model.visible(revision)
                );
            }
            assert_eq!(
                store.changes_after(Revision::ZERO, usize::MAX).unwrap(),
                model.changes
            );
            Ok(())
        })
        .unwrap();
}
