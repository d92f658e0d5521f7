//! Tessera's gRPC wire contract as Rust: message types, tonic clients and
//! servers generated from the workspace `proto/` directory at build time.
//!
//! This crate owns generated code only. It holds no logic: conversions
//! between wire and domain types, validation and error mapping live in
//! `tessera-api`.
//!
//! - [`authzed::api::v1`]: SpiceDB-compatible services (`PermissionsService`,
//!   `SchemaService`, `WatchService`, `ExperimentalService`) and messages.
//! - [`google::rpc`]: `Status` and the standard error details (`ErrorInfo`, …).
//! - [`tessera::v1`]: Tessera's own extensions (`IdentityService`), which SpiceDB lacks;
//!   they reuse `authzed.api.v1` messages and never change them.
//! - [`FILE_DESCRIPTOR_SET`]: encoded descriptors of all of the above plus the
//!   well-known types they import, for gRPC server reflection.
//!
//! ```
//! use tessera_proto::authzed::api::v1::{CheckPermissionRequest, ObjectReference};
//!
//! let request = CheckPermissionRequest {
//!     resource: Some(ObjectReference {
//!         object_type: "document".to_owned(),
//!         object_id: "99".to_owned(),
//!     }),
//!     permission: "view".to_owned(),
//!     ..Default::default()
//! };
//! assert_eq!(request.permission, "view");
//! ```

// Everything below is emitted by tonic-prost-build; lints that fire on it are
// accepted here instead of patched in the output.
#[expect(
    clippy::allow_attributes,
    clippy::allow_attributes_without_reason,
    reason = "generated code carries its own bare #[allow(...)] attributes"
)]
mod generated {
    pub mod authzed {
        pub mod api {
            pub mod v1 {
                tonic::include_proto!("authzed.api.v1");
            }
        }
    }

    pub mod google {
        pub mod rpc {
            tonic::include_proto!("google.rpc");
        }
    }

    pub mod tessera {
        pub mod v1 {
            tonic::include_proto!("tessera.v1");
        }
    }
}

pub use generated::{authzed, google, tessera};

/// Encoded `google.protobuf.FileDescriptorSet` of every compiled proto file and
/// its imports (well-known types included), for gRPC reflection.
pub const FILE_DESCRIPTOR_SET: &[u8] =
    include_bytes!(concat!(env!("OUT_DIR"), "/tessera_descriptor.bin"));
