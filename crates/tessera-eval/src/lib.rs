//! Tessera's evaluator: decides what a subject may do.
//!
//! Given a compiled schema ([`tessera_schema::ir::Schema`]) and a store snapshot, it answers
//! check and bulk check (with explanations on request), expand, lookup resources and lookup
//! subjects. Answers are three-valued: a caveated relationship yields a caveat expression
//! that flows through every operator, and the [`CaveatEvaluator`] decides it when context
//! allows. Cycles in the data terminate; depth is limited ([`EvalConfig::max_depth`]).
//!
//! The evaluator never sees credentials, never picks a revision (the caller pins the
//! snapshot), and knows nothing of gRPC or RocksDB.

mod cache;
mod caveat;
mod cel;
mod check;
mod error;
mod evaluator;
mod expand;
mod graph;
mod lookup_resources;
mod lookup_subjects;
mod outcome;
mod subject_set;
mod trace;
mod walker;

pub use cache::{CacheCounters, CheckCache};
pub use caveat::{CaveatEvaluator, CaveatVerdict};
pub use cel::CelCaveats;
pub use check::{CheckRequest, CheckResult, Permissionship};
pub use error::EvalError;
pub use evaluator::{DEFAULT_MAX_DEPTH, EvalConfig, Evaluator};
pub use expand::{ExpandDepth, ExpandNode, ExpandTree, ExpandedSubject};
pub use lookup_resources::{FoundResource, LookupResourcesRequest};
pub use lookup_subjects::{FoundSubject, LookupSubjectsRequest};
pub use outcome::{CaveatExpr, Outcome, PendingCaveat};
pub use trace::{TraceResult, TraceStep};
