//! The values of the TCK's expected-value notation ([`TckValue`]), their
//! rendering back into that notation, and the equality the TCK compares
//! results with.
//!
//! Equality is structural: nodes compare by label set and properties,
//! relationships by type and properties, paths element by element
//! (including each relationship's direction). An integer never equals a
//! float (`1` ≠ `1.0`); floats compare with `==` except that `NaN` equals
//! `NaN` (the TCK expects `NaN` back from `0.0 / 0.0`); `-0.0` equals `0.0`.
//! Temporal values have no variant: the TCK writes them as strings
//! (`'2015-07-21T21:40:32.142+01:00'`) and an engine adapter renders its
//! temporals as [`TckValue::String`] in that same format.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::{self, Write as _};

/// A value in the TCK's notation, used for expected results, parameters
/// and the results an engine adapter returns.
#[derive(Debug, Clone)]
pub enum TckValue {
    /// `null`.
    Null,
    /// `true` / `false`.
    Bool(bool),
    /// An integer, e.g. `-12`.
    Integer(i64),
    /// A float, e.g. `1.5`, `-0.0`, `1e-5`, `NaN`, `Inf`, `-Inf`.
    Float(f64),
    /// A string, written `'...'`. Temporal values are strings too.
    String(String),
    /// A list `[v0, v1, ...]`.
    List(Vec<TckValue>),
    /// A map `{k0: v0, k1: v1}`.
    Map(BTreeMap<String, TckValue>),
    /// A node `(:L1:L2 {p: 0})`.
    Node(TckNode),
    /// A relationship `[:T {p: 0}]`.
    Relationship(TckRelationship),
    /// A path `<(:A)-[:R]->(:B)<-[:S]-()>`.
    Path(TckPath),
}

/// A node: its set of labels and its properties (no identity).
#[derive(Debug, Clone, Default)]
pub struct TckNode {
    /// The labels (a set: order and duplicates do not matter).
    pub labels: BTreeSet<String>,
    /// The properties.
    pub properties: BTreeMap<String, TckValue>,
}

/// A relationship: its type and its properties (no identity, no endpoints).
#[derive(Debug, Clone, Default)]
pub struct TckRelationship {
    /// The relationship type.
    pub rel_type: String,
    /// The properties.
    pub properties: BTreeMap<String, TckValue>,
}

/// A path: a start node and zero or more steps.
#[derive(Debug, Clone, Default)]
pub struct TckPath {
    /// The first node.
    pub start: TckNode,
    /// The relationships and nodes that follow, in path order.
    pub steps: Vec<TckPathStep>,
}

/// One hop of a path: a relationship and the node it leads to.
#[derive(Debug, Clone)]
pub struct TckPathStep {
    /// The relationship traversed.
    pub relationship: TckRelationship,
    /// Whether the relationship points along the path (`-[:R]->`) or
    /// against it (`<-[:R]-`).
    pub direction: PathDirection,
    /// The node reached.
    pub node: TckNode,
}

/// The direction of a relationship relative to a path's traversal order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PathDirection {
    /// `-[:R]->`: from the previous node to the next one.
    Forward,
    /// `<-[:R]-`: from the next node to the previous one.
    Backward,
}

/// Whether lists compare element by element or as multisets
/// (`ignoring element order for lists`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ListOrder {
    /// Lists are equal when their elements are equal in order.
    #[default]
    Ordered,
    /// Lists are equal when they hold the same elements, in any order
    /// (at every nesting level).
    Unordered,
}

impl TckValue {
    /// Structural equality under the given list ordering (see the module
    /// documentation for the rules).
    pub fn equals(&self, other: &TckValue, lists: ListOrder) -> bool {
        match (self, other) {
            (TckValue::Null, TckValue::Null) => true,
            (TckValue::Bool(a), TckValue::Bool(b)) => a == b,
            (TckValue::Integer(a), TckValue::Integer(b)) => a == b,
            (TckValue::Float(a), TckValue::Float(b)) => float_eq(*a, *b),
            (TckValue::String(a), TckValue::String(b)) => a == b,
            (TckValue::List(a), TckValue::List(b)) => match lists {
                ListOrder::Ordered => {
                    a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x.equals(y, lists))
                }
                ListOrder::Unordered => {
                    a.len() == b.len() && sorted_keys(a, lists) == sorted_keys(b, lists)
                }
            },
            (TckValue::Map(a), TckValue::Map(b)) => maps_equal(a, b, lists),
            (TckValue::Node(a), TckValue::Node(b)) => a.equals(b, lists),
            (TckValue::Relationship(a), TckValue::Relationship(b)) => a.equals(b, lists),
            (TckValue::Path(a), TckValue::Path(b)) => {
                a.start.equals(&b.start, lists)
                    && a.steps.len() == b.steps.len()
                    && a.steps.iter().zip(&b.steps).all(|(x, y)| {
                        x.direction == y.direction
                            && x.relationship.equals(&y.relationship, lists)
                            && x.node.equals(&y.node, lists)
                    })
            }
            _ => false,
        }
    }

    /// A string that is equal for two values exactly when they are equal
    /// under `lists` (used to compare rows as multisets). Not meant for
    /// display: see the `Display` impl for the TCK notation.
    pub fn canonical_key(&self, lists: ListOrder) -> String {
        let mut out = String::new();
        self.write_key(&mut out, lists);
        out
    }

    fn write_key(&self, out: &mut String, lists: ListOrder) {
        match self {
            TckValue::Null => out.push('N'),
            TckValue::Bool(true) => out.push('T'),
            TckValue::Bool(false) => out.push('F'),
            TckValue::Integer(i) => {
                let _ = write!(out, "I{i};");
            }
            TckValue::Float(f) => {
                let bits = if f.is_nan() {
                    f64::NAN.to_bits()
                } else if *f == 0.0 {
                    0
                } else {
                    f.to_bits()
                };
                let _ = write!(out, "D{bits:016x};");
            }
            TckValue::String(s) => write_str_key(out, s),
            TckValue::List(items) => {
                let _ = write!(out, "L{}[", items.len());
                match lists {
                    ListOrder::Ordered => {
                        for item in items {
                            item.write_key(out, lists);
                        }
                    }
                    ListOrder::Unordered => {
                        for key in sorted_keys(items, lists) {
                            out.push_str(&key);
                        }
                    }
                }
                out.push(']');
            }
            TckValue::Map(map) => write_map_key(out, map, lists),
            TckValue::Node(node) => node.write_key(out, lists),
            TckValue::Relationship(rel) => rel.write_key(out, lists),
            TckValue::Path(path) => {
                out.push('P');
                path.start.write_key(out, lists);
                for step in &path.steps {
                    out.push(match step.direction {
                        PathDirection::Forward => '>',
                        PathDirection::Backward => '<',
                    });
                    step.relationship.write_key(out, lists);
                    step.node.write_key(out, lists);
                }
                out.push(';');
            }
        }
    }

    /// A short name of the value's type, for messages.
    pub fn type_name(&self) -> &'static str {
        match self {
            TckValue::Null => "null",
            TckValue::Bool(_) => "boolean",
            TckValue::Integer(_) => "integer",
            TckValue::Float(_) => "float",
            TckValue::String(_) => "string",
            TckValue::List(_) => "list",
            TckValue::Map(_) => "map",
            TckValue::Node(_) => "node",
            TckValue::Relationship(_) => "relationship",
            TckValue::Path(_) => "path",
        }
    }
}

impl PartialEq for TckValue {
    /// Structural equality with ordered lists (`NaN` equals `NaN`).
    fn eq(&self, other: &Self) -> bool {
        self.equals(other, ListOrder::Ordered)
    }
}

impl TckNode {
    /// Equality by label set and properties.
    pub fn equals(&self, other: &TckNode, lists: ListOrder) -> bool {
        self.labels == other.labels && maps_equal(&self.properties, &other.properties, lists)
    }

    fn write_key(&self, out: &mut String, lists: ListOrder) {
        let _ = write!(out, "V{}(", self.labels.len());
        for label in &self.labels {
            write_str_key(out, label);
        }
        write_map_key(out, &self.properties, lists);
        out.push(')');
    }
}

impl TckRelationship {
    /// Equality by type and properties.
    pub fn equals(&self, other: &TckRelationship, lists: ListOrder) -> bool {
        self.rel_type == other.rel_type && maps_equal(&self.properties, &other.properties, lists)
    }

    fn write_key(&self, out: &mut String, lists: ListOrder) {
        out.push('R');
        write_str_key(out, &self.rel_type);
        write_map_key(out, &self.properties, lists);
    }
}

fn float_eq(a: f64, b: f64) -> bool {
    #[allow(clippy::float_cmp)]
    let equal = a == b;
    equal || (a.is_nan() && b.is_nan())
}

fn maps_equal(
    a: &BTreeMap<String, TckValue>,
    b: &BTreeMap<String, TckValue>,
    lists: ListOrder,
) -> bool {
    a.len() == b.len()
        && a.iter()
            .zip(b)
            .all(|((ka, va), (kb, vb))| ka == kb && va.equals(vb, lists))
}

fn sorted_keys(items: &[TckValue], lists: ListOrder) -> Vec<String> {
    let mut keys: Vec<String> = items.iter().map(|v| v.canonical_key(lists)).collect();
    keys.sort_unstable();
    keys
}

fn write_str_key(out: &mut String, s: &str) {
    let _ = write!(out, "S{}:{s}", s.len());
}

fn write_map_key(out: &mut String, map: &BTreeMap<String, TckValue>, lists: ListOrder) {
    let _ = write!(out, "M{}{{", map.len());
    for (k, v) in map {
        write_str_key(out, k);
        v.write_key(out, lists);
    }
    out.push('}');
}

/// Whether `name` can be written without backticks in the notation.
fn is_plain_name(name: &str) -> bool {
    !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_alphanumeric() || c == '_' || c == '$')
}

fn write_name(f: &mut fmt::Formatter<'_>, name: &str) -> fmt::Result {
    if is_plain_name(name) {
        f.write_str(name)
    } else {
        write!(f, "`{}`", name.replace('`', "``"))
    }
}

fn write_properties(f: &mut fmt::Formatter<'_>, map: &BTreeMap<String, TckValue>) -> fmt::Result {
    f.write_char('{')?;
    for (i, (k, v)) in map.iter().enumerate() {
        if i > 0 {
            f.write_str(", ")?;
        }
        write_name(f, k)?;
        write!(f, ": {v}")?;
    }
    f.write_char('}')
}

/// Writes a float so that the value parser reads back the same float and
/// so that it never looks like an integer (`1.0`, `1e300`, `NaN`, `-Inf`).
fn write_float(f: &mut fmt::Formatter<'_>, x: f64) -> fmt::Result {
    if x.is_nan() {
        f.write_str("NaN")
    } else if x.is_infinite() {
        f.write_str(if x > 0.0 { "Inf" } else { "-Inf" })
    } else {
        // `Debug` is the shortest round-trip form and always contains a
        // `.` or an exponent.
        write!(f, "{x:?}")
    }
}

fn write_string(f: &mut fmt::Formatter<'_>, s: &str) -> fmt::Result {
    f.write_char('\'')?;
    for c in s.chars() {
        match c {
            '\\' => f.write_str("\\\\")?,
            '\'' => f.write_str("\\'")?,
            '\n' => f.write_str("\\n")?,
            '\r' => f.write_str("\\r")?,
            '\t' => f.write_str("\\t")?,
            c => f.write_char(c)?,
        }
    }
    f.write_char('\'')
}

impl fmt::Display for TckValue {
    /// Renders the value in the TCK's notation; the value parser reads the
    /// rendering back to an equal value.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TckValue::Null => f.write_str("null"),
            TckValue::Bool(b) => write!(f, "{b}"),
            TckValue::Integer(i) => write!(f, "{i}"),
            TckValue::Float(x) => write_float(f, *x),
            TckValue::String(s) => write_string(f, s),
            TckValue::List(items) => {
                f.write_char('[')?;
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{item}")?;
                }
                f.write_char(']')
            }
            TckValue::Map(map) => write_properties(f, map),
            TckValue::Node(node) => write!(f, "{node}"),
            TckValue::Relationship(rel) => write!(f, "{rel}"),
            TckValue::Path(path) => write!(f, "{path}"),
        }
    }
}

impl fmt::Display for TckNode {
    /// `(:L1:L2 {p: 0})`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_char('(')?;
        for label in &self.labels {
            f.write_char(':')?;
            write_name(f, label)?;
        }
        if !self.properties.is_empty() {
            if !self.labels.is_empty() {
                f.write_char(' ')?;
            }
            write_properties(f, &self.properties)?;
        }
        f.write_char(')')
    }
}

impl fmt::Display for TckRelationship {
    /// `[:T {p: 0}]`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[:")?;
        write_name(f, &self.rel_type)?;
        if !self.properties.is_empty() {
            f.write_char(' ')?;
            write_properties(f, &self.properties)?;
        }
        f.write_char(']')
    }
}

impl fmt::Display for TckPath {
    /// `<(:A)-[:R]->(:B)<-[:S]-()>`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "<{}", self.start)?;
        for step in &self.steps {
            match step.direction {
                PathDirection::Forward => write!(f, "-{}->{}", step.relationship, step.node)?,
                PathDirection::Backward => write!(f, "<-{}-{}", step.relationship, step.node)?,
            }
        }
        f.write_char('>')
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn list(items: Vec<TckValue>) -> TckValue {
        TckValue::List(items)
    }

    #[test]
    fn integers_and_floats_differ() {
        assert_ne!(TckValue::Integer(1), TckValue::Float(1.0));
        assert_ne!(
            TckValue::Integer(1).canonical_key(ListOrder::Ordered),
            TckValue::Float(1.0).canonical_key(ListOrder::Ordered)
        );
    }

    #[test]
    fn nan_equals_nan_and_zeroes_are_equal() {
        assert_eq!(TckValue::Float(f64::NAN), TckValue::Float(-f64::NAN));
        assert_eq!(TckValue::Float(0.0), TckValue::Float(-0.0));
        assert_eq!(
            TckValue::Float(0.0).canonical_key(ListOrder::Ordered),
            TckValue::Float(-0.0).canonical_key(ListOrder::Ordered)
        );
        assert_ne!(
            TckValue::Float(f64::INFINITY),
            TckValue::Float(f64::NEG_INFINITY)
        );
    }

    #[test]
    fn unordered_lists_compare_as_multisets_at_every_level() {
        let a = list(vec![
            list(vec![TckValue::Integer(1), TckValue::Integer(2)]),
            TckValue::Integer(3),
        ]);
        let b = list(vec![
            TckValue::Integer(3),
            list(vec![TckValue::Integer(2), TckValue::Integer(1)]),
        ]);
        assert!(!a.equals(&b, ListOrder::Ordered));
        assert!(a.equals(&b, ListOrder::Unordered));
        assert_eq!(
            a.canonical_key(ListOrder::Unordered),
            b.canonical_key(ListOrder::Unordered)
        );
        // Multiplicity matters.
        let c = list(vec![
            TckValue::Integer(1),
            TckValue::Integer(1),
            TckValue::Integer(2),
        ]);
        let d = list(vec![
            TckValue::Integer(1),
            TckValue::Integer(2),
            TckValue::Integer(2),
        ]);
        assert!(!c.equals(&d, ListOrder::Unordered));
    }

    #[test]
    fn keys_do_not_collide_on_string_boundaries() {
        let a = list(vec![
            TckValue::String("ab".into()),
            TckValue::String("c".into()),
        ]);
        let b = list(vec![
            TckValue::String("a".into()),
            TckValue::String("bc".into()),
        ]);
        assert_ne!(
            a.canonical_key(ListOrder::Ordered),
            b.canonical_key(ListOrder::Ordered)
        );
    }

    #[test]
    fn renders_in_tck_notation() {
        let mut props = BTreeMap::new();
        props.insert("name".to_owned(), TckValue::String("it's".into()));
        let node = TckNode {
            labels: ["B", "A"].iter().map(|s| (*s).to_owned()).collect(),
            properties: props,
        };
        assert_eq!(
            TckValue::Node(node.clone()).to_string(),
            r"(:A:B {name: 'it\'s'})"
        );
        let rel = TckRelationship {
            rel_type: "T".into(),
            properties: BTreeMap::new(),
        };
        let path = TckPath {
            start: node,
            steps: vec![TckPathStep {
                relationship: rel,
                direction: PathDirection::Backward,
                node: TckNode::default(),
            }],
        };
        assert_eq!(
            TckValue::Path(path).to_string(),
            r"<(:A:B {name: 'it\'s'})<-[:T]-()>"
        );
        assert_eq!(TckValue::Float(1.0).to_string(), "1.0");
        assert_eq!(TckValue::Float(-0.0).to_string(), "-0.0");
        assert_eq!(TckValue::Float(f64::NEG_INFINITY).to_string(), "-Inf");
        let mut odd = BTreeMap::new();
        odd.insert(String::new(), TckValue::Null);
        assert_eq!(TckValue::Map(odd).to_string(), "{``: null}");
    }
}
