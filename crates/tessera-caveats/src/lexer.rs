//! Turns CEL text into tokens with byte spans (cel-spec `langdef.md`, "Syntax").

use std::ops::Range;

use crate::error::CaveatDiagnostic;

/// A token and where it was written.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Token {
    pub(crate) kind: TokenKind,
    pub(crate) span: Range<usize>,
}

/// What a token is.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum TokenKind {
    /// Unsigned magnitude: the parser decides whether it fits `int` (after folding a leading
    /// minus, so `-9223372036854775808` is expressible).
    Int(u64),
    Uint(u64),
    Double(f64),
    String(String),
    Bytes(Vec<u8>),
    Ident(String),
    True,
    False,
    Null,
    In,
    LeftParen,
    RightParen,
    LeftBracket,
    RightBracket,
    LeftBrace,
    RightBrace,
    Comma,
    Dot,
    Colon,
    Question,
    Plus,
    Minus,
    Star,
    Slash,
    Percent,
    Bang,
    EqualEqual,
    NotEqual,
    Less,
    LessEqual,
    Greater,
    GreaterEqual,
    AndAnd,
    OrOr,
    End,
}

impl TokenKind {
    /// How the token reads in an error message.
    pub(crate) fn describe(&self) -> String {
        let fixed = match self {
            Self::Int(_) | Self::Uint(_) | Self::Double(_) => "a number",
            Self::String(_) => "a string",
            Self::Bytes(_) => "a bytes literal",
            Self::Ident(name) => return format!("`{name}`"),
            Self::True => "`true`",
            Self::False => "`false`",
            Self::Null => "`null`",
            Self::In => "`in`",
            Self::LeftParen => "`(`",
            Self::RightParen => "`)`",
            Self::LeftBracket => "`[`",
            Self::RightBracket => "`]`",
            Self::LeftBrace => "`{`",
            Self::RightBrace => "`}`",
            Self::Comma => "`,`",
            Self::Dot => "`.`",
            Self::Colon => "`:`",
            Self::Question => "`?`",
            Self::Plus => "`+`",
            Self::Minus => "`-`",
            Self::Star => "`*`",
            Self::Slash => "`/`",
            Self::Percent => "`%`",
            Self::Bang => "`!`",
            Self::EqualEqual => "`==`",
            Self::NotEqual => "`!=`",
            Self::Less => "`<`",
            Self::LessEqual => "`<=`",
            Self::Greater => "`>`",
            Self::GreaterEqual => "`>=`",
            Self::AndAnd => "`&&`",
            Self::OrOr => "`||`",
            Self::End => "the end of the expression",
        };
        fixed.to_owned()
    }
}

/// Splits `text` into tokens, ending with [`TokenKind::End`].
pub(crate) fn tokenize(text: &str) -> Result<Vec<Token>, CaveatDiagnostic> {
    let mut lexer = Lexer {
        text,
        bytes: text.as_bytes(),
        pos: 0,
    };
    let mut tokens = Vec::new();
    loop {
        let token = lexer.next_token()?;
        let end = token.kind == TokenKind::End;
        tokens.push(token);
        if end {
            return Ok(tokens);
        }
    }
}

struct Lexer<'a> {
    text: &'a str,
    bytes: &'a [u8],
    pos: usize,
}

/// Whether a string literal is text or bytes: escapes mean different things in each.
#[derive(Clone, Copy, PartialEq)]
enum Flavor {
    Text,
    Bytes,
}

fn error(message: impl Into<String>, span: Range<usize>) -> CaveatDiagnostic {
    CaveatDiagnostic {
        message: message.into(),
        offset: span.start,
        len: span.end - span.start,
        help: None,
    }
}

impl Lexer<'_> {
    fn peek(&self, ahead: usize) -> Option<u8> {
        self.bytes.get(self.pos + ahead).copied()
    }

    fn skip_blanks_and_comments(&mut self) {
        while let Some(byte) = self.peek(0) {
            match byte {
                b' ' | b'\t' | b'\n' | b'\r' | b'\x0c' => self.pos += 1,
                b'/' if self.peek(1) == Some(b'/') => {
                    while self.peek(0).is_some_and(|b| b != b'\n') {
                        self.pos += 1;
                    }
                }
                _ => return,
            }
        }
    }

    fn next_token(&mut self) -> Result<Token, CaveatDiagnostic> {
        self.skip_blanks_and_comments();
        let start = self.pos;
        let Some(byte) = self.peek(0) else {
            return Ok(Token {
                kind: TokenKind::End,
                span: start..start,
            });
        };
        let kind = match byte {
            b'0'..=b'9' => return self.number(),
            b'.' if self.peek(1).is_some_and(|b| b.is_ascii_digit()) => return self.number(),
            b'"' | b'\'' => return self.string(start, false, Flavor::Text),
            b'_' | b'a'..=b'z' | b'A'..=b'Z' => return self.word_or_prefixed_string(),
            _ => self.punctuation(byte)?,
        };
        Ok(Token {
            kind,
            span: start..self.pos,
        })
    }

    fn punctuation(&mut self, byte: u8) -> Result<TokenKind, CaveatDiagnostic> {
        let next = self.peek(1);
        let (kind, width) = match (byte, next) {
            (b'=', Some(b'=')) => (TokenKind::EqualEqual, 2),
            (b'!', Some(b'=')) => (TokenKind::NotEqual, 2),
            (b'<', Some(b'=')) => (TokenKind::LessEqual, 2),
            (b'>', Some(b'=')) => (TokenKind::GreaterEqual, 2),
            (b'&', Some(b'&')) => (TokenKind::AndAnd, 2),
            (b'|', Some(b'|')) => (TokenKind::OrOr, 2),
            (b'(', _) => (TokenKind::LeftParen, 1),
            (b')', _) => (TokenKind::RightParen, 1),
            (b'[', _) => (TokenKind::LeftBracket, 1),
            (b']', _) => (TokenKind::RightBracket, 1),
            (b'{', _) => (TokenKind::LeftBrace, 1),
            (b'}', _) => (TokenKind::RightBrace, 1),
            (b',', _) => (TokenKind::Comma, 1),
            (b'.', _) => (TokenKind::Dot, 1),
            (b':', _) => (TokenKind::Colon, 1),
            (b'?', _) => (TokenKind::Question, 1),
            (b'+', _) => (TokenKind::Plus, 1),
            (b'-', _) => (TokenKind::Minus, 1),
            (b'*', _) => (TokenKind::Star, 1),
            (b'/', _) => (TokenKind::Slash, 1),
            (b'%', _) => (TokenKind::Percent, 1),
            (b'!', _) => (TokenKind::Bang, 1),
            (b'<', _) => (TokenKind::Less, 1),
            (b'>', _) => (TokenKind::Greater, 1),
            _ => {
                let ch = self.text[self.pos..].chars().next().unwrap_or('?');
                let span = self.pos..self.pos + ch.len_utf8();
                let mut diagnostic = error(format!("unexpected character `{ch}`"), span);
                diagnostic.help = match ch {
                    '=' => Some("use `==` to compare".to_owned()),
                    '&' => Some("use `&&` for logical and".to_owned()),
                    '|' => Some("use `||` for logical or".to_owned()),
                    _ => None,
                };
                return Err(diagnostic);
            }
        };
        self.pos += width;
        Ok(kind)
    }

    fn word_or_prefixed_string(&mut self) -> Result<Token, CaveatDiagnostic> {
        let start = self.pos;
        // String prefixes: r/R (raw), b/B (bytes), in either order.
        let mut raw = false;
        let mut bytes = false;
        let mut look = self.pos;
        while let Some(&byte) = self.bytes.get(look) {
            match byte {
                b'r' | b'R' if !raw => raw = true,
                b'b' | b'B' if !bytes => bytes = true,
                b'"' | b'\'' if look > start => {
                    self.pos = look;
                    let flavor = if bytes { Flavor::Bytes } else { Flavor::Text };
                    return self.string(start, raw, flavor);
                }
                _ => break,
            }
            look += 1;
        }
        while self
            .peek(0)
            .is_some_and(|b| b == b'_' || b.is_ascii_alphanumeric())
        {
            self.pos += 1;
        }
        let word = &self.text[start..self.pos];
        let kind = match word {
            "true" => TokenKind::True,
            "false" => TokenKind::False,
            "null" => TokenKind::Null,
            "in" => TokenKind::In,
            _ => TokenKind::Ident(word.to_owned()),
        };
        Ok(Token {
            kind,
            span: start..self.pos,
        })
    }

    fn digits(&mut self, radix: u32) -> &str {
        let start = self.pos;
        while self.peek(0).is_some_and(|b| char::from(b).is_digit(radix)) {
            self.pos += 1;
        }
        &self.text[start..self.pos]
    }

    fn number(&mut self) -> Result<Token, CaveatDiagnostic> {
        let start = self.pos;
        let hex = self.peek(0) == Some(b'0') && matches!(self.peek(1), Some(b'x' | b'X'));
        let magnitude = if hex {
            self.pos += 2;
            let digits = self.digits(16);
            if digits.is_empty() {
                return Err(error("hexadecimal literal needs digits", start..self.pos));
            }
            u64::from_str_radix(digits, 16).ok()
        } else {
            let integer = self.digits(10).to_owned();
            let fraction =
                self.peek(0) == Some(b'.') && self.peek(1).is_some_and(|b| b.is_ascii_digit());
            if fraction {
                self.pos += 1;
                self.digits(10);
            }
            let exponent = matches!(self.peek(0), Some(b'e' | b'E'))
                && match self.peek(1) {
                    Some(b'+' | b'-') => self.peek(2).is_some_and(|b| b.is_ascii_digit()),
                    other => other.is_some_and(|b| b.is_ascii_digit()),
                };
            if exponent {
                self.pos += 2;
                self.digits(10);
            }
            if fraction || exponent {
                let text = &self.text[start..self.pos];
                let value: f64 = text
                    .parse()
                    .map_err(|_| error(format!("invalid number `{text}`"), start..self.pos))?;
                return Ok(Token {
                    kind: TokenKind::Double(value),
                    span: start..self.pos,
                });
            }
            integer.parse::<u64>().ok()
        };
        let unsigned = matches!(self.peek(0), Some(b'u' | b'U'));
        if unsigned {
            self.pos += 1;
        }
        let span = start..self.pos;
        let Some(magnitude) = magnitude else {
            return Err(error(
                format!(
                    "integer literal `{}` is out of range",
                    &self.text[span.clone()]
                ),
                span,
            ));
        };
        let kind = if unsigned {
            TokenKind::Uint(magnitude)
        } else {
            TokenKind::Int(magnitude)
        };
        Ok(Token { kind, span })
    }

    /// Lexes a quoted literal whose prefix (if any) starts at `start` and whose opening quote
    /// is at `self.pos`.
    fn string(
        &mut self,
        start: usize,
        raw: bool,
        flavor: Flavor,
    ) -> Result<Token, CaveatDiagnostic> {
        let quote = self.bytes[self.pos];
        let triple = self.peek(1) == Some(quote) && self.peek(2) == Some(quote);
        self.pos += if triple { 3 } else { 1 };
        let mut out: Vec<u8> = Vec::new();
        loop {
            let Some(byte) = self.peek(0) else {
                return Err(error("unterminated string literal", start..self.pos));
            };
            if byte == quote
                && (!triple || (self.peek(1) == Some(quote) && self.peek(2) == Some(quote)))
            {
                self.pos += if triple { 3 } else { 1 };
                break;
            }
            if !triple && (byte == b'\n' || byte == b'\r') {
                return Err(error("newline in string literal", self.pos..self.pos + 1)
                    .with_help("use a triple-quoted string (`'''...'''`) or the escape `\\n`"));
            }
            if byte == b'\\' && !raw {
                self.escape(flavor, &mut out)?;
            } else {
                out.push(byte);
                self.pos += 1;
            }
        }
        let span = start..self.pos;
        let kind = match flavor {
            Flavor::Bytes => TokenKind::Bytes(out),
            // INVARIANT: `out` holds source text (valid UTF-8) and encoded chars only.
            Flavor::Text => TokenKind::String(
                String::from_utf8(out)
                    .map_err(|_| error("invalid UTF-8 in string literal", span.clone()))?,
            ),
        };
        Ok(Token { kind, span })
    }

    fn escape(&mut self, flavor: Flavor, out: &mut Vec<u8>) -> Result<(), CaveatDiagnostic> {
        let start = self.pos;
        let Some(kind) = self.peek(1) else {
            return Err(error("unterminated escape sequence", start..start + 1));
        };
        self.pos += 2;
        let simple = match kind {
            b'a' => Some(0x07),
            b'b' => Some(0x08),
            b'f' => Some(0x0c),
            b'n' => Some(b'\n'),
            b'r' => Some(b'\r'),
            b't' => Some(b'\t'),
            b'v' => Some(0x0b),
            b'\\' | b'?' | b'"' | b'\'' | b'`' => Some(kind),
            _ => None,
        };
        if let Some(byte) = simple {
            out.push(byte);
            return Ok(());
        }
        let (width, radix) = match kind {
            b'x' | b'X' => (2, 16),
            b'u' => (4, 16),
            b'U' if flavor == Flavor::Text => (8, 16),
            b'0'..=b'3' => {
                self.pos -= 1;
                (3, 8)
            }
            _ => {
                let shown = self.text[start..].chars().take(2).collect::<String>();
                return Err(error(
                    format!("invalid escape sequence `{shown}`"),
                    start..start + shown.len(),
                ));
            }
        };
        let digits_end = self.pos + width;
        let digits = self.text.get(self.pos..digits_end).unwrap_or("");
        let value =
            if digits.len() == width && digits.bytes().all(|b| char::from(b).is_digit(radix)) {
                u32::from_str_radix(digits, radix).ok()
            } else {
                None
            };
        let Some(value) = value else {
            return Err(error(
                "malformed escape sequence",
                start..digits_end.min(self.bytes.len()),
            ));
        };
        self.pos = digits_end;
        // Octal and `\x` escapes are octets in bytes literals but code points in strings.
        let octet = flavor == Flavor::Bytes && matches!(kind, b'x' | b'X' | b'0'..=b'3');
        if octet {
            // INVARIANT: two hex digits or three octal digits starting 0-3 fit a byte.
            out.push(u8::try_from(value).unwrap_or(u8::MAX));
            return Ok(());
        }
        let Some(ch) = char::from_u32(value) else {
            return Err(error(
                format!(
                    "escape `{}` is not a valid unicode code point",
                    &self.text[start..digits_end]
                ),
                start..digits_end,
            ));
        };
        let mut buffer = [0; 4];
        out.extend_from_slice(ch.encode_utf8(&mut buffer).as_bytes());
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(text: &str) -> Vec<TokenKind> {
        tokenize(text)
            .unwrap()
            .into_iter()
            .map(|t| t.kind)
            .collect()
    }

    fn one(text: &str) -> TokenKind {
        let mut all = kinds(text);
        assert_eq!(all.len(), 2, "{text}: {all:?}");
        all.remove(0)
    }

    #[test]
    fn numbers_in_every_notation() {
        assert_eq!(one("42"), TokenKind::Int(42));
        assert_eq!(one("0x1F"), TokenKind::Int(31));
        assert_eq!(one("7u"), TokenKind::Uint(7));
        assert_eq!(one("0xffU"), TokenKind::Uint(255));
        assert_eq!(one("1.5"), TokenKind::Double(1.5));
        assert_eq!(one(".5"), TokenKind::Double(0.5));
        assert_eq!(one("1e3"), TokenKind::Double(1000.0));
        assert_eq!(one("2.5E-1"), TokenKind::Double(0.25));
        assert_eq!(
            one("9223372036854775808"),
            TokenKind::Int(9_223_372_036_854_775_808)
        );
        // `1.size()` is a method call on 1, not a malformed double.
        assert_eq!(kinds("1.size")[..2], [TokenKind::Int(1), TokenKind::Dot]);
    }

    #[test]
    fn out_of_range_integers_are_errors() {
        let err = tokenize("18446744073709551616").unwrap_err();
        assert_eq!(
            err.message,
            "integer literal `18446744073709551616` is out of range"
        );
        assert_eq!((err.offset, err.len), (0, 20));
    }

    #[test]
    fn strings_with_escapes_raw_triple_and_bytes() {
        assert_eq!(one(r#""a\"b""#), TokenKind::String("a\"b".into()));
        assert_eq!(
            one(r"'\x41\u00e9\U0001F600\101\n'"),
            TokenKind::String("Aé😀A\n".into())
        );
        assert_eq!(one(r#"r"\d+""#), TokenKind::String(r"\d+".into()));
        assert_eq!(one(r#"R'\n'"#), TokenKind::String(r"\n".into()));
        assert_eq!(one("'''a\n'b'''"), TokenKind::String("a\n'b".into()));
        assert_eq!(one(r#""""x""""#), TokenKind::String("x".into()));
        assert_eq!(
            one(r#"b"\xff\377é""#),
            TokenKind::Bytes(vec![0xff, 0xff, 0xc3, 0xa9])
        );
        assert_eq!(one(r#"rb"\x""#), TokenKind::Bytes(br"\x".to_vec()));
        assert_eq!(one(r#"BR"\x""#), TokenKind::Bytes(br"\x".to_vec()));
        assert_eq!(one(r#""\377""#), TokenKind::String("ÿ".into()));
    }

    #[test]
    fn malformed_strings_are_located() {
        let err = tokenize("x == 'abc").unwrap_err();
        assert_eq!(
            (err.message.as_str(), err.offset),
            ("unterminated string literal", 5)
        );
        let err = tokenize(r#""\s""#).unwrap_err();
        assert_eq!(
            (err.message.as_str(), err.offset, err.len),
            ("invalid escape sequence `\\s`", 1, 2)
        );
        let err = tokenize("'a\nb'").unwrap_err();
        assert_eq!(err.message, "newline in string literal");
        assert!(err.help.is_some());
        let err = tokenize(r#""\ud800""#).unwrap_err();
        assert_eq!(
            err.message,
            "escape `\\ud800` is not a valid unicode code point"
        );
        let err = tokenize(r#"b"\U0001F600""#).unwrap_err();
        assert_eq!(err.message, "invalid escape sequence `\\U`");
        let err = tokenize(r#""\x4""#).unwrap_err();
        assert_eq!(err.message, "malformed escape sequence");
    }

    #[test]
    fn operators_keywords_identifiers_and_comments() {
        assert_eq!(
            kinds("a.b_1 in [x] // note\n&& !c || d != e <= f >= g < h > i ? j : k == l"),
            vec![
                TokenKind::Ident("a".into()),
                TokenKind::Dot,
                TokenKind::Ident("b_1".into()),
                TokenKind::In,
                TokenKind::LeftBracket,
                TokenKind::Ident("x".into()),
                TokenKind::RightBracket,
                TokenKind::AndAnd,
                TokenKind::Bang,
                TokenKind::Ident("c".into()),
                TokenKind::OrOr,
                TokenKind::Ident("d".into()),
                TokenKind::NotEqual,
                TokenKind::Ident("e".into()),
                TokenKind::LessEqual,
                TokenKind::Ident("f".into()),
                TokenKind::GreaterEqual,
                TokenKind::Ident("g".into()),
                TokenKind::Less,
                TokenKind::Ident("h".into()),
                TokenKind::Greater,
                TokenKind::Ident("i".into()),
                TokenKind::Question,
                TokenKind::Ident("j".into()),
                TokenKind::Colon,
                TokenKind::Ident("k".into()),
                TokenKind::EqualEqual,
                TokenKind::Ident("l".into()),
                TokenKind::End,
            ]
        );
        assert_eq!(
            kinds("true false null")[..3],
            [TokenKind::True, TokenKind::False, TokenKind::Null]
        );
        assert_eq!(one("rx"), TokenKind::Ident("rx".into()));
        assert_eq!(one("bytes"), TokenKind::Ident("bytes".into()));
    }

    #[test]
    fn stray_characters_get_help() {
        let err = tokenize("a = b").unwrap_err();
        assert_eq!(
            (err.message.as_str(), err.offset),
            ("unexpected character `=`", 2)
        );
        assert_eq!(err.help.as_deref(), Some("use `==` to compare"));
        let err = tokenize("a ∧ b").unwrap_err();
        assert_eq!((err.offset, err.len), (2, 3));
    }
}
