//! `caregraph audit verify`: walks the chain from the first record and
//! names the first one that breaks it. Streams: one line in memory at a
//! time.

use std::fmt;
use std::path::{Path, PathBuf};

use serde::Serialize;

use super::error::AuditError;
use super::read::{read_head, torn_files, Head, Line, LineReader};
use super::record::{sha256_hex, Record, GENESIS};
use super::sets::SetReader;

/// Why a record breaks the chain.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum BreakKind {
    /// The line is not a record.
    Unparsable,
    /// The fields do not hash to the record's `hash`, or the line is not
    /// in the form the log writes: the record was edited.
    Edited,
    /// A higher sequence number than expected: records before it were
    /// removed (or it was moved up).
    SeqGap,
    /// A lower sequence number than expected: records were reordered or
    /// repeated.
    OutOfOrder,
    /// `prev` is not the hash of the line before: the record before it was
    /// replaced, or records were removed and renumbered.
    ChainBroken,
    /// The file ends inside a record (a crash while writing; the server
    /// sets the bytes aside when it next opens the log).
    TornTail,
    /// The head file names a record the log does not have (records were
    /// removed at the end) or one with another hash.
    HeadMismatch,
    /// The log has records but no head file, so its end cannot be checked.
    HeadMissing,
    /// The record names a patient set file that is missing, altered, or
    /// holds another number of ids.
    PatientSet,
}

impl fmt::Display for BreakKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            BreakKind::Unparsable => "unparsable line",
            BreakKind::Edited => "edited",
            BreakKind::SeqGap => "sequence gap",
            BreakKind::OutOfOrder => "out of order",
            BreakKind::ChainBroken => "chain broken",
            BreakKind::TornTail => "torn tail",
            BreakKind::HeadMismatch => "head mismatch",
            BreakKind::HeadMissing => "head missing",
            BreakKind::PatientSet => "patient set",
        })
    }
}

/// The first record that breaks the chain.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Break {
    /// The log file.
    pub file: PathBuf,
    /// Line number (from 1); for a head problem, the line after the last.
    pub line: u64,
    /// The record's sequence number, when it has one.
    pub seq: Option<u64>,
    /// What is wrong.
    pub kind: BreakKind,
    /// In words.
    pub reason: String,
}

impl fmt::Display for Break {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: line {}", self.file.display(), self.line)?;
        if let Some(seq) = self.seq {
            write!(f, " (record {seq})")?;
        }
        write!(f, ": {}: {}", self.kind, self.reason)
    }
}

/// What verification found.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct VerifyReport {
    /// The log file.
    pub file: PathBuf,
    /// Records checked (up to the break, when there is one).
    pub records: u64,
    /// SHA-256 of the last good record's line (what the next `prev` must
    /// be), or [`GENESIS`].
    pub head: String,
    /// What the head file says.
    pub head_file: Option<Head>,
    /// Records after the one the head file names: appended since the last
    /// fsync (the server is running, or stopped without closing the log).
    pub head_lag: u64,
    /// Incomplete records the server set aside when it opened the log.
    pub torn_files: Vec<PathBuf>,
    /// The first break, or `None` when the chain is intact.
    pub broken: Option<Break>,
}

impl VerifyReport {
    /// `true` when no record breaks the chain.
    pub fn intact(&self) -> bool {
        self.broken.is_none()
    }
}

/// Checks one complete line: it parses, its hash is right and it is in the
/// form the log writes. Returns the record and the hash of its line.
pub(crate) fn check_line(line: &[u8]) -> Result<(Record, String), (BreakKind, String)> {
    let record: Record = serde_json::from_slice(line)
        .map_err(|e| (BreakKind::Unparsable, format!("not an audit record: {e}")))?;
    let (canonical, hash) = record
        .encode()
        .map_err(|e| (BreakKind::Unparsable, format!("cannot re-encode: {e}")))?;
    if hash != record.hash {
        return Err((
            BreakKind::Edited,
            format!(
                "hash mismatch: the fields hash to {hash}, the record says {}: it was changed after it was written",
                record.hash
            ),
        ));
    }
    if canonical != line {
        return Err((
            BreakKind::Edited,
            "the line is not in the form the log writes (reformatted or edited)".to_owned(),
        ));
    }
    Ok((record, sha256_hex(line)))
}

/// Verifies the log in `audit_dir` (see the module documentation of
/// [`crate::audit`] for what this can and cannot detect).
pub fn verify(audit_dir: &Path) -> Result<VerifyReport, AuditError> {
    // The head is read before the log: a server appending meanwhile only
    // moves the head past what was read here, never before it.
    let head_file = read_head(audit_dir);
    let mut lines = LineReader::open(audit_dir)?;
    let file = lines.path().to_path_buf();
    let mut report = VerifyReport {
        file: file.clone(),
        records: 0,
        head: GENESIS.to_owned(),
        head_file: None,
        head_lag: 0,
        torn_files: torn_files(audit_dir),
        broken: None,
    };
    let broken = |line: u64, seq: Option<u64>, kind: BreakKind, reason: String| Break {
        file: file.clone(),
        line,
        seq,
        kind,
        reason,
    };
    let head_file = match head_file {
        Ok(head) => head,
        Err(AuditError::BadHead { reason, .. }) => {
            report.broken = Some(broken(
                0,
                None,
                BreakKind::HeadMismatch,
                format!("the head file is unreadable: {reason}"),
            ));
            return Ok(report);
        }
        Err(e) => return Err(e),
    };
    report.head_file.clone_from(&head_file);
    let mut sets = SetReader::new(audit_dir);
    let mut buf = Vec::with_capacity(1024);
    let mut line_no = 0u64;
    while let Some(kind) = lines.next_line(&mut buf)? {
        line_no += 1;
        let expected = report.records + 1;
        if kind == Line::Torn {
            report.broken = Some(broken(
                line_no,
                None,
                BreakKind::TornTail,
                format!(
                    "the file ends inside a record ({} bytes without a newline): a crash while writing record {expected}; the server sets it aside when it opens the log",
                    buf.len()
                ),
            ));
            return Ok(report);
        }
        let (record, line_hash) = match check_line(&buf) {
            Ok(ok) => ok,
            Err((kind, reason)) => {
                let seq = serde_json::from_slice::<serde_json::Value>(&buf)
                    .ok()
                    .and_then(|v| v.get("seq").and_then(serde_json::Value::as_u64));
                report.broken = Some(broken(line_no, seq, kind, reason));
                return Ok(report);
            }
        };
        let seq = Some(record.seq);
        if record.seq > expected {
            let missing = if record.seq == expected + 1 {
                format!("record {expected} is")
            } else {
                format!("records {expected} to {} are", record.seq - 1)
            };
            report.broken = Some(broken(
                line_no,
                seq,
                BreakKind::SeqGap,
                format!("expected record {expected} here, found record {}: {missing} missing (removed, or moved further down)", record.seq),
            ));
            return Ok(report);
        }
        if record.seq < expected {
            report.broken = Some(broken(
                line_no,
                seq,
                BreakKind::OutOfOrder,
                format!(
                    "expected record {expected} here, found record {}: records were reordered or repeated",
                    record.seq
                ),
            ));
            return Ok(report);
        }
        if record.prev != report.head {
            report.broken = Some(broken(
                line_no,
                seq,
                BreakKind::ChainBroken,
                format!(
                    "prev is {}, but the line before hashes to {}: the record before it was removed, replaced or reordered",
                    record.prev, report.head
                ),
            ));
            return Ok(report);
        }
        if let Some(head) = &head_file {
            if head.seq == record.seq && head.hash != line_hash {
                report.broken = Some(broken(
                    line_no,
                    seq,
                    BreakKind::HeadMismatch,
                    format!(
                        "the head file names this record with hash {}, but its line hashes to {line_hash}: the record was replaced",
                        head.hash
                    ),
                ));
                return Ok(report);
            }
        }
        if let Some(digest) = &record.patients_set {
            let count = record.patients_count.unwrap_or(0);
            let problem = match sets.check(digest, count)? {
                Ok(()) if record.patients.is_empty() && record.patients_count.is_some() => None,
                Ok(()) => Some(
                    "a record with a patient set has `patients_count` and an empty `patients`"
                        .to_owned(),
                ),
                Err(problem) => Some(format!(
                    "{problem} ({})",
                    super::sets::set_path(audit_dir, digest).display()
                )),
            };
            if let Some(reason) = problem {
                report.broken = Some(broken(line_no, seq, BreakKind::PatientSet, reason));
                return Ok(report);
            }
        }
        report.records = record.seq;
        report.head = line_hash;
    }
    match &head_file {
        Some(head) if head.seq > report.records => {
            let gone = if head.seq == report.records + 1 {
                format!("record {head_seq} was", head_seq = head.seq)
            } else {
                format!("records {} to {} were", report.records + 1, head.seq)
            };
            report.broken = Some(broken(
                line_no + 1,
                Some(report.records + 1),
                BreakKind::HeadMismatch,
                format!(
                    "the head file says the log ends at record {}, but it ends at record {}: {gone} removed at the end",
                    head.seq, report.records
                ),
            ));
        }
        Some(head) => report.head_lag = report.records - head.seq,
        None if report.records > 0 => {
            report.broken = Some(broken(
                line_no + 1,
                None,
                BreakKind::HeadMissing,
                "the log has records but no head file: records removed at the end could not be detected".to_owned(),
            ));
        }
        None => {}
    }
    Ok(report)
}
