//! Identity and API authorization end to end: JWT bearer tokens from a JWKS file, an access
//! configuration deciding what each principal may do, the decision audit log, preshared key
//! reload, and `tessera.v1.IdentityService` checks for end-user tokens.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::jwk::{Jwk, JwkSet};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{Value, json};
use tessera_identity::PresharedKeys;
use tessera_proto::authzed::api::v1 as wire;
use tessera_proto::authzed::api::v1::schema_service_client::SchemaServiceClient;
use tessera_proto::authzed::api::v1::watch_service_client::WatchServiceClient;
use tessera_proto::tessera::v1 as ext;
use tessera_proto::tessera::v1::identity_service_client::IdentityServiceClient;
use tessera_server::AuthArgs;
use tessera_store::MemStore;
use tonic::Code;
use wire::check_permission_response::Permissionship;

use crate::support::*;

const ISSUER: &str = "https://login.example.com/";
const AUDIENCE: &str = "tessera";

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
        other => panic!("no test keys for {other:?}"),
    };
    let pair = rcgen::KeyPair::generate_for(rcgen_alg).unwrap();
    let encoding = encoding(pair.serialize_pem().as_bytes()).unwrap();
    let mut jwk = Jwk::from_encoding_key(&encoding, alg).unwrap();
    jwk.common.key_id = Some(kid.to_owned());
    SigningKey {
        kid: kid.to_owned(),
        alg,
        encoding,
        jwk,
        public_pem: pair.public_key_pem(),
    }
}

fn write_jwks(path: &Path, keys: &[&SigningKey]) {
    let set = JwkSet {
        keys: keys.iter().map(|key| key.jwk.clone()).collect(),
    };
    std::fs::write(path, serde_json::to_string(&set).unwrap()).unwrap();
}

fn now() -> i64 {
    i64::try_from(
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_secs(),
    )
    .unwrap()
}

fn claims(sub: &str) -> Value {
    json!({"iss": ISSUER, "aud": AUDIENCE, "sub": sub, "iat": now(), "exp": now() + 600})
}

fn sign(key: &SigningKey, claims: &Value) -> String {
    let mut header = Header::new(key.alg);
    header.kid = Some(key.kid.clone());
    jsonwebtoken::encode(&header, claims, &key.encoding).unwrap()
}

/// A token whose header and payload are whatever the test says, with a junk signature.
fn forged(header: &Value, claims: &Value, signature: &str) -> String {
    format!(
        "{}.{}.{signature}",
        URL_SAFE_NO_PAD.encode(header.to_string()),
        URL_SAFE_NO_PAD.encode(claims.to_string())
    )
}

/// The files a JWT-configured server reads, in one temporary directory.
struct Setup {
    dir: tempfile::TempDir,
    key: SigningKey,
}

impl Setup {
    fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let key = signing_key("key-1", Algorithm::RS256);
        write_jwks(&dir.path().join("jwks.json"), &[&key]);
        std::fs::write(
            dir.path().join("access.yaml"),
            r#"
grants:
  - principals: ["service:preshared-key-1"]
    capabilities: [admin]
  - principals: ["user:alice"]
    capabilities: [check, read_schema]
  - principals: ["user:writer"]
    capabilities: [check, write_relationships]
  - principals: ["user:doc-checker"]
    capabilities: [check]
    object_types: [document]
  - principals: ["user:doc-writer"]
    capabilities: [read_relationships, write_relationships, watch]
    object_types: [document]
"#,
        )
        .unwrap();
        Self { dir, key }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    fn args(&self) -> AuthArgs {
        AuthArgs {
            jwt_issuer: Some(ISSUER.to_owned()),
            jwt_audience: vec![AUDIENCE.to_owned()],
            jwt_jwks: Some(self.path("jwks.json").display().to_string()),
            jwt_jwks_min_refresh: Some("0s".to_owned()),
            access_config: Some(self.path("access.yaml")),
            audit_log: Some(self.path("audit.jsonl")),
            ..AuthArgs::default()
        }
    }

    async fn start(&self) -> TestServer {
        TestServer::start_with(Arc::new(MemStore::new()), config_from(&self.args())).await
    }

    fn token(&self, sub: &str) -> String {
        sign(&self.key, &claims(sub))
    }

    fn audit_lines(&self) -> Vec<Value> {
        std::fs::read_to_string(self.path("audit.jsonl"))
            .unwrap_or_default()
            .lines()
            .map(|line| serde_json::from_str(line).unwrap())
            .collect()
    }
}

async fn read_schema_as(server: &TestServer, token: &str) -> Result<(), tonic::Status> {
    SchemaServiceClient::with_interceptor(server.channel().await, Bearer::key(token))
        .read_schema(wire::ReadSchemaRequest {})
        .await
        .map(drop)
}

async fn check_as(server: &TestServer, token: &str) -> Result<Permissionship, tonic::Status> {
    let response = server
        .permissions_as(Bearer::key(token))
        .await
        .check_permission(check_request(
            "document:1",
            "view",
            "user:alice",
            fully_consistent(),
        ))
        .await?;
    Ok(response.into_inner().permissionship())
}

async fn write_as(server: &TestServer, token: &str) -> Result<(), tonic::Status> {
    server
        .permissions_as(Bearer::key(token))
        .await
        .write_relationships(wire::WriteRelationshipsRequest {
            updates: vec![touch("document:1#viewer@user:alice")],
            ..Default::default()
        })
        .await
        .map(drop)
}

#[tokio::test]
async fn a_valid_token_authenticates_and_the_access_config_decides() {
    let setup = Setup::new();
    let server = setup.start().await;
    write_schema(&server, SCHEMA).await;
    let alice = setup.token("alice");
    assert_eq!(
        check_as(&server, &alice).await.unwrap(),
        Permissionship::NoPermission
    );
    // read_schema is granted: past authorization, there is a schema.
    read_schema_as(&server, &alice).await.unwrap();
    // A verified user the access config does not name may do nothing.
    let err = check_as(&server, &setup.token("mallory"))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::PermissionDenied, "{err:?}");
    assert!(err.message().contains("user:mallory"), "{}", err.message());
    // The preshared key is an admin only because the access config says so.
    write(&server, vec![touch("document:1#viewer@user:alice")]).await;
    assert_eq!(
        check_as(&server, &alice).await.unwrap(),
        Permissionship::HasPermission
    );
}

#[tokio::test]
async fn a_principal_allowed_to_check_but_not_write_is_denied_on_write() {
    let setup = Setup::new();
    let server = setup.start().await;
    write_schema(&server, SCHEMA).await;
    let alice = setup.token("alice");
    check_as(&server, &alice).await.unwrap();
    let err = write_as(&server, &alice).await.unwrap_err();
    assert_eq!(err.code(), Code::PermissionDenied);
    assert!(err.message().contains("user:alice"), "{}", err.message());
    assert!(
        err.message().contains("write_relationships"),
        "{}",
        err.message()
    );
    assert!(!err.message().contains(&alice), "the token is not echoed");
    // Someone allowed to write can.
    write_as(&server, &setup.token("writer")).await.unwrap();
    // Watch and schema writes are not granted to the writer either.
    let err = SchemaServiceClient::with_interceptor(
        server.channel().await,
        Bearer::key(&setup.token("writer")),
    )
    .write_schema(wire::WriteSchemaRequest {
        schema: SCHEMA.to_owned(),
    })
    .await
    .unwrap_err();
    assert_eq!(err.code(), Code::PermissionDenied);
    assert!(err.message().contains("write_schema"), "{}", err.message());
}

/// [`SCHEMA`] and a second object type, `folder`.
fn schema_with_folders() -> String {
    format!(
        "{SCHEMA}\ndefinition folder {{\n    relation viewer: user\n    permission view = viewer\n}}\n"
    )
}

fn bulk_item(resource: &str) -> wire::CheckBulkPermissionsRequestItem {
    wire::CheckBulkPermissionsRequestItem {
        resource: Some(object(resource)),
        permission: "view".to_owned(),
        subject: Some(subject("user:alice")),
        context: None,
    }
}

/// Asserts a type-scope denial naming the principal, the capability and the type.
fn assert_type_denied(err: &tonic::Status, principal: &str, capability: &str, object_type: &str) {
    assert_eq!(err.code(), Code::PermissionDenied, "{err:?}");
    for part in [principal, capability, object_type] {
        assert!(err.message().contains(part), "{part}: {}", err.message());
    }
}

#[tokio::test]
async fn a_check_grant_scoped_to_documents_checks_documents_and_not_folders() {
    let setup = Setup::new();
    let server = setup.start().await;
    write_schema(&server, &schema_with_folders()).await;
    write(
        &server,
        vec![
            touch("document:1#viewer@user:alice"),
            touch("folder:1#viewer@user:alice"),
        ],
    )
    .await;
    let mut checker = server
        .permissions_as(Bearer::key(&setup.token("doc-checker")))
        .await;
    let consistency = fully_consistent();
    let answer = checker
        .check_permission(check_request(
            "document:1",
            "view",
            "user:alice",
            consistency.clone(),
        ))
        .await
        .unwrap();
    assert_eq!(
        answer.into_inner().permissionship(),
        Permissionship::HasPermission
    );
    let err = checker
        .check_permission(check_request(
            "folder:1",
            "view",
            "user:alice",
            consistency.clone(),
        ))
        .await
        .unwrap_err();
    assert_type_denied(&err, "user:doc-checker", "`check`", "`folder`");

    // A bulk check is one request: a single item of another type denies all of it.
    let bulk = |resources: &[&str]| wire::CheckBulkPermissionsRequest {
        consistency: consistency.clone(),
        items: resources
            .iter()
            .map(|resource| bulk_item(resource))
            .collect(),
        with_tracing: false,
    };
    let err = checker
        .check_bulk_permissions(bulk(&["document:1", "folder:1"]))
        .await
        .unwrap_err();
    assert_type_denied(&err, "user:doc-checker", "`check`", "`folder`");
    let pairs = checker
        .check_bulk_permissions(bulk(&["document:1", "document:2"]))
        .await
        .unwrap()
        .into_inner()
        .pairs;
    assert_eq!(pairs.len(), 2);

    // Lookups are scoped by the type of their resources.
    let lookup = |object_type: &str| wire::LookupResourcesRequest {
        consistency: consistency.clone(),
        resource_object_type: object_type.to_owned(),
        permission: "view".to_owned(),
        subject: Some(subject("user:alice")),
        ..Default::default()
    };
    let found = collect(
        checker
            .lookup_resources(lookup("document"))
            .await
            .unwrap()
            .into_inner(),
    )
    .await
    .unwrap();
    assert_eq!(found.len(), 1);
    let err = checker
        .lookup_resources(lookup("folder"))
        .await
        .unwrap_err();
    assert_type_denied(&err, "user:doc-checker", "`check`", "`folder`");

    // The unscoped admin is unaffected.
    assert_eq!(
        check(&server, "folder:1", "view", "user:alice", consistency).await,
        Permissionship::HasPermission
    );

    let lines = setup.audit_lines();
    let denied = lines
        .iter()
        .find(|line| {
            line["principal"] == "user:doc-checker"
                && line["resource"] == "object_type:folder"
                && line["result"] == "denied"
        })
        .unwrap_or_else(|| panic!("no type denial in {lines:#?}"));
    assert_eq!(denied["event"], "authorization");
    assert_eq!(denied["permission"], "check");
    assert_eq!(denied["subject"], "principal:user/doc-checker");
}

#[tokio::test]
async fn a_write_grant_scoped_to_documents_cannot_write_folders() {
    let setup = Setup::new();
    let server = setup.start().await;
    write_schema(&server, &schema_with_folders()).await;
    let mut writer = server
        .permissions_as(Bearer::key(&setup.token("doc-writer")))
        .await;
    let err = writer
        .write_relationships(wire::WriteRelationshipsRequest {
            updates: vec![
                touch("document:1#viewer@user:alice"),
                touch("folder:1#viewer@user:alice"),
            ],
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_type_denied(&err, "user:doc-writer", "`write_relationships`", "`folder`");

    // Nothing of the denied write was written, as the admin reads it.
    let read = |resource_type: &str| wire::ReadRelationshipsRequest {
        consistency: fully_consistent(),
        relationship_filter: Some(wire::RelationshipFilter {
            resource_type: resource_type.to_owned(),
            ..Default::default()
        }),
        ..Default::default()
    };
    let mut admin = server.permissions().await;
    for resource_type in ["document", "folder"] {
        let found = all_of(admin.read_relationships(read(resource_type))).await;
        assert!(found.is_empty(), "{resource_type}: {found:?}");
    }

    // Documents are the writer's to write and read; folders are not even readable.
    writer
        .write_relationships(wire::WriteRelationshipsRequest {
            updates: vec![touch("document:1#viewer@user:alice")],
            ..Default::default()
        })
        .await
        .unwrap();
    let found = all_of(writer.read_relationships(read("document"))).await;
    assert_eq!(found.len(), 1);
    let err = writer.read_relationships(read("folder")).await.unwrap_err();
    assert_type_denied(&err, "user:doc-writer", "`read_relationships`", "`folder`");
    let err = writer
        .delete_relationships(wire::DeleteRelationshipsRequest {
            relationship_filter: Some(wire::RelationshipFilter {
                resource_type: "folder".to_owned(),
                ..Default::default()
            }),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_type_denied(&err, "user:doc-writer", "`write_relationships`", "`folder`");

    // A watch naming no type would follow every type: only an unscoped grant allows it.
    let mut watcher = WatchServiceClient::with_interceptor(
        server.channel().await,
        Bearer::key(&setup.token("doc-writer")),
    );
    let err = watcher
        .watch(wire::WatchRequest::default())
        .await
        .unwrap_err();
    assert_type_denied(&err, "user:doc-writer", "`watch`", "every object type");
    watcher
        .watch(wire::WatchRequest {
            optional_object_types: vec!["document".to_owned()],
            ..Default::default()
        })
        .await
        .unwrap();

    // The unscoped admin writes folders.
    write(&server, vec![touch("folder:1#viewer@user:alice")]).await;
    assert_eq!(
        all_of(admin.read_relationships(read("folder"))).await.len(),
        1
    );
}

#[tokio::test]
async fn tokens_that_do_not_verify_are_unauthenticated_and_never_denied() {
    let setup = Setup::new();
    let server = setup.start().await;
    let key = &setup.key;
    let other_key = signing_key("key-1", Algorithm::RS256);
    let unknown_kid = signing_key("key-unknown", Algorithm::RS256);
    let mut expired = claims("alice");
    expired["exp"] = json!(now() - 3600);
    expired["iat"] = json!(now() - 7200);
    let mut not_yet = claims("alice");
    not_yet["nbf"] = json!(now() + 3600);
    let mut wrong_issuer = claims("alice");
    wrong_issuer["iss"] = json!("https://evil.example.com/");
    let mut wrong_audience = claims("alice");
    wrong_audience["aud"] = json!("another-service");
    // HS256 "signed" with the RSA public key: the classic algorithm confusion.
    let confused = jsonwebtoken::encode(
        &Header {
            kid: Some(key.kid.clone()),
            ..Header::new(Algorithm::HS256)
        },
        &claims("alice"),
        &EncodingKey::from_secret(key.public_pem.as_bytes()),
    )
    .unwrap();
    let cases = [
        ("expired", sign(key, &expired)),
        ("not yet valid", sign(key, &not_yet)),
        ("wrong issuer", sign(key, &wrong_issuer)),
        ("wrong audience", sign(key, &wrong_audience)),
        ("bad signature", sign(&other_key, &claims("alice"))),
        ("unknown kid", sign(&unknown_kid, &claims("alice"))),
        (
            "alg none",
            forged(&json!({"alg": "none", "typ": "JWT"}), &claims("alice"), ""),
        ),
        ("HS/RS confusion", confused),
        (
            "tampered payload",
            forged(
                &json!({"alg": "RS256", "kid": key.kid}),
                &claims("alice"),
                "c2lnbmF0dXJl",
            ),
        ),
    ];
    for (case, token) in &cases {
        let err = check_as(&server, token).await.unwrap_err();
        assert_eq!(err.code(), Code::Unauthenticated, "{case}: {err:?}");
        assert!(!err.message().contains(token.as_str()), "{case}");
    }
    // One message for every rejected token: nothing to tune the next attempt with. (A
    // token of another issuer is not recognised at all, which says no more.)
    let mut messages = std::collections::BTreeSet::new();
    for (case, token) in &cases {
        if *case != "wrong issuer" {
            messages.insert(
                check_as(&server, token)
                    .await
                    .unwrap_err()
                    .message()
                    .to_owned(),
            );
        }
    }
    assert_eq!(messages.len(), 1, "{messages:?}");
    // The valid token gets past authentication (to the missing schema).
    let err = check_as(&server, &setup.token("alice")).await.unwrap_err();
    assert_eq!(err.code(), Code::FailedPrecondition, "{err:?}");
}

#[tokio::test]
async fn keys_rotate_through_the_jwks_file() {
    let setup = Setup::new();
    let server = setup.start().await;
    write_schema(&server, SCHEMA).await;
    let old_token = setup.token("alice");
    check_as(&server, &old_token).await.unwrap();

    let new_key = signing_key("key-2", Algorithm::ES256);
    let new_token = sign(&new_key, &claims("alice"));
    let err = check_as(&server, &new_token).await.unwrap_err();
    assert_eq!(err.code(), Code::Unauthenticated, "not published yet");

    // The issuer publishes the new key next to the old one: an unknown kid refetches.
    write_jwks(&setup.path("jwks.json"), &[&setup.key, &new_key]);
    check_as(&server, &new_token).await.unwrap();
    check_as(&server, &old_token).await.unwrap();

    // The old key is retired: its tokens stop working once the set is fetched again.
    write_jwks(&setup.path("jwks.json"), &[&new_key]);
    let unknown = sign(&signing_key("key-3", Algorithm::RS256), &claims("alice"));
    assert_eq!(
        check_as(&server, &unknown).await.unwrap_err().code(),
        Code::Unauthenticated
    );
    assert_eq!(
        check_as(&server, &old_token).await.unwrap_err().code(),
        Code::Unauthenticated
    );
    check_as(&server, &new_token).await.unwrap();
}

#[tokio::test]
async fn audit_lines_record_decisions_and_checks_without_secrets() {
    let setup = Setup::new();
    let server = setup.start().await;
    let alice = setup.token("alice");
    let response = server
        .schema()
        .await
        .write_schema(wire::WriteSchemaRequest {
            schema: SCHEMA.to_owned(),
        })
        .await
        .unwrap();
    let request_id = response
        .metadata()
        .get("x-request-id")
        .unwrap()
        .to_str()
        .unwrap()
        .to_owned();
    write(&server, vec![touch("document:1#viewer@user:alice")]).await;
    check_as(&server, &alice).await.unwrap();
    write_as(&server, &alice).await.unwrap_err();
    check_as(&server, "not-a-key").await.unwrap_err();
    let mut expired = claims("alice");
    expired["exp"] = json!(now() - 3600);
    let expired = sign(&setup.key, &expired);
    check_as(&server, &expired).await.unwrap_err();

    let text = std::fs::read_to_string(setup.path("audit.jsonl")).unwrap();
    for secret in [KEY, alice.as_str(), expired.as_str(), "not-a-key"] {
        assert!(!text.contains(secret), "a credential reached the audit log");
    }
    let lines = setup.audit_lines();
    let find = |event: &str, rpc: &str, result: &str| {
        lines
            .iter()
            .find(|line| {
                line["event"] == event
                    && line["rpc"].as_str().is_some_and(|r| r.ends_with(rpc))
                    && line["result"] == result
            })
            .unwrap_or_else(|| panic!("no {event} {rpc} {result} in {lines:#?}"))
    };
    let schema_write = find("authorization", "/WriteSchema", "allowed");
    assert_eq!(schema_write["request_id"], request_id.as_str());
    assert_eq!(schema_write["principal"], "service:preshared-key-1");
    assert_eq!(schema_write["permission"], "write_schema");
    assert_eq!(schema_write["subject"], "principal:service/preshared-key-1");
    assert_eq!(schema_write["resource"], "api:tessera");
    assert!(schema_write["time"].as_str().unwrap().ends_with('Z'));
    assert!(schema_write["latency_us"].is_u64());

    let denied = find("authorization", "/WriteRelationships", "denied");
    assert_eq!(denied["principal"], "user:alice");
    assert_eq!(denied["issuer"], ISSUER);
    assert_eq!(denied["permission"], "write_relationships");

    let check = find("check", "/CheckPermission", "has_permission");
    assert_eq!(check["principal"], "user:alice");
    assert_eq!(check["subject"], "user:alice");
    assert_eq!(check["resource"], "document:1");
    assert_eq!(check["permission"], "view");
    assert!(check["revision"].as_u64().unwrap() >= 2, "{check}");
    assert!(check["request_id"].is_string());

    let unauthenticated: Vec<_> = lines
        .iter()
        .filter(|line| line["result"] == "unauthenticated")
        .collect();
    assert_eq!(unauthenticated.len(), 2, "{unauthenticated:#?}");
    assert!(
        unauthenticated
            .iter()
            .all(|line| line["principal"].is_null())
    );
    assert!(
        unauthenticated
            .iter()
            .any(|line| line["reason"] == "token expired"),
        "{unauthenticated:#?}"
    );
}

#[tokio::test]
async fn check_answers_are_sampled_but_decisions_are_not() {
    let setup = Setup::new();
    let mut args = setup.args();
    args.audit_checks_sample = Some(0.0);
    let server = TestServer::start_with(Arc::new(MemStore::new()), config_from(&args)).await;
    write_schema(&server, SCHEMA).await;
    for _ in 0..3 {
        check_as(&server, &setup.token("alice")).await.unwrap();
    }
    let lines = setup.audit_lines();
    assert!(lines.iter().all(|line| line["event"] == "authorization"));
    let checks = lines
        .iter()
        .filter(|line| line["permission"] == "check")
        .count();
    assert_eq!(checks, 3);
}

#[tokio::test]
async fn preshared_keys_reload_from_their_file() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("keys.yaml");
    let write_keys = |keys: &[(&str, &str)]| {
        let mut text = "keys:\n".to_owned();
        for (name, key) in keys {
            text.push_str(&format!("  {name}: \"{}\"\n", PresharedKeys::digest(key)));
        }
        std::fs::write(&file, text).unwrap();
    };
    write_keys(&[("ops", "first-key-0123456789")]);
    let args = AuthArgs {
        preshared_key_file: Some(file.clone()),
        ..AuthArgs::default()
    };
    let config = config_from(&args);
    let keys = config.reloadable_keys.clone().unwrap();
    let server = TestServer::start_with(Arc::new(MemStore::new()), config).await;
    // Without an access config the key file's principals are admins.
    let err = read_schema_as(&server, "first-key-0123456789")
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::NotFound, "past auth: {err:?}");

    // What SIGHUP does: the file is read again and swapped in.
    write_keys(&[("ops", "second-key-0123456789")]);
    assert_eq!(keys.reload().unwrap(), 1);
    let err = read_schema_as(&server, "first-key-0123456789")
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::Unauthenticated);
    let err = read_schema_as(&server, "second-key-0123456789")
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::NotFound);
    // A broken file keeps the keys in force.
    std::fs::write(&file, "keys: [").unwrap();
    assert!(keys.reload().is_err());
    let err = read_schema_as(&server, "second-key-0123456789")
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::NotFound);
}

fn for_token(token: &str) -> ext::CheckPermissionForTokenRequest {
    ext::CheckPermissionForTokenRequest {
        consistency: fully_consistent(),
        resource: Some(object("document:1")),
        permission: "view".to_owned(),
        end_user_token: token.to_owned(),
        context: None,
    }
}

#[tokio::test]
async fn check_permission_for_token_checks_the_verified_subject() {
    let setup = Setup::new();
    let mut args = setup.args();
    args.subject_template = vec!["user=user:{sub}".to_owned()];
    let server = TestServer::start_with(Arc::new(MemStore::new()), config_from(&args)).await;
    write_schema(&server, SCHEMA).await;
    write(&server, vec![touch("document:1#viewer@user:alice")]).await;
    // The application authenticates with its own key; the end user's token is an argument.
    let mut client =
        IdentityServiceClient::with_interceptor(server.channel().await, Bearer::key(KEY));

    let response = client
        .check_permission_for_token(for_token(&setup.token("alice")))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        response.permissionship,
        Permissionship::HasPermission as i32
    );
    assert_eq!(response.subject, Some(subject("user:alice")));
    assert!(response.checked_at.is_some());

    let response = client
        .check_permission_for_token(for_token(&setup.token("bob")))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(response.permissionship, Permissionship::NoPermission as i32);
    assert_eq!(response.subject, Some(subject("user:bob")));

    let mut expired = claims("alice");
    expired["exp"] = json!(now() - 3600);
    let wrong_audience = {
        let mut claims = claims("alice");
        claims["aud"] = json!("another-service");
        sign(&setup.key, &claims)
    };
    for (case, token) in [
        ("expired", sign(&setup.key, &expired)),
        ("wrong audience", wrong_audience),
        ("garbage", "not-a-token".to_owned()),
        ("a preshared key is no end user", KEY.to_owned()),
        ("empty", String::new()),
    ] {
        let err = client
            .check_permission_for_token(for_token(&token))
            .await
            .unwrap_err();
        // The caller is fine; its argument is not: never UNAUTHENTICATED.
        assert_eq!(err.code(), Code::InvalidArgument, "{case}: {err:?}");
        assert!(err.message().contains("end_user_token"), "{case}");
        if !token.is_empty() {
            assert!(!err.message().contains(&token), "{case}");
        }
    }

    // The caller itself needs the check capability.
    let mut denied = IdentityServiceClient::with_interceptor(
        server.channel().await,
        Bearer::key(&setup.token("mallory")),
    );
    let err = denied
        .check_permission_for_token(for_token(&setup.token("alice")))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::PermissionDenied);
    let mut anonymous =
        IdentityServiceClient::with_interceptor(server.channel().await, Bearer(None));
    let err = anonymous
        .check_permission_for_token(for_token(&setup.token("alice")))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::Unauthenticated);
}

#[tokio::test]
async fn end_user_tokens_need_a_jwt_configuration() {
    let server = TestServer::start().await;
    let mut client =
        IdentityServiceClient::with_interceptor(server.channel().await, Bearer::key(KEY));
    let err = client
        .check_permission_for_token(for_token("anything"))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::FailedPrecondition);
    assert!(err.message().contains("--jwt-issuer"), "{}", err.message());
}
