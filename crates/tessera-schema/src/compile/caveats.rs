//! `caveat name(params) { expression }`: parameters and their types, and parameter usage.
//!
//! Checked here: at least one parameter (the grammar requires it), no duplicate, known types
//! with the right number of type arguments, every parameter used, the expression's size, and
//! the CEL expression itself, parsed and type-checked by `tessera-caveats` against the
//! parameters, with its errors located in the schema file.

use std::collections::HashSet;

use tessera_caveats::{CompiledCaveat, can_name_variable};

use crate::ast::{self, Comments};
use crate::diagnostic::{Diagnostic, Span, did_you_mean};
use crate::ir::{Caveat, CaveatParameter, CaveatType};
use crate::lexer::{TokenKind, lex};

use super::Compiler;

/// SpiceDB's limit on a caveat expression (`maxCaveatExpressionSize`), in characters.
const MAX_EXPRESSION_CHARS: usize = 100_000;

const TYPE_NAMES: [&str; 12] = [
    "any",
    "bool",
    "string",
    "int",
    "uint",
    "double",
    "bytes",
    "duration",
    "timestamp",
    "ipaddress",
    "list",
    "map",
];

impl Compiler<'_> {
    pub(super) fn compile_caveat(&mut self, caveat: &ast::Caveat, comments: &Comments) -> Caveat {
        let expression_text = &self.source[caveat.expression.start..caveat.expression.end];
        let expression = expression_text.trim();
        let too_long = expression.chars().count() > MAX_EXPRESSION_CHARS;
        if too_long {
            self.errors.push(Diagnostic::parse(
                caveat.expression,
                format!(
                    "the expression of caveat `{}` is longer than {MAX_EXPRESSION_CHARS} \
                     characters",
                    caveat.name.text
                ),
                "split the condition into several caveats",
            ));
        }
        let referenced = referenced_words(expression_text);
        let mut seen = HashSet::new();
        let mut parameters = Vec::new();
        for parameter in &caveat.parameters {
            let name = &parameter.name;
            if !seen.insert(name.text.as_str()) {
                self.errors.push(Diagnostic::parse(
                    name.span,
                    format!(
                        "duplicate parameter `{}` in caveat `{}`",
                        name.text, caveat.name.text
                    ),
                    "each parameter needs its own name",
                ));
                continue;
            }
            if !referenced.contains(name.text.as_str()) {
                self.errors.push(Diagnostic::semantic(
                    name.span,
                    format!(
                        "parameter `{}` of caveat `{}` is unused",
                        name.text, caveat.name.text
                    ),
                    "use it in the expression or remove it",
                ));
            }
            if let Some(parameter_type) = self.caveat_type(&parameter.parameter_type) {
                parameters.push(CaveatParameter {
                    name: name.text.clone(),
                    parameter_type,
                });
            }
        }
        // Only a caveat whose declaration is sound gets its expression checked, so one
        // mistake is not reported twice.
        if !too_long && parameters.len() == caveat.parameters.len() {
            self.check_expression(caveat, &parameters);
        }
        let leading_blank = expression_text.len() - expression_text.trim_start().len();
        Caveat {
            name: caveat.name.text.clone(),
            comments: self.comment_texts(comments),
            parameters,
            expression: expression.to_owned(),
            expression_position: self.position(Span::new(
                caveat.expression.start + leading_blank,
                caveat.expression.end,
            )),
            position: self.position(caveat.keyword),
        }
    }

    /// Parses and type-checks the CEL expression of `caveat`, whose parameters all resolved,
    /// reporting each problem at its place in the schema.
    fn check_expression(&mut self, caveat: &ast::Caveat, parameters: &[CaveatParameter]) {
        let expression = &self.source[caveat.expression.start..caveat.expression.end];
        let typed: Vec<(String, CaveatType)> = parameters
            .iter()
            .map(|p| (p.name.clone(), p.parameter_type.clone()))
            .collect();
        let Err(problems) = CompiledCaveat::compile(&typed, expression) else {
            return;
        };
        let declared = format!(
            "the parameters of `{}` are {}",
            caveat.name.text,
            typed
                .iter()
                .map(|(name, parameter_type)| format!("`{name} {parameter_type}`"))
                .collect::<Vec<_>>()
                .join(", ")
        );
        for problem in problems {
            let start = caveat.expression.start + problem.offset;
            let span = Span::new(start, start + problem.len);
            let help = problem.help.unwrap_or_else(|| declared.clone());
            self.errors.push(Diagnostic::semantic(
                span,
                format!("in caveat `{}`: {}", caveat.name.text, problem.message),
                help,
            ));
        }
    }

    /// Builds a parameter type like SpiceDB's type set: type arguments are built (and so
    /// checked) first; `list` and `map` take exactly one; the other types ignore theirs.
    fn caveat_type(&mut self, reference: &ast::CaveatTypeRef) -> Option<CaveatType> {
        let mut arguments = Vec::new();
        for argument in &reference.arguments {
            arguments.push(self.caveat_type(argument)?);
        }
        let name = &reference.name;
        let basic = match name.text.as_str() {
            "any" => CaveatType::Any,
            "bool" => CaveatType::Bool,
            "string" => CaveatType::String,
            "int" => CaveatType::Int,
            "uint" => CaveatType::Uint,
            "double" => CaveatType::Double,
            "bytes" => CaveatType::Bytes,
            "duration" => CaveatType::Duration,
            "timestamp" => CaveatType::Timestamp,
            "ipaddress" => CaveatType::IpAddress,
            "list" | "map" => {
                let [argument] = <[CaveatType; 1]>::try_from(arguments).ok().or_else(|| {
                    self.errors.push(Diagnostic::parse(
                        name.span,
                        format!(
                            "type `{}` takes exactly one type argument, found {}",
                            name.text,
                            reference.arguments.len()
                        ),
                        format!("write e.g. `{}<string>`", name.text),
                    ));
                    None
                })?;
                let argument = Box::new(argument);
                return Some(if name.text == "list" {
                    CaveatType::List(argument)
                } else {
                    CaveatType::Map(argument)
                });
            }
            _ => {
                let help = did_you_mean(&name.text, TYPE_NAMES, || {
                    format!("the types are {}", TYPE_NAMES.join(", "))
                });
                self.errors.push(Diagnostic::parse(
                    name.span,
                    format!("unknown parameter type `{}`", name.text),
                    help,
                ));
                return None;
            }
        };
        Some(basic)
    }
}

/// Every identifier the CEL expression can resolve to a variable: identifiers that are not
/// field or method names (after `.`) and not CEL's reserved words. String literals are
/// single tokens, so words inside them do not count.
fn referenced_words(expression: &str) -> HashSet<&str> {
    let tokens = lex(expression).tokens;
    let mut words = HashSet::new();
    let mut after_period = false;
    for token in &tokens {
        if matches!(token.kind, TokenKind::Identifier | TokenKind::Keyword) && !after_period {
            let word = &expression[token.span.start..token.span.end];
            if can_name_variable(word) {
                words.insert(word);
            }
        }
        after_period = token.kind == TokenKind::Period;
    }
    words
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references_skip_fields_strings_and_reserved_words() {
        let words = referenced_words("a.b == 'c' && d in e || true && f.g(h)");
        let mut sorted: Vec<&str> = words.into_iter().collect();
        sorted.sort_unstable();
        assert_eq!(sorted, ["a", "d", "e", "f", "h"]);
    }
}
