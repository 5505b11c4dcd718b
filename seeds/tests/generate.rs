//! End-to-end tests of the generator's output.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::fs;
use std::path::Path;
use std::time::{Duration, Instant};

use seeds::{generate, GenerateOptions, GenerateReport, RESOURCE_TYPES};
use serde_json::Value;

fn run(dir: &Path, patients: u64, seed: u64) -> GenerateReport {
    let options = GenerateOptions {
        patients,
        seed,
        out_dir: dir.to_path_buf(),
    };
    let mut calls = Vec::new();
    let report = generate(&options, &mut |done| calls.push(done)).expect("generate");
    assert_eq!(
        calls.last(),
        Some(&patients),
        "progress ends with the total"
    );
    assert!(calls.windows(2).all(|w| w[0] < w[1]), "progress increases");
    report
}

/// All files of a directory, by name.
fn read_dir(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    fs::read_dir(dir)
        .expect("read_dir")
        .map(|e| {
            let e = e.expect("entry");
            let name = e.file_name().to_string_lossy().into_owned();
            (name, fs::read(e.path()).expect("read"))
        })
        .collect()
}

/// Parsed resources of one type.
fn resources(dir: &Path, ty: &str) -> Vec<Value> {
    let path = dir.join(format!("{ty}.ndjson"));
    let Ok(text) = fs::read_to_string(&path) else {
        return Vec::new();
    };
    text.lines()
        .map(|l| serde_json::from_str(l).expect("valid JSON"))
        .collect()
}

#[test]
fn same_seed_same_bytes_different_seed_different_bytes() {
    let a = tempfile::tempdir().expect("tempdir");
    let b = tempfile::tempdir().expect("tempdir");
    let c = tempfile::tempdir().expect("tempdir");
    let ra = run(a.path(), 300, 7);
    let rb = run(b.path(), 300, 7);
    let rc = run(c.path(), 300, 8);
    let fa = read_dir(a.path());
    let fb = read_dir(b.path());
    assert_eq!(fa.keys().collect::<Vec<_>>(), fb.keys().collect::<Vec<_>>());
    for (name, bytes) in &fa {
        assert!(bytes == &fb[name], "{name} differs between identical runs");
    }
    assert_eq!(ra.resources_by_type, rb.resources_by_type);
    assert_eq!(ra.bytes_written, rb.bytes_written);
    let fc = read_dir(c.path());
    for ty in ["Patient", "Encounter", "Claim", "Organization"] {
        let name = format!("{ty}.ndjson");
        assert!(
            fa[&name] != fc[&name],
            "{name} identical for different seeds"
        );
    }
    assert_ne!(ra.bytes_written, rc.bytes_written);
}

#[test]
fn smaller_population_is_not_a_prefix_but_is_deterministic() {
    // Patients have their own random streams: the first 50 patients of a
    // 100-patient run equal a 50-patient run's (same providers: both under
    // 1,000 patients).
    let a = tempfile::tempdir().expect("tempdir");
    let b = tempfile::tempdir().expect("tempdir");
    run(a.path(), 100, 3);
    run(b.path(), 50, 3);
    let pa = fs::read_to_string(a.path().join("Patient.ndjson")).expect("read");
    let pb = fs::read_to_string(b.path().join("Patient.ndjson")).expect("read");
    let first: Vec<&str> = pa.lines().take(50).collect();
    assert_eq!(first, pb.lines().collect::<Vec<_>>());
}

#[test]
fn counts_match_report_manifest_and_files() {
    let dir = tempfile::tempdir().expect("tempdir");
    let report = run(dir.path(), 500, 11);
    let manifest: Value =
        serde_json::from_slice(&fs::read(dir.path().join("manifest.json")).expect("manifest"))
            .expect("manifest JSON");
    let outputs = manifest["output"].as_array().expect("output");
    let mut from_manifest = BTreeMap::new();
    for o in outputs {
        let ty = o["type"].as_str().expect("type");
        assert_eq!(o["url"].as_str(), Some(format!("{ty}.ndjson").as_str()));
        from_manifest.insert(ty.to_owned(), o["count"].as_u64().expect("count"));
    }
    assert_eq!(from_manifest, report.resources_by_type);
    assert!(manifest["transactionTime"]
        .as_str()
        .is_some_and(|t| t.starts_with("2025-")));

    let mut total_bytes = 0;
    for file in &report.files {
        total_bytes += fs::metadata(file).expect("metadata").len();
    }
    assert_eq!(total_bytes, report.bytes_written);
    assert_eq!(report.files.len(), report.resources_by_type.len() + 1);

    let mut counts = BTreeMap::new();
    for ty in RESOURCE_TYPES {
        let path = dir.path().join(format!("{ty}.ndjson"));
        if path.exists() {
            let lines = fs::read_to_string(&path).expect("read").lines().count() as u64;
            counts.insert(ty.to_owned(), lines);
        }
    }
    assert_eq!(counts, report.resources_by_type);

    let c = |ty: &str| report.resources_by_type.get(ty).copied().unwrap_or(0);
    assert_eq!(report.patients, 500);
    assert_eq!(c("Patient"), 500);
    assert_eq!(c("Organization"), 5);
    assert_eq!(c("Practitioner"), 10);
    assert!((5..=10).contains(&c("Location")));
    assert!(c("PractitionerRole") >= 10);
    assert_eq!(c("Claim"), c("Encounter") + c("MedicationRequest"));
    assert_eq!(c("ExplanationOfBenefit"), c("Claim"));
    let per_patient = |ty: &str| c(ty) as f64 / 500.0;
    assert!((8.0..=12.0).contains(&per_patient("Encounter")));
    assert!((4.0..=9.0).contains(&per_patient("Condition")));
    assert!((3.0..=8.0).contains(&per_patient("MedicationRequest")));
    assert!((0.1..=0.5).contains(&per_patient("AllergyIntolerance")));
    assert!(report.total_resources() > 500 * 40);
}

#[test]
fn every_line_is_a_resource_and_every_reference_resolves() {
    let dir = tempfile::tempdir().expect("tempdir");
    let report = run(dir.path(), 400, 5);
    // id -> type (ids are unique across the whole export) and
    // "system|value" -> type.
    let mut ids: HashMap<String, String> = HashMap::new();
    let mut identifiers: HashMap<String, String> = HashMap::new();
    let mut all = Vec::new();
    for ty in report.resources_by_type.keys() {
        for r in resources(dir.path(), ty) {
            assert!(r.is_object());
            assert_eq!(r["resourceType"].as_str(), Some(ty.as_str()));
            let id = r["id"].as_str().expect("id").to_owned();
            assert!(!id.is_empty());
            assert!(
                ids.insert(id.clone(), ty.clone()).is_none(),
                "duplicate id {id}"
            );
            if let Some(list) = r["identifier"].as_array() {
                for i in list {
                    let key = format!(
                        "{}|{}",
                        i["system"].as_str().expect("system"),
                        i["value"].as_str().expect("value")
                    );
                    if matches!(
                        ty.as_str(),
                        "Organization" | "Location" | "Practitioner" | "Patient"
                    ) {
                        let previous = identifiers.insert(key.clone(), ty.clone());
                        assert!(
                            previous.is_none() || previous.as_deref() == Some(ty),
                            "{key}"
                        );
                    }
                }
            }
            all.push(r);
        }
    }
    let mut checked = 0;
    for r in &all {
        let mut refs = Vec::new();
        collect_refs(r, None, &mut refs);
        for (field, reference) in refs {
            checked += 1;
            check_ref(&field, &reference, &ids, &identifiers);
        }
    }
    assert!(checked > 400 * 100, "only {checked} references");
}

/// Every reference in a resource: `(field, reference)` where reference is
/// the `reference` string or `"identifier:" + system|value`.
fn collect_refs(v: &Value, field: Option<&str>, out: &mut Vec<(String, String)>) {
    match v {
        Value::Object(map) => {
            if let Some(Value::String(r)) = map.get("reference") {
                out.push((field.unwrap_or_default().to_owned(), r.clone()));
            }
            if let Some(Value::Object(id)) = map.get("identifier") {
                let key = format!(
                    "identifier:{}|{}",
                    id["system"].as_str().expect("system"),
                    id["value"].as_str().expect("value")
                );
                out.push((field.unwrap_or_default().to_owned(), key));
            }
            for (k, child) in map {
                if k != "identifier" {
                    collect_refs(child, Some(k), out);
                }
            }
        }
        Value::Array(items) => {
            for item in items {
                collect_refs(item, field, out);
            }
        }
        _ => {}
    }
}

fn check_ref(
    field: &str,
    reference: &str,
    ids: &HashMap<String, String>,
    identifiers: &HashMap<String, String>,
) {
    let expected_type = match field {
        "practitioner" | "individual" | "requester" | "provider" => None,
        "organization" | "managingOrganization" | "serviceProvider" => Some("Organization"),
        "location" | "facility" => Some("Location"),
        "subject" | "patient" => Some("Patient"),
        "encounter" => Some("Encounter"),
        "reasonReference" | "diagnosisReference" => Some("Condition"),
        "prescription" => Some("MedicationRequest"),
        "claim" => Some("Claim"),
        "medicationReference" => Some("Medication"),
        other => panic!("unexpected reference field {other}: {reference}"),
    };
    let found = if let Some(id) = reference.strip_prefix("urn:uuid:") {
        ids.get(id).map(String::as_str)
    } else if let Some(key) = reference.strip_prefix("identifier:") {
        identifiers.get(key).map(String::as_str)
    } else if let Some((ty, rest)) = reference.split_once('?') {
        let key = rest
            .strip_prefix("identifier=")
            .expect("conditional reference");
        let found = identifiers.get(key).map(String::as_str);
        assert_eq!(found, Some(ty), "{reference}");
        found
    } else if let Some((ty, id)) = reference.split_once('/') {
        let found = ids.get(id).map(String::as_str);
        assert_eq!(found, Some(ty), "{reference}");
        found
    } else {
        panic!("unknown reference form {reference}");
    };
    let found = found.unwrap_or_else(|| panic!("dangling {field} reference {reference}"));
    if let Some(expected) = expected_type {
        assert_eq!(found, expected, "{field} reference {reference}");
    }
}

#[test]
fn content_is_plausible() {
    let dir = tempfile::tempdir().expect("tempdir");
    run(dir.path(), 600, 21);
    let patients = resources(dir.path(), "Patient");
    let mut spelled = 0;
    let mut coded = 0;
    let mut birth: HashMap<String, (String, Option<String>)> = HashMap::new();
    for p in &patients {
        let state = p["address"][0]["state"].as_str().expect("state");
        if state.len() == 2 {
            coded += 1;
        } else {
            spelled += 1;
        }
        let official = &p["name"][0];
        assert_eq!(official["use"], "official");
        assert!(official["given"].as_array().is_some_and(|g| !g.is_empty()));
        let race_text = &p["extension"][0]["extension"][1];
        assert_eq!(race_text["url"], "text");
        assert!(race_text["valueString"].is_string());
        let mrn = &p["identifier"][1];
        assert_eq!(mrn["type"]["coding"][0]["code"], "MR");
        assert_eq!(
            p["identifier"][2]["system"],
            "http://hl7.org/fhir/sid/us-ssn"
        );
        let geo = &p["address"][0]["extension"][0];
        assert_eq!(
            geo["url"],
            "http://hl7.org/fhir/StructureDefinition/geolocation"
        );
        assert!(geo["extension"][0]["valueDecimal"].is_f64());
        assert!(p.get("generalPractitioner").is_none());
        let b = p["birthDate"].as_str().expect("birthDate").to_owned();
        let year: i32 = b[..4].parse().expect("year");
        assert!((1924..=2025).contains(&year), "{b}");
        let death = p["deceasedDateTime"].as_str().map(str::to_owned);
        birth.insert(p["id"].as_str().expect("id").to_owned(), (b, death));
    }
    assert!(
        spelled > 50 && coded > 300,
        "spelled {spelled}, coded {coded}"
    );
    assert!(birth.values().any(|(_, d)| d.is_some()), "someone died");

    // Encounters fall within the patient's life (string comparison of the
    // date part is enough at day resolution, given local offsets).
    for e in resources(dir.path(), "Encounter") {
        let pid = e["subject"]["reference"]
            .as_str()
            .expect("subject")
            .trim_start_matches("Patient/");
        let (b, d) = &birth[pid];
        let start = e["period"]["start"].as_str().expect("start");
        assert!(is_datetime(start), "{start}");
        assert!(&start[..10] >= b.as_str(), "{start} before birth {b}");
        if let Some(d) = d {
            assert!(
                start <= d.as_str() || start[..10] <= d[..10],
                "{start} after death {d}"
            );
        }
        assert!(matches!(
            e["class"]["code"].as_str(),
            Some("AMB" | "EMER" | "IMP")
        ));
        assert_eq!(
            e["type"][0]["coding"][0]["system"],
            "http://snomed.info/sct"
        );
    }
    for c in resources(dir.path(), "Condition") {
        assert_eq!(c["code"]["coding"][0]["system"], "http://snomed.info/sct");
        let status = c["clinicalStatus"]["coding"][0]["code"]
            .as_str()
            .expect("status");
        assert_eq!(status == "resolved", c.get("abatementDateTime").is_some());
        assert!(is_datetime(c["onsetDateTime"].as_str().expect("onset")));
    }
    let mut by_reference = 0;
    for m in resources(dir.path(), "MedicationRequest") {
        if m.get("medicationReference").is_some() {
            by_reference += 1;
        } else {
            assert_eq!(
                m["medicationCodeableConcept"]["coding"][0]["system"],
                "http://www.nlm.nih.gov/research/umls/rxnorm"
            );
        }
        assert!(m.get("reasonReference").is_some() != m.get("reasonCode").is_some());
        assert!(is_datetime(m["authoredOn"].as_str().expect("authoredOn")));
    }
    assert!(by_reference > 0);
    let mut payers = HashSet::new();
    let mut types = HashSet::new();
    for c in resources(dir.path(), "Claim") {
        types.insert(
            c["type"]["coding"][0]["code"]
                .as_str()
                .expect("type")
                .to_owned(),
        );
        if let Some(p) = c["insurance"][0]["coverage"]["display"].as_str() {
            payers.insert(p.to_owned());
        }
        assert_eq!(c["total"]["currency"], "USD");
        assert!(c["total"]["value"].as_f64().is_some_and(|v| v > 0.0));
        let pharmacy = c["type"]["coding"][0]["code"] == "pharmacy";
        assert_eq!(pharmacy, c.get("prescription").is_some());
    }
    assert_eq!(types.len(), 3, "{types:?}");
    for p in [
        "Medicaid",
        "Medicare",
        "Blue Cross Blue Shield",
        "NO_INSURANCE",
    ] {
        assert!(payers.contains(p), "{p} missing from {payers:?}");
    }
}

fn is_datetime(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 25
        && b[4] == b'-'
        && b[7] == b'-'
        && b[10] == b'T'
        && b[13] == b':'
        && b[16] == b':'
        && (b[19] == b'-' || b[19] == b'+')
        && b[22] == b':'
}

#[test]
fn prescribers_have_habits() {
    let dir = tempfile::tempdir().expect("tempdir");
    run(dir.path(), 2000, 99);
    let conditions: HashMap<String, String> = resources(dir.path(), "Condition")
        .into_iter()
        .map(|c| {
            (
                c["id"].as_str().expect("id").to_owned(),
                c["code"]["coding"][0]["code"]
                    .as_str()
                    .expect("code")
                    .to_owned(),
            )
        })
        .collect();
    // (prescriber, condition) -> drug -> count
    let mut choices: HashMap<(String, String), HashMap<String, u32>> = HashMap::new();
    for m in resources(dir.path(), "MedicationRequest") {
        let Some(drug) = m["medicationCodeableConcept"]["coding"][0]["code"].as_str() else {
            continue;
        };
        let Some(reason) = m["reasonReference"][0]["reference"].as_str() else {
            continue;
        };
        let condition = &conditions[reason.trim_start_matches("urn:uuid:")];
        let prescriber = m["requester"]["reference"]
            .as_str()
            .expect("requester")
            .to_owned();
        *choices
            .entry((prescriber, condition.clone()))
            .or_default()
            .entry(drug.to_owned())
            .or_default() += 1;
    }
    let (mut top, mut total, mut groups) = (0, 0, 0);
    for drugs in choices.values() {
        let n: u32 = drugs.values().sum();
        if n >= 10 && drugs.len() > 1 {
            groups += 1;
            top += drugs.values().max().copied().unwrap_or(0);
            total += n;
        }
    }
    assert!(groups >= 20, "{groups} groups");
    let share = f64::from(top) / f64::from(total);
    assert!(share > 0.6, "habitual drug share {share:.2}");
}

#[test]
fn zero_patients_writes_providers_only() {
    let dir = tempfile::tempdir().expect("tempdir");
    let report = run(dir.path(), 0, 1);
    assert_eq!(report.patients, 0);
    assert!(!dir.path().join("Patient.ndjson").exists());
    assert_eq!(report.resources_by_type.get("Organization"), Some(&5));
    assert_eq!(report.resources_by_type.get("Practitioner"), Some(&10));
    assert!(dir.path().join("manifest.json").exists());
}

#[test]
fn creates_missing_directories_and_reports_errors() {
    let dir = tempfile::tempdir().expect("tempdir");
    let nested = dir.path().join("a/b/c");
    run(&nested, 3, 1);
    assert!(nested.join("Patient.ndjson").exists());

    // A file where the output directory should be.
    let blocker = dir.path().join("file");
    fs::write(&blocker, b"x").expect("write");
    let options = GenerateOptions {
        patients: 1,
        seed: 1,
        out_dir: blocker.join("sub"),
    };
    let err = generate(&options, &mut |_| {}).expect_err("must fail");
    assert!(matches!(err, seeds::SeedsError::CreateDir { .. }), "{err}");

    let options = GenerateOptions {
        patients: seeds::MAX_PATIENTS + 1,
        seed: 1,
        out_dir: dir.path().join("big"),
    };
    let err = generate(&options, &mut |_| {}).expect_err("must fail");
    assert!(
        matches!(err, seeds::SeedsError::TooManyPatients { .. }),
        "{err}"
    );
}

#[test]
fn a_thousand_patients_is_quick() {
    let dir = tempfile::tempdir().expect("tempdir");
    let started = Instant::now();
    let report = run(dir.path(), 1000, 1);
    let elapsed = started.elapsed();
    assert_eq!(report.resources_by_type.get("Patient"), Some(&1000));
    // Generous: unoptimised test builds on a loaded machine.
    assert!(elapsed < Duration::from_secs(20), "took {elapsed:?}");
}
