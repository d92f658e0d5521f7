//! The dataset directory of `/work/shared/bench/dataset.py`, read and written byte for byte
//! alike, so its datasets load here and ours feed its `bench_check.py`:
//!
//! - `schema.zed`: the schema text;
//! - `relationships.txt`: one relationship per line, `type:id#relation@type:id[#relation]`
//!   (blank lines and `//` comments are skipped when reading);
//! - `checks.txt`: one check per line, `type:id#permission@type:id true|false category`;
//! - `meta.json`: parameters, counts and per-category expected-true counts.

use std::collections::BTreeMap;
use std::fmt;
use std::fs::File;
use std::io::{self, BufRead, BufReader, BufWriter, Write};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use tessera_store::{Datastore, SchemaWrite};
use tessera_types::{ObjectRef, Relationship, Revision, SubjectRef};

use crate::error::DatasetError;

/// The schema file of a dataset directory.
pub const SCHEMA_FILE: &str = "schema.zed";
/// The relationships file of a dataset directory.
pub const RELATIONSHIPS_FILE: &str = "relationships.txt";
/// The checks file of a dataset directory.
pub const CHECKS_FILE: &str = "checks.txt";
/// The metadata file of a dataset directory.
pub const META_FILE: &str = "meta.json";

/// A permission question with its expected answer: a line of `checks.txt`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Check {
    /// The object asked about.
    pub resource: ObjectRef,
    /// The permission (or relation) asked for.
    pub permission: String,
    /// Who asks.
    pub subject: SubjectRef,
    /// The right answer.
    pub expected: bool,
    /// What the check exercises, e.g. `folder_deep` (see the shapes for the lists).
    pub category: String,
}

impl Check {
    /// Parses a `checks.txt` line: `type:id#permission@subject true|false [category]`.
    ///
    /// # Errors
    /// A message saying what is malformed.
    pub fn parse(line: &str) -> Result<Self, String> {
        let mut parts = line.split_whitespace();
        let question: Relationship = parts
            .next()
            .ok_or("empty check")?
            .parse()
            .map_err(|err| format!("{err}"))?;
        let expected = match parts.next() {
            Some("true") => true,
            Some("false") => false,
            Some(other) => return Err(format!("expected `true` or `false`, found `{other}`")),
            None => return Err("the expected answer (`true` or `false`) is missing".into()),
        };
        let category = parts.next().unwrap_or_default().to_owned();
        if let Some(extra) = parts.next() {
            return Err(format!("unexpected `{extra}` after the category"));
        }
        Ok(Self {
            resource: question.resource().clone(),
            permission: question.relation().to_owned(),
            subject: question.subject().clone(),
            expected,
            category,
        })
    }
}

impl fmt::Display for Check {
    /// The `checks.txt` line, without the newline.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}#{}@{} {} {}",
            self.resource, self.permission, self.subject, self.expected, self.category
        )
    }
}

/// How many checks of a category there are, and how many are expected to be allowed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CategoryCount {
    /// Checks in the category.
    pub n: u64,
    /// Of which expected `true`.
    #[serde(rename = "true")]
    pub expected_true: u64,
}

/// `meta.json`: what a dataset is and holds. The fields `dataset.py` writes, plus `generator`
/// and `shape` when this crate wrote it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Meta {
    /// The generator's version: the same version, shape, size and seed give the same data.
    pub generator_version: u32,
    /// `tessera-datasets`; absent from `dataset.py`'s datasets.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub generator: Option<String>,
    /// The shape (`drive`, `github`); absent from `dataset.py`'s (which are `drive`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shape: Option<String>,
    /// The seed.
    pub seed: u64,
    /// How many relationships.
    pub relationships: u64,
    /// How many objects of each kind, e.g. `users`.
    pub entities: BTreeMap<String, u64>,
    /// Shape-specific facts, e.g. `max_group_level` and `max_folder_depth`.
    #[serde(flatten)]
    pub facts: BTreeMap<String, serde_json::Value>,
    /// Relationships per kind, `type#relation@subject_type[#subject_relation]`.
    pub relationship_kinds: BTreeMap<String, u64>,
    /// How many checks.
    pub checks: u64,
    /// Of which expected `true`.
    pub checks_expected_true: u64,
    /// Checks per category.
    pub checks_by_category: BTreeMap<String, CategoryCount>,
    /// Time spent, e.g. `generate` and `evaluate_checks`, in seconds.
    pub seconds: BTreeMap<String, f64>,
}

/// A dataset directory, opened: its schema, checks and metadata in memory, its relationships
/// streamed from the file on demand (ten million lines need not fit in memory).
#[derive(Clone, Debug)]
pub struct Dataset {
    dir: PathBuf,
    schema: String,
    checks: Vec<Check>,
    meta: Meta,
}

impl Dataset {
    /// Opens the dataset in `dir`, reading everything but the relationships.
    ///
    /// # Errors
    /// [`DatasetError::Io`] for a missing or unreadable file, [`DatasetError::Syntax`] for a
    /// malformed check, [`DatasetError::Meta`] for a malformed `meta.json`.
    pub fn open(dir: impl AsRef<Path>) -> Result<Self, DatasetError> {
        let dir = dir.as_ref().to_path_buf();
        let schema_path = dir.join(SCHEMA_FILE);
        let schema =
            std::fs::read_to_string(&schema_path).map_err(io_error("read", &schema_path))?;
        let meta_path = dir.join(META_FILE);
        let meta_text =
            std::fs::read_to_string(&meta_path).map_err(io_error("read", &meta_path))?;
        let meta = serde_json::from_str(&meta_text).map_err(|source| DatasetError::Meta {
            path: meta_path,
            source,
        })?;
        let checks_path = dir.join(CHECKS_FILE);
        let mut checks = Vec::new();
        for (number, line) in lines(&checks_path)? {
            let line = line?;
            if line.trim().is_empty() {
                continue;
            }
            checks.push(Check::parse(&line).map_err(|message| DatasetError::Syntax {
                path: checks_path.clone(),
                line: number,
                message,
            })?);
        }
        Ok(Self {
            dir,
            schema,
            checks,
            meta,
        })
    }

    /// The directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The schema text.
    pub fn schema_text(&self) -> &str {
        &self.schema
    }

    /// The checks with their expected answers, in file order.
    pub fn checks(&self) -> &[Check] {
        &self.checks
    }

    /// The metadata.
    pub fn meta(&self) -> &Meta {
        &self.meta
    }

    /// The relationships, read from the file one line at a time.
    ///
    /// # Errors
    /// [`DatasetError::Io`] when the file cannot be opened; each item may be a
    /// [`DatasetError::Syntax`] or [`DatasetError::Io`] error for its line.
    pub fn relationships(
        &self,
    ) -> Result<impl Iterator<Item = Result<Relationship, DatasetError>> + use<>, DatasetError>
    {
        let path = self.dir.join(RELATIONSHIPS_FILE);
        Ok(lines(&path)?.filter_map(move |(number, line)| {
            let line = match line {
                Ok(line) => line,
                Err(err) => return Some(Err(err)),
            };
            let line = line.trim();
            if line.is_empty() || line.starts_with("//") {
                return None;
            }
            Some(line.parse().map_err(|err| DatasetError::Syntax {
                path: path.clone(),
                line: number,
                message: format!("{err}"),
            }))
        }))
    }

    /// Writes the schema into `store` and bulk-imports the relationships; returns the
    /// revision at which they became visible.
    ///
    /// # Errors
    /// See [`load_into`].
    pub fn load_into(&self, store: &dyn Datastore) -> Result<Revision, DatasetError> {
        load_into(store, &self.schema, self.relationships()?)
    }
}

/// Writes `schema` into `store`, then bulk-imports `relationships` at one new revision, which
/// it returns.
///
/// # Errors
/// [`DatasetError::Store`] when the store refuses the schema or a relationship (e.g. a
/// duplicate); the first error in `relationships` ends the import and is returned — the
/// relationships before it are then in the store, so load into a fresh store and discard it
/// on error.
pub fn load_into(
    store: &dyn Datastore,
    schema: &str,
    relationships: impl Iterator<Item = Result<Relationship, DatasetError>>,
) -> Result<Revision, DatasetError> {
    store.write_schema(SchemaWrite {
        text: schema.to_owned(),
        preconditions: Vec::new(),
    })?;
    let mut failure = None;
    let revision = {
        let mut valid = relationships
            .map_while(|relationship| relationship.map_err(|err| failure = Some(err)).ok());
        store.bulk_import(&mut valid)?.0
    };
    match failure {
        Some(err) => Err(err),
        None => Ok(revision),
    }
}

/// The lines of `path` with their 1-based numbers.
fn lines(
    path: &Path,
) -> Result<impl Iterator<Item = (usize, Result<String, DatasetError>)> + use<>, DatasetError> {
    let file = File::open(path).map_err(io_error("read", path))?;
    let path = path.to_path_buf();
    Ok(BufReader::new(file)
        .lines()
        .enumerate()
        .map(move |(i, line)| (i + 1, line.map_err(io_error("read", &path)))))
}

/// Maps an I/O error on `path` while doing `action`.
pub(crate) fn io_error(action: &'static str, path: &Path) -> impl Fn(io::Error) -> DatasetError {
    let path = path.to_path_buf();
    move |source| DatasetError::Io {
        action,
        path: path.clone(),
        source,
    }
}

/// Writes a dataset directory: `schema`, the relationship lines `write_relationships`
/// produces, `checks` and `meta`. Creates the directory if needed.
pub(crate) fn write_dir(
    dir: &Path,
    schema: &str,
    write_relationships: impl FnOnce(&mut dyn Write) -> io::Result<()>,
    checks: &[Check],
    meta: &Meta,
) -> Result<(), DatasetError> {
    std::fs::create_dir_all(dir).map_err(io_error("create", dir))?;
    let schema_path = dir.join(SCHEMA_FILE);
    std::fs::write(&schema_path, schema).map_err(io_error("write", &schema_path))?;
    write_file(&dir.join(RELATIONSHIPS_FILE), write_relationships)?;
    write_file(&dir.join(CHECKS_FILE), |out| {
        checks.iter().try_for_each(|check| writeln!(out, "{check}"))
    })?;
    let meta_path = dir.join(META_FILE);
    let mut text = serde_json::to_string_pretty(meta).map_err(|source| DatasetError::Meta {
        path: meta_path.clone(),
        source,
    })?;
    text.push('\n');
    std::fs::write(&meta_path, text).map_err(io_error("write", &meta_path))
}

fn write_file(
    path: &Path,
    write: impl FnOnce(&mut dyn Write) -> io::Result<()>,
) -> Result<(), DatasetError> {
    let file = File::create(path).map_err(io_error("write", path))?;
    let mut out = BufWriter::with_capacity(1 << 20, file);
    write(&mut out)
        .and_then(|()| out.flush())
        .map_err(io_error("write", path))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn check_lines_round_trip() {
        let line = "document:d7#view@user:u3 false negative_random";
        let check = Check::parse(line).unwrap();
        assert_eq!(check.resource.to_string(), "document:d7");
        assert_eq!(check.permission, "view");
        assert_eq!(check.subject.to_string(), "user:u3");
        assert!(!check.expected);
        assert_eq!(check.category, "negative_random");
        assert_eq!(check.to_string(), line);
    }

    #[test]
    fn malformed_check_lines_say_what_is_wrong() {
        assert_eq!(
            Check::parse("document:d7#view@user:u3 maybe x").unwrap_err(),
            "expected `true` or `false`, found `maybe`"
        );
        assert!(
            Check::parse("document:d7#view@user:u3")
                .unwrap_err()
                .contains("missing")
        );
        assert!(Check::parse("document:d7@user:u3 true x").is_err());
    }

    #[test]
    fn meta_keeps_unknown_facts_and_reads_dataset_py_output() {
        let text = r#"{
  "generator_version": 1,
  "seed": 1,
  "relationships": 3,
  "entities": {"organizations": 2, "users": 50},
  "max_group_level": 4,
  "max_folder_depth": 5,
  "relationship_kinds": {"document#owner@user": 3},
  "checks": 2,
  "checks_expected_true": 1,
  "checks_by_category": {"direct": {"n": 2, "true": 1}},
  "seconds": {"generate": 0.1, "evaluate_checks": 0.0}
}"#;
        let meta: Meta = serde_json::from_str(text).unwrap();
        assert_eq!(meta.shape, None);
        assert_eq!(meta.facts["max_folder_depth"], 5);
        assert_eq!(meta.checks_by_category["direct"].expected_true, 1);
        let again: Meta = serde_json::from_str(&serde_json::to_string(&meta).unwrap()).unwrap();
        assert_eq!(again, meta);
    }
}
