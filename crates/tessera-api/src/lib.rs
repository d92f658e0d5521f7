//! Tessera's gRPC API: SpiceDB's `authzed.api.v1` services over a
//! [`tessera_store::Datastore`] and the [`tessera_eval`] evaluator, so SpiceDB's official
//! clients work unchanged.
//!
//! This crate owns the wire boundary: conversion and validation of every message with
//! SpiceDB's rules and limits ([`ApiConfig`]), the one mapping of failures to gRPC statuses
//! with `google.rpc.ErrorInfo` details ([`ApiError`]), ZedTokens and cursors ([`ZedToken`]),
//! consistency resolution (every request reads at one revision, chosen before the
//! evaluator runs), compiled schemas per schema revision, and the authentication
//! interceptor ([`Authentication`]). It does not listen on sockets, install a tracing
//! subscriber or pick a storage backend: that is the server's job.
//!
//! ```
//! use std::sync::Arc;
//! use tessera_api::{Api, ApiConfig, Authentication};
//! use tessera_identity::{AuthenticatorChain, PresharedKeys};
//!
//! let store = Arc::new(tessera_store::MemStore::new());
//! let api = Api::new(store, ApiConfig::default())?;
//! let keys = PresharedKeys::new([("ci".to_owned(), "a-long-secret".to_owned())]).unwrap();
//! let auth = Authentication::new(AuthenticatorChain::new(vec![Arc::new(keys)]));
//!
//! // Each service, behind the authentication interceptor, ready for a tonic router.
//! let permissions =
//!     tonic::service::interceptor::InterceptedService::new(api.permissions_service(), auth);
//! # drop(permissions);
//! # Ok::<(), tessera_api::ApiError>(())
//! ```
//!
//! Deviations from SpiceDB: an unknown credential is `UNAUTHENTICATED` (SpiceDB:
//! `PERMISSION_DENIED`); LookupSubjects implements `optional_concrete_limit` and cursors
//! (SpiceDB: `UNIMPLEMENTED`); ImportBulkRelationships also returns its ZedToken in the
//! response header [`WRITTEN_AT_METADATA_KEY`]; the relationship counters of
//! ExperimentalService are `UNIMPLEMENTED`.

mod access;
mod audit;
mod auth;
mod check;
mod config;
mod consistency;
mod convert;
mod error;
mod grpc;
mod guard;
mod identity_service;
mod reflect;
mod relationships;
mod schema_service;
mod schemas;
mod scope;
mod service;
mod token;
mod watch;

pub use access::{
    AccessPolicy, Capability, Decision, Grant, Granted, Grantee, RPC_CAPABILITIES, SYSTEM_SCHEMA,
    capability_of, principal_name,
};
pub use audit::AuditLog;
pub use auth::Authentication;
pub use config::ApiConfig;
pub use error::ApiError;
pub use grpc::WRITTEN_AT_METADATA_KEY;
pub use guard::{Guard, Guarded};
pub use identity_service::{EndUsers, IdentityChecks};
pub use service::{Api, ApiService, ResponseStream};
pub use token::ZedToken;
