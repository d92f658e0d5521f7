//! Three-valued evaluation of a checked program.
//!
//! A sub-expression yields a value, an error, or *unknown*: it read a parameter the context did
//! not supply. As in cel-go's partial evaluation (which SpiceDB uses), `&&` and `||` are
//! commutative and absorbing (`false && x` is `false` whatever `x` is, even an error or
//! unknown; when nothing absorbs, unknown wins over error), so a missing parameter only makes
//! the result unknown if the result depends on it. Strict operations (calls, indexing,
//! literals) evaluate every argument; the first non-value argument decides whether the result
//! is an error or unknown, and an unknown result lists the missing parameters of every unknown
//! argument, so the caller learns all it must supply at once.
//!
//! Every node evaluated, element iterated and byte produced is charged against a cost budget;
//! running out aborts the whole evaluation, it is never absorbed.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::ops::Range;
use std::sync::Arc;

use regex::Regex;

use crate::ast::MacroKind;
use crate::functions::{Fault, apply};
use crate::program::{Node, NodeKind};
use crate::value::{MapKey, Value, lookup};

/// Why a sub-expression has no value.
#[derive(Debug)]
pub(crate) enum Flow {
    /// It depends on these missing parameters (indexes into the declared parameters).
    Unknown(BTreeSet<usize>),
    /// A runtime error.
    Error(EvalError),
    /// The cost budget ran out: abort everything.
    CostExceeded,
}

#[derive(Debug)]
pub(crate) struct EvalError {
    pub(crate) message: String,
    pub(crate) span: Range<usize>,
}

/// Runs `program` with the given parameter values (`None` = not supplied).
pub(crate) fn evaluate(
    program: &Node,
    parameters: &[Option<Value>],
    regexes: &HashMap<String, Regex>,
    max_cost: u64,
) -> Result<Value, Flow> {
    let mut evaluator = Evaluator {
        parameters,
        regexes,
        locals: Vec::new(),
        meter: Meter {
            spent: 0,
            limit: max_cost,
        },
    };
    evaluator.eval(program)
}

/// The cost budget.
pub(crate) struct Meter {
    spent: u64,
    limit: u64,
}

impl Meter {
    pub(crate) fn charge(&mut self, units: u64) -> Result<(), Fault> {
        self.spent = self.spent.saturating_add(units);
        if self.spent > self.limit {
            Err(Fault::CostExceeded)
        } else {
            Ok(())
        }
    }
}

/// What the evaluator lends to built-in functions.
pub(crate) struct Context<'a> {
    pub(crate) meter: &'a mut Meter,
    pub(crate) regexes: &'a HashMap<String, Regex>,
}

struct Evaluator<'a> {
    parameters: &'a [Option<Value>],
    regexes: &'a HashMap<String, Regex>,
    /// Values of the comprehension variables in scope, outermost first.
    locals: Vec<Value>,
    meter: Meter,
}

fn fail(message: impl Into<String>, span: &Range<usize>) -> Flow {
    Flow::Error(EvalError {
        message: message.into(),
        span: span.clone(),
    })
}

fn no_overload(what: &str, value: &Value, span: &Range<usize>) -> Flow {
    fail(
        format!(
            "no such overload: {what} applied to `{}`",
            value.type_name()
        ),
        span,
    )
}

/// Combines the outcomes of `&&` / `||` operands (or `all` / `exists` iterations).
struct Logical {
    /// The value that decides the result on its own: `false` for `&&`, `true` for `||`.
    absorbing: bool,
    unknown: Option<BTreeSet<usize>>,
    error: Option<Flow>,
}

impl Logical {
    fn new(absorbing: bool) -> Self {
        Logical {
            absorbing,
            unknown: None,
            error: None,
        }
    }

    /// Takes one operand's outcome; `Ok(true)` when it decides the result.
    fn absorb(&mut self, outcome: Result<Value, Flow>, span: &Range<usize>) -> Result<bool, Flow> {
        match outcome {
            Ok(Value::Bool(b)) => return Ok(b == self.absorbing),
            Ok(other) => {
                if self.error.is_none() {
                    self.error = Some(no_overload("a logical operator", &other, span));
                }
            }
            Err(Flow::Unknown(missing)) => self
                .unknown
                .get_or_insert_with(BTreeSet::new)
                .extend(missing),
            Err(Flow::CostExceeded) => return Err(Flow::CostExceeded),
            Err(error) => {
                if self.error.is_none() {
                    self.error = Some(error);
                }
            }
        }
        Ok(false)
    }

    fn finish(self) -> Result<Value, Flow> {
        match (self.unknown, self.error) {
            (Some(missing), _) => Err(Flow::Unknown(missing)),
            (None, Some(error)) => Err(error),
            (None, None) => Ok(Value::Bool(!self.absorbing)),
        }
    }
}

/// Combines the outcomes of a strict operation's arguments.
#[derive(Default)]
struct Strict {
    problem: Option<Flow>,
}

impl Strict {
    fn note(&mut self, flow: Flow) -> Result<(), Flow> {
        match (&mut self.problem, flow) {
            (_, Flow::CostExceeded) => return Err(Flow::CostExceeded),
            (None, flow) => self.problem = Some(flow),
            (Some(Flow::Unknown(missing)), Flow::Unknown(more)) => missing.extend(more),
            _ => {}
        }
        Ok(())
    }

    fn finish(self) -> Result<(), Flow> {
        self.problem.map_or(Ok(()), Err)
    }
}

impl Evaluator<'_> {
    fn charge(&mut self, units: u64) -> Result<(), Flow> {
        self.meter.charge(units).map_err(|_| Flow::CostExceeded)
    }

    fn eval(&mut self, node: &Node) -> Result<Value, Flow> {
        crate::stack::guarded(|| self.eval_here(node))
    }

    fn eval_here(&mut self, node: &Node) -> Result<Value, Flow> {
        self.charge(1)?;
        let span = &node.span;
        match &node.kind {
            NodeKind::Constant(value) => Ok(value.clone()),
            NodeKind::Parameter(index) => match self.parameters.get(*index) {
                Some(Some(value)) => Ok(value.clone()),
                _ => Err(Flow::Unknown(BTreeSet::from([*index]))),
            },
            NodeKind::Local(level) => self
                .locals
                .get(*level)
                .cloned()
                .ok_or_else(|| fail("internal error: unbound comprehension variable", span)),
            NodeKind::Select {
                operand,
                field,
                optional,
            } => select_value(&self.eval(operand)?, field, *optional, span),
            NodeKind::Has { operand, field } => match self.eval(operand)? {
                Value::Map(map) => Ok(Value::Bool(
                    lookup(&map, &Value::String(field.clone())).is_some(),
                )),
                other => Err(no_overload("`has()`", &other, span)),
            },
            NodeKind::Index {
                operand,
                index,
                optional,
            } => {
                let mut values = self
                    .eval_strict([operand.as_ref(), index.as_ref()])?
                    .into_iter();
                let (Some(container), Some(key)) = (values.next(), values.next()) else {
                    return Err(fail("internal error: index arity", span));
                };
                index_value(&container, &key, *optional, span)
            }
            NodeKind::Call { function, args } => {
                let values = self.eval_strict(args)?;
                let mut context = Context {
                    meter: &mut self.meter,
                    regexes: self.regexes,
                };
                apply(*function, &values, &mut context).map_err(|fault| match fault {
                    Fault::CostExceeded => Flow::CostExceeded,
                    Fault::Message(message) => fail(message, span),
                })
            }
            NodeKind::Not(operand) => match self.eval(operand)? {
                Value::Bool(b) => Ok(Value::Bool(!b)),
                other => Err(no_overload("`!`", &other, span)),
            },
            NodeKind::And(lhs, rhs) => self.logical(false, lhs, rhs, span),
            NodeKind::Or(lhs, rhs) => self.logical(true, lhs, rhs, span),
            NodeKind::Conditional {
                cond,
                then,
                otherwise,
            } => match self.eval(cond)? {
                Value::Bool(true) => self.eval(then),
                Value::Bool(false) => self.eval(otherwise),
                other => Err(no_overload("`? :`", &other, span)),
            },
            NodeKind::List(items) => {
                let values = self.eval_strict(items.iter().map(|(item, _)| item))?;
                self.charge(units(values.len()))?;
                let mut elements = Vec::with_capacity(values.len());
                for (value, (_, optional)) in values.into_iter().zip(items) {
                    if let Some(value) = entry(value, *optional, span)? {
                        elements.push(value);
                    }
                }
                Ok(Value::List(elements.into()))
            }
            NodeKind::Map(entries) => self.map_literal(entries, span),
            NodeKind::OptionalOr(lhs, rhs) => match self.eval(lhs)? {
                Value::Optional(None) => self.eval(rhs),
                present @ Value::Optional(Some(_)) => Ok(present),
                other => Err(no_overload("`or`", &other, span)),
            },
            NodeKind::OptionalOrValue(lhs, rhs) => match self.eval(lhs)? {
                Value::Optional(None) => self.eval(rhs),
                Value::Optional(Some(value)) => Ok((*value).clone()),
                other => Err(no_overload("`orValue`", &other, span)),
            },
            NodeKind::Comprehension {
                kind,
                range,
                filter,
                body,
            } => self.comprehension(*kind, range, filter.as_deref(), body, span),
        }
    }

    /// Evaluates every node; see the module doc for how failures combine.
    fn eval_strict<'n>(
        &mut self,
        nodes: impl IntoIterator<Item = &'n Node>,
    ) -> Result<Vec<Value>, Flow> {
        let mut values = Vec::new();
        let mut strict = Strict::default();
        for node in nodes {
            match self.eval(node) {
                Ok(value) => values.push(value),
                Err(flow) => strict.note(flow)?,
            }
        }
        strict.finish()?;
        Ok(values)
    }

    fn logical(
        &mut self,
        absorbing: bool,
        lhs: &Node,
        rhs: &Node,
        span: &Range<usize>,
    ) -> Result<Value, Flow> {
        let mut logical = Logical::new(absorbing);
        for operand in [lhs, rhs] {
            let outcome = self.eval(operand);
            if logical.absorb(outcome, span)? {
                return Ok(Value::Bool(absorbing));
            }
        }
        logical.finish()
    }

    fn map_literal(
        &mut self,
        entries: &[(Node, Node, bool)],
        span: &Range<usize>,
    ) -> Result<Value, Flow> {
        let values = self.eval_strict(entries.iter().flat_map(|(key, value, _)| [key, value]))?;
        self.charge(units(entries.len()))?;
        let mut map = BTreeMap::new();
        let mut pairs = values.into_iter();
        let mut optional = entries.iter().map(|(_, _, optional)| *optional);
        while let (Some(key), Some(value), Some(optional)) =
            (pairs.next(), pairs.next(), optional.next())
        {
            let Some(value) = entry(value, optional, span)? else {
                continue;
            };
            let key = MapKey::from_value(&key).ok_or_else(|| {
                fail(
                    format!("unsupported map key type `{}`", key.type_name()),
                    span,
                )
            })?;
            if map.contains_key(&key) {
                return Err(fail(
                    format!("repeated map key `{}`", describe_key(&key)),
                    span,
                ));
            }
            map.insert(key, value);
        }
        Ok(Value::Map(Arc::new(map)))
    }

    /// Evaluates `node` with `value` bound to the next comprehension variable.
    fn eval_bound(&mut self, value: Value, node: &Node) -> Result<Value, Flow> {
        self.locals.push(value);
        let outcome = self.eval(node);
        self.locals.pop();
        outcome
    }

    fn comprehension(
        &mut self,
        kind: MacroKind,
        range: &Node,
        filter: Option<&Node>,
        body: &Node,
        span: &Range<usize>,
    ) -> Result<Value, Flow> {
        let items: Vec<Value> = match (kind, self.eval(range)?) {
            (MacroKind::OptMap, Value::Optional(content)) => {
                let Some(content) = content else {
                    return Ok(Value::Optional(None));
                };
                let mapped = self.eval_bound((*content).clone(), body)?;
                return Ok(Value::Optional(Some(Arc::new(mapped))));
            }
            (MacroKind::OptMap, other) => return Err(no_overload("`optMap`", &other, span)),
            (_, Value::List(items)) => items.to_vec(),
            (_, Value::Map(map)) => map.keys().map(MapKey::to_value).collect(),
            (_, other) => return Err(no_overload(&format!("`{}`", kind.name()), &other, span)),
        };
        match kind {
            MacroKind::All | MacroKind::Exists => {
                let mut logical = Logical::new(kind == MacroKind::Exists);
                for item in items {
                    self.charge(1)?;
                    let outcome = self.eval_bound(item, body);
                    if logical.absorb(outcome, span)? {
                        return Ok(Value::Bool(kind == MacroKind::Exists));
                    }
                }
                logical.finish()
            }
            MacroKind::ExistsOne => {
                let mut strict = Strict::default();
                let mut matched = 0usize;
                for item in items {
                    self.charge(1)?;
                    match self.eval_bound(item, body) {
                        Ok(Value::Bool(b)) => matched += usize::from(b),
                        Ok(other) => strict.note(no_overload("`exists_one`", &other, span))?,
                        Err(flow) => strict.note(flow)?,
                    }
                }
                strict.finish()?;
                Ok(Value::Bool(matched == 1))
            }
            MacroKind::OptMap => Err(fail("internal error: `optMap` over a list", span)),
            MacroKind::Map | MacroKind::Filter => {
                let mut strict = Strict::default();
                let mut out = Vec::new();
                for item in items {
                    self.charge(1)?;
                    // `filter(x, p)` keeps `x` when `p`; `map(x, p, t)` keeps `t` when `p`.
                    let (predicate, transform) = match (kind, filter) {
                        (MacroKind::Filter, _) => (Some(body), None),
                        (_, predicate) => (predicate, Some(body)),
                    };
                    if let Some(predicate) = predicate {
                        match self.eval_bound(item.clone(), predicate) {
                            Ok(Value::Bool(true)) => {}
                            Ok(Value::Bool(false)) => continue,
                            Ok(other) => {
                                strict.note(no_overload(
                                    &format!("`{}`", kind.name()),
                                    &other,
                                    span,
                                ))?;
                                continue;
                            }
                            Err(flow) => {
                                strict.note(flow)?;
                                continue;
                            }
                        }
                    }
                    match transform {
                        Some(transform) => match self.eval_bound(item, transform) {
                            Ok(value) => out.push(value),
                            Err(flow) => strict.note(flow)?,
                        },
                        None => out.push(item),
                    }
                }
                strict.finish()?;
                self.charge(units(out.len()))?;
                Ok(Value::List(out.into()))
            }
        }
    }
}

/// A size as cost units.
pub(crate) fn units(size: usize) -> u64 {
    u64::try_from(size).unwrap_or(u64::MAX)
}

fn describe_key(key: &MapKey) -> String {
    match key {
        MapKey::Bool(b) => b.to_string(),
        MapKey::Int(i) => i.to_string(),
        MapKey::Uint(u) => format!("{u}u"),
        MapKey::String(s) => format!("{s:?}"),
    }
}

/// What `a.f`, `a[k]` (or `a.?f`, `a[?k]`) yield given what was `found`: an optional access
/// wraps it (`optional.none()` when absent), a plain one requires it.
fn accessed(
    found: Option<&Value>,
    optional: bool,
    missing: impl FnOnce() -> Flow,
) -> Result<Value, Flow> {
    match (found, optional) {
        (Some(value), true) => Ok(Value::Optional(Some(Arc::new(value.clone())))),
        (Some(value), false) => Ok(value.clone()),
        (None, true) => Ok(Value::Optional(None)),
        (None, false) => Err(missing()),
    }
}

/// The value of a `?element` list entry or `?key: value` map entry (`None`: leave it out);
/// plain entries pass through.
fn entry(value: Value, optional: bool, span: &Range<usize>) -> Result<Option<Value>, Flow> {
    match (value, optional) {
        (value, false) => Ok(Some(value)),
        (Value::Optional(content), true) => Ok(content.map(|value| (*value).clone())),
        (other, true) => Err(no_overload("an optional entry", &other, span)),
    }
}

fn select_value(
    value: &Value,
    field: &Arc<str>,
    optional: bool,
    span: &Range<usize>,
) -> Result<Value, Flow> {
    match value {
        // Selecting from an optional is optional too: `o.?a.b` means `o.?a.?b`.
        Value::Optional(None) => Ok(Value::Optional(None)),
        Value::Optional(Some(inner)) => select_value(inner, field, true, span),
        Value::Map(map) => accessed(lookup(map, &Value::String(field.clone())), optional, || {
            fail(format!("no such key: `{field}`"), span)
        }),
        other => Err(fail(
            format!(
                "type `{}` does not support field selection",
                other.type_name()
            ),
            span,
        )),
    }
}

fn index_value(
    container: &Value,
    key: &Value,
    optional: bool,
    span: &Range<usize>,
) -> Result<Value, Flow> {
    match container {
        Value::Optional(None) => Ok(Value::Optional(None)),
        Value::Optional(Some(inner)) => index_value(inner, key, true, span),
        Value::List(items) => {
            let position = match key {
                Value::Int(i) => usize::try_from(*i).ok(),
                Value::Uint(u) => usize::try_from(*u).ok(),
                Value::Double(d) if d.fract() == 0.0 && *d >= 0.0 && *d < 9.0e15 => {
                    // INVARIANT: integral, non-negative and far below usize::MAX.
                    #[expect(
                        clippy::cast_possible_truncation,
                        clippy::cast_sign_loss,
                        reason = "checked just above"
                    )]
                    Some(*d as usize)
                }
                other => return Err(no_overload("list index", other, span)),
            };
            accessed(position.and_then(|p| items.get(p)), optional, || {
                fail(
                    format!("index out of bounds: list has {} elements", items.len()),
                    span,
                )
            })
        }
        Value::Map(map) => accessed(lookup(map, key), optional, || {
            let shown = MapKey::from_value(key)
                .map_or_else(|| key.type_name().to_owned(), |k| describe_key(&k));
            fail(format!("no such key: `{shown}`"), span)
        }),
        other => Err(no_overload("`[]`", other, span)),
    }
}
