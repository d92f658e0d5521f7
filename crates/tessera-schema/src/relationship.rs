//! Relationship-vs-schema checks for writes, exactly as SpiceDB's
//! `internal/relationships/validation.go` (`ValidateOneRelationship`).

use tessera_types::Relationship;

use crate::ir::{AllowedSubject, Schema, SubjectTarget};

/// What a relationship update does. Creates and touches are checked alike; a delete that
/// names no caveat only has to match a subject type, not its caveat or expiration.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum UpdateOperation {
    /// `OPERATION_CREATE`.
    Create,
    /// `OPERATION_TOUCH`.
    Touch,
    /// `OPERATION_DELETE`.
    Delete,
}

/// Why a relationship cannot be written under a schema. Each variant names the SpiceDB
/// error reason the API reports for it.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum RelationshipError {
    /// `ERROR_REASON_UNKNOWN_DEFINITION`: the resource or subject type is not defined.
    #[error("object definition `{definition}` not found (relationship `{relationship}`)")]
    UnknownDefinition {
        /// The missing type.
        definition: String,
        /// The relationship, in text form.
        relationship: String,
    },
    /// `ERROR_REASON_UNKNOWN_RELATION_OR_PERMISSION`: the resource's relation or the
    /// subject's relation is not defined on its type.
    #[error(
        "relation/permission `{relation}` not found under definition `{definition}` \
         (relationship `{relationship}`)"
    )]
    UnknownRelation {
        /// The type that lacks it.
        definition: String,
        /// The missing relation.
        relation: String,
        /// The relationship, in text form.
        relationship: String,
    },
    /// `ERROR_REASON_CANNOT_UPDATE_PERMISSION`: relationships are stored for relations only.
    #[error(
        "cannot write a relationship to permission `{permission}` under definition \
         `{definition}` (relationship `{relationship}`)"
    )]
    CannotUpdatePermission {
        /// The resource type.
        definition: String,
        /// The permission written to.
        permission: String,
        /// The relationship, in text form.
        relationship: String,
    },
    /// `ERROR_REASON_INVALID_SUBJECT_TYPE`: the subject (type, relation or wildcard, caveat,
    /// expiration) matches none of the relation's allowed subject types.
    #[error("{}", invalid_subject_message(
        .subject_type, .definition, .relation, .required_caveats, .allowed, .relationship
    ))]
    InvalidSubjectType {
        /// The resource type.
        definition: String,
        /// The relation written to.
        relation: String,
        /// The subject as a subject type, e.g. `user with on_tuesday`.
        subject_type: String,
        /// The relation's allowed subject types.
        allowed: Box<[String]>,
        /// When the subject lacks a caveat: the caveats that its type is allowed with.
        required_caveats: Box<[String]>,
        /// The relationship, in text form (boxed to keep the error small).
        relationship: Box<str>,
    },
    /// `ERROR_REASON_UNKNOWN_CAVEAT`: the relationship's caveat context is for a caveat the
    /// schema does not define.
    #[error("caveat `{caveat}` not found (relationship `{relationship}`)")]
    UnknownCaveat {
        /// The caveat's name.
        caveat: String,
        /// The relationship, in text form.
        relationship: String,
    },
    /// The caveat context names a parameter the caveat does not declare (SpiceDB rejects
    /// it with a plain `INVALID_ARGUMENT`).
    #[error(
        "unknown parameter `{parameter}` for caveat `{caveat}` (relationship `{relationship}`)"
    )]
    UnknownCaveatParameter {
        /// The caveat's name.
        caveat: String,
        /// The undeclared parameter.
        parameter: String,
        /// The relationship, in text form.
        relationship: String,
    },
}

fn invalid_subject_message(
    subject_type: &str,
    definition: &str,
    relation: &str,
    required_caveats: &[String],
    allowed: &[String],
    relationship: &str,
) -> String {
    let quoted = |names: &[String]| {
        names
            .iter()
            .map(|name| format!("`{name}`"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    if required_caveats.is_empty() {
        format!(
            "subjects of type `{subject_type}` are not allowed on relation \
             `{definition}#{relation}` (relationship `{relationship}`); allowed subject types: {}",
            quoted(allowed)
        )
    } else {
        format!(
            "subjects of type `{subject_type}` are not allowed on relation \
             `{definition}#{relation}` without one of the caveats {} (relationship \
             `{relationship}`)",
            quoted(required_caveats)
        )
    }
}

/// Checks that `relationship` may be written (or deleted) under `schema`.
///
/// The checks and their order are SpiceDB's: the resource type and relation exist, the
/// subject type (and subject relation, unless `...`) exist, the relation is not a
/// permission, then the subject matches one allowed subject type exactly: same type, same
/// relation or wildcard, same caveat name, and an expiration exactly when the type requires
/// one. A delete without a caveat only needs type and relation (or wildcard) to match.
/// Finally, a caveat context may only name the caveat's parameters; the values' types are
/// checked where caveats are evaluated.
///
/// # Errors
/// The first rule broken, as a [`RelationshipError`].
pub fn validate_relationship(
    schema: &Schema,
    relationship: &Relationship,
    operation: UpdateOperation,
) -> Result<(), RelationshipError> {
    let text = || relationship.to_string();
    let resource_type = relationship.resource().object_type();
    let subject = relationship.subject();
    let unknown_definition = |definition: &str| RelationshipError::UnknownDefinition {
        definition: definition.to_owned(),
        relationship: text(),
    };
    let unknown_relation = |definition: &str, relation: &str| RelationshipError::UnknownRelation {
        definition: definition.to_owned(),
        relation: relation.to_owned(),
        relationship: text(),
    };

    let resource_id = schema
        .definition_id(resource_type)
        .ok_or_else(|| unknown_definition(resource_type))?;
    let resource_definition = schema.definition(resource_id);
    let relation_id = resource_definition
        .relation_id(relationship.relation())
        .ok_or_else(|| unknown_relation(resource_type, relationship.relation()))?;
    let subject_id = schema
        .definition_id(subject.object_type())
        .ok_or_else(|| unknown_definition(subject.object_type()))?;
    let target = match subject.relation() {
        _ if subject.is_wildcard() => SubjectTarget::Wildcard,
        None => SubjectTarget::Terminal,
        Some(name) => SubjectTarget::Relation(
            schema
                .definition(subject_id)
                .relation_id(name)
                .ok_or_else(|| unknown_relation(subject.object_type(), name))?,
        ),
    };
    let relation = resource_definition.relation(relation_id);
    if relation.is_permission() {
        return Err(RelationshipError::CannotUpdatePermission {
            definition: resource_type.to_owned(),
            permission: relationship.relation().to_owned(),
            relationship: text(),
        });
    }

    let caveat_name = relationship.caveat().map(|caveat| caveat.name());
    let expiring = relationship.expires_at().is_some();
    let allowed = relation.allowed_subjects();
    let same_subject = |candidate: &AllowedSubject| {
        candidate.definition == subject_id && candidate.target == target
    };
    let matches = if operation == UpdateOperation::Delete && caveat_name.is_none() {
        allowed.iter().any(same_subject)
    } else {
        allowed.iter().any(|candidate| {
            same_subject(candidate)
                && candidate.caveat.map(|id| schema.caveat(id).name.as_str()) == caveat_name
                && candidate.expiration == expiring
        })
    };
    if !matches {
        let subject_type = described_subject(schema, relationship, subject_id, target);
        // SpiceDB's special case: an uncaveated subject whose type is only allowed with
        // caveats gets told which.
        let required_caveats = if caveat_name.is_none() && target != SubjectTarget::Wildcard {
            allowed
                .iter()
                .filter(|candidate| same_subject(candidate) && candidate.expiration == expiring)
                .filter_map(|candidate| candidate.caveat)
                .map(|id| schema.caveat(id).name.clone())
                .collect()
        } else {
            Box::default()
        };
        return Err(RelationshipError::InvalidSubjectType {
            definition: resource_type.to_owned(),
            relation: relationship.relation().to_owned(),
            subject_type,
            allowed: allowed.iter().map(|a| schema.describe_subject(a)).collect(),
            required_caveats,
            relationship: text().into_boxed_str(),
        });
    }

    if let Some(caveat) = relationship.caveat().filter(|c| !c.context().is_empty()) {
        let caveat_id =
            schema
                .caveat_id(caveat.name())
                .ok_or_else(|| RelationshipError::UnknownCaveat {
                    caveat: caveat.name().to_owned(),
                    relationship: text(),
                })?;
        let parameters = &schema.caveat(caveat_id).parameters;
        if let Some(parameter) = caveat
            .context()
            .keys()
            .find(|key| parameters.iter().all(|p| &p.name != *key))
        {
            return Err(RelationshipError::UnknownCaveatParameter {
                caveat: caveat.name().to_owned(),
                parameter: parameter.clone(),
                relationship: text(),
            });
        }
    }
    Ok(())
}

/// The relationship's subject as a subject type, in schema syntax.
fn described_subject(
    schema: &Schema,
    relationship: &Relationship,
    definition: crate::ir::DefinitionId,
    target: SubjectTarget,
) -> String {
    let mut text = match target {
        SubjectTarget::Wildcard => format!("{}:*", schema.definition(definition).name),
        _ => match relationship.subject().relation() {
            Some(relation) => format!("{}#{relation}", schema.definition(definition).name),
            None => schema.definition(definition).name.clone(),
        },
    };
    match (relationship.caveat(), relationship.expires_at().is_some()) {
        (Some(caveat), true) => text.push_str(&format!(" with {} and expiration", caveat.name())),
        (Some(caveat), false) => text.push_str(&format!(" with {}", caveat.name())),
        (None, true) => text.push_str(" with expiration"),
        (None, false) => {}
    }
    text
}
