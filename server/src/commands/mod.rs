//! One module per `caregraph` command.

pub mod audit;
pub mod bench;
pub mod cypher;
pub mod eval;
pub mod generate;
pub mod load;
pub mod rebuild;
pub mod recommend;
pub mod serve;
pub mod stats;
pub mod token;
pub mod user;

use std::path::Path;

use anyhow::Context;
use graph_model::{Database, DbOptions, GraphError};
use indicatif::{ProgressBar, ProgressStyle};

/// Opens the database in `dir`, with a clear message when another process
/// (a running server) holds it.
pub fn open_db(dir: &Path, sync_commits: bool) -> anyhow::Result<Database> {
    let options = DbOptions {
        sync_commits,
        ..DbOptions::default()
    };
    match Database::open(dir, options) {
        Ok(db) => {
            let report = db.recovery_report();
            for (path, reason) in &report.corrupt_snapshots {
                eprintln!("warning: snapshot {} is unreadable ({reason}); an older state was used", path.display());
            }
            if let Some(cut) = &report.log_cut {
                eprintln!(
                    "warning: the write-ahead log was cut at {} ({}): {} byte(s) of an incomplete or damaged commit dropped",
                    cut.segment.display(),
                    cut.reason,
                    cut.dropped_bytes
                );
            }
            Ok(db)
        }
        Err(GraphError::DataDirLocked { path }) => anyhow::bail!(
            "data directory {} is in use by another process (a running server?). Stop it, or send the data to it with `caregraph load --url http://HOST:PORT`",
            path.display()
        ),
        Err(e) => Err(e).with_context(|| format!("opening data directory {}", dir.display())),
    }
}

/// A byte progress bar on a terminal (hidden otherwise).
pub fn byte_progress(total: u64, message: &str) -> ProgressBar {
    let bar = ProgressBar::new(total);
    bar.set_style(
        ProgressStyle::with_template(
            "{msg} [{bar:40}] {bytes}/{total_bytes} ({bytes_per_sec}, {eta}) {prefix}",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar())
        .progress_chars("=> "),
    );
    bar.set_message(message.to_owned());
    bar
}

/// Total size of the files under `dir`.
pub fn dir_size(dir: &Path) -> u64 {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return 0;
    };
    entries
        .flatten()
        .map(|e| {
            let path = e.path();
            if path.is_dir() {
                dir_size(&path)
            } else {
                e.metadata().map_or(0, |m| m.len())
            }
        })
        .sum()
}
