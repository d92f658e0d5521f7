use std::fmt;

use crate::error::TypesError;
use crate::names::{ELLIPSIS, NameKind, WILDCARD_ID};

/// A concrete object: `type:id`. The id is never the wildcard `*`.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ObjectRef {
    object_type: String,
    object_id: String,
}

impl ObjectRef {
    /// Builds a reference after checking both parts.
    ///
    /// # Errors
    /// [`TypesError::InvalidName`] when the type or the id breaks SpiceDB's rules (`*` is not
    /// an object id here: only subjects may be wildcards).
    pub fn new(
        object_type: impl Into<String>,
        object_id: impl Into<String>,
    ) -> Result<Self, TypesError> {
        let (object_type, object_id) = (object_type.into(), object_id.into());
        NameKind::ObjectType.check(&object_type)?;
        NameKind::ResourceId.check(&object_id)?;
        Ok(Self {
            object_type,
            object_id,
        })
    }

    /// The object's type, e.g. `document`.
    pub fn object_type(&self) -> &str {
        &self.object_type
    }

    /// The object's id, e.g. `readme`.
    pub fn object_id(&self) -> &str {
        &self.object_id
    }
}

impl fmt::Display for ObjectRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.object_type, self.object_id)
    }
}

/// The subject of a relationship or a question: `type:id`, `type:id#relation` (a subject set)
/// or `type:*` (every object of the type).
///
/// The relation `...` (ellipsis) means "the object itself" and is stored as no relation, so
/// `user:1` and `user:1#...` are the same subject.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SubjectRef {
    object_type: String,
    object_id: String,
    relation: Option<String>,
}

impl SubjectRef {
    /// Builds a subject after checking every part.
    ///
    /// # Errors
    /// [`TypesError::InvalidName`] when a part breaks SpiceDB's rules;
    /// [`TypesError::WildcardWithRelation`] for `type:*#relation`.
    pub fn new(
        object_type: impl Into<String>,
        object_id: impl Into<String>,
        relation: Option<String>,
    ) -> Result<Self, TypesError> {
        let (object_type, object_id) = (object_type.into(), object_id.into());
        NameKind::ObjectType.check(&object_type)?;
        NameKind::SubjectId.check(&object_id)?;
        let relation = relation.filter(|r| r != ELLIPSIS && !r.is_empty());
        if let Some(relation) = &relation {
            NameKind::Relation.check(relation)?;
            if object_id == WILDCARD_ID {
                return Err(TypesError::WildcardWithRelation {
                    object_type,
                    relation: relation.clone(),
                });
            }
        }
        Ok(Self {
            object_type,
            object_id,
            relation,
        })
    }

    /// The object itself as a subject (`type:id`, relation `...`).
    pub fn from_object(object: ObjectRef) -> Self {
        Self {
            object_type: object.object_type,
            object_id: object.object_id,
            relation: None,
        }
    }

    /// The subject's type.
    pub fn object_type(&self) -> &str {
        &self.object_type
    }

    /// The subject's id, `*` for a wildcard.
    pub fn object_id(&self) -> &str {
        &self.object_id
    }

    /// The subject relation, `None` for the ellipsis.
    pub fn relation(&self) -> Option<&str> {
        self.relation.as_deref()
    }

    /// The subject relation with the ellipsis spelled out as `...`.
    pub fn relation_or_ellipsis(&self) -> &str {
        self.relation.as_deref().unwrap_or(ELLIPSIS)
    }

    /// Whether this is the public wildcard `type:*`.
    pub fn is_wildcard(&self) -> bool {
        self.object_id == WILDCARD_ID
    }
}

impl fmt::Display for SubjectRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.object_type, self.object_id)?;
        match &self.relation {
            Some(relation) => write!(f, "#{relation}"),
            None => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ellipsis_and_empty_relation_mean_the_object_itself() {
        let plain = SubjectRef::new("user", "1", None).unwrap();
        assert_eq!(
            SubjectRef::new("user", "1", Some("...".into())).unwrap(),
            plain
        );
        assert_eq!(
            SubjectRef::new("user", "1", Some(String::new())).unwrap(),
            plain
        );
        assert_eq!(plain.relation_or_ellipsis(), "...");
        assert_eq!(plain.to_string(), "user:1");
    }

    #[test]
    fn wildcards_are_subjects_only_and_carry_no_relation() {
        assert!(ObjectRef::new("user", "*").is_err());
        assert!(SubjectRef::new("user", "*", None).unwrap().is_wildcard());
        assert_eq!(
            SubjectRef::new("user", "*", Some("member".into()))
                .unwrap_err()
                .to_string(),
            "the wildcard subject `user:*` cannot have a relation (found `#member`)"
        );
    }

    #[test]
    fn subject_sets_print_their_relation() {
        let set = SubjectRef::new("group", "eng", Some("member".into())).unwrap();
        assert_eq!(set.to_string(), "group:eng#member");
        assert_eq!(set.relation(), Some("member"));
    }
}
