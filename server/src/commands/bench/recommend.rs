//! `caregraph bench recommend`: the recommender on a loaded data
//! directory: projection build time, fit time per method, recommendation
//! latency (p50/p99, uncached, evidence and safety included) per method,
//! the per-patient refresh through Cypher, memory.

use std::path::Path;
use std::time::{Duration, Instant};

use recommender::{Method, Projection, Recommender, RecommenderConfig};

use super::percentile;
use crate::commands::open_db;
use crate::http::metrics::resident_bytes;
use crate::recommend::CypherSource;

/// Runs the benchmark.
pub fn run(data_dir: &Path, methods: &[String], patients: usize, tune: bool) -> anyhow::Result<()> {
    let methods: Vec<Method> = if methods.is_empty() {
        Method::ALL.to_vec()
    } else {
        methods
            .iter()
            .map(|m| Method::parse(m))
            .collect::<Result<_, _>>()?
    };
    let db = open_db(data_dir, true)?;
    let rss_before = resident_bytes().unwrap_or(0);
    let source = CypherSource::Database(&db);
    let start = Instant::now();
    let projection = Projection::build(&source)?;
    let build = start.elapsed();
    let rss_projection = resident_bytes().unwrap_or(0);
    println!(
        "projection: {} patients, {} prescriptions, {} medications, {} conditions, {} practitioners",
        projection.patients.len(),
        projection.prescription_count(),
        projection.medications.len(),
        projection.conditions.len(),
        projection.practitioners.len()
    );
    println!(
        "projection build (Cypher, 5 queries): {:.2} s",
        build.as_secs_f64()
    );
    let ids: Vec<String> = {
        let n = projection.patients.len();
        let step = (n / patients.max(1)).max(1);
        projection
            .patients
            .iter()
            .step_by(step)
            .take(patients)
            .map(|p| p.id.to_string())
            .collect()
    };
    let config = RecommenderConfig {
        methods: methods.clone(),
        tune,
        default_method: methods.first().copied().unwrap_or(Method::Ppr),
        ..RecommenderConfig::default()
    };
    let start = Instant::now();
    let recommender = Recommender::from_projection(projection, config)?;
    let fit_total = start.elapsed();
    let stats = recommender.build_stats();
    println!(
        "fit: {:.2} s in all (tuning on the validation cut {:.2} s)",
        fit_total.as_secs_f64(),
        stats.tuning_seconds
    );
    for (method, seconds) in &stats.fit_seconds {
        println!("  {:<12} {seconds:>8.3} s", method.name());
    }
    let rss_fitted = resident_bytes().unwrap_or(0);
    println!(
        "memory: projection ~{:.1} MB, training view + co-occurrence ~{:.1} MB (estimates); process resident {:.1} MB before, {:.1} MB after the projection, {:.1} MB fitted",
        stats.projection_bytes as f64 / 1e6,
        stats.dataset_bytes as f64 / 1e6,
        rss_before as f64 / 1e6,
        rss_projection as f64 / 1e6,
        rss_fitted as f64 / 1e6
    );
    println!(
        "latency of recommend(k = 10) over {} patients (uncached; safety and evidence included):",
        ids.len()
    );
    for method in recommender.methods() {
        let mut times = Vec::with_capacity(ids.len());
        for id in &ids {
            let start = Instant::now();
            let recs = recommender.recommend(id, 10, Some(method))?;
            times.push(start.elapsed());
            std::hint::black_box(recs);
        }
        print_latency(method.name(), &times);
    }
    let mut times = Vec::with_capacity(ids.len());
    for id in &ids {
        let start = Instant::now();
        recommender.refresh_patient(&source, id)?;
        times.push(start.elapsed());
    }
    print_latency("refresh_patient (5 Cypher queries)", &times);
    Ok(())
}

fn print_latency(name: &str, times: &[Duration]) {
    if times.is_empty() {
        return;
    }
    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    let p50 = percentile(times.to_vec(), 0.5);
    let p99 = percentile(times.to_vec(), 0.99);
    let max = times.iter().max().copied().unwrap_or_default();
    println!(
        "  {name:<12} p50 {:.3} ms  p99 {:.3} ms  max {:.3} ms",
        ms(p50),
        ms(p99),
        ms(max)
    );
}
