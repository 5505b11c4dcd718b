//! The hand-written lexer: query text to tokens with byte spans.
//!
//! Lexing never fails outright: malformed input becomes a
//! [`TokenKind::Invalid`] token carrying the error, and the lexer stops
//! there. The parser reports it when (and if) it reaches that token, which
//! lets it phrase the error for its context.

use crate::error::ErrorDetail;
use crate::span::Span;

/// What a token is.
#[derive(Debug, Clone, PartialEq)]
pub enum TokenKind {
    /// An unquoted word: an identifier or a keyword (keywords are matched
    /// case-insensitively by the parser).
    Word(String),
    /// A backtick-quoted identifier, unescaped.
    QuotedIdent(String),
    /// An integer literal's magnitude (decimal, `0x` hex or `0o` octal).
    /// Values above `i64::MAX` are only valid after a unary minus.
    Integer(u64),
    /// A float literal.
    Float(f64),
    /// A string literal, unescaped.
    Str(String),
    /// A parameter `$name` or `$0` (the text after the dollar, unescaped).
    Param(String),
    /// `(`
    LParen,
    /// `)`
    RParen,
    /// `[`
    LBracket,
    /// `]`
    RBracket,
    /// `{`
    LBrace,
    /// `}`
    RBrace,
    /// `,`
    Comma,
    /// `.`
    Dot,
    /// `..`
    DotDot,
    /// `:`
    Colon,
    /// `;`
    Semicolon,
    /// `|`
    Pipe,
    /// `+`
    Plus,
    /// `+=`
    PlusEq,
    /// `-`
    Minus,
    /// `*`
    Star,
    /// `/`
    Slash,
    /// `%`
    Percent,
    /// `^`
    Caret,
    /// `=`
    Eq,
    /// `<>`
    Neq,
    /// `<`
    Lt,
    /// `>`
    Gt,
    /// `<=`
    Le,
    /// `>=`
    Ge,
    /// `=~`
    RegexMatch,
    /// Malformed input; lexing stopped here.
    Invalid {
        /// What is wrong.
        message: String,
        /// The TCK detail code.
        detail: ErrorDetail,
    },
    /// End of input.
    Eof,
}

impl TokenKind {
    /// A short human-readable description, for error messages.
    pub fn describe(&self) -> String {
        match self {
            TokenKind::Word(w) => format!("'{w}'"),
            TokenKind::QuotedIdent(w) => format!("'`{w}`'"),
            TokenKind::Integer(i) => format!("'{i}'"),
            TokenKind::Float(f) => format!("'{f:?}'"),
            TokenKind::Str(_) => "a string literal".to_string(),
            TokenKind::Param(p) => format!("'${p}'"),
            TokenKind::Invalid { .. } => "invalid input".to_string(),
            TokenKind::Eof => "end of input".to_string(),
            other => format!("'{}'", other.symbol()),
        }
    }

    /// The text of a punctuation token (empty for others).
    pub fn symbol(&self) -> &'static str {
        match self {
            TokenKind::LParen => "(",
            TokenKind::RParen => ")",
            TokenKind::LBracket => "[",
            TokenKind::RBracket => "]",
            TokenKind::LBrace => "{",
            TokenKind::RBrace => "}",
            TokenKind::Comma => ",",
            TokenKind::Dot => ".",
            TokenKind::DotDot => "..",
            TokenKind::Colon => ":",
            TokenKind::Semicolon => ";",
            TokenKind::Pipe => "|",
            TokenKind::Plus => "+",
            TokenKind::PlusEq => "+=",
            TokenKind::Minus => "-",
            TokenKind::Star => "*",
            TokenKind::Slash => "/",
            TokenKind::Percent => "%",
            TokenKind::Caret => "^",
            TokenKind::Eq => "=",
            TokenKind::Neq => "<>",
            TokenKind::Lt => "<",
            TokenKind::Gt => ">",
            TokenKind::Le => "<=",
            TokenKind::Ge => ">=",
            TokenKind::RegexMatch => "=~",
            _ => "",
        }
    }
}

/// A token and where it is.
#[derive(Debug, Clone, PartialEq)]
pub struct Token {
    /// What it is.
    pub kind: TokenKind,
    /// Where it is.
    pub span: Span,
}

/// Unicode characters that look like operator characters (dashes, arrow
/// heads); using them is an `InvalidUnicodeCharacter` error.
fn is_lookalike(c: char) -> bool {
    matches!(
        c,
        '\u{00AD}' | '\u{2010}'
            ..='\u{2015}'
                | '\u{2212}'
                | '\u{FE58}'
                | '\u{FE63}'
                | '\u{FF0D}'
                | '\u{27E8}'
                | '\u{27E9}'
                | '\u{3008}'
                | '\u{3009}'
                | '\u{FE64}'
                | '\u{FE65}'
                | '\u{FF1C}'
                | '\u{FF1E}'
    )
}

fn is_ident_start(c: char) -> bool {
    c == '_' || c.is_alphabetic()
}

fn is_ident_continue(c: char) -> bool {
    c == '_' || c.is_alphanumeric()
}

/// Split `source` into tokens. The last token is always
/// [`TokenKind::Eof`] or [`TokenKind::Invalid`].
pub fn tokenize(source: &str) -> Vec<Token> {
    let mut lexer = Lexer {
        src: source,
        pos: 0,
        tokens: Vec::new(),
    };
    lexer.run();
    lexer.tokens
}

struct Lexer<'a> {
    src: &'a str,
    pos: usize,
    tokens: Vec<Token>,
}

/// Outcome of lexing one token.
type Lexed = Result<TokenKind, (String, ErrorDetail)>;

impl Lexer<'_> {
    fn peek(&self) -> Option<char> {
        self.src[self.pos..].chars().next()
    }

    fn peek_at(&self, n: usize) -> Option<char> {
        self.src[self.pos..].chars().nth(n)
    }

    fn bump(&mut self) -> Option<char> {
        let c = self.peek()?;
        self.pos += c.len_utf8();
        Some(c)
    }

    fn run(&mut self) {
        loop {
            if let Err((message, detail)) = self.skip_trivia() {
                self.push_invalid(self.pos, message, detail);
                return;
            }
            let start = self.pos;
            let Some(c) = self.peek() else {
                self.tokens.push(Token {
                    kind: TokenKind::Eof,
                    span: Span::new(start, start),
                });
                return;
            };
            match self.lex_token(c) {
                Ok(kind) => self.tokens.push(Token {
                    kind,
                    span: Span::new(start, self.pos),
                }),
                Err((message, detail)) => {
                    self.push_invalid(start, message, detail);
                    return;
                }
            }
        }
    }

    fn push_invalid(&mut self, start: usize, message: String, detail: ErrorDetail) {
        let end = self.pos.max(start);
        self.tokens.push(Token {
            kind: TokenKind::Invalid { message, detail },
            span: Span::new(start, end),
        });
    }

    /// Skip whitespace and comments.
    fn skip_trivia(&mut self) -> Result<(), (String, ErrorDetail)> {
        loop {
            match self.peek() {
                Some(c) if c.is_whitespace() => {
                    self.bump();
                }
                Some('/') if self.peek_at(1) == Some('/') => {
                    while let Some(c) = self.bump() {
                        if c == '\n' {
                            break;
                        }
                    }
                }
                Some('/') if self.peek_at(1) == Some('*') => {
                    let start = self.pos;
                    self.pos += 2;
                    let Some(i) = self.src[self.pos..].find("*/") else {
                        self.pos = start;
                        return Err((
                            "Invalid input: unterminated comment, expected '*/'".to_string(),
                            ErrorDetail::UnexpectedSyntax,
                        ));
                    };
                    self.pos += i + 2;
                }
                _ => return Ok(()),
            }
        }
    }

    fn lex_token(&mut self, c: char) -> Lexed {
        let next = self.peek_at(1);
        let single = |kind: TokenKind| -> (TokenKind, usize) { (kind, 1) };
        let (kind, len) = match c {
            '(' => single(TokenKind::LParen),
            ')' => single(TokenKind::RParen),
            '[' => single(TokenKind::LBracket),
            ']' => single(TokenKind::RBracket),
            '{' => single(TokenKind::LBrace),
            '}' => single(TokenKind::RBrace),
            ',' => single(TokenKind::Comma),
            ':' => single(TokenKind::Colon),
            ';' => single(TokenKind::Semicolon),
            '|' => single(TokenKind::Pipe),
            '-' => single(TokenKind::Minus),
            '*' => single(TokenKind::Star),
            '/' => single(TokenKind::Slash),
            '%' => single(TokenKind::Percent),
            '^' => single(TokenKind::Caret),
            '+' if next == Some('=') => (TokenKind::PlusEq, 2),
            '+' => single(TokenKind::Plus),
            '=' if next == Some('~') => (TokenKind::RegexMatch, 2),
            '=' => single(TokenKind::Eq),
            '<' if next == Some('>') => (TokenKind::Neq, 2),
            '<' if next == Some('=') => (TokenKind::Le, 2),
            '<' => single(TokenKind::Lt),
            '>' if next == Some('=') => (TokenKind::Ge, 2),
            '>' => single(TokenKind::Gt),
            '.' if next == Some('.') => (TokenKind::DotDot, 2),
            '.' if next.is_some_and(|d| d.is_ascii_digit()) => return self.lex_number(),
            '.' => single(TokenKind::Dot),
            '0'..='9' => return self.lex_number(),
            '\'' | '"' => return self.lex_string(c),
            '`' => return self.lex_quoted_ident().map(TokenKind::QuotedIdent),
            '$' => return self.lex_param(),
            c if is_ident_start(c) => return Ok(self.lex_word()),
            c if is_lookalike(c) => {
                return Err((
                    format!(
                        "Invalid input '{c}': the Unicode character U+{:04X} looks like an \
                         operator but is not one",
                        u32::from(c)
                    ),
                    ErrorDetail::InvalidUnicodeCharacter,
                ))
            }
            c => {
                return Err((
                    format!("Invalid input '{c}': unexpected character"),
                    ErrorDetail::UnexpectedSyntax,
                ))
            }
        };
        self.pos += len;
        Ok(kind)
    }

    fn lex_word(&mut self) -> TokenKind {
        let start = self.pos;
        while self.peek().is_some_and(is_ident_continue) {
            self.bump();
        }
        TokenKind::Word(self.src[start..self.pos].to_string())
    }

    fn lex_quoted_ident(&mut self) -> Result<String, (String, ErrorDetail)> {
        let start = self.pos;
        self.bump(); // opening backtick
        let mut out = String::new();
        loop {
            match self.bump() {
                Some('`') if self.peek() == Some('`') => {
                    self.bump();
                    out.push('`');
                }
                Some('`') => return Ok(out),
                Some(c) => out.push(c),
                None => {
                    self.pos = start;
                    return Err((
                        "Invalid input: unterminated quoted identifier, expected '`'".to_string(),
                        ErrorDetail::UnexpectedSyntax,
                    ));
                }
            }
        }
    }

    fn lex_param(&mut self) -> Lexed {
        self.bump(); // '$'
        match self.peek() {
            Some('`') => Ok(TokenKind::Param(self.lex_quoted_ident()?)),
            Some(c) if is_ident_start(c) || c.is_ascii_digit() => {
                let start = self.pos;
                while self.peek().is_some_and(is_ident_continue) {
                    self.bump();
                }
                let name = &self.src[start..self.pos];
                if name.starts_with(|c: char| c.is_ascii_digit())
                    && !name.bytes().all(|b| b.is_ascii_digit())
                {
                    return Err((
                        format!("Invalid input '${name}': expected a parameter name or number"),
                        ErrorDetail::UnexpectedSyntax,
                    ));
                }
                Ok(TokenKind::Param(name.to_string()))
            }
            _ => Err((
                "Invalid input '$': expected a parameter name or number".to_string(),
                ErrorDetail::UnexpectedSyntax,
            )),
        }
    }

    fn lex_string(&mut self, quote: char) -> Lexed {
        let start = self.pos;
        self.bump();
        let mut out = String::new();
        loop {
            let Some(c) = self.bump() else {
                self.pos = start;
                return Err((
                    format!("Invalid input: unterminated string literal, expected {quote}"),
                    ErrorDetail::UnexpectedSyntax,
                ));
            };
            if c == quote {
                return Ok(TokenKind::Str(out));
            }
            if c != '\\' {
                out.push(c);
                continue;
            }
            let esc_start = self.pos - 1;
            let Some(e) = self.bump() else {
                self.pos = start;
                return Err((
                    "Invalid input: unterminated string literal".to_string(),
                    ErrorDetail::UnexpectedSyntax,
                ));
            };
            match e {
                '\\' => out.push('\\'),
                '\'' => out.push('\''),
                '"' => out.push('"'),
                'b' | 'B' => out.push('\u{8}'),
                'f' | 'F' => out.push('\u{c}'),
                'n' | 'N' => out.push('\n'),
                'r' | 'R' => out.push('\r'),
                't' | 'T' => out.push('\t'),
                'u' | 'U' => {
                    let digits = if e == 'u' { 4 } else { 8 };
                    let ch = self.lex_unicode_escape(digits).ok_or_else(|| {
                        (
                            format!(
                                "Invalid input '{}': invalid Unicode escape, expected \
                                 {digits} hexadecimal digits",
                                &self.src[esc_start..self.pos]
                            ),
                            ErrorDetail::InvalidUnicodeLiteral,
                        )
                    })?;
                    out.push(ch);
                }
                other => {
                    self.pos = esc_start;
                    return Err((
                        format!("Invalid input '\\{other}': unknown escape sequence"),
                        ErrorDetail::UnexpectedSyntax,
                    ));
                }
            }
        }
    }

    /// Read `digits` hex digits (after `\u`), combining UTF-16 surrogate
    /// pairs written as two `\u` escapes.
    fn lex_unicode_escape(&mut self, digits: usize) -> Option<char> {
        let code = self.read_hex(digits)?;
        if (0xD800..0xDC00).contains(&code) {
            // High surrogate: a low surrogate escape must follow.
            let rest = &self.src[self.pos..];
            if rest.starts_with("\\u") {
                self.pos += 2;
                let low = self.read_hex(4)?;
                if (0xDC00..0xE000).contains(&low) {
                    let combined = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00);
                    return char::from_u32(combined);
                }
            }
            return None;
        }
        char::from_u32(code)
    }

    fn read_hex(&mut self, digits: usize) -> Option<u32> {
        let text = self.src.get(self.pos..self.pos + digits)?;
        if !text.bytes().all(|b| b.is_ascii_hexdigit()) {
            return None;
        }
        self.pos += digits;
        u32::from_str_radix(text, 16).ok()
    }

    /// Consume trailing identifier characters after a number, returning
    /// whether there were any.
    fn eat_ident_tail(&mut self) -> bool {
        let mut any = false;
        while self.peek().is_some_and(is_ident_continue) {
            self.bump();
            any = true;
        }
        any
    }

    fn invalid_number(&self, start: usize) -> (String, ErrorDetail) {
        (
            format!("Invalid number literal '{}'", &self.src[start..self.pos]),
            ErrorDetail::InvalidNumberLiteral,
        )
    }

    fn lex_number(&mut self) -> Lexed {
        let start = self.pos;
        let bytes = self.src.as_bytes();
        if bytes[start] == b'0' && matches!(bytes.get(start + 1), Some(b'x' | b'X' | b'o' | b'O')) {
            let radix = if matches!(bytes[start + 1], b'x' | b'X') {
                16
            } else {
                8
            };
            self.pos += 2;
            let digits_start = self.pos;
            while self.peek().is_some_and(|c| c.is_digit(radix)) {
                self.bump();
            }
            let digits_end = self.pos;
            if self.eat_ident_tail() || digits_end == digits_start {
                return Err(self.invalid_number(start));
            }
            return match u64::from_str_radix(&self.src[digits_start..digits_end], radix) {
                Ok(v) => Ok(TokenKind::Integer(v)),
                Err(_) => Err(overflow(&self.src[start..self.pos])),
            };
        }
        let mut is_float = false;
        while self.peek().is_some_and(|c| c.is_ascii_digit()) {
            self.bump();
        }
        if self.peek() == Some('.') && self.peek_at(1).is_some_and(|c| c.is_ascii_digit()) {
            is_float = true;
            self.bump();
            while self.peek().is_some_and(|c| c.is_ascii_digit()) {
                self.bump();
            }
        }
        if matches!(self.peek(), Some('e' | 'E')) {
            let save = self.pos;
            self.bump();
            if matches!(self.peek(), Some('+' | '-')) {
                self.bump();
            }
            if self.peek().is_some_and(|c| c.is_ascii_digit()) {
                is_float = true;
                while self.peek().is_some_and(|c| c.is_ascii_digit()) {
                    self.bump();
                }
            } else {
                self.pos = save;
            }
        }
        if self.eat_ident_tail() {
            return Err(self.invalid_number(start));
        }
        let text = &self.src[start..self.pos];
        if is_float {
            match text.parse::<f64>() {
                Ok(v) if v.is_finite() => Ok(TokenKind::Float(v)),
                _ => Err((
                    format!("Float literal '{text}' is too large"),
                    ErrorDetail::FloatingPointOverflow,
                )),
            }
        } else {
            text.parse::<u64>()
                .map(TokenKind::Integer)
                .map_err(|_| overflow(text))
        }
    }
}

fn overflow(text: &str) -> (String, ErrorDetail) {
    (
        format!("Integer literal '{text}' is too large"),
        ErrorDetail::IntegerOverflow,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(s: &str) -> Vec<TokenKind> {
        tokenize(s).into_iter().map(|t| t.kind).collect()
    }

    #[test]
    fn numbers() {
        assert_eq!(
            kinds("1 0x1F 0o17 1.5 .5 1e3 2E-01"),
            vec![
                TokenKind::Integer(1),
                TokenKind::Integer(31),
                TokenKind::Integer(15),
                TokenKind::Float(1.5),
                TokenKind::Float(0.5),
                TokenKind::Float(1000.0),
                TokenKind::Float(0.2),
                TokenKind::Eof
            ]
        );
        assert_eq!(
            kinds("1..2"),
            vec![
                TokenKind::Integer(1),
                TokenKind::DotDot,
                TokenKind::Integer(2),
                TokenKind::Eof
            ]
        );
    }

    #[test]
    fn strings_and_idents() {
        assert_eq!(
            kinds(r#"'a\'b' "\u00e9" `we``ird` $p $0"#),
            vec![
                TokenKind::Str("a'b".into()),
                TokenKind::Str("é".into()),
                TokenKind::QuotedIdent("we`ird".into()),
                TokenKind::Param("p".into()),
                TokenKind::Param("0".into()),
                TokenKind::Eof
            ]
        );
    }

    #[test]
    fn comments() {
        assert_eq!(
            kinds("a // x\n /* y */ b"),
            vec![
                TokenKind::Word("a".into()),
                TokenKind::Word("b".into()),
                TokenKind::Eof
            ]
        );
    }
}
