//! The updating operators (`CREATE`, `MERGE`, `SET`/`REMOVE`, `DELETE`)
//! and procedure calls.

use std::collections::{BTreeMap, VecDeque};
use std::sync::Arc;

use graph_model::symbols::SymbolKind;
use graph_model::{GraphError, GraphState, NodeId, RelId, Value};

use crate::error::{ErrorDetail, QueryError, QueryErrorKind};
use crate::plan::ir::{CreateItem, Expr, PatternPlan, ProcedureCall, SetAction};
use crate::value::CypherValue;

use super::eval::eval;
use super::graph_fns::{entity_properties, node_labels, property_of};
use super::matcher::{build_path, Matcher};
use super::operators::{BoxStage, Stage};
use super::{get, set, Ctx, DeletedEntity, ExecResult, Row};

type V = CypherValue;

/// Maps a store error to a query error.
pub(crate) fn store_error(e: GraphError) -> QueryError {
    match e {
        GraphError::UniqueConstraint { .. } | GraphError::RelUniqueConstraint { .. } => {
            QueryError::new(
                QueryErrorKind::ConstraintValidationFailed,
                None,
                e.to_string(),
            )
        }
        GraphError::NodeHasRelationships { .. } => QueryError::new(
            QueryErrorKind::ConstraintVerificationFailed,
            Some(ErrorDetail::DeleteConnectedNode),
            e.to_string(),
        ),
        GraphError::NodeNotFound(_) | GraphError::RelNotFound(_) => QueryError::new(
            QueryErrorKind::EntityNotFound,
            Some(ErrorDetail::DeletedEntityAccess),
            e.to_string(),
        ),
        other => QueryError::new(QueryErrorKind::Storage, None, other.to_string()),
    }
}

fn invalid_property(message: impl Into<String>) -> QueryError {
    QueryError::type_error(ErrorDetail::InvalidPropertyType, message)
}

/// Converts a value to one that can be stored as a property (`None` for
/// null, which removes the property).
pub(crate) fn storable(v: &V) -> ExecResult<Option<Value>> {
    match v {
        V::Null => Ok(None),
        V::Map(_) | V::Node(_) | V::Relationship(_) | V::Path(_) => Err(invalid_property(format!(
            "Property values can only be of primitive types or arrays thereof, not {}",
            v.type_name()
        ))),
        V::List(items) => {
            let mut out = Vec::with_capacity(items.len());
            for item in items.iter() {
                match item {
                    V::Null
                    | V::Map(_)
                    | V::List(_)
                    | V::Node(_)
                    | V::Relationship(_)
                    | V::Path(_) => {
                        return Err(invalid_property(format!(
                            "Collections containing {} values can not be stored in properties",
                            item.type_name()
                        )))
                    }
                    other => out.push(other.to_property().unwrap_or(Value::Null)),
                }
            }
            Ok(Some(Value::List(out.into())))
        }
        other => Ok(other.to_property()),
    }
}

/// The storable properties of a map (nulls dropped).
fn stored_properties(props: &[(Arc<str>, V)]) -> ExecResult<Vec<(Arc<str>, Value)>> {
    let mut stored = Vec::with_capacity(props.len());
    for (k, v) in props {
        if let Some(value) = storable(v)? {
            stored.push((k.clone(), value));
        }
    }
    Ok(stored)
}

fn properties_map(v: V, ctx: &Ctx<'_, '_>) -> ExecResult<Vec<(Arc<str>, V)>> {
    match v {
        V::Null => Ok(Vec::new()),
        V::Map(m) => Ok(m.iter().map(|(k, v)| (k.clone(), v.clone())).collect()),
        v @ (V::Node(_) | V::Relationship(_)) => entity_properties(&v, ctx),
        other => Err(QueryError::type_error(
            ErrorDetail::InvalidArgumentType,
            format!("Expected a map of properties, got {}", other.type_name()),
        )),
    }
}

/// Creates the items of a CREATE (or the create half of a MERGE) for one
/// row.
fn create(items: &[CreateItem], row: &mut Row, ctx: &mut Ctx<'_, '_>) -> ExecResult<()> {
    for item in items {
        match item {
            CreateItem::Node {
                slot,
                labels,
                properties,
            } => {
                let props = match properties {
                    Some(e) => properties_map(eval(e, row, ctx)?, ctx)?,
                    None => Vec::new(),
                };
                let stored = stored_properties(&props)?;
                let txn = ctx.txn()?;
                let label_ids: Vec<_> = labels.iter().map(|l| txn.label(l)).collect();
                let prop_ids: Vec<_> = stored
                    .into_iter()
                    .map(|(k, v)| (txn.prop_key(&k), v))
                    .collect();
                let count = prop_ids.len() as u64;
                let mut unique_labels = label_ids.clone();
                unique_labels.dedup();
                let id = txn
                    .create_node_with_ids(unique_labels.clone(), prop_ids)
                    .map_err(store_error)?;
                ctx.stats.nodes_created += 1;
                ctx.note_written(id);
                ctx.stats.labels_added += {
                    let mut l = unique_labels;
                    l.sort_unstable();
                    l.dedup();
                    l.len() as u64
                };
                ctx.stats.properties_set += count;
                set(row, *slot, V::Node(id));
            }
            CreateItem::Rel {
                slot,
                start,
                end,
                rel_type,
                properties,
            } => {
                let (V::Node(s), V::Node(e)) = (get(row, *start).clone(), get(row, *end).clone())
                else {
                    return Err(QueryError::new(
                        QueryErrorKind::SemanticError,
                        None,
                        "Failed to create relationship: a node at one of its ends is null",
                    ));
                };
                if ctx.node_deleted(s) || ctx.node_deleted(e) {
                    return Err(QueryError::new(
                        QueryErrorKind::EntityNotFound,
                        Some(ErrorDetail::DeletedEntityAccess),
                        "Failed to create relationship: a node at one of its ends was deleted",
                    ));
                }
                let props = match properties {
                    Some(p) => properties_map(eval(p, row, ctx)?, ctx)?,
                    None => Vec::new(),
                };
                let stored = stored_properties(&props)?;
                let txn = ctx.txn()?;
                let type_id = txn.rel_type(rel_type);
                let prop_ids: Vec<_> = stored
                    .into_iter()
                    .map(|(k, v)| (txn.prop_key(&k), v))
                    .collect();
                let count = prop_ids.len() as u64;
                let id = txn
                    .create_rel_with_ids(s, type_id, e, prop_ids)
                    .map_err(store_error)?;
                ctx.stats.relationships_created += 1;
                ctx.stats.properties_set += count;
                ctx.note_written(s);
                ctx.note_written(e);
                set(row, *slot, V::Relationship(id));
            }
            CreateItem::Path { slot, parts } => {
                let path = build_path(parts, row, ctx)?;
                set(row, *slot, path);
            }
        }
    }
    Ok(())
}

/// `CREATE`.
pub(crate) struct CreateStage {
    input: BoxStage,
    items: Vec<CreateItem>,
}

impl CreateStage {
    pub(crate) fn new(input: BoxStage, items: Vec<CreateItem>) -> Self {
        CreateStage { input, items }
    }
}

impl Stage for CreateStage {
    fn next(&mut self, ctx: &mut Ctx<'_, '_>) -> ExecResult<Option<Row>> {
        let Some(mut row) = self.input.next(ctx)? else {
            return Ok(None);
        };
        create(&self.items, &mut row, ctx)?;
        Ok(Some(row))
    }
}

/// `MERGE`.
pub(crate) struct MergeStage {
    input: BoxStage,
    pattern: Arc<PatternPlan>,
    create: Vec<CreateItem>,
    on_create: Vec<SetAction>,
    on_match: Vec<SetAction>,
    pending: VecDeque<Row>,
}

impl MergeStage {
    pub(crate) fn new(
        input: BoxStage,
        pattern: Arc<PatternPlan>,
        create: Vec<CreateItem>,
        on_create: Vec<SetAction>,
        on_match: Vec<SetAction>,
    ) -> Self {
        MergeStage {
            input,
            pattern,
            create,
            on_create,
            on_match,
            pending: VecDeque::new(),
        }
    }
}

impl Stage for MergeStage {
    fn next(&mut self, ctx: &mut Ctx<'_, '_>) -> ExecResult<Option<Row>> {
        loop {
            if let Some(row) = self.pending.pop_front() {
                return Ok(Some(row));
            }
            let Some(row) = self.input.next(ctx)? else {
                return Ok(None);
            };
            // Properties of the pattern must not be null.
            for item in &self.create {
                let props = match item {
                    CreateItem::Node { properties, .. } | CreateItem::Rel { properties, .. } => {
                        properties
                    }
                    CreateItem::Path { .. } => &None,
                };
                if let Some(p) = props {
                    if let V::Map(m) = eval(p, &row, ctx)? {
                        if let Some((k, _)) = m.iter().find(|(_, v)| v.is_null()) {
                            return Err(QueryError::new(
                                QueryErrorKind::SemanticError,
                                Some(ErrorDetail::MergeReadOwnWrites),
                                format!("Cannot merge the following node because of null property value for '{k}'"),
                            ));
                        }
                    }
                }
            }
            let mut matcher = Matcher::new(self.pattern.clone(), row.clone());
            let mut found = Vec::new();
            while let Some(m) = matcher.next(ctx)? {
                found.push(m);
            }
            if found.is_empty() {
                let mut row = row;
                create(&self.create, &mut row, ctx)?;
                apply_actions(&self.on_create, &row, ctx)?;
                return Ok(Some(row));
            }
            for m in found {
                apply_actions(&self.on_match, &m, ctx)?;
                self.pending.push_back(m);
            }
        }
    }
}

/// `SET` and `REMOVE`.
pub(crate) struct SetStage {
    input: BoxStage,
    actions: Vec<SetAction>,
}

impl SetStage {
    pub(crate) fn new(input: BoxStage, actions: Vec<SetAction>) -> Self {
        SetStage { input, actions }
    }
}

impl Stage for SetStage {
    fn next(&mut self, ctx: &mut Ctx<'_, '_>) -> ExecResult<Option<Row>> {
        let Some(row) = self.input.next(ctx)? else {
            return Ok(None);
        };
        apply_actions(&self.actions, &row, ctx)?;
        Ok(Some(row))
    }
}

fn set_property(
    ctx: &mut Ctx<'_, '_>,
    target: &V,
    key: &str,
    value: Option<Value>,
) -> ExecResult<()> {
    // Removing a property that is not there changes nothing (and counts
    // nothing); reading it also fails for a deleted entity.
    if value.is_none() && property_of(target, key, ctx)?.is_null() {
        return Ok(());
    }
    let txn = ctx.txn()?;
    let value = value.unwrap_or(Value::Null);
    match target {
        V::Node(n) => {
            txn.set_node_property(*n, key, value).map_err(store_error)?;
            ctx.note_written(*n);
        }
        V::Relationship(r) => {
            txn.set_rel_property(*r, key, value).map_err(store_error)?;
            let (start, end) = super::graph_fns::relationship_ends(ctx, *r)?;
            ctx.note_written(start);
            ctx.note_written(end);
        }
        _ => {}
    }
    ctx.stats.properties_set += 1;
    Ok(())
}

fn deleted() -> QueryError {
    QueryError::new(
        QueryErrorKind::EntityNotFound,
        Some(ErrorDetail::DeletedEntityAccess),
        "The entity was deleted in this transaction",
    )
}

fn check_target(v: &V) -> ExecResult<bool> {
    match v {
        V::Null => Ok(false),
        V::Node(_) | V::Relationship(_) => Ok(true),
        other => Err(QueryError::type_error(
            ErrorDetail::InvalidArgumentType,
            format!("Expected a node or relationship, got {}", other.type_name()),
        )),
    }
}

fn apply_actions(actions: &[SetAction], row: &Row, ctx: &mut Ctx<'_, '_>) -> ExecResult<()> {
    for action in actions {
        match action {
            SetAction::Property { target, key, value } => {
                let target = eval(target, row, ctx)?;
                let value = eval(value, row, ctx)?;
                if !check_target(&target)? {
                    continue;
                }
                let value = storable(&value)?;
                set_property(ctx, &target, key, value)?;
            }
            SetAction::Replace { target, value } | SetAction::Merge { target, value } => {
                let replace = matches!(action, SetAction::Replace { .. });
                let target = eval(target, row, ctx)?;
                let value = eval(value, row, ctx)?;
                if !check_target(&target)? {
                    continue;
                }
                let new_props = properties_map(value, ctx)?;
                if replace {
                    for (k, _) in entity_properties(&target, ctx)? {
                        if !new_props.iter().any(|(n, _)| *n == k) {
                            set_property(ctx, &target, &k, None)?;
                        }
                    }
                }
                for (k, v) in &new_props {
                    let v = storable(v)?;
                    set_property(ctx, &target, k, v)?;
                }
            }
            SetAction::AddLabels { target, labels }
            | SetAction::RemoveLabels { target, labels } => {
                let add = matches!(action, SetAction::AddLabels { .. });
                let node = match eval(target, row, ctx)? {
                    V::Null => continue,
                    V::Node(n) => n,
                    other => {
                        return Err(QueryError::type_error(
                            ErrorDetail::InvalidArgumentType,
                            format!("Expected a node, got {}", other.type_name()),
                        ))
                    }
                };
                ctx.note_written(node);
                for label in labels {
                    let state = ctx.state();
                    let record = state.node(node).ok_or_else(deleted)?;
                    let has = state.label_id(label).is_some_and(|l| record.has_label(l));
                    if add && !has {
                        let txn = ctx.txn()?;
                        txn.add_label(node, label).map_err(store_error)?;
                        ctx.stats.labels_added += 1;
                    } else if !add && has {
                        let txn = ctx.txn()?;
                        let id = txn.label(label);
                        txn.remove_label_id(node, id).map_err(store_error)?;
                        ctx.stats.labels_removed += 1;
                    }
                }
            }
        }
    }
    Ok(())
}

/// `[DETACH] DELETE`.
pub(crate) struct DeleteStage {
    input: BoxStage,
    exprs: Vec<Expr>,
    detach: bool,
}

impl DeleteStage {
    pub(crate) fn new(input: BoxStage, exprs: Vec<Expr>, detach: bool) -> Self {
        DeleteStage {
            input,
            exprs,
            detach,
        }
    }
}

impl Stage for DeleteStage {
    fn next(&mut self, ctx: &mut Ctx<'_, '_>) -> ExecResult<Option<Row>> {
        let Some(row) = self.input.next(ctx)? else {
            return Ok(None);
        };
        let values = self
            .exprs
            .iter()
            .map(|e| eval(e, &row, ctx))
            .collect::<ExecResult<Vec<_>>>()?;
        // Relationships first, so `DELETE n, r` works in either order.
        for v in &values {
            delete_value(v, self.detach, ctx, true)?;
        }
        for v in &values {
            delete_value(v, self.detach, ctx, false)?;
        }
        Ok(Some(row))
    }
}

fn snapshot_node(state: &GraphState, id: NodeId) -> Option<DeletedEntity> {
    let record = state.node(id)?;
    Some(DeletedEntity {
        labels: node_labels(state, id).unwrap_or_default(),
        properties: record
            .properties()
            .iter()
            .map(|(k, v)| (Arc::from(state.prop_key_name(k)), v.clone()))
            .collect::<BTreeMap<_, _>>(),
        ends: None,
    })
}

fn delete_rel(ctx: &mut Ctx<'_, '_>, rel: RelId) -> ExecResult<()> {
    let state = ctx.state();
    let Some(record) = state.rel(rel) else {
        return Ok(());
    };
    let snapshot = DeletedEntity {
        labels: vec![Arc::from(state.rel_type_name(record.rel_type()))],
        properties: record
            .properties()
            .iter()
            .map(|(k, v)| (Arc::from(state.prop_key_name(k)), v.clone()))
            .collect(),
        ends: Some((record.start(), record.end())),
    };
    ctx.txn()?.delete_rel(rel).map_err(store_error)?;
    ctx.deleted_rels.insert(rel, snapshot);
    ctx.stats.relationships_deleted += 1;
    Ok(())
}

/// Deletes a node now, or (when it still has relationships and the delete
/// is not detaching) once the query ends.
fn delete_node(ctx: &mut Ctx<'_, '_>, node: NodeId, detach: bool) -> ExecResult<()> {
    let state = ctx.state();
    let Some(snapshot) = snapshot_node(state, node) else {
        return Ok(());
    };
    let degree = state.degree(node, graph_model::Direction::Both, None);
    if degree > 0 {
        if detach {
            let neighbors: Vec<(RelId, NodeId)> = state
                .neighbors(node, graph_model::Direction::Both, None)
                .map(|n| (n.rel, n.other))
                .collect();
            if neighbors.iter().any(|(_, other)| !ctx.visible(*other)) {
                return Err(QueryError::new(
                    QueryErrorKind::Forbidden,
                    None,
                    "DETACH DELETE would remove relationships to records outside your scope; nothing was written",
                ));
            }
            let rels: Vec<RelId> = neighbors.into_iter().map(|(r, _)| r).collect();
            for r in rels {
                delete_rel(ctx, r)?;
            }
        } else {
            if ctx.pending_set.insert(node) {
                ctx.pending_node_deletes.push(node);
                ctx.deleted_nodes.insert(node, snapshot);
            }
            return Ok(());
        }
    }
    ctx.txn()?.delete_node(node).map_err(store_error)?;
    ctx.deleted_nodes.insert(node, snapshot);
    ctx.stats.nodes_deleted += 1;
    Ok(())
}

fn delete_value(v: &V, detach: bool, ctx: &mut Ctx<'_, '_>, rels_pass: bool) -> ExecResult<()> {
    match v {
        V::Null => Ok(()),
        V::Relationship(r) => {
            if rels_pass {
                delete_rel(ctx, *r)?;
            }
            Ok(())
        }
        V::Node(n) => {
            if !rels_pass {
                delete_node(ctx, *n, detach)?;
            }
            Ok(())
        }
        V::Path(p) => {
            if rels_pass {
                for r in &p.relationships {
                    delete_rel(ctx, *r)?;
                }
            } else {
                for n in &p.nodes {
                    delete_node(ctx, *n, detach)?;
                }
            }
            Ok(())
        }
        V::List(items) => {
            for item in items.iter() {
                delete_value(item, detach, ctx, rels_pass)?;
            }
            Ok(())
        }
        other => Err(QueryError::type_error(
            ErrorDetail::InvalidArgumentType,
            format!(
                "DELETE expects a node, relationship or path, got {}",
                other.type_name()
            ),
        )),
    }
}

/// Deletes the nodes whose deletion waited for their relationships to go;
/// fails if any still has some.
pub(crate) fn finish_deletes(ctx: &mut Ctx<'_, '_>) -> ExecResult<()> {
    let pending = std::mem::take(&mut ctx.pending_node_deletes);
    for node in pending {
        let state = ctx.state();
        if state.node(node).is_none() {
            continue;
        }
        if state.degree(node, graph_model::Direction::Both, None) > 0 {
            return Err(QueryError::new(
                QueryErrorKind::ConstraintVerificationFailed,
                Some(ErrorDetail::DeleteConnectedNode),
                format!(
                    "Cannot delete node<{}>, because it still has relationships. To delete this node, you must first delete its relationships.",
                    node.0
                ),
            ));
        }
        ctx.txn()?.delete_node(node).map_err(store_error)?;
        ctx.stats.nodes_deleted += 1;
    }
    Ok(())
}

/// `CALL`.
pub(crate) struct CallStage {
    input: BoxStage,
    call: ProcedureCall,
    pending: VecDeque<Row>,
}

impl CallStage {
    pub(crate) fn new(input: BoxStage, call: ProcedureCall) -> Self {
        CallStage {
            input,
            call,
            pending: VecDeque::new(),
        }
    }

    fn results(&self, row: &Row, ctx: &Ctx<'_, '_>) -> ExecResult<Vec<Vec<(String, V)>>> {
        let state = ctx.state();
        // The names of one symbol kind, those in use where `in_use` says.
        let names = |kind: SymbolKind, field: &str, in_use: &dyn Fn(u32) -> bool| {
            state
                .symbols()
                .of(kind)
                .names()
                .iter()
                .enumerate()
                .filter(|(i, _)| in_use(*i as u32))
                .map(|(_, n)| vec![(field.to_string(), V::String(n.clone()))])
                .collect::<Vec<_>>()
        };
        Ok(match self.call.name.as_str() {
            "db.labels" => names(SymbolKind::Label, "label", &|i| {
                state.label_count(graph_model::LabelId(i)) > 0
            }),
            "db.relationshiptypes" => names(SymbolKind::RelType, "relationshipType", &|i| {
                state.rel_type_count(graph_model::RelTypeId(i)) > 0
            }),
            "db.propertykeys" => names(SymbolKind::PropKey, "propertyKey", &|_| true),
            name => {
                let Some(procedure) = ctx.procedures.and_then(|p| p.get(name)) else {
                    return Err(QueryError::new(
                        QueryErrorKind::ProcedureError,
                        Some(ErrorDetail::ProcedureNotFound),
                        format!("There is no procedure with the name `{name}` registered"),
                    ));
                };
                let args = self
                    .call
                    .args
                    .iter()
                    .map(|a| eval(a, row, ctx))
                    .collect::<ExecResult<Vec<_>>>()?;
                procedure.call(&args)
            }
        })
    }
}

impl Stage for CallStage {
    fn next(&mut self, ctx: &mut Ctx<'_, '_>) -> ExecResult<Option<Row>> {
        loop {
            if let Some(row) = self.pending.pop_front() {
                return Ok(Some(row));
            }
            let Some(row) = self.input.next(ctx)? else {
                return Ok(None);
            };
            let results = self.results(&row, ctx)?;
            if self.call.yields.is_empty() && !self.call.standalone {
                // A void procedure passes its input row on.
                return Ok(Some(row));
            }
            for result in results {
                let mut out = row.clone();
                for (field, slot) in &self.call.yields {
                    let v = result
                        .iter()
                        .find(|(f, _)| f == field)
                        .map_or(V::Null, |(_, v)| v.clone());
                    set(&mut out, *slot, v);
                }
                self.pending.push_back(out);
            }
        }
    }
}
