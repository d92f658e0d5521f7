//! `tessera`: the command line. Everything but argument parsing lives in the library.

use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context as _;
use clap::{Parser, Subcommand};
use tessera_server::{
    Listeners, SchemaCommand, ServeArgs, ValidateArgs, init_logging, run_schema, run_validate,
    serve,
};
use tessera_store::GcWindow;
use tessera_store_rocksdb::{RocksConfig, RocksStore};

/// A SpiceDB-compatible, Zanzibar-style authorization database.
#[derive(Debug, Parser)]
#[command(name = "tessera", version)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Serve SpiceDB's gRPC API (authzed.api.v1) over the embedded store.
    Serve(Box<ServeArgs>),
    /// Check or format schema files, or read, write and diff a server's schema.
    #[command(
        subcommand,
        after_help = "Examples:\n  tessera schema check schema.zed\n  tessera schema write schema.zed"
    )]
    Schema(SchemaCommand),
    /// Run validation files (`zed validate`'s format) in-process; exits with 1 on any failure.
    Validate(ValidateArgs),
    /// Load and measure any authzed.api.v1 server with a benchmark dataset.
    #[command(subcommand)]
    Bench(tessera_server::BenchCommand),
    #[command(flatten)]
    Client(tessera_server::ClientCommand),
}

fn main() -> ExitCode {
    match run(Cli::parse().command) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            // The whole chain of causes, one line, without a backtrace: a user-facing error.
            eprintln!("error: {err:#}");
            ExitCode::FAILURE
        }
    }
}

fn run(command: Command) -> anyhow::Result<()> {
    match command {
        Command::Serve(args) => run_server(&args),
        Command::Client(command) => std::process::exit(tessera_server::run_client(command)),
        Command::Schema(command) => {
            let passed = run_schema(&command, &mut std::io::stdout(), &mut std::io::stderr())?;
            if !passed {
                std::process::exit(1);
            }
            Ok(())
        }
        Command::Bench(command) => {
            init_logging(tessera_server::LogFormat::Text, "warn")?;
            tokio::runtime::Runtime::new()
                .context("cannot start the async runtime")?
                .block_on(tessera_server::run_bench(command))
        }
        Command::Validate(args) => {
            if !run_validate(&args, &mut std::io::stdout(), &mut std::io::stderr())? {
                std::process::exit(1);
            }
            Ok(())
        }
    }
}

fn run_server(args: &ServeArgs) -> anyhow::Result<()> {
    init_logging(args.log_format, &args.log_level)?;
    let config = args.server_config()?;
    let runtime = tokio::runtime::Runtime::new().context("cannot start the async runtime")?;
    let store = RocksStore::open(
        &args.data_dir,
        RocksConfig {
            gc_window: GcWindow::Duration(args.datastore_gc_window),
            ..RocksConfig::default()
        },
    )
    .with_context(|| format!("cannot open the store in `{}`", args.data_dir.display()))?;
    tracing::info!(data_dir = %args.data_dir.display(), "store open");
    let store = Arc::new(store);
    runtime.block_on(async {
        let grpc = tokio::net::TcpListener::bind(args.listen)
            .await
            .with_context(|| format!("cannot listen on {}", args.listen))?;
        let metrics = if args.no_metrics {
            None
        } else {
            Some(
                tokio::net::TcpListener::bind(args.metrics_listen)
                    .await
                    .with_context(|| format!("cannot listen on {}", args.metrics_listen))?,
            )
        };
        let listeners = Listeners { grpc, metrics };
        serve(config, store.clone(), listeners, shutdown_signal()).await?;
        anyhow::Ok(())
    })?;
    // Background tasks still holding the store end with the runtime; then the store closes
    // (its threads finish and the data directory is unlocked).
    drop(runtime);
    match Arc::try_unwrap(store) {
        Ok(store) => drop(store),
        Err(_) => tracing::warn!("the store is still in use at exit; the OS will release it"),
    }
    tracing::info!("store closed");
    Ok(())
}

/// Completes on SIGINT (Ctrl-C) or SIGTERM.
async fn shutdown_signal() {
    let interrupt = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let terminate = async {
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(mut signal) => {
                    signal.recv().await;
                }
                Err(err) => {
                    tracing::warn!(error = %err, "cannot listen for SIGTERM");
                    std::future::pending::<()>().await;
                }
            }
        };
        tokio::select! {
            _ = interrupt => {}
            () = terminate => {}
        }
    }
    #[cfg(not(unix))]
    drop(interrupt.await);
}
