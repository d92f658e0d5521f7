use std::fmt;
use std::sync::Arc;

use crate::credentials::Credentials;
use crate::error::IdentityError;
use crate::principal::Principal;

/// Verifies one kind of credential.
pub trait Authenticator: Send + Sync + fmt::Debug {
    /// `Ok(Some(principal))` when the credentials are this authenticator's and valid,
    /// `Ok(None)` when they are not its kind (or not one it knows) so the next authenticator
    /// may try.
    ///
    /// # Errors
    /// [`IdentityError::Rejected`] when the credential is recognisably this authenticator's
    /// but invalid (a token with a bad signature): no other authenticator is asked. The
    /// authenticator logs the detailed reason itself, where it knows the context (key id,
    /// token fingerprint), at debug level.
    fn authenticate(&self, credentials: &Credentials) -> Result<Option<Principal>, IdentityError>;
}

/// Authenticators asked in order; the first that recognises the credentials decides.
#[derive(Clone, Debug, Default)]
pub struct AuthenticatorChain {
    authenticators: Vec<Arc<dyn Authenticator>>,
}

impl AuthenticatorChain {
    /// A chain asking `authenticators` in order.
    pub fn new(authenticators: Vec<Arc<dyn Authenticator>>) -> Self {
        Self { authenticators }
    }

    /// Whether the chain has no authenticator (then it accepts nobody).
    pub fn is_empty(&self) -> bool {
        self.authenticators.is_empty()
    }

    /// The principal the credentials prove.
    ///
    /// # Errors
    /// [`IdentityError::Missing`] without credentials, [`IdentityError::Unrecognised`] when
    /// no authenticator recognises them, or the rejection of the one that did.
    pub fn verify(&self, credentials: &Credentials) -> Result<Principal, IdentityError> {
        if credentials.is_empty() {
            return Err(IdentityError::Missing);
        }
        for authenticator in &self.authenticators {
            if let Some(principal) = authenticator.authenticate(credentials)? {
                return Ok(principal);
            }
        }
        Err(IdentityError::Unrecognised {
            kind: credentials.kind(),
        })
    }
}

impl Authenticator for AuthenticatorChain {
    fn authenticate(&self, credentials: &Credentials) -> Result<Option<Principal>, IdentityError> {
        for authenticator in &self.authenticators {
            if let Some(principal) = authenticator.authenticate(credentials)? {
                return Ok(Some(principal));
            }
        }
        Ok(None)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::Rejection;
    use crate::principal::{Claims, PrincipalKind};

    /// Accepts the token `good-<name>`, rejects `bad-*`, passes on the rest.
    #[derive(Debug)]
    struct Prefixed(&'static str);

    impl Authenticator for Prefixed {
        fn authenticate(
            &self,
            credentials: &Credentials,
        ) -> Result<Option<Principal>, IdentityError> {
            let token = credentials.bearer_token().unwrap_or_default();
            if token == format!("good-{}", self.0) {
                Ok(Some(Principal {
                    id: self.0.to_owned(),
                    kind: PrincipalKind::User,
                    issuer: self.0.to_owned(),
                    tenant: None,
                    claims: Claims::new(),
                }))
            } else if token.starts_with("bad-") {
                Err(IdentityError::Rejected(Rejection::Expired))
            } else {
                Ok(None)
            }
        }
    }

    fn chain() -> AuthenticatorChain {
        AuthenticatorChain::new(vec![Arc::new(Prefixed("a")), Arc::new(Prefixed("b"))])
    }

    #[test]
    fn the_first_authenticator_that_recognises_the_credential_decides() {
        assert_eq!(
            chain().verify(&Credentials::bearer("good-b")).unwrap().id,
            "b"
        );
        assert_eq!(
            chain().verify(&Credentials::bearer("bad-x")).unwrap_err(),
            IdentityError::Rejected(Rejection::Expired)
        );
    }

    #[test]
    fn nothing_or_an_unknown_credential_is_refused() {
        assert_eq!(
            chain().verify(&Credentials::default()).unwrap_err(),
            IdentityError::Missing
        );
        assert!(matches!(
            chain().verify(&Credentials::bearer("other")).unwrap_err(),
            IdentityError::Unrecognised { .. }
        ));
        assert!(
            AuthenticatorChain::default()
                .verify(&Credentials::bearer("good-a"))
                .is_err()
        );
    }
}
