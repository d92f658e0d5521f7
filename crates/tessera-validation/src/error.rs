/// Why a validation file could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum ValidationError {
    /// The file could not be read.
    #[error("{0}")]
    Io(String),
    /// The YAML is not a validation file.
    #[error("not a validation file: {0}")]
    Format(String),
    /// A relationship line is wrong.
    #[error("line {line}: {message}")]
    Relationship {
        /// Where.
        line: usize,
        /// What is wrong.
        message: String,
    },
    /// An assertion is wrong.
    #[error("line {line}: assertion `{text}`: {message}")]
    Assertion {
        /// Where.
        line: usize,
        /// The assertion as written.
        text: String,
        /// What is wrong.
        message: String,
    },
    /// A `validation` entry is wrong.
    #[error("line {line}: validation of `{key}`: {message}")]
    Expected {
        /// Where.
        line: usize,
        /// The key.
        key: String,
        /// What is wrong.
        message: String,
    },
    /// The schema does not compile; the rendered diagnostics follow.
    #[error("the schema does not compile:\n{0}")]
    Schema(String),
    /// The relationships could not be loaded.
    #[error("loading relationships: {0}")]
    Load(String),
}
