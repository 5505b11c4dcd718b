//! Reading nodes and relationships: properties, labels, types, and the
//! functions that need the graph (`id`, `labels`, `type`, `keys`, ...).

use std::sync::Arc;

use graph_model::{GraphState, NodeId, NodeRecord, RelId};

use crate::error::{ErrorDetail, QueryError, QueryErrorKind};
use crate::plan::ir::GraphFunction;
use crate::value::CypherValue;

use super::{Ctx, ExecResult};

type V = CypherValue;

fn deleted_error(what: &str) -> QueryError {
    QueryError::new(
        QueryErrorKind::EntityNotFound,
        Some(ErrorDetail::DeletedEntityAccess),
        format!("The {what} was deleted in this transaction"),
    )
}

fn type_error(message: impl Into<String>) -> QueryError {
    QueryError::type_error(ErrorDetail::InvalidArgumentType, message)
}

/// `base.key` for a node, relationship, map or temporal value.
pub(crate) fn property_of(base: &V, key: &str, ctx: &Ctx<'_, '_>) -> ExecResult<V> {
    let state = ctx.state();
    match base {
        V::Null => Ok(V::Null),
        V::Node(id) => {
            let Some(record) = state.node(*id) else {
                return Err(deleted_error("node"));
            };
            if let Some(access) = &ctx.access {
                access.note_node(state, *id);
            }
            Ok(masked_node_property(ctx, record, key))
        }
        V::Relationship(id) => {
            let Some(record) = state.rel(*id) else {
                return Err(deleted_error("relationship"));
            };
            if let Some(access) = &ctx.access {
                access.note_rel(state, *id);
            }
            Ok(state
                .prop_key_id(key)
                .and_then(|k| record.property(k))
                .map_or(V::Null, V::from_property))
        }
        V::Map(m) => Ok(m.get(key).cloned().unwrap_or(V::Null)),
        V::Temporal(t) => match crate::temporal::component(t, key) {
            Some(result) => Ok(V::from_property(&result?)),
            None => Err(type_error(format!(
                "{} has no property `{key}`",
                t.value_type()
            ))),
        },
        other => Err(type_error(format!(
            "Type mismatch: expected a map, node or relationship but was {}",
            other.type_name()
        ))),
    }
}

/// All properties of a node, relationship or map, in key order.
pub(crate) fn entity_properties(base: &V, ctx: &Ctx<'_, '_>) -> ExecResult<Vec<(Arc<str>, V)>> {
    let state = ctx.state();
    let out: Vec<(Arc<str>, V)> = match base {
        V::Node(id) => {
            let Some(record) = state.node(*id) else {
                return Err(deleted_error("node"));
            };
            let Some(access) = &ctx.access else {
                return Ok(sorted(
                    record
                        .properties()
                        .iter()
                        .map(|(k, v)| (Arc::from(state.prop_key_name(k)), V::from_property(v)))
                        .collect(),
                ));
            };
            access.note_node(state, *id);
            record
                .properties()
                .iter()
                .filter_map(|(k, v)| {
                    let shown = match access.rule(record, k) {
                        None => V::from_property(v),
                        Some(rule) => V::from_property(&rule.apply(v)?),
                    };
                    Some((Arc::from(state.prop_key_name(k)), shown))
                })
                .collect()
        }
        V::Relationship(id) => {
            let Some(record) = state.rel(*id) else {
                return Err(deleted_error("relationship"));
            };
            if let Some(access) = &ctx.access {
                access.note_rel(state, *id);
            }
            record
                .properties()
                .iter()
                .map(|(k, v)| (Arc::from(state.prop_key_name(k)), V::from_property(v)))
                .collect()
        }
        V::Map(m) => m.iter().map(|(k, v)| (k.clone(), v.clone())).collect(),
        other => {
            return Err(type_error(format!(
                "Expected a node, relationship or map, got {}",
                other.type_name()
            )))
        }
    };
    Ok(sorted(out))
}

fn sorted(mut entries: Vec<(Arc<str>, V)>) -> Vec<(Arc<str>, V)> {
    entries.sort_by(|a, b| a.0.cmp(&b.0));
    entries
}

/// `record.key` as the query's access policy shows it.
pub(crate) fn masked_node_property(ctx: &Ctx<'_, '_>, record: &NodeRecord, key: &str) -> V {
    let state = ctx.state();
    let Some(key) = state.prop_key_id(key) else {
        return V::Null;
    };
    let Some(value) = record.property(key) else {
        return V::Null;
    };
    match ctx.access.as_ref().and_then(|a| a.rule(record, key)) {
        None => V::from_property(value),
        Some(rule) => rule.apply(value).map_or(V::Null, |v| V::from_property(&v)),
    }
}

/// The labels of a node, by name.
pub(crate) fn node_labels(state: &GraphState, id: NodeId) -> Option<Vec<Arc<str>>> {
    let record = state.node(id)?;
    Some(
        record
            .labels()
            .iter()
            .map(|l| Arc::from(state.label_name(*l)))
            .collect(),
    )
}

fn rel_type_name(ctx: &Ctx<'_, '_>, id: RelId) -> ExecResult<Arc<str>> {
    let state = ctx.state();
    if let Some(record) = state.rel(id) {
        return Ok(state.rel_type_name(record.rel_type()).into());
    }
    ctx.deleted_rels
        .get(&id)
        .and_then(|d| d.labels.first().cloned())
        .ok_or_else(|| deleted_error("relationship"))
}

fn rel_ends(ctx: &Ctx<'_, '_>, id: RelId) -> ExecResult<(NodeId, NodeId)> {
    if let Some(record) = ctx.state().rel(id) {
        return Ok((record.start(), record.end()));
    }
    ctx.deleted_rels
        .get(&id)
        .and_then(|d| d.ends)
        .ok_or_else(|| deleted_error("relationship"))
}

/// Start and end node of a relationship (also one deleted in this query).
pub(crate) fn relationship_ends(ctx: &Ctx<'_, '_>, id: RelId) -> ExecResult<(NodeId, NodeId)> {
    rel_ends(ctx, id)
}

/// Calls a function that reads the graph.
pub(crate) fn call_graph_function(
    f: GraphFunction,
    args: &[V],
    ctx: &Ctx<'_, '_>,
) -> ExecResult<V> {
    let arg = args.first().unwrap_or(&V::Null);
    if arg.is_null() && f != GraphFunction::Exists {
        return Ok(V::Null);
    }
    let wrong = || {
        type_error(format!(
            "Invalid input for function: {} is not allowed here",
            arg.type_name()
        ))
    };
    let wrong_value = || {
        QueryError::type_error(
            ErrorDetail::InvalidArgumentValue,
            format!(
                "Invalid input for function: {} is not allowed here",
                arg.type_name()
            ),
        )
    };
    Ok(match f {
        GraphFunction::Id => match arg {
            V::Node(id) => V::Integer(i64::from(id.0)),
            V::Relationship(id) => V::Integer(i64::from(id.0)),
            _ => return Err(wrong()),
        },
        GraphFunction::ElementId => match arg {
            V::Node(id) => V::String(format!("n:{}", id.0).into()),
            V::Relationship(id) => V::String(format!("r:{}", id.0).into()),
            _ => return Err(wrong()),
        },
        GraphFunction::Labels => match arg {
            V::Node(id) => {
                let labels = node_labels(ctx.state(), *id).ok_or_else(|| deleted_error("node"))?;
                V::List(labels.into_iter().map(V::String).collect())
            }
            _ => return Err(wrong_value()),
        },
        GraphFunction::Type => match arg {
            V::Relationship(id) => V::String(rel_type_name(ctx, *id)?),
            _ => return Err(wrong_value()),
        },
        GraphFunction::Keys => match arg {
            V::Node(_) | V::Relationship(_) | V::Map(_) => V::List(
                entity_properties(arg, ctx)?
                    .into_iter()
                    .filter(|(_, v)| {
                        !matches!(arg, V::Node(_) | V::Relationship(_)) || !v.is_null()
                    })
                    .map(|(k, _)| V::String(k))
                    .collect(),
            ),
            _ => return Err(wrong()),
        },
        GraphFunction::Properties => match arg {
            V::Node(_) | V::Relationship(_) | V::Map(_) => {
                V::Map(Arc::new(entity_properties(arg, ctx)?.into_iter().collect()))
            }
            _ => return Err(wrong()),
        },
        GraphFunction::Nodes => match arg {
            V::Path(p) => V::List(p.nodes.iter().map(|n| V::Node(*n)).collect()),
            _ => return Err(wrong()),
        },
        GraphFunction::Relationships => match arg {
            V::Path(p) => V::List(
                p.relationships
                    .iter()
                    .map(|r| V::Relationship(*r))
                    .collect(),
            ),
            _ => return Err(wrong()),
        },
        GraphFunction::Length => match arg {
            V::Path(p) => V::Integer(p.len() as i64),
            V::String(s) => V::Integer(s.chars().count() as i64),
            V::List(items) => V::Integer(items.len() as i64),
            _ => return Err(wrong()),
        },
        GraphFunction::Size => match arg {
            V::String(s) => V::Integer(s.chars().count() as i64),
            V::List(items) => V::Integer(items.len() as i64),
            V::Path(p) => V::Integer(p.len() as i64),
            _ => return Err(wrong()),
        },
        GraphFunction::StartNode => match arg {
            V::Relationship(id) => V::Node(rel_ends(ctx, *id)?.0),
            _ => return Err(wrong()),
        },
        GraphFunction::EndNode => match arg {
            V::Relationship(id) => V::Node(rel_ends(ctx, *id)?.1),
            _ => return Err(wrong()),
        },
        GraphFunction::Exists => V::Boolean(!arg.is_null()),
    })
}
