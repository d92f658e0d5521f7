//! Three-valued answers: a subject is in a set, is not, or is if a caveat expression holds.

use std::collections::BTreeSet;
use std::sync::Arc;

use tessera_schema::ir::CaveatId;
use tessera_types::CaveatContext;

/// A boolean expression over caveats whose value is not known yet (context is missing).
#[derive(Clone, Debug, PartialEq)]
pub enum CaveatExpr {
    /// One caveat with the context it was evaluated with; true or false once all of
    /// `missing` is supplied.
    Caveat(Arc<PendingCaveat>),
    /// Every operand holds.
    And(Vec<CaveatExpr>),
    /// At least one operand holds.
    Or(Vec<CaveatExpr>),
    /// The operand does not hold.
    Not(Box<CaveatExpr>),
}

/// A caveat that could not be decided for lack of context.
#[derive(Clone, Debug, PartialEq)]
pub struct PendingCaveat {
    /// Which caveat.
    pub caveat: CaveatId,
    /// The caveat's name, for reports.
    pub name: String,
    /// The context it was evaluated with (relationship values over request values).
    pub context: CaveatContext,
    /// The parameters whose absence left it undecided, sorted.
    pub missing: Vec<String>,
}

impl CaveatExpr {
    /// Every parameter some undecided caveat in the expression still needs, sorted.
    pub fn missing_context(&self) -> Vec<String> {
        let mut missing = BTreeSet::new();
        self.collect_missing(&mut missing);
        missing.into_iter().collect()
    }

    fn collect_missing(&self, into: &mut BTreeSet<String>) {
        match self {
            CaveatExpr::Caveat(pending) => into.extend(pending.missing.iter().cloned()),
            CaveatExpr::And(operands) | CaveatExpr::Or(operands) => {
                operands
                    .iter()
                    .for_each(|operand| operand.collect_missing(into));
            }
            CaveatExpr::Not(operand) => operand.collect_missing(into),
        }
    }
}

/// Whether a subject is in a set.
#[derive(Clone, Debug, PartialEq, Default)]
pub enum Outcome {
    /// It is not.
    #[default]
    No,
    /// It is, unconditionally.
    Has,
    /// It is if the expression holds.
    Conditional(CaveatExpr),
}

impl Outcome {
    /// Whether the subject is certainly in the set.
    pub fn is_has(&self) -> bool {
        matches!(self, Outcome::Has)
    }

    /// Whether the subject is certainly not in the set.
    pub fn is_no(&self) -> bool {
        matches!(self, Outcome::No)
    }

    /// Membership in either set.
    #[must_use]
    pub fn or(self, other: Outcome) -> Outcome {
        match (self, other) {
            (Outcome::Has, _) | (_, Outcome::Has) => Outcome::Has,
            (Outcome::No, other) | (other, Outcome::No) => other,
            (Outcome::Conditional(a), Outcome::Conditional(b)) => {
                Outcome::Conditional(join(Junction::Any, a, b))
            }
        }
    }

    /// Membership in both sets.
    #[must_use]
    pub fn and(self, other: Outcome) -> Outcome {
        match (self, other) {
            (Outcome::No, _) | (_, Outcome::No) => Outcome::No,
            (Outcome::Has, other) | (other, Outcome::Has) => other,
            (Outcome::Conditional(a), Outcome::Conditional(b)) => {
                Outcome::Conditional(join(Junction::All, a, b))
            }
        }
    }

    /// Membership in this set but not in `other`.
    #[must_use]
    pub fn and_not(self, other: Outcome) -> Outcome {
        match (self, other) {
            (Outcome::No, _) | (_, Outcome::Has) => Outcome::No,
            (this, Outcome::No) => this,
            (Outcome::Has, Outcome::Conditional(b)) => Outcome::Conditional(negate(b)),
            (Outcome::Conditional(a), Outcome::Conditional(b)) => {
                Outcome::Conditional(join(Junction::All, a, negate(b)))
            }
        }
    }
}

fn negate(expr: CaveatExpr) -> CaveatExpr {
    match expr {
        CaveatExpr::Not(inner) => *inner,
        other => CaveatExpr::Not(Box::new(other)),
    }
}

/// Which boolean connective joins operands.
#[derive(Clone, Copy)]
enum Junction {
    All,
    Any,
}

/// `a` and `b` joined, flattening operands that already use the same connective so chains
/// stay shallow.
fn join(junction: Junction, a: CaveatExpr, b: CaveatExpr) -> CaveatExpr {
    let mut operands = Vec::with_capacity(2);
    for expr in [a, b] {
        match (junction, expr) {
            (Junction::All, CaveatExpr::And(inner)) | (Junction::Any, CaveatExpr::Or(inner)) => {
                operands.extend(inner);
            }
            (_, other) => operands.push(other),
        }
    }
    match junction {
        Junction::All => CaveatExpr::And(operands),
        Junction::Any => CaveatExpr::Or(operands),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pending(name: &str, missing: &[&str]) -> Outcome {
        Outcome::Conditional(CaveatExpr::Caveat(Arc::new(PendingCaveat {
            caveat: CaveatId(0),
            name: name.to_owned(),
            context: CaveatContext::new(),
            missing: missing.iter().map(|m| (*m).to_owned()).collect(),
        })))
    }

    #[test]
    fn certain_answers_absorb_as_in_boolean_logic() {
        let c = pending("c", &["x"]);
        assert_eq!(Outcome::Has.or(c.clone()), Outcome::Has);
        assert_eq!(Outcome::No.or(c.clone()), c);
        assert_eq!(Outcome::No.and(c.clone()), Outcome::No);
        assert_eq!(Outcome::Has.and(c.clone()), c);
        assert_eq!(c.clone().and_not(Outcome::Has), Outcome::No);
        assert_eq!(c.clone().and_not(Outcome::No), c);
        assert_eq!(Outcome::No.and_not(c.clone()), Outcome::No);
    }

    #[test]
    fn conditions_combine_and_report_what_they_miss() {
        let Outcome::Conditional(expr) = pending("a", &["x"])
            .or(pending("b", &["y"]))
            .or(pending("c", &["x", "z"]))
        else {
            panic!("expected a condition");
        };
        assert!(matches!(&expr, CaveatExpr::Or(operands) if operands.len() == 3));
        assert_eq!(expr.missing_context(), ["x", "y", "z"]);

        let Outcome::Conditional(negated) = Outcome::Has.and_not(pending("a", &["x"])) else {
            panic!("expected a condition");
        };
        assert!(matches!(negated, CaveatExpr::Not(_)));
    }
}
