//! SpiceDB's conformance corpus, in-process: every assertion of every file, and every answer
//! SpiceDB recorded for questions derived from the file's own objects.

use std::path::PathBuf;

use tessera_validation::{InProcessOracle, ValidationFile, compare_derived, parse_derived, run};

/// `../shared/conformance/spicedb` beside the repository; its absence fails the test.
fn corpus() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/conformance/spicedb");
    assert!(
        dir.is_dir(),
        "the conformance corpus is not at {}: clone this repository beside `shared/`",
        dir.display()
    );
    dir
}

#[test]
fn every_conformance_file_passes_in_process() {
    let dir = corpus();
    let derived_json =
        std::fs::read_to_string(dir.join("expected-derived.json")).expect("derived answers");
    let derived = parse_derived(&derived_json).expect("derived answers parse");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("corpus dir")
        .map(|entry| entry.expect("dir entry").path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "yaml"))
        .collect();
    files.sort();
    assert!(
        files.len() >= 40,
        "expected the whole corpus, found {} files",
        files.len()
    );

    let mut problems = Vec::new();
    let (mut assertions, mut questions) = (0, 0);
    for path in &files {
        let name = path
            .file_name()
            .expect("file name")
            .to_string_lossy()
            .into_owned();
        let file = match ValidationFile::read(path) {
            Ok(file) => file,
            Err(err) => {
                problems.push(format!("{name}: {err}"));
                continue;
            }
        };
        let oracle = match InProcessOracle::load(&file, &name) {
            Ok(oracle) => oracle,
            Err(err) => {
                problems.push(format!("{name}: {err}"));
                continue;
            }
        };
        assertions += file.assertions.len();
        problems.extend(
            run(&file, &oracle)
                .into_iter()
                .map(|failure| format!("{name}: {failure}")),
        );
        if let Some(answers) = derived.get(&name) {
            questions += answers.check.len()
                + answers.lookup_resources.len()
                + answers.lookup_subjects.len();
            problems.extend(
                compare_derived(answers, &oracle)
                    .into_iter()
                    .map(|m| format!("{name}: {m}")),
            );
        }
    }
    eprintln!(
        "{} files, {assertions} assertions, {questions} derived questions",
        files.len()
    );
    assert!(
        problems.is_empty(),
        "{} mismatches:\n{}",
        problems.len(),
        problems.join("\n")
    );
}
