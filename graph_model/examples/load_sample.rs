//! Loads FHIR paths into an in-memory graph and prints the report and counts.
use graph_model::fhir::{load_paths, LoadOptions};
use graph_model::{Database, GraphStats};

fn main() {
    let paths: Vec<std::path::PathBuf> = std::env::args().skip(1).map(Into::into).collect();
    let db = Database::in_memory();
    let report = load_paths(&db, &paths, LoadOptions::default(), &mut |_| {}).expect("load");
    let mut r = report.clone();
    r.rejections.truncate(5);
    println!("{}", serde_json::to_string_pretty(&r).expect("json"));
    println!("{}", serde_json::to_string_pretty(&GraphStats::compute(&db.snapshot())).expect("json"));
}
