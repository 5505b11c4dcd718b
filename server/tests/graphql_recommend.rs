//! `recommendMedications` and `similarPatients` through GraphQL: safety
//! rules hold, evidence is there, and a new prescription changes the next
//! answer at once.

mod graphql_common;

use std::time::{Duration, Instant};

use graphql_common::{sample_db, start, Server};
use serde_json::{json, Value as Json};
use server::graphql::Limits;

const RECOMMEND: &str = "query($id: ID!, $m: RecommendationMethod) { recommendMedications(patientId: $id, k: 10, method: $m) { score medication { code display } evidence { text } interactions { severity } } }";

/// Waits for the recommender built in the background.
fn ready(server: &Server, patient: &Json) {
    let deadline = Instant::now() + Duration::from_secs(600);
    loop {
        let answer = server.graphql(RECOMMEND, &json!({"id": patient}));
        match answer["errors"][0]["extensions"]["code"].as_str() {
            None => return,
            Some("UNAVAILABLE") if Instant::now() < deadline => {
                std::thread::sleep(Duration::from_millis(500));
            }
            Some(code) => panic!("recommendMedications failed with {code}: {answer}"),
        }
    }
}

fn codes(answer: &Json) -> Vec<String> {
    answer["recommendMedications"]
        .as_array()
        .expect("a list")
        .iter()
        .filter_map(|r| r["medication"]["code"].as_str().map(str::to_owned))
        .collect()
}

#[test]
fn recommendations_are_safe_explained_and_fresh() {
    let server = start(sample_db(), Limits::default());
    let rows = server.cypher(
        "MATCH (p:Patient)-[:HAS_PRESCRIPTION]->(:Prescription)-[:PRESCRIBED_BY]->(pr:Practitioner) \
         WITH p, pr, COUNT { (p)-[:HAS_CONDITION]->() } AS conditions ORDER BY conditions DESC, p.id LIMIT 1 RETURN p.id, pr.id",
        &json!({}),
    );
    let (patient, practitioner) = (rows[0][0].clone(), rows[0][1].clone());
    ready(&server, &patient);

    let had: Vec<String> = server
        .cypher(
            "MATCH (:Patient {id: $id})-[:HAS_PRESCRIPTION]->()-[:OF_MEDICATION]->(m) RETURN DISTINCT m.code",
            &json!({"id": patient}),
        )
        .iter()
        .filter_map(|r| r[0].as_str().map(str::to_owned))
        .collect();
    for method in [
        "POPULARITY",
        "ITEM_KNN",
        "RP3BETA",
        "EASE",
        "PPR",
        "SIMILARITY",
        "HYBRID",
    ] {
        let answer = server.data(RECOMMEND, &json!({"id": patient, "m": method}));
        let suggested = codes(&answer);
        assert!(!suggested.is_empty(), "{method} suggests something");
        for code in &suggested {
            assert!(
                !had.contains(code),
                "{method} suggested {code}, which the patient already had"
            );
        }
        for item in answer["recommendMedications"].as_array().expect("list") {
            assert!(
                item["medication"]["display"].is_string(),
                "the medication node is resolved"
            );
            assert!(item["score"].is_number());
        }
    }
    let answer = server.data(RECOMMEND, &json!({"id": patient, "m": "PPR"}));
    let evidence: Vec<&str> = answer["recommendMedications"]
        .as_array()
        .expect("list")
        .iter()
        .flat_map(|r| r["evidence"].as_array().into_iter().flatten())
        .filter_map(|e| e["text"].as_str())
        .collect();
    assert!(
        !evidence.is_empty(),
        "suggestions come with evidence: {answer}"
    );

    // Prescribe the top suggestion: the next answer no longer suggests it.
    let top = codes(&answer)[0].clone();
    server.data(
        "mutation($p: ID!, $m: ID!, $pr: ID!) { prescribe(patientId: $p, medicationCode: $m, practitionerId: $pr) { id } }",
        &json!({"p": patient, "m": top, "pr": practitioner}),
    );
    let after = server.data(RECOMMEND, &json!({"id": patient, "m": "PPR"}));
    assert!(
        !codes(&after).contains(&top),
        "{top} was just prescribed; still suggested: {after}"
    );

    // Similar patients, and errors.
    let similar = server.data(
        "query($id: ID!) { similarPatients(patientId: $id, k: 5) { similarity sharedConditionCodes patient { id name } } }",
        &json!({"id": patient}),
    );
    let list = similar["similarPatients"].as_array().expect("list");
    assert!(!list.is_empty());
    for s in list {
        assert_ne!(s["patient"]["id"], patient, "not the patient itself");
        assert!(s["similarity"]
            .as_f64()
            .is_some_and(|x| x > 0.0 && x <= 1.0 + 1e-6));
    }
    let (code, _) = server.error_code(RECOMMEND, &json!({"id": "no-such-patient"}));
    assert_eq!(code, "NOT_FOUND");
    let (code, _) = server.error_code(
        "query($id: ID!) { recommendMedications(patientId: $id, k: 1000) { score } }",
        &json!({"id": patient}),
    );
    assert_eq!(code, "BAD_USER_INPUT");
}
