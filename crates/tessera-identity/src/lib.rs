//! Authentication for Tessera: proves **who** is calling, never decides what they may do.
//!
//! A request's [`Credentials`] — a bearer token, and on an mTLS connection the verified client
//! certificate chain — go through an [`Authenticator`]; the answer is a verified [`Principal`]
//! or an [`IdentityError`]. Authenticators are chained ([`AuthenticatorChain`]): each one
//! either recognises a credential (and accepts or rejects it) or passes.
//!
//! - [`PresharedKeys`]: named keys, stored as SHA-256 digests, compared in constant time,
//!   reloadable from a key file without a restart;
//! - [`JwtVerifier`]: OIDC bearer tokens of one issuer, with keys from a JWKS file or URL;
//! - [`MtlsAuthenticator`]: SPIFFE ids of client certificates that
//!   [`client_certificate_verifier`] let through the TLS handshake.
//!
//! A [`SubjectMapping`] turns a principal into the subject (`user:42`) that permission
//! questions about the caller itself are asked with.
//!
//! Every failure is one opaque message to the caller (the API answers `UNAUTHENTICATED`); what
//! exactly went wrong is in the [`Rejection`] the error carries and in `debug` events, which
//! name key ids and token fingerprints, never tokens or keys.
//!
//! This crate owns credential parsing and verification. It knows nothing of gRPC, storage,
//! schemas or permissions: authorization happens elsewhere, on the principal.
//!
//! ```
//! use std::sync::Arc;
//! use tessera_identity::{AuthenticatorChain, Credentials, PresharedKeys, SubjectMapping};
//!
//! let keys = PresharedKeys::new([("ci".to_owned(), "s3cret-key".to_owned())])?;
//! let chain = AuthenticatorChain::new(vec![Arc::new(keys)]);
//!
//! let credentials = Credentials::from_authorization_header(Some("Bearer s3cret-key"))?;
//! let principal = chain.verify(&credentials)?;
//! assert_eq!(principal.id, "ci");
//! assert_eq!(SubjectMapping::default().subject(&principal)?.to_string(), "service:ci");
//!
//! let wrong = Credentials::from_authorization_header(Some("Bearer guess"))?;
//! assert!(chain.verify(&wrong).is_err());
//! # Ok::<(), tessera_identity::IdentityError>(())
//! ```

mod authenticator;
mod credentials;
mod error;
mod jwks;
mod jwt;
mod mtls;
mod preshared;
mod principal;
mod redact;
mod spiffe;
mod subject;

pub use authenticator::{Authenticator, AuthenticatorChain};
pub use credentials::{Credentials, PeerCertificates};
pub use error::{IdentityError, Rejection};
pub use jwks::{JwksFetcher, JwksSource};
pub use jwt::{ClaimMatch, JwtConfig, JwtVerifier, SharedSecret};
pub use mtls::{MtlsAuthenticator, MtlsConfig, client_certificate_verifier};
pub use preshared::PresharedKeys;
pub use principal::{Claims, Principal, PrincipalKind};
pub use subject::{SubjectMapping, SubjectTemplate};
