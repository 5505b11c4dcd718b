//! Explicit transactions (`BEGIN` ... `COMMIT` / `ROLLBACK`).
//!
//! A read transaction (`mode: "r"`) runs every statement on the graph
//! version that was newest at `BEGIN`: its reads are repeatable. A write
//! transaction opens one store write transaction at its first statement
//! and runs every statement inside it ([`cypher::execute_in`]), so later
//! statements read earlier ones' changes and `COMMIT` publishes them all at
//! once, `ROLLBACK` none. The store's write transaction borrows the
//! database and holds its writer lock, so it lives on a thread of its own
//! that takes the statements in turn; other writers wait until it ends
//! (as they would behind Neo4j's locks). A statement that fails takes the
//! transaction with it, as in Neo4j.

use std::sync::mpsc;
use std::sync::Arc;
use std::time::{Duration, Instant};

use cypher::{CypherError, Params, QueryOptions, QueryOutput};
use graph_model::{Database, GraphError, GraphState};
use tokio::sync::oneshot;

/// Why a statement or commit of an explicit transaction failed.
#[derive(Debug, thiserror::Error)]
pub enum TxError {
    /// The statement failed (the transaction is rolled back).
    #[error(transparent)]
    Query(#[from] CypherError),
    /// The transaction ran past its `tx_timeout` and was rolled back.
    #[error("The transaction has been terminated: it ran longer than its timeout of {0:?}")]
    TimedOut(Duration),
    /// An earlier statement failed, so the transaction is gone.
    #[error("The transaction has been terminated by an earlier failure")]
    Terminated,
    /// The store refused the commit.
    #[error("The commit failed: {0}")]
    Commit(#[from] GraphError),
}

impl TxError {
    /// The Neo4j status code.
    pub fn status_code(&self) -> &'static str {
        match self {
            TxError::Query(e) => e.status_code(),
            TxError::TimedOut(_) => super::error::TRANSACTION_TIMED_OUT,
            TxError::Terminated => super::error::TRANSACTION_TERMINATED,
            TxError::Commit(_) => super::error::COMMIT_FAILED,
        }
    }
}

enum Command {
    Run {
        query: String,
        params: Params,
        options: QueryOptions,
        reply: oneshot::Sender<Result<QueryOutput, TxError>>,
    },
    Commit {
        reply: oneshot::Sender<Result<u64, TxError>>,
    },
    Rollback {
        reply: oneshot::Sender<()>,
    },
}

/// An open explicit transaction.
pub struct Transaction {
    kind: Kind,
    /// When the transaction times out (from `tx_timeout`).
    deadline: Option<(Instant, Duration)>,
}

enum Kind {
    Read(Arc<GraphState>),
    Write {
        db: Database,
        worker: Option<mpsc::Sender<Command>>,
    },
}

impl Transaction {
    /// Begins a transaction; `read_only` for `mode: "r"`.
    pub fn begin(db: &Database, read_only: bool, timeout: Option<Duration>) -> Transaction {
        let kind = if read_only {
            Kind::Read(db.snapshot())
        } else {
            Kind::Write {
                db: db.clone(),
                worker: None,
            }
        };
        Transaction {
            kind,
            deadline: timeout.map(|t| (Instant::now() + t, t)),
        }
    }

    /// `true` for a read transaction.
    pub fn is_read_only(&self) -> bool {
        matches!(self.kind, Kind::Read(_))
    }

    /// The time a statement may take: what is left of the transaction's
    /// time, else `default`. An error once the time is up.
    pub fn statement_timeout(
        &self,
        default: Option<Duration>,
    ) -> Result<Option<Duration>, TxError> {
        match self.deadline {
            None => Ok(default),
            Some((deadline, limit)) => {
                let left = deadline.saturating_duration_since(Instant::now());
                if left.is_zero() {
                    Err(TxError::TimedOut(limit))
                } else {
                    Ok(Some(left))
                }
            }
        }
    }

    /// Runs one statement in the transaction.
    pub async fn run(
        &mut self,
        query: String,
        params: Params,
        options: QueryOptions,
    ) -> Result<QueryOutput, TxError> {
        match &mut self.kind {
            Kind::Read(state) => {
                let state = state.clone();
                let work = tokio::task::spawn_blocking(move || {
                    cypher::execute_on(state, &query, &params, &options)
                });
                match work.await {
                    Ok(result) => Ok(result?),
                    Err(_) => Err(TxError::Terminated),
                }
            }
            Kind::Write { db, worker } => {
                let deadline = self.deadline;
                let sender = worker.get_or_insert_with(|| start_worker(db.clone(), deadline));
                let (reply, answer) = oneshot::channel();
                let command = Command::Run {
                    query,
                    params,
                    options,
                    reply,
                };
                if sender.send(command).is_err() {
                    return Err(TxError::Terminated);
                }
                answer.await.unwrap_or(Err(TxError::Terminated))
            }
        }
    }

    /// Commits; the log sequence number of the commit, or of the graph
    /// version read when nothing was written.
    pub async fn commit(self) -> Result<u64, TxError> {
        match self.kind {
            Kind::Read(state) => Ok(state.lsn()),
            Kind::Write { db, worker: None } => Ok(db.snapshot().lsn()),
            Kind::Write {
                worker: Some(sender),
                ..
            } => {
                let (reply, answer) = oneshot::channel();
                if sender.send(Command::Commit { reply }).is_err() {
                    return Err(TxError::Terminated);
                }
                answer.await.unwrap_or(Err(TxError::Terminated))
            }
        }
    }

    /// Rolls back, and waits until the store's write transaction is gone.
    pub async fn rollback(self) {
        if let Kind::Write {
            worker: Some(sender),
            ..
        } = self.kind
        {
            let (reply, answer) = oneshot::channel();
            if sender.send(Command::Rollback { reply }).is_ok() {
                let _ = answer.await;
            }
        }
    }
}

/// Starts the thread that owns the store's write transaction. Dropping
/// the sender (the session went away) rolls the transaction back.
fn start_worker(db: Database, deadline: Option<(Instant, Duration)>) -> mpsc::Sender<Command> {
    let (sender, commands) = mpsc::channel();
    let spawned = std::thread::Builder::new()
        .name("caregraph-bolt-tx".into())
        .spawn(move || worker(&db, &commands, deadline));
    if let Err(e) = spawned {
        // The receiver is gone with the closure: every command gets
        // `Terminated`.
        tracing::error!(error = %e, "cannot start a transaction thread");
    }
    sender
}

fn worker(
    db: &Database,
    commands: &mpsc::Receiver<Command>,
    deadline: Option<(Instant, Duration)>,
) {
    let mut txn = Some(db.begin_write());
    let mut timed_out = None;
    loop {
        let command = match deadline {
            Some((at, limit)) if txn.is_some() => {
                match commands.recv_timeout(at.saturating_duration_since(Instant::now())) {
                    Ok(command) => command,
                    Err(mpsc::RecvTimeoutError::Timeout) => {
                        tracing::info!(?limit, "an explicit transaction timed out; rolled back");
                        txn = None;
                        timed_out = Some(limit);
                        continue;
                    }
                    Err(mpsc::RecvTimeoutError::Disconnected) => return,
                }
            }
            _ => match commands.recv() {
                Ok(command) => command,
                Err(_) => return,
            },
        };
        let gone = || timed_out.map_or(TxError::Terminated, TxError::TimedOut);
        match command {
            Command::Run {
                query,
                params,
                options,
                reply,
            } => {
                let result = match txn.take() {
                    None => Err(gone()),
                    Some(open) => match cypher::execute_in(open, &query, &params, &options) {
                        Ok((output, open)) => {
                            txn = Some(open);
                            Ok(output)
                        }
                        Err(e) => Err(TxError::Query(e)),
                    },
                };
                let _ = reply.send(result);
            }
            Command::Commit { reply } => {
                let result = match txn.take() {
                    None => Err(gone()),
                    Some(open) => open.commit().map_err(TxError::Commit),
                };
                let _ = reply.send(result);
                return;
            }
            Command::Rollback { reply } => {
                drop(txn.take());
                let _ = reply.send(());
                return;
            }
        }
    }
}
