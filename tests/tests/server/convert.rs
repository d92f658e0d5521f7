//! The evaluator's types as `authzed.api.v1` messages and back, written here from the wire
//! contract rather than borrowed from `tessera-api`, so the test checks the server's
//! mapping instead of repeating it.

use serde_json::Value;
use tessera_eval::Permissionship;
use tessera_proto::authzed::api::v1 as wire;
use tessera_types::{CaveatContext, ObjectRef, Relationship, SubjectRef};

pub(crate) fn object(object: &ObjectRef) -> wire::ObjectReference {
    wire::ObjectReference {
        object_type: object.object_type().to_owned(),
        object_id: object.object_id().to_owned(),
    }
}

/// The ellipsis travels as an empty `optional_relation`.
pub(crate) fn subject(subject: &SubjectRef) -> wire::SubjectReference {
    wire::SubjectReference {
        object: Some(wire::ObjectReference {
            object_type: subject.object_type().to_owned(),
            object_id: subject.object_id().to_owned(),
        }),
        optional_relation: subject.relation().unwrap_or_default().to_owned(),
    }
}

pub(crate) fn relationship(relationship: &Relationship) -> wire::Relationship {
    wire::Relationship {
        resource: Some(object(relationship.resource())),
        relation: relationship.relation().to_owned(),
        subject: Some(subject(relationship.subject())),
        optional_caveat: relationship
            .caveat()
            .map(|caveat| wire::ContextualizedCaveat {
                caveat_name: caveat.name().to_owned(),
                context: context(caveat.context()),
            }),
        optional_expires_at: relationship.expires_at().map(|at| prost_types::Timestamp {
            seconds: at.as_second(),
            nanos: at.subsec_nanosecond(),
        }),
    }
}

/// The filter matching exactly `relationship` (as SpiceDB's `tuple.ToV1Filter`).
pub(crate) fn exact_filter(relationship: &Relationship) -> wire::RelationshipFilter {
    let subject = relationship.subject();
    wire::RelationshipFilter {
        resource_type: relationship.resource().object_type().to_owned(),
        optional_resource_id: relationship.resource().object_id().to_owned(),
        optional_relation: relationship.relation().to_owned(),
        optional_subject_filter: Some(wire::SubjectFilter {
            subject_type: subject.object_type().to_owned(),
            optional_subject_id: subject.object_id().to_owned(),
            // Present with an empty relation matches only the ellipsis.
            optional_relation: Some(wire::subject_filter::RelationFilter {
                relation: subject.relation().unwrap_or_default().to_owned(),
            }),
        }),
        optional_resource_id_prefix: String::new(),
    }
}

/// A caveat context as a `google.protobuf.Struct`; none when empty, as clients send it.
pub(crate) fn context(context: &CaveatContext) -> Option<prost_types::Struct> {
    (!context.is_empty()).then(|| json_struct(context))
}

fn json_struct(object: &serde_json::Map<String, Value>) -> prost_types::Struct {
    prost_types::Struct {
        fields: object
            .iter()
            .map(|(key, value)| (key.clone(), json_value(value)))
            .collect(),
    }
}

/// JSON as a protobuf `Value`: numbers become doubles, the only number `Struct` has.
fn json_value(value: &Value) -> prost_types::Value {
    use prost_types::value::Kind;
    let kind = match value {
        Value::Null => Kind::NullValue(prost_types::NullValue::NullValue as i32),
        Value::Bool(flag) => Kind::BoolValue(*flag),
        Value::Number(number) => Kind::NumberValue(number.as_f64().unwrap_or(f64::NAN)),
        Value::String(text) => Kind::StringValue(text.clone()),
        Value::Array(items) => Kind::ListValue(prost_types::ListValue {
            values: items.iter().map(json_value).collect(),
        }),
        Value::Object(object) => Kind::StructValue(json_struct(object)),
    };
    prost_types::Value { kind: Some(kind) }
}

fn missing(info: Option<&wire::PartialCaveatInfo>) -> Vec<String> {
    info.map(|info| info.missing_required_context.clone())
        .unwrap_or_default()
}

/// A check's answer in the evaluator's terms.
///
/// # Errors
/// `PERMISSIONSHIP_UNSPECIFIED` or an unknown value.
pub(crate) fn check_permissionship(
    value: i32,
    info: Option<&wire::PartialCaveatInfo>,
) -> Result<Permissionship, String> {
    use wire::check_permission_response::Permissionship as Wire;
    match Wire::try_from(value) {
        Ok(Wire::NoPermission) => Ok(Permissionship::No),
        Ok(Wire::HasPermission) => Ok(Permissionship::Has),
        Ok(Wire::ConditionalPermission) => Ok(Permissionship::Conditional {
            missing: missing(info),
        }),
        Ok(Wire::Unspecified) | Err(_) => Err(format!("check answered permissionship {value}")),
    }
}

/// A lookup's answer in the evaluator's terms.
///
/// # Errors
/// `LOOKUP_PERMISSIONSHIP_UNSPECIFIED` or an unknown value.
pub(crate) fn lookup_permissionship(
    value: i32,
    info: Option<&wire::PartialCaveatInfo>,
) -> Result<Permissionship, String> {
    match wire::LookupPermissionship::try_from(value) {
        Ok(wire::LookupPermissionship::HasPermission) => Ok(Permissionship::Has),
        Ok(wire::LookupPermissionship::ConditionalPermission) => Ok(Permissionship::Conditional {
            missing: missing(info),
        }),
        Ok(wire::LookupPermissionship::Unspecified) | Err(_) => {
            Err(format!("lookup answered permissionship {value}"))
        }
    }
}

/// A status as one line: code and message.
pub(crate) fn status_text(status: &tonic::Status) -> String {
    format!("{:?}: {}", status.code(), status.message())
}
