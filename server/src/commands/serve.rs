//! `caregraph serve`.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Context;

use graph_model::fhir::{load_paths, LoadOptions};

use super::{byte_progress, open_db};
use crate::audit::AuditLog;
use crate::bolt::{self, BoltSettings};
use crate::http::{self, AppState, Metrics, QuerySettings};

/// Settings of `serve`.
#[derive(Clone, Debug)]
pub struct ServeArgs {
    /// Data directory.
    pub data_dir: PathBuf,
    /// HTTP address.
    pub http: SocketAddr,
    /// Bolt address.
    pub bolt: SocketAddr,
    /// Load the bundled sample into an empty data directory first.
    pub demo: bool,
    /// Largest request body.
    pub max_body_bytes: usize,
    /// fsync each commit.
    pub sync_commits: bool,
    /// Time limit of one Cypher query (`None`: no limit).
    pub query_timeout: Option<std::time::Duration>,
    /// GraphQL answers kept in the result cache (0: none).
    pub graphql_cache: u64,
}

/// The bundled sample sets `--demo` loads.
pub fn demo_paths() -> Vec<PathBuf> {
    let dir = seeds::bundled_sample_dir();
    vec![
        dir.join("synthea-bulk-10"),
        dir.join("synthea-ca-86")
            .join("synthea_data_california_fhir.tar.gz"),
    ]
}

/// Runs the server until Ctrl-C.
pub fn run(args: &ServeArgs) -> anyhow::Result<()> {
    let db = open_db(&args.data_dir, args.sync_commits)?;
    if args.demo {
        if db.snapshot().node_count() == 0 {
            eprintln!(
                "--demo: loading the bundled Synthea sample into {}",
                args.data_dir.display()
            );
            let bar = byte_progress(0, "loading sample");
            let report = load_paths(
                &db,
                &demo_paths(),
                LoadOptions::for_data_dir(&args.data_dir),
                &mut |p| {
                    bar.set_length(p.bytes_total);
                    bar.set_position(p.bytes_done);
                },
            )?;
            bar.finish_and_clear();
            eprintln!(
                "--demo: {} resources loaded, {} records rejected (reasons in {}), {} nodes, {} relationships",
                report.records_loaded,
                report.records_rejected,
                report
                    .rejects_file
                    .as_ref()
                    .map_or_else(|| "-".to_owned(), |p| p.display().to_string()),
                db.snapshot().node_count(),
                db.snapshot().rel_count()
            );
            db.checkpoint()?;
        } else {
            eprintln!(
                "--demo: {} already holds data; serving it as it is",
                args.data_dir.display()
            );
        }
    }
    let audit = Arc::new(
        AuditLog::open(&args.data_dir)
            .with_context(|| format!("opening the audit log of {}", args.data_dir.display()))?,
    );
    let state = AppState {
        db: db.clone(),
        data_dir: Some(args.data_dir.clone()),
        metrics: Metrics::default(),
        max_body_bytes: args.max_body_bytes,
        policies: crate::security::PolicyBuilder::new(
            crate::security::PseudonymKey::load_or_create(&args.data_dir)?,
        ),
        audit: audit.clone(),
    };
    let workers = std::thread::available_parallelism().map_or(2, std::num::NonZero::get);
    let query = QuerySettings {
        timeout: args.query_timeout,
    };
    let limits = crate::graphql::Limits {
        cache_entries: args.graphql_cache,
        ..crate::graphql::Limits::default()
    };
    let server = http::spawn_full(state, query, limits, args.http, workers)?;
    let bolt_server = bolt::spawn(
        db.clone(),
        BoltSettings {
            query_timeout: args.query_timeout,
            worker_threads: workers,
            ..BoltSettings::default()
        },
        args.bolt,
    )?;
    println!(
        "CareGraph is serving the graph in {}",
        args.data_dir.display()
    );
    println!("  health:  http://{}/health", server.addr);
    println!("  metrics: http://{}/metrics", server.addr);
    println!(
        "  ingest:  POST http://{}/fhir (application/fhir+json or application/fhir+ndjson)",
        server.addr
    );
    println!("  cypher:  POST http://{}/db/neo4j/query/v2", server.addr);
    println!(
        "  cds:     http://{}/cds-services (CDS Hooks: patient-view, order-select)",
        server.addr
    );
    println!(
        "  graphql: POST http://{0}/graphql (GraphiQL: http://{0}/graphql; subscriptions: ws://{0}/graphql)",
        server.addr
    );
    println!(
        "  bolt:    bolt://{} (Neo4j drivers: Bolt 4.4, 5.0-5.4)",
        bolt_server.addr
    );
    println!("Press Ctrl-C to stop.");
    wait_for_ctrl_c()?;
    eprintln!("stopping: finishing requests and writing a snapshot");
    bolt_server.stop();
    server.stop();
    audit.sync()?;
    db.close()?;
    Ok(())
}

fn wait_for_ctrl_c() -> anyhow::Result<()> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    runtime.block_on(tokio::signal::ctrl_c())?;
    Ok(())
}
