//! Claims and explanations of benefit: one professional or institutional
//! claim per encounter, one pharmacy claim per prescription, and one
//! `ExplanationOfBenefit` per claim.

use rand::Rng;
use rand_chacha::ChaCha8Rng;

use crate::clinical::{Encounter, Record};
use crate::error::SeedsError;
use crate::ids::Uuid;
use crate::json::Line;
use crate::output::{Kind, Sink};
use crate::patient::Person;
use crate::sample::chance;
use crate::tables::{EncounterClass, ENCOUNTER_TYPES, NPI_SYSTEM, RXNORM, SNOMED, SYNTHEA_ID};
use crate::world::World;

/// Percent of claims written without `insurance`: their payer is only named
/// by the `insurer` of their `ExplanationOfBenefit` (a path the loader
/// supports and should see exercised).
const NO_INSURANCE_BLOCK_PERCENT: u32 = 1;

/// What both a claim and its EOB need.
struct Bill<'a> {
    claim_id: Uuid,
    eob_id: Uuid,
    claim_type: &'static str,
    start: i64,
    end: i64,
    payer: &'static str,
    pays_percent: u64,
    total_cents: u64,
    omit_insurance: bool,
    encounter: &'a Encounter,
}

/// Writes every claim and EOB of a patient's record.
pub(crate) fn write_claims(
    sink: &mut Sink,
    rng: &mut ChaCha8Rng,
    world: &World,
    person: &Person,
    record: &Record,
) -> Result<(), SeedsError> {
    for (ei, e) in record.encounters.iter().enumerate() {
        let (payer, pays_percent) = person.coverage.payer(person.age_at(e.start));
        let base = match e.class {
            EncounterClass::Ambulatory => rng.gen_range(7_500..=25_000),
            EncounterClass::Emergency => rng.gen_range(80_000..=300_000),
            EncounterClass::Inpatient => rng.gen_range(500_000..=2_500_000),
        };
        let diagnoses = record
            .conditions
            .iter()
            .filter(|c| c.encounter == ei)
            .count() as u64;
        let bill = Bill {
            claim_id: Uuid::random(rng),
            eob_id: Uuid::random(rng),
            claim_type: e.class.claim_type(),
            start: e.start,
            end: e.end,
            payer,
            pays_percent,
            total_cents: base + diagnoses * rng.gen_range(2_000..=8_000),
            omit_insurance: chance(rng, NO_INSURANCE_BLOCK_PERCENT),
            encounter: e,
        };
        write_encounter_claim(&mut sink.line, world, person, record, ei, &bill);
        sink.emit(Kind::Claim)?;
        write_eob(&mut sink.line, world, person, &bill, None);
        sink.emit(Kind::ExplanationOfBenefit)?;
    }
    for p in &record.prescriptions {
        let e = &record.encounters[p.encounter];
        let (payer, pays_percent) = person.coverage.payer(person.age_at(p.authored));
        let fill = u64::from(p.drug.fill_cents) * rng.gen_range(90..=130) / 100 + 200;
        let bill = Bill {
            claim_id: Uuid::random(rng),
            eob_id: Uuid::random(rng),
            claim_type: "pharmacy",
            start: p.authored,
            end: p.authored + 15 * 60,
            payer,
            pays_percent,
            total_cents: fill,
            omit_insurance: chance(rng, NO_INSURANCE_BLOCK_PERCENT),
            encounter: e,
        };
        write_pharmacy_claim(
            &mut sink.line,
            world,
            person,
            p.id,
            p.drug.code,
            p.drug.display,
            &bill,
        );
        sink.emit(Kind::Claim)?;
        write_eob(
            &mut sink.line,
            world,
            person,
            &bill,
            Some((p.drug.code, p.drug.display)),
        );
        sink.emit(Kind::ExplanationOfBenefit)?;
    }
    Ok(())
}

/// The parts every claim starts with.
fn claim_head(l: &mut Line, world: &World, person: &Person, bill: &Bill) {
    let org = &world.orgs[bill.encounter.org as usize];
    l.raw("{\"resourceType\":\"Claim\",\"id\":\"");
    l.uuid(&bill.claim_id);
    l.raw("\",\"status\":\"active\",\"type\":{\"coding\":[{\"system\":\"http://terminology.hl7.org/CodeSystem/claim-type\",\"code\":\"");
    l.raw(bill.claim_type);
    l.raw("\"}]},\"use\":\"claim\",\"patient\":");
    l.uuid_ref("urn:uuid:", &person.id);
    l.raw(",\"billablePeriod\":");
    l.period(bill.start, bill.end, person.tz);
    l.raw(",\"created\":");
    l.datetime(bill.end, person.tz);
    l.raw(",\"provider\":{\"reference\":\"Organization?identifier=");
    l.raw(SYNTHEA_ID);
    l.raw("|");
    l.uuid(&org.id);
    l.raw("\",\"display\":");
    l.string(&org.name);
    l.raw("}");
}

fn insurance(l: &mut Line, bill: &Bill) {
    if !bill.omit_insurance {
        l.raw(",\"insurance\":[{\"sequence\":1,\"focal\":true,\"coverage\":{\"display\":");
        l.string(bill.payer);
        l.raw("}}]");
    }
}

fn total(l: &mut Line, cents: u64) {
    l.raw(",\"total\":{\"value\":");
    l.money(cents);
    l.raw(",\"currency\":\"USD\"}}");
}

fn write_encounter_claim(
    l: &mut Line,
    world: &World,
    person: &Person,
    record: &Record,
    ei: usize,
    bill: &Bill,
) {
    let e = bill.encounter;
    let t = &ENCOUNTER_TYPES[e.kind];
    claim_head(l, world, person, bill);
    let mut seq = 0;
    for c in record.conditions.iter().filter(|c| c.encounter == ei) {
        seq += 1;
        l.raw(if seq == 1 { ",\"diagnosis\":[" } else { "," });
        l.raw("{\"sequence\":");
        l.uint(seq);
        l.raw(",\"diagnosisReference\":");
        l.uuid_ref("urn:uuid:", &c.id);
        l.raw("}");
    }
    if seq > 0 {
        l.raw("]");
    }
    insurance(l, bill);
    l.raw(",\"item\":[{\"sequence\":1,\"productOrService\":");
    l.coded(SNOMED, t.code, t.display);
    l.raw(",\"encounter\":[");
    l.uuid_ref("urn:uuid:", &e.id);
    l.raw("]}]");
    total(l, bill.total_cents);
}

fn write_pharmacy_claim(
    l: &mut Line,
    world: &World,
    person: &Person,
    prescription: Uuid,
    code: &str,
    display: &str,
    bill: &Bill,
) {
    claim_head(l, world, person, bill);
    l.raw(",\"prescription\":");
    l.uuid_ref("urn:uuid:", &prescription);
    insurance(l, bill);
    l.raw(",\"item\":[{\"sequence\":1,\"productOrService\":");
    l.coded(RXNORM, code, display);
    l.raw(",\"encounter\":[");
    l.uuid_ref("urn:uuid:", &bill.encounter.id);
    l.raw("]}]");
    total(l, bill.total_cents);
}

fn write_eob(
    l: &mut Line,
    world: &World,
    person: &Person,
    bill: &Bill,
    drug: Option<(&str, &str)>,
) {
    let e = bill.encounter;
    let prac = &world.practitioners[e.practitioner as usize];
    let tz = person.tz;
    l.raw("{\"resourceType\":\"ExplanationOfBenefit\",\"id\":\"");
    l.uuid(&bill.eob_id);
    l.raw("\",\"status\":\"active\",\"type\":{\"coding\":[{\"system\":\"http://terminology.hl7.org/CodeSystem/claim-type\",\"code\":\"");
    l.raw(bill.claim_type);
    l.raw("\"}]},\"use\":\"claim\",\"patient\":");
    l.uuid_ref("urn:uuid:", &person.id);
    l.raw(",\"billablePeriod\":");
    l.period(bill.start, bill.end, tz);
    l.raw(",\"created\":");
    l.datetime(bill.end, tz);
    l.raw(",\"insurer\":{\"display\":");
    l.string(bill.payer);
    l.raw("},\"provider\":{\"reference\":\"Practitioner?identifier=");
    l.raw(NPI_SYSTEM);
    l.raw("|");
    l.npi(&prac.npi);
    l.raw("\"},\"claim\":");
    l.uuid_ref("urn:uuid:", &bill.claim_id);
    l.raw(",\"outcome\":\"complete\",\"insurance\":[{\"focal\":true,\"coverage\":{\"display\":");
    l.string(bill.payer);
    l.raw("}}],\"item\":[{\"sequence\":1,\"productOrService\":");
    if let Some((code, display)) = drug {
        l.coded(RXNORM, code, display);
    } else {
        let t = &ENCOUNTER_TYPES[e.kind];
        l.coded(SNOMED, t.code, t.display);
    }
    l.raw("}],\"payment\":{\"amount\":{\"value\":");
    l.money(bill.total_cents * bill.pays_percent / 100);
    l.raw(",\"currency\":\"USD\"}}}");
}
