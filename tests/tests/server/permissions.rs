//! PermissionsService: every RPC, every consistency mode, paging with cursors.

use tessera_proto::authzed::api::v1 as wire;
use wire::check_permission_response::Permissionship;
use wire::relationship_update::Operation;

use crate::support::*;

async fn server_with_data() -> (TestServer, wire::ZedToken) {
    let server = TestServer::start().await;
    write_schema(&server, SCHEMA).await;
    let token = write(
        &server,
        vec![
            touch("document:readme#owner@user:ada"),
            touch("document:readme#viewer@group:eng#member"),
            touch("group:eng#member@user:bob"),
            touch("document:readme#banned@user:eve"),
            touch("group:eng#member@user:eve"),
            touch("document:public#viewer@user:*"),
        ],
    )
    .await;
    (server, token)
}

#[tokio::test]
async fn a_check_with_the_writes_token_sees_the_write() {
    let server = TestServer::start().await;
    write_schema(&server, SCHEMA).await;
    // Pin minimize_latency to an old revision first, so only the token can make it fresh.
    assert_eq!(
        check(&server, "document:1", "view", "user:zoe", None).await,
        Permissionship::NoPermission
    );
    let token = write(&server, vec![touch("document:1#viewer@user:zoe")]).await;
    assert_eq!(
        check(
            &server,
            "document:1",
            "view",
            "user:zoe",
            at_least_as_fresh(&token)
        )
        .await,
        Permissionship::HasPermission
    );
}

#[tokio::test]
async fn every_consistency_mode_reads_the_revision_it_promises() {
    let server = TestServer::start().await;
    let before = write_schema(&server, SCHEMA).await;
    let after = write(&server, vec![touch("document:1#viewer@user:zoe")]).await;
    let minimize = Some(wire::Consistency {
        requirement: Some(wire::consistency::Requirement::MinimizeLatency(true)),
    });
    let cases = [
        (at_exact_snapshot(&before), Permissionship::NoPermission),
        (at_exact_snapshot(&after), Permissionship::HasPermission),
        (at_least_as_fresh(&before), Permissionship::HasPermission),
        (at_least_as_fresh(&after), Permissionship::HasPermission),
        (fully_consistent(), Permissionship::HasPermission),
    ];
    for (consistency, expected) in cases {
        let got = check(
            &server,
            "document:1",
            "view",
            "user:zoe",
            consistency.clone(),
        )
        .await;
        assert_eq!(got, expected, "{consistency:?}");
    }
    // minimize_latency may lag by at most its staleness bound (100 ms by default).
    tokio::time::sleep(std::time::Duration::from_millis(150)).await;
    for consistency in [minimize, None] {
        assert_eq!(
            check(&server, "document:1", "view", "user:zoe", consistency).await,
            Permissionship::HasPermission
        );
    }
    let response = server
        .permissions()
        .await
        .check_permission(check_request(
            "document:1",
            "view",
            "user:zoe",
            at_exact_snapshot(&before),
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        response.checked_at.unwrap(),
        before,
        "the token of the revision read"
    );
}

#[tokio::test]
async fn checks_follow_subject_sets_exclusions_and_wildcards() {
    let (server, token) = server_with_data().await;
    let cases = [
        (
            "document:readme",
            "view",
            "user:ada",
            Permissionship::HasPermission,
        ),
        (
            "document:readme",
            "view",
            "user:bob",
            Permissionship::HasPermission,
        ),
        (
            "document:readme",
            "view",
            "user:eve",
            Permissionship::NoPermission,
        ),
        (
            "document:readme",
            "edit",
            "user:bob",
            Permissionship::NoPermission,
        ),
        (
            "document:public",
            "view",
            "user:anyone",
            Permissionship::HasPermission,
        ),
        (
            "document:readme",
            "viewer",
            "group:eng#member",
            Permissionship::HasPermission,
        ),
    ];
    for (resource, permission, subject_text, expected) in cases {
        let got = check(
            &server,
            resource,
            permission,
            subject_text,
            at_least_as_fresh(&token),
        )
        .await;
        assert_eq!(got, expected, "{resource}#{permission}@{subject_text}");
    }
}

#[tokio::test]
async fn caveats_are_conditional_without_context_and_decided_with_it() {
    let server = TestServer::start().await;
    write_schema(&server, SCHEMA).await;
    let mut caveated = relationship("document:1#viewer@user:cay");
    caveated.optional_caveat = Some(wire::ContextualizedCaveat {
        caveat_name: "on_weekday".to_owned(),
        context: None,
    });
    let token = write(
        &server,
        vec![wire::RelationshipUpdate {
            operation: Operation::Create as i32,
            relationship: Some(caveated),
        }],
    )
    .await;
    let mut permissions = server.permissions().await;
    let mut request = check_request("document:1", "view", "user:cay", at_least_as_fresh(&token));
    let unknown = permissions
        .check_permission(request.clone())
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        unknown.permissionship(),
        Permissionship::ConditionalPermission
    );
    assert_eq!(
        unknown
            .partial_caveat_info
            .unwrap()
            .missing_required_context,
        ["day"]
    );
    request.context = Some(context(&[("day", "monday")]));
    let monday = permissions
        .check_permission(request.clone())
        .await
        .unwrap()
        .into_inner();
    assert_eq!(monday.permissionship(), Permissionship::HasPermission);
    request.context = Some(context(&[("day", "sunday")]));
    let sunday = permissions
        .check_permission(request)
        .await
        .unwrap()
        .into_inner();
    assert_eq!(sunday.permissionship(), Permissionship::NoPermission);
}

#[tokio::test]
async fn tracing_explains_the_check() {
    let (server, token) = server_with_data().await;
    let mut request = check_request(
        "document:readme",
        "view",
        "user:bob",
        at_least_as_fresh(&token),
    );
    request.with_tracing = true;
    let response = server
        .permissions()
        .await
        .check_permission(request)
        .await
        .unwrap()
        .into_inner();
    let debug = response.debug_trace.expect("a trace when asked for");
    assert!(debug.schema_used.contains("definition document"));
    let trace = debug.check.unwrap();
    assert_eq!(trace.resource.unwrap(), object("document:readme"));
    assert_eq!(trace.permission, "view");
    assert_eq!(
        trace.result,
        wire::check_debug_trace::Permissionship::HasPermission as i32
    );
}

#[tokio::test]
async fn bulk_checks_answer_in_order_with_errors_per_item() {
    let (server, token) = server_with_data().await;
    let item = |resource: &str, permission: &str, subject_text: &str| {
        wire::CheckBulkPermissionsRequestItem {
            resource: Some(object(resource)),
            permission: permission.to_owned(),
            subject: Some(subject(subject_text)),
            context: None,
        }
    };
    let items = vec![
        item("document:readme", "view", "user:ada"),
        item("document:readme", "nope", "user:ada"),
        item("document:readme", "view", "user:eve"),
    ];
    let response = server
        .permissions()
        .await
        .check_bulk_permissions(wire::CheckBulkPermissionsRequest {
            consistency: at_least_as_fresh(&token),
            items: items.clone(),
            with_tracing: false,
        })
        .await
        .unwrap()
        .into_inner();
    use wire::check_bulk_permissions_pair::Response;
    let answers: Vec<_> = response
        .pairs
        .iter()
        .map(|pair| match pair.response.as_ref().unwrap() {
            Response::Item(item) => Ok(item.permissionship()),
            Response::Error(status) => Err(status.code),
        })
        .collect();
    assert_eq!(
        answers,
        [
            Ok(Permissionship::HasPermission),
            Err(tonic::Code::FailedPrecondition as i32),
            Ok(Permissionship::NoPermission),
        ]
    );
    let requests: Vec<_> = response
        .pairs
        .iter()
        .map(|pair| pair.request.clone().unwrap())
        .collect();
    assert_eq!(requests, items);
    let Some(Response::Error(status)) = &response.pairs[1].response else {
        panic!("an error");
    };
    let info =
        tessera_proto::google::rpc::ErrorInfo::decode(status.details[0].value.as_slice()).unwrap();
    assert_eq!(info.reason, "ERROR_REASON_UNKNOWN_RELATION_OR_PERMISSION");
}

use prost::Message as _;

#[tokio::test]
async fn expand_returns_one_level_of_the_tree() {
    let (server, token) = server_with_data().await;
    let tree = server
        .permissions()
        .await
        .expand_permission_tree(wire::ExpandPermissionTreeRequest {
            consistency: at_least_as_fresh(&token),
            resource: Some(object("document:readme")),
            permission: "viewer".to_owned(),
        })
        .await
        .unwrap()
        .into_inner()
        .tree_root
        .unwrap();
    assert_eq!(tree.expanded_object.unwrap(), object("document:readme"));
    assert_eq!(tree.expanded_relation, "viewer");
    let Some(wire::permission_relationship_tree::TreeType::Leaf(leaf)) = tree.tree_type else {
        panic!("a relation expands to a leaf");
    };
    assert_eq!(leaf.subjects, [subject("group:eng#member")]);

    let view = server
        .permissions()
        .await
        .expand_permission_tree(wire::ExpandPermissionTreeRequest {
            consistency: at_least_as_fresh(&token),
            resource: Some(object("document:readme")),
            permission: "view".to_owned(),
        })
        .await
        .unwrap()
        .into_inner()
        .tree_root
        .unwrap();
    let Some(wire::permission_relationship_tree::TreeType::Intermediate(set)) = view.tree_type
    else {
        panic!("a permission expands to an operation");
    };
    assert_eq!(
        set.operation(),
        wire::algebraic_subject_set::Operation::Exclusion
    );
    assert_eq!(set.children.len(), 2);
}

#[tokio::test]
async fn lookup_resources_pages_with_cursors() {
    let server = TestServer::start().await;
    write_schema(&server, SCHEMA).await;
    let token = write(
        &server,
        (1..=5)
            .map(|n| touch(&format!("document:d{n}#viewer@user:lu")))
            .collect(),
    )
    .await;
    let request = |cursor: Option<wire::Cursor>| wire::LookupResourcesRequest {
        consistency: at_least_as_fresh(&token),
        resource_object_type: "document".to_owned(),
        permission: "view".to_owned(),
        subject: Some(subject("user:lu")),
        context: None,
        optional_limit: 2,
        optional_cursor: cursor,
    };
    let mut permissions = server.permissions().await;
    let mut cursor = None;
    let mut pages = Vec::new();
    loop {
        let stream = permissions
            .lookup_resources(request(cursor.clone()))
            .await
            .unwrap();
        let page = collect(stream.into_inner()).await.unwrap();
        if page.is_empty() {
            break;
        }
        assert!(page.iter().all(|item| item.after_result_cursor.is_some()));
        assert!(
            page.iter()
                .all(|item| item.permissionship() == wire::LookupPermissionship::HasPermission)
        );
        cursor = page.last().unwrap().after_result_cursor.clone();
        pages.push(
            page.into_iter()
                .map(|item| item.resource_object_id)
                .collect::<Vec<_>>(),
        );
    }
    assert_eq!(pages, [vec!["d1", "d2"], vec!["d3", "d4"], vec!["d5"]]);

    // Without a limit, everything at once.
    let mut all = request(None);
    all.optional_limit = 0;
    let everything = all_of(permissions.lookup_resources(all)).await;
    assert_eq!(everything.len(), 5);
}

#[tokio::test]
async fn lookup_subjects_reports_wildcards_exclusions_and_pages() {
    let server = TestServer::start().await;
    write_schema(&server, SCHEMA).await;
    let token = write(
        &server,
        vec![
            touch("document:open#viewer@user:*"),
            touch("document:open#banned@user:mallory"),
            touch("document:open#viewer@user:amy"),
            touch("document:open#viewer@user:ben"),
            touch("document:open#owner@user:cid"),
        ],
    )
    .await;
    let request =
        |limit: u32, cursor: Option<wire::Cursor>, wildcards| wire::LookupSubjectsRequest {
            consistency: at_least_as_fresh(&token),
            resource: Some(object("document:open")),
            permission: "view".to_owned(),
            subject_object_type: "user".to_owned(),
            optional_subject_relation: String::new(),
            context: None,
            optional_concrete_limit: limit,
            optional_cursor: cursor,
            wildcard_option: wildcards as i32,
        };
    use wire::lookup_subjects_request::WildcardOption;
    let mut permissions = server.permissions().await;
    let all =
        all_of(permissions.lookup_subjects(request(0, None, WildcardOption::IncludeWildcards)))
            .await;
    let ids: Vec<_> = all
        .iter()
        .map(|found| found.subject.as_ref().unwrap().subject_object_id.as_str())
        .collect();
    assert_eq!(ids, ["*", "amy", "ben", "cid"]);
    let wildcard = &all[0];
    let excluded: Vec<_> = wildcard
        .excluded_subjects
        .iter()
        .map(|s| s.subject_object_id.as_str())
        .collect();
    assert_eq!(excluded, ["mallory"]);
    #[expect(
        deprecated,
        reason = "SpiceDB fills the deprecated fields too; so must we"
    )]
    {
        assert_eq!(wildcard.subject_object_id, "*");
        assert_eq!(wildcard.excluded_subject_ids, ["mallory"]);
        assert_eq!(
            wildcard.permissionship(),
            wire::LookupPermissionship::HasPermission
        );
    }

    let without =
        all_of(permissions.lookup_subjects(request(0, None, WildcardOption::ExcludeWildcards)))
            .await;
    assert_eq!(without.len(), 3);

    // A concrete limit pages the concrete subjects; the wildcard comes with the first page.
    let first =
        all_of(permissions.lookup_subjects(request(2, None, WildcardOption::IncludeWildcards)))
            .await;
    let ids: Vec<_> = first
        .iter()
        .map(|found| found.subject.as_ref().unwrap().subject_object_id.clone())
        .collect();
    assert_eq!(ids, ["*", "amy", "ben"]);
    let cursor = first.last().unwrap().after_result_cursor.clone();
    let second =
        all_of(permissions.lookup_subjects(request(2, cursor, WildcardOption::IncludeWildcards)))
            .await;
    let ids: Vec<_> = second
        .iter()
        .map(|found| found.subject.as_ref().unwrap().subject_object_id.clone())
        .collect();
    assert_eq!(ids, ["cid"]);
}

#[tokio::test]
async fn read_relationships_filters_limits_and_resumes() {
    let (server, token) = server_with_data().await;
    let request = |limit: u32, cursor: Option<wire::Cursor>| wire::ReadRelationshipsRequest {
        consistency: at_least_as_fresh(&token),
        relationship_filter: Some(wire::RelationshipFilter {
            resource_type: "document".to_owned(),
            ..Default::default()
        }),
        optional_limit: limit,
        optional_cursor: cursor,
    };
    let mut permissions = server.permissions().await;
    let all = all_of(permissions.read_relationships(request(0, None))).await;
    let texts: Vec<_> = all
        .iter()
        .map(|item| {
            let rel = item.relationship.as_ref().unwrap();
            format!(
                "{}#{}@{}",
                rel.resource.as_ref().unwrap().object_id,
                rel.relation,
                rel.subject
                    .as_ref()
                    .unwrap()
                    .object
                    .as_ref()
                    .unwrap()
                    .object_id
            )
        })
        .collect();
    assert_eq!(
        texts,
        [
            "public#viewer@*",
            "readme#banned@eve",
            "readme#owner@ada",
            "readme#viewer@eng"
        ]
    );
    assert!(
        all.iter()
            .all(|item| item.read_at.is_some() && item.after_result_cursor.is_some())
    );

    let first = all_of(permissions.read_relationships(request(3, None))).await;
    assert_eq!(first.len(), 3);
    let rest =
        all_of(permissions.read_relationships(request(3, first[2].after_result_cursor.clone())))
            .await;
    assert_eq!(rest.len(), 1);
    assert_eq!(rest[0].relationship, all[3].relationship);

    // A subject filter with an empty relation filter matches only `...` subjects.
    let by_subject = wire::ReadRelationshipsRequest {
        consistency: at_least_as_fresh(&token),
        relationship_filter: Some(wire::RelationshipFilter {
            optional_subject_filter: Some(wire::SubjectFilter {
                subject_type: "group".to_owned(),
                optional_subject_id: String::new(),
                optional_relation: Some(wire::subject_filter::RelationFilter {
                    relation: "member".to_owned(),
                }),
            }),
            ..Default::default()
        }),
        optional_limit: 0,
        optional_cursor: None,
    };
    let found = all_of(permissions.read_relationships(by_subject)).await;
    assert_eq!(found.len(), 1);
}

#[tokio::test]
async fn writes_create_touch_delete_and_honour_preconditions() {
    let server = TestServer::start().await;
    write_schema(&server, SCHEMA).await;
    let mut permissions = server.permissions().await;
    let create = update(Operation::Create, "document:w#viewer@user:una");
    write(&server, vec![create.clone()]).await;
    let again = permissions
        .write_relationships(wire::WriteRelationshipsRequest {
            updates: vec![create],
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(again.code(), tonic::Code::AlreadyExists);
    // TOUCH of an existing relationship is fine.
    write(&server, vec![touch("document:w#viewer@user:una")]).await;

    let must_match = |resource_id: &str| wire::Precondition {
        operation: wire::precondition::Operation::MustMatch as i32,
        filter: Some(wire::RelationshipFilter {
            resource_type: "document".to_owned(),
            optional_resource_id: resource_id.to_owned(),
            ..Default::default()
        }),
    };
    let guarded = permissions
        .write_relationships(wire::WriteRelationshipsRequest {
            updates: vec![touch("document:w#viewer@user:vic")],
            optional_preconditions: vec![must_match("missing")],
            optional_transaction_metadata: None,
        })
        .await
        .unwrap_err();
    assert_eq!(guarded.code(), tonic::Code::FailedPrecondition);
    let token = permissions
        .write_relationships(wire::WriteRelationshipsRequest {
            updates: vec![
                touch("document:w#viewer@user:vic"),
                update(Operation::Delete, "document:w#viewer@user:una"),
            ],
            optional_preconditions: vec![must_match("w")],
            optional_transaction_metadata: Some(context(&[("reason", "test")])),
        })
        .await
        .unwrap()
        .into_inner()
        .written_at
        .unwrap();
    let consistency = at_least_as_fresh(&token);
    assert_eq!(
        check(
            &server,
            "document:w",
            "view",
            "user:vic",
            consistency.clone()
        )
        .await,
        Permissionship::HasPermission
    );
    assert_eq!(
        check(&server, "document:w", "view", "user:una", consistency).await,
        Permissionship::NoPermission
    );
}

#[tokio::test]
async fn deletes_by_filter_respect_limits_and_partial_deletion() {
    let server = TestServer::start().await;
    write_schema(&server, SCHEMA).await;
    write(
        &server,
        (1..=5)
            .map(|n| touch(&format!("document:del#viewer@user:u{n}")))
            .collect(),
    )
    .await;
    let request = |limit, partial| wire::DeleteRelationshipsRequest {
        relationship_filter: Some(wire::RelationshipFilter {
            resource_type: "document".to_owned(),
            optional_resource_id: "del".to_owned(),
            ..Default::default()
        }),
        optional_preconditions: Vec::new(),
        optional_limit: limit,
        optional_allow_partial_deletions: partial,
        optional_transaction_metadata: None,
    };
    let mut permissions = server.permissions().await;
    let refused = permissions
        .delete_relationships(request(2, false))
        .await
        .unwrap_err();
    assert_eq!(refused.code(), tonic::Code::InvalidArgument);
    assert_eq!(
        reason(&refused).unwrap().0,
        "ERROR_REASON_TOO_MANY_RELATIONSHIPS_FOR_TRANSACTIONAL_DELETE"
    );
    let partial = permissions
        .delete_relationships(request(2, true))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(partial.relationships_deleted_count, 2);
    assert_eq!(
        partial.deletion_progress(),
        wire::delete_relationships_response::DeletionProgress::Partial
    );
    let rest = permissions
        .delete_relationships(request(0, false))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(rest.relationships_deleted_count, 3);
    assert_eq!(
        rest.deletion_progress(),
        wire::delete_relationships_response::DeletionProgress::Complete
    );
}

#[tokio::test]
async fn import_then_export_round_trips_with_the_imports_token() {
    let server = TestServer::start().await;
    write_schema(&server, SCHEMA).await;
    let relationships: Vec<_> = (0..2500)
        .map(|n| relationship(&format!("document:doc{n:04}#viewer@user:u{}", n % 7)))
        .collect();
    let messages: Vec<_> = relationships
        .chunks(1000)
        .map(|chunk| wire::ImportBulkRelationshipsRequest {
            relationships: chunk.to_vec(),
        })
        .collect();
    let response = server
        .permissions()
        .await
        .import_bulk_relationships(tokio_stream::iter(messages))
        .await
        .unwrap();
    let token = response
        .metadata()
        .get(tessera_api::WRITTEN_AT_METADATA_KEY)
        .expect("the import's ZedToken in the response header")
        .to_str()
        .unwrap()
        .to_owned();
    assert_eq!(response.into_inner().num_loaded, 2500);
    let token = wire::ZedToken { token };
    assert_eq!(
        check(
            &server,
            "document:doc2499",
            "view",
            "user:u0",
            at_least_as_fresh(&token)
        )
        .await,
        Permissionship::HasPermission
    );

    let export = |cursor: Option<wire::Cursor>| wire::ExportBulkRelationshipsRequest {
        consistency: at_least_as_fresh(&token),
        optional_limit: 1000,
        optional_cursor: cursor,
        optional_relationship_filter: None,
    };
    let mut permissions = server.permissions().await;
    let pages = all_of(permissions.export_bulk_relationships(export(None))).await;
    assert_eq!(
        pages
            .iter()
            .map(|page| page.relationships.len())
            .collect::<Vec<_>>(),
        [1000, 1000, 500]
    );
    let exported: Vec<_> = pages
        .iter()
        .flat_map(|page| page.relationships.clone())
        .collect();
    assert_eq!(
        exported, relationships,
        "export returns the store order, here the import order"
    );

    // Resuming from the first page's cursor skips it.
    let resumed =
        all_of(permissions.export_bulk_relationships(export(pages[0].after_result_cursor.clone())))
            .await;
    assert_eq!(
        resumed.iter().map(|p| p.relationships.len()).sum::<usize>(),
        1500
    );

    // A duplicate in an import is refused, and nothing of it is written.
    let duplicate = server
        .permissions()
        .await
        .import_bulk_relationships(tokio_stream::iter(vec![
            wire::ImportBulkRelationshipsRequest {
                relationships: vec![
                    relationship("document:new#viewer@user:x"),
                    relationships[0].clone(),
                ],
            },
        ]))
        .await
        .unwrap_err();
    assert_eq!(duplicate.code(), tonic::Code::AlreadyExists);
    assert_eq!(
        check(
            &server,
            "document:new",
            "view",
            "user:x",
            fully_consistent()
        )
        .await,
        Permissionship::NoPermission
    );
}
