//! SchemaService and the deprecated ExperimentalService aliases.

use tessera_proto::authzed::api::v1 as wire;
use tonic::Code;

use crate::support::*;

#[tokio::test]
async fn the_schema_round_trips_and_is_missing_until_written() {
    let server = TestServer::start().await;
    let mut schema = server.schema().await;
    let missing = schema
        .read_schema(wire::ReadSchemaRequest {})
        .await
        .unwrap_err();
    assert_eq!(missing.code(), Code::NotFound);
    let written = write_schema(&server, SCHEMA).await;
    let read = schema
        .read_schema(wire::ReadSchemaRequest {})
        .await
        .unwrap()
        .into_inner();
    assert_eq!(read.schema_text, SCHEMA);
    assert_eq!(read.read_at.unwrap(), written);
}

#[tokio::test]
async fn schema_changes_that_keep_relationships_valid_are_accepted() {
    let server = TestServer::start().await;
    write_schema(&server, SCHEMA).await;
    write(&server, vec![touch("document:1#viewer@user:ada")]).await;
    // Adding and removing what no relationship uses is fine.
    let extended = SCHEMA.replace(
        "relation banned: user",
        "relation banned: user\n    relation auditor: user",
    );
    write_schema(&server, &extended).await;
    let without_owner_wildcard = extended.replace(" | user:* ", " ");
    write_schema(&server, &without_owner_wildcard).await;
}

#[tokio::test]
async fn removing_a_used_subject_type_is_refused_naming_a_relationship() {
    let server = TestServer::start().await;
    write_schema(&server, SCHEMA).await;
    write(&server, vec![touch("document:1#viewer@group:eng#member")]).await;
    let err = server
        .schema()
        .await
        .write_schema(wire::WriteSchemaRequest {
            schema: SCHEMA.replace(" | group#member |", " |"),
        })
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::InvalidArgument);
    assert_eq!(reason(&err).unwrap().0, "ERROR_REASON_SCHEMA_TYPE_ERROR");
    assert!(
        err.message().contains(
            "cannot remove allowed type `group#member` from relation `viewer` in definition `document`"
        ),
        "{}",
        err.message()
    );
    assert!(
        err.message().contains("document:1#viewer@group:eng#member"),
        "{}",
        err.message()
    );
}

#[tokio::test]
async fn parse_errors_carry_their_position() {
    let server = TestServer::start().await;
    let err = server
        .schema()
        .await
        .write_schema(wire::WriteSchemaRequest {
            schema: "definition user {}\ndefinition document {\n  relation viewer user\n}"
                .to_owned(),
        })
        .await
        .unwrap_err();
    let (reason, metadata) = reason(&err).unwrap();
    assert_eq!(reason, "ERROR_REASON_SCHEMA_PARSE_ERROR");
    assert_eq!(metadata["start_line_number"], "3");
}

#[tokio::test]
async fn reflection_lists_definitions_filtered_by_prefix() {
    let server = TestServer::start().await;
    write_schema(&server, SCHEMA).await;
    let mut schema = server.schema().await;
    let all = schema
        .reflect_schema(wire::ReflectSchemaRequest {
            consistency: fully_consistent(),
            optional_filters: Vec::new(),
        })
        .await
        .unwrap()
        .into_inner();
    let names: Vec<_> = all.definitions.iter().map(|d| d.name.as_str()).collect();
    assert_eq!(names, ["user", "group", "document"]);
    assert_eq!(all.caveats.len(), 1);
    assert_eq!(all.caveats[0].parameters[0].r#type, "string");
    let document = &all.definitions[2];
    assert!(
        document.comment.contains("a document"),
        "{:?}",
        document.comment
    );
    let viewer = document
        .relations
        .iter()
        .find(|r| r.name == "viewer")
        .unwrap();
    assert_eq!(viewer.subject_types.len(), 5);
    assert_eq!(
        document
            .permissions
            .iter()
            .map(|p| p.name.as_str())
            .collect::<Vec<_>>(),
        ["edit", "view"]
    );

    let filtered = schema
        .reflect_schema(wire::ReflectSchemaRequest {
            consistency: None,
            optional_filters: vec![wire::ReflectionSchemaFilter {
                optional_definition_name_filter: "doc".to_owned(),
                optional_relation_name_filter: "view".to_owned(),
                ..Default::default()
            }],
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(filtered.definitions.len(), 1);
    let document = &filtered.definitions[0];
    assert_eq!(
        document
            .relations
            .iter()
            .map(|r| r.name.as_str())
            .collect::<Vec<_>>(),
        ["viewer"]
    );
    assert!(document.permissions.is_empty());
    assert!(filtered.caveats.is_empty());
}

#[tokio::test]
async fn computable_and_dependent_relations_follow_the_schema_graph() {
    let server = TestServer::start().await;
    write_schema(&server, SCHEMA).await;
    let mut schema = server.schema().await;
    let names = |references: Vec<wire::ReflectionRelationReference>| {
        references
            .into_iter()
            .map(|r| format!("{}#{}", r.definition_name, r.relation_name))
            .collect::<Vec<_>>()
    };
    let computable = schema
        .computable_permissions(wire::ComputablePermissionsRequest {
            consistency: None,
            definition_name: "document".to_owned(),
            relation_name: "owner".to_owned(),
            optional_definition_name_filter: String::new(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        names(computable.permissions),
        ["document#edit", "document#view"]
    );

    let through_groups = schema
        .computable_permissions(wire::ComputablePermissionsRequest {
            consistency: None,
            definition_name: "group".to_owned(),
            relation_name: "member".to_owned(),
            optional_definition_name_filter: String::new(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        names(through_groups.permissions),
        ["document#view", "document#viewer", "group#member"]
    );

    let dependent = schema
        .dependent_relations(wire::DependentRelationsRequest {
            consistency: None,
            definition_name: "document".to_owned(),
            permission_name: "view".to_owned(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        names(dependent.relations),
        [
            "document#banned",
            "document#edit",
            "document#owner",
            "document#viewer",
            "group#member"
        ]
    );
}

#[tokio::test]
#[expect(
    deprecated,
    reason = "SpiceDB deprecates the experimental aliases but still serves them, and so do we"
)]
async fn diff_lists_what_a_new_schema_changes() {
    let server = TestServer::start().await;
    write_schema(&server, SCHEMA).await;
    let changed = SCHEMA
        .replace(
            "permission edit = owner",
            "permission edit = owner + banned",
        )
        .replace(
            "relation banned: user",
            "relation banned: user | group#member",
        )
        .replace(
            "definition user {}",
            "definition user {}\n\ndefinition folder {}",
        );
    let response = server
        .schema()
        .await
        .diff_schema(wire::DiffSchemaRequest {
            consistency: None,
            comparison_schema: changed.clone(),
        })
        .await
        .unwrap()
        .into_inner();
    use wire::reflection_schema_diff::Diff;
    let kinds: Vec<String> = response
        .diffs
        .iter()
        .map(|diff| match diff.diff.as_ref().unwrap() {
            Diff::DefinitionAdded(d) => format!("definition added {}", d.name),
            Diff::RelationSubjectTypeAdded(c) => format!(
                "subject type added {} {}",
                c.relation.as_ref().unwrap().name,
                c.changed_subject_type
                    .as_ref()
                    .unwrap()
                    .subject_definition_name
            ),
            Diff::PermissionExprChanged(p) => format!("expression changed {}", p.name),
            other => format!("{other:?}"),
        })
        .collect();
    assert_eq!(
        kinds,
        [
            "subject type added banned group",
            "expression changed edit",
            "definition added folder"
        ]
    );

    // The experimental alias answers the same.
    let experimental = server
        .experimental()
        .await
        .experimental_diff_schema(wire::ExperimentalDiffSchemaRequest {
            consistency: None,
            comparison_schema: changed,
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(experimental.diffs.len(), 3);
}

#[tokio::test]
#[expect(
    deprecated,
    reason = "SpiceDB deprecates the experimental aliases but still serves them, and so do we"
)]
async fn experimental_aliases_answer_like_the_stable_rpcs() {
    let server = TestServer::start().await;
    write_schema(&server, SCHEMA).await;
    let mut experimental = server.experimental().await;
    let imported = experimental
        .bulk_import_relationships(tokio_stream::iter(vec![
            wire::BulkImportRelationshipsRequest {
                relationships: vec![relationship("document:e#viewer@user:exp")],
            },
        ]))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(imported.num_loaded, 1);
    let exported = all_of(experimental.bulk_export_relationships(
        wire::BulkExportRelationshipsRequest {
            consistency: fully_consistent(),
            optional_limit: 0,
            optional_cursor: None,
            optional_relationship_filter: None,
        },
    ))
    .await;
    assert_eq!(
        exported[0].relationships,
        [relationship("document:e#viewer@user:exp")]
    );
    #[expect(deprecated, reason = "the legacy message marks its items deprecated")]
    let request = wire::BulkCheckPermissionRequest {
        consistency: fully_consistent(),
        items: vec![wire::BulkCheckPermissionRequestItem {
            resource: Some(object("document:e")),
            permission: "view".to_owned(),
            subject: Some(subject("user:exp")),
            context: None,
        }],
    };
    let checked = experimental
        .bulk_check_permission(request)
        .await
        .unwrap()
        .into_inner();
    let Some(wire::bulk_check_permission_pair::Response::Item(item)) = &checked.pairs[0].response
    else {
        panic!("an answer");
    };
    assert_eq!(
        item.permissionship(),
        wire::check_permission_response::Permissionship::HasPermission
    );
    let reflected = experimental
        .experimental_reflect_schema(wire::ExperimentalReflectSchemaRequest {
            consistency: None,
            optional_filters: Vec::new(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(reflected.definitions.len(), 3);
}
