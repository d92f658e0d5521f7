//! Authentication: every API call needs a known key; health and reflection stay open.

use tessera_proto::authzed::api::v1 as wire;
use tokio_stream::StreamExt as _;
use tonic::Code;
use tonic_health::pb::HealthCheckRequest;
use tonic_health::pb::health_client::HealthClient;
use tonic_reflection::pb::v1::ServerReflectionRequest;
use tonic_reflection::pb::v1::server_reflection_client::ServerReflectionClient;
use tonic_reflection::pb::v1::server_reflection_request::MessageRequest;
use tonic_reflection::pb::v1::server_reflection_response::MessageResponse;

use crate::support::*;

fn read_schema() -> wire::ReadSchemaRequest {
    wire::ReadSchemaRequest {}
}

#[tokio::test]
async fn calls_without_a_verifiable_key_are_unauthenticated() {
    let server = TestServer::start().await;
    let bearers = [
        Bearer(None),
        Bearer::key("wrong-key"),
        Bearer(Some(metadata_value("Basic dGVzdA=="))),
        Bearer(Some(metadata_value(KEY))),
    ];
    for bearer in bearers {
        let mut client = tessera_proto::authzed::api::v1::schema_service_client::SchemaServiceClient::with_interceptor(
            server.channel().await,
            bearer.clone(),
        );
        let err = client.read_schema(read_schema()).await.unwrap_err();
        assert_eq!(err.code(), Code::Unauthenticated, "{bearer:?}");
        assert!(!err.message().contains(KEY), "the key must not be echoed");
        let mut permissions = server.permissions_as(bearer).await;
        let err = permissions
            .check_permission(check_request("document:1", "view", "user:a", None))
            .await
            .unwrap_err();
        assert_eq!(err.code(), Code::Unauthenticated);
    }
    // The right key gets through (to a NOT_FOUND: no schema yet).
    let err = server
        .schema()
        .await
        .read_schema(read_schema())
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::NotFound);
}

#[tokio::test]
async fn health_and_reflection_need_no_key() {
    let server = TestServer::start().await;
    let mut health = HealthClient::new(server.channel().await);
    for service in [
        "",
        "authzed.api.v1.PermissionsService",
        "authzed.api.v1.WatchService",
    ] {
        let status = health
            .check(HealthCheckRequest {
                service: service.to_owned(),
            })
            .await
            .unwrap()
            .into_inner()
            .status;
        assert_eq!(status, 1, "{service} is SERVING");
    }

    let mut reflection = ServerReflectionClient::new(server.channel().await);
    let request = ServerReflectionRequest {
        host: String::new(),
        message_request: Some(MessageRequest::ListServices(String::new())),
    };
    let mut responses = reflection
        .server_reflection_info(tokio_stream::iter(vec![request]))
        .await
        .unwrap()
        .into_inner();
    let Some(MessageResponse::ListServicesResponse(list)) =
        responses.next().await.unwrap().unwrap().message_response
    else {
        panic!("a service list");
    };
    let names: Vec<_> = list.service.into_iter().map(|s| s.name).collect();
    for expected in [
        "authzed.api.v1.PermissionsService",
        "authzed.api.v1.SchemaService",
        "authzed.api.v1.WatchService",
        "authzed.api.v1.ExperimentalService",
        "tessera.v1.IdentityService",
    ] {
        assert!(
            names.iter().any(|name| name == expected),
            "{expected} in {names:?}"
        );
    }
}

#[tokio::test]
async fn an_insecure_server_lets_anyone_in() {
    let server = TestServer::start_with(
        std::sync::Arc::new(tessera_store::MemStore::new()),
        insecure_config(),
    )
    .await;
    let mut permissions = server.permissions_as(Bearer(None)).await;
    let err = permissions
        .check_permission(check_request("document:1", "view", "user:a", None))
        .await
        .unwrap_err();
    // Past authentication: the schema does not define `document`.
    assert_eq!(err.code(), Code::FailedPrecondition);
}
