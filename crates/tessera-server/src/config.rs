//! `tessera serve`'s flags, and the configuration they make.

use std::fmt;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use tessera_api::{AccessPolicy, ApiConfig, AuditLog, Authentication, EndUsers};
use tessera_identity::{AuthenticatorChain, PresharedKeys};

use crate::auth_config::{AuthArgs, AuthSetup};
use crate::error::ServerError;

/// Parses a duration such as `250ms`, `30s`, `5m`, `24h` or `1h30m`.
///
/// # Errors
/// A message naming the input when it is not a sequence of `<integer><unit>`.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let invalid = || format!("invalid duration `{text}`: use e.g. `250ms`, `30s`, `5m` or `24h`");
    let mut total = Duration::ZERO;
    let mut rest = text.trim();
    if rest.is_empty() {
        return Err(invalid());
    }
    while !rest.is_empty() {
        let digits = rest
            .find(|c: char| !c.is_ascii_digit())
            .ok_or_else(invalid)?;
        let value: u64 = rest[..digits].parse().map_err(|_| invalid())?;
        rest = &rest[digits..];
        let unit_len = rest
            .find(|c: char| c.is_ascii_digit())
            .unwrap_or(rest.len());
        let unit = match &rest[..unit_len] {
            "ms" => Duration::from_millis(value),
            "s" => Duration::from_secs(value),
            "m" => Duration::from_secs(value.saturating_mul(60)),
            "h" => Duration::from_secs(value.saturating_mul(3600)),
            _ => return Err(invalid()),
        };
        total = total.saturating_add(unit);
        rest = &rest[unit_len..];
    }
    Ok(total)
}

/// How logs are written.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum LogFormat {
    /// Human-readable lines.
    Text,
    /// One JSON object per line.
    Json,
}

/// The flags of `tessera serve`. Limits default to SpiceDB's.
#[derive(Clone, clap::Args)]
pub struct ServeArgs {
    /// Directory of the RocksDB store (created if missing).
    #[arg(long, default_value = "./tessera-data")]
    pub data_dir: PathBuf,
    /// Address of the gRPC server.
    #[arg(long, default_value = "127.0.0.1:50051")]
    pub listen: SocketAddr,
    /// A key clients send as `authorization: Bearer <key>`; repeat for several keys (the
    /// n-th key authenticates the principal `preshared-key-<n>`).
    #[arg(
        long = "preshared-key",
        value_name = "KEY",
        env = "TESSERA_PRESHARED_KEY",
        hide_env_values = true,
        value_delimiter = ','
    )]
    pub preshared_keys: Vec<String>,
    /// Serve without authentication: anyone who can connect has full access.
    #[arg(long)]
    pub insecure_no_auth: bool,
    /// PEM certificate chain for TLS (with --tls-key).
    #[arg(long, requires = "tls_key")]
    pub tls_cert: Option<PathBuf>,
    /// PEM private key for TLS (with --tls-cert).
    #[arg(long, requires = "tls_cert")]
    pub tls_key: Option<PathBuf>,
    /// Address of the Prometheus endpoint (`/metrics`).
    #[arg(long, default_value = "127.0.0.1:9090")]
    pub metrics_listen: SocketAddr,
    /// Do not serve metrics.
    #[arg(long)]
    pub no_metrics: bool,
    /// Log format.
    #[arg(long, value_enum, default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,
    /// Log filter (`RUST_LOG` syntax), e.g. `info` or `tessera_api=debug`.
    #[arg(long, env = "RUST_LOG", default_value = "info")]
    pub log_level: String,
    /// Longest a request may run (the client's deadline applies when shorter).
    #[arg(long, value_parser = parse_duration, default_value = "60s")]
    pub request_timeout: Duration,
    /// Largest gRPC message accepted or sent, in bytes.
    #[arg(long, default_value_t = 4 * 1024 * 1024 + 64 * 1024)]
    pub max_message_size: usize,
    /// How long a shutdown waits for requests in flight before cutting them off.
    #[arg(long, value_parser = parse_duration, default_value = "30s")]
    pub shutdown_grace: Duration,
    /// How long revisions stay readable (and how far back ZedTokens work).
    #[arg(long, value_parser = parse_duration, default_value = "24h")]
    pub datastore_gc_window: Duration,
    /// Most updates in one WriteRelationships.
    #[arg(long, default_value_t = 1000)]
    pub write_relationships_max_updates_per_call: usize,
    /// Most preconditions in one WriteRelationships or DeleteRelationships.
    #[arg(long, default_value_t = 1000)]
    pub update_relationships_max_preconditions_per_call: usize,
    /// Highest `optional_limit` of ReadRelationships.
    #[arg(long, default_value_t = 1000)]
    pub max_read_relationships_limit: u32,
    /// Highest `optional_limit` of DeleteRelationships.
    #[arg(long, default_value_t = 1000)]
    pub max_delete_relationships_limit: u32,
    /// Highest limit of LookupResources and LookupSubjects.
    #[arg(long, default_value_t = 1000)]
    pub max_lookup_resources_limit: u32,
    /// Highest page size of ExportBulkRelationships.
    #[arg(long, default_value_t = 10_000)]
    pub max_bulk_export_relationships_limit: u32,
    /// Most checks in one CheckBulkPermissions.
    #[arg(long, default_value_t = 10_000)]
    pub max_bulk_check_items: usize,
    /// Largest caveat context of a request, in bytes.
    #[arg(long, default_value_t = 4096)]
    pub max_caveat_context_size: usize,
    /// Largest caveat stored with a relationship, in bytes.
    #[arg(long, default_value_t = 25_000)]
    pub max_relationship_context_size: usize,
    /// How deep one evaluation may go.
    #[arg(long, default_value_t = 50)]
    pub dispatch_max_depth: u32,
    /// How old a revision `minimize_latency` requests may share.
    #[arg(long, value_parser = parse_duration, default_value = "100ms")]
    pub max_revision_staleness: Duration,
    /// Check answers cached per schema (0 disables the cache).
    #[arg(long, default_value_t = 100_000)]
    pub check_cache_size: usize,
    /// How long a stream waits for a client that reads nothing.
    #[arg(long, value_parser = parse_duration, default_value = "30s")]
    pub streaming_api_response_delay_timeout: Duration,
    /// Identity (JWT, mTLS, key files), API access and the audit log.
    #[command(flatten, next_help_heading = "Authentication, authorization and audit")]
    pub auth: AuthArgs,
}

impl fmt::Debug for ServeArgs {
    /// Everything but the keys, of which only the count is shown.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ServeArgs")
            .field("data_dir", &self.data_dir)
            .field("listen", &self.listen)
            .field(
                "preshared_keys",
                &format!("<{} redacted>", self.preshared_keys.len()),
            )
            .field("insecure_no_auth", &self.insecure_no_auth)
            .field("tls_cert", &self.tls_cert)
            .field("metrics_listen", &self.metrics_listen)
            .finish_non_exhaustive()
    }
}

/// TLS material, PEM-encoded.
#[derive(Clone)]
pub struct TlsConfig {
    /// The certificate chain.
    pub cert_pem: Vec<u8>,
    /// The private key.
    pub key_pem: Vec<u8>,
    /// CA certificates client certificates must chain to (mTLS), if clients present any.
    pub client_ca_pem: Option<Vec<u8>>,
    /// Whether clients may connect without a certificate when `client_ca_pem` is set.
    pub client_cert_optional: bool,
}

impl fmt::Debug for TlsConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TlsConfig").finish_non_exhaustive()
    }
}

/// Everything [`crate::serve`] needs besides the store and the sockets.
#[derive(Clone, Debug)]
pub struct ServerConfig {
    /// Limits and tunables of the API.
    pub api: ApiConfig,
    /// Who is calling: how callers prove it.
    pub authentication: Authentication,
    /// What callers may do with the API (deny by default).
    pub access: AccessPolicy,
    /// Where authorization decisions and check answers are recorded.
    pub audit: AuditLog,
    /// How `tessera.v1.IdentityService` verifies end-user tokens.
    pub end_users: EndUsers,
    /// Preshared keys reread from their file on SIGHUP.
    pub reloadable_keys: Option<PresharedKeys>,
    /// TLS, when configured.
    pub tls: Option<TlsConfig>,
    /// Longest a request may run.
    pub request_timeout: Duration,
    /// Largest message accepted or sent.
    pub max_message_size: usize,
    /// How long a shutdown waits for requests in flight.
    pub shutdown_grace: Duration,
}

impl ServerConfig {
    /// A configuration with SpiceDB's limits and the given authentication, no TLS, and an
    /// access policy that allows nobody anything: set [`ServerConfig::access`] (e.g. with
    /// [`AccessPolicy::service_admins`]). With authentication disabled every call passes.
    pub fn new(authentication: Authentication) -> Self {
        Self {
            api: ApiConfig::default(),
            authentication,
            access: AccessPolicy::deny_all(),
            audit: AuditLog::disabled(),
            end_users: EndUsers::disabled(),
            reloadable_keys: None,
            tls: None,
            request_timeout: Duration::from_secs(60),
            max_message_size: 4 * 1024 * 1024 + 64 * 1024,
            shutdown_grace: Duration::from_secs(30),
        }
    }
}

/// Authentication from preshared keys; refuses to run open unless asked to.
///
/// # Errors
/// [`ServerError::Config`] without keys and without `insecure`, or with both; key errors.
pub fn authentication(keys: &[String], insecure: bool) -> Result<Authentication, ServerError> {
    match (keys.is_empty(), insecure) {
        (true, false) => Err(ServerError::Config(
            "no credential is configured: give --preshared-key (or TESSERA_PRESHARED_KEY), or \
             --insecure-no-auth to serve without authentication"
                .to_owned(),
        )),
        (false, true) => Err(ServerError::Config(
            "--insecure-no-auth and --preshared-key contradict each other".to_owned(),
        )),
        (true, true) => Ok(Authentication::disabled()),
        (false, false) => {
            let named = keys.iter().enumerate().map(|(index, key)| {
                (
                    format!("preshared-key-{}", index + 1),
                    key.trim().to_owned(),
                )
            });
            let keys = PresharedKeys::new(named)?;
            Ok(Authentication::new(AuthenticatorChain::new(vec![
                Arc::new(keys),
            ])))
        }
    }
}

impl ServeArgs {
    /// The server configuration these flags describe (reading TLS files).
    ///
    /// # Errors
    /// Missing credentials, unreadable TLS files.
    pub fn server_config(&self) -> Result<ServerConfig, ServerError> {
        let AuthSetup {
            authentication,
            access,
            audit,
            end_users,
            reloadable_keys,
            client_ca,
        } = self
            .auth
            .merged()?
            .build(&self.preshared_keys, self.insecure_no_auth)?;
        let read = |path: &PathBuf| {
            std::fs::read(path).map_err(|source| ServerError::ReadFile {
                path: path.display().to_string(),
                source,
            })
        };
        let (client_ca_pem, client_cert_optional) = match client_ca {
            Some((pem, optional)) => (Some(pem), optional),
            None => (None, false),
        };
        let tls = match (&self.tls_cert, &self.tls_key) {
            (Some(cert), Some(key)) => Some(TlsConfig {
                cert_pem: read(cert)?,
                key_pem: read(key)?,
                client_ca_pem,
                client_cert_optional,
            }),
            _ if client_ca_pem.is_some() => {
                return Err(ServerError::Config(
                    "--tls-client-ca needs --tls-cert and --tls-key".to_owned(),
                ));
            }
            _ => None,
        };
        Ok(ServerConfig {
            api: ApiConfig {
                max_updates_per_write: self.write_relationships_max_updates_per_call,
                max_preconditions_per_write: self.update_relationships_max_preconditions_per_call,
                max_read_limit: self.max_read_relationships_limit,
                max_delete_limit: self.max_delete_relationships_limit,
                max_lookup_limit: self.max_lookup_resources_limit,
                max_export_limit: self.max_bulk_export_relationships_limit,
                max_bulk_checks: self.max_bulk_check_items,
                max_caveat_context_bytes: self.max_caveat_context_size,
                max_relationship_context_bytes: self.max_relationship_context_size,
                max_depth: self.dispatch_max_depth,
                max_revision_staleness: self.max_revision_staleness,
                check_cache_capacity: self.check_cache_size,
                stream_send_timeout: self.streaming_api_response_delay_timeout,
                ..ApiConfig::default()
            },
            authentication,
            access,
            audit,
            end_users,
            reloadable_keys,
            tls,
            request_timeout: self.request_timeout,
            max_message_size: self.max_message_size,
            shutdown_grace: self.shutdown_grace,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_parse_like_spicedb_flags() {
        assert_eq!(parse_duration("250ms"), Ok(Duration::from_millis(250)));
        assert_eq!(parse_duration("24h"), Ok(Duration::from_secs(86_400)));
        assert_eq!(parse_duration("1h30m"), Ok(Duration::from_secs(5400)));
        for bad in ["", "10", "s", "5 days", "-1s"] {
            assert!(parse_duration(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn the_server_refuses_to_run_open_unless_told() {
        assert!(authentication(&[], false).is_err());
        assert!(authentication(&["k".to_owned()], true).is_err());
        assert!(authentication(&[], true).is_ok());
        assert!(authentication(&["k".to_owned(), "j".to_owned()], false).is_ok());
        assert!(authentication(&[String::new()], false).is_err());
    }

    #[test]
    fn debug_output_hides_keys() {
        use clap::Parser;
        #[derive(clap::Parser)]
        struct Cli {
            #[command(flatten)]
            serve: ServeArgs,
        }
        let cli = Cli::try_parse_from(["tessera", "--preshared-key", "hunter2"]).unwrap();
        let debug = format!("{:?}", cli.serve);
        assert!(!debug.contains("hunter2"), "{debug}");
    }
}
