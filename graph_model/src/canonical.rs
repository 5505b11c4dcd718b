//! An id-independent form of a graph, for comparing two graphs built in
//! different orders or in different processes (tests, rebuild checks).
//!
//! The form is a multiset of lines: one per node (labels, key, all
//! properties) and one per relationship (both endpoints' identities, type,
//! properties). Two graphs are equal up to internal ids exactly when their
//! forms are equal.

use std::collections::BTreeMap;

use crate::ids::{Direction, NodeId};
use crate::store::{GraphState, PropertyMap};
use crate::value::{format_datetime, Value};

/// The canonical form: line → how many times it occurs.
pub type Canonical = BTreeMap<String, u32>;

/// A node's identity independent of its id: sorted labels and its key
/// property (`id`, `code` or `name`), or the reference a stub stands for.
pub fn node_identity(graph: &GraphState, node: NodeId) -> String {
    let Some(record) = graph.node(node) else {
        return format!("missing:{node}");
    };
    let mut labels: Vec<&str> = record
        .labels()
        .iter()
        .map(|l| graph.label_name(*l))
        .collect();
    labels.sort_unstable();
    let key = ["id", "code", "name", "ref"]
        .iter()
        .find_map(|k| {
            graph
                .prop_key_id(k)
                .and_then(|key| record.property(key))
                .map(|v| format!("{k}={v}"))
        })
        .unwrap_or_else(|| "?".to_owned());
    format!("({}:{key})", labels.join(":"))
}

fn render(value: &Value) -> String {
    // Date-times keep their offset in the canonical form.
    match value {
        Value::DateTime(dt) => format_datetime(dt),
        other => other.to_string(),
    }
}

fn properties(graph: &GraphState, props: &PropertyMap) -> String {
    let mut entries: Vec<(String, String)> = props
        .iter()
        .map(|(k, v)| (graph.prop_key_name(k).to_owned(), render(v)))
        .collect();
    entries.sort();
    entries
        .iter()
        .map(|(k, v)| format!("{k}: {v}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The canonical form of `graph`.
pub fn canonical(graph: &GraphState) -> Canonical {
    let mut lines = Canonical::new();
    for node in graph.all_nodes() {
        let Some(record) = graph.node(node) else {
            continue;
        };
        let identity = node_identity(graph, node);
        let line = format!("{identity} {{{}}}", properties(graph, record.properties()));
        *lines.entry(line).or_default() += 1;
        for neighbor in graph.neighbors(node, Direction::Outgoing, None) {
            if let Some(rel) = graph.rel(neighbor.rel) {
                let line = format!(
                    "{identity}-[:{} {{{}}}]->{}",
                    graph.rel_type_name(rel.rel_type()),
                    properties(graph, rel.properties()),
                    node_identity(graph, rel.end())
                );
                *lines.entry(line).or_default() += 1;
            }
        }
    }
    lines
}

/// Describes how two canonical forms differ (the first few lines each way).
pub fn diff(left: &Canonical, right: &Canonical) -> String {
    let only = |a: &Canonical, b: &Canonical| -> Vec<String> {
        a.iter()
            .filter(|(k, v)| b.get(*k) != Some(v))
            .map(|(k, _)| k.clone())
            .take(5)
            .collect()
    };
    format!(
        "{} vs {} lines; only left: {:#?}; only right: {:#?}",
        left.len(),
        right.len(),
        only(left, right),
        only(right, left)
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Database;

    fn build(order: &[&str]) -> Canonical {
        let db = Database::in_memory();
        let mut txn = db.begin_write();
        let mut ids = Vec::new();
        for id in order {
            ids.push(
                txn.create_node(&["Patient"], &[("id", Value::from(*id))])
                    .expect("node"),
            );
        }
        txn.create_rel(ids[0], "KNOWS", ids[1], &[]).expect("rel");
        txn.commit().expect("commit");
        canonical(&db.snapshot())
    }

    #[test]
    fn independent_of_creation_order_but_not_of_content() {
        let a = build(&["p1", "p2"]);
        let b = build(&["p2", "p1"]);
        // Same nodes; the relationship goes the other way round in `b`.
        assert_ne!(a, b, "{}", diff(&a, &b));
        let c = build(&["p1", "p2"]);
        assert_eq!(a, c);
        assert_eq!(a.values().sum::<u32>(), 3);
    }
}
