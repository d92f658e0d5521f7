//! Crash test: a child process (this test binary, in child mode) commits transactions and
//! bulk imports from several threads and prints each one it sees acknowledged; the parent
//! kills it with SIGKILL at random moments, reopens the store, and checks that every
//! acknowledged write is fully there, at its revision, and that no write is partly visible.

#![expect(
    clippy::unwrap_used,
    clippy::panic,
    reason = "helpers of a test: a failure is the test failing"
)]

use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufRead, BufReader};
use std::ops::ControlFlow;
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use tessera_store::{
    Datastore, Operation, RelationshipFilter, ResourceQuery, Snapshot, StoreError, Update,
    WriteTransaction,
};
use tessera_store_rocksdb::{RocksConfig, RocksStore};
use tessera_types::{Relationship, Revision};

/// Set in the child: the store directory.
const CHILD_DIR: &str = "TESSERA_CRASH_CHILD_DIR";
/// Set in the child: which round it is, so write ids never repeat across rounds.
const CHILD_ROUND: &str = "TESSERA_CRASH_CHILD_ROUND";
/// Kills (and reopens) at least this many times.
const ROUNDS: u64 = 24;
/// Relationships per transaction.
const PER_TRANSACTION: usize = 8;
/// Relationships per bulk import: more than one internal write batch.
const PER_IMPORT: usize = 17_000;
/// Writer threads in the child, besides the importer.
const WRITERS: u64 = 3;

/// Write `id` creates `write:{id}#member@user:{i}` for every `i` below its size: all of them
/// or none must ever be visible.
fn members(id: u64, size: usize) -> impl Iterator<Item = Relationship> {
    (0..size).map(move |i| format!("write:{id}#member@user:{i}").parse().unwrap())
}

fn size_of(id: u64) -> usize {
    // Ids ending in 999 999 are imports (one per round), the others transactions.
    if id % 1_000_000 == 999_999 {
        PER_IMPORT
    } else {
        PER_TRANSACTION
    }
}

fn config() -> RocksConfig {
    RocksConfig {
        block_cache_bytes: 8 << 20,
        ..RocksConfig::default()
    }
}

/// Child mode: runs until killed. Does nothing in a normal test run.
#[test]
fn crash_child() {
    let (Ok(dir), Ok(round)) = (std::env::var(CHILD_DIR), std::env::var(CHILD_ROUND)) else {
        return;
    };
    let round: u64 = round.parse().unwrap();
    let store = Arc::new(RocksStore::open(&dir, config()).unwrap());
    println!("READY");
    let importer = {
        let store = Arc::clone(&store);
        std::thread::spawn(move || {
            // Start at a different moment each round, so kills land before, during and
            // after imports (which hold back other writers while they run).
            std::thread::sleep(Duration::from_millis(round * 337 % 700));
            let id = round * 1_000_000 + 999_999;
            println!("BEGIN {id}");
            let (revision, _) = store.bulk_import(&mut members(id, PER_IMPORT)).unwrap();
            println!("ACK {id} {revision}");
        })
    };
    let writers: Vec<_> = (0..WRITERS)
        .map(|writer| {
            let store = Arc::clone(&store);
            std::thread::spawn(move || {
                for n in 0.. {
                    let id = round * 1_000_000 + writer * 100_000 + n;
                    let updates = members(id, PER_TRANSACTION)
                        .map(|relationship| Update {
                            operation: Operation::Create,
                            relationship,
                        })
                        .collect();
                    println!("BEGIN {id}");
                    let revision = store
                        .write(WriteTransaction {
                            updates,
                            ..WriteTransaction::default()
                        })
                        .unwrap();
                    println!("ACK {id} {revision}");
                }
            })
        })
        .collect();
    importer.join().unwrap();
    for writer in writers {
        writer.join().unwrap();
    }
}

/// What one child printed before it died.
#[derive(Default)]
struct Report {
    ready: bool,
    begun: BTreeSet<u64>,
    acknowledged: BTreeMap<u64, Revision>,
}

fn run_child(dir: &Path, round: u64, kill_after: Duration, check_lock: bool) -> Report {
    // Beside the store directory, inside the test's temporary directory.
    let stderr_path = dir.with_extension(format!("child-{round}.stderr"));
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args(["crash_child", "--exact", "--nocapture", "--test-threads=1"])
        .env(CHILD_DIR, dir)
        .env(CHILD_ROUND, round.to_string())
        .stdout(Stdio::piped())
        .stderr(std::fs::File::create(&stderr_path).unwrap())
        .spawn()
        .unwrap();
    let child_stderr = || std::fs::read_to_string(&stderr_path).unwrap_or_default();
    let stdout = child.stdout.take().unwrap();
    let (lines_tx, lines) = std::sync::mpsc::channel();
    let reader = std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            if lines_tx.send(line.unwrap()).is_err() {
                break;
            }
        }
    });

    let mut report = Report::default();
    let record = |line: String, report: &mut Report| {
        // libtest prints `test crash_child ... ` before the child's first line.
        let words: Vec<&str> = line.split_whitespace().collect();
        let start = words
            .iter()
            .position(|word| ["READY", "BEGIN", "ACK"].contains(word))
            .unwrap_or(words.len());
        match words[start..] {
            ["READY"] => report.ready = true,
            ["BEGIN", id] => {
                report.begun.insert(id.parse().unwrap());
            }
            ["ACK", id, revision] => {
                report.acknowledged.insert(
                    id.parse().unwrap(),
                    Revision::new(revision.parse().unwrap()),
                );
            }
            _ => {}
        }
    };
    // Kill at a random moment after the store opened (or right away, to crash recovery).
    let started = Instant::now();
    let mut deadline = (kill_after == Duration::ZERO).then_some(started);
    while deadline.is_none_or(|at| Instant::now() < at) {
        match lines.recv_timeout(Duration::from_millis(5)) {
            Ok(line) => record(line, &mut report),
            Err(std::sync::mpsc::RecvTimeoutError::Timeout) => {}
            Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => {
                panic!("the child exited on its own:\n{}", child_stderr())
            }
        }
        if report.ready && deadline.is_none() {
            if check_lock {
                let err = RocksStore::open(dir, config()).unwrap_err();
                assert!(matches!(err, StoreError::Locked(_)), "{err:?}");
            }
            deadline = Some(Instant::now() + kill_after);
        }
        // Generous: a loaded two-core machine may take long to open a big store in debug.
        if started.elapsed() > Duration::from_secs(300) {
            child.kill().unwrap();
            panic!(
                "the child of round {round} never got ready:\n{}",
                child_stderr()
            );
        }
    }
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    reader.join().unwrap();
    for line in lines.try_iter() {
        record(line, &mut report);
    }
    report
}

fn count(snapshot: &dyn Snapshot, id: u64) -> usize {
    let id = id.to_string();
    let mut found = 0;
    snapshot
        .read_resources(
            &ResourceQuery {
                resource_type: "write",
                resource_ids: &[&id],
                relation: "member",
                subject: None,
            },
            &mut |_| {
                found += 1;
                ControlFlow::Continue(())
            },
        )
        .unwrap();
    found
}

/// Checks the reopened store: every write begun so far is all there or not at all, every
/// acknowledged one is there, and those of the last round appear exactly at their revision.
fn verify(
    dir: &Path,
    begun: &BTreeSet<u64>,
    acknowledged: &BTreeMap<u64, Revision>,
    last_round: &BTreeMap<u64, Revision>,
) {
    let store = RocksStore::open(dir, config()).unwrap();
    let head = store.head_revision();
    let mut visible_by_id = BTreeMap::<u64, usize>::new();
    let everything = store
        .snapshot(head)
        .unwrap()
        .read_filtered(&RelationshipFilter::default(), None, None)
        .unwrap();
    for relationship in everything {
        let id = relationship.resource().object_id().parse().unwrap();
        assert!(
            begun.contains(&id),
            "write {id} appeared without being begun"
        );
        *visible_by_id.entry(id).or_default() += 1;
    }
    for &id in begun {
        let size = size_of(id);
        let visible = visible_by_id.get(&id).copied().unwrap_or_default();
        assert!(
            visible == 0 || visible == size,
            "write {id} is partly visible: {visible} of {size}"
        );
        if let Some(revision) = acknowledged.get(&id) {
            assert_eq!(
                visible, size,
                "acknowledged write {id} (revision {revision}) was lost"
            );
        }
    }
    for (&id, &revision) in last_round {
        assert!(revision <= head);
        assert_eq!(count(&*store.snapshot(revision).unwrap(), id), size_of(id));
        let before = Revision::new(revision.get() - 1);
        assert_eq!(count(&*store.snapshot(before).unwrap(), id), 0);
    }
    // The changelog has one entry per revision, densely.
    let changes = store.changes_after(Revision::ZERO, usize::MAX).unwrap();
    assert_eq!(changes.len() as u64, head.get());
}

#[test]
fn acknowledged_writes_survive_sigkill_and_nothing_is_partly_visible() {
    let root = tempfile::tempdir().unwrap();
    let dir = root.path().join("store");
    let mut random = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .unwrap()
        .subsec_nanos()
        | 1;
    let mut next_random = move |bound: u32| {
        // xorshift32: enough to spread the kill moments.
        random ^= random << 13;
        random ^= random >> 17;
        random ^= random << 5;
        random % bound
    };
    let mut begun = BTreeSet::new();
    let mut acknowledged = BTreeMap::new();
    let mut kills_while_writing = 0;
    for round in 1..=ROUNDS {
        // One round in six dies before it is ready, possibly while recovering; the others
        // while writing, some before and some after their import finishes.
        let kill_after = if next_random(6) == 0 {
            Duration::ZERO
        } else {
            Duration::from_millis(u64::from(next_random(1_500)))
        };
        let report = run_child(&dir, round, kill_after, round == 1);
        eprintln!(
            "round {round}: killed {kill_after:?} after ready, {} begun, {} acknowledged",
            report.begun.len(),
            report.acknowledged.len()
        );
        kills_while_writing += u64::from(!report.begun.is_empty());
        begun.extend(report.begun);
        acknowledged.extend(report.acknowledged.clone());
        verify(&dir, &begun, &acknowledged, &report.acknowledged);
    }
    assert!(
        kills_while_writing >= ROUNDS / 2,
        "only {kills_while_writing} kills hit writes"
    );
    assert!(!acknowledged.is_empty());
    let imports = acknowledged
        .keys()
        .filter(|id| size_of(**id) == PER_IMPORT)
        .count();
    eprintln!(
        "{ROUNDS} kills, {kills_while_writing} while writing; {} writes begun, {} acknowledged \
         ({imports} imports)",
        begun.len(),
        acknowledged.len()
    );
}
