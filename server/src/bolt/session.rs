//! One connection's session: the Bolt server state machine.
//!
//! States as the Bolt specification names them: `CONNECTED` (before
//! `HELLO`), `AUTHENTICATION` (5.1+: after `HELLO`, before `LOGON`),
//! `READY`, `STREAMING` (an auto-commit result is open), `TX_READY`,
//! `TX_STREAMING` (a transaction with open results), `FAILED` (after a
//! `FAILURE`: everything but `RESET` and `GOODBYE` is `IGNORED`) and
//! `INTERRUPTED` (a `RESET` has arrived and not yet been answered: every
//! message before it is `IGNORED`; see [`Interrupt`]). A message that is
//! not allowed in the current state gets a `FAILURE`
//! (`Neo.ClientError.Request.Invalid`) and the session becomes `FAILED`.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use cypher::QueryOptions;
use parking_lot::Mutex;
use tokio::io::{AsyncWrite, AsyncWriteExt};

use super::auth::{AuthRefused, AuthRequest};
use super::error::{
    DATABASE_NOT_FOUND, INVALID_STATE, REQUEST_INVALID, RESOURCE_EXHAUSTION, UNAUTHORIZED,
    UNKNOWN_ERROR,
};
use super::messages::{entry, write_failure, write_ignored, write_success, Request, Version};
use super::packstream::PackValue;
use super::results::{OpenResult, DATABASE};
use super::txn::{Transaction, TxError};
use super::values::{params_from_pack, Dialect};
use super::Shared;
use crate::audit::{Door, Outcome};
use crate::auth::Principal;
use crate::http::query::DATABASE_NAMES;
use crate::security::{Caller, RequestAccess};

/// What `HELLO` answers as the server's agent: drivers expect a Neo4j
/// agent string; the suffix says what this really is.
pub const SERVER_AGENT: &str = concat!("Neo4j/5.26.0-caregraph.", env!("CARGO_PKG_VERSION"));

/// Rows written between two flushes of a long `PULL`.
const ROWS_PER_FLUSH: usize = 1_000;

/// `RESET`s that have arrived but not been handled yet, and the cancel
/// flag of the query running now. The connection's reader signals; the
/// session acknowledges.
#[derive(Default)]
pub struct Interrupt {
    pending: AtomicUsize,
    running: Mutex<Option<Arc<AtomicBool>>>,
}

impl Interrupt {
    /// A `RESET` arrived: stop the running query.
    pub fn signal(&self) {
        self.pending.fetch_add(1, Ordering::SeqCst);
        if let Some(flag) = self.running.lock().as_ref() {
            flag.store(true, Ordering::Relaxed);
        }
    }

    fn pending(&self) -> bool {
        self.pending.load(Ordering::SeqCst) > 0
    }

    fn acknowledge(&self) {
        let _ = self
            .pending
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1));
    }

    /// A cancel flag for the next query, set at once when a `RESET` is
    /// pending.
    fn watch(&self) -> Arc<AtomicBool> {
        let flag = Arc::new(AtomicBool::new(self.pending()));
        *self.running.lock() = Some(flag.clone());
        flag
    }

    fn unwatch(&self) {
        *self.running.lock() = None;
    }
}

/// Buffered output of a connection.
pub struct Outbox<W> {
    /// Bytes not yet written.
    pub buf: Vec<u8>,
    writer: W,
}

impl<W: AsyncWrite + Unpin> Outbox<W> {
    /// An empty outbox on `writer`.
    pub fn new(writer: W) -> Outbox<W> {
        Outbox {
            buf: Vec::with_capacity(8 << 10),
            writer,
        }
    }

    /// Writes out what is buffered.
    pub async fn flush(&mut self) -> std::io::Result<()> {
        if !self.buf.is_empty() {
            self.writer.write_all(&self.buf).await?;
            self.buf.clear();
        }
        self.writer.flush().await
    }
}

/// What the connection does after a message.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Next {
    /// Read the next message.
    Continue,
    /// Close the connection (after writing what is buffered).
    Close,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Phase {
    Connected,
    Authentication,
    Ready,
    Streaming,
    TxReady,
    TxStreaming,
    Failed,
}

impl Phase {
    fn name(self) -> &'static str {
        match self {
            Phase::Connected => "CONNECTED",
            Phase::Authentication => "AUTHENTICATION",
            Phase::Ready => "READY",
            Phase::Streaming => "STREAMING",
            Phase::TxReady => "TX_READY",
            Phase::TxStreaming => "TX_STREAMING",
            Phase::Failed => "FAILED",
        }
    }
}

struct OpenTx {
    tx: Transaction,
    results: BTreeMap<i64, OpenResult>,
    next_qid: i64,
    last_qid: i64,
}

/// The state of one connection.
pub struct Session {
    shared: Arc<Shared>,
    version: Version,
    dialect: Dialect,
    phase: Phase,
    connection_id: String,
    local_addr: SocketAddr,
    routing_address: Option<String>,
    authenticated: bool,
    principal: Option<Principal>,
    interrupt: Arc<Interrupt>,
    autocommit: Option<OpenResult>,
    tx: Option<OpenTx>,
}

/// A `FAILURE` to send: status code and message.
struct Failure {
    code: &'static str,
    message: String,
}

impl Failure {
    fn new(code: &'static str, message: impl Into<String>) -> Failure {
        Failure {
            code,
            message: message.into(),
        }
    }
}

impl From<TxError> for Failure {
    fn from(e: TxError) -> Failure {
        Failure::new(e.status_code(), e.to_string())
    }
}

/// The database named in a `RUN`, `BEGIN` or `ROUTE`, checked.
fn check_database(name: Option<&str>) -> Result<(), Failure> {
    match name {
        None | Some("") => Ok(()),
        Some(name) if DATABASE_NAMES.iter().any(|n| n.eq_ignore_ascii_case(name)) => Ok(()),
        Some(name) => Err(Failure::new(
            DATABASE_NOT_FOUND,
            format!(
                "Database does not exist. Database name: '{name}'. This server has `neo4j` (alias `caregraph`)."
            ),
        )),
    }
}

/// `tx_timeout` of a `RUN` or `BEGIN`, in milliseconds (0 or absent: none).
fn tx_timeout(extra: &PackValue) -> Result<Option<Duration>, Failure> {
    match extra.get("tx_timeout") {
        None | Some(PackValue::Null | PackValue::Integer(0)) => Ok(None),
        Some(PackValue::Integer(ms)) if *ms > 0 => Ok(Some(Duration::from_millis(*ms as u64))),
        Some(_) => Err(Failure::new(
            REQUEST_INVALID,
            "tx_timeout must be a non-negative integer of milliseconds",
        )),
    }
}

/// `mode` of a `RUN` or `BEGIN`: `true` for `"r"`.
fn read_mode(extra: &PackValue) -> bool {
    extra.get("mode").and_then(PackValue::as_str) == Some("r")
}

fn check_extra(extra: &PackValue) -> Result<(), Failure> {
    check_database(extra.get("db").and_then(PackValue::as_str))?;
    if extra
        .get("imp_user")
        .is_some_and(|u| !matches!(u, PackValue::Null))
    {
        return Err(Failure::new(
            "Neo.ClientError.Security.Forbidden",
            "Impersonation (imp_user) is not supported by this server",
        ));
    }
    Ok(())
}

fn bookmark(lsn: u64) -> PackValue {
    PackValue::String(format!("caregraph:{lsn}"))
}

impl Session {
    /// A session for a connection that agreed on `version`.
    pub fn new(
        shared: Arc<Shared>,
        version: Version,
        connection_id: u64,
        local_addr: SocketAddr,
        interrupt: Arc<Interrupt>,
    ) -> Session {
        Session {
            shared,
            version,
            dialect: Dialect {
                element_ids: version.is_v5(),
                utc_date_times: version.is_v5(),
            },
            phase: Phase::Connected,
            connection_id: format!("bolt-{connection_id}"),
            local_addr,
            routing_address: None,
            authenticated: false,
            principal: None,
            interrupt,
            autocommit: None,
            tx: None,
        }
    }

    /// Handles one request, writing its responses to `out`.
    pub async fn handle<W: AsyncWrite + Unpin>(
        &mut self,
        request: Request,
        out: &mut Outbox<W>,
    ) -> std::io::Result<Next> {
        if matches!(request, Request::Goodbye) {
            return Ok(Next::Close);
        }
        if matches!(request, Request::Reset) {
            self.interrupt.acknowledge();
            self.reset().await;
            write_success(&mut out.buf, Vec::new());
            return Ok(Next::Continue);
        }
        if self.interrupt.pending() || self.phase == Phase::Failed {
            write_ignored(&mut out.buf);
            return Ok(Next::Continue);
        }
        let name = request.name();
        let result = match (self.phase, request) {
            (Phase::Connected, Request::Hello { extra }) => self.hello(&extra).await,
            (Phase::Authentication, Request::Logon { auth }) => self.logon(&auth).await,
            (Phase::Ready, Request::Logoff) if self.version >= Version::V5_1 => {
                self.authenticated = false;
                self.principal = None;
                self.phase = Phase::Authentication;
                Ok(Vec::new())
            }
            (
                Phase::Ready,
                Request::Run {
                    query,
                    parameters,
                    extra,
                },
            ) => self.run_autocommit(query, parameters, &extra).await,
            (Phase::Ready, Request::Begin { extra }) => self.begin(&extra),
            (Phase::Ready, Request::Route { routing, db }) => self.route(&routing, db.as_deref()),
            (Phase::Ready, Request::Telemetry) if self.version >= Version::V5_4 => Ok(Vec::new()),
            (Phase::Streaming, Request::Pull { n, qid: _ }) => {
                return self.pull_autocommit(n, out).await;
            }
            (Phase::Streaming, Request::Discard { n, qid: _ }) => Ok(self.discard_autocommit(n)),
            (
                Phase::TxReady | Phase::TxStreaming,
                Request::Run {
                    query,
                    parameters,
                    extra,
                },
            ) => self.run_in_tx(query, parameters, &extra).await,
            (Phase::TxStreaming, Request::Pull { n, qid }) => {
                return self.pull_in_tx(n, qid, out).await;
            }
            (Phase::TxStreaming, Request::Discard { n, qid }) => self.discard_in_tx(n, qid),
            (Phase::TxReady | Phase::TxStreaming, Request::Commit) => self.commit().await,
            (Phase::TxReady | Phase::TxStreaming, Request::Rollback) => {
                if let Some(open) = self.tx.take() {
                    open.tx.rollback().await;
                }
                self.phase = Phase::Ready;
                Ok(Vec::new())
            }
            (phase, _) => Err(Failure::new(
                INVALID_STATE,
                format!(
                    "Message {name} cannot be handled by a session in the {} state",
                    phase.name()
                ),
            )),
        };
        match result {
            Ok(metadata) => write_success(&mut out.buf, metadata),
            Err(failure) => return Ok(self.fail(&failure, out)),
        }
        Ok(Next::Continue)
    }

    /// Sends a `FAILURE`; failures before the session is authenticated
    /// close the connection.
    fn fail<W>(&mut self, failure: &Failure, out: &mut Outbox<W>) -> Next {
        tracing::debug!(
            connection = %self.connection_id,
            code = failure.code,
            message = %failure.message,
            "FAILURE"
        );
        write_failure(&mut out.buf, failure.code, &failure.message);
        let closing = matches!(self.phase, Phase::Connected | Phase::Authentication);
        self.autocommit = None;
        // The transaction is rolled back when dropped.
        self.tx = None;
        self.phase = Phase::Failed;
        if closing {
            Next::Close
        } else {
            Next::Continue
        }
    }

    async fn reset(&mut self) {
        self.autocommit = None;
        if let Some(open) = self.tx.take() {
            open.tx.rollback().await;
        }
        self.phase = match (self.phase, self.authenticated) {
            (Phase::Connected, _) => Phase::Connected,
            (_, true) => Phase::Ready,
            (_, false) => Phase::Authentication,
        };
    }

    /// Who the session runs as, once logged in (`HELLO` or `LOGON`).
    pub fn principal(&self) -> Option<&Principal> {
        self.principal.as_ref()
    }

    /// Checks credentials on the blocking pool (a password hash takes a
    /// while).
    async fn authenticate(&mut self, auth: &PackValue) -> Result<(), Failure> {
        let request = AuthRequest::from_map(auth);
        let authenticator = self.shared.settings.authenticator.clone();
        let checked = tokio::task::spawn_blocking(move || authenticator.authenticate(&request))
            .await
            .unwrap_or_else(|e| Err(AuthRefused(format!("the credentials check failed: {e}"))));
        match checked {
            Ok(user) => {
                tracing::debug!(
                    connection = %self.connection_id,
                    sub = %user.principal.sub,
                    role = %user.principal.role,
                    "logged in"
                );
                self.principal = Some(user.principal);
                self.authenticated = true;
                self.phase = Phase::Ready;
                Ok(())
            }
            Err(refused) => {
                tracing::debug!(connection = %self.connection_id, reason = %refused, "login refused");
                Err(Failure::new(UNAUTHORIZED, refused.0))
            }
        }
    }

    /// Counts a `RUN` or `BEGIN` against the principal's rate limit.
    fn check_rate(&self) -> Result<(), Failure> {
        let Some(principal) = &self.principal else {
            return Ok(());
        };
        self.shared
            .settings
            .rate_limiter
            .check(&principal.sub)
            .map_err(|limited| Failure::new(RESOURCE_EXHAUSTION, limited.to_string()))
    }

    /// Refuses a query text over the limit.
    fn check_query_size(&self, query: &str) -> Result<(), Failure> {
        let limit = self.shared.settings.max_query_bytes;
        if query.len() > limit {
            return Err(Failure::new(
                REQUEST_INVALID,
                format!(
                    "the query is {} bytes, more than the limit of {limit} bytes",
                    query.len()
                ),
            ));
        }
        Ok(())
    }

    async fn hello(&mut self, extra: &PackValue) -> Result<Vec<(String, PackValue)>, Failure> {
        self.routing_address = extra
            .get("routing")
            .and_then(|r| r.get("address"))
            .and_then(PackValue::as_str)
            .map(str::to_owned);
        let mut metadata = vec![
            entry("server", PackValue::String(SERVER_AGENT.into())),
            entry(
                "connection_id",
                PackValue::String(self.connection_id.clone()),
            ),
            entry("hints", PackValue::Map(Vec::new())),
        ];
        if self.version == Version::V4_4 {
            let wants_utc = matches!(
                extra.get("patch_bolt"),
                Some(PackValue::List(patches)) if patches.iter().any(|p| p.as_str() == Some("utc"))
            );
            if wants_utc {
                self.dialect.utc_date_times = true;
                metadata.push(entry(
                    "patch_bolt",
                    PackValue::List(vec![PackValue::String("utc".into())]),
                ));
            }
        }
        if self.version >= Version::V5_1 {
            self.phase = Phase::Authentication;
        } else {
            self.authenticate(extra).await?;
        }
        tracing::debug!(
            connection = %self.connection_id,
            version = %self.version,
            agent = extra.get("user_agent").and_then(PackValue::as_str).unwrap_or(""),
            "HELLO"
        );
        Ok(metadata)
    }

    async fn logon(&mut self, auth: &PackValue) -> Result<Vec<(String, PackValue)>, Failure> {
        self.authenticate(auth).await?;
        Ok(Vec::new())
    }

    fn route(
        &mut self,
        routing: &PackValue,
        db: Option<&str>,
    ) -> Result<Vec<(String, PackValue)>, Failure> {
        check_database(db)?;
        let address = routing
            .get("address")
            .and_then(PackValue::as_str)
            .map(str::to_owned)
            .or_else(|| self.routing_address.clone())
            .unwrap_or_else(|| self.local_addr.to_string());
        let server = |role: &str| {
            PackValue::Map(vec![
                entry(
                    "addresses",
                    PackValue::List(vec![PackValue::String(address.clone())]),
                ),
                entry("role", PackValue::String(role.into())),
            ])
        };
        let table = PackValue::Map(vec![
            entry("ttl", PackValue::Integer(300)),
            entry("db", PackValue::String(DATABASE.into())),
            entry(
                "servers",
                PackValue::List(vec![server("ROUTE"), server("READ"), server("WRITE")]),
            ),
        ]);
        Ok(vec![entry("rt", table)])
    }

    /// A request of the logged-in principal (a session that is not logged
    /// in never gets here; it would see no patient).
    fn request_access(&self) -> Arc<RequestAccess> {
        let caller = self
            .principal
            .as_ref()
            .map_or_else(Caller::nobody, Caller::of);
        RequestAccess::new(caller, self.shared.settings.policies.clone())
    }

    fn query_options(
        &self,
        access: &RequestAccess,
        read_only: bool,
        timeout: Option<Duration>,
    ) -> QueryOptions {
        access.options(
            QueryOptions {
                read_only,
                timeout,
                cancel: Some(self.interrupt.watch()),
                ..QueryOptions::default()
            },
            &self.shared.db.snapshot(),
        )
    }

    /// Records a statement that read patients (or was refused) in the
    /// audit log; when the log cannot take it, the statement fails.
    fn audit(
        &self,
        access: &RequestAccess,
        query: &str,
        result: Result<&cypher::QueryOutput, &'static str>,
    ) -> Result<(), Failure> {
        let outcome = match result {
            Ok(output) => {
                access.note_output(output);
                Outcome::Ok
            }
            Err(code) if code.starts_with("Neo.ClientError.Security") => Outcome::Refused,
            Err(code) => Outcome::Error(code.to_owned()),
        };
        access
            .record(
                &self.shared.settings.audit,
                Door::Bolt,
                query,
                access.touched(),
                outcome,
            )
            .map_err(|e| {
                tracing::error!(error = %e, "the audit log refused a record; the statement fails");
                Failure::new(
                    UNKNOWN_ERROR,
                    "the audit log cannot record this statement, so it is not answered",
                )
            })
    }

    async fn run_autocommit(
        &mut self,
        query: String,
        parameters: PackValue,
        extra: &PackValue,
    ) -> Result<Vec<(String, PackValue)>, Failure> {
        check_extra(extra)?;
        self.check_query_size(&query)?;
        self.check_rate()?;
        let params = params_from_pack(parameters, self.dialect.utc_date_times)
            .map_err(|e| Failure::new(REQUEST_INVALID, e.to_string()))?;
        let timeout = tx_timeout(extra)?.or(self.shared.settings.query_timeout);
        let access = self.request_access();
        let options = self.query_options(&access, read_mode(extra), timeout);
        let db = self.shared.db.clone();
        let started = Instant::now();
        let text = query.clone();
        let work =
            tokio::task::spawn_blocking(move || cypher::execute(&db, &query, &params, &options));
        let result = work.await;
        self.interrupt.unwatch();
        let output = match result {
            Ok(Ok(output)) => {
                self.audit(&access, &text, Ok(&output))?;
                output
            }
            Ok(Err(e)) => {
                self.audit(&access, &text, Err(e.status_code()))?;
                return Err(Failure::new(e.status_code(), e.to_string()));
            }
            Err(e) => {
                tracing::error!(error = %e, "a query worker failed");
                return Err(Failure::new(
                    UNKNOWN_ERROR,
                    format!("the query worker failed: {e}"),
                ));
            }
        };
        let metadata = vec![
            entry(
                "t_first",
                PackValue::Integer(started.elapsed().as_millis() as i64),
            ),
            entry("fields", fields(&output)),
        ];
        self.autocommit = Some(OpenResult::new(output));
        self.phase = Phase::Streaming;
        Ok(metadata)
    }

    /// The summary of a finished auto-commit result; back to `READY`.
    fn finish_autocommit(&mut self, result: &OpenResult) -> Vec<(String, PackValue)> {
        let mut metadata = result.summary();
        metadata.push(entry("bookmark", bookmark(result.output.graph.lsn())));
        self.phase = Phase::Ready;
        metadata
    }

    async fn pull_autocommit<W: AsyncWrite + Unpin>(
        &mut self,
        n: i64,
        out: &mut Outbox<W>,
    ) -> std::io::Result<Next> {
        let Some(mut result) = self.autocommit.take() else {
            return Ok(self.fail(&Failure::new(INVALID_STATE, "No result to pull"), out));
        };
        while !result.write_records(&mut out.buf, n, ROWS_PER_FLUSH, self.dialect) {
            out.flush().await?;
        }
        if result.is_done() {
            let metadata = self.finish_autocommit(&result);
            write_success(&mut out.buf, metadata);
        } else {
            write_success(
                &mut out.buf,
                vec![entry("has_more", PackValue::Boolean(true))],
            );
            self.autocommit = Some(result);
        }
        Ok(Next::Continue)
    }

    fn discard_autocommit(&mut self, n: i64) -> Vec<(String, PackValue)> {
        let Some(mut result) = self.autocommit.take() else {
            self.phase = Phase::Ready;
            return Vec::new();
        };
        result.discard(n);
        if result.is_done() {
            self.finish_autocommit(&result)
        } else {
            self.autocommit = Some(result);
            vec![entry("has_more", PackValue::Boolean(true))]
        }
    }

    fn begin(&mut self, extra: &PackValue) -> Result<Vec<(String, PackValue)>, Failure> {
        check_extra(extra)?;
        self.check_rate()?;
        let timeout = tx_timeout(extra)?;
        let tx = Transaction::begin(&self.shared.db, read_mode(extra), timeout);
        self.tx = Some(OpenTx {
            tx,
            results: BTreeMap::new(),
            next_qid: 0,
            last_qid: -1,
        });
        self.phase = Phase::TxReady;
        Ok(Vec::new())
    }

    async fn run_in_tx(
        &mut self,
        query: String,
        parameters: PackValue,
        extra: &PackValue,
    ) -> Result<Vec<(String, PackValue)>, Failure> {
        self.check_query_size(&query)?;
        self.check_rate()?;
        let params = params_from_pack(parameters, self.dialect.utc_date_times)
            .map_err(|e| Failure::new(REQUEST_INVALID, e.to_string()))?;
        let default_timeout = self.shared.settings.query_timeout;
        let Some(open) = self.tx.as_ref() else {
            return Err(Failure::new(INVALID_STATE, "No open transaction"));
        };
        let timeout = open.tx.statement_timeout(default_timeout)?;
        let read_only = open.tx.is_read_only() || read_mode(extra);
        let access = self.request_access();
        let options = self.query_options(&access, read_only, timeout);
        let started = Instant::now();
        let text = query.clone();
        let result = match self.tx.as_mut() {
            Some(open) => open.tx.run(query, params, options).await,
            None => Err(TxError::Terminated),
        };
        self.interrupt.unwatch();
        let output = match result {
            Ok(output) => {
                self.audit(&access, &text, Ok(&output))?;
                output
            }
            Err(e) => {
                let failure = Failure::from(e);
                self.audit(&access, &text, Err(failure.code))?;
                return Err(failure);
            }
        };
        let Some(open) = self.tx.as_mut() else {
            return Err(Failure::new(INVALID_STATE, "No open transaction"));
        };
        let qid = open.next_qid;
        open.next_qid += 1;
        open.last_qid = qid;
        let metadata = vec![
            entry(
                "t_first",
                PackValue::Integer(started.elapsed().as_millis() as i64),
            ),
            entry("fields", fields(&output)),
            entry("qid", PackValue::Integer(qid)),
        ];
        open.results.insert(qid, OpenResult::new(output));
        self.phase = Phase::TxStreaming;
        Ok(metadata)
    }

    /// The open result `qid` (-1: the last one) of the transaction.
    fn tx_result(&mut self, qid: i64) -> Result<(&mut OpenTx, i64), Failure> {
        let Some(open) = self.tx.as_mut() else {
            return Err(Failure::new(INVALID_STATE, "No open transaction"));
        };
        let qid = if qid == -1 { open.last_qid } else { qid };
        if !open.results.contains_key(&qid) {
            return Err(Failure::new(
                REQUEST_INVALID,
                format!("No open result with qid {qid}"),
            ));
        }
        Ok((open, qid))
    }

    async fn pull_in_tx<W: AsyncWrite + Unpin>(
        &mut self,
        n: i64,
        qid: i64,
        out: &mut Outbox<W>,
    ) -> std::io::Result<Next> {
        let dialect = self.dialect;
        let (open, qid) = match self.tx_result(qid) {
            Ok(found) => found,
            Err(failure) => return Ok(self.fail(&failure, out)),
        };
        let Some(result) = open.results.get_mut(&qid) else {
            return Ok(Next::Continue);
        };
        while !result.write_records(&mut out.buf, n, ROWS_PER_FLUSH, dialect) {
            out.flush().await?;
        }
        let metadata = self.after_tx_batch(qid);
        write_success(&mut out.buf, metadata);
        Ok(Next::Continue)
    }

    fn discard_in_tx(&mut self, n: i64, qid: i64) -> Result<Vec<(String, PackValue)>, Failure> {
        let (open, qid) = self.tx_result(qid)?;
        if let Some(result) = open.results.get_mut(&qid) {
            result.discard(n);
        }
        Ok(self.after_tx_batch(qid))
    }

    /// The metadata after a batch of result `qid`: `has_more`, or the
    /// summary (the result is then closed).
    fn after_tx_batch(&mut self, qid: i64) -> Vec<(String, PackValue)> {
        let Some(open) = self.tx.as_mut() else {
            return Vec::new();
        };
        let done = open.results.get(&qid).is_none_or(OpenResult::is_done);
        if !done {
            return vec![entry("has_more", PackValue::Boolean(true))];
        }
        let metadata = open
            .results
            .remove(&qid)
            .map(|r| r.summary())
            .unwrap_or_default();
        if open.results.is_empty() {
            self.phase = Phase::TxReady;
        }
        metadata
    }

    async fn commit(&mut self) -> Result<Vec<(String, PackValue)>, Failure> {
        let Some(open) = self.tx.take() else {
            return Err(Failure::new(INVALID_STATE, "No open transaction"));
        };
        let lsn = open.tx.commit().await?;
        self.phase = Phase::Ready;
        Ok(vec![entry("bookmark", bookmark(lsn))])
    }
}

fn fields(output: &cypher::QueryOutput) -> PackValue {
    PackValue::List(
        output
            .columns
            .iter()
            .map(|c| PackValue::String(c.clone()))
            .collect(),
    )
}
