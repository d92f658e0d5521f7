//! Golden tests: every `golden/invalid/*.zed` fails with exactly the diagnostics in its
//! `.expected` file (message, position, snippet and help); every `golden/valid/*.zed`
//! compiles, formats to exactly its `.expected` file, and formatting keeps its meaning.
//!
//! `TESSERA_BLESS=1 cargo test -p tessera-schema --test golden` rewrites the `.expected`
//! files from the current output; review every change before committing it.

#![expect(
    clippy::unwrap_used,
    reason = "helpers of a test: a failure is the test failing"
)]

mod common;

use std::fs;
use std::path::{Path, PathBuf};

fn cases(kind: &str) -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/golden")
        .join(kind);
    let mut cases: Vec<PathBuf> = fs::read_dir(&dir)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|e| e == "zed"))
        .collect();
    cases.sort();
    assert!(!cases.is_empty(), "no cases in {}", dir.display());
    cases
}

/// Compares `actual` with the case's `.expected` file, or rewrites it when blessing.
fn check_expected(case: &Path, actual: &str) -> Result<(), String> {
    let expected_path = case.with_extension("expected");
    if std::env::var_os("TESSERA_BLESS").is_some() {
        fs::write(&expected_path, actual).unwrap();
        return Ok(());
    }
    let expected = fs::read_to_string(&expected_path).map_err(|e| {
        format!(
            "{}: {e} (run with TESSERA_BLESS=1)",
            expected_path.display()
        )
    })?;
    if expected == actual {
        Ok(())
    } else {
        Err(format!(
            "{} differs.\n--- expected\n{expected}\n--- actual\n{actual}",
            expected_path.display()
        ))
    }
}

fn file_name(case: &Path) -> String {
    case.file_name().unwrap().to_string_lossy().into_owned()
}

#[test]
fn invalid_schemas_report_exact_diagnostics() {
    let mut failures = Vec::new();
    for case in cases("invalid") {
        let source = fs::read_to_string(&case).unwrap();
        let name = file_name(&case);
        match tessera_schema::compile_named(&name, &source) {
            Ok(_) => failures.push(format!("{name} compiled, but must not")),
            Err(diagnostics) => {
                if let Err(failure) = check_expected(&case, &diagnostics.to_string()) {
                    failures.push(failure);
                }
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

#[test]
fn valid_schemas_compile_and_format_canonically() {
    let mut failures = Vec::new();
    for case in cases("valid") {
        let source = fs::read_to_string(&case).unwrap();
        let name = file_name(&case);
        if let Err(diagnostics) = tessera_schema::compile_named(&name, &source) {
            failures.push(format!("{name} does not compile:\n{diagnostics}"));
            continue;
        }
        let formatted = tessera_schema::format(&source).unwrap();
        common::assert_same_meaning(&name, &source, &formatted);
        if let Err(failure) = check_expected(&case, &formatted) {
            failures.push(failure);
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}
