//! Text on the command line to `authzed.api.v1` messages and back.

use anyhow::Context as _;
use serde_json::{Map, Value};
use tessera_proto::authzed::api::v1 as wire;
use tessera_types::{ContextualizedCaveat, ObjectRef, Relationship, SubjectRef, Timestamp};

/// `--consistency`: `full`, `min`, `at-least:TOKEN` or `exact:TOKEN`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum ConsistencyArg {
    Full,
    Min,
    AtLeast(String),
    Exact(String),
}

impl std::str::FromStr for ConsistencyArg {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        match text.split_once(':') {
            None if text == "full" => Ok(Self::Full),
            None if text == "min" => Ok(Self::Min),
            Some(("at-least", token)) if !token.is_empty() => Ok(Self::AtLeast(token.to_owned())),
            Some(("exact", token)) if !token.is_empty() => Ok(Self::Exact(token.to_owned())),
            _ => Err(format!(
                "invalid consistency `{text}`: use `full`, `min`, `at-least:TOKEN` or \
                 `exact:TOKEN`"
            )),
        }
    }
}

impl ConsistencyArg {
    pub(crate) fn to_wire(&self) -> wire::Consistency {
        use wire::consistency::Requirement;
        let token = |token: &String| wire::ZedToken {
            token: token.clone(),
        };
        let requirement = match self {
            Self::Full => Requirement::FullyConsistent(true),
            Self::Min => Requirement::MinimizeLatency(true),
            Self::AtLeast(value) => Requirement::AtLeastAsFresh(token(value)),
            Self::Exact(value) => Requirement::AtExactSnapshot(token(value)),
        };
        wire::Consistency {
            requirement: Some(requirement),
        }
    }
}

pub(crate) fn object_to_wire(object: &ObjectRef) -> wire::ObjectReference {
    wire::ObjectReference {
        object_type: object.object_type().to_owned(),
        object_id: object.object_id().to_owned(),
    }
}

pub(crate) fn subject_to_wire(subject: &SubjectRef) -> wire::SubjectReference {
    wire::SubjectReference {
        object: Some(wire::ObjectReference {
            object_type: subject.object_type().to_owned(),
            object_id: subject.object_id().to_owned(),
        }),
        optional_relation: subject
            .relation()
            .filter(|relation| *relation != tessera_types::ELLIPSIS)
            .unwrap_or_default()
            .to_owned(),
    }
}

pub(crate) fn relationship_to_wire(relationship: &Relationship) -> wire::Relationship {
    wire::Relationship {
        resource: Some(object_to_wire(relationship.resource())),
        relation: relationship.relation().to_owned(),
        subject: Some(subject_to_wire(relationship.subject())),
        optional_caveat: relationship
            .caveat()
            .map(|caveat| wire::ContextualizedCaveat {
                caveat_name: caveat.name().to_owned(),
                context: (!caveat.context().is_empty()).then(|| struct_to_wire(caveat.context())),
            }),
        optional_expires_at: relationship.expires_at().map(|at| prost_types::Timestamp {
            seconds: at.as_second(),
            nanos: at.subsec_nanosecond(),
        }),
    }
}

fn object_from_wire(object: Option<&wire::ObjectReference>) -> anyhow::Result<ObjectRef> {
    let object = object.context("the server sent an object without a type and id")?;
    Ok(ObjectRef::new(
        object.object_type.clone(),
        object.object_id.clone(),
    )?)
}

pub(crate) fn subject_from_wire(
    subject: Option<&wire::SubjectReference>,
) -> anyhow::Result<SubjectRef> {
    let subject = subject.context("the server sent a relationship without a subject")?;
    let object = object_from_wire(subject.object.as_ref())?;
    let relation = Some(subject.optional_relation.clone()).filter(|relation| !relation.is_empty());
    Ok(SubjectRef::new(
        object.object_type(),
        object.object_id(),
        relation,
    )?)
}

/// A relationship sent by the server, in the text syntax's domain type.
pub(crate) fn relationship_from_wire(
    relationship: &wire::Relationship,
) -> anyhow::Result<Relationship> {
    let resource = object_from_wire(relationship.resource.as_ref())?;
    let subject = subject_from_wire(relationship.subject.as_ref())?;
    let caveat = match &relationship.optional_caveat {
        Some(caveat) => Some(ContextualizedCaveat::new(
            caveat.caveat_name.clone(),
            caveat
                .context
                .as_ref()
                .map(struct_from_wire)
                .unwrap_or_default(),
        )?),
        None => None,
    };
    let expires_at = match &relationship.optional_expires_at {
        Some(at) => Some(
            Timestamp::new(at.seconds, at.nanos)
                .context("the server sent an expiration out of range")?,
        ),
        None => None,
    };
    Ok(
        Relationship::new(resource, relationship.relation.clone(), subject)?
            .with_caveat(caveat)
            .with_expiration(expires_at),
    )
}

pub(crate) fn struct_to_wire(map: &Map<String, Value>) -> prost_types::Struct {
    prost_types::Struct {
        fields: map
            .iter()
            .map(|(key, value)| (key.clone(), value_to_wire(value)))
            .collect(),
    }
}

fn value_to_wire(value: &Value) -> prost_types::Value {
    use prost_types::value::Kind;
    let kind = match value {
        Value::Null => Kind::NullValue(0),
        Value::Bool(flag) => Kind::BoolValue(*flag),
        Value::Number(number) => Kind::NumberValue(number.as_f64().unwrap_or_default()),
        Value::String(text) => Kind::StringValue(text.clone()),
        Value::Array(items) => Kind::ListValue(prost_types::ListValue {
            values: items.iter().map(value_to_wire).collect(),
        }),
        Value::Object(map) => Kind::StructValue(struct_to_wire(map)),
    };
    prost_types::Value { kind: Some(kind) }
}

pub(crate) fn struct_from_wire(wire: &prost_types::Struct) -> Map<String, Value> {
    wire.fields
        .iter()
        .map(|(key, value)| (key.clone(), value_from_wire(value)))
        .collect()
}

fn value_from_wire(value: &prost_types::Value) -> Value {
    use prost_types::value::Kind;
    match &value.kind {
        None | Some(Kind::NullValue(_)) => Value::Null,
        Some(Kind::BoolValue(flag)) => Value::Bool(*flag),
        Some(Kind::NumberValue(number)) => {
            // Whole numbers print as integers, as they were most likely written.
            if number.fract() == 0.0 && number.abs() < 9.0e15 {
                #[expect(clippy::cast_possible_truncation, reason = "whole and in range")]
                let whole = *number as i64;
                Value::from(whole)
            } else {
                serde_json::Number::from_f64(*number).map_or(Value::Null, Value::Number)
            }
        }
        Some(Kind::StringValue(text)) => Value::String(text.clone()),
        Some(Kind::ListValue(list)) => {
            Value::Array(list.values.iter().map(value_from_wire).collect())
        }
        Some(Kind::StructValue(map)) => Value::Object(struct_from_wire(map)),
    }
}

/// `--context '{"key": value}'`: caveat context for a check or lookup.
pub(crate) fn parse_caveat_context(
    text: Option<&str>,
) -> anyhow::Result<Option<prost_types::Struct>> {
    let Some(text) = text else {
        return Ok(None);
    };
    match serde_json::from_str::<Value>(text) {
        Ok(Value::Object(map)) => Ok(Some(struct_to_wire(&map))),
        _ => anyhow::bail!(
            "--context must be a JSON object, e.g. '{{\"ip\": \"10.0.0.1\"}}', not `{text}`"
        ),
    }
}

/// Relationships from command-line words: each either whole (`doc:1#reader@user:alice`,
/// optionally `doc:1 reader user:alice` quoted as one word) or three words `doc:1 reader
/// user:alice`.
pub(crate) fn relationships_from_words(words: &[String]) -> anyhow::Result<Vec<Relationship>> {
    let mut relationships = Vec::new();
    let mut pending: Vec<&str> = Vec::new();
    for word in words {
        let parts: Vec<&str> = word.split_whitespace().collect();
        if pending.is_empty() && word.contains('@') && parts.len() == 1 {
            relationships.push(parse_relationship(word)?);
        } else if pending.is_empty() && parts.len() == 3 {
            relationships.push(parse_relationship(&parts.join(" "))?);
        } else {
            pending.extend(parts);
            if pending.len() >= 3 {
                relationships.push(parse_relationship(&pending.join(" "))?);
                pending.clear();
            }
        }
    }
    if !pending.is_empty() {
        anyhow::bail!(
            "incomplete relationship `{}`: write RESOURCE RELATION SUBJECT (e.g. `doc:1 reader \
             user:alice`) or `doc:1#reader@user:alice`",
            pending.join(" ")
        );
    }
    if relationships.is_empty() {
        anyhow::bail!("give at least one relationship, e.g. `doc:1 reader user:alice`");
    }
    Ok(relationships)
}

/// One relationship in either text form: `res#rel@subj...` or `res rel subj...`.
pub(crate) fn parse_relationship(text: &str) -> anyhow::Result<Relationship> {
    let text = text.trim();
    let parts: Vec<&str> = text.split_whitespace().collect();
    let canonical = match parts.as_slice() {
        [resource, relation, subject] => format!("{resource}#{relation}@{subject}"),
        _ => text.to_owned(),
    };
    canonical
        .parse::<Relationship>()
        .with_context(|| format!("invalid relationship `{text}`"))
}

/// A relationship filter from `RESOURCE [RELATION [SUBJECT]]`, where RESOURCE is `TYPE`,
/// `TYPE:ID`, `TYPE:PREFIX*` or `*`, RELATION a name or `*`, and SUBJECT `TYPE`,
/// `TYPE:ID` or `TYPE:ID#RELATION`.
pub(crate) fn parse_filter(words: &[String]) -> anyhow::Result<wire::RelationshipFilter> {
    let help =
        "write RESOURCE [RELATION [SUBJECT]], e.g. `doc`, `doc:1 reader` or `doc:1 * user:alice`";
    let mut filter = wire::RelationshipFilter::default();
    let (resource, relation, subject) = match words {
        [resource] => (resource, None, None),
        [resource, relation] => (resource, Some(relation), None),
        [resource, relation, subject] => (resource, Some(relation), Some(subject)),
        _ => anyhow::bail!("invalid filter: {help}"),
    };
    if resource != "*" {
        match resource.split_once(':') {
            Some((object_type, id)) => {
                filter.resource_type = object_type.to_owned();
                match id.strip_suffix('*') {
                    Some(prefix) if !prefix.is_empty() => {
                        filter.optional_resource_id_prefix = prefix.to_owned();
                    }
                    Some(_) => {}
                    None => filter.optional_resource_id = id.to_owned(),
                }
            }
            None => filter.resource_type = resource.clone(),
        }
    }
    if let Some(relation) = relation.filter(|relation| *relation != "*") {
        filter.optional_relation = relation.clone();
    }
    if let Some(subject) = subject {
        let (object, relation) = match subject.split_once('#') {
            Some((object, relation)) => (object, Some(relation)),
            None => (subject.as_str(), None),
        };
        let (subject_type, id) = object.split_once(':').unwrap_or((object, ""));
        filter.optional_subject_filter = Some(wire::SubjectFilter {
            subject_type: subject_type.to_owned(),
            optional_subject_id: id.to_owned(),
            optional_relation: relation.map(|relation| wire::subject_filter::RelationFilter {
                relation: relation.trim_start_matches("...").to_owned(),
            }),
        });
    }
    if filter == wire::RelationshipFilter::default() {
        anyhow::bail!("the filter matches everything; narrow it: {help}");
    }
    Ok(filter)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(text: &str) -> Vec<String> {
        text.split(' ').map(str::to_owned).collect()
    }

    #[test]
    fn both_relationship_forms_parse() {
        let rels =
            relationships_from_words(&words("doc:1 reader user:alice doc:2#reader@user:bob"))
                .unwrap();
        let texts: Vec<String> = rels.iter().map(ToString::to_string).collect();
        assert_eq!(texts, ["doc:1#reader@user:alice", "doc:2#reader@user:bob"]);
        let quoted =
            relationships_from_words(&["doc:1 reader group:eng#member".to_owned()]).unwrap();
        assert_eq!(quoted[0].to_string(), "doc:1#reader@group:eng#member");
        assert!(relationships_from_words(&words("doc:1 reader")).is_err());
    }

    #[test]
    fn relationships_survive_the_wire() {
        let text = r#"doc:1#reader@group:eng#member[only_on:{"day":"tue","n":3}][expiration:2030-01-01T00:00:00Z]"#;
        let relationship: Relationship = text.parse().unwrap();
        let back = relationship_from_wire(&relationship_to_wire(&relationship)).unwrap();
        assert_eq!(back, relationship);
    }

    #[test]
    fn filters_read_like_zed() {
        let filter = parse_filter(&words("doc:abc* * user:alice#...")).unwrap();
        assert_eq!(filter.resource_type, "doc");
        assert_eq!(filter.optional_resource_id_prefix, "abc");
        assert_eq!(filter.optional_relation, "");
        let subject = filter.optional_subject_filter.unwrap();
        assert_eq!(subject.optional_subject_id, "alice");
        assert_eq!(subject.optional_relation.unwrap().relation, "");
        assert!(parse_filter(&words("*")).is_err());
    }

    #[test]
    fn consistency_flags_parse() {
        assert_eq!("full".parse(), Ok(ConsistencyArg::Full));
        assert_eq!(
            "exact:abc".parse(),
            Ok(ConsistencyArg::Exact("abc".to_owned()))
        );
        assert!("at-least:".parse::<ConsistencyArg>().is_err());
    }
}
