use std::fmt;

use crate::error::IdentityError;

/// Everything a request presents to prove who it is.
///
/// Later transports add fields here (the verified client certificate chain of an mTLS
/// connection); authenticators look at the parts they understand.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Credentials {
    bearer: Option<String>,
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
        }
    }

    /// The bearer token, if one was presented.
    pub fn bearer_token(&self) -> Option<&str> {
        self.bearer.as_deref()
    }

    /// Whether nothing at all was presented.
    pub fn is_empty(&self) -> bool {
        self.bearer.is_none()
    }
}

impl fmt::Debug for Credentials {
    /// Says which credentials are present, never their values.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials")
            .field("bearer", &self.bearer.as_ref().map(|_| "<redacted>"))
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
    fn debug_output_redacts_the_token() {
        let debug = format!("{:?}", Credentials::bearer("s3cret"));
        assert!(!debug.contains("s3cret"), "{debug}");
    }
}
