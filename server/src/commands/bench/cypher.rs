//! `caregraph bench cypher`: the Cypher engine against the store's own API,
//! the same query both ways in the same run, on a loaded data directory.
//!
//! Each query is run through `cypher::execute` and through a hand-written
//! store-API equivalent that does the same work (same start, same
//! expansions, same aggregation); both answers are compared, and the
//! report gives the median latency of each and their ratio.

use std::collections::HashSet;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use cypher::{CypherValue, Params, QueryOptions};
use graph_model::{Database, DbOptions, Direction, GraphState, NodeId, Value};

/// One measured query: its name, the engine's and the store's median.
struct Measured {
    name: &'static str,
    engine: Duration,
    store: Duration,
    samples: usize,
}

fn median(mut values: Vec<Duration>) -> Duration {
    values.sort();
    values[values.len() / 2]
}

fn patient_ids(state: &GraphState, limit: usize) -> anyhow::Result<Vec<Arc<str>>> {
    let label = state
        .label_id("Patient")
        .context("the graph has no Patient nodes")?;
    let key = state.prop_key_id("id").context("no `id` property")?;
    let step = (state.label_count(label) as usize / limit).max(1);
    Ok(state
        .nodes_with_label(label)
        .step_by(step)
        .take(limit)
        .filter_map(|n| state.node(n)?.property(key)?.as_str().map(Arc::from))
        .collect())
}

fn run_query(db: &Database, query: &str, params: &Params) -> anyhow::Result<cypher::QueryOutput> {
    cypher::execute(db, query, params, &QueryOptions::default())
        .map_err(|e| anyhow::anyhow!("`{query}`: {e}"))
}

/// A patient's node by id, through the unique index.
fn patient(state: &GraphState, id: &str) -> Option<NodeId> {
    state.find_node_by_name("Patient", "id", &Value::from(id))
}

fn store_lookup(state: &GraphState, id: &str) -> Option<Value> {
    let node = patient(state, id)?;
    state.node_property(node, "name").cloned()
}

fn store_one_hop(state: &GraphState, id: &str) -> Vec<(i64, String)> {
    let Some(node) = patient(state, id) else {
        return Vec::new();
    };
    state
        .neighbors(node, Direction::Both, None)
        .map(|n| {
            (
                i64::from(n.other.0),
                state.rel_type_name(n.rel_type).to_string(),
            )
        })
        .collect()
}

fn store_two_hop(state: &GraphState, id: &str) -> i64 {
    let Some(node) = patient(state, id) else {
        return 0;
    };
    let mut reached = HashSet::new();
    for first in state.neighbors(node, Direction::Both, None) {
        for second in state.neighbors(first.other, Direction::Both, None) {
            if second.rel != first.rel {
                reached.insert(second.other);
            }
        }
    }
    reached.len() as i64
}

fn store_top_medications(state: &GraphState) -> Vec<(String, i64)> {
    let (Some(medication), Some(prescription), Some(of), Some(code)) = (
        state.label_id("Medication"),
        state.label_id("Prescription"),
        state.rel_type_id("OF_MEDICATION"),
        state.prop_key_id("code"),
    ) else {
        return Vec::new();
    };
    let mut counts: Vec<(String, i64)> = Vec::new();
    for m in state.nodes_with_label(medication) {
        let mut n = 0i64;
        for p in state.neighbors(m, Direction::Incoming, Some(of)) {
            if state
                .node(p.other)
                .is_some_and(|r| r.has_label(prescription))
            {
                n += 1;
            }
        }
        if n > 0 {
            let code = state
                .node(m)
                .and_then(|r| r.property(code))
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string();
            counts.push((code, n));
        }
    }
    counts.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    counts.truncate(10);
    counts
}

fn store_claims_per_payer(state: &GraphState) -> Vec<(String, i64, f64)> {
    let (Some(payer), Some(claim), Some(paid_by), Some(name), Some(total)) = (
        state.label_id("Payer"),
        state.label_id("Claim"),
        state.rel_type_id("PAID_BY"),
        state.prop_key_id("name"),
        state.prop_key_id("total"),
    ) else {
        return Vec::new();
    };
    let mut rows = Vec::new();
    for p in state.nodes_with_label(payer) {
        let mut count = 0i64;
        let mut sum = 0.0f64;
        for c in state.neighbors(p, Direction::Incoming, Some(paid_by)) {
            let Some(record) = state.node(c.other) else {
                continue;
            };
            if !record.has_label(claim) {
                continue;
            }
            count += 1;
            if let Some(t) = record.property(total).and_then(Value::as_f64) {
                sum += t;
            }
        }
        if count > 0 {
            let name = state
                .node(p)
                .and_then(|r| r.property(name))
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string();
            rows.push((name, count, sum));
        }
    }
    rows.sort_by(|a, b| b.2.total_cmp(&a.2).then_with(|| a.0.cmp(&b.0)));
    rows
}

fn params_with_id(id: &str) -> Params {
    let mut params = Params::new();
    params.insert("id".into(), CypherValue::from(id));
    params
}

/// Times `engine` and `store` alternately on each sample and checks that
/// they agree.
fn measure<T: PartialEq + std::fmt::Debug>(
    name: &'static str,
    samples: usize,
    mut engine: impl FnMut(usize) -> anyhow::Result<T>,
    mut store: impl FnMut(usize) -> T,
) -> anyhow::Result<Measured> {
    let mut engine_times = Vec::with_capacity(samples);
    let mut store_times = Vec::with_capacity(samples);
    for i in 0..samples {
        let started = Instant::now();
        let from_engine = engine(i)?;
        engine_times.push(started.elapsed());
        let started = Instant::now();
        let from_store = store(i);
        store_times.push(started.elapsed());
        anyhow::ensure!(
            from_engine == from_store,
            "{name}: the engine and the store disagree on sample {i}:\n engine {from_engine:?}\n store  {from_store:?}"
        );
    }
    Ok(Measured {
        name,
        engine: median(engine_times),
        store: median(store_times),
        samples,
    })
}

fn string_of(v: &CypherValue) -> String {
    v.as_str().unwrap_or_default().to_string()
}

/// One `POST` of `query` with `$id` to the Query API at `url`; the answer
/// must be a success (202), and is read whole.
/// The servers of the benchmarks check tokens as `serve` does (with a
/// random HS256 secret and no rate limit, which would cap the figures):
/// the configuration and an admin token.
pub(super) fn bench_auth() -> anyhow::Result<(std::sync::Arc<crate::auth::AuthConfig>, String)> {
    use crate::auth::jwt::{random_secret, sign_hs256, Claims};
    use crate::auth::{AuthConfig, Principal, RateLimiter, Role, TokenVerifier};
    let secret = random_secret();
    let verifier = TokenVerifier::new(Some(&secret), None)?;
    let auth = AuthConfig::new(verifier, None, RateLimiter::disabled())?;
    let admin = Principal::new("bench", Role::Admin, Vec::new(), None)?;
    let token = sign_hs256(
        &secret,
        &Claims::for_principal(&admin, std::time::Duration::from_secs(3600)),
    )?;
    Ok((std::sync::Arc::new(auth), token))
}

pub(super) fn http_lookup(
    agent: &ureq::Agent,
    url: &str,
    authorization: &str,
    query: &str,
    id: &str,
) -> anyhow::Result<()> {
    let body = serde_json::json!({"statement": query, "parameters": {"id": id}});
    let response = agent
        .post(url)
        .set("Content-Type", "application/json")
        .set("Authorization", authorization)
        .send_string(&body.to_string())
        .map_err(|e| anyhow::anyhow!("POST {url}: {e}"))?;
    anyhow::ensure!(
        response.status() == 202,
        "HTTP status {}",
        response.status()
    );
    let _ = response.into_string()?;
    Ok(())
}

/// Operations per second of `threads` clients calling `work(thread, n)`
/// for `seconds`.
fn throughput(
    threads: usize,
    seconds: f64,
    work: &(dyn Fn(usize, usize) -> anyhow::Result<()> + Sync),
) -> anyhow::Result<f64> {
    super::bolt::per_second(threads, seconds, &|t| {
        Ok(Box::new(move |n| work(t, n)) as super::bolt::Step<'_>)
    })
}

/// Key lookups per second over HTTP (`POST /db/neo4j/query/v2`, keep-alive
/// clients), next to the engine in process and the store API, with the
/// same number of client threads.
fn http_throughput(
    db: &Database,
    ids: &[Arc<str>],
    clients: usize,
    seconds: f64,
) -> anyhow::Result<()> {
    let (auth, token) = bench_auth()?;
    let authorization = format!("Bearer {token}");
    let state = crate::http::AppState {
        db: db.clone(),
        data_dir: None,
        metrics: crate::http::Metrics::default(),
        max_body_bytes: 1 << 20,
        policies: crate::security::PolicyBuilder::new(crate::security::PseudonymKey::random()),
        audit: std::sync::Arc::new(crate::audit::AuditLog::disabled()),
        max_query_bytes: crate::settings::DEFAULT_MAX_QUERY_BYTES,
        auth,
    };
    let workers = std::thread::available_parallelism().map_or(2, std::num::NonZero::get);
    let server = crate::http::spawn(state, "127.0.0.1:0".parse()?, workers)?;
    let url = format!("http://{}/db/neo4j/query/v2", server.addr);
    let agents: Vec<ureq::Agent> = (0..clients)
        .map(|_| ureq::AgentBuilder::new().build())
        .collect();
    let query = "MATCH (p:Patient {id: $id}) RETURN p.name AS name";
    let http = throughput(clients, seconds, &|t, n| {
        let id = &ids[(t * 7919 + n) % ids.len()];
        http_lookup(&agents[t], &url, &authorization, query, id)
    })?;
    server.stop();
    let engine = throughput(clients, seconds, &|t, n| {
        let id = &ids[(t * 7919 + n) % ids.len()];
        run_query(db, query, &params_with_id(id))?;
        Ok(())
    })?;
    let store = throughput(clients, seconds, &|t, n| {
        let id = &ids[(t * 7919 + n) % ids.len()];
        std::hint::black_box(store_lookup(&db.snapshot(), id));
        Ok(())
    })?;
    println!(
        "key lookup throughput, {clients} client threads, {seconds:.0} s each: HTTP {http:.0}/s, engine in process {engine:.0}/s, store API {store:.0}/s (HTTP/store {:.3}, engine/store {:.3})",
        http / store,
        engine / store
    );
    Ok(())
}

/// Runs the benchmark on the graph in `data_dir`.
pub fn run(
    data_dir: &Path,
    lookups: usize,
    runs: usize,
    clients: usize,
    seconds: f64,
) -> anyhow::Result<()> {
    let started = Instant::now();
    let db = Database::open(data_dir, DbOptions::default())
        .with_context(|| format!("opening {}", data_dir.display()))?;
    let state = db.snapshot();
    println!(
        "cypher benchmark: {} nodes, {} relationships (opened in {:.1} s); medians, engine vs store API in the same run",
        state.node_count(),
        state.rel_count(),
        started.elapsed().as_secs_f64()
    );
    let ids = patient_ids(&state, lookups)?;
    anyhow::ensure!(!ids.is_empty(), "no patients to look up");
    let n = ids.len();
    let mut results = Vec::new();

    results.push(measure(
        "key lookup: MATCH (p:Patient {id: $id}) RETURN p.name",
        n,
        |i| {
            let out = run_query(
                &db,
                "MATCH (p:Patient {id: $id}) RETURN p.name AS name",
                &params_with_id(&ids[i]),
            )?;
            Ok(out.rows.first().and_then(|r| r[0].to_property()))
        },
        |i| store_lookup(&db.snapshot(), &ids[i]),
    )?);

    results.push(measure(
        "1-hop: MATCH (p:Patient {id: $id})-[r]-(n) RETURN id(n), type(r)",
        n,
        |i| {
            let out = run_query(
                &db,
                "MATCH (p:Patient {id: $id})-[r]-(n) RETURN id(n) AS n, type(r) AS t",
                &params_with_id(&ids[i]),
            )?;
            Ok(out
                .rows
                .iter()
                .map(|r| (r[0].as_integer().unwrap_or(-1), string_of(&r[1])))
                .collect::<Vec<_>>())
        },
        |i| store_one_hop(&db.snapshot(), &ids[i]),
    )?);

    let two_hop_samples = n.min(200);
    results.push(measure(
        "2-hop: MATCH (p:Patient {id: $id})--()--(m) RETURN count(DISTINCT m)",
        two_hop_samples,
        |i| {
            let out = run_query(
                &db,
                "MATCH (p:Patient {id: $id})--()--(m) RETURN count(DISTINCT m) AS reached",
                &params_with_id(&ids[i]),
            )?;
            Ok(out.rows[0][0].as_integer().unwrap_or(-1))
        },
        |i| store_two_hop(&db.snapshot(), &ids[i]),
    )?);

    results.push(measure(
        "top-10 medications over all prescriptions",
        runs,
        |_| {
            let out = run_query(
                &db,
                "MATCH (:Prescription)-[:OF_MEDICATION]->(m:Medication) \
                 RETURN m.code AS code, count(*) AS prescriptions \
                 ORDER BY prescriptions DESC, code LIMIT 10",
                &Params::new(),
            )?;
            Ok(out
                .rows
                .iter()
                .map(|r| (string_of(&r[0]), r[1].as_integer().unwrap_or(-1)))
                .collect::<Vec<_>>())
        },
        |_| store_top_medications(&db.snapshot()),
    )?);

    results.push(measure(
        "claims total per payer",
        runs,
        |_| {
            let out = run_query(
                &db,
                "MATCH (c:Claim)-[:PAID_BY]->(p:Payer) \
                 RETURN p.name AS payer, count(c) AS claims, sum(c.total) AS total \
                 ORDER BY total DESC, payer",
                &Params::new(),
            )?;
            Ok(out
                .rows
                .iter()
                .map(|r| {
                    (
                        string_of(&r[0]),
                        r[1].as_integer().unwrap_or(-1),
                        r[2].as_f64().unwrap_or(f64::NAN),
                    )
                })
                .map(|(p, c, t)| (p, c, (t * 100.0).round()))
                .collect::<Vec<_>>())
        },
        |_| {
            store_claims_per_payer(&db.snapshot())
                .into_iter()
                .map(|(p, c, t)| (p, c, (t * 100.0).round()))
                .collect()
        },
    )?);

    println!(
        "{:<72} {:>8} {:>12} {:>12} {:>8}",
        "query", "samples", "engine", "store API", "ratio"
    );
    for m in &results {
        println!(
            "{:<72} {:>8} {:>12} {:>12} {:>7.2}x",
            m.name,
            m.samples,
            format!("{:.1?}", m.engine),
            format!("{:.1?}", m.store),
            m.engine.as_secs_f64() / m.store.as_secs_f64().max(1e-9)
        );
    }
    if clients > 0 {
        http_throughput(&db, &ids, clients, seconds)?;
    }
    Ok(())
}
