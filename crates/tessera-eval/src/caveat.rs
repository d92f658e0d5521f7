//! The seam between graph evaluation and caveat (CEL) evaluation.

use std::fmt;

use tessera_schema::ir::CaveatId;
use tessera_types::CaveatContext;

use crate::error::EvalError;

/// What a caveat says about one context.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CaveatVerdict {
    /// The condition holds.
    True,
    /// The condition does not hold.
    False,
    /// The condition depends on parameters the context lacks (sorted names).
    Missing(Vec<String>),
}

/// Decides caveats of a compiled schema against a context.
pub trait CaveatEvaluator: Send + Sync + fmt::Debug {
    /// Evaluates caveat `caveat` with `context` (relationship values already merged over
    /// request values).
    ///
    /// # Errors
    /// [`EvalError::CaveatParameterType`] for context values of the wrong type,
    /// [`EvalError::CaveatEvaluation`] when evaluation fails or exceeds its cost limit.
    fn evaluate(
        &self,
        caveat: CaveatId,
        context: &CaveatContext,
    ) -> Result<CaveatVerdict, EvalError>;
}

/// Merges a relationship's stored caveat context over the request's context: stored values
/// win, as in SpiceDB.
pub(crate) fn merge_context(request: &CaveatContext, stored: &CaveatContext) -> CaveatContext {
    let mut merged = request.clone();
    merged.extend(
        stored
            .iter()
            .map(|(key, value)| (key.clone(), value.clone())),
    );
    merged
}
