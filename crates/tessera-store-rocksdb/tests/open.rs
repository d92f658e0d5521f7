//! Opening what is not a healthy, free store fails with a clear error, never a panic.

use std::fs;
use std::path::Path;

use tessera_store::{Datastore, StoreError};
use tessera_store_rocksdb::{RocksConfig, RocksStore};

fn open(dir: &Path) -> Result<RocksStore, StoreError> {
    RocksStore::open(dir, RocksConfig::default())
}

#[test]
fn a_missing_or_empty_directory_becomes_a_new_store() {
    let root = tempfile::tempdir().unwrap();
    let missing = root.path().join("a").join("b");
    assert_eq!(open(&missing).unwrap().head_revision().get(), 0);
    let empty = root.path().join("empty");
    fs::create_dir(&empty).unwrap();
    assert_eq!(open(&empty).unwrap().head_revision().get(), 0);
}

#[test]
fn a_directory_holding_something_else_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("notes.txt"), "my files").unwrap();
    let err = open(dir.path()).unwrap_err();
    assert!(matches!(err, StoreError::Corrupt(_)), "{err:?}");
    assert_eq!(
        err.to_string(),
        format!(
            "store data is corrupt or unreadable: `{}` is not empty but holds no tessera store; \
             choose an empty directory or the directory of an existing store",
            dir.path().display()
        )
    );
    assert_eq!(
        fs::read_to_string(dir.path().join("notes.txt")).unwrap(),
        "my files"
    );
}

#[test]
fn a_damaged_current_file_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    drop(open(dir.path()).unwrap());
    fs::write(dir.path().join("CURRENT"), b"\x00\xffgarbage").unwrap();
    let err = open(dir.path()).unwrap_err();
    assert!(matches!(err, StoreError::Corrupt(_)), "{err:?}");
    assert!(
        err.to_string().contains("restore it from a backup"),
        "{err}"
    );
}

#[test]
fn a_creation_that_died_before_current_starts_over() {
    let dir = tempfile::tempdir().unwrap();
    drop(open(dir.path()).unwrap());
    // What RocksDB leaves when killed while creating: no CURRENT and no data files yet.
    for entry in fs::read_dir(dir.path()).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let data = name.ends_with(".log") || name.ends_with(".sst");
        if name == "CURRENT" || data {
            fs::remove_file(&path).unwrap();
        }
    }
    assert_eq!(open(dir.path()).unwrap().head_revision().get(), 0);
}

#[test]
fn a_store_without_its_current_file_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    drop(open(dir.path()).unwrap());
    fs::remove_file(dir.path().join("CURRENT")).unwrap();
    let err = open(dir.path()).unwrap_err();
    assert_eq!(
        err.to_string(),
        format!(
            "store data is corrupt or unreadable: the store in `{}` has data files but no \
             `CURRENT` file; restore it from a backup",
            dir.path().display()
        )
    );
}

#[test]
fn a_damaged_manifest_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    drop(open(dir.path()).unwrap());
    for entry in fs::read_dir(dir.path()).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        if name.starts_with("MANIFEST-") {
            fs::write(&path, vec![0xA5; 4096]).unwrap();
        }
    }
    let err = open(dir.path()).unwrap_err();
    assert!(matches!(err, StoreError::Corrupt(_)), "{err:?}");
}

#[test]
fn a_store_that_is_open_is_locked() {
    let dir = tempfile::tempdir().unwrap();
    let first = open(dir.path()).unwrap();
    let err = open(dir.path()).unwrap_err();
    assert!(matches!(err, StoreError::Locked(_)), "{err:?}");
    let message = err.to_string();
    assert!(
        message.starts_with(&format!(
            "the data directory `{}` is in use by another tessera process",
            dir.path().display()
        )),
        "{message}"
    );
    drop(first);
    open(dir.path()).unwrap();
}
