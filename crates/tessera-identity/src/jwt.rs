use std::fmt;
use std::sync::Arc;
use std::sync::mpsc::{self, RecvTimeoutError};
use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde::Deserialize;
use serde_json::Value;

use crate::authenticator::Authenticator;
use crate::credentials::Credentials;
use crate::error::{IdentityError, Rejection};
use crate::jwks::{JwksSource, KeyCache, VerifyingKey};
use crate::principal::{Claims, Principal, PrincipalKind};
use crate::redact;

/// Tokens longer than this are not read at all (real ones are a few kilobytes).
const MAX_TOKEN_BYTES: usize = 32 * 1024;
/// RFC 7518 §3.2: an HS256 key must be at least as long as the hash output.
const MIN_SECRET_BYTES: usize = 32;
/// Claims every accepted token carries.
const REQUIRED_CLAIMS: [&str; 4] = ["exp", "iss", "aud", "sub"];

/// A shared HS256 secret; never shown by `Debug`.
#[derive(Clone)]
pub struct SharedSecret(Vec<u8>);

impl SharedSecret {
    /// The secret `bytes`.
    pub fn new(bytes: impl Into<Vec<u8>>) -> Self {
        Self(bytes.into())
    }
}

impl fmt::Debug for SharedSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SharedSecret(<redacted>)")
    }
}

/// A claim value that marks a token's subject as a service rather than a person.
#[derive(Clone, Debug, PartialEq)]
pub struct ClaimMatch {
    /// The claim's name, e.g. `token_use`.
    pub claim: String,
    /// The value it must have, or contain when it is an array, e.g. `"client_credentials"`.
    pub value: Value,
}

impl ClaimMatch {
    fn matches(&self, claims: &Claims) -> bool {
        claims.get(&self.claim).is_some_and(|found| {
            *found == self.value
                || found
                    .as_array()
                    .is_some_and(|all| all.contains(&self.value))
        })
    }
}

/// How a [`JwtVerifier`] trusts one issuer.
#[derive(Clone, Debug)]
pub struct JwtConfig {
    /// The issuer, compared exactly with `iss` (e.g. `https://login.example.com/`).
    pub issuer: String,
    /// Accepted audiences; a token's `aud` must name one of them.
    pub audiences: Vec<String>,
    /// Where the issuer's public keys are (RS256, ES256 and EdDSA keys are used).
    pub keys: JwksSource,
    /// An HS256 secret shared with the issuer. Without one, HS256 tokens are refused.
    pub shared_secret: Option<SharedSecret>,
    /// Clock skew tolerated on `exp` and `nbf`.
    pub leeway: Duration,
    /// How often the key set is fetched again.
    pub refresh_interval: Duration,
    /// The least time between two fetches caused by tokens naming unknown keys.
    pub min_refresh_interval: Duration,
    /// How long one fetch of a JWKS URL may take.
    pub fetch_timeout: Duration,
    /// The claim naming the caller's tenant (e.g. `tenant_id`), if the issuer has one.
    pub tenant_claim: Option<String>,
    /// Makes the principal a [`PrincipalKind::Service`] instead of a
    /// [`PrincipalKind::User`] when this claim matches.
    pub service_claim: Option<ClaimMatch>,
}

impl JwtConfig {
    /// A configuration for `issuer` and `audiences` with keys from `keys`, and defaults:
    /// 60 s leeway, keys fetched every 5 min, and after an unknown key id at most every 30 s.
    pub fn new(issuer: impl Into<String>, audiences: Vec<String>, keys: JwksSource) -> Self {
        Self {
            issuer: issuer.into(),
            audiences,
            keys,
            shared_secret: None,
            leeway: Duration::from_secs(60),
            refresh_interval: Duration::from_secs(300),
            min_refresh_interval: Duration::from_secs(30),
            fetch_timeout: Duration::from_secs(5),
            tenant_claim: None,
            service_claim: None,
        }
    }
}

/// Verifies JWT bearer tokens of one OIDC issuer.
///
/// Tokens whose (unverified) `iss` is another issuer, and bearer tokens that are not JWTs,
/// are not this verifier's kind: other authenticators of the chain may take them. Every other
/// token must pass all checks, or it is rejected:
///
/// - the signature, with the key the header's `kid` names (or the only key). The algorithm
///   is the key's: RS256 for RSA keys, ES256 for P-256 keys, EdDSA for Ed25519 keys, HS256
///   only for the configured shared secret. A header asking for another algorithm than its
///   key's — `none`, or HS256 with a public key as the secret — is refused before any
///   cryptography;
/// - `iss` exactly, `aud` naming a configured audience, `exp` and `nbf` within the leeway,
///   and a non-empty string `sub`.
///
/// The principal is a [`PrincipalKind::User`] (or [`PrincipalKind::Service`] when the
/// configured claim says so) with id `sub`, issuer `iss`, the configured tenant claim, and all
/// verified claims. Keys are fetched at construction (a key source that cannot be read fails
/// it), then on an interval by a background thread that ends when the verifier is dropped.
///
/// [`Authenticator::authenticate`] is synchronous and normally never blocks; a token naming
/// an unknown key makes its request wait for one fetch (at most `fetch_timeout`), and only
/// one such fetch happens per `min_refresh_interval`.
pub struct JwtVerifier {
    issuer: String,
    validation: Validation,
    tenant_claim: Option<String>,
    service_claim: Option<ClaimMatch>,
    keys: Option<Arc<KeyCache>>,
    hmac: Option<Arc<VerifyingKey>>,
    /// Stops the refresh thread when the verifier is dropped.
    _refresher: Option<mpsc::Sender<()>>,
}

impl JwtVerifier {
    /// A verifier following `config`; fetches the key set once.
    ///
    /// # Errors
    /// [`IdentityError::Configuration`] for a configuration that cannot work (no issuer, no
    /// audience, no key at all, a short shared secret, a non-HTTPS key URL), and
    /// [`IdentityError::Unavailable`] when the key set cannot be read.
    pub fn new(config: JwtConfig) -> Result<Self, IdentityError> {
        let JwtConfig {
            issuer,
            audiences,
            keys,
            shared_secret,
            leeway,
            refresh_interval,
            min_refresh_interval,
            fetch_timeout,
            tenant_claim,
            service_claim,
        } = config;
        let invalid = |what: &str| Err(IdentityError::Configuration(format!("JWT: {what}")));
        if issuer.is_empty() {
            return invalid("the issuer is empty");
        }
        // Without an audience, a token minted by the same issuer for any other service
        // would authenticate here.
        if audiences.is_empty() || audiences.iter().any(String::is_empty) {
            return invalid("name at least one audience, none empty");
        }
        if refresh_interval.is_zero() {
            return invalid("the key refresh interval is zero");
        }
        let hmac = match shared_secret {
            Some(SharedSecret(secret)) if secret.len() < MIN_SECRET_BYTES => {
                return invalid("the HS256 shared secret is shorter than 32 bytes");
            }
            Some(SharedSecret(secret)) => Some(Arc::new(VerifyingKey::new(
                Algorithm::HS256,
                DecodingKey::from_secret(&secret),
            ))),
            None => None,
        };
        let keys = match keys.fetcher(fetch_timeout)? {
            Some(fetcher) => Some(Arc::new(KeyCache::load(fetcher, min_refresh_interval)?)),
            None if hmac.is_none() => return invalid("neither a key set nor a shared secret"),
            None => None,
        };
        let refresher = keys
            .as_ref()
            .map(|cache| spawn_refresher(Arc::clone(cache), refresh_interval))
            .transpose()?;

        let mut validation = Validation::new(Algorithm::RS256);
        validation.leeway = leeway.as_secs();
        validation.validate_nbf = true;
        validation.set_issuer(&[&issuer]);
        validation.set_audience(&audiences);
        validation.set_required_spec_claims(&REQUIRED_CLAIMS);
        Ok(Self {
            issuer,
            validation,
            tenant_claim,
            service_claim,
            keys,
            hmac,
            _refresher: refresher,
        })
    }

    /// Fetches the key set now (the refresh thread does this on its interval).
    ///
    /// # Errors
    /// [`IdentityError::Unavailable`] when it cannot be read; the current keys then stay.
    pub fn refresh_keys(&self) -> Result<(), IdentityError> {
        match &self.keys {
            Some(cache) => cache.refresh().map(drop),
            None => Ok(()),
        }
    }

    fn verify(&self, token: &str, header: &Peek) -> Result<Principal, Rejection> {
        let disallowed = || Rejection::DisallowedAlgorithm(redact::clip(&header.alg));
        let algorithm = match header.alg.as_str() {
            "HS256" => Algorithm::HS256,
            "RS256" => Algorithm::RS256,
            "ES256" => Algorithm::ES256,
            "EdDSA" => Algorithm::EdDSA,
            _ => return Err(disallowed()),
        };
        let key = match algorithm {
            Algorithm::HS256 => self.hmac.clone().ok_or_else(disallowed)?,
            _ => self
                .keys
                .as_ref()
                .ok_or_else(disallowed)?
                .key(header.kid.as_deref())?,
        };
        // The key decides the algorithm; the header only has to agree with it.
        if key.algorithm != algorithm {
            return Err(disallowed());
        }
        let mut validation = self.validation.clone();
        validation.algorithms = vec![key.algorithm];
        let claims = jsonwebtoken::decode::<Claims>(token, &key.key, &validation)
            .map_err(|err| rejection(err.kind(), &header.alg))?
            .claims;
        self.principal(claims)
    }

    fn principal(&self, claims: Claims) -> Result<Principal, Rejection> {
        let sub = claims
            .get("sub")
            .and_then(Value::as_str)
            .filter(|sub| !sub.is_empty())
            .ok_or_else(|| Rejection::InvalidClaim("sub".to_owned()))?
            .to_owned();
        let tenant = match self
            .tenant_claim
            .as_ref()
            .map(|name| (name, claims.get(name)))
        {
            None | Some((_, None)) => None,
            Some((_, Some(Value::String(tenant)))) if !tenant.is_empty() => Some(tenant.clone()),
            Some((name, Some(_))) => return Err(Rejection::InvalidClaim(name.clone())),
        };
        let kind = if self
            .service_claim
            .as_ref()
            .is_some_and(|service| service.matches(&claims))
        {
            PrincipalKind::Service
        } else {
            PrincipalKind::User
        };
        Ok(Principal {
            id: sub,
            kind,
            issuer: self.issuer.clone(),
            tenant,
            claims,
        })
    }
}

fn rejection(kind: &ErrorKind, alg: &str) -> Rejection {
    match kind {
        ErrorKind::ExpiredSignature => Rejection::Expired,
        ErrorKind::ImmatureSignature => Rejection::NotYetValid,
        ErrorKind::InvalidIssuer => Rejection::WrongIssuer,
        ErrorKind::InvalidAudience => Rejection::WrongAudience,
        ErrorKind::InvalidSignature => Rejection::BadSignature,
        ErrorKind::InvalidAlgorithm => Rejection::DisallowedAlgorithm(redact::clip(alg)),
        ErrorKind::MissingRequiredClaim(claim) => Rejection::MissingClaim(claim.clone()),
        ErrorKind::InvalidClaimFormat(claim) => Rejection::InvalidClaim(claim.clone()),
        _ => Rejection::MalformedToken,
    }
}

/// Refreshes `cache` every `interval` until the sender it returns is dropped.
fn spawn_refresher(
    cache: Arc<KeyCache>,
    interval: Duration,
) -> Result<mpsc::Sender<()>, IdentityError> {
    let (stop, stopped) = mpsc::channel::<()>();
    std::thread::Builder::new()
        .name("tessera-jwks".to_owned())
        .spawn(move || {
            while let Err(RecvTimeoutError::Timeout) = stopped.recv_timeout(interval) {
                if let Err(err) = cache.refresh() {
                    tracing::warn!(error = %err, "JWKS refresh failed; keeping the current keys");
                }
            }
        })
        .map_err(|err| {
            IdentityError::Configuration(format!("cannot start the JWKS refresh thread: {err}"))
        })?;
    Ok(stop)
}

/// What a token says about itself before anything is verified: enough to route it to its
/// issuer's verifier and pick a key, and trusted for nothing else.
struct Peek {
    alg: String,
    kid: Option<String>,
    issuer: Option<String>,
}

impl Peek {
    /// `None` when `token` is not a compact JWS with JSON header and payload.
    fn parse(token: &str) -> Option<Self> {
        #[derive(Deserialize)]
        struct Header {
            alg: String,
            kid: Option<String>,
        }
        #[derive(Deserialize)]
        struct Payload {
            iss: Option<String>,
        }
        if token.len() > MAX_TOKEN_BYTES {
            return None;
        }
        let mut parts = token.split('.');
        let (header, payload, _signature) = (parts.next()?, parts.next()?, parts.next()?);
        if parts.next().is_some() {
            return None;
        }
        let header: Header = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(header).ok()?).ok()?;
        let payload: Payload =
            serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).ok()?).ok()?;
        Some(Self {
            alg: header.alg,
            kid: header.kid,
            issuer: payload.iss,
        })
    }
}

impl Authenticator for JwtVerifier {
    fn authenticate(&self, credentials: &Credentials) -> Result<Option<Principal>, IdentityError> {
        let Some(token) = credentials.bearer_token() else {
            return Ok(None);
        };
        let Some(peek) = Peek::parse(token) else {
            return Ok(None);
        };
        if peek.issuer.as_deref() != Some(self.issuer.as_str()) {
            return Ok(None);
        }
        self.verify(token, &peek).map(Some).map_err(|rejection| {
            tracing::debug!(
                issuer = %self.issuer,
                kid = peek.kid.as_deref().map(redact::clip),
                token = %redact::fingerprint(token),
                reason = %rejection,
                "JWT rejected"
            );
            IdentityError::Rejected(rejection)
        })
    }
}

impl fmt::Debug for JwtVerifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("JwtVerifier")
            .field("issuer", &self.issuer)
            .field("audiences", &self.validation.aud)
            .field("key_set", &self.keys.is_some())
            .field("shared_secret", &self.hmac.is_some())
            .finish()
    }
}
