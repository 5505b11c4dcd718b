//! The database: the published version, the single writer, the log with
//! group commit, background snapshots and recovery.
//!
//! Commit protocol: under the writer lock the transaction's operations are
//! appended to the log and its version becomes the base of the next writer;
//! the lock is released; then the committer waits until an fsync covers its
//! record (one fsync serves every transaction appended before it: group
//! commit), and only then is the version published to readers. A reader
//! therefore never sees a change that a crash could take back.

use std::fs::{self, File, OpenOptions};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use arc_swap::ArcSwap;
use fs4::fs_std::FileExt;
use parking_lot::{Condvar, Mutex};

use super::codec::decode_ops;
use super::interner::StringInterner;
use super::snapshot::{list_snapshots, read_snapshot, write_snapshot};
use super::state::GraphState;
use super::txn::WriteTxn;
use super::wal::{list_segments, scan_segment, truncate_segment, WalWriter};
use crate::error::{GraphError, GraphResult};

/// How the database is opened.
#[derive(Clone, Debug)]
pub struct DbOptions {
    /// fsync the log before a commit returns (the default). Without it a
    /// crash may lose the last commits, never corrupt the store.
    pub sync_commits: bool,
    /// Start a new log segment after this many bytes.
    pub segment_bytes: u64,
    /// Write a snapshot in the background once this many log bytes (and at
    /// least four times the last snapshot's size) have been written since the
    /// last one (0 = never automatically).
    pub snapshot_after_bytes: u64,
    /// How often the background snapshotter checks.
    pub snapshot_check_interval: Duration,
    /// Snapshots to keep (at least 2, so that a corrupt newest one still
    /// leaves a way back).
    pub keep_snapshots: usize,
}

/// Whether a background snapshot is due: once `threshold` log bytes, and at
/// least four times the last snapshot's size, were written since it. The
/// second rule keeps the cost of snapshots proportional to what is logged
/// (a growing graph is not rewritten whole every `threshold` bytes), and a
/// restart replays at most about four snapshots' worth of log.
fn snapshot_due(log_bytes_since: u64, last_snapshot_bytes: u64, threshold: u64) -> bool {
    log_bytes_since >= threshold.max(last_snapshot_bytes.saturating_mul(4))
}

impl Default for DbOptions {
    fn default() -> Self {
        DbOptions {
            sync_commits: true,
            segment_bytes: 64 << 20,
            snapshot_after_bytes: 256 << 20,
            snapshot_check_interval: Duration::from_secs(5),
            keep_snapshots: 2,
        }
    }
}

/// What opening a data directory found and did.
#[derive(Clone, Debug, Default)]
pub struct RecoveryReport {
    /// The snapshot loaded, with its LSN.
    pub snapshot: Option<(PathBuf, u64)>,
    /// Snapshots that failed verification, with the reason.
    pub corrupt_snapshots: Vec<(PathBuf, String)>,
    /// Log transactions replayed on top of the snapshot.
    pub replayed_transactions: u64,
    /// Where the log was cut, why, and how many bytes were dropped.
    pub log_cut: Option<LogCut>,
    /// The LSN the store starts from.
    pub lsn: u64,
    /// Time spent loading the snapshot.
    pub snapshot_load: Duration,
    /// Time spent replaying the log.
    pub replay: Duration,
}

/// A cut of the log's tail during recovery.
#[derive(Clone, Debug)]
pub struct LogCut {
    /// The segment cut.
    pub segment: PathBuf,
    /// Bytes kept in it.
    pub kept_bytes: u64,
    /// Bytes dropped (in it and in later segments, which are removed).
    pub dropped_bytes: u64,
    /// What was wrong.
    pub reason: String,
}

pub(crate) struct WriterSlot {
    /// The newest committed version (maybe not yet durable).
    pub(crate) head: Arc<GraphState>,
    wal: Option<WalWriter>,
    poisoned: Option<String>,
    /// Shared copies of repeated short strings.
    pub(crate) interner: StringInterner,
    /// Size of the last transaction's log record (the next one starts with
    /// that much room, so a bulk batch does not grow its buffer repeatedly).
    log_size_hint: usize,
}

struct Durability {
    dir: PathBuf,
    /// Highest LSN appended to the log.
    appended: AtomicU64,
    /// Highest LSN known durable; the mutex also serialises fsyncs.
    durable: Mutex<u64>,
    /// The file the next fsync must cover.
    current_file: Mutex<Arc<File>>,
    /// Committed versions waiting for their fsync before publication.
    pending: Mutex<Vec<Arc<GraphState>>>,
    /// Log bytes written since the last snapshot.
    bytes_since_snapshot: AtomicU64,
    /// Size of the last snapshot written or loaded.
    last_snapshot_bytes: AtomicU64,
    _lock: File,
}

struct Inner {
    published: ArcSwap<GraphState>,
    writer: Mutex<WriterSlot>,
    durability: Option<Durability>,
    options: DbOptions,
    recovery: RecoveryReport,
    snapshot_lock: Mutex<()>,
    shutdown: (Mutex<bool>, Condvar),
    snapshotter: Mutex<Option<JoinHandle<()>>>,
    pub(crate) feed: super::feed::Feed,
}

/// An embedded graph database: in memory, and durable when opened on a data
/// directory. Cloning gives another handle to the same database.
#[derive(Clone)]
pub struct Database {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for Database {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Database")
            .field("dir", &self.dir())
            .field("lsn", &self.snapshot().lsn())
            .finish_non_exhaustive()
    }
}

impl Database {
    /// A database that lives in memory only.
    pub fn in_memory() -> Database {
        Self::from_parts(
            GraphState::default(),
            None,
            None,
            DbOptions::default(),
            RecoveryReport::default(),
            StringInterner::new(),
        )
    }

    /// Opens (creating if needed) a durable database in `dir`: takes the
    /// directory's lock, loads the newest good snapshot, replays the log,
    /// cuts a torn or corrupt tail, and starts the background snapshotter.
    pub fn open(dir: impl AsRef<Path>, options: DbOptions) -> GraphResult<Database> {
        let dir = dir.as_ref().to_path_buf();
        fs::create_dir_all(&dir).map_err(|e| GraphError::io("creating data directory", &dir, e))?;
        let lock_path = dir.join("LOCK");
        let lock = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&lock_path)
            .map_err(|e| GraphError::io("opening lock file", &lock_path, e))?;
        if !lock.try_lock_exclusive().unwrap_or(false) {
            return Err(GraphError::DataDirLocked { path: dir });
        }
        let (state, report, interner) = recover(&dir)?;
        let wal = WalWriter::open(&dir, state.lsn + 1, options.segment_bytes)?;
        let durability = Durability {
            dir: dir.clone(),
            appended: AtomicU64::new(state.lsn),
            durable: Mutex::new(state.lsn),
            current_file: Mutex::new(wal.file.clone()),
            pending: Mutex::new(Vec::new()),
            bytes_since_snapshot: AtomicU64::new(0),
            last_snapshot_bytes: AtomicU64::new(
                report
                    .snapshot
                    .as_ref()
                    .and_then(|(path, _)| fs::metadata(path).ok())
                    .map_or(0, |m| m.len()),
            ),
            _lock: lock,
        };
        let db = Self::from_parts(
            state,
            Some(wal),
            Some(durability),
            options,
            report,
            interner,
        );
        db.start_snapshotter();
        Ok(db)
    }

    fn from_parts(
        state: GraphState,
        wal: Option<WalWriter>,
        durability: Option<Durability>,
        options: DbOptions,
        recovery: RecoveryReport,
        interner: StringInterner,
    ) -> Database {
        let state = Arc::new(state);
        Database {
            inner: Arc::new(Inner {
                published: ArcSwap::new(state.clone()),
                writer: Mutex::new(WriterSlot {
                    head: state,
                    wal,
                    poisoned: None,
                    interner,
                    log_size_hint: 0,
                }),
                durability,
                options,
                recovery,
                snapshot_lock: Mutex::new(()),
                shutdown: (Mutex::new(false), Condvar::new()),
                snapshotter: Mutex::new(None),
                feed: super::feed::Feed::default(),
            }),
        }
    }

    /// The data directory, for a durable database.
    pub fn dir(&self) -> Option<&Path> {
        self.inner.durability.as_ref().map(|d| d.dir.as_path())
    }

    /// What recovery found when the database was opened.
    pub fn recovery_report(&self) -> &RecoveryReport {
        &self.inner.recovery
    }

    /// The newest published version. Holding it never blocks writers; it
    /// stays consistent however long it is held.
    pub fn snapshot(&self) -> Arc<GraphState> {
        self.inner.published.load_full()
    }

    /// Starts a write transaction (waits while another one runs).
    pub fn begin_write(&self) -> WriteTxn<'_> {
        let slot = self.inner.writer.lock();
        let state = (*slot.head).clone();
        let log_capacity = slot.log_size_hint.min(64 << 20);
        WriteTxn {
            db: self,
            slot,
            state,
            log: self
                .inner
                .durability
                .is_some()
                .then(|| Vec::with_capacity(log_capacity)),
            op_count: 0,
            touched: self
                .inner
                .feed
                .is_active()
                .then(super::feed::Touched::default),
        }
    }

    /// Calls `listener` after every commit from now on, on the committing
    /// thread, with the nodes the commit changed. Keep it quick (hand the
    /// event to a channel): commits wait for it.
    pub fn subscribe(
        &self,
        listener: impl Fn(&super::feed::CommitEvent) + Send + Sync + 'static,
    ) -> super::feed::ListenerId {
        self.inner.feed.subscribe(std::sync::Arc::new(listener))
    }

    /// Stops a listener; `false` when it was not registered.
    pub fn unsubscribe(&self, id: super::feed::ListenerId) -> bool {
        self.inner.feed.unsubscribe(id)
    }

    pub(crate) fn feed(&self) -> &super::feed::Feed {
        &self.inner.feed
    }

    /// Runs `f` in a write transaction and commits it when `f` succeeds.
    pub fn write<T, E: From<GraphError>>(
        &self,
        f: impl FnOnce(&mut WriteTxn<'_>) -> Result<T, E>,
    ) -> Result<T, E> {
        let mut txn = self.begin_write();
        let value = f(&mut txn)?;
        txn.commit()?;
        Ok(value)
    }

    pub(crate) fn commit_parts(
        &self,
        mut slot: parking_lot::MutexGuard<'_, WriterSlot>,
        mut state: GraphState,
        log: Option<Vec<u8>>,
        op_count: usize,
    ) -> GraphResult<u64> {
        if op_count == 0 {
            return Ok(slot.head.lsn);
        }
        if let Some(reason) = &slot.poisoned {
            return Err(GraphError::Poisoned(reason.clone()));
        }
        let lsn = slot.head.lsn + 1;
        state.lsn = lsn;
        let state = Arc::new(state);
        let Some(durability) = &self.inner.durability else {
            slot.head = state.clone();
            self.inner.published.store(state);
            return Ok(lsn);
        };
        let payload = log.unwrap_or_default();
        slot.log_size_hint = payload.len();
        let wal = slot
            .wal
            .as_mut()
            .ok_or_else(|| GraphError::Poisoned("no log".into()))?;
        if let Err(e) = wal.append(lsn, &payload) {
            slot.poisoned = Some(e.to_string());
            return Err(e);
        }
        *durability.current_file.lock() = wal.file.clone();
        durability.appended.store(lsn, Ordering::Release);
        durability
            .bytes_since_snapshot
            .fetch_add(payload.len() as u64 + 16, Ordering::Relaxed);
        slot.head = state.clone();
        durability.pending.lock().push(state);
        drop(slot);

        if self.inner.options.sync_commits {
            self.sync_to(durability, lsn)?;
        } else {
            *durability.durable.lock() = durability.appended.load(Ordering::Acquire);
        }
        self.publish_durable(durability);
        Ok(lsn)
    }

    /// Waits until an fsync covers `lsn`, doing the fsync if nobody else is.
    fn sync_to(&self, durability: &Durability, lsn: u64) -> GraphResult<()> {
        let mut durable = durability.durable.lock();
        if *durable >= lsn {
            return Ok(());
        }
        let target = durability.appended.load(Ordering::Acquire);
        let file = durability.current_file.lock().clone();
        if let Err(e) = file.sync_data() {
            let error = GraphError::io("syncing the log", &durability.dir, e);
            self.inner.writer.lock().poisoned = Some(error.to_string());
            return Err(error);
        }
        *durable = target;
        Ok(())
    }

    fn publish_durable(&self, durability: &Durability) {
        let durable = *durability.durable.lock();
        let mut pending = durability.pending.lock();
        let mut newest: Option<Arc<GraphState>> = None;
        pending.retain(|s| {
            if s.lsn <= durable {
                if newest.as_ref().is_none_or(|n| n.lsn < s.lsn) {
                    newest = Some(s.clone());
                }
                false
            } else {
                true
            }
        });
        if let Some(state) = newest {
            if state.lsn > self.inner.published.load().lsn {
                self.inner.published.store(state);
            }
        }
    }

    /// Writes a snapshot of the published version now and removes log
    /// segments and snapshots no longer needed. Returns the snapshot's path
    /// (`None` for an in-memory database or when nothing changed).
    pub fn checkpoint(&self) -> GraphResult<Option<PathBuf>> {
        let Some(durability) = &self.inner.durability else {
            return Ok(None);
        };
        let _guard = self.inner.snapshot_lock.lock();
        let state = self.snapshot();
        let existing = list_snapshots(&durability.dir)?;
        if existing.first().is_some_and(|s| s.lsn == state.lsn) {
            return Ok(None);
        }
        let started = Instant::now();
        let before = durability.bytes_since_snapshot.load(Ordering::Relaxed);
        let (path, size) = write_snapshot(&durability.dir, &state)?;
        durability
            .bytes_since_snapshot
            .fetch_sub(before, Ordering::Relaxed);
        durability
            .last_snapshot_bytes
            .store(size, Ordering::Relaxed);
        tracing::info!(
            lsn = state.lsn,
            bytes = size,
            ms = started.elapsed().as_millis() as u64,
            "snapshot written"
        );
        self.prune(durability)?;
        Ok(Some(path))
    }

    /// Removes snapshots beyond the newest `keep_snapshots`, and log segments
    /// wholly covered by the oldest snapshot kept.
    fn prune(&self, durability: &Durability) -> GraphResult<()> {
        let keep = self.inner.options.keep_snapshots.max(2);
        let snapshots = list_snapshots(&durability.dir)?;
        for old in snapshots.iter().skip(keep) {
            fs::remove_file(&old.path)
                .map_err(|e| GraphError::io("removing snapshot", &old.path, e))?;
        }
        let Some(oldest_kept) = snapshots.iter().take(keep).next_back() else {
            return Ok(());
        };
        if snapshots.len() < keep {
            // Keep the whole log until there are enough snapshots to fall
            // back on.
            return Ok(());
        }
        let segments = list_segments(&durability.dir)?;
        for pair in segments.windows(2) {
            // Segment 0 holds LSNs [first, next.first); removable when all of
            // them are in the oldest snapshot kept.
            if pair[1].first_lsn <= oldest_kept.lsn + 1 {
                fs::remove_file(&pair[0].path)
                    .map_err(|e| GraphError::io("removing log segment", &pair[0].path, e))?;
            }
        }
        Ok(())
    }

    fn start_snapshotter(&self) {
        if self.inner.options.snapshot_after_bytes == 0 {
            return;
        }
        let weak = Arc::downgrade(&self.inner);
        let interval = self.inner.options.snapshot_check_interval;
        let handle = std::thread::Builder::new()
            .name("caregraph-snapshot".into())
            .spawn(move || loop {
                let Some(inner) = weak.upgrade() else { return };
                {
                    let (lock, cvar) = &inner.shutdown;
                    let mut stop = lock.lock();
                    if !*stop {
                        cvar.wait_for(&mut stop, interval);
                    }
                    if *stop {
                        return;
                    }
                }
                let due = inner.durability.as_ref().is_some_and(|d| {
                    snapshot_due(
                        d.bytes_since_snapshot.load(Ordering::Relaxed),
                        d.last_snapshot_bytes.load(Ordering::Relaxed),
                        inner.options.snapshot_after_bytes,
                    )
                });
                if due {
                    let db = Database { inner };
                    if let Err(e) = db.checkpoint() {
                        tracing::error!(error = %e, "background snapshot failed");
                    }
                }
            });
        match handle {
            Ok(h) => *self.inner.snapshotter.lock() = Some(h),
            Err(e) => tracing::error!(error = %e, "cannot start the snapshot thread"),
        }
    }

    /// Stops the background snapshotter (waiting for a snapshot in
    /// progress) without writing a new one: what is on disk afterwards is
    /// what a crash would leave.
    pub fn stop_background(&self) {
        {
            let (lock, cvar) = &self.inner.shutdown;
            *lock.lock() = true;
            cvar.notify_all();
        }
        if let Some(handle) = self.inner.snapshotter.lock().take() {
            let _ = handle.join();
        }
    }

    /// Stops the background snapshotter and writes a final snapshot.
    pub fn close(&self) -> GraphResult<()> {
        self.stop_background();
        self.checkpoint().map(|_| ())
    }

    /// Bytes of log written since the last snapshot.
    pub fn log_bytes_since_snapshot(&self) -> u64 {
        self.inner
            .durability
            .as_ref()
            .map_or(0, |d| d.bytes_since_snapshot.load(Ordering::Relaxed))
    }
}

/// Loads the newest good snapshot and replays the log after it.
fn recover(dir: &Path) -> GraphResult<(GraphState, RecoveryReport, StringInterner)> {
    let mut report = RecoveryReport::default();
    let mut interner = StringInterner::new();
    let started = Instant::now();
    let mut state = None;
    for snapshot in list_snapshots(dir)? {
        match read_snapshot(&snapshot.path, &mut interner) {
            Ok(s) => {
                report.snapshot = Some((snapshot.path.clone(), s.lsn));
                state = Some(s);
                break;
            }
            Err(e) => {
                tracing::error!(path = %snapshot.path.display(), error = %e, "snapshot is corrupt; trying an older one");
                report
                    .corrupt_snapshots
                    .push((snapshot.path.clone(), e.to_string()));
            }
        }
    }
    let mut state = state.unwrap_or_default();
    report.snapshot_load = started.elapsed();
    let started = Instant::now();
    let segments = list_segments(dir)?;
    // Segments that hold LSNs after the snapshot: start from the last one
    // whose first LSN is at or below the snapshot's next LSN.
    let first_needed = segments
        .iter()
        .rposition(|s| s.first_lsn <= state.lsn + 1)
        .unwrap_or(0);
    if let Some(first) = segments.get(first_needed) {
        if first.first_lsn > state.lsn + 1 {
            return Err(GraphError::Unrecoverable {
                path: dir.to_path_buf(),
                reason: format!(
                    "the newest readable snapshot ends at transaction {} but the log starts at {}",
                    state.lsn, first.first_lsn
                ),
            });
        }
    }
    let mut cut: Option<usize> = None;
    for (i, segment) in segments.iter().enumerate().skip(first_needed) {
        let scan = scan_segment(&segment.path, segment.first_lsn)?;
        for (lsn, payload) in &scan.records {
            if *lsn <= state.lsn {
                continue;
            }
            if *lsn != state.lsn + 1 {
                report.log_cut = Some(LogCut {
                    segment: segment.path.clone(),
                    kept_bytes: 0,
                    dropped_bytes: 0,
                    reason: format!("gap: transaction {} follows {}", lsn, state.lsn),
                });
                cut = Some(i);
                break;
            }
            let ops = decode_ops(payload)?;
            state.lsn = *lsn;
            for mut op in ops {
                op.intern_strings(&mut interner);
                state.apply(op).map_err(|e| GraphError::ReplayMismatch {
                    lsn: *lsn,
                    detail: e.to_string(),
                })?;
            }
            report.replayed_transactions += 1;
        }
        if cut.is_some() {
            break;
        }
        if let Some(problem) = scan.problem {
            truncate_segment(&segment.path, scan.valid_len)?;
            let later: u64 = segments[i + 1..]
                .iter()
                .map(|s| fs::metadata(&s.path).map_or(0, |m| m.len()))
                .sum();
            report.log_cut = Some(LogCut {
                segment: segment.path.clone(),
                kept_bytes: scan.valid_len,
                dropped_bytes: scan.file_len - scan.valid_len + later,
                reason: problem,
            });
            cut = Some(i + 1);
            break;
        }
        // The next segment must continue exactly where this one ended.
        if let Some(next) = segments.get(i + 1) {
            if next.first_lsn != state.lsn + 1 && next.first_lsn > state.lsn {
                report.log_cut = Some(LogCut {
                    segment: next.path.clone(),
                    kept_bytes: 0,
                    dropped_bytes: 0,
                    reason: format!(
                        "gap: segment starts at {} after transaction {}",
                        next.first_lsn, state.lsn
                    ),
                });
                cut = Some(i + 1);
                break;
            }
        }
    }
    if let Some(from) = cut {
        for segment in segments.iter().skip(from) {
            tracing::warn!(path = %segment.path.display(), "removing log segment after the cut");
            fs::remove_file(&segment.path)
                .map_err(|e| GraphError::io("removing log segment", &segment.path, e))?;
        }
    }
    if let Some(cut) = &report.log_cut {
        tracing::warn!(segment = %cut.segment.display(), kept = cut.kept_bytes, dropped = cut.dropped_bytes, reason = %cut.reason, "log tail cut during recovery");
    }
    report.replay = started.elapsed();
    report.lsn = state.lsn;
    Ok((state, report, interner))
}

impl Drop for Inner {
    fn drop(&mut self) {
        let (lock, cvar) = &self.shutdown;
        *lock.lock() = true;
        cvar.notify_all();
    }
}

#[cfg(test)]
mod tests {
    use super::snapshot_due;

    #[test]
    fn a_snapshot_waits_for_the_threshold_and_four_snapshot_sizes_of_log() {
        let threshold = 256 << 20;
        // A small graph: the threshold decides.
        assert!(!snapshot_due(threshold - 1, 1 << 20, threshold));
        assert!(snapshot_due(threshold, 1 << 20, threshold));
        // A large graph: four times its snapshot must be logged first.
        let snapshot = 200 << 20;
        assert!(!snapshot_due(threshold, snapshot, threshold));
        assert!(!snapshot_due(4 * snapshot - 1, snapshot, threshold));
        assert!(snapshot_due(4 * snapshot, snapshot, threshold));
        // No snapshot yet.
        assert!(snapshot_due(threshold, 0, threshold));
    }
}
