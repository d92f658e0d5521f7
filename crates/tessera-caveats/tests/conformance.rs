//! Every caveat written in SpiceDB's conformance corpus and in our example schemas compiles
//! against its declared parameters and uses all of them (SpiceDB rejects unused parameters).

#![expect(
    clippy::expect_used,
    clippy::panic,
    reason = "helpers of a test: a failure is the test failing"
)]

use std::fs;
use std::path::{Path, PathBuf};

use regex::Regex;
use tessera_caveats::{CaveatOutcome, CaveatType, CompiledCaveat};

/// A caveat found in a file: where, its name, parameters and expression.
struct Found {
    file: PathBuf,
    name: String,
    parameters: Vec<(String, CaveatType)>,
    expression: String,
}

/// Finds `caveat name(params) { expression }` blocks; expressions in these files hold no `}`.
fn caveats_in(dir: &Path, extension: &str) -> Vec<Found> {
    let block =
        Regex::new(r"caveat\s+([A-Za-z0-9_/]+)\s*\(([^)]*)\)\s*\{([^}]*)\}").expect("valid regex");
    let mut entries: Vec<PathBuf> = fs::read_dir(dir)
        .expect("readable folder")
        .map(|entry| entry.expect("readable entry").path())
        .filter(|path| path.extension().is_some_and(|e| e == extension))
        .collect();
    entries.sort();
    let mut found = Vec::new();
    for file in entries {
        let text = fs::read_to_string(&file).expect("readable file");
        for captures in block.captures_iter(&text) {
            let parameters = captures[2]
                .split(',')
                .map(|parameter| {
                    let (name, ty) = parameter
                        .trim()
                        .split_once(char::is_whitespace)
                        .unwrap_or_else(|| {
                            panic!("{}: malformed parameter `{parameter}`", file.display())
                        });
                    let ty = ty
                        .parse()
                        .unwrap_or_else(|err| panic!("{}: {err}", file.display()));
                    (name.to_owned(), ty)
                })
                .collect();
            found.push(Found {
                file: file.clone(),
                name: captures[1].to_owned(),
                parameters,
                expression: captures[3].trim().to_owned(),
            });
        }
    }
    found
}

fn assert_all_compile(found: &[Found]) {
    for caveat in found {
        let where_ = format!("{} caveat `{}`", caveat.file.display(), caveat.name);
        let compiled = CompiledCaveat::compile(&caveat.parameters, &caveat.expression)
            .unwrap_or_else(|errors| panic!("{where_} does not compile: {errors:?}"));
        let mut declared: Vec<&str> = caveat
            .parameters
            .iter()
            .map(|(name, _)| name.as_str())
            .collect();
        declared.sort_unstable();
        assert_eq!(
            compiled.referenced_parameters(),
            declared,
            "{where_} leaves a parameter unused"
        );
        // With no context at all, every caveat here depends on something missing.
        let outcome = compiled
            .evaluate(&serde_json::Map::new())
            .expect("evaluates");
        assert!(
            matches!(outcome, CaveatOutcome::Partial { .. }),
            "{where_}: {outcome:?}"
        );
    }
}

#[test]
fn spicedb_conformance_caveats_compile() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/conformance/spicedb");
    assert!(
        dir.is_dir(),
        "the conformance corpus is not at {}: clone this repository beside `shared/`",
        dir.display()
    );
    let found = caveats_in(&dir, "yaml");
    // 13 files declare caveats, some several.
    assert!(
        found.len() >= 14,
        "only {} caveats found in {}",
        found.len(),
        dir.display()
    );
    assert!(
        found
            .iter()
            .any(|c| c.expression == "somelist.all(i, i >= 42)")
    );
    assert!(
        found
            .iter()
            .any(|c| c.expression == "!user_ip.in_cidr(cidr)")
    );
    assert_all_compile(&found);
}

#[test]
fn example_schema_caveats_compile() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../schema");
    let found = caveats_in(&dir, "zed");
    assert!(!found.is_empty(), "no caveats found in {}", dir.display());
    assert_all_compile(&found);
}
