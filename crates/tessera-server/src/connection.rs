//! How the client commands (`tessera schema read`, `tessera permission check`,
//! `tessera bench` …) reach an `authzed.api.v1` server: endpoint, bearer token and TLS.

use std::path::PathBuf;

use anyhow::Context as _;
use tonic::metadata::AsciiMetadataValue;
use tonic::service::Interceptor;
use tonic::service::interceptor::InterceptedService;
use tonic::transport::{Certificate, Channel, ClientTlsConfig, Endpoint};

use crate::client::contexts;

/// The server to talk to, as given on the command line.
///
/// Each flag beats its environment variable, which beats the selected context (see
/// `tessera context`), which beats the built-in default.
#[derive(Clone, Debug, clap::Args)]
pub struct ConnectionArgs {
    /// The server's gRPC address, `HOST:PORT`.
    #[arg(long, env = "TESSERA_ENDPOINT", default_value_t = default_endpoint())]
    pub endpoint: String,
    /// The bearer token sent with every call: a preshared key or a JWT.
    #[arg(
        long,
        env = "TESSERA_TOKEN",
        hide_env_values = true,
        default_value = default_token(),
        hide_default_value = true
    )]
    pub token: Option<String>,
    /// Speak plaintext gRPC instead of TLS (for a local server).
    #[arg(long, default_value_t = default_insecure())]
    pub insecure: bool,
    /// PEM file of the CA that signed the server's certificate (default: the system's roots).
    #[arg(
        long,
        value_name = "PEM",
        conflicts_with = "insecure",
        default_value = default_tls_ca()
    )]
    pub tls_ca: Option<PathBuf>,
}

const DEFAULT_ENDPOINT: &str = "127.0.0.1:50051";

fn default_endpoint() -> String {
    contexts::defaults().map_or_else(
        || DEFAULT_ENDPOINT.to_owned(),
        |saved| saved.endpoint.clone(),
    )
}

fn default_token() -> Option<&'static str> {
    contexts::defaults().and_then(|saved| saved.token.as_deref())
}

fn default_insecure() -> bool {
    contexts::defaults().is_some_and(|saved| saved.insecure)
}

fn default_tls_ca() -> Option<&'static str> {
    contexts::defaults()
        .filter(|saved| !saved.insecure)
        .and_then(|saved| saved.tls_ca.as_deref())
        .and_then(|path| path.to_str())
}

/// Adds `authorization: Bearer <token>` to every call, as SpiceDB's clients do.
#[derive(Clone, Debug)]
pub struct Bearer(Option<AsciiMetadataValue>);

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

/// A channel whose calls carry the bearer token.
pub type AuthedChannel = InterceptedService<Channel, Bearer>;

impl ConnectionArgs {
    /// Connects to the endpoint.
    ///
    /// # Errors
    /// An unreadable CA file, a token that is not valid header text, or a server that cannot
    /// be reached; each message names the input at fault.
    pub async fn connect(&self) -> anyhow::Result<AuthedChannel> {
        if let Some(problem) = contexts::load_error() {
            anyhow::bail!("{problem}");
        }
        let scheme = if self.insecure { "http" } else { "https" };
        let url = format!("{scheme}://{}", self.endpoint);
        let mut endpoint = Endpoint::from_shared(url).with_context(|| {
            format!(
                "invalid --endpoint `{}`: use HOST:PORT, e.g. {DEFAULT_ENDPOINT}",
                self.endpoint
            )
        })?;
        if !self.insecure {
            let mut tls = ClientTlsConfig::new().with_native_roots();
            if let Some(path) = &self.tls_ca {
                let pem = std::fs::read(path)
                    .with_context(|| format!("cannot read --tls-ca `{}`", path.display()))?;
                tls = tls.ca_certificate(Certificate::from_pem(pem));
            }
            endpoint = endpoint.tls_config(tls).context("cannot configure TLS")?;
        }
        let channel = endpoint.connect().await.with_context(|| {
            let hint = if self.insecure {
                ""
            } else {
                " (is it serving plaintext? then add --insecure)"
            };
            format!("cannot connect to {}{hint}", self.endpoint)
        })?;
        let bearer = match &self.token {
            Some(token) => Some(format!("Bearer {token}").parse().map_err(|_| {
                anyhow::anyhow!("--token contains characters not allowed in a gRPC header")
            })?),
            None => None,
        };
        Ok(InterceptedService::new(channel, Bearer(bearer)))
    }
}
