//! The SpiceDB schema language: text in, a validated [`ir::Schema`] out.
//!
//! This crate owns the schema language end to end: the lexer and parser (SpiceDB's grammar,
//! `use` flags, partials, caveats, comments), the compiler that applies SpiceDB's semantic
//! rules and reports every problem with its line, column, a caret snippet and a help line
//! ([`Diagnostics`]), the canonical [`format`]ter, and [`validate_relationship`], the check a
//! relationship must pass against the schema before it is written. It does not evaluate
//! caveat expressions or permissions and does no I/O; the evaluator reads only [`ir`].
//!
//! ```
//! let schema = tessera_schema::compile(
//!     "definition user {}
//!
//!      definition document {
//!          relation viewer: user
//!          permission view = viewer
//!      }",
//! )?;
//! let document = schema.definition_id("document").unwrap();
//! assert!(schema.definition(document).relation_id("view").is_some());
//!
//! let errors = tessera_schema::compile_named(
//!     "schema.zed",
//!     "definition user {}\n\ndefinition document {\n  relation viewer: user\n  \
//!      relation owner: user\n  permission view = viewr + owner\n}\n",
//! )
//! .unwrap_err();
//! assert_eq!(
//!     errors.to_string(),
//!     "error: unknown relation or permission `viewr` in `document`
//!  --> schema.zed:6:21
//!   |
//! 6 |   permission view = viewr + owner
//!   |                     ^^^^^
//!   = help: did you mean `viewer`?
//! "
//! );
//! # Ok::<(), tessera_schema::Diagnostics>(())
//! ```

mod ast;
mod compile;
mod diagnostic;
mod format;
mod lexer;
mod parser;
mod reachability;
mod relationship;

pub mod ir;

pub use diagnostic::{Diagnostic, DiagnosticKind, Diagnostics, Span};
pub use relationship::{RelationshipError, UpdateOperation, validate_relationship};

/// The file name diagnostics show when none is given.
const DEFAULT_FILE_NAME: &str = "schema";

/// Compiles schema text into an [`ir::Schema`].
///
/// # Errors
/// [`Diagnostics`] listing every problem found (a syntax error stops the search early).
pub fn compile(source: &str) -> Result<ir::Schema, Diagnostics> {
    compile_named(DEFAULT_FILE_NAME, source)
}

/// Like [`compile`], naming the text `file_name` in rendered diagnostics.
///
/// # Errors
/// [`Diagnostics`] listing every problem found (a syntax error stops the search early).
pub fn compile_named(file_name: &str, source: &str) -> Result<ir::Schema, Diagnostics> {
    let file = parse_named(file_name, source)?;
    compile::compile(&file, source).map_err(|errors| Diagnostics::new(file_name, source, errors))
}

/// Prints schema text in canonical form, keeping every comment. Only syntax is checked:
/// a schema that parses but does not compile is still formatted.
///
/// # Errors
/// [`Diagnostics`] for syntax errors.
pub fn format(source: &str) -> Result<String, Diagnostics> {
    format_named(DEFAULT_FILE_NAME, source)
}

/// Like [`format`], naming the text `file_name` in rendered diagnostics.
///
/// # Errors
/// [`Diagnostics`] for syntax errors.
pub fn format_named(file_name: &str, source: &str) -> Result<String, Diagnostics> {
    let file = parse_named(file_name, source)?;
    Ok(format::format_file(&file, source))
}

fn parse_named(file_name: &str, source: &str) -> Result<ast::File, Diagnostics> {
    parser::parse(source).map_err(|errors| Diagnostics::new(file_name, source, errors))
}
