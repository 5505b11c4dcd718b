//! `POST /fhir`: real-time ingestion of a Bundle or an NDJSON stream.

use std::sync::atomic::Ordering;

use actix_web::{http::header, web, HttpRequest, HttpResponse};
use graph_model::fhir::{InputKind, LoadOptions, Loader};

use super::{error_body, AppState};

/// The input kind a Content-Type names.
pub fn kind_of(content_type: &str) -> Option<InputKind> {
    let media = content_type
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    match media.as_str() {
        "application/fhir+json" | "application/json" | "application/json+fhir" => {
            Some(InputKind::Json)
        }
        "application/fhir+ndjson" | "application/x-ndjson" | "application/ndjson" => {
            Some(InputKind::Ndjson)
        }
        _ => None,
    }
}

pub(crate) async fn ingest(
    state: web::Data<AppState>,
    request: HttpRequest,
    body: web::Bytes,
) -> HttpResponse {
    let access = super::request_access(&state, &request);
    if access.caller.clearance != crate::security::Clearance::Admin {
        state.metrics.count_request("/fhir", 403);
        let _ = super::audit(
            &state,
            &access,
            crate::audit::Door::Fhir,
            "POST /fhir",
            crate::audit::Outcome::Refused,
        );
        return HttpResponse::Forbidden().json(error_body(
            "forbidden",
            "FHIR ingestion is for administrators",
        ));
    }
    let content_type = request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let Some(kind) = kind_of(content_type) else {
        state.metrics.count_request("/fhir", 415);
        return HttpResponse::UnsupportedMediaType().json(error_body(
            "UNSUPPORTED_MEDIA_TYPE",
            format!("Content-Type `{content_type}`: send application/fhir+json (a Bundle or one resource) or application/fhir+ndjson"),
        ));
    };
    let worker_state = state.clone();
    let result = web::block(move || {
        let options = match &worker_state.data_dir {
            Some(dir) => LoadOptions::for_data_dir(dir),
            None => LoadOptions::default(),
        };
        let mut loader = Loader::new(&worker_state.db, options)?;
        loader.load_bytes("POST /fhir", kind, body.to_vec())?;
        loader.finish()
    })
    .await;
    match result {
        Ok(Ok(report)) => {
            state
                .metrics
                .fhir_records_loaded
                .fetch_add(report.records_loaded, Ordering::Relaxed);
            state
                .metrics
                .fhir_records_rejected
                .fetch_add(report.records_rejected, Ordering::Relaxed);
            let status = if report.records_rejected > 0 {
                422
            } else {
                200
            };
            state.metrics.count_request("/fhir", status);
            let operation = format!(
                "POST /fhir: {} records loaded, {} rejected",
                report.records_loaded, report.records_rejected
            );
            // The load is committed whatever the log says; a failure to
            // record it is logged (by `audit`) and the report still sent.
            let _ = super::audit(
                &state,
                &access,
                crate::audit::Door::Fhir,
                &operation,
                crate::audit::Outcome::Ok,
            );
            if status == 422 {
                HttpResponse::UnprocessableEntity().json(&report)
            } else {
                HttpResponse::Ok().json(&report)
            }
        }
        Ok(Err(e)) => {
            tracing::error!(error = %e, "POST /fhir failed");
            state.metrics.count_request("/fhir", 500);
            HttpResponse::InternalServerError().json(error_body("LOAD_FAILED", e.to_string()))
        }
        Err(e) => {
            state.metrics.count_request("/fhir", 500);
            HttpResponse::InternalServerError().json(error_body("LOAD_FAILED", e.to_string()))
        }
    }
}
