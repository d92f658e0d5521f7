//! mTLS end to end: client certificates verified against `--tls-client-ca`, SPIFFE ids as
//! workload principals, and the access config deciding what a workload may do.

use std::net::IpAddr;
use std::sync::Arc;

use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair,
    KeyUsagePurpose, SanType,
};
use tessera_proto::authzed::api::v1 as wire;
use tessera_proto::authzed::api::v1::schema_service_client::SchemaServiceClient;
use tessera_server::{AuthArgs, AuthSetup, ServerConfig, TlsConfig};
use tessera_store::MemStore;
use tonic::Code;
use tonic::transport::{Certificate, Channel, ClientTlsConfig, Identity};

use crate::support::*;

/// A certificate authority that exists for one test.
struct Ca {
    issuer: Issuer<'static, KeyPair>,
    pem: String,
}

/// A certificate and its key, PEM-encoded.
struct Leaf {
    cert: String,
    key: String,
}

impl Ca {
    fn new(name: &str) -> Self {
        let key = KeyPair::generate().unwrap();
        let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params.distinguished_name.push(DnType::CommonName, name);
        params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
        let pem = params.self_signed(&key).unwrap().pem();
        Self {
            issuer: Issuer::new(params, key),
            pem,
        }
    }

    /// A leaf with `sans`: URIs (with `://`), IP addresses or DNS names.
    fn leaf(&self, cn: &str, sans: &[&str]) -> Leaf {
        let key = KeyPair::generate().unwrap();
        let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
        params.distinguished_name.push(DnType::CommonName, cn);
        params.extended_key_usages = vec![
            ExtendedKeyUsagePurpose::ClientAuth,
            ExtendedKeyUsagePurpose::ServerAuth,
        ];
        params.subject_alt_names = sans
            .iter()
            .map(|san| {
                if san.contains("://") {
                    SanType::URI((*san).try_into().unwrap())
                } else if let Ok(ip) = san.parse::<IpAddr>() {
                    SanType::IpAddress(ip)
                } else {
                    SanType::DnsName((*san).try_into().unwrap())
                }
            })
            .collect();
        let cert = params.signed_by(&key, &self.issuer).unwrap();
        Leaf {
            cert: cert.pem(),
            key: key.serialize_pem(),
        }
    }
}

const BILLING: &str = "spiffe://example.org/ns/prod/billing";

/// A TLS server requiring client certificates of `clients`, and the CA of its own.
async fn start(clients: &Ca) -> (TestServer, Ca, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let ca_file = dir.path().join("client-ca.pem");
    std::fs::write(&ca_file, &clients.pem).unwrap();
    let access = dir.path().join("access.yaml");
    std::fs::write(
        &access,
        format!("grants:\n  - principals: [\"workload:{BILLING}\"]\n    capabilities: [check]\n"),
    )
    .unwrap();
    let args = AuthArgs {
        tls_client_ca: Some(ca_file),
        spiffe_trust_domain: vec!["example.org".to_owned()],
        access_config: Some(access),
        ..AuthArgs::default()
    };
    let AuthSetup {
        authentication,
        access,
        client_ca,
        ..
    } = args.build(&[], false).unwrap();
    let (client_ca_pem, optional) = client_ca.unwrap();
    assert!(!optional);
    let servers = Ca::new("server CA");
    let server_leaf = servers.leaf("localhost", &["localhost", "127.0.0.1"]);
    let mut config = ServerConfig::new(authentication);
    config.access = access;
    config.tls = Some(TlsConfig {
        cert_pem: server_leaf.cert.into_bytes(),
        key_pem: server_leaf.key.into_bytes(),
        client_ca_pem: Some(client_ca_pem),
        client_cert_optional: false,
    });
    let server = TestServer::start_with(Arc::new(MemStore::new()), config).await;
    (server, servers, dir)
}

/// A TLS channel presenting `leaf`, or no certificate.
async fn channel(
    server: &TestServer,
    servers: &Ca,
    leaf: Option<&Leaf>,
) -> Result<Channel, tonic::transport::Error> {
    let mut tls = ClientTlsConfig::new()
        .ca_certificate(Certificate::from_pem(&servers.pem))
        .domain_name("localhost");
    if let Some(leaf) = leaf {
        tls = tls.identity(Identity::from_pem(&leaf.cert, &leaf.key));
    }
    Channel::from_shared(format!("https://localhost:{}", server.address.port()))
        .unwrap()
        .tls_config(tls)?
        .connect()
        .await
}

async fn check(channel: Channel) -> Result<(), tonic::Status> {
    PermissionsClient::new(channel)
        .check_permission(check_request("document:1", "view", "user:a", None))
        .await
        .map(drop)
}

type PermissionsClient<T> =
    tessera_proto::authzed::api::v1::permissions_service_client::PermissionsServiceClient<T>;

#[tokio::test]
async fn a_client_certificate_with_a_spiffe_id_is_a_workload_principal() {
    let clients = Ca::new("client CA");
    let (server, servers, _dir) = start(&clients).await;
    let billing = clients.leaf("billing", &[BILLING]);
    let channel = channel(&server, &servers, Some(&billing)).await.unwrap();
    // Authenticated and allowed to check: the request reaches the evaluator (no schema).
    let err = check(channel.clone()).await.unwrap_err();
    assert_eq!(err.code(), Code::FailedPrecondition, "{err:?}");
    // Not allowed to read the schema: denied, naming the workload.
    let err = SchemaServiceClient::new(channel)
        .read_schema(wire::ReadSchemaRequest {})
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::PermissionDenied, "{err:?}");
    assert!(err.message().contains(BILLING), "{}", err.message());
    assert!(err.message().contains("read_schema"), "{}", err.message());
}

#[tokio::test]
async fn a_certificate_without_a_spiffe_id_is_unauthenticated() {
    let clients = Ca::new("client CA");
    let (server, servers, _dir) = start(&clients).await;
    let plain = clients.leaf("billing", &["billing.example.org"]);
    let channel = channel(&server, &servers, Some(&plain)).await.unwrap();
    let err = check(channel).await.unwrap_err();
    assert_eq!(err.code(), Code::Unauthenticated, "{err:?}");
    // A SPIFFE id of an untrusted trust domain is no better.
    let foreign = clients.leaf("x", &["spiffe://evil.example/ns/prod/billing"]);
    let channel = self::channel(&server, &servers, Some(&foreign))
        .await
        .unwrap();
    let err = check(channel).await.unwrap_err();
    assert_eq!(err.code(), Code::Unauthenticated, "{err:?}");
}

#[tokio::test]
async fn certificates_of_another_ca_or_none_never_reach_the_api() {
    let clients = Ca::new("client CA");
    let (server, servers, _dir) = start(&clients).await;
    let impostors = Ca::new("client CA");
    let forged = impostors.leaf("billing", &[BILLING]);
    for leaf in [Some(&forged), None] {
        // The handshake fails: at connect, or at the first call.
        let outcome = match channel(&server, &servers, leaf).await {
            Err(_) => None,
            Ok(channel) => Some(check(channel).await.unwrap_err()),
        };
        if let Some(err) = outcome {
            assert!(
                matches!(err.code(), Code::Unavailable | Code::Unknown),
                "{err:?}"
            );
        }
    }
}
