//! The client commands: zed-style access to any `authzed.api.v1` server (Tessera or
//! SpiceDB). One module per command group; `main` only hands the parsed command over.
//!
//! Exit codes: 0 on success, 1 on an error. `permission check` exits 0 when allowed, 1 when
//! denied or only conditionally allowed, and 2 on an error, so scripts can branch on it.

pub(crate) mod contexts;
mod export;
mod import;
mod output;
mod permission;
mod progress;
mod relationship;
pub(crate) mod schema;
mod status;
mod watch;
pub(crate) mod wire;

use std::io::Write;

use crate::ConnectionArgs;

pub use contexts::ContextCommand;
pub use export::ExportArgs;
pub use import::ImportArgs;
pub use permission::PermissionCommand;
pub use relationship::RelationshipCommand;
pub use watch::WatchArgs;

/// The connection and output flags every server command takes.
#[derive(Clone, Debug, clap::Args)]
pub struct ClientArgs {
    #[command(flatten)]
    connection: ConnectionArgs,
    /// Print JSON (one object per line for streams) instead of tables.
    #[arg(long)]
    json: bool,
}

/// The client subcommands of `tessera` (flattened into its command list).
#[derive(Debug, clap::Subcommand)]
pub enum ClientCommand {
    /// Save, list and pick named server connections (endpoint, token, TLS).
    #[command(
        subcommand,
        after_help = "Examples:\n  tessera context set local --endpoint 127.0.0.1:50051 --token \
                      devkey --insecure\n  tessera context list"
    )]
    Context(ContextCommand),
    /// Create, touch, delete and read relationships on a server.
    #[command(
        subcommand,
        alias = "rel",
        after_help = "Examples:\n  tessera relationship create doc:1 reader user:alice\n  \
                      tessera relationship read doc:1"
    )]
    Relationship(RelationshipCommand),
    /// Check, expand and look up permissions on a server.
    #[command(
        subcommand,
        alias = "perm",
        after_help = "Examples:\n  tessera permission check doc:1 view user:alice\n  tessera \
                      permission lookup-resources doc view user:alice"
    )]
    Permission(PermissionCommand),
    /// Load relationships (and a schema) from a validation YAML or text file, resumably.
    Import(ImportArgs),
    /// Stream every relationship (and the schema) out of a server.
    Export(ExportArgs),
    /// Stream relationship changes as they are committed.
    Watch(WatchArgs),
}

/// Runs a client command, printing results on stdout and errors on stderr; returns the
/// process exit code.
pub fn run_client(command: ClientCommand) -> i32 {
    let error_code = match &command {
        ClientCommand::Permission(command) if command.is_check() => 2,
        _ => 1,
    };
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    let result = match command {
        ClientCommand::Context(command) => contexts::run(command, &mut out).map(|()| 0),
        other => block_on(async {
            match other {
                ClientCommand::Relationship(command) => relationship::run(command, &mut out).await,
                ClientCommand::Permission(command) => permission::run(command, &mut out).await,
                ClientCommand::Import(args) => import::run(args, &mut out).await,
                ClientCommand::Export(args) => export::run(args, &mut out).await,
                ClientCommand::Watch(args) => watch::run(args, &mut out).await,
                ClientCommand::Context(_) => Ok(0),
            }
        }),
    };
    let flushed = out.flush().map_err(anyhow::Error::from);
    match result.and_then(|code| flushed.map(|()| code)) {
        Ok(code) => i32::from(code),
        Err(err) => exit_with(&err, error_code),
    }
}

/// Reports `err` on stderr and chooses the exit code; a closed stdout (`| head`) is no error.
pub(crate) fn exit_with(err: &anyhow::Error, code: i32) -> i32 {
    if is_broken_pipe(err) {
        return 0;
    }
    eprintln!("error: {err:#}");
    code
}

/// Whether `err` is stdout closed by the reader (`tessera schema read | head`).
pub(crate) fn is_broken_pipe(err: &anyhow::Error) -> bool {
    err.chain().any(|cause| {
        cause
            .downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    })
}

/// Runs a future on a fresh runtime.
pub(crate) fn block_on<T>(future: impl Future<Output = anyhow::Result<T>>) -> anyhow::Result<T> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|err| anyhow::anyhow!("cannot start the async runtime: {err}"))?
        .block_on(future)
}

/// Asks a yes/no question on stderr and reads the answer from stdin; no answer is no.
pub(crate) fn confirm(question: &str) -> anyhow::Result<bool> {
    eprint!("{question} [y/N] ");
    std::io::stderr().flush()?;
    let mut answer = String::new();
    std::io::stdin().read_line(&mut answer)?;
    Ok(matches!(answer.trim(), "y" | "Y" | "yes" | "YES" | "Yes"))
}
