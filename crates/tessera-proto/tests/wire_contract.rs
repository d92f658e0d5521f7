//! Proves the generated code speaks SpiceDB's `authzed.api.v1` wire contract:
//! service and method names, streaming directions, message field names,
//! numbers and types, oneofs and enum values, as listed in
//! `reference/authzed-v1-wire.md`. The official clients address RPCs by these
//! names and decode fields by these numbers, so any drift here breaks them.

#![expect(
    clippy::expect_used,
    clippy::panic,
    reason = "helpers fail the test with the missing name when the descriptor set lacks it"
)]

use std::collections::BTreeSet;

use prost::Message as _;
use prost_types::field_descriptor_proto::{Label, Type};
use prost_types::{
    DescriptorProto, EnumDescriptorProto, FieldDescriptorProto, FileDescriptorProto,
    FileDescriptorSet, ServiceDescriptorProto,
};
use tessera_proto::FILE_DESCRIPTOR_SET;
use tessera_proto::authzed::api::v1;

const PACKAGE: &str = "authzed.api.v1";

/// Fields of one message: `(name, number, type)`.
type Fields = &'static [(&'static str, i32, &'static str)];

/// Methods of one service: `(method, input, output, shape)`.
type Methods = &'static [(&'static str, &'static str, &'static str, Shape)];

/// Every message of `authzed.api.v1` with its complete field list:
/// `(name, number, type)`. Types are scalar names, message/enum names relative
/// to `authzed.api.v1` (or fully qualified elsewhere), prefixed by `repeated `.
#[rustfmt::skip]
const MESSAGES: &[(&str, Fields)] = &[
    // core.proto
    ("ObjectReference", &[("object_type", 1, "string"), ("object_id", 2, "string")]),
    ("SubjectReference", &[("object", 1, "ObjectReference"), ("optional_relation", 2, "string")]),
    ("Relationship", &[
        ("resource", 1, "ObjectReference"),
        ("relation", 2, "string"),
        ("subject", 3, "SubjectReference"),
        ("optional_caveat", 4, "ContextualizedCaveat"),
        ("optional_expires_at", 5, "google.protobuf.Timestamp"),
    ]),
    ("ContextualizedCaveat", &[("caveat_name", 1, "string"), ("context", 2, "google.protobuf.Struct")]),
    ("ZedToken", &[("token", 1, "string")]),
    ("Cursor", &[("token", 1, "string")]),
    ("RelationshipUpdate", &[
        ("operation", 1, "RelationshipUpdate.Operation"),
        ("relationship", 2, "Relationship"),
    ]),
    ("PermissionRelationshipTree", &[
        ("intermediate", 1, "AlgebraicSubjectSet"),
        ("leaf", 2, "DirectSubjectSet"),
        ("expanded_object", 3, "ObjectReference"),
        ("expanded_relation", 4, "string"),
    ]),
    ("AlgebraicSubjectSet", &[
        ("operation", 1, "AlgebraicSubjectSet.Operation"),
        ("children", 2, "repeated PermissionRelationshipTree"),
    ]),
    ("DirectSubjectSet", &[("subjects", 1, "repeated SubjectReference")]),
    ("PartialCaveatInfo", &[("missing_required_context", 1, "repeated string")]),
    // permission_service.proto
    ("Consistency", &[
        ("minimize_latency", 1, "bool"),
        ("at_least_as_fresh", 2, "ZedToken"),
        ("at_exact_snapshot", 3, "ZedToken"),
        ("fully_consistent", 4, "bool"),
    ]),
    ("RelationshipFilter", &[
        ("resource_type", 1, "string"),
        ("optional_resource_id", 2, "string"),
        ("optional_relation", 3, "string"),
        ("optional_subject_filter", 4, "SubjectFilter"),
        ("optional_resource_id_prefix", 5, "string"),
    ]),
    ("SubjectFilter", &[
        ("subject_type", 1, "string"),
        ("optional_subject_id", 2, "string"),
        ("optional_relation", 3, "SubjectFilter.RelationFilter"),
    ]),
    ("SubjectFilter.RelationFilter", &[("relation", 1, "string")]),
    ("ReadRelationshipsRequest", &[
        ("consistency", 1, "Consistency"),
        ("relationship_filter", 2, "RelationshipFilter"),
        ("optional_limit", 3, "uint32"),
        ("optional_cursor", 4, "Cursor"),
    ]),
    ("ReadRelationshipsResponse", &[
        ("read_at", 1, "ZedToken"),
        ("relationship", 2, "Relationship"),
        ("after_result_cursor", 3, "Cursor"),
    ]),
    ("Precondition", &[("operation", 1, "Precondition.Operation"), ("filter", 2, "RelationshipFilter")]),
    ("WriteRelationshipsRequest", &[
        ("updates", 1, "repeated RelationshipUpdate"),
        ("optional_preconditions", 2, "repeated Precondition"),
        ("optional_transaction_metadata", 3, "google.protobuf.Struct"),
    ]),
    ("WriteRelationshipsResponse", &[("written_at", 1, "ZedToken")]),
    ("DeleteRelationshipsRequest", &[
        ("relationship_filter", 1, "RelationshipFilter"),
        ("optional_preconditions", 2, "repeated Precondition"),
        ("optional_limit", 3, "uint32"),
        ("optional_allow_partial_deletions", 4, "bool"),
        ("optional_transaction_metadata", 5, "google.protobuf.Struct"),
    ]),
    ("DeleteRelationshipsResponse", &[
        ("deleted_at", 1, "ZedToken"),
        ("deletion_progress", 2, "DeleteRelationshipsResponse.DeletionProgress"),
        ("relationships_deleted_count", 3, "uint64"),
    ]),
    ("CheckPermissionRequest", &[
        ("consistency", 1, "Consistency"),
        ("resource", 2, "ObjectReference"),
        ("permission", 3, "string"),
        ("subject", 4, "SubjectReference"),
        ("context", 5, "google.protobuf.Struct"),
        ("with_tracing", 6, "bool"),
    ]),
    ("CheckPermissionResponse", &[
        ("checked_at", 1, "ZedToken"),
        ("permissionship", 2, "CheckPermissionResponse.Permissionship"),
        ("partial_caveat_info", 3, "PartialCaveatInfo"),
        ("debug_trace", 4, "DebugInformation"),
        ("optional_expires_at", 5, "google.protobuf.Timestamp"),
    ]),
    ("CheckBulkPermissionsRequest", &[
        ("consistency", 1, "Consistency"),
        ("items", 2, "repeated CheckBulkPermissionsRequestItem"),
        ("with_tracing", 3, "bool"),
    ]),
    ("CheckBulkPermissionsRequestItem", &[
        ("resource", 1, "ObjectReference"),
        ("permission", 2, "string"),
        ("subject", 3, "SubjectReference"),
        ("context", 4, "google.protobuf.Struct"),
    ]),
    ("CheckBulkPermissionsResponse", &[
        ("checked_at", 1, "ZedToken"),
        ("pairs", 2, "repeated CheckBulkPermissionsPair"),
    ]),
    ("CheckBulkPermissionsPair", &[
        ("request", 1, "CheckBulkPermissionsRequestItem"),
        ("item", 2, "CheckBulkPermissionsResponseItem"),
        ("error", 3, "google.rpc.Status"),
    ]),
    ("CheckBulkPermissionsResponseItem", &[
        ("permissionship", 1, "CheckPermissionResponse.Permissionship"),
        ("partial_caveat_info", 2, "PartialCaveatInfo"),
        ("debug_trace", 3, "DebugInformation"),
    ]),
    ("ExpandPermissionTreeRequest", &[
        ("consistency", 1, "Consistency"),
        ("resource", 2, "ObjectReference"),
        ("permission", 3, "string"),
    ]),
    ("ExpandPermissionTreeResponse", &[
        ("expanded_at", 1, "ZedToken"),
        ("tree_root", 2, "PermissionRelationshipTree"),
    ]),
    ("LookupResourcesRequest", &[
        ("consistency", 1, "Consistency"),
        ("resource_object_type", 2, "string"),
        ("permission", 3, "string"),
        ("subject", 4, "SubjectReference"),
        ("context", 5, "google.protobuf.Struct"),
        ("optional_limit", 6, "uint32"),
        ("optional_cursor", 7, "Cursor"),
    ]),
    ("LookupResourcesResponse", &[
        ("looked_up_at", 1, "ZedToken"),
        ("resource_object_id", 2, "string"),
        ("permissionship", 3, "LookupPermissionship"),
        ("partial_caveat_info", 4, "PartialCaveatInfo"),
        ("after_result_cursor", 5, "Cursor"),
    ]),
    ("LookupSubjectsRequest", &[
        ("consistency", 1, "Consistency"),
        ("resource", 2, "ObjectReference"),
        ("permission", 3, "string"),
        ("subject_object_type", 4, "string"),
        ("optional_subject_relation", 5, "string"),
        ("context", 6, "google.protobuf.Struct"),
        ("optional_concrete_limit", 7, "uint32"),
        ("optional_cursor", 8, "Cursor"),
        ("wildcard_option", 9, "LookupSubjectsRequest.WildcardOption"),
    ]),
    ("LookupSubjectsResponse", &[
        ("looked_up_at", 1, "ZedToken"),
        ("subject_object_id", 2, "string"),
        ("excluded_subject_ids", 3, "repeated string"),
        ("permissionship", 4, "LookupPermissionship"),
        ("partial_caveat_info", 5, "PartialCaveatInfo"),
        ("subject", 6, "ResolvedSubject"),
        ("excluded_subjects", 7, "repeated ResolvedSubject"),
        ("after_result_cursor", 8, "Cursor"),
    ]),
    ("ResolvedSubject", &[
        ("subject_object_id", 1, "string"),
        ("permissionship", 2, "LookupPermissionship"),
        ("partial_caveat_info", 3, "PartialCaveatInfo"),
    ]),
    ("ImportBulkRelationshipsRequest", &[("relationships", 1, "repeated Relationship")]),
    ("ImportBulkRelationshipsResponse", &[("num_loaded", 1, "uint64")]),
    ("ExportBulkRelationshipsRequest", &[
        ("consistency", 1, "Consistency"),
        ("optional_limit", 2, "uint32"),
        ("optional_cursor", 3, "Cursor"),
        ("optional_relationship_filter", 4, "RelationshipFilter"),
    ]),
    ("ExportBulkRelationshipsResponse", &[
        ("after_result_cursor", 1, "Cursor"),
        ("relationships", 2, "repeated Relationship"),
    ]),
    // schema_service.proto
    ("ReadSchemaRequest", &[]),
    ("ReadSchemaResponse", &[("schema_text", 1, "string"), ("read_at", 2, "ZedToken")]),
    ("WriteSchemaRequest", &[("schema", 1, "string")]),
    ("WriteSchemaResponse", &[("written_at", 1, "ZedToken")]),
    ("ReflectSchemaRequest", &[
        ("consistency", 1, "Consistency"),
        ("optional_filters", 2, "repeated ReflectionSchemaFilter"),
    ]),
    ("ReflectSchemaResponse", &[
        ("definitions", 1, "repeated ReflectionDefinition"),
        ("caveats", 2, "repeated ReflectionCaveat"),
        ("read_at", 3, "ZedToken"),
    ]),
    ("ReflectionSchemaFilter", &[
        ("optional_definition_name_filter", 1, "string"),
        ("optional_caveat_name_filter", 2, "string"),
        ("optional_relation_name_filter", 3, "string"),
        ("optional_permission_name_filter", 4, "string"),
    ]),
    ("ReflectionDefinition", &[
        ("name", 1, "string"),
        ("comment", 2, "string"),
        ("relations", 3, "repeated ReflectionRelation"),
        ("permissions", 4, "repeated ReflectionPermission"),
    ]),
    ("ReflectionCaveat", &[
        ("name", 1, "string"),
        ("comment", 2, "string"),
        ("parameters", 3, "repeated ReflectionCaveatParameter"),
        ("expression", 4, "string"),
    ]),
    ("ReflectionCaveatParameter", &[
        ("name", 1, "string"),
        ("type", 2, "string"),
        ("parent_caveat_name", 3, "string"),
    ]),
    ("ReflectionRelation", &[
        ("name", 1, "string"),
        ("comment", 2, "string"),
        ("parent_definition_name", 3, "string"),
        ("subject_types", 4, "repeated ReflectionTypeReference"),
    ]),
    ("ReflectionTypeReference", &[
        ("subject_definition_name", 1, "string"),
        ("optional_caveat_name", 2, "string"),
        ("is_terminal_subject", 3, "bool"),
        ("optional_relation_name", 4, "string"),
        ("is_public_wildcard", 5, "bool"),
    ]),
    ("ReflectionPermission", &[
        ("name", 1, "string"),
        ("comment", 2, "string"),
        ("parent_definition_name", 3, "string"),
    ]),
    ("ComputablePermissionsRequest", &[
        ("consistency", 1, "Consistency"),
        ("definition_name", 2, "string"),
        ("relation_name", 3, "string"),
        ("optional_definition_name_filter", 4, "string"),
    ]),
    ("ComputablePermissionsResponse", &[
        ("permissions", 1, "repeated ReflectionRelationReference"),
        ("read_at", 2, "ZedToken"),
    ]),
    ("ReflectionRelationReference", &[
        ("definition_name", 1, "string"),
        ("relation_name", 2, "string"),
        ("is_permission", 3, "bool"),
    ]),
    ("DependentRelationsRequest", &[
        ("consistency", 1, "Consistency"),
        ("definition_name", 2, "string"),
        ("permission_name", 3, "string"),
    ]),
    ("DependentRelationsResponse", &[
        ("relations", 1, "repeated ReflectionRelationReference"),
        ("read_at", 2, "ZedToken"),
    ]),
    ("DiffSchemaRequest", &[("consistency", 1, "Consistency"), ("comparison_schema", 2, "string")]),
    ("DiffSchemaResponse", &[
        ("diffs", 1, "repeated ReflectionSchemaDiff"),
        ("read_at", 2, "ZedToken"),
    ]),
    ("ReflectionRelationSubjectTypeChange", &[
        ("relation", 1, "ReflectionRelation"),
        ("changed_subject_type", 2, "ReflectionTypeReference"),
    ]),
    ("ReflectionCaveatParameterTypeChange", &[
        ("parameter", 1, "ReflectionCaveatParameter"),
        ("previous_type", 2, "string"),
    ]),
    ("ReflectionSchemaDiff", &[
        ("definition_added", 1, "ReflectionDefinition"),
        ("definition_removed", 2, "ReflectionDefinition"),
        ("definition_doc_comment_changed", 3, "ReflectionDefinition"),
        ("relation_added", 4, "ReflectionRelation"),
        ("relation_removed", 5, "ReflectionRelation"),
        ("relation_doc_comment_changed", 6, "ReflectionRelation"),
        ("relation_subject_type_added", 7, "ReflectionRelationSubjectTypeChange"),
        ("relation_subject_type_removed", 8, "ReflectionRelationSubjectTypeChange"),
        ("permission_added", 9, "ReflectionPermission"),
        ("permission_removed", 10, "ReflectionPermission"),
        ("permission_doc_comment_changed", 11, "ReflectionPermission"),
        ("permission_expr_changed", 12, "ReflectionPermission"),
        ("caveat_added", 13, "ReflectionCaveat"),
        ("caveat_removed", 14, "ReflectionCaveat"),
        ("caveat_doc_comment_changed", 15, "ReflectionCaveat"),
        ("caveat_expr_changed", 16, "ReflectionCaveat"),
        ("caveat_parameter_added", 17, "ReflectionCaveatParameter"),
        ("caveat_parameter_removed", 18, "ReflectionCaveatParameter"),
        ("caveat_parameter_type_changed", 19, "ReflectionCaveatParameterTypeChange"),
    ]),
    // watch_service.proto
    ("WatchRequest", &[
        ("optional_object_types", 1, "repeated string"),
        ("optional_start_cursor", 2, "ZedToken"),
        ("optional_relationship_filters", 3, "repeated RelationshipFilter"),
        ("optional_update_kinds", 4, "repeated WatchKind"),
    ]),
    ("WatchResponse", &[
        ("updates", 1, "repeated RelationshipUpdate"),
        ("changes_through", 2, "ZedToken"),
        ("optional_transaction_metadata", 3, "google.protobuf.Struct"),
        ("schema_updated", 4, "bool"),
        ("is_checkpoint", 5, "bool"),
        ("full_revision_metadata", 6, "repeated google.protobuf.Struct"),
    ]),
    // experimental_service.proto (messages that differ from a stable one)
    ("BulkCheckPermissionRequest", &[
        ("consistency", 1, "Consistency"),
        ("items", 2, "repeated BulkCheckPermissionRequestItem"),
    ]),
    ("BulkCheckPermissionRequestItem", &[
        ("resource", 1, "ObjectReference"),
        ("permission", 2, "string"),
        ("subject", 3, "SubjectReference"),
        ("context", 4, "google.protobuf.Struct"),
    ]),
    ("BulkCheckPermissionResponse", &[
        ("checked_at", 1, "ZedToken"),
        ("pairs", 2, "repeated BulkCheckPermissionPair"),
    ]),
    ("BulkCheckPermissionPair", &[
        ("request", 1, "BulkCheckPermissionRequestItem"),
        ("item", 2, "BulkCheckPermissionResponseItem"),
        ("error", 3, "google.rpc.Status"),
    ]),
    ("BulkCheckPermissionResponseItem", &[
        ("permissionship", 1, "CheckPermissionResponse.Permissionship"),
        ("partial_caveat_info", 2, "PartialCaveatInfo"),
    ]),
    ("ExperimentalRegisterRelationshipCounterRequest", &[
        ("name", 1, "string"),
        ("relationship_filter", 2, "RelationshipFilter"),
    ]),
    ("ExperimentalRegisterRelationshipCounterResponse", &[]),
    ("ExperimentalCountRelationshipsRequest", &[("name", 1, "string")]),
    ("ExperimentalCountRelationshipsResponse", &[
        ("counter_still_calculating", 1, "bool"),
        ("read_counter_value", 2, "ReadCounterValue"),
    ]),
    ("ReadCounterValue", &[("relationship_count", 1, "uint64"), ("read_at", 2, "ZedToken")]),
    ("ExperimentalUnregisterRelationshipCounterRequest", &[("name", 1, "string")]),
    ("ExperimentalUnregisterRelationshipCounterResponse", &[]),
    // debug.proto
    ("DebugInformation", &[("check", 1, "CheckDebugTrace"), ("schema_used", 2, "string")]),
    ("CheckDebugTrace", &[
        ("resource", 1, "ObjectReference"),
        ("permission", 2, "string"),
        ("permission_type", 3, "CheckDebugTrace.PermissionType"),
        ("subject", 4, "SubjectReference"),
        ("result", 5, "CheckDebugTrace.Permissionship"),
        ("was_cached_result", 6, "bool"),
        ("sub_problems", 7, "CheckDebugTrace.SubProblems"),
        ("caveat_evaluation_info", 8, "CaveatEvalInfo"),
        ("duration", 9, "google.protobuf.Duration"),
        ("optional_expires_at", 10, "google.protobuf.Timestamp"),
        ("trace_operation_id", 11, "string"),
        ("source", 12, "string"),
    ]),
    ("CheckDebugTrace.SubProblems", &[("traces", 1, "repeated CheckDebugTrace")]),
    ("CaveatEvalInfo", &[
        ("expression", 1, "string"),
        ("result", 2, "CaveatEvalInfo.Result"),
        ("context", 3, "google.protobuf.Struct"),
        ("partial_caveat_info", 4, "PartialCaveatInfo"),
        ("caveat_name", 5, "string"),
    ]),
];

/// Experimental messages that are field-for-field copies of stable ones,
/// `(experimental, stable)`; type references are compared after renaming.
#[rustfmt::skip]
const MIRRORS: &[(&str, &str)] = &[
    ("BulkImportRelationshipsRequest", "ImportBulkRelationshipsRequest"),
    ("BulkImportRelationshipsResponse", "ImportBulkRelationshipsResponse"),
    ("BulkExportRelationshipsRequest", "ExportBulkRelationshipsRequest"),
    ("BulkExportRelationshipsResponse", "ExportBulkRelationshipsResponse"),
    ("ExperimentalReflectSchemaRequest", "ReflectSchemaRequest"),
    ("ExperimentalReflectSchemaResponse", "ReflectSchemaResponse"),
    ("ExperimentalComputablePermissionsRequest", "ComputablePermissionsRequest"),
    ("ExperimentalComputablePermissionsResponse", "ComputablePermissionsResponse"),
    ("ExperimentalDependentRelationsRequest", "DependentRelationsRequest"),
    ("ExperimentalDependentRelationsResponse", "DependentRelationsResponse"),
    ("ExperimentalDiffSchemaRequest", "DiffSchemaRequest"),
    ("ExperimentalDiffSchemaResponse", "DiffSchemaResponse"),
    ("ExpSchemaFilter", "ReflectionSchemaFilter"),
    ("ExpDefinition", "ReflectionDefinition"),
    ("ExpCaveat", "ReflectionCaveat"),
    ("ExpCaveatParameter", "ReflectionCaveatParameter"),
    ("ExpRelation", "ReflectionRelation"),
    ("ExpTypeReference", "ReflectionTypeReference"),
    ("ExpPermission", "ReflectionPermission"),
    ("ExpRelationReference", "ReflectionRelationReference"),
    ("ExpSchemaDiff", "ReflectionSchemaDiff"),
    ("ExpRelationSubjectTypeChange", "ReflectionRelationSubjectTypeChange"),
    ("ExpCaveatParameterTypeChange", "ReflectionCaveatParameterTypeChange"),
];

/// Members of the `diff` oneof of ReflectionSchemaDiff and ExpSchemaDiff.
#[rustfmt::skip]
const SCHEMA_DIFF_MEMBERS: &[&str] = &[
    "definition_added", "definition_removed", "definition_doc_comment_changed",
    "relation_added", "relation_removed", "relation_doc_comment_changed",
    "relation_subject_type_added", "relation_subject_type_removed",
    "permission_added", "permission_removed", "permission_doc_comment_changed", "permission_expr_changed",
    "caveat_added", "caveat_removed", "caveat_doc_comment_changed", "caveat_expr_changed",
    "caveat_parameter_added", "caveat_parameter_removed", "caveat_parameter_type_changed",
];

/// Oneofs: `(message, oneof, members in field-number order)`.
#[rustfmt::skip]
const ONEOFS: &[(&str, &str, &[&str])] = &[
    ("PermissionRelationshipTree", "tree_type", &["intermediate", "leaf"]),
    ("Consistency", "requirement", &["minimize_latency", "at_least_as_fresh", "at_exact_snapshot", "fully_consistent"]),
    ("CheckBulkPermissionsPair", "response", &["item", "error"]),
    ("BulkCheckPermissionPair", "response", &["item", "error"]),
    ("ReflectionTypeReference", "typeref", &["is_terminal_subject", "optional_relation_name", "is_public_wildcard"]),
    ("ExpTypeReference", "typeref", &["is_terminal_subject", "optional_relation_name", "is_public_wildcard"]),
    ("ReflectionSchemaDiff", "diff", SCHEMA_DIFF_MEMBERS),
    ("ExpSchemaDiff", "diff", SCHEMA_DIFF_MEMBERS),
    ("ExperimentalCountRelationshipsResponse", "counter_result", &["counter_still_calculating", "read_counter_value"]),
    ("CheckDebugTrace", "resolution", &["was_cached_result", "sub_problems"]),
];

/// Every enum of `authzed.api.v1` with all of its values.
#[rustfmt::skip]
const ENUMS: &[(&str, &[(&str, i32)])] = &[
    ("RelationshipUpdate.Operation", &[
        ("OPERATION_UNSPECIFIED", 0), ("OPERATION_CREATE", 1), ("OPERATION_TOUCH", 2), ("OPERATION_DELETE", 3),
    ]),
    ("AlgebraicSubjectSet.Operation", &[
        ("OPERATION_UNSPECIFIED", 0), ("OPERATION_UNION", 1), ("OPERATION_INTERSECTION", 2), ("OPERATION_EXCLUSION", 3),
    ]),
    ("Precondition.Operation", &[
        ("OPERATION_UNSPECIFIED", 0), ("OPERATION_MUST_NOT_MATCH", 1), ("OPERATION_MUST_MATCH", 2),
    ]),
    ("DeleteRelationshipsResponse.DeletionProgress", &[
        ("DELETION_PROGRESS_UNSPECIFIED", 0), ("DELETION_PROGRESS_COMPLETE", 1), ("DELETION_PROGRESS_PARTIAL", 2),
    ]),
    ("CheckPermissionResponse.Permissionship", &[
        ("PERMISSIONSHIP_UNSPECIFIED", 0), ("PERMISSIONSHIP_NO_PERMISSION", 1),
        ("PERMISSIONSHIP_HAS_PERMISSION", 2), ("PERMISSIONSHIP_CONDITIONAL_PERMISSION", 3),
    ]),
    ("LookupPermissionship", &[
        ("LOOKUP_PERMISSIONSHIP_UNSPECIFIED", 0), ("LOOKUP_PERMISSIONSHIP_HAS_PERMISSION", 1),
        ("LOOKUP_PERMISSIONSHIP_CONDITIONAL_PERMISSION", 2),
    ]),
    ("LookupSubjectsRequest.WildcardOption", &[
        ("WILDCARD_OPTION_UNSPECIFIED", 0), ("WILDCARD_OPTION_INCLUDE_WILDCARDS", 1),
        ("WILDCARD_OPTION_EXCLUDE_WILDCARDS", 2),
    ]),
    ("WatchKind", &[
        ("WATCH_KIND_UNSPECIFIED", 0), ("WATCH_KIND_INCLUDE_RELATIONSHIP_UPDATES", 1),
        ("WATCH_KIND_INCLUDE_SCHEMA_UPDATES", 2), ("WATCH_KIND_INCLUDE_CHECKPOINTS", 3),
    ]),
    ("CheckDebugTrace.PermissionType", &[
        ("PERMISSION_TYPE_UNSPECIFIED", 0), ("PERMISSION_TYPE_RELATION", 1), ("PERMISSION_TYPE_PERMISSION", 2),
    ]),
    ("CheckDebugTrace.Permissionship", &[
        ("PERMISSIONSHIP_UNSPECIFIED", 0), ("PERMISSIONSHIP_NO_PERMISSION", 1),
        ("PERMISSIONSHIP_HAS_PERMISSION", 2), ("PERMISSIONSHIP_CONDITIONAL_PERMISSION", 3),
    ]),
    ("CaveatEvalInfo.Result", &[
        ("RESULT_UNSPECIFIED", 0), ("RESULT_UNEVALUATED", 1), ("RESULT_FALSE", 2), ("RESULT_TRUE", 3),
        ("RESULT_MISSING_SOME_CONTEXT", 4),
    ]),
    ("ErrorReason", &[
        ("ERROR_REASON_UNSPECIFIED", 0),
        ("ERROR_REASON_SCHEMA_PARSE_ERROR", 1),
        ("ERROR_REASON_SCHEMA_TYPE_ERROR", 2),
        ("ERROR_REASON_UNKNOWN_DEFINITION", 3),
        ("ERROR_REASON_UNKNOWN_RELATION_OR_PERMISSION", 4),
        ("ERROR_REASON_TOO_MANY_UPDATES_IN_REQUEST", 5),
        ("ERROR_REASON_TOO_MANY_PRECONDITIONS_IN_REQUEST", 6),
        ("ERROR_REASON_WRITE_OR_DELETE_PRECONDITION_FAILURE", 7),
        ("ERROR_REASON_SERVICE_READ_ONLY", 8),
        ("ERROR_REASON_UNKNOWN_CAVEAT", 9),
        ("ERROR_REASON_INVALID_SUBJECT_TYPE", 10),
        ("ERROR_REASON_CAVEAT_PARAMETER_TYPE_ERROR", 11),
        ("ERROR_REASON_UPDATES_ON_SAME_RELATIONSHIP", 12),
        ("ERROR_REASON_CANNOT_UPDATE_PERMISSION", 13),
        ("ERROR_REASON_CAVEAT_EVALUATION_ERROR", 14),
        ("ERROR_REASON_INVALID_CURSOR", 15),
        ("ERROR_REASON_TOO_MANY_RELATIONSHIPS_FOR_TRANSACTIONAL_DELETE", 16),
        ("ERROR_REASON_MAX_RELATIONSHIP_CONTEXT_SIZE", 17),
        ("ERROR_REASON_ATTEMPT_TO_RECREATE_RELATIONSHIP", 18),
        ("ERROR_REASON_MAXIMUM_DEPTH_EXCEEDED", 19),
        ("ERROR_REASON_SERIALIZATION_FAILURE", 20),
        ("ERROR_REASON_TOO_MANY_CHECKS_IN_REQUEST", 21),
        ("ERROR_REASON_EXCEEDS_MAXIMUM_ALLOWABLE_LIMIT", 22),
        ("ERROR_REASON_INVALID_FILTER", 23),
        ("ERROR_REASON_INMEMORY_TOO_MANY_CONCURRENT_UPDATES", 24),
        ("ERROR_REASON_EMPTY_PRECONDITION", 25),
        ("ERROR_REASON_COUNTER_ALREADY_REGISTERED", 26),
        ("ERROR_REASON_COUNTER_NOT_REGISTERED", 27),
        ("ERROR_REASON_WILDCARD_NOT_ALLOWED", 28),
        ("ERROR_REASON_TRANSACTION_METADATA_TOO_LARGE", 29),
        ("ERROR_REASON_DATASTORE_NOT_MIGRATED", 30),
    ]),
];

/// How a method streams: unary, client stream, server stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Shape {
    Unary,
    ClientStream,
    ServerStream,
}

/// Every service with all of its methods: `(method, input, output, shape)`.
#[rustfmt::skip]
const SERVICES: &[(&str, Methods)] = &[
    ("PermissionsService", &[
        ("ReadRelationships", "ReadRelationshipsRequest", "ReadRelationshipsResponse", Shape::ServerStream),
        ("WriteRelationships", "WriteRelationshipsRequest", "WriteRelationshipsResponse", Shape::Unary),
        ("DeleteRelationships", "DeleteRelationshipsRequest", "DeleteRelationshipsResponse", Shape::Unary),
        ("CheckPermission", "CheckPermissionRequest", "CheckPermissionResponse", Shape::Unary),
        ("CheckBulkPermissions", "CheckBulkPermissionsRequest", "CheckBulkPermissionsResponse", Shape::Unary),
        ("ExpandPermissionTree", "ExpandPermissionTreeRequest", "ExpandPermissionTreeResponse", Shape::Unary),
        ("LookupResources", "LookupResourcesRequest", "LookupResourcesResponse", Shape::ServerStream),
        ("LookupSubjects", "LookupSubjectsRequest", "LookupSubjectsResponse", Shape::ServerStream),
        ("ImportBulkRelationships", "ImportBulkRelationshipsRequest", "ImportBulkRelationshipsResponse", Shape::ClientStream),
        ("ExportBulkRelationships", "ExportBulkRelationshipsRequest", "ExportBulkRelationshipsResponse", Shape::ServerStream),
    ]),
    ("SchemaService", &[
        ("ReadSchema", "ReadSchemaRequest", "ReadSchemaResponse", Shape::Unary),
        ("WriteSchema", "WriteSchemaRequest", "WriteSchemaResponse", Shape::Unary),
        ("ReflectSchema", "ReflectSchemaRequest", "ReflectSchemaResponse", Shape::Unary),
        ("ComputablePermissions", "ComputablePermissionsRequest", "ComputablePermissionsResponse", Shape::Unary),
        ("DependentRelations", "DependentRelationsRequest", "DependentRelationsResponse", Shape::Unary),
        ("DiffSchema", "DiffSchemaRequest", "DiffSchemaResponse", Shape::Unary),
    ]),
    ("WatchService", &[
        ("Watch", "WatchRequest", "WatchResponse", Shape::ServerStream),
    ]),
    ("ExperimentalService", &[
        ("BulkImportRelationships", "BulkImportRelationshipsRequest", "BulkImportRelationshipsResponse", Shape::ClientStream),
        ("BulkExportRelationships", "BulkExportRelationshipsRequest", "BulkExportRelationshipsResponse", Shape::ServerStream),
        ("BulkCheckPermission", "BulkCheckPermissionRequest", "BulkCheckPermissionResponse", Shape::Unary),
        ("ExperimentalReflectSchema", "ExperimentalReflectSchemaRequest", "ExperimentalReflectSchemaResponse", Shape::Unary),
        ("ExperimentalComputablePermissions", "ExperimentalComputablePermissionsRequest", "ExperimentalComputablePermissionsResponse", Shape::Unary),
        ("ExperimentalDependentRelations", "ExperimentalDependentRelationsRequest", "ExperimentalDependentRelationsResponse", Shape::Unary),
        ("ExperimentalDiffSchema", "ExperimentalDiffSchemaRequest", "ExperimentalDiffSchemaResponse", Shape::Unary),
        ("ExperimentalRegisterRelationshipCounter", "ExperimentalRegisterRelationshipCounterRequest", "ExperimentalRegisterRelationshipCounterResponse", Shape::Unary),
        ("ExperimentalCountRelationships", "ExperimentalCountRelationshipsRequest", "ExperimentalCountRelationshipsResponse", Shape::Unary),
        ("ExperimentalUnregisterRelationshipCounter", "ExperimentalUnregisterRelationshipCounterRequest", "ExperimentalUnregisterRelationshipCounterResponse", Shape::Unary),
    ]),
];

/// The `google.rpc` messages Tessera puts in (or reads from) error statuses.
#[rustfmt::skip]
const RPC_MESSAGES: &[(&str, Fields)] = &[
    ("Status", &[
        ("code", 1, "int32"),
        ("message", 2, "string"),
        ("details", 3, "repeated google.protobuf.Any"),
    ]),
    ("ErrorInfo", &[
        ("reason", 1, "string"),
        ("domain", 2, "string"),
        ("metadata", 3, "repeated google.rpc.ErrorInfo.MetadataEntry"),
    ]),
    ("RetryInfo", &[("retry_delay", 1, "google.protobuf.Duration")]),
    ("DebugInfo", &[("stack_entries", 1, "repeated string"), ("detail", 2, "string")]),
    ("PreconditionFailure.Violation", &[
        ("type", 1, "string"),
        ("subject", 2, "string"),
        ("description", 3, "string"),
    ]),
    ("BadRequest", &[("field_violations", 1, "repeated google.rpc.BadRequest.FieldViolation")]),
    ("BadRequest.FieldViolation", &[
        ("field", 1, "string"),
        ("description", 2, "string"),
        ("reason", 3, "string"),
        ("localized_message", 4, "google.rpc.LocalizedMessage"),
    ]),
    ("RequestInfo", &[("request_id", 1, "string"), ("serving_data", 2, "string")]),
    ("ResourceInfo", &[
        ("resource_type", 1, "string"),
        ("resource_name", 2, "string"),
        ("owner", 3, "string"),
        ("description", 4, "string"),
    ]),
];

/// The decoded descriptor set, with lookups by relative name.
struct Descriptors {
    files: Vec<FileDescriptorProto>,
}

impl Descriptors {
    fn load() -> Self {
        let set = FileDescriptorSet::decode(FILE_DESCRIPTOR_SET)
            .expect("FILE_DESCRIPTOR_SET is a valid FileDescriptorSet");
        Self { files: set.file }
    }

    fn package_files(&self, package: &'static str) -> impl Iterator<Item = &FileDescriptorProto> {
        self.files.iter().filter(move |f| f.package() == package)
    }

    /// A message by dotted path inside a package, e.g. `SubjectFilter.RelationFilter`.
    fn message(&self, package: &'static str, path: &str) -> &DescriptorProto {
        let mut parts = path.split('.');
        let first = parts.next().expect("non-empty path");
        let mut message = self
            .package_files(package)
            .flat_map(|f| &f.message_type)
            .find(|m| m.name() == first)
            .unwrap_or_else(|| panic!("message {package}.{path} is missing"));
        for part in parts {
            message = message
                .nested_type
                .iter()
                .find(|m| m.name() == part)
                .unwrap_or_else(|| panic!("message {package}.{path} is missing"));
        }
        message
    }

    /// An enum by dotted path inside a package, e.g. `Precondition.Operation`.
    fn enumeration(&self, package: &'static str, path: &str) -> &EnumDescriptorProto {
        match path.rsplit_once('.') {
            Some((parent, name)) => self
                .message(package, parent)
                .enum_type
                .iter()
                .find(|e| e.name() == name),
            None => self
                .package_files(package)
                .flat_map(|f| &f.enum_type)
                .find(|e| e.name() == path),
        }
        .unwrap_or_else(|| panic!("enum {package}.{path} is missing"))
    }

    fn service(&self, name: &str) -> &ServiceDescriptorProto {
        self.package_files(PACKAGE)
            .flat_map(|f| &f.service)
            .find(|s| s.name() == name)
            .unwrap_or_else(|| panic!("service {PACKAGE}.{name} is missing"))
    }
}

/// Renders a field's label and type in the notation of the tables above.
fn field_type(field: &FieldDescriptorProto) -> String {
    let base = match field.r#type() {
        Type::Message | Type::Enum => {
            let name = field.type_name().trim_start_matches('.');
            name.strip_prefix("authzed.api.v1.")
                .unwrap_or(name)
                .to_owned()
        }
        Type::String => "string".to_owned(),
        Type::Bool => "bool".to_owned(),
        Type::Uint32 => "uint32".to_owned(),
        Type::Uint64 => "uint64".to_owned(),
        Type::Int32 => "int32".to_owned(),
        Type::Int64 => "int64".to_owned(),
        Type::Bytes => "bytes".to_owned(),
        other => format!("{other:?}"),
    };
    match field.label() {
        Label::Repeated => format!("repeated {base}"),
        Label::Optional | Label::Required => base,
    }
}

/// `(name, number, type)` of every field, sorted by number.
fn fields_of(message: &DescriptorProto) -> Vec<(String, i32, String)> {
    let mut fields: Vec<_> = message
        .field
        .iter()
        .map(|f| (f.name().to_owned(), f.number(), field_type(f)))
        .collect();
    fields.sort_by_key(|(_, number, _)| *number);
    fields
}

fn expected_fields(table: &[(&str, i32, &str)]) -> Vec<(String, i32, String)> {
    let mut fields: Vec<_> = table
        .iter()
        .map(|(name, number, ty)| ((*name).to_owned(), *number, (*ty).to_owned()))
        .collect();
    fields.sort_by_key(|(_, number, _)| *number);
    fields
}

/// Names of all messages (nested ones as `Outer.Inner`) declared in a package.
fn all_message_paths(descriptors: &Descriptors, package: &'static str) -> BTreeSet<String> {
    fn walk(prefix: &str, message: &DescriptorProto, out: &mut BTreeSet<String>) {
        if message.options.as_ref().is_some_and(|o| o.map_entry()) {
            return;
        }
        let path = if prefix.is_empty() {
            message.name().to_owned()
        } else {
            format!("{prefix}.{}", message.name())
        };
        for nested in &message.nested_type {
            walk(&path, nested, out);
        }
        out.insert(path);
    }
    let mut out = BTreeSet::new();
    for file in descriptors.package_files(package) {
        for message in &file.message_type {
            walk("", message, &mut out);
        }
    }
    out
}

#[test]
fn descriptor_set_holds_every_contract_file() {
    let descriptors = Descriptors::load();
    let names: BTreeSet<&str> = descriptors.files.iter().map(|f| f.name()).collect();
    for file in [
        "authzed/api/v1/core.proto",
        "authzed/api/v1/debug.proto",
        "authzed/api/v1/error_reason.proto",
        "authzed/api/v1/experimental_service.proto",
        "authzed/api/v1/permission_service.proto",
        "authzed/api/v1/schema_service.proto",
        "authzed/api/v1/watch_service.proto",
        "google/rpc/status.proto",
        "google/rpc/error_details.proto",
        // Imports are included so reflection clients can resolve every type.
        "google/protobuf/struct.proto",
        "google/protobuf/timestamp.proto",
        "google/protobuf/duration.proto",
        "google/protobuf/any.proto",
    ] {
        assert!(
            names.contains(file),
            "descriptor set lacks {file}; has {names:?}"
        );
    }
}

#[test]
fn authzed_files_carry_upstream_language_options() {
    let descriptors = Descriptors::load();
    let mut count = 0;
    for file in descriptors.package_files(PACKAGE) {
        let options = file.options.as_ref().expect("file options are set");
        assert_eq!(
            options.go_package(),
            "github.com/authzed/authzed-go/proto/authzed/api/v1",
            "{}",
            file.name()
        );
        assert_eq!(
            options.java_package(),
            "com.authzed.api.v1",
            "{}",
            file.name()
        );
        assert!(options.java_multiple_files(), "{}", file.name());
        assert_eq!(file.syntax(), "proto3", "{}", file.name());
        count += 1;
    }
    assert_eq!(count, 7, "authzed.api.v1 is split over exactly seven files");
}

#[test]
fn services_have_upstream_methods_and_streaming() {
    let descriptors = Descriptors::load();
    let declared: BTreeSet<&str> = descriptors
        .package_files(PACKAGE)
        .flat_map(|f| &f.service)
        .map(|s| s.name())
        .collect();
    let expected: BTreeSet<&str> = SERVICES.iter().map(|(name, _)| *name).collect();
    assert_eq!(declared, expected);

    for (service_name, methods) in SERVICES {
        let service = descriptors.service(service_name);
        let declared: Vec<&str> = service.method.iter().map(|m| m.name()).collect();
        let expected: Vec<&str> = methods.iter().map(|(name, ..)| *name).collect();
        assert_eq!(declared, expected, "methods of {service_name}");
        for (name, input, output, shape) in *methods {
            let method = service
                .method
                .iter()
                .find(|m| m.name() == *name)
                .expect("method listed above");
            assert_eq!(
                method.input_type(),
                format!(".{PACKAGE}.{input}"),
                "{service_name}.{name}"
            );
            assert_eq!(
                method.output_type(),
                format!(".{PACKAGE}.{output}"),
                "{service_name}.{name}"
            );
            let actual = match (method.client_streaming(), method.server_streaming()) {
                (false, false) => Shape::Unary,
                (true, false) => Shape::ClientStream,
                (false, true) => Shape::ServerStream,
                (true, true) => panic!("{service_name}.{name} must not be bidirectional"),
            };
            assert_eq!(actual, *shape, "{service_name}.{name}");
        }
    }
}

#[test]
fn legacy_experimental_methods_are_marked_deprecated() {
    let descriptors = Descriptors::load();
    let deprecated: Vec<&str> = descriptors
        .service("ExperimentalService")
        .method
        .iter()
        .filter(|m| m.options.as_ref().is_some_and(|o| o.deprecated()))
        .map(|m| m.name())
        .collect();
    assert_eq!(
        deprecated,
        [
            "BulkImportRelationships",
            "BulkExportRelationships",
            "BulkCheckPermission",
            "ExperimentalReflectSchema",
            "ExperimentalComputablePermissions",
            "ExperimentalDependentRelations",
            "ExperimentalDiffSchema",
        ]
    );
}

#[test]
fn every_message_has_exactly_the_reference_fields() {
    let descriptors = Descriptors::load();
    for (path, table) in MESSAGES {
        let message = descriptors.message(PACKAGE, path);
        assert_eq!(
            fields_of(message),
            expected_fields(table),
            "fields of {PACKAGE}.{path}"
        );
    }
}

#[test]
fn experimental_messages_mirror_their_stable_counterparts() {
    let descriptors = Descriptors::load();
    // Maps an Exp* type to its stable name; other types stay as they are.
    let rename = |ty: &str| -> String {
        let (repeated, name) = match ty.strip_prefix("repeated ") {
            Some(name) => ("repeated ", name),
            None => ("", ty),
        };
        let name = MIRRORS
            .iter()
            .find(|(exp, _)| *exp == name)
            .map_or(name, |(_, stable)| *stable);
        format!("{repeated}{name}")
    };
    for (experimental, stable) in MIRRORS {
        let mirrored: Vec<_> = fields_of(descriptors.message(PACKAGE, experimental))
            .into_iter()
            .map(|(name, number, ty)| (name, number, rename(&ty)))
            .collect();
        let original = fields_of(descriptors.message(PACKAGE, stable));
        assert_eq!(mirrored, original, "{experimental} mirrors {stable}");
    }
}

#[test]
fn no_message_escapes_the_tables() {
    let descriptors = Descriptors::load();
    let declared = all_message_paths(&descriptors, PACKAGE);
    let listed: BTreeSet<String> = MESSAGES
        .iter()
        .map(|(path, _)| (*path).to_owned())
        .chain(MIRRORS.iter().map(|(exp, _)| (*exp).to_owned()))
        .collect();
    assert_eq!(
        declared, listed,
        "messages of {PACKAGE} vs the tables in this test"
    );
}

#[test]
fn oneofs_group_the_reference_members() {
    let descriptors = Descriptors::load();
    for (path, oneof, members) in ONEOFS {
        let message = descriptors.message(PACKAGE, path);
        let index = message
            .oneof_decl
            .iter()
            .position(|o| o.name() == *oneof)
            .unwrap_or_else(|| panic!("{path} lacks oneof {oneof}"));
        let mut grouped: Vec<(i32, &str)> = message
            .field
            .iter()
            .filter(|f| f.oneof_index == Some(i32::try_from(index).expect("few oneofs")))
            .map(|f| (f.number(), f.name()))
            .collect();
        grouped.sort_unstable();
        let grouped: Vec<&str> = grouped.into_iter().map(|(_, name)| name).collect();
        assert_eq!(grouped, *members, "members of {path}.{oneof}");
    }
    // No oneof exists that the table does not know about (proto3 `optional`
    // would show up here as a synthetic oneof, changing generated types).
    let total: usize = MESSAGES
        .iter()
        .map(|(path, _)| descriptors.message(PACKAGE, path).oneof_decl.len())
        .sum::<usize>()
        + MIRRORS
            .iter()
            .map(|(exp, _)| descriptors.message(PACKAGE, exp).oneof_decl.len())
            .sum::<usize>();
    assert_eq!(total, ONEOFS.len());
}

#[test]
fn enums_have_exactly_the_reference_values() {
    let descriptors = Descriptors::load();
    for (path, values) in ENUMS {
        let enumeration = descriptors.enumeration(PACKAGE, path);
        let declared: Vec<(&str, i32)> = enumeration
            .value
            .iter()
            .map(|v| (v.name(), v.number()))
            .collect();
        assert_eq!(declared, *values, "values of {PACKAGE}.{path}");
    }
}

#[test]
fn superseded_lookup_subjects_fields_are_deprecated() {
    let descriptors = Descriptors::load();
    let deprecated = |path: &str| -> Vec<i32> {
        descriptors
            .message(PACKAGE, path)
            .field
            .iter()
            .filter(|f| f.options.as_ref().is_some_and(|o| o.deprecated()))
            .map(|f| f.number())
            .collect()
    };
    assert_eq!(deprecated("LookupSubjectsResponse"), [2, 3, 4, 5]);
    assert_eq!(deprecated("BulkCheckPermissionRequest"), [2]);
}

#[test]
fn google_rpc_messages_use_standard_field_numbers() {
    let descriptors = Descriptors::load();
    for (path, table) in RPC_MESSAGES {
        let message = descriptors.message("google.rpc", path);
        assert_eq!(
            fields_of(message),
            expected_fields(table),
            "fields of google.rpc.{path}"
        );
    }
}

#[test]
fn generated_servers_register_under_upstream_names() {
    use tonic::server::NamedService as _;

    assert_eq!(
        v1::permissions_service_server::SERVICE_NAME,
        "authzed.api.v1.PermissionsService"
    );
    assert_eq!(
        v1::schema_service_server::SERVICE_NAME,
        "authzed.api.v1.SchemaService"
    );
    assert_eq!(
        v1::watch_service_server::SERVICE_NAME,
        "authzed.api.v1.WatchService"
    );
    assert_eq!(
        v1::experimental_service_server::SERVICE_NAME,
        "authzed.api.v1.ExperimentalService"
    );
    // The router dispatches on `NamedService::NAME`; pin it for one server type.
    struct Unimplemented;
    assert_eq!(
        <v1::watch_service_server::WatchServiceServer<Unimplemented>>::NAME,
        "authzed.api.v1.WatchService"
    );
}

/// Hand-encoded bytes: tag = field number << 3 | wire type.
#[test]
fn generated_types_encode_reference_field_numbers() {
    // LookupSubjectsRequest.wildcard_option = 9 (varint): tag 0x48.
    let request = v1::LookupSubjectsRequest {
        wildcard_option: v1::lookup_subjects_request::WildcardOption::ExcludeWildcards.into(),
        ..Default::default()
    };
    assert_eq!(request.encode_to_vec(), [0x48, 0x02]);

    // CheckPermissionRequest.context = 5 (length-delimited): tag 0x2a.
    let request = v1::CheckPermissionRequest {
        context: Some(prost_types::Struct::default()),
        ..Default::default()
    };
    assert_eq!(request.encode_to_vec(), [0x2a, 0x00]);

    // Relationship.optional_expires_at = 5 (length-delimited): tag 0x2a.
    let relationship = v1::Relationship {
        optional_expires_at: Some(prost_types::Timestamp {
            seconds: 1,
            nanos: 0,
        }),
        ..Default::default()
    };
    assert_eq!(relationship.encode_to_vec(), [0x2a, 0x02, 0x08, 0x01]);

    // WatchResponse.is_checkpoint = 5 (varint): tag 0x28.
    let response = v1::WatchResponse {
        is_checkpoint: true,
        ..Default::default()
    };
    assert_eq!(response.encode_to_vec(), [0x28, 0x01]);

    // CheckBulkPermissionsPair.error = 3 carries a google.rpc.Status.
    let pair = v1::CheckBulkPermissionsPair {
        response: Some(v1::check_bulk_permissions_pair::Response::Error(
            tessera_proto::google::rpc::Status {
                code: 5,
                ..Default::default()
            },
        )),
        ..Default::default()
    };
    assert_eq!(pair.encode_to_vec(), [0x1a, 0x02, 0x08, 0x05]);
}
