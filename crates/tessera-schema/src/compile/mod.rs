//! [`ast::File`] → validated [`ir::Schema`], with SpiceDB's semantic rules
//! (`pkg/schemadsl/compiler/translator.go`, `pkg/schema/typesystem_validation.go`,
//! `internal/namespace/caveats.go`, `internal/namespace/aliasing.go`).
//!
//! Every rule runs even after another failed, so one pass reports every problem; an element
//! that could not be resolved is left out of the schema, which is then discarded.

mod caveats;
mod names;
mod partials;
mod permissions;
mod subjects;

use std::collections::HashMap;

use tessera_types::NameKind;

use crate::ast::{self, Comments, ItemKind, MemberKind};
use crate::diagnostic::{Diagnostic, LineIndex, Span, did_you_mean};
use crate::ir::{
    CaveatId, Definition, DefinitionId, Relation, RelationBody, RelationId, Schema, SourcePosition,
};
use crate::lexer::UseFlag;
use crate::reachability;

/// Compiles a parsed schema.
///
/// # Errors
/// Every semantic problem found.
pub(crate) fn compile(file: &ast::File, source: &str) -> Result<Schema, Vec<Diagnostic>> {
    let mut compiler = Compiler {
        source,
        lines: LineIndex::new(source),
        errors: Vec::new(),
        schema: Schema::default(),
        declarations: Vec::new(),
        subject_spans: HashMap::new(),
        typechecking: file.items.iter().any(
            |item| matches!(&item.kind, ItemKind::Use(used) if used.flag == UseFlag::TypeChecking),
        ),
    };
    compiler.reject_imports(file);
    compiler.check_names(file);
    let partials = partials::Partials::collect(file, &mut compiler.errors);
    compiler.declare_items(file, &partials);
    compiler.resolve_relations();
    compiler.compile_permissions();
    compiler.check_transitive_wildcards();
    if compiler.typechecking {
        compiler.check_annotations();
    }
    compiler.check_alias_cycles();
    if compiler.errors.is_empty() {
        let mut schema = compiler.schema;
        schema.reachability = reachability::compute(&schema);
        Ok(schema)
    } else {
        Err(compiler.errors)
    }
}

/// A relation or permission of a definition as written, after partials are spliced in.
#[derive(Clone, Copy, Debug)]
enum Declaration<'a> {
    Relation(&'a ast::RelationDecl),
    Permission(&'a ast::PermissionDecl),
}

impl Declaration<'_> {
    fn name(&self) -> &ast::Name {
        match self {
            Declaration::Relation(relation) => &relation.name,
            Declaration::Permission(permission) => &permission.name,
        }
    }
}

struct Compiler<'a> {
    source: &'a str,
    lines: LineIndex,
    errors: Vec<Diagnostic>,
    schema: Schema,
    /// For each definition, the declaration behind each of its relations (same indexes).
    declarations: Vec<Vec<Declaration<'a>>>,
    /// For each relation, where each of its allowed subjects is written (same indexes).
    subject_spans: HashMap<crate::ir::RelationRef, Vec<Span>>,
    typechecking: bool,
}

impl<'a> Compiler<'a> {
    fn position(&self, span: Span) -> SourcePosition {
        let (line, column) = self.lines.position(self.source, span.start);
        SourcePosition { line, column }
    }

    fn comment_texts(&self, comments: &Comments) -> Vec<String> {
        comments
            .leading
            .iter()
            .map(|span| normalize_comment(&self.source[span.start..span.end]))
            .collect()
    }

    /// Reports `name` if it breaks `kind`'s rule; returns whether it follows it.
    fn check_name(&mut self, name: &ast::Name, kind: NameKind) -> bool {
        if kind.matches(&name.text) {
            return true;
        }
        self.errors.push(Diagnostic::parse(
            name.span,
            format!("invalid {} `{}`", kind.noun(), name.text),
            format!("a {} {}", kind.noun(), kind.rule()),
        ));
        false
    }

    fn reject_imports(&mut self, file: &ast::File) {
        for item in &file.items {
            if let ItemKind::Import(import) = &item.kind {
                self.errors.push(Diagnostic::parse(
                    import.span,
                    format!("cannot import `{}` here", import.path),
                    "a schema given as text must be self-contained: paste the imported \
                     definitions into it",
                ));
            }
        }
    }

    /// Registers every definition and caveat under its id, with name and duplicate checks;
    /// relations get their ids here and their contents later.
    fn declare_items(&mut self, file: &'a ast::File, partials: &partials::Partials<'a>) {
        let mut taken: HashMap<&str, Span> = HashMap::new();
        for item in &file.items {
            let (name, what) = match &item.kind {
                ItemKind::Definition(block) => (&block.name, "definition"),
                ItemKind::Caveat(caveat) => (&caveat.name, "caveat"),
                ItemKind::Use(_) | ItemKind::Import(_) | ItemKind::Partial(_) => continue,
            };
            if partials.contains(&name.text) {
                self.errors.push(Diagnostic::parse(
                    name.span,
                    format!("{what} `{}` has the same name as a partial", name.text),
                    "definitions, caveats and partials share one namespace: rename one of them",
                ));
            }
            if let Some(first) = taken.get(name.text.as_str()) {
                let (line, _) = self.lines.position(self.source, first.start);
                self.errors.push(Diagnostic::parse(
                    name.span,
                    format!("`{}` is defined more than once", name.text),
                    format!(
                        "it is first defined on line {line}; definitions and caveats share one \
                         namespace, so rename or remove one of them"
                    ),
                ));
                continue;
            }
            taken.insert(&name.text, name.span);
            match &item.kind {
                ItemKind::Definition(block) => {
                    self.declare_definition(block, &item.comments, partials)
                }
                ItemKind::Caveat(caveat) => {
                    let compiled = self.compile_caveat(caveat, &item.comments);
                    let id = CaveatId(index_u32(self.schema.caveats.len()));
                    self.schema.caveat_ids.insert(compiled.name.clone(), id);
                    self.schema.caveats.push(compiled);
                }
                ItemKind::Use(_) | ItemKind::Import(_) | ItemKind::Partial(_) => {}
            }
        }
    }

    fn declare_definition(
        &mut self,
        block: &'a ast::Block,
        comments: &Comments,
        partials: &partials::Partials<'a>,
    ) {
        let mut declarations = Vec::new();
        partials.splice(&block.members, &mut declarations, &mut self.errors);
        let mut definition = Definition {
            name: block.name.text.clone(),
            comments: self.comment_texts(comments),
            relations: Vec::new(),
            relation_ids: HashMap::new(),
            position: self.position(block.keyword),
        };
        let mut kept = Vec::new();
        for (declaration, member_comments) in declarations {
            let name = declaration.name();
            if let Some(&first) = definition.relation_ids.get(&name.text) {
                let first: RelationId = first;
                let first_line = definition.relations[first.0 as usize].position.line;
                self.errors.push(Diagnostic::semantic(
                    name.span,
                    format!(
                        "duplicate relation or permission `{}` in `{}`",
                        name.text, definition.name
                    ),
                    format!(
                        "`{}` is first declared on line {first_line}; each relation and \
                         permission of a definition needs its own name",
                        name.text
                    ),
                ));
                continue;
            }
            let keyword = match declaration {
                Declaration::Relation(relation) => relation.keyword,
                Declaration::Permission(permission) => permission.keyword,
            };
            let id = RelationId(index_u32(definition.relations.len()));
            definition.relation_ids.insert(name.text.clone(), id);
            definition.relations.push(Relation {
                name: name.text.clone(),
                comments: self.comment_texts(member_comments),
                body: RelationBody::Relation(Vec::new()),
                position: self.position(keyword),
            });
            kept.push(declaration);
        }
        let id = DefinitionId(index_u32(self.schema.definitions.len()));
        self.schema
            .definition_ids
            .insert(definition.name.clone(), id);
        self.schema.definitions.push(definition);
        self.declarations.push(kept);
    }

    /// The definition named `name`, or a diagnostic-ready "unknown definition" report.
    fn find_definition(&mut self, name: &ast::Name) -> Option<DefinitionId> {
        if let Some(id) = self.schema.definition_id(&name.text) {
            return Some(id);
        }
        let help = did_you_mean(
            &name.text,
            self.schema.definitions.iter().map(|d| d.name.as_str()),
            || format!("declare it with `definition {} {{}}`", name.text),
        );
        self.errors.push(Diagnostic::semantic(
            name.span,
            format!("unknown definition `{}`", name.text),
            help,
        ));
        None
    }

    /// The relation or permission `name` of `definition`, or an "unknown relation" report.
    fn find_relation(&mut self, definition: DefinitionId, name: &ast::Name) -> Option<RelationId> {
        let found = self.schema.definition(definition).relation_id(&name.text);
        if found.is_none() {
            let definition = self.schema.definition(definition);
            let help = if name.text == "self" {
                "to refer to the resource itself, add `use self` at the top of the schema"
                    .to_owned()
            } else {
                did_you_mean(
                    &name.text,
                    definition.relations.iter().map(|r| r.name.as_str()),
                    || {
                        format!(
                            "`{}` declares no relation or permission of that name",
                            definition.name
                        )
                    },
                )
            };
            self.errors.push(Diagnostic::semantic(
                name.span,
                format!(
                    "unknown relation or permission `{}` in `{}`",
                    name.text, definition.name
                ),
                help,
            ));
        }
        found
    }

    fn find_caveat(&mut self, name: &ast::Name) -> Option<CaveatId> {
        if let Some(id) = self.schema.caveat_id(&name.text) {
            return Some(id);
        }
        let help = if name.text == "expiration" {
            "to require an expiration, add `use expiration` at the top of the schema".to_owned()
        } else {
            did_you_mean(
                &name.text,
                self.schema.caveats.iter().map(|c| c.name.as_str()),
                || {
                    format!(
                        "declare it with `caveat {}(param type) {{ ... }}`",
                        name.text
                    )
                },
            )
        };
        self.errors.push(Diagnostic::semantic(
            name.span,
            format!("unknown caveat `{}`", name.text),
            help,
        ));
        None
    }
}

/// Comments as SpiceDB stores them: delimiters kept, each line trimmed.
fn normalize_comment(text: &str) -> String {
    text.lines().map(str::trim).collect::<Vec<_>>().join("\n")
}

/// Ids are `u32`; a schema text is at most a few MiB, so counts always fit.
fn index_u32(index: usize) -> u32 {
    u32::try_from(index).unwrap_or(u32::MAX)
}

/// Borrowed comments of a member, paired with its declaration when splicing.
type Declared<'a> = (Declaration<'a>, &'a Comments);

fn member_declaration(member: &ast::Member) -> Option<Declaration<'_>> {
    match &member.kind {
        MemberKind::Relation(relation) => Some(Declaration::Relation(relation)),
        MemberKind::Permission(permission) => Some(Declaration::Permission(permission)),
        MemberKind::Splice(_) => None,
    }
}
