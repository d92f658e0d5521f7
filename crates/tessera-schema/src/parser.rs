//! Tokens → [`ast::File`], following SpiceDB's grammar (`pkg/schemadsl/parser`).
//!
//! The parser stops at the first syntax error, except for misplaced or unknown `use`
//! statements, which it records and steps over as SpiceDB does.

use crate::ast::{
    ArrowStep, ArrowSyntax, Block, Caveat, CaveatTypeRef, Comments, Expr, File, Import, Item,
    ItemKind, Member, MemberKind, Name, Operator, Parameter, PermissionDecl, RelationDecl, TypeRef,
    TypeTarget, Use,
};
use crate::diagnostic::{Diagnostic, Span};
use crate::lexer::{Token, TokenKind, Tokens, UseFlag, lex};

/// How deeply parentheses (and caveat type arguments) may nest. Deeper input gets a
/// diagnostic instead of exhausting the stack of the parser and of the passes after it.
pub(crate) const MAX_NESTING: usize = 50;

/// Parses a schema text.
///
/// # Errors
/// The syntax errors found: the first hard error, preceded by any `use` errors.
pub(crate) fn parse(source: &str) -> Result<File, Vec<Diagnostic>> {
    let Tokens { tokens, error } = lex(source);
    let mut parser = Parser {
        source,
        tokens,
        pos: 0,
        lexer_error: error,
        soft_errors: Vec::new(),
        nesting: 0,
    };
    match parser.file() {
        Ok(file) if parser.soft_errors.is_empty() => Ok(file),
        Ok(_) => Err(parser.soft_errors),
        Err(error) => {
            let mut errors = parser.soft_errors;
            errors.push(*error);
            Err(errors)
        }
    }
}

type Parsed<T> = Result<T, Box<Diagnostic>>;

struct Parser<'a> {
    source: &'a str,
    tokens: Vec<Token>,
    pos: usize,
    lexer_error: Option<Diagnostic>,
    soft_errors: Vec<Diagnostic>,
    nesting: usize,
}

impl<'a> Parser<'a> {
    // ----- token access -----

    fn current(&self) -> &Token {
        // INVARIANT: the lexer always ends the tokens with `Eof`, and `advance` never moves
        // past it.
        &self.tokens[self.pos.min(self.tokens.len() - 1)]
    }

    fn kind(&self) -> TokenKind {
        self.current().kind
    }

    fn text(&self) -> &'a str {
        let span = self.current().span;
        &self.source[span.start..span.end]
    }

    fn at(&self, kind: TokenKind) -> bool {
        self.kind() == kind
    }

    fn at_keyword(&self, keyword: &str) -> bool {
        self.at(TokenKind::Keyword) && self.text() == keyword
    }

    fn advance(&mut self) -> Token {
        let token = self.current().clone();
        if token.kind != TokenKind::Eof {
            self.pos += 1;
        }
        token
    }

    fn eat(&mut self, kind: TokenKind) -> Option<Token> {
        self.at(kind).then(|| self.advance())
    }

    /// Comments attached to the tokens `from..self.pos`.
    fn comments_since(&self, from: usize) -> Vec<Span> {
        self.tokens[from..self.pos]
            .iter()
            .flat_map(|token| token.comments.iter().copied())
            .collect()
    }

    // ----- errors -----

    /// "expected X, found Y" at the current token; the lexer's own error when the current
    /// token is unreadable text.
    fn expected(&self, what: &str, help: &str) -> Box<Diagnostic> {
        if self.at(TokenKind::Error) {
            if let Some(error) = &self.lexer_error {
                return Box::new(error.clone());
            }
        }
        Box::new(Diagnostic::parse(
            self.current().span,
            format!("expected {what}, found {}", self.found()),
            help,
        ))
    }

    fn found(&self) -> String {
        match self.kind() {
            TokenKind::Identifier => format!("identifier `{}`", self.text()),
            TokenKind::Keyword => format!("keyword `{}`", self.text()),
            kind => kind.describe().to_owned(),
        }
    }

    fn expect(&mut self, kind: TokenKind, help: &str) -> Parsed<Token> {
        match self.eat(kind) {
            Some(token) => Ok(token),
            None => Err(self.expected(kind.describe(), help)),
        }
    }

    /// A name: an identifier (keywords are not names).
    fn identifier(&mut self, what: &str, help: &str) -> Parsed<Name> {
        if self.at(TokenKind::Keyword) {
            let keyword = self.text();
            return Err(Box::new(Diagnostic::parse(
                self.current().span,
                format!("expected {what}, found keyword `{keyword}`"),
                format!("`{keyword}` is a keyword here and cannot be used as a name"),
            )));
        }
        let token = self.expect_named(what, help)?;
        Ok(Name {
            text: self.source[token.span.start..token.span.end].to_owned(),
            span: token.span,
        })
    }

    fn expect_named(&mut self, what: &str, help: &str) -> Parsed<Token> {
        match self.eat(TokenKind::Identifier) {
            Some(token) => Ok(token),
            None => Err(self.expected(what, help)),
        }
    }

    /// `segment(/segment)*`, e.g. `org/team/user`.
    fn type_path(&mut self, what: &str, help: &str) -> Parsed<Name> {
        let first = self.identifier(what, help)?;
        let mut text = first.text;
        let mut span = first.span;
        while self.eat(TokenKind::Slash).is_some() {
            let segment = self.identifier(&format!("the rest of {what} after `/`"), help)?;
            text.push('/');
            text.push_str(&segment.text);
            span = span.to(segment.span);
        }
        Ok(Name { text, span })
    }

    fn at_terminator(&self) -> bool {
        matches!(
            self.kind(),
            TokenKind::Semicolon | TokenKind::SyntheticSemicolon | TokenKind::Eof
        )
    }

    fn enter(&mut self, span: Span) -> Parsed<()> {
        self.nesting += 1;
        if self.nesting > MAX_NESTING {
            return Err(Box::new(Diagnostic::parse(
                span,
                format!("nesting deeper than {MAX_NESTING} levels"),
                "split the expression into several permissions",
            )));
        }
        Ok(())
    }

    fn leave(&mut self) {
        self.nesting -= 1;
    }

    // ----- top level -----

    fn file(&mut self) -> Parsed<File> {
        let mut items = Vec::new();
        let mut seen_definition = false;
        loop {
            // Statement ends between items are optional, as in SpiceDB.
            while matches!(
                self.kind(),
                TokenKind::Semicolon | TokenKind::SyntheticSemicolon
            ) {
                let token = self.advance();
                if let Some(item) = items.last_mut() {
                    let item: &mut Item = item;
                    item.comments.trailing.extend(token.comments);
                } else if !token.comments.is_empty() {
                    // Comments before a stray leading `;` stay before the first item.
                    self.tokens[self.pos].comments.splice(0..0, token.comments);
                }
            }
            if self.at(TokenKind::Eof) {
                return Ok(File {
                    items,
                    end_comments: self.current().comments.clone(),
                });
            }
            let start = self.pos;
            let leading = self.current().comments.clone();
            let kind = if self.at(TokenKind::Identifier) && self.text() == "use" {
                ItemKind::Use(self.use_statement(seen_definition)?)
            } else if self.at_keyword("definition") {
                seen_definition = true;
                ItemKind::Definition(self.block()?)
            } else if self.at_keyword("caveat") {
                seen_definition = true;
                ItemKind::Caveat(self.caveat()?)
            } else if self.at_keyword("partial") {
                ItemKind::Partial(self.block()?)
            } else if self.at_keyword("import") {
                ItemKind::Import(self.import()?)
            } else {
                return Err(self.expected(
                    "`definition`, `caveat`, `partial`, `import` or `use`",
                    "a schema is a list of definitions and caveats",
                ));
            };
            let trailing = self.item_trailing_comments(start, &kind);
            items.push(Item {
                kind,
                comments: Comments { leading, trailing },
            });
        }
    }

    /// The comments inside an item that no member or body part took.
    fn item_trailing_comments(&self, start: usize, kind: &ItemKind) -> Vec<Span> {
        match kind {
            // Members, the caveat expression and closing braces hold their own comments;
            // here only those of the header remain.
            ItemKind::Definition(_) | ItemKind::Partial(_) | ItemKind::Caveat(_) => Vec::new(),
            ItemKind::Use(_) | ItemKind::Import(_) => self.comments_since(start + 1),
        }
    }

    fn use_statement(&mut self, after_definition: bool) -> Parsed<Use> {
        let use_token = self.advance();
        if !matches!(self.kind(), TokenKind::Identifier | TokenKind::Keyword) {
            return Err(self.expected("a flag name after `use`", "write e.g. `use expiration`"));
        }
        let name_token = self.advance();
        let name = &self.source[name_token.span.start..name_token.span.end];
        let Some(flag) = UseFlag::from_name(name) else {
            let options = UseFlag::ALL.map(UseFlag::name).join(", ");
            return Err(Box::new(Diagnostic::parse(
                name_token.span,
                format!("unknown use flag `{name}`"),
                format!("the flags are: {options}"),
            )));
        };
        if after_definition {
            self.soft_errors.push(Diagnostic::parse(
                use_token.span.to(name_token.span),
                "`use` must come before every definition and caveat".to_owned(),
                "move this line to the top of the schema",
            ));
        }
        Ok(Use { flag })
    }

    fn import(&mut self) -> Parsed<Import> {
        let keyword = self.advance();
        let Some(literal) = self.eat(TokenKind::String) else {
            return Err(self.expected(
                "a quoted path after `import`",
                "write e.g. `import \"users.zed\"`",
            ));
        };
        let quoted = &self.source[literal.span.start..literal.span.end];
        // Like SpiceDB: single quotes are stripped if the literal starts with one, double
        // quotes otherwise.
        let path = if quoted.starts_with('\'') {
            quoted.trim_matches('\'')
        } else {
            quoted.trim_matches('"')
        };
        Ok(Import {
            path: path.to_owned(),
            literal: literal.span,
            span: keyword.span.to(literal.span),
        })
    }

    // ----- definitions and partials -----

    fn block(&mut self) -> Parsed<Block> {
        let keyword_index = self.pos;
        let keyword = self.advance();
        let what = &self.source[keyword.span.start..keyword.span.end];
        let name = self.type_path(
            &format!("a name after `{what}`"),
            &format!("write e.g. `{what} document {{}}`"),
        )?;
        self.expect(
            TokenKind::LeftBrace,
            &format!("the body of the {what} goes between `{{` and `}}`"),
        )?;
        // Comments inside the header have no better home than the end of the body.
        let header_comments = self.comments_since(keyword_index + 1);
        let mut members = Vec::new();
        let closing_comments = loop {
            if let Some(close) = self.eat(TokenKind::RightBrace) {
                break close.comments;
            }
            let start = self.pos;
            let leading = self.current().comments.clone();
            let kind = if self.at_keyword("relation") {
                Some(MemberKind::Relation(self.relation()?))
            } else if self.at_keyword("permission") {
                Some(MemberKind::Permission(self.permission()?))
            } else if self.at(TokenKind::Ellipsis) {
                self.advance();
                Some(MemberKind::Splice(self.identifier(
                    "a partial name after `...`",
                    "write e.g. `...common_relations`",
                )?))
            } else {
                None
            };
            let is_member = kind.is_some();
            if !self.at_terminator() {
                let what_next = if is_member {
                    "the end of the statement"
                } else {
                    "`relation`, `permission`, `...partial` or `}`"
                };
                return Err(self.expected(
                    what_next,
                    "put each relation and permission on its own line, and close the body \
                     with `}`",
                ));
            }
            if self.at(TokenKind::Eof) {
                return Err(self.expected("`}`", "close the body with `}`"));
            }
            self.advance();
            let comments = Comments {
                leading: if is_member { leading } else { Vec::new() },
                trailing: self.comments_since(start + usize::from(is_member)),
            };
            match kind {
                Some(kind) => members.push(Member { kind, comments }),
                None => {
                    // An empty statement (a stray `;`): keep its comments on a neighbour.
                    if let Some(member) = members.last_mut() {
                        member.comments.trailing.extend(comments.trailing);
                    } else {
                        self.tokens[self.pos]
                            .comments
                            .splice(0..0, comments.trailing);
                    }
                }
            }
        };
        let mut closing = header_comments;
        closing.extend(closing_comments);
        Ok(Block {
            keyword: keyword.span,
            name,
            members,
            closing_comments: closing,
        })
    }

    fn relation(&mut self) -> Parsed<RelationDecl> {
        let keyword = self.advance().span;
        let name = self.identifier("a relation name", "write e.g. `relation viewer: user`")?;
        self.expect(
            TokenKind::Colon,
            "a relation lists its subject types after `:`, e.g. `relation viewer: user`",
        )?;
        let mut types = vec![self.type_ref()?];
        while self.eat(TokenKind::Pipe).is_some() {
            types.push(self.type_ref()?);
        }
        Ok(RelationDecl {
            keyword,
            name,
            types,
        })
    }

    fn type_ref(&mut self) -> Parsed<TypeRef> {
        let help = "subject types look like `user`, `group#member` or `user:*`";
        let type_name = self.type_path("a subject type", help)?;
        let mut end = type_name.span;
        let target = if self.eat(TokenKind::Colon).is_some() {
            end = self
                .expect(TokenKind::Star, "a wildcard is written `type:*`")?
                .span;
            TypeTarget::Wildcard
        } else if self.eat(TokenKind::Hash).is_some() {
            if let Some(ellipsis) = self.eat(TokenKind::Ellipsis) {
                end = ellipsis.span;
                TypeTarget::Ellipsis
            } else {
                let relation = self.identifier(
                    "a relation name or `...` after `#`",
                    "a subject set is written `group#member`",
                )?;
                end = relation.span;
                TypeTarget::Relation(relation)
            }
        } else {
            TypeTarget::Terminal
        };
        let mut caveat = None;
        let mut expiration = false;
        if self.at_keyword("with") {
            self.advance();
            let mut expiration_allowed = true;
            if !self.at_keyword("expiration") {
                let name = self.type_path(
                    "a caveat name after `with`",
                    "write `with caveat_name`, `with expiration` or \
                     `with caveat_name and expiration`",
                )?;
                end = name.span;
                caveat = Some(name);
                // As in SpiceDB, `and` may end the line; only `and expiration` adds anything.
                match self.eat_keyword("and") {
                    Some(and) => end = and,
                    None => expiration_allowed = false,
                }
            }
            if expiration_allowed && self.at_keyword("expiration") {
                end = self.advance().span;
                expiration = true;
                if self.at_keyword("and") {
                    return Err(Box::new(Diagnostic::parse(
                        self.current().span,
                        "unexpected `and` after `expiration`".to_owned(),
                        "the caveat comes first: `with caveat_name and expiration`",
                    )));
                }
            }
        }
        Ok(TypeRef {
            span: type_name.span.to(end),
            type_name,
            target,
            caveat,
            expiration,
        })
    }

    fn eat_keyword(&mut self, keyword: &str) -> Option<Span> {
        self.at_keyword(keyword).then(|| self.advance().span)
    }

    fn permission(&mut self) -> Parsed<PermissionDecl> {
        let keyword = self.advance().span;
        let name = self.identifier(
            "a permission name",
            "write e.g. `permission view = viewer + editor`",
        )?;
        let mut annotation = Vec::new();
        if self.eat(TokenKind::Colon).is_some() {
            let help = "a type annotation lists definitions: `permission view: user | group = ...`";
            annotation.push(self.identifier("a type name in the annotation", help)?);
            while self.eat(TokenKind::Pipe).is_some() {
                annotation.push(self.identifier("a type name after `|`", help)?);
            }
        }
        self.expect(
            TokenKind::Equals,
            "a permission is computed from an expression: `permission view = viewer`",
        )?;
        let expression = self.expression()?;
        Ok(PermissionDecl {
            keyword,
            name,
            annotation,
            expression,
        })
    }

    // ----- permission expressions -----

    fn expression(&mut self) -> Parsed<Expr> {
        self.operation(Operator::Exclusion)
    }

    /// A left-associative chain of `operator`, each operand binding tighter.
    fn operation(&mut self, operator: Operator) -> Parsed<Expr> {
        let first = self.operand_of(operator)?;
        let token = match operator {
            Operator::Exclusion => TokenKind::Minus,
            Operator::Intersection => TokenKind::Ampersand,
            Operator::Union => TokenKind::Plus,
        };
        if !self.at(token) {
            return Ok(first);
        }
        let mut operands = vec![first];
        while self.eat(token).is_some() {
            operands.push(self.operand_of(operator)?);
        }
        Ok(Expr::Operation { operator, operands })
    }

    fn operand_of(&mut self, operator: Operator) -> Parsed<Expr> {
        match operator {
            Operator::Exclusion => self.operation(Operator::Intersection),
            Operator::Intersection => self.operation(Operator::Union),
            Operator::Union => self.term(),
        }
    }

    /// A name, an arrow, `nil`, `self` or a parenthesised expression.
    fn term(&mut self) -> Parsed<Expr> {
        let help = "an operand is a relation or permission name, an arrow like `parent->view`, \
                    `nil`, `self` (with `use self`) or a parenthesised expression";
        if self.at(TokenKind::LeftParen) {
            let open = self.advance().span;
            self.enter(open)?;
            let inner = self.expression()?;
            self.leave();
            self.expect(TokenKind::RightParen, "close the parenthesis with `)`")?;
            return Ok(inner);
        }
        if self.eat_keyword("nil").is_some() {
            return Ok(Expr::Nil);
        }
        if self.eat_keyword("self").is_some() {
            return Ok(Expr::SelfSubject);
        }
        if !self.at(TokenKind::Identifier) {
            return Err(self.expected("a relation, permission, `nil` or `(`", help));
        }
        let name = self.identifier("a relation or permission name", help)?;
        let mut steps = Vec::new();
        loop {
            if self.eat(TokenKind::Arrow).is_some() {
                let target = self.identifier(
                    "a relation or permission name after `->`",
                    "an arrow names what to look up on each subject: `parent->view`",
                )?;
                let end = target.span;
                steps.push(ArrowStep {
                    syntax: ArrowSyntax::Arrow,
                    target,
                    end,
                });
            } else if self.eat(TokenKind::Period).is_some() {
                steps.push(self.arrow_function()?);
            } else {
                break;
            }
        }
        if steps.is_empty() {
            Ok(Expr::Name(name))
        } else {
            Ok(Expr::Arrow {
                tupleset: name,
                steps,
            })
        }
    }

    /// After `tupleset.`: `any(x)` or `all(x)`.
    fn arrow_function(&mut self) -> Parsed<ArrowStep> {
        let help = "arrow functions are `.any(permission)` and `.all(permission)`";
        let function = self.identifier("`any` or `all` after `.`", help)?;
        let syntax = match function.text.as_str() {
            "any" => ArrowSyntax::Any,
            "all" => ArrowSyntax::All,
            other => {
                return Err(Box::new(Diagnostic::parse(
                    function.span,
                    format!("unknown arrow function `{other}`"),
                    help,
                )));
            }
        };
        self.expect(TokenKind::LeftParen, help)?;
        let target = self.identifier("a relation or permission name", help)?;
        let close = self.expect(TokenKind::RightParen, help)?;
        Ok(ArrowStep {
            syntax,
            target,
            end: close.span,
        })
    }

    // ----- caveats -----

    fn caveat(&mut self) -> Parsed<Caveat> {
        let keyword_index = self.pos;
        let keyword = self.advance().span;
        let name = self.type_path(
            "a caveat name",
            "write e.g. `caveat on_weekdays(day int) { day < 6 }`",
        )?;
        self.expect(
            TokenKind::LeftParen,
            "a caveat declares its parameters in parentheses: `caveat name(param int)`",
        )?;
        let mut parameters = vec![self.parameter()?];
        while self.eat(TokenKind::Comma).is_some() {
            parameters.push(self.parameter()?);
        }
        self.expect(
            TokenKind::RightParen,
            "separate parameters with `,` and close the list with `)`",
        )?;
        self.expect(
            TokenKind::LeftBrace,
            "the caveat's expression goes between `{` and `}`",
        )?;
        let header_comments = self.comments_since(keyword_index + 1);
        let (expression, expression_comments) = self.caveat_expression()?;
        let close = self.expect(
            TokenKind::RightBrace,
            "close the caveat's expression with `}`",
        )?;
        let mut closing_comments = header_comments;
        closing_comments.extend(close.comments);
        Ok(Caveat {
            keyword,
            name,
            parameters,
            expression,
            expression_comments,
            closing_comments,
        })
    }

    fn parameter(&mut self) -> Parsed<Parameter> {
        let name = self.identifier(
            "a parameter name",
            "a caveat needs at least one parameter, written `name type`",
        )?;
        let parameter_type = self.caveat_type()?;
        Ok(Parameter {
            name,
            parameter_type,
        })
    }

    fn caveat_type(&mut self) -> Parsed<CaveatTypeRef> {
        let name = self.identifier(
            "a parameter type",
            "types are any, bool, string, int, uint, double, bytes, duration, timestamp, \
             ipaddress, list<T> and map<T>",
        )?;
        let mut arguments = Vec::new();
        if let Some(open) = self.eat(TokenKind::LessThan) {
            self.enter(open.span)?;
            arguments.push(self.caveat_type()?);
            while self.eat(TokenKind::Comma).is_some() {
                arguments.push(self.caveat_type()?);
            }
            self.leave();
            self.expect(TokenKind::GreaterThan, "close the type arguments with `>`")?;
        }
        Ok(CaveatTypeRef { name, arguments })
    }

    /// Every token up to the `}` that closes the caveat body, like SpiceDB, which hands
    /// the text to CEL. Returns the expression's span and the comments before it.
    fn caveat_expression(&mut self) -> Parsed<(Span, Vec<Span>)> {
        let mut depth = 0usize;
        let first = self.pos;
        let mut last = None;
        loop {
            match self.kind() {
                TokenKind::LeftBrace => depth += 1,
                TokenKind::RightBrace if depth == 0 => break,
                TokenKind::RightBrace => depth -= 1,
                TokenKind::Error | TokenKind::Eof => break,
                _ => {}
            }
            last = Some(self.advance().span);
        }
        match last {
            Some(last) => {
                let first_token = &self.tokens[first];
                Ok((first_token.span.to(last), first_token.comments.clone()))
            }
            None if self.at(TokenKind::RightBrace) => Err(Box::new(Diagnostic::parse(
                self.current().span,
                "missing caveat expression".to_owned(),
                "write the condition between the braces, e.g. `{ day < 6 }`",
            ))),
            None => Err(self.expected("the caveat's expression", "close the caveat with `}`")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn operators(expr: &Expr) -> String {
        match expr {
            Expr::Operation { operator, operands } => {
                let inner: Vec<String> = operands.iter().map(operators).collect();
                format!("({})", inner.join(&format!(" {} ", operator.symbol())))
            }
            Expr::Name(name) => name.text.clone(),
            Expr::Arrow { tupleset, steps } => {
                let mut text = tupleset.text.clone();
                for step in steps {
                    text.push_str("->");
                    text.push_str(&step.target.text);
                }
                text
            }
            Expr::Nil => "nil".to_owned(),
            Expr::SelfSubject => "self".to_owned(),
        }
    }

    fn parse_permission(expression: &str) -> String {
        let source = format!("definition d {{\n permission p = {expression}\n}}");
        let file = parse(&source).unwrap();
        let ItemKind::Definition(block) = &file.items[0].kind else {
            panic!("not a definition")
        };
        let MemberKind::Permission(permission) = &block.members[0].kind else {
            panic!("not a permission")
        };
        operators(&permission.expression)
    }

    #[test]
    fn precedence_and_associativity_follow_spicedb() {
        assert_eq!(parse_permission("a + b - c"), "((a + b) - c)");
        assert_eq!(parse_permission("a - b + c"), "(a - (b + c))");
        assert_eq!(parse_permission("a - b - c"), "(a - b - c)");
        assert_eq!(parse_permission("a & b + c"), "(a & (b + c))");
        assert_eq!(parse_permission("a - b & c"), "(a - (b & c))");
        assert_eq!(parse_permission("(a - b) - c"), "((a - b) - c)");
        assert_eq!(parse_permission("a - (b - c)"), "(a - (b - c))");
        assert_eq!(parse_permission("x->y + z"), "(x->y + z)");
    }

    #[test]
    fn one_line_definitions_need_statement_ends() {
        assert!(parse("definition a { relation b: c; }").is_ok());
        assert!(parse("definition a { relation b: c }").is_err());
        assert!(parse("definition a {}").is_ok());
    }

    #[test]
    fn deep_parentheses_get_a_diagnostic() {
        let deep = format!("{}a{}", "(".repeat(1000), ")".repeat(1000));
        let errors = parse_permission_errors(&deep);
        assert!(errors[0].message().contains("nesting"), "{errors:?}");
    }

    fn parse_permission_errors(expression: &str) -> Vec<Diagnostic> {
        let source = format!("definition d {{\n permission p = {expression}\n}}");
        parse(&source).unwrap_err()
    }
}
