//! Hand-made graphs for the recommender's tests.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use graph_model::Value;
use recommender::projection::{AllergyRecord, DxRecord, Neighborhood, RxRecord};
use recommender::{source, RecommendError, RowSource, Rows};

/// A prescription of `code` at `time` by `practitioner`.
pub fn rx(patient: &str, n: usize, code: &str, time: i64, status: &str) -> RxRecord {
    RxRecord {
        id: Arc::from(format!("{patient}-rx{n:03}")),
        medication: Arc::from(code),
        medication_display: Some(Arc::from(format!("drug {code}"))),
        time: Some(time),
        status: Some(Arc::from(status)),
        practitioner: None,
        practitioner_name: None,
        treats: Vec::new(),
    }
}

/// A patient with prescriptions of `meds` (codes at times 1, 2, ...).
pub fn patient(id: &str, meds: &[&str]) -> Neighborhood {
    Neighborhood {
        patient_id: Arc::from(id),
        gender: Some(Arc::from("female")),
        birth: Some(0),
        prescriptions: meds
            .iter()
            .enumerate()
            .map(|(i, m)| rx(id, i, m, 1 + i as i64, "stopped"))
            .collect(),
        diagnoses: Vec::new(),
        allergies: Vec::new(),
    }
}

/// A diagnosis.
pub fn dx(code: &str, display: &str, onset: i64) -> DxRecord {
    DxRecord {
        condition: Arc::from(code),
        display: Some(Arc::from(display)),
        onset: Some(onset),
        abatement: None,
        status: Some(Arc::from("active")),
    }
}

/// An allergy.
pub fn allergy(code: &str, display: &str) -> AllergyRecord {
    AllergyRecord {
        substance: Arc::from(code),
        display: Some(Arc::from(display)),
        recorded: Some(1),
        criticality: Some(Arc::from("high")),
    }
}

/// A row source over neighborhoods, answering the recommender's queries
/// as a Cypher engine would.
#[derive(Default)]
pub struct MemorySource {
    /// The graph, one neighborhood per patient.
    pub patients: Mutex<Vec<Neighborhood>>,
}

fn opt(v: Option<&Arc<str>>) -> Value {
    v.map_or(Value::Null, |s| Value::String(s.clone()))
}

fn time(t: Option<i64>) -> Value {
    t.map_or(Value::Null, |t| {
        Value::DateTime(
            chrono::DateTime::from_timestamp(t, 0)
                .expect("test times are valid")
                .fixed_offset(),
        )
    })
}

impl MemorySource {
    /// A source over `patients`.
    pub fn new(patients: Vec<Neighborhood>) -> MemorySource {
        MemorySource {
            patients: Mutex::new(patients),
        }
    }
}

impl RowSource for MemorySource {
    fn rows(&self, query: &str, params: &BTreeMap<String, Value>) -> Result<Rows, RecommendError> {
        let patients = self
            .patients
            .lock()
            .expect("no test panics holding the lock");
        let only = params.get("id").and_then(Value::as_str);
        let selected = patients
            .iter()
            .filter(|p| only.is_none_or(|id| *p.patient_id == *id));
        let id = |p: &Neighborhood| Value::String(p.patient_id.clone());
        let rows: Rows = if query == source::PATIENTS || query == source::PATIENT {
            selected
                .map(|p| vec![id(p), opt(p.gender.as_ref()), time(p.birth)])
                .collect()
        } else if query == source::PRESCRIPTIONS || query == source::PATIENT_PRESCRIPTIONS {
            selected
                .flat_map(|p| {
                    p.prescriptions.iter().map(move |r| {
                        vec![
                            id(p),
                            Value::String(r.id.clone()),
                            Value::String(r.medication.clone()),
                            opt(r.medication_display.as_ref()),
                            time(r.time),
                            opt(r.status.as_ref()),
                            opt(r.practitioner.as_ref()),
                            opt(r.practitioner_name.as_ref()),
                        ]
                    })
                })
                .collect()
        } else if query == source::TREATS || query == source::PATIENT_TREATS {
            selected
                .flat_map(|p| {
                    p.prescriptions.iter().flat_map(|r| {
                        r.treats.iter().map(move |(c, d)| {
                            vec![
                                Value::String(r.id.clone()),
                                Value::String(c.clone()),
                                opt(d.as_ref()),
                            ]
                        })
                    })
                })
                .collect()
        } else if query == source::DIAGNOSES || query == source::PATIENT_DIAGNOSES {
            selected
                .flat_map(|p| {
                    p.diagnoses.iter().map(move |d| {
                        vec![
                            id(p),
                            Value::String(d.condition.clone()),
                            opt(d.display.as_ref()),
                            time(d.onset),
                            time(d.abatement),
                            opt(d.status.as_ref()),
                        ]
                    })
                })
                .collect()
        } else if query == source::ALLERGIES || query == source::PATIENT_ALLERGIES {
            selected
                .flat_map(|p| {
                    p.allergies.iter().map(move |a| {
                        vec![
                            id(p),
                            Value::String(a.substance.clone()),
                            opt(a.display.as_ref()),
                            time(a.recorded),
                            opt(a.criticality.as_ref()),
                        ]
                    })
                })
                .collect()
        } else {
            return Err(RecommendError::Source {
                query: query.to_owned(),
                message: "not one of the recommender's queries".to_owned(),
            });
        };
        Ok(rows)
    }
}
