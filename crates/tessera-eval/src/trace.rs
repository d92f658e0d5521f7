//! Explanations of checks: which relations were visited and which relationships decided.
//! Built only when asked for, so a plain check pays nothing.

use std::fmt::{self, Write as _};

use tessera_schema::ir::{RelationRef, Schema};
use tessera_types::Relationship;

use crate::outcome::Outcome;

/// What a visited step concluded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TraceResult {
    /// The subject is in the set.
    Has,
    /// The subject is not in the set.
    No,
    /// The subject is in the set if a caveat holds.
    Conditional,
    /// The step failed.
    Failed,
}

impl From<&Outcome> for TraceResult {
    fn from(outcome: &Outcome) -> Self {
        match outcome {
            Outcome::Has => TraceResult::Has,
            Outcome::No => TraceResult::No,
            Outcome::Conditional(_) => TraceResult::Conditional,
        }
    }
}

/// One visited `resource#relation` and what was found there.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TraceStep {
    /// `type:id` of the visited object.
    pub resource: String,
    /// The relation or permission visited.
    pub relation: String,
    /// Whether it is a permission.
    pub is_permission: bool,
    /// What it concluded.
    pub result: TraceResult,
    /// Relationships that matched the subject directly here (text syntax).
    pub relationships: Vec<String>,
    /// Set when the answer was reused rather than computed.
    pub note: Option<&'static str>,
    /// The steps it took.
    pub children: Vec<TraceStep>,
}

impl TraceStep {
    fn new(schema: &Schema, relation: RelationRef, id: &str) -> Self {
        let definition = schema.definition(relation.definition);
        let visited = definition.relation(relation.relation);
        Self {
            resource: format!("{}:{id}", definition.name),
            relation: visited.name.clone(),
            is_permission: visited.is_permission(),
            result: TraceResult::No,
            relationships: Vec::new(),
            note: None,
            children: Vec::new(),
        }
    }

    fn render_into(&self, out: &mut String, prefix: &str, last: bool, root: bool) -> fmt::Result {
        let (branch, next_prefix) = match (root, last) {
            (true, _) => ("", String::new()),
            (false, true) => ("└── ", format!("{prefix}    ")),
            (false, false) => ("├── ", format!("{prefix}│   ")),
        };
        let mark = match self.result {
            TraceResult::Has => "✓",
            TraceResult::No => "⨯",
            TraceResult::Conditional => "?",
            TraceResult::Failed => "!",
        };
        let kind = if self.is_permission {
            "permission"
        } else {
            "relation"
        };
        write!(
            out,
            "{prefix}{branch}{mark} {}#{} ({kind})",
            self.resource, self.relation
        )?;
        if let Some(note) = self.note {
            write!(out, " [{note}]")?;
        }
        writeln!(out)?;
        let count = self.relationships.len() + self.children.len();
        for (index, relationship) in self.relationships.iter().enumerate() {
            let branch = if index + 1 == count {
                "└── "
            } else {
                "├── "
            };
            writeln!(out, "{next_prefix}{branch}via {relationship}")?;
        }
        for (index, child) in self.children.iter().enumerate() {
            let last = self.relationships.len() + index + 1 == count;
            child.render_into(out, &next_prefix, last, false)?;
        }
        Ok(())
    }
}

impl fmt::Display for TraceStep {
    /// A tree, one visited step per line, e.g. `✓ document:1#view (permission)`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut out = String::new();
        self.render_into(&mut out, "", true, true)?;
        f.write_str(&out)
    }
}

/// Collects steps as the walker enters and leaves them.
#[derive(Debug, Default)]
pub(crate) struct TraceBuilder {
    open: Vec<TraceStep>,
    root: Option<TraceStep>,
}

impl TraceBuilder {
    pub(crate) fn enter(&mut self, schema: &Schema, relation: RelationRef, id: &str) {
        self.open.push(TraceStep::new(schema, relation, id));
    }

    pub(crate) fn exit(&mut self, outcome: Option<&Outcome>) {
        if let Some(mut step) = self.open.pop() {
            step.result = outcome.map_or(TraceResult::Failed, TraceResult::from);
            self.attach(step);
        }
    }

    pub(crate) fn leaf(
        &mut self,
        schema: &Schema,
        relation: RelationRef,
        id: &str,
        outcome: &Outcome,
        note: &'static str,
    ) {
        let mut step = TraceStep::new(schema, relation, id);
        step.result = outcome.into();
        step.note = Some(note);
        self.attach(step);
    }

    pub(crate) fn relationship(&mut self, relationship: &Relationship, outcome: &Outcome) {
        if let Some(step) = self.open.last_mut() {
            let suffix = match outcome {
                Outcome::Conditional(_) => " (caveat undecided)",
                Outcome::No => " (caveat false)",
                Outcome::Has => "",
            };
            step.relationships.push(format!("{relationship}{suffix}"));
        }
    }

    pub(crate) fn take_root(&mut self) -> Option<TraceStep> {
        self.root.take()
    }

    fn attach(&mut self, step: TraceStep) {
        match self.open.last_mut() {
            Some(parent) => parent.children.push(step),
            None => self.root = Some(step),
        }
    }
}
