//! `caregraph cypher`, the real binary: `-e` in each format on a data
//! directory, the same against a running `caregraph serve` with `--url`,
//! parameters, errors with their codes and positions, scripts on standard
//! input, and the clear refusal of a data directory a server holds. The
//! server checks tokens: `--token` (or `CAREGRAPH_TOKEN`) sends one.

mod auth_support;

use std::io::Write;
use std::net::TcpListener;
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

fn caregraph(cwd: &Path) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_caregraph"));
    command
        .current_dir(cwd)
        .env("CAREGRAPH_LOG", "error")
        .env("CAREGRAPH_CONFIG", cwd.join("no-such-caregraph.toml"))
        .env("HOME", cwd)
        .env_remove("CAREGRAPH_DATA_DIR")
        .env_remove("CAREGRAPH_QUERY_TIMEOUT")
        .env_remove("CAREGRAPH_TOKEN")
        .env_remove("CAREGRAPH_JWT_SECRET")
        .env_remove("COLUMNS");
    command
}

/// Runs `caregraph cypher` with `target` (`--data-dir D` or `--url U`) and
/// `args`, stdin closed.
fn cypher(cwd: &Path, target: &[&str], args: &[&str]) -> Output {
    caregraph(cwd)
        .arg("cypher")
        .args(target)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .expect("run caregraph cypher")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Stdout of a run that must succeed.
fn ok(output: &Output) -> String {
    assert_eq!(
        output.status.code(),
        Some(0),
        "stdout: {}\nstderr: {}",
        text(&output.stdout),
        text(&output.stderr)
    );
    text(&output.stdout)
}

const NAMES: &str = "MATCH (p:Patient) RETURN p.name AS name, p.age AS age ORDER BY name";
const NAMES_TABLE: &str = "\
+------+-----+
| name | age |
+------+-----+
| Ann  | 42  |
| Bob  | 7   |
+------+-----+
2 rows
";
const GRAPH: &str =
    "MATCH path = (p:Patient {id: 'p1'})-[r]->(c) RETURN p, r, path, c.code AS code";

/// What every target must print, whether the query runs here or on a
/// server.
fn check_reads(cwd: &Path, target: &[&str]) {
    assert_eq!(ok(&cypher(cwd, target, &["-e", NAMES])), NAMES_TABLE);
    assert_eq!(
        ok(&cypher(cwd, target, &["-e", NAMES, "--format", "csv"])),
        "name,age\nAnn,42\nBob,7\n"
    );
    let json: serde_json::Value = serde_json::from_str(&ok(&cypher(
        cwd,
        target,
        &["-e", NAMES, "--format", "json"],
    )))
    .expect("json output");
    assert_eq!(
        json,
        serde_json::json!({"data": {"fields": ["name", "age"], "values": [["Ann", 42], ["Bob", 7]]}, "bookmarks": []})
    );
    assert_eq!(
        ok(&cypher(
            cwd,
            target,
            &["-e", GRAPH, "--format", "csv"]
        )),
        "p,r,path,code\n\
         \"(:Patient {age: 42, id: \"\"p1\"\", name: \"\"Ann\"\"})\",\
         [:HAS_CONDITION {since: 2020}],\
         \"(:Patient {age: 42, id: \"\"p1\"\", name: \"\"Ann\"\"})-[:HAS_CONDITION {since: 2020}]->(:Condition {code: \"\"E11\"\"})\",\
         E11\n"
    );
    // A narrow terminal: the widest cells are cut.
    let narrow = caregraph(cwd)
        .arg("cypher")
        .args(target)
        .args([
            "-e",
            "MATCH (p:Patient {id: 'p1'}) RETURN p, p.name AS name",
        ])
        .env("COLUMNS", "30")
        .stdin(Stdio::null())
        .output()
        .expect("run");
    assert_eq!(
        ok(&narrow),
        "\
+---------------------+------+
| p                   | name |
+---------------------+------+
| (:Patient {age: 42… | Ann  |
+---------------------+------+
1 row
"
    );
    // Parameters are Cypher literals.
    assert_eq!(
        ok(&cypher(
            cwd,
            target,
            &[
                "-e",
                "RETURN $n * 2 AS twice, $name AS name, $list[1] AS second",
                "--param",
                "n=21",
                "--param",
                "name='Ann'",
                "--param",
                "list => [1, 2.5]",
                "--format",
                "csv"
            ]
        )),
        "twice,name,second\n42,Ann,2.5\n"
    );
    // A syntax error: message, position, code; exit status 1.
    let failed = cypher(cwd, target, &["-e", "MATCH (n)\nRETRN n"]);
    assert_eq!(failed.status.code(), Some(1));
    assert!(failed.stdout.is_empty());
    let stderr = text(&failed.stderr);
    assert!(stderr.starts_with("error: "), "{stderr}");
    assert!(
        stderr.ends_with("(line 2, column 1 (offset: 10))\n  RETRN n\n  ^\ncode: Neo.ClientError.Statement.SyntaxError\n"),
        "{stderr}"
    );
    let failed = cypher(cwd, target, &["-e", "RETURN $nope"]);
    assert_eq!(failed.status.code(), Some(1));
    assert!(
        text(&failed.stderr).ends_with("code: Neo.ClientError.Statement.ParameterMissing\n"),
        "{}",
        text(&failed.stderr)
    );
}

fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    listener.local_addr().expect("addr").port()
}

fn serve(cwd: &Path, data_dir: &Path, port: u16) -> Child {
    let mut child = caregraph(cwd)
        .args(["serve", "--data-dir"])
        .arg(data_dir)
        .args([
            "--http",
            &format!("127.0.0.1:{port}"),
            "--query-timeout",
            "5",
            "--bolt",
            "127.0.0.1:0",
            "--jwt-secret",
            auth_support::SECRET,
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start caregraph serve");
    let started = Instant::now();
    while ureq::get(&format!("http://127.0.0.1:{port}/health"))
        .call()
        .is_err()
    {
        if let Ok(Some(status)) = child.try_wait() {
            panic!("serve exited early with {status}");
        }
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "serve did not answer"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    child
}

fn stop(child: &mut Child) {
    let status = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .expect("kill -INT");
    assert!(status.success());
    let status = child.wait().expect("wait for serve");
    assert!(status.success(), "serve exited with {status}");
}

#[test]
fn cypher_runs_on_a_data_directory_and_against_a_server_alike() {
    let dir = tempfile::tempdir().expect("tempdir");
    let cwd = dir.path();
    let data = cwd.join("data");
    let data_arg = data.to_string_lossy().into_owned();
    let local = ["--data-dir", data_arg.as_str()];

    let created = cypher(
        cwd,
        &local,
        &[
            "-e",
            "CREATE (:Patient {id: 'p1', name: 'Ann', age: 42})-[:HAS_CONDITION {since: 2020}]->(:Condition {code: 'E11'}), \
             (:Patient {id: 'p2', name: 'Bob', age: 7})",
        ],
    );
    assert_eq!(
        ok(&created),
        "0 rows; Added 3 nodes, Created 1 relationships, Set 8 properties, Added 3 labels\n"
    );
    check_reads(cwd, &local);

    // A script on standard input: commands, multi-line statements, and a
    // stop at the first error.
    let mut child = caregraph(cwd)
        .arg("cypher")
        .args(local)
        .args(["--format", "csv"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(b":param min => 10\nMATCH (p:Patient)\nWHERE p.age > $min\nRETURN p.name AS name;\nRETURN oops;\nRETURN 'never' AS x;\n")
        .expect("write script");
    let script = child.wait_with_output().expect("wait");
    assert_eq!(script.status.code(), Some(1));
    assert_eq!(text(&script.stdout), "min => 10\nname\nAnn\n");
    assert!(
        text(&script.stderr).contains("Variable `oops` not defined"),
        "{}",
        text(&script.stderr)
    );

    // The same data served: the data directory is locked, --url works.
    let port = free_port();
    let mut server = serve(cwd, &data, port);
    let locked = cypher(cwd, &local, &["-e", "RETURN 1"]);
    assert_eq!(locked.status.code(), Some(1));
    let stderr = text(&locked.stderr);
    assert!(
        stderr.contains("is in use by another process") && stderr.contains("--url"),
        "{stderr}"
    );
    let url = format!("http://127.0.0.1:{port}");
    // Without a token the server refuses, with Neo4j's code.
    let refused = cypher(cwd, &["--url", url.as_str()], &["-e", "RETURN 1"]);
    assert_eq!(refused.status.code(), Some(1));
    assert!(
        text(&refused.stderr).contains("Neo.ClientError.Security.Unauthorized"),
        "{}",
        text(&refused.stderr)
    );
    // `caregraph token` signs one with the server's secret.
    let minted = caregraph(cwd)
        .args(["token", "--role", "admin", "--sub", "cli-test"])
        .env("CAREGRAPH_JWT_SECRET", auth_support::SECRET)
        .output()
        .expect("run caregraph token");
    let token = ok(&minted).trim().to_owned();
    let remote = ["--url", url.as_str(), "--token", token.as_str()];
    check_reads(cwd, &remote);
    // CAREGRAPH_TOKEN does the same as --token.
    let from_env = caregraph(cwd)
        .args([
            "cypher",
            "--url",
            url.as_str(),
            "--format",
            "csv",
            "-e",
            "RETURN 1 AS one",
        ])
        .env("CAREGRAPH_TOKEN", &token)
        .stdin(Stdio::null())
        .output()
        .expect("run caregraph cypher");
    assert_eq!(ok(&from_env), "one\n1\n");
    let write = cypher(
        cwd,
        &remote,
        &[
            "-e",
            "MATCH (p:Patient {id: $id}) SET p.age = p.age + 1 RETURN p.age AS age",
            "--param",
            "id='p2'",
        ],
    );
    assert_eq!(
        ok(&write),
        "+-----+\n| age |\n+-----+\n| 8   |\n+-----+\n1 row; Set 1 properties\n"
    );
    stop(&mut server);

    // The server's write is in the data directory.
    assert_eq!(
        ok(&cypher(
            cwd,
            &local,
            &[
                "-e",
                "MATCH (p:Patient {id: 'p2'}) RETURN p.age AS age",
                "--format",
                "csv"
            ]
        )),
        "age\n8\n"
    );
    // Nobody listens any more.
    let gone = cypher(cwd, &remote, &["-e", "RETURN 1"]);
    assert_eq!(gone.status.code(), Some(1));
    assert!(
        text(&gone.stderr).starts_with("error: cannot reach the server at "),
        "{}",
        text(&gone.stderr)
    );
}
