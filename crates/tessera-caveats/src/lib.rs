//! SpiceDB caveat expressions: the subset of CEL that caveats are written in, parsed,
//! type-checked against the declared parameters and evaluated with partial context.
//!
//! This crate owns the expression language: lexing, parsing, type checking, evaluation,
//! the conversion of JSON context into typed values, and the [`CaveatType`]s parameters are
//! declared with. It does not own the `caveat name(params) { ... }` schema syntax, the rule
//! that every declared parameter must be used (the schema compiler applies it with
//! [`CompiledCaveat::referenced_parameters`]), nor the merging of relationship and request
//! context (the evaluator's job: relationship values win).
//!
//! Evaluation is three-valued, like cel-go's partial evaluation that SpiceDB relies on: a
//! parameter absent from the context is *unknown*, and the outcome is
//! [`CaveatOutcome::Partial`] only when the result depends on it. The missing list is a
//! superset of SpiceDB's: where cel-go reports only the first unknown argument of an
//! operation (`a + b > 0` without either: `a`), this crate reports all of them (`a`, `b`).
//!
//! ```
//! use tessera_caveats::{CaveatOutcome, CaveatType, CompiledCaveat};
//!
//! let parameters = [
//!     ("user_ip".to_owned(), CaveatType::IpAddress),
//!     ("allowed".to_owned(), CaveatType::List(Box::new(CaveatType::String))),
//!     ("tier".to_owned(), CaveatType::String),
//! ];
//! let caveat = CompiledCaveat::compile(
//!     &parameters,
//!     r#"user_ip.in_cidr("10.0.0.0/8") || tier in allowed"#,
//! )
//! .expect("a valid caveat");
//!
//! let context = |json: serde_json::Value| json.as_object().cloned().unwrap_or_default();
//! // The first operand decides: nothing else is needed.
//! assert_eq!(caveat.evaluate(&context(serde_json::json!({"user_ip": "10.1.2.3"}))), Ok(CaveatOutcome::True));
//! // It does not: the result now depends on both missing parameters.
//! assert_eq!(
//!     caveat.evaluate(&context(serde_json::json!({"user_ip": "192.168.0.1"}))),
//!     Ok(CaveatOutcome::Partial { missing: vec!["allowed".to_owned(), "tier".to_owned()] })
//! );
//!
//! // Compile errors carry byte offsets into the expression.
//! let errors = CompiledCaveat::compile(&parameters, "tier == 1").unwrap_err();
//! assert_eq!(errors[0].message, "no matching overload for `==` applied to `(string, int)`");
//! assert_eq!((errors[0].offset, errors[0].len), (0, 9));
//! ```
//!
//! Supported CEL: literals of every kind, parameters, `.field` and `[index]` access, the
//! operators `! - * / % + < <= > >= == != in && || ?:`, `size`, `contains`, `startsWith`,
//! `endsWith`, `matches`, `has`, the conversions `bool bytes double duration dyn int string
//! timestamp uint`, timestamp/duration arithmetic and `get*` accessors (with time zones),
//! the macros `all exists exists_one map filter`, SpiceDB's `in_cidr` and `isSubtreeOf`, and
//! cel-go's optional values as SpiceDB enables them (`m.?k`, `l[?i]`, `[?e]`, `{?k: v}`,
//! `optional.of/ofNonZeroValue/none`, `hasValue value or orValue optMap`). Not supported:
//! `type()` and type values (`type(x) == int`), protobuf message construction and
//! leading-dot names. SpiceDB enables no CEL extension library, and neither does this crate.

mod ast;
mod caveat;
mod check;
mod error;
mod eval;
mod functions;
mod lexer;
mod parser;
mod program;
mod stack;
mod time;
mod types;
mod value;

pub use caveat::{CaveatLimits, CaveatOutcome, CompiledCaveat};
pub use error::{CaveatDiagnostic, CaveatError};
pub use parser::can_name_variable;
pub use types::CaveatType;
