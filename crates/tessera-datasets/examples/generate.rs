//! Writes a dataset directory, e.g. for `/work/shared/bench/bench_check.py`:
//!
//! ```sh
//! cargo run --release -p tessera-datasets --example generate -- \
//!     --shape drive --relationships 1000000 --seed 1 --checks 10000 --out /tmp/drive-1m
//! ```
//!
//! (`tessera bench generate` takes the same flags once the server binary exists.)

use std::path::PathBuf;
use std::process::ExitCode;

use tessera_datasets::{GenerateOptions, Shape, generate_into};

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("error: {message}");
            eprintln!(
                "usage: generate --shape drive|github --relationships N --seed S --out DIR [--checks N]"
            );
            ExitCode::FAILURE
        }
    }
}

fn run() -> Result<(), String> {
    let mut options = GenerateOptions::new(Shape::Drive, 100_000);
    let mut out = None;
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        let value = args.next().ok_or(format!("`{flag}` needs a value"))?;
        let number = || {
            value
                .parse::<u64>()
                .map_err(|err| format!("`{flag} {value}`: {err}"))
        };
        match flag.as_str() {
            "--shape" => options.shape = value.parse().map_err(|err| format!("{err}"))?,
            "--relationships" => options.relationships = number()? as usize,
            "--seed" => options.seed = number()?,
            "--checks" => options.checks = number()? as usize,
            "--out" => out = Some(PathBuf::from(&value)),
            _ => return Err(format!("unknown flag `{flag}`")),
        }
    }
    let out = out.ok_or("`--out DIR` is required")?;
    let meta = generate_into(&options, &out).map_err(|err| err.to_string())?;
    eprintln!(
        "{} {} relationships (seed {}), {} checks ({} expected true) in {}; seconds {:?}",
        options.shape,
        meta.relationships,
        meta.seed,
        meta.checks,
        meta.checks_expected_true,
        out.display(),
        meta.seconds
    );
    Ok(())
}
