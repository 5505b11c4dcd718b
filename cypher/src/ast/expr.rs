//! Expressions.

use super::{Ident, PatternElement, PatternPart, Query, Span};

/// An expression and where it was written.
#[derive(Debug, Clone, PartialEq)]
pub struct Expr {
    /// What the expression is.
    pub kind: ExprKind,
    /// Where it was written (parentheses around it excluded).
    pub span: Span,
}

impl Expr {
    /// A new expression.
    pub fn new(kind: ExprKind, span: Span) -> Self {
        Self { kind, span }
    }

    /// The variable name if this is a bare variable.
    pub fn as_variable(&self) -> Option<&str> {
        match &self.kind {
            ExprKind::Variable(v) => Some(v),
            _ => None,
        }
    }
}

/// The kinds of expression.
#[derive(Debug, Clone, PartialEq)]
pub enum ExprKind {
    /// A literal value.
    Literal(Literal),
    /// A parameter `$name` or `$0`.
    Parameter(Parameter),
    /// A variable reference.
    Variable(String),
    /// A list literal `[a, b]`.
    List(Vec<Expr>),
    /// A map literal `{k: v}`.
    Map(Vec<MapEntry>),
    /// Property access `expr.key`.
    Property {
        /// The map, node or relationship.
        expr: Box<Expr>,
        /// The property key.
        key: String,
    },
    /// Element access `expr[index]`.
    Index {
        /// The list or map.
        expr: Box<Expr>,
        /// The index or key.
        index: Box<Expr>,
    },
    /// Slice `expr[from..to]` (either bound may be missing).
    Slice {
        /// The list.
        expr: Box<Expr>,
        /// Inclusive start.
        from: Option<Box<Expr>>,
        /// Exclusive end.
        to: Option<Box<Expr>>,
    },
    /// Label predicate `n:A:B`.
    HasLabels {
        /// The node (or relationship).
        expr: Box<Expr>,
        /// The labels, all of which must be present.
        labels: Vec<String>,
    },
    /// A prefix operator.
    Unary {
        /// The operator.
        op: UnaryOp,
        /// The operand.
        expr: Box<Expr>,
    },
    /// A binary operator other than a comparison.
    Binary {
        /// The operator.
        op: BinaryOp,
        /// Left operand.
        left: Box<Expr>,
        /// Right operand.
        right: Box<Expr>,
    },
    /// A comparison chain: `a < b <= c` means `a < b AND b <= c`.
    /// A single comparison has one element in `rest`.
    Comparison {
        /// The first operand.
        first: Box<Expr>,
        /// Each further operator and operand, in order (never empty).
        rest: Vec<(ComparisonOp, Expr)>,
    },
    /// `expr IS NULL` or `expr IS NOT NULL`.
    IsNull {
        /// The operand.
        expr: Box<Expr>,
        /// `true` for `IS NOT NULL`.
        negated: bool,
    },
    /// A function call, e.g. `toUpper(s)`, `date.truncate(...)`,
    /// `count(DISTINCT x)`.
    FunctionCall(FunctionCall),
    /// `count(*)`.
    CountStar,
    /// `CASE ... END`.
    Case(CaseExpr),
    /// `[x IN list WHERE pred | expr]`.
    ListComprehension(Box<ListComprehension>),
    /// `[p = (a)-->(b) WHERE pred | expr]`.
    PatternComprehension(Box<PatternComprehension>),
    /// `all/any/none/single(x IN list WHERE pred)`.
    Quantifier(Box<Quantifier>),
    /// `reduce(acc = init, x IN list | expr)`.
    Reduce(Box<Reduce>),
    /// A pattern used as a predicate (`WHERE (a)-->(b)`), or
    /// `shortestPath(...)` / `allShortestPaths(...)` used as a value.
    Pattern(Box<PatternElement>),
    /// `EXISTS { ... }`.
    Exists(Box<ExistsSubquery>),
    /// `COUNT { ... }` (Neo4j 5): how many rows the subquery, or matches
    /// the pattern, has.
    CountSubquery(Box<ExistsSubquery>),
    /// `COLLECT { ... RETURN x }` (Neo4j 5): the values of the subquery's
    /// one column, as a list in row order.
    CollectSubquery(Box<Query>),
    /// Map projection `n{.name, .*, key: expr, var}`.
    MapProjection(Box<MapProjection>),
}

/// A literal value.
#[derive(Debug, Clone, PartialEq)]
pub enum Literal {
    /// `null`.
    Null,
    /// `true` / `false`.
    Boolean(bool),
    /// A 64-bit signed integer (a leading minus is folded in).
    Integer(i64),
    /// A 64-bit float.
    Float(f64),
    /// A string, unescaped.
    String(String),
}

/// A parameter reference.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Parameter {
    /// `$name`.
    Named(String),
    /// `$0`, `$1`, ...
    Positional(u64),
}

/// One `key: value` entry of a map literal.
#[derive(Debug, Clone, PartialEq)]
pub struct MapEntry {
    /// The key.
    pub key: String,
    /// The value.
    pub value: Expr,
}

/// Prefix operators.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum UnaryOp {
    /// `NOT`
    Not,
    /// unary `-`
    Minus,
    /// unary `+`
    Plus,
}

/// Binary operators other than comparisons.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BinaryOp {
    /// `OR`
    Or,
    /// `XOR`
    Xor,
    /// `AND`
    And,
    /// `+`
    Add,
    /// `-`
    Subtract,
    /// `*`
    Multiply,
    /// `/`
    Divide,
    /// `%`
    Modulo,
    /// `^`
    Power,
    /// `IN`
    In,
    /// `STARTS WITH`
    StartsWith,
    /// `ENDS WITH`
    EndsWith,
    /// `CONTAINS`
    Contains,
    /// `=~`
    RegexMatch,
}

/// Comparison operators (these chain).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ComparisonOp {
    /// `=`
    Eq,
    /// `<>`
    Neq,
    /// `<`
    Lt,
    /// `>`
    Gt,
    /// `<=`
    Le,
    /// `>=`
    Ge,
}

/// A (possibly namespaced) function or procedure name, e.g. `db.labels`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct QualifiedName {
    /// The namespace parts (`["db"]` for `db.labels`), possibly empty.
    pub namespace: Vec<String>,
    /// The final name.
    pub name: String,
}

impl QualifiedName {
    /// The full dotted name, e.g. `date.truncate`.
    pub fn full_name(&self) -> String {
        let mut s = String::new();
        for part in &self.namespace {
            s.push_str(part);
            s.push('.');
        }
        s.push_str(&self.name);
        s
    }
}

/// A function call.
#[derive(Debug, Clone, PartialEq)]
pub struct FunctionCall {
    /// The function name.
    pub name: QualifiedName,
    /// `count(DISTINCT x)`.
    pub distinct: bool,
    /// The arguments.
    pub args: Vec<Expr>,
}

/// `CASE [operand] WHEN ... THEN ... [ELSE ...] END`.
#[derive(Debug, Clone, PartialEq)]
pub struct CaseExpr {
    /// The operand of a simple CASE; `None` for a generic CASE.
    pub operand: Option<Box<Expr>>,
    /// `WHEN` / `THEN` pairs, at least one.
    pub alternatives: Vec<CaseAlternative>,
    /// The `ELSE` value.
    pub default: Option<Box<Expr>>,
}

/// One `WHEN ... THEN ...` of a CASE.
#[derive(Debug, Clone, PartialEq)]
pub struct CaseAlternative {
    /// The condition (generic CASE) or value to compare (simple CASE).
    pub when: Expr,
    /// The result.
    pub then: Expr,
}

/// `[x IN list WHERE pred | expr]`.
#[derive(Debug, Clone, PartialEq)]
pub struct ListComprehension {
    /// The element variable.
    pub variable: Ident,
    /// The list iterated over.
    pub list: Expr,
    /// The filter.
    pub predicate: Option<Expr>,
    /// The mapping.
    pub projection: Option<Expr>,
}

/// `[p = (a)-->(b) WHERE pred | expr]`.
#[derive(Debug, Clone, PartialEq)]
pub struct PatternComprehension {
    /// The path variable.
    pub path_variable: Option<Ident>,
    /// The pattern.
    pub pattern: PatternElement,
    /// The filter.
    pub predicate: Option<Expr>,
    /// The mapping.
    pub projection: Expr,
}

/// Which list quantifier.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum QuantifierKind {
    /// `all(...)`
    All,
    /// `any(...)`
    Any,
    /// `none(...)`
    None,
    /// `single(...)`
    Single,
}

/// `all/any/none/single(x IN list WHERE pred)`.
#[derive(Debug, Clone, PartialEq)]
pub struct Quantifier {
    /// Which quantifier.
    pub kind: QuantifierKind,
    /// The element variable.
    pub variable: Ident,
    /// The list.
    pub list: Expr,
    /// The predicate (optional in the grammar).
    pub predicate: Option<Expr>,
}

/// `reduce(acc = init, x IN list | expr)`.
#[derive(Debug, Clone, PartialEq)]
pub struct Reduce {
    /// The accumulator variable.
    pub accumulator: Ident,
    /// The accumulator's initial value.
    pub init: Expr,
    /// The element variable.
    pub variable: Ident,
    /// The list.
    pub list: Expr,
    /// The step expression.
    pub expr: Expr,
}

/// The body of `EXISTS { ... }` (and of `COUNT { ... }`).
#[derive(Debug, Clone, PartialEq)]
pub enum ExistsSubquery {
    /// `EXISTS { (a)-->(b), ... WHERE pred }`.
    Pattern {
        /// The patterns.
        pattern: Vec<PatternPart>,
        /// The filter.
        predicate: Option<Expr>,
    },
    /// `EXISTS { MATCH ... RETURN ... }`.
    Query(Query),
}

/// `var{ ... }`.
#[derive(Debug, Clone, PartialEq)]
pub struct MapProjection {
    /// The projected variable.
    pub variable: Ident,
    /// The selectors, in order.
    pub items: Vec<MapProjectionItem>,
}

/// One selector of a map projection.
#[derive(Debug, Clone, PartialEq)]
pub enum MapProjectionItem {
    /// `.key`
    Property(String),
    /// `.*`
    AllProperties,
    /// `key: expr`
    Literal(String, Expr),
    /// `var` (a variable, keyed by its name)
    Variable(Ident),
}
