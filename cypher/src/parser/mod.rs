//! The recursive-descent parser (clauses, patterns) with a Pratt parser for
//! expressions.

mod clause;
mod expr;
mod pattern;

use crate::ast::{Ident, Query, QueryMode, SingleQuery, Span, Statement, Union};
use crate::error::{ErrorDetail, SyntaxError};
use crate::keywords::{is_reserved, CLAUSE_STARTS};
use crate::lexer::{tokenize, Token, TokenKind};

/// How deeply expressions, patterns and subqueries may nest before the
/// parser gives up with an error (instead of overflowing the stack).
pub const MAX_DEPTH: usize = 500;

pub(crate) type PResult<T> = Result<T, SyntaxError>;

/// Parser state over the token vector of one query.
pub(crate) struct Parser<'a> {
    src: &'a str,
    tokens: Vec<Token>,
    pos: usize,
    /// For each opening bracket token, the index of its closing partner.
    partner: Vec<Option<usize>>,
    depth: usize,
    /// Whether pattern predicates (`(a)-->(b)` as an expression) are
    /// allowed here: inside WHERE and `exists(...)`.
    patterns_allowed: bool,
}

/// Parse a complete statement.
pub(crate) fn parse_statement(src: &str) -> PResult<Statement> {
    let mut p = Parser::new(src);
    let start = p.peek().span;
    let mode = if p.eat_keyword("EXPLAIN") {
        Some(QueryMode::Explain)
    } else if p.eat_keyword("PROFILE") {
        Some(QueryMode::Profile)
    } else {
        None
    };
    let query = p.parse_query()?;
    p.eat(&TokenKind::Semicolon);
    if !matches!(p.peek().kind, TokenKind::Eof) {
        return Err(p.unexpected("a clause, UNION or end of input"));
    }
    let span = start.to(p.prev_span());
    Ok(Statement { mode, query, span })
}

fn pair_brackets(tokens: &[Token]) -> Vec<Option<usize>> {
    let mut partner = vec![None; tokens.len()];
    let mut stack: Vec<usize> = Vec::new();
    for (i, t) in tokens.iter().enumerate() {
        match t.kind {
            TokenKind::LParen | TokenKind::LBracket | TokenKind::LBrace => stack.push(i),
            TokenKind::RParen | TokenKind::RBracket | TokenKind::RBrace => {
                let open = match t.kind {
                    TokenKind::RParen => TokenKind::LParen,
                    TokenKind::RBracket => TokenKind::LBracket,
                    _ => TokenKind::LBrace,
                };
                match stack.last() {
                    Some(&j) if tokens[j].kind == open => {
                        stack.pop();
                        partner[j] = Some(i);
                    }
                    // Mismatched: leave everything on the stack unpaired.
                    _ => stack.clear(),
                }
            }
            _ => {}
        }
    }
    partner
}

impl<'a> Parser<'a> {
    pub(crate) fn new(src: &'a str) -> Self {
        let tokens = tokenize(src);
        let partner = pair_brackets(&tokens);
        Parser {
            src,
            tokens,
            pos: 0,
            partner,
            depth: 0,
            patterns_allowed: false,
        }
    }

    // ----- token access -------------------------------------------------

    pub(crate) fn peek(&self) -> &Token {
        self.peek_nth(0)
    }

    pub(crate) fn peek_nth(&self, n: usize) -> &Token {
        let i = (self.pos + n).min(self.tokens.len() - 1);
        &self.tokens[i]
    }

    pub(crate) fn kind_at(&self, index: usize) -> &TokenKind {
        &self.tokens[index.min(self.tokens.len() - 1)].kind
    }

    pub(crate) fn advance(&mut self) -> Token {
        let t = self.peek().clone();
        if self.pos < self.tokens.len() - 1 {
            self.pos += 1;
        }
        t
    }

    /// The span of the previously consumed token.
    pub(crate) fn prev_span(&self) -> Span {
        if self.pos == 0 {
            Span::new(0, 0)
        } else {
            self.tokens[self.pos - 1].span
        }
    }

    pub(crate) fn span_from(&self, start: Span) -> Span {
        let end = self.prev_span();
        if end.end < start.start {
            start
        } else {
            start.to(end)
        }
    }

    pub(crate) fn at(&self, kind: &TokenKind) -> bool {
        &self.peek().kind == kind
    }

    pub(crate) fn eat(&mut self, kind: &TokenKind) -> bool {
        if self.at(kind) {
            self.advance();
            true
        } else {
            false
        }
    }

    pub(crate) fn expect(&mut self, kind: &TokenKind) -> PResult<Span> {
        if self.at(kind) {
            Ok(self.advance().span)
        } else {
            Err(self.unexpected(&format!("'{}'", kind.symbol())))
        }
    }

    pub(crate) fn is_keyword_at(&self, n: usize, kw: &str) -> bool {
        matches!(&self.peek_nth(n).kind, TokenKind::Word(w) if w.eq_ignore_ascii_case(kw))
    }

    pub(crate) fn at_keyword(&self, kw: &str) -> bool {
        self.is_keyword_at(0, kw)
    }

    pub(crate) fn eat_keyword(&mut self, kw: &str) -> bool {
        if self.at_keyword(kw) {
            self.advance();
            true
        } else {
            false
        }
    }

    pub(crate) fn expect_keyword(&mut self, kw: &str) -> PResult<Span> {
        if self.at_keyword(kw) {
            Ok(self.advance().span)
        } else {
            Err(self.unexpected(kw))
        }
    }

    pub(crate) fn at_clause_start(&self) -> bool {
        CLAUSE_STARTS.iter().any(|kw| self.at_keyword(kw))
    }

    // ----- errors -------------------------------------------------------

    pub(crate) fn error_at(
        &self,
        offset: usize,
        message: impl Into<String>,
        detail: Option<ErrorDetail>,
    ) -> SyntaxError {
        SyntaxError::new(self.src, offset, message, detail)
    }

    /// "Invalid input 'x': expected ..." at the current token. An invalid
    /// token reports its own (lexical) error instead.
    pub(crate) fn unexpected(&self, expected: &str) -> SyntaxError {
        let tok = self.peek();
        if let TokenKind::Invalid { message, detail } = &tok.kind {
            return self.error_at(tok.span.start, message.clone(), Some(*detail));
        }
        self.unexpected_syntax(expected)
    }

    /// Like [`Parser::unexpected`] but always `UnexpectedSyntax`, even at an
    /// invalid token.
    pub(crate) fn unexpected_syntax(&self, expected: &str) -> SyntaxError {
        let tok = self.peek();
        let found = match &tok.kind {
            TokenKind::Invalid { .. } | TokenKind::Str(_) => tok
                .span
                .text(self.src)
                .map_or_else(|| tok.kind.describe(), |t| format!("'{t}'")),
            other => other.describe(),
        };
        let message = if matches!(tok.kind, TokenKind::Eof) {
            format!("Unexpected end of input: expected {expected}")
        } else {
            format!("Invalid input {found}: expected {expected}")
        };
        self.error_at(tok.span.start, message, Some(ErrorDetail::UnexpectedSyntax))
    }

    /// Enter one level of nesting; errors past [`MAX_DEPTH`].
    pub(crate) fn enter(&mut self) -> PResult<()> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(self.error_at(
                self.peek().span.start,
                format!("Query nested too deeply (more than {MAX_DEPTH} levels)"),
                None,
            ));
        }
        Ok(())
    }

    pub(crate) fn leave(&mut self) {
        self.depth = self.depth.saturating_sub(1);
    }

    // ----- names ----------------------------------------------------------

    /// A variable or alias: an unreserved word or a quoted identifier.
    pub(crate) fn parse_variable(&mut self) -> PResult<Ident> {
        match &self.peek().kind {
            TokenKind::Word(w) if !is_reserved(w) => {
                let name = w.clone();
                let span = self.advance().span;
                Ok(Ident::new(name, span))
            }
            TokenKind::QuotedIdent(w) => {
                let name = w.clone();
                let span = self.advance().span;
                Ok(Ident::new(name, span))
            }
            _ => Err(self.unexpected("a variable name")),
        }
    }

    /// Whether the current token can start a variable.
    pub(crate) fn at_variable(&self) -> bool {
        self.is_variable_at(0)
    }

    pub(crate) fn is_variable_at(&self, n: usize) -> bool {
        match &self.peek_nth(n).kind {
            TokenKind::Word(w) => !is_reserved(w),
            TokenKind::QuotedIdent(_) => true,
            _ => false,
        }
    }

    /// A label, relationship type, property key or map key: any word
    /// (keywords included) or a quoted identifier.
    pub(crate) fn parse_schema_name(&mut self, what: &str) -> PResult<String> {
        match &self.peek().kind {
            TokenKind::Word(w) | TokenKind::QuotedIdent(w) => {
                let name = w.clone();
                self.advance();
                Ok(name)
            }
            _ => Err(self.unexpected_syntax(what)),
        }
    }

    pub(crate) fn is_name_at(&self, n: usize) -> bool {
        matches!(
            self.peek_nth(n).kind,
            TokenKind::Word(_) | TokenKind::QuotedIdent(_)
        )
    }

    // ----- queries --------------------------------------------------------

    /// `single_query (UNION [ALL] single_query)*`
    pub(crate) fn parse_query(&mut self) -> PResult<Query> {
        let start = self.peek().span;
        let first = self.parse_single_query()?;
        let mut unions = Vec::new();
        while self.at_keyword("UNION") {
            let union_start = self.advance().span;
            let all = self.eat_keyword("ALL");
            let span = self.span_from(union_start);
            let query = self.parse_single_query()?;
            unions.push(Union { all, query, span });
        }
        Ok(Query {
            first,
            unions,
            span: self.span_from(start),
        })
    }

    fn parse_single_query(&mut self) -> PResult<SingleQuery> {
        let start = self.peek().span;
        let mut clauses = Vec::new();
        while self.at_clause_start() {
            clauses.push(self.parse_clause()?);
        }
        if clauses.is_empty() {
            return Err(self.unexpected(
                "a clause (MATCH, OPTIONAL MATCH, UNWIND, WITH, RETURN, CREATE, MERGE, SET, \
                 REMOVE, DELETE, DETACH DELETE or CALL)",
            ));
        }
        Ok(SingleQuery {
            clauses,
            span: self.span_from(start),
        })
    }
}
