//! The commands that need no server — `tessera schema check`, `tessera schema format` and
//! `tessera validate` — run as the real binary.

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

const GOOD: &str = "definition user {}\n\ndefinition document {\n    relation viewer: user\n    \
                    permission view = viewer\n}\n";
const BAD: &str = "definition user {}\n\ndefinition document {\n    relation viewer: user\n    \
                   permission view = viewr\n}\n";

#[test]
fn check_accepts_good_schemas_and_explains_bad_ones() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("good.zed"), GOOD).unwrap();
    fs::write(dir.path().join("bad.zed"), BAD).unwrap();

    let good = tessera(&["schema", "check", "good.zed"], dir.path());
    assert!(good.status.success(), "{good:?}");

    let bad = tessera(&["schema", "check", "good.zed", "bad.zed"], dir.path());
    assert_eq!(bad.status.code(), Some(1), "{bad:?}");
    let stderr = String::from_utf8(bad.stderr).unwrap();
    assert!(
        stderr.starts_with(
            "error: unknown relation or permission `viewr` in `document`\n --> bad.zed:5:23\n  |\n\
             5 |     permission view = viewr\n  |                       ^^^^^\n  = help: did you \
             mean `viewer`?\n"
        ),
        "{stderr}"
    );

    let missing = tessera(&["schema", "check", "missing.zed"], dir.path());
    assert_eq!(missing.status.code(), Some(1));
    assert!(
        String::from_utf8(missing.stderr)
            .unwrap()
            .contains("cannot read `missing.zed`")
    );
}

#[test]
fn format_prints_or_rewrites_canonical_text() {
    let dir = tempfile::tempdir().unwrap();
    let messy = "definition user {}\ndefinition document {\n  relation viewer: user\n  \
                 permission view = (viewer)\n}";
    let canonical = "definition user {}\n\ndefinition document {\n\trelation viewer: user\n\t\
                     permission view = viewer\n}\n";
    let file = dir.path().join("messy.zed");
    fs::write(&file, messy).unwrap();

    let printed = tessera(&["schema", "format", "messy.zed"], dir.path());
    assert!(printed.status.success(), "{printed:?}");
    assert_eq!(String::from_utf8(printed.stdout).unwrap(), canonical);
    assert_eq!(fs::read_to_string(&file).unwrap(), messy);

    let written = tessera(&["schema", "format", "--write", "messy.zed"], dir.path());
    assert!(written.status.success(), "{written:?}");
    assert_eq!(fs::read_to_string(&file).unwrap(), canonical);

    fs::write(&file, "definition {").unwrap();
    let broken = tessera(&["schema", "format", "messy.zed"], dir.path());
    assert_eq!(broken.status.code(), Some(1));
    assert!(
        String::from_utf8(broken.stderr)
            .unwrap()
            .contains("--> messy.zed:1:12")
    );
}

/// A validation file with a caveat, whose second `assertTrue` (line 16) is wrong.
const VALIDATION_FILE: &str = "\
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
fn validate_passes_the_example_schemas() {
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
fn validate_reports_a_failing_assertion_with_its_line_and_why() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("access.yaml"), VALIDATION_FILE).unwrap();
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
fn validate_names_unreadable_and_invalid_files() {
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
