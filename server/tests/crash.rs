//! `kill -9` during `caregraph load`: the data directory reopens at a prefix
//! of committed batches (exactly the graph an uninterrupted load had at that
//! transaction), and loading again completes to the uninterrupted result.

use std::collections::hash_map::DefaultHasher;
use std::collections::BTreeMap;
use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

use graph_model::canonical::{canonical, diff as describe_diff, Canonical};
use graph_model::fhir::{LoadOptions, Loader};
use graph_model::{Database, DbOptions, GraphState};

const BATCH_SIZE: usize = 200;
const SEEDS: u64 = 6;

type Canon = Canonical;

fn bulk_10() -> PathBuf {
    seeds::bundled_sample_dir().join("synthea-bulk-10")
}

fn fingerprint(canon: &Canon) -> u64 {
    let mut hasher = DefaultHasher::new();
    canon.hash(&mut hasher);
    hasher.finish()
}

/// Loads bulk-10 in process as `caregraph load --batch-size 200` does,
/// calling `visit` with every committed version (LSN 0, the empty store,
/// first). The loader reports progress after each batch it commits, so
/// every version is seen (checked: LSNs advance one at a time). Returns the
/// final LSN.
fn reference_run(visit: &mut dyn FnMut(u64, &GraphState)) -> u64 {
    let dir = tempfile::tempdir().expect("tempdir for the reference store");
    let db = Database::open(
        dir.path(),
        DbOptions {
            snapshot_after_bytes: 0,
            ..DbOptions::default()
        },
    )
    .expect("open the reference store");
    visit(0, &db.snapshot());
    let mut last = 0;
    let mut observe = |visit: &mut dyn FnMut(u64, &GraphState)| {
        let graph = db.snapshot();
        assert!(
            graph.lsn() <= last + 1,
            "LSN {} after {last}: a commit went unobserved",
            graph.lsn()
        );
        if graph.lsn() != last {
            last = graph.lsn();
            visit(last, &graph);
        }
    };
    let options = LoadOptions {
        batch_size: BATCH_SIZE,
        ..LoadOptions::default()
    };
    let mut loader = Loader::new(&db, options).expect("loader");
    observe(visit);
    loader
        .load_paths(&[bulk_10()], &mut |_| observe(visit))
        .expect("load bulk-10");
    loader.flush().expect("flush");
    observe(visit);
    let report = loader.finish().expect("finish");
    assert_eq!(
        report.deferred, 0,
        "deferred work would commit unobserved transactions in finish()"
    );
    observe(visit);
    last
}

fn caregraph(args: &[&str], config_dir: &Path) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_caregraph"));
    command
        .args(args)
        .current_dir(config_dir)
        .env("CAREGRAPH_LOG", "error")
        .env(
            "CAREGRAPH_CONFIG",
            config_dir.join("no-such-caregraph.toml"),
        )
        .env_remove("CAREGRAPH_DATA_DIR");
    command
}

fn load_args(data_dir: &Path) -> Vec<String> {
    vec![
        "load".into(),
        "--data-dir".into(),
        data_dir.to_string_lossy().into_owned(),
        "--batch-size".into(),
        BATCH_SIZE.to_string(),
        bulk_10().to_string_lossy().into_owned(),
    ]
}

/// Runs `caregraph load` to completion; returns its exit code.
fn load_to_completion(data_dir: &Path, scratch: &Path) -> i32 {
    let args = load_args(data_dir);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let output = caregraph(&args, scratch)
        .output()
        .expect("run caregraph load");
    let code = output.status.code().expect("load exited normally");
    assert_eq!(
        code,
        2,
        "bulk-10 has 4 rejected log lines: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    code
}

fn reopen(data_dir: &Path) -> (u64, Canon) {
    let options = DbOptions {
        snapshot_after_bytes: 0,
        ..DbOptions::default()
    };
    let db = Database::open(data_dir, options).expect("reopen the data directory");
    let graph = db.snapshot();
    (graph.lsn(), canonical(&graph))
}

/// A seeded value in [0, 1) (splitmix64).
fn unit(seed: u64) -> f64 {
    let mut z = seed.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    (z ^ (z >> 31)) as f64 / (u64::MAX as f64 + 1.0)
}

#[test]
fn kill_9_during_load_recovers_a_prefix_and_reload_completes() {
    let mut fingerprints = BTreeMap::new();
    let mut final_canon = Canon::new();
    let final_lsn = reference_run(&mut |lsn, graph| {
        let canon = canonical(graph);
        fingerprints.insert(lsn, fingerprint(&canon));
        final_canon = canon;
    });
    assert!(
        final_lsn > 10,
        "bulk-10 in batches of {BATCH_SIZE} commits many transactions ({final_lsn})"
    );
    let scratch = tempfile::tempdir().expect("tempdir");

    // One uninterrupted run: the same result, and how long a load takes.
    let whole = scratch.path().join("whole");
    let started = Instant::now();
    load_to_completion(&whole, scratch.path());
    let duration = started.elapsed();
    let (lsn, canon) = reopen(&whole);
    assert_eq!(
        lsn, final_lsn,
        "the binary commits the same transactions as the reference"
    );
    assert!(
        canon == final_canon,
        "uninterrupted load: {}",
        describe_diff(&canon, &final_canon)
    );

    let mut recovered = Vec::new();
    for seed in 0..SEEDS {
        // Spread the kills over the run: seed i dies in the i-th slice.
        let fraction = (seed as f64 + unit(seed)) / SEEDS as f64;
        let delay = duration.mul_f64(fraction);
        let data_dir = scratch.path().join(format!("seed-{seed}"));
        let args = load_args(&data_dir);
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let mut child = caregraph(&args, scratch.path())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn caregraph load");
        std::thread::sleep(delay);
        child.kill().expect("SIGKILL the load");
        child.wait().expect("reap the load");

        let (lsn, canon) = reopen(&data_dir);
        let reference = fingerprints.get(&lsn).unwrap_or_else(|| {
            panic!("seed {seed}: recovered LSN {lsn} is no committed state of the reference")
        });
        if *reference != fingerprint(&canon) {
            let mut at_lsn = Canon::new();
            reference_run(&mut |l, graph| {
                if l == lsn {
                    at_lsn = canonical(graph);
                }
            });
            panic!(
                "seed {seed}: recovered graph at LSN {lsn} differs: {}",
                describe_diff(&canon, &at_lsn)
            );
        }
        recovered.push((seed, delay, lsn));

        load_to_completion(&data_dir, scratch.path());
        let (_, canon) = reopen(&data_dir);
        assert!(
            canon == final_canon,
            "seed {seed}: after reloading: {}",
            describe_diff(&canon, &final_canon)
        );
    }
    eprintln!("final LSN {final_lsn}; load took {duration:?}; kills (seed, delay, recovered LSN): {recovered:?}");
    assert!(
        recovered
            .iter()
            .any(|(_, _, lsn)| *lsn > 1 && *lsn < final_lsn),
        "no kill landed mid-load (after the schema, before the end): {recovered:?}"
    );
}
