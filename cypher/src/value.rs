//! The engine's runtime value: a property value, or a node, relationship or
//! path of the graph the query runs on.
//!
//! Property values convert to and from [`graph_model::Value`]; nodes and
//! relationships are ids, resolved against the query's graph version when
//! their labels or properties are read.
//!
//! Three kinds of comparison live here:
//! - [`CypherValue::equals`]: the ternary `=` of expressions (`null = 1` is
//!   `null`);
//! - [`CypherValue::compare`]: the ternary `<` family (incomparable values
//!   give `null`);
//! - `Eq`/`Hash` (equivalence, for `DISTINCT` and grouping) and
//!   [`CypherValue::cmp_order`] (the global sort order of `ORDER BY`).

use std::cmp::Ordering;
use std::collections::BTreeMap;
use std::fmt;
use std::hash::{Hash, Hasher};
use std::sync::Arc;

use graph_model::{NodeId, RelId, Value};

/// A map of a query value, ordered by key.
pub type ValueMap = BTreeMap<Arc<str>, CypherValue>;

/// A query value.
#[derive(Clone, Debug, Default)]
pub enum CypherValue {
    /// `null`.
    #[default]
    Null,
    /// `true` or `false`.
    Boolean(bool),
    /// A 64-bit signed integer.
    Integer(i64),
    /// A 64-bit float.
    Float(f64),
    /// A string.
    String(Arc<str>),
    /// A list.
    List(Arc<[CypherValue]>),
    /// A map.
    Map(Arc<ValueMap>),
    /// A node of the graph.
    Node(NodeId),
    /// A relationship of the graph.
    Relationship(RelId),
    /// A path: nodes and the relationships between them.
    Path(Arc<Path>),
    /// A temporal value: one of [`Value`]'s date, time, date-time and
    /// duration variants.
    Temporal(Value),
}

/// A path through the graph: `nodes.len() == relationships.len() + 1`, and
/// relationship `i` joins node `i` and node `i + 1` (in either direction).
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Path {
    /// The nodes, in traversal order.
    pub nodes: Vec<NodeId>,
    /// The relationships, in traversal order.
    pub relationships: Vec<RelId>,
}

impl Path {
    /// A path of one node.
    pub fn single(node: NodeId) -> Path {
        Path {
            nodes: vec![node],
            relationships: Vec::new(),
        }
    }

    /// The number of relationships.
    pub fn len(&self) -> usize {
        self.relationships.len()
    }

    /// `true` for a path of one node.
    pub fn is_empty(&self) -> bool {
        self.relationships.is_empty()
    }
}

/// The type of a [`CypherValue`], as error messages and `valueType` name it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum CypherType {
    /// `null`
    Null,
    /// Boolean
    Boolean,
    /// Integer
    Integer,
    /// Float
    Float,
    /// String
    String,
    /// List
    List,
    /// Map
    Map,
    /// Node
    Node,
    /// Relationship
    Relationship,
    /// Path
    Path,
    /// `Date`, `Time`, `DateTime`, `LocalTime`, `LocalDateTime` or `Duration`
    Temporal,
}

impl fmt::Display for CypherType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            CypherType::Null => "Null",
            CypherType::Boolean => "Boolean",
            CypherType::Integer => "Integer",
            CypherType::Float => "Float",
            CypherType::String => "String",
            CypherType::List => "List",
            CypherType::Map => "Map",
            CypherType::Node => "Node",
            CypherType::Relationship => "Relationship",
            CypherType::Path => "Path",
            CypherType::Temporal => "Temporal",
        })
    }
}

impl CypherValue {
    /// The value's type.
    pub fn cypher_type(&self) -> CypherType {
        match self {
            CypherValue::Null => CypherType::Null,
            CypherValue::Boolean(_) => CypherType::Boolean,
            CypherValue::Integer(_) => CypherType::Integer,
            CypherValue::Float(_) => CypherType::Float,
            CypherValue::String(_) => CypherType::String,
            CypherValue::List(_) => CypherType::List,
            CypherValue::Map(_) => CypherType::Map,
            CypherValue::Node(_) => CypherType::Node,
            CypherValue::Relationship(_) => CypherType::Relationship,
            CypherValue::Path(_) => CypherType::Path,
            CypherValue::Temporal(_) => CypherType::Temporal,
        }
    }

    /// A name for the value's type in error messages (`Date`, `Integer`...).
    pub fn type_name(&self) -> String {
        match self {
            CypherValue::Temporal(v) => v.value_type().to_string(),
            other => other.cypher_type().to_string(),
        }
    }

    /// `true` for `null`.
    pub fn is_null(&self) -> bool {
        matches!(self, CypherValue::Null)
    }

    /// A string value.
    pub fn string(s: impl Into<Arc<str>>) -> CypherValue {
        CypherValue::String(s.into())
    }

    /// A list value.
    pub fn list(items: impl IntoIterator<Item = CypherValue>) -> CypherValue {
        CypherValue::List(items.into_iter().collect())
    }

    /// A map value.
    pub fn map<K: Into<Arc<str>>>(
        entries: impl IntoIterator<Item = (K, CypherValue)>,
    ) -> CypherValue {
        CypherValue::Map(Arc::new(
            entries.into_iter().map(|(k, v)| (k.into(), v)).collect(),
        ))
    }

    /// The string, if this is one.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            CypherValue::String(s) => Some(s),
            _ => None,
        }
    }

    /// The integer, if this is one.
    pub fn as_integer(&self) -> Option<i64> {
        match self {
            CypherValue::Integer(i) => Some(*i),
            _ => None,
        }
    }

    /// The number as a float, for integers and floats.
    pub fn as_f64(&self) -> Option<f64> {
        match self {
            CypherValue::Integer(i) => Some(*i as f64),
            CypherValue::Float(x) => Some(*x),
            _ => None,
        }
    }

    /// The boolean, if this is one.
    pub fn as_bool(&self) -> Option<bool> {
        match self {
            CypherValue::Boolean(b) => Some(*b),
            _ => None,
        }
    }

    /// The elements, if this is a list.
    pub fn as_list(&self) -> Option<&[CypherValue]> {
        match self {
            CypherValue::List(items) => Some(items),
            _ => None,
        }
    }

    /// The entries, if this is a map.
    pub fn as_map(&self) -> Option<&ValueMap> {
        match self {
            CypherValue::Map(m) => Some(m),
            _ => None,
        }
    }

    /// Converts a stored property value.
    pub fn from_property(value: &Value) -> CypherValue {
        match value {
            Value::Null => CypherValue::Null,
            Value::Boolean(b) => CypherValue::Boolean(*b),
            Value::Integer(i) => CypherValue::Integer(*i),
            Value::Float(x) => CypherValue::Float(*x),
            Value::String(s) => CypherValue::String(s.clone()),
            Value::List(items) => {
                CypherValue::List(items.iter().map(CypherValue::from_property).collect())
            }
            Value::Map(m) => CypherValue::Map(Arc::new(
                m.iter()
                    .map(|(k, v)| (k.clone(), CypherValue::from_property(v)))
                    .collect(),
            )),
            temporal => CypherValue::Temporal(temporal.clone()),
        }
    }

    /// Converts to a property value, or `None` where the value (or an
    /// element of it) is a node, relationship or path.
    pub fn to_property(&self) -> Option<Value> {
        Some(match self {
            CypherValue::Null => Value::Null,
            CypherValue::Boolean(b) => Value::Boolean(*b),
            CypherValue::Integer(i) => Value::Integer(*i),
            CypherValue::Float(x) => Value::Float(*x),
            CypherValue::String(s) => Value::String(s.clone()),
            CypherValue::List(items) => Value::List(
                items
                    .iter()
                    .map(CypherValue::to_property)
                    .collect::<Option<Vec<_>>>()?
                    .into(),
            ),
            CypherValue::Map(m) => Value::Map(Arc::new(
                m.iter()
                    .map(|(k, v)| Some((k.clone(), v.to_property()?)))
                    .collect::<Option<BTreeMap<_, _>>>()?,
            )),
            CypherValue::Temporal(v) => v.clone(),
            CypherValue::Node(_) | CypherValue::Relationship(_) | CypherValue::Path(_) => {
                return None
            }
        })
    }

    /// Ternary equality (`=`): `None` when the answer is `null`.
    pub fn equals(&self, other: &CypherValue) -> Option<bool> {
        use CypherValue as V;
        match (self, other) {
            (V::Null, _) | (_, V::Null) => None,
            (V::Integer(a), V::Integer(b)) => Some(a == b),
            (V::Integer(_) | V::Float(_), V::Integer(_) | V::Float(_)) => {
                Some(compare_numbers(self, other) == Some(Ordering::Equal))
            }
            (V::Boolean(a), V::Boolean(b)) => Some(a == b),
            (V::String(a), V::String(b)) => Some(a == b),
            (V::Node(a), V::Node(b)) => Some(a == b),
            (V::Relationship(a), V::Relationship(b)) => Some(a == b),
            (V::Path(a), V::Path(b)) => Some(a == b),
            (V::List(a), V::List(b)) => {
                if a.len() != b.len() {
                    return Some(false);
                }
                all_equal(a.iter().zip(b.iter()))
            }
            (V::Map(a), V::Map(b)) => {
                if a.len() != b.len() || a.keys().ne(b.keys()) {
                    return Some(false);
                }
                all_equal(a.values().zip(b.values()))
            }
            (V::Temporal(a), V::Temporal(b)) => crate::temporal::equals(a, b),
            _ => Some(false),
        }
    }

    /// Ternary comparison for `<`, `<=`, `>`, `>=`: `None` when the values
    /// are not comparable (different types, `null`, `NaN`).
    pub fn compare(&self, other: &CypherValue) -> Option<Ordering> {
        use CypherValue as V;
        match (self, other) {
            (V::Integer(_) | V::Float(_), V::Integer(_) | V::Float(_)) => {
                compare_numbers(self, other)
            }
            (V::String(a), V::String(b)) => Some(a.cmp(b)),
            (V::Boolean(a), V::Boolean(b)) => Some(a.cmp(b)),
            (V::List(a), V::List(b)) => {
                for (x, y) in a.iter().zip(b.iter()) {
                    match x.compare(y) {
                        Some(Ordering::Equal) => {}
                        // Equal-but-null elements make the result unknown,
                        // unless a later element decides it: keep it simple
                        // and follow Neo4j, which reports null.
                        other => return other,
                    }
                }
                Some(a.len().cmp(&b.len()))
            }
            (V::Temporal(a), V::Temporal(b)) => crate::temporal::compare(a, b),
            _ => None,
        }
    }

    /// Rank of the value's type in the global sort order of `ORDER BY`
    /// (ascending: maps, nodes, relationships, lists, paths, date-times,
    /// local date-times, dates, times, local times, durations, strings,
    /// booleans, numbers, and `null` last).
    fn order_rank(&self) -> u8 {
        match self {
            CypherValue::Map(_) => 0,
            CypherValue::Node(_) => 1,
            CypherValue::Relationship(_) => 2,
            CypherValue::List(_) => 3,
            CypherValue::Path(_) => 4,
            CypherValue::Temporal(_) => 5,
            CypherValue::String(_) => 6,
            CypherValue::Boolean(_) => 7,
            CypherValue::Integer(_) | CypherValue::Float(_) => 8,
            CypherValue::Null => 9,
        }
    }

    /// The global sort order of `ORDER BY`, total over all values.
    pub fn cmp_order(&self, other: &CypherValue) -> Ordering {
        use CypherValue as V;
        let (ra, rb) = (self.order_rank(), other.order_rank());
        if ra != rb {
            return ra.cmp(&rb);
        }
        match (self, other) {
            (V::Integer(_) | V::Float(_), V::Integer(_) | V::Float(_)) => {
                total_number_order(self, other)
            }
            (V::String(a), V::String(b)) => a.cmp(b),
            (V::Boolean(a), V::Boolean(b)) => a.cmp(b),
            (V::Node(a), V::Node(b)) => a.cmp(b),
            (V::Relationship(a), V::Relationship(b)) => a.cmp(b),
            (V::Path(a), V::Path(b)) => a.cmp(b),
            (V::List(a), V::List(b)) => {
                for (x, y) in a.iter().zip(b.iter()) {
                    let o = x.cmp_order(y);
                    if o != Ordering::Equal {
                        return o;
                    }
                }
                a.len().cmp(&b.len())
            }
            (V::Map(a), V::Map(b)) => {
                for ((ka, va), (kb, vb)) in a.iter().zip(b.iter()) {
                    let o = ka.cmp(kb).then_with(|| va.cmp_order(vb));
                    if o != Ordering::Equal {
                        return o;
                    }
                }
                a.len().cmp(&b.len())
            }
            (V::Temporal(a), V::Temporal(b)) => a.cmp_order(b),
            _ => Ordering::Equal,
        }
    }
}

fn compare_numbers(a: &CypherValue, b: &CypherValue) -> Option<Ordering> {
    match (a, b) {
        (CypherValue::Integer(x), CypherValue::Integer(y)) => Some(x.cmp(y)),
        (CypherValue::Integer(x), CypherValue::Float(y)) => int_float(*x, *y),
        (CypherValue::Float(x), CypherValue::Integer(y)) => {
            int_float(*y, *x).map(Ordering::reverse)
        }
        (CypherValue::Float(x), CypherValue::Float(y)) => x.partial_cmp(y),
        _ => None,
    }
}

/// Exact comparison of an integer with a float (no rounding of large
/// integers); `None` for `NaN`.
fn int_float(int: i64, float: f64) -> Option<Ordering> {
    (!float.is_nan()).then(|| graph_model::value::compare_int_float(int, float))
}

/// Ternary conjunction of element-wise equalities: `Some(false)` as soon as
/// a pair differs, `None` if some pair is unknown, else `Some(true)`.
fn all_equal<'a>(pairs: impl Iterator<Item = (&'a CypherValue, &'a CypherValue)>) -> Option<bool> {
    let mut unknown = false;
    for (x, y) in pairs {
        match x.equals(y) {
            Some(false) => return Some(false),
            None => unknown = true,
            Some(true) => {}
        }
    }
    if unknown {
        None
    } else {
        Some(true)
    }
}

/// Numbers in the global order: by value, `NaN` after everything.
fn total_number_order(a: &CypherValue, b: &CypherValue) -> Ordering {
    let nan = |v: &CypherValue| matches!(v, CypherValue::Float(x) if x.is_nan());
    match (nan(a), nan(b)) {
        (true, true) => Ordering::Equal,
        (true, false) => Ordering::Greater,
        (false, true) => Ordering::Less,
        (false, false) => compare_numbers(a, b).unwrap_or(Ordering::Equal),
    }
}

impl PartialEq for CypherValue {
    /// Equivalence (for `DISTINCT` and grouping): `null` is equivalent to
    /// `null`, `NaN` to `NaN`, `1` to `1.0`.
    fn eq(&self, other: &CypherValue) -> bool {
        use CypherValue as V;
        match (self, other) {
            (V::Null, V::Null) => true,
            (V::Integer(_) | V::Float(_), V::Integer(_) | V::Float(_)) => {
                total_number_order(self, other) == Ordering::Equal
            }
            (V::List(a), V::List(b)) => a == b,
            (V::Map(a), V::Map(b)) => a == b,
            (V::Temporal(a), V::Temporal(b)) => a == b,
            _ => self.equals(other) == Some(true),
        }
    }
}

impl Eq for CypherValue {}

impl Hash for CypherValue {
    fn hash<H: Hasher>(&self, state: &mut H) {
        use CypherValue as V;
        match self {
            V::Null => 0u8.hash(state),
            V::Boolean(b) => (1u8, b).hash(state),
            V::Integer(i) => {
                2u8.hash(state);
                (*i as f64).to_bits().hash(state);
            }
            V::Float(x) => {
                2u8.hash(state);
                let x = if *x == 0.0 { 0.0 } else { *x };
                if x.is_nan() {
                    f64::NAN.to_bits().hash(state);
                } else {
                    x.to_bits().hash(state);
                }
            }
            V::String(s) => (3u8, s).hash(state),
            V::List(items) => {
                4u8.hash(state);
                items.len().hash(state);
                for item in items.iter() {
                    item.hash(state);
                }
            }
            V::Map(m) => {
                5u8.hash(state);
                for (k, v) in m.iter() {
                    k.hash(state);
                    v.hash(state);
                }
            }
            V::Node(n) => (6u8, n.0).hash(state),
            V::Relationship(r) => (7u8, r.0).hash(state),
            V::Path(p) => (8u8, p).hash(state),
            V::Temporal(v) => (9u8, v).hash(state),
        }
    }
}

impl From<bool> for CypherValue {
    fn from(b: bool) -> Self {
        CypherValue::Boolean(b)
    }
}

impl From<i64> for CypherValue {
    fn from(i: i64) -> Self {
        CypherValue::Integer(i)
    }
}

impl From<f64> for CypherValue {
    fn from(x: f64) -> Self {
        CypherValue::Float(x)
    }
}

impl From<&str> for CypherValue {
    fn from(s: &str) -> Self {
        CypherValue::String(s.into())
    }
}

impl From<String> for CypherValue {
    fn from(s: String) -> Self {
        CypherValue::String(s.into())
    }
}

impl From<Vec<CypherValue>> for CypherValue {
    fn from(items: Vec<CypherValue>) -> Self {
        CypherValue::List(items.into())
    }
}

impl From<Option<bool>> for CypherValue {
    fn from(b: Option<bool>) -> Self {
        b.map_or(CypherValue::Null, CypherValue::Boolean)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ternary_equality_propagates_null_in_lists() {
        let a = CypherValue::list([1i64.into(), CypherValue::Null]);
        let b = CypherValue::list([1i64.into(), 2i64.into()]);
        let c = CypherValue::list([2i64.into(), CypherValue::Null]);
        assert_eq!(a.equals(&b), None);
        assert_eq!(c.equals(&b), Some(false));
        assert_eq!(a, a.clone());
    }

    #[test]
    fn numbers_compare_exactly_across_types() {
        let big = CypherValue::Integer(9_007_199_254_740_993);
        let float = CypherValue::Float(9_007_199_254_740_992.0);
        assert_eq!(big.compare(&float), Some(Ordering::Greater));
        assert_eq!(
            CypherValue::Integer(1).equals(&CypherValue::Float(1.0)),
            Some(true)
        );
        assert_eq!(CypherValue::Float(f64::NAN).compare(&1i64.into()), None);
    }

    #[test]
    fn global_order_puts_null_last_and_nan_after_numbers() {
        let mut values = [
            CypherValue::Null,
            CypherValue::Float(f64::NAN),
            2i64.into(),
            "a".into(),
            true.into(),
            CypherValue::Float(1.5),
        ];
        values.sort_by(CypherValue::cmp_order);
        assert_eq!(values[0], "a".into());
        assert_eq!(values[1], true.into());
        assert_eq!(values[2], CypherValue::Float(1.5));
        assert_eq!(values[3], 2i64.into());
        assert!(matches!(values[4], CypherValue::Float(x) if x.is_nan()));
        assert!(values[5].is_null());
    }
}
