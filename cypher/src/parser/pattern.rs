//! Patterns: `p = (a:L {k: v})-[r:T*1..2]->(b)`.

use super::{PResult, Parser};
use crate::ast::{
    Direction, Expr, ExprKind, NodePattern, PatternElement, PatternPart, PatternStep,
    RelationshipPattern, ShortestPath, VarLength,
};
use crate::error::{ErrorDetail, SyntaxError};
use crate::lexer::TokenKind;

impl Parser<'_> {
    /// Comma-separated pattern parts.
    pub(crate) fn parse_pattern(&mut self) -> PResult<Vec<PatternPart>> {
        let mut parts = vec![self.parse_pattern_part()?];
        while self.eat(&TokenKind::Comma) {
            parts.push(self.parse_pattern_part()?);
        }
        Ok(parts)
    }

    /// `[var =] element`.
    pub(crate) fn parse_pattern_part(&mut self) -> PResult<PatternPart> {
        let start = self.peek().span;
        let variable = if self.at_variable() && self.peek_nth(1).kind == TokenKind::Eq {
            let v = self.parse_variable()?;
            self.advance();
            Some(v)
        } else {
            None
        };
        let element = self.parse_anonymous_part()?;
        Ok(PatternPart {
            variable,
            element,
            span: self.span_from(start),
        })
    }

    /// A chain, `shortestPath(chain)` / `allShortestPaths(chain)`, or a
    /// parenthesized chain.
    fn parse_anonymous_part(&mut self) -> PResult<PatternElement> {
        if self.peek_nth(1).kind == TokenKind::LParen {
            if self.at_keyword("shortestPath") {
                return self.parse_shortest_path(ShortestPath::Single);
            }
            if self.at_keyword("allShortestPaths") {
                return self.parse_shortest_path(ShortestPath::All);
            }
            if self.at(&TokenKind::LParen) {
                // `((a)-->(b))`: a parenthesized pattern element.
                self.advance();
                self.enter()?;
                let inner = crate::with_stack(|| self.parse_anonymous_part());
                self.leave();
                let inner = inner?;
                self.expect(&TokenKind::RParen)?;
                return Ok(inner);
            }
        }
        self.parse_pattern_element()
    }

    /// `shortestPath(` chain `)`, at the function name.
    pub(crate) fn parse_shortest_path(&mut self, kind: ShortestPath) -> PResult<PatternElement> {
        let start = self.advance().span;
        self.expect(&TokenKind::LParen)?;
        let mut element = self.parse_pattern_element()?;
        self.expect(&TokenKind::RParen)?;
        element.shortest = Some(kind);
        element.span = self.span_from(start);
        Ok(element)
    }

    /// `(node) (-[rel]- (node))*`.
    pub(crate) fn parse_pattern_element(&mut self) -> PResult<PatternElement> {
        let start = self.peek().span;
        self.enter()?;
        let r = crate::with_stack(|| self.parse_chain());
        self.leave();
        let (first, steps) = r?;
        Ok(PatternElement {
            shortest: None,
            start: first,
            steps,
            span: self.span_from(start),
        })
    }

    fn parse_chain(&mut self) -> PResult<(NodePattern, Vec<PatternStep>)> {
        let first = self.parse_node_pattern()?;
        let mut steps = Vec::new();
        while self.at(&TokenKind::Minus)
            || (self.at(&TokenKind::Lt) && self.peek_nth(1).kind == TokenKind::Minus)
        {
            let relationship = self.parse_relationship_pattern()?;
            let node = self.parse_node_pattern()?;
            steps.push(PatternStep { relationship, node });
        }
        Ok((first, steps))
    }

    fn parse_node_pattern(&mut self) -> PResult<NodePattern> {
        let start = self.peek().span;
        if !self.at(&TokenKind::LParen) {
            return Err(self.unexpected("'(' (a node pattern)"));
        }
        self.advance();
        let variable = if self.at_variable() {
            Some(self.parse_variable()?)
        } else {
            None
        };
        let labels = self.parse_label_list()?;
        let properties = self.parse_pattern_properties()?;
        if !self.at(&TokenKind::RParen) {
            return Err(self.unexpected(if properties.is_some() {
                "')'"
            } else if labels.is_empty() && variable.is_none() {
                "a variable, ':', '{', a parameter or ')'"
            } else {
                "':', '{', a parameter or ')'"
            }));
        }
        self.advance();
        Ok(NodePattern {
            variable,
            labels,
            properties,
            span: self.span_from(start),
        })
    }

    /// `{k: v}` or `$param` in a node or relationship pattern.
    fn parse_pattern_properties(&mut self) -> PResult<Option<Box<Expr>>> {
        let start = self.peek().span;
        match &self.peek().kind {
            TokenKind::LBrace => {
                let entries = self.parse_map_entries()?;
                Ok(Some(Box::new(Expr::new(
                    ExprKind::Map(entries),
                    self.span_from(start),
                ))))
            }
            TokenKind::Param(name) => {
                let param = self.parameter(name.clone(), start)?;
                self.advance();
                Ok(Some(Box::new(Expr::new(ExprKind::Parameter(param), start))))
            }
            _ => Ok(None),
        }
    }

    fn invalid_relationship(&self, expected: &str) -> SyntaxError {
        let mut e = self.unexpected(expected);
        if e.detail == Some(ErrorDetail::UnexpectedSyntax) {
            e.detail = Some(ErrorDetail::InvalidRelationshipPattern);
        }
        e
    }

    fn parse_relationship_pattern(&mut self) -> PResult<RelationshipPattern> {
        let start = self.peek().span;
        let left = self.eat(&TokenKind::Lt);
        self.expect(&TokenKind::Minus)?;
        let mut variable = None;
        let mut types = Vec::new();
        let mut length = None;
        let mut properties = None;
        if self.eat(&TokenKind::LBracket) {
            if self.at_variable() {
                variable = Some(self.parse_variable()?);
            }
            if self.eat(&TokenKind::Colon) {
                types.push(self.parse_schema_name("a relationship type name")?);
                while self.eat(&TokenKind::Pipe) {
                    self.eat(&TokenKind::Colon);
                    types.push(self.parse_schema_name("a relationship type name")?);
                }
            }
            if self.eat(&TokenKind::Star) {
                length = Some(self.parse_var_length()?);
            }
            properties = self.parse_pattern_properties()?;
            if !self.at(&TokenKind::RBracket) {
                return Err(self.invalid_relationship(if length.is_none() {
                    "'*', '{', a parameter or ']'"
                } else {
                    "'{', a parameter or ']'"
                }));
            }
            self.advance();
        }
        if !self.at(&TokenKind::Minus) {
            return Err(self.invalid_relationship("'-'"));
        }
        self.advance();
        let right = self.eat(&TokenKind::Gt);
        let direction = match (left, right) {
            (true, false) => Direction::Incoming,
            (false, true) => Direction::Outgoing,
            (false, false) => Direction::Undirected,
            (true, true) => Direction::Both,
        };
        Ok(RelationshipPattern {
            direction,
            variable,
            types,
            length,
            properties,
            span: self.span_from(start),
        })
    }

    /// After `*`: `[min] [.. [max]]`.
    fn parse_var_length(&mut self) -> PResult<VarLength> {
        let min = self.parse_length_bound()?;
        if self.eat(&TokenKind::DotDot) {
            let max = self.parse_length_bound()?;
            Ok(VarLength { min, max })
        } else {
            Ok(VarLength { min, max: min })
        }
    }

    fn parse_length_bound(&mut self) -> PResult<Option<u64>> {
        match self.peek().kind {
            TokenKind::Integer(v) => {
                self.advance();
                Ok(Some(v))
            }
            TokenKind::Minus | TokenKind::Float(_) => Err(self.error_at(
                self.peek().span.start,
                "Invalid relationship length: expected a non-negative integer",
                Some(ErrorDetail::InvalidRelationshipPattern),
            )),
            _ => Ok(None),
        }
    }

    /// Whether the tokens at `index` look like `(node)` followed by the
    /// start of a relationship (`-[`, `--` or `<-`): then `(` begins a
    /// pattern, not a parenthesized expression.
    pub(crate) fn looks_like_pattern(&self, index: usize) -> bool {
        if *self.kind_at(index) != TokenKind::LParen {
            return false;
        }
        let Some(close) = self.partner.get(index).copied().flatten() else {
            return false;
        };
        let is_name = |i: usize| {
            matches!(
                self.kind_at(i),
                TokenKind::Word(_) | TokenKind::QuotedIdent(_)
            )
        };
        let mut j = index + 1;
        if is_name(j) {
            j += 1;
        }
        while *self.kind_at(j) == TokenKind::Colon && is_name(j + 1) {
            j += 2;
        }
        match self.kind_at(j) {
            TokenKind::LBrace => match self.partner.get(j).copied().flatten() {
                Some(k) => j = k + 1,
                None => return false,
            },
            TokenKind::Param(_) => j += 1,
            _ => {}
        }
        if j != close {
            return false;
        }
        matches!(
            (self.kind_at(close + 1), self.kind_at(close + 2)),
            (TokenKind::Minus, TokenKind::Minus | TokenKind::LBracket)
                | (TokenKind::Lt, TokenKind::Minus)
        )
    }
}
