//! Permission expressions → [`Rewrite`] trees, arrow rules, type annotations under
//! `use typechecking`, and cycles of permissions that only alias each other.

use std::collections::{BTreeSet, HashMap, HashSet};

use tessera_types::NameKind;

use crate::ast::{self, ArrowSyntax, Expr, Operator};
use crate::diagnostic::Diagnostic;
use crate::ir::{
    AllowedSubject, Arrow, ArrowFunction, DefinitionId, RelationBody, RelationId, RelationRef,
    Rewrite, SubjectTarget,
};

use super::subjects::WildcardWitness;
use super::{Compiler, Declaration, index_u32};

impl Compiler<'_> {
    /// Compiles every permission's expression (relations' subjects must be resolved).
    pub(super) fn compile_permissions(&mut self) {
        let witnesses = self.wildcard_witnesses();
        for definition_index in 0..self.declarations.len() {
            let definition = DefinitionId(index_u32(definition_index));
            for relation_index in 0..self.declarations[definition_index].len() {
                let Declaration::Permission(declaration) =
                    self.declarations[definition_index][relation_index]
                else {
                    continue;
                };
                let context = PermissionContext {
                    definition,
                    permission: &declaration.name.text,
                    witnesses: &witnesses,
                };
                let rewrite = self.rewrite(&context, &declaration.expression);
                // Like SpiceDB, annotations are only kept (and checked) under typechecking.
                let annotation = if self.typechecking {
                    declaration
                        .annotation
                        .iter()
                        .filter_map(|name| self.schema.definition_id(&name.text))
                        .map(|definition| AllowedSubject {
                            definition,
                            target: SubjectTarget::Terminal,
                            caveat: None,
                            expiration: false,
                        })
                        .collect()
                } else {
                    Vec::new()
                };
                self.schema.definitions[definition_index].relations[relation_index].body =
                    RelationBody::Permission {
                        rewrite,
                        annotation,
                    };
            }
        }
    }

    fn rewrite(&mut self, context: &PermissionContext<'_>, expression: &Expr) -> Rewrite {
        match expression {
            Expr::Operation { operator, operands } => {
                let mut children = Vec::with_capacity(operands.len());
                for (index, operand) in operands.iter().enumerate() {
                    let child = self.rewrite(context, operand);
                    // SpiceDB flattens nested unions and nested intersections; an exclusion
                    // only absorbs an exclusion on its left: (a - b) - c = a - b - c, while
                    // a - (b - c) is not.
                    match (operator, child) {
                        (Operator::Union, Rewrite::Union(inner))
                        | (Operator::Intersection, Rewrite::Intersection(inner)) => {
                            children.extend(inner);
                        }
                        (Operator::Exclusion, Rewrite::Exclusion(inner)) if index == 0 => {
                            children.extend(inner);
                        }
                        (_, child) => children.push(child),
                    }
                }
                match operator {
                    Operator::Union => Rewrite::Union(children),
                    Operator::Intersection => Rewrite::Intersection(children),
                    Operator::Exclusion => Rewrite::Exclusion(children),
                }
            }
            Expr::Name(name) => {
                if !NameKind::Relation.matches(&name.text) {
                    return Rewrite::Nil;
                }
                match self.find_relation(context.definition, name) {
                    Some(relation) => Rewrite::Computed(relation),
                    None => Rewrite::Nil,
                }
            }
            Expr::Nil => Rewrite::Nil,
            Expr::SelfSubject => Rewrite::SelfSubject,
            Expr::Arrow { tupleset, steps } => match steps.as_slice() {
                [step] => self.arrow(context, tupleset, step).unwrap_or(Rewrite::Nil),
                _ => {
                    let inner_end = steps.first().map_or(tupleset.span, |step| step.end);
                    self.errors.push(Diagnostic::parse(
                        tupleset.span.to(inner_end),
                        "nested arrows are not supported".to_owned(),
                        format!(
                            "give the inner arrow its own permission on the target definition \
                             and arrow to that instead (permission `{}` is here)",
                            context.permission
                        ),
                    ));
                    Rewrite::Nil
                }
            },
        }
    }

    fn arrow(
        &mut self,
        context: &PermissionContext<'_>,
        tupleset_name: &ast::Name,
        step: &ast::ArrowStep,
    ) -> Option<Rewrite> {
        if !NameKind::Relation.matches(&tupleset_name.text)
            || !NameKind::Relation.matches(&step.target.text)
        {
            return None;
        }
        let definition = context.definition;
        let tupleset = self.find_relation(definition, tupleset_name)?;
        let relation = self.schema.definition(definition).relation(tupleset);
        if relation.is_permission() {
            self.errors.push(Diagnostic::semantic(
                tupleset_name.span,
                format!(
                    "`{}` is a permission, but the left side of an arrow must be a relation",
                    tupleset_name.text
                ),
                "an arrow follows stored relationships, which only relations have: put a \
                 relation on the left of the arrow",
            ));
            return None;
        }
        let tupleset_ref = RelationRef {
            definition,
            relation: tupleset,
        };
        if let Some(witness) = context.witnesses.get(&tupleset_ref) {
            let wildcard = &self.schema.definition(witness.wildcard_type).name;
            self.errors.push(Diagnostic::semantic(
                tupleset_name.span,
                format!(
                    "relation `{}` can hold the wildcard `{wildcard}:*` (through `{}`), so it \
                     cannot be the left side of an arrow",
                    self.schema.relation_path(tupleset_ref),
                    self.schema.relation_path(witness.via),
                ),
                "an arrow follows each subject of its left side, and a wildcard is not one \
                 object: arrow over a relation without wildcards",
            ));
            return None;
        }
        let mut targets: Vec<(DefinitionId, Option<RelationId>)> = Vec::new();
        for subject in relation.allowed_subjects() {
            if targets.iter().all(|(seen, _)| *seen != subject.definition) {
                let found = self
                    .schema
                    .definition(subject.definition)
                    .relation_id(&step.target.text);
                targets.push((subject.definition, found));
            }
        }
        Some(Rewrite::Arrow(Arrow {
            tupleset,
            computed: step.target.text.clone(),
            function: match step.syntax {
                ArrowSyntax::Arrow | ArrowSyntax::Any => ArrowFunction::Any,
                ArrowSyntax::All => ArrowFunction::All,
            },
            targets,
        }))
    }

    /// Under `use typechecking`, an annotated permission must list every terminal subject
    /// type it can reach (SpiceDB's `GetRecursiveTerminalTypesForRelation`).
    pub(super) fn check_annotations(&mut self) {
        for definition_index in 0..self.declarations.len() {
            let definition = DefinitionId(index_u32(definition_index));
            for (relation_index, declaration) in
                self.declarations[definition_index].iter().enumerate()
            {
                let Declaration::Permission(declaration) = declaration else {
                    continue;
                };
                let (Some(first), Some(last)) = (
                    declaration.annotation.first(),
                    declaration.annotation.last(),
                ) else {
                    continue;
                };
                let reachable = self.terminal_types(RelationRef {
                    definition,
                    relation: RelationId(index_u32(relation_index)),
                });
                let missing: Vec<&str> = reachable
                    .iter()
                    .map(|id| self.schema.definition(*id).name.as_str())
                    .filter(|name| !declaration.annotation.iter().any(|a| a.text == *name))
                    .collect();
                if missing.is_empty() {
                    continue;
                }
                let listed = missing
                    .iter()
                    .map(|name| format!("`{name}`"))
                    .collect::<Vec<_>>()
                    .join(", ");
                let additions: String = missing.iter().map(|name| format!(" | {name}")).collect();
                self.errors.push(Diagnostic::semantic(
                    first.span.to(last.span),
                    format!(
                        "incomplete type annotation on permission `{}` of `{}`: it can reach {listed}",
                        declaration.name.text,
                        self.schema.definition(definition).name
                    ),
                    format!("add `{additions}` to the annotation"),
                ));
            }
        }
    }

    /// Definitions whose objects or wildcards can be found in `start`, following subject
    /// sets, computed relations and arrows (every branch of every operator).
    fn terminal_types(&self, start: RelationRef) -> BTreeSet<DefinitionId> {
        let mut found = BTreeSet::new();
        let mut seen = HashSet::from([start]);
        let mut stack = vec![start];
        while let Some(current) = stack.pop() {
            let mut next = Vec::new();
            match &self.schema.relation(current).body {
                RelationBody::Relation(allowed) => {
                    for subject in allowed {
                        match subject.target {
                            SubjectTarget::Terminal | SubjectTarget::Wildcard => {
                                found.insert(subject.definition);
                            }
                            SubjectTarget::Relation(relation) => next.push(RelationRef {
                                definition: subject.definition,
                                relation,
                            }),
                        }
                    }
                }
                RelationBody::Permission { rewrite, .. } => {
                    rewrite.visit_leaves(&mut |leaf, _| match leaf {
                        Rewrite::Computed(relation) => next.push(RelationRef {
                            definition: current.definition,
                            relation: *relation,
                        }),
                        Rewrite::Arrow(arrow) => next.extend(arrow.targets.iter().filter_map(
                            |(definition, relation)| {
                                relation.map(|relation| RelationRef {
                                    definition: *definition,
                                    relation,
                                })
                            },
                        )),
                        _ => {}
                    });
                }
            }
            for relation in next {
                if seen.insert(relation) {
                    stack.push(relation);
                }
            }
        }
        found
    }

    /// Permissions that are just another permission's name must end at something else;
    /// SpiceDB rejects loops of them (`computePermissionAliases`).
    pub(super) fn check_alias_cycles(&mut self) {
        for definition_index in 0..self.declarations.len() {
            let definition = &self.schema.definitions[definition_index];
            let mut pending: HashMap<RelationId, RelationId> = HashMap::new();
            for (index, relation) in definition.relations.iter().enumerate() {
                if let RelationBody::Permission {
                    rewrite: Rewrite::Computed(target),
                    ..
                } = &relation.body
                {
                    if definition.relation(*target).is_permission() {
                        pending.insert(RelationId(index_u32(index)), *target);
                    }
                }
            }
            // Resolve aliases whose target is settled until nothing moves; what is left
            // loops.
            loop {
                let settled: Vec<RelationId> = pending
                    .iter()
                    .filter(|(_, target)| !pending.contains_key(target))
                    .map(|(alias, _)| *alias)
                    .collect();
                if settled.is_empty() {
                    break;
                }
                for alias in settled {
                    pending.remove(&alias);
                }
            }
            let Some(first) = pending.keys().min().copied() else {
                continue;
            };
            let mut names: Vec<&str> = pending
                .keys()
                .map(|id| definition.relation(*id).name.as_str())
                .collect();
            names.sort_unstable();
            let listed = names
                .iter()
                .map(|name| format!("`{name}`"))
                .collect::<Vec<_>>()
                .join(", ");
            let span = self.declarations[definition_index][first.0 as usize]
                .name()
                .span;
            self.errors.push(Diagnostic::semantic(
                span,
                format!(
                    "cycle in permission aliases of `{}`: {listed}",
                    definition.name
                ),
                "each of these permissions is just the name of another one, in a loop; one \
                 of them must name a relation or compute an expression",
            ));
        }
    }
}

/// What an expression is compiled for.
struct PermissionContext<'a> {
    definition: DefinitionId,
    permission: &'a str,
    witnesses: &'a HashMap<RelationRef, WildcardWitness>,
}
