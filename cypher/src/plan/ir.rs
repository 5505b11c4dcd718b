//! The compiled forms the executor runs: expressions with variables
//! resolved to row slots, patterns as matching steps, and clauses as
//! operators.

use std::sync::Arc;

use crate::ast::{BinaryOp, ComparisonOp, QuantifierKind, SortOrder};
use crate::value::CypherValue;

/// A slot in a row.
pub(crate) type Slot = usize;

/// A compiled expression.
#[derive(Debug, Clone)]
pub(crate) enum Expr {
    /// A constant.
    Const(CypherValue),
    /// A variable.
    Slot(Slot),
    /// A parameter, looked up at run time.
    Param(Arc<str>),
    /// `[a, b]`.
    List(Vec<Expr>),
    /// `{k: v}`.
    Map(Vec<(Arc<str>, Expr)>),
    /// `e.key`.
    Property(Box<Expr>, Arc<str>),
    /// `e[i]`.
    Index(Box<Expr>, Box<Expr>),
    /// `e[a..b]`.
    Slice(Box<Expr>, Option<Box<Expr>>, Option<Box<Expr>>),
    /// `n:A:B`.
    HasLabels(Box<Expr>, Vec<Arc<str>>),
    /// `NOT e`.
    Not(Box<Expr>),
    /// `-e`.
    Negate(Box<Expr>),
    /// `+e` (checks the operand is a number).
    UnaryPlus(Box<Expr>),
    /// `a AND b AND ...`.
    And(Vec<Expr>),
    /// `a OR b OR ...`.
    Or(Vec<Expr>),
    /// Any other binary operator.
    Binary(BinaryOp, Box<Expr>, Box<Expr>),
    /// A comparison chain.
    Comparison(Box<Expr>, Vec<(ComparisonOp, Expr)>),
    /// `e IS [NOT] NULL`.
    IsNull(Box<Expr>, bool),
    /// A function call.
    Call(Function, Vec<Expr>),
    /// `CASE`.
    Case(Box<CaseExpr>),
    /// `[x IN list WHERE p | e]`.
    ListComprehension(Box<ListComprehension>),
    /// `all/any/none/single(x IN list WHERE p)`.
    Quantifier(Box<QuantifierExpr>),
    /// `reduce(acc = init, x IN list | e)`.
    Reduce(Box<ReduceExpr>),
    /// A pattern predicate or `EXISTS { pattern }`: true when it matches.
    Exists(Box<SubPattern>),
    /// `[p = pattern WHERE pred | projection]`.
    PatternComprehension(Box<SubPattern>, Box<Expr>),
    /// `EXISTS { MATCH ... RETURN ... }`.
    ExistsQuery(Box<Plan>),
    /// `COUNT { ... }`: the number of rows of the subquery.
    CountQuery(Box<Plan>),
    /// `COLLECT { ... RETURN x }`: the values of its one column.
    CollectQuery(Box<Plan>),
    /// `v{.a, .*, k: e}`.
    MapProjection(Box<Expr>, Vec<MapProjectionItem>),
    /// `shortestPath(...)` / `allShortestPaths(...)` as a value.
    ShortestPath(Box<SubPattern>, bool),
}

/// The function a call resolves to.
#[derive(Debug, Clone)]
pub(crate) enum Function {
    /// A graph function implemented by the executor.
    Graph(GraphFunction),
    /// A pure function of [`crate::functions`].
    Scalar(Arc<str>),
    /// A function of [`crate::temporal`].
    Temporal(Arc<str>),
}

/// Functions that read the graph.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum GraphFunction {
    Id,
    ElementId,
    Labels,
    Type,
    Keys,
    Properties,
    Nodes,
    Relationships,
    Length,
    StartNode,
    EndNode,
    Exists,
    Size,
}

#[derive(Debug, Clone)]
pub(crate) struct CaseExpr {
    pub(crate) operand: Option<Expr>,
    pub(crate) alternatives: Vec<(Expr, Expr)>,
    pub(crate) default: Option<Expr>,
}

#[derive(Debug, Clone)]
pub(crate) struct ListComprehension {
    pub(crate) slot: Slot,
    pub(crate) list: Expr,
    pub(crate) predicate: Option<Expr>,
    pub(crate) projection: Option<Expr>,
}

#[derive(Debug, Clone)]
pub(crate) struct QuantifierExpr {
    pub(crate) kind: QuantifierKind,
    pub(crate) slot: Slot,
    pub(crate) list: Expr,
    pub(crate) predicate: Option<Expr>,
}

#[derive(Debug, Clone)]
pub(crate) struct ReduceExpr {
    pub(crate) accumulator: Slot,
    pub(crate) init: Expr,
    pub(crate) slot: Slot,
    pub(crate) list: Expr,
    pub(crate) expr: Expr,
}

#[derive(Debug, Clone)]
pub(crate) enum MapProjectionItem {
    Property(Arc<str>),
    AllProperties,
    Entry(Arc<str>, Expr),
}

/// A pattern evaluated inside an expression: matched against the current
/// row (its bound variables stay fixed), with slots of its own for the
/// variables it introduces. Its `WHERE`, if any, is among its steps.
#[derive(Debug, Clone)]
pub(crate) struct SubPattern {
    /// Shared, so that evaluating it for each row copies nothing.
    pub(crate) pattern: Arc<PatternPlan>,
}

/// Where a node step starts.
#[derive(Debug, Clone)]
pub(crate) enum NodeSource {
    /// Every node.
    All,
    /// Nodes with this label.
    Label(Arc<str>),
    /// The node of `label` whose indexed `key` equals the expression.
    IndexSeek {
        label: Arc<str>,
        key: Arc<str>,
        value: Expr,
    },
    /// `id(n) = expr`.
    ById(Expr),
}

/// Which way an expansion goes, relative to the pattern's arrow.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ExpandDirection {
    /// Follow outgoing relationships.
    Outgoing,
    /// Follow incoming relationships.
    Incoming,
    /// Both ways.
    Both,
}

/// A node pattern's checks.
#[derive(Debug, Clone, Default)]
pub(crate) struct NodeCheck {
    pub(crate) labels: Vec<Arc<str>>,
    pub(crate) properties: Vec<(Arc<str>, Expr)>,
    /// A whole property map given as a parameter or expression.
    pub(crate) property_map: Option<Expr>,
}

/// One step of matching a pattern.
#[derive(Debug, Clone)]
pub(crate) enum MatchStep {
    /// Bind `slot` to each node from `source` that passes `check`.
    Scan {
        slot: Slot,
        source: NodeSource,
        check: NodeCheck,
    },
    /// `slot` is bound already (from an earlier clause or step): check it.
    /// A null binding fails the match.
    CheckBound { slot: Slot, check: NodeCheck },
    /// Expand one relationship from `from` to `to`.
    Expand(Box<Expand>),
    /// Evaluate a predicate; rows where it is not true are dropped.
    Filter(Expr),
    /// Build a path value into `slot`.
    BuildPath { slot: Slot, parts: Vec<PathPart> },
    /// Bind each shortest path between two bound nodes (one, or all of
    /// them): the relationship list into `expand.rel`, the path into `path`.
    Shortest {
        expand: Box<Expand>,
        path: Option<Slot>,
        all: bool,
    },
}

/// The pieces of a named path.
#[derive(Debug, Clone, Copy)]
pub(crate) enum PathPart {
    /// The start node.
    Node(Slot),
    /// A single relationship.
    Rel(Slot),
    /// A variable-length relationship list.
    RelList(Slot),
}

#[derive(Debug, Clone)]
pub(crate) struct Expand {
    pub(crate) from: Slot,
    pub(crate) rel: Slot,
    pub(crate) to: Slot,
    pub(crate) direction: ExpandDirection,
    pub(crate) types: Vec<Arc<str>>,
    pub(crate) rel_properties: Vec<(Arc<str>, Expr)>,
    pub(crate) rel_property_map: Option<Expr>,
    /// `Some((min, max))` for a variable-length relationship (the slot then
    /// holds a list of relationships).
    pub(crate) var_length: Option<(u64, Option<u64>)>,
    /// `true` when `to` is already bound: the expansion checks it.
    pub(crate) to_bound: bool,
    pub(crate) to_check: NodeCheck,
    /// Relationship slots bound earlier in the same MATCH, which this one
    /// must differ from (relationship isomorphism).
    pub(crate) distinct_from: Vec<Slot>,
    /// `true` when the relationship variable is bound already.
    pub(crate) rel_bound: bool,
    /// `true` when the expansion runs against the pattern's arrow order (a
    /// variable-length list is then reversed into pattern order).
    pub(crate) reversed: bool,
}

/// A compiled pattern: steps, and the slots it binds.
#[derive(Debug, Clone, Default)]
pub(crate) struct PatternPlan {
    pub(crate) steps: Vec<MatchStep>,
    /// Slots this pattern binds (nulled by OPTIONAL MATCH on no match).
    pub(crate) binds: Vec<Slot>,
}

/// An aggregate to compute per group.
#[derive(Debug, Clone)]
pub(crate) struct AggregateSpec {
    /// Lowercase function name, or `count(*)` as `"count*"`.
    pub(crate) name: Arc<str>,
    pub(crate) distinct: bool,
    pub(crate) args: Vec<Expr>,
}

/// A sort key.
#[derive(Debug, Clone)]
pub(crate) struct SortKey {
    pub(crate) expr: Expr,
    pub(crate) order: SortOrder,
}

/// One node or relationship to create.
#[derive(Debug, Clone)]
pub(crate) enum CreateItem {
    Node {
        slot: Slot,
        labels: Vec<Arc<str>>,
        properties: Option<Expr>,
    },
    Rel {
        slot: Slot,
        start: Slot,
        end: Slot,
        rel_type: Arc<str>,
        properties: Option<Expr>,
    },
    Path {
        slot: Slot,
        parts: Vec<PathPart>,
    },
}

/// A SET / REMOVE action.
#[derive(Debug, Clone)]
pub(crate) enum SetAction {
    Property {
        target: Expr,
        key: Arc<str>,
        value: Expr,
    },
    Replace {
        target: Expr,
        value: Expr,
    },
    Merge {
        target: Expr,
        value: Expr,
    },
    AddLabels {
        target: Expr,
        labels: Vec<Arc<str>>,
    },
    RemoveLabels {
        target: Expr,
        labels: Vec<Arc<str>>,
    },
}

/// A procedure call.
#[derive(Debug, Clone)]
pub(crate) struct ProcedureCall {
    pub(crate) name: String,
    pub(crate) args: Vec<Expr>,
    /// (output field, slot) pairs to bind.
    pub(crate) yields: Vec<(String, Slot)>,
    /// A standalone call without YIELD returns every output field.
    pub(crate) standalone: bool,
}

/// An operator of the plan.
#[derive(Debug, Clone)]
pub(crate) enum Operator {
    /// One empty row (or the argument row of a subquery).
    Start,
    /// `MATCH` / `OPTIONAL MATCH`.
    Match {
        pattern: Arc<PatternPlan>,
        optional: bool,
    },
    /// `UNWIND`.
    Unwind { expr: Expr, slot: Slot },
    /// Compute columns into slots.
    Project { items: Vec<(Slot, Expr)> },
    /// Group and aggregate: keys into slots, aggregates into slots.
    Aggregate {
        keys: Vec<(Slot, Expr)>,
        aggregates: Vec<(Slot, AggregateSpec)>,
    },
    /// Keep rows where the predicate is true.
    Filter(Expr),
    /// Drop duplicate rows, by the given slots.
    Distinct { slots: Vec<Slot> },
    /// Sort.
    Sort { keys: Vec<SortKey> },
    /// Skip rows.
    Skip(Expr),
    /// Stop after rows. With `drain`, keep pulling (and dropping) the
    /// input after the limit, so that earlier updates still happen.
    Limit { amount: Expr, drain: bool },
    /// Keep only these slots, in this order (the new row layout).
    Select { slots: Vec<Slot> },
    /// Materialise all input rows before passing any on.
    Eager,
    /// `CREATE`.
    Create { items: Vec<CreateItem> },
    /// `MERGE`.
    Merge {
        pattern: Arc<PatternPlan>,
        create: Vec<CreateItem>,
        on_create: Vec<SetAction>,
        on_match: Vec<SetAction>,
    },
    /// `SET` / `REMOVE`.
    Set { actions: Vec<SetAction> },
    /// `[DETACH] DELETE`.
    Delete { exprs: Vec<Expr>, detach: bool },
    /// `CALL`.
    Call(ProcedureCall),
}

/// A linear plan: operators applied in order to the rows of the first.
#[derive(Debug, Clone)]
pub(crate) struct Plan {
    pub(crate) operators: Vec<Operator>,
    /// Number of slots a row has.
    pub(crate) width: usize,
    /// The result columns: names and the slots they come from.
    pub(crate) columns: Vec<(String, Slot)>,
}

/// A whole query: single queries joined by UNION.
#[derive(Debug, Clone)]
pub(crate) struct QueryPlan {
    pub(crate) parts: Vec<Plan>,
    /// `true` for UNION (deduplicate), `false` for UNION ALL.
    pub(crate) distinct_union: bool,
    pub(crate) columns: Vec<String>,
    pub(crate) writes: bool,
}
