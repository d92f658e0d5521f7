//! The conformance suite: what every [`Datastore`] must do, written once and run against each
//! backend.
//!
//! A backend's tests implement [`Backend`] and expand `tessera_store::conformance_tests!`,
//! which emits one `#[test]` per case of this module, named after it:
//!
//! ```no_run
//! use std::sync::Arc;
//!
//! use tessera_store::conformance::Backend;
//! use tessera_store::{Clock, GcWindow, MemStore, StoreError};
//!
//! struct Mem;
//!
//! impl Backend for Mem {
//!     type Store = MemStore;
//!
//!     fn open(&self, clock: Arc<dyn Clock>, gc_window: GcWindow) -> MemStore {
//!         MemStore::with_clock(clock).with_gc_window(gc_window)
//!     }
//!
//!     fn collect_garbage(&self, store: &MemStore) -> Result<(), StoreError> {
//!         store.collect_garbage();
//!         Ok(())
//!     }
//! }
//!
//! tessera_store::conformance_tests!(Mem);
//! ```
//!
//! Each case is also a public function taking the backend, for running one by hand. Cases
//! panic on a violation, like any test.

#![expect(
    clippy::unwrap_used,
    reason = "conformance cases are tests run from other crates: a violation is a panic"
)]

mod model;

use std::cmp::Ordering;
use std::collections::{BTreeMap, BTreeSet};
use std::ops::ControlFlow;
use std::sync::Arc;
use std::time::Duration;

use serde_json::{Map, Value};
use tessera_types::{ContextualizedCaveat, Relationship, Revision, Timestamp};

use crate::{
    Change, ChangeSet, Clock, Datastore, DeleteByFilter, DeleteOutcome, GcWindow, ManualClock,
    Operation, Precondition, PreconditionKind, RelationshipFilter, ResourceQuery, SchemaWrite,
    Snapshot, StoreError, StoredSchema, SubjectFilter, SubjectQuery, SubjectRelationFilter,
    SubjectSelector, SystemClock, Update, WriteTransaction, store_order,
};

pub use model::random_histories_match_the_model;

/// How the suite opens, collects and reopens the stores of one backend.
pub trait Backend {
    /// The store under test.
    type Store: Datastore;

    /// A new, empty store reading time from `clock` and keeping `gc_window` of history.
    fn open(&self, clock: Arc<dyn Clock>, gc_window: GcWindow) -> Self::Store;

    /// Runs garbage collection now, as the backend's periodic collector would.
    ///
    /// # Errors
    /// Whatever the backend's collection reports.
    fn collect_garbage(&self, store: &Self::Store) -> Result<(), StoreError>;

    /// Closes `store` and opens its data again with these settings; `None` (the default) for a
    /// backend that keeps nothing across opens, which skips the reopening cases.
    fn reopen(
        &self,
        store: Self::Store,
        clock: Arc<dyn Clock>,
        gc_window: GcWindow,
    ) -> Option<Self::Store> {
        drop((store, clock, gc_window));
        None
    }
}

/// Expands to one `#[test]` per conformance case, each running it against `$backend` (an
/// expression evaluated afresh for every test, yielding a [`conformance::Backend`]).
///
/// [`conformance::Backend`]: crate::conformance::Backend
#[macro_export]
macro_rules! conformance_tests {
    ($backend:expr) => {
        $crate::conformance_tests!(@cases $backend;
            empty_store_starts_at_revision_zero,
            datastore_ids_differ_between_stores,
            find_returns_stored_relationships_with_their_attributes,
            read_resources_reads_many_ids_in_store_order,
            read_resources_subject_selector_picks_type_and_relation,
            reads_stop_when_the_sink_breaks,
            read_subjects_groups_by_subject_id,
            read_filtered_honours_every_filter_field,
            read_filtered_resumes_after_a_cursor,
            read_filtered_limits_results,
            create_of_an_existing_relationship_fails_and_writes_nothing,
            create_over_an_expired_relationship_succeeds,
            touch_replaces_caveat_and_expiration,
            delete_of_a_missing_relationship_changes_nothing,
            preconditions_see_the_state_before_the_updates,
            must_match_needs_a_live_relationship,
            failed_precondition_writes_nothing_and_names_the_precondition,
            writes_validated_against_a_replaced_schema_fail,
            every_commit_takes_the_next_revision,
            delete_by_filter_deletes_every_match,
            delete_by_filter_over_its_limit_fails_unless_partial,
            partial_delete_by_filter_deletes_the_first_matches_in_store_order,
            delete_by_filter_at_exactly_its_limit_is_complete,
            delete_by_filter_checks_preconditions,
            bulk_import_commits_everything_at_one_revision,
            bulk_import_with_a_duplicate_imports_nothing,
            snapshots_never_see_later_writes,
            old_revisions_stay_exact_after_many_writes,
            deleted_and_recreated_keys_read_exactly_at_each_revision,
            revisions_after_the_head_are_unreadable,
            schema_history_follows_revisions,
            write_schema_checks_preconditions,
            changelog_reports_each_revision_in_commit_order,
            changelog_pages_by_limit,
            subscribers_see_each_new_head,
            expired_relationships_vanish_from_every_read,
            expiry_is_not_a_change,
            revision_windows_expire_old_revisions,
            duration_windows_expire_old_revisions,
            keep_all_keeps_every_revision,
            reopened_store_serves_old_revisions_exactly,
            concurrent_writers_get_unique_dense_revisions,
            random_histories_match_the_model,
        );
    };
    (@cases $backend:expr; $($case:ident),* $(,)?) => {
        $(
            #[test]
            fn $case() {
                $crate::conformance::$case(&$backend);
            }
        )*
    };
}

// ---------------------------------------------------------------------------------------------
// Vocabulary shared by the cases.

/// 2030-01-01T00:00:00Z, where every manual clock starts.
const T0_SECONDS: i64 = 1_893_456_000;

fn t0() -> Timestamp {
    at(0)
}

/// `seconds` after [`t0`].
fn at(seconds: i64) -> Timestamp {
    Timestamp::from_second(T0_SECONDS + seconds).unwrap()
}

fn rel(text: &str) -> Relationship {
    text.parse()
        .unwrap_or_else(|err| unreachable!("bad test relationship `{text}`: {err}"))
}

fn rels(texts: &[&str]) -> Vec<Relationship> {
    texts.iter().map(|text| rel(text)).collect()
}

/// `text` expiring `seconds` after [`t0`].
fn expiring(text: &str, seconds: i64) -> Relationship {
    rel(text).with_expiration(Some(at(seconds)))
}

fn caveated(text: &str, name: &str, context: &[(&str, Value)]) -> Relationship {
    let context: Map<String, Value> = context
        .iter()
        .map(|(key, value)| ((*key).to_owned(), value.clone()))
        .collect();
    rel(text).with_caveat(Some(ContextualizedCaveat::new(name, context).unwrap()))
}

fn strings(relationships: &[Relationship]) -> Vec<String> {
    relationships.iter().map(ToString::to_string).collect()
}

fn sorted(mut relationships: Vec<Relationship>) -> Vec<Relationship> {
    relationships.sort_by(store_order);
    relationships
}

fn update(operation: Operation, relationship: Relationship) -> Update {
    Update {
        operation,
        relationship,
    }
}

fn transaction(updates: Vec<Update>) -> WriteTransaction {
    WriteTransaction {
        updates,
        ..WriteTransaction::default()
    }
}

fn apply(
    store: &dyn Datastore,
    operation: Operation,
    relationships: Vec<Relationship>,
) -> Revision {
    let updates = relationships
        .into_iter()
        .map(|relationship| update(operation, relationship))
        .collect();
    store.write(transaction(updates)).unwrap()
}

fn touch(store: &dyn Datastore, relationships: Vec<Relationship>) -> Revision {
    apply(store, Operation::Touch, relationships)
}

fn delete(store: &dyn Datastore, relationships: Vec<Relationship>) -> Revision {
    apply(store, Operation::Delete, relationships)
}

fn delete_matching(store: &dyn Datastore, filter: RelationshipFilter) -> DeleteOutcome {
    store
        .delete_by_filter(DeleteByFilter {
            filter,
            preconditions: Vec::new(),
            limit: None,
            allow_partial: false,
            metadata: None,
        })
        .unwrap()
}

fn write_schema(store: &dyn Datastore, text: &str) -> Revision {
    store
        .write_schema(SchemaWrite {
            text: text.to_owned(),
            preconditions: Vec::new(),
        })
        .unwrap()
}

fn everything() -> RelationshipFilter {
    RelationshipFilter::default()
}

fn of_type(resource_type: &str) -> RelationshipFilter {
    RelationshipFilter {
        resource_type: Some(resource_type.to_owned()),
        ..RelationshipFilter::default()
    }
}

/// The filter matching exactly `relationship`'s key.
fn exactly(relationship: &Relationship) -> RelationshipFilter {
    let subject = relationship.subject();
    RelationshipFilter {
        resource_type: Some(relationship.resource().object_type().to_owned()),
        resource_id: Some(relationship.resource().object_id().to_owned()),
        resource_id_prefix: None,
        relation: Some(relationship.relation().to_owned()),
        subject: Some(SubjectFilter {
            subject_type: subject.object_type().to_owned(),
            subject_id: Some(subject.object_id().to_owned()),
            relation: Some(
                subject
                    .relation()
                    .map_or(SubjectRelationFilter::Ellipsis, |r| {
                        SubjectRelationFilter::Named(r.to_owned())
                    }),
            ),
        }),
    }
}

fn precondition(kind: PreconditionKind, filter: RelationshipFilter) -> Precondition {
    Precondition { kind, filter }
}

fn metadata(key: &str, value: &str) -> Map<String, Value> {
    Map::from_iter([(key.to_owned(), Value::from(value))])
}

fn snapshot(store: &dyn Datastore, revision: Revision) -> Arc<dyn Snapshot> {
    store
        .snapshot(revision)
        .unwrap_or_else(|err| unreachable!("snapshot at {revision}: {err}"))
}

fn head_snapshot(store: &dyn Datastore) -> Arc<dyn Snapshot> {
    snapshot(store, store.head_revision())
}

/// Everything a snapshot holds, in store order.
fn all(snapshot: &dyn Snapshot) -> Vec<Relationship> {
    snapshot.read_filtered(&everything(), None, None).unwrap()
}

fn all_at(store: &dyn Datastore, revision: Revision) -> Vec<Relationship> {
    all(&*snapshot(store, revision))
}

fn find(snapshot: &dyn Snapshot, relationship: &Relationship) -> Option<Relationship> {
    snapshot
        .find(
            relationship.resource(),
            relationship.relation(),
            relationship.subject(),
        )
        .unwrap()
}

/// Everything `filter` matches, read in pages of `page_size`, each resuming after the last
/// result; a page that does not move past its cursor fails (rather than loop forever).
fn read_in_pages(
    snapshot: &dyn Snapshot,
    filter: &RelationshipFilter,
    page_size: usize,
) -> Vec<Relationship> {
    let mut paged: Vec<Relationship> = Vec::new();
    loop {
        let page = snapshot
            .read_filtered(filter, paged.last(), Some(page_size))
            .unwrap();
        assert!(
            page.len() <= page_size,
            "{} results for a limit of {page_size}",
            page.len()
        );
        if let (Some(cursor), Some(first)) = (paged.last(), page.first()) {
            assert_eq!(
                store_order(first, cursor),
                Ordering::Greater,
                "the page after {cursor} starts at {first}"
            );
        }
        let done = page.len() < page_size;
        paged.extend(page);
        if done {
            return paged;
        }
    }
}

fn read_resources(snapshot: &dyn Snapshot, query: &ResourceQuery<'_>) -> Vec<Relationship> {
    let mut found = Vec::new();
    snapshot
        .read_resources(query, &mut |relationship| {
            found.push(relationship);
            ControlFlow::Continue(())
        })
        .unwrap();
    found
}

fn read_subjects(snapshot: &dyn Snapshot, query: &SubjectQuery<'_>) -> Vec<Relationship> {
    let mut found = Vec::new();
    snapshot
        .read_subjects(query, &mut |relationship| {
            found.push(relationship);
            ControlFlow::Continue(())
        })
        .unwrap();
    found
}

fn resources<'a>(
    resource_type: &'a str,
    resource_ids: &'a [&'a str],
    relation: &'a str,
) -> ResourceQuery<'a> {
    ResourceQuery {
        resource_type,
        resource_ids,
        relation,
        subject: None,
    }
}

fn rev(n: u64) -> Revision {
    Revision::new(n)
}

fn all_changes(store: &dyn Datastore) -> Vec<ChangeSet> {
    store.changes_after(Revision::ZERO, usize::MAX).unwrap()
}

fn change_set(revision: u64, changes: Vec<Change>) -> ChangeSet {
    ChangeSet {
        revision: rev(revision),
        changes,
        schema_changed: false,
        metadata: None,
    }
}

fn open<B: Backend>(backend: &B) -> B::Store {
    backend.open(Arc::new(SystemClock), GcWindow::KeepAll)
}

/// A store on a manual clock standing at [`t0`].
fn open_at_t0<B: Backend>(backend: &B, gc_window: GcWindow) -> (B::Store, ManualClock) {
    let clock = ManualClock::new(t0());
    (backend.open(Arc::new(clock.clone()), gc_window), clock)
}

// ---------------------------------------------------------------------------------------------
// Reads.

/// A new store is revision zero, empty, without schema, and nothing later exists.
pub fn empty_store_starts_at_revision_zero<B: Backend>(backend: &B) {
    let store = open(backend);
    assert_eq!(store.head_revision(), Revision::ZERO);
    assert_eq!(store.oldest_revision(), Revision::ZERO);
    let empty = snapshot(&store, Revision::ZERO);
    assert_eq!(empty.revision(), Revision::ZERO);
    assert!(all(&*empty).is_empty());
    assert_eq!(empty.schema().unwrap(), None);
    assert!(store.changes_after(Revision::ZERO, 10).unwrap().is_empty());
    assert!(matches!(
        store.snapshot(rev(1)),
        Err(StoreError::RevisionInFuture { requested, head }) if requested == rev(1) && head == Revision::ZERO
    ));
}

/// Each new store has its own, non-empty id, which it keeps.
pub fn datastore_ids_differ_between_stores<B: Backend>(backend: &B) {
    let (one, two) = (open(backend), open(backend));
    assert!(!one.datastore_id().is_empty());
    assert_ne!(one.datastore_id(), two.datastore_id());
    let id = one.datastore_id().to_owned();
    touch(&one, rels(&["doc:a#viewer@usr:1"]));
    assert_eq!(one.datastore_id(), id);
}

/// `find` returns the stored value, caveat and expiration included, for exactly its key.
pub fn find_returns_stored_relationships_with_their_attributes<B: Backend>(backend: &B) {
    let store = open(backend);
    let full = caveated(
        "doc:a#viewer@usr:1",
        "cav",
        &[("limit", Value::from(3)), ("tag", Value::from("x"))],
    )
    .with_expiration(Some(Timestamp::from_second(4_102_444_800).unwrap())); // 2100
    let set = rel("doc:a#viewer@grp:eng#member");
    let wildcard = rel("doc:a#viewer@usr:*");
    touch(&store, vec![full.clone(), set.clone(), wildcard.clone()]);
    let snapshot = head_snapshot(&store);
    for stored in [&full, &set, &wildcard] {
        assert_eq!(find(&*snapshot, stored).as_ref(), Some(stored));
    }
    for absent in [
        "doc:a#viewer@usr:2",
        "doc:a#owner@usr:1",
        "doc:b#viewer@usr:1",
        "doc:a#viewer@grp:eng",
        "doc:a#viewer@grp:eng#admin",
        "folder:a#viewer@usr:1",
    ] {
        assert_eq!(find(&*snapshot, &rel(absent)), None, "{absent}");
    }
}

/// A batched forward read returns the relation of every requested id, each id once, in store
/// order.
pub fn read_resources_reads_many_ids_in_store_order<B: Backend>(backend: &B) {
    let store = open(backend);
    touch(
        &store,
        rels(&[
            "doc:b#viewer@usr:2",
            "doc:a#viewer@usr:1",
            "doc:a#viewer@grp:eng#member",
            "doc:a#viewer@usr:*",
            "doc:c#viewer@usr:1",
            "doc:a#owner@usr:9",
            "folder:a#viewer@usr:1",
        ]),
    );
    let snapshot = head_snapshot(&store);
    let found = read_resources(
        &*snapshot,
        &resources("doc", &["c", "a", "zz", "a"], "viewer"),
    );
    assert_eq!(
        strings(&found),
        [
            "doc:a#viewer@grp:eng#member",
            "doc:a#viewer@usr:*",
            "doc:a#viewer@usr:1",
            "doc:c#viewer@usr:1",
        ]
    );
    assert!(read_resources(&*snapshot, &resources("doc", &[], "viewer")).is_empty());
    assert!(read_resources(&*snapshot, &resources("doc", &["a"], "editor")).is_empty());
}

/// A subject selector keeps one subject type and one subject relation; the ellipsis includes
/// wildcards.
pub fn read_resources_subject_selector_picks_type_and_relation<B: Backend>(backend: &B) {
    let store = open(backend);
    touch(
        &store,
        rels(&[
            "doc:a#viewer@usr:1",
            "doc:a#viewer@usr:*",
            "doc:a#viewer@grp:eng#member",
            "doc:a#viewer@grp:ops#admin",
            "doc:a#viewer@grp:x",
            "doc:b#viewer@grp:eng#member",
        ]),
    );
    let snapshot = head_snapshot(&store);
    let select = |subject_type, subject_relation| {
        let query = ResourceQuery {
            subject: Some(SubjectSelector {
                subject_type,
                subject_relation,
            }),
            ..resources("doc", &["a", "b"], "viewer")
        };
        strings(&read_resources(&*snapshot, &query))
    };
    assert_eq!(
        select("usr", None),
        ["doc:a#viewer@usr:*", "doc:a#viewer@usr:1"]
    );
    assert_eq!(
        select("grp", Some("member")),
        ["doc:a#viewer@grp:eng#member", "doc:b#viewer@grp:eng#member"]
    );
    assert_eq!(select("grp", None), ["doc:a#viewer@grp:x"]);
    assert!(select("usr", Some("member")).is_empty());
    assert!(select("team", None).is_empty());
}

/// Forward and reverse reads stop as soon as the sink breaks.
pub fn reads_stop_when_the_sink_breaks<B: Backend>(backend: &B) {
    let store = open(backend);
    touch(
        &store,
        (1..=5)
            .map(|i| rel(&format!("doc:{i}#viewer@usr:{i}")))
            .chain((1..=5).map(|i| rel(&format!("doc:{i}#viewer@usr:0"))))
            .collect(),
    );
    let snapshot = head_snapshot(&store);
    let take_two = |seen: &mut Vec<Relationship>, relationship| {
        seen.push(relationship);
        if seen.len() == 2 {
            ControlFlow::Break(())
        } else {
            ControlFlow::Continue(())
        }
    };
    let mut seen = Vec::new();
    snapshot
        .read_resources(
            &resources("doc", &["1", "2", "3", "4"], "viewer"),
            &mut |r| take_two(&mut seen, r),
        )
        .unwrap();
    assert_eq!(strings(&seen), ["doc:1#viewer@usr:0", "doc:1#viewer@usr:1"]);
    let mut seen = Vec::new();
    let query = SubjectQuery {
        subject_type: "usr",
        subject_ids: &["0"],
        subject_relation: None,
        resource_type: "doc",
        relation: "viewer",
    };
    snapshot
        .read_subjects(&query, &mut |r| take_two(&mut seen, r))
        .unwrap();
    assert_eq!(strings(&seen), ["doc:1#viewer@usr:0", "doc:2#viewer@usr:0"]);
}

/// A reverse read finds what the given subjects hold, by subject id (the wildcard is an id),
/// then in store order.
pub fn read_subjects_groups_by_subject_id<B: Backend>(backend: &B) {
    let store = open(backend);
    touch(
        &store,
        rels(&[
            "doc:a#viewer@usr:1",
            "doc:b#viewer@usr:1",
            "doc:a#viewer@usr:2",
            "doc:c#viewer@usr:*",
            "doc:a#owner@usr:1",
            "folder:a#viewer@usr:1",
            "doc:d#viewer@grp:eng#member",
            "doc:e#viewer@grp:eng",
        ]),
    );
    let snapshot = head_snapshot(&store);
    let query = SubjectQuery {
        subject_type: "usr",
        subject_ids: &["2", "1", "*", "1"],
        subject_relation: None,
        resource_type: "doc",
        relation: "viewer",
    };
    assert_eq!(
        strings(&read_subjects(&*snapshot, &query)),
        [
            "doc:c#viewer@usr:*",
            "doc:a#viewer@usr:1",
            "doc:b#viewer@usr:1",
            "doc:a#viewer@usr:2",
        ]
    );
    let groups = |subject_relation| SubjectQuery {
        subject_type: "grp",
        subject_ids: &["eng"],
        subject_relation,
        resource_type: "doc",
        relation: "viewer",
    };
    assert_eq!(
        strings(&read_subjects(&*snapshot, &groups(Some("member")))),
        ["doc:d#viewer@grp:eng#member"]
    );
    assert_eq!(
        strings(&read_subjects(&*snapshot, &groups(None))),
        ["doc:e#viewer@grp:eng"]
    );
    assert!(read_subjects(&*snapshot, &groups(Some("admin"))).is_empty());
}

/// `read_filtered` returns exactly what [`RelationshipFilter::matches`] accepts, in store
/// order, for every combination of filter fields.
pub fn read_filtered_honours_every_filter_field<B: Backend>(backend: &B) {
    let store = open(backend);
    let data = rels(&[
        "doc:a#viewer@usr:1",
        "doc:a#viewer@usr:*",
        "doc:a#owner@usr:2",
        "doc:ab#viewer@grp:eng#member",
        "doc:ab#viewer@grp:eng",
        "doc:ab#owner@grp:ops#member",
        "doc:b#viewer@usr:1",
        "doc:ba#viewer@grp:eng#admin",
        "folder:a#viewer@usr:1",
        "folder:ab#owner@usr:*",
        "folder:b#viewer@grp:eng#member",
    ]);
    touch(&store, data.clone());
    let snapshot = head_snapshot(&store);

    let some = |value: &str| Some(value.to_owned());
    let subjects = [
        None,
        Some(("usr", None, None)),
        Some(("usr", some("1"), None)),
        Some(("usr", some("*"), None)),
        Some(("grp", None, Some(SubjectRelationFilter::Ellipsis))),
        Some((
            "grp",
            None,
            Some(SubjectRelationFilter::Named("member".into())),
        )),
        Some((
            "grp",
            some("eng"),
            Some(SubjectRelationFilter::Named("member".into())),
        )),
        Some(("grp", some("eng"), None)),
    ];
    let mut combinations = 0;
    for resource_type in [None, some("doc"), some("folder")] {
        for resource_id in [None, some("a"), some("ab")] {
            for resource_id_prefix in [None, some("a"), some("b")] {
                for relation in [None, some("viewer"), some("owner")] {
                    for subject in &subjects {
                        let filter = RelationshipFilter {
                            resource_type: resource_type.clone(),
                            resource_id: resource_id.clone(),
                            resource_id_prefix: resource_id_prefix.clone(),
                            relation: relation.clone(),
                            subject: subject.clone().map(|(subject_type, subject_id, relation)| {
                                SubjectFilter {
                                    subject_type: subject_type.to_owned(),
                                    subject_id,
                                    relation,
                                }
                            }),
                        };
                        let expected: Vec<Relationship> = sorted(data.clone())
                            .into_iter()
                            .filter(|relationship| filter.matches(relationship))
                            .collect();
                        let found = snapshot.read_filtered(&filter, None, None).unwrap();
                        assert_eq!(strings(&found), strings(&expected), "filter {filter}");
                        combinations += 1;
                    }
                }
            }
        }
    }
    assert_eq!(combinations, 3 * 3 * 3 * 3 * subjects.len());

    // What `matches` means, spelled out for the cases that are easy to get wrong.
    let by_subject = |subject_id: Option<&str>, relation| RelationshipFilter {
        subject: Some(SubjectFilter {
            subject_type: "usr".to_owned(),
            subject_id: subject_id.map(str::to_owned),
            relation,
        }),
        ..of_type("doc")
    };
    let read =
        |filter: &RelationshipFilter| strings(&snapshot.read_filtered(filter, None, None).unwrap());
    assert_eq!(read(&by_subject(Some("*"), None)), ["doc:a#viewer@usr:*"]);
    assert_eq!(
        read(&by_subject(
            Some("1"),
            Some(SubjectRelationFilter::Ellipsis)
        )),
        ["doc:a#viewer@usr:1", "doc:b#viewer@usr:1"]
    );
    let prefixed = RelationshipFilter {
        resource_id_prefix: some("a"),
        relation: some("viewer"),
        ..of_type("doc")
    };
    assert_eq!(
        read(&prefixed),
        [
            "doc:a#viewer@usr:*",
            "doc:a#viewer@usr:1",
            "doc:ab#viewer@grp:eng",
            "doc:ab#viewer@grp:eng#member",
        ]
    );
}

/// Paging with the last result as the cursor yields everything exactly once, also when the
/// cursor no longer exists or lies outside the filter's range.
pub fn read_filtered_resumes_after_a_cursor<B: Backend>(backend: &B) {
    let store = open(backend);
    let data: Vec<Relationship> = (0..20)
        .map(|i| rel(&format!("doc:{}#viewer@usr:{}", i % 7, i)))
        .collect();
    touch(&store, data.clone());
    let snapshot = head_snapshot(&store);
    let expected = sorted(data.clone());
    for page_size in [1, 3, 7, 20, 25] {
        let paged = read_in_pages(&*snapshot, &of_type("doc"), page_size);
        assert_eq!(strings(&paged), strings(&expected), "page size {page_size}");
    }

    // A cursor that was deleted since still resumes after its position.
    let gone = expected.get(5).unwrap().clone();
    delete(&store, vec![gone.clone()]);
    let later = head_snapshot(&store);
    let rest = later
        .read_filtered(&everything(), Some(&gone), None)
        .unwrap();
    assert_eq!(strings(&rest), strings(expected.get(6..).unwrap()));

    // Cursors before and after the filter's range.
    touch(
        &store,
        rels(&["folder:a#viewer@usr:1", "aaa:a#viewer@usr:1"]),
    );
    let last = head_snapshot(&store);
    let before = rel("doc:0#viewer@usr:0");
    assert_eq!(
        strings(
            &last
                .read_filtered(&of_type("folder"), Some(&before), None)
                .unwrap()
        ),
        ["folder:a#viewer@usr:1"]
    );
    let after = rel("zzz:a#viewer@usr:1");
    assert!(
        last.read_filtered(&of_type("folder"), Some(&after), None)
            .unwrap()
            .is_empty()
    );
}

/// A limit caps the results to the first ones in store order.
pub fn read_filtered_limits_results<B: Backend>(backend: &B) {
    let store = open(backend);
    let data = rels(&[
        "doc:c#viewer@usr:1",
        "doc:a#viewer@usr:1",
        "doc:b#viewer@usr:1",
    ]);
    touch(&store, data.clone());
    let snapshot = head_snapshot(&store);
    let expected = strings(&sorted(data));
    let limited = |limit| {
        strings(
            &snapshot
                .read_filtered(&everything(), None, Some(limit))
                .unwrap(),
        )
    };
    assert!(limited(0).is_empty());
    assert_eq!(limited(2), expected.get(..2).unwrap());
    assert_eq!(limited(3), expected);
    assert_eq!(limited(99), expected);
}

// ---------------------------------------------------------------------------------------------
// Writes.

/// CREATE of a live relationship fails with `AlreadyExists` naming it, and the whole
/// transaction is dropped.
pub fn create_of_an_existing_relationship_fails_and_writes_nothing<B: Backend>(backend: &B) {
    let store = open(backend);
    let first = apply(&store, Operation::Create, rels(&["doc:a#viewer@usr:1"]));
    let result = store.write(transaction(vec![
        update(Operation::Create, rel("doc:a#viewer@usr:2")),
        update(Operation::Touch, rel("doc:a#viewer@usr:3")),
        update(
            Operation::Create,
            caveated("doc:a#viewer@usr:1", "cav", &[]),
        ),
    ]));
    assert!(
        matches!(&result, Err(StoreError::AlreadyExists(existing)) if existing.same_key(&rel("doc:a#viewer@usr:1"))),
        "{result:?}"
    );
    assert_eq!(store.head_revision(), first);
    assert_eq!(strings(&all_at(&store, first)), ["doc:a#viewer@usr:1"]);
}

/// An expired relationship does not exist: CREATE over it succeeds and replaces it; expiry
/// happens exactly at the expiration time.
pub fn create_over_an_expired_relationship_succeeds<B: Backend>(backend: &B) {
    let (store, clock) = open_at_t0(backend, GcWindow::KeepAll);
    apply(
        &store,
        Operation::Create,
        vec![expiring("doc:a#viewer@usr:1", 60)],
    );
    clock.set(at(59));
    let result = store.write(transaction(vec![update(
        Operation::Create,
        rel("doc:a#viewer@usr:1"),
    )]));
    assert!(
        matches!(result, Err(StoreError::AlreadyExists(_))),
        "{result:?}"
    );
    clock.set(at(60));
    let created = apply(&store, Operation::Create, rels(&["doc:a#viewer@usr:1"]));
    assert_eq!(strings(&all_at(&store, created)), ["doc:a#viewer@usr:1"]);
}

/// TOUCH replaces the caveat and the expiration, also by removing them; older revisions keep
/// the older values.
pub fn touch_replaces_caveat_and_expiration<B: Backend>(backend: &B) {
    let store = open(backend);
    let plain = rel("doc:a#viewer@usr:1");
    let dressed = caveated("doc:a#viewer@usr:1", "cav", &[("n", Value::from(1))])
        .with_expiration(Some(Timestamp::from_second(4_102_444_800).unwrap()));
    let first = touch(&store, vec![plain.clone()]);
    let second = touch(&store, vec![dressed.clone()]);
    let third = touch(&store, vec![plain.clone()]);
    assert_eq!(find(&*snapshot(&store, first), &plain), Some(plain.clone()));
    assert_eq!(
        find(&*snapshot(&store, second), &plain),
        Some(dressed.clone())
    );
    assert_eq!(find(&*snapshot(&store, third), &plain), Some(plain.clone()));
    assert_eq!(all_at(&store, third), [plain]);
}

/// DELETE of a relationship that is not there succeeds, commits a revision, and records no
/// change.
pub fn delete_of_a_missing_relationship_changes_nothing<B: Backend>(backend: &B) {
    let store = open(backend);
    let revision = delete(&store, rels(&["doc:a#viewer@usr:1"]));
    assert_eq!(revision, rev(1));
    assert_eq!(store.head_revision(), rev(1));
    assert_eq!(all_changes(&store), [change_set(1, Vec::new())]);
}

/// Preconditions are evaluated against the state before the transaction's own updates.
pub fn preconditions_see_the_state_before_the_updates<B: Backend>(backend: &B) {
    let store = open(backend);
    let x = rel("doc:a#viewer@usr:1");
    let created = store
        .write(WriteTransaction {
            preconditions: vec![precondition(PreconditionKind::MustNotMatch, exactly(&x))],
            ..transaction(vec![update(Operation::Create, x.clone())])
        })
        .unwrap();
    assert_eq!(all_at(&store, created), std::slice::from_ref(&x));
    let deleted = store
        .write(WriteTransaction {
            preconditions: vec![precondition(PreconditionKind::MustMatch, exactly(&x))],
            ..transaction(vec![update(Operation::Delete, x.clone())])
        })
        .unwrap();
    assert!(all_at(&store, deleted).is_empty());
    let y = rel("doc:a#viewer@usr:2");
    let result = store.write(WriteTransaction {
        preconditions: vec![precondition(PreconditionKind::MustMatch, exactly(&y))],
        ..transaction(vec![update(Operation::Create, y.clone())])
    });
    assert!(
        matches!(result, Err(StoreError::PreconditionFailed(_))),
        "{result:?}"
    );
    assert_eq!(store.head_revision(), deleted);
}

/// MUST_MATCH needs at least one live match: an expired relationship matches nothing.
pub fn must_match_needs_a_live_relationship<B: Backend>(backend: &B) {
    let (store, clock) = open_at_t0(backend, GcWindow::KeepAll);
    let x = expiring("doc:a#viewer@usr:1", 60);
    touch(&store, vec![x.clone()]);
    let guarded = |kind| {
        store.write(WriteTransaction {
            preconditions: vec![precondition(kind, of_type("doc"))],
            ..transaction(vec![update(Operation::Touch, rel("folder:a#viewer@usr:1"))])
        })
    };
    assert!(guarded(PreconditionKind::MustMatch).is_ok());
    assert!(matches!(
        guarded(PreconditionKind::MustNotMatch),
        Err(StoreError::PreconditionFailed(_))
    ));
    clock.set(at(60));
    assert!(matches!(
        guarded(PreconditionKind::MustMatch),
        Err(StoreError::PreconditionFailed(_))
    ));
    assert!(guarded(PreconditionKind::MustNotMatch).is_ok());
}

/// A failing precondition drops the whole transaction and is the one reported (the first
/// that fails, in order).
pub fn failed_precondition_writes_nothing_and_names_the_precondition<B: Backend>(backend: &B) {
    let store = open(backend);
    let x = rel("doc:a#viewer@usr:1");
    let head = touch(&store, vec![x.clone()]);
    let holds = precondition(PreconditionKind::MustMatch, exactly(&x));
    let fails = precondition(PreconditionKind::MustNotMatch, of_type("doc"));
    let also_fails = precondition(PreconditionKind::MustMatch, of_type("folder"));
    let result = store.write(WriteTransaction {
        preconditions: vec![holds, fails.clone(), also_fails],
        ..transaction(vec![
            update(Operation::Touch, rel("doc:b#viewer@usr:1")),
            update(Operation::Delete, x.clone()),
        ])
    });
    assert!(
        matches!(&result, Err(StoreError::PreconditionFailed(failed)) if **failed == fails),
        "{result:?}"
    );
    assert_eq!(store.head_revision(), head);
    assert_eq!(all_at(&store, head), [x]);
}

/// A write validated against a schema that has since been replaced fails with
/// `SchemaChanged`; the current schema's revision, or none, passes.
pub fn writes_validated_against_a_replaced_schema_fail<B: Backend>(backend: &B) {
    let store = open(backend);
    let guarded = |schema_revision, text: &str| {
        store.write(WriteTransaction {
            schema_revision,
            ..transaction(vec![update(Operation::Touch, rel(text))])
        })
    };
    assert!(guarded(Some(Revision::ZERO), "doc:a#viewer@usr:0").is_ok());
    let first = write_schema(&store, "definition usr {}");
    assert!(guarded(Some(first), "doc:a#viewer@usr:1").is_ok());
    let second = write_schema(&store, "definition usr {}\ndefinition doc {}");
    let head = store.head_revision();
    let result = guarded(Some(first), "doc:a#viewer@usr:2");
    assert!(
        matches!(result, Err(StoreError::SchemaChanged { current }) if current == second),
        "{result:?}"
    );
    assert_eq!(store.head_revision(), head);
    assert!(find(&*head_snapshot(&store), &rel("doc:a#viewer@usr:2")).is_none());
    assert!(guarded(Some(second), "doc:a#viewer@usr:2").is_ok());
    assert!(guarded(None, "doc:a#viewer@usr:3").is_ok());
}

/// Every successful commit takes the next revision, even one that changes nothing, and the
/// changelog has an entry for each.
pub fn every_commit_takes_the_next_revision<B: Backend>(backend: &B) {
    let store = open(backend);
    assert_eq!(store.write(WriteTransaction::default()).unwrap(), rev(1));
    assert_eq!(delete(&store, rels(&["doc:a#viewer@usr:1"])), rev(2));
    let outcome = delete_matching(&store, everything());
    assert_eq!(
        outcome,
        DeleteOutcome {
            revision: rev(3),
            deleted: 0,
            complete: true
        }
    );
    assert_eq!(
        store.bulk_import(&mut std::iter::empty()).unwrap(),
        (rev(4), 0)
    );
    assert_eq!(write_schema(&store, "definition usr {}"), rev(5));
    assert_eq!(touch(&store, rels(&["doc:a#viewer@usr:1"])), rev(6));
    assert_eq!(store.head_revision(), rev(6));
    let revisions: Vec<Revision> = all_changes(&store).iter().map(|set| set.revision).collect();
    assert_eq!(revisions, (1..=6).map(rev).collect::<Vec<_>>());
}

/// Data for the delete-by-filter cases: five `doc` relationships (unsorted) and two others.
fn five_docs_and_two_folders() -> (Vec<Relationship>, Vec<Relationship>) {
    let docs = vec![
        caveated("doc:c#viewer@usr:1", "cav", &[]),
        rel("doc:a#viewer@usr:2"),
        rel("doc:e#owner@usr:1"),
        rel("doc:b#viewer@grp:eng#member"),
        rel("doc:d#viewer@usr:*"),
    ];
    let folders = rels(&["folder:a#viewer@usr:1", "folder:b#viewer@usr:1"]);
    (docs, folders)
}

fn delete_capped(
    store: &dyn Datastore,
    limit: u64,
    allow_partial: bool,
) -> Result<DeleteOutcome, StoreError> {
    store.delete_by_filter(DeleteByFilter {
        filter: of_type("doc"),
        preconditions: Vec::new(),
        limit: Some(limit),
        allow_partial,
        metadata: None,
    })
}

/// Delete by filter removes every match and reports each, with its value, in store order.
pub fn delete_by_filter_deletes_every_match<B: Backend>(backend: &B) {
    let store = open(backend);
    let (docs, folders) = five_docs_and_two_folders();
    touch(&store, docs.iter().chain(&folders).cloned().collect());
    let outcome = delete_matching(&store, of_type("doc"));
    assert_eq!(
        outcome,
        DeleteOutcome {
            revision: rev(2),
            deleted: 5,
            complete: true
        }
    );
    assert_eq!(all_at(&store, rev(2)), sorted(folders));
    let changes = store.changes_after(rev(1), 1).unwrap();
    let deleted: Vec<Change> = sorted(docs).into_iter().map(Change::Delete).collect();
    assert_eq!(changes, [change_set(2, deleted)]);
}

/// With a limit below the number of matches and no partial deletion, nothing is deleted.
pub fn delete_by_filter_over_its_limit_fails_unless_partial<B: Backend>(backend: &B) {
    let store = open(backend);
    let (docs, folders) = five_docs_and_two_folders();
    let head = touch(&store, docs.iter().chain(&folders).cloned().collect());
    let result = delete_capped(&store, 3, false);
    assert!(
        matches!(result, Err(StoreError::TooManyToDelete { limit: 3 })),
        "{result:?}"
    );
    assert_eq!(store.head_revision(), head);
    assert_eq!(all_at(&store, head).len(), 7);
}

/// A partial delete removes the first `limit` matches in store order and says it is not
/// complete; the next one finishes the job.
pub fn partial_delete_by_filter_deletes_the_first_matches_in_store_order<B: Backend>(backend: &B) {
    let store = open(backend);
    let (docs, folders) = five_docs_and_two_folders();
    touch(&store, docs.iter().chain(&folders).cloned().collect());
    let docs = sorted(docs);
    let first = delete_capped(&store, 3, true).unwrap();
    assert_eq!(
        first,
        DeleteOutcome {
            revision: rev(2),
            deleted: 3,
            complete: false
        }
    );
    let left: Vec<Relationship> = docs.get(3..).unwrap().to_vec();
    assert_eq!(
        all_at(&store, first.revision),
        sorted([left.clone(), folders.clone()].concat())
    );
    let deleted: Vec<Change> = docs
        .get(..3)
        .unwrap()
        .iter()
        .cloned()
        .map(Change::Delete)
        .collect();
    assert_eq!(
        store.changes_after(rev(1), 1).unwrap(),
        [change_set(2, deleted)]
    );
    let second = delete_capped(&store, 3, true).unwrap();
    assert_eq!(
        second,
        DeleteOutcome {
            revision: rev(3),
            deleted: 2,
            complete: true
        }
    );
    assert_eq!(all_at(&store, second.revision), sorted(folders));
}

/// Exactly `limit` matches is not too many.
pub fn delete_by_filter_at_exactly_its_limit_is_complete<B: Backend>(backend: &B) {
    let store = open(backend);
    let (docs, folders) = five_docs_and_two_folders();
    touch(&store, docs.iter().chain(&folders).cloned().collect());
    let outcome = delete_capped(&store, 5, false).unwrap();
    assert_eq!(
        outcome,
        DeleteOutcome {
            revision: rev(2),
            deleted: 5,
            complete: true
        }
    );
    assert_eq!(all_at(&store, outcome.revision), sorted(folders));
}

/// Delete by filter checks its preconditions first and deletes nothing when one fails.
pub fn delete_by_filter_checks_preconditions<B: Backend>(backend: &B) {
    let store = open(backend);
    let (docs, folders) = five_docs_and_two_folders();
    let head = touch(&store, docs.iter().chain(&folders).cloned().collect());
    let guarded = |kind, filter, limit| {
        store.delete_by_filter(DeleteByFilter {
            filter: of_type("doc"),
            preconditions: vec![precondition(kind, filter)],
            limit,
            allow_partial: false,
            metadata: None,
        })
    };
    let result = guarded(PreconditionKind::MustMatch, of_type("team"), Some(1));
    assert!(
        matches!(result, Err(StoreError::PreconditionFailed(_))),
        "{result:?}"
    );
    assert_eq!(store.head_revision(), head);
    let outcome = guarded(PreconditionKind::MustNotMatch, of_type("team"), None).unwrap();
    assert_eq!(outcome.deleted, 5);
}

/// A large import becomes visible at once, at one revision, with one changelog entry.
pub fn bulk_import_commits_everything_at_one_revision<B: Backend>(backend: &B) {
    let store = open(backend);
    touch(&store, rels(&["folder:a#viewer@usr:1"]));
    let count = 10_000;
    let (revision, imported) = store
        .bulk_import(&mut (0..count).map(|i| rel(&format!("doc:{i}#viewer@usr:{}", i % 97))))
        .unwrap();
    assert_eq!((revision, imported), (rev(2), count));
    assert_eq!(store.head_revision(), rev(2));
    assert_eq!(all_at(&store, rev(1)).len(), 1);
    let imported_docs = snapshot(&store, rev(2))
        .read_filtered(&of_type("doc"), None, None)
        .unwrap();
    assert_eq!(imported_docs.len() as u64, count);
    assert_eq!(
        strings(&read_resources(
            &*snapshot(&store, rev(2)),
            &resources("doc", &["9999", "0"], "viewer")
        )),
        ["doc:0#viewer@usr:0", "doc:9999#viewer@usr:8"]
    );
    let changes = store.changes_after(rev(1), 10).unwrap();
    assert_eq!(changes.len(), 1);
    let change = changes.first().unwrap();
    assert_eq!(change.revision, rev(2));
    assert_eq!(change.changes.len() as u64, count);
    assert!(change.changes.iter().all(|c| matches!(c, Change::Touch(_))));
}

/// An import meeting a live relationship, or holding one twice, fails whole.
pub fn bulk_import_with_a_duplicate_imports_nothing<B: Backend>(backend: &B) {
    let store = open(backend);
    let head = touch(&store, rels(&["doc:x#viewer@usr:1"]));
    let existing = rels(&[
        "doc:a#viewer@usr:1",
        "doc:b#viewer@usr:1",
        "doc:x#viewer@usr:1",
    ]);
    let result = store.bulk_import(&mut existing.into_iter());
    assert!(
        matches!(&result, Err(StoreError::AlreadyExists(r)) if r.same_key(&rel("doc:x#viewer@usr:1"))),
        "{result:?}"
    );
    let twice = vec![
        rel("doc:a#viewer@usr:1"),
        rel("doc:b#viewer@usr:1"),
        caveated("doc:a#viewer@usr:1", "cav", &[]),
    ];
    let result = store.bulk_import(&mut twice.into_iter());
    assert!(
        matches!(&result, Err(StoreError::AlreadyExists(r)) if r.same_key(&rel("doc:a#viewer@usr:1"))),
        "{result:?}"
    );
    assert_eq!(store.head_revision(), head);
    assert_eq!(strings(&all_at(&store, head)), ["doc:x#viewer@usr:1"]);
}

// ---------------------------------------------------------------------------------------------
// Revisions and snapshots.

/// What [`contents`] reads.
#[derive(Debug, PartialEq)]
struct Contents {
    all: Vec<Relationship>,
    schema: Option<StoredSchema>,
    forward: Vec<Relationship>,
    reverse: Vec<Relationship>,
}

/// Everything one snapshot can read, for comparing snapshots.
fn contents(snapshot: &dyn Snapshot) -> Contents {
    let forward = read_resources(snapshot, &resources("doc", &["a", "b", "c"], "viewer"));
    let reverse = read_subjects(
        snapshot,
        &SubjectQuery {
            subject_type: "usr",
            subject_ids: &["1", "2", "*"],
            subject_relation: None,
            resource_type: "doc",
            relation: "viewer",
        },
    );
    Contents {
        all: all(snapshot),
        schema: snapshot.schema().unwrap(),
        forward,
        reverse,
    }
}

/// A snapshot reads the same, through every read, whatever is committed after it.
pub fn snapshots_never_see_later_writes<B: Backend>(backend: &B) {
    let store = open(backend);
    write_schema(&store, "definition usr {}");
    let taken_at = touch(
        &store,
        rels(&[
            "doc:a#viewer@usr:1",
            "doc:b#viewer@usr:*",
            "doc:c#viewer@usr:2",
        ]),
    );
    let early = snapshot(&store, taken_at);
    let before = contents(&*early);
    assert_eq!(before.all.len(), 3);

    touch(
        &store,
        vec![
            caveated("doc:a#viewer@usr:1", "cav", &[]),
            rel("doc:a#viewer@usr:2"),
        ],
    );
    delete(&store, rels(&["doc:c#viewer@usr:2"]));
    delete_matching(&store, of_type("doc"));
    store
        .bulk_import(&mut rels(&["doc:a#viewer@usr:1", "doc:c#viewer@usr:1"]).into_iter())
        .unwrap();
    write_schema(&store, "definition usr {}\ndefinition doc {}");

    assert_eq!(contents(&*early), before);
    assert_eq!(contents(&*snapshot(&store, taken_at)), before);
    assert_ne!(contents(&*head_snapshot(&store)), before);
}

/// A deterministic pseudo-random sequence (xorshift), so that cases need no RNG.
fn pseudo_random(seed: u64) -> impl Iterator<Item = u64> {
    std::iter::successors(Some(seed | 1), |x| {
        let mut x = *x;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        Some(x)
    })
}

/// After hundreds of mixed writes over few keys, every revision still reads exactly what it
/// held when it was the head.
pub fn old_revisions_stay_exact_after_many_writes<B: Backend>(backend: &B) {
    let store = open(backend);
    let mut recorded = vec![Vec::new()];
    let mut random = pseudo_random(7);
    for _ in 0..200 {
        let mut next = || random.next().unwrap();
        let key = format!("doc:{}#viewer@usr:{}", next() % 5, next() % 6);
        let revision = match next() % 4 {
            0 => delete(&store, vec![rel(&key)]),
            1 => touch(
                &store,
                vec![caveated(&key, "cav", &[("n", Value::from(next() % 3))])],
            ),
            2 => {
                delete_matching(
                    &store,
                    RelationshipFilter {
                        resource_id: Some((next() % 5).to_string()),
                        ..of_type("doc")
                    },
                )
                .revision
            }
            _ => touch(&store, vec![rel(&key)]),
        };
        assert_eq!(revision.get() as usize, recorded.len());
        recorded.push(all_at(&store, revision));
    }
    for (revision, expected) in recorded.iter().enumerate() {
        let revision = rev(revision as u64);
        assert_eq!(&all_at(&store, revision), expected, "revision {revision}");
    }
}

/// A key deleted and created again reads, at each revision, the value it had then.
pub fn deleted_and_recreated_keys_read_exactly_at_each_revision<B: Backend>(backend: &B) {
    let store = open(backend);
    let key = rel("doc:a#viewer@usr:1");
    let first = caveated("doc:a#viewer@usr:1", "cav", &[("v", Value::from("first"))]);
    let second = caveated("doc:a#viewer@usr:1", "cav", &[("v", Value::from("second"))]);
    let far = key
        .clone()
        .with_expiration(Some(Timestamp::from_second(4_102_444_800).unwrap()));
    apply(&store, Operation::Create, vec![first.clone()]);
    delete(&store, vec![key.clone()]);
    apply(&store, Operation::Create, vec![second.clone()]);
    touch(&store, vec![key.clone()]);
    delete_matching(&store, exactly(&key));
    apply(&store, Operation::Create, vec![far.clone()]);
    let expected = [
        None,
        Some(first),
        None,
        Some(second),
        Some(key.clone()),
        None,
        Some(far),
    ];
    for (revision, value) in expected.into_iter().enumerate() {
        let snapshot = snapshot(&store, rev(revision as u64));
        assert_eq!(find(&*snapshot, &key), value, "revision {revision}");
        assert_eq!(all(&*snapshot), value.into_iter().collect::<Vec<_>>());
    }
}

/// Revisions after the head answer `RevisionInFuture`, for snapshots and the changelog.
pub fn revisions_after_the_head_are_unreadable<B: Backend>(backend: &B) {
    let store = open(backend);
    touch(&store, rels(&["doc:a#viewer@usr:1"]));
    let head = store.head_revision();
    for requested in [head.next(), rev(1000)] {
        assert!(matches!(
            store.snapshot(requested),
            Err(StoreError::RevisionInFuture { requested: r, head: h }) if r == requested && h == head
        ));
        assert!(matches!(
            store.changes_after(requested, 10),
            Err(StoreError::RevisionInFuture { .. })
        ));
    }
    assert!(store.changes_after(head, 10).unwrap().is_empty());
}

// ---------------------------------------------------------------------------------------------
// Schema.

/// A snapshot sees the schema in force at its revision, with the revision that wrote it.
pub fn schema_history_follows_revisions<B: Backend>(backend: &B) {
    let store = open(backend);
    touch(&store, rels(&["doc:a#viewer@usr:1"]));
    let first = write_schema(&store, "definition one {}");
    touch(&store, rels(&["doc:b#viewer@usr:1"]));
    let second = write_schema(&store, "definition two {}");
    let stored = |text: &str, revision| {
        Some(StoredSchema {
            text: text.to_owned(),
            revision,
        })
    };
    let expected = [
        None,
        None,
        stored("definition one {}", first),
        stored("definition one {}", first),
        stored("definition two {}", second),
    ];
    for (revision, schema) in expected.into_iter().enumerate() {
        let at = snapshot(&store, rev(revision as u64));
        assert_eq!(at.schema().unwrap(), schema, "revision {revision}");
    }
}

/// A schema write whose precondition fails stores nothing.
pub fn write_schema_checks_preconditions<B: Backend>(backend: &B) {
    let store = open(backend);
    let head = touch(&store, rels(&["doc:a#viewer@usr:1"]));
    let result = store.write_schema(SchemaWrite {
        text: "definition usr {}".to_owned(),
        preconditions: vec![precondition(PreconditionKind::MustNotMatch, of_type("doc"))],
    });
    assert!(
        matches!(result, Err(StoreError::PreconditionFailed(_))),
        "{result:?}"
    );
    assert_eq!(store.head_revision(), head);
    assert_eq!(head_snapshot(&store).schema().unwrap(), None);
    let written = store
        .write_schema(SchemaWrite {
            text: "definition usr {}".to_owned(),
            preconditions: vec![precondition(
                PreconditionKind::MustNotMatch,
                of_type("folder"),
            )],
        })
        .unwrap();
    assert_eq!(written, head.next());
}

// ---------------------------------------------------------------------------------------------
// Changelog and subscriptions.

/// The changelog reports every revision, oldest first, with its changes in commit order,
/// the values written or deleted, the metadata and whether it wrote the schema.
pub fn changelog_reports_each_revision_in_commit_order<B: Backend>(backend: &B) {
    let store = open(backend);
    let a = caveated("doc:a#viewer@usr:1", "cav", &[("n", Value::from(1))]);
    let b = rel("doc:b#viewer@usr:1");
    let c = rel("folder:c#viewer@usr:1");
    store
        .write(WriteTransaction {
            metadata: Some(metadata("request", "one")),
            ..transaction(vec![
                update(Operation::Touch, b.clone()),
                update(Operation::Create, a.clone()),
                update(Operation::Delete, rel("doc:z#viewer@usr:1")),
                update(Operation::Touch, c.clone()),
            ])
        })
        .unwrap();
    store
        .write(WriteTransaction {
            metadata: Some(metadata("request", "two")),
            ..transaction(vec![update(Operation::Delete, rel("doc:a#viewer@usr:1"))])
        })
        .unwrap();
    store
        .delete_by_filter(DeleteByFilter {
            filter: everything(),
            preconditions: Vec::new(),
            limit: None,
            allow_partial: false,
            metadata: Some(metadata("request", "three")),
        })
        .unwrap();
    write_schema(&store, "definition usr {}");
    store.bulk_import(&mut vec![a.clone()].into_iter()).unwrap();

    let expected = vec![
        ChangeSet {
            metadata: Some(metadata("request", "one")),
            ..change_set(
                1,
                vec![
                    Change::Touch(b.clone()),
                    Change::Touch(a.clone()),
                    Change::Touch(c.clone()),
                ],
            )
        },
        ChangeSet {
            metadata: Some(metadata("request", "two")),
            ..change_set(2, vec![Change::Delete(a.clone())])
        },
        ChangeSet {
            metadata: Some(metadata("request", "three")),
            ..change_set(3, vec![Change::Delete(b), Change::Delete(c)])
        },
        ChangeSet {
            schema_changed: true,
            ..change_set(4, Vec::new())
        },
        change_set(5, vec![Change::Touch(a)]),
    ];
    assert_eq!(all_changes(&store), expected);
    assert_eq!(
        store.changes_after(rev(2), usize::MAX).unwrap(),
        expected.get(2..).unwrap()
    );
}

/// `changes_after` returns at most `limit` revisions and resumes after the last one seen.
pub fn changelog_pages_by_limit<B: Backend>(backend: &B) {
    let store = open(backend);
    for i in 0..5 {
        touch(&store, vec![rel(&format!("doc:{i}#viewer@usr:1"))]);
    }
    let revisions = |after, limit| -> Vec<u64> {
        store
            .changes_after(rev(after), limit)
            .unwrap()
            .iter()
            .map(|set| set.revision.get())
            .collect()
    };
    assert_eq!(revisions(0, 2), [1, 2]);
    assert_eq!(revisions(2, 2), [3, 4]);
    assert_eq!(revisions(4, 10), [5]);
    assert!(revisions(5, 10).is_empty());
    assert!(revisions(0, 0).is_empty());
}

/// A subscriber sees the head when it subscribes and every later head.
pub fn subscribers_see_each_new_head<B: Backend>(backend: &B) {
    let store = open(backend);
    touch(&store, rels(&["doc:a#viewer@usr:1"]));
    let mut receiver = store.subscribe();
    assert_eq!(*receiver.borrow_and_update(), rev(1));
    assert!(!receiver.has_changed().unwrap());
    touch(&store, rels(&["doc:a#viewer@usr:2"]));
    assert!(receiver.has_changed().unwrap());
    assert_eq!(*receiver.borrow_and_update(), rev(2));
    delete_matching(&store, everything());
    write_schema(&store, "definition usr {}");
    store
        .bulk_import(&mut rels(&["doc:b#viewer@usr:1"]).into_iter())
        .unwrap();
    assert!(receiver.has_changed().unwrap());
    assert_eq!(*receiver.borrow_and_update(), rev(5));
    // A failed write commits nothing and notifies nobody.
    assert!(
        store
            .write(transaction(vec![update(
                Operation::Create,
                rel("doc:b#viewer@usr:1")
            )]))
            .is_err()
    );
    assert!(!receiver.has_changed().unwrap());
}

// ---------------------------------------------------------------------------------------------
// Expiry.

/// At and after its expiration a relationship is gone from every read of snapshots taken
/// then, at every revision; snapshots taken before keep seeing it.
pub fn expired_relationships_vanish_from_every_read<B: Backend>(backend: &B) {
    let (store, clock) = open_at_t0(backend, GcWindow::KeepAll);
    let x = expiring("doc:a#viewer@usr:1", 60);
    let w = expiring("doc:a#viewer@usr:*", 60);
    let y = rel("doc:a#viewer@usr:2");
    let written = touch(&store, vec![x.clone(), w.clone(), y.clone()]);
    let reads = |snapshot: &dyn Snapshot| {
        let found = [&x, &w, &y].map(|r| find(snapshot, r).is_some());
        let forward = read_resources(snapshot, &resources("doc", &["a"], "viewer"));
        let reverse = read_subjects(
            snapshot,
            &SubjectQuery {
                subject_type: "usr",
                subject_ids: &["1", "2", "*"],
                subject_relation: None,
                resource_type: "doc",
                relation: "viewer",
            },
        );
        let filtered = snapshot.read_filtered(&of_type("doc"), None, None).unwrap();
        (found, forward.len(), reverse.len(), filtered.len())
    };
    let before = snapshot(&store, written);
    clock.set(at(59));
    assert_eq!(
        reads(&*snapshot(&store, written)),
        ([true, true, true], 3, 3, 3)
    );
    clock.set(at(60));
    touch(&store, rels(&["folder:a#viewer@usr:1"]));
    for revision in [written, store.head_revision()] {
        assert_eq!(
            reads(&*snapshot(&store, revision)),
            ([false, false, true], 1, 1, 1)
        );
    }
    assert_eq!(reads(&*before), ([true, true, true], 3, 3, 3));
}

/// Expiry commits nothing and logs nothing; deleting an expired relationship logs no change
/// and neither delete by filter nor import counts it as existing.
pub fn expiry_is_not_a_change<B: Backend>(backend: &B) {
    let (store, clock) = open_at_t0(backend, GcWindow::KeepAll);
    let x = expiring("doc:a#viewer@usr:1", 60);
    let z = expiring("doc:z#viewer@usr:1", 60);
    touch(&store, vec![x.clone(), z.clone()]);
    clock.set(at(3600));
    assert_eq!(store.head_revision(), rev(1));
    assert_eq!(
        all_changes(&store),
        [change_set(
            1,
            vec![Change::Touch(x.clone()), Change::Touch(z)]
        )]
    );
    delete(&store, vec![x.clone()]);
    assert_eq!(
        store.changes_after(rev(1), 10).unwrap(),
        [change_set(2, Vec::new())]
    );
    let outcome = delete_matching(&store, of_type("doc"));
    assert_eq!(outcome.deleted, 0);
    assert_eq!(
        store.changes_after(rev(2), 10).unwrap(),
        [change_set(3, Vec::new())]
    );
    let plain = rel("doc:z#viewer@usr:1");
    let (revision, _) = store
        .bulk_import(&mut vec![plain.clone()].into_iter())
        .unwrap();
    assert_eq!(all_at(&store, revision), [plain]);
}

// ---------------------------------------------------------------------------------------------
// Garbage collection.

/// What every readable revision holds, and the changelog after the oldest.
#[derive(Debug, PartialEq)]
struct History {
    contents: BTreeMap<Revision, Vec<Relationship>>,
    changes: Vec<ChangeSet>,
}

impl History {
    fn of(store: &dyn Datastore) -> Self {
        let oldest = store.oldest_revision();
        let contents = (oldest.get()..=store.head_revision().get())
            .map(|r| (rev(r), all_at(store, rev(r))))
            .collect();
        let changes = store.changes_after(oldest, usize::MAX).unwrap();
        Self { contents, changes }
    }

    fn at(&self, revision: u64) -> &[Relationship] {
        self.contents.get(&rev(revision)).unwrap()
    }

    fn changes_after(&self, revision: u64) -> Vec<ChangeSet> {
        let after = rev(revision);
        self.changes
            .iter()
            .filter(|set| set.revision > after)
            .cloned()
            .collect()
    }
}

/// After collection a revision window keeps the head and `n` revisions before it readable and
/// exact; older ones, and the changelog before them, are gone.
pub fn revision_windows_expire_old_revisions<B: Backend>(backend: &B) {
    let (store, _clock) = open_at_t0(backend, GcWindow::Revisions(2));
    write_schema(&store, "definition usr {}");
    touch(&store, rels(&["doc:a#viewer@usr:1", "doc:b#viewer@usr:1"]));
    delete(&store, rels(&["doc:a#viewer@usr:1"]));
    touch(&store, rels(&["doc:a#viewer@usr:1"]));
    touch(&store, vec![caveated("doc:b#viewer@usr:1", "cav", &[])]);
    delete_matching(&store, exactly(&rel("doc:a#viewer@usr:1")));
    let history = History::of(&store);
    backend.collect_garbage(&store).unwrap();

    assert_eq!(store.head_revision(), rev(6));
    assert_eq!(store.oldest_revision(), rev(4));
    assert!(matches!(
        store.snapshot(rev(3)),
        Err(StoreError::RevisionExpired { requested, oldest }) if requested == rev(3) && oldest == rev(4)
    ));
    assert!(matches!(
        store.changes_after(rev(3), 10),
        Err(StoreError::RevisionExpired { .. })
    ));
    for revision in 4..=6 {
        let at = snapshot(&store, rev(revision));
        assert_eq!(all(&*at), history.at(revision));
        assert_eq!(
            at.schema().unwrap().map(|schema| schema.revision),
            Some(rev(1)),
            "the schema in force stays readable"
        );
    }
    assert_eq!(
        store.changes_after(rev(4), 10).unwrap(),
        history.changes_after(4)
    );
    // Writes go on at the next revision; the window follows the head.
    touch(&store, rels(&["doc:c#viewer@usr:1"]));
    backend.collect_garbage(&store).unwrap();
    assert_eq!(store.oldest_revision(), rev(5));
}

/// After collection a duration window keeps the revisions committed within it, and the head
/// whatever its age.
pub fn duration_windows_expire_old_revisions<B: Backend>(backend: &B) {
    let (store, clock) = open_at_t0(backend, GcWindow::Duration(Duration::from_secs(600)));
    touch(&store, rels(&["doc:a#viewer@usr:1"])); // r1 at 0 s
    clock.set(at(300));
    touch(&store, rels(&["doc:b#viewer@usr:1"])); // r2 at 300 s
    clock.set(at(720));
    delete(&store, rels(&["doc:a#viewer@usr:1"])); // r3 at 720 s
    let history = History::of(&store);

    backend.collect_garbage(&store).unwrap(); // cutoff at 120 s
    assert_eq!(store.oldest_revision(), rev(2));
    assert!(matches!(
        store.snapshot(rev(1)),
        Err(StoreError::RevisionExpired { .. })
    ));
    assert_eq!(all_at(&store, rev(2)), history.at(2));

    clock.set(at(960)); // cutoff at 360 s
    backend.collect_garbage(&store).unwrap();
    assert_eq!(store.oldest_revision(), rev(3));
    assert!(matches!(
        store.snapshot(rev(2)),
        Err(StoreError::RevisionExpired { .. })
    ));

    clock.set(at(100_000)); // nothing is recent, but the head stays readable
    backend.collect_garbage(&store).unwrap();
    assert_eq!(store.oldest_revision(), rev(3));
    assert_eq!(all_at(&store, rev(3)), history.at(3));
    assert!(store.changes_after(rev(3), 10).unwrap().is_empty());
}

/// Without a window, collection keeps every revision and the whole changelog, however old.
pub fn keep_all_keeps_every_revision<B: Backend>(backend: &B) {
    let (store, clock) = open_at_t0(backend, GcWindow::KeepAll);
    for i in 0..20 {
        touch(&store, vec![rel(&format!("doc:{}#viewer@usr:{i}", i % 3))]);
        if i % 5 == 0 {
            delete_matching(&store, of_type("doc"));
        }
    }
    let history = History::of(&store);
    clock.set(at(10 * 365 * 86_400));
    backend.collect_garbage(&store).unwrap();
    assert_eq!(store.oldest_revision(), Revision::ZERO);
    assert_eq!(History::of(&store), history);
}

// ---------------------------------------------------------------------------------------------
// Durability.

/// A reopened store has the same id, head, oldest revision, history, schemas and changelog, and
/// commits on from there. Skipped by backends that keep nothing.
pub fn reopened_store_serves_old_revisions_exactly<B: Backend>(backend: &B) {
    let clock = ManualClock::new(t0());
    let store = backend.open(Arc::new(clock.clone()), GcWindow::KeepAll);
    write_schema(&store, "definition usr {}");
    store
        .write(WriteTransaction {
            metadata: Some(metadata("request", "one")),
            ..transaction(vec![
                update(
                    Operation::Create,
                    caveated("doc:a#viewer@usr:1", "cav", &[("n", Value::from(1))]),
                ),
                update(Operation::Touch, expiring("doc:b#viewer@usr:*", 600)),
                update(Operation::Touch, rel("doc:c#viewer@grp:eng#member")),
            ])
        })
        .unwrap();
    delete(&store, rels(&["doc:a#viewer@usr:1"]));
    store
        .bulk_import(&mut (0..100).map(|i| rel(&format!("folder:{i}#viewer@usr:{i}"))))
        .unwrap();
    write_schema(&store, "definition usr {}\ndefinition doc {}");
    delete_matching(&store, of_type("folder"));
    let id = store.datastore_id().to_owned();
    let head = store.head_revision();
    let oldest = store.oldest_revision();
    let history = History::of(&store);
    let schemas: Vec<Option<StoredSchema>> = (0..=head.get())
        .map(|r| snapshot(&store, rev(r)).schema().unwrap())
        .collect();

    let Some(store) = backend.reopen(store, Arc::new(clock.clone()), GcWindow::KeepAll) else {
        return;
    };
    assert_eq!(store.datastore_id(), id);
    assert_eq!(store.head_revision(), head);
    assert_eq!(store.oldest_revision(), oldest);
    assert_eq!(History::of(&store), history);
    let reopened: Vec<Option<StoredSchema>> = (0..=head.get())
        .map(|r| snapshot(&store, rev(r)).schema().unwrap())
        .collect();
    assert_eq!(reopened, schemas);
    let receiver = store.subscribe();
    assert_eq!(*receiver.borrow(), head);
    assert_eq!(touch(&store, rels(&["doc:d#viewer@usr:1"])), head.next());
    clock.set(at(600));
    assert!(find(&*head_snapshot(&store), &rel("doc:b#viewer@usr:*")).is_none());
}

// ---------------------------------------------------------------------------------------------
// Concurrency.

/// Writers on several threads each get a distinct revision, the revisions are dense, no write
/// is lost, and concurrent readers see exactly one more relationship per revision.
pub fn concurrent_writers_get_unique_dense_revisions<B: Backend>(backend: &B) {
    const WRITERS: u64 = 4;
    const WRITES: u64 = 50;
    let store = open(backend);
    let written: Vec<(Revision, Relationship)> = std::thread::scope(|scope| {
        let store = &store;
        let reader = scope.spawn(move || {
            for _ in 0..200 {
                let head = store.head_revision();
                assert_eq!(all_at(store, head).len() as u64, head.get());
            }
        });
        let writers: Vec<_> = (0..WRITERS)
            .map(|writer| {
                scope.spawn(move || {
                    (0..WRITES)
                        .map(|i| {
                            let relationship =
                                rel(&format!("doc:{writer}-{i}#viewer@usr:{writer}"));
                            (touch(store, vec![relationship.clone()]), relationship)
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        reader.join().unwrap();
        writers
            .into_iter()
            .flat_map(|w| w.join().unwrap())
            .collect()
    });
    let revisions: BTreeSet<Revision> = written.iter().map(|(revision, _)| *revision).collect();
    assert_eq!(revisions, (1..=WRITERS * WRITES).map(rev).collect());
    assert_eq!(store.head_revision(), rev(WRITERS * WRITES));
    let by_revision: BTreeMap<Revision, Relationship> = written.into_iter().collect();
    let changes = all_changes(&store);
    assert_eq!(changes.len() as u64, WRITERS * WRITES);
    for set in changes {
        assert_eq!(
            set.changes,
            [Change::Touch(
                by_revision.get(&set.revision).unwrap().clone()
            )]
        );
    }
    assert_eq!(
        all(&*head_snapshot(&store)),
        sorted(by_revision.into_values().collect())
    );
}
