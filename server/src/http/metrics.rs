//! `GET /metrics`: Prometheus text format.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};

use std::sync::Mutex;

use actix_web::{web, HttpResponse};

use super::AppState;

/// Counters the handlers update.
#[derive(Default)]
pub struct Metrics {
    /// Requests by (route, status).
    requests: Mutex<BTreeMap<(String, u16), u64>>,
    /// FHIR records loaded through `POST /fhir`.
    pub fhir_records_loaded: AtomicU64,
    /// FHIR records rejected through `POST /fhir`.
    pub fhir_records_rejected: AtomicU64,
    /// GraphQL requests answered without errors.
    graphql_ok: AtomicU64,
    /// GraphQL requests answered with errors.
    graphql_errors: AtomicU64,
    /// Time spent answering GraphQL requests, in microseconds.
    graphql_micros: AtomicU64,
}

impl Metrics {
    /// Counts one request.
    pub fn count_request(&self, route: &str, status: u16) {
        if let Ok(mut map) = self.requests.lock() {
            *map.entry((route.to_owned(), status)).or_default() += 1;
        }
    }

    /// Records one GraphQL request.
    pub fn observe_graphql(&self, elapsed: std::time::Duration, ok: bool) {
        let counter = if ok {
            &self.graphql_ok
        } else {
            &self.graphql_errors
        };
        counter.fetch_add(1, Ordering::Relaxed);
        self.graphql_micros
            .fetch_add(elapsed.as_micros() as u64, Ordering::Relaxed);
    }

    fn requests(&self) -> BTreeMap<(String, u16), u64> {
        self.requests.lock().map(|m| m.clone()).unwrap_or_default()
    }
}

/// Resident memory of this process in bytes (Linux), for the gauge.
pub fn resident_bytes() -> Option<u64> {
    let statm = std::fs::read_to_string("/proc/self/statm").ok()?;
    let pages: u64 = statm.split_whitespace().nth(1)?.parse().ok()?;
    Some(pages * 4096)
}

fn escape(label: &str) -> String {
    label
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

pub(crate) async fn render(state: web::Data<AppState>) -> HttpResponse {
    state.metrics.count_request("/metrics", 200);
    let graph = state.db.snapshot();
    let mut out = String::new();
    let _ = writeln!(
        out,
        "# HELP caregraph_nodes Nodes per label (stubs included)."
    );
    let _ = writeln!(out, "# TYPE caregraph_nodes gauge");
    for (i, name) in graph.symbols().labels.names().iter().enumerate() {
        let count = graph.label_count(graph_model::LabelId(i as u32));
        let _ = writeln!(out, "caregraph_nodes{{label=\"{}\"}} {count}", escape(name));
    }
    let _ = writeln!(
        out,
        "# HELP caregraph_relationships Relationships per type."
    );
    let _ = writeln!(out, "# TYPE caregraph_relationships gauge");
    for (i, name) in graph.symbols().rel_types.names().iter().enumerate() {
        let count = graph.rel_type_count(graph_model::RelTypeId(i as u32));
        let _ = writeln!(
            out,
            "caregraph_relationships{{type=\"{}\"}} {count}",
            escape(name)
        );
    }
    let _ = writeln!(out, "# HELP caregraph_nodes_total All nodes.\n# TYPE caregraph_nodes_total gauge\ncaregraph_nodes_total {}", graph.node_count());
    let _ = writeln!(out, "# HELP caregraph_relationships_total All relationships.\n# TYPE caregraph_relationships_total gauge\ncaregraph_relationships_total {}", graph.rel_count());
    let _ = writeln!(out, "# HELP caregraph_last_commit_lsn Log sequence number of the last published commit.\n# TYPE caregraph_last_commit_lsn gauge\ncaregraph_last_commit_lsn {}", graph.lsn());
    let _ = writeln!(out, "# HELP caregraph_log_bytes_since_snapshot Log bytes written since the last snapshot.\n# TYPE caregraph_log_bytes_since_snapshot gauge\ncaregraph_log_bytes_since_snapshot {}", state.db.log_bytes_since_snapshot());
    let _ = writeln!(out, "# HELP caregraph_fhir_records_total FHIR records received through POST /fhir.\n# TYPE caregraph_fhir_records_total counter");
    let _ = writeln!(
        out,
        "caregraph_fhir_records_total{{outcome=\"loaded\"}} {}",
        state.metrics.fhir_records_loaded.load(Ordering::Relaxed)
    );
    let _ = writeln!(
        out,
        "caregraph_fhir_records_total{{outcome=\"rejected\"}} {}",
        state.metrics.fhir_records_rejected.load(Ordering::Relaxed)
    );
    let _ = writeln!(out, "# HELP caregraph_http_requests_total HTTP requests by route and status.\n# TYPE caregraph_http_requests_total counter");
    for ((route, status), count) in state.metrics.requests() {
        let _ = writeln!(
            out,
            "caregraph_http_requests_total{{route=\"{}\",status=\"{status}\"}} {count}",
            escape(&route)
        );
    }
    let _ = writeln!(out, "# HELP caregraph_graphql_requests_total GraphQL requests by outcome.\n# TYPE caregraph_graphql_requests_total counter");
    let _ = writeln!(
        out,
        "caregraph_graphql_requests_total{{outcome=\"ok\"}} {}\ncaregraph_graphql_requests_total{{outcome=\"error\"}} {}",
        state.metrics.graphql_ok.load(Ordering::Relaxed),
        state.metrics.graphql_errors.load(Ordering::Relaxed)
    );
    let _ = writeln!(
        out,
        "# HELP caregraph_graphql_seconds_total Time spent answering GraphQL requests.\n# TYPE caregraph_graphql_seconds_total counter\ncaregraph_graphql_seconds_total {:.6}",
        state.metrics.graphql_micros.load(Ordering::Relaxed) as f64 / 1e6
    );
    if let Some(rss) = resident_bytes() {
        let _ = writeln!(out, "# HELP process_resident_memory_bytes Resident memory.\n# TYPE process_resident_memory_bytes gauge\nprocess_resident_memory_bytes {rss}");
    }
    HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4; charset=utf-8")
        .body(out)
}
