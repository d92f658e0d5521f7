//! `tessera validate`, run as the real binary over validation files.

#![expect(
    clippy::unwrap_used,
    reason = "helpers of a test: a failure is the test failing"
)]

use std::fs;
use std::path::Path;
use std::process::{Command, Output};

fn tessera(args: &[&str], dir: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_tessera"))
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap()
}

/// Assertions on lines 12-16: one true, one wrongly expected true, one caveated.
const FILE: &str = "\
schema: |-
  definition user {}
  caveat on_weekday(day string) {
    day != 'saturday' && day != 'sunday'
  }
  definition document {
    relation viewer: user | user with on_weekday
    permission view = viewer
  }
relationships: |-
  document:readme#viewer@user:ada
  document:readme#viewer@user:bob[on_weekday]
assertions:
  assertTrue:
    - document:readme#view@user:ada
    - document:readme#view@user:eve
  assertCaveated:
    - document:readme#view@user:bob
  assertFalse:
    - 'document:readme#view@user:bob with {\"day\": \"sunday\"}'
";

#[test]
fn the_example_schemas_pass() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let mut args = vec!["validate"];
    let files: Vec<String> = fs::read_dir(root.join("schema"))
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "yaml"))
        .map(|path| path.display().to_string())
        .collect();
    assert!(files.len() >= 4, "{files:?}");
    args.extend(files.iter().map(String::as_str));
    let output = tessera(&args, &root);
    assert!(output.status.success(), "{output:?}");
    let stdout = String::from_utf8(output.stdout).unwrap();
    assert_eq!(stdout.matches(": ok (").count(), files.len(), "{stdout}");
}

#[test]
fn a_failing_assertion_is_reported_with_its_line_and_why() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("access.yaml"), FILE).unwrap();
    let output = tessera(&["validate", "access.yaml"], dir.path());
    assert_eq!(output.status.code(), Some(1), "{output:?}");
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(
        stderr.starts_with(
            "access.yaml: line 16: assertTrue: document:readme#view@user:eve\n  expected: has \
             permission\n  actual:   no permission\n    ⨯ document:readme#view (permission)\n"
        ),
        "{stderr}"
    );
    assert!(stderr.ends_with("access.yaml: 1 failure(s)\n"), "{stderr}");
}

#[test]
fn unreadable_and_invalid_files_fail_with_their_names() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(
        dir.path().join("broken.yaml"),
        "schema: |-\n  definition {\n",
    )
    .unwrap();
    let output = tessera(&["validate", "missing.yaml", "broken.yaml"], dir.path());
    assert_eq!(output.status.code(), Some(1), "{output:?}");
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(stderr.contains("missing.yaml: "), "{stderr}");
    assert!(stderr.contains("broken.yaml: "), "{stderr}");
    assert!(
        stderr.contains("--> broken.yaml (schema block):1:12"),
        "{stderr}"
    );
}
