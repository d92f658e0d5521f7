//! A check-result cache whose entries outlive revisions.
//!
//! An answer computed at revision `R` depends only on the stored relations its relation can
//! reach (its *dependencies*, from the schema). It is still the answer at `R'` if none of
//! those relations was written between the two — precisely, if every dependency's last write
//! is at or before `min(R, R')`. Last writes come from the store's changelog, applied in
//! revision order; the cache is only consulted at revisions the changelog has been applied
//! through, so a write is never missed. `fully_consistent` reads thus stay fast: a new
//! revision only evicts what it could have changed.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use parking_lot::RwLock;
use tessera_schema::ir::{
    DefinitionId, RelationBody, RelationId, RelationRef, Rewrite, Schema, SubjectTarget,
};
use tessera_store::{Change, Datastore};
use tessera_types::Revision;

use crate::outcome::Outcome;

/// How many changelog revisions one catch-up reads at a time.
const CHANGELOG_PAGE: usize = 1024;

/// What a cached answer is about: one subject in one relation of one object.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub(crate) struct CacheKey {
    pub(crate) relation: RelationRef,
    pub(crate) resource_id: Box<str>,
    pub(crate) subject_definition: DefinitionId,
    pub(crate) subject_id: Box<str>,
    pub(crate) subject_relation: Option<RelationId>,
}

#[derive(Clone, Debug)]
struct Entry {
    outcome: Outcome,
    revision: Revision,
}

/// Last write revision per stored relation, complete through `applied_through`.
#[derive(Debug, Default)]
struct LastWrites {
    by_relation: HashMap<RelationRef, Revision>,
    applied_through: Revision,
}

/// How often cached answers were found, summed over every cache that shares these counters
/// (a server keeps one set across schema changes, so the totals only grow).
#[derive(Debug, Default)]
pub struct CacheCounters {
    hits: AtomicU64,
    misses: AtomicU64,
}

impl CacheCounters {
    /// Lookups answered from the cache.
    pub fn hits(&self) -> u64 {
        self.hits.load(Ordering::Relaxed)
    }

    /// Lookups that found no answer still exact at the revision asked.
    pub fn misses(&self) -> u64 {
        self.misses.load(Ordering::Relaxed)
    }
}

/// Check results shared by every request under one schema, bounded in entries.
#[derive(Debug)]
pub struct CheckCache {
    store: Arc<dyn Datastore>,
    entries: quick_cache::sync::Cache<CacheKey, Entry>,
    last_writes: RwLock<LastWrites>,
    /// Stored relations each relation or permission can read, transitively.
    dependencies: HashMap<RelationRef, Vec<RelationRef>>,
    /// Relations whose answers may change without a write (expiring relationships).
    uncacheable: HashSet<RelationRef>,
    counters: Arc<CacheCounters>,
}

impl CheckCache {
    /// A cache of at most `capacity` answers for `schema`, kept exact with `store`'s
    /// changelog from the store's current head on.
    pub fn new(schema: &Schema, store: Arc<dyn Datastore>, capacity: usize) -> Self {
        let (dependencies, uncacheable) = dependencies(schema);
        let head = store.head_revision();
        Self {
            store,
            entries: quick_cache::sync::Cache::new(capacity.max(1)),
            last_writes: RwLock::new(LastWrites {
                by_relation: HashMap::new(),
                applied_through: head,
            }),
            dependencies,
            uncacheable,
            counters: Arc::default(),
        }
    }

    /// The same cache, counting its hits and misses in `counters`.
    #[must_use]
    pub fn with_counters(mut self, counters: Arc<CacheCounters>) -> Self {
        self.counters = counters;
        self
    }

    /// Its hit and miss counters.
    pub fn counters(&self) -> &CacheCounters {
        &self.counters
    }

    /// The cached answer for `key` at `revision`, if one is still exact there.
    pub(crate) fn get(&self, key: &CacheKey, revision: Revision) -> Option<Outcome> {
        let found = self.lookup(key, revision);
        let counter = if found.is_some() {
            &self.counters.hits
        } else {
            &self.counters.misses
        };
        counter.fetch_add(1, Ordering::Relaxed);
        found
    }

    fn lookup(&self, key: &CacheKey, revision: Revision) -> Option<Outcome> {
        let entry = self.entries.get(key)?;
        let valid_through = entry.revision.min(revision);
        let last_writes = self.last_writes.read();
        if last_writes.applied_through < revision {
            return None;
        }
        let unchanged = self.dependencies.get(&key.relation).is_some_and(|deps| {
            deps.iter().all(|d| {
                last_writes
                    .by_relation
                    .get(d)
                    .is_none_or(|w| *w <= valid_through)
            })
        });
        unchanged.then_some(entry.outcome)
    }

    /// Remembers `outcome` for `key`, computed at `revision`.
    pub(crate) fn insert(&self, key: CacheKey, outcome: Outcome, revision: Revision) {
        if !self.uncacheable.contains(&key.relation) {
            self.entries.insert(key, Entry { outcome, revision });
        }
    }

    /// Applies the changelog through `revision` so answers at it can be served; returns
    /// whether the cache may be used there.
    pub(crate) fn catch_up(&self, schema: &Schema, revision: Revision) -> bool {
        if self.last_writes.read().applied_through >= revision {
            return true;
        }
        let mut last_writes = self.last_writes.write();
        while last_writes.applied_through < revision {
            let Ok(changes) = self
                .store
                .changes_after(last_writes.applied_through, CHANGELOG_PAGE)
            else {
                return false;
            };
            let Some(last) = changes.last().map(|c| c.revision) else {
                return false;
            };
            for change_set in &changes {
                for change in &change_set.changes {
                    let (Change::Touch(relationship) | Change::Delete(relationship)) = change;
                    let written = schema.relation_ref(
                        relationship.resource().object_type(),
                        relationship.relation(),
                    );
                    if let Some(written) = written {
                        last_writes.by_relation.insert(written, change_set.revision);
                    }
                }
            }
            last_writes.applied_through = last;
        }
        true
    }
}

/// For every relation and permission, the stored relations its answers read; and the
/// relations that read expiring relationships.
fn dependencies(schema: &Schema) -> (HashMap<RelationRef, Vec<RelationRef>>, HashSet<RelationRef>) {
    let all: Vec<RelationRef> = schema
        .definitions
        .iter()
        .enumerate()
        .flat_map(|(d, definition)| {
            (0..definition.relations.len()).map(move |r| RelationRef {
                definition: DefinitionId(d as u32),
                relation: RelationId(r as u32),
            })
        })
        .collect();
    let mut dependencies = HashMap::new();
    let mut uncacheable = HashSet::new();
    for &start in &all {
        let mut seen = HashSet::from([start]);
        let mut stack = vec![start];
        let mut stored = Vec::new();
        let mut expiring = false;
        while let Some(relation) = stack.pop() {
            let mut visit = |next: RelationRef| {
                if seen.insert(next) {
                    stack.push(next);
                }
            };
            match &schema.relation(relation).body {
                RelationBody::Relation(allowed) => {
                    stored.push(relation);
                    for subject in allowed {
                        expiring |= subject.expiration;
                        if let SubjectTarget::Relation(r) = subject.target {
                            visit(RelationRef {
                                definition: subject.definition,
                                relation: r,
                            });
                        }
                    }
                }
                RelationBody::Permission { rewrite, .. } => {
                    rewrite.visit_leaves(&mut |leaf, _| match leaf {
                        Rewrite::Computed(r) => visit(RelationRef {
                            definition: relation.definition,
                            relation: *r,
                        }),
                        Rewrite::Arrow(arrow) => {
                            visit(RelationRef {
                                definition: relation.definition,
                                relation: arrow.tupleset,
                            });
                            for (definition, target) in &arrow.targets {
                                if let Some(target) = target {
                                    visit(RelationRef {
                                        definition: *definition,
                                        relation: *target,
                                    });
                                }
                            }
                        }
                        _ => {}
                    });
                }
            }
        }
        if expiring {
            uncacheable.insert(start);
        }
        dependencies.insert(start, stored);
    }
    (dependencies, uncacheable)
}
