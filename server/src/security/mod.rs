//! Who may see which patient: the healthcare access rules, turned into the
//! query engine's [`AccessPolicy`] so they hold the same through every door
//! (GraphQL, Cypher over HTTP, Bolt, CDS Hooks).
//!
//! - `admin` sees everything.
//! - `clinician` sees a patient only if the patient has an encounter, a
//!   claim or a registration at one of the clinician's organizations; the
//!   patient's encounters, prescriptions and claims go with the patient.
//! - `analyst` sees every patient, de-identified (HIPAA Safe Harbor for the
//!   fields the graph holds): names, MRN, SSN and coordinates are hidden,
//!   the patient id is a keyed pseudonym, birth and death dates read as a
//!   year with everyone aged 90 or over in one group, ZIP codes keep three
//!   digits. Aggregates run on the full data.
//!
//! Every policy also records the patients a query touched, for the audit
//! log.

mod pseudonym;
mod request;
mod scope;

use std::sync::Arc;

use chrono::Datelike;
use cypher::security::{AccessPolicy, MaskRule, OwnedLabel, PropertyMask, SubjectModel};
use graph_model::{GraphState, Value};

pub use pseudonym::PseudonymKey;
pub use request::{patient_ids, Caller, CareRefusal, RequestAccess};
pub use scope::{patient_in_scope, ScopeCache};

/// What a caller is cleared to see, as the engine needs it.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Clearance {
    /// Everything.
    Admin,
    /// The patients of these organizations (ids), read and write.
    Clinician(Vec<String>),
    /// Every patient, de-identified, read-only.
    Analyst,
}

impl Clearance {
    /// `true` when the caller may not write.
    pub fn read_only(&self) -> bool {
        matches!(self, Clearance::Analyst)
    }

    /// The role name, as tokens and the audit log spell it.
    pub fn role_name(&self) -> &'static str {
        match self {
            Clearance::Admin => "admin",
            Clearance::Clinician(_) => "clinician",
            Clearance::Analyst => "analyst",
        }
    }
}

/// Patients, and the records each owns, as the graph model has them.
pub fn patient_model() -> SubjectModel {
    let owned = |label: &str, via: &str| OwnedLabel {
        label: label.into(),
        via: via.into(),
    };
    SubjectModel {
        label: "Patient".into(),
        owned: vec![
            owned("Encounter", "HAD_ENCOUNTER"),
            owned("Prescription", "HAS_PRESCRIPTION"),
            owned("Claim", "HAS_CLAIM"),
        ],
    }
}

/// The analyst's mask of patient properties (Safe Harbor), with ages over
/// 89 grouped as of `this_year`.
pub fn deidentification(key: &PseudonymKey, this_year: i32) -> PropertyMask {
    let floor = Some(this_year - 90);
    let pseudonym = key.clone();
    let inverse = key.clone();
    let mut mask = PropertyMask::new();
    for hidden in [
        "name",
        "given",
        "family",
        "mrn",
        "ssn",
        "latitude",
        "longitude",
        "address",
        "line",
        "telecom",
        "phone",
        "email",
        "ref",
    ] {
        mask = mask.with("Patient", hidden, MaskRule::Hide);
    }
    mask.with("Patient", "birthDate", MaskRule::Year { floor })
        .with("Patient", "deathDate", MaskRule::Year { floor })
        .with("Patient", "postalCode", MaskRule::Prefix { keep: 3 })
        .with(
            "Patient",
            "id",
            MaskRule::ReplaceInvertible(
                Arc::new(move |v| pseudonym.pseudonym_value(v)),
                Arc::new(move |state, shown| match shown {
                    Value::String(s) => inverse.patient_id(state, s).map(Value::String),
                    _ => None,
                }),
            ),
        )
}

/// Builds the engine policy of each caller. The admin's and the analyst's
/// do not depend on the graph and are made once; a clinician's carries the
/// scope of the graph version it runs on.
#[derive(Clone)]
pub struct PolicyBuilder {
    scopes: ScopeCache,
    admin: Arc<AccessPolicy>,
    analyst: Arc<AccessPolicy>,
    key: PseudonymKey,
}

impl std::fmt::Debug for PolicyBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PolicyBuilder").finish_non_exhaustive()
    }
}

impl PolicyBuilder {
    /// A builder whose analysts see pseudonyms made with `key`.
    pub fn new(key: PseudonymKey) -> PolicyBuilder {
        let this_year = chrono::Utc::now().year();
        let admin = AccessPolicy::audit_only(patient_model());
        let analyst = AccessPolicy {
            mask: Some(Arc::new(deidentification(&key, this_year))),
            ..admin.clone()
        };
        PolicyBuilder {
            scopes: ScopeCache::new(),
            admin: Arc::new(admin),
            analyst: Arc::new(analyst),
            key,
        }
    }

    /// The pseudonym key.
    pub fn key(&self) -> &PseudonymKey {
        &self.key
    }

    /// The scopes, computed per organization set and graph version.
    pub fn scopes(&self) -> &ScopeCache {
        &self.scopes
    }

    /// The policy of `clearance` for queries on `state` (or on a write
    /// transaction started from it).
    pub fn policy(&self, clearance: &Clearance, state: &GraphState) -> Arc<AccessPolicy> {
        match clearance {
            Clearance::Admin => self.admin.clone(),
            Clearance::Analyst => self.analyst.clone(),
            Clearance::Clinician(orgs) => Arc::new(AccessPolicy {
                scope: Some(self.scopes.scope(orgs, state)),
                ..AccessPolicy::clone(&self.admin)
            }),
        }
    }
}
