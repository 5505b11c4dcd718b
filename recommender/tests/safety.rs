//! The curated tables: what they say and how they are read.

use std::sync::Arc;

use recommender::safety::Target;
use recommender::{RecommendError, SafetyTables, Severity};

fn allergy(code: &str, display: &str) -> Vec<(Arc<str>, Arc<str>)> {
    vec![(Arc::from(code), Arc::from(display))]
}

#[test]
fn penicillin_excludes_amoxicillin_and_ampicillin() {
    let t = SafetyTables::bundled().expect("the bundled tables parse");
    let penicillin = allergy("7984", "Penicillin V");
    for drug in [
        "Amoxicillin 250 MG / Clavulanate 125 MG Oral Tablet",
        "Ampicillin 100 MG/ML Injectable Solution",
        "Piperacillin 4000 MG / tazobactam 500 MG Injection",
    ] {
        let c = t.allergy_conflicts(&penicillin, &t.drug(drug));
        assert_eq!(c.len(), 1, "{drug}");
        assert_eq!(c[0].excluded, Target::Class(Arc::from("penicillins")));
    }
    assert!(t
        .allergy_conflicts(&penicillin, &t.drug("Cefuroxime 250 MG Oral Tablet"))
        .is_empty());
    // By display keyword when the code is not in the table.
    let by_name = allergy("999", "Allergy to penicillin");
    assert_eq!(
        t.allergy_conflicts(&by_name, &t.drug("Amoxicillin 500 MG Oral Tablet"))
            .len(),
        1
    );
}

#[test]
fn aspirin_excludes_nsaids() {
    let t = SafetyTables::bundled().expect("parses");
    let aspirin = allergy("1191", "Aspirin");
    for drug in [
        "Ibuprofen 200 MG Oral Tablet",
        "Naproxen sodium 220 MG Oral Tablet",
    ] {
        assert_eq!(
            t.allergy_conflicts(&aspirin, &t.drug(drug)).len(),
            1,
            "{drug}"
        );
    }
    assert!(t
        .allergy_conflicts(&aspirin, &t.drug("Acetaminophen 325 MG Oral Tablet"))
        .is_empty());
    // Food allergies exclude no drug.
    let peanut = allergy("91935009", "Allergy to peanuts");
    assert!(t
        .allergy_conflicts(&peanut, &t.drug("Ibuprofen 200 MG Oral Tablet"))
        .is_empty());
}

#[test]
fn severe_interactions_between_classes() {
    let t = SafetyTables::bundled().expect("parses");
    let active = |d: &str| vec![(Arc::from("x"), Arc::from(d), t.drug(d))];
    let flags = t.interactions(
        &t.drug("Acetaminophen 325 MG / Oxycodone Hydrochloride 5 MG Oral Tablet"),
        &active("Diazepam 5 MG Oral Tablet"),
    );
    assert_eq!(flags.len(), 1);
    assert_eq!(flags[0].severity, Severity::Major);
    let flags = t.interactions(
        &t.drug("sildenafil 50 MG Oral Tablet"),
        &active("Nitroglycerin 0.4 MG/ACTUAT Mucosal Spray"),
    );
    assert_eq!(flags[0].severity, Severity::Contraindicated);
    assert!(t
        .interactions(
            &t.drug("Acetaminophen 325 MG Oral Tablet"),
            &active("Warfarin Sodium 5 MG Oral Tablet")
        )
        .is_empty());
}

#[test]
fn malformed_tables_are_reported_with_their_line() {
    let err = SafetyTables::parse("amoxicillin\tpenicillins\n", "", "a\tb\tmajor\n")
        .expect_err("too few fields");
    assert!(
        matches!(
            err,
            RecommendError::Table {
                line: 1,
                table: "interactions.tsv",
                ..
            }
        ),
        "{err}"
    );
    let err = SafetyTables::parse("# header\n\nx\n", "", "").expect_err("no classes");
    assert!(
        matches!(err, RecommendError::Table { line: 3, .. }),
        "{err}"
    );
    let err =
        SafetyTables::parse("", "penicillin\tdrug:amoxicillin\n", "").expect_err("bad target");
    assert!(
        matches!(
            err,
            RecommendError::Table {
                table: "allergy_exclusions.tsv",
                ..
            }
        ),
        "{err}"
    );
}
