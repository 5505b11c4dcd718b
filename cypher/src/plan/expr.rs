//! Compiling AST expressions: variables to slots, functions to their
//! implementations, nested patterns to sub-patterns.

use std::sync::Arc;

use crate::ast::{self, ExistsSubquery, ExprKind, Literal, Parameter, UnaryOp};
use crate::error::{CypherError, ErrorDetail, QueryError, QueryErrorKind};
use crate::value::CypherValue;

use super::ir::{
    CaseExpr, Expr, Function, GraphFunction, ListComprehension, MapProjectionItem, QuantifierExpr,
    ReduceExpr, SubPattern,
};
use super::{Compiler, Scope};

type R<T> = Result<T, CypherError>;

/// A compile-time error of the given kind.
pub(crate) fn compile_error(
    kind: QueryErrorKind,
    detail: Option<ErrorDetail>,
    message: impl Into<String>,
    offset: usize,
) -> CypherError {
    QueryError::new(kind, detail, message)
        .at(offset)
        .at_compile_time()
        .into()
}

fn graph_function(name: &str) -> Option<GraphFunction> {
    Some(match name {
        "id" => GraphFunction::Id,
        "elementid" => GraphFunction::ElementId,
        "labels" => GraphFunction::Labels,
        "type" => GraphFunction::Type,
        "keys" => GraphFunction::Keys,
        "properties" => GraphFunction::Properties,
        "nodes" => GraphFunction::Nodes,
        "relationships" | "rels" => GraphFunction::Relationships,
        "length" => GraphFunction::Length,
        "startnode" => GraphFunction::StartNode,
        "endnode" => GraphFunction::EndNode,
        "exists" => GraphFunction::Exists,
        "size" => GraphFunction::Size,
        _ => return None,
    })
}

fn is_temporal_function(name: &str) -> bool {
    let base = name.split('.').next().unwrap_or(name);
    matches!(
        base,
        "date" | "time" | "localtime" | "datetime" | "localdatetime" | "duration"
    )
}

impl Compiler<'_> {
    /// Compiles an expression in `scope`. Aggregates must have been
    /// replaced beforehand (see `Compiler::substitute`).
    pub(crate) fn expr(&mut self, e: &ast::Expr, scope: &Scope) -> R<Expr> {
        crate::with_stack(|| self.expr_inner(e, scope))
    }

    fn boxed(&mut self, e: &ast::Expr, scope: &Scope) -> R<Box<Expr>> {
        Ok(Box::new(self.expr(e, scope)?))
    }

    fn expr_inner(&mut self, e: &ast::Expr, scope: &Scope) -> R<Expr> {
        if let Some(slot) = self.substitution(e) {
            return Ok(Expr::Slot(slot));
        }
        Ok(match &e.kind {
            ExprKind::Literal(l) => Expr::Const(match l {
                Literal::Null => CypherValue::Null,
                Literal::Boolean(b) => CypherValue::Boolean(*b),
                Literal::Integer(i) => CypherValue::Integer(*i),
                Literal::Float(x) => CypherValue::Float(*x),
                Literal::String(s) => CypherValue::String(s.as_str().into()),
            }),
            ExprKind::Parameter(p) => {
                let name: Arc<str> = match p {
                    Parameter::Named(n) => n.as_str().into(),
                    Parameter::Positional(i) => i.to_string().into(),
                };
                if !self.params.contains_key(&*name) {
                    return Err(compile_error(
                        QueryErrorKind::ParameterMissing,
                        Some(ErrorDetail::MissingParameter),
                        format!("Expected parameter(s): {name}"),
                        e.span.start,
                    ));
                }
                Expr::Param(name)
            }
            ExprKind::Variable(name) => match scope.get(name) {
                Some(slot) => Expr::Slot(slot),
                None => {
                    return Err(compile_error(
                        QueryErrorKind::Syntax,
                        Some(ErrorDetail::UndefinedVariable),
                        format!("Variable `{name}` not defined"),
                        e.span.start,
                    ))
                }
            },
            ExprKind::List(items) => Expr::List(
                items
                    .iter()
                    .map(|i| self.expr(i, scope))
                    .collect::<R<_>>()?,
            ),
            ExprKind::Map(entries) => Expr::Map(
                entries
                    .iter()
                    .map(|m| Ok((m.key.as_str().into(), self.expr(&m.value, scope)?)))
                    .collect::<R<_>>()?,
            ),
            ExprKind::Property { expr, key } => {
                let scalar = match &expr.kind {
                    ExprKind::Variable(v) => scope.is_scalar(v),
                    ExprKind::Literal(l) => !matches!(l, Literal::Null),
                    ExprKind::List(_) => true,
                    _ => false,
                };
                if scalar {
                    return Err(compile_error(
                        QueryErrorKind::TypeError,
                        Some(ErrorDetail::InvalidArgumentType),
                        format!(
                            "Type mismatch: `{key}` is read from a value that has no properties"
                        ),
                        e.span.start,
                    ));
                }
                Expr::Property(self.boxed(expr, scope)?, key.as_str().into())
            }
            ExprKind::Index { expr, index } => {
                Expr::Index(self.boxed(expr, scope)?, self.boxed(index, scope)?)
            }
            ExprKind::Slice { expr, from, to } => Expr::Slice(
                self.boxed(expr, scope)?,
                from.as_ref().map(|f| self.boxed(f, scope)).transpose()?,
                to.as_ref().map(|t| self.boxed(t, scope)).transpose()?,
            ),
            ExprKind::HasLabels { expr, labels } => Expr::HasLabels(
                self.boxed(expr, scope)?,
                labels.iter().map(|l| l.as_str().into()).collect(),
            ),
            ExprKind::Unary { op, expr } => {
                let inner = self.boxed(expr, scope)?;
                match op {
                    UnaryOp::Not => Expr::Not(inner),
                    UnaryOp::Minus => Expr::Negate(inner),
                    UnaryOp::Plus => Expr::UnaryPlus(inner),
                }
            }
            ExprKind::Binary { op, left, right } => match op {
                ast::BinaryOp::And => {
                    let mut items = Vec::new();
                    self.flatten(ast::BinaryOp::And, left, scope, &mut items)?;
                    self.flatten(ast::BinaryOp::And, right, scope, &mut items)?;
                    Expr::And(items)
                }
                ast::BinaryOp::Or => {
                    let mut items = Vec::new();
                    self.flatten(ast::BinaryOp::Or, left, scope, &mut items)?;
                    self.flatten(ast::BinaryOp::Or, right, scope, &mut items)?;
                    Expr::Or(items)
                }
                _ => Expr::Binary(*op, self.boxed(left, scope)?, self.boxed(right, scope)?),
            },
            ExprKind::Comparison { first, rest } => Expr::Comparison(
                self.boxed(first, scope)?,
                rest.iter()
                    .map(|(op, e)| Ok((*op, self.expr(e, scope)?)))
                    .collect::<R<_>>()?,
            ),
            ExprKind::IsNull { expr, negated } => Expr::IsNull(self.boxed(expr, scope)?, *negated),
            ExprKind::FunctionCall(call) => self.function_call(e, call, scope)?,
            ExprKind::CountStar => {
                return Err(compile_error(
                    QueryErrorKind::Syntax,
                    Some(ErrorDetail::InvalidAggregation),
                    "count(*) is not allowed here",
                    e.span.start,
                ))
            }
            ExprKind::Case(c) => Expr::Case(Box::new(CaseExpr {
                operand: c
                    .operand
                    .as_ref()
                    .map(|o| self.expr(o, scope))
                    .transpose()?,
                alternatives: c
                    .alternatives
                    .iter()
                    .map(|a| Ok((self.expr(&a.when, scope)?, self.expr(&a.then, scope)?)))
                    .collect::<R<_>>()?,
                default: c
                    .default
                    .as_ref()
                    .map(|d| self.expr(d, scope))
                    .transpose()?,
            })),
            ExprKind::ListComprehension(c) => {
                let list = self.expr(&c.list, scope)?;
                let mut inner = scope.clone();
                let slot = self.new_slot();
                inner.bind(&c.variable.name, slot);
                Expr::ListComprehension(Box::new(ListComprehension {
                    slot,
                    list,
                    predicate: c
                        .predicate
                        .as_ref()
                        .map(|p| self.expr(p, &inner))
                        .transpose()?,
                    projection: c
                        .projection
                        .as_ref()
                        .map(|p| self.expr(p, &inner))
                        .transpose()?,
                }))
            }
            ExprKind::Quantifier(q) => {
                let list = self.expr(&q.list, scope)?;
                let mut inner = scope.clone();
                let slot = self.new_slot();
                inner.bind(&q.variable.name, slot);
                Expr::Quantifier(Box::new(QuantifierExpr {
                    kind: q.kind,
                    slot,
                    list,
                    predicate: q
                        .predicate
                        .as_ref()
                        .map(|p| self.expr(p, &inner))
                        .transpose()?,
                }))
            }
            ExprKind::Reduce(r) => {
                let init = self.expr(&r.init, scope)?;
                let list = self.expr(&r.list, scope)?;
                let mut inner = scope.clone();
                let accumulator = self.new_slot();
                let slot = self.new_slot();
                inner.bind(&r.accumulator.name, accumulator);
                inner.bind(&r.variable.name, slot);
                Expr::Reduce(Box::new(ReduceExpr {
                    accumulator,
                    init,
                    slot,
                    list,
                    expr: self.expr(&r.expr, &inner)?,
                }))
            }
            ExprKind::Pattern(element) => {
                let part = ast::PatternPart {
                    variable: None,
                    element: (**element).clone(),
                    span: element.span,
                };
                let mut inner = scope.clone();
                let shortest = element.shortest;
                let pattern = self.sub_pattern(&[part], None, &mut inner, shortest.is_some())?;
                match shortest {
                    Some(kind) => {
                        Expr::ShortestPath(Box::new(pattern), kind == ast::ShortestPath::All)
                    }
                    None => Expr::Exists(Box::new(pattern)),
                }
            }
            ExprKind::PatternComprehension(pc) => {
                let part = ast::PatternPart {
                    variable: pc.path_variable.clone(),
                    element: pc.pattern.clone(),
                    span: pc.pattern.span,
                };
                let mut inner = scope.clone();
                let pattern =
                    self.sub_pattern(&[part], pc.predicate.as_ref(), &mut inner, false)?;
                let projection = self.expr(&pc.projection, &inner)?;
                Expr::PatternComprehension(Box::new(pattern), Box::new(projection))
            }
            ExprKind::Exists(sub) => match sub.as_ref() {
                ExistsSubquery::Pattern { pattern, predicate } => {
                    let mut inner = scope.clone();
                    let pattern =
                        self.sub_pattern(pattern, predicate.as_ref(), &mut inner, false)?;
                    Expr::Exists(Box::new(pattern))
                }
                ExistsSubquery::Query(q) => {
                    let plan = self.subquery(q, scope)?;
                    Expr::ExistsQuery(Box::new(plan))
                }
            },
            ExprKind::CountSubquery(sub) => {
                let plan = match sub.as_ref() {
                    ExistsSubquery::Pattern { pattern, predicate } => {
                        let query = ast::Query {
                            first: ast::SingleQuery {
                                clauses: vec![ast::Clause::Match(ast::MatchClause {
                                    optional: false,
                                    pattern: pattern.clone(),
                                    predicate: predicate.clone(),
                                    span: e.span,
                                })],
                                span: e.span,
                            },
                            unions: Vec::new(),
                            span: e.span,
                        };
                        self.subquery(&query, scope)?
                    }
                    ExistsSubquery::Query(q) => self.subquery(q, scope)?,
                };
                Expr::CountQuery(Box::new(plan))
            }
            ExprKind::CollectSubquery(q) => Expr::CollectQuery(Box::new(self.subquery(q, scope)?)),
            ExprKind::MapProjection(mp) => {
                let base = match scope.get(&mp.variable.name) {
                    Some(slot) => Expr::Slot(slot),
                    None => {
                        return Err(compile_error(
                            QueryErrorKind::Syntax,
                            Some(ErrorDetail::UndefinedVariable),
                            format!("Variable `{}` not defined", mp.variable.name),
                            mp.variable.span.start,
                        ))
                    }
                };
                let mut items = Vec::new();
                for item in &mp.items {
                    items.push(match item {
                        ast::MapProjectionItem::Property(k) => {
                            MapProjectionItem::Property(k.as_str().into())
                        }
                        ast::MapProjectionItem::AllProperties => MapProjectionItem::AllProperties,
                        ast::MapProjectionItem::Literal(k, e) => {
                            MapProjectionItem::Entry(k.as_str().into(), self.expr(e, scope)?)
                        }
                        ast::MapProjectionItem::Variable(v) => {
                            let Some(slot) = scope.get(&v.name) else {
                                return Err(compile_error(
                                    QueryErrorKind::Syntax,
                                    Some(ErrorDetail::UndefinedVariable),
                                    format!("Variable `{}` not defined", v.name),
                                    v.span.start,
                                ));
                            };
                            MapProjectionItem::Entry(v.name.as_str().into(), Expr::Slot(slot))
                        }
                    });
                }
                Expr::MapProjection(Box::new(base), items)
            }
        })
    }

    fn flatten(
        &mut self,
        op: ast::BinaryOp,
        e: &ast::Expr,
        scope: &Scope,
        out: &mut Vec<Expr>,
    ) -> R<()> {
        if self.substitution(e).is_none() {
            if let ExprKind::Binary { op: o, left, right } = &e.kind {
                if *o == op {
                    self.flatten(op, left, scope, out)?;
                    return self.flatten(op, right, scope, out);
                }
            }
        }
        out.push(self.expr(e, scope)?);
        Ok(())
    }

    fn function_call(&mut self, e: &ast::Expr, call: &ast::FunctionCall, scope: &Scope) -> R<Expr> {
        let name = call.name.full_name().to_ascii_lowercase();
        if crate::functions::is_aggregate(&name) {
            return Err(compile_error(
                QueryErrorKind::Syntax,
                Some(ErrorDetail::InvalidAggregation),
                format!("Aggregation `{name}` is not allowed here"),
                e.span.start,
            ));
        }
        let args = call
            .args
            .iter()
            .map(|a| self.expr(a, scope))
            .collect::<R<Vec<_>>>()?;
        let function = if let Some(g) = graph_function(&name) {
            Function::Graph(g)
        } else if is_temporal_function(&name) {
            Function::Temporal(name.into())
        } else if let Some((min, max)) = crate::functions::arity(&name) {
            if args.len() < min || max.is_some_and(|m| args.len() > m) {
                return Err(compile_error(
                    QueryErrorKind::Syntax,
                    Some(ErrorDetail::InvalidNumberOfArguments),
                    format!("Wrong number of arguments for `{name}`"),
                    e.span.start,
                ));
            }
            Function::Scalar(name.into())
        } else {
            return Err(compile_error(
                QueryErrorKind::Syntax,
                Some(ErrorDetail::UnknownFunction),
                format!("Unknown function `{}`", call.name.full_name()),
                e.span.start,
            ));
        };
        Ok(Expr::Call(function, args))
    }

    /// Compiles a pattern used inside an expression. Variables it
    /// introduces are bound in `scope`.
    pub(crate) fn sub_pattern(
        &mut self,
        parts: &[ast::PatternPart],
        predicate: Option<&ast::Expr>,
        scope: &mut Scope,
        shortest: bool,
    ) -> R<SubPattern> {
        let pattern = self.pattern(parts, predicate, scope, shortest)?;
        Ok(SubPattern {
            pattern: Arc::new(pattern),
        })
    }
}
