//! `caregraph generate`: a synthetic population as a FHIR Bulk Data export.

use std::path::Path;
use std::time::Instant;

use indicatif::{ProgressBar, ProgressStyle};

/// Runs the generator with a progress bar.
pub fn run(patients: u64, seed: u64, out: &Path) -> anyhow::Result<()> {
    let bar = ProgressBar::new(patients);
    bar.set_style(
        ProgressStyle::with_template(
            "generating [{bar:40}] {pos}/{len} patients ({per_sec}, {eta})",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar())
        .progress_chars("=> "),
    );
    let started = Instant::now();
    let report = seeds::generate(
        &seeds::GenerateOptions {
            patients,
            seed,
            out_dir: out.to_path_buf(),
        },
        &mut |done| bar.set_position(done),
    )?;
    bar.finish_and_clear();
    println!(
        "wrote {} patients, {} resources, {:.1} MB to {} in {:.1} s",
        report.patients,
        report.total_resources(),
        report.bytes_written as f64 / 1e6,
        out.display(),
        started.elapsed().as_secs_f64()
    );
    for (resource_type, count) in &report.resources_by_type {
        println!("  {resource_type:<22} {count:>12}");
    }
    Ok(())
}
