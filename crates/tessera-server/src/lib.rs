//! The Tessera server: SpiceDB's gRPC API over a Tessera datastore, with health checks,
//! reflection, Prometheus metrics, request ids, timeouts and graceful shutdown.
//!
//! This crate wires the pieces together: it owns the command line ([`ServeArgs`]), the
//! tracing subscriber ([`init_logging`]), the listeners and the shutdown sequence. The API
//! itself lives in `tessera-api`, storage in `tessera-store(-rocksdb)`. Like mini-redis,
//! the server is a library function, [`serve`], that tests run on `127.0.0.1:0`:
//!
//! ```no_run
//! # async fn run() -> Result<(), tessera_server::ServerError> {
//! use std::sync::Arc;
//! use tessera_server::{Listeners, ServerConfig, serve};
//!
//! let store = Arc::new(tessera_store::MemStore::new());
//! let config = ServerConfig::new(tessera_api::Authentication::disabled());
//! let grpc = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
//! let stop = async { tokio::signal::ctrl_c().await.unwrap_or_default() };
//! serve(config, store, Listeners { grpc, metrics: None }, stop).await
//! # }
//! ```

mod auth_config;
mod bench;
mod cli;
mod client;
mod config;
mod connection;
mod error;
mod logging;
mod metrics;
mod telemetry;
mod validate;

use std::future::Future;
use std::sync::Arc;

use tessera_api::{Api, ApiService, Guard, IdentityChecks};
use tessera_proto::authzed::api::v1::experimental_service_server::ExperimentalServiceServer;
use tessera_proto::authzed::api::v1::permissions_service_server::PermissionsServiceServer;
use tessera_proto::authzed::api::v1::schema_service_server::SchemaServiceServer;
use tessera_proto::authzed::api::v1::watch_service_server::WatchServiceServer;
use tessera_proto::tessera::v1::identity_service_server::IdentityServiceServer;
use tessera_store::Datastore;
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tonic::server::NamedService;
use tonic::transport::server::TcpIncoming;
use tonic::transport::{Certificate, Identity, Server, ServerTlsConfig};
use tonic_health::ServingStatus;
use tonic_health::server::HealthReporter;
use tower::Layer as _;

pub use auth_config::{AuthArgs, AuthSetup};
pub use bench::{
    BenchCommand, ChecksArgs, GenerateArgs, LookupsArgs, RunArgs, WritesArgs, run_bench,
};
pub use cli::{SchemaCommand, run_schema};
pub use client::{
    ClientArgs, ClientCommand, ContextCommand, ExportArgs, ImportArgs, PermissionCommand,
    RelationshipCommand, WatchArgs, run_client,
};
pub use config::{LogFormat, ServeArgs, ServerConfig, TlsConfig, authentication, parse_duration};
pub use connection::{AuthedChannel, Bearer, ConnectionArgs};
pub use error::ServerError;
pub use logging::init_logging;
pub use validate::{ValidateArgs, run_validate};

/// The sockets the server answers on.
#[derive(Debug)]
pub struct Listeners {
    /// gRPC (the API, health and reflection).
    pub grpc: TcpListener,
    /// Prometheus' `/metrics`, if served.
    pub metrics: Option<TcpListener>,
}

/// Serves the API over `store` until `shutdown` completes, then stops gracefully: no new
/// connections, Watch streams end with `UNAVAILABLE`, requests in flight get
/// [`ServerConfig::shutdown_grace`] to finish. The store is released when this returns.
///
/// # Errors
/// Invalid TLS material, a failing listener or server.
pub async fn serve(
    config: ServerConfig,
    store: Arc<dyn Datastore>,
    listeners: Listeners,
    shutdown: impl Future<Output = ()>,
) -> Result<(), ServerError> {
    let ServerConfig {
        api: api_config,
        authentication,
        access,
        audit,
        end_users,
        reloadable_keys,
        tls,
        request_timeout,
        max_message_size,
        shutdown_grace,
    } = config;
    let api = Api::with_audit(Arc::clone(&store), api_config, audit.clone())?;
    let guard = Guard::new(authentication, access, audit);
    if let Some(keys) = reloadable_keys {
        auth_config::reload_on_hangup(keys);
    }
    let metrics = Arc::new(metrics::Metrics::new(store, api.clone()));

    let (health, health_service) = tonic_health::server::health_reporter();
    report_health(&health, ServingStatus::Serving).await;
    let reflection = tonic_reflection::server::Builder::configure()
        .register_encoded_file_descriptor_set(tessera_proto::FILE_DESCRIPTOR_SET)
        .register_encoded_file_descriptor_set(tonic_health::pb::FILE_DESCRIPTOR_SET)
        .build_v1()?;
    let reflection_alpha = tonic_reflection::server::Builder::configure()
        .register_encoded_file_descriptor_set(tessera_proto::FILE_DESCRIPTOR_SET)
        .register_encoded_file_descriptor_set(tonic_health::pb::FILE_DESCRIPTOR_SET)
        .build_v1alpha()?;

    let mut builder = Server::builder().timeout(request_timeout);
    if let Some(TlsConfig {
        cert_pem,
        key_pem,
        client_ca_pem,
        client_cert_optional,
    }) = tls
    {
        let mut tls = ServerTlsConfig::new().identity(Identity::from_pem(cert_pem, key_pem));
        if let Some(ca) = client_ca_pem {
            // tonic verifies client certificates with the process's rustls provider, and
            // with more than one compiled in there is none until one is chosen.
            let _already_chosen = rustls::crypto::aws_lc_rs::default_provider().install_default();
            tls = tls
                .client_ca_root(Certificate::from_pem(ca))
                .client_auth_optional(client_cert_optional);
        }
        builder = builder.tls_config(tls)?;
    }
    // The generated servers share no trait for their size limits, hence a macro. Health and
    // reflection stay open; the API is behind the guard (authentication, authorization).
    macro_rules! authenticated {
        ($service:expr) => {
            guard.layer(
                $service
                    .max_decoding_message_size(max_message_size)
                    .max_encoding_message_size(max_message_size),
            )
        };
    }
    let router = builder
        .layer(telemetry::TelemetryLayer::new(Arc::clone(&metrics)))
        .add_service(health_service)
        .add_service(reflection)
        .add_service(reflection_alpha)
        .add_service(authenticated!(api.permissions_service()))
        .add_service(authenticated!(api.schema_service()))
        .add_service(authenticated!(api.watch_service()))
        .add_service(authenticated!(api.experimental_service()))
        .add_service(authenticated!(api.identity_service(end_users)));

    let grpc_address = local_address(&listeners.grpc)?;
    let (stop_grpc, grpc_stopped) = oneshot::channel::<()>();
    let mut grpc = tokio::spawn(router.serve_with_incoming_shutdown(
        // Responses are several small writes (headers, data, trailers): without TCP_NODELAY
        // Nagle's algorithm holds them for the client's delayed ACK, ~40 ms a call.
        TcpIncoming::from(listeners.grpc).with_nodelay(Some(true)),
        async {
            // A dropped sender also means stop.
            drop(grpc_stopped.await);
        },
    ));
    let (stop_metrics, metrics_stopped) = oneshot::channel::<()>();
    let metrics_task = match listeners.metrics {
        Some(listener) => {
            tracing::info!(address = %local_address(&listener)?, "serving metrics at /metrics");
            let app = axum::Router::new()
                .route("/metrics", axum::routing::get(metrics::handler))
                .with_state(Arc::clone(&metrics));
            Some(tokio::spawn(
                axum::serve(listener, app)
                    .with_graceful_shutdown(async {
                        drop(metrics_stopped.await);
                    })
                    .into_future(),
            ))
        }
        None => None,
    };
    tracing::info!(address = %grpc_address, "serving the authzed.api.v1 gRPC API");

    let outcome = tokio::select! {
        finished = &mut grpc => Some(finished),
        () = shutdown => None,
    };
    let result = match outcome {
        // The server ended on its own: that is a failure.
        Some(finished) => flatten(finished),
        None => {
            tracing::info!(grace = ?shutdown_grace, "shutting down");
            api.begin_shutdown();
            report_health(&health, ServingStatus::NotServing).await;
            let _stopped = stop_grpc.send(());
            match tokio::time::timeout(shutdown_grace, &mut grpc).await {
                Ok(finished) => flatten(finished),
                Err(_) => {
                    tracing::warn!(
                        "requests still running after the shutdown grace; cutting them off"
                    );
                    grpc.abort();
                    Ok(())
                }
            }
        }
    };
    let _stopped = stop_metrics.send(());
    if let Some(task) = metrics_task {
        if let Ok(Err(err)) = task.await {
            tracing::warn!(error = %err, "the metrics endpoint failed");
        }
    }
    tracing::info!("stopped");
    result
}

/// Sets the health of every API service (and of the server as a whole, the empty name).
async fn report_health(health: &HealthReporter, status: ServingStatus) {
    let services = [
        "",
        <PermissionsServiceServer<ApiService> as NamedService>::NAME,
        <SchemaServiceServer<ApiService> as NamedService>::NAME,
        <WatchServiceServer<ApiService> as NamedService>::NAME,
        <ExperimentalServiceServer<ApiService> as NamedService>::NAME,
        <IdentityServiceServer<IdentityChecks> as NamedService>::NAME,
    ];
    for service in services {
        health.set_service_status(service, status).await;
    }
}

fn local_address(listener: &TcpListener) -> Result<std::net::SocketAddr, ServerError> {
    listener.local_addr().map_err(|source| ServerError::Io {
        what: "cannot read the listening address".to_owned(),
        source,
    })
}

fn flatten(
    finished: Result<Result<(), tonic::transport::Error>, tokio::task::JoinError>,
) -> Result<(), ServerError> {
    match finished {
        Ok(result) => result.map_err(ServerError::from),
        Err(err) => Err(ServerError::Io {
            what: "the gRPC server task failed".to_owned(),
            source: std::io::Error::other(err.to_string()),
        }),
    }
}
