use std::fmt;

use serde_json::{Map, Value};

use crate::error::TypesError;
use crate::names::NameKind;
use crate::refs::{ObjectRef, SubjectRef};

/// A point in time, with nanosecond precision; relationship expirations use it.
pub use jiff::Timestamp;

/// Caveat parameters as JSON: parameter name to value.
pub type CaveatContext = Map<String, Value>;

/// A caveat attached to a relationship: its name and the parameter values stored with it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ContextualizedCaveat {
    name: String,
    context: CaveatContext,
}

impl ContextualizedCaveat {
    /// Builds a caveat reference after checking the name.
    ///
    /// # Errors
    /// [`TypesError::InvalidName`] when the name breaks SpiceDB's caveat-name rule.
    pub fn new(name: impl Into<String>, context: CaveatContext) -> Result<Self, TypesError> {
        let name = name.into();
        NameKind::Caveat.check(&name)?;
        Ok(Self { name, context })
    }

    /// The caveat's name, as declared in the schema.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The parameter values stored with the relationship (possibly empty).
    pub fn context(&self) -> &CaveatContext {
        &self.context
    }
}

/// A stored fact: `resource#relation@subject`, optionally under a caveat and until an
/// expiration time.
///
/// Two relationships with the same resource, relation and subject are the same relationship
/// (see [`Relationship::same_key`]); the caveat and expiration are its attributes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Relationship {
    resource: ObjectRef,
    relation: String,
    subject: SubjectRef,
    caveat: Option<ContextualizedCaveat>,
    expires_at: Option<Timestamp>,
}

impl Relationship {
    /// Builds a relationship without caveat or expiration.
    ///
    /// # Errors
    /// [`TypesError::InvalidName`] when `relation` breaks the relation-name rule.
    pub fn new(
        resource: ObjectRef,
        relation: impl Into<String>,
        subject: SubjectRef,
    ) -> Result<Self, TypesError> {
        let relation = relation.into();
        NameKind::Relation.check(&relation)?;
        Ok(Self {
            resource,
            relation,
            subject,
            caveat: None,
            expires_at: None,
        })
    }

    /// The same relationship under `caveat`.
    #[must_use]
    pub fn with_caveat(mut self, caveat: Option<ContextualizedCaveat>) -> Self {
        self.caveat = caveat;
        self
    }

    /// The same relationship expiring at `expires_at`.
    #[must_use]
    pub fn with_expiration(mut self, expires_at: Option<Timestamp>) -> Self {
        self.expires_at = expires_at;
        self
    }

    /// The object the relationship is about.
    pub fn resource(&self) -> &ObjectRef {
        &self.resource
    }

    /// The relation on the resource.
    pub fn relation(&self) -> &str {
        &self.relation
    }

    /// Who or what the relationship relates the resource to.
    pub fn subject(&self) -> &SubjectRef {
        &self.subject
    }

    /// The caveat the relationship holds under, if any.
    pub fn caveat(&self) -> Option<&ContextualizedCaveat> {
        self.caveat.as_ref()
    }

    /// When the relationship stops existing, if ever.
    pub fn expires_at(&self) -> Option<Timestamp> {
        self.expires_at
    }

    /// Whether the relationship has expired at `now` (it exists strictly before its expiry).
    pub fn is_expired_at(&self, now: Timestamp) -> bool {
        self.expires_at.is_some_and(|at| at <= now)
    }

    /// Whether both are the same relationship, ignoring caveat and expiration.
    pub fn same_key(&self, other: &Relationship) -> bool {
        self.resource == other.resource
            && self.relation == other.relation
            && self.subject == other.subject
    }
}

impl fmt::Display for Relationship {
    /// Prints the relationship text syntax, e.g.
    /// `doc:1#viewer@group:eng#member[on_tuesday:{"day":"tue"}][expiration:2030-01-01T00:00:00Z]`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}#{}@{}", self.resource, self.relation, self.subject)?;
        if let Some(caveat) = &self.caveat {
            if caveat.context.is_empty() {
                write!(f, "[{}]", caveat.name)?;
            } else {
                let context = Value::Object(caveat.context.clone());
                write!(f, "[{}:{context}]", caveat.name)?;
            }
        }
        if let Some(expires_at) = self.expires_at {
            write!(f, "[expiration:{expires_at}]")?;
        }
        Ok(())
    }
}
