//! [`ast::File`] → canonical schema text.
//!
//! One statement per line, tab indentation (as SpiceDB's generator), a blank line between
//! top-level items (runs of `use` and of `import` stay together), single blank lines between
//! members kept where the source had them, parentheses wherever operators mix, and
//! every comment: leading ones on their own lines before their item (so they stay its doc
//! comments), the others at the end of the item's last line. Caveat expressions are printed
//! as written.

use crate::ast::{
    self, ArrowSyntax, Block, Caveat, CaveatTypeRef, Comments, Expr, ItemKind, Member, MemberKind,
    Operator, TypeTarget,
};
use crate::diagnostic::Span;

/// Prints `file`, parsed from `source`.
pub(crate) fn format_file(file: &ast::File, source: &str) -> String {
    let mut printer = Printer {
        source,
        out: String::new(),
    };
    let mut previous: Option<&ItemKind> = None;
    for item in &file.items {
        let grouped = matches!(
            (previous, &item.kind),
            (Some(ItemKind::Use(_)), ItemKind::Use(_))
                | (Some(ItemKind::Import(_)), ItemKind::Import(_))
        );
        if previous.is_some() && !grouped {
            printer.out.push('\n');
        }
        printer.item(item);
        previous = Some(&item.kind);
    }
    if !file.end_comments.is_empty() && !file.items.is_empty() {
        printer.out.push('\n');
    }
    printer.comment_lines(&file.end_comments, 0);
    printer.out
}

struct Printer<'a> {
    source: &'a str,
    out: String,
}

impl<'a> Printer<'a> {
    fn text(&self, span: Span) -> &'a str {
        &self.source[span.start..span.end]
    }

    fn indent(&mut self, depth: usize) {
        for _ in 0..depth {
            self.out.push('\t');
        }
    }

    /// Each comment on its own line.
    fn comment_lines(&mut self, comments: &[Span], depth: usize) {
        for comment in comments {
            self.indent(depth);
            self.out
                .push_str(self.source[comment.start..comment.end].trim_end());
            self.out.push('\n');
        }
    }

    /// Comments at the end of the current line, then the line end.
    fn end_line(&mut self, comments: &[Span]) {
        for comment in comments {
            self.out.push(' ');
            self.out
                .push_str(self.source[comment.start..comment.end].trim_end());
        }
        self.out.push('\n');
    }

    fn item(&mut self, item: &ast::Item) {
        self.comment_lines(&item.comments.leading, 0);
        match &item.kind {
            ItemKind::Use(used) => {
                self.out.push_str("use ");
                self.out.push_str(used.flag.name());
            }
            ItemKind::Import(import) => {
                self.out.push_str("import ");
                self.out.push_str(self.text(import.literal));
            }
            ItemKind::Definition(block) => self.block("definition", block),
            ItemKind::Partial(block) => self.block("partial", block),
            ItemKind::Caveat(caveat) => self.caveat(caveat),
        }
        self.end_line(&item.comments.trailing);
    }

    fn block(&mut self, keyword: &str, block: &Block) {
        self.out.push_str(keyword);
        self.out.push(' ');
        self.out.push_str(&block.name.text);
        if block.members.is_empty() && block.closing_comments.is_empty() {
            self.out.push_str(" {}");
            return;
        }
        self.out.push_str(" {\n");
        for (index, member) in block.members.iter().enumerate() {
            if index > 0 && self.blank_line_before(member) {
                self.out.push('\n');
            }
            self.member(member);
        }
        self.comment_lines(&block.closing_comments, 1);
        self.out.push('}');
    }

    /// Whether the source had a blank line right before `member` (or its comments).
    fn blank_line_before(&self, member: &Member) -> bool {
        let start = member
            .comments
            .leading
            .first()
            .map_or_else(|| self.member_start(member), |comment| comment.start);
        let before = self.source[..start].trim_end_matches([' ', '\t']);
        let newlines = before.len() - before.trim_end_matches(['\n', '\r']).len();
        let blank_lines = before[before.len() - newlines..].matches('\n').count();
        blank_lines >= 2
    }

    fn member_start(&self, member: &Member) -> usize {
        match &member.kind {
            MemberKind::Relation(relation) => relation.keyword.start,
            MemberKind::Permission(permission) => permission.keyword.start,
            MemberKind::Splice(name) => self.source[..name.span.start]
                .rfind("...")
                .unwrap_or(name.span.start),
        }
    }

    fn member(&mut self, member: &Member) {
        let Comments { leading, trailing } = &member.comments;
        self.comment_lines(leading, 1);
        self.indent(1);
        match &member.kind {
            MemberKind::Relation(relation) => {
                self.out.push_str("relation ");
                self.out.push_str(&relation.name.text);
                self.out.push_str(": ");
                for (index, reference) in relation.types.iter().enumerate() {
                    if index > 0 {
                        self.out.push_str(" | ");
                    }
                    self.type_ref(reference);
                }
            }
            MemberKind::Permission(permission) => {
                self.out.push_str("permission ");
                self.out.push_str(&permission.name.text);
                let annotation: Vec<&str> = permission
                    .annotation
                    .iter()
                    .map(|n| n.text.as_str())
                    .collect();
                if !annotation.is_empty() {
                    self.out.push_str(": ");
                    self.out.push_str(&annotation.join(" | "));
                }
                self.out.push_str(" = ");
                self.expression(&permission.expression);
            }
            MemberKind::Splice(name) => {
                self.out.push_str("...");
                self.out.push_str(&name.text);
            }
        }
        self.end_line(trailing);
    }

    fn type_ref(&mut self, reference: &ast::TypeRef) {
        self.out.push_str(&reference.type_name.text);
        match &reference.target {
            // `type#...` means exactly `type`.
            TypeTarget::Terminal | TypeTarget::Ellipsis => {}
            TypeTarget::Relation(relation) => {
                self.out.push('#');
                self.out.push_str(&relation.text);
            }
            TypeTarget::Wildcard => self.out.push_str(":*"),
        }
        match (&reference.caveat, reference.expiration) {
            (Some(caveat), true) => {
                self.out.push_str(" with ");
                self.out.push_str(&caveat.text);
                self.out.push_str(" and expiration");
            }
            (Some(caveat), false) => {
                self.out.push_str(" with ");
                self.out.push_str(&caveat.text);
            }
            (None, true) => self.out.push_str(" with expiration"),
            (None, false) => {}
        }
    }

    fn expression(&mut self, expression: &Expr) {
        match expression {
            Expr::Operation { operator, operands } => {
                for (index, operand) in operands.iter().enumerate() {
                    if index > 0 {
                        self.out.push(' ');
                        self.out.push_str(operator.symbol());
                        self.out.push(' ');
                    }
                    if needs_parentheses(*operator, index, operand) {
                        self.out.push('(');
                        self.expression(operand);
                        self.out.push(')');
                    } else {
                        self.expression(operand);
                    }
                }
            }
            Expr::Name(name) => self.out.push_str(&name.text),
            Expr::Arrow { tupleset, steps } => {
                self.out.push_str(&tupleset.text);
                for step in steps {
                    match step.syntax {
                        ArrowSyntax::Arrow => {
                            self.out.push_str("->");
                            self.out.push_str(&step.target.text);
                        }
                        ArrowSyntax::Any | ArrowSyntax::All => {
                            let function = if step.syntax == ArrowSyntax::Any {
                                ".any("
                            } else {
                                ".all("
                            };
                            self.out.push_str(function);
                            self.out.push_str(&step.target.text);
                            self.out.push(')');
                        }
                    }
                }
            }
            Expr::Nil => self.out.push_str("nil"),
            Expr::SelfSubject => self.out.push_str("self"),
        }
    }

    fn caveat(&mut self, caveat: &Caveat) {
        self.out.push_str("caveat ");
        self.out.push_str(&caveat.name.text);
        self.out.push('(');
        for (index, parameter) in caveat.parameters.iter().enumerate() {
            if index > 0 {
                self.out.push_str(", ");
            }
            self.out.push_str(&parameter.name.text);
            self.out.push(' ');
            self.caveat_type(&parameter.parameter_type);
        }
        self.out.push_str(") {\n");
        self.comment_lines(&caveat.expression_comments, 1);
        self.indent(1);
        let expression = self.text(caveat.expression).trim();
        self.out.push_str(expression);
        self.out.push('\n');
        self.comment_lines(&caveat.closing_comments, 1);
        self.out.push('}');
    }

    fn caveat_type(&mut self, reference: &CaveatTypeRef) {
        self.out.push_str(&reference.name.text);
        if let Some((first, rest)) = reference.arguments.split_first() {
            self.out.push('<');
            self.caveat_type(first);
            for argument in rest {
                self.out.push_str(", ");
                self.caveat_type(argument);
            }
            self.out.push('>');
        }
    }
}

/// Whether `operand`, at `index` in a chain of `operator`, is printed in parentheses.
/// Operators are never mixed without them, for readability (`(a + b) & c`, although `+`
/// binds tighter). Unions and intersections are associative and compile flat, and an
/// exclusion chain is left-associative, so a nested chain of the same operator needs them
/// only right of an exclusion.
fn needs_parentheses(operator: Operator, index: usize, operand: &Expr) -> bool {
    match operand {
        Expr::Operation {
            operator: inner, ..
        } => *inner != operator || (operator == Operator::Exclusion && index > 0),
        _ => false,
    }
}
