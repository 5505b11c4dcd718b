//! Item-based k nearest neighbors with cosine similarity on the binary
//! patient × medication matrix (Sarwar et al. 2001; as tuned by Dacrema et
//! al. 2019: a shrink term and a neighbor count).

use crate::dataset::{Dataset, Profile};

use super::{prune_row, Model};

/// Item-kNN: `score(j) = Σ_{i ∈ patient} sim(i, j)`.
#[derive(Clone, Debug)]
pub struct ItemKnn {
    /// Per item `i`: its neighbors `j` with `sim(i, j)`, sorted by `j`.
    neighbors: Vec<Vec<(u32, f32)>>,
}

/// Patients having both medications, as a dense `n × n` row-major matrix.
pub(crate) fn cooccurrence(data: &Dataset) -> Vec<f32> {
    let n = data.n_meds;
    let mut c = vec![0f32; n * n];
    for p in &data.profiles {
        for &(i, _) in &p.meds {
            let row = &mut c[i as usize * n..(i as usize + 1) * n];
            for &(j, _) in &p.meds {
                row[j as usize] += 1.0;
            }
        }
    }
    c
}

impl ItemKnn {
    /// `sim(i, j) = |U_i ∩ U_j| / (sqrt|U_i| sqrt|U_j| + shrink)`, `sim(i, i)
    /// = 0`, keeping the `k` most similar `j` for each `i`.
    pub fn fit(data: &Dataset, k: usize, shrink: f32) -> ItemKnn {
        let n = data.n_meds;
        let c = cooccurrence(data);
        let norms: Vec<f32> = (0..n).map(|i| c[i * n + i].sqrt()).collect();
        let mut neighbors = Vec::with_capacity(n);
        let mut row = vec![0f32; n];
        for i in 0..n {
            for j in 0..n {
                let denom = norms[i] * norms[j] + shrink;
                row[j] = if i == j || denom <= 0.0 {
                    0.0
                } else {
                    c[i * n + j] / denom
                };
            }
            neighbors.push(prune_row(&row, k));
        }
        ItemKnn { neighbors }
    }

    /// The similarity of `i` to `j` (0 when `j` is not among `i`'s kept
    /// neighbors).
    pub fn similarity(&self, i: u32, j: u32) -> f32 {
        let row = &self.neighbors[i as usize];
        row.binary_search_by_key(&j, |&(m, _)| m)
            .map_or(0.0, |p| row[p].1)
    }
}

impl Model for ItemKnn {
    fn score(&self, _data: &Dataset, profile: &Profile, out: &mut [f32]) {
        for &(i, _) in &profile.meds {
            for &(j, s) in &self.neighbors[i as usize] {
                out[j as usize] += s;
            }
        }
    }
}
