//! `caregraph recommend`: medication suggestions for one patient, with
//! scores, evidence and interaction flags (and, on request, similar
//! patients).

use std::path::Path;

use recommender::{Method, Recommendation, Recommender, RecommenderConfig, SimilarPatient};

use super::eval::spinner;
use super::open_db;
use crate::recommend::CypherSource;

/// What `caregraph recommend` was asked.
#[derive(Debug, Clone)]
pub struct RecommendArgs {
    /// Patient id.
    pub patient: String,
    /// How many.
    pub k: usize,
    /// Method (default: ppr).
    pub method: Option<String>,
    /// Also list this many similar patients.
    pub similar: usize,
    /// Tune on the validation cut before fitting.
    pub tune: bool,
    /// Print JSON.
    pub json: bool,
}

/// The methods a recommender must fit to answer with `method`.
pub fn config_for(method: Method, tune: bool) -> RecommenderConfig {
    let methods = if method == Method::Hybrid {
        RecommenderConfig::default().methods
    } else {
        vec![method]
    };
    RecommenderConfig {
        methods,
        tune,
        default_method: method,
        ..RecommenderConfig::default()
    }
}

/// Prints recommendations for one patient of the graph in `dir`.
pub fn run(dir: &Path, args: &RecommendArgs) -> anyhow::Result<()> {
    if !dir.exists() {
        anyhow::bail!("data directory {} does not exist", dir.display());
    }
    let method = match &args.method {
        Some(name) => Method::parse(name)?,
        None => Method::Ppr,
    };
    let db = open_db(dir, true)?;
    let bar = spinner();
    bar.set_message(format!("building the projection and fitting {method}"));
    let source = CypherSource::Database(&db);
    let recommender = Recommender::build(&source, config_for(method, args.tune))?;
    bar.finish_and_clear();
    let recommendations = recommender.recommend(&args.patient, args.k.max(1), Some(method))?;
    let similar = if args.similar > 0 {
        recommender.similar_patients(&args.patient, args.similar)?
    } else {
        Vec::new()
    };
    if args.json {
        let value = serde_json::json!({
            "patient": args.patient,
            "method": method.name(),
            "recommendations": recommendations.iter().map(recommendation_json).collect::<Vec<_>>(),
            "similar_patients": similar.iter().map(similar_json).collect::<Vec<_>>(),
        });
        println!("{}", serde_json::to_string_pretty(&value)?);
        return Ok(());
    }
    println!(
        "patient {} — {} by {method}",
        args.patient,
        recommendations.len()
    );
    if recommendations.is_empty() {
        println!("  (nothing to suggest: no medication is both scored and allowed)");
    }
    for (i, r) in recommendations.iter().enumerate() {
        println!(
            "{:>2}. {} [{}]  score {:.4}",
            i + 1,
            r.display,
            r.medication_code,
            r.score
        );
        for e in &r.evidence {
            println!("      - {e}");
        }
        for f in &r.flags {
            println!(
                "      ! {} interaction with {} [{}]: {} ({}; matched {})",
                f.severity,
                f.medication_display,
                f.medication_code,
                f.description,
                f.source,
                f.basis
            );
        }
    }
    if !similar.is_empty() {
        println!("similar patients:");
        for s in &similar {
            println!(
                "  {}  similarity {:.3}  ({} shared condition(s), {} shared medication(s))",
                s.patient_id,
                s.similarity,
                s.shared_conditions.len(),
                s.shared_medications.len()
            );
        }
    }
    Ok(())
}

/// One recommendation as JSON.
pub fn recommendation_json(r: &Recommendation) -> serde_json::Value {
    serde_json::json!({
        "medication_code": &*r.medication_code,
        "display": &*r.display,
        "score": r.score,
        "evidence": r.evidence.iter().map(ToString::to_string).collect::<Vec<_>>(),
        "flags": r.flags.iter().map(|f| serde_json::json!({
            "medication_code": &*f.medication_code,
            "medication_display": &*f.medication_display,
            "severity": f.severity.to_string(),
            "description": &*f.description,
            "source": &*f.source,
            "matched_by": f.basis.to_string(),
        })).collect::<Vec<_>>(),
    })
}

/// One similar patient as JSON.
pub fn similar_json(s: &SimilarPatient) -> serde_json::Value {
    serde_json::json!({
        "patient_id": &*s.patient_id,
        "similarity": s.similarity,
        "shared_conditions": s.shared_conditions.iter().map(|c| &**c).collect::<Vec<_>>(),
        "shared_medications": s.shared_medications.iter().map(|c| &**c).collect::<Vec<_>>(),
    })
}
