//! `POST /fhir`, `/health` and `/metrics` of an in-process HTTP server.

use std::path::PathBuf;

use graph_model::{Database, Direction, GraphStats, Value};
use serde_json::{json, Value as Json};
use server::http::{spawn, AppState, Metrics, RunningServer};

struct Server {
    running: RunningServer,
    db: Database,
}

impl Server {
    fn start(data_dir: Option<PathBuf>) -> Server {
        let db = Database::in_memory();
        let state = AppState {
            db: db.clone(),
            data_dir,
            metrics: Metrics::default(),
            max_body_bytes: 8 << 20,
            audit: std::sync::Arc::new(server::audit::AuditLog::disabled()),
            policies: server::security::PolicyBuilder::new(server::security::PseudonymKey::random()),
            max_query_bytes: server::settings::DEFAULT_MAX_QUERY_BYTES,
            // In-process embedding: no authentication (the security tests run the
            // enforcing configuration).
            auth: std::sync::Arc::new(server::auth::AuthConfig::disabled()),
        };
        let addr = "127.0.0.1:0".parse().expect("address");
        let running = spawn(state, addr, 1).expect("start the HTTP server");
        Server { running, db }
    }

    fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.running.addr)
    }

    /// Status and body of a POST; a 4xx/5xx is an answer, not a failure.
    fn post(&self, path: &str, content_type: Option<&str>, body: &[u8]) -> (u16, String) {
        let mut request = ureq::post(&self.url(path));
        if let Some(content_type) = content_type {
            request = request.set("Content-Type", content_type);
        }
        answer(request.send_bytes(body))
    }

    fn get(&self, path: &str) -> (u16, String) {
        answer(ureq::get(&self.url(path)).call())
    }
}

fn answer(result: Result<ureq::Response, ureq::Error>) -> (u16, String) {
    let response = match result {
        Ok(response) | Err(ureq::Error::Status(_, response)) => response,
        Err(e) => panic!("request failed: {e}"),
    };
    let status = response.status();
    (status, response.into_string().expect("read response body"))
}

fn parse(body: &str) -> Json {
    serde_json::from_str(body).unwrap_or_else(|e| panic!("response is not JSON ({e}): {body}"))
}

fn bundle() -> Json {
    json!({"resourceType": "Bundle", "type": "transaction", "entry": [
        {"fullUrl": "urn:uuid:h-p1", "resource": {"resourceType": "Patient", "id": "h-p1", "gender": "female",
            "address": [{"city": "Boston", "state": "MA", "country": "US"}]}},
        {"resource": {"resourceType": "Organization", "id": "h-o1", "name": "Harbor Clinic"}},
        {"resource": {"resourceType": "Encounter", "id": "h-e1", "subject": {"reference": "urn:uuid:h-p1"},
            "serviceProvider": {"reference": "Organization/h-o1"}}},
    ]})
}

fn has_node(db: &Database, label: &str, id: &str) -> bool {
    db.snapshot()
        .find_node_by_name(label, "id", &Value::from(id))
        .is_some()
}

#[test]
fn a_bundle_is_loaded_and_answered_with_the_report() {
    let server = Server::start(None);
    let (status, body) = server.post(
        "/fhir",
        Some("application/fhir+json"),
        bundle().to_string().as_bytes(),
    );
    assert_eq!(status, 200, "{body}");
    let report = parse(&body);
    assert_eq!(report["records_read"], 3);
    assert_eq!(report["records_loaded"], 3);
    assert_eq!(report["records_rejected"], 0);
    for resource_type in ["Patient", "Organization", "Encounter"] {
        assert_eq!(
            report["by_type"][resource_type]["loaded"], 1,
            "{resource_type}"
        );
    }
    // Patient, City, State, Country, Organization, Encounter.
    assert_eq!(report["nodes_created"], 6);
    assert_eq!(report["relationships_created"], 5);
    let graph = server.db.snapshot();
    let patient = graph
        .find_node_by_name("Patient", "id", &Value::from("h-p1"))
        .expect("patient loaded");
    let had = graph.rel_type_id("HAD_ENCOUNTER").expect("HAD_ENCOUNTER");
    let encounters: Vec<_> = graph
        .neighbors(patient, Direction::Outgoing, Some(had))
        .map(|n| n.other)
        .collect();
    assert_eq!(
        encounters,
        [graph
            .find_node_by_name("Encounter", "id", &Value::from("h-e1"))
            .expect("encounter")]
    );
}

#[test]
fn ndjson_with_a_bad_line_is_422_with_reasons_and_the_rest_loads() {
    let data_dir = tempfile::tempdir().expect("tempdir");
    let server = Server::start(Some(data_dir.path().to_path_buf()));
    let body = [
        json!({"resourceType": "Patient", "id": "n-p1"}).to_string(),
        json!({"resourceType": "Patient", "id": "n-bad", "birthDate": 5}).to_string(),
        json!({"resourceType": "Encounter", "id": "n-e1", "subject": {"reference": "Patient/n-p1"}}).to_string(),
    ]
    .join("\n");
    let (status, text) = server.post("/fhir", Some("application/fhir+ndjson"), body.as_bytes());
    assert_eq!(status, 422, "{text}");
    let report = parse(&text);
    assert_eq!(
        (
            report["records_loaded"].as_u64(),
            report["records_rejected"].as_u64()
        ),
        (Some(2), Some(1))
    );
    let rejections = report["rejections"].as_array().expect("rejections");
    assert_eq!(rejections.len(), 1, "{rejections:?}");
    let rejection = &rejections[0];
    assert_eq!(rejection["line"], 2);
    assert_eq!(rejection["id"], "n-bad");
    assert_eq!(rejection["path"], "Patient.birthDate");
    assert!(
        rejection["reason"]
            .as_str()
            .is_some_and(|r| r.contains("expected a string")),
        "{rejection}"
    );
    let rejects_file = report["rejects_file"].as_str().expect("rejects file named");
    assert!(
        PathBuf::from(rejects_file).starts_with(data_dir.path()),
        "{rejects_file}"
    );
    let lines = std::fs::read_to_string(rejects_file).expect("read rejects file");
    assert_eq!(lines.lines().count(), 1);
    assert!(has_node(&server.db, "Patient", "n-p1") && has_node(&server.db, "Encounter", "n-e1"));
    assert!(
        !has_node(&server.db, "Patient", "n-bad"),
        "the rejected record was loaded"
    );
}

#[test]
fn an_unsupported_content_type_is_415_and_loads_nothing() {
    let server = Server::start(None);
    let payload = bundle().to_string();
    for content_type in [Some("text/plain"), Some("application/xml"), None] {
        let (status, body) = server.post("/fhir", content_type, payload.as_bytes());
        assert_eq!(status, 415, "{content_type:?}: {body}");
        assert_eq!(parse(&body)["error"]["code"], "UNSUPPORTED_MEDIA_TYPE");
    }
    assert_eq!(server.db.snapshot().node_count(), 0);
}

#[test]
fn health_and_metrics() {
    let server = Server::start(None);
    let (status, body) = server.get("/health");
    assert_eq!((status, parse(&body)), (200, json!({"status": "ok"})));

    let (status, _) = server.post(
        "/fhir",
        Some("application/fhir+json"),
        bundle().to_string().as_bytes(),
    );
    assert_eq!(status, 200);
    let (status, metrics) = server.get("/metrics");
    assert_eq!(status, 200);
    let gauge = |name: &str| -> u64 {
        let line = metrics
            .lines()
            .find(|l| l.split_whitespace().next() == Some(name))
            .unwrap_or_else(|| panic!("{name} missing from:\n{metrics}"));
        line.split_whitespace()
            .nth(1)
            .and_then(|v| v.parse().ok())
            .expect("a number")
    };
    let stats = GraphStats::compute(&server.db.snapshot());
    assert_eq!(gauge("caregraph_nodes_total"), 6, "{metrics}");
    assert_eq!(gauge("caregraph_nodes_total"), stats.total_nodes);
    assert_eq!(gauge("caregraph_relationships_total"), 5);
    assert_eq!(gauge("caregraph_fhir_records_total{outcome=\"loaded\"}"), 3);
    assert_eq!(gauge("caregraph_nodes{label=\"Patient\"}"), 1);
    assert_eq!(
        gauge("caregraph_http_requests_total{route=\"/health\",status=\"200\"}"),
        1
    );
}
