//! `tessera bench`: a native load generator for any `authzed.api.v1` endpoint (Tessera,
//! SpiceDB, …). It loads a dataset directory (`tessera bench generate`, or the shared
//! `dataset.py`), then measures checks, lookups or writes with closed loops and reports
//! latency percentiles, throughput, errors and answers that differ from the dataset's.

mod args;
mod load;
mod report;
mod runner;
mod wire;
mod workload;

use std::io::Write as _;
use std::path::Path;
use std::sync::Arc;

use anyhow::Context as _;
use serde_json::{Value, json};
use tessera_datasets::{Dataset, GenerateOptions, Shape};

pub use args::{BenchCommand, ChecksArgs, GenerateArgs, LookupsArgs, RunArgs, WritesArgs};
use args::{LookupKind, WriteMode};
use load::LoadReport;
use report::PhaseReport;
use runner::Plan;
use workload::{Workload, Writes};

use crate::AuthedChannel;

/// Runs a `tessera bench` subcommand, printing results on stdout and progress on stderr.
///
/// # Errors
/// An unreadable dataset, an unreachable server, a failed load or an unwritable `--json`
/// file. Errors and wrong answers of measured calls are results, not failures.
pub async fn run_bench(command: BenchCommand) -> anyhow::Result<()> {
    match command {
        BenchCommand::Generate(args) => generate(&args),
        BenchCommand::Checks(args) => {
            let session = Session::start(&args.run).await?;
            let consistency = wire::consistency(args.run.consistency);
            let checks = session.dataset.checks();
            let workload = Workload::Checks {
                queries: wire::check_queries(checks, &consistency),
                categories: wire::categories(checks).0,
            };
            let phases = session.measure(workload).await?;
            session.finish("checks", &phases, json!({}))
        }
        BenchCommand::Lookups(args) => {
            let session = Session::start(&args.run).await?;
            let consistency = wire::consistency(args.run.consistency);
            let checks = session.dataset.checks();
            let categories = wire::categories(checks).0;
            let mut phases = Vec::new();
            if args.kind != LookupKind::Subjects {
                let workload = Workload::LookupResources {
                    queries: wire::lookup_resources_queries(checks, &consistency),
                    categories: categories.clone(),
                };
                phases.extend(session.measure(workload).await?);
            }
            if args.kind != LookupKind::Resources {
                let workload = Workload::LookupSubjects {
                    queries: wire::lookup_subjects_queries(checks, &consistency),
                    categories,
                };
                phases.extend(session.measure(workload).await?);
            }
            session.finish("lookups", &phases, json!({}))
        }
        BenchCommand::Writes(args) => {
            let session = Session::start(&args.run).await?;
            let checks = session.dataset.checks();
            let mut categories = wire::categories(checks).0;
            let writes = Writes::new(&session.dataset, args.batch, categories.len())?;
            categories.push("write".to_owned());
            let workload = match args.mode {
                WriteMode::Writes => Workload::Writes { writes, categories },
                WriteMode::Mixed => Workload::Mixed {
                    queries: wire::check_queries(checks, &wire::consistency(args.run.consistency)),
                    writes,
                    write_percent: args.write_percent,
                    categories,
                },
            };
            let phases = session.measure(workload).await?;
            let extra = json!({
                "mode": format!("{:?}", args.mode).to_lowercase(),
                "write_percent": args.write_percent,
                "batch": args.batch,
            });
            session.finish("writes", &phases, extra)
        }
    }
}

/// An open dataset and the connections to the server, loaded if asked.
struct Session<'a> {
    args: &'a RunArgs,
    dataset: Dataset,
    channels: Vec<AuthedChannel>,
    load: Option<LoadReport>,
}

impl<'a> Session<'a> {
    async fn start(args: &'a RunArgs) -> anyhow::Result<Self> {
        let dataset = Dataset::open(&args.dataset)
            .with_context(|| format!("cannot open the dataset `{}`", args.dataset.display()))?;
        let mut channels = Vec::with_capacity(args.connections());
        for _ in 0..args.connections() {
            channels.push(args.connection.connect().await?);
        }
        let load = match (args.load, channels.first()) {
            (true, Some(channel)) => {
                eprintln!(
                    "loading {} ({} relationships) into {}",
                    args.dataset.display(),
                    dataset.meta().relationships,
                    args.connection.endpoint
                );
                let report = load::load(channel.clone(), &dataset, args.load_call_size).await?;
                eprintln!(
                    "loaded {} relationships in {:.2} s ({:.0}/s) with {}",
                    report.relationships,
                    report.elapsed.as_secs_f64(),
                    report.rate(),
                    report.method
                );
                Some(report)
            }
            _ => None,
        };
        Ok(Self {
            args,
            dataset,
            channels,
            load,
        })
    }

    async fn measure(&self, workload: Workload) -> anyhow::Result<Vec<PhaseReport>> {
        let plan = Plan {
            concurrency: self.args.concurrency(),
            warmup: self.args.warmup(),
            duration: self.args.duration(),
        };
        eprintln!(
            "measuring {} on {}: {} loop(s) over {} connection(s), {:.0} s warm-up + {:.0} s, consistency {}",
            workload.phases().join("+"),
            self.args.connection.endpoint,
            plan.concurrency,
            self.channels.len(),
            plan.warmup.as_secs_f64(),
            plan.duration.as_secs_f64(),
            self.args.consistency.name()
        );
        runner::run(Arc::new(workload), &self.channels, plan).await
    }

    /// Prints the phases and writes `--json`: the first phase's keys at the top level,
    /// every phase under `phases`, and the run's parameters.
    fn finish(&self, command: &str, phases: &[PhaseReport], extra: Value) -> anyhow::Result<()> {
        let mut out = std::io::stdout().lock();
        if let Some(load) = &self.load {
            writeln!(
                out,
                "load: {} relationships in {:.2} s ({:.0}/s, {})",
                load.relationships,
                load.elapsed.as_secs_f64(),
                load.rate(),
                load.method
            )?;
        }
        for phase in phases {
            write!(out, "{}", phase.to_text())?;
        }
        let Some(path) = &self.args.json else {
            return Ok(());
        };
        let mut document = phases
            .first()
            .map(PhaseReport::to_json)
            .unwrap_or_else(|| json!({}));
        if let Value::Object(map) = &mut document {
            let args = self.args;
            let meta = self.dataset.meta();
            let mut fields = json!({
                "command": command,
                "endpoint": args.connection.endpoint,
                "dataset": args.dataset.display().to_string(),
                "shape": meta.shape.clone().unwrap_or_else(|| "drive".to_owned()),
                "relationships": meta.relationships,
                "concurrency": args.concurrency(),
                "connections": self.channels.len(),
                "duration_s": args.duration,
                "warmup_s": args.warmup,
                "consistency": args.consistency.name(),
                "load": self.load.as_ref().map(LoadReport::to_json),
                "phases": phases
                    .iter()
                    .map(|phase| (phase.name.clone(), phase.to_json()))
                    .collect::<serde_json::Map<_, _>>(),
            });
            if let (Value::Object(fields), Value::Object(extra)) = (&mut fields, extra) {
                fields.extend(extra);
            }
            if let Value::Object(fields) = fields {
                map.extend(fields);
            }
        }
        write_json(path, &document)
    }
}

fn write_json(path: &Path, document: &Value) -> anyhow::Result<()> {
    let mut text = serde_json::to_string_pretty(document)?;
    text.push('\n');
    std::fs::write(path, text).with_context(|| format!("cannot write `{}`", path.display()))
}

fn generate(args: &GenerateArgs) -> anyhow::Result<()> {
    let shape: Shape = args
        .shape
        .parse()
        .map_err(|err| anyhow::anyhow!("--shape `{}`: {err}", args.shape))?;
    let options = GenerateOptions {
        seed: args.seed,
        checks: args.checks,
        ..GenerateOptions::new(shape, args.relationships)
    };
    let meta = tessera_datasets::generate_into(&options, &args.out)
        .with_context(|| format!("cannot write the dataset into `{}`", args.out.display()))?;
    eprintln!(
        "{} relationships of shape {} (seed {}), {} checks ({} expected true) in {}",
        meta.relationships,
        shape.name(),
        meta.seed,
        meta.checks,
        meta.checks_expected_true,
        args.out.display()
    );
    Ok(())
}
