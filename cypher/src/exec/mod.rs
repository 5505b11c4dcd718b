//! The executor: pull-based operators over rows of slots.
//!
//! Every operator pulls rows from its input one at a time, so `LIMIT` stops
//! the work early; only `Sort`, `Aggregate`, `Distinct` (its seen-set) and
//! `Eager` hold rows, and they count them against the query's budget.

pub(crate) mod access;
mod eval;
mod graph_fns;
mod matcher;
mod operators;
mod write;

use std::cell::Cell;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Instant;

use graph_model::{GraphState, NodeId, RelId, Value, WriteTxn};

use crate::error::{QueryError, QueryErrorKind};
use crate::value::CypherValue;

pub(crate) use operators::build;
pub(crate) use write::{finish_deletes, store_error};

/// A row: one value per slot. Rows grow as slots are written.
pub(crate) type Row = Vec<CypherValue>;

/// Reads a slot (unset slots are `null`).
pub(crate) fn get(row: &Row, slot: usize) -> &CypherValue {
    static NULL: CypherValue = CypherValue::Null;
    row.get(slot).unwrap_or(&NULL)
}

/// Writes a slot, growing the row as needed.
pub(crate) fn set(row: &mut Row, slot: usize, value: CypherValue) {
    if slot >= row.len() {
        row.resize(slot + 1, CypherValue::Null);
    }
    row[slot] = value;
}

/// Result of an operator step.
pub(crate) type ExecResult<T> = Result<T, QueryError>;

/// The graph a query runs on: a published version (reads) or a write
/// transaction (which reads its own writes).
pub(crate) enum GraphAccess<'db> {
    Read(Arc<GraphState>),
    Write(Box<WriteTxn<'db>>),
}

/// Limits of one query.
pub(crate) struct Guard {
    pub(crate) deadline: Option<Instant>,
    pub(crate) cancel: Option<Arc<AtomicBool>>,
    pub(crate) max_rows: usize,
    pub(crate) held_rows: Cell<usize>,
    ticks: Cell<u32>,
}

impl Guard {
    pub(crate) fn new(
        deadline: Option<Instant>,
        cancel: Option<Arc<AtomicBool>>,
        max_rows: usize,
    ) -> Guard {
        Guard {
            deadline,
            cancel,
            max_rows,
            held_rows: Cell::new(0),
            ticks: Cell::new(0),
        }
    }

    /// Called for each unit of work; checks the clock and the cancel flag
    /// every 1,024 calls.
    pub(crate) fn tick(&self) -> ExecResult<()> {
        let t = self.ticks.get().wrapping_add(1);
        self.ticks.set(t);
        if t.is_multiple_of(1024) {
            self.check()?;
        }
        Ok(())
    }

    /// Checks the deadline and cancellation now.
    pub(crate) fn check(&self) -> ExecResult<()> {
        if let Some(deadline) = self.deadline {
            if Instant::now() > deadline {
                return Err(QueryError::new(
                    QueryErrorKind::Timeout,
                    None,
                    "The query ran longer than its time limit and was stopped",
                ));
            }
        }
        if let Some(cancel) = &self.cancel {
            if cancel.load(Ordering::Relaxed) {
                return Err(QueryError::new(
                    QueryErrorKind::Cancelled,
                    None,
                    "The query was cancelled",
                ));
            }
        }
        Ok(())
    }

    /// Counts rows an operator holds in memory.
    pub(crate) fn hold(&self, rows: usize) -> ExecResult<()> {
        let held = self.held_rows.get() + rows;
        self.held_rows.set(held);
        if held > self.max_rows {
            return Err(QueryError::new(
                QueryErrorKind::MemoryLimit,
                None,
                format!(
                    "The query holds more than {} rows in memory (sorting, grouping, DISTINCT or results); narrow it or raise the row budget",
                    self.max_rows
                ),
            ));
        }
        Ok(())
    }

    /// Releases rows counted by [`Guard::hold`].
    pub(crate) fn release(&self, rows: usize) {
        self.held_rows
            .set(self.held_rows.get().saturating_sub(rows));
    }
}

/// Counters of what a query changed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct UpdateStats {
    /// Nodes created.
    pub nodes_created: u64,
    /// Nodes deleted.
    pub nodes_deleted: u64,
    /// Relationships created.
    pub relationships_created: u64,
    /// Relationships deleted.
    pub relationships_deleted: u64,
    /// Properties set (including removed).
    pub properties_set: u64,
    /// Labels added.
    pub labels_added: u64,
    /// Labels removed.
    pub labels_removed: u64,
}

impl UpdateStats {
    /// `true` when the query changed anything.
    pub fn contains_updates(&self) -> bool {
        *self != UpdateStats::default()
    }
}

/// The last state of an entity deleted by the query (results may still
/// show it).
#[derive(Debug, Clone)]
pub struct DeletedEntity {
    /// Labels (nodes) or the type (relationships, one element).
    pub labels: Vec<Arc<str>>,
    /// Properties.
    pub properties: BTreeMap<Arc<str>, Value>,
    /// Start and end node, for relationships.
    pub ends: Option<(NodeId, NodeId)>,
}

/// Per-operator statistics of PROFILE.
#[derive(Debug, Clone, Default)]
pub(crate) struct OperatorStats {
    pub(crate) rows: u64,
    pub(crate) nanos: u64,
}

/// Everything operators share while a query runs.
pub(crate) struct Ctx<'db, 'p> {
    pub(crate) graph: GraphAccess<'db>,
    pub(crate) params: &'p BTreeMap<String, CypherValue>,
    pub(crate) guard: Guard,
    pub(crate) stats: UpdateStats,
    pub(crate) deleted_nodes: HashMap<NodeId, DeletedEntity>,
    pub(crate) deleted_rels: HashMap<RelId, DeletedEntity>,
    /// Nodes deleted while they still had relationships: checked at the end.
    pub(crate) pending_node_deletes: Vec<NodeId>,
    pub(crate) pending_set: HashSet<NodeId>,
    pub(crate) procedures: Option<&'p crate::engine::Procedures>,
    pub(crate) profile: Option<Vec<OperatorStats>>,
    /// The access policy, resolved (`None`: everything is visible).
    pub(crate) access: Option<std::rc::Rc<access::Access>>,
}

impl<'db> Ctx<'db, '_> {
    /// The graph as this query sees it now.
    pub(crate) fn state(&self) -> &GraphState {
        match &self.graph {
            GraphAccess::Read(state) => state,
            GraphAccess::Write(txn) => txn.view(),
        }
    }

    /// The write transaction, or an error in a read-only query.
    pub(crate) fn txn(&mut self) -> ExecResult<&mut WriteTxn<'db>> {
        match &mut self.graph {
            GraphAccess::Write(txn) => Ok(txn),
            GraphAccess::Read(_) => Err(QueryError::new(
                QueryErrorKind::AccessMode,
                None,
                "Writing is not allowed in a read-only query",
            )),
        }
    }

    /// `true` when the node exists for this query under its access policy.
    pub(crate) fn visible(&self, id: NodeId) -> bool {
        self.access
            .as_ref()
            .is_none_or(|a| a.node_visible(self.state(), id))
    }

    /// Records a node the query created or changed (for the scope check
    /// of writes).
    pub(crate) fn note_written(&self, id: NodeId) {
        if let Some(access) = &self.access {
            access.note_written(id);
        }
    }

    /// `true` when the node was deleted by this query.
    pub(crate) fn node_deleted(&self, id: NodeId) -> bool {
        self.deleted_nodes.contains_key(&id)
    }
}
