//! A tower layer around every gRPC request: a request id (`x-request-id`, the client's or a
//! new one) in a tracing span and echoed in the response, and metrics by method and code.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::task::{Context, Poll};
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use http::{HeaderName, HeaderValue, Request, Response};
use tower::{Layer, Service};
use tracing::Instrument as _;

use crate::metrics::Metrics;

/// The request id header, as SpiceDB names it.
pub(crate) const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");
/// Longest client-chosen request id that is kept; longer ones are replaced.
const MAX_REQUEST_ID_LEN: usize = 128;

/// Issues request ids: a per-process prefix and a counter, unique and cheap.
#[derive(Debug)]
struct RequestIds {
    prefix: String,
    next: AtomicU64,
}

impl RequestIds {
    fn new() -> Self {
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |elapsed| elapsed.subsec_nanos());
        Self {
            prefix: format!("{:08x}{:04x}", nanos, std::process::id() & 0xffff),
            next: AtomicU64::new(1),
        }
    }

    /// The client's id if it sent a usable one, else a new one.
    fn for_request(&self, sent: Option<&HeaderValue>) -> HeaderValue {
        if let Some(sent) = sent.filter(|value| {
            !value.is_empty()
                && value.len() <= MAX_REQUEST_ID_LEN
                && value
                    .to_str()
                    .is_ok_and(|text| text.bytes().all(|b| b.is_ascii_graphic()))
        }) {
            return sent.clone();
        }
        let id = format!(
            "{}-{}",
            self.prefix,
            self.next.fetch_add(1, Ordering::Relaxed)
        );
        HeaderValue::try_from(id).unwrap_or(HeaderValue::from_static("unknown"))
    }
}

/// The label for a request path: the gRPC method, or `other` for paths outside the served
/// packages (so that arbitrary paths cannot grow the metrics without bound).
fn method_label(path: &str) -> &str {
    let method = path.strip_prefix('/').unwrap_or(path);
    let served = ["authzed.api.v1.", "grpc.health.v1.", "grpc.reflection."];
    if served.iter().any(|package| method.starts_with(package)) && method.len() <= 128 {
        method
    } else {
        "other"
    }
}

/// Adds request ids, tracing spans and metrics to a service.
#[derive(Clone, Debug)]
pub(crate) struct TelemetryLayer {
    metrics: Arc<Metrics>,
    ids: Arc<RequestIds>,
}

impl TelemetryLayer {
    pub(crate) fn new(metrics: Arc<Metrics>) -> Self {
        Self {
            metrics,
            ids: Arc::new(RequestIds::new()),
        }
    }
}

impl<S> Layer<S> for TelemetryLayer {
    type Service = Telemetry<S>;

    fn layer(&self, inner: S) -> Self::Service {
        Telemetry {
            inner,
            layer: self.clone(),
        }
    }
}

/// The service [`TelemetryLayer`] makes.
#[derive(Clone, Debug)]
pub(crate) struct Telemetry<S> {
    inner: S,
    layer: TelemetryLayer,
}

impl<S, B, R> Service<Request<B>> for Telemetry<S>
where
    S: Service<Request<B>, Response = Response<R>> + Clone + Send + 'static,
    S::Future: Send + 'static,
    B: Send + 'static,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, Self::Error>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut request: Request<B>) -> Self::Future {
        let id = self
            .layer
            .ids
            .for_request(request.headers().get(&REQUEST_ID));
        request.headers_mut().insert(REQUEST_ID, id.clone());
        let method = method_label(request.uri().path()).to_owned();
        let span = tracing::info_span!(
            "grpc",
            method = %method,
            request_id = %id.to_str().unwrap_or_default(),
        );
        // The clone that was polled ready serves this call; the fresh clone waits for the next.
        let clone = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, clone);
        let metrics = Arc::clone(&self.layer.metrics);
        let started = Instant::now();
        Box::pin(
            async move {
                let result = inner.call(request).await;
                let elapsed = started.elapsed();
                if let Ok(response) = &result {
                    // Errors answered before any message carry their code in the headers;
                    // everything else ends in trailers, after this point, and counts as OK.
                    let code = response
                        .headers()
                        .get("grpc-status")
                        .and_then(|code| code.to_str().ok())
                        .map(|code| code.parse::<i32>().unwrap_or(2))
                        .map_or("OK", |code| code_name(tonic::Code::from_i32(code)));
                    metrics.record(&method, code, elapsed);
                    tracing::debug!(
                        code,
                        elapsed_us = elapsed.as_micros() as u64,
                        "request answered"
                    );
                }
                result.map(|mut response| {
                    response.headers_mut().insert(REQUEST_ID, id);
                    response
                })
            }
            .instrument(span),
        )
    }
}

fn code_name(code: tonic::Code) -> &'static str {
    use tonic::Code;
    match code {
        Code::Ok => "OK",
        Code::Cancelled => "CANCELLED",
        Code::Unknown => "UNKNOWN",
        Code::InvalidArgument => "INVALID_ARGUMENT",
        Code::DeadlineExceeded => "DEADLINE_EXCEEDED",
        Code::NotFound => "NOT_FOUND",
        Code::AlreadyExists => "ALREADY_EXISTS",
        Code::PermissionDenied => "PERMISSION_DENIED",
        Code::ResourceExhausted => "RESOURCE_EXHAUSTED",
        Code::FailedPrecondition => "FAILED_PRECONDITION",
        Code::Aborted => "ABORTED",
        Code::OutOfRange => "OUT_OF_RANGE",
        Code::Unimplemented => "UNIMPLEMENTED",
        Code::Internal => "INTERNAL",
        Code::Unavailable => "UNAVAILABLE",
        Code::DataLoss => "DATA_LOSS",
        Code::Unauthenticated => "UNAUTHENTICATED",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_served_methods_become_labels() {
        assert_eq!(
            method_label("/authzed.api.v1.PermissionsService/CheckPermission"),
            "authzed.api.v1.PermissionsService/CheckPermission"
        );
        assert_eq!(
            method_label("/grpc.health.v1.Health/Check"),
            "grpc.health.v1.Health/Check"
        );
        assert_eq!(method_label("/random/path"), "other");
    }

    #[test]
    fn request_ids_are_kept_when_sane_and_made_otherwise() {
        let ids = RequestIds::new();
        let sent = HeaderValue::from_static("abc-123");
        assert_eq!(ids.for_request(Some(&sent)), sent);
        let first = ids.for_request(None);
        let second = ids.for_request(Some(&HeaderValue::from_static("has space")));
        assert_ne!(first, second);
        assert!(first.to_str().unwrap().ends_with("-1"));
    }
}
