//! Benchmark datasets for Tessera: deterministic relationship sets of realistic shape and any
//! size, with permission checks and their expected answers.
//!
//! This crate owns the dataset shapes ([`Shape::Drive`], `dataset.py`'s Google-Drive-like
//! tenants with its very schema, and [`Shape::Github`]), their seeded generators (the same
//! [`GenerateOptions`] always give the same bytes; 10 million relationships take seconds and
//! a few hundred MB), the check mixes, a small reference evaluator that decides the expected
//! answers independently of `tessera-eval`, and the directory format of
//! `/work/shared/bench/dataset.py` (`schema.zed`, `relationships.txt`, `checks.txt`,
//! `meta.json`), read and written alike so datasets go both ways between the two. It loads a
//! dataset into any [`tessera_store::Datastore`]; it does not evaluate permissions (that is
//! `tessera-eval`), speak gRPC or know RocksDB.
//!
//! Check categories of [`Shape::Drive`]: `direct` (a user granted on the document),
//! `group` (through nested groups), `folder_deep` (a grant up a folder chain), `org_admin`,
//! `delete` (the intersection), `banned` (the exclusion), `negative_random` and `public`
//! (`user:*`). Of [`Shape::Github`]: `direct`, `team` (nested teams), `base` (the
//! organisation's base permission), `owner`, `blocked` (the exclusion), `delete` (the
//! intersection), `negative_random` and `public`.
//!
//! ```
//! use tessera_datasets::{Dataset, GenerateOptions, Shape};
//! use tessera_store::MemStore;
//!
//! let options = GenerateOptions { checks: 100, ..GenerateOptions::new(Shape::Drive, 2_000) };
//! let dir = tempfile::tempdir()?;
//! tessera_datasets::generate_into(&options, dir.path())?;
//!
//! let dataset = Dataset::open(dir.path())?;
//! assert_eq!(dataset.meta().relationships, 2_000);
//! assert_eq!(dataset.checks().len(), 100);
//! assert!(dataset.schema_text().starts_with("definition user {}"));
//!
//! let store = MemStore::new();
//! dataset.load_into(&store)?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod drive;
mod error;
mod format;
mod generate;
mod github;
mod model;
mod nesting;
mod reference;
mod rng;

pub use error::DatasetError;
pub use format::{
    CHECKS_FILE, CategoryCount, Check, Dataset, META_FILE, Meta, RELATIONSHIPS_FILE, SCHEMA_FILE,
    load_into,
};
pub use generate::{GENERATOR_VERSION, GenerateOptions, Generated, Shape, generate, generate_into};
