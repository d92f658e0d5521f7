use std::cmp::Ordering;

use tessera_types::{ObjectRef, Relationship, SubjectRef};

/// A relationship's position in the store order, the order [`crate::Snapshot`] reads return.
///
/// The field order is the sort order: resource type, resource id, relation, subject type,
/// subject relation (the ellipsis, `None`, before every named relation), subject id. Strings
/// compare bytewise, so a backend whose keys encode these fields order-preservingly sorts
/// exactly like this. `S` is `&str` for a key borrowed from a relationship, `String` for an
/// owned one; both sort alike.
#[derive(Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct OrderKey<S> {
    /// The resource's type.
    pub resource_type: S,
    /// The resource's id.
    pub resource_id: S,
    /// The relation on the resource.
    pub relation: S,
    /// The subject's type.
    pub subject_type: S,
    /// The subject's relation; `None` is the ellipsis and sorts first.
    pub subject_relation: Option<S>,
    /// The subject's id (`*` for a wildcard).
    pub subject_id: S,
}

impl<'a> OrderKey<&'a str> {
    /// The key of `relationship` (its caveat and expiration are not part of it).
    pub fn of(relationship: &'a Relationship) -> Self {
        Self::from_parts(
            relationship.resource(),
            relationship.relation(),
            relationship.subject(),
        )
    }

    /// The key of the relationship `resource#relation@subject`.
    pub fn from_parts(resource: &'a ObjectRef, relation: &'a str, subject: &'a SubjectRef) -> Self {
        Self {
            resource_type: resource.object_type(),
            resource_id: resource.object_id(),
            relation,
            subject_type: subject.object_type(),
            subject_relation: subject.relation(),
            subject_id: subject.object_id(),
        }
    }

    /// The same key owning its strings.
    pub fn to_owned_key(&self) -> OrderKey<String> {
        OrderKey {
            resource_type: self.resource_type.to_owned(),
            resource_id: self.resource_id.to_owned(),
            relation: self.relation.to_owned(),
            subject_type: self.subject_type.to_owned(),
            subject_relation: self.subject_relation.map(str::to_owned),
            subject_id: self.subject_id.to_owned(),
        }
    }
}

/// Compares two relationships in the store order.
pub fn store_order(a: &Relationship, b: &Relationship) -> Ordering {
    OrderKey::of(a).cmp(&OrderKey::of(b))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sorted(texts: &[&str]) -> Vec<String> {
        let mut rels: Vec<Relationship> = texts.iter().map(|t| t.parse().unwrap()).collect();
        rels.sort_by(store_order);
        rels.iter().map(ToString::to_string).collect()
    }

    #[test]
    fn fields_sort_in_documented_priority() {
        assert_eq!(
            sorted(&[
                "doc:b#aaa@aaa:a",
                "doc:a#bbb@aaa:a",
                "doc:a#aaa@bbb:a",
                "doc:a#aaa@aaa:b#zzz",
                "doc:a#aaa@aaa:z",
                "aaa:z#zzz@zzz:z",
            ]),
            [
                "aaa:z#zzz@zzz:z",
                "doc:a#aaa@aaa:z",
                "doc:a#aaa@aaa:b#zzz",
                "doc:a#aaa@bbb:a",
                "doc:a#bbb@aaa:a",
                "doc:b#aaa@aaa:a",
            ]
        );
    }

    #[test]
    fn ellipsis_sorts_before_named_relations_and_relation_before_id() {
        assert_eq!(
            sorted(&[
                "doc:a#rel@grp:a#member",
                "doc:a#rel@grp:b",
                "doc:a#rel@grp:*",
                "doc:a#rel@grp:a#admin",
            ]),
            [
                "doc:a#rel@grp:*",
                "doc:a#rel@grp:b",
                "doc:a#rel@grp:a#admin",
                "doc:a#rel@grp:a#member",
            ]
        );
    }

    #[test]
    fn caveat_and_expiration_are_not_part_of_the_key() {
        let plain: Relationship = "doc:a#rel@usr:1".parse().unwrap();
        let caveated: Relationship = "doc:a#rel@usr:1[cav][expiration:2030-01-01T00:00:00Z]"
            .parse()
            .unwrap();
        assert_eq!(store_order(&plain, &caveated), Ordering::Equal);
        assert_eq!(
            OrderKey::of(&plain).to_owned_key(),
            OrderKey::of(&caveated).to_owned_key()
        );
    }
}
