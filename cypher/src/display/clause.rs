//! Printing clauses, queries and statements.

use std::fmt::{self, Display, Formatter};

use super::{join, Name, Var};
use crate::ast::{
    CallClause, Clause, MergeActionKind, Projection, ProjectionItem, Query, QueryMode, RemoveItem,
    SetItem, SingleQuery, SortItem, SortOrder, Statement, YieldItem,
};

impl Display for Statement {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match self.mode {
            Some(QueryMode::Explain) => f.write_str("EXPLAIN ")?,
            Some(QueryMode::Profile) => f.write_str("PROFILE ")?,
            None => {}
        }
        self.query.fmt(f)
    }
}

impl Display for Query {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        self.first.fmt(f)?;
        for u in &self.unions {
            f.write_str(if u.all { "\nUNION ALL\n" } else { "\nUNION\n" })?;
            u.query.fmt(f)?;
        }
        Ok(())
    }
}

impl Display for SingleQuery {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        join(f, &self.clauses, "\n")
    }
}

impl Display for ProjectionItem {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        self.expr.fmt(f)?;
        if let Some(a) = &self.alias {
            write!(f, " AS {}", Var(&a.name))?;
        }
        Ok(())
    }
}

impl Display for SortItem {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        self.expr.fmt(f)?;
        match self.order {
            Some(SortOrder::Ascending) => f.write_str(" ASC"),
            Some(SortOrder::Descending) => f.write_str(" DESC"),
            None => Ok(()),
        }
    }
}

impl Display for Projection {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        if self.distinct {
            f.write_str("DISTINCT ")?;
        }
        if self.star {
            f.write_str("*")?;
            if !self.items.is_empty() {
                f.write_str(", ")?;
            }
        }
        join(f, &self.items, ", ")?;
        if !self.order_by.is_empty() {
            f.write_str(" ORDER BY ")?;
            join(f, &self.order_by, ", ")?;
        }
        if let Some(s) = &self.skip {
            write!(f, " SKIP {s}")?;
        }
        if let Some(l) = &self.limit {
            write!(f, " LIMIT {l}")?;
        }
        Ok(())
    }
}

impl Display for SetItem {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match self {
            SetItem::Property { property, value } => write!(f, "{property} = {value}"),
            SetItem::Replace { variable, value } => write!(f, "{} = {value}", Var(&variable.name)),
            SetItem::Merge { variable, value } => write!(f, "{} += {value}", Var(&variable.name)),
            SetItem::Labels { variable, labels } => {
                Var(&variable.name).fmt(f)?;
                for l in labels {
                    write!(f, ":{}", Name(l))?;
                }
                Ok(())
            }
        }
    }
}

impl Display for RemoveItem {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match self {
            RemoveItem::Property(p) => p.fmt(f),
            RemoveItem::Labels { variable, labels } => {
                Var(&variable.name).fmt(f)?;
                for l in labels {
                    write!(f, ":{}", Name(l))?;
                }
                Ok(())
            }
        }
    }
}

impl Display for YieldItem {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        Name(&self.field).fmt(f)?;
        if let Some(a) = &self.alias {
            write!(f, " AS {}", Var(&a.name))?;
        }
        Ok(())
    }
}

impl Display for CallClause {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        write!(f, "CALL {}", self.procedure)?;
        if let Some(args) = &self.args {
            f.write_str("(")?;
            join(f, args, ", ")?;
            f.write_str(")")?;
        }
        if let Some(y) = &self.yields {
            f.write_str(" YIELD ")?;
            match &y.items {
                None => f.write_str("*")?,
                Some(items) => join(f, items, ", ")?,
            }
            if let Some(p) = &y.predicate {
                write!(f, " WHERE {p}")?;
            }
        }
        Ok(())
    }
}

impl Display for Clause {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match self {
            Clause::Match(m) => {
                f.write_str(if m.optional {
                    "OPTIONAL MATCH "
                } else {
                    "MATCH "
                })?;
                join(f, &m.pattern, ", ")?;
                if let Some(p) = &m.predicate {
                    write!(f, " WHERE {p}")?;
                }
                Ok(())
            }
            Clause::Unwind(u) => write!(f, "UNWIND {} AS {}", u.expr, Var(&u.variable.name)),
            Clause::With(w) => {
                write!(f, "WITH {}", w.projection)?;
                if let Some(p) = &w.predicate {
                    write!(f, " WHERE {p}")?;
                }
                Ok(())
            }
            Clause::Return(r) => write!(f, "RETURN {}", r.projection),
            Clause::Create(c) => {
                f.write_str("CREATE ")?;
                join(f, &c.pattern, ", ")
            }
            Clause::Merge(m) => {
                write!(f, "MERGE {}", m.pattern)?;
                for a in &m.actions {
                    f.write_str(match a.on {
                        MergeActionKind::Create => " ON CREATE SET ",
                        MergeActionKind::Match => " ON MATCH SET ",
                    })?;
                    join(f, &a.items, ", ")?;
                }
                Ok(())
            }
            Clause::Set(s) => {
                f.write_str("SET ")?;
                join(f, &s.items, ", ")
            }
            Clause::Remove(r) => {
                f.write_str("REMOVE ")?;
                join(f, &r.items, ", ")
            }
            Clause::Delete(d) => {
                f.write_str(if d.detach {
                    "DETACH DELETE "
                } else {
                    "DELETE "
                })?;
                join(f, &d.exprs, ", ")
            }
            Clause::Call(c) => c.fmt(f),
        }
    }
}
