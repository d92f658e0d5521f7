//! `tessera validate FILE.yaml...`: runs SpiceDB validation files in-process, without a
//! server, as `zed validate` does.

use std::io::Write;
use std::path::PathBuf;

use tessera_validation::{InProcessOracle, ValidationFile, run};

/// The arguments of `tessera validate`.
#[derive(Debug, clap::Args)]
#[command(after_help = "Examples:\n  tessera validate schema/drive.yaml\n  \
                        tessera validate tests/*.yaml")]
pub struct ValidateArgs {
    /// Validation files (`zed validate`'s YAML: schema, relationships, assertions,
    /// validation).
    #[arg(required = true, value_name = "FILE")]
    pub files: Vec<PathBuf>,
}

/// Loads each file, asks every assertion and expected-subjects entry of the evaluator, and
/// reports each failure with its line, what was expected, what came out and why. Returns
/// whether every file passed.
///
/// # Errors
/// Failing to write to `out` or `err`.
pub fn run_validate(
    args: &ValidateArgs,
    out: &mut impl Write,
    err: &mut impl Write,
) -> std::io::Result<bool> {
    let mut all_passed = true;
    for path in &args.files {
        let name = path.display().to_string();
        // Schema diagnostics count lines from the start of the schema block.
        let schema_name = format!("{name} (schema block)");
        let loaded = ValidationFile::read(path).and_then(|file| {
            InProcessOracle::load(&file, &schema_name).map(|oracle| (file, oracle))
        });
        let (file, oracle) = match loaded {
            Ok(loaded) => loaded,
            Err(error) => {
                writeln!(err, "{name}: {error}")?;
                all_passed = false;
                continue;
            }
        };
        let failures = run(&file, &oracle);
        if failures.is_empty() {
            writeln!(
                out,
                "{name}: ok ({} relationships, {} assertions, {} expected-subjects entries)",
                file.relationships.len(),
                file.assertions.len(),
                file.expected.len()
            )?;
            continue;
        }
        all_passed = false;
        for failure in &failures {
            write!(err, "{name}: {failure}")?;
        }
        writeln!(err, "{name}: {} failure(s)", failures.len())?;
    }
    Ok(all_passed)
}
