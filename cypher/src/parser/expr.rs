//! Expressions: a Pratt parser with openCypher precedence.
//!
//! Binding powers, loosest first: `OR` 1, `XOR` 2, `AND` 3, `NOT` 4,
//! comparisons 5 (chained), `IN` / `STARTS WITH` / `ENDS WITH` /
//! `CONTAINS` / `=~` / `IS [NOT] NULL` 6, `+ -` 7, `* / %` 8, `^` 9,
//! unary `+ -` 10, postfix (`.key`, `[i]`, `[a..b]`, `:Label`) 11.

use super::{PResult, Parser};
use crate::ast::{
    BinaryOp, CaseAlternative, CaseExpr, ComparisonOp, ExistsSubquery, Expr, ExprKind,
    FunctionCall, Ident, ListComprehension, Literal, MapEntry, MapProjection, MapProjectionItem,
    Parameter, PatternComprehension, QualifiedName, Quantifier, QuantifierKind, Reduce,
    ShortestPath, Span, UnaryOp,
};
use crate::error::ErrorDetail;
use crate::keywords::is_reserved;
use crate::lexer::TokenKind;

pub(crate) const BP_NOT: u8 = 4;
pub(crate) const BP_COMPARISON: u8 = 5;
pub(crate) const BP_PREDICATE: u8 = 6;
pub(crate) const BP_ADD: u8 = 7;
pub(crate) const BP_UNARY: u8 = 10;
pub(crate) const BP_POSTFIX: u8 = 11;

/// An infix operator found at the current token.
enum Infix {
    Binary(BinaryOp, u8),
    Comparison,
    IsNull,
}

fn comparison_op(kind: &TokenKind) -> Option<ComparisonOp> {
    Some(match kind {
        TokenKind::Eq => ComparisonOp::Eq,
        TokenKind::Neq => ComparisonOp::Neq,
        TokenKind::Lt => ComparisonOp::Lt,
        TokenKind::Gt => ComparisonOp::Gt,
        TokenKind::Le => ComparisonOp::Le,
        TokenKind::Ge => ComparisonOp::Ge,
        _ => return None,
    })
}

fn boxed(e: Expr) -> Box<Expr> {
    Box::new(e)
}

impl Parser<'_> {
    /// A full expression.
    pub(crate) fn parse_expr(&mut self) -> PResult<Expr> {
        self.parse_expr_bp(0)
    }

    /// An expression in a WHERE position, where pattern predicates are
    /// allowed.
    pub(crate) fn parse_where_expr(&mut self) -> PResult<Expr> {
        let saved = std::mem::replace(&mut self.patterns_allowed, true);
        let r = self.parse_expr();
        self.patterns_allowed = saved;
        r
    }

    /// An expression whose operators all bind at least as tightly as
    /// `min_bp`.
    pub(crate) fn parse_expr_bp(&mut self, min_bp: u8) -> PResult<Expr> {
        self.enter()?;
        let r = crate::with_stack(|| self.parse_expr_inner(min_bp));
        self.leave();
        r
    }

    fn infix_at(&self) -> Option<Infix> {
        let kind = &self.peek().kind;
        if comparison_op(kind).is_some() {
            return Some(Infix::Comparison);
        }
        let (op, bp) = match kind {
            TokenKind::Plus => (BinaryOp::Add, BP_ADD),
            TokenKind::Minus => (BinaryOp::Subtract, BP_ADD),
            TokenKind::Star => (BinaryOp::Multiply, 8),
            TokenKind::Slash => (BinaryOp::Divide, 8),
            TokenKind::Percent => (BinaryOp::Modulo, 8),
            TokenKind::Caret => (BinaryOp::Power, 9),
            TokenKind::RegexMatch => (BinaryOp::RegexMatch, BP_PREDICATE),
            TokenKind::Word(w) => {
                let w = w.to_ascii_uppercase();
                match w.as_str() {
                    "OR" => (BinaryOp::Or, 1),
                    "XOR" => (BinaryOp::Xor, 2),
                    "AND" => (BinaryOp::And, 3),
                    "IN" => (BinaryOp::In, BP_PREDICATE),
                    "CONTAINS" => (BinaryOp::Contains, BP_PREDICATE),
                    "STARTS" if self.is_keyword_at(1, "WITH") => {
                        (BinaryOp::StartsWith, BP_PREDICATE)
                    }
                    "ENDS" if self.is_keyword_at(1, "WITH") => (BinaryOp::EndsWith, BP_PREDICATE),
                    "IS" => return Some(Infix::IsNull),
                    _ => return None,
                }
            }
            _ => return None,
        };
        Some(Infix::Binary(op, bp))
    }

    /// Each operator applied in the loop below nests the tree one level
    /// deeper, so it is charged to the depth budget until this call
    /// returns: the tree's depth stays bounded even for long flat chains
    /// like `1 + 1 + ... + 1` (dropping or printing it recurses).
    fn parse_expr_inner(&mut self, min_bp: u8) -> PResult<Expr> {
        let entry_depth = self.depth;
        let r = self.parse_operators(min_bp);
        self.depth = entry_depth;
        r
    }

    fn parse_operators(&mut self, min_bp: u8) -> PResult<Expr> {
        let start = self.peek().span;
        let mut lhs = self.parse_prefix()?;
        loop {
            if self.try_postfix(&mut lhs, start)? {
                self.enter()?;
                continue;
            }
            let Some(infix) = self.infix_at() else { break };
            match infix {
                Infix::Comparison => {
                    if BP_COMPARISON < min_bp {
                        break;
                    }
                    let mut rest = Vec::new();
                    while let Some(op) = comparison_op(&self.peek().kind) {
                        self.advance();
                        rest.push((op, self.parse_expr_bp(BP_COMPARISON + 1)?));
                    }
                    lhs = Expr::new(
                        ExprKind::Comparison {
                            first: boxed(lhs),
                            rest,
                        },
                        self.span_from(start),
                    );
                    self.enter()?;
                }
                Infix::IsNull => {
                    if BP_PREDICATE < min_bp {
                        break;
                    }
                    self.advance();
                    let negated = self.eat_keyword("NOT");
                    self.expect_keyword("NULL")?;
                    lhs = Expr::new(
                        ExprKind::IsNull {
                            expr: boxed(lhs),
                            negated,
                        },
                        self.span_from(start),
                    );
                    self.enter()?;
                }
                Infix::Binary(op, bp) => {
                    if bp < min_bp {
                        break;
                    }
                    self.advance();
                    if matches!(op, BinaryOp::StartsWith | BinaryOp::EndsWith) {
                        self.advance(); // WITH
                    }
                    let right = self.parse_expr_bp(bp + 1)?;
                    lhs = Expr::new(
                        ExprKind::Binary {
                            op,
                            left: boxed(lhs),
                            right: boxed(right),
                        },
                        self.span_from(start),
                    );
                    self.enter()?;
                }
            }
        }
        Ok(lhs)
    }

    /// Apply one postfix operator (`.key`, `[...]`, `:Label`) if present.
    fn try_postfix(&mut self, lhs: &mut Expr, start: Span) -> PResult<bool> {
        let take = |lhs: &mut Expr| {
            boxed(std::mem::replace(
                lhs,
                Expr::new(ExprKind::Literal(Literal::Null), start),
            ))
        };
        let kind = match &self.peek().kind {
            TokenKind::Dot => {
                self.advance();
                let key = self.parse_schema_name("a property key name")?;
                ExprKind::Property {
                    expr: take(lhs),
                    key,
                }
            }
            TokenKind::Colon if self.is_name_at(1) => {
                let labels = self.parse_label_list()?;
                ExprKind::HasLabels {
                    expr: take(lhs),
                    labels,
                }
            }
            TokenKind::LBracket => {
                self.advance();
                let kind = if self.eat(&TokenKind::DotDot) {
                    let to = self.parse_optional_bound()?;
                    ExprKind::Slice {
                        expr: take(lhs),
                        from: None,
                        to,
                    }
                } else {
                    let index = self.parse_expr()?;
                    if self.eat(&TokenKind::DotDot) {
                        let to = self.parse_optional_bound()?;
                        ExprKind::Slice {
                            expr: take(lhs),
                            from: Some(boxed(index)),
                            to,
                        }
                    } else {
                        ExprKind::Index {
                            expr: take(lhs),
                            index: boxed(index),
                        }
                    }
                };
                self.expect(&TokenKind::RBracket)?;
                kind
            }
            _ => return Ok(false),
        };
        *lhs = Expr::new(kind, self.span_from(start));
        Ok(true)
    }

    fn parse_optional_bound(&mut self) -> PResult<Option<Box<Expr>>> {
        if self.at(&TokenKind::RBracket) {
            Ok(None)
        } else {
            Ok(Some(boxed(self.parse_expr()?)))
        }
    }

    /// `:A:B` (labels after a node variable or in a pattern).
    pub(crate) fn parse_label_list(&mut self) -> PResult<Vec<String>> {
        let mut labels = Vec::new();
        while self.eat(&TokenKind::Colon) {
            labels.push(self.parse_schema_name("a label name")?);
        }
        Ok(labels)
    }

    fn parse_prefix(&mut self) -> PResult<Expr> {
        let start = self.peek().span;
        if self.at_keyword("NOT") {
            self.advance();
            let operand = self.parse_expr_bp(BP_NOT)?;
            return Ok(self.unary(UnaryOp::Not, operand, start));
        }
        match self.peek().kind {
            TokenKind::Minus => {
                self.advance();
                if let Some(lit) = self.try_negative_literal(start)? {
                    return Ok(lit);
                }
                let operand = self.parse_expr_bp(BP_UNARY)?;
                Ok(self.unary(UnaryOp::Minus, operand, start))
            }
            TokenKind::Plus => {
                self.advance();
                let operand = self.parse_expr_bp(BP_UNARY)?;
                Ok(self.unary(UnaryOp::Plus, operand, start))
            }
            _ => self.parse_primary(),
        }
    }

    fn unary(&self, op: UnaryOp, operand: Expr, start: Span) -> Expr {
        Expr::new(
            ExprKind::Unary {
                op,
                expr: boxed(operand),
            },
            self.span_from(start),
        )
    }

    /// After a unary minus: a number literal not followed by a postfix
    /// operator is folded into a negative literal (so that
    /// `-9223372036854775808` is representable).
    fn try_negative_literal(&mut self, minus: Span) -> PResult<Option<Expr>> {
        let postfix_follows = matches!(
            self.peek_nth(1).kind,
            TokenKind::Dot | TokenKind::LBracket | TokenKind::Colon
        );
        if postfix_follows {
            return Ok(None);
        }
        let lit = match self.peek().kind {
            TokenKind::Integer(v) => {
                let magnitude = i128::from(v);
                let Ok(n) = i64::try_from(-magnitude) else {
                    let tok = self.peek().span;
                    return Err(self.error_at(
                        minus.start,
                        format!(
                            "Integer literal '-{}' is too small",
                            tok.text(self.src).unwrap_or_default()
                        ),
                        Some(ErrorDetail::IntegerOverflow),
                    ));
                };
                Literal::Integer(n)
            }
            TokenKind::Float(f) => Literal::Float(-f),
            _ => return Ok(None),
        };
        self.advance();
        Ok(Some(Expr::new(
            ExprKind::Literal(lit),
            self.span_from(minus),
        )))
    }

    fn literal(&mut self, lit: Literal) -> Expr {
        let span = self.advance().span;
        Expr::new(ExprKind::Literal(lit), span)
    }

    fn parse_primary(&mut self) -> PResult<Expr> {
        let start = self.peek().span;
        match self.peek().kind.clone() {
            TokenKind::Integer(v) => match i64::try_from(v) {
                Ok(n) => Ok(self.literal(Literal::Integer(n))),
                Err(_) => Err(self.error_at(
                    start.start,
                    format!(
                        "Integer literal '{}' is too large",
                        start.text(self.src).unwrap_or_default()
                    ),
                    Some(ErrorDetail::IntegerOverflow),
                )),
            },
            TokenKind::Float(f) => Ok(self.literal(Literal::Float(f))),
            TokenKind::Str(s) => Ok(self.literal(Literal::String(s))),
            TokenKind::Param(name) => {
                let param = self.parameter(name, start)?;
                self.advance();
                Ok(Expr::new(ExprKind::Parameter(param), start))
            }
            TokenKind::LParen => {
                if self.looks_like_pattern(self.pos) {
                    return self.parse_pattern_predicate();
                }
                self.advance();
                let e = self.parse_expr()?;
                self.expect(&TokenKind::RParen)?;
                Ok(e)
            }
            TokenKind::LBracket => self.parse_bracket(),
            TokenKind::LBrace => {
                let entries = self.parse_map_entries()?;
                Ok(Expr::new(ExprKind::Map(entries), self.span_from(start)))
            }
            TokenKind::Word(w) => self.parse_word_primary(&w),
            TokenKind::QuotedIdent(name) => {
                if matches!(self.peek_nth(1).kind, TokenKind::LParen | TokenKind::Dot)
                    && self.function_call_ahead()
                {
                    return self.parse_function_call();
                }
                let var = self.parse_variable()?;
                self.variable_or_projection(var)
                    .map(|e| e.unwrap_or_else(|| Expr::new(ExprKind::Variable(name), start)))
            }
            _ => Err(self.unexpected("an expression")),
        }
    }

    /// The parameter named by a `$...` token's text.
    pub(crate) fn parameter(&self, name: String, at: Span) -> PResult<Parameter> {
        if !name.bytes().all(|b| b.is_ascii_digit()) {
            return Ok(Parameter::Named(name));
        }
        name.parse::<u64>().map(Parameter::Positional).map_err(|_| {
            self.error_at(
                at.start,
                format!("Parameter index '${name}' is too large"),
                Some(ErrorDetail::IntegerOverflow),
            )
        })
    }

    fn parse_word_primary(&mut self, w: &str) -> PResult<Expr> {
        let start = self.peek().span;
        let upper = w.to_ascii_uppercase();
        let next = self.peek_nth(1).kind.clone();
        match upper.as_str() {
            "TRUE" => return Ok(self.literal(Literal::Boolean(true))),
            "FALSE" => return Ok(self.literal(Literal::Boolean(false))),
            "NULL" => return Ok(self.literal(Literal::Null)),
            "CASE" => return self.parse_case(),
            "EXISTS" if next == TokenKind::LBrace => return self.parse_exists_subquery(),
            "COUNT" if next == TokenKind::LBrace => return self.parse_count_subquery(),
            "COLLECT" if next == TokenKind::LBrace => return self.parse_collect_subquery(),
            "ALL" | "ANY" | "NONE" | "SINGLE"
                if next == TokenKind::LParen
                    && self.is_variable_at(2)
                    && self.is_keyword_at(3, "IN") =>
            {
                return self.parse_quantifier(&upper);
            }
            "REDUCE"
                if next == TokenKind::LParen
                    && self.is_variable_at(2)
                    && self.peek_nth(3).kind == TokenKind::Eq =>
            {
                return self.parse_reduce();
            }
            "COUNT"
                if next == TokenKind::LParen
                    && self.peek_nth(2).kind == TokenKind::Star
                    && self.peek_nth(3).kind == TokenKind::RParen =>
            {
                for _ in 0..4 {
                    self.advance();
                }
                return Ok(Expr::new(ExprKind::CountStar, self.span_from(start)));
            }
            "SHORTESTPATH" | "ALLSHORTESTPATHS" if next == TokenKind::LParen => {
                let kind = if upper == "SHORTESTPATH" {
                    ShortestPath::Single
                } else {
                    ShortestPath::All
                };
                let element = self.parse_shortest_path(kind)?;
                return Ok(Expr::new(
                    ExprKind::Pattern(Box::new(element)),
                    self.span_from(start),
                ));
            }
            _ => {}
        }
        if self.function_call_ahead() && (!is_reserved(w) || upper == "EXISTS") {
            return self.parse_function_call();
        }
        if is_reserved(w) {
            return Err(self.unexpected("an expression"));
        }
        let var = self.parse_variable()?;
        let name = var.name.clone();
        Ok(self
            .variable_or_projection(var)?
            .unwrap_or_else(|| Expr::new(ExprKind::Variable(name), start)))
    }

    /// After a variable: a map projection if `{` follows.
    fn variable_or_projection(&mut self, var: Ident) -> PResult<Option<Expr>> {
        if !self.at(&TokenKind::LBrace) {
            return Ok(None);
        }
        let start = var.span;
        self.advance();
        let mut items = Vec::new();
        if !self.at(&TokenKind::RBrace) {
            loop {
                items.push(self.parse_map_projection_item()?);
                if !self.eat(&TokenKind::Comma) {
                    break;
                }
            }
        }
        self.expect(&TokenKind::RBrace)?;
        Ok(Some(Expr::new(
            ExprKind::MapProjection(Box::new(MapProjection {
                variable: var,
                items,
            })),
            self.span_from(start),
        )))
    }

    fn parse_map_projection_item(&mut self) -> PResult<MapProjectionItem> {
        if self.eat(&TokenKind::Dot) {
            if self.eat(&TokenKind::Star) {
                return Ok(MapProjectionItem::AllProperties);
            }
            return Ok(MapProjectionItem::Property(
                self.parse_schema_name("a property key name or '*'")?,
            ));
        }
        if self.is_name_at(0) && self.peek_nth(1).kind == TokenKind::Colon {
            let key = self.parse_schema_name("a property key name")?;
            self.advance();
            let value = self.parse_expr()?;
            return Ok(MapProjectionItem::Literal(key, value));
        }
        if self.at_variable() {
            return Ok(MapProjectionItem::Variable(self.parse_variable()?));
        }
        Err(self
            .unexpected_syntax("a map projection item ('.key', '.*', 'key: value' or a variable)"))
    }

    /// `{k: v, ...}` starting at `{`.
    pub(crate) fn parse_map_entries(&mut self) -> PResult<Vec<MapEntry>> {
        self.expect(&TokenKind::LBrace)?;
        let mut entries = Vec::new();
        if !self.at(&TokenKind::RBrace) {
            loop {
                let key = self.parse_schema_name("a property key name")?;
                if !self.at(&TokenKind::Colon) {
                    return Err(self.unexpected_syntax("':'"));
                }
                self.advance();
                let value = self.parse_expr()?;
                entries.push(MapEntry { key, value });
                if !self.eat(&TokenKind::Comma) {
                    break;
                }
            }
        }
        if !self.at(&TokenKind::RBrace) {
            return Err(self.unexpected_syntax("',' or '}'"));
        }
        self.advance();
        Ok(entries)
    }

    /// Whether `name (. name)* (` starts at the current token.
    fn function_call_ahead(&self) -> bool {
        let mut n = 0;
        loop {
            if !self.is_name_at(n) {
                return false;
            }
            match self.peek_nth(n + 1).kind {
                TokenKind::LParen => return true,
                TokenKind::Dot => n += 2,
                _ => return false,
            }
        }
    }

    /// `ns.name` up to (not including) `(`.
    pub(crate) fn parse_qualified_name(&mut self, what: &str) -> PResult<QualifiedName> {
        let mut parts = vec![self.parse_schema_name(what)?];
        while self.at(&TokenKind::Dot) && self.is_name_at(1) {
            self.advance();
            parts.push(self.parse_schema_name(what)?);
        }
        let name = parts.pop().unwrap_or_default();
        Ok(QualifiedName {
            namespace: parts,
            name,
        })
    }

    fn parse_function_call(&mut self) -> PResult<Expr> {
        let start = self.peek().span;
        let name = self.parse_qualified_name("a function name")?;
        self.expect(&TokenKind::LParen)?;
        let distinct = self.eat_keyword("DISTINCT");
        let is_exists = name.namespace.is_empty() && name.name.eq_ignore_ascii_case("exists");
        let saved = self.patterns_allowed;
        if is_exists {
            self.patterns_allowed = true;
        }
        let args = self.parse_comma_exprs(&TokenKind::RParen);
        self.patterns_allowed = saved;
        let args = args?;
        self.expect(&TokenKind::RParen)?;
        Ok(Expr::new(
            ExprKind::FunctionCall(FunctionCall {
                name,
                distinct,
                args,
            }),
            self.span_from(start),
        ))
    }

    /// Zero or more comma-separated expressions before `close`.
    pub(crate) fn parse_comma_exprs(&mut self, close: &TokenKind) -> PResult<Vec<Expr>> {
        let mut out = Vec::new();
        if self.at(close) {
            return Ok(out);
        }
        loop {
            out.push(self.parse_expr()?);
            if !self.eat(&TokenKind::Comma) {
                return Ok(out);
            }
        }
    }

    fn parse_case(&mut self) -> PResult<Expr> {
        let start = self.advance().span; // CASE
        let operand = if self.at_keyword("WHEN") {
            None
        } else {
            Some(boxed(self.parse_expr()?))
        };
        let mut alternatives = Vec::new();
        while self.eat_keyword("WHEN") {
            let when = self.parse_expr()?;
            self.expect_keyword("THEN")?;
            let then = self.parse_expr()?;
            alternatives.push(CaseAlternative { when, then });
        }
        if alternatives.is_empty() {
            return Err(self.unexpected("WHEN"));
        }
        let default = if self.eat_keyword("ELSE") {
            Some(boxed(self.parse_expr()?))
        } else {
            None
        };
        self.expect_keyword("END")?;
        Ok(Expr::new(
            ExprKind::Case(CaseExpr {
                operand,
                alternatives,
                default,
            }),
            self.span_from(start),
        ))
    }

    fn parse_quantifier(&mut self, upper: &str) -> PResult<Expr> {
        let start = self.advance().span;
        let kind = match upper {
            "ALL" => QuantifierKind::All,
            "ANY" => QuantifierKind::Any,
            "NONE" => QuantifierKind::None,
            _ => QuantifierKind::Single,
        };
        self.expect(&TokenKind::LParen)?;
        let variable = self.parse_variable()?;
        self.expect_keyword("IN")?;
        let list = self.parse_expr()?;
        let predicate = if self.eat_keyword("WHERE") {
            Some(self.parse_where_expr()?)
        } else {
            None
        };
        self.expect(&TokenKind::RParen)?;
        Ok(Expr::new(
            ExprKind::Quantifier(Box::new(Quantifier {
                kind,
                variable,
                list,
                predicate,
            })),
            self.span_from(start),
        ))
    }

    fn parse_reduce(&mut self) -> PResult<Expr> {
        let start = self.advance().span;
        self.expect(&TokenKind::LParen)?;
        let accumulator = self.parse_variable()?;
        self.expect(&TokenKind::Eq)?;
        let init = self.parse_expr()?;
        self.expect(&TokenKind::Comma)?;
        let variable = self.parse_variable()?;
        self.expect_keyword("IN")?;
        let list = self.parse_expr()?;
        self.expect(&TokenKind::Pipe)?;
        let expr = self.parse_expr()?;
        self.expect(&TokenKind::RParen)?;
        Ok(Expr::new(
            ExprKind::Reduce(Box::new(Reduce {
                accumulator,
                init,
                variable,
                list,
                expr,
            })),
            self.span_from(start),
        ))
    }

    fn parse_exists_subquery(&mut self) -> PResult<Expr> {
        let start = self.peek().span;
        let body = self.parse_subquery_body()?;
        Ok(Expr::new(
            ExprKind::Exists(Box::new(body)),
            self.span_from(start),
        ))
    }

    fn parse_count_subquery(&mut self) -> PResult<Expr> {
        let start = self.peek().span;
        let body = self.parse_subquery_body()?;
        Ok(Expr::new(
            ExprKind::CountSubquery(Box::new(body)),
            self.span_from(start),
        ))
    }

    fn parse_collect_subquery(&mut self) -> PResult<Expr> {
        let start = self.peek().span;
        let brace = self.peek_nth(1).span;
        match self.parse_subquery_body()? {
            ExistsSubquery::Query(q) => Ok(Expr::new(
                ExprKind::CollectSubquery(Box::new(q)),
                self.span_from(start),
            )),
            ExistsSubquery::Pattern { .. } => Err(self.error_at(
                brace.start,
                "COLLECT { ... } needs a query that ends with RETURN",
                None,
            )),
        }
    }

    /// `{ pattern [WHERE p] }` or `{ query }` after EXISTS/COUNT/COLLECT.
    fn parse_subquery_body(&mut self) -> PResult<ExistsSubquery> {
        self.advance(); // EXISTS / COUNT / COLLECT
        self.expect(&TokenKind::LBrace)?;
        self.enter()?;
        let saved = std::mem::replace(&mut self.patterns_allowed, false);
        let body = if self.at_clause_start() {
            self.parse_query().map(ExistsSubquery::Query)
        } else {
            self.parse_pattern().and_then(|pattern| {
                let predicate = if self.eat_keyword("WHERE") {
                    Some(self.parse_where_expr()?)
                } else {
                    None
                };
                Ok(ExistsSubquery::Pattern { pattern, predicate })
            })
        };
        self.patterns_allowed = saved;
        self.leave();
        let body = body?;
        self.expect(&TokenKind::RBrace)?;
        Ok(body)
    }

    fn parse_pattern_predicate(&mut self) -> PResult<Expr> {
        let start = self.peek().span;
        if !self.patterns_allowed {
            return Err(self.error_at(
                start.start,
                "Invalid input '(': a pattern expression is only allowed in a WHERE clause or \
                 as the argument of exists(); use a pattern comprehension [(a)-->(b) | b] or \
                 EXISTS { ... } instead",
                Some(ErrorDetail::UnexpectedSyntax),
            ));
        }
        let element = self.parse_pattern_element()?;
        Ok(Expr::new(
            ExprKind::Pattern(Box::new(element)),
            self.span_from(start),
        ))
    }

    /// `[` starts a list literal, a list comprehension or a pattern
    /// comprehension.
    fn parse_bracket(&mut self) -> PResult<Expr> {
        let start = self.peek().span;
        let named = self.is_variable_at(1)
            && self.peek_nth(2).kind == TokenKind::Eq
            && self.looks_like_pattern(self.pos + 3);
        if named || self.looks_like_pattern(self.pos + 1) {
            return self.parse_pattern_comprehension(named);
        }
        if self.is_variable_at(1) && self.is_keyword_at(2, "IN") && !self.top_level_comma() {
            return self.parse_list_comprehension();
        }
        self.advance();
        let items = self.parse_comma_exprs(&TokenKind::RBracket)?;
        if !self.at(&TokenKind::RBracket) {
            return Err(self.unexpected("',' or ']'"));
        }
        self.advance();
        Ok(Expr::new(ExprKind::List(items), self.span_from(start)))
    }

    /// Whether the bracket at the current token has a comma at its own
    /// nesting level (then `[x IN l, ...]` is a list literal).
    fn top_level_comma(&self) -> bool {
        let Some(close) = self.partner[self.pos] else {
            return false;
        };
        let mut i = self.pos + 1;
        while i < close {
            match self.kind_at(i) {
                TokenKind::Comma => return true,
                TokenKind::LParen | TokenKind::LBracket | TokenKind::LBrace => {
                    match self.partner[i] {
                        Some(j) => i = j,
                        None => return false,
                    }
                }
                _ => {}
            }
            i += 1;
        }
        false
    }

    fn parse_list_comprehension(&mut self) -> PResult<Expr> {
        let start = self.advance().span; // [
        let variable = self.parse_variable()?;
        self.expect_keyword("IN")?;
        let list = self.parse_expr()?;
        let predicate = if self.eat_keyword("WHERE") {
            Some(self.parse_where_expr()?)
        } else {
            None
        };
        let projection = if self.eat(&TokenKind::Pipe) {
            Some(self.parse_expr()?)
        } else {
            None
        };
        if !self.at(&TokenKind::RBracket) {
            return Err(self.unexpected("WHERE, '|' or ']'"));
        }
        self.advance();
        Ok(Expr::new(
            ExprKind::ListComprehension(Box::new(ListComprehension {
                variable,
                list,
                predicate,
                projection,
            })),
            self.span_from(start),
        ))
    }

    fn parse_pattern_comprehension(&mut self, named: bool) -> PResult<Expr> {
        let start = self.advance().span; // [
        let path_variable = if named {
            let v = self.parse_variable()?;
            self.advance(); // =
            Some(v)
        } else {
            None
        };
        let pattern = self.parse_pattern_element()?;
        let predicate = if self.eat_keyword("WHERE") {
            Some(self.parse_where_expr()?)
        } else {
            None
        };
        if !self.at(&TokenKind::Pipe) {
            return Err(self.unexpected("WHERE or '|'"));
        }
        self.advance();
        let projection = self.parse_expr()?;
        self.expect(&TokenKind::RBracket)?;
        Ok(Expr::new(
            ExprKind::PatternComprehension(Box::new(PatternComprehension {
                path_variable,
                pattern,
                predicate,
                projection,
            })),
            self.span_from(start),
        ))
    }
}
