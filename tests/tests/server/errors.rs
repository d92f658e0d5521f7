//! Every error the API reports, with SpiceDB's code and `ErrorInfo` reason, one table.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use tessera_proto::authzed::api::v1 as wire;
use tessera_store::{GcWindow, MemStore};
use tessera_types::Revision;
use tonic::Code;
use wire::relationship_update::Operation;

use crate::support::*;

type Call = Pin<Box<dyn Future<Output = Result<(), tonic::Status>>>>;

/// One row: what is done, the code, the reason (if any) and a phrase the message must hold.
struct Case {
    name: &'static str,
    call: Call,
    code: Code,
    reason: Option<&'static str>,
    message: &'static str,
}

fn drop_ok<T>(result: Result<T, tonic::Status>) -> Result<(), tonic::Status> {
    result.map(drop)
}

#[tokio::test]
async fn errors_have_spicedbs_codes_reasons_and_messages() {
    let mut config = config();
    config.api.max_depth = 8;
    // Revisions older than the two before the head expire.
    let store = Arc::new(MemStore::new().with_gc_window(GcWindow::Revisions(2)));
    let server = TestServer::start_with(store, config).await;
    let schema_token = write_schema(&server, SCHEMA).await;
    write(&server, vec![touch("document:x#viewer@user:one")]).await;
    write(&server, vec![touch("document:x#viewer@user:two")]).await;
    // A chain of groups deeper than the depth limit.
    let chain: Vec<_> = (0..12)
        .map(|n| touch(&format!("group:g{n}#member@group:g{}#member", n + 1)))
        .collect();
    let head = write(&server, chain).await;
    let foreign = wire::ZedToken {
        token: tessera_api::ZedToken::new(Revision::new(1), "another-datastore").encode(),
    };
    let future = wire::ZedToken {
        token: tessera_api::ZedToken::new(Revision::new(999), server.store.datastore_id()).encode(),
    };

    let permissions = server.permissions().await;
    let schema = server.schema().await;
    let experimental = server.experimental().await;

    let check = |resource: &str, permission: &str, subject_text: &str, consistency| {
        let mut client = permissions.clone();
        let request = check_request(resource, permission, subject_text, consistency);
        Box::pin(async move { drop_ok(client.check_permission(request).await) }) as Call
    };
    let write_updates = |updates: Vec<wire::RelationshipUpdate>,
                         preconditions: Vec<wire::Precondition>,
                         metadata: Option<prost_types::Struct>| {
        let mut client = permissions.clone();
        Box::pin(async move {
            drop_ok(
                client
                    .write_relationships(wire::WriteRelationshipsRequest {
                        updates,
                        optional_preconditions: preconditions,
                        optional_transaction_metadata: metadata,
                    })
                    .await,
            )
        }) as Call
    };
    let read = |filter: wire::RelationshipFilter, limit: u32, cursor: Option<wire::Cursor>| {
        let mut client = permissions.clone();
        Box::pin(async move {
            let stream = client
                .read_relationships(wire::ReadRelationshipsRequest {
                    consistency: fully_consistent(),
                    relationship_filter: Some(filter),
                    optional_limit: limit,
                    optional_cursor: cursor,
                })
                .await?;
            drop_ok(collect(stream.into_inner()).await)
        }) as Call
    };
    let write_schema_text = |text: &str| {
        let mut client = schema.clone();
        let text = text.to_owned();
        Box::pin(async move {
            drop_ok(
                client
                    .write_schema(wire::WriteSchemaRequest { schema: text })
                    .await,
            )
        }) as Call
    };
    let document_filter = |id: &str| wire::RelationshipFilter {
        resource_type: "document".to_owned(),
        optional_resource_id: id.to_owned(),
        ..Default::default()
    };
    let cursor_of_another_read = {
        let mut client = permissions.clone();
        let stream = client
            .read_relationships(wire::ReadRelationshipsRequest {
                consistency: fully_consistent(),
                relationship_filter: Some(document_filter("x")),
                optional_limit: 1,
                optional_cursor: None,
            })
            .await
            .unwrap();
        collect(stream.into_inner()).await.unwrap()[0]
            .after_result_cursor
            .clone()
    };
    let big_context = context(&[("day", &"x".repeat(30_000))]);
    let mut caveated = relationship("document:x#viewer@user:big");
    caveated.optional_caveat = Some(wire::ContextualizedCaveat {
        caveat_name: "on_weekday".to_owned(),
        context: Some(big_context.clone()),
    });

    let cases = vec![
        Case {
            name: "wildcard resource id",
            call: check("document:*", "view", "user:one", fully_consistent()),
            code: Code::InvalidArgument,
            reason: None,
            message: "invalid `CheckPermissionRequest.resource.object_id`",
        },
        Case {
            name: "bad permission name",
            call: check("document:x", "View", "user:one", fully_consistent()),
            code: Code::InvalidArgument,
            reason: None,
            message: "`View`",
        },
        Case {
            name: "wildcard subject in a check",
            call: check("document:x", "view", "user:*", fully_consistent()),
            code: Code::InvalidArgument,
            reason: Some("ERROR_REASON_WILDCARD_NOT_ALLOWED"),
            message: "user:*",
        },
        Case {
            name: "unknown definition",
            call: check("folder:x", "view", "user:one", fully_consistent()),
            code: Code::FailedPrecondition,
            reason: Some("ERROR_REASON_UNKNOWN_DEFINITION"),
            message: "`folder`",
        },
        Case {
            name: "unknown permission",
            call: check("document:x", "delete", "user:one", fully_consistent()),
            code: Code::FailedPrecondition,
            reason: Some("ERROR_REASON_UNKNOWN_RELATION_OR_PERMISSION"),
            message: "`delete`",
        },
        Case {
            name: "undecodable ZedToken",
            call: check(
                "document:x",
                "view",
                "user:one",
                at_least_as_fresh(&wire::ZedToken {
                    token: "garbage!".to_owned(),
                }),
            ),
            code: Code::InvalidArgument,
            reason: None,
            message: "invalid revision requested",
        },
        Case {
            name: "expired revision",
            call: check(
                "document:x",
                "view",
                "user:one",
                at_exact_snapshot(&schema_token),
            ),
            code: Code::OutOfRange,
            reason: None,
            message: "invalid revision: revision has expired",
        },
        Case {
            name: "future revision",
            call: check("document:x", "view", "user:one", at_exact_snapshot(&future)),
            code: Code::OutOfRange,
            reason: None,
            message: "revision was invalid",
        },
        Case {
            name: "another datastore's token at an exact snapshot",
            call: check(
                "document:x",
                "view",
                "user:one",
                at_exact_snapshot(&foreign),
            ),
            code: Code::InvalidArgument,
            reason: None,
            message: "another-",
        },
        Case {
            name: "recursion deeper than the limit",
            call: check(
                "group:g0",
                "member",
                "user:nobody",
                at_least_as_fresh(&head),
            ),
            code: Code::ResourceExhausted,
            reason: Some("ERROR_REASON_MAXIMUM_DEPTH_EXCEEDED"),
            message: "maximum depth",
        },
        Case {
            name: "empty filter",
            call: read(wire::RelationshipFilter::default(), 0, None),
            code: Code::InvalidArgument,
            reason: Some("ERROR_REASON_INVALID_FILTER"),
            message: "at least one field",
        },
        Case {
            name: "read limit above the maximum",
            call: read(document_filter(""), 1001, None),
            code: Code::InvalidArgument,
            reason: Some("ERROR_REASON_EXCEEDS_MAXIMUM_ALLOWABLE_LIMIT"),
            message: "1001",
        },
        Case {
            name: "cursor of another request",
            call: read(document_filter("y"), 1, cursor_of_another_read),
            code: Code::FailedPrecondition,
            reason: Some("ERROR_REASON_INVALID_CURSOR"),
            message: "different request",
        },
        Case {
            name: "filter on an unknown relation",
            call: read(
                wire::RelationshipFilter {
                    resource_type: "document".to_owned(),
                    optional_relation: "nope".to_owned(),
                    ..Default::default()
                },
                0,
                None,
            ),
            code: Code::FailedPrecondition,
            reason: Some("ERROR_REASON_UNKNOWN_RELATION_OR_PERMISSION"),
            message: "`nope`",
        },
        Case {
            name: "too many updates",
            call: write_updates(
                (0..1001)
                    .map(|n| touch(&format!("document:x#viewer@user:n{n}")))
                    .collect(),
                Vec::new(),
                None,
            ),
            code: Code::InvalidArgument,
            reason: Some("ERROR_REASON_TOO_MANY_UPDATES_IN_REQUEST"),
            message: "1001",
        },
        Case {
            name: "too many preconditions",
            call: write_updates(
                Vec::new(),
                (0..1001)
                    .map(|_| wire::Precondition {
                        operation: wire::precondition::Operation::MustMatch as i32,
                        filter: Some(document_filter("x")),
                    })
                    .collect(),
                None,
            ),
            code: Code::InvalidArgument,
            reason: Some("ERROR_REASON_TOO_MANY_PRECONDITIONS_IN_REQUEST"),
            message: "1001",
        },
        Case {
            name: "the same relationship twice",
            call: write_updates(
                vec![
                    touch("document:x#viewer@user:dup"),
                    update(Operation::Delete, "document:x#viewer@user:dup"),
                ],
                Vec::new(),
                None,
            ),
            code: Code::InvalidArgument,
            reason: Some("ERROR_REASON_UPDATES_ON_SAME_RELATIONSHIP"),
            message: "document:x#viewer@user:dup",
        },
        Case {
            name: "create of an existing relationship",
            call: write_updates(
                vec![update(Operation::Create, "document:x#viewer@user:one")],
                Vec::new(),
                None,
            ),
            code: Code::AlreadyExists,
            reason: Some("ERROR_REASON_ATTEMPT_TO_RECREATE_RELATIONSHIP"),
            message: "document:x#viewer@user:one",
        },
        Case {
            name: "subject type the relation does not allow",
            call: write_updates(
                vec![touch("document:x#owner@group:eng#member")],
                Vec::new(),
                None,
            ),
            code: Code::InvalidArgument,
            reason: Some("ERROR_REASON_INVALID_SUBJECT_TYPE"),
            message: "group#member",
        },
        Case {
            name: "write to a permission",
            call: write_updates(vec![touch("document:x#view@user:one")], Vec::new(), None),
            code: Code::InvalidArgument,
            reason: Some("ERROR_REASON_CANNOT_UPDATE_PERMISSION"),
            message: "`view`",
        },
        Case {
            name: "write of an unknown type",
            call: write_updates(vec![touch("folder:x#viewer@user:one")], Vec::new(), None),
            code: Code::FailedPrecondition,
            reason: Some("ERROR_REASON_UNKNOWN_DEFINITION"),
            message: "`folder`",
        },
        Case {
            name: "failed precondition",
            call: write_updates(
                vec![touch("document:x#viewer@user:three")],
                vec![wire::Precondition {
                    operation: wire::precondition::Operation::MustNotMatch as i32,
                    filter: Some(document_filter("x")),
                }],
                None,
            ),
            code: Code::FailedPrecondition,
            reason: Some("ERROR_REASON_WRITE_OR_DELETE_PRECONDITION_FAILURE"),
            message: "precondition failed",
        },
        Case {
            name: "precondition without operation",
            call: write_updates(
                Vec::new(),
                vec![wire::Precondition {
                    operation: 0,
                    filter: Some(document_filter("x")),
                }],
                None,
            ),
            code: Code::InvalidArgument,
            reason: None,
            message: "optional_preconditions[0].operation",
        },
        Case {
            name: "transaction metadata too large",
            call: write_updates(
                vec![touch("document:x#viewer@user:meta")],
                Vec::new(),
                Some(context(&[("blob", &"m".repeat(70_000))])),
            ),
            code: Code::InvalidArgument,
            reason: Some("ERROR_REASON_TRANSACTION_METADATA_TOO_LARGE"),
            message: "65000",
        },
        Case {
            name: "relationship caveat context too large",
            call: write_updates(
                vec![wire::RelationshipUpdate {
                    operation: Operation::Touch as i32,
                    relationship: Some(caveated),
                }],
                Vec::new(),
                None,
            ),
            code: Code::InvalidArgument,
            reason: Some("ERROR_REASON_MAX_RELATIONSHIP_CONTEXT_SIZE"),
            message: "25000",
        },
        Case {
            name: "request caveat context too large",
            call: {
                let mut client = permissions.clone();
                let mut request =
                    check_request("document:x", "view", "user:one", fully_consistent());
                request.context = Some(big_context);
                Box::pin(async move { drop_ok(client.check_permission(request).await) })
            },
            code: Code::InvalidArgument,
            reason: None,
            message: "4096",
        },
        Case {
            name: "too many checks in a bulk check",
            call: {
                let mut client = permissions.clone();
                let item = wire::CheckBulkPermissionsRequestItem {
                    resource: Some(object("document:x")),
                    permission: "view".to_owned(),
                    subject: Some(subject("user:one")),
                    context: None,
                };
                let request = wire::CheckBulkPermissionsRequest {
                    consistency: fully_consistent(),
                    items: vec![item; 10_001],
                    with_tracing: false,
                };
                Box::pin(async move { drop_ok(client.check_bulk_permissions(request).await) })
            },
            code: Code::InvalidArgument,
            reason: Some("ERROR_REASON_TOO_MANY_CHECKS_IN_REQUEST"),
            message: "10001",
        },
        Case {
            name: "schema that does not parse",
            call: write_schema_text("definition user {"),
            code: Code::InvalidArgument,
            reason: Some("ERROR_REASON_SCHEMA_PARSE_ERROR"),
            message: "1:",
        },
        Case {
            name: "schema that does not type-check",
            call: write_schema_text("definition document {\n  permission view = viewer\n}"),
            code: Code::FailedPrecondition,
            reason: Some("ERROR_REASON_SCHEMA_TYPE_ERROR"),
            message: "`viewer`",
        },
        Case {
            name: "schema that would orphan relationships",
            call: write_schema_text(
                "definition user {}\ndefinition group {\n relation member: user | group#member\n}\n\
                 caveat on_weekday(day string) { day != \"x\" }\n\
                 definition document {\n relation owner: user\n relation banned: user\n}",
            ),
            code: Code::InvalidArgument,
            reason: Some("ERROR_REASON_SCHEMA_TYPE_ERROR"),
            message: "cannot delete relation `viewer` in definition `document`, as at least one relationship exists under it",
        },
        Case {
            name: "dependent relations of a relation",
            call: {
                let mut client = schema.clone();
                Box::pin(async move {
                    drop_ok(
                        client
                            .dependent_relations(wire::DependentRelationsRequest {
                                consistency: None,
                                definition_name: "document".to_owned(),
                                permission_name: "viewer".to_owned(),
                            })
                            .await,
                    )
                })
            },
            code: Code::InvalidArgument,
            reason: Some("ERROR_REASON_UNKNOWN_RELATION_OR_PERMISSION"),
            message: "not a permission",
        },
        Case {
            name: "relationship counters",
            call: {
                let mut client = experimental.clone();
                Box::pin(async move {
                    drop_ok(
                        client
                            .experimental_count_relationships(
                                wire::ExperimentalCountRelationshipsRequest {
                                    name: "docs".to_owned(),
                                },
                            )
                            .await,
                    )
                })
            },
            code: Code::Unimplemented,
            reason: None,
            message: "not implemented",
        },
    ];

    let mut failures = Vec::new();
    for case in cases {
        let Case {
            name,
            call,
            code,
            reason: expected_reason,
            message,
        } = case;
        match call.await {
            Ok(()) => failures.push(format!("{name}: succeeded")),
            Err(status) => {
                let got_reason = reason(&status).map(|(reason, _)| reason);
                if status.code() != code
                    || got_reason.as_deref() != expected_reason
                    || !status.message().contains(message)
                {
                    failures.push(format!(
                        "{name}: got {:?} {got_reason:?} `{}`, want {code:?} {expected_reason:?} containing `{message}`",
                        status.code(),
                        status.message()
                    ));
                }
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
