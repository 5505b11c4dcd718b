//! EASE (Steck 2019): a closed-form item-item model,
//! `B = I - P · diagMat(1 / diag(P))` with `P = (XᵀX + λI)⁻¹`, diagonal of
//! `B` zero.

use nalgebra::DMatrix;

use crate::dataset::{Dataset, Profile};
use crate::error::{RecommendError, Result};

use super::itemknn::cooccurrence;
use super::Model;

/// EASE: `score(j) = Σ_{i ∈ patient} B(i, j)`.
#[derive(Clone, Debug)]
pub struct Ease {
    /// `B`, row-major `n × n`.
    b: Vec<f32>,
    n: usize,
}

impl Ease {
    /// Solves for `B` with regularization `lambda`.
    pub fn fit(data: &Dataset, lambda: f64) -> Result<Ease> {
        let n = data.n_meds;
        let counts = cooccurrence(data);
        let mut gram = DMatrix::<f64>::from_fn(n, n, |i, j| f64::from(counts[i * n + j]));
        for i in 0..n {
            gram[(i, i)] += lambda;
        }
        let inverse = gram
            .cholesky()
            .ok_or_else(|| RecommendError::Numerical {
                method: "ease",
                message: format!("XᵀX + {lambda}·I is not positive definite"),
            })?
            .inverse();
        let mut b = vec![0f32; n * n];
        for i in 0..n {
            for j in 0..n {
                if i != j {
                    b[i * n + j] = (-inverse[(i, j)] / inverse[(j, j)]) as f32;
                }
            }
        }
        Ok(Ease { b, n })
    }

    /// `B(i, j)`.
    pub fn weight(&self, i: u32, j: u32) -> f32 {
        self.b[i as usize * self.n + j as usize]
    }
}

impl Model for Ease {
    fn score(&self, _data: &Dataset, profile: &Profile, out: &mut [f32]) {
        for &(i, _) in &profile.meds {
            let row = &self.b[i as usize * self.n..(i as usize + 1) * self.n];
            for (o, w) in out.iter_mut().zip(row) {
                *o += w;
            }
        }
    }
}
