//! CDS Hooks 2.0, the HL7 standard EHRs call for decision support:
//! `GET /cds-services` (discovery) and `POST /cds-services/{id}` for two
//! services:
//! - `caregraph-medication-suggestions` (hook `patient-view`): the
//!   patient's top recommendations as `info` cards, their evidence in the
//!   detail, each with a suggestion to draft the order;
//! - `caregraph-order-check` (hook `order-select`): each drafted
//!   `MedicationRequest` (`RxNorm`) checked against the patient's allergies
//!   and active medications: `critical` cards for allergy conflicts and
//!   contraindicated interactions, `warning` for major interactions and
//!   duplicates, no card when the order is clean.
//!
//! The patient's data is read from the graph (refreshed at each call), so
//! no prefetch is asked for. Errors: `400` naming the JSON path of a bad
//! field, `404` for an unknown service, `412` for a patient the graph does
//! not have (the specification's status for data the service cannot get),
//! `503` while the recommender is being built.

pub mod cards;
pub mod error;
pub mod request;

use std::sync::Arc;

use actix_web::{web, HttpResponse};
use recommender::Method;
use serde_json::{json, Value};

use self::error::CdsError;
use super::AppState;
use crate::audit::{Door, Outcome};
use crate::graphql::recommend::RecommendService;
use crate::graphql::GqlError;
use crate::security::{CareRefusal, RequestAccess};

/// The discovery route.
pub const DISCOVERY_ROUTE: &str = "/cds-services";
/// The route of one service.
pub const SERVICE_ROUTE: &str = "/cds-services/{id}";

/// The `patient-view` service.
pub const SUGGESTIONS_SERVICE: &str = "caregraph-medication-suggestions";
/// The `order-select` service.
pub const ORDER_CHECK_SERVICE: &str = "caregraph-order-check";

/// Cards of the `patient-view` service.
const SUGGESTIONS: usize = 5;

/// One service of the discovery answer.
struct Service {
    id: &'static str,
    hook: &'static str,
    title: &'static str,
    description: &'static str,
}

const SERVICES: [Service; 2] = [
    Service {
        id: SUGGESTIONS_SERVICE,
        hook: "patient-view",
        title: "CareGraph medication suggestions",
        description: "The medications doctors prescribe in similar cases, safest first (none the patient takes or took, none an allergy excludes), with the counted graph paths behind each.",
    },
    Service {
        id: ORDER_CHECK_SERVICE,
        hook: "order-select",
        title: "CareGraph order check",
        description: "Checks drafted MedicationRequests (RxNorm) against the patient's allergies and active medications: critical cards for allergy conflicts and contraindicated interactions, warnings for major interactions and duplicates.",
    },
];

/// What the CDS handlers share: the recommender the GraphQL API built.
pub struct CdsService {
    recommendations: Option<Arc<RecommendService>>,
}

impl CdsService {
    /// Services answering from `recommendations` (`None`: every call
    /// answers `503`).
    pub fn new(recommendations: Option<Arc<RecommendService>>) -> CdsService {
        CdsService { recommendations }
    }

    fn recommender(&self) -> Result<Arc<RecommendService>, CdsError> {
        self.recommendations.clone().ok_or_else(|| {
            CdsError::Unavailable("recommendations are not served by this server".into())
        })
    }
}

/// `GET /cds-services`.
pub(crate) async fn discovery(state: web::Data<AppState>) -> HttpResponse {
    state.metrics.count_request(DISCOVERY_ROUTE, 200);
    let services: Vec<Value> = SERVICES
        .iter()
        .map(|s| {
            json!({
                "hook": s.hook,
                "id": s.id,
                "title": s.title,
                "description": s.description,
                "prefetch": {},
            })
        })
        .collect();
    HttpResponse::Ok().json(json!({ "services": services }))
}

/// `POST /cds-services/{id}`.
pub(crate) async fn call(
    state: web::Data<AppState>,
    cds: web::Data<CdsService>,
    http_request: actix_web::HttpRequest,
    id: web::Path<String>,
    body: web::Bytes,
) -> HttpResponse {
    let access = super::request_access(&state, &http_request);
    let result = answer(&cds, &state, &access, &id, &body).await;
    let outcome = match &result {
        Ok(_) => Outcome::Ok,
        Err(CdsError::Forbidden(_)) => Outcome::Refused,
        Err(e) => Outcome::Error(e.code().to_owned()),
    };
    if let Err(e) = super::audit(
        &state,
        &access,
        Door::CdsHooks,
        &format!("cds-services/{id}"),
        outcome,
    ) {
        return HttpResponse::ServiceUnavailable().json(e);
    }
    let response = match result {
        Ok(cards) => HttpResponse::Ok().json(json!({ "cards": cards })),
        Err(error) => {
            if let CdsError::Internal(message) = &error {
                tracing::error!(service = %id, %message, "CDS Hooks call failed");
            }
            HttpResponse::build(error.status()).json(error.body())
        }
    };
    state
        .metrics
        .count_request(SERVICE_ROUTE, response.status().as_u16());
    response
}

async fn answer(
    cds: &CdsService,
    state: &AppState,
    access: &RequestAccess,
    id: &str,
    body: &[u8],
) -> Result<Vec<Value>, CdsError> {
    let service = SERVICES
        .iter()
        .find(|s| s.id == id)
        .ok_or_else(|| CdsError::UnknownService(id.to_owned()))?;
    let request = request::parse(body, service.hook)?;
    access
        .care_for(&state.db.snapshot(), &request.patient_id)
        .map_err(|refusal| match refusal {
            CareRefusal::Analyst => CdsError::Forbidden(refusal.message().into()),
            CareRefusal::NoSuchPatient => CdsError::UnknownPatient(request.patient_id.clone()),
        })?;
    let recommendations = cds.recommender()?;
    match service.id {
        SUGGESTIONS_SERVICE => {
            let patient = request.patient_id.clone();
            let method = Method::Hybrid;
            let found = blocking(move || recommendations.recommend(&patient, SUGGESTIONS, method))
                .await?
                .map_err(|e| from_gql(e, &request.patient_id))?;
            Ok(cards::recommendation_cards(
                &request.patient_id,
                method.name(),
                &found,
            ))
        }
        _ => {
            let drafts = request::draft_medications(&request.context)?;
            let patient = request.patient_id.clone();
            let checks = blocking(move || {
                drafts
                    .into_iter()
                    .map(|draft| {
                        let check = recommendations.order_check(
                            &patient,
                            &draft.code,
                            draft.display.as_deref(),
                        );
                        (draft, check)
                    })
                    .collect::<Vec<_>>()
            })
            .await?;
            let mut out = Vec::new();
            for (draft, check) in checks {
                match check {
                    Ok(check) => out.extend(cards::order_cards(&draft, &check)),
                    Err(GqlError::NotFound { label, .. }) if label == "Medication" => {
                        out.push(cards::unchecked_card(&draft));
                    }
                    Err(e) => return Err(from_gql(e, &request.patient_id)),
                }
            }
            Ok(out)
        }
    }
}

/// Runs recommender work (Cypher reads) off the async workers.
async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> T + Send + 'static,
) -> Result<T, CdsError> {
    web::block(work)
        .await
        .map_err(|e| CdsError::Internal(e.to_string()))
}

fn from_gql(error: GqlError, patient_id: &str) -> CdsError {
    match error {
        GqlError::NotFound { label, .. } if label == "Patient" => {
            CdsError::UnknownPatient(patient_id.to_owned())
        }
        GqlError::Unavailable(message) => CdsError::Unavailable(message),
        other => CdsError::Internal(other.to_string()),
    }
}
