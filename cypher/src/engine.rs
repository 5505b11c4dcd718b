//! Running queries: parse, plan, execute in one read version or one write
//! transaction, and hand back the rows with what they need to be rendered.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::fmt::Write as _;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;
use std::time::{Duration, Instant};

use graph_model::{Database, GraphState, NodeId, RelId, Value, WriteTxn};

use crate::ast::QueryMode;
use crate::error::{CypherError, QueryError, QueryErrorKind};
use crate::exec::{self, Ctx, DeletedEntity, GraphAccess, Guard, Row, UpdateStats};
use crate::plan::ir::{Operator, QueryPlan};
use crate::plan::Compiler;
use crate::security::{AccessPolicy, PropertyMask};
use crate::value::CypherValue;

/// Query parameters by name.
pub type Params = BTreeMap<String, CypherValue>;

/// How a query may run.
#[derive(Clone, Debug)]
pub struct QueryOptions {
    /// Refuse queries that write (before they run).
    pub read_only: bool,
    /// Stop the query after this long (default 30 s; `None`: no limit).
    pub timeout: Option<Duration>,
    /// Most rows the query may hold in memory at once, in sorts, groups,
    /// `DISTINCT` and its result (default 5,000,000).
    pub max_rows: usize,
    /// Set to `true` (by another thread) to stop the query.
    pub cancel: Option<Arc<AtomicBool>>,
    /// Procedures besides the built-in ones.
    pub procedures: Option<Arc<Procedures>>,
    /// What the query may see and write (`None`: everything).
    pub policy: Option<Arc<AccessPolicy>>,
}

impl Default for QueryOptions {
    fn default() -> Self {
        QueryOptions {
            read_only: false,
            timeout: Some(Duration::from_secs(30)),
            max_rows: 5_000_000,
            cancel: None,
            procedures: None,
            policy: None,
        }
    }
}

/// A procedure defined by a table: calling it with arguments yields the
/// output columns of the rows whose input columns equal the arguments.
#[derive(Clone, Debug)]
pub struct TableProcedure {
    /// The qualified name, e.g. `test.my.proc`.
    pub name: String,
    /// Input parameter names.
    pub inputs: Vec<String>,
    /// Declared input types (`INTEGER?`, `FLOAT`, `NUMBER?`, `STRING?`,
    /// `BOOLEAN?`, `ANY?`...), checked against literal arguments when the
    /// query is planned. May be empty (no checks).
    pub input_types: Vec<String>,
    /// Output field names.
    pub outputs: Vec<String>,
    /// Rows: the input values, then the output values.
    pub rows: Vec<Vec<CypherValue>>,
}

impl TableProcedure {
    /// The output rows for these arguments.
    pub(crate) fn call(&self, args: &[CypherValue]) -> Vec<Vec<(String, CypherValue)>> {
        let n = self.inputs.len();
        self.rows
            .iter()
            .filter(|row| {
                row.iter()
                    .take(n)
                    .zip(args)
                    .all(|(a, b)| a == b || a.equals(b) == Some(true))
            })
            .map(|row| {
                self.outputs
                    .iter()
                    .cloned()
                    .zip(row.iter().skip(n).cloned())
                    .collect()
            })
            .collect()
    }
}

/// Registered procedures, by lowercase name.
#[derive(Clone, Debug, Default)]
pub struct Procedures {
    by_name: HashMap<String, TableProcedure>,
}

impl Procedures {
    /// Registers (or replaces) a procedure.
    pub fn register(&mut self, procedure: TableProcedure) {
        self.by_name
            .insert(procedure.name.to_ascii_lowercase(), procedure);
    }

    /// A procedure by lowercase name.
    pub(crate) fn get(&self, name: &str) -> Option<&TableProcedure> {
        self.by_name.get(name)
    }
}

/// One operator of a plan, for EXPLAIN and PROFILE.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PlanOperator {
    /// The operator, e.g. `NodeIndexSeek(Patient.id)`.
    pub name: String,
    /// Rows it produced (PROFILE only).
    pub rows: Option<u64>,
    /// Time spent in it and below it, in microseconds (PROFILE only).
    pub time_micros: Option<u64>,
}

/// The plan of a query: one list of operators per UNION part.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PlanDescription {
    /// The parts; each lists operators from the first (leaf) to the last.
    pub parts: Vec<Vec<PlanOperator>>,
}

impl std::fmt::Display for PlanDescription {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for (i, part) in self.parts.iter().enumerate() {
            if i > 0 {
                writeln!(f, "UNION")?;
            }
            for (depth, op) in part.iter().rev().enumerate() {
                let mut line = format!("{}+{}", "| ".repeat(depth.min(1)), op.name);
                if let (Some(rows), Some(t)) = (op.rows, op.time_micros) {
                    let _ = write!(line, "  rows={rows} time={t}us");
                }
                writeln!(f, "{line}")?;
            }
        }
        Ok(())
    }
}

/// The result of a query.
#[derive(Clone, Debug)]
pub struct QueryOutput {
    /// Column names.
    pub columns: Vec<String>,
    /// Rows, one value per column.
    pub rows: Vec<Vec<CypherValue>>,
    /// What the query changed.
    pub stats: UpdateStats,
    /// The graph version the rows' nodes and relationships belong to.
    pub graph: Arc<GraphState>,
    /// Entities the query deleted (results may still show them).
    pub deleted_nodes: Arc<HashMap<NodeId, DeletedEntity>>,
    /// See [`QueryOutput::deleted_nodes`].
    pub deleted_relationships: Arc<HashMap<RelId, DeletedEntity>>,
    /// The plan, for EXPLAIN and PROFILE.
    pub plan: Option<PlanDescription>,
    /// `true` when the query could write.
    pub writes: bool,
    /// The subject nodes (see [`crate::security`]) whose properties the
    /// query read or that its results hold, in id order; empty unless the
    /// policy asked for them.
    pub touched_subjects: Vec<NodeId>,
    /// The property mask the results are shown through.
    pub mask: Option<Arc<PropertyMask>>,
}

/// A node as results show it.
#[derive(Clone, Debug, PartialEq)]
pub struct NodeView {
    /// The id.
    pub id: NodeId,
    /// Labels.
    pub labels: Vec<Arc<str>>,
    /// Properties, by key.
    pub properties: BTreeMap<Arc<str>, Value>,
}

/// A relationship as results show it.
#[derive(Clone, Debug, PartialEq)]
pub struct RelationshipView {
    /// The id.
    pub id: RelId,
    /// The type.
    pub rel_type: Arc<str>,
    /// Start node.
    pub start: NodeId,
    /// End node.
    pub end: NodeId,
    /// Properties, by key.
    pub properties: BTreeMap<Arc<str>, Value>,
}

impl QueryOutput {
    /// A node of the results, with labels and properties.
    pub fn node(&self, id: NodeId) -> Option<NodeView> {
        let state = &self.graph;
        if let Some(record) = state.node(id) {
            return Some(NodeView {
                id,
                labels: record
                    .labels()
                    .iter()
                    .map(|l| Arc::from(state.label_name(*l)))
                    .collect(),
                properties: record
                    .properties()
                    .iter()
                    .map(|(k, v)| (Arc::from(state.prop_key_name(k)), v.clone()))
                    .collect(),
            })
            .map(|view| self.masked(view));
        }
        self.deleted_nodes
            .get(&id)
            .map(|d| NodeView {
                id,
                labels: d.labels.clone(),
                properties: d.properties.clone(),
            })
            .map(|view| self.masked(view))
    }

    fn masked(&self, view: NodeView) -> NodeView {
        let Some(mask) = &self.mask else {
            return view;
        };
        let properties = mask
            .apply_all(&view.labels, view.properties)
            .into_iter()
            .collect();
        NodeView { properties, ..view }
    }

    /// A relationship of the results, with type, ends and properties.
    pub fn relationship(&self, id: RelId) -> Option<RelationshipView> {
        let state = &self.graph;
        if let Some(record) = state.rel(id) {
            return Some(RelationshipView {
                id,
                rel_type: state.rel_type_name(record.rel_type()).into(),
                start: record.start(),
                end: record.end(),
                properties: record
                    .properties()
                    .iter()
                    .map(|(k, v)| (Arc::from(state.prop_key_name(k)), v.clone()))
                    .collect(),
            });
        }
        self.deleted_relationships.get(&id).and_then(|d| {
            let (start, end) = d.ends?;
            Some(RelationshipView {
                id,
                rel_type: d.labels.first().cloned().unwrap_or_else(|| Arc::from("")),
                start,
                end,
                properties: d.properties.clone(),
            })
        })
    }
}

fn describe(plan: &QueryPlan) -> PlanDescription {
    PlanDescription {
        parts: plan
            .parts
            .iter()
            .map(|p| {
                p.operators
                    .iter()
                    .map(|op| PlanOperator {
                        name: operator_name(op),
                        rows: None,
                        time_micros: None,
                    })
                    .collect()
            })
            .collect(),
    }
}

fn operator_name(op: &Operator) -> String {
    use crate::plan::ir::{MatchStep, NodeSource};
    match op {
        Operator::Start => "Argument".into(),
        Operator::Match { pattern, optional } => {
            let steps: Vec<String> = pattern
                .steps
                .iter()
                .map(|s| match s {
                    MatchStep::Scan { source, .. } => match source {
                        NodeSource::All => "AllNodesScan".into(),
                        NodeSource::Label(l) => format!("NodeByLabelScan(:{l})"),
                        NodeSource::IndexSeek { label, key, .. } => {
                            format!("NodeIndexSeek(:{label}.{key})")
                        }
                        NodeSource::ById(_) => "NodeByIdSeek".into(),
                    },
                    MatchStep::CheckBound { .. } => "Argument".into(),
                    MatchStep::Expand(e) => {
                        let kind = if e.var_length.is_some() {
                            "VarLengthExpand"
                        } else if e.to_bound {
                            "Expand(Into)"
                        } else {
                            "Expand(All)"
                        };
                        let types = e.types.join("|");
                        format!("{kind}({:?} :{types})", e.direction)
                    }
                    MatchStep::Filter(_) => "Filter".into(),
                    MatchStep::BuildPath { .. } => "ProjectPath".into(),
                    MatchStep::Shortest { all, .. } => {
                        if *all {
                            "AllShortestPaths".into()
                        } else {
                            "ShortestPath".into()
                        }
                    }
                })
                .collect();
            let name = if *optional { "OptionalMatch" } else { "Match" };
            format!("{name}[{}]", steps.join(" -> "))
        }
        Operator::Unwind { .. } => "Unwind".into(),
        Operator::Project { .. } => "Projection".into(),
        Operator::Aggregate { keys, .. } => {
            if keys.is_empty() {
                "Aggregation".into()
            } else {
                "EagerAggregation".into()
            }
        }
        Operator::Filter(_) => "Filter".into(),
        Operator::Distinct { .. } => "Distinct".into(),
        Operator::Sort { .. } => "Sort".into(),
        Operator::Skip(_) => "Skip".into(),
        Operator::Limit { .. } => "Limit".into(),
        Operator::Select { .. } => "ProduceResults".into(),
        Operator::Eager => "Eager".into(),
        Operator::Create { .. } => "Create".into(),
        Operator::Merge { .. } => "Merge".into(),
        Operator::Set { .. } => "SetProperties".into(),
        Operator::Delete { detach, .. } => {
            if *detach {
                "DetachDelete".into()
            } else {
                "Delete".into()
            }
        }
        Operator::Call(c) => format!("ProcedureCall({})", c.name),
    }
}

/// A planned statement, as the plan cache keeps it.
struct Planned {
    mode: Option<QueryMode>,
    plan: QueryPlan,
}

/// Plans by query text, parameter names, index set and graph size class
/// (a plan is re-made when the graph has grown or shrunk twofold). Plans
/// that depend on registered procedures are not cached.
static PLAN_CACHE: std::sync::LazyLock<moka::sync::Cache<String, Arc<Planned>>> =
    std::sync::LazyLock::new(|| moka::sync::Cache::new(4_096));

fn cache_key(query: &str, params: &Params, graph: &GraphState) -> String {
    let mut key = String::with_capacity(query.len() + 64);
    key.push_str(query);
    key.push('\u{0}');
    for name in params.keys() {
        key.push_str(name);
        key.push(',');
    }
    let mut hasher = std::hash::DefaultHasher::new();
    std::hash::Hash::hash(&graph.indexes(), &mut hasher);
    let _ = write!(
        key,
        "\u{0}{:x}\u{0}{}",
        std::hash::Hasher::finish(&hasher),
        64 - graph.node_count().leading_zeros()
    );
    key
}

/// Parses and plans `query`, or takes the plan from the cache.
fn planned(
    query: &str,
    graph: &GraphState,
    params: &Params,
    options: &QueryOptions,
) -> Result<Arc<Planned>, CypherError> {
    let cacheable = options.procedures.is_none();
    let key = cacheable.then(|| cache_key(query, params, graph));
    if let Some(hit) = key.as_ref().and_then(|k| PLAN_CACHE.get(k)) {
        return Ok(hit);
    }
    let statement = crate::parse(query)?;
    let plan = compile(query, &statement.query, graph, params, options)?;
    let planned = Arc::new(Planned {
        mode: statement.mode,
        plan,
    });
    if let Some(key) = key {
        PLAN_CACHE.insert(key, planned.clone());
    }
    Ok(planned)
}

fn access_mode_error() -> CypherError {
    QueryError::new(
        QueryErrorKind::AccessMode,
        None,
        "Writing is not allowed in a read-only transaction",
    )
    .at_compile_time()
    .into()
}

/// Runs one query on `db`: reads on the newest version, writes in one
/// transaction that commits only if the whole query succeeds.
pub fn execute(
    db: &Database,
    query: &str,
    params: &Params,
    options: &QueryOptions,
) -> Result<QueryOutput, CypherError> {
    let state = db.snapshot();
    let planned = planned(query, &state, params, options)?;
    if planned.plan.writes && planned.mode != Some(QueryMode::Explain) {
        if options.read_only {
            return Err(access_mode_error());
        }
        drop(state);
        let txn = db.begin_write();
        let graph = GraphAccess::Write(Box::new(txn));
        let (mut output, graph) = run(&planned.plan, planned.mode, graph, params, options)?;
        let GraphAccess::Write(txn) = graph else {
            unreachable!("a write query runs in a write transaction")
        };
        txn.commit()
            .map_err(|e| CypherError::from(exec::store_error(e)))?;
        output.graph = db.snapshot();
        return Ok(output);
    }
    run(
        &planned.plan,
        planned.mode,
        GraphAccess::Read(state),
        params,
        options,
    )
    .map(|(output, _)| output)
}

/// Runs one query inside an open write transaction, for a transaction of
/// several statements: the query reads the transaction's own changes and
/// its changes stay in the transaction (committed or rolled back by the
/// caller). On success the transaction is handed back; on an error it is
/// dropped, which discards every change made in it, as a failing statement
/// fails its whole transaction. `options.read_only` refuses writing
/// queries (and the transaction with them).
pub fn execute_in<'db>(
    txn: WriteTxn<'db>,
    query: &str,
    params: &Params,
    options: &QueryOptions,
) -> Result<(QueryOutput, WriteTxn<'db>), CypherError> {
    let planned = planned(query, txn.view(), params, options)?;
    if options.read_only && planned.plan.writes && planned.mode != Some(QueryMode::Explain) {
        return Err(access_mode_error());
    }
    let graph = GraphAccess::Write(Box::new(txn));
    let (output, graph) = run(&planned.plan, planned.mode, graph, params, options)?;
    let GraphAccess::Write(txn) = graph else {
        unreachable!("the query ran on the transaction it was given")
    };
    Ok((output, *txn))
}

/// Runs a read-only query on one graph version.
pub fn execute_on(
    state: Arc<GraphState>,
    query: &str,
    params: &Params,
    options: &QueryOptions,
) -> Result<QueryOutput, CypherError> {
    let planned = planned(query, &state, params, options)?;
    if planned.plan.writes && planned.mode != Some(QueryMode::Explain) {
        return Err(access_mode_error());
    }
    let (output, _) = run(
        &planned.plan,
        planned.mode,
        GraphAccess::Read(state),
        params,
        options,
    )?;
    Ok(output)
}

fn compile(
    source: &str,
    query: &crate::ast::Query,
    graph: &GraphState,
    params: &Params,
    options: &QueryOptions,
) -> Result<QueryPlan, CypherError> {
    let mut compiler = Compiler::new(source, graph, params, options.procedures.as_deref());
    compiler.query(query)
}

fn run<'db>(
    plan: &QueryPlan,
    mode: Option<QueryMode>,
    graph: GraphAccess<'db>,
    params: &Params,
    options: &QueryOptions,
) -> Result<(QueryOutput, GraphAccess<'db>), CypherError> {
    // Every clock function reads one instant for the whole statement.
    let _clock = crate::temporal::freeze_clock();
    let description = mode.map(|_| describe(plan));
    let state_after = |g: &GraphAccess<'_>| match g {
        GraphAccess::Read(s) => s.clone(),
        GraphAccess::Write(t) => Arc::new(t.view().clone()),
    };
    if mode == Some(QueryMode::Explain) {
        let graph_state = state_after(&graph);
        return Ok((
            QueryOutput {
                columns: plan.columns.clone(),
                rows: Vec::new(),
                stats: UpdateStats::default(),
                graph: graph_state,
                deleted_nodes: Arc::default(),
                deleted_relationships: Arc::default(),
                plan: description,
                writes: plan.writes,
                touched_subjects: Vec::new(),
                mask: options.policy.as_ref().and_then(|p| p.mask.clone()),
            },
            graph,
        ));
    }
    let profile = mode == Some(QueryMode::Profile);
    let access = options.policy.as_ref().map(|p| {
        let state = match &graph {
            GraphAccess::Read(s) => &**s,
            GraphAccess::Write(t) => t.view(),
        };
        std::rc::Rc::new(exec::access::Access::new(p.clone(), state))
    });
    let mut ctx = Ctx {
        graph,
        params,
        guard: Guard::new(
            options.timeout.map(|t| Instant::now() + t),
            options.cancel.clone(),
            options.max_rows,
        ),
        stats: UpdateStats::default(),
        deleted_nodes: HashMap::new(),
        deleted_rels: HashMap::new(),
        pending_node_deletes: Vec::new(),
        pending_set: HashSet::new(),
        procedures: options.procedures.as_deref(),
        profile: None,
        access,
    };
    let mut rows: Vec<Row> = Vec::new();
    let mut seen: hashbrown::HashSet<Row> = hashbrown::HashSet::new();
    let mut profiles = Vec::new();
    for part in &plan.parts {
        if profile {
            ctx.profile = Some(Vec::new());
        }
        let mut stage = exec::build(part, Row::new(), profile);
        let slots: Vec<usize> = part.columns.iter().map(|(_, s)| *s).collect();
        while let Some(row) = stage.next(&mut ctx).map_err(CypherError::from)? {
            if part.columns.is_empty() {
                continue;
            }
            let out: Row = slots.iter().map(|s| exec::get(&row, *s).clone()).collect();
            if let Some(access) = &ctx.access {
                for value in &out {
                    access.note_value(ctx.state(), value);
                }
            }
            if plan.distinct_union && !seen.insert(out.clone()) {
                continue;
            }
            ctx.guard.hold(1).map_err(CypherError::from)?;
            rows.push(out);
        }
        if let Some(p) = ctx.profile.take() {
            profiles.push(p);
        }
    }
    exec::finish_deletes(&mut ctx).map_err(CypherError::from)?;
    if let Some(access) = &ctx.access {
        access
            .check_writes(ctx.state())
            .map_err(CypherError::from)?;
    }
    let touched_subjects = ctx
        .access
        .as_ref()
        .map(|a| a.take_touched())
        .unwrap_or_default();
    let mut description = description;
    if let Some(description) = description.as_mut() {
        for (part, stats) in description.parts.iter_mut().zip(&profiles) {
            let mut below = 0u64;
            for (i, op) in part.iter_mut().enumerate() {
                let s = stats.get(i).cloned().unwrap_or_default();
                op.rows = Some(s.rows);
                below = below.max(s.nanos);
                op.time_micros = Some(s.nanos / 1_000);
            }
        }
    }
    let graph_state = state_after(&ctx.graph);
    let output = QueryOutput {
        columns: plan.columns.clone(),
        rows,
        stats: ctx.stats,
        graph: graph_state,
        deleted_nodes: Arc::new(std::mem::take(&mut ctx.deleted_nodes)),
        deleted_relationships: Arc::new(std::mem::take(&mut ctx.deleted_rels)),
        plan: description,
        writes: plan.writes,
        touched_subjects,
        mask: options.policy.as_ref().and_then(|p| p.mask.clone()),
    };
    Ok((output, ctx.graph))
}
