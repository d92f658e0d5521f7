//! Dataset lines as `authzed.api.v1` messages: relationships to load, checks to ask, and the
//! lookups derived from the checks, each with its expected answer.

use std::collections::BTreeMap;

use anyhow::bail;
use tessera_datasets::Check;
use tessera_proto::authzed::api::v1 as wire;
use tessera_types::Relationship;

use super::args::ConsistencyArg;
use crate::client::wire::{object_to_wire, relationship_to_wire, subject_to_wire};

/// `permissionship` of a CheckPermissionResponse that grants (HAS_PERMISSION).
pub(crate) const HAS_PERMISSION: i32 =
    wire::check_permission_response::Permissionship::HasPermission as i32;

/// The wire form of a dataset relationship.
///
/// # Errors
/// A relationship with a caveat or an expiration: benchmark datasets have neither, and
/// sending them without would load different data.
pub(crate) fn relationship(relationship: &Relationship) -> anyhow::Result<wire::Relationship> {
    if relationship.caveat().is_some() || relationship.expires_at().is_some() {
        bail!(
            "`{}#{}@{}` has a caveat or an expiration, which `tessera bench` does not load",
            relationship.resource(),
            relationship.relation(),
            relationship.subject()
        );
    }
    Ok(relationship_to_wire(relationship))
}

/// The consistency of every read.
pub(crate) fn consistency(arg: ConsistencyArg) -> wire::Consistency {
    use wire::consistency::Requirement;
    let requirement = match arg {
        ConsistencyArg::Full => Requirement::FullyConsistent(true),
        ConsistencyArg::Min => Requirement::MinimizeLatency(true),
    };
    wire::Consistency {
        requirement: Some(requirement),
    }
}

/// The category names of `checks` in order, and each check's index into them.
pub(crate) fn categories(checks: &[Check]) -> (Vec<String>, Vec<usize>) {
    let mut index = BTreeMap::new();
    for check in checks {
        let next = index.len();
        index.entry(check.category.as_str()).or_insert(next);
    }
    let mut names = vec![String::new(); index.len()];
    for (name, &i) in &index {
        if let Some(slot) = names.get_mut(i) {
            *slot = (*name).to_owned();
        }
    }
    let of_check = checks
        .iter()
        .map(|check| index.get(check.category.as_str()).copied().unwrap_or(0))
        .collect();
    (names, of_check)
}

/// A question with its expected answer and category.
#[derive(Clone, Debug)]
pub(crate) struct Query<R> {
    pub(crate) request: R,
    pub(crate) expected: bool,
    pub(crate) category: usize,
}

/// The CheckPermission requests of `checks`.
pub(crate) fn check_queries(
    checks: &[Check],
    consistency: &wire::Consistency,
) -> Vec<Query<wire::CheckPermissionRequest>> {
    let (_, of_check) = categories(checks);
    checks
        .iter()
        .zip(of_check)
        .map(|(check, category)| Query {
            request: wire::CheckPermissionRequest {
                consistency: Some(consistency.clone()),
                resource: Some(object_to_wire(&check.resource)),
                permission: check.permission.clone(),
                subject: Some(subject_to_wire(&check.subject)),
                context: None,
                with_tracing: false,
            },
            expected: check.expected,
            category,
        })
        .collect()
}

/// Whether a lookup can answer `check`: its subject is one object, not a set or wildcard.
fn lookup_answers(check: &Check) -> bool {
    check.subject.relation().is_none() && !check.subject.is_wildcard()
}

/// For each check about one subject: which resources of the type may it reach? The check's
/// resource must be among them exactly when the check is expected true.
pub(crate) fn lookup_resources_queries(
    checks: &[Check],
    consistency: &wire::Consistency,
) -> Vec<Query<(wire::LookupResourcesRequest, String)>> {
    let (_, of_check) = categories(checks);
    checks
        .iter()
        .zip(of_check)
        .filter(|(check, _)| lookup_answers(check))
        .map(|(check, category)| Query {
            request: (
                wire::LookupResourcesRequest {
                    consistency: Some(consistency.clone()),
                    resource_object_type: check.resource.object_type().to_owned(),
                    permission: check.permission.clone(),
                    subject: Some(subject_to_wire(&check.subject)),
                    context: None,
                    optional_limit: 0,
                    optional_cursor: None,
                },
                check.resource.object_id().to_owned(),
            ),
            expected: check.expected,
            category,
        })
        .collect()
}

/// For each check about one subject: which subjects of its type reach the resource? The
/// check's subject must be among them exactly when the check is expected true.
pub(crate) fn lookup_subjects_queries(
    checks: &[Check],
    consistency: &wire::Consistency,
) -> Vec<Query<(wire::LookupSubjectsRequest, String)>> {
    let (_, of_check) = categories(checks);
    checks
        .iter()
        .zip(of_check)
        .filter(|(check, _)| lookup_answers(check))
        .map(|(check, category)| Query {
            request: (
                wire::LookupSubjectsRequest {
                    consistency: Some(consistency.clone()),
                    resource: Some(object_to_wire(&check.resource)),
                    permission: check.permission.clone(),
                    subject_object_type: check.subject.object_type().to_owned(),
                    optional_subject_relation: String::new(),
                    context: None,
                    optional_concrete_limit: 0,
                    optional_cursor: None,
                    wildcard_option: wire::lookup_subjects_request::WildcardOption::IncludeWildcards
                        as i32,
                },
                check.subject.object_id().to_owned(),
            ),
            expected: check.expected,
            category,
        })
        .collect()
}

/// Whether a LookupSubjects result includes `subject_id`: by name, or as a wildcard that
/// does not exclude it.
pub(crate) fn subject_found(response: &wire::LookupSubjectsResponse, subject_id: &str) -> bool {
    let Some(found) = &response.subject else {
        return false;
    };
    if found.subject_object_id == subject_id {
        return true;
    }
    found.subject_object_id == "*"
        && !response
            .excluded_subjects
            .iter()
            .any(|excluded| excluded.subject_object_id == subject_id)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn checks(lines: &[&str]) -> Vec<Check> {
        lines
            .iter()
            .map(|line| Check::parse(line).unwrap())
            .collect()
    }

    #[test]
    fn checks_txt_lines_become_check_requests_with_answers() {
        let checks = checks(&[
            "document:d1#view@user:u1 true direct",
            "document:d2#view@group:g1#member false group",
            "folder:f1#view@user:u2 true direct",
        ]);
        let queries = check_queries(&checks, &consistency(ConsistencyArg::Full));
        assert_eq!(queries.len(), 3);
        let first = &queries[0].request;
        assert_eq!(first.resource.as_ref().unwrap().object_id, "d1");
        assert_eq!(first.permission, "view");
        assert_eq!(
            first
                .subject
                .as_ref()
                .unwrap()
                .object
                .as_ref()
                .unwrap()
                .object_id,
            "u1"
        );
        assert_eq!(
            first.consistency.as_ref().unwrap().requirement,
            Some(wire::consistency::Requirement::FullyConsistent(true))
        );
        assert_eq!(
            queries[1]
                .request
                .subject
                .as_ref()
                .unwrap()
                .optional_relation,
            "member"
        );
        assert_eq!(
            queries
                .iter()
                .map(|q| (q.expected, q.category))
                .collect::<Vec<_>>(),
            [(true, 0), (false, 1), (true, 0)]
        );
        assert_eq!(categories(&checks).0, ["direct", "group"]);
    }

    #[test]
    fn lookups_skip_subject_sets_and_wildcards() {
        let checks = checks(&[
            "document:d1#view@user:u1 true direct",
            "document:d2#view@group:g1#member false group",
            "document:d3#view@user:* true public",
        ]);
        let min = consistency(ConsistencyArg::Min);
        let resources = lookup_resources_queries(&checks, &min);
        assert_eq!(resources.len(), 1);
        assert_eq!(resources[0].request.0.resource_object_type, "document");
        assert_eq!(resources[0].request.1, "d1");
        let subjects = lookup_subjects_queries(&checks, &min);
        assert_eq!(subjects.len(), 1);
        assert_eq!(subjects[0].request.0.subject_object_type, "user");
        assert_eq!(subjects[0].request.1, "u1");
    }

    #[test]
    fn wildcards_find_every_subject_they_do_not_exclude() {
        let resolved = |id: &str| wire::ResolvedSubject {
            subject_object_id: id.to_owned(),
            permissionship: 1,
            partial_caveat_info: None,
        };
        let wildcard = wire::LookupSubjectsResponse {
            subject: Some(resolved("*")),
            excluded_subjects: vec![resolved("banned")],
            ..Default::default()
        };
        assert!(subject_found(&wildcard, "anyone"));
        assert!(!subject_found(&wildcard, "banned"));
        let named = wire::LookupSubjectsResponse {
            subject: Some(resolved("u1")),
            ..Default::default()
        };
        assert!(subject_found(&named, "u1") && !subject_found(&named, "u2"));
    }

    #[test]
    fn relationships_with_caveats_are_refused() {
        let plain: Relationship = "document:d1#viewer@user:u1".parse().unwrap();
        let wire = relationship(&plain).unwrap();
        assert_eq!(wire.relation, "viewer");
        let caveated: Relationship = "document:d1#viewer@user:u1[only_on_tuesday]"
            .parse()
            .unwrap();
        assert!(relationship(&caveated).is_err());
    }
}
