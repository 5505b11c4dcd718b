//! Analyst queries over the bundled Synthea samples, written in Cypher as an
//! analyst would, give exactly the answers worked out independently of the
//! loader and of the Cypher engine (`tests/expected/expected_analyst.py`,
//! which writes `tests/expected/analyst-<sample>.json`).
//!
//! Integers and strings must be equal; sums of claim amounts (floats) may
//! differ from the oracle's exactly rounded sums by 1e-9 relative, because
//! the engine adds them in its own order.

use std::path::PathBuf;
use std::sync::OnceLock;

use cypher::{CypherValue, Params, QueryOptions};
use graph_model::fhir::{load_paths, LoadOptions};
use graph_model::Database;
use serde_json::Value as Json;

/// A loaded sample and its expected answers.
struct Sample {
    name: &'static str,
    db: Database,
    expected: Json,
}

impl Sample {
    fn load(name: &'static str, path: PathBuf) -> Sample {
        let db = Database::in_memory();
        load_paths(&db, &[path], LoadOptions::default(), &mut |_| {})
            .unwrap_or_else(|e| panic!("{name}: load failed: {e}"));
        let expected = tests::expected(&format!("analyst-{name}"))
            .unwrap_or_else(|e| panic!("{name}: expected answers: {e}"));
        Sample { name, db, expected }
    }

    /// The expected value at `key`.
    fn expected(&self, key: &str) -> &Json {
        self.expected
            .get(key)
            .unwrap_or_else(|| panic!("{}: no `{key}` in the expected answers", self.name))
    }

    /// The patients the parameterised queries run for (the last one is an
    /// id no sample has).
    fn patients(&self) -> Vec<String> {
        self.expected("patients")
            .as_array()
            .expect("`patients` is a list")
            .iter()
            .map(|p| p.as_str().expect("a patient id").to_owned())
            .collect()
    }

    /// Runs `query` and gives its rows as JSON arrays.
    fn rows(&self, query: &str, params: &[(&str, CypherValue)]) -> Vec<Json> {
        let params: Params = params
            .iter()
            .map(|(k, v)| ((*k).to_owned(), v.clone()))
            .collect();
        let output = cypher::execute(&self.db, query, &params, &QueryOptions::default())
            .unwrap_or_else(|e| panic!("{}: query failed: {e}\n{query}", self.name));
        output
            .rows
            .iter()
            .map(|row| Json::Array(row.iter().map(to_json).collect()))
            .collect()
    }

    /// Runs `query` and checks its rows against the expected rows at `key`.
    fn check(&self, key: &str, query: &str) {
        let actual = self.rows(query, &[]);
        assert_rows(
            &format!("{}: {key}", self.name),
            &actual,
            self.expected(key),
        );
    }

    /// Runs `query` once per entry of the expected list at `key` (each
    /// `{"id": .., "rows": [..]}`), with `$id` bound to the entry's id.
    fn check_per_patient(&self, key: &str, query: &str) {
        let entries = self.expected(key).as_array().expect("a list of entries");
        assert_eq!(
            entries.len(),
            self.patients().len(),
            "{}: {key} covers every chosen patient",
            self.name
        );
        for entry in entries {
            let id = entry["id"].as_str().expect("an id");
            let actual = self.rows(query, &[("id", CypherValue::from(id))]);
            assert_rows(
                &format!("{}: {key} for patient {id}", self.name),
                &actual,
                &entry["rows"],
            );
        }
    }
}

/// A result value as JSON (the analyst queries return only scalars and
/// lists).
fn to_json(value: &CypherValue) -> Json {
    match value {
        CypherValue::Null => Json::Null,
        CypherValue::Boolean(b) => Json::Bool(*b),
        CypherValue::Integer(i) => Json::from(*i),
        CypherValue::Float(f) => Json::from(*f),
        CypherValue::String(s) => Json::String(s.to_string()),
        CypherValue::List(items) => Json::Array(items.iter().map(to_json).collect()),
        other => panic!("an analyst query returned a non-scalar value: {other:?}"),
    }
}

/// Equal, except that an expected float matches an actual float within
/// 1e-9 relative. An integer never matches a float.
fn same(actual: &Json, expected: &Json) -> bool {
    match (actual, expected) {
        (Json::Number(a), Json::Number(e)) if e.is_f64() => match (a.as_f64(), e.as_f64()) {
            (Some(a_f), Some(e_f)) if a.is_f64() => (a_f - e_f).abs() <= 1e-9 * e_f.abs().max(1.0),
            _ => false,
        },
        (Json::Number(a), Json::Number(e)) => !a.is_f64() && a.as_i64() == e.as_i64(),
        (Json::Array(a), Json::Array(e)) => {
            a.len() == e.len() && a.iter().zip(e).all(|(x, y)| same(x, y))
        }
        _ => actual == expected,
    }
}

fn assert_rows(what: &str, actual: &[Json], expected: &Json) {
    let expected = expected.as_array().expect("expected rows are a list");
    let first_difference = actual
        .iter()
        .zip(expected)
        .position(|(a, e)| !same(a, e))
        .or_else(|| (actual.len() != expected.len()).then_some(actual.len().min(expected.len())));
    if let Some(i) = first_difference {
        let show = |rows: &[Json]| {
            rows.iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join("\n  ")
        };
        panic!(
            "{what}: {} rows, expected {}; first difference at row {i}\nactual:\n  {}\nexpected:\n  {}",
            actual.len(),
            expected.len(),
            show(actual),
            show(expected)
        );
    }
}

// ---------------------------------------------------------------------------
// The queries

/// Nodes per label (stub nodes carry their label too).
const LABEL_COUNTS: &str = "
    MATCH (n) UNWIND labels(n) AS label
    RETURN label, count(*) AS nodes
    ORDER BY label";

/// Relationships per type.
const RELATIONSHIP_COUNTS: &str = "
    MATCH ()-[r]->()
    RETURN type(r) AS type, count(*) AS relationships
    ORDER BY type";

/// The ten most prescribed medications.
const TOP_MEDICATIONS: &str = "
    MATCH (:Prescription)-[:OF_MEDICATION]->(m:Medication)
    RETURN m.code AS code, m.display AS display, count(*) AS prescriptions
    ORDER BY prescriptions DESC, code ASC
    LIMIT 10";

/// Claims and their total amount per payer.
const CLAIMS_BY_PAYER: &str = "
    MATCH (c:Claim)-[:PAID_BY]->(payer:Payer)
    RETURN payer.name AS payer, count(c) AS claims, sum(c.total) AS total
    ORDER BY claims DESC, payer";

/// The ten organizations that billed the most claims, with the amounts.
const CLAIMS_BY_PROVIDER: &str = "
    MATCH (c:Claim)-[:BILLED_BY]->(o:Organization)
    RETURN o.id AS organization, o.name AS name, count(c) AS claims, sum(c.total) AS total
    ORDER BY claims DESC, organization
    LIMIT 10";

/// The organizations of the practitioners who attended or prescribed for
/// patient `$id`, with how many of those practitioners work there.
const PATIENT_ORGANIZATIONS: &str = "
    MATCH (:Patient {id: $id})-[:HAD_ENCOUNTER|HAS_PRESCRIPTION]->()
          -[:ATTENDED_BY|PRESCRIBED_BY]->(pr:Practitioner)-[:WORKS_AT]->(o:Organization)
    RETURN o.id AS organization, o.name AS name, count(DISTINCT pr) AS practitioners
    ORDER BY organization";

/// Distinct (patient, organization of a practitioner who cared for them) pairs.
const PATIENT_ORGANIZATION_PAIRS: &str = "
    MATCH (p:Patient)-[:HAD_ENCOUNTER|HAS_PRESCRIPTION]->()
          -[:ATTENDED_BY|PRESCRIBED_BY]->(:Practitioner)-[:WORKS_AT]->(o:Organization)
    WITH DISTINCT p, o
    RETURN count(*) AS pairs";

/// The ten organizations whose practitioners cared for the most patients.
const TOP_ORGANIZATIONS_BY_PATIENTS: &str = "
    MATCH (p:Patient)-[:HAD_ENCOUNTER|HAS_PRESCRIPTION]->()
          -[:ATTENDED_BY|PRESCRIBED_BY]->(:Practitioner)-[:WORKS_AT]->(o:Organization)
    WITH DISTINCT p, o
    RETURN o.id AS organization, o.name AS name, count(p) AS patients
    ORDER BY patients DESC, organization
    LIMIT 10";

/// Pairs of medications prescribed to the same patient, by number of
/// patients: each patient's distinct medications, paired.
const CO_PRESCRIBED: &str = "
    MATCH (p:Patient)-[:HAS_PRESCRIPTION]->(:Prescription)-[:OF_MEDICATION]->(m:Medication)
    WITH p, collect(DISTINCT m.code) AS codes
    UNWIND codes AS a
    UNWIND codes AS b
    WITH p, a, b WHERE a < b
    RETURN a, b, count(DISTINCT p) AS patients
    ORDER BY patients DESC, a, b
    LIMIT 10";

/// The same question as one pattern through the patient.
const CO_PRESCRIBED_PATTERN: &str = "
    MATCH (m1:Medication)<-[:OF_MEDICATION]-(:Prescription)<-[:HAS_PRESCRIPTION]-(p:Patient)
          -[:HAS_PRESCRIPTION]->(:Prescription)-[:OF_MEDICATION]->(m2:Medication)
    WHERE m1.code < m2.code
    RETURN m1.code AS a, m2.code AS b, count(DISTINCT p) AS patients
    ORDER BY patients DESC, a, b
    LIMIT 10";

/// Patient `$id`: name, allergies (sorted codes), claims and billed amount.
const PATIENT_SUMMARY: &str = "
    MATCH (p:Patient {id: $id})
    OPTIONAL MATCH (p)-[:ALLERGIC_TO]->(s:Substance)
    WITH p, s ORDER BY s.code
    WITH p, collect(DISTINCT s.code) AS allergies
    OPTIONAL MATCH (p)-[:HAS_CLAIM]->(c:Claim)
    RETURN p.name AS name, allergies, count(c) AS claims, sum(c.total) AS billed";

/// One row whether or not patient `$id` exists.
const PATIENT_OPTIONAL_NAME: &str = "
    OPTIONAL MATCH (p:Patient {id: $id})
    RETURN p.name AS name";

/// The patients with condition `$code`, and how many of their prescriptions
/// treat it (zero included).
const CONDITION_TREATMENT: &str = "
    MATCH (c:Condition {code: $code})<-[:HAS_CONDITION]-(p:Patient)
    WITH DISTINCT c, p
    OPTIONAL MATCH (p)-[:HAS_PRESCRIPTION]->(rx:Prescription)-[:TREATS]->(c)
    RETURN p.id AS patient, count(rx) AS prescriptions
    ORDER BY patient";

/// Conditions reachable from each patient in one or two hops (their own,
/// diagnosed at their encounters, treated by their prescriptions).
const CONDITIONS_WITHIN_TWO_HOPS: &str = "
    MATCH (p:Patient)-[*1..2]->(c:Condition)
    RETURN p.id AS patient, count(DISTINCT c) AS conditions, count(*) AS paths
    ORDER BY patient";

/// Every path of up to four hops from patient `$id` to a State, grouped by
/// the labels and relationship types along it.
const ROUTES_TO_STATE: &str = "
    MATCH path = (:Patient {id: $id})-[*1..4]->(:State)
    RETURN [n IN nodes(path) | labels(n)[0]] AS route,
           [r IN relationships(path) | type(r)] AS types,
           count(*) AS paths
    ORDER BY route, types";

/// Patient `$id`'s way home: city, state, country.
const HOME_PATHS: &str = "
    MATCH path = (:Patient {id: $id})-[:LIVES_IN|IN_STATE|IN_COUNTRY*]->(:Country)
    RETURN [n IN nodes(path) | coalesce(n.id, n.code)] AS keys, length(path) AS hops
    ORDER BY keys";

fn label_counts(s: &Sample) {
    s.check("label_counts", LABEL_COUNTS);
    // The same figures as the loader oracle's (`synthea-<name>.json`).
    let counts = tests::expected(&format!("synthea-{}", s.name)).expect("loader oracle");
    let mut by_label = tests::counts(&counts["nodes"]);
    for (label, n) in tests::counts(&counts["stubs"]) {
        *by_label.entry(label).or_default() += n;
    }
    let expected: Vec<Json> = by_label
        .into_iter()
        .map(|(label, n)| serde_json::json!([label, n]))
        .collect();
    assert_rows(
        &format!("{}: label counts vs synthea-{}.json", s.name, s.name),
        &s.rows(LABEL_COUNTS, &[]),
        &Json::Array(expected),
    );
}

fn relationship_counts(s: &Sample) {
    s.check("relationship_counts", RELATIONSHIP_COUNTS);
}

fn top_medications(s: &Sample) {
    s.check("top_medications", TOP_MEDICATIONS);
}

fn claims_by_payer(s: &Sample) {
    s.check("claims_by_payer", CLAIMS_BY_PAYER);
    s.check("claims_by_provider", CLAIMS_BY_PROVIDER);
}

fn patient_organizations(s: &Sample) {
    s.check_per_patient("patient_organizations", PATIENT_ORGANIZATIONS);
}

fn patient_organization_pairs(s: &Sample) {
    let pairs = s.expected("patient_organization_pairs");
    assert_rows(
        &format!("{}: patient-organization pairs", s.name),
        &s.rows(PATIENT_ORGANIZATION_PAIRS, &[]),
        &serde_json::json!([[pairs]]),
    );
    s.check(
        "top_organizations_by_patients",
        TOP_ORGANIZATIONS_BY_PATIENTS,
    );
}

fn co_prescribed(s: &Sample) {
    s.check("co_prescribed", CO_PRESCRIBED);
    s.check("co_prescribed", CO_PRESCRIBED_PATTERN);
}

fn patient_summary(s: &Sample) {
    s.check_per_patient("patient_summary", PATIENT_SUMMARY);
    s.check_per_patient("patient_optional_name", PATIENT_OPTIONAL_NAME);
}

fn condition_treatment(s: &Sample) {
    let expected = s.expected("condition_treatment");
    let code = expected["code"]
        .as_str()
        .expect("a treated condition in the sample");
    let actual = s.rows(CONDITION_TREATMENT, &[("code", CypherValue::from(code))]);
    assert_rows(
        &format!("{}: condition {code} and its treatments", s.name),
        &actual,
        &expected["rows"],
    );
}

fn conditions_within_two_hops(s: &Sample) {
    s.check("conditions_within_two_hops", CONDITIONS_WITHIN_TWO_HOPS);
}

fn routes_to_state(s: &Sample) {
    s.check_per_patient("routes_to_state", ROUTES_TO_STATE);
}

fn home_paths(s: &Sample) {
    s.check_per_patient("home_paths", HOME_PATHS);
}

/// One test per query and sample; each sample loads once per test binary.
macro_rules! sample_tests {
    ($module:ident, $name:literal, $path:expr) => {
        mod $module {
            use super::*;

            fn sample() -> &'static Sample {
                static SAMPLE: OnceLock<Sample> = OnceLock::new();
                SAMPLE.get_or_init(|| Sample::load($name, $path))
            }

            #[test]
            fn label_counts() {
                super::label_counts(sample());
            }

            #[test]
            fn relationship_counts() {
                super::relationship_counts(sample());
            }

            #[test]
            fn top_medications() {
                super::top_medications(sample());
            }

            #[test]
            fn claims_by_payer() {
                super::claims_by_payer(sample());
            }

            #[test]
            fn patient_organizations() {
                super::patient_organizations(sample());
            }

            #[test]
            fn patient_organization_pairs() {
                super::patient_organization_pairs(sample());
            }

            #[test]
            fn co_prescribed() {
                super::co_prescribed(sample());
            }

            #[test]
            fn patient_summary() {
                super::patient_summary(sample());
            }

            #[test]
            fn condition_treatment() {
                super::condition_treatment(sample());
            }

            #[test]
            fn conditions_within_two_hops() {
                super::conditions_within_two_hops(sample());
            }

            #[test]
            fn routes_to_state() {
                super::routes_to_state(sample());
            }

            #[test]
            fn home_paths() {
                super::home_paths(sample());
            }
        }
    };
}

sample_tests!(bulk_10, "bulk-10", tests::bulk_10());
sample_tests!(ca_86, "ca-86", tests::ca_86());
