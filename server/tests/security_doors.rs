//! The security suite that tries to get in, through every door at once:
//! a clinician of organization A tries to read and write a patient of
//! another organization through GraphQL, Cypher over HTTP and Bolt; an
//! analyst tries to see who anyone is; every successful patient read is in
//! the audit log, and the log verifies.
//!
//! One in-process server over the bundled sample, with the enforcing
//! configuration `serve` runs (HS256 tokens, audit log in a data
//! directory, one pseudonym key for HTTP and Bolt).

mod auth_support;
mod bolt_support;
mod cli_support;
mod graphql_common;

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use auth_support::{bearer, claims, sign};
use bolt_support::{map, msg, s, Client};
use cypher::{CypherValue, Params, QueryOptions};
use graph_model::Database;
use serde_json::{json, Value as Json};
use server::audit::AuditLog;
use server::bolt::packstream::PackValue;
use server::bolt::{BoltSettings, RunningBolt};
use server::graphql::Limits;
use server::http::{spawn_full, AppState, QuerySettings, RunningServer};
use server::security::{PolicyBuilder, PseudonymKey};
use std::fmt::Write as _;

/// The server, the facts the attempts are about, and the tokens.
struct World {
    http: RunningServer,
    bolt: RunningBolt,
    data_dir: tempfile::TempDir,
    /// A patient seen at organization A (the clinician's).
    patient_a: String,
    /// A patient never seen at A, and strings only that patient's records
    /// hold (id, name, ssn, an encounter id, a prescription id).
    patient_b: String,
    name_b: String,
    secrets_b: Vec<String>,
    /// Patients the clinician may see, and all patients.
    scope_count: i64,
    total_count: i64,
    clinician: String,
    analyst: String,
    key: PseudonymKey,
    db: Database,
}

fn admin_rows(db: &Database, query: &str, params: &[(&str, &str)]) -> Vec<Vec<CypherValue>> {
    let mut p = Params::new();
    for (k, v) in params {
        p.insert((*k).to_owned(), CypherValue::String((*v).into()));
    }
    cypher::execute(db, query, &p, &QueryOptions::default())
        .unwrap_or_else(|e| panic!("{query}: {e}"))
        .rows
}

fn text(v: &CypherValue) -> String {
    v.as_str().map(str::to_owned).unwrap_or_default()
}

fn world() -> &'static World {
    static WORLD: OnceLock<World> = OnceLock::new();
    WORLD.get_or_init(|| {
        let db = graphql_common::sample_db();
        let busiest = admin_rows(
            &db,
            "MATCH (o:Organization)<-[:AT_ORGANIZATION]-()<-[:HAD_ENCOUNTER]-(p:Patient)
             RETURN o.id AS org, count(DISTINCT p) AS n ORDER BY n DESC, org LIMIT 1",
            &[],
        );
        let org_a = text(&busiest[0][0]);
        let in_scope =
            "EXISTS { (p)-[:HAD_ENCOUNTER]->()-[:AT_ORGANIZATION]->(:Organization {id: $a}) }
             OR EXISTS { (p)-[:HAS_CLAIM]->()-[:BILLED_BY]->(:Organization {id: $a}) }
             OR EXISTS { (p)-[:REGISTERED_AT]->(:Organization {id: $a}) }";
        let scope_count = admin_rows(
            &db,
            &format!("MATCH (p:Patient) WHERE {in_scope} RETURN count(p)"),
            &[("a", &org_a)],
        )[0][0]
            .as_integer()
            .expect("count");
        let total_count = admin_rows(&db, "MATCH (p:Patient) RETURN count(p)", &[])[0][0]
            .as_integer()
            .expect("count");
        let patient_a = text(
            &admin_rows(
                &db,
                &format!("MATCH (p:Patient) WHERE {in_scope} RETURN p.id ORDER BY p.id LIMIT 1"),
                &[("a", &org_a)],
            )[0][0],
        );
        let b = admin_rows(
            &db,
            &format!(
                "MATCH (p:Patient)-[:HAD_ENCOUNTER]->(e), (p)-[:HAS_PRESCRIPTION]->(rx)
                 WHERE NOT ({in_scope}) AND p.ssn IS NOT NULL
                 RETURN p.id, p.name, p.ssn, e.id, rx.id ORDER BY p.id LIMIT 1"
            ),
            &[("a", &org_a)],
        );
        let secrets_b: Vec<String> = b[0].iter().map(text).collect();
        let clinician = sign(&{
            let mut c = claims("dr-a", "clinician");
            c["orgs"] = json!([org_a]);
            c
        });
        let analyst = sign(&claims("ana", "analyst"));
        let data_dir = tempfile::tempdir().expect("dir");
        let key = PseudonymKey::random();
        let policies = PolicyBuilder::new(key.clone());
        let audit = Arc::new(AuditLog::open(data_dir.path()).expect("audit log"));
        let auth = auth_support::enforcing(0);
        let mut state = AppState::new(db.clone(), Some(data_dir.path().to_owned()), auth.clone());
        state.audit = audit.clone();
        state.policies = policies.clone();
        let http = spawn_full(
            state,
            QuerySettings::default(),
            Limits::default(),
            "127.0.0.1:0".parse().expect("addr"),
            2,
        )
        .expect("http");
        let bolt = bolt_support::start_with(
            &db,
            BoltSettings {
                authenticator: auth,
                policies,
                audit,
                ..BoltSettings::default()
            },
        );
        World {
            http,
            bolt,
            data_dir,
            patient_a,
            patient_b: secrets_b[0].clone(),
            name_b: secrets_b[1].clone(),
            secrets_b,
            scope_count,
            total_count,
            clinician,
            analyst,
            key,
            db,
        }
    })
}

fn post(token: &str, path: &str, body: &Json) -> (u16, String) {
    let w = world();
    let response = ureq::post(&format!("http://{}{path}", w.http.addr))
        .timeout(Duration::from_secs(60))
        .set("Authorization", &bearer(token))
        .set("Content-Type", "application/json")
        .send_string(&body.to_string());
    let response = match response {
        Ok(r) | Err(ureq::Error::Status(_, r)) => r,
        Err(e) => panic!("POST {path}: {e}"),
    };
    (response.status(), response.into_string().expect("body"))
}

fn cypher_http(token: &str, statement: &str, params: &Json) -> (u16, String) {
    post(
        token,
        "/db/neo4j/query/v2",
        &json!({"statement": statement, "parameters": params}),
    )
}

fn graphql(token: &str, query: &str, variables: &Json) -> (u16, String) {
    post(
        token,
        "/graphql",
        &json!({"query": query, "variables": variables}),
    )
}

/// Runs `statement` over Bolt 5 with a bearer token: whether RUN
/// succeeded, and everything the server answered (records, summaries,
/// failures), as text.
fn bolt_run(token: &str, statement: &str, params: &[(&str, &str)]) -> (bool, String) {
    let w = world();
    let mut client = Client::v5_bearer(w.bolt.addr, token);
    let params: Vec<(&str, PackValue)> = params.iter().map(|(k, v)| (*k, s(v))).collect();
    let run = client.request(&msg(0x10, vec![s(statement), map(&params), map(&[])]));
    let mut out = format!("{run:?}");
    let ok = run.tag == 0x70;
    if ok {
        client.send(&msg(0x3F, vec![map(&[("n", PackValue::Integer(-1))])]));
        loop {
            let r = client.recv();
            let _ = write!(out, "{r:?}");
            if r.tag != 0x71 {
                break;
            }
        }
    }
    (ok, out)
}

fn bolt(token: &str, statement: &str, params: &[(&str, &str)]) -> String {
    bolt_run(token, statement, params).1
}

fn assert_hides(answer: &str, secrets: &[String], what: &str) {
    for secret in secrets {
        assert!(
            !answer.contains(secret.as_str()),
            "{what} shows {secret:?}: {}",
            &answer[..answer.len().min(2000)]
        );
    }
}

/// The Cypher attempts of a clinician of A on the patient of B.
fn cypher_attempts() -> Vec<(&'static str, &'static str)> {
    vec![
        ("by id", "MATCH (p:Patient {id: $b}) RETURN p"),
        ("by id, WHERE", "MATCH (p:Patient) WHERE p.id = $b RETURN p.name, p.ssn"),
        ("list", "MATCH (p:Patient) RETURN p.id, p.name, p.ssn"),
        ("filter", "MATCH (p:Patient) WHERE p.name = $bname RETURN p"),
        ("aggregate", "MATCH (p:Patient) RETURN count(p) AS n, collect(p.id) AS ids"),
        (
            "2-hop",
            "MATCH (p:Patient {id: $a})-[:HAS_CONDITION]->(c)<-[:HAS_CONDITION]-(q:Patient) RETURN q.id, q.name",
        ),
        (
            "variable-length path",
            "MATCH path = (p:Patient {id: $a})-[*1..2]-(x) RETURN path, x",
        ),
        ("properties()", "MATCH (e:Encounter) RETURN properties(e) AS e"),
        (
            "collect()",
            "MATCH (rx:Prescription)-[:OF_MEDICATION]->(m) RETURN m.code, collect(rx.id) AS rxs",
        ),
        (
            "by id of a record",
            "MATCH (e:Encounter {id: $benc})<-[:HAD_ENCOUNTER]-(p) RETURN e, p",
        ),
    ]
}

#[test]
fn a_clinician_of_a_sees_nothing_of_b_through_cypher_http_and_bolt() {
    let w = world();
    assert!(w.scope_count > 0 && w.scope_count < w.total_count);
    let params =
        json!({"a": w.patient_a, "b": w.patient_b, "bname": w.name_b, "benc": w.secrets_b[3]});
    let bolt_params = [
        ("a", w.patient_a.as_str()),
        ("b", w.patient_b.as_str()),
        ("bname", w.name_b.as_str()),
        ("benc", w.secrets_b[3].as_str()),
    ];
    // The control: an administrator finds every secret of B's patient.
    let admin = auth_support::admin_token();
    let (_, body) = cypher_http(
        &admin,
        "MATCH (p:Patient {id: $b})-[:HAD_ENCOUNTER]->(e:Encounter {id: $benc}), (p)-[:HAS_PRESCRIPTION]->(rx) RETURN p, e, collect(rx.id)",
        &params,
    );
    for secret in &w.secrets_b {
        assert!(
            body.contains(secret.as_str()),
            "control: {secret} not found in {body}"
        );
    }
    for (what, statement) in cypher_attempts() {
        let (status, body) = cypher_http(&w.clinician, statement, &params);
        assert_eq!(status, 202, "{what}: {body}");
        assert_hides(&body, &w.secrets_b, &format!("Cypher HTTP, {what}"));
        let (ok, answer) = bolt_run(&w.clinician, statement, &bolt_params);
        assert!(ok, "{what}: {answer}");
        assert_hides(&answer, &w.secrets_b, &format!("Bolt, {what}"));
    }
    // Counts are the scope's, through both doors.
    let (_, body) = cypher_http(
        &w.clinician,
        "MATCH (p:Patient) RETURN count(p) AS n",
        &json!({}),
    );
    let counted: Json = serde_json::from_str(&body).expect("json");
    assert_eq!(
        counted["data"]["values"][0][0],
        json!(w.scope_count),
        "{body}"
    );
    let answer = bolt(&w.clinician, "MATCH (p:Patient) RETURN count(p) AS n", &[]);
    assert!(
        answer.contains(&format!("Integer({})", w.scope_count)),
        "{answer}"
    );
    // The clinic's own patient is all there.
    let (_, body) = cypher_http(
        &w.clinician,
        "MATCH (p:Patient {id: $a}) RETURN p.id AS id",
        &params,
    );
    assert!(body.contains(&w.patient_a), "{body}");
}

#[test]
fn a_clinician_of_a_cannot_write_to_b() {
    let w = world();
    let params = json!({"b": w.patient_b});
    let (status, body) = cypher_http(
        &w.clinician,
        "MATCH (p:Patient {id: $b}) SET p.name = 'changed' RETURN count(p) AS n",
        &params,
    );
    assert_eq!(status, 202, "{body}");
    assert!(body.contains("[[0]]") || body.contains("[0]"), "{body}");
    let (status, body) = cypher_http(
        &w.clinician,
        "CREATE (p:Patient {id: 'outside-scope-http'}) RETURN p.id",
        &json!({}),
    );
    assert_eq!(status, 403, "{body}");
    assert!(
        body.contains("Neo.ClientError.Security.Forbidden"),
        "{body}"
    );
    let answer = bolt(
        &w.clinician,
        "CREATE (p:Patient {id: 'outside-scope-bolt'}) RETURN p.id",
        &[],
    );
    assert!(
        answer.contains("Neo.ClientError.Security.Forbidden"),
        "{answer}"
    );
    let (_, body) = graphql(
        &w.clinician,
        "mutation($id: ID!) { updatePatient(id: $id, input: {gender: \"x\"}) { id } }",
        &json!({"id": w.patient_b}),
    );
    assert!(body.contains("NOT_FOUND"), "{body}");
    // Nothing of it was written.
    let rows = admin_rows(
        &w.db,
        "MATCH (p:Patient) WHERE p.id STARTS WITH 'outside-scope' OR p.name = 'changed' OR (p.id = $b AND p.gender = 'x') RETURN count(p)",
        &[("b", &w.patient_b)],
    );
    assert_eq!(rows[0][0], CypherValue::Integer(0));
    // FHIR ingestion is for administrators.
    let (status, _) = post(
        &w.clinician,
        "/fhir",
        &json!({"resourceType": "Bundle", "type": "batch", "entry": []}),
    );
    assert_eq!(status, 403);
}

#[test]
fn a_clinician_of_a_sees_nothing_of_b_through_graphql() {
    let w = world();
    let vars = json!({"a": w.patient_a, "b": w.patient_b, "bname": w.name_b});
    let attempts = [
        ("by id", "query($b: ID!) { patient(id: $b) { id name ssn } }"),
        ("list", "{ patients(first: 100) { totalCount edges { node { id name ssn } } } }"),
        (
            "filter",
            "query($bname: String!) { patients(filter: {name: {eq: $bname}}) { totalCount edges { node { id } } } }",
        ),
        ("aggregate", "{ patientsAggregate { count } }"),
        (
            "2-hop",
            "query($a: ID!) { patient(id: $a) { conditions(first: 50) { edges { node { display patients(first: 100) { totalCount edges { node { id name } } } } } } } }",
        ),
        (
            "records",
            "{ encounters(first: 100) { totalCount edges { node { id } } } prescriptions(first: 100) { edges { node { id } } } }",
        ),
        ("similar patients", "query($a: ID!) { similarPatients(patientId: $a, k: 50) { patient { id name } } }"),
    ];
    for (what, query) in attempts {
        let (status, body) = graphql(&w.clinician, query, &vars);
        assert_eq!(status, 200, "{what}: {body}");
        assert_hides(&body, &w.secrets_b, &format!("GraphQL, {what}"));
    }
    let (_, body) = graphql(&w.clinician, "{ patientsAggregate { count } }", &json!({}));
    assert!(
        body.contains(&format!("\"count\":{}", w.scope_count)),
        "{body}"
    );
    // The evidence of A's patient's recommendations names no patient (it is
    // counted paths), so nothing of B's.
    let vars_a = json!({"a": w.patient_a});
    let mut answer = String::new();
    for _ in 0..600 {
        let (_, body) = graphql(
            &w.clinician,
            "query($a: ID!) { recommendMedications(patientId: $a, k: 10) { medication { code } evidence { text } } }",
            &vars_a,
        );
        answer = body;
        if !answer.contains("UNAVAILABLE") {
            break;
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    assert!(answer.contains("evidence"), "{answer}");
    assert_hides(&answer, &w.secrets_b, "GraphQL, recommendation evidence");
    // Recommendations for B's patient: as if B's patient did not exist.
    let (_, body) = graphql(
        &w.clinician,
        "query($b: ID!) { recommendMedications(patientId: $b) { score evidence { text } } }",
        &vars,
    );
    assert!(body.contains("NOT_FOUND"), "{body}");
    assert_hides(&body, &w.secrets_b[1..], "GraphQL, recommendations");
    // CDS Hooks too.
    let (status, body) = post(
        &w.clinician,
        "/cds-services/caregraph-medication-suggestions",
        &json!({"hook": "patient-view", "hookInstance": "h1", "context": {"userId": "Practitioner/x", "patientId": w.patient_b}}),
    );
    assert_eq!(status, 412, "{body}");
}

#[test]
fn an_analyst_never_sees_who_anyone_is() {
    let w = world();
    let secrets = admin_rows(
        &w.db,
        "MATCH (p:Patient) RETURN p.name, p.ssn, p.mrn, toString(p.birthDate), toString(p.latitude) LIMIT 20",
        &[],
    );
    let secrets: Vec<String> = secrets
        .iter()
        .flatten()
        .map(text)
        .filter(|s| s.len() > 3)
        .collect();
    assert!(secrets.len() > 20, "{secrets:?}");
    let statements = [
        "MATCH (p:Patient) RETURN p LIMIT 20",
        "MATCH (p:Patient) RETURN p.name, p.ssn, p.mrn, p.birthDate, p.latitude LIMIT 20",
        "MATCH (p:Patient) RETURN p {.*} AS m LIMIT 20",
        "MATCH (p:Patient) RETURN properties(p) AS m, keys(p) AS k LIMIT 20",
        "MATCH (p:Patient) RETURN 'x' + p.name + p.ssn + toString(p.birthDate) AS s LIMIT 20",
        "MATCH (p:Patient) RETURN collect(p) AS everyone, collect(p.name) AS names",
        "MATCH (p:Patient) WITH collect(p) AS ps UNWIND ps AS x RETURN x, x.name",
        "MATCH (p:Patient)-[r]-(x) RETURN p, r, x LIMIT 200",
    ];
    // The control: an administrator sees them.
    let (_, body) = cypher_http(
        &auth_support::admin_token(),
        "MATCH (p:Patient) RETURN p LIMIT 20",
        &json!({}),
    );
    assert!(
        secrets.iter().any(|s| body.contains(s.as_str())),
        "control: {body}"
    );
    for statement in statements {
        let (status, body) = cypher_http(&w.analyst, statement, &json!({}));
        assert_eq!(status, 202, "{statement}: {body}");
        assert_hides(
            &body,
            &secrets,
            &format!("Cypher HTTP analyst `{statement}`"),
        );
        let answer = bolt(&w.analyst, statement, &[]);
        assert_hides(&answer, &secrets, &format!("Bolt analyst `{statement}`"));
        assert!(
            !answer.contains(&w.patient_b),
            "Bolt analyst sees a patient id"
        );
    }
    // Aggregates run on all of the data.
    let (_, body) = cypher_http(
        &w.analyst,
        "MATCH (p:Patient) RETURN count(p) AS n",
        &json!({}),
    );
    assert!(body.contains(&format!("[[{}]]", w.total_count)), "{body}");
    // GraphQL: names are gone, ids are pseudonyms that still find the patient.
    let pseudonym = w.key.pseudonym(&w.patient_b);
    let (_, body) = graphql(
        &w.analyst,
        "query($p: ID!) { patient(id: $p) { id name ssn mrn gender birthDate postalCode latitude } patients(first: 100) { edges { node { id name ssn birthDate } } } }",
        &json!({"p": pseudonym}),
    );
    assert_hides(&body, &secrets, "GraphQL analyst");
    assert_hides(&body, &w.secrets_b, "GraphQL analyst");
    assert!(body.contains(&pseudonym), "{body}");
    assert!(!body.contains("\"errors\""), "{body}");
    // No writes.
    let (status, body) = cypher_http(
        &w.analyst,
        "CREATE (:Patient {id: 'analyst-made'})",
        &json!({}),
    );
    assert_eq!(status, 400, "{body}");
    assert!(body.contains("AccessMode"), "{body}");
    let answer = bolt(&w.analyst, "MATCH (p:Patient) SET p.name = 'x'", &[]);
    assert!(answer.contains("AccessMode"), "{answer}");
}

/// The audit records `caregraph audit show --json` lists for `filter`
/// (e.g. `["--patient", id]`).
fn audit_records(filter: &[&str]) -> Vec<Json> {
    let w = world();
    let dir = cli_support::path_arg(w.data_dir.path());
    let mut args = vec!["audit", "show", "--data-dir", dir.as_str(), "--json"];
    args.extend_from_slice(filter);
    let shown = cli_support::run(w.data_dir.path(), &args);
    assert!(
        shown.status.success(),
        "{}",
        cli_support::text(&shown.stderr)
    );
    match serde_json::from_slice(&shown.stdout).expect("json") {
        Json::Array(records) => records,
        other => panic!("not a list of records: {other}"),
    }
}

#[test]
fn patient_reads_are_audited_and_the_log_verifies() {
    let w = world();
    let marker = format!("audit_marker_{}", std::process::id());
    let params = json!({"a": w.patient_a});
    let statement = format!("MATCH (p:Patient {{id: $a}}) RETURN p.name AS `{marker}`");
    let (status, _) = cypher_http(&w.clinician, &statement, &params);
    assert_eq!(status, 202);
    let _ = bolt(&w.clinician, &statement, &[("a", w.patient_a.as_str())]);
    let (_, body) = graphql(
        &w.clinician,
        &format!("query {marker}($a: ID!) {{ patient(id: $a) {{ name }} }}"),
        &params,
    );
    assert!(body.contains("name"), "{body}");
    // Give the background fsync its 100 ms; records are in the file already.
    std::thread::sleep(Duration::from_millis(300));
    let records = audit_records(&["--patient", &w.patient_a]);
    let ours: Vec<&Json> = records
        .iter()
        .filter(|r| r["operation"].as_str().is_some_and(|o| o.contains(&marker)))
        .collect();
    let doors: Vec<&str> = ours.iter().filter_map(|r| r["door"].as_str()).collect();
    for door in ["cypherhttp", "bolt", "graphql"] {
        assert!(doors.contains(&door), "no {door} record: {ours:?}");
    }
    assert!(ours
        .iter()
        .all(|r| r["sub"] == "dr-a" && r["role"] == "clinician"));
    // B's patient was never read, so no record names them.
    let records_b = audit_records(&["--patient", &w.patient_b]);
    assert!(
        records_b.iter().all(|r| r["sub"] != "dr-a"),
        "{records_b:?}"
    );
    // A FHIR load is recorded too (who, when, how many records).
    let bundle = json!({"resourceType": "Bundle", "type": "batch", "entry": [
        {"resource": {"resourceType": "Organization", "id": "audit-org", "name": "Audit Org"}}
    ]});
    let (status, body) = post(&auth_support::admin_token(), "/fhir", &bundle);
    assert_eq!(status, 200, "{body}");
    let loads = audit_records(&["--subject", "test-admin"]);
    assert!(
        loads.iter().any(|r| r["door"] == "fhir"
            && r["operation"]
                .as_str()
                .is_some_and(|o| o.contains("1 records loaded"))),
        "{loads:?}"
    );
    let dir = cli_support::path_arg(w.data_dir.path());
    let verified = cli_support::run(w.data_dir.path(), &["audit", "verify", "--data-dir", &dir]);
    assert!(
        verified.status.success(),
        "{}{}",
        cli_support::text(&verified.stdout),
        cli_support::text(&verified.stderr)
    );
}

#[test]
fn a_subscription_delivers_only_the_clinics_patients_and_each_delivery_is_audited() {
    let w = world();
    let mut socket = graphql_common::subscribe(
        w.http.addr,
        Some(json!({"Authorization": bearer(&w.clinician)})),
        "subscription { prescriptionCreated { id patientId } }",
    );
    std::thread::sleep(Duration::from_millis(300));
    let admin = auth_support::admin_token();
    let create =
        "MATCH (p:Patient {id: $p}) CREATE (p)-[:HAS_PRESCRIPTION]->(:Prescription {id: $rx})";
    let (status, body) = cypher_http(&admin, create, &json!({"p": w.patient_b, "rx": "sec-rx-b"}));
    assert_eq!(status, 202, "{body}");
    let (status, body) = cypher_http(&admin, create, &json!({"p": w.patient_a, "rx": "sec-rx-a"}));
    assert_eq!(status, 202, "{body}");
    // B's prescription never arrives; A's does.
    let event = graphql_common::next_message(&mut socket);
    assert_eq!(event["type"], "next", "{event}");
    let payload = &event["payload"]["data"]["prescriptionCreated"];
    assert_eq!(payload["id"], "sec-rx-a", "{event}");
    assert_eq!(payload["patientId"], json!(w.patient_a));
    let _ = socket.close(None);
    // The delivery is in the audit log.
    let records = audit_records(&["--patient", &w.patient_a]);
    assert!(
        records.iter().any(|r| r["sub"] == "dr-a"
            && r["operation"]
                .as_str()
                .is_some_and(|o| o.contains("subscription") && o.contains("sec-rx-a"))),
        "{records:?}"
    );
}
