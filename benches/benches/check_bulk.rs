//! In-process bulk check of 100 items on the Drive dataset in RocksDB (100k, 1M; 10M with
//! `TESSERA_BENCH_10M=1`), warm, without the check cache:
//!
//! - `mixed_100`: 100 checks of the dataset's mix, mostly different subjects;
//! - `one_subject_100`: one user and 100 documents, as a UI listing a folder asks; items with
//!   the same subject share one walk, so common sub-answers are computed once.
//!
//! Run with `cargo bench -p tessera-benches --bench check_bulk`; results are in
//! `BENCHMARKS.md`.

#![expect(
    clippy::unwrap_used,
    reason = "benchmark setup: a failure aborts the run"
)]

use std::collections::BTreeSet;
use std::time::Duration;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use tessera_benches::{Fixture, size_label, sizes};
use tessera_datasets::Shape;
use tessera_eval::{CheckRequest, Permissionship};

const BATCH: usize = 100;

fn bulk(c: &mut Criterion) {
    for size in sizes() {
        let fixture = Fixture::open(Shape::Drive, size).unwrap();
        let evaluator = fixture.evaluator().unwrap();
        let mut group = c.benchmark_group(format!("check_bulk/drive_{}", size_label(size)));
        group.warm_up_time(Duration::from_secs(1));
        group.measurement_time(Duration::from_secs(3));
        group.sample_size(20);
        group.throughput(Throughput::Elements(BATCH as u64));

        let mixed: Vec<Vec<CheckRequest>> = fixture
            .checks
            .chunks_exact(BATCH)
            .map(|chunk| chunk.iter().map(|c| c.request.clone()).collect())
            .collect();
        // Warm the block cache, and hold the answers to the expected ones.
        for (batch, labelled) in mixed.iter().zip(fixture.checks.chunks_exact(BATCH)) {
            let results = evaluator.check_bulk(&*fixture.snapshot, batch, false);
            for (result, check) in results.into_iter().zip(labelled) {
                let allowed = result.unwrap().permissionship == Permissionship::Has;
                assert_eq!(allowed, check.expected, "{:?}", check.request);
            }
        }
        let mut next = mixed.iter().cycle();
        group.bench_function("mixed_100", |b| {
            b.iter(|| evaluator.check_bulk(&*fixture.snapshot, next.next().unwrap(), false));
        });

        let documents: BTreeSet<_> = fixture
            .checks
            .iter()
            .map(|c| &c.request.resource)
            .filter(|r| r.object_type() == "document")
            .collect();
        let documents: Vec<_> = documents.into_iter().collect();
        let listings: Vec<Vec<CheckRequest>> = fixture
            .checks
            .iter()
            .filter(|c| c.category == "direct")
            .zip(documents.chunks_exact(BATCH))
            .map(|(check, chunk)| {
                chunk
                    .iter()
                    .map(|&document| CheckRequest {
                        resource: document.clone(),
                        permission: "view".to_owned(),
                        ..check.request.clone()
                    })
                    .collect()
            })
            .collect();
        for listing in &listings {
            evaluator.check_bulk(&*fixture.snapshot, listing, false);
        }
        let mut next = listings.iter().cycle();
        group.bench_function("one_subject_100", |b| {
            b.iter(|| evaluator.check_bulk(&*fixture.snapshot, next.next().unwrap(), false));
        });
        group.finish();
    }
}

criterion_group!(benches, bulk);
criterion_main!(benches);
