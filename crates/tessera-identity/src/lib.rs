//! Authentication for Tessera: proves **who** is calling, never decides what they may do.
//!
//! A request's [`Credentials`] (today a bearer token; later a JWT or a client certificate)
//! go through an [`Authenticator`]; the answer is a verified [`Principal`] or an
//! [`IdentityError`]. Authenticators are chained ([`AuthenticatorChain`]): each one either
//! recognises a credential (and accepts or rejects it) or passes, so JWT and mTLS verifiers
//! can be added beside [`PresharedKeys`] without touching the callers.
//!
//! This crate owns credential parsing and verification. It knows nothing of gRPC, storage,
//! schemas or permissions: the API layer turns an [`IdentityError`] into `UNAUTHENTICATED`,
//! and authorization happens elsewhere, on the principal.
//!
//! ```
//! use tessera_identity::{Authenticator, AuthenticatorChain, Credentials, PresharedKeys};
//!
//! let keys = PresharedKeys::new([("ci".to_owned(), "s3cret-key".to_owned())])?;
//! let chain = AuthenticatorChain::new(vec![std::sync::Arc::new(keys)]);
//!
//! let credentials = Credentials::from_authorization_header(Some("Bearer s3cret-key"))?;
//! let principal = chain.verify(&credentials)?;
//! assert_eq!(principal.id, "ci");
//!
//! let wrong = Credentials::from_authorization_header(Some("Bearer guess"))?;
//! assert!(chain.verify(&wrong).is_err());
//! # Ok::<(), tessera_identity::IdentityError>(())
//! ```

mod authenticator;
mod credentials;
mod error;
mod preshared;
mod principal;

pub use authenticator::{Authenticator, AuthenticatorChain};
pub use credentials::Credentials;
pub use error::IdentityError;
pub use preshared::PresharedKeys;
pub use principal::{Claims, Principal, PrincipalKind};
