//! What a CDS Hooks request can get wrong, and the HTTP answer for each.

use actix_web::http::StatusCode;

/// A CDS Hooks request that cannot be answered with cards.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CdsError {
    /// No service with this id (`404`).
    #[error("no CDS service `{0}` (GET /cds-services lists them)")]
    UnknownService(String),
    /// The request body is wrong at a JSON path (`400`).
    #[error("{path}: {message}")]
    BadRequest {
        /// Where, e.g. `context.draftOrders.entry[0].resource.medicationCodeableConcept`.
        path: String,
        /// What is wrong.
        message: String,
    },
    /// The patient is not in the graph (`412`: the CDS Hooks status for a
    /// service that cannot get the FHIR data it needs).
    #[error("patient {0} is not in the graph")]
    UnknownPatient(String),
    /// The caller's role may not use this service (`403`).
    #[error("{0}")]
    Forbidden(String),
    /// The recommender is being built or could not be built (`503`).
    #[error("{0}")]
    Unavailable(String),
    /// A failure on this side (`500`).
    #[error("internal error: {0}")]
    Internal(String),
}

impl CdsError {
    /// A `400` at `path`.
    pub fn bad(path: impl Into<String>, message: impl Into<String>) -> CdsError {
        CdsError::BadRequest {
            path: path.into(),
            message: message.into(),
        }
    }

    /// The HTTP status.
    pub fn status(&self) -> StatusCode {
        match self {
            CdsError::UnknownService(_) => StatusCode::NOT_FOUND,
            CdsError::BadRequest { .. } => StatusCode::BAD_REQUEST,
            CdsError::UnknownPatient(_) => StatusCode::PRECONDITION_FAILED,
            CdsError::Forbidden(_) => StatusCode::FORBIDDEN,
            CdsError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            CdsError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The short code in the error body.
    pub fn code(&self) -> &'static str {
        match self {
            CdsError::UnknownService(_) => "SERVICE_NOT_FOUND",
            CdsError::BadRequest { .. } => "BAD_REQUEST",
            CdsError::UnknownPatient(_) => "PATIENT_NOT_FOUND",
            CdsError::Forbidden(_) => "FORBIDDEN",
            CdsError::Unavailable(_) => "UNAVAILABLE",
            CdsError::Internal(_) => "INTERNAL_SERVER_ERROR",
        }
    }

    /// The body: `{"error": {"code", "message", "path"?}}`.
    pub fn body(&self) -> serde_json::Value {
        let mut body = crate::http::error_body(self.code(), self.to_string());
        if let (CdsError::BadRequest { path, .. }, Some(error)) = (self, body.get_mut("error")) {
            if let Some(map) = error.as_object_mut() {
                map.insert("path".into(), serde_json::Value::String(path.clone()));
            }
        }
        body
    }
}
