//! Helpers shared by the workspace integration tests: dataset locations,
//! expected results computed independently of the loader
//! (`tests/expected/`), and a canonical form of a graph that does not depend
//! on internal ids, so two graphs built in different orders can be compared.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use graph_model::{Direction, GraphState, NodeId, Value};
pub mod tck;

/// The workspace root.
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map_or_else(|| PathBuf::from("."), Path::to_path_buf)
}

/// The bundled 10-patient bulk export.
pub fn bulk_10() -> PathBuf {
    seeds::bundled_sample_dir().join("synthea-bulk-10")
}

/// The bundled 86-patient California bundles.
pub fn ca_86() -> PathBuf {
    seeds::bundled_sample_dir()
        .join("synthea-ca-86")
        .join("synthea_data_california_fhir.tar.gz")
}

/// The 615-patient set in `../shared`, when it is there (CI has it; a
/// fresh clone without `../shared` does not).
pub fn smart_615() -> Option<PathBuf> {
    let path = workspace_root().join("../shared/data/synthea-smart-r4/R4_SYNTHEA_bundles.tar.gz");
    path.exists().then_some(path)
}

/// An expected-results file of `tests/expected/`.
pub fn expected(name: &str) -> anyhow::Result<serde_json::Value> {
    let path = workspace_root()
        .join("tests/expected")
        .join(format!("{name}.json"));
    let text = std::fs::read_to_string(&path)
        .map_err(|e| anyhow::anyhow!("reading {}: {e}", path.display()))?;
    Ok(serde_json::from_str(&text)?)
}

/// Converts a JSON object of counts into a map.
pub fn counts(value: &serde_json::Value) -> BTreeMap<String, u64> {
    value
        .as_object()
        .map(|m| {
            m.iter()
                .filter_map(|(k, v)| v.as_u64().map(|n| (k.clone(), n)))
                .collect()
        })
        .unwrap_or_default()
}

/// A node's identity independent of its id: labels and key property (or
/// the reference a stub stands for).
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

fn properties(graph: &GraphState, props: &graph_model::store::PropertyMap) -> String {
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

fn render(value: &Value) -> String {
    // Date-times keep their offset in the canonical form.
    match value {
        Value::DateTime(dt) => graph_model::value::format_datetime(dt),
        other => other.to_string(),
    }
}

/// The graph as a multiset of lines: one per node (identity and all
/// properties) and one per relationship (endpoints' identities, type,
/// properties). Equal multisets mean equal graphs up to internal ids.
pub fn canonical(graph: &GraphState) -> BTreeMap<String, u32> {
    let mut lines = BTreeMap::new();
    for node in graph.all_nodes() {
        if let Some(record) = graph.node(node) {
            let line = format!(
                "{} {{{}}}",
                node_identity(graph, node),
                properties(graph, record.properties())
            );
            *lines.entry(line).or_default() += 1;
            for neighbor in graph.neighbors(node, Direction::Outgoing, None) {
                if let Some(rel) = graph.rel(neighbor.rel) {
                    let line = format!(
                        "{}-[:{} {{{}}}]->{}",
                        node_identity(graph, node),
                        graph.rel_type_name(rel.rel_type()),
                        properties(graph, rel.properties()),
                        node_identity(graph, rel.end())
                    );
                    *lines.entry(line).or_default() += 1;
                }
            }
        }
    }
    lines
}

/// Describes how two canonical graphs differ (first few lines each way).
pub fn diff(left: &BTreeMap<String, u32>, right: &BTreeMap<String, u32>) -> String {
    let only_left: Vec<&String> = left
        .iter()
        .filter(|(k, v)| right.get(*k) != Some(v))
        .map(|(k, _)| k)
        .take(5)
        .collect();
    let only_right: Vec<&String> = right
        .iter()
        .filter(|(k, v)| left.get(*k) != Some(v))
        .map(|(k, _)| k)
        .take(5)
        .collect();
    format!(
        "{} vs {} lines; only left: {only_left:#?}; only right: {only_right:#?}",
        left.len(),
        right.len()
    )
}
