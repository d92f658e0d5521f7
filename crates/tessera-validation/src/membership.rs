//! The subjects a recursive expansion reaches, and through which relations: what the
//! `validation` section of a file lists.

use std::collections::{BTreeMap, BTreeSet};

use tessera_eval::{ExpandNode, ExpandTree};
use tessera_types::WILDCARD_ID;

/// One subject reached by an expansion.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
struct Reached {
    /// Reached only through caveated relationships.
    caveated: bool,
    /// For a wildcard: subjects excluded from it (`type:id`).
    excluded: BTreeSet<String>,
    /// The `type:id#relation` leaves it was found in.
    relations: BTreeSet<String>,
}

/// Subject text (`type:id[#rel]`) → how it was reached.
type Members = BTreeMap<String, Reached>;

/// The subjects of `tree` as the validation format writes them (`user:tom`,
/// `user:tom[...]` when caveated, `user:* - {user:bob}` for a wildcard with exclusions), each
/// with the sorted relations it was found through.
pub(crate) fn found_subjects(tree: &ExpandTree) -> BTreeMap<String, Vec<String>> {
    members(tree)
        .into_iter()
        .map(|(subject, reached)| {
            let mut text = subject;
            if reached.caveated {
                text.push_str("[...]");
            }
            if !reached.excluded.is_empty() {
                let excluded: Vec<&str> = reached.excluded.iter().map(String::as_str).collect();
                text = format!("{text} - {{{}}}", excluded.join(", "));
            }
            (text, reached.relations.into_iter().collect())
        })
        .collect()
}

fn wildcard_of(subject: &str) -> Option<String> {
    let (object_type, _) = subject.split_once(':')?;
    (!subject.contains('#')).then(|| format!("{object_type}:{WILDCARD_ID}"))
}

fn members(tree: &ExpandTree) -> Members {
    match &tree.node {
        ExpandNode::Leaf(subjects) => {
            let relation = format!("{}#{}", tree.object, tree.relation);
            subjects
                .iter()
                .map(|s| {
                    let reached = Reached {
                        caveated: s.caveated,
                        excluded: BTreeSet::new(),
                        relations: BTreeSet::from([relation.clone()]),
                    };
                    (s.subject.to_string(), reached)
                })
                .collect()
        }
        ExpandNode::Union(children) => {
            let mut all = Members::new();
            for child in children {
                for (subject, reached) in members(child) {
                    match all.get_mut(&subject) {
                        None => {
                            all.insert(subject, reached);
                        }
                        Some(existing) => {
                            existing.caveated &= reached.caveated;
                            existing.excluded = existing
                                .excluded
                                .intersection(&reached.excluded)
                                .cloned()
                                .collect();
                            existing.relations.extend(reached.relations);
                        }
                    }
                }
            }
            all
        }
        ExpandNode::Intersection(children) => {
            let mut sets = children.iter().map(members);
            let Some(mut all) = sets.next() else {
                return Members::new();
            };
            for other in sets {
                all = all
                    .into_iter()
                    .filter_map(|(subject, mut reached)| {
                        let through = other
                            .get(&subject)
                            .or_else(|| wildcard_of(&subject).and_then(|w| other.get(&w)))
                            .filter(|found| !found.excluded.contains(&subject))?;
                        reached.caveated |= through.caveated;
                        reached.relations.extend(through.relations.iter().cloned());
                        Some((subject, reached))
                    })
                    .collect();
            }
            all
        }
        ExpandNode::Exclusion(children) => {
            let Some((first, rest)) = children.split_first() else {
                return Members::new();
            };
            let mut all = members(first);
            for other in rest.iter().map(members) {
                all.retain(|subject, _| {
                    let removed_directly = other.get(subject).is_some_and(|found| !found.caveated);
                    let removed_by_wildcard = wildcard_of(subject)
                        .and_then(|w| other.get(&w))
                        .is_some_and(|found| !found.caveated && !found.excluded.contains(subject));
                    !(removed_directly || removed_by_wildcard)
                });
                for (subject, reached) in all.iter_mut() {
                    if subject.ends_with(WILDCARD_ID) {
                        let prefix = &subject[..subject.len() - WILDCARD_ID.len()];
                        reached.excluded.extend(
                            other
                                .keys()
                                .filter(|s| s.starts_with(prefix) && !s.contains('#'))
                                .cloned(),
                        );
                    }
                }
            }
            all
        }
    }
}
