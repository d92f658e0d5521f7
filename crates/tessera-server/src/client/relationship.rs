//! `tessera relationship ...`: writing, deleting and reading relationships.

use std::io::Write;

use serde_json::json;
use tessera_proto::authzed::api::v1 as wire;
use tessera_proto::authzed::api::v1::permissions_service_client::PermissionsServiceClient;
use tessera_types::Relationship;

use super::output::Table;
use super::status::explain;
use super::wire::{
    ConsistencyArg, parse_filter, relationship_from_wire, relationship_to_wire,
    relationships_from_words,
};
use super::{ClientArgs, confirm};

/// Relationships to write or delete, in either text form.
#[derive(Debug, clap::Args)]
pub struct WriteArgs {
    /// Relationships: `doc:1 reader user:alice` (three words) or `doc:1#reader@user:alice`;
    /// the subject may carry `[caveat:{json}]` and `[expiration:RFC3339]`.
    #[arg(required = true, value_name = "REL")]
    relationships: Vec<String>,
    #[command(flatten)]
    client: ClientArgs,
}

/// A relationship filter.
#[derive(Debug, clap::Args)]
pub struct FilterArgs {
    /// `RESOURCE [RELATION [SUBJECT]]`: RESOURCE is `TYPE`, `TYPE:ID`, `TYPE:PREFIX*` or `*`;
    /// RELATION a name or `*`; SUBJECT `TYPE`, `TYPE:ID` or `TYPE:ID#RELATION`.
    #[arg(required = true, num_args = 1..=3, value_name = "FILTER")]
    filter: Vec<String>,
    #[command(flatten)]
    client: ClientArgs,
}

/// `tessera relationship read`.
#[derive(Debug, clap::Args)]
pub struct ReadArgs {
    #[command(flatten)]
    filter: FilterArgs,
    /// Which revision to read: `full`, `min`, `at-least:TOKEN` or `exact:TOKEN`.
    #[arg(long, default_value = "full")]
    consistency: ConsistencyArg,
    /// Stop after this many relationships.
    #[arg(long)]
    limit: Option<u32>,
}

/// `tessera relationship` subcommands.
#[derive(Debug, clap::Subcommand)]
pub enum RelationshipCommand {
    /// Create relationships; fails if any exists already.
    #[command(
        after_help = "Examples:\n  tessera relationship create doc:1 reader user:alice\n  \
                            tessera relationship create 'doc:1#reader@group:eng#member' \
                            'doc:2#reader@user:bob[expiration:2030-01-01T00:00:00Z]'"
    )]
    Create(WriteArgs),
    /// Write relationships whether or not they exist (updating caveats and expirations).
    #[command(
        after_help = "Examples:\n  tessera relationship touch doc:1 reader user:alice\n  \
                            tessera relationship touch 'doc:1#reader@user:bob[ip_allowed:{\"cidr\":\"10.0.0.0/8\"}]'"
    )]
    Touch(WriteArgs),
    /// Delete the given relationships (missing ones are ignored).
    #[command(after_help = "Examples:\n  tessera relationship delete doc:1 reader user:alice")]
    Delete(WriteArgs),
    /// List the relationships matching a filter.
    #[command(
        after_help = "Examples:\n  tessera relationship read doc\n  tessera relationship \
                            read doc:1 reader\n  tessera relationship read 'doc:*' '*' user:alice --json"
    )]
    Read(ReadArgs),
    /// Delete every relationship matching a filter (asks first unless --yes).
    #[command(
        after_help = "Examples:\n  tessera relationship bulk-delete doc:1\n  tessera \
                            relationship bulk-delete doc '*' user:alice --yes"
    )]
    BulkDelete {
        #[command(flatten)]
        filter: FilterArgs,
        /// Delete without asking.
        #[arg(long, short = 'y')]
        yes: bool,
    },
}

/// Relationships per WriteRelationships call (SpiceDB's default limit).
const WRITE_BATCH: usize = 1000;

pub(crate) async fn run(command: RelationshipCommand, out: &mut impl Write) -> anyhow::Result<u8> {
    use wire::relationship_update::Operation;
    match command {
        RelationshipCommand::Create(args) => write(args, Operation::Create, out).await,
        RelationshipCommand::Touch(args) => write(args, Operation::Touch, out).await,
        RelationshipCommand::Delete(args) => write(args, Operation::Delete, out).await,
        RelationshipCommand::Read(ReadArgs {
            filter,
            consistency,
            limit,
        }) => read(filter, &consistency, limit, out).await,
        RelationshipCommand::BulkDelete { filter, yes } => bulk_delete(filter, yes, out).await,
    }
}

async fn write(
    args: WriteArgs,
    operation: wire::relationship_update::Operation,
    out: &mut impl Write,
) -> anyhow::Result<u8> {
    let relationships = relationships_from_words(&args.relationships)?;
    let mut client = PermissionsServiceClient::new(args.client.connection.connect().await?);
    let updates = updates(&relationships, operation);
    let token = write_updates(&mut client, updates).await?;
    let verb = match operation {
        wire::relationship_update::Operation::Create => "created",
        wire::relationship_update::Operation::Delete => "deleted",
        _ => "touched",
    };
    if args.client.json {
        writeln!(
            out,
            "{}",
            json!({ verb: relationships.len(), "written_at": token })
        )?;
    } else {
        writeln!(
            out,
            "{verb} {} relationship(s) at {token}",
            relationships.len()
        )?;
    }
    Ok(0)
}

pub(crate) fn updates(
    relationships: &[Relationship],
    operation: wire::relationship_update::Operation,
) -> Vec<wire::RelationshipUpdate> {
    relationships
        .iter()
        .map(|relationship| wire::RelationshipUpdate {
            operation: operation as i32,
            relationship: Some(relationship_to_wire(relationship)),
        })
        .collect()
}

/// Writes updates in calls of at most [`WRITE_BATCH`]; returns the last ZedToken.
pub(crate) async fn write_updates(
    client: &mut PermissionsServiceClient<crate::AuthedChannel>,
    updates: Vec<wire::RelationshipUpdate>,
) -> anyhow::Result<String> {
    let mut token = String::new();
    let mut updates = updates.into_iter().peekable();
    while updates.peek().is_some() {
        let batch: Vec<_> = updates.by_ref().take(WRITE_BATCH).collect();
        let response = client
            .write_relationships(wire::WriteRelationshipsRequest {
                updates: batch,
                ..Default::default()
            })
            .await
            .map_err(|status| explain("WriteRelationships", &status))?
            .into_inner();
        token = response
            .written_at
            .map(|token| token.token)
            .unwrap_or_default();
    }
    Ok(token)
}

async fn read(
    args: FilterArgs,
    consistency: &ConsistencyArg,
    limit: Option<u32>,
    out: &mut impl Write,
) -> anyhow::Result<u8> {
    let filter = parse_filter(&args.filter)?;
    let mut client = PermissionsServiceClient::new(args.client.connection.connect().await?);
    let mut table = Table::new(["RESOURCE", "RELATION", "SUBJECT", "CAVEAT", "EXPIRES"]);
    let mut remaining = limit.map(u64::from);
    let mut cursor = None;
    // Pages of 1000 (SpiceDB's largest), resumed from the last cursor, until one comes back short.
    loop {
        let page = remaining.map_or(1000, |left| left.min(1000));
        if page == 0 {
            break;
        }
        let mut stream = client
            .read_relationships(wire::ReadRelationshipsRequest {
                consistency: Some(consistency.to_wire()),
                relationship_filter: Some(filter.clone()),
                optional_limit: u32::try_from(page).unwrap_or(1000),
                optional_cursor: cursor.take(),
            })
            .await
            .map_err(|status| explain("ReadRelationships", &status))?
            .into_inner();
        let mut count = 0;
        while let Some(response) = stream
            .message()
            .await
            .map_err(|status| explain("ReadRelationships", &status))?
        {
            count += 1;
            cursor = response.after_result_cursor;
            let Some(relationship) = response.relationship else {
                continue;
            };
            let relationship = relationship_from_wire(&relationship)?;
            if args.client.json {
                writeln!(out, "{}", relationship_json(&relationship))?;
            } else {
                table.row(relationship_row(&relationship));
            }
        }
        if let Some(left) = remaining.as_mut() {
            *left = left.saturating_sub(count);
        }
        if count < page || cursor.is_none() {
            break;
        }
    }
    if !args.client.json {
        if table.is_empty() {
            writeln!(out, "no relationships match")?;
        } else {
            table.print(out)?;
        }
    }
    Ok(0)
}

/// A relationship as a JSON object for `--json` output.
pub(crate) fn relationship_json(relationship: &Relationship) -> serde_json::Value {
    json!({
        "relationship": relationship.to_string(),
        "resource": relationship.resource().to_string(),
        "relation": relationship.relation(),
        "subject": relationship.subject().to_string(),
        "caveat": relationship.caveat().map(|caveat| json!({
            "name": caveat.name(),
            "context": caveat.context(),
        })),
        "expires_at": relationship.expires_at().map(|at| at.to_string()),
    })
}

fn relationship_row(relationship: &Relationship) -> [String; 5] {
    let caveat = relationship.caveat().map_or_else(String::new, |caveat| {
        if caveat.context().is_empty() {
            caveat.name().to_owned()
        } else {
            format!(
                "{}:{}",
                caveat.name(),
                serde_json::Value::Object(caveat.context().clone())
            )
        }
    });
    [
        relationship.resource().to_string(),
        relationship.relation().to_owned(),
        relationship.subject().to_string(),
        caveat,
        relationship
            .expires_at()
            .map(|at| at.to_string())
            .unwrap_or_default(),
    ]
}

async fn bulk_delete(args: FilterArgs, yes: bool, out: &mut impl Write) -> anyhow::Result<u8> {
    let filter = parse_filter(&args.filter)?;
    let mut client = PermissionsServiceClient::new(args.client.connection.connect().await?);
    if !yes {
        // Count what would go (up to a page) so the question says how much.
        let mut stream = client
            .read_relationships(wire::ReadRelationshipsRequest {
                consistency: Some(ConsistencyArg::Full.to_wire()),
                relationship_filter: Some(filter.clone()),
                optional_limit: 1000,
                optional_cursor: None,
            })
            .await
            .map_err(|status| explain("ReadRelationships", &status))?
            .into_inner();
        let mut count = 0;
        while stream
            .message()
            .await
            .map_err(|status| explain("ReadRelationships", &status))?
            .is_some()
        {
            count += 1;
        }
        if count == 0 {
            writeln!(out, "no relationships match; nothing deleted")?;
            return Ok(0);
        }
        let amount = if count >= 1000 {
            "1000 or more".to_owned()
        } else {
            count.to_string()
        };
        if !confirm(&format!(
            "Delete {amount} relationship(s) matching the filter?"
        ))? {
            eprintln!("nothing deleted (give --yes to delete without asking)");
            return Ok(1);
        }
    }
    let response = client
        .delete_relationships(wire::DeleteRelationshipsRequest {
            relationship_filter: Some(filter),
            ..Default::default()
        })
        .await
        .map_err(|status| explain("DeleteRelationships", &status))?
        .into_inner();
    let token = response
        .deleted_at
        .map(|token| token.token)
        .unwrap_or_default();
    if args.client.json {
        writeln!(
            out,
            "{}",
            json!({ "deleted": response.relationships_deleted_count, "deleted_at": token })
        )?;
    } else {
        writeln!(
            out,
            "deleted {} relationship(s) at {token}",
            response.relationships_deleted_count
        )?;
    }
    Ok(0)
}
