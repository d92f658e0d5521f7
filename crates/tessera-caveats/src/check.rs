//! Static type checking against the declared parameters, producing the [`Node`] program.
//!
//! The rules are cel-go's as SpiceDB configures it: operands of `==` and of the ordering
//! operators must have the same type unless one is `dyn` (no cross-type numeric comparisons at
//! check time, though the runtime compares numbers across types), functions resolve by overload
//! and a `dyn` argument matches every overload. Errors are collected, not stopped at; a
//! sub-expression that failed gets the type `error`, which silences follow-on errors.

use std::fmt;
use std::ops::Range;
use std::sync::Arc;

use crate::ast::{BinaryOp, Expr, ExprKind, Literal, MacroKind, UnaryOp};
use crate::error::CaveatDiagnostic;
use crate::program::{Function, Node, NodeKind, TimePart};
use crate::types::CaveatType;
use crate::value::Value;

/// A CEL type as the checker sees it.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Type {
    Dyn,
    /// The type of a sub-expression that already failed to check.
    Error,
    Null,
    Bool,
    Int,
    Uint,
    Double,
    String,
    Bytes,
    Duration,
    Timestamp,
    IpAddress,
    List(Box<Type>),
    Map(Box<Type>, Box<Type>),
    Optional(Box<Type>),
}

impl fmt::Display for Type {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name = match self {
            Type::Dyn => "dyn",
            Type::Error => "error",
            Type::Null => "null_type",
            Type::Bool => "bool",
            Type::Int => "int",
            Type::Uint => "uint",
            Type::Double => "double",
            Type::String => "string",
            Type::Bytes => "bytes",
            Type::Duration => "duration",
            Type::Timestamp => "timestamp",
            Type::IpAddress => "ipaddress",
            Type::List(element) => return write!(f, "list({element})"),
            Type::Map(key, value) => return write!(f, "map({key}, {value})"),
            Type::Optional(inner) => return write!(f, "optional_type({inner})"),
        };
        f.write_str(name)
    }
}

impl Type {
    /// The type a parameter has inside expressions. SpiceDB declares `uint` parameters as CEL
    /// `int`s, so `count < limit` and `limit > 0` type-check while `limit > 0u` does not.
    pub(crate) fn of_parameter(declared: &CaveatType) -> Type {
        match declared {
            CaveatType::Any => Type::Dyn,
            CaveatType::Bool => Type::Bool,
            CaveatType::String => Type::String,
            CaveatType::Int | CaveatType::Uint => Type::Int,
            CaveatType::Double => Type::Double,
            CaveatType::Bytes => Type::Bytes,
            CaveatType::Duration => Type::Duration,
            CaveatType::Timestamp => Type::Timestamp,
            CaveatType::IpAddress => Type::IpAddress,
            CaveatType::List(element) => Type::List(Box::new(Type::of_parameter(element))),
            CaveatType::Map(value) => {
                Type::Map(Box::new(Type::String), Box::new(Type::of_parameter(value)))
            }
        }
    }

    fn is_unknown(&self) -> bool {
        matches!(self, Type::Dyn | Type::Error)
    }

    /// The type an optional holds: `T` for `optional_type(T)`, open for `dyn` and `error`.
    fn optional_content(&self) -> Option<Type> {
        match self {
            Type::Optional(inner) => Some((**inner).clone()),
            Type::Dyn | Type::Error => Some(self.clone()),
            _ => None,
        }
    }

    /// `optional_type(self)`, except that `error` stays `error`.
    fn into_optional(self) -> Type {
        if self == Type::Error {
            self
        } else {
            Type::Optional(Box::new(self))
        }
    }

    /// Whether a value of one type may stand where the other is expected; `dyn` matches all.
    fn compatible(&self, other: &Type) -> bool {
        match (self, other) {
            (a, b) if a.is_unknown() || b.is_unknown() => true,
            (Type::List(a), Type::List(b)) | (Type::Optional(a), Type::Optional(b)) => {
                a.compatible(b)
            }
            (Type::Map(ka, va), Type::Map(kb, vb)) => ka.compatible(kb) && va.compatible(vb),
            (a, b) => a == b,
        }
    }

    /// The most specific type covering both, as for the elements of a list literal.
    fn join(&self, other: &Type) -> Type {
        match (self, other) {
            (Type::Error, _) | (_, Type::Error) => Type::Error,
            (a, b) if a == b => a.clone(),
            (Type::List(a), Type::List(b)) => Type::List(Box::new(a.join(b))),
            (Type::Optional(a), Type::Optional(b)) => Type::Optional(Box::new(a.join(b))),
            (Type::Map(ka, va), Type::Map(kb, vb)) => {
                Type::Map(Box::new(ka.join(kb)), Box::new(va.join(vb)))
            }
            _ => Type::Dyn,
        }
    }
}

/// What checking produces: the program and what it needs prepared.
pub(crate) struct Checked {
    pub(crate) program: Node,
    /// Regular expressions written as literals, to compile once.
    pub(crate) literal_patterns: Vec<String>,
}

/// Checks `expr` against `parameters`; the expression must be a `bool`.
pub(crate) fn check(
    expr: &Expr,
    parameters: &[(String, CaveatType)],
) -> Result<Checked, Vec<CaveatDiagnostic>> {
    let mut checker = Checker {
        parameters,
        parameter_types: parameters
            .iter()
            .map(|(_, t)| Type::of_parameter(t))
            .collect(),
        locals: Vec::new(),
        diagnostics: Vec::new(),
        literal_patterns: Vec::new(),
    };
    let (program, result) = checker.check(expr);
    if !result.compatible(&Type::Bool) || result == Type::Dyn {
        checker.diagnostics.push(CaveatDiagnostic {
            message: format!("caveat expression must result in a boolean value: found `{result}`"),
            offset: expr.span.start,
            len: expr.span.len(),
            help: (result == Type::Dyn)
                .then(|| "compare the value explicitly, e.g. `map.flag == true`".to_owned()),
        });
    }
    if !checker.diagnostics.is_empty() {
        return Err(checker.diagnostics);
    }
    Ok(Checked {
        program,
        literal_patterns: checker.literal_patterns,
    })
}

/// One overload: the argument types (a method's receiver first) and the result type.
type Signature = (Vec<Type>, Type);

struct Checker<'a> {
    parameters: &'a [(String, CaveatType)],
    parameter_types: Vec<Type>,
    /// Comprehension variables in scope, innermost last.
    locals: Vec<(String, Type)>,
    diagnostics: Vec<CaveatDiagnostic>,
    literal_patterns: Vec<String>,
}

fn node(kind: NodeKind, span: &Range<usize>) -> Node {
    Node {
        kind,
        span: span.clone(),
    }
}

impl Checker<'_> {
    fn report(&mut self, message: String, span: &Range<usize>, help: Option<String>) -> Type {
        self.diagnostics.push(CaveatDiagnostic {
            message,
            offset: span.start,
            len: span.len(),
            help,
        });
        Type::Error
    }

    fn check(&mut self, expr: &Expr) -> (Node, Type) {
        crate::stack::guarded(|| self.check_here(expr))
    }

    fn check_here(&mut self, expr: &Expr) -> (Node, Type) {
        let span = &expr.span;
        match &expr.kind {
            ExprKind::Literal(literal) => {
                let (value, ty) = match literal {
                    Literal::Null => (Value::Null, Type::Null),
                    Literal::Bool(b) => (Value::Bool(*b), Type::Bool),
                    Literal::Int(i) => (Value::Int(*i), Type::Int),
                    Literal::Uint(u) => (Value::Uint(*u), Type::Uint),
                    Literal::Double(d) => (Value::Double(*d), Type::Double),
                    Literal::String(s) => (Value::string(s), Type::String),
                    Literal::Bytes(b) => (Value::Bytes(b.as_slice().into()), Type::Bytes),
                };
                (node(NodeKind::Constant(value), span), ty)
            }
            ExprKind::Ident(name) => self.identifier(name, span),
            ExprKind::Select {
                operand,
                field,
                optional,
            } => self.select(operand, field, *optional, span),
            ExprKind::Has { operand, field } => {
                let (operand, ty) = self.check(operand);
                let result = match ty {
                    Type::Map(..) | Type::Dyn => Type::Bool,
                    Type::Error => Type::Error,
                    other => {
                        self.report(format!("`has()` needs a map, found `{other}`"), span, None)
                    }
                };
                (
                    node(
                        NodeKind::Has {
                            operand: Box::new(operand),
                            field: Arc::from(field.as_str()),
                        },
                        span,
                    ),
                    result,
                )
            }
            ExprKind::Index {
                operand,
                index,
                optional,
            } => self.index(operand, index, *optional, span),
            ExprKind::Call {
                target,
                function,
                function_span,
                args,
            } => self.call(target.as_deref(), function, function_span, args, span),
            ExprKind::Unary {
                op: UnaryOp::Not,
                operand,
            } => {
                let (operand, ty) = self.check(operand);
                let result =
                    self.resolve("!", &[ty], &[(vec![Type::Bool], Type::Bool)], span, false);
                (node(NodeKind::Not(Box::new(operand)), span), result)
            }
            ExprKind::Unary {
                op: UnaryOp::Negate,
                operand,
            } => {
                let (operand, ty) = self.check(operand);
                let overloads = [
                    (vec![Type::Int], Type::Int),
                    (vec![Type::Double], Type::Double),
                ];
                let result = self.resolve("-", &[ty], &overloads, span, false);
                (
                    node(
                        NodeKind::Call {
                            function: Function::Negate,
                            args: vec![operand],
                        },
                        span,
                    ),
                    result,
                )
            }
            ExprKind::Binary { op, lhs, rhs } => self.binary(*op, lhs, rhs, span),
            ExprKind::Conditional {
                cond,
                then,
                otherwise,
            } => {
                let (cond, cond_type) = self.check(cond);
                let (then, then_type) = self.check(then);
                let (otherwise, otherwise_type) = self.check(otherwise);
                if !cond_type.compatible(&Type::Bool) {
                    self.report(
                        format!("the condition of `? :` must be a `bool`, found `{cond_type}`"),
                        &cond.span,
                        None,
                    );
                }
                let result = if then_type.compatible(&otherwise_type) {
                    then_type.join(&otherwise_type)
                } else {
                    self.report(
                        format!("the branches of `? :` have different types `{then_type}` and `{otherwise_type}`"),
                        span,
                        None,
                    )
                };
                let kind = NodeKind::Conditional {
                    cond: Box::new(cond),
                    then: Box::new(then),
                    otherwise: Box::new(otherwise),
                };
                (node(kind, span), result)
            }
            ExprKind::List(items) => {
                let mut element = None;
                let mut nodes = Vec::with_capacity(items.len());
                for (item, optional) in items {
                    let (node, mut ty) = self.check(item);
                    if *optional {
                        ty = self.optional_entry(ty, &item.span);
                    }
                    element = Some(element.map_or(ty.clone(), |e: Type| e.join(&ty)));
                    nodes.push((node, *optional));
                }
                let element = element.unwrap_or(Type::Dyn);
                (
                    node(NodeKind::List(nodes), span),
                    Type::List(Box::new(element)),
                )
            }
            ExprKind::Map(entries) => self.map_literal(entries, span),
            ExprKind::Comprehension {
                kind,
                range,
                var,
                filter,
                body,
            } => self.comprehension(*kind, range, var, filter.as_deref(), body, span),
        }
    }

    fn identifier(&mut self, name: &str, span: &Range<usize>) -> (Node, Type) {
        if let Some(level) = self.locals.iter().rposition(|(local, _)| local == name) {
            let ty = self
                .locals
                .get(level)
                .map_or(Type::Error, |(_, ty)| ty.clone());
            return (node(NodeKind::Local(level), span), ty);
        }
        if let Some(index) = self
            .parameters
            .iter()
            .position(|(parameter, _)| parameter == name)
        {
            let ty = self
                .parameter_types
                .get(index)
                .cloned()
                .unwrap_or(Type::Error);
            return (node(NodeKind::Parameter(index), span), ty);
        }
        let names: Vec<String> = self
            .parameters
            .iter()
            .map(|(name, _)| format!("`{name}`"))
            .collect();
        let help = if names.is_empty() {
            None
        } else {
            Some(format!("the caveat's parameters are {}", names.join(", ")))
        };
        let ty = self.report(format!("undeclared reference to `{name}`"), span, help);
        (node(NodeKind::Constant(Value::Null), span), ty)
    }

    fn select(
        &mut self,
        operand: &Expr,
        field: &str,
        optional: bool,
        span: &Range<usize>,
    ) -> (Node, Type) {
        let (operand, ty) = self.check(operand);
        // Selecting from an optional is optional too: `o.?a.b` means `o.?a.?b`.
        let (container, optional_result) = match ty {
            Type::Optional(inner) => (*inner, true),
            other => (other, optional),
        };
        let result = match container {
            Type::Map(key, value) if key.compatible(&Type::String) => *value,
            Type::Dyn => Type::Dyn,
            Type::Error => Type::Error,
            other => self.report(
                format!("type `{other}` does not support field selection"),
                span,
                matches!(other, Type::Map(..))
                    .then(|| "index the map instead, e.g. `m[1]`".to_owned()),
            ),
        };
        let kind = NodeKind::Select {
            operand: Box::new(operand),
            field: Arc::from(field),
            optional,
        };
        let result = if optional_result {
            result.into_optional()
        } else {
            result
        };
        (node(kind, span), result)
    }

    fn index(
        &mut self,
        operand: &Expr,
        index: &Expr,
        optional: bool,
        span: &Range<usize>,
    ) -> (Node, Type) {
        let (operand, operand_type) = self.check(operand);
        let (index, index_type) = self.check(index);
        let (container, optional_result) = match operand_type {
            Type::Optional(inner) => (*inner, true),
            other => (other, optional),
        };
        let result = match (container, index_type) {
            (Type::Error, _) | (_, Type::Error) => Type::Error,
            (Type::List(element), key) if key.compatible(&Type::Int) => *element,
            (Type::Map(key, value), index) if key.compatible(&index) => *value,
            (Type::Dyn, _) => Type::Dyn,
            (container, key) => self.report(
                format!("no matching overload for `[]` applied to `({container}, {key})`"),
                span,
                None,
            ),
        };
        let kind = NodeKind::Index {
            operand: Box::new(operand),
            index: Box::new(index),
            optional,
        };
        let result = if optional_result {
            result.into_optional()
        } else {
            result
        };
        (node(kind, span), result)
    }

    /// The element type of a `?element` list entry or `?key: value` map entry, which must be
    /// an optional.
    fn optional_entry(&mut self, ty: Type, span: &Range<usize>) -> Type {
        ty.optional_content().unwrap_or_else(|| {
            self.report(
                format!("an optional entry needs an optional value, found `{ty}`"),
                span,
                Some("wrap it in `optional.of(...)` or drop the `?`".to_owned()),
            )
        })
    }

    fn map_literal(&mut self, entries: &[(Expr, Expr, bool)], span: &Range<usize>) -> (Node, Type) {
        let mut key_type: Option<Type> = None;
        let mut value_type: Option<Type> = None;
        let mut nodes = Vec::with_capacity(entries.len());
        for (key, value, optional) in entries {
            let (key_node, kt) = self.check(key);
            let (value_node, mut vt) = self.check(value);
            if *optional {
                vt = self.optional_entry(vt, &value.span);
            }
            if !matches!(
                kt,
                Type::Bool | Type::Int | Type::Uint | Type::String | Type::Dyn | Type::Error
            ) {
                self.report(
                    format!("unsupported map key type `{kt}`"),
                    &key.span,
                    Some("map keys must be `bool`, `int`, `uint` or `string`".to_owned()),
                );
            }
            key_type = Some(key_type.map_or(kt.clone(), |k| k.join(&kt)));
            value_type = Some(value_type.map_or(vt.clone(), |v| v.join(&vt)));
            nodes.push((key_node, value_node, *optional));
        }
        let ty = Type::Map(
            Box::new(key_type.unwrap_or(Type::Dyn)),
            Box::new(value_type.unwrap_or(Type::Dyn)),
        );
        (node(NodeKind::Map(nodes), span), ty)
    }

    fn comprehension(
        &mut self,
        kind: MacroKind,
        range: &Expr,
        var: &str,
        filter: Option<&Expr>,
        body: &Expr,
        span: &Range<usize>,
    ) -> (Node, Type) {
        let (range, range_type) = self.check(range);
        let var_type = match (&range_type, kind) {
            (Type::Optional(inner), MacroKind::OptMap) => (**inner).clone(),
            (Type::List(element), _) if kind != MacroKind::OptMap => (**element).clone(),
            (Type::Map(key, _), _) if kind != MacroKind::OptMap => (**key).clone(),
            (Type::Dyn, _) => Type::Dyn,
            (Type::Error, _) => Type::Error,
            (other, MacroKind::OptMap) => self.report(
                format!("`optMap` needs an optional, found `{other}`"),
                &range.span,
                None,
            ),
            (other, _) => self.report(
                format!("`{}` needs a list or a map, found `{other}`", kind.name()),
                &range.span,
                None,
            ),
        };
        self.locals.push((var.to_owned(), var_type.clone()));
        let filter = filter.map(|filter| {
            let (filter_node, ty) = self.check(filter);
            self.expect_bool(&ty, kind, &filter.span);
            Box::new(filter_node)
        });
        let (body_node, body_type) = self.check(body);
        self.locals.pop();
        let result = match kind {
            MacroKind::All | MacroKind::Exists | MacroKind::ExistsOne => {
                self.expect_bool(&body_type, kind, &body.span);
                Type::Bool
            }
            MacroKind::Map => Type::List(Box::new(body_type)),
            MacroKind::OptMap => body_type.into_optional(),
            MacroKind::Filter => {
                self.expect_bool(&body_type, kind, &body.span);
                Type::List(Box::new(var_type))
            }
        };
        let kind = NodeKind::Comprehension {
            kind,
            range: Box::new(range),
            filter,
            body: Box::new(body_node),
        };
        (node(kind, span), result)
    }

    fn expect_bool(&mut self, ty: &Type, kind: MacroKind, span: &Range<usize>) {
        if !ty.compatible(&Type::Bool) {
            self.report(
                format!(
                    "the predicate of `{}` must be a `bool`, found `{ty}`",
                    kind.name()
                ),
                span,
                None,
            );
        }
    }

    /// Picks the overloads matching `args`; the result is theirs if they agree, else `dyn`.
    fn resolve(
        &mut self,
        name: &str,
        args: &[Type],
        overloads: &[Signature],
        span: &Range<usize>,
        method: bool,
    ) -> Type {
        if args.contains(&Type::Error) {
            return Type::Error;
        }
        let mut results = overloads
            .iter()
            .filter(|(params, _)| {
                params.len() == args.len() && params.iter().zip(args).all(|(p, a)| p.compatible(a))
            })
            .map(|(_, result)| result);
        let Some(first) = results.next() else {
            let shown: Vec<String> = args.iter().map(ToString::to_string).collect();
            let applied = match shown.split_first() {
                Some((receiver, rest)) if method => format!("{receiver}.({})", rest.join(", ")),
                _ => format!("({})", shown.join(", ")),
            };
            return self.report(
                format!("no matching overload for `{name}` applied to `{applied}`"),
                span,
                None,
            );
        };
        if results.all(|other| other == first) {
            first.clone()
        } else {
            Type::Dyn
        }
    }

    fn binary(
        &mut self,
        op: BinaryOp,
        lhs: &Expr,
        rhs: &Expr,
        span: &Range<usize>,
    ) -> (Node, Type) {
        let (lhs, lt) = self.check(lhs);
        let (rhs, rt) = self.check(rhs);
        let args = [lt.clone(), rt.clone()];
        let symbol = op.symbol();
        let numeric = || {
            [Type::Int, Type::Uint, Type::Double]
                .map(|t| (vec![t.clone(), t.clone()], t))
                .to_vec()
        };
        let (function, result) = match op {
            BinaryOp::And | BinaryOp::Or => {
                let result = self.resolve(
                    symbol,
                    &args,
                    &[(vec![Type::Bool, Type::Bool], Type::Bool)],
                    span,
                    false,
                );
                let kind = if op == BinaryOp::And {
                    NodeKind::And(Box::new(lhs), Box::new(rhs))
                } else {
                    NodeKind::Or(Box::new(lhs), Box::new(rhs))
                };
                return (node(kind, span), result);
            }
            BinaryOp::Equal | BinaryOp::NotEqual => {
                let result = if lt.compatible(&rt) {
                    Type::Bool
                } else {
                    self.resolve(symbol, &args, &[], span, false)
                };
                let function = if op == BinaryOp::Equal {
                    Function::Equal
                } else {
                    Function::NotEqual
                };
                (function, result)
            }
            BinaryOp::Less | BinaryOp::LessEqual | BinaryOp::Greater | BinaryOp::GreaterEqual => {
                let orderable = [
                    Type::Bool,
                    Type::Int,
                    Type::Uint,
                    Type::Double,
                    Type::String,
                    Type::Bytes,
                    Type::Duration,
                    Type::Timestamp,
                ];
                let overloads: Vec<Signature> = orderable
                    .into_iter()
                    .map(|t| (vec![t.clone(), t], Type::Bool))
                    .collect();
                let function = match op {
                    BinaryOp::Less => Function::Less,
                    BinaryOp::LessEqual => Function::LessEqual,
                    BinaryOp::Greater => Function::Greater,
                    _ => Function::GreaterEqual,
                };
                (
                    function,
                    self.resolve(symbol, &args, &overloads, span, false),
                )
            }
            BinaryOp::In => {
                let result = match &rt {
                    Type::List(element) if lt.compatible(element) => Type::Bool,
                    Type::Map(key, _) if lt.compatible(key) => Type::Bool,
                    Type::Dyn => Type::Bool,
                    _ => self.resolve(symbol, &args, &[], span, false),
                };
                (Function::In, result)
            }
            BinaryOp::Add => {
                let result = match (&lt, &rt) {
                    (Type::List(a), Type::List(b)) if a.compatible(b) => {
                        Type::List(Box::new(a.join(b)))
                    }
                    (Type::List(_), Type::Dyn) => lt.clone(),
                    (Type::Dyn, Type::List(_)) => rt.clone(),
                    _ => {
                        let mut overloads = numeric();
                        for t in [Type::String, Type::Bytes, Type::Duration] {
                            overloads.push((vec![t.clone(), t.clone()], t));
                        }
                        overloads.push((vec![Type::Timestamp, Type::Duration], Type::Timestamp));
                        overloads.push((vec![Type::Duration, Type::Timestamp], Type::Timestamp));
                        overloads.push((
                            vec![
                                Type::List(Box::new(Type::Dyn)),
                                Type::List(Box::new(Type::Dyn)),
                            ],
                            Type::List(Box::new(Type::Dyn)),
                        ));
                        self.resolve(symbol, &args, &overloads, span, false)
                    }
                };
                (Function::Add, result)
            }
            BinaryOp::Subtract => {
                let mut overloads = numeric();
                overloads.push((vec![Type::Duration, Type::Duration], Type::Duration));
                overloads.push((vec![Type::Timestamp, Type::Timestamp], Type::Duration));
                overloads.push((vec![Type::Timestamp, Type::Duration], Type::Timestamp));
                (
                    Function::Subtract,
                    self.resolve(symbol, &args, &overloads, span, false),
                )
            }
            BinaryOp::Multiply => (
                Function::Multiply,
                self.resolve(symbol, &args, &numeric(), span, false),
            ),
            BinaryOp::Divide => (
                Function::Divide,
                self.resolve(symbol, &args, &numeric(), span, false),
            ),
            BinaryOp::Modulo => {
                let overloads = [Type::Int, Type::Uint].map(|t| (vec![t.clone(), t.clone()], t));
                (
                    Function::Modulo,
                    self.resolve(symbol, &args, &overloads, span, false),
                )
            }
        };
        (
            node(
                NodeKind::Call {
                    function,
                    args: vec![lhs, rhs],
                },
                span,
            ),
            result,
        )
    }

    fn call(
        &mut self,
        target: Option<&Expr>,
        name: &str,
        name_span: &Range<usize>,
        args: &[Expr],
        span: &Range<usize>,
    ) -> (Node, Type) {
        // `optional.of(x)` is a function of the `optional` namespace, unless a parameter or a
        // comprehension variable is named `optional`.
        let namespaced = target
            .is_some_and(|t| matches!(&t.kind, ExprKind::Ident(n) if n == "optional"))
            && !self.is_bound("optional");
        let target = if namespaced { None } else { target };
        let mut nodes = Vec::with_capacity(args.len() + 1);
        let mut types = Vec::with_capacity(args.len() + 1);
        for expr in target.into_iter().chain(args) {
            let (node, ty) = self.check(expr);
            nodes.push(node);
            types.push(ty);
        }
        let optional_method =
            target.is_some() && ["value", "hasValue", "or", "orValue"].contains(&name);
        if namespaced || optional_method {
            let qualified = if namespaced {
                format!("optional.{name}")
            } else {
                name.to_owned()
            };
            return self.optional_call(&qualified, nodes, &types, name_span, span);
        }
        let Some((function, overloads)) = signatures(name, target.is_some()) else {
            let help = match (name, target.is_some()) {
                ("length" | "len", _) => Some("use `size()`".to_owned()),
                (_, false) if signatures(name, true).is_some() => {
                    Some(format!("call it as a method: `x.{name}(...)`"))
                }
                (_, true) if signatures(name, false).is_some() => {
                    Some(format!("call it as a function: `{name}(x)`"))
                }
                _ => None,
            };
            let ty = self.report(format!("undeclared reference to `{name}`"), name_span, help);
            return (node(NodeKind::Constant(Value::Null), span), ty);
        };
        let result = self.resolve(name, &types, &overloads, span, target.is_some());
        if function == Function::Matches {
            if let Some(NodeKind::Constant(Value::String(pattern))) = nodes.get(1).map(|n| &n.kind)
            {
                self.literal_patterns.push(pattern.to_string());
            }
        }
        (
            node(
                NodeKind::Call {
                    function,
                    args: nodes,
                },
                span,
            ),
            result,
        )
    }

    fn is_bound(&self, name: &str) -> bool {
        self.locals.iter().any(|(local, _)| local == name)
            || self
                .parameters
                .iter()
                .any(|(parameter, _)| parameter == name)
    }

    /// The optional library (cel-go's `OptionalTypes`, which SpiceDB enables), whose result
    /// types follow their arguments' types.
    fn optional_call(
        &mut self,
        name: &str,
        nodes: Vec<Node>,
        types: &[Type],
        name_span: &Range<usize>,
        span: &Range<usize>,
    ) -> (Node, Type) {
        let call = |function, args| NodeKind::Call { function, args };
        let content = types.first().and_then(Type::optional_content);
        let mut args = nodes.into_iter();
        let (kind, result) = match (name, types, content) {
            ("optional.of", [ty], _) => (
                call(Function::OptionalOf, args.collect()),
                ty.clone().into_optional(),
            ),
            ("optional.ofNonZeroValue", [ty], _) => (
                call(Function::OptionalOfNonZeroValue, args.collect()),
                ty.clone().into_optional(),
            ),
            ("optional.none", [], _) => (
                call(Function::OptionalNone, Vec::new()),
                Type::Dyn.into_optional(),
            ),
            ("value", [_], Some(content)) => {
                (call(Function::OptionalValue, args.collect()), content)
            }
            ("hasValue", [_], Some(_)) => {
                (call(Function::OptionalHasValue, args.collect()), Type::Bool)
            }
            ("or", [_, other], Some(content))
                if other.compatible(&content.clone().into_optional()) =>
            {
                let (Some(lhs), Some(rhs)) = (args.next(), args.next()) else {
                    return (node(NodeKind::Constant(Value::Null), span), Type::Error);
                };
                let result = content.into_optional().join(other);
                (NodeKind::OptionalOr(Box::new(lhs), Box::new(rhs)), result)
            }
            ("orValue", [_, other], Some(content)) if other.compatible(&content) => {
                let (Some(lhs), Some(rhs)) = (args.next(), args.next()) else {
                    return (node(NodeKind::Constant(Value::Null), span), Type::Error);
                };
                (
                    NodeKind::OptionalOrValue(Box::new(lhs), Box::new(rhs)),
                    content.join(other),
                )
            }
            ("optional.of" | "optional.ofNonZeroValue" | "optional.none", ..) => {
                let ty = self.resolve(name, types, &[], span, false);
                return (node(NodeKind::Constant(Value::Null), span), ty);
            }
            (qualified, ..) if qualified.starts_with("optional.") => {
                let ty = self.report(
                    format!("undeclared reference to `{qualified}`"),
                    name_span,
                    None,
                );
                return (node(NodeKind::Constant(Value::Null), span), ty);
            }
            _ => {
                let ty = self.resolve(name, types, &[], span, true);
                return (node(NodeKind::Constant(Value::Null), span), ty);
            }
        };
        (node(kind, span), result)
    }
}

/// The named functions and methods and their overloads (receiver first for methods).
fn signatures(name: &str, method: bool) -> Option<(Function, Vec<Signature>)> {
    use Type::{Bool, Bytes, Double, Duration, Int, IpAddress, String, Timestamp, Uint};
    let unary = |function, from: &[Type], to: Type| {
        Some((
            function,
            from.iter().map(|t| (vec![t.clone()], to.clone())).collect(),
        ))
    };
    let string_predicate = |function| Some((function, vec![(vec![String, String], Bool)]));
    let any_list = Type::List(Box::new(Type::Dyn));
    let any_map = Type::Map(Box::new(Type::Dyn), Box::new(Type::Dyn));
    let string_map = Type::Map(Box::new(String), Box::new(Type::Dyn));
    match (name, method) {
        ("size", _) => unary(Function::Size, &[String, Bytes, any_list, any_map], Int),
        ("matches", _) => string_predicate(Function::Matches),
        ("contains", true) => string_predicate(Function::Contains),
        ("startsWith", true) => string_predicate(Function::StartsWith),
        ("endsWith", true) => string_predicate(Function::EndsWith),
        ("in_cidr", true) => Some((Function::InCidr, vec![(vec![IpAddress, String], Bool)])),
        ("isSubtreeOf", true) => Some((
            Function::IsSubtreeOf,
            vec![(vec![string_map.clone(), string_map], Bool)],
        )),
        ("bool", false) => unary(Function::ToBool, &[Bool, String], Bool),
        ("bytes", false) => unary(Function::ToBytes, &[Bytes, String], Bytes),
        ("double", false) => unary(Function::ToDouble, &[Int, Uint, Double, String], Double),
        ("duration", false) => unary(Function::ToDuration, &[Duration, String], Duration),
        ("dyn", false) => Some((Function::ToDyn, vec![(vec![Type::Dyn], Type::Dyn)])),
        ("int", false) => unary(
            Function::ToInt,
            &[Int, Uint, Double, String, Timestamp],
            Int,
        ),
        ("string", false) => unary(
            Function::ToString,
            &[Bool, Int, Uint, Double, String, Bytes, Duration, Timestamp],
            String,
        ),
        ("timestamp", false) => unary(Function::ToTimestamp, &[Timestamp, String, Int], Timestamp),
        ("uint", false) => unary(Function::ToUint, &[Int, Uint, Double, String], Uint),
        (_, true) => {
            let (_, part) = TimePart::ALL
                .into_iter()
                .find(|(accessor, _)| *accessor == name)?;
            let mut overloads = vec![(vec![Timestamp], Int), (vec![Timestamp, String], Int)];
            if part.applies_to_durations() {
                overloads.push((vec![Duration], Int));
            }
            Some((Function::TimePart(part), overloads))
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parser::parse;

    fn params() -> Vec<(std::string::String, CaveatType)> {
        [
            ("i", "int"),
            ("u", "uint"),
            ("d", "double"),
            ("s", "string"),
            ("b", "bool"),
            ("by", "bytes"),
            ("dur", "duration"),
            ("ts", "timestamp"),
            ("ip", "ipaddress"),
            ("a", "any"),
            ("li", "list<int>"),
            ("ls", "list<string>"),
            ("ma", "map<any>"),
            ("mi", "map<int>"),
        ]
        .into_iter()
        .map(|(name, ty)| (name.to_owned(), ty.parse().unwrap()))
        .collect()
    }

    fn check_text(text: &str) -> Result<Checked, Vec<CaveatDiagnostic>> {
        check(&parse(text, 100).unwrap(), &params())
    }

    fn errors(text: &str) -> Vec<(std::string::String, usize, usize)> {
        match check_text(text) {
            Ok(_) => panic!("`{text}` type-checked"),
            Err(diagnostics) => diagnostics
                .into_iter()
                .map(|d| (d.message, d.offset, d.len))
                .collect(),
        }
    }

    fn first_error(text: &str) -> std::string::String {
        errors(text).remove(0).0
    }

    #[test]
    fn well_typed_expressions_pass() {
        let good = [
            "i == 42 && u < 10 && u > 0 && d >= 1.5",
            "s == 'x' || s.startsWith('a') || s.endsWith('b') || s.contains('c') || s.matches('^d+$')",
            "matches(s, 'x') && size(s) > 0 && s.size() > 0 && size(by) > 0 && size(li) > 0 && size(ma) > 0",
            "b && !b || b ? true : false",
            "ts + dur > ts && ts - dur < ts && ts - ts > duration('1h') && dur + dur == dur - dur",
            "ts.getHours() == 1 && ts.getHours('UTC') == 1 && dur.getMinutes() == 0 && ts.getDayOfWeek() < 7",
            "ip.in_cidr('10.0.0.0/8') && ip == ip",
            "ma.isSubtreeOf(ma) && mi.isSubtreeOf(ma)",
            "ma.foo == 42 && ma['bar'] < 56 && has(ma.baz) && 'k' in ma && mi.k + 1 > 0",
            "li.all(x, x >= 42) && li.exists(x, x == 1) && li.exists_one(x, x == 2)",
            "li.map(x, x * 2).filter(y, y > 2).size() == 1 && li.map(x, x > 1, s) == ls",
            "ma.all(k, k.startsWith('a')) && a.exists(x, x == 1)",
            "1 in li && s in ls && li[0] == 1 && ls + ['x'] == ls && [] == li",
            "a == 1 && a > 1.0 && a + a == a && a.b.c == 'x' && a[0] == a",
            "int(s) == i && uint(i) == 1u && double(i) == d && string(i) == s && bytes(s) == by",
            "bool('true') && timestamp('2023-01-01T00:00:00Z') < ts && duration('1s') > dur && dyn(i) == 1.5",
            "int(ts) > 0 && timestamp(0) < ts && string(dur) == s && string(ts) == s",
            "{'a': 1, 'b': 2}['a'] == 1 && {1: 'x'}[1] == 'x' && [1, 'a'].size() == 2",
            "null == null && a == null && i % 2 == 0 && -i < 0 && -d < 0.0 && i / 2 * 3 - 1 == 0",
            "ls.exists(i, i == 'x') && i == 1",
        ];
        for text in good {
            assert!(
                check_text(text).is_ok(),
                "{text}: {:?}",
                check_text(text).err()
            );
        }
    }

    #[test]
    fn type_errors_are_located() {
        assert_eq!(
            errors("i == 'x'"),
            [(
                "no matching overload for `==` applied to `(int, string)`".to_owned(),
                0,
                8
            )]
        );
        assert_eq!(
            errors("s + 1 == s")[0],
            (
                "no matching overload for `+` applied to `(string, int)`".to_owned(),
                0,
                5
            )
        );
        assert_eq!(errors("nope == 1")[0].0, "undeclared reference to `nope`");
        assert_eq!(
            errors("i < 1.0")[0].0,
            "no matching overload for `<` applied to `(int, double)`"
        );
        assert_eq!(
            errors("u > 0u")[0].0,
            "no matching overload for `>` applied to `(int, uint)`"
        );
        assert_eq!(
            first_error("s.contains(1)"),
            "no matching overload for `contains` applied to `string.(int)`"
        );
        assert_eq!(
            first_error("i.contains('a')"),
            "no matching overload for `contains` applied to `int.(string)`"
        );
        assert_eq!(first_error("s.foo()"), "undeclared reference to `foo`");
        assert_eq!(
            first_error("i.f == 1"),
            "type `int` does not support field selection"
        );
        assert_eq!(first_error("has(i.f)"), "`has()` needs a map, found `int`");
        assert_eq!(
            first_error("i[0] == 1"),
            "no matching overload for `[]` applied to `(int, int)`"
        );
        assert_eq!(
            first_error("li['a'] == 1"),
            "no matching overload for `[]` applied to `(list(int), string)`"
        );
        assert_eq!(
            first_error("i.all(x, x)"),
            "`all` needs a list or a map, found `int`"
        );
        assert_eq!(
            first_error("li.all(x, x)"),
            "the predicate of `all` must be a `bool`, found `int`"
        );
        assert_eq!(
            first_error("(i ? true : false)"),
            "the condition of `? :` must be a `bool`, found `int`"
        );
        assert_eq!(
            first_error("b ? 1 : 'x'"),
            "the branches of `? :` have different types `int` and `string`"
        );
        assert_eq!(
            first_error("{1.5: 1}.size() == 1"),
            "unsupported map key type `double`"
        );
        assert_eq!(
            first_error("1 in s"),
            "no matching overload for `in` applied to `(int, string)`"
        );
        assert_eq!(
            first_error("'a' in li"),
            "no matching overload for `in` applied to `(string, list(int))`"
        );
        assert_eq!(
            first_error("-(1u) == 1u"),
            "no matching overload for `-` applied to `(uint)`"
        );
        assert_eq!(
            first_error("dur.getFullYear() == 1"),
            "no matching overload for `getFullYear` applied to `duration.()`"
        );
        assert_eq!(
            first_error("ip.in_cidr(1)"),
            "no matching overload for `in_cidr` applied to `ipaddress.(int)`"
        );
        assert_eq!(
            first_error("size(1) == 1"),
            "no matching overload for `size` applied to `(int)`"
        );
        assert_eq!(
            first_error("li.size(1) == 1"),
            "no matching overload for `size` applied to `list(int).(int)`"
        );
    }

    #[test]
    fn the_result_must_be_bool() {
        assert_eq!(
            errors("i + 1"),
            [(
                "caveat expression must result in a boolean value: found `int`".to_owned(),
                0,
                5
            )]
        );
        let diagnostics = check_text("ma.flag").err().unwrap();
        assert_eq!(
            diagnostics[0].message,
            "caveat expression must result in a boolean value: found `dyn`"
        );
        assert!(diagnostics[0].help.is_some());
    }

    #[test]
    fn errors_do_not_cascade_and_all_are_reported() {
        assert_eq!(
            errors("nope.x.y + 1 == 2 && other"),
            [
                ("undeclared reference to `nope`".to_owned(), 0, 4),
                ("undeclared reference to `other`".to_owned(), 21, 5),
            ]
        );
    }

    #[test]
    fn misplaced_calls_get_help() {
        let diagnostics = check_text("s.length() > 0").err().unwrap();
        assert_eq!(diagnostics[0].help.as_deref(), Some("use `size()`"));
        let diagnostics = check_text("contains(s, 'a')").err().unwrap();
        assert_eq!(
            diagnostics[0].help.as_deref(),
            Some("call it as a method: `x.contains(...)`")
        );
        let diagnostics = check_text("s.int() == 1").err().unwrap();
        assert_eq!(
            diagnostics[0].help.as_deref(),
            Some("call it as a function: `int(x)`")
        );
    }

    #[test]
    fn literal_regexes_are_collected() {
        let checked = check_text("s.matches('a+') || matches(s, s)").unwrap();
        assert_eq!(checked.literal_patterns, ["a+"]);
    }
}
