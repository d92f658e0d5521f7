//! The schema a snapshot sees follows revisions, whether it comes from the in-memory newest
//! schema or from disk, before and after a reopen.

#![expect(
    clippy::unwrap_used,
    reason = "helpers of a test: a failure is the test failing"
)]

use tessera_store::{Datastore, SchemaWrite};
use tessera_store_rocksdb::{RocksConfig, RocksStore};

fn write(store: &RocksStore, text: &str) -> tessera_types::Revision {
    store
        .write_schema(SchemaWrite {
            text: text.to_owned(),
            preconditions: Vec::new(),
        })
        .unwrap()
}

fn schema_at(store: &RocksStore, revision: tessera_types::Revision) -> Option<String> {
    let snapshot = store.snapshot(revision).unwrap();
    snapshot.schema().unwrap().map(|schema| schema.text)
}

#[test]
fn snapshots_see_the_schema_of_their_revision_across_reopens() {
    let dir = tempfile::tempdir().unwrap();
    let (before, first, second) = {
        let store = RocksStore::open(dir.path(), RocksConfig::default()).unwrap();
        let before = store.head_revision();
        let first = write(&store, "definition user {}");
        let held = store.snapshot(first).unwrap();
        let second = write(&store, "definition user {}\ndefinition team {}");
        assert_eq!(schema_at(&store, before), None);
        assert_eq!(schema_at(&store, first).unwrap(), "definition user {}");
        // A snapshot taken before the newer schema still sees the older one.
        assert_eq!(held.schema().unwrap().unwrap().text, "definition user {}");
        let newest = schema_at(&store, second).unwrap();
        assert!(newest.ends_with("team {}"), "{newest}");
        (before, first, second)
    };
    let store = RocksStore::open(dir.path(), RocksConfig::default()).unwrap();
    assert_eq!(schema_at(&store, before), None);
    assert_eq!(schema_at(&store, first).unwrap(), "definition user {}");
    let stored = store.snapshot(second).unwrap().schema().unwrap().unwrap();
    assert_eq!(stored.revision, second);
    assert!(stored.text.ends_with("team {}"));
}
