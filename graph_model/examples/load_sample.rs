//! Loads FHIR paths into an in-memory graph and prints counts, the memory
//! estimate and the process's resident memory (a quick check tool).
use graph_model::fhir::{load_paths, LoadOptions};
use graph_model::{Database, GraphStats};

fn resident_mb() -> f64 {
    let text = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    text.lines()
        .find(|l| l.starts_with("VmRSS:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse::<f64>().ok())
        .map_or(0.0, |kb| kb / 1024.0)
}

fn main() {
    let paths: Vec<std::path::PathBuf> = std::env::args().skip(1).map(Into::into).collect();
    let db = Database::in_memory();
    let started = std::time::Instant::now();
    let report = load_paths(&db, &paths, LoadOptions::default(), &mut |_| {}).expect("load");
    let graph = db.snapshot();
    let stats = GraphStats::compute(&graph);
    let memory = graph.memory_estimate();
    println!(
        "{} records in {:.2} s; {} nodes, {} relationships; estimate {:.1} MB {:?}; resident {:.1} MB",
        report.records_read,
        started.elapsed().as_secs_f64(),
        stats.total_nodes,
        stats.total_relationships,
        memory.total() as f64 / 1e6,
        memory,
        resident_mb()
    );
}
