//! The provider world: organizations, their locations, practitioners and
//! practitioner roles. It is generated first, kept in memory (its size is
//! proportional to the population: ~1 organization per 1,000 patients and
//! ~1 practitioner per 200) and written before any patient.

use rand::Rng;
use rand_chacha::ChaCha8Rng;

use crate::error::SeedsError;
use crate::geo::{City, STATES};
use crate::ids::{Npi, Uuid};
use crate::json::Line;
use crate::names::{
    FAMILY, FEMALE_GIVEN, MALE_GIVEN, ORG_KIND, SECOND_SITE, STREET, STREET_SUFFIX,
};
use crate::output::{Kind, Sink};
use crate::sample::{chance, pick, weighted};
use crate::tables::{NPI_SYSTEM, NUCC, SPECIALTIES, SYNTHEA_ID};

/// A provider organization.
#[derive(Debug)]
pub(crate) struct Org {
    pub id: Uuid,
    pub name: String,
    pub state: usize,
    pub city: usize,
    pub line: String,
    pub zip: String,
    pub phone: u64,
    pub first_location: u32,
    pub locations: u32,
}

/// A site of an organization.
#[derive(Debug)]
pub(crate) struct Site {
    pub id: Uuid,
    pub org: u32,
    pub name: String,
    pub line: String,
    pub lat: i64,
    pub lon: i64,
    pub phone: u64,
}

/// A practitioner and where they work.
#[derive(Debug)]
pub(crate) struct Practitioner {
    pub id: Uuid,
    pub npi: Npi,
    pub given: &'static str,
    pub family: &'static str,
    pub female: bool,
    /// "Dr. Given Family".
    pub display: String,
    pub org: u32,
    /// A second organization the practitioner also works at, if any.
    pub second_org: Option<u32>,
    pub specialty: usize,
    /// Whether their address spells the state out ("Texas") or uses the
    /// USPS code ("TX").
    pub state_spelled_out: bool,
    pub role_ids: [Uuid; 2],
}

/// Everything patients are cared for by.
#[derive(Debug)]
pub(crate) struct World {
    pub orgs: Vec<Org>,
    pub sites: Vec<Site>,
    pub practitioners: Vec<Practitioner>,
    /// Indices into [`STATES`] of the states in use.
    pub states: Vec<usize>,
    /// Per state (indexed like [`STATES`]): its primary-care practitioners.
    pub primary_care: Vec<Vec<u32>>,
    /// Per state: all its practitioners.
    pub staff: Vec<Vec<u32>>,
}

/// Organizations for a population: one per 1,000 patients, at least 5.
pub(crate) fn organization_count(patients: u64) -> u64 {
    patients.div_ceil(1000).max(5)
}

/// Practitioners for a population: one per 200 patients, at least 10.
pub(crate) fn practitioner_count(patients: u64) -> u64 {
    patients.div_ceil(200).max(10)
}

/// A street address line such as "633 Abernathy Landing".
pub(crate) fn street_line(rng: &mut ChaCha8Rng) -> String {
    let number: u32 = rng.gen_range(1..9_999);
    format!(
        "{number} {} {}",
        pick(rng, STREET),
        pick(rng, STREET_SUFFIX)
    )
}

/// A coordinate near a city centre (within about `spread` micro-degrees).
pub(crate) fn near(rng: &mut ChaCha8Rng, city: &City, spread: i64) -> (i64, i64) {
    (
        city.lat + rng.gen_range(-spread..=spread),
        city.lon + rng.gen_range(-spread..=spread),
    )
}

fn phone(rng: &mut ChaCha8Rng) -> u64 {
    // NANP: area code and exchange start with 2-9.
    rng.gen_range(2..10) * 1_000_000_000
        + rng.gen_range(0..100) * 10_000_000
        + rng.gen_range(2..10) * 1_000_000
        + rng.gen_range(0..1_000_000)
}

impl World {
    /// Generates the world of a population of `patients`.
    pub(crate) fn generate(rng: &mut ChaCha8Rng, seed: u64, patients: u64) -> World {
        let n_orgs = organization_count(patients);
        let n_pracs = practitioner_count(patients);
        let n_states = STATES.len().min(n_orgs as usize);
        let states: Vec<usize> = (0..n_states).collect();

        let mut orgs = Vec::with_capacity(n_orgs as usize);
        let mut sites = Vec::with_capacity(n_orgs as usize * 3 / 2);
        let mut by_state: Vec<Vec<u32>> = vec![Vec::new(); STATES.len()];
        for i in 0..n_orgs as usize {
            let state = if i < n_states {
                i
            } else {
                states[weighted(rng, &states, |&s| STATES[s].weight)]
            };
            let cities = STATES[state].cities;
            let city = weighted(rng, cities, |c| c.weight);
            let id = Uuid::random(rng);
            let name = if chance(rng, 30) {
                format!(
                    "{} {}",
                    pick(rng, FAMILY).to_uppercase(),
                    pick(rng, ORG_KIND)
                )
            } else {
                format!(
                    "{} {}",
                    cities[city].name.to_uppercase(),
                    pick(rng, ORG_KIND)
                )
            };
            let line = street_line(rng).to_uppercase();
            let zip = format!("{}{:04}", cities[city].zip, rng.gen_range(0..10_000_u32));
            let org_phone = phone(rng);
            let first_location = sites.len() as u32;
            let locations = if chance(rng, 40) { 2 } else { 1 };
            for k in 0..locations {
                let (lat, lon) = near(rng, &cities[city], 20_000);
                let site_id = Uuid::random(rng);
                let (site_name, site_line) = if k == 0 {
                    (name.clone(), line.clone())
                } else {
                    (
                        format!("{name} {}", pick(rng, SECOND_SITE)),
                        street_line(rng).to_uppercase(),
                    )
                };
                sites.push(Site {
                    id: site_id,
                    org: i as u32,
                    name: site_name,
                    line: site_line,
                    lat,
                    lon,
                    phone: phone(rng),
                });
            }
            by_state[state].push(i as u32);
            orgs.push(Org {
                id,
                name,
                state,
                city,
                line,
                zip,
                phone: org_phone,
                first_location,
                locations,
            });
        }

        let mut practitioners = Vec::with_capacity(n_pracs as usize);
        let mut primary_care = vec![Vec::new(); STATES.len()];
        let mut staff = vec![Vec::new(); STATES.len()];
        for j in 0..n_pracs {
            let org = if j < n_orgs {
                j as u32
            } else {
                rng.gen_range(0..n_orgs) as u32
            };
            let state = orgs[org as usize].state;
            let peers = &by_state[state];
            let second_org = if peers.len() > 1 && chance(rng, 15) {
                Some(*pick(rng, peers)).filter(|&o| o != org)
            } else {
                None
            };
            let specialty = weighted(rng, SPECIALTIES, |s| s.weight);
            let female = rng.gen_bool(0.5);
            let given = *pick(rng, if female { FEMALE_GIVEN } else { MALE_GIVEN });
            let family = *pick(rng, FAMILY);
            let index = practitioners.len() as u32;
            staff[state].push(index);
            if SPECIALTIES[specialty].primary_care {
                primary_care[state].push(index);
            }
            practitioners.push(Practitioner {
                id: Uuid::random(rng),
                npi: Npi::for_index(seed, j),
                given,
                family,
                female,
                display: format!("Dr. {given} {family}"),
                org,
                second_org,
                specialty,
                state_spelled_out: chance(rng, 50),
                role_ids: [Uuid::random(rng), Uuid::random(rng)],
            });
        }
        World {
            orgs,
            sites,
            practitioners,
            states,
            primary_care,
            staff,
        }
    }

    /// Writes Organization, Location, Practitioner and `PractitionerRole`
    /// resources.
    pub(crate) fn write(&self, sink: &mut Sink) -> Result<(), SeedsError> {
        for org in &self.orgs {
            Self::write_org(&mut sink.line, org);
            sink.emit(Kind::Organization)?;
        }
        for site in &self.sites {
            self.write_site(&mut sink.line, site);
            sink.emit(Kind::Location)?;
        }
        for prac in &self.practitioners {
            self.write_practitioner(&mut sink.line, prac);
            sink.emit(Kind::Practitioner)?;
        }
        for prac in &self.practitioners {
            self.write_role(&mut sink.line, prac, prac.org, &prac.role_ids[0]);
            sink.emit(Kind::PractitionerRole)?;
            if let Some(second) = prac.second_org {
                self.write_role(&mut sink.line, prac, second, &prac.role_ids[1]);
                sink.emit(Kind::PractitionerRole)?;
            }
        }
        Ok(())
    }

    fn write_address(l: &mut Line, org: &Org, line: &str, spelled_out: bool) {
        let state = &STATES[org.state];
        l.raw("{\"line\":[");
        l.string(line);
        l.raw("],\"city\":");
        l.string(&STATES[org.state].cities[org.city].name.to_uppercase());
        l.raw(",\"state\":");
        l.string(if spelled_out { state.name } else { state.code });
        l.raw(",\"postalCode\":");
        l.string(&org.zip);
        l.raw(",\"country\":\"US\"}");
    }

    fn write_org(l: &mut Line, org: &Org) {
        l.raw("{\"resourceType\":\"Organization\",\"id\":\"");
        l.uuid(&org.id);
        l.raw("\",\"meta\":{\"profile\":[\"http://hl7.org/fhir/us/core/StructureDefinition/us-core-organization\"]},\"identifier\":[{\"system\":\"");
        l.raw(SYNTHEA_ID);
        l.raw("\",\"value\":\"");
        l.uuid(&org.id);
        l.raw("\"}],\"active\":true,\"type\":[{\"coding\":[{\"system\":\"http://terminology.hl7.org/CodeSystem/organization-type\",\"code\":\"prov\",\"display\":\"Healthcare Provider\"}],\"text\":\"Healthcare Provider\"}],\"name\":");
        l.string(&org.name);
        l.raw(",\"telecom\":[{\"system\":\"phone\",\"value\":\"");
        l.uint(org.phone);
        l.raw("\"}],\"address\":[");
        Self::write_address(l, org, &org.line, false);
        l.raw("]}");
    }

    fn write_site(&self, l: &mut Line, site: &Site) {
        let org = &self.orgs[site.org as usize];
        l.raw("{\"resourceType\":\"Location\",\"id\":\"");
        l.uuid(&site.id);
        l.raw("\",\"meta\":{\"profile\":[\"http://hl7.org/fhir/us/core/StructureDefinition/us-core-location\"]},\"identifier\":[{\"system\":\"");
        l.raw(SYNTHEA_ID);
        l.raw("\",\"value\":\"");
        l.uuid(&site.id);
        l.raw("\"}],\"status\":\"active\",\"name\":");
        l.string(&site.name);
        l.raw(",\"telecom\":[{\"system\":\"phone\",\"value\":\"");
        l.uint(site.phone);
        l.raw("\"}],\"address\":");
        Self::write_address(l, org, &site.line, false);
        l.raw(",\"position\":{\"longitude\":");
        l.micro_degrees(site.lon);
        l.raw(",\"latitude\":");
        l.micro_degrees(site.lat);
        l.raw("},\"managingOrganization\":{\"identifier\":{\"system\":\"");
        l.raw(SYNTHEA_ID);
        l.raw("\",\"value\":\"");
        l.uuid(&org.id);
        l.raw("\"},\"display\":");
        l.string(&org.name);
        l.raw("}}");
    }

    fn write_practitioner(&self, l: &mut Line, prac: &Practitioner) {
        let org = &self.orgs[prac.org as usize];
        l.raw("{\"resourceType\":\"Practitioner\",\"id\":\"");
        l.uuid(&prac.id);
        l.raw("\",\"meta\":{\"profile\":[\"http://hl7.org/fhir/us/core/StructureDefinition/us-core-practitioner\"]},\"identifier\":[{\"system\":\"");
        l.raw(NPI_SYSTEM);
        l.raw("\",\"value\":\"");
        l.npi(&prac.npi);
        l.raw("\"}],\"active\":true,\"name\":[{\"family\":");
        l.string(prac.family);
        l.raw(",\"given\":[");
        l.string(prac.given);
        l.raw("],\"prefix\":[\"Dr.\"]}],\"telecom\":[{\"system\":\"email\",\"value\":\"");
        l.escaped(prac.given);
        l.raw(".");
        l.escaped(&prac.family.replace([' ', '\''], ""));
        l.raw("@example.com\",\"use\":\"work\"}],\"address\":[");
        Self::write_address(l, org, &org.line, prac.state_spelled_out);
        l.raw("],\"gender\":");
        l.raw(if prac.female {
            "\"female\""
        } else {
            "\"male\""
        });
        l.raw("}");
    }

    fn write_role(&self, l: &mut Line, prac: &Practitioner, org_index: u32, id: &Uuid) {
        let org = &self.orgs[org_index as usize];
        let site = &self.sites[org.first_location as usize];
        let spec = &SPECIALTIES[prac.specialty];
        l.raw("{\"resourceType\":\"PractitionerRole\",\"id\":\"");
        l.uuid(id);
        l.raw("\",\"meta\":{\"profile\":[\"http://hl7.org/fhir/us/core/StructureDefinition/us-core-practitionerrole\"]},\"practitioner\":{\"identifier\":{\"system\":\"");
        l.raw(NPI_SYSTEM);
        l.raw("\",\"value\":\"");
        l.npi(&prac.npi);
        l.raw("\"},\"display\":");
        l.string(&prac.display);
        l.raw("},\"organization\":{\"identifier\":{\"system\":\"");
        l.raw(SYNTHEA_ID);
        l.raw("\",\"value\":\"");
        l.uuid(&org.id);
        l.raw("\"},\"display\":");
        l.string(&org.name);
        l.raw("},\"code\":[");
        l.codeable(NUCC, spec.code, spec.display);
        l.raw("],\"specialty\":[");
        l.codeable(NUCC, spec.code, spec.display);
        l.raw("],\"location\":[{\"identifier\":{\"system\":\"");
        l.raw(SYNTHEA_ID);
        l.raw("\",\"value\":\"");
        l.uuid(&site.id);
        l.raw("\"},\"display\":");
        l.string(&site.name);
        l.raw("}],\"telecom\":[{\"system\":\"phone\",\"value\":\"");
        l.uint(org.phone);
        l.raw("\"}]}");
    }
}
