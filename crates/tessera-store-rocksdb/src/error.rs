//! Maps RocksDB and file-system failures onto the contract's [`StoreError`]; nothing of
//! `rocksdb::Error` or `io::Error` leaves this crate.

use std::io;
use std::path::Path;

use rocksdb::ErrorKind;
use tessera_store::StoreError;

/// A failure of RocksDB while the store is open.
pub(crate) fn storage(err: rocksdb::Error) -> StoreError {
    match err.kind() {
        ErrorKind::Corruption => StoreError::Corrupt(err.into_string()),
        _ => StoreError::Io(err.into_string()),
    }
}

/// A failure of RocksDB to open the store in `dir`.
pub(crate) fn open_failure(dir: &Path, err: rocksdb::Error) -> StoreError {
    let kind = err.kind();
    let message = err.into_string();
    // RocksDB reports a held LOCK file as an I/O error naming the file.
    if kind == ErrorKind::IOError && message.contains("LOCK") {
        return StoreError::Locked(format!(
            "the data directory `{}` is in use by another tessera process (or another store in \
             this process); stop it or choose another data directory ({message})",
            dir.display()
        ));
    }
    let damaged = kind == ErrorKind::Corruption
        || (kind == ErrorKind::IOError && message.contains("No such file"));
    if damaged {
        StoreError::Corrupt(format!(
            "the store in `{}` is damaged: {message}; restore it from a backup",
            dir.display()
        ))
    } else {
        StoreError::Io(format!(
            "cannot open the store in `{}`: {message}",
            dir.display()
        ))
    }
}

/// A file-system failure on the data directory.
pub(crate) fn directory(dir: &Path, what: &str, err: &io::Error) -> StoreError {
    StoreError::Io(format!(
        "cannot {what} the data directory `{}`: {err}",
        dir.display()
    ))
}
