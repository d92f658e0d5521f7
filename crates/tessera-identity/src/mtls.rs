use std::path::Path;
use std::sync::Arc;

use rustls::RootCertStore;
use rustls::pki_types::CertificateDer;
use rustls::pki_types::pem::PemObject;
use rustls::server::WebPkiClientVerifier;
use rustls::server::danger::ClientCertVerifier;
use x509_parser::certificate::X509Certificate;
use x509_parser::extensions::GeneralName;

use crate::authenticator::Authenticator;
use crate::credentials::Credentials;
use crate::error::{IdentityError, Rejection};
use crate::principal::{Claims, Principal, PrincipalKind};
use crate::spiffe::{self, SpiffeId};

/// How verified client certificates become principals.
#[derive(Clone, Debug, Default)]
pub struct MtlsConfig {
    /// Trust domains whose SPIFFE ids are accepted, e.g. `prod.example.org`. A client CA may
    /// sign for several; only these identify callers.
    pub trust_domains: Vec<String>,
    /// Whether a certificate without a SPIFFE id proves the [`PrincipalKind::Service`] named by
    /// its subject common name (issuer: the certificate's issuer name) instead of being
    /// rejected.
    pub common_name_fallback: bool,
}

/// Identifies the caller of an mTLS connection from its client certificate.
///
/// A SPIFFE id in the leaf's URI SAN (`spiffe://trust-domain/path`) proves a
/// [`PrincipalKind::Workload`]: id = the SPIFFE id, issuer = the trust domain. The chain must
/// already be verified by the TLS layer (see [`client_certificate_verifier`]); this
/// authenticator only reads identities from it. Credentials without a certificate are not its
/// kind; a certificate it cannot turn into a principal is rejected.
#[derive(Clone, Debug)]
pub struct MtlsAuthenticator {
    config: MtlsConfig,
}

impl MtlsAuthenticator {
    /// An authenticator following `config`.
    ///
    /// # Errors
    /// [`IdentityError::Configuration`] for an invalid trust domain name, or a configuration
    /// that accepts nobody (no trust domain and no common name fallback).
    pub fn new(config: MtlsConfig) -> Result<Self, IdentityError> {
        if let Some(bad) = config
            .trust_domains
            .iter()
            .find(|domain| !spiffe::is_trust_domain(domain))
        {
            return Err(IdentityError::Configuration(format!(
                "`{bad}` is not a SPIFFE trust domain name (lowercase letters, digits, `.`, `-`, `_`)"
            )));
        }
        if config.trust_domains.is_empty() && !config.common_name_fallback {
            return Err(IdentityError::Configuration(
                "mTLS accepts nobody: name a SPIFFE trust domain or enable the common name \
                 fallback"
                    .to_owned(),
            ));
        }
        Ok(Self { config })
    }

    fn identify(&self, leaf: &CertificateDer<'_>) -> Result<Principal, Rejection> {
        let (_, cert) = x509_parser::parse_x509_certificate(leaf.as_ref())
            .map_err(|_| Rejection::UnreadableCertificate)?;
        let uris = uri_sans(&cert)?;
        match uris.as_slice() {
            [uri] if uri.starts_with("spiffe:") => self.workload(uri),
            // The X509-SVID standard allows exactly one URI SAN: with several, which one names
            // the workload is ambiguous.
            several if several.iter().any(|uri| uri.starts_with("spiffe:")) => Err(
                Rejection::InvalidSpiffeId("more than one URI SAN".to_owned()),
            ),
            _ if self.config.common_name_fallback => common_name_service(&cert),
            _ => Err(Rejection::NoSpiffeId),
        }
    }

    fn workload(&self, uri: &str) -> Result<Principal, Rejection> {
        let id = SpiffeId::parse(uri).map_err(|why| Rejection::InvalidSpiffeId(why.to_owned()))?;
        let trust_domain = id.trust_domain();
        if !self.config.trust_domains.iter().any(|d| d == trust_domain) {
            return Err(Rejection::UntrustedTrustDomain(trust_domain.to_owned()));
        }
        Ok(Principal {
            id: uri.to_owned(),
            kind: PrincipalKind::Workload,
            issuer: trust_domain.to_owned(),
            tenant: None,
            claims: Claims::new(),
        })
    }
}

/// The URI SANs of `cert`.
fn uri_sans<'a>(cert: &'a X509Certificate<'_>) -> Result<Vec<&'a str>, Rejection> {
    let sans = cert
        .subject_alternative_name()
        .map_err(|_| Rejection::UnreadableCertificate)?;
    Ok(sans
        .map(|san| {
            san.value
                .general_names
                .iter()
                .filter_map(|name| match name {
                    GeneralName::URI(uri) => Some(*uri),
                    _ => None,
                })
                .collect()
        })
        .unwrap_or_default())
}

fn common_name_service(cert: &X509Certificate<'_>) -> Result<Principal, Rejection> {
    let common_name = cert
        .subject()
        .iter_common_name()
        .next()
        .and_then(|name| name.as_str().ok())
        .filter(|name| !name.is_empty())
        .ok_or(Rejection::NoSpiffeId)?;
    Ok(Principal {
        id: common_name.to_owned(),
        kind: PrincipalKind::Service,
        issuer: cert.issuer().to_string(),
        tenant: None,
        claims: Claims::new(),
    })
}

impl Authenticator for MtlsAuthenticator {
    fn authenticate(&self, credentials: &Credentials) -> Result<Option<Principal>, IdentityError> {
        let Some(leaf) = credentials.peer_certificates().first() else {
            return Ok(None);
        };
        match self.identify(leaf) {
            Ok(principal) => Ok(Some(principal)),
            Err(rejection) => {
                tracing::debug!(reason = %rejection, "client certificate rejected");
                Err(IdentityError::Rejected(rejection))
            }
        }
    }
}

/// A rustls verifier that requires a client certificate chaining to a CA in `ca_file` (PEM,
/// one or more certificates), for the server's TLS configuration.
///
/// Connections without a client certificate, or with one from another CA, fail the TLS
/// handshake; the chains that pass are what [`Credentials::with_peer_certificates`] takes.
///
/// # Errors
/// [`IdentityError::Configuration`] when the file cannot be read, holds no certificate or a
/// certificate rustls cannot use as a trust anchor.
pub fn client_certificate_verifier(
    ca_file: &Path,
) -> Result<Arc<dyn ClientCertVerifier>, IdentityError> {
    let config_error = |what: String| {
        IdentityError::Configuration(format!("client CA file `{}`: {what}", ca_file.display()))
    };
    let pem = std::fs::read(ca_file).map_err(|err| config_error(err.to_string()))?;
    let mut roots = RootCertStore::empty();
    for cert in CertificateDer::pem_slice_iter(&pem) {
        let cert = cert.map_err(|err| config_error(err.to_string()))?;
        roots
            .add(cert)
            .map_err(|err| config_error(err.to_string()))?;
    }
    if roots.is_empty() {
        return Err(config_error("no PEM certificate in it".to_owned()));
    }
    // The provider is named rather than taken from the process default: which one that is
    // depends on the features other crates enable, and a verifier must not change with them.
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider)
        .build()
        .map_err(|err| config_error(err.to_string()))
}
