//! `tessera schema ...`: checking and formatting schema files without a server, and
//! reading, writing and diffing the schema of a server (in `client::schema`).

use std::fs;
use std::io::Write;
use std::path::PathBuf;

use anyhow::Context as _;

use crate::client::schema::{Online, SchemaDiffArgs, SchemaReadArgs, SchemaWriteArgs};

/// `tessera schema` subcommands.
#[derive(Debug, clap::Subcommand)]
pub enum SchemaCommand {
    /// Compile schema files and report every problem found; exits with 1 if any fails.
    #[command(
        after_help = "Examples:\n  tessera schema check schema.zed\n  tessera schema check schema/*.zed"
    )]
    Check {
        /// The `.zed` files to check.
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
    /// Print a schema file in canonical form, keeping its comments.
    #[command(
        after_help = "Examples:\n  tessera schema format schema.zed\n  tessera schema format --write schema.zed"
    )]
    Format {
        /// The `.zed` file to format.
        file: PathBuf,
        /// Rewrite the file in place instead of printing it.
        #[arg(long)]
        write: bool,
    },
    /// Print the schema stored on a server.
    #[command(
        after_help = "Examples:\n  tessera schema read --endpoint 127.0.0.1:50051 --insecure --token devkey\n  tessera schema read > schema.zed"
    )]
    Read(SchemaReadArgs),
    /// Write a schema to a server, showing the differences first; asks before removing
    /// anything unless --yes.
    #[command(
        after_help = "Examples:\n  tessera schema write schema.zed\n  tessera schema write --yes schema.zed"
    )]
    Write(SchemaWriteArgs),
    /// Show how a schema file differs from the server's schema (`+` added, `-` removed,
    /// `~` changed).
    #[command(
        after_help = "Examples:\n  tessera schema diff schema.zed\n  tessera schema diff --json schema.zed"
    )]
    Diff(SchemaDiffArgs),
}

/// Runs a schema subcommand, writing results to `out` and diagnostics to `err`.
/// Returns whether every file passed.
///
/// # Errors
/// Failing to write to `out`, `err` or (with `--write`) the file.
pub fn run_schema(
    command: &SchemaCommand,
    out: &mut impl Write,
    err: &mut impl Write,
) -> anyhow::Result<bool> {
    match command {
        SchemaCommand::Read(args) => crate::client::schema::run_blocking(Online::Read(args), out),
        SchemaCommand::Write(args) => crate::client::schema::run_blocking(Online::Write(args), out),
        SchemaCommand::Diff(args) => crate::client::schema::run_blocking(Online::Diff(args), out),
        SchemaCommand::Check { files } => {
            let mut all_passed = true;
            for file in files {
                let name = file.display().to_string();
                let Some(source) = read(file, err)? else {
                    all_passed = false;
                    continue;
                };
                match tessera_schema::compile_named(&name, &source) {
                    Ok(_) => writeln!(out, "{name}: ok")?,
                    Err(diagnostics) => {
                        write!(err, "{diagnostics}")?;
                        writeln!(err, "{name}: {} problem(s)", diagnostics.len())?;
                        all_passed = false;
                    }
                }
            }
            Ok(all_passed)
        }
        SchemaCommand::Format { file, write } => {
            let name = file.display().to_string();
            let Some(source) = read(file, err)? else {
                return Ok(false);
            };
            match tessera_schema::format_named(&name, &source) {
                Ok(formatted) if *write => {
                    if formatted != source {
                        fs::write(file, formatted)
                            .with_context(|| format!("cannot write `{name}`"))?;
                    }
                    Ok(true)
                }
                Ok(formatted) => {
                    out.write_all(formatted.as_bytes())?;
                    Ok(true)
                }
                Err(diagnostics) => {
                    write!(err, "{diagnostics}")?;
                    Ok(false)
                }
            }
        }
    }
}

/// The file's text, or `None` after reporting why it cannot be read.
fn read(file: &PathBuf, err: &mut impl Write) -> anyhow::Result<Option<String>> {
    match fs::read_to_string(file) {
        Ok(source) => Ok(Some(source)),
        Err(error) => {
            writeln!(err, "error: cannot read `{}`: {error}", file.display())?;
            Ok(None)
        }
    }
}
