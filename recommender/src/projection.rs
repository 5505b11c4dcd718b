//! The in-memory projection: patients with their prescriptions (time,
//! prescriber, what each treats), diagnoses (onset, abatement) and
//! allergies, over catalogs of medications, conditions and practitioners.
//! Social determinants recorded as conditions ([`crate::conditions`]) are
//! left out: they are nobody's reason for a drug.
//! Built from query rows ([`crate::source`]), so any Cypher backend feeds it.

use std::collections::HashMap;
use std::sync::Arc;

use crate::conditions::is_social;
use crate::error::Result;
use crate::source::{self, fetch, id_param, opt_str, opt_time, RowSource};

/// Interned codes with their display text.
#[derive(Clone, Debug, Default)]
pub struct Catalog {
    codes: Vec<Arc<str>>,
    displays: Vec<Arc<str>>,
    index: HashMap<Arc<str>, u32>,
}

impl Catalog {
    /// The index of `code`, adding it (a longer display replaces a shorter).
    pub fn intern(&mut self, code: &Arc<str>, display: Option<&Arc<str>>) -> u32 {
        if let Some(&i) = self.index.get(code) {
            if let Some(d) = display {
                let slot = &mut self.displays[i as usize];
                if d.len() > slot.len() {
                    *slot = d.clone();
                }
            }
            return i;
        }
        let i = self.codes.len() as u32;
        self.codes.push(code.clone());
        self.displays
            .push(display.cloned().unwrap_or_else(|| code.clone()));
        self.index.insert(code.clone(), i);
        i
    }

    /// The index of `code`, if known.
    pub fn get(&self, code: &str) -> Option<u32> {
        self.index.get(code).copied()
    }

    /// The code at `i`.
    pub fn code(&self, i: u32) -> &Arc<str> {
        &self.codes[i as usize]
    }

    /// The display text at `i` (the code when the graph has none).
    pub fn display(&self, i: u32) -> &Arc<str> {
        &self.displays[i as usize]
    }

    /// Number of entries.
    pub fn len(&self) -> usize {
        self.codes.len()
    }

    /// `true` when empty.
    pub fn is_empty(&self) -> bool {
        self.codes.is_empty()
    }
}

/// One prescription, by code (as the queries return it).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct RxRecord {
    /// Prescription id.
    pub id: Arc<str>,
    /// `RxNorm` code.
    pub medication: Arc<str>,
    /// Medication display.
    pub medication_display: Option<Arc<str>>,
    /// `authoredOn`, seconds since the epoch.
    pub time: Option<i64>,
    /// Status (`active`, `stopped`, `completed`...).
    pub status: Option<Arc<str>>,
    /// Prescriber id.
    pub practitioner: Option<Arc<str>>,
    /// Prescriber name.
    pub practitioner_name: Option<Arc<str>>,
    /// Conditions it treats: (code, display).
    pub treats: Vec<(Arc<str>, Option<Arc<str>>)>,
}

/// One diagnosis, by code.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct DxRecord {
    /// SNOMED code.
    pub condition: Arc<str>,
    /// Display.
    pub display: Option<Arc<str>>,
    /// Onset, seconds since the epoch.
    pub onset: Option<i64>,
    /// Abatement, seconds since the epoch.
    pub abatement: Option<i64>,
    /// Clinical status.
    pub status: Option<Arc<str>>,
}

/// One allergy, by substance code.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct AllergyRecord {
    /// Substance code.
    pub substance: Arc<str>,
    /// Substance display.
    pub display: Option<Arc<str>>,
    /// When recorded, seconds since the epoch.
    pub recorded: Option<i64>,
    /// Criticality.
    pub criticality: Option<Arc<str>>,
}

/// Everything the projection knows about one patient, by code: what the
/// per-patient queries return.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct Neighborhood {
    /// Patient id.
    pub patient_id: Arc<str>,
    /// Gender.
    pub gender: Option<Arc<str>>,
    /// Birth date, seconds since the epoch.
    pub birth: Option<i64>,
    /// Prescriptions, ordered by id.
    pub prescriptions: Vec<RxRecord>,
    /// Diagnoses, in a stable order.
    pub diagnoses: Vec<DxRecord>,
    /// Allergies, in a stable order.
    pub allergies: Vec<AllergyRecord>,
}

impl Neighborhood {
    /// Reads one patient's neighborhood through `source` (`None` when the
    /// graph has no such patient).
    pub fn fetch(source: &dyn RowSource, patient_id: &str) -> Result<Option<Neighborhood>> {
        let params = id_param(patient_id);
        let patients = fetch(source, source::PATIENT, &params, 3)?;
        let rx = fetch(source, source::PATIENT_PRESCRIPTIONS, &params, 8)?;
        let treats = fetch(source, source::PATIENT_TREATS, &params, 3)?;
        let dx = fetch(source, source::PATIENT_DIAGNOSES, &params, 6)?;
        let allergies = fetch(source, source::PATIENT_ALLERGIES, &params, 5)?;
        let mut all = group_rows(&patients, &rx, &treats, &dx, &allergies)?;
        Ok(all.pop())
    }

    /// The medication codes of prescriptions with status `active`.
    pub fn active_medications(&self) -> Vec<(Arc<str>, Arc<str>)> {
        let mut out: Vec<(Arc<str>, Arc<str>)> = self
            .prescriptions
            .iter()
            .filter(|rx| rx.status.as_deref() == Some("active"))
            .map(|rx| {
                (
                    rx.medication.clone(),
                    rx.medication_display
                        .clone()
                        .unwrap_or_else(|| rx.medication.clone()),
                )
            })
            .collect();
        out.sort();
        out.dedup();
        out
    }

    /// A hash of the whole neighborhood: changes whenever a prescription,
    /// diagnosis or allergy of the patient is added, removed or changed.
    pub fn signature(&self) -> u64 {
        use std::hash::{Hash, Hasher};
        let mut hasher = std::collections::hash_map::DefaultHasher::new();
        self.hash(&mut hasher);
        hasher.finish()
    }
}

/// A code with its display, if any.
type CodeDisplay = (Arc<str>, Option<Arc<str>>);

/// Groups the rows of the five queries by patient, in patient row order.
fn group_rows(
    patients: &[Vec<graph_model::Value>],
    rx: &[Vec<graph_model::Value>],
    treats: &[Vec<graph_model::Value>],
    dx: &[Vec<graph_model::Value>],
    allergies: &[Vec<graph_model::Value>],
) -> Result<Vec<Neighborhood>> {
    let mut out: Vec<Neighborhood> = Vec::with_capacity(patients.len());
    let mut by_id: HashMap<Arc<str>, usize> = HashMap::with_capacity(patients.len());
    let mut slot = |out: &mut Vec<Neighborhood>, id: &str| -> usize {
        if let Some(&i) = by_id.get(id) {
            return i;
        }
        let id: Arc<str> = Arc::from(id);
        out.push(Neighborhood {
            patient_id: id.clone(),
            ..Neighborhood::default()
        });
        by_id.insert(id, out.len() - 1);
        out.len() - 1
    };
    for row in patients {
        let Some(id) = opt_str(row, 0)? else { continue };
        let i = slot(&mut out, id);
        out[i].gender = opt_str(row, 1)?.map(Arc::from);
        out[i].birth = opt_time(row, 2)?;
    }
    let mut treats_by_rx: HashMap<&str, Vec<CodeDisplay>> = HashMap::new();
    for row in treats {
        if let (Some(rx_id), Some(code)) = (opt_str(row, 0)?, opt_str(row, 1)?) {
            treats_by_rx
                .entry(rx_id)
                .or_default()
                .push((Arc::from(code), opt_str(row, 2)?.map(Arc::from)));
        }
    }
    for row in rx {
        let (Some(id), Some(rx_id), Some(code)) =
            (opt_str(row, 0)?, opt_str(row, 1)?, opt_str(row, 2)?)
        else {
            continue;
        };
        let i = slot(&mut out, id);
        let mut treats = treats_by_rx.get(rx_id).cloned().unwrap_or_default();
        treats.sort();
        treats.dedup();
        out[i].prescriptions.push(RxRecord {
            id: Arc::from(rx_id),
            medication: Arc::from(code),
            medication_display: opt_str(row, 3)?.map(Arc::from),
            time: opt_time(row, 4)?,
            status: opt_str(row, 5)?.map(Arc::from),
            practitioner: opt_str(row, 6)?.map(Arc::from),
            practitioner_name: opt_str(row, 7)?.map(Arc::from),
            treats,
        });
    }
    for row in dx {
        let (Some(id), Some(code)) = (opt_str(row, 0)?, opt_str(row, 1)?) else {
            continue;
        };
        let i = slot(&mut out, id);
        out[i].diagnoses.push(DxRecord {
            condition: Arc::from(code),
            display: opt_str(row, 2)?.map(Arc::from),
            onset: opt_time(row, 3)?,
            abatement: opt_time(row, 4)?,
            status: opt_str(row, 5)?.map(Arc::from),
        });
    }
    for row in allergies {
        let (Some(id), Some(code)) = (opt_str(row, 0)?, opt_str(row, 1)?) else {
            continue;
        };
        let i = slot(&mut out, id);
        out[i].allergies.push(AllergyRecord {
            substance: Arc::from(code),
            display: opt_str(row, 2)?.map(Arc::from),
            recorded: opt_time(row, 3)?,
            criticality: opt_str(row, 4)?.map(Arc::from),
        });
    }
    for n in &mut out {
        // A prescription with several prescribers appears once per row:
        // keep one (the smallest prescriber id) so the result is stable.
        n.prescriptions
            .sort_by(|a, b| a.id.cmp(&b.id).then(a.practitioner.cmp(&b.practitioner)));
        n.prescriptions.dedup_by(|a, b| a.id == b.id);
        n.diagnoses.sort_by(|a, b| {
            (&a.condition, a.onset, a.abatement, &a.status).cmp(&(
                &b.condition,
                b.onset,
                b.abatement,
                &b.status,
            ))
        });
        n.allergies
            .sort_by(|a, b| (&a.substance, a.recorded).cmp(&(&b.substance, b.recorded)));
    }
    Ok(out)
}

/// A prescription in the projection.
#[derive(Clone, Debug, PartialEq)]
pub struct Rx {
    /// Medication index.
    pub med: u32,
    /// `authoredOn`, seconds since the epoch.
    pub time: Option<i64>,
    /// Status is `active`.
    pub active: bool,
    /// Prescriber index.
    pub practitioner: Option<u32>,
    /// Conditions it treats (indexes).
    pub treats: Vec<u32>,
}

/// A diagnosis in the projection.
#[derive(Clone, Debug, PartialEq)]
pub struct Dx {
    /// Condition index.
    pub condition: u32,
    /// Onset, seconds since the epoch.
    pub onset: Option<i64>,
    /// Abatement, seconds since the epoch.
    pub abatement: Option<i64>,
}

/// A patient in the projection.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct PatientRecord {
    /// Patient id.
    pub id: Arc<str>,
    /// 0 female, 1 male, 2 other or unknown.
    pub gender: u8,
    /// Birth date, seconds since the epoch.
    pub birth: Option<i64>,
    /// Prescriptions.
    pub prescriptions: Vec<Rx>,
    /// Diagnoses.
    pub diagnoses: Vec<Dx>,
    /// Allergies: (substance code, display).
    pub allergies: Vec<(Arc<str>, Arc<str>)>,
    /// Medications of active prescriptions: (code, display), even those
    /// the catalog does not know.
    pub active_medications: Vec<(Arc<str>, Arc<str>)>,
    /// The neighborhood's [`Neighborhood::signature`].
    pub signature: u64,
}

/// The projection: catalogs and patients.
#[derive(Clone, Debug, Default)]
pub struct Projection {
    /// Medications (`RxNorm`).
    pub medications: Catalog,
    /// Conditions (SNOMED).
    pub conditions: Catalog,
    /// Practitioners (id, name).
    pub practitioners: Catalog,
    /// Patients, in the order the graph returned them.
    pub patients: Vec<PatientRecord>,
    /// Patient index by id.
    pub patient_index: HashMap<Arc<str>, u32>,
}

impl Projection {
    /// Builds the projection with one query per kind of fact.
    pub fn build(source: &dyn RowSource) -> Result<Projection> {
        let none = std::collections::BTreeMap::new();
        let patients = fetch(source, source::PATIENTS, &none, 3)?;
        let rx = fetch(source, source::PRESCRIPTIONS, &none, 8)?;
        let treats = fetch(source, source::TREATS, &none, 3)?;
        let dx = fetch(source, source::DIAGNOSES, &none, 6)?;
        let allergies = fetch(source, source::ALLERGIES, &none, 5)?;
        let grouped = group_rows(&patients, &rx, &treats, &dx, &allergies)?;
        Ok(Projection::from_neighborhoods(&grouped))
    }

    /// Builds the projection from patient neighborhoods.
    pub fn from_neighborhoods(neighborhoods: &[Neighborhood]) -> Projection {
        let mut p = Projection::default();
        for n in neighborhoods {
            let record = p.intern(n);
            p.patient_index
                .insert(record.id.clone(), p.patients.len() as u32);
            p.patients.push(record);
        }
        p
    }

    /// Converts a neighborhood, adding unknown codes to the catalogs.
    fn intern(&mut self, n: &Neighborhood) -> PatientRecord {
        let mut record = base_record(n);
        for rx in &n.prescriptions {
            let med = self
                .medications
                .intern(&rx.medication, rx.medication_display.as_ref());
            let practitioner = rx
                .practitioner
                .as_ref()
                .map(|id| self.practitioners.intern(id, rx.practitioner_name.as_ref()));
            let treats = rx
                .treats
                .iter()
                .filter(|(code, _)| !is_social(code))
                .map(|(code, display)| self.conditions.intern(code, display.as_ref()))
                .collect();
            record.prescriptions.push(Rx {
                med,
                time: rx.time,
                active: rx.status.as_deref() == Some("active"),
                practitioner,
                treats,
            });
        }
        for dx in n.diagnoses.iter().filter(|dx| !is_social(&dx.condition)) {
            let condition = self.conditions.intern(&dx.condition, dx.display.as_ref());
            record.diagnoses.push(Dx {
                condition,
                onset: dx.onset,
                abatement: dx.abatement,
            });
        }
        record
    }

    /// Converts a neighborhood against the catalogs as they are (codes the
    /// catalogs do not know are left out of the indexed facts; active
    /// medications and allergies keep them by code).
    pub fn record_for(&self, n: &Neighborhood) -> PatientRecord {
        let mut record = base_record(n);
        for rx in &n.prescriptions {
            let Some(med) = self.medications.get(&rx.medication) else {
                continue;
            };
            record.prescriptions.push(Rx {
                med,
                time: rx.time,
                active: rx.status.as_deref() == Some("active"),
                practitioner: rx
                    .practitioner
                    .as_deref()
                    .and_then(|id| self.practitioners.get(id)),
                treats: rx
                    .treats
                    .iter()
                    .filter(|(code, _)| !is_social(code))
                    .filter_map(|(code, _)| self.conditions.get(code))
                    .collect(),
            });
        }
        for dx in n.diagnoses.iter().filter(|dx| !is_social(&dx.condition)) {
            if let Some(condition) = self.conditions.get(&dx.condition) {
                record.diagnoses.push(Dx {
                    condition,
                    onset: dx.onset,
                    abatement: dx.abatement,
                });
            }
        }
        record
    }

    /// The patient with this id.
    pub fn patient(&self, id: &str) -> Option<(u32, &PatientRecord)> {
        let &i = self.patient_index.get(id)?;
        Some((i, &self.patients[i as usize]))
    }

    /// Every dated prescription's time, sorted.
    pub fn prescription_times(&self) -> Vec<i64> {
        let mut times: Vec<i64> = self
            .patients
            .iter()
            .flat_map(|p| p.prescriptions.iter().filter_map(|rx| rx.time))
            .collect();
        times.sort_unstable();
        times
    }

    /// Number of prescriptions.
    pub fn prescription_count(&self) -> usize {
        self.patients.iter().map(|p| p.prescriptions.len()).sum()
    }

    /// Approximate heap size in bytes.
    pub fn memory_bytes(&self) -> usize {
        let rx = std::mem::size_of::<Rx>();
        let dx = std::mem::size_of::<Dx>();
        let catalogs =
            (self.medications.len() + self.conditions.len() + self.practitioners.len()) * 96;
        let patients: usize = self
            .patients
            .iter()
            .map(|p| {
                std::mem::size_of::<PatientRecord>()
                    + p.id.len()
                    + p.prescriptions.len() * rx
                    + p.prescriptions
                        .iter()
                        .map(|r| r.treats.len() * 4)
                        .sum::<usize>()
                    + p.diagnoses.len() * dx
                    + (p.allergies.len() + p.active_medications.len()) * 32
                    + 48
            })
            .sum();
        catalogs + patients
    }
}

/// The catalog-independent part of a patient record.
fn base_record(n: &Neighborhood) -> PatientRecord {
    let gender = match n.gender.as_deref() {
        Some("female") => 0,
        Some("male") => 1,
        _ => 2,
    };
    PatientRecord {
        id: n.patient_id.clone(),
        gender,
        birth: n.birth,
        prescriptions: Vec::with_capacity(n.prescriptions.len()),
        diagnoses: Vec::with_capacity(n.diagnoses.len()),
        allergies: n
            .allergies
            .iter()
            .map(|a| {
                (
                    a.substance.clone(),
                    a.display.clone().unwrap_or_else(|| a.substance.clone()),
                )
            })
            .collect(),
        active_medications: n.active_medications(),
        signature: n.signature(),
    }
}
