//! An issuer's signing keys: where they come from, which of them are usable, and a cache
//! that refreshes them without letting unknown key ids turn into a stream of fetches.

use std::fmt;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use arc_swap::ArcSwap;
use jsonwebtoken::jwk::{AlgorithmParameters, EllipticCurve, Jwk, KeyAlgorithm, PublicKeyUse};
use jsonwebtoken::{Algorithm, DecodingKey};
use serde::Deserialize;

use crate::error::{IdentityError, Rejection};
use crate::redact;

/// The largest key set document read; real ones are a few kilobytes.
const MAX_JWKS_BYTES: u64 = 1 << 20;
/// Redirects followed to reach a `jwks_uri` (all of them HTTPS).
const MAX_REDIRECTS: u32 = 3;

/// Reads an issuer's JSON Web Key Set. Implement it to load keys from another place than a
/// file or an HTTPS URL (e.g. a secret store, or a test double).
pub trait JwksFetcher: Send + Sync + fmt::Debug {
    /// The current key set, as a JWKS JSON document (`{"keys": [...]}`).
    ///
    /// # Errors
    /// [`IdentityError::Unavailable`] when the source cannot be read.
    fn fetch(&self) -> Result<Vec<u8>, IdentityError>;
}

/// Where an issuer's signing keys are.
#[derive(Clone, Debug)]
pub enum JwksSource {
    /// A JWKS JSON file, read again at every refresh, so keys rotate by replacing it.
    File(PathBuf),
    /// The issuer's `jwks_uri`, fetched over HTTPS only.
    Url {
        /// An `https://` URL.
        url: String,
        /// PEM roots to trust for it instead of the public web PKI (Mozilla's roots), e.g. a
        /// company CA.
        ca_file: Option<PathBuf>,
    },
    /// Any other source.
    Fetcher(Arc<dyn JwksFetcher>),
    /// No key set: only HS256 tokens under the configured shared secret are accepted.
    None,
}

impl JwksSource {
    /// The fetcher reading this source; `None` for [`JwksSource::None`].
    pub(crate) fn fetcher(
        &self,
        timeout: Duration,
    ) -> Result<Option<Arc<dyn JwksFetcher>>, IdentityError> {
        Ok(match self {
            Self::File(path) => Some(Arc::new(FileFetcher(path.clone()))),
            Self::Url { url, ca_file } => Some(Arc::new(HttpsFetcher::new(
                url,
                ca_file.as_deref(),
                timeout,
            )?)),
            Self::Fetcher(fetcher) => Some(Arc::clone(fetcher)),
            Self::None => None,
        })
    }
}

#[derive(Debug)]
struct FileFetcher(PathBuf);

impl JwksFetcher for FileFetcher {
    fn fetch(&self) -> Result<Vec<u8>, IdentityError> {
        std::fs::read(&self.0).map_err(|err| {
            IdentityError::Unavailable(format!(
                "cannot read JWKS file `{}`: {err}",
                self.0.display()
            ))
        })
    }
}

/// A small blocking HTTPS client: key sets are fetched rarely, from the refresh thread or
/// (rate-limited) from a request naming an unknown key, so an async stack buys nothing here.
struct HttpsFetcher {
    url: String,
    agent: ureq::Agent,
}

impl HttpsFetcher {
    fn new(
        url: &str,
        ca_file: Option<&std::path::Path>,
        timeout: Duration,
    ) -> Result<Self, IdentityError> {
        // Plain HTTP would let anyone on the path substitute the keys, and with them every
        // identity; `https_only` below also refuses redirects to it.
        if !url
            .get(..8)
            .is_some_and(|scheme| scheme.eq_ignore_ascii_case("https://"))
        {
            return Err(IdentityError::Configuration(format!(
                "JWKS URL `{url}` is not an `https://` URL"
            )));
        }
        let roots = match ca_file {
            None => ureq::tls::RootCerts::WebPki,
            Some(path) => {
                let pem = std::fs::read(path).map_err(|err| {
                    IdentityError::Configuration(format!(
                        "cannot read JWKS CA file `{}`: {err}",
                        path.display()
                    ))
                })?;
                let certs = ureq::tls::parse_pem(&pem)
                    .filter_map(|item| match item {
                        Ok(ureq::tls::PemItem::Certificate(cert)) => Some(Ok(cert)),
                        Ok(_) => None,
                        Err(err) => Some(Err(err)),
                    })
                    .collect::<Result<Vec<_>, _>>()
                    .map_err(|err| {
                        IdentityError::Configuration(format!(
                            "JWKS CA file `{}`: {err}",
                            path.display()
                        ))
                    })?;
                if certs.is_empty() {
                    return Err(IdentityError::Configuration(format!(
                        "JWKS CA file `{}` holds no certificate",
                        path.display()
                    )));
                }
                ureq::tls::RootCerts::from(certs)
            }
        };
        let tls = ureq::tls::TlsConfig::builder()
            .root_certs(roots)
            .unversioned_rustls_crypto_provider(Arc::new(
                rustls::crypto::aws_lc_rs::default_provider(),
            ))
            .build();
        let agent = ureq::Agent::config_builder()
            .https_only(true)
            .max_redirects(MAX_REDIRECTS)
            .timeout_global(Some(timeout))
            .tls_config(tls)
            .build()
            .new_agent();
        Ok(Self {
            url: url.to_owned(),
            agent,
        })
    }
}

impl JwksFetcher for HttpsFetcher {
    fn fetch(&self) -> Result<Vec<u8>, IdentityError> {
        let unavailable =
            |err: ureq::Error| IdentityError::Unavailable(format!("JWKS `{}`: {err}", self.url));
        self.agent
            .get(&self.url)
            .header("accept", "application/json")
            .call()
            .map_err(unavailable)?
            .body_mut()
            .with_config()
            .limit(MAX_JWKS_BYTES)
            .read_to_vec()
            .map_err(unavailable)
    }
}

impl fmt::Debug for HttpsFetcher {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HttpsFetcher")
            .field("url", &self.url)
            .finish()
    }
}

/// A key a token may be verified with, and the one algorithm it verifies.
pub(crate) struct VerifyingKey {
    pub(crate) algorithm: Algorithm,
    pub(crate) key: DecodingKey,
    kid: Option<String>,
}

impl VerifyingKey {
    /// A key for exactly `algorithm`.
    pub(crate) fn new(algorithm: Algorithm, key: DecodingKey) -> Self {
        Self {
            algorithm,
            key,
            kid: None,
        }
    }

    /// The key a JWK describes, if it is a signing key of an accepted algorithm.
    ///
    /// The algorithm is decided here, from the key's type and curve (and its `alg` when it
    /// names one): RSA keys verify RS256, P-256 keys ES256, Ed25519 keys EdDSA. Symmetric
    /// (`oct`) keys never come from a key set, so a published key can never be used as an
    /// HMAC secret.
    fn from_jwk(jwk: &Jwk) -> Option<Self> {
        if matches!(jwk.common.public_key_use, Some(PublicKeyUse::Encryption)) {
            return None;
        }
        let algorithm = match (&jwk.algorithm, jwk.common.key_algorithm) {
            (AlgorithmParameters::RSA(_), None | Some(KeyAlgorithm::RS256)) => Algorithm::RS256,
            (AlgorithmParameters::EllipticCurve(ec), None | Some(KeyAlgorithm::ES256))
                if ec.curve == EllipticCurve::P256 =>
            {
                Algorithm::ES256
            }
            (AlgorithmParameters::OctetKeyPair(okp), None | Some(KeyAlgorithm::EdDSA))
                if okp.curve == EllipticCurve::Ed25519 =>
            {
                Algorithm::EdDSA
            }
            _ => return None,
        };
        let key = DecodingKey::from_jwk(jwk).ok()?;
        Some(Self {
            algorithm,
            key,
            kid: jwk.common.key_id.clone(),
        })
    }
}

/// The usable keys of one key set document.
struct KeySet(Vec<Arc<VerifyingKey>>);

impl KeySet {
    /// Parses a JWKS document, skipping (and logging) keys that are unreadable or of an
    /// algorithm that is not accepted, so one exotic key does not hide the others.
    fn parse(json: &[u8]) -> Result<Self, IdentityError> {
        #[derive(Deserialize)]
        struct Document {
            keys: Vec<serde_json::Value>,
        }
        let document: Document = serde_json::from_slice(json)
            .map_err(|err| IdentityError::Unavailable(format!("not a JWKS document: {err}")))?;
        let mut keys = Vec::with_capacity(document.keys.len());
        for value in document.keys {
            let jwk = serde_json::from_value::<Jwk>(value).ok();
            match jwk.as_ref().and_then(VerifyingKey::from_jwk) {
                Some(key) => keys.push(Arc::new(key)),
                None => tracing::debug!(
                    kid = jwk.as_ref().and_then(|jwk| jwk.common.key_id.as_deref()),
                    "skipping a JWK that is unreadable or not an accepted signing key"
                ),
            }
        }
        Ok(Self(keys))
    }

    fn find(&self, kid: &str) -> Option<Arc<VerifyingKey>> {
        self.0
            .iter()
            .find(|key| key.kid.as_deref() == Some(kid))
            .cloned()
    }
}

/// An issuer's keys, refreshed from their source.
///
/// Lookups read the current set without locking. A fetch happens at construction, on
/// [`KeyCache::refresh`] (the verifier's refresh thread calls it on an interval) and when a
/// token names a key the set does not hold, at most once per `min_refresh_interval` whatever
/// the number of such tokens: otherwise anyone could make the server hammer the issuer by
/// sending made-up key ids.
pub(crate) struct KeyCache {
    fetcher: Arc<dyn JwksFetcher>,
    keys: ArcSwap<KeySet>,
    /// When the last fetch started. Held during a fetch, so fetches never overlap and callers
    /// waiting on an unknown key see the keys that fetch brought.
    last_fetch: Mutex<Instant>,
    min_refresh_interval: Duration,
}

impl KeyCache {
    /// Fetches the keys once.
    ///
    /// # Errors
    /// [`IdentityError::Unavailable`] when the source cannot be read, and
    /// [`IdentityError::Configuration`] when it holds no usable key: a verifier that can
    /// accept nobody is a configuration mistake best reported at startup.
    pub(crate) fn load(
        fetcher: Arc<dyn JwksFetcher>,
        min_refresh_interval: Duration,
    ) -> Result<Self, IdentityError> {
        let keys = KeySet::parse(&fetcher.fetch()?)?;
        if keys.0.is_empty() {
            return Err(IdentityError::Configuration(format!(
                "the key set from {fetcher:?} holds no RS256, ES256 or EdDSA signing key"
            )));
        }
        Ok(Self {
            fetcher,
            keys: ArcSwap::from_pointee(keys),
            last_fetch: Mutex::new(Instant::now()),
            min_refresh_interval,
        })
    }

    /// Fetches the keys again and swaps them in. On failure the current keys stay.
    ///
    /// # Errors
    /// [`IdentityError::Unavailable`] when the source cannot be read or parsed.
    pub(crate) fn refresh(&self) -> Result<usize, IdentityError> {
        let mut last_fetch = self
            .last_fetch
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        self.fetch(&mut last_fetch)
    }

    fn fetch(&self, last_fetch: &mut Instant) -> Result<usize, IdentityError> {
        *last_fetch = Instant::now();
        let keys = KeySet::parse(&self.fetcher.fetch()?)?;
        let count = keys.0.len();
        self.keys.store(Arc::new(keys));
        tracing::debug!(source = ?self.fetcher, keys = count, "JWKS refreshed");
        Ok(count)
    }

    /// The key a token names with `kid`, or the only key when it names none.
    ///
    /// # Errors
    /// [`Rejection::UnknownKey`] when the key is unknown even after the one refresh allowed,
    /// [`Rejection::MissingKeyId`] when the token names no key and there are several.
    pub(crate) fn key(&self, kid: Option<&str>) -> Result<Arc<VerifyingKey>, Rejection> {
        let Some(kid) = kid else {
            return match self.keys.load().0.as_slice() {
                [only] => Ok(Arc::clone(only)),
                _ => Err(Rejection::MissingKeyId),
            };
        };
        if let Some(key) = self.keys.load().find(kid) {
            return Ok(key);
        }
        let unknown = || Rejection::UnknownKey(redact::clip(kid));
        let mut last_fetch = self
            .last_fetch
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        // A fetch may have finished while this caller waited for the lock.
        if let Some(key) = self.keys.load().find(kid) {
            return Ok(key);
        }
        if last_fetch.elapsed() < self.min_refresh_interval {
            return Err(unknown());
        }
        if let Err(err) = self.fetch(&mut last_fetch) {
            tracing::warn!(error = %err, "JWKS refresh for an unknown key id failed");
        }
        self.keys.load().find(kid).ok_or_else(unknown)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug)]
    struct Static(&'static str);

    impl JwksFetcher for Static {
        fn fetch(&self) -> Result<Vec<u8>, IdentityError> {
            Ok(self.0.as_bytes().to_vec())
        }
    }

    #[test]
    fn symmetric_encryption_and_unknown_keys_are_skipped() {
        let json = r#"{"keys": [
            {"kty": "oct", "kid": "hmac", "k": "c2VjcmV0"},
            {"kty": "EC", "kid": "p384", "crv": "P-384", "x": "AA", "y": "AA"},
            {"kty": "RSA", "kid": "enc", "use": "enc", "n": "AQAB", "e": "AQAB"},
            {"kty": "RSA", "kid": "rs512", "alg": "RS512", "n": "AQAB", "e": "AQAB"},
            {"kty": "weird", "kid": "weird"},
            {"kty": "RSA", "kid": "good", "n": "AQAB", "e": "AQAB"}
        ]}"#;
        let keys = KeySet::parse(json.as_bytes()).unwrap();
        assert_eq!(keys.0.len(), 1);
        assert_eq!(keys.find("good").unwrap().algorithm, Algorithm::RS256);
        assert!(keys.find("hmac").is_none());
    }

    #[test]
    fn a_key_set_without_usable_keys_or_not_json_is_refused_at_load() {
        for json in [
            r#"{"keys": []}"#,
            r#"{"keys": [{"kty": "oct", "k": "c2VjcmV0"}]}"#,
        ] {
            let err = KeyCache::load(Arc::new(Static(json)), Duration::ZERO)
                .err()
                .unwrap();
            assert!(matches!(err, IdentityError::Configuration(_)), "{err}");
        }
        let err = KeyCache::load(Arc::new(Static("<html>")), Duration::ZERO)
            .err()
            .unwrap();
        assert!(matches!(err, IdentityError::Unavailable(_)), "{err}");
    }

    #[test]
    fn plain_http_jwks_urls_are_refused() {
        let source = JwksSource::Url {
            url: "http://issuer.example/jwks".to_owned(),
            ca_file: None,
        };
        let err = source.fetcher(Duration::from_secs(1)).err().unwrap();
        assert!(matches!(err, IdentityError::Configuration(_)), "{err}");
    }
}
