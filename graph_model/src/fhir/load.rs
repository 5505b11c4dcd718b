//! The loader: records in, batches committed as transactions, a report out.

use std::collections::BTreeMap;
use std::fs::{File, OpenOptions};
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use serde::{Deserialize, Serialize};

use super::apply::{Applier, ApplyStats, Deferred};
use super::archive::{encode_frame, ArchiveWriter};
use super::json::Reject;
use super::mapping::{map_resource, MapContext, Mapped};
use super::parse::{parse_record, ParseFailure};
use super::source::{expand_inputs, read_bytes, read_file, InputKind, RawRecord, SourceRef};
use crate::error::{FhirError, GraphError};
use crate::store::Database;

/// Unique keys of the graph model (graph-model.md), declared on first load.
pub const NODE_KEYS: &[(&str, &str)] = &[
    ("Patient", "id"),
    ("Practitioner", "id"),
    ("Organization", "id"),
    ("Location", "id"),
    ("City", "id"),
    ("State", "code"),
    ("Country", "code"),
    ("Medication", "code"),
    ("Condition", "code"),
    ("Substance", "code"),
    ("Payer", "name"),
    ("Encounter", "id"),
    ("Prescription", "id"),
    ("Claim", "id"),
];

/// Relationship types identified by their `id` property.
pub const REL_KEYS: &[(&str, &str)] = &[("HAS_CONDITION", "id"), ("ALLERGIC_TO", "id")];

/// Declares the graph model's unique indexes (idempotent).
pub fn ensure_schema(db: &Database) -> Result<(), GraphError> {
    let graph = db.snapshot();
    let missing = NODE_KEYS.iter().any(|(l, k)| {
        !matches!((graph.label_id(l), graph.prop_key_id(k)), (Some(l), Some(k)) if graph.has_node_index(l, k))
    });
    if !missing && graph.indexes().len() >= NODE_KEYS.len() + REL_KEYS.len() {
        return Ok(());
    }
    db.write(|txn| {
        for (label, key) in NODE_KEYS {
            txn.create_node_index(label, key)?;
        }
        for (rel_type, key) in REL_KEYS {
            txn.create_rel_index(rel_type, key)?;
        }
        Ok::<_, GraphError>(())
    })
}

/// How a load runs.
#[derive(Clone, Debug)]
pub struct LoadOptions {
    /// Records per transaction.
    pub batch_size: usize,
    /// Where rejected records are written (created on the first rejection).
    pub rejects_path: Option<PathBuf>,
    /// Keep accepted records in the raw archive of this directory.
    pub archive_dir: Option<PathBuf>,
    /// How many rejections the report keeps in memory (all go to the file).
    pub keep_rejections: usize,
}

impl Default for LoadOptions {
    fn default() -> Self {
        LoadOptions {
            // Each transaction copies the index shards it touches once, so
            // larger batches copy less per record (measured: 14% less
            // writer CPU at 20,000 than at 5,000 on 10,000 patients).
            batch_size: 20_000,
            rejects_path: None,
            archive_dir: None,
            keep_rejections: 100,
        }
    }
}

impl LoadOptions {
    /// The usual options for a data directory: archive in `<dir>/raw`,
    /// rejects in `<dir>/rejects/rejects-<unix time>.ndjson`.
    pub fn for_data_dir(dir: &Path) -> LoadOptions {
        let stamp = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_millis());
        LoadOptions {
            rejects_path: Some(dir.join("rejects").join(format!("rejects-{stamp}.ndjson"))),
            archive_dir: Some(dir.join("raw")),
            ..LoadOptions::default()
        }
    }
}

/// A record that was not loaded, and why.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct Rejection {
    /// The file (or request) it came from.
    pub file: String,
    /// 1-based line (NDJSON).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<u64>,
    /// 0-based Bundle entry.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub entry: Option<u64>,
    /// Its resourceType, when readable.
    #[serde(rename = "resourceType", skip_serializing_if = "Option::is_none")]
    pub resource_type: Option<String>,
    /// Its id, when readable.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// JSON path of the fault, when it is one element.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub path: String,
    /// Why.
    pub reason: String,
}

/// Per resource type counts.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct TypeCounts {
    /// Records read.
    pub read: u64,
    /// Records loaded.
    pub loaded: u64,
    /// Records rejected.
    pub rejected: u64,
}

/// What a load did.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct LoadReport {
    /// Files read.
    pub files: u64,
    /// Bytes read from files (compressed size).
    pub bytes: u64,
    /// Records read.
    pub records_read: u64,
    /// Records loaded.
    pub records_loaded: u64,
    /// Records rejected.
    pub records_rejected: u64,
    /// Counts per resource type (`"(unreadable)"` for records without one).
    pub by_type: BTreeMap<String, TypeCounts>,
    /// Nodes created.
    pub nodes_created: u64,
    /// Nodes matched and updated.
    pub nodes_updated: u64,
    /// Relationships created.
    pub relationships_created: u64,
    /// Relationships matched and updated.
    pub relationships_updated: u64,
    /// Stubs created for unresolved references.
    pub stubs_created: u64,
    /// Stubs merged into their arriving resource.
    pub stubs_merged: u64,
    /// Relationships dropped because a concept reference never resolved.
    pub unresolved: BTreeMap<String, u64>,
    /// Parts of accepted records that could not become graph data.
    pub skipped: BTreeMap<String, u64>,
    /// Relationships resolved at the end of the load.
    pub deferred: u64,
    /// Transactions committed.
    pub batches: u64,
    /// Where rejected records were written.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rejects_file: Option<PathBuf>,
    /// The first rejections (all are in the rejects file).
    pub rejections: Vec<Rejection>,
    /// Files skipped inside directories (unsupported names).
    pub skipped_files: Vec<PathBuf>,
    /// Wall time.
    pub seconds: f64,
    /// Records per second.
    pub records_per_second: f64,
    /// Where the time went, per pipeline stage.
    pub timings: LoadTimings,
}

/// Seconds spent per stage of a load. A reader thread reads and splits
/// files into batches; prepare workers (one per core) parse and map them
/// and compress them for the archive; the calling thread (the writer)
/// archives, applies and commits them in input order, and waits for the
/// workers when it is ahead.
#[derive(Clone, Copy, Debug, Default, Serialize, Deserialize, PartialEq)]
#[serde(default)]
pub struct LoadTimings {
    /// Reader: reading, decompressing and splitting files into records.
    pub read: f64,
    /// Prepare workers, summed: parsing and mapping records, compressing
    /// the accepted ones for the raw archive, and freeing applied batches.
    pub prepare: f64,
    /// Writer: writing and syncing the raw archive.
    pub archive: f64,
    /// Writer: applying mapped records to the transaction.
    pub apply: f64,
    /// Writer: committing (log write, fsync, publishing the version).
    pub commit: f64,
    /// Writer: waiting for the reader.
    pub wait: f64,
    /// CPU seconds the reader and the prepare workers used (Linux; 0
    /// elsewhere).
    pub reader_cpu: f64,
    /// CPU seconds the writer thread used during the load (Linux; 0
    /// elsewhere).
    pub writer_cpu: f64,
}

/// CPU seconds the calling thread has used (`/proc/thread-self/schedstat`,
/// Linux); 0 where that is not available.
pub fn thread_cpu_seconds() -> f64 {
    std::fs::read_to_string("/proc/thread-self/schedstat")
        .ok()
        .and_then(|text| text.split_whitespace().next()?.parse::<u64>().ok())
        .map_or(0.0, |ns| ns as f64 / 1e9)
}

impl LoadTimings {
    fn add(&mut self, other: &LoadTimings) {
        self.read += other.read;
        self.prepare += other.prepare;
        self.archive += other.archive;
        self.apply += other.apply;
        self.commit += other.commit;
        self.wait += other.wait;
        self.reader_cpu += other.reader_cpu;
        self.writer_cpu += other.writer_cpu;
    }
}

impl LoadReport {
    /// Adds the counts of another report (one of several requests that make
    /// up one load from the user's point of view); keeps the first rejects
    /// file and at most 100 rejections.
    pub fn merge(&mut self, part: LoadReport) {
        self.records_read += part.records_read;
        self.records_loaded += part.records_loaded;
        self.records_rejected += part.records_rejected;
        for (k, v) in part.by_type {
            let t = self.by_type.entry(k).or_default();
            t.read += v.read;
            t.loaded += v.loaded;
            t.rejected += v.rejected;
        }
        self.nodes_created += part.nodes_created;
        self.nodes_updated += part.nodes_updated;
        self.relationships_created += part.relationships_created;
        self.relationships_updated += part.relationships_updated;
        self.stubs_created += part.stubs_created;
        self.stubs_merged += part.stubs_merged;
        self.deferred += part.deferred;
        self.batches += part.batches;
        self.timings.add(&part.timings);
        for (k, v) in part.unresolved {
            *self.unresolved.entry(k).or_default() += v;
        }
        for (k, v) in part.skipped {
            *self.skipped.entry(k).or_default() += v;
        }
        if self.rejects_file.is_none() {
            self.rejects_file = part.rejects_file;
        }
        let room = 100usize.saturating_sub(self.rejections.len());
        self.rejections
            .extend(part.rejections.into_iter().take(room));
    }

    /// The exit status of `caregraph load`: 0 all loaded, 2 some rejected,
    /// 1 nothing could be loaded.
    pub fn exit_code(&self) -> i32 {
        if self.records_rejected == 0 {
            0
        } else if self.records_loaded == 0 {
            1
        } else {
            2
        }
    }
}

impl From<&ApplyStats> for LoadReport {
    /// A report holding only what applying did (nodes, relationships,
    /// stubs, unresolved references), to merge into a running report.
    fn from(stats: &ApplyStats) -> LoadReport {
        LoadReport {
            nodes_created: stats.nodes_created,
            nodes_updated: stats.nodes_updated,
            relationships_created: stats.rels_created,
            relationships_updated: stats.rels_updated,
            stubs_created: stats.stubs_created,
            stubs_merged: stats.stubs_merged,
            deferred: stats.deferred,
            unresolved: stats.unresolved.clone(),
            ..LoadReport::default()
        }
    }
}

/// Progress of a load, for progress bars.
#[derive(Clone, Copy, Debug, Default)]
pub struct Progress {
    /// Files finished.
    pub files_done: u64,
    /// Files in all.
    pub files_total: u64,
    /// Bytes of finished files.
    pub bytes_done: u64,
    /// Bytes of all files.
    pub bytes_total: u64,
    /// Records read so far.
    pub records: u64,
}

/// A file finished by the reader thread.
#[derive(Clone, Copy, Debug)]
struct FileDone {
    bytes: u64,
    records: u64,
}

/// A batch parsed and mapped off the writer thread.
struct Prepared {
    accepted: Vec<(Arc<str>, Mapped)>,
    rejected: Vec<Rejection>,
    /// The accepted records as received, compressed into one archive frame
    /// (`None` without an archive or when nothing was accepted).
    frame: Option<std::io::Result<Vec<u8>>>,
    file_done: Option<FileDone>,
}

/// Parses and maps a batch, and compresses its accepted records into an
/// archive frame (pure: runs on a prepare worker).
fn prepare(records: Vec<RawRecord>, archive: bool, file_done: Option<FileDone>) -> Prepared {
    let mut accepted = Vec::with_capacity(records.len());
    let mut kept = Vec::with_capacity(if archive { records.len() } else { 0 });
    let mut rejected = Vec::new();
    // The records are consumed here, so their bodies are freed on the
    // worker once compressed, not on the writer.
    for record in records {
        match parse_and_map(&record) {
            Ok(mapped) => {
                accepted.push((record.dir.clone(), mapped));
                if archive {
                    kept.push(record);
                }
            }
            Err(rejection) => rejected.push(*rejection),
        }
    }
    let frame = (!kept.is_empty()).then(|| encode_frame(&kept.iter().collect::<Vec<_>>()));
    Prepared {
        accepted,
        rejected,
        frame,
        file_done,
    }
}

/// Work for a prepare worker: a batch of records, and the file it ends.
type Job = Result<(Vec<RawRecord>, Option<FileDone>), FhirError>;

/// A batch's mapped records once applied, sent back to the worker that
/// built them: freeing memory on the thread that allocated it is cheaper
/// than freeing it on another, and it keeps that work off the writer.
type Spent = Vec<(Arc<str>, Mapped)>;

/// How many threads parse and map while the calling thread applies: one
/// per core, at least one, at most four.
fn prepare_workers() -> usize {
    std::thread::available_parallelism()
        .map_or(2, std::num::NonZeroUsize::get)
        .clamp(1, 4)
}

/// Loads FHIR records into a database.
pub struct Loader<'db> {
    db: &'db Database,
    options: LoadOptions,
    archive: Option<ArchiveWriter>,
    rejects: Option<BufWriter<File>>,
    batch: Vec<RawRecord>,
    deferred: Vec<Deferred>,
    report: LoadReport,
    started: Instant,
}

impl<'db> Loader<'db> {
    /// A loader for `db` (declares the graph model's indexes).
    pub fn new(db: &'db Database, options: LoadOptions) -> Result<Loader<'db>, FhirError> {
        ensure_schema(db)?;
        let archive = match &options.archive_dir {
            Some(dir) => Some(ArchiveWriter::open(dir)?),
            None => None,
        };
        Ok(Loader {
            db,
            options,
            archive,
            rejects: None,
            batch: Vec::new(),
            deferred: Vec::new(),
            report: LoadReport::default(),
            started: Instant::now(),
        })
    }

    /// Loads files and directories. Reading runs on one thread, parsing,
    /// mapping and archive compression on a worker per core, while this
    /// thread applies and commits the batches in input order.
    pub fn load_paths(
        &mut self,
        paths: &[PathBuf],
        progress: &mut dyn FnMut(Progress),
    ) -> Result<(), FhirError> {
        self.flush()?;
        let (files, skipped) = expand_inputs(paths)?;
        self.report.skipped_files.extend(skipped);
        let mut state = Progress {
            files_total: files.len() as u64,
            bytes_total: files
                .iter()
                .map(|f| std::fs::metadata(f).map_or(0, |m| m.len()))
                .sum(),
            ..Progress::default()
        };
        progress(state);
        let batch_size = self.options.batch_size.max(1);
        let archive = self.archive.is_some();
        let workers = prepare_workers();
        std::thread::scope(|scope| {
            // Batch k goes to worker k % workers; the writer takes the
            // prepared batches back in the same order, so they commit in
            // input order however the workers are scheduled. A worker holds
            // at most one queued and one prepared batch (a rendezvous on
            // the way out), which bounds the memory in flight.
            let mut to_workers = Vec::with_capacity(workers);
            let mut from_workers = Vec::with_capacity(workers);
            let mut spent_to_workers = Vec::with_capacity(workers);
            let mut worker_handles = Vec::with_capacity(workers);
            for _ in 0..workers {
                let (job_sender, jobs) = std::sync::mpsc::sync_channel::<Job>(1);
                let (sender, receiver) =
                    std::sync::mpsc::sync_channel::<Result<Prepared, FhirError>>(0);
                let (spent_sender, spent) = std::sync::mpsc::channel::<Spent>();
                to_workers.push(job_sender);
                from_workers.push(receiver);
                spent_to_workers.push(spent_sender);
                worker_handles.push(scope.spawn(move || {
                    let cpu_started = thread_cpu_seconds();
                    let mut busy = 0.0;
                    for job in jobs {
                        let started = Instant::now();
                        spent.try_iter().for_each(drop);
                        let prepared = job.map(|(batch, done)| prepare(batch, archive, done));
                        busy += started.elapsed().as_secs_f64();
                        if sender.send(prepared).is_err() {
                            break;
                        }
                    }
                    // The writer stops taking batches from a worker whose
                    // sender is gone; then the worker frees what the writer
                    // still sends back, until the writer is done.
                    drop(sender);
                    let started = Instant::now();
                    spent.iter().for_each(drop);
                    busy += started.elapsed().as_secs_f64();
                    (busy, thread_cpu_seconds() - cpu_started)
                }));
            }
            let reader = scope.spawn(move || {
                let mut batch = Vec::with_capacity(batch_size);
                let mut records = 0u64;
                let mut next = 0usize;
                let mut blocked = 0.0;
                let thread_started = Instant::now();
                let cpu_started = thread_cpu_seconds();
                // Hands the next job to its worker; `false` once the load
                // was stopped.
                let mut hand_over = |job: Job| {
                    let started = Instant::now();
                    let sent = to_workers[next % workers].send(job).is_ok();
                    next += 1;
                    blocked += started.elapsed().as_secs_f64();
                    sent
                };
                for file in &files {
                    let result = read_file(file, &mut |record| {
                        records += 1;
                        batch.push(record);
                        if batch.len() >= batch_size
                            && !hand_over(Ok((std::mem::take(&mut batch), None)))
                        {
                            return Err(FhirError::Input {
                                path: file.clone(),
                                reason: "the load was stopped".into(),
                            });
                        }
                        Ok(())
                    });
                    let job = result.map(|bytes| {
                        let done = FileDone { bytes, records };
                        (std::mem::take(&mut batch), Some(done))
                    });
                    let failed = job.is_err();
                    if !hand_over(job) || failed {
                        break;
                    }
                }
                let read = thread_started.elapsed().as_secs_f64() - blocked;
                (read, thread_cpu_seconds() - cpu_started)
            });
            let writer_cpu_started = thread_cpu_seconds();
            let mut waiting_since = Instant::now();
            for next in 0.. {
                let Ok(message) = from_workers[next % workers].recv() else {
                    break;
                };
                self.report.timings.wait += waiting_since.elapsed().as_secs_f64();
                let prepared = message?;
                let done = prepared.file_done;
                let spent = self.commit_prepared(prepared)?;
                // A worker that has finished frees nothing more: the writer
                // frees the batch itself then.
                let _ = spent_to_workers[next % workers].send(spent);
                if let Some(done) = done {
                    state.files_done += 1;
                    state.bytes_done += done.bytes;
                    state.records = done.records;
                    self.report.files += 1;
                    self.report.bytes += done.bytes;
                }
                progress(state);
                waiting_since = Instant::now();
            }
            self.report.timings.writer_cpu += thread_cpu_seconds() - writer_cpu_started;
            drop(spent_to_workers);
            if let Ok((read, cpu)) = reader.join() {
                self.report.timings.read += read;
                self.report.timings.reader_cpu += cpu;
            }
            for handle in worker_handles {
                if let Ok((busy, cpu)) = handle.join() {
                    self.report.timings.prepare += busy;
                    self.report.timings.reader_cpu += cpu;
                }
            }
            Ok(())
        })
    }

    /// Loads an in-memory document (an HTTP request body).
    pub fn load_bytes(
        &mut self,
        name: &str,
        kind: InputKind,
        bytes: Vec<u8>,
    ) -> Result<(), FhirError> {
        self.report.bytes += bytes.len() as u64;
        read_bytes(name, kind, bytes, &mut |record| self.push(record))
    }

    /// Loads records that are already split (the raw archive, for rebuild).
    pub fn load_records(&mut self, records: Vec<RawRecord>) -> Result<(), FhirError> {
        for record in records {
            self.push(record)?;
        }
        Ok(())
    }

    fn push(&mut self, record: RawRecord) -> Result<(), FhirError> {
        self.batch.push(record);
        if self.batch.len() >= self.options.batch_size {
            self.flush()?;
        }
        Ok(())
    }

    /// Commits the records gathered so far as one transaction.
    pub fn flush(&mut self) -> Result<(), FhirError> {
        if self.batch.is_empty() {
            return Ok(());
        }
        let batch = std::mem::take(&mut self.batch);
        let prepared = prepare(batch, self.archive.is_some(), None);
        self.commit_prepared(prepared).map(drop)
    }

    /// Archives and applies a prepared batch in one transaction. Returns
    /// the mapped records, spent, so that the caller can free them where
    /// they were allocated.
    fn commit_prepared(&mut self, prepared: Prepared) -> Result<Spent, FhirError> {
        if prepared.accepted.is_empty() && prepared.rejected.is_empty() {
            return Ok(prepared.accepted);
        }
        let started = Instant::now();
        if let (Some(archive), Some(frame)) = (&mut self.archive, prepared.frame) {
            let frame = frame.map_err(|e| FhirError::Write {
                path: archive.path().to_path_buf(),
                source: e,
            })?;
            archive.write_frame(&frame)?;
        }
        let archived = Instant::now();
        self.report.timings.archive += (archived - started).as_secs_f64();
        let mut stats = ApplyStats::default();
        let mut deferred = Vec::new();
        if !prepared.accepted.is_empty() {
            let mut txn = self.db.begin_write();
            let mut applier = Applier::new(&mut txn, &mut stats, false);
            for (dir, mapped) in &prepared.accepted {
                deferred.extend(applier.apply(mapped, dir)?);
            }
            let applied = Instant::now();
            self.report.timings.apply += (applied - archived).as_secs_f64();
            txn.commit()?;
            self.report.timings.commit += applied.elapsed().as_secs_f64();
            self.report.batches += 1;
        }
        // Count only what is committed.
        self.merge_stats(&stats);
        self.deferred.extend(deferred);
        for (_, mapped) in &prepared.accepted {
            self.report.records_read += 1;
            self.report.records_loaded += 1;
            // Look up before inserting: no key copy for a type seen before.
            let by_type = &mut self.report.by_type;
            let counts = match by_type.get_mut(&mapped.resource_type) {
                Some(counts) => counts,
                None => by_type.entry(mapped.resource_type.clone()).or_default(),
            };
            counts.read += 1;
            counts.loaded += 1;
            for skipped in &mapped.skipped {
                *self
                    .report
                    .skipped
                    .entry((*skipped).to_owned())
                    .or_default() += 1;
            }
        }
        for rejection in prepared.rejected {
            self.reject(rejection)?;
        }
        Ok(prepared.accepted)
    }

    fn merge_stats(&mut self, stats: &ApplyStats) {
        self.report.merge(LoadReport::from(stats));
    }

    fn reject(&mut self, rejection: Rejection) -> Result<(), FhirError> {
        self.report.records_read += 1;
        self.report.records_rejected += 1;
        let type_name = rejection
            .resource_type
            .clone()
            .unwrap_or_else(|| "(unreadable)".to_owned());
        let counts = self.report.by_type.entry(type_name).or_default();
        counts.read += 1;
        counts.rejected += 1;
        if let Some(path) = self.options.rejects_path.clone() {
            if self.rejects.is_none() {
                let write_err = |e| FhirError::Write {
                    path: path.clone(),
                    source: e,
                };
                if let Some(parent) = path.parent() {
                    std::fs::create_dir_all(parent).map_err(write_err)?;
                }
                let file = OpenOptions::new()
                    .create(true)
                    .append(true)
                    .open(&path)
                    .map_err(write_err)?;
                self.rejects = Some(BufWriter::new(file));
                self.report.rejects_file = Some(path.clone());
            }
            if let Some(out) = &mut self.rejects {
                let line = serde_json::to_string(&rejection).unwrap_or_default();
                writeln!(out, "{line}").map_err(|e| FhirError::Write { path, source: e })?;
            }
        }
        if self.report.rejections.len() < self.options.keep_rejections {
            self.report.rejections.push(rejection);
        }
        Ok(())
    }

    /// Commits what is left, resolves deferred references (stubs or drops
    /// for what never resolved), and returns the report.
    pub fn finish(mut self) -> Result<LoadReport, FhirError> {
        self.flush()?;
        let deferred = std::mem::take(&mut self.deferred);
        for chunk in deferred.chunks(self.options.batch_size.max(1) * 4) {
            let mut stats = ApplyStats::default();
            {
                let mut txn = self.db.begin_write();
                let started = Instant::now();
                let mut applier = Applier::new(&mut txn, &mut stats, true);
                for item in chunk {
                    applier.apply_deferred(item)?;
                }
                let applied = Instant::now();
                self.report.timings.apply += (applied - started).as_secs_f64();
                txn.commit()?;
                self.report.timings.commit += applied.elapsed().as_secs_f64();
            }
            self.report.batches += 1;
            stats.deferred = 0;
            self.merge_stats(&stats);
        }
        if let Some(out) = &mut self.rejects {
            let path = self.report.rejects_file.clone().unwrap_or_default();
            out.flush()
                .map_err(|e| FhirError::Write { path, source: e })?;
        }
        self.report.seconds = self.started.elapsed().as_secs_f64();
        self.report.records_per_second = if self.report.seconds > 0.0 {
            self.report.records_read as f64 / self.report.seconds
        } else {
            0.0
        };
        Ok(self.report)
    }
}

fn rejection(
    source: &SourceRef,
    resource_type: Option<String>,
    id: Option<String>,
    reject: Reject,
) -> Rejection {
    Rejection {
        file: source.file.to_string(),
        line: source.line,
        entry: source.entry,
        resource_type,
        id,
        path: reject.path,
        reason: reject.reason,
    }
}

/// Parses and maps one record.
pub fn parse_and_map(record: &RawRecord) -> Result<Mapped, Box<Rejection>> {
    let body = match &record.body {
        Ok(body) => body,
        Err(reason) => {
            return Err(Box::new(rejection(
                &record.source,
                None,
                None,
                Reject::at("", reason.clone()),
            )))
        }
    };
    let json = match parse_record(body) {
        Ok(json) => json,
        Err(ParseFailure::Syntax(reject)) => {
            return Err(Box::new(rejection(&record.source, None, None, reject)));
        }
        Err(ParseFailure::OverLimit(json, reject)) => {
            let resource_type = json
                .get("resourceType")
                .and_then(|v| v.as_str())
                .map(str::to_owned);
            let id = json.get("id").and_then(|v| v.as_str()).map(str::to_owned);
            return Err(Box::new(rejection(
                &record.source,
                resource_type,
                id,
                reject,
            )));
        }
    };
    let serde_json::Value::Object(map) = &json else {
        return Err(Box::new(rejection(
            &record.source,
            None,
            None,
            Reject::at("", "a resource must be a JSON object"),
        )));
    };
    map_resource(
        map,
        &MapContext {
            full_url: record.full_url.as_deref(),
        },
    )
    .map_err(|reject| {
        // Read only for a rejection: an accepted record copies neither.
        let text = |key: &str| map.get(key).and_then(|v| v.as_str()).map(str::to_owned);
        Box::new(rejection(
            &record.source,
            text("resourceType"),
            text("id"),
            reject,
        ))
    })
}

/// Loads `paths` into `db` in one go.
pub fn load_paths(
    db: &Database,
    paths: &[PathBuf],
    options: LoadOptions,
    progress: &mut dyn FnMut(Progress),
) -> Result<LoadReport, FhirError> {
    let mut loader = Loader::new(db, options)?;
    loader.load_paths(paths, progress)?;
    loader.finish()
}
