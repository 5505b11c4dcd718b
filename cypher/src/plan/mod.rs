//! The planner: turns a parsed query into a [`ir::QueryPlan`] of
//! operators, choosing index seeks and expansion order from the graph's
//! indexes and counts.

mod expr;
pub(crate) mod ir;
mod pattern;
mod projection;
mod update;

use std::collections::BTreeMap;

use graph_model::GraphState;

use crate::ast::{self, Clause};
use crate::error::{CypherError, ErrorDetail, QueryErrorKind};
use crate::value::CypherValue;

pub(crate) use expr::compile_error;
use ir::{Operator, Plan, QueryPlan, Slot};

type R<T> = Result<T, CypherError>;

/// Variables in scope: name → slot, in the order they were bound.
#[derive(Debug, Clone, Default)]
pub(crate) struct Scope {
    vars: Vec<(String, Slot)>,
    /// Variables known (from a literal) to hold a value that has no
    /// properties: reading a property of one fails at compile time.
    scalars: Vec<String>,
}

impl Scope {
    /// The slot of a variable.
    pub(crate) fn get(&self, name: &str) -> Option<Slot> {
        self.vars
            .iter()
            .rev()
            .find(|(n, _)| n == name)
            .map(|(_, s)| *s)
    }

    /// Binds (or rebinds) a variable.
    pub(crate) fn bind(&mut self, name: &str, slot: Slot) {
        self.vars.retain(|(n, _)| n != name);
        self.scalars.retain(|n| n != name);
        self.vars.push((name.to_string(), slot));
    }

    /// Records that a variable holds a literal without properties.
    pub(crate) fn mark_scalar(&mut self, name: &str) {
        self.scalars.push(name.to_string());
    }

    /// Whether a variable is known to hold a value without properties.
    pub(crate) fn is_scalar(&self, name: &str) -> bool {
        self.scalars.iter().any(|n| n == name)
    }

    /// The names in scope, in binding order.
    pub(crate) fn names(&self) -> impl Iterator<Item = &str> {
        self.vars.iter().map(|(n, _)| n.as_str())
    }

    /// (name, slot) pairs.
    pub(crate) fn entries(&self) -> impl Iterator<Item = (&str, Slot)> {
        self.vars.iter().map(|(n, s)| (n.as_str(), *s))
    }

    /// User-visible variables (hidden ones start with a space).
    pub(crate) fn visible(&self) -> impl Iterator<Item = (&str, Slot)> {
        self.entries().filter(|(n, _)| !n.starts_with(' '))
    }
}

/// Compiles queries against one graph version (for index and count
/// information) and one set of parameters.
pub(crate) struct Compiler<'a> {
    pub(crate) source: &'a str,
    pub(crate) graph: &'a GraphState,
    pub(crate) params: &'a BTreeMap<String, CypherValue>,
    /// Next free slot.
    pub(crate) width: usize,
    /// Sub-expressions computed already (grouping keys, aggregates):
    /// compiled as reads of their slot.
    pub(crate) substitutions: Vec<(ast::Expr, Slot)>,
    /// `true` once an updating clause was planned: LIMIT must then still
    /// run the updates of the rows it drops.
    pub(crate) drain_limits: bool,
    /// Procedures registered besides the built-in ones.
    pub(crate) procedures: Option<&'a crate::engine::Procedures>,
}

impl<'a> Compiler<'a> {
    /// A compiler for one query.
    pub(crate) fn new(
        source: &'a str,
        graph: &'a GraphState,
        params: &'a BTreeMap<String, CypherValue>,
        procedures: Option<&'a crate::engine::Procedures>,
    ) -> Self {
        Compiler {
            source,
            graph,
            params,
            width: 0,
            substitutions: Vec::new(),
            drain_limits: false,
            procedures,
        }
    }

    /// A fresh slot.
    pub(crate) fn new_slot(&mut self) -> Slot {
        self.width += 1;
        self.width - 1
    }

    /// The slot of a sub-expression computed already.
    pub(crate) fn substitution(&self, e: &ast::Expr) -> Option<Slot> {
        if self.substitutions.is_empty() {
            return None;
        }
        self.substitutions
            .iter()
            .rev()
            .find(|(x, _)| x == e)
            .map(|(_, s)| *s)
    }

    /// Plans a whole query.
    pub(crate) fn query(&mut self, query: &ast::Query) -> R<QueryPlan> {
        let mut parts = vec![self.single(&query.first, &Scope::default(), true)?];
        self.drain_limits = false;
        let mut distinct_union = false;
        for union in &query.unions {
            self.width = 0;
            parts.push(self.single(&union.query, &Scope::default(), true)?);
            self.drain_limits = false;
            if !union.all {
                distinct_union = true;
            }
        }
        let columns: Vec<String> = parts[0].columns.iter().map(|(n, _)| n.clone()).collect();
        for part in &parts[1..] {
            let other: Vec<&String> = part.columns.iter().map(|(n, _)| n).collect();
            if other.len() != columns.len() || other.iter().zip(&columns).any(|(a, b)| *a != b) {
                return Err(compile_error(
                    QueryErrorKind::Syntax,
                    Some(ErrorDetail::DifferentColumnsInUnion),
                    "All sub queries in an UNION must have the same return column names",
                    query.span.start,
                ));
            }
        }
        let writes = query_writes(query);
        Ok(QueryPlan {
            parts,
            distinct_union,
            columns,
            writes,
        })
    }

    /// Plans a subquery (`EXISTS { MATCH ... }`) that starts from the
    /// current row.
    pub(crate) fn subquery(&mut self, query: &ast::Query, scope: &Scope) -> R<Plan> {
        let saved = std::mem::take(&mut self.substitutions);
        let width = self.width;
        let plan = self.single(&query.first, scope, false);
        self.substitutions = saved;
        self.width = width.max(plan.as_ref().map_or(0, |p| p.width));
        plan
    }

    /// Plans one single query. `top` is false for subqueries, which keep
    /// the outer row's slots.
    fn single(&mut self, query: &ast::SingleQuery, outer: &Scope, top: bool) -> R<Plan> {
        let mut scope = outer.clone();
        let mut ops = vec![Operator::Start];
        let mut columns = Vec::new();
        let mut seen_update = false;
        for clause in &query.clauses {
            let updating = clause.is_updating();
            if top
                && (updating || seen_update)
                && !matches!(ops.last(), Some(Operator::Eager | Operator::Start))
            {
                ops.push(Operator::Eager);
            }
            seen_update |= updating;
            self.drain_limits = top && seen_update;
            match clause {
                Clause::Match(m) => {
                    let pattern =
                        self.pattern(&m.pattern, m.predicate.as_ref(), &mut scope, false)?;
                    ops.push(Operator::Match {
                        pattern: std::sync::Arc::new(pattern),
                        optional: m.optional,
                    });
                }
                Clause::Unwind(u) => {
                    let expr = self.expr(&u.expr, &scope)?;
                    let slot = self.new_slot();
                    scope.bind(&u.variable.name, slot);
                    ops.push(Operator::Unwind { expr, slot });
                }
                Clause::With(w) => {
                    scope = self.projection(
                        &w.projection,
                        w.predicate.as_ref(),
                        &scope,
                        &mut ops,
                        None,
                    )?;
                }
                Clause::Return(r) => {
                    let mut cols = Vec::new();
                    scope =
                        self.projection(&r.projection, None, &scope, &mut ops, Some(&mut cols))?;
                    columns = cols;
                }
                Clause::Create(c) => {
                    let items = self.create_items(&c.pattern, &mut scope, None)?;
                    ops.push(Operator::Create { items });
                }
                Clause::Merge(m) => {
                    let op = self.merge(m, &mut scope)?;
                    ops.push(op);
                }
                Clause::Set(s) => {
                    let actions = s
                        .items
                        .iter()
                        .map(|i| self.set_item(i, &scope))
                        .collect::<R<Vec<_>>>()?;
                    ops.push(Operator::Set { actions });
                }
                Clause::Remove(r) => {
                    let actions = r
                        .items
                        .iter()
                        .map(|i| self.remove_item(i, &scope))
                        .collect::<R<Vec<_>>>()?;
                    ops.push(Operator::Set { actions });
                }
                Clause::Delete(d) => {
                    let exprs = d
                        .exprs
                        .iter()
                        .map(|e| self.expr(e, &scope))
                        .collect::<R<Vec<_>>>()?;
                    ops.push(Operator::Delete {
                        exprs,
                        detach: d.detach,
                    });
                }
                Clause::Call(c) => {
                    let standalone = query.clauses.len() == 1;
                    let (call, cols) = self.call(c, &mut scope, standalone)?;
                    ops.push(Operator::Call(call));
                    if let Some(pred) = c.yields.as_ref().and_then(|y| y.predicate.as_ref()) {
                        let filter = self.expr(pred, &scope)?;
                        ops.push(Operator::Filter(filter));
                    }
                    if standalone {
                        columns = cols;
                    }
                }
            }
        }
        if top && seen_update && !matches!(query.clauses.last(), Some(Clause::Return(_))) {
            // A query that ends in an update returns no rows, but all of
            // them must be processed.
            ops.push(Operator::Eager);
        }
        let _ = self.source;
        Ok(Plan {
            operators: ops,
            width: self.width,
            columns,
        })
    }
}

pub(crate) fn query_writes(query: &ast::Query) -> bool {
    std::iter::once(&query.first)
        .chain(query.unions.iter().map(|u| &u.query))
        .any(|q| q.clauses.iter().any(Clause::is_updating))
}
