//! The audit log: every request that touches patient-level data appends
//! who, when, which door, the query text or operation, the patient ids
//! touched and the outcome, to a hash-chained log in the data directory.
//!
//! # Files
//!
//! `<data_dir>/audit/`:
//! - `audit.log`: one JSON record per line (format in [`record`]): `seq`
//!   (from 1), `time` (UTC, RFC 3339, milliseconds), `sub`, `role`, `door`,
//!   `operation`, `patients`, `outcome`, `prev` (SHA-256 of the previous
//!   record's line, 64 zeros for the first) and `hash` (SHA-256 of the
//!   record's other fields as written).
//! - `head`: `{"seq": N, "hash": "<SHA-256 of record N's line>"}`, the last
//!   record known to be on disk, rewritten atomically (temporary file,
//!   fsync, rename) each time the log is fsynced.
//! - `patients/<sha256>.jsonl`: the patient ids of a request that touched
//!   more than [`sets::MAX_LISTED_PATIENTS`] patients, one JSON string per
//!   line in id order, named by the SHA-256 of its bytes; the record has
//!   `"patients":[]`, `patients_count` and `patients_set` (the SHA-256)
//!   instead of the list (format in [`sets`]). Written once per distinct
//!   set, durable before the first record naming it.
//! - `torn-<seq>.log`: the bytes of a record a crash left incomplete, set
//!   aside when the log was next opened.
//! - `lock`: held by the one process that writes the log (the server).
//!
//! # Durability
//!
//! [`AuditLog::append`] writes the whole line with one `write` before it
//! returns, so a crash of the server process loses no record of a request
//! it answered. A background thread fsyncs the log and rewrites the head
//! every 100 ms when something was appended, and on close: a power loss
//! loses at most the last 100 ms of records. When the log is opened after
//! a crash that cut a record short, the incomplete bytes are copied to
//! `torn-<seq>.log`, cut from the log, and a warning is logged; the chain
//! continues from the last complete record. A log whose last complete
//! record is damaged, or whose head names a record the log does not end
//! with, is refused ([`AuditError::Corrupt`], [`AuditError::HeadMismatch`]):
//! the server does not start on it, so that appending cannot hide the
//! damage. `caregraph audit verify` then names the problem; moving the
//! `audit` directory aside (and keeping it) starts a new chain.
//!
//! # What `caregraph audit verify` detects
//!
//! Reading from the first record, the first record that:
//! - does not parse, or carries a field the format does not have;
//! - was edited: its fields do not hash to its `hash`, or its line is not
//!   byte for byte the line the log writes for those fields;
//! - is not the next sequence number: a record before it was removed (a
//!   gap) or records were swapped or repeated;
//! - does not name the hash of the line before it as `prev`: a record
//!   before it was replaced, or records were removed or reordered and the
//!   rest renumbered and re-hashed;
//! - disagrees with the head file (the head names it with another hash),
//!   or the log ends before the record the head names: records were
//!   removed at the end;
//! - is the last and has no newline: a torn tail (a crash while writing;
//!   the server cuts it when it next opens the log);
//! - names a patient set file that is missing, does not hash to its name,
//!   or holds another number of ids than the record says.
//!
//! A log with records and no head file is reported as `head missing`.
//!
//! # What it cannot detect
//!
//! The chain has no secret: someone who can write the data directory can
//! rewrite a whole suffix of the log, re-hash it and write a matching
//! head, or delete the whole log and head. Records appended after the
//! last head write (at most 100 ms, or those a crash left unsynced) can be
//! cut from the end without a trace. Detecting those needs the head hash
//! kept elsewhere: `caregraph audit verify` prints it, to be recorded
//! (e.g. daily) outside the machine and compared later.
//!
//! # Reading while the server runs
//!
//! `caregraph audit verify` and `caregraph audit show` only read: they take
//! no lock and never open the graph, so they work while the server runs.
//! Verification reads the head file first, so records appended meanwhile
//! count as head lag, not as damage; a last line being written is waited
//! for briefly before it is called torn.

mod error;
mod log;
pub mod read;
pub mod record;
pub mod sets;
mod verify;

pub use error::AuditError;
pub use log::{AuditLog, SYNC_INTERVAL};
pub use read::{read_head, scan, Filter, Head};
pub use record::{AuditEvent, Door, Outcome, Record};
pub use verify::{verify, Break, BreakKind, VerifyReport};

/// The audit directory inside a data directory.
pub const AUDIT_DIR: &str = "audit";
/// The log file in the audit directory.
pub const LOG_FILE: &str = "audit.log";
/// The head file in the audit directory.
pub const HEAD_FILE: &str = "head";
/// The writer's lock file in the audit directory.
pub const LOCK_FILE: &str = "lock";

/// The audit directory of `data_dir`.
pub fn audit_dir(data_dir: &std::path::Path) -> std::path::PathBuf {
    data_dir.join(AUDIT_DIR)
}
