use std::fmt;

/// Why a caller could not be authenticated. Messages never contain a secret.
///
/// What is wrong with a credential that an authenticator recognised stays inside
/// [`IdentityError::Rejected`]: its `Display` is the same opaque text whatever the reason, so a
/// client learns nothing that helps it shape the next attempt, while the server logs the
/// [`Rejection`] it carries.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum IdentityError {
    /// The request carries no credential at all.
    #[error("missing authorization: send `authorization: Bearer <key>`")]
    Missing,
    /// The `authorization` value is not of the form `Bearer <token>`. Nothing of the value
    /// is repeated: a client that forgot the scheme sent its secret as the whole value.
    #[error("malformed authorization: expected `Bearer <token>`")]
    Malformed,
    /// A credential was presented but no authenticator could verify it.
    #[error("unknown credentials: the presented {kind} matches no configured identity")]
    Unrecognised {
        /// What kind of credential it was, e.g. `bearer token`.
        kind: &'static str,
    },
    /// An authenticator recognised the credential and rejected it; why is for logs only.
    #[error("invalid credentials")]
    Rejected(Rejection),
    /// A configuration of an authenticator that cannot work.
    #[error("invalid authentication configuration: {0}")]
    Configuration(String),
    /// A key source (a JWKS file or URL) could not be read.
    #[error("authentication keys unavailable: {0}")]
    Unavailable(String),
    /// A principal cannot be turned into a subject.
    #[error("principal `{principal}` cannot be a subject: {reason}")]
    NotASubject {
        /// The principal's id.
        principal: String,
        /// What is missing or which rule the produced id breaks.
        reason: String,
    },
}

impl IdentityError {
    /// The detailed reason of a rejection, for logs; `None` for the other kinds, whose
    /// `Display` already says everything.
    pub fn rejection(&self) -> Option<&Rejection> {
        match self {
            Self::Rejected(rejection) => Some(rejection),
            _ => None,
        }
    }
}

/// Why a recognised credential was rejected: shown in logs, never to the caller.
///
/// No variant holds token or key material; claim names and key ids at most.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Rejection {
    /// Not a well-formed compact JWT, or too large to be one.
    MalformedToken,
    /// The token's `alg` is not one this verifier accepts, or not the algorithm of the key
    /// named by its `kid` (this is how `none` and algorithm confusion end).
    DisallowedAlgorithm(String),
    /// The token names a key the issuer's key set does not hold, even after a refresh.
    UnknownKey(String),
    /// The token names no key and the key set holds more than one.
    MissingKeyId,
    /// The signature does not verify with the key.
    BadSignature,
    /// `exp` is in the past (beyond the leeway).
    Expired,
    /// `nbf` is in the future (beyond the leeway).
    NotYetValid,
    /// `iss` is not the verifier's issuer.
    WrongIssuer,
    /// `aud` names none of the verifier's audiences.
    WrongAudience,
    /// A required claim is absent.
    MissingClaim(String),
    /// A claim has the wrong type or an unusable value.
    InvalidClaim(String),
    /// The client certificate cannot be parsed.
    UnreadableCertificate,
    /// The client certificate carries no SPIFFE id (and no common name fallback applies).
    NoSpiffeId,
    /// The client certificate's URI SAN is not a single valid SPIFFE id, or it is a CA.
    InvalidSpiffeId(String),
    /// The SPIFFE id belongs to a trust domain that is not accepted.
    UntrustedTrustDomain(String),
}

impl fmt::Display for Rejection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::MalformedToken => f.write_str("malformed token"),
            Self::DisallowedAlgorithm(alg) => write!(f, "algorithm `{alg}` is not accepted"),
            Self::UnknownKey(kid) => write!(f, "unknown key id `{kid}`"),
            Self::MissingKeyId => f.write_str("the token names no key and several are known"),
            Self::BadSignature => f.write_str("bad signature"),
            Self::Expired => f.write_str("token expired"),
            Self::NotYetValid => f.write_str("token not yet valid"),
            Self::WrongIssuer => f.write_str("wrong issuer"),
            Self::WrongAudience => f.write_str("wrong audience"),
            Self::MissingClaim(claim) => write!(f, "missing claim `{claim}`"),
            Self::InvalidClaim(claim) => write!(f, "invalid claim `{claim}`"),
            Self::UnreadableCertificate => f.write_str("unreadable client certificate"),
            Self::NoSpiffeId => f.write_str("client certificate without a SPIFFE id"),
            Self::InvalidSpiffeId(why) => write!(f, "invalid SPIFFE id: {why}"),
            Self::UntrustedTrustDomain(domain) => {
                write!(f, "trust domain `{domain}` is not accepted")
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rejections_display_the_same_opaque_text_and_keep_the_reason_for_logs() {
        let expired = IdentityError::Rejected(Rejection::Expired);
        let forged = IdentityError::Rejected(Rejection::BadSignature);
        assert_eq!(expired.to_string(), "invalid credentials");
        assert_eq!(expired.to_string(), forged.to_string());
        assert_eq!(expired.rejection(), Some(&Rejection::Expired));
        assert_eq!(
            forged.rejection().map(ToString::to_string).as_deref(),
            Some("bad signature")
        );
        assert_eq!(IdentityError::Missing.rejection(), None);
    }
}
