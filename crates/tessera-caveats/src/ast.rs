//! The parsed, unchecked expression tree, with byte spans into the source.

use std::collections::BTreeSet;
use std::ops::Range;

/// A parsed expression.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Expr {
    pub(crate) kind: ExprKind,
    pub(crate) span: Range<usize>,
    /// Levels of nodes at and below this one; the parser rejects trees taller than the depth
    /// limit, so every later recursive walk (checker, evaluator, drop) is bounded.
    pub(crate) height: usize,
}

#[derive(Clone, Debug, PartialEq)]
pub(crate) enum ExprKind {
    Literal(Literal),
    Ident(String),
    /// `operand.field`, or `operand.?field` when `optional`.
    Select {
        operand: Box<Expr>,
        field: String,
        optional: bool,
    },
    /// `has(operand.field)`
    Has {
        operand: Box<Expr>,
        field: String,
    },
    /// `operand[index]`, or `operand[?index]` when `optional`.
    Index {
        operand: Box<Expr>,
        index: Box<Expr>,
        optional: bool,
    },
    /// `function(args)` or, with a target, `target.function(args)`.
    Call {
        target: Option<Box<Expr>>,
        function: String,
        function_span: Range<usize>,
        args: Vec<Expr>,
    },
    Unary {
        op: UnaryOp,
        operand: Box<Expr>,
    },
    Binary {
        op: BinaryOp,
        lhs: Box<Expr>,
        rhs: Box<Expr>,
    },
    /// `cond ? then : otherwise`
    Conditional {
        cond: Box<Expr>,
        then: Box<Expr>,
        otherwise: Box<Expr>,
    },
    /// Elements, each with whether it was written `?element` (kept only if present).
    List(Vec<(Expr, bool)>),
    /// Entries, each with whether it was written `?key: value` (kept only if present).
    Map(Vec<(Expr, Expr, bool)>),
    /// `range.all(var, body)` and the other comprehension macros; `filter` is the predicate of
    /// the three-argument `map(var, filter, body)`.
    Comprehension {
        kind: MacroKind,
        range: Box<Expr>,
        var: String,
        filter: Option<Box<Expr>>,
        body: Box<Expr>,
    },
}

#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Literal {
    Null,
    Bool(bool),
    Int(i64),
    Uint(u64),
    Double(f64),
    String(String),
    Bytes(Vec<u8>),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum UnaryOp {
    Not,
    Negate,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum BinaryOp {
    Or,
    And,
    Equal,
    NotEqual,
    Less,
    LessEqual,
    Greater,
    GreaterEqual,
    In,
    Add,
    Subtract,
    Multiply,
    Divide,
    Modulo,
}

impl BinaryOp {
    /// The operator as written, for messages.
    pub(crate) fn symbol(self) -> &'static str {
        match self {
            Self::Or => "||",
            Self::And => "&&",
            Self::Equal => "==",
            Self::NotEqual => "!=",
            Self::Less => "<",
            Self::LessEqual => "<=",
            Self::Greater => ">",
            Self::GreaterEqual => ">=",
            Self::In => "in",
            Self::Add => "+",
            Self::Subtract => "-",
            Self::Multiply => "*",
            Self::Divide => "/",
            Self::Modulo => "%",
        }
    }
}

/// The comprehension macros of cel-spec ("Macros").
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum MacroKind {
    All,
    Exists,
    ExistsOne,
    Map,
    Filter,
    /// `optional.optMap(var, body)`: the body applied to the optional's value, if any.
    OptMap,
}

impl MacroKind {
    pub(crate) fn name(self) -> &'static str {
        match self {
            Self::All => "all",
            Self::Exists => "exists",
            Self::ExistsOne => "exists_one",
            Self::Map => "map",
            Self::Filter => "filter",
            Self::OptMap => "optMap",
        }
    }
}

impl Expr {
    /// Collects the identifiers written in the expression the way SpiceDB counts parameter
    /// use when it rejects unused parameters (`referencedParameters` in `pkg/caveats`): every
    /// identifier counts, even one a comprehension variable shadows, except inside map
    /// literal keys, which SpiceDB's walk skips.
    pub(crate) fn mentions<'a>(&'a self, out: &mut BTreeSet<&'a str>) {
        match &self.kind {
            ExprKind::Literal(_) => {}
            ExprKind::Ident(name) => {
                out.insert(name);
            }
            ExprKind::Select { operand, .. }
            | ExprKind::Has { operand, .. }
            | ExprKind::Unary { operand, .. } => operand.mentions(out),
            ExprKind::Index {
                operand: lhs,
                index: rhs,
                ..
            }
            | ExprKind::Binary { lhs, rhs, .. } => {
                lhs.mentions(out);
                rhs.mentions(out);
            }
            ExprKind::Call { target, args, .. } => {
                target.iter().for_each(|target| target.mentions(out));
                args.iter().for_each(|arg| arg.mentions(out));
            }
            ExprKind::Conditional {
                cond,
                then,
                otherwise,
            } => {
                [cond, then, otherwise]
                    .into_iter()
                    .for_each(|part| part.mentions(out));
            }
            ExprKind::List(items) => items.iter().for_each(|(item, _)| item.mentions(out)),
            ExprKind::Map(entries) => entries.iter().for_each(|(_, value, _)| value.mentions(out)),
            ExprKind::Comprehension {
                range,
                filter,
                body,
                ..
            } => {
                range.mentions(out);
                filter.iter().for_each(|filter| filter.mentions(out));
                body.mentions(out);
            }
        }
    }
}
