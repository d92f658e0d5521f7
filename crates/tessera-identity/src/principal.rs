use serde_json::{Map, Value};
use tessera_types::SubjectRef;

use crate::error::IdentityError;
use crate::subject::SubjectTemplate;

/// Attributes an authenticator vouches for beyond the id (e.g. a JWT's claims).
pub type Claims = Map<String, Value>;

/// What kind of party a principal is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum PrincipalKind {
    /// A person (e.g. an OIDC user).
    User,
    /// A workload with a platform identity (e.g. a SPIFFE id from mTLS).
    Workload,
    /// A service holding a shared secret (e.g. a preshared key).
    Service,
}

/// A verified caller: who they are and who says so.
#[derive(Clone, Debug, PartialEq)]
pub struct Principal {
    /// The caller's id as its issuer names it (a key's name, a token's `sub`, a SPIFFE id).
    pub id: String,
    /// What kind of caller it is.
    pub kind: PrincipalKind,
    /// Who vouched for the id, e.g. `preshared-key` or an OIDC issuer URL.
    pub issuer: String,
    /// The tenant the caller belongs to, when the issuer says so.
    pub tenant: Option<String>,
    /// Further verified attributes.
    pub claims: Claims,
}

impl Principal {
    /// The principal as a subject of `object_type`, e.g. `service:ci`, so that the
    /// authorization layer can ask permission questions about it. A
    /// [`SubjectMapping`](crate::SubjectMapping) chooses the type (and more) per kind.
    ///
    /// # Errors
    /// [`IdentityError::NotASubject`] when the type or the id breaks SpiceDB's name rules, or
    /// the id is the wildcard `*`.
    pub fn as_subject(&self, object_type: &str) -> Result<SubjectRef, IdentityError> {
        SubjectTemplate::id_of(object_type).subject(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn principal(id: &str) -> Principal {
        Principal {
            id: id.to_owned(),
            kind: PrincipalKind::Service,
            issuer: "test".to_owned(),
            tenant: None,
            claims: Claims::new(),
        }
    }

    #[test]
    fn principals_become_subjects_when_their_id_is_a_valid_object_id() {
        let subject = principal("ci-runner").as_subject("service").unwrap();
        assert_eq!(subject.to_string(), "service:ci-runner");
        for id in ["a b", "*"] {
            let err = principal(id).as_subject("service").unwrap_err();
            assert!(matches!(err, IdentityError::NotASubject { .. }), "{err}");
        }
    }
}
