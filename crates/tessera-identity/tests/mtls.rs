//! Client certificates: the verifier the server's TLS layer uses, and the identities read
//! from the chains it lets through.

#![expect(
    clippy::unwrap_used,
    reason = "helpers of a test: a failure is the test failing"
)]

mod support;

use std::sync::Arc;

use rustls::pki_types::{CertificateDer, UnixTime};
use support::Ca;
use tessera_identity::{
    Authenticator, AuthenticatorChain, Credentials, IdentityError, MtlsAuthenticator, MtlsConfig,
    PrincipalKind, Rejection, SubjectMapping, client_certificate_verifier,
};

const SPIFFE_ID: &str = "spiffe://prod.example.org/ns/web/sa/api";

fn authenticator(common_name_fallback: bool) -> MtlsAuthenticator {
    MtlsAuthenticator::new(MtlsConfig {
        trust_domains: vec!["prod.example.org".to_owned()],
        common_name_fallback,
    })
    .unwrap()
}

fn credentials(leaf: CertificateDer<'static>) -> Credentials {
    Credentials::default().with_peer_certificates(Arc::new(vec![leaf]))
}

fn rejection(authenticator: &MtlsAuthenticator, leaf: CertificateDer<'static>) -> Rejection {
    let err = authenticator.authenticate(&credentials(leaf)).unwrap_err();
    assert_eq!(err.to_string(), "invalid credentials");
    err.rejection().cloned().unwrap()
}

#[test]
fn the_verifier_accepts_client_certificates_of_the_ca_and_refuses_other_cas() {
    let ca = Ca::new("Client CA");
    let ca_file = ca.pem_file();
    let verifier = client_certificate_verifier(ca_file.path()).unwrap();
    assert!(verifier.client_auth_mandatory());

    let (ours, _) = ca.leaf("api", &[SPIFFE_ID]);
    assert!(
        verifier
            .verify_client_cert(&ours, &[], UnixTime::now())
            .is_ok()
    );

    let (theirs, _) = Ca::new("Other CA").leaf("api", &[SPIFFE_ID]);
    assert!(
        verifier
            .verify_client_cert(&theirs, &[], UnixTime::now())
            .is_err()
    );
}

#[test]
fn a_ca_file_without_certificates_is_a_configuration_error() {
    let empty = tempfile::NamedTempFile::new().unwrap();
    for path in [empty.path(), std::path::Path::new("/nonexistent/ca.pem")] {
        let err = client_certificate_verifier(path).err().unwrap();
        assert!(matches!(err, IdentityError::Configuration(_)), "{err}");
    }
}

#[test]
fn a_spiffe_id_proves_a_workload_of_its_trust_domain() {
    let (leaf, _) = Ca::new("Client CA").leaf("api", &["api.internal", SPIFFE_ID]);
    let principal = authenticator(false)
        .authenticate(&credentials(leaf))
        .unwrap()
        .unwrap();
    assert_eq!(principal.kind, PrincipalKind::Workload);
    assert_eq!(principal.id, SPIFFE_ID);
    assert_eq!(principal.issuer, "prod.example.org");
    let subject = SubjectMapping::default().subject(&principal).unwrap();
    assert_eq!(subject.to_string(), "workload:ns/web/sa/api");
}

#[test]
fn a_certificate_without_a_spiffe_id_is_rejected_unless_its_common_name_may_stand_in() {
    let (leaf, _) = Ca::new("Client CA").leaf("billing", &["billing.internal"]);
    assert_eq!(
        rejection(&authenticator(false), leaf.clone()),
        Rejection::NoSpiffeId
    );

    let principal = authenticator(true)
        .authenticate(&credentials(leaf))
        .unwrap()
        .unwrap();
    assert_eq!(principal.kind, PrincipalKind::Service);
    assert_eq!(principal.id, "billing");
    assert!(
        principal.issuer.contains("Client CA"),
        "{}",
        principal.issuer
    );
}

#[test]
fn other_trust_domains_ambiguous_and_invalid_ids_are_rejected() {
    let ca = Ca::new("Client CA");
    let (foreign, _) = ca.leaf("api", &["spiffe://dev.example.org/api"]);
    assert_eq!(
        rejection(&authenticator(true), foreign),
        Rejection::UntrustedTrustDomain("dev.example.org".to_owned())
    );
    let (two, _) = ca.leaf("api", &[SPIFFE_ID, "spiffe://prod.example.org/other"]);
    assert!(matches!(
        rejection(&authenticator(true), two),
        Rejection::InvalidSpiffeId(_)
    ));
    let (dotdot, _) = ca.leaf("api", &["spiffe://prod.example.org/ns/../admin"]);
    assert!(matches!(
        rejection(&authenticator(true), dotdot),
        Rejection::InvalidSpiffeId(_)
    ));
    assert_eq!(
        rejection(
            &authenticator(true),
            CertificateDer::from(vec![0x30, 0x03, 1, 2, 3])
        ),
        Rejection::UnreadableCertificate
    );
}

#[test]
fn requests_without_a_certificate_are_left_to_other_authenticators() {
    assert_eq!(
        authenticator(false)
            .authenticate(&Credentials::bearer("token"))
            .unwrap(),
        None
    );
    let chain = AuthenticatorChain::new(vec![Arc::new(authenticator(false))]);
    let (leaf, _) = Ca::new("Client CA").leaf("billing", &[]);
    let err = chain.verify(&credentials(leaf)).unwrap_err();
    assert!(matches!(
        err,
        IdentityError::Rejected(Rejection::NoSpiffeId)
    ));
}

#[test]
fn configurations_that_accept_nobody_or_name_invalid_domains_are_refused() {
    for trust_domains in [vec![], vec!["Prod.Example.org".to_owned()]] {
        let err = MtlsAuthenticator::new(MtlsConfig {
            trust_domains,
            common_name_fallback: false,
        })
        .unwrap_err();
        assert!(matches!(err, IdentityError::Configuration(_)), "{err}");
    }
}
