#![doc = include_str!("../README.md")]

mod billing;
mod clinical;
mod error;
mod geo;
mod ids;
mod json;
mod names;
mod output;
mod patient;
mod sample;
mod tables;
mod time;
mod world;

use std::collections::{BTreeMap, HashSet};
use std::fs;
use std::path::PathBuf;

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

pub use crate::error::SeedsError;

use crate::clinical::Record;
use crate::output::{Kind, Sink};
use crate::patient::Person;
use crate::time::{days_from_civil, Tz, DAY};
use crate::world::World;

/// The resource types the generator writes, one `<Type>.ndjson` file each,
/// in the order the manifest lists them. A type that ends up with no
/// resource (only `Medication` can, in small populations) has no file.
pub const RESOURCE_TYPES: [&str; 12] = [
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

/// The largest supported population (the NPI scheme allows 10^8
/// practitioners, one per 200 patients).
pub const MAX_PATIENTS: u64 = 10_000_000_000;

// Practitioners (one per 200 patients) must all get distinct NPIs.
const _: () = assert!(MAX_PATIENTS / 200 <= ids::MAX_NPIS);

/// How often `progress` is called, in patients.
pub const PROGRESS_EVERY: u64 = 1_000;

/// What to generate, and where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GenerateOptions {
    /// Number of patients (0 is allowed: only providers are written).
    pub patients: u64,
    /// Seed of every random choice: the same `(patients, seed)` gives the
    /// same bytes.
    pub seed: u64,
    /// Output directory; created if missing. Existing files of the same
    /// names are overwritten, other files are left alone.
    pub out_dir: PathBuf,
}

/// What [`generate`] wrote.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct GenerateReport {
    /// Number of patients generated.
    pub patients: u64,
    /// Resources written per resource type (types with none are absent).
    pub resources_by_type: BTreeMap<String, u64>,
    /// Every file written: the NDJSON files in manifest order, then
    /// `manifest.json`.
    pub files: Vec<PathBuf>,
    /// Total size of [`files`](Self::files), in bytes.
    pub bytes_written: u64,
}

impl GenerateReport {
    /// Total number of resources written, all types together.
    pub fn total_resources(&self) -> u64 {
        self.resources_by_type.values().sum()
    }
}

/// The export instant ("now") of a seed: a second of the year 2025 drawn
/// from the seed. Every date in the output is at or before it.
fn export_time(seed: u64) -> i64 {
    let start = days_from_civil(2025, 1, 1) * DAY;
    let span = 365 * DAY;
    start + (ids::splitmix64(seed ^ 0x7E4D_E0F7) % span as u64) as i64
}

/// Generates a synthetic population as a FHIR R4 Bulk Data export in
/// `options.out_dir`: one NDJSON file per resource type plus
/// `manifest.json`.
///
/// Patients are generated and written one at a time, so memory stays
/// bounded whatever the population (only the providers, ~0.6% of the
/// population in number, are kept). `progress` is called with the number of
/// patients done every [`PROGRESS_EVERY`] patients and once at the end.
///
/// # Errors
///
/// [`SeedsError`] when the population is too large or an output file or
/// directory cannot be created or written.
pub fn generate(
    options: &GenerateOptions,
    progress: &mut dyn FnMut(u64),
) -> Result<GenerateReport, SeedsError> {
    if options.patients > MAX_PATIENTS {
        return Err(SeedsError::TooManyPatients {
            requested: options.patients,
            max: MAX_PATIENTS,
        });
    }
    let dir = &options.out_dir;
    fs::create_dir_all(dir).map_err(|source| SeedsError::CreateDir {
        path: dir.clone(),
        source,
    })?;
    let seed = options.seed;
    let now = export_time(seed);
    let mut world_rng = ChaCha8Rng::seed_from_u64(seed);
    let key = world_rng.get_seed();
    let world = World::generate(&mut world_rng, seed, options.patients);

    let mut sink = Sink::create(dir)?;
    world.write(&mut sink)?;

    let mut record = Record::default();
    let mut medications = HashSet::new();
    for index in 0..options.patients {
        // Each patient has its own ChaCha stream, so patients are
        // independent of each other (stream 0 is the world's).
        let mut rng = ChaCha8Rng::from_seed(key);
        rng.set_stream(index + 1);
        let person = Person::generate(&mut rng, &world, now);
        record.generate(&mut rng, &world, &person, seed, now);
        person.write(&mut sink.line);
        sink.emit(Kind::Patient)?;
        record.write(&mut sink, &world, &person, seed, &mut medications)?;
        billing::write_claims(&mut sink, &mut rng, &world, &person, &record)?;
        let done = index + 1;
        if done % PROGRESS_EVERY == 0 && done != options.patients {
            progress(done);
        }
    }
    debug_assert_eq!(sink.count(Kind::Patient), options.patients);
    let written = sink.finish()?;

    let mut transaction_time = Vec::with_capacity(25);
    time::push_datetime(
        &mut transaction_time,
        now,
        Tz {
            std_offset_min: 0,
            observes_dst: false,
        },
    );
    let transaction_time = String::from_utf8_lossy(&transaction_time).into_owned();
    let (manifest, manifest_bytes) =
        output::write_manifest(dir, &transaction_time, options.patients, seed, &written)?;

    let mut report = GenerateReport {
        patients: options.patients,
        ..GenerateReport::default()
    };
    for (kind, path, count, bytes) in written.files {
        if let Some(path) = path {
            report
                .resources_by_type
                .insert(kind.name().to_owned(), count);
            report.files.push(path);
            report.bytes_written += bytes;
        }
    }
    report.files.push(manifest);
    report.bytes_written += manifest_bytes;
    progress(options.patients);
    Ok(report)
}

/// The directory of the bundled Synthea samples (`seeds/data`), holding
/// `synthea-bulk-10/` (a 10-patient Bulk Data export, gzipped NDJSON) and
/// `synthea-ca-86/` (86 California patients as transaction Bundles in a
/// `.tar.gz`). It is found from the crate's source location at compile time.
pub fn bundled_sample_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("data")
}

/// The codes the generator writes, with their display: `(code, display)`
/// of every medication (`RxNorm`), allergy substance (`RxNorm` or SNOMED
/// CT) and condition (SNOMED CT) of its tables. Tests of the code tables
/// that read generated data (the recommender's) check them all.
pub fn generator_codes() -> GeneratorCodes {
    GeneratorCodes {
        medications: tables::ALL_DRUGS
            .iter()
            .map(|d| (d.code, d.display))
            .collect(),
        allergies: tables::ALLERGENS
            .iter()
            .map(|a| (a.code, a.display))
            .collect(),
        conditions: tables::CONDITIONS
            .iter()
            .map(|c| (c.code, c.display))
            .collect(),
    }
}

/// See [`generator_codes`].
#[derive(Clone, Debug)]
pub struct GeneratorCodes {
    /// `RxNorm` medication codes.
    pub medications: Vec<(&'static str, &'static str)>,
    /// Allergy substance codes.
    pub allergies: Vec<(&'static str, &'static str)>,
    /// Condition codes.
    pub conditions: Vec<(&'static str, &'static str)>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn export_time_is_in_2025() {
        for seed in [0, 1, 42, u64::MAX] {
            let t = export_time(seed);
            assert!(t >= days_from_civil(2025, 1, 1) * DAY);
            assert!(t < days_from_civil(2026, 1, 1) * DAY);
        }
    }

    #[test]
    fn resource_types_match_kinds() {
        let names: Vec<&str> = output::KINDS.iter().map(|k| k.name()).collect();
        assert_eq!(names, RESOURCE_TYPES);
    }

    #[test]
    fn bundled_samples_exist() {
        let dir = bundled_sample_dir();
        assert!(dir.join("synthea-bulk-10").is_dir());
        assert!(dir.join("synthea-ca-86").is_dir());
    }
}
