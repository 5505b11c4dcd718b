//! Clauses.

use super::expr::BP_POSTFIX;
use super::{PResult, Parser};
use crate::ast::{
    CallClause, Clause, CreateClause, DeleteClause, ExprKind, Ident, MatchClause, MergeAction,
    MergeActionKind, MergeClause, Projection, ProjectionItem, RemoveClause, RemoveItem,
    ReturnClause, SetClause, SetItem, SortItem, SortOrder, UnwindClause, WithClause, YieldClause,
    YieldItem,
};
use crate::error::ErrorDetail;
use crate::lexer::TokenKind;

impl Parser<'_> {
    /// One clause, at its keyword.
    pub(crate) fn parse_clause(&mut self) -> PResult<Clause> {
        let start = self.peek().span;
        let upper = match &self.peek().kind {
            TokenKind::Word(w) => w.to_ascii_uppercase(),
            _ => String::new(),
        };
        let clause = match upper.as_str() {
            "MATCH" => Clause::Match(self.parse_match(false)?),
            "OPTIONAL" => {
                self.advance();
                if !self.at_keyword("MATCH") {
                    return Err(self.unexpected("MATCH"));
                }
                Clause::Match(self.parse_match(true)?)
            }
            "UNWIND" => {
                self.advance();
                let expr = self.parse_expr()?;
                self.expect_keyword("AS")?;
                let variable = self.parse_variable()?;
                Clause::Unwind(UnwindClause {
                    expr,
                    variable,
                    span: self.span_from(start),
                })
            }
            "WITH" => {
                self.advance();
                let projection = self.parse_projection()?;
                let predicate = if self.eat_keyword("WHERE") {
                    Some(self.parse_where_expr()?)
                } else {
                    None
                };
                Clause::With(WithClause {
                    projection,
                    predicate,
                    span: self.span_from(start),
                })
            }
            "RETURN" => {
                self.advance();
                let projection = self.parse_projection()?;
                Clause::Return(ReturnClause {
                    projection,
                    span: self.span_from(start),
                })
            }
            "CREATE" => {
                self.advance();
                let pattern = self.parse_pattern()?;
                Clause::Create(CreateClause {
                    pattern,
                    span: self.span_from(start),
                })
            }
            "MERGE" => Clause::Merge(self.parse_merge()?),
            "SET" => {
                self.advance();
                let items = self.parse_set_items()?;
                Clause::Set(SetClause {
                    items,
                    span: self.span_from(start),
                })
            }
            "REMOVE" => Clause::Remove(self.parse_remove()?),
            "DELETE" | "DETACH" => {
                let detach = self.eat_keyword("DETACH");
                self.expect_keyword("DELETE")?;
                let exprs = self.parse_comma_exprs(&TokenKind::Eof)?;
                if exprs.is_empty() {
                    return Err(self.unexpected("an expression"));
                }
                Clause::Delete(DeleteClause {
                    detach,
                    exprs,
                    span: self.span_from(start),
                })
            }
            "CALL" => Clause::Call(self.parse_call()?),
            _ => return Err(self.unexpected("a clause")),
        };
        Ok(clause)
    }

    fn parse_match(&mut self, optional: bool) -> PResult<MatchClause> {
        let start = if optional {
            self.prev_span()
        } else {
            self.peek().span
        };
        self.advance(); // MATCH
        let pattern = self.parse_pattern()?;
        let predicate = if self.eat_keyword("WHERE") {
            Some(self.parse_where_expr()?)
        } else {
            None
        };
        Ok(MatchClause {
            optional,
            pattern,
            predicate,
            span: self.span_from(start),
        })
    }

    fn parse_merge(&mut self) -> PResult<MergeClause> {
        let start = self.advance().span;
        let pattern = self.parse_pattern_part()?;
        let mut actions = Vec::new();
        while self.at_keyword("ON") {
            self.advance();
            let on = if self.eat_keyword("CREATE") {
                MergeActionKind::Create
            } else if self.eat_keyword("MATCH") {
                MergeActionKind::Match
            } else {
                return Err(self.unexpected("CREATE or MATCH"));
            };
            self.expect_keyword("SET")?;
            let items = self.parse_set_items()?;
            actions.push(MergeAction { on, items });
        }
        Ok(MergeClause {
            pattern,
            actions,
            span: self.span_from(start),
        })
    }

    fn parse_set_items(&mut self) -> PResult<Vec<SetItem>> {
        let mut items = vec![self.parse_set_item()?];
        while self.eat(&TokenKind::Comma) {
            items.push(self.parse_set_item()?);
        }
        Ok(items)
    }

    fn parse_set_item(&mut self) -> PResult<SetItem> {
        let target = self.parse_expr_bp(BP_POSTFIX)?;
        let at_assign = matches!(self.peek().kind, TokenKind::Eq | TokenKind::PlusEq);
        match target.kind {
            ExprKind::Variable(name) if at_assign => {
                let append = self.advance().kind == TokenKind::PlusEq;
                let variable = Ident::new(name, target.span);
                let value = self.parse_expr()?;
                Ok(if append {
                    SetItem::Merge { variable, value }
                } else {
                    SetItem::Replace { variable, value }
                })
            }
            ExprKind::Property { .. } if self.at(&TokenKind::Eq) => {
                self.advance();
                let value = self.parse_expr()?;
                Ok(SetItem::Property {
                    property: target,
                    value,
                })
            }
            ExprKind::HasLabels { expr, labels } if !at_assign => match expr.kind {
                ExprKind::Variable(name) => Ok(SetItem::Labels {
                    variable: Ident::new(name, expr.span),
                    labels,
                }),
                _ => Err(self.error_at(
                    expr.span.start,
                    "Invalid SET item: labels can only be set on a variable",
                    Some(ErrorDetail::UnexpectedSyntax),
                )),
            },
            ExprKind::Property { .. } => Err(self.unexpected("'='")),
            ExprKind::Variable(_) => Err(self.unexpected("'=', '+=' or ':'")),
            _ => Err(self.error_at(
                target.span.start,
                "Invalid SET item: expected 'variable.key = value', 'variable = map', \
                 'variable += map' or 'variable:Label'",
                Some(ErrorDetail::UnexpectedSyntax),
            )),
        }
    }

    fn parse_remove(&mut self) -> PResult<RemoveClause> {
        let start = self.advance().span;
        let mut items = Vec::new();
        loop {
            let target = self.parse_expr_bp(BP_POSTFIX)?;
            let item = match target.kind {
                ExprKind::Property { .. } => RemoveItem::Property(target),
                ExprKind::HasLabels { expr, labels } if expr.as_variable().is_some() => {
                    let name = expr.as_variable().unwrap_or_default().to_string();
                    RemoveItem::Labels {
                        variable: Ident::new(name, expr.span),
                        labels,
                    }
                }
                _ => {
                    return Err(self.error_at(
                        target.span.start,
                        "Invalid REMOVE item: expected 'variable.key' or 'variable:Label'",
                        Some(ErrorDetail::UnexpectedSyntax),
                    ))
                }
            };
            items.push(item);
            if !self.eat(&TokenKind::Comma) {
                break;
            }
        }
        Ok(RemoveClause {
            items,
            span: self.span_from(start),
        })
    }

    fn parse_call(&mut self) -> PResult<CallClause> {
        let start = self.advance().span;
        let procedure = self.parse_qualified_name("a procedure name")?;
        let args = if self.eat(&TokenKind::LParen) {
            let args = self.parse_comma_exprs(&TokenKind::RParen)?;
            self.expect(&TokenKind::RParen)?;
            Some(args)
        } else {
            None
        };
        let yields = if self.at_keyword("YIELD") {
            let ystart = self.advance().span;
            let items = if self.eat(&TokenKind::Star) {
                None
            } else {
                let mut items = Vec::new();
                loop {
                    let istart = self.peek().span;
                    let field = self.parse_schema_name("a procedure output name")?;
                    let alias = if self.eat_keyword("AS") {
                        Some(self.parse_variable()?)
                    } else {
                        None
                    };
                    items.push(YieldItem {
                        field,
                        alias,
                        span: self.span_from(istart),
                    });
                    if !self.eat(&TokenKind::Comma) {
                        break;
                    }
                }
                Some(items)
            };
            let predicate = if self.eat_keyword("WHERE") {
                Some(self.parse_where_expr()?)
            } else {
                None
            };
            Some(YieldClause {
                items,
                predicate,
                span: self.span_from(ystart),
            })
        } else {
            None
        };
        Ok(CallClause {
            procedure,
            args,
            yields,
            span: self.span_from(start),
        })
    }

    /// The body of WITH / RETURN after the keyword.
    fn parse_projection(&mut self) -> PResult<Projection> {
        let distinct = self.eat_keyword("DISTINCT");
        let mut star = false;
        let mut items = Vec::new();
        if self.eat(&TokenKind::Star) {
            star = true;
            if self.eat(&TokenKind::Comma) {
                items = self.parse_projection_items()?;
            }
        } else {
            items = self.parse_projection_items()?;
        }
        let mut order_by = Vec::new();
        if self.at_keyword("ORDER") {
            self.advance();
            self.expect_keyword("BY")?;
            loop {
                let expr = self.parse_expr()?;
                let order = if self.eat_keyword("ASC") || self.eat_keyword("ASCENDING") {
                    Some(SortOrder::Ascending)
                } else if self.eat_keyword("DESC") || self.eat_keyword("DESCENDING") {
                    Some(SortOrder::Descending)
                } else {
                    None
                };
                order_by.push(SortItem { expr, order });
                if !self.eat(&TokenKind::Comma) {
                    break;
                }
            }
        }
        let skip = if self.eat_keyword("SKIP") {
            Some(self.parse_expr()?)
        } else {
            None
        };
        let limit = if self.eat_keyword("LIMIT") {
            Some(self.parse_expr()?)
        } else {
            None
        };
        Ok(Projection {
            distinct,
            star,
            items,
            order_by,
            skip,
            limit,
        })
    }

    fn parse_projection_items(&mut self) -> PResult<Vec<ProjectionItem>> {
        let mut items = Vec::new();
        loop {
            let start = self.peek().span;
            let expr = self.parse_expr()?;
            let alias = if self.eat_keyword("AS") {
                Some(self.parse_variable()?)
            } else {
                None
            };
            items.push(ProjectionItem {
                expr,
                alias,
                span: self.span_from(start),
            });
            if !self.eat(&TokenKind::Comma) {
                return Ok(items);
            }
        }
    }
}
