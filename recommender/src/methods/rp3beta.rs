//! `RP3beta` (Paudel et al. 2017; Christoffel et al. 2015): the probability
//! of reaching item `j` from item `i` in a two-step walk item → patient →
//! item, each transition probability raised to `alpha`, divided by
//! `popularity(j)^beta`.

use crate::dataset::{Dataset, Profile};

use super::{prune_row, Model};

/// `RP3beta`: `score(j) = Σ_{i ∈ patient} W(i, j)` with
/// `W(i, j) = Σ_u (1/|U_i|)^α (1/|M_u|)^α / |U_j|^β`.
#[derive(Clone, Debug)]
pub struct Rp3beta {
    /// Per item `i`: `(j, W(i, j))`, the `k` largest, sorted by `j`.
    weights: Vec<Vec<(u32, f32)>>,
}

impl Rp3beta {
    /// Computes `W` and keeps the `k` largest entries per row.
    pub fn fit(data: &Dataset, alpha: f32, beta: f32, k: usize) -> Rp3beta {
        let n = data.n_meds;
        // Σ_u over patients having both i and j of |M_u|^-α.
        let mut walk = vec![0f32; n * n];
        for p in &data.profiles {
            if p.meds.is_empty() {
                continue;
            }
            let step = (p.meds.len() as f32).powf(-alpha);
            for &(i, _) in &p.meds {
                let row = &mut walk[i as usize * n..(i as usize + 1) * n];
                for &(j, _) in &p.meds {
                    row[j as usize] += step;
                }
            }
        }
        let pop: Vec<f32> = (0..n).map(|i| data.popularity(i as u32) as f32).collect();
        let mut weights = Vec::with_capacity(n);
        let mut row = vec![0f32; n];
        for i in 0..n {
            let first = if pop[i] > 0.0 {
                pop[i].powf(-alpha)
            } else {
                0.0
            };
            for j in 0..n {
                let penalty = if pop[j] > 0.0 { pop[j].powf(beta) } else { 1.0 };
                row[j] = first * walk[i * n + j] / penalty;
            }
            weights.push(prune_row(&row, k));
        }
        Rp3beta { weights }
    }

    /// `W(i, j)` as kept.
    pub fn weight(&self, i: u32, j: u32) -> f32 {
        let row = &self.weights[i as usize];
        row.binary_search_by_key(&j, |&(m, _)| m)
            .map_or(0.0, |p| row[p].1)
    }
}

impl Model for Rp3beta {
    fn score(&self, _data: &Dataset, profile: &Profile, out: &mut [f32]) {
        for &(i, _) in &profile.meds {
            for &(j, w) in &self.weights[i as usize] {
                out[j as usize] += w;
            }
        }
    }
}
