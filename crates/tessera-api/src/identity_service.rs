//! `tessera.v1.IdentityService`: permission checks for the bearer of an end-user token.
//!
//! The application passes the token as it received it; the identity layer verifies it and
//! the configured [`SubjectMapping`] names the subject. The application never builds the
//! subject from claims it could not verify itself.

use std::fmt;
use std::sync::Arc;
use std::time::Instant;

use tessera_identity::{AuthenticatorChain, Credentials, SubjectMapping};
use tessera_proto::authzed::api::v1 as wire;
use tessera_proto::tessera::v1 as ext;
use tessera_proto::tessera::v1::identity_service_server::{IdentityService, IdentityServiceServer};
use tonic::{Request, Response, Status};

use crate::convert::ToWire;
use crate::error::ApiError;
use crate::scope::{AllowedScope, object_type};
use crate::service::ApiService;

/// How end-user tokens become subjects: the authenticators that verify them (JWT only: a
/// preshared key is not an end user) and the mapping from principal to subject.
#[derive(Clone)]
pub struct EndUsers {
    verifier: Option<Arc<AuthenticatorChain>>,
    mapping: SubjectMapping,
}

impl EndUsers {
    /// Tokens verified by `verifier`, mapped by `mapping`.
    pub fn new(verifier: AuthenticatorChain, mapping: SubjectMapping) -> Self {
        Self {
            verifier: Some(Arc::new(verifier)),
            mapping,
        }
    }

    /// No end-user tokens: `CheckPermissionForToken` answers `FAILED_PRECONDITION`.
    pub fn disabled() -> Self {
        Self {
            verifier: None,
            mapping: SubjectMapping::default(),
        }
    }

    /// The subject the token proves.
    fn subject(&self, token: &str) -> Result<tessera_types::SubjectRef, ApiError> {
        let verifier = self
            .verifier
            .as_ref()
            .ok_or(ApiError::EndUserTokensDisabled)?;
        if token.is_empty() {
            return Err(ApiError::EndUserToken(
                tessera_identity::IdentityError::Missing,
            ));
        }
        let principal = verifier
            .verify(&Credentials::bearer(token))
            .map_err(|err| {
                if let Some(rejection) = err.rejection() {
                    tracing::debug!(reason = %rejection, "end-user token rejected");
                }
                ApiError::EndUserToken(err)
            })?;
        self.mapping
            .subject(&principal)
            .map_err(ApiError::EndUserToken)
    }
}

impl fmt::Debug for EndUsers {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EndUsers")
            .field("enabled", &self.verifier.is_some())
            .field("mapping", &self.mapping)
            .finish()
    }
}

/// The implementation of `tessera.v1.IdentityService`.
#[derive(Clone, Debug)]
pub struct IdentityChecks {
    api: ApiService,
    end_users: EndUsers,
}

impl IdentityChecks {
    pub(crate) fn server(api: ApiService, end_users: EndUsers) -> IdentityServiceServer<Self> {
        IdentityServiceServer::new(Self { api, end_users })
    }
}

#[tonic::async_trait]
impl IdentityService for IdentityChecks {
    async fn check_permission_for_token(
        &self,
        request: Request<ext::CheckPermissionForTokenRequest>,
    ) -> Result<Response<ext::CheckPermissionForTokenResponse>, Status> {
        let started = Instant::now();
        let caller = self.api.caller(
            &request,
            "tessera.v1.IdentityService/CheckPermissionForToken",
        );
        AllowedScope::of(&request).authorize([object_type(request.get_ref().resource.as_ref())])?;
        let ext::CheckPermissionForTokenRequest {
            consistency,
            resource,
            permission,
            end_user_token,
            context,
        } = request.into_inner();
        let subject: wire::SubjectReference = self.end_users.subject(&end_user_token)?.to_wire();
        let check = wire::CheckPermissionRequest {
            consistency,
            resource,
            permission,
            subject: Some(subject.clone()),
            context,
            with_tracing: false,
        };
        let response = self.api.audited_check(caller, check, started).await?;
        let wire::CheckPermissionResponse {
            checked_at,
            permissionship,
            partial_caveat_info,
            debug_trace: _,
            optional_expires_at: _,
        } = response;
        Ok(Response::new(ext::CheckPermissionForTokenResponse {
            checked_at,
            permissionship,
            partial_caveat_info,
            subject: Some(subject),
        }))
    }
}
