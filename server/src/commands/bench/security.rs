//! The cost of enforcement: the GraphQL patient query and a Cypher 2-hop
//! query as admin, clinician and analyst, in one run, on the same
//! patients (the clinician's, so every role gets the same answers' size).
//!
//! Both run in process through the same layers the doors use (the GraphQL
//! schema and its backend; `cypher::execute` with the caller's options), so
//! the figures show what the policy costs, not network noise.

use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::Context as _;
use cypher::{CypherValue, Params, QueryOptions};
use graph_model::{Database, DbOptions, Direction, GraphState, NodeId, Value};
use parking_lot::Mutex;

use crate::graphql::{build_schema, Api, EmbeddedBackend, Limits};
use crate::security::{Caller, Clearance, PolicyBuilder, PseudonymKey, RequestAccess};

/// The GraphQL query: a patient with their conditions and prescriptions.
const GRAPHQL_PATIENT: &str = "query($id: ID!) { patient(id: $id) { id name birthDate gender \
    conditions(first: 10) { edges { onset node { code display } } } \
    prescriptions(first: 10) { edges { node { id authoredOn } } } } }";

/// The Cypher query: what the patient's encounters reach in two hops.
const CYPHER_TWO_HOP: &str = "MATCH (p:Patient {id: $id})-[:HAD_ENCOUNTER]->(e)-[r]->(x) \
    RETURN type(r) AS rel, count(x) AS n";

/// The organization with the most encounters, and its id.
fn busiest_organization(state: &GraphState) -> anyhow::Result<String> {
    let label = state.label_id("Organization").context("no organizations")?;
    let at = state
        .rel_type_id("AT_ORGANIZATION")
        .context("no encounters")?;
    let key = state.prop_key_id("id").context("no ids")?;
    let best = state
        .nodes_with_label_from(label, 0)
        .max_by_key(|org| state.degree(*org, Direction::Incoming, Some(at)))
        .context("no organizations")?;
    match state.node(best).and_then(|r| r.property(key)) {
        Some(Value::String(id)) => Ok(id.to_string()),
        _ => anyhow::bail!("the busiest organization has no id"),
    }
}

/// Up to `n` patients in the scope of `org`, evenly spread.
fn scoped_patients(
    policies: &PolicyBuilder,
    state: &GraphState,
    org: &str,
    n: usize,
) -> anyhow::Result<Vec<String>> {
    let scope = policies.scopes().scope(&[org.to_owned()], state);
    let label = state.label_id("Patient").context("no patients")?;
    let key = state.prop_key_id("id").context("no ids")?;
    let all: Vec<NodeId> = state
        .nodes_with_label_from(label, 0)
        .filter(|p| scope.admits(state, *p))
        .collect();
    anyhow::ensure!(!all.is_empty(), "organization {org} has no patients");
    let step = (all.len() / n.max(1)).max(1);
    Ok(all
        .iter()
        .step_by(step)
        .take(n)
        .filter_map(|p| match state.node(*p)?.property(key)? {
            Value::String(s) => Some(s.to_string()),
            _ => None,
        })
        .collect())
}

/// Throughput and latency of one (role, query).
struct Figures {
    per_second: f64,
    median: Duration,
    p99: Duration,
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

/// Runs `work(client, n)` on `clients` threads for `seconds`.
fn measure(
    clients: usize,
    seconds: f64,
    work: &(dyn Fn(usize, usize) -> anyhow::Result<()> + Sync),
) -> anyhow::Result<Figures> {
    let latencies = Mutex::new(Vec::new());
    let started = Instant::now();
    let per_second = super::bolt::per_second(clients, seconds, &|t| {
        let latencies = &latencies;
        Ok(Box::new(move |n| {
            let begun = Instant::now();
            work(t, n)?;
            latencies.lock().push(begun.elapsed());
            Ok(())
        }) as super::bolt::Step<'_>)
    })?;
    let _ = started;
    let mut all = latencies.into_inner();
    all.sort_unstable();
    Ok(Figures {
        per_second,
        median: percentile(&all, 0.5),
        p99: percentile(&all, 0.99),
    })
}

/// Runs the benchmark on the graph in `data_dir`.
pub fn run(data_dir: &Path, patients: usize, clients: usize, seconds: f64) -> anyhow::Result<()> {
    let db = Database::open(data_dir, DbOptions::default())
        .with_context(|| format!("opening {}", data_dir.display()))?;
    let state = db.snapshot();
    let policies = PolicyBuilder::new(PseudonymKey::random());
    let org = busiest_organization(&state)?;
    let started = Instant::now();
    let scope = policies.scopes().scope(std::slice::from_ref(&org), &state);
    let scope_time = started.elapsed();
    let ids = scoped_patients(&policies, &state, &org, patients)?;
    println!(
        "security benchmark: {} nodes; clinician of organization {org} sees {} patients (scope computed in {:.1} ms); {} patients queried, {clients} client threads, {seconds:.0} s per measurement",
        state.node_count(),
        scope.len(),
        scope_time.as_secs_f64() * 1e3,
        ids.len()
    );
    let roles = [
        ("admin", Clearance::Admin),
        ("clinician", Clearance::Clinician(vec![org.clone()])),
        ("analyst", Clearance::Analyst),
    ];
    let limits = Limits {
        cache_entries: 0,
        ..Limits::default()
    };
    let api = Api::new(EmbeddedBackend::new(db.clone(), 0), limits, false);
    let schema = build_schema(api).map_err(|e| anyhow::anyhow!("schema: {e}"))?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(clients.max(1))
        .enable_all()
        .build()?;
    let mut rows = Vec::new();
    for (name, clearance) in &roles {
        let caller = Caller {
            subject: format!("bench-{name}"),
            clearance: clearance.clone(),
        };
        // Analysts know patients only by pseudonym.
        let shown: Vec<String> = ids
            .iter()
            .map(|id| match clearance {
                Clearance::Analyst => policies.key().pseudonym(id),
                _ => id.clone(),
            })
            .collect();
        let graphql = measure(clients, seconds, &|t, n| {
            let id = &shown[(t * 7919 + n) % shown.len()];
            let request = async_graphql::Request::new(GRAPHQL_PATIENT)
                .variables(async_graphql::Variables::from_json(
                    serde_json::json!({ "id": id }),
                ))
                .data(RequestAccess::new(caller.clone(), policies.clone()));
            let response = runtime.block_on(schema.execute(request));
            anyhow::ensure!(response.errors.is_empty(), "{:?}", response.errors);
            let found = response.data.into_json()?;
            anyhow::ensure!(!found["patient"].is_null(), "{name} did not find {id}");
            Ok(())
        })?;
        let cypher = measure(clients, seconds, &|t, n| {
            let id = &shown[(t * 7919 + n) % shown.len()];
            let access = RequestAccess::new(caller.clone(), policies.clone());
            let options = access.options(QueryOptions::default(), &db.snapshot());
            let mut params = Params::new();
            params.insert("id".into(), CypherValue::String(id.as_str().into()));
            let out = cypher::execute(&db, CYPHER_TWO_HOP, &params, &options)?;
            anyhow::ensure!(!out.rows.is_empty(), "{name}: no rows for {id}");
            access.note_output(&out);
            Ok(())
        })?;
        rows.push((name, graphql, cypher));
    }
    let (admin_graphql, admin_cypher) = (rows[0].1.per_second, rows[0].2.per_second);
    println!("| role | GraphQL patient /s | p50 | p99 | vs admin | Cypher 2-hop /s | p50 | p99 | vs admin |");
    println!("|---|---|---|---|---|---|---|---|---|");
    for (name, g, c) in &rows {
        println!(
            "| {name} | {:.0} | {:.2} ms | {:.2} ms | {:.2}x | {:.0} | {:.2} ms | {:.2} ms | {:.2}x |",
            g.per_second,
            g.median.as_secs_f64() * 1e3,
            g.p99.as_secs_f64() * 1e3,
            admin_graphql / g.per_second.max(f64::MIN_POSITIVE),
            c.per_second,
            c.median.as_secs_f64() * 1e3,
            c.p99.as_secs_f64() * 1e3,
            admin_cypher / c.per_second.max(f64::MIN_POSITIVE),
        );
    }
    println!(
        "(vs admin: admin throughput / role throughput; the target for clinicians is at most 1.5x)"
    );
    Ok(())
}
