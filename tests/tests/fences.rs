//! The dependency fences of DESIGN.md, checked against `cargo metadata`'s resolved graph.
//!
//! Only normal (non-dev) dependencies count: a crate's tests may use anything.

#![expect(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "helpers of a test: a failure is the test failing"
)]
use std::collections::{BTreeMap, BTreeSet};
use std::process::Command;

use serde_json::Value;

/// Package name → names of its normal and build dependencies.
type Graph = BTreeMap<String, BTreeSet<String>>;

fn dependency_graph() -> Graph {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let output = Command::new(cargo)
        .args(["metadata", "--format-version", "1", "--locked"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("cargo metadata runs");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let metadata: Value = serde_json::from_slice(&output.stdout).expect("cargo metadata is JSON");

    let names: BTreeMap<&str, &str> = metadata["packages"]
        .as_array()
        .expect("packages")
        .iter()
        .map(|p| (p["id"].as_str().unwrap(), p["name"].as_str().unwrap()))
        .collect();
    let mut graph = Graph::new();
    for node in metadata["resolve"]["nodes"]
        .as_array()
        .expect("resolve nodes")
    {
        let deps = node["deps"].as_array().unwrap().iter().filter(|dep| {
            dep["dep_kinds"]
                .as_array()
                .unwrap()
                .iter()
                .any(|k| k["kind"].as_str() != Some("dev"))
        });
        graph.insert(
            names[node["id"].as_str().unwrap()].to_owned(),
            deps.map(|dep| names[dep["pkg"].as_str().unwrap()].to_owned())
                .collect(),
        );
    }
    graph
}

fn transitive(graph: &Graph, package: &str) -> BTreeSet<String> {
    let mut seen = BTreeSet::new();
    let mut stack = vec![package.to_owned()];
    while let Some(next) = stack.pop() {
        for dep in graph.get(&next).into_iter().flatten() {
            if seen.insert(dep.clone()) {
                stack.push(dep.clone());
            }
        }
    }
    seen
}

fn workspace_crates(graph: &Graph) -> impl Iterator<Item = &String> {
    graph.keys().filter(|name| name.starts_with("tessera-"))
}

/// Fails listing every `(crate, forbidden dependency)` pair where `crate` (transitively)
/// depends on something `forbidden` says it must not.
fn assert_fence(rule: &str, violations: Vec<(String, String)>) {
    assert!(
        violations.is_empty(),
        "dependency fence broken: {rule}: {violations:?}"
    );
}

#[test]
fn only_the_rocksdb_backend_depends_on_rocksdb() {
    let graph = dependency_graph();
    let violations = workspace_crates(&graph)
        .filter(|name| *name != "tessera-store-rocksdb")
        .flat_map(|name| {
            graph[name]
                .iter()
                .filter(|dep| dep.as_str() == "rocksdb" || dep.as_str() == "librocksdb-sys")
                .map(move |dep| (name.clone(), dep.clone()))
        })
        .collect();
    assert_fence(
        "only tessera-store-rocksdb may depend on rocksdb directly",
        violations,
    );
}

#[test]
fn only_the_wire_crates_depend_on_tonic_and_prost() {
    let graph = dependency_graph();
    let allowed = [
        "tessera-proto",
        "tessera-api",
        "tessera-server",
        "tessera-tests",
        "tessera-benches",
    ];
    let violations = workspace_crates(&graph)
        .filter(|name| !allowed.contains(&name.as_str()))
        .flat_map(|name| {
            graph[name]
                .iter()
                .filter(|dep| dep.starts_with("tonic") || dep.starts_with("prost"))
                .map(move |dep| (name.clone(), dep.clone()))
        })
        .collect();
    assert_fence(
        "only tessera-proto, -api and -server may depend on tonic/prost",
        violations,
    );
}

#[test]
fn core_crates_never_reach_tonic_prost_or_rocksdb() {
    let graph = dependency_graph();
    let core = [
        "tessera-types",
        "tessera-schema",
        "tessera-store",
        "tessera-eval",
    ];
    let violations = core
        .iter()
        .filter(|name| graph.contains_key(**name))
        .flat_map(|name| {
            transitive(&graph, name)
                .into_iter()
                .filter(|dep| {
                    dep.starts_with("tonic") || dep.starts_with("prost") || dep.contains("rocksdb")
                })
                .map(move |dep| (name.to_string(), dep))
        })
        .collect();
    assert_fence(
        "types, schema, store and eval never depend on tonic, prost or rocksdb",
        violations,
    );
}

#[test]
fn only_the_server_installs_a_tracing_subscriber() {
    let graph = dependency_graph();
    let allowed = ["tessera-server", "tessera-tests", "tessera-benches"];
    let violations = workspace_crates(&graph)
        .filter(|name| !allowed.contains(&name.as_str()))
        .filter(|name| graph[*name].contains("tracing-subscriber"))
        .map(|name| (name.clone(), "tracing-subscriber".to_owned()))
        .collect();
    assert_fence(
        "only tessera-server may install a tracing subscriber",
        violations,
    );
}

#[test]
fn the_store_never_depends_on_the_schema_compiler() {
    let graph = dependency_graph();
    let violations = workspace_crates(&graph)
        .filter(|name| name.starts_with("tessera-store"))
        .filter(|name| transitive(&graph, name).contains("tessera-schema"))
        .map(|name| (name.clone(), "tessera-schema".to_owned()))
        .collect();
    assert_fence(
        "the store keeps the schema as text and never depends on tessera-schema",
        violations,
    );
}

#[test]
fn identity_depends_on_types_and_nothing_else_internal() {
    let graph = dependency_graph();
    // The crate exists now: a missing one would be a broken graph, not a vacuous fence.
    let direct = graph
        .get("tessera-identity")
        .expect("tessera-identity is a workspace member");
    let deps = transitive(&graph, "tessera-identity");
    let internal: Vec<_> = deps
        .iter()
        .filter(|dep| dep.starts_with("tessera-") && *dep != "tessera-types")
        .map(|dep| ("tessera-identity".to_owned(), dep.clone()))
        .collect();
    assert!(direct.contains("tessera-types"));
    // Spelled out: authentication never reaches the evaluator, storage, schemas, the API
    // or the wire.
    for forbidden in [
        "tessera-eval",
        "tessera-store",
        "tessera-schema",
        "tessera-api",
        "tonic",
        "prost",
    ] {
        assert!(
            !deps.contains(forbidden),
            "tessera-identity depends on {forbidden}"
        );
    }
    assert_fence(
        "tessera-identity depends on tessera-types and nothing else internal",
        internal,
    );
}
