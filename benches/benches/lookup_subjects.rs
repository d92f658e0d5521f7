//! In-process lookup subjects (every user who may view a document, wildcard included) on the
//! Drive dataset in RocksDB (100k, 1M; 10M with `TESSERA_BENCH_10M=1`), warm, without the
//! check cache. Each iteration asks about the next of 100 documents:
//!
//! - `random_documents`: documents of the dataset's random checks;
//! - `deep_documents`: documents of its deep-folder checks (long folder chains, nested groups).
//!
//! The average number of users found is printed at setup.
//!
//! Run with `cargo bench -p tessera-benches --bench lookup_subjects`; results are in
//! `BENCHMARKS.md`.

#![expect(
    clippy::unwrap_used,
    reason = "benchmark setup: a failure aborts the run"
)]

use std::collections::BTreeSet;
use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};
use tessera_benches::{Fixture, size_label, sizes};
use tessera_datasets::Shape;
use tessera_eval::LookupSubjectsRequest;

const DOCUMENTS: usize = 100;

fn lookups(c: &mut Criterion) {
    for size in sizes() {
        let fixture = Fixture::open(Shape::Drive, size).unwrap();
        let evaluator = fixture.evaluator().unwrap();
        let mut group = c.benchmark_group(format!("lookup_subjects/drive_{}", size_label(size)));
        group.warm_up_time(Duration::from_secs(1));
        group.measurement_time(Duration::from_secs(3));
        group.sample_size(20);
        for (label, category) in [
            ("random_documents", "negative_random"),
            ("deep_documents", "folder_deep"),
        ] {
            let documents: BTreeSet<_> = fixture
                .checks
                .iter()
                .filter(|c| c.category == category)
                .map(|c| &c.request.resource)
                .filter(|r| r.object_type() == "document")
                .collect();
            let requests: Vec<LookupSubjectsRequest> = documents
                .into_iter()
                .take(DOCUMENTS)
                .map(|document| LookupSubjectsRequest {
                    resource: document.clone(),
                    permission: "view".to_owned(),
                    subject_type: "user".to_owned(),
                    subject_relation: None,
                    context: Default::default(),
                    include_wildcards: true,
                    limit: None,
                    after: None,
                })
                .collect();
            let found: usize = requests
                .iter()
                .map(|r| {
                    evaluator
                        .lookup_subjects(&*fixture.snapshot, r)
                        .unwrap()
                        .len()
                })
                .sum();
            eprintln!(
                "{label}: {:.0} users per document on average",
                found as f64 / requests.len() as f64
            );
            let mut next = requests.iter().cycle();
            group.bench_function(label, |b| {
                b.iter(|| {
                    evaluator
                        .lookup_subjects(&*fixture.snapshot, next.next().unwrap())
                        .unwrap()
                });
            });
        }
        group.finish();
    }
}

criterion_group!(benches, lookups);
criterion_main!(benches);
