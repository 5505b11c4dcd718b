//! Clauses, queries and the top-level statement.

use super::{Expr, Ident, PatternPart, QualifiedName, Span};

/// A complete statement: an optional `EXPLAIN` / `PROFILE` and a query.
#[derive(Debug, Clone, PartialEq)]
pub struct Statement {
    /// `EXPLAIN` or `PROFILE`, if given.
    pub mode: Option<QueryMode>,
    /// The query.
    pub query: Query,
    /// Where it was written.
    pub span: Span,
}

/// Statement prefixes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum QueryMode {
    /// `EXPLAIN`: plan only.
    Explain,
    /// `PROFILE`: run and report the plan with statistics.
    Profile,
}

/// A query: one single query, or several combined by `UNION [ALL]`.
#[derive(Debug, Clone, PartialEq)]
pub struct Query {
    /// The first single query.
    pub first: SingleQuery,
    /// The `UNION` parts that follow, in order.
    pub unions: Vec<Union>,
    /// Where it was written.
    pub span: Span,
}

/// `UNION [ALL]` and the single query after it.
#[derive(Debug, Clone, PartialEq)]
pub struct Union {
    /// `UNION ALL` keeps duplicates.
    pub all: bool,
    /// The query.
    pub query: SingleQuery,
    /// Where the `UNION` keyword(s) were written.
    pub span: Span,
}

/// A sequence of clauses.
#[derive(Debug, Clone, PartialEq)]
pub struct SingleQuery {
    /// The clauses, in order (at least one).
    pub clauses: Vec<Clause>,
    /// Where it was written.
    pub span: Span,
}

/// A clause.
#[derive(Debug, Clone, PartialEq)]
pub enum Clause {
    /// `[OPTIONAL] MATCH`
    Match(MatchClause),
    /// `UNWIND`
    Unwind(UnwindClause),
    /// `WITH`
    With(WithClause),
    /// `RETURN`
    Return(ReturnClause),
    /// `CREATE`
    Create(CreateClause),
    /// `MERGE`
    Merge(MergeClause),
    /// `SET`
    Set(SetClause),
    /// `REMOVE`
    Remove(RemoveClause),
    /// `[DETACH] DELETE`
    Delete(DeleteClause),
    /// `CALL` a procedure.
    Call(CallClause),
}

impl Clause {
    /// Where the clause was written.
    pub fn span(&self) -> Span {
        match self {
            Clause::Match(c) => c.span,
            Clause::Unwind(c) => c.span,
            Clause::With(c) => c.span,
            Clause::Return(c) => c.span,
            Clause::Create(c) => c.span,
            Clause::Merge(c) => c.span,
            Clause::Set(c) => c.span,
            Clause::Remove(c) => c.span,
            Clause::Delete(c) => c.span,
            Clause::Call(c) => c.span,
        }
    }

    /// The clause keyword(s), e.g. `"OPTIONAL MATCH"`.
    pub fn name(&self) -> &'static str {
        match self {
            Clause::Match(c) if c.optional => "OPTIONAL MATCH",
            Clause::Match(_) => "MATCH",
            Clause::Unwind(_) => "UNWIND",
            Clause::With(_) => "WITH",
            Clause::Return(_) => "RETURN",
            Clause::Create(_) => "CREATE",
            Clause::Merge(_) => "MERGE",
            Clause::Set(_) => "SET",
            Clause::Remove(_) => "REMOVE",
            Clause::Delete(_) => "DELETE",
            Clause::Call(_) => "CALL",
        }
    }

    /// Whether the clause writes to the graph.
    pub fn is_updating(&self) -> bool {
        matches!(
            self,
            Clause::Create(_)
                | Clause::Merge(_)
                | Clause::Set(_)
                | Clause::Remove(_)
                | Clause::Delete(_)
        )
    }
}

/// `[OPTIONAL] MATCH pattern [WHERE predicate]`.
#[derive(Debug, Clone, PartialEq)]
pub struct MatchClause {
    /// `OPTIONAL MATCH`.
    pub optional: bool,
    /// The comma-separated pattern parts.
    pub pattern: Vec<PatternPart>,
    /// The `WHERE` predicate.
    pub predicate: Option<Expr>,
    /// Where it was written.
    pub span: Span,
}

/// `UNWIND expr AS variable`.
#[derive(Debug, Clone, PartialEq)]
pub struct UnwindClause {
    /// The list.
    pub expr: Expr,
    /// The element variable.
    pub variable: Ident,
    /// Where it was written.
    pub span: Span,
}

/// `WITH projection [WHERE predicate]`.
#[derive(Debug, Clone, PartialEq)]
pub struct WithClause {
    /// The projection, ordering and paging.
    pub projection: Projection,
    /// The `WHERE` predicate.
    pub predicate: Option<Expr>,
    /// Where it was written.
    pub span: Span,
}

/// `RETURN projection`.
#[derive(Debug, Clone, PartialEq)]
pub struct ReturnClause {
    /// The projection, ordering and paging.
    pub projection: Projection,
    /// Where it was written.
    pub span: Span,
}

/// The body shared by `WITH` and `RETURN`.
#[derive(Debug, Clone, PartialEq)]
pub struct Projection {
    /// `DISTINCT`.
    pub distinct: bool,
    /// `*` (all variables in scope), possibly followed by more items.
    pub star: bool,
    /// The projected items (after `*`, if given).
    pub items: Vec<ProjectionItem>,
    /// `ORDER BY` items (empty when absent).
    pub order_by: Vec<SortItem>,
    /// `SKIP` amount.
    pub skip: Option<Expr>,
    /// `LIMIT` amount.
    pub limit: Option<Expr>,
}

/// `expr [AS alias]`.
#[derive(Debug, Clone, PartialEq)]
pub struct ProjectionItem {
    /// The value.
    pub expr: Expr,
    /// The alias.
    pub alias: Option<Ident>,
    /// Where it was written.
    pub span: Span,
}

impl ProjectionItem {
    /// The column name in normalized form: the alias, the variable, or
    /// else the expression as the pretty-printer writes it. (Unlike
    /// [`ProjectionItem::column_name`], this does not depend on spacing.)
    pub fn normalized_column_name(&self) -> String {
        if let Some(alias) = &self.alias {
            return alias.name.clone();
        }
        self.expr
            .as_variable()
            .map_or_else(|| self.expr.to_string(), str::to_string)
    }

    /// The column name: the alias, or else the expression exactly as
    /// written in `source` (the query text this item was parsed from).
    pub fn column_name(&self, source: &str) -> String {
        if let Some(alias) = &self.alias {
            return alias.name.clone();
        }
        if let Some(v) = self.expr.as_variable() {
            return v.to_string();
        }
        self.expr
            .span
            .text(source)
            .map_or_else(|| self.expr.to_string(), str::to_string)
    }
}

/// Sort direction.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SortOrder {
    /// `ASC` / `ASCENDING`
    Ascending,
    /// `DESC` / `DESCENDING`
    Descending,
}

/// `expr [ASC|DESC]`.
#[derive(Debug, Clone, PartialEq)]
pub struct SortItem {
    /// The sort key.
    pub expr: Expr,
    /// The direction, if written (ascending by default).
    pub order: Option<SortOrder>,
}

/// `CREATE pattern`.
#[derive(Debug, Clone, PartialEq)]
pub struct CreateClause {
    /// The pattern parts to create.
    pub pattern: Vec<PatternPart>,
    /// Where it was written.
    pub span: Span,
}

/// `MERGE pattern [ON CREATE SET ...] [ON MATCH SET ...]`.
#[derive(Debug, Clone, PartialEq)]
pub struct MergeClause {
    /// The pattern to match or create.
    pub pattern: PatternPart,
    /// The `ON CREATE` / `ON MATCH` actions, in order.
    pub actions: Vec<MergeAction>,
    /// Where it was written.
    pub span: Span,
}

/// `ON CREATE SET ...` or `ON MATCH SET ...`.
#[derive(Debug, Clone, PartialEq)]
pub struct MergeAction {
    /// When the action runs.
    pub on: MergeActionKind,
    /// The assignments.
    pub items: Vec<SetItem>,
}

/// When a MERGE action runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MergeActionKind {
    /// `ON CREATE`
    Create,
    /// `ON MATCH`
    Match,
}

/// `SET item, ...`.
#[derive(Debug, Clone, PartialEq)]
pub struct SetClause {
    /// The assignments.
    pub items: Vec<SetItem>,
    /// Where it was written.
    pub span: Span,
}

/// One assignment of SET.
#[derive(Debug, Clone, PartialEq)]
pub enum SetItem {
    /// `n.prop = value` (`property` is a property-access expression).
    Property {
        /// The property to set.
        property: Expr,
        /// The new value.
        value: Expr,
    },
    /// `n = map` (replace all properties).
    Replace {
        /// The entity.
        variable: Ident,
        /// The new properties.
        value: Expr,
    },
    /// `n += map` (merge properties).
    Merge {
        /// The entity.
        variable: Ident,
        /// The properties to add.
        value: Expr,
    },
    /// `n:A:B`.
    Labels {
        /// The node.
        variable: Ident,
        /// Labels to add.
        labels: Vec<String>,
    },
}

/// `REMOVE item, ...`.
#[derive(Debug, Clone, PartialEq)]
pub struct RemoveClause {
    /// What to remove.
    pub items: Vec<RemoveItem>,
    /// Where it was written.
    pub span: Span,
}

/// One item of REMOVE.
#[derive(Debug, Clone, PartialEq)]
pub enum RemoveItem {
    /// `n.prop` (a property-access expression).
    Property(Expr),
    /// `n:A:B`.
    Labels {
        /// The node.
        variable: Ident,
        /// Labels to remove.
        labels: Vec<String>,
    },
}

/// `[DETACH] DELETE expr, ...`.
#[derive(Debug, Clone, PartialEq)]
pub struct DeleteClause {
    /// `DETACH DELETE` also deletes relationships.
    pub detach: bool,
    /// What to delete.
    pub exprs: Vec<Expr>,
    /// Where it was written.
    pub span: Span,
}

/// `CALL proc(args) [YIELD ...]`.
#[derive(Debug, Clone, PartialEq)]
pub struct CallClause {
    /// The procedure name.
    pub procedure: QualifiedName,
    /// The arguments; `None` when no parentheses were written (implicit
    /// arguments, only allowed for a standalone call).
    pub args: Option<Vec<Expr>>,
    /// The `YIELD` part.
    pub yields: Option<YieldClause>,
    /// Where it was written.
    pub span: Span,
}

/// `YIELD * | field [AS alias], ... [WHERE predicate]`.
#[derive(Debug, Clone, PartialEq)]
pub struct YieldClause {
    /// `YIELD *` when `None`; otherwise the yielded fields.
    pub items: Option<Vec<YieldItem>>,
    /// The `WHERE` predicate.
    pub predicate: Option<Expr>,
    /// Where it was written.
    pub span: Span,
}

/// `field [AS alias]`.
#[derive(Debug, Clone, PartialEq)]
pub struct YieldItem {
    /// The procedure's output field.
    pub field: String,
    /// The variable to bind it to (default: the field name).
    pub alias: Option<Ident>,
    /// Where it was written.
    pub span: Span,
}

impl YieldItem {
    /// The variable this item binds.
    pub fn variable(&self) -> &str {
        self.alias.as_ref().map_or(&self.field, |a| &a.name)
    }
}
