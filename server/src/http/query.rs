//! `POST /db/{database}/query/v2`: Cypher over HTTP, compatible with Neo4j's
//! Query API v2.
//!
//! A request is `{"statement": "...", "parameters": {...}}`, with optional
//! `"accessMode": "READ" | "WRITE"` (`READ` refuses writing queries) and
//! `"includeCounters": true`. Success is `202` with
//! `{"data": {"fields": [...], "values": [[...], ...]}, "bookmarks": []}`,
//! plus `counters` when the query could write (or when asked for) and
//! `queryPlan` / `profiledQueryPlan` for EXPLAIN / PROFILE (see
//! [`codec`]). Errors are `{"errors": [{"code", "message"}]}` with a Neo4j
//! status code: `400` for client errors, `404` for an unknown database,
//! `503` for transient errors (the row budget ran out, the query was
//! cancelled), `500` for database errors.
//!
//! Queries run on the blocking thread pool, never on the async executor,
//! under the configured time limit. When the client goes away before the
//! answer, the query is cancelled: actix-web keeps waiting for a handler
//! whose client has disconnected, so the handler watches the connection
//! itself (see [`ClientSocket`]).

pub mod codec;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use actix_web::{http::StatusCode, web, HttpRequest, HttpResponse};
use cypher::{CypherError, QueryOptions};
use serde::Deserialize;
use serde_json::{json, Value as Json};

use super::AppState;
use crate::audit::{Door, Outcome};

/// The route, as `/metrics` counts it.
pub const ROUTE: &str = "/db/{database}/query/v2";

/// The names the graph answers to.
pub const DATABASE_NAMES: [&str; 2] = ["neo4j", "caregraph"];

/// Default time limit of one query.
pub const DEFAULT_QUERY_TIMEOUT: Duration = Duration::from_secs(30);

/// How the Query API runs queries.
#[derive(Clone, Debug)]
pub struct QuerySettings {
    /// Stop a query after this long (`None`: no limit).
    pub timeout: Option<Duration>,
}

impl Default for QuerySettings {
    fn default() -> Self {
        QuerySettings {
            timeout: Some(DEFAULT_QUERY_TIMEOUT),
        }
    }
}

/// The Neo4j status code of a malformed request.
pub const REQUEST_INVALID: &str = "Neo.ClientError.Request.Invalid";
/// The Neo4j status code of an unknown database.
pub const DATABASE_NOT_FOUND: &str = "Neo.ClientError.Database.DatabaseNotFound";

/// The body of a request.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct QueryRequest {
    statement: String,
    #[serde(default)]
    parameters: Json,
    #[serde(default)]
    access_mode: Option<String>,
    #[serde(default)]
    include_counters: bool,
}

/// `{"errors": [{"code": ..., "message": ...}]}`.
pub fn errors_body(code: &str, message: impl Into<String>) -> Json {
    json!({"errors": [{"code": code, "message": message.into()}]})
}

/// The HTTP status of an error with this Neo4j status code.
pub fn http_status(code: &str) -> StatusCode {
    if code == DATABASE_NOT_FOUND {
        StatusCode::NOT_FOUND
    } else if code.starts_with("Neo.ClientError.Security.Forbidden") {
        StatusCode::FORBIDDEN
    } else if code.starts_with("Neo.ClientError.Security.") {
        StatusCode::UNAUTHORIZED
    } else if code.starts_with("Neo.ClientError.") {
        StatusCode::BAD_REQUEST
    } else if code.starts_with("Neo.TransientError.") {
        StatusCode::SERVICE_UNAVAILABLE
    } else {
        StatusCode::INTERNAL_SERVER_ERROR
    }
}

/// Sets the flag when dropped: the handler's future is dropped when the
/// client disconnects, and the running query sees the flag and stops.
struct CancelOnDrop(Arc<AtomicBool>);

impl Drop for CancelOnDrop {
    fn drop(&mut self) {
        self.0.store(true, Ordering::Relaxed);
    }
}

/// A duplicate of a client connection's socket, kept with the connection
/// (see [`ClientSocket::on_connect`]) so that a handler can tell when the
/// client has gone away while its query runs.
pub struct ClientSocket(std::net::TcpStream);

/// How often a running query's connection is checked.
const DISCONNECT_POLL: Duration = Duration::from_millis(200);

impl ClientSocket {
    /// For `HttpServer::on_connect`: keeps a duplicate of each TCP
    /// connection's socket in the connection's data.
    pub fn on_connect(connection: &dyn std::any::Any, data: &mut actix_web::dev::Extensions) {
        let Some(stream) = connection.downcast_ref::<actix_web::rt::net::TcpStream>() else {
            return;
        };
        match socket2::SockRef::from(stream).try_clone() {
            // The duplicate shares the (already non-blocking) open file
            // description; setting the flag again only makes sure `peek`
            // never blocks.
            Ok(socket) if socket.set_nonblocking(true).is_ok() => {
                data.insert(ClientSocket(socket.into()));
            }
            Ok(_) => {}
            Err(e) => tracing::debug!(error = %e, "cannot watch a connection for disconnects"),
        }
    }

    /// `true` once the client has closed or reset the connection. Bytes
    /// waiting to be read (a pipelined request) mean it is still there.
    pub fn gone(&self) -> bool {
        let mut byte = [0u8; 1];
        match self.0.peek(&mut byte) {
            Ok(n) => n == 0,
            Err(e) => !matches!(
                e.kind(),
                std::io::ErrorKind::WouldBlock | std::io::ErrorKind::Interrupted
            ),
        }
    }

    /// Resolves when the client has gone away.
    async fn closed(&self) {
        loop {
            actix_web::rt::time::sleep(DISCONNECT_POLL).await;
            if self.gone() {
                return;
            }
        }
    }
}

/// What `/metrics` counts for a request whose client went away (nginx's
/// "client closed request").
const CLIENT_CLOSED: u16 = 499;

fn error_response(state: &AppState, code: &str, message: impl Into<String>) -> HttpResponse {
    let status = http_status(code);
    state.metrics.count_request(ROUTE, status.as_u16());
    HttpResponse::build(status).json(errors_body(code, message))
}

pub(crate) async fn run(
    http_request: HttpRequest,
    state: web::Data<AppState>,
    settings: Option<web::Data<QuerySettings>>,
    database: web::Path<String>,
    body: web::Bytes,
) -> HttpResponse {
    let database = database.into_inner();
    if !DATABASE_NAMES
        .iter()
        .any(|name| name.eq_ignore_ascii_case(&database))
    {
        return error_response(
            &state,
            DATABASE_NOT_FOUND,
            format!(
                "Database does not exist. Database name: '{database}'. This server has `neo4j` (alias `caregraph`)."
            ),
        );
    }
    let request: QueryRequest = match serde_json::from_slice(&body) {
        Ok(r) => r,
        Err(e) => {
            return error_response(
                &state,
                REQUEST_INVALID,
                format!("Invalid request body: {e}. Send {{\"statement\": \"...\", \"parameters\": {{...}}}}"),
            )
        }
    };
    if request.statement.len() > state.max_query_bytes {
        state.metrics.count_request(ROUTE, 413);
        return HttpResponse::PayloadTooLarge().json(errors_body(
            REQUEST_INVALID,
            format!(
                "the statement is {} bytes, more than the limit of {} bytes",
                request.statement.len(),
                state.max_query_bytes
            ),
        ));
    }
    let params = match codec::params_from_json(&request.parameters) {
        Ok(p) => p,
        Err(e) => return error_response(&state, REQUEST_INVALID, e.to_string()),
    };
    let read_only = match request.access_mode.as_deref() {
        None => false,
        Some(mode) if mode.eq_ignore_ascii_case("WRITE") => false,
        Some(mode) if mode.eq_ignore_ascii_case("READ") => true,
        Some(mode) => {
            return error_response(
                &state,
                REQUEST_INVALID,
                format!("accessMode `{mode}`: use READ or WRITE"),
            )
        }
    };
    let cancel = Arc::new(AtomicBool::new(false));
    let _cancel_on_drop = CancelOnDrop(cancel.clone());
    let access = super::request_access(&state, &http_request);
    let options = QueryOptions {
        read_only,
        timeout: settings.map_or(Some(DEFAULT_QUERY_TIMEOUT), |s| s.timeout),
        cancel: Some(cancel.clone()),
        ..QueryOptions::default()
    };
    let include_counters = request.include_counters;
    let statement = request.statement;
    let statement_text = statement.clone();
    let worker_state = state.clone();
    let started = Instant::now();
    let worker_access = access.clone();
    let work = web::block(move || -> Result<Vec<u8>, CypherError> {
        let options = worker_access.options(options, &worker_state.db.snapshot());
        let output = cypher::execute(&worker_state.db, &statement, &params, &options)?;
        worker_access.note_output(&output);
        let body = codec::result_body(&output, include_counters);
        tracing::debug!(
            rows = output.rows.len(),
            elapsed_ms = started.elapsed().as_millis(),
            "query answered"
        );
        Ok(serde_json::to_vec(&body).unwrap_or_default())
    });
    let result = match http_request.conn_data::<ClientSocket>() {
        Some(socket) => {
            tokio::select! {
                result = work => result,
                () = socket.closed() => {
                    cancel.store(true, Ordering::Relaxed);
                    tracing::info!(
                        elapsed_ms = started.elapsed().as_millis(),
                        "the client went away; its query is cancelled"
                    );
                    state.metrics.count_request(ROUTE, CLIENT_CLOSED);
                    return HttpResponse::build(
                        StatusCode::from_u16(CLIENT_CLOSED).unwrap_or(StatusCode::BAD_REQUEST),
                    )
                    .finish();
                }
            }
        }
        None => work.await,
    };
    let outcome = match &result {
        Ok(Ok(_)) => Outcome::Ok,
        Ok(Err(e)) if e.status_code().starts_with("Neo.ClientError.Security") => Outcome::Refused,
        Ok(Err(e)) => Outcome::Error(e.status_code().to_owned()),
        Err(_) => Outcome::Error("worker".into()),
    };
    if let Err(body) = super::audit(&state, &access, Door::CypherHttp, &statement_text, outcome) {
        return HttpResponse::ServiceUnavailable().json(body);
    }
    match result {
        Ok(Ok(body)) => {
            state.metrics.count_request(ROUTE, 202);
            HttpResponse::Accepted()
                .content_type("application/json")
                .body(body)
        }
        Ok(Err(e)) => {
            let code = e.status_code();
            if http_status(code).is_server_error() {
                tracing::warn!(code, error = %e, "query failed");
            } else {
                tracing::debug!(code, error = %e, "query refused");
            }
            error_response(&state, code, e.to_string())
        }
        Err(e) => {
            tracing::error!(error = %e, "query worker failed");
            error_response(
                &state,
                "Neo.DatabaseError.General.UnknownError",
                format!("the query worker failed: {e}"),
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_follows_the_class_of_the_code() {
        assert_eq!(http_status(DATABASE_NOT_FOUND), StatusCode::NOT_FOUND);
        assert_eq!(
            http_status("Neo.ClientError.Statement.SyntaxError"),
            StatusCode::BAD_REQUEST
        );
        assert_eq!(
            http_status("Neo.TransientError.Transaction.Terminated"),
            StatusCode::SERVICE_UNAVAILABLE
        );
        assert_eq!(
            http_status("Neo.DatabaseError.General.UnknownError"),
            StatusCode::INTERNAL_SERVER_ERROR
        );
    }

    #[test]
    fn dropping_the_guard_cancels() {
        let flag = Arc::new(AtomicBool::new(false));
        drop(CancelOnDrop(flag.clone()));
        assert!(flag.load(Ordering::Relaxed));
    }
}
