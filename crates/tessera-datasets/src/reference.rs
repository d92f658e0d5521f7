//! The reference evaluator that decides the expected answers: `dataset.py`'s `Evaluator`,
//! transcribed.
//!
//! It is deliberately naive and shares nothing with `tessera-eval`: a depth-first walk of the
//! [`Model`]'s expressions over a sorted copy of the relationships, memoised per question.
//! SpiceDB's set semantics for caveat-free schemas: union is OR, intersection AND, exclusion
//! `A AND NOT B`; an arrow follows the tupleset relation's plain object subjects; a subject set
//! recurses into its relation; `user:*` matches every user. The generated data has no cycles
//! (groups and folders only point one level up), and meeting one is reported as an error
//! rather than answered.

use std::collections::{HashMap, HashSet};

use crate::error::DatasetError;
use crate::model::{Expr, Model, NO_RELATION, Rel, Subject, Tuple, Ty};

/// Answers checks over a fixed set of relationships.
#[derive(Debug)]
pub(crate) struct Reference<'m> {
    model: &'m Model,
    /// Sorted, so one object's relation is a contiguous run.
    index: Vec<Tuple>,
}

/// `(type, id, relation or permission name)`.
type Key = (Ty, u32, &'static str);

impl<'m> Reference<'m> {
    pub(crate) fn new(model: &'m Model, tuples: &[Tuple]) -> Self {
        let mut index = tuples.to_vec();
        index.sort_unstable();
        Self { model, index }
    }

    /// Whether `subject` (a plain object) has `name` on `ty:id`.
    pub(crate) fn check(
        &self,
        ty: Ty,
        id: u32,
        name: &'static str,
        subject: Subject,
    ) -> Result<bool, DatasetError> {
        let mut question = Question {
            reference: self,
            subject,
            memo: HashMap::new(),
            on_path: HashSet::new(),
        };
        question.check((ty, id, name))
    }

    /// The relationships `ty:id#relation@…`.
    fn subjects(&self, rel: Rel, id: u32) -> &[Tuple] {
        let key = (rel.ty, id, rel.relation);
        let start = self
            .index
            .partition_point(|t| (t.resource_type, t.resource_id, t.relation) < key);
        let len = self.index[start..]
            .partition_point(|t| (t.resource_type, t.resource_id, t.relation) == key);
        &self.index[start..start + len]
    }
}

/// One check in progress.
struct Question<'r, 'm> {
    reference: &'r Reference<'m>,
    subject: Subject,
    memo: HashMap<Key, bool>,
    on_path: HashSet<Key>,
}

impl Question<'_, '_> {
    fn check(&mut self, key: Key) -> Result<bool, DatasetError> {
        if let Some(&known) = self.memo.get(&key) {
            return Ok(known);
        }
        if !self.on_path.insert(key) {
            return Err(DatasetError::Model(format!(
                "the data has a cycle through {}:{}#{}",
                self.reference.model.definition(key.0).name,
                key.1,
                key.2
            )));
        }
        let (ty, id, name) = key;
        let definition = self.reference.model.definition(ty);
        let answer = if let Some(relation) =
            definition.relations.iter().position(|r| r.name == name)
        {
            self.relation(
                Rel {
                    ty,
                    relation: u8::try_from(relation)
                        .map_err(|_| DatasetError::Model("too many relations".into()))?,
                },
                id,
            )?
        } else if let Some(permission) = definition.permissions.iter().find(|p| p.name == name) {
            self.expr(&permission.expr, ty, id)?
        } else {
            false
        };
        self.on_path.remove(&key);
        self.memo.insert(key, answer);
        Ok(answer)
    }

    /// Whether a stored relationship of `ty:id#relation` admits the subject.
    fn relation(&mut self, rel: Rel, id: u32) -> Result<bool, DatasetError> {
        let model = self.reference.model;
        for tuple in self.reference.subjects(rel, id) {
            let s = tuple.subject;
            let found = if s.relation == NO_RELATION {
                s.ty == self.subject.ty && (s.id == self.subject.id || s.is_wildcard())
            } else {
                let name = model.relation_name(Rel {
                    ty: s.ty,
                    relation: s.relation,
                });
                self.check((s.ty, s.id, name))?
            };
            if found {
                return Ok(true);
            }
        }
        Ok(false)
    }

    fn expr(&mut self, expr: &'static Expr, ty: Ty, id: u32) -> Result<bool, DatasetError> {
        match expr {
            Expr::Rel(name) => self.check((ty, id, *name)),
            Expr::Arrow(tupleset, target) => {
                let model = self.reference.model;
                let Some(relation) = model
                    .definition(ty)
                    .relations
                    .iter()
                    .position(|r| r.name == *tupleset)
                    .and_then(|r| u8::try_from(r).ok())
                else {
                    return Ok(false);
                };
                let rel = Rel { ty, relation };
                for tuple in self.reference.subjects(rel, id) {
                    let s = tuple.subject;
                    if s.relation != NO_RELATION || s.is_wildcard() {
                        continue;
                    }
                    let d = model.definition(s.ty);
                    let defined = d.relations.iter().any(|r| r.name == *target)
                        || d.permissions.iter().any(|p| p.name == *target);
                    if defined && self.check((s.ty, s.id, *target))? {
                        return Ok(true);
                    }
                }
                Ok(false)
            }
            Expr::Union(operands) => {
                for operand in *operands {
                    if self.expr(operand, ty, id)? {
                        return Ok(true);
                    }
                }
                Ok(false)
            }
            Expr::Inter(operands) => {
                for operand in *operands {
                    if !self.expr(operand, ty, id)? {
                        return Ok(false);
                    }
                }
                Ok(true)
            }
            Expr::Excl(base, subtracted) => {
                Ok(self.expr(base, ty, id)? && !self.expr(subtracted, ty, id)?)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Definition, PermissionDef, RelationDef};

    static MODEL: Model = Model {
        definitions: &[
            Definition {
                name: "user",
                id_prefix: "u",
                relations: &[],
                permissions: &[],
            },
            Definition {
                name: "group",
                id_prefix: "g",
                relations: &[RelationDef {
                    name: "member",
                    allowed: &["user", "group#member"],
                }],
                permissions: &[],
            },
            Definition {
                name: "doc",
                id_prefix: "d",
                relations: &[
                    RelationDef {
                        name: "parent",
                        allowed: &["doc"],
                    },
                    RelationDef {
                        name: "reader",
                        allowed: &["user", "user:*", "group#member"],
                    },
                    RelationDef {
                        name: "banned",
                        allowed: &["user"],
                    },
                ],
                permissions: &[
                    PermissionDef {
                        name: "view",
                        expr: Expr::Excl(
                            &Expr::Union(&[Expr::Rel("reader"), Expr::Arrow("parent", "view")]),
                            &Expr::Rel("banned"),
                        ),
                    },
                    PermissionDef {
                        name: "both",
                        expr: Expr::Inter(&[Expr::Rel("reader"), Expr::Arrow("parent", "view")]),
                    },
                ],
            },
        ],
    };

    const USER: Ty = 0;
    const GROUP_MEMBER: Rel = Rel { ty: 1, relation: 0 };
    const DOC: Ty = 2;
    const PARENT: Rel = Rel { ty: 2, relation: 0 };
    const READER: Rel = Rel { ty: 2, relation: 1 };
    const BANNED: Rel = Rel { ty: 2, relation: 2 };

    fn user(id: u32) -> Subject {
        Subject::object(USER, id)
    }

    fn view(reference: &Reference<'_>, doc: u32, u: u32) -> bool {
        reference.check(DOC, doc, "view", user(u)).unwrap()
    }

    #[test]
    fn groups_arrows_wildcards_and_exclusions_follow_spicedb() {
        let tuples = [
            // doc 0 is read by group 1, which contains group 0, which contains user 1.
            Tuple::new(READER, 0, Subject::set(GROUP_MEMBER, 1)),
            Tuple::new(GROUP_MEMBER, 1, Subject::set(GROUP_MEMBER, 0)),
            Tuple::new(GROUP_MEMBER, 0, user(1)),
            // doc 1 inherits from doc 0 and bans user 1; doc 2 is public.
            Tuple::new(PARENT, 1, Subject::object(DOC, 0)),
            Tuple::new(BANNED, 1, user(1)),
            Tuple::new(READER, 2, Subject::wildcard(USER)),
            Tuple::new(READER, 1, user(2)),
        ];
        let reference = Reference::new(&MODEL, &tuples);
        assert!(view(&reference, 0, 1));
        assert!(!view(&reference, 0, 2));
        assert!(!view(&reference, 1, 1), "banned");
        assert!(view(&reference, 1, 2));
        assert!(view(&reference, 2, 99), "public");
        assert!(!reference.check(DOC, 1, "both", user(2)).unwrap());
        assert!(!reference.check(DOC, 0, "nothing", user(1)).unwrap());
    }

    #[test]
    fn a_cycle_is_an_error_not_an_answer() {
        let tuples = [
            Tuple::new(GROUP_MEMBER, 0, Subject::set(GROUP_MEMBER, 1)),
            Tuple::new(GROUP_MEMBER, 1, Subject::set(GROUP_MEMBER, 0)),
            Tuple::new(READER, 0, Subject::set(GROUP_MEMBER, 0)),
        ];
        let reference = Reference::new(&MODEL, &tuples);
        assert!(reference.check(DOC, 0, "view", user(1)).is_err());
    }
}
