//! In-process check latency percentiles — median, p90, p99, p99.9 — by category and over the
//! whole mix, on the Drive and GitHub datasets in RocksDB (100k, 1M; 10M with
//! `TESSERA_BENCH_10M=1`), warm, without and with the check cache.
//!
//! Criterion reports means and medians of batched iterations; a tail percentile needs every
//! single check timed, so this bench times each check and records it in an HDR histogram
//! (3 significant digits). It first runs every check once (warming the block cache, and the
//! check cache in the cached mode) and stops on any wrong answer; then it replays the dataset's
//! checks in file order, the mix as generated, for about `TESSERA_BENCH_SECONDS` (default 3)
//! per dataset and mode.
//!
//! Run with `cargo bench -p tessera-benches --bench check_latency`; it prints a Markdown
//! table (the one in `BENCHMARKS.md`). Like criterion benches, it runs only when no filter is
//! given or the filter matches `check_latency`. `TESSERA_BENCH_ONLY=drive-1m-off` (any part of
//! `<shape>-<size>-<on|off>`) runs only the matching datasets and modes, e.g. under a profiler.

#![expect(
    clippy::unwrap_used,
    clippy::print_stdout,
    reason = "a benchmark binary: a failure aborts the run, and the report goes to stdout"
)]

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use hdrhistogram::Histogram;
use tessera_benches::{Fixture, size_label, sizes};
use tessera_datasets::Shape;
use tessera_eval::Evaluator;

const NAME: &str = "check_latency";

fn histogram() -> Histogram<u64> {
    // Nanoseconds from 1 ns to 100 s.
    Histogram::new_with_bounds(1, 100_000_000_000, 3).unwrap()
}

fn micros(nanos: u64) -> String {
    format!("{:.1}", nanos as f64 / 1_000.0)
}

fn row(label: &str, h: &Histogram<u64>) -> String {
    format!(
        "| {label} | {} | {} | {} | {} | {} | {} | {:.1} |",
        h.len(),
        micros(h.value_at_quantile(0.5)),
        micros(h.value_at_quantile(0.9)),
        micros(h.value_at_quantile(0.99)),
        micros(h.value_at_quantile(0.999)),
        micros(h.max()),
        h.mean() / 1_000.0,
    )
}

/// Replays every check of `fixture` with `evaluator` for about `budget`; returns the
/// latencies per category and over the mix.
fn measure(
    fixture: &Fixture,
    evaluator: &Evaluator,
    budget: Duration,
) -> (BTreeMap<String, Histogram<u64>>, Histogram<u64>) {
    fixture.verify(evaluator, &fixture.checks).unwrap();
    let mut by_category: BTreeMap<String, Histogram<u64>> = BTreeMap::new();
    let mut mix = histogram();
    let started = Instant::now();
    while started.elapsed() < budget {
        for check in &fixture.checks {
            let begun = Instant::now();
            let result = evaluator.check(&*fixture.snapshot, &check.request, false);
            let nanos = u64::try_from(begun.elapsed().as_nanos()).unwrap_or(u64::MAX);
            std::hint::black_box(result.unwrap());
            mix.saturating_record(nanos);
            by_category
                .entry(check.category.clone())
                .or_insert_with(histogram)
                .saturating_record(nanos);
        }
    }
    (by_category, mix)
}

fn main() {
    let filters: Vec<String> = std::env::args()
        .skip(1)
        .filter(|arg| !arg.starts_with('-'))
        .collect();
    if !filters.is_empty() && !filters.iter().any(|f| NAME.contains(f.as_str())) {
        return;
    }
    let seconds = std::env::var("TESSERA_BENCH_SECONDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(3);
    let budget = Duration::from_secs(seconds);
    println!(
        "| dataset | cache | category | checks timed | median µs | p90 µs | p99 µs | p99.9 µs | max µs | mean µs |"
    );
    println!("|---|---|---|---|---|---|---|---|---|---|");
    let only = std::env::var("TESSERA_BENCH_ONLY").unwrap_or_default();
    let selected = |shape: Shape, size: usize, mode: &str| {
        format!("{shape}-{}-{mode}", size_label(size)).contains(&only)
    };
    for size in sizes() {
        for shape in [Shape::Drive, Shape::Github] {
            if !["off", "on"].iter().any(|mode| selected(shape, size, mode)) {
                continue;
            }
            let fixture = Fixture::open(shape, size).unwrap();
            let dataset = format!("{shape} {}", size_label(size));
            for (mode, cached) in [("off", false), ("on", true)] {
                if !selected(shape, size, mode) {
                    continue;
                }
                let evaluator = if cached {
                    fixture.cached_evaluator().unwrap()
                } else {
                    fixture.evaluator().unwrap()
                };
                let (by_category, mix) = measure(&fixture, &evaluator, budget);
                for (category, h) in &by_category {
                    println!("{}", row(&format!("{dataset} | {mode} | {category}"), h));
                }
                println!("{}", row(&format!("{dataset} | {mode} | **mix**"), &mix));
            }
        }
    }
}
