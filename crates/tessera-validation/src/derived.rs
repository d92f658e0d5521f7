//! The conformance corpus's recorded answers (`expected-derived.json`): SpiceDB's answers to
//! checks, lookup resources and lookup subjects derived from each file's own objects.

use std::collections::BTreeMap;

use serde::Deserialize;
use tessera_eval::{
    CheckRequest, FoundSubject, LookupResourcesRequest, LookupSubjectsRequest, Permissionship,
};
use tessera_types::{CaveatContext, ObjectRef, Relationship, SubjectRef};

use crate::oracle::Oracle;

/// SpiceDB's recorded answers for one file.
#[derive(Clone, Debug, Default, Deserialize)]
pub struct DerivedAnswers {
    /// `res_type:res_id#perm@subject` → `HAS_PERMISSION` | `NO_PERMISSION` | `CONDITIONAL_PERMISSION`.
    pub check: BTreeMap<String, String>,
    /// `res_type#perm@subject` → sorted `id|PERMISSIONSHIP`.
    pub lookup_resources: BTreeMap<String, Vec<String>>,
    /// `res_type:res_id#perm@subj_type[#rel]` → sorted `id|PERMISSIONSHIP`, a wildcard as
    /// `*|PERMISSIONSHIP - {id|PERMISSIONSHIP, ...}`.
    pub lookup_subjects: BTreeMap<String, Vec<String>>,
}

#[derive(Deserialize)]
struct DerivedFile {
    files: BTreeMap<String, DerivedAnswers>,
}

/// Parses `expected-derived.json` into answers by file name.
///
/// # Errors
/// JSON that is not in the recorded format.
pub fn parse_derived(json: &str) -> Result<BTreeMap<String, DerivedAnswers>, String> {
    serde_json::from_str::<DerivedFile>(json)
        .map(|file| file.files)
        .map_err(|err| err.to_string())
}

fn permissionship_name(answer: &Permissionship) -> &'static str {
    match answer {
        Permissionship::Has => "HAS_PERMISSION",
        Permissionship::No => "NO_PERMISSION",
        Permissionship::Conditional { .. } => "CONDITIONAL_PERMISSION",
    }
}

fn subject_text(found: &FoundSubject) -> String {
    let mut text = format!(
        "{}|{}",
        found.subject_id,
        permissionship_name(&found.permissionship)
    );
    if !found.excluded.is_empty() {
        let excluded: Vec<String> = found
            .excluded
            .iter()
            .map(|e| {
                format!(
                    "{}|{}",
                    e.subject_id,
                    permissionship_name(&e.permissionship)
                )
            })
            .collect();
        text = format!("{text} - {{{}}}", excluded.join(", "));
    }
    text
}

/// Asks `oracle` every recorded question; returns one line per differing answer.
pub fn compare_derived(answers: &DerivedAnswers, oracle: &dyn Oracle) -> Vec<String> {
    let mut mismatches = Vec::new();
    for (question, expected) in &answers.check {
        let actual = ask_check(oracle, question);
        if &actual != expected {
            mismatches.push(format!(
                "check {question}: expected {expected}, got {actual}"
            ));
        }
    }
    for (question, expected) in &answers.lookup_resources {
        let actual = ask_lookup_resources(oracle, question);
        if &actual != expected {
            mismatches.push(format!(
                "lookup resources {question}: expected {expected:?}, got {actual:?}"
            ));
        }
    }
    for (question, expected) in &answers.lookup_subjects {
        let actual = ask_lookup_subjects(oracle, question);
        if &actual != expected {
            mismatches.push(format!(
                "lookup subjects {question}: expected {expected:?}, got {actual:?}"
            ));
        }
    }
    mismatches
}

fn ask_check(oracle: &dyn Oracle, question: &str) -> String {
    let parsed: Relationship = match question.parse() {
        Ok(parsed) => parsed,
        Err(err) => return format!("unparseable question: {err}"),
    };
    let request = CheckRequest {
        resource: parsed.resource().clone(),
        permission: parsed.relation().to_owned(),
        subject: parsed.subject().clone(),
        context: CaveatContext::new(),
    };
    match oracle.check(&request, false) {
        Ok(result) => permissionship_name(&result.permissionship).to_owned(),
        Err(err) => format!("error: {err}"),
    }
}

fn ask_lookup_resources(oracle: &dyn Oracle, question: &str) -> Vec<String> {
    // `res_type#perm@subject`
    let parsed = question.split_once('@').and_then(|(resource, subject)| {
        let (resource_type, permission) = resource.split_once('#')?;
        Some((
            resource_type,
            permission,
            subject.parse::<SubjectRef>().ok()?,
        ))
    });
    let Some((resource_type, permission, subject)) = parsed else {
        return vec![format!("unparseable question `{question}`")];
    };
    let request = LookupResourcesRequest {
        resource_type: resource_type.to_owned(),
        permission: permission.to_owned(),
        subject,
        context: CaveatContext::new(),
        limit: None,
        after: None,
    };
    match oracle.lookup_resources(&request) {
        Ok(found) => {
            let mut found: Vec<String> = found
                .iter()
                .map(|f| {
                    format!(
                        "{}|{}",
                        f.resource_id,
                        permissionship_name(&f.permissionship)
                    )
                })
                .collect();
            found.sort();
            found
        }
        Err(err) => vec![format!("error: {err}")],
    }
}

fn ask_lookup_subjects(oracle: &dyn Oracle, question: &str) -> Vec<String> {
    // `res_type:res_id#perm@subj_type[#rel]`
    let parsed = question.split_once('@').and_then(|(resource, subject)| {
        let (object, permission) = resource.split_once('#')?;
        let (subject_type, subject_relation) = match subject.split_once('#') {
            Some((t, r)) => (t, Some(r.to_owned())),
            None => (subject, None),
        };
        Some((
            object.parse::<ObjectRef>().ok()?,
            permission,
            subject_type,
            subject_relation,
        ))
    });
    let Some((resource, permission, subject_type, subject_relation)) = parsed else {
        return vec![format!("unparseable question `{question}`")];
    };
    let request = LookupSubjectsRequest {
        resource,
        permission: permission.to_owned(),
        subject_type: subject_type.to_owned(),
        subject_relation,
        context: CaveatContext::new(),
        include_wildcards: true,
        limit: None,
        after: None,
    };
    match oracle.lookup_subjects(&request) {
        Ok(found) => {
            let mut found: Vec<String> = found.iter().map(subject_text).collect();
            found.sort();
            found
        }
        Err(err) => vec![format!("error: {err}")],
    }
}
