//! The server's life: request ids, metrics, graceful shutdown, and a restart over RocksDB.

use std::sync::Arc;
use std::time::Duration;

use tessera_proto::authzed::api::v1 as wire;
use tessera_store_rocksdb::{RocksConfig, RocksStore};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio_stream::StreamExt as _;
use tonic::Code;
use wire::check_permission_response::Permissionship;

use crate::support::*;

#[tokio::test]
async fn request_ids_are_echoed_or_issued() {
    let server = TestServer::start().await;
    let mut schema = server.schema().await;
    let mut request = tonic::Request::new(wire::ReadSchemaRequest {});
    request
        .metadata_mut()
        .insert("x-request-id", metadata_value("my-request-42"));
    let echoed = schema.read_schema(request).await.unwrap_err();
    assert_eq!(
        echoed.metadata().get("x-request-id").unwrap(),
        "my-request-42"
    );
    let issued = schema
        .read_schema(wire::ReadSchemaRequest {})
        .await
        .unwrap_err();
    let id = issued
        .metadata()
        .get("x-request-id")
        .expect("an id is issued");
    assert!(!id.is_empty());
}

#[tokio::test]
async fn metrics_count_requests_by_method_and_code() {
    let server = TestServer::start().await;
    write_schema(&server, SCHEMA).await;
    // The second, identical check is answered by the check cache.
    for _ in 0..2 {
        check(&server, "document:1", "view", "user:a", fully_consistent()).await;
    }
    let mut socket = tokio::net::TcpStream::connect(server.metrics_address)
        .await
        .unwrap();
    socket
        .write_all(b"GET /metrics HTTP/1.1\r\nHost: tessera\r\nConnection: close\r\n\r\n")
        .await
        .unwrap();
    let mut response = String::new();
    socket.read_to_string(&mut response).await.unwrap();
    assert!(response.starts_with("HTTP/1.1 200"), "{response}");
    for expected in [
        r#"tessera_grpc_requests_total{method="authzed.api.v1.PermissionsService/CheckPermission",code="OK"} 2"#,
        r#"tessera_grpc_requests_total{method="authzed.api.v1.SchemaService/WriteSchema",code="OK"} 1"#,
        "tessera_grpc_request_duration_seconds_bucket",
        "tessera_store_head_revision 1",
        "tessera_check_cache_hits_total 1\n",
        "tessera_check_cache_misses_total ",
    ] {
        assert!(response.contains(expected), "`{expected}` in\n{response}");
    }
}

#[tokio::test]
async fn shutdown_ends_watches_finishes_and_refuses_new_connections() {
    let server = TestServer::start().await;
    write_schema(&server, SCHEMA).await;
    let address = server.address;
    let mut stream = server
        .watch()
        .await
        .watch(wire::WatchRequest::default())
        .await
        .unwrap()
        .into_inner();
    let stopped = tokio::time::timeout(Duration::from_secs(10), server.stop())
        .await
        .expect("a graceful shutdown, not a hang");
    assert!(stopped.is_ok(), "{stopped:?}");
    let ended = stream.next().await.expect("a final status").unwrap_err();
    assert_eq!(ended.code(), Code::Unavailable);
    let refused = tonic::transport::Channel::from_shared(format!("http://{address}"))
        .unwrap()
        .connect()
        .await;
    assert!(refused.is_err(), "the port is closed");
}

#[tokio::test]
async fn tokens_survive_a_restart_over_rocksdb() {
    let dir = tempfile::tempdir().unwrap();
    let open = || Arc::new(RocksStore::open(dir.path(), RocksConfig::default()).unwrap());
    let server = TestServer::start_with(open(), config()).await;
    write_schema(&server, SCHEMA).await;
    let token = write(&server, vec![touch("document:r#viewer@user:rocky")]).await;
    server.stop().await.unwrap();

    let server = TestServer::start_with(open(), config()).await;
    assert_eq!(
        check(
            &server,
            "document:r",
            "view",
            "user:rocky",
            at_exact_snapshot(&token)
        )
        .await,
        Permissionship::HasPermission
    );
    let read = server
        .schema()
        .await
        .read_schema(wire::ReadSchemaRequest {})
        .await
        .unwrap()
        .into_inner();
    assert_eq!(read.schema_text, SCHEMA);
}
