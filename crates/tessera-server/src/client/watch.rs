//! `tessera watch [TYPES]`: relationship changes as they are committed.

use std::io::Write;

use serde_json::json;
use tessera_proto::authzed::api::v1 as wire;
use tessera_proto::authzed::api::v1::watch_service_client::WatchServiceClient;

use super::ClientArgs;
use super::status::explain;
use super::wire::relationship_from_wire;

/// `tessera watch`.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Examples:\n  tessera watch\n  tessera watch doc folder --json\n  \
                        tessera watch --since <ZEDTOKEN> --max-changes 10"
)]
pub struct WatchArgs {
    /// Only changes to resources of these types (default: all).
    #[arg(value_name = "TYPE")]
    types: Vec<String>,
    /// Start after this ZedToken instead of now.
    #[arg(long, value_name = "ZEDTOKEN")]
    since: Option<String>,
    /// Also report schema changes.
    #[arg(long)]
    schema: bool,
    /// Stop after this many relationship changes (default: run until interrupted).
    #[arg(long, value_name = "N")]
    max_changes: Option<u64>,
    #[command(flatten)]
    client: ClientArgs,
}

pub(crate) async fn run(args: WatchArgs, out: &mut impl Write) -> anyhow::Result<u8> {
    let mut kinds = vec![wire::WatchKind::IncludeRelationshipUpdates as i32];
    if args.schema {
        kinds.push(wire::WatchKind::IncludeSchemaUpdates as i32);
    }
    let mut client = WatchServiceClient::new(args.client.connection.connect().await?);
    let mut stream = client
        .watch(wire::WatchRequest {
            optional_object_types: args.types.clone(),
            optional_start_cursor: args.since.map(|token| wire::ZedToken { token }),
            optional_relationship_filters: Vec::new(),
            optional_update_kinds: kinds,
        })
        .await
        .map_err(|status| explain("Watch", &status))?
        .into_inner();
    if !args.client.json {
        eprintln!("watching for changes (Ctrl-C stops)");
    }
    let mut seen = 0_u64;
    while let Some(response) = stream
        .message()
        .await
        .map_err(|status| explain("Watch", &status))?
    {
        let token = response
            .changes_through
            .map(|token| token.token)
            .unwrap_or_default();
        if response.schema_updated {
            if args.client.json {
                writeln!(
                    out,
                    "{}",
                    json!({ "schema_updated": true, "changes_through": token })
                )?;
            } else {
                writeln!(out, "SCHEMA  updated  at {token}")?;
            }
        }
        for update in &response.updates {
            let operation = match wire::relationship_update::Operation::try_from(update.operation) {
                Ok(wire::relationship_update::Operation::Create) => "CREATE",
                Ok(wire::relationship_update::Operation::Delete) => "DELETE",
                _ => "TOUCH",
            };
            let Some(relationship) = &update.relationship else {
                continue;
            };
            let relationship = relationship_from_wire(relationship)?;
            if args.client.json {
                writeln!(
                    out,
                    "{}",
                    json!({
                        "operation": operation.to_lowercase(),
                        "relationship": relationship.to_string(),
                        "changes_through": token,
                    })
                )?;
            } else {
                writeln!(out, "{operation:<6}  {relationship}  at {token}")?;
            }
            seen += 1;
        }
        out.flush()?;
        if args.max_changes.is_some_and(|max| seen >= max) {
            break;
        }
    }
    Ok(0)
}
