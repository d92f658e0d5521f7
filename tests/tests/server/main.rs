//! End-to-end tests: the `tessera` server on `127.0.0.1:0`, driven through the generated
//! `authzed.api.v1` clients exactly as SpiceDB's official clients drive SpiceDB.

#![expect(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "end-to-end tests: a failure is the test failing"
)]

mod auth;
mod conformance;
mod convert;
mod errors;
mod identity;
mod lifecycle;
mod mtls;
mod oracle;
mod permissions;
mod schema;
mod support;
mod watch;
