//! The backend-neutral interface the projection is built through: a
//! [`RowSource`] runs a Cypher query with parameters and returns rows of
//! [`Value`]s. The queries are here, in plain openCypher that Neo4j runs too.

use std::collections::BTreeMap;

use graph_model::Value;

use crate::error::{RecommendError, Result};

/// Rows of values, one value per returned column.
pub type Rows = Vec<Vec<Value>>;

/// Runs read-only Cypher queries. The server implements it over its own
/// engine; a Neo4j driver could implement it too.
pub trait RowSource {
    /// Runs `query` with `params` and returns its rows (columns in the
    /// order of the `RETURN` clause).
    fn rows(&self, query: &str, params: &BTreeMap<String, Value>) -> Result<Rows>;
}

/// Every patient: id, gender, birth date.
pub const PATIENTS: &str = "MATCH (p:Patient) RETURN p.id, p.gender, p.birthDate";
/// One patient (`$id`).
pub const PATIENT: &str = "MATCH (p:Patient {id: $id}) RETURN p.id, p.gender, p.birthDate";

/// Every prescription: patient, prescription id, medication code and
/// display, authoredOn, status, prescriber id and name.
pub const PRESCRIPTIONS: &str =
    "MATCH (p:Patient)-[:HAS_PRESCRIPTION]->(rx:Prescription)-[:OF_MEDICATION]->(m:Medication) \
OPTIONAL MATCH (rx)-[:PRESCRIBED_BY]->(pr:Practitioner) \
RETURN p.id, rx.id, m.code, m.display, rx.authoredOn, rx.status, pr.id, pr.name";
/// The prescriptions of one patient (`$id`).
pub const PATIENT_PRESCRIPTIONS: &str = "MATCH (p:Patient {id: $id})-[:HAS_PRESCRIPTION]->(rx:Prescription)-[:OF_MEDICATION]->(m:Medication) \
OPTIONAL MATCH (rx)-[:PRESCRIBED_BY]->(pr:Practitioner) \
RETURN p.id, rx.id, m.code, m.display, rx.authoredOn, rx.status, pr.id, pr.name";

/// What each prescription treats: prescription id, condition code, display.
pub const TREATS: &str =
    "MATCH (:Patient)-[:HAS_PRESCRIPTION]->(rx:Prescription)-[:TREATS]->(c:Condition) \
RETURN rx.id, c.code, c.display";
/// What the prescriptions of one patient (`$id`) treat.
pub const PATIENT_TREATS: &str =
    "MATCH (:Patient {id: $id})-[:HAS_PRESCRIPTION]->(rx:Prescription)-[:TREATS]->(c:Condition) \
RETURN rx.id, c.code, c.display";

/// Every diagnosis: patient, condition code and display, onset, abatement,
/// status.
pub const DIAGNOSES: &str = "MATCH (p:Patient)-[d:HAS_CONDITION]->(c:Condition) \
RETURN p.id, c.code, c.display, d.onset, d.abatement, d.status";
/// The diagnoses of one patient (`$id`).
pub const PATIENT_DIAGNOSES: &str = "MATCH (p:Patient {id: $id})-[d:HAS_CONDITION]->(c:Condition) \
RETURN p.id, c.code, c.display, d.onset, d.abatement, d.status";

/// Every allergy: patient, substance code and display, recorded,
/// criticality.
pub const ALLERGIES: &str = "MATCH (p:Patient)-[a:ALLERGIC_TO]->(s:Substance) \
RETURN p.id, s.code, s.display, a.recorded, a.criticality";
/// The allergies of one patient (`$id`).
pub const PATIENT_ALLERGIES: &str = "MATCH (p:Patient {id: $id})-[a:ALLERGIC_TO]->(s:Substance) \
RETURN p.id, s.code, s.display, a.recorded, a.criticality";

/// Runs a query and checks every row has at least `columns` values.
pub(crate) fn fetch(
    source: &dyn RowSource,
    query: &str,
    params: &BTreeMap<String, Value>,
    columns: usize,
) -> Result<Rows> {
    let rows = source.rows(query, params)?;
    if let Some(short) = rows.iter().find(|r| r.len() < columns) {
        return Err(RecommendError::Columns {
            query: query.to_owned(),
            expected: columns,
            found: short.len(),
        });
    }
    Ok(rows)
}

/// The parameters `{id: patient_id}`.
pub(crate) fn id_param(patient_id: &str) -> BTreeMap<String, Value> {
    let mut params = BTreeMap::new();
    params.insert("id".to_owned(), Value::from(patient_id));
    params
}

/// A string column (`None` for null).
pub(crate) fn opt_str(row: &[Value], column: usize) -> Result<Option<&str>> {
    match &row[column] {
        Value::Null => Ok(None),
        Value::String(s) => Ok(Some(s)),
        other => Err(RecommendError::UnexpectedValue {
            column,
            expected: "string",
            found: other.value_type(),
        }),
    }
}

/// A date-time column as seconds since the epoch (`None` for null); a date
/// counts as its midnight UTC.
pub(crate) fn opt_time(row: &[Value], column: usize) -> Result<Option<i64>> {
    let value = &row[column];
    if let Some((seconds, _)) = value.instant() {
        return Ok(Some(seconds));
    }
    match value {
        Value::Null => Ok(None),
        Value::Date(d) => Ok(d.and_hms_opt(0, 0, 0).map(|t| t.and_utc().timestamp())),
        Value::LocalDateTime(t) => Ok(Some(t.and_utc().timestamp())),
        other => Err(RecommendError::UnexpectedValue {
            column,
            expected: "date-time",
            found: other.value_type(),
        }),
    }
}
