//! The checked program: what the type checker produces and the evaluator runs.
//!
//! Names are resolved (parameters to indexes, comprehension variables to stack slots, calls to
//! a [`Function`]) and literals are values, so evaluation never looks at source syntax.

use std::ops::Range;
use std::sync::Arc;

use crate::ast::MacroKind;
use crate::value::Value;

#[derive(Clone, Debug)]
pub(crate) struct Node {
    pub(crate) kind: NodeKind,
    /// Where the node was written, for runtime error messages.
    pub(crate) span: Range<usize>,
}

#[derive(Clone, Debug)]
pub(crate) enum NodeKind {
    Constant(Value),
    /// Index into the declared parameters.
    Parameter(usize),
    /// A comprehension variable: index into the evaluator's stack of bound variables.
    Local(usize),
    /// Field selection; an optional operand makes it optional too (`o.?a.b` is `o.?a.?b`).
    Select {
        operand: Box<Node>,
        field: Arc<str>,
        optional: bool,
    },
    Has {
        operand: Box<Node>,
        field: Arc<str>,
    },
    /// Indexing; optional like [`NodeKind::Select`].
    Index {
        operand: Box<Node>,
        index: Box<Node>,
        optional: bool,
    },
    /// A strict call: every argument is evaluated first (a method's receiver is `args[0]`).
    Call {
        function: Function,
        args: Vec<Node>,
    },
    Not(Box<Node>),
    And(Box<Node>, Box<Node>),
    Or(Box<Node>, Box<Node>),
    Conditional {
        cond: Box<Node>,
        then: Box<Node>,
        otherwise: Box<Node>,
    },
    /// Elements, each with whether it is an optional one (`?e`, kept only if present).
    List(Vec<(Node, bool)>),
    /// Entries, each with whether it is an optional one (`?k: v`, kept only if present).
    Map(Vec<(Node, Node, bool)>),
    /// `a.or(b)`: `a` if it holds a value, else `b`, evaluated only then.
    OptionalOr(Box<Node>, Box<Node>),
    /// `a.orValue(b)`: the value `a` holds, else `b`, evaluated only then.
    OptionalOrValue(Box<Node>, Box<Node>),
    /// Binds each element (or map key) of `range` in the next stack slot for `filter` and
    /// `body`.
    Comprehension {
        kind: MacroKind,
        range: Box<Node>,
        filter: Option<Box<Node>>,
        body: Box<Node>,
    },
}

/// A resolved built-in; the evaluator picks the overload from the argument values.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Function {
    Negate,
    Add,
    Subtract,
    Multiply,
    Divide,
    Modulo,
    Equal,
    NotEqual,
    Less,
    LessEqual,
    Greater,
    GreaterEqual,
    In,
    Size,
    Contains,
    StartsWith,
    EndsWith,
    Matches,
    ToBool,
    ToBytes,
    ToDouble,
    ToDuration,
    ToDyn,
    ToInt,
    ToString,
    ToTimestamp,
    ToUint,
    TimePart(TimePart),
    InCidr,
    IsSubtreeOf,
    OptionalOf,
    OptionalOfNonZeroValue,
    OptionalNone,
    OptionalValue,
    OptionalHasValue,
}

impl Function {
    /// The name as written in CEL, for messages.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Function::Negate | Function::Subtract => "-",
            Function::Add => "+",
            Function::Multiply => "*",
            Function::Divide => "/",
            Function::Modulo => "%",
            Function::Equal => "==",
            Function::NotEqual => "!=",
            Function::Less => "<",
            Function::LessEqual => "<=",
            Function::Greater => ">",
            Function::GreaterEqual => ">=",
            Function::In => "in",
            Function::Size => "size",
            Function::Contains => "contains",
            Function::StartsWith => "startsWith",
            Function::EndsWith => "endsWith",
            Function::Matches => "matches",
            Function::ToBool => "bool",
            Function::ToBytes => "bytes",
            Function::ToDouble => "double",
            Function::ToDuration => "duration",
            Function::ToDyn => "dyn",
            Function::ToInt => "int",
            Function::ToString => "string",
            Function::ToTimestamp => "timestamp",
            Function::ToUint => "uint",
            Function::TimePart(part) => TimePart::ALL
                .iter()
                .find(|(_, candidate)| *candidate == part)
                .map_or("get", |(name, _)| name),
            Function::InCidr => "in_cidr",
            Function::IsSubtreeOf => "isSubtreeOf",
            Function::OptionalOf => "optional.of",
            Function::OptionalOfNonZeroValue => "optional.ofNonZeroValue",
            Function::OptionalNone => "optional.none",
            Function::OptionalValue => "value",
            Function::OptionalHasValue => "hasValue",
        }
    }
}

/// The `get*` accessors of timestamps (and, for the clock units, durations).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum TimePart {
    FullYear,
    Month,
    DayOfYear,
    DayOfMonth,
    Date,
    DayOfWeek,
    Hours,
    Minutes,
    Seconds,
    Milliseconds,
}

impl TimePart {
    pub(crate) const ALL: [(&'static str, TimePart); 10] = [
        ("getFullYear", TimePart::FullYear),
        ("getMonth", TimePart::Month),
        ("getDayOfYear", TimePart::DayOfYear),
        ("getDayOfMonth", TimePart::DayOfMonth),
        ("getDate", TimePart::Date),
        ("getDayOfWeek", TimePart::DayOfWeek),
        ("getHours", TimePart::Hours),
        ("getMinutes", TimePart::Minutes),
        ("getSeconds", TimePart::Seconds),
        ("getMilliseconds", TimePart::Milliseconds),
    ];

    /// Whether durations have this accessor too.
    pub(crate) fn applies_to_durations(self) -> bool {
        matches!(
            self,
            Self::Hours | Self::Minutes | Self::Seconds | Self::Milliseconds
        )
    }
}
