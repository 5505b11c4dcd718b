//! GraphQL reads over HTTP against a server on the Synthea sample: every
//! entry point, pagination, filters, sorts and aggregates, each checked
//! against Cypher on the same server.

mod graphql_common;

use std::collections::HashSet;

use graphql_common::shared;
use serde_json::{json, Value as Json};
use server::graphql::model::LABELS;

#[test]
fn every_entry_point_answers_and_counts_match_cypher() {
    let server = shared();
    for label in LABELS {
        let key = label.key;
        let query = format!(
            "{{ list: {many}(first: 1) {{ totalCount edges {{ node {{ {key} }} }} }} agg: {many}Aggregate {{ count }} }}",
            many = label.many
        );
        let data = server.data(&query, &json!({}));
        let count = server.cypher_count(
            &format!("MATCH (n:`{}`) RETURN count(n)", label.name),
            &json!({}),
        );
        assert_eq!(data["agg"]["count"].as_i64(), Some(count), "{}", label.name);
        assert_eq!(
            data["list"]["totalCount"].as_i64(),
            Some(count),
            "{}",
            label.name
        );
        assert!(count > 0, "the sample has {} nodes", label.name);
        let first = data["list"]["edges"][0]["node"][key].clone();
        let one = server.data(
            &format!(
                "query($k: ID!) {{ node: {}({key}: $k) {{ {key} }} }}",
                label.one
            ),
            &json!({"k": first}),
        );
        assert_eq!(one["node"][key], first, "{} by key", label.name);
        let missing = server.data(
            &format!(
                "{{ node: {}({key}: \"no such key\") {{ {key} }} }}",
                label.one
            ),
            &json!({}),
        );
        assert!(
            missing["node"].is_null(),
            "{} by an unknown key is null",
            label.name
        );
    }
}

fn page_ids(server: &graphql_common::Server, query: &str, variables: &Json) -> (Vec<String>, Json) {
    let data = server.data(query, variables);
    let connection = data["patients"].clone();
    let ids = connection["edges"]
        .as_array()
        .map(|edges| {
            edges
                .iter()
                .map(|e| e["node"]["id"].as_str().unwrap_or("").to_owned())
                .collect()
        })
        .unwrap_or_default();
    (ids, connection["pageInfo"].clone())
}

#[test]
fn paging_forward_and_backward_loses_and_repeats_nothing() {
    let server = shared();
    let total = server.cypher_count("MATCH (p:Patient) RETURN count(p)", &json!({})) as usize;
    for sort in [json!(null), json!([{"birthDate": "DESC"}, {"name": "ASC"}])] {
        let forward = "query($after: String, $sort: [PatientSort!]) { patients(first: 7, after: $after, sort: $sort) { edges { node { id } } pageInfo { hasNextPage hasPreviousPage endCursor } } }";
        let mut seen = Vec::new();
        let mut after = Json::Null;
        let mut pages = 0;
        loop {
            let (ids, info) = page_ids(server, forward, &json!({"after": after, "sort": sort}));
            assert_eq!(info["hasPreviousPage"], json!(pages > 0));
            seen.extend(ids);
            pages += 1;
            if info["hasNextPage"] != json!(true) {
                break;
            }
            after = info["endCursor"].clone();
            assert!(pages < 100, "paging ends");
        }
        assert_eq!(seen.len(), total, "every patient once (sort {sort})");
        assert_eq!(
            seen.iter().collect::<HashSet<_>>().len(),
            total,
            "no repeats"
        );
        assert_eq!(pages, total.div_ceil(7));

        // Backward from the end gives the same list.
        let backward = "query($before: String, $sort: [PatientSort!]) { patients(last: 9, before: $before, sort: $sort) { edges { node { id } } pageInfo { hasPreviousPage startCursor } } }";
        let mut back: Vec<String> = Vec::new();
        let mut before = Json::Null;
        loop {
            let (mut ids, info) =
                page_ids(server, backward, &json!({"before": before, "sort": sort}));
            ids.extend(back);
            back = ids;
            if info["hasPreviousPage"] != json!(true) {
                break;
            }
            before = info["startCursor"].clone();
        }
        assert_eq!(back, seen, "backward paging matches forward (sort {sort})");
    }
    // Sorted pages are in order.
    let data = server.data(
        "{ patients(first: 100, sort: [{birthDate: DESC}]) { edges { node { birthDate } } } }",
        &json!({}),
    );
    let dates: Vec<&str> = data["patients"]["edges"]
        .as_array()
        .expect("edges")
        .iter()
        .filter_map(|e| e["node"]["birthDate"].as_str())
        .collect();
    assert!(
        dates.windows(2).all(|w| w[0] >= w[1]),
        "birth dates descend"
    );
}

#[test]
fn each_filter_agrees_with_cypher() {
    let server = shared();
    let cases: &[(&str, &str)] = &[
        (r#"{gender: {eq: "female"}}"#, "p.gender = 'female'"),
        (r#"{gender: {ne: "female"}}"#, "p.gender <> 'female'"),
        (r#"{race: {in: ["white", "asian"]}}"#, "p.race IN ['white', 'asian']"),
        (r#"{race: {notIn: ["white"]}}"#, "NOT p.race IN ['white']"),
        (r#"{birthDate: {lt: "1960-01-01"}}"#, "p.birthDate < date('1960-01-01')"),
        (r#"{birthDate: {lte: "1960-01-01", gt: "1940-06-30"}}"#, "p.birthDate <= date('1960-01-01') AND p.birthDate > date('1940-06-30')"),
        (r"{latitude: {gte: 37.5}}", "p.latitude >= 37.5"),
        (r#"{name: {contains: "an"}}"#, "p.name CONTAINS 'an'"),
        (r#"{name: {startsWith: "A"}}"#, "p.name STARTS WITH 'A'"),
        (r#"{name: {endsWith: "7"}}"#, "p.name ENDS WITH '7'"),
        (r"{deathDate: {isNull: false}}", "p.deathDate IS NOT NULL"),
        (r#"{OR: [{gender: {eq: "male"}}, {birthDate: {gt: "2000-01-01"}}]}"#, "p.gender = 'male' OR p.birthDate > date('2000-01-01')"),
        (r#"{AND: [{gender: {eq: "male"}}, {NOT: {race: {eq: "white"}}}]}"#, "p.gender = 'male' AND NOT p.race = 'white'"),
        (r#"{conditions: {some: {node: {display: {contains: "Diabetes"}}}}}"#, "EXISTS { (p)-[:HAS_CONDITION]->(c:Condition) WHERE c.display CONTAINS 'Diabetes' }"),
        (r#"{conditions: {some: {edge: {status: {eq: "active"}}, node: {display: {contains: "sinusitis"}}}}}"#, "EXISTS { (p)-[r:HAS_CONDITION]->(c:Condition) WHERE r.status = 'active' AND c.display CONTAINS 'sinusitis' }"),
        (r"{allergies: {none: {}}}", "NOT EXISTS { (p)-[:ALLERGIC_TO]->(:Substance) }"),
        (r"{claims: {all: {node: {total: {lt: 1000}}}}}", "NOT EXISTS { (p)-[:HAS_CLAIM]->(c:Claim) WHERE NOT coalesce(c.total < 1000, false) }"),
        (r#"{city: {some: {node: {inState: {some: {node: {code: {eq: "KS"}}}}}}}}"#, "EXISTS { (p)-[:LIVES_IN]->(:City)-[:IN_STATE]->(:State {code: 'KS'}) }"),
    ];
    for (filter, condition) in cases {
        let data = server.data(
            &format!("{{ patients(filter: {filter}) {{ totalCount }} }}"),
            &json!({}),
        );
        let expected = server.cypher_count(
            &format!("MATCH (p:Patient) WHERE {condition} RETURN count(p)"),
            &json!({}),
        );
        assert_eq!(
            data["patients"]["totalCount"].as_i64(),
            Some(expected),
            "filter {filter}"
        );
    }
    // A nested connection's filter and edge filter.
    let data = server.data(
        r#"{ patients(first: 100) { edges { node { id conditions(edgeFilter: {status: {eq: "active"}}) { totalCount } } } } }"#,
        &json!({}),
    );
    for edge in data["patients"]["edges"].as_array().expect("edges") {
        let expected = server.cypher_count(
            "MATCH (p:Patient {id: $id})-[r:HAS_CONDITION]->() WHERE r.status = 'active' RETURN count(r)",
            &json!({"id": edge["node"]["id"]}),
        );
        assert_eq!(
            edge["node"]["conditions"]["totalCount"].as_i64(),
            Some(expected)
        );
    }
}

#[test]
fn sorting_by_a_relationship_count_orders_by_that_count() {
    let server = shared();
    let data = server.data(
        "{ patients(first: 20, sort: [{conditionsCount: DESC}]) { edges { node { conditionsAggregate { count } } } } }",
        &json!({}),
    );
    let counts: Vec<i64> = data["patients"]["edges"]
        .as_array()
        .expect("edges")
        .iter()
        .filter_map(|e| e["node"]["conditionsAggregate"]["count"].as_i64())
        .collect();
    assert_eq!(counts.len(), 20);
    assert!(counts.windows(2).all(|w| w[0] >= w[1]), "{counts:?}");
    let most = server.cypher_count(
        "MATCH (p:Patient) RETURN max(COUNT { (p)-[:HAS_CONDITION]->() })",
        &json!({}),
    );
    assert_eq!(counts[0], most);
}

#[test]
fn aggregates_agree_with_cypher() {
    let server = shared();
    // Claims total per payer.
    let data = server.data(
        "{ payers(first: 100) { edges { node { name claimsAggregate { count total { sum avg min max } } } } } }",
        &json!({}),
    );
    let rows = server.cypher(
        "MATCH (p:Payer)<-[:PAID_BY]-(c:Claim) RETURN p.name, count(c), sum(c.total), min(c.total), max(c.total)",
        &json!({}),
    );
    assert!(!rows.is_empty());
    for row in rows {
        let node = data["payers"]["edges"]
            .as_array()
            .expect("edges")
            .iter()
            .find(|e| e["node"]["name"] == row[0])
            .unwrap_or_else(|| panic!("payer {}", row[0]));
        let aggregate = &node["node"]["claimsAggregate"];
        assert_eq!(aggregate["count"], row[1]);
        let close = |a: &Json, b: &Json| {
            (a.as_f64().unwrap_or(f64::NAN) - b.as_f64().unwrap_or(0.0)).abs() < 1e-6
        };
        assert!(
            close(&aggregate["total"]["sum"], &row[2]),
            "{aggregate} vs {row:?}"
        );
        assert!(close(&aggregate["total"]["min"], &row[3]));
        assert!(close(&aggregate["total"]["max"], &row[4]));
    }
    // Prescriptions per medication in a date range.
    let data = server.data(
        r#"{ medications(first: 100, sort: [{prescriptionsCount: DESC}]) { edges { node { code prescriptionsAggregate(filter: {authoredOn: {gte: "2015-01-01T00:00:00Z", lt: "2020-01-01T00:00:00Z"}}) { count authoredOn { min max } } } } } }"#,
        &json!({}),
    );
    for edge in data["medications"]["edges"].as_array().expect("edges") {
        let expected = server.cypher_count(
            "MATCH (m:Medication {code: $code})<-[:OF_MEDICATION]-(rx:Prescription) \
             WHERE rx.authoredOn >= datetime('2015-01-01T00:00:00Z') AND rx.authoredOn < datetime('2020-01-01T00:00:00Z') RETURN count(rx)",
            &json!({"code": edge["node"]["code"]}),
        );
        assert_eq!(
            edge["node"]["prescriptionsAggregate"]["count"].as_i64(),
            Some(expected)
        );
    }
    // Patients per state (two hops).
    let data = server.data(
        "{ states(first: 100) { edges { node { code patientsAggregate { count } patients { totalCount } } } } }",
        &json!({}),
    );
    for edge in data["states"]["edges"].as_array().expect("edges") {
        let expected = server.cypher_count(
            "MATCH (:State {code: $code})<-[:IN_STATE]-(:City)<-[:LIVES_IN]-(p:Patient) RETURN count(DISTINCT p)",
            &json!({"code": edge["node"]["code"]}),
        );
        assert_eq!(
            edge["node"]["patientsAggregate"]["count"].as_i64(),
            Some(expected)
        );
        assert_eq!(
            edge["node"]["patients"]["totalCount"].as_i64(),
            Some(expected)
        );
    }
}

#[test]
fn relationship_fields_in_both_directions_and_edge_properties() {
    let server = shared();
    let id = server.cypher(
        "MATCH (p:Patient)-[r:HAS_CONDITION]->() RETURN p.id ORDER BY p.id LIMIT 1",
        &json!({}),
    )[0][0]
        .clone();
    let data = server.data(
        "query($id: ID!) { patient(id: $id) { name city { name patients { totalCount } } conditions(first: 100, edgeSort: [{onset: ASC}]) { totalCount edges { onset status node { code patients(first: 1) { totalCount } } } } prescriptions(first: 3) { edges { node { medication { display prescriptions { totalCount } } } } } } }",
        &json!({"id": id}),
    );
    let patient = &data["patient"];
    let edges = patient["conditions"]["edges"].as_array().expect("edges");
    assert_eq!(
        Some(edges.len() as i64),
        patient["conditions"]["totalCount"].as_i64()
    );
    let onsets: Vec<&str> = edges.iter().filter_map(|e| e["onset"].as_str()).collect();
    let rows = server.cypher(
        "MATCH (:Patient {id: $id})-[r:HAS_CONDITION]->() RETURN r.onset ORDER BY r.onset",
        &json!({"id": id}),
    );
    let expected: Vec<&str> = rows.iter().filter_map(|r| r[0].as_str()).collect();
    assert_eq!(onsets, expected, "edge property onset, sorted");
    assert!(edges[0]["node"]["patients"]["totalCount"].as_i64() >= Some(1));
}

#[test]
fn graphiql_and_the_sdl() {
    let server = shared();
    let html = ureq::get(&server.url("/graphql"))
        .call()
        .expect("GET /graphql")
        .into_string()
        .expect("html");
    assert!(html.contains("graphiql"), "GraphiQL page");
    let sdl = std::process::Command::new(env!("CARGO_BIN_EXE_caregraph"))
        .arg("schema")
        .output()
        .expect("caregraph schema");
    let sdl = String::from_utf8_lossy(&sdl.stdout);
    for needle in [
        "type Patient {",
        "): PatientConnection!",
        "input PatientFilter {",
        "A person receiving care",
        "prescribe(",
        "prescriptionCreated(",
    ] {
        assert!(sdl.contains(needle), "the SDL has `{needle}`");
    }
}
