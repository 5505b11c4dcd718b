//! `caregraph eval`: the recommender's evaluation protocol on a data
//! directory (see `recommender::eval`): every method on the same split, a
//! table or JSON.

use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::Context;
use chrono::{DateTime, NaiveDate, Utc};
use indicatif::{ProgressBar, ProgressStyle};
use recommender::{EvalOptions, EvalReport, Method, Projection};

use super::open_db;
use crate::recommend::CypherSource;

/// What `caregraph eval` was asked.
#[derive(Debug, Clone)]
pub struct EvalArgs {
    /// Evaluate on this cutoff instead of the 80th percentile.
    pub cutoff: Option<String>,
    /// List length.
    pub k: usize,
    /// Methods (empty: all).
    pub methods: Vec<String>,
    /// Skip tuning (use each method's default setting).
    pub no_tune: bool,
    /// Fixed PPR weights, e.g. `cond=1,recent=0.3,beta=0.15`.
    pub ppr_weights: Option<String>,
    /// Print JSON.
    pub json: bool,
}

/// Parses `2020-01-31` (midnight UTC) or an RFC 3339 date-time into
/// seconds since the epoch.
pub fn parse_cutoff(text: &str) -> anyhow::Result<i64> {
    if let Ok(dt) = DateTime::parse_from_rfc3339(text) {
        return Ok(dt.timestamp());
    }
    let date = NaiveDate::parse_from_str(text, "%Y-%m-%d").with_context(|| {
        format!("--cutoff {text}: expected YYYY-MM-DD or an RFC 3339 date-time")
    })?;
    date.and_hms_opt(0, 0, 0)
        .map(|t| t.and_utc().timestamp())
        .with_context(|| format!("--cutoff {text}: not a valid date"))
}

/// Formats seconds since the epoch as an RFC 3339 UTC date-time.
pub fn format_time(seconds: i64) -> String {
    DateTime::<Utc>::from_timestamp(seconds, 0).map_or_else(
        || seconds.to_string(),
        |t| t.format("%Y-%m-%dT%H:%M:%SZ").to_string(),
    )
}

/// A spinner on a terminal (hidden otherwise).
pub fn spinner() -> ProgressBar {
    let bar = ProgressBar::new_spinner();
    bar.set_style(
        ProgressStyle::with_template("{spinner} {elapsed} {msg}")
            .unwrap_or_else(|_| ProgressStyle::default_spinner()),
    );
    bar.enable_steady_tick(Duration::from_millis(120));
    bar
}

/// Runs the evaluation on the graph in `dir`.
pub fn run(dir: &Path, args: &EvalArgs) -> anyhow::Result<()> {
    if !dir.exists() {
        anyhow::bail!("data directory {} does not exist", dir.display());
    }
    let methods = if args.methods.is_empty() {
        Method::ALL.to_vec()
    } else {
        args.methods
            .iter()
            .map(|m| Method::parse(m))
            .collect::<Result<Vec<_>, _>>()?
    };
    let options = EvalOptions {
        cutoff: args.cutoff.as_deref().map(parse_cutoff).transpose()?,
        k: args.k.max(1),
        methods,
        tune: !args.no_tune,
        ppr_weights: args.ppr_weights.as_deref().map(str::parse).transpose()?,
        ..EvalOptions::default()
    };
    let db = open_db(dir, true)?;
    let bar = spinner();
    bar.set_message("building the projection");
    let start = Instant::now();
    let projection = Projection::build(&CypherSource::Database(&db))?;
    let build = start.elapsed().as_secs_f64();
    drop(db);
    let report = recommender::evaluate(&projection, &options, &mut |step| {
        bar.set_message(step.to_owned());
    })?;
    bar.finish_and_clear();
    if args.json {
        println!(
            "{}",
            serde_json::to_string_pretty(&report_json(&report, build))?
        );
    } else {
        print_table(&report, &projection, build);
    }
    Ok(())
}

/// The report as the JSON.
pub fn report_json(report: &EvalReport, projection_seconds: f64) -> serde_json::Value {
    let k = report.k;
    let methods: Vec<serde_json::Value> = report
        .methods
        .iter()
        .map(|r| {
            let mut m = serde_json::Map::new();
            m.insert("name".into(), r.method.name().into());
            m.insert("baseline".into(), r.method.baseline().into());
            m.insert(format!("recall@{k}"), round(r.metrics.recall).into());
            m.insert(format!("ndcg@{k}"), round(r.metrics.ndcg).into());
            m.insert(format!("hitrate@{k}"), round(r.metrics.hitrate).into());
            m.insert(format!("coverage@{k}"), round(r.metrics.coverage).into());
            m.insert("fit_seconds".into(), round(r.fit_seconds).into());
            m.insert(
                format!("validation_ndcg@{k}"),
                r.validation_ndcg.map(round).into(),
            );
            m.insert("setting".into(), r.setting.clone().into());
            serde_json::Value::Object(m)
        })
        .collect();
    serde_json::json!({
        "cutoff": format_time(report.cutoff),
        "validation_cutoffs": report.validation_cutoffs.iter().map(|&t| format_time(t)).collect::<Vec<_>>(),
        "patients_evaluated": report.patients_evaluated,
        "validation_patients": report.validation_patients,
        "k": k,
        "projection_seconds": round(projection_seconds),
        "methods": methods,
    })
}

fn round(x: f64) -> f64 {
    (x * 10_000.0).round() / 10_000.0
}

fn print_table(report: &EvalReport, projection: &Projection, build: f64) {
    let k = report.k;
    println!(
        "projection: {} patients, {} prescriptions, {} medications ({build:.2} s)",
        projection.patients.len(),
        projection.prescription_count(),
        projection.medications.len()
    );
    println!(
        "cutoff {} (validation cutoffs {}), {} patients evaluated, {} used for tuning",
        format_time(report.cutoff),
        report
            .validation_cutoffs
            .iter()
            .map(|&t| format_time(t))
            .collect::<Vec<_>>()
            .join(", "),
        report.patients_evaluated,
        report.validation_patients
    );
    println!(
        "{:<12} {:>8} {:>10} {:>9} {:>11} {:>12} {:>10} {:>9}  setting",
        "method",
        "baseline",
        format!("recall@{k}"),
        format!("ndcg@{k}"),
        format!("hitrate@{k}"),
        format!("coverage@{k}"),
        "fit (s)",
        "val ndcg"
    );
    for r in &report.methods {
        println!(
            "{:<12} {:>8} {:>10.4} {:>9.4} {:>11.4} {:>12.4} {:>10.3} {:>9}  {}",
            r.method.name(),
            if r.method.baseline() { "yes" } else { "" },
            r.metrics.recall,
            r.metrics.ndcg,
            r.metrics.hitrate,
            r.metrics.coverage,
            r.fit_seconds,
            r.validation_ndcg
                .map_or_else(|| "-".to_owned(), |v| format!("{v:.4}")),
            r.setting
        );
    }
}
