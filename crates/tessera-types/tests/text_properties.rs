//! Properties of the relationship text syntax over arbitrary input.

#![expect(
    clippy::unwrap_used,
    reason = "strategies only build values that are valid by construction"
)]

use proptest::prelude::*;
use tessera_types::{ContextualizedCaveat, ObjectRef, Relationship, SubjectRef, Timestamp};

fn segment() -> impl Strategy<Value = String> {
    "[a-z][a-z0-9_]{1,20}[a-z0-9]"
}

fn object_type() -> impl Strategy<Value = String> {
    prop::collection::vec(segment(), 1..3).prop_map(|segments| segments.join("/"))
}

fn object_id() -> impl Strategy<Value = String> {
    "[a-zA-Z0-9/_|=+-]{1,30}"
}

fn subject() -> impl Strategy<Value = SubjectRef> {
    prop_oneof![
        (object_type(), object_id()).prop_map(|(t, id)| SubjectRef::new(t, id, None).unwrap()),
        (object_type(), object_id(), segment()).prop_map(|(t, id, rel)| SubjectRef::new(
            t,
            id,
            Some(rel)
        )
        .unwrap()),
        object_type().prop_map(|t| SubjectRef::new(t, "*", None).unwrap()),
    ]
}

fn caveat() -> impl Strategy<Value = Option<ContextualizedCaveat>> {
    let context = prop::collection::btree_map("[a-z]{1,5}", any::<i64>(), 0..3);
    prop::option::of((object_type(), context).prop_map(|(name, context)| {
        let context = context.into_iter().map(|(k, v)| (k, v.into())).collect();
        ContextualizedCaveat::new(name, context).unwrap()
    }))
}

fn expiration() -> impl Strategy<Value = Option<Timestamp>> {
    prop::option::of(
        (0i64..4_000_000_000, 0i32..1_000_000_000)
            .prop_map(|(secs, nanos)| Timestamp::new(secs, nanos).unwrap()),
    )
}

fn relationship() -> impl Strategy<Value = Relationship> {
    (
        object_type(),
        object_id(),
        segment(),
        subject(),
        caveat(),
        expiration(),
    )
        .prop_map(|(t, id, rel, subject, caveat, expires_at)| {
            Relationship::new(ObjectRef::new(t, id).unwrap(), rel, subject)
                .unwrap()
                .with_caveat(caveat)
                .with_expiration(expires_at)
        })
}

proptest! {
    #[test]
    fn valid_relationships_round_trip(rel in relationship()) {
        let text = rel.to_string();
        let parsed: Relationship = text.parse().unwrap();
        prop_assert_eq!(parsed, rel);
    }

    #[test]
    fn arbitrary_text_never_panics(text in any::<String>()) {
        let _ = text.parse::<Relationship>();
        let _ = text.parse::<SubjectRef>();
        let _ = text.parse::<ObjectRef>();
    }

    #[test]
    fn near_valid_text_never_panics(text in r#"[a-z:#@\[\]{}"*.0-9T:Z/_|-]{0,60}"#) {
        let _ = text.parse::<Relationship>();
    }
}
