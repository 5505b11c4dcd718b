//! The curated tables: what they say and how they are read.

use std::sync::Arc;

use recommender::safety::{MatchBasis, Target, ALLERGY_EXCLUSIONS, DRUG_CLASSES, RXNORM_PRODUCTS};
use recommender::{RecommendError, SafetyTables, Severity};

fn allergy(code: &str, display: &str) -> Vec<(Arc<str>, Arc<str>)> {
    vec![(Arc::from(code), Arc::from(display))]
}

fn tables() -> SafetyTables {
    SafetyTables::bundled().expect("the bundled tables parse")
}

#[test]
fn penicillin_excludes_amoxicillin_and_ampicillin_by_code() {
    let t = tables();
    let penicillin = allergy("7984", "Penicillin V");
    for (code, drug) in [
        (
            "562251",
            "Amoxicillin 250 MG / Clavulanate 125 MG Oral Tablet",
        ),
        ("789980", "Ampicillin 100 MG/ML Injectable Solution"),
        (
            "1659149",
            "Piperacillin 4000 MG / tazobactam 500 MG Injection",
        ),
    ] {
        let profile = t.drug(code, drug);
        assert_eq!(profile.basis, MatchBasis::Code, "{drug}");
        let c = t.allergy_conflicts(&penicillin, &profile);
        assert_eq!(c.len(), 1, "{drug}");
        assert_eq!(c[0].excluded, Target::Class(Arc::from("penicillins")));
        assert_eq!(c[0].basis, MatchBasis::Code);
    }
    assert!(t
        .allergy_conflicts(
            &penicillin,
            &t.drug("309097", "Cefuroxime 250 MG Oral Tablet")
        )
        .is_empty());
}

#[test]
fn the_code_decides_not_the_display() {
    let t = tables();
    // A misleading display does not change what the code is.
    let profile = t.drug("308182", "Mystery capsule");
    assert_eq!(profile.ingredients, vec![Arc::<str>::from("723")]);
    assert!(profile.classes.iter().any(|c| &**c == "penicillins"));
    // Synthea's misspelled display is simvastatin by its code.
    let simvistatin = t.drug("316672", "Simvistatin 10 MG");
    assert_eq!(simvistatin.ingredients, vec![Arc::<str>::from("36567")]);
    // Brand-only packs get their ingredients from the code.
    let yaz = t.drug("748856", "Yaz 28 Day Pack");
    assert_eq!(yaz.ingredients.len(), 2);
    assert!(yaz
        .classes
        .iter()
        .any(|c| &**c == "hormonal-contraceptives"));
}

#[test]
fn an_unknown_code_falls_back_to_names_and_says_so() {
    let t = tables();
    let by_name = t.drug("999001", "Amoxicillin 875 MG Oral Tablet");
    assert_eq!(by_name.basis, MatchBasis::Name);
    assert_eq!(by_name.ingredients, vec![Arc::<str>::from("723")]);
    let c = t.allergy_conflicts(&allergy("7984", "Penicillin V"), &by_name);
    assert_eq!(c.len(), 1);
    assert_eq!(c[0].basis, MatchBasis::Name);
    // "estradiol" inside "ethinyl estradiol" is not a second ingredient.
    let pill = t.drug("999002", "ethinyl estradiol 0.03 MG Oral Tablet");
    assert_eq!(pill.ingredients, vec![Arc::<str>::from("4124")]);
    // An allergy code the table does not have falls back to its display.
    let c = t.allergy_conflicts(
        &allergy("999", "Allergy to penicillin"),
        &t.drug("308192", "Amoxicillin 500 MG Oral Tablet"),
    );
    assert_eq!(c.len(), 1);
    assert_eq!(c[0].basis, MatchBasis::Name);
}

#[test]
fn snomed_and_rxnorm_allergy_codes() {
    let t = tables();
    // SNOMED CT finding.
    let c = t.allergy_conflicts(
        &allergy("91936005", "Allergy to penicillin"),
        &t.drug("834061", "Penicillin V Potassium 250 MG Oral Tablet"),
    );
    assert_eq!(c.len(), 1);
    assert_eq!(c[0].basis, MatchBasis::Code);
    // An RxNorm ingredient the allergy table has no row for excludes that
    // ingredient by code.
    let c = t.allergy_conflicts(
        &allergy("6851", "methotrexate"),
        &t.drug("105586", "Methotrexate 10 MG Oral Tablet"),
    );
    assert_eq!(c.len(), 1);
    assert!(matches!(&c[0].excluded, Target::Ingredient { rxcui, .. } if &**rxcui == "6851"));
    // Codeine allergy: the combination products with codeine.
    let c = t.allergy_conflicts(
        &allergy("2670", "codeine"),
        &t.drug(
            "993770",
            "Acetaminophen 300 MG / Codeine Phosphate 15 MG Oral Tablet",
        ),
    );
    assert_eq!(c.len(), 1);
}

#[test]
fn aspirin_excludes_nsaids() {
    let t = tables();
    let aspirin = allergy("1191", "Aspirin");
    for (code, drug) in [
        ("310965", "Ibuprofen 200 MG Oral Tablet"),
        ("849574", "Naproxen sodium 220 MG Oral Tablet"),
    ] {
        assert_eq!(
            t.allergy_conflicts(&aspirin, &t.drug(code, drug)).len(),
            1,
            "{drug}"
        );
    }
    assert!(t
        .allergy_conflicts(
            &aspirin,
            &t.drug("313782", "Acetaminophen 325 MG Oral Tablet")
        )
        .is_empty());
    // Food allergies exclude no drug, and are known by code.
    let peanut = allergy("91935009", "Allergy to peanuts");
    assert!(t.knows_allergy_code("91935009"));
    assert!(t
        .allergy_conflicts(&peanut, &t.drug("310965", "Ibuprofen 200 MG Oral Tablet"))
        .is_empty());
}

#[test]
fn severe_interactions_between_classes() {
    let t = tables();
    let active = |c: &str, d: &str| vec![(Arc::from(c), Arc::from(d), t.drug(c, d))];
    let flags = t.interactions(
        &t.drug(
            "1049221",
            "Acetaminophen 325 MG / Oxycodone Hydrochloride 5 MG Oral Tablet",
        ),
        &active("197591", "Diazepam 5 MG Oral Tablet"),
    );
    assert_eq!(flags.len(), 1);
    assert_eq!(flags[0].severity, Severity::Major);
    assert_eq!(flags[0].basis, MatchBasis::Code);
    // Sildenafil is in no product of the data: matched by name, and said.
    let flags = t.interactions(
        &t.drug("999003", "sildenafil 50 MG Oral Tablet"),
        &active("705129", "Nitroglycerin 0.4 MG/ACTUAT Mucosal Spray"),
    );
    assert_eq!(flags[0].severity, Severity::Contraindicated);
    assert_eq!(flags[0].basis, MatchBasis::Name);
    assert!(t
        .interactions(
            &t.drug("313782", "Acetaminophen 325 MG Oral Tablet"),
            &active("855332", "Warfarin Sodium 5 MG Oral Tablet")
        )
        .is_empty());
    // Ingredient-level rows: digoxin with amiodarone.
    let flags = t.interactions(
        &t.drug("197604", "Digoxin 0.125 MG Oral Tablet"),
        &active(
            "834357",
            "3 ML Amiodarone hydrocholoride 50 MG/ML Prefilled Syringe",
        ),
    );
    assert_eq!(flags.len(), 1);
}

#[test]
fn every_product_names_its_ingredients_in_its_display() {
    let t = tables();
    let mut checked = 0;
    for line in RXNORM_PRODUCTS.lines().filter(|l| !l.starts_with('#')) {
        let fields: Vec<&str> = line.split('\t').collect();
        let (code, display) = (fields[0], fields[3].to_lowercase());
        let brand = t.product_brand(code).map(|b| b.to_lowercase());
        let parts = t.product_ingredients(code).expect("a product of the table");
        assert!(!parts.is_empty(), "{code}");
        for (rxcui, name) in parts {
            let named = t
                .ingredient_names(&rxcui)
                .iter()
                .any(|n| display.contains(&n.to_lowercase()));
            let branded = brand.as_ref().is_some_and(|b| display.contains(b.as_str()));
            assert!(
                named || branded,
                "{code} `{display}`: neither {name} nor its brand is in the display"
            );
        }
        checked += 1;
    }
    assert!(checked > 150, "{checked}");
}

#[test]
fn every_ingredient_row_says_how_its_code_was_checked() {
    for line in DRUG_CLASSES.lines().filter(|l| !l.starts_with('#')) {
        let fields: Vec<&str> = line.split('\t').collect();
        assert_eq!(fields.len(), 5, "{line}");
        assert!(
            ["cpic", "recall", "unverified"].contains(&fields[4]),
            "{line}"
        );
    }
}

#[test]
fn malformed_tables_are_reported_with_their_line() {
    let classes = "723\tamoxicillin\tpenicillins\t\trecall\n";
    let err = SafetyTables::parse(classes, "", "", "a\tb\tmajor\n").expect_err("too few fields");
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
    let err = SafetyTables::parse("# header\n\nx\n", "", "", "").expect_err("no rxcui");
    assert!(
        matches!(err, RecommendError::Table { line: 3, .. }),
        "{err}"
    );
    let err = SafetyTables::parse(classes, "308182\t5640\t\tx\n", "", "")
        .expect_err("unknown ingredient");
    assert!(
        matches!(
            err,
            RecommendError::Table {
                table: "rxnorm_products.tsv",
                ..
            }
        ),
        "{err}"
    );
    for allergies in [
        "name\tpenicillin\tdrug:amoxicillin\n",
        "snomed\tabc\tnone\n",
        "rxnorm\t1\tingredient:5640\n",
    ] {
        let err = SafetyTables::parse(classes, "", allergies, "").expect_err("bad row");
        assert!(
            matches!(
                err,
                RecommendError::Table {
                    table: "allergy_exclusions.tsv",
                    ..
                }
            ),
            "{allergies}: {err}"
        );
    }
    assert!(ALLERGY_EXCLUSIONS.contains("snomed\t91936005"));
}
