//! Generates a population and prints what was written and how long it took.
//!
//! ```text
//! cargo run --release -p seeds --example gen -- <patients> <seed> <out_dir>
//! ```

use std::path::PathBuf;
use std::time::Instant;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let patients = args.next().map_or(Ok(1_000), |a| a.parse())?;
    let seed = args.next().map_or(Ok(42), |a| a.parse())?;
    let out_dir = args
        .next()
        .map_or_else(|| std::env::temp_dir().join("seeds-gen"), PathBuf::from);
    let options = seeds::GenerateOptions {
        patients,
        seed,
        out_dir,
    };
    let started = Instant::now();
    let report = seeds::generate(&options, &mut |done| {
        if done % 100_000 == 0 {
            eprintln!("{done} patients");
        }
    })?;
    let secs = started.elapsed().as_secs_f64();
    for (kind, count) in &report.resources_by_type {
        println!("{kind:>22} {count:>12}");
    }
    println!(
        "{} patients, {} resources, {:.1} MiB in {:.2} s ({:.0} patients/s, {:.0} MiB/s) -> {}",
        report.patients,
        report.total_resources(),
        report.bytes_written as f64 / 1_048_576.0,
        secs,
        report.patients as f64 / secs,
        report.bytes_written as f64 / 1_048_576.0 / secs,
        options.out_dir.display()
    );
    Ok(())
}
