//! `/graphql`: GraphQL over HTTP (`POST`), `GraphiQL` (`GET` from a browser)
//! and subscriptions over websocket (`GET` with an upgrade,
//! graphql-transport-ws). The schema itself lives in `crate::graphql`.

use std::time::Duration;

use actix_web::{http::header, web, HttpRequest, HttpResponse};
use async_graphql::dynamic::Schema;
use async_graphql::http::GraphiQLSource;
use async_graphql_actix_web::{GraphQLRequest, GraphQLResponse, GraphQLSubscription};

use super::AppState;
use crate::audit::{Door, Outcome};
use crate::graphql::GqlError;

/// The route.
pub const ROUTE: &str = "/graphql";

/// The schema and its request time limit, shared by the workers.
pub struct GraphqlService {
    /// The schema.
    pub schema: Schema,
    /// Time limit of one request.
    pub timeout: Duration,
    /// Parsed documents by query text.
    pub documents: crate::graphql::DocumentCache,
}

pub(crate) async fn execute(
    state: web::Data<AppState>,
    service: web::Data<GraphqlService>,
    http_request: HttpRequest,
    request: GraphQLRequest,
) -> GraphQLResponse {
    let started = std::time::Instant::now();
    let access = super::request_access(&state, &http_request);
    let request = request.into_inner();
    let operation = request.query.clone();
    let request = service.documents.prepare(request).data(access.clone());
    let response = match tokio::time::timeout(service.timeout, service.schema.execute(request))
        .await
    {
        Ok(response) => response,
        Err(_) => async_graphql::Response::from_errors(vec![
            GqlError::Timeout(service.timeout).into_server_error()
        ]),
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
        Err(_) => async_graphql::Response::from_errors(vec![GqlError::Unavailable(
            "the audit log cannot record this request, so it is not answered".into(),
        )
        .into_server_error()]),
    };
    state.metrics.count_request(ROUTE, 200);
    state
        .metrics
        .observe_graphql(started.elapsed(), response.errors.is_empty());
    response.into()
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
        let mut data = async_graphql::Data::default();
        data.insert(super::request_access(&state, &request));
        return GraphQLSubscription::new(service.schema.clone())
            .with_data(data)
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
