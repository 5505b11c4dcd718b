//! The Bolt server: Neo4j's wire protocol, versions 4.4 and 5.0 to 5.4, so
//! that Neo4j drivers and tools can query the graph.
//!
//! Each connection does the handshake (magic `60 60 B0 17`, four version
//! proposals; an HTTP request gets a plain `400` telling it this is the
//! Bolt port), then reads chunked `PackStream` messages on one task and
//! answers them in order on another ([`session`]). Queries run on the
//! blocking thread pool through the `cypher` crate; explicit write
//! transactions own a thread each ([`txn`]). A malformed or oversized
//! message gets a `FAILURE` (`Neo.ClientError.Request.Invalid`) and the
//! connection is closed. With [`BoltSettings::tls`] every connection
//! starts with a TLS handshake (`bolt+s://`, `neo4j+s://`).

pub mod auth;
pub mod error;
pub mod framing;
pub mod messages;
pub mod packstream;
pub mod results;
pub mod session;
pub mod txn;
pub mod values;

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use graph_model::Database;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{mpsc, watch};

use self::auth::{AcceptAll, Authenticator};
use self::error::{StartError, REQUEST_INVALID};
use self::messages::{negotiate, parse_request, write_failure, Request, MAGIC};
use self::session::{Interrupt, Next, Outbox, Session};
use crate::auth::RateLimiter;

/// Default Bolt address.
pub const DEFAULT_ADDR: &str = "127.0.0.1:7687";
/// Default largest message a client may send.
pub const DEFAULT_MAX_MESSAGE_BYTES: usize = 64 << 20;
/// How long a new connection may take to send its handshake.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);
/// Messages read ahead of the one being answered.
const READ_AHEAD: usize = 64;

/// How the Bolt server runs.
#[derive(Clone)]
pub struct BoltSettings {
    /// Time limit of one auto-commit query or transaction statement
    /// without a `tx_timeout` (`None`: no limit).
    pub query_timeout: Option<Duration>,
    /// Largest message a client may send, in bytes.
    pub max_message_bytes: usize,
    /// Largest query text of a `RUN`, in bytes.
    pub max_query_bytes: usize,
    /// Who may log in (the default, [`AcceptAll`], is for embedding and
    /// tests only; `serve` uses its [`crate::auth::AuthConfig`]).
    pub authenticator: Arc<dyn Authenticator>,
    /// Per-principal rate limit of `RUN` and `BEGIN` (shared with HTTP).
    pub rate_limiter: Arc<RateLimiter>,
    /// TLS: when set, connections must start with a TLS handshake.
    pub tls: Option<Arc<rustls::ServerConfig>>,
    /// Threads of the server's runtime (queries run on its blocking pool).
    pub worker_threads: usize,
    /// The access policies of callers (share the HTTP server's, so both
    /// show analysts the same pseudonyms).
    pub policies: crate::security::PolicyBuilder,
    /// Where patient reads are recorded.
    pub audit: Arc<crate::audit::AuditLog>,
}

impl Default for BoltSettings {
    fn default() -> Self {
        BoltSettings {
            query_timeout: Some(crate::http::query::DEFAULT_QUERY_TIMEOUT),
            max_message_bytes: DEFAULT_MAX_MESSAGE_BYTES,
            max_query_bytes: crate::settings::DEFAULT_MAX_QUERY_BYTES,
            authenticator: Arc::new(AcceptAll),
            rate_limiter: Arc::new(RateLimiter::disabled()),
            tls: None,
            worker_threads: 2,
            policies: crate::security::PolicyBuilder::new(crate::security::PseudonymKey::random()),
            audit: Arc::new(crate::audit::AuditLog::disabled()),
        }
    }
}

/// What every connection shares.
pub struct Shared {
    /// The graph.
    pub db: Database,
    /// The settings.
    pub settings: BoltSettings,
    tls: Option<tokio_rustls::TlsAcceptor>,
    next_connection: AtomicU64,
}

/// A Bolt server running on its own thread.
pub struct RunningBolt {
    /// The address it listens on.
    pub addr: SocketAddr,
    stop: watch::Sender<bool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl RunningBolt {
    /// Stops accepting, closes the connections (open transactions roll
    /// back) and waits for the thread.
    pub fn stop(mut self) {
        self.shutdown();
    }

    fn shutdown(&mut self) {
        let _ = self.stop.send(true);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

impl Drop for RunningBolt {
    fn drop(&mut self) {
        if self.thread.is_some() {
            self.shutdown();
        }
    }
}

/// Binds `addr` (port 0 picks a free port) and serves Bolt on a new
/// thread with its own runtime.
pub fn spawn(
    db: Database,
    settings: BoltSettings,
    addr: SocketAddr,
) -> Result<RunningBolt, StartError> {
    let listener =
        std::net::TcpListener::bind(addr).map_err(|source| StartError::Bind { addr, source })?;
    let bound = listener
        .local_addr()
        .map_err(|source| StartError::Bind { addr, source })?;
    listener
        .set_nonblocking(true)
        .map_err(|source| StartError::Bind { addr, source })?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(settings.worker_threads.max(1))
        .thread_name("caregraph-bolt")
        .enable_all()
        .build()
        .map_err(StartError::Runtime)?;
    let (stop, stopped) = watch::channel(false);
    let shared_tls = settings.tls.is_some();
    let tls = settings.tls.clone().map(tokio_rustls::TlsAcceptor::from);
    let shared = Arc::new(Shared {
        db,
        settings,
        tls,
        next_connection: AtomicU64::new(1),
    });
    let thread = std::thread::Builder::new()
        .name("caregraph-bolt-accept".into())
        .spawn(move || {
            runtime.block_on(async move {
                match TcpListener::from_std(listener) {
                    Ok(listener) => accept_loop(listener, shared, stopped).await,
                    Err(e) => tracing::error!(error = %e, "the Bolt listener failed"),
                }
            });
            runtime.shutdown_timeout(Duration::from_secs(2));
        })
        .map_err(StartError::Runtime)?;
    tracing::info!(addr = %bound, tls = shared_tls, "Bolt server listening");
    Ok(RunningBolt {
        addr: bound,
        stop,
        thread: Some(thread),
    })
}

async fn accept_loop(
    listener: TcpListener,
    shared: Arc<Shared>,
    mut stopped: watch::Receiver<bool>,
) {
    loop {
        tokio::select! {
            _ = stopped.changed() => return,
            accepted = listener.accept() => match accepted {
                Ok((stream, peer)) => {
                    let shared = shared.clone();
                    let stopped = stopped.clone();
                    tokio::spawn(async move {
                        serve_connection(stream, peer, shared, stopped).await;
                    });
                }
                Err(e) => {
                    tracing::warn!(error = %e, "cannot accept a Bolt connection");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
            },
        }
    }
}

/// The answer to an HTTP request sent to the Bolt port.
const HTTP_REFUSAL: &str = "This is CareGraph's Bolt port: connect a Neo4j driver with bolt:// or neo4j://, or send HTTP to the HTTP port (default 7474).\n";

fn looks_like_http(first: [u8; 4]) -> bool {
    [
        &b"GET "[..],
        b"POST",
        b"HEAD",
        b"PUT ",
        b"OPTI",
        b"DELE",
        b"PATC",
        b"CONN",
    ]
    .iter()
    .any(|m| first == **m)
}

async fn serve_connection(
    stream: TcpStream,
    peer: SocketAddr,
    shared: Arc<Shared>,
    mut stopped: watch::Receiver<bool>,
) {
    let id = shared.next_connection.fetch_add(1, Ordering::Relaxed);
    tracing::debug!(%peer, connection = id, "Bolt connection");
    tokio::select! {
        result = connection(stream, id, shared) => {
            if let Err(e) = result {
                tracing::debug!(%peer, connection = id, error = %e, "Bolt connection ended");
            }
        }
        _ = stopped.changed() => {}
    }
}

/// TLS when configured, then [`converse`].
async fn connection(stream: TcpStream, id: u64, shared: Arc<Shared>) -> std::io::Result<()> {
    let _ = stream.set_nodelay(true);
    let local = stream.local_addr()?;
    match shared.tls.clone() {
        Some(acceptor) => {
            let stream =
                match tokio::time::timeout(HANDSHAKE_TIMEOUT, acceptor.accept(stream)).await {
                    Ok(Ok(stream)) => stream,
                    Ok(Err(e)) => {
                        tracing::debug!(connection = id, error = %e, "TLS handshake failed");
                        return Ok(());
                    }
                    Err(_) => return Ok(()),
                };
            let (reader, writer) = tokio::io::split(stream);
            converse(reader, writer, local, id, shared).await
        }
        None => {
            let (reader, writer) = stream.into_split();
            converse(reader, writer, local, id, shared).await
        }
    }
}

/// Handshake, then messages until GOODBYE, an error or the client leaves.
async fn converse<R, W>(
    mut reader: R,
    mut writer: W,
    local: SocketAddr,
    id: u64,
    shared: Arc<Shared>,
) -> std::io::Result<()>
where
    R: AsyncRead + Unpin + Send + 'static,
    W: AsyncWrite + Unpin + Send,
{
    let mut magic = [0u8; 4];
    match tokio::time::timeout(HANDSHAKE_TIMEOUT, reader.read_exact(&mut magic)).await {
        Ok(result) => {
            result?;
        }
        Err(_) => return Ok(()),
    }
    if magic != MAGIC {
        if looks_like_http(magic) {
            let response = format!(
                "HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{HTTP_REFUSAL}",
                HTTP_REFUSAL.len()
            );
            writer.write_all(response.as_bytes()).await?;
            writer.shutdown().await?;
        }
        return Ok(());
    }
    let mut proposals = [0u8; 16];
    match tokio::time::timeout(HANDSHAKE_TIMEOUT, reader.read_exact(&mut proposals)).await {
        Ok(result) => {
            result?;
        }
        Err(_) => return Ok(()),
    }
    let Some(version) = negotiate(&proposals) else {
        writer.write_all(&[0, 0, 0, 0]).await?;
        writer.shutdown().await?;
        return Ok(());
    };
    writer.write_all(&version.to_bytes()).await?;
    tracing::debug!(connection = id, %version, "Bolt version agreed");

    let interrupt = Arc::new(Interrupt::default());
    let (sender, mut incoming) = mpsc::channel(READ_AHEAD);
    let reader_task = tokio::spawn(read_loop(
        reader,
        sender,
        interrupt.clone(),
        shared.settings.max_message_bytes,
    ));
    let mut session = Session::new(shared, version, id, local, interrupt);
    let mut out = Outbox::new(writer);
    let result = async {
        while let Some(message) = incoming.recv().await {
            match message {
                Incoming::Request(request) => {
                    if session.handle(request, &mut out).await? == Next::Close {
                        break;
                    }
                }
                Incoming::Malformed(reason) => {
                    tracing::debug!(connection = id, %reason, "malformed message");
                    write_failure(&mut out.buf, REQUEST_INVALID, &reason);
                    break;
                }
            }
            if incoming.is_empty() {
                out.flush().await?;
            }
        }
        out.flush().await
    }
    .await;
    reader_task.abort();
    result
}

enum Incoming {
    Request(Request),
    Malformed(String),
}

async fn read_loop<R: AsyncRead + Unpin>(
    mut reader: R,
    sender: mpsc::Sender<Incoming>,
    interrupt: Arc<Interrupt>,
    max_bytes: usize,
) {
    let mut buf = Vec::new();
    loop {
        let message = match framing::read_message(&mut reader, &mut buf, max_bytes).await {
            Ok(false) | Err(error::FrameError::Io(_)) => return,
            Ok(true) => packstream::decode(&buf)
                .map_err(|e| format!("Invalid message: {e}"))
                .and_then(|v| parse_request(v).map_err(|e| format!("Invalid message: {e}"))),
            Err(error::FrameError::TooLarge { limit }) => Err(format!(
                "Invalid message: larger than the limit of {limit} bytes"
            )),
        };
        match message {
            Ok(request) => {
                if matches!(request, Request::Reset) {
                    interrupt.signal();
                }
                if sender.send(Incoming::Request(request)).await.is_err() {
                    return;
                }
            }
            Err(reason) => {
                let _ = sender.send(Incoming::Malformed(reason)).await;
                return;
            }
        }
    }
}
