//! The raw archive: every accepted resource, as received, appended to
//! `raw/archive-<n>.cga` in the data directory, so the graph can be rebuilt
//! from it (`caregraph rebuild`).
//!
//! A file is a sequence of frames, one per load batch:
//! `len: u32 | crc32c(payload): u32 | payload = zstd(records)`. Records keep
//! source file, line or entry, source directory, `fullUrl` and the JSON text.
//! Frames are synced before the batch's graph transaction commits, so the
//! archive always holds at least what the graph does.

use std::fs::{self, File, OpenOptions};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::source::{RawRecord, SourceRef};
use crate::error::FhirError;

const FILE_LIMIT: u64 = 256 << 20;

/// Appends batches to the archive.
pub struct ArchiveWriter {
    dir: PathBuf,
    file: File,
    path: PathBuf,
    size: u64,
    sequence: u64,
}

fn archive_files(dir: &Path) -> Result<Vec<(u64, PathBuf)>, FhirError> {
    let mut files = Vec::new();
    if !dir.exists() {
        return Ok(files);
    }
    let entries = fs::read_dir(dir).map_err(|e| FhirError::Read {
        path: dir.to_path_buf(),
        source: e,
    })?;
    for entry in entries.flatten() {
        let name = entry.file_name();
        if let Some(n) = name
            .to_str()
            .and_then(|n| n.strip_prefix("archive-"))
            .and_then(|n| n.strip_suffix(".cga"))
            .and_then(|n| n.parse::<u64>().ok())
        {
            files.push((n, entry.path()));
        }
    }
    files.sort();
    Ok(files)
}

impl ArchiveWriter {
    /// Opens the archive in `dir` (`<data>/raw`), appending to its last file.
    pub fn open(dir: &Path) -> Result<ArchiveWriter, FhirError> {
        let write_err = |path: &Path, e| FhirError::Write {
            path: path.to_path_buf(),
            source: e,
        };
        fs::create_dir_all(dir).map_err(|e| write_err(dir, e))?;
        let sequence = archive_files(dir)?.last().map_or(0, |(n, _)| *n);
        let path = dir.join(format!("archive-{sequence:06}.cga"));
        let file = OpenOptions::new()
            .create(true)
            .append(true)
            .open(&path)
            .map_err(|e| write_err(&path, e))?;
        let size = file.metadata().map_err(|e| write_err(&path, e))?.len();
        Ok(ArchiveWriter {
            dir: dir.to_path_buf(),
            file,
            path,
            size,
            sequence,
        })
    }

    /// The archive file being appended to.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Appends a frame made by [`encode_frame`] and syncs it to disk.
    pub fn write_frame(&mut self, frame: &[u8]) -> Result<(), FhirError> {
        let write_err = |path: &Path, e| FhirError::Write {
            path: path.to_path_buf(),
            source: e,
        };
        if self.size >= FILE_LIMIT {
            self.sequence += 1;
            self.path = self.dir.join(format!("archive-{:06}.cga", self.sequence));
            self.file = OpenOptions::new()
                .create(true)
                .append(true)
                .open(&self.path)
                .map_err(|e| write_err(&self.path, e))?;
            self.size = 0;
        }
        self.file
            .write_all(frame)
            .map_err(|e| write_err(&self.path, e))?;
        self.file
            .sync_data()
            .map_err(|e| write_err(&self.path, e))?;
        self.size += frame.len() as u64;
        Ok(())
    }
}

/// Compresses a batch of records into one archive frame (the loader does
/// it on its prepare workers; [`ArchiveWriter::write_frame`] appends it).
///
/// The records stream through the compressor: the batch is never copied
/// whole into one plain buffer, so no buffer of the batch's size is
/// allocated (and page-faulted in) besides the compressed frame.
pub fn encode_frame(records: &[&RawRecord]) -> std::io::Result<Vec<u8>> {
    let plain_len: usize = records
        .iter()
        .map(|r| r.body.as_ref().map_or(0, Vec::len) + r.source.file.len() + r.dir.len() + 32)
        .sum();
    // JSON compresses about sevenfold at this level; the frame grows if not.
    let mut frame = Vec::with_capacity(plain_len / 6 + 4096);
    frame.extend_from_slice(&[0u8; 8]);
    // zstd fast mode: the archive is written once and read only by rebuild,
    // so compression speed matters more than ratio.
    let mut encoder = zstd::stream::write::Encoder::new(frame, -3)?;
    let mut head = Vec::with_capacity(256);
    let count = records.iter().filter(|r| r.body.is_ok()).count();
    put_varint(&mut head, count as u64);
    encoder.write_all(&head)?;
    for record in records {
        let Ok(body) = &record.body else { continue };
        head.clear();
        put_bytes(&mut head, record.source.file.as_bytes());
        put_varint(&mut head, record.source.line.map_or(0, |l| l + 1));
        put_varint(&mut head, record.source.entry.map_or(0, |e| e + 1));
        put_bytes(&mut head, record.dir.as_bytes());
        put_bytes(
            &mut head,
            record.full_url.as_deref().unwrap_or("").as_bytes(),
        );
        put_varint(&mut head, body.len() as u64);
        encoder.write_all(&head)?;
        encoder.write_all(body)?;
    }
    let mut frame = encoder.finish()?;
    let compressed = &frame[8..];
    let len = u32::try_from(compressed.len()).map_err(|_| {
        std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            format!(
                "an archive frame of {} compressed bytes (at most 4 GiB): load with smaller batches",
                compressed.len()
            ),
        )
    })?;
    let crc = crc32c::crc32c(compressed);
    frame[..4].copy_from_slice(&len.to_le_bytes());
    frame[4..8].copy_from_slice(&crc.to_le_bytes());
    Ok(frame)
}

fn put_varint(out: &mut Vec<u8>, mut v: u64) {
    loop {
        let byte = (v & 0x7f) as u8;
        v >>= 7;
        if v == 0 {
            out.push(byte);
            return;
        }
        out.push(byte | 0x80);
    }
}

fn put_bytes(out: &mut Vec<u8>, bytes: &[u8]) {
    put_varint(out, bytes.len() as u64);
    out.extend_from_slice(bytes);
}

fn get_varint(input: &mut &[u8]) -> Option<u64> {
    let mut result = 0u64;
    for shift in (0..64).step_by(7) {
        let (&byte, rest) = input.split_first()?;
        *input = rest;
        result |= u64::from(byte & 0x7f) << shift;
        if byte & 0x80 == 0 {
            return Some(result);
        }
    }
    None
}

fn get_bytes<'a>(input: &mut &'a [u8]) -> Option<&'a [u8]> {
    let len = usize::try_from(get_varint(input)?).ok()?;
    if input.len() < len {
        return None;
    }
    let (bytes, rest) = input.split_at(len);
    *input = rest;
    Some(bytes)
}

/// What reading the archive found besides records.
#[derive(Clone, Debug, Default)]
pub struct ArchiveScan {
    /// Frames read.
    pub frames: u64,
    /// Records read.
    pub records: u64,
    /// A damaged frame that ended the reading of a file, if any.
    pub problems: Vec<String>,
}

/// Reads every archived batch in order, calling `batch` with its records.
pub fn read_archive(
    dir: &Path,
    batch: &mut dyn FnMut(Vec<RawRecord>) -> Result<(), FhirError>,
) -> Result<ArchiveScan, FhirError> {
    let mut scan = ArchiveScan::default();
    for (_, path) in archive_files(dir)? {
        let mut bytes = Vec::new();
        File::open(&path)
            .and_then(|mut f| f.read_to_end(&mut bytes))
            .map_err(|e| FhirError::Read {
                path: path.clone(),
                source: e,
            })?;
        let mut rest = bytes.as_slice();
        while !rest.is_empty() {
            let problem = |what: &str| {
                format!(
                    "{}: {what} at byte {}",
                    path.display(),
                    bytes.len() - rest.len()
                )
            };
            if rest.len() < 8 {
                scan.problems.push(problem("torn frame header"));
                break;
            }
            let len = u32::from_le_bytes([rest[0], rest[1], rest[2], rest[3]]) as usize;
            let crc = u32::from_le_bytes([rest[4], rest[5], rest[6], rest[7]]);
            if rest.len() < 8 + len {
                scan.problems.push(problem("torn frame"));
                break;
            }
            let compressed = &rest[8..8 + len];
            if crc32c::crc32c(compressed) != crc {
                scan.problems.push(problem("checksum mismatch"));
                break;
            }
            let Ok(plain) = zstd::stream::decode_all(compressed) else {
                scan.problems.push(problem("undecodable frame"));
                break;
            };
            let records = decode_records(&plain).ok_or_else(|| FhirError::Input {
                path: path.clone(),
                reason: "malformed archive frame".into(),
            })?;
            scan.frames += 1;
            scan.records += records.len() as u64;
            batch(records)?;
            rest = &rest[8 + len..];
        }
    }
    Ok(scan)
}

fn decode_records(plain: &[u8]) -> Option<Vec<RawRecord>> {
    let mut input = plain;
    let count = get_varint(&mut input)?;
    let mut records = Vec::with_capacity(usize::try_from(count).ok()?.min(1 << 20));
    let text = |b: &[u8]| -> Option<Arc<str>> { std::str::from_utf8(b).ok().map(Arc::from) };
    while !input.is_empty() {
        let file = text(get_bytes(&mut input)?)?;
        let line = get_varint(&mut input)?;
        let entry = get_varint(&mut input)?;
        let dir = text(get_bytes(&mut input)?)?;
        let full_url = text(get_bytes(&mut input)?)?;
        let body = get_bytes(&mut input)?.to_vec();
        records.push(RawRecord {
            source: SourceRef {
                file,
                line: line.checked_sub(1),
                entry: entry.checked_sub(1),
            },
            dir,
            full_url: (!full_url.is_empty()).then_some(full_url),
            body: Ok(body),
        });
    }
    Some(records)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(line: u64, body: &str) -> RawRecord {
        RawRecord {
            source: SourceRef {
                file: Arc::from("Patient.ndjson"),
                line: Some(line),
                entry: None,
            },
            dir: Arc::from("/exports/a"),
            full_url: line
                .is_multiple_of(2)
                .then(|| Arc::from(format!("urn:uuid:{line}").as_str())),
            body: Ok(body.as_bytes().to_vec()),
        }
    }

    #[test]
    fn frames_round_trip_through_the_archive() {
        let dir = std::env::temp_dir().join(format!("cg-archive-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        let bodies: Vec<String> = (0..3_000)
            .map(|i| {
                format!(
                    r#"{{"resourceType":"Patient","id":"p{i}","note":"{}"}}"#,
                    "x".repeat(i % 300)
                )
            })
            .collect();
        let mut records: Vec<RawRecord> = bodies
            .iter()
            .enumerate()
            .map(|(i, b)| record(i as u64, b))
            .collect();
        // A record whose body could not be read is not archived.
        records[7].body = Err("unreadable".into());
        let mut writer = ArchiveWriter::open(&dir).expect("open");
        for batch in records.chunks(1_000) {
            let frame = encode_frame(&batch.iter().collect::<Vec<_>>()).expect("encode");
            writer.write_frame(&frame).expect("write");
        }
        let mut read = Vec::new();
        let scan = read_archive(&dir, &mut |batch| {
            read.extend(batch);
            Ok(())
        })
        .expect("read");
        assert_eq!(scan.frames, 3);
        assert!(scan.problems.is_empty(), "{:?}", scan.problems);
        let kept: Vec<&RawRecord> = records.iter().filter(|r| r.body.is_ok()).collect();
        assert_eq!(read.len(), kept.len());
        for (got, want) in read.iter().zip(kept) {
            assert_eq!(got.source.line, want.source.line);
            assert_eq!(got.source.file, want.source.file);
            assert_eq!(got.dir, want.dir);
            assert_eq!(got.full_url, want.full_url);
            assert_eq!(got.body.as_ref().ok(), want.body.as_ref().ok());
        }
        let _ = fs::remove_dir_all(&dir);
    }
}
