//! A shape's schema as data, and its relationships in a compact form.
//!
//! The same [`Model`] prints the `.zed` text and drives the reference evaluator, as in
//! `dataset.py`, so the schema the store is loaded with and the one the expected answers come
//! from cannot drift apart. Relationships are kept as 12-byte [`Tuple`]s of type, relation and
//! numeric ids (`u42` is user 42): ten million of them fit in 120 MB, where as
//! [`Relationship`]s they would take gigabytes. They become text or [`Relationship`]s one at a
//! time, on the way out.

use std::fmt::Write as _;

use tessera_types::{ObjectRef, Relationship, SubjectRef, TypesError};

use crate::error::DatasetError;

/// A permission expression, SpiceDB's operators over relation names.
#[derive(Debug)]
pub(crate) enum Expr {
    /// A relation or permission of the same object.
    Rel(&'static str),
    /// `tupleset->target`: the target on every object the tupleset relation points at.
    Arrow(&'static str, &'static str),
    /// `a + b + …`
    Union(&'static [Expr]),
    /// `a & b & …`
    Inter(&'static [Expr]),
    /// `a - b`
    Excl(&'static Expr, &'static Expr),
}

/// `relation name: allowed | …`, each allowed subject written as in the schema language.
#[derive(Debug)]
pub(crate) struct RelationDef {
    pub(crate) name: &'static str,
    pub(crate) allowed: &'static [&'static str],
}

/// `permission name = expr`.
#[derive(Debug)]
pub(crate) struct PermissionDef {
    pub(crate) name: &'static str,
    pub(crate) expr: Expr,
}

/// One object type: its relations, permissions, and the prefix of its generated ids.
#[derive(Debug)]
pub(crate) struct Definition {
    pub(crate) name: &'static str,
    pub(crate) id_prefix: &'static str,
    pub(crate) relations: &'static [RelationDef],
    pub(crate) permissions: &'static [PermissionDef],
}

/// A shape's whole schema.
#[derive(Debug)]
pub(crate) struct Model {
    pub(crate) definitions: &'static [Definition],
}

/// A relation of a type, by index: `model.definitions[ty].relations[relation]`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Rel {
    pub(crate) ty: u8,
    pub(crate) relation: u8,
}

/// A type, by index into `model.definitions`.
pub(crate) type Ty = u8;

/// The subject id of the wildcard `type:*`.
pub(crate) const WILDCARD: u32 = u32::MAX;
/// The subject relation of a plain object subject (the ellipsis).
pub(crate) const NO_RELATION: u8 = u8::MAX;

/// The subject of a relationship: an object, an object's relation (a subject set), or `type:*`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) struct Subject {
    pub(crate) ty: Ty,
    pub(crate) id: u32,
    pub(crate) relation: u8,
}

impl Subject {
    pub(crate) fn object(ty: Ty, id: u32) -> Self {
        Self {
            ty,
            id,
            relation: NO_RELATION,
        }
    }

    pub(crate) fn set(rel: Rel, id: u32) -> Self {
        Self {
            ty: rel.ty,
            id,
            relation: rel.relation,
        }
    }

    pub(crate) fn wildcard(ty: Ty) -> Self {
        Self::object(ty, WILDCARD)
    }

    pub(crate) fn is_wildcard(&self) -> bool {
        self.id == WILDCARD
    }

    /// The relation of a subject set, `None` for an object or a wildcard.
    pub(crate) fn set_rel(&self) -> Option<Rel> {
        (self.relation != NO_RELATION).then_some(Rel {
            ty: self.ty,
            relation: self.relation,
        })
    }
}

/// One relationship `resource_type:id#relation@subject`. The derived order groups a
/// resource's relation together, which the reference evaluator's index relies on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) struct Tuple {
    pub(crate) resource_type: Ty,
    pub(crate) resource_id: u32,
    pub(crate) relation: u8,
    pub(crate) subject: Subject,
}

impl Tuple {
    pub(crate) fn new(rel: Rel, resource_id: u32, subject: Subject) -> Self {
        Self {
            resource_type: rel.ty,
            resource_id,
            relation: rel.relation,
            subject,
        }
    }

    pub(crate) fn rel(&self) -> Rel {
        Rel {
            ty: self.resource_type,
            relation: self.relation,
        }
    }
}

/// Appends `tuple` unless the block of `tuples` from `block_start` on already has it. A
/// relationship may appear only once (stores reject duplicates), and the generators only
/// draw the same subject twice within one object's grants.
pub(crate) fn push_unique(tuples: &mut Vec<Tuple>, block_start: usize, tuple: Tuple) {
    if !tuples[block_start..].contains(&tuple) {
        tuples.push(tuple);
    }
}

impl Model {
    /// The index of the type named `name`.
    pub(crate) fn ty(&self, name: &str) -> Result<Ty, DatasetError> {
        self.definitions
            .iter()
            .position(|d| d.name == name)
            .and_then(|i| u8::try_from(i).ok())
            .ok_or_else(|| DatasetError::Model(format!("no definition `{name}`")))
    }

    /// The relation `type#relation` (a stored relation, not a permission).
    pub(crate) fn rel(&self, ty: &str, relation: &str) -> Result<Rel, DatasetError> {
        let ty = self.ty(ty)?;
        self.definitions[usize::from(ty)]
            .relations
            .iter()
            .position(|r| r.name == relation)
            .and_then(|i| u8::try_from(i).ok())
            .map(|relation| Rel { ty, relation })
            .ok_or_else(|| DatasetError::Model(format!("no relation `{relation}`")))
    }

    pub(crate) fn definition(&self, ty: Ty) -> &'static Definition {
        &self.definitions[usize::from(ty)]
    }

    pub(crate) fn relation_name(&self, rel: Rel) -> &'static str {
        self.definition(rel.ty).relations[usize::from(rel.relation)].name
    }

    /// The schema text, formatted exactly as `dataset.py`'s `schema_text()`.
    pub(crate) fn schema_text(&self) -> String {
        let blocks: Vec<String> = self
            .definitions
            .iter()
            .map(|d| {
                if d.relations.is_empty() && d.permissions.is_empty() {
                    return format!("definition {} {{}}", d.name);
                }
                let mut block = format!("definition {} {{\n", d.name);
                for r in d.relations {
                    let _ = writeln!(block, "    relation {}: {}", r.name, r.allowed.join(" | "));
                }
                for p in d.permissions {
                    let _ = writeln!(block, "    permission {} = {}", p.name, expr_text(&p.expr));
                }
                block.push('}');
                block
            })
            .collect();
        blocks.join("\n\n") + "\n"
    }

    /// Appends `type:prefixN` (or `type:*`) to `out`.
    fn write_object(&self, ty: Ty, id: u32, out: &mut String) {
        let d = self.definition(ty);
        if id == WILDCARD {
            let _ = write!(out, "{}:*", d.name);
        } else {
            let _ = write!(out, "{}:{}{id}", d.name, d.id_prefix);
        }
    }

    /// The id text of object `id` of type `ty`, e.g. `u42`.
    pub(crate) fn object_id(&self, ty: Ty, id: u32) -> String {
        format!("{}{id}", self.definition(ty).id_prefix)
    }

    /// Appends the relationship text of `tuple` to `out`.
    pub(crate) fn write_tuple(&self, tuple: &Tuple, out: &mut String) {
        self.write_object(tuple.resource_type, tuple.resource_id, out);
        out.push('#');
        out.push_str(self.relation_name(tuple.rel()));
        out.push('@');
        self.write_subject(&tuple.subject, out);
    }

    /// Appends the subject text `type:id[#relation]` to `out`.
    pub(crate) fn write_subject(&self, subject: &Subject, out: &mut String) {
        self.write_object(subject.ty, subject.id, out);
        if subject.relation != NO_RELATION {
            out.push('#');
            out.push_str(self.relation_name(Rel {
                ty: subject.ty,
                relation: subject.relation,
            }));
        }
    }

    /// `tuple` as a [`Relationship`].
    pub(crate) fn relationship(&self, tuple: &Tuple) -> Result<Relationship, TypesError> {
        let resource = ObjectRef::new(
            self.definition(tuple.resource_type).name,
            self.object_id(tuple.resource_type, tuple.resource_id),
        )?;
        Relationship::new(
            resource,
            self.relation_name(tuple.rel()),
            self.subject_ref(&tuple.subject)?,
        )
    }

    /// `subject` as a [`SubjectRef`].
    pub(crate) fn subject_ref(&self, subject: &Subject) -> Result<SubjectRef, TypesError> {
        let id = if subject.is_wildcard() {
            tessera_types::WILDCARD_ID.to_owned()
        } else {
            self.object_id(subject.ty, subject.id)
        };
        let relation = (subject.relation != NO_RELATION).then(|| {
            self.relation_name(Rel {
                ty: subject.ty,
                relation: subject.relation,
            })
            .to_owned()
        });
        SubjectRef::new(self.definition(subject.ty).name, id, relation)
    }

    /// The kind of a relationship as `meta.json` counts it: `type#relation@subject_type` with
    /// `#subject_relation` when there is one (a wildcard counts as its type).
    pub(crate) fn kind(&self, tuple: &Tuple) -> String {
        let subject = &tuple.subject;
        let mut kind = format!(
            "{}#{}@{}",
            self.definition(tuple.resource_type).name,
            self.relation_name(tuple.rel()),
            self.definition(subject.ty).name
        );
        if subject.relation != NO_RELATION {
            kind.push('#');
            kind.push_str(self.relation_name(Rel {
                ty: subject.ty,
                relation: subject.relation,
            }));
        }
        kind
    }
}

/// An expression as schema text; nested operators get parentheses, as in `dataset.py`.
fn expr_text(expr: &Expr) -> String {
    fn nested(expr: &Expr, top: bool) -> String {
        let (operands, operator): (Vec<&Expr>, &str) = match expr {
            Expr::Rel(name) => return (*name).to_owned(),
            Expr::Arrow(tupleset, target) => return format!("{tupleset}->{target}"),
            Expr::Union(operands) => (operands.iter().collect(), " + "),
            Expr::Inter(operands) => (operands.iter().collect(), " & "),
            Expr::Excl(base, subtracted) => (vec![*base, *subtracted], " - "),
        };
        let text = operands
            .into_iter()
            .map(|operand| nested(operand, false))
            .collect::<Vec<_>>()
            .join(operator);
        if top { text } else { format!("({text})") }
    }
    nested(expr, true)
}
