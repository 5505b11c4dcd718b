//! `caregraph stats`: counts, size on disk and in memory.

use std::path::Path;

use graph_model::GraphStats;

use super::{dir_size, open_db};

/// Prints the statistics of the graph in `dir`.
pub fn run(dir: &Path, json: bool) -> anyhow::Result<()> {
    if !dir.exists() {
        anyhow::bail!("data directory {} does not exist", dir.display());
    }
    let db = open_db(dir, true)?;
    let graph = db.snapshot();
    let stats = GraphStats::compute(&graph);
    let memory = graph.memory_estimate();
    let disk = dir_size(dir);
    let resident = crate::http::metrics::resident_bytes().unwrap_or(0);
    if json {
        let mut value = serde_json::to_value(&stats)?;
        if let Some(map) = value.as_object_mut() {
            map.insert("disk_bytes".into(), disk.into());
            map.insert(
                "memory".into(),
                serde_json::json!({
                    "estimated_bytes": memory.total(),
                    "node_bytes": memory.node_bytes,
                    "relationship_bytes": memory.rel_bytes,
                    "adjacency_bytes": memory.adjacency_bytes,
                    "index_bytes": memory.index_bytes,
                    "process_resident_bytes": resident,
                }),
            );
        }
        println!("{}", serde_json::to_string_pretty(&value)?);
        return Ok(());
    }
    println!("data directory  {}", dir.display());
    println!("transactions    {}", stats.lsn);
    println!(
        "nodes           {} ({} stubs)",
        stats.total_nodes,
        stats.stubs.values().sum::<u64>()
    );
    for (label, count) in &stats.nodes {
        let stubs = stats.stubs.get(label).copied().unwrap_or(0);
        if stubs > 0 {
            println!("  {label:<22} {count:>12}   + {stubs} stub(s)");
        } else {
            println!("  {label:<22} {count:>12}");
        }
    }
    for (label, stubs) in &stats.stubs {
        if !stats.nodes.contains_key(label) {
            println!("  {label:<22} {:>12}   + {stubs} stub(s)", 0);
        }
    }
    println!("relationships   {}", stats.total_relationships);
    for (rel_type, count) in &stats.relationships {
        println!("  {rel_type:<22} {count:>12}");
    }
    println!("on disk         {:.1} MB", disk as f64 / 1e6);
    println!(
        "in memory       {:.1} MB estimated (nodes {:.1}, relationships {:.1}, adjacency {:.1}, indexes {:.1}); process resident {:.1} MB",
        memory.total() as f64 / 1e6,
        memory.node_bytes as f64 / 1e6,
        memory.rel_bytes as f64 / 1e6,
        memory.adjacency_bytes as f64 / 1e6,
        memory.index_bytes as f64 / 1e6,
        resident as f64 / 1e6
    );
    Ok(())
}
