//! The writing side: [`AuditLog`] appends records under a mutex (one
//! `write` per record, so each reaches the operating system before
//! `append` returns), and a background thread fsyncs the log and rewrites
//! the head file every [`SYNC_INTERVAL`] when something was appended.

use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

use fs4::fs_std::FileExt;
use parking_lot::{Condvar, Mutex};

use super::error::AuditError;
use super::read::{read_at, read_head, sync_dir, write_head, Head};
use super::record::{bounded_operation, now, sha256_hex, AuditEvent, Prepared, GENESIS};
use super::sets::{self, MAX_LISTED_PATIENTS};
use super::verify::check_line;
use super::{AUDIT_DIR, LOCK_FILE, LOG_FILE};

/// How often appended records are fsynced and the head file rewritten.
pub const SYNC_INTERVAL: Duration = Duration::from_millis(100);

/// The appending state, behind the mutex.
struct Tail {
    file: File,
    /// Bytes of complete records.
    len: u64,
    /// Last sequence number written (0: none).
    seq: u64,
    /// SHA-256 of the last line written, or [`GENESIS`].
    hash: String,
    /// The first write failure that could not be undone.
    poisoned: Option<String>,
    /// Reused line buffer.
    buf: Vec<u8>,
}

struct Shared {
    dir: PathBuf,
    path: PathBuf,
    tail: Mutex<Tail>,
    /// Another handle of the log file, fsynced without the tail's mutex.
    sync_file: File,
    /// The last sequence number fsynced and named by the head file;
    /// its mutex also serializes syncs.
    synced: Mutex<u64>,
    stop: Mutex<bool>,
    wake: Condvar,
    /// Set files written by this process.
    sets_written: Mutex<sets::Written>,
}

/// The audit log of a data directory: see the module documentation of
/// [`crate::audit`]. Cheap to share (`Arc<AuditLog>`); `append` may be
/// called from any thread.
pub struct AuditLog {
    shared: Option<Arc<Shared>>,
    syncer: Option<JoinHandle<()>>,
    /// Held while open: one writer per log.
    _lock: Option<File>,
}

impl std::fmt::Debug for AuditLog {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.shared {
            Some(shared) => f
                .debug_struct("AuditLog")
                .field("path", &shared.path)
                .finish_non_exhaustive(),
            None => f.write_str("AuditLog(disabled)"),
        }
    }
}

/// Where the chain continues: the end of the last complete record.
struct Resume {
    /// Bytes of complete records.
    len: u64,
    seq: u64,
    hash: String,
}

impl AuditLog {
    /// A log that records nothing (in-memory servers and tests).
    pub fn disabled() -> AuditLog {
        AuditLog {
            shared: None,
            syncer: None,
            _lock: None,
        }
    }

    /// Opens (creating if needed) the log in `<data_dir>/audit/` and
    /// continues its chain. A torn last record (a crash while writing it)
    /// is moved to `audit/torn-<seq>.log` and cut, with a warning. Refuses
    /// a log whose last complete record is damaged, or whose head file
    /// names a record the log no longer has (records removed at the end):
    /// continuing would hide the damage. Takes `audit/lock`, so one
    /// process writes a log.
    pub fn open(data_dir: &Path) -> Result<AuditLog, AuditError> {
        let dir = data_dir.join(AUDIT_DIR);
        std::fs::create_dir_all(&dir).map_err(|e| AuditError::io("creating", &dir, e))?;
        let lock_path = dir.join(LOCK_FILE);
        let lock = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&lock_path)
            .map_err(|e| AuditError::io("opening", &lock_path, e))?;
        if !lock.try_lock_exclusive().unwrap_or(false) {
            return Err(AuditError::Locked { dir });
        }
        let path = dir.join(LOG_FILE);
        let mut file = OpenOptions::new()
            .create(true)
            .read(true)
            .append(true)
            .open(&path)
            .map_err(|e| AuditError::io("opening", &path, e))?;
        let resume = resume(&dir, &path, &mut file)?;
        let sync_file = file
            .try_clone()
            .map_err(|e| AuditError::io("opening", &path, e))?;
        // The head names the end of the chain as it is now, on disk.
        sync_file
            .sync_all()
            .map_err(|e| AuditError::io("syncing", &path, e))?;
        write_head(
            &dir,
            &Head {
                seq: resume.seq,
                hash: resume.hash.clone(),
            },
        )?;
        let shared = Arc::new(Shared {
            dir,
            path,
            tail: Mutex::new(Tail {
                file,
                len: resume.len,
                seq: resume.seq,
                hash: resume.hash,
                poisoned: None,
                buf: Vec::with_capacity(1024),
            }),
            sync_file,
            synced: Mutex::new(resume.seq),
            stop: Mutex::new(false),
            wake: Condvar::new(),
            sets_written: Mutex::new(sets::Written::default()),
        });
        let background = shared.clone();
        let syncer = std::thread::Builder::new()
            .name("caregraph-audit-sync".into())
            .spawn(move || background.run_syncer())
            .map_err(|e| AuditError::io("starting the sync thread for", &shared.path, e))?;
        tracing::info!(log = %shared.path.display(), records = resume.seq, "audit log open");
        Ok(AuditLog {
            shared: Some(shared),
            syncer: Some(syncer),
            _lock: Some(lock),
        })
    }

    /// `false` for [`AuditLog::disabled`].
    pub fn is_enabled(&self) -> bool {
        self.shared.is_some()
    }

    /// The log file (`None` when disabled).
    pub fn path(&self) -> Option<&Path> {
        self.shared.as_deref().map(|s| s.path.as_path())
    }

    /// Appends a record for `event`, stamped with the time, the next
    /// sequence number and the hash of the previous record. The record has
    /// reached the operating system when this returns (a crash of the
    /// process loses nothing; a power loss at most the last
    /// [`SYNC_INTERVAL`]). An error means the record is not in the log: a
    /// caller that must not serve unaudited requests refuses the request.
    pub fn append(&self, mut event: AuditEvent) -> Result<(), AuditError> {
        let Some(shared) = &self.shared else {
            return Ok(());
        };
        bounded_operation(&mut event.operation);
        let prepared = if event.patient_ids.len() > MAX_LISTED_PATIENTS {
            let (digest, count) = shared.write_set(&mut event.patient_ids)?;
            Prepared::new(&event, Some((&digest, count)))?
        } else {
            Prepared::new(&event, None)?
        };
        let mut guard = shared.tail.lock();
        let tail = &mut *guard;
        if let Some(reason) = &tail.poisoned {
            return Err(AuditError::Poisoned {
                path: shared.path.clone(),
                reason: reason.clone(),
            });
        }
        let seq = tail.seq + 1;
        let time = now();
        tail.buf.clear();
        prepared.line(&mut tail.buf, seq, &time, &tail.hash)?;
        let line_hash = sha256_hex(&tail.buf);
        tail.buf.push(b'\n');
        if let Err(e) = tail.file.write_all(&tail.buf) {
            // Undo a partial write so the next record does not follow a
            // fragment; when that fails too, refuse every later append.
            if let Err(undo) = tail.file.set_len(tail.len) {
                tracing::error!(error = %undo, log = %shared.path.display(), "cannot undo a failed audit write; the audit log refuses further appends");
                tail.poisoned = Some(format!("{e}; undoing it failed: {undo}"));
            }
            return Err(AuditError::io("appending to", &shared.path, e));
        }
        tail.len += tail.buf.len() as u64;
        tail.seq = seq;
        tail.hash = line_hash;
        drop(guard);
        Ok(())
    }

    /// Fsyncs what was appended and rewrites the head file now (the
    /// background thread does this every [`SYNC_INTERVAL`]).
    pub fn sync(&self) -> Result<(), AuditError> {
        match &self.shared {
            Some(shared) => shared.sync(),
            None => Ok(()),
        }
    }

    /// Stops the background thread and syncs a last time.
    pub fn close(mut self) -> Result<(), AuditError> {
        self.shutdown()
    }

    fn shutdown(&mut self) -> Result<(), AuditError> {
        let Some(shared) = self.shared.take() else {
            return Ok(());
        };
        *shared.stop.lock() = true;
        shared.wake.notify_all();
        if let Some(thread) = self.syncer.take() {
            let _ = thread.join();
        }
        shared.sync()
    }
}

impl Drop for AuditLog {
    fn drop(&mut self) {
        if let Err(e) = self.shutdown() {
            tracing::error!(error = %e, "closing the audit log");
        }
    }
}

impl Shared {
    /// Writes the set file of `ids` (sorted and deduplicated first) unless
    /// this process wrote it already; returns its SHA-256 and id count.
    /// The file is durable before this returns, so before any record
    /// names it.
    fn write_set(&self, ids: &mut Vec<String>) -> Result<(String, u64), AuditError> {
        if !ids.is_sorted_by(|a, b| a < b) {
            ids.sort_unstable();
            ids.dedup();
        }
        let (bytes, digest) = sets::encode(ids)?;
        // Held while writing: two requests with the same new set must not
        // write its temporary file at once.
        let mut written = self.sets_written.lock();
        if !written.contains(&digest) {
            sets::write(&self.dir, &digest, &bytes)?;
            written.insert(digest.clone());
        }
        drop(written);
        Ok((digest, ids.len() as u64))
    }

    fn run_syncer(&self) {
        loop {
            {
                let mut stop = self.stop.lock();
                if !*stop {
                    self.wake.wait_for(&mut stop, SYNC_INTERVAL);
                }
                if *stop {
                    return;
                }
            }
            if let Err(e) = self.sync() {
                tracing::error!(error = %e, "syncing the audit log");
            }
        }
    }

    fn sync(&self) -> Result<(), AuditError> {
        let mut synced = self.synced.lock();
        let (seq, hash) = {
            let tail = self.tail.lock();
            (tail.seq, tail.hash.clone())
        };
        if seq == *synced {
            return Ok(());
        }
        // Every record up to `seq` was written before this fsync starts.
        self.sync_file
            .sync_data()
            .map_err(|e| AuditError::io("syncing", &self.path, e))?;
        write_head(&self.dir, &Head { seq, hash })?;
        *synced = seq;
        Ok(())
    }
}

/// Finds where the chain continues: sets a torn last record aside and
/// cuts it, checks the last complete record and the head file.
fn resume(dir: &Path, path: &Path, file: &mut File) -> Result<Resume, AuditError> {
    let io = |e| AuditError::io("reading", path, e);
    let size = file.metadata().map_err(io)?.len();
    // End of the last complete line (just after its newline).
    let complete = match find_back(file, size, size).map_err(io)? {
        Some(newline) => newline + 1,
        None => 0,
    };
    let last = if complete == 0 {
        None
    } else {
        let start = find_back(file, complete - 1, size)
            .map_err(io)?
            .map_or(0, |n| n + 1);
        let line = read_at(file, start, (complete - 1 - start) as usize).map_err(io)?;
        let (record, hash) = check_line(&line).map_err(|(kind, reason)| AuditError::Corrupt {
            path: path.to_path_buf(),
            offset: start,
            reason: format!("{kind}: {reason}"),
        })?;
        Some((record.seq, hash))
    };
    let (seq, hash) = last.unwrap_or((0, GENESIS.to_owned()));
    let head = read_head(dir)?;
    if let Some(head) = head
        .as_ref()
        .filter(|h| h.seq > seq || (h.seq == seq && h.hash != hash))
    {
        return Err(AuditError::HeadMismatch {
            path: path.to_path_buf(),
            head_seq: head.seq,
            head_hash: head.hash.clone(),
            last_seq: seq,
            last_hash: hash,
        });
    }
    if head.is_none() && seq > 0 {
        tracing::warn!(
            log = %path.display(),
            "the audit log has no head file (a crash before its first sync?); writing one for record {seq}"
        );
    }
    if complete < size {
        set_aside(dir, path, file, complete, size, seq + 1)?;
    }
    Ok(Resume {
        len: complete,
        seq,
        hash,
    })
}

/// Copies the bytes `from..to` of the log to `torn-<seq>.log`, then cuts
/// the log at `from`.
fn set_aside(
    dir: &Path,
    path: &Path,
    file: &mut File,
    from: u64,
    to: u64,
    seq: u64,
) -> Result<(), AuditError> {
    let torn = read_at(file, from, (to - from) as usize)
        .map_err(|e| AuditError::io("reading", path, e))?;
    let mut n = 0;
    let (aside_path, mut aside) = loop {
        let name = if n == 0 {
            format!("torn-{seq}.log")
        } else {
            format!("torn-{seq}-{n}.log")
        };
        let candidate = dir.join(name);
        match OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&candidate)
        {
            Ok(f) => break (candidate, f),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => n += 1,
            Err(e) => return Err(AuditError::io("creating", candidate, e)),
        }
    };
    aside
        .write_all(&torn)
        .and_then(|()| aside.sync_all())
        .map_err(|e| AuditError::io("writing", &aside_path, e))?;
    sync_dir(dir)?;
    file.set_len(from)
        .and_then(|()| file.sync_all())
        .map_err(|e| AuditError::io("cutting", path, e))?;
    tracing::warn!(
        log = %path.display(),
        bytes = to - from,
        kept = %aside_path.display(),
        "the audit log ended inside record {seq} (a crash while writing it); the incomplete bytes were set aside and cut"
    );
    Ok(())
}

/// The offset of the last newline before `before` (exclusive), reading
/// backwards in blocks.
fn find_back(file: &mut File, before: u64, size: u64) -> std::io::Result<Option<u64>> {
    const BLOCK: u64 = 64 * 1024;
    let mut end = before.min(size);
    let mut buf = Vec::new();
    while end > 0 {
        let start = end.saturating_sub(BLOCK);
        buf.resize((end - start) as usize, 0);
        file.seek(SeekFrom::Start(start))?;
        file.read_exact(&mut buf)?;
        if let Some(i) = memchr::memrchr(b'\n', &buf) {
            return Ok(Some(start + i as u64));
        }
        end = start;
    }
    Ok(None)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audit::{verify, Door, Outcome};

    fn event(i: usize) -> AuditEvent {
        AuditEvent {
            subject: format!("user{}", i % 3),
            role: "clinician".into(),
            door: Door::GraphQL,
            operation: format!("query {{ patient(id: \"p{i}\") {{ name }} }}"),
            patient_ids: vec![format!("p{i}")],
            outcome: Outcome::Ok,
        }
    }

    #[test]
    fn the_chain_continues_across_reopens() {
        let dir = tempfile::tempdir().expect("tempdir");
        for round in 0..3 {
            let log = AuditLog::open(dir.path()).expect("opens");
            for i in 0..5 {
                log.append(event(round * 5 + i)).expect("appends");
            }
            log.close().expect("closes");
        }
        let report = verify(&dir.path().join(AUDIT_DIR)).expect("verifies");
        assert!(report.intact(), "{report:?}");
        assert_eq!(report.records, 15);
        assert_eq!(report.head_lag, 0);
    }

    #[test]
    fn a_second_writer_is_refused() {
        let dir = tempfile::tempdir().expect("tempdir");
        let _log = AuditLog::open(dir.path()).expect("opens");
        assert!(matches!(
            AuditLog::open(dir.path()),
            Err(AuditError::Locked { .. })
        ));
    }

    #[test]
    fn the_disabled_log_accepts_and_writes_nothing() {
        let log = AuditLog::disabled();
        log.append(event(1)).expect("appends");
        log.sync().expect("syncs");
        assert!(!log.is_enabled());
        assert!(log.path().is_none());
    }

    #[test]
    fn find_back_crosses_blocks() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("f");
        let mut content = vec![b'x'; 200_000];
        content[10] = b'\n';
        std::fs::write(&path, &content).expect("writes");
        let mut file = File::open(&path).expect("opens");
        assert_eq!(
            find_back(&mut file, 200_000, 200_000).expect("reads"),
            Some(10)
        );
        assert_eq!(find_back(&mut file, 10, 200_000).expect("reads"), None);
    }
}
