//! WatchService: resumption from a ZedToken, filters, update kinds.

use std::time::Duration;

use tessera_proto::authzed::api::v1 as wire;
use tokio_stream::StreamExt as _;
use tonic::Code;
use wire::relationship_update::Operation;

use crate::support::*;

/// The next message, failing the test if none comes within a few seconds.
async fn next(stream: &mut tonic::Streaming<wire::WatchResponse>) -> wire::WatchResponse {
    tokio::time::timeout(Duration::from_secs(5), stream.next())
        .await
        .expect("a watch message in time")
        .expect("the stream is open")
        .expect("no error")
}

fn updates(response: &wire::WatchResponse) -> Vec<(Operation, String)> {
    response
        .updates
        .iter()
        .map(|update| {
            let rel = update.relationship.as_ref().unwrap();
            (
                update.operation(),
                format!(
                    "{}#{}@{}",
                    rel.resource.as_ref().unwrap().object_id,
                    rel.relation,
                    rel.subject
                        .as_ref()
                        .unwrap()
                        .object
                        .as_ref()
                        .unwrap()
                        .object_id
                ),
            )
        })
        .collect()
}

#[tokio::test]
async fn watch_resumes_after_a_token_and_streams_new_changes() {
    let server = TestServer::start().await;
    write_schema(&server, SCHEMA).await;
    let first = write(&server, vec![touch("document:1#viewer@user:a")]).await;
    write(&server, vec![touch("document:1#viewer@user:b")]).await;
    let mut stream = server
        .watch()
        .await
        .watch(wire::WatchRequest {
            optional_start_cursor: Some(first.clone()),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    // Exclusive: the change at `first` itself is not repeated.
    let resumed = next(&mut stream).await;
    assert_eq!(
        updates(&resumed),
        [(Operation::Touch, "1#viewer@b".to_owned())]
    );
    let through = resumed.changes_through.unwrap();

    let deleted = write(
        &server,
        vec![update(Operation::Delete, "document:1#viewer@user:a")],
    )
    .await;
    let live = next(&mut stream).await;
    assert_eq!(
        updates(&live),
        [(Operation::Delete, "1#viewer@a".to_owned())]
    );
    assert_eq!(live.changes_through.unwrap(), deleted);

    // Resuming from a message's token continues right after it.
    let mut again = server
        .watch()
        .await
        .watch(wire::WatchRequest {
            optional_start_cursor: Some(through),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        updates(&next(&mut again).await),
        [(Operation::Delete, "1#viewer@a".to_owned())]
    );
}

#[tokio::test]
async fn watch_filters_by_type_or_relationship_filter() {
    let server = TestServer::start().await;
    let start = write_schema(&server, SCHEMA).await;
    let request =
        |object_types: Vec<String>, filters: Vec<wire::RelationshipFilter>| wire::WatchRequest {
            optional_object_types: object_types,
            optional_start_cursor: Some(start.clone()),
            optional_relationship_filters: filters,
            optional_update_kinds: Vec::new(),
        };
    write(
        &server,
        vec![
            touch("group:eng#member@user:a"),
            touch("document:1#viewer@user:a"),
        ],
    )
    .await;
    write(&server, vec![touch("document:2#owner@user:b")]).await;

    let mut by_type = server
        .watch()
        .await
        .watch(request(vec!["group".to_owned()], Vec::new()))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        updates(&next(&mut by_type).await),
        [(Operation::Touch, "eng#member@a".to_owned())]
    );

    let owner_filter = wire::RelationshipFilter {
        resource_type: "document".to_owned(),
        optional_relation: "owner".to_owned(),
        ..Default::default()
    };
    let mut by_filter = server
        .watch()
        .await
        .watch(request(Vec::new(), vec![owner_filter.clone()]))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        updates(&next(&mut by_filter).await),
        [(Operation::Touch, "2#owner@b".to_owned())]
    );

    let both = server
        .watch()
        .await
        .watch(request(vec!["group".to_owned()], vec![owner_filter]))
        .await
        .unwrap_err();
    assert_eq!(both.code(), Code::InvalidArgument);
}

#[tokio::test]
async fn schema_updates_and_checkpoints_come_as_separate_messages() {
    let server = TestServer::start().await;
    let start = write_schema(&server, SCHEMA).await;
    use wire::WatchKind;
    let mut stream = server
        .watch()
        .await
        .watch(wire::WatchRequest {
            optional_start_cursor: Some(start),
            optional_update_kinds: vec![
                WatchKind::IncludeRelationshipUpdates as i32,
                WatchKind::IncludeSchemaUpdates as i32,
                WatchKind::IncludeCheckpoints as i32,
            ],
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    let caught_up = next(&mut stream).await;
    assert!(caught_up.is_checkpoint, "{caught_up:?}");
    let written = write_schema(&server, &format!("{SCHEMA}\ndefinition folder {{}}")).await;
    let schema = next(&mut stream).await;
    assert!(schema.schema_updated && !schema.is_checkpoint && schema.updates.is_empty());
    assert_eq!(schema.changes_through.unwrap(), written);
    let checkpoint = next(&mut stream).await;
    assert!(checkpoint.is_checkpoint);
    assert_eq!(checkpoint.changes_through.unwrap(), written);
}

#[tokio::test]
async fn watch_refuses_bad_start_tokens() {
    let server = TestServer::start().await;
    let err = server
        .watch()
        .await
        .watch(wire::WatchRequest {
            optional_start_cursor: Some(wire::ZedToken {
                token: tessera_api::ZedToken::new(
                    tessera_types::Revision::new(50),
                    server.store.datastore_id(),
                )
                .encode(),
            }),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::OutOfRange);
}
