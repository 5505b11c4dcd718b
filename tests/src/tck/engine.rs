//! The interface an engine adapter implements to run the TCK:
//! [`TckEngine`] makes graphs, [`TckGraph`] runs queries on one graph and
//! describes its state for side-effect measurement.
//!
//! Side effects follow `tests/tck/README.adoc` ("Side effects of executing
//! a query"): the runner takes a [`GraphSnapshot`] before and after the
//! query under test and counts what was added and removed: nodes and
//! relationships by id, labels as the set of distinct labels in use, and
//! properties as (entity, key, value) triples, so changing a value counts
//! one removal and one addition. Effects that are not observable afterwards
//! (`CREATE (n) DELETE n`) do not count.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use super::steps::ProcedureSpec;
use super::value::{ListOrder, TckValue};

/// A query result: column names in `RETURN` order and rows of values.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TckResult {
    /// Column names exactly as the query names them (`n.name`, `count(*)`).
    pub columns: Vec<String>,
    /// Rows; each row has one value per column. Temporal values are
    /// rendered as [`TckValue::String`]s in the TCK's format
    /// (`'2015-07-21T21:40:32.142+01:00'`).
    pub rows: Vec<Vec<TckValue>>,
}

/// When an error was raised.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    /// While parsing or planning, before any data was touched.
    CompileTime,
    /// While executing.
    Runtime,
}

/// When a scenario expects an error to be raised.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorPhase {
    /// `compile time`.
    CompileTime,
    /// `runtime`.
    Runtime,
    /// `any time`: either phase is accepted.
    AnyTime,
}

impl ErrorPhase {
    /// Whether an error raised in `phase` satisfies this expectation.
    pub fn accepts(self, phase: Phase) -> bool {
        matches!(
            (self, phase),
            (ErrorPhase::AnyTime, _)
                | (ErrorPhase::CompileTime, Phase::CompileTime)
                | (ErrorPhase::Runtime, Phase::Runtime)
        )
    }
}

impl fmt::Display for Phase {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Phase::CompileTime => "compile time",
            Phase::Runtime => "runtime",
        })
    }
}

impl fmt::Display for ErrorPhase {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ErrorPhase::CompileTime => "compile time",
            ErrorPhase::Runtime => "runtime",
            ErrorPhase::AnyTime => "any time",
        })
    }
}

/// An error raised by a query, classified the way the TCK names errors.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TckError {
    /// `SyntaxError`, `SemanticError`, `ParameterMissing`,
    /// `ConstraintVerificationFailed`, `ConstraintValidationFailed`,
    /// `EntityNotFound`, `PropertyNotFound`, `LabelNotFound`, `TypeError`,
    /// `ArgumentError`, `ArithmeticError`, `ProcedureError`, ... (see the
    /// TCK README, "Cypher errors").
    pub error_type: String,
    /// When it was raised.
    pub phase: Phase,
    /// The TCK's fine-grained detail, e.g. `InvalidArgumentType`,
    /// `UndefinedVariable`.
    pub detail: String,
    /// A human-readable message (not compared).
    pub message: String,
}

impl TckError {
    /// An error with all fields given.
    pub fn new(
        error_type: impl Into<String>,
        phase: Phase,
        detail: impl Into<String>,
        message: impl Into<String>,
    ) -> Self {
        TckError {
            error_type: error_type.into(),
            phase,
            detail: detail.into(),
            message: message.into(),
        }
    }

    /// A `NotImplemented` error (not a TCK error type: a scenario expecting
    /// an error never accepts it).
    pub fn not_implemented(what: impl Into<String>) -> Self {
        TckError::new("NotImplemented", Phase::CompileTime, "NotImplemented", what)
    }
}

impl fmt::Display for TckError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} at {}: {}", self.error_type, self.phase, self.detail)?;
        if !self.message.is_empty() {
            write!(f, " ({})", self.message)?;
        }
        Ok(())
    }
}

impl std::error::Error for TckError {}

/// Counts of side effects, as in `And the side effects should be:`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SideEffects {
    /// `+nodes`.
    pub added_nodes: u64,
    /// `-nodes`.
    pub deleted_nodes: u64,
    /// `+relationships`.
    pub added_relationships: u64,
    /// `-relationships`.
    pub deleted_relationships: u64,
    /// `+labels`.
    pub added_labels: u64,
    /// `-labels`.
    pub deleted_labels: u64,
    /// `+properties`.
    pub added_properties: u64,
    /// `-properties`.
    pub deleted_properties: u64,
}

impl fmt::Display for SideEffects {
    /// The non-zero counts, e.g. `+nodes 1, +properties 2`, or `none`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let all = [
            ("+nodes", self.added_nodes),
            ("-nodes", self.deleted_nodes),
            ("+relationships", self.added_relationships),
            ("-relationships", self.deleted_relationships),
            ("+labels", self.added_labels),
            ("-labels", self.deleted_labels),
            ("+properties", self.added_properties),
            ("-properties", self.deleted_properties),
        ];
        let parts: Vec<String> = all
            .iter()
            .filter(|(_, n)| *n > 0)
            .map(|(k, n)| format!("{k} {n}"))
            .collect();
        if parts.is_empty() {
            f.write_str("none")
        } else {
            f.write_str(&parts.join(", "))
        }
    }
}

/// The owner of a property in a [`GraphSnapshot`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum EntityId {
    /// A node, by id.
    Node(i64),
    /// A relationship, by id.
    Relationship(i64),
}

/// What the side-effect metrics observe of a graph. Ids must identify the
/// same entity across snapshots of one graph and must not be reused for a
/// new entity between the two snapshots around a query.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct GraphSnapshot {
    /// Ids of all nodes.
    pub nodes: BTreeSet<i64>,
    /// Ids of all relationships.
    pub relationships: BTreeSet<i64>,
    /// The distinct labels carried by at least one node.
    pub labels: BTreeSet<String>,
    /// Every property: (owner, key) → value.
    pub properties: BTreeMap<(EntityId, String), TckValue>,
}

impl GraphSnapshot {
    /// The side effects that turn `self` (before) into `after`.
    pub fn diff(&self, after: &GraphSnapshot) -> SideEffects {
        let count = |n: usize| n as u64;
        let same = |a: &TckValue, b: &TckValue| a.equals(b, ListOrder::Ordered);
        SideEffects {
            added_nodes: count(after.nodes.difference(&self.nodes).count()),
            deleted_nodes: count(self.nodes.difference(&after.nodes).count()),
            added_relationships: count(after.relationships.difference(&self.relationships).count()),
            deleted_relationships: count(
                self.relationships.difference(&after.relationships).count(),
            ),
            added_labels: count(after.labels.difference(&self.labels).count()),
            deleted_labels: count(self.labels.difference(&after.labels).count()),
            added_properties: count(
                after
                    .properties
                    .iter()
                    .filter(|(k, v)| !self.properties.get(*k).is_some_and(|old| same(old, v)))
                    .count(),
            ),
            deleted_properties: count(
                self.properties
                    .iter()
                    .filter(|(k, v)| !after.properties.get(*k).is_some_and(|new| same(new, v)))
                    .count(),
            ),
        }
    }
}

/// One graph of a scenario, owned by one worker thread for the scenario's
/// duration (it need not be `Send`).
pub trait TckGraph {
    /// Runs `query` with `params` and returns its result or its error.
    /// Set-up queries (`having executed`, named-graph scripts) come through
    /// here too, with no parameters.
    fn execute(
        &mut self,
        query: &str,
        params: &BTreeMap<String, TckValue>,
    ) -> Result<TckResult, TckError>;

    /// Describes the graph for side-effect measurement. The default runs
    /// the README's observability queries through [`TckGraph::execute`]
    /// (it needs `id()`, `labels()`, `keys()`, `properties()`, `UNWIND`
    /// and `DISTINCT`); an adapter with direct store access should override
    /// it.
    fn snapshot(&mut self) -> Result<GraphSnapshot, TckError> {
        snapshot_via_queries(self)
    }

    /// Registers a procedure for `there exists a procedure ...:` steps. The
    /// default refuses, which fails those scenarios.
    fn register_procedure(&mut self, procedure: &ProcedureSpec) -> Result<(), TckError> {
        Err(TckError::not_implemented(format!(
            "procedure registration ({})",
            procedure.signature
        )))
    }
}

/// Makes graphs. Shared by the runner's worker threads, hence `Send + Sync`.
pub trait TckEngine: Send + Sync + 'static {
    /// The graph type.
    type Graph: TckGraph;

    /// A short description for the report's first line.
    fn name(&self) -> String;

    /// A new, empty graph (used for `an empty graph`, `any graph`, and as
    /// the base named graphs are built on).
    fn empty_graph(&self) -> Self::Graph;
}

/// The README's observability queries, with `id()` for identity.
pub const NODES_QUERY: &str = "MATCH (n) RETURN id(n) AS id";
/// See [`NODES_QUERY`].
pub const RELATIONSHIPS_QUERY: &str = "MATCH ()-[r]->() RETURN id(r) AS id";
/// See [`NODES_QUERY`].
pub const LABELS_QUERY: &str = "MATCH (n) UNWIND labels(n) AS label RETURN DISTINCT label";
/// See [`NODES_QUERY`].
pub const NODE_PROPERTIES_QUERY: &str = "MATCH (n) UNWIND keys(n) AS key \
     WITH properties(n) AS properties, key, n \
     RETURN id(n) AS id, key, properties[key] AS value";
/// See [`NODES_QUERY`].
pub const RELATIONSHIP_PROPERTIES_QUERY: &str = "MATCH ()-[r]->() UNWIND keys(r) AS key \
     WITH properties(r) AS properties, key, r \
     RETURN id(r) AS id, key, properties[key] AS value";

fn measurement_error(query: &str, what: &str) -> TckError {
    TckError::new(
        "MeasurementFailed",
        Phase::Runtime,
        "UnexpectedResult",
        format!("side-effect query `{query}`: {what}"),
    )
}

fn run<G: TckGraph + ?Sized>(
    graph: &mut G,
    query: &str,
    width: usize,
) -> Result<Vec<Vec<TckValue>>, TckError> {
    let result = graph.execute(query, &BTreeMap::new())?;
    if result.rows.iter().any(|r| r.len() != width) {
        return Err(measurement_error(
            query,
            &format!("expected {width} column(s)"),
        ));
    }
    Ok(result.rows)
}

fn id_of(query: &str, value: &TckValue) -> Result<i64, TckError> {
    match value {
        TckValue::Integer(id) => Ok(*id),
        other => Err(measurement_error(
            query,
            &format!("id() returned a {}", other.type_name()),
        )),
    }
}

/// Builds a [`GraphSnapshot`] with the observability queries (the default
/// of [`TckGraph::snapshot`]).
pub fn snapshot_via_queries<G: TckGraph + ?Sized>(
    graph: &mut G,
) -> Result<GraphSnapshot, TckError> {
    let mut snapshot = GraphSnapshot::default();
    for row in run(graph, NODES_QUERY, 1)? {
        snapshot.nodes.insert(id_of(NODES_QUERY, &row[0])?);
    }
    for row in run(graph, RELATIONSHIPS_QUERY, 1)? {
        snapshot
            .relationships
            .insert(id_of(RELATIONSHIPS_QUERY, &row[0])?);
    }
    for row in run(graph, LABELS_QUERY, 1)? {
        match &row[0] {
            TckValue::String(label) => {
                snapshot.labels.insert(label.clone());
            }
            other => {
                return Err(measurement_error(
                    LABELS_QUERY,
                    &format!("label is a {}", other.type_name()),
                ))
            }
        }
    }
    for (query, node) in [
        (NODE_PROPERTIES_QUERY, true),
        (RELATIONSHIP_PROPERTIES_QUERY, false),
    ] {
        for mut row in run(graph, query, 3)? {
            let value = row.pop().unwrap_or(TckValue::Null);
            let Some(TckValue::String(key)) = row.pop() else {
                return Err(measurement_error(query, "key is not a string"));
            };
            let id = id_of(query, &row[0])?;
            let owner = if node {
                EntityId::Node(id)
            } else {
                EntityId::Relationship(id)
            };
            snapshot.properties.insert((owner, key), value);
        }
    }
    Ok(snapshot)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn diff_counts_additions_and_removals() {
        let mut before = GraphSnapshot::default();
        before.nodes.extend([1, 2]);
        before.labels.insert("A".into());
        before
            .properties
            .insert((EntityId::Node(1), "x".into()), TckValue::Integer(1));
        before
            .properties
            .insert((EntityId::Node(2), "y".into()), TckValue::Float(f64::NAN));
        let mut after = before.clone();
        after.nodes.remove(&1);
        after.nodes.insert(3);
        after.relationships.insert(9);
        after.labels.insert("B".into());
        after.properties.remove(&(EntityId::Node(1), "x".into()));
        after
            .properties
            .insert((EntityId::Node(3), "x".into()), TckValue::Integer(1));
        // Same key, new value: one removal and one addition.
        after
            .properties
            .insert((EntityId::Node(2), "y".into()), TckValue::Integer(5));
        let effects = before.diff(&after);
        assert_eq!(
            effects,
            SideEffects {
                added_nodes: 1,
                deleted_nodes: 1,
                added_relationships: 1,
                deleted_relationships: 0,
                added_labels: 1,
                deleted_labels: 0,
                added_properties: 2,
                deleted_properties: 2,
            }
        );
        // NaN == NaN, so an untouched NaN property is no side effect.
        assert_eq!(before.diff(&before.clone()), SideEffects::default());
        assert_eq!(
            effects.to_string(),
            "+nodes 1, -nodes 1, +relationships 1, +labels 1, +properties 2, -properties 2"
        );
    }

    #[test]
    fn phases() {
        assert!(ErrorPhase::AnyTime.accepts(Phase::Runtime));
        assert!(ErrorPhase::CompileTime.accepts(Phase::CompileTime));
        assert!(!ErrorPhase::CompileTime.accepts(Phase::Runtime));
    }
}
