//! Output files: one buffered NDJSON writer per resource type, and the
//! Bulk Data manifest.

use std::fs::{self, File};
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use crate::error::SeedsError;
use crate::json::Line;

/// The resource types written, in manifest order (entities first, as a Bulk
/// Data loader prefers them).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Organization,
    Location,
    Practitioner,
    PractitionerRole,
    Patient,
    Medication,
    Encounter,
    Condition,
    AllergyIntolerance,
    MedicationRequest,
    Claim,
    ExplanationOfBenefit,
}

/// Every kind, in manifest order.
pub(crate) const KINDS: [Kind; 12] = [
    Kind::Organization,
    Kind::Location,
    Kind::Practitioner,
    Kind::PractitionerRole,
    Kind::Patient,
    Kind::Medication,
    Kind::Encounter,
    Kind::Condition,
    Kind::AllergyIntolerance,
    Kind::MedicationRequest,
    Kind::Claim,
    Kind::ExplanationOfBenefit,
];

impl Kind {
    /// The FHIR resource type name.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Kind::Organization => "Organization",
            Kind::Location => "Location",
            Kind::Practitioner => "Practitioner",
            Kind::PractitionerRole => "PractitionerRole",
            Kind::Patient => "Patient",
            Kind::Medication => "Medication",
            Kind::Encounter => "Encounter",
            Kind::Condition => "Condition",
            Kind::AllergyIntolerance => "AllergyIntolerance",
            Kind::MedicationRequest => "MedicationRequest",
            Kind::Claim => "Claim",
            Kind::ExplanationOfBenefit => "ExplanationOfBenefit",
        }
    }
}

/// Output buffer size per file.
const BUFFER: usize = 1 << 20;

struct Out {
    path: PathBuf,
    writer: BufWriter<File>,
    count: u64,
    bytes: u64,
}

/// Where resources go: the line being built and one writer per type.
pub(crate) struct Sink {
    /// The resource being serialised; [`Sink::emit`] writes and clears it.
    pub(crate) line: Line,
    outs: Vec<Out>,
}

/// What a finished [`Sink`] wrote: per type (in [`KINDS`] order) the file,
/// or `None` if the type had no resources (its file is removed), and counts.
pub(crate) struct Written {
    pub(crate) files: Vec<(Kind, Option<PathBuf>, u64, u64)>,
}

impl Sink {
    /// Creates (truncating) `<Type>.ndjson` for every type in `dir`.
    pub(crate) fn create(dir: &Path) -> Result<Self, SeedsError> {
        let mut outs = Vec::with_capacity(KINDS.len());
        for kind in KINDS {
            let path = dir.join(format!("{}.ndjson", kind.name()));
            let file = File::create(&path).map_err(|source| SeedsError::CreateFile {
                path: path.clone(),
                source,
            })?;
            outs.push(Out {
                path,
                writer: BufWriter::with_capacity(BUFFER, file),
                count: 0,
                bytes: 0,
            });
        }
        Ok(Sink {
            line: Line {
                buf: Vec::with_capacity(16 * 1024),
            },
            outs,
        })
    }

    /// Writes the current line, plus a newline, to the file of `kind`.
    pub(crate) fn emit(&mut self, kind: Kind) -> Result<(), SeedsError> {
        self.line.buf.push(b'\n');
        let out = &mut self.outs[kind as usize];
        out.writer
            .write_all(&self.line.buf)
            .map_err(|source| SeedsError::Write {
                path: out.path.clone(),
                source,
            })?;
        out.count += 1;
        out.bytes += self.line.buf.len() as u64;
        self.line.buf.clear();
        Ok(())
    }

    /// Resources written so far of `kind`.
    pub(crate) fn count(&self, kind: Kind) -> u64 {
        self.outs[kind as usize].count
    }

    /// Flushes every file and removes the empty ones.
    pub(crate) fn finish(self) -> Result<Written, SeedsError> {
        let mut files = Vec::with_capacity(self.outs.len());
        for (kind, out) in KINDS.into_iter().zip(self.outs) {
            let Out {
                path,
                writer,
                count,
                bytes,
            } = out;
            let file = writer.into_inner().map_err(|e| SeedsError::Write {
                path: path.clone(),
                source: e.into_error(),
            })?;
            drop(file);
            if count == 0 {
                fs::remove_file(&path).map_err(|source| SeedsError::RemoveFile {
                    path: path.clone(),
                    source,
                })?;
                files.push((kind, None, 0, 0));
            } else {
                files.push((kind, Some(path), count, bytes));
            }
        }
        Ok(Written { files })
    }
}

/// Writes `manifest.json`, shaped like a FHIR Bulk Data export's completion
/// manifest; `url`s are file names relative to the manifest so that the
/// output is identical wherever it is written. Returns its path and size.
pub(crate) fn write_manifest(
    dir: &Path,
    transaction_time: &str,
    patients: u64,
    seed: u64,
    written: &Written,
) -> Result<(PathBuf, u64), SeedsError> {
    let mut l = Line::default();
    l.raw("{\n  \"transactionTime\": \"");
    l.raw(transaction_time);
    l.raw("\",\n  \"request\": \"https://seeds.caregraph.invalid/fhir/$export?_seed=");
    l.uint(seed);
    l.raw("&_patients=");
    l.uint(patients);
    l.raw("\",\n  \"requiresAccessToken\": false,\n  \"output\": [");
    let mut first = true;
    for (kind, path, count, _) in &written.files {
        let Some(path) = path else { continue };
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default();
        l.raw(if first { "\n" } else { ",\n" });
        first = false;
        l.raw("    {\"type\": ");
        l.string(kind.name());
        l.raw(", \"url\": ");
        l.string(name);
        l.raw(", \"count\": ");
        l.uint(*count);
        l.raw("}");
    }
    l.raw("\n  ],\n  \"error\": [],\n  \"extension\": {\"generator\": \"caregraph-seeds\", \"seed\": ");
    l.uint(seed);
    l.raw(", \"patients\": ");
    l.uint(patients);
    l.raw("}\n}\n");
    let path = dir.join("manifest.json");
    fs::write(&path, &l.buf).map_err(|source| SeedsError::Write {
        path: path.clone(),
        source,
    })?;
    Ok((path, l.buf.len() as u64))
}
