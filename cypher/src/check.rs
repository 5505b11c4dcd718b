//! Checks after parsing that need no scope or type information: clause
//! composition, CREATE/MERGE pattern rules, SKIP/LIMIT constants,
//! projection aliases and column names, and where aggregation may appear.

use std::collections::HashSet;

use crate::ast::{
    CallClause, Clause, Direction, ExistsSubquery, Expr, ExprKind, Ident, PatternPart, Projection,
    Query, RemoveItem, SetItem, SingleQuery, Span, Statement,
};
use crate::error::{ErrorDetail, SyntaxError};

type R = Result<(), SyntaxError>;

pub(crate) fn check_statement(src: &str, stmt: &Statement) -> R {
    Checker { src }.query(&stmt.query, false)
}

/// Whether `e` itself is a call of an aggregating function.
pub(crate) fn is_aggregate_call(e: &Expr) -> bool {
    match &e.kind {
        ExprKind::CountStar => true,
        ExprKind::FunctionCall(call) => {
            call.name.namespace.is_empty() && crate::functions::is_aggregate(&call.name.name)
        }
        _ => false,
    }
}

/// Whether `e` contains an aggregate call (outside EXISTS subqueries).
pub(crate) fn contains_aggregate(e: &Expr) -> bool {
    find_aggregate(e).is_some()
}

/// The first aggregate call in `e`, if any.
fn find_aggregate(e: &Expr) -> Option<Span> {
    let mut found = None;
    e.any(&mut |x| {
        if is_aggregate_call(x) {
            found = Some(x.span);
            true
        } else {
            false
        }
    });
    found
}

/// Call `f` on each variable reference in `e` that is not bound inside
/// `e` itself (by a comprehension, quantifier or `reduce`). `skip` prunes
/// sub-expressions (returning `true` skips one and its children).
fn free_variables<'a>(
    e: &'a Expr,
    bound: &mut Vec<&'a str>,
    skip: &mut dyn FnMut(&Expr) -> bool,
    f: &mut dyn FnMut(&'a Expr, &'a str),
) {
    if skip(e) {
        return;
    }
    crate::with_stack(|| free_variables_inner(e, bound, skip, f));
}

fn free_variables_inner<'a>(
    e: &'a Expr,
    bound: &mut Vec<&'a str>,
    skip: &mut dyn FnMut(&Expr) -> bool,
    f: &mut dyn FnMut(&'a Expr, &'a str),
) {
    let locals: Vec<&Ident> = match &e.kind {
        ExprKind::Variable(v) => {
            if !bound.contains(&v.as_str()) {
                f(e, v);
            }
            return;
        }
        ExprKind::ListComprehension(c) => {
            free_variables(&c.list, bound, skip, f);
            bound.push(&c.variable.name);
            for x in [&c.predicate, &c.projection].into_iter().flatten() {
                free_variables(x, bound, skip, f);
            }
            bound.pop();
            return;
        }
        ExprKind::Quantifier(q) => {
            free_variables(&q.list, bound, skip, f);
            bound.push(&q.variable.name);
            if let Some(p) = &q.predicate {
                free_variables(p, bound, skip, f);
            }
            bound.pop();
            return;
        }
        ExprKind::Reduce(r) => {
            free_variables(&r.init, bound, skip, f);
            free_variables(&r.list, bound, skip, f);
            bound.push(&r.accumulator.name);
            bound.push(&r.variable.name);
            free_variables(&r.expr, bound, skip, f);
            bound.truncate(bound.len() - 2);
            return;
        }
        ExprKind::MapProjection(m) => vec![&m.variable],
        _ => Vec::new(),
    };
    for v in locals {
        if !bound.contains(&v.name.as_str()) {
            f(e, &v.name);
        }
    }
    e.for_each_child(&mut |child| free_variables(child, bound, skip, f));
}

struct Checker<'s> {
    src: &'s str,
}

impl Checker<'_> {
    fn err(&self, span: Span, message: impl Into<String>, detail: ErrorDetail) -> SyntaxError {
        SyntaxError::new(self.src, span.start, message, Some(detail))
    }

    fn query(&self, q: &Query, in_exists: bool) -> R {
        if let Some(first) = q.unions.first() {
            if let Some(other) = q.unions.iter().find(|u| u.all != first.all) {
                return Err(self.err(
                    other.span,
                    "Invalid combination of UNION and UNION ALL",
                    ErrorDetail::InvalidClauseComposition,
                ));
            }
        }
        let alone = q.unions.is_empty();
        self.single_query(&q.first, in_exists, alone)?;
        for u in &q.unions {
            self.single_query(&u.query, in_exists, alone)?;
        }
        if let Some(first_columns) = Self::columns(&q.first) {
            for u in &q.unions {
                if let Some(columns) = Self::columns(&u.query) {
                    if columns != first_columns {
                        return Err(self.err(
                            u.span,
                            "All sub queries in a UNION must have the same return column names",
                            ErrorDetail::DifferentColumnsInUnion,
                        ));
                    }
                }
            }
        }
        Ok(())
    }

    /// The column names of a single query's final RETURN, when known
    /// without scope information.
    /// COUNT and COLLECT subqueries take one single query (no UNION).
    fn single_subquery(&self, q: &Query, what: &str) -> R {
        match q.unions.first() {
            Some(u) => Err(self.err(
                u.span,
                format!("UNION inside a {what} subquery is not supported"),
                ErrorDetail::InvalidClauseComposition,
            )),
            None => Ok(()),
        }
    }

    fn columns(q: &SingleQuery) -> Option<Vec<String>> {
        match q.clauses.last()? {
            Clause::Return(r) if !r.projection.star => Some(
                r.projection
                    .items
                    .iter()
                    .map(crate::ast::ProjectionItem::normalized_column_name)
                    .collect(),
            ),
            _ => None,
        }
    }

    fn single_query(&self, q: &SingleQuery, in_exists: bool, alone: bool) -> R {
        let standalone_call =
            alone && !in_exists && q.clauses.len() == 1 && matches!(q.clauses[0], Clause::Call(_));
        let n = q.clauses.len();
        for (i, clause) in q.clauses.iter().enumerate() {
            if matches!(clause, Clause::Return(_)) && i + 1 < n {
                return Err(self.err(
                    q.clauses[i + 1].span(),
                    format!(
                        "{} cannot follow RETURN: RETURN can only be used at the end of the query",
                        q.clauses[i + 1].name()
                    ),
                    ErrorDetail::InvalidClauseComposition,
                ));
            }
            if in_exists && clause.is_updating() {
                return Err(self.err(
                    clause.span(),
                    format!("{} is not allowed in an EXISTS subquery", clause.name()),
                    ErrorDetail::InvalidClauseComposition,
                ));
            }
            if let Clause::Call(call) = clause {
                self.in_query_call(call, standalone_call)?;
            }
            self.clause(clause)?;
        }
        if in_exists {
            return Ok(());
        }
        match q.clauses.last() {
            Some(Clause::Return(_)) | None => Ok(()),
            Some(c) if c.is_updating() => Ok(()),
            Some(Clause::Call(call)) if standalone_call || call.yields.is_none() => Ok(()),
            Some(c) => Err(self.err(
                c.span(),
                format!(
                    "Query cannot conclude with {} (must be a RETURN clause, an update clause \
                     or a procedure call with no YIELD)",
                    c.name()
                ),
                ErrorDetail::InvalidClauseComposition,
            )),
        }
    }

    fn in_query_call(&self, call: &CallClause, standalone: bool) -> R {
        if standalone {
            return Ok(());
        }
        if call.args.is_none() {
            return Err(self.err(
                call.span,
                format!(
                    "Procedure call inside a query does not support passing arguments \
                     implicitly: use {}(...)",
                    call.procedure
                ),
                ErrorDetail::InvalidArgumentPassingMode,
            ));
        }
        if let Some(y) = &call.yields {
            if y.items.is_none() {
                return Err(self.err(
                    y.span,
                    "YIELD * can only be used with a standalone procedure call",
                    ErrorDetail::UnexpectedSyntax,
                ));
            }
        }
        Ok(())
    }

    fn clause(&self, clause: &Clause) -> R {
        match clause {
            Clause::Match(m) => {
                self.no_parameter_maps(&m.pattern, "MATCH")?;
                self.unique_relationships(&m.pattern)?;
                self.patterns(&m.pattern)?;
                if let Some(p) = &m.predicate {
                    self.no_aggregate(p, "WHERE")?;
                }
                Ok(())
            }
            Clause::Unwind(u) => self.no_aggregate(&u.expr, "UNWIND"),
            Clause::With(w) => {
                self.projection(&w.projection, true)?;
                if let Some(p) = &w.predicate {
                    self.no_aggregate(p, "WHERE")?;
                }
                Ok(())
            }
            Clause::Return(r) => self.projection(&r.projection, false),
            Clause::Create(c) => {
                self.creatable(&c.pattern, "CREATE")?;
                self.patterns(&c.pattern)
            }
            Clause::Merge(m) => {
                let parts = std::slice::from_ref(&m.pattern);
                self.no_parameter_maps(parts, "MERGE")?;
                self.creatable(parts, "MERGE")?;
                self.patterns(parts)?;
                for action in &m.actions {
                    self.set_items(&action.items)?;
                }
                Ok(())
            }
            Clause::Set(s) => self.set_items(&s.items),
            Clause::Remove(r) => {
                for item in &r.items {
                    if let RemoveItem::Property(e) = item {
                        self.no_aggregate(e, "REMOVE")?;
                    }
                }
                Ok(())
            }
            Clause::Delete(d) => {
                for e in &d.exprs {
                    if matches!(e.kind, ExprKind::HasLabels { .. }) {
                        return Err(self.err(
                            e.span,
                            "DELETE of a label or relationship type is not allowed: use \
                             REMOVE to remove labels",
                            ErrorDetail::InvalidDelete,
                        ));
                    }
                    self.no_aggregate(e, "DELETE")?;
                }
                Ok(())
            }
            Clause::Call(c) => {
                for a in c.args.iter().flatten() {
                    self.no_aggregate(a, "procedure call arguments")?;
                }
                if let Some(p) = c.yields.as_ref().and_then(|y| y.predicate.as_ref()) {
                    self.no_aggregate(p, "WHERE")?;
                }
                Ok(())
            }
        }
    }

    fn set_items(&self, items: &[SetItem]) -> R {
        for item in items {
            match item {
                SetItem::Property { property, value } => {
                    self.no_aggregate(property, "SET")?;
                    self.no_aggregate(value, "SET")?;
                }
                SetItem::Replace { value, .. } | SetItem::Merge { value, .. } => {
                    self.no_aggregate(value, "SET")?;
                }
                SetItem::Labels { .. } => {}
            }
        }
        Ok(())
    }

    /// Expressions inside pattern property maps.
    fn patterns(&self, parts: &[PatternPart]) -> R {
        let mut result = Ok(());
        for part in parts {
            part.element.for_each_expr(&mut |e| {
                if result.is_ok() {
                    result = self.no_aggregate(e, "a pattern");
                }
            });
        }
        result
    }

    fn no_parameter_maps(&self, parts: &[PatternPart], clause: &str) -> R {
        for part in parts {
            let nodes = part.element.nodes().map(|n| &n.properties);
            let rels = part.element.relationships().map(|r| &r.properties);
            for props in nodes.chain(rels).flatten() {
                if let ExprKind::Parameter(p) = &props.kind {
                    return Err(self.err(
                        props.span,
                        format!(
                            "Parameter maps cannot be used in {clause} patterns (use a literal \
                             map instead, e.g. {{id: ${p}.id}}) — found {p}"
                        ),
                        ErrorDetail::InvalidParameterUse,
                    ));
                }
            }
        }
        Ok(())
    }

    fn unique_relationships(&self, parts: &[PatternPart]) -> R {
        let mut seen = HashSet::new();
        for part in parts {
            for rel in part.element.relationships() {
                if let Some(v) = &rel.variable {
                    if !seen.insert(v.name.as_str()) {
                        return Err(self.err(
                            v.span,
                            format!(
                                "Cannot use the same relationship variable '{}' for multiple \
                                 relationships",
                                v.name
                            ),
                            ErrorDetail::RelationshipUniquenessViolation,
                        ));
                    }
                }
            }
        }
        Ok(())
    }

    /// Relationships in CREATE and MERGE need one type, a direction and a
    /// fixed length.
    fn creatable(&self, parts: &[PatternPart], clause: &str) -> R {
        for part in parts {
            for rel in part.element.relationships() {
                if rel.types.len() != 1 {
                    return Err(self.err(
                        rel.span,
                        format!(
                            "Exactly one relationship type must be specified for {clause}. Did \
                             you forget to prefix your relationship type with a ':'?"
                        ),
                        ErrorDetail::NoSingleRelationshipType,
                    ));
                }
                if clause == "CREATE"
                    && matches!(rel.direction, Direction::Undirected | Direction::Both)
                {
                    return Err(self.err(
                        rel.span,
                        format!("Only directed relationships are supported in {clause}"),
                        ErrorDetail::RequiresDirectedRelationship,
                    ));
                }
                if rel.length.is_some() {
                    return Err(self.err(
                        rel.span,
                        format!("Variable length relationships cannot be used in {clause}"),
                        ErrorDetail::CreatingVarLength,
                    ));
                }
            }
        }
        Ok(())
    }

    /// Aggregation is not allowed in `e` at all.
    fn no_aggregate(&self, e: &Expr, context: &str) -> R {
        if let Some(span) = find_aggregate(e) {
            return Err(self.err(
                span,
                format!("Invalid use of aggregating function in {context}"),
                ErrorDetail::InvalidAggregation,
            ));
        }
        self.expr(e)
    }

    /// Checks inside any expression: nested aggregation, aggregation
    /// inside comprehensions, and EXISTS subqueries.
    fn expr(&self, e: &Expr) -> R {
        crate::with_stack(|| self.expr_inner(e))
    }

    fn expr_inner(&self, e: &Expr) -> R {
        match &e.kind {
            _ if is_aggregate_call(e) => {
                let mut nested = None;
                e.for_each_child(&mut |arg| {
                    if nested.is_none() {
                        nested = find_aggregate(arg);
                    }
                });
                if let Some(span) = nested {
                    return Err(self.err(
                        span,
                        "Can't use aggregate functions inside of aggregate functions",
                        ErrorDetail::NestedAggregation,
                    ));
                }
            }
            ExprKind::ListComprehension(_)
            | ExprKind::PatternComprehension(_)
            | ExprKind::Quantifier(_)
            | ExprKind::Reduce(_) => {
                // The list iterated over may aggregate; the per-element
                // parts may not.
                let per_element: Vec<&Expr> = match &e.kind {
                    ExprKind::ListComprehension(c) => [&c.predicate, &c.projection]
                        .into_iter()
                        .flatten()
                        .collect(),
                    ExprKind::PatternComprehension(c) => {
                        let mut v: Vec<&Expr> = c.predicate.iter().collect();
                        v.push(&c.projection);
                        v
                    }
                    ExprKind::Quantifier(q) => q.predicate.iter().collect(),
                    ExprKind::Reduce(r) => vec![&r.expr],
                    _ => Vec::new(),
                };
                if let Some(span) = per_element.into_iter().find_map(find_aggregate) {
                    return Err(self.err(
                        span,
                        "Invalid use of aggregating function inside a list comprehension, \
                         pattern comprehension, quantifier or reduce",
                        ErrorDetail::InvalidAggregation,
                    ));
                }
            }
            ExprKind::Exists(sub) => {
                if let ExistsSubquery::Query(q) = sub.as_ref() {
                    return self.query(q, true);
                }
            }
            ExprKind::CountSubquery(sub) => {
                if let ExistsSubquery::Query(q) = sub.as_ref() {
                    self.single_subquery(q, "COUNT")?;
                    return self.query(q, true);
                }
            }
            ExprKind::CollectSubquery(q) => {
                self.single_subquery(q, "COLLECT")?;
                if Self::columns(&q.first).is_none_or(|c| c.len() != 1) {
                    return Err(self.err(
                        q.span,
                        "A COLLECT subquery must end with a RETURN of exactly one column",
                        ErrorDetail::InvalidClauseComposition,
                    ));
                }
                return self.query(q, true);
            }
            _ => {}
        }
        let mut result = Ok(());
        e.for_each_child(&mut |child| {
            if result.is_ok() {
                result = self.expr(child);
            }
        });
        result
    }

    fn projection(&self, p: &Projection, is_with: bool) -> R {
        let mut names = HashSet::new();
        for item in &p.items {
            self.expr(&item.expr)?;
            let name = item.normalized_column_name();
            if !names.insert(name.clone()) {
                return Err(self.err(
                    item.span,
                    format!(
                        "Multiple result columns with the same name '{name}' are not supported"
                    ),
                    ErrorDetail::ColumnNameConflict,
                ));
            }
        }
        self.aggregation(p)?;
        if is_with {
            if let Some(item) = p
                .items
                .iter()
                .find(|i| i.alias.is_none() && i.expr.as_variable().is_none())
            {
                return Err(self.err(
                    item.span,
                    "Expression in WITH must be aliased (use AS)",
                    ErrorDetail::NoExpressionAlias,
                ));
            }
        }
        for (amount, what) in [(&p.skip, "SKIP"), (&p.limit, "LIMIT")] {
            if let Some(e) = amount {
                self.paging_amount(e, what)?;
            }
        }
        Ok(())
    }

    /// Grouping keys and aggregates must not be mixed ambiguously, and
    /// ORDER BY may only aggregate when the projection does.
    fn aggregation(&self, p: &Projection) -> R {
        let aggregating = p.items.iter().any(|i| find_aggregate(&i.expr).is_some());
        if !aggregating {
            for s in &p.order_by {
                self.no_aggregate(&s.expr, "ORDER BY after a non-aggregating projection")?;
            }
            return Ok(());
        }
        // Simple grouping keys: `v` and `v.key`, plus the aliases.
        let keys: Vec<&Expr> = p
            .items
            .iter()
            .filter(|i| find_aggregate(&i.expr).is_none())
            .map(|i| &i.expr)
            .filter(|e| match &e.kind {
                ExprKind::Variable(_) => true,
                ExprKind::Property { expr, .. } => expr.as_variable().is_some(),
                _ => false,
            })
            .collect();
        let key_vars: HashSet<&str> = keys.iter().filter_map(|e| e.as_variable()).collect();
        let aliases: HashSet<&str> = p
            .items
            .iter()
            .filter_map(|i| i.alias.as_ref().map(|a| a.name.as_str()))
            .collect();
        let aggregating_exprs = p
            .items
            .iter()
            .map(|i| (&i.expr, false))
            .chain(p.order_by.iter().map(|s| (&s.expr, true)));
        for (e, in_order_by) in aggregating_exprs {
            if find_aggregate(e).is_none() {
                continue;
            }
            let mut offending = None;
            free_variables(
                e,
                &mut Vec::new(),
                &mut |x| is_aggregate_call(x) || keys.iter().any(|k| **k == *x),
                &mut |x, v| {
                    let ok = key_vars.contains(v) || (in_order_by && aliases.contains(v));
                    if !ok && offending.is_none() {
                        offending = Some(x.span);
                    }
                },
            );
            if let Some(span) = offending {
                return Err(self.err(
                    span,
                    "Aggregation column contains implicit grouping expressions: expressions \
                     outside aggregate functions must be projected grouping keys",
                    ErrorDetail::AmbiguousAggregationExpression,
                ));
            }
        }
        Ok(())
    }

    fn paging_amount(&self, e: &Expr, what: &str) -> R {
        let mut non_constant = None;
        free_variables(e, &mut Vec::new(), &mut |_| false, &mut |x, _| {
            non_constant.get_or_insert(x.span);
        });
        if let Some(span) = non_constant {
            return Err(self.err(
                span,
                format!("It is not allowed to refer to variables in {what}"),
                ErrorDetail::NonConstantExpression,
            ));
        }
        if let Some(span) = find_aggregate(e) {
            return Err(self.err(
                span,
                format!("Invalid use of aggregating function in {what}"),
                ErrorDetail::InvalidAggregation,
            ));
        }
        match &e.kind {
            ExprKind::Literal(crate::ast::Literal::Integer(n)) if *n < 0 => Err(self.err(
                e.span,
                format!(
                    "Invalid input. '{n}' is not a valid value. Must be a non-negative integer."
                ),
                ErrorDetail::NegativeIntegerArgument,
            )),
            ExprKind::Literal(crate::ast::Literal::Float(x)) => Err(self.err(
                e.span,
                format!(
                    "Invalid input. '{x:?}' is not a valid value. Must be a non-negative integer."
                ),
                ErrorDetail::InvalidArgumentType,
            )),
            _ => self.expr(e),
        }
    }
}
