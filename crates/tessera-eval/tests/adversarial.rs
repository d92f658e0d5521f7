//! Hostile data: deep chains, wide fan-out and cycles end with correct answers or typed
//! errors, never a stack overflow or a hang.

#![expect(
    clippy::unwrap_used,
    reason = "test setup: a failure is the test failing"
)]

use std::sync::Arc;

use tessera_eval::{
    CheckRequest, EvalConfig, EvalError, Evaluator, LookupResourcesRequest, LookupSubjectsRequest,
    Permissionship,
};
use tessera_store::{Datastore, ManualClock, MemStore, Snapshot};
use tessera_types::{CaveatContext, ObjectRef, Relationship, SubjectRef, Timestamp};

const SCHEMA: &str = "
definition user {}
definition group {
    relation member: user | group#member
}
definition folder {
    relation parent: folder
    relation viewer: user | group#member
    permission view = viewer + parent->view
}
";

fn rel(text: &str) -> Relationship {
    text.parse().unwrap()
}

fn load(store: &MemStore, relationships: Vec<Relationship>) -> Arc<dyn Snapshot> {
    let (revision, _) = store.bulk_import(&mut relationships.into_iter()).unwrap();
    store.snapshot(revision).unwrap()
}

fn evaluator(max_depth: u32) -> Evaluator {
    let schema = Arc::new(tessera_schema::compile(SCHEMA).unwrap());
    Evaluator::for_schema(schema, EvalConfig { max_depth }).unwrap()
}

fn check(
    evaluator: &Evaluator,
    snapshot: &dyn Snapshot,
    question: &str,
) -> Result<Permissionship, EvalError> {
    let question = rel(question);
    let request = CheckRequest {
        resource: question.resource().clone(),
        permission: question.relation().to_owned(),
        subject: question.subject().clone(),
        context: CaveatContext::new(),
    };
    evaluator
        .check(snapshot, &request, false)
        .map(|result| result.permissionship)
}

/// `folder:f0` ← `folder:f1` ← … ← `folder:f{n-1}`, with alice viewing the root.
fn folder_chain(n: usize) -> Vec<Relationship> {
    let mut relationships = vec![rel("folder:f0#viewer@user:alice")];
    relationships.extend((1..n).map(|i| rel(&format!("folder:f{i}#parent@folder:f{}", i - 1))));
    relationships
}

#[test]
fn a_chain_deeper_than_the_limit_is_a_typed_error() {
    let store = MemStore::new();
    let snapshot = load(&store, folder_chain(1_000));
    let err = check(
        &evaluator(50),
        snapshot.as_ref(),
        "folder:f999#view@user:alice",
    )
    .unwrap_err();
    assert!(
        matches!(err, EvalError::DepthExceeded { limit: 50 }),
        "{err}"
    );
    // Within the limit, the same chain answers.
    assert_eq!(
        check(
            &evaluator(50),
            snapshot.as_ref(),
            "folder:f20#view@user:alice"
        )
        .unwrap(),
        Permissionship::Has
    );
}

#[test]
fn a_thousand_levels_answer_without_overflowing_the_stack() {
    let store = MemStore::new();
    let snapshot = load(&store, folder_chain(1_000));
    // Run on a small stack: depth is handled by growing the stack on demand, not by luck.
    let answer = std::thread::Builder::new()
        .stack_size(256 * 1024)
        .spawn(move || {
            let evaluator = evaluator(5_000);
            let has = check(&evaluator, snapshot.as_ref(), "folder:f999#view@user:alice").unwrap();
            let no = check(&evaluator, snapshot.as_ref(), "folder:f999#view@user:bob").unwrap();
            (has, no)
        })
        .unwrap()
        .join()
        .unwrap();
    assert_eq!(answer, (Permissionship::Has, Permissionship::No));
}

#[test]
fn cyclic_groups_terminate_with_the_right_answer() {
    let store = MemStore::new();
    let snapshot = load(
        &store,
        vec![
            rel("group:a#member@group:b#member"),
            rel("group:b#member@group:c#member"),
            rel("group:c#member@group:a#member"),
            rel("group:c#member@user:carol"),
            rel("folder:f#viewer@group:a#member"),
            rel("folder:loop1#parent@folder:loop2"),
            rel("folder:loop2#parent@folder:loop1"),
        ],
    );
    let evaluator = evaluator(50);
    for group in ["a", "b", "c"] {
        let question = format!("group:{group}#member@user:carol");
        assert_eq!(
            check(&evaluator, snapshot.as_ref(), &question).unwrap(),
            Permissionship::Has
        );
        let question = format!("group:{group}#member@user:dave");
        assert_eq!(
            check(&evaluator, snapshot.as_ref(), &question).unwrap(),
            Permissionship::No
        );
    }
    assert_eq!(
        check(&evaluator, snapshot.as_ref(), "folder:f#view@user:carol").unwrap(),
        Permissionship::Has
    );
    assert_eq!(
        check(
            &evaluator,
            snapshot.as_ref(),
            "folder:loop1#view@user:carol"
        )
        .unwrap(),
        Permissionship::No
    );

    let request = LookupResourcesRequest {
        resource_type: "group".to_owned(),
        permission: "member".to_owned(),
        subject: SubjectRef::new("user", "carol", None).unwrap(),
        context: CaveatContext::new(),
        limit: None,
        after: None,
    };
    let groups: Vec<String> = evaluator
        .lookup_resources(snapshot.as_ref(), &request)
        .unwrap()
        .into_iter()
        .map(|f| f.resource_id)
        .collect();
    assert_eq!(groups, ["a", "b", "c"]);

    let request = LookupSubjectsRequest {
        resource: ObjectRef::new("group", "a").unwrap(),
        permission: "member".to_owned(),
        subject_type: "user".to_owned(),
        subject_relation: None,
        context: CaveatContext::new(),
        include_wildcards: true,
        limit: None,
        after: None,
    };
    let users: Vec<String> = evaluator
        .lookup_subjects(snapshot.as_ref(), &request)
        .unwrap()
        .into_iter()
        .map(|f| f.subject_id)
        .collect();
    assert_eq!(users, ["carol"]);
}

#[test]
fn wide_fan_out_answers_and_pages() {
    let store = MemStore::new();
    let mut relationships: Vec<Relationship> = (0..100_000)
        .map(|i| rel(&format!("group:big#member@user:u{i}")))
        .collect();
    relationships.push(rel("folder:f#viewer@group:big#member"));
    let snapshot = load(&store, relationships);
    let evaluator = evaluator(50);
    assert_eq!(
        check(&evaluator, snapshot.as_ref(), "folder:f#view@user:u99999").unwrap(),
        Permissionship::Has
    );
    assert_eq!(
        check(&evaluator, snapshot.as_ref(), "folder:f#view@user:nobody").unwrap(),
        Permissionship::No
    );

    let mut request = LookupSubjectsRequest {
        resource: ObjectRef::new("folder", "f").unwrap(),
        permission: "view".to_owned(),
        subject_type: "user".to_owned(),
        subject_relation: None,
        context: CaveatContext::new(),
        include_wildcards: true,
        limit: Some(10_000),
        after: None,
    };
    let mut seen = 0;
    loop {
        let page = evaluator
            .lookup_subjects(snapshot.as_ref(), &request)
            .unwrap();
        let Some(last) = page.last() else { break };
        seen += page.len();
        request.after = Some(last.subject_id.clone());
    }
    assert_eq!(seen, 100_000);
}

#[test]
fn expired_relationships_stop_granting_at_their_expiry() {
    let start: Timestamp = "2030-01-01T00:00:00Z".parse().unwrap();
    let clock = ManualClock::new(start);
    let store = MemStore::with_clock(Arc::new(clock.clone()));
    let schema = "use expiration
definition user {}
definition doc {
    relation viewer: user with expiration
    permission view = viewer
}";
    let evaluator = Evaluator::for_schema(
        Arc::new(tessera_schema::compile(schema).unwrap()),
        EvalConfig::default(),
    )
    .unwrap();
    let expiring = rel("doc:1#viewer@user:alice[expiration:2030-01-01T00:01:00Z]");
    let (revision, _) = store.bulk_import(&mut std::iter::once(expiring)).unwrap();

    let answer = |store: &MemStore| {
        let snapshot = store.snapshot(revision).unwrap();
        check(&evaluator, snapshot.as_ref(), "doc:1#view@user:alice").unwrap()
    };
    assert_eq!(answer(&store), Permissionship::Has);
    clock.set("2030-01-01T00:00:59.999999999Z".parse().unwrap());
    assert_eq!(answer(&store), Permissionship::Has);
    clock.set("2030-01-01T00:01:00Z".parse().unwrap());
    assert_eq!(
        answer(&store),
        Permissionship::No,
        "a relationship no longer exists from its expiry instant on"
    );
}
