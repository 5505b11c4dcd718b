//! The write-ahead log: one record per committed transaction, in segment
//! files `wal-<first lsn>.log`.
//!
//! Record layout (little endian):
//! `len: u32 | crc32c(lsn ‖ payload): u32 | lsn: u64 | payload: len bytes`.
//! A record is valid only when it is complete, its checksum matches and its
//! LSN is the next one expected; the first record that is not ends the log.
//! Recovery cuts the file there (a torn write of a crash, or corruption) and
//! reports what it cut.

use std::fs::{self, File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::error::{GraphError, GraphResult};

const HEADER: usize = 16;
/// Largest record accepted when reading (a corrupt length must not make us
/// allocate gigabytes).
const MAX_RECORD: u32 = 1 << 30;

/// A segment file on disk.
#[derive(Clone, Debug)]
pub(crate) struct Segment {
    pub(crate) first_lsn: u64,
    pub(crate) path: PathBuf,
}

/// Lists the log segments of `dir`, oldest first.
pub(crate) fn list_segments(dir: &Path) -> GraphResult<Vec<Segment>> {
    let mut segments = Vec::new();
    let entries = fs::read_dir(dir).map_err(|e| GraphError::io("listing", dir, e))?;
    for entry in entries {
        let entry = entry.map_err(|e| GraphError::io("listing", dir, e))?;
        let name = entry.file_name();
        let Some(name) = name.to_str() else { continue };
        if let Some(lsn) = name
            .strip_prefix("wal-")
            .and_then(|n| n.strip_suffix(".log"))
            .and_then(|n| n.parse::<u64>().ok())
        {
            segments.push(Segment {
                first_lsn: lsn,
                path: entry.path(),
            });
        }
    }
    segments.sort_by_key(|s| s.first_lsn);
    Ok(segments)
}

/// The name of the segment whose first record is `lsn`.
pub(crate) fn segment_path(dir: &Path, lsn: u64) -> PathBuf {
    dir.join(format!("wal-{lsn:020}.log"))
}

/// Frames one record.
pub(crate) fn frame(lsn: u64, payload: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(HEADER + payload.len());
    out.extend_from_slice(&(payload.len() as u32).to_le_bytes());
    let mut crc = crc32c::crc32c(&lsn.to_le_bytes());
    crc = crc32c::crc32c_append(crc, payload);
    out.extend_from_slice(&crc.to_le_bytes());
    out.extend_from_slice(&lsn.to_le_bytes());
    out.extend_from_slice(payload);
    out
}

/// What reading a segment found.
#[derive(Debug, Default)]
pub(crate) struct SegmentScan {
    /// Valid records, in order.
    pub(crate) records: Vec<(u64, Vec<u8>)>,
    /// Byte offset just past the last valid record.
    pub(crate) valid_len: u64,
    /// Length of the file.
    pub(crate) file_len: u64,
    /// Why reading stopped before the end of the file, if it did.
    pub(crate) problem: Option<String>,
}

/// Reads a segment's records, stopping at the first invalid one.
/// `expected_lsn` is the LSN the first record must have (records at or below
/// `skip_through` may also precede it: they are already in the snapshot).
pub(crate) fn scan_segment(path: &Path, mut expected_lsn: u64) -> GraphResult<SegmentScan> {
    let mut bytes = Vec::new();
    File::open(path)
        .and_then(|mut f| f.read_to_end(&mut bytes))
        .map_err(|e| GraphError::io("reading log segment", path, e))?;
    let mut scan = SegmentScan {
        file_len: bytes.len() as u64,
        ..SegmentScan::default()
    };
    let mut offset = 0usize;
    while offset < bytes.len() {
        let rest = &bytes[offset..];
        if rest.len() < HEADER {
            scan.problem = Some(format!(
                "torn record header at byte {offset} ({} bytes)",
                rest.len()
            ));
            break;
        }
        let len = u32::from_le_bytes([rest[0], rest[1], rest[2], rest[3]]);
        let crc = u32::from_le_bytes([rest[4], rest[5], rest[6], rest[7]]);
        let mut lsn_bytes = [0u8; 8];
        lsn_bytes.copy_from_slice(&rest[8..16]);
        let lsn = u64::from_le_bytes(lsn_bytes);
        if len > MAX_RECORD || HEADER + len as usize > rest.len() {
            scan.problem = Some(format!(
                "torn record at byte {offset}: {len} payload bytes announced, {} present",
                rest.len() - HEADER
            ));
            break;
        }
        let payload = &rest[HEADER..HEADER + len as usize];
        let actual = crc32c::crc32c_append(crc32c::crc32c(&lsn_bytes), payload);
        if actual != crc {
            scan.problem = Some(format!("checksum mismatch in record at byte {offset}"));
            break;
        }
        if lsn != expected_lsn {
            scan.problem = Some(format!(
                "record at byte {offset} has transaction {lsn}, expected {expected_lsn}"
            ));
            break;
        }
        scan.records.push((lsn, payload.to_vec()));
        expected_lsn += 1;
        offset += HEADER + len as usize;
        scan.valid_len = offset as u64;
    }
    Ok(scan)
}

/// Cuts a segment back to `len` bytes and makes that durable.
pub(crate) fn truncate_segment(path: &Path, len: u64) -> GraphResult<()> {
    let file = OpenOptions::new()
        .write(true)
        .open(path)
        .map_err(|e| GraphError::io("opening log segment", path, e))?;
    file.set_len(len)
        .and_then(|()| file.sync_all())
        .map_err(|e| GraphError::io("truncating log segment", path, e))
}

/// The open segment that commits append to.
pub(crate) struct WalWriter {
    dir: PathBuf,
    pub(crate) file: Arc<File>,
    pub(crate) path: PathBuf,
    bytes: u64,
    segment_limit: u64,
}

impl WalWriter {
    /// Opens (creating) the segment starting at `next_lsn`.
    pub(crate) fn open(dir: &Path, next_lsn: u64, segment_limit: u64) -> GraphResult<Self> {
        let path = segment_path(dir, next_lsn);
        let mut file = OpenOptions::new()
            .create(true)
            .append(true)
            .open(&path)
            .map_err(|e| GraphError::io("opening log segment", &path, e))?;
        let bytes = file
            .seek(SeekFrom::End(0))
            .map_err(|e| GraphError::io("opening log segment", &path, e))?;
        sync_dir(dir)?;
        Ok(WalWriter {
            dir: dir.to_path_buf(),
            file: Arc::new(file),
            path,
            bytes,
            segment_limit,
        })
    }

    /// Appends a record (not yet durable: see [`WalWriter::file`] and fsync).
    /// Starts a new segment first when the current one is full.
    pub(crate) fn append(&mut self, lsn: u64, payload: &[u8]) -> GraphResult<()> {
        if self.bytes >= self.segment_limit {
            self.file
                .sync_data()
                .map_err(|e| GraphError::io("syncing log segment", &self.path, e))?;
            *self = WalWriter::open(&self.dir, lsn, self.segment_limit)?;
        }
        let record = frame(lsn, payload);
        (&*self.file)
            .write_all(&record)
            .map_err(|e| GraphError::io("appending to log segment", &self.path, e))?;
        self.bytes += record.len() as u64;
        Ok(())
    }
}

/// Makes a directory's entries (new or renamed files) durable.
pub(crate) fn sync_dir(dir: &Path) -> GraphResult<()> {
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(|e| GraphError::io("syncing directory", dir, e))
}
