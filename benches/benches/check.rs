//! In-process check latency by check category, on the Drive dataset in RocksDB at 100k and 1M
//! relationships (10M with `TESSERA_BENCH_10M=1`), warm, with and without the check cache.
//!
//! `no_cache` is the honest cost of one check: the whole walk over a warm block cache.
//! `cache` is the same question answered again from the cross-request check cache.
//! Each iteration asks the next check of the category, cycling through the dataset's checks.
//!
//! Run with `cargo bench -p tessera-benches --bench check`; results are in `BENCHMARKS.md`
//! (median and p99 per category come from the `check_latency` bench).

#![expect(
    clippy::unwrap_used,
    reason = "benchmark setup: a failure aborts the run"
)]

use std::time::Duration;

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use tessera_benches::{Fixture, size_label, sizes};
use tessera_datasets::Shape;

fn checks(c: &mut Criterion) {
    for size in sizes() {
        let fixture = Fixture::open(Shape::Drive, size).unwrap();
        let plain = fixture.evaluator().unwrap();
        let cached = fixture.cached_evaluator().unwrap();
        let mut group = c.benchmark_group(format!("check/drive_{}", size_label(size)));
        group.warm_up_time(Duration::from_secs(1));
        group.measurement_time(Duration::from_secs(2));
        group.sample_size(30);
        for (category, checks) in fixture.by_category() {
            for (evaluator, mode) in [(&plain, "no_cache"), (&cached, "cache")] {
                // Also warms the block cache and (for `cache`) the check cache.
                fixture.verify(evaluator, &checks).unwrap();
                let mut next = checks.iter().cycle();
                let id = BenchmarkId::new(category.as_str(), mode);
                group.bench_function(id, |b| {
                    b.iter(|| {
                        let check = next.next().unwrap();
                        evaluator
                            .check(&*fixture.snapshot, &check.request, false)
                            .unwrap()
                    });
                });
            }
        }
        group.finish();
    }
}

criterion_group!(benches, checks);
criterion_main!(benches);
