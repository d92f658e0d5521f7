//! Sets of subjects with wildcards, exclusions and conditions, as lookup subjects computes
//! them. The algebra follows SpiceDB's: a wildcard and concrete subjects live side by side,
//! a wildcard carries the subjects excluded from it, and every member may be conditional.

use std::collections::BTreeMap;

use crate::outcome::Outcome;

/// The public wildcard of a set: every subject of the type but the excluded ones.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Wildcard {
    /// When the wildcard applies. INVARIANT: never [`Outcome::No`].
    pub(crate) outcome: Outcome,
    /// Subjects excluded, each with when it is excluded. INVARIANT: no [`Outcome::No`].
    pub(crate) exclusions: BTreeMap<String, Outcome>,
}

/// Subjects found in a relation or permission.
#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) struct SubjectSet {
    /// Concrete subjects by id, each with when it is a member. INVARIANT: no [`Outcome::No`].
    pub(crate) concrete: BTreeMap<String, Outcome>,
    /// The wildcard, if the set has one.
    pub(crate) wildcard: Option<Wildcard>,
}

/// Keeps `outcome` unless it says "not a member".
fn present(outcome: Outcome) -> Option<Outcome> {
    (!outcome.is_no()).then_some(outcome)
}

/// When a concrete subject with `member` is also in `wildcard`.
fn concrete_in_wildcard(id: &str, member: &Outcome, wildcard: &Wildcard) -> Option<Outcome> {
    let through = member.clone().and(wildcard.outcome.clone());
    match wildcard.exclusions.get(id) {
        None => present(through),
        Some(Outcome::Has) => None,
        Some(excluded) => present(through.and_not(excluded.clone())),
    }
}

impl SubjectSet {
    /// Adds one concrete subject (a union with `{id}`).
    pub(crate) fn add_concrete(&mut self, id: &str, outcome: Outcome) {
        if outcome.is_no() {
            return;
        }
        if let Some(wildcard) = &mut self.wildcard {
            // A subject added beside the wildcard is no longer excluded, unless conditionally.
            if let Some(excluded) = wildcard.exclusions.remove(id) {
                if let Some(still) = present(excluded.and_not(outcome.clone())) {
                    wildcard.exclusions.insert(id.to_owned(), still);
                }
            }
        }
        match self.concrete.get_mut(id) {
            Some(existing) => *existing = std::mem::take(existing).or(outcome),
            None => {
                self.concrete.insert(id.to_owned(), outcome);
            }
        }
    }

    /// Adds a wildcard (a union with `{* - exclusions}`).
    pub(crate) fn add_wildcard(&mut self, added: Wildcard) {
        if added.outcome.is_no() {
            return;
        }
        let merged = match self.wildcard.take() {
            None => added,
            Some(existing) => {
                // Excluded from the union only if excluded from both.
                let exclusions = existing
                    .exclusions
                    .into_iter()
                    .filter_map(|(id, excluded)| {
                        let other = added.exclusions.get(&id)?.clone();
                        present(excluded.and(other)).map(|both| (id, both))
                    })
                    .collect();
                Wildcard {
                    outcome: existing.outcome.or(added.outcome),
                    exclusions,
                }
            }
        };
        self.wildcard = Some(merged);
        let concrete: Vec<(String, Outcome)> = self
            .concrete
            .iter()
            .map(|(id, o)| (id.clone(), o.clone()))
            .collect();
        for (id, outcome) in concrete {
            self.add_concrete(&id, outcome);
        }
    }

    /// `self ∪ (other, where `condition` holds)`.
    pub(crate) fn union_under(&mut self, other: &SubjectSet, condition: &Outcome) {
        if condition.is_no() {
            return;
        }
        let under = |outcome: &Outcome| outcome.clone().and(condition.clone());
        if self.concrete.is_empty() && self.wildcard.is_none() {
            // Nothing to merge with: a copy of `other` is the union.
            self.concrete = other
                .concrete
                .iter()
                .map(|(id, o)| (id.clone(), under(o)))
                .collect();
            self.wildcard = other.wildcard.as_ref().map(|w| Wildcard {
                outcome: under(&w.outcome),
                exclusions: w.exclusions.clone(),
            });
            return;
        }
        for (id, outcome) in &other.concrete {
            self.add_concrete(id, under(outcome));
        }
        if let Some(wildcard) = &other.wildcard {
            let added = Wildcard {
                outcome: under(&wildcard.outcome),
                exclusions: wildcard.exclusions.clone(),
            };
            self.add_wildcard(added);
        }
    }

    /// `self ∩ other`.
    pub(crate) fn intersect(&mut self, other: &SubjectSet) {
        let own_wildcard = self.wildcard.take();
        let mut concrete = BTreeMap::new();
        for (id, outcome) in &self.concrete {
            let both = other
                .concrete
                .get(id)
                .and_then(|o| present(outcome.clone().and(o.clone())));
            let via_wildcard = other
                .wildcard
                .as_ref()
                .and_then(|w| concrete_in_wildcard(id, outcome, w));
            let merged = match (both, via_wildcard) {
                (Some(a), Some(b)) => Some(a.or(b)),
                (a, b) => a.or(b),
            };
            if let Some(merged) = merged {
                concrete.insert(id.clone(), merged);
            }
        }
        if let Some(own) = &own_wildcard {
            for (id, outcome) in &other.concrete {
                if let Some(through) = concrete_in_wildcard(id, outcome, own) {
                    let merged = match concrete.remove(id) {
                        Some(existing) => existing.or(through),
                        None => through,
                    };
                    concrete.insert(id.clone(), merged);
                }
            }
        }
        self.concrete = concrete;
        self.wildcard = match (own_wildcard, &other.wildcard) {
            (Some(own), Some(theirs)) => {
                present(own.outcome.and(theirs.outcome.clone())).map(|outcome| {
                    // Excluded from the intersection if excluded from either.
                    let mut exclusions = own.exclusions;
                    for (id, excluded) in &theirs.exclusions {
                        let merged = match exclusions.remove(id) {
                            Some(existing) => existing.or(excluded.clone()),
                            None => excluded.clone(),
                        };
                        exclusions.insert(id.clone(), merged);
                    }
                    Wildcard {
                        outcome,
                        exclusions,
                    }
                })
            }
            _ => None,
        };
    }

    /// `self − other`.
    pub(crate) fn subtract(&mut self, other: &SubjectSet) {
        for (id, removed) in &other.concrete {
            self.subtract_concrete(id, removed);
        }
        if let Some(removed) = &other.wildcard {
            self.subtract_wildcard(removed);
        }
    }

    fn subtract_concrete(&mut self, id: &str, removed: &Outcome) {
        if let Some(existing) = self.concrete.remove(id) {
            if let Some(left) = present(existing.and_not(removed.clone())) {
                self.concrete.insert(id.to_owned(), left);
            }
        }
        if let Some(wildcard) = &mut self.wildcard {
            let merged = match wildcard.exclusions.remove(id) {
                Some(existing) => existing.or(removed.clone()),
                None => removed.clone(),
            };
            wildcard.exclusions.insert(id.to_owned(), merged);
        }
    }

    fn subtract_wildcard(&mut self, removed: &Wildcard) {
        // Concrete subjects survive only where the removed wildcard does not reach them.
        let concrete = std::mem::take(&mut self.concrete);
        for (id, outcome) in concrete {
            let escapes = match removed.exclusions.get(&id) {
                None => Outcome::Has.and_not(removed.outcome.clone()),
                Some(excluded) => Outcome::Has
                    .and_not(removed.outcome.clone())
                    .or(excluded.clone()),
            };
            if let Some(left) = present(outcome.and(escapes)) {
                self.concrete.insert(id, left);
            }
        }
        let Some(own) = self.wildcard.take() else {
            return;
        };
        // Subjects excluded from the removed wildcard but inside ours stay, as concrete ones.
        for (id, excluded) in &removed.exclusions {
            let own_exclusion = own.exclusions.get(id);
            if matches!(own_exclusion, Some(Outcome::Has)) {
                continue;
            }
            let mut stays = own
                .outcome
                .clone()
                .and(removed.outcome.clone())
                .and(excluded.clone());
            if let Some(own_exclusion) = own_exclusion {
                stays = stays.and_not(own_exclusion.clone());
            }
            if let Some(stays) = present(stays) {
                self.concrete.insert(id.clone(), stays);
            }
        }
        self.wildcard =
            present(own.outcome.and_not(removed.outcome.clone())).map(|outcome| Wildcard {
                outcome,
                exclusions: own.exclusions,
            });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(concrete: &[&str], wildcard: Option<&[&str]>) -> SubjectSet {
        let mut set = SubjectSet::default();
        for id in concrete {
            set.add_concrete(id, Outcome::Has);
        }
        if let Some(excluded) = wildcard {
            let exclusions = excluded
                .iter()
                .map(|id| ((*id).to_owned(), Outcome::Has))
                .collect();
            set.add_wildcard(Wildcard {
                outcome: Outcome::Has,
                exclusions,
            });
        }
        set
    }

    fn ids(set: &SubjectSet) -> (Vec<&str>, Option<Vec<&str>>) {
        let concrete = set.concrete.keys().map(String::as_str).collect();
        let wildcard = set
            .wildcard
            .as_ref()
            .map(|w| w.exclusions.keys().map(String::as_str).collect());
        (concrete, wildcard)
    }

    #[test]
    fn union_keeps_concrete_beside_wildcard_and_intersects_exclusions() {
        let mut a = set(&["tom"], Some(&["sarah", "amy"]));
        a.union_under(&set(&["sarah"], Some(&["amy", "bob"])), &Outcome::Has);
        assert_eq!(ids(&a), (vec!["sarah", "tom"], Some(vec!["amy"])));
    }

    #[test]
    fn intersection_filters_concrete_through_wildcards() {
        let mut a = set(&["tom", "sarah"], None);
        a.intersect(&set(&[], Some(&["sarah"])));
        assert_eq!(ids(&a), (vec!["tom"], None));

        let mut b = set(&[], Some(&["x"]));
        b.intersect(&set(&[], Some(&["y"])));
        assert_eq!(ids(&b), (vec![], Some(vec!["x", "y"])));
    }

    #[test]
    fn subtraction_follows_wildcard_rules() {
        let mut a = set(&["tom", "sarah"], None);
        a.subtract(&set(&[], Some(&["tom"])));
        assert_eq!(ids(&a), (vec!["tom"], None));

        let mut b = set(&[], Some(&[]));
        b.subtract(&set(&["tom"], None));
        assert_eq!(ids(&b), (vec![], Some(vec!["tom"])));

        let mut c = set(&[], Some(&["sarah"]));
        c.subtract(&set(&[], Some(&["tom", "amy", "sarah"])));
        assert_eq!(ids(&c), (vec!["amy", "tom"], None));

        let mut d = set(&[], Some(&[]));
        d.subtract(&set(&[], Some(&[])));
        assert_eq!(ids(&d), (vec![], None));
    }
}
