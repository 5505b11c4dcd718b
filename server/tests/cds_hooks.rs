//! CDS Hooks over HTTP on the bundled sample: discovery, `patient-view`
//! suggestions with evidence, `order-select` checks of drafted orders
//! against allergies and active medications, and the error answers.

mod graphql_common;

use std::time::{Duration, Instant};

use graphql_common::{sample_db, start, Server};
use serde_json::{json, Value as Json};
use server::graphql::Limits;

const RXNORM: &str = "http://www.nlm.nih.gov/research/umls/rxnorm";
const SUGGESTIONS: &str = "caregraph-medication-suggestions";
const ORDER_CHECK: &str = "caregraph-order-check";

/// Status and JSON body of a request.
fn send(server: &Server, method: &str, path: &str, body: Option<&str>) -> (u16, Json) {
    let request = ureq::request(method, &server.url(path)).timeout(Duration::from_secs(120));
    let response = match body {
        Some(body) => request
            .set("Content-Type", "application/json")
            .send_string(body),
        None => request.call(),
    };
    let response = match response {
        Ok(r) | Err(ureq::Error::Status(_, r)) => r,
        Err(e) => panic!("{method} {path}: {e}"),
    };
    let status = response.status();
    let text = response.into_string().expect("body");
    let json = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}: {text}"));
    (status, json)
}

fn call(server: &Server, service: &str, body: &Json) -> (u16, Json) {
    send(
        server,
        "POST",
        &format!("/cds-services/{service}"),
        Some(&body.to_string()),
    )
}

fn patient_view(patient: &str) -> Json {
    json!({
        "hook": "patient-view",
        "hookInstance": "d1577c69-dfbe-44ad-ba6d-3e05e953b2ea",
        "context": {"userId": "Practitioner/example", "patientId": patient},
    })
}

fn draft(id: &str, code: &str, display: &str) -> Json {
    json!({
        "resourceType": "MedicationRequest",
        "id": id,
        "status": "draft",
        "intent": "order",
        "medicationCodeableConcept": {"coding": [{"system": RXNORM, "code": code, "display": display}], "text": display},
    })
}

fn order_select(patient: &str, drafts: &[Json], selections: Option<&[&str]>) -> Json {
    let mut context = json!({
        "userId": "Practitioner/example",
        "patientId": patient,
        "draftOrders": {"resourceType": "Bundle", "type": "collection",
                        "entry": drafts.iter().map(|d| json!({"resource": d})).collect::<Vec<_>>()},
    });
    if let Some(selections) = selections {
        context["selections"] = json!(selections);
    }
    json!({"hook": "order-select", "hookInstance": "a2b3c4d5-0000-4000-8000-000000000001", "context": context})
}

/// Two patients of our own: one allergic to penicillin, one on warfarin
/// and nitroglycerin.
fn extra_patients() -> Json {
    let patient = |id: &str| {
        json!({"fullUrl": format!("urn:uuid:{id}"), "resource": {
            "resourceType": "Patient", "id": id, "gender": "female", "birthDate": "1970-03-04",
            "name": [{"family": "Hooks", "given": [id]}]}})
    };
    let active = |id: &str, patient: &str, code: &str, display: &str| {
        json!({"resource": {"resourceType": "MedicationRequest", "id": id, "status": "active", "intent": "order",
            "authoredOn": "2024-01-10T09:00:00Z",
            "subject": {"reference": format!("Patient/{patient}")},
            "medicationCodeableConcept": {"coding": [{"system": RXNORM, "code": code, "display": display}]}}})
    };
    json!({"resourceType": "Bundle", "type": "collection", "entry": [
        patient("cds-allergic"),
        {"resource": {"resourceType": "AllergyIntolerance", "id": "cds-allergy-1",
            "patient": {"reference": "Patient/cds-allergic"}, "criticality": "high",
            "recordedDate": "2020-05-06",
            "code": {"coding": [{"system": RXNORM, "code": "7984", "display": "Penicillin V"}]}}},
        patient("cds-anticoagulated"),
        active("cds-rx-1", "cds-anticoagulated", "855332", "Warfarin Sodium 5 MG Oral Tablet"),
        active("cds-rx-2", "cds-anticoagulated", "198039", "Nitroglycerin 0.4 MG Sublingual Tablet"),
    ]})
}

/// Waits for the recommender the server builds in the background.
fn ready(server: &Server, patient: &str) -> Json {
    let deadline = Instant::now() + Duration::from_secs(600);
    loop {
        let (status, body) = call(server, SUGGESTIONS, &patient_view(patient));
        match status {
            200 => return body,
            503 if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(500)),
            _ => panic!("patient-view answered {status}: {body}"),
        }
    }
}

fn indicators(answer: &Json) -> Vec<String> {
    answer["cards"]
        .as_array()
        .expect("cards")
        .iter()
        .map(|c| c["indicator"].as_str().expect("indicator").to_owned())
        .collect()
}

fn assert_card_shape(card: &Json) {
    let summary = card["summary"].as_str().expect("summary");
    assert!(
        !summary.is_empty() && summary.chars().count() < 140,
        "{summary}"
    );
    assert!(card["detail"].is_string());
    assert!(card["uuid"].as_str().is_some_and(|u| u.len() == 36));
    assert!(card["source"]["label"].is_string());
    assert!(matches!(
        card["indicator"].as_str(),
        Some("info" | "warning" | "critical")
    ));
}

fn error_path(answer: &Json) -> &str {
    answer["error"]["path"].as_str().unwrap_or("")
}

#[test]
fn cds_hooks_discovery_suggestions_order_checks_and_errors() {
    let server = start(sample_db(), Limits::default());

    // Discovery.
    let (status, discovery) = send(&server, "GET", "/cds-services", None);
    assert_eq!(status, 200);
    let services = discovery["services"].as_array().expect("services");
    let hook_of = |id: &str| {
        services
            .iter()
            .find(|s| s["id"] == id)
            .unwrap_or_else(|| panic!("{id} listed: {discovery}"))["hook"]
            .clone()
    };
    assert_eq!(hook_of(SUGGESTIONS), "patient-view");
    assert_eq!(hook_of(ORDER_CHECK), "order-select");
    for s in services {
        assert!(s["title"].is_string() && s["description"].is_string());
    }

    // patient-view: a sample patient with conditions and prescriptions.
    let rows = server.cypher(
        "MATCH (p:Patient)-[:HAS_PRESCRIPTION]->() WITH p, count(*) AS rx, COUNT { (p)-[:HAS_CONDITION]->() } AS conditions \
         ORDER BY conditions DESC, p.id LIMIT 1 RETURN p.id",
        &json!({}),
    );
    let patient = rows[0][0].as_str().expect("a patient id").to_owned();
    let answer = ready(&server, &patient);
    let cards = answer["cards"].as_array().expect("cards");
    assert!(!cards.is_empty(), "suggestions for {patient}: {answer}");
    for card in cards {
        assert_card_shape(card);
        assert_eq!(card["indicator"], "info");
        let detail = card["detail"].as_str().expect("detail");
        assert!(
            detail.contains("\n- "),
            "the evidence lines are in the detail: {detail}"
        );
        let action = &card["suggestions"][0]["actions"][0];
        assert_eq!(action["type"], "create");
        assert_eq!(action["resource"]["resourceType"], "MedicationRequest");
        assert_eq!(
            action["resource"]["subject"]["reference"],
            format!("Patient/{patient}")
        );
    }

    // Our own patients, sent through POST /fhir while the server runs.
    let response = ureq::post(&server.url("/fhir"))
        .set("Content-Type", "application/fhir+json")
        .send_string(&extra_patients().to_string())
        .expect("the extra patients load");
    assert_eq!(response.status(), 200);

    // order-select: amoxicillin for a patient allergic to penicillin.
    let amoxicillin = draft("draft-1", "308182", "Amoxicillin 250 MG Oral Capsule");
    let (status, answer) = call(
        &server,
        ORDER_CHECK,
        &order_select("cds-allergic", std::slice::from_ref(&amoxicillin), None),
    );
    assert_eq!(status, 200, "{answer}");
    assert_eq!(indicators(&answer), ["critical"], "{answer}");
    let card = &answer["cards"][0];
    assert_card_shape(card);
    assert!(
        card["summary"]
            .as_str()
            .expect("summary")
            .contains("Penicillin V"),
        "{card}"
    );
    assert_eq!(
        card["suggestions"][0]["actions"][0],
        json!({"type": "delete", "description": "Remove the draft MedicationRequest/draft-1", "resourceId": "MedicationRequest/draft-1"})
    );

    // A clean order: no card.
    let acetaminophen = draft("draft-2", "313782", "Acetaminophen 325 MG Oral Tablet");
    let (status, answer) = call(
        &server,
        ORDER_CHECK,
        &order_select("cds-allergic", std::slice::from_ref(&acetaminophen), None),
    );
    assert_eq!(status, 200);
    assert_eq!(answer, json!({"cards": []}));

    // selections: only the selected order is checked.
    let both = [amoxicillin.clone(), acetaminophen.clone()];
    let (_, answer) = call(
        &server,
        ORDER_CHECK,
        &order_select("cds-allergic", &both, Some(&["MedicationRequest/draft-2"])),
    );
    assert_eq!(answer, json!({"cards": []}), "only draft-2 was selected");
    let (_, answer) = call(
        &server,
        ORDER_CHECK,
        &order_select("cds-allergic", &both, None),
    );
    assert_eq!(indicators(&answer), ["critical"]);

    // Interactions with active medications: ibuprofen with warfarin is
    // major (warning), sildenafil with nitroglycerin contraindicated
    // (critical).
    let (_, answer) = call(
        &server,
        ORDER_CHECK,
        &order_select(
            "cds-anticoagulated",
            &[draft("draft-3", "310965", "Ibuprofen 200 MG Oral Tablet")],
            None,
        ),
    );
    assert_eq!(indicators(&answer), ["warning"], "{answer}");
    assert!(answer["cards"][0]["detail"]
        .as_str()
        .expect("detail")
        .contains("Warfarin"));
    let (_, answer) = call(
        &server,
        ORDER_CHECK,
        &order_select(
            "cds-anticoagulated",
            &[draft("draft-4", "312950", "Sildenafil 20 MG Oral Tablet")],
            None,
        ),
    );
    assert_eq!(indicators(&answer), ["critical"], "{answer}");
    // The same drug again: a duplicate.
    let (_, answer) = call(
        &server,
        ORDER_CHECK,
        &order_select(
            "cds-anticoagulated",
            &[draft(
                "draft-5",
                "855332",
                "Warfarin Sodium 5 MG Oral Tablet",
            )],
            None,
        ),
    );
    assert!(
        indicators(&answer).contains(&"warning".to_owned())
            && answer["cards"]
                .as_array()
                .expect("cards")
                .iter()
                .any(|c| c["summary"]
                    .as_str()
                    .is_some_and(|s| s.contains("Duplicate"))),
        "{answer}"
    );
    // A code neither the graph nor the order names: an info card says it
    // was not checked.
    let unnamed = json!({"resourceType": "MedicationRequest", "id": "draft-6", "status": "draft", "intent": "order",
        "medicationCodeableConcept": {"coding": [{"system": RXNORM, "code": "99999999"}]}});
    let (_, answer) = call(
        &server,
        ORDER_CHECK,
        &order_select("cds-allergic", &[unnamed], None),
    );
    assert_eq!(indicators(&answer), ["info"], "{answer}");

    // Errors.
    let (status, answer) = call(&server, "no-such-service", &patient_view(&patient));
    assert_eq!(status, 404, "{answer}");
    assert_eq!(answer["error"]["code"], "SERVICE_NOT_FOUND");
    let (status, answer) = call(&server, ORDER_CHECK, &patient_view(&patient));
    assert_eq!((status, error_path(&answer)), (400, "hook"), "{answer}");
    let mut no_patient = patient_view(&patient);
    no_patient["context"]
        .as_object_mut()
        .expect("context")
        .remove("patientId");
    let (status, answer) = call(&server, SUGGESTIONS, &no_patient);
    assert_eq!(
        (status, error_path(&answer)),
        (400, "context.patientId"),
        "{answer}"
    );
    let (status, answer) = call(&server, SUGGESTIONS, &patient_view("no-such-patient"));
    assert_eq!(status, 412, "{answer}");
    assert_eq!(answer["error"]["code"], "PATIENT_NOT_FOUND");
    let (status, answer) = call(
        &server,
        ORDER_CHECK,
        &order_select(
            "no-such-patient",
            std::slice::from_ref(&acetaminophen),
            None,
        ),
    );
    assert_eq!(status, 412, "{answer}");
    let malformed = json!({"resourceType": "MedicationRequest", "id": "bad", "status": "draft", "intent": "order",
        "medicationCodeableConcept": {"text": "something"}});
    let (status, answer) = call(
        &server,
        ORDER_CHECK,
        &order_select("cds-allergic", &[acetaminophen.clone(), malformed], None),
    );
    assert_eq!(
        (status, error_path(&answer)),
        (
            400,
            "context.draftOrders.entry[1].resource.medicationCodeableConcept.coding"
        ),
        "{answer}"
    );
    let no_medication = json!({"resourceType": "MedicationRequest", "id": "bad", "status": "draft", "intent": "order"});
    let (status, answer) = call(
        &server,
        ORDER_CHECK,
        &order_select("cds-allergic", &[no_medication], None),
    );
    assert_eq!(
        (status, error_path(&answer)),
        (
            400,
            "context.draftOrders.entry[0].resource.medicationCodeableConcept"
        ),
        "{answer}"
    );
    let mut no_drafts = order_select("cds-allergic", &[], None);
    no_drafts["context"]
        .as_object_mut()
        .expect("context")
        .remove("draftOrders");
    let (status, answer) = call(&server, ORDER_CHECK, &no_drafts);
    assert_eq!(
        (status, error_path(&answer)),
        (400, "context.draftOrders"),
        "{answer}"
    );
    let (status, answer) = send(
        &server,
        "POST",
        &format!("/cds-services/{ORDER_CHECK}"),
        Some("{not json"),
    );
    assert_eq!((status, error_path(&answer)), (400, "$"), "{answer}");
}
