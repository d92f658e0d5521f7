use std::fmt;
use std::sync::Arc;

use rustls::pki_types::CertificateDer;

use crate::error::IdentityError;

/// A verified client certificate chain, leaf first, as rustls hands it to the server (tonic's
/// `Request::peer_certs()`).
pub type PeerCertificates = Arc<Vec<CertificateDer<'static>>>;

/// Everything a request presents to prove who it is.
///
/// Authenticators look at the parts they understand: a bearer token (a preshared key or a
/// JWT) and, on an mTLS connection, the client's certificate chain.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Credentials {
    bearer: Option<String>,
    peer_certificates: Option<PeerCertificates>,
}

impl Credentials {
    /// Reads an `authorization` header value: `Bearer <token>` (scheme case-insensitive, as
    /// HTTP defines it) or nothing.
    ///
    /// # Errors
    /// [`IdentityError::Malformed`] for another scheme or an empty token.
    pub fn from_authorization_header(value: Option<&str>) -> Result<Self, IdentityError> {
        let Some(value) = value else {
            return Ok(Self::default());
        };
        let (scheme, token) = value.trim().split_once(' ').unwrap_or((value.trim(), ""));
        let token = token.trim();
        if !scheme.eq_ignore_ascii_case("bearer") || token.is_empty() {
            return Err(IdentityError::Malformed);
        }
        Ok(Self::bearer(token))
    }

    /// Credentials holding one bearer token.
    pub fn bearer(token: impl Into<String>) -> Self {
        Self {
            bearer: Some(token.into()),
            peer_certificates: None,
        }
    }

    /// Adds the client certificate chain of the connection.
    ///
    /// Only pass a chain that the TLS layer has verified against the configured client CA
    /// (see [`client_certificate_verifier`](crate::client_certificate_verifier)): the mTLS
    /// authenticator reads identities from it and does not verify signatures again.
    #[must_use]
    pub fn with_peer_certificates(mut self, chain: PeerCertificates) -> Self {
        self.peer_certificates = (!chain.is_empty()).then_some(chain);
        self
    }

    /// The bearer token, if one was presented.
    pub fn bearer_token(&self) -> Option<&str> {
        self.bearer.as_deref()
    }

    /// The verified client certificate chain, leaf first; empty without mTLS.
    pub fn peer_certificates(&self) -> &[CertificateDer<'static>] {
        self.peer_certificates.as_deref().map_or(&[], Vec::as_slice)
    }

    /// Whether nothing at all was presented.
    pub fn is_empty(&self) -> bool {
        self.bearer.is_none() && self.peer_certificates.is_none()
    }

    /// What was presented, for error messages: the bearer token when there is one.
    pub(crate) fn kind(&self) -> &'static str {
        if self.bearer.is_some() {
            "bearer token"
        } else {
            "client certificate"
        }
    }
}

impl fmt::Debug for Credentials {
    /// Says which credentials are present, never their values.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials")
            .field("bearer", &self.bearer.as_ref().map(|_| "<redacted>"))
            .field("peer_certificates", &self.peer_certificates().len())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bearer_headers_parse_with_any_scheme_case() {
        for header in ["Bearer abc", "bearer abc", "BEARER   abc  "] {
            let credentials = Credentials::from_authorization_header(Some(header)).unwrap();
            assert_eq!(credentials.bearer_token(), Some("abc"), "{header}");
        }
        assert!(
            Credentials::from_authorization_header(None)
                .unwrap()
                .is_empty()
        );
    }

    #[test]
    fn other_schemes_and_empty_tokens_are_malformed_and_the_secret_is_not_echoed() {
        for header in ["Basic dXNlcjpwYXNz", "Bearer", "Bearer   ", "abc"] {
            let err = Credentials::from_authorization_header(Some(header)).unwrap_err();
            assert_eq!(err, IdentityError::Malformed, "{header}");
            assert!(!err.to_string().contains("dXNlcjpwYXNz"));
            assert!(!err.to_string().contains("abc"));
        }
    }

    #[test]
    fn a_certificate_chain_is_a_credential_and_an_empty_one_is_not() {
        let chain = Arc::new(vec![CertificateDer::from(vec![1, 2, 3])]);
        let credentials = Credentials::default().with_peer_certificates(chain);
        assert!(!credentials.is_empty());
        assert_eq!(credentials.peer_certificates().len(), 1);
        assert_eq!(credentials.kind(), "client certificate");
        let none = Credentials::default().with_peer_certificates(Arc::new(Vec::new()));
        assert!(none.is_empty());
    }

    #[test]
    fn debug_output_redacts_the_token() {
        let debug = format!("{:?}", Credentials::bearer("s3cret"));
        assert!(!debug.contains("s3cret"), "{debug}");
    }
}
