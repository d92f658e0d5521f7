//! The authentication layer: every request must prove who it is before any service sees it.

use std::sync::Arc;

use tessera_identity::{
    AuthenticatorChain, Credentials, IdentityError, PeerCertificates, Principal,
};
use tonic::service::Interceptor;

use crate::error::ApiError;

/// A tonic interceptor that authenticates `authorization: Bearer <key>` through
/// [`tessera_identity`] and puts the verified [`tessera_identity::Principal`] into the
/// request's extensions, where a later authorization layer finds it.
///
/// A credential that cannot be verified — missing, malformed or unknown — is answered with
/// `UNAUTHENTICATED`. SpiceDB answers `PERMISSION_DENIED` for an unknown preshared key; we
/// keep that code for callers who are known but not allowed (authorization), so that the two
/// questions stay apart.
#[derive(Clone, Debug)]
pub struct Authentication {
    /// `None` runs without authentication (the server's explicit insecure mode).
    authenticators: Option<Arc<AuthenticatorChain>>,
}

impl Authentication {
    /// Authenticates with `authenticators`.
    pub fn new(authenticators: AuthenticatorChain) -> Self {
        Self {
            authenticators: Some(Arc::new(authenticators)),
        }
    }

    /// Lets every request through unauthenticated; only for an explicit insecure mode.
    pub fn disabled() -> Self {
        Self {
            authenticators: None,
        }
    }
}

impl Authentication {
    /// The principal an `authorization` header value and, on an mTLS connection, the
    /// verified client certificate chain prove; `Ok(None)` when authentication is disabled.
    ///
    /// # Errors
    /// The identity layer's refusal: missing, malformed, unknown or invalid credentials.
    pub fn principal(
        &self,
        authorization: Option<&str>,
        peer_certificates: Option<PeerCertificates>,
    ) -> Result<Option<Principal>, IdentityError> {
        let Some(authenticators) = &self.authenticators else {
            return Ok(None);
        };
        let mut credentials = Credentials::from_authorization_header(authorization)?;
        if let Some(chain) = peer_certificates {
            credentials = credentials.with_peer_certificates(chain);
        }
        match authenticators.verify(&credentials) {
            Ok(principal) => {
                tracing::debug!(principal = %principal.id, issuer = %principal.issuer, "authenticated");
                Ok(Some(principal))
            }
            Err(err) => {
                match err.rejection() {
                    Some(rejection) => {
                        tracing::debug!(error = %err, reason = %rejection, "authentication failed");
                    }
                    None => tracing::debug!(error = %err, "authentication failed"),
                }
                Err(err)
            }
        }
    }
}

impl Interceptor for Authentication {
    fn call(
        &mut self,
        mut request: tonic::Request<()>,
    ) -> Result<tonic::Request<()>, tonic::Status> {
        let header = request
            .metadata()
            .get("authorization")
            .map(|value| value.to_str().map_err(|_| IdentityError::Malformed))
            .transpose()
            .map_err(ApiError::Unauthenticated)?;
        let certificates = request.peer_certs();
        match self.principal(header, certificates) {
            Ok(Some(principal)) => {
                request.extensions_mut().insert(principal);
                Ok(request)
            }
            Ok(None) => Ok(request),
            Err(err) => Err(ApiError::Unauthenticated(err).into()),
        }
    }
}

#[cfg(test)]
mod tests {
    use tessera_identity::PresharedKeys;
    use tonic::Code;

    use super::*;

    fn authentication() -> Authentication {
        let keys = PresharedKeys::new([("ci".to_owned(), "s3cret".to_owned())]).unwrap();
        Authentication::new(AuthenticatorChain::new(vec![Arc::new(keys)]))
    }

    fn request(authorization: Option<&str>) -> tonic::Request<()> {
        let mut request = tonic::Request::new(());
        if let Some(value) = authorization {
            request
                .metadata_mut()
                .insert("authorization", value.parse().unwrap());
        }
        request
    }

    #[test]
    fn a_known_key_puts_its_principal_in_the_extensions() {
        let request = authentication()
            .call(request(Some("Bearer s3cret")))
            .unwrap();
        assert_eq!(request.extensions().get::<Principal>().unwrap().id, "ci");
    }

    #[test]
    fn anything_unverifiable_is_unauthenticated() {
        for header in [
            None,
            Some("Bearer nope"),
            Some("Basic s3cret"),
            Some("s3cret"),
        ] {
            let status = authentication().call(request(header)).unwrap_err();
            assert_eq!(status.code(), Code::Unauthenticated, "{header:?}");
            assert!(!status.message().contains("s3cret"), "{}", status.message());
        }
    }

    #[test]
    fn disabled_authentication_lets_requests_through() {
        assert!(Authentication::disabled().call(request(None)).is_ok());
    }
}
