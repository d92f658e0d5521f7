//! Garbage collection: advances the oldest readable revision to the first one the GC window
//! keeps and deletes what no readable revision can see any more.
//!
//! A pass scans the forward index once (a range scan on an implicit RocksDB snapshot, so it
//! never blocks or disturbs readers and writers) and, per tuple, deletes:
//! - every version older than the newest one at or below the horizon (superseded for every
//!   readable revision);
//! - that newest one too when it is a tombstone or expired, since "nothing" reads the same.
//!
//! Versions above the horizon stay, expired or not: a read between their revision and the
//! next one must still find them (and judge them expired), not an older version.

use std::sync::mpsc::{self, RecvTimeoutError};

use rocksdb::{ReadOptions, WriteBatch};
use tessera_store::StoreError;
use tessera_types::{Revision, Timestamp};

use crate::batch::{self, Families};
use crate::codec::{self, Version};
use crate::error::storage;
use crate::keys::{self, Index};
use crate::store::{self, Horizon, Shared};

/// Deletions per write batch (a batch only ends between tuples; see [`sweep`]).
const BATCH_DELETES: usize = 16 * 1024;

/// What one garbage-collection pass did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct GcStats {
    /// The oldest readable revision after the pass.
    pub oldest: Revision,
    /// How many relationship versions were deleted.
    pub versions_deleted: u64,
}

/// The collector thread: a pass every interval until `stop` closes.
pub(crate) fn run(shared: &Shared, stop: &mpsc::Receiver<()>) {
    loop {
        match stop.recv_timeout(shared.config.gc_interval) {
            Err(RecvTimeoutError::Timeout) => match collect(shared) {
                Ok(stats) => tracing::debug!(
                    oldest = stats.oldest.get(),
                    deleted = stats.versions_deleted,
                    "garbage collected"
                ),
                Err(err) => tracing::warn!(error = %err, "garbage collection failed"),
            },
            Ok(()) | Err(RecvTimeoutError::Disconnected) => return,
        }
    }
}

/// One pass.
pub(crate) fn collect(shared: &Shared) -> Result<GcStats, StoreError> {
    let _one_pass_at_a_time = shared.gc_lock.lock();
    let families = Families::of(shared)?;
    let now = shared.config.clock.now();
    let previous = shared.oldest();
    let horizon = shared.advance_oldest(first_kept(shared, now)?, now);
    if horizon.oldest > previous {
        // INVARIANT: the oldest revision is durable before anything older is deleted, so a
        // restart never offers a revision whose versions are gone.
        shared
            .db
            .put_cf_opt(
                families.meta,
                keys::META_OLDEST,
                codec::encode_u64(horizon.oldest.get()),
                &batch::durable(),
            )
            .map_err(storage)?;
    }
    let versions_deleted = sweep(shared, &families, horizon)?;
    trim_history(shared, &families, horizon.revision)?;
    Ok(GcStats {
        oldest: horizon.oldest,
        versions_deleted,
    })
}

/// The first revision the GC window keeps at `now`. The window keeps a suffix of the
/// revisions (commit times never decrease), so a binary search over the changelog headers
/// finds it.
fn first_kept(shared: &Shared, now: Timestamp) -> Result<Revision, StoreError> {
    let window = shared.config.gc_window;
    let head = shared.head();
    let keeps = |revision: Revision| -> Result<bool, StoreError> {
        Ok(window.keeps(revision, store::commit_time(shared, revision)?, head, now))
    };
    // INVARIANT: the window keeps `high` (the head, at least) and nothing below `low`.
    let (mut low, mut high) = (shared.oldest(), head);
    while low < high {
        let mid = Revision::new(low.get() + (high.get() - low.get()) / 2);
        if keeps(mid)? {
            high = mid;
        } else {
            low = mid.next();
        }
    }
    Ok(low)
}

/// Deletes the garbage versions of both indexes; returns how many.
fn sweep(shared: &Shared, families: &Families<'_>, horizon: Horizon) -> Result<u64, StoreError> {
    let mut options = ReadOptions::default();
    options.set_total_order_seek(true);
    // A full scan would evict the working set from the block cache.
    options.fill_cache(false);
    let mut iter = shared.db.raw_iterator_cf_opt(families.forward, options);
    let mut batch = WriteBatch::default();
    let mut tuple = Vec::new();
    let mut anchored = false;
    let mut newer_kept = false;
    let mut deleted = 0;
    iter.seek_to_first();
    while let Some((key, value)) = iter.item() {
        let (key_tuple, revision) = keys::split_version_key(key)?;
        if key_tuple != tuple.as_slice() {
            // INVARIANT: a batch holds all deletions of a tuple or none. A crash may keep one
            // column family's share of a batch and lose another's, but each then has all of
            // the tuple's garbage or none of it, and all read the same.
            if batch.len() >= BATCH_DELETES {
                shared
                    .db
                    .write(std::mem::take(&mut batch))
                    .map_err(storage)?;
            }
            tuple.clear();
            tuple.extend_from_slice(key_tuple);
            anchored = false;
            newer_kept = false;
        }
        if revision > horizon.revision {
            newer_kept = true;
        } else {
            // The first version at or below the horizon is the one the oldest reads see; when
            // it goes, everything older goes too.
            let anchor = !anchored;
            let garbage = anchored
                || match codec::decode_version(value)? {
                    Version::Tombstone => true,
                    Version::Live(attributes) => attributes.is_expired_at(horizon.expired_by),
                };
            anchored = true;
            if garbage && anchor && !newer_kept {
                // The tuple has no version left.
                batch.delete_cf(families.latest, &tuple);
            }
            if garbage {
                let (relationship, _) = Index::Forward.decode_version_key(key)?;
                batch.delete_cf(families.forward, key);
                batch.delete_cf(
                    families.reverse,
                    Index::Reverse.encode_version_key(&relationship, revision),
                );
                deleted += 1;
            }
        }
        iter.next();
    }
    iter.status().map_err(storage)?;
    shared.db.write(batch).map_err(storage)?;
    Ok(deleted)
}

/// Deletes changelog revisions below `horizon` and schemas superseded at it.
fn trim_history(
    shared: &Shared,
    families: &Families<'_>,
    horizon: Revision,
) -> Result<(), StoreError> {
    let mut batch = WriteBatch::default();
    batch.delete_range_cf(
        families.changelog,
        keys::encode_changelog_key(Revision::ZERO, 0),
        keys::encode_changelog_key(horizon, keys::CHANGELOG_HEADER_CHUNK),
    );
    let mut schemas = shared.db.raw_iterator_cf(families.schema);
    schemas.seek_for_prev(keys::encode_schema_key(horizon));
    if let Some(in_force) = schemas.key() {
        batch.delete_range_cf(
            families.schema,
            &keys::encode_schema_key(Revision::ZERO)[..],
            in_force,
        );
    }
    schemas.status().map_err(storage)?;
    shared.db.write(batch).map_err(storage)
}
