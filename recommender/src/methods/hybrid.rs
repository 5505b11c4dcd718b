//! The hybrid: weighted reciprocal-rank fusion of several fitted methods,
//! `score(m) = Σ_c w_c / (K + rank_c(m))` over each method's top
//! [`DEPTH`] (the patient's own medications left out of the ranks). The
//! weights are tuned by coordinate ascent on a validation cut that lies
//! before the test period ([`tune_weights`]).

use std::sync::Arc;

use crate::dataset::{Dataset, Profile};

use super::{top_k, Method, Model};

/// Ranks beyond this do not count.
pub const DEPTH: usize = 50;
/// The rank offset `K` of reciprocal-rank fusion.
pub const RANK_OFFSET: f32 = 10.0;
/// The weights tried for each component.
const WEIGHT_STEPS: [f32; 6] = [0.0, 0.25, 0.5, 1.0, 2.0, 4.0];

/// Fused methods and their weights.
#[derive(Clone)]
pub struct Hybrid {
    components: Vec<(Method, Arc<dyn Model>, f32)>,
}

impl std::fmt::Debug for Hybrid {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list()
            .entries(self.components.iter().map(|(m, _, w)| (m.name(), w)))
            .finish()
    }
}

impl Hybrid {
    /// Fuses `components` with their weights (zero weights are dropped).
    pub fn new(components: Vec<(Method, Arc<dyn Model>, f32)>) -> Hybrid {
        Hybrid {
            components: components.into_iter().filter(|c| c.2 > 0.0).collect(),
        }
    }

    /// The components and weights, for reports.
    pub fn weights(&self) -> Vec<(Method, f32)> {
        self.components.iter().map(|(m, _, w)| (*m, *w)).collect()
    }
}

/// The medications a model ranks best for `profile`, its own left out.
pub fn ranked(model: &dyn Model, data: &Dataset, profile: &Profile, depth: usize) -> Vec<u32> {
    let mut scores = vec![0f32; data.n_meds];
    model.score(data, profile, &mut scores);
    top_k(&scores, depth, |m| profile.has_med(m))
        .into_iter()
        .map(|(m, _)| m)
        .collect()
}

/// Adds the fused score of ranked lists to `out`.
pub fn fuse(lists: &[&[u32]], weights: &[f32], out: &mut [f32]) {
    for (list, &w) in lists.iter().zip(weights) {
        if w <= 0.0 {
            continue;
        }
        for (rank, &m) in list.iter().enumerate() {
            out[m as usize] += w / (RANK_OFFSET + rank as f32);
        }
    }
}

impl Model for Hybrid {
    fn score(&self, data: &Dataset, profile: &Profile, out: &mut [f32]) {
        for (_, model, w) in &self.components {
            let list = ranked(model.as_ref(), data, profile, DEPTH);
            fuse(&[&list], &[*w], out);
        }
    }
}

/// NDCG@k of fused lists against `targets`, averaged over patients.
/// `lists[c][p]` is component `c`'s ranking for patient `p`.
pub fn fused_ndcg(
    lists: &[Vec<Vec<u32>>],
    weights: &[f32],
    targets: &[Vec<u32>],
    n_meds: usize,
    k: usize,
) -> f64 {
    let mut scores = vec![0f32; n_meds];
    let mut total = 0.0;
    for (p, target) in targets.iter().enumerate() {
        scores.fill(0.0);
        let per: Vec<&[u32]> = lists.iter().map(|c| c[p].as_slice()).collect();
        fuse(&per, weights, &mut scores);
        let top = top_k(&scores, k, |m| scores[m as usize] <= 0.0);
        let ranking: Vec<u32> = top.into_iter().map(|(m, _)| m).collect();
        total += crate::eval::ndcg(&ranking, target, k);
    }
    total / targets.len().max(1) as f64
}

/// Coordinate ascent over the weights: start from the best single
/// component, then sweep each weight over a few steps while NDCG@k on the
/// validation targets improves.
pub fn tune_weights(
    lists: &[Vec<Vec<u32>>],
    targets: &[Vec<u32>],
    n_meds: usize,
    k: usize,
) -> Vec<f32> {
    let n = lists.len();
    let mut best = vec![0f32; n];
    let mut best_score = -1.0;
    for c in 0..n {
        let mut w = vec![0f32; n];
        w[c] = 1.0;
        let s = fused_ndcg(lists, &w, targets, n_meds, k);
        if s > best_score {
            best_score = s;
            best = w;
        }
    }
    for _pass in 0..3 {
        let mut improved = false;
        for c in 0..n {
            for step in WEIGHT_STEPS {
                if (best[c] - step).abs() < f32::EPSILON {
                    continue;
                }
                let mut w = best.clone();
                w[c] = step;
                if w.iter().all(|&x| x == 0.0) {
                    continue;
                }
                let s = fused_ndcg(lists, &w, targets, n_meds, k);
                if s > best_score + 1e-9 {
                    best_score = s;
                    best = w;
                    improved = true;
                }
            }
        }
        if !improved {
            break;
        }
    }
    best
}
