//! `tessera permission ...`: checks, expansions and lookups.

use std::io::Write;

use anyhow::Context as _;
use serde_json::{Value, json};
use tessera_proto::authzed::api::v1 as wire;
use tessera_proto::authzed::api::v1::permissions_service_client::PermissionsServiceClient;
use tessera_types::{ObjectRef, SubjectRef};

use super::ClientArgs;
use super::status::explain;
use super::wire::{
    ConsistencyArg, object_to_wire, parse_caveat_context, subject_from_wire, subject_to_wire,
};

/// What every permission question takes besides its operands.
#[derive(Debug, clap::Args)]
pub struct QueryArgs {
    /// Caveat context as a JSON object, e.g. '{"ip": "10.0.0.1"}'.
    #[arg(long, value_name = "JSON")]
    context: Option<String>,
    /// Which revision to ask: `full`, `min`, `at-least:TOKEN` or `exact:TOKEN`.
    #[arg(long, default_value = "full")]
    consistency: ConsistencyArg,
    #[command(flatten)]
    client: ClientArgs,
}

/// `tessera permission` subcommands.
#[derive(Debug, clap::Subcommand)]
pub enum PermissionCommand {
    /// Ask whether a subject has a permission: exits 0 when it has, 1 when it has not (or only
    /// conditionally, for want of caveat context), 2 on an error.
    #[command(
        after_help = "Examples:\n  tessera permission check doc:1 view user:alice\n  \
                            tessera permission check doc:1 view user:alice --explain\n  \
                            tessera permission check doc:1 view user:bob --context '{\"ip\": \
                            \"10.0.0.1\"}'\n  if tessera permission check doc:1 edit user:alice; \
                            then echo allowed; fi"
    )]
    Check {
        /// The resource, `TYPE:ID`.
        resource: String,
        /// The permission or relation.
        permission: String,
        /// The subject, `TYPE:ID` or `TYPE:ID#RELATION`.
        subject: String,
        /// Print how the answer was reached (the server's debug trace).
        #[arg(long)]
        explain: bool,
        #[command(flatten)]
        query: QueryArgs,
    },
    /// Print the tree of subjects a permission expands to, one level of relations at a time.
    #[command(
        after_help = "Examples:\n  tessera permission expand doc:1 view\n  tessera \
                            permission expand doc:1 view --json"
    )]
    Expand {
        /// The resource, `TYPE:ID`.
        resource: String,
        /// The permission or relation.
        permission: String,
        #[command(flatten)]
        query: QueryArgs,
    },
    /// List the resources of a type on which a subject has a permission.
    #[command(
        after_help = "Examples:\n  tessera permission lookup-resources doc view \
                            user:alice\n  tessera permission lookup-resources doc view \
                            group:eng#member --json"
    )]
    LookupResources {
        /// The resource type, e.g. `doc`.
        resource_type: String,
        /// The permission or relation.
        permission: String,
        /// The subject, `TYPE:ID` or `TYPE:ID#RELATION`.
        subject: String,
        #[command(flatten)]
        query: QueryArgs,
    },
    /// List the subjects of a type that have a permission on a resource.
    #[command(
        after_help = "Examples:\n  tessera permission lookup-subjects doc:1 view user\n  \
                            tessera permission lookup-subjects doc:1 view group#member"
    )]
    LookupSubjects {
        /// The resource, `TYPE:ID`.
        resource: String,
        /// The permission or relation.
        permission: String,
        /// The subject type, `TYPE` or `TYPE#RELATION`.
        subject_type: String,
        #[command(flatten)]
        query: QueryArgs,
    },
}

impl PermissionCommand {
    /// Whether this is `check` (whose errors exit with 2).
    pub(crate) fn is_check(&self) -> bool {
        matches!(self, Self::Check { .. })
    }
}

fn object(text: &str) -> anyhow::Result<ObjectRef> {
    text.parse()
        .with_context(|| format!("invalid resource `{text}`: write TYPE:ID, e.g. doc:1"))
}

fn subject(text: &str) -> anyhow::Result<SubjectRef> {
    text.parse().with_context(|| {
        format!("invalid subject `{text}`: write TYPE:ID or TYPE:ID#RELATION, e.g. user:alice")
    })
}

fn missing_context(info: Option<&wire::PartialCaveatInfo>) -> Vec<String> {
    info.map(|info| info.missing_required_context.clone())
        .unwrap_or_default()
}

pub(crate) async fn run(command: PermissionCommand, out: &mut impl Write) -> anyhow::Result<u8> {
    match command {
        PermissionCommand::Check {
            resource,
            permission,
            subject: subject_text,
            explain: with_tracing,
            query,
        } => {
            let request = wire::CheckPermissionRequest {
                consistency: Some(query.consistency.to_wire()),
                resource: Some(object_to_wire(&object(&resource)?)),
                permission: permission.clone(),
                subject: Some(subject_to_wire(&subject(&subject_text)?)),
                context: parse_caveat_context(query.context.as_deref())?,
                with_tracing,
            };
            let mut client =
                PermissionsServiceClient::new(query.client.connection.connect().await?);
            let response = client
                .check_permission(request)
                .await
                .map_err(|status| explain("CheckPermission", &status))?
                .into_inner();
            check_output(&response, with_tracing, query.client.json, out)
        }
        PermissionCommand::Expand {
            resource,
            permission,
            query,
        } => {
            let mut client =
                PermissionsServiceClient::new(query.client.connection.connect().await?);
            let response = client
                .expand_permission_tree(wire::ExpandPermissionTreeRequest {
                    consistency: Some(query.consistency.to_wire()),
                    resource: Some(object_to_wire(&object(&resource)?)),
                    permission,
                })
                .await
                .map_err(|status| explain("ExpandPermissionTree", &status))?
                .into_inner();
            let tree = response.tree_root.unwrap_or_default();
            if query.client.json {
                writeln!(out, "{}", tree_json(&tree))?;
            } else {
                print_tree(&tree, "", "", out)?;
            }
            Ok(0)
        }
        PermissionCommand::LookupResources {
            resource_type,
            permission,
            subject: subject_text,
            query,
        } => {
            let mut client =
                PermissionsServiceClient::new(query.client.connection.connect().await?);
            let mut stream = client
                .lookup_resources(wire::LookupResourcesRequest {
                    consistency: Some(query.consistency.to_wire()),
                    resource_object_type: resource_type.clone(),
                    permission,
                    subject: Some(subject_to_wire(&subject(&subject_text)?)),
                    context: parse_caveat_context(query.context.as_deref())?,
                    ..Default::default()
                })
                .await
                .map_err(|status| explain("LookupResources", &status))?
                .into_inner();
            let mut found = 0_usize;
            while let Some(item) = stream
                .message()
                .await
                .map_err(|status| explain("LookupResources", &status))?
            {
                found += 1;
                let conditional =
                    item.permissionship == wire::LookupPermissionship::ConditionalPermission as i32;
                let missing = missing_context(item.partial_caveat_info.as_ref());
                let name = format!("{resource_type}:{}", item.resource_object_id);
                print_found(&name, conditional, &missing, query.client.json, out)?;
            }
            if found == 0 && !query.client.json {
                writeln!(out, "no resources found")?;
            }
            Ok(0)
        }
        PermissionCommand::LookupSubjects {
            resource,
            permission,
            subject_type,
            query,
        } => {
            let (subject_type, subject_relation) = match subject_type.split_once('#') {
                Some((object_type, relation)) => (object_type.to_owned(), relation.to_owned()),
                None => (subject_type, String::new()),
            };
            let mut client =
                PermissionsServiceClient::new(query.client.connection.connect().await?);
            let mut stream = client
                .lookup_subjects(wire::LookupSubjectsRequest {
                    consistency: Some(query.consistency.to_wire()),
                    resource: Some(object_to_wire(&object(&resource)?)),
                    permission,
                    subject_object_type: subject_type.clone(),
                    optional_subject_relation: subject_relation.clone(),
                    context: parse_caveat_context(query.context.as_deref())?,
                    ..Default::default()
                })
                .await
                .map_err(|status| explain("LookupSubjects", &status))?
                .into_inner();
            let relation_suffix = if subject_relation.is_empty() {
                String::new()
            } else {
                format!("#{subject_relation}")
            };
            let mut found = 0_usize;
            while let Some(item) = stream
                .message()
                .await
                .map_err(|status| explain("LookupSubjects", &status))?
            {
                let Some(resolved) = item.subject else {
                    continue;
                };
                found += 1;
                let conditional = resolved.permissionship
                    == wire::LookupPermissionship::ConditionalPermission as i32;
                let missing = missing_context(resolved.partial_caveat_info.as_ref());
                let mut name = format!(
                    "{subject_type}:{}{relation_suffix}",
                    resolved.subject_object_id
                );
                let excluded: Vec<String> = item
                    .excluded_subjects
                    .iter()
                    .map(|excluded| format!("{subject_type}:{}", excluded.subject_object_id))
                    .collect();
                if !excluded.is_empty() && !query.client.json {
                    name = format!("{name} (except {})", excluded.join(", "));
                }
                print_found(&name, conditional, &missing, query.client.json, out)?;
            }
            if found == 0 && !query.client.json {
                writeln!(out, "no subjects found")?;
            }
            Ok(0)
        }
    }
}

fn print_found(
    name: &str,
    conditional: bool,
    missing: &[String],
    json: bool,
    out: &mut impl Write,
) -> anyhow::Result<()> {
    if json {
        let permissionship = if conditional {
            "conditional"
        } else {
            "has_permission"
        };
        writeln!(
            out,
            "{}",
            json!({ "object": name, "permissionship": permissionship, "missing_context": missing })
        )?;
    } else if conditional {
        writeln!(out, "{name} (conditional: needs {})", missing.join(", "))?;
    } else {
        writeln!(out, "{name}")?;
    }
    Ok(())
}

fn check_output(
    response: &wire::CheckPermissionResponse,
    with_tracing: bool,
    json: bool,
    out: &mut impl Write,
) -> anyhow::Result<u8> {
    use wire::check_permission_response::Permissionship;
    let token = response
        .checked_at
        .as_ref()
        .map(|token| token.token.clone())
        .unwrap_or_default();
    let missing = missing_context(response.partial_caveat_info.as_ref());
    let (word, code) = match Permissionship::try_from(response.permissionship) {
        Ok(Permissionship::HasPermission) => ("true", 0),
        Ok(Permissionship::ConditionalPermission) => ("conditional", 1),
        Ok(Permissionship::NoPermission) => ("false", 1),
        _ => anyhow::bail!("the server answered CheckPermission without a permissionship"),
    };
    if json {
        let mut answer = json!({
            "permissionship": word,
            "checked_at": token,
            "missing_context": missing,
        });
        if let Some(debug) = &response.debug_trace {
            answer["debug_trace"] = json!({
                "check": debug.check.as_ref().map(trace_json),
                "schema_used": debug.schema_used,
            });
        }
        writeln!(out, "{answer}")?;
    } else {
        match word {
            "conditional" => writeln!(
                out,
                "conditional: caveat context missing: {} (give it with --context)",
                missing.join(", ")
            )?,
            _ => writeln!(out, "{word}")?,
        }
        if with_tracing {
            match response
                .debug_trace
                .as_ref()
                .and_then(|debug| debug.check.as_ref())
            {
                Some(trace) => print_trace(trace, "", "", out)?,
                None => writeln!(out, "(the server returned no trace)")?,
            }
        }
    }
    Ok(code)
}

fn trace_line(trace: &wire::CheckDebugTrace) -> String {
    use wire::check_debug_trace::{PermissionType, Permissionship};
    let mark = match Permissionship::try_from(trace.result) {
        Ok(Permissionship::HasPermission) => "✓",
        Ok(Permissionship::ConditionalPermission) => "?",
        Ok(Permissionship::NoPermission) => "⨯",
        _ => "!",
    };
    let resource = trace
        .resource
        .as_ref()
        .map(|object| format!("{}:{}", object.object_type, object.object_id))
        .unwrap_or_default();
    let kind = match PermissionType::try_from(trace.permission_type) {
        Ok(PermissionType::Permission) => "permission",
        Ok(PermissionType::Relation) => "relation",
        _ => "unknown",
    };
    let mut line = format!("{mark} {resource}#{} ({kind})", trace.permission);
    if let Some(wire::check_debug_trace::Resolution::WasCachedResult(true)) = trace.resolution {
        line.push_str(" cached");
    }
    if let Some(duration) = &trace.duration {
        let micros = duration.seconds.saturating_mul(1_000_000) + i64::from(duration.nanos / 1000);
        line.push_str(&format!(" {micros}µs"));
    }
    if let Some(caveat) = &trace.caveat_evaluation_info {
        line.push_str(&format!(" caveat {}", caveat.caveat_name));
    }
    line
}

fn trace_children(trace: &wire::CheckDebugTrace) -> &[wire::CheckDebugTrace] {
    match &trace.resolution {
        Some(wire::check_debug_trace::Resolution::SubProblems(sub)) => &sub.traces,
        _ => &[],
    }
}

fn print_trace(
    trace: &wire::CheckDebugTrace,
    first: &str,
    rest: &str,
    out: &mut impl Write,
) -> anyhow::Result<()> {
    writeln!(out, "{first}{}", trace_line(trace))?;
    let children = trace_children(trace);
    for (index, child) in children.iter().enumerate() {
        let last = index + 1 == children.len();
        let (branch, indent) = if last {
            ("└── ", "    ")
        } else {
            ("├── ", "│   ")
        };
        print_trace(
            child,
            &format!("{rest}{branch}"),
            &format!("{rest}{indent}"),
            out,
        )?;
    }
    Ok(())
}

fn trace_json(trace: &wire::CheckDebugTrace) -> Value {
    json!({
        "step": trace_line(trace),
        "subject": trace.subject.as_ref().and_then(|subject| subject_from_wire(Some(subject)).ok()).map(|subject| subject.to_string()),
        "children": trace_children(trace).iter().map(trace_json).collect::<Vec<_>>(),
    })
}

fn tree_label(tree: &wire::PermissionRelationshipTree) -> String {
    tree.expanded_object
        .as_ref()
        .map(|object| {
            format!(
                "{}:{}#{}",
                object.object_type, object.object_id, tree.expanded_relation
            )
        })
        .unwrap_or_default()
}

fn subject_text(subject: &wire::SubjectReference) -> String {
    subject_from_wire(Some(subject)).map_or_else(|_| "?".to_owned(), |subject| subject.to_string())
}

fn print_tree(
    tree: &wire::PermissionRelationshipTree,
    first: &str,
    rest: &str,
    out: &mut impl Write,
) -> anyhow::Result<()> {
    use wire::algebraic_subject_set::Operation;
    use wire::permission_relationship_tree::TreeType;
    let (operation, children, subjects) = match &tree.tree_type {
        Some(TreeType::Intermediate(set)) => {
            let operation = match Operation::try_from(set.operation) {
                Ok(Operation::Union) => "union",
                Ok(Operation::Intersection) => "intersection",
                Ok(Operation::Exclusion) => "exclusion",
                _ => "?",
            };
            (operation, set.children.as_slice(), &[][..])
        }
        Some(TreeType::Leaf(leaf)) => ("", &[][..], leaf.subjects.as_slice()),
        None => ("", &[][..], &[][..]),
    };
    let label = tree_label(tree);
    match operation {
        "" => writeln!(out, "{first}{label}")?,
        operation => writeln!(out, "{first}{label} ({operation})")?,
    }
    let count = children.len() + subjects.len();
    let mut index = 0;
    let branch = |index: usize| {
        if index + 1 == count {
            (format!("{rest}└── "), format!("{rest}    "))
        } else {
            (format!("{rest}├── "), format!("{rest}│   "))
        }
    };
    for child in children {
        let (first, next) = branch(index);
        print_tree(child, &first, &next, out)?;
        index += 1;
    }
    for subject in subjects {
        let (first, _) = branch(index);
        writeln!(out, "{first}{}", subject_text(subject))?;
        index += 1;
    }
    Ok(())
}

fn tree_json(tree: &wire::PermissionRelationshipTree) -> Value {
    use wire::algebraic_subject_set::Operation;
    use wire::permission_relationship_tree::TreeType;
    let mut node = json!({ "expanded": tree_label(tree) });
    match &tree.tree_type {
        Some(TreeType::Intermediate(set)) => {
            let operation = match Operation::try_from(set.operation) {
                Ok(Operation::Union) => "union",
                Ok(Operation::Intersection) => "intersection",
                Ok(Operation::Exclusion) => "exclusion",
                _ => "unspecified",
            };
            node["operation"] = json!(operation);
            node["children"] = Value::Array(set.children.iter().map(tree_json).collect());
        }
        Some(TreeType::Leaf(leaf)) => {
            node["subjects"] = Value::Array(
                leaf.subjects
                    .iter()
                    .map(|subject| Value::String(subject_text(subject)))
                    .collect(),
            );
        }
        None => {}
    }
    node
}
