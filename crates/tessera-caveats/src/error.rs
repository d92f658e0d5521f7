//! Compile-time diagnostics and the crate's error enum.

use std::fmt;

/// A problem found while compiling a caveat expression, located in the expression text.
///
/// Offsets are in bytes into the expression as given to [`crate::CompiledCaveat::compile`], so
/// a caller that embedded the expression in a larger file (a schema) can translate them into
/// its own line and column.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CaveatDiagnostic {
    /// What is wrong, lowercase, user input in backticks.
    pub message: String,
    /// Byte offset of the first offending byte.
    pub offset: usize,
    /// Length in bytes of the offending text (0 when it points between characters).
    pub len: usize,
    /// How to fix it, when there is something useful to say.
    pub help: Option<String>,
}

impl CaveatDiagnostic {
    /// The same diagnostic with help text.
    pub(crate) fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }
}

impl fmt::Display for CaveatDiagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} (at byte {})", self.message, self.offset)?;
        if let Some(help) = &self.help {
            write!(f, "; help: {help}")?;
        }
        Ok(())
    }
}

/// Everything that can go wrong outside compilation.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum CaveatError {
    /// A context value does not fit the declared type of its parameter (SpiceDB's
    /// `CAVEAT_PARAMETER_TYPE_ERROR`).
    #[error("caveat parameter `{parameter}` must be a `{expected}`: {reason}")]
    ParameterType {
        /// The parameter's name.
        parameter: String,
        /// Its declared type, in schema spelling.
        expected: String,
        /// What was wrong with the value.
        reason: String,
    },
    /// Evaluation hit a runtime error that no `&&`/`||` absorbed, e.g. a missing map key or an
    /// integer overflow (SpiceDB's `CAVEAT_EVALUATION_ERROR`).
    #[error("caveat evaluation failed at byte {offset}: {message}")]
    Evaluation {
        /// What went wrong.
        message: String,
        /// Byte offset in the expression of the failing sub-expression.
        offset: usize,
    },
    /// Evaluation took more steps than the configured [`crate::CaveatLimits::max_cost`].
    #[error("caveat evaluation exceeded its cost limit of {limit}")]
    CostLimitExceeded {
        /// The limit that was exceeded.
        limit: u64,
    },
    /// Text that is not a caveat type spelling, from `CaveatType::from_str`.
    #[error("invalid caveat type `{text}`: {reason}")]
    InvalidType {
        /// The text given.
        text: String,
        /// What is wrong with it.
        reason: String,
    },
}
