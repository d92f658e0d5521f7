//! SpiceDB's name rules (its protobuf validation of compiled definitions), checked once per
//! written name: definitions, relations, permissions, subject types and the names used in
//! permission expressions, in definitions and in every partial, used or not.

use tessera_types::NameKind;

use crate::ast::{self, Expr, ItemKind, MemberKind, TypeTarget};

use super::Compiler;

impl Compiler<'_> {
    pub(super) fn check_names(&mut self, file: &ast::File) {
        for item in &file.items {
            let block = match &item.kind {
                ItemKind::Definition(block) => {
                    self.check_name(&block.name, NameKind::Definition);
                    block
                }
                ItemKind::Partial(block) => block,
                ItemKind::Use(_) | ItemKind::Import(_) | ItemKind::Caveat(_) => continue,
            };
            for member in &block.members {
                match &member.kind {
                    MemberKind::Relation(relation) => {
                        self.check_name(&relation.name, NameKind::Relation);
                        for reference in &relation.types {
                            // Subject types follow the API's object type rule, as SpiceDB
                            // validates them.
                            self.check_name(&reference.type_name, NameKind::ObjectType);
                            if let TypeTarget::Relation(name) = &reference.target {
                                self.check_name(name, NameKind::Relation);
                            }
                        }
                    }
                    MemberKind::Permission(permission) => {
                        self.check_name(&permission.name, NameKind::Relation);
                        self.check_expression_names(&permission.expression);
                    }
                    MemberKind::Splice(_) => {}
                }
            }
        }
    }

    fn check_expression_names(&mut self, expression: &Expr) {
        match expression {
            Expr::Operation { operands, .. } => {
                for operand in operands {
                    self.check_expression_names(operand);
                }
            }
            Expr::Name(name) => {
                self.check_name(name, NameKind::Relation);
            }
            Expr::Arrow { tupleset, steps } => {
                self.check_name(tupleset, NameKind::Relation);
                for step in steps {
                    self.check_name(&step.target, NameKind::Relation);
                }
            }
            Expr::Nil | Expr::SelfSubject => {}
        }
    }
}
