//! `caregraph serve --demo`, the README's first command, end to end: the
//! real binary loads the bundled sample into an empty data directory, serves
//! `/health` and `/metrics`, and on Ctrl-C (SIGINT) stops cleanly, leaving a
//! snapshot that the next start reads without replaying anything. Without
//! `--jwt-secret`, `--demo` prints a token per role, and the admin one
//! opens `/metrics`; with it, tokens signed with that secret do.

mod auth_support;

use std::io::{BufRead, BufReader};
use std::net::TcpListener;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use auth_support::{admin_token, bearer, SECRET};

/// A free local port (bound, read, released).
fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    listener.local_addr().expect("addr").port()
}

fn start(cwd: &Path, data_dir: &Path, port: u16, secret: Option<&str>) -> Child {
    let mut command = Command::new(env!("CARGO_BIN_EXE_caregraph"));
    command
        .args(["serve", "--demo", "--data-dir"])
        .arg(data_dir);
    if let Some(secret) = secret {
        command.args(["--jwt-secret", secret]);
    }
    command
        .args(["--http", &format!("127.0.0.1:{port}")])
        .args(["--bolt", "127.0.0.1:0"])
        .current_dir(cwd)
        .env("CAREGRAPH_LOG", "error")
        .env("CAREGRAPH_CONFIG", cwd.join("no-such-caregraph.toml"))
        .env_remove("CAREGRAPH_JWT_SECRET")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start caregraph serve")
}

/// Polls `/health` until it answers, for at most `limit`.
fn wait_healthy(port: u16, child: &mut Child, limit: Duration) -> String {
    let started = Instant::now();
    loop {
        if let Ok(response) = ureq::get(&format!("http://127.0.0.1:{port}/health")).call() {
            return response.into_string().expect("body");
        }
        if let Ok(Some(status)) = child.try_wait() {
            panic!("serve exited early with {status}");
        }
        assert!(
            started.elapsed() < limit,
            "no /health answer within {limit:?}"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// The lines `serve` prints up to "Press Ctrl-C".
fn printed(child: &mut Child) -> Vec<String> {
    let stdout = child.stdout.take().expect("stdout");
    let mut lines = Vec::new();
    for line in BufReader::new(stdout).lines() {
        let line = line.expect("line");
        let done = line.contains("Press Ctrl-C");
        lines.push(line);
        if done {
            break;
        }
    }
    lines
}

/// The token printed after `label:`.
fn printed_token(lines: &[String], label: &str) -> String {
    lines
        .iter()
        .find_map(|l| l.trim().strip_prefix(label))
        .map_or_else(
            || panic!("no {label} token in {lines:#?}"),
            |rest| rest.trim().to_owned(),
        )
}

/// GET `path` with a bearer token: status and body.
fn get(port: u16, path: &str, token: Option<&str>) -> (u16, String) {
    let mut request = ureq::get(&format!("http://127.0.0.1:{port}{path}"));
    if let Some(token) = token {
        request = request.set("Authorization", &bearer(token));
    }
    match request.call() {
        Ok(r) | Err(ureq::Error::Status(_, r)) => (r.status(), r.into_string().expect("body")),
        Err(e) => panic!("GET {path}: {e}"),
    }
}

fn metric(text: &str, name: &str) -> Option<u64> {
    text.lines()
        .find(|l| l.starts_with(name) && l[name.len()..].starts_with(' '))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
}

fn interrupt_and_wait(child: &mut Child) -> std::process::ExitStatus {
    let status = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .expect("kill -INT");
    assert!(status.success(), "kill -INT failed");
    child.wait().expect("wait for serve")
}

#[test]
fn serve_demo_loads_serves_and_stops_cleanly() {
    let dir = tempfile::tempdir().expect("tempdir");
    let data_dir = dir.path().join("demo-data");
    let port = free_port();
    let mut child = start(dir.path(), &data_dir, port, None);
    let lines = printed(&mut child);
    let health = wait_healthy(port, &mut child, Duration::from_secs(120));
    assert_eq!(health.trim(), r#"{"status":"ok"}"#);

    // One token per role, after the URLs; the admin one opens /metrics.
    let admin = printed_token(&lines, "admin:");
    for label in ["clinician:", "analyst:", "service:"] {
        let token = printed_token(&lines, label);
        assert_eq!(token.split('.').count(), 3, "{label} {token}");
    }
    assert!(
        lines
            .iter()
            .any(|l| l.contains("curl") && l.contains(&admin)),
        "{lines:#?}"
    );
    assert_eq!(get(port, "/metrics", None).0, 401);
    let (status, metrics) = get(port, "/metrics", Some(&admin));
    assert_eq!(status, 200, "{metrics}");
    // The clinician token names a real organization of the sample.
    let clinician = printed_token(&lines, "clinician:");
    let payload = clinician.split('.').nth(1).expect("payload");
    let claims: serde_json::Value = serde_json::from_slice(
        &base64::Engine::decode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, payload)
            .expect("base64url"),
    )
    .expect("claims");
    assert_eq!(claims["role"], "clinician");
    assert_eq!(claims["aud"], "caregraph");
    let org = claims["orgs"][0].as_str().expect("an organization id");
    let body = serde_json::json!({
        "statement": "MATCH (:Encounter)-[:AT_ORGANIZATION]->(o:Organization {id: $id}) RETURN count(*) AS n",
        "parameters": {"id": org}
    });
    let answer: serde_json::Value = serde_json::from_str(
        &ureq::post(&format!("http://127.0.0.1:{port}/db/neo4j/query/v2"))
            .set("Authorization", &bearer(&admin))
            .set("Content-Type", "application/json")
            .send_string(&body.to_string())
            .expect("query")
            .into_string()
            .expect("body"),
    )
    .expect("json");
    assert!(
        answer["data"]["values"][0][0].as_i64().unwrap_or(0) > 0,
        "{org}: {answer}"
    );
    // The bundled sample: bulk-10 (3,271 nodes, 14,901 relationships) and
    // ca-86 (7,728 / 31,613) share concept nodes (medications, conditions,
    // substances), the country and one location, so together they make
    // 10,898 nodes and 46,514 relationships (also what
    // tests/expected/expected_counts.py computes for the two inputs).
    assert_eq!(
        metric(&metrics, "caregraph_nodes_total"),
        Some(10_898),
        "{metrics}"
    );
    assert_eq!(
        metric(&metrics, "caregraph_relationships_total"),
        Some(46_514),
        "{metrics}"
    );

    let status = interrupt_and_wait(&mut child);
    assert!(status.success(), "serve exited with {status}");
    let snapshots = std::fs::read_dir(&data_dir)
        .expect("data dir")
        .filter_map(Result::ok)
        .filter(|e| e.file_name().to_string_lossy().ends_with(".cgs"))
        .count();
    assert!(snapshots >= 1, "no snapshot after a clean stop");

    // A second start serves the same graph without loading anything again;
    // with --jwt-secret, tokens signed with that secret are accepted and
    // the first run's demo tokens are not.
    let mut child = start(dir.path(), &data_dir, port, Some(SECRET));
    wait_healthy(port, &mut child, Duration::from_secs(120));
    assert_eq!(get(port, "/metrics", Some(&admin)).0, 401);
    let (status, metrics) = get(port, "/metrics", Some(&admin_token()));
    assert_eq!(status, 200, "{metrics}");
    assert_eq!(metric(&metrics, "caregraph_nodes_total"), Some(10_898));
    let status = interrupt_and_wait(&mut child);
    assert!(status.success(), "second serve exited with {status}");
}
