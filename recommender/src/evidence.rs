//! Evidence: the counted paths behind a suggestion, short enough for a
//! screen ("412 of 530 patients with Essential hypertension were prescribed
//! lisinopril 10 MG").

use std::fmt;
use std::sync::Arc;

/// One counted path behind a suggestion.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Evidence {
    /// Patients with one of the patient's conditions who had the drug.
    ConditionCohort {
        /// The condition's code.
        condition_code: Arc<str>,
        /// Its display.
        condition_display: Arc<str>,
        /// Patients with the condition.
        patients_with_condition: u32,
        /// Of them, prescribed the medication.
        prescribed: u32,
        /// The medication's display.
        medication_display: Arc<str>,
    },
    /// Prescriptions of the drug that say they treat one of the patient's
    /// conditions.
    Treats {
        /// The condition's code.
        condition_code: Arc<str>,
        /// Its display.
        condition_display: Arc<str>,
        /// Such prescriptions.
        prescriptions: u32,
    },
    /// The patient's prescribers who prescribe the drug.
    Practitioners {
        /// Prescribers of the patient who prescribed it.
        prescribing: u32,
        /// The patient's prescribers.
        of: u32,
    },
    /// Similar patients who had the drug.
    SimilarPatients {
        /// Similar patients with it.
        taking: u32,
        /// Similar patients considered.
        of: u32,
    },
    /// Patients on one of the patient's medications who also had the drug.
    CoPrescribed {
        /// That medication's code.
        medication_code: Arc<str>,
        /// Its display.
        medication_display: Arc<str>,
        /// Patients on it.
        patients_with: u32,
        /// Of them, with the suggested drug too.
        also: u32,
    },
    /// How many patients had the drug at all.
    Popular {
        /// Patients with it.
        patients: u32,
        /// All patients.
        of: u32,
    },
}

impl Evidence {
    /// The share the path stands for (for ordering).
    pub fn strength(&self) -> f64 {
        let ratio = |a: u32, b: u32| {
            if b == 0 {
                0.0
            } else {
                f64::from(a) / f64::from(b)
            }
        };
        match self {
            Evidence::ConditionCohort {
                patients_with_condition,
                prescribed,
                ..
            } => ratio(*prescribed, *patients_with_condition),
            Evidence::Treats { .. } => 0.5,
            Evidence::Practitioners { prescribing, of } => ratio(*prescribing, *of),
            Evidence::SimilarPatients { taking, of } => ratio(*taking, *of),
            Evidence::CoPrescribed {
                patients_with,
                also,
                ..
            } => ratio(*also, *patients_with),
            Evidence::Popular { patients, of } => ratio(*patients, *of) * 0.5,
        }
    }
}

impl fmt::Display for Evidence {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Evidence::ConditionCohort {
                condition_display,
                patients_with_condition,
                prescribed,
                medication_display,
                ..
            } => write!(
                f,
                "{prescribed} of {patients_with_condition} patients with {condition_display} were prescribed {medication_display}"
            ),
            Evidence::Treats {
                condition_display,
                prescriptions,
                ..
            } => write!(
                f,
                "{prescriptions} prescription(s) of it treat {condition_display}"
            ),
            Evidence::Practitioners { prescribing, of } => write!(
                f,
                "prescribed by {prescribing} of the patient's {of} practitioner(s)"
            ),
            Evidence::SimilarPatients { taking, of } => {
                write!(f, "taken by {taking} of the {of} most similar patients")
            }
            Evidence::CoPrescribed {
                medication_display,
                patients_with,
                also,
                ..
            } => write!(
                f,
                "{also} of {patients_with} patients on {medication_display} were also prescribed it"
            ),
            Evidence::Popular { patients, of } => {
                write!(f, "prescribed to {patients} of {of} patients")
            }
        }
    }
}
