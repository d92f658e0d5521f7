//! Wire ↔ domain conversions, validating with SpiceDB's rules as they go.
//!
//! Neither side's types belong to this crate, so the conversions are the local traits
//! [`FromWire`] and [`ToWire`] rather than `TryFrom`/`From` (which the orphan rule forbids
//! here). Every conversion destructures its message completely, so a field added to the
//! wire contract fails to compile until it is handled. Errors name the field by its path
//! in the request ([`Field`]) and the offending value.

use std::fmt;

use prost_types::value::Kind;
use serde_json::{Map, Number, Value};
use tessera_proto::authzed::api::v1 as wire;
use tessera_store::{
    Change, Operation, Precondition, PreconditionKind, RelationshipFilter, SubjectFilter,
    SubjectRelationFilter, Update,
};
use tessera_types::{
    CaveatContext, ContextualizedCaveat, NameKind, ObjectRef, Relationship, SubjectRef, Timestamp,
};

use crate::consistency::Consistency;
use crate::error::ApiError;
use crate::token::ZedToken;

/// Where a value sits in a request, e.g. `updates[3].relationship.subject.object.object_id`;
/// rendered only when an error needs it.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Field<'a> {
    parent: Option<&'a Field<'a>>,
    step: Step,
}

#[derive(Clone, Copy, Debug)]
enum Step {
    Name(&'static str),
    Index(usize),
}

impl<'a> Field<'a> {
    /// A top-level field of the request.
    pub(crate) const fn root(name: &'static str) -> Self {
        Self {
            parent: None,
            step: Step::Name(name),
        }
    }

    /// A field of this message.
    pub(crate) fn child(&'a self, name: &'static str) -> Field<'a> {
        Field {
            parent: Some(self),
            step: Step::Name(name),
        }
    }

    /// An element of this repeated field.
    pub(crate) fn item(&'a self, index: usize) -> Field<'a> {
        Field {
            parent: Some(self),
            step: Step::Index(index),
        }
    }

    /// An [`ApiError::InvalidArgument`] about this field.
    pub(crate) fn invalid(&self, message: impl Into<String>) -> ApiError {
        ApiError::invalid(self, message)
    }
}

impl fmt::Display for Field<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(parent) = self.parent {
            write!(f, "{parent}")?;
        }
        match (self.step, self.parent.is_some()) {
            (Step::Name(name), true) => write!(f, ".{name}"),
            (Step::Name(name), false) => f.write_str(name),
            (Step::Index(index), _) => write!(f, "[{index}]"),
        }
    }
}

/// Builds a domain value from a wire message, validating it.
pub(crate) trait FromWire<W>: Sized {
    /// Converts `wire`, found at `field` of the request.
    ///
    /// # Errors
    /// [`ApiError::InvalidArgument`] (or [`ApiError::InvalidFilter`]) naming the field.
    fn from_wire(wire: W, field: Field<'_>) -> Result<Self, ApiError>;
}

/// Builds a wire message from a domain value.
pub(crate) trait ToWire<W> {
    /// The wire form.
    fn to_wire(&self) -> W;
}

/// The message in a field the contract requires.
pub(crate) fn required<W>(wire: Option<W>, field: Field<'_>) -> Result<W, ApiError> {
    wire.ok_or_else(|| field.invalid("is required"))
}

/// Checks a name against its SpiceDB rule.
pub(crate) fn name(kind: NameKind, value: &str, field: Field<'_>) -> Result<(), ApiError> {
    kind.check(value)
        .map_err(|err| field.invalid(err.to_string()))
}

/// An optional name: empty means absent.
fn optional_name(
    kind: NameKind,
    value: String,
    field: Field<'_>,
) -> Result<Option<String>, ApiError> {
    if value.is_empty() {
        return Ok(None);
    }
    name(kind, &value, field)?;
    Ok(Some(value))
}

/// A relation or permission name a request asks about (non-empty).
pub(crate) fn relation_name(value: String, field: Field<'_>) -> Result<String, ApiError> {
    if value.is_empty() {
        return Err(field.invalid("is required"));
    }
    name(NameKind::Relation, &value, field)?;
    Ok(value)
}

/// An object type a request names (non-empty).
pub(crate) fn object_type(value: String, field: Field<'_>) -> Result<String, ApiError> {
    if value.is_empty() {
        return Err(field.invalid("is required"));
    }
    name(NameKind::ObjectType, &value, field)?;
    Ok(value)
}

impl FromWire<wire::ObjectReference> for ObjectRef {
    /// A concrete object: `*` is refused (only subjects may be wildcards).
    fn from_wire(wire: wire::ObjectReference, field: Field<'_>) -> Result<Self, ApiError> {
        let wire::ObjectReference {
            object_type,
            object_id,
        } = wire;
        name(
            NameKind::ObjectType,
            &object_type,
            field.child("object_type"),
        )?;
        name(NameKind::ResourceId, &object_id, field.child("object_id"))?;
        ObjectRef::new(object_type, object_id).map_err(|err| field.invalid(err.to_string()))
    }
}

impl ToWire<wire::ObjectReference> for ObjectRef {
    fn to_wire(&self) -> wire::ObjectReference {
        wire::ObjectReference {
            object_type: self.object_type().to_owned(),
            object_id: self.object_id().to_owned(),
        }
    }
}

impl FromWire<wire::SubjectReference> for SubjectRef {
    fn from_wire(wire: wire::SubjectReference, field: Field<'_>) -> Result<Self, ApiError> {
        let wire::SubjectReference {
            object,
            optional_relation,
        } = wire;
        let object_field = field.child("object");
        let wire::ObjectReference {
            object_type,
            object_id,
        } = required(object, object_field)?;
        name(
            NameKind::ObjectType,
            &object_type,
            object_field.child("object_type"),
        )?;
        name(
            NameKind::SubjectId,
            &object_id,
            object_field.child("object_id"),
        )?;
        // The API's rule is stricter than relationship text: `...` is spelled as empty here.
        let relation = optional_name(
            NameKind::Relation,
            optional_relation,
            field.child("optional_relation"),
        )?;
        SubjectRef::new(object_type, object_id, relation)
            .map_err(|err| field.invalid(err.to_string()))
    }
}

impl ToWire<wire::SubjectReference> for SubjectRef {
    fn to_wire(&self) -> wire::SubjectReference {
        wire::SubjectReference {
            object: Some(wire::ObjectReference {
                object_type: self.object_type().to_owned(),
                object_id: self.object_id().to_owned(),
            }),
            optional_relation: self.relation().unwrap_or_default().to_owned(),
        }
    }
}

impl FromWire<wire::Relationship> for Relationship {
    fn from_wire(wire: wire::Relationship, field: Field<'_>) -> Result<Self, ApiError> {
        let wire::Relationship {
            resource,
            relation,
            subject,
            optional_caveat,
            optional_expires_at,
        } = wire;
        let resource_field = field.child("resource");
        let resource = ObjectRef::from_wire(required(resource, resource_field)?, resource_field)?;
        let relation = relation_name(relation, field.child("relation"))?;
        let subject_field = field.child("subject");
        let subject = SubjectRef::from_wire(required(subject, subject_field)?, subject_field)?;
        let caveat = optional_caveat
            .map(|caveat| ContextualizedCaveat::from_wire(caveat, field.child("optional_caveat")))
            .transpose()?;
        let expires_at = optional_expires_at
            .map(|at| Timestamp::from_wire(at, field.child("optional_expires_at")))
            .transpose()?;
        Ok(Relationship::new(resource, relation, subject)
            .map_err(|err| field.invalid(err.to_string()))?
            .with_caveat(caveat)
            .with_expiration(expires_at))
    }
}

impl ToWire<wire::Relationship> for Relationship {
    fn to_wire(&self) -> wire::Relationship {
        wire::Relationship {
            resource: Some(self.resource().to_wire()),
            relation: self.relation().to_owned(),
            subject: Some(self.subject().to_wire()),
            optional_caveat: self.caveat().map(ToWire::to_wire),
            optional_expires_at: self.expires_at().map(|at| at.to_wire()),
        }
    }
}

impl FromWire<wire::ContextualizedCaveat> for ContextualizedCaveat {
    fn from_wire(wire: wire::ContextualizedCaveat, field: Field<'_>) -> Result<Self, ApiError> {
        let wire::ContextualizedCaveat {
            caveat_name,
            context,
        } = wire;
        name(NameKind::Caveat, &caveat_name, field.child("caveat_name"))?;
        let context = context
            .map(|context| CaveatContext::from_wire(context, field.child("context")))
            .transpose()?
            .unwrap_or_default();
        ContextualizedCaveat::new(caveat_name, context)
            .map_err(|err| field.invalid(err.to_string()))
    }
}

impl ToWire<wire::ContextualizedCaveat> for ContextualizedCaveat {
    fn to_wire(&self) -> wire::ContextualizedCaveat {
        wire::ContextualizedCaveat {
            caveat_name: self.name().to_owned(),
            context: (!self.context().is_empty()).then(|| self.context().to_wire()),
        }
    }
}

impl FromWire<prost_types::Struct> for CaveatContext {
    fn from_wire(wire: prost_types::Struct, field: Field<'_>) -> Result<Self, ApiError> {
        let prost_types::Struct { fields } = wire;
        fields
            .into_iter()
            .map(|(key, value)| Ok((key, json_from_wire(value, field)?)))
            .collect()
    }
}

/// A protobuf `Value` as JSON. Numbers arrive as doubles; integral ones become JSON
/// integers, so that `{"count": 5}` from a client is the integer 5 that `int` caveat
/// parameters expect, as in SpiceDB.
fn json_from_wire(wire: prost_types::Value, field: Field<'_>) -> Result<Value, ApiError> {
    /// Doubles represent every integer up to 2^53 exactly.
    const EXACT_INTEGER_LIMIT: f64 = 9_007_199_254_740_992.0;
    let prost_types::Value { kind } = wire;
    Ok(match kind {
        None | Some(Kind::NullValue(_)) => Value::Null,
        Some(Kind::BoolValue(value)) => Value::Bool(value),
        Some(Kind::StringValue(value)) => Value::String(value),
        #[expect(
            clippy::cast_possible_truncation,
            reason = "the value is integral and within ±2^53, so the cast is exact"
        )]
        Some(Kind::NumberValue(number))
            if number.fract() == 0.0 && number.abs() <= EXACT_INTEGER_LIMIT =>
        {
            Value::Number(Number::from(number as i64))
        }
        Some(Kind::NumberValue(number)) => Number::from_f64(number)
            .map(Value::Number)
            .ok_or_else(|| field.invalid(format!("the number `{number}` is not finite")))?,
        Some(Kind::StructValue(inner)) => Value::Object(CaveatContext::from_wire(inner, field)?),
        Some(Kind::ListValue(prost_types::ListValue { values })) => Value::Array(
            values
                .into_iter()
                .map(|value| json_from_wire(value, field))
                .collect::<Result<_, _>>()?,
        ),
    })
}

impl ToWire<prost_types::Struct> for Map<String, Value> {
    fn to_wire(&self) -> prost_types::Struct {
        prost_types::Struct {
            fields: self
                .iter()
                .map(|(key, value)| (key.clone(), json_to_wire(value)))
                .collect(),
        }
    }
}

fn json_to_wire(value: &Value) -> prost_types::Value {
    let kind = match value {
        Value::Null => Kind::NullValue(prost_types::NullValue::NullValue as i32),
        Value::Bool(value) => Kind::BoolValue(*value),
        Value::Number(number) => Kind::NumberValue(number.as_f64().unwrap_or_default()),
        Value::String(value) => Kind::StringValue(value.clone()),
        Value::Array(values) => Kind::ListValue(prost_types::ListValue {
            values: values.iter().map(json_to_wire).collect(),
        }),
        Value::Object(map) => Kind::StructValue(map.to_wire()),
    };
    prost_types::Value { kind: Some(kind) }
}

impl FromWire<prost_types::Timestamp> for Timestamp {
    fn from_wire(wire: prost_types::Timestamp, field: Field<'_>) -> Result<Self, ApiError> {
        let prost_types::Timestamp { seconds, nanos } = wire;
        Timestamp::new(seconds, nanos).map_err(|err| {
            field.invalid(format!("`{seconds}s {nanos}ns` is not a valid time: {err}"))
        })
    }
}

impl ToWire<prost_types::Timestamp> for Timestamp {
    fn to_wire(&self) -> prost_types::Timestamp {
        prost_types::Timestamp {
            seconds: self.as_second(),
            nanos: self.subsec_nanosecond(),
        }
    }
}

impl FromWire<wire::RelationshipFilter> for RelationshipFilter {
    /// SpiceDB's filter rules: at least one field, an id or an id prefix but not both, no
    /// `*` as the resource id.
    fn from_wire(wire: wire::RelationshipFilter, field: Field<'_>) -> Result<Self, ApiError> {
        let wire::RelationshipFilter {
            resource_type,
            optional_resource_id,
            optional_resource_id_prefix,
            optional_relation,
            optional_subject_filter,
        } = wire;
        let resource_type = optional_name(
            NameKind::ObjectType,
            resource_type,
            field.child("resource_type"),
        )?;
        let resource_id = optional_name(
            NameKind::ResourceId,
            optional_resource_id,
            field.child("optional_resource_id"),
        )?;
        let resource_id_prefix = optional_name(
            NameKind::ResourceId,
            optional_resource_id_prefix,
            field.child("optional_resource_id_prefix"),
        )?;
        if resource_id.is_some() && resource_id_prefix.is_some() {
            return Err(ApiError::InvalidFilter {
                field: field.to_string(),
                message: "cannot specify both `optional_resource_id` and \
                          `optional_resource_id_prefix`"
                    .to_owned(),
            });
        }
        let relation = optional_name(
            NameKind::Relation,
            optional_relation,
            field.child("optional_relation"),
        )?;
        let subject = optional_subject_filter
            .map(|filter| SubjectFilter::from_wire(filter, field.child("optional_subject_filter")))
            .transpose()?;
        let filter = RelationshipFilter {
            resource_type,
            resource_id,
            resource_id_prefix,
            relation,
            subject,
        };
        if filter == RelationshipFilter::default() {
            return Err(ApiError::InvalidFilter {
                field: field.to_string(),
                message: "at least one field of the filter must be set".to_owned(),
            });
        }
        Ok(filter)
    }
}

impl FromWire<wire::SubjectFilter> for SubjectFilter {
    fn from_wire(wire: wire::SubjectFilter, field: Field<'_>) -> Result<Self, ApiError> {
        let wire::SubjectFilter {
            subject_type,
            optional_subject_id,
            optional_relation,
        } = wire;
        let subject_type = object_type(subject_type, field.child("subject_type"))?;
        let subject_id = optional_name(
            NameKind::SubjectId,
            optional_subject_id,
            field.child("optional_subject_id"),
        )?;
        let relation = optional_relation
            .map(|wire::subject_filter::RelationFilter { relation }| {
                let relation_field = field.child("optional_relation");
                Ok::<_, ApiError>(
                    match optional_name(
                        NameKind::Relation,
                        relation,
                        relation_field.child("relation"),
                    )? {
                        None => SubjectRelationFilter::Ellipsis,
                        Some(name) => SubjectRelationFilter::Named(name),
                    },
                )
            })
            .transpose()?;
        Ok(SubjectFilter {
            subject_type,
            subject_id,
            relation,
        })
    }
}

impl FromWire<wire::Precondition> for Precondition {
    fn from_wire(wire: wire::Precondition, field: Field<'_>) -> Result<Self, ApiError> {
        use wire::precondition::Operation as Op;
        let wire::Precondition { operation, filter } = wire;
        let kind = match Op::try_from(operation) {
            Ok(Op::MustMatch) => PreconditionKind::MustMatch,
            Ok(Op::MustNotMatch) => PreconditionKind::MustNotMatch,
            Ok(Op::Unspecified) | Err(_) => {
                return Err(field
                    .child("operation")
                    .invalid(format!("`{operation}` is not a precondition operation")));
            }
        };
        let filter_field = field.child("filter");
        let filter = RelationshipFilter::from_wire(required(filter, filter_field)?, filter_field)?;
        Ok(Precondition { kind, filter })
    }
}

impl FromWire<wire::RelationshipUpdate> for Update {
    fn from_wire(wire: wire::RelationshipUpdate, field: Field<'_>) -> Result<Self, ApiError> {
        use wire::relationship_update::Operation as Op;
        let wire::RelationshipUpdate {
            operation,
            relationship,
        } = wire;
        let operation = match Op::try_from(operation) {
            Ok(Op::Create) => Operation::Create,
            Ok(Op::Touch) => Operation::Touch,
            Ok(Op::Delete) => Operation::Delete,
            Ok(Op::Unspecified) | Err(_) => {
                return Err(field
                    .child("operation")
                    .invalid(format!("`{operation}` is not an update operation")));
            }
        };
        let relationship_field = field.child("relationship");
        let relationship = Relationship::from_wire(
            required(relationship, relationship_field)?,
            relationship_field,
        )?;
        Ok(Update {
            operation,
            relationship,
        })
    }
}

impl ToWire<wire::RelationshipUpdate> for Change {
    /// Watch reports writes as TOUCH and deletions as DELETE, as SpiceDB does.
    fn to_wire(&self) -> wire::RelationshipUpdate {
        use wire::relationship_update::Operation as Op;
        let (operation, relationship) = match self {
            Change::Touch(relationship) => (Op::Touch, relationship),
            Change::Delete(relationship) => (Op::Delete, relationship),
        };
        wire::RelationshipUpdate {
            operation: operation as i32,
            relationship: Some(relationship.to_wire()),
        }
    }
}

impl FromWire<Option<wire::Consistency>> for Consistency {
    /// An absent consistency is `minimize_latency`, as in SpiceDB.
    fn from_wire(wire: Option<wire::Consistency>, field: Field<'_>) -> Result<Self, ApiError> {
        use wire::consistency::Requirement;
        let Some(wire::Consistency { requirement }) = wire else {
            return Ok(Consistency::MinimizeLatency);
        };
        let token = |token: wire::ZedToken, name: &'static str| {
            let wire::ZedToken { token } = token;
            ZedToken::decode(&token).map_err(|err| match err {
                ApiError::InvalidZedToken(message) => {
                    ApiError::InvalidZedToken(format!("{message} (in `{}`)", field.child(name)))
                }
                other => other,
            })
        };
        match requirement {
            None => Err(field.invalid("one consistency requirement must be set")),
            Some(Requirement::MinimizeLatency(true)) => Ok(Consistency::MinimizeLatency),
            Some(Requirement::FullyConsistent(true)) => Ok(Consistency::FullyConsistent),
            Some(Requirement::MinimizeLatency(false)) => Err(field
                .child("minimize_latency")
                .invalid("must be true when set")),
            Some(Requirement::FullyConsistent(false)) => Err(field
                .child("fully_consistent")
                .invalid("must be true when set")),
            Some(Requirement::AtLeastAsFresh(zed)) => Ok(Consistency::AtLeastAsFresh(token(
                zed,
                "at_least_as_fresh",
            )?)),
            Some(Requirement::AtExactSnapshot(zed)) => Ok(Consistency::AtExactSnapshot(token(
                zed,
                "at_exact_snapshot",
            )?)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn object(object_type: &str, object_id: &str) -> wire::ObjectReference {
        wire::ObjectReference {
            object_type: object_type.to_owned(),
            object_id: object_id.to_owned(),
        }
    }

    fn relationship(resource_id: &str, subject_id: &str, relation: &str) -> wire::Relationship {
        wire::Relationship {
            resource: Some(object("document", resource_id)),
            relation: "viewer".to_owned(),
            subject: Some(wire::SubjectReference {
                object: Some(object("user", subject_id)),
                optional_relation: relation.to_owned(),
            }),
            optional_caveat: None,
            optional_expires_at: None,
        }
    }

    fn error(wire: wire::Relationship) -> String {
        Relationship::from_wire(wire, Field::root("relationship"))
            .unwrap_err()
            .to_string()
    }

    #[test]
    fn relationships_round_trip_with_caveat_and_expiration() {
        let text = r#"document:1#viewer@user:alice[only_on:{"day":"tue","n":[1,2.5],"x":null}][expiration:2030-01-01T00:00:00.5Z]"#;
        let domain: Relationship = text.parse().unwrap();
        let back = Relationship::from_wire(domain.to_wire(), Field::root("relationship")).unwrap();
        assert_eq!(back, domain);
        assert_eq!(back.to_string(), text);
    }

    #[test]
    fn invalid_fields_are_named_with_their_value() {
        assert_eq!(
            error(relationship("*", "alice", "")),
            "invalid `relationship.resource.object_id`: invalid object id `*`: must be 1 to 1024 \
             characters of letters, digits and `/_|-=+`"
        );
        assert_eq!(
            error(relationship("1", "*", "member")),
            "invalid `relationship.subject`: the wildcard subject `user:*` cannot have a \
             relation (found `#member`)"
        );
        assert_eq!(
            error(relationship("1", "alice", "...")),
            "invalid `relationship.subject.optional_relation`: invalid relation name `...`: must \
             be 3 to 64 characters of lowercase letters, digits and `_`, starting with a letter \
             and not ending with `_`"
        );
        let mut missing = relationship("1", "alice", "");
        missing.subject = None;
        assert_eq!(
            error(missing),
            "invalid `relationship.subject`: is required"
        );
    }

    #[test]
    fn integral_numbers_become_integers() {
        let context = prost_types::Struct {
            fields: [
                ("count".to_owned(), json_to_wire(&Value::from(5.0))),
                ("ratio".to_owned(), json_to_wire(&Value::from(0.5))),
            ]
            .into(),
        };
        let json = CaveatContext::from_wire(context, Field::root("context")).unwrap();
        assert_eq!(
            Value::Object(json).to_string(),
            r#"{"count":5,"ratio":0.5}"#
        );
    }

    #[test]
    fn filters_need_a_field_and_exclusive_ids() {
        let empty = RelationshipFilter::from_wire(
            wire::RelationshipFilter::default(),
            Field::root("relationship_filter"),
        )
        .unwrap_err();
        assert!(matches!(empty, ApiError::InvalidFilter { .. }), "{empty}");
        let both = RelationshipFilter::from_wire(
            wire::RelationshipFilter {
                resource_type: "document".to_owned(),
                optional_resource_id: "1".to_owned(),
                optional_resource_id_prefix: "1".to_owned(),
                ..Default::default()
            },
            Field::root("relationship_filter"),
        )
        .unwrap_err();
        assert!(matches!(both, ApiError::InvalidFilter { .. }), "{both}");
        let subject = RelationshipFilter::from_wire(
            wire::RelationshipFilter {
                optional_subject_filter: Some(wire::SubjectFilter {
                    subject_type: "user".to_owned(),
                    optional_subject_id: String::new(),
                    optional_relation: Some(wire::subject_filter::RelationFilter {
                        relation: String::new(),
                    }),
                }),
                ..Default::default()
            },
            Field::root("relationship_filter"),
        )
        .unwrap();
        assert_eq!(
            subject.subject.unwrap().relation,
            Some(SubjectRelationFilter::Ellipsis)
        );
    }

    #[test]
    fn consistency_defaults_to_minimize_latency_and_checks_flags() {
        let field = Field::root("consistency");
        assert_eq!(
            Consistency::from_wire(None, field).unwrap(),
            Consistency::MinimizeLatency
        );
        let off = wire::Consistency {
            requirement: Some(wire::consistency::Requirement::FullyConsistent(false)),
        };
        assert_eq!(
            Consistency::from_wire(Some(off), field)
                .unwrap_err()
                .to_string(),
            "invalid `consistency.fully_consistent`: must be true when set"
        );
    }

    #[test]
    fn field_paths_render_names_and_indexes() {
        let root = Field::root("updates");
        let item = root.item(3);
        let leaf = item.child("relationship");
        assert_eq!(leaf.to_string(), "updates[3].relationship");
    }
}
