//! Bulk import: millions of relationships in many batches at one new revision, visible all at
//! once when the head moves to it, or not at all.
//!
//! INVARIANT: data above the head is invisible (every read takes the newest version at or
//! below its revision, which is at most the head) and never survives into a revision that
//! becomes visible. An import writes at `head + 1` and records that revision in
//! [`keys::META_IMPORT`], durably, before its first batch. On success the last batch moves the
//! head and removes the marker, atomically. On failure the versions, changes and schemas above
//! the head are deleted before the writer lock is released; a crash leaves the marker behind,
//! and opening the store deletes them before anything else can write.

use std::collections::HashSet;

use rocksdb::{ColumnFamily, WriteBatch, WriteOptions};
use tessera_store::{Change, StoreError};
use tessera_types::{Relationship, Revision};

use crate::batch::{self, CHANGES_PER_CHUNK, Families};
use crate::codec::{self, CommitHeader};
use crate::error::storage;
use crate::keys::{self, Index};
use crate::read::{Scope, View};
use crate::store::{Shared, WriterState};

/// Relationships per write batch: large enough to amortise the write, small enough to keep
/// memory flat however large the import.
const BATCH_RELATIONSHIPS: usize = 16 * 1024;

/// Imports `relationships` at a new revision; returns it and the count.
pub(crate) fn bulk_import(
    shared: &Shared,
    relationships: &mut dyn Iterator<Item = Relationship>,
) -> Result<(Revision, u64), StoreError> {
    let mut writer = shared.writer.lock();
    writer.check_usable()?;
    let families = Families::of(shared)?;
    let head = shared.head();
    let revision = head.next();
    mark(shared, &families, revision)?;
    let now = shared.config.clock.now();
    let committed_at = now.max(writer.last_committed_at);
    let mut pending = Pending {
        shared,
        writer: &mut writer,
        published: false,
    };
    let view = View {
        shared,
        revision: head,
        now,
    };
    let count = write_all(&view, &families, revision, relationships)?;
    let mut batch = WriteBatch::default();
    let header = CommitHeader {
        committed_at,
        schema_changed: false,
        metadata: None,
    };
    families.put_commit(&mut batch, revision, &header);
    batch.delete_cf(families.meta, keys::META_IMPORT);
    shared
        .db
        .write_opt(batch, &batch::durable())
        .map_err(storage)?;
    pending.writer.last_committed_at = committed_at;
    pending.published = true;
    shared.publish_head(revision);
    Ok((revision, count))
}

/// Records, durably, that versions are about to be written at `revision` above the head.
fn mark(shared: &Shared, families: &Families<'_>, revision: Revision) -> Result<(), StoreError> {
    shared
        .db
        .put_cf_opt(
            families.meta,
            keys::META_IMPORT,
            codec::encode_u64(revision.get()),
            &batch::durable(),
        )
        .map_err(storage)
}

/// An import in progress: unless it is published, dropping it (on an error, or a panic in
/// the caller's iterator) discards what it wrote, before the writer lock is released.
struct Pending<'a, 'w> {
    shared: &'a Shared,
    writer: &'w mut WriterState,
    published: bool,
}

impl Drop for Pending<'_, '_> {
    fn drop(&mut self) {
        if self.published {
            return;
        }
        if let Err(err) = discard_above_head(self.shared) {
            tracing::error!(error = %err, "cannot discard a failed bulk import");
            self.writer.broken = Some(format!("a failed bulk import was not cleaned up: {err}"));
        }
    }
}

/// Writes every relationship as a version at `revision` (above the head of `view`), with its
/// changelog entries; returns how many.
fn write_all(
    view: &View<'_>,
    families: &Families<'_>,
    revision: Revision,
    relationships: &mut dyn Iterator<Item = Relationship>,
) -> Result<u64, StoreError> {
    let db = &view.shared.db;
    let unsynced = WriteOptions::default();
    let mut changes = Vec::with_capacity(CHANGES_PER_CHUNK);
    let mut chunk = 0;
    let mut count = 0;
    let mut pending: Vec<(Vec<u8>, Relationship)> = Vec::with_capacity(BATCH_RELATIONSHIPS);
    let mut relationships = relationships.peekable();
    while relationships.peek().is_some() {
        pending.extend(
            relationships
                .by_ref()
                .take(BATCH_RELATIONSHIPS)
                .map(|r| (Index::Forward.encode_relationship_tuple(&r), r)),
        );
        let existing = existing(view, families, &pending, revision)?;
        let mut in_batch = HashSet::with_capacity(pending.len());
        let mut batch = WriteBatch::default();
        for ((tuple, relationship), exists) in pending.drain(..).zip(existing) {
            if exists || !in_batch.insert(tuple) {
                return Err(StoreError::AlreadyExists(Box::new(relationship)));
            }
            let change = Change::Touch(relationship);
            families.put_change(&mut batch, revision, &change);
            changes.push(change);
            count += 1;
            if changes.len() == CHANGES_PER_CHUNK {
                chunk += 1;
                families.put_change_chunk(&mut batch, revision, chunk, &changes);
                changes.clear();
            }
        }
        db.write_opt(batch, &unsynced).map_err(storage)?;
    }
    if !changes.is_empty() {
        let mut batch = WriteBatch::default();
        families.put_change_chunk(&mut batch, revision, chunk + 1, &changes);
        db.write_opt(batch, &unsynced).map_err(storage)?;
    }
    Ok(count)
}

/// For each tuple of `pending`, whether it is live at the head of `view` or was already
/// written by this import in an earlier batch: one batched read of the latest versions
/// answers both.
fn existing(
    view: &View<'_>,
    families: &Families<'_>,
    pending: &[(Vec<u8>, Relationship)],
    revision: Revision,
) -> Result<Vec<bool>, StoreError> {
    let tuples = pending.iter().map(|(tuple, _)| tuple.as_slice());
    view.shared
        .db
        .batched_multi_get_cf(families.latest, tuples, false)
        .into_iter()
        .map(|found| {
            let Some(value) = found.map_err(storage)? else {
                return Ok(false);
            };
            let (found, version) = codec::decode_latest(&value)?;
            Ok(found == revision
                || codec::decode_version(version)?
                    .visible_at(view.now)
                    .is_some())
        })
        .collect()
}

/// Deletes every version, change and schema above the head and points the latest entries
/// back at the head, then removes the import marker. Every step is idempotent.
///
/// # Errors
/// Storage failures; the marker stays, so the next open tries again.
pub(crate) fn discard_above_head(shared: &Shared) -> Result<(), StoreError> {
    let families = Families::of(shared)?;
    let head = shared.head();
    for index in [Index::Forward, Index::Reverse] {
        delete_versions_above(shared, families.index(index), index, head)?;
    }
    restore_latest(shared, &families, head)?;
    let mut batch = WriteBatch::default();
    let above = head.next();
    batch.delete_range_cf(
        families.changelog,
        keys::encode_changelog_key(above, 0),
        keys::encode_changelog_key(Revision::new(u64::MAX), u32::MAX),
    );
    batch.delete_range_cf(
        families.schema,
        keys::encode_schema_key(above),
        keys::encode_schema_key(Revision::new(u64::MAX)),
    );
    batch.delete_cf(families.meta, keys::META_IMPORT);
    // Synced: the deletions above (unsynced) are in the log before this record.
    shared
        .db
        .write_opt(batch, &batch::durable())
        .map_err(storage)
}

/// Deletes the versions above `head` in one index, by a full scan: only a failed import or
/// a crash during one pays for it.
fn delete_versions_above(
    shared: &Shared,
    family: &ColumnFamily,
    index: Index,
    head: Revision,
) -> Result<(), StoreError> {
    let mut iter = shared.iterator(index, Scope::Total)?;
    let mut batch = WriteBatch::default();
    iter.seek_to_first();
    while let Some(key) = iter.key() {
        let (_, revision) = keys::split_version_key(key)?;
        if revision > head {
            batch.delete_cf(family, key);
            if batch.len() >= BATCH_RELATIONSHIPS {
                shared
                    .db
                    .write(std::mem::take(&mut batch))
                    .map_err(storage)?;
            }
        }
        iter.next();
    }
    iter.status().map_err(storage)?;
    shared.db.write(batch).map_err(storage)
}

/// Points every latest entry above `head` back at the tuple's newest version at or below it,
/// or deletes it when there is none. Scans the latest entries rather than trusting the
/// forward index, so that a rerun after a crash finds whatever is left.
fn restore_latest(
    shared: &Shared,
    families: &Families<'_>,
    head: Revision,
) -> Result<(), StoreError> {
    let mut latest = shared.db.raw_iterator_cf(families.latest);
    let mut forward = shared.iterator(Index::Forward, Scope::Prefix)?;
    let mut batch = WriteBatch::default();
    latest.seek_to_first();
    while let Some((tuple, value)) = latest.item() {
        let (revision, _) = codec::decode_latest(value)?;
        if revision > head {
            forward.seek(keys::version_key(tuple, head));
            match forward.item() {
                Some((key, version)) if keys::is_version_of(key, tuple) => {
                    let (_, revision) = keys::split_version_key(key)?;
                    batch.put_cf(
                        families.latest,
                        tuple,
                        codec::encode_latest(revision, version),
                    );
                }
                _ => batch.delete_cf(families.latest, tuple),
            }
            forward.status().map_err(storage)?;
            if batch.len() >= BATCH_RELATIONSHIPS {
                shared
                    .db
                    .write(std::mem::take(&mut batch))
                    .map_err(storage)?;
            }
        }
        latest.next();
    }
    latest.status().map_err(storage)?;
    shared.db.write(batch).map_err(storage)
}

#[cfg(test)]
mod tests {
    use std::ops::ControlFlow;
    use std::sync::Arc;

    use tessera_store::{
        Clock, Datastore, ManualClock, Operation, RelationshipFilter, Update, WriteTransaction,
    };

    use tessera_types::Timestamp;

    use super::*;
    use crate::{RocksConfig, RocksStore};

    fn config(clock: &ManualClock) -> RocksConfig {
        RocksConfig {
            clock: Arc::new(clock.clone()),
            ..RocksConfig::default()
        }
    }

    fn imported(n: usize) -> impl Iterator<Item = Relationship> {
        (0..n).map(|i| format!("folder:f{i}#viewer@user:u{i}").parse().unwrap())
    }

    #[test]
    fn an_import_interrupted_by_a_crash_is_discarded_when_the_store_reopens() {
        let dir = tempfile::tempdir().unwrap();
        let clock = ManualClock::new(Timestamp::UNIX_EPOCH);
        let store = RocksStore::open(dir.path(), config(&clock)).unwrap();
        let kept: Relationship = "doc:d#viewer@user:kept".parse().unwrap();
        let touch = |relationship: &Relationship| WriteTransaction {
            updates: vec![Update {
                operation: Operation::Touch,
                relationship: relationship.clone(),
            }],
            ..WriteTransaction::default()
        };
        store.write(touch(&kept)).unwrap();

        // What an import does before the crash: the marker, then several batches above the
        // head; the head never moves.
        {
            let shared = store.shared();
            let families = Families::of(shared).unwrap();
            let view = View {
                shared,
                revision: Revision::new(1),
                now: clock.now(),
            };
            mark(shared, &families, Revision::new(2)).unwrap();
            let written = write_all(&view, &families, Revision::new(2), &mut imported(40_000));
            assert_eq!(written.unwrap(), 40_000);
        }
        drop(store);

        let store = RocksStore::open(dir.path(), config(&clock)).unwrap();
        assert_eq!(store.head_revision(), Revision::new(1));
        let other: Relationship = "doc:d#viewer@user:other".parse().unwrap();
        assert_eq!(store.write(touch(&other)).unwrap(), Revision::new(2));
        let everything = store
            .snapshot(Revision::new(2))
            .unwrap()
            .read_filtered(&RelationshipFilter::default(), None, None)
            .unwrap();
        assert_eq!(everything, [kept, other.clone()]);
        let changes = store.changes_after(Revision::new(1), 10).unwrap();
        assert_eq!(changes.len(), 1);
        assert_eq!(changes[0].changes, [Change::Touch(other)]);
        // Not even at a revision above the head.
        let mut left_over = 0;
        let view = View {
            shared: store.shared(),
            revision: Revision::new(u64::MAX),
            now: clock.now(),
        };
        let mut iter = view.iterator(Index::Forward, Scope::Total).unwrap();
        let _ = view
            .scan(&mut iter, Index::Forward, &[], &[], &mut |_| {
                left_over += 1;
                ControlFlow::Continue(())
            })
            .unwrap();
        assert_eq!(left_over, 2, "nothing of the interrupted import is left");
    }
}
