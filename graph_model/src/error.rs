//! Errors of the store and of FHIR ingestion.

use std::path::PathBuf;

use crate::ids::{NodeId, RelId};
use crate::value::Value;

/// Errors of the graph store: transactions, indexes, log and snapshots.
#[derive(Debug, thiserror::Error)]
pub enum GraphError {
    /// The node does not exist (never did, or was deleted).
    #[error("node {0} does not exist")]
    NodeNotFound(NodeId),
    /// The relationship does not exist.
    #[error("relationship {0} does not exist")]
    RelNotFound(RelId),
    /// A node with relationships cannot be deleted without detaching.
    #[error(
        "node {node} still has {count} relationship(s); delete them first or use DETACH DELETE"
    )]
    NodeHasRelationships {
        /// The node.
        node: NodeId,
        /// How many relationships it has.
        count: usize,
    },
    /// A write would give two nodes of one label the same key.
    #[error("node {existing} with label `{label}` already has `{key}` = {value}")]
    UniqueConstraint {
        /// The label.
        label: String,
        /// The key property.
        key: String,
        /// The duplicate value.
        value: Value,
        /// The node that has it.
        existing: NodeId,
    },
    /// A write would give two relationships of one type the same key.
    #[error("relationship {existing} of type `{rel_type}` already has `{key}` = {value}")]
    RelUniqueConstraint {
        /// The relationship type.
        rel_type: String,
        /// The key property.
        key: String,
        /// The duplicate value.
        value: Value,
        /// The relationship that has it.
        existing: RelId,
    },
    /// The store holds as many nodes or relationships as ids allow.
    #[error("the store is full: at most {limit} {what}")]
    CapacityExceeded {
        /// "nodes" or "relationships".
        what: &'static str,
        /// The limit.
        limit: u64,
    },
    /// A logged operation does not fit the state it is replayed on.
    #[error("log replay failed at transaction {lsn}: {detail}")]
    ReplayMismatch {
        /// The transaction's log sequence number.
        lsn: u64,
        /// What did not fit.
        detail: String,
    },
    /// A file operation failed.
    #[error("{action} {path}: {source}")]
    Io {
        /// What was being done.
        action: &'static str,
        /// The file.
        path: PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// Another process holds the data directory.
    #[error("data directory {path} is in use by another process (lock file {path}/LOCK)")]
    DataDirLocked {
        /// The directory.
        path: PathBuf,
    },
    /// Encoded data (log record, snapshot) is not well formed.
    #[error("cannot decode {what}: {reason}")]
    Decode {
        /// What was decoded.
        what: &'static str,
        /// Why it failed.
        reason: String,
    },
    /// No snapshot is readable and the log does not reach back to the start.
    #[error("cannot recover {path}: {reason}")]
    Unrecoverable {
        /// The data directory.
        path: PathBuf,
        /// Why.
        reason: String,
    },
    /// A previous log write or fsync failed; the store refuses writes so that
    /// nothing unlogged is ever made visible.
    #[error("the store refuses writes after a failed log write: {0}")]
    Poisoned(String),
}

/// Errors of FHIR ingestion that stop a whole load (bad records do not: they
/// are reported as [`crate::fhir::Rejection`]s and the rest loads).
#[derive(Debug, thiserror::Error)]
pub enum FhirError {
    /// The store failed.
    #[error(transparent)]
    Graph(#[from] GraphError),
    /// An input file or directory could not be read.
    #[error("cannot read {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// A path given to the loader does not exist or is not a supported file.
    #[error("{path}: {reason}")]
    Input {
        /// The path.
        path: PathBuf,
        /// Why it cannot be loaded.
        reason: String,
    },
    /// The raw archive or rejects file could not be written.
    #[error("cannot write {path}: {source}")]
    Write {
        /// The file.
        path: PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
}

/// Shorthand for store results.
pub type GraphResult<T> = Result<T, GraphError>;

impl GraphError {
    /// An [`GraphError::Io`] for `path`.
    pub fn io(action: &'static str, path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        GraphError::Io {
            action,
            path: path.into(),
            source,
        }
    }
}
