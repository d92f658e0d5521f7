//! The compiled schema: what the evaluator and the API read.
//!
//! Names are interned into dense ids ([`DefinitionId`], [`RelationId`], [`CaveatId`]) so the
//! evaluator indexes vectors instead of hashing strings on every hop. An `ir::Schema` is only
//! ever built by the compiler, which guarantees the invariants stated on each type.

use std::collections::HashMap;

/// Index of a definition in [`Schema::definitions`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct DefinitionId(pub u32);

/// Index of a relation or permission in [`Definition::relations`] of its definition.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct RelationId(pub u32);

/// Index of a caveat in [`Schema::caveats`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct CaveatId(pub u32);

/// A relation or permission of a particular definition.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct RelationRef {
    /// The definition that declares it.
    pub definition: DefinitionId,
    /// Its index in that definition.
    pub relation: RelationId,
}

/// Where an item was written: 1-based line and column of its first token.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SourcePosition {
    /// 1-based line.
    pub line: u32,
    /// 1-based column, in characters.
    pub column: u32,
}

/// A whole compiled schema.
///
/// INVARIANT: every id stored anywhere in the schema indexes a live element; definition,
/// caveat and (per definition) relation names are unique.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Schema {
    /// Object definitions in source order.
    pub definitions: Vec<Definition>,
    /// Caveat definitions in source order.
    pub caveats: Vec<Caveat>,
    /// Reverse and transitive facts derived from the definitions, for lookups and checks.
    pub reachability: Reachability,
    /// Name → id of every definition.
    pub definition_ids: HashMap<String, DefinitionId>,
    /// Name → id of every caveat.
    pub caveat_ids: HashMap<String, CaveatId>,
}

/// `definition name { ... }`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Definition {
    /// Full name, path prefix included (`test/user`).
    pub name: String,
    /// Doc comments written before the definition, each with its delimiters, in order.
    pub comments: Vec<String>,
    /// Relations and permissions in source order (partials spliced in place).
    pub relations: Vec<Relation>,
    /// Name → id of every relation and permission of this definition.
    pub relation_ids: HashMap<String, RelationId>,
    /// Where the definition starts.
    pub position: SourcePosition,
}

/// A relation (stored relationships) or a permission (computed) of a definition.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Relation {
    /// Its name.
    pub name: String,
    /// Comments written before it, each with its delimiters.
    pub comments: Vec<String>,
    /// What it holds.
    pub body: RelationBody,
    /// Where it starts.
    pub position: SourcePosition,
}

/// What a relation or permission is made of.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RelationBody {
    /// `relation name: T1 | T2 ...`: relationships whose subjects are of the allowed types.
    /// INVARIANT: non-empty, no duplicates.
    Relation(Vec<AllowedSubject>),
    /// `permission name = expr`, with its optional `: T1 | T2` type annotation (kept for
    /// reflection; enforced at compile time under `use typechecking`).
    Permission {
        /// The compiled expression.
        rewrite: Rewrite,
        /// The annotated subject types, empty when not annotated.
        annotation: Vec<AllowedSubject>,
    },
}

/// One allowed subject type of a relation, e.g. `group#member with on_tuesday and expiration`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct AllowedSubject {
    /// The subject's definition.
    pub definition: DefinitionId,
    /// Which subjects of that definition.
    pub target: SubjectTarget,
    /// The caveat such relationships must carry.
    pub caveat: Option<CaveatId>,
    /// Whether such relationships must carry an expiration.
    pub expiration: bool,
}

/// Which subjects of a definition a relation admits.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum SubjectTarget {
    /// `user` or `user#...`: the objects themselves.
    Terminal,
    /// `group#member`: subject sets; the id is of a relation or permission of the subject's
    /// definition.
    Relation(RelationId),
    /// `user:*`: the public wildcard.
    Wildcard,
}

/// A permission expression.
///
/// Operators are n-ary: a chain of the same operator (`a + b + c`) is one node, as SpiceDB
/// compiles it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Rewrite {
    /// Members of any child. INVARIANT: at least two children.
    Union(Vec<Rewrite>),
    /// Members of every child. INVARIANT: at least two children.
    Intersection(Vec<Rewrite>),
    /// Members of the first child that are in none of the others. INVARIANT: at least two
    /// children.
    Exclusion(Vec<Rewrite>),
    /// Another relation or permission of the same definition, for the same object.
    Computed(RelationId),
    /// `tupleset->computed`, `tupleset.any(computed)` or `tupleset.all(computed)`.
    Arrow(Arrow),
    /// `nil`: nobody.
    Nil,
    /// `self`: the object itself as a subject (same type and id, relation `...`).
    SelfSubject,
}

impl Rewrite {
    /// Calls `visit` with every leaf of the tree ([`Rewrite::Computed`], [`Rewrite::Arrow`],
    /// [`Rewrite::Nil`], [`Rewrite::SelfSubject`]), left to right, with the number of
    /// exclusions whose subtracted side holds it: 0 means the leaf can contribute members,
    /// an odd number means it can only take them away.
    pub fn visit_leaves(&self, visit: &mut impl FnMut(&Rewrite, usize)) {
        self.visit_leaves_under(0, visit);
    }

    fn visit_leaves_under(&self, exclusions: usize, visit: &mut impl FnMut(&Rewrite, usize)) {
        match self {
            Rewrite::Union(children) | Rewrite::Intersection(children) => {
                for child in children {
                    child.visit_leaves_under(exclusions, visit);
                }
            }
            Rewrite::Exclusion(children) => {
                for (index, child) in children.iter().enumerate() {
                    child.visit_leaves_under(exclusions + usize::from(index > 0), visit);
                }
            }
            Rewrite::Computed(_) | Rewrite::Arrow(_) | Rewrite::Nil | Rewrite::SelfSubject => {
                visit(self, exclusions);
            }
        }
    }
}

/// Whether an arrow needs one subject of the tupleset to have the permission, or all.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ArrowFunction {
    /// `->` or `.any()`.
    Any,
    /// `.all()`: every subject of the tupleset (and there must be at least one).
    All,
}

/// `tupleset->computed` on a definition.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Arrow {
    /// A relation (never a permission) of the same definition; it allows no wildcard.
    pub tupleset: RelationId,
    /// The relation or permission name looked up on each subject of the tupleset.
    pub computed: String,
    /// Any or all.
    pub function: ArrowFunction,
    /// For each definition the tupleset admits as a subject, the id of `computed` there, or
    /// `None` when that definition has no such relation (those subjects contribute nothing).
    pub targets: Vec<(DefinitionId, Option<RelationId>)>,
}

/// `caveat name(params) { expression }`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Caveat {
    /// Full name, path prefix included.
    pub name: String,
    /// Comments written before it, each with its delimiters.
    pub comments: Vec<String>,
    /// Parameters in declaration order.
    pub parameters: Vec<CaveatParameter>,
    /// The CEL expression, as written between the braces (trimmed).
    pub expression: String,
    /// Where the expression starts in the schema text, so CEL errors can point into it.
    pub expression_position: SourcePosition,
    /// Where the caveat starts.
    pub position: SourcePosition,
}

/// One typed caveat parameter.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CaveatParameter {
    /// Its name.
    pub name: String,
    /// Its type.
    pub parameter_type: CaveatType,
}

/// The parameter types SpiceDB caveats accept; the caveat language owns them.
pub use tessera_caveats::CaveatType;

/// How one relation or permission is used by permissions, walked backwards by lookups.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Use {
    /// The permission whose expression mentions the used relation.
    pub by: RelationRef,
    /// How it is mentioned.
    pub via: UseKind,
    /// `false` when every mention is on the subtracted side of an exclusion, i.e. holding the
    /// used relation can only take the permission away.
    pub positive: bool,
}

/// The way a permission's expression mentions a relation or permission.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum UseKind {
    /// By name, for the same object: an object holding the used relation may hold `by`.
    Computed,
    /// As the right side of an arrow: objects related to a holder through the tupleset relation
    /// `tupleset` (of `by`'s definition) may hold `by`.
    Arrow {
        /// The arrow's left side, on `by`'s definition.
        tupleset: RelationId,
        /// Any or all.
        function: ArrowFunction,
    },
}

/// A relation that admits subjects of a definition: relationships `relation.definition:x#
/// relation.relation@<subject of that definition>`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Admission {
    /// The relation that stores such relationships.
    pub relation: RelationRef,
    /// The allowed-subject entry that admits them.
    pub subject: AllowedSubject,
}

/// Derived facts: who uses what, and which subjects can reach where.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Reachability {
    /// For each relation or permission, every permission that mentions it.
    pub uses: HashMap<RelationRef, Vec<Use>>,
    /// For each subject definition, every relation that admits its objects, subject sets or
    /// wildcard directly.
    pub admissions: HashMap<DefinitionId, Vec<Admission>>,
    /// For each relation or permission, every subject kind that can be found in it after
    /// following subject sets and arrows to their ends: terminal subjects, wildcards, and the
    /// subject sets met on the way (a set `group#member` is itself a subject of the relation
    /// that admits it).
    pub reachable_subjects: HashMap<RelationRef, Vec<(DefinitionId, SubjectTarget)>>,
}

impl Schema {
    /// The id of the definition named `name`.
    pub fn definition_id(&self, name: &str) -> Option<DefinitionId> {
        self.definition_ids.get(name).copied()
    }

    /// The definition with id `id`.
    pub fn definition(&self, id: DefinitionId) -> &Definition {
        &self.definitions[id.0 as usize]
    }

    /// The relation or permission `relation`.
    pub fn relation(&self, relation: RelationRef) -> &Relation {
        &self.definition(relation.definition).relations[relation.relation.0 as usize]
    }

    /// Resolves `definition#relation` by name.
    pub fn relation_ref(&self, definition: &str, relation: &str) -> Option<RelationRef> {
        let definition_id = self.definition_id(definition)?;
        let relation = self.definition(definition_id).relation_id(relation)?;
        Some(RelationRef {
            definition: definition_id,
            relation,
        })
    }

    /// The id of the caveat named `name`.
    pub fn caveat_id(&self, name: &str) -> Option<CaveatId> {
        self.caveat_ids.get(name).copied()
    }

    /// The caveat with id `id`.
    pub fn caveat(&self, id: CaveatId) -> &Caveat {
        &self.caveats[id.0 as usize]
    }

    /// `definition#relation`, for messages.
    pub fn relation_path(&self, relation: RelationRef) -> String {
        let definition = self.definition(relation.definition);
        format!(
            "{}#{}",
            definition.name,
            definition.relation(relation.relation).name
        )
    }

    /// An allowed subject as written in a schema, e.g. `group#member with on_tuesday and
    /// expiration` or `user:*` (SpiceDB's `SourceForAllowedRelation`).
    pub fn describe_subject(&self, subject: &AllowedSubject) -> String {
        let definition = self.definition(subject.definition);
        let mut text = match subject.target {
            SubjectTarget::Terminal => definition.name.clone(),
            SubjectTarget::Relation(relation) => {
                format!("{}#{}", definition.name, definition.relation(relation).name)
            }
            SubjectTarget::Wildcard => format!("{}:*", definition.name),
        };
        match (subject.caveat, subject.expiration) {
            (Some(caveat), true) => {
                text.push_str(&format!(
                    " with {} and expiration",
                    self.caveat(caveat).name
                ));
            }
            (Some(caveat), false) => text.push_str(&format!(" with {}", self.caveat(caveat).name)),
            (None, true) => text.push_str(" with expiration"),
            (None, false) => {}
        }
        text
    }
}

impl Definition {
    /// The id of the relation or permission named `name`.
    pub fn relation_id(&self, name: &str) -> Option<RelationId> {
        self.relation_ids.get(name).copied()
    }

    /// The relation or permission with id `id`.
    pub fn relation(&self, id: RelationId) -> &Relation {
        &self.relations[id.0 as usize]
    }
}

impl Relation {
    /// Whether this is a permission (computed) rather than a relation (stored).
    pub fn is_permission(&self) -> bool {
        matches!(self.body, RelationBody::Permission { .. })
    }

    /// The allowed subjects of a relation; empty for a permission.
    pub fn allowed_subjects(&self) -> &[AllowedSubject] {
        match &self.body {
            RelationBody::Relation(allowed) => allowed,
            RelationBody::Permission { .. } => &[],
        }
    }
}
