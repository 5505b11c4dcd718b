//! The recommender is rebuilt in the background when the graph changed,
//! and swapped in whole: answers keep coming from the old model until the
//! new one is ready, and an unchanged graph is not rebuilt.

mod graphql_common;

use std::time::{Duration, Instant};

use cypher::{Params, QueryOptions};
use server::graphql::recommend::RecommendService;

fn wait_for(what: &str, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(300);
    while !done() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn a_changed_graph_is_rebuilt_and_swapped_in() {
    let db = graphql_common::sample_db();
    let service = RecommendService::start_rebuilding(db.clone(), Duration::from_millis(200));
    wait_for("the first build", || service.generation() >= 1);
    let patient = cypher::execute(
        &db,
        "MATCH (p:Patient)-[:HAS_PRESCRIPTION]->() RETURN p.id AS id ORDER BY id LIMIT 1",
        &Params::new(),
        &QueryOptions::default(),
    )
    .expect("a patient")
    .rows[0][0]
        .as_str()
        .expect("id")
        .to_owned();
    let before = service
        .recommend(&patient, 5, recommender::Method::Hybrid)
        .expect("recommendations");
    // Nothing changed: no rebuild.
    let built = service.generation();
    std::thread::sleep(Duration::from_millis(800));
    assert_eq!(
        service.generation(),
        built,
        "an unchanged graph was rebuilt"
    );
    // A commit: the next tick rebuilds, and answers keep coming meanwhile.
    cypher::execute(
        &db,
        "MATCH (p:Patient {id: $id}) CREATE (p)-[:HAS_PRESCRIPTION]->(:Prescription {id: 'rebuild-test-rx', authoredOn: datetime()})",
        &[("id".to_owned(), cypher::CypherValue::String(patient.as_str().into()))]
            .into_iter()
            .collect(),
        &QueryOptions::default(),
    )
    .expect("write");
    wait_for("the rebuild", || {
        assert!(service
            .recommend(&patient, 5, recommender::Method::Hybrid)
            .is_ok());
        service.generation() > built
    });
    let after = service
        .recommend(&patient, 5, recommender::Method::Hybrid)
        .expect("recommendations");
    assert_eq!(before.len(), after.len());
}
