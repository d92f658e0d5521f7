//! A server on `127.0.0.1:0` per test, and clients that speak to it like SpiceDB's do.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;

use prost::Message;
use tessera_api::Authentication;
use tessera_proto::authzed::api::v1 as wire;
use tessera_proto::authzed::api::v1::experimental_service_client::ExperimentalServiceClient;
use tessera_proto::authzed::api::v1::permissions_service_client::PermissionsServiceClient;
use tessera_proto::authzed::api::v1::schema_service_client::SchemaServiceClient;
use tessera_proto::authzed::api::v1::watch_service_client::WatchServiceClient;
use tessera_proto::google::rpc;
use tessera_server::{Listeners, ServerConfig, ServerError, serve};
use tessera_store::{Datastore, MemStore};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use tokio_stream::StreamExt as _;
use tonic::metadata::{AsciiMetadataValue, MetadataValue};
use tonic::service::Interceptor;
use tonic::service::interceptor::InterceptedService;
use tonic::transport::Channel;

/// The key every test server accepts.
pub(crate) const KEY: &str = "test-key-0123456789";

/// Adds `authorization: Bearer <key>` to every call, or nothing.
#[derive(Clone, Debug)]
pub(crate) struct Bearer(pub Option<AsciiMetadataValue>);

impl Bearer {
    pub(crate) fn key(key: &str) -> Self {
        Self(Some(format!("Bearer {key}").parse().unwrap()))
    }
}

impl Interceptor for Bearer {
    fn call(
        &mut self,
        mut request: tonic::Request<()>,
    ) -> Result<tonic::Request<()>, tonic::Status> {
        if let Some(value) = &self.0 {
            request
                .metadata_mut()
                .insert("authorization", value.clone());
        }
        Ok(request)
    }
}

pub(crate) type Authed = InterceptedService<Channel, Bearer>;

/// A running server and the means to stop it.
pub(crate) struct TestServer {
    pub address: SocketAddr,
    pub metrics_address: SocketAddr,
    pub store: Arc<dyn Datastore>,
    stop: Option<oneshot::Sender<()>>,
    handle: JoinHandle<Result<(), ServerError>>,
}

/// A configuration accepting [`KEY`], whose principal is an admin (as `--preshared-key`
/// makes it).
pub(crate) fn config() -> ServerConfig {
    let mut config =
        ServerConfig::new(tessera_server::authentication(&[KEY.to_owned()], false).unwrap());
    config.access = tessera_api::AccessPolicy::service_admins(["preshared-key-1"]).unwrap();
    config
}

/// The configuration identity, access and audit flags describe, with [`KEY`] given as
/// `--preshared-key`.
pub(crate) fn config_from(args: &tessera_server::AuthArgs) -> ServerConfig {
    let setup = args
        .merged()
        .unwrap()
        .build(&[KEY.to_owned()], false)
        .unwrap();
    let mut config = ServerConfig::new(setup.authentication);
    config.access = setup.access;
    config.audit = setup.audit;
    config.end_users = setup.end_users;
    config.reloadable_keys = setup.reloadable_keys;
    config
}

impl TestServer {
    /// A server over a fresh in-memory store.
    pub(crate) async fn start() -> Self {
        Self::start_with(Arc::new(MemStore::new()), config()).await
    }

    /// A server over `store` with `config`.
    pub(crate) async fn start_with(store: Arc<dyn Datastore>, config: ServerConfig) -> Self {
        let grpc = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let metrics = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let (address, metrics_address) =
            (grpc.local_addr().unwrap(), metrics.local_addr().unwrap());
        let (stop, stopped) = oneshot::channel::<()>();
        let listeners = Listeners {
            grpc,
            metrics: Some(metrics),
        };
        let handle = tokio::spawn(serve(config, Arc::clone(&store), listeners, async {
            drop(stopped.await);
        }));
        Self {
            address,
            metrics_address,
            store,
            stop: Some(stop),
            handle,
        }
    }

    pub(crate) async fn channel(&self) -> Channel {
        Channel::from_shared(format!("http://{}", self.address))
            .unwrap()
            .connect()
            .await
            .unwrap()
    }

    pub(crate) async fn permissions(&self) -> PermissionsServiceClient<Authed> {
        self.permissions_as(Bearer::key(KEY)).await
    }

    pub(crate) async fn permissions_as(&self, bearer: Bearer) -> PermissionsServiceClient<Authed> {
        PermissionsServiceClient::with_interceptor(self.channel().await, bearer)
    }

    pub(crate) async fn schema(&self) -> SchemaServiceClient<Authed> {
        SchemaServiceClient::with_interceptor(self.channel().await, Bearer::key(KEY))
    }

    pub(crate) async fn watch(&self) -> WatchServiceClient<Authed> {
        WatchServiceClient::with_interceptor(self.channel().await, Bearer::key(KEY))
    }

    pub(crate) async fn experimental(&self) -> ExperimentalServiceClient<Authed> {
        ExperimentalServiceClient::with_interceptor(self.channel().await, Bearer::key(KEY))
    }

    /// Asks the server to stop and waits until it has.
    pub(crate) async fn stop(mut self) -> Result<(), ServerError> {
        if let Some(stop) = self.stop.take() {
            let _stopped = stop.send(());
        }
        (&mut self.handle).await.unwrap()
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _stopped = stop.send(());
        }
    }
}

/// A server without authentication, for tests of the insecure mode.
pub(crate) fn insecure_config() -> ServerConfig {
    ServerConfig::new(Authentication::disabled())
}

pub(crate) const SCHEMA: &str = r#"
use expiration

definition user {}

definition group {
    relation member: user | group#member
}

caveat on_weekday(day string) {
    day != "saturday" && day != "sunday"
}

/** a document */
definition document {
    relation owner: user
    relation viewer: user | user:* | group#member | user with on_weekday | user with expiration
    relation banned: user
    permission edit = owner
    permission view = (viewer + edit) - banned
}
"#;

pub(crate) async fn write_schema(server: &TestServer, schema: &str) -> wire::ZedToken {
    server
        .schema()
        .await
        .write_schema(wire::WriteSchemaRequest {
            schema: schema.to_owned(),
        })
        .await
        .unwrap()
        .into_inner()
        .written_at
        .unwrap()
}

pub(crate) fn object(text: &str) -> wire::ObjectReference {
    let (object_type, object_id) = text.split_once(':').unwrap();
    wire::ObjectReference {
        object_type: object_type.to_owned(),
        object_id: object_id.to_owned(),
    }
}

pub(crate) fn subject(text: &str) -> wire::SubjectReference {
    let (resource, relation) = text.split_once('#').unwrap_or((text, ""));
    wire::SubjectReference {
        object: Some(object(resource)),
        optional_relation: relation.to_owned(),
    }
}

/// `document:1#viewer@user:alice` as a wire relationship (no caveat).
pub(crate) fn relationship(text: &str) -> wire::Relationship {
    let (resource, rest) = text.split_once('#').unwrap();
    let (relation, subject_text) = rest.split_once('@').unwrap();
    wire::Relationship {
        resource: Some(object(resource)),
        relation: relation.to_owned(),
        subject: Some(subject(subject_text)),
        optional_caveat: None,
        optional_expires_at: None,
    }
}

pub(crate) fn update(
    operation: wire::relationship_update::Operation,
    text: &str,
) -> wire::RelationshipUpdate {
    wire::RelationshipUpdate {
        operation: operation as i32,
        relationship: Some(relationship(text)),
    }
}

pub(crate) fn touch(text: &str) -> wire::RelationshipUpdate {
    update(wire::relationship_update::Operation::Touch, text)
}

pub(crate) async fn write(
    server: &TestServer,
    updates: Vec<wire::RelationshipUpdate>,
) -> wire::ZedToken {
    server
        .permissions()
        .await
        .write_relationships(wire::WriteRelationshipsRequest {
            updates,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .written_at
        .unwrap()
}

pub(crate) fn fully_consistent() -> Option<wire::Consistency> {
    Some(wire::Consistency {
        requirement: Some(wire::consistency::Requirement::FullyConsistent(true)),
    })
}

pub(crate) fn at_least_as_fresh(token: &wire::ZedToken) -> Option<wire::Consistency> {
    Some(wire::Consistency {
        requirement: Some(wire::consistency::Requirement::AtLeastAsFresh(
            token.clone(),
        )),
    })
}

pub(crate) fn at_exact_snapshot(token: &wire::ZedToken) -> Option<wire::Consistency> {
    Some(wire::Consistency {
        requirement: Some(wire::consistency::Requirement::AtExactSnapshot(
            token.clone(),
        )),
    })
}

pub(crate) fn check_request(
    resource: &str,
    permission: &str,
    subject_text: &str,
    consistency: Option<wire::Consistency>,
) -> wire::CheckPermissionRequest {
    wire::CheckPermissionRequest {
        consistency,
        resource: Some(object(resource)),
        permission: permission.to_owned(),
        subject: Some(subject(subject_text)),
        context: None,
        with_tracing: false,
    }
}

/// The permissionship of one check.
pub(crate) async fn check(
    server: &TestServer,
    resource: &str,
    permission: &str,
    subject_text: &str,
    consistency: Option<wire::Consistency>,
) -> wire::check_permission_response::Permissionship {
    let response = server
        .permissions()
        .await
        .check_permission(check_request(
            resource,
            permission,
            subject_text,
            consistency,
        ))
        .await
        .unwrap()
        .into_inner();
    response.permissionship()
}

/// Collects a server stream, failing on the first error.
pub(crate) async fn collect<T>(stream: tonic::Streaming<T>) -> Result<Vec<T>, tonic::Status> {
    stream.collect::<Result<Vec<_>, _>>().await
}

/// Every message of a server-streaming call that must succeed.
pub(crate) async fn all_of<T>(
    call: impl std::future::Future<Output = Result<tonic::Response<tonic::Streaming<T>>, tonic::Status>>,
) -> Vec<T> {
    collect(call.await.unwrap().into_inner()).await.unwrap()
}

/// The `ErrorInfo` reason of a status and its metadata, if it has one.
pub(crate) fn reason(status: &tonic::Status) -> Option<(String, HashMap<String, String>)> {
    let rpc = rpc::Status::decode(status.details()).ok()?;
    let info = rpc::ErrorInfo::decode(rpc.details.first()?.value.as_slice()).ok()?;
    assert_eq!(info.domain, "authzed.com");
    Some((info.reason, info.metadata))
}

/// A struct of string values.
pub(crate) fn context(pairs: &[(&str, &str)]) -> prost_types::Struct {
    prost_types::Struct {
        fields: pairs
            .iter()
            .map(|(key, value)| {
                (
                    (*key).to_owned(),
                    prost_types::Value {
                        kind: Some(prost_types::value::Kind::StringValue((*value).to_owned())),
                    },
                )
            })
            .collect(),
    }
}

pub(crate) fn metadata_value(text: &str) -> AsciiMetadataValue {
    MetadataValue::try_from(text).unwrap()
}
