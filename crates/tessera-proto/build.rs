//! Compiles `proto/` (at the workspace root) into Rust types, tonic clients and
//! servers, and a file descriptor set for gRPC reflection.
//!
//! `protoc` and the well-known type definitions come from `protoc-bin-vendored`,
//! so the build needs no system protobuf install and every machine compiles
//! with the same `protoc`. The path is handed to prost-build directly rather
//! than through the `PROTOC` variable: `std::env::set_var` is `unsafe` in
//! edition 2024 and the workspace forbids `unsafe_code`.

use std::env;
use std::error::Error;
use std::path::PathBuf;

/// Every file of the wire contract, relative to the proto root.
const PROTOS: &[&str] = &[
    "authzed/api/v1/core.proto",
    "authzed/api/v1/debug.proto",
    "authzed/api/v1/error_reason.proto",
    "authzed/api/v1/experimental_service.proto",
    "authzed/api/v1/permission_service.proto",
    "authzed/api/v1/schema_service.proto",
    "authzed/api/v1/watch_service.proto",
    "google/rpc/error_details.proto",
    "google/rpc/status.proto",
    "tessera/v1/identity_service.proto",
];

/// Name of the descriptor set written to `OUT_DIR`; `src/lib.rs` embeds it.
const DESCRIPTOR_SET: &str = "tessera_descriptor.bin";

fn main() -> Result<(), Box<dyn Error>> {
    let manifest_dir = PathBuf::from(env::var("CARGO_MANIFEST_DIR")?);
    let proto_root = manifest_dir.join("../../proto");
    let out_dir = PathBuf::from(env::var("OUT_DIR")?);

    let protos: Vec<PathBuf> = PROTOS.iter().map(|p| proto_root.join(p)).collect();
    let includes = [proto_root.clone(), protoc_bin_vendored::include_path()?];

    // Rerun when a listed proto changes, or when the directory's entries do.
    println!("cargo:rerun-if-changed={}", proto_root.display());
    for proto in &protos {
        println!("cargo:rerun-if-changed={}", proto.display());
    }

    let mut config = prost_build::Config::new();
    config.protoc_executable(protoc_bin_vendored::protoc_bin_path()?);

    tonic_prost_build::configure()
        .build_client(true)
        .build_server(true)
        .file_descriptor_set_path(out_dir.join(DESCRIPTOR_SET))
        .compile_with_config(config, &protos, &includes)?;
    Ok(())
}
