//! The serving side: safety on every method's output, interaction flags,
//! order checks, evidence, incremental updates and rebuilds.

mod common;

use std::sync::Arc;

use common::{allergy, dx, rx, MemorySource};
use recommender::projection::Neighborhood;
use recommender::{Evidence, Method, Recommender, RecommenderConfig, Severity};

const DRUGS: [(&str, &str); 8] = [
    ("723", "Amoxicillin 500 MG Oral Tablet"),
    ("834", "Penicillin V Potassium 250 MG Oral Tablet"),
    ("310", "Ibuprofen 200 MG Oral Tablet"),
    ("849", "Naproxen sodium 220 MG Oral Tablet"),
    ("855", "Warfarin Sodium 5 MG Oral Tablet"),
    ("313", "Acetaminophen 325 MG Oral Tablet"),
    ("314", "lisinopril 10 MG Oral Tablet"),
    ("316", "Simvastatin 10 MG"),
];

fn display(code: &str) -> &'static str {
    DRUGS
        .iter()
        .find(|(c, _)| *c == code)
        .map_or("unknown", |(_, d)| d)
}

/// A patient with prescriptions (code, time, status) and conditions.
fn person(id: &str, meds: &[(&str, i64, &str)], conditions: &[&str]) -> Neighborhood {
    Neighborhood {
        patient_id: Arc::from(id),
        gender: Some(Arc::from(if id.len().is_multiple_of(2) {
            "female"
        } else {
            "male"
        })),
        birth: Some(0),
        prescriptions: meds
            .iter()
            .enumerate()
            .map(|(i, (m, t, s))| {
                let mut r = rx(id, i, m, *t, s);
                r.medication_display = Some(Arc::from(display(m)));
                r
            })
            .collect(),
        diagnoses: conditions
            .iter()
            .map(|c| dx(c, &format!("Condition {c}"), 0))
            .collect(),
        allergies: Vec::new(),
    }
}

/// Twenty patients over the eight drugs, then three special ones:
/// `allergic` (penicillin allergy, infection), `anticoagulated` (active
/// warfarin, pain) and `current` (active lisinopril, hypertension).
fn population() -> Vec<Neighborhood> {
    let mut out = Vec::new();
    for i in 0..20i64 {
        let id = format!("p{i:02}");
        let t = 100 + i;
        let p = match i % 4 {
            0 => person(
                &id,
                &[("723", t, "completed"), ("313", t + 50, "completed")],
                &["infection"],
            ),
            1 => person(
                &id,
                &[("834", t, "completed"), ("723", t + 60, "completed")],
                &["infection"],
            ),
            2 => person(
                &id,
                &[
                    ("310", t, "completed"),
                    ("849", t + 70, "completed"),
                    ("313", t + 80, "completed"),
                ],
                &["pain"],
            ),
            _ => person(
                &id,
                &[
                    ("314", t, "active"),
                    ("316", t + 90, "active"),
                    ("855", t + 95, "active"),
                ],
                &["hypertension"],
            ),
        };
        out.push(p);
    }
    let mut allergic = person("allergic", &[("313", 50, "completed")], &["infection"]);
    allergic.allergies.push(allergy("7984", "Penicillin V"));
    out.push(allergic);
    out.push(person(
        "anticoagulated",
        &[("855", 60, "active"), ("313", 61, "completed")],
        &["pain"],
    ));
    out.push(person(
        "current",
        &[("314", 70, "active")],
        &["hypertension"],
    ));
    out
}

fn all_methods() -> RecommenderConfig {
    RecommenderConfig {
        methods: Method::ALL.to_vec(),
        ..RecommenderConfig::default()
    }
}

fn codes(recs: &[recommender::Recommendation]) -> Vec<&str> {
    recs.iter().map(|r| &*r.medication_code).collect()
}

#[test]
fn no_method_suggests_an_allergy_conflict_or_a_current_or_past_drug() {
    let source = MemorySource::new(population());
    let rec = Recommender::build(&source, all_methods()).expect("builds");
    let patients = population();
    for method in Method::ALL {
        for p in &patients {
            let recs = rec
                .recommend(&p.patient_id, 8, Some(method))
                .expect("answers");
            for r in &recs {
                assert!(
                    !p.prescriptions
                        .iter()
                        .any(|x| x.medication == r.medication_code),
                    "{method} suggested {} to {} who had it",
                    r.medication_code,
                    p.patient_id
                );
            }
            if &*p.patient_id == "allergic" {
                let got = codes(&recs);
                assert!(
                    !got.contains(&"723") && !got.contains(&"834"),
                    "{method}: {got:?}"
                );
                // Everything else the catalog holds is allowed and offered.
                assert!(got.contains(&"310"), "{method}: {got:?}");
            }
        }
    }
}

#[test]
fn a_severe_interaction_is_flagged() {
    let source = MemorySource::new(population());
    let rec = Recommender::build(&source, all_methods()).expect("builds");
    let recs = rec
        .recommend("anticoagulated", 8, Some(Method::Popularity))
        .expect("answers");
    let ibuprofen = recs
        .iter()
        .find(|r| &*r.medication_code == "310")
        .expect("ibuprofen is suggested");
    assert_eq!(ibuprofen.flags.len(), 1);
    assert_eq!(&*ibuprofen.flags[0].medication_code, "855");
    assert_eq!(ibuprofen.flags[0].severity, Severity::Major);
    let lisinopril = recs
        .iter()
        .find(|r| &*r.medication_code == "314")
        .expect("suggested");
    assert!(lisinopril.flags.is_empty());
}

#[test]
fn order_check_reports_allergies_and_interactions() {
    let source = MemorySource::new(population());
    let rec = Recommender::build(&source, all_methods()).expect("builds");
    let check = rec.order_check("allergic", "723").expect("checks");
    assert_eq!(check.allergy_conflicts.len(), 1);
    assert_eq!(&*check.allergy_conflicts[0].substance_code, "7984");
    assert!(check.interactions.is_empty());
    assert!(!check.currently_taking);
    let check = rec.order_check("anticoagulated", "849").expect("checks");
    assert!(check.allergy_conflicts.is_empty());
    assert_eq!(check.interactions.len(), 1);
    let check = rec.order_check("current", "314").expect("checks");
    assert!(check.currently_taking);
    assert!(rec.order_check("current", "nope").is_err());
    assert!(rec.order_check("nobody", "314").is_err());
}

#[test]
fn order_check_of_a_drug_the_catalog_does_not_know_uses_its_display() {
    let source = MemorySource::new(population());
    let rec = Recommender::build(&source, all_methods()).expect("builds");
    // Never prescribed in the population: the order's display names it.
    let check = rec
        .order_check_named("allergic", "999001", Some("Ampicillin 500 MG Oral Capsule"))
        .expect("checks");
    assert_eq!(&*check.medication_code, "999001");
    assert_eq!(&*check.display, "Ampicillin 500 MG Oral Capsule");
    assert_eq!(check.allergy_conflicts.len(), 1, "{check:?}");
    let clean = rec
        .order_check_named(
            "allergic",
            "999002",
            Some("Acetaminophen 325 MG Oral Tablet"),
        )
        .expect("checks");
    assert!(clean.allergy_conflicts.is_empty() && clean.interactions.is_empty());
    // A known code keeps the catalog's display, whatever the order says.
    let known = rec
        .order_check_named("allergic", "723", Some("something else"))
        .expect("checks");
    assert_eq!(known, rec.order_check("allergic", "723").expect("checks"));
    assert!(matches!(
        rec.order_check_named("allergic", "999003", None),
        Err(recommender::RecommendError::UnknownMedication(_))
    ));
    assert!(rec
        .order_check_named("nobody", "999001", Some("Ampicillin"))
        .is_err());
}

#[test]
fn evidence_counts_the_condition_cohort() {
    // Patients with "infection": p00, p04, ... (i % 4 == 0, five of them)
    // and p01, p05, ... (five), plus `allergic`: 11. Acetaminophen (313):
    // the five i % 4 == 0 patients and `allergic` = 6 of 11; Amoxicillin:
    // all ten. For `current` (hypertension: 5 + 1 = 6 patients; simvastatin
    // 5 of 6).
    let source = MemorySource::new(population());
    let rec = Recommender::build(&source, all_methods()).expect("builds");
    let recs = rec
        .recommend("current", 3, Some(Method::Ppr))
        .expect("answers");
    let simvastatin = recs
        .iter()
        .find(|r| &*r.medication_code == "316")
        .expect("suggested");
    let cohort = simvastatin
        .evidence
        .iter()
        .find_map(|e| match e {
            Evidence::ConditionCohort {
                patients_with_condition,
                prescribed,
                ..
            } => Some((*prescribed, *patients_with_condition)),
            _ => None,
        })
        .expect("a cohort path");
    assert_eq!(cohort, (5, 6));
    let text = simvastatin.evidence[0].to_string();
    assert!(text.len() < 140, "{text}");
}

#[test]
fn a_new_prescription_changes_the_answer_at_once() {
    let source = MemorySource::new(population());
    let rec = Recommender::build(&source, all_methods()).expect("builds");
    let before = rec
        .recommend("current", 8, Some(Method::Ppr))
        .expect("answers");
    assert!(codes(&before).contains(&"316"));
    let version = rec.neighborhood_version("current").expect("known");
    // Nothing changed: refreshing keeps the version.
    assert!(!rec.refresh_patient(&source, "current").expect("refreshes"));
    assert_eq!(rec.neighborhood_version("current"), Some(version));
    // A prescription of simvastatin is written to the graph.
    {
        let mut graph = source.patients.lock().expect("lock");
        let p = graph
            .iter_mut()
            .find(|p| &*p.patient_id == "current")
            .expect("present");
        let mut r = rx("current", 99, "316", 500, "active");
        r.medication_display = Some(Arc::from(display("316")));
        p.prescriptions.push(r);
    }
    let after = rec
        .recommend_fresh(&source, "current", 8, Some(Method::Ppr))
        .expect("answers");
    assert!(!codes(&after).contains(&"316"), "{:?}", codes(&after));
    assert_ne!(rec.neighborhood_version("current"), Some(version));
    // Other patients are untouched.
    assert!(!rec.refresh_patient(&source, "p00").expect("refreshes"));
    // A rebuild takes the change in and swaps the engine.
    let generation = rec.generation();
    rec.rebuild(&source).expect("rebuilds");
    assert_eq!(rec.generation(), generation + 1);
    let rebuilt = rec
        .recommend("current", 8, Some(Method::Ppr))
        .expect("answers");
    assert!(!codes(&rebuilt).contains(&"316"));
}

#[test]
fn similar_patients_share_conditions() {
    let source = MemorySource::new(population());
    let rec = Recommender::build(&source, all_methods()).expect("builds");
    let similar = rec.similar_patients("current", 3).expect("answers");
    assert_eq!(similar.len(), 3);
    for s in &similar {
        assert_ne!(&*s.patient_id, "current");
        assert_eq!(
            s.shared_conditions.iter().map(|c| &**c).collect::<Vec<_>>(),
            vec!["hypertension"]
        );
        assert!(s.similarity > 0.0 && s.similarity <= 1.0);
    }
}

#[test]
fn unknown_patients_and_methods_are_errors() {
    let source = MemorySource::new(population());
    let rec = Recommender::build(&source, RecommenderConfig::default()).expect("builds");
    assert!(rec.recommend("nobody", 3, None).is_err());
    assert!(rec.recommend("current", 3, Some(Method::Ials)).is_err());
    assert!(Method::parse("magic").is_err());
    assert!(rec.refresh_patient(&source, "nobody").is_err());
}
