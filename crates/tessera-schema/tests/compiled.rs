//! The compiled schema's shape: rewrite trees as SpiceDB builds them, arrow targets,
//! reachability facts, and relationship validation against a schema.

#![expect(
    clippy::unwrap_used,
    clippy::panic,
    reason = "helpers of a test: a failure is the test failing"
)]

use tessera_schema::ir::{
    Admission, AllowedSubject, ArrowFunction, DefinitionId, RelationBody, RelationRef, Rewrite,
    Schema, SubjectTarget, Use, UseKind,
};
use tessera_schema::{RelationshipError, UpdateOperation, validate_relationship};
use tessera_types::Relationship;

fn compile(source: &str) -> Schema {
    tessera_schema::compile(source).unwrap_or_else(|e| panic!("{e}"))
}

fn relation(schema: &Schema, path: &str) -> RelationRef {
    let (definition, relation) = path.split_once('#').unwrap();
    schema.relation_ref(definition, relation).unwrap()
}

fn rewrite<'a>(schema: &'a Schema, path: &str) -> &'a Rewrite {
    match &schema.relation(relation(schema, path)).body {
        RelationBody::Permission { rewrite, .. } => rewrite,
        RelationBody::Relation(_) => panic!("{path} is a relation"),
    }
}

const OPERATORS: &str = "definition user {}
definition doc {
    relation aaa: user
    relation bbb: user
    relation ccc: user
    relation ddd: user
    permission single = (aaa)
    permission unions = aaa + (bbb + (ccc + ddd))
    permission mixed = aaa + bbb & ccc
    permission left = (aaa - bbb) - ccc
    permission right = aaa - (bbb - ccc)
    permission chain = aaa - bbb + ccc - ddd
}";

#[test]
fn nested_operators_collapse_like_spicedb() {
    let schema = compile(OPERATORS);
    let id = |name: &str| Rewrite::Computed(relation(&schema, &format!("doc#{name}")).relation);
    assert_eq!(rewrite(&schema, "doc#single"), &id("aaa"));
    assert_eq!(
        rewrite(&schema, "doc#unions"),
        &Rewrite::Union(vec![id("aaa"), id("bbb"), id("ccc"), id("ddd")])
    );
    assert_eq!(
        rewrite(&schema, "doc#mixed"),
        &Rewrite::Intersection(vec![Rewrite::Union(vec![id("aaa"), id("bbb")]), id("ccc")])
    );
    // A left-nested exclusion is one chain; a right-nested one is not merged.
    assert_eq!(
        rewrite(&schema, "doc#left"),
        &Rewrite::Exclusion(vec![id("aaa"), id("bbb"), id("ccc")])
    );
    assert_eq!(
        rewrite(&schema, "doc#right"),
        &Rewrite::Exclusion(vec![
            id("aaa"),
            Rewrite::Exclusion(vec![id("bbb"), id("ccc")])
        ])
    );
    assert_eq!(
        rewrite(&schema, "doc#chain"),
        &Rewrite::Exclusion(vec![
            id("aaa"),
            Rewrite::Union(vec![id("bbb"), id("ccc")]),
            id("ddd")
        ])
    );
}

const DRIVE: &str = "use self
definition user {}
definition group {
    relation member: user | group#member
}
definition folder {
    relation parent: folder
    relation viewer: user | user:* | group#member
    permission view = viewer + parent->view
}
definition document {
    relation parent: folder | user
    relation banned: user
    relation owner: user
    permission view = (parent.all(view) + owner + self) - banned
    permission edit = owner
}";

#[test]
fn arrows_resolve_their_targets_per_subject_type() {
    let schema = compile(DRIVE);
    let Rewrite::Exclusion(children) = rewrite(&schema, "document#view") else {
        panic!("not an exclusion")
    };
    let Rewrite::Union(members) = &children[0] else {
        panic!("not a union")
    };
    let Rewrite::Arrow(arrow) = &members[0] else {
        panic!("not an arrow")
    };
    let folder = schema.definition_id("folder").unwrap();
    let user = schema.definition_id("user").unwrap();
    assert_eq!(arrow.function, ArrowFunction::All);
    assert_eq!(arrow.computed, "view");
    assert_eq!(
        arrow.targets,
        vec![
            (folder, Some(relation(&schema, "folder#view").relation)),
            (user, None)
        ]
    );
    assert_eq!(members[2], Rewrite::SelfSubject);
}

#[test]
fn uses_record_computed_and_arrow_mentions_with_polarity() {
    let schema = compile(DRIVE);
    let uses = &schema.reachability.uses;
    assert_eq!(
        uses[&relation(&schema, "document#banned")],
        vec![Use {
            by: relation(&schema, "document#view"),
            via: UseKind::Computed,
            positive: false
        }]
    );
    let mut owner_uses = uses[&relation(&schema, "document#owner")].clone();
    owner_uses.sort_by_key(|u| u.by);
    assert_eq!(owner_uses.len(), 2);
    assert!(
        owner_uses
            .iter()
            .all(|u| u.positive && u.via == UseKind::Computed)
    );
    let folder_view = &uses[&relation(&schema, "folder#view")];
    assert!(folder_view.contains(&Use {
        by: relation(&schema, "document#view"),
        via: UseKind::Arrow {
            tupleset: relation(&schema, "document#parent").relation,
            function: ArrowFunction::All,
        },
        positive: true,
    }));
    assert!(folder_view.contains(&Use {
        by: relation(&schema, "folder#view"),
        via: UseKind::Arrow {
            tupleset: relation(&schema, "folder#parent").relation,
            function: ArrowFunction::Any,
        },
        positive: true,
    }));
    // The tupleset itself is not "used" by name.
    assert!(!uses.contains_key(&relation(&schema, "document#parent")));
}

#[test]
fn admissions_list_every_relation_admitting_a_definition() {
    let schema = compile(DRIVE);
    let group = schema.definition_id("group").unwrap();
    let member = relation(&schema, "group#member");
    let mut admitted: Vec<&Admission> = schema.reachability.admissions[&group].iter().collect();
    admitted.sort_by_key(|a| a.relation);
    let expected_subject = AllowedSubject {
        definition: group,
        target: SubjectTarget::Relation(member.relation),
        caveat: None,
        expiration: false,
    };
    assert_eq!(
        admitted,
        vec![
            &Admission {
                relation: member,
                subject: expected_subject
            },
            &Admission {
                relation: relation(&schema, "folder#viewer"),
                subject: expected_subject
            },
        ]
    );
}

#[test]
fn reachable_subjects_follow_sets_and_arrows_but_not_subtractions() {
    let schema = compile(DRIVE);
    let id = |name: &str| schema.definition_id(name).unwrap();
    let member = SubjectTarget::Relation(relation(&schema, "group#member").relation);
    let reachable = |path: &str| -> Vec<(DefinitionId, SubjectTarget)> {
        schema.reachability.reachable_subjects[&relation(&schema, path)].clone()
    };
    let mut folder_view = vec![
        (id("user"), SubjectTarget::Terminal),
        (id("user"), SubjectTarget::Wildcard),
        (id("group"), member),
    ];
    folder_view.sort();
    assert_eq!(reachable("folder#view"), folder_view);
    // document#view: folder#view through the arrow, owners, and the document itself
    // (`self`); `banned` is subtracted and adds nothing.
    let mut document_view = folder_view.clone();
    document_view.push((id("document"), SubjectTarget::Terminal));
    document_view.sort();
    assert_eq!(reachable("document#view"), document_view);
    assert_eq!(
        reachable("document#banned"),
        vec![(id("user"), SubjectTarget::Terminal)]
    );
}

const WRITES: &str = "use expiration
definition user {}
definition group {
    relation member: user
}
caveat on_day(day string) {
    day == 'tuesday'
}
definition document {
    relation viewer: user | user:* | group#member | user with on_day | user with expiration
    relation caveated_only: user with on_day
    permission view = viewer
}";

fn check(text: &str, operation: UpdateOperation) -> Result<(), RelationshipError> {
    let schema = compile(WRITES);
    let relationship: Relationship = text.parse().unwrap();
    validate_relationship(&schema, &relationship, operation)
}

#[test]
fn writes_must_match_an_allowed_subject_type_exactly() {
    for ok in [
        "document:1#viewer@user:tom",
        "document:1#viewer@user:*",
        "document:1#viewer@group:eng#member",
        "document:1#viewer@user:tom[on_day]",
        "document:1#viewer@user:tom[on_day:{\"day\":\"monday\"}]",
        "document:1#viewer@user:tom[expiration:2030-01-01T00:00:00Z]",
    ] {
        assert_eq!(check(ok, UpdateOperation::Touch), Ok(()), "{ok}");
    }
    for (bad, reason) in [
        ("folder:1#viewer@user:tom", "UnknownDefinition"),
        ("document:1#owner@user:tom", "UnknownRelation"),
        ("document:1#viewer@team:x", "UnknownDefinition"),
        ("document:1#viewer@group:eng#admin", "UnknownRelation"),
        ("document:1#view@user:tom", "CannotUpdatePermission"),
        ("document:1#viewer@group:eng", "InvalidSubjectType"),
        ("document:1#viewer@user:*[on_day]", "InvalidSubjectType"),
        (
            "document:1#viewer@user:tom[on_day][expiration:2030-01-01T00:00:00Z]",
            "InvalidSubjectType",
        ),
        (
            "document:1#viewer@user:tom[other_caveat]",
            "InvalidSubjectType",
        ),
        (
            "document:1#viewer@user:tom[on_day:{\"night\":1}]",
            "UnknownCaveatParameter",
        ),
    ] {
        let error = check(bad, UpdateOperation::Create).unwrap_err();
        assert!(format!("{error:?}").starts_with(reason), "{bad}: {error:?}");
    }
}

#[test]
fn deletes_without_a_caveat_ignore_caveat_and_expiration() {
    assert_eq!(
        check("document:1#caveated_only@user:tom", UpdateOperation::Delete),
        Ok(())
    );
    assert_eq!(
        check(
            "document:1#caveated_only@user:tom[expiration:2030-01-01T00:00:00Z]",
            UpdateOperation::Delete
        ),
        Ok(())
    );
    assert!(check("document:1#caveated_only@user:tom", UpdateOperation::Create).is_err());
    assert!(check("document:1#caveated_only@user:*", UpdateOperation::Delete).is_err());
    // A delete that names a caveat must match it exactly.
    assert!(check("document:1#viewer@user:tom[nope]", UpdateOperation::Delete).is_err());
}

#[test]
fn invalid_subject_messages_name_the_relationship_and_the_allowed_types() {
    let error = check("document:1#viewer@group:eng", UpdateOperation::Create).unwrap_err();
    assert_eq!(
        error.to_string(),
        "subjects of type `group` are not allowed on relation `document#viewer` (relationship \
         `document:1#viewer@group:eng`); allowed subject types: `user`, `user:*`, \
         `group#member`, `user with on_day`, `user with expiration`"
    );
    let error = check("document:1#caveated_only@user:tom", UpdateOperation::Create).unwrap_err();
    assert_eq!(
        error.to_string(),
        "subjects of type `user` are not allowed on relation `document#caveated_only` without \
         one of the caveats `on_day` (relationship `document:1#caveated_only@user:tom`)"
    );
}
