//! The reading operators, and building an operator chain from a plan.

use std::collections::VecDeque;

use hashbrown::{HashMap, HashSet};
use std::sync::Arc;

use crate::ast::SortOrder;
use crate::error::{ErrorDetail, QueryError, QueryErrorKind};
use crate::functions::Aggregator;
use crate::plan::ir::{AggregateSpec, Expr, Operator, PatternPlan, Plan, SortKey};
use crate::value::CypherValue;

use super::eval::{eval, eval_predicate};
use super::matcher::Matcher;
use super::write::{CallStage, CreateStage, DeleteStage, MergeStage, SetStage};
use super::{get, set, Ctx, ExecResult, GraphAccess, Guard, OperatorStats, Row};

type V = CypherValue;

/// A pull-based operator.
pub(crate) trait Stage {
    /// The next row, or `None` when done.
    fn next(&mut self, ctx: &mut Ctx<'_, '_>) -> ExecResult<Option<Row>>;
}

/// A boxed operator.
pub(crate) type BoxStage = Box<dyn Stage>;

/// Builds the operator chain of `plan`, starting from `start`.
pub(crate) fn build(plan: &Plan, start: Row, profile: bool) -> BoxStage {
    let mut stage: BoxStage = Box::new(StartStage { row: Some(start) });
    for (index, op) in plan.operators.iter().enumerate() {
        stage = match op {
            Operator::Start => stage,
            Operator::Match { pattern, optional } => Box::new(MatchStage {
                input: stage,
                pattern: pattern.clone(),
                optional: *optional,
                matcher: None,
                input_row: Vec::new(),
                produced: false,
            }),
            Operator::Unwind { expr, slot } => Box::new(UnwindStage {
                input: stage,
                expr: expr.clone(),
                slot: *slot,
                current: None,
            }),
            Operator::Project { items } => Box::new(ProjectStage {
                input: stage,
                items: items.clone(),
            }),
            Operator::Aggregate { keys, aggregates } => Box::new(AggregateStage {
                input: stage,
                keys: keys.clone(),
                aggregates: aggregates.clone(),
                output: None,
            }),
            Operator::Filter(e) => Box::new(FilterStage {
                input: stage,
                predicate: e.clone(),
            }),
            Operator::Distinct { slots } => Box::new(DistinctStage {
                input: stage,
                slots: slots.clone(),
                seen: HashSet::new(),
            }),
            Operator::Sort { keys } => Box::new(SortStage {
                input: stage,
                keys: keys.clone(),
                output: None,
            }),
            Operator::Skip(e) => Box::new(SkipStage {
                input: stage,
                amount: e.clone(),
                skipped: false,
            }),
            Operator::Limit { amount, drain } => Box::new(LimitStage {
                input: stage,
                amount: amount.clone(),
                remaining: None,
                drain: *drain,
            }),
            Operator::Select { slots } => Box::new(SelectStage {
                input: stage,
                slots: slots.clone(),
            }),
            Operator::Eager => Box::new(EagerStage {
                input: stage,
                output: None,
            }),
            Operator::Create { items } => Box::new(CreateStage::new(stage, items.clone())),
            Operator::Merge {
                pattern,
                create,
                on_create,
                on_match,
            } => Box::new(MergeStage::new(
                stage,
                pattern.clone(),
                create.clone(),
                on_create.clone(),
                on_match.clone(),
            )),
            Operator::Set { actions } => Box::new(SetStage::new(stage, actions.clone())),
            Operator::Delete { exprs, detach } => {
                Box::new(DeleteStage::new(stage, exprs.clone(), *detach))
            }
            Operator::Call(call) => Box::new(CallStage::new(stage, call.clone())),
        };
        if profile {
            stage = Box::new(ProfileStage {
                input: stage,
                index,
            });
        }
    }
    stage
}

/// Whether a subquery yields at least one row for `row`.
pub(crate) fn subquery_has_rows(plan: &Plan, row: &Row, ctx: &Ctx<'_, '_>) -> ExecResult<bool> {
    let mut sub = subquery_ctx(ctx);
    let mut stage = build(plan, row.clone(), false);
    Ok(stage.next(&mut sub)?.is_some())
}

/// `COUNT { ... }`: the number of rows the subquery yields for `row`.
pub(crate) fn subquery_row_count(plan: &Plan, row: &Row, ctx: &Ctx<'_, '_>) -> ExecResult<i64> {
    let mut sub = subquery_ctx(ctx);
    let mut stage = build(plan, row.clone(), false);
    let mut count = 0_i64;
    while stage.next(&mut sub)?.is_some() {
        ctx.guard.tick()?;
        count += 1;
    }
    Ok(count)
}

/// `COLLECT { ... RETURN x }`: the values of the one column, in order.
pub(crate) fn subquery_collect(
    plan: &Plan,
    row: &Row,
    ctx: &Ctx<'_, '_>,
) -> ExecResult<Vec<CypherValue>> {
    let Some(&(_, slot)) = plan.columns.first() else {
        return Ok(Vec::new());
    };
    let mut sub = subquery_ctx(ctx);
    let mut stage = build(plan, row.clone(), false);
    let mut values = Vec::new();
    while let Some(out) = stage.next(&mut sub)? {
        ctx.guard.tick()?;
        values.push(super::get(&out, slot).clone());
    }
    Ok(values)
}

/// A context for a subquery run inside an expression: it reads what the
/// outer query reads and shares its time limit and cancel flag.
fn subquery_ctx<'a, 'p>(ctx: &Ctx<'a, 'p>) -> Ctx<'a, 'p> {
    Ctx {
        // A read query shares its version; a write query's subquery reads a
        // copy of the transaction's view (persistent parts: cheap).
        graph: GraphAccess::Read(match &ctx.graph {
            GraphAccess::Read(state) => state.clone(),
            GraphAccess::Write(txn) => Arc::new(txn.view().clone()),
        }),
        params: ctx.params,
        guard: Guard::new(
            ctx.guard.deadline,
            ctx.guard.cancel.clone(),
            ctx.guard.max_rows,
        ),
        stats: super::UpdateStats::default(),
        deleted_nodes: ctx.deleted_nodes.clone(),
        deleted_rels: ctx.deleted_rels.clone(),
        pending_node_deletes: Vec::new(),
        pending_set: std::collections::HashSet::new(),
        procedures: ctx.procedures,
        profile: None,
        access: ctx.access.clone(),
    }
}

struct ProfileStage {
    input: BoxStage,
    index: usize,
}

impl Stage for ProfileStage {
    fn next(&mut self, ctx: &mut Ctx<'_, '_>) -> ExecResult<Option<Row>> {
        let started = std::time::Instant::now();
        let row = self.input.next(ctx)?;
        let nanos = started.elapsed().as_nanos() as u64;
        if let Some(profile) = ctx.profile.as_mut() {
            if profile.len() <= self.index {
                profile.resize(self.index + 1, OperatorStats::default());
            }
            let stats = &mut profile[self.index];
            stats.nanos += nanos;
            if row.is_some() {
                stats.rows += 1;
            }
        }
        Ok(row)
    }
}

struct StartStage {
    row: Option<Row>,
}

impl Stage for StartStage {
    fn next(&mut self, _ctx: &mut Ctx<'_, '_>) -> ExecResult<Option<Row>> {
        Ok(self.row.take())
    }
}

struct MatchStage {
    input: BoxStage,
    pattern: Arc<PatternPlan>,
    optional: bool,
    matcher: Option<Matcher>,
    input_row: Row,
    produced: bool,
}

impl Stage for MatchStage {
    fn next(&mut self, ctx: &mut Ctx<'_, '_>) -> ExecResult<Option<Row>> {
        loop {
            if let Some(matcher) = &mut self.matcher {
                if let Some(row) = matcher.next(ctx)? {
                    self.produced = true;
                    return Ok(Some(row));
                }
                self.matcher = None;
                if self.optional && !self.produced {
                    let mut row = std::mem::take(&mut self.input_row);
                    for slot in &self.pattern.binds {
                        set(&mut row, *slot, V::Null);
                    }
                    for step in &self.pattern.steps {
                        if let crate::plan::ir::MatchStep::Expand(e) = step {
                            if !e.rel_bound {
                                set(&mut row, e.rel, V::Null);
                            }
                            if !e.to_bound {
                                set(&mut row, e.to, V::Null);
                            }
                        }
                    }
                    return Ok(Some(row));
                }
            }
            let Some(row) = self.input.next(ctx)? else {
                return Ok(None);
            };
            if self.optional {
                self.input_row.clone_from(&row);
            }
            self.produced = false;
            self.matcher = Some(Matcher::new(self.pattern.clone(), row));
        }
    }
}

struct UnwindStage {
    input: BoxStage,
    expr: Expr,
    slot: usize,
    current: Option<(Row, Arc<[V]>, usize)>,
}

impl Stage for UnwindStage {
    fn next(&mut self, ctx: &mut Ctx<'_, '_>) -> ExecResult<Option<Row>> {
        loop {
            if let Some((row, items, pos)) = &mut self.current {
                if *pos < items.len() {
                    ctx.guard.tick()?;
                    let mut out = row.clone();
                    set(&mut out, self.slot, items[*pos].clone());
                    *pos += 1;
                    return Ok(Some(out));
                }
                self.current = None;
            }
            let Some(row) = self.input.next(ctx)? else {
                return Ok(None);
            };
            match eval(&self.expr, &row, ctx)? {
                V::Null => {}
                V::List(items) => self.current = Some((row, items, 0)),
                other => {
                    let mut out = row;
                    set(&mut out, self.slot, other);
                    return Ok(Some(out));
                }
            }
        }
    }
}

struct ProjectStage {
    input: BoxStage,
    items: Vec<(usize, Expr)>,
}

impl Stage for ProjectStage {
    fn next(&mut self, ctx: &mut Ctx<'_, '_>) -> ExecResult<Option<Row>> {
        let Some(mut row) = self.input.next(ctx)? else {
            return Ok(None);
        };
        for (slot, e) in &self.items {
            let v = eval(e, &row, ctx)?;
            set(&mut row, *slot, v);
        }
        Ok(Some(row))
    }
}

struct FilterStage {
    input: BoxStage,
    predicate: Expr,
}

impl Stage for FilterStage {
    fn next(&mut self, ctx: &mut Ctx<'_, '_>) -> ExecResult<Option<Row>> {
        while let Some(row) = self.input.next(ctx)? {
            ctx.guard.tick()?;
            if eval_predicate(&self.predicate, &row, ctx)? == Some(true) {
                return Ok(Some(row));
            }
        }
        Ok(None)
    }
}

/// `count(*)`.
struct CountRows(i64);

impl Aggregator for CountRows {
    fn update(&mut self, _args: &[V]) -> Result<(), QueryError> {
        self.0 += 1;
        Ok(())
    }

    fn finish(&mut self) -> Result<V, QueryError> {
        Ok(V::Integer(self.0))
    }
}

fn new_aggregator(spec: &AggregateSpec) -> ExecResult<Box<dyn Aggregator>> {
    if &*spec.name == "count*" {
        return Ok(Box::new(CountRows(0)));
    }
    crate::functions::new_aggregator(&spec.name, spec.distinct).ok_or_else(|| {
        QueryError::new(
            QueryErrorKind::Syntax,
            Some(ErrorDetail::UnknownFunction),
            format!("Unknown aggregation function `{}`", spec.name),
        )
    })
}

/// A group: its key and its aggregators.
type Group = (GroupKey, Vec<Box<dyn Aggregator>>);

/// The grouping key of a row (inline for up to two keys).
type GroupKey = smallvec::SmallVec<[V; 2]>;

struct AggregateStage {
    input: BoxStage,
    keys: Vec<(usize, Expr)>,
    aggregates: Vec<(usize, AggregateSpec)>,
    output: Option<VecDeque<Row>>,
}

impl AggregateStage {
    fn run(&mut self, ctx: &mut Ctx<'_, '_>) -> ExecResult<VecDeque<Row>> {
        let mut index: HashMap<GroupKey, usize> = HashMap::new();
        let mut groups: Vec<Group> = Vec::new();
        while let Some(row) = self.input.next(ctx)? {
            ctx.guard.tick()?;
            let key = self
                .keys
                .iter()
                .map(|(_, e)| eval(e, &row, ctx))
                .collect::<ExecResult<GroupKey>>()?;
            let group = match index.get(&key) {
                Some(&g) => g,
                None => {
                    ctx.guard.hold(1)?;
                    let aggs = self
                        .aggregates
                        .iter()
                        .map(|(_, spec)| new_aggregator(spec))
                        .collect::<ExecResult<Vec<_>>>()?;
                    groups.push((key.clone(), aggs));
                    index.insert(key, groups.len() - 1);
                    groups.len() - 1
                }
            };
            for (i, (_, spec)) in self.aggregates.iter().enumerate() {
                let args = spec
                    .args
                    .iter()
                    .map(|e| eval(e, &row, ctx))
                    .collect::<ExecResult<smallvec::SmallVec<[V; 2]>>>()?;
                groups[group].1[i].update(&args)?;
            }
        }
        if groups.is_empty() && self.keys.is_empty() {
            let aggs = self
                .aggregates
                .iter()
                .map(|(_, spec)| new_aggregator(spec))
                .collect::<ExecResult<Vec<_>>>()?;
            groups.push((GroupKey::new(), aggs));
        }
        let mut out = VecDeque::with_capacity(groups.len());
        for (key, mut aggs) in groups {
            let mut row = Row::new();
            for ((slot, _), v) in self.keys.iter().zip(key) {
                set(&mut row, *slot, v);
            }
            for ((slot, _), agg) in self.aggregates.iter().zip(aggs.iter_mut()) {
                set(&mut row, *slot, agg.finish()?);
            }
            out.push_back(row);
        }
        Ok(out)
    }
}

impl Stage for AggregateStage {
    fn next(&mut self, ctx: &mut Ctx<'_, '_>) -> ExecResult<Option<Row>> {
        if self.output.is_none() {
            self.output = Some(self.run(ctx)?);
        }
        Ok(self.output.as_mut().and_then(VecDeque::pop_front))
    }
}

struct DistinctStage {
    input: BoxStage,
    slots: Vec<usize>,
    seen: HashSet<Vec<V>>,
}

impl Stage for DistinctStage {
    fn next(&mut self, ctx: &mut Ctx<'_, '_>) -> ExecResult<Option<Row>> {
        while let Some(row) = self.input.next(ctx)? {
            ctx.guard.tick()?;
            let key: Vec<V> = self.slots.iter().map(|s| get(&row, *s).clone()).collect();
            if self.seen.insert(key) {
                ctx.guard.hold(1)?;
                return Ok(Some(row));
            }
        }
        Ok(None)
    }
}

struct SortStage {
    input: BoxStage,
    keys: Vec<SortKey>,
    output: Option<VecDeque<Row>>,
}

impl Stage for SortStage {
    fn next(&mut self, ctx: &mut Ctx<'_, '_>) -> ExecResult<Option<Row>> {
        if self.output.is_none() {
            let mut rows: Vec<(Vec<V>, Row)> = Vec::new();
            while let Some(row) = self.input.next(ctx)? {
                ctx.guard.hold(1)?;
                let key = self
                    .keys
                    .iter()
                    .map(|k| eval(&k.expr, &row, ctx))
                    .collect::<ExecResult<Vec<_>>>()?;
                rows.push((key, row));
            }
            let keys = &self.keys;
            rows.sort_by(|(a, _), (b, _)| {
                for (i, k) in keys.iter().enumerate() {
                    let o = a[i].cmp_order(&b[i]);
                    let o = if k.order == SortOrder::Descending {
                        o.reverse()
                    } else {
                        o
                    };
                    if o != std::cmp::Ordering::Equal {
                        return o;
                    }
                }
                std::cmp::Ordering::Equal
            });
            ctx.guard.release(rows.len());
            self.output = Some(rows.into_iter().map(|(_, r)| r).collect());
        }
        Ok(self.output.as_mut().and_then(VecDeque::pop_front))
    }
}

/// Evaluates a SKIP or LIMIT amount: a non-negative integer.
fn amount(e: &Expr, ctx: &Ctx<'_, '_>) -> ExecResult<usize> {
    match eval(e, &Row::new(), ctx)? {
        V::Integer(i) if i >= 0 => Ok(usize::try_from(i).unwrap_or(usize::MAX)),
        V::Integer(i) => Err(QueryError::new(
            QueryErrorKind::Syntax,
            Some(ErrorDetail::NegativeIntegerArgument),
            format!("Invalid input. '{i}' is not a valid value. Must be a non-negative integer."),
        )),
        other => Err(QueryError::new(
            QueryErrorKind::Syntax,
            Some(ErrorDetail::InvalidArgumentType),
            format!(
                "Invalid input. Expected a non-negative integer, got {}",
                other.type_name()
            ),
        )),
    }
}

struct SkipStage {
    input: BoxStage,
    amount: Expr,
    skipped: bool,
}

impl Stage for SkipStage {
    fn next(&mut self, ctx: &mut Ctx<'_, '_>) -> ExecResult<Option<Row>> {
        if !self.skipped {
            self.skipped = true;
            let n = amount(&self.amount, ctx)?;
            for _ in 0..n {
                if self.input.next(ctx)?.is_none() {
                    return Ok(None);
                }
            }
        }
        self.input.next(ctx)
    }
}

struct LimitStage {
    input: BoxStage,
    amount: Expr,
    remaining: Option<usize>,
    drain: bool,
}

impl Stage for LimitStage {
    fn next(&mut self, ctx: &mut Ctx<'_, '_>) -> ExecResult<Option<Row>> {
        let remaining = match self.remaining {
            Some(r) => r,
            None => amount(&self.amount, ctx)?,
        };
        if remaining == 0 {
            self.remaining = Some(0);
            if self.drain {
                while self.input.next(ctx)?.is_some() {}
            }
            return Ok(None);
        }
        self.remaining = Some(remaining - 1);
        self.input.next(ctx)
    }
}

struct SelectStage {
    input: BoxStage,
    slots: Vec<usize>,
}

impl Stage for SelectStage {
    fn next(&mut self, ctx: &mut Ctx<'_, '_>) -> ExecResult<Option<Row>> {
        let Some(row) = self.input.next(ctx)? else {
            return Ok(None);
        };
        Ok(Some(
            self.slots.iter().map(|s| get(&row, *s).clone()).collect(),
        ))
    }
}

struct EagerStage {
    input: BoxStage,
    output: Option<VecDeque<Row>>,
}

impl Stage for EagerStage {
    fn next(&mut self, ctx: &mut Ctx<'_, '_>) -> ExecResult<Option<Row>> {
        if self.output.is_none() {
            let mut rows = VecDeque::new();
            while let Some(row) = self.input.next(ctx)? {
                ctx.guard.hold(1)?;
                rows.push_back(row);
            }
            ctx.guard.release(rows.len());
            self.output = Some(rows);
        }
        Ok(self.output.as_mut().and_then(VecDeque::pop_front))
    }
}
