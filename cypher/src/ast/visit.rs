//! Walking expression trees.

use super::{ExistsSubquery, Expr, ExprKind, MapProjectionItem, PatternElement};

impl PatternElement {
    /// Call `f` on each property expression of the pattern's nodes and
    /// relationships.
    pub fn for_each_expr<'a>(&'a self, f: &mut dyn FnMut(&'a Expr)) {
        for node in self.nodes() {
            if let Some(p) = &node.properties {
                f(p);
            }
        }
        for rel in self.relationships() {
            if let Some(p) = &rel.properties {
                f(p);
            }
        }
    }
}

impl Expr {
    /// Call `f` on each direct sub-expression, in source order. Property
    /// maps inside patterns count as sub-expressions; the body of an
    /// `EXISTS { MATCH ... }` query does not (it is a separate query).
    pub fn for_each_child<'a>(&'a self, f: &mut dyn FnMut(&'a Expr)) {
        match &self.kind {
            ExprKind::Literal(_)
            | ExprKind::Parameter(_)
            | ExprKind::Variable(_)
            | ExprKind::CountStar
            | ExprKind::CollectSubquery(_) => {}
            ExprKind::List(items) => items.iter().for_each(f),
            ExprKind::Map(entries) => entries.iter().for_each(|e| f(&e.value)),
            ExprKind::Property { expr, .. }
            | ExprKind::HasLabels { expr, .. }
            | ExprKind::Unary { expr, .. }
            | ExprKind::IsNull { expr, .. } => f(expr),
            ExprKind::Index { expr, index } => {
                f(expr);
                f(index);
            }
            ExprKind::Slice { expr, from, to } => {
                f(expr);
                if let Some(e) = from {
                    f(e);
                }
                if let Some(e) = to {
                    f(e);
                }
            }
            ExprKind::Binary { left, right, .. } => {
                f(left);
                f(right);
            }
            ExprKind::Comparison { first, rest } => {
                f(first);
                for (_, e) in rest {
                    f(e);
                }
            }
            ExprKind::FunctionCall(call) => call.args.iter().for_each(f),
            ExprKind::Case(c) => {
                if let Some(op) = &c.operand {
                    f(op);
                }
                for alt in &c.alternatives {
                    f(&alt.when);
                    f(&alt.then);
                }
                if let Some(d) = &c.default {
                    f(d);
                }
            }
            ExprKind::ListComprehension(c) => {
                f(&c.list);
                if let Some(p) = &c.predicate {
                    f(p);
                }
                if let Some(p) = &c.projection {
                    f(p);
                }
            }
            ExprKind::PatternComprehension(c) => {
                c.pattern.for_each_expr(f);
                if let Some(p) = &c.predicate {
                    f(p);
                }
                f(&c.projection);
            }
            ExprKind::Quantifier(q) => {
                f(&q.list);
                if let Some(p) = &q.predicate {
                    f(p);
                }
            }
            ExprKind::Reduce(r) => {
                f(&r.init);
                f(&r.list);
                f(&r.expr);
            }
            ExprKind::Pattern(p) => p.for_each_expr(f),
            ExprKind::Exists(e) | ExprKind::CountSubquery(e) => {
                if let ExistsSubquery::Pattern { pattern, predicate } = e.as_ref() {
                    for part in pattern {
                        part.element.for_each_expr(f);
                    }
                    if let Some(p) = predicate {
                        f(p);
                    }
                }
            }
            ExprKind::MapProjection(m) => {
                for item in &m.items {
                    if let MapProjectionItem::Literal(_, e) = item {
                        f(e);
                    }
                }
            }
        }
    }

    /// Whether `f` holds for this expression or any expression nested in
    /// it (pre-order, stopping at the first match).
    pub fn any(&self, f: &mut dyn FnMut(&Expr) -> bool) -> bool {
        if f(self) {
            return true;
        }
        crate::with_stack(|| {
            let mut found = false;
            self.for_each_child(&mut |child| {
                if !found && child.any(f) {
                    found = true;
                }
            });
            found
        })
    }
}
