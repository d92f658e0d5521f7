//! `tessera serve`'s identity, access and audit flags (also readable from `--config FILE`),
//! and what they build: the authenticator chain, the API access policy, the end-user token
//! check and the decision audit log.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::Deserialize;
use tessera_api::{AccessPolicy, AuditLog, Authentication, EndUsers, Grant};
use tessera_identity::{
    Authenticator, AuthenticatorChain, JwksSource, JwtConfig, JwtVerifier, MtlsAuthenticator,
    MtlsConfig, PresharedKeys, PrincipalKind, SubjectMapping, SubjectTemplate,
};

use crate::config::parse_duration;
use crate::error::ServerError;

/// Parses a sampling rate between 0 and 1.
fn parse_rate(text: &str) -> Result<f64, String> {
    match text.parse::<f64>() {
        Ok(rate) if (0.0..=1.0).contains(&rate) => Ok(rate),
        _ => Err(format!("invalid rate `{text}`: use a number from 0 to 1")),
    }
}

/// Who may call, what they may do, and what is recorded.
#[derive(Clone, Debug, Default, clap::Args, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct AuthArgs {
    /// A YAML file with any of the flags of this section as keys (e.g. `jwt-issuer: …`,
    /// `jwt-audience: [tessera]`); a flag given on the command line wins.
    #[arg(long, value_name = "FILE")]
    #[serde(skip)]
    pub config: Option<PathBuf>,
    /// A YAML key file, `keys: {<principal>: "sha256:<hex digest of the key>"}`, reread on
    /// SIGHUP; each key authenticates the service principal it is listed under.
    #[arg(long, value_name = "FILE")]
    pub preshared_key_file: Option<PathBuf>,
    /// Accept JWT bearer tokens (OIDC) whose `iss` is this issuer; needs --jwt-audience and
    /// --jwt-jwks. A verified token's `sub` is a user principal.
    #[arg(long, value_name = "ISSUER")]
    pub jwt_issuer: Option<String>,
    /// An audience (`aud`) a token must name to be accepted here; repeatable.
    #[arg(long, value_name = "AUDIENCE")]
    #[serde(default)]
    pub jwt_audience: Vec<String>,
    /// The issuer's signing keys: a JWKS file, or an `https://` JWKS URL (refreshed every
    /// 5 minutes, and once when a token names an unknown key).
    #[arg(long, value_name = "FILE|URL")]
    pub jwt_jwks: Option<String>,
    /// The shortest time between two JWKS fetches caused by tokens naming unknown keys
    /// (rotation), e.g. `30s` (the default).
    #[arg(long, value_name = "DURATION")]
    pub jwt_jwks_min_refresh: Option<String>,
    /// PEM CA certificates for the JWKS URL's TLS (default: the web PKI roots).
    #[arg(long, value_name = "FILE")]
    pub jwt_jwks_ca: Option<PathBuf>,
    /// Require TLS clients to present a certificate signed by this PEM CA (mTLS); the
    /// SPIFFE ID in its URI SAN becomes a workload principal. Needs --tls-cert and
    /// --spiffe-trust-domain.
    #[arg(long, value_name = "FILE")]
    pub tls_client_ca: Option<PathBuf>,
    /// With --tls-client-ca: also accept TLS clients without a certificate (they then
    /// authenticate with a bearer token).
    #[arg(long)]
    #[serde(default)]
    pub tls_client_cert_optional: bool,
    /// A SPIFFE trust domain whose workloads mTLS accepts, e.g. `example.org`; repeatable.
    #[arg(long, value_name = "DOMAIN")]
    #[serde(default)]
    pub spiffe_trust_domain: Vec<String>,
    /// How a principal becomes a subject for `tessera.v1.IdentityService`, as
    /// `KIND=TEMPLATE`, e.g. `user=user:{sub}` or `workload=workload:{path}`; repeatable.
    /// Default: `user:{id}`, `workload:{path}`, `service:{id}`.
    #[arg(long, value_name = "KIND=TEMPLATE")]
    #[serde(default)]
    pub subject_template: Vec<String>,
    /// A YAML file granting API capabilities to principals (see the README). Without it,
    /// the preshared keys are admins and no other principal may call the API.
    #[arg(long, value_name = "FILE")]
    pub access_config: Option<PathBuf>,
    /// Write the decision audit log (JSON lines) to this file, or `-` for stderr.
    #[arg(long, value_name = "PATH")]
    pub audit_log: Option<PathBuf>,
    /// The share of check answers the audit log records, from 0 to 1 (default 1);
    /// authorization decisions are always recorded.
    #[arg(long, value_name = "RATE", value_parser = parse_rate)]
    pub audit_checks_sample: Option<f64>,
}

/// An access configuration file.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct AccessFile {
    grants: Vec<GrantEntry>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct GrantEntry {
    principals: Vec<String>,
    capabilities: Vec<String>,
    /// The object types the capabilities are limited to; absent for every type.
    #[serde(default)]
    object_types: Vec<String>,
}

/// What [`AuthArgs`] build.
#[derive(Clone, Debug)]
pub struct AuthSetup {
    /// The authenticator chain.
    pub authentication: Authentication,
    /// The API access policy.
    pub access: AccessPolicy,
    /// The decision audit log.
    pub audit: AuditLog,
    /// End-user token checks.
    pub end_users: EndUsers,
    /// The key file's keys, reloaded on SIGHUP.
    pub reloadable_keys: Option<PresharedKeys>,
    /// The PEM CA client certificates must chain to, and whether they are optional.
    pub client_ca: Option<(Vec<u8>, bool)>,
}

fn read_text(path: &Path) -> Result<String, ServerError> {
    std::fs::read_to_string(path).map_err(|source| ServerError::ReadFile {
        path: path.display().to_string(),
        source,
    })
}

fn config_error(path: &Path, err: impl std::fmt::Display) -> ServerError {
    ServerError::Config(format!("`{}`: {err}", path.display()))
}

impl AuthArgs {
    /// These flags with the ones the `--config` file sets and the command line does not.
    ///
    /// # Errors
    /// An unreadable or invalid configuration file.
    pub fn merged(&self) -> Result<Self, ServerError> {
        let Some(path) = &self.config else {
            return Ok(self.clone());
        };
        let file: Self =
            serde_yaml_ng::from_str(&read_text(path)?).map_err(|err| config_error(path, err))?;
        let list = |flag: &Vec<String>, file: Vec<String>| {
            if flag.is_empty() { file } else { flag.clone() }
        };
        Ok(Self {
            config: self.config.clone(),
            preshared_key_file: self.preshared_key_file.clone().or(file.preshared_key_file),
            jwt_issuer: self.jwt_issuer.clone().or(file.jwt_issuer),
            jwt_audience: list(&self.jwt_audience, file.jwt_audience),
            jwt_jwks: self.jwt_jwks.clone().or(file.jwt_jwks),
            jwt_jwks_min_refresh: self
                .jwt_jwks_min_refresh
                .clone()
                .or(file.jwt_jwks_min_refresh),
            jwt_jwks_ca: self.jwt_jwks_ca.clone().or(file.jwt_jwks_ca),
            tls_client_ca: self.tls_client_ca.clone().or(file.tls_client_ca),
            tls_client_cert_optional: self.tls_client_cert_optional
                || file.tls_client_cert_optional,
            spiffe_trust_domain: list(&self.spiffe_trust_domain, file.spiffe_trust_domain),
            subject_template: list(&self.subject_template, file.subject_template),
            access_config: self.access_config.clone().or(file.access_config),
            audit_log: self.audit_log.clone().or(file.audit_log),
            audit_checks_sample: self.audit_checks_sample.or(file.audit_checks_sample),
        })
    }

    /// Builds authentication, access, audit and end-user checks from these flags (merge
    /// the config file first) and the `--preshared-key` keys.
    ///
    /// # Errors
    /// Contradictory or incomplete flags, unreadable files, invalid keys or templates.
    pub fn build(&self, keys: &[String], insecure: bool) -> Result<AuthSetup, ServerError> {
        let audit = match &self.audit_log {
            Some(path) => AuditLog::open(path, self.audit_checks_sample.unwrap_or(1.0))?,
            None => AuditLog::disabled(),
        };
        let jwt = self.jwt()?;
        let end_users = match &jwt {
            Some(verifier) => EndUsers::new(
                AuthenticatorChain::new(vec![Arc::clone(verifier) as Arc<dyn Authenticator>]),
                self.subject_mapping()?,
            ),
            None => EndUsers::disabled(),
        };
        let mtls = self.mtls()?;
        let key_file = self
            .preshared_key_file
            .as_ref()
            .map(PresharedKeys::from_file)
            .transpose()?;
        let any_credential =
            !keys.is_empty() || key_file.is_some() || jwt.is_some() || mtls.is_some();
        if insecure {
            if any_credential {
                return Err(ServerError::Config(
                    "--insecure-no-auth contradicts the credentials configured".to_owned(),
                ));
            }
            return Ok(AuthSetup {
                authentication: Authentication::disabled(),
                access: AccessPolicy::deny_all(),
                audit,
                end_users,
                reloadable_keys: None,
                client_ca: None,
            });
        }
        if !any_credential {
            return Err(ServerError::Config(
                "no credential is configured: give --preshared-key (or TESSERA_PRESHARED_KEY), \
                 --preshared-key-file, --jwt-issuer or --tls-client-ca, or --insecure-no-auth \
                 to serve without authentication"
                    .to_owned(),
            ));
        }

        let mut chain: Vec<Arc<dyn Authenticator>> = Vec::new();
        let mut admins = Vec::new();
        if !keys.is_empty() {
            let named: Vec<(String, String)> = keys
                .iter()
                .enumerate()
                .map(|(index, key)| {
                    (
                        format!("preshared-key-{}", index + 1),
                        key.trim().to_owned(),
                    )
                })
                .collect();
            admins.extend(named.iter().map(|(name, _)| name.clone()));
            chain.push(Arc::new(PresharedKeys::new(named)?));
        }
        if let Some(file_keys) = &key_file {
            admins.extend(file_keys.names());
            chain.push(Arc::new(file_keys.clone()));
        }
        if let Some(verifier) = jwt {
            chain.push(verifier);
        }
        if let Some(mtls) = mtls {
            chain.push(Arc::new(mtls));
        }
        let access = match &self.access_config {
            Some(path) => access_policy(path)?,
            None => AccessPolicy::service_admins(admins.iter().map(String::as_str))?,
        };
        let client_ca = self
            .tls_client_ca
            .as_ref()
            .map(|path| {
                std::fs::read(path).map_err(|source| ServerError::ReadFile {
                    path: path.display().to_string(),
                    source,
                })
            })
            .transpose()?
            .map(|pem| (pem, self.tls_client_cert_optional));
        Ok(AuthSetup {
            authentication: Authentication::new(AuthenticatorChain::new(chain)),
            access,
            audit,
            end_users,
            reloadable_keys: key_file,
            client_ca,
        })
    }

    fn jwt(&self) -> Result<Option<Arc<JwtVerifier>>, ServerError> {
        let Some(issuer) = &self.jwt_issuer else {
            if !self.jwt_audience.is_empty() || self.jwt_jwks.is_some() {
                return Err(ServerError::Config(
                    "--jwt-audience and --jwt-jwks need --jwt-issuer".to_owned(),
                ));
            }
            return Ok(None);
        };
        let Some(jwks) = &self.jwt_jwks else {
            return Err(ServerError::Config(
                "--jwt-issuer needs --jwt-jwks (a JWKS file or https:// URL)".to_owned(),
            ));
        };
        if self.jwt_audience.is_empty() {
            return Err(ServerError::Config(
                "--jwt-issuer needs --jwt-audience: a token minted for another service must \
                 not authenticate here"
                    .to_owned(),
            ));
        }
        let keys = if jwks.contains("://") {
            JwksSource::Url {
                url: jwks.clone(),
                ca_file: self.jwt_jwks_ca.clone(),
            }
        } else {
            JwksSource::File(PathBuf::from(jwks))
        };
        let mut config = JwtConfig::new(issuer.clone(), self.jwt_audience.clone(), keys);
        if let Some(interval) = &self.jwt_jwks_min_refresh {
            config.min_refresh_interval = parse_duration(interval)
                .map_err(|err| ServerError::Config(format!("--jwt-jwks-min-refresh: {err}")))?;
        }
        Ok(Some(Arc::new(JwtVerifier::new(config)?)))
    }

    fn mtls(&self) -> Result<Option<MtlsAuthenticator>, ServerError> {
        if self.tls_client_ca.is_none() {
            if !self.spiffe_trust_domain.is_empty() {
                return Err(ServerError::Config(
                    "--spiffe-trust-domain needs --tls-client-ca".to_owned(),
                ));
            }
            return Ok(None);
        }
        if self.spiffe_trust_domain.is_empty() {
            return Err(ServerError::Config(
                "--tls-client-ca needs --spiffe-trust-domain: name the trust domains whose \
                 workloads may connect"
                    .to_owned(),
            ));
        }
        Ok(Some(MtlsAuthenticator::new(MtlsConfig {
            trust_domains: self.spiffe_trust_domain.clone(),
            common_name_fallback: false,
        })?))
    }

    fn subject_mapping(&self) -> Result<SubjectMapping, ServerError> {
        let mut mapping = SubjectMapping::default();
        for entry in &self.subject_template {
            let invalid = || {
                ServerError::Config(format!(
                    "--subject-template `{entry}`: expected `KIND=TEMPLATE` with KIND one of \
                     user, workload, service"
                ))
            };
            let (kind, template) = entry.split_once('=').ok_or_else(invalid)?;
            let kind = match kind {
                "user" => PrincipalKind::User,
                "workload" => PrincipalKind::Workload,
                "service" => PrincipalKind::Service,
                _ => return Err(invalid()),
            };
            mapping = mapping.with(kind, template.parse::<SubjectTemplate>()?);
        }
        Ok(mapping)
    }
}

/// The policy an access configuration file describes.
fn access_policy(path: &Path) -> Result<AccessPolicy, ServerError> {
    let file: AccessFile =
        serde_yaml_ng::from_str(&read_text(path)?).map_err(|err| config_error(path, err))?;
    let mut grants = Vec::new();
    for entry in file.grants {
        grants.push(Grant {
            grantees: entry
                .principals
                .iter()
                .map(|principal| principal.parse())
                .collect::<Result<_, _>>()
                .map_err(|err| config_error(path, err))?,
            granted: entry
                .capabilities
                .iter()
                .map(|capability| capability.parse())
                .collect::<Result<_, _>>()
                .map_err(|err| config_error(path, err))?,
            object_types: entry.object_types,
        });
    }
    AccessPolicy::new(&grants).map_err(|err| config_error(path, err))
}

/// Reloads the key file's keys on every SIGHUP, for as long as the server runs.
pub(crate) fn reload_on_hangup(keys: PresharedKeys) {
    #[cfg(unix)]
    tokio::spawn(async move {
        let mut hangups =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup()) {
                Ok(hangups) => hangups,
                Err(err) => {
                    tracing::warn!(error = %err, "cannot listen for SIGHUP; keys will not reload");
                    return;
                }
            };
        while hangups.recv().await.is_some() {
            let keys = keys.clone();
            match tokio::task::spawn_blocking(move || keys.reload()).await {
                Ok(Ok(_)) => {}
                Ok(Err(err)) => tracing::warn!(error = %err, "keeping the previous keys"),
                Err(err) => tracing::warn!(error = %err, "the key reload failed"),
            }
        }
    });
    #[cfg(not(unix))]
    drop(keys);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rates_are_between_zero_and_one() {
        assert_eq!(parse_rate("0.25"), Ok(0.25));
        for bad in ["-0.1", "1.5", "half", "NaN"] {
            assert!(parse_rate(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn jwt_flags_come_together() {
        let only_issuer = AuthArgs {
            jwt_issuer: Some("https://issuer.example".to_owned()),
            ..AuthArgs::default()
        };
        assert!(only_issuer.build(&[], false).is_err());
        let only_audience = AuthArgs {
            jwt_audience: vec!["tessera".to_owned()],
            ..AuthArgs::default()
        };
        assert!(only_audience.build(&["k".to_owned()], false).is_err());
    }

    #[test]
    fn mtls_needs_trust_domains_and_no_credential_means_no_start() {
        let no_domain = AuthArgs {
            tls_client_ca: Some(PathBuf::from("ca.pem")),
            ..AuthArgs::default()
        };
        assert!(no_domain.build(&[], false).is_err());
        assert!(AuthArgs::default().build(&[], false).is_err());
        assert!(AuthArgs::default().build(&["k".to_owned()], true).is_err());
        assert!(AuthArgs::default().build(&[], true).is_ok());
    }

    #[test]
    fn the_config_file_fills_what_the_flags_leave_out() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("tessera.yaml");
        std::fs::write(
            &path,
            "jwt-issuer: https://issuer.example\njwt-audience: [tessera]\naudit-checks-sample: 0.5\n",
        )
        .unwrap();
        let args = AuthArgs {
            config: Some(path),
            jwt_audience: vec!["flag".to_owned()],
            ..AuthArgs::default()
        };
        let merged = args.merged().unwrap();
        assert_eq!(merged.jwt_issuer.as_deref(), Some("https://issuer.example"));
        assert_eq!(merged.jwt_audience, ["flag"]);
        assert_eq!(merged.audit_checks_sample, Some(0.5));
        let bad = dir.path().join("bad.yaml");
        std::fs::write(&bad, "jwt-issuers: typo\n").unwrap();
        let args = AuthArgs {
            config: Some(bad),
            ..AuthArgs::default()
        };
        assert!(args.merged().is_err());
    }

    #[test]
    fn access_files_name_principals_and_capabilities() {
        let dir = tempfile::tempdir().unwrap();
        let good = dir.path().join("access.yaml");
        std::fs::write(
            &good,
            "grants:\n  - principals: [\"user:alice\", \"*\"]\n    capabilities: [check]\n",
        )
        .unwrap();
        assert!(access_policy(&good).is_ok());
        let bad = dir.path().join("bad.yaml");
        std::fs::write(
            &bad,
            "grants:\n  - principals: [alice]\n    capabilities: [check]\n",
        )
        .unwrap();
        let err = access_policy(&bad).unwrap_err().to_string();
        assert!(err.contains("alice"), "{err}");
    }

    #[test]
    fn access_files_may_scope_a_grant_to_object_types() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("access.yaml");
        std::fs::write(
            &path,
            "grants:\n  - principals: [\"user:alice\"]\n    capabilities: [check]\n    \
             object_types: [document, folder]\n  - principals: [\"service:ci\"]\n    \
             capabilities: [admin]\n",
        )
        .unwrap();
        let policy = access_policy(&path).unwrap();
        let alice = tessera_identity::Principal {
            id: "alice".to_owned(),
            kind: PrincipalKind::User,
            issuer: "test".to_owned(),
            tenant: None,
            claims: tessera_identity::Claims::new(),
        };
        let decision = policy.decide(&alice, tessera_api::Capability::Check);
        assert!(decision.allowed && decision.scoped, "{decision:?}");
        assert!(policy.decide_on_type(&alice, tessera_api::Capability::Check, "folder"));
        assert!(!policy.decide_on_type(&alice, tessera_api::Capability::Check, "team"));

        std::fs::write(
            &path,
            "grants:\n  - principals: [\"user:alice\"]\n    capabilities: [write_schema]\n    \
             object_types: [document]\n",
        )
        .unwrap();
        let err = access_policy(&path).unwrap_err().to_string();
        assert!(
            err.contains("`write_schema` cannot be scoped to object types"),
            "{err}"
        );
        std::fs::write(
            &path,
            "grants:\n  - principals: [\"user:alice\"]\n    capabilities: [check]\n    \
             object_type: [document]\n",
        )
        .unwrap();
        let err = access_policy(&path).unwrap_err().to_string();
        assert!(err.contains("object_type"), "{err}");
    }
}
