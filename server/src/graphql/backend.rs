//! Where compiled Cypher runs: a small trait, so the same GraphQL layer can
//! run on the embedded engine today and on Neo4j later.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use cypher::{CypherError, CypherValue, Params, QueryOptions};
use graph_model::Database;

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

/// Runs Cypher with parameters.
pub trait CypherBackend: Send + Sync + 'static {
    /// Runs `query` as one transaction and returns its rows.
    fn run(&self, query: String, params: Params, access: Access, timeout: Duration) -> RowsFuture;

    /// The embedded database, when the backend is one (FHIR ingestion and
    /// the commit feed need it).
    fn database(&self) -> Option<&Database>;
}

/// The embedded engine: queries run on the blocking thread pool.
#[derive(Clone)]
pub struct EmbeddedBackend {
    db: Database,
}

impl EmbeddedBackend {
    /// A backend over `db`.
    pub fn new(db: Database) -> Arc<EmbeddedBackend> {
        Arc::new(EmbeddedBackend { db })
    }
}

impl CypherBackend for EmbeddedBackend {
    fn run(&self, query: String, params: Params, access: Access, timeout: Duration) -> RowsFuture {
        let db = self.db.clone();
        Box::pin(async move {
            let options = QueryOptions {
                read_only: access == Access::Read,
                timeout: Some(timeout),
                ..QueryOptions::default()
            };
            let run = move || cypher::execute(&db, &query, &params, &options);
            let output = tokio::task::spawn_blocking(run)
                .await
                .map_err(|e| GqlError::Internal(format!("query task failed: {e}")))?;
            output
                .map(|out| out.rows)
                .map_err(|e| cypher_error(&e, timeout))
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
