//! Schema compilation (lex, parse, compile to IR) of the dataset schemas, and of the Drive
//! schema repeated under renamed types to 5, 50 and 500 definitions, for how it scales.
//!
//! Run with `cargo bench -p tessera-benches --bench schema_compile`; results are in
//! `BENCHMARKS.md`.

#![expect(
    clippy::unwrap_used,
    reason = "benchmark setup: a failure aborts the run"
)]

use std::hint::black_box;
use std::time::Duration;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use tessera_datasets::Shape;

/// The Drive schema `copies` times, the types of copy `k` prefixed `c{k}_` (the definitions
/// of one copy refer to each other only).
fn repeated_drive(copies: usize) -> String {
    let text = Shape::Drive.schema_text();
    let types = ["user", "organization", "group", "folder", "document"];
    (0..copies)
        .map(|k| {
            let mut copy = text.clone();
            for t in types {
                copy = copy
                    .replace(
                        &format!("definition {t} "),
                        &format!("definition c{k}_{t} "),
                    )
                    .replace(&format!(": {t}"), &format!(": c{k}_{t}"))
                    .replace(&format!("| {t}"), &format!("| c{k}_{t}"));
            }
            copy
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn compile(c: &mut Criterion) {
    let mut group = c.benchmark_group("schema_compile");
    group.warm_up_time(Duration::from_secs(1));
    group.measurement_time(Duration::from_secs(2));
    for shape in [Shape::Drive, Shape::Github] {
        let text = shape.schema_text();
        tessera_schema::compile(&text).unwrap();
        group.throughput(Throughput::Bytes(text.len() as u64));
        group.bench_function(shape.name(), |b| {
            b.iter(|| tessera_schema::compile(black_box(&text)))
        });
    }
    for copies in [1, 10, 100] {
        let text = repeated_drive(copies);
        let schema = tessera_schema::compile(&text).unwrap();
        assert_eq!(schema.definitions.len(), copies * 5);
        group.throughput(Throughput::Bytes(text.len() as u64));
        group.bench_with_input(
            BenchmarkId::new("drive_definitions", copies * 5),
            &text,
            |b, text| b.iter(|| tessera_schema::compile(black_box(text))),
        );
    }
    group.finish();
}

criterion_group!(benches, compile);
criterion_main!(benches);
