//! `/graphql`: GraphQL over HTTP (`POST`), `GraphiQL` (`GET` from a browser)
//! and subscriptions over websocket (`GET` with an upgrade,
//! graphql-transport-ws). The schema itself lives in `crate::graphql`.
//!
//! Every request's [`Principal`] is in the async-graphql request data
//! (`ctx.data::<Principal>()`): from the bearer token of a `POST`, and for
//! a subscription from the upgrade's `Authorization` header or else the
//! `connection_init` payload `{"Authorization": "Bearer ..."}` (a
//! connection without a valid one is closed). See [`super::auth`].

use std::time::Duration;

use actix_web::{http::header, web, Either, HttpMessage as _, HttpRequest, HttpResponse};
use async_graphql::dynamic::Schema;
use async_graphql::http::GraphiQLSource;
use async_graphql::Data;
use async_graphql_actix_web::{GraphQLResponse, GraphQLSubscription};
use serde_json::json;

use super::AppState;
use crate::audit::{Door, Outcome};
use crate::auth::Principal;
use crate::graphql::GqlError;
use crate::security::{Caller, RequestAccess};

/// The route.
pub const ROUTE: &str = "/graphql";

/// The media type of a GraphQL answer over HTTP (as
/// `async_graphql_actix_web::GraphQLResponse` sends it).
const GRAPHQL_RESPONSE_JSON: &str = "application/graphql-response+json";

/// The schema and its request time limit, shared by the workers.
pub struct GraphqlService {
    /// The schema.
    pub schema: Schema,
    /// Time limit of one request.
    pub timeout: Duration,
    /// Parsed documents by query text.
    pub documents: crate::graphql::DocumentCache,
    /// What the schema's resolvers share (the read fast path runs on it).
    pub api: std::sync::Arc<crate::graphql::Api>,
    /// Read queries answered without the executor's walk.
    pub fast: crate::graphql::fast::FastPath,
}

pub(crate) async fn execute(
    state: web::Data<AppState>,
    service: web::Data<GraphqlService>,
    http_request: HttpRequest,
    body: web::Bytes,
) -> Either<GraphQLResponse, HttpResponse> {
    let request = match read_request(&http_request, &body).await {
        Ok(request) => request,
        Err(error) => return Either::Right(HttpResponse::from_error(error)),
    };
    if request.query.len() > state.max_query_bytes {
        state.metrics.count_request(ROUTE, 413);
        let message = format!(
            "the query is {} bytes, more than the limit of {} bytes",
            request.query.len(),
            state.max_query_bytes
        );
        return Either::Right(HttpResponse::PayloadTooLarge().json(
            json!({"errors": [{"message": message, "extensions": {"code": "PAYLOAD_TOO_LARGE"}}]}),
        ));
    }
    let started = std::time::Instant::now();
    let access = super::request_access(&state, &http_request);
    let plan = service
        .fast
        .plan(&request.query, request.operation_name.as_deref());
    let fast = match plan.as_ref().filter(|plan| plan.is_validated()) {
        Some(plan) => {
            let answer = service
                .fast
                .execute(plan, &service.api, &access, &request.variables);
            match tokio::time::timeout(service.timeout, answer).await {
                Ok(answer) => answer.map(Either::Left),
                Err(_) => Some(Either::Right(timed_out(service.timeout))),
            }
        }
        None => None,
    };
    if let Some(Either::Left(answer)) = fast {
        // Answered by the fast path: no errors.
        if super::audit(&state, &access, Door::GraphQL, &request.query, Outcome::Ok).is_err() {
            state.metrics.count_request(ROUTE, 200);
            state.metrics.observe_graphql(started.elapsed(), false);
            return Either::Left(unaudited().into());
        }
        state.metrics.count_request(ROUTE, 200);
        state.metrics.observe_graphql(started.elapsed(), true);
        return Either::Right(
            HttpResponse::Ok()
                .content_type(GRAPHQL_RESPONSE_JSON)
                .body(answer.body.clone()),
        );
    }
    let operation;
    let response = match fast {
        Some(Either::Right(response)) => {
            operation = request.query;
            response
        }
        _ => {
            operation = request.query.clone();
            let request = service.documents.prepare(request).data(access.clone());
            // A fast path that gave up (an error to report) spent some of
            // the request's time.
            let left = service.timeout.saturating_sub(started.elapsed());
            let response = match tokio::time::timeout(left, service.schema.execute(request)).await {
                Ok(response) => response,
                Err(_) => timed_out(service.timeout),
            };
            if let (Some(plan), true) = (&plan, response.errors.is_empty()) {
                plan.mark_validated();
            }
            response
        }
    };
    let code_of = |e: &async_graphql::ServerError| {
        e.extensions
            .as_ref()
            .and_then(|x| x.get("code"))
            .map(|c| c.to_string().trim_matches('"').to_owned())
    };
    let outcome = match response.errors.first() {
        None => Outcome::Ok,
        Some(_)
            if response
                .errors
                .iter()
                .any(|e| code_of(e).as_deref() == Some("FORBIDDEN")) =>
        {
            Outcome::Refused
        }
        Some(e) => Outcome::Error(code_of(e).unwrap_or_else(|| "GRAPHQL_ERROR".into())),
    };
    let response = match super::audit(&state, &access, Door::GraphQL, &operation, outcome) {
        Ok(()) => response,
        Err(_) => unaudited(),
    };
    state.metrics.count_request(ROUTE, 200);
    state
        .metrics
        .observe_graphql(started.elapsed(), response.errors.is_empty());
    Either::Left(response.into())
}

/// The GraphQL request of a `POST` body, read as
/// `async_graphql_actix_web::GraphQLRequest` reads it (JSON, or multipart
/// with uploads; the same errors), from the body the framework has already
/// collected rather than through a spawned task and a channel.
async fn read_request(
    http_request: &HttpRequest,
    body: &[u8],
) -> Result<async_graphql::Request, actix_web::Error> {
    let content_type = http_request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok());
    let options = http_request
        .app_data::<async_graphql::http::MultipartOptions>()
        .copied()
        .unwrap_or_default();
    let batch = async_graphql::http::receive_batch_body(content_type, body, options)
        .await
        .map_err(|error| match error {
            async_graphql::ParseRequestError::PayloadTooLarge => {
                actix_web::error::ErrorPayloadTooLarge(error)
            }
            _ => actix_web::error::ErrorBadRequest(error),
        })?;
    batch
        .into_single()
        .map_err(actix_web::error::ErrorBadRequest)
}

/// The answer to a request the audit log could not record.
fn unaudited() -> async_graphql::Response {
    async_graphql::Response::from_errors(vec![GqlError::Unavailable(
        "the audit log cannot record this request, so it is not answered".into(),
    )
    .into_server_error()])
}

/// The answer to a request that ran out of time.
fn timed_out(limit: Duration) -> async_graphql::Response {
    async_graphql::Response::from_errors(vec![GqlError::Timeout(limit).into_server_error()])
}

/// The principal of a websocket's `connection_init` payload
/// (`{"Authorization": "Bearer ..."}`, the key in any case).
fn principal_of_payload(
    state: &AppState,
    payload: &serde_json::Value,
) -> async_graphql::Result<Principal> {
    let header = payload.as_object().and_then(|fields| {
        fields
            .iter()
            .find(|(key, _)| key.eq_ignore_ascii_case("authorization"))
            .and_then(|(_, value)| value.as_str())
    });
    let principal = state.auth.verify_header(header).map_err(|e| {
        tracing::debug!(reason = %e, "GraphQL websocket refused: not authenticated");
        async_graphql::Error::new(e.to_string())
    })?;
    state.auth.check_rate(&principal).map_err(|limited| {
        tracing::debug!(sub = %principal.sub, "GraphQL websocket refused: rate limit");
        async_graphql::Error::new(limited.to_string())
    })?;
    Ok(principal)
}

pub(crate) async fn graphiql_or_websocket(
    state: web::Data<AppState>,
    service: web::Data<GraphqlService>,
    request: HttpRequest,
    payload: web::Payload,
) -> actix_web::Result<HttpResponse> {
    let upgrade = request
        .headers()
        .get(header::UPGRADE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.eq_ignore_ascii_case("websocket"));
    if upgrade {
        // The middleware has checked an Authorization header, when there
        // was one; otherwise the connection_init payload must carry it.
        let from_header = request.extensions().get::<Principal>().cloned();
        return GraphQLSubscription::new(service.schema.clone())
            .on_connection_init(move |init| async move {
                let principal = match from_header {
                    Some(principal) => principal,
                    None => principal_of_payload(&state, &init)?,
                };
                let access = RequestAccess::streaming(
                    Caller::of(&principal),
                    state.policies.clone(),
                    state.audit.clone(),
                );
                let mut data = Data::default();
                data.insert(principal);
                data.insert(access);
                Ok(data)
            })
            .start(&request, payload);
    }
    let html = GraphiQLSource::build()
        .endpoint(ROUTE)
        .subscription_endpoint(ROUTE)
        .title("CareGraph GraphiQL")
        .finish();
    Ok(HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .body(html))
}
