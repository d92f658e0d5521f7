use std::fmt;

use tessera_types::Relationship;

/// Which subject relations a subject filter admits.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum SubjectRelationFilter {
    /// Only subjects without a relation (`...`).
    Ellipsis,
    /// Only subjects with exactly this relation.
    Named(String),
}

/// SpiceDB's `SubjectFilter`: subjects of one type, optionally one id, optionally one relation.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct SubjectFilter {
    /// The subject type (required).
    pub subject_type: String,
    /// Only this subject id (`*` matches only the stored wildcard, not every subject).
    pub subject_id: Option<String>,
    /// Only this subject relation; `None` admits every relation, the ellipsis included.
    pub relation: Option<SubjectRelationFilter>,
}

/// SpiceDB's `RelationshipFilter`: every field optional; all given fields must match.
///
/// The store does not enforce API rules (at least one field, id and prefix exclusive); the
/// API validates filters before they get here.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct RelationshipFilter {
    /// Only resources of this type.
    pub resource_type: Option<String>,
    /// Only the resource with this id.
    pub resource_id: Option<String>,
    /// Only resources whose id starts with this prefix.
    pub resource_id_prefix: Option<String>,
    /// Only this relation.
    pub relation: Option<String>,
    /// Only these subjects.
    pub subject: Option<SubjectFilter>,
}

impl SubjectFilter {
    /// Whether `relationship`'s subject passes this filter.
    pub fn matches(&self, relationship: &Relationship) -> bool {
        let subject = relationship.subject();
        subject.object_type() == self.subject_type
            && self
                .subject_id
                .as_deref()
                .is_none_or(|id| subject.object_id() == id)
            && match &self.relation {
                None => true,
                Some(SubjectRelationFilter::Ellipsis) => subject.relation().is_none(),
                Some(SubjectRelationFilter::Named(name)) => subject.relation() == Some(name),
            }
    }
}

impl RelationshipFilter {
    /// Whether `relationship` passes this filter.
    pub fn matches(&self, relationship: &Relationship) -> bool {
        let resource = relationship.resource();
        self.resource_type
            .as_deref()
            .is_none_or(|t| resource.object_type() == t)
            && self
                .resource_id
                .as_deref()
                .is_none_or(|id| resource.object_id() == id)
            && self
                .resource_id_prefix
                .as_deref()
                .is_none_or(|prefix| resource.object_id().starts_with(prefix))
            && self
                .relation
                .as_deref()
                .is_none_or(|r| relationship.relation() == r)
            && self
                .subject
                .as_ref()
                .is_none_or(|s| s.matches(relationship))
    }
}

impl fmt::Display for RelationshipFilter {
    /// Prints the given fields, e.g. `{resource_type: document, relation: viewer, subject: user:*}`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut fields = Vec::new();
        let mut push = |name: &str, value: Option<&str>| {
            if let Some(value) = value {
                fields.push(format!("{name}: {value}"));
            }
        };
        push("resource_type", self.resource_type.as_deref());
        push("resource_id", self.resource_id.as_deref());
        push("resource_id_prefix", self.resource_id_prefix.as_deref());
        push("relation", self.relation.as_deref());
        if let Some(subject) = &self.subject {
            let mut text = subject.subject_type.clone();
            if let Some(id) = &subject.subject_id {
                text = format!("{text}:{id}");
            }
            match &subject.relation {
                None => {}
                Some(SubjectRelationFilter::Ellipsis) => text.push_str("#..."),
                Some(SubjectRelationFilter::Named(name)) => text = format!("{text}#{name}"),
            }
            fields.push(format!("subject: {text}"));
        }
        write!(f, "{{{}}}", fields.join(", "))
    }
}
