//! The RocksDB store at one million relationships: point and batched reads on a warm cache,
//! durable write latency, concurrent write throughput, and bulk import rate.
//!
//! Run with `cargo bench -p tessera-benches --bench store`; results are in `BENCHMARKS.md`.

#![expect(
    clippy::unwrap_used,
    reason = "benchmark setup: a failure aborts the run"
)]

use std::hint::black_box;
use std::ops::ControlFlow;
use std::sync::Arc;
use std::time::{Duration, Instant};

use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use tessera_benches::{DriveShape, SplitMix, document, drive, user};
use tessera_store::{
    Datastore, Operation, ResourceQuery, Snapshot, SubjectQuery, Update, WriteTransaction,
};
use tessera_store_rocksdb::{RocksConfig, RocksStore};
use tessera_types::Relationship;

/// 200 000 documents: one million relationships.
const DOCUMENTS: usize = 200_000;

fn config() -> RocksConfig {
    RocksConfig {
        block_cache_bytes: 512 << 20,
        // No collection pass should land inside a measurement.
        gc_interval: Duration::from_secs(24 * 60 * 60),
        ..RocksConfig::default()
    }
}

/// A store holding the drive dataset, and its directory.
fn loaded_store() -> (tempfile::TempDir, RocksStore) {
    let dir = tempfile::tempdir().unwrap();
    let store = RocksStore::open(dir.path(), config()).unwrap();
    let shape = DriveShape::with_documents(DOCUMENTS);
    let started = Instant::now();
    let (_, count) = store.bulk_import(&mut drive(shape)).unwrap();
    eprintln!(
        "loaded {count} relationships in {:.1?} ({:.0}/s)",
        started.elapsed(),
        count as f64 / started.elapsed().as_secs_f64()
    );
    // Measure the steady state, not the flushes and compactions the load set off.
    store.compact().unwrap();
    (dir, store)
}

fn touch(relationship: Relationship) -> WriteTransaction {
    WriteTransaction {
        updates: vec![Update {
            operation: Operation::Touch,
            relationship,
        }],
        ..WriteTransaction::default()
    }
}

fn reads(c: &mut Criterion) {
    let (_dir, store) = loaded_store();
    let snapshot = store.snapshot(store.head_revision()).unwrap();
    let viewers: Vec<Relationship> = drive(DriveShape::with_documents(DOCUMENTS))
        .filter(|relationship| relationship.relation() == "viewer")
        .step_by(97)
        .take(10_000)
        .collect();
    // Warm the cache with everything the reads below touch.
    for relationship in &viewers {
        find(&*snapshot, relationship);
    }

    let mut group = c.benchmark_group("store/read");
    let mut next = viewers.iter().cycle();
    group.bench_function("exact_lookup", |b| {
        b.iter(|| find(&*snapshot, next.next().unwrap()));
    });

    let mut random = SplitMix::new(7);
    let id_strings: Vec<String> = (0..100 * 64)
        .map(|_| document(random.below(DOCUMENTS)).object_id().to_owned())
        .collect();
    let batches: Vec<Vec<&str>> = id_strings
        .chunks(100)
        .map(|chunk| chunk.iter().map(String::as_str).collect())
        .collect();
    let mut next_batch = batches.iter().cycle();
    group.throughput(Throughput::Elements(100));
    group.bench_function("read_resources_100_ids", |b| {
        b.iter(|| {
            let ids = next_batch.next().unwrap();
            let query = ResourceQuery {
                resource_type: "document",
                resource_ids: ids,
                relation: "viewer",
                subject: None,
            };
            count_resources(&*snapshot, &query)
        });
    });

    let user_ids: Vec<String> = (0..1024)
        .map(|_| user(random.below(DOCUMENTS / 20)).object_id().to_owned())
        .collect();
    let mut next_user = user_ids.iter().cycle();
    group.throughput(Throughput::Elements(1));
    group.bench_function("reverse_read_user_viewer_documents", |b| {
        b.iter(|| {
            let id = next_user.next().unwrap().as_str();
            let query = SubjectQuery {
                subject_type: "user",
                subject_ids: &[id],
                subject_relation: None,
                resource_type: "document",
                relation: "viewer",
            };
            let mut found = 0;
            snapshot
                .read_subjects(&query, &mut |relationship| {
                    found += black_box(relationship).relation().len();
                    ControlFlow::Continue(())
                })
                .unwrap();
            found
        });
    });
    group.finish();
}

fn find(snapshot: &dyn Snapshot, relationship: &Relationship) -> Option<Relationship> {
    let found = snapshot
        .find(
            relationship.resource(),
            relationship.relation(),
            relationship.subject(),
        )
        .unwrap();
    assert!(found.is_some(), "{relationship} is in the dataset");
    found
}

fn count_resources(snapshot: &dyn Snapshot, query: &ResourceQuery<'_>) -> usize {
    let mut found = 0;
    snapshot
        .read_resources(query, &mut |relationship| {
            black_box(relationship);
            found += 1;
            ControlFlow::Continue(())
        })
        .unwrap();
    found
}

fn writes(c: &mut Criterion) {
    let (_dir, store) = loaded_store();
    let store = Arc::new(store);
    let mut group = c.benchmark_group("store/write");
    group.sample_size(50);
    group.measurement_time(Duration::from_secs(10));

    let mut n = 0;
    group.bench_function("durable_single_transaction", |b| {
        b.iter(|| {
            n += 1;
            let relationship = format!("document:d{n}#viewer@user:bench").parse().unwrap();
            store.write(touch(relationship)).unwrap()
        });
    });

    const WRITERS: usize = 16;
    const PER_WRITER: usize = 200;
    group.throughput(Throughput::Elements((WRITERS * PER_WRITER) as u64));
    group.sample_size(10);
    let mut round = 0;
    group.bench_function("concurrent_16_writers", |b| {
        b.iter_custom(|iterations| {
            let mut total = Duration::ZERO;
            for _ in 0..iterations {
                round += 1;
                let started = Instant::now();
                std::thread::scope(|scope| {
                    for writer in 0..WRITERS {
                        let store = Arc::clone(&store);
                        scope.spawn(move || {
                            for i in 0..PER_WRITER {
                                let relationship =
                                    format!("document:w{writer}-{i}#editor@user:r{round}")
                                        .parse()
                                        .unwrap();
                                store.write(touch(relationship)).unwrap();
                            }
                        });
                    }
                });
                total += started.elapsed();
            }
            total
        });
    });
    group.finish();
}

fn bulk_import(c: &mut Criterion) {
    let shape = DriveShape::with_documents(DOCUMENTS / 4);
    let mut group = c.benchmark_group("store/bulk_import");
    group.sample_size(10);
    group.measurement_time(Duration::from_secs(30));
    group.throughput(Throughput::Elements(shape.relationships() as u64));
    group.bench_function("drive_250k_into_empty_store", |b| {
        b.iter_batched(
            || {
                let dir = tempfile::tempdir().unwrap();
                let store = RocksStore::open(dir.path(), config()).unwrap();
                (dir, store)
            },
            |(dir, store)| {
                store.bulk_import(&mut drive(shape)).unwrap();
                (dir, store)
            },
            BatchSize::PerIteration,
        );
    });
    group.finish();
}

criterion_group!(benches, reads, writes, bulk_import);
criterion_main!(benches);
