//! Write transactions.
//!
//! A [`WriteTxn`] works on a private copy of the newest version of the graph
//! (cheap: persistent structures) while readers keep using the published
//! version. Each change is validated and applied at once, so the
//! transaction reads its own writes; a change that breaks a constraint
//! returns an error and leaves the transaction as it was. `commit` makes all
//! changes visible at once and durable; dropping the transaction (or
//! `rollback`) discards them all.

use std::sync::Arc;

use parking_lot::MutexGuard;

use super::codec::Encoder;
use super::db::{Database, WriterSlot};
use super::op::{IndexSpec, Op};
use super::state::GraphState;
use crate::error::{GraphError, GraphResult};
use crate::ids::{LabelId, NodeId, PropKeyId, RelId, RelTypeId};
use crate::symbols::SymbolKind;
use crate::value::Value;

/// A write transaction. Only one runs at a time; readers are never blocked.
pub struct WriteTxn<'db> {
    pub(crate) db: &'db Database,
    pub(crate) slot: MutexGuard<'db, WriterSlot>,
    pub(crate) state: GraphState,
    /// The encoded operations, for the log (`None` in memory-only mode).
    pub(crate) log: Option<Vec<u8>>,
    pub(crate) op_count: usize,
    /// Nodes changed so far (tracked only while the database has commit
    /// listeners).
    pub(crate) touched: Option<super::feed::Touched>,
}

impl WriteTxn<'_> {
    /// The transaction's view of the graph, including its own changes.
    pub fn view(&self) -> &GraphState {
        &self.state
    }

    /// Number of changes made so far.
    pub fn op_count(&self) -> usize {
        self.op_count
    }

    /// Logs and applies one operation. The log entry is taken back when the
    /// operation fails, so the log always matches the applied changes.
    fn push(&mut self, mut op: Op) -> GraphResult<()> {
        op.intern_strings(&mut self.slot.interner);
        let mark = self.log.as_ref().map(Vec::len);
        if let Some(log) = self.log.take() {
            let mut encoder = Encoder::new(log);
            encoder.op(&op);
            self.log = Some(encoder.out);
        }
        let ends = if self.touched.is_some() {
            self.op_nodes(&op)
        } else {
            [None, None]
        };
        let created = match &op {
            Op::CreateNode { id, .. } => Some(*id),
            _ => None,
        };
        match self.state.apply(op) {
            Ok(()) => {
                self.op_count += 1;
                if let Some(touched) = self.touched.as_mut() {
                    if let Some(id) = created {
                        touched.created(id);
                    }
                    for node in ends.into_iter().flatten() {
                        touched.node(node);
                    }
                }
                Ok(())
            }
            Err(e) => {
                if let (Some(log), Some(mark)) = (self.log.as_mut(), mark) {
                    log.truncate(mark);
                }
                Err(e)
            }
        }
    }

    /// The nodes an operation changes (read before it applies, so a
    /// deleted relationship's ends are still known).
    fn op_nodes(&self, op: &Op) -> [Option<NodeId>; 2] {
        match op {
            Op::CreateNode { id, .. } | Op::DeleteNode { id } => [Some(*id), None],
            Op::AddLabel { node, .. }
            | Op::RemoveLabel { node, .. }
            | Op::SetNodeProperty { node, .. } => [Some(*node), None],
            Op::CreateRel { start, end, .. } => [Some(*start), Some(*end)],
            Op::DeleteRel { id: rel } | Op::SetRelProperty { rel, .. } => self
                .state
                .rel(*rel)
                .map_or([None, None], |r| [Some(r.start), Some(r.end)]),
            _ => [None, None],
        }
    }

    fn intern(&mut self, kind: SymbolKind, name: &str) -> u32 {
        if let Some(id) = self.state.symbols.of(kind).get(name) {
            return id;
        }
        let id = self.state.symbols.of(kind).len() as u32;
        let op = Op::DefineSymbol {
            kind,
            id,
            name: Arc::from(name),
        };
        // Defining the next id in order cannot fail.
        let _ = self.push(op);
        id
    }

    /// The id of a label, interning it when new.
    pub fn label(&mut self, name: &str) -> LabelId {
        LabelId(self.intern(SymbolKind::Label, name))
    }

    /// The id of a relationship type, interning it when new.
    pub fn rel_type(&mut self, name: &str) -> RelTypeId {
        RelTypeId(self.intern(SymbolKind::RelType, name))
    }

    /// The id of a property key, interning it when new.
    pub fn prop_key(&mut self, name: &str) -> PropKeyId {
        PropKeyId(self.intern(SymbolKind::PropKey, name))
    }

    /// Declares a unique index on nodes of `label` by `key` (idempotent).
    pub fn create_node_index(&mut self, label: &str, key: &str) -> GraphResult<()> {
        let spec = IndexSpec::NodeUnique {
            label: self.label(label),
            key: self.prop_key(key),
        };
        if self.state.indexes().contains(&spec) {
            return Ok(());
        }
        self.push(Op::CreateIndex(spec))
    }

    /// Declares a unique index on relationships of `rel_type` by `key`.
    pub fn create_rel_index(&mut self, rel_type: &str, key: &str) -> GraphResult<()> {
        let spec = IndexSpec::RelUnique {
            rel_type: self.rel_type(rel_type),
            key: self.prop_key(key),
        };
        if self.state.indexes().contains(&spec) {
            return Ok(());
        }
        self.push(Op::CreateIndex(spec))
    }

    /// Creates a node with interned ids.
    pub fn create_node_with_ids(
        &mut self,
        labels: Vec<LabelId>,
        props: Vec<(PropKeyId, Value)>,
    ) -> GraphResult<NodeId> {
        let id = self.state.nodes.len();
        if id >= u32::MAX as usize {
            return Err(GraphError::CapacityExceeded {
                what: "nodes",
                limit: u64::from(u32::MAX),
            });
        }
        let mut labels = labels;
        labels.dedup();
        let props: Vec<(PropKeyId, Value)> =
            props.into_iter().filter(|(_, v)| !v.is_null()).collect();
        let id = NodeId(id as u32);
        self.push(Op::CreateNode { id, labels, props })?;
        Ok(id)
    }

    /// Creates a node.
    pub fn create_node(&mut self, labels: &[&str], props: &[(&str, Value)]) -> GraphResult<NodeId> {
        let labels = labels.iter().map(|l| self.label(l)).collect();
        let props = props
            .iter()
            .map(|(k, v)| (self.prop_key(k), v.clone()))
            .collect();
        self.create_node_with_ids(labels, props)
    }

    /// Sets a node property; `Null` removes it.
    pub fn set_node_property_id(
        &mut self,
        node: NodeId,
        key: PropKeyId,
        value: Value,
    ) -> GraphResult<()> {
        let current = self
            .state
            .node(node)
            .ok_or(GraphError::NodeNotFound(node))?
            .property(key);
        if current.map_or(value.is_null(), |c| values_identical(c, &value)) {
            return Ok(());
        }
        self.push(Op::SetNodeProperty { node, key, value })
    }

    /// Sets a node property by key name; `Null` removes it.
    pub fn set_node_property(&mut self, node: NodeId, key: &str, value: Value) -> GraphResult<()> {
        let key = self.prop_key(key);
        self.set_node_property_id(node, key, value)
    }

    /// Adds a label to a node.
    pub fn add_label(&mut self, node: NodeId, label: &str) -> GraphResult<()> {
        let label = self.label(label);
        self.add_label_id(node, label)
    }

    /// Adds a label (by id) to a node.
    pub fn add_label_id(&mut self, node: NodeId, label: LabelId) -> GraphResult<()> {
        let record = self
            .state
            .node(node)
            .ok_or(GraphError::NodeNotFound(node))?;
        if record.has_label(label) {
            return Ok(());
        }
        self.push(Op::AddLabel { node, label })
    }

    /// Removes a label from a node.
    pub fn remove_label_id(&mut self, node: NodeId, label: LabelId) -> GraphResult<()> {
        let record = self
            .state
            .node(node)
            .ok_or(GraphError::NodeNotFound(node))?;
        if !record.has_label(label) {
            return Ok(());
        }
        self.push(Op::RemoveLabel { node, label })
    }

    /// Deletes a node that has no relationships.
    pub fn delete_node(&mut self, node: NodeId) -> GraphResult<()> {
        self.push(Op::DeleteNode { id: node })
    }

    /// Deletes a node and all its relationships.
    pub fn detach_delete_node(&mut self, node: NodeId) -> GraphResult<()> {
        let record = self
            .state
            .node(node)
            .ok_or(GraphError::NodeNotFound(node))?;
        let mut rels: Vec<RelId> = record
            .outgoing()
            .iter()
            .chain(record.incoming().iter())
            .map(|e| e.rel)
            .collect();
        rels.sort_unstable();
        rels.dedup();
        for rel in rels {
            self.push(Op::DeleteRel { id: rel })?;
        }
        self.push(Op::DeleteNode { id: node })
    }

    /// Creates a relationship with interned ids.
    pub fn create_rel_with_ids(
        &mut self,
        start: NodeId,
        rel_type: RelTypeId,
        end: NodeId,
        props: Vec<(PropKeyId, Value)>,
    ) -> GraphResult<RelId> {
        let id = self.state.rels.len();
        if id >= u32::MAX as usize {
            return Err(GraphError::CapacityExceeded {
                what: "relationships",
                limit: u64::from(u32::MAX),
            });
        }
        let id = RelId(id as u32);
        let props = props.into_iter().filter(|(_, v)| !v.is_null()).collect();
        self.push(Op::CreateRel {
            id,
            rel_type,
            start,
            end,
            props,
        })?;
        Ok(id)
    }

    /// Creates a relationship.
    pub fn create_rel(
        &mut self,
        start: NodeId,
        rel_type: &str,
        end: NodeId,
        props: &[(&str, Value)],
    ) -> GraphResult<RelId> {
        let rel_type = self.rel_type(rel_type);
        let props = props
            .iter()
            .map(|(k, v)| (self.prop_key(k), v.clone()))
            .collect();
        self.create_rel_with_ids(start, rel_type, end, props)
    }

    /// Sets a relationship property; `Null` removes it.
    pub fn set_rel_property_id(
        &mut self,
        rel: RelId,
        key: PropKeyId,
        value: Value,
    ) -> GraphResult<()> {
        let current = self
            .state
            .rel(rel)
            .ok_or(GraphError::RelNotFound(rel))?
            .property(key);
        if current.map_or(value.is_null(), |c| values_identical(c, &value)) {
            return Ok(());
        }
        self.push(Op::SetRelProperty { rel, key, value })
    }

    /// Sets a relationship property by key name.
    pub fn set_rel_property(&mut self, rel: RelId, key: &str, value: Value) -> GraphResult<()> {
        let key = self.prop_key(key);
        self.set_rel_property_id(rel, key, value)
    }

    /// Deletes a relationship.
    pub fn delete_rel(&mut self, rel: RelId) -> GraphResult<()> {
        self.push(Op::DeleteRel { id: rel })
    }

    /// Makes `node` findable by `alias` under `label`.
    pub fn add_alias(&mut self, label: LabelId, alias: &str, node: NodeId) -> GraphResult<()> {
        if self.state.alias_nodes(label, alias).contains(&node) {
            return Ok(());
        }
        self.push(Op::SetAlias {
            label,
            alias: Arc::from(alias),
            node,
            present: true,
        })
    }

    /// Removes an alias of `node`.
    pub fn remove_alias(&mut self, label: LabelId, alias: &str, node: NodeId) -> GraphResult<()> {
        if !self.state.alias_nodes(label, alias).contains(&node) {
            return Ok(());
        }
        self.push(Op::SetAlias {
            label,
            alias: Arc::from(alias),
            node,
            present: false,
        })
    }

    /// Commits: logs the changes (durably, when the database has a data
    /// directory), then makes them visible to new readers all at once.
    /// Returns the transaction's log sequence number.
    pub fn commit(self) -> GraphResult<u64> {
        let WriteTxn {
            db,
            slot,
            state,
            log,
            op_count,
            touched,
        } = self;
        let lsn = db.commit_parts(slot, state, log, op_count)?;
        if let Some(touched) = touched.filter(|_| op_count > 0) {
            db.feed().notify(&super::feed::CommitEvent {
                lsn,
                state: db.snapshot(),
                created_nodes: touched.created,
                touched_nodes: touched.nodes,
            });
        }
        Ok(lsn)
    }

    /// Discards every change.
    pub fn rollback(self) {}
}

/// Same type and same representation (so a date-time written with another
/// offset counts as a change, though it denotes the same instant).
fn values_identical(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::DateTime(x), Value::DateTime(y)) => x == y && x.offset() == y.offset(),
        (Value::ZonedDateTime(x), Value::ZonedDateTime(y)) => {
            x == y && x.datetime.offset() == y.datetime.offset()
        }
        (Value::Time(x), Value::Time(y)) => x == y,
        (Value::DateTime(_), Value::ZonedDateTime(_))
        | (Value::ZonedDateTime(_), Value::DateTime(_))
        | (Value::Integer(_), Value::Float(_))
        | (Value::Float(_), Value::Integer(_)) => false,
        _ => a == b,
    }
}
