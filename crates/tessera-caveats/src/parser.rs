//! Recursive-descent parser for CEL's grammar (cel-spec `langdef.md`, "Syntax"), with the
//! standard macros expanded into [`ExprKind::Has`] and [`ExprKind::Comprehension`].
//!
//! Recursion is bounded twice: nested sub-expressions (parentheses, arguments, literals) count
//! against the depth limit while parsing, and every node built records its height, so chains
//! that the parser builds in a loop (`a.b.c...`, `1 + 1 + ...`) cannot grow deeper either.

use std::ops::Range;

use crate::ast::{BinaryOp, Expr, ExprKind, Literal, MacroKind, UnaryOp};
use crate::error::CaveatDiagnostic;
use crate::lexer::{Token, TokenKind, tokenize};

/// Words CEL reserves for embedding languages; they cannot name variables or functions.
const RESERVED: [&str; 17] = [
    "as",
    "break",
    "const",
    "continue",
    "else",
    "for",
    "function",
    "if",
    "import",
    "let",
    "loop",
    "package",
    "namespace",
    "return",
    "var",
    "void",
    "while",
];

/// Words the lexer turns into literals or operators rather than identifiers.
const KEYWORDS: [&str; 4] = ["true", "false", "null", "in"];

/// Whether `word` could name a variable (a caveat parameter) in an expression: not one of
/// CEL's keywords or reserved words.
pub fn can_name_variable(word: &str) -> bool {
    !KEYWORDS.contains(&word) && !RESERVED.contains(&word)
}

/// Parses a whole expression; `max_depth` bounds nesting.
pub(crate) fn parse(text: &str, max_depth: usize) -> Result<Expr, CaveatDiagnostic> {
    let tokens = tokenize(text)?;
    let mut parser = Parser {
        tokens,
        pos: 0,
        depth: 0,
        max_depth,
    };
    let expr = parser.expr()?;
    let next = parser.peek();
    if next.kind != TokenKind::End {
        return Err(error(
            format!(
                "unexpected {} after the end of the expression",
                next.kind.describe()
            ),
            next.span.clone(),
        ));
    }
    Ok(expr)
}

fn error(message: impl Into<String>, span: Range<usize>) -> CaveatDiagnostic {
    CaveatDiagnostic {
        message: message.into(),
        offset: span.start,
        len: span.end - span.start,
        help: None,
    }
}

struct Parser {
    tokens: Vec<Token>,
    pos: usize,
    depth: usize,
    max_depth: usize,
}

impl Parser {
    fn peek(&self) -> &Token {
        self.peek_at(0)
    }

    fn peek_at(&self, ahead: usize) -> &Token {
        // INVARIANT: the token list ends with `End`, which is never consumed.
        let last = self.tokens.len().saturating_sub(1);
        &self.tokens[(self.pos + ahead).min(last)]
    }

    fn advance(&mut self) -> Token {
        let token = self.peek().clone();
        if token.kind != TokenKind::End {
            self.pos += 1;
        }
        token
    }

    fn eat(&mut self, kind: &TokenKind) -> bool {
        if &self.peek().kind == kind {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    fn expect(&mut self, kind: &TokenKind, context: &str) -> Result<Token, CaveatDiagnostic> {
        if &self.peek().kind == kind {
            return Ok(self.advance());
        }
        let found = self.peek();
        Err(error(
            format!(
                "expected {} {context}, found {}",
                kind.describe(),
                found.kind.describe()
            ),
            found.span.clone(),
        ))
    }

    fn too_deep(&self, span: Range<usize>) -> CaveatDiagnostic {
        error(
            format!(
                "expression is nested more than {} levels deep",
                self.max_depth
            ),
            span,
        )
        .with_help("split the condition into simpler parts")
    }

    /// Builds a node, refusing one taller than the depth limit.
    fn node(&self, kind: ExprKind, span: Range<usize>) -> Result<Expr, CaveatDiagnostic> {
        let children = match &kind {
            ExprKind::Literal(_) | ExprKind::Ident(_) => 0,
            ExprKind::Select { operand, .. } | ExprKind::Has { operand, .. } => operand.height,
            ExprKind::Unary { operand, .. } => operand.height,
            ExprKind::Index {
                operand: lhs,
                index: rhs,
                ..
            }
            | ExprKind::Binary { lhs, rhs, .. } => lhs.height.max(rhs.height),
            ExprKind::Call { target, args, .. } => target
                .iter()
                .map(|t| t.height)
                .chain(args.iter().map(|a| a.height))
                .max()
                .unwrap_or(0),
            ExprKind::Conditional {
                cond,
                then,
                otherwise,
            } => cond.height.max(then.height).max(otherwise.height),
            ExprKind::List(items) => items.iter().map(|(i, _)| i.height).max().unwrap_or(0),
            ExprKind::Map(entries) => entries
                .iter()
                .map(|(k, v, _)| k.height.max(v.height))
                .max()
                .unwrap_or(0),
            ExprKind::Comprehension {
                range,
                filter,
                body,
                ..
            } => range
                .height
                .max(body.height)
                .max(filter.as_ref().map_or(0, |f| f.height)),
        };
        let height = children + 1;
        if height > self.max_depth {
            return Err(self.too_deep(span));
        }
        Ok(Expr { kind, span, height })
    }

    /// `Expr = ConditionalOr ["?" ConditionalOr ":" Expr]`
    fn expr(&mut self) -> Result<Expr, CaveatDiagnostic> {
        self.depth += 1;
        if self.depth > self.max_depth {
            return Err(self.too_deep(self.peek().span.clone()));
        }
        let result = crate::stack::guarded(|| self.conditional());
        self.depth -= 1;
        result
    }

    fn conditional(&mut self) -> Result<Expr, CaveatDiagnostic> {
        let cond = self.logical(BinaryOp::Or)?;
        if !self.eat(&TokenKind::Question) {
            return Ok(cond);
        }
        let then = self.logical(BinaryOp::Or)?;
        self.expect(&TokenKind::Colon, "in the conditional `? :`")?;
        let otherwise = self.expr()?;
        let span = cond.span.start..otherwise.span.end;
        self.node(
            ExprKind::Conditional {
                cond: Box::new(cond),
                then: Box::new(then),
                otherwise: Box::new(otherwise),
            },
            span,
        )
    }

    /// A chain of `||` (or of `&&`) terms, built as a balanced tree: the operators are
    /// commutative in CEL, and balancing keeps `a || b || ... || z` shallow.
    fn logical(&mut self, op: BinaryOp) -> Result<Expr, CaveatDiagnostic> {
        let (token, operand) = match op {
            BinaryOp::Or => (TokenKind::OrOr, BinaryOp::And),
            _ => (TokenKind::AndAnd, BinaryOp::Equal),
        };
        let mut terms = Vec::new();
        loop {
            terms.push(if operand == BinaryOp::And {
                self.logical(BinaryOp::And)?
            } else {
                self.relation()?
            });
            if !self.eat(&token) {
                break;
            }
        }
        self.balance(op, terms)
    }

    fn balance(&self, op: BinaryOp, mut terms: Vec<Expr>) -> Result<Expr, CaveatDiagnostic> {
        if terms.len() <= 1 {
            // INVARIANT: `logical` pushes at least one term.
            return terms
                .pop()
                .ok_or_else(|| error("empty logical chain", 0..0));
        }
        let right = terms.split_off(terms.len() / 2);
        let lhs = self.balance(op, terms)?;
        let rhs = self.balance(op, right)?;
        let span = lhs.span.start..rhs.span.end;
        self.node(
            ExprKind::Binary {
                op,
                lhs: Box::new(lhs),
                rhs: Box::new(rhs),
            },
            span,
        )
    }

    fn binary_loop(
        &mut self,
        operator: fn(&TokenKind) -> Option<BinaryOp>,
        operand: fn(&mut Self) -> Result<Expr, CaveatDiagnostic>,
    ) -> Result<Expr, CaveatDiagnostic> {
        let mut lhs = operand(self)?;
        while let Some(op) = operator(&self.peek().kind) {
            self.advance();
            let rhs = operand(self)?;
            let span = lhs.span.start..rhs.span.end;
            lhs = self.node(
                ExprKind::Binary {
                    op,
                    lhs: Box::new(lhs),
                    rhs: Box::new(rhs),
                },
                span,
            )?;
        }
        Ok(lhs)
    }

    fn relation(&mut self) -> Result<Expr, CaveatDiagnostic> {
        self.binary_loop(
            |kind| match kind {
                TokenKind::EqualEqual => Some(BinaryOp::Equal),
                TokenKind::NotEqual => Some(BinaryOp::NotEqual),
                TokenKind::Less => Some(BinaryOp::Less),
                TokenKind::LessEqual => Some(BinaryOp::LessEqual),
                TokenKind::Greater => Some(BinaryOp::Greater),
                TokenKind::GreaterEqual => Some(BinaryOp::GreaterEqual),
                TokenKind::In => Some(BinaryOp::In),
                _ => None,
            },
            Self::addition,
        )
    }

    fn addition(&mut self) -> Result<Expr, CaveatDiagnostic> {
        self.binary_loop(
            |kind| match kind {
                TokenKind::Plus => Some(BinaryOp::Add),
                TokenKind::Minus => Some(BinaryOp::Subtract),
                _ => None,
            },
            Self::multiplication,
        )
    }

    fn multiplication(&mut self) -> Result<Expr, CaveatDiagnostic> {
        self.binary_loop(
            |kind| match kind {
                TokenKind::Star => Some(BinaryOp::Multiply),
                TokenKind::Slash => Some(BinaryOp::Divide),
                TokenKind::Percent => Some(BinaryOp::Modulo),
                _ => None,
            },
            Self::unary,
        )
    }

    /// `Unary = Member | "!" {"!"} Member | "-" {"-"} Member`. Like cel-go, an even run of the
    /// same operator cancels out, and a `-` directly before a number is the number's sign.
    fn unary(&mut self) -> Result<Expr, CaveatDiagnostic> {
        let start = self.peek().span.start;
        let (op, token) = match self.peek().kind {
            TokenKind::Bang => (UnaryOp::Not, TokenKind::Bang),
            TokenKind::Minus => (UnaryOp::Negate, TokenKind::Minus),
            _ => return self.member(),
        };
        let mut count = 0;
        while self.peek().kind == token {
            let sign_of_number = op == UnaryOp::Negate
                && matches!(
                    self.peek_at(1).kind,
                    TokenKind::Int(_) | TokenKind::Uint(_) | TokenKind::Double(_)
                );
            if sign_of_number {
                break;
            }
            self.advance();
            count += 1;
        }
        let operand = self.member()?;
        if count % 2 == 0 {
            return Ok(operand);
        }
        let span = start..operand.span.end;
        self.node(
            ExprKind::Unary {
                op,
                operand: Box::new(operand),
            },
            span,
        )
    }

    /// `Member = Primary { "." SELECTOR ["(" [ExprList] ")"] | "[" Expr "]" }`
    fn member(&mut self) -> Result<Expr, CaveatDiagnostic> {
        let mut expr = self.primary()?;
        loop {
            match self.peek().kind {
                TokenKind::Dot => {
                    self.advance();
                    let optional = self.eat(&TokenKind::Question);
                    let name_token = self.advance();
                    let TokenKind::Ident(name) = name_token.kind else {
                        return Err(error(
                            format!(
                                "expected a field or method name after `.`, found {}",
                                name_token.kind.describe()
                            ),
                            name_token.span,
                        ));
                    };
                    if !optional && self.eat(&TokenKind::LeftParen) {
                        let (args, close) = self.arguments()?;
                        expr = self.call(Some(expr), name, name_token.span, args, close)?;
                    } else {
                        let span = expr.span.start..name_token.span.end;
                        expr = self.node(
                            ExprKind::Select {
                                operand: Box::new(expr),
                                field: name,
                                optional,
                            },
                            span,
                        )?;
                    }
                }
                TokenKind::LeftBracket => {
                    self.advance();
                    let optional = self.eat(&TokenKind::Question);
                    let index = self.expr()?;
                    let close = self.expect(&TokenKind::RightBracket, "to close the index")?;
                    let span = expr.span.start..close.span.end;
                    expr = self.node(
                        ExprKind::Index {
                            operand: Box::new(expr),
                            index: Box::new(index),
                            optional,
                        },
                        span,
                    )?;
                }
                _ => return Ok(expr),
            }
        }
    }

    /// Arguments after an opening `(`, through the closing `)`, whose span is returned too.
    fn arguments(&mut self) -> Result<(Vec<Expr>, Range<usize>), CaveatDiagnostic> {
        let mut args = Vec::new();
        if !matches!(self.peek().kind, TokenKind::RightParen) {
            loop {
                args.push(self.expr()?);
                if !self.eat(&TokenKind::Comma) {
                    break;
                }
            }
        }
        let close = self.expect(&TokenKind::RightParen, "to close the argument list")?;
        Ok((args, close.span))
    }

    /// A call, or the macro it spells (`has(m.f)`, `l.all(x, p)` ...).
    fn call(
        &self,
        target: Option<Expr>,
        function: String,
        function_span: Range<usize>,
        mut args: Vec<Expr>,
        close: Range<usize>,
    ) -> Result<Expr, CaveatDiagnostic> {
        let start = target
            .as_ref()
            .map_or(function_span.start, |t| t.span.start);
        let span = start..close.end;
        let Some(target) = target else {
            if function == "has" && args.len() == 1 {
                let arg = args.remove(0);
                let ExprKind::Select {
                    operand,
                    field,
                    optional: false,
                } = arg.kind
                else {
                    return Err(error("invalid argument to `has()`", arg.span)
                        .with_help("`has()` tests a field, as in `has(map.key)`"));
                };
                return self.node(ExprKind::Has { operand, field }, span);
            }
            if RESERVED.contains(&function.as_str()) {
                return Err(error(
                    format!("reserved identifier `{function}`"),
                    function_span,
                ));
            }
            return self.node(
                ExprKind::Call {
                    target: None,
                    function,
                    function_span,
                    args,
                },
                span,
            );
        };
        let kind = match (function.as_str(), args.len()) {
            ("all", 2) => Some(MacroKind::All),
            ("exists", 2) => Some(MacroKind::Exists),
            ("exists_one", 2) => Some(MacroKind::ExistsOne),
            ("map", 2 | 3) => Some(MacroKind::Map),
            ("filter", 2) => Some(MacroKind::Filter),
            ("optMap", 2) => Some(MacroKind::OptMap),
            _ => None,
        };
        let Some(kind) = kind else {
            return self.node(
                ExprKind::Call {
                    target: Some(Box::new(target)),
                    function,
                    function_span,
                    args,
                },
                span,
            );
        };
        let body = args.pop();
        let filter = if args.len() == 2 {
            args.pop().map(Box::new)
        } else {
            None
        };
        let var = args.pop();
        let (Some(var), Some(body)) = (var, body) else {
            return Err(error("malformed macro call", span));
        };
        let ExprKind::Ident(name) = var.kind else {
            return Err(error(
                format!("the first argument of `{function}` must be a simple name"),
                var.span,
            )
            .with_help(format!("write it as `list.{function}(x, ...)`")));
        };
        self.node(
            ExprKind::Comprehension {
                kind,
                range: Box::new(target),
                var: name,
                filter,
                body: Box::new(body),
            },
            span,
        )
    }

    fn primary(&mut self) -> Result<Expr, CaveatDiagnostic> {
        let token = self.advance();
        let span = token.span.clone();
        let literal = |value| Ok(ExprKind::Literal(value));
        let kind = match token.kind {
            TokenKind::Minus => return self.signed_number(span),
            TokenKind::Int(magnitude) => match i64::try_from(magnitude) {
                Ok(value) => literal(Literal::Int(value)),
                Err(_) => Err(
                    error("integer literal is out of the range of `int`", span.clone())
                        .with_help("append `u` for a `uint`"),
                ),
            },
            TokenKind::Uint(value) => literal(Literal::Uint(value)),
            TokenKind::Double(value) => literal(Literal::Double(value)),
            TokenKind::String(value) => literal(Literal::String(value)),
            TokenKind::Bytes(value) => literal(Literal::Bytes(value)),
            TokenKind::True => literal(Literal::Bool(true)),
            TokenKind::False => literal(Literal::Bool(false)),
            TokenKind::Null => literal(Literal::Null),
            TokenKind::Ident(name) => return self.identifier(name, span),
            TokenKind::LeftParen => {
                let inner = self.expr()?;
                self.expect(&TokenKind::RightParen, "to close the parenthesis")?;
                return Ok(inner);
            }
            TokenKind::LeftBracket => return self.list(span.start),
            TokenKind::LeftBrace => return self.map(span.start),
            TokenKind::Dot => Err(error(
                "leading `.` names are not supported in caveats",
                span.clone(),
            )),
            other => Err(error(
                format!("expected an expression, found {}", other.describe()),
                span.clone(),
            )),
        }?;
        self.node(kind, span)
    }

    /// A `-` directly followed by a number literal: the literal's sign.
    fn signed_number(&mut self, minus: Range<usize>) -> Result<Expr, CaveatDiagnostic> {
        let token = self.advance();
        let span = minus.start..token.span.end;
        let value = match token.kind {
            TokenKind::Int(magnitude) => {
                let value = 0i64.checked_sub_unsigned(magnitude).ok_or_else(|| {
                    error("integer literal is out of the range of `int`", span.clone())
                })?;
                Literal::Int(value)
            }
            TokenKind::Double(value) => Literal::Double(-value),
            TokenKind::Uint(_) => {
                return Err(error("a `uint` literal cannot be negative", span));
            }
            other => {
                return Err(error(
                    format!("expected an expression, found {}", other.describe()),
                    token.span,
                ));
            }
        };
        self.node(ExprKind::Literal(value), span)
    }

    fn identifier(&mut self, name: String, span: Range<usize>) -> Result<Expr, CaveatDiagnostic> {
        if self.eat(&TokenKind::LeftParen) {
            let (args, close) = self.arguments()?;
            return self.call(None, name, span.clone(), args, close);
        }
        if RESERVED.contains(&name.as_str()) {
            return Err(error(format!("reserved identifier `{name}`"), span));
        }
        if self.peek().kind == TokenKind::LeftBrace {
            return Err(error(
                "message construction is not supported in caveats",
                span.start..self.peek().span.end,
            )
            .with_help("use a map literal such as `{\"key\": value}`"));
        }
        self.node(ExprKind::Ident(name), span)
    }

    fn list(&mut self, start: usize) -> Result<Expr, CaveatDiagnostic> {
        let mut items = Vec::new();
        while self.peek().kind != TokenKind::RightBracket {
            let optional = self.eat(&TokenKind::Question);
            items.push((self.expr()?, optional));
            if !self.eat(&TokenKind::Comma) {
                break;
            }
        }
        let close = self.expect(&TokenKind::RightBracket, "to close the list")?;
        self.node(ExprKind::List(items), start..close.span.end)
    }

    fn map(&mut self, start: usize) -> Result<Expr, CaveatDiagnostic> {
        let mut entries = Vec::new();
        while self.peek().kind != TokenKind::RightBrace {
            let optional = self.eat(&TokenKind::Question);
            let key = self.expr()?;
            self.expect(&TokenKind::Colon, "between a map key and its value")?;
            let value = self.expr()?;
            entries.push((key, value, optional));
            if !self.eat(&TokenKind::Comma) {
                break;
            }
        }
        let close = self.expect(&TokenKind::RightBrace, "to close the map")?;
        self.node(ExprKind::Map(entries), start..close.span.end)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Renders a tree compactly, to assert structure and precedence.
    fn show(expr: &Expr) -> String {
        match &expr.kind {
            ExprKind::Literal(Literal::Int(v)) => v.to_string(),
            ExprKind::Literal(Literal::Uint(v)) => format!("{v}u"),
            ExprKind::Literal(Literal::Double(v)) => format!("{v:?}"),
            ExprKind::Literal(Literal::String(v)) => format!("{v:?}"),
            ExprKind::Literal(other) => format!("{other:?}"),
            ExprKind::Ident(name) => name.clone(),
            ExprKind::Select {
                operand,
                field,
                optional,
            } => format!(
                "{}.{}{field}",
                show(operand),
                if *optional { "?" } else { "" }
            ),
            ExprKind::Has { operand, field } => format!("has({}.{field})", show(operand)),
            ExprKind::Index {
                operand,
                index,
                optional,
            } => format!(
                "{}[{}{}]",
                show(operand),
                if *optional { "?" } else { "" },
                show(index)
            ),
            ExprKind::Call {
                target,
                function,
                args,
                ..
            } => {
                let args: Vec<String> = args.iter().map(show).collect();
                match target {
                    Some(t) => format!("{}.{function}({})", show(t), args.join(", ")),
                    None => format!("{function}({})", args.join(", ")),
                }
            }
            ExprKind::Unary {
                op: UnaryOp::Not,
                operand,
            } => format!("!{}", show(operand)),
            ExprKind::Unary {
                op: UnaryOp::Negate,
                operand,
            } => format!("-{}", show(operand)),
            ExprKind::Binary { op, lhs, rhs } => {
                format!("({} {} {})", show(lhs), op.symbol(), show(rhs))
            }
            ExprKind::Conditional {
                cond,
                then,
                otherwise,
            } => {
                format!("({} ? {} : {})", show(cond), show(then), show(otherwise))
            }
            ExprKind::List(items) => format!(
                "[{}]",
                items
                    .iter()
                    .map(|(item, optional)| format!(
                        "{}{}",
                        if *optional { "?" } else { "" },
                        show(item)
                    ))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            ExprKind::Map(entries) => format!(
                "{{{}}}",
                entries
                    .iter()
                    .map(|(k, v, optional)| {
                        format!(
                            "{}{}: {}",
                            if *optional { "?" } else { "" },
                            show(k),
                            show(v)
                        )
                    })
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            ExprKind::Comprehension {
                kind,
                range,
                var,
                filter,
                body,
            } => match filter {
                Some(f) => format!(
                    "{}.{}({var}, {}, {})",
                    show(range),
                    kind.name(),
                    show(f),
                    show(body)
                ),
                None => format!("{}.{}({var}, {})", show(range), kind.name(), show(body)),
            },
        }
    }

    fn parsed(text: &str) -> String {
        show(&parse(text, 100).unwrap())
    }

    fn failure(text: &str) -> CaveatDiagnostic {
        parse(text, 100).unwrap_err()
    }

    #[test]
    fn precedence_follows_cel() {
        assert_eq!(
            parsed("a || b && c == d + e * -f"),
            "(a || (b && (c == (d + (e * -f)))))"
        );
        assert_eq!(parsed("a + b - c"), "((a + b) - c)");
        assert_eq!(parsed("a * b % c / d"), "(((a * b) % c) / d)");
        assert_eq!(parsed("x in l && y < 3"), "((x in l) && (y < 3))");
        assert_eq!(parsed("a ? b : c ? d : e"), "(a ? b : (c ? d : e))");
        assert_eq!(parsed("a || b ? c : d"), "((a || b) ? c : d)");
        assert_eq!(parsed("!a.b"), "!a.b");
        assert_eq!(parsed("(a + b) * c"), "((a + b) * c)");
    }

    #[test]
    fn logical_chains_are_balanced() {
        assert_eq!(parsed("a || b || c || d"), "((a || b) || (c || d))");
        let long = (0..300)
            .map(|i| format!("x == {i}"))
            .collect::<Vec<_>>()
            .join(" || ");
        assert!(parse(&long, 100).unwrap().height < 20);
    }

    #[test]
    fn members_calls_and_indexes() {
        assert_eq!(parsed("m.k.size() > 0"), "(m.k.size() > 0)");
        assert_eq!(parsed("m['k'][0]"), "m[\"k\"][0]");
        assert_eq!(
            parsed("ip.in_cidr('10.0.0.0/8')"),
            "ip.in_cidr(\"10.0.0.0/8\")"
        );
        assert_eq!(parsed("size(l) == 1u"), "(size(l) == 1u)");
        assert_eq!(parsed("[1, 2,]"), "[1, 2]");
        assert_eq!(parsed("{'a': 1, 'b': [],}"), "{\"a\": 1, \"b\": []}");
        assert_eq!(parsed("m.for"), "m.for");
    }

    #[test]
    fn macros_are_expanded() {
        assert_eq!(parsed("has(m.f)"), "has(m.f)");
        assert_eq!(parsed("l.all(x, x > 0)"), "l.all(x, (x > 0))");
        assert_eq!(parsed("l.exists_one(x, x)"), "l.exists_one(x, x)");
        assert_eq!(
            parsed("l.map(x, x > 1, x * 2)"),
            "l.map(x, (x > 1), (x * 2))"
        );
        assert_eq!(parsed("l.filter(x, x)"), "l.filter(x, x)");
        // Other arities are plain calls, left to the checker.
        assert_eq!(parsed("l.all(x)"), "l.all(x)");
    }

    #[test]
    fn optional_syntax() {
        assert_eq!(parsed("m.?a.b"), "m.?a.b");
        assert_eq!(parsed("l[?0]"), "l[?0]");
        assert_eq!(parsed("[1, ?x]"), "[1, ?x]");
        assert_eq!(parsed("{?'k': v}"), "{?\"k\": v}");
        assert_eq!(parsed("o.optMap(v, v + 1)"), "o.optMap(v, (v + 1))");
        assert_eq!(
            parsed("optional.of(1).orValue(2)"),
            "optional.of(1).orValue(2)"
        );
        assert_eq!(failure("has(m.?a)").message, "invalid argument to `has()`");
        assert_eq!(
            failure("m.?f(1)").message,
            "unexpected `(` after the end of the expression"
        );
    }

    #[test]
    fn signs_and_repeated_unary_operators() {
        assert_eq!(parsed("-9223372036854775808"), "-9223372036854775808");
        assert_eq!(parsed("- 1.5"), "-1.5");
        assert_eq!(parsed("--x"), "x");
        assert_eq!(parsed("---x"), "-x");
        assert_eq!(parsed("!!x"), "x");
        assert_eq!(parsed("--1"), "--1");
        assert_eq!(parsed("!-1"), "!-1");
        assert_eq!(parsed("a - 1"), "(a - 1)");
        assert_eq!(
            failure("9223372036854775808").message,
            "integer literal is out of the range of `int`"
        );
        assert_eq!(
            failure("-1u").message,
            "a `uint` literal cannot be negative"
        );
    }

    #[test]
    fn syntax_errors_are_located_with_help() {
        let err = failure("a == ");
        assert_eq!(
            err.message,
            "expected an expression, found the end of the expression"
        );
        assert_eq!(err.offset, 5);
        let err = failure("a b");
        assert_eq!(
            (err.message.as_str(), err.offset),
            ("unexpected `b` after the end of the expression", 2)
        );
        let err = failure("(a");
        assert_eq!(
            err.message,
            "expected `)` to close the parenthesis, found the end of the expression"
        );
        let err = failure("has(m)");
        assert_eq!(
            (err.message.as_str(), err.offset, err.len),
            ("invalid argument to `has()`", 4, 1)
        );
        let err = failure("l.all(1, true)");
        assert_eq!(
            err.message,
            "the first argument of `all` must be a simple name"
        );
        let err = failure("if == 1");
        assert_eq!(err.message, "reserved identifier `if`");
        let err = failure("Msg{a: 1}");
        assert_eq!(
            err.message,
            "message construction is not supported in caveats"
        );
        let err = failure("a ? b");
        assert_eq!(
            err.message,
            "expected `:` in the conditional `? :`, found the end of the expression"
        );
        let err = failure("m.true");
        assert_eq!(
            err.message,
            "expected a field or method name after `.`, found `true`"
        );
    }

    #[test]
    fn nesting_is_limited_without_exhausting_the_stack() {
        let nested = |n: usize| format!("{}x{}", "(".repeat(n), ")".repeat(n));
        assert!(parse(&nested(99), 100).is_ok());
        let err = parse(&nested(100_000), 100).unwrap_err();
        assert_eq!(
            err.message,
            "expression is nested more than 100 levels deep"
        );
        let lists = format!("{}1{}", "[".repeat(5000), "]".repeat(5000));
        assert!(parse(&lists, 100).is_err());
        let selects = format!("m{}", ".f".repeat(50_000));
        assert!(parse(&selects, 100).is_err());
        let sums = format!("1{}", " + 1".repeat(50_000));
        assert!(parse(&sums, 100).is_err());
        let negations = format!("{}x", "-".repeat(100_001));
        assert_eq!(parsed(&negations[1..]), "x");
        let unary_chain = format!("{}x", "!-".repeat(10_000));
        assert!(parse(&unary_chain, 100).is_err());
    }
}
