//! Access control inside the engine, below every door that runs Cypher.
//!
//! An [`AccessPolicy`] given in [`crate::QueryOptions::policy`] changes what
//! a query can see, where queries meet the graph:
//!
//! - **Row level** ([`SubjectScope`]): *subject* nodes (e.g. patients) out
//!   of scope, and the nodes they own (e.g. their encounters), do not exist
//!   for the query. Scans, index seeks, id seeks, expansions, variable-length
//!   paths and shortest paths skip them, so they show up nowhere: not in
//!   rows, counts, `collect()`, paths, or relationships from visible nodes.
//!   A relationship is visible only when both of its ends are.
//! - **Property level** ([`PropertyMask`]): properties of some labels read
//!   as hidden (absent: `null`, and not in `keys()`), as a year, as a
//!   prefix, or replaced (pseudonyms). The mask applies to every read:
//!   `n.key`, `properties(n)`, map projections, pattern property checks,
//!   index seeks, and the nodes and relationships handed back in results.
//! - **Touched subjects**: with [`AccessPolicy::track_touched`], the query
//!   records which subject nodes it read properties of or returned (for an
//!   audit trail), in [`crate::QueryOutput::touched_subjects`].
//! - **Writes**: a write that creates or changes a subject (or owned) node
//!   that is out of scope when the query ends fails as
//!   [`crate::QueryErrorKind::Forbidden`], and nothing is written.
//!
//! The policy is generic: which label is the subject and which labels it
//! owns (through which relationship type) are data ([`SubjectModel`]).

use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;

use chrono::Datelike;
use graph_model::{GraphState, NodeId, Value};

/// A function deciding whether a subject node created after a scope was
/// computed belongs to it (looked at in the graph it was created in).
pub type AdmitFn = dyn Fn(&GraphState, NodeId) -> bool + Send + Sync;

/// A function replacing a property value (e.g. a keyed pseudonym).
pub type ReplaceFn = dyn Fn(&Value) -> Value + Send + Sync;

/// A function finding the stored value that reads as a shown one (e.g. the
/// id behind a pseudonym), so an index seek on a replaced key stays a seek.
pub type InvertFn = dyn Fn(&GraphState, &Value) -> Option<Value> + Send + Sync;

/// Which nodes are subjects (whose records are protected) and which nodes
/// belong to one subject.
#[derive(Clone, Debug)]
pub struct SubjectModel {
    /// The subject label, e.g. `Patient`.
    pub label: Arc<str>,
    /// Labels owned by one subject, each with the relationship type that
    /// points from the subject to it (e.g. `Encounter` via
    /// `HAD_ENCOUNTER`).
    pub owned: Vec<OwnedLabel>,
}

/// A label whose nodes belong to one subject.
#[derive(Clone, Debug)]
pub struct OwnedLabel {
    /// The owned label.
    pub label: Arc<str>,
    /// The relationship type from the subject to the owned node.
    pub via: Arc<str>,
}

/// The subject nodes a query may see, as a bit set over node ids, computed
/// on one graph version.
pub struct SubjectScope {
    bits: Vec<u64>,
    bound: u32,
    count: usize,
    admit_new: Option<Arc<AdmitFn>>,
}

impl fmt::Debug for SubjectScope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SubjectScope")
            .field("subjects", &self.count)
            .field("bound", &self.bound)
            .finish_non_exhaustive()
    }
}

impl SubjectScope {
    /// A scope holding `visible`, computed on a graph whose node ids are
    /// below `bound`. Subject nodes with ids at or above `bound` (created
    /// later) are asked of `admit_new`, or are out of scope without it.
    pub fn new(
        bound: u32,
        visible: impl IntoIterator<Item = NodeId>,
        admit_new: Option<Arc<AdmitFn>>,
    ) -> SubjectScope {
        let mut bits = vec![0u64; (bound as usize).div_ceil(64)];
        let mut count = 0;
        for id in visible {
            let i = id.0 as usize;
            if let Some(word) = bits.get_mut(i / 64) {
                let mask = 1u64 << (i % 64);
                if *word & mask == 0 {
                    *word |= mask;
                    count += 1;
                }
            }
        }
        SubjectScope {
            bits,
            bound,
            count,
            admit_new,
        }
    }

    /// How many subjects the scope holds.
    pub fn len(&self) -> usize {
        self.count
    }

    /// `true` when the scope holds no subject.
    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// `true` when the subject node `id` is in scope in `state`.
    pub fn admits(&self, state: &GraphState, id: NodeId) -> bool {
        if id.0 >= self.bound {
            return self.admit_new.as_ref().is_some_and(|f| f(state, id));
        }
        let i = id.0 as usize;
        self.bits
            .get(i / 64)
            .is_some_and(|w| w & (1u64 << (i % 64)) != 0)
    }
}

/// How a masked property reads.
#[derive(Clone)]
pub enum MaskRule {
    /// Absent: `null`, and left out of `keys()` and `properties()`.
    Hide,
    /// A date or datetime reads as its year (an integer); years before
    /// `floor` read as `floor` (one group for everyone born before it).
    Year {
        /// The smallest year shown.
        floor: Option<i32>,
    },
    /// A string reads as its first `keep` characters.
    Prefix {
        /// Characters kept.
        keep: usize,
    },
    /// The value is replaced by a function of it (e.g. a keyed pseudonym).
    Replace(Arc<ReplaceFn>),
    /// Like [`MaskRule::Replace`], with the inverse for index seeks.
    ReplaceInvertible(Arc<ReplaceFn>, Arc<InvertFn>),
}

impl fmt::Debug for MaskRule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            MaskRule::Hide => f.write_str("Hide"),
            MaskRule::Year { floor } => f.debug_struct("Year").field("floor", floor).finish(),
            MaskRule::Prefix { keep } => f.debug_struct("Prefix").field("keep", keep).finish(),
            MaskRule::Replace(_) => f.write_str("Replace(..)"),
            MaskRule::ReplaceInvertible(..) => f.write_str("ReplaceInvertible(..)"),
        }
    }
}

impl MaskRule {
    /// The value as the rule shows it (`None`: hidden).
    pub fn apply(&self, value: &Value) -> Option<Value> {
        match self {
            MaskRule::Hide => None,
            MaskRule::Year { floor } => {
                let year = match value {
                    Value::Date(d) => d.year(),
                    Value::DateTime(d) => d.year(),
                    Value::LocalDateTime(d) => d.year(),
                    Value::ZonedDateTime(z) => z.datetime.year(),
                    _ => return None,
                };
                let year = floor.map_or(year, |f| year.max(f));
                Some(Value::Integer(i64::from(year)))
            }
            MaskRule::Prefix { keep } => match value {
                Value::String(s) => Some(Value::String(
                    s.chars().take(*keep).collect::<String>().into(),
                )),
                _ => None,
            },
            MaskRule::Replace(f) | MaskRule::ReplaceInvertible(f, _) => Some(f(value)),
        }
    }

    /// The stored value that reads as `shown`, when the rule can tell
    /// (`None`: it cannot, or no stored value does).
    pub fn invert(&self, state: &GraphState, shown: &Value) -> Option<Value> {
        match self {
            MaskRule::ReplaceInvertible(_, invert) => invert(state, shown),
            _ => None,
        }
    }

    /// `true` when [`MaskRule::invert`] can answer.
    pub fn invertible(&self) -> bool {
        matches!(self, MaskRule::ReplaceInvertible(..))
    }
}

/// Property rules per label.
#[derive(Clone, Debug, Default)]
pub struct PropertyMask {
    rules: HashMap<Arc<str>, HashMap<Arc<str>, MaskRule>>,
}

impl PropertyMask {
    /// An empty mask.
    pub fn new() -> PropertyMask {
        PropertyMask::default()
    }

    /// Adds (or replaces) the rule for `label.key`.
    #[must_use]
    pub fn with(mut self, label: &str, key: &str, rule: MaskRule) -> PropertyMask {
        self.rules
            .entry(Arc::from(label))
            .or_default()
            .insert(Arc::from(key), rule);
        self
    }

    /// The rule for `key` on a node with these labels (the first label
    /// with a rule for the key wins).
    pub fn rule<S: AsRef<str>>(
        &self,
        labels: impl IntoIterator<Item = S>,
        key: &str,
    ) -> Option<&MaskRule> {
        labels
            .into_iter()
            .find_map(|l| self.rules.get(l.as_ref()).and_then(|r| r.get(key)))
    }

    /// Every (label, key, rule).
    pub fn rules(&self) -> impl Iterator<Item = (&str, &str, &MaskRule)> + '_ {
        self.rules
            .iter()
            .flat_map(|(l, r)| r.iter().map(move |(k, rule)| (&**l, &**k, rule)))
    }

    /// The properties of a node with `labels`, masked: hidden ones left
    /// out, the others as their rule shows them.
    pub fn apply_all<S: AsRef<str>>(
        &self,
        labels: &[S],
        properties: impl IntoIterator<Item = (Arc<str>, Value)>,
    ) -> Vec<(Arc<str>, Value)> {
        properties
            .into_iter()
            .filter_map(
                |(k, v)| match self.rule(labels.iter().map(AsRef::as_ref), &k) {
                    None => Some((k, v)),
                    Some(rule) => rule.apply(&v).map(|v| (k, v)),
                },
            )
            .collect()
    }
}

/// What a query may see and do (see the module docs).
#[derive(Clone, Debug)]
pub struct AccessPolicy {
    /// Which label is the subject and which labels it owns.
    pub subjects: SubjectModel,
    /// Row level: the subjects visible (`None`: all).
    pub scope: Option<Arc<SubjectScope>>,
    /// Property level: masked properties (`None`: none).
    pub mask: Option<Arc<PropertyMask>>,
    /// Record the subjects the query touched.
    pub track_touched: bool,
}

impl AccessPolicy {
    /// A policy that sees everything and records touched subjects.
    pub fn audit_only(subjects: SubjectModel) -> AccessPolicy {
        AccessPolicy {
            subjects,
            scope: None,
            mask: None,
            track_touched: true,
        }
    }
}
