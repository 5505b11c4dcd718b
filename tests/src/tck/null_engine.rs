//! [`NullEngine`]: a placeholder engine that implements nothing, so the
//! TCK machinery can run end to end before the real Cypher engine exists.
//! Every query fails with a `NotImplemented` error; snapshots are empty.
//! The real engine adapter replaces it in `tests/src/bin/tck-report.rs`.

use std::collections::BTreeMap;

use super::engine::{GraphSnapshot, TckEngine, TckError, TckGraph, TckResult};
use super::value::TckValue;

/// The placeholder engine (see the module docs).
#[derive(Debug, Clone, Copy, Default)]
pub struct NullEngine;

/// The placeholder engine's graph.
#[derive(Debug, Clone, Copy, Default)]
pub struct NullGraph;

impl TckEngine for NullEngine {
    type Graph = NullGraph;

    fn name(&self) -> String {
        "NullEngine (placeholder: every query fails with NotImplemented; no Cypher engine is wired in yet)"
            .to_owned()
    }

    fn empty_graph(&self) -> NullGraph {
        NullGraph
    }
}

impl TckGraph for NullGraph {
    fn execute(
        &mut self,
        query: &str,
        _params: &BTreeMap<String, TckValue>,
    ) -> Result<TckResult, TckError> {
        let first_line = query
            .lines()
            .find(|l| !l.trim().is_empty())
            .unwrap_or("")
            .trim();
        Err(TckError::not_implemented(format!(
            "NullEngine cannot run `{first_line}`"
        )))
    }

    fn snapshot(&mut self) -> Result<GraphSnapshot, TckError> {
        Ok(GraphSnapshot::default())
    }
}
