//! Pattern matching: a depth-first search over the steps of a
//! [`PatternPlan`], one candidate list per step, pulled one match at a time.

use std::collections::{HashSet, VecDeque};
use std::sync::Arc;

use graph_model::{Direction, GraphState, LabelId, NodeId, RelId, RelTypeId};

use crate::error::{ErrorDetail, QueryError, QueryErrorKind};
use crate::plan::ir::{
    Expand, ExpandDirection, Expr, MatchStep, NodeCheck, NodeSource, PathPart, PatternPlan,
    SubPattern,
};
use crate::value::{CypherValue, Path};

use super::eval::{eval, eval_predicate};
use super::graph_fns::{masked_node_property, relationship_ends};
use super::{get, set, Ctx, ExecResult, Row};

type V = CypherValue;

const CHUNK: usize = 1024;

enum Candidates {
    /// A check step: pass once or not at all.
    Once(bool),
    /// A value to bind once (a path).
    Value(Option<V>),
    /// Every node id below `end`.
    AllNodes { next: u32, end: u32 },
    /// Nodes with a label, fetched in chunks.
    Label {
        label: LabelId,
        buffer: Vec<NodeId>,
        pos: usize,
        next_from: u32,
        done: bool,
    },
    /// A fixed list of nodes.
    Nodes(Vec<NodeId>, usize),
    /// Relationships and the nodes they lead to.
    Expansions(Vec<(RelId, NodeId)>, usize),
    /// Variable-length expansions.
    Paths(Vec<(Vec<RelId>, NodeId)>, usize),
    /// Shortest paths.
    Shortest(Vec<Path>, usize),
}

struct Level {
    step: usize,
    candidates: Candidates,
    /// Resolved labels of the step's node check (`None`: a label that does
    /// not exist, so nothing matches).
    labels: Option<Vec<LabelId>>,
    /// The evaluated property map of the node check.
    properties: Option<Vec<(Arc<str>, V)>>,
}

/// Enumerates the matches of a pattern for one input row.
pub(crate) struct Matcher {
    pattern: Arc<PatternPlan>,
    levels: Vec<Level>,
    row: Row,
    started: bool,
}

fn resolve_labels(state: &GraphState, labels: &[Arc<str>]) -> Option<Vec<LabelId>> {
    labels.iter().map(|l| state.label_id(l)).collect()
}

/// Property checks: key and expected value.
type PropertyChecks = Vec<(Arc<str>, V)>;

fn map_entries(v: V, what: &str) -> ExecResult<Option<PropertyChecks>> {
    match v {
        V::Map(m) => Ok(Some(
            m.iter().map(|(k, v)| (k.clone(), v.clone())).collect(),
        )),
        V::Null => Ok(None),
        other => Err(QueryError::type_error(
            ErrorDetail::InvalidArgumentType,
            format!(
                "Expected a map of {what} properties, got {}",
                other.type_name()
            ),
        )),
    }
}

fn node_passes(
    ctx: &Ctx<'_, '_>,
    id: NodeId,
    labels: Option<&Vec<LabelId>>,
    properties: Option<&Vec<(Arc<str>, V)>>,
) -> bool {
    let state = ctx.state();
    let Some(record) = state.node(id) else {
        return false;
    };
    let Some(labels) = labels else {
        return false;
    };
    if !labels.iter().all(|l| record.has_label(*l)) || !ctx.visible(id) {
        return false;
    }
    if let Some(props) = properties {
        for (k, v) in props {
            if masked_node_property(ctx, record, k).equals(v) != Some(true) {
                return false;
            }
        }
    }
    true
}

fn rel_passes(state: &GraphState, rel: RelId, properties: &[(Arc<str>, V)]) -> bool {
    if properties.is_empty() {
        return true;
    }
    let Some(record) = state.rel(rel) else {
        return false;
    };
    properties.iter().all(|(k, v)| {
        let actual = state
            .prop_key_id(k)
            .and_then(|k| record.property(k))
            .map_or(V::Null, V::from_property);
        actual.equals(v) == Some(true)
    })
}

fn used_rel(row: &Row, slots: &[usize], rel: RelId) -> bool {
    slots.iter().any(|s| match get(row, *s) {
        V::Relationship(r) => *r == rel,
        V::List(items) => items
            .iter()
            .any(|i| matches!(i, V::Relationship(r) if *r == rel)),
        _ => false,
    })
}

fn graph_direction(d: ExpandDirection) -> Direction {
    match d {
        ExpandDirection::Outgoing => Direction::Outgoing,
        ExpandDirection::Incoming => Direction::Incoming,
        ExpandDirection::Both => Direction::Both,
    }
}

/// The same relationships seen from the other end.
fn reverse(direction: Direction) -> Direction {
    match direction {
        Direction::Outgoing => Direction::Incoming,
        Direction::Incoming => Direction::Outgoing,
        Direction::Both => Direction::Both,
    }
}

/// The relationship type ids to follow: `None` for any type; an empty list
/// when none of the named types exists.
fn resolve_types(state: &GraphState, types: &[Arc<str>]) -> Option<Vec<RelTypeId>> {
    if types.is_empty() {
        None
    } else {
        Some(types.iter().filter_map(|t| state.rel_type_id(t)).collect())
    }
}

fn for_each_neighbor(
    ctx: &Ctx<'_, '_>,
    node: NodeId,
    direction: Direction,
    types: Option<&Vec<RelTypeId>>,
    mut f: impl FnMut(RelId, NodeId),
) {
    let state = ctx.state();
    let mut visit = |rel: RelId, other: NodeId| {
        // A relationship exists for the query only when both ends do; the
        // node expanded from is in a row, so it is visible already.
        if ctx.visible(other) {
            f(rel, other);
        }
    };
    match types {
        None => state
            .neighbors(node, direction, None)
            .for_each(|n| visit(n.rel, n.other)),
        Some(types) => {
            for t in types {
                state
                    .neighbors(node, direction, Some(*t))
                    .for_each(|n| visit(n.rel, n.other));
            }
        }
    }
}

impl Matcher {
    /// A matcher of `pattern` extending `row`.
    pub(crate) fn new(pattern: Arc<PatternPlan>, row: Row) -> Matcher {
        Matcher {
            pattern,
            levels: Vec::new(),
            row,
            started: false,
        }
    }

    /// The next match, as a full row.
    pub(crate) fn next(&mut self, ctx: &Ctx<'_, '_>) -> ExecResult<Option<Row>> {
        if !self.started {
            self.started = true;
            if self.pattern.steps.is_empty() {
                return Ok(Some(self.row.clone()));
            }
            let level = self.open(0, ctx)?;
            self.levels.push(level);
        }
        loop {
            ctx.guard.tick()?;
            let Some(level) = self.levels.last_mut() else {
                return Ok(None);
            };
            let step = &self.pattern.steps[level.step];
            if !advance(level, step, &mut self.row, ctx)? {
                self.levels.pop();
                continue;
            }
            let next = self.levels.len();
            if next == self.pattern.steps.len() {
                return Ok(Some(self.row.clone()));
            }
            let level = self.open(next, ctx)?;
            self.levels.push(level);
        }
    }

    /// Prepares the candidates of step `index` for the current row.
    fn open(&self, index: usize, ctx: &Ctx<'_, '_>) -> ExecResult<Level> {
        let state = ctx.state();
        let row = &self.row;
        let mut level = Level {
            step: index,
            candidates: Candidates::Once(false),
            labels: None,
            properties: None,
        };
        match &self.pattern.steps[index] {
            MatchStep::Scan { source, check, .. } => {
                level.labels = resolve_labels(state, &check.labels);
                level.properties = check_properties(check, row, ctx)?;
                level.candidates = match source {
                    NodeSource::All => Candidates::AllNodes {
                        next: 0,
                        end: state.node_id_bound(),
                    },
                    NodeSource::Label(label) => label_candidates(state, label),
                    NodeSource::IndexSeek { label, key, value } => {
                        let value = eval(value, row, ctx)?;
                        match ctx.access.as_ref().and_then(|a| a.mask_rule(label, key)) {
                            None => {
                                let found = value.to_property().and_then(|v| {
                                    if v.is_null() {
                                        None
                                    } else {
                                        state.find_node_by_name(label, key, &v)
                                    }
                                });
                                Candidates::Nodes(found.into_iter().collect(), 0)
                            }
                            Some(rule) => {
                                // The index holds stored values and a masked
                                // key reads otherwise: seek the stored value
                                // behind the shown one when the rule can tell,
                                // else scan; then compare what the key reads as.
                                let stored = rule.invertible().then(|| {
                                    value
                                        .to_property()
                                        .and_then(|shown| rule.invert(state, &shown))
                                        .and_then(|v| state.find_node_by_name(label, key, &v))
                                });
                                level
                                    .properties
                                    .get_or_insert_with(Vec::new)
                                    .push((key.clone(), value));
                                match stored {
                                    Some(found) => {
                                        Candidates::Nodes(found.into_iter().collect(), 0)
                                    }
                                    None => label_candidates(state, label),
                                }
                            }
                        }
                    }
                    NodeSource::ById(value) => {
                        let found = match eval(value, row, ctx)? {
                            V::Integer(i) => u32::try_from(i)
                                .ok()
                                .map(NodeId)
                                .filter(|n| state.node(*n).is_some()),
                            _ => None,
                        };
                        Candidates::Nodes(found.into_iter().collect(), 0)
                    }
                };
            }
            MatchStep::CheckBound { slot, check } => {
                let labels = resolve_labels(state, &check.labels);
                let properties = check_properties(check, row, ctx)?;
                let ok = match get(row, *slot) {
                    V::Node(id) => node_passes(ctx, *id, labels.as_ref(), properties.as_ref()),
                    _ => false,
                };
                level.candidates = Candidates::Once(ok);
            }
            MatchStep::Filter(e) => {
                level.candidates = Candidates::Once(eval_predicate(e, row, ctx)? == Some(true));
            }
            MatchStep::BuildPath { parts, .. } => {
                level.candidates = Candidates::Value(Some(build_path(parts, row, ctx)?));
            }
            MatchStep::Expand(expand) => {
                level.candidates = expand_candidates(expand, row, ctx)?;
            }
            MatchStep::Shortest { expand, all, .. } => {
                let paths = match (get(row, expand.from), get(row, expand.to)) {
                    (V::Node(from), V::Node(to)) => shortest_paths(expand, *from, *to, *all, ctx)?,
                    _ => Vec::new(),
                };
                level.candidates = Candidates::Shortest(paths, 0);
            }
        }
        Ok(level)
    }
}

/// A scan of the nodes with `label` (none when the label does not exist).
fn label_candidates(state: &GraphState, label: &str) -> Candidates {
    match state.label_id(label) {
        Some(label) => Candidates::Label {
            label,
            buffer: Vec::new(),
            pos: 0,
            next_from: 0,
            done: false,
        },
        None => Candidates::Nodes(Vec::new(), 0),
    }
}

fn check_properties(
    check: &NodeCheck,
    row: &Row,
    ctx: &Ctx<'_, '_>,
) -> ExecResult<Option<PropertyChecks>> {
    let mut props: PropertyChecks = Vec::new();
    for (k, e) in &check.properties {
        props.push((k.clone(), eval(e, row, ctx)?));
    }
    if let Some(map) = &check.property_map {
        match map_entries(eval(map, row, ctx)?, "node")? {
            Some(entries) => props.extend(entries),
            None => props.push((Arc::from(""), V::Null)),
        }
    }
    Ok((!props.is_empty()).then_some(props))
}

/// Moves `level` to its next candidate and binds it into `row`; `false`
/// when there are no more.
fn advance(
    level: &mut Level,
    step: &MatchStep,
    row: &mut Row,
    ctx: &Ctx<'_, '_>,
) -> ExecResult<bool> {
    let state = ctx.state();
    match (&mut level.candidates, step) {
        (Candidates::Once(pass), _) => Ok(std::mem::take(pass)),
        (Candidates::Value(value), MatchStep::BuildPath { slot, .. }) => match value.take() {
            Some(v) => {
                set(row, *slot, v);
                Ok(true)
            }
            None => Ok(false),
        },
        (Candidates::AllNodes { next, end }, MatchStep::Scan { slot, .. }) => {
            while *next < *end {
                let id = NodeId(*next);
                *next += 1;
                ctx.guard.tick()?;
                if node_passes(ctx, id, level.labels.as_ref(), level.properties.as_ref()) {
                    set(row, *slot, V::Node(id));
                    return Ok(true);
                }
            }
            Ok(false)
        }
        (
            Candidates::Label {
                label,
                buffer,
                pos,
                next_from,
                done,
            },
            MatchStep::Scan { slot, .. },
        ) => loop {
            if *pos >= buffer.len() {
                if *done {
                    return Ok(false);
                }
                buffer.clear();
                *pos = 0;
                buffer.extend(state.nodes_with_label_from(*label, *next_from).take(CHUNK));
                match buffer.last() {
                    Some(last) if buffer.len() == CHUNK => *next_from = last.0 + 1,
                    _ => *done = true,
                }
                continue;
            }
            let id = buffer[*pos];
            *pos += 1;
            ctx.guard.tick()?;
            if node_passes(ctx, id, level.labels.as_ref(), level.properties.as_ref()) {
                set(row, *slot, V::Node(id));
                return Ok(true);
            }
        },
        (Candidates::Nodes(nodes, pos), MatchStep::Scan { slot, .. }) => {
            while *pos < nodes.len() {
                let id = nodes[*pos];
                *pos += 1;
                if node_passes(ctx, id, level.labels.as_ref(), level.properties.as_ref()) {
                    set(row, *slot, V::Node(id));
                    return Ok(true);
                }
            }
            Ok(false)
        }
        (Candidates::Expansions(list, pos), MatchStep::Expand(expand)) => {
            if *pos >= list.len() {
                return Ok(false);
            }
            let (rel, other) = list[*pos];
            *pos += 1;
            set(row, expand.rel, V::Relationship(rel));
            set(row, expand.to, V::Node(other));
            Ok(true)
        }
        (Candidates::Paths(list, pos), MatchStep::Expand(expand)) => {
            if *pos >= list.len() {
                return Ok(false);
            }
            let (mut rels, other) = (std::mem::take(&mut list[*pos].0), list[*pos].1);
            *pos += 1;
            if expand.reversed {
                rels.reverse();
            }
            set(
                row,
                expand.rel,
                V::List(rels.into_iter().map(V::Relationship).collect()),
            );
            set(row, expand.to, V::Node(other));
            Ok(true)
        }
        (Candidates::Shortest(list, pos), MatchStep::Shortest { expand, path, .. }) => {
            if *pos >= list.len() {
                return Ok(false);
            }
            let found = std::mem::replace(&mut list[*pos], Path::single(NodeId(0)));
            *pos += 1;
            set(
                row,
                expand.rel,
                V::List(
                    found
                        .relationships
                        .iter()
                        .map(|r| V::Relationship(*r))
                        .collect(),
                ),
            );
            if let Some(slot) = path {
                set(row, *slot, V::Path(Arc::new(found)));
            }
            Ok(true)
        }
        _ => Err(QueryError::new(
            QueryErrorKind::Storage,
            None,
            "internal error: pattern step and candidates disagree",
        )),
    }
}

fn expand_candidates(expand: &Expand, row: &Row, ctx: &Ctx<'_, '_>) -> ExecResult<Candidates> {
    let state = ctx.state();
    let V::Node(from) = *get(row, expand.from) else {
        return Ok(Candidates::Once(false));
    };
    let mut rel_props: Vec<(Arc<str>, V)> = Vec::new();
    for (k, e) in &expand.rel_properties {
        rel_props.push((k.clone(), eval(e, row, ctx)?));
    }
    if let Some(map) = &expand.rel_property_map {
        match map_entries(eval(map, row, ctx)?, "relationship")? {
            Some(entries) => rel_props.extend(entries),
            None => return Ok(Candidates::Once(false)),
        }
    }
    let to_labels = resolve_labels(state, &expand.to_check.labels);
    let to_props = check_properties(&expand.to_check, row, ctx)?;
    let bound_to = if expand.to_bound {
        match get(row, expand.to) {
            V::Node(n) => Some(*n),
            _ => return Ok(Candidates::Once(false)),
        }
    } else {
        None
    };
    let bound_rel = if expand.rel_bound {
        match get(row, expand.rel) {
            V::Relationship(r) => Some(vec![*r]),
            V::List(items) => Some(
                items
                    .iter()
                    .filter_map(|i| match i {
                        V::Relationship(r) => Some(*r),
                        _ => None,
                    })
                    .collect(),
            ),
            _ => return Ok(Candidates::Once(false)),
        }
    } else {
        None
    };
    let types = resolve_types(state, &expand.types);
    let direction = graph_direction(expand.direction);
    let end_ok = |n: NodeId| {
        bound_to.is_none_or(|b| b == n)
            && node_passes(ctx, n, to_labels.as_ref(), to_props.as_ref())
    };
    match expand.var_length {
        None => {
            let mut out = Vec::new();
            let keep = |rel: RelId| {
                bound_rel.as_ref().is_none_or(|b| b.first() == Some(&rel))
                    && !used_rel(row, &expand.distinct_from, rel)
                    && rel_passes(state, rel, &rel_props)
            };
            // Both ends bound: walk the relationships of the end with fewer.
            if let Some(to) = bound_to.filter(|to| {
                state.degree(*to, reverse(direction), None) < state.degree(from, direction, None)
            }) {
                if node_passes(ctx, to, to_labels.as_ref(), to_props.as_ref()) {
                    for_each_neighbor(ctx, to, reverse(direction), types.as_ref(), |rel, other| {
                        if other == from && keep(rel) {
                            out.push((rel, to));
                        }
                    });
                }
                return Ok(Candidates::Expansions(out, 0));
            }
            for_each_neighbor(ctx, from, direction, types.as_ref(), |rel, other| {
                if keep(rel) && end_ok(other) {
                    out.push((rel, other));
                }
            });
            Ok(Candidates::Expansions(out, 0))
        }
        Some((min, max)) => {
            let mut out = Vec::new();
            let mut path: Vec<RelId> = Vec::new();
            var_length_dfs(
                &VarLengthSearch {
                    state,
                    direction,
                    types: types.as_ref(),
                    rel_props: &rel_props,
                    min,
                    max,
                    row,
                    distinct_from: &expand.distinct_from,
                    ctx,
                },
                from,
                &mut path,
                &mut |rels: &[RelId], end: NodeId| {
                    if bound_rel.as_ref().is_some_and(|b| b.as_slice() != rels) {
                        return;
                    }
                    if end_ok(end) {
                        out.push((rels.to_vec(), end));
                    }
                },
            )?;
            Ok(Candidates::Paths(out, 0))
        }
    }
}

struct VarLengthSearch<'a, 'c, 'db, 'p> {
    state: &'a GraphState,
    direction: Direction,
    types: Option<&'a Vec<RelTypeId>>,
    rel_props: &'a [(Arc<str>, V)],
    min: u64,
    max: Option<u64>,
    row: &'a Row,
    distinct_from: &'a [usize],
    ctx: &'c Ctx<'db, 'p>,
}

fn var_length_dfs(
    search: &VarLengthSearch<'_, '_, '_, '_>,
    node: NodeId,
    path: &mut Vec<RelId>,
    emit: &mut dyn FnMut(&[RelId], NodeId),
) -> ExecResult<()> {
    search.ctx.guard.tick()?;
    let depth = path.len() as u64;
    if depth >= search.min {
        emit(path, node);
    }
    if search.max.is_some_and(|m| depth >= m) {
        return Ok(());
    }
    let mut next = Vec::new();
    for_each_neighbor(
        search.ctx,
        node,
        search.direction,
        search.types,
        |rel, other| {
            next.push((rel, other));
        },
    );
    for (rel, other) in next {
        if path.contains(&rel)
            || used_rel(search.row, search.distinct_from, rel)
            || !rel_passes(search.state, rel, search.rel_props)
        {
            continue;
        }
        path.push(rel);
        let result = crate::with_stack(|| var_length_dfs(search, other, path, emit));
        path.pop();
        result?;
    }
    Ok(())
}

fn part_slot(part: PathPart) -> usize {
    match part {
        PathPart::Node(s) | PathPart::Rel(s) | PathPart::RelList(s) => s,
    }
}

/// Builds a path value from the bound parts of a named path.
pub(crate) fn build_path(parts: &[PathPart], row: &Row, ctx: &Ctx<'_, '_>) -> ExecResult<V> {
    let mut nodes = Vec::new();
    let mut relationships = Vec::new();
    for part in parts {
        let rels: &[V] = match (part, get(row, part_slot(*part))) {
            (PathPart::Node(_), V::Node(n)) => {
                nodes.push(*n);
                continue;
            }
            (PathPart::Rel(_), v @ V::Relationship(_)) => std::slice::from_ref(v),
            (PathPart::RelList(_), V::List(items)) => items,
            _ => return Ok(V::Null),
        };
        for rel in rels {
            let (V::Relationship(r), Some(&last)) = (rel, nodes.last()) else {
                return Ok(V::Null);
            };
            let (start, end) = relationship_ends(ctx, *r)?;
            nodes.push(if start == last { end } else { start });
            relationships.push(*r);
        }
    }
    Ok(V::Path(Arc::new(Path {
        nodes,
        relationships,
    })))
}

/// Whether a pattern inside an expression matches.
pub(crate) fn sub_pattern_exists(
    sub: &SubPattern,
    row: &Row,
    ctx: &Ctx<'_, '_>,
) -> ExecResult<bool> {
    let mut matcher = Matcher::new(sub.pattern.clone(), row.clone());
    Ok(matcher.next(ctx)?.is_some())
}

/// The projections of every match of a pattern comprehension.
pub(crate) fn sub_pattern_collect(
    sub: &SubPattern,
    projection: &Expr,
    row: &Row,
    ctx: &Ctx<'_, '_>,
) -> ExecResult<Vec<V>> {
    let mut matcher = Matcher::new(sub.pattern.clone(), row.clone());
    let mut out = Vec::new();
    while let Some(found) = matcher.next(ctx)? {
        out.push(eval(projection, &found, ctx)?);
    }
    Ok(out)
}

/// `shortestPath` / `allShortestPaths` as an expression between two bound
/// nodes.
pub(crate) fn shortest_path(
    sub: &SubPattern,
    all: bool,
    row: &Row,
    ctx: &Ctx<'_, '_>,
) -> ExecResult<V> {
    let Some(expand) = sub.pattern.steps.iter().find_map(|s| match s {
        MatchStep::Expand(e) => Some(e),
        _ => None,
    }) else {
        return Ok(V::Null);
    };
    let (V::Node(from), V::Node(to)) = (get(row, expand.from), get(row, expand.to)) else {
        return Ok(V::Null);
    };
    let paths = shortest_paths(expand, *from, *to, all, ctx)?;
    Ok(if all {
        V::List(paths.into_iter().map(|p| V::Path(Arc::new(p))).collect())
    } else {
        paths
            .into_iter()
            .next()
            .map_or(V::Null, |p| V::Path(Arc::new(p)))
    })
}

/// The shortest paths from `from` to `to` (one, or all of that length): a
/// breadth-first search that keeps every predecessor on a shortest path.
pub(crate) fn shortest_paths(
    expand: &Expand,
    from: NodeId,
    to: NodeId,
    all: bool,
    ctx: &Ctx<'_, '_>,
) -> ExecResult<Vec<Path>> {
    let state = ctx.state();
    let types = resolve_types(state, &expand.types);
    let direction = graph_direction(expand.direction);
    let (min, max) = expand.var_length.unwrap_or((1, Some(1)));
    let mut preds: std::collections::HashMap<NodeId, Vec<(RelId, NodeId)>> =
        std::collections::HashMap::new();
    let mut seen: HashSet<NodeId> = HashSet::from([from]);
    let mut frontier: VecDeque<NodeId> = VecDeque::from([from]);
    let mut depth = 0u64;
    let mut found = from == to && min == 0;
    while !found && !frontier.is_empty() && max.is_none_or(|m| depth < m) {
        depth += 1;
        let mut next_layer = Vec::new();
        let mut layer_seen: HashSet<NodeId> = HashSet::new();
        for node in frontier.drain(..) {
            ctx.guard.tick()?;
            for_each_neighbor(ctx, node, direction, types.as_ref(), |rel, other| {
                if seen.contains(&other) {
                    return;
                }
                preds.entry(other).or_default().push((rel, node));
                if layer_seen.insert(other) {
                    next_layer.push(other);
                }
            });
        }
        for n in &next_layer {
            seen.insert(*n);
        }
        found = layer_seen.contains(&to) && depth >= min;
        frontier.extend(next_layer);
    }
    if !found {
        return Ok(Vec::new());
    }
    // Walk predecessors back from `to`.
    let mut partial: Vec<(Vec<NodeId>, Vec<RelId>)> = vec![(vec![to], Vec::new())];
    let mut complete = Vec::new();
    while let Some((nodes, rels)) = partial.pop() {
        let Some(&head) = nodes.last() else { continue };
        if head == from {
            complete.push((nodes, rels));
            if !all {
                break;
            }
            continue;
        }
        if let Some(ps) = preds.get(&head) {
            for (rel, prev) in ps {
                let mut n = nodes.clone();
                let mut r = rels.clone();
                n.push(*prev);
                r.push(*rel);
                partial.push((n, r));
            }
        }
    }
    Ok(complete
        .into_iter()
        .map(|(mut nodes, mut relationships)| {
            nodes.reverse();
            relationships.reverse();
            Path {
                nodes,
                relationships,
            }
        })
        .collect())
}
