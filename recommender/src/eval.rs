//! The evaluation protocol (issue 5, kept exactly):
//!
//! - interactions are (patient, `RxNorm` code) from prescriptions with an
//!   `authoredOn`;
//! - the global cutoff `T` is the `authoredOn` at the 80th percentile of all
//!   prescriptions (nearest rank);
//! - training data is everything before `T` (prescriptions, conditions with
//!   onset before `T`, ...);
//! - a patient's test set is the medications first prescribed to them at or
//!   after `T` that they never had before `T`;
//! - patients with at least one training prescription and one test
//!   medication are evaluated; their training medications are left out of
//!   the ranking;
//! - Recall@k (hits / test size), NDCG@k (binary gains), `HitRate@k`,
//!   catalog coverage@k, fit time.
//!
//! Tuning (hyperparameters and hybrid weights) uses only data before `T`:
//! rolling-origin validation folds. The first cut `T_1` is the 80th
//! percentile of the prescriptions before `T` (fit before `T_1`, score the
//! medications new in `[T_1, T)`); the next fold does the same before
//! `T_1`, and so on ([`validation_folds`]). A setting is chosen by its mean
//! NDCG@k over all fold patients.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Instant;

use crate::dataset::Dataset;
use crate::error::{RecommendError, Result};
use crate::methods::{self, hybrid, top_k, Method, MethodConfig, Model};
use crate::projection::Projection;

/// The time at the `q`-th quantile of sorted `times` (nearest rank).
pub fn percentile(times: &[i64], q: f64) -> Option<i64> {
    if times.is_empty() {
        return None;
    }
    let rank = ((q * times.len() as f64).ceil() as usize).clamp(1, times.len());
    Some(times[rank - 1])
}

/// Rolling-origin validation folds before `end` (`None`: after all data):
/// fold `i` fits before the 80th percentile `T_i` of the prescriptions
/// before `T_{i-1}` (`T_0 = end`) and targets the medications new in
/// `[T_i, T_{i-1})`. Each keeps at most `max_patients / folds` patients.
pub fn validation_folds(
    projection: &Projection,
    end: Option<i64>,
    folds: usize,
    max_patients: usize,
) -> Vec<Split> {
    let times = projection.prescription_times();
    let mut out = Vec::new();
    let mut upper = end;
    for _ in 0..folds {
        let before: Vec<i64> = times
            .iter()
            .copied()
            .filter(|&t| upper.is_none_or(|u| t < u))
            .collect();
        let Some(cut) = percentile(&before, 0.8) else {
            break;
        };
        if upper == Some(cut) {
            break;
        }
        let mut split = Split::new(projection, cut, upper);
        split.sample(max_patients / folds.max(1));
        if !split.patients.is_empty() {
            out.push(split);
        }
        upper = Some(cut);
    }
    out
}

/// A train/test split.
#[derive(Clone, Debug)]
pub struct Split {
    /// The cutoff.
    pub cutoff: i64,
    /// Training data (everything before the cutoff).
    pub train: Dataset,
    /// Evaluated patients (indexes).
    pub patients: Vec<u32>,
    /// Their target medications, sorted.
    pub targets: Vec<Vec<u32>>,
}

impl Split {
    /// Training before `cutoff`; targets the medications first prescribed
    /// in `[cutoff, end)` (`end` `None`: no end) and never before.
    pub fn new(projection: &Projection, cutoff: i64, end: Option<i64>) -> Split {
        let train = Dataset::new(projection, Some(cutoff));
        let mut patients = Vec::new();
        let mut targets = Vec::new();
        for (i, record) in projection.patients.iter().enumerate() {
            let profile = &train.profiles[i];
            if profile.meds.is_empty() {
                continue;
            }
            let mut new: Vec<u32> = record
                .prescriptions
                .iter()
                .filter(|rx| {
                    rx.time
                        .is_some_and(|t| t >= cutoff && end.is_none_or(|e| t < e))
                })
                .map(|rx| rx.med)
                .filter(|&m| !profile.has_med(m))
                .collect();
            new.sort_unstable();
            new.dedup();
            if !new.is_empty() {
                patients.push(i as u32);
                targets.push(new);
            }
        }
        Split {
            cutoff,
            train,
            patients,
            targets,
        }
    }

    /// Keeps at most `max` evaluated patients, evenly spaced.
    pub fn sample(&mut self, max: usize) {
        if self.patients.len() <= max || max == 0 {
            return;
        }
        let step = self.patients.len() as f64 / max as f64;
        let keep: Vec<usize> = (0..max).map(|i| (i as f64 * step) as usize).collect();
        self.patients = keep.iter().map(|&i| self.patients[i]).collect();
        self.targets = keep.iter().map(|&i| self.targets[i].clone()).collect();
    }
}

/// NDCG@k with binary gains of `ranking` against the sorted `target`.
pub fn ndcg(ranking: &[u32], target: &[u32], k: usize) -> f64 {
    let dcg: f64 = ranking
        .iter()
        .take(k)
        .enumerate()
        .filter(|(_, m)| target.binary_search(m).is_ok())
        .map(|(i, _)| 1.0 / (i as f64 + 2.0).log2())
        .sum();
    let ideal: f64 = (0..target.len().min(k))
        .map(|i| 1.0 / (i as f64 + 2.0).log2())
        .sum();
    if ideal > 0.0 {
        dcg / ideal
    } else {
        0.0
    }
}

/// Accuracy figures of one method on one split.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Metrics {
    /// Mean of hits / test size.
    pub recall: f64,
    /// Mean NDCG@k.
    pub ndcg: f64,
    /// Share of patients with at least one hit.
    pub hitrate: f64,
    /// Share of the catalog recommended to at least one patient.
    pub coverage: f64,
}

/// The top-`k` list of `model` for each evaluated patient, their training
/// medications left out.
pub fn rankings(model: &dyn Model, split: &Split, k: usize) -> Vec<Vec<u32>> {
    let mut scores = vec![0f32; split.train.n_meds];
    split
        .patients
        .iter()
        .map(|&p| {
            let profile = &split.train.profiles[p as usize];
            scores.fill(0.0);
            model.score(&split.train, profile, &mut scores);
            top_k(&scores, k, |m| profile.has_med(m))
                .into_iter()
                .map(|(m, _)| m)
                .collect()
        })
        .collect()
}

/// Scores rankings against the split's targets.
pub fn metrics(rankings: &[Vec<u32>], split: &Split, k: usize) -> Metrics {
    let n = split.patients.len().max(1) as f64;
    let mut m = Metrics::default();
    let mut seen = vec![false; split.train.n_meds];
    for (ranking, target) in rankings.iter().zip(&split.targets) {
        let hits = ranking
            .iter()
            .take(k)
            .filter(|x| target.binary_search(x).is_ok())
            .count();
        m.recall += hits as f64 / target.len() as f64;
        m.hitrate += f64::from(u8::from(hits > 0));
        m.ndcg += ndcg(ranking, target, k);
        for &x in ranking.iter().take(k) {
            seen[x as usize] = true;
        }
    }
    m.recall /= n;
    m.hitrate /= n;
    m.ndcg /= n;
    m.coverage = seen.iter().filter(|&&s| s).count() as f64 / seen.len().max(1) as f64;
    m
}

/// What to evaluate.
#[derive(Clone, Debug)]
pub struct EvalOptions {
    /// The cutoff (default: the 80th percentile of prescription times).
    pub cutoff: Option<i64>,
    /// List length.
    pub k: usize,
    /// Methods, in report order.
    pub methods: Vec<Method>,
    /// Tune hyperparameters on the validation cut (otherwise the defaults).
    pub tune: bool,
    /// Most validation patients used for tuning (over all folds).
    pub max_tuning_patients: usize,
    /// Rolling-origin validation folds.
    pub folds: usize,
    /// Fixed PPR weights (not tuned).
    pub ppr_weights: Option<methods::ppr::PprWeights>,
}

impl Default for EvalOptions {
    fn default() -> Self {
        EvalOptions {
            cutoff: None,
            k: 10,
            methods: Method::ALL.to_vec(),
            tune: true,
            max_tuning_patients: 3_000,
            folds: 3,
            ppr_weights: None,
        }
    }
}

/// One method's line of the report.
#[derive(Clone, Debug, PartialEq)]
pub struct MethodResult {
    /// The method.
    pub method: Method,
    /// The setting chosen on the validation cut.
    pub setting: String,
    /// Test metrics.
    pub metrics: Metrics,
    /// Seconds to fit on the training data (the hybrid: its components').
    pub fit_seconds: f64,
    /// Mean NDCG@k of the chosen setting on the validation folds (before
    /// the cutoff; `None` without tuning).
    pub validation_ndcg: Option<f64>,
}

/// The evaluation report.
#[derive(Clone, Debug, PartialEq)]
pub struct EvalReport {
    /// The cutoff `T`, seconds since the epoch.
    pub cutoff: i64,
    /// The validation cutoffs, newest first.
    pub validation_cutoffs: Vec<i64>,
    /// Patients evaluated on the test period.
    pub patients_evaluated: usize,
    /// Validation patients used for tuning.
    pub validation_patients: usize,
    /// List length.
    pub k: usize,
    /// One line per method.
    pub methods: Vec<MethodResult>,
}

/// A setting, its validation rankings (all folds' patients, in order) and
/// its mean validation NDCG@k.
type Tuned = (MethodConfig, Vec<Vec<u32>>, f64);

/// Picks the setting of `method` with the best mean NDCG@k over the
/// patients of all `folds`.
fn tune(method: Method, folds: &[Split], options: &EvalOptions) -> Result<Tuned> {
    let k = options.k;
    let candidates = if let (Method::Ppr, Some(w)) = (method, &options.ppr_weights) {
        vec![MethodConfig::Ppr(w.clone())]
    } else if method == Method::Ppr {
        let tables: Vec<methods::ppr::PprTables> = folds
            .iter()
            .map(|f| methods::ppr::PprTables::fit(&f.train))
            .collect();
        let fold_refs: Vec<methods::ppr::Fold<'_>> = folds
            .iter()
            .zip(&tables)
            .map(|(f, t)| methods::ppr::Fold {
                tables: t,
                data: &f.train,
                patients: &f.patients,
                targets: &f.targets,
            })
            .collect();
        vec![MethodConfig::Ppr(methods::ppr::tune(&fold_refs, k))]
    } else {
        method.candidates()
    };
    let mut per_candidate: Vec<(f64, Vec<Vec<u32>>)> = vec![(0.0, Vec::new()); candidates.len()];
    for fold in folds {
        let fitted = methods::fit_all(&candidates, &fold.train)?;
        for ((_, model), slot) in fitted.iter().zip(&mut per_candidate) {
            let ranked = rankings(model.as_ref(), fold, hybrid::DEPTH.max(k));
            slot.0 += metrics(&ranked, fold, k).ndcg * fold.patients.len() as f64;
            slot.1.extend(ranked);
        }
    }
    let best = per_candidate
        .into_iter()
        .zip(candidates)
        .enumerate()
        .max_by(|(i, ((a, _), _)), (j, ((b, _), _))| a.total_cmp(b).then(j.cmp(i)));
    let patients: usize = folds.iter().map(|f| f.patients.len()).sum();
    best.map(|(_, ((total, lists), config))| (config, lists, total / patients.max(1) as f64))
        .ok_or(RecommendError::NoEvaluablePatients)
}

/// The methods to fit for `methods`: all but the hybrid, or (the hybrid
/// alone) every other method.
pub fn hybrid_components(methods: &[Method]) -> Vec<Method> {
    let components: Vec<Method> = methods
        .iter()
        .copied()
        .filter(|&m| m != Method::Hybrid)
        .collect();
    if components.is_empty() {
        Method::ALL
            .into_iter()
            .filter(|&m| m != Method::Hybrid)
            .collect()
    } else {
        components
    }
}

/// The settings chosen for each method and the hybrid's weights (in
/// `components` order).
#[derive(Clone, Debug)]
pub struct Selection {
    /// Setting per method.
    pub settings: HashMap<Method, MethodConfig>,
    /// Hybrid weight per component.
    pub weights: Vec<f32>,
    /// Mean validation NDCG@k per method (the hybrid's with its weights);
    /// empty without validation folds.
    pub validation_ndcg: HashMap<Method, f64>,
}

/// Tunes each of `components` on the validation `folds` (when there are
/// any; otherwise the defaults, or `options.ppr_weights` for PPR) and, with
/// `hybrid`, the fusion weights.
pub fn select(
    components: &[Method],
    hybrid: bool,
    folds: &[Split],
    options: &EvalOptions,
    progress: &mut dyn FnMut(&str),
) -> Result<Selection> {
    let mut settings: HashMap<Method, MethodConfig> = HashMap::new();
    let mut validation_lists: Vec<Vec<Vec<u32>>> = Vec::new();
    let mut validation_ndcg: HashMap<Method, f64> = HashMap::new();
    for &method in components {
        if !folds.is_empty() {
            progress(&format!("tuning {method} on the validation folds"));
            let (config, lists, ndcg) = tune(method, folds, options)?;
            settings.insert(method, config);
            validation_ndcg.insert(method, ndcg);
            validation_lists.push(lists);
        } else if let (Method::Ppr, Some(w)) = (method, &options.ppr_weights) {
            settings.insert(method, MethodConfig::Ppr(w.clone()));
        } else {
            settings.insert(method, method.default_config());
        }
    }
    let weights = match folds.first() {
        Some(first) if hybrid => {
            let targets: Vec<Vec<u32>> = folds.iter().flat_map(|f| f.targets.clone()).collect();
            progress("tuning the hybrid's weights");
            let truncated: Vec<Vec<Vec<u32>>> = validation_lists
                .iter()
                .map(|c| {
                    c.iter()
                        .map(|l| l.iter().copied().take(hybrid::DEPTH).collect())
                        .collect()
                })
                .collect();
            let weights = hybrid::tune_weights(&truncated, &targets, first.train.n_meds, options.k);
            validation_ndcg.insert(
                Method::Hybrid,
                hybrid::fused_ndcg(
                    &truncated,
                    &weights,
                    &targets,
                    first.train.n_meds,
                    options.k,
                ),
            );
            weights
        }
        _ => vec![1.0; components.len()],
    };
    Ok(Selection {
        settings,
        weights,
        validation_ndcg,
    })
}

/// Runs the protocol on `projection`, reporting progress to `progress`.
pub fn evaluate(
    projection: &Projection,
    options: &EvalOptions,
    progress: &mut dyn FnMut(&str),
) -> Result<EvalReport> {
    let times = projection.prescription_times();
    let cutoff = match options.cutoff {
        Some(c) => c,
        None => percentile(&times, 0.8).ok_or(RecommendError::NoPrescriptions)?,
    };
    progress("building the test split");
    let test = Split::new(projection, cutoff, None);
    if test.patients.is_empty() {
        return Err(RecommendError::NoEvaluablePatients);
    }
    progress("building the validation folds");
    let folds = if options.tune {
        validation_folds(
            projection,
            Some(cutoff),
            options.folds,
            options.max_tuning_patients,
        )
    } else {
        Vec::new()
    };

    let wants_hybrid = options.methods.contains(&Method::Hybrid);
    let components = hybrid_components(&options.methods);
    let tuned = select(&components, wants_hybrid, &folds, options, progress)?;
    let (settings, weights, validation) = (tuned.settings, tuned.weights, tuned.validation_ndcg);

    let mut results = Vec::new();
    let mut fitted: Vec<(Method, Arc<dyn Model>, f64)> = Vec::new();
    for &method in &components {
        progress(&format!("fitting {method}"));
        let config = settings
            .get(&method)
            .cloned()
            .unwrap_or_else(|| method.default_config());
        let start = Instant::now();
        let model = methods::fit(&config, &test.train)?;
        let seconds = start.elapsed().as_secs_f64();
        fitted.push((method, model.clone(), seconds));
        if options.methods.contains(&method) {
            progress(&format!("scoring {method}"));
            let ranked = rankings(model.as_ref(), &test, options.k);
            results.push(MethodResult {
                method,
                setting: config.to_string(),
                metrics: metrics(&ranked, &test, options.k),
                fit_seconds: seconds,
                validation_ndcg: validation.get(&method).copied(),
            });
        }
    }
    if wants_hybrid {
        progress("scoring hybrid");
        let parts: Vec<(Method, Arc<dyn Model>, f32)> = fitted
            .iter()
            .zip(&weights)
            .map(|((m, model, _), &w)| (*m, model.clone(), w))
            .collect();
        let seconds: f64 = fitted
            .iter()
            .zip(&weights)
            .filter(|(_, &w)| w > 0.0)
            .map(|((_, _, s), _)| s)
            .sum();
        let model = hybrid::Hybrid::new(parts);
        let setting = model
            .weights()
            .iter()
            .map(|(m, w)| format!("{m}={w}"))
            .collect::<Vec<_>>()
            .join(" ");
        let ranked = rankings(&model, &test, options.k);
        results.push(MethodResult {
            method: Method::Hybrid,
            setting,
            metrics: metrics(&ranked, &test, options.k),
            fit_seconds: seconds,
            validation_ndcg: validation.get(&Method::Hybrid).copied(),
        });
    }
    results.sort_by_key(|r| {
        options
            .methods
            .iter()
            .position(|&m| m == r.method)
            .unwrap_or(usize::MAX)
    });
    Ok(EvalReport {
        cutoff,
        validation_cutoffs: folds.iter().map(|f| f.cutoff).collect(),
        patients_evaluated: test.patients.len(),
        validation_patients: folds.iter().map(|f| f.patients.len()).sum(),
        k: options.k,
        methods: results,
    })
}
