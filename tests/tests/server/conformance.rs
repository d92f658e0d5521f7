//! SpiceDB's conformance corpus and the example schemas, over gRPC: each file is loaded into
//! a fresh server through the API (WriteSchema, ImportBulkRelationships, TOUCH under
//! MUST_MATCH), and every assertion, recorded answer and expected-subjects entry is asked
//! with the generated client. Every question is also asked of the evaluator in-process, and
//! the two must answer the same, caveat context still missing included.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use tessera_validation::{DerivedAnswers, InProcessOracle, ValidationFile, compare_derived, run};
use tokio::runtime::Runtime;

use crate::oracle::{Differential, GrpcOracle, load};
use crate::support::TestServer;

/// `../shared/conformance/spicedb` beside the repository; its absence fails the test.
fn corpus() -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/conformance/spicedb");
    assert!(
        dir.is_dir(),
        "the conformance corpus is not at {}: clone this repository beside `shared/`",
        dir.display()
    );
    dir
}

fn yaml_files(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|err| panic!("reading {}: {err}", dir.display()))
        .map(|entry| entry.expect("a directory entry").path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "yaml"))
        .collect();
    files.sort();
    files
}

fn runtime() -> Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a tokio runtime")
}

/// What running one file found.
#[derive(Debug, Default)]
struct Tally {
    assertions: usize,
    recorded: usize,
    expected_subjects: usize,
    /// Questions asked both over gRPC and in-process.
    compared: usize,
    problems: Vec<String>,
}

/// Loads `file` into a fresh server and asks it everything, next to the in-process evaluator.
fn run_over_grpc(
    runtime: &Runtime,
    name: &str,
    file: &ValidationFile,
    recorded: Option<&DerivedAnswers>,
    tally: &mut Tally,
) {
    let mut problem = |text: String| tally.problems.push(format!("{name}: {text}"));
    let in_process = match InProcessOracle::load(file, name) {
        Ok(oracle) => oracle,
        Err(err) => return problem(format!("in-process: {err}")),
    };
    let server = runtime.block_on(TestServer::start());
    if let Err(err) = runtime.block_on(load(&server, file)) {
        return problem(format!("loading over gRPC: {err}"));
    }
    let client = runtime.block_on(server.permissions());
    let over_grpc = GrpcOracle::new(runtime.handle().clone(), client);
    let both = Differential::new(&over_grpc, &in_process);

    let mut found: Vec<String> = run(file, &both).iter().map(ToString::to_string).collect();
    if let Some(recorded) = recorded {
        found.extend(compare_derived(recorded, &both));
        tally.recorded +=
            recorded.check.len() + recorded.lookup_resources.len() + recorded.lookup_subjects.len();
    }
    found.extend(
        both.differences()
            .into_iter()
            .map(|difference| format!("over gRPC and in-process differ: {difference}")),
    );
    tally.assertions += file.assertions.len();
    tally.expected_subjects += file.expected.len();
    tally.compared += both.compared();
    tally
        .problems
        .extend(found.into_iter().map(|text| format!("{name}: {text}")));

    drop(both);
    drop(over_grpc);
    if let Err(err) = runtime.block_on(server.stop()) {
        tally
            .problems
            .push(format!("{name}: stopping the server: {err}"));
    }
}

/// Runs every file over gRPC (with SpiceDB's recorded answers where `recorded` has them) and
/// fails with every problem found.
fn run_all(files: &[PathBuf], recorded: &BTreeMap<String, DerivedAnswers>) -> Tally {
    let runtime = runtime();
    let mut tally = Tally::default();
    for path in files {
        let name = path
            .file_name()
            .expect("a file name")
            .to_string_lossy()
            .into_owned();
        match ValidationFile::read(path) {
            Ok(file) => run_over_grpc(&runtime, &name, &file, recorded.get(&name), &mut tally),
            Err(err) => tally.problems.push(format!("{name}: {err}")),
        }
    }
    eprintln!(
        "over gRPC: {} files, {} assertions, {} recorded answers, {} expected-subjects \
         entries; {} questions also asked in-process",
        files.len(),
        tally.assertions,
        tally.recorded,
        tally.expected_subjects,
        tally.compared
    );
    assert!(
        tally.problems.is_empty(),
        "{} problems:\n{}",
        tally.problems.len(),
        tally.problems.join("\n")
    );
    tally
}

#[test]
fn every_conformance_file_answers_over_grpc_as_spicedb_and_the_evaluator_do() {
    let dir = corpus();
    let recorded_json = std::fs::read_to_string(dir.join("expected-derived.json"))
        .expect("the recorded answers are readable");
    let recorded =
        tessera_validation::parse_derived(&recorded_json).expect("the recorded answers parse");
    let files = yaml_files(&dir);
    assert!(
        files.len() >= 40,
        "expected the whole corpus, found {} files",
        files.len()
    );
    let tally = run_all(&files, &recorded);
    // Every answer was compared with the evaluator's, so none can pass unasked.
    assert!(tally.assertions > 0 && tally.recorded > 0);
    assert!(tally.compared >= tally.assertions + tally.recorded);
}

#[test]
fn every_example_schema_validates_over_grpc_with_client_side_expansion() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../schema");
    let files = yaml_files(&dir);
    assert!(
        files.len() >= 4,
        "expected the example schemas in {}",
        dir.display()
    );
    let tally = run_all(&files, &BTreeMap::new());
    // The expansions must have been asked over gRPC, not skipped.
    assert!(tally.expected_subjects > 0);
}
