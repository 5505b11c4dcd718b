//! The methods: baselines (popularity, item-kNN, `RP3beta`, EASE, iALS) and
//! graph methods (personalized `PageRank` over the heterogeneous
//! neighborhood, patient similarity, `FastRP` embeddings, a rank-fusion
//! hybrid). Each is fitted on a [`Dataset`] into a [`Model`] that scores
//! every medication for a [`Profile`].

pub mod ease;
pub mod embedding;
pub mod hybrid;
pub mod ials;
pub mod itemknn;
pub mod popularity;
pub mod ppr;
pub mod rp3beta;
pub mod similarity;

use std::fmt;
use std::sync::Arc;

use crate::dataset::{Dataset, Profile};
use crate::error::{RecommendError, Result};

/// A fitted method.
pub trait Model: Send + Sync {
    /// Adds the score of every medication for `profile` into `out`
    /// (length [`Dataset::n_meds`], zeroed by the caller). Higher is better.
    fn score(&self, data: &Dataset, profile: &Profile, out: &mut [f32]);
}

/// The methods by name.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Method {
    /// Patients per medication.
    Popularity,
    /// Item-based k nearest neighbors, cosine similarity.
    ItemKnn,
    /// Random walks of length 3 with popularity penalty (Paudel et al.).
    Rp3beta,
    /// Embarrassingly shallow autoencoder (Steck 2019).
    Ease,
    /// Implicit alternating least squares (Hu, Koren, Volinsky 2008).
    Ials,
    /// Personalized `PageRank` (random walk with restart) from the patient
    /// over conditions, prescribers, medications and demographics.
    Ppr,
    /// Similar patients by condition and medication vectors.
    Similarity,
    /// `FastRP` graph embeddings.
    Embedding,
    /// Weighted reciprocal-rank fusion of the others.
    Hybrid,
}

impl Method {
    /// Every method, baselines first.
    pub const ALL: [Method; 9] = [
        Method::Popularity,
        Method::ItemKnn,
        Method::Rp3beta,
        Method::Ease,
        Method::Ials,
        Method::Ppr,
        Method::Similarity,
        Method::Embedding,
        Method::Hybrid,
    ];

    /// The name used on the command line and in reports.
    pub fn name(self) -> &'static str {
        match self {
            Method::Popularity => "popularity",
            Method::ItemKnn => "itemknn",
            Method::Rp3beta => "rp3beta",
            Method::Ease => "ease",
            Method::Ials => "ials",
            Method::Ppr => "ppr",
            Method::Similarity => "similarity",
            Method::Embedding => "embedding",
            Method::Hybrid => "hybrid",
        }
    }

    /// `true` for the published baselines (interaction matrix only).
    pub fn baseline(self) -> bool {
        matches!(
            self,
            Method::Popularity | Method::ItemKnn | Method::Rp3beta | Method::Ease | Method::Ials
        )
    }

    /// The method named `name`.
    pub fn parse(name: &str) -> Result<Method> {
        Method::ALL
            .into_iter()
            .find(|m| m.name().eq_ignore_ascii_case(name))
            .ok_or_else(|| RecommendError::UnknownMethod {
                name: name.to_owned(),
                known: Method::ALL.map(Method::name).join(", "),
            })
    }

    /// The hyperparameter settings tried on the validation cut.
    pub fn candidates(self) -> Vec<MethodConfig> {
        match self {
            Method::Popularity | Method::Hybrid => vec![MethodConfig::Popularity],
            Method::ItemKnn => [(20, 0.0), (100, 0.0), (100, 10.0)]
                .into_iter()
                .map(|(neighbors, shrink)| MethodConfig::ItemKnn { neighbors, shrink })
                .collect(),
            Method::Rp3beta => [(1.0, 0.0), (1.0, 0.3), (0.5, 0.3), (1.0, 0.6)]
                .into_iter()
                .map(|(alpha, beta)| MethodConfig::Rp3beta {
                    alpha,
                    beta,
                    neighbors: 100,
                })
                .collect(),
            Method::Ease => [1.0, 10.0, 50.0, 200.0, 1000.0]
                .into_iter()
                .map(|lambda| MethodConfig::Ease { lambda })
                .collect(),
            Method::Ials => [
                (16, 10.0, 0.1),
                (32, 40.0, 10.0),
                (16, 40.0, 50.0),
                (32, 10.0, 10.0),
            ]
            .into_iter()
            .map(|(factors, alpha, reg)| MethodConfig::Ials {
                factors,
                alpha,
                reg,
                iterations: 10,
            })
            .collect(),
            // PPR's weights are tuned by coordinate ascent (`ppr::tune`).
            Method::Ppr => vec![MethodConfig::Ppr(ppr::PprWeights::default())],
            Method::Similarity => [10, 30, 100]
                .into_iter()
                .map(|neighbors| MethodConfig::Similarity { neighbors })
                .collect(),
            Method::Embedding => [(64, 0.0), (64, 0.3)]
                .into_iter()
                .map(|(dim, beta)| MethodConfig::Embedding { dim, beta })
                .collect(),
        }
    }

    /// The setting used when nothing was tuned.
    pub fn default_config(self) -> MethodConfig {
        match self {
            Method::Ppr => MethodConfig::Ppr(ppr::PprWeights::default()),
            Method::ItemKnn => MethodConfig::ItemKnn {
                neighbors: 100,
                shrink: 10.0,
            },
            Method::Rp3beta => MethodConfig::Rp3beta {
                alpha: 1.0,
                beta: 0.3,
                neighbors: 100,
            },
            Method::Ease => MethodConfig::Ease { lambda: 50.0 },
            Method::Ials => MethodConfig::Ials {
                factors: 32,
                alpha: 20.0,
                reg: 1.0,
                iterations: 10,
            },
            Method::Similarity => MethodConfig::Similarity { neighbors: 30 },
            Method::Embedding => MethodConfig::Embedding { dim: 64, beta: 0.3 },
            Method::Popularity | Method::Hybrid => MethodConfig::Popularity,
        }
    }
}

impl fmt::Display for Method {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// One hyperparameter setting of a method.
#[derive(Clone, Debug, PartialEq)]
pub enum MethodConfig {
    /// Popularity has none.
    Popularity,
    /// Item-kNN.
    ItemKnn {
        /// Neighbors kept per item.
        neighbors: usize,
        /// Shrink term added to the cosine's denominator.
        shrink: f32,
    },
    /// `RP3beta`.
    Rp3beta {
        /// Exponent on the transition probabilities.
        alpha: f32,
        /// Popularity penalty exponent.
        beta: f32,
        /// Neighbors kept per item.
        neighbors: usize,
    },
    /// EASE.
    Ease {
        /// L2 regularization.
        lambda: f64,
    },
    /// iALS.
    Ials {
        /// Latent factors.
        factors: usize,
        /// Confidence scale: `c = 1 + alpha * r`.
        alpha: f32,
        /// L2 regularization.
        reg: f32,
        /// Alternating sweeps.
        iterations: usize,
    },
    /// Personalized `PageRank`.
    Ppr(ppr::PprWeights),
    /// Patient similarity.
    Similarity {
        /// Similar patients used.
        neighbors: usize,
    },
    /// `FastRP` embeddings.
    Embedding {
        /// Dimensions.
        dim: usize,
        /// Popularity penalty exponent.
        beta: f32,
    },
}

impl fmt::Display for MethodConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            MethodConfig::Popularity => f.write_str("-"),
            MethodConfig::ItemKnn { neighbors, shrink } => {
                write!(f, "k={neighbors} shrink={shrink}")
            }
            MethodConfig::Rp3beta {
                alpha,
                beta,
                neighbors,
            } => write!(f, "alpha={alpha} beta={beta} k={neighbors}"),
            MethodConfig::Ease { lambda } => write!(f, "lambda={lambda}"),
            MethodConfig::Ials {
                factors,
                alpha,
                reg,
                iterations,
            } => write!(f, "f={factors} alpha={alpha} reg={reg} it={iterations}"),
            MethodConfig::Ppr(w) => write!(f, "{w}"),
            MethodConfig::Similarity { neighbors } => write!(f, "k={neighbors}"),
            MethodConfig::Embedding { dim, beta } => write!(f, "dim={dim} beta={beta}"),
        }
    }
}

/// Fits one setting.
pub fn fit(config: &MethodConfig, data: &Dataset) -> Result<Arc<dyn Model>> {
    Ok(match config {
        MethodConfig::Popularity => Arc::new(popularity::Popularity::fit(data)),
        MethodConfig::ItemKnn { neighbors, shrink } => {
            Arc::new(itemknn::ItemKnn::fit(data, *neighbors, *shrink))
        }
        MethodConfig::Rp3beta {
            alpha,
            beta,
            neighbors,
        } => Arc::new(rp3beta::Rp3beta::fit(data, *alpha, *beta, *neighbors)),
        MethodConfig::Ease { lambda } => Arc::new(ease::Ease::fit(data, *lambda)?),
        MethodConfig::Ials {
            factors,
            alpha,
            reg,
            iterations,
        } => Arc::new(ials::Ials::fit(data, *factors, *alpha, *reg, *iterations)?),
        MethodConfig::Ppr(weights) => Arc::new(ppr::Ppr::new(
            Arc::new(ppr::PprTables::fit(data)),
            weights.clone(),
        )),
        MethodConfig::Similarity { neighbors } => {
            Arc::new(similarity::Similarity::fit(data, *neighbors))
        }
        MethodConfig::Embedding { dim, beta } => {
            Arc::new(embedding::Embedding::fit(data, *dim, *beta))
        }
    })
}

/// Fits every setting in `configs`, sharing what settings of one method
/// share (the walk tables of PPR, the neighbor index of similarity).
pub fn fit_all(
    configs: &[MethodConfig],
    data: &Dataset,
) -> Result<Vec<(MethodConfig, Arc<dyn Model>)>> {
    let mut ppr_tables: Option<Arc<ppr::PprTables>> = None;
    let mut sim_index: Option<Arc<similarity::SimilarityIndex>> = None;
    let mut out = Vec::with_capacity(configs.len());
    for config in configs {
        let model: Arc<dyn Model> = match config {
            MethodConfig::Ppr(weights) => {
                let tables = ppr_tables
                    .get_or_insert_with(|| Arc::new(ppr::PprTables::fit(data)))
                    .clone();
                Arc::new(ppr::Ppr::new(tables, weights.clone()))
            }
            MethodConfig::Similarity { neighbors } => {
                let index = sim_index
                    .get_or_insert_with(|| Arc::new(similarity::SimilarityIndex::fit(data)))
                    .clone();
                Arc::new(similarity::Similarity::new(index, *neighbors))
            }
            other => fit(other, data)?,
        };
        out.push((config.clone(), model));
    }
    Ok(out)
}

/// The `k` best medications by `scores`, leaving out those `excluded`
/// says to; ties go to the lower index.
pub fn top_k(scores: &[f32], k: usize, excluded: impl Fn(u32) -> bool) -> Vec<(u32, f32)> {
    let mut best: Vec<(u32, f32)> = Vec::with_capacity(k + 1);
    for (i, &s) in scores.iter().enumerate() {
        let i = i as u32;
        if !s.is_finite() || excluded(i) {
            continue;
        }
        if best.len() == k {
            match best.last() {
                Some(&(_, worst)) if s > worst => {}
                _ => continue,
            }
        }
        let pos = best.partition_point(|&(_, b)| b >= s);
        best.insert(pos, (i, s));
        best.truncate(k);
    }
    best
}

/// Keeps the `k` largest entries of a dense row, as (index, value) sorted
/// by index.
pub(crate) fn prune_row(row: &[f32], k: usize) -> Vec<(u32, f32)> {
    let mut kept = top_k(row, k, |_| false);
    kept.retain(|&(_, v)| v != 0.0);
    kept.sort_unstable_by_key(|&(i, _)| i);
    kept
}
