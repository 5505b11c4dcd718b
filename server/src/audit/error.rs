//! What can go wrong with the audit log.

use std::path::PathBuf;

/// An audit log that cannot be opened, written or read.
#[derive(Debug, thiserror::Error)]
pub enum AuditError {
    /// A file operation failed.
    #[error("{action} {path}: {source}")]
    Io {
        /// What was being done ("writing", "opening", ...).
        action: &'static str,
        /// The file.
        path: PathBuf,
        /// The operating system's error.
        #[source]
        source: std::io::Error,
    },
    /// The data directory has no audit log.
    #[error("no audit log in {dir} (the server writes one when it serves a data directory)")]
    Missing {
        /// The directory looked in (`<data_dir>/audit`).
        dir: PathBuf,
    },
    /// The last complete record of the log is damaged, so the chain cannot
    /// be continued from it.
    #[error("{path}: the record at byte {offset} is damaged ({reason}); run `caregraph audit verify` and move the audit directory aside to start a new chain")]
    Corrupt {
        /// The log file.
        path: PathBuf,
        /// Byte offset of the record's line.
        offset: u64,
        /// Why it is refused.
        reason: String,
    },
    /// The head file and the end of the log disagree: records were removed
    /// from the end of the log (or the head file was replaced).
    #[error("{path}: the head file names record {head_seq} ({head_hash}), but the log ends at record {last_seq} ({last_hash}): records were removed at the end; run `caregraph audit verify` and move the audit directory aside to start a new chain")]
    HeadMismatch {
        /// The log file.
        path: PathBuf,
        /// The sequence number the head file names.
        head_seq: u64,
        /// The hash the head file names.
        head_hash: String,
        /// The last record in the log (0: none).
        last_seq: u64,
        /// Its line hash.
        last_hash: String,
    },
    /// The head file cannot be read.
    #[error("{path}: unreadable head file: {reason}")]
    BadHead {
        /// The head file.
        path: PathBuf,
        /// Why.
        reason: String,
    },
    /// Another process writes this audit log.
    #[error("the audit log in {dir} is in use by another process (a running server?)")]
    Locked {
        /// The audit directory.
        dir: PathBuf,
    },
    /// An earlier write failed and could not be undone: the log refuses
    /// further appends rather than write after a partial record.
    #[error("the audit log {path} refuses appends after an earlier write failure: {reason}")]
    Poisoned {
        /// The log file.
        path: PathBuf,
        /// The first failure.
        reason: String,
    },
    /// A record could not be encoded as JSON.
    #[error("encoding an audit record: {0}")]
    Encode(#[from] serde_json::Error),
}

impl AuditError {
    /// An I/O error while `action` on `path`.
    pub fn io(action: &'static str, path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        AuditError::Io {
            action,
            path: path.into(),
            source,
        }
    }
}
