//! `caregraph bench`: benchmarks that print figures (medians over runs, and
//! ratios against a baseline measured in the same run).

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::Context;
use clap::Subcommand;
use graph_model::fhir::source::{expand_inputs, read_file};
use graph_model::fhir::{load_paths, LoadOptions};
use graph_model::{Database, DbOptions, GraphStats};

mod audit;
mod bolt;
mod cypher;
mod recommend;
mod security;

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
        /// Records per transaction (the loader's default when absent).
        #[arg(long)]
        batch_size: Option<usize>,
    },
    /// Cypher engine latency against the store's own API, the same queries
    /// both ways in the same run (key lookup, 1-hop, 2-hop, top-10
    /// medications, claims per payer), on a loaded data directory.
    Cypher {
        /// The data directory to query (load one with `caregraph load`).
        #[arg(long)]
        data_dir: PathBuf,
        /// Patients to look up (key lookup, 1-hop; 2-hop uses at most 200).
        #[arg(long, default_value_t = 1_000)]
        lookups: usize,
        /// Repetitions of the whole-graph aggregations.
        #[arg(long, default_value_t = 5)]
        runs: usize,
        /// Client threads for the HTTP throughput test (0 skips it).
        #[arg(long, default_value_t = 4)]
        clients: usize,
        /// Seconds each throughput measurement runs.
        #[arg(long, default_value_t = 10.0)]
        seconds: f64,
    },
    /// The recommender on a loaded data directory: projection build, fit
    /// time per method, p50/p99 recommendation latency, refresh latency,
    /// memory.
    Recommend {
        /// The data directory (load one with `caregraph load`).
        #[arg(long)]
        data_dir: PathBuf,
        /// Methods, comma-separated (default: all).
        #[arg(long, value_delimiter = ',')]
        methods: Vec<String>,
        /// Patients whose recommendations are timed (evenly spaced).
        #[arg(long, default_value_t = 2_000)]
        patients: usize,
        /// Tune on the validation cut before fitting (default: each
        /// method's default setting).
        #[arg(long)]
        tune: bool,
    },
    /// The cost of access control: the GraphQL patient query and a Cypher
    /// 2-hop query as admin, clinician and analyst in one run (throughput,
    /// p50, p99, ratio to admin), on a loaded data directory.
    Security {
        /// The data directory to query (load one with `caregraph load`).
        #[arg(long)]
        data_dir: PathBuf,
        /// Patients of the clinician's organization to query.
        #[arg(long, default_value_t = 200)]
        patients: usize,
        /// Client threads.
        #[arg(long, default_value_t = 2)]
        clients: usize,
        /// Seconds each measurement runs.
        #[arg(long, default_value_t = 5.0)]
        seconds: f64,
    },
    /// Key lookups per second over Bolt against the same over the HTTP
    /// Query API, both served in process on a loaded data directory.
    Bolt {
        /// The data directory to query (load one with `caregraph load`).
        #[arg(long)]
        data_dir: PathBuf,
        /// Client connections of each measurement (repeatable).
        #[arg(long, default_values_t = [1, 4])]
        clients: Vec<usize>,
        /// Seconds each measurement runs.
        #[arg(long, default_value_t = 10.0)]
        seconds: f64,
    },
    /// Audit log appends from 1 and 4 threads: appends/s, median and p99
    /// latency of one append, and the time to verify the chain.
    Audit {
        /// Appends per case.
        #[arg(long, default_value_t = 100_000)]
        appends: usize,
        /// Appending threads of each case (repeatable).
        #[arg(long, default_values_t = [1, 4])]
        threads: Vec<usize>,
        /// Working directory (a fresh log per case, removed after).
        #[arg(long, default_value = "target/bench")]
        work_dir: PathBuf,
    },
    /// Commit latency of small write transactions with and without a
    /// concurrent reader that scans the whole graph (readers never block
    /// writers: the ratio should stay near 1).
    Mvcc {
        /// Patients to generate and load first.
        #[arg(long, default_value_t = 2_000)]
        patients: u64,
        /// Write transactions per measurement.
        #[arg(long, default_value_t = 300)]
        commits: usize,
        /// Working directory.
        #[arg(long, default_value = "target/bench")]
        work_dir: PathBuf,
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
            batch_size,
        } => ingest(
            *patients,
            *seed,
            input,
            work_dir,
            (*runs).max(1),
            *batch_size,
        ),
        BenchCommand::Mvcc {
            patients,
            commits,
            work_dir,
        } => mvcc(*patients, (*commits).max(10), work_dir),
        BenchCommand::Audit {
            appends,
            threads,
            work_dir,
        } => audit::run((*appends).max(1), threads, work_dir),
        BenchCommand::Recommend {
            data_dir,
            methods,
            patients,
            tune,
        } => recommend::run(data_dir, methods, *patients, *tune),
        BenchCommand::Bolt {
            data_dir,
            clients,
            seconds,
        } => bolt::run(data_dir, clients, seconds.max(0.5)),
        BenchCommand::Security {
            data_dir,
            patients,
            clients,
            seconds,
        } => security::run(
            data_dir,
            (*patients).max(1),
            (*clients).max(1),
            seconds.max(0.5),
        ),
        BenchCommand::Cypher {
            data_dir,
            lookups,
            runs,
            clients,
            seconds,
        } => cypher::run(
            data_dir,
            (*lookups).max(1),
            (*runs).max(1),
            *clients,
            seconds.max(0.5),
        ),
    }
}

/// One small write transaction (a node and a relationship), durable.
fn small_commit(db: &Database, i: usize) -> anyhow::Result<Duration> {
    let started = Instant::now();
    let mut txn = db.begin_write();
    let node = txn.create_node(&["BenchNote"], &[("n", graph_model::Value::from(i as i64))])?;
    let first = txn.view().all_nodes().next();
    if let Some(first) = first {
        txn.create_rel(node, "ABOUT", first, &[])?;
    }
    txn.commit()?;
    Ok(started.elapsed())
}

fn percentile(mut values: Vec<Duration>, p: f64) -> Duration {
    values.sort();
    let index = ((values.len() - 1) as f64 * p).round() as usize;
    values[index]
}

fn mvcc(patients: u64, commits: usize, work_dir: &Path) -> anyhow::Result<()> {
    let export = work_dir.join(format!("export-{patients}-1"));
    if !export.join("manifest.json").exists() {
        seeds::generate(
            &seeds::GenerateOptions {
                patients,
                seed: 1,
                out_dir: export.clone(),
            },
            &mut |_| {},
        )?;
    }
    let data_dir = work_dir.join("mvcc-data");
    if data_dir.exists() {
        std::fs::remove_dir_all(&data_dir)?;
    }
    let db = Database::open(&data_dir, DbOptions::default())?;
    load_paths(&db, &[export], LoadOptions::default(), &mut |_| {})?;
    let graph = db.snapshot();
    println!(
        "mvcc benchmark: {} nodes, {} relationships, {commits} durable commits per case",
        graph.node_count(),
        graph.rel_count()
    );
    drop(graph);

    let quiet: Vec<Duration> = (0..commits)
        .map(|i| small_commit(&db, i))
        .collect::<anyhow::Result<_>>()?;

    let stop = std::sync::atomic::AtomicBool::new(false);
    let mut scans = 0u64;
    let mut longest_scan = Duration::ZERO;
    let busy: Vec<Duration> = std::thread::scope(|scope| {
        let reader = scope.spawn(|| {
            // A long reader: holds one version for a whole scan of every
            // node's properties and relationships, again and again.
            let mut scans = 0u64;
            let mut longest = Duration::ZERO;
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                let started = Instant::now();
                let version = db.snapshot();
                let mut touched = 0usize;
                for node in version.all_nodes() {
                    touched += version
                        .neighbors(node, graph_model::Direction::Both, None)
                        .count();
                    touched += version.node(node).map_or(0, |r| r.properties().len());
                }
                std::hint::black_box(touched);
                longest = longest.max(started.elapsed());
                scans += 1;
            }
            (scans, longest)
        });
        let result: anyhow::Result<Vec<Duration>> = (0..commits)
            .map(|i| small_commit(&db, commits + i))
            .collect();
        stop.store(true, std::sync::atomic::Ordering::Relaxed);
        if let Ok((s, l)) = reader.join() {
            scans = s;
            longest_scan = l;
        }
        result
    })?;
    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    let (quiet_p50, busy_p50) = (
        percentile(quiet.clone(), 0.5),
        percentile(busy.clone(), 0.5),
    );
    println!(
        "  commit latency, no reader        p50 {:>7.3} ms  p99 {:>7.3} ms",
        ms(quiet_p50),
        ms(percentile(quiet, 0.99))
    );
    println!(
        "  commit latency, scanning reader  p50 {:>7.3} ms  p99 {:>7.3} ms  ({scans} full scans, longest {:.0} ms)",
        ms(busy_p50),
        ms(percentile(busy, 0.99)),
        ms(longest_scan)
    );
    println!(
        "  ratio busy/quiet p50 {:.2} (a reader holding a version for {:.0} ms never made a commit wait for it)",
        busy_p50.as_secs_f64() / quiet_p50.as_secs_f64().max(1e-9),
        ms(longest_scan)
    );
    Ok(())
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
    batch_size: Option<usize>,
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

    // Baseline: read, decompress, split and parse every record, nothing
    // else, with the loader's own parse (serde_json into a `Value`, the
    // record limits noted on the way).
    let mut parse_times = Vec::new();
    let mut parse_cpus = Vec::new();
    let mut records = 0u64;
    for _ in 0..runs {
        let started = Instant::now();
        let cpu_started = graph_model::fhir::thread_cpu_seconds();
        records = 0;
        for file in &files {
            read_file(file, &mut |record| {
                if let Ok(body) = &record.body {
                    let parsed = graph_model::fhir::parse_record(body);
                    std::hint::black_box(parsed.is_ok());
                }
                records += 1;
                Ok(())
            })?;
        }
        parse_times.push(started.elapsed());
        parse_cpus.push(Duration::from_secs_f64(
            (graph_model::fhir::thread_cpu_seconds() - cpu_started).max(0.0),
        ));
    }
    let parse = median(parse_times);
    let parse_cpu = median(parse_cpus).as_secs_f64();

    let data_dir = work_dir.join("data");
    let mut ingest_times = Vec::new();
    let mut last: Option<(Database, graph_model::fhir::LoadReport)> = None;
    for _ in 0..runs {
        // The previous run's database goes first (memory, background thread).
        if let Some((db, _)) = last.take() {
            db.stop_background();
            drop(db);
        }
        if data_dir.exists() {
            std::fs::remove_dir_all(&data_dir)
                .with_context(|| format!("clearing {}", data_dir.display()))?;
        }
        let db = Database::open(&data_dir, DbOptions::default())?;
        let started = Instant::now();
        let report = load_paths(
            &db,
            &inputs,
            LoadOptions {
                batch_size: batch_size
                    .unwrap_or(LoadOptions::default().batch_size)
                    .max(1),
                ..LoadOptions::for_data_dir(&data_dir)
            },
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

    // Restart as after a crash: the background snapshot (if any) plus the
    // log written since.
    db.stop_background();
    drop(db);
    let crash_started = Instant::now();
    let reopened = Database::open(&data_dir, DbOptions::default())?;
    let crash_restart = crash_started.elapsed();
    let crash_recovery = reopened.recovery_report().clone();
    // Clean shutdown: a final snapshot, then restart from it alone.
    let checkpoint_started = Instant::now();
    reopened.close()?;
    let checkpoint = checkpoint_started.elapsed();
    drop(reopened);
    let restart_started = Instant::now();
    let reopened = Database::open(&data_dir, DbOptions::default())?;
    let restart = restart_started.elapsed();
    let recovery = reopened.recovery_report().clone();
    reopened.stop_background();
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
    let t = &report.timings;
    println!(
        "  reader: read {:.2} s; prepare workers: parse, map, compress {:.2} s in all; writer: archive {:.2} s, apply {:.2} s, commit {:.2} s, waiting {:.2} s",
        t.read, t.prepare, t.archive, t.apply, t.commit, t.wait
    );
    println!(
        "  CPU seconds: reader and workers {:.2}, writer {:.2} (the parse-only pass: {:.2})",
        t.reader_cpu, t.writer_cpu, parse_cpu
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
        "  restart after a crash   {:.2} s (snapshot load {:.2} s, log replay {:.2} s of {} transactions)",
        crash_restart.as_secs_f64(),
        crash_recovery.snapshot_load.as_secs_f64(),
        crash_recovery.replay.as_secs_f64(),
        crash_recovery.replayed_transactions
    );
    println!(
        "  final snapshot written in {:.2} s",
        checkpoint.as_secs_f64()
    );
    println!(
        "  restart after shutdown  {:.2} s (snapshot load {:.2} s, log replay {:.2} s of {} transactions)",
        restart.as_secs_f64(),
        recovery.snapshot_load.as_secs_f64(),
        recovery.replay.as_secs_f64(),
        recovery.replayed_transactions
    );
    Ok(())
}
