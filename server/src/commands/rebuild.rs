//! `caregraph rebuild`: the graph anew from the raw archive.

use std::path::Path;
use std::time::Instant;

use anyhow::Context;
use graph_model::fhir::archive::read_archive;
use graph_model::fhir::{LoadOptions, Loader};
use graph_model::{Database, DbOptions};

use super::open_db;

/// Rebuilds the graph of `dir` from `dir/raw`.
pub fn run(dir: &Path) -> anyhow::Result<()> {
    let raw = dir.join("raw");
    if !raw.is_dir() {
        anyhow::bail!(
            "{} has no raw archive ({}); nothing to rebuild from",
            dir.display(),
            raw.display()
        );
    }
    // Holding the live database keeps its lock: no server can start meanwhile.
    let live = open_db(dir, true)?;
    let before = live.snapshot();
    let started = Instant::now();
    let work = dir.join("rebuild.tmp");
    if work.exists() {
        std::fs::remove_dir_all(&work).with_context(|| format!("removing {}", work.display()))?;
    }
    let fresh = Database::open(
        &work,
        DbOptions {
            sync_commits: false,
            snapshot_after_bytes: 0,
            ..DbOptions::default()
        },
    )?;
    let mut loader = Loader::new(&fresh, LoadOptions::default())?;
    let scan = read_archive(&raw, &mut |records| loader.load_records(records))?;
    let report = loader.finish()?;
    fresh.close()?;
    let (nodes, rels) = (fresh.snapshot().node_count(), fresh.snapshot().rel_count());
    drop(fresh);
    for problem in &scan.problems {
        eprintln!("warning: raw archive: {problem}; the rest of that file was not read");
    }
    // Swap the graph files: old ones aside, new ones in, old ones removed.
    let old = dir.join("rebuild.old");
    if old.exists() {
        std::fs::remove_dir_all(&old)?;
    }
    std::fs::create_dir_all(&old)?;
    for entry in std::fs::read_dir(dir)?.flatten() {
        let name = entry.file_name();
        let name = name.to_string_lossy();
        if is_graph_file(&name) {
            std::fs::rename(entry.path(), old.join(&*name))?;
        }
    }
    for entry in std::fs::read_dir(&work)?.flatten() {
        let name = entry.file_name();
        if is_graph_file(&name.to_string_lossy()) {
            std::fs::rename(entry.path(), dir.join(&name))?;
        }
    }
    drop(live);
    std::fs::remove_dir_all(&old)?;
    std::fs::remove_dir_all(&work)?;
    println!(
        "rebuilt from {} archived resources in {} frame(s): {} nodes, {} relationships (before: {} nodes, {} relationships) in {:.1} s",
        scan.records,
        scan.frames,
        nodes,
        rels,
        before.node_count(),
        before.rel_count(),
        started.elapsed().as_secs_f64()
    );
    if report.records_rejected > 0 {
        println!(
            "{} archived record(s) were rejected on reload",
            report.records_rejected
        );
    }
    Ok(())
}

/// Log segments and snapshots (the names the store gives them, lower case).
#[allow(clippy::case_sensitive_file_extension_comparisons)]
fn is_graph_file(name: &str) -> bool {
    (name.starts_with("wal-") && name.ends_with(".log"))
        || (name.starts_with("snapshot-") && (name.ends_with(".cgs") || name.ends_with(".tmp")))
}
