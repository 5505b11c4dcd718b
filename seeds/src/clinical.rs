//! A patient's clinical record: encounters, conditions, allergies and
//! prescriptions, generated together and then written.

use std::collections::HashSet;

use rand::Rng;
use rand_chacha::ChaCha8Rng;

use crate::error::SeedsError;
use crate::ids::{splitmix64, Uuid};
use crate::json::Line;
use crate::output::{Kind, Sink};
use crate::patient::Person;
use crate::sample::{below, between, chance, weighted};
use crate::tables::{
    ConditionDef, Drug, EncounterClass, Sexes, ALLERGENS, CONDITIONS, ENCOUNTER_TYPES, NPI_SYSTEM,
    REACTIONS, RXNORM, SNOMED, SYNTHEA_ID,
};
use crate::time::{DAY, YEAR};
use crate::world::World;

/// Encounters are spread over at most the last this-many years of a life.
const HISTORY_YEARS: i64 = 15;
/// Percent chance a prescriber picks their habitual drug for a condition.
const HABIT_PERCENT: u32 = 75;
/// Percent chance a refill keeps the previous drug.
const CONTINUITY_PERCENT: u32 = 60;

/// An encounter.
#[derive(Debug, Clone)]
pub(crate) struct Encounter {
    pub id: Uuid,
    pub start: i64,
    pub end: i64,
    pub class: EncounterClass,
    /// Index into [`ENCOUNTER_TYPES`].
    pub kind: usize,
    pub practitioner: u32,
    pub org: u32,
    pub site: u32,
    /// Index into the patient's conditions of the first one diagnosed here.
    pub reason: Option<usize>,
}

/// A diagnosed condition.
#[derive(Debug, Clone)]
pub(crate) struct Condition {
    pub id: Uuid,
    /// Index into [`CONDITIONS`].
    pub def: usize,
    /// Index into the patient's encounters.
    pub encounter: usize,
    pub onset: i64,
    pub abatement: Option<i64>,
}

/// An allergy.
#[derive(Debug, Clone)]
pub(crate) struct Allergy {
    pub id: Uuid,
    /// Index into [`ALLERGENS`].
    pub allergen: usize,
    pub recorded: i64,
    pub criticality: &'static str,
    pub intolerance: bool,
    /// Reactions: index into [`REACTIONS`], severity.
    pub reactions: [Option<(usize, &'static str)>; 2],
}

/// A prescription (`MedicationRequest`).
#[derive(Debug, Clone)]
pub(crate) struct Prescription {
    pub id: Uuid,
    pub drug: &'static Drug,
    /// Index into the patient's conditions.
    pub condition: usize,
    /// Index into the patient's encounters.
    pub encounter: usize,
    pub authored: i64,
    pub status: &'static str,
    /// Written with `medicationReference` to a Medication resource.
    pub by_reference: bool,
    /// Written with `reasonCode` instead of `reasonReference`.
    pub reason_code: bool,
}

/// One patient's record, reusing its buffers from patient to patient.
#[derive(Debug, Default)]
pub(crate) struct Record {
    pub encounters: Vec<Encounter>,
    pub conditions: Vec<Condition>,
    pub allergies: Vec<Allergy>,
    pub prescriptions: Vec<Prescription>,
    weights: Vec<u32>,
    eligible: Vec<(usize, usize)>,
}

/// Index of the condition given when nothing else is treatable.
fn fallback_condition() -> usize {
    CONDITIONS
        .iter()
        .position(|c| c.code == "444814009")
        .unwrap_or(0)
}

/// The drug a practitioner habitually prescribes for a condition: a
/// deterministic function of (seed, practitioner, condition).
pub(crate) fn habitual_drug(
    seed: u64,
    practitioner: u32,
    def: &ConditionDef,
    def_index: usize,
) -> usize {
    let h =
        splitmix64(seed ^ splitmix64((u64::from(practitioner) << 16) ^ def_index as u64 ^ 0xD2_06));
    (h % def.drugs.len() as u64) as usize
}

impl Record {
    /// Generates the record of `person`.
    pub(crate) fn generate(
        &mut self,
        rng: &mut ChaCha8Rng,
        world: &World,
        person: &Person,
        seed: u64,
        now: i64,
    ) {
        self.encounters.clear();
        self.conditions.clear();
        self.allergies.clear();
        self.prescriptions.clear();
        self.generate_encounters(rng, world, person);
        self.generate_conditions(rng, person);
        let mask = self.generate_allergies(rng);
        self.generate_prescriptions(rng, person, seed, now, mask);
    }

    fn generate_encounters(&mut self, rng: &mut ChaCha8Rng, world: &World, person: &Person) {
        let window_start = (person.birth + DAY).max(person.end - HISTORY_YEARS * YEAR);
        let window_end = (person.end - 6 * DAY).max(window_start + 1);
        let n = between(rng, 8, 12);
        let mut starts = [0i64; 12];
        for s in &mut starts[..n] {
            *s = rng.gen_range(window_start..window_end);
        }
        starts[..n].sort_unstable();
        for &raw_start in &starts[..n] {
            let age = person.age_at(raw_start);
            let class_weights: [u32; 3] = if age >= 65 { [80, 11, 9] } else { [86, 9, 5] };
            let class = match weighted(rng, &class_weights, |&w| w) {
                0 => EncounterClass::Ambulatory,
                1 => EncounterClass::Emergency,
                _ => EncounterClass::Inpatient,
            };
            let kind = weighted(rng, ENCOUNTER_TYPES, |t| {
                if t.class == class && (u32::from(t.min_age)..=u32::from(t.max_age)).contains(&age)
                {
                    t.weight
                } else {
                    0
                }
            });
            // Office visits happen in office hours (local standard time).
            let start = if class == EncounterClass::Ambulatory {
                let offset = i64::from(person.tz.std_offset_min) * 60;
                let day = (raw_start + offset).div_euclid(DAY);
                day * DAY + rng.gen_range(8 * 3600..18 * 3600) - offset
            } else {
                raw_start
            };
            let duration = match class {
                EncounterClass::Ambulatory => rng.gen_range(15 * 60..=60 * 60),
                EncounterClass::Emergency => rng.gen_range(3600..=6 * 3600),
                EncounterClass::Inpatient => rng.gen_range(DAY..=5 * DAY),
            };
            let staff = &world.staff[person.state];
            let practitioner = if class == EncounterClass::Ambulatory && chance(rng, 75) {
                person.gp
            } else {
                staff[below(rng, staff.len())]
            };
            let org = world.practitioners[practitioner as usize].org;
            let o = &world.orgs[org as usize];
            let site = o.first_location + u32::from(o.locations > 1 && chance(rng, 30));
            self.encounters.push(Encounter {
                id: Uuid::random(rng),
                start,
                end: start + duration,
                class,
                kind,
                practitioner,
                org,
                site,
                reason: None,
            });
        }
        self.encounters.sort_by_key(|e| e.start);
    }

    fn generate_conditions(&mut self, rng: &mut ChaCha8Rng, person: &Person) {
        self.weights.clear();
        self.eligible.clear();
        for def in CONDITIONS {
            let mut range = None::<(usize, usize)>;
            if def.sexes == Sexes::Any || person.female {
                for (i, e) in self.encounters.iter().enumerate() {
                    let age = person.age_at(e.start);
                    if (u32::from(def.min_age)..=u32::from(def.max_age)).contains(&age) {
                        range = Some(range.map_or((i, i), |(first, _)| (first, i)));
                    }
                }
            }
            let weight = range.map_or(0, |(_, last)| {
                let age = person.age_at(self.encounters[last].start);
                let sex = if person.female {
                    def.female_percent
                } else {
                    100
                };
                (def.prevalence * def.curve.percent(age) / 100 * sex / 100).max(1)
            });
            self.weights.push(weight);
            self.eligible.push(range.unwrap_or((0, 0)));
        }
        let k: u32 = rng.gen_range(4..=8);
        for _ in 0..k {
            if self.weights.iter().all(|&w| w == 0) {
                break;
            }
            let def = weighted(rng, &self.weights, |&w| w);
            self.weights[def] = 0;
            let (first, last) = self.eligible[def];
            let encounter = between(rng, first, last);
            self.push_condition(rng, person, def, encounter);
        }
        if !self
            .conditions
            .iter()
            .any(|c| !CONDITIONS[c.def].drugs.is_empty())
        {
            let encounter = below(rng, self.encounters.len());
            self.push_condition(rng, person, fallback_condition(), encounter);
        }
        self.conditions.sort_by_key(|c| (c.encounter, c.def));
        for (i, c) in self.conditions.iter().enumerate() {
            let e = &mut self.encounters[c.encounter];
            if e.reason.is_none() {
                e.reason = Some(i);
            }
        }
    }

    fn push_condition(
        &mut self,
        rng: &mut ChaCha8Rng,
        person: &Person,
        def: usize,
        encounter: usize,
    ) {
        let onset = self.encounters[encounter].start;
        let abatement = match CONDITIONS[def].resolves_in_days {
            Some((lo, hi)) => {
                Some(onset + i64::from(rng.gen_range(lo..=hi)) * DAY + rng.gen_range(0..DAY))
            }
            None if chance(rng, 5) => Some(onset + rng.gen_range(YEAR..10 * YEAR)),
            None => None,
        }
        .filter(|&t| t <= person.end);
        self.conditions.push(Condition {
            id: Uuid::random(rng),
            def,
            encounter,
            onset,
            abatement,
        });
    }

    /// Returns the drug classes the patient must not be given.
    fn generate_allergies(&mut self, rng: &mut ChaCha8Rng) -> u8 {
        if !chance(rng, 20) {
            return 0;
        }
        let n = if chance(rng, 30) { 2 } else { 1 };
        let mut mask = 0;
        for _ in 0..n {
            let allergen = weighted(rng, ALLERGENS, |a| a.weight);
            if self.allergies.iter().any(|a| a.allergen == allergen) {
                continue;
            }
            let def = &ALLERGENS[allergen];
            mask |= def.excludes;
            let recorded = self.encounters[below(rng, self.encounters.len())].start;
            let criticality =
                ["low", "high", "unable-to-assess"][weighted(rng, &[70, 20, 10], |&w| w)];
            let intolerance = def.category == "medication" && chance(rng, 20);
            let mut reactions = [None, None];
            if chance(rng, 60) {
                let count = if chance(rng, 30) { 2 } else { 1 };
                for slot in &mut reactions[..count] {
                    let severity =
                        ["mild", "moderate", "severe"][weighted(rng, &[60, 30, 10], |&w| w)];
                    *slot = Some((below(rng, REACTIONS.len()), severity));
                }
                if let [Some(a), Some(b)] = reactions {
                    if a.0 == b.0 {
                        reactions[1] = None;
                    }
                }
            }
            self.allergies.push(Allergy {
                id: Uuid::random(rng),
                allergen,
                recorded,
                criticality,
                intolerance,
                reactions,
            });
        }
        mask
    }

    fn generate_prescriptions(
        &mut self,
        rng: &mut ChaCha8Rng,
        person: &Person,
        seed: u64,
        now: i64,
        mask: u8,
    ) {
        let target = between(rng, 4, 8);
        // One prescription per treatable condition, in onset order...
        for ci in 0..self.conditions.len() {
            if self.prescriptions.len() >= target {
                break;
            }
            let encounter = self.conditions[ci].encounter;
            self.prescribe(rng, person, seed, now, mask, ci, encounter);
        }
        // ...then refills of chronic ones, and second drugs for acute ones.
        let mut attempts = 0;
        while self.prescriptions.len() < target && attempts < 24 {
            attempts += 1;
            let ci = weighted(rng, &self.conditions, |c| {
                let def = &CONDITIONS[c.def];
                match (def.drugs.is_empty(), def.chronic()) {
                    (true, _) => 0,
                    (false, true) => 3,
                    (false, false) => 1,
                }
            });
            let c = &self.conditions[ci];
            if CONDITIONS[c.def].drugs.is_empty() {
                break;
            }
            let encounter = if CONDITIONS[c.def].chronic() {
                let last = match c.abatement {
                    Some(t) => self
                        .encounters
                        .iter()
                        .rposition(|e| e.start <= t)
                        .unwrap_or(c.encounter),
                    None => self.encounters.len() - 1,
                };
                between(rng, c.encounter, last.max(c.encounter))
            } else {
                c.encounter
            };
            self.prescribe(rng, person, seed, now, mask, ci, encounter);
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn prescribe(
        &mut self,
        rng: &mut ChaCha8Rng,
        person: &Person,
        seed: u64,
        now: i64,
        mask: u8,
        ci: usize,
        encounter: usize,
    ) {
        let cond = &self.conditions[ci];
        let def = &CONDITIONS[cond.def];
        if def.drugs.is_empty() {
            return;
        }
        let allowed = |d: &Drug| d.class & mask == 0;
        let n_allowed = def.drugs.iter().filter(|d| allowed(d)).count();
        if n_allowed == 0 {
            return;
        }
        let e = &self.encounters[encounter];
        let previous = self
            .prescriptions
            .iter()
            .rev()
            .find(|p| p.condition == ci)
            .map(|p| p.drug);
        let habitual = def.drugs[habitual_drug(seed, e.practitioner, def, cond.def)];
        let drug = match previous {
            Some(prev) if chance(rng, CONTINUITY_PERCENT) => prev,
            _ if allowed(habitual) && chance(rng, HABIT_PERCENT) => habitual,
            _ => {
                let k = below(rng, n_allowed);
                def.drugs
                    .iter()
                    .copied()
                    .filter(|d| allowed(d))
                    .nth(k)
                    .unwrap_or(habitual)
            }
        };
        if self
            .prescriptions
            .iter()
            .any(|p| p.encounter == encounter && std::ptr::eq(p.drug, drug))
        {
            return;
        }
        let authored = e.start + rng.gen_range(0..=(e.end - e.start).min(3600));
        let status = if !def.chronic() {
            "completed"
        } else if person.death.is_none() && authored >= now - YEAR {
            "active"
        } else {
            "stopped"
        };
        self.prescriptions.push(Prescription {
            id: Uuid::random(rng),
            drug,
            condition: ci,
            encounter,
            authored,
            status,
            by_reference: chance(rng, 1),
            reason_code: chance(rng, 10),
        });
    }

    /// Writes the encounters, conditions, allergies, medications (first use
    /// of each) and prescriptions.
    pub(crate) fn write(
        &self,
        sink: &mut Sink,
        world: &World,
        person: &Person,
        seed: u64,
        medications_written: &mut HashSet<&'static str>,
    ) -> Result<(), SeedsError> {
        for e in &self.encounters {
            self.write_encounter(&mut sink.line, world, person, e);
            sink.emit(Kind::Encounter)?;
        }
        for c in &self.conditions {
            self.write_condition(&mut sink.line, person, c);
            sink.emit(Kind::Condition)?;
        }
        for a in &self.allergies {
            write_allergy(&mut sink.line, person, a);
            sink.emit(Kind::AllergyIntolerance)?;
        }
        for p in &self.prescriptions {
            if p.by_reference && medications_written.insert(p.drug.code) {
                write_medication(&mut sink.line, seed, p.drug);
                sink.emit(Kind::Medication)?;
            }
            self.write_prescription(&mut sink.line, world, person, seed, p);
            sink.emit(Kind::MedicationRequest)?;
        }
        Ok(())
    }

    fn write_encounter(&self, l: &mut Line, world: &World, person: &Person, e: &Encounter) {
        let tz = person.tz;
        let t = &ENCOUNTER_TYPES[e.kind];
        let prac = &world.practitioners[e.practitioner as usize];
        let org = &world.orgs[e.org as usize];
        let site = &world.sites[e.site as usize];
        l.raw("{\"resourceType\":\"Encounter\",\"id\":\"");
        l.uuid(&e.id);
        l.raw("\",\"status\":\"finished\",\"class\":{\"system\":\"http://terminology.hl7.org/CodeSystem/v3-ActCode\",\"code\":\"");
        l.raw(e.class.code());
        l.raw("\"},\"type\":[");
        l.codeable(SNOMED, t.code, t.display);
        l.raw("],\"subject\":{\"reference\":\"Patient/");
        l.uuid(&person.id);
        l.raw("\",\"display\":");
        l.string(&person.display);
        l.raw("},\"participant\":[{\"individual\":{\"reference\":\"Practitioner?identifier=");
        l.raw(NPI_SYSTEM);
        l.raw("|");
        l.npi(&prac.npi);
        l.raw("\",\"display\":");
        l.string(&prac.display);
        l.raw("}}],\"period\":");
        l.period(e.start, e.end, tz);
        if let Some(ci) = e.reason {
            let def = &CONDITIONS[self.conditions[ci].def];
            l.raw(",\"reasonCode\":[");
            l.coded(SNOMED, def.code, def.display);
            l.raw("]");
        }
        l.raw(",\"location\":[{\"location\":{\"reference\":\"Location?identifier=");
        l.raw(SYNTHEA_ID);
        l.raw("|");
        l.uuid(&site.id);
        l.raw("\",\"display\":");
        l.string(&site.name);
        l.raw("}}],\"serviceProvider\":{\"reference\":\"Organization?identifier=");
        l.raw(SYNTHEA_ID);
        l.raw("|");
        l.uuid(&org.id);
        l.raw("\",\"display\":");
        l.string(&org.name);
        l.raw("}}");
    }

    fn write_condition(&self, l: &mut Line, person: &Person, c: &Condition) {
        let tz = person.tz;
        let def = &CONDITIONS[c.def];
        l.raw("{\"resourceType\":\"Condition\",\"id\":\"");
        l.uuid(&c.id);
        l.raw("\",\"clinicalStatus\":{\"coding\":[{\"system\":\"http://terminology.hl7.org/CodeSystem/condition-clinical\",\"code\":\"");
        l.raw(if c.abatement.is_some() {
            "resolved"
        } else {
            "active"
        });
        l.raw("\"}]},\"verificationStatus\":{\"coding\":[{\"system\":\"http://terminology.hl7.org/CodeSystem/condition-ver-status\",\"code\":\"confirmed\"}]},\"category\":[{\"coding\":[{\"system\":\"http://terminology.hl7.org/CodeSystem/condition-category\",\"code\":\"encounter-diagnosis\",\"display\":\"Encounter Diagnosis\"}]}],\"code\":");
        l.codeable(SNOMED, def.code, def.display);
        l.raw(",\"subject\":");
        l.uuid_ref("urn:uuid:", &person.id);
        l.raw(",\"encounter\":");
        l.uuid_ref("urn:uuid:", &self.encounters[c.encounter].id);
        l.raw(",\"onsetDateTime\":");
        l.datetime(c.onset, tz);
        if let Some(a) = c.abatement {
            l.raw(",\"abatementDateTime\":");
            l.datetime(a, tz);
        }
        l.raw(",\"recordedDate\":");
        l.datetime(c.onset, tz);
        l.raw("}");
    }

    fn write_prescription(
        &self,
        l: &mut Line,
        world: &World,
        person: &Person,
        seed: u64,
        p: &Prescription,
    ) {
        let tz = person.tz;
        let e = &self.encounters[p.encounter];
        let prac = &world.practitioners[e.practitioner as usize];
        let cond = &self.conditions[p.condition];
        let def = &CONDITIONS[cond.def];
        l.raw("{\"resourceType\":\"MedicationRequest\",\"id\":\"");
        l.uuid(&p.id);
        l.raw("\",\"status\":\"");
        l.raw(p.status);
        l.raw("\",\"intent\":\"order\",\"category\":[{\"coding\":[{\"system\":\"http://terminology.hl7.org/CodeSystem/medicationrequest-category\",\"code\":\"community\",\"display\":\"Community\"}]}],");
        if p.by_reference {
            l.raw("\"medicationReference\":");
            l.uuid_ref("Medication/", &medication_id(seed, p.drug));
        } else {
            l.raw("\"medicationCodeableConcept\":");
            l.codeable(RXNORM, p.drug.code, p.drug.display);
        }
        l.raw(",\"subject\":");
        l.uuid_ref("urn:uuid:", &person.id);
        l.raw(",\"encounter\":");
        l.uuid_ref("urn:uuid:", &e.id);
        l.raw(",\"authoredOn\":");
        l.datetime(p.authored, tz);
        l.raw(",\"requester\":{\"reference\":\"Practitioner?identifier=");
        l.raw(NPI_SYSTEM);
        l.raw("|");
        l.npi(&prac.npi);
        l.raw("\",\"display\":");
        l.string(&prac.display);
        l.raw("}");
        if p.reason_code {
            l.raw(",\"reasonCode\":[");
            l.codeable(SNOMED, def.code, def.display);
            l.raw("]");
        } else {
            l.raw(",\"reasonReference\":[{\"reference\":\"urn:uuid:");
            l.uuid(&cond.id);
            l.raw("\",\"display\":");
            l.string(def.display);
            l.raw("}]");
        }
        if def.chronic() {
            l.raw(",\"dosageInstruction\":[{\"sequence\":1,\"timing\":{\"repeat\":{\"frequency\":1,\"period\":1.0,\"periodUnit\":\"d\"}},\"asNeededBoolean\":false}]}");
        } else {
            l.raw(",\"dosageInstruction\":[{\"sequence\":1,\"asNeededBoolean\":true}]}");
        }
    }
}

/// The id of the Medication resource of a drug (one per drug and seed).
pub(crate) fn medication_id(seed: u64, drug: &Drug) -> Uuid {
    let code: u64 = drug
        .code
        .bytes()
        .fold(0, |acc, b| acc * 10 + u64::from(b - b'0'));
    Uuid::hashed(seed, 0x4D45_4449, code)
}

fn write_medication(l: &mut Line, seed: u64, drug: &Drug) {
    l.raw("{\"resourceType\":\"Medication\",\"id\":\"");
    l.uuid(&medication_id(seed, drug));
    l.raw("\",\"meta\":{\"profile\":[\"http://hl7.org/fhir/us/core/StructureDefinition/us-core-medication\"]},\"code\":");
    l.codeable(RXNORM, drug.code, drug.display);
    l.raw(",\"status\":\"active\"}");
}

fn write_allergy(l: &mut Line, person: &Person, a: &Allergy) {
    let def = &ALLERGENS[a.allergen];
    l.raw("{\"resourceType\":\"AllergyIntolerance\",\"id\":\"");
    l.uuid(&a.id);
    l.raw("\",\"clinicalStatus\":{\"coding\":[{\"system\":\"http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical\",\"code\":\"active\"}]},\"verificationStatus\":{\"coding\":[{\"system\":\"http://terminology.hl7.org/CodeSystem/allergyintolerance-verification\",\"code\":\"confirmed\"}]},\"type\":\"");
    l.raw(if a.intolerance {
        "intolerance"
    } else {
        "allergy"
    });
    l.raw("\",\"category\":[\"");
    l.raw(def.category);
    l.raw("\"],\"criticality\":\"");
    l.raw(a.criticality);
    l.raw("\",\"code\":");
    l.codeable(def.system, def.code, def.display);
    l.raw(",\"patient\":");
    l.uuid_ref("Patient/", &person.id);
    l.raw(",\"recordedDate\":");
    l.datetime(a.recorded, person.tz);
    let mut first = true;
    for (r, severity) in a.reactions.iter().flatten() {
        l.raw(if first { ",\"reaction\":[" } else { "," });
        first = false;
        let (code, display) = REACTIONS[*r];
        l.raw("{\"manifestation\":[");
        l.codeable(SNOMED, code, display);
        l.raw("],\"severity\":\"");
        l.raw(severity);
        l.raw("\"}");
    }
    if !first {
        l.raw("]");
    }
    l.raw("}");
}
