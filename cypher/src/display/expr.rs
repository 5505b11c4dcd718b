//! Printing expressions with the minimal parentheses.

use std::fmt::{self, Display, Formatter};

use super::{join, write_string, FnName, Name, Var};
use crate::ast::{
    BinaryOp, CaseExpr, ComparisonOp, ExistsSubquery, Expr, ExprKind, FunctionCall, Literal,
    MapEntry, MapProjectionItem, Parameter, QualifiedName, QuantifierKind, UnaryOp,
};

/// The binding power of a binary operator (see the parser).
fn binary_bp(op: BinaryOp) -> u8 {
    match op {
        BinaryOp::Or => 1,
        BinaryOp::Xor => 2,
        BinaryOp::And => 3,
        BinaryOp::In
        | BinaryOp::StartsWith
        | BinaryOp::EndsWith
        | BinaryOp::Contains
        | BinaryOp::RegexMatch => 6,
        BinaryOp::Add | BinaryOp::Subtract => 7,
        BinaryOp::Multiply | BinaryOp::Divide | BinaryOp::Modulo => 8,
        BinaryOp::Power => 9,
    }
}

/// How tightly an expression binds: it may appear without parentheses
/// where an operand of at least this precedence is expected.
fn precedence(e: &Expr) -> u8 {
    match &e.kind {
        ExprKind::Binary { op, .. } => binary_bp(*op),
        ExprKind::Unary {
            op: UnaryOp::Not, ..
        } => 4,
        ExprKind::Comparison { .. } => 5,
        ExprKind::IsNull { .. } => 6,
        ExprKind::Unary { .. } => 10,
        ExprKind::Literal(Literal::Integer(n)) if *n < 0 => 10,
        ExprKind::Literal(Literal::Float(x)) if x.is_sign_negative() => 10,
        ExprKind::Property { .. }
        | ExprKind::Index { .. }
        | ExprKind::Slice { .. }
        | ExprKind::HasLabels { .. } => 11,
        _ => 12,
    }
}

/// An operand: parenthesized if it binds more loosely than `min`.
struct Operand<'a>(&'a Expr, u8);

impl Display for Operand<'_> {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        if precedence(self.0) < self.1 {
            write!(f, "({})", self.0)
        } else {
            self.0.fmt(f)
        }
    }
}

impl Display for BinaryOp {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            BinaryOp::Or => "OR",
            BinaryOp::Xor => "XOR",
            BinaryOp::And => "AND",
            BinaryOp::Add => "+",
            BinaryOp::Subtract => "-",
            BinaryOp::Multiply => "*",
            BinaryOp::Divide => "/",
            BinaryOp::Modulo => "%",
            BinaryOp::Power => "^",
            BinaryOp::In => "IN",
            BinaryOp::StartsWith => "STARTS WITH",
            BinaryOp::EndsWith => "ENDS WITH",
            BinaryOp::Contains => "CONTAINS",
            BinaryOp::RegexMatch => "=~",
        })
    }
}

impl Display for ComparisonOp {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ComparisonOp::Eq => "=",
            ComparisonOp::Neq => "<>",
            ComparisonOp::Lt => "<",
            ComparisonOp::Gt => ">",
            ComparisonOp::Le => "<=",
            ComparisonOp::Ge => ">=",
        })
    }
}

impl Display for Literal {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match self {
            Literal::Null => f.write_str("null"),
            Literal::Boolean(b) => write!(f, "{b}"),
            Literal::Integer(n) => write!(f, "{n}"),
            // `Debug` always keeps a `.` or an exponent, so the value reads
            // back as a float, and it round-trips exactly.
            Literal::Float(x) => write!(f, "{x:?}"),
            Literal::String(s) => write_string(f, s),
        }
    }
}

impl Display for Parameter {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match self {
            Parameter::Named(name) => write!(f, "${}", Name(name)),
            Parameter::Positional(i) => write!(f, "${i}"),
        }
    }
}

impl Display for QualifiedName {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        for part in &self.namespace {
            write!(f, "{}.", FnName(part))?;
        }
        FnName(&self.name).fmt(f)
    }
}

impl Display for MapEntry {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", Name(&self.key), self.value)
    }
}

impl Display for FunctionCall {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        write!(f, "{}(", self.name)?;
        if self.distinct {
            f.write_str("DISTINCT ")?;
        }
        join(f, &self.args, ", ")?;
        f.write_str(")")
    }
}

impl Display for CaseExpr {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        f.write_str("CASE")?;
        if let Some(op) = &self.operand {
            write!(f, " {op}")?;
        }
        for alt in &self.alternatives {
            write!(f, " WHEN {} THEN {}", alt.when, alt.then)?;
        }
        if let Some(d) = &self.default {
            write!(f, " ELSE {d}")?;
        }
        f.write_str(" END")
    }
}

impl Display for MapProjectionItem {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match self {
            MapProjectionItem::Property(key) => write!(f, ".{}", Name(key)),
            MapProjectionItem::AllProperties => f.write_str(".*"),
            MapProjectionItem::Literal(key, value) => write!(f, "{}: {value}", Name(key)),
            MapProjectionItem::Variable(v) => Var(&v.name).fmt(f),
        }
    }
}

impl Display for ExistsSubquery {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        f.write_str("EXISTS ")?;
        subquery_body(self, f)
    }
}

/// `{ pattern [WHERE p] }` or `{ query }`.
fn subquery_body(body: &ExistsSubquery, f: &mut Formatter<'_>) -> fmt::Result {
    {
        f.write_str("{ ")?;
        match body {
            ExistsSubquery::Pattern { pattern, predicate } => {
                join(f, pattern, ", ")?;
                if let Some(p) = predicate {
                    write!(f, " WHERE {p}")?;
                }
            }
            ExistsSubquery::Query(q) => q.fmt(f)?,
        }
        f.write_str(" }")
    }
}

impl Display for Expr {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        crate::with_stack(|| self.fmt_inner(f))
    }
}

impl Expr {
    fn fmt_inner(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match &self.kind {
            ExprKind::Literal(l) => l.fmt(f),
            ExprKind::Parameter(p) => p.fmt(f),
            ExprKind::Variable(v) => Var(v).fmt(f),
            ExprKind::List(items) => {
                f.write_str("[")?;
                join(f, items, ", ")?;
                f.write_str("]")
            }
            ExprKind::Map(entries) => {
                f.write_str("{")?;
                join(f, entries, ", ")?;
                f.write_str("}")
            }
            ExprKind::Property { expr, key } => write!(f, "{}.{}", Operand(expr, 11), Name(key)),
            ExprKind::Index { expr, index } => write!(f, "{}[{index}]", Operand(expr, 11)),
            ExprKind::Slice { expr, from, to } => {
                write!(f, "{}[", Operand(expr, 11))?;
                if let Some(from) = from {
                    from.fmt(f)?;
                }
                f.write_str("..")?;
                if let Some(to) = to {
                    to.fmt(f)?;
                }
                f.write_str("]")
            }
            ExprKind::HasLabels { expr, labels } => {
                Operand(expr, 11).fmt(f)?;
                for l in labels {
                    write!(f, ":{}", Name(l))?;
                }
                Ok(())
            }
            ExprKind::Unary { op, expr } => match op {
                UnaryOp::Not => write!(f, "NOT {}", Operand(expr, 4)),
                UnaryOp::Minus => match expr.kind {
                    // A non-negative number right after a minus would fold
                    // into a negative literal: keep it apart.
                    ExprKind::Literal(Literal::Integer(n)) if n >= 0 => write!(f, "-({expr})"),
                    ExprKind::Literal(Literal::Float(x)) if !x.is_sign_negative() => {
                        write!(f, "-({expr})")
                    }
                    _ => write!(f, "-{}", Operand(expr, 10)),
                },
                UnaryOp::Plus => write!(f, "+{}", Operand(expr, 10)),
            },
            ExprKind::Binary { op, left, right } => {
                let bp = binary_bp(*op);
                write!(f, "{} {op} {}", Operand(left, bp), Operand(right, bp + 1))
            }
            ExprKind::Comparison { first, rest } => {
                Operand(first, 6).fmt(f)?;
                for (op, e) in rest {
                    write!(f, " {op} {}", Operand(e, 6))?;
                }
                Ok(())
            }
            ExprKind::IsNull { expr, negated } => {
                let not = if *negated { "NOT " } else { "" };
                write!(f, "{} IS {not}NULL", Operand(expr, 6))
            }
            ExprKind::FunctionCall(call) => call.fmt(f),
            ExprKind::CountStar => f.write_str("count(*)"),
            ExprKind::Case(c) => c.fmt(f),
            ExprKind::ListComprehension(c) => {
                write!(f, "[{} IN {}", Var(&c.variable.name), c.list)?;
                if let Some(p) = &c.predicate {
                    write!(f, " WHERE {p}")?;
                }
                if let Some(p) = &c.projection {
                    write!(f, " | {p}")?;
                }
                f.write_str("]")
            }
            ExprKind::PatternComprehension(c) => {
                f.write_str("[")?;
                if let Some(v) = &c.path_variable {
                    write!(f, "{} = ", Var(&v.name))?;
                }
                c.pattern.fmt(f)?;
                if let Some(p) = &c.predicate {
                    write!(f, " WHERE {p}")?;
                }
                write!(f, " | {}]", c.projection)
            }
            ExprKind::Quantifier(q) => {
                let name = match q.kind {
                    QuantifierKind::All => "all",
                    QuantifierKind::Any => "any",
                    QuantifierKind::None => "none",
                    QuantifierKind::Single => "single",
                };
                write!(f, "{name}({} IN {}", Var(&q.variable.name), q.list)?;
                if let Some(p) = &q.predicate {
                    write!(f, " WHERE {p}")?;
                }
                f.write_str(")")
            }
            ExprKind::Reduce(r) => write!(
                f,
                "reduce({} = {}, {} IN {} | {})",
                Var(&r.accumulator.name),
                r.init,
                Var(&r.variable.name),
                r.list,
                r.expr
            ),
            ExprKind::Pattern(p) => p.fmt(f),
            ExprKind::Exists(e) => e.fmt(f),
            ExprKind::CountSubquery(e) => {
                f.write_str("COUNT ")?;
                subquery_body(e, f)
            }
            ExprKind::CollectSubquery(q) => write!(f, "COLLECT {{ {q} }}"),
            ExprKind::MapProjection(m) => {
                write!(f, "{}{{", Var(&m.variable.name))?;
                join(f, &m.items, ", ")?;
                f.write_str("}")
            }
        }
    }
}
