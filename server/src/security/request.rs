//! One request's caller, the engine options it gets, and the patients its
//! queries touched (collected for the audit record of the request).

use std::collections::BTreeSet;
use std::sync::Arc;

use cypher::{QueryOptions, QueryOutput};
use graph_model::{GraphState, Value};
use parking_lot::Mutex;

use super::{Clearance, PolicyBuilder};
use crate::audit::{AuditError, AuditEvent, AuditLog, Door, Outcome};
use crate::auth::{Principal, Role};

/// Who is asking.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Caller {
    /// The token's `sub` (or the user name).
    pub subject: String,
    /// What they may see.
    pub clearance: Clearance,
}

impl Caller {
    /// The caller a token or user stands for.
    pub fn of(principal: &Principal) -> Caller {
        let clearance = match principal.effective_role() {
            Role::Admin => Clearance::Admin,
            Role::Clinician => Clearance::Clinician(principal.orgs.clone()),
            Role::Analyst | Role::Service => Clearance::Analyst,
        };
        Caller {
            subject: principal.sub.clone(),
            clearance,
        }
    }

    /// A caller who sees no patient (a request that reached a handler
    /// without a principal while authentication is on).
    pub fn nobody() -> Caller {
        Caller {
            subject: "unauthenticated".into(),
            clearance: Clearance::Clinician(Vec::new()),
        }
    }
}

/// A request in flight: its caller and the patients it touched.
#[derive(Debug)]
pub struct RequestAccess {
    /// Who is asking.
    pub caller: Caller,
    policies: PolicyBuilder,
    touched: Mutex<BTreeSet<String>>,
    /// Where a long-lived request (a subscription) records what it
    /// delivers; short requests are recorded by their door when they end.
    audit: Option<Arc<AuditLog>>,
}

impl RequestAccess {
    /// A request of `caller`, with policies from `policies`.
    pub fn new(caller: Caller, policies: PolicyBuilder) -> Arc<RequestAccess> {
        Arc::new(RequestAccess {
            caller,
            policies,
            touched: Mutex::new(BTreeSet::new()),
            audit: None,
        })
    }

    /// A long-lived request (a subscription) that records each delivery
    /// in `audit`.
    pub fn streaming(
        caller: Caller,
        policies: PolicyBuilder,
        audit: Arc<AuditLog>,
    ) -> Arc<RequestAccess> {
        Arc::new(RequestAccess {
            caller,
            policies,
            touched: Mutex::new(BTreeSet::new()),
            audit: Some(audit),
        })
    }

    /// Records one delivery of a long-lived request that showed these
    /// patients (nothing for a short request: its door records it).
    pub fn record_delivery(
        &self,
        operation: &str,
        patient_ids: Vec<String>,
    ) -> Result<(), AuditError> {
        match &self.audit {
            Some(audit) => self.record(audit, Door::GraphQL, operation, patient_ids, Outcome::Ok),
            None => Ok(()),
        }
    }

    /// Appends this caller's record to `log`: for a request that touched
    /// `patient_ids`, was refused, or loaded FHIR (loads write patient
    /// records: always recorded, with who, when and how many). Anything
    /// else touched no patient-level data and leaves no record.
    pub fn record(
        &self,
        log: &AuditLog,
        door: Door,
        operation: &str,
        patient_ids: Vec<String>,
        outcome: Outcome,
    ) -> Result<(), AuditError> {
        if patient_ids.is_empty() && outcome != Outcome::Refused && door != Door::Fhir {
            return Ok(());
        }
        log.append(AuditEvent {
            subject: self.caller.subject.clone(),
            role: self.caller.clearance.role_name().to_owned(),
            door,
            operation: operation.to_owned(),
            patient_ids,
            outcome,
        })
    }

    /// Patient-level care (recommendations, CDS Hooks) about `patient_id`:
    /// for administrators, and for clinicians about their own patients
    /// (others do not exist for them). Notes the patient when allowed.
    pub fn care_for(&self, state: &GraphState, patient_id: &str) -> Result<(), CareRefusal> {
        if self.caller.clearance == Clearance::Analyst {
            return Err(CareRefusal::Analyst);
        }
        if !self.sees_patient(state, patient_id) {
            return Err(CareRefusal::NoSuchPatient);
        }
        self.note([patient_id.to_owned()]);
        Ok(())
    }

    /// The policies this request's queries run under.
    pub fn policies(&self) -> &PolicyBuilder {
        &self.policies
    }

    /// `options` with the caller's policy for queries on `state`, and
    /// read-only for analysts.
    pub fn options(&self, mut options: QueryOptions, state: &GraphState) -> QueryOptions {
        options.policy = Some(self.policies.policy(&self.caller.clearance, state));
        options.read_only |= self.caller.clearance.read_only();
        options
    }

    /// Notes the patients a query's output touched (their ids).
    pub fn note_output(&self, output: &QueryOutput) {
        self.note(patient_ids(output));
    }

    /// Notes patients by id.
    pub fn note(&self, ids: impl IntoIterator<Item = String>) {
        self.touched.lock().extend(ids);
    }

    /// The patients touched so far, in id order.
    pub fn touched(&self) -> Vec<String> {
        self.touched.lock().iter().cloned().collect()
    }

    /// `true` when the caller may see the patient with this id in `state`.
    pub fn sees_patient(&self, state: &GraphState, patient_id: &str) -> bool {
        let Clearance::Clinician(orgs) = &self.caller.clearance else {
            return true;
        };
        state
            .find_node_by_name("Patient", "id", &Value::String(patient_id.into()))
            .is_some_and(|node| {
                self.policies
                    .scopes()
                    .scope(orgs, state)
                    .admits(state, node)
            })
    }

    /// A patient id as this caller may see it (a pseudonym for analysts).
    pub fn shown_patient_id(&self, patient_id: &str) -> String {
        match self.caller.clearance {
            Clearance::Analyst => self.policies.key().pseudonym(patient_id),
            _ => patient_id.to_owned(),
        }
    }
}

/// Why patient-level care was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CareRefusal {
    /// Analysts query the de-identified graph, not patients' care.
    Analyst,
    /// The patient does not exist for the caller (none, or out of scope).
    NoSuchPatient,
}

impl CareRefusal {
    /// Why, for the caller.
    pub fn message(self) -> &'static str {
        match self {
            CareRefusal::Analyst => {
                "this is patient-level care; analysts query the de-identified graph"
            }
            CareRefusal::NoSuchPatient => "no such patient",
        }
    }
}

/// The ids (the `id` property, unmasked) of the patients a query touched.
pub fn patient_ids(output: &QueryOutput) -> Vec<String> {
    let state = &output.graph;
    let Some(key) = state.prop_key_id("id") else {
        return Vec::new();
    };
    output
        .touched_subjects
        .iter()
        .filter_map(|node| match state.node(*node)?.property(key)? {
            Value::String(s) => Some(s.to_string()),
            _ => None,
        })
        .collect()
}
