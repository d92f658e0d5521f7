use std::io;
use std::path::PathBuf;

use tessera_store::StoreError;
use tessera_types::TypesError;

/// Why generating, reading, writing or loading a dataset failed.
#[derive(Debug, thiserror::Error)]
pub enum DatasetError {
    /// A file of the dataset directory could not be read or written.
    #[error("cannot {action} `{}`: {source}", path.display())]
    Io {
        /// What was being done, e.g. `read`.
        action: &'static str,
        /// The file or directory.
        path: PathBuf,
        /// The file-system error.
        source: io::Error,
    },
    /// A line of `relationships.txt` or `checks.txt` does not parse.
    #[error("`{}` line {line}: {message}", path.display())]
    Syntax {
        /// The file.
        path: PathBuf,
        /// The 1-based line number.
        line: usize,
        /// What is wrong with it.
        message: String,
    },
    /// `meta.json` is not valid JSON of the expected shape, or could not be produced.
    #[error("`{}`: {source}", path.display())]
    Meta {
        /// The file.
        path: PathBuf,
        /// The JSON error.
        source: serde_json::Error,
    },
    /// A generated relationship breaks a name rule (a generator bug).
    #[error("generated an invalid relationship: {0}")]
    Generated(#[from] TypesError),
    /// The generator's schema model or data is inconsistent (a generator bug).
    #[error("inconsistent dataset model: {0}")]
    Model(String),
    /// A shape name that is not known.
    #[error("unknown dataset shape `{0}`: expected `drive` or `github`")]
    UnknownShape(String),
    /// The store refused the schema or the relationships.
    #[error("loading the dataset: {0}")]
    Store(#[from] StoreError),
}
