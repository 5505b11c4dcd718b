//! Semantic analysis: variable scoping through the clauses of a query and
//! a coarse type inference, enough to report the TCK's compile-time
//! `UndefinedVariable`, `VariableAlreadyBound`, `VariableTypeConflict`,
//! `NoVariablesInScope` and (for literal operands) `InvalidArgumentType`.
//!
//! Types are only tracked where they are certain (literals, pattern
//! variables, a few functions); everything else is `Unknown` and never
//! causes an error.

mod expr;

use crate::ast::{
    CallClause, Clause, Expr, Ident, PatternElement, PatternPart, Projection, Query, RemoveItem,
    SetItem, SingleQuery, Span, Statement,
};
use crate::error::{ErrorDetail, SyntaxError};

type R<T = ()> = Result<T, SyntaxError>;

/// What a variable is known to hold.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Ty {
    Unknown,
    Null,
    Bool,
    Int,
    Float,
    Str,
    Map,
    Node,
    Rel,
    Path,
    List(Box<Ty>),
}

impl Ty {
    fn name(&self) -> String {
        match self {
            Ty::Unknown => "Any".into(),
            Ty::Null => "Null".into(),
            Ty::Bool => "Boolean".into(),
            Ty::Int => "Integer".into(),
            Ty::Float => "Float".into(),
            Ty::Str => "String".into(),
            Ty::Map => "Map".into(),
            Ty::Node => "Node".into(),
            Ty::Rel => "Relationship".into(),
            Ty::Path => "Path".into(),
            Ty::List(t) => format!("List<{}>", t.name()),
        }
    }

    /// The element type, for a list.
    fn element(&self) -> Ty {
        match self {
            Ty::List(t) => (**t).clone(),
            _ => Ty::Unknown,
        }
    }
}

/// What ORDER BY and WITH's WHERE may refer to.
struct AfterProjection<'p> {
    scope: Scope,
    /// Projected expressions that may be repeated verbatim.
    known: Vec<&'p Expr>,
}

/// The variables in scope, in binding order.
#[derive(Debug, Clone, Default)]
pub(crate) struct Scope {
    vars: Vec<(String, Ty)>,
    /// After `YIELD *` the bound names are unknown: no `UndefinedVariable`.
    open: bool,
}

impl Scope {
    fn get(&self, name: &str) -> Option<&Ty> {
        self.vars
            .iter()
            .rev()
            .find(|(n, _)| n == name)
            .map(|(_, t)| t)
    }

    fn bind(&mut self, name: &str, ty: Ty) {
        if let Some(slot) = self.vars.iter_mut().find(|(n, _)| n == name) {
            slot.1 = ty;
        } else {
            self.vars.push((name.to_string(), ty));
        }
    }
}

pub(crate) fn analyze_statement(src: &str, stmt: &Statement) -> R {
    Analyzer { src }.query(&stmt.query, &Scope::default())
}

pub(crate) struct Analyzer<'s> {
    src: &'s str,
}

impl Analyzer<'_> {
    fn err(&self, span: Span, message: impl Into<String>, detail: ErrorDetail) -> SyntaxError {
        SyntaxError::new(self.src, span.start, message, Some(detail))
    }

    fn already_bound(&self, v: &Ident) -> SyntaxError {
        self.err(
            v.span,
            format!("Variable `{}` already declared", v.name),
            ErrorDetail::VariableAlreadyBound,
        )
    }

    fn type_conflict(&self, v: &Ident, had: &Ty, wanted: &str) -> SyntaxError {
        self.err(
            v.span,
            format!(
                "Type mismatch: `{}` defined with conflicting type {} (expected {wanted})",
                v.name,
                had.name()
            ),
            ErrorDetail::VariableTypeConflict,
        )
    }

    pub(crate) fn query(&self, q: &Query, outer: &Scope) -> R {
        self.single_query(&q.first, outer.clone())?;
        for u in &q.unions {
            self.single_query(&u.query, outer.clone())?;
        }
        Ok(())
    }

    fn single_query(&self, q: &SingleQuery, mut scope: Scope) -> R {
        for clause in &q.clauses {
            self.clause(clause, &mut scope)?;
        }
        Ok(())
    }

    fn clause(&self, clause: &Clause, scope: &mut Scope) -> R {
        match clause {
            Clause::Match(m) => {
                self.bind_match_pattern(&m.pattern, scope)?;
                self.pattern_exprs(&m.pattern, scope)?;
                if let Some(p) = &m.predicate {
                    self.predicate(p, scope)?;
                }
            }
            Clause::Unwind(u) => {
                let ty = self.expr(&u.expr, scope)?;
                if scope.get(&u.variable.name).is_some() {
                    return Err(self.already_bound(&u.variable));
                }
                scope.bind(&u.variable.name, ty.element());
            }
            Clause::With(w) => {
                let (next, after) = self.projection(&w.projection, scope, None)?;
                if let Some(p) = &w.predicate {
                    let ty = self.expr_with_known(p, &after.scope, &after.known)?;
                    self.expect_bool_expr(p, &ty)?;
                }
                *scope = next;
            }
            Clause::Return(r) => {
                *scope = self.projection(&r.projection, scope, Some(r.span))?.0;
            }
            Clause::Create(c) => {
                for part in &c.pattern {
                    self.bind_create_part(part, scope)?;
                }
                self.pattern_exprs(&c.pattern, scope)?;
            }
            Clause::Merge(m) => {
                self.bind_create_part(&m.pattern, scope)?;
                self.pattern_exprs(std::slice::from_ref(&m.pattern), scope)?;
                for action in &m.actions {
                    self.set_items(&action.items, scope)?;
                }
            }
            Clause::Set(s) => self.set_items(&s.items, scope)?,
            Clause::Remove(r) => {
                for item in &r.items {
                    match item {
                        RemoveItem::Property(e) => {
                            self.expr(e, scope)?;
                        }
                        RemoveItem::Labels { variable, .. } => self.lookup(variable, scope)?,
                    }
                }
            }
            Clause::Delete(d) => {
                for e in &d.exprs {
                    let ty = self.expr(e, scope)?;
                    if matches!(ty, Ty::Int | Ty::Float | Ty::Str | Ty::Map) {
                        return Err(self.err(
                            e.span,
                            format!(
                                "Type mismatch: expected Node, Relationship or Path but was {}",
                                ty.name()
                            ),
                            ErrorDetail::InvalidArgumentType,
                        ));
                    }
                }
            }
            Clause::Call(c) => self.call(c, scope)?,
        }
        Ok(())
    }

    fn call(&self, c: &CallClause, scope: &mut Scope) -> R {
        for a in c.args.iter().flatten() {
            self.expr(a, scope)?;
        }
        let Some(y) = &c.yields else {
            return Ok(());
        };
        let Some(items) = &y.items else {
            scope.open = true;
            return Ok(());
        };
        let mut yielded: Vec<&str> = Vec::new();
        for item in items {
            let name = item.variable();
            if scope.get(name).is_some() || yielded.contains(&name) {
                let ident = item
                    .alias
                    .clone()
                    .unwrap_or_else(|| Ident::new(name, item.span));
                return Err(self.already_bound(&ident));
            }
            yielded.push(name);
        }
        for name in yielded {
            scope.bind(name, Ty::Unknown);
        }
        if let Some(p) = &y.predicate {
            self.predicate(p, scope)?;
        }
        Ok(())
    }

    fn lookup(&self, v: &Ident, scope: &Scope) -> R {
        if scope.get(&v.name).is_none() && !scope.open {
            return Err(self.undefined(v.span, &v.name));
        }
        Ok(())
    }

    fn undefined(&self, span: Span, name: &str) -> SyntaxError {
        self.err(
            span,
            format!("Variable `{name}` not defined"),
            ErrorDetail::UndefinedVariable,
        )
    }

    fn set_items(&self, items: &[SetItem], scope: &Scope) -> R {
        for item in items {
            match item {
                SetItem::Property { property, value } => {
                    self.expr(property, scope)?;
                    self.expr(value, scope)?;
                }
                SetItem::Replace { variable, value } | SetItem::Merge { variable, value } => {
                    self.lookup(variable, scope)?;
                    self.expr(value, scope)?;
                }
                SetItem::Labels { variable, .. } => self.lookup(variable, scope)?,
            }
        }
        Ok(())
    }

    /// The property maps of a pattern, checked once all its variables
    /// are bound.
    fn pattern_exprs(&self, parts: &[PatternPart], scope: &Scope) -> R {
        let mut result = Ok(());
        for part in parts {
            part.element.for_each_expr(&mut |e| {
                if result.is_ok() {
                    result = self.expr(e, scope).map(|_| ());
                }
            });
        }
        result
    }

    /// Bind the variables of a MATCH (or pattern predicate) element:
    /// previously bound variables are re-used but must have the right
    /// type.
    fn bind_element(&self, element: &PatternElement, scope: &mut Scope) -> R {
        let mut rels = element.relationships();
        for (i, node) in element.nodes().enumerate() {
            if i > 0 {
                if let Some(rel) = rels.next() {
                    if let Some(v) = &rel.variable {
                        let var_length = rel.length.is_some();
                        match scope.get(&v.name) {
                            Some(Ty::Rel | Ty::Unknown | Ty::Null) if !var_length => {}
                            Some(Ty::List(_) | Ty::Unknown | Ty::Null) if var_length => {}
                            Some(other) => {
                                return Err(self.type_conflict(v, other, "Relationship"))
                            }
                            None => scope.bind(
                                &v.name,
                                if var_length {
                                    Ty::List(Box::new(Ty::Rel))
                                } else {
                                    Ty::Rel
                                },
                            ),
                        }
                    }
                }
            }
            if let Some(v) = &node.variable {
                match scope.get(&v.name) {
                    Some(Ty::Node | Ty::Unknown | Ty::Null) => {}
                    Some(other) => return Err(self.type_conflict(v, other, "Node")),
                    None => scope.bind(&v.name, Ty::Node),
                }
            }
        }
        Ok(())
    }

    fn bind_match_pattern(&self, parts: &[PatternPart], scope: &mut Scope) -> R {
        for part in parts {
            self.bind_element(&part.element, scope)?;
            if let Some(p) = &part.variable {
                if scope.get(&p.name).is_some() {
                    return Err(self.already_bound(p));
                }
                scope.bind(&p.name, Ty::Path);
            }
        }
        Ok(())
    }

    /// CREATE / MERGE: a bound node may only be referred to bare inside a
    /// longer pattern; bound relationships and paths may not be re-used.
    fn bind_create_part(&self, part: &PatternPart, scope: &mut Scope) -> R {
        let element = &part.element;
        let single_node = element.steps.is_empty();
        for node in element.nodes() {
            let Some(v) = &node.variable else { continue };
            match scope.get(&v.name) {
                None => scope.bind(&v.name, Ty::Node),
                Some(Ty::Node | Ty::Unknown | Ty::Null) => {
                    if single_node || !node.labels.is_empty() || node.properties.is_some() {
                        return Err(self.already_bound(v));
                    }
                }
                Some(other) => return Err(self.type_conflict(v, other, "Node")),
            }
        }
        for rel in element.relationships() {
            if let Some(v) = &rel.variable {
                if scope.get(&v.name).is_some() {
                    return Err(self.already_bound(v));
                }
                scope.bind(&v.name, Ty::Rel);
            }
        }
        if let Some(p) = &part.variable {
            if scope.get(&p.name).is_some() {
                return Err(self.already_bound(p));
            }
            scope.bind(&p.name, Ty::Path);
        }
        Ok(())
    }

    /// WITH / RETURN: the scope after the projection, and what ORDER BY
    /// and WITH's WHERE see. `return_span` is set for RETURN.
    fn projection<'p>(
        &self,
        p: &'p Projection,
        scope: &Scope,
        return_span: Option<Span>,
    ) -> R<(Scope, AfterProjection<'p>)> {
        if let Some(span) = return_span {
            if p.star && scope.vars.is_empty() && !scope.open {
                return Err(self.err(
                    span,
                    "RETURN * is not allowed when there are no variables in scope",
                    ErrorDetail::NoVariablesInScope,
                ));
            }
        }
        let mut next = Scope {
            vars: if p.star {
                scope.vars.clone()
            } else {
                Vec::new()
            },
            open: p.star && scope.open,
        };
        let mut aggregating = false;
        for item in &p.items {
            let ty = self.expr(&item.expr, scope)?;
            aggregating |= crate::check::contains_aggregate(&item.expr);
            let name = item.normalized_column_name();
            next.bind(&name, ty);
        }
        // ORDER BY (and WITH's WHERE) see the projected names; without
        // aggregation or DISTINCT they also still see the variables from
        // before, otherwise only projected expressions.
        let restricted = aggregating || p.distinct;
        let order_scope = if restricted {
            next.clone()
        } else {
            let mut s = scope.clone();
            for (n, t) in &next.vars {
                s.bind(n, t.clone());
            }
            s.open |= next.open;
            s
        };
        let projected: Vec<&Expr> = if restricted {
            p.items.iter().map(|i| &i.expr).collect()
        } else {
            Vec::new()
        };
        for s in &p.order_by {
            self.expr_with_known(&s.expr, &order_scope, &projected)?;
        }
        for e in [&p.skip, &p.limit].into_iter().flatten() {
            self.expr(e, scope)?;
        }
        Ok((
            next,
            AfterProjection {
                scope: order_scope,
                known: projected,
            },
        ))
    }
}
