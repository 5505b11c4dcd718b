//! Patients: demographics and the Patient resource.

use rand::Rng;
use rand_chacha::ChaCha8Rng;

use crate::geo::STATES;
use crate::ids::Uuid;
use crate::json::Line;
use crate::names::{FAMILY, FEMALE_GIVEN, MALE_GIVEN};
use crate::sample::{below, chance, pick, weighted};
use crate::tables::{payer, HISPANIC, MARITAL, NOT_HISPANIC, RACES, SPECIALTIES, SYNTHEA_ID};
use crate::time::{years_between, Tz, DAY, YEAR};
use crate::world::{near, street_line, World};

/// Relative weights of ages by decade (0-9, 10-19, ..., 90-100), roughly the
/// US population pyramid.
const AGE_DECADES: [u32; 10] = [12, 13, 14, 13, 12, 13, 12, 7, 3, 1];

/// How a patient's claims are paid, depending on age at the claim.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Coverage {
    /// Qualifies for Medicaid (and, from 65, is dual eligible).
    pub low_income: bool,
    /// Has no insurance before 65 (unless low income).
    pub uninsured: bool,
    /// Index into [`payer::PRIVATE`] of the private insurer, if insured.
    pub private: usize,
}

impl Coverage {
    /// The payer at `age` and the share of claims it pays (percent).
    pub(crate) fn payer(self, age: u32) -> (&'static str, u64) {
        if age >= 65 {
            if self.low_income {
                (payer::DUAL_ELIGIBLE, 100)
            } else {
                (payer::MEDICARE, 80)
            }
        } else if self.low_income {
            (payer::MEDICAID, 100)
        } else if self.uninsured {
            (payer::NO_INSURANCE, 0)
        } else {
            let (name, _, pays) = payer::PRIVATE[self.private];
            (name, pays)
        }
    }
}

/// One patient's demographics.
#[derive(Debug)]
pub(crate) struct Person {
    pub id: Uuid,
    pub female: bool,
    pub given: &'static str,
    pub middle: Option<&'static str>,
    pub family: &'static str,
    pub maiden: Option<&'static str>,
    pub prefix: Option<&'static str>,
    /// "Mrs. Mary Ann Smith".
    pub display: String,
    pub birth: i64,
    pub death: Option<i64>,
    /// End of the record: death, or the export time.
    pub end: i64,
    pub state: usize,
    pub city: usize,
    pub tz: Tz,
    pub lat: i64,
    pub lon: i64,
    pub line: String,
    pub state_spelled_out: bool,
    pub birth_state: usize,
    pub birth_city: usize,
    pub race: usize,
    pub hispanic: bool,
    pub marital: Option<usize>,
    pub ssn: u32,
    pub phone: u32,
    /// Usual (primary-care) practitioner.
    pub gp: u32,
    pub coverage: Coverage,
}

impl Person {
    /// Age in whole years at `at`.
    pub(crate) fn age_at(&self, at: i64) -> u32 {
        years_between(self.birth, at)
    }

    /// Generates a patient living in one of the world's states.
    pub(crate) fn generate(rng: &mut ChaCha8Rng, world: &World, now: i64) -> Person {
        let id = Uuid::random(rng);
        let female = rng.gen_bool(0.51);
        let decade = weighted(rng, &AGE_DECADES, |&w| w) as i64;
        let age = decade * 10 + rng.gen_range(0..if decade == 9 { 11 } else { 10 });
        let birth = if age == 0 {
            now - rng.gen_range(30 * DAY..YEAR)
        } else {
            now - age * YEAR - rng.gen_range(0..YEAR)
        };
        let death_percent = match age {
            0..=59 => 1,
            60..=79 => 6,
            _ => 25,
        };
        let death = chance(rng, death_percent).then(|| {
            let lo = (birth + 30 * DAY).max(now - 10 * YEAR);
            let hi = (now - DAY).max(lo);
            rng.gen_range(lo..=hi)
        });
        let end = death.unwrap_or(now);

        let state = world.states[weighted(rng, &world.states, |&s| STATES[s].weight)];
        let cities = STATES[state].cities;
        let city = weighted(rng, cities, |c| c.weight);
        let (lat, lon) = near(rng, &cities[city], 60_000);
        let line = street_line(rng);
        let state_spelled_out = chance(rng, 25);
        let (birth_state, birth_city) = if chance(rng, 80) {
            (state, weighted(rng, cities, |c| c.weight))
        } else {
            let s = below(rng, STATES.len());
            (s, weighted(rng, STATES[s].cities, |c| c.weight))
        };

        let given = *pick(rng, if female { FEMALE_GIVEN } else { MALE_GIVEN });
        let middle =
            chance(rng, 50).then(|| *pick(rng, if female { FEMALE_GIVEN } else { MALE_GIVEN }));
        let family = *pick(rng, FAMILY);
        let adult_age = years_between(birth, end);
        let marital = (adult_age >= 18).then(|| {
            let weights: [u32; 4] = if adult_age >= 70 {
                [50, 8, 12, 30]
            } else if adult_age < 30 {
                [30, 65, 4, 1]
            } else {
                [55, 25, 16, 4]
            };
            weighted(rng, &weights, |&w| w)
        });
        let married = marital.is_some_and(|m| MARITAL[m].0 != "S");
        let maiden = (female && married && chance(rng, 60)).then(|| *pick(rng, FAMILY));
        let prefix = (adult_age >= 18).then_some(match (female, married) {
            (false, _) => "Mr.",
            (true, true) => "Mrs.",
            (true, false) => "Ms.",
        });
        let mut display = String::with_capacity(40);
        if let Some(p) = prefix {
            display.push_str(p);
            display.push(' ');
        }
        display.push_str(given);
        if let Some(m) = middle {
            display.push(' ');
            display.push_str(m);
        }
        display.push(' ');
        display.push_str(family);

        let race = weighted(rng, RACES, |r| r.2);
        let hispanic = chance(rng, 18);
        let ssn = rng.gen_range(0..1_000_000);
        let phone = rng.gen_range(0..10_000_000);

        let gp = choose_gp(rng, world, state, adult_age < 18);
        let low_income = chance(rng, 18);
        let coverage = Coverage {
            low_income,
            uninsured: !low_income && chance(rng, 9),
            private: weighted(rng, payer::PRIVATE, |p| p.1),
        };
        Person {
            id,
            female,
            given,
            middle,
            family,
            maiden,
            prefix,
            display,
            birth,
            death,
            end,
            state,
            city,
            tz: STATES[state].tz,
            lat,
            lon,
            line,
            state_spelled_out,
            birth_state,
            birth_city,
            race,
            hispanic,
            marital,
            ssn,
            phone,
            gp,
            coverage,
        }
    }

    /// Writes the Patient resource.
    pub(crate) fn write(&self, l: &mut Line) {
        let tz = self.tz;
        let (race_code, race_display, _) = RACES[self.race];
        let (eth_code, eth_display) = if self.hispanic {
            HISPANIC
        } else {
            NOT_HISPANIC
        };
        l.raw("{\"resourceType\":\"Patient\",\"id\":\"");
        l.uuid(&self.id);
        l.raw("\",\"meta\":{\"profile\":[\"http://hl7.org/fhir/us/core/StructureDefinition/us-core-patient\"]},\"extension\":[{\"url\":\"http://hl7.org/fhir/us/core/StructureDefinition/us-core-race\",\"extension\":[{\"url\":\"ombCategory\",\"valueCoding\":{\"system\":\"urn:oid:2.16.840.1.113883.6.238\",\"code\":\"");
        l.raw(race_code);
        l.raw("\",\"display\":");
        l.string(race_display);
        l.raw("}},{\"url\":\"text\",\"valueString\":");
        l.string(race_display);
        l.raw("}]},{\"url\":\"http://hl7.org/fhir/us/core/StructureDefinition/us-core-ethnicity\",\"extension\":[{\"url\":\"ombCategory\",\"valueCoding\":{\"system\":\"urn:oid:2.16.840.1.113883.6.238\",\"code\":\"");
        l.raw(eth_code);
        l.raw("\",\"display\":");
        l.string(eth_display);
        l.raw("}},{\"url\":\"text\",\"valueString\":");
        l.string(eth_display);
        l.raw("}]},{\"url\":\"http://hl7.org/fhir/us/core/StructureDefinition/us-core-birthsex\",\"valueCode\":");
        l.raw(if self.female { "\"F\"" } else { "\"M\"" });
        l.raw("},{\"url\":\"http://hl7.org/fhir/StructureDefinition/patient-birthPlace\",\"valueAddress\":{\"city\":");
        let birth_state = &STATES[self.birth_state];
        l.string(birth_state.cities[self.birth_city].name);
        l.raw(",\"state\":");
        l.string(birth_state.name);
        l.raw(",\"country\":\"US\"}}],\"identifier\":[{\"system\":\"");
        l.raw(SYNTHEA_ID);
        l.raw("\",\"value\":\"");
        l.uuid(&self.id);
        l.raw("\"},{\"type\":{\"coding\":[{\"system\":\"http://terminology.hl7.org/CodeSystem/v2-0203\",\"code\":\"MR\",\"display\":\"Medical Record Number\"}],\"text\":\"Medical Record Number\"},\"system\":\"http://hospital.smarthealthit.org\",\"value\":\"");
        l.uuid(&self.id);
        l.raw("\"},{\"type\":{\"coding\":[{\"system\":\"http://terminology.hl7.org/CodeSystem/v2-0203\",\"code\":\"SS\",\"display\":\"Social Security Number\"}],\"text\":\"Social Security Number\"},\"system\":\"http://hl7.org/fhir/sid/us-ssn\",\"value\":\"999-");
        push_digits(l, u64::from(self.ssn / 10_000), 2);
        l.raw("-");
        push_digits(l, u64::from(self.ssn % 10_000), 4);
        l.raw("\"}],\"name\":[");
        self.write_name(l, "official", self.family);
        if let Some(maiden) = self.maiden {
            l.raw(",");
            self.write_name(l, "maiden", maiden);
        }
        l.raw("],\"telecom\":[{\"system\":\"phone\",\"value\":\"555-");
        push_digits(l, u64::from(self.phone / 10_000), 3);
        l.raw("-");
        push_digits(l, u64::from(self.phone % 10_000), 4);
        l.raw("\",\"use\":\"home\"}],\"gender\":");
        l.raw(if self.female {
            "\"female\""
        } else {
            "\"male\""
        });
        l.raw(",\"birthDate\":");
        l.date(self.birth, tz);
        if let Some(death) = self.death {
            l.raw(",\"deceasedDateTime\":");
            l.datetime(death, tz);
        }
        let state = &STATES[self.state];
        let city = &state.cities[self.city];
        l.raw(",\"address\":[{\"extension\":[{\"url\":\"http://hl7.org/fhir/StructureDefinition/geolocation\",\"extension\":[{\"url\":\"latitude\",\"valueDecimal\":");
        l.micro_degrees(self.lat);
        l.raw("},{\"url\":\"longitude\",\"valueDecimal\":");
        l.micro_degrees(self.lon);
        l.raw("}]}],\"line\":[");
        l.string(&self.line);
        l.raw("],\"city\":");
        l.string(city.name);
        l.raw(",\"state\":");
        l.string(if self.state_spelled_out {
            state.name
        } else {
            state.code
        });
        l.raw(",\"postalCode\":");
        l.string(city.zip);
        l.raw(",\"country\":\"US\"}]");
        if let Some(m) = self.marital {
            let (code, display) = MARITAL[m];
            l.raw(",\"maritalStatus\":{\"coding\":[{\"system\":\"http://terminology.hl7.org/CodeSystem/v3-MaritalStatus\",\"code\":");
            l.string(code);
            l.raw(",\"display\":");
            l.string(display);
            l.raw("}],\"text\":");
            l.string(display);
            l.raw("}");
        }
        l.raw(",\"multipleBirthBoolean\":false}");
    }

    fn write_name(&self, l: &mut Line, usage: &str, family: &str) {
        l.raw("{\"use\":\"");
        l.raw(usage);
        l.raw("\",\"family\":");
        l.string(family);
        l.raw(",\"given\":[");
        l.string(self.given);
        if let Some(m) = self.middle {
            l.raw(",");
            l.string(m);
        }
        l.raw("]");
        if let Some(p) = self.prefix {
            l.raw(",\"prefix\":[");
            l.string(p);
            l.raw("]");
        }
        l.raw("}");
    }
}

/// Zero-padded decimal digits.
fn push_digits(l: &mut Line, v: u64, width: u32) {
    let mut div = 10_u64.pow(width.saturating_sub(1));
    while div > 0 {
        l.buf.push(b'0' + (v / div % 10) as u8);
        div /= 10;
    }
}

/// A usual practitioner in the patient's state: primary care, a
/// pediatrician for children when one is found (and not for adults).
fn choose_gp(rng: &mut ChaCha8Rng, world: &World, state: usize, child: bool) -> u32 {
    let candidates = if world.primary_care[state].is_empty() {
        &world.staff[state]
    } else {
        &world.primary_care[state]
    };
    let mut choice = *pick(rng, candidates);
    for _ in 0..4 {
        let spec = &SPECIALTIES[world.practitioners[choice as usize].specialty];
        let pediatric = spec.code == "208000000X";
        if pediatric == child {
            break;
        }
        choice = *pick(rng, candidates);
    }
    choice
}
