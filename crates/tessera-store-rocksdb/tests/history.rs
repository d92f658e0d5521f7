//! What the RocksDB store adds to the conformance suite: open snapshots survive collection,
//! collection deletes exactly the garbage, and failed bulk imports leave nothing behind.

#![expect(
    clippy::unwrap_used,
    reason = "helpers of a test: a failure is the test failing"
)]

use std::panic::{self, AssertUnwindSafe};
use std::path::Path;
use std::sync::Arc;

use tessera_store::{
    Change, Datastore, GcWindow, ManualClock, Operation, RelationshipFilter, StoreError, Update,
    WriteTransaction,
};
use tessera_store_rocksdb::{GcStats, RocksConfig, RocksStore};
use tessera_types::{Relationship, Revision, Timestamp};

fn at(seconds: i64) -> Timestamp {
    Timestamp::from_second(1_900_000_000 + seconds).unwrap()
}

fn open(dir: &Path, clock: &ManualClock, gc_window: GcWindow) -> RocksStore {
    let config = RocksConfig {
        clock: Arc::new(clock.clone()),
        gc_window,
        ..RocksConfig::default()
    };
    RocksStore::open(dir, config).unwrap()
}

fn rel(text: &str) -> Relationship {
    text.parse().unwrap()
}

fn write(store: &RocksStore, operation: Operation, relationships: &[Relationship]) -> Revision {
    let updates = relationships
        .iter()
        .map(|relationship| Update {
            operation,
            relationship: relationship.clone(),
        })
        .collect();
    store
        .write(WriteTransaction {
            updates,
            ..WriteTransaction::default()
        })
        .unwrap()
}

fn all_at(store: &RocksStore, revision: u64) -> Vec<String> {
    store
        .snapshot(Revision::new(revision))
        .unwrap()
        .read_filtered(&RelationshipFilter::default(), None, None)
        .unwrap()
        .iter()
        .map(ToString::to_string)
        .collect()
}

#[test]
fn collection_deletes_superseded_deleted_and_expired_versions_only() {
    let dir = tempfile::tempdir().unwrap();
    let clock = ManualClock::new(at(0));
    let store = open(dir.path(), &clock, GcWindow::Revisions(1));
    let expiring = rel("doc:c#viewer@user:1").with_expiration(Some(at(10)));
    write(
        &store,
        Operation::Create,
        &[
            rel("doc:a#viewer@user:1"),
            rel("doc:b#viewer@user:1"),
            expiring,
        ],
    ); // r1
    write(&store, Operation::Touch, &[rel("doc:a#viewer@user:1")]); // r2: a@1 superseded
    write(&store, Operation::Delete, &[rel("doc:b#viewer@user:1")]); // r3: b@1 and b@3 go
    let later = rel("doc:d#viewer@user:1").with_expiration(Some(at(10)));
    write(&store, Operation::Touch, &[later]); // r4: expired, but above the horizon
    clock.set(at(20));

    let stats = store.collect_garbage().unwrap();
    // a@1, b@1, b@3 (tombstone), c@1 (expired); d@4 stays, or a read at 4 would fall
    // through to whatever d was before.
    assert_eq!(
        stats,
        GcStats {
            oldest: Revision::new(3),
            versions_deleted: 4
        }
    );
    assert_eq!(all_at(&store, 4), ["doc:a#viewer@user:1"]);
    assert_eq!(store.collect_garbage().unwrap().versions_deleted, 0);
    assert!(matches!(
        store.snapshot(Revision::new(2)),
        Err(StoreError::RevisionExpired { .. })
    ));
}

#[test]
fn open_snapshots_keep_what_they_read_through_collection() {
    let dir = tempfile::tempdir().unwrap();
    let clock = ManualClock::new(at(0));
    let store = open(dir.path(), &clock, GcWindow::Revisions(0));
    let expiring = rel("doc:e#viewer@user:1").with_expiration(Some(at(10)));
    write(
        &store,
        Operation::Touch,
        &[rel("doc:a#viewer@user:1"), expiring],
    ); // r1
    let old = store.snapshot(Revision::new(1)).unwrap();
    write(&store, Operation::Delete, &[rel("doc:a#viewer@user:1")]); // r2
    clock.set(at(20)); // e expires for new readers, not for `old`

    let stats = store.collect_garbage().unwrap();
    assert_eq!(stats.oldest, Revision::new(2));
    assert_eq!(stats.versions_deleted, 0, "`old` still reads every version");
    let everything = old
        .read_filtered(&RelationshipFilter::default(), None, None)
        .unwrap();
    assert_eq!(everything.len(), 2);

    drop(old);
    assert_eq!(store.collect_garbage().unwrap().versions_deleted, 3);
    assert!(all_at(&store, 2).is_empty());
}

#[test]
fn the_oldest_revision_survives_a_reopen() {
    let dir = tempfile::tempdir().unwrap();
    let clock = ManualClock::new(at(0));
    let store = open(dir.path(), &clock, GcWindow::Revisions(1));
    for i in 0..5 {
        write(
            &store,
            Operation::Touch,
            &[rel(&format!("doc:a#viewer@user:{i}"))],
        );
    }
    assert_eq!(store.collect_garbage().unwrap().oldest, Revision::new(4));
    drop(store);
    // Even with a window that would keep everything, collected history stays gone.
    let store = open(dir.path(), &clock, GcWindow::KeepAll);
    assert_eq!(store.oldest_revision(), Revision::new(4));
    assert!(store.snapshot(Revision::new(3)).is_err());
}

/// Relationships for imports: `folder:f{i}#viewer@user:u{i}`.
fn folders(range: std::ops::Range<usize>) -> impl Iterator<Item = Relationship> {
    range.map(|i| rel(&format!("folder:f{i}#viewer@user:u{i}")))
}

/// After a failed import the store holds what it held `before`, and the next commit (at the
/// revision the import would have used) shows nothing of the import.
fn assert_nothing_imported(store: &RocksStore, before: &str) {
    let head = store.head_revision().get();
    assert_eq!(head, 1);
    assert_eq!(all_at(store, head), [before]);
    let next = write(store, Operation::Touch, &[rel("doc:after#viewer@user:1")]);
    assert_eq!(next, Revision::new(head + 1));
    assert_eq!(all_at(store, head + 1), ["doc:after#viewer@user:1", before]);
    let changes = store.changes_after(Revision::new(head), 10).unwrap();
    assert_eq!(
        changes
            .iter()
            .map(|set| set.changes.clone())
            .collect::<Vec<_>>(),
        [vec![Change::Touch(rel("doc:after#viewer@user:1"))]]
    );
}

#[test]
fn an_import_repeating_a_relationship_across_batches_imports_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path(), &ManualClock::new(at(0)), GcWindow::KeepAll);
    write(&store, Operation::Touch, &[rel("doc:before#viewer@user:1")]);
    // Far enough apart that the repeat lands in a later write batch than the original.
    let err = store
        .bulk_import(&mut folders(0..40_000).chain(folders(5..6)))
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "relationship `folder:f5#viewer@user:u5` already exists; use TOUCH to overwrite it"
    );
    assert_nothing_imported(&store, "doc:before#viewer@user:1");
}

#[test]
fn an_import_of_an_existing_relationship_imports_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path(), &ManualClock::new(at(0)), GcWindow::KeepAll);
    write(
        &store,
        Operation::Touch,
        &[rel("folder:f30000#viewer@user:u30000")],
    );
    let err = store.bulk_import(&mut folders(0..40_000)).unwrap_err();
    assert!(matches!(err, StoreError::AlreadyExists(_)), "{err:?}");
    assert_nothing_imported(&store, "folder:f30000#viewer@user:u30000");
}

#[test]
fn an_import_whose_input_panics_imports_nothing_and_the_store_goes_on() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path(), &ManualClock::new(at(0)), GcWindow::KeepAll);
    write(&store, Operation::Touch, &[rel("doc:before#viewer@user:1")]);
    let outcome = panic::catch_unwind(AssertUnwindSafe(|| {
        let mut input = folders(0..40_000).inspect(|relationship| {
            assert_ne!(
                relationship.resource().object_id(),
                "f20000",
                "the input broke"
            );
        });
        store.bulk_import(&mut input)
    }));
    assert!(outcome.is_err());
    assert_nothing_imported(&store, "doc:before#viewer@user:1");
    let (revision, count) = store.bulk_import(&mut folders(0..40_000)).unwrap();
    assert_eq!((revision, count), (Revision::new(3), 40_000));
}
