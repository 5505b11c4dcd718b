//! `caregraph serve --bolt ADDR`: the real binary prints its Bolt URL,
//! answers a Bolt client on that address next to HTTP, and stops on Ctrl-C.

mod auth_support;
mod bolt_support;

use std::io::{BufRead, BufReader};
use std::net::TcpListener;
use std::process::{Command, Stdio};
use std::time::Duration;

use bolt_support::{map, Client};
use server::bolt::packstream::PackValue;

fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    listener.local_addr().expect("addr").port()
}

#[test]
fn serve_listens_for_bolt_where_told() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (http, bolt) = (free_port(), free_port());
    let mut child = Command::new(env!("CARGO_BIN_EXE_caregraph"))
        .args(["serve", "--data-dir"])
        .arg(dir.path().join("data"))
        .args(["--http", &format!("127.0.0.1:{http}")])
        .args(["--bolt", &format!("127.0.0.1:{bolt}")])
        .args(["--jwt-secret", auth_support::SECRET])
        .current_dir(dir.path())
        .env("CAREGRAPH_LOG", "error")
        .env(
            "CAREGRAPH_CONFIG",
            dir.path().join("no-such-caregraph.toml"),
        )
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start caregraph serve");
    let stdout = child.stdout.take().expect("stdout");
    let mut lines = BufReader::new(stdout).lines();
    let url = format!("bolt://127.0.0.1:{bolt}");
    let mut printed = Vec::new();
    for line in lines.by_ref() {
        let line = line.expect("line");
        printed.push(line.clone());
        if line.contains("Press Ctrl-C") {
            break;
        }
    }
    assert!(
        printed.iter().any(|l| l.contains(&url)),
        "no {url} in {printed:?}"
    );

    let mut client = Client::v5_bearer(
        format!("127.0.0.1:{bolt}").parse().expect("addr"),
        &auth_support::admin_token(),
    );
    client
        .stream
        .set_read_timeout(Some(Duration::from_secs(20)))
        .expect("timeout");
    client.query("CREATE (:Patient {id: 'p1', name: 'Ann'})", map(&[]));
    let rows = client.query(
        "MATCH (p:Patient {id: $id}) RETURN p.name",
        map(&[("id", PackValue::String("p1".into()))]),
    );
    assert_eq!(rows, vec![vec![PackValue::String("Ann".into())]]);

    let status = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .expect("kill -INT");
    assert!(status.success());
    let status = child.wait().expect("wait");
    assert!(status.success(), "serve exited with {status}");
}
