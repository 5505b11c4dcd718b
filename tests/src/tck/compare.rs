//! Comparing an actual [`TckResult`] with an expected table.
//!
//! Column names must equal the header exactly and in order. Rows compare
//! as a multiset (`in any order`) or as a sequence (`in order`); values
//! compare structurally ([`TckValue::equals`]), with lists as multisets
//! when the step says `ignoring element order for lists`. On a mismatch
//! the error names the first difference.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use super::engine::TckResult;
use super::steps::ExpectedResult;
use super::value::{ListOrder, TckValue};

/// How many differing rows a multiset mismatch lists each way.
const SHOWN_ROWS: usize = 3;

/// Renders a row as `| v1 | v2 |`.
pub fn render_row(row: &[TckValue]) -> String {
    let mut out = String::from("|");
    for value in row {
        let _ = write!(out, " {value} |");
    }
    out
}

fn row_key(row: &[TckValue], lists: ListOrder) -> String {
    row.iter().map(|v| v.canonical_key(lists)).collect()
}

/// Checks `actual` against `expected`; the error describes the first
/// mismatch.
pub fn compare_result(expected: &ExpectedResult, actual: &TckResult) -> Result<(), String> {
    if expected.columns != actual.columns {
        return Err(format!(
            "columns differ: expected {:?}, got {:?}",
            expected.columns, actual.columns
        ));
    }
    if let Some((i, row)) = actual
        .rows
        .iter()
        .enumerate()
        .find(|(_, r)| r.len() != actual.columns.len())
    {
        return Err(format!(
            "actual row {} has {} values for {} columns: {}",
            i + 1,
            row.len(),
            actual.columns.len(),
            render_row(row)
        ));
    }
    if expected.ordered {
        compare_ordered(&expected.rows, &actual.rows, expected.lists)
    } else {
        compare_bag(&expected.rows, &actual.rows, expected.lists)
    }
}

/// Rows in sequence.
pub fn compare_ordered(
    expected: &[Vec<TckValue>],
    actual: &[Vec<TckValue>],
    lists: ListOrder,
) -> Result<(), String> {
    for (i, (e, a)) in expected.iter().zip(actual).enumerate() {
        let equal = e.len() == a.len() && e.iter().zip(a).all(|(x, y)| x.equals(y, lists));
        if !equal {
            return Err(format!(
                "row {} (in order): expected {}, got {}",
                i + 1,
                render_row(e),
                render_row(a)
            ));
        }
    }
    match expected.len().cmp(&actual.len()) {
        std::cmp::Ordering::Equal => Ok(()),
        std::cmp::Ordering::Less => Err(format!(
            "expected {} rows, got {}; first unexpected row {}: {}",
            expected.len(),
            actual.len(),
            expected.len() + 1,
            render_row(&actual[expected.len()])
        )),
        std::cmp::Ordering::Greater => Err(format!(
            "expected {} rows, got {}; first missing row {}: {}",
            expected.len(),
            actual.len(),
            actual.len() + 1,
            render_row(&expected[actual.len()])
        )),
    }
}

/// Rows as a multiset.
pub fn compare_bag(
    expected: &[Vec<TckValue>],
    actual: &[Vec<TckValue>],
    lists: ListOrder,
) -> Result<(), String> {
    // key → (count, first row with that key)
    let mut counts: BTreeMap<String, (i64, usize)> = BTreeMap::new();
    for (i, row) in expected.iter().enumerate() {
        counts.entry(row_key(row, lists)).or_insert((0, i)).0 += 1;
    }
    let mut unexpected = Vec::new();
    for row in actual {
        let key = row_key(row, lists);
        match counts.get_mut(&key) {
            Some((n, _)) if *n > 0 => *n -= 1,
            _ => unexpected.push(row),
        }
    }
    let missing: Vec<&Vec<TckValue>> = counts
        .values()
        .filter(|(n, _)| *n > 0)
        .flat_map(|(n, i)| std::iter::repeat_n(&expected[*i], *n as usize))
        .collect();
    if missing.is_empty() && unexpected.is_empty() {
        return Ok(());
    }
    let mut message = format!(
        "expected {} rows (in any order), got {}",
        expected.len(),
        actual.len()
    );
    let mut list = |label: &str, rows: &[&Vec<TckValue>]| {
        if rows.is_empty() {
            return;
        }
        let shown: Vec<String> = rows
            .iter()
            .take(SHOWN_ROWS)
            .map(|r| render_row(r))
            .collect();
        let _ = write!(message, "; {label} ({}): {}", rows.len(), shown.join(" "));
        if rows.len() > SHOWN_ROWS {
            message.push_str(" ...");
        }
    };
    list("missing", &missing);
    list("unexpected", &unexpected);
    Err(message)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tck::value_parser::parse_value;

    fn rows(cells: &[&[&str]]) -> Vec<Vec<TckValue>> {
        cells
            .iter()
            .map(|row| {
                row.iter()
                    .map(|c| parse_value(c).unwrap_or_else(|e| panic!("{c}: {e}")))
                    .collect()
            })
            .collect()
    }

    fn expected(
        columns: &[&str],
        cells: &[&[&str]],
        ordered: bool,
        lists: ListOrder,
    ) -> ExpectedResult {
        ExpectedResult {
            columns: columns.iter().map(|c| (*c).to_owned()).collect(),
            rows: rows(cells),
            ordered,
            lists,
        }
    }

    fn actual(columns: &[&str], cells: &[&[&str]]) -> TckResult {
        TckResult {
            columns: columns.iter().map(|c| (*c).to_owned()).collect(),
            rows: rows(cells),
        }
    }

    #[test]
    fn bag_ignores_row_order_but_counts_duplicates() {
        let exp = expected(&["x"], &[&["1"], &["2"], &["2"]], false, ListOrder::Ordered);
        assert!(compare_result(&exp, &actual(&["x"], &[&["2"], &["1"], &["2"]])).is_ok());
        let err = compare_result(&exp, &actual(&["x"], &[&["2"], &["1"], &["1"]]));
        let Err(message) = err else {
            panic!("duplicates must count")
        };
        assert!(message.contains("missing (1): | 2 |"), "{message}");
        assert!(message.contains("unexpected (1): | 1 |"), "{message}");
    }

    #[test]
    fn in_order_requires_the_order() {
        let exp = expected(&["x"], &[&["1"], &["2"]], true, ListOrder::Ordered);
        assert!(compare_result(&exp, &actual(&["x"], &[&["1"], &["2"]])).is_ok());
        let Err(message) = compare_result(&exp, &actual(&["x"], &[&["2"], &["1"]])) else {
            panic!("order must matter")
        };
        assert!(
            message.starts_with("row 1 (in order): expected | 1 |, got | 2 |"),
            "{message}"
        );
        assert!(compare_result(&exp, &actual(&["x"], &[&["1"]])).is_err());
        assert!(compare_result(&exp, &actual(&["x"], &[&["1"], &["2"], &["3"]])).is_err());
    }

    #[test]
    fn integers_never_equal_floats() {
        let exp = expected(&["x"], &[&["1"]], false, ListOrder::Ordered);
        assert!(compare_result(&exp, &actual(&["x"], &[&["1.0"]])).is_err());
        let exp = expected(&["x"], &[&["[1, 2.0]"]], false, ListOrder::Unordered);
        assert!(compare_result(&exp, &actual(&["x"], &[&["[2.0, 1]"]])).is_ok());
        assert!(compare_result(&exp, &actual(&["x"], &[&["[2, 1]"]])).is_err());
    }

    #[test]
    fn nan_matches_nan() {
        let exp = expected(&["x"], &[&["NaN"], &["null"]], true, ListOrder::Ordered);
        let act = TckResult {
            columns: vec!["x".into()],
            rows: vec![vec![TckValue::Float(-f64::NAN)], vec![TckValue::Null]],
        };
        assert!(compare_result(&exp, &act).is_ok());
    }

    #[test]
    fn ignoring_element_order_applies_to_nested_lists_only_when_asked() {
        let cells: &[&[&str]] = &[&["[[1, 2], [3, [4, 5]]]"]];
        let shuffled: &[&[&str]] = &[&["[[[5, 4], 3], [2, 1]]"]];
        let unordered = expected(&["l"], cells, false, ListOrder::Unordered);
        assert!(compare_result(&unordered, &actual(&["l"], shuffled)).is_ok());
        let ordered = expected(&["l"], cells, false, ListOrder::Ordered);
        assert!(compare_result(&ordered, &actual(&["l"], shuffled)).is_err());
        // Unordered lists still need the same multiset.
        assert!(
            compare_result(&unordered, &actual(&["l"], &[&["[[1, 2], [3, [4, 4]]]"]])).is_err()
        );
        // Ordered rows with unordered lists.
        let both = expected(&["l"], &[&["[1, 2]"], &["[3]"]], true, ListOrder::Unordered);
        assert!(compare_result(&both, &actual(&["l"], &[&["[2, 1]"], &["[3]"]])).is_ok());
        assert!(compare_result(&both, &actual(&["l"], &[&["[3]"], &["[2, 1]"]])).is_err());
    }

    #[test]
    fn columns_must_match_exactly_and_in_order() {
        let exp = expected(&["a", "b"], &[&["1", "2"]], false, ListOrder::Ordered);
        assert!(compare_result(&exp, &actual(&["b", "a"], &[&["2", "1"]])).is_err());
        assert!(compare_result(&exp, &actual(&["a", "B"], &[&["1", "2"]])).is_err());
        assert!(compare_result(&exp, &actual(&["a", "b"], &[&["1"]])).is_err());
    }

    #[test]
    fn graph_elements_compare_structurally() {
        let exp = expected(
            &["n", "r", "p"],
            &[&["(:A:B {v: 1})", "[:T {w: 'x'}]", "<(:A)-[:T]->(:B)>"]],
            false,
            ListOrder::Ordered,
        );
        assert!(compare_result(
            &exp,
            &actual(
                &["n", "r", "p"],
                &[&["(:B:A {v: 1})", "[:T {w: 'x'}]", "<(:A)-[:T]->(:B)>"]]
            )
        )
        .is_ok());
        for wrong in [
            ["(:A {v: 1})", "[:T {w: 'x'}]", "<(:A)-[:T]->(:B)>"],
            ["(:A:B {v: 1.0})", "[:T {w: 'x'}]", "<(:A)-[:T]->(:B)>"],
            ["(:A:B {v: 1})", "[:U {w: 'x'}]", "<(:A)-[:T]->(:B)>"],
            ["(:A:B {v: 1})", "[:T {w: 'x'}]", "<(:A)<-[:T]-(:B)>"],
            [
                "(:A:B {v: 1})",
                "[:T {w: 'x'}]",
                "<(:A)-[:T]->(:B)-[:T]->()>",
            ],
        ] {
            let act = actual(&["n", "r", "p"], &[&wrong]);
            assert!(compare_result(&exp, &act).is_err(), "{wrong:?}");
        }
    }
}
