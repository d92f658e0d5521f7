//! Schema text → tokens, with SpiceDB's lexical rules: synthetic semicolons at line ends and
//! words that become keywords only after `use <flag>`.
//!
//! Whitespace, newlines and comments never reach the parser: each comment is attached to the
//! next significant token (as SpiceDB does), so items can pick up their doc comments and the
//! formatter can put every comment back.

use crate::diagnostic::{Diagnostic, Span};

/// What a token is. Tokens SpiceDB only lexes for CEL caveat bodies are grouped as
/// [`TokenKind::CelOperator`]: the schema grammar never looks inside them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum TokenKind {
    Identifier,
    Keyword,
    String,
    LeftBrace,
    RightBrace,
    LeftParen,
    RightParen,
    Pipe,
    Plus,
    Minus,
    Ampersand,
    Slash,
    Equals,
    Colon,
    Semicolon,
    /// A line end after an identifier, keyword, `}`, `)` or `*`: ends a statement.
    SyntheticSemicolon,
    Arrow,
    Hash,
    Ellipsis,
    Star,
    Period,
    Comma,
    LessThan,
    GreaterThan,
    CelOperator,
    /// Text the lexer could not read; the token's message says why. Always the last token
    /// before [`TokenKind::Eof`].
    Error,
    Eof,
}

impl TokenKind {
    /// How the token is named in "expected X, found Y" messages.
    pub(crate) fn describe(self) -> &'static str {
        match self {
            TokenKind::Identifier => "an identifier",
            TokenKind::Keyword => "a keyword",
            TokenKind::String => "a string",
            TokenKind::LeftBrace => "`{`",
            TokenKind::RightBrace => "`}`",
            TokenKind::LeftParen => "`(`",
            TokenKind::RightParen => "`)`",
            TokenKind::Pipe => "`|`",
            TokenKind::Plus => "`+`",
            TokenKind::Minus => "`-`",
            TokenKind::Ampersand => "`&`",
            TokenKind::Slash => "`/`",
            TokenKind::Equals => "`=`",
            TokenKind::Colon => "`:`",
            TokenKind::Semicolon => "`;`",
            TokenKind::SyntheticSemicolon => "the end of the line",
            TokenKind::Arrow => "`->`",
            TokenKind::Hash => "`#`",
            TokenKind::Ellipsis => "`...`",
            TokenKind::Star => "`*`",
            TokenKind::Period => "`.`",
            TokenKind::Comma => "`,`",
            TokenKind::LessThan => "`<`",
            TokenKind::GreaterThan => "`>`",
            TokenKind::CelOperator => "an operator",
            TokenKind::Error => "unreadable text",
            TokenKind::Eof => "the end of the schema",
        }
    }
}

/// One significant token.
#[derive(Clone, Debug)]
pub(crate) struct Token {
    pub(crate) kind: TokenKind,
    pub(crate) span: Span,
    /// Comments between the previous significant token and this one, in order.
    pub(crate) comments: Vec<Span>,
}

/// The lexed schema: significant tokens ending with [`TokenKind::Eof`], and the lexer's
/// error, if it stopped early (then the token before `Eof` is [`TokenKind::Error`]).
#[derive(Debug)]
pub(crate) struct Tokens {
    pub(crate) tokens: Vec<Token>,
    pub(crate) error: Option<Diagnostic>,
}

/// Words that are keywords whatever the `use` flags.
const ALWAYS_KEYWORDS: [&str; 6] = [
    "definition",
    "caveat",
    "relation",
    "permission",
    "nil",
    "with",
];

/// A `use` flag: which words it turns into keywords.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) enum UseFlag {
    Expiration,
    Import,
    Partial,
    SelfKeyword,
    TypeChecking,
}

impl UseFlag {
    /// Every flag, in the (alphabetical) order SpiceDB lists them.
    pub(crate) const ALL: [UseFlag; 5] = [
        UseFlag::Expiration,
        UseFlag::Import,
        UseFlag::Partial,
        UseFlag::SelfKeyword,
        UseFlag::TypeChecking,
    ];

    pub(crate) fn from_name(name: &str) -> Option<UseFlag> {
        UseFlag::ALL.into_iter().find(|flag| flag.name() == name)
    }

    pub(crate) fn name(self) -> &'static str {
        match self {
            UseFlag::Expiration => "expiration",
            UseFlag::Import => "import",
            UseFlag::Partial => "partial",
            UseFlag::SelfKeyword => "self",
            UseFlag::TypeChecking => "typechecking",
        }
    }

    fn keywords(self) -> &'static [&'static str] {
        match self {
            UseFlag::Expiration => &["expiration", "and"],
            UseFlag::Import => &["import"],
            UseFlag::Partial => &["partial"],
            UseFlag::SelfKeyword => &["self"],
            UseFlag::TypeChecking => &["typechecking"],
        }
    }
}

/// Lexes the whole source.
pub(crate) fn lex(source: &str) -> Tokens {
    let mut lexer = Lexer {
        source,
        pos: 0,
        tokens: Vec::new(),
        pending_comments: Vec::new(),
        ends_statement: false,
        flags: FlagTracker::default(),
    };
    let error = lexer.run().err();
    lexer.push(TokenKind::Eof, Span::new(source.len(), source.len()));
    Tokens {
        tokens: lexer.tokens,
        error,
    }
}

/// Mirrors SpiceDB's flaggable lexer: `use <flag>` seen before the first `definition` or
/// `caveat` keyword enables the flag, and from then on (that very token included) the
/// flag's words are keywords. Like SpiceDB it looks at identifier pairs anywhere before the
/// first definition or caveat, not only at statement starts.
#[derive(Debug, Default)]
struct FlagTracker {
    enabled: Vec<UseFlag>,
    seen_definition: bool,
    after_use: bool,
}

impl FlagTracker {
    fn classify(&mut self, word: &str) -> TokenKind {
        if ALWAYS_KEYWORDS.contains(&word) {
            if word == "definition" || word == "caveat" {
                self.seen_definition = true;
            }
            return TokenKind::Keyword;
        }
        if !self.seen_definition {
            if self.after_use {
                if let Some(flag) = UseFlag::from_name(word) {
                    if !self.enabled.contains(&flag) {
                        self.enabled.push(flag);
                    }
                }
                self.after_use = false;
            } else {
                self.after_use = word == "use";
            }
        }
        if self
            .enabled
            .iter()
            .any(|flag| flag.keywords().contains(&word))
        {
            TokenKind::Keyword
        } else {
            TokenKind::Identifier
        }
    }
}

struct Lexer<'a> {
    source: &'a str,
    pos: usize,
    tokens: Vec<Token>,
    pending_comments: Vec<Span>,
    /// Whether a newline here ends a statement (the last token allows it).
    ends_statement: bool,
    flags: FlagTracker,
}

impl<'a> Lexer<'a> {
    fn rest(&self) -> &'a str {
        &self.source[self.pos..]
    }

    fn push(&mut self, kind: TokenKind, span: Span) {
        self.ends_statement = matches!(
            kind,
            TokenKind::Identifier
                | TokenKind::Keyword
                | TokenKind::RightBrace
                | TokenKind::RightParen
                | TokenKind::Star
        );
        self.tokens.push(Token {
            kind,
            span,
            comments: std::mem::take(&mut self.pending_comments),
        });
    }

    /// Consumes `len` bytes as one token of `kind`.
    fn token(&mut self, kind: TokenKind, len: usize) {
        let start = self.pos;
        self.pos += len;
        self.push(kind, Span::new(start, self.pos));
    }

    fn fail(&mut self, span: Span, message: String, help: &str) -> Result<(), Diagnostic> {
        self.push(TokenKind::Error, span);
        Err(Diagnostic::parse(span, message, help))
    }

    fn run(&mut self) -> Result<(), Diagnostic> {
        while let Some(c) = self.rest().chars().next() {
            let rest = self.rest();
            let starts = |prefix: &str| rest.starts_with(prefix);
            match c {
                ' ' | '\t' => self.pos += 1,
                '\n' | '\r' => {
                    if self.ends_statement {
                        self.token(TokenKind::SyntheticSemicolon, 1);
                    } else {
                        self.pos += 1;
                    }
                    // Whatever came before, a second line end in a row is a plain newline.
                    self.ends_statement = false;
                }
                '/' if starts("//") => {
                    let len = rest.find(['\n', '\r']).unwrap_or(rest.len());
                    self.comment(len);
                }
                '/' if starts("/*") => match rest[2..].find("*/") {
                    Some(end) => self.comment(end + 4),
                    None => {
                        let span = Span::new(self.pos, self.pos + 2);
                        return self.fail(
                            span,
                            "unterminated block comment".to_owned(),
                            "close the comment with `*/`",
                        );
                    }
                },
                '"' | '\'' => self.string()?,
                c if is_identifier_char(c) => {
                    let len = rest
                        .find(|c: char| !is_identifier_char(c))
                        .unwrap_or(rest.len());
                    let kind = self.flags.classify(&rest[..len]);
                    self.token(kind, len);
                }
                _ => {
                    let (kind, len) = punctuation(rest);
                    match kind {
                        Some(kind) => self.token(kind, len),
                        None => {
                            let span = Span::new(self.pos, self.pos + c.len_utf8());
                            return self.fail(
                                span,
                                format!("unrecognized character `{}`", c.escape_debug()),
                                "remove it: schema names use letters, digits and `_`",
                            );
                        }
                    }
                }
            }
        }
        Ok(())
    }

    fn comment(&mut self, len: usize) {
        self.pending_comments
            .push(Span::new(self.pos, self.pos + len));
        self.pos += len;
    }

    /// `"..."`, `'...'` (single line) or `"""..."""` (multi-line). Like SpiceDB, there are no
    /// escapes, and `'''` opens a string that `"""` closes.
    fn string(&mut self) -> Result<(), Diagnostic> {
        let rest = self.rest();
        let (open_len, terminator, multiline) =
            if rest.starts_with("\"\"\"") || rest.starts_with("'''") {
                (3, "\"\"\"", true)
            } else if rest.starts_with('"') {
                (1, "\"", false)
            } else {
                (1, "'", false)
            };
        let body = &rest[open_len..];
        let limit = if multiline {
            body.len()
        } else {
            body.find(['\n', '\r']).unwrap_or(body.len())
        };
        match body[..limit].find(terminator) {
            Some(end) => {
                self.token(TokenKind::String, open_len + end + terminator.len());
                Ok(())
            }
            None => {
                let span = Span::new(self.pos, self.pos + open_len);
                let help = if multiline {
                    format!("close the string with `{terminator}`")
                } else {
                    format!("close the string with `{terminator}` on the same line")
                };
                self.fail(span, "unterminated string".to_owned(), &help)
            }
        }
    }
}

/// Identifier characters, as SpiceDB's lexer has them: `_`, letters and digits.
fn is_identifier_char(c: char) -> bool {
    c == '_' || c.is_alphanumeric()
}

/// The punctuation token at the start of `rest`, longest match first.
fn punctuation(rest: &str) -> (Option<TokenKind>, usize) {
    const TWO_CHAR: [(&str, TokenKind); 7] = [
        ("->", TokenKind::Arrow),
        ("||", TokenKind::CelOperator),
        ("&&", TokenKind::CelOperator),
        ("!=", TokenKind::CelOperator),
        ("<=", TokenKind::CelOperator),
        (">=", TokenKind::CelOperator),
        ("==", TokenKind::CelOperator),
    ];
    if rest.starts_with("...") {
        return (Some(TokenKind::Ellipsis), 3);
    }
    if let Some((_, kind)) = TWO_CHAR.iter().find(|(text, _)| rest.starts_with(text)) {
        return (Some(*kind), 2);
    }
    let kind = match rest.as_bytes().first() {
        Some(b'{') => TokenKind::LeftBrace,
        Some(b'}') => TokenKind::RightBrace,
        Some(b'(') => TokenKind::LeftParen,
        Some(b')') => TokenKind::RightParen,
        Some(b'|') => TokenKind::Pipe,
        Some(b'+') => TokenKind::Plus,
        Some(b'-') => TokenKind::Minus,
        Some(b'&') => TokenKind::Ampersand,
        Some(b'/') => TokenKind::Slash,
        Some(b'=') => TokenKind::Equals,
        Some(b':') => TokenKind::Colon,
        Some(b';') => TokenKind::Semicolon,
        Some(b'#') => TokenKind::Hash,
        Some(b'*') => TokenKind::Star,
        Some(b'.') => TokenKind::Period,
        Some(b',') => TokenKind::Comma,
        Some(b'<') => TokenKind::LessThan,
        Some(b'>') => TokenKind::GreaterThan,
        Some(b'?' | b'!' | b'[' | b']' | b'%') => TokenKind::CelOperator,
        _ => return (None, 0),
    };
    (Some(kind), 1)
}
