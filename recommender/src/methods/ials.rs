//! iALS (Hu, Koren, Volinsky 2008): patient and medication factors fitted by
//! alternating least squares on the binary matrix with confidence
//! `c = 1 + alpha`, each row solved exactly by Cholesky (nalgebra). A
//! patient's factors are solved again at query time from its current
//! profile (fold-in), so a new prescription changes the answer at once.

use nalgebra::{DMatrix, DVector};

use crate::dataset::{Dataset, Profile};
use crate::error::{RecommendError, Result};

use super::Model;

/// Medication factors and their Gram matrix.
#[derive(Clone, Debug)]
pub struct Ials {
    /// `n_meds × f`.
    items: DMatrix<f64>,
    /// `itemsᵀ items`.
    gram: DMatrix<f64>,
    alpha: f64,
    reg: f64,
}

/// A small deterministic generator for the initial factors.
struct XorShift(u64);

impl XorShift {
    fn next(&mut self) -> f64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// Solves `(gram + λI + Σ_i (c-1) y_i y_iᵀ) x = Σ_i c y_i` over the rows `i`
/// of `other` listed in `rows`.
fn solve_row(
    other: &DMatrix<f64>,
    gram: &DMatrix<f64>,
    rows: impl Iterator<Item = usize> + Clone,
    alpha: f64,
    reg: f64,
) -> Option<DVector<f64>> {
    let f = other.ncols();
    let mut a = gram.clone();
    let mut b = DVector::<f64>::zeros(f);
    for i in rows {
        let y = other.row(i);
        for r in 0..f {
            let yr = y[r];
            b[r] += (1.0 + alpha) * yr;
            for c in 0..f {
                a[(r, c)] += alpha * yr * y[c];
            }
        }
    }
    for d in 0..f {
        a[(d, d)] += reg;
    }
    a.cholesky().map(|ch| ch.solve(&b))
}

fn sweep(
    target: &mut DMatrix<f64>,
    other: &DMatrix<f64>,
    lists: &[Vec<u32>],
    alpha: f64,
    reg: f64,
) -> Result<()> {
    let gram = other.transpose() * other;
    for (row, list) in lists.iter().enumerate() {
        let x = solve_row(other, &gram, list.iter().map(|&i| i as usize), alpha, reg).ok_or_else(
            || RecommendError::Numerical {
                method: "ials",
                message: "a normal-equation matrix is not positive definite".to_owned(),
            },
        )?;
        target.set_row(row, &x.transpose());
    }
    Ok(())
}

impl Ials {
    /// Fits `factors` factors with `iterations` alternating sweeps.
    pub fn fit(
        data: &Dataset,
        factors: usize,
        alpha: f32,
        reg: f32,
        iterations: usize,
    ) -> Result<Ials> {
        let (alpha, reg) = (f64::from(alpha), f64::from(reg));
        let mut rng = XorShift(0x9E37_79B9_7F4A_7C15);
        let scale = 0.1 / (factors as f64).sqrt();
        let users: Vec<Vec<u32>> = data
            .profiles
            .iter()
            .map(|p| p.meds.iter().map(|&(m, _)| m).collect())
            .collect();
        let mut items =
            DMatrix::<f64>::from_fn(data.n_meds, factors, |_, _| (rng.next() - 0.5) * scale);
        let mut user_f =
            DMatrix::<f64>::from_fn(users.len(), factors, |_, _| (rng.next() - 0.5) * scale);
        for _ in 0..iterations {
            sweep(&mut user_f, &items, &users, alpha, reg)?;
            sweep(&mut items, &user_f, &data.med_users, alpha, reg)?;
        }
        let gram = items.transpose() * &items;
        Ok(Ials {
            items,
            gram,
            alpha,
            reg,
        })
    }

    /// The factors of a patient with these medications (fold-in).
    pub fn patient_factors(&self, profile: &Profile) -> Option<DVector<f64>> {
        solve_row(
            &self.items,
            &self.gram,
            profile.meds.iter().map(|&(m, _)| m as usize),
            self.alpha,
            self.reg,
        )
    }
}

impl Model for Ials {
    fn score(&self, _data: &Dataset, profile: &Profile, out: &mut [f32]) {
        let Some(x) = self.patient_factors(profile) else {
            return;
        };
        let scores = &self.items * x;
        for (o, s) in out.iter_mut().zip(scores.iter()) {
            *o += *s as f32;
        }
    }
}
