"""Every authzed.api.v1 RPC through SpiceDB's official Python client, against `tessera serve`.

The client is used exactly as its README shows for SpiceDB; nothing here knows it talks to
Tessera.
"""

import threading

import grpc
import pytest
from authzed.api.v1 import (
    CheckBulkPermissionsRequest,
    CheckBulkPermissionsRequestItem,
    CheckPermissionRequest,
    CheckPermissionResponse,
    ComputablePermissionsRequest,
    Consistency,
    DeleteRelationshipsRequest,
    DependentRelationsRequest,
    DiffSchemaRequest,
    ExpandPermissionTreeRequest,
    LookupResourcesRequest,
    LookupSubjectsRequest,
    ObjectReference,
    Precondition,
    ReadRelationshipsRequest,
    ReadSchemaRequest,
    ReflectSchemaRequest,
    Relationship,
    RelationshipFilter,
    RelationshipUpdate,
    SubjectFilter,
    SubjectReference,
    WatchRequest,
    WriteRelationshipsRequest,
    WriteSchemaRequest,
)
from authzed.api.v1.permission_service_pb2 import (
    ExportBulkRelationshipsRequest,
    ImportBulkRelationshipsRequest,
)
from google.protobuf.struct_pb2 import Struct

SCHEMA = """
definition user {}

definition group {
    relation member: user | group#member
}

caveat on_weekday(day string) {
    day != "saturday" && day != "sunday"
}

definition document {
    relation owner: user
    relation viewer: user | user:* | group#member | user with on_weekday
    relation banned: user
    permission edit = owner
    permission view = (viewer + edit) - banned
}
"""

HAS = CheckPermissionResponse.PERMISSIONSHIP_HAS_PERMISSION
NO = CheckPermissionResponse.PERMISSIONSHIP_NO_PERMISSION
CONDITIONAL = CheckPermissionResponse.PERMISSIONSHIP_CONDITIONAL_PERMISSION
TOUCH = RelationshipUpdate.Operation.OPERATION_TOUCH
CREATE = RelationshipUpdate.Operation.OPERATION_CREATE


def obj(text):
    object_type, object_id = text.split(":")
    return ObjectReference(object_type=object_type, object_id=object_id)


def subj(text):
    name, _, relation = text.partition("#")
    return SubjectReference(object=obj(name), optional_relation=relation)


def rel(text, caveat=None):
    resource, _, subject = text.partition("@")
    resource, _, relation = resource.partition("#")
    relationship = Relationship(resource=obj(resource), relation=relation, subject=subj(subject))
    if caveat:
        relationship.optional_caveat.caveat_name = caveat
    return relationship


def update(text, operation=TOUCH, caveat=None):
    return RelationshipUpdate(operation=operation, relationship=rel(text, caveat))


def fresh(token):
    return Consistency(at_least_as_fresh=token)


@pytest.fixture(scope="module")
def written(client):
    """The schema and a small graph; the ZedToken of the write."""
    client.WriteSchema(WriteSchemaRequest(schema=SCHEMA))
    response = client.WriteRelationships(WriteRelationshipsRequest(updates=[
        update("document:readme#owner@user:ada"),
        update("document:readme#viewer@group:eng#member"),
        update("group:eng#member@user:bob"),
        update("group:eng#member@user:eve"),
        update("document:readme#banned@user:eve"),
        update("document:public#viewer@user:*"),
        update("document:weekday#viewer@user:carl", caveat="on_weekday"),
    ]))
    assert response.written_at.token
    return response.written_at


def check(client, token, resource, permission, subject, context=None):
    return client.CheckPermission(CheckPermissionRequest(
        consistency=fresh(token),
        resource=obj(resource),
        permission=permission,
        subject=subj(subject),
        context=context,
    ))


def test_read_schema_returns_what_was_written(client, written):
    response = client.ReadSchema(ReadSchemaRequest())
    assert "definition document" in response.schema_text
    assert "caveat on_weekday" in response.schema_text
    assert response.read_at.token


def test_check_sees_the_write_it_is_at_least_as_fresh_as(client, written):
    assert check(client, written, "document:readme", "view", "user:ada").permissionship == HAS
    assert check(client, written, "document:readme", "view", "user:bob").permissionship == HAS
    # Banned wins over group membership.
    assert check(client, written, "document:readme", "view", "user:eve").permissionship == NO
    assert check(client, written, "document:public", "view", "user:zoe").permissionship == HAS
    answer = check(client, written, "document:readme", "edit", "user:bob")
    assert answer.permissionship == NO
    assert answer.checked_at.token


def test_caveats_are_conditional_until_the_context_decides(client, written):
    missing = check(client, written, "document:weekday", "view", "user:carl")
    assert missing.permissionship == CONDITIONAL
    assert list(missing.partial_caveat_info.missing_required_context) == ["day"]
    monday = Struct()
    monday.update({"day": "monday"})
    assert check(client, written, "document:weekday", "view", "user:carl",
                 context=monday).permissionship == HAS
    sunday = Struct()
    sunday.update({"day": "sunday"})
    assert check(client, written, "document:weekday", "view", "user:carl",
                 context=sunday).permissionship == NO


def test_check_bulk_answers_each_item_in_order(client, written):
    items = [
        ("document:readme", "view", "user:ada"),
        ("document:readme", "view", "user:eve"),
        ("document:weekday", "view", "user:carl"),
        ("document:readme", "nonexistent", "user:ada"),
    ]
    response = client.CheckBulkPermissions(CheckBulkPermissionsRequest(
        consistency=fresh(written),
        items=[CheckBulkPermissionsRequestItem(resource=obj(r), permission=p, subject=subj(s))
               for r, p, s in items],
    ))
    assert len(response.pairs) == 4
    assert response.pairs[0].item.permissionship == HAS
    assert response.pairs[1].item.permissionship == NO
    assert response.pairs[2].item.permissionship == CONDITIONAL
    assert response.pairs[3].HasField("error")
    assert response.pairs[0].request.resource.object_id == "readme"


def test_expand_shows_the_userset_tree(client, written):
    response = client.ExpandPermissionTree(ExpandPermissionTreeRequest(
        consistency=fresh(written), resource=obj("document:readme"), permission="view"))
    assert response.expanded_at.token
    assert response.tree_root.expanded_object.object_id == "readme"
    assert response.tree_root.expanded_relation == "view"
    assert response.tree_root.HasField("intermediate")


def test_lookup_resources_and_subjects(client, written):
    resources = client.LookupResources(LookupResourcesRequest(
        consistency=fresh(written), resource_object_type="document", permission="view",
        subject=subj("user:bob")))
    assert sorted(r.resource_object_id for r in resources) == ["public", "readme"]

    subjects = client.LookupSubjects(LookupSubjectsRequest(
        consistency=fresh(written), resource=obj("document:readme"), permission="view",
        subject_object_type="user"))
    assert sorted(s.subject.subject_object_id for s in subjects) == ["ada", "bob"]


def test_read_relationships_filters(client, written):
    found = client.ReadRelationships(ReadRelationshipsRequest(
        consistency=fresh(written),
        relationship_filter=RelationshipFilter(
            resource_type="group", optional_resource_id="eng", optional_relation="member")))
    assert sorted(r.relationship.subject.object.object_id for r in found) == ["bob", "eve"]


def test_write_errors_carry_spicedbs_status_codes(client, written):
    with pytest.raises(grpc.RpcError) as exists:
        client.WriteRelationships(WriteRelationshipsRequest(
            updates=[update("document:readme#owner@user:ada", operation=CREATE)]))
    assert exists.value.code() == grpc.StatusCode.ALREADY_EXISTS

    with pytest.raises(grpc.RpcError) as failed:
        client.WriteRelationships(WriteRelationshipsRequest(
            updates=[update("document:readme#owner@user:zed")],
            optional_preconditions=[Precondition(
                operation=Precondition.Operation.OPERATION_MUST_MATCH,
                filter=RelationshipFilter(resource_type="document", optional_resource_id="nope"),
            )]))
    assert failed.value.code() == grpc.StatusCode.FAILED_PRECONDITION

    with pytest.raises(grpc.RpcError) as unknown:
        client.WriteRelationships(WriteRelationshipsRequest(
            updates=[update("folder:1#viewer@user:ada")]))
    assert unknown.value.code() == grpc.StatusCode.FAILED_PRECONDITION
    assert "folder" in unknown.value.details()


def test_delete_relationships_by_filter(client, written):
    token = client.WriteRelationships(WriteRelationshipsRequest(updates=[
        update(f"document:scratch{n}#viewer@user:tmp") for n in range(5)
    ])).written_at
    assert check(client, token, "document:scratch3", "view", "user:tmp").permissionship == HAS
    response = client.DeleteRelationships(DeleteRelationshipsRequest(
        relationship_filter=RelationshipFilter(
            resource_type="document",
            optional_subject_filter=SubjectFilter(subject_type="user", optional_subject_id="tmp"),
        )))
    assert response.relationships_deleted_count == 5
    assert check(client, response.deleted_at, "document:scratch3", "view",
                 "user:tmp").permissionship == NO


def test_import_then_export_round_trips(client, written):
    texts = [f"document:bulk{n:04d}#viewer@user:u{n % 9}" for n in range(2500)]
    chunks = [texts[i:i + 1000] for i in range(0, len(texts), 1000)]
    response = client.ImportBulkRelationships(
        iter([ImportBulkRelationshipsRequest(relationships=[rel(t) for t in chunk])
              for chunk in chunks]))
    assert response.num_loaded == 2500

    exported = set()
    cursor = None
    while True:
        page = 0
        for batch in client.ExportBulkRelationships(ExportBulkRelationshipsRequest(
                optional_limit=1000, optional_cursor=cursor)):
            page += len(batch.relationships)
            cursor = batch.after_result_cursor
            for r in batch.relationships:
                if r.resource.object_id.startswith("bulk"):
                    exported.add(f"document:{r.resource.object_id}#{r.relation}"
                                 f"@user:{r.subject.object.object_id}")
        if page == 0:
            break
    assert exported == set(texts)


def test_schema_reflection_and_diff(client, written):
    reflected = client.ReflectSchema(ReflectSchemaRequest())
    names = sorted(d.name for d in reflected.definitions)
    assert names == ["document", "group", "user"]
    assert [c.name for c in reflected.caveats] == ["on_weekday"]

    computable = client.ComputablePermissions(ComputablePermissionsRequest(
        definition_name="document", relation_name="owner"))
    assert sorted(p.relation_name for p in computable.permissions) == ["edit", "view"]

    dependent = client.DependentRelations(DependentRelationsRequest(
        definition_name="document", permission_name="edit"))
    assert [(r.definition_name, r.relation_name) for r in dependent.relations] == [
        ("document", "owner")]

    diff = client.DiffSchema(DiffSchemaRequest(
        comparison_schema=SCHEMA + "\ndefinition folder {}\n"))
    assert any(d.HasField("definition_added") and d.definition_added.name == "folder"
               for d in diff.diffs)


def test_watch_streams_changes_after_a_token(client, written):
    start = client.WriteRelationships(WriteRelationshipsRequest(
        updates=[update("document:before-watch#viewer@user:ada")])).written_at
    stream = client.Watch(WatchRequest(optional_start_cursor=start), timeout=20)
    seen = []

    def read_one_update():
        for response in stream:
            if response.updates:
                seen.extend(response.updates)
                return

    reader = threading.Thread(target=read_one_update)
    reader.start()
    client.WriteRelationships(WriteRelationshipsRequest(
        updates=[update("document:watched#viewer@user:ada")]))
    reader.join(timeout=20)
    stream.cancel()
    assert [u.relationship.resource.object_id for u in seen] == ["watched"]
    assert seen[0].operation == RelationshipUpdate.Operation.OPERATION_TOUCH


def test_an_unknown_key_is_unauthenticated(stranger):
    with pytest.raises(grpc.RpcError) as error:
        stranger.ReadSchema(ReadSchemaRequest())
    assert error.value.code() == grpc.StatusCode.UNAUTHENTICATED
