//! The adapter between the `recommender` crate and this server's graph: a
//! [`recommender::RowSource`] that runs the recommender's Cypher through
//! the `cypher` crate, read-only, and hands back property values.

use std::collections::BTreeMap;
use std::sync::Arc;

use cypher::{CypherValue, QueryOptions};
use graph_model::{Database, GraphState, Value};
use recommender::{RecommendError, RowSource, Rows};

/// Runs queries on the newest version of a database, or on one fixed
/// version.
pub enum CypherSource<'a> {
    /// The database's newest published version at each query.
    Database(&'a Database),
    /// One version.
    Version(Arc<GraphState>),
}

impl CypherSource<'_> {
    fn options() -> QueryOptions {
        QueryOptions {
            read_only: true,
            timeout: None,
            ..QueryOptions::default()
        }
    }
}

/// Converts one result value; nodes, relationships and paths are refused
/// (the recommender's queries return properties only).
fn to_value(query: &str, value: &CypherValue) -> Result<Value, RecommendError> {
    value.to_property().ok_or_else(|| RecommendError::Source {
        query: query.to_owned(),
        message: format!(
            "the query returned a {}, not a property value",
            value.type_name()
        ),
    })
}

impl RowSource for CypherSource<'_> {
    fn rows(&self, query: &str, params: &BTreeMap<String, Value>) -> Result<Rows, RecommendError> {
        let params: cypher::Params = params
            .iter()
            .map(|(k, v)| (k.clone(), CypherValue::from_property(v)))
            .collect();
        let options = Self::options();
        let output = match self {
            CypherSource::Database(db) => cypher::execute(db, query, &params, &options),
            CypherSource::Version(state) => {
                cypher::execute_on(state.clone(), query, &params, &options)
            }
        }
        .map_err(|e| RecommendError::Source {
            query: query.to_owned(),
            message: e.to_string(),
        })?;
        output
            .rows
            .iter()
            .map(|row| row.iter().map(|v| to_value(query, v)).collect())
            .collect()
    }
}
