//! The access policy of one query, resolved against the graph it runs on:
//! which nodes exist for it, how properties read, which subjects it
//! touched, and whether its writes stayed in scope.

use std::cell::{Cell, RefCell};
use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use graph_model::{
    Direction, GraphState, LabelId, NodeId, NodeRecord, PropKeyId, RelId, RelTypeId,
};

use crate::error::{QueryError, QueryErrorKind};
use crate::security::{AccessPolicy, MaskRule};
use crate::value::CypherValue;

use super::ExecResult;

type V = CypherValue;

/// Where a node stands towards the subjects.
enum Subjecthood {
    /// Not subject-level data (a practitioner, a medication).
    Free,
    /// The subject itself, or a node owned by it.
    Of(NodeId),
    /// An owned label without an owner.
    Orphan,
}

/// The policy, resolved to ids of one graph version.
pub(crate) struct Access {
    pub(crate) policy: Arc<AccessPolicy>,
    subject: Option<LabelId>,
    owned: Vec<(LabelId, Option<RelTypeId>)>,
    masked: HashMap<(LabelId, PropKeyId), MaskRule>,
    masked_labels: Vec<LabelId>,
    touched: RefCell<HashSet<NodeId>>,
    /// Above zero while a filter is evaluated (reads are not noted).
    quiet: Cell<u32>,
    /// Nodes the query created or changed.
    written: RefCell<Vec<NodeId>>,
}

impl Access {
    pub(crate) fn new(policy: Arc<AccessPolicy>, state: &GraphState) -> Access {
        let subject = state.label_id(&policy.subjects.label);
        let owned = policy
            .subjects
            .owned
            .iter()
            .filter_map(|o| Some((state.label_id(&o.label)?, state.rel_type_id(&o.via))))
            .collect();
        let mut masked = HashMap::new();
        let mut masked_labels = Vec::new();
        if let Some(mask) = &policy.mask {
            for (label, key, rule) in mask.rules() {
                if let (Some(l), Some(k)) = (state.label_id(label), state.prop_key_id(key)) {
                    masked.insert((l, k), rule.clone());
                    if !masked_labels.contains(&l) {
                        masked_labels.push(l);
                    }
                }
            }
        }
        Access {
            policy,
            subject,
            owned,
            masked,
            masked_labels,
            touched: RefCell::new(HashSet::new()),
            quiet: Cell::new(0),
            written: RefCell::new(Vec::new()),
        }
    }

    fn subjecthood(&self, state: &GraphState, id: NodeId, record: &NodeRecord) -> Subjecthood {
        if self.subject.is_some_and(|s| record.has_label(s)) {
            return Subjecthood::Of(id);
        }
        for (label, via) in &self.owned {
            if record.has_label(*label) {
                let Some(via) = via else {
                    return Subjecthood::Orphan;
                };
                return state
                    .neighbors(id, Direction::Incoming, Some(*via))
                    .map(|n| n.other)
                    .find(|o| {
                        self.subject
                            .is_some_and(|s| state.node(*o).is_some_and(|r| r.has_label(s)))
                    })
                    .map_or(Subjecthood::Orphan, Subjecthood::Of);
            }
        }
        Subjecthood::Free
    }

    /// `true` when the node exists for the query (a node that is gone is
    /// left to the caller).
    pub(crate) fn node_visible(&self, state: &GraphState, id: NodeId) -> bool {
        let Some(scope) = &self.policy.scope else {
            return true;
        };
        let Some(record) = state.node(id) else {
            return true;
        };
        match self.subjecthood(state, id, record) {
            Subjecthood::Free => true,
            Subjecthood::Of(subject) => scope.admits(state, subject),
            Subjecthood::Orphan => false,
        }
    }

    /// The mask rule of `key` on this node, if any.
    pub(crate) fn rule(&self, record: &NodeRecord, key: PropKeyId) -> Option<&MaskRule> {
        if self.masked.is_empty() {
            return None;
        }
        self.masked_labels
            .iter()
            .filter(|l| record.has_label(**l))
            .find_map(|l| self.masked.get(&(*l, key)))
    }

    /// The rule masking `label.key` (by name), if any.
    pub(crate) fn mask_rule(&self, label: &str, key: &str) -> Option<&MaskRule> {
        self.policy.mask.as_ref().and_then(|m| m.rule([label], key))
    }

    /// Stops noting reads until the guard is dropped (for filters).
    pub(crate) fn quiet(&self) -> QuietGuard<'_> {
        self.quiet.set(self.quiet.get() + 1);
        QuietGuard(&self.quiet)
    }

    /// Records that the query read or returned this node.
    pub(crate) fn note_node(&self, state: &GraphState, id: NodeId) {
        if !self.policy.track_touched || self.quiet.get() > 0 {
            return;
        }
        let Some(record) = state.node(id) else {
            return;
        };
        if let Subjecthood::Of(subject) = self.subjecthood(state, id, record) {
            self.touched.borrow_mut().insert(subject);
        }
    }

    /// Records that the query read or returned this relationship (its
    /// ends).
    pub(crate) fn note_rel(&self, state: &GraphState, id: RelId) {
        if !self.policy.track_touched {
            return;
        }
        if let Some(record) = state.rel(id) {
            self.note_node(state, record.start());
            self.note_node(state, record.end());
        }
    }

    /// Records the nodes and relationships inside a result value (also
    /// inside a filter: results are always shown).
    pub(crate) fn note_value(&self, state: &GraphState, value: &V) {
        if !self.policy.track_touched {
            return;
        }
        match value {
            V::Node(_) | V::Relationship(_) | V::Path(_) => {
                let quiet = self.quiet.replace(0);
                match value {
                    V::Node(id) => self.note_node(state, *id),
                    V::Relationship(id) => self.note_rel(state, *id),
                    V::Path(p) => {
                        for n in &p.nodes {
                            self.note_node(state, *n);
                        }
                    }
                    _ => {}
                }
                self.quiet.set(quiet);
            }
            V::List(items) => {
                for i in items.iter() {
                    self.note_value(state, i);
                }
            }
            V::Map(m) => {
                for v in m.values() {
                    self.note_value(state, v);
                }
            }
            _ => {}
        }
    }

    /// Records a node the query created or changed (checked against the
    /// scope when the query ends).
    pub(crate) fn note_written(&self, id: NodeId) {
        if self.policy.scope.is_some() {
            self.written.borrow_mut().push(id);
        }
    }

    /// The subjects touched, in id order.
    pub(crate) fn take_touched(&self) -> Vec<NodeId> {
        let mut out: Vec<NodeId> = self.touched.borrow_mut().drain().collect();
        out.sort_unstable();
        out
    }

    /// Fails when a node the query wrote is out of scope in `state` (the
    /// graph with the query's changes).
    pub(crate) fn check_writes(&self, state: &GraphState) -> ExecResult<()> {
        let written = self.written.borrow();
        if self.policy.scope.is_none() || written.is_empty() {
            return Ok(());
        }
        // Labels and types the query itself created are known only now.
        let resolved = Access::new(self.policy.clone(), state);
        for id in written.iter() {
            if state.node(*id).is_some() && !resolved.node_visible(state, *id) {
                return Err(QueryError::new(
                    QueryErrorKind::Forbidden,
                    None,
                    format!(
                        "The query writes a {} record outside your scope; nothing was written",
                        self.policy.subjects.label
                    ),
                ));
            }
        }
        Ok(())
    }
}

/// Ends a quiet stretch of [`Access::quiet`] when dropped.
pub(crate) struct QuietGuard<'a>(&'a Cell<u32>);

impl Drop for QuietGuard<'_> {
    fn drop(&mut self) {
        self.0.set(self.0.get().saturating_sub(1));
    }
}
