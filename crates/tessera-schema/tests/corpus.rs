//! Real schemas compile, and format to text that compiles to the same schema: every
//! `schema:` of SpiceDB's conformance corpus (in the shared folder next to the repository)
//! and every example in the repository's `schema/` folder.

#![expect(
    clippy::unwrap_used,
    clippy::panic,
    reason = "helpers of a test: a failure is the test failing"
)]

mod common;

use std::fs;
use std::path::{Path, PathBuf};

fn repository_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Files with `extension` in `dir`, sorted; `None` when the folder does not exist.
fn files(dir: &Path, extension: &str) -> Option<Vec<PathBuf>> {
    let entries = fs::read_dir(dir).ok()?;
    let mut files: Vec<PathBuf> = entries
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|e| e == extension))
        .collect();
    files.sort();
    Some(files)
}

#[derive(serde::Deserialize)]
struct ValidationFile {
    schema: Option<String>,
}

/// The `schema:` of a validation file (only its first YAML document counts).
fn schema_of(path: &Path) -> String {
    let text = fs::read_to_string(path).unwrap();
    let document = serde_yaml_ng::Deserializer::from_str(&text)
        .next()
        .unwrap_or_else(|| panic!("{} has no YAML document", path.display()));
    let file: ValidationFile = serde::Deserialize::deserialize(document)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    file.schema
        .unwrap_or_else(|| panic!("{} has no schema", path.display()))
}

fn assert_compiles_and_formats(name: &str, source: &str) {
    if let Err(diagnostics) = tessera_schema::compile_named(name, source) {
        panic!("{name} does not compile:\n{diagnostics}");
    }
    let formatted = tessera_schema::format(source).unwrap();
    common::assert_same_meaning(name, source, &formatted);
}

#[test]
fn every_conformance_schema_compiles() {
    let dir = repository_root().join("../shared/conformance/spicedb");
    let files = files(&dir, "yaml").unwrap_or_else(|| {
        panic!(
            "the conformance corpus is not at {}: clone this repository beside `shared/`",
            dir.display()
        )
    });
    assert!(
        !files.is_empty(),
        "no validation files in {}",
        dir.display()
    );
    for path in files {
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        assert_compiles_and_formats(&name, &schema_of(&path));
    }
}

#[test]
fn every_example_schema_compiles() {
    let dir = repository_root().join("schema");
    let files =
        files(&dir, "zed").unwrap_or_else(|| panic!("no schema/ folder at {}", dir.display()));
    for path in files {
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        assert_compiles_and_formats(&name, &fs::read_to_string(&path).unwrap());
    }
    for path in files_or_empty(&dir, "yaml") {
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        assert_compiles_and_formats(&name, &schema_of(&path));
    }
}

fn files_or_empty(dir: &Path, extension: &str) -> Vec<PathBuf> {
    files(dir, extension).unwrap_or_default()
}
