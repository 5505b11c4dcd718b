//! `FastRP` graph embeddings (Chen et al. 2019) of the heterogeneous graph
//! of patients, medications, conditions and prescribers (with the
//! condition–medication `TREATS` edges): very sparse random projections
//! averaged over neighbors for three iterations, each normalized, and
//! summed with weights. A patient is embedded at query time as the mean of
//! its neighbors' embeddings, and a medication scores its cosine with the
//! patient (divided by `popularity^beta`). Used alone and as a feature of
//! the hybrid.

use crate::dataset::{Dataset, Profile};

use super::Model;

/// Iteration weights of the final embedding.
const ITERATION_WEIGHTS: [f32; 3] = [0.5, 1.0, 1.0];

/// Embeddings of medications, conditions and prescribers.
#[derive(Clone, Debug)]
pub struct Embedding {
    dim: usize,
    beta: f32,
    /// Unit rows, `n_meds × dim`.
    meds: Vec<f32>,
    conds: Vec<f32>,
    pracs: Vec<f32>,
    pop: Vec<f32>,
}

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

fn normalize(v: &mut [f32]) {
    let n = v.iter().map(|x| x * x).sum::<f32>().sqrt();
    if n > 0.0 {
        for x in v {
            *x /= n;
        }
    }
}

impl Embedding {
    /// Fits `dim`-dimensional embeddings.
    pub fn fit(data: &Dataset, dim: usize, beta: f32) -> Embedding {
        let (nu, nm, nc, np) = (data.n_patients(), data.n_meds, data.n_conds, data.n_pracs);
        let total = nu + nm + nc + np;
        let (om, oc, op) = (nu, nu + nm, nu + nm + nc);
        // Weighted adjacency, both directions.
        let mut adj: Vec<Vec<(u32, f32)>> = vec![Vec::new(); total];
        let mut link = |a: usize, b: usize, w: f32| {
            adj[a].push((b as u32, w));
            adj[b].push((a as u32, w));
        };
        for (u, p) in data.profiles.iter().enumerate() {
            for &(m, _) in &p.meds {
                link(u, om + m as usize, 1.0);
            }
            for &(c, x) in &p.conds {
                link(u, oc + c as usize, x);
            }
            for &(pr, k) in &p.pracs {
                link(u, op + pr as usize, k.sqrt());
            }
        }
        for (c, meds) in data.treats.iter().enumerate() {
            for &(m, k) in meds {
                link(oc + c, om + m as usize, k.sqrt());
            }
        }
        let mut rng = Rng(0xD1B5_4A32_D192_ED03);
        let s = 3f32.sqrt();
        let mut current = vec![0f32; total * dim];
        for x in &mut current {
            *x = match rng.next() % 6 {
                0 => s,
                1 => -s,
                _ => 0.0,
            };
        }
        let mut result = vec![0f32; total * dim];
        let mut next = vec![0f32; total * dim];
        for &w in &ITERATION_WEIGHTS {
            next.fill(0.0);
            for (a, edges) in adj.iter().enumerate() {
                let wsum: f32 = edges.iter().map(|&(_, x)| x).sum();
                if wsum <= 0.0 {
                    continue;
                }
                let row = &mut next[a * dim..(a + 1) * dim];
                for &(b, x) in edges {
                    let src = &current[b as usize * dim..(b as usize + 1) * dim];
                    for (r, v) in row.iter_mut().zip(src) {
                        *r += x / wsum * v;
                    }
                }
                normalize(row);
            }
            for (r, v) in result.iter_mut().zip(&next) {
                *r += w * v;
            }
            std::mem::swap(&mut current, &mut next);
        }
        let take = |from: usize, n: usize| -> Vec<f32> {
            let mut v = result[from * dim..(from + n) * dim].to_vec();
            for row in v.chunks_mut(dim) {
                normalize(row);
            }
            v
        };
        Embedding {
            dim,
            beta,
            meds: take(om, nm),
            conds: take(oc, nc),
            pracs: take(op, np),
            pop: data.med_users.iter().map(|u| u.len() as f32).collect(),
        }
    }

    /// The patient's embedding: the weighted mean of its neighbors'.
    pub fn patient(&self, profile: &Profile) -> Vec<f32> {
        let d = self.dim;
        let mut v = vec![0f32; d];
        let mut add = |table: &[f32], i: u32, w: f32| {
            for (x, y) in v
                .iter_mut()
                .zip(&table[i as usize * d..(i as usize + 1) * d])
            {
                *x += w * y;
            }
        };
        for &(m, _) in &profile.meds {
            add(&self.meds, m, 1.0);
        }
        for &(c, x) in &profile.conds {
            add(&self.conds, c, x);
        }
        for &(p, k) in &profile.pracs {
            add(&self.pracs, p, k.sqrt());
        }
        normalize(&mut v);
        v
    }
}

impl Model for Embedding {
    fn score(&self, _data: &Dataset, profile: &Profile, out: &mut [f32]) {
        let u = self.patient(profile);
        if u.iter().all(|&x| x == 0.0) {
            return;
        }
        for (m, o) in out.iter_mut().enumerate() {
            let e = &self.meds[m * self.dim..(m + 1) * self.dim];
            let cos: f32 = u.iter().zip(e).map(|(a, b)| a * b).sum();
            let pop = self.pop[m];
            *o += if self.beta > 0.0 && pop > 0.0 {
                (cos + 1.0) / pop.powf(self.beta)
            } else {
                cos
            };
        }
    }
}
