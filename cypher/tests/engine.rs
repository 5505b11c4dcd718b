//! The engine as a user sees it: transactions, read-only mode, guards,
//! EXPLAIN / PROFILE, index use and early stopping.

use std::sync::atomic::AtomicBool;
use std::sync::Arc;
use std::time::Duration;

use cypher::{execute, CypherValue, Params, QueryErrorKind, QueryOptions};
use graph_model::{Database, Value};

fn run(db: &Database, query: &str) -> cypher::QueryOutput {
    execute(db, query, &Params::new(), &QueryOptions::default())
        .unwrap_or_else(|e| panic!("`{query}` failed: {e}"))
}

fn single(db: &Database, query: &str) -> CypherValue {
    let out = run(db, query);
    assert_eq!(out.rows.len(), 1, "`{query}` returns one row");
    out.rows[0][0].clone()
}

fn numbers(db: &Database, n: i64) {
    run(
        db,
        &format!("UNWIND range(1, {n}) AS i CREATE (:Number {{value: i}})"),
    );
}

#[test]
fn a_failing_write_query_changes_nothing() {
    let db = Database::in_memory();
    numbers(&db, 3);
    // The third row divides by zero after two nodes were already updated.
    let err = execute(
        &db,
        "MATCH (n:Number) WITH n ORDER BY n.value SET n.inverse = 1 / (3 - n.value) CREATE (:Audit)",
        &Params::new(),
        &QueryOptions::default(),
    )
    .expect_err("division by zero");
    assert_eq!(
        err.status_code(),
        "Neo.ClientError.Statement.ArithmeticError"
    );
    assert_eq!(
        single(
            &db,
            "MATCH (n:Number) WHERE n.inverse IS NOT NULL RETURN count(n)"
        ),
        CypherValue::Integer(0)
    );
    assert_eq!(
        single(&db, "MATCH (a:Audit) RETURN count(a)"),
        CypherValue::Integer(0)
    );
    // A query that succeeds commits all of its changes at once.
    let out = run(&db, "MATCH (n:Number) SET n.seen = true CREATE (:Audit)");
    assert_eq!(out.stats.properties_set, 3);
    assert_eq!(out.stats.nodes_created, 3);
    assert_eq!(
        single(&db, "MATCH (a:Audit) RETURN count(a)"),
        CypherValue::Integer(3)
    );
}

#[test]
fn read_only_mode_refuses_writes_before_running_them() {
    let db = Database::in_memory();
    numbers(&db, 2);
    let options = QueryOptions {
        read_only: true,
        ..QueryOptions::default()
    };
    let err = execute(&db, "MATCH (n) DETACH DELETE n", &Params::new(), &options)
        .expect_err("writes are refused");
    assert_eq!(err.status_code(), "Neo.ClientError.Statement.AccessMode");
    assert!(err.is_compile_time());
    assert_eq!(
        single(&db, "MATCH (n) RETURN count(n)"),
        CypherValue::Integer(2)
    );
    let out = execute(
        &db,
        "MATCH (n) RETURN count(n) AS c",
        &Params::new(),
        &options,
    )
    .expect("reads are allowed");
    assert_eq!(out.rows, vec![vec![CypherValue::Integer(2)]]);
}

#[test]
fn a_query_past_its_time_limit_stops_with_a_clear_error() {
    let db = Database::in_memory();
    numbers(&db, 300);
    let options = QueryOptions {
        timeout: Some(Duration::from_millis(50)),
        ..QueryOptions::default()
    };
    // 300^3 = 27 million rows: far more than 50 ms of work.
    let err = execute(
        &db,
        "MATCH (a), (b), (c) RETURN count(*)",
        &Params::new(),
        &options,
    )
    .expect_err("the query is stopped");
    assert_eq!(
        err.as_query().map(|q| q.kind),
        Some(QueryErrorKind::Timeout)
    );
    assert_eq!(
        err.status_code(),
        "Neo.ClientError.Transaction.TransactionTimedOut"
    );
    // The database is fine afterwards.
    assert_eq!(
        single(&db, "MATCH (n) RETURN count(n)"),
        CypherValue::Integer(300)
    );
}

#[test]
fn a_cancelled_query_stops() {
    let db = Database::in_memory();
    numbers(&db, 100);
    let cancel = Arc::new(AtomicBool::new(true));
    let options = QueryOptions {
        cancel: Some(cancel),
        ..QueryOptions::default()
    };
    let err = execute(
        &db,
        "MATCH (a), (b) RETURN count(*)",
        &Params::new(),
        &options,
    )
    .expect_err("the query is cancelled");
    assert_eq!(
        err.as_query().map(|q| q.kind),
        Some(QueryErrorKind::Cancelled)
    );
}

#[test]
fn the_row_budget_stops_queries_that_hold_too_much() {
    let db = Database::in_memory();
    numbers(&db, 100);
    let options = QueryOptions {
        max_rows: 1_000,
        ..QueryOptions::default()
    };
    let err = execute(
        &db,
        "MATCH (a), (b) RETURN a.value, b.value ORDER BY a.value",
        &Params::new(),
        &options,
    )
    .expect_err("10,000 rows to sort exceed a budget of 1,000");
    assert_eq!(
        err.as_query().map(|q| q.kind),
        Some(QueryErrorKind::MemoryLimit)
    );
    // Streaming the same rows with LIMIT holds few of them.
    let out = execute(
        &db,
        "MATCH (a), (b) RETURN a.value LIMIT 5",
        &Params::new(),
        &options,
    )
    .expect("LIMIT keeps the query within budget");
    assert_eq!(out.rows.len(), 5);
}

#[test]
fn limit_stops_the_scan_early() {
    let db = Database::in_memory();
    numbers(&db, 10_000);
    let out = run(&db, "PROFILE MATCH (n:Number) RETURN n.value AS v LIMIT 3");
    assert_eq!(out.rows.len(), 3);
    let plan = out.plan.expect("PROFILE returns the plan");
    let matched = plan.parts[0]
        .iter()
        .find(|op| op.name.starts_with("Match"))
        .and_then(|op| op.rows)
        .expect("the Match operator has a row count");
    assert_eq!(matched, 3, "the label scan stopped after 3 rows:\n{plan}");
}

#[test]
fn key_lookups_use_the_unique_index() {
    let db = Database::in_memory();
    db.write(|txn| {
        txn.create_node_index("Patient", "id")?;
        for i in 0..100 {
            txn.create_node(&["Patient"], &[("id", Value::from(format!("p{i}")))])?;
        }
        Ok::<_, graph_model::GraphError>(())
    })
    .expect("setup");
    let mut params = Params::new();
    params.insert("id".into(), CypherValue::from("p42"));
    for query in [
        "EXPLAIN MATCH (p:Patient {id: $id}) RETURN p.id",
        "EXPLAIN MATCH (p:Patient) WHERE p.id = $id RETURN p.id",
    ] {
        let out = execute(&db, query, &params, &QueryOptions::default()).expect("explain");
        let plan = out.plan.expect("EXPLAIN returns the plan").to_string();
        assert!(
            plan.contains("NodeIndexSeek(:Patient.id)"),
            "{query}:\n{plan}"
        );
        assert!(out.rows.is_empty(), "EXPLAIN does not run the query");
    }
    let out = execute(
        &db,
        "MATCH (p:Patient) WHERE p.id = $id RETURN p.id AS id",
        &params,
        &QueryOptions::default(),
    )
    .expect("lookup");
    assert_eq!(out.rows, vec![vec![CypherValue::from("p42")]]);
}

#[test]
fn errors_carry_status_codes_and_positions() {
    let db = Database::in_memory();
    let err = execute(
        &db,
        "MATCH (n RETURN n",
        &Params::new(),
        &QueryOptions::default(),
    )
    .expect_err("syntax error");
    assert_eq!(err.status_code(), "Neo.ClientError.Statement.SyntaxError");
    assert_eq!(err.as_syntax().map(|s| (s.line, s.column)), Some((1, 10)));
    let err = execute(
        &db,
        "RETURN $missing",
        &Params::new(),
        &QueryOptions::default(),
    )
    .expect_err("missing parameter");
    assert_eq!(
        err.status_code(),
        "Neo.ClientError.Statement.ParameterMissing"
    );
    let err = execute(
        &db,
        "RETURN 1 + 'a' - 1",
        &Params::new(),
        &QueryOptions::default(),
    )
    .expect_err("type error");
    assert_eq!(err.status_code(), "Neo.ClientError.Statement.TypeError");
}

#[test]
fn shortest_paths_between_bound_nodes() {
    let db = Database::in_memory();
    run(
        &db,
        "CREATE (a:A)-[:T]->(:X)-[:T]->(c:C), (a)-[:T]->(:Y)-[:T]->(c), (a)-[:T]->(:Z)-[:T]->(:W)-[:T]->(c)",
    );
    let out = run(
        &db,
        "MATCH (a:A), (c:C), p = allShortestPaths((a)-[*]->(c)) \
         RETURN [n IN nodes(p) | labels(n)[0]] AS via ORDER BY via",
    );
    let via: Vec<CypherValue> = out.rows.into_iter().map(|mut r| r.remove(0)).collect();
    let expected =
        |mid: &str| CypherValue::list(["A", mid, "C"].into_iter().map(CypherValue::from));
    assert_eq!(via, vec![expected("X"), expected("Y")]);
    assert_eq!(
        single(
            &db,
            "MATCH (a:A), (c:C) RETURN length(shortestPath((a)-[*]-(c)))"
        ),
        CypherValue::Integer(2)
    );
    let err = execute(
        &db,
        "MATCH p = shortestPath((a:A)-[*]-(c:C)) RETURN p",
        &Params::new(),
        &QueryOptions::default(),
    )
    .expect_err("unbound ends are refused");
    assert!(err.to_string().contains("both end nodes bound"), "{err}");
}

#[test]
fn the_time_limit_also_stops_unwind_and_filter_loops() {
    let db = Database::in_memory();
    let options = QueryOptions {
        timeout: Some(Duration::from_millis(100)),
        ..QueryOptions::default()
    };
    let err = execute(
        &db,
        "UNWIND range(1, 100000) AS x UNWIND range(1, 100000) AS y WITH x, y WHERE x < 0 RETURN count(*)",
        &Params::new(),
        &options,
    )
    .expect_err("ten billion rows take longer than 100 ms");
    assert_eq!(
        err.as_query().map(|q| q.kind),
        Some(QueryErrorKind::Timeout)
    );
}

#[test]
fn expanding_between_two_bound_nodes_walks_the_smaller_side() {
    let db = Database::in_memory();
    run(
        &db,
        "CREATE (hub:Hub) WITH hub UNWIND range(1, 2000) AS i CREATE (hub)-[:LINK {i: i}]->(:Leaf {i: i})",
    );
    run(&db, "MATCH (l:Leaf {i: 7}) CREATE (l)-[:BACK]->(:Hub2)");
    // Both ends bound: the leaf has one LINK, the hub 2,000.
    let out = run(
        &db,
        "MATCH (hub:Hub), (l:Leaf) WHERE l.i IN [5, 7, 3000] \
         MATCH (hub)-[r:LINK]->(l) RETURN l.i AS i, r.i AS ri ORDER BY i",
    );
    assert_eq!(
        out.rows,
        vec![
            vec![CypherValue::Integer(5), CypherValue::Integer(5)],
            vec![CypherValue::Integer(7), CypherValue::Integer(7)],
        ]
    );
    // Direction still matters when walking from the other end.
    assert_eq!(
        single(
            &db,
            "MATCH (hub:Hub), (l:Leaf {i: 5}) MATCH (l)-[r:LINK]->(hub) RETURN count(r)"
        ),
        CypherValue::Integer(0)
    );
    assert_eq!(
        single(
            &db,
            "MATCH (hub:Hub), (l:Leaf {i: 5}) MATCH (l)-[r:LINK]-(hub) RETURN count(r)"
        ),
        CypherValue::Integer(1)
    );
}

#[test]
fn statements_share_one_transaction_with_execute_in() {
    let db = Database::in_memory();
    let options = QueryOptions::default();
    let params = Params::new();
    let count = |db: &Database| single(db, "MATCH (n:Item) RETURN count(n)");
    // Two statements; the second reads the first one's node; nothing is
    // visible outside before the commit.
    let txn = db.begin_write();
    let (first, txn) =
        cypher::execute_in(txn, "CREATE (:Item {n: 1})", &params, &options).expect("create");
    assert_eq!(first.stats.nodes_created, 1);
    let (second, txn) = cypher::execute_in(
        txn,
        "MATCH (i:Item) CREATE (:Item {n: i.n + 1}) RETURN i.n",
        &params,
        &options,
    )
    .expect("read own write");
    assert_eq!(second.rows, vec![vec![CypherValue::Integer(1)]]);
    assert_eq!(count(&db), CypherValue::Integer(0));
    txn.commit().expect("commit");
    assert_eq!(count(&db), CypherValue::Integer(2));

    // Rolling back discards every statement's changes.
    let txn = db.begin_write();
    let (_, txn) = cypher::execute_in(txn, "CREATE (:Item)", &params, &options).expect("create");
    txn.rollback();
    assert_eq!(count(&db), CypherValue::Integer(2));

    // A failing statement takes the transaction with it.
    let txn = db.begin_write();
    let (_, txn) = cypher::execute_in(txn, "CREATE (:Item)", &params, &options).expect("create");
    let err = cypher::execute_in(txn, "RETURN 1 / 0", &params, &options)
        .map(|_| ())
        .expect_err("division by zero");
    assert_eq!(
        err.status_code(),
        "Neo.ClientError.Statement.ArithmeticError"
    );
    assert_eq!(count(&db), CypherValue::Integer(2));

    // Read-only refuses writing statements.
    let read_only = QueryOptions {
        read_only: true,
        ..QueryOptions::default()
    };
    let err = cypher::execute_in(db.begin_write(), "CREATE (:Item)", &params, &read_only)
        .map(|_| ())
        .expect_err("read-only");
    assert_eq!(err.status_code(), "Neo.ClientError.Statement.AccessMode");
    assert_eq!(count(&db), CypherValue::Integer(2));
}
