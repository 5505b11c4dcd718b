//! Reading the log: the head file, lines one at a time (never the whole
//! file), and the records a filter selects (`caregraph audit show`).

use std::fs::File;
use std::io::{BufRead, BufReader, ErrorKind, Read, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::error::AuditError;
use super::record::Record;
use super::sets::SetReader;
use super::{HEAD_FILE, LOG_FILE};

/// What the head file says: the last record known to be on disk.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Head {
    /// Its sequence number.
    pub seq: u64,
    /// SHA-256 (hex) of its line.
    pub hash: String,
}

/// Reads `<audit_dir>/head` (`None` when there is none).
pub fn read_head(audit_dir: &Path) -> Result<Option<Head>, AuditError> {
    let path = audit_dir.join(HEAD_FILE);
    let text = match std::fs::read_to_string(&path) {
        Ok(text) => text,
        Err(e) if e.kind() == ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(AuditError::io("reading", path, e)),
    };
    let head: Head = serde_json::from_str(text.trim()).map_err(|e| AuditError::BadHead {
        path: path.clone(),
        reason: e.to_string(),
    })?;
    if head.hash.len() != 64 || !head.hash.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(AuditError::BadHead {
            path,
            reason: format!("`{}` is not a SHA-256 in hex", head.hash),
        });
    }
    Ok(Some(head))
}

/// Writes the head file atomically: a temporary file, fsynced, renamed
/// over the old one, and the directory fsynced.
pub(crate) fn write_head(audit_dir: &Path, head: &Head) -> Result<(), AuditError> {
    let path = audit_dir.join(HEAD_FILE);
    let tmp = audit_dir.join(format!("{HEAD_FILE}.tmp"));
    let mut text = serde_json::to_vec(head)?;
    text.push(b'\n');
    let mut file = File::create(&tmp).map_err(|e| AuditError::io("creating", &tmp, e))?;
    file.write_all(&text)
        .and_then(|()| file.sync_all())
        .map_err(|e| AuditError::io("writing", &tmp, e))?;
    std::fs::rename(&tmp, &path).map_err(|e| AuditError::io("renaming to", &path, e))?;
    sync_dir(audit_dir)
}

/// Makes a rename or a new file in `dir` durable.
pub(crate) fn sync_dir(dir: &Path) -> Result<(), AuditError> {
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(|e| AuditError::io("syncing directory", dir, e))
}

/// One line of the log.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Line {
    /// Ended by a newline (not included in the buffer).
    Complete,
    /// The file ends inside it: a record the writer did not finish.
    Torn,
}

/// Reads the log line by line.
pub struct LineReader {
    reader: BufReader<File>,
    path: PathBuf,
    /// How long to wait for the rest of a line at the end of the file (a
    /// running server may be writing it).
    patience: Duration,
}

impl LineReader {
    /// Opens `<audit_dir>/audit.log`.
    pub fn open(audit_dir: &Path) -> Result<LineReader, AuditError> {
        let path = audit_dir.join(LOG_FILE);
        let file = match File::open(&path) {
            Ok(f) => f,
            Err(e) if e.kind() == ErrorKind::NotFound => {
                return Err(AuditError::Missing {
                    dir: audit_dir.to_path_buf(),
                })
            }
            Err(e) => return Err(AuditError::io("opening", path, e)),
        };
        Ok(LineReader {
            reader: BufReader::with_capacity(1 << 16, file),
            path,
            patience: Duration::from_millis(250),
        })
    }

    /// The log file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Reads the next line into `buf` (cleared first). At the end of the
    /// file inside a line, waits a moment for a writer to finish it before
    /// calling it torn.
    pub fn next_line(&mut self, buf: &mut Vec<u8>) -> Result<Option<Line>, AuditError> {
        buf.clear();
        let read = |reader: &mut BufReader<File>, buf: &mut Vec<u8>| {
            reader
                .read_until(b'\n', buf)
                .map_err(|e| AuditError::io("reading", &self.path, e))
        };
        read(&mut self.reader, buf)?;
        if buf.is_empty() {
            return Ok(None);
        }
        let mut waited = Duration::ZERO;
        while buf.last() != Some(&b'\n') && waited < self.patience {
            let step = Duration::from_millis(25);
            std::thread::sleep(step);
            waited += step;
            read(&mut self.reader, buf)?;
        }
        if buf.last() == Some(&b'\n') {
            buf.pop();
            Ok(Some(Line::Complete))
        } else {
            Ok(Some(Line::Torn))
        }
    }
}

/// Which records `caregraph audit show` lists.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Filter {
    /// Records touching this patient.
    pub patient: Option<String>,
    /// Records of this subject.
    pub subject: Option<String>,
}

impl Filter {
    /// `true` when `record` passes every condition given (a patient in the
    /// record's set file is looked up in `sets`).
    pub fn matches(&self, record: &Record, sets: &mut SetReader) -> Result<bool, AuditError> {
        if self.subject.as_deref().is_some_and(|s| record.sub != s) {
            return Ok(false);
        }
        let Some(patient) = self.patient.as_deref() else {
            return Ok(true);
        };
        if record.touches_patient(patient) {
            return Ok(true);
        }
        match &record.patients_set {
            Some(digest) => sets.holds(digest, patient),
            None => Ok(false),
        }
    }
}

/// Streams the records that pass `filter` to `each`, one line in memory at
/// a time. Lines that do not parse are skipped and counted (`audit verify`
/// says what is wrong with them). Returns (records read, lines skipped).
pub fn scan(
    audit_dir: &Path,
    filter: &Filter,
    each: &mut dyn FnMut(&Record) -> std::io::Result<()>,
) -> Result<(u64, u64), AuditError> {
    let mut lines = LineReader::open(audit_dir)?;
    let mut sets = SetReader::new(audit_dir);
    let mut buf = Vec::with_capacity(1024);
    let (mut read, mut skipped) = (0u64, 0u64);
    while let Some(kind) = lines.next_line(&mut buf)? {
        if kind == Line::Torn {
            skipped += 1;
            continue;
        }
        // Cheap pre-check: a record naming the patient has its id in the
        // line's bytes (an escaped id falls through to the parse), or names
        // a set file.
        if let Some(p) = filter.patient.as_deref() {
            let plain =
                !p.is_empty() && !p.chars().any(|c| c == '"' || c == '\\' || c.is_control());
            if plain
                && memchr::memmem::find(&buf, p.as_bytes()).is_none()
                && memchr::memmem::find(&buf, b"\"patients_set\":").is_none()
            {
                read += 1;
                continue;
            }
        }
        match serde_json::from_slice::<Record>(&buf) {
            Ok(record) => {
                read += 1;
                if filter.matches(&record, &mut sets)? {
                    each(&record).map_err(|e| AuditError::io("writing", "standard output", e))?;
                }
            }
            Err(_) => skipped += 1,
        }
    }
    Ok((read, skipped))
}

/// The `torn-*.log` files open has set aside, sorted.
pub fn torn_files(audit_dir: &Path) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(audit_dir) else {
        return Vec::new();
    };
    let mut out: Vec<PathBuf> = entries
        .flatten()
        .map(|e| e.path())
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with("torn-"))
                && p.extension().is_some_and(|e| e == "log")
        })
        .collect();
    out.sort();
    out
}

/// Reads `len` bytes at `offset` of `file`.
pub(crate) fn read_at(file: &mut File, offset: u64, len: usize) -> std::io::Result<Vec<u8>> {
    use std::io::Seek;
    file.seek(std::io::SeekFrom::Start(offset))?;
    let mut buf = vec![0u8; len];
    file.read_exact(&mut buf)?;
    Ok(buf)
}
