//! Where compiled Cypher runs: a small trait, so the same GraphQL layer can
//! run on the embedded engine today and on Neo4j later.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use cypher::{CypherError, CypherValue, Params, QueryOptions};
use graph_model::{Database, GraphState};

use super::error::GqlError;

/// Read or write.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// The query must not write.
    Read,
    /// The query may write (one transaction).
    Write,
}

/// Rows of a query.
pub type Rows = Vec<Vec<CypherValue>>;

/// A boxed future of rows.
pub type RowsFuture = Pin<Box<dyn Future<Output = Result<Rows, GqlError>> + Send>>;

/// How to run one query.
#[derive(Debug, Clone, Copy)]
pub struct RunOptions {
    /// Read or write.
    pub access: Access,
    /// Time limit.
    pub timeout: Duration,
    /// A small read (one node by key and its neighborhood): run it on the
    /// calling thread rather than handing it to the blocking pool.
    pub point: bool,
}

/// Runs Cypher with parameters.
pub trait CypherBackend: Send + Sync + 'static {
    /// Runs `query` as one transaction and returns its rows.
    fn run(&self, query: String, params: Params, options: RunOptions) -> RowsFuture;

    /// The embedded database, when the backend is one (FHIR ingestion and
    /// the commit feed need it).
    fn database(&self) -> Option<&Database>;
}

/// A cached read: the query, its parameters and the graph version it read.
type ReadKey = (String, String, u64);

/// The embedded engine: queries run on the blocking thread pool (small
/// reads inline). Answers of reads are cached by graph version: any commit
/// makes a new version, so a cached answer is never stale.
#[derive(Clone)]
pub struct EmbeddedBackend {
    db: Database,
    cache: Option<moka::sync::Cache<ReadKey, Arc<Rows>>>,
}

impl EmbeddedBackend {
    /// A backend over `db` with a read cache of up to `cache_entries`
    /// answers (0: none).
    pub fn new(db: Database, cache_entries: u64) -> Arc<EmbeddedBackend> {
        let cache = (cache_entries > 0).then(|| {
            moka::sync::Cache::builder()
                .max_capacity(cache_entries)
                .time_to_idle(Duration::from_secs(600))
                .build()
        });
        Arc::new(EmbeddedBackend { db, cache })
    }

    fn read(
        state: Arc<GraphState>,
        query: &str,
        params: &Params,
        timeout: Duration,
    ) -> Result<Rows, GqlError> {
        let options = QueryOptions {
            read_only: true,
            timeout: Some(timeout),
            ..QueryOptions::default()
        };
        cypher::execute_on(state, query, params, &options)
            .map(|out| out.rows)
            .map_err(|e| cypher_error(&e, timeout))
    }
}

impl CypherBackend for EmbeddedBackend {
    fn run(&self, query: String, params: Params, options: RunOptions) -> RowsFuture {
        let timeout = options.timeout;
        if options.access == Access::Write {
            let db = self.db.clone();
            return Box::pin(async move {
                let cypher_options = QueryOptions {
                    timeout: Some(timeout),
                    ..QueryOptions::default()
                };
                let run = move || cypher::execute(&db, &query, &params, &cypher_options);
                let output = tokio::task::spawn_blocking(run)
                    .await
                    .map_err(|e| GqlError::Internal(format!("query task failed: {e}")))?;
                output
                    .map(|out| out.rows)
                    .map_err(|e| cypher_error(&e, timeout))
            });
        }
        let state = self.db.snapshot();
        let key = self
            .cache
            .as_ref()
            .map(|_| (query.clone(), format!("{params:?}"), state.lsn()));
        if let (Some(cache), Some(key)) = (&self.cache, &key) {
            if let Some(rows) = cache.get(key) {
                let rows = Rows::clone(&rows);
                return Box::pin(async move { Ok(rows) });
            }
        }
        let cache = self.cache.clone();
        let remember = move |rows: &Rows| {
            if let (Some(cache), Some(key)) = (cache, key) {
                cache.insert(key, Arc::new(rows.clone()));
            }
        };
        if options.point {
            let result = Self::read(state, &query, &params, timeout);
            if let Ok(rows) = &result {
                remember(rows);
            }
            return Box::pin(async move { result });
        }
        Box::pin(async move {
            let run = move || Self::read(state, &query, &params, timeout);
            let result = tokio::task::spawn_blocking(run)
                .await
                .map_err(|e| GqlError::Internal(format!("query task failed: {e}")))?;
            if let Ok(rows) = &result {
                remember(rows);
            }
            result
        })
    }

    fn database(&self) -> Option<&Database> {
        Some(&self.db)
    }
}

/// A Cypher error as a GraphQL error.
pub fn cypher_error(error: &CypherError, timeout: Duration) -> GqlError {
    let code = error.status_code();
    if code.contains("TransactionTimedOut") || code.contains("Timeout") {
        return GqlError::Timeout(timeout);
    }
    if code.contains("ConstraintValidationFailed") {
        return GqlError::Conflict(error.to_string());
    }
    GqlError::Backend {
        code: code.to_owned(),
        message: error.to_string(),
    }
}
