//! `POST /db/{database}/query/v2` of an in-process server on a data
//! directory: result encoding (scalars, temporals, nodes, relationships,
//! paths), parameters, counters, plans, errors and their status codes, the
//! time limit, and cancellation when the client goes away.

use std::time::{Duration, Instant};

use cypher::{Params, QueryOptions};
use graph_model::{Database, DbOptions};
use serde_json::{json, Value as Json};
use server::http::{spawn_with, AppState, Metrics, QuerySettings, RunningServer};

struct Server {
    running: RunningServer,
    db: Database,
    _dir: tempfile::TempDir,
}

/// A server on a new data directory holding two patients, one with a
/// condition.
fn start(timeout: Option<Duration>) -> Server {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = Database::open(dir.path().join("data"), DbOptions::default()).expect("open");
    cypher::execute(
        &db,
        "CREATE (:Patient {id: 'p1', name: 'Ann', age: 42, born: date('1982-03-04')})\
         -[:HAS_CONDITION {since: 2020}]->(:Condition {code: 'E11'}), \
         (:Patient {id: 'p2', name: 'Bob', age: 7})",
        &Params::new(),
        &QueryOptions::default(),
    )
    .expect("seed the graph");
    let state = AppState {
        db: db.clone(),
        data_dir: Some(dir.path().join("data")),
        metrics: Metrics::default(),
        max_body_bytes: 1 << 20,
        policies: server::security::PolicyBuilder::new(server::security::PseudonymKey::random()),
        audit: std::sync::Arc::new(server::audit::AuditLog::disabled()),
        max_query_bytes: server::settings::DEFAULT_MAX_QUERY_BYTES,
        // In-process embedding: no authentication (the security tests run the
        // enforcing configuration).
        auth: std::sync::Arc::new(server::auth::AuthConfig::disabled()),
    };
    let running = spawn_with(
        state,
        QuerySettings { timeout },
        "127.0.0.1:0".parse().expect("addr"),
        2,
    )
    .expect("start the server");
    Server {
        running,
        db,
        _dir: dir,
    }
}

impl Server {
    fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.running.addr)
    }

    /// Status and JSON body of a POST of `body` to `path`.
    fn post_raw(&self, path: &str, body: &str) -> (u16, Json) {
        let response = ureq::post(&self.url(path))
            .set("Content-Type", "application/json")
            .send_string(body);
        let response = match response {
            Ok(r) | Err(ureq::Error::Status(_, r)) => r,
            Err(e) => panic!("POST {path}: {e}"),
        };
        let status = response.status();
        let text = response.into_string().expect("body");
        let json = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}: {text}"));
        (status, json)
    }

    fn query(&self, request: &Json) -> (u16, Json) {
        self.post_raw("/db/neo4j/query/v2", &request.to_string())
    }
}

fn error(code: &str, message: &str) -> Json {
    json!({"errors": [{"code": code, "message": message}]})
}

#[test]
fn nodes_relationships_and_paths_use_neo4j_shapes_and_element_ids() {
    let server = start(None);
    let (status, body) = server.query(&json!({
        "statement": "MATCH p = (a:Patient {id: 'p1'})-[r:HAS_CONDITION]->(c) \
                      RETURN a, r, c.code AS code, p, elementId(a) AS aid, elementId(r) AS rid, elementId(c) AS cid"
    }));
    assert_eq!(status, 202, "{body}");
    let row = &body["data"]["values"][0];
    let (aid, rid, cid) = (&row[4], &row[5], &row[6]);
    assert!(aid.as_str().is_some_and(|s| s.starts_with("n:")), "{aid}");
    assert!(rid.as_str().is_some_and(|s| s.starts_with("r:")), "{rid}");
    let a = json!({"elementId": aid, "labels": ["Patient"],
                   "properties": {"id": "p1", "name": "Ann", "age": 42, "born": "1982-03-04"}});
    let r = json!({"elementId": rid, "startNodeElementId": aid, "endNodeElementId": cid,
                   "type": "HAS_CONDITION", "properties": {"since": 2020}});
    let c = json!({"elementId": cid, "labels": ["Condition"], "properties": {"code": "E11"}});
    assert_eq!(
        body,
        json!({
            "data": {
                "fields": ["a", "r", "code", "p", "aid", "rid", "cid"],
                "values": [[a, r, "E11", [a, r, c], aid, rid, cid]]
            },
            "bookmarks": []
        })
    );
    // The alias names the same graph.
    let (status, body) = server.post_raw(
        "/db/caregraph/query/v2",
        r#"{"statement": "MATCH (n:Patient) RETURN n.name AS name ORDER BY name"}"#,
    );
    assert_eq!(status, 202);
    assert_eq!(
        body["data"],
        json!({"fields": ["name"], "values": [["Ann"], ["Bob"]]})
    );
}

#[test]
fn scalars_temporals_and_parameters_keep_their_types() {
    let server = start(None);
    let (status, body) = server.query(&json!({
        "statement": "RETURN 1 AS i, 1.5 AS f, 2.0 AS whole, 'x' AS s, true AS b, null AS n, \
                      [1, 'a', [2.5]] AS l, {k: 1, m: {z: false}} AS m, date('2020-01-02') AS d, \
                      localdatetime('2020-01-02T03:04:05') AS ldt, duration('P1DT2H') AS dur, \
                      0.0 / 0.0 AS nan, -1.0 / 0.0 AS neg_inf"
    }));
    assert_eq!(status, 202, "{body}");
    assert_eq!(
        body["data"]["values"],
        json!([[1, 1.5, 2.0, "x", true, null, [1, "a", [2.5]], {"k": 1, "m": {"z": false}},
                "2020-01-02", "2020-01-02T03:04:05", "P1DT2H", "NaN", "-Infinity"]])
    );
    // 2.0 stays a float in the JSON text.
    assert!(body.to_string().contains("2.0"), "{body}");

    let (status, body) = server.query(&json!({
        "statement": "RETURN $i + 1 AS next, $f * 2 AS twice, $l[1][0] AS inner, $m.a IS NULL AS missing, $s AS s",
        "parameters": {"i": 41, "f": 1.25, "l": [1, [2]], "m": {"a": null}, "s": "héllo"}
    }));
    assert_eq!(status, 202, "{body}");
    assert_eq!(body["data"]["values"], json!([[42, 2.5, 2, true, "héllo"]]));
    assert!(
        body["data"]["values"][0][0].is_i64(),
        "integers stay integers"
    );
}

#[test]
fn writes_report_counters_and_read_mode_refuses_them() {
    let server = start(None);
    let (status, body) = server.query(&json!({
        "statement": "CREATE (n:Patient {id: $id, name: 'Cy'}) RETURN n.name AS name",
        "parameters": {"id": "p3"}
    }));
    assert_eq!(status, 202, "{body}");
    assert_eq!(
        body,
        json!({
            "data": {"fields": ["name"], "values": [["Cy"]]},
            "counters": {
                "containsUpdates": true, "nodesCreated": 1, "nodesDeleted": 0, "propertiesSet": 2,
                "relationshipsCreated": 0, "relationshipsDeleted": 0, "labelsAdded": 1,
                "labelsRemoved": 0, "indexesAdded": 0, "indexesRemoved": 0, "constraintsAdded": 0,
                "constraintsRemoved": 0, "containsSystemUpdates": false, "systemUpdates": 0
            },
            "bookmarks": []
        })
    );
    // A read asks for counters explicitly.
    let (_, body) = server.query(&json!({"statement": "RETURN 1 AS one", "includeCounters": true}));
    assert_eq!(body["counters"]["containsUpdates"], false);
    assert!(server
        .query(&json!({"statement": "RETURN 1"}))
        .1
        .get("counters")
        .is_none());

    let (status, body) = server.query(&json!({
        "statement": "CREATE (:Patient {id: 'p4'})", "accessMode": "READ"
    }));
    assert_eq!(status, 400);
    assert_eq!(
        body,
        error(
            "Neo.ClientError.Statement.AccessMode",
            "Writing is not allowed in a read-only transaction"
        )
    );
    let (_, body) = server.query(&json!({
        "statement": "MATCH (n:Patient) RETURN count(n) AS n", "accessMode": "READ"
    }));
    assert_eq!(body["data"]["values"], json!([[3]]), "p4 was not created");
    assert_eq!(server.db.snapshot().node_count(), 4);
}

#[test]
fn errors_carry_neo4j_codes_and_http_statuses() {
    let server = start(None);
    let (status, body) = server.query(&json!({"statement": "RETRN 1"}));
    assert_eq!(status, 400);
    assert_eq!(
        body["errors"][0]["code"],
        "Neo.ClientError.Statement.SyntaxError"
    );
    let message = body["errors"][0]["message"].as_str().unwrap_or("");
    assert!(
        message.ends_with("(line 1, column 1 (offset: 0))"),
        "{message}"
    );

    let (status, body) = server.query(&json!({"statement": "RETURN $missing"}));
    assert_eq!(status, 400);
    assert_eq!(
        body["errors"][0]["code"],
        "Neo.ClientError.Statement.ParameterMissing"
    );

    let (status, body) = server.query(&json!({"statement": "RETURN 1 / 0"}));
    assert_eq!(status, 400);
    assert_eq!(
        body["errors"][0]["code"],
        "Neo.ClientError.Statement.ArithmeticError"
    );

    let (status, body) = server.post_raw("/db/other/query/v2", r#"{"statement": "RETURN 1"}"#);
    assert_eq!(status, 404);
    assert_eq!(
        body,
        error(
            "Neo.ClientError.Database.DatabaseNotFound",
            "Database does not exist. Database name: 'other'. This server has `neo4j` (alias `caregraph`)."
        )
    );

    for malformed in [r#"{"statement": "#, "{}", r#"{"statement": 5}"#, "[]"] {
        let (status, body) = server.post_raw("/db/neo4j/query/v2", malformed);
        assert_eq!(status, 400, "{malformed}");
        assert_eq!(
            body["errors"][0]["code"], "Neo.ClientError.Request.Invalid",
            "{malformed}: {body}"
        );
    }
    let (status, body) = server.query(&json!({"statement": "RETURN 1", "accessMode": "BOTH"}));
    assert_eq!(status, 400);
    assert_eq!(
        body,
        error(
            "Neo.ClientError.Request.Invalid",
            "accessMode `BOTH`: use READ or WRITE"
        )
    );
    let (status, body) = server.query(&json!({"statement": "RETURN $x", "parameters": [1]}));
    assert_eq!(status, 400);
    assert_eq!(
        body,
        error(
            "Neo.ClientError.Request.Invalid",
            "`parameters` must be a JSON object of name: value"
        )
    );

    let metrics = ureq::get(&server.url("/metrics"))
        .call()
        .expect("metrics")
        .into_string()
        .expect("body");
    assert!(
        metrics.contains(
            "caregraph_http_requests_total{route=\"/db/{database}/query/v2\",status=\"400\"} 9"
        ),
        "{metrics}"
    );
    assert!(
        metrics.contains(
            "caregraph_http_requests_total{route=\"/db/{database}/query/v2\",status=\"404\"} 1"
        ),
        "{metrics}"
    );
}

#[test]
fn explain_and_profile_return_plans() {
    let server = start(None);
    let (status, body) = server.query(&json!({
        "statement": "EXPLAIN MATCH (n:Patient) RETURN n.name AS name"
    }));
    assert_eq!(status, 202, "{body}");
    assert_eq!(body["data"], json!({"fields": ["name"], "values": []}));
    let plan = &body["queryPlan"];
    assert!(plan["operatorType"].is_string(), "{body}");
    assert!(plan.get("records").is_none(), "EXPLAIN runs nothing");

    let (status, body) = server.query(&json!({
        "statement": "PROFILE MATCH (n:Patient) RETURN n.name AS name ORDER BY name"
    }));
    assert_eq!(status, 202, "{body}");
    assert_eq!(body["data"]["values"], json!([["Ann"], ["Bob"]]));
    let plan = &body["profiledQueryPlan"];
    assert_eq!(plan["records"], 2, "{plan}");
    assert!(
        plan["children"].as_array().is_some_and(|c| c.len() == 1),
        "{plan}"
    );
}

/// A query that matches 3^20 (3.5 billion) rows on the three seeded nodes:
/// far longer than any test should wait, while holding nothing in memory.
/// (MATCH checks the clock and the cancel flag as it goes.)
const SLOW_READ: &str = "MATCH (a), (b), (c), (d), (e), (f), (g), (h), (i), (j), \
                         (k), (l), (m), (n), (o), (p), (q), (r), (s), (t) \
                         WHERE a.id + t.id = 'never' RETURN count(*) AS n";

#[test]
fn the_time_limit_stops_long_queries() {
    let server = start(Some(Duration::from_millis(300)));
    let started = Instant::now();
    let (status, body) = server.query(&json!({"statement": SLOW_READ}));
    assert_eq!(status, 400, "{body}");
    assert_eq!(
        body["errors"][0]["code"],
        "Neo.ClientError.Transaction.TransactionTimedOut"
    );
    assert!(started.elapsed() < Duration::from_secs(20));
}

#[test]
fn a_client_that_goes_away_cancels_its_query() {
    let server = start(Some(Duration::from_secs(60)));
    // A writing query holds the store's single writer while it runs.
    let slow_write = SLOW_READ.replace("RETURN count(*) AS n", "CREATE (:Never)");
    let gone = ureq::AgentBuilder::new()
        .timeout(Duration::from_millis(500))
        .build()
        .post(&server.url("/db/neo4j/query/v2"))
        .set("Content-Type", "application/json")
        .send_string(&json!({ "statement": slow_write }).to_string());
    assert!(gone.is_err(), "the client gives up first");
    let started = Instant::now();
    let (status, body) = server.query(&json!({"statement": "CREATE (n:After) RETURN 1 AS one"}));
    assert_eq!(status, 202, "{body}");
    assert!(
        started.elapsed() < Duration::from_secs(15),
        "the next write waited {:?}: the abandoned query kept running",
        started.elapsed()
    );
    assert_eq!(server.db.snapshot().node_count(), 4);
    let metrics = ureq::get(&server.url("/metrics"))
        .call()
        .expect("metrics")
        .into_string()
        .expect("body");
    assert!(
        metrics.contains(
            "caregraph_http_requests_total{route=\"/db/{database}/query/v2\",status=\"499\"} 1"
        ),
        "{metrics}"
    );
}
