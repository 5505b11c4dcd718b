//! `caregraph serve --demo`, the README's first command, end to end: the
//! real binary loads the bundled sample into an empty data directory, serves
//! `/health` and `/metrics`, and on Ctrl-C (SIGINT) stops cleanly, leaving a
//! snapshot that the next start reads without replaying anything.

use std::net::TcpListener;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A free local port (bound, read, released).
fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    listener.local_addr().expect("addr").port()
}

fn start(cwd: &Path, data_dir: &Path, port: u16) -> Child {
    Command::new(env!("CARGO_BIN_EXE_caregraph"))
        .args(["serve", "--demo", "--data-dir"])
        .arg(data_dir)
        .args(["--http", &format!("127.0.0.1:{port}")])
        .args(["--bolt", "127.0.0.1:0"])
        .current_dir(cwd)
        .env("CAREGRAPH_LOG", "error")
        .env("CAREGRAPH_CONFIG", cwd.join("no-such-caregraph.toml"))
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
    let mut child = start(dir.path(), &data_dir, port);
    let health = wait_healthy(port, &mut child, Duration::from_secs(120));
    assert_eq!(health.trim(), r#"{"status":"ok"}"#);

    let metrics = ureq::get(&format!("http://127.0.0.1:{port}/metrics"))
        .call()
        .expect("metrics")
        .into_string()
        .expect("body");
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

    // A second start serves the same graph without loading anything again.
    let mut child = start(dir.path(), &data_dir, port);
    wait_healthy(port, &mut child, Duration::from_secs(120));
    let metrics = ureq::get(&format!("http://127.0.0.1:{port}/metrics"))
        .call()
        .expect("metrics")
        .into_string()
        .expect("body");
    assert_eq!(metric(&metrics, "caregraph_nodes_total"), Some(10_898));
    let status = interrupt_and_wait(&mut child);
    assert!(status.success(), "second serve exited with {status}");
}
