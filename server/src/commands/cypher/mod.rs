//! `caregraph cypher`: the Cypher console. One query with `-e`, or an
//! interactive shell (see [`shell`]); on a local data directory or against a
//! running server's Query API (see [`client`]).
//!
//! Both ways produce the Query API's JSON answer (a local query is encoded
//! by the same code the server uses), and [`render`] prints that as a
//! table, CSV or JSON: the output does not depend on where the query ran.

pub mod client;
pub mod render;
pub mod shell;

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context;
use cypher::{CypherValue, Params, QueryOptions};
use graph_model::{Database, DbOptions, GraphError};
use serde_json::Value as Json;

use crate::http::query::codec;

/// How results are printed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// A table that fits the terminal, then a summary line.
    Table,
    /// CSV with a header line (strings as they are, other values as text).
    Csv,
    /// The Query API's JSON answer, on one line.
    Json,
}

/// Where queries run.
#[derive(Clone, Debug)]
pub enum Target {
    /// On a data directory opened by this process.
    Local {
        /// The data directory.
        data_dir: PathBuf,
        /// Time limit of one query.
        timeout: Option<Duration>,
        /// fsync each commit.
        sync_commits: bool,
    },
    /// On a running server.
    Remote {
        /// Its base URL, e.g. `http://127.0.0.1:7474`.
        url: String,
        /// The bearer token to send.
        token: Option<crate::auth::Secret>,
    },
}

/// The arguments of `caregraph cypher`.
#[derive(Clone, Debug)]
pub struct CypherArgs {
    /// Where queries run.
    pub target: Target,
    /// The one query to run (`-e`); the shell when absent.
    pub query: Option<String>,
    /// `name=value` parameters, values being Cypher literals.
    pub params: Vec<String>,
    /// Output format.
    pub format: Format,
}

/// Why a query gave no result.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RunError {
    /// The query failed: the Neo4j status code and message, and for syntax
    /// errors the 1-based line and column.
    #[error("{message}")]
    Query {
        /// Neo4j status code.
        code: String,
        /// What went wrong.
        message: String,
        /// Line and column of a syntax error.
        position: Option<(usize, usize)>,
    },
    /// The server could not be reached or gave an answer that is not the
    /// Query API's.
    #[error("{0}")]
    Connection(String),
}

impl RunError {
    /// A query error from its code and message (the position of a syntax
    /// error is read from the message, `(line L, column C`).
    pub fn query(code: impl Into<String>, message: impl Into<String>) -> RunError {
        let message = message.into();
        let position = syntax_position(&message);
        RunError::Query {
            code: code.into(),
            message,
            position,
        }
    }

    /// Writes the error for a person: the message, for a syntax error the
    /// offending line with a caret under the position, and the code.
    pub fn report(&self, statement: &str, out: &mut dyn Write) -> std::io::Result<()> {
        match self {
            RunError::Query {
                code,
                message,
                position,
            } => {
                writeln!(out, "error: {message}")?;
                if let Some((line, column)) = position {
                    if let Some(text) = statement.lines().nth(line.saturating_sub(1)) {
                        writeln!(out, "  {text}")?;
                        writeln!(out, "  {}^", " ".repeat(column.saturating_sub(1)))?;
                    }
                }
                writeln!(out, "code: {code}")
            }
            RunError::Connection(message) => writeln!(out, "error: {message}"),
        }
    }
}

impl From<cypher::CypherError> for RunError {
    fn from(e: cypher::CypherError) -> Self {
        RunError::Query {
            code: e.status_code().to_owned(),
            message: e.to_string(),
            position: e.as_syntax().map(|s| (s.line, s.column)),
        }
    }
}

/// `(line 3, column 7` in a syntax error message.
fn syntax_position(message: &str) -> Option<(usize, usize)> {
    let start = message.rfind("(line ")? + "(line ".len();
    let rest = &message[start..];
    let (line, rest) = rest.split_once(", column ")?;
    let column: String = rest.chars().take_while(char::is_ascii_digit).collect();
    Some((line.trim().parse().ok()?, column.parse().ok()?))
}

/// Where queries go.
enum Backend {
    Local {
        db: Database,
        timeout: Option<Duration>,
    },
    Remote(client::Client),
}

/// A console session: where queries run, the parameters set so far, the
/// output format.
pub struct Session {
    backend: Backend,
    /// Parameters by name.
    pub params: Params,
    /// How results are printed.
    pub format: Format,
    /// An empty graph to evaluate parameter literals on.
    literals: Database,
}

impl Session {
    /// Opens the data directory or checks the server.
    pub fn open(target: &Target, format: Format) -> anyhow::Result<Session> {
        let backend = match target {
            Target::Local {
                data_dir,
                timeout,
                sync_commits,
            } => Backend::Local {
                db: open_local(data_dir, *sync_commits)?,
                timeout: *timeout,
            },
            Target::Remote { url, token } => {
                Backend::Remote(client::Client::new(url, token.clone()))
            }
        };
        Ok(Session {
            backend,
            params: Params::new(),
            format,
            literals: Database::in_memory(),
        })
    }

    /// Runs one statement; the answer is the Query API's JSON body.
    pub fn run(&self, statement: &str) -> Result<Json, RunError> {
        match &self.backend {
            Backend::Local { db, timeout } => {
                let options = QueryOptions {
                    timeout: *timeout,
                    ..QueryOptions::default()
                };
                let output = cypher::execute(db, statement, &self.params, &options)?;
                Ok(codec::result_body(&output, false))
            }
            Backend::Remote(client) => {
                client.query(statement, &codec::params_to_json(&self.params))
            }
        }
    }

    /// The value of a Cypher literal (any expression that needs no graph,
    /// and may use the parameters set so far).
    pub fn evaluate(&self, literal: &str) -> Result<CypherValue, RunError> {
        let query = format!("RETURN {literal} AS v");
        let options = QueryOptions {
            read_only: true,
            timeout: Some(Duration::from_secs(10)),
            ..QueryOptions::default()
        };
        let output = cypher::execute(&self.literals, &query, &self.params, &options)?;
        Ok(output
            .rows
            .into_iter()
            .next()
            .and_then(|row| row.into_iter().next())
            .unwrap_or(CypherValue::Null))
    }

    /// Sets a parameter from `name => value`, `name: value` or
    /// `name=value`, the value a Cypher literal; or several from a map
    /// literal `{a: 1, b: 'x'}`.
    pub fn set_param(&mut self, text: &str) -> Result<Vec<String>, RunError> {
        let text = text.trim();
        if text.starts_with('{') {
            let value = self.evaluate(text)?;
            let Some(map) = value.as_map() else {
                return Err(RunError::query(
                    "Neo.ClientError.Statement.TypeError",
                    "expected a map of parameters",
                ));
            };
            let names = map.keys().map(ToString::to_string).collect();
            for (k, v) in map {
                self.params.insert(k.to_string(), v.clone());
            }
            return Ok(names);
        }
        let (name, literal) = split_param(text).ok_or_else(|| {
            RunError::query(
                "Neo.ClientError.Request.Invalid",
                format!("`{text}`: write a parameter as name => value (the value a Cypher literal, e.g. n => 5 or name => 'Ann')"),
            )
        })?;
        let value = self.evaluate(literal)?;
        self.params.insert(name.clone(), value);
        Ok(vec![name])
    }

    /// A session on an empty in-memory graph.
    #[cfg(test)]
    pub(crate) fn for_tests() -> Session {
        Session {
            backend: Backend::Local {
                db: Database::in_memory(),
                timeout: None,
            },
            params: Params::new(),
            format: Format::Table,
            literals: Database::in_memory(),
        }
    }

    /// Closes the data directory (writing a snapshot when needed).
    pub fn close(self) -> anyhow::Result<()> {
        if let Backend::Local { db, .. } = self.backend {
            db.close().context("closing the data directory")?;
        }
        Ok(())
    }
}

/// `name => value`, `name: value` or `name=value` (name optionally in
/// backticks or with a leading `$`).
fn split_param(text: &str) -> Option<(String, &str)> {
    let (at, len) = [("=>", 2), (":", 1), ("=", 1)]
        .iter()
        .filter_map(|(sep, len)| text.find(sep).map(|i| (i, *len)))
        .min_by_key(|(i, len)| (*i, std::cmp::Reverse(*len)))?;
    let (name, value) = (&text[..at], &text[at + len..]);
    let name = name.trim().trim_start_matches('$').trim_matches('`');
    let value = value.trim();
    if name.is_empty() || value.is_empty() {
        return None;
    }
    Some((name.to_owned(), value))
}

/// Opens a data directory, saying clearly when a server holds it.
fn open_local(dir: &std::path::Path, sync_commits: bool) -> anyhow::Result<Database> {
    if !dir.exists() {
        eprintln!(
            "note: {} does not exist; starting an empty graph there",
            dir.display()
        );
    }
    let options = DbOptions {
        sync_commits,
        ..DbOptions::default()
    };
    match Database::open(dir, options) {
        Ok(db) => Ok(db),
        Err(GraphError::DataDirLocked { path }) => anyhow::bail!(
            "data directory {} is in use by another process (a running server?). Query the server instead: caregraph cypher --url http://127.0.0.1:7474",
            path.display()
        ),
        Err(e) => Err(e).with_context(|| format!("opening data directory {}", dir.display())),
    }
}

/// Runs `caregraph cypher`; the exit status is 0 on success, 1 when a query
/// failed.
pub fn run(args: &CypherArgs) -> anyhow::Result<u8> {
    let mut session = Session::open(&args.target, args.format)?;
    for param in &args.params {
        if let Err(e) = session.set_param(param) {
            let _ = e.report(param, &mut std::io::stderr());
            session.close()?;
            return Ok(1);
        }
    }
    let code = match &args.query {
        Some(query) => run_one(&session, query),
        None if std::io::stdin().is_terminal() => shell::interactive(&mut session)?,
        None => shell::script(&mut session, std::io::stdin().lock())?,
    };
    session.close()?;
    Ok(code)
}

/// Runs one statement and prints its result (0) or its error (1).
fn run_one(session: &Session, statement: &str) -> u8 {
    let width = render::terminal_width();
    match session.run(statement) {
        Ok(body) => {
            let mut out = std::io::stdout().lock();
            let _ = render::render(&body, session.format, width, &mut out);
            let _ = out.flush();
            0
        }
        Err(e) => {
            let _ = e.report(statement, &mut std::io::stderr());
            1
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parameters_are_cypher_literals() {
        let mut session = Session::for_tests();
        assert_eq!(session.set_param("n => 5"), Ok(vec!["n".to_owned()]));
        assert_eq!(session.params["n"].as_integer(), Some(5));
        session.set_param("name: 'Ann'").expect("string");
        assert_eq!(session.params["name"].as_str(), Some("Ann"));
        session
            .set_param("$twice=$n * 2")
            .expect("uses earlier params");
        assert_eq!(session.params["twice"].as_integer(), Some(10));
        let names = session.set_param("{a: [1, 2.5], b: null}").expect("map");
        assert_eq!(names, vec!["a".to_owned(), "b".to_owned()]);
        assert!(session.params["b"].is_null());
        let err = session
            .set_param("x => nope")
            .expect_err("undefined variable");
        assert!(
            matches!(&err, RunError::Query { code, .. } if code == "Neo.ClientError.Statement.SyntaxError"),
            "{err:?}"
        );
        assert!(session.set_param("just-text").is_err());
    }

    #[test]
    fn syntax_positions_are_read_from_messages() {
        assert_eq!(
            syntax_position("Invalid input 'X' (line 2, column 7 (offset: 12))"),
            Some((2, 7))
        );
        assert_eq!(syntax_position("Variable `x` not defined"), None);
        let err = RunError::query(
            "Neo.ClientError.Statement.SyntaxError",
            "Invalid input (line 1, column 3 (offset: 2))",
        );
        let mut out = Vec::new();
        err.report("RETRN 1", &mut out).expect("write");
        assert_eq!(
            String::from_utf8_lossy(&out),
            "error: Invalid input (line 1, column 3 (offset: 2))\n  RETRN 1\n    ^\ncode: Neo.ClientError.Statement.SyntaxError\n"
        );
    }
}
