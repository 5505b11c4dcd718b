//! Planning pattern matches: where to start, which way to expand, where
//! each `WHERE` conjunct is checked.

use std::collections::HashSet;
use std::sync::Arc;

use crate::ast::{self, ComparisonOp, Direction, ExprKind};
use crate::error::CypherError;

use super::ir::{
    Expand, ExpandDirection, MatchStep, NodeCheck, NodeSource, PathPart, PatternPlan, Slot,
};
use super::{Compiler, Scope};

type R<T> = Result<T, CypherError>;

/// A node of the pattern graph.
struct PNode {
    slot: Slot,
    name: Option<String>,
    labels: Vec<Arc<str>>,
    bound: bool,
    /// A property map given as a whole (a parameter).
    property_map: Option<ast::Expr>,
}

/// A relationship of the pattern graph.
struct PRel<'a> {
    slot: Slot,
    from: usize,
    to: usize,
    pattern: &'a ast::RelationshipPattern,
    bound: bool,
    done: bool,
}

/// A `WHERE` conjunct with the variables it reads.
struct Conjunct {
    expr: ast::Expr,
    vars: HashSet<String>,
    placed: bool,
}

fn collect_vars(e: &ast::Expr, out: &mut HashSet<String>) {
    fn element_vars(el: &ast::PatternElement, out: &mut HashSet<String>) {
        for n in el.nodes() {
            if let Some(v) = &n.variable {
                out.insert(v.name.clone());
            }
        }
        for r in el.relationships() {
            if let Some(v) = &r.variable {
                out.insert(v.name.clone());
            }
        }
    }
    e.any(&mut |x| {
        match &x.kind {
            ExprKind::Variable(v) => {
                out.insert(v.clone());
            }
            ExprKind::MapProjection(m) => {
                out.insert(m.variable.name.clone());
            }
            ExprKind::Pattern(el) => element_vars(el, out),
            ExprKind::PatternComprehension(pc) => element_vars(&pc.pattern, out),
            ExprKind::CollectSubquery(_) => {
                out.insert(" late".to_string());
            }
            ExprKind::Exists(sub) | ExprKind::CountSubquery(sub) => match sub.as_ref() {
                ast::ExistsSubquery::Pattern { pattern, .. } => {
                    for part in pattern {
                        element_vars(&part.element, out);
                    }
                }
                // A full subquery may read any variable: check it last.
                ast::ExistsSubquery::Query(_) => {
                    out.insert(" late".to_string());
                }
            },
            _ => {}
        }
        false
    });
}

fn split_and(e: &ast::Expr, out: &mut Vec<ast::Expr>) {
    if let ExprKind::Binary {
        op: ast::BinaryOp::And,
        left,
        right,
    } = &e.kind
    {
        split_and(left, out);
        split_and(right, out);
    } else {
        out.push(e.clone());
    }
}

fn property_conjuncts(
    variable: &str,
    props: &ast::Expr,
    span: ast::Span,
    out: &mut Vec<ast::Expr>,
) -> bool {
    let ExprKind::Map(entries) = &props.kind else {
        return false;
    };
    for entry in entries {
        let access = ast::Expr::new(
            ExprKind::Property {
                expr: Box::new(ast::Expr::new(
                    ExprKind::Variable(variable.to_string()),
                    span,
                )),
                key: entry.key.clone(),
            },
            span,
        );
        out.push(ast::Expr::new(
            ExprKind::Comparison {
                first: Box::new(access),
                rest: vec![(ComparisonOp::Eq, entry.value.clone())],
            },
            span,
        ));
    }
    true
}

impl Compiler<'_> {
    /// Compiles the parts of a MATCH (or a pattern inside an expression)
    /// with its `WHERE`. New variables are bound in `scope`.
    pub(crate) fn pattern(
        &mut self,
        parts: &[ast::PatternPart],
        predicate: Option<&ast::Expr>,
        scope: &mut Scope,
        shortest: bool,
    ) -> R<PatternPlan> {
        // `shortestPath(...)` parts of a MATCH are planned after the others:
        // their two end nodes must be bound by then.
        let (shortest_parts, parts): (Vec<&ast::PatternPart>, Vec<&ast::PatternPart>) = parts
            .iter()
            .partition(|p| !shortest && p.element.shortest.is_some());
        let mut nodes: Vec<PNode> = Vec::new();
        let mut rels: Vec<PRel<'_>> = Vec::new();
        let mut conjunct_exprs = Vec::new();
        let mut paths: Vec<(Slot, Vec<PathPart>)> = Vec::new();
        let mut binds = Vec::new();
        let mut part_of_node: Vec<usize> = Vec::new();
        let mut hidden = 0usize;

        for (part_index, part) in parts.iter().copied().enumerate() {
            let mut path_parts = Vec::new();
            let mut previous: Option<usize> = None;
            let element = &part.element;
            let all_nodes: Vec<&ast::NodePattern> = element.nodes().collect();
            for (i, node) in all_nodes.iter().enumerate() {
                let name = node.variable.as_ref().map(|v| v.name.clone());
                let existing = name
                    .as_ref()
                    .and_then(|n| nodes.iter().position(|p| p.name.as_deref() == Some(n)));
                let index = if let Some(index) = existing {
                    let labels: Vec<Arc<str>> =
                        node.labels.iter().map(|l| l.as_str().into()).collect();
                    nodes[index].labels.extend(labels);
                    index
                } else {
                    let (slot, bound) = match name.as_ref().and_then(|n| scope.get(n)) {
                        Some(slot) => (slot, true),
                        None => {
                            let slot = self.new_slot();
                            if let Some(n) = &name {
                                scope.bind(n, slot);
                                binds.push(slot);
                            }
                            (slot, false)
                        }
                    };
                    nodes.push(PNode {
                        slot,
                        name: name.clone(),
                        labels: node.labels.iter().map(|l| l.as_str().into()).collect(),
                        bound,
                        property_map: None,
                    });
                    part_of_node.push(part_index);
                    nodes.len() - 1
                };
                if let Some(props) = &node.properties {
                    let var = name.clone().unwrap_or_else(|| {
                        hidden += 1;
                        let n = format!("  node{}_{hidden}", self.width);
                        scope.bind(&n, nodes[index].slot);
                        nodes[index].name = Some(n.clone());
                        n
                    });
                    if !property_conjuncts(&var, props, node.span, &mut conjunct_exprs) {
                        nodes[index].property_map = Some((**props).clone());
                    }
                }
                if i == 0 {
                    path_parts.push(PathPart::Node(nodes[index].slot));
                }
                if let Some(prev) = previous {
                    let step = &element.steps[i - 1];
                    let rel = &step.relationship;
                    let rel_name = rel.variable.as_ref().map(|v| v.name.clone());
                    let (slot, bound) = match rel_name.as_ref().and_then(|n| scope.get(n)) {
                        Some(slot) => (slot, true),
                        None => {
                            let slot = self.new_slot();
                            if let Some(n) = &rel_name {
                                scope.bind(n, slot);
                                binds.push(slot);
                            }
                            (slot, false)
                        }
                    };
                    path_parts.push(if rel.length.is_some() {
                        PathPart::RelList(slot)
                    } else {
                        PathPart::Rel(slot)
                    });
                    rels.push(PRel {
                        slot,
                        from: prev,
                        to: index,
                        pattern: rel,
                        bound,
                        done: false,
                    });
                }
                previous = Some(index);
            }
            if let Some(v) = &part.variable {
                let slot = self.new_slot();
                scope.bind(&v.name, slot);
                binds.push(slot);
                paths.push((slot, path_parts));
            }
        }
        if let Some(p) = predicate {
            split_and(p, &mut conjunct_exprs);
        }
        let mut conjuncts: Vec<Conjunct> = conjunct_exprs
            .into_iter()
            .map(|expr| {
                let mut vars = HashSet::new();
                collect_vars(&expr, &mut vars);
                Conjunct {
                    expr,
                    vars,
                    placed: false,
                }
            })
            .collect();

        let mut steps = Vec::new();
        let mut bound_names: HashSet<String> = scope
            .names()
            .filter(|n| {
                !nodes
                    .iter()
                    .any(|p| p.name.as_deref() == Some(n) && !p.bound)
                    && !rels.iter().any(|r| {
                        !r.bound && r.pattern.variable.as_ref().is_some_and(|v| &v.name == n)
                    })
                    && !paths.iter().any(|(s, _)| scope.get(n) == Some(*s))
            })
            .map(str::to_string)
            .collect();
        let mut node_done = vec![false; nodes.len()];
        let mut rel_slots_bound: Vec<Slot> = Vec::new();

        // Bound nodes first: they cost nothing.
        for (i, node) in nodes.iter().enumerate() {
            if node.bound {
                steps.push(MatchStep::CheckBound {
                    slot: node.slot,
                    check: self.node_check(node, scope)?,
                });
                node_done[i] = true;
            }
        }
        self.place_filters(&mut conjuncts, &bound_names, scope, &mut steps)?;

        loop {
            // Expand from a bound node when possible.
            let next_rel = rels
                .iter()
                .position(|r| !r.done && (node_done[r.from] || node_done[r.to]));
            if let Some(ri) = next_rel {
                let reverse = !node_done[rels[ri].from];
                let (from, to) = if reverse {
                    (rels[ri].to, rels[ri].from)
                } else {
                    (rels[ri].from, rels[ri].to)
                };
                let rel = &rels[ri];
                let mut direction = match rel.pattern.direction {
                    Direction::Outgoing => ExpandDirection::Outgoing,
                    Direction::Incoming => ExpandDirection::Incoming,
                    Direction::Undirected | Direction::Both => ExpandDirection::Both,
                };
                if reverse {
                    direction = match direction {
                        ExpandDirection::Outgoing => ExpandDirection::Incoming,
                        ExpandDirection::Incoming => ExpandDirection::Outgoing,
                        ExpandDirection::Both => ExpandDirection::Both,
                    };
                }
                let var_length = rel.pattern.length.map(|l| (l.min.unwrap_or(1), l.max));
                let (rel_properties, rel_property_map) = match &rel.pattern.properties {
                    Some(p) => match &p.kind {
                        ExprKind::Map(entries) => (
                            entries
                                .iter()
                                .map(|m| Ok((m.key.as_str().into(), self.expr(&m.value, scope)?)))
                                .collect::<R<Vec<_>>>()?,
                            None,
                        ),
                        _ => (Vec::new(), Some(self.expr(p, scope)?)),
                    },
                    None => (Vec::new(), None),
                };
                let to_bound = node_done[to];
                let to_check = self.node_check(&nodes[to], scope)?;
                steps.push(MatchStep::Expand(Box::new(Expand {
                    from: nodes[from].slot,
                    rel: rel.slot,
                    to: nodes[to].slot,
                    direction,
                    types: {
                        let mut types: Vec<Arc<str>> = rel
                            .pattern
                            .types
                            .iter()
                            .map(|t| t.as_str().into())
                            .collect();
                        types.sort_unstable();
                        types.dedup();
                        types
                    },
                    rel_properties,
                    rel_property_map,
                    var_length,
                    to_bound,
                    to_check,
                    distinct_from: rel_slots_bound.clone(),
                    rel_bound: rel.bound,
                    reversed: reverse,
                })));
                rel_slots_bound.push(rel.slot);
                if let Some(v) = &rel.pattern.variable {
                    bound_names.insert(v.name.clone());
                }
                if let Some(n) = &nodes[to].name {
                    bound_names.insert(n.clone());
                }
                node_done[to] = true;
                rels[ri].done = true;
                self.place_filters(&mut conjuncts, &bound_names, scope, &mut steps)?;
                continue;
            }
            // Otherwise start a new component at its cheapest node.
            let Some(start) = self.pick_start(&nodes, &node_done, &conjuncts, &part_of_node) else {
                break;
            };
            let (source, used) =
                self.node_source(&nodes[start], &conjuncts, &bound_names, scope)?;
            if let Some(u) = used {
                conjuncts[u].placed = true;
            }
            let node = &nodes[start];
            steps.push(MatchStep::Scan {
                slot: node.slot,
                source,
                check: self.node_check(node, scope)?,
            });
            node_done[start] = true;
            if let Some(n) = &node.name {
                bound_names.insert(n.clone());
            }
            self.place_filters(&mut conjuncts, &bound_names, scope, &mut steps)?;
        }
        for (slot, parts) in paths {
            steps.push(MatchStep::BuildPath { slot, parts });
            for (name, s) in scope.entries() {
                if s == slot {
                    bound_names.insert(name.to_string());
                }
            }
            self.place_filters(&mut conjuncts, &bound_names, scope, &mut steps)?;
        }
        for part in shortest_parts {
            steps.push(self.shortest_step(part, scope)?);
            for (name, _) in scope.entries() {
                bound_names.insert(name.to_string());
            }
            self.place_filters(&mut conjuncts, &bound_names, scope, &mut steps)?;
        }
        // Whatever is left (it reads variables bound inside itself).
        for c in &mut conjuncts {
            if !c.placed {
                c.placed = true;
                steps.push(MatchStep::Filter(self.expr(&c.expr, scope)?));
            }
        }
        Ok(PatternPlan { steps, binds })
    }

    /// A `p = shortestPath((a)-[r*]-(b))` part between two bound nodes.
    fn shortest_step(&mut self, part: &ast::PatternPart, scope: &mut Scope) -> R<MatchStep> {
        let element = &part.element;
        let unsupported = |message: &str| {
            super::compile_error(
                crate::error::QueryErrorKind::SemanticError,
                None,
                message.to_string(),
                part.span.start,
            )
        };
        if element.steps.len() != 1 {
            return Err(unsupported(
                "shortestPath needs a pattern of one relationship between two nodes",
            ));
        }
        let end_slot =
            |node: &ast::NodePattern| node.variable.as_ref().and_then(|v| scope.get(&v.name));
        let (Some(from), Some(to)) = (end_slot(&element.start), end_slot(&element.steps[0].node))
        else {
            return Err(unsupported(
                "shortestPath inside MATCH needs both end nodes bound by the other patterns of the MATCH or an earlier clause",
            ));
        };
        let rel = &element.steps[0].relationship;
        let rel_slot = self.new_slot();
        if let Some(v) = &rel.variable {
            scope.bind(&v.name, rel_slot);
        }
        let path_slot = part.variable.as_ref().map(|v| {
            let slot = self.new_slot();
            scope.bind(&v.name, slot);
            slot
        });
        let direction = match rel.direction {
            Direction::Outgoing => ExpandDirection::Outgoing,
            Direction::Incoming => ExpandDirection::Incoming,
            Direction::Undirected | Direction::Both => ExpandDirection::Both,
        };
        Ok(MatchStep::Shortest {
            expand: Box::new(Expand {
                from,
                rel: rel_slot,
                to,
                direction,
                types: rel.types.iter().map(|t| t.as_str().into()).collect(),
                rel_properties: Vec::new(),
                rel_property_map: None,
                var_length: Some(
                    rel.length
                        .map_or((1, Some(1)), |l| (l.min.unwrap_or(1), l.max)),
                ),
                to_bound: true,
                to_check: NodeCheck::default(),
                distinct_from: Vec::new(),
                rel_bound: false,
                reversed: false,
            }),
            path: path_slot,
            all: element.shortest == Some(ast::ShortestPath::All),
        })
    }

    fn place_filters(
        &mut self,
        conjuncts: &mut [Conjunct],
        bound: &HashSet<String>,
        scope: &Scope,
        steps: &mut Vec<MatchStep>,
    ) -> R<()> {
        for c in conjuncts.iter_mut() {
            if !c.placed
                && c.vars
                    .iter()
                    .all(|v| bound.contains(v) || scope.get(v).is_none())
            {
                if c.vars.iter().any(|v| scope.get(v).is_none()) {
                    continue;
                }
                c.placed = true;
                steps.push(MatchStep::Filter(self.expr(&c.expr, scope)?));
            }
        }
        Ok(())
    }

    fn node_check(&mut self, node: &PNode, scope: &Scope) -> R<NodeCheck> {
        Ok(NodeCheck {
            labels: node.labels.clone(),
            properties: Vec::new(),
            property_map: node
                .property_map
                .as_ref()
                .map(|p| self.expr(p, scope))
                .transpose()?,
        })
    }

    /// The not-yet-matched node that is cheapest to start from.
    fn pick_start(
        &self,
        nodes: &[PNode],
        done: &[bool],
        conjuncts: &[Conjunct],
        _part_of_node: &[usize],
    ) -> Option<usize> {
        let mut best: Option<(u64, usize)> = None;
        for (i, node) in nodes.iter().enumerate() {
            if done[i] {
                continue;
            }
            let cost = self.start_cost(node, conjuncts);
            if best.is_none_or(|(c, _)| cost < c) {
                best = Some((cost, i));
            }
        }
        best.map(|(_, i)| i)
    }

    fn start_cost(&self, node: &PNode, conjuncts: &[Conjunct]) -> u64 {
        if self.seek_candidate(node, conjuncts).is_some() {
            return 1;
        }
        let graph = self.graph;
        node.labels
            .iter()
            .map(|l| graph.label_id(l).map_or(0, |id| graph.label_count(id)))
            .min()
            .unwrap_or_else(|| graph.node_count().saturating_add(1))
    }

    /// A conjunct `n.key = expr` (or `id(n) = expr`) usable as an index seek
    /// for `node`: its index and the label and key.
    fn seek_candidate(&self, node: &PNode, conjuncts: &[Conjunct]) -> Option<(usize, Seek)> {
        let name = node.name.as_deref()?;
        for (i, c) in conjuncts.iter().enumerate() {
            if c.placed {
                continue;
            }
            let ExprKind::Comparison { first, rest } = &c.expr.kind else {
                continue;
            };
            if rest.len() != 1 || rest[0].0 != ComparisonOp::Eq {
                continue;
            }
            let second = &rest[0].1;
            for (target, value) in [(&**first, second), (second, &**first)] {
                let mut value_vars = HashSet::new();
                collect_vars(value, &mut value_vars);
                if value_vars.contains(name) {
                    continue;
                }
                match &target.kind {
                    ExprKind::Property { expr, key } if expr.as_variable() == Some(name) => {
                        for label in &node.labels {
                            let (Some(l), Some(k)) =
                                (self.graph.label_id(label), self.graph.prop_key_id(key))
                            else {
                                continue;
                            };
                            if self.graph.has_node_index(l, k) {
                                return Some((
                                    i,
                                    Seek::Index {
                                        label: label.clone(),
                                        key: key.as_str().into(),
                                        value: value.clone(),
                                        vars: value_vars,
                                    },
                                ));
                            }
                        }
                    }
                    ExprKind::FunctionCall(call)
                        if call.name.namespace.is_empty()
                            && call.name.name.eq_ignore_ascii_case("id")
                            && call.args.len() == 1
                            && call.args[0].as_variable() == Some(name) =>
                    {
                        return Some((
                            i,
                            Seek::Id {
                                value: value.clone(),
                                vars: value_vars,
                            },
                        ));
                    }
                    _ => {}
                }
            }
        }
        None
    }

    fn node_source(
        &mut self,
        node: &PNode,
        conjuncts: &[Conjunct],
        bound: &HashSet<String>,
        scope: &Scope,
    ) -> R<(NodeSource, Option<usize>)> {
        if let Some((i, seek)) = self.seek_candidate(node, conjuncts) {
            let vars_ok = match &seek {
                Seek::Index { vars, .. } | Seek::Id { vars, .. } => vars
                    .iter()
                    .all(|v| bound.contains(v) && scope.get(v).is_some()),
            };
            if vars_ok {
                let _ = i;
                // The conjunct stays: the index compares by equivalence,
                // the filter re-checks `=` exactly.
                let source = match seek {
                    Seek::Index {
                        label, key, value, ..
                    } => NodeSource::IndexSeek {
                        label,
                        key,
                        value: self.expr(&value, scope)?,
                    },
                    Seek::Id { value, .. } => NodeSource::ById(self.expr(&value, scope)?),
                };
                return Ok((source, None));
            }
        }
        let graph = self.graph;
        let best_label = node
            .labels
            .iter()
            .min_by_key(|l| graph.label_id(l).map_or(0, |id| graph.label_count(id)));
        Ok((
            best_label.map_or(NodeSource::All, |l| NodeSource::Label(l.clone())),
            None,
        ))
    }
}

enum Seek {
    Index {
        label: Arc<str>,
        key: Arc<str>,
        value: ast::Expr,
        vars: HashSet<String>,
    },
    Id {
        value: ast::Expr,
        vars: HashSet<String>,
    },
}
