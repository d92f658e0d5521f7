//! The validation file format: `schema`, `relationships`, `assertions` and `validation`.

use std::collections::BTreeMap;
use std::path::Path;

use serde::Deserialize;
use tessera_types::{CaveatContext, ObjectRef, Relationship, SubjectRef};

use crate::error::ValidationError;

/// What an assertion expects a check to answer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Expectation {
    /// `assertTrue`: the subject has the permission.
    Has,
    /// `assertCaveated`: the subject has it only if caveats hold that lack context.
    Conditional,
    /// `assertFalse`: the subject does not have it.
    No,
}

impl Expectation {
    /// The YAML key the expectation is listed under.
    pub fn key(self) -> &'static str {
        match self {
            Expectation::Has => "assertTrue",
            Expectation::Conditional => "assertCaveated",
            Expectation::No => "assertFalse",
        }
    }
}

/// One `resource#permission@subject [with {context}]` assertion.
#[derive(Clone, Debug, PartialEq)]
pub struct Assertion {
    /// The text as written.
    pub text: String,
    /// The line it is on (1-based).
    pub line: usize,
    /// What is expected.
    pub expectation: Expectation,
    /// The resource checked.
    pub resource: ObjectRef,
    /// The permission or relation checked.
    pub permission: String,
    /// The subject checked.
    pub subject: SubjectRef,
    /// The caveat context given after ` with `.
    pub context: CaveatContext,
}

/// The expected subjects of one `type:id#relation` in the `validation` section.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExpectedSubjects {
    /// The expanded object.
    pub resource: ObjectRef,
    /// The expanded relation or permission.
    pub relation: String,
    /// The line of the key (1-based).
    pub line: usize,
    /// Each expected subject: `type:id[#rel][[...]][ - {excluded}]` → the `type:id#rel`
    /// relations it is found through.
    pub subjects: BTreeMap<String, Vec<String>>,
}

/// A parsed validation file.
#[derive(Clone, Debug, PartialEq)]
pub struct ValidationFile {
    /// The schema text.
    pub schema: String,
    /// The relationships, with their lines.
    pub relationships: Vec<(Relationship, usize)>,
    /// The assertions, in file order.
    pub assertions: Vec<Assertion>,
    /// The `validation` section.
    pub expected: Vec<ExpectedSubjects>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawFile {
    schema: Option<String>,
    schema_file: Option<String>,
    relationships: Option<String>,
    assertions: Option<RawAssertions>,
    validation: Option<BTreeMap<String, Option<Vec<String>>>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawAssertions {
    assert_true: Option<Vec<String>>,
    assert_caveated: Option<Vec<String>>,
    assert_false: Option<Vec<String>>,
}

/// Finds lines of strings in the raw text, in file order, so reports can point at them.
struct LineFinder<'t> {
    text: &'t str,
    from: usize,
}

impl LineFinder<'_> {
    /// The line of the next occurrence of `needle` at or after the last one found; the line of
    /// the last find when the needle does not appear verbatim (e.g. YAML escapes).
    fn line_of(&mut self, needle: &str) -> usize {
        if let Some(offset) = self.text[self.from..].find(needle) {
            self.from += offset;
        }
        self.text[..self.from].matches('\n').count() + 1
    }

    fn seek_key(&mut self, key: &str) {
        if let Some(offset) = self.text.find(&format!("\n{key}:")) {
            self.from = offset + 1;
        }
    }
}

impl ValidationFile {
    /// Reads and parses the file at `path` (a `schemaFile` is resolved next to it).
    ///
    /// # Errors
    /// I/O errors and everything [`ValidationFile::parse`] reports.
    pub fn read(path: &Path) -> Result<Self, ValidationError> {
        let text = std::fs::read_to_string(path)
            .map_err(|err| ValidationError::Io(format!("reading `{}`: {err}", path.display())))?;
        Self::parse_with_base(&text, path.parent())
    }

    /// Parses validation-file text; a `schemaFile` is an error here (no base directory).
    ///
    /// # Errors
    /// YAML that is not a validation file, relationships or assertions that do not parse,
    /// repeated relationships.
    pub fn parse(text: &str) -> Result<Self, ValidationError> {
        Self::parse_with_base(text, None)
    }

    fn parse_with_base(text: &str, base: Option<&Path>) -> Result<Self, ValidationError> {
        // Only the first YAML document counts (some files end with an empty second one).
        let first = serde_yaml_ng::Deserializer::from_str(text)
            .next()
            .ok_or_else(|| ValidationError::Format("the file is empty".to_owned()))?;
        let raw =
            RawFile::deserialize(first).map_err(|err| ValidationError::Format(err.to_string()))?;
        let schema = match (raw.schema, raw.schema_file, base) {
            (Some(schema), _, _) => schema,
            (None, Some(file), Some(base)) => {
                let path = base.join(&file);
                std::fs::read_to_string(&path).map_err(|err| {
                    ValidationError::Io(format!("reading schemaFile `{}`: {err}", path.display()))
                })?
            }
            (None, Some(file), None) => {
                return Err(ValidationError::Format(format!(
                    "`schemaFile: {file}` needs the file's directory; read the file from disk"
                )));
            }
            (None, None, _) => {
                return Err(ValidationError::Format(
                    "the file has no `schema` key".to_owned(),
                ));
            }
        };
        let mut finder = LineFinder { text, from: 0 };
        finder.seek_key("relationships");
        let relationships =
            parse_relationships(raw.relationships.as_deref().unwrap_or(""), &mut finder)?;
        finder.seek_key("assertions");
        let assertions = match raw.assertions {
            None => Vec::new(),
            Some(raw) => {
                let lists = [
                    (Expectation::Has, raw.assert_true),
                    (Expectation::Conditional, raw.assert_caveated),
                    (Expectation::No, raw.assert_false),
                ];
                let mut assertions = Vec::new();
                for (expectation, list) in lists {
                    for text in list.unwrap_or_default() {
                        let line = finder.line_of(&text);
                        assertions.push(parse_assertion(&text, line, expectation)?);
                    }
                }
                assertions.sort_by_key(|a| a.line);
                assertions
            }
        };
        finder.seek_key("validation");
        let expected = raw
            .validation
            .unwrap_or_default()
            .into_iter()
            .map(|(key, subjects)| {
                parse_expected(&key, subjects.unwrap_or_default(), finder.line_of(&key))
            })
            .collect::<Result<_, _>>()?;
        Ok(ValidationFile {
            schema,
            relationships,
            assertions,
            expected,
        })
    }
}

fn parse_relationships(
    block: &str,
    finder: &mut LineFinder<'_>,
) -> Result<Vec<(Relationship, usize)>, ValidationError> {
    let mut relationships: Vec<(Relationship, usize)> = Vec::new();
    for text in block.split('\n').map(str::trim) {
        if text.is_empty() || text.starts_with("//") {
            continue;
        }
        let line = finder.line_of(text);
        let relationship: Relationship =
            text.parse().map_err(|err| ValidationError::Relationship {
                line,
                message: format!("{err}"),
            })?;
        if let Some((_, first)) = relationships
            .iter()
            .find(|(r, _)| r.same_key(&relationship))
        {
            return Err(ValidationError::Relationship {
                line,
                message: format!(
                    "relationship `{relationship}` repeats the one on line {first}; remove one"
                ),
            });
        }
        relationships.push((relationship, line));
    }
    Ok(relationships)
}

fn parse_assertion(
    text: &str,
    line: usize,
    expectation: Expectation,
) -> Result<Assertion, ValidationError> {
    let invalid = |message: String| ValidationError::Assertion {
        line,
        text: text.to_owned(),
        message,
    };
    let (question, context) = match text.split_once(" with ") {
        None => (text.trim(), CaveatContext::new()),
        Some((question, json)) => match serde_json::from_str(json.trim()) {
            Ok(serde_json::Value::Object(context)) => (question.trim(), context),
            _ => {
                return Err(invalid(format!(
                    "the context after ` with ` must be a JSON object, found `{}`",
                    json.trim()
                )));
            }
        },
    };
    let parsed: Relationship = question.parse().map_err(|err| invalid(format!("{err}")))?;
    if parsed.caveat().is_some() || parsed.expires_at().is_some() {
        return Err(invalid(
            "an assertion takes no caveat or expiration; give context with ` with {...}`"
                .to_owned(),
        ));
    }
    Ok(Assertion {
        text: text.to_owned(),
        line,
        expectation,
        resource: parsed.resource().clone(),
        permission: parsed.relation().to_owned(),
        subject: parsed.subject().clone(),
        context,
    })
}

fn parse_expected(
    key: &str,
    subjects: Vec<String>,
    line: usize,
) -> Result<ExpectedSubjects, ValidationError> {
    let invalid = |message: String| ValidationError::Expected {
        line,
        key: key.to_owned(),
        message,
    };
    let (object, relation) = key
        .split_once('#')
        .ok_or_else(|| invalid("expected `type:id#relation`".to_owned()))?;
    let resource: ObjectRef = object.parse().map_err(|err| invalid(format!("{err}")))?;
    let mut expected = BTreeMap::new();
    for entry in subjects {
        // `[subject] is <type:id#rel>/<type:id#rel>`
        let (subject, relations) = entry
            .trim()
            .strip_prefix('[')
            .and_then(|rest| rest.split_once("] is "))
            .ok_or_else(|| {
                invalid(format!(
                    "`{entry}` must look like `[user:tom] is <document:1#viewer>`"
                ))
            })?;
        // Object ids may contain `/`, so relations are split on the `>/<` between them.
        let relations = relations
            .trim()
            .trim_start_matches('<')
            .trim_end_matches('>')
            .split(">/<")
            .map(str::to_owned)
            .collect();
        expected.insert(subject.to_owned(), relations);
    }
    Ok(ExpectedSubjects {
        resource,
        relation: relation.to_owned(),
        line,
        subjects: expected,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const FILE: &str = r#"---
schema: |-
  definition user {}
  definition doc {
    relation viewer: user
  }
relationships: |-
  doc:1#viewer@user:tom
  // a comment
  doc:2#viewer@user:sarah
assertions:
  assertTrue:
    - "doc:1#viewer@user:tom"
  assertFalse:
    - 'doc:1#viewer@user:sarah with {"x": 1}'
validation:
  doc:1#viewer:
    - "[user:tom] is <doc:1#viewer>"
"#;

    #[test]
    fn parses_every_section_with_lines() {
        let file = ValidationFile::parse(FILE).unwrap();
        assert!(file.schema.contains("definition doc"));
        let lines: Vec<usize> = file.relationships.iter().map(|(_, line)| *line).collect();
        assert_eq!(lines, [8, 10]);
        assert_eq!(file.assertions.len(), 2);
        assert_eq!(file.assertions[0].line, 13);
        assert_eq!(file.assertions[1].expectation, Expectation::No);
        assert_eq!(file.assertions[1].context["x"], 1);
        assert_eq!(file.expected[0].subjects["user:tom"], ["doc:1#viewer"]);
    }

    #[test]
    fn repeated_relationships_are_an_error() {
        let text =
            "schema: x\nrelationships: |-\n  doc:1#viewer@user:tom\n  doc:1#viewer@user:tom[cav]\n";
        let err = ValidationFile::parse(text).unwrap_err().to_string();
        assert_eq!(
            err,
            "line 4: relationship `doc:1#viewer@user:tom[cav]` repeats the one on line 3; remove one"
        );
    }
}
