//! The parsed schema, before any name is resolved: what the text says, with spans.
//!
//! Every comment of the source is kept somewhere in the tree so the formatter can print it
//! back; only an item's leading comments reach the compiled schema, as SpiceDB's do.

use crate::diagnostic::Span;
use crate::lexer::UseFlag;

/// A whole schema text.
#[derive(Clone, Debug)]
pub(crate) struct File {
    pub(crate) items: Vec<Item>,
    /// Comments after the last item.
    pub(crate) end_comments: Vec<Span>,
}

/// Comments around an item or member.
#[derive(Clone, Debug, Default)]
pub(crate) struct Comments {
    /// Written just before it; they become its doc comments.
    pub(crate) leading: Vec<Span>,
    /// Written inside it or after it on its last line.
    pub(crate) trailing: Vec<Span>,
}

/// A top-level statement.
#[derive(Clone, Debug)]
pub(crate) struct Item {
    pub(crate) kind: ItemKind,
    pub(crate) comments: Comments,
}

#[derive(Clone, Debug)]
pub(crate) enum ItemKind {
    Use(Use),
    Import(Import),
    Definition(Block),
    Partial(Block),
    Caveat(Caveat),
}

/// `use flag`.
#[derive(Clone, Debug)]
pub(crate) struct Use {
    pub(crate) flag: UseFlag,
}

/// `import "path"`.
#[derive(Clone, Debug)]
pub(crate) struct Import {
    /// The path without its quotes.
    pub(crate) path: String,
    /// The quoted path as written.
    pub(crate) literal: Span,
    /// The whole statement.
    pub(crate) span: Span,
}

/// A name as written: one identifier, or identifiers joined by `/` for type paths.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Name {
    pub(crate) text: String,
    pub(crate) span: Span,
}

/// `definition name { ... }` or `partial name { ... }`.
#[derive(Clone, Debug)]
pub(crate) struct Block {
    /// The `definition` or `partial` keyword: where the item starts.
    pub(crate) keyword: Span,
    pub(crate) name: Name,
    pub(crate) members: Vec<Member>,
    /// Comments just before the closing `}`.
    pub(crate) closing_comments: Vec<Span>,
}

/// A statement inside a definition or partial.
#[derive(Clone, Debug)]
pub(crate) struct Member {
    pub(crate) kind: MemberKind,
    pub(crate) comments: Comments,
}

#[derive(Clone, Debug)]
pub(crate) enum MemberKind {
    Relation(RelationDecl),
    Permission(PermissionDecl),
    /// `...partial_name`.
    Splice(Name),
}

/// `relation name: T1 | T2`.
#[derive(Clone, Debug)]
pub(crate) struct RelationDecl {
    pub(crate) keyword: Span,
    pub(crate) name: Name,
    pub(crate) types: Vec<TypeRef>,
}

/// One allowed subject type: `user`, `group#member`, `group#...`, `user:*`, each optionally
/// `with caveat`, `with expiration` or `with caveat and expiration`.
#[derive(Clone, Debug)]
pub(crate) struct TypeRef {
    pub(crate) type_name: Name,
    pub(crate) target: TypeTarget,
    pub(crate) caveat: Option<Name>,
    pub(crate) expiration: bool,
    /// From the type name to the end of the reference.
    pub(crate) span: Span,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum TypeTarget {
    /// `user`.
    Terminal,
    /// `user#...`: the same subjects as [`TypeTarget::Terminal`].
    Ellipsis,
    /// `group#member`.
    Relation(Name),
    /// `user:*`.
    Wildcard,
}

/// `permission name[: T1 | T2] = expression`.
#[derive(Clone, Debug)]
pub(crate) struct PermissionDecl {
    pub(crate) keyword: Span,
    pub(crate) name: Name,
    pub(crate) annotation: Vec<Name>,
    pub(crate) expression: Expr,
}

/// The set operators, loosest-binding first.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Operator {
    /// `-`
    Exclusion,
    /// `&`
    Intersection,
    /// `+`
    Union,
}

impl Operator {
    pub(crate) fn symbol(self) -> &'static str {
        match self {
            Operator::Exclusion => "-",
            Operator::Intersection => "&",
            Operator::Union => "+",
        }
    }
}

/// A permission expression. Chains are flat so that a long chain cannot nest deeply.
#[derive(Clone, Debug)]
pub(crate) enum Expr {
    /// `a op b op c ...`, left-associative, at least two operands.
    Operation {
        operator: Operator,
        operands: Vec<Expr>,
    },
    /// A relation or permission of the same definition.
    Name(Name),
    /// `tupleset->x`, `tupleset.any(x)`, `tupleset.all(x)`, possibly chained (which only
    /// parses: the compiler rejects nested arrows like SpiceDB).
    Arrow {
        tupleset: Name,
        steps: Vec<ArrowStep>,
    },
    Nil,
    SelfSubject,
}

/// How an arrow step was written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ArrowSyntax {
    /// `->`
    Arrow,
    /// `.any(...)`
    Any,
    /// `.all(...)`
    All,
}

/// One `->x` or `.any(x)` / `.all(x)` after a tupleset.
#[derive(Clone, Debug)]
pub(crate) struct ArrowStep {
    pub(crate) syntax: ArrowSyntax,
    pub(crate) target: Name,
    /// End of the step (after the closing parenthesis of a function).
    pub(crate) end: Span,
}

/// `caveat name(params) { expression }`.
#[derive(Clone, Debug)]
pub(crate) struct Caveat {
    pub(crate) keyword: Span,
    pub(crate) name: Name,
    pub(crate) parameters: Vec<Parameter>,
    /// The CEL expression: from its first to its last token.
    pub(crate) expression: Span,
    /// Comments before the expression.
    pub(crate) expression_comments: Vec<Span>,
    /// Comments after the expression, before the closing `}`.
    pub(crate) closing_comments: Vec<Span>,
}

/// `name type`.
#[derive(Clone, Debug)]
pub(crate) struct Parameter {
    pub(crate) name: Name,
    pub(crate) parameter_type: CaveatTypeRef,
}

/// `int`, `list<string>`, `map<any>`...
#[derive(Clone, Debug)]
pub(crate) struct CaveatTypeRef {
    pub(crate) name: Name,
    pub(crate) arguments: Vec<CaveatTypeRef>,
}
