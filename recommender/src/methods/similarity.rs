//! Similar patients ("similar cases"): cosine similarity of patient
//! vectors over conditions and medications (idf-weighted, conditions
//! weighted by activity), found through inverted lists; a medication
//! scores the summed similarity of the most similar patients who had it.

use crate::dataset::{Dataset, Profile};

use super::Model;

/// Features whose inverted list is longer than this are skipped when
/// searching for neighbors (their idf makes them contribute little; the
/// norms still count them).
const MAX_POSTINGS: usize = 5_000;

/// Inverted lists and norms of the patient vectors.
#[derive(Clone, Debug)]
pub struct SimilarityIndex {
    n_conds: usize,
    /// idf per feature (conditions, then medications).
    idf: Vec<f32>,
    /// Per feature: (patient, weight).
    postings: Vec<Vec<(u32, f32)>>,
    /// Norm of each patient's vector.
    norms: Vec<f32>,
}

impl SimilarityIndex {
    /// Indexes every patient of `data`.
    pub fn fit(data: &Dataset) -> SimilarityIndex {
        let n_features = data.n_conds + data.n_meds;
        let n = data.n_patients().max(1) as f32;
        let mut idf = vec![0f32; n_features];
        for (c, users) in data.cond_users.iter().enumerate() {
            idf[c] = (n / (1.0 + users.len() as f32)).ln().max(0.0) + 0.1;
        }
        for (m, users) in data.med_users.iter().enumerate() {
            idf[data.n_conds + m] = (n / (1.0 + users.len() as f32)).ln().max(0.0) + 0.1;
        }
        let mut index = SimilarityIndex {
            n_conds: data.n_conds,
            idf,
            postings: vec![Vec::new(); n_features],
            norms: Vec::with_capacity(data.n_patients()),
        };
        for (u, p) in data.profiles.iter().enumerate() {
            let features = index.features(p);
            let norm = features.iter().map(|&(_, w)| w * w).sum::<f32>().sqrt();
            for (f, w) in features {
                index.postings[f].push((u as u32, w));
            }
            index.norms.push(norm);
        }
        index
    }

    /// The weighted features of a profile.
    fn features(&self, p: &Profile) -> Vec<(usize, f32)> {
        let mut out = Vec::with_capacity(p.conds.len() + p.meds.len());
        for &(c, x) in &p.conds {
            out.push((c as usize, self.idf[c as usize] * x));
        }
        for &(m, _) in &p.meds {
            let f = self.n_conds + m as usize;
            out.push((f, self.idf[f]));
        }
        out
    }

    /// The `k` patients most similar to `profile` (never itself), with
    /// their cosine similarity, best first.
    pub fn neighbors(&self, profile: &Profile, k: usize) -> Vec<(u32, f32)> {
        let features = self.features(profile);
        let norm = features.iter().map(|&(_, w)| w * w).sum::<f32>().sqrt();
        if norm <= 0.0 {
            return Vec::new();
        }
        // Dense accumulator (zeroed pages are cheap) and the touched list.
        let mut dots = vec![0f32; self.norms.len()];
        let mut touched: Vec<u32> = Vec::new();
        for (f, w) in features {
            let list = &self.postings[f];
            if list.len() > MAX_POSTINGS {
                continue;
            }
            for &(v, x) in list {
                let slot = &mut dots[v as usize];
                if *slot == 0.0 {
                    touched.push(v);
                }
                *slot += w * x;
            }
        }
        let mut sims: Vec<(u32, f32)> = touched
            .into_iter()
            .filter(|&v| Some(v) != profile.index)
            .filter_map(|v| {
                let (d, nv) = (dots[v as usize], self.norms[v as usize]);
                (nv > 0.0 && d > 0.0).then(|| (v, d / (norm * nv)))
            })
            .collect();
        let order = |a: &(u32, f32), b: &(u32, f32)| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0));
        if sims.len() > k && k > 0 {
            // Linear-time selection of the k best, then sort only those.
            sims.select_nth_unstable_by(k - 1, order);
        }
        sims.truncate(k);
        sims.sort_unstable_by(order);
        sims
    }
}

/// User-kNN over the similarity index.
#[derive(Clone, Debug)]
pub struct Similarity {
    index: std::sync::Arc<SimilarityIndex>,
    neighbors: usize,
}

impl Similarity {
    /// Builds the index and uses `neighbors` similar patients.
    pub fn fit(data: &Dataset, neighbors: usize) -> Similarity {
        Similarity::new(std::sync::Arc::new(SimilarityIndex::fit(data)), neighbors)
    }

    /// A model over an existing index.
    pub fn new(index: std::sync::Arc<SimilarityIndex>, neighbors: usize) -> Similarity {
        Similarity { index, neighbors }
    }

    /// The index.
    pub fn index(&self) -> &SimilarityIndex {
        &self.index
    }
}

impl Model for Similarity {
    fn score(&self, data: &Dataset, profile: &Profile, out: &mut [f32]) {
        for (v, s) in self.index.neighbors(profile, self.neighbors) {
            for &(m, _) in &data.profiles[v as usize].meds {
                out[m as usize] += s;
            }
        }
    }
}
