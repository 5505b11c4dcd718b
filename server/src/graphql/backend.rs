//! Where compiled Cypher runs: a small trait, so the same GraphQL layer can
//! run on the embedded engine today and on Neo4j later.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use cypher::{CypherError, CypherValue, Params, QueryOptions};
use graph_model::{Database, GraphState};

use super::error::GqlError;
use crate::security::{patient_ids, Clearance, RequestAccess};

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
#[derive(Debug, Clone)]
pub struct RunOptions {
    /// Read or write.
    pub access: Access,
    /// Time limit.
    pub timeout: Duration,
    /// A small read (one node by key and its neighborhood): run it on the
    /// calling thread rather than handing it to the blocking pool.
    pub point: bool,
    /// The request: its caller's policy applies, and the patients the
    /// query touches are noted in it.
    pub request: Arc<RequestAccess>,
}

/// Runs Cypher with parameters.
pub trait CypherBackend: Send + Sync + 'static {
    /// Runs `query` as one transaction and returns its rows.
    fn run(&self, query: String, params: Params, options: RunOptions) -> RowsFuture;

    /// The embedded database, when the backend is one (FHIR ingestion and
    /// the commit feed need it).
    fn database(&self) -> Option<&Database>;
}

/// A cached read: the query, its parameters, the graph version it read and
/// the clearance it ran with.
type ReadKey = (String, String, u64, Clearance);

/// A cached answer: the rows and the patients the query touched.
type Answer = (Rows, Vec<String>);

/// The size of one entry of the answer caches (`--graphql-cache` counts
/// entries): an answer weighs one entry per started 4 KiB of what it
/// holds, so a cache of `n` entries holds about `n` × 4 KiB at most.
pub const CACHE_ENTRY_BYTES: usize = 4096;

/// The weight of a cached answer of `bytes` bytes, in entries (at least
/// one).
pub fn entry_weight(bytes: usize) -> u32 {
    u32::try_from(bytes.div_ceil(CACHE_ENTRY_BYTES).max(1)).unwrap_or(u32::MAX)
}

/// About how many bytes `rows` and `touched` hold (strings and lists by
/// their contents, everything else by a small fixed size).
fn answer_bytes(rows: &Rows, touched: &[String]) -> usize {
    fn value_bytes(value: &CypherValue) -> usize {
        match value {
            CypherValue::String(text) => 16 + text.len(),
            CypherValue::List(items) => 16 + items.iter().map(value_bytes).sum::<usize>(),
            CypherValue::Map(entries) => {
                16 + entries
                    .iter()
                    .map(|(key, value)| key.len() + value_bytes(value))
                    .sum::<usize>()
            }
            _ => 16,
        }
    }
    rows.iter().flatten().map(value_bytes).sum::<usize>()
        + touched.iter().map(|id| 16 + id.len()).sum::<usize>()
}

/// The embedded engine: queries run on the blocking thread pool (small
/// reads inline). Answers of reads are cached by graph version: any commit
/// makes a new version, so a cached answer is never stale.
#[derive(Clone)]
pub struct EmbeddedBackend {
    db: Database,
    cache: Option<moka::sync::Cache<ReadKey, Arc<Answer>>>,
}

impl EmbeddedBackend {
    /// A backend over `db` with a read cache of up to `cache_entries`
    /// answers (0: none), weighed as [`entry_weight`] says.
    pub fn new(db: Database, cache_entries: u64) -> Arc<EmbeddedBackend> {
        let cache = (cache_entries > 0).then(|| {
            moka::sync::Cache::builder()
                .max_capacity(cache_entries)
                .weigher(|_: &ReadKey, answer: &Arc<Answer>| {
                    entry_weight(answer_bytes(&answer.0, &answer.1))
                })
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
        request: &RequestAccess,
    ) -> Result<Answer, GqlError> {
        let options = request.options(
            QueryOptions {
                read_only: true,
                timeout: Some(timeout),
                ..QueryOptions::default()
            },
            &state,
        );
        cypher::execute_on(state, query, params, &options)
            .map(|out| {
                let touched = patient_ids(&out);
                (out.rows, touched)
            })
            .map_err(|e| cypher_error(&e, timeout))
    }
}

impl CypherBackend for EmbeddedBackend {
    fn run(&self, query: String, params: Params, options: RunOptions) -> RowsFuture {
        let timeout = options.timeout;
        let request = options.request;
        if options.access == Access::Write {
            let db = self.db.clone();
            return Box::pin(async move {
                let run = move || {
                    let cypher_options = request.options(
                        QueryOptions {
                            timeout: Some(timeout),
                            ..QueryOptions::default()
                        },
                        &db.snapshot(),
                    );
                    let output = cypher::execute(&db, &query, &params, &cypher_options);
                    if let Ok(out) = &output {
                        request.note_output(out);
                    }
                    output
                };
                let output = tokio::task::spawn_blocking(run)
                    .await
                    .map_err(|e| GqlError::Internal(format!("query task failed: {e}")))?;
                output
                    .map(|out| out.rows)
                    .map_err(|e| cypher_error(&e, timeout))
            });
        }
        let state = self.db.snapshot();
        let key = self.cache.as_ref().map(|_| {
            (
                query.clone(),
                format!("{params:?}"),
                state.lsn(),
                request.caller.clearance.clone(),
            )
        });
        if let (Some(cache), Some(key)) = (&self.cache, &key) {
            if let Some(answer) = cache.get(key) {
                request.note(answer.1.iter().cloned());
                let rows = answer.0.clone();
                return Box::pin(async move { Ok(rows) });
            }
        }
        let cache = self.cache.clone();
        let remember = move |answer: Answer| -> Rows {
            if let (Some(cache), Some(key)) = (cache, key) {
                let rows = answer.0.clone();
                cache.insert(key, Arc::new(answer));
                return rows;
            }
            answer.0
        };
        if options.point {
            let result = Self::read(state, &query, &params, timeout, &request).map(|answer| {
                request.note(answer.1.iter().cloned());
                remember(answer)
            });
            return Box::pin(async move { result });
        }
        Box::pin(async move {
            let run = move || {
                Self::read(state, &query, &params, timeout, &request).map(|answer| {
                    request.note(answer.1.iter().cloned());
                    remember(answer)
                })
            };
            tokio::task::spawn_blocking(run)
                .await
                .map_err(|e| GqlError::Internal(format!("query task failed: {e}")))?
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
