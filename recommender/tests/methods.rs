//! Each method on small hand-made graphs, against answers worked out by
//! hand (the arithmetic is in the comments).

mod common;

use common::{dx, patient};
use recommender::methods::ease::Ease;
use recommender::methods::hybrid::{fuse, RANK_OFFSET};
use recommender::methods::itemknn::ItemKnn;
use recommender::methods::popularity::Popularity;
use recommender::methods::ppr::{Ppr, PprTables, PprWeights, KINDS};
use recommender::methods::rp3beta::Rp3beta;
use recommender::methods::similarity::SimilarityIndex;
use recommender::methods::{top_k, Model};
use recommender::{Dataset, Projection};

const EPS: f32 = 1e-5;

/// The 4 × 5 matrix used by most tests (rows patients, columns m0..m4):
///
/// ```text
///      m0 m1 m2 m3 m4
/// u0    1  1  .  .  .
/// u1    1  .  1  .  .
/// u2    .  1  1  1  .
/// u3    .  .  .  1  1
/// ```
fn matrix() -> Dataset {
    let ns = vec![
        patient("u0", &["m0", "m1"]),
        patient("u1", &["m0", "m2"]),
        patient("u2", &["m1", "m2", "m3"]),
        patient("u3", &["m3", "m4"]),
    ];
    Dataset::new(&Projection::from_neighborhoods(&ns), None)
}

fn scores(model: &dyn Model, data: &Dataset, patient: usize) -> Vec<f32> {
    let mut out = vec![0f32; data.n_meds];
    model.score(data, &data.profiles[patient], &mut out);
    out
}

fn close(a: f32, b: f32) -> bool {
    (a - b).abs() < EPS
}

#[test]
fn the_catalog_follows_first_appearance() {
    let data = matrix();
    assert_eq!(data.n_meds, 5);
    assert_eq!(data.n_patients(), 4);
    let meds: Vec<u32> = data.profiles[2].meds.iter().map(|&(m, _)| m).collect();
    assert_eq!(meds, vec![1, 2, 3]);
}

#[test]
fn popularity_counts_patients() {
    let data = matrix();
    let s = scores(&Popularity::fit(&data), &data, 0);
    assert_eq!(s, vec![2.0, 2.0, 2.0, 2.0, 1.0]);
}

#[test]
fn itemknn_cosine_by_hand() {
    // sim(i, j) = |U_i ∩ U_j| / (sqrt|U_i| sqrt|U_j|):
    // sim(0, 2) = 1 / (√2 √2) = 0.5, sim(1, 2) = 0.5, sim(1, 3) = 0.5,
    // sim(0, 3) = 0, sim(3, 4) = 1 / (√2 · 1) = 0.70711.
    let data = matrix();
    let knn = ItemKnn::fit(&data, 10, 0.0);
    assert!(close(knn.similarity(3, 4), 1.0 / 2f32.sqrt()));
    assert!(close(knn.similarity(0, 0), 0.0));
    // u0 = {m0, m1}: score(m2) = 0.5 + 0.5, score(m3) = 0 + 0.5, score(m4) = 0.
    let s = scores(&knn, &data, 0);
    assert!(close(s[2], 1.0), "{s:?}");
    assert!(close(s[3], 0.5), "{s:?}");
    assert!(close(s[4], 0.0), "{s:?}");
    // A shrink of 2 divides by 2 + 2 instead of 2.
    let shrunk = ItemKnn::fit(&data, 10, 2.0);
    assert!(close(shrunk.similarity(0, 2), 0.25));
    // Keeping one neighbor per item: m1's best is m0, m2 or m3 (all 0.5),
    // ties to the lowest index, so only sim(1, 0) survives.
    let pruned = ItemKnn::fit(&data, 1, 0.0);
    assert!(close(pruned.similarity(1, 0), 0.5));
    assert!(close(pruned.similarity(1, 2), 0.0));
}

#[test]
fn rp3beta_by_hand() {
    // |M_u| = 2, 2, 3, 2; |U_i| = 2, 2, 2, 2, 1. With alpha = 1:
    // W(i, j) = (1/|U_i|) Σ_{u ∈ U_i ∩ U_j} 1/|M_u|.
    // W(0, 2) = 1/2 · 1/2 (u1) = 0.25; W(1, 2) = 1/2 · 1/3 (u2) = 1/6;
    // W(1, 3) = 1/6; W(3, 4) = 1/2 · 1/2 (u3) = 0.25; W(0, 3) = 0.
    let data = matrix();
    let rp3 = Rp3beta::fit(&data, 1.0, 0.0, 10);
    assert!(close(rp3.weight(0, 2), 0.25));
    assert!(close(rp3.weight(1, 2), 1.0 / 6.0));
    assert!(close(rp3.weight(3, 4), 0.25));
    assert!(close(rp3.weight(0, 3), 0.0));
    // Self-loop kept by the walk: W(0, 0) = 1/2 (1/2 + 1/2) = 0.5.
    assert!(close(rp3.weight(0, 0), 0.5));
    // u0 = {m0, m1}: score(m2) = 0.25 + 1/6 = 0.41667, score(m3) = 1/6.
    let s = scores(&rp3, &data, 0);
    assert!(close(s[2], 0.25 + 1.0 / 6.0), "{s:?}");
    assert!(close(s[3], 1.0 / 6.0), "{s:?}");
    // beta = 0.5 divides column j by |U_j|^0.5 = √2 (m2 and m3).
    let penalized = Rp3beta::fit(&data, 1.0, 0.5, 10);
    let s = scores(&penalized, &data, 0);
    assert!(close(s[2], (0.25 + 1.0 / 6.0) / 2f32.sqrt()), "{s:?}");
    assert!(close(s[3], 1.0 / 6.0 / 2f32.sqrt()), "{s:?}");
    // alpha = 0.5: W(0, 2) = (1/2)^0.5 (1/2)^0.5 = 0.5.
    let soft = Rp3beta::fit(&data, 0.5, 0.0, 10);
    assert!(close(soft.weight(0, 2), 0.5));
}

#[test]
fn ease_by_hand_on_two_blocks() {
    // Two blocks that never co-occur:
    //      m0 m1 m2 m3 m4
    // u0    1  1  .  .  .
    // u1    1  .  .  .  .
    // u2    .  .  1  1  .
    // u3    .  .  .  1  1
    let ns = vec![
        patient("u0", &["m0", "m1"]),
        patient("u1", &["m0"]),
        patient("u2", &["m2", "m3"]),
        patient("u3", &["m3", "m4"]),
    ];
    let data = Dataset::new(&Projection::from_neighborhoods(&ns), None);
    let ease = Ease::fit(&data, 1.0).expect("positive definite");
    // Block {m0, m1}: G = [[3, 1], [1, 2]]; for two items
    // B(i, j) = G_ij / G_ii: B(0, 1) = 1/3, B(1, 0) = 1/2.
    assert!(close(ease.weight(0, 1), 1.0 / 3.0));
    assert!(close(ease.weight(1, 0), 0.5));
    // Block {m2, m3, m4}: G = [[2, 1, 0], [1, 3, 1], [0, 1, 2]], det 8,
    // P = adj(G) / 8 = [[5, -2, 1], [-2, 4, -2], [1, -2, 5]] / 8,
    // B(i, j) = -P_ij / P_jj:
    // B(2, 3) = 2/4 = 0.5, B(3, 2) = 2/5 = 0.4, B(2, 4) = -1/5 = -0.2,
    // B(4, 2) = -0.2, B(3, 4) = 0.4, B(4, 3) = 0.5.
    let expected = [
        (2, 3, 0.5),
        (3, 2, 0.4),
        (2, 4, -0.2),
        (4, 2, -0.2),
        (3, 4, 0.4),
        (4, 3, 0.5),
    ];
    for (i, j, b) in expected {
        assert!(
            close(ease.weight(i, j), b),
            "B({i}, {j}) = {}",
            ease.weight(i, j)
        );
    }
    for i in 0..5 {
        assert!(close(ease.weight(i, i), 0.0));
    }
    assert!(close(ease.weight(0, 3), 0.0));
    // u2 = {m2, m3}: score(m4) = B(2, 4) + B(3, 4) = 0.2.
    let s = scores(&ease, &data, 2);
    assert!(close(s[4], 0.2), "{s:?}");
}

#[test]
fn ials_ranks_the_co_taken_item_first() {
    // Fold-in for u1 = {m0}: in the block matrix above, m1 (taken with m0
    // by u0) must outrank every item of the other block.
    let ns = vec![
        patient("u0", &["m0", "m1"]),
        patient("u1", &["m0"]),
        patient("u2", &["m2", "m3"]),
        patient("u3", &["m3", "m4"]),
        patient("u4", &["m2", "m3", "m4"]),
    ];
    let data = Dataset::new(&Projection::from_neighborhoods(&ns), None);
    let ials = recommender::methods::ials::Ials::fit(&data, 4, 10.0, 0.1, 15).expect("fits");
    let s = scores(&ials, &data, 1);
    assert!(s[1] > s[2] && s[1] > s[3] && s[1] > s[4], "{s:?}");
}

#[test]
fn ppr_condition_walk_by_hand() {
    // u0 has condition c1 and took m0; u1 has c1 and took m1, m2; u2 has c2
    // and took m3. The walk u → c1 → {u0, u1} (1/2 each) → their drugs
    // (1/|M|): P(m0) = 1/2, P(m1) = P(m2) = 1/2 · 1/2 = 1/4, P(m3) = 0.
    let mut u0 = patient("u0", &["m0"]);
    u0.diagnoses.push(dx("c1", "Condition one", 0));
    let mut u1 = patient("u1", &["m1", "m2"]);
    u1.diagnoses.push(dx("c1", "Condition one", 0));
    let mut u2 = patient("u2", &["m3"]);
    u2.diagnoses.push(dx("c2", "Condition two", 0));
    let data = Dataset::new(&Projection::from_neighborhoods(&[u0, u1, u2]), None);
    let tables = std::sync::Arc::new(PprTables::fit(&data));
    let mut kinds = [0.0; KINDS];
    kinds[0] = 1.0;
    let only_conditions = Ppr::new(tables.clone(), PprWeights { kinds, beta: 0.0 });
    let s = scores(&only_conditions, &data, 0);
    assert!(
        close(s[0], 0.5) && close(s[1], 0.25) && close(s[2], 0.25),
        "{s:?}"
    );
    assert!(close(s[3], 0.0), "{s:?}");
    // The item walk from u1 = {m1, m2}: m1 → u1 → {m1, m2} (1/2 each), the
    // same from m2, each start 1/2: P(m1) = P(m2) = 1/2.
    let mut kinds = [0.0; KINDS];
    kinds[4] = 1.0;
    let items = Ppr::new(tables, PprWeights { kinds, beta: 0.0 });
    let s = scores(&items, &data, 1);
    assert!(
        close(s[1], 0.5) && close(s[2], 0.5) && close(s[0], 0.0),
        "{s:?}"
    );
}

#[test]
fn similarity_finds_the_patient_sharing_the_rare_condition() {
    let mut first = patient("a", &["m0"]);
    first.diagnoses.push(dx("rare", "Rare", 0));
    let mut second = patient("b", &["m1"]);
    second.diagnoses.push(dx("rare", "Rare", 0));
    let third = patient("c", &["m2"]);
    let data = Dataset::new(
        &Projection::from_neighborhoods(&[first, second, third]),
        None,
    );
    let index = SimilarityIndex::fit(&data);
    let found = index.neighbors(&data.profiles[0], 5);
    // Only b shares a feature with a (the condition); never a itself.
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].0, 1);
    // idf = ln(patients / (1 + df)) + 0.1: the condition (df 2) has
    // ln(3/3) + 0.1 = 0.1, each drug (df 1) ln(3/2) + 0.1 = x.
    // a = (0.1, x, 0), b = (0.1, 0, x): cos = 0.1² / (0.1² + x²).
    let x = (3f32 / 2.0).ln() + 0.1;
    let expected = 0.01 / (0.01 + x * x);
    assert!(close(found[0].1, expected), "{} vs {expected}", found[0].1);
}

#[test]
fn fusion_by_hand() {
    // Two lists; weights 1 and 2; score = Σ w / (K + rank).
    let mut out = vec![0f32; 3];
    fuse(&[&[0, 1], &[1, 2]], &[1.0, 2.0], &mut out);
    let k = RANK_OFFSET;
    assert!(close(out[0], 1.0 / k));
    assert!(close(out[1], 1.0 / (k + 1.0) + 2.0 / k));
    assert!(close(out[2], 2.0 / (k + 1.0)));
}

#[test]
fn top_k_orders_by_score_then_index_and_excludes() {
    let s = [0.5, 0.9, 0.5, f32::NAN, 0.1];
    let top = top_k(&s, 3, |m| m == 1);
    let order: Vec<u32> = top.iter().map(|&(m, _)| m).collect();
    assert_eq!(order, vec![0, 2, 4]);
}
