use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use arc_swap::ArcSwap;
use serde::Deserialize;
use subtle::{ConditionallySelectable, ConstantTimeEq};

use crate::authenticator::Authenticator;
use crate::credentials::Credentials;
use crate::error::IdentityError;
use crate::principal::{Claims, Principal, PrincipalKind};
use crate::redact;

/// The issuer named on principals proven by a preshared key.
const ISSUER: &str = "preshared-key";
/// How a key's digest is written in a key file.
const DIGEST_PREFIX: &str = "sha256:";

type KeyHash = [u8; 32];

/// Preshared bearer keys, each bound to the name of the principal it proves.
///
/// Only SHA-256 hashes of the keys are kept, in memory and in key files. A presented token is
/// hashed and compared with every stored hash in constant time, without stopping at a match,
/// so neither the comparison nor the number of comparisons tells how close a guess was or
/// which key matched. Keys never appear in `Debug` output, errors or logs.
///
/// Keys loaded with [`PresharedKeys::from_file`] can be [reloaded](PresharedKeys::reload)
/// while the server runs. Clones share one key table, so the clone the server keeps for its
/// reload signal changes what the clone inside the authenticator chain accepts.
#[derive(Clone)]
pub struct PresharedKeys {
    table: Arc<ArcSwap<KeyTable>>,
    file: Option<Arc<Path>>,
}

/// A key file: `keys:` mapping each principal name to `sha256:<hex digest of the key>`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct KeyFile {
    keys: BTreeMap<String, String>,
}

impl PresharedKeys {
    /// Keys from `(principal name, key)` pairs.
    ///
    /// # Errors
    /// [`IdentityError::Configuration`] for an empty key or name, or one key given twice
    /// (it could not say which principal it proves).
    pub fn new(keys: impl IntoIterator<Item = (String, String)>) -> Result<Self, IdentityError> {
        let mut hashed = Vec::new();
        for (name, key) in keys {
            if key.is_empty() {
                return Err(IdentityError::Configuration(format!(
                    "the preshared key of `{name}` is empty"
                )));
            }
            hashed.push((name, redact::sha256(key.as_bytes())));
        }
        Ok(Self::with_table(KeyTable::new(hashed)?, None))
    }

    /// Keys from `(principal name, digest)` pairs, each digest written `sha256:<hex>` as
    /// [`PresharedKeys::digest`] makes it.
    ///
    /// # Errors
    /// [`IdentityError::Configuration`] for a digest of another form, an empty name, or one
    /// digest given twice.
    pub fn from_digests(
        digests: impl IntoIterator<Item = (String, String)>,
    ) -> Result<Self, IdentityError> {
        Ok(Self::with_table(KeyTable::from_digests(digests)?, None))
    }

    /// Keys from a YAML key file, which [`PresharedKeys::reload`] reads again:
    ///
    /// ```yaml
    /// keys:
    ///   ci: sha256:5f1c…   # the output of `PresharedKeys::digest(key)`
    /// ```
    ///
    /// # Errors
    /// [`IdentityError::Configuration`] when the file cannot be read or parsed, or a digest is
    /// invalid.
    pub fn from_file(path: impl Into<PathBuf>) -> Result<Self, IdentityError> {
        let path: Arc<Path> = path.into().into();
        let table = KeyTable::read(&path)?;
        Ok(Self::with_table(table, Some(path)))
    }

    fn with_table(table: KeyTable, file: Option<Arc<Path>>) -> Self {
        Self {
            table: Arc::new(ArcSwap::from_pointee(table)),
            file,
        }
    }

    /// Reads the key file again and swaps the new keys in atomically; requests in flight
    /// finish with the keys they started with. Returns how many keys are now configured.
    ///
    /// # Errors
    /// [`IdentityError::Configuration`] when the keys were not loaded from a file, or the file
    /// is now unreadable or invalid; the previous keys then stay in force.
    pub fn reload(&self) -> Result<usize, IdentityError> {
        let Some(path) = &self.file else {
            return Err(IdentityError::Configuration(
                "these preshared keys were not loaded from a file".to_owned(),
            ));
        };
        let table = KeyTable::read(path)?;
        let count = table.keys.len();
        self.table.store(Arc::new(table));
        tracing::info!(file = %path.display(), keys = count, "preshared keys reloaded");
        Ok(count)
    }

    /// The digest of `key` as a key file stores it: `sha256:<lowercase hex>`.
    pub fn digest(key: &str) -> String {
        format!(
            "{DIGEST_PREFIX}{}",
            redact::hex(&redact::sha256(key.as_bytes()))
        )
    }

    /// The names of the principals the keys prove, sorted.
    pub fn names(&self) -> Vec<String> {
        let mut names: Vec<String> = self
            .table
            .load()
            .keys
            .iter()
            .map(|(_, name)| name.clone())
            .collect();
        names.sort();
        names.dedup();
        names
    }

    /// How many keys are configured.
    pub fn len(&self) -> usize {
        self.table.load().keys.len()
    }

    /// Whether no key is configured.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl Authenticator for PresharedKeys {
    fn authenticate(&self, credentials: &Credentials) -> Result<Option<Principal>, IdentityError> {
        let Some(token) = credentials.bearer_token() else {
            return Ok(None);
        };
        let table = self.table.load();
        Ok(table
            .find(&redact::sha256(token.as_bytes()))
            .map(|name| Principal {
                id: name.to_owned(),
                kind: PrincipalKind::Service,
                issuer: ISSUER.to_owned(),
                tenant: None,
                claims: Claims::new(),
            }))
    }
}

impl fmt::Debug for PresharedKeys {
    /// Names the principals, never the keys or their hashes.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let table = self.table.load();
        let principals: Vec<&str> = table.keys.iter().map(|(_, name)| name.as_str()).collect();
        f.debug_struct("PresharedKeys")
            .field("principals", &principals)
            .finish()
    }
}

/// One generation of keys: what a reload replaces as a whole.
struct KeyTable {
    keys: Vec<(KeyHash, String)>,
}

impl KeyTable {
    fn new(keys: impl IntoIterator<Item = (String, KeyHash)>) -> Result<Self, IdentityError> {
        let mut table: Vec<(KeyHash, String)> = Vec::new();
        for (name, hash) in keys {
            if name.is_empty() {
                return Err(IdentityError::Configuration(
                    "a preshared key has an empty principal name".to_owned(),
                ));
            }
            if let Some((_, other)) = table.iter().find(|(known, _)| *known == hash) {
                return Err(IdentityError::Configuration(format!(
                    "principals `{other}` and `{name}` have the same preshared key"
                )));
            }
            table.push((hash, name));
        }
        Ok(Self { keys: table })
    }

    fn from_digests(
        digests: impl IntoIterator<Item = (String, String)>,
    ) -> Result<Self, IdentityError> {
        let mut hashed = Vec::new();
        for (name, digest) in digests {
            let hash = parse_digest(&digest).ok_or_else(|| {
                // The value is not echoed: a plaintext key pasted by mistake would land in logs.
                IdentityError::Configuration(format!(
                    "the key of `{name}` is not written `{DIGEST_PREFIX}` followed by 64 hex digits"
                ))
            })?;
            hashed.push((name, hash));
        }
        Self::new(hashed)
    }

    fn read(path: &Path) -> Result<Self, IdentityError> {
        let text = std::fs::read_to_string(path).map_err(|err| {
            IdentityError::Configuration(format!(
                "cannot read preshared key file `{}`: {err}",
                path.display()
            ))
        })?;
        let file: KeyFile = serde_yaml_ng::from_str(&text).map_err(|err| {
            // Only the position: parser messages quote values, and a value may be a secret.
            let at = err.location().map_or_else(String::new, |at| {
                format!(" at line {} column {}", at.line(), at.column())
            });
            IdentityError::Configuration(format!(
                "cannot parse preshared key file `{}`{at}: expected `keys:` mapping principal \
                 names to `{DIGEST_PREFIX}<hex>`",
                path.display()
            ))
        })?;
        Self::from_digests(file.keys)
    }

    /// The name bound to the key whose hash is `presented`, found in constant time.
    fn find(&self, presented: &KeyHash) -> Option<&str> {
        let mut found = subtle::CtOption::new(0u64, 0.into());
        for (index, (hash, _)) in self.keys.iter().enumerate() {
            let matches = hash.ct_eq(presented);
            let candidate = subtle::CtOption::new(index as u64, matches);
            found = subtle::CtOption::conditional_select(&found, &candidate, matches);
        }
        Option::<u64>::from(found)
            .and_then(|index| usize::try_from(index).ok())
            .and_then(|index| self.keys.get(index))
            .map(|(_, name)| name.as_str())
    }
}

/// `sha256:<64 hex digits>` (either case) as the 32 bytes it spells.
fn parse_digest(digest: &str) -> Option<KeyHash> {
    let hex = digest.trim().strip_prefix(DIGEST_PREFIX)?.as_bytes();
    if hex.len() != 64 {
        return None;
    }
    let mut hash = [0u8; 32];
    for (byte, pair) in hash.iter_mut().zip(hex.chunks_exact(2)) {
        let digit = |c: u8| {
            char::from(c)
                .to_digit(16)
                .and_then(|d| u8::try_from(d).ok())
        };
        *byte = digit(pair[0])? << 4 | digit(pair[1])?;
    }
    Some(hash)
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

    fn who(keys: &PresharedKeys, token: &str) -> Option<String> {
        keys.authenticate(&Credentials::bearer(token))
            .unwrap()
            .map(|principal| principal.id)
    }

    fn key_file(body: &str) -> tempfile::NamedTempFile {
        let file = tempfile::NamedTempFile::new().unwrap();
        std::fs::write(file.path(), body).unwrap();
        file
    }

    #[test]
    fn each_key_proves_its_own_principal() {
        assert_eq!(who(&keys(), "key-one").as_deref(), Some("alpha"));
        assert_eq!(who(&keys(), "key-two").as_deref(), Some("beta"));
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
            assert_eq!(who(&keys(), token), None, "{token:?}");
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
    fn digests_authenticate_like_the_keys_they_hash() {
        let digest = PresharedKeys::digest("key-one");
        assert_eq!(digest.len(), "sha256:".len() + 64);
        let keys = PresharedKeys::from_digests([
            (
                "alpha".to_owned(),
                digest.to_uppercase().replace("SHA256", "sha256"),
            ),
            ("beta".to_owned(), PresharedKeys::digest("key-two")),
        ])
        .unwrap();
        assert_eq!(who(&keys, "key-one").as_deref(), Some("alpha"));
        assert_eq!(who(&keys, "key-two").as_deref(), Some("beta"));
        assert_eq!(who(&keys, &digest), None, "a digest is not a key");
    }

    #[test]
    fn malformed_digests_are_refused_without_echoing_them() {
        for digest in [
            "plain-s3cret",
            "sha256:abc",
            "md5:00",
            &format!("sha256:{}", "g".repeat(64)),
        ] {
            let err =
                PresharedKeys::from_digests([("ci".to_owned(), digest.to_owned())]).unwrap_err();
            assert!(matches!(err, IdentityError::Configuration(_)), "{digest}");
            assert!(!err.to_string().contains(digest), "{err}");
        }
    }

    #[test]
    fn reload_swaps_keys_for_every_clone_and_keeps_the_old_ones_on_error() {
        let file = key_file(&format!(
            "keys:\n  ci: {}\n",
            PresharedKeys::digest("first")
        ));
        let keys = PresharedKeys::from_file(file.path()).unwrap();
        let in_chain = keys.clone();
        assert_eq!(who(&in_chain, "first").as_deref(), Some("ci"));

        std::fs::write(
            file.path(),
            format!(
                "keys:\n  ci: {}\n  ops: {}\n",
                PresharedKeys::digest("second"),
                PresharedKeys::digest("third")
            ),
        )
        .unwrap();
        assert_eq!(keys.reload().unwrap(), 2);
        assert_eq!(who(&in_chain, "first"), None, "the rotated key is revoked");
        assert_eq!(who(&in_chain, "second").as_deref(), Some("ci"));
        assert_eq!(who(&in_chain, "third").as_deref(), Some("ops"));

        std::fs::write(file.path(), "keys:\n  ci: my-plaintext-s3cret\n").unwrap();
        let err = keys.reload().unwrap_err();
        assert!(!err.to_string().contains("my-plaintext-s3cret"), "{err}");
        assert_eq!(
            who(&in_chain, "second").as_deref(),
            Some("ci"),
            "old keys stay"
        );
    }

    #[test]
    fn unparsable_key_files_name_the_position_not_the_content() {
        let file = key_file("keys:\n  ci: [s3cret-in-a-list]\n");
        let err = PresharedKeys::from_file(file.path()).unwrap_err();
        let message = err.to_string();
        assert!(message.contains("line 2"), "{message}");
        assert!(!message.contains("s3cret"), "{message}");
        assert!(PresharedKeys::from_file("/nonexistent/keys.yaml").is_err());
        assert!(PresharedKeys::from_file(key_file("other: 1\n").path()).is_err());
    }

    #[test]
    fn keys_not_loaded_from_a_file_cannot_be_reloaded() {
        assert!(matches!(
            keys().reload().unwrap_err(),
            IdentityError::Configuration(_)
        ));
    }

    #[test]
    fn debug_output_holds_no_key_material() {
        let debug = format!("{:?}", keys());
        assert_eq!(debug, r#"PresharedKeys { principals: ["alpha", "beta"] }"#);
    }
}
