//! Temporal values: construction, parsing, components, truncation,
//! arithmetic and comparison, with the openCypher TCK's semantics.

use std::cmp::Ordering;

use graph_model::Value;

/// Ternary equality of two temporal values: values of different temporal
/// types are not equal.
pub fn equals(a: &Value, b: &Value) -> Option<bool> {
    Some(a.value_type() == b.value_type() && a == b)
}

/// Ternary comparison of two temporal values: `None` when they are of
/// different types.
pub fn compare(a: &Value, b: &Value) -> Option<Ordering> {
    (a.value_type() == b.value_type()).then(|| a.cmp_order(b))
}
