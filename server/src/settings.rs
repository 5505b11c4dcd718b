//! Settings shared by the command line and the server: a flag wins, then the
//! environment variable `CAREGRAPH_<SETTING>` (clap reads both), then
//! `caregraph.toml` in the working directory (or the file named by
//! `CAREGRAPH_CONFIG`), then the default.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::Context;
use serde::Deserialize;

/// Default data directory.
pub const DEFAULT_DATA_DIR: &str = "./caregraph-data";
/// Default HTTP address.
pub const DEFAULT_HTTP: &str = "127.0.0.1:7474";
/// Default Bolt address.
pub const DEFAULT_BOLT: &str = crate::bolt::DEFAULT_ADDR;
/// Default largest request body of `POST /fhir`.
pub const DEFAULT_MAX_BODY_BYTES: usize = 256 << 20;
/// Default largest Cypher statement or GraphQL query text.
pub const DEFAULT_MAX_QUERY_BYTES: usize = 1 << 20;
/// Default requests per second per principal.
pub const DEFAULT_RATE_LIMIT: u32 = crate::auth::ratelimit::DEFAULT_RATE_LIMIT;
/// Default time limit of one Cypher query, in seconds.
pub const DEFAULT_QUERY_TIMEOUT_SECS: u64 = 30;

/// The contents of `caregraph.toml` (every key optional).
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct FileSettings {
    /// Data directory.
    pub data_dir: Option<PathBuf>,
    /// HTTP listen address.
    pub http: Option<String>,
    /// Bolt listen address.
    pub bolt: Option<String>,
    /// Largest `POST /fhir` body in bytes.
    pub max_body_bytes: Option<usize>,
    /// fsync every commit (default true).
    pub sync_commits: Option<bool>,
    /// Time limit of one Cypher query in seconds (0: none; default 30).
    pub query_timeout: Option<u64>,
    /// Largest Cypher statement or GraphQL query text in bytes.
    pub max_query_bytes: Option<usize>,
    /// Requests per second per principal (0: no limit).
    pub rate_limit: Option<u32>,
    /// JWKS file with the public keys of RS256/ES256 tokens.
    pub jwks: Option<PathBuf>,
    /// Users file for Bolt's basic authentication.
    pub users: Option<PathBuf>,
    /// TLS certificate chain (PEM).
    pub tls_cert: Option<PathBuf>,
    /// TLS private key (PEM).
    pub tls_key: Option<PathBuf>,
}

impl FileSettings {
    /// Reads `caregraph.toml` (or `$CAREGRAPH_CONFIG`) when present.
    pub fn load() -> anyhow::Result<FileSettings> {
        let path = std::env::var_os("CAREGRAPH_CONFIG")
            .map_or_else(|| PathBuf::from("caregraph.toml"), PathBuf::from);
        Self::load_from(&path)
    }

    /// Reads a settings file; a missing file gives the defaults.
    pub fn load_from(path: &Path) -> anyhow::Result<FileSettings> {
        match std::fs::read_to_string(path) {
            Ok(text) => toml::from_str(&text)
                .with_context(|| format!("reading settings from {}", path.display())),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(FileSettings::default()),
            Err(e) => Err(e).with_context(|| format!("reading settings from {}", path.display())),
        }
    }

    /// The data directory: the flag/env value, else the file's, else the default.
    pub fn data_dir(&self, flag: Option<PathBuf>) -> PathBuf {
        flag.or_else(|| self.data_dir.clone())
            .unwrap_or_else(|| PathBuf::from(DEFAULT_DATA_DIR))
    }

    /// The HTTP address.
    pub fn http(&self, flag: Option<String>) -> anyhow::Result<SocketAddr> {
        let text = flag
            .or_else(|| self.http.clone())
            .unwrap_or_else(|| DEFAULT_HTTP.to_owned());
        text.parse()
            .with_context(|| format!("`{text}` is not an address like 127.0.0.1:7474"))
    }

    /// The Bolt address.
    pub fn bolt(&self, flag: Option<String>) -> anyhow::Result<SocketAddr> {
        let text = flag
            .or_else(|| self.bolt.clone())
            .unwrap_or_else(|| DEFAULT_BOLT.to_owned());
        text.parse()
            .with_context(|| format!("`{text}` is not an address like 127.0.0.1:7687"))
    }

    /// The time limit of one Cypher query: the flag/env value in seconds,
    /// else the file's, else 30 s; 0 means no limit.
    pub fn query_timeout(&self, flag: Option<u64>) -> Option<Duration> {
        let secs = flag
            .or(self.query_timeout)
            .unwrap_or(DEFAULT_QUERY_TIMEOUT_SECS);
        (secs > 0).then(|| Duration::from_secs(secs))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flag_beats_file_beats_default() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("caregraph.toml");
        std::fs::write(&path, "data-dir = \"/srv/cg\"\nhttp = \"0.0.0.0:9000\"\n").expect("write");
        let file = FileSettings::load_from(&path).expect("parse");
        assert_eq!(file.data_dir(None), PathBuf::from("/srv/cg"));
        assert_eq!(file.data_dir(Some("x".into())), PathBuf::from("x"));
        assert_eq!(file.http(None).expect("addr").port(), 9000);
        assert_eq!(file.bolt(None).expect("addr").port(), 7687);
        assert_eq!(
            file.bolt(Some("0.0.0.0:7688".into())).expect("addr").port(),
            7688
        );
        assert_eq!(file.query_timeout(None), Some(Duration::from_secs(30)));
        assert_eq!(file.query_timeout(Some(0)), None);
        std::fs::write(&path, "query-timeout = 5\nbolt = \"127.0.0.1:9687\"\n").expect("write");
        let file = FileSettings::load_from(&path).expect("parse");
        assert_eq!(file.query_timeout(None), Some(Duration::from_secs(5)));
        assert_eq!(file.bolt(None).expect("addr").port(), 9687);
        assert_eq!(file.query_timeout(Some(7)), Some(Duration::from_secs(7)));
        let empty = FileSettings::load_from(&dir.path().join("missing.toml")).expect("default");
        assert_eq!(empty.data_dir(None), PathBuf::from(DEFAULT_DATA_DIR));
        std::fs::write(&path, "colour = 1\n").expect("write");
        assert!(
            FileSettings::load_from(&path).is_err(),
            "unknown keys are refused"
        );
    }
}
