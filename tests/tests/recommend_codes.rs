//! The recommender's code tables cover the data: every medication code of
//! the bundled Synthea samples, the shared Synthea sets (when `../shared`
//! is there) and the generator maps to `RxNorm` ingredients whose names (or
//! the product's brand) are in the display the data gives it; every allergy
//! substance code is in the allergy table; every Condition code that is not
//! a disorder (by its SNOMED CT semantic tag) is listed as social or
//! clinical.

use std::collections::{BTreeMap, BTreeSet};
use std::io::Read;
use std::path::Path;

use flate2::read::GzDecoder;
use recommender::conditions::ConditionRoles;
use recommender::safety::normalized;
use recommender::SafetyTables;
use serde_json::Value;

/// (code, display) pairs per kind of fact.
#[derive(Default)]
struct Codes {
    medications: BTreeMap<String, BTreeSet<String>>,
    allergies: BTreeMap<String, BTreeSet<String>>,
    conditions: BTreeMap<String, BTreeSet<String>>,
}

impl Codes {
    fn add(map: &mut BTreeMap<String, BTreeSet<String>>, concept: &Value) {
        for coding in concept["coding"].as_array().into_iter().flatten() {
            if let Some(code) = coding["code"].as_str() {
                let display = coding["display"].as_str().unwrap_or_default();
                map.entry(code.to_owned())
                    .or_default()
                    .insert(display.to_owned());
            }
        }
    }

    fn resource(&mut self, r: &Value) {
        match r["resourceType"].as_str() {
            Some("MedicationRequest") => {
                Codes::add(&mut self.medications, &r["medicationCodeableConcept"]);
            }
            Some("Medication") => Codes::add(&mut self.medications, &r["code"]),
            Some("AllergyIntolerance") => Codes::add(&mut self.allergies, &r["code"]),
            Some("Condition") => Codes::add(&mut self.conditions, &r["code"]),
            _ => {}
        }
    }

    /// A Bundle's entries, or one resource.
    fn document(&mut self, v: &Value) {
        match v["entry"].as_array() {
            Some(entries) => entries.iter().for_each(|e| self.resource(&e["resource"])),
            None => self.resource(v),
        }
    }

    /// Gzipped NDJSON files of a directory.
    fn ndjson_dir(&mut self, dir: &Path) {
        let mut files: Vec<_> = std::fs::read_dir(dir)
            .expect("reads the directory")
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| p.to_string_lossy().ends_with(".ndjson.gz"))
            .collect();
        files.sort();
        assert!(!files.is_empty(), "{}", dir.display());
        for path in files {
            let mut text = String::new();
            GzDecoder::new(std::fs::File::open(&path).expect("opens"))
                .read_to_string(&mut text)
                .expect("gunzips");
            for line in text.lines().filter(|l| !l.trim().is_empty()) {
                self.document(&serde_json::from_str(line).expect("a JSON line"));
            }
        }
    }

    /// The JSON Bundles of a `.tar.gz`.
    fn tarball(&mut self, path: &Path) {
        let file = std::fs::File::open(path).expect("opens the tarball");
        let mut archive = tar::Archive::new(GzDecoder::new(file));
        let mut bundles = 0;
        for entry in archive.entries().expect("a tar archive") {
            let mut entry = entry.expect("an entry");
            let is_json = entry
                .path()
                .is_ok_and(|p| p.extension().is_some_and(|e| e == "json"));
            if !is_json {
                continue;
            }
            let mut text = String::new();
            entry.read_to_string(&mut text).expect("reads the entry");
            self.document(&serde_json::from_str(&text).expect("a JSON bundle"));
            bundles += 1;
        }
        assert!(bundles > 0, "{}", path.display());
    }

    fn generator(&mut self) {
        let codes = seeds::generator_codes();
        for (target, list) in [
            (&mut self.medications, codes.medications),
            (&mut self.allergies, codes.allergies),
            (&mut self.conditions, codes.conditions),
        ] {
            for (code, display) in list {
                target
                    .entry(code.to_owned())
                    .or_default()
                    .insert(display.to_owned());
            }
        }
    }
}

/// Every code of the bundled samples, the shared sets that are there, and
/// the generator.
fn all_codes() -> Codes {
    let mut codes = Codes::default();
    codes.ndjson_dir(&tests::bulk_10());
    codes.tarball(&tests::ca_86());
    let shared = tests::workspace_root().join("../shared/data");
    if shared.join("synthea-bulk-10").is_dir() {
        codes.ndjson_dir(&shared.join("synthea-bulk-10"));
    }
    let exf = shared.join("synthea-exf-ca/synthea_data_california_fhir.tar.gz");
    if exf.exists() {
        codes.tarball(&exf);
    }
    match tests::smart_615() {
        Some(path) => codes.tarball(&path),
        None => {
            eprintln!("NOT CHECKED: ../shared/data/synthea-smart-r4 is absent in this checkout");
        }
    }
    codes.generator();
    codes
}

#[test]
fn every_code_of_the_data_is_in_the_tables() {
    let codes = all_codes();
    let tables = SafetyTables::bundled().expect("the safety tables parse");
    let roles = ConditionRoles::bundled().expect("the condition roles parse");
    let mut problems = Vec::new();
    for (code, displays) in &codes.medications {
        let Some(parts) = tables.product_ingredients(code) else {
            problems.push(format!(
                "medication {code} {displays:?}: no ingredient mapping"
            ));
            continue;
        };
        let brand = tables.product_brand(code).map(|brand| normalized(brand));
        for display in displays {
            let text = normalized(display);
            for (rxcui, name) in &parts {
                let named = tables
                    .ingredient_names(rxcui)
                    .iter()
                    .any(|n| text.contains(&normalized(n)));
                let branded = brand.as_ref().is_some_and(|b| text.contains(b.as_str()));
                if !named && !branded {
                    problems.push(format!(
                        "medication {code} `{display}`: ingredient {name} ({rxcui}) is not in the display"
                    ));
                }
            }
        }
    }
    for (code, displays) in &codes.allergies {
        if !tables.knows_allergy_code(code) {
            problems.push(format!(
                "allergy {code} {displays:?}: not in allergy_exclusions.tsv"
            ));
        }
    }
    for (code, displays) in &codes.conditions {
        let tagged = displays
            .iter()
            .any(|d| d.trim_end().ends_with(')') && !d.trim_end().ends_with("(disorder)"));
        if tagged && roles.role(code).is_none() {
            problems.push(format!(
                "condition {code} {displays:?}: a finding or situation that condition_roles.tsv does not list"
            ));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    assert!(codes.medications.len() > 90, "{}", codes.medications.len());
    eprintln!(
        "{} medication, {} allergy and {} condition codes checked",
        codes.medications.len(),
        codes.allergies.len(),
        codes.conditions.len()
    );
}
