//! `tessera schema check` and `tessera schema format`, run as the real binary.

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
