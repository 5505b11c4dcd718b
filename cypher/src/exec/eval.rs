//! Evaluating compiled expressions against a row.

use std::cmp::Ordering;
use std::sync::Arc;

use crate::ast::{BinaryOp, ComparisonOp, QuantifierKind};
use crate::error::{ErrorDetail, QueryError, QueryErrorKind};
use crate::plan::ir::{Expr, Function, MapProjectionItem};
use crate::value::{CypherValue, ValueMap};

use super::graph_fns::{call_graph_function, entity_properties, property_of};
use super::{get, set, Ctx, ExecResult, Row};

type V = CypherValue;

fn type_error(message: impl Into<String>) -> QueryError {
    QueryError::type_error(ErrorDetail::InvalidArgumentType, message)
}

/// Evaluates `e` on `row`.
pub(crate) fn eval(e: &Expr, row: &Row, ctx: &Ctx<'_, '_>) -> ExecResult<V> {
    crate::with_stack(|| eval_inner(e, row, ctx))
}

/// Evaluates a predicate: `Some(true)`, `Some(false)` or `None` (null).
pub(crate) fn eval_predicate(e: &Expr, row: &Row, ctx: &Ctx<'_, '_>) -> ExecResult<Option<bool>> {
    // What a filter reads is not shown, so it does not count as touched.
    let _quiet = ctx.access.as_ref().map(|a| a.quiet());
    match eval(e, row, ctx)? {
        V::Boolean(b) => Ok(Some(b)),
        V::Null => Ok(None),
        other => Err(type_error(format!(
            "Expected a Boolean, got {}",
            other.type_name()
        ))),
    }
}

fn as_bool(v: V) -> ExecResult<Option<bool>> {
    match v {
        V::Boolean(b) => Ok(Some(b)),
        V::Null => Ok(None),
        other => Err(type_error(format!(
            "Expected a Boolean, got {}",
            other.type_name()
        ))),
    }
}

#[allow(clippy::too_many_lines)]
fn eval_inner(e: &Expr, row: &Row, ctx: &Ctx<'_, '_>) -> ExecResult<V> {
    Ok(match e {
        Expr::Const(v) => v.clone(),
        Expr::Slot(s) => get(row, *s).clone(),
        Expr::Param(name) => ctx.params.get(&**name).cloned().ok_or_else(|| {
            QueryError::new(
                QueryErrorKind::ParameterMissing,
                Some(ErrorDetail::MissingParameter),
                format!("Expected parameter(s): {name}"),
            )
        })?,
        Expr::List(items) => V::List(
            items
                .iter()
                .map(|i| eval(i, row, ctx))
                .collect::<ExecResult<Vec<_>>>()?
                .into(),
        ),
        Expr::Map(entries) => {
            let mut map = ValueMap::new();
            for (k, v) in entries {
                map.insert(k.clone(), eval(v, row, ctx)?);
            }
            V::Map(Arc::new(map))
        }
        Expr::Property(base, key) => {
            let base = eval(base, row, ctx)?;
            property_of(&base, key, ctx)?
        }
        Expr::Index(base, index) => {
            let base = eval(base, row, ctx)?;
            let index = eval(index, row, ctx)?;
            index_value(&base, &index, ctx)?
        }
        Expr::Slice(base, from, to) => {
            let base = eval(base, row, ctx)?;
            let from = from.as_ref().map(|f| eval(f, row, ctx)).transpose()?;
            let to = to.as_ref().map(|t| eval(t, row, ctx)).transpose()?;
            slice(&base, from.as_ref(), to.as_ref())?
        }
        Expr::HasLabels(base, labels) => match eval(base, row, ctx)? {
            V::Null => V::Null,
            V::Node(id) => {
                let state = ctx.state();
                let Some(record) = state.node(id) else {
                    return Ok(V::Boolean(
                        ctx.deleted_nodes
                            .get(&id)
                            .is_some_and(|d| labels.iter().all(|l| d.labels.contains(l))),
                    ));
                };
                V::Boolean(
                    labels
                        .iter()
                        .all(|l| state.label_id(l).is_some_and(|id| record.has_label(id))),
                )
            }
            V::Relationship(id) => {
                let state = ctx.state();
                let Some(record) = state.rel(id) else {
                    return Ok(V::Boolean(false));
                };
                let name = state.rel_type_name(record.rel_type());
                V::Boolean(labels.iter().all(|l| &**l == name))
            }
            other => {
                return Err(type_error(format!(
                    "Expected a Node, got {}",
                    other.type_name()
                )))
            }
        },
        Expr::Not(inner) => match as_bool(eval(inner, row, ctx)?)? {
            Some(b) => V::Boolean(!b),
            None => V::Null,
        },
        Expr::Negate(inner) => match eval(inner, row, ctx)? {
            V::Integer(i) => V::Integer(i.checked_neg().ok_or_else(|| {
                QueryError::arithmetic(ErrorDetail::ArithmeticOverflow, "integer overflow")
            })?),
            V::Float(x) => V::Float(-x),
            V::Null => V::Null,
            V::Temporal(t) => match crate::temporal::multiply(&t, &graph_model::Value::Integer(-1))
            {
                Some(r) => V::Temporal(r?),
                None => return Err(type_error(format!("Cannot negate {}", t.value_type()))),
            },
            other => return Err(type_error(format!("Cannot negate a {}", other.type_name()))),
        },
        Expr::UnaryPlus(inner) => match eval(inner, row, ctx)? {
            v @ (V::Integer(_) | V::Float(_) | V::Null | V::Temporal(_)) => v,
            other => {
                return Err(type_error(format!(
                    "Cannot apply unary plus to a {}",
                    other.type_name()
                )))
            }
        },
        Expr::And(items) => {
            let mut unknown = false;
            for item in items {
                match as_bool(eval(item, row, ctx)?)? {
                    Some(false) => return Ok(V::Boolean(false)),
                    None => unknown = true,
                    Some(true) => {}
                }
            }
            if unknown {
                V::Null
            } else {
                V::Boolean(true)
            }
        }
        Expr::Or(items) => {
            let mut unknown = false;
            for item in items {
                match as_bool(eval(item, row, ctx)?)? {
                    Some(true) => return Ok(V::Boolean(true)),
                    None => unknown = true,
                    Some(false) => {}
                }
            }
            if unknown {
                V::Null
            } else {
                V::Boolean(false)
            }
        }
        Expr::Binary(op, left, right) => {
            let l = eval(left, row, ctx)?;
            let r = eval(right, row, ctx)?;
            binary(*op, l, r)?
        }
        Expr::Comparison(first, rest) => {
            let mut left = eval(first, row, ctx)?;
            let mut result = Some(true);
            for (op, e) in rest {
                let right = eval(e, row, ctx)?;
                match compare(*op, &left, &right) {
                    Some(false) => return Ok(V::Boolean(false)),
                    None => result = None,
                    Some(true) => {}
                }
                left = right;
            }
            result.map_or(V::Null, V::Boolean)
        }
        Expr::IsNull(inner, negated) => V::Boolean(eval(inner, row, ctx)?.is_null() != *negated),
        Expr::Call(function, args) => {
            let args = args
                .iter()
                .map(|a| eval(a, row, ctx))
                .collect::<ExecResult<Vec<_>>>()?;
            match function {
                Function::Graph(g) => call_graph_function(*g, &args, ctx)?,
                Function::Scalar(name) => match crate::functions::call_scalar(name, &args) {
                    Some(result) => result?,
                    None => {
                        return Err(QueryError::new(
                            QueryErrorKind::Syntax,
                            Some(ErrorDetail::UnknownFunction),
                            format!("Unknown function `{name}`"),
                        ))
                    }
                },
                Function::Temporal(name) => call_temporal(name, &args)?,
            }
        }
        Expr::Case(case) => {
            if let Some(operand) = &case.operand {
                let value = eval(operand, row, ctx)?;
                for (when, then) in &case.alternatives {
                    let candidate = eval(when, row, ctx)?;
                    if value.equals(&candidate) == Some(true) {
                        return eval(then, row, ctx);
                    }
                }
            } else {
                for (when, then) in &case.alternatives {
                    if eval_predicate(when, row, ctx)? == Some(true) {
                        return eval(then, row, ctx);
                    }
                }
            }
            match &case.default {
                Some(d) => eval(d, row, ctx)?,
                None => V::Null,
            }
        }
        Expr::ListComprehension(c) => {
            let list = eval(&c.list, row, ctx)?;
            let Some(items) = list_operand(list)? else {
                return Ok(V::Null);
            };
            let mut inner = row.clone();
            let mut out = Vec::with_capacity(items.len());
            for item in items.iter() {
                set(&mut inner, c.slot, item.clone());
                if let Some(p) = &c.predicate {
                    if eval_predicate(p, &inner, ctx)? != Some(true) {
                        continue;
                    }
                }
                out.push(match &c.projection {
                    Some(p) => eval(p, &inner, ctx)?,
                    None => item.clone(),
                });
            }
            V::List(out.into())
        }
        Expr::Quantifier(q) => {
            let list = eval(&q.list, row, ctx)?;
            let Some(items) = list_operand(list)? else {
                return Ok(V::Null);
            };
            let mut inner = row.clone();
            let (mut trues, mut nulls) = (0usize, 0usize);
            for item in items.iter() {
                set(&mut inner, q.slot, item.clone());
                let result = match &q.predicate {
                    Some(p) => eval_predicate(p, &inner, ctx)?,
                    None => as_bool(item.clone())?,
                };
                match result {
                    Some(true) => trues += 1,
                    None => nulls += 1,
                    Some(false) => {}
                }
            }
            let falses = items.len() - trues - nulls;
            // `hit` decides the answer; otherwise nulls make it unknown.
            let decide = |hit: bool, answer: bool| {
                if hit {
                    Some(answer)
                } else if nulls > 0 {
                    None
                } else {
                    Some(!answer)
                }
            };
            let result = match q.kind {
                QuantifierKind::All => decide(falses > 0, false),
                QuantifierKind::Any => decide(trues > 0, true),
                QuantifierKind::None => decide(trues > 0, false),
                QuantifierKind::Single => {
                    if trues > 1 {
                        Some(false)
                    } else if nulls > 0 {
                        None
                    } else {
                        Some(trues == 1)
                    }
                }
            };
            result.map_or(V::Null, V::Boolean)
        }
        Expr::Reduce(r) => {
            let list = eval(&r.list, row, ctx)?;
            let Some(items) = list_operand(list)? else {
                return Ok(V::Null);
            };
            let mut inner = row.clone();
            let mut acc = eval(&r.init, row, ctx)?;
            for item in items.iter() {
                set(&mut inner, r.accumulator, acc);
                set(&mut inner, r.slot, item.clone());
                acc = eval(&r.expr, &inner, ctx)?;
            }
            acc
        }
        Expr::Exists(sub) => V::Boolean(super::matcher::sub_pattern_exists(sub, row, ctx)?),
        Expr::PatternComprehension(sub, projection) => {
            V::List(super::matcher::sub_pattern_collect(sub, projection, row, ctx)?.into())
        }
        Expr::ExistsQuery(plan) => V::Boolean(super::operators::subquery_has_rows(plan, row, ctx)?),
        Expr::CountQuery(plan) => V::Integer(super::operators::subquery_row_count(plan, row, ctx)?),
        Expr::CollectQuery(plan) => {
            V::List(super::operators::subquery_collect(plan, row, ctx)?.into())
        }
        Expr::MapProjection(base, items) => {
            let base = eval(base, row, ctx)?;
            if base.is_null() {
                return Ok(V::Null);
            }
            let mut map = ValueMap::new();
            for item in items {
                match item {
                    MapProjectionItem::Property(key) => {
                        map.insert(key.clone(), property_of(&base, key, ctx)?);
                    }
                    MapProjectionItem::AllProperties => {
                        for (k, v) in entity_properties(&base, ctx)? {
                            map.insert(k, v);
                        }
                    }
                    MapProjectionItem::Entry(key, e) => {
                        map.insert(key.clone(), eval(e, row, ctx)?);
                    }
                }
            }
            V::Map(Arc::new(map))
        }
        Expr::ShortestPath(sub, all) => super::matcher::shortest_path(sub, *all, row, ctx)?,
    })
}

/// The elements of a list operand; `None` for `null`.
fn list_operand(list: V) -> ExecResult<Option<Arc<[V]>>> {
    match list {
        V::Null => Ok(None),
        V::List(items) => Ok(Some(items)),
        other => Err(type_error(format!(
            "Expected a List, got {}",
            other.type_name()
        ))),
    }
}

fn call_temporal(name: &str, args: &[V]) -> ExecResult<V> {
    let mut converted = Vec::with_capacity(args.len());
    for a in args {
        match a.to_property() {
            Some(v) => converted.push(v),
            None => {
                return Err(type_error(format!(
                    "`{name}` does not accept a {}",
                    a.type_name()
                )))
            }
        }
    }
    match crate::temporal::call(name, &converted) {
        Some(result) => Ok(V::from_property(&result?)),
        None => Err(QueryError::new(
            QueryErrorKind::Syntax,
            Some(ErrorDetail::UnknownFunction),
            format!("Unknown function `{name}`"),
        )),
    }
}

/// Ternary comparison operators.
pub(crate) fn compare(op: ComparisonOp, l: &V, r: &V) -> Option<bool> {
    match op {
        ComparisonOp::Eq => l.equals(r),
        ComparisonOp::Neq => l.equals(r).map(|b| !b),
        _ => {
            if l.is_null() || r.is_null() {
                return None;
            }
            let is_nan = |v: &V| matches!(v, V::Float(x) if x.is_nan());
            if (is_nan(l) || is_nan(r)) && l.as_f64().is_some() && r.as_f64().is_some() {
                return Some(false);
            }
            let ordering = l.compare(r)?;
            Some(match op {
                ComparisonOp::Lt => ordering == Ordering::Less,
                ComparisonOp::Gt => ordering == Ordering::Greater,
                ComparisonOp::Le => ordering != Ordering::Greater,
                ComparisonOp::Ge => ordering != Ordering::Less,
                ComparisonOp::Eq | ComparisonOp::Neq => unreachable!("handled above"),
            })
        }
    }
}

fn division_by_zero() -> QueryError {
    QueryError::arithmetic(ErrorDetail::DivisionByZero, "/ by zero")
}

fn overflow() -> QueryError {
    QueryError::arithmetic(ErrorDetail::ArithmeticOverflow, "integer overflow")
}

/// A temporal operator of [`crate::temporal`].
type TemporalOperator =
    fn(&graph_model::Value, &graph_model::Value) -> Option<Result<graph_model::Value, QueryError>>;

fn temporal_op(operator: TemporalOperator, left: &V, right: &V) -> Option<ExecResult<V>> {
    let left = left.to_property()?;
    let right = right.to_property()?;
    operator(&left, &right).map(|res| res.map(|v| V::from_property(&v)))
}

/// An arithmetic operator on two numbers: checked on integers (overflow is
/// an error), IEEE on floats and on mixed operands.
fn numeric(
    a: &V,
    b: &V,
    on_integers: fn(i64, i64) -> Option<i64>,
    on_floats: fn(f64, f64) -> f64,
) -> ExecResult<V> {
    match (a, b) {
        (V::Integer(x), V::Integer(y)) => Ok(V::Integer(on_integers(*x, *y).ok_or_else(overflow)?)),
        _ => Ok(V::Float(on_floats(
            a.as_f64().unwrap_or(0.0),
            b.as_f64().unwrap_or(0.0),
        ))),
    }
}

/// The non-comparison binary operators.
#[allow(clippy::too_many_lines, clippy::many_single_char_names)]
pub(crate) fn binary(op: BinaryOp, l: V, r: V) -> ExecResult<V> {
    use BinaryOp as B;
    match op {
        B::And | B::Or | B::Xor => {
            let (a, b) = (as_bool(l)?, as_bool(r)?);
            return Ok(match op {
                B::And => match (a, b) {
                    (Some(false), _) | (_, Some(false)) => V::Boolean(false),
                    (Some(true), Some(true)) => V::Boolean(true),
                    _ => V::Null,
                },
                B::Or => match (a, b) {
                    (Some(true), _) | (_, Some(true)) => V::Boolean(true),
                    (Some(false), Some(false)) => V::Boolean(false),
                    _ => V::Null,
                },
                _ => match (a, b) {
                    (Some(x), Some(y)) => V::Boolean(x != y),
                    _ => V::Null,
                },
            });
        }
        B::In => {
            return Ok(match r {
                V::Null => V::Null,
                V::List(items) => {
                    let mut unknown = false;
                    for item in items.iter() {
                        match l.equals(item) {
                            Some(true) => return Ok(V::Boolean(true)),
                            None => unknown = true,
                            Some(false) => {}
                        }
                    }
                    if unknown {
                        V::Null
                    } else {
                        V::Boolean(false)
                    }
                }
                other => {
                    return Err(type_error(format!(
                        "IN expects a List, got {}",
                        other.type_name()
                    )))
                }
            })
        }
        B::StartsWith | B::EndsWith | B::Contains => {
            return Ok(match (&l, &r) {
                (V::String(a), V::String(b)) => V::Boolean(match op {
                    B::StartsWith => a.starts_with(&**b),
                    B::EndsWith => a.ends_with(&**b),
                    _ => a.contains(&**b),
                }),
                _ => V::Null,
            })
        }
        B::RegexMatch => {
            return Ok(match (&l, &r) {
                (V::String(text), V::String(pattern)) => {
                    let re = regex::Regex::new(&format!("^(?:{pattern})$")).map_err(|e| {
                        QueryError::argument_error(
                            ErrorDetail::InvalidArgumentValue,
                            format!("Invalid regular expression: {e}"),
                        )
                    })?;
                    V::Boolean(re.is_match(text))
                }
                _ => V::Null,
            })
        }
        _ => {}
    }
    if l.is_null() || r.is_null() {
        return Ok(V::Null);
    }
    match op {
        B::Add => match (l, r) {
            (a @ (V::Integer(_) | V::Float(_)), b @ (V::Integer(_) | V::Float(_))) => {
                numeric(&a, &b, i64::checked_add, |x, y| x + y)
            }
            (V::String(a), V::String(b)) => Ok(V::String(format!("{a}{b}").into())),
            (V::String(a), b @ (V::Integer(_) | V::Float(_) | V::Boolean(_))) => {
                Ok(V::String(format!("{a}{}", scalar_string(&b)).into()))
            }
            (a @ (V::Integer(_) | V::Float(_) | V::Boolean(_)), V::String(b)) => {
                Ok(V::String(format!("{}{b}", scalar_string(&a)).into()))
            }
            (V::List(a), V::List(b)) => Ok(V::List(a.iter().chain(b.iter()).cloned().collect())),
            (V::List(a), b) => Ok(V::List(
                a.iter().cloned().chain(std::iter::once(b)).collect(),
            )),
            (a, V::List(b)) => Ok(V::List(
                std::iter::once(a).chain(b.iter().cloned()).collect(),
            )),
            (a, b) => temporal_op(crate::temporal::add, &a, &b).unwrap_or_else(|| {
                Err(type_error(format!(
                    "Cannot add {} and {}",
                    a.type_name(),
                    b.type_name()
                )))
            }),
        },
        B::Subtract => match (l, r) {
            (a @ (V::Integer(_) | V::Float(_)), b @ (V::Integer(_) | V::Float(_))) => {
                numeric(&a, &b, i64::checked_sub, |x, y| x - y)
            }
            (a, b) => temporal_op(crate::temporal::subtract, &a, &b).unwrap_or_else(|| {
                Err(type_error(format!(
                    "Cannot subtract {} from {}",
                    b.type_name(),
                    a.type_name()
                )))
            }),
        },
        B::Multiply => match (l, r) {
            (a @ (V::Integer(_) | V::Float(_)), b @ (V::Integer(_) | V::Float(_))) => {
                numeric(&a, &b, i64::checked_mul, |x, y| x * y)
            }
            (a, b) => temporal_op(crate::temporal::multiply, &a, &b).unwrap_or_else(|| {
                Err(type_error(format!(
                    "Cannot multiply {} and {}",
                    a.type_name(),
                    b.type_name()
                )))
            }),
        },
        B::Divide => match (l, r) {
            (V::Integer(_), V::Integer(0)) => Err(division_by_zero()),
            (a @ (V::Integer(_) | V::Float(_)), b @ (V::Integer(_) | V::Float(_))) => {
                numeric(&a, &b, i64::checked_div, |x, y| x / y)
            }
            (a, b) => temporal_op(crate::temporal::divide, &a, &b).unwrap_or_else(|| {
                Err(type_error(format!(
                    "Cannot divide {} by {}",
                    a.type_name(),
                    b.type_name()
                )))
            }),
        },
        B::Modulo => match (l, r) {
            (V::Integer(_), V::Integer(0)) => Err(division_by_zero()),
            (a @ (V::Integer(_) | V::Float(_)), b @ (V::Integer(_) | V::Float(_))) => {
                numeric(&a, &b, i64::checked_rem, |x, y| x % y)
            }
            (a, b) => Err(type_error(format!(
                "Cannot take {} modulo {}",
                a.type_name(),
                b.type_name()
            ))),
        },
        B::Power => match (&l, &r) {
            (V::Integer(_) | V::Float(_), V::Integer(_) | V::Float(_)) => Ok(V::Float(
                l.as_f64().unwrap_or(0.0).powf(r.as_f64().unwrap_or(0.0)),
            )),
            _ => Err(type_error(format!(
                "Cannot raise {} to {}",
                l.type_name(),
                r.type_name()
            ))),
        },
        _ => unreachable!("handled above"),
    }
}

/// How numbers and booleans print in string concatenation.
pub(crate) fn scalar_string(v: &V) -> String {
    match v {
        V::Integer(i) => i.to_string(),
        V::Float(x) => format_float(*x),
        V::Boolean(b) => b.to_string(),
        V::String(s) => s.to_string(),
        _ => String::new(),
    }
}

/// Floats as Cypher prints them (`1.0`, `1.5E10`, `NaN`, `Infinity`).
pub(crate) fn format_float(x: f64) -> String {
    if x.is_nan() {
        return "NaN".into();
    }
    if x.is_infinite() {
        return if x > 0.0 { "Infinity" } else { "-Infinity" }.into();
    }
    if x.fract() == 0.0 && x.abs() < 1e15 {
        return format!("{x:.1}");
    }
    let s = format!("{x}");
    if s.contains('e') {
        s.replace('e', "E")
    } else {
        s
    }
}

fn index_value(base: &V, index: &V, ctx: &Ctx<'_, '_>) -> ExecResult<V> {
    match (base, index) {
        (V::Null, _) | (_, V::Null) => Ok(V::Null),
        (V::List(items), V::Integer(i)) => {
            let len = items.len() as i64;
            let i = if *i < 0 { len + i } else { *i };
            Ok(if (0..len).contains(&i) {
                items[i as usize].clone()
            } else {
                V::Null
            })
        }
        (V::List(_), other) => Err(QueryError::type_error(
            ErrorDetail::ListElementAccessByNonInteger,
            format!("List index must be an Integer, got {}", other.type_name()),
        )),
        (V::Map(m), V::String(k)) => Ok(m.get(k).cloned().unwrap_or(V::Null)),
        (V::Node(_) | V::Relationship(_), V::String(k)) => property_of(base, k, ctx),
        (V::Map(_) | V::Node(_) | V::Relationship(_), other) => Err(QueryError::type_error(
            ErrorDetail::MapElementAccessByNonString,
            format!("Map key must be a String, got {}", other.type_name()),
        )),
        (other, _) => Err(QueryError::type_error(
            ErrorDetail::InvalidArgumentType,
            format!("Cannot index into a {}", other.type_name()),
        )),
    }
}

fn slice(base: &V, from: Option<&V>, to: Option<&V>) -> ExecResult<V> {
    let items = match base {
        V::Null => return Ok(V::Null),
        V::List(items) => items,
        other => return Err(type_error(format!("Cannot slice a {}", other.type_name()))),
    };
    let len = items.len() as i64;
    let bound = |v: Option<&V>, default: i64| -> ExecResult<Option<i64>> {
        match v {
            None => Ok(Some(default)),
            Some(V::Null) => Ok(None),
            Some(V::Integer(i)) => Ok(Some(if *i < 0 {
                (len + i).max(0)
            } else {
                (*i).min(len)
            })),
            Some(other) => Err(QueryError::type_error(
                ErrorDetail::ListElementAccessByNonInteger,
                format!("List index must be an Integer, got {}", other.type_name()),
            )),
        }
    };
    let (Some(start), Some(end)) = (bound(from, 0)?, bound(to, len)?) else {
        return Ok(V::Null);
    };
    if start >= end {
        return Ok(V::List(Vec::new().into()));
    }
    Ok(V::List(items[start as usize..end as usize].to_vec().into()))
}
