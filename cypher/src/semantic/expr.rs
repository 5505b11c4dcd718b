//! Expression scoping and coarse type inference.

use super::{Analyzer, Scope, Ty, R};
use crate::ast::{
    BinaryOp, ExistsSubquery, Expr, ExprKind, Ident, Literal, MapProjectionItem, PatternElement,
    UnaryOp,
};
use crate::error::{ErrorDetail, SyntaxError};

/// Variables visible while checking one expression.
struct Cx<'a> {
    scope: &'a Scope,
    /// Variables bound inside the expression (comprehensions etc.),
    /// innermost last.
    locals: Vec<(String, Ty)>,
    /// Expressions that count as defined wherever they occur (ORDER BY
    /// after an aggregating or DISTINCT projection may repeat projected
    /// expressions).
    known: &'a [&'a Expr],
}

impl Cx<'_> {
    fn get(&self, name: &str) -> Option<Ty> {
        self.locals
            .iter()
            .rev()
            .find(|(n, _)| n == name)
            .map(|(_, t)| t.clone())
            .or_else(|| self.scope.get(name).cloned())
    }

    fn defined(&self, name: &str) -> bool {
        self.scope.open || self.get(name).is_some()
    }
}

/// Argument types that some built-in functions reject outright.
fn rejects(function: &str, arg: &Ty) -> bool {
    let scalar = matches!(arg, Ty::Bool | Ty::Int | Ty::Float | Ty::Str);
    match function.to_ascii_lowercase().as_str() {
        "labels" => scalar || matches!(arg, Ty::Rel | Ty::Path | Ty::List(_)),
        "type" => scalar || matches!(arg, Ty::Node | Ty::Path | Ty::List(_)),
        "length" => matches!(arg, Ty::Node | Ty::Rel),
        "size" => matches!(arg, Ty::Node | Ty::Rel | Ty::Path),
        "properties" => scalar || matches!(arg, Ty::Path | Ty::List(_)),
        _ => false,
    }
}

/// The result type of some built-in functions.
fn returns(function: &str, args: &[Ty]) -> Ty {
    let first = args.first().cloned().unwrap_or(Ty::Unknown);
    match function.to_ascii_lowercase().as_str() {
        "id" | "size" | "length" | "count" | "tointeger" => Ty::Int,
        "tofloat" | "rand" | "avg" => Ty::Float,
        "tostring" | "type" => Ty::Str,
        "toboolean" | "exists" => Ty::Bool,
        "labels" | "keys" => Ty::List(Box::new(Ty::Str)),
        "nodes" => Ty::List(Box::new(Ty::Node)),
        "relationships" => Ty::List(Box::new(Ty::Rel)),
        "startnode" | "endnode" => Ty::Node,
        "range" => Ty::List(Box::new(Ty::Int)),
        "collect" => Ty::List(Box::new(first)),
        "head" | "last" => first.element(),
        "properties" => Ty::Map,
        _ => Ty::Unknown,
    }
}

fn literal_type(l: &Literal) -> Ty {
    match l {
        Literal::Null => Ty::Null,
        Literal::Boolean(_) => Ty::Bool,
        Literal::Integer(_) => Ty::Int,
        Literal::Float(_) => Ty::Float,
        Literal::String(_) => Ty::Str,
    }
}

impl Analyzer<'_> {
    /// Check `e` in `scope` and infer its type.
    pub(crate) fn expr(&self, e: &Expr, scope: &Scope) -> R<Ty> {
        self.expr_with_known(e, scope, &[])
    }

    /// Like [`Analyzer::expr`], treating sub-expressions equal to one of
    /// `known` as defined.
    pub(crate) fn expr_with_known(&self, e: &Expr, scope: &Scope, known: &[&Expr]) -> R<Ty> {
        let mut cx = Cx {
            scope,
            locals: Vec::new(),
            known,
        };
        self.ex(e, &mut cx)
    }

    /// A WHERE-style predicate: must be boolean (or unknown).
    pub(crate) fn predicate(&self, e: &Expr, scope: &Scope) -> R {
        let ty = self.expr(e, scope)?;
        self.expect_bool(e, &ty)
    }

    fn mismatch(&self, e: &Expr, expected: &str, found: &Ty) -> SyntaxError {
        SyntaxError::new(
            self.src,
            e.span.start,
            format!(
                "Type mismatch: expected {expected} but was {}",
                found.name()
            ),
            Some(ErrorDetail::InvalidArgumentType),
        )
    }

    pub(crate) fn expect_bool_expr(&self, e: &Expr, ty: &Ty) -> R {
        self.expect_bool(e, ty)
    }

    fn expect_bool(&self, e: &Expr, ty: &Ty) -> R {
        if matches!(ty, Ty::Bool | Ty::Null | Ty::Unknown) {
            Ok(())
        } else {
            Err(self.mismatch(e, "Boolean", ty))
        }
    }

    fn expect_number(&self, e: &Expr, ty: &Ty) -> R {
        if matches!(
            ty,
            Ty::Str | Ty::Bool | Ty::Map | Ty::Node | Ty::Rel | Ty::Path | Ty::List(_)
        ) {
            Err(self.mismatch(e, "a number, a duration or a temporal value", ty))
        } else {
            Ok(())
        }
    }

    fn ex(&self, e: &Expr, cx: &mut Cx<'_>) -> R<Ty> {
        if cx.known.iter().any(|k| **k == *e) {
            return Ok(Ty::Unknown);
        }
        crate::with_stack(|| self.ex_inner(e, cx))
    }

    /// Run `f` with `vars` bound as locals.
    fn with_locals<T>(
        &self,
        cx: &mut Cx<'_>,
        vars: Vec<(String, Ty)>,
        f: impl FnOnce(&Self, &mut Cx<'_>) -> R<T>,
    ) -> R<T> {
        let n = cx.locals.len();
        cx.locals.extend(vars);
        let r = f(self, cx);
        cx.locals.truncate(n);
        r
    }

    fn ex_inner(&self, e: &Expr, cx: &mut Cx<'_>) -> R<Ty> {
        Ok(match &e.kind {
            ExprKind::Literal(l) => literal_type(l),
            ExprKind::Parameter(_) | ExprKind::CountStar => {
                if matches!(e.kind, ExprKind::CountStar) {
                    Ty::Int
                } else {
                    Ty::Unknown
                }
            }
            ExprKind::Variable(v) => {
                if !cx.defined(v) {
                    return Err(self.undefined(e.span, v));
                }
                cx.get(v).unwrap_or(Ty::Unknown)
            }
            ExprKind::List(items) => {
                let mut elem: Option<Ty> = None;
                for item in items {
                    let t = self.ex(item, cx)?;
                    elem = Some(match elem {
                        None => t,
                        Some(prev) if prev == t => prev,
                        Some(_) => Ty::Unknown,
                    });
                }
                Ty::List(Box::new(elem.unwrap_or(Ty::Unknown)))
            }
            ExprKind::Map(entries) => {
                for entry in entries {
                    self.ex(&entry.value, cx)?;
                }
                Ty::Map
            }
            ExprKind::Property { expr, .. } => {
                let t = self.ex(expr, cx)?;
                // Other non-map values fail at run time (as the TCK has it).
                if t == Ty::Path {
                    return Err(self.mismatch(expr, "a map, node or relationship", &t));
                }
                Ty::Unknown
            }
            ExprKind::Index { expr, index } => {
                let t = self.ex(expr, cx)?;
                self.ex(index, cx)?;
                t.element()
            }
            ExprKind::Slice { expr, from, to } => {
                let t = self.ex(expr, cx)?;
                for bound in [from, to].into_iter().flatten() {
                    self.ex(bound, cx)?;
                }
                if matches!(t, Ty::List(_)) {
                    t
                } else {
                    Ty::Unknown
                }
            }
            ExprKind::Unary { op, expr } => {
                let t = self.ex(expr, cx)?;
                match op {
                    UnaryOp::Not => {
                        self.expect_bool(expr, &t)?;
                        Ty::Bool
                    }
                    UnaryOp::Minus | UnaryOp::Plus => {
                        self.expect_number(expr, &t)?;
                        if matches!(t, Ty::Int | Ty::Float) {
                            t
                        } else {
                            Ty::Unknown
                        }
                    }
                }
            }
            ExprKind::Binary { op, left, right } => {
                let lt = self.ex(left, cx)?;
                let rt = self.ex(right, cx)?;
                self.binary(*op, (left, &lt), (right, &rt))?
            }
            ExprKind::Comparison { first, rest } => {
                self.ex(first, cx)?;
                for (_, x) in rest {
                    self.ex(x, cx)?;
                }
                Ty::Bool
            }
            ExprKind::IsNull { expr, .. } | ExprKind::HasLabels { expr, .. } => {
                self.ex(expr, cx)?;
                Ty::Bool
            }
            ExprKind::FunctionCall(call) => {
                let mut args = Vec::with_capacity(call.args.len());
                for a in &call.args {
                    args.push(self.ex(a, cx)?);
                }
                if call.name.namespace.is_empty() {
                    if let (Some(t), Some(a)) = (args.first(), call.args.first()) {
                        if rejects(&call.name.name, t) {
                            return Err(SyntaxError::new(
                                self.src,
                                a.span.start,
                                format!(
                                    "Type mismatch: {}() does not accept {}",
                                    call.name.name,
                                    t.name()
                                ),
                                Some(ErrorDetail::InvalidArgumentType),
                            ));
                        }
                    }
                    returns(&call.name.name, &args)
                } else {
                    Ty::Unknown
                }
            }
            ExprKind::Case(c) => {
                if let Some(op) = &c.operand {
                    self.ex(op, cx)?;
                }
                for alt in &c.alternatives {
                    let wt = self.ex(&alt.when, cx)?;
                    if c.operand.is_none() {
                        self.expect_bool(&alt.when, &wt)?;
                    }
                    self.ex(&alt.then, cx)?;
                }
                if let Some(d) = &c.default {
                    self.ex(d, cx)?;
                }
                Ty::Unknown
            }
            ExprKind::ListComprehension(c) => {
                let elem = self.ex(&c.list, cx)?.element();
                let var = vec![(c.variable.name.clone(), elem.clone())];
                self.with_locals(cx, var, |a, cx| {
                    if let Some(p) = &c.predicate {
                        let t = a.ex(p, cx)?;
                        a.expect_bool(p, &t)?;
                    }
                    Ok(match &c.projection {
                        Some(p) => Ty::List(Box::new(a.ex(p, cx)?)),
                        None => Ty::List(Box::new(elem)),
                    })
                })?
            }
            ExprKind::Quantifier(q) => {
                let elem = self.ex(&q.list, cx)?.element();
                let var = vec![(q.variable.name.clone(), elem)];
                self.with_locals(cx, var, |a, cx| {
                    if let Some(p) = &q.predicate {
                        let t = a.ex(p, cx)?;
                        a.expect_bool(p, &t)?;
                    }
                    Ok(Ty::Bool)
                })?
            }
            ExprKind::Reduce(r) => {
                self.ex(&r.init, cx)?;
                let elem = self.ex(&r.list, cx)?.element();
                let vars = vec![
                    (r.accumulator.name.clone(), Ty::Unknown),
                    (r.variable.name.clone(), elem),
                ];
                self.with_locals(cx, vars, |a, cx| a.ex(&r.expr, cx))?;
                Ty::Unknown
            }
            ExprKind::PatternComprehension(c) => {
                let mut vars = Self::new_pattern_variables(&c.pattern, cx);
                if let Some(p) = &c.path_variable {
                    vars.push((p.name.clone(), Ty::Path));
                }
                self.with_locals(cx, vars, |a, cx| {
                    a.pattern_properties(&c.pattern, cx)?;
                    if let Some(p) = &c.predicate {
                        let t = a.ex(p, cx)?;
                        a.expect_bool(p, &t)?;
                    }
                    Ok(Ty::List(Box::new(a.ex(&c.projection, cx)?)))
                })?
            }
            ExprKind::Pattern(element) => {
                if element.shortest.is_none() {
                    // A pattern predicate cannot introduce variables.
                    let vars = element
                        .nodes()
                        .filter_map(|n| n.variable.as_ref())
                        .chain(element.relationships().filter_map(|r| r.variable.as_ref()));
                    for v in vars {
                        self.defined_ident(v, cx)?;
                    }
                    self.pattern_properties(element, cx)?;
                    Ty::Bool
                } else {
                    let vars = Self::new_pattern_variables(element, cx);
                    self.with_locals(cx, vars, |a, cx| a.pattern_properties(element, cx))?;
                    Ty::Path
                }
            }
            ExprKind::CollectSubquery(q) => {
                let mut inner = cx.scope.clone();
                for (n, t) in &cx.locals {
                    inner.bind(n, t.clone());
                }
                self.query(q, &inner)?;
                Ty::List(Box::new(Ty::Unknown))
            }
            ExprKind::Exists(sub) | ExprKind::CountSubquery(sub) => {
                match sub.as_ref() {
                    ExistsSubquery::Pattern { pattern, predicate } => {
                        let mut vars = Vec::new();
                        for part in pattern {
                            vars.extend(Self::new_pattern_variables(&part.element, cx));
                            if let Some(p) = &part.variable {
                                vars.push((p.name.clone(), Ty::Path));
                            }
                        }
                        self.with_locals(cx, vars, |a, cx| {
                            for part in pattern {
                                a.pattern_properties(&part.element, cx)?;
                            }
                            if let Some(p) = predicate {
                                let t = a.ex(p, cx)?;
                                a.expect_bool(p, &t)?;
                            }
                            Ok(())
                        })?;
                    }
                    ExistsSubquery::Query(q) => {
                        let mut inner = cx.scope.clone();
                        for (n, t) in &cx.locals {
                            inner.bind(n, t.clone());
                        }
                        self.query(q, &inner)?;
                    }
                }
                if matches!(e.kind, ExprKind::CountSubquery(_)) {
                    Ty::Int
                } else {
                    Ty::Bool
                }
            }
            ExprKind::MapProjection(m) => {
                self.defined_ident(&m.variable, cx)?;
                for item in &m.items {
                    match item {
                        MapProjectionItem::Variable(v) => self.defined_ident(v, cx)?,
                        MapProjectionItem::Literal(_, x) => {
                            self.ex(x, cx)?;
                        }
                        MapProjectionItem::Property(_) | MapProjectionItem::AllProperties => {}
                    }
                }
                Ty::Map
            }
        })
    }

    fn defined_ident(&self, v: &Ident, cx: &Cx<'_>) -> R {
        if cx.defined(&v.name) {
            Ok(())
        } else {
            Err(self.undefined(v.span, &v.name))
        }
    }

    /// Variables a (comprehension or EXISTS) pattern introduces: those
    /// not already visible.
    fn new_pattern_variables(element: &PatternElement, cx: &Cx<'_>) -> Vec<(String, Ty)> {
        let mut out: Vec<(String, Ty)> = Vec::new();
        let nodes = element
            .nodes()
            .filter_map(|n| n.variable.as_ref().map(|v| (v, Ty::Node)));
        let rels = element.relationships().filter_map(|r| {
            r.variable.as_ref().map(|v| {
                let ty = if r.length.is_some() {
                    Ty::List(Box::new(Ty::Rel))
                } else {
                    Ty::Rel
                };
                (v, ty)
            })
        });
        for (v, ty) in nodes.chain(rels) {
            if cx.get(&v.name).is_none() && !out.iter().any(|(n, _)| *n == v.name) {
                out.push((v.name.clone(), ty));
            }
        }
        out
    }

    fn pattern_properties(&self, element: &PatternElement, cx: &mut Cx<'_>) -> R {
        let mut exprs = Vec::new();
        element.for_each_expr(&mut |e| exprs.push(e));
        for e in exprs {
            self.ex(e, cx)?;
        }
        Ok(())
    }

    fn binary(&self, op: BinaryOp, left: (&Expr, &Ty), right: (&Expr, &Ty)) -> R<Ty> {
        let ((le, lt), (re, rt)) = (left, right);
        Ok(match op {
            BinaryOp::And | BinaryOp::Or | BinaryOp::Xor => {
                self.expect_bool(le, lt)?;
                self.expect_bool(re, rt)?;
                Ty::Bool
            }
            BinaryOp::In => {
                if !matches!(rt, Ty::List(_) | Ty::Null | Ty::Unknown) {
                    return Err(self.mismatch(re, "a list", rt));
                }
                Ty::Bool
            }
            BinaryOp::StartsWith
            | BinaryOp::EndsWith
            | BinaryOp::Contains
            | BinaryOp::RegexMatch => Ty::Bool,
            BinaryOp::Add => match (lt, rt) {
                (Ty::Int, Ty::Int) => Ty::Int,
                (Ty::Int | Ty::Float, Ty::Int | Ty::Float) => Ty::Float,
                (Ty::Str, Ty::Str) => Ty::Str,
                (Ty::List(a), Ty::List(b)) if a == b => lt.clone(),
                _ => Ty::Unknown,
            },
            BinaryOp::Subtract
            | BinaryOp::Multiply
            | BinaryOp::Divide
            | BinaryOp::Modulo
            | BinaryOp::Power => {
                self.expect_number(le, lt)?;
                self.expect_number(re, rt)?;
                match (lt, rt) {
                    (Ty::Int, Ty::Int) if op != BinaryOp::Power => Ty::Int,
                    (Ty::Int | Ty::Float, Ty::Int | Ty::Float) => Ty::Float,
                    _ => Ty::Unknown,
                }
            }
        })
    }
}
