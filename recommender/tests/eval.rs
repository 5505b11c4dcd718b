//! The evaluation protocol on a tiny dataset whose metrics are worked out
//! by hand.

mod common;

use std::sync::Arc;

use common::rx;
use recommender::eval::{ndcg, percentile, validation_folds};
use recommender::projection::Neighborhood;
use recommender::{evaluate, EvalOptions, Method, Projection};

/// Ten prescriptions at times 1..=10 (one each):
///
/// - p1: A@1, B@2, C@9
/// - p2: A@3, B@4, A@10
/// - p3: B@5, C@6, E@7, D@8
///
/// 80th percentile, nearest rank: ceil(0.8 · 10) = 8th time → T = 8.
/// Training (t < 8): p1 {A, B}, p2 {A, B}, p3 {B, C, E}.
/// Tests: p1 {C} (first at 9); p2 none (A again at 10 is not new);
/// p3 {D} (at 8 = T counts). Evaluated: p1 and p3.
fn tiny() -> Projection {
    let person = |id: &str, meds: &[(&str, i64)]| Neighborhood {
        patient_id: Arc::from(id),
        gender: Some(Arc::from("male")),
        birth: Some(0),
        prescriptions: meds
            .iter()
            .enumerate()
            .map(|(i, (m, t))| rx(id, i, m, *t, "stopped"))
            .collect(),
        diagnoses: Vec::new(),
        allergies: Vec::new(),
    };
    Projection::from_neighborhoods(&[
        person("p1", &[("A", 1), ("B", 2), ("C", 9)]),
        person("p2", &[("A", 3), ("B", 4), ("A", 10)]),
        person("p3", &[("B", 5), ("C", 6), ("E", 7), ("D", 8)]),
    ])
}

fn popularity(k: usize) -> recommender::EvalReport {
    let options = EvalOptions {
        k,
        methods: vec![Method::Popularity],
        tune: false,
        ..EvalOptions::default()
    };
    evaluate(&tiny(), &options, &mut |_| {}).expect("evaluates")
}

#[test]
fn cutoff_is_the_80th_percentile_by_nearest_rank() {
    let times: Vec<i64> = (1..=10).collect();
    assert_eq!(percentile(&times, 0.8), Some(8));
    assert_eq!(percentile(&times[..7], 0.8), Some(6));
    assert_eq!(percentile(&[], 0.8), None);
    let report = popularity(10);
    assert_eq!(report.cutoff, 8);
    assert_eq!(report.patients_evaluated, 2);
}

#[test]
fn validation_folds_roll_back_from_the_cutoff() {
    // Fold 1: the 80th percentile of times 1..=7 is 6; training before 6,
    // targets new in [6, 8): p3 (trained on B) gets C and E.
    // Fold 2: percentile of 1..=5 is 4; training before 4: p1 {A, B}, p2
    // {A}; new in [4, 6): p2's B. p3 has no training there.
    // Fold 3: percentile of 1..=3 is 3; nothing new in [3, 4) for a
    // patient with training (p2's A at 3 is its first): no fold.
    let folds = validation_folds(&tiny(), Some(8), 3, 3_000);
    let cuts: Vec<i64> = folds.iter().map(|f| f.cutoff).collect();
    assert_eq!(cuts, vec![6, 4]);
    assert_eq!(folds[0].targets.len(), 1);
    assert_eq!(folds[0].targets[0].len(), 2);
    assert_eq!(folds[1].targets, vec![vec![1]]);
    // Tuning uses them.
    let options = EvalOptions {
        methods: vec![Method::Popularity, Method::Ppr],
        ..EvalOptions::default()
    };
    let report = evaluate(&tiny(), &options, &mut |_| {}).expect("evaluates");
    assert_eq!(report.validation_cutoffs, vec![6, 4]);
    assert_eq!(report.validation_patients, 2);
}

#[test]
fn popularity_metrics_by_hand_at_10() {
    // Training popularity: A 2, B 3, C 1, E 1, D 0; catalog order A, B, C,
    // E, D (first appearance).
    // p1 (training A, B left out): C 1, E 1, D 0 → [C, E, D]; C hits at
    // rank 1: recall 1, NDCG 1.
    // p3 (B, C, E left out): A 2, D 0 → [A, D]; D hits at rank 2:
    // recall 1, NDCG = (1 / log2 3) / 1 = 0.63093.
    // Coverage: {A, C, D, E} of 5 medications = 0.8.
    let report = popularity(10);
    let m = &report.methods[0].metrics;
    assert!((m.recall - 1.0).abs() < 1e-9);
    assert!((m.hitrate - 1.0).abs() < 1e-9);
    let expected = f64::midpoint(1.0, 1.0 / 3f64.log2());
    assert!((m.ndcg - expected).abs() < 1e-9, "{}", m.ndcg);
    assert!((m.coverage - 0.8).abs() < 1e-9);
}

#[test]
fn popularity_metrics_by_hand_at_1() {
    // p1 → [C]: hit; p3 → [A]: miss. Recall 0.5, NDCG 0.5, hit rate 0.5,
    // coverage {A, C} of 5 = 0.4.
    let report = popularity(1);
    let m = &report.methods[0].metrics;
    assert!((m.recall - 0.5).abs() < 1e-9);
    assert!((m.ndcg - 0.5).abs() < 1e-9);
    assert!((m.hitrate - 0.5).abs() < 1e-9);
    assert!((m.coverage - 0.4).abs() < 1e-9);
}

#[test]
fn ndcg_with_binary_gains() {
    // Two targets, hits at ranks 1 and 3: DCG = 1 + 1/2, IDCG = 1 + 1/log2 3.
    let v = ndcg(&[5, 7, 6], &[5, 6], 10);
    let expected = (1.0 + 0.5) / (1.0 + 1.0 / 3f64.log2());
    assert!((v - expected).abs() < 1e-12);
    assert!((ndcg(&[1, 2], &[3], 10)).abs() < 1e-12);
}

#[test]
fn an_explicit_cutoff_is_used() {
    // T = 7: training t < 7: p1 {A, B}, p2 {A, B}, p3 {B, C}; tests: p1
    // {C}, p3 {E, D}.
    let options = EvalOptions {
        cutoff: Some(7),
        methods: vec![Method::Popularity],
        tune: false,
        ..EvalOptions::default()
    };
    let report = evaluate(&tiny(), &options, &mut |_| {}).expect("evaluates");
    assert_eq!(report.cutoff, 7);
    assert_eq!(report.patients_evaluated, 2);
}

#[test]
fn every_method_runs_through_the_protocol() {
    let options = EvalOptions {
        methods: Method::ALL.to_vec(),
        ..EvalOptions::default()
    };
    let report = evaluate(&tiny(), &options, &mut |_| {}).expect("evaluates");
    let names: Vec<&str> = report.methods.iter().map(|r| r.method.name()).collect();
    assert_eq!(names, Method::ALL.map(Method::name).to_vec());
    for r in &report.methods {
        assert!((0.0..=1.0).contains(&r.metrics.recall), "{r:?}");
        assert!((0.0..=1.0).contains(&r.metrics.ndcg), "{r:?}");
    }
}
