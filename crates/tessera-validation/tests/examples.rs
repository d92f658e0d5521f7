//! The example schemas in `schema/`: each validation file passes, and embeds exactly its
//! `.zed` file's schema.

use std::path::PathBuf;

use tessera_validation::{InProcessOracle, ValidationFile, run};

#[test]
fn every_example_validation_file_passes() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../schema");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("schema/ exists")
        .map(|entry| entry.expect("dir entry").path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "yaml"))
        .collect();
    files.sort();
    assert!(
        files.len() >= 4,
        "expected at least four examples in {}",
        dir.display()
    );

    let mut problems = Vec::new();
    for path in &files {
        let name = path
            .file_name()
            .expect("file name")
            .to_string_lossy()
            .into_owned();
        let file = ValidationFile::read(path).expect("example parses");
        let zed =
            std::fs::read_to_string(path.with_extension("zed")).expect("a .zed beside the .yaml");
        if file.schema.trim_end() != zed.trim_end() {
            problems.push(format!(
                "{name}: the embedded schema differs from {}",
                path.with_extension("zed").display()
            ));
        }
        match InProcessOracle::load(&file, &name) {
            Ok(oracle) => problems.extend(
                run(&file, &oracle)
                    .into_iter()
                    .map(|f| format!("{name}: {f}")),
            ),
            Err(err) => problems.push(format!("{name}: {err}")),
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}
