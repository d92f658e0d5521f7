//! In-process lookup resources (`document#view` for one user, all pages) returning about a
//! thousand and about ten thousand ids, on the Drive dataset in RocksDB (100k, 1M; 10M with
//! `TESSERA_BENCH_10M=1`), warm, without the check cache.
//!
//! The users are picked at setup: one admin of every organisation (who may view every document
//! in it) and the users of the dataset's deep-folder and group checks, each looked up once;
//! the ones whose result sizes are nearest 1 000 and 10 000 are measured, and the benchmark id
//! says how many ids they get.
//!
//! Run with `cargo bench -p tessera-benches --bench lookup_resources`; results are in
//! `BENCHMARKS.md`.

#![expect(
    clippy::unwrap_used,
    reason = "benchmark setup: a failure aborts the run"
)]

use std::collections::BTreeSet;
use std::time::Duration;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use tessera_benches::{Fixture, size_label, sizes};
use tessera_datasets::Shape;
use tessera_eval::{Evaluator, LookupResourcesRequest};
use tessera_types::SubjectRef;

/// Users of deep-folder and group checks tried as candidates.
const CANDIDATES: usize = 200;

fn request(resource_type: &str, permission: &str, subject: &SubjectRef) -> LookupResourcesRequest {
    LookupResourcesRequest {
        resource_type: resource_type.to_owned(),
        permission: permission.to_owned(),
        subject: subject.clone(),
        context: Default::default(),
        limit: None,
        after: None,
    }
}

/// Users to try: one admin per organisation, then users with deep grants.
fn candidates(fixture: &Fixture, evaluator: &Evaluator) -> Vec<SubjectRef> {
    let mut seen_orgs = BTreeSet::new();
    let mut users = BTreeSet::new();
    let mut candidates = Vec::new();
    for check in &fixture.checks {
        let user = &check.request.subject;
        if check.category == "org_admin" && users.insert(user.clone()) {
            let orgs = evaluator
                .lookup_resources(
                    &*fixture.snapshot,
                    &request("organization", "administer", user),
                )
                .unwrap();
            let orgs: Vec<String> = orgs.into_iter().map(|o| o.resource_id).collect();
            if seen_orgs.insert(orgs) {
                candidates.push(user.clone());
            }
        }
    }
    let deep = fixture
        .checks
        .iter()
        .filter(|c| c.category == "folder_deep" || c.category == "group")
        .map(|c| &c.request.subject)
        .filter(|user| users.insert((*user).clone()))
        .take(CANDIDATES)
        .cloned();
    candidates.extend(deep);
    candidates
}

fn lookups(c: &mut Criterion) {
    for size in sizes() {
        let fixture = Fixture::open(Shape::Drive, size).unwrap();
        let evaluator = fixture.evaluator().unwrap();
        let found: Vec<(usize, SubjectRef)> = candidates(&fixture, &evaluator)
            .into_iter()
            .map(|user| {
                let view = request("document", "view", &user);
                let ids = evaluator
                    .lookup_resources(&*fixture.snapshot, &view)
                    .unwrap();
                (ids.len(), user)
            })
            .collect();
        let mut group = c.benchmark_group(format!("lookup_resources/drive_{}", size_label(size)));
        group.warm_up_time(Duration::from_secs(1));
        group.measurement_time(Duration::from_secs(5));
        group.sample_size(10);
        for (label, target) in [("view_about_1k", 1_000.0_f64), ("view_about_10k", 10_000.0)] {
            // Nearest on a log scale: 2k and 500 are equally far from 1k.
            let (count, user) = found
                .iter()
                .min_by(|(a, _), (b, _)| {
                    let distance = |n: &usize| ((*n).max(1) as f64 / target).ln().abs();
                    distance(a).total_cmp(&distance(b))
                })
                .unwrap();
            eprintln!("{label}: {user} views {count} documents");
            let view = request("document", "view", user);
            group.throughput(Throughput::Elements(*count as u64));
            group.bench_function(BenchmarkId::new(label, count), |b| {
                b.iter(|| {
                    evaluator
                        .lookup_resources(&*fixture.snapshot, &view)
                        .unwrap()
                });
            });
        }
        group.finish();
    }
}

criterion_group!(benches, lookups);
criterion_main!(benches);
