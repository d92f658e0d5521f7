//! The gate every API request passes: authentication (who is calling?), then API
//! authorization (may they call this RPC?), each decision written to the audit log.
//!
//! It is a tower layer around each API service, so it sees the RPC's path before any
//! message is decoded, and an RPC it does not know is never let through. A caller whose
//! grant is scoped to object types passes with an [`AllowedScope`] the handler enforces.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Instant;

use tessera_identity::{IdentityError, PeerCertificates, Principal};
use tonic::server::NamedService;
use tonic::transport::server::{TcpConnectInfo, TlsConnectInfo};
use tower::{Layer, Service};

use crate::access::{AccessPolicy, capability_of, principal_name};
use crate::audit::{AuditEvent, AuditLog, EventKind};
use crate::auth::Authentication;
use crate::error::ApiError;
use crate::scope::{AllowedScope, ScopedCaller};

/// The request id header the server sets on every request.
pub(crate) const REQUEST_ID: &str = "x-request-id";

/// Authenticates, authorizes and audits every request to the services it wraps.
///
/// Failures answer `UNAUTHENTICATED` (no verifiable credential: the caller is unknown) or
/// `PERMISSION_DENIED` (a known caller without the capability the RPC needs); the two never
/// stand in for each other. With authentication disabled (the server's explicit insecure
/// mode) every request passes.
#[derive(Clone, Debug)]
pub struct Guard {
    authentication: Authentication,
    access: AccessPolicy,
    audit: AuditLog,
}

impl Guard {
    /// A guard authenticating with `authentication`, deciding with `access` and recording
    /// decisions in `audit`.
    pub fn new(authentication: Authentication, access: AccessPolicy, audit: AuditLog) -> Self {
        Self {
            authentication,
            access,
            audit,
        }
    }

    /// Lets a request through (with its principal in the extensions) or says why not.
    fn admit<B>(&self, request: &mut http::Request<B>) -> Result<(), tonic::Status> {
        let started = Instant::now();
        let rpc = request.uri().path().trim_start_matches('/').to_owned();
        let request_id = request
            .headers()
            .get(REQUEST_ID)
            .and_then(|value| value.to_str().ok())
            .map(str::to_owned);
        let mut event = AuditEvent {
            kind: EventKind::Authorization,
            request_id: request_id.as_deref(),
            rpc: &rpc,
            principal: None,
            subject: None,
            resource: Some("api:tessera"),
            permission: None,
            result: "denied",
            reason: None,
            revision: None,
            latency: started.elapsed(),
        };
        let Some(capability) = capability_of(&rpc) else {
            event.reason = Some("not an API method");
            self.audit.record(&event);
            return Err(ApiError::Unimplemented("this method").into());
        };
        event.permission = Some(capability.name());
        let principal = match self.authenticate(request) {
            Ok(Some(principal)) => principal,
            Ok(None) => {
                event.result = "allowed";
                event.reason = Some("authentication disabled");
                event.latency = started.elapsed();
                self.audit.record(&event);
                return Ok(());
            }
            Err(err) => {
                let reason = err
                    .rejection()
                    .map_or_else(|| err.to_string(), ToString::to_string);
                event.result = "unauthenticated";
                event.reason = Some(&reason);
                event.latency = started.elapsed();
                self.audit.record(&event);
                return Err(ApiError::Unauthenticated(err).into());
            }
        };
        let decision = self.access.decide(&principal, capability);
        event.principal = Some(&principal);
        event.subject = Some(&decision.subject);
        event.result = if decision.allowed {
            "allowed"
        } else {
            "denied"
        };
        if decision.scoped {
            event.reason = Some("scoped to object types");
        }
        event.latency = started.elapsed();
        self.audit.record(&event);
        if !decision.allowed {
            tracing::debug!(principal = %principal_name(&principal), %capability, %rpc, "denied");
            return Err(ApiError::PermissionDenied {
                principal: principal_name(&principal),
                capability,
                rpc,
            }
            .into());
        }
        if decision.scoped {
            // Unscoped callers get no scope: its absence means every type.
            let scope = AllowedScope::Types(Arc::new(ScopedCaller {
                access: self.access.clone(),
                audit: self.audit.clone(),
                principal: principal.clone(),
                subject: decision.subject,
                capability,
                rpc,
                request_id,
            }));
            request.extensions_mut().insert(scope);
        }
        request.extensions_mut().insert(principal);
        Ok(())
    }

    /// The caller's principal; `None` when authentication is disabled.
    fn authenticate<B>(
        &self,
        request: &http::Request<B>,
    ) -> Result<Option<Principal>, IdentityError> {
        let header = request
            .headers()
            .get(http::header::AUTHORIZATION)
            .map(|value| value.to_str().map_err(|_| IdentityError::Malformed))
            .transpose()?;
        let certificates: Option<PeerCertificates> = request
            .extensions()
            .get::<TlsConnectInfo<TcpConnectInfo>>()
            .and_then(TlsConnectInfo::peer_certs);
        self.authentication.principal(header, certificates)
    }
}

impl<S> Layer<S> for Guard {
    type Service = Guarded<S>;

    fn layer(&self, inner: S) -> Self::Service {
        Guarded {
            inner,
            guard: self.clone(),
        }
    }
}

/// A service behind a [`Guard`].
#[derive(Clone, Debug)]
pub struct Guarded<S> {
    inner: S,
    guard: Guard,
}

impl<S: NamedService> NamedService for Guarded<S> {
    const NAME: &'static str = S::NAME;
}

impl<S, B> Service<http::Request<B>> for Guarded<S>
where
    S: Service<http::Request<B>, Response = http::Response<tonic::body::Body>>,
    S::Future: Send + 'static,
    S::Error: Send + 'static,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, Self::Error>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut request: http::Request<B>) -> Self::Future {
        match self.guard.admit(&mut request) {
            Ok(()) => Box::pin(self.inner.call(request)),
            Err(status) => Box::pin(std::future::ready(Ok(status.into_http()))),
        }
    }
}
