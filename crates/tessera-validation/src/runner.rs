//! Runs a validation file's assertions and expected subjects against an [`Oracle`].

use std::fmt;

use tessera_eval::{CheckRequest, Permissionship};

use crate::file::{Expectation, ValidationFile};
use crate::membership::found_subjects;
use crate::oracle::Oracle;

/// One way in which the answers differ from what the file expects.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Failure {
    /// The line in the file (1-based).
    pub line: usize,
    /// The assertion or validation key as written.
    pub subject: String,
    /// What the file expects.
    pub expected: String,
    /// What came out.
    pub actual: String,
    /// How the answer was reached, when the oracle can say.
    pub explanation: Option<String>,
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "line {}: {}", self.line, self.subject)?;
        writeln!(f, "  expected: {}", self.expected)?;
        writeln!(f, "  actual:   {}", self.actual)?;
        if let Some(explanation) = &self.explanation {
            for line in explanation.lines() {
                writeln!(f, "    {line}")?;
            }
        }
        Ok(())
    }
}

fn describe(answer: &Permissionship) -> String {
    match answer {
        Permissionship::Has => "has permission".to_owned(),
        Permissionship::No => "no permission".to_owned(),
        Permissionship::Conditional { missing } => {
            format!("conditional permission, missing context {missing:?}")
        }
    }
}

fn expected_text(expectation: Expectation) -> String {
    match expectation {
        Expectation::Has => "has permission",
        Expectation::No => "no permission",
        Expectation::Conditional => "conditional permission",
    }
    .to_owned()
}

/// Runs every assertion and every expected-subjects entry; returns what failed.
pub fn run(file: &ValidationFile, oracle: &dyn Oracle) -> Vec<Failure> {
    let mut failures = Vec::new();
    for assertion in &file.assertions {
        let request = CheckRequest {
            resource: assertion.resource.clone(),
            permission: assertion.permission.clone(),
            subject: assertion.subject.clone(),
            context: assertion.context.clone(),
        };
        let failure = |actual: String, explanation: Option<String>| Failure {
            line: assertion.line,
            subject: format!("{}: {}", assertion.expectation.key(), assertion.text),
            expected: expected_text(assertion.expectation),
            actual,
            explanation,
        };
        match oracle.check(&request, false) {
            Err(err) => failures.push(failure(format!("error: {err}"), None)),
            Ok(result) => {
                let matches = matches!(
                    (assertion.expectation, &result.permissionship),
                    (Expectation::Has, Permissionship::Has)
                        | (Expectation::No, Permissionship::No)
                        | (Expectation::Conditional, Permissionship::Conditional { .. })
                );
                if !matches {
                    let explanation = oracle
                        .check(&request, true)
                        .ok()
                        .and_then(|explained| explained.trace)
                        .map(|trace| trace.to_string());
                    failures.push(failure(describe(&result.permissionship), explanation));
                }
            }
        }
    }
    for expected in &file.expected {
        let key = format!("{}#{}", expected.resource, expected.relation);
        let failure = |expected_text: String, actual: String| Failure {
            line: expected.line,
            subject: format!("validation of {key}"),
            expected: expected_text,
            actual,
            explanation: None,
        };
        match oracle.expand(&expected.resource, &expected.relation) {
            Err(err) => failures.push(failure(
                format!("{:?}", expected.subjects),
                format!("error: {err}"),
            )),
            Ok(tree) => {
                let found = found_subjects(&tree);
                if found != expected.subjects {
                    failures.push(failure(
                        format!("{:?}", expected.subjects),
                        format!("{found:?}"),
                    ));
                }
            }
        }
    }
    failures
}
