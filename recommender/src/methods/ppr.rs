//! Personalized `PageRank` from the patient over the heterogeneous
//! neighborhood, truncated to the walks that end on a medication within
//! three steps. The walk restarts at the patient and leaves it along one of
//! eight kinds of edges, each with its own weight:
//!
//! - patient → condition → patients with it → their medications;
//! - patient → condition → prescriptions that treat it → medication;
//! - patient → condition → patients with it → the medications they
//!   started recently (first prescriptions in the two years before the
//!   cutoff) → medication;
//! - patient → prescriber → that prescriber's prescriptions *for the
//!   patient's conditions* → medication;
//! - patient → medication → patients → medication (the item walk of `RP3`);
//! - patient → prescriber → all their prescriptions → medication;
//! - patient → demographic group (gender, age band) → its recent starts →
//!   medication;
//! - patient → all recent starts → medication.
//!
//! The transition matrices of the fixed middle steps are precomputed
//! ([`PprTables`]); a query multiplies the patient's first step by them.
//! Scores are divided by `popularity^beta`. The weights are tuned by
//! coordinate ascent on the validation cut ([`tune`]).

use std::fmt;
use std::sync::Arc;

use crate::dataset::{Dataset, Profile, DEMO_GROUPS};

use super::{top_k, Model};

/// Number of walk kinds.
pub const KINDS: usize = 8;
/// Names of the walk kinds, in weight order.
pub const KIND_NAMES: [&str; KINDS] = [
    "cond",
    "treats",
    "cond_recent",
    "prac×cond",
    "med",
    "prac",
    "demo",
    "recent",
];

/// Weights of the walk kinds leaving the patient, and the popularity
/// penalty.
#[derive(Clone, Debug, PartialEq)]
pub struct PprWeights {
    /// One weight per kind, in [`KIND_NAMES`] order.
    pub kinds: [f32; KINDS],
    /// Popularity penalty exponent.
    pub beta: f32,
}

impl PprWeights {
    /// Where the coordinate ascent of [`tune`] starts: the condition walk
    /// first, the others a little.
    pub fn tuning_start() -> PprWeights {
        PprWeights {
            kinds: [1.0, 0.3, 0.0, 0.3, 0.3, 0.0, 0.3, 0.0],
            beta: 0.0,
        }
    }
}

impl Default for PprWeights {
    /// The setting used without validation data (a data set too small to
    /// have validation patients): the one [`tune`] chose on the largest
    /// validation set at hand, the generated 100,000-patient population
    /// (3,000 validation patients; `docs/benchmarks.md`), `med=3 prac=3
    /// demo=3 beta=0.3`, written here at unit scale (only ratios matter
    /// with a popularity penalty applied after the sum).
    fn default() -> Self {
        PprWeights {
            kinds: [0.0, 0.0, 0.0, 0.0, 1.0, 1.0, 1.0, 0.0],
            beta: 0.3,
        }
    }
}

impl fmt::Display for PprWeights {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (name, w) in KIND_NAMES.iter().zip(self.kinds) {
            if w > 0.0 {
                write!(f, "{name}={w} ")?;
            }
        }
        write!(f, "beta={}", self.beta)
    }
}

impl std::str::FromStr for PprWeights {
    type Err = crate::error::RecommendError;

    /// Parses `cond=1,recent=0.3,beta=0.15` (unnamed kinds are 0).
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let mut w = PprWeights {
            kinds: [0.0; KINDS],
            beta: 0.0,
        };
        for part in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let bad = || crate::error::RecommendError::UnknownMethod {
                name: format!("ppr weight {part}"),
                known: format!("{}, beta (name=number)", KIND_NAMES.join(", ")),
            };
            let (name, value) = part.split_once('=').ok_or_else(bad)?;
            let value: f32 = value.trim().parse().map_err(|_| bad())?;
            if name.trim() == "beta" {
                w.beta = value;
            } else {
                let i = KIND_NAMES
                    .iter()
                    .position(|k| *k == name.trim())
                    .ok_or_else(bad)?;
                w.kinds[i] = value;
            }
        }
        Ok(w)
    }
}

/// Row-normalized dense rows from sparse counts.
fn dense_rows(rows: &[Vec<(u32, f32)>], n: usize) -> Vec<f32> {
    let mut out = vec![0f32; rows.len() * n];
    for (r, row) in rows.iter().enumerate() {
        let total: f32 = row.iter().map(|&(_, k)| k).sum();
        if total > 0.0 {
            for &(m, k) in row {
                out[r * n + m as usize] = k / total;
            }
        }
    }
    out
}

/// The precomputed middle steps of the walks.
#[derive(Clone, Debug)]
pub struct PprTables {
    n: usize,
    /// condition → patients → medication, `n_conds × n_meds`.
    cond_cooc: Vec<f32>,
    /// condition → treating prescriptions → medication.
    cond_treats: Vec<f32>,
    /// condition → patients → recent starts → medication.
    cond_recent: Vec<f32>,
    /// medication → patients → medication, `n_meds × n_meds`.
    item: Vec<f32>,
    /// demographic group → recent starts → medication.
    demo: Vec<f32>,
    /// recent starts → medication.
    recent: Vec<f32>,
    /// Patients per medication.
    pop: Vec<f32>,
}

impl PprTables {
    /// Computes the transition matrices.
    pub fn fit(data: &Dataset) -> PprTables {
        let n = data.n_meds;
        let mut cond_cooc = vec![0f32; data.n_conds * n];
        for (c, users) in data.cond_users.iter().enumerate() {
            if users.is_empty() {
                continue;
            }
            let row = &mut cond_cooc[c * n..(c + 1) * n];
            let step = 1.0 / users.len() as f32;
            for &u in users {
                let meds = &data.profiles[u as usize].meds;
                if meds.is_empty() {
                    continue;
                }
                let w = step / meds.len() as f32;
                for &(m, _) in meds {
                    row[m as usize] += w;
                }
            }
        }
        let mut item = vec![0f32; n * n];
        for (i, users) in data.med_users.iter().enumerate() {
            if users.is_empty() {
                continue;
            }
            let row = &mut item[i * n..(i + 1) * n];
            let step = 1.0 / users.len() as f32;
            for &u in users {
                let meds = &data.profiles[u as usize].meds;
                let w = step / meds.len() as f32;
                for &(m, _) in meds {
                    row[m as usize] += w;
                }
            }
        }
        let demo_rows: Vec<Vec<(u32, f32)>> = data
            .demo_recent
            .iter()
            .map(|row| {
                row.iter()
                    .enumerate()
                    .filter(|(_, &k)| k > 0.0)
                    .map(|(m, &k)| (m as u32, k))
                    .collect()
            })
            .collect();
        debug_assert_eq!(demo_rows.len(), DEMO_GROUPS);
        let recent_row: Vec<(u32, f32)> = data
            .recent_meds
            .iter()
            .enumerate()
            .filter(|(_, &k)| k > 0.0)
            .map(|(m, &k)| (m as u32, k))
            .collect();
        PprTables {
            n,
            cond_cooc,
            cond_treats: dense_rows(&data.treats, n),
            cond_recent: dense_rows(&data.cond_recent, n),
            item,
            demo: dense_rows(&demo_rows, n),
            recent: dense_rows(&[recent_row], n),
            pop: data.med_users.iter().map(|u| u.len() as f32).collect(),
        }
    }

    /// The walk probabilities of each kind for `profile`, unweighted:
    /// `KINDS` rows of `n_meds`, concatenated.
    pub fn components(&self, data: &Dataset, profile: &Profile) -> Vec<f32> {
        let n = self.n;
        let mut out = vec![0f32; KINDS * n];
        let (cooc, rest) = out.split_at_mut(n);
        let (treats, rest) = rest.split_at_mut(n);
        let (cond_recent, rest) = rest.split_at_mut(n);
        let (prac_cond, rest) = rest.split_at_mut(n);
        let (item, rest) = rest.split_at_mut(n);
        let (prac, rest) = rest.split_at_mut(n);
        let (demo, recent) = rest.split_at_mut(n);
        let cond_total: f32 = profile.conds.iter().map(|&(_, x)| x).sum();
        if cond_total > 0.0 {
            for &(c, x) in &profile.conds {
                let c = c as usize;
                let share = x / cond_total;
                add_scaled(cooc, &self.cond_cooc[c * n..(c + 1) * n], share);
                add_scaled(treats, &self.cond_treats[c * n..(c + 1) * n], share);
                add_scaled(cond_recent, &self.cond_recent[c * n..(c + 1) * n], share);
            }
        }
        let prac_total: f32 = profile.pracs.iter().map(|&(_, x)| x).sum();
        if prac_total > 0.0 {
            for &(p, np) in &profile.pracs {
                let share_p = np / prac_total;
                if cond_total > 0.0 {
                    for &(c, x) in &profile.conds {
                        let Some(meds) = data.prac_cond_meds.get(&(p, c)) else {
                            continue;
                        };
                        let total: f32 = meds.iter().map(|&(_, k)| k).sum();
                        let share = share_p * x / cond_total / total;
                        for &(m, k) in meds {
                            prac_cond[m as usize] += share * k;
                        }
                    }
                }
                let meds = &data.prac_meds[p as usize];
                let total: f32 = meds.iter().map(|&(_, k)| k).sum();
                if total > 0.0 {
                    for &(m, k) in meds {
                        prac[m as usize] += share_p * k / total;
                    }
                }
            }
        }
        if !profile.meds.is_empty() {
            let share = 1.0 / profile.meds.len() as f32;
            for &(i, _) in &profile.meds {
                let i = i as usize;
                add_scaled(item, &self.item[i * n..(i + 1) * n], share);
            }
        }
        let g = profile.demo as usize;
        demo.copy_from_slice(&self.demo[g * n..(g + 1) * n]);
        recent.copy_from_slice(&self.recent);
        out
    }

    /// Combines components with `weights` into `out`.
    pub fn combine(&self, components: &[f32], weights: &PprWeights, out: &mut [f32]) {
        let n = self.n;
        for (k, &w) in weights.kinds.iter().enumerate() {
            if w > 0.0 {
                add_scaled(out, &components[k * n..(k + 1) * n], w);
            }
        }
        if weights.beta > 0.0 {
            for (o, &p) in out.iter_mut().zip(&self.pop) {
                if p > 0.0 {
                    *o /= p.powf(weights.beta);
                }
            }
        }
    }
}

fn add_scaled(out: &mut [f32], row: &[f32], w: f32) {
    for (o, r) in out.iter_mut().zip(row) {
        *o += w * r;
    }
}

/// A PPR model: shared tables and one setting of the weights.
#[derive(Clone, Debug)]
pub struct Ppr {
    tables: Arc<PprTables>,
    weights: PprWeights,
}

impl Ppr {
    /// A model over `tables` with `weights`.
    pub fn new(tables: Arc<PprTables>, weights: PprWeights) -> Ppr {
        Ppr { tables, weights }
    }
}

impl Model for Ppr {
    fn score(&self, data: &Dataset, profile: &Profile, out: &mut [f32]) {
        let components = self.tables.components(data, profile);
        self.tables.combine(&components, &self.weights, out);
    }
}

/// The weight steps tried per kind.
const STEPS: [f32; 5] = [0.0, 0.1, 0.3, 1.0, 3.0];
/// A change of weights is kept only when it improves validation NDCG by at
/// least this share (small validation sets would otherwise be overfitted).
const MIN_GAIN: f64 = 0.02;
/// The popularity penalties tried.
const BETAS: [f32; 3] = [0.0, 0.15, 0.3];

/// One validation fold for [`tune`].
pub struct Fold<'a> {
    /// Tables fitted on the fold's training data.
    pub tables: &'a PprTables,
    /// The fold's training data.
    pub data: &'a Dataset,
    /// Its validation patients.
    pub patients: &'a [u32],
    /// Their targets.
    pub targets: &'a [Vec<u32>],
}

/// Tunes the weights by coordinate ascent on the mean NDCG@k over the
/// patients of all `folds`, starting from [`PprWeights::tuning_start`].
pub fn tune(folds: &[Fold<'_>], k: usize) -> PprWeights {
    let cached: Vec<Vec<Vec<f32>>> = folds
        .iter()
        .map(|f| {
            f.patients
                .iter()
                .map(|&p| f.tables.components(f.data, &f.data.profiles[p as usize]))
                .collect()
        })
        .collect();
    let total_patients: usize = folds.iter().map(|f| f.patients.len()).sum();
    let mut scores = vec![0f32; folds.first().map_or(0, |f| f.tables.n)];
    let mut evaluate = |w: &PprWeights| -> f64 {
        let mut total = 0.0;
        for (fold, comps) in folds.iter().zip(&cached) {
            for ((&p, comp), target) in fold.patients.iter().zip(comps).zip(fold.targets) {
                let profile = &fold.data.profiles[p as usize];
                scores.fill(0.0);
                fold.tables.combine(comp, w, &mut scores);
                let ranking: Vec<u32> = top_k(&scores, k, |m| profile.has_med(m))
                    .into_iter()
                    .map(|(m, _)| m)
                    .collect();
                total += crate::eval::ndcg(&ranking, target, k);
            }
        }
        total / total_patients.max(1) as f64
    };
    let mut best = PprWeights::tuning_start();
    let mut best_score = evaluate(&best);
    for _pass in 0..3 {
        let mut improved = false;
        for kind in 0..KINDS {
            for step in STEPS {
                let mut w = best.clone();
                if (w.kinds[kind] - step).abs() < f32::EPSILON {
                    continue;
                }
                w.kinds[kind] = step;
                if w.kinds.iter().all(|&x| x == 0.0) {
                    continue;
                }
                let s = evaluate(&w);
                if s > best_score * (1.0 + MIN_GAIN) + 1e-9 {
                    best_score = s;
                    best = w;
                    improved = true;
                }
            }
        }
        for beta in BETAS {
            let mut w = best.clone();
            w.beta = beta;
            let s = evaluate(&w);
            if s > best_score * (1.0 + MIN_GAIN) + 1e-9 {
                best_score = s;
                best = w;
                improved = true;
            }
        }
        if !improved {
            break;
        }
    }
    best
}
