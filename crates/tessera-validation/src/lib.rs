//! SpiceDB validation files (the `zed validate` YAML format) and the conformance checks.
//!
//! A [`ValidationFile`] holds a schema, relationships, assertions and expected subjects. It is
//! answered by an [`Oracle`]: [`InProcessOracle`] loads it into an in-memory store and asks the
//! evaluator; the end-to-end tests implement the trait over gRPC, so both paths are held to
//! the same answers. [`run`] reports every failure with its line; [`compare_derived`]
//! replays the answers SpiceDB recorded for the conformance corpus.
//!
//! ```
//! use tessera_validation::{InProcessOracle, ValidationFile, run};
//!
//! let file = ValidationFile::parse(
//!     "schema: |-\n  definition user {}\n  definition doc {\n    relation viewer: user\n  }\n\
//!      relationships: doc:1#viewer@user:tom\n\
//!      assertions:\n  assertTrue: ['doc:1#viewer@user:tom']\n  assertFalse: ['doc:1#viewer@user:ann']\n",
//! )?;
//! let oracle = InProcessOracle::load(&file, "example.yaml")?;
//! assert!(run(&file, &oracle).is_empty());
//! # Ok::<(), tessera_validation::ValidationError>(())
//! ```

mod derived;
mod error;
mod file;
mod in_process;
mod membership;
mod oracle;
mod runner;

pub use derived::{DerivedAnswers, compare_derived, parse_derived};
pub use error::ValidationError;
pub use file::{Assertion, Expectation, ExpectedSubjects, ValidationFile};
pub use in_process::InProcessOracle;
pub use oracle::Oracle;
pub use runner::{Failure, run};
