//! The function library: scalar functions (string, math, list, type
//! conversion) and aggregation functions over [`CypherValue`](crate::CypherValue).
