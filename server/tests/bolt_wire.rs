//! The Bolt server at the byte level: handshake, framing, the state
//! machine, PULL/DISCARD batches, transactions and value encodings.

mod bolt_support;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use bolt_support::{map, msg, s, start, start_with, Client};
use graph_model::Database;
use server::bolt::packstream::PackValue;
use server::bolt::BoltSettings;

const NONE: [u8; 4] = [0; 4];

fn int(i: i64) -> PackValue {
    PackValue::Integer(i)
}

#[test]
fn handshake_agrees_on_5_4_or_4_4_or_nothing() {
    let db = Database::in_memory();
    let server = start(&db);
    // 5.8 down to 5.0 after a manifest-style proposal: 5.4.
    let client = Client::handshake(server.addr, [[0, 0, 1, 0xFF], [0, 8, 8, 5], NONE, NONE]);
    assert_eq!(client.version, [0, 0, 4, 5]);
    // 5.2 down to 5.1.
    let client = Client::handshake(server.addr, [[0, 1, 2, 5], NONE, NONE, NONE]);
    assert_eq!(client.version, [0, 0, 2, 5]);
    // 4.4 (after 4.3..4.0, which is not spoken).
    let client = Client::handshake(server.addr, [[0, 3, 3, 4], [0, 0, 4, 4], NONE, NONE]);
    assert_eq!(client.version, [0, 0, 4, 4]);
    // Nothing in common: four zero bytes, then the server closes.
    let mut client = Client::handshake(server.addr, [[0, 0, 0, 3], [0, 0, 2, 4], NONE, NONE]);
    assert_eq!(client.version, [0, 0, 0, 0]);
    assert!(client.is_closed());
}

#[test]
fn http_on_the_bolt_port_gets_a_clear_answer() {
    let db = Database::in_memory();
    let server = start(&db);
    let mut stream = TcpStream::connect(server.addr).expect("connect");
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .expect("timeout");
    stream
        .write_all(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        .expect("send");
    let mut answer = String::new();
    stream.read_to_string(&mut answer).expect("read");
    assert!(answer.starts_with("HTTP/1.1 400"), "{answer}");
    assert!(answer.contains("Bolt port"), "{answer}");
}

#[test]
fn bolt_5_1_and_later_log_on_after_hello() {
    let db = Database::in_memory();
    let server = start(&db);
    let mut client = Client::handshake(server.addr, [[0, 0, 4, 5], NONE, NONE, NONE]);
    let hello = client
        .request(&msg(0x01, vec![map(&[("user_agent", s("test/1"))])]))
        .success();
    let agent = hello
        .get("server")
        .and_then(PackValue::as_str)
        .unwrap_or("");
    assert!(agent.starts_with("Neo4j/5."), "{agent}");
    assert!(hello.get("connection_id").is_some());
    // RUN before LOGON: FAILURE, and the connection closes.
    let response = client.run("RETURN 1", map(&[]), map(&[]));
    assert_eq!(response.failure_code(), "Neo.ClientError.Request.Invalid");
    assert!(client.is_closed());

    // An unsupported scheme is refused.
    let mut client = Client::handshake(server.addr, [[0, 0, 4, 5], NONE, NONE, NONE]);
    client
        .request(&msg(0x01, vec![map(&[("user_agent", s("test/1"))])]))
        .success();
    let refused = client.request(&msg(0x6A, vec![map(&[("scheme", s("kerberos"))])]));
    assert_eq!(
        refused.failure_code(),
        "Neo.ClientError.Security.Unauthorized"
    );
    assert!(client.is_closed());

    // LOGOFF then LOGON again.
    let mut client = Client::v5(server.addr);
    client.request(&msg(0x6B, vec![])).success();
    client
        .request(&msg(0x6A, vec![map(&[("scheme", s("none"))])]))
        .success();
    assert_eq!(client.query("RETURN 1 AS x", map(&[])), vec![vec![int(1)]]);
    // TELEMETRY (5.4) is acknowledged.
    client
        .request(&msg(0x54, vec![map(&[("api", int(1))])]))
        .success();
}

#[test]
fn long_messages_and_results_span_several_chunks() {
    let db = Database::in_memory();
    let server = start(&db);
    let mut client = Client::v5(server.addr);
    let text = "ab".repeat(100_000);
    // The request in chunks of 1,000 bytes.
    client.send_chunked(
        &msg(
            0x10,
            vec![
                s("RETURN size($t) AS n, $t AS t"),
                map(&[("t", s(&text))]),
                map(&[]),
            ],
        ),
        1_000,
    );
    client.recv().success();
    let (records, summary) = client.pull(-1);
    summary.success();
    assert_eq!(records[0][0], int(200_000));
    assert_eq!(records[0][1], s(&text));
    // A NOOP chunk between messages is ignored.
    client.send_raw(&[0, 0]);
    assert_eq!(client.query("RETURN 2 AS x", map(&[])), vec![vec![int(2)]]);
}

#[test]
fn malformed_and_oversized_messages_fail_and_close() {
    let db = Database::in_memory();
    let server = start_with(
        &db,
        BoltSettings {
            max_message_bytes: 4_096,
            ..BoltSettings::default()
        },
    );
    // An unknown marker.
    let mut client = Client::v5(server.addr);
    client.send_raw(&[0x00, 0x02, 0xB1, 0xC7, 0x00, 0x00]);
    assert_eq!(
        client.recv().failure_code(),
        "Neo.ClientError.Request.Invalid"
    );
    assert!(client.is_closed());
    // A string longer than the message.
    let mut client = Client::v5(server.addr);
    client.send_raw(&[0x00, 0x04, 0xB1, 0x10, 0xD1, 0xFF, 0x00, 0x00]);
    assert_eq!(
        client.recv().failure_code(),
        "Neo.ClientError.Request.Invalid"
    );
    assert!(client.is_closed());
    // An unknown message.
    let mut client = Client::v5(server.addr);
    client.send(&msg(0x55, vec![]));
    assert_eq!(
        client.recv().failure_code(),
        "Neo.ClientError.Request.Invalid"
    );
    assert!(client.is_closed());
    // Larger than the limit.
    let mut client = Client::v5(server.addr);
    client.send(&msg(
        0x10,
        vec![
            s("RETURN $t"),
            map(&[("t", s(&"x".repeat(10_000)))]),
            map(&[]),
        ],
    ));
    let failure = client.recv();
    assert_eq!(failure.failure_code(), "Neo.ClientError.Request.Invalid");
    assert!(client.is_closed());
    // The server still serves others.
    let mut client = Client::v5(server.addr);
    assert_eq!(client.query("RETURN 3 AS x", map(&[])), vec![vec![int(3)]]);
}

#[test]
fn after_a_failure_messages_are_ignored_until_reset() {
    let db = Database::in_memory();
    let server = start(&db);
    let mut client = Client::v5(server.addr);
    let failure = client.run("RETRUN 1", map(&[]), map(&[]));
    assert_eq!(
        failure.failure_code(),
        "Neo.ClientError.Statement.SyntaxError"
    );
    let (records, ignored) = client.pull(-1);
    assert!(records.is_empty());
    assert_eq!(ignored.tag, 0x7E);
    assert_eq!(client.run("RETURN 1", map(&[]), map(&[])).tag, 0x7E);
    client.request(&msg(0x0F, vec![])).success();
    assert_eq!(client.query("RETURN 1 AS x", map(&[])), vec![vec![int(1)]]);
    // A message out of place (PULL in READY) is a FAILURE too.
    let (_, failure) = client.pull(-1);
    assert_eq!(failure.failure_code(), "Neo.ClientError.Request.Invalid");
    client.request(&msg(0x0F, vec![])).success();
    // An unknown database.
    let failure = client.run("RETURN 1", map(&[]), map(&[("db", s("system"))]));
    assert_eq!(
        failure.failure_code(),
        "Neo.ClientError.Database.DatabaseNotFound"
    );
    client.request(&msg(0x0F, vec![])).success();
    // GOODBYE closes the connection.
    client.send(&msg(0x02, vec![]));
    assert!(client.is_closed());
}

#[test]
fn pull_in_batches_and_discard() {
    let db = Database::in_memory();
    let server = start(&db);
    let mut client = Client::v5(server.addr);
    let run = client.run("UNWIND range(1, 5) AS i RETURN i", map(&[]), map(&[]));
    assert_eq!(run.get("fields"), Some(&PackValue::List(vec![s("i")])));
    assert!(run.get("t_first").is_some());
    let (records, more) = client.pull(2);
    assert_eq!(records, vec![vec![int(1)], vec![int(2)]]);
    assert_eq!(
        more.success().get("has_more"),
        Some(&PackValue::Boolean(true))
    );
    let (records, more) = client.pull(2);
    assert_eq!(records, vec![vec![int(3)], vec![int(4)]]);
    assert_eq!(more.get("has_more"), Some(&PackValue::Boolean(true)));
    let (records, last) = client.pull(2);
    assert_eq!(records, vec![vec![int(5)]]);
    let last = last.success();
    assert_eq!(last.get("has_more"), None);
    assert_eq!(last.get("type"), Some(&s("r")));
    assert_eq!(last.get("db"), Some(&s("neo4j")));
    assert!(last
        .get("bookmark")
        .and_then(PackValue::as_str)
        .is_some_and(|b| b.starts_with("caregraph:")));

    // DISCARD part, then the rest.
    client
        .run("UNWIND range(1, 5) AS i RETURN i", map(&[]), map(&[]))
        .success();
    let discarded = client
        .request(&msg(0x2F, vec![map(&[("n", int(3))])]))
        .success();
    assert_eq!(discarded.get("has_more"), Some(&PackValue::Boolean(true)));
    let (records, _) = client.pull(1);
    assert_eq!(records, vec![vec![int(4)]]);
    let rest = client
        .request(&msg(0x2F, vec![map(&[("n", int(-1))])]))
        .success();
    assert_eq!(rest.get("has_more"), None);
    assert!(rest.get("bookmark").is_some());

    // A write reports its counters.
    client
        .run("CREATE (:T {a: 1})-[:R]->(:T)", map(&[]), map(&[]))
        .success();
    let (_, summary) = client.pull(-1);
    let summary = summary.success();
    let stats = summary.get("stats").cloned().expect("stats");
    assert_eq!(stats.get("nodes-created"), Some(&int(2)));
    assert_eq!(stats.get("relationships-created"), Some(&int(1)));
    assert_eq!(stats.get("properties-set"), Some(&int(1)));
    assert_eq!(stats.get("labels-added"), Some(&int(2)));
    assert_eq!(summary.get("type"), Some(&s("rw")));
    // Read mode refuses writes.
    let refused = client.run("CREATE (:T)", map(&[]), map(&[("mode", s("r"))]));
    assert_eq!(
        refused.failure_code(),
        "Neo.ClientError.Statement.AccessMode"
    );
}

#[test]
fn explicit_transactions_commit_or_roll_back_every_statement() {
    let db = Database::in_memory();
    let server = start(&db);
    let mut client = Client::v5(server.addr);
    let mut other = Client::v5(server.addr);
    let count = |c: &mut Client| c.query("MATCH (n:Tx) RETURN count(n)", map(&[]))[0][0].clone();

    client.request(&msg(0x11, vec![map(&[])])).success();
    let run = client
        .run("CREATE (:Tx {n: 1})", map(&[]), map(&[]))
        .success();
    assert_eq!(run.get("qid"), Some(&int(0)));
    client.pull(-1).1.success();
    client
        .run("CREATE (:Tx {n: 2})", map(&[]), map(&[]))
        .success();
    client.pull(-1).1.success();
    // The transaction reads its own writes; others do not see them yet.
    client
        .run("MATCH (n:Tx) RETURN count(n)", map(&[]), map(&[]))
        .success();
    let (records, _) = client.pull(-1);
    assert_eq!(records, vec![vec![int(2)]]);
    assert_eq!(count(&mut other), int(0));
    let commit = client.request(&msg(0x12, vec![])).success();
    assert!(commit.get("bookmark").is_some());
    assert_eq!(count(&mut other), int(2));

    // ROLLBACK discards all of it.
    client.request(&msg(0x11, vec![map(&[])])).success();
    client
        .run("CREATE (:Tx {n: 3})", map(&[]), map(&[]))
        .success();
    client.pull(-1).1.success();
    client
        .run("MATCH (n:Tx) DELETE n", map(&[]), map(&[]))
        .success();
    client.pull(-1).1.success();
    client.request(&msg(0x13, vec![])).success();
    assert_eq!(count(&mut other), int(2));

    // Two open results in one transaction, pulled by qid.
    client.request(&msg(0x11, vec![map(&[])])).success();
    client
        .run("UNWIND [1, 2] AS x RETURN x", map(&[]), map(&[]))
        .success();
    client
        .run("UNWIND [3, 4] AS x RETURN x", map(&[]), map(&[]))
        .success();
    client.send(&msg(0x3F, vec![map(&[("n", int(-1)), ("qid", int(0))])]));
    assert_eq!(client.recv().record(), &[int(1)]);
    assert_eq!(client.recv().record(), &[int(2)]);
    client.recv().success();
    let (records, _) = client.pull(-1);
    assert_eq!(records, vec![vec![int(3)], vec![int(4)]]);
    client.request(&msg(0x12, vec![])).success();

    // A failing statement rolls the transaction back.
    client.request(&msg(0x11, vec![map(&[])])).success();
    client
        .run("CREATE (:Tx {n: 5})", map(&[]), map(&[]))
        .success();
    client.pull(-1).1.success();
    let failure = client.run("RETURN 1 / 0", map(&[]), map(&[]));
    assert_eq!(
        failure.failure_code(),
        "Neo.ClientError.Statement.ArithmeticError"
    );
    assert_eq!(client.request(&msg(0x12, vec![])).tag, 0x7E);
    client.request(&msg(0x0F, vec![])).success();
    assert_eq!(count(&mut client), int(2));

    // A read transaction refuses writes.
    client
        .request(&msg(0x11, vec![map(&[("mode", s("r"))])]))
        .success();
    let refused = client.run("CREATE (:Tx)", map(&[]), map(&[]));
    assert_eq!(
        refused.failure_code(),
        "Neo.ClientError.Statement.AccessMode"
    );
    client.request(&msg(0x0F, vec![])).success();

    // A transaction past its tx_timeout is rolled back.
    client
        .request(&msg(0x11, vec![map(&[("tx_timeout", int(200))])]))
        .success();
    client
        .run("CREATE (:Tx {n: 6})", map(&[]), map(&[]))
        .success();
    client.pull(-1).1.success();
    std::thread::sleep(Duration::from_millis(400));
    let late = client.request(&msg(0x12, vec![]));
    assert_eq!(
        late.failure_code(),
        "Neo.ClientError.Transaction.TransactionTimedOut"
    );
    client.request(&msg(0x0F, vec![])).success();
    assert_eq!(count(&mut client), int(2));
    // The writer lock was released: auto-commit writes go through.
    client.query("CREATE (:Tx {n: 7})", map(&[]));
    assert_eq!(count(&mut other), int(3));
}

#[test]
fn reset_interrupts_a_running_query() {
    let db = Database::in_memory();
    let server = start(&db);
    let mut client = Client::v5(server.addr);
    let started = Instant::now();
    client.send(&msg(
        0x10,
        vec![
            s("UNWIND range(1, 1000000000) AS x WITH x WHERE x < 0 RETURN count(x)"),
            map(&[]),
            map(&[]),
        ],
    ));
    std::thread::sleep(Duration::from_millis(200));
    client.send(&msg(0x0F, vec![]));
    let first = client.recv();
    assert!(
        first.tag == 0x7F || first.tag == 0x7E,
        "the RUN fails or is ignored: {first:?}"
    );
    client.recv().success();
    assert!(started.elapsed() < Duration::from_secs(10));
    assert_eq!(client.query("RETURN 1 AS x", map(&[])), vec![vec![int(1)]]);
}

#[test]
fn route_answers_a_single_server_table() {
    let db = Database::in_memory();
    let server = start(&db);
    let mut client = Client::v5(server.addr);
    let routed = client
        .request(&msg(
            0x66,
            vec![
                map(&[("address", s("graph.example:7687"))]),
                PackValue::List(vec![]),
                map(&[]),
            ],
        ))
        .success();
    let table = routed.get("rt").expect("rt");
    assert_eq!(table.get("ttl"), Some(&int(300)));
    let PackValue::List(servers) = table.get("servers").expect("servers") else {
        panic!("servers")
    };
    let roles: Vec<_> = servers
        .iter()
        .filter_map(|s| s.get("role").and_then(PackValue::as_str))
        .collect();
    assert_eq!(roles, ["ROUTE", "READ", "WRITE"]);
    assert_eq!(
        servers[0].get("addresses"),
        Some(&PackValue::List(vec![s("graph.example:7687")]))
    );
}

fn struct_of(value: &PackValue) -> (u8, &[PackValue]) {
    match value {
        PackValue::Struct(s) => (s.tag, &s.fields),
        other => panic!("not a structure: {other:?}"),
    }
}

#[test]
fn graph_values_follow_the_negotiated_version() {
    let db = Database::in_memory();
    let server = start(&db);
    let mut v5 = Client::v5(server.addr);
    v5.query(
        "CREATE (:P {name: 'Ann', born: datetime('2000-01-01T12:00:00+02:00')})-[:KNOWS {since: 2}]->(:P {name: 'Bo'})",
        map(&[]),
    );
    let query = "MATCH p = (a:P {name: 'Ann'})-[r:KNOWS]->(b) RETURN a, r, p, a.born";
    let row = v5.query(query, map(&[])).remove(0);
    let (tag, node) = struct_of(&row[0]);
    assert_eq!((tag, node.len()), (0x4E, 4));
    assert_eq!(node[1], PackValue::List(vec![s("P")]));
    assert_eq!(node[2].get("name"), Some(&s("Ann")));
    assert!(node[3].as_str().is_some_and(|e| e.starts_with("n:")));
    let (tag, rel) = struct_of(&row[1]);
    assert_eq!((tag, rel.len()), (0x52, 8));
    assert_eq!(rel[3], s("KNOWS"));
    assert_eq!(rel[1], node[0]);
    let (tag, path) = struct_of(&row[2]);
    assert_eq!(tag, 0x50);
    assert_eq!(path[2], PackValue::List(vec![int(1), int(1)]));
    let (tag, born) = struct_of(&row[3]);
    assert_eq!(tag, 0x49);
    assert_eq!(born[0], int(946_720_800)); // 10:00 UTC
    assert_eq!(born[2], int(7200));

    let mut v4 = Client::v4(server.addr, &[]);
    let row = v4.query(query, map(&[])).remove(0);
    assert_eq!(struct_of(&row[0]).1.len(), 3);
    assert_eq!(struct_of(&row[1]).1.len(), 5);
    let (tag, born) = struct_of(&row[3]);
    assert_eq!(tag, 0x46);
    assert_eq!(born[0], int(946_728_000)); // 12:00 local
                                           // 4.4 with the utc patch: UTC date-times.
    let mut patched = Client::v4(
        server.addr,
        &[("patch_bolt", PackValue::List(vec![s("utc")]))],
    );
    let row = patched.query("MATCH (a:P {name: 'Ann'}) RETURN a.born", map(&[]));
    assert_eq!(struct_of(&row[0][0]).0, 0x49);
    // Parameters come back as they went.
    let date = msg(0x44, vec![int(19_000)]);
    let row = v5.query(
        "RETURN $d AS d, $d + duration('P1D') AS next",
        map(&[("d", date.clone())]),
    );
    assert_eq!(row[0][0], date);
    assert_eq!(row[0][1], msg(0x44, vec![int(19_001)]));
}
