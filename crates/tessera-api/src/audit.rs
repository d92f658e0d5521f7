//! The decision audit log: one JSON line per API authorization decision and per sampled
//! check answer, written to a sink of its own (a file or stderr), apart from the logs.
//!
//! A line names the caller by principal, never by credential: no token, key or certificate
//! reaches this module.

use std::fmt;
use std::fs::OpenOptions;
use std::io::Write;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use parking_lot::Mutex;
use serde_json::{Value, json};
use tessera_identity::Principal;
use tessera_proto::authzed::api::v1 as wire;

use crate::access::principal_name;
use crate::error::ApiError;
use crate::guard::REQUEST_ID;
use crate::service::ApiService;
use crate::token::ZedToken;

/// Where audit lines go, and how many check answers are recorded.
///
/// Clones share the sink. Writes are small and synchronous (one line under a lock) so that
/// a line is complete before the answer it records leaves the server.
#[derive(Clone, Default)]
pub struct AuditLog {
    sink: Option<Arc<Sink>>,
}

struct Sink {
    out: Mutex<Box<dyn Write + Send>>,
    /// The share of check answers recorded, in `[0, 1]`.
    check_rate: f64,
    checks: AtomicU64,
}

impl AuditLog {
    /// No audit log.
    pub fn disabled() -> Self {
        Self::default()
    }

    /// Lines to `out`, recording the share `check_rate` (clamped to `[0, 1]`) of check
    /// answers; every authorization decision is recorded.
    pub fn new(out: Box<dyn Write + Send>, check_rate: f64) -> Self {
        let check_rate = if check_rate.is_nan() {
            0.0
        } else {
            check_rate.clamp(0.0, 1.0)
        };
        Self {
            sink: Some(Arc::new(Sink {
                out: Mutex::new(out),
                check_rate,
                checks: AtomicU64::new(0),
            })),
        }
    }

    /// Lines appended to the file at `path` (created if missing), or to stderr for `-`.
    ///
    /// # Errors
    /// [`ApiError::AccessConfig`] when the file cannot be opened.
    pub fn open(path: &Path, check_rate: f64) -> Result<Self, ApiError> {
        if path.as_os_str() == "-" {
            return Ok(Self::new(Box::new(std::io::stderr()), check_rate));
        }
        let file = OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .map_err(|err| {
                ApiError::AccessConfig(format!(
                    "cannot open the audit log `{}`: {err}",
                    path.display()
                ))
            })?;
        Ok(Self::new(Box::new(file), check_rate))
    }

    /// Whether lines are written at all.
    pub fn is_enabled(&self) -> bool {
        self.sink.is_some()
    }

    /// Whether the next check answer is recorded: exactly `rate` of them, spread evenly
    /// (the n-th is recorded when `floor(n * rate)` steps up), with no randomness to seed.
    pub(crate) fn sample_check(&self) -> bool {
        let Some(sink) = &self.sink else {
            return false;
        };
        if sink.check_rate >= 1.0 {
            return true;
        }
        if sink.check_rate <= 0.0 {
            return false;
        }
        let n = sink.checks.fetch_add(1, Ordering::Relaxed);
        #[expect(
            clippy::cast_precision_loss,
            clippy::cast_possible_truncation,
            clippy::cast_sign_loss,
            reason = "a sampling counter; precision beyond 2^52 checks does not matter"
        )]
        let step = |n: u64| (n as f64 * sink.check_rate).floor() as u64;
        step(n + 1) > step(n)
    }

    /// Records one event.
    pub(crate) fn record(&self, event: &AuditEvent<'_>) {
        let Some(sink) = &self.sink else {
            return;
        };
        let line = event.to_json().to_string();
        let mut out = sink.out.lock();
        if let Err(err) = writeln!(out, "{line}").and_then(|()| out.flush()) {
            tracing::warn!(error = %err, "cannot write the audit log");
        }
    }
}

impl fmt::Debug for AuditLog {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AuditLog")
            .field("enabled", &self.is_enabled())
            .field(
                "check_rate",
                &self.sink.as_ref().map(|sink| sink.check_rate),
            )
            .finish()
    }
}

/// What kind of decision a line records.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum EventKind {
    /// Whether a caller may call an RPC (including callers that could not be authenticated).
    Authorization,
    /// A permission check answered to a caller.
    Check,
}

/// One audit line.
#[derive(Debug)]
pub(crate) struct AuditEvent<'a> {
    pub(crate) kind: EventKind,
    pub(crate) request_id: Option<&'a str>,
    pub(crate) rpc: &'a str,
    /// The verified caller; `None` when authentication failed or is disabled.
    pub(crate) principal: Option<&'a Principal>,
    pub(crate) subject: Option<&'a str>,
    pub(crate) resource: Option<&'a str>,
    pub(crate) permission: Option<&'a str>,
    /// `allowed`, `denied`, `unauthenticated`, or a check's permissionship.
    pub(crate) result: &'a str,
    /// Why, when the result alone does not say (never credential material).
    pub(crate) reason: Option<&'a str>,
    pub(crate) revision: Option<u64>,
    pub(crate) latency: Duration,
}

impl AuditEvent<'_> {
    fn to_json(&self) -> Value {
        let kind = match self.kind {
            EventKind::Authorization => "authorization",
            EventKind::Check => "check",
        };
        let principal = self.principal.map(principal_name);
        let issuer = self.principal.map(|principal| principal.issuer.as_str());
        json!({
            "time": jiff::Timestamp::now().to_string(),
            "event": kind,
            "request_id": self.request_id,
            "rpc": self.rpc,
            "principal": principal,
            "issuer": issuer,
            "subject": self.subject,
            "resource": self.resource,
            "permission": self.permission,
            "result": self.result,
            "reason": self.reason,
            "revision": self.revision,
            "latency_us": u64::try_from(self.latency.as_micros()).unwrap_or(u64::MAX),
        })
    }
}

/// Who asked, as the guard left it on the request.
#[derive(Debug)]
pub(crate) struct Caller {
    request_id: Option<String>,
    principal: Option<Principal>,
    rpc: &'static str,
}

fn object_text(object: Option<&wire::ObjectReference>) -> String {
    object.map_or_else(String::new, |object| {
        format!("{}:{}", object.object_type, object.object_id)
    })
}

fn subject_text(subject: Option<&wire::SubjectReference>) -> String {
    let Some(subject) = subject else {
        return String::new();
    };
    let object = object_text(subject.object.as_ref());
    if subject.optional_relation.is_empty() {
        object
    } else {
        format!("{object}#{}", subject.optional_relation)
    }
}

fn permissionship_text(permissionship: i32) -> &'static str {
    use wire::check_permission_response::Permissionship as P;
    match P::try_from(permissionship) {
        Ok(P::HasPermission) => "has_permission",
        Ok(P::NoPermission) => "no_permission",
        Ok(P::ConditionalPermission) => "conditional_permission",
        Ok(P::Unspecified) | Err(_) => "unspecified",
    }
}

fn revision_of(token: Option<&wire::ZedToken>) -> Option<u64> {
    token
        .and_then(|token| ZedToken::decode(&token.token).ok())
        .map(|token| token.revision().get())
}

impl ApiService {
    /// The caller of `request` to `rpc`, for audit lines.
    pub(crate) fn caller<T>(&self, request: &tonic::Request<T>, rpc: &'static str) -> Caller {
        Caller {
            request_id: request
                .metadata()
                .get(REQUEST_ID)
                .and_then(|value| value.to_str().ok())
                .map(str::to_owned),
            principal: request.extensions().get::<Principal>().cloned(),
            rpc,
        }
    }

    /// Answers a check, recording it in the audit log if it is sampled.
    pub(crate) async fn audited_check(
        &self,
        caller: Caller,
        request: wire::CheckPermissionRequest,
        started: Instant,
    ) -> Result<wire::CheckPermissionResponse, tonic::Status> {
        let audit = &self.inner.audit;
        let asked = audit.sample_check().then(|| {
            (
                object_text(request.resource.as_ref()),
                request.permission.clone(),
                subject_text(request.subject.as_ref()),
            )
        });
        let response = self.inline(move |inner| inner.check_permission(request))?;
        if let Some((resource, permission, subject)) = asked {
            audit.record(&AuditEvent {
                kind: EventKind::Check,
                request_id: caller.request_id.as_deref(),
                rpc: caller.rpc,
                principal: caller.principal.as_ref(),
                subject: Some(&subject),
                resource: Some(&resource),
                permission: Some(&permission),
                result: permissionship_text(response.permissionship),
                reason: None,
                revision: revision_of(response.checked_at.as_ref()),
                latency: started.elapsed(),
            });
        }
        Ok(response)
    }

    /// Records the sampled items of a bulk check.
    pub(crate) fn audit_bulk(
        &self,
        caller: &Caller,
        response: &wire::CheckBulkPermissionsResponse,
        started: Instant,
    ) {
        let audit = &self.inner.audit;
        if !audit.is_enabled() {
            return;
        }
        let revision = revision_of(response.checked_at.as_ref());
        let latency = started.elapsed();
        for pair in &response.pairs {
            if !audit.sample_check() {
                continue;
            }
            let item = pair.request.as_ref();
            let resource = object_text(item.and_then(|item| item.resource.as_ref()));
            let subject = subject_text(item.and_then(|item| item.subject.as_ref()));
            let (result, reason) = match &pair.response {
                Some(wire::check_bulk_permissions_pair::Response::Item(answer)) => {
                    (permissionship_text(answer.permissionship), None)
                }
                Some(wire::check_bulk_permissions_pair::Response::Error(status)) => {
                    ("error", Some(status.message.as_str()))
                }
                None => ("unspecified", None),
            };
            audit.record(&AuditEvent {
                kind: EventKind::Check,
                request_id: caller.request_id.as_deref(),
                rpc: caller.rpc,
                principal: caller.principal.as_ref(),
                subject: Some(&subject),
                resource: Some(&resource),
                permission: item.map(|item| item.permission.as_str()),
                result,
                reason,
                revision,
                latency,
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A writer whose lines the test can read back.
    #[derive(Clone, Default)]
    struct Lines(Arc<Mutex<Vec<u8>>>);

    impl Write for Lines {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.lock().extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn sampling_records_exactly_the_configured_share() {
        for (rate, expected) in [(0.0, 0), (0.25, 25), (0.5, 50), (1.0, 100)] {
            let log = AuditLog::new(Box::new(Lines::default()), rate);
            let recorded = (0..100).filter(|_| log.sample_check()).count();
            assert_eq!(recorded, expected, "{rate}");
        }
        assert!(!AuditLog::disabled().sample_check());
    }

    #[test]
    fn a_line_is_one_json_object_with_every_field() {
        let lines = Lines::default();
        let log = AuditLog::new(Box::new(lines.clone()), 1.0);
        log.record(&AuditEvent {
            kind: EventKind::Check,
            request_id: Some("r-1"),
            rpc: "authzed.api.v1.PermissionsService/CheckPermission",
            principal: None,
            subject: Some("user:alice"),
            resource: Some("document:1"),
            permission: Some("view"),
            result: "has_permission",
            reason: None,
            revision: Some(7),
            latency: Duration::from_micros(42),
        });
        let text = String::from_utf8(lines.0.lock().clone()).unwrap();
        assert_eq!(text.lines().count(), 1);
        let line: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(line["event"], "check");
        assert_eq!(line["revision"], 7);
        assert_eq!(line["latency_us"], 42);
        assert_eq!(line["principal"], Value::Null);
        assert!(line["time"].as_str().unwrap().ends_with('Z'));
    }
}
