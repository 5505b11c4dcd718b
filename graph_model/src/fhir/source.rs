//! Reading FHIR input: files and directories of `.ndjson`, `.ndjson.gz`,
//! `.json` (a Bundle or one resource), `.json.gz`, and `.tar.gz` / `.tgz`
//! archives of those. Records stream out one at a time: an NDJSON file is
//! read line by line, an archive member by member, so a large export never
//! sits in memory whole (one Bundle file does, while it is split).

use std::fs::File;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use flate2::read::MultiGzDecoder;
use serde::Deserialize;
use serde_json::value::RawValue;

use crate::error::FhirError;

/// Longest NDJSON line (or JSON file) accepted; longer records are rejected
/// without being held in memory.
pub const MAX_RECORD_BYTES: usize = 64 << 20;

/// Where a record came from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SourceRef {
    /// The file (for archive members: `archive.tar.gz!/member`).
    pub file: Arc<str>,
    /// 1-based line, for NDJSON.
    pub line: Option<u64>,
    /// 0-based entry index, for Bundles.
    pub entry: Option<u64>,
}

impl std::fmt::Display for SourceRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.file)?;
        if let Some(line) = self.line {
            write!(f, ":{line}")?;
        }
        if let Some(entry) = self.entry {
            write!(f, " entry[{entry}]")?;
        }
        Ok(())
    }
}

/// One resource as received, or an input unit that could not be split.
#[derive(Clone, Debug)]
pub struct RawRecord {
    /// Where it came from.
    pub source: SourceRef,
    /// The directory of its file (for the NPI rule).
    pub dir: Arc<str>,
    /// The Bundle entry's `fullUrl`.
    pub full_url: Option<Arc<str>>,
    /// The resource's JSON text, or why the input could not be read.
    pub body: Result<Vec<u8>, String>,
}

/// The kind of an input file, by name.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum InputKind {
    /// One resource per line.
    Ndjson,
    /// A Bundle or a single resource.
    Json,
    /// A gzip-compressed tar archive.
    TarGz,
}

/// The kind and compression of a file name, if supported.
#[allow(clippy::case_sensitive_file_extension_comparisons)] // the name is lower-cased first
pub fn classify(name: &str) -> Option<(InputKind, bool)> {
    let lower = name.to_ascii_lowercase();
    if lower.ends_with(".tar.gz") || lower.ends_with(".tgz") {
        Some((InputKind::TarGz, true))
    } else if lower.ends_with(".ndjson.gz") {
        Some((InputKind::Ndjson, true))
    } else if lower.ends_with(".ndjson") {
        Some((InputKind::Ndjson, false))
    } else if lower.ends_with(".json.gz") {
        Some((InputKind::Json, true))
    } else if lower.ends_with(".json") {
        Some((InputKind::Json, false))
    } else {
        None
    }
}

/// Load order of a bulk-export file: referenced resources before the ones
/// that reference them (that only saves stubs and deferred work; results do
/// not depend on it).
fn type_rank(path: &Path) -> u8 {
    const ORDER: &[&str] = &[
        "Organization",
        "Location",
        "Practitioner",
        "PractitionerRole",
        "Patient",
        "Medication",
        "Encounter",
        "Condition",
        "AllergyIntolerance",
        "MedicationRequest",
        "Claim",
        "ExplanationOfBenefit",
    ];
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
    let prefix = name.split('.').next().unwrap_or("");
    ORDER
        .iter()
        .position(|t| *t == prefix)
        .map_or(ORDER.len() as u8, |i| i as u8)
}

/// Expands the inputs into the list of files to read, in load order.
/// Unsupported files inside directories are skipped (and returned apart);
/// an unsupported file named explicitly is an error.
pub fn expand_inputs(paths: &[PathBuf]) -> Result<(Vec<PathBuf>, Vec<PathBuf>), FhirError> {
    let mut files = Vec::new();
    let mut skipped = Vec::new();
    for path in paths {
        let meta = std::fs::metadata(path).map_err(|e| FhirError::Read {
            path: path.clone(),
            source: e,
        })?;
        if meta.is_dir() {
            let mut found = Vec::new();
            walk(path, &mut found, &mut skipped)?;
            found.sort();
            found.sort_by_key(|p| type_rank(p));
            files.extend(found);
        } else if classify(&path.to_string_lossy()).is_some() {
            files.push(path.clone());
        } else {
            return Err(FhirError::Input {
                path: path.clone(),
                reason: "not a .ndjson, .ndjson.gz, .json, .json.gz, .tar.gz or .tgz file".into(),
            });
        }
    }
    Ok((files, skipped))
}

fn walk(dir: &Path, found: &mut Vec<PathBuf>, skipped: &mut Vec<PathBuf>) -> Result<(), FhirError> {
    let entries = std::fs::read_dir(dir).map_err(|e| FhirError::Read {
        path: dir.to_path_buf(),
        source: e,
    })?;
    for entry in entries {
        let entry = entry.map_err(|e| FhirError::Read {
            path: dir.to_path_buf(),
            source: e,
        })?;
        let path = entry.path();
        let file_type = entry.file_type().map_err(|e| FhirError::Read {
            path: path.clone(),
            source: e,
        })?;
        if file_type.is_dir() {
            walk(&path, found, skipped)?;
        } else if classify(&path.to_string_lossy()).is_some() {
            found.push(path);
        } else {
            skipped.push(path);
        }
    }
    Ok(())
}

/// Reads one file, calling `emit` for every record. Returns bytes read.
pub fn read_file(
    path: &Path,
    emit: &mut dyn FnMut(RawRecord) -> Result<(), FhirError>,
) -> Result<u64, FhirError> {
    let name = path.to_string_lossy().into_owned();
    let Some((kind, gz)) = classify(&name) else {
        return Err(FhirError::Input {
            path: path.to_path_buf(),
            reason: "unsupported file type".into(),
        });
    };
    let file = File::open(path).map_err(|e| FhirError::Read {
        path: path.to_path_buf(),
        source: e,
    })?;
    let size = file.metadata().map_or(0, |m| m.len());
    let dir: Arc<str> = Arc::from(
        path.parent()
            .map(|p| p.to_string_lossy().into_owned())
            .unwrap_or_default(),
    );
    let file_name: Arc<str> = Arc::from(name.as_str());
    let reader: Box<dyn Read> = if gz {
        Box::new(MultiGzDecoder::new(BufReader::with_capacity(1 << 16, file)))
    } else {
        Box::new(file)
    };
    let read_error = |e: std::io::Error| FhirError::Read {
        path: path.to_path_buf(),
        source: e,
    };
    match kind {
        InputKind::Ndjson => read_ndjson(reader, &file_name, &dir, emit).map_err(|e| match e {
            ReadFailure::Io(e) => read_error(e),
            ReadFailure::Emit(e) => e,
        })?,
        InputKind::Json => {
            let body = read_limited(reader).map_err(read_error)?;
            split_json(body, &file_name, &dir, emit)?;
        }
        InputKind::TarGz => read_tar(reader, &name, emit).map_err(|e| match e {
            ReadFailure::Io(e) => read_error(e),
            ReadFailure::Emit(e) => e,
        })?,
    }
    Ok(size)
}

enum ReadFailure {
    Io(std::io::Error),
    Emit(FhirError),
}

fn read_limited(reader: impl Read) -> std::io::Result<Result<Vec<u8>, String>> {
    let mut body = Vec::new();
    let n = reader
        .take(MAX_RECORD_BYTES as u64 + 1)
        .read_to_end(&mut body)?;
    if n > MAX_RECORD_BYTES {
        return Ok(Err(format!(
            "file larger than the {MAX_RECORD_BYTES} byte limit for one JSON document"
        )));
    }
    Ok(Ok(body))
}

/// Splits NDJSON into records, line by line.
fn read_ndjson(
    reader: impl Read,
    file: &Arc<str>,
    dir: &Arc<str>,
    emit: &mut dyn FnMut(RawRecord) -> Result<(), FhirError>,
) -> Result<(), ReadFailure> {
    let mut reader = BufReader::with_capacity(1 << 20, reader);
    let mut line_no = 0u64;
    let mut buf = Vec::new();
    loop {
        buf.clear();
        line_no += 1;
        let mut too_long = false;
        // Read one line without holding more than the limit.
        loop {
            let available = reader.fill_buf().map_err(ReadFailure::Io)?;
            if available.is_empty() {
                break;
            }
            let (chunk, found_newline) = match memchr::memchr(b'\n', available) {
                Some(i) => (&available[..=i], true),
                None => (available, false),
            };
            let used = chunk.len();
            if !too_long {
                if buf.len() + used > MAX_RECORD_BYTES {
                    too_long = true;
                    buf.clear();
                } else {
                    buf.extend_from_slice(chunk);
                }
            }
            reader.consume(used);
            if found_newline {
                break;
            }
        }
        if buf.is_empty() && !too_long {
            // End of input (or an empty last line).
            let at_end = reader.fill_buf().map_err(ReadFailure::Io)?.is_empty();
            if at_end {
                return Ok(());
            }
            continue;
        }
        let body = if too_long {
            Err(format!(
                "line longer than the {MAX_RECORD_BYTES} byte limit"
            ))
        } else {
            while buf.last().is_some_and(|b| *b == b'\n' || *b == b'\r') {
                buf.pop();
            }
            if buf.iter().all(u8::is_ascii_whitespace) {
                continue;
            }
            Ok(std::mem::take(&mut buf))
        };
        emit(RawRecord {
            source: SourceRef {
                file: file.clone(),
                line: Some(line_no),
                entry: None,
            },
            dir: dir.clone(),
            full_url: None,
            body,
        })
        .map_err(ReadFailure::Emit)?;
    }
}

#[derive(Deserialize)]
struct TopLevel<'a> {
    #[serde(rename = "resourceType", borrow)]
    resource_type: Option<std::borrow::Cow<'a, str>>,
    #[serde(borrow)]
    entry: Option<Vec<Option<BundleEntry<'a>>>>,
    /// Present in a Bulk Data export manifest (not a resource).
    #[serde(rename = "transactionTime")]
    transaction_time: Option<serde::de::IgnoredAny>,
    /// Present in a Bulk Data export manifest.
    output: Option<serde::de::IgnoredAny>,
}

#[derive(Deserialize)]
struct BundleEntry<'a> {
    #[serde(rename = "fullUrl")]
    full_url: Option<String>,
    #[serde(borrow)]
    resource: Option<&'a RawValue>,
}

/// Splits a JSON document: a Bundle into its entries' resources, anything
/// else is one record.
fn split_json(
    body: Result<Vec<u8>, String>,
    file: &Arc<str>,
    dir: &Arc<str>,
    emit: &mut dyn FnMut(RawRecord) -> Result<(), FhirError>,
) -> Result<(), FhirError> {
    let whole = |body: Result<Vec<u8>, String>| RawRecord {
        source: SourceRef {
            file: file.clone(),
            line: None,
            entry: None,
        },
        dir: dir.clone(),
        full_url: None,
        body,
    };
    let bytes = match body {
        Ok(bytes) => bytes,
        Err(reason) => return emit(whole(Err(reason))),
    };
    let top: TopLevel<'_> = match serde_json::from_slice(&bytes) {
        Ok(top) => top,
        // Not even the outline parses: the parser reports the whole document
        // as one bad record (with line and column).
        Err(_) => return emit(whole(Ok(bytes.clone()))),
    };
    if top.resource_type.is_none() && top.transaction_time.is_some() && top.output.is_some() {
        tracing::info!(file = %file, "skipping a Bulk Data export manifest (not a resource)");
        return Ok(());
    }
    if top.resource_type.as_deref() != Some("Bundle") {
        drop(top);
        return emit(whole(Ok(bytes)));
    }
    for (index, entry) in top.entry.unwrap_or_default().into_iter().enumerate() {
        let source = SourceRef {
            file: file.clone(),
            line: None,
            entry: Some(index as u64),
        };
        let (full_url, body) = match entry {
            None => (None, Err("Bundle entry is null".to_owned())),
            Some(entry) => match entry.resource {
                Some(raw) => (entry.full_url, Ok(raw.get().as_bytes().to_vec())),
                None => (
                    entry.full_url,
                    Err("Bundle entry has no resource".to_owned()),
                ),
            },
        };
        emit(RawRecord {
            source,
            dir: dir.clone(),
            full_url: full_url.map(Arc::from),
            body,
        })?;
    }
    Ok(())
}

/// Reads a tar archive's members in archive order.
fn read_tar(
    reader: impl Read,
    archive_name: &str,
    emit: &mut dyn FnMut(RawRecord) -> Result<(), FhirError>,
) -> Result<(), ReadFailure> {
    let mut archive = tar::Archive::new(reader);
    let entries = archive.entries().map_err(ReadFailure::Io)?;
    for entry in entries {
        let entry = entry.map_err(ReadFailure::Io)?;
        if !entry.header().entry_type().is_file() {
            continue;
        }
        let member = entry
            .path()
            .map_err(ReadFailure::Io)?
            .to_string_lossy()
            .into_owned();
        let Some((kind, gz)) = classify(&member) else {
            continue;
        };
        if kind == InputKind::TarGz {
            continue;
        }
        let file: Arc<str> = Arc::from(format!("{archive_name}!/{member}"));
        let member_dir = Path::new(&member)
            .parent()
            .map(|p| p.to_string_lossy().into_owned())
            .unwrap_or_default();
        let dir: Arc<str> = Arc::from(format!("{archive_name}!/{member_dir}"));
        let reader: Box<dyn Read> = if gz {
            Box::new(MultiGzDecoder::new(entry))
        } else {
            Box::new(entry)
        };
        if kind == InputKind::Ndjson {
            read_ndjson(reader, &file, &dir, emit)?;
        } else {
            let body = read_limited(reader).map_err(ReadFailure::Io)?;
            split_json(body, &file, &dir, emit).map_err(ReadFailure::Emit)?;
        }
    }
    Ok(())
}

/// Splits an in-memory document (an HTTP request body) into records.
pub fn read_bytes(
    name: &str,
    kind: InputKind,
    bytes: Vec<u8>,
    emit: &mut dyn FnMut(RawRecord) -> Result<(), FhirError>,
) -> Result<(), FhirError> {
    let file: Arc<str> = Arc::from(name);
    let dir: Arc<str> = Arc::from("");
    match kind {
        InputKind::Ndjson => {
            read_ndjson(bytes.as_slice(), &file, &dir, emit).map_err(|e| match e {
                ReadFailure::Io(e) => FhirError::Read {
                    path: PathBuf::from(name),
                    source: e,
                },
                ReadFailure::Emit(e) => e,
            })
        }
        InputKind::Json => {
            let body = if bytes.len() > MAX_RECORD_BYTES {
                Err(format!(
                    "document larger than the {MAX_RECORD_BYTES} byte limit"
                ))
            } else {
                Ok(bytes)
            };
            split_json(body, &file, &dir, emit)
        }
        InputKind::TarGz => Err(FhirError::Input {
            path: PathBuf::from(name),
            reason: "archives are loaded from files, not request bodies".into(),
        }),
    }
}
