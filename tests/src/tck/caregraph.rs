//! The TCK adapter for `CareGraph`'s Cypher engine: each scenario gets an
//! in-memory [`Database`]; queries run through [`cypher::execute`].

use std::collections::BTreeMap;
use std::sync::Arc;

use cypher::{CypherError, CypherValue, Procedures, QueryOptions, QueryOutput, TableProcedure};
use graph_model::{Database, NodeId, RelId};

use super::engine::{Phase, TckEngine, TckError, TckGraph, TckResult};
use super::steps::ProcedureSpec;
use super::value::{PathDirection, TckNode, TckPath, TckPathStep, TckRelationship, TckValue};

/// Makes in-memory `CareGraph` databases for the TCK.
#[derive(Debug, Default, Clone, Copy)]
pub struct CareGraphEngine;

/// One scenario's graph.
pub struct CareGraphTckGraph {
    db: Database,
    procedures: Procedures,
}

impl TckEngine for CareGraphEngine {
    type Graph = CareGraphTckGraph;

    fn name(&self) -> String {
        "CareGraph cypher engine (in-memory store)".into()
    }

    fn empty_graph(&self) -> CareGraphTckGraph {
        CareGraphTckGraph {
            db: Database::in_memory(),
            procedures: Procedures::default(),
        }
    }
}

/// Converts a TCK value to an engine value.
pub fn to_cypher(v: &TckValue) -> CypherValue {
    match v {
        TckValue::Bool(b) => CypherValue::Boolean(*b),
        TckValue::Integer(i) => CypherValue::Integer(*i),
        TckValue::Float(x) => CypherValue::Float(*x),
        TckValue::String(s) => CypherValue::String(s.as_str().into()),
        TckValue::List(items) => CypherValue::List(items.iter().map(to_cypher).collect()),
        TckValue::Map(m) => CypherValue::Map(Arc::new(
            m.iter()
                .map(|(k, v)| (Arc::from(k.as_str()), to_cypher(v)))
                .collect(),
        )),
        // Graph entities never appear as parameters in the TCK.
        TckValue::Null | TckValue::Node(_) | TckValue::Relationship(_) | TckValue::Path(_) => {
            CypherValue::Null
        }
    }
}

fn property_value(v: &graph_model::Value) -> TckValue {
    from_cypher(&CypherValue::from_property(v), None)
}

fn node_value(output: Option<&QueryOutput>, id: NodeId) -> TckNode {
    let Some(view) = output.and_then(|o| o.node(id)) else {
        return TckNode::default();
    };
    TckNode {
        labels: view.labels.iter().map(ToString::to_string).collect(),
        properties: view
            .properties
            .iter()
            .map(|(k, v)| (k.to_string(), property_value(v)))
            .collect(),
    }
}

fn rel_value(
    output: Option<&QueryOutput>,
    id: RelId,
) -> (TckRelationship, Option<(NodeId, NodeId)>) {
    let Some(view) = output.and_then(|o| o.relationship(id)) else {
        return (TckRelationship::default(), None);
    };
    (
        TckRelationship {
            rel_type: view.rel_type.to_string(),
            properties: view
                .properties
                .iter()
                .map(|(k, v)| (k.to_string(), property_value(v)))
                .collect(),
        },
        Some((view.start, view.end)),
    )
}

/// Converts an engine value to the TCK's notation (temporal values as
/// strings).
pub fn from_cypher(v: &CypherValue, output: Option<&QueryOutput>) -> TckValue {
    match v {
        CypherValue::Null => TckValue::Null,
        CypherValue::Boolean(b) => TckValue::Bool(*b),
        CypherValue::Integer(i) => TckValue::Integer(*i),
        CypherValue::Float(x) => TckValue::Float(*x),
        CypherValue::String(s) => TckValue::String(s.to_string()),
        CypherValue::List(items) => {
            TckValue::List(items.iter().map(|i| from_cypher(i, output)).collect())
        }
        CypherValue::Map(m) => TckValue::Map(
            m.iter()
                .map(|(k, v)| (k.to_string(), from_cypher(v, output)))
                .collect(),
        ),
        CypherValue::Node(id) => TckValue::Node(node_value(output, *id)),
        CypherValue::Relationship(id) => TckValue::Relationship(rel_value(output, *id).0),
        CypherValue::Path(p) => {
            let start = p
                .nodes
                .first()
                .map(|n| node_value(output, *n))
                .unwrap_or_default();
            let mut steps = Vec::new();
            for (i, rel) in p.relationships.iter().enumerate() {
                let (relationship, ends) = rel_value(output, *rel);
                let from = p.nodes.get(i).copied();
                let direction = match (ends, from) {
                    (Some((start, _)), Some(from)) if start == from => PathDirection::Forward,
                    _ => PathDirection::Backward,
                };
                steps.push(TckPathStep {
                    relationship,
                    direction,
                    node: p
                        .nodes
                        .get(i + 1)
                        .map(|n| node_value(output, *n))
                        .unwrap_or_default(),
                });
            }
            TckValue::Path(TckPath { start, steps })
        }
        CypherValue::Temporal(t) => TckValue::String(t.to_string()),
    }
}

fn tck_error(e: &CypherError) -> TckError {
    TckError::new(
        e.tck_type(),
        if e.is_compile_time() {
            Phase::CompileTime
        } else {
            Phase::Runtime
        },
        e.detail().map_or("", |d| d.as_str()),
        e.to_string(),
    )
}

impl TckGraph for CareGraphTckGraph {
    fn execute(
        &mut self,
        query: &str,
        params: &BTreeMap<String, TckValue>,
    ) -> Result<TckResult, TckError> {
        let params: cypher::Params = params
            .iter()
            .map(|(k, v)| (k.clone(), to_cypher(v)))
            .collect();
        let options = QueryOptions {
            procedures: Some(Arc::new(self.procedures.clone())),
            ..QueryOptions::default()
        };
        let output =
            cypher::execute(&self.db, query, &params, &options).map_err(|e| tck_error(&e))?;
        let rows = output
            .rows
            .iter()
            .map(|row| row.iter().map(|v| from_cypher(v, Some(&output))).collect())
            .collect();
        Ok(TckResult {
            columns: output.columns.clone(),
            rows,
        })
    }

    fn register_procedure(&mut self, procedure: &ProcedureSpec) -> Result<(), TckError> {
        self.procedures.register(TableProcedure {
            name: procedure.name.clone(),
            inputs: procedure.inputs.iter().map(|(n, _)| n.clone()).collect(),
            input_types: procedure.inputs.iter().map(|(_, t)| t.clone()).collect(),
            outputs: procedure.outputs.iter().map(|(n, _)| n.clone()).collect(),
            rows: procedure
                .rows
                .iter()
                .map(|r| r.iter().map(to_cypher).collect())
                .collect(),
        });
        Ok(())
    }
}
