//! The GraphQL API: a schema generated from the graph model, whose every
//! request field compiles into ONE Cypher query run by a [`CypherBackend`].
//! This module knows nothing of the web framework: `crate::http::graphql`
//! serves it over HTTP and websocket, `caregraph schema` prints its SDL.

pub mod backend;
pub mod compile;
pub mod error;
pub mod fast;
pub mod filter;
pub mod limits;
pub mod model;
pub mod mutation;
pub mod recommend;
pub mod result;
pub mod schema;
pub mod selection;
pub mod subscription;

use std::sync::Arc;

use async_graphql::dynamic::Schema;
use async_graphql::Value;
use graph_model::ListenerId;
use tokio::sync::broadcast;

pub use backend::{Access, CypherBackend, EmbeddedBackend};
pub use error::GqlError;
pub use limits::Limits;
pub use subscription::GraphEvent;

use crate::security::RequestAccess;
use compile::Compiled;

/// The request of a resolver's context (the HTTP layer puts one into every
/// GraphQL request; without it nothing runs).
pub fn request_of(ctx: &async_graphql::Context<'_>) -> Result<Arc<RequestAccess>, GqlError> {
    ctx.data_opt::<Arc<RequestAccess>>()
        .cloned()
        .ok_or_else(|| GqlError::Internal("the request carries no caller".into()))
}

/// What every resolver shares.
pub struct Api {
    /// Where Cypher runs.
    pub backend: Arc<dyn CypherBackend>,
    /// Depth, complexity, page sizes, time.
    pub limits: Arc<Limits>,
    /// New prescriptions and claims, for subscriptions.
    pub events: broadcast::Sender<GraphEvent>,
    listener: Option<ListenerId>,
    recommendations: Option<Arc<recommend::RecommendService>>,
}

impl Drop for Api {
    fn drop(&mut self) {
        if let (Some(id), Some(db)) = (self.listener, self.backend.database()) {
            db.unsubscribe(id);
        }
    }
}

impl Api {
    /// The API over `backend`; with an embedded database, subscriptions
    /// follow its commits, and with `recommendations` the recommender is
    /// built in the background.
    pub fn new(backend: Arc<dyn CypherBackend>, limits: Limits, recommendations: bool) -> Arc<Api> {
        let (events, _) = broadcast::channel(1024);
        let listener = backend.database().map(|db| {
            let sender = events.clone();
            db.subscribe(move |commit| subscription::events_from_commit(commit, &sender))
        });
        let recommendations = backend
            .database()
            .filter(|_| recommendations)
            .map(|db| recommend::RecommendService::start(db.clone()));
        Arc::new(Api {
            backend,
            limits: Arc::new(limits),
            events,
            listener,
            recommendations,
        })
    }

    /// The recommendation service.
    pub fn recommendations(&self) -> Result<Arc<recommend::RecommendService>, GqlError> {
        self.recommendations.clone().ok_or_else(|| {
            GqlError::Unavailable("recommendations are not served by this server".into())
        })
    }

    /// Runs a compiled read and shapes its one value (`None`: no row, or
    /// null).
    pub async fn read(
        &self,
        request: &Arc<RequestAccess>,
        compiled: Compiled,
    ) -> Result<Option<Value>, GqlError> {
        let Compiled {
            cypher,
            params,
            shape,
            point,
        } = compiled;
        self.run_shaped(request, cypher, params, &shape, Access::Read, point)
            .await
    }

    /// [`Api::read`] of a compiled read kept for reuse (the fast path's
    /// compiled plans).
    pub async fn read_shared(
        &self,
        request: &Arc<RequestAccess>,
        compiled: &Compiled,
    ) -> Result<Option<Value>, GqlError> {
        self.run_shaped(
            request,
            compiled.cypher.clone(),
            compiled.params.clone(),
            &compiled.shape,
            Access::Read,
            compiled.point,
        )
        .await
    }

    /// Runs a compiled write (one transaction).
    pub async fn write(
        &self,
        request: &Arc<RequestAccess>,
        compiled: Compiled,
    ) -> Result<Option<Value>, GqlError> {
        let Compiled {
            cypher,
            params,
            shape,
            ..
        } = compiled;
        self.run_shaped(request, cypher, params, &shape, Access::Write, false)
            .await
    }

    async fn run_shaped(
        &self,
        request: &Arc<RequestAccess>,
        cypher: String,
        params: cypher::Params,
        shape: &compile::Shape,
        access: Access,
        point: bool,
    ) -> Result<Option<Value>, GqlError> {
        tracing::debug!(cypher = %cypher, "graphql");
        let options = backend::RunOptions {
            access,
            timeout: self.limits.timeout,
            point,
            request: request.clone(),
        };
        let rows = self.backend.run(cypher, params, options).await?;
        Ok(rows
            .first()
            .and_then(|row| row.first())
            .map(|value| result::assemble(value, shape))
            .filter(|v| !matches!(v, Value::Null)))
    }

    /// Runs Cypher and returns its rows.
    pub async fn run_rows(
        &self,
        request: &Arc<RequestAccess>,
        cypher: String,
        params: cypher::Params,
        access: Access,
    ) -> Result<backend::Rows, GqlError> {
        let options = backend::RunOptions {
            access,
            timeout: self.limits.timeout,
            point: false,
            request: request.clone(),
        };
        self.backend.run(cypher, params, options).await
    }

    /// Loads FHIR JSON with the loader of `caregraph load`.
    pub async fn ingest(
        &self,
        json: serde_json::Value,
    ) -> Result<graph_model::fhir::LoadReport, GqlError> {
        let db = self
            .backend
            .database()
            .ok_or_else(|| GqlError::BadInput("FHIR ingestion needs the embedded store".into()))?
            .clone();
        let bytes = serde_json::to_vec(&json).map_err(|e| GqlError::BadInput(e.to_string()))?;
        let data_dir = db.dir().map(std::path::Path::to_path_buf);
        tokio::task::spawn_blocking(move || {
            let options = match &data_dir {
                Some(dir) => graph_model::fhir::LoadOptions::for_data_dir(dir),
                None => graph_model::fhir::LoadOptions::default(),
            };
            let mut loader = graph_model::fhir::Loader::new(&db, options)?;
            loader.load_bytes("ingestFhir", graph_model::fhir::InputKind::Json, bytes)?;
            loader.finish()
        })
        .await
        .map_err(|e| GqlError::Internal(format!("ingestion task failed: {e}")))?
        .map_err(|e| GqlError::BadInput(format!("FHIR ingestion failed: {e}")))
    }
}

/// Parsed documents by query text, so a query sent again (the usual case:
/// apps send the same documents with new variables) is not parsed again.
pub struct DocumentCache {
    documents: moka::sync::Cache<String, async_graphql::parser::types::ExecutableDocument>,
}

impl DocumentCache {
    /// A cache of up to `entries` documents.
    pub fn new(entries: u64) -> DocumentCache {
        DocumentCache {
            documents: moka::sync::Cache::new(entries),
        }
    }

    /// `request` with its document parsed, from the cache when it was seen
    /// before. A document that does not parse is left for the executor to
    /// report.
    pub fn prepare(&self, mut request: async_graphql::Request) -> async_graphql::Request {
        if let Some(document) = self.documents.get(&request.query) {
            request.set_parsed_query(document);
        } else if let Ok(document) = async_graphql::parser::parse_query(&request.query) {
            self.documents
                .insert(request.query.clone(), document.clone());
            request.set_parsed_query(document);
        }
        request
    }
}

/// The schema over `api`.
pub fn build_schema(api: Arc<Api>) -> Result<Schema, GqlError> {
    let builder = Schema::build("Query", Some("Mutation"), Some("Subscription"));
    let (builder, query) = schema::register_types(builder);
    let (builder, query) = recommend::register(builder, query);
    let (builder, mutation) = mutation::register(builder);
    let (builder, subscription) = subscription::register(builder);
    let limits = api.limits.clone();
    builder
        .register(query)
        .register(mutation)
        .register(subscription)
        .extension(limits::LimitsExtension::new(limits))
        .data(api)
        .finish()
        .map_err(|e| GqlError::Internal(format!("the schema does not build: {e}")))
}

/// The schema's SDL (what `caregraph schema` prints).
pub fn sdl() -> Result<String, GqlError> {
    let api = Api::new(
        EmbeddedBackend::new(graph_model::Database::in_memory(), 0),
        Limits::default(),
        false,
    );
    Ok(build_schema(api)?.sdl())
}
