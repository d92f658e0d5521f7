use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::fmt;
use std::ops::Bound;
use std::sync::Arc;

use parking_lot::{Mutex, RwLock};
use tessera_types::{ObjectRef, Relationship, Revision, SubjectRef, Timestamp};
use tokio::sync::watch;

use crate::clock::{Clock, SystemClock};
use crate::datastore::{Datastore, Snapshot};
use crate::error::StoreError;
use crate::filter::RelationshipFilter;
use crate::gc::GcWindow;
use crate::order::OrderKey;
use crate::query::{ResourceQuery, Sink, SubjectQuery};
use crate::write::{
    Change, ChangeSet, DeleteByFilter, DeleteOutcome, Operation, Precondition, PreconditionKind,
    SchemaWrite, StoredSchema, TransactionMetadata, WriteTransaction,
};

type Key = OrderKey<String>;

/// What a [`SubjectQuery`] fixes for one subject id: subject type, subject relation, subject
/// id, resource type, relation.
type SubjectIndexKey = (String, Option<String>, String, String, String);

/// An in-memory [`Datastore`] with full history: for tests, development and as the reference
/// the conformance suite's expectations were checked against.
///
/// Every relationship key keeps the list of values it had, each with the revision range in
/// which it was stored; a read at revision R sees the value whose range holds R. Writes are
/// serialised by one lock. Nothing survives the process.
///
/// Garbage collection is explicit ([`MemStore::collect_garbage`]): revisions outside the
/// [`GcWindow`] stop being readable as soon as they leave it, and collection then frees their
/// data, the changelog before them and relationships that have expired. A [`Snapshot`] taken
/// before a collection keeps reading exactly: collection spares what live snapshots can see.
pub struct MemStore {
    datastore_id: String,
    shared: Arc<Shared>,
    clock: Arc<dyn Clock>,
    gc_window: GcWindow,
    head: watch::Sender<Revision>,
}

/// What snapshots share with their store.
struct Shared {
    state: RwLock<State>,
    // Lock order: `state` before `pins`.
    pins: Mutex<Pins>,
}

/// One value of a relationship key and the revisions `[created, deleted)` at which it is stored.
struct Version {
    created: Revision,
    deleted: Option<Revision>,
    relationship: Relationship,
}

/// A committed revision: when, and what it changed.
struct Commit {
    at: Timestamp,
    change_set: ChangeSet,
}

struct State {
    /// Every key's values, oldest first; at most one has no `deleted`.
    relationships: BTreeMap<Key, Vec<Version>>,
    /// The resource ids of `relationships`' keys by the rest of the key, for reverse reads.
    /// INVARIANT: holds exactly the keys of `relationships`.
    by_subject: BTreeMap<SubjectIndexKey, BTreeSet<String>>,
    /// Schemas by ascending revision.
    schemas: Vec<StoredSchema>,
    /// Consecutive revisions up to the head, which is the last; never empty.
    history: VecDeque<Commit>,
    /// Revisions before this have been collected and can no longer be read.
    collected_before: Revision,
}

/// What live snapshots read, counted, so that garbage collection spares it.
#[derive(Default)]
struct Pins {
    revisions: BTreeMap<Revision, usize>,
    clock_readings: BTreeMap<Timestamp, usize>,
}

impl MemStore {
    /// An empty store on the system clock that keeps every revision.
    pub fn new() -> Self {
        Self::with_clock(Arc::new(SystemClock))
    }

    /// An empty store reading time from `clock`, which decides when relationships expire and
    /// how old a revision is.
    pub fn with_clock(clock: Arc<dyn Clock>) -> Self {
        let state = State {
            relationships: BTreeMap::new(),
            by_subject: BTreeMap::new(),
            schemas: Vec::new(),
            history: VecDeque::from([Commit {
                at: clock.now(),
                change_set: ChangeSet {
                    revision: Revision::ZERO,
                    changes: Vec::new(),
                    schema_changed: false,
                    metadata: None,
                },
            }]),
            collected_before: Revision::ZERO,
        };
        Self {
            datastore_id: crate::id::new_datastore_id(),
            shared: Arc::new(Shared {
                state: RwLock::new(state),
                pins: Mutex::new(Pins::default()),
            }),
            clock,
            gc_window: GcWindow::KeepAll,
            head: watch::Sender::new(Revision::ZERO),
        }
    }

    /// The same store keeping only `window` of history readable.
    #[must_use]
    pub fn with_gc_window(mut self, window: GcWindow) -> Self {
        self.gc_window = window;
        self
    }

    /// Frees what no read can see any more: values replaced before the oldest readable
    /// revision, expired relationships, and the changelog and schemas before that revision.
    ///
    /// Assumes the clock never goes back: a relationship collected as expired stays gone.
    pub fn collect_garbage(&self) {
        let mut state = self.shared.state.write();
        let now = self.clock.now();
        let mut horizon = state.oldest(self.gc_window, now);
        let mut expired_by = now;
        // Snapshots cannot be taken while `state` is locked for writing, so the pins only
        // shrink after this reading.
        {
            let pins = self.shared.pins.lock();
            if let Some(&pinned) = pins.revisions.keys().next() {
                horizon = horizon.min(pinned);
            }
            if let Some(&reading) = pins.clock_readings.keys().next() {
                expired_by = expired_by.min(reading);
            }
        }
        state.collect(horizon, expired_by);
    }

    /// Commits the changes at the next revision and tells subscribers.
    fn commit(
        &self,
        state: &mut State,
        at: Timestamp,
        changes: Vec<Change>,
        schema_changed: bool,
        metadata: Option<TransactionMetadata>,
    ) -> Revision {
        let revision = state.head().next();
        state.history.push_back(Commit {
            at,
            change_set: ChangeSet {
                revision,
                changes,
                schema_changed,
                metadata,
            },
        });
        // Sent under the lock so that subscribers see revisions in commit order.
        self.head.send_replace(revision);
        revision
    }

    fn check_readable(&self, state: &State, revision: Revision) -> Result<(), StoreError> {
        let head = state.head();
        let oldest = state.oldest(self.gc_window, self.clock.now());
        if revision > head {
            Err(StoreError::RevisionInFuture {
                requested: revision,
                head,
            })
        } else if revision < oldest {
            Err(StoreError::RevisionExpired {
                requested: revision,
                oldest,
            })
        } else {
            Ok(())
        }
    }
}

impl Default for MemStore {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Debug for MemStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MemStore")
            .field("datastore_id", &self.datastore_id)
            .field("head", &*self.head.borrow())
            .field("gc_window", &self.gc_window)
            .finish_non_exhaustive()
    }
}

impl Datastore for MemStore {
    fn datastore_id(&self) -> &str {
        &self.datastore_id
    }

    fn head_revision(&self) -> Revision {
        self.shared.state.read().head()
    }

    fn oldest_revision(&self) -> Revision {
        self.shared
            .state
            .read()
            .oldest(self.gc_window, self.clock.now())
    }

    fn snapshot(&self, revision: Revision) -> Result<Arc<dyn Snapshot>, StoreError> {
        let state = self.shared.state.read();
        self.check_readable(&state, revision)?;
        let now = self.clock.now();
        // Pinned while `state` is still locked, so no collection can slip in between.
        let mut pins = self.shared.pins.lock();
        pin(&mut pins.revisions, revision);
        pin(&mut pins.clock_readings, now);
        Ok(Arc::new(MemSnapshot {
            shared: Arc::clone(&self.shared),
            revision,
            now,
        }))
    }

    fn write(&self, transaction: WriteTransaction) -> Result<Revision, StoreError> {
        let mut state = self.shared.state.write();
        let now = self.clock.now();
        if let Some(validated_against) = transaction.schema_revision {
            let current = state.schema_revision();
            if current > validated_against {
                return Err(StoreError::SchemaChanged { current });
            }
        }
        state.check_preconditions(&transaction.preconditions, now)?;
        // The API guarantees no key appears twice, so checking creates against the state
        // before the transaction is the same as checking them as they are applied.
        if let Some(update) = transaction.updates.iter().find(|update| {
            update.operation == Operation::Create && state.live(&update.relationship, now)
        }) {
            return Err(StoreError::AlreadyExists(Box::new(
                update.relationship.clone(),
            )));
        }
        let revision = state.head().next();
        let mut changes = Vec::with_capacity(transaction.updates.len());
        for update in transaction.updates {
            match update.operation {
                Operation::Create | Operation::Touch => {
                    state.put(update.relationship.clone(), revision);
                    changes.push(Change::Touch(update.relationship));
                }
                Operation::Delete => {
                    if let Some(old) = state.remove(&update.relationship, revision, now) {
                        changes.push(Change::Delete(old));
                    }
                }
            }
        }
        Ok(self.commit(&mut state, now, changes, false, transaction.metadata))
    }

    fn delete_by_filter(&self, delete: DeleteByFilter) -> Result<DeleteOutcome, StoreError> {
        let mut state = self.shared.state.write();
        let now = self.clock.now();
        state.check_preconditions(&delete.preconditions, now)?;
        // A limit beyond the address space is no limit.
        let limit = delete.limit.and_then(|limit| usize::try_from(limit).ok());
        let mut doomed = state.matching(
            &delete.filter,
            state.head(),
            now,
            None,
            limit.map(|limit| limit.saturating_add(1)),
        );
        let complete = match limit {
            Some(limit) if doomed.len() > limit => {
                if !delete.allow_partial {
                    return Err(StoreError::TooManyToDelete {
                        limit: limit as u64,
                    });
                }
                doomed.truncate(limit);
                false
            }
            _ => true,
        };
        let revision = state.head().next();
        let changes: Vec<Change> = doomed
            .iter()
            .filter_map(|relationship| state.remove(relationship, revision, now))
            .map(Change::Delete)
            .collect();
        let deleted = changes.len() as u64;
        let revision = self.commit(&mut state, now, changes, false, delete.metadata);
        Ok(DeleteOutcome {
            revision,
            deleted,
            complete,
        })
    }

    fn bulk_import(
        &self,
        relationships: &mut dyn Iterator<Item = Relationship>,
    ) -> Result<(Revision, u64), StoreError> {
        // Drained before locking: the iterator may be a slow client stream.
        let relationships: Vec<Relationship> = relationships.collect();
        let mut state = self.shared.state.write();
        let now = self.clock.now();
        let mut seen = BTreeSet::new();
        for relationship in &relationships {
            if !seen.insert(OrderKey::of(relationship)) || state.live(relationship, now) {
                return Err(StoreError::AlreadyExists(Box::new(relationship.clone())));
            }
        }
        let revision = state.head().next();
        for relationship in &relationships {
            state.put(relationship.clone(), revision);
        }
        let imported = relationships.len() as u64;
        let changes = relationships.into_iter().map(Change::Touch).collect();
        Ok((self.commit(&mut state, now, changes, false, None), imported))
    }

    fn write_schema(&self, schema: SchemaWrite) -> Result<Revision, StoreError> {
        let mut state = self.shared.state.write();
        let now = self.clock.now();
        state.check_preconditions(&schema.preconditions, now)?;
        let revision = state.head().next();
        state.schemas.push(StoredSchema {
            text: schema.text,
            revision,
        });
        Ok(self.commit(&mut state, now, Vec::new(), true, None))
    }

    fn changes_after(&self, after: Revision, limit: usize) -> Result<Vec<ChangeSet>, StoreError> {
        let state = self.shared.state.read();
        self.check_readable(&state, after)?;
        let start = state
            .history
            .partition_point(|commit| commit.change_set.revision <= after);
        Ok(state
            .history
            .range(start..)
            .take(limit)
            .map(|commit| commit.change_set.clone())
            .collect())
    }

    fn subscribe(&self) -> watch::Receiver<Revision> {
        self.head.subscribe()
    }
}

impl State {
    fn head(&self) -> Revision {
        self.history
            .back()
            .map_or(self.collected_before, |commit| commit.change_set.revision)
    }

    /// The first revision inside `window`, never one already collected.
    fn oldest(&self, window: GcWindow, now: Timestamp) -> Revision {
        let head = self.head();
        let expired = self.history.partition_point(|commit| {
            !window.keeps(commit.change_set.revision, commit.at, head, now)
        });
        self.history
            .get(expired)
            .map_or(head, |commit| commit.change_set.revision)
            .max(self.collected_before)
    }

    /// The revision that wrote the schema in force at the head, zero when there is none.
    fn schema_revision(&self) -> Revision {
        self.schemas
            .last()
            .map_or(Revision::ZERO, |schema| schema.revision)
    }

    fn schema_at(&self, revision: Revision) -> Option<StoredSchema> {
        let written = self
            .schemas
            .partition_point(|schema| schema.revision <= revision);
        written
            .checked_sub(1)
            .and_then(|last| self.schemas.get(last))
            .cloned()
    }

    /// Whether the relationship's key holds an unexpired value at the head.
    fn live(&self, relationship: &Relationship, now: Timestamp) -> bool {
        self.relationships
            .get(&OrderKey::of(relationship).to_owned_key())
            .and_then(|versions| visible(versions, self.head(), now))
            .is_some()
    }

    fn check_preconditions(
        &self,
        preconditions: &[Precondition],
        now: Timestamp,
    ) -> Result<(), StoreError> {
        let head = self.head();
        for precondition in preconditions {
            let matched = !self
                .matching(&precondition.filter, head, now, None, Some(1))
                .is_empty();
            let holds = match precondition.kind {
                PreconditionKind::MustMatch => matched,
                PreconditionKind::MustNotMatch => !matched,
            };
            if !holds {
                return Err(StoreError::PreconditionFailed(Box::new(
                    precondition.clone(),
                )));
            }
        }
        Ok(())
    }

    /// Stores `relationship` as its key's value from `revision` on.
    fn put(&mut self, relationship: Relationship, revision: Revision) {
        let key = OrderKey::of(&relationship).to_owned_key();
        let versions = self.relationships.entry(key).or_insert_with_key(|key| {
            let (index_key, resource_id) = subject_index_entry(key);
            self.by_subject
                .entry(index_key)
                .or_default()
                .insert(resource_id);
            Vec::new()
        });
        end_current(versions, revision);
        versions.push(Version {
            created: revision,
            deleted: None,
            relationship,
        });
    }

    /// Ends the current value of `relationship`'s key at `revision`; returns it unless it had
    /// already expired (an expired relationship is gone, and deleting it is no change).
    fn remove(
        &mut self,
        relationship: &Relationship,
        revision: Revision,
        now: Timestamp,
    ) -> Option<Relationship> {
        let versions = self
            .relationships
            .get_mut(&OrderKey::of(relationship).to_owned_key())?;
        end_current(versions, revision)
            .filter(|old| !old.is_expired_at(now))
            .cloned()
    }

    /// Up to `limit` relationships matching `filter` at `revision`, in store order, after the
    /// key of `after`.
    fn matching(
        &self,
        filter: &RelationshipFilter,
        revision: Revision,
        now: Timestamp,
        after: Option<&Relationship>,
        limit: Option<usize>,
    ) -> Vec<Relationship> {
        let lower = lower_bound(filter);
        let start = match after.map(|after| OrderKey::of(after).to_owned_key()) {
            Some(after) if after >= lower => Bound::Excluded(after),
            _ => Bound::Included(lower),
        };
        self.relationships
            .range((start, Bound::Unbounded))
            .take_while(|(key, _)| may_match(filter, key))
            .filter_map(|(_, versions)| visible(versions, revision, now))
            .filter(|relationship| filter.matches(relationship))
            .take(limit.unwrap_or(usize::MAX))
            .cloned()
            .collect()
    }

    fn collect(&mut self, horizon: Revision, expired_by: Timestamp) {
        let by_subject = &mut self.by_subject;
        self.relationships.retain(|key, versions| {
            versions.retain(|version| {
                version.deleted.is_none_or(|deleted| deleted > horizon)
                    && !version.relationship.is_expired_at(expired_by)
            });
            if versions.is_empty() {
                let (index_key, resource_id) = subject_index_entry(key);
                if let Some(resource_ids) = by_subject.get_mut(&index_key) {
                    resource_ids.remove(&resource_id);
                    if resource_ids.is_empty() {
                        by_subject.remove(&index_key);
                    }
                }
            }
            !versions.is_empty()
        });
        while self
            .history
            .front()
            .is_some_and(|commit| commit.change_set.revision < horizon)
        {
            self.history.pop_front();
        }
        // The schema in force at the horizon stays: readable revisions see it.
        let in_force = self
            .schemas
            .partition_point(|schema| schema.revision <= horizon);
        self.schemas.drain(..in_force.saturating_sub(1));
        self.collected_before = self.collected_before.max(horizon);
    }
}

/// The value of a key visible at `revision` and not expired at `now`.
fn visible(versions: &[Version], revision: Revision, now: Timestamp) -> Option<&Relationship> {
    versions
        .iter()
        .find(|version| {
            version.created <= revision && version.deleted.is_none_or(|deleted| revision < deleted)
        })
        .map(|version| &version.relationship)
        .filter(|relationship| !relationship.is_expired_at(now))
}

/// Ends the key's current value at `revision`, returning it.
fn end_current(versions: &mut [Version], revision: Revision) -> Option<&Relationship> {
    let current = versions.last_mut().filter(|last| last.deleted.is_none())?;
    current.deleted = Some(revision);
    Some(&current.relationship)
}

/// Where `key` goes in the reverse index.
fn subject_index_entry(key: &Key) -> (SubjectIndexKey, String) {
    let index_key = (
        key.subject_type.clone(),
        key.subject_relation.clone(),
        key.subject_id.clone(),
        key.resource_type.clone(),
        key.relation.clone(),
    );
    (index_key, key.resource_id.clone())
}

/// The smallest key `filter` can match, as far as the store order's leading fields tell.
fn lower_bound(filter: &RelationshipFilter) -> Key {
    let mut key = Key::default();
    if let Some(resource_type) = &filter.resource_type {
        key.resource_type.clone_from(resource_type);
        if let Some(resource_id) = &filter.resource_id {
            key.resource_id.clone_from(resource_id);
            if let Some(relation) = &filter.relation {
                key.relation.clone_from(relation);
            }
        } else if let Some(prefix) = &filter.resource_id_prefix {
            key.resource_id.clone_from(prefix);
        }
    }
    key
}

/// Whether keys from `key` on (in store order) may still match `filter`; the first `false`
/// after [`lower_bound`] ends a scan.
fn may_match(filter: &RelationshipFilter, key: &Key) -> bool {
    let Some(resource_type) = &filter.resource_type else {
        return true;
    };
    key.resource_type == *resource_type
        && match (&filter.resource_id, &filter.resource_id_prefix) {
            (Some(resource_id), _) => {
                key.resource_id == *resource_id
                    && filter
                        .relation
                        .as_ref()
                        .is_none_or(|relation| key.relation == *relation)
            }
            (None, Some(prefix)) => key.resource_id.starts_with(prefix.as_str()),
            (None, None) => true,
        }
}

fn pin<K: Ord>(counts: &mut BTreeMap<K, usize>, key: K) {
    *counts.entry(key).or_default() += 1;
}

fn unpin<K: Ord>(counts: &mut BTreeMap<K, usize>, key: &K) {
    if let Some(count) = counts.get_mut(key) {
        *count -= 1;
        if *count == 0 {
            counts.remove(key);
        }
    }
}

/// Sorted, each once.
fn distinct<'a>(ids: &[&'a str]) -> BTreeSet<&'a str> {
    ids.iter().copied().collect()
}

/// Hands `found` to `sink` until it asks to stop.
fn feed(found: Vec<Relationship>, sink: &mut Sink<'_>) {
    for relationship in found {
        if sink(relationship).is_break() {
            break;
        }
    }
}

/// A [`Snapshot`] of a [`MemStore`]: the revision and clock reading it reads at.
struct MemSnapshot {
    shared: Arc<Shared>,
    revision: Revision,
    now: Timestamp,
}

impl Drop for MemSnapshot {
    fn drop(&mut self) {
        let mut pins = self.shared.pins.lock();
        unpin(&mut pins.revisions, &self.revision);
        unpin(&mut pins.clock_readings, &self.now);
    }
}

impl fmt::Debug for MemSnapshot {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MemSnapshot")
            .field("revision", &self.revision)
            .field("now", &self.now)
            .finish_non_exhaustive()
    }
}

// Reads collect under the lock and call the sink after releasing it, so a sink may read (or
// write) the store itself without deadlocking.
impl Snapshot for MemSnapshot {
    fn revision(&self) -> Revision {
        self.revision
    }

    fn find(
        &self,
        resource: &ObjectRef,
        relation: &str,
        subject: &SubjectRef,
    ) -> Result<Option<Relationship>, StoreError> {
        let key = OrderKey::from_parts(resource, relation, subject).to_owned_key();
        let state = self.shared.state.read();
        Ok(state
            .relationships
            .get(&key)
            .and_then(|versions| visible(versions, self.revision, self.now))
            .cloned())
    }

    fn read_resources(
        &self,
        query: &ResourceQuery<'_>,
        sink: &mut Sink<'_>,
    ) -> Result<(), StoreError> {
        let state = self.shared.state.read();
        let mut found = Vec::new();
        for resource_id in distinct(query.resource_ids) {
            let lower = Key {
                resource_type: query.resource_type.to_owned(),
                resource_id: resource_id.to_owned(),
                relation: query.relation.to_owned(),
                ..Key::default()
            };
            let of_resource = state
                .relationships
                .range(&lower..)
                .take_while(|(key, _)| {
                    key.resource_type == lower.resource_type
                        && key.resource_id == lower.resource_id
                        && key.relation == lower.relation
                })
                .filter(|(key, _)| {
                    query.subject.is_none_or(|selector| {
                        key.subject_type == selector.subject_type
                            && key.subject_relation.as_deref() == selector.subject_relation
                    })
                })
                .filter_map(|(_, versions)| visible(versions, self.revision, self.now));
            found.extend(of_resource.cloned());
        }
        drop(state);
        feed(found, sink);
        Ok(())
    }

    fn read_subjects(
        &self,
        query: &SubjectQuery<'_>,
        sink: &mut Sink<'_>,
    ) -> Result<(), StoreError> {
        let state = self.shared.state.read();
        let mut found = Vec::new();
        for subject_id in distinct(query.subject_ids) {
            let index_key = (
                query.subject_type.to_owned(),
                query.subject_relation.map(str::to_owned),
                subject_id.to_owned(),
                query.resource_type.to_owned(),
                query.relation.to_owned(),
            );
            let Some(resource_ids) = state.by_subject.get(&index_key) else {
                continue;
            };
            let (subject_type, subject_relation, subject_id, resource_type, relation) = index_key;
            let mut key = Key {
                resource_type,
                resource_id: String::new(),
                relation,
                subject_type,
                subject_relation,
                subject_id,
            };
            for resource_id in resource_ids {
                key.resource_id.clone_from(resource_id);
                found.extend(
                    state
                        .relationships
                        .get(&key)
                        .and_then(|versions| visible(versions, self.revision, self.now))
                        .cloned(),
                );
            }
        }
        drop(state);
        feed(found, sink);
        Ok(())
    }

    fn read_filtered(
        &self,
        filter: &RelationshipFilter,
        after: Option<&Relationship>,
        limit: Option<usize>,
    ) -> Result<Vec<Relationship>, StoreError> {
        Ok(self
            .shared
            .state
            .read()
            .matching(filter, self.revision, self.now, after, limit))
    }

    fn schema(&self) -> Result<Option<StoredSchema>, StoreError> {
        Ok(self.shared.state.read().schema_at(self.revision))
    }
}

#[cfg(test)]
mod tests {
    use std::ops::ControlFlow;

    use super::*;
    use crate::clock::ManualClock;
    use crate::write::Update;

    fn at(seconds: i64) -> Timestamp {
        Timestamp::from_second(seconds).unwrap()
    }

    fn touch(store: &MemStore, text: &str) -> Revision {
        store
            .write(WriteTransaction {
                updates: vec![Update {
                    operation: Operation::Touch,
                    relationship: text.parse().unwrap(),
                }],
                ..WriteTransaction::default()
            })
            .unwrap()
    }

    fn stored_values(store: &MemStore) -> usize {
        let state = store.shared.state.read();
        let indexed: usize = state.by_subject.values().map(BTreeSet::len).sum();
        assert_eq!(indexed, state.relationships.len());
        state.relationships.values().map(Vec::len).sum()
    }

    #[test]
    fn collection_frees_replaced_values_and_expired_relationships() {
        let clock = ManualClock::new(at(100));
        let store =
            MemStore::with_clock(Arc::new(clock.clone())).with_gc_window(GcWindow::Revisions(0));
        touch(&store, "doc:a#rel@usr:1");
        touch(&store, "doc:a#rel@usr:1[cav]");
        touch(&store, "doc:b#rel@usr:1[expiration:1970-01-01T00:03:00Z]");
        assert_eq!(stored_values(&store), 3);
        store.collect_garbage();
        assert_eq!(stored_values(&store), 2, "the replaced value is freed");
        clock.set(at(180));
        store.collect_garbage();
        assert_eq!(
            stored_values(&store),
            1,
            "the expired relationship is freed"
        );
        assert_eq!(store.shared.state.read().history.len(), 1);
    }

    #[test]
    fn live_snapshots_survive_collection() {
        let clock = ManualClock::new(at(100));
        let store =
            MemStore::with_clock(Arc::new(clock.clone())).with_gc_window(GcWindow::Revisions(0));
        let first = touch(&store, "doc:a#rel@usr:1[expiration:1970-01-01T00:03:00Z]");
        let snapshot = store.snapshot(first).unwrap();
        touch(&store, "doc:a#rel@usr:2");
        store
            .write(WriteTransaction {
                updates: vec![Update {
                    operation: Operation::Delete,
                    relationship: "doc:a#rel@usr:1".parse().unwrap(),
                }],
                ..WriteTransaction::default()
            })
            .unwrap();
        clock.set(at(200));
        store.collect_garbage();
        assert!(store.snapshot(first).is_err(), "outside the window");
        let all = snapshot
            .read_filtered(&RelationshipFilter::default(), None, None)
            .unwrap();
        assert_eq!(
            all.iter().map(ToString::to_string).collect::<Vec<_>>(),
            ["doc:a#rel@usr:1[expiration:1970-01-01T00:03:00Z]"]
        );
        drop(snapshot);
        store.collect_garbage();
        assert_eq!(stored_values(&store), 1);
    }

    #[test]
    fn a_sink_may_write_to_the_store_it_reads() {
        let store = MemStore::new();
        let revision = touch(&store, "doc:a#rel@usr:1");
        let snapshot = store.snapshot(revision).unwrap();
        let query = ResourceQuery {
            resource_type: "doc",
            resource_ids: &["a"],
            relation: "rel",
            subject: None,
        };
        snapshot
            .read_resources(&query, &mut |_| {
                touch(&store, "doc:a#rel@usr:2");
                ControlFlow::Continue(())
            })
            .unwrap();
        assert_eq!(store.head_revision(), revision.next());
    }
}
