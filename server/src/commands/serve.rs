//! `caregraph serve`.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use graph_model::fhir::{load_paths, LoadOptions};
use graph_model::Database;

use super::{byte_progress, open_db};
use crate::audit::AuditLog;
use crate::auth::jwt::{random_secret, sign_hs256, Claims};
use crate::auth::tls::TlsFiles;
use crate::auth::{AuthConfig, Principal, RateLimiter, Role, Secret, TokenVerifier, Users};
use crate::bolt::{self, BoltSettings};
use crate::http::{self, AppState, Metrics, QuerySettings};

/// How long the tokens `--demo` prints are valid.
pub const DEMO_TOKEN_LIFETIME: Duration = Duration::from_secs(24 * 3600);

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
    /// Largest Cypher statement or GraphQL query text.
    pub max_query_bytes: usize,
    /// The HS256 secret of bearer tokens.
    pub jwt_secret: Option<Secret>,
    /// A JWKS file with the public keys of RS256/ES256 tokens.
    pub jwks: Option<PathBuf>,
    /// A users file for Bolt's basic scheme.
    pub users: Option<PathBuf>,
    /// Requests per second per principal (0: no limit).
    pub rate_limit: u32,
    /// TLS certificate and key for HTTP and Bolt.
    pub tls: Option<TlsFiles>,
}

/// The authentication `serve` runs with, and the HS256 secret (given, or
/// made up for `--demo`) that demo tokens are signed with.
fn auth_config(args: &ServeArgs) -> anyhow::Result<(AuthConfig, Option<Secret>)> {
    let secret = match (&args.jwt_secret, args.demo) {
        (Some(secret), _) => Some(secret.clone()),
        (None, true) => Some(random_secret()),
        (None, false) => None,
    };
    let tokens = TokenVerifier::new(secret.as_ref(), args.jwks.as_deref())?;
    let users = args.users.as_deref().map(Users::load).transpose()?;
    let auth = AuthConfig::new(tokens, users, RateLimiter::new(args.rate_limit))?;
    Ok((auth, secret))
}

/// The Organization with the most encounters (`None` when there is none).
fn busiest_organization(db: &Database) -> anyhow::Result<Option<(String, String)>> {
    let output = cypher::execute(
        db,
        "MATCH (:Encounter)-[:AT_ORGANIZATION]->(o:Organization) \
         RETURN o.id AS id, coalesce(o.name, o.id) AS name, count(*) AS encounters \
         ORDER BY encounters DESC, id LIMIT 1",
        &cypher::Params::new(),
        &cypher::QueryOptions::default(),
    )
    .context("finding an organization for the demo clinician token")?;
    Ok(output.rows.first().and_then(|row| {
        let id = row.first().and_then(cypher::CypherValue::as_str)?;
        let name = row
            .get(1)
            .and_then(cypher::CypherValue::as_str)
            .unwrap_or(id);
        Some((id.to_owned(), name.to_owned()))
    }))
}

/// Prints one token per role, signed with `secret`.
fn print_demo_tokens(db: &Database, secret: &Secret, http_base: &str) -> anyhow::Result<()> {
    let sign = |principal: &Principal| {
        sign_hs256(
            secret,
            &Claims::for_principal(principal, DEMO_TOKEN_LIFETIME),
        )
    };
    let admin = sign(&Principal::new(
        "demo-admin",
        Role::Admin,
        Vec::new(),
        None,
    )?)?;
    println!("Demo tokens (HS256, valid 24 h; send `Authorization: Bearer TOKEN`, or use them as Bolt bearer tokens):");
    println!("  admin:     {admin}");
    match busiest_organization(db)? {
        Some((id, name)) => {
            let clinician = sign(&Principal::new(
                "demo-clinician",
                Role::Clinician,
                vec![id.clone()],
                None,
            )?)?;
            println!("  clinician: {clinician}");
            println!("             (orgs: [\"{id}\"], {name})");
        }
        None => println!("  clinician: none (the graph has no Organization with encounters)"),
    }
    let analyst = sign(&Principal::new(
        "demo-analyst",
        Role::Analyst,
        Vec::new(),
        None,
    )?)?;
    println!("  analyst:   {analyst}");
    let service = sign(&Principal::new(
        "demo-service",
        Role::Service,
        Vec::new(),
        Some("analyst".to_owned()),
    )?)?;
    println!("  service:   {service}");
    println!("             (scope: analyst)");
    println!("For example:");
    println!(
        "  curl -s -H 'Authorization: Bearer {admin}' -H 'Content-Type: application/json' {http_base}/db/neo4j/query/v2 -d '{{\"statement\": \"MATCH (p:Patient) RETURN count(p) AS patients\"}}'"
    );
    Ok(())
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
    // Settings errors first, before anything is loaded.
    let tls = args.tls.as_ref().map(TlsFiles::server_config).transpose()?;
    let (auth, demo_secret) = auth_config(args)?;
    let auth = Arc::new(auth);
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
    let policies = crate::security::PolicyBuilder::new(
        crate::security::PseudonymKey::load_or_create(&args.data_dir)
            .with_context(|| format!("the pseudonym key of {}", args.data_dir.display()))?,
    );
    let state = AppState {
        db: db.clone(),
        data_dir: Some(args.data_dir.clone()),
        metrics: Metrics::default(),
        max_body_bytes: args.max_body_bytes,
        policies: policies.clone(),
        audit: audit.clone(),
        max_query_bytes: args.max_query_bytes,
        auth: auth.clone(),
    };
    let workers = std::thread::available_parallelism().map_or(2, std::num::NonZero::get);
    let query = QuerySettings {
        timeout: args.query_timeout,
    };
    let limits = crate::graphql::Limits {
        cache_entries: args.graphql_cache,
        ..crate::graphql::Limits::default()
    };
    let bolt_tls = tls.clone().map(Arc::new);
    let secure = tls.is_some();
    let server = http::spawn_configured(state, query, limits, tls, args.http, workers)?;
    let bolt_server = bolt::spawn(
        db.clone(),
        BoltSettings {
            query_timeout: args.query_timeout,
            worker_threads: workers,
            max_query_bytes: args.max_query_bytes,
            authenticator: auth.clone(),
            rate_limiter: auth.limiter().clone(),
            tls: bolt_tls,
            policies,
            audit: audit.clone(),
            ..BoltSettings::default()
        },
        args.bolt,
    )?;
    let (http_scheme, ws_scheme, bolt_scheme) = if secure {
        ("https", "wss", "bolt+s")
    } else {
        ("http", "ws", "bolt")
    };
    let base = format!("{http_scheme}://{}", server.addr);
    println!(
        "CareGraph is serving the graph in {}",
        args.data_dir.display()
    );
    println!("  health:  {base}/health");
    println!("  metrics: {base}/metrics");
    println!("  ingest:  POST {base}/fhir (application/fhir+json or application/fhir+ndjson)");
    println!("  cypher:  POST {base}/db/neo4j/query/v2");
    println!("  cds:     {base}/cds-services (CDS Hooks: patient-view, order-select)");
    println!(
        "  graphql: POST {base}/graphql (GraphiQL: {base}/graphql; subscriptions: {ws_scheme}://{}/graphql)",
        server.addr
    );
    println!(
        "  bolt:    {bolt_scheme}://{} (Neo4j drivers: Bolt 4.4, 5.0-5.4)",
        bolt_server.addr
    );
    println!("  auth:    {}", describe_auth(args, demo_secret.is_some()));
    if args.demo {
        if let Some(secret) = &demo_secret {
            print_demo_tokens(&db, secret, &base)?;
        }
    }
    println!("Press Ctrl-C to stop.");
    wait_for_ctrl_c()?;
    eprintln!("stopping: finishing requests and writing a snapshot");
    bolt_server.stop();
    server.stop();
    audit.sync()?;
    db.close()?;
    Ok(())
}

/// One line on how clients authenticate.
fn describe_auth(args: &ServeArgs, has_secret: bool) -> String {
    let mut ways = Vec::new();
    if has_secret {
        ways.push("HS256 bearer tokens".to_owned());
    }
    if let Some(jwks) = &args.jwks {
        ways.push(format!(
            "RS256/ES256 bearer tokens (keys in {})",
            jwks.display()
        ));
    }
    if let Some(users) = &args.users {
        ways.push(format!("Bolt basic users (in {})", users.display()));
    }
    let limit = if args.rate_limit == 0 {
        "no rate limit".to_owned()
    } else {
        format!("{} requests/s per principal", args.rate_limit)
    };
    format!("{}; {limit}", ways.join(", "))
}

fn wait_for_ctrl_c() -> anyhow::Result<()> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    runtime.block_on(tokio::signal::ctrl_c())?;
    Ok(())
}
