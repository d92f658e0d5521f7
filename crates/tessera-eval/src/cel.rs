//! Caveats decided by their CEL expressions.

use tessera_caveats::{CaveatError, CaveatOutcome, CompiledCaveat};
use tessera_schema::ir::{CaveatId, Schema};
use tessera_types::CaveatContext;

use crate::caveat::{CaveatEvaluator, CaveatVerdict};
use crate::error::EvalError;

/// Every caveat of a schema, compiled once, indexed like [`Schema::caveats`].
#[derive(Debug)]
pub struct CelCaveats {
    caveats: Vec<(String, CompiledCaveat)>,
}

impl CelCaveats {
    /// Compiles every caveat of `schema`.
    ///
    /// # Errors
    /// [`EvalError::CaveatEvaluation`] naming a caveat whose expression does not compile (the
    /// schema compiler rejects those first, so this only fires for a hand-built schema).
    pub fn compile(schema: &Schema) -> Result<Self, EvalError> {
        let caveats = schema
            .caveats
            .iter()
            .map(|caveat| {
                let parameters: Vec<_> = caveat
                    .parameters
                    .iter()
                    .map(|p| (p.name.clone(), p.parameter_type.clone()))
                    .collect();
                let compiled =
                    CompiledCaveat::compile(&parameters, &caveat.expression).map_err(|errors| {
                        let messages: Vec<String> = errors.into_iter().map(|e| e.message).collect();
                        EvalError::CaveatEvaluation {
                            caveat: caveat.name.clone(),
                            message: messages.join("; "),
                        }
                    })?;
                Ok((caveat.name.clone(), compiled))
            })
            .collect::<Result<_, EvalError>>()?;
        Ok(Self { caveats })
    }
}

impl CaveatEvaluator for CelCaveats {
    fn evaluate(
        &self,
        caveat: CaveatId,
        context: &CaveatContext,
    ) -> Result<CaveatVerdict, EvalError> {
        let Some((name, compiled)) = self.caveats.get(caveat.0 as usize) else {
            return Err(EvalError::UnknownCaveat(format!("#{}", caveat.0)));
        };
        match compiled.evaluate(context) {
            Ok(CaveatOutcome::True) => Ok(CaveatVerdict::True),
            Ok(CaveatOutcome::False) => Ok(CaveatVerdict::False),
            Ok(CaveatOutcome::Partial { missing }) => Ok(CaveatVerdict::Missing(missing)),
            Err(CaveatError::ParameterType {
                parameter,
                expected,
                reason,
            }) => Err(EvalError::CaveatParameterType {
                caveat: name.clone(),
                parameter,
                message: format!("expected a `{expected}`: {reason}"),
            }),
            Err(err) => Err(EvalError::CaveatEvaluation {
                caveat: name.clone(),
                message: err.to_string(),
            }),
        }
    }
}
