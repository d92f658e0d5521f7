//! Generated datasets survive the directory format, are what they claim (exact size, unique
//! relationships, deep nesting, every check category), stay byte-identical for a seed, and
//! `tessera-eval` gives the reference's expected answer to every check — for our shapes and
//! for a dataset made by `dataset.py`.

#![expect(
    clippy::unwrap_used,
    reason = "a failure in a test helper is a test failure"
)]

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;

use tessera_datasets::{
    Check, Dataset, GenerateOptions, RELATIONSHIPS_FILE, Shape, generate, generate_into,
};
use tessera_eval::{CheckCache, CheckRequest, EvalConfig, Evaluator, Permissionship};
use tessera_store::{Datastore, MemStore};

fn options(shape: Shape, relationships: usize, checks: usize) -> GenerateOptions {
    GenerateOptions {
        checks,
        ..GenerateOptions::new(shape, relationships)
    }
}

/// Writes a dataset into a fresh directory and opens it again.
fn round_trip(options: &GenerateOptions) -> (tempfile::TempDir, Dataset) {
    let dir = tempfile::tempdir().unwrap();
    generate_into(options, dir.path()).unwrap();
    let dataset = Dataset::open(dir.path()).unwrap();
    (dir, dataset)
}

/// The checks `tessera-eval` (over a `MemStore`, without and then with a warm check cache)
/// answers differently from `checks.txt`, described.
fn disagreements(dataset: &Dataset) -> Vec<String> {
    let store = Arc::new(MemStore::new());
    dataset.load_into(store.as_ref()).unwrap();
    let schema = Arc::new(tessera_schema::compile(dataset.schema_text()).unwrap());
    let plain = Evaluator::for_schema(Arc::clone(&schema), EvalConfig::default()).unwrap();
    let cache = CheckCache::new(&schema, Arc::clone(&store) as Arc<dyn Datastore>, 100_000);
    let cached = plain.clone().with_cache(Arc::new(cache));
    let snapshot = store.snapshot(store.head_revision()).unwrap();
    let mut wrong = Vec::new();
    for (evaluator, pass) in [
        (&plain, "uncached"),
        (&cached, "cold cache"),
        (&cached, "warm cache"),
    ] {
        for check in dataset.checks() {
            let request = CheckRequest {
                resource: check.resource.clone(),
                permission: check.permission.clone(),
                subject: check.subject.clone(),
                context: Default::default(),
            };
            match evaluator.check(&*snapshot, &request, false) {
                Ok(result) if (result.permissionship == Permissionship::Has) == check.expected => {}
                Ok(result) => {
                    wrong.push(format!("{pass}: {check}: got {:?}", result.permissionship))
                }
                Err(err) => wrong.push(format!("{pass}: {check}: error {err}")),
            }
        }
    }
    wrong
}

fn categories(checks: &[Check]) -> HashSet<&str> {
    checks.iter().map(|c| c.category.as_str()).collect()
}

#[test]
fn tessera_eval_agrees_with_every_expected_answer_of_the_drive_shape() {
    let (_dir, dataset) = round_trip(&options(Shape::Drive, 30_000, 3_000));
    let wrong = disagreements(&dataset);
    assert!(
        wrong.is_empty(),
        "{} wrong answers: {:#?}",
        wrong.len(),
        &wrong[..wrong.len().min(20)]
    );
    let expected: HashSet<&str> = [
        "direct",
        "group",
        "folder_deep",
        "org_admin",
        "delete",
        "banned",
        "negative_random",
        "public",
    ]
    .into();
    assert_eq!(categories(dataset.checks()), expected);
}

#[test]
fn tessera_eval_agrees_with_every_expected_answer_of_the_github_shape() {
    let (_dir, dataset) = round_trip(&options(Shape::Github, 30_000, 3_000));
    let wrong = disagreements(&dataset);
    assert!(
        wrong.is_empty(),
        "{} wrong answers: {:#?}",
        wrong.len(),
        &wrong[..wrong.len().min(20)]
    );
    let expected: HashSet<&str> = [
        "direct",
        "team",
        "base",
        "owner",
        "blocked",
        "delete",
        "negative_random",
        "public",
    ]
    .into();
    assert_eq!(categories(dataset.checks()), expected);
}

#[test]
fn check_categories_carry_the_answers_their_names_promise() {
    for shape in [Shape::Drive, Shape::Github] {
        let generated = generate(&options(shape, 250_000, 5_000)).unwrap();
        let by_category = &generated.meta().checks_by_category;
        let ratio = |category: &str| {
            let count = by_category[category];
            count.expected_true as f64 / count.n as f64
        };
        // A direct grant allows unless the user is also banned (or blocked), which is rare.
        assert!(ratio("direct") > 0.95, "{shape}: direct grants allow");
        assert!(
            ratio("negative_random") < 0.2,
            "{shape}: random pairs are mostly denied"
        );
        // Exclusions deny, except a folder's `edit`, which has none (as in `dataset.py`).
        let excluded = if shape == Shape::Drive {
            "banned"
        } else {
            "blocked"
        };
        assert!(ratio(excluded) < 0.05, "{shape}: exclusions deny");
        let delete = ratio("delete");
        assert!(
            delete > 0.1 && delete < 0.9,
            "{shape}: the intersection goes both ways ({delete})"
        );
    }
}

#[test]
fn datasets_have_the_exact_size_unique_relationships_and_deep_nesting() {
    for shape in [Shape::Drive, Shape::Github] {
        let (dir, dataset) = round_trip(&options(shape, 100_000, 100));
        assert_eq!(dataset.meta().relationships, 100_000);
        let lines: Vec<String> = dataset
            .relationships()
            .unwrap()
            .map(|r| r.unwrap().to_string())
            .collect();
        assert_eq!(lines.len(), 100_000, "{shape}");
        let unique: HashSet<&String> = lines.iter().collect();
        assert_eq!(
            unique.len(),
            lines.len(),
            "{shape}: duplicate relationships"
        );
        let text = std::fs::read_to_string(dir.path().join(RELATIONSHIPS_FILE)).unwrap();
        assert_eq!(
            text,
            lines.join("\n") + "\n",
            "{shape}: lines are printed as parsed"
        );
        let facts = &dataset.meta().facts;
        match shape {
            Shape::Drive => {
                assert_eq!(facts["max_group_level"], 4, "groups nest 5 levels");
                assert_eq!(facts["max_folder_depth"], 5, "folders nest 6 levels");
            }
            Shape::Github => assert_eq!(facts["max_team_level"], 3, "teams nest 4 levels"),
        }
    }
}

/// FNV-1a over the dataset files, to pin the generators' output.
fn fingerprint(dir: &Path) -> u64 {
    let mut hash: u64 = 0xCBF2_9CE4_8422_2325;
    for file in ["schema.zed", "relationships.txt", "checks.txt"] {
        for byte in std::fs::read(dir.join(file)).unwrap() {
            hash = (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01B3);
        }
    }
    hash
}

#[test]
fn a_seed_always_gives_the_same_bytes() {
    let (first, _) = round_trip(&options(Shape::Drive, 5_000, 300));
    let (again, _) = round_trip(&options(Shape::Drive, 5_000, 300));
    let other = GenerateOptions {
        seed: 2,
        ..options(Shape::Drive, 5_000, 300)
    };
    let (other, _) = round_trip(&other);
    assert_eq!(fingerprint(first.path()), fingerprint(again.path()));
    assert_ne!(fingerprint(first.path()), fingerprint(other.path()));
    // Benchmark results are compared across versions of this crate by dataset name (shape,
    // size, seed). If this changes, the generator's output changed: bump GENERATOR_VERSION
    // and update these values.
    let (github, _) = round_trip(&options(Shape::Github, 5_000, 300));
    assert_eq!(
        (fingerprint(first.path()), fingerprint(github.path())),
        (17_529_574_356_490_807_873, 2_585_580_530_526_555_600),
        "generator output changed"
    );
}

#[test]
fn the_drive_schema_is_dataset_py_s_to_the_byte() {
    let expected = "\
definition user {}

definition organization {
    relation admin: user
    relation member: user
    permission administer = admin
    permission membership = member + admin
}

definition group {
    relation manager: user
    relation member: user | group#member
    permission membership = member + manager
}

definition folder {
    relation org: organization
    relation parent: folder
    relation owner: user
    relation editor: user | group#member
    relation reader: user | user:* | group#member
    relation banned: user
    permission edit = owner + editor + parent->edit + org->administer
    permission view = (reader + edit + parent->view) - banned
    permission in_org = org->membership
}

definition document {
    relation folder: folder
    relation owner: user
    relation editor: user | group#member
    relation reader: user | user:* | group#member
    relation banned: user
    permission edit = (owner + editor + folder->edit) - banned
    permission view = (reader + edit + folder->view) - banned
    permission delete = (owner + folder->edit) & folder->in_org
}
";
    assert_eq!(Shape::Drive.schema_text(), expected);
    for shape in [Shape::Drive, Shape::Github] {
        tessera_schema::compile(&shape.schema_text())
            .unwrap_or_else(|err| panic!("{shape} schema does not compile: {err}"));
    }
}

/// `dataset.py` in the shared folder beside the repository (`TESSERA_SHARED_DIR` overrides).
fn dataset_py() -> Option<PathBuf> {
    let shared = std::env::var_os("TESSERA_SHARED_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared"));
    let script = shared.join("bench/dataset.py");
    script.is_file().then_some(script)
}

#[test]
fn reads_a_dataset_py_dataset_and_tessera_eval_agrees_with_it() {
    let Some(script) = dataset_py() else {
        eprintln!(
            "SKIPPED reads_a_dataset_py_dataset_and_tessera_eval_agrees_with_it: \
             ../shared/bench/dataset.py not found (set TESSERA_SHARED_DIR)"
        );
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("ds");
    let run = Command::new("python3")
        .arg(&script)
        .args(["--relationships", "20000", "--seed", "1", "--out"])
        .arg(&out)
        .output();
    let run = match run {
        Ok(run) => run,
        Err(err) => {
            eprintln!(
                "SKIPPED reads_a_dataset_py_dataset_and_tessera_eval_agrees_with_it: \
                 cannot run python3: {err}"
            );
            return;
        }
    };
    assert!(
        run.status.success(),
        "dataset.py failed: {}",
        String::from_utf8_lossy(&run.stderr)
    );
    let dataset = Dataset::open(&out).unwrap();
    assert_eq!(dataset.meta().relationships, 20_000);
    assert_eq!(dataset.meta().shape, None);
    assert_eq!(dataset.schema_text(), Shape::Drive.schema_text());
    assert_eq!(dataset.relationships().unwrap().count(), 20_000);
    assert_eq!(dataset.checks().len(), 10_000);
    let wrong = disagreements(&dataset);
    assert!(
        wrong.is_empty(),
        "{} wrong answers: {:#?}",
        wrong.len(),
        &wrong[..wrong.len().min(20)]
    );
}
