//! Serving: a [`Recommender`] holds a fitted engine (projection, training
//! view over all data, fitted methods, safety tables) behind an atomic
//! pointer, rebuilt in the background and swapped in whole, plus an overlay
//! of patients whose neighborhood changed since the last build, so that a
//! new prescription changes that patient's answer at once.

use std::collections::hash_map::DefaultHasher;
use std::collections::{HashMap, HashSet};
use std::hash::{Hash, Hasher};
use std::sync::Arc;
use std::time::Instant;

use arc_swap::ArcSwap;
use parking_lot::RwLock;

use crate::dataset::{Dataset, Profile};
use crate::error::{RecommendError, Result};
use crate::eval::{self, EvalOptions};
use crate::evidence::Evidence;
use crate::methods::{self, hybrid::Hybrid, similarity::SimilarityIndex, top_k, Method, Model};
use crate::projection::{Neighborhood, PatientRecord, Projection};
use crate::safety::{AllergyConflict, DrugProfile, InteractionFlag, SafetyTables};
use crate::source::RowSource;

/// How a recommender is built.
#[derive(Clone, Debug)]
pub struct RecommenderConfig {
    /// Methods fitted (the hybrid fuses the others).
    pub methods: Vec<Method>,
    /// Tune settings and hybrid weights on a validation cut (the newest
    /// 20% of prescriptions) before fitting on everything.
    pub tune: bool,
    /// Most validation patients used for tuning.
    pub max_tuning_patients: usize,
    /// The method used when none is named.
    pub default_method: Method,
}

impl Default for RecommenderConfig {
    fn default() -> Self {
        RecommenderConfig {
            methods: vec![
                Method::Popularity,
                Method::ItemKnn,
                Method::Rp3beta,
                Method::Ease,
                Method::Ppr,
                Method::Similarity,
                Method::Hybrid,
            ],
            tune: true,
            max_tuning_patients: 2_000,
            default_method: Method::Ppr,
        }
    }
}

/// One suggested medication.
#[derive(Clone, Debug, PartialEq)]
pub struct Recommendation {
    /// `RxNorm` code.
    pub medication_code: Arc<str>,
    /// Display.
    pub display: Arc<str>,
    /// The method's score (higher is better; scales differ by method).
    pub score: f32,
    /// The counted paths behind it, strongest first (at most three).
    pub evidence: Vec<Evidence>,
    /// Severe interactions with the patient's active medications.
    pub flags: Vec<InteractionFlag>,
}

/// A similar patient.
#[derive(Clone, Debug, PartialEq)]
pub struct SimilarPatient {
    /// Patient id.
    pub patient_id: Arc<str>,
    /// Cosine similarity in `(0, 1]`.
    pub similarity: f32,
    /// Condition codes both have.
    pub shared_conditions: Vec<Arc<str>>,
    /// Medication codes both had.
    pub shared_medications: Vec<Arc<str>>,
}

/// The answer of an order check (CDS Hooks `order-select`).
#[derive(Clone, Debug, PartialEq)]
pub struct OrderCheck {
    /// The medication checked.
    pub medication_code: Arc<str>,
    /// Its display.
    pub display: Arc<str>,
    /// The patient takes it now (an active prescription).
    pub currently_taking: bool,
    /// Allergies that exclude it.
    pub allergy_conflicts: Vec<AllergyConflict>,
    /// Severe interactions with the patient's active medications.
    pub interactions: Vec<InteractionFlag>,
}

/// Timings and sizes of a build.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct BuildStats {
    /// Seconds to read the projection (0 when given one).
    pub projection_seconds: f64,
    /// Seconds to tune on the validation cut.
    pub tuning_seconds: f64,
    /// Seconds to fit each method on all data.
    pub fit_seconds: Vec<(Method, f64)>,
    /// Approximate bytes of the projection.
    pub projection_bytes: usize,
    /// Approximate bytes of the training view.
    pub dataset_bytes: usize,
}

/// A fitted engine: one consistent version.
struct Engine {
    generation: u64,
    projection: Projection,
    data: Dataset,
    models: HashMap<Method, Arc<dyn Model>>,
    similarity: Arc<SimilarityIndex>,
    drugs: Vec<DrugProfile>,
    /// Patients having both medications, `n_meds × n_meds`.
    cooc: Vec<u32>,
    stats: BuildStats,
}

/// Medication recommendations for patients: see the crate documentation.
pub struct Recommender {
    engine: ArcSwap<Engine>,
    overlay: RwLock<HashMap<Arc<str>, Arc<PatientRecord>>>,
    tables: SafetyTables,
    config: RecommenderConfig,
}

impl std::fmt::Debug for Recommender {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let engine = self.engine.load();
        f.debug_struct("Recommender")
            .field("generation", &engine.generation)
            .field("patients", &engine.projection.patients.len())
            .field("medications", &engine.projection.medications.len())
            .field("overlay", &self.overlay.read().len())
            .finish_non_exhaustive()
    }
}

fn build_engine(
    projection: Projection,
    config: &RecommenderConfig,
    tables: &SafetyTables,
    generation: u64,
    projection_seconds: f64,
) -> Result<Engine> {
    let components = eval::hybrid_components(&config.methods);
    let wants_hybrid = config.methods.contains(&Method::Hybrid);
    let options = EvalOptions {
        methods: config.methods.clone(),
        max_tuning_patients: config.max_tuning_patients,
        ..EvalOptions::default()
    };
    let tuning_start = Instant::now();
    let folds = if config.tune {
        eval::validation_folds(&projection, None, options.folds, config.max_tuning_patients)
    } else {
        Vec::new()
    };
    let selection = eval::select(&components, wants_hybrid, &folds, &options, &mut |_| {})?;
    let tuning_seconds = tuning_start.elapsed().as_secs_f64();
    let data = Dataset::new(&projection, None);
    let mut models: HashMap<Method, Arc<dyn Model>> = HashMap::new();
    let mut fit_seconds = Vec::new();
    let mut parts = Vec::new();
    for (&method, &w) in components.iter().zip(&selection.weights) {
        let config = selection
            .settings
            .get(&method)
            .cloned()
            .unwrap_or_else(|| method.default_config());
        let start = Instant::now();
        let model = methods::fit(&config, &data)?;
        fit_seconds.push((method, start.elapsed().as_secs_f64()));
        parts.push((method, model.clone(), w));
        models.insert(method, model);
    }
    if wants_hybrid {
        models.insert(Method::Hybrid, Arc::new(Hybrid::new(parts)));
    }
    let similarity = Arc::new(SimilarityIndex::fit(&data));
    let drugs = (0..projection.medications.len() as u32)
        .map(|m| {
            tables.drug(
                projection.medications.code(m),
                projection.medications.display(m),
            )
        })
        .collect();
    let n = data.n_meds;
    let mut cooc = vec![0u32; n * n];
    for p in &data.profiles {
        for &(i, _) in &p.meds {
            for &(j, _) in &p.meds {
                cooc[i as usize * n + j as usize] += 1;
            }
        }
    }
    let stats = BuildStats {
        projection_seconds,
        tuning_seconds,
        fit_seconds,
        projection_bytes: projection.memory_bytes(),
        dataset_bytes: data.memory_bytes() + cooc.len() * 4,
    };
    Ok(Engine {
        generation,
        projection,
        data,
        models,
        similarity,
        drugs,
        cooc,
        stats,
    })
}

impl Recommender {
    /// Reads the projection through `source` and fits every method.
    pub fn build(source: &dyn RowSource, config: RecommenderConfig) -> Result<Recommender> {
        let start = Instant::now();
        let projection = Projection::build(source)?;
        let seconds = start.elapsed().as_secs_f64();
        Recommender::with_projection(projection, config, seconds)
    }

    /// Fits every method on an existing projection.
    pub fn from_projection(
        projection: Projection,
        config: RecommenderConfig,
    ) -> Result<Recommender> {
        Recommender::with_projection(projection, config, 0.0)
    }

    fn with_projection(
        projection: Projection,
        config: RecommenderConfig,
        projection_seconds: f64,
    ) -> Result<Recommender> {
        let tables = SafetyTables::bundled()?;
        let engine = build_engine(projection, &config, &tables, 1, projection_seconds)?;
        Ok(Recommender {
            engine: ArcSwap::from_pointee(engine),
            overlay: RwLock::new(HashMap::new()),
            tables,
            config,
        })
    }

    /// Rebuilds from `source` and swaps the new engine in atomically;
    /// answers keep coming from the old one meanwhile. Run it on a
    /// background thread. Overlay entries the new build already reflects
    /// are dropped.
    pub fn rebuild(&self, source: &dyn RowSource) -> Result<()> {
        let start = Instant::now();
        let projection = Projection::build(source)?;
        let seconds = start.elapsed().as_secs_f64();
        let generation = self.engine.load().generation + 1;
        let engine = build_engine(projection, &self.config, &self.tables, generation, seconds)?;
        let mut overlay = self.overlay.write();
        overlay.retain(|id, record| {
            engine
                .projection
                .patient(id)
                .is_none_or(|(_, built)| built.signature != record.signature)
        });
        self.engine.store(Arc::new(engine));
        Ok(())
    }

    /// Reads one patient's neighborhood through `source` and, when it
    /// changed (a new prescription, diagnosis or allergy), makes the next
    /// answer for that patient use it. Returns `true` when it changed.
    pub fn refresh_patient(&self, source: &dyn RowSource, patient_id: &str) -> Result<bool> {
        let Some(neighborhood) = Neighborhood::fetch(source, patient_id)? else {
            return Err(RecommendError::UnknownPatient(patient_id.to_owned()));
        };
        Ok(self.update_patient(&neighborhood))
    }

    /// Uses `neighborhood` for its patient from now on (see
    /// [`Recommender::refresh_patient`]). Returns `true` when it differs
    /// from what was used.
    pub fn update_patient(&self, neighborhood: &Neighborhood) -> bool {
        let engine = self.engine.load();
        let signature = neighborhood.signature();
        if self.current_signature(&engine, &neighborhood.patient_id) == Some(signature) {
            return false;
        }
        let record = Arc::new(engine.projection.record_for(neighborhood));
        self.overlay
            .write()
            .insert(neighborhood.patient_id.clone(), record);
        true
    }

    fn current_signature(&self, engine: &Engine, patient_id: &str) -> Option<u64> {
        if let Some(record) = self.overlay.read().get(patient_id) {
            return Some(record.signature);
        }
        engine
            .projection
            .patient(patient_id)
            .map(|(_, r)| r.signature)
    }

    /// A number that changes whenever the answer for this patient may
    /// change: a new engine (rebuild) or a change to the patient's own
    /// neighborhood seen by [`Recommender::refresh_patient`]. A cache keyed
    /// on `(patient, version, k, method)` is never stale with respect to
    /// what this recommender knows. `None` for an unknown patient.
    pub fn neighborhood_version(&self, patient_id: &str) -> Option<u64> {
        let engine = self.engine.load();
        let signature = self.current_signature(&engine, patient_id)?;
        let mut h = DefaultHasher::new();
        (engine.generation, signature).hash(&mut h);
        Some(h.finish())
    }

    /// Refreshes the patient from `source`, then returns its version: a
    /// cache can key on this without missing writes made behind the
    /// recommender's back (costs the five per-patient queries).
    pub fn fresh_neighborhood_version(
        &self,
        source: &dyn RowSource,
        patient_id: &str,
    ) -> Result<u64> {
        self.refresh_patient(source, patient_id)?;
        self.neighborhood_version(patient_id)
            .ok_or_else(|| RecommendError::UnknownPatient(patient_id.to_owned()))
    }

    /// The build's timings and sizes.
    pub fn build_stats(&self) -> BuildStats {
        self.engine.load().stats.clone()
    }

    /// The engine's generation (1 for the first build, +1 per rebuild).
    pub fn generation(&self) -> u64 {
        self.engine.load().generation
    }

    /// The methods this recommender can answer with.
    pub fn methods(&self) -> Vec<Method> {
        let engine = self.engine.load();
        let mut m: Vec<Method> = engine.models.keys().copied().collect();
        m.sort();
        m
    }

    /// The default method.
    pub fn default_method(&self) -> Method {
        self.config.default_method
    }

    /// The patient's record and profile as the engine sees them now.
    fn patient(&self, engine: &Engine, patient_id: &str) -> Result<(Arc<PatientRecord>, Profile)> {
        let index = engine.projection.patient(patient_id).map(|(i, _)| i);
        if let Some(record) = self.overlay.read().get(patient_id) {
            let mut profile = Profile::of(record, None, engine.data.as_of);
            profile.index = index;
            return Ok((record.clone(), profile));
        }
        match index {
            Some(i) => Ok((
                Arc::new(engine.projection.patients[i as usize].clone()),
                engine.data.profiles[i as usize].clone(),
            )),
            None => Err(RecommendError::UnknownPatient(patient_id.to_owned())),
        }
    }

    /// The `k` best medications for the patient by `method` (`None`: the
    /// default), never one the patient had (active or past), never one an
    /// allergy excludes; each with evidence and interaction flags.
    pub fn recommend(
        &self,
        patient_id: &str,
        k: usize,
        method: Option<Method>,
    ) -> Result<Vec<Recommendation>> {
        let engine = self.engine.load();
        let method = method.unwrap_or(self.config.default_method);
        let model = engine
            .models
            .get(&method)
            .ok_or(RecommendError::MethodNotFitted(method.name()))?;
        let (record, profile) = self.patient(&engine, patient_id)?;
        let mut scores = vec![0f32; engine.data.n_meds];
        model.score(&engine.data, &profile, &mut scores);
        let blocked = self.blocked(&engine, &record, &profile);
        let top = top_k(&scores, k, |m| blocked.contains(&m));
        let active = self.active_drugs(&record);
        // Similar patients are part of the evidence where the method uses
        // them (the search costs more than the other paths together).
        let neighbors = if matches!(method, Method::Similarity | Method::Hybrid) {
            engine.similarity.neighbors(&profile, 30)
        } else {
            Vec::new()
        };
        Ok(top
            .into_iter()
            .map(|(m, score)| Recommendation {
                medication_code: engine.projection.medications.code(m).clone(),
                display: engine.projection.medications.display(m).clone(),
                score,
                evidence: evidence(&engine, &profile, m, &neighbors),
                flags: self.tables.interactions(&engine.drugs[m as usize], &active),
            })
            .collect())
    }

    /// Like [`Recommender::recommend`], after refreshing the patient from
    /// `source` (so a prescription just written is taken into account).
    pub fn recommend_fresh(
        &self,
        source: &dyn RowSource,
        patient_id: &str,
        k: usize,
        method: Option<Method>,
    ) -> Result<Vec<Recommendation>> {
        self.refresh_patient(source, patient_id)?;
        self.recommend(patient_id, k, method)
    }

    /// Medications never to suggest to this patient: had before, taken
    /// now, or excluded by an allergy.
    fn blocked(&self, engine: &Engine, record: &PatientRecord, profile: &Profile) -> HashSet<u32> {
        let mut blocked: HashSet<u32> = profile.meds.iter().map(|&(m, _)| m).collect();
        for (code, _) in &record.active_medications {
            if let Some(m) = engine.projection.medications.get(code) {
                blocked.insert(m);
            }
        }
        if !record.allergies.is_empty() {
            for (m, drug) in engine.drugs.iter().enumerate() {
                if !self
                    .tables
                    .allergy_conflicts(&record.allergies, drug)
                    .is_empty()
                {
                    blocked.insert(m as u32);
                }
            }
        }
        blocked
    }

    fn active_drugs(&self, record: &PatientRecord) -> Vec<(Arc<str>, Arc<str>, DrugProfile)> {
        record
            .active_medications
            .iter()
            .map(|(c, d)| (c.clone(), d.clone(), self.tables.drug(c, d)))
            .collect()
    }

    /// The `k` patients most similar to this one (conditions and
    /// medications), with what they share.
    pub fn similar_patients(&self, patient_id: &str, k: usize) -> Result<Vec<SimilarPatient>> {
        let engine = self.engine.load();
        let (_, profile) = self.patient(&engine, patient_id)?;
        Ok(engine
            .similarity
            .neighbors(&profile, k)
            .into_iter()
            .map(|(v, similarity)| {
                let other = &engine.data.profiles[v as usize];
                let shared_conditions = profile
                    .conds
                    .iter()
                    .filter(|(c, _)| other.conds.binary_search_by_key(c, |&(x, _)| x).is_ok())
                    .map(|&(c, _)| engine.projection.conditions.code(c).clone())
                    .collect();
                let shared_medications = profile
                    .meds
                    .iter()
                    .filter(|&&(m, _)| other.has_med(m))
                    .map(|&(m, _)| engine.projection.medications.code(m).clone())
                    .collect();
                SimilarPatient {
                    patient_id: engine.projection.patients[v as usize].id.clone(),
                    similarity,
                    shared_conditions,
                    shared_medications,
                }
            })
            .collect())
    }

    /// Checks an order (CDS Hooks `order-select`): allergy conflicts and
    /// severe interactions of `medication_code` for the patient.
    pub fn order_check(&self, patient_id: &str, medication_code: &str) -> Result<OrderCheck> {
        self.order_check_named(patient_id, medication_code, None)
    }

    /// [`Recommender::order_check`] for a medication the catalog may not
    /// know (never prescribed in the graph): the safety tables match its
    /// `RxNorm` code, and when they do not have it either, its `display`
    /// (the order's own text, e.g. "Amoxicillin 500 MG Oral Capsule") by
    /// ingredient names (the answer then says it matched by name). A code
    /// neither the catalog nor the tables know, without a display, is
    /// [`RecommendError::UnknownMedication`].
    pub fn order_check_named(
        &self,
        patient_id: &str,
        medication_code: &str,
        display: Option<&str>,
    ) -> Result<OrderCheck> {
        let engine = self.engine.load();
        let (record, _) = self.patient(&engine, patient_id)?;
        let (code, display, drug) = match engine.projection.medications.get(medication_code) {
            Some(m) => (
                engine.projection.medications.code(m).clone(),
                engine.projection.medications.display(m).clone(),
                engine.drugs[m as usize].clone(),
            ),
            None => match display.map(str::trim).filter(|d| !d.is_empty()) {
                Some(display) => (
                    Arc::from(medication_code),
                    Arc::from(display),
                    self.tables.drug(medication_code, display),
                ),
                None if self.tables.product_ingredients(medication_code).is_some() => (
                    Arc::from(medication_code),
                    Arc::from(medication_code),
                    self.tables.drug(medication_code, medication_code),
                ),
                None => {
                    return Err(RecommendError::UnknownMedication(
                        medication_code.to_owned(),
                    ))
                }
            },
        };
        let active: Vec<_> = self
            .active_drugs(&record)
            .into_iter()
            .filter(|(c, _, _)| &**c != medication_code)
            .collect();
        Ok(OrderCheck {
            medication_code: code,
            display,
            currently_taking: record
                .active_medications
                .iter()
                .any(|(c, _)| &**c == medication_code),
            allergy_conflicts: self.tables.allergy_conflicts(&record.allergies, &drug),
            interactions: self.tables.interactions(&drug, &active),
        })
    }
}

/// `part / whole` shrunk towards 0 for small wholes, so that "30 of 60"
/// outranks "2 of 3" when picking which path to show.
fn smoothed(part: u32, whole: u32) -> f64 {
    f64::from(part) / (f64::from(whole) + 10.0)
}

/// The counted paths behind suggesting `m` to `profile`, strongest first.
fn evidence(engine: &Engine, profile: &Profile, m: u32, neighbors: &[(u32, f32)]) -> Vec<Evidence> {
    let data = &engine.data;
    let p = &engine.projection;
    let mut out = Vec::new();
    let best_cond = profile
        .conds
        .iter()
        .map(|&(c, _)| {
            (
                c,
                data.cond_med_count(c, m),
                data.cond_users[c as usize].len() as u32,
            )
        })
        .filter(|&(_, n, _)| n > 0)
        .max_by(|a, b| smoothed(a.1, a.2).total_cmp(&smoothed(b.1, b.2)));
    if let Some((c, prescribed, total)) = best_cond {
        out.push(Evidence::ConditionCohort {
            condition_code: p.conditions.code(c).clone(),
            condition_display: p.conditions.display(c).clone(),
            patients_with_condition: total,
            prescribed,
            medication_display: p.medications.display(m).clone(),
        });
    }
    let best_treats = profile
        .conds
        .iter()
        .filter_map(|&(c, _)| {
            let row = &data.treats[c as usize];
            row.binary_search_by_key(&m, |&(x, _)| x)
                .ok()
                .map(|i| (c, row[i].1 as u32))
        })
        .max_by_key(|&(_, n)| n);
    if let Some((c, prescriptions)) = best_treats {
        out.push(Evidence::Treats {
            condition_code: p.conditions.code(c).clone(),
            condition_display: p.conditions.display(c).clone(),
            prescriptions,
        });
    }
    let prescribing = profile
        .pracs
        .iter()
        .filter(|&&(pr, _)| {
            data.prac_meds[pr as usize]
                .binary_search_by_key(&m, |&(x, _)| x)
                .is_ok()
        })
        .count() as u32;
    if prescribing > 0 {
        out.push(Evidence::Practitioners {
            prescribing,
            of: profile.pracs.len() as u32,
        });
    }
    let taking = neighbors
        .iter()
        .filter(|&&(v, _)| data.profiles[v as usize].has_med(m))
        .count() as u32;
    if taking > 0 {
        out.push(Evidence::SimilarPatients {
            taking,
            of: neighbors.len() as u32,
        });
    }
    let n = data.n_meds;
    let best_co = profile
        .meds
        .iter()
        .map(|&(i, _)| {
            let both = engine.cooc[i as usize * n + m as usize];
            let with = engine.cooc[i as usize * n + i as usize];
            (i, both, with)
        })
        .filter(|&(_, both, _)| both > 0)
        .max_by(|a, b| smoothed(a.1, a.2).total_cmp(&smoothed(b.1, b.2)));
    if let Some((i, also, patients_with)) = best_co {
        out.push(Evidence::CoPrescribed {
            medication_code: p.medications.code(i).clone(),
            medication_display: p.medications.display(i).clone(),
            patients_with,
            also,
        });
    }
    if out.is_empty() {
        out.push(Evidence::Popular {
            patients: data.popularity(m) as u32,
            of: data.n_patients() as u32,
        });
    }
    out.sort_by(|a, b| b.strength().total_cmp(&a.strength()));
    out.truncate(3);
    out
}
