//! The HTTP server: routes, shared state, and a way to run it on a thread
//! (used by `serve` and by tests).

pub mod auth;
pub mod cds;
pub mod fhir;
pub mod graphql;
pub mod metrics;
pub mod query;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use actix_web::{web, App, HttpMessage as _, HttpResponse, HttpServer};
use graph_model::Database;

use crate::audit::{Door, Outcome};
use crate::security::{Caller, PolicyBuilder, RequestAccess};

use crate::auth::AuthConfig;

pub use metrics::Metrics;
pub use query::QuerySettings;

/// What every handler shares.
pub struct AppState {
    /// The graph.
    pub db: Database,
    /// The data directory (raw archive and rejects live there).
    pub data_dir: Option<PathBuf>,
    /// Counters for `/metrics`.
    pub metrics: Metrics,
    /// Largest accepted request body.
    pub max_body_bytes: usize,
    /// The audit log (`AuditLog::disabled()` without a data directory).
    pub audit: std::sync::Arc<crate::audit::AuditLog>,
    /// The access policies of callers (one pseudonym key for every door).
    pub policies: PolicyBuilder,
    /// Largest Cypher statement or GraphQL query text, in bytes (larger
    /// ones are answered with `413`).
    pub max_query_bytes: usize,
    /// How requests are authenticated ([`AuthConfig::disabled`] only when
    /// embedding the server; `serve` always checks tokens).
    pub auth: Arc<AuthConfig>,
}

/// The caller of a request (the [`crate::auth::Principal`] the auth
/// middleware left in its extensions) and what its queries touch. A request
/// without one, which the middleware never lets through while
/// authentication is on, sees no patient at all.
pub fn request_access(state: &AppState, request: &actix_web::HttpRequest) -> Arc<RequestAccess> {
    let principal = request
        .extensions()
        .get::<crate::auth::Principal>()
        .cloned();
    let caller = match principal {
        Some(principal) => Caller::of(&principal),
        None if !state.auth.is_enforced() => Caller::of(&crate::auth::Principal::embedded()),
        None => Caller::nobody(),
    };
    RequestAccess::new(caller, state.policies.clone())
}

/// Appends the audit record of a request that touched patient-level data
/// (or was refused): who, which door, the operation, the patients. When the
/// log cannot take it, the answer is withheld: the `Err` is the error body
/// to send instead (every look at a patient leaves a trace, or fails).
pub fn audit(
    state: &AppState,
    access: &RequestAccess,
    door: Door,
    operation: &str,
    outcome: Outcome,
) -> Result<(), serde_json::Value> {
    access
        .record(&state.audit, door, operation, access.touched(), outcome)
        .map_err(|e| {
            tracing::error!(error = %e, "the audit log refused a record; the answer is withheld");
            error_body(
                "AUDIT_UNAVAILABLE",
                "the audit log cannot record this request, so it is not answered",
            )
        })
}

impl AppState {
    /// State over `db` with the default limits and `auth`, no audit log
    /// and a fresh pseudonym key.
    pub fn new(db: Database, data_dir: Option<PathBuf>, auth: Arc<AuthConfig>) -> AppState {
        AppState {
            db,
            data_dir,
            metrics: Metrics::default(),
            max_body_bytes: crate::settings::DEFAULT_MAX_BODY_BYTES,
            max_query_bytes: crate::settings::DEFAULT_MAX_QUERY_BYTES,
            auth,
            audit: Arc::new(crate::audit::AuditLog::disabled()),
            policies: PolicyBuilder::new(crate::security::PseudonymKey::random()),
        }
    }
}

/// Registers the routes. Authentication is the [`auth::authenticate`]
/// middleware, which [`spawn_configured`] wraps around the whole app.
pub fn configure(cfg: &mut web::ServiceConfig, state: &web::Data<AppState>) {
    cfg.app_data(state.clone())
        .app_data(web::PayloadConfig::new(state.max_body_bytes))
        .route("/health", web::get().to(health))
        .route("/metrics", web::get().to(metrics::render))
        .route("/fhir", web::post().to(fhir::ingest))
        .route(graphql::ROUTE, web::post().to(graphql::execute))
        .route(
            graphql::ROUTE,
            web::get().to(graphql::graphiql_or_websocket),
        )
        .route(query::ROUTE, web::post().to(query::run))
        .route(cds::DISCOVERY_ROUTE, web::get().to(cds::discovery))
        .route(cds::SERVICE_ROUTE, web::post().to(cds::call));
}

async fn health(state: web::Data<AppState>) -> HttpResponse {
    state.metrics.count_request("/health", 200);
    HttpResponse::Ok().json(serde_json::json!({"status": "ok"}))
}

/// A JSON error body `{"error": {"code": ..., "message": ...}}`.
pub fn error_body(code: &str, message: impl Into<String>) -> serde_json::Value {
    serde_json::json!({"error": {"code": code, "message": message.into()}})
}

/// A server running on its own thread.
pub struct RunningServer {
    /// The address it listens on.
    pub addr: SocketAddr,
    handle: actix_web::dev::ServerHandle,
    thread: Option<std::thread::JoinHandle<std::io::Result<()>>>,
}

impl RunningServer {
    /// Stops the server gracefully and waits for its thread.
    pub fn stop(mut self) {
        self.shutdown();
    }

    fn shutdown(&mut self) {
        let handle = self.handle.clone();
        let _ =
            std::thread::spawn(move || actix_web::rt::System::new().block_on(handle.stop(true)))
                .join();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

impl Drop for RunningServer {
    fn drop(&mut self) {
        if self.thread.is_some() {
            self.shutdown();
        }
    }
}

/// Binds `addr` (port 0 picks a free port) and serves on a new thread, with
/// the default [`QuerySettings`].
pub fn spawn(state: AppState, addr: SocketAddr, workers: usize) -> anyhow::Result<RunningServer> {
    spawn_with(state, QuerySettings::default(), addr, workers)
}

/// [`spawn`] with settings for the Cypher endpoint.
pub fn spawn_with(
    state: AppState,
    query: QuerySettings,
    addr: SocketAddr,
    workers: usize,
) -> anyhow::Result<RunningServer> {
    spawn_full(
        state,
        query,
        crate::graphql::Limits::default(),
        addr,
        workers,
    )
}

/// [`spawn`] with settings for the Cypher endpoint and GraphQL limits.
pub fn spawn_full(
    state: AppState,
    query: QuerySettings,
    limits: crate::graphql::Limits,
    addr: SocketAddr,
    workers: usize,
) -> anyhow::Result<RunningServer> {
    spawn_configured(state, query, limits, None, addr, workers)
}

/// [`spawn_full`] with TLS: with a rustls configuration the server speaks
/// HTTPS only.
pub fn spawn_configured(
    state: AppState,
    query: QuerySettings,
    limits: crate::graphql::Limits,
    tls: Option<rustls::ServerConfig>,
    addr: SocketAddr,
    workers: usize,
) -> anyhow::Result<RunningServer> {
    let timeout = limits.timeout;
    let answer_entries = limits.cache_entries;
    let api = crate::graphql::Api::new(
        crate::graphql::EmbeddedBackend::new(state.db.clone(), limits.cache_entries),
        limits,
        true,
    );
    let cds = web::Data::new(cds::CdsService::new(api.recommendations().ok()));
    let graphql = web::Data::new(graphql::GraphqlService {
        schema: crate::graphql::build_schema(api.clone())?,
        api,
        timeout,
        documents: crate::graphql::DocumentCache::new(1_000),
        fast: crate::graphql::fast::FastPath::new(1_000, answer_entries),
    });
    let state = web::Data::new(state);
    let query = web::Data::new(query);
    let (tx, rx) = std::sync::mpsc::channel();
    let thread = std::thread::Builder::new()
        .name("caregraph-http".into())
        .spawn(move || {
            actix_web::rt::System::new().block_on(async move {
                let app_state = state.clone();
                let server = HttpServer::new(move || {
                    App::new()
                        .wrap(actix_web::middleware::from_fn(auth::authenticate))
                        .app_data(query.clone())
                        .app_data(graphql.clone())
                        .app_data(cds.clone())
                        .configure(|cfg| configure(cfg, &app_state))
                })
                .on_connect(query::ClientSocket::on_connect)
                .workers(workers.max(1))
                .disable_signals();
                let server = match tls {
                    Some(config) => server.bind_rustls_0_23(addr, config),
                    None => server.bind(addr),
                };
                let server = match server {
                    Ok(s) => s,
                    Err(e) => {
                        let _ = tx.send(Err(e.to_string()));
                        return Ok(());
                    }
                };
                let bound = server.addrs().first().copied().unwrap_or(addr);
                let server = server.run();
                let _ = tx.send(Ok((bound, server.handle())));
                server.await
            })
        })?;
    match rx.recv() {
        Ok(Ok((addr, handle))) => Ok(RunningServer {
            addr,
            handle,
            thread: Some(thread),
        }),
        Ok(Err(e)) => anyhow::bail!("cannot listen on {addr}: {e}"),
        Err(_) => anyhow::bail!("the HTTP thread stopped before listening on {addr}"),
    }
}
