//! The operations a write transaction is made of.
//!
//! A transaction validates each change against its working version of the
//! graph and records it as an [`Op`] with every id resolved. The same
//! function applies an op in the transaction and when the write-ahead log is
//! replayed, so recovery rebuilds exactly what was committed.

use std::sync::Arc;

use crate::ids::{LabelId, NodeId, PropKeyId, RelId, RelTypeId};
use crate::symbols::SymbolKind;
use crate::value::Value;

/// An index the store maintains.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum IndexSpec {
    /// Nodes with `label` are unique by property `key` (absent keys allowed).
    NodeUnique {
        /// The label.
        label: LabelId,
        /// The key property.
        key: PropKeyId,
    },
    /// Relationships of `rel_type` are unique by property `key`.
    RelUnique {
        /// The relationship type.
        rel_type: RelTypeId,
        /// The key property.
        key: PropKeyId,
    },
}

/// One logged change.
#[derive(Clone, Debug, PartialEq)]
pub enum Op {
    /// A new interned name.
    DefineSymbol {
        /// Which namespace.
        kind: SymbolKind,
        /// Its id.
        id: u32,
        /// The name.
        name: Arc<str>,
    },
    /// Declares an index (built over existing data).
    CreateIndex(IndexSpec),
    /// A new node.
    CreateNode {
        /// Its id (the next free slot).
        id: NodeId,
        /// Its labels.
        labels: Vec<LabelId>,
        /// Its properties.
        props: Vec<(PropKeyId, Value)>,
    },
    /// Removes a node that has no relationships.
    DeleteNode {
        /// The node.
        id: NodeId,
    },
    /// Adds a label.
    AddLabel {
        /// The node.
        node: NodeId,
        /// The label.
        label: LabelId,
    },
    /// Removes a label.
    RemoveLabel {
        /// The node.
        node: NodeId,
        /// The label.
        label: LabelId,
    },
    /// Sets (or with `Null`, removes) a node property.
    SetNodeProperty {
        /// The node.
        node: NodeId,
        /// The key.
        key: PropKeyId,
        /// The value.
        value: Value,
    },
    /// A new relationship.
    CreateRel {
        /// Its id (the next free slot).
        id: RelId,
        /// Its type.
        rel_type: RelTypeId,
        /// Start node.
        start: NodeId,
        /// End node.
        end: NodeId,
        /// Its properties.
        props: Vec<(PropKeyId, Value)>,
    },
    /// Removes a relationship.
    DeleteRel {
        /// The relationship.
        id: RelId,
    },
    /// Sets (or with `Null`, removes) a relationship property.
    SetRelProperty {
        /// The relationship.
        rel: RelId,
        /// The key.
        key: PropKeyId,
        /// The value.
        value: Value,
    },
    /// Adds or removes an alias: a name under `label` that finds `node`.
    SetAlias {
        /// The label the alias belongs to.
        label: LabelId,
        /// The alias text (an external identifier such as `system|value`).
        alias: Arc<str>,
        /// The node.
        node: NodeId,
        /// `true` to add, `false` to remove.
        present: bool,
    },
}

impl Op {
    /// Shares the operation's short strings through `interner`.
    pub(crate) fn intern_strings(&mut self, interner: &mut super::interner::StringInterner) {
        match self {
            Op::CreateNode { props, .. } | Op::CreateRel { props, .. } => {
                for (key, value) in props.iter_mut() {
                    *value = interner.intern_property(key.0, std::mem::take(value));
                }
            }
            Op::SetNodeProperty { key, value, .. } | Op::SetRelProperty { key, value, .. } => {
                *value = interner.intern_property(key.0, std::mem::take(value));
            }
            _ => {}
        }
    }
}
