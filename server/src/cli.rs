//! The command line: parsing and dispatch.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use crate::auth::Secret;
use crate::commands;
use crate::settings::{self, FileSettings};

/// `CareGraph`: a healthcare graph server. FHIR R4 in, one property graph out.
#[derive(Parser, Debug)]
#[command(name = "caregraph", version, about)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Run the server (HTTP: /health, /metrics, POST /fhir, Cypher, GraphQL;
    /// Bolt). Clients authenticate with bearer tokens (JWT) or, on Bolt,
    /// a user of the users file: give at least one of --jwt-secret, --jwks,
    /// --users (or --demo, which prints a token per role).
    Serve {
        /// Data directory.
        #[arg(long, env = "CAREGRAPH_DATA_DIR")]
        data_dir: Option<PathBuf>,
        /// HTTP listen address.
        #[arg(long, env = "CAREGRAPH_HTTP")]
        http: Option<String>,
        /// Bolt listen address (Neo4j drivers and tools; default
        /// 127.0.0.1:7687).
        #[arg(long, env = "CAREGRAPH_BOLT")]
        bolt: Option<String>,
        /// Load the bundled sample data into an empty data directory first.
        #[arg(long)]
        demo: bool,
        /// Time limit of one Cypher query in seconds (0: none; default 30).
        #[arg(long, env = "CAREGRAPH_QUERY_TIMEOUT", value_name = "SECONDS")]
        query_timeout: Option<u64>,
        /// GraphQL answers kept in the result caches, keyed by graph version
        /// and clearance; an answer counts one entry per started 4 KiB
        /// (0: no cache).
        #[arg(
            long,
            env = "CAREGRAPH_GRAPHQL_CACHE",
            value_name = "ENTRIES",
            default_value_t = 10_000
        )]
        graphql_cache: u64,
        /// HS256 secret of bearer tokens (at least 32 bytes).
        #[arg(
            long,
            env = "CAREGRAPH_JWT_SECRET",
            hide_env_values = true,
            value_name = "SECRET"
        )]
        jwt_secret: Option<Secret>,
        /// JWKS file with the public keys of RS256/ES256 bearer tokens
        /// (chosen by `kid`).
        #[arg(long, env = "CAREGRAPH_JWKS", value_name = "FILE")]
        jwks: Option<PathBuf>,
        /// Users file for Bolt's basic authentication (see `caregraph user add`).
        #[arg(long, env = "CAREGRAPH_USERS", value_name = "FILE")]
        users: Option<PathBuf>,
        /// TLS certificate chain (PEM) for HTTPS and Bolt; needs --tls-key.
        #[arg(long, env = "CAREGRAPH_TLS_CERT", value_name = "FILE")]
        tls_cert: Option<PathBuf>,
        /// TLS private key (PEM); needs --tls-cert.
        #[arg(long, env = "CAREGRAPH_TLS_KEY", value_name = "FILE")]
        tls_key: Option<PathBuf>,
        /// Requests per second per principal, bursts of twice that (0: no
        /// limit; default 1000).
        #[arg(long, env = "CAREGRAPH_RATE_LIMIT", value_name = "N")]
        rate_limit: Option<u32>,
        /// Largest Cypher statement or GraphQL query text in bytes
        /// (default 1 MiB).
        #[arg(long, env = "CAREGRAPH_MAX_QUERY_BYTES", value_name = "BYTES")]
        max_query_bytes: Option<usize>,
    },
    /// Print an HS256 bearer token signed with the server's secret.
    Token {
        /// The server's HS256 secret.
        #[arg(
            long,
            env = "CAREGRAPH_JWT_SECRET",
            hide_env_values = true,
            value_name = "SECRET"
        )]
        jwt_secret: Secret,
        /// admin, clinician, analyst or service.
        #[arg(long)]
        role: crate::auth::Role,
        /// Subject (default: the role's name).
        #[arg(long)]
        sub: Option<String>,
        /// An Organization id (clinicians; repeatable).
        #[arg(long = "org", value_name = "ID")]
        orgs: Vec<String>,
        /// The role a service token acts with: admin, clinician or analyst.
        #[arg(long)]
        scope: Option<String>,
        /// Hours the token is valid.
        #[arg(long, default_value_t = 24)]
        valid_hours: u64,
    },
    /// Manage the users file of Bolt's basic authentication.
    User {
        #[command(subcommand)]
        which: UserCommand,
    },
    /// Load FHIR R4 files or directories into the graph.
    Load {
        /// Data directory (the server must not be running on it).
        #[arg(long, env = "CAREGRAPH_DATA_DIR", conflicts_with = "url")]
        data_dir: Option<PathBuf>,
        /// Send the files to a running server instead (its POST /fhir).
        #[arg(long)]
        url: Option<String>,
        /// Bearer token for --url (ignored on a data directory).
        #[arg(long, env = "CAREGRAPH_TOKEN", hide_env_values = true)]
        token: Option<Secret>,
        /// Records per transaction.
        #[arg(long, default_value_t = 20_000)]
        batch_size: usize,
        /// Print the report as JSON.
        #[arg(long)]
        json: bool,
        /// Files or directories: .ndjson, .ndjson.gz, .json, .json.gz, .tar.gz.
        #[arg(required = true)]
        paths: Vec<PathBuf>,
    },
    /// Node and relationship counts, size on disk and in memory.
    Stats {
        /// Data directory.
        #[arg(long, env = "CAREGRAPH_DATA_DIR")]
        data_dir: Option<PathBuf>,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Rebuild the graph from the raw archive of loaded resources.
    Rebuild {
        /// Data directory.
        #[arg(long, env = "CAREGRAPH_DATA_DIR")]
        data_dir: Option<PathBuf>,
    },
    /// Write a synthetic population as a FHIR Bulk Data export.
    Generate {
        /// Number of patients.
        #[arg(long)]
        patients: u64,
        /// Random seed (same seed, same output).
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Output directory.
        #[arg(long)]
        out: PathBuf,
    },
    /// Cypher console: an interactive shell, or one query with -e.
    Cypher {
        /// Data directory (the server must not be running on it).
        #[arg(long, env = "CAREGRAPH_DATA_DIR", conflicts_with = "url")]
        data_dir: Option<PathBuf>,
        /// Send the queries to a running server instead (its Query API).
        #[arg(long)]
        url: Option<String>,
        /// Bearer token for --url (ignored on a data directory).
        #[arg(long, env = "CAREGRAPH_TOKEN", hide_env_values = true)]
        token: Option<Secret>,
        /// Run this query, print the result and exit.
        #[arg(short = 'e', long = "execute", value_name = "QUERY")]
        query: Option<String>,
        /// A query parameter: `name=value`, the value a Cypher literal
        /// (e.g. `--param n=5 --param "name='Ann'"`). Repeatable.
        #[arg(long = "param", value_name = "NAME=VALUE")]
        params: Vec<String>,
        /// Output format.
        #[arg(long, value_enum, default_value_t = commands::cypher::Format::Table)]
        format: commands::cypher::Format,
        /// Time limit of one query in seconds (0: none; default 30; local
        /// data directory only: a server applies its own).
        #[arg(long, env = "CAREGRAPH_QUERY_TIMEOUT", value_name = "SECONDS")]
        query_timeout: Option<u64>,
    },
    /// Print the GraphQL schema (SDL).
    Schema,
    /// Evaluate the medication recommenders (issue 5's protocol): every
    /// method on the same time split, Recall/NDCG/HitRate/coverage@k.
    Eval {
        /// Data directory.
        #[arg(long, env = "CAREGRAPH_DATA_DIR")]
        data_dir: Option<PathBuf>,
        /// Cutoff (YYYY-MM-DD or RFC 3339; default: the 80th percentile of
        /// prescription dates).
        #[arg(long)]
        cutoff: Option<String>,
        /// List length.
        #[arg(long, default_value_t = 10)]
        k: usize,
        /// Methods to evaluate, comma-separated (default: all).
        #[arg(long, value_delimiter = ',')]
        methods: Vec<String>,
        /// Use each method's default setting instead of tuning on the
        /// validation cut.
        #[arg(long)]
        no_tune: bool,
        /// Fix the PPR walk weights instead of tuning them, e.g.
        /// `cond=1,treats=0.5,prac×cond=1,med=0.3,demo=0.3,recent=0.3,beta=0`
        /// (kinds: `cond`, `treats`, `cond_recent`, `prac×cond`, `med`, `prac`, `demo`,
        /// `recent`).
        #[arg(long)]
        ppr_weights: Option<String>,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Medication suggestions for one patient, with scores, evidence
    /// (counted paths) and interaction flags.
    Recommend {
        /// Data directory.
        #[arg(long, env = "CAREGRAPH_DATA_DIR")]
        data_dir: Option<PathBuf>,
        /// Patient id.
        #[arg(long)]
        patient: String,
        /// How many suggestions.
        #[arg(long, default_value_t = 10)]
        k: usize,
        /// Method: popularity, itemknn, rp3beta, ease, ials, ppr,
        /// similarity, embedding, hybrid (default ppr).
        #[arg(long)]
        method: Option<String>,
        /// Also list this many similar patients.
        #[arg(long, default_value_t = 0)]
        similar: usize,
        /// Use default settings instead of tuning on the newest 20% of
        /// prescriptions first.
        #[arg(long)]
        no_tune: bool,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// The audit log: verify its hash chain, or show who looked at a
    /// patient (read-only: works while the server runs).
    Audit {
        #[command(subcommand)]
        which: commands::audit::AuditCommand,
    },
    /// Benchmarks that print figures.
    Bench {
        #[command(subcommand)]
        which: commands::bench::BenchCommand,
    },
}

/// `caregraph user ...`.
#[derive(Subcommand, Debug)]
enum UserCommand {
    /// Add a user to the users file (made when missing), or replace the
    /// user of that name. The password is read from standard input (one
    /// line).
    Add {
        /// The users file.
        #[arg(long, env = "CAREGRAPH_USERS", value_name = "FILE")]
        users: PathBuf,
        /// The user name.
        #[arg(long)]
        name: String,
        /// admin, clinician, analyst or service.
        #[arg(long)]
        role: crate::auth::Role,
        /// An Organization id the user is limited to (clinicians; repeatable).
        #[arg(long = "org", value_name = "ID")]
        orgs: Vec<String>,
        /// The role a service user acts with: admin, clinician or analyst
        /// (default analyst).
        #[arg(long)]
        scope: Option<String>,
    },
}

/// Parses the command line, runs the command, returns the exit status.
pub fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("CAREGRAPH_LOG").unwrap_or_else(|_| {
                tracing_subscriber::EnvFilter::new("warn,caregraph=info,graph_model=info")
            }),
        )
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    match run(cli) {
        Ok(code) => code,
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::from(1)
        }
    }
}

fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    let file = FileSettings::load()?;
    match cli.command {
        Command::Serve {
            data_dir,
            http,
            bolt,
            demo,
            query_timeout,
            graphql_cache,
            jwt_secret,
            jwks,
            users,
            tls_cert,
            tls_key,
            rate_limit,
            max_query_bytes,
        } => {
            commands::serve::run(&commands::serve::ServeArgs {
                jwt_secret,
                jwks: jwks.or(file.jwks.clone()),
                users: users.or(file.users.clone()),
                tls: crate::auth::tls::TlsFiles::from_flags(
                    tls_cert.or(file.tls_cert.clone()),
                    tls_key.or(file.tls_key.clone()),
                )?,
                rate_limit: rate_limit
                    .or(file.rate_limit)
                    .unwrap_or(settings::DEFAULT_RATE_LIMIT),
                max_query_bytes: max_query_bytes
                    .or(file.max_query_bytes)
                    .unwrap_or(settings::DEFAULT_MAX_QUERY_BYTES),
                data_dir: file.data_dir(data_dir),
                http: file.http(http)?,
                bolt: file.bolt(bolt)?,
                demo,
                max_body_bytes: file
                    .max_body_bytes
                    .unwrap_or(settings::DEFAULT_MAX_BODY_BYTES),
                sync_commits: file.sync_commits.unwrap_or(true),
                query_timeout: file.query_timeout(query_timeout),
                graphql_cache,
            })?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Token {
            jwt_secret,
            role,
            sub,
            orgs,
            scope,
            valid_hours,
        } => {
            let token = commands::token::make(&commands::token::TokenArgs {
                secret: jwt_secret,
                sub: sub.unwrap_or_else(|| role.to_string()),
                role,
                orgs,
                scope,
                valid_for: std::time::Duration::from_secs(valid_hours.saturating_mul(3600)),
            })?;
            println!("{token}");
            Ok(ExitCode::SUCCESS)
        }
        Command::User { which } => match which {
            UserCommand::Add {
                users,
                name,
                role,
                orgs,
                scope,
            } => {
                commands::user::add(&users, &name, role, orgs, scope)?;
                Ok(ExitCode::SUCCESS)
            }
        },
        Command::Load {
            data_dir,
            url,
            token,
            batch_size,
            json,
            paths,
        } => {
            let code = match url {
                Some(url) => commands::load::run_remote(&url, token.as_ref(), &paths, json)?,
                None => {
                    commands::load::run_local(&file.data_dir(data_dir), &paths, batch_size, json)?
                }
            };
            Ok(ExitCode::from(code))
        }
        Command::Stats { data_dir, json } => {
            commands::stats::run(&file.data_dir(data_dir), json)?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Rebuild { data_dir } => {
            commands::rebuild::run(&file.data_dir(data_dir))?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Generate {
            patients,
            seed,
            out,
        } => {
            commands::generate::run(patients, seed, &out)?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Cypher {
            data_dir,
            url,
            token,
            query,
            params,
            format,
            query_timeout,
        } => {
            let target = match url {
                Some(url) => commands::cypher::Target::Remote { url, token },
                None => commands::cypher::Target::Local {
                    data_dir: file.data_dir(data_dir),
                    timeout: file.query_timeout(query_timeout),
                    sync_commits: file.sync_commits.unwrap_or(true),
                },
            };
            let code = commands::cypher::run(&commands::cypher::CypherArgs {
                target,
                query,
                params,
                format,
            })?;
            Ok(ExitCode::from(code))
        }
        Command::Schema => {
            let sdl = crate::graphql::sdl()?;
            if let Err(e) = std::io::Write::write_all(&mut std::io::stdout(), sdl.as_bytes()) {
                if e.kind() != std::io::ErrorKind::BrokenPipe {
                    return Err(e.into());
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Eval {
            data_dir,
            cutoff,
            k,
            methods,
            no_tune,
            ppr_weights,
            json,
        } => {
            commands::eval::run(
                &file.data_dir(data_dir),
                &commands::eval::EvalArgs {
                    cutoff,
                    k,
                    methods,
                    no_tune,
                    ppr_weights,
                    json,
                },
            )?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Recommend {
            data_dir,
            patient,
            k,
            method,
            similar,
            no_tune,
            json,
        } => {
            commands::recommend::run(
                &file.data_dir(data_dir),
                &commands::recommend::RecommendArgs {
                    patient,
                    k,
                    method,
                    similar,
                    tune: !no_tune,
                    json,
                },
            )?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Audit { which } => match which {
            commands::audit::AuditCommand::Verify { data_dir, json } => Ok(ExitCode::from(
                commands::audit::verify(&file.data_dir(data_dir), json)?,
            )),
            commands::audit::AuditCommand::Show {
                data_dir,
                patient,
                subject,
                json,
            } => {
                commands::audit::show(
                    &file.data_dir(data_dir),
                    &crate::audit::Filter { patient, subject },
                    json,
                )?;
                Ok(ExitCode::SUCCESS)
            }
        },
        Command::Bench { which } => {
            commands::bench::run(&which)?;
            Ok(ExitCode::SUCCESS)
        }
    }
}
