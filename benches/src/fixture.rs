//! Evaluator benchmark fixtures: a `tessera-datasets` dataset loaded into a [`RocksStore`],
//! built once and kept between runs.
//!
//! Loading a million relationships into RocksDB takes longer than most benchmarks measure, so
//! each dataset lives in a cache directory named by shape, size, seed and generator version
//! (`$TESSERA_BENCH_DATA`, by default `bench-data/` in the Cargo target directory): the
//! dataset files in `dataset/`, the loaded store in `rocksdb/`, and a `loaded` marker written
//! only once the import succeeded. A store that cannot be opened (e.g. after an on-disk format
//! change) is rebuilt.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use tessera_datasets::{Dataset, DatasetError, GENERATOR_VERSION, GenerateOptions, Shape};
use tessera_eval::{CheckCache, CheckRequest, EvalConfig, EvalError, Evaluator, Permissionship};
use tessera_schema::ir::Schema;
use tessera_store::{Datastore, Snapshot, StoreError};
use tessera_store_rocksdb::{RocksConfig, RocksStore};

/// The seed of every benchmark dataset.
pub const SEED: u64 = 1;
/// Checks generated per dataset.
const CHECKS: usize = 10_000;
/// Set to `1` to add the ten-million-relationship datasets.
pub const TEN_MILLION_VAR: &str = "TESSERA_BENCH_10M";
/// Overrides where datasets are cached.
pub const DATA_DIR_VAR: &str = "TESSERA_BENCH_DATA";
/// Entries of the check cache in the cached runs: every sub-answer of the whole check mix
/// fits, so warm runs measure hits.
pub const CACHE_CAPACITY: usize = 1_000_000;

/// Why a fixture could not be built.
#[derive(Debug, thiserror::Error)]
pub enum FixtureError {
    /// Generating, reading or loading the dataset failed.
    #[error(transparent)]
    Dataset(#[from] DatasetError),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The evaluator failed.
    #[error(transparent)]
    Eval(#[from] EvalError),
    /// The dataset's schema does not compile.
    #[error("the dataset schema does not compile: {0}")]
    Schema(String),
    /// The cache directory could not be prepared.
    #[error("cannot {action} `{}`: {source}", path.display())]
    Io {
        /// What was being done.
        action: &'static str,
        /// Where.
        path: PathBuf,
        /// The file-system error.
        source: std::io::Error,
    },
    /// `tessera-eval` disagrees with the dataset's expected answers.
    #[error("{wrong} of {total} checks answered wrongly, e.g. {example}")]
    WrongAnswers {
        /// How many.
        wrong: usize,
        /// Out of.
        total: usize,
        /// The first one.
        example: String,
    },
}

/// The relationship counts to benchmark: 100k and 1M, plus 10M when
/// `TESSERA_BENCH_10M=1`.
pub fn sizes() -> Vec<usize> {
    let mut sizes = vec![100_000, 1_000_000];
    if std::env::var(TEN_MILLION_VAR).is_ok_and(|v| v == "1") {
        sizes.push(10_000_000);
    }
    sizes
}

/// `100k`, `1m`, `10m`: a size as benchmark ids spell it.
pub fn size_label(relationships: usize) -> String {
    match relationships {
        n if n >= 1_000_000 && n % 1_000_000 == 0 => format!("{}m", n / 1_000_000),
        n if n >= 1_000 && n % 1_000 == 0 => format!("{}k", n / 1_000),
        n => n.to_string(),
    }
}

/// One question of the dataset with its expected answer.
#[derive(Clone, Debug)]
pub struct LabelledCheck {
    /// The question.
    pub request: CheckRequest,
    /// The right answer.
    pub expected: bool,
    /// Its category.
    pub category: String,
}

/// A dataset loaded into RocksDB, ready to evaluate.
#[derive(Debug)]
pub struct Fixture {
    /// The dataset files (schema, checks, metadata).
    pub dataset: Dataset,
    /// The loaded store.
    pub store: Arc<RocksStore>,
    /// The compiled schema.
    pub schema: Arc<Schema>,
    /// A snapshot at the store's head.
    pub snapshot: Arc<dyn Snapshot>,
    /// The dataset's checks, in file order.
    pub checks: Vec<LabelledCheck>,
}

impl Fixture {
    /// The dataset of `shape` with `relationships` relationships (seed [`SEED`]), generated
    /// and loaded on first use, reopened afterwards.
    ///
    /// # Errors
    /// Any failure to generate, load, open or compile.
    pub fn open(shape: Shape, relationships: usize) -> Result<Self, FixtureError> {
        let dir = data_dir().join(format!(
            "{shape}-{}-seed{SEED}-v{GENERATOR_VERSION}",
            size_label(relationships)
        ));
        let dataset = cached_dataset(&dir.join("dataset"), shape, relationships)?;
        let store = Arc::new(cached_store(&dir, &dataset)?);
        let schema = tessera_schema::compile(dataset.schema_text())
            .map_err(|err| FixtureError::Schema(err.to_string()))?;
        let snapshot = store.snapshot(store.head_revision())?;
        let checks = dataset
            .checks()
            .iter()
            .map(|check| LabelledCheck {
                request: CheckRequest {
                    resource: check.resource.clone(),
                    permission: check.permission.clone(),
                    subject: check.subject.clone(),
                    context: Default::default(),
                },
                expected: check.expected,
                category: check.category.clone(),
            })
            .collect();
        Ok(Self {
            dataset,
            store,
            schema: Arc::new(schema),
            snapshot,
            checks,
        })
    }

    /// An evaluator without a cross-request cache: every check does its whole walk.
    ///
    /// # Errors
    /// Caveats that do not compile (the datasets have none).
    pub fn evaluator(&self) -> Result<Evaluator, FixtureError> {
        Ok(Evaluator::for_schema(
            Arc::clone(&self.schema),
            EvalConfig::default(),
        )?)
    }

    /// An evaluator with a fresh [`CheckCache`] of [`CACHE_CAPACITY`] entries.
    ///
    /// # Errors
    /// As [`Fixture::evaluator`].
    pub fn cached_evaluator(&self) -> Result<Evaluator, FixtureError> {
        let store = Arc::clone(&self.store) as Arc<dyn Datastore>;
        let cache = CheckCache::new(&self.schema, store, CACHE_CAPACITY);
        Ok(self.evaluator()?.with_cache(Arc::new(cache)))
    }

    /// The checks grouped by category, categories in order of first appearance.
    pub fn by_category(&self) -> Vec<(String, Vec<LabelledCheck>)> {
        let mut order = Vec::new();
        let mut groups: BTreeMap<&str, Vec<LabelledCheck>> = BTreeMap::new();
        for check in &self.checks {
            let group = groups.entry(&check.category).or_insert_with(|| {
                order.push(check.category.clone());
                Vec::new()
            });
            group.push(check.clone());
        }
        order
            .into_iter()
            .map(|category| {
                let checks = groups.remove(category.as_str()).unwrap_or_default();
                (category, checks)
            })
            .collect()
    }

    /// Runs `checks` once with `evaluator` (warming the block cache, and the check cache if
    /// it has one) and fails unless every answer is the expected one.
    ///
    /// # Errors
    /// [`FixtureError::WrongAnswers`], or an evaluation error.
    pub fn verify(
        &self,
        evaluator: &Evaluator,
        checks: &[LabelledCheck],
    ) -> Result<(), FixtureError> {
        let mut wrong = Vec::new();
        for check in checks {
            let result = evaluator.check(&*self.snapshot, &check.request, false)?;
            if (result.permissionship == Permissionship::Has) != check.expected {
                wrong.push(format!(
                    "{}#{}@{} expected {} got {:?}",
                    check.request.resource,
                    check.request.permission,
                    check.request.subject,
                    check.expected,
                    result.permissionship
                ));
            }
        }
        match wrong.first() {
            None => Ok(()),
            Some(example) => Err(FixtureError::WrongAnswers {
                wrong: wrong.len(),
                total: checks.len(),
                example: example.clone(),
            }),
        }
    }
}

/// Where datasets are cached: `$TESSERA_BENCH_DATA`, else `bench-data/` in the target
/// directory of the running benchmark (`<target>/release/deps/<bench>`), else the temporary
/// directory.
pub fn data_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os(DATA_DIR_VAR) {
        return PathBuf::from(dir);
    }
    std::env::current_exe()
        .ok()
        .and_then(|exe| Some(exe.parent()?.parent()?.parent()?.join("bench-data")))
        .unwrap_or_else(|| std::env::temp_dir().join("tessera-bench-data"))
}

/// The dataset in `dir`, generated there first if it is missing.
fn cached_dataset(dir: &Path, shape: Shape, relationships: usize) -> Result<Dataset, FixtureError> {
    if let Ok(dataset) = Dataset::open(dir) {
        return Ok(dataset);
    }
    let partial = dir.with_extension("partial");
    remove(&partial)?;
    let started = Instant::now();
    let options = GenerateOptions {
        shape,
        relationships,
        seed: SEED,
        checks: CHECKS,
    };
    tessera_datasets::generate_into(&options, &partial)?;
    remove(dir)?;
    std::fs::rename(&partial, dir).map_err(|source| FixtureError::Io {
        action: "rename",
        path: partial.clone(),
        source,
    })?;
    eprintln!(
        "generated {shape} {relationships} into {} in {:.1?}",
        dir.display(),
        started.elapsed()
    );
    Ok(Dataset::open(dir)?)
}

/// The store under `dir` holding `dataset`, loaded first if needed.
fn cached_store(dir: &Path, dataset: &Dataset) -> Result<RocksStore, FixtureError> {
    let path = dir.join("rocksdb");
    let marker = dir.join("loaded");
    if marker.exists() {
        match RocksStore::open(&path, config()) {
            Ok(store) => return Ok(store),
            Err(err) => eprintln!("rebuilding {}: {err}", path.display()),
        }
    }
    remove(&marker)?;
    remove(&path)?;
    let store = RocksStore::open(&path, config())?;
    let started = Instant::now();
    dataset.load_into(&store)?;
    eprintln!(
        "loaded {} relationships into {} in {:.1?}",
        dataset.meta().relationships,
        path.display(),
        started.elapsed()
    );
    std::fs::write(&marker, b"").map_err(|source| FixtureError::Io {
        action: "write",
        path: marker,
        source,
    })?;
    Ok(store)
}

/// A 1 GiB block cache, so the 1M store stays in memory once warm, and no garbage
/// collection pass inside a measurement.
fn config() -> RocksConfig {
    RocksConfig {
        block_cache_bytes: 1 << 30,
        gc_interval: Duration::from_secs(24 * 60 * 60),
        ..RocksConfig::default()
    }
}

/// Removes a file or directory if it exists.
fn remove(path: &Path) -> Result<(), FixtureError> {
    let result = if path.is_dir() {
        std::fs::remove_dir_all(path)
    } else if path.exists() {
        std::fs::remove_file(path)
    } else {
        Ok(())
    };
    result.map_err(|source| FixtureError::Io {
        action: "remove",
        path: path.to_path_buf(),
        source,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_are_labelled_as_people_say_them() {
        assert_eq!(size_label(100_000), "100k");
        assert_eq!(size_label(1_000_000), "1m");
        assert_eq!(size_label(10_000_000), "10m");
        assert_eq!(size_label(1_500), "1500");
    }
}
