//! JWT bearer tokens: what a verifier accepts, everything it refuses, how its keys are
//! fetched and rotated, and that no secret reaches an error message or a log line.

#![expect(
    clippy::unwrap_used,
    clippy::panic,
    reason = "helpers of a test: a failure is the test failing"
)]

mod support;

use std::io::{Read, Write};
use std::net::TcpListener;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::jwk::{Jwk, JwkSet};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{Value, json};
use support::Ca;
use tessera_identity::{
    Authenticator, AuthenticatorChain, ClaimMatch, Credentials, IdentityError, JwksFetcher,
    JwksSource, JwtConfig, JwtVerifier, PresharedKeys, PrincipalKind, Rejection, SharedSecret,
    SubjectMapping,
};

const ISSUER: &str = "https://login.example.com/";
const AUDIENCE: &str = "tessera";
const HMAC_SECRET: &[u8] = b"a shared secret of at least thirty-two bytes";

/// An issuer's signing key, made for the test.
struct SigningKey {
    kid: String,
    alg: Algorithm,
    encoding: EncodingKey,
    jwk: Jwk,
    public_pem: String,
}

fn signing_key(kid: &str, alg: Algorithm) -> SigningKey {
    let (rcgen_alg, encoding): (_, fn(&[u8]) -> _) = match alg {
        Algorithm::RS256 => (&rcgen::PKCS_RSA_SHA256, EncodingKey::from_rsa_pem),
        Algorithm::ES256 => (&rcgen::PKCS_ECDSA_P256_SHA256, EncodingKey::from_ec_pem),
        Algorithm::EdDSA => (&rcgen::PKCS_ED25519, EncodingKey::from_ed_pem),
        other => panic!("no test keys for {other:?}"),
    };
    let pair = rcgen::KeyPair::generate_for(rcgen_alg).unwrap();
    let encoding = encoding(pair.serialize_pem().as_bytes()).unwrap();
    let mut jwk = match alg {
        // jsonwebtoken cannot derive an Ed25519 JWK from rcgen's PKCS#8 document; the raw
        // public key is all an OKP JWK holds.
        Algorithm::EdDSA => serde_json::from_value(json!({
            "kty": "OKP",
            "crv": "Ed25519",
            "x": URL_SAFE_NO_PAD.encode(pair.public_key_raw()),
        }))
        .unwrap(),
        _ => Jwk::from_encoding_key(&encoding, alg).unwrap(),
    };
    jwk.common.key_id = Some(kid.to_owned());
    SigningKey {
        kid: kid.to_owned(),
        alg,
        encoding,
        jwk,
        public_pem: pair.public_key_pem(),
    }
}

fn jwks(keys: &[&SigningKey]) -> String {
    let set = JwkSet {
        keys: keys.iter().map(|key| key.jwk.clone()).collect(),
    };
    serde_json::to_string(&set).unwrap()
}

fn now() -> i64 {
    let secs = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs();
    i64::try_from(secs).unwrap()
}

/// Claims of a token that is valid for ten minutes.
fn claims() -> Value {
    json!({
        "iss": ISSUER,
        "aud": AUDIENCE,
        "sub": "user-42",
        "iat": now(),
        "exp": now() + 600,
        "tenant_id": "acme",
    })
}

/// `claims` with `changes` applied (a `null` removes the claim).
fn claims_with(changes: Value) -> Value {
    let mut claims = claims();
    for (name, value) in changes.as_object().unwrap() {
        if value.is_null() {
            claims.as_object_mut().unwrap().remove(name);
        } else {
            claims[name] = value.clone();
        }
    }
    claims
}

fn token(key: &SigningKey, claims: &Value) -> String {
    let mut header = Header::new(key.alg);
    header.kid = Some(key.kid.clone());
    jsonwebtoken::encode(&header, claims, &key.encoding).unwrap()
}

/// A token with a hand-written header, signed (HS256) with `secret`.
fn forged(header: &Value, claims: &Value, secret: Option<&[u8]>) -> String {
    let encode = |value: &Value| URL_SAFE_NO_PAD.encode(serde_json::to_vec(value).unwrap());
    let message = format!("{}.{}", encode(header), encode(claims));
    let signature = secret.map_or_else(String::new, |secret| {
        let key = EncodingKey::from_secret(secret);
        jsonwebtoken::crypto::sign(message.as_bytes(), &key, Algorithm::HS256).unwrap()
    });
    format!("{message}.{signature}")
}

/// A key set served from memory that counts its fetches.
#[derive(Debug, Default)]
struct MemoryJwks {
    document: Mutex<String>,
    fetches: AtomicUsize,
}

impl MemoryJwks {
    fn new(keys: &[&SigningKey]) -> Arc<Self> {
        let jwks = Arc::new(Self::default());
        jwks.publish(keys);
        jwks
    }

    fn publish(&self, keys: &[&SigningKey]) {
        *self.document.lock().unwrap() = jwks(keys);
    }

    fn fetches(&self) -> usize {
        self.fetches.load(Ordering::SeqCst)
    }
}

impl JwksFetcher for MemoryJwks {
    fn fetch(&self) -> Result<Vec<u8>, IdentityError> {
        self.fetches.fetch_add(1, Ordering::SeqCst);
        Ok(self.document.lock().unwrap().clone().into_bytes())
    }
}

fn config(keys: JwksSource) -> JwtConfig {
    let mut config = JwtConfig::new(ISSUER, vec![AUDIENCE.to_owned()], keys);
    config.tenant_claim = Some("tenant_id".to_owned());
    config
}

fn verifier_with(jwks: &Arc<MemoryJwks>, adjust: impl FnOnce(&mut JwtConfig)) -> JwtVerifier {
    let mut config = config(JwksSource::Fetcher(Arc::clone(jwks) as Arc<dyn JwksFetcher>));
    adjust(&mut config);
    JwtVerifier::new(config).unwrap()
}

fn verifier(jwks: &Arc<MemoryJwks>) -> JwtVerifier {
    verifier_with(jwks, |_| {})
}

fn rejection(verifier: &JwtVerifier, token: &str) -> Rejection {
    let err = verifier
        .authenticate(&Credentials::bearer(token))
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "invalid credentials",
        "opaque to the caller"
    );
    err.rejection().cloned().unwrap()
}

#[test]
fn valid_rs256_es256_and_eddsa_tokens_prove_their_subject() {
    let keys = [
        signing_key("rsa", Algorithm::RS256),
        signing_key("ec", Algorithm::ES256),
        signing_key("ed", Algorithm::EdDSA),
    ];
    let jwks = MemoryJwks::new(&keys.iter().collect::<Vec<_>>());
    let verifier = verifier(&jwks);
    for key in &keys {
        let principal = verifier
            .authenticate(&Credentials::bearer(token(key, &claims())))
            .unwrap()
            .unwrap_or_else(|| panic!("{:?} token not recognised", key.alg));
        assert_eq!(principal.id, "user-42");
        assert_eq!(principal.kind, PrincipalKind::User);
        assert_eq!(principal.issuer, ISSUER);
        assert_eq!(principal.tenant.as_deref(), Some("acme"));
        assert_eq!(principal.claims["aud"], AUDIENCE);
        let subject = SubjectMapping::default().subject(&principal).unwrap();
        assert_eq!(subject.to_string(), "user:user-42");
    }
}

#[test]
fn a_configured_claim_makes_the_principal_a_service() {
    let key = signing_key("rsa", Algorithm::RS256);
    let verifier = verifier_with(&MemoryJwks::new(&[&key]), |config| {
        config.service_claim = Some(ClaimMatch {
            claim: "roles".to_owned(),
            value: json!("service"),
        });
    });
    let service = token(&key, &claims_with(json!({"roles": ["reader", "service"]})));
    let principal = verifier
        .authenticate(&Credentials::bearer(service))
        .unwrap()
        .unwrap();
    assert_eq!(principal.kind, PrincipalKind::Service);
    let person = token(&key, &claims_with(json!({"roles": ["reader"]})));
    let principal = verifier
        .authenticate(&Credentials::bearer(person))
        .unwrap()
        .unwrap();
    assert_eq!(principal.kind, PrincipalKind::User);
}

#[test]
fn expired_and_not_yet_valid_tokens_are_rejected_beyond_the_leeway() {
    let key = signing_key("rsa", Algorithm::RS256);
    let verifier = verifier(&MemoryJwks::new(&[&key]));
    let expired = token(&key, &claims_with(json!({"exp": now() - 3600})));
    assert_eq!(rejection(&verifier, &expired), Rejection::Expired);
    let early = token(&key, &claims_with(json!({"nbf": now() + 3600})));
    assert_eq!(rejection(&verifier, &early), Rejection::NotYetValid);

    let within_leeway = json!({"exp": now() - 20, "nbf": now() + 20});
    let skewed = token(&key, &claims_with(within_leeway));
    assert!(verifier.authenticate(&Credentials::bearer(skewed)).is_ok());

    let strict = verifier_with(&MemoryJwks::new(&[&key]), |config| {
        config.leeway = Duration::ZERO;
    });
    let just_expired = token(&key, &claims_with(json!({"exp": now() - 20})));
    assert_eq!(rejection(&strict, &just_expired), Rejection::Expired);
}

#[test]
fn time_claims_of_the_wrong_type_do_not_skip_their_check() {
    let key = signing_key("rsa", Algorithm::RS256);
    let verifier = verifier(&MemoryJwks::new(&[&key]));
    let string_nbf = token(&key, &claims_with(json!({"nbf": "99999999999"})));
    assert!(matches!(
        rejection(&verifier, &string_nbf),
        Rejection::InvalidClaim(_) | Rejection::MalformedToken
    ));
    let no_exp = token(&key, &claims_with(json!({"exp": null})));
    assert_eq!(
        rejection(&verifier, &no_exp),
        Rejection::MissingClaim("exp".to_owned())
    );
}

#[test]
fn tokens_of_another_issuer_are_not_this_verifiers_and_authenticate_nobody() {
    let key = signing_key("rsa", Algorithm::RS256);
    let verifier = verifier(&MemoryJwks::new(&[&key]));
    let foreign = token(&key, &claims_with(json!({"iss": "https://evil.example/"})));
    assert_eq!(
        verifier
            .authenticate(&Credentials::bearer(foreign.as_str()))
            .unwrap(),
        None
    );
    let chain = AuthenticatorChain::new(vec![Arc::new(verifier)]);
    assert!(matches!(
        chain.verify(&Credentials::bearer(foreign)).unwrap_err(),
        IdentityError::Unrecognised { .. }
    ));
}

#[test]
fn a_token_minted_for_another_audience_never_authenticates() {
    let key = signing_key("rsa", Algorithm::RS256);
    let verifier = verifier(&MemoryJwks::new(&[&key]));
    for aud in [json!("billing"), json!(["billing", "search"]), json!([])] {
        let other = token(&key, &claims_with(json!({ "aud": aud })));
        assert_eq!(
            rejection(&verifier, &other),
            Rejection::WrongAudience,
            "{aud}"
        );
    }
    let none = token(&key, &claims_with(json!({"aud": null})));
    assert_eq!(
        rejection(&verifier, &none),
        Rejection::MissingClaim("aud".to_owned())
    );
    let among_others = token(&key, &claims_with(json!({"aud": ["billing", AUDIENCE]})));
    assert!(
        verifier
            .authenticate(&Credentials::bearer(among_others))
            .is_ok()
    );
}

#[test]
fn bad_signatures_and_tampered_claims_are_rejected() {
    let key = signing_key("rsa", Algorithm::RS256);
    let verifier = verifier(&MemoryJwks::new(&[&key]));
    let impostor = signing_key("rsa", Algorithm::RS256);
    assert_eq!(
        rejection(&verifier, &token(&impostor, &claims())),
        Rejection::BadSignature
    );

    let genuine = token(&key, &claims());
    let (message, signature) = genuine.rsplit_once('.').unwrap();
    let (header, _) = message.split_once('.').unwrap();
    let admin =
        URL_SAFE_NO_PAD.encode(serde_json::to_vec(&claims_with(json!({"sub": "admin"}))).unwrap());
    let tampered = format!("{header}.{admin}.{signature}");
    assert_eq!(rejection(&verifier, &tampered), Rejection::BadSignature);
}

#[test]
fn alg_none_is_rejected_in_any_spelling() {
    let key = signing_key("rsa", Algorithm::RS256);
    let verifier = verifier(&MemoryJwks::new(&[&key]));
    for alg in ["none", "None", "NONE", "nOnE"] {
        let unsigned = forged(&json!({"alg": alg, "kid": "rsa"}), &claims(), None);
        assert_eq!(
            rejection(&verifier, &unsigned),
            Rejection::DisallowedAlgorithm(alg.to_owned())
        );
    }
}

#[test]
fn an_hs256_token_signed_with_the_rsa_public_key_never_verifies() {
    let key = signing_key("rsa", Algorithm::RS256);
    let jwks = MemoryJwks::new(&[&key]);
    let header = json!({"alg": "HS256", "typ": "JWT", "kid": "rsa"});
    let public_der = URL_SAFE_NO_PAD.encode(key.public_pem.as_bytes());
    let secrets = [key.public_pem.as_bytes(), public_der.as_bytes()];

    let without_secret = verifier(&jwks);
    for secret in secrets {
        let confused = forged(&header, &claims(), Some(secret));
        assert_eq!(
            rejection(&without_secret, &confused),
            Rejection::DisallowedAlgorithm("HS256".to_owned())
        );
    }
    let with_secret = verifier_with(&jwks, |config| {
        config.shared_secret = Some(SharedSecret::new(HMAC_SECRET));
    });
    for secret in secrets {
        let confused = forged(&header, &claims(), Some(secret));
        assert_eq!(rejection(&with_secret, &confused), Rejection::BadSignature);
    }
}

#[test]
fn the_key_decides_the_algorithm_not_the_header() {
    let rsa = signing_key("rsa", Algorithm::RS256);
    let ec = signing_key("ec", Algorithm::ES256);
    let verifier = verifier(&MemoryJwks::new(&[&rsa, &ec]));
    // An ES256 signature presented as the RSA key's.
    let mut header = Header::new(Algorithm::ES256);
    header.kid = Some("rsa".to_owned());
    let mismatched = jsonwebtoken::encode(&header, &claims(), &ec.encoding).unwrap();
    assert_eq!(
        rejection(&verifier, &mismatched),
        Rejection::DisallowedAlgorithm("ES256".to_owned())
    );
    for alg in ["RS512", "PS256", "ES384"] {
        let other = forged(&json!({"alg": alg, "kid": "rsa"}), &claims(), None);
        assert_eq!(
            rejection(&verifier, &other),
            Rejection::DisallowedAlgorithm(alg.to_owned())
        );
    }
    let mut anonymous = Header::new(Algorithm::RS256);
    anonymous.kid = None;
    let kidless = jsonwebtoken::encode(&anonymous, &claims(), &rsa.encoding).unwrap();
    assert_eq!(rejection(&verifier, &kidless), Rejection::MissingKeyId);
}

#[test]
fn hs256_verifies_only_under_an_explicit_shared_secret() {
    let header = json!({"alg": "HS256", "typ": "JWT"});
    let signed = forged(&header, &claims(), Some(HMAC_SECRET));
    let mut shared = config(JwksSource::None);
    shared.shared_secret = Some(SharedSecret::new(HMAC_SECRET));
    let verifier = JwtVerifier::new(shared).unwrap();
    let principal = verifier
        .authenticate(&Credentials::bearer(signed))
        .unwrap()
        .unwrap();
    assert_eq!(principal.id, "user-42");
    let wrong = forged(&header, &claims(), Some(&[7; 32]));
    assert_eq!(rejection(&verifier, &wrong), Rejection::BadSignature);

    let mut short = config(JwksSource::None);
    short.shared_secret = Some(SharedSecret::new(&b"short"[..]));
    assert!(matches!(
        JwtVerifier::new(short).unwrap_err(),
        IdentityError::Configuration(_)
    ));
}

#[test]
fn configurations_that_would_accept_too_much_or_nothing_are_refused() {
    let key = signing_key("rsa", Algorithm::RS256);
    let jwks = MemoryJwks::new(&[&key]);
    let source = || JwksSource::Fetcher(Arc::clone(&jwks) as Arc<dyn JwksFetcher>);
    let cases = [
        JwtConfig::new(ISSUER, vec![], source()),
        JwtConfig::new(ISSUER, vec![String::new()], source()),
        JwtConfig::new("", vec![AUDIENCE.to_owned()], source()),
        JwtConfig::new(ISSUER, vec![AUDIENCE.to_owned()], JwksSource::None),
    ];
    for config in cases {
        let err = JwtVerifier::new(config).unwrap_err();
        assert!(matches!(err, IdentityError::Configuration(_)), "{err}");
    }
}

#[test]
fn an_unknown_kid_causes_at_most_one_refresh_per_interval_then_fails() {
    let key = signing_key("rsa", Algorithm::RS256);
    let jwks = MemoryJwks::new(&[&key]);
    let verifier = verifier_with(&jwks, |config| {
        config.min_refresh_interval = Duration::ZERO;
    });
    assert_eq!(jwks.fetches(), 1, "keys are fetched at construction");
    let stranger = signing_key("unknown", Algorithm::RS256);
    assert_eq!(
        rejection(&verifier, &token(&stranger, &claims())),
        Rejection::UnknownKey("unknown".to_owned())
    );
    assert_eq!(jwks.fetches(), 2, "an unknown key id refreshes once");

    let patient = verifier_with(&jwks, |config| {
        config.min_refresh_interval = Duration::from_secs(3600);
    });
    let before = jwks.fetches();
    for attempt in 0..20 {
        let made_up = signing_key(&format!("made-up-{attempt}"), Algorithm::ES256);
        assert!(matches!(
            rejection(&patient, &token(&made_up, &claims())),
            Rejection::UnknownKey(_)
        ));
    }
    assert_eq!(
        jwks.fetches(),
        before,
        "made-up key ids within the interval fetch nothing (construction just fetched)"
    );
}

#[test]
fn keys_rotate_through_the_key_set() {
    let old = signing_key("2024", Algorithm::RS256);
    let new = signing_key("2025", Algorithm::ES256);
    let jwks = MemoryJwks::new(&[&old]);
    let verifier = verifier_with(&jwks, |config| {
        config.min_refresh_interval = Duration::ZERO;
    });
    let old_token = token(&old, &claims());
    assert!(
        verifier
            .authenticate(&Credentials::bearer(old_token.as_str()))
            .is_ok()
    );

    // The issuer publishes the new key next to the old one, then signs with it: the first
    // token naming it makes the verifier fetch the set again.
    jwks.publish(&[&old, &new]);
    let new_token = token(&new, &claims());
    assert!(
        verifier
            .authenticate(&Credentials::bearer(new_token.as_str()))
            .is_ok()
    );
    assert!(
        verifier
            .authenticate(&Credentials::bearer(old_token.as_str()))
            .is_ok()
    );

    // The old key is withdrawn: after the next refresh its tokens fail.
    jwks.publish(&[&new]);
    verifier.refresh_keys().unwrap();
    assert_eq!(
        rejection(&verifier, &old_token),
        Rejection::UnknownKey("2024".to_owned())
    );
    assert!(
        verifier
            .authenticate(&Credentials::bearer(new_token))
            .is_ok()
    );
}

#[test]
fn keys_come_from_a_jwks_file_read_again_at_refresh() {
    let old = signing_key("a", Algorithm::EdDSA);
    let new = signing_key("b", Algorithm::EdDSA);
    let file = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(file.path(), jwks(&[&old])).unwrap();
    let verifier = JwtVerifier::new(config(JwksSource::File(file.path().to_owned()))).unwrap();
    assert!(
        verifier
            .authenticate(&Credentials::bearer(token(&old, &claims())))
            .is_ok()
    );

    std::fs::write(file.path(), jwks(&[&new])).unwrap();
    verifier.refresh_keys().unwrap();
    assert!(
        verifier
            .authenticate(&Credentials::bearer(token(&new, &claims())))
            .is_ok()
    );

    std::fs::write(file.path(), "not json").unwrap();
    assert!(matches!(
        verifier.refresh_keys().unwrap_err(),
        IdentityError::Unavailable(_)
    ));
    assert!(
        verifier
            .authenticate(&Credentials::bearer(token(&new, &claims())))
            .is_ok(),
        "a failed refresh keeps the keys"
    );
    let missing = config(JwksSource::File("/nonexistent/jwks.json".into()));
    assert!(matches!(
        JwtVerifier::new(missing).unwrap_err(),
        IdentityError::Unavailable(_)
    ));
}

/// An HTTPS server on 127.0.0.1 serving one JWKS document, counting requests.
struct JwksServer {
    url: String,
    requests: Arc<AtomicUsize>,
}

fn serve_jwks(ca: &Ca, document: String) -> JwksServer {
    let (cert, key) = ca.leaf("localhost", &["127.0.0.1"]);
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let tls = Arc::new(
        rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_no_client_auth()
            .with_single_cert(vec![cert], key)
            .unwrap(),
    );
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("https://{}/jwks.json", listener.local_addr().unwrap());
    let requests = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&requests);
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(stream) = stream else { continue };
            let connection = rustls::ServerConnection::new(Arc::clone(&tls)).unwrap();
            let mut tls = rustls::StreamOwned::new(connection, stream);
            let mut request = Vec::new();
            let mut buffer = [0; 1024];
            while !request.windows(4).any(|w| w == b"\r\n\r\n") {
                match tls.read(&mut buffer) {
                    Ok(0) | Err(_) => break,
                    Ok(n) => request.extend_from_slice(&buffer[..n]),
                }
            }
            if !request.starts_with(b"GET /jwks.json ") {
                continue;
            }
            counter.fetch_add(1, Ordering::SeqCst);
            let response = format!(
                "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\
                 connection: close\r\n\r\n{document}",
                document.len()
            );
            let _ = tls.write_all(response.as_bytes());
            tls.conn.send_close_notify();
            let _ = tls.flush();
        }
    });
    JwksServer { url, requests }
}

#[test]
fn keys_are_fetched_over_https_from_the_issuer_and_refetched_once_for_an_unknown_kid() {
    let key = signing_key("rsa", Algorithm::RS256);
    let ca = Ca::new("Issuer CA");
    let ca_file = ca.pem_file();
    let server = serve_jwks(&ca, jwks(&[&key]));
    let mut config = config(JwksSource::Url {
        url: server.url.clone(),
        ca_file: Some(ca_file.path().to_owned()),
    });
    config.min_refresh_interval = Duration::ZERO;
    let verifier = JwtVerifier::new(config).unwrap();
    assert_eq!(server.requests.load(Ordering::SeqCst), 1);
    assert!(
        verifier
            .authenticate(&Credentials::bearer(token(&key, &claims())))
            .is_ok()
    );

    let stranger = signing_key("stranger", Algorithm::RS256);
    assert!(matches!(
        rejection(&verifier, &token(&stranger, &claims())),
        Rejection::UnknownKey(_)
    ));
    assert_eq!(server.requests.load(Ordering::SeqCst), 2);
}

#[test]
fn a_jwks_server_that_the_roots_do_not_vouch_for_is_unavailable() {
    let key = signing_key("rsa", Algorithm::RS256);
    let server = serve_jwks(&Ca::new("Issuer CA"), jwks(&[&key]));
    let other_ca = Ca::new("Other CA").pem_file();
    for ca_file in [Some(other_ca.path().to_owned()), None] {
        let err = JwtVerifier::new(config(JwksSource::Url {
            url: server.url.clone(),
            ca_file,
        }))
        .unwrap_err();
        assert!(matches!(err, IdentityError::Unavailable(_)), "{err}");
    }
    assert_eq!(server.requests.load(Ordering::SeqCst), 0);
}

/// Log output captured from a test subscriber.
#[derive(Clone, Default)]
struct CapturedLogs(Arc<Mutex<Vec<u8>>>);

impl Write for CapturedLogs {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for CapturedLogs {
    type Writer = Self;

    fn make_writer(&'a self) -> Self::Writer {
        self.clone()
    }
}

#[test]
fn no_log_line_or_error_message_contains_a_token_or_a_key() {
    let key = signing_key("rsa", Algorithm::RS256);
    let jwks = MemoryJwks::new(&[&key]);
    let preshared_key = "psk-7Hq2-very-secret";
    let key_file = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(
        key_file.path(),
        format!("keys:\n  ci: {}\n", PresharedKeys::digest(preshared_key)),
    )
    .unwrap();

    let stranger = signing_key("stranger", Algorithm::RS256);
    let tokens = [
        token(&key, &claims_with(json!({"exp": now() - 3600}))),
        token(&key, &claims_with(json!({"aud": "billing"}))),
        token(&signing_key("rsa", Algorithm::RS256), &claims()),
        token(&stranger, &claims()),
        forged(&json!({"alg": "none"}), &claims(), None),
        forged(
            &json!({"alg": "HS256", "kid": "rsa"}),
            &claims(),
            Some(HMAC_SECRET),
        ),
    ];
    let logs = CapturedLogs::default();
    let subscriber = tracing_subscriber::fmt()
        .with_writer(logs.clone())
        .with_max_level(tracing::Level::TRACE)
        .with_ansi(false)
        .finish();
    let mut messages = Vec::new();
    tracing::subscriber::with_default(subscriber, || {
        let verifier = verifier_with(&jwks, |config| {
            config.shared_secret = Some(SharedSecret::new(&[9; 32][..]));
            config.min_refresh_interval = Duration::ZERO;
        });
        let keys = PresharedKeys::from_file(key_file.path()).unwrap();
        let chain = AuthenticatorChain::new(vec![Arc::new(keys.clone()), Arc::new(verifier)]);
        // Another test's thread may have been registering one of the verifier's log
        // callsites while this subscriber was installed, caching "no subscriber wants it";
        // recomputing now, after that registration finished, makes every event reach us.
        tracing::callsite::rebuild_interest_cache();
        for token in &tokens {
            let err = chain
                .verify(&Credentials::bearer(token.as_str()))
                .unwrap_err();
            messages.push(format!("{err} / {err:?}"));
        }
        for guess in ["psk-7Hq2-very-secret", "Bearer psk-7Hq2-very-secreT"] {
            let credentials = Credentials::from_authorization_header(Some(guess))
                .and_then(|credentials| chain.verify(&credentials));
            messages.push(format!("{:?}", credentials.unwrap_err()));
        }
        std::fs::write(key_file.path(), format!("keys:\n  ci: {preshared_key}\n")).unwrap();
        messages.push(keys.reload().unwrap_err().to_string());
        messages.push(format!("{chain:?}"));
    });
    let logs = String::from_utf8(logs.0.lock().unwrap().clone()).unwrap();
    assert!(
        logs.contains("token expired"),
        "the reasons are logged:\n{logs}"
    );
    assert!(logs.contains("unknown key id `stranger`"), "{logs}");

    let mut secrets: Vec<String> = tokens.to_vec();
    secrets.extend(
        tokens
            .iter()
            .filter_map(|token| token.rsplit_once('.'))
            .map(|(_, signature)| signature.to_owned())
            .filter(|signature| !signature.is_empty()),
    );
    secrets.push(preshared_key.to_owned());
    secrets.push(String::from_utf8_lossy(HMAC_SECRET).into_owned());
    for secret in &secrets {
        assert!(
            !logs.contains(secret.as_str()),
            "a secret was logged:\n{logs}"
        );
        for message in &messages {
            assert!(
                !message.contains(secret.as_str()),
                "a secret in `{message}`"
            );
        }
    }
}
