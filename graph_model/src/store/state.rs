//! One version of the graph: records, interned names and indexes.
//!
//! A `GraphState` is immutable once published; readers hold it through an
//! `Arc` for as long as they need. A writer clones it (cheaply: every part is
//! a persistent structure) and applies [`Op`]s to its copy.

use std::sync::Arc;

use roaring::RoaringBitmap;
use smallvec::SmallVec;

use super::adjacency::{AdjEntry, Adjacency};
use super::keymap::ValueKeyMap;
use super::op::{IndexSpec, Op};
use super::pvec::PVec;
use super::record::{NodeRecord, PropertyMap, RelRecord};
use crate::error::{GraphError, GraphResult};
use crate::ids::{Direction, LabelId, NodeId, PropKeyId, RelId, RelTypeId};
use crate::symbols::{SymbolKind, Symbols};
use crate::value::Value;

type PMap<K, V> = super::cowmap::CowHashMap<K, V>;
/// Alias text → the nodes it names, for one label.
pub(crate) type AliasMap = PMap<Arc<str>, SmallVec<[NodeId; 1]>>;

/// A unique index of nodes with one label by one property.
#[derive(Clone, Debug)]
pub(crate) struct NodeUniqueIndex {
    pub(crate) label: LabelId,
    pub(crate) key: PropKeyId,
    pub(crate) map: ValueKeyMap<NodeId>,
}

/// A unique index of relationships of one type by one property.
#[derive(Clone, Debug)]
pub(crate) struct RelUniqueIndex {
    pub(crate) rel_type: RelTypeId,
    pub(crate) key: PropKeyId,
    pub(crate) map: ValueKeyMap<RelId>,
}

/// One consistent version of the graph.
#[derive(Clone, Debug)]
pub struct GraphState {
    pub(crate) lsn: u64,
    pub(crate) symbols: Arc<Symbols>,
    pub(crate) nodes: PVec<Option<Arc<NodeRecord>>>,
    pub(crate) rels: PVec<Option<RelRecord>>,
    pub(crate) live_nodes: u64,
    pub(crate) live_rels: u64,
    pub(crate) label_index: Arc<Vec<Arc<RoaringBitmap>>>,
    pub(crate) rel_type_counts: Arc<Vec<u64>>,
    pub(crate) node_unique: Arc<Vec<NodeUniqueIndex>>,
    pub(crate) rel_unique: Arc<Vec<RelUniqueIndex>>,
    /// Per label: alias → nodes.
    pub(crate) aliases: Arc<Vec<AliasMap>>,
}

impl Default for GraphState {
    fn default() -> Self {
        GraphState {
            lsn: 0,
            symbols: Arc::new(Symbols::default()),
            nodes: PVec::new(),
            rels: PVec::new(),
            live_nodes: 0,
            live_rels: 0,
            label_index: Arc::new(Vec::new()),
            rel_type_counts: Arc::new(Vec::new()),
            node_unique: Arc::new(Vec::new()),
            rel_unique: Arc::new(Vec::new()),
            aliases: Arc::new(Vec::new()),
        }
    }
}

/// A relationship seen from one of its nodes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Neighbor {
    /// The relationship.
    pub rel: RelId,
    /// Its type.
    pub rel_type: RelTypeId,
    /// The node at the other end.
    pub other: NodeId,
    /// `Outgoing` when the node is the start node, `Incoming` otherwise.
    pub direction: Direction,
}

impl GraphState {
    /// The log sequence number of the last transaction in this version.
    pub fn lsn(&self) -> u64 {
        self.lsn
    }

    /// The interned names.
    pub fn symbols(&self) -> &Symbols {
        &self.symbols
    }

    /// The id of a label name.
    pub fn label_id(&self, name: &str) -> Option<LabelId> {
        self.symbols.labels.get(name).map(LabelId)
    }

    /// The id of a relationship type name.
    pub fn rel_type_id(&self, name: &str) -> Option<RelTypeId> {
        self.symbols.rel_types.get(name).map(RelTypeId)
    }

    /// The id of a property key name.
    pub fn prop_key_id(&self, name: &str) -> Option<PropKeyId> {
        self.symbols.prop_keys.get(name).map(PropKeyId)
    }

    /// The name of a label.
    pub fn label_name(&self, id: LabelId) -> &str {
        self.symbols.labels.name(id.0).map_or("?", |n| n)
    }

    /// The name of a relationship type.
    pub fn rel_type_name(&self, id: RelTypeId) -> &str {
        self.symbols.rel_types.name(id.0).map_or("?", |n| n)
    }

    /// The name of a property key.
    pub fn prop_key_name(&self, id: PropKeyId) -> &str {
        self.symbols.prop_keys.name(id.0).map_or("?", |n| n)
    }

    /// A node.
    pub fn node(&self, id: NodeId) -> Option<&NodeRecord> {
        self.nodes.get(id.index()).and_then(|n| n.as_deref())
    }

    /// A relationship.
    pub fn rel(&self, id: RelId) -> Option<&RelRecord> {
        self.rels.get(id.index()).and_then(Option::as_ref)
    }

    /// A node's property by key name.
    pub fn node_property(&self, id: NodeId, key: &str) -> Option<&Value> {
        let key = self.prop_key_id(key)?;
        self.node(id)?.property(key)
    }

    /// Number of live nodes.
    pub fn node_count(&self) -> u64 {
        self.live_nodes
    }

    /// Number of live relationships.
    pub fn rel_count(&self) -> u64 {
        self.live_rels
    }

    /// One past the largest node id ever used.
    pub fn node_id_bound(&self) -> u32 {
        self.nodes.len() as u32
    }

    /// One past the largest relationship id ever used.
    pub fn rel_id_bound(&self) -> u32 {
        self.rels.len() as u32
    }

    /// Number of nodes with a label.
    pub fn label_count(&self, label: LabelId) -> u64 {
        self.label_index.get(label.index()).map_or(0, |b| b.len())
    }

    /// Number of relationships of a type.
    pub fn rel_type_count(&self, rel_type: RelTypeId) -> u64 {
        self.rel_type_counts
            .get(rel_type.index())
            .copied()
            .unwrap_or(0)
    }

    /// The nodes with a label, in id order.
    pub fn nodes_with_label(&self, label: LabelId) -> impl Iterator<Item = NodeId> + '_ {
        self.label_index
            .get(label.index())
            .into_iter()
            .flat_map(|b| b.iter().map(NodeId))
    }

    /// The nodes with a label whose id is at least `from`, in id order
    /// (for scans that resume where they stopped).
    pub fn nodes_with_label_from(
        &self,
        label: LabelId,
        from: u32,
    ) -> impl Iterator<Item = NodeId> + '_ {
        self.label_index
            .get(label.index())
            .into_iter()
            .flat_map(move |b| b.range(from..).map(NodeId))
    }

    /// All live nodes, in id order.
    pub fn all_nodes(&self) -> impl Iterator<Item = NodeId> + '_ {
        self.nodes
            .iter()
            .enumerate()
            .filter(|(_, n)| n.is_some())
            .map(|(i, _)| NodeId(i as u32))
    }

    /// All live relationships, in id order.
    pub fn all_rels(&self) -> impl Iterator<Item = RelId> + '_ {
        self.rels
            .iter()
            .enumerate()
            .filter(|(_, r)| r.is_some())
            .map(|(i, _)| RelId(i as u32))
    }

    /// The relationships of a node, optionally of one type.
    pub fn neighbors(
        &self,
        node: NodeId,
        direction: Direction,
        rel_type: Option<RelTypeId>,
    ) -> impl Iterator<Item = Neighbor> + '_ {
        let record = self.node(node);
        let out = matches!(direction, Direction::Outgoing | Direction::Both).then(|| {
            adjacency_neighbors(
                record.map(NodeRecord::outgoing),
                rel_type,
                Direction::Outgoing,
            )
        });
        let inc = matches!(direction, Direction::Incoming | Direction::Both).then(|| {
            adjacency_neighbors(
                record.map(NodeRecord::incoming),
                rel_type,
                Direction::Incoming,
            )
        });
        // A self-loop appears once when both directions are asked for.
        out.into_iter().flatten().chain(
            inc.into_iter()
                .flatten()
                .filter(move |n| !(direction == Direction::Both && n.other == node)),
        )
    }

    /// Number of relationships of a node in a direction, optionally of a type.
    pub fn degree(&self, node: NodeId, direction: Direction, rel_type: Option<RelTypeId>) -> usize {
        let Some(record) = self.node(node) else {
            return 0;
        };
        let count = |adj: &Adjacency| rel_type.map_or_else(|| adj.len(), |t| adj.len_of(t));
        match direction {
            Direction::Outgoing => count(&record.out),
            Direction::Incoming => count(&record.inc),
            Direction::Both => count(&record.out) + count(&record.inc),
        }
    }

    /// Relationships of `rel_type` from `start` to `end`.
    pub fn rels_between(&self, start: NodeId, rel_type: RelTypeId, end: NodeId) -> Vec<RelId> {
        let (Some(s), Some(e)) = (self.node(start), self.node(end)) else {
            return Vec::new();
        };
        if s.out.len_of(rel_type) <= e.inc.len_of(rel_type) {
            s.out
                .iter_type(rel_type)
                .filter(|a| a.other == end)
                .map(|a| a.rel)
                .collect()
        } else {
            e.inc
                .iter_type(rel_type)
                .filter(|a| a.other == start)
                .map(|a| a.rel)
                .collect()
        }
    }

    /// The first relationship of `rel_type` from `start` to `end`, scanning
    /// the shorter of the two adjacency lists.
    pub fn first_rel_between(
        &self,
        start: NodeId,
        rel_type: RelTypeId,
        end: NodeId,
    ) -> Option<RelId> {
        let (s, e) = (self.node(start)?, self.node(end)?);
        if s.out.len_of(rel_type) <= e.inc.len_of(rel_type) {
            s.out
                .iter_type(rel_type)
                .find(|a| a.other == end)
                .map(|a| a.rel)
        } else {
            e.inc
                .iter_type(rel_type)
                .find(|a| a.other == start)
                .map(|a| a.rel)
        }
    }

    /// The unique index on (`label`, `key`), if declared.
    pub fn has_node_index(&self, label: LabelId, key: PropKeyId) -> bool {
        self.node_unique
            .iter()
            .any(|i| i.label == label && i.key == key)
    }

    /// The declared indexes.
    pub fn indexes(&self) -> Vec<IndexSpec> {
        self.node_unique
            .iter()
            .map(|i| IndexSpec::NodeUnique {
                label: i.label,
                key: i.key,
            })
            .chain(self.rel_unique.iter().map(|i| IndexSpec::RelUnique {
                rel_type: i.rel_type,
                key: i.key,
            }))
            .collect()
    }

    /// The node with `label` whose `key` equals `value`: an index lookup when
    /// the unique index exists, else a label scan.
    pub fn find_node(&self, label: LabelId, key: PropKeyId, value: &Value) -> Option<NodeId> {
        if let Some(index) = self
            .node_unique
            .iter()
            .find(|i| i.label == label && i.key == key)
        {
            return index.map.get(value);
        }
        self.nodes_with_label(label)
            .find(|n| self.node(*n).and_then(|r| r.property(key)) == Some(value))
    }

    /// Like [`GraphState::find_node`] with names.
    pub fn find_node_by_name(&self, label: &str, key: &str, value: &Value) -> Option<NodeId> {
        self.find_node(self.label_id(label)?, self.prop_key_id(key)?, value)
    }

    /// The relationship of `rel_type` whose `key` equals `value` (index or scan).
    pub fn find_rel(&self, rel_type: RelTypeId, key: PropKeyId, value: &Value) -> Option<RelId> {
        if let Some(index) = self
            .rel_unique
            .iter()
            .find(|i| i.rel_type == rel_type && i.key == key)
        {
            return index.map.get(value);
        }
        self.all_rels().find(|r| {
            self.rel(*r)
                .is_some_and(|rec| rec.rel_type == rel_type && rec.property(key) == Some(value))
        })
    }

    /// The nodes an alias names under a label, in id order.
    pub fn alias_nodes(&self, label: LabelId, alias: &str) -> &[NodeId] {
        self.aliases
            .get(label.index())
            .and_then(|map| map.get(alias))
            .map_or(&[], |v| v.as_slice())
    }

    /// Number of alias entries (for memory reports).
    pub fn alias_count(&self) -> usize {
        self.aliases.iter().map(PMap::len).sum()
    }

    pub(crate) fn alias_map_mut(&mut self, label: LabelId) -> &mut AliasMap {
        let maps = Arc::make_mut(&mut self.aliases);
        if maps.len() <= label.index() {
            maps.resize_with(label.index() + 1, PMap::default);
        }
        &mut maps[label.index()]
    }

    // ----- applying operations -----

    fn node_mut(&mut self, id: NodeId) -> GraphResult<&mut NodeRecord> {
        match self.nodes.get_mut(id.index()) {
            Some(Some(rec)) => Ok(Arc::make_mut(rec)),
            _ => Err(GraphError::NodeNotFound(id)),
        }
    }

    fn rel_mut(&mut self, id: RelId) -> GraphResult<&mut RelRecord> {
        match self.rels.get_mut(id.index()) {
            Some(Some(rec)) => Ok(rec),
            _ => Err(GraphError::RelNotFound(id)),
        }
    }

    fn bitmap_mut(&mut self, label: LabelId) -> &mut RoaringBitmap {
        let index = Arc::make_mut(&mut self.label_index);
        if index.len() <= label.index() {
            index.resize_with(label.index() + 1, || Arc::new(RoaringBitmap::new()));
        }
        Arc::make_mut(&mut index[label.index()])
    }

    fn count_rel_type(&mut self, rel_type: RelTypeId, add: bool) {
        let counts = Arc::make_mut(&mut self.rel_type_counts);
        if counts.len() <= rel_type.index() {
            counts.resize(rel_type.index() + 1, 0);
        }
        if add {
            counts[rel_type.index()] += 1;
        } else {
            counts[rel_type.index()] = counts[rel_type.index()].saturating_sub(1);
        }
    }

    /// Checks that giving `node` (with `labels`) property `key` = `value`
    /// breaks no unique index.
    pub(crate) fn check_node_unique(
        &self,
        node: NodeId,
        labels: &[LabelId],
        key: PropKeyId,
        value: &Value,
    ) -> GraphResult<()> {
        if value.is_null() {
            return Ok(());
        }
        for index in self.node_unique.iter() {
            if index.key == key && labels.contains(&index.label) {
                if let Some(existing) = index.map.get(value) {
                    if existing != node {
                        return Err(GraphError::UniqueConstraint {
                            label: self.label_name(index.label).to_owned(),
                            key: self.prop_key_name(key).to_owned(),
                            value: value.clone(),
                            existing,
                        });
                    }
                }
            }
        }
        Ok(())
    }

    pub(crate) fn check_rel_unique(
        &self,
        rel: RelId,
        rel_type: RelTypeId,
        key: PropKeyId,
        value: &Value,
    ) -> GraphResult<()> {
        if value.is_null() {
            return Ok(());
        }
        for index in self.rel_unique.iter() {
            if index.key == key && index.rel_type == rel_type {
                if let Some(existing) = index.map.get(value) {
                    if existing != rel {
                        return Err(GraphError::RelUniqueConstraint {
                            rel_type: self.rel_type_name(rel_type).to_owned(),
                            key: self.prop_key_name(key).to_owned(),
                            value: value.clone(),
                            existing,
                        });
                    }
                }
            }
        }
        Ok(())
    }

    fn index_node_value(
        &mut self,
        node: NodeId,
        label: LabelId,
        key: PropKeyId,
        old: Option<&Value>,
        new: Option<&Value>,
    ) {
        if !self
            .node_unique
            .iter()
            .any(|i| i.label == label && i.key == key)
        {
            return;
        }
        for index in Arc::make_mut(&mut self.node_unique).iter_mut() {
            if index.label == label && index.key == key {
                if let Some(old) = old {
                    if index.map.get(old) == Some(node) {
                        index.map.remove(old);
                    }
                }
                if let Some(new) = new {
                    index.map.insert(new, node);
                }
            }
        }
    }

    fn index_rel_value(
        &mut self,
        rel: RelId,
        rel_type: RelTypeId,
        key: PropKeyId,
        old: Option<&Value>,
        new: Option<&Value>,
    ) {
        if !self
            .rel_unique
            .iter()
            .any(|i| i.rel_type == rel_type && i.key == key)
        {
            return;
        }
        for index in Arc::make_mut(&mut self.rel_unique).iter_mut() {
            if index.rel_type == rel_type && index.key == key {
                if let Some(old) = old {
                    if index.map.get(old) == Some(rel) {
                        index.map.remove(old);
                    }
                }
                if let Some(new) = new {
                    index.map.insert(new, rel);
                }
            }
        }
    }

    fn set_alias(
        &mut self,
        label: LabelId,
        alias: Arc<str>,
        node: NodeId,
        present: bool,
    ) -> GraphResult<()> {
        let record = self.node_mut(node)?;
        let pos = record
            .aliases
            .iter()
            .position(|(l, a)| *l == label && *a == alias);
        match (pos, present) {
            (None, true) => record.aliases.push((label, alias.clone())),
            (Some(i), false) => {
                record.aliases.remove(i);
            }
            _ => return Ok(()),
        }
        let map = self.alias_map_mut(label);
        if present {
            let entry = map.entry_or_default(alias);
            if let Err(i) = entry.binary_search(&node) {
                entry.insert(i, node);
            }
        } else if let Some(entry) = map.get_mut(&*alias) {
            entry.retain(|n| *n != node);
            if entry.is_empty() {
                map.remove(&*alias);
            }
        }
        Ok(())
    }

    /// Applies one operation. Every constraint is checked before anything
    /// changes, so a failed operation leaves the state as it was.
    pub(crate) fn apply(&mut self, op: Op) -> GraphResult<()> {
        match op {
            Op::DefineSymbol { kind, id, name } => {
                if !Arc::make_mut(&mut self.symbols)
                    .of_mut(kind)
                    .define(id, &name)
                {
                    return Err(GraphError::ReplayMismatch {
                        lsn: self.lsn,
                        detail: format!("symbol {id} `{name}` of {kind:?} conflicts"),
                    });
                }
                Ok(())
            }
            Op::CreateIndex(spec) => self.create_index(&spec),
            Op::CreateNode { id, labels, props } => {
                if id.index() != self.nodes.len() {
                    return Err(GraphError::ReplayMismatch {
                        lsn: self.lsn,
                        detail: format!(
                            "node id {id} is not the next free id {}",
                            self.nodes.len()
                        ),
                    });
                }
                for (key, value) in &props {
                    self.check_node_unique(id, &labels, *key, value)?;
                }
                for label in &labels {
                    self.bitmap_mut(*label).insert(id.0);
                    for (key, value) in &props {
                        self.index_node_value(id, *label, *key, None, Some(value));
                    }
                }
                let record = NodeRecord {
                    labels: labels.into_iter().collect(),
                    props: props.into_iter().collect(),
                    ..NodeRecord::default()
                };
                self.nodes.push(Some(Arc::new(record)));
                self.live_nodes += 1;
                Ok(())
            }
            Op::DeleteNode { id } => {
                let record = self.node(id).ok_or(GraphError::NodeNotFound(id))?;
                let count = record.out.len() + record.inc.len();
                if count > 0 {
                    return Err(GraphError::NodeHasRelationships { node: id, count });
                }
                let labels = record.labels.clone();
                let props: Vec<(PropKeyId, Value)> =
                    record.props.iter().map(|(k, v)| (k, v.clone())).collect();
                let aliases = record.aliases.clone();
                for (label, alias) in &aliases {
                    self.set_alias(*label, alias.clone(), id, false)?;
                }
                for label in &labels {
                    self.bitmap_mut(*label).remove(id.0);
                    for (key, value) in &props {
                        self.index_node_value(id, *label, *key, Some(value), None);
                    }
                }
                if let Some(slot) = self.nodes.get_mut(id.index()) {
                    *slot = None;
                }
                self.live_nodes -= 1;
                Ok(())
            }
            Op::AddLabel { node, label } => {
                let record = self.node(node).ok_or(GraphError::NodeNotFound(node))?;
                if record.has_label(label) {
                    return Ok(());
                }
                let props: Vec<(PropKeyId, Value)> =
                    record.props.iter().map(|(k, v)| (k, v.clone())).collect();
                for (key, value) in &props {
                    self.check_node_unique(node, &[label], *key, value)?;
                }
                self.node_mut(node)?.labels.push(label);
                self.bitmap_mut(label).insert(node.0);
                for (key, value) in &props {
                    self.index_node_value(node, label, *key, None, Some(value));
                }
                Ok(())
            }
            Op::RemoveLabel { node, label } => {
                let record = self.node(node).ok_or(GraphError::NodeNotFound(node))?;
                if !record.has_label(label) {
                    return Ok(());
                }
                let props: Vec<(PropKeyId, Value)> =
                    record.props.iter().map(|(k, v)| (k, v.clone())).collect();
                self.node_mut(node)?.labels.retain(|l| *l != label);
                self.bitmap_mut(label).remove(node.0);
                for (key, value) in &props {
                    self.index_node_value(node, label, *key, Some(value), None);
                }
                Ok(())
            }
            Op::SetNodeProperty { node, key, value } => {
                let record = self.node(node).ok_or(GraphError::NodeNotFound(node))?;
                let labels = record.labels.clone();
                self.check_node_unique(node, &labels, key, &value)?;
                let indexed = self
                    .node_unique
                    .iter()
                    .any(|i| i.key == key && labels.contains(&i.label));
                let new = (indexed && !value.is_null()).then(|| value.clone());
                let old = self.node_mut(node)?.props.set(key, value);
                if indexed {
                    for label in &labels {
                        self.index_node_value(node, *label, key, old.as_ref(), new.as_ref());
                    }
                }
                Ok(())
            }
            Op::CreateRel {
                id,
                rel_type,
                start,
                end,
                props,
            } => {
                if id.index() != self.rels.len() {
                    return Err(GraphError::ReplayMismatch {
                        lsn: self.lsn,
                        detail: format!(
                            "relationship id {id} is not the next free id {}",
                            self.rels.len()
                        ),
                    });
                }
                if self.node(start).is_none() {
                    return Err(GraphError::NodeNotFound(start));
                }
                if self.node(end).is_none() {
                    return Err(GraphError::NodeNotFound(end));
                }
                for (key, value) in &props {
                    self.check_rel_unique(id, rel_type, *key, value)?;
                }
                for (key, value) in &props {
                    self.index_rel_value(id, rel_type, *key, None, Some(value));
                }
                self.rels.push(Some(RelRecord {
                    rel_type,
                    start,
                    end,
                    props: props.into_iter().collect::<PropertyMap>(),
                }));
                self.live_rels += 1;
                self.count_rel_type(rel_type, true);
                self.node_mut(start)?.out.insert(AdjEntry {
                    rel_type,
                    rel: id,
                    other: end,
                });
                self.node_mut(end)?.inc.insert(AdjEntry {
                    rel_type,
                    rel: id,
                    other: start,
                });
                Ok(())
            }
            Op::DeleteRel { id } => {
                let record = self.rel(id).ok_or(GraphError::RelNotFound(id))?.clone();
                self.node_mut(record.start)?.out.remove(record.rel_type, id);
                self.node_mut(record.end)?.inc.remove(record.rel_type, id);
                for (key, value) in record.props.iter() {
                    self.index_rel_value(id, record.rel_type, key, Some(value), None);
                }
                if let Some(slot) = self.rels.get_mut(id.index()) {
                    *slot = None;
                }
                self.live_rels -= 1;
                self.count_rel_type(record.rel_type, false);
                Ok(())
            }
            Op::SetRelProperty { rel, key, value } => {
                let rel_type = self.rel(rel).ok_or(GraphError::RelNotFound(rel))?.rel_type;
                self.check_rel_unique(rel, rel_type, key, &value)?;
                let new = (!value.is_null()).then(|| value.clone());
                let old = self.rel_mut(rel)?.props.set(key, value);
                self.index_rel_value(rel, rel_type, key, old.as_ref(), new.as_ref());
                Ok(())
            }
            Op::SetAlias {
                label,
                alias,
                node,
                present,
            } => self.set_alias(label, alias, node, present),
        }
    }

    fn create_index(&mut self, spec: &IndexSpec) -> GraphResult<()> {
        if self.indexes().contains(spec) {
            return Ok(());
        }
        match *spec {
            IndexSpec::NodeUnique { label, key } => {
                let mut map = ValueKeyMap::default();
                for node in self.nodes_with_label(label) {
                    if let Some(value) = self.node(node).and_then(|r| r.property(key)) {
                        if let Some(existing) = map.insert(value, node) {
                            return Err(GraphError::UniqueConstraint {
                                label: self.label_name(label).to_owned(),
                                key: self.prop_key_name(key).to_owned(),
                                value: value.clone(),
                                existing,
                            });
                        }
                    }
                }
                Arc::make_mut(&mut self.node_unique).push(NodeUniqueIndex { label, key, map });
            }
            IndexSpec::RelUnique { rel_type, key } => {
                let mut map = ValueKeyMap::default();
                for rel in self.all_rels() {
                    if let Some(record) = self.rel(rel) {
                        if record.rel_type == rel_type {
                            if let Some(value) = record.property(key) {
                                if let Some(existing) = map.insert(value, rel) {
                                    return Err(GraphError::RelUniqueConstraint {
                                        rel_type: self.rel_type_name(rel_type).to_owned(),
                                        key: self.prop_key_name(key).to_owned(),
                                        value: value.clone(),
                                        existing,
                                    });
                                }
                            }
                        }
                    }
                }
                Arc::make_mut(&mut self.rel_unique).push(RelUniqueIndex { rel_type, key, map });
            }
        }
        Ok(())
    }

    /// Approximate resident bytes of this version: records, adjacency,
    /// properties and indexes.
    pub fn memory_estimate(&self) -> MemoryEstimate {
        let node_slot = std::mem::size_of::<Option<Arc<NodeRecord>>>();
        let rel_slot = std::mem::size_of::<Option<RelRecord>>();
        let mut node_bytes = self.nodes.overhead_bytes() + self.nodes.len() * node_slot;
        let mut adjacency_bytes = 0;
        for record in self.nodes.iter().flatten() {
            node_bytes += 16 + std::mem::size_of::<NodeRecord>() + record.props.heap_bytes();
            adjacency_bytes += record.out.heap_bytes() + record.inc.heap_bytes();
        }
        let mut rel_bytes = self.rels.overhead_bytes() + self.rels.len() * rel_slot;
        for record in self.rels.iter().flatten() {
            rel_bytes += record.props.heap_bytes();
        }
        let index_heap: usize = self
            .node_unique
            .iter()
            .map(|i| i.map.heap_bytes())
            .sum::<usize>()
            + self
                .rel_unique
                .iter()
                .map(|i| i.map.heap_bytes())
                .sum::<usize>()
            + self.aliases.iter().map(PMap::heap_bytes).sum::<usize>();
        let label_bytes: u64 = self
            .label_index
            .iter()
            .map(|b| b.serialized_size() as u64)
            .sum();
        MemoryEstimate {
            node_bytes: node_bytes as u64,
            rel_bytes: rel_bytes as u64,
            adjacency_bytes: adjacency_bytes as u64,
            index_bytes: index_heap as u64 + label_bytes,
        }
    }
}

fn adjacency_neighbors(
    adj: Option<&Adjacency>,
    rel_type: Option<RelTypeId>,
    direction: Direction,
) -> impl Iterator<Item = Neighbor> + '_ {
    let entries = match (adj, rel_type) {
        (None, _) => None,
        (Some(a), None) => Some(a.iter()),
        (Some(a), Some(t)) => Some(a.iter_type(t)),
    };
    entries
        .into_iter()
        .flatten()
        .map(move |e: &AdjEntry| Neighbor {
            rel: e.rel,
            rel_type: e.rel_type,
            other: e.other,
            direction,
        })
}

/// Where a version's memory goes (estimates from record sizes).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct MemoryEstimate {
    /// Node records and their properties.
    pub node_bytes: u64,
    /// Relationship records and their properties.
    pub rel_bytes: u64,
    /// Adjacency lists (both directions).
    pub adjacency_bytes: u64,
    /// Label bitmaps, unique indexes and aliases.
    pub index_bytes: u64,
}

impl MemoryEstimate {
    /// The sum of all parts.
    pub fn total(&self) -> u64 {
        self.node_bytes + self.rel_bytes + self.adjacency_bytes + self.index_bytes
    }
}

/// Symbol kinds in a fixed order (used by encoders).
pub(crate) const SYMBOL_KINDS: [SymbolKind; 3] =
    [SymbolKind::Label, SymbolKind::RelType, SymbolKind::PropKey];
