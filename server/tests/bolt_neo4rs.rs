//! The Bolt server through a real driver: `neo4rs` (which speaks Bolt 4.4
//! with this server): every value type, parameters, writes and reads,
//! errors, explicit transactions.

use std::collections::HashMap;

use chrono::{DateTime, FixedOffset, NaiveDate, NaiveDateTime, TimeZone};
use graph_model::Database;
use neo4rs::{query, Graph, Node, Path, Relation};
use server::bolt::{spawn, BoltSettings, RunningBolt};

fn start(db: &Database) -> (RunningBolt, Graph) {
    let server = spawn(
        db.clone(),
        BoltSettings::default(),
        "127.0.0.1:0".parse().expect("address"),
    )
    .expect("bolt server");
    let graph =
        Graph::new(format!("bolt://{}", server.addr), "neo4j", "any password").expect("driver");
    (server, graph)
}

async fn single(graph: &Graph, q: neo4rs::Query) -> neo4rs::Row {
    let mut rows = graph.execute(q).await.expect("query runs");
    let row = rows.next().await.expect("a row").expect("one row");
    assert!(rows.next().await.expect("end").is_none(), "one row only");
    row
}

async fn count(graph: &Graph, label: &str) -> i64 {
    single(
        graph,
        query(&format!("MATCH (n:{label}) RETURN count(n) AS c")),
    )
    .await
    .get::<i64>("c")
    .expect("count")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_driver_reads_and_writes_every_value_type() {
    let db = Database::in_memory();
    let (_server, graph) = start(&db);

    graph
        .run(
            query(
                "CREATE (p:Patient {id: $id, name: $name, born: date('1980-05-01')})
                    -[:HAS_CONDITION {since: datetime('2020-01-01T10:00:00+01:00')}]->
                    (:Condition {code: 'I10'})",
            )
            .param("id", "p1")
            .param("name", "Ann"),
        )
        .await
        .expect("write");

    // The write reads back, by parameter.
    let row = single(
        &graph,
        query("MATCH (p:Patient {id: $id}) RETURN p, p.name AS name").param("id", "p1"),
    )
    .await;
    assert_eq!(row.get::<String>("name").expect("name"), "Ann");
    let patient: Node = row.get("p").expect("node");
    assert_eq!(patient.labels(), vec!["Patient"]);
    assert_eq!(patient.get::<String>("id").expect("id"), "p1");
    assert_eq!(
        patient.get::<NaiveDate>("born").expect("born"),
        NaiveDate::from_ymd_opt(1980, 5, 1).expect("date")
    );

    // Relationships and paths.
    let row = single(
        &graph,
        query("MATCH path = (p:Patient)-[r:HAS_CONDITION]->(c) RETURN r, path, c.code AS code"),
    )
    .await;
    let rel: Relation = row.get("r").expect("relationship");
    assert_eq!(rel.typ(), "HAS_CONDITION");
    assert_eq!(rel.start_node_id(), patient.id());
    let path: Path = row.get("path").expect("path");
    assert_eq!(path.nodes().len(), 2);
    assert_eq!(path.rels().len(), 1);
    assert_eq!(path.nodes()[0].id(), patient.id());
    assert_eq!(row.get::<String>("code").expect("code"), "I10");

    // Temporal values, lists, maps, scalars.
    let row = single(
        &graph,
        query(
            "MATCH ()-[r:HAS_CONDITION]->()
             RETURN r.since AS since, localdatetime('2021-02-03T04:05:06') AS ldt,
                    [1, 2, 3] AS list, {a: 1, b: 2} AS map, 1.5 AS x, true AS t, null AS nothing,
                    'é' AS text",
        ),
    )
    .await;
    let since: DateTime<FixedOffset> = row.get("since").expect("datetime");
    let expected = FixedOffset::east_opt(3600)
        .expect("offset")
        .with_ymd_and_hms(2020, 1, 1, 10, 0, 0)
        .single()
        .expect("instant");
    assert_eq!(since, expected);
    assert_eq!(since.offset(), expected.offset());
    assert_eq!(
        row.get::<NaiveDateTime>("ldt").expect("local date-time"),
        NaiveDate::from_ymd_opt(2021, 2, 3)
            .and_then(|d| d.and_hms_opt(4, 5, 6))
            .expect("ldt")
    );
    assert_eq!(row.get::<Vec<i64>>("list").expect("list"), vec![1, 2, 3]);
    assert_eq!(
        row.get::<HashMap<String, i64>>("map").expect("map"),
        HashMap::from([("a".to_owned(), 1), ("b".to_owned(), 2)])
    );
    assert!((row.get::<f64>("x").expect("float") - 1.5).abs() < f64::EPSILON);
    assert!(row.get::<bool>("t").expect("bool"));
    assert_eq!(row.get::<Option<i64>>("nothing").expect("null"), None);
    assert_eq!(row.get::<String>("text").expect("string"), "é");

    // Temporal parameters round-trip.
    let when = FixedOffset::east_opt(-5 * 3600)
        .expect("offset")
        .with_ymd_and_hms(2024, 6, 1, 8, 30, 0)
        .single()
        .expect("instant");
    let day = NaiveDate::from_ymd_opt(2024, 2, 29).expect("date");
    let row = single(
        &graph,
        query("RETURN $when AS instant, $day + duration('P1D') AS next, $list AS list")
            .param("when", when)
            .param("day", day)
            .param("list", vec![1_i64, 2]),
    )
    .await;
    assert_eq!(
        row.get::<DateTime<FixedOffset>>("instant")
            .expect("instant"),
        when
    );
    assert_eq!(
        row.get::<NaiveDate>("next").expect("next"),
        NaiveDate::from_ymd_opt(2024, 3, 1).expect("date")
    );
    assert_eq!(row.get::<Vec<i64>>("list").expect("list"), vec![1, 2]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_syntax_error_is_a_failure_and_the_driver_carries_on() {
    let db = Database::in_memory();
    let (_server, graph) = start(&db);
    let Err(error) = graph.execute(query("RETRUN 1")).await else {
        panic!("a syntax error must fail")
    };
    match &error {
        neo4rs::Error::Neo4j(e) => assert_eq!(e.code(), "Neo.ClientError.Statement.SyntaxError"),
        other => panic!("expected a server failure, got {other:?}"),
    }
    let row = single(&graph, query("RETURN 41 + 1 AS answer")).await;
    assert_eq!(row.get::<i64>("answer").expect("answer"), 42);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn explicit_transactions_commit_and_roll_back() {
    let db = Database::in_memory();
    let (_server, graph) = start(&db);

    let mut txn = graph.start_txn().await.expect("begin");
    txn.run(query("CREATE (:Visit {n: 1})"))
        .await
        .expect("create");
    txn.run(query("CREATE (:Visit {n: 2})"))
        .await
        .expect("create");
    let mut rows = txn
        .execute(query("MATCH (v:Visit) RETURN count(v) AS c"))
        .await
        .expect("read in the transaction");
    let seen: i64 = rows
        .next(txn.handle())
        .await
        .expect("row")
        .expect("one row")
        .get("c")
        .expect("count");
    assert_eq!(seen, 2, "the transaction reads its own writes");
    assert_eq!(count(&graph, "Visit").await, 0, "not visible before COMMIT");
    txn.commit().await.expect("commit");
    assert_eq!(count(&graph, "Visit").await, 2);

    let mut txn = graph.start_txn().await.expect("begin");
    txn.run(query("CREATE (:Visit {n: 3})"))
        .await
        .expect("create");
    txn.run(query("MATCH (v:Visit {n: 1}) DETACH DELETE v"))
        .await
        .expect("delete");
    txn.rollback().await.expect("rollback");
    assert_eq!(count(&graph, "Visit").await, 2, "ROLLBACK undid both");
}
