//! Check and bulk check: the public entry points over the walker.

use std::collections::HashMap;

use tessera_schema::ir::RelationRef;
use tessera_store::Snapshot;
use tessera_types::{CaveatContext, ObjectRef, SubjectRef};

use crate::error::EvalError;
use crate::evaluator::Evaluator;
use crate::outcome::Outcome;
use crate::trace::TraceStep;
use crate::walker::{ResolvedSubject, Walker};

/// One question: is `subject` in `resource#permission`?
#[derive(Clone, Debug, PartialEq)]
pub struct CheckRequest {
    /// The object asked about.
    pub resource: ObjectRef,
    /// A permission or relation of the resource's type.
    pub permission: String,
    /// Who is asking for access.
    pub subject: SubjectRef,
    /// Caveat context supplied with the request.
    pub context: CaveatContext,
}

/// The answer to a check.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Permissionship {
    /// The subject does not have the permission.
    No,
    /// The subject has the permission.
    Has,
    /// The subject has the permission if caveats hold that need more context.
    Conditional {
        /// The caveat parameters still needed, sorted.
        missing: Vec<String>,
    },
}

impl From<&Outcome> for Permissionship {
    fn from(outcome: &Outcome) -> Self {
        match outcome {
            Outcome::No => Permissionship::No,
            Outcome::Has => Permissionship::Has,
            Outcome::Conditional(expr) => Permissionship::Conditional {
                missing: expr.missing_context(),
            },
        }
    }
}

/// A check's answer with, when asked for, its explanation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CheckResult {
    /// The answer.
    pub permissionship: Permissionship,
    /// The steps that led to it, when explain was requested.
    pub trace: Option<TraceStep>,
}

impl Evaluator {
    /// Decides whether the subject has the permission on the resource.
    ///
    /// # Errors
    /// Unknown types or relations, a wildcard subject, exceeding the depth limit, caveat
    /// failures, and store failures.
    pub fn check(
        &self,
        snapshot: &dyn Snapshot,
        request: &CheckRequest,
        explain: bool,
    ) -> Result<CheckResult, EvalError> {
        let target = self.resolve_check_target(request)?;
        let subject = ResolvedSubject::resolve(self.schema(), &request.subject)?;
        let mut walker = Walker::new(self.walk_env(snapshot, &request.context), subject, explain);
        check_with(&mut walker, target, request)
    }

    /// Decides many checks against one snapshot; answers come in request order. Items with the
    /// same subject and context share one walk, so common sub-answers are computed once.
    pub fn check_bulk(
        &self,
        snapshot: &dyn Snapshot,
        requests: &[CheckRequest],
        explain: bool,
    ) -> Vec<Result<CheckResult, EvalError>> {
        let mut results: Vec<Option<Result<CheckResult, EvalError>>> =
            requests.iter().map(|_| None).collect();
        let mut groups: HashMap<(&SubjectRef, String), Vec<usize>> = HashMap::new();
        for (index, request) in requests.iter().enumerate() {
            let context_key = serde_json::Value::Object(request.context.clone()).to_string();
            groups
                .entry((&request.subject, context_key))
                .or_default()
                .push(index);
        }
        for ((subject, _), indexes) in groups {
            let context = &requests[indexes[0]].context;
            let mut walker = None;
            for index in indexes {
                let request = &requests[index];
                let result = self.resolve_check_target(request).and_then(|target| {
                    let walker = match &mut walker {
                        Some(walker) => walker,
                        empty => {
                            let subject = ResolvedSubject::resolve(self.schema(), subject)?;
                            let env = self.walk_env(snapshot, context);
                            empty.insert(Walker::new(env, subject, explain))
                        }
                    };
                    check_with(walker, target, request)
                });
                results[index] = Some(result);
            }
        }
        results.into_iter().flatten().collect()
    }

    fn resolve_check_target(&self, request: &CheckRequest) -> Result<RelationRef, EvalError> {
        if request.subject.is_wildcard() {
            return Err(EvalError::WildcardSubject {
                operation: "check a permission",
                subject: request.subject.to_string(),
            });
        }
        self.resolve_relation(request.resource.object_type(), &request.permission)
    }
}

fn check_with(
    walker: &mut Walker<'_>,
    target: RelationRef,
    request: &CheckRequest,
) -> Result<CheckResult, EvalError> {
    let outcome = walker.check(target, request.resource.object_id(), 0)?;
    Ok(CheckResult {
        permissionship: (&outcome).into(),
        trace: walker.take_trace(),
    })
}
