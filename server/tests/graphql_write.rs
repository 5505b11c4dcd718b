//! GraphQL mutations, subscriptions and limits over HTTP and websocket.

mod graphql_common;

use std::time::Duration;

use graphql_common::{next_message, sample_db, shared, start, subscribe};
use serde_json::json;
use server::graphql::Limits;

#[test]
fn mutations_then_reads() {
    let server = start(sample_db(), Limits::default());
    let created = server.data(
        r#"mutation { createPatient(input: {id: "gql-p1", name: "Ada Test", gender: "female", birthDate: "1990-02-03"}) { id name birthDate } }"#,
        &json!({}),
    );
    assert_eq!(
        created["createPatient"],
        json!({"id": "gql-p1", "name": "Ada Test", "birthDate": "1990-02-03"})
    );
    let (code, message) = server.error_code(
        r#"mutation { createPatient(input: {id: "gql-p1"}) { id } }"#,
        &json!({}),
    );
    assert_eq!(
        (code.as_str(), message.as_str()),
        ("CONFLICT", "Patient `gql-p1` already exists")
    );
    let (code, _) = server.error_code(
        r#"mutation { createPatient(input: {name: "no key"}) { id } }"#,
        &json!({}),
    );
    assert_eq!(code, "BAD_USER_INPUT");
    let (code, _) = server.error_code(
        r#"mutation { createPatient(input: {id: "x", birthDate: "yesterday"}) { id } }"#,
        &json!({}),
    );
    assert_eq!(code, "BAD_USER_INPUT");

    // The read cache is keyed by graph version: a change is seen at once.
    let name_query = r#"{ patient(id: "gql-p1") { name } }"#;
    assert_eq!(
        server.data(name_query, &json!({}))["patient"]["name"],
        "Ada Test"
    );
    assert_eq!(
        server.data(name_query, &json!({}))["patient"]["name"],
        "Ada Test"
    );
    let updated = server.data(
        r#"mutation { updatePatient(id: "gql-p1", input: {name: "Ada Lovelace", gender: null}) { name gender birthDate } }"#,
        &json!({}),
    );
    assert_eq!(
        updated["updatePatient"],
        json!({"name": "Ada Lovelace", "gender": null, "birthDate": "1990-02-03"})
    );
    let (code, _) = server.error_code(
        r#"mutation { updatePatient(id: "nobody", input: {name: "x"}) { id } }"#,
        &json!({}),
    );
    assert_eq!(code, "NOT_FOUND");

    // prescribe: all references must resolve, or nothing is written.
    let refs = server.cypher(
        "MATCH (rx:Prescription)-[:PRESCRIBED_BY]->(pr:Practitioner), (rx)-[:OF_MEDICATION]->(m:Medication), (rx)-[:TREATS]->(c:Condition) \
         RETURN pr.id, m.code, c.code, m.display LIMIT 1",
        &json!({}),
    );
    let (practitioner, medication, condition, display) =
        (&refs[0][0], &refs[0][1], &refs[0][2], &refs[0][3]);
    let before = server.cypher_count("MATCH (rx:Prescription) RETURN count(rx)", &json!({}));
    let (code, message) = server.error_code(
        "mutation($m: ID!, $pr: ID!) { prescribe(patientId: \"gql-p1\", medicationCode: $m, practitionerId: $pr, reasonCode: \"no-such-code\") { id } }",
        &json!({"m": medication, "pr": practitioner}),
    );
    assert_eq!(code, "NOT_FOUND");
    assert!(message.contains("Condition `no-such-code`"), "{message}");
    assert_eq!(
        server.cypher_count("MATCH (rx:Prescription) RETURN count(rx)", &json!({})),
        before,
        "nothing written"
    );
    let rx = server.data(
        "mutation($m: ID!, $pr: ID!, $c: ID) { prescribe(patientId: \"gql-p1\", medicationCode: $m, practitionerId: $pr, reasonCode: $c, authoredOn: \"2026-01-02T03:04:05Z\") { id authoredOn status intent medication { display } prescriber { id } reasons { edges { node { code } } } } }",
        &json!({"m": medication, "pr": practitioner, "c": condition}),
    );
    let rx = &rx["prescribe"];
    assert_eq!(rx["medication"]["display"], *display);
    assert_eq!(rx["prescriber"]["id"], *practitioner);
    assert_eq!(rx["reasons"]["edges"][0]["node"]["code"], *condition);
    assert_eq!(
        (rx["status"].as_str(), rx["intent"].as_str()),
        (Some("active"), Some("order"))
    );
    let read = server.data(
        r#"{ patient(id: "gql-p1") { name prescriptions { totalCount edges { node { id } } } } }"#,
        &json!({}),
    );
    assert_eq!(
        read["patient"]["prescriptions"]["edges"][0]["node"]["id"],
        rx["id"]
    );

    let deleted = server.data(
        r#"mutation { deletePatient(id: "gql-p1") { nodesDeleted relationshipsDeleted } }"#,
        &json!({}),
    );
    assert_eq!(
        deleted["deletePatient"],
        json!({"nodesDeleted": 1, "relationshipsDeleted": 1})
    );
    assert!(server.data(r#"{ patient(id: "gql-p1") { id } }"#, &json!({}))["patient"].is_null());
    let (code, _) = server.error_code(
        r#"mutation { deletePatient(id: "gql-p1") { nodesDeleted } }"#,
        &json!({}),
    );
    assert_eq!(code, "NOT_FOUND");

    // Practitioners and organizations have the same mutations.
    server.data(r#"mutation { createOrganization(input: {id: "org-x", name: "Clinic X"}) { id } createPractitioner(input: {id: "pr-x", name: "Dr X", npi: "999"}) { npi } }"#, &json!({}));
    let renamed = server.data(r#"mutation { updateOrganization(id: "org-x", input: {name: "Clinic Y"}) { name } deletePractitioner(id: "pr-x") { nodesDeleted } }"#, &json!({}));
    assert_eq!(renamed["updateOrganization"]["name"], "Clinic Y");
    assert_eq!(renamed["deletePractitioner"]["nodesDeleted"], 1);
}

#[test]
fn ingest_fhir_runs_the_loader_and_reports() {
    let server = start(sample_db(), Limits::default());
    let bundle = json!({
        "resourceType": "Bundle", "type": "transaction",
        "entry": [
            {"fullUrl": "urn:uuid:pt-new", "resource": {"resourceType": "Patient", "id": "pt-new",
              "name": [{"use": "official", "given": ["Grace"], "family": "Hopper"}], "gender": "female", "birthDate": "1906-12-09"}},
            {"resource": {"resourceType": "Patient", "gender": "female"}}
        ]
    });
    let data = server.data(
        "mutation($b: JSON!) { ingestFhir(bundle: $b) { recordsRead recordsLoaded recordsRejected nodesCreated rejections { location reason } } }",
        &json!({"b": bundle}),
    );
    let report = &data["ingestFhir"];
    assert_eq!(report["recordsRead"], 2);
    assert_eq!(report["recordsLoaded"], 1);
    assert_eq!(report["recordsRejected"], 1);
    let location = report["rejections"][0]["location"].as_str().unwrap_or("");
    assert!(
        location.contains("entry 1") && location.contains("Patient.id"),
        "{report}"
    );
    let read = server.data(
        r#"{ patient(id: "pt-new") { name birthDate } }"#,
        &json!({}),
    );
    assert_eq!(
        read["patient"],
        json!({"name": "Grace Hopper", "birthDate": "1906-12-09"})
    );
}

/// A graphql-transport-ws client over a websocket.
#[test]
fn a_subscription_receives_new_prescriptions_for_its_patient() {
    let server = start(sample_db(), Limits::default());
    let refs = server.cypher(
        "MATCH (p:Patient)-[:HAS_PRESCRIPTION]->(rx)-[:PRESCRIBED_BY]->(pr:Practitioner), (rx)-[:OF_MEDICATION]->(m) RETURN p.id, pr.id, m.code LIMIT 1",
        &json!({}),
    );
    let (patient, practitioner, medication) = (&refs[0][0], &refs[0][1], &refs[0][2]);
    let mut socket = subscribe(
        server.running.addr,
        None,
        &format!("subscription {{ prescriptionCreated(patientId: {patient}) {{ id patientId prescription {{ medication {{ code }} patient {{ id }} }} }} }}"),
    );
    // Give the server a moment to register the subscription.
    std::thread::sleep(Duration::from_millis(300));
    // A prescription for another patient is filtered out; one for ours
    // arrives, whichever door it comes through (here Cypher, then GraphQL).
    server.cypher(
        "MATCH (p:Patient) WHERE p.id <> $id WITH p LIMIT 1 CREATE (p)-[:HAS_PRESCRIPTION]->(:Prescription {id: 'other-rx'})",
        &json!({"id": patient}),
    );
    let made = server.data(
        "mutation($p: ID!, $m: ID!, $pr: ID!) { prescribe(patientId: $p, medicationCode: $m, practitionerId: $pr, id: \"sub-rx-1\") { id } }",
        &json!({"p": patient, "m": medication, "pr": practitioner}),
    );
    assert_eq!(made["prescribe"]["id"], "sub-rx-1");
    let event = next_message(&mut socket);
    assert_eq!(event["type"], "next", "{event}");
    let payload = &event["payload"]["data"]["prescriptionCreated"];
    assert_eq!(payload["id"], "sub-rx-1");
    assert_eq!(payload["patientId"], *patient);
    assert_eq!(payload["prescription"]["medication"]["code"], *medication);
    assert_eq!(payload["prescription"]["patient"]["id"], *patient);
    let _ = socket.close(None);
}

#[test]
fn every_limit_trips_with_its_error() {
    let server = shared();
    let limits = Limits::default();
    let (code, message) = server.error_code("{ patients(first: 500) { totalCount } }", &json!({}));
    assert_eq!(code, "BAD_USER_INPUT");
    assert!(
        message.contains(&format!("largest page size, {}", limits.max_page_size)),
        "{message}"
    );
    let (code, _) = server.error_code("{ patients(first: 1, last: 1) { totalCount } }", &json!({}));
    assert_eq!(code, "BAD_USER_INPUT");
    let (code, _) = server.error_code(
        r#"{ patients(after: "bm90IGEgY3Vyc29y") { totalCount } }"#,
        &json!({}),
    );
    assert_eq!(code, "BAD_USER_INPUT");
    // Deep: follow relationships back and forth.
    let mut deep = String::from("id");
    for _ in 0..3 {
        deep = format!("city {{ patients(first: 1) {{ edges {{ node {{ {deep} }} }} }} }}");
    }
    let (code, message) = server.error_code(
        &format!("{{ patients(first: 1) {{ edges {{ node {{ {deep} }} }} }} }}"),
        &json!({}),
    );
    assert_eq!(code, "QUERY_TOO_DEEP", "{message}");
    // Deeper than the parser's own recursion limit: the same code.
    let mut deeper = String::from("id");
    for _ in 0..12 {
        deeper = format!("city {{ patients(first: 1) {{ edges {{ node {{ {deeper} }} }} }} }}");
    }
    let (code, message) = server.error_code(
        &format!("{{ patients(first: 1) {{ edges {{ node {{ {deeper} }} }} }} }}"),
        &json!({}),
    );
    assert_eq!(code, "QUERY_TOO_DEEP", "{message}");
    // A document that does not parse or validate says so.
    assert_eq!(
        server.error_code("{ patients(first: 1) { ", &json!({})).0,
        "GRAPHQL_PARSE_FAILED"
    );
    assert_eq!(
        server
            .error_code("{ patients { nosuchfield } }", &json!({}))
            .0,
        "GRAPHQL_VALIDATION_FAILED"
    );
    // Wide: page sizes multiply (variables count too).
    let (code, message) = server.error_code(
        "query($n: Int) { patients(first: $n) { edges { node { conditions(first: $n) { edges { node { patients(first: $n) { edges { node { id name } } } } } } } } } }",
        &json!({"n": 50}),
    );
    assert_eq!(code, "QUERY_TOO_COMPLEX", "{message}");
    // Time: a server whose requests must finish at once.
    let hurried = start(
        graphql_common::sample_db(),
        Limits {
            timeout: Duration::from_nanos(1),
            ..Limits::default()
        },
    );
    let (code, _) = hurried.error_code("{ claimsAggregate { count total { sum } } }", &json!({}));
    assert_eq!(code, "TIMEOUT");
}

#[test]
fn an_abusive_query_is_refused_before_it_runs_and_others_are_answered() {
    let server = shared();
    let abusive = {
        let mut q = String::from("id");
        for _ in 0..5 {
            q = format!("city {{ patients(first: 100) {{ edges {{ node {{ {q} }} }} }} }}");
        }
        format!("{{ patients(first: 100) {{ edges {{ node {{ {q} }} }} }} }}")
    };
    let handles: Vec<_> = (0..4)
        .map(|_| {
            let abusive = abusive.clone();
            std::thread::spawn(move || shared().error_code(&abusive, &json!({})).0)
        })
        .collect();
    // Meanwhile, ordinary requests are answered.
    for _ in 0..5 {
        let data = server.data("{ patientsAggregate { count } }", &json!({}));
        assert!(data["patientsAggregate"]["count"].as_i64() > Some(0));
        let health = ureq::get(&server.url("/health")).call().expect("health");
        assert_eq!(health.status(), 200);
    }
    for handle in handles {
        let code = handle.join().expect("thread");
        assert!(
            code == "QUERY_TOO_DEEP" || code == "QUERY_TOO_COMPLEX",
            "{code}"
        );
    }
    let metrics = ureq::get(&server.url("/metrics"))
        .call()
        .expect("metrics")
        .into_string()
        .expect("text");
    assert!(metrics.contains("caregraph_graphql_requests_total{outcome=\"error\"}"));
}
