//! The compiled caveat: the front door that ties parsing, checking and evaluation together.

use std::collections::{BTreeSet, HashMap};
use std::fmt;

use regex::Regex;

use crate::check::check;
use crate::error::{CaveatDiagnostic, CaveatError};
use crate::eval::{Flow, evaluate};
use crate::functions::compile_regex;
use crate::parser::parse;
use crate::program::Node;
use crate::types::CaveatType;
use crate::value::{Value, from_json};

/// Bounds on what a caveat may cost; the defaults suit any caveat a person writes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CaveatLimits {
    /// Evaluation budget: one unit per sub-expression evaluated and per element iterated,
    /// plus units proportional to the strings, bytes and lists built or scanned.
    pub max_cost: u64,
    /// How deeply sub-expressions may nest, which bounds every recursion on the tree.
    pub max_depth: usize,
    /// Longest accepted expression, in characters after trimming (SpiceDB's limit).
    pub max_expression_len: usize,
}

impl Default for CaveatLimits {
    fn default() -> Self {
        CaveatLimits {
            max_cost: 1_000_000,
            max_depth: 100,
            max_expression_len: 100_000,
        }
    }
}

/// What a caveat says for a given context.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CaveatOutcome {
    /// The expression holds.
    True,
    /// The expression does not hold.
    False,
    /// The result depends on parameters the context did not supply.
    Partial {
        /// Names of those parameters, sorted and without duplicates.
        missing: Vec<String>,
    },
}

/// A caveat expression checked against its declared parameters, ready to evaluate.
#[derive(Clone)]
pub struct CompiledCaveat {
    parameters: Vec<(String, CaveatType)>,
    expression: String,
    program: Node,
    referenced: Vec<String>,
    /// `matches` patterns written as literals, compiled once here.
    regexes: HashMap<String, Regex>,
    limits: CaveatLimits,
}

impl fmt::Debug for CompiledCaveat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CompiledCaveat")
            .field("parameters", &self.parameters)
            .field("expression", &self.expression)
            .field("limits", &self.limits)
            .finish_non_exhaustive()
    }
}

impl CompiledCaveat {
    /// Parses and type-checks `expression` against `parameters`, with default limits.
    ///
    /// # Errors
    ///
    /// Every problem found, located by byte offsets into `expression`: syntax errors (the
    /// first only), type errors (all of them), a result that is not `bool`, a duplicate
    /// parameter, an expression over the length or depth limit.
    pub fn compile(
        parameters: &[(String, CaveatType)],
        expression: &str,
    ) -> Result<Self, Vec<CaveatDiagnostic>> {
        Self::compile_with_limits(parameters, expression, CaveatLimits::default())
    }

    /// [`CompiledCaveat::compile`] with explicit limits, which also apply to evaluation.
    ///
    /// # Errors
    ///
    /// As [`CompiledCaveat::compile`].
    pub fn compile_with_limits(
        parameters: &[(String, CaveatType)],
        expression: &str,
        limits: CaveatLimits,
    ) -> Result<Self, Vec<CaveatDiagnostic>> {
        let whole = |message: String| CaveatDiagnostic {
            message,
            offset: 0,
            len: expression.len(),
            help: None,
        };
        let length = expression.trim().chars().count();
        if length > limits.max_expression_len {
            return Err(vec![whole(format!(
                "caveat expression is {length} characters long, more than the limit of {}",
                limits.max_expression_len
            ))]);
        }
        let duplicates: Vec<CaveatDiagnostic> = parameters
            .iter()
            .enumerate()
            .filter(|(index, (name, _))| {
                parameters[..*index]
                    .iter()
                    .any(|(earlier, _)| earlier == name)
            })
            .map(|(_, (name, _))| whole(format!("duplicate parameter `{name}`")))
            .collect();
        if !duplicates.is_empty() {
            return Err(duplicates);
        }
        let ast = parse(expression, limits.max_depth).map_err(|diagnostic| vec![diagnostic])?;
        let checked = check(&ast, parameters)?;
        let mut mentioned = BTreeSet::new();
        ast.mentions(&mut mentioned);
        let referenced = parameters
            .iter()
            .map(|(name, _)| name)
            .filter(|name| mentioned.contains(name.as_str()))
            .collect::<BTreeSet<&String>>()
            .into_iter()
            .cloned()
            .collect();
        // A literal pattern that does not compile stays out of the cache and fails at run time,
        // as in cel-go, where `matches` reports bad patterns when evaluated.
        let regexes = checked
            .literal_patterns
            .into_iter()
            .filter_map(|pattern| compile_regex(&pattern).ok().map(|regex| (pattern, regex)))
            .collect();
        Ok(CompiledCaveat {
            parameters: parameters.to_vec(),
            expression: expression.to_owned(),
            program: checked.program,
            referenced,
            regexes,
            limits,
        })
    }

    /// The declared parameters, in declaration order.
    pub fn parameters(&self) -> &[(String, CaveatType)] {
        &self.parameters
    }

    /// The expression text as compiled.
    pub fn expression(&self) -> &str {
        &self.expression
    }

    /// Names of the parameters the expression mentions, sorted. SpiceDB rejects a schema whose
    /// caveat declares a parameter that is not among these; they are counted as SpiceDB
    /// counts them, so a comprehension variable named like a parameter counts as a mention
    /// and a map literal key does not.
    pub fn referenced_parameters(&self) -> &[String] {
        &self.referenced
    }

    /// Evaluates the caveat with `context` (JSON values by parameter name; names that are not
    /// parameters are ignored). A parameter missing from `context` is unknown: the outcome is
    /// [`CaveatOutcome::Partial`] only if the result depends on it.
    ///
    /// # Errors
    ///
    /// [`CaveatError::ParameterType`] when a value does not fit its parameter's type,
    /// [`CaveatError::Evaluation`] on a runtime error that decides the result (a missing map
    /// key, an overflow...), [`CaveatError::CostLimitExceeded`] when the cost budget runs out.
    pub fn evaluate(
        &self,
        context: &serde_json::Map<String, serde_json::Value>,
    ) -> Result<CaveatOutcome, CaveatError> {
        let values = self
            .parameters
            .iter()
            .map(|(name, declared)| {
                context
                    .get(name)
                    .map(|json| {
                        from_json(json, declared, 0).map_err(|reason| CaveatError::ParameterType {
                            parameter: name.clone(),
                            expected: declared.to_string(),
                            reason,
                        })
                    })
                    .transpose()
            })
            .collect::<Result<Vec<Option<Value>>, CaveatError>>()?;
        match evaluate(&self.program, &values, &self.regexes, self.limits.max_cost) {
            Ok(Value::Bool(true)) => Ok(CaveatOutcome::True),
            Ok(Value::Bool(false)) => Ok(CaveatOutcome::False),
            Ok(other) => Err(CaveatError::Evaluation {
                message: format!("expected a `bool` result, found `{}`", other.type_name()),
                offset: 0,
            }),
            Err(Flow::Unknown(missing)) => {
                let names: BTreeSet<&String> = missing
                    .iter()
                    .filter_map(|&index| self.parameters.get(index).map(|(name, _)| name))
                    .collect();
                Ok(CaveatOutcome::Partial {
                    missing: names.into_iter().cloned().collect(),
                })
            }
            Err(Flow::Error(error)) => Err(CaveatError::Evaluation {
                message: error.message,
                offset: error.span.start,
            }),
            Err(Flow::CostExceeded) => Err(CaveatError::CostLimitExceeded {
                limit: self.limits.max_cost,
            }),
        }
    }
}
