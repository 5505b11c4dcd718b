//! Node and relationship records and their property maps.

use std::sync::Arc;

use smallvec::SmallVec;
use thin_vec::ThinVec;

use super::adjacency::Adjacency;
use crate::ids::{LabelId, NodeId, PropKeyId, RelTypeId};
use crate::value::Value;

/// Properties of a node or relationship, sorted by key id.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct PropertyMap(ThinVec<(PropKeyId, Value)>);

impl PropertyMap {
    /// An empty map.
    pub fn new() -> Self {
        PropertyMap(ThinVec::new())
    }

    /// The value of `key`.
    pub fn get(&self, key: PropKeyId) -> Option<&Value> {
        self.0
            .binary_search_by_key(&key, |(k, _)| *k)
            .ok()
            .map(|i| &self.0[i].1)
    }

    /// Sets `key`, returning the previous value. A `Null` value removes it.
    pub fn set(&mut self, key: PropKeyId, value: Value) -> Option<Value> {
        if value.is_null() {
            return self.remove(key);
        }
        match self.0.binary_search_by_key(&key, |(k, _)| *k) {
            Ok(i) => Some(std::mem::replace(&mut self.0[i].1, value)),
            Err(i) => {
                self.0.insert(i, (key, value));
                None
            }
        }
    }

    /// Removes `key`, returning its value.
    pub fn remove(&mut self, key: PropKeyId) -> Option<Value> {
        match self.0.binary_search_by_key(&key, |(k, _)| *k) {
            Ok(i) => Some(self.0.remove(i).1),
            Err(_) => None,
        }
    }

    /// All entries in key-id order.
    pub fn iter(&self) -> impl Iterator<Item = (PropKeyId, &Value)> + '_ {
        self.0.iter().map(|(k, v)| (*k, v))
    }

    /// Number of properties.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// `true` when there are no properties.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Heap bytes used (for memory reports).
    pub fn heap_bytes(&self) -> usize {
        if self.0.capacity() == 0 {
            return 0;
        }
        16 + self.0.capacity() * std::mem::size_of::<(PropKeyId, Value)>()
            + self.0.iter().map(|(_, v)| v.heap_size()).sum::<usize>()
    }
}

impl FromIterator<(PropKeyId, Value)> for PropertyMap {
    /// Builds the map with exactly the room it needs (later duplicates of a
    /// key win; `Null` values are dropped).
    fn from_iter<I: IntoIterator<Item = (PropKeyId, Value)>>(iter: I) -> Self {
        let mut entries: Vec<(PropKeyId, Value)> = iter.into_iter().collect();
        // Stable sort keeps the order of duplicates: keep the last of each key.
        entries.sort_by_key(|(k, _)| *k);
        let mut exact: ThinVec<(PropKeyId, Value)> = ThinVec::with_capacity(entries.len());
        for (k, v) in entries {
            if exact.last().is_some_and(|(last, _)| *last == k) {
                exact.pop();
            }
            exact.push((k, v));
        }
        exact.retain(|(_, v)| !v.is_null());
        PropertyMap(exact)
    }
}

/// A node: labels, properties, relationships both ways, and the aliases
/// (external identifiers) it can be found by.
#[derive(Clone, Debug, Default)]
pub struct NodeRecord {
    pub(crate) labels: SmallVec<[LabelId; 2]>,
    pub(crate) props: PropertyMap,
    pub(crate) out: Adjacency,
    pub(crate) inc: Adjacency,
    pub(crate) aliases: ThinVec<(LabelId, Arc<str>)>,
}

impl NodeRecord {
    /// The node's labels, in the order they were added.
    pub fn labels(&self) -> &[LabelId] {
        &self.labels
    }

    /// `true` when the node carries `label`.
    pub fn has_label(&self, label: LabelId) -> bool {
        self.labels.contains(&label)
    }

    /// The node's properties.
    pub fn properties(&self) -> &PropertyMap {
        &self.props
    }

    /// One property.
    pub fn property(&self, key: PropKeyId) -> Option<&Value> {
        self.props.get(key)
    }

    /// Outgoing relationships.
    pub fn outgoing(&self) -> &Adjacency {
        &self.out
    }

    /// Incoming relationships.
    pub fn incoming(&self) -> &Adjacency {
        &self.inc
    }

    /// The aliases the node can be found by, with the label they belong to.
    pub fn aliases(&self) -> &[(LabelId, Arc<str>)] {
        &self.aliases
    }

    /// Heap bytes used (for memory reports).
    pub fn heap_bytes(&self) -> usize {
        self.props.heap_bytes()
            + self.out.heap_bytes()
            + self.inc.heap_bytes()
            + if self.labels.spilled() {
                self.labels.capacity() * 4
            } else {
                0
            }
            + self
                .aliases
                .iter()
                .map(|(_, a)| 40 + a.len())
                .sum::<usize>()
    }
}

/// A directed, typed relationship with properties.
#[derive(Clone, Debug)]
pub struct RelRecord {
    pub(crate) rel_type: RelTypeId,
    pub(crate) start: NodeId,
    pub(crate) end: NodeId,
    pub(crate) props: PropertyMap,
}

impl RelRecord {
    /// The relationship's type.
    pub fn rel_type(&self) -> RelTypeId {
        self.rel_type
    }

    /// The start node.
    pub fn start(&self) -> NodeId {
        self.start
    }

    /// The end node.
    pub fn end(&self) -> NodeId {
        self.end
    }

    /// The relationship's properties.
    pub fn properties(&self) -> &PropertyMap {
        &self.props
    }

    /// One property.
    pub fn property(&self, key: PropKeyId) -> Option<&Value> {
        self.props.get(key)
    }
}
