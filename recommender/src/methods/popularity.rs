//! Popularity: every patient gets the medications most patients had.

use crate::dataset::{Dataset, Profile};

use super::Model;

/// Patients per medication.
#[derive(Clone, Debug)]
pub struct Popularity {
    counts: Vec<f32>,
}

impl Popularity {
    /// Counts the patients of each medication.
    pub fn fit(data: &Dataset) -> Popularity {
        Popularity {
            counts: data.med_users.iter().map(|u| u.len() as f32).collect(),
        }
    }
}

impl Model for Popularity {
    fn score(&self, _data: &Dataset, _profile: &Profile, out: &mut [f32]) {
        for (o, c) in out.iter_mut().zip(&self.counts) {
            *o += c;
        }
    }
}
