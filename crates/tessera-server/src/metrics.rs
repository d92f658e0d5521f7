//! Prometheus metrics: request counts and latencies by gRPC method, check cache hits and
//! misses, and store gauges.
//!
//! Built on `prometheus-client`, the Prometheus project's own Rust client: an explicit
//! registry (no global state or macros, so tests can run many servers in one process), typed
//! label sets, and no dependencies beyond the standard library's formatting.

use std::sync::Arc;
use std::time::Duration;

use axum::extract::State;
use axum::http::header::CONTENT_TYPE;
use axum::response::IntoResponse;
use prometheus_client::collector::Collector;
use prometheus_client::encoding::prometheus_text;
use prometheus_client::encoding::{DescriptorEncoder, EncodeLabelSet, EncodeMetric};
use prometheus_client::metrics::counter::{ConstCounter, Counter};
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;
use tessera_api::Api;
use tessera_store::Datastore;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    method: String,
    code: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct MethodLabels {
    method: String,
}

/// Latency buckets from 50 µs to about 6.5 s, doubling.
fn latency_histogram() -> Histogram {
    Histogram::new(exponential_buckets(0.000_05, 2.0, 18))
}

/// The server's metrics.
#[derive(Debug)]
pub(crate) struct Metrics {
    registry: Registry,
    requests: Family<RequestLabels, Counter>,
    latency: Family<MethodLabels, Histogram, fn() -> Histogram>,
    head_revision: Gauge,
    oldest_revision: Gauge,
    store: Arc<dyn Datastore>,
}

impl Metrics {
    pub(crate) fn new(store: Arc<dyn Datastore>, api: Api) -> Self {
        let mut registry = Registry::with_prefix("tessera");
        let requests = Family::<RequestLabels, Counter>::default();
        let latency = Family::<MethodLabels, Histogram, fn() -> Histogram>::new_with_constructor(
            latency_histogram,
        );
        let (head_revision, oldest_revision) = (Gauge::default(), Gauge::default());
        registry.register(
            "grpc_requests",
            "gRPC requests handled, by method and status code",
            requests.clone(),
        );
        registry.register(
            "grpc_request_duration_seconds",
            "Time until the response headers, by method",
            latency.clone(),
        );
        registry.register(
            "store_head_revision",
            "The newest committed revision",
            head_revision.clone(),
        );
        registry.register(
            "store_oldest_revision",
            "The oldest revision still readable (the GC window)",
            oldest_revision.clone(),
        );
        registry.register_collector(Box::new(CheckCacheCounters(api)));
        Self {
            registry,
            requests,
            latency,
            head_revision,
            oldest_revision,
            store,
        }
    }

    /// Records one finished request.
    pub(crate) fn record(&self, method: &str, code: &str, elapsed: Duration) {
        self.requests
            .get_or_create(&RequestLabels {
                method: method.to_owned(),
                code: code.to_owned(),
            })
            .inc();
        self.latency
            .get_or_create(&MethodLabels {
                method: method.to_owned(),
            })
            .observe(elapsed.as_secs_f64());
    }

    /// The metrics in Prometheus' text format, store gauges read now.
    pub(crate) fn render(&self) -> String {
        let gauge = |revision: u64| i64::try_from(revision).unwrap_or(i64::MAX);
        self.head_revision
            .set(gauge(self.store.head_revision().get()));
        self.oldest_revision
            .set(gauge(self.store.oldest_revision().get()));
        let mut text = String::new();
        if let Err(err) = prometheus_text::encode(&mut text, &self.registry) {
            tracing::warn!(error = %err, "cannot encode metrics");
        }
        text
    }
}

/// The check caches' hit and miss totals, read at each scrape.
#[derive(Debug)]
struct CheckCacheCounters(Api);

impl Collector for CheckCacheCounters {
    fn encode(&self, mut encoder: DescriptorEncoder<'_>) -> Result<(), std::fmt::Error> {
        let counters = self.0.check_cache_counters();
        for (name, help, value) in [
            (
                "check_cache_hits",
                "Check answers served from the check cache",
                counters.hits(),
            ),
            (
                "check_cache_misses",
                "Check cache lookups that found no answer exact at the revision asked",
                counters.misses(),
            ),
        ] {
            let counter = ConstCounter::new(value);
            counter.encode(encoder.encode_descriptor(
                name,
                help,
                None,
                counter.metric_type(),
            )?)?;
        }
        Ok(())
    }
}

/// `GET /metrics`.
pub(crate) async fn handler(State(metrics): State<Arc<Metrics>>) -> impl IntoResponse {
    (
        [(CONTENT_TYPE, prometheus_text::CONTENT_TYPE)],
        metrics.render(),
    )
}
