//! `tessera export`: every relationship of a server (optionally its schema too), streamed
//! page by page with a progress line; an interrupted export prints a cursor to resume from.

use std::io::Write;
use std::path::PathBuf;

use anyhow::Context as _;
use tessera_proto::authzed::api::v1 as wire;
use tessera_proto::authzed::api::v1::permissions_service_client::PermissionsServiceClient;
use tessera_proto::authzed::api::v1::schema_service_client::SchemaServiceClient;

use super::ClientArgs;
use super::progress::Progress;
use super::relationship::relationship_json;
use super::status::explain;
use super::wire::{ConsistencyArg, parse_filter, relationship_from_wire};

/// What `tessera export` writes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum ExportFormat {
    /// One relationship per line, as `tessera import` reads them.
    Text,
    /// A validation file: the schema and the relationships (`tessera import` reads it too).
    Yaml,
}

/// `tessera export`.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Examples:\n  tessera export > relationships.txt\n  tessera export \
                        --format yaml --output backup.yaml\n  tessera export --filter 'doc:1 \
                        reader'\n  tessera export --output relationships.txt --cursor \
                        <CURSOR-PRINTED-BY-THE-FAILED-RUN>"
)]
pub struct ExportArgs {
    /// Write to this file instead of stdout.
    #[arg(long, short = 'o', value_name = "FILE")]
    output: Option<PathBuf>,
    /// Output format (--json instead writes one JSON object per relationship).
    #[arg(long, value_enum, default_value_t = ExportFormat::Text)]
    format: ExportFormat,
    /// Only relationships matching `RESOURCE [RELATION [SUBJECT]]` (one quoted argument).
    #[arg(long, value_name = "FILTER")]
    filter: Option<String>,
    /// Continue an interrupted export from the cursor it printed (appends to --output).
    #[arg(long)]
    cursor: Option<String>,
    /// Relationships per streamed page.
    #[arg(long, default_value_t = 5000, value_name = "N")]
    page_size: u32,
    /// Which revision to export: `full`, `min`, `at-least:TOKEN` or `exact:TOKEN` (a cursor
    /// keeps the revision it was taken at).
    #[arg(long, default_value = "full")]
    consistency: ConsistencyArg,
    #[command(flatten)]
    client: ClientArgs,
}

pub(crate) async fn run(args: ExportArgs, stdout: &mut impl Write) -> anyhow::Result<u8> {
    let filter = args
        .filter
        .as_deref()
        .map(|text| {
            let words: Vec<String> = text.split_whitespace().map(str::to_owned).collect();
            parse_filter(&words)
        })
        .transpose()?;
    let channel = args.client.connection.connect().await?;
    let mut file_out = match &args.output {
        Some(path) => {
            let file = std::fs::OpenOptions::new()
                .create(true)
                .write(true)
                .append(args.cursor.is_some())
                .truncate(args.cursor.is_none())
                .open(path)
                .with_context(|| format!("cannot write `{}`", path.display()))?;
            Some(std::io::BufWriter::new(file))
        }
        None => None,
    };
    let out: &mut dyn Write = match file_out.as_mut() {
        Some(file) => file,
        None => stdout,
    };
    let yaml = args.format == ExportFormat::Yaml && !args.client.json;
    if yaml && args.cursor.is_none() {
        let schema = match SchemaServiceClient::new(channel.clone())
            .read_schema(wire::ReadSchemaRequest {})
            .await
        {
            Ok(response) => response.into_inner().schema_text,
            Err(status) if status.code() == tonic::Code::NotFound => String::new(),
            Err(status) => return Err(explain("ReadSchema", &status)),
        };
        writeln!(out, "schema: |-")?;
        for line in schema.trim_end().lines() {
            writeln!(out, "  {line}")?;
        }
        writeln!(out, "relationships: |-")?;
    }
    let mut client = PermissionsServiceClient::new(channel);
    let mut cursor = args.cursor.clone().map(|token| wire::Cursor { token });
    let request = wire::ExportBulkRelationshipsRequest {
        consistency: Some(args.consistency.to_wire()),
        optional_limit: args.page_size,
        optional_cursor: cursor.clone(),
        optional_relationship_filter: filter,
    };
    let mut progress = Progress::new("exporting", None, 0);
    let result: anyhow::Result<()> = async {
        let mut stream = client
            .export_bulk_relationships(request)
            .await
            .map_err(|status| explain("ExportBulkRelationships", &status))?
            .into_inner();
        while let Some(page) = stream
            .message()
            .await
            .map_err(|status| explain("ExportBulkRelationships", &status))?
        {
            for relationship in &page.relationships {
                let relationship = relationship_from_wire(relationship)?;
                if args.client.json {
                    writeln!(out, "{}", relationship_json(&relationship))?;
                } else if yaml {
                    writeln!(out, "  {relationship}")?;
                } else {
                    writeln!(out, "{relationship}")?;
                }
            }
            // Everything up to the page's cursor is written out before the cursor moves.
            out.flush()?;
            cursor = page.after_result_cursor.or(cursor.take());
            progress.add(u64::try_from(page.relationships.len())?);
        }
        Ok(())
    }
    .await;
    match result {
        Ok(()) => {
            out.flush()?;
            progress.finish("exported");
            Ok(0)
        }
        Err(err) => {
            progress.finish("stopped");
            let resume = match (&cursor, &args.output) {
                (Some(cursor), Some(path)) => format!(
                    "\n  resume with: tessera export --output {} --cursor {}",
                    path.display(),
                    cursor.token
                ),
                (Some(cursor), None) => format!("\n  resume with --cursor {}", cursor.token),
                (None, _) => String::new(),
            };
            Err(anyhow::anyhow!("{err:#}{resume}"))
        }
    }
}
