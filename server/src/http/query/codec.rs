//! The JSON of the Query API: result values (nodes, relationships, paths,
//! temporal values), counters, plans, and parameters.
//!
//! The encoding is Neo4j's plain JSON: nodes are
//! `{"elementId", "labels", "properties"}`, relationships
//! `{"elementId", "startNodeElementId", "endNodeElementId", "type",
//! "properties"}`, paths arrays of alternating nodes and relationships,
//! temporal values ISO-8601 strings. Floats are JSON numbers, except `NaN`
//! and the infinities, which JSON cannot hold: they are the strings `"NaN"`,
//! `"Infinity"` and `"-Infinity"`.

use std::sync::Arc;

use cypher::{CypherValue, Params, PlanDescription, PlanOperator, QueryOutput, UpdateStats};
use graph_model::{NodeId, RelId, Value};
use serde_json::{json, Map, Value as Json};

/// The element id of a node, as `elementId()` gives it: `n:<id>`.
pub fn node_element_id(id: NodeId) -> String {
    format!("n:{}", id.0)
}

/// The element id of a relationship, as `elementId()` gives it: `r:<id>`.
pub fn relationship_element_id(id: RelId) -> String {
    format!("r:{}", id.0)
}

/// Turns results into JSON; nodes and relationships are looked up in the
/// query's output (without one, they are given by element id only).
#[derive(Clone, Copy)]
pub struct Encoder<'a> {
    output: Option<&'a QueryOutput>,
}

impl<'a> Encoder<'a> {
    /// An encoder for the values of `output`.
    pub fn new(output: &'a QueryOutput) -> Encoder<'a> {
        Encoder {
            output: Some(output),
        }
    }

    /// An encoder for values that hold no nodes or relationships
    /// (parameters).
    pub fn detached() -> Encoder<'static> {
        Encoder { output: None }
    }

    /// One value.
    pub fn value(&self, value: &CypherValue) -> Json {
        match value {
            CypherValue::Null => Json::Null,
            CypherValue::Boolean(b) => Json::Bool(*b),
            CypherValue::Integer(i) => Json::from(*i),
            CypherValue::Float(x) => float(*x),
            CypherValue::String(s) => Json::String(s.to_string()),
            CypherValue::List(items) => Json::Array(items.iter().map(|v| self.value(v)).collect()),
            CypherValue::Map(map) => Json::Object(
                map.iter()
                    .map(|(k, v)| (k.to_string(), self.value(v)))
                    .collect(),
            ),
            CypherValue::Node(id) => self.node(*id),
            CypherValue::Relationship(id) => self.relationship(*id),
            CypherValue::Path(path) => {
                let mut items = Vec::with_capacity(path.nodes.len() + path.relationships.len());
                for (i, node) in path.nodes.iter().enumerate() {
                    if i > 0 {
                        if let Some(rel) = path.relationships.get(i - 1) {
                            items.push(self.relationship(*rel));
                        }
                    }
                    items.push(self.node(*node));
                }
                Json::Array(items)
            }
            CypherValue::Temporal(v) => Json::String(v.to_string()),
        }
    }

    /// A node: `{"elementId", "labels", "properties"}`.
    pub fn node(&self, id: NodeId) -> Json {
        let view = self.output.and_then(|o| o.node(id));
        let (labels, properties) = match view {
            Some(view) => (
                view.labels
                    .iter()
                    .map(|l| Json::String(l.to_string()))
                    .collect(),
                properties(&view.properties),
            ),
            None => (Vec::new(), Map::new()),
        };
        json!({
            "elementId": node_element_id(id),
            "labels": labels,
            "properties": properties,
        })
    }

    /// A relationship: `{"elementId", "startNodeElementId",
    /// "endNodeElementId", "type", "properties"}`.
    pub fn relationship(&self, id: RelId) -> Json {
        match self.output.and_then(|o| o.relationship(id)) {
            Some(view) => json!({
                "elementId": relationship_element_id(id),
                "startNodeElementId": node_element_id(view.start),
                "endNodeElementId": node_element_id(view.end),
                "type": view.rel_type.to_string(),
                "properties": properties(&view.properties),
            }),
            None => json!({
                "elementId": relationship_element_id(id),
                "startNodeElementId": Json::Null,
                "endNodeElementId": Json::Null,
                "type": Json::Null,
                "properties": {},
            }),
        }
    }
}

fn properties(map: &std::collections::BTreeMap<Arc<str>, Value>) -> Map<String, Json> {
    map.iter()
        .map(|(k, v)| (k.to_string(), property(v)))
        .collect()
}

/// A stored property value.
pub fn property(value: &Value) -> Json {
    Encoder::detached().value(&CypherValue::from_property(value))
}

/// A float: a JSON number, or a string for `NaN` and the infinities.
pub fn float(x: f64) -> Json {
    if x.is_nan() {
        Json::String("NaN".into())
    } else if x.is_infinite() {
        Json::String(if x > 0.0 { "Infinity" } else { "-Infinity" }.into())
    } else {
        serde_json::Number::from_f64(x).map_or(Json::Null, Json::Number)
    }
}

/// The counters of a query, with Neo4j's field names.
pub fn counters(stats: &UpdateStats) -> Json {
    json!({
        "containsUpdates": stats.contains_updates(),
        "nodesCreated": stats.nodes_created,
        "nodesDeleted": stats.nodes_deleted,
        "propertiesSet": stats.properties_set,
        "relationshipsCreated": stats.relationships_created,
        "relationshipsDeleted": stats.relationships_deleted,
        "labelsAdded": stats.labels_added,
        "labelsRemoved": stats.labels_removed,
        "indexesAdded": 0,
        "indexesRemoved": 0,
        "constraintsAdded": 0,
        "constraintsRemoved": 0,
        "containsSystemUpdates": false,
        "systemUpdates": 0,
    })
}

/// A plan as a tree: the last operator is the root, each operator's child
/// the one that feeds it; the parts of a `UNION` are the children of a
/// `Union` root. Each operator is `{"operatorType", "arguments",
/// "identifiers", "children"}`, with `arguments.Details` for what the
/// operator works on; a profiled plan adds `records` (rows produced),
/// `time` (nanoseconds, in it and below it) and `dbHits` (always 0: the
/// store keeps no such count).
pub fn plan(plan: &PlanDescription, profiled: bool) -> Json {
    let mut parts: Vec<Json> = plan
        .parts
        .iter()
        .map(|ops| operator_chain(ops, profiled))
        .collect();
    if parts.len() == 1 {
        parts.pop().unwrap_or(Json::Null)
    } else {
        operator_json("Union", None, parts, None)
    }
}

fn operator_chain(ops: &[PlanOperator], profiled: bool) -> Json {
    let mut below: Option<Json> = None;
    for op in ops {
        let (kind, details) = split_operator_name(&op.name);
        let profile = profiled.then(|| {
            (
                op.rows.unwrap_or(0),
                op.time_micros.unwrap_or(0).saturating_mul(1_000),
            )
        });
        below = Some(operator_json(
            kind,
            details,
            below.take().into_iter().collect(),
            profile,
        ));
    }
    below.unwrap_or_else(|| operator_json("EmptyResult", None, Vec::new(), None))
}

/// `NodeIndexSeek(:Patient.id)` → (`NodeIndexSeek`, `:Patient.id`).
fn split_operator_name(name: &str) -> (&str, Option<&str>) {
    match name.find(['(', '[']) {
        Some(i) if name.ends_with([')', ']']) && i > 0 => {
            (&name[..i], Some(&name[i + 1..name.len() - 1]))
        }
        _ => (name, None),
    }
}

fn operator_json(
    kind: &str,
    details: Option<&str>,
    children: Vec<Json>,
    profile: Option<(u64, u64)>,
) -> Json {
    let mut arguments = Map::new();
    if let Some(details) = details {
        arguments.insert("Details".into(), Json::String(details.into()));
    }
    let mut object = Map::new();
    object.insert("operatorType".into(), Json::String(kind.into()));
    object.insert("arguments".into(), Json::Object(arguments));
    object.insert("identifiers".into(), Json::Array(Vec::new()));
    if let Some((records, time)) = profile {
        object.insert("dbHits".into(), Json::from(0));
        object.insert("records".into(), Json::from(records));
        object.insert("time".into(), Json::from(time));
    }
    object.insert("children".into(), Json::Array(children));
    Json::Object(object)
}

/// The body of a successful answer: `{"data": {"fields", "values"},
/// "bookmarks": []}`, with `counters` when the query could write or
/// `include_counters` asks for them, and `queryPlan` (EXPLAIN) or
/// `profiledQueryPlan` (PROFILE).
pub fn result_body(output: &QueryOutput, include_counters: bool) -> Json {
    let encoder = Encoder::new(output);
    let values: Vec<Json> = output
        .rows
        .iter()
        .map(|row| Json::Array(row.iter().map(|v| encoder.value(v)).collect()))
        .collect();
    let mut body = Map::new();
    body.insert(
        "data".into(),
        json!({"fields": output.columns, "values": values}),
    );
    if include_counters || output.writes || output.stats.contains_updates() {
        body.insert("counters".into(), counters(&output.stats));
    }
    if let Some(description) = &output.plan {
        let profiled = description
            .parts
            .iter()
            .flatten()
            .any(|op| op.rows.is_some());
        let key = if profiled {
            "profiledQueryPlan"
        } else {
            "queryPlan"
        };
        body.insert(key.into(), plan(description, profiled));
    }
    body.insert("bookmarks".into(), Json::Array(Vec::new()));
    Json::Object(body)
}

/// Why a JSON parameter cannot be a Cypher value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParamError {
    /// A number outside the 64-bit signed integer range.
    #[error("parameter `{name}`: the integer {text} does not fit 64 bits")]
    IntegerOutOfRange {
        /// The parameter.
        name: String,
        /// The number as sent.
        text: String,
    },
    /// `parameters` is not a JSON object.
    #[error("`parameters` must be a JSON object of name: value")]
    NotAnObject,
}

/// Parameters from the JSON of a request: integers stay integers, other
/// numbers are floats, arrays lists, objects maps.
pub fn params_from_json(parameters: &Json) -> Result<Params, ParamError> {
    match parameters {
        Json::Null => Ok(Params::new()),
        Json::Object(map) => map
            .iter()
            .map(|(name, value)| Ok((name.clone(), param_value(name, value)?)))
            .collect(),
        _ => Err(ParamError::NotAnObject),
    }
}

/// One parameter value from JSON (`name` is for the error).
pub fn param_value(name: &str, value: &Json) -> Result<CypherValue, ParamError> {
    Ok(match value {
        Json::Null => CypherValue::Null,
        Json::Bool(b) => CypherValue::Boolean(*b),
        Json::Number(n) => {
            if let Some(i) = n.as_i64() {
                CypherValue::Integer(i)
            } else if n.is_u64() {
                return Err(ParamError::IntegerOutOfRange {
                    name: name.to_owned(),
                    text: n.to_string(),
                });
            } else {
                CypherValue::Float(n.as_f64().unwrap_or(f64::NAN))
            }
        }
        Json::String(s) => CypherValue::String(s.as_str().into()),
        Json::Array(items) => CypherValue::List(
            items
                .iter()
                .map(|v| param_value(name, v))
                .collect::<Result<Vec<_>, _>>()?
                .into(),
        ),
        Json::Object(map) => CypherValue::Map(Arc::new(
            map.iter()
                .map(|(k, v)| Ok((Arc::from(k.as_str()), param_value(name, v)?)))
                .collect::<Result<_, ParamError>>()?,
        )),
    })
}

/// Parameters as the JSON object of a request.
pub fn params_to_json(params: &Params) -> Json {
    let encoder = Encoder::detached();
    Json::Object(
        params
            .iter()
            .map(|(k, v)| (k.clone(), encoder.value(v)))
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parameters_keep_integers_and_nesting() {
        let params = params_from_json(&json!({
            "i": 42, "f": 1.5, "whole": 2.0, "s": "x", "l": [1, [true, null]], "m": {"k": -3}
        }))
        .expect("params");
        assert_eq!(params["i"].as_integer(), Some(42));
        assert!(matches!(params["f"], CypherValue::Float(x) if x.to_bits() == 1.5f64.to_bits()));
        assert!(
            matches!(params["whole"], CypherValue::Float(x) if x.to_bits() == 2.0f64.to_bits())
        );
        assert_eq!(params["s"].as_str(), Some("x"));
        assert_eq!(
            params_to_json(&params),
            json!({"i": 42, "f": 1.5, "whole": 2.0, "s": "x", "l": [1, [true, null]], "m": {"k": -3}})
        );
        assert_eq!(
            params_from_json(&json!({"big": 18_446_744_073_709_551_615_u64})),
            Err(ParamError::IntegerOutOfRange {
                name: "big".into(),
                text: "18446744073709551615".into()
            })
        );
        assert_eq!(params_from_json(&json!([1])), Err(ParamError::NotAnObject));
        assert_eq!(params_from_json(&Json::Null), Ok(Params::new()));
    }

    #[test]
    fn floats_that_json_cannot_hold_are_strings() {
        assert_eq!(float(0.5), json!(0.5));
        assert_eq!(float(f64::NAN), json!("NaN"));
        assert_eq!(float(f64::INFINITY), json!("Infinity"));
        assert_eq!(float(f64::NEG_INFINITY), json!("-Infinity"));
    }

    #[test]
    fn plans_nest_from_the_last_operator() {
        let op = |name: &str, rows| PlanOperator {
            name: name.into(),
            rows,
            time_micros: rows.map(|_| 2),
        };
        let description = PlanDescription {
            parts: vec![vec![
                op("NodeIndexSeek(:Patient.id)", Some(1)),
                op("ProduceResults", Some(1)),
            ]],
        };
        assert_eq!(
            plan(&description, true),
            json!({
                "operatorType": "ProduceResults", "arguments": {}, "identifiers": [],
                "dbHits": 0, "records": 1, "time": 2000,
                "children": [{
                    "operatorType": "NodeIndexSeek", "arguments": {"Details": ":Patient.id"},
                    "identifiers": [], "dbHits": 0, "records": 1, "time": 2000, "children": []
                }]
            })
        );
        let union = PlanDescription {
            parts: vec![vec![op("Argument", None)], vec![op("Argument", None)]],
        };
        let tree = plan(&union, false);
        assert_eq!(tree["operatorType"], "Union");
        assert_eq!(tree["children"][1]["operatorType"], "Argument");
    }
}
