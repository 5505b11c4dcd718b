//! `caregraph eval` and `caregraph recommend` on the bundled sample, and the
//! recommender's safety rules checked across the whole sample population
//! through the Cypher adapter.

mod cli_support;

use std::path::{Path, PathBuf};
use std::process::Output;

use cli_support::{path_arg, run, text};

use graph_model::{Database, DbOptions};
use recommender::conditions::ConditionRoles;
use recommender::{Evidence, Method, Recommender, RecommenderConfig};
use serde_json::Value as Json;
use server::recommend::CypherSource;

/// Loads the bundled sample (bulk-10 and the 86 California bundles).
fn loaded(dir: &Path) -> PathBuf {
    let data_dir = dir.join("data");
    let sample = seeds::bundled_sample_dir();
    let output = run(
        dir,
        &[
            "load",
            "--data-dir",
            &path_arg(&data_dir),
            &path_arg(&sample.join("synthea-bulk-10")),
            &path_arg(&sample.join("synthea-ca-86")),
        ],
    );
    // Exit 2: loaded, with the sample's known rejects (its log file).
    assert!(
        matches!(output.status.code(), Some(0 | 2)),
        "load: {}",
        text(&output.stderr)
    );
    data_dir
}

fn json(output: &Output) -> Json {
    assert_eq!(
        output.status.code(),
        Some(0),
        "stderr: {}",
        text(&output.stderr)
    );
    serde_json::from_slice(&output.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}", text(&output.stdout)))
}

#[test]
fn eval_reports_every_method_on_one_split() {
    let dir = tempfile::tempdir().expect("tempdir");
    let data_dir = loaded(dir.path());
    let report = json(&run(
        dir.path(),
        &["eval", "--data-dir", &path_arg(&data_dir), "--json"],
    ));
    let cutoff = report["cutoff"].as_str().expect("cutoff text");
    assert!(cutoff.len() >= 10 && cutoff.starts_with("20"), "{cutoff}");
    let evaluated = report["patients_evaluated"].as_u64().expect("count");
    assert!(evaluated > 0);
    let methods = report["methods"].as_array().expect("methods");
    let names: Vec<&str> = methods.iter().filter_map(|m| m["name"].as_str()).collect();
    assert_eq!(names, Method::ALL.map(Method::name).to_vec());
    for m in methods {
        let name = m["name"].as_str().unwrap_or_default();
        let baseline = Method::parse(name).expect("known").baseline();
        assert_eq!(m["baseline"].as_bool(), Some(baseline), "{m}");
        for key in ["recall@10", "ndcg@10", "hitrate@10", "coverage@10"] {
            let v = m[key].as_f64().unwrap_or(-1.0);
            assert!((0.0..=1.0).contains(&v), "{name} {key} = {v}");
        }
        assert!(m["fit_seconds"].as_f64().is_some_and(|s| s >= 0.0));
    }
    // The same cutoff given explicitly gives the same patients.
    let again = json(&run(
        dir.path(),
        &[
            "eval",
            "--data-dir",
            &path_arg(&data_dir),
            "--json",
            "--cutoff",
            cutoff,
            "--methods",
            "popularity",
            "--k",
            "5",
        ],
    ));
    assert_eq!(again["patients_evaluated"].as_u64(), Some(evaluated));
    assert!(again["methods"][0]["recall@5"].is_number());
    // The table has a line per method.
    let table = run(
        dir.path(),
        &["eval", "--data-dir", &path_arg(&data_dir), "--no-tune"],
    );
    assert_eq!(table.status.code(), Some(0), "{}", text(&table.stderr));
    let out = text(&table.stdout);
    for name in Method::ALL.map(Method::name) {
        assert!(out.lines().any(|l| l.starts_with(name)), "{out}");
    }
}

#[test]
fn recommend_prints_suggestions_with_evidence() {
    let dir = tempfile::tempdir().expect("tempdir");
    let data_dir = loaded(dir.path());
    let listed = run(
        dir.path(),
        &[
            "cypher",
            "--data-dir",
            &path_arg(&data_dir),
            "--format",
            "csv",
            "-e",
            "MATCH (p:Patient)-[:HAS_PRESCRIPTION]->() RETURN p.id AS id, count(*) AS n ORDER BY n DESC, id LIMIT 1",
        ],
    );
    assert_eq!(listed.status.code(), Some(0), "{}", text(&listed.stderr));
    let csv = text(&listed.stdout);
    let patient = csv
        .lines()
        .nth(1)
        .and_then(|l| l.split(',').next())
        .expect("a patient row")
        .trim_matches('"')
        .to_owned();
    let out = json(&run(
        dir.path(),
        &[
            "recommend",
            "--data-dir",
            &path_arg(&data_dir),
            "--patient",
            &patient,
            "--k",
            "5",
            "--similar",
            "3",
            "--json",
        ],
    ));
    let recs = out["recommendations"].as_array().expect("list");
    assert_eq!(recs.len(), 5);
    for r in recs {
        assert!(r["medication_code"].as_str().is_some_and(|c| !c.is_empty()));
        let evidence = r["evidence"].as_array().expect("evidence");
        assert!(!evidence.is_empty() && evidence.len() <= 3, "{r}");
        assert!(evidence
            .iter()
            .all(|e| e.as_str().is_some_and(|s| s.len() < 200)));
    }
    assert_eq!(out["similar_patients"].as_array().map(Vec::len), Some(3));
    let table = run(
        dir.path(),
        &[
            "recommend",
            "--data-dir",
            &path_arg(&data_dir),
            "--patient",
            &patient,
            "--method",
            "rp3beta",
        ],
    );
    assert_eq!(table.status.code(), Some(0), "{}", text(&table.stderr));
    assert!(text(&table.stdout).contains(" 1. "));
    let unknown = run(
        dir.path(),
        &[
            "recommend",
            "--data-dir",
            &path_arg(&data_dir),
            "--patient",
            "no-such-patient",
        ],
    );
    assert_eq!(unknown.status.code(), Some(1));
    assert!(text(&unknown.stderr).contains("unknown patient"));
    let bad_method = run(
        dir.path(),
        &[
            "recommend",
            "--data-dir",
            &path_arg(&data_dir),
            "--patient",
            &patient,
            "--method",
            "magic",
        ],
    );
    assert_eq!(bad_method.status.code(), Some(1));
    assert!(text(&bad_method.stderr).contains("unknown method"));
}

#[test]
fn safety_holds_for_every_patient_and_method_of_the_sample() {
    let dir = tempfile::tempdir().expect("tempdir");
    let data_dir = loaded(dir.path());
    let db = Database::open(&data_dir, DbOptions::default()).expect("opens");
    let source = CypherSource::Database(&db);
    let config = RecommenderConfig {
        methods: Method::ALL.to_vec(),
        ..RecommenderConfig::default()
    };
    let rec = Recommender::build(&source, config).expect("builds");
    let rows = cypher::execute(
        &db,
        "MATCH (p:Patient) OPTIONAL MATCH (p)-[:HAS_PRESCRIPTION]->()-[:OF_MEDICATION]->(m:Medication) RETURN p.id, collect(DISTINCT m.code)",
        &cypher::Params::new(),
        &cypher::QueryOptions::default(),
    )
    .expect("runs");
    let roles = ConditionRoles::bundled().expect("the condition roles parse");
    let social: Vec<(&str, &str)> = roles.social().collect();
    let mut checked = 0;
    let mut allergic_patients = 0;
    for row in &rows.rows {
        let id = row[0].as_str().expect("id");
        let had: Vec<&str> = row[1]
            .as_list()
            .expect("list")
            .iter()
            .filter_map(|v| v.as_str())
            .collect();
        let mut any_allergy_excludes = false;
        for method in Method::ALL {
            for r in rec.recommend(id, 10, Some(method)).expect("answers") {
                assert!(
                    !had.contains(&&*r.medication_code),
                    "{method} suggested {} which {id} had",
                    r.medication_code
                );
                // No evidence line presents a social finding (employment,
                // education, stress...) as the reason for the drug.
                for e in &r.evidence {
                    if let Evidence::ConditionCohort { condition_code, .. }
                    | Evidence::Treats { condition_code, .. } = e
                    {
                        assert!(!roles.is_social(condition_code), "{method} {id}: {e}");
                    }
                    let line = e.to_string();
                    for (code, display) in &social {
                        assert!(
                            !line.contains(display),
                            "{method} {id}: `{line}` names {code}"
                        );
                    }
                }
                let check = rec.order_check(id, &r.medication_code).expect("checks");
                assert!(check.allergy_conflicts.is_empty(), "{method}: {check:?}");
                assert!(!check.currently_taking);
                assert_eq!(
                    check.interactions, r.flags,
                    "flags agree with the order check"
                );
                checked += 1;
            }
        }
        // Where an allergy excludes some drug of the catalog, an order check
        // of that drug reports it.
        for code in ["562251", "308182", "834061", "310965", "849574"] {
            if let Ok(check) = rec.order_check(id, code) {
                any_allergy_excludes |= !check.allergy_conflicts.is_empty();
            }
        }
        allergic_patients += usize::from(any_allergy_excludes);
    }
    assert!(checked > 1_000, "{checked}");
    eprintln!("{checked} suggestions checked; {allergic_patients} patient(s) with a drug allergy that excludes a catalog drug");
}
