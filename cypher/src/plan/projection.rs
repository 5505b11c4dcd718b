//! Planning `WITH` and `RETURN`: projection, grouping and aggregation,
//! `DISTINCT`, `ORDER BY`, `SKIP`, `LIMIT` and `WITH ... WHERE`.

use std::sync::Arc;

use crate::ast::{self, ExprKind, SortOrder};
use crate::check::{contains_aggregate, is_aggregate_call};
use crate::error::{CypherError, ErrorDetail, QueryErrorKind};

use super::expr::compile_error;

use super::ir::{AggregateSpec, Operator, SortKey};
use super::{Compiler, Scope};

type R<T> = Result<T, CypherError>;

/// Every aggregate call in `e` (not looking inside aggregates).
fn aggregate_calls(e: &ast::Expr, out: &mut Vec<ast::Expr>) {
    if is_aggregate_call(e) {
        if !out.contains(e) {
            out.push(e.clone());
        }
        return;
    }
    e.for_each_child(&mut |c| aggregate_calls(c, out));
}

fn calls_rand(e: &ast::Expr) -> bool {
    e.any(&mut |x| {
        matches!(&x.kind, ExprKind::FunctionCall(f) if f.name.namespace.is_empty() && f.name.name.eq_ignore_ascii_case("rand"))
    })
}

impl Compiler<'_> {
    /// Plans a projection; returns the scope after it. `columns` receives
    /// the result columns of a `RETURN`.
    pub(crate) fn projection(
        &mut self,
        p: &ast::Projection,
        predicate: Option<&ast::Expr>,
        scope: &Scope,
        ops: &mut Vec<Operator>,
        columns: Option<&mut Vec<(String, usize)>>,
    ) -> R<Scope> {
        // (column name, expression) pairs.
        let mut items: Vec<(String, ast::Expr)> = Vec::new();
        if p.star {
            let mut names: Vec<&str> = scope.visible().map(|(n, _)| n).collect();
            names.sort_unstable();
            for name in names {
                items.push((
                    name.to_string(),
                    ast::Expr::new(ExprKind::Variable(name.to_string()), ast::Span::default()),
                ));
            }
        }
        for item in &p.items {
            let name = if item.alias.is_none() && item.expr.as_variable().is_none() {
                item.span
                    .text(self.source)
                    .map_or_else(|| item.column_name(self.source), |t| t.trim().to_string())
            } else {
                item.column_name(self.source)
            };
            items.push((name, item.expr.clone()));
        }
        let aggregating = items.iter().any(|(_, e)| contains_aggregate(e))
            || p.order_by.iter().any(|s| contains_aggregate(&s.expr));

        let mut item_slots = Vec::with_capacity(items.len());
        let mut order_scope = scope.clone();
        let saved_substitutions = self.substitutions.len();
        if aggregating {
            let mut keys = Vec::new();
            let mut key_exprs = Vec::new();
            let mut group_scope = Scope::default();
            for (_, e) in &items {
                if contains_aggregate(e) {
                    continue;
                }
                let slot = self.new_slot();
                keys.push((slot, self.expr(e, scope)?));
                key_exprs.push((e.clone(), slot));
                if let Some(v) = e.as_variable() {
                    group_scope.bind(v, slot);
                }
            }
            let mut calls = Vec::new();
            for (_, e) in &items {
                aggregate_calls(e, &mut calls);
            }
            for s in &p.order_by {
                aggregate_calls(&s.expr, &mut calls);
            }
            let mut aggregates = Vec::new();
            let mut aggregate_exprs = Vec::new();
            for call in calls {
                let slot = self.new_slot();
                let spec = match &call.kind {
                    ExprKind::CountStar => AggregateSpec {
                        name: Arc::from("count*"),
                        distinct: false,
                        args: Vec::new(),
                    },
                    ExprKind::FunctionCall(f) => {
                        if f.args.iter().any(calls_rand) {
                            return Err(compile_error(
                                QueryErrorKind::Syntax,
                                Some(ErrorDetail::NonConstantExpression),
                                "Can't use non-deterministic (random) functions inside of aggregate functions",
                                call.span.start,
                            ));
                        }
                        AggregateSpec {
                            name: f.name.full_name().to_ascii_lowercase().into(),
                            distinct: f.distinct,
                            args: f
                                .args
                                .iter()
                                .map(|a| self.expr(a, scope))
                                .collect::<R<Vec<_>>>()?,
                        }
                    }
                    _ => continue,
                };
                aggregates.push((slot, spec));
                aggregate_exprs.push((call, slot));
            }
            self.substitutions.extend(key_exprs);
            self.substitutions.extend(aggregate_exprs);
            ops.push(Operator::Aggregate { keys, aggregates });
            let mut project = Vec::new();
            for (_, e) in &items {
                if let Some(slot) = self.substitution(e) {
                    item_slots.push(slot);
                } else {
                    let slot = self.new_slot();
                    project.push((slot, self.expr(e, &group_scope)?));
                    item_slots.push(slot);
                }
            }
            if !project.is_empty() {
                ops.push(Operator::Project { items: project });
            }
            order_scope = group_scope;
        } else {
            let mut project = Vec::new();
            for (_, e) in &items {
                let slot = match e.as_variable().and_then(|v| scope.get(v)) {
                    Some(slot) => slot,
                    None => {
                        let slot = self.new_slot();
                        project.push((slot, self.expr(e, scope)?));
                        slot
                    }
                };
                item_slots.push(slot);
            }
            if !project.is_empty() {
                ops.push(Operator::Project { items: project });
            }
        }
        for ((name, _), slot) in items.iter().zip(&item_slots) {
            order_scope.bind(name, *slot);
        }
        if p.distinct {
            ops.push(Operator::Distinct {
                slots: item_slots.clone(),
            });
        }
        if !p.order_by.is_empty() {
            // ORDER BY may name items by alias or repeat their expression.
            for ((_, e), slot) in items.iter().zip(&item_slots) {
                self.substitutions.push((e.clone(), *slot));
            }
            let keys = p
                .order_by
                .iter()
                .map(|s| {
                    Ok(SortKey {
                        expr: self.expr(&s.expr, &order_scope)?,
                        order: s.order.unwrap_or(SortOrder::Ascending),
                    })
                })
                .collect::<R<Vec<_>>>()?;
            ops.push(Operator::Sort { keys });
        }
        self.substitutions.truncate(saved_substitutions);
        let empty = Scope::default();
        if let Some(skip) = &p.skip {
            ops.push(Operator::Skip(self.expr(skip, &empty)?));
        }
        if let Some(limit) = &p.limit {
            ops.push(Operator::Limit {
                amount: self.expr(limit, &empty)?,
                drain: self.drain_limits,
            });
        }
        if let Some(pred) = predicate {
            // WITH ... WHERE sees the projected names and, without
            // aggregation, the variables from before the WITH.
            let filter = self.expr(pred, &order_scope)?;
            ops.push(Operator::Filter(filter));
        }
        ops.push(Operator::Select {
            slots: item_slots.clone(),
        });
        self.width = items.len();
        let mut new_scope = Scope::default();
        for (i, (name, e)) in items.iter().enumerate() {
            new_scope.bind(name, i);
            let literal_scalar = match &e.kind {
                ExprKind::Literal(l) => !matches!(l, ast::Literal::Null),
                ExprKind::List(_) => true,
                ExprKind::Variable(v) => scope.is_scalar(v),
                _ => false,
            };
            if literal_scalar {
                new_scope.mark_scalar(name);
            }
        }
        if let Some(columns) = columns {
            *columns = items
                .iter()
                .enumerate()
                .map(|(i, (n, _))| (n.clone(), i))
                .collect();
        }
        Ok(new_scope)
    }
}
