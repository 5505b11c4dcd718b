//! The `caregraph` binary: load, stats, rebuild, generate, and its errors.

mod cli_support;

use std::path::{Path, PathBuf};
use std::process::Output;

use cli_support::{path_arg, run, text};

use graph_model::{Database, DbOptions};
use serde_json::Value as Json;

fn bulk_10() -> PathBuf {
    seeds::bundled_sample_dir().join("synthea-bulk-10")
}

fn code(output: &Output) -> i32 {
    output.status.code().expect("caregraph exited normally")
}

fn stats_json(cwd: &Path, data_dir: &Path) -> Json {
    let output = run(cwd, &["stats", "--data-dir", &path_arg(data_dir), "--json"]);
    assert_eq!(code(&output), 0, "stats: {}", text(&output.stderr));
    serde_json::from_slice(&output.stdout)
        .unwrap_or_else(|e| panic!("stats --json ({e}): {}", text(&output.stdout)))
}

fn load(cwd: &Path, data_dir: &Path, input: &Path) -> Output {
    run(
        cwd,
        &["load", "--data-dir", &path_arg(data_dir), &path_arg(input)],
    )
}

#[test]
fn load_bulk_10_then_stats_then_rebuild() {
    let dir = tempfile::tempdir().expect("tempdir");
    let data_dir = dir.path().join("data");
    let output = load(dir.path(), &data_dir, &bulk_10());
    let stdout = text(&output.stdout);
    assert_eq!(
        code(&output),
        2,
        "4 log lines are rejected: {stdout}{}",
        text(&output.stderr)
    );
    assert!(
        stdout.contains("read 7164 records from 14 file(s): 7160 loaded, 4 rejected"),
        "{stdout}"
    );
    assert!(
        stdout.contains("Patient") && stdout.contains("MedicationRequest"),
        "per-type table: {stdout}"
    );
    assert!(
        stdout.contains("log.ndjson.gz:1: resourceType: missing"),
        "first rejection shown: {stdout}"
    );
    let rejects = stdout
        .lines()
        .find_map(|l| l.strip_prefix("rejected records with reasons: "))
        .unwrap_or_else(|| panic!("no rejects file named: {stdout}"));
    assert!(Path::new(rejects).starts_with(&data_dir), "{rejects}");
    let rejected = std::fs::read_to_string(rejects).expect("read rejects file");
    assert_eq!(rejected.lines().count(), 4, "{rejected}");

    let before = stats_json(dir.path(), &data_dir);
    assert_eq!(before["nodes"]["Patient"], 13, "{before}");
    assert_eq!(before["relationships"]["HAS_CONDITION"], 555, "{before}");
    assert_eq!(before["stubs"], serde_json::json!({}), "{before}");

    let output = run(dir.path(), &["rebuild", "--data-dir", &path_arg(&data_dir)]);
    let stdout = text(&output.stdout);
    assert_eq!(
        code(&output),
        0,
        "rebuild: {stdout}{}",
        text(&output.stderr)
    );
    assert!(
        stdout.contains("rebuilt from 7160 archived resources"),
        "{stdout}"
    );
    let after = stats_json(dir.path(), &data_dir);
    for part in [
        "nodes",
        "relationships",
        "stubs",
        "total_nodes",
        "total_relationships",
    ] {
        assert_eq!(after[part], before[part], "{part} after rebuild");
    }
}

#[test]
fn a_second_opener_is_told_the_data_directory_is_in_use() {
    let dir = tempfile::tempdir().expect("tempdir");
    let data_dir = dir.path().join("data");
    let held = Database::open(
        &data_dir,
        DbOptions {
            snapshot_after_bytes: 0,
            ..DbOptions::default()
        },
    )
    .expect("open the data directory in the test");
    for args in [
        vec![
            "stats",
            "--data-dir",
            data_dir.to_str().expect("utf-8 path"),
        ],
        vec![
            "load",
            "--data-dir",
            data_dir.to_str().expect("utf-8 path"),
            bulk_10().to_str().expect("utf-8 path"),
        ],
    ] {
        let output = run(dir.path(), &args);
        let stderr = text(&output.stderr);
        assert_ne!(
            code(&output),
            0,
            "{args:?} ran while the directory was held"
        );
        assert!(
            stderr.contains("is in use by another process"),
            "{args:?}: {stderr}"
        );
        assert!(
            stderr.contains(&path_arg(&data_dir)),
            "{args:?} names the directory: {stderr}"
        );
    }
    drop(held);
    let output = run(dir.path(), &["stats", "--data-dir", &path_arg(&data_dir)]);
    assert_eq!(code(&output), 0, "free again: {}", text(&output.stderr));
}

#[test]
fn loading_a_missing_path_exits_1_with_a_clear_error() {
    let dir = tempfile::tempdir().expect("tempdir");
    let missing = dir.path().join("no-such-export");
    let output = load(dir.path(), &dir.path().join("data"), &missing);
    let stderr = text(&output.stderr);
    assert_eq!(code(&output), 1, "{stderr}");
    assert!(stderr.starts_with("error:"), "{stderr}");
    assert!(
        stderr.contains(&path_arg(&missing)),
        "names the path: {stderr}"
    );
    assert!(
        stderr.contains("No such file or directory"),
        "says why: {stderr}"
    );
}

#[test]
fn generated_population_loads_cleanly() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("export");
    let output = run(
        dir.path(),
        &[
            "generate",
            "--patients",
            "20",
            "--seed",
            "7",
            "--out",
            &path_arg(&out),
        ],
    );
    assert_eq!(code(&output), 0, "generate: {}", text(&output.stderr));
    assert!(
        out.join("Patient.ndjson").is_file(),
        "a bulk export was written"
    );
    let data_dir = dir.path().join("data");
    let output = load(dir.path(), &data_dir, &out);
    assert_eq!(
        code(&output),
        0,
        "load: {}{}",
        text(&output.stdout),
        text(&output.stderr)
    );
    assert!(
        text(&output.stdout).contains(" 0 rejected"),
        "{}",
        text(&output.stdout)
    );
    let stats = stats_json(dir.path(), &data_dir);
    assert_eq!(stats["nodes"]["Patient"], 20, "{stats}");
}

#[test]
fn load_url_sends_files_to_a_running_server() {
    let dir = tempfile::tempdir().expect("tempdir");
    let data_dir = dir.path().join("served");
    let db = Database::open(&data_dir, DbOptions::default()).expect("open");
    let state = server::http::AppState {
        db: db.clone(),
        data_dir: Some(data_dir.clone()),
        metrics: server::http::Metrics::default(),
        max_body_bytes: 64 << 20,
        policies: server::security::PolicyBuilder::new(server::security::PseudonymKey::random()),
        audit: std::sync::Arc::new(server::audit::AuditLog::disabled()),
        max_query_bytes: server::settings::DEFAULT_MAX_QUERY_BYTES,
        // In-process embedding: no authentication (the security tests run the
        // enforcing configuration).
        auth: std::sync::Arc::new(server::auth::AuthConfig::disabled()),
    };
    let running =
        server::http::spawn(state, "127.0.0.1:0".parse().expect("addr"), 1).expect("server");
    let url = format!("http://{}", running.addr);
    let output = run(dir.path(), &["load", "--url", &url, &path_arg(&bulk_10())]);
    let stdout = text(&output.stdout);
    // The 4 log lines of the bulk sample are not FHIR resources: exit 2.
    assert_eq!(
        code(&output),
        2,
        "stdout: {stdout}\nstderr: {}",
        text(&output.stderr)
    );
    assert!(stdout.contains("7160 loaded, 4 rejected"), "{stdout}");
    let graph = db.snapshot();
    let stats = graph_model::GraphStats::compute(&graph);
    assert_eq!(stats.nodes.get("Patient"), Some(&13));
    assert_eq!(stats.relationships.get("HAS_CONDITION"), Some(&555));
    assert!(stats.stubs.is_empty(), "stubs left: {:?}", stats.stubs);
    running.stop();
}
