//! The command line of `tessera bench`.

use std::path::PathBuf;
use std::time::Duration;

use crate::ConnectionArgs;

/// `tessera bench` subcommands.
#[derive(Debug, clap::Subcommand)]
pub enum BenchCommand {
    /// Measure CheckPermission: latency percentiles, throughput, errors and wrong answers
    /// against the dataset's `checks.txt`, overall and per category.
    Checks(Box<ChecksArgs>),
    /// Measure LookupResources and LookupSubjects, asked for the subjects and resources of
    /// the dataset's checks, whose expected answers they must agree with.
    Lookups(Box<LookupsArgs>),
    /// Measure WriteRelationships alone, or mixed with checks (1 % writes by default).
    Writes(Box<WritesArgs>),
    /// Write a seeded dataset directory (`schema.zed`, `relationships.txt`, `checks.txt`,
    /// `meta.json`), the format of the shared `dataset.py`.
    Generate(GenerateArgs),
}

/// What every measuring subcommand takes.
#[derive(Clone, Debug, clap::Args)]
pub struct RunArgs {
    #[command(flatten)]
    pub(crate) connection: ConnectionArgs,
    /// The dataset directory (see `tessera bench generate`).
    #[arg(long, value_name = "DIR")]
    pub(crate) dataset: PathBuf,
    /// Write the dataset's schema and relationships first (into an empty server).
    #[arg(long)]
    pub(crate) load: bool,
    /// Relationships per ImportBulkRelationships call when loading (each call is one
    /// transaction; its messages carry 1000 each).
    #[arg(long, default_value_t = 100_000, value_name = "N")]
    pub(crate) load_call_size: usize,
    /// Requests in flight at once: this many loops, each sending its next request as soon
    /// as the previous one answers.
    #[arg(long, default_value_t = 1, value_name = "N")]
    pub(crate) concurrency: usize,
    /// HTTP/2 connections the loops share (default: one per 4 loops).
    #[arg(long, value_name = "N")]
    pub(crate) connections: Option<usize>,
    /// Seconds to measure.
    #[arg(long, default_value_t = 10.0, value_name = "SECS")]
    pub(crate) duration: f64,
    /// Seconds to run before measuring (connections, caches and the server warm up).
    #[arg(long, default_value_t = 2.0, value_name = "SECS")]
    pub(crate) warmup: f64,
    /// `full`: every call sees every write before it (fully_consistent); `min`: the server
    /// may answer from a slightly older snapshot (minimize_latency).
    #[arg(long, value_enum, default_value_t = ConsistencyArg::Full)]
    pub(crate) consistency: ConsistencyArg,
    /// Also write the results as JSON to this file.
    #[arg(long, value_name = "FILE")]
    pub(crate) json: Option<PathBuf>,
}

impl RunArgs {
    /// How long to measure.
    pub(crate) fn duration(&self) -> Duration {
        Duration::from_secs_f64(self.duration.max(0.0))
    }

    /// How long to warm up.
    pub(crate) fn warmup(&self) -> Duration {
        Duration::from_secs_f64(self.warmup.max(0.0))
    }

    /// The loops, at least one.
    pub(crate) fn concurrency(&self) -> usize {
        self.concurrency.max(1)
    }

    /// The connections, at least one and at most one per loop.
    pub(crate) fn connections(&self) -> usize {
        let loops = self.concurrency();
        self.connections
            .unwrap_or(loops.div_ceil(4))
            .clamp(1, loops)
    }
}

/// The consistency requested for each read.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum ConsistencyArg {
    /// `fully_consistent`.
    Full,
    /// `minimize_latency`.
    Min,
}

impl ConsistencyArg {
    pub(crate) fn name(self) -> &'static str {
        match self {
            ConsistencyArg::Full => "full",
            ConsistencyArg::Min => "min",
        }
    }
}

/// `tessera bench checks`.
#[derive(Clone, Debug, clap::Args)]
pub struct ChecksArgs {
    #[command(flatten)]
    pub(crate) run: RunArgs,
}

/// Which lookups `tessera bench lookups` measures.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum LookupKind {
    /// LookupResources, then LookupSubjects.
    Both,
    /// LookupResources only.
    Resources,
    /// LookupSubjects only.
    Subjects,
}

/// `tessera bench lookups`.
#[derive(Clone, Debug, clap::Args)]
pub struct LookupsArgs {
    #[command(flatten)]
    pub(crate) run: RunArgs,
    /// Which lookups to measure, each for `--duration`.
    #[arg(long, value_enum, default_value_t = LookupKind::Both)]
    pub(crate) kind: LookupKind,
}

/// What `tessera bench writes` sends.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum WriteMode {
    /// Only WriteRelationships.
    Writes,
    /// Checks, with `--write-percent` of the calls WriteRelationships instead.
    Mixed,
}

/// `tessera bench writes`.
#[derive(Clone, Debug, clap::Args)]
pub struct WritesArgs {
    #[command(flatten)]
    pub(crate) run: RunArgs,
    /// Writes alone, or mixed into checks.
    #[arg(long, value_enum, default_value_t = WriteMode::Writes)]
    pub(crate) mode: WriteMode,
    /// In `mixed` mode, the percentage of calls that write (0-100).
    #[arg(long, default_value_t = 1, value_name = "PERCENT",
          value_parser = clap::value_parser!(u8).range(0..=100))]
    pub(crate) write_percent: u8,
    /// Relationships touched per WriteRelationships call.
    #[arg(long, default_value_t = 1, value_name = "N")]
    pub(crate) batch: usize,
}

/// `tessera bench generate`.
#[derive(Clone, Debug, clap::Args)]
pub struct GenerateArgs {
    /// The shape: `drive` (Google-Drive-like, the shared `dataset.py`'s) or `github`.
    #[arg(long, default_value = "drive")]
    pub(crate) shape: String,
    /// How many relationships, exactly.
    #[arg(long, default_value_t = 100_000, value_name = "N")]
    pub(crate) relationships: usize,
    /// The seed: the same flags always write the same files.
    #[arg(long, default_value_t = 1)]
    pub(crate) seed: u64,
    /// How many checks with expected answers.
    #[arg(long, default_value_t = 10_000, value_name = "N")]
    pub(crate) checks: usize,
    /// The directory to write.
    #[arg(long, value_name = "DIR")]
    pub(crate) out: PathBuf,
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;

    #[derive(Debug, clap::Parser)]
    struct Cli {
        #[command(subcommand)]
        command: BenchCommand,
    }

    #[test]
    fn checks_takes_the_documented_flags() {
        let cli = Cli::try_parse_from([
            "bench",
            "checks",
            "--endpoint",
            "127.0.0.1:1",
            "--token",
            "k",
            "--insecure",
            "--dataset",
            "d",
            "--load",
            "--concurrency",
            "16",
            "--duration",
            "15",
            "--consistency",
            "min",
            "--json",
            "out.json",
        ])
        .unwrap();
        let BenchCommand::Checks(args) = cli.command else {
            panic!("not checks: {cli:?}");
        };
        let run = &args.run;
        assert_eq!(run.connection.endpoint, "127.0.0.1:1");
        assert!(run.load && run.connection.insecure);
        assert_eq!((run.concurrency(), run.connections()), (16, 4));
        assert_eq!(run.duration(), Duration::from_secs(15));
        assert_eq!(run.consistency, ConsistencyArg::Min);
    }

    #[test]
    fn connections_stay_between_one_and_one_per_loop() {
        let cli = Cli::try_parse_from([
            "bench",
            "writes",
            "--dataset",
            "d",
            "--concurrency",
            "2",
            "--connections",
            "9",
            "--mode",
            "mixed",
        ])
        .unwrap();
        let BenchCommand::Writes(args) = cli.command else {
            panic!("not writes: {cli:?}");
        };
        assert_eq!(args.run.connections(), 2);
        assert_eq!((args.mode, args.write_percent), (WriteMode::Mixed, 1));
        assert!(
            Cli::try_parse_from([
                "bench",
                "writes",
                "--dataset",
                "d",
                "--write-percent",
                "101"
            ])
            .is_err()
        );
    }
}
