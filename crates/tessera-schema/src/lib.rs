//! The SpiceDB schema language.

mod ast;
mod compile;
mod diagnostic;
mod lexer;
mod parser;
mod reachability;

pub mod ir;

pub use diagnostic::{Diagnostic, DiagnosticKind, Diagnostics, Span};

/// The file name diagnostics show when none is given.
const DEFAULT_FILE_NAME: &str = "schema";

/// Compiles schema text into an [`ir::Schema`].
///
/// # Errors
/// [`Diagnostics`] listing every problem found.
pub fn compile(source: &str) -> Result<ir::Schema, Diagnostics> {
    compile_named(DEFAULT_FILE_NAME, source)
}

/// Like [`compile`], with the file name the diagnostics render.
///
/// # Errors
/// [`Diagnostics`] listing every problem found.
pub fn compile_named(file_name: &str, source: &str) -> Result<ir::Schema, Diagnostics> {
    let file = parser::parse(source).map_err(|errors| Diagnostics::new(file_name, source, errors))?;
    compile::compile(&file, source).map_err(|errors| Diagnostics::new(file_name, source, errors))
}
