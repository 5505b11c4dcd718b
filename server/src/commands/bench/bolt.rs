//! `caregraph bench bolt`: key lookups per second over Bolt against the
//! same over the HTTP Query API, both servers in this process on the same
//! graph, with 1 and more client connections.
//!
//! The Bolt client here is a minimal blocking one (Bolt 5.4, `RUN` and
//! `PULL` sent together as drivers pipeline them), so the figure measures
//! the server, not a driver.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use cypher::{CypherValue, Params, QueryOptions};
use graph_model::Database;

use crate::bolt::framing::write_message;
use crate::bolt::packstream::{self, PackStruct, PackValue};

const QUERY: &str = "MATCH (p:Patient {id: $id}) RETURN p.name AS name";

/// A blocking Bolt 5.4 connection.
struct BoltClient {
    stream: TcpStream,
    out: Vec<u8>,
}

fn message(tag: u8, fields: Vec<PackValue>) -> PackValue {
    PackValue::Struct(PackStruct { tag, fields })
}

fn text(s: &str) -> PackValue {
    PackValue::String(s.to_owned())
}

impl BoltClient {
    fn connect(addr: SocketAddr, token: &str) -> anyhow::Result<BoltClient> {
        let mut stream = TcpStream::connect(addr)?;
        stream.set_nodelay(true)?;
        stream.write_all(&[
            0x60, 0x60, 0xB0, 0x17, 0, 4, 4, 5, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
        ])?;
        let mut version = [0u8; 4];
        stream.read_exact(&mut version)?;
        anyhow::ensure!(
            version == [0, 0, 4, 5],
            "the server offered {version:?}, not 5.4"
        );
        let mut client = BoltClient {
            stream,
            out: Vec::new(),
        };
        client.send(&message(
            0x01,
            vec![PackValue::Map(vec![(
                "user_agent".into(),
                text("caregraph-bench/1"),
            )])],
        ));
        client.send(&message(
            0x6A,
            vec![PackValue::Map(vec![
                ("scheme".into(), text("bearer")),
                ("credentials".into(), text(token)),
            ])],
        ));
        client.flush()?;
        for _ in 0..2 {
            let (tag, _) = client.recv()?;
            anyhow::ensure!(tag == 0x70, "login refused");
        }
        Ok(client)
    }

    fn send(&mut self, value: &PackValue) {
        write_message(&mut self.out, &packstream::encode(value));
    }

    fn flush(&mut self) -> anyhow::Result<()> {
        self.stream.write_all(&self.out)?;
        self.out.clear();
        Ok(())
    }

    fn recv(&mut self) -> anyhow::Result<(u8, PackValue)> {
        let mut bytes = Vec::new();
        loop {
            let mut size = [0u8; 2];
            self.stream.read_exact(&mut size)?;
            let size = usize::from(u16::from_be_bytes(size));
            if size == 0 {
                if bytes.is_empty() {
                    continue;
                }
                break;
            }
            let start = bytes.len();
            bytes.resize(start + size, 0);
            self.stream.read_exact(&mut bytes[start..])?;
        }
        match packstream::decode(&bytes)? {
            PackValue::Struct(PackStruct { tag, mut fields }) => {
                Ok((tag, fields.pop().unwrap_or(PackValue::Null)))
            }
            other => anyhow::bail!("a response that is not a message: {other:?}"),
        }
    }

    /// Runs the lookup; the number of records.
    fn lookup(&mut self, id: &str) -> anyhow::Result<usize> {
        self.send(&message(
            0x10,
            vec![
                text(QUERY),
                PackValue::Map(vec![("id".into(), text(id))]),
                PackValue::Map(Vec::new()),
            ],
        ));
        self.send(&message(
            0x3F,
            vec![PackValue::Map(vec![("n".into(), PackValue::Integer(-1))])],
        ));
        self.flush()?;
        let (tag, body) = self.recv()?;
        anyhow::ensure!(tag == 0x70, "RUN failed: {body:?}");
        let mut records = 0;
        loop {
            match self.recv()? {
                (0x71, _) => records += 1,
                (0x70, _) => return Ok(records),
                (_, body) => anyhow::bail!("PULL failed: {body:?}"),
            }
        }
    }
}

/// One client's step: runs query number `i`.
pub(super) type Step<'a> = Box<dyn FnMut(usize) -> anyhow::Result<()> + 'a>;

/// Queries per second on `clients` threads, each with a step from `work`
/// (made on the client's thread, so it may hold a connection).
pub(super) fn per_second<'a>(
    clients: usize,
    seconds: f64,
    work: &(dyn Fn(usize) -> anyhow::Result<Step<'a>> + Sync),
) -> anyhow::Result<f64> {
    let deadline = Instant::now() + Duration::from_secs_f64(seconds);
    let started = Instant::now();
    let counts: Vec<anyhow::Result<usize>> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..clients)
            .map(|t| {
                scope.spawn(move || {
                    let mut step = work(t)?;
                    let mut n = 0usize;
                    while Instant::now() < deadline {
                        step(t * 7919 + n)?;
                        n += 1;
                    }
                    Ok(n)
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| {
                h.join()
                    .unwrap_or_else(|_| Err(anyhow::anyhow!("a client thread panicked")))
            })
            .collect()
    });
    let mut total = 0usize;
    for c in counts {
        total += c?;
    }
    Ok(total as f64 / started.elapsed().as_secs_f64())
}

/// Runs the benchmark on the graph in `data_dir`.
pub fn run(data_dir: &Path, clients: &[usize], seconds: f64) -> anyhow::Result<()> {
    let db = Database::open(data_dir, graph_model::DbOptions::default())
        .with_context(|| format!("opening {}", data_dir.display()))?;
    let ids: Arc<Vec<String>> = Arc::new(
        cypher::execute(
            &db,
            "MATCH (p:Patient) RETURN p.id LIMIT 10000",
            &Params::new(),
            &QueryOptions::default(),
        )?
        .rows
        .iter()
        .filter_map(|row| row.first().and_then(CypherValue::as_str).map(str::to_owned))
        .collect(),
    );
    anyhow::ensure!(!ids.is_empty(), "no patients in {}", data_dir.display());
    let workers = std::thread::available_parallelism().map_or(2, std::num::NonZero::get);
    let (auth, token) = super::cypher::bench_auth()?;
    let authorization = format!("Bearer {token}");
    let http = crate::http::spawn(
        crate::http::AppState {
            db: db.clone(),
            data_dir: None,
            metrics: crate::http::Metrics::default(),
            max_body_bytes: 1 << 20,
            policies: crate::security::PolicyBuilder::new(crate::security::PseudonymKey::random()),
            audit: std::sync::Arc::new(crate::audit::AuditLog::disabled()),
            max_query_bytes: crate::settings::DEFAULT_MAX_QUERY_BYTES,
            auth: auth.clone(),
        },
        "127.0.0.1:0".parse()?,
        workers,
    )?;
    let bolt = crate::bolt::spawn(
        db.clone(),
        crate::bolt::BoltSettings {
            worker_threads: workers,
            authenticator: auth.clone(),
            ..crate::bolt::BoltSettings::default()
        },
        "127.0.0.1:0".parse()?,
    )?;
    let url = format!("http://{}/db/neo4j/query/v2", http.addr);
    println!(
        "`{QUERY}` on {} patients, {seconds:.0} s per measurement, servers and clients in one process ({workers} cores)",
        ids.len()
    );
    for &n in clients {
        let bolt_rate = per_second(n, seconds, &|_| {
            let mut client = BoltClient::connect(bolt.addr, &token)?;
            let ids = ids.clone();
            Ok(Box::new(move |i| {
                let found = client.lookup(&ids[i % ids.len()])?;
                anyhow::ensure!(found == 1, "{found} rows for one patient");
                Ok(())
            }))
        })?;
        let http_rate = per_second(n, seconds, &|_| {
            let agent = ureq::AgentBuilder::new().build();
            let ids = ids.clone();
            let url = url.clone();
            let authorization = authorization.clone();
            Ok(Box::new(move |i| {
                super::cypher::http_lookup(&agent, &url, &authorization, QUERY, &ids[i % ids.len()])
            }))
        })?;
        println!(
            "{n} connection(s): Bolt {bolt_rate:.0} queries/s, HTTP Query API {http_rate:.0} queries/s (Bolt/HTTP {:.2})",
            bolt_rate / http_rate.max(1e-9)
        );
    }
    bolt.stop();
    http.stop();
    db.close()?;
    Ok(())
}
