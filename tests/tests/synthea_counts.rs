//! Loading each Synthea set gives exactly the counts and properties worked
//! out independently of the loader (`tests/expected/expected_counts.py`).

use std::path::PathBuf;

use chrono::DateTime;
use graph_model::fhir::{load_paths, LoadOptions, LoadReport};
use graph_model::{Database, Direction, GraphState, GraphStats, Value};
use serde_json::Value as Json;
use tests::{bulk_10, ca_86, counts, expected, smart_615};

fn load(paths: &[PathBuf]) -> (Database, LoadReport) {
    let db = Database::in_memory();
    let report = load_paths(&db, paths, LoadOptions::default(), &mut |_| {}).expect("load");
    (db, report)
}

fn json_matches(actual: &Value, expected: &Json) -> bool {
    match (actual, expected) {
        (Value::String(a), Json::String(e)) => a.as_ref() == e,
        (Value::Date(a), Json::String(e)) => a.format("%Y-%m-%d").to_string() == *e,
        (Value::DateTime(a), Json::String(e)) => {
            DateTime::parse_from_rfc3339(e).is_ok_and(|e| e == *a && e.offset() == a.offset())
        }
        (Value::Float(a), Json::Number(e)) => e.as_f64().is_some_and(|e| (a - e).abs() < 1e-9),
        (Value::Integer(a), Json::Number(e)) => e.as_i64() == Some(*a),
        (Value::Boolean(a), Json::Bool(e)) => a == e,
        _ => false,
    }
}

fn check_node_sample(graph: &GraphState, label: &str, key: &str, sample: &Json) {
    let props = sample.get("props").unwrap_or(sample);
    let key_value = props.get(key).and_then(Json::as_str).expect("sample key");
    let node = graph
        .find_node_by_name(label, key, &Value::from(key_value))
        .unwrap_or_else(|| panic!("{label} {key_value} missing"));
    let record = graph.node(node).expect("record");
    let props_obj = props.as_object().expect("object");
    for (name, expected_value) in props_obj {
        if name.starts_with('_') || expected_value.is_object() || expected_value.is_array() {
            continue;
        }
        if label != "Patient"
            && sample.get("props").is_none()
            && name.chars().next().is_some_and(char::is_uppercase)
        {
            continue;
        }
        let actual = graph
            .prop_key_id(name)
            .and_then(|k| record.property(k))
            .unwrap_or_else(|| panic!("{label} {key_value} lacks {name}"));
        assert!(
            json_matches(actual, expected_value),
            "{label} {key_value}.{name}: got {actual}, expected {expected_value}"
        );
    }
    // The graph has no property the independent mapping did not expect.
    let expected_names: Vec<&String> = props_obj.keys().filter(|k| !k.starts_with('_')).collect();
    for (key_id, _) in record.properties().iter() {
        let name = graph.prop_key_name(key_id).to_owned();
        assert!(
            expected_names.contains(&&name),
            "{label} {key_value} has unexpected property {name}"
        );
    }
    // Relationship counts the sample lists (`HAS_CONDITION: 49`, `_ATTENDED_BY_in: 6`).
    for (name, value) in sample.as_object().expect("object") {
        let Some(n) = value.as_u64() else { continue };
        let (rel_name, direction) = match name.trim_start_matches('_').strip_suffix("_in") {
            Some(t) => (t.to_owned(), Direction::Incoming),
            None => (name.trim_start_matches('_').to_owned(), Direction::Outgoing),
        };
        if !rel_name.chars().all(|c| c.is_ascii_uppercase() || c == '_') {
            continue;
        }
        let degree = graph
            .rel_type_id(&rel_name)
            .map_or(0, |t| graph.degree(node, direction, Some(t)));
        assert_eq!(
            degree as u64, n,
            "{label} {key_value}: {rel_name} {direction:?}"
        );
    }
}

fn check_dataset(name: &str, paths: &[PathBuf]) {
    let expected = expected(name).expect("expected file");
    let (db, report) = load(paths);
    let graph = db.snapshot();
    let stats = GraphStats::compute(&graph);
    assert_eq!(
        stats.nodes,
        counts(&expected["nodes"]),
        "{name}: nodes per label"
    );
    assert_eq!(
        stats.relationships,
        counts(&expected["relationships"]),
        "{name}: relationships per type"
    );
    assert_eq!(
        stats.stubs,
        counts(&expected["stubs"]),
        "{name}: stubs per label"
    );
    assert_eq!(
        report.records_read,
        expected["records"]["read"].as_u64().expect("read"),
        "{name}: records read"
    );
    assert_eq!(
        report.records_rejected,
        expected["records"]["rejected"].as_u64().unwrap_or(0),
        "{name}: records rejected"
    );
    for (resource_type, count) in counts(&expected["records"]["by_type"]) {
        assert_eq!(
            report.by_type[&resource_type].loaded, count,
            "{name}: {resource_type} loaded"
        );
    }
    assert_eq!(
        report.unresolved,
        counts(&expected["dropped"]),
        "{name}: dropped relationships"
    );

    let samples = &expected["samples"];
    for patient in samples["Patient"].as_array().into_iter().flatten() {
        check_node_sample(&graph, "Patient", "id", patient);
        let id = patient["props"]["id"].as_str().expect("id");
        let node = graph
            .find_node_by_name("Patient", "id", &Value::from(id))
            .expect("patient");
        let lives_in = graph.rel_type_id("LIVES_IN").expect("LIVES_IN");
        let cities: Vec<String> = graph
            .neighbors(node, Direction::Outgoing, Some(lives_in))
            .filter_map(|n| {
                graph
                    .node_property(n.other, "id")
                    .map(|v| v.as_str().unwrap_or("").to_owned())
            })
            .collect();
        let expected_cities: Vec<String> = patient["LIVES_IN"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|c| c.as_str().map(str::to_owned))
            .collect();
        assert_eq!(cities, expected_cities, "{name}: patient {id} LIVES_IN");
    }
    for (label, key) in [
        ("Practitioner", "id"),
        ("Organization", "id"),
        ("Location", "id"),
    ] {
        if samples[label].is_object() {
            check_node_sample(&graph, label, key, &samples[label]);
        }
    }
    for city in samples["City"].as_array().into_iter().flatten() {
        check_node_sample(&graph, "City", "id", city);
    }
    // NPIs reused by separate Synthea runs: each reference went to the
    // practitioner of its own source directory.
    for shared in samples["shared_npi_practitioners"]
        .as_array()
        .into_iter()
        .flatten()
    {
        for practitioner in shared["practitioners"].as_array().into_iter().flatten() {
            let id = practitioner["id"].as_str().expect("id");
            let node = graph
                .find_node_by_name("Practitioner", "id", &Value::from(id))
                .expect("practitioner");
            for (rel_name, direction, field) in [
                ("WORKS_AT", Direction::Outgoing, "WORKS_AT"),
                ("ATTENDED_BY", Direction::Incoming, "ATTENDED_BY_in"),
                ("PRESCRIBED_BY", Direction::Incoming, "PRESCRIBED_BY_in"),
            ] {
                let degree = graph
                    .rel_type_id(rel_name)
                    .map_or(0, |t| graph.degree(node, direction, Some(t)));
                assert_eq!(
                    Some(degree as u64),
                    practitioner[field].as_u64(),
                    "{name}: practitioner {id} {rel_name}"
                );
            }
        }
    }
    if samples["Medication_most_prescribed"].is_object() {
        let m = &samples["Medication_most_prescribed"];
        let code = m["code"].as_str().expect("code");
        let node = graph
            .find_node_by_name("Medication", "code", &Value::from(code))
            .expect("medication");
        assert_eq!(
            graph.node_property(node, "display").and_then(Value::as_str),
            m["display"].as_str(),
            "{name}: display of {code}"
        );
        let of = graph.rel_type_id("OF_MEDICATION").expect("type");
        assert_eq!(
            graph.degree(node, Direction::Incoming, Some(of)) as u64,
            m["OF_MEDICATION"].as_u64().expect("n")
        );
    }
}

#[test]
fn bulk_10_counts_and_samples() {
    check_dataset("synthea-bulk-10", &[bulk_10()]);
}

#[test]
fn ca_86_counts_and_samples() {
    check_dataset("synthea-ca-86", &[ca_86()]);
}

/// The 615-patient set lives in ../shared (35 MB, not copied into the repo).
/// CI has ../shared beside the clone; without it this test says so and
/// checks nothing, which the test output shows.
#[test]
fn smart_615_and_all_together_counts() {
    let Some(smart) = smart_615() else {
        eprintln!("NOT RUN: ../shared/data/synthea-smart-r4 is absent in this checkout");
        return;
    };
    check_dataset("synthea-smart-615", std::slice::from_ref(&smart));
    check_dataset("synthea-all", &[bulk_10(), ca_86(), smart]);
}
