//! `caregraph bench`: benchmarks that print figures (medians over runs, and
//! ratios against a baseline measured in the same run).

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::Context;
use clap::Subcommand;
use graph_model::fhir::source::{expand_inputs, read_file};
use graph_model::fhir::{load_paths, LoadOptions};
use graph_model::{Database, DbOptions, GraphStats};

/// The benchmarks.
#[derive(Subcommand, Debug, Clone)]
pub enum BenchCommand {
    /// Ingest rate (durable) against a parse-only pass, memory, restart time.
    Ingest {
        /// Patients to generate (ignored with --input).
        #[arg(long, default_value_t = 10_000)]
        patients: u64,
        /// Generator seed.
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Load these files instead of a generated export.
        #[arg(long)]
        input: Vec<PathBuf>,
        /// Working directory (export and data directory).
        #[arg(long, default_value = "target/bench")]
        work_dir: PathBuf,
        /// Repetitions of each measurement (the median is reported).
        #[arg(long, default_value_t = 1)]
        runs: usize,
    },
}

/// Runs a benchmark.
pub fn run(which: &BenchCommand) -> anyhow::Result<()> {
    match which {
        BenchCommand::Ingest {
            patients,
            seed,
            input,
            work_dir,
            runs,
        } => ingest(*patients, *seed, input, work_dir, (*runs).max(1)),
    }
}

fn median(mut values: Vec<Duration>) -> Duration {
    values.sort();
    values[values.len() / 2]
}

/// Peak and current resident memory (Linux `/proc/self/status`).
fn memory_status() -> (u64, u64) {
    let text = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let field = |name: &str| {
        text.lines()
            .find(|l| l.starts_with(name))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|v| v.parse::<u64>().ok())
            .map_or(0, |kb| kb * 1024)
    };
    (field("VmHWM:"), field("VmRSS:"))
}

fn ingest(
    patients: u64,
    seed: u64,
    input: &[PathBuf],
    work_dir: &Path,
    runs: usize,
) -> anyhow::Result<()> {
    std::fs::create_dir_all(work_dir)?;
    let inputs = if input.is_empty() {
        let export = work_dir.join(format!("export-{patients}-{seed}"));
        if export.join("manifest.json").exists() {
            println!("using the export in {}", export.display());
        } else {
            println!(
                "generating {patients} patients (seed {seed}) into {}",
                export.display()
            );
            let started = Instant::now();
            seeds::generate(
                &seeds::GenerateOptions {
                    patients,
                    seed,
                    out_dir: export.clone(),
                },
                &mut |_| {},
            )?;
            println!("  generated in {:.1} s", started.elapsed().as_secs_f64());
        }
        vec![export]
    } else {
        input.to_vec()
    };
    let (files, _) = expand_inputs(&inputs)?;
    let input_bytes: u64 = files
        .iter()
        .map(|f| std::fs::metadata(f).map_or(0, |m| m.len()))
        .sum();

    // Baseline: read, decompress, split and parse every record, nothing else.
    let mut parse_times = Vec::new();
    let mut records = 0u64;
    for _ in 0..runs {
        let started = Instant::now();
        records = 0;
        for file in &files {
            read_file(file, &mut |record| {
                if let Ok(body) = &record.body {
                    let parsed: Result<serde_json::Value, _> = serde_json::from_slice(body);
                    std::hint::black_box(parsed.is_ok());
                }
                records += 1;
                Ok(())
            })?;
        }
        parse_times.push(started.elapsed());
    }
    let parse = median(parse_times);

    let data_dir = work_dir.join("data");
    let mut ingest_times = Vec::new();
    let mut last = None;
    for _ in 0..runs {
        if data_dir.exists() {
            std::fs::remove_dir_all(&data_dir)
                .with_context(|| format!("clearing {}", data_dir.display()))?;
        }
        let db = Database::open(&data_dir, DbOptions::default())?;
        let started = Instant::now();
        let report = load_paths(
            &db,
            &inputs,
            LoadOptions::for_data_dir(&data_dir),
            &mut |_| {},
        )?;
        ingest_times.push(started.elapsed());
        last = Some((db, report));
    }
    let ingest = median(ingest_times);
    let Some((db, report)) = last else {
        anyhow::bail!("no run")
    };
    let (peak_rss, rss) = memory_status();
    let graph = db.snapshot();
    let stats = GraphStats::compute(&graph);
    let memory = graph.memory_estimate();
    drop(graph);

    let checkpoint_started = Instant::now();
    db.close()?;
    let checkpoint = checkpoint_started.elapsed();
    drop(db);
    let restart_started = Instant::now();
    let reopened = Database::open(&data_dir, DbOptions::default())?;
    let restart = restart_started.elapsed();
    let recovery = reopened.recovery_report().clone();
    drop(reopened);

    let rate = |d: Duration| records as f64 / d.as_secs_f64().max(1e-9);
    println!();
    println!(
        "ingest benchmark: {} files, {:.1} MB, {records} records, {runs} run(s), medians",
        files.len(),
        input_bytes as f64 / 1e6
    );
    println!(
        "  parse only            {:>8.2} s  {:>10.0} records/s",
        parse.as_secs_f64(),
        rate(parse)
    );
    println!(
        "  ingest (durable)      {:>8.2} s  {:>10.0} records/s",
        ingest.as_secs_f64(),
        rate(ingest)
    );
    println!(
        "  ratio ingest/parse    {:>8.2}   (target <= 2.0)",
        ingest.as_secs_f64() / parse.as_secs_f64().max(1e-9)
    );
    println!(
        "  loaded {} rejected {} transactions {}",
        report.records_loaded, report.records_rejected, report.batches
    );
    println!(
        "  graph: {} nodes, {} relationships",
        stats.total_nodes, stats.total_relationships
    );
    println!(
        "  memory: peak resident {:.1} MB, resident now {:.1} MB, estimated graph {:.1} MB",
        peak_rss as f64 / 1e6,
        rss as f64 / 1e6,
        memory.total() as f64 / 1e6
    );
    let nodes = stats.total_nodes.max(1) as f64;
    let rels = stats.total_relationships.max(1) as f64;
    println!(
        "  estimated bytes per node {:.0} (record and properties), per relationship {:.0} (record, properties, both adjacency entries); indexes {:.1} MB",
        memory.node_bytes as f64 / nodes,
        (memory.rel_bytes + memory.adjacency_bytes) as f64 / rels,
        memory.index_bytes as f64 / 1e6
    );
    println!(
        "  resident bytes per graph element {:.0} (peak resident / (nodes + relationships))",
        peak_rss as f64 / (nodes + rels)
    );
    println!(
        "  final snapshot written in {:.2} s",
        checkpoint.as_secs_f64()
    );
    println!(
        "  restart {:.2} s (snapshot load {:.2} s, log replay {:.2} s of {} transactions)",
        restart.as_secs_f64(),
        recovery.snapshot_load.as_secs_f64(),
        recovery.replay.as_secs_f64(),
        recovery.replayed_transactions
    );
    Ok(())
}
