//! `tessera bench`, run as the real binary against an in-process server on a tiny dataset:
//! it loads the dataset, answers every check right and reports what it measured. No timing
//! is asserted.

#![expect(
    clippy::unwrap_used,
    reason = "helpers of a test: a failure is the test failing"
)]

use std::path::Path;
use std::process::{Command, Output};
use std::sync::Arc;

use tessera_datasets::{GenerateOptions, Shape};
use tessera_server::{Listeners, ServerConfig, serve};
use tessera_store::MemStore;

async fn tessera(args: Vec<String>) -> Output {
    tokio::task::spawn_blocking(move || {
        Command::new(env!("CARGO_BIN_EXE_tessera"))
            .args(args)
            .output()
            .unwrap()
    })
    .await
    .unwrap()
}

fn json(path: &Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn args(list: &[&str]) -> Vec<String> {
    list.iter().map(|arg| (*arg).to_owned()).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bench_loads_a_dataset_and_measures_checks_lookups_and_writes() {
    let dir = tempfile::tempdir().unwrap();
    let dataset = dir.path().join("drive");
    let options = GenerateOptions {
        checks: 200,
        ..GenerateOptions::new(Shape::Drive, 3_000)
    };
    tessera_datasets::generate_into(&options, &dataset).unwrap();

    let grpc = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let endpoint = grpc.local_addr().unwrap().to_string();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let config = ServerConfig::new(tessera_api::Authentication::disabled());
    let server = tokio::spawn(serve(
        config,
        Arc::new(MemStore::new()),
        Listeners {
            grpc,
            metrics: None,
        },
        async {
            drop(stopped.await);
        },
    ));
    let dataset = dataset.to_str().unwrap();
    let common = [
        "--endpoint",
        &endpoint,
        "--insecure",
        "--dataset",
        dataset,
        "--warmup",
        "0.2",
        "--concurrency",
        "3",
    ];

    let checks_json = dir.path().join("checks.json");
    let mut checks = args(&["bench", "checks", "--load", "--duration", "1"]);
    checks.extend(args(&common));
    checks.extend(args(&["--json", checks_json.to_str().unwrap()]));
    let output = tessera(checks).await;
    assert!(output.status.success(), "{output:?}");
    let report = json(&checks_json);
    assert_eq!(report["wrong"], 0, "{report}");
    assert_eq!(report["errors"], 0, "{report}");
    assert!(report["qps"].as_f64().unwrap() > 0.0, "{report}");
    assert!(report["p999_us"].as_f64().unwrap() >= report["p50_us"].as_f64().unwrap());
    assert_eq!(report["load"]["relationships"], 3_000, "{report}");
    assert_eq!(report["load"]["method"], "import_bulk_relationships");
    assert!(
        report["categories"]["folder_deep"]["calls"]
            .as_u64()
            .unwrap()
            > 0
    );
    assert!(
        String::from_utf8(output.stdout)
            .unwrap()
            .contains("folder_deep")
    );

    let lookups_json = dir.path().join("lookups.json");
    let mut lookups = args(&["bench", "lookups", "--duration", "0.5"]);
    lookups.extend(args(&common));
    lookups.extend(args(&["--json", lookups_json.to_str().unwrap()]));
    let output = tessera(lookups).await;
    assert!(output.status.success(), "{output:?}");
    let report = json(&lookups_json);
    for phase in ["lookup_resources", "lookup_subjects"] {
        let phase = &report["phases"][phase];
        assert_eq!(phase["wrong"], 0, "{report}");
        assert_eq!(phase["errors"], 0, "{report}");
        assert!(phase["calls"].as_u64().unwrap() > 0, "{report}");
    }

    let writes_json = dir.path().join("writes.json");
    let mut writes = args(&[
        "bench",
        "writes",
        "--mode",
        "mixed",
        "--write-percent",
        "20",
        "--duration",
        "0.5",
    ]);
    writes.extend(args(&common));
    writes.extend(args(&["--json", writes_json.to_str().unwrap()]));
    let output = tessera(writes).await;
    assert!(output.status.success(), "{output:?}");
    let report = json(&writes_json);
    let (check, write) = (&report["phases"]["check"], &report["phases"]["write"]);
    assert_eq!(check["wrong"], 0, "{report}");
    assert_eq!(write["errors"], 0, "{report}");
    assert!(write["calls"].as_u64().unwrap() > 0, "{report}");

    stop.send(()).unwrap();
    server.await.unwrap().unwrap();
}

#[tokio::test]
async fn generate_writes_a_dataset_directory() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("github");
    let output = tessera(args(&[
        "bench",
        "generate",
        "--shape",
        "github",
        "--relationships",
        "2000",
        "--checks",
        "50",
        "--out",
        out.to_str().unwrap(),
    ]))
    .await;
    assert!(output.status.success(), "{output:?}");
    let dataset = tessera_datasets::Dataset::open(&out).unwrap();
    assert_eq!(dataset.meta().relationships, 2_000);
    assert_eq!(dataset.checks().len(), 50);
}
