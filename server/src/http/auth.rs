//! Authentication of HTTP requests: a middleware that checks the bearer
//! token of every request but `GET /health` (and the `GraphiQL` page, see
//! below), applies the per-principal rate limit and the body size limit,
//! and leaves the [`Principal`] in the request's extensions, where handlers
//! take it with the [`AuthedPrincipal`] extractor.
//!
//! Refusals are `401` with `WWW-Authenticate: Bearer realm="caregraph"`
//! (plus `error` and `error_description`, RFC 6750, when a token was sent
//! and refused) and a JSON body in the shape of the route: Neo4j's
//! `{"errors": [{"code", "message"}]}` on the Query API, GraphQL's
//! `{"errors": [{"message", "extensions": {"code"}}]}` on `/graphql`,
//! `{"error": {"code", "message"}}` elsewhere. Over the rate limit: `429`
//! with `Retry-After`. The token itself is never logged.
//!
//! `GET /graphql` without a websocket upgrade is the `GraphiQL` page, a
//! static page served without a token (the queries it sends need one: set
//! the `Authorization` header in its headers pane). A websocket upgrade on
//! `/graphql` may carry the token in its `Authorization` header, or else in
//! the `connection_init` payload (`{"Authorization": "Bearer ..."}`),
//! which [`super::graphql`] checks.

use std::future::{ready, Ready};

use actix_web::body::BoxBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::{header, Method, StatusCode};
use actix_web::middleware::Next;
use actix_web::{web, FromRequest, HttpMessage as _, HttpRequest, HttpResponse};
use serde_json::json;

use super::AppState;
use crate::auth::{AuthError, Principal, RateLimited};

/// The realm of `WWW-Authenticate`.
pub const REALM: &str = "caregraph";
/// The Neo4j status code of refused credentials.
pub const UNAUTHORIZED: &str = "Neo.ClientError.Security.Unauthorized";
/// The Neo4j status code of a request over the rate limit.
pub const RESOURCE_EXHAUSTION: &str = "Neo.TransientError.Request.ResourceExhaustion";

/// The principal of an authenticated request, for handlers:
/// `async fn handler(AuthedPrincipal(principal): AuthedPrincipal, ...)`.
/// (With [`crate::auth::AuthConfig::disabled`] it is
/// [`Principal::embedded`].)
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuthedPrincipal(pub Principal);

impl FromRequest for AuthedPrincipal {
    type Error = actix_web::Error;
    type Future = Ready<Result<AuthedPrincipal, actix_web::Error>>;

    fn from_request(req: &HttpRequest, _: &mut actix_web::dev::Payload) -> Self::Future {
        ready(match req.extensions().get::<Principal>() {
            Some(principal) => Ok(AuthedPrincipal(principal.clone())),
            None => {
                // Only a route the middleware lets through unauthenticated
                // gets here.
                let response = refusal(Surface::of(req.path()), &AuthError::Missing);
                Err(
                    actix_web::error::InternalError::from_response(AuthError::Missing, response)
                        .into(),
                )
            }
        })
    }
}

/// Which kind of error body a route speaks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Surface {
    QueryApi,
    Graphql,
    Plain,
}

impl Surface {
    fn of(path: &str) -> Surface {
        if path.starts_with("/db/") {
            Surface::QueryApi
        } else if path == super::graphql::ROUTE || path.starts_with("/graphql/") {
            Surface::Graphql
        } else {
            Surface::Plain
        }
    }

    fn body(
        self,
        neo4j_code: &str,
        graphql_code: &str,
        plain_code: &str,
        message: &str,
    ) -> serde_json::Value {
        match self {
            Surface::QueryApi => json!({"errors": [{"code": neo4j_code, "message": message}]}),
            Surface::Graphql => {
                json!({"errors": [{"message": message, "extensions": {"code": graphql_code}}]})
            }
            Surface::Plain => super::error_body(plain_code, message),
        }
    }
}

/// A quoted-string of an HTTP header parameter.
fn quoted(text: &str) -> String {
    text.chars()
        .map(|c| {
            if c == '"' || c == '\\' || c.is_control() {
                '\''
            } else {
                c
            }
        })
        .collect()
}

/// The `WWW-Authenticate` value for a refusal.
pub fn www_authenticate(error: &AuthError) -> String {
    match error.bearer_error() {
        None => format!("Bearer realm=\"{REALM}\""),
        Some(code) => format!(
            "Bearer realm=\"{REALM}\", error=\"{code}\", error_description=\"{}\"",
            quoted(&error.to_string())
        ),
    }
}

fn refusal(surface: Surface, error: &AuthError) -> HttpResponse {
    HttpResponse::Unauthorized()
        .insert_header((header::WWW_AUTHENTICATE, www_authenticate(error)))
        .json(surface.body(
            UNAUTHORIZED,
            "UNAUTHENTICATED",
            "unauthorized",
            &error.to_string(),
        ))
}

fn too_many(surface: Surface, limited: &RateLimited) -> HttpResponse {
    HttpResponse::TooManyRequests()
        .insert_header((header::RETRY_AFTER, limited.retry_after_secs().to_string()))
        .json(surface.body(
            RESOURCE_EXHAUSTION,
            "RATE_LIMITED",
            "rate_limited",
            &limited.to_string(),
        ))
}

fn too_large(surface: Surface, limit: usize) -> HttpResponse {
    let message = format!("the request body is larger than the limit of {limit} bytes");
    HttpResponse::PayloadTooLarge().json(surface.body(
        super::query::REQUEST_INVALID,
        "PAYLOAD_TOO_LARGE",
        "payload_too_large",
        &message,
    ))
}

fn is_websocket(req: &ServiceRequest) -> bool {
    req.headers()
        .get(header::UPGRADE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.eq_ignore_ascii_case("websocket"))
}

/// What a request needs before its handler runs.
enum Gate {
    /// `/health` and the `GraphiQL` page: nothing.
    Open,
    /// A websocket upgrade without an `Authorization` header: the handler
    /// checks the `connection_init` payload.
    TokenInPayload,
    /// A bearer token.
    Token,
}

fn gate(req: &ServiceRequest) -> Gate {
    let path = req.path();
    let get = req.method() == Method::GET;
    if get && path == "/health" {
        return Gate::Open;
    }
    if get && path == super::graphql::ROUTE {
        if !is_websocket(req) {
            return Gate::Open;
        }
        if !req.headers().contains_key(header::AUTHORIZATION) {
            return Gate::TokenInPayload;
        }
    }
    Gate::Token
}

/// The middleware (`actix_web::middleware::from_fn(authenticate)`).
pub async fn authenticate(
    req: ServiceRequest,
    next: Next<BoxBody>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let Some(state) = req.app_data::<web::Data<AppState>>().cloned() else {
        return Ok(req.into_response(
            HttpResponse::InternalServerError()
                .json(super::error_body("internal", "no server state")),
        ));
    };
    let surface = Surface::of(req.path());
    let route = req
        .match_pattern()
        .unwrap_or_else(|| "unmatched".to_owned());
    let declared_length = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    if declared_length.is_some_and(|n| n > state.max_body_bytes) {
        state.metrics.count_request(&route, 413);
        return Ok(req.into_response(too_large(surface, state.max_body_bytes)));
    }
    match gate(&req) {
        Gate::Open | Gate::TokenInPayload => return next.call(req).await,
        Gate::Token => {}
    }
    let header = req
        .headers()
        .get(header::AUTHORIZATION)
        .map(|v| v.to_str().unwrap_or(""));
    let principal = match state.auth.verify_header(header) {
        Ok(principal) => principal,
        Err(error) => {
            tracing::debug!(route = %route, reason = %error, "request refused: not authenticated");
            state
                .metrics
                .count_request(&route, StatusCode::UNAUTHORIZED.as_u16());
            return Ok(req.into_response(refusal(surface, &error)));
        }
    };
    if let Err(limited) = state.auth.check_rate(&principal) {
        tracing::debug!(route = %route, sub = %principal.sub, "request refused: rate limit");
        state
            .metrics
            .count_request(&route, StatusCode::TOO_MANY_REQUESTS.as_u16());
        return Ok(req.into_response(too_many(surface, &limited)));
    }
    req.extensions_mut().insert(principal);
    next.call(req).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn www_authenticate_follows_rfc_6750() {
        assert_eq!(
            www_authenticate(&AuthError::Missing),
            "Bearer realm=\"caregraph\""
        );
        let expired = www_authenticate(&AuthError::Expired);
        assert!(
            expired.starts_with(
                "Bearer realm=\"caregraph\", error=\"invalid_token\", error_description=\""
            ),
            "{expired}"
        );
        assert!(www_authenticate(&AuthError::NotBearer).contains("invalid_request"));
    }

    #[test]
    fn error_bodies_take_the_shape_of_the_route() {
        assert_eq!(Surface::of("/db/neo4j/query/v2"), Surface::QueryApi);
        assert_eq!(Surface::of("/graphql"), Surface::Graphql);
        assert_eq!(Surface::of("/metrics"), Surface::Plain);
        let body = Surface::QueryApi.body("Neo.X", "X", "x", "m");
        assert_eq!(body["errors"][0]["code"], "Neo.X");
        let body = Surface::Graphql.body("Neo.X", "X", "x", "m");
        assert_eq!(body["errors"][0]["extensions"]["code"], "X");
        let body = Surface::Plain.body("Neo.X", "X", "x", "m");
        assert_eq!(body["error"]["code"], "x");
    }
}
