//! A clinician's scope: the patients with an encounter, a claim or a
//! registration at one of their organizations, computed from the
//! organizations' side once per graph version and cached.

use std::sync::Arc;

use cypher::security::SubjectScope;
use graph_model::{Direction, GraphState, NodeId, Value};

/// `(organization, relationship from the patient-side record to it,
/// relationship from the patient to that record)`; `None`: the patient
/// points at the organization directly.
const PATHS: [(&str, Option<&str>); 3] = [
    ("AT_ORGANIZATION", Some("HAD_ENCOUNTER")),
    ("BILLED_BY", Some("HAS_CLAIM")),
    ("REGISTERED_AT", None),
];

/// Scopes by (sorted organization ids, graph version).
#[derive(Clone)]
pub struct ScopeCache {
    cache: moka::sync::Cache<(Vec<String>, u64), Arc<SubjectScope>>,
}

impl Default for ScopeCache {
    fn default() -> Self {
        ScopeCache::new()
    }
}

impl ScopeCache {
    /// An empty cache (256 organization sets).
    pub fn new() -> ScopeCache {
        ScopeCache {
            cache: moka::sync::Cache::new(256),
        }
    }

    /// The scope of `orgs` on `state`.
    pub fn scope(&self, orgs: &[String], state: &GraphState) -> Arc<SubjectScope> {
        let mut key_orgs = orgs.to_vec();
        key_orgs.sort();
        key_orgs.dedup();
        let key = (key_orgs, state.lsn());
        self.cache.get_with(key, || Arc::new(compute(orgs, state)))
    }
}

fn org_nodes(orgs: &[String], state: &GraphState) -> Vec<NodeId> {
    orgs.iter()
        .filter_map(|id| {
            state.find_node_by_name("Organization", "id", &Value::String(id.as_str().into()))
        })
        .collect()
}

fn compute(orgs: &[String], state: &GraphState) -> SubjectScope {
    let mut visible = Vec::new();
    for org in org_nodes(orgs, state) {
        for (to_org, from_patient) in PATHS {
            let Some(to_org) = state.rel_type_id(to_org) else {
                continue;
            };
            let via = match from_patient {
                None => None,
                Some(name) => match state.rel_type_id(name) {
                    Some(via) => Some(via),
                    // No such records in the graph: nobody through them.
                    None => continue,
                },
            };
            for record in state.neighbors(org, Direction::Incoming, Some(to_org)) {
                match via {
                    Some(via) => visible.extend(
                        state
                            .neighbors(record.other, Direction::Incoming, Some(via))
                            .map(|n| n.other),
                    ),
                    None => visible.push(record.other),
                }
            }
        }
    }
    let orgs = orgs.to_vec();
    SubjectScope::new(
        state.node_id_bound(),
        visible,
        Some(Arc::new(move |state: &GraphState, id: NodeId| {
            patient_in_scope(state, id, &orgs)
        })),
    )
}

/// `true` when the patient `id` has an encounter, a claim or a
/// registration at one of `orgs` in `state` (looked at from the patient:
/// for patients created after a scope was computed, and single checks).
pub fn patient_in_scope(state: &GraphState, id: NodeId, orgs: &[String]) -> bool {
    let orgs = org_nodes(orgs, state);
    if orgs.is_empty() {
        return false;
    }
    PATHS.iter().any(|(to_org, from_patient)| {
        let Some(to_org) = state.rel_type_id(to_org) else {
            return false;
        };
        let reaches = |node: NodeId| {
            state
                .neighbors(node, Direction::Outgoing, Some(to_org))
                .any(|n| orgs.contains(&n.other))
        };
        match from_patient {
            None => reaches(id),
            Some(via) => state.rel_type_id(via).is_some_and(|via| {
                state
                    .neighbors(id, Direction::Outgoing, Some(via))
                    .any(|record| reaches(record.other))
            }),
        }
    })
}
