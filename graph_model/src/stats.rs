//! Counts per label and relationship type, as `caregraph stats` shows them.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::store::GraphState;
use crate::value::Value;

/// Node and relationship counts of one version of the graph.
#[derive(Clone, Debug, Default, Serialize, PartialEq, Eq)]
pub struct GraphStats {
    /// Nodes per label, stubs excluded.
    pub nodes: BTreeMap<String, u64>,
    /// Relationships per type.
    pub relationships: BTreeMap<String, u64>,
    /// Stub nodes (`stub: true`) per label.
    pub stubs: BTreeMap<String, u64>,
    /// All nodes, stubs included.
    pub total_nodes: u64,
    /// All relationships.
    pub total_relationships: u64,
    /// The last committed transaction.
    pub lsn: u64,
}

impl GraphStats {
    /// Counts `graph`.
    pub fn compute(graph: &GraphState) -> GraphStats {
        let mut stats = GraphStats {
            total_nodes: graph.node_count(),
            total_relationships: graph.rel_count(),
            lsn: graph.lsn(),
            ..GraphStats::default()
        };
        let stub_key = graph.prop_key_id("stub");
        for (index, name) in graph.symbols().labels.names().iter().enumerate() {
            let label = crate::ids::LabelId(index as u32);
            let mut nodes = 0;
            let mut stubs = 0;
            for node in graph.nodes_with_label(label) {
                let is_stub = stub_key
                    .and_then(|k| graph.node(node).and_then(|r| r.property(k)))
                    .is_some_and(|v| *v == Value::Boolean(true));
                if is_stub {
                    stubs += 1;
                } else {
                    nodes += 1;
                }
            }
            if nodes > 0 {
                stats.nodes.insert(name.to_string(), nodes);
            }
            if stubs > 0 {
                stats.stubs.insert(name.to_string(), stubs);
            }
        }
        for (index, name) in graph.symbols().rel_types.names().iter().enumerate() {
            let count = graph.rel_type_count(crate::ids::RelTypeId(index as u32));
            if count > 0 {
                stats.relationships.insert(name.to_string(), count);
            }
        }
        stats
    }
}
