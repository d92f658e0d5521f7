use std::fmt;

use sha2::{Digest, Sha256};
use subtle::{ConditionallySelectable, ConstantTimeEq};

use crate::authenticator::Authenticator;
use crate::credentials::Credentials;
use crate::error::IdentityError;
use crate::principal::{Claims, Principal, PrincipalKind};

/// The issuer named on principals proven by a preshared key.
const ISSUER: &str = "preshared-key";

type KeyHash = [u8; 32];

/// Preshared bearer keys, each bound to the name of the principal it proves.
///
/// Only SHA-256 hashes of the keys are kept in memory. A presented token is hashed and
/// compared with every stored hash in constant time, without stopping at a match, so neither
/// the comparison nor the number of comparisons tells how close a guess was or which key
/// matched. Keys never appear in `Debug` output or errors.
#[derive(Clone)]
pub struct PresharedKeys {
    keys: Vec<(KeyHash, String)>,
}

impl PresharedKeys {
    /// Keys from `(principal name, key)` pairs.
    ///
    /// # Errors
    /// [`IdentityError::Configuration`] for an empty key or name, or one key given twice
    /// (it could not say which principal it proves).
    pub fn new(keys: impl IntoIterator<Item = (String, String)>) -> Result<Self, IdentityError> {
        let mut hashed: Vec<(KeyHash, String)> = Vec::new();
        for (name, key) in keys {
            if key.is_empty() {
                return Err(IdentityError::Configuration(format!(
                    "the preshared key of `{name}` is empty"
                )));
            }
            if name.is_empty() {
                return Err(IdentityError::Configuration(
                    "a preshared key has an empty principal name".to_owned(),
                ));
            }
            let hash = hash(&key);
            if let Some((_, other)) = hashed.iter().find(|(known, _)| *known == hash) {
                return Err(IdentityError::Configuration(format!(
                    "principals `{other}` and `{name}` have the same preshared key"
                )));
            }
            hashed.push((hash, name));
        }
        Ok(Self { keys: hashed })
    }

    /// How many keys are configured.
    pub fn len(&self) -> usize {
        self.keys.len()
    }

    /// Whether no key is configured.
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    /// The index of the key whose hash is `presented`, found in constant time.
    fn find(&self, presented: &KeyHash) -> Option<usize> {
        let mut found = subtle::CtOption::new(0u64, 0.into());
        for (index, (hash, _)) in self.keys.iter().enumerate() {
            let matches = hash.ct_eq(presented);
            let candidate = subtle::CtOption::new(index as u64, matches);
            found = subtle::CtOption::conditional_select(&found, &candidate, matches);
        }
        Option::<u64>::from(found).and_then(|index| usize::try_from(index).ok())
    }
}

fn hash(key: &str) -> KeyHash {
    Sha256::digest(key.as_bytes()).into()
}

impl Authenticator for PresharedKeys {
    fn authenticate(&self, credentials: &Credentials) -> Result<Option<Principal>, IdentityError> {
        let Some(token) = credentials.bearer_token() else {
            return Ok(None);
        };
        Ok(self.find(&hash(token)).and_then(|index| {
            self.keys.get(index).map(|(_, name)| Principal {
                id: name.clone(),
                kind: PrincipalKind::Service,
                issuer: ISSUER.to_owned(),
                tenant: None,
                claims: Claims::new(),
            })
        }))
    }
}

impl fmt::Debug for PresharedKeys {
    /// Names the principals, never the keys or their hashes.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PresharedKeys")
            .field(
                "principals",
                &self.keys.iter().map(|(_, name)| name).collect::<Vec<_>>(),
            )
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys() -> PresharedKeys {
        PresharedKeys::new([
            ("alpha".to_owned(), "key-one".to_owned()),
            ("beta".to_owned(), "key-two".to_owned()),
        ])
        .unwrap()
    }

    fn who(token: &str) -> Option<String> {
        keys()
            .authenticate(&Credentials::bearer(token))
            .unwrap()
            .map(|principal| principal.id)
    }

    #[test]
    fn each_key_proves_its_own_principal() {
        assert_eq!(who("key-one").as_deref(), Some("alpha"));
        assert_eq!(who("key-two").as_deref(), Some("beta"));
        let principal = keys()
            .authenticate(&Credentials::bearer("key-two"))
            .unwrap()
            .unwrap();
        assert_eq!(principal.kind, PrincipalKind::Service);
        assert_eq!(principal.issuer, "preshared-key");
    }

    #[test]
    fn near_misses_and_other_credentials_prove_nothing() {
        for token in ["key-on", "key-one ", "KEY-ONE", "key-three", ""] {
            assert_eq!(who(token), None, "{token:?}");
        }
        assert_eq!(keys().authenticate(&Credentials::default()).unwrap(), None);
    }

    #[test]
    fn empty_and_shared_keys_are_configuration_errors() {
        assert!(PresharedKeys::new([("a".to_owned(), String::new())]).is_err());
        assert!(PresharedKeys::new([(String::new(), "k".to_owned())]).is_err());
        let err = PresharedKeys::new([
            ("a".to_owned(), "k3y-xyz".to_owned()),
            ("b".to_owned(), "k3y-xyz".to_owned()),
        ])
        .unwrap_err();
        assert!(!err.to_string().contains("k3y-xyz"), "{err}");
    }

    #[test]
    fn debug_output_holds_no_key_material() {
        let debug = format!("{:?}", keys());
        assert_eq!(debug, r#"PresharedKeys { principals: ["alpha", "beta"] }"#);
    }
}
