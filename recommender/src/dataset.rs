//! A training view of the projection at a cutoff: each patient's profile
//! (what is known before the cutoff) and the counts the methods share.

use std::collections::HashMap;

use crate::projection::{PatientRecord, Projection};

/// Seconds in a (Julian) year.
const YEAR: i64 = 31_557_600;
/// The window before the cutoff whose prescriptions count as recent.
pub const RECENT_WINDOW: i64 = 2 * YEAR;
/// Demographic groups: 3 genders × 10 age bands.
pub const DEMO_GROUPS: usize = 30;

/// What is known about one patient at the cutoff.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Profile {
    /// The patient's index in the dataset, if it is one of its patients.
    pub index: Option<u32>,
    /// Distinct medications with their prescription counts, by index.
    pub meds: Vec<(u32, f32)>,
    /// Distinct conditions with a weight (1 active at the cutoff,
    /// [`RESOLVED_WEIGHT`] resolved), by index.
    pub conds: Vec<(u32, f32)>,
    /// Distinct prescribers with prescription counts, by index.
    pub pracs: Vec<(u32, f32)>,
    /// (condition, medication) pairs of the patient's prescriptions that
    /// say what they treat.
    pub treated: Vec<(u32, u32)>,
    /// Demographic group (gender × ten-year age band at the cutoff).
    pub demo: u16,
}

/// The weight of a condition that resolved before the cutoff.
pub const RESOLVED_WEIGHT: f32 = 0.3;

impl Profile {
    /// The profile of `record` as of `cutoff` (`None`: everything).
    pub fn of(record: &PatientRecord, cutoff: Option<i64>, as_of: i64) -> Profile {
        let before = |t: Option<i64>| match (cutoff, t) {
            (None, _) => true,
            (Some(c), Some(t)) => t < c,
            (Some(_), None) => false,
        };
        let mut meds: HashMap<u32, f32> = HashMap::new();
        let mut pracs: HashMap<u32, f32> = HashMap::new();
        let mut treated = Vec::new();
        for rx in record.prescriptions.iter().filter(|rx| before(rx.time)) {
            *meds.entry(rx.med).or_default() += 1.0;
            if let Some(p) = rx.practitioner {
                *pracs.entry(p).or_default() += 1.0;
            }
            treated.extend(rx.treats.iter().map(|&c| (c, rx.med)));
        }
        let mut conds: HashMap<u32, f32> = HashMap::new();
        for dx in record.diagnoses.iter().filter(|d| before(d.onset)) {
            let resolved = dx.abatement.is_some_and(|a| a <= as_of);
            let w = if resolved { RESOLVED_WEIGHT } else { 1.0 };
            let slot = conds.entry(dx.condition).or_default();
            *slot = slot.max(w);
        }
        treated.sort_unstable();
        treated.dedup();
        let age_band = record
            .birth
            .map_or(9, |b| ((as_of - b).max(0) / YEAR / 10).min(9) as u16);
        Profile {
            index: None,
            meds: sorted(meds),
            conds: sorted(conds),
            pracs: sorted(pracs),
            treated,
            demo: u16::from(record.gender) * 10 + age_band.min(9),
        }
    }

    /// `true` when the patient had `med` before the cutoff.
    pub fn has_med(&self, med: u32) -> bool {
        self.meds.binary_search_by_key(&med, |&(m, _)| m).is_ok()
    }
}

fn sorted(map: HashMap<u32, f32>) -> Vec<(u32, f32)> {
    let mut v: Vec<(u32, f32)> = map.into_iter().collect();
    v.sort_unstable_by_key(|&(i, _)| i);
    v
}

/// The training view: profiles and shared counts.
#[derive(Clone, Debug)]
pub struct Dataset {
    /// Number of medications (catalog size).
    pub n_meds: usize,
    /// Number of conditions.
    pub n_conds: usize,
    /// Number of practitioners.
    pub n_pracs: usize,
    /// The cutoff (`None`: all data).
    pub cutoff: Option<i64>,
    /// The time ages and resolutions are computed at.
    pub as_of: i64,
    /// One profile per projection patient.
    pub profiles: Vec<Profile>,
    /// Patients per medication (indexes).
    pub med_users: Vec<Vec<u32>>,
    /// Patients per condition.
    pub cond_users: Vec<Vec<u32>>,
    /// Per practitioner: (medication, prescriptions), sorted by medication.
    pub prac_meds: Vec<Vec<(u32, f32)>>,
    /// Per condition: (medication, prescriptions saying they treat it).
    pub treats: Vec<Vec<(u32, f32)>>,
    /// Per condition: (medication, patients with both).
    pub cond_meds: Vec<Vec<(u32, u32)>>,
    /// Per (practitioner, condition): (medication, prescriptions) of that
    /// practitioner's prescriptions treating that condition.
    pub prac_cond_meds: HashMap<(u32, u32), Vec<(u32, f32)>>,
    /// Per demographic group: patients, and patients per medication.
    pub demo_meds: Vec<(u32, Vec<u32>)>,
    /// Patients who started each medication (their first prescription of
    /// it) in the [`RECENT_WINDOW`] before `as_of`: new use, not refills,
    /// as the evaluation's targets are medications new to a patient.
    pub recent_meds: Vec<f32>,
    /// Per demographic group: recent starts per medication.
    pub demo_recent: Vec<Vec<f32>>,
    /// Per condition: (medication, recent starts of patients with the
    /// condition).
    pub cond_recent: Vec<Vec<(u32, f32)>>,
}

impl Dataset {
    /// The view of `projection` before `cutoff` (`None`: everything).
    pub fn new(projection: &Projection, cutoff: Option<i64>) -> Dataset {
        let as_of = cutoff.unwrap_or_else(|| {
            projection
                .patients
                .iter()
                .flat_map(|p| p.prescriptions.iter().filter_map(|rx| rx.time))
                .max()
                .unwrap_or(0)
        });
        let n_meds = projection.medications.len();
        let n_conds = projection.conditions.len();
        let n_pracs = projection.practitioners.len();
        let mut profiles = Vec::with_capacity(projection.patients.len());
        let mut med_users = vec![Vec::new(); n_meds];
        let mut cond_users = vec![Vec::new(); n_conds];
        let mut prac_meds: Vec<HashMap<u32, f32>> = vec![HashMap::new(); n_pracs];
        let mut treats: Vec<HashMap<u32, f32>> = vec![HashMap::new(); n_conds];
        let mut cond_meds: Vec<HashMap<u32, u32>> = vec![HashMap::new(); n_conds];
        let mut prac_cond: HashMap<(u32, u32), HashMap<u32, f32>> = HashMap::new();
        let mut demo_meds = vec![(0u32, vec![0u32; n_meds]); DEMO_GROUPS];
        let mut recent_meds = vec![0f32; n_meds];
        let mut demo_recent = vec![vec![0f32; n_meds]; DEMO_GROUPS];
        let mut cond_recent: Vec<HashMap<u32, f32>> = vec![HashMap::new(); n_conds];
        let recent_from = as_of - RECENT_WINDOW;
        for (i, record) in projection.patients.iter().enumerate() {
            let mut profile = Profile::of(record, cutoff, as_of);
            profile.index = Some(i as u32);
            for &(m, _) in &profile.meds {
                med_users[m as usize].push(i as u32);
                demo_meds[profile.demo as usize].1[m as usize] += 1;
            }
            demo_meds[profile.demo as usize].0 += 1;
            for &(c, _) in &profile.conds {
                cond_users[c as usize].push(i as u32);
                let row = &mut cond_meds[c as usize];
                for &(m, _) in &profile.meds {
                    *row.entry(m).or_default() += 1;
                }
            }
            // The first prescription of each medication: a start counts as
            // recent when it falls in the window (refills do not).
            let mut first: HashMap<u32, Option<i64>> = HashMap::new();
            for rx in &record.prescriptions {
                let keep = match (cutoff, rx.time) {
                    (None, _) => true,
                    (Some(c), Some(t)) => t < c,
                    (Some(_), None) => false,
                };
                if !keep {
                    continue;
                }
                let slot = first.entry(rx.med).or_insert(rx.time);
                if let (Some(s), Some(t)) = (*slot, rx.time) {
                    *slot = Some(s.min(t));
                }
                if let Some(p) = rx.practitioner {
                    *prac_meds[p as usize].entry(rx.med).or_default() += 1.0;
                    for &c in &rx.treats {
                        *prac_cond
                            .entry((p, c))
                            .or_default()
                            .entry(rx.med)
                            .or_default() += 1.0;
                    }
                }
                for &c in &rx.treats {
                    *treats[c as usize].entry(rx.med).or_default() += 1.0;
                }
            }
            for (&med, &start) in &first {
                if start.is_some_and(|t| t >= recent_from) {
                    recent_meds[med as usize] += 1.0;
                    demo_recent[profile.demo as usize][med as usize] += 1.0;
                    for &(c, _) in &profile.conds {
                        *cond_recent[c as usize].entry(med).or_default() += 1.0;
                    }
                }
            }
            profiles.push(profile);
        }
        Dataset {
            n_meds,
            n_conds,
            n_pracs,
            cutoff,
            as_of,
            profiles,
            med_users,
            cond_users,
            prac_meds: prac_meds.into_iter().map(sorted).collect(),
            treats: treats.into_iter().map(sorted).collect(),
            cond_meds: cond_meds
                .into_iter()
                .map(|m| {
                    let mut v: Vec<(u32, u32)> = m.into_iter().collect();
                    v.sort_unstable();
                    v
                })
                .collect(),
            prac_cond_meds: prac_cond.into_iter().map(|(k, v)| (k, sorted(v))).collect(),
            demo_meds,
            recent_meds,
            demo_recent,
            cond_recent: cond_recent.into_iter().map(sorted).collect(),
        }
    }

    /// Number of patients.
    pub fn n_patients(&self) -> usize {
        self.profiles.len()
    }

    /// Patients per medication.
    pub fn popularity(&self, med: u32) -> usize {
        self.med_users[med as usize].len()
    }

    /// Patients with condition `cond` who had `med`.
    pub fn cond_med_count(&self, cond: u32, med: u32) -> u32 {
        let row = &self.cond_meds[cond as usize];
        row.binary_search_by_key(&med, |&(m, _)| m)
            .map_or(0, |i| row[i].1)
    }

    /// Approximate heap size in bytes.
    pub fn memory_bytes(&self) -> usize {
        let profiles: usize = self
            .profiles
            .iter()
            .map(|p| {
                std::mem::size_of::<Profile>()
                    + (p.meds.len() + p.conds.len() + p.pracs.len() + p.treated.len()) * 8
            })
            .sum();
        let lists: usize = self.med_users.iter().map(Vec::len).sum::<usize>() * 4
            + self.cond_users.iter().map(Vec::len).sum::<usize>() * 4
            + self.prac_meds.iter().map(Vec::len).sum::<usize>() * 8
            + self.treats.iter().map(Vec::len).sum::<usize>() * 8
            + self.cond_meds.iter().map(Vec::len).sum::<usize>() * 8
            + self
                .prac_cond_meds
                .values()
                .map(|v| v.len() * 8 + 48)
                .sum::<usize>()
            + self.cond_recent.iter().map(Vec::len).sum::<usize>() * 8
            + DEMO_GROUPS * self.n_meds * 8
            + self.n_meds * 4;
        profiles + lists
    }
}
