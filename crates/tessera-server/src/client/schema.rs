//! `tessera schema read | write | diff`: the schema stored on a server.

use std::io::Write;
use std::path::PathBuf;

use anyhow::Context as _;
use serde_json::json;
use tessera_proto::authzed::api::v1 as wire;
use tessera_proto::authzed::api::v1::reflection_schema_diff::Diff;
use tessera_proto::authzed::api::v1::schema_service_client::SchemaServiceClient;

use super::status::explain;
use super::wire::ConsistencyArg;
use super::{ClientArgs, confirm};

/// `tessera schema read`.
#[derive(Debug, clap::Args)]
pub struct SchemaReadArgs {
    #[command(flatten)]
    client: ClientArgs,
}

/// `tessera schema write FILE`.
#[derive(Debug, clap::Args)]
pub struct SchemaWriteArgs {
    /// The `.zed` file to write.
    file: PathBuf,
    /// Write without asking, even when definitions, relations, permissions or caveats would
    /// be removed.
    #[arg(long, short = 'y')]
    yes: bool,
    #[command(flatten)]
    client: ClientArgs,
}

/// `tessera schema diff FILE`.
#[derive(Debug, clap::Args)]
pub struct SchemaDiffArgs {
    /// The `.zed` file to compare with the server's schema.
    file: PathBuf,
    /// Which revision of the server's schema: `full`, `min`, `at-least:TOKEN`, `exact:TOKEN`.
    #[arg(long, default_value = "full")]
    consistency: ConsistencyArg,
    #[command(flatten)]
    client: ClientArgs,
}

/// The online schema subcommands.
pub(crate) enum Online<'a> {
    Read(&'a SchemaReadArgs),
    Write(&'a SchemaWriteArgs),
    Diff(&'a SchemaDiffArgs),
}

/// Runs an online schema subcommand on its own runtime; returns whether it succeeded (a
/// declined write did not). A reader that closes stdout early is no failure.
pub(crate) fn run_blocking(command: Online<'_>, out: &mut impl Write) -> anyhow::Result<bool> {
    match super::block_on(run(command, out)) {
        Err(err) if super::is_broken_pipe(&err) => Ok(true),
        result => result,
    }
}

async fn run(command: Online<'_>, out: &mut impl Write) -> anyhow::Result<bool> {
    match command {
        Online::Read(args) => {
            let mut client = SchemaServiceClient::new(args.client.connection.connect().await?);
            let response = client
                .read_schema(wire::ReadSchemaRequest {})
                .await
                .map_err(|status| match status.code() {
                    tonic::Code::NotFound => anyhow::anyhow!(
                        "the server has no schema yet: write one with `tessera schema write FILE`"
                    ),
                    _ => explain("ReadSchema", &status),
                })?
                .into_inner();
            if args.client.json {
                let token = response.read_at.map(|token| token.token);
                writeln!(
                    out,
                    "{}",
                    json!({ "schema": response.schema_text, "read_at": token })
                )?;
            } else {
                writeln!(out, "{}", response.schema_text.trim_end())?;
            }
            Ok(true)
        }
        Online::Diff(args) => {
            let schema = read_file(&args.file)?;
            let mut client = SchemaServiceClient::new(args.client.connection.connect().await?);
            let diffs = diff(&mut client, schema, args.consistency.to_wire()).await?;
            print_diffs(&diffs, args.client.json, out)?;
            Ok(true)
        }
        Online::Write(args) => {
            let schema = read_file(&args.file)?;
            let mut client = SchemaServiceClient::new(args.client.connection.connect().await?);
            let full = ConsistencyArg::Full.to_wire();
            let diffs = match diff(&mut client, schema.clone(), full).await {
                Ok(diffs) => Some(diffs),
                // An older server without DiffSchema: write without showing a diff.
                Err(err) if is_unimplemented(&err) => None,
                Err(err) => return Err(err),
            };
            if let Some(diffs) = &diffs {
                if !args.client.json {
                    print_diffs(diffs, false, out)?;
                    out.flush()?;
                }
                let removals = diffs.iter().filter(|diff| is_removal(diff)).count();
                if removals > 0 && !args.yes {
                    let question = format!(
                        "{removals} change(s) remove parts of the schema; relationships using \
                         them must be deleted first. Write it?"
                    );
                    if !confirm(&question)? {
                        eprintln!("not written (give --yes to write without asking)");
                        return Ok(false);
                    }
                }
            }
            let response = client
                .write_schema(wire::WriteSchemaRequest { schema })
                .await
                .map_err(|status| explain("WriteSchema", &status))?
                .into_inner();
            let token = response
                .written_at
                .map(|token| token.token)
                .unwrap_or_default();
            if args.client.json {
                writeln!(out, "{}", json!({ "written_at": token }))?;
            } else {
                writeln!(out, "schema written at {token}")?;
            }
            Ok(true)
        }
    }
}

fn read_file(path: &PathBuf) -> anyhow::Result<String> {
    std::fs::read_to_string(path).with_context(|| format!("cannot read `{}`", path.display()))
}

fn is_unimplemented(err: &anyhow::Error) -> bool {
    err.to_string().contains("(Unimplemented)")
}

async fn diff(
    client: &mut SchemaServiceClient<crate::AuthedChannel>,
    schema: String,
    consistency: wire::Consistency,
) -> anyhow::Result<Vec<Diff>> {
    let response = client
        .diff_schema(wire::DiffSchemaRequest {
            consistency: Some(consistency),
            comparison_schema: schema,
        })
        .await
        .map_err(|status| explain("DiffSchema", &status))?
        .into_inner();
    Ok(response
        .diffs
        .into_iter()
        .filter_map(|diff| diff.diff)
        .collect())
}

fn is_removal(diff: &Diff) -> bool {
    matches!(
        diff,
        Diff::DefinitionRemoved(_)
            | Diff::RelationRemoved(_)
            | Diff::RelationSubjectTypeRemoved(_)
            | Diff::PermissionRemoved(_)
            | Diff::CaveatRemoved(_)
            | Diff::CaveatParameterRemoved(_)
    )
}

/// One diff as `(sign, kind, name)`: `+` added, `-` removed, `~` changed.
fn describe(diff: &Diff) -> (char, &'static str, String) {
    let member = |parent: &str, name: &str| format!("{parent}#{name}");
    let type_ref = |change: &wire::ReflectionRelationSubjectTypeChange| {
        let relation = change
            .relation
            .as_ref()
            .map(|relation| member(&relation.parent_definition_name, &relation.name))
            .unwrap_or_default();
        let subject = change
            .changed_subject_type
            .as_ref()
            .map(|subject| {
                use wire::reflection_type_reference::Typeref;
                let mut text = subject.subject_definition_name.clone();
                match &subject.typeref {
                    Some(Typeref::OptionalRelationName(relation)) => {
                        text = format!("{text}#{relation}");
                    }
                    Some(Typeref::IsPublicWildcard(true)) => text.push_str(":*"),
                    _ => {}
                }
                if !subject.optional_caveat_name.is_empty() {
                    text = format!("{text} with {}", subject.optional_caveat_name);
                }
                text
            })
            .unwrap_or_default();
        format!("{relation}: {subject}")
    };
    match diff {
        Diff::DefinitionAdded(d) => ('+', "definition", d.name.clone()),
        Diff::DefinitionRemoved(d) => ('-', "definition", d.name.clone()),
        Diff::DefinitionDocCommentChanged(d) => ('~', "definition comment", d.name.clone()),
        Diff::RelationAdded(r) => ('+', "relation", member(&r.parent_definition_name, &r.name)),
        Diff::RelationRemoved(r) => ('-', "relation", member(&r.parent_definition_name, &r.name)),
        Diff::RelationDocCommentChanged(r) => (
            '~',
            "relation comment",
            member(&r.parent_definition_name, &r.name),
        ),
        Diff::RelationSubjectTypeAdded(c) => ('+', "subject type", type_ref(c)),
        Diff::RelationSubjectTypeRemoved(c) => ('-', "subject type", type_ref(c)),
        Diff::PermissionAdded(p) => (
            '+',
            "permission",
            member(&p.parent_definition_name, &p.name),
        ),
        Diff::PermissionRemoved(p) => (
            '-',
            "permission",
            member(&p.parent_definition_name, &p.name),
        ),
        Diff::PermissionDocCommentChanged(p) => (
            '~',
            "permission comment",
            member(&p.parent_definition_name, &p.name),
        ),
        Diff::PermissionExprChanged(p) => (
            '~',
            "permission expression",
            member(&p.parent_definition_name, &p.name),
        ),
        Diff::CaveatAdded(c) => ('+', "caveat", c.name.clone()),
        Diff::CaveatRemoved(c) => ('-', "caveat", c.name.clone()),
        Diff::CaveatDocCommentChanged(c) => ('~', "caveat comment", c.name.clone()),
        Diff::CaveatExprChanged(c) => ('~', "caveat expression", c.name.clone()),
        Diff::CaveatParameterAdded(p) => (
            '+',
            "caveat parameter",
            format!("{}.{}: {}", p.parent_caveat_name, p.name, p.r#type),
        ),
        Diff::CaveatParameterRemoved(p) => (
            '-',
            "caveat parameter",
            format!("{}.{}", p.parent_caveat_name, p.name),
        ),
        Diff::CaveatParameterTypeChanged(c) => {
            let name = c
                .parameter
                .as_ref()
                .map(|p| {
                    format!(
                        "{}.{}: {} -> {}",
                        p.parent_caveat_name, p.name, c.previous_type, p.r#type
                    )
                })
                .unwrap_or_default();
            ('~', "caveat parameter type", name)
        }
    }
}

fn print_diffs(diffs: &[Diff], json: bool, out: &mut impl Write) -> anyhow::Result<()> {
    if json {
        let list: Vec<_> = diffs
            .iter()
            .map(|diff| {
                let (sign, kind, name) = describe(diff);
                let change = match sign {
                    '+' => "added",
                    '-' => "removed",
                    _ => "changed",
                };
                json!({ "change": change, "kind": kind, "name": name })
            })
            .collect();
        writeln!(out, "{}", serde_json::Value::Array(list))?;
    } else if diffs.is_empty() {
        writeln!(out, "no differences")?;
    } else {
        for diff in diffs {
            let (sign, kind, name) = describe(diff);
            writeln!(out, "{sign} {kind} {name}")?;
        }
    }
    Ok(())
}
