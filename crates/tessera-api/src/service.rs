//! The state every RPC shares, and how RPCs run: store and evaluator work is blocking, so it
//! runs on tokio's blocking pool; streams are fed from there through a bounded channel.

use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use parking_lot::Mutex;
use tessera_eval::{CacheCounters, EvalConfig};
use tessera_proto::authzed::api::v1 as wire;
use tessera_proto::authzed::api::v1::experimental_service_server::ExperimentalServiceServer;
use tessera_proto::authzed::api::v1::permissions_service_server::PermissionsServiceServer;
use tessera_proto::authzed::api::v1::schema_service_server::SchemaServiceServer;
use tessera_proto::authzed::api::v1::watch_service_server::WatchServiceServer;
use tessera_proto::tessera::v1::identity_service_server::IdentityServiceServer;
use tessera_store::{Datastore, Snapshot};
use tessera_types::Revision;
use tokio::runtime::Handle;
use tokio::sync::{mpsc, watch};
use tokio_stream::Stream;
use tokio_stream::wrappers::ReceiverStream;

use crate::audit::AuditLog;
use crate::config::ApiConfig;
use crate::consistency::{Consistency, Revisions};
use crate::error::ApiError;
use crate::identity_service::{EndUsers, IdentityChecks};
use crate::schemas::{LoadedSchema, Schemas};
use crate::token::ZedToken;

/// A server-streaming response.
pub type ResponseStream<T> = Pin<Box<dyn Stream<Item = Result<T, tonic::Status>> + Send>>;

/// How many responses a stream buffers ahead of a slow client.
const STREAM_BUFFER: usize = 64;

/// SpiceDB's `authzed.api.v1` services over one datastore.
///
/// ```
/// use std::sync::Arc;
/// use tessera_api::{Api, ApiConfig};
///
/// let api = Api::new(Arc::new(tessera_store::MemStore::new()), ApiConfig::default())?;
/// let permissions = api.permissions_service(); // a tonic service, ready for a server
/// # drop(permissions);
/// # Ok::<(), tessera_api::ApiError>(())
/// ```
#[derive(Clone, Debug)]
pub struct Api {
    service: ApiService,
}

/// The implementation of every service trait; obtained through [`Api`].
#[derive(Clone, Debug)]
pub struct ApiService {
    pub(crate) inner: Arc<Inner>,
}

/// What RPCs share.
#[derive(Debug)]
pub(crate) struct Inner {
    pub(crate) store: Arc<dyn Datastore>,
    pub(crate) config: ApiConfig,
    pub(crate) revisions: Revisions,
    pub(crate) schemas: Schemas,
    /// Held by WriteSchema from computing its guards to committing, so the guards are
    /// computed against the schema they replace.
    pub(crate) schema_writes: Mutex<()>,
    /// Flips to `true` when the server begins shutting down, which ends Watch streams.
    pub(crate) shutdown: watch::Sender<bool>,
    /// Where check answers are recorded.
    pub(crate) audit: AuditLog,
}

/// A snapshot and the schema it sees.
pub(crate) struct View {
    pub(crate) snapshot: Arc<dyn Snapshot>,
    pub(crate) schema: Arc<LoadedSchema>,
}

impl View {
    pub(crate) fn revision(&self) -> Revision {
        self.snapshot.revision()
    }
}

impl Api {
    /// The services over `store`, limited by `config`.
    ///
    /// # Errors
    /// [`ApiError::Internal`] if the evaluator cannot be built.
    pub fn new(store: Arc<dyn Datastore>, config: ApiConfig) -> Result<Self, ApiError> {
        Self::with_audit(store, config, AuditLog::disabled())
    }

    /// The services over `store`, limited by `config`, recording check answers in `audit`.
    ///
    /// # Errors
    /// [`ApiError::Internal`] if the evaluator cannot be built.
    pub fn with_audit(
        store: Arc<dyn Datastore>,
        config: ApiConfig,
        audit: AuditLog,
    ) -> Result<Self, ApiError> {
        let eval = EvalConfig {
            max_depth: config.max_depth,
        };
        let inner = Inner {
            revisions: Revisions::new(Arc::clone(&store), config.max_revision_staleness),
            schemas: Schemas::new(Arc::clone(&store), eval, config.check_cache_capacity)?,
            store,
            config,
            schema_writes: Mutex::new(()),
            shutdown: watch::Sender::new(false),
            audit,
        };
        Ok(Self {
            service: ApiService {
                inner: Arc::new(inner),
            },
        })
    }

    /// `authzed.api.v1.PermissionsService`.
    pub fn permissions_service(&self) -> PermissionsServiceServer<ApiService> {
        PermissionsServiceServer::new(self.service.clone())
    }

    /// `authzed.api.v1.SchemaService`.
    pub fn schema_service(&self) -> SchemaServiceServer<ApiService> {
        SchemaServiceServer::new(self.service.clone())
    }

    /// `authzed.api.v1.WatchService`.
    pub fn watch_service(&self) -> WatchServiceServer<ApiService> {
        WatchServiceServer::new(self.service.clone())
    }

    /// `authzed.api.v1.ExperimentalService`.
    pub fn experimental_service(&self) -> ExperimentalServiceServer<ApiService> {
        ExperimentalServiceServer::new(self.service.clone())
    }

    /// Hits and misses of the check caches, over every schema so far.
    pub fn check_cache_counters(&self) -> &CacheCounters {
        self.service.inner.schemas.cache_counters()
    }

    /// `tessera.v1.IdentityService`, checking for end users proven by `end_users`.
    pub fn identity_service(&self, end_users: EndUsers) -> IdentityServiceServer<IdentityChecks> {
        IdentityChecks::server(self.service.clone(), end_users)
    }

    /// Ends every Watch stream (they would otherwise keep a graceful shutdown waiting
    /// forever); other requests finish normally.
    pub fn begin_shutdown(&self) {
        self.service.inner.shutdown.send_replace(true);
    }
}

impl Inner {
    /// The wire token of `revision`.
    pub(crate) fn token(&self, revision: Revision) -> wire::ZedToken {
        wire::ZedToken {
            token: ZedToken::new(revision, self.store.datastore_id()).encode(),
        }
    }

    /// The wire token of a revision this server just committed, which later
    /// `minimize_latency` reads will not predate.
    pub(crate) fn committed(&self, revision: Revision) -> wire::ZedToken {
        self.revisions.observe(revision);
        self.token(revision)
    }

    /// The snapshot and schema a request with `consistency` reads.
    pub(crate) fn view(&self, consistency: &Consistency) -> Result<View, ApiError> {
        self.view_at(self.revisions.resolve(consistency)?)
    }

    /// The snapshot and schema at `revision`.
    pub(crate) fn view_at(&self, revision: Revision) -> Result<View, ApiError> {
        let snapshot = self.store.snapshot(revision)?;
        let schema = self.schemas.at(snapshot.as_ref())?;
        Ok(View { snapshot, schema })
    }

    /// The snapshot and schema at the head, for writes.
    pub(crate) fn view_at_head(&self) -> Result<View, ApiError> {
        self.view_at(self.revisions.head())
    }
}

impl ApiService {
    /// Runs blocking `work` on the blocking pool.
    pub(crate) async fn blocking<T: Send + 'static>(
        &self,
        work: impl FnOnce(&Inner) -> Result<T, ApiError> + Send + 'static,
    ) -> Result<T, tonic::Status> {
        let inner = Arc::clone(&self.inner);
        tokio::task::spawn_blocking(move || work(&inner))
            .await
            .map_err(|err| ApiError::Internal(format!("a request task failed: {err}")))?
            .map_err(tonic::Status::from)
    }

    /// Runs short `work` on the calling async worker. A single check reads a few cached
    /// RocksDB blocks and is done in microseconds, less than the two thread hand-offs the
    /// blocking pool costs; calls that can run long (lookups, writes, bulk work) use
    /// [`ApiService::blocking`].
    pub(crate) fn inline<T>(
        &self,
        work: impl FnOnce(&Inner) -> Result<T, ApiError>,
    ) -> Result<T, tonic::Status> {
        work(&self.inner).map_err(tonic::Status::from)
    }

    /// A response stream fed by blocking `produce`, which sends items through its
    /// [`Emitter`]; an error it returns ends the stream with that error.
    pub(crate) fn produce<T: Send + 'static>(
        &self,
        produce: impl FnOnce(&Inner, &Emitter<T>) -> Result<(), ApiError> + Send + 'static,
    ) -> ResponseStream<T> {
        let (tx, rx) = mpsc::channel(STREAM_BUFFER);
        let inner = Arc::clone(&self.inner);
        let emitter = Emitter {
            tx,
            runtime: Handle::current(),
            timeout: inner.config.stream_send_timeout,
        };
        tokio::task::spawn_blocking(move || {
            match produce(&inner, &emitter) {
                Ok(()) | Err(ApiError::Cancelled(_)) => {}
                // If the client is gone there is nobody to tell.
                Err(err) => drop(
                    emitter
                        .runtime
                        .block_on(emitter.tx.send_timeout(Err(err.into()), emitter.timeout)),
                ),
            }
        });
        Box::pin(ReceiverStream::new(rx))
    }
}

/// Sends a stream's items from a blocking task.
pub(crate) struct Emitter<T> {
    tx: mpsc::Sender<Result<T, tonic::Status>>,
    runtime: Handle,
    timeout: Duration,
}

impl<T> Emitter<T> {
    /// Sends one item, waiting while the client is behind.
    ///
    /// # Errors
    /// [`ApiError::Cancelled`] when the client went away or read nothing for the send timeout:
    /// the producer should stop.
    pub(crate) fn emit(&self, item: T) -> Result<(), ApiError> {
        self.runtime
            .block_on(self.tx.send_timeout(Ok(item), self.timeout))
            .map_err(|err| {
                ApiError::Cancelled(match err {
                    mpsc::error::SendTimeoutError::Timeout(_) => format!(
                        "the client read nothing for {:?}; the stream was abandoned",
                        self.timeout
                    ),
                    mpsc::error::SendTimeoutError::Closed(_) => {
                        "the client closed the stream".to_owned()
                    }
                })
            })
    }
}
