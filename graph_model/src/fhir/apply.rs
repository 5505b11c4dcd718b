//! Applying mapped resources to the graph: upserts, reference resolution,
//! stubs and their merging, and work deferred to the end of a load.

use std::collections::BTreeMap;
use std::sync::Arc;

use super::json::RefTarget;
use super::mapping::{Endpoint, EobPayer, Mapped, NodeIntent, RelIdentity, RelIntent};
use crate::error::GraphResult;
use crate::ids::{Direction, LabelId, NodeId, PropKeyId, RelTypeId};
use crate::store::WriteTxn;
use crate::value::Value;

/// Separates a source directory from an identifier in directory-scoped aliases.
const DIR_SEPARATOR: char = '\u{1f}';
/// Prefix of the alias that finds a stub by what it was referenced as.
const STUB_ALIAS: &str = "@ref:";
/// Prefix of the alias that finds a concept by a resource id (Medication).
const RESOURCE_ALIAS: &str = "@res:";

/// `prefix` then `text`, written into `buf` (emptied first): alias
/// lookups reuse one buffer instead of formatting a new string each.
fn prefixed_alias<'b>(buf: &'b mut String, prefix: &str, text: &str) -> &'b str {
    buf.clear();
    buf.push_str(prefix);
    buf.push_str(text);
    buf
}

/// An identifier scoped to the directory its record came from.
fn scoped_alias<'b>(buf: &'b mut String, dir: &str, identifier: &str) -> &'b str {
    buf.clear();
    buf.push_str(dir);
    buf.push(DIR_SEPARATOR);
    buf.push_str(identifier);
    buf
}

/// Counters of what applying did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ApplyStats {
    /// Nodes created (stubs not included).
    pub nodes_created: u64,
    /// Existing nodes matched and updated.
    pub nodes_updated: u64,
    /// Relationships created.
    pub rels_created: u64,
    /// Existing relationships matched and updated.
    pub rels_updated: u64,
    /// Stub nodes created for references that did not resolve.
    pub stubs_created: u64,
    /// Stubs that became real nodes when their resource loaded.
    pub stubs_merged: u64,
    /// Relationships dropped because a concept reference never resolved, by type.
    pub unresolved: BTreeMap<String, u64>,
    /// Relationships whose resolution waited for the end of the load.
    pub deferred: u64,
}

/// Work that waits for the end of the load.
#[derive(Clone, Debug)]
pub enum Deferred {
    /// A relationship whose endpoint was not yet resolvable.
    Rel {
        /// The relationship, with `Own` endpoints replaced by keys.
        rel: RelIntent,
        /// Source directory of the record.
        dir: Arc<str>,
    },
    /// An `ExplanationOfBenefit` payer whose Claim was not loaded yet.
    Payer(EobPayer),
}

enum Resolution {
    Node(NodeId),
    Defer,
    Drop,
}

/// Applies mapped records within one transaction.
pub struct Applier<'t, 'db> {
    txn: &'t mut WriteTxn<'db>,
    /// What applying did.
    pub stats: &'t mut ApplyStats,
    /// At the end of the load: nothing may be deferred any more.
    final_pass: bool,
    keys: KeyIds,
    scratch: String,
    names: NameCache,
}

/// Which symbol table a cached name belongs to.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
enum NameKind {
    Label,
    RelType,
    PropKey,
}

/// Symbol ids of the mapping's names, by the names' addresses. The mapping
/// names labels, relationship types and keys with `&'static str` literals,
/// so one name always comes back at one address, and an address with a
/// length names one text for the life of the program: hashing the address
/// is cheaper than hashing and comparing the text in the symbol tables,
/// which every node, relationship and property of every record asks.
#[derive(Default)]
struct NameCache(hashbrown::HashMap<(NameKind, usize, usize), u32>);

impl NameCache {
    fn id(&mut self, kind: NameKind, name: &'static str, intern: impl FnOnce() -> u32) -> u32 {
        *self
            .0
            .entry((kind, name.as_ptr() as usize, name.len()))
            .or_insert_with(intern)
    }
}

struct KeyIds {
    id: PropKeyId,
    stub: PropKeyId,
    reference: PropKeyId,
    display: PropKeyId,
}

impl<'t, 'db> Applier<'t, 'db> {
    /// An applier over `txn`.
    pub fn new(txn: &'t mut WriteTxn<'db>, stats: &'t mut ApplyStats, final_pass: bool) -> Self {
        let keys = KeyIds {
            id: txn.prop_key("id"),
            stub: txn.prop_key("stub"),
            reference: txn.prop_key("ref"),
            display: txn.prop_key("display"),
        };
        Applier {
            txn,
            stats,
            final_pass,
            keys,
            scratch: String::new(),
            names: NameCache::default(),
        }
    }

    /// The id of a label named by the mapping.
    fn label(&mut self, name: &'static str) -> LabelId {
        let txn = &mut *self.txn;
        LabelId(self.names.id(NameKind::Label, name, || txn.label(name).0))
    }

    /// The id of a relationship type named by the mapping.
    fn rel_type(&mut self, name: &'static str) -> RelTypeId {
        let txn = &mut *self.txn;
        RelTypeId(
            self.names
                .id(NameKind::RelType, name, || txn.rel_type(name).0),
        )
    }

    /// The id of a property key named by the mapping.
    fn prop_key(&mut self, name: &'static str) -> PropKeyId {
        let txn = &mut *self.txn;
        PropKeyId(
            self.names
                .id(NameKind::PropKey, name, || txn.prop_key(name).0),
        )
    }

    /// Applies one record; returns what must wait for the end of the load.
    pub fn apply(&mut self, mapped: &Mapped, dir: &Arc<str>) -> GraphResult<Vec<Deferred>> {
        let mut own = Vec::with_capacity(mapped.nodes.len());
        for intent in &mapped.nodes {
            own.push(self.upsert_node(intent, dir)?);
        }
        let mut deferred = Vec::new();
        for rel in &mapped.rels {
            if let Some(d) = self.apply_rel(rel, &own, &mapped.nodes, dir)? {
                deferred.push(d);
            }
        }
        if let Some(payer) = &mapped.eob_payer {
            if let Some(d) = self.apply_payer(payer)? {
                deferred.push(d);
            }
        }
        Ok(deferred)
    }

    /// Applies deferred work.
    pub fn apply_deferred(&mut self, item: &Deferred) -> GraphResult<Option<Deferred>> {
        match item {
            Deferred::Rel { rel, dir } => self.apply_rel(rel, &[], &[], dir),
            Deferred::Payer(payer) => self.apply_payer(payer),
        }
    }

    fn apply_payer(&mut self, payer: &EobPayer) -> GraphResult<Option<Deferred>> {
        let claim_label = self.label("Claim");
        let claim = self.txn.view().find_node(
            claim_label,
            self.keys.id,
            &Value::from(payer.claim_id.clone()),
        );
        let Some(claim) = claim else {
            if self.final_pass {
                *self.stats.unresolved.entry("PAID_BY".into()).or_default() += 1;
                return Ok(None);
            }
            self.stats.deferred += 1;
            return Ok(Some(Deferred::Payer(payer.clone())));
        };
        let paid_by = self.rel_type("PAID_BY");
        if self
            .txn
            .view()
            .degree(claim, Direction::Outgoing, Some(paid_by))
            > 0
        {
            return Ok(None);
        }
        let payer_node = self.upsert_node(
            &NodeIntent {
                label: "Payer",
                key_prop: "name",
                key: Value::from(payer.payer.clone()),
                props: Vec::new(),
                concept: false,
                identifiers: Vec::new(),
                resource_alias: None,
            },
            &Arc::from(""),
        )?;
        self.txn
            .create_rel_with_ids(claim, paid_by, payer_node, Vec::new())?;
        self.stats.rels_created += 1;
        Ok(None)
    }

    fn upsert_node(&mut self, intent: &NodeIntent, dir: &Arc<str>) -> GraphResult<NodeId> {
        let label = self.label(intent.label);
        let key = self.prop_key(intent.key_prop);
        let existing = self.txn.view().find_node(label, key, &intent.key);
        let node = if let Some(node) = existing {
            self.stats.nodes_updated += 1;
            node
        } else {
            let mut stubs: Vec<NodeId> = Vec::new();
            if let Some(text) = intent.key.as_str() {
                stubs.extend_from_slice(self.stub_alias_nodes(label, text));
            }
            for ident in &intent.identifiers {
                let found = self.stub_alias_nodes(label, ident).to_vec();
                stubs.extend(found);
            }
            stubs.sort_unstable();
            stubs.dedup();
            if let Some((&target, others)) = stubs.split_first() {
                self.unstub(label, target)?;
                for other in others {
                    self.unstub(label, *other)?;
                    self.merge_into(*other, target)?;
                }
                self.stats.stubs_merged += stubs.len() as u64;
                self.stats.nodes_created += 1;
                self.txn
                    .set_node_property_id(target, key, intent.key.clone())?;
                target
            } else {
                // A new node gets all its properties in one operation.
                self.stats.nodes_created += 1;
                let mut props = Vec::with_capacity(intent.props.len() + 1);
                props.push((key, intent.key.clone()));
                for (name, value) in &intent.props {
                    props.push((self.prop_key(name), value.clone()));
                }
                let node = self.txn.create_node_with_ids(vec![label], props)?;
                self.add_aliases(intent, label, node, dir)?;
                return Ok(node);
            }
        };
        for (name, value) in &intent.props {
            let prop = self.prop_key(name);
            if intent.concept && prop == self.keys.display {
                let keep_current = self
                    .txn
                    .view()
                    .node(node)
                    .and_then(|r| r.property(prop))
                    .and_then(Value::as_str)
                    .zip(value.as_str())
                    .is_some_and(|(current, new)| {
                        let (current_len, new_len) = (current.chars().count(), new.chars().count());
                        current_len > new_len || (current_len == new_len && current <= new)
                    });
                if keep_current {
                    continue;
                }
            }
            self.txn.set_node_property_id(node, prop, value.clone())?;
        }
        self.add_aliases(intent, label, node, dir)?;
        Ok(node)
    }

    fn add_aliases(
        &mut self,
        intent: &NodeIntent,
        label: LabelId,
        node: NodeId,
        dir: &Arc<str>,
    ) -> GraphResult<()> {
        for ident in &intent.identifiers {
            self.txn.add_alias(label, ident, node)?;
            self.txn
                .add_alias(label, scoped_alias(&mut self.scratch, dir, ident), node)?;
        }
        if let Some(resource_id) = &intent.resource_alias {
            self.txn.add_alias(
                label,
                prefixed_alias(&mut self.scratch, RESOURCE_ALIAS, resource_id),
                node,
            )?;
        }
        Ok(())
    }

    /// Stubs standing for `reference` under `label` (no allocation).
    fn stub_alias_nodes(&mut self, label: LabelId, reference: &str) -> &[NodeId] {
        let alias = prefixed_alias(&mut self.scratch, STUB_ALIAS, reference);
        self.txn.view().alias_nodes(label, alias)
    }

    /// Turns a stub into a plain node (its resource has arrived).
    fn unstub(&mut self, label: LabelId, node: NodeId) -> GraphResult<()> {
        let reference = self
            .txn
            .view()
            .node(node)
            .and_then(|r| r.property(self.keys.reference))
            .and_then(Value::as_str)
            .map(str::to_owned);
        if let Some(reference) = reference {
            self.txn.remove_alias(
                label,
                prefixed_alias(&mut self.scratch, STUB_ALIAS, &reference),
                node,
            )?;
        }
        self.txn
            .set_node_property_id(node, self.keys.stub, Value::Null)?;
        self.txn
            .set_node_property_id(node, self.keys.reference, Value::Null)?;
        Ok(())
    }

    /// Moves every relationship of `from` to `into`, then deletes `from`.
    fn merge_into(&mut self, from: NodeId, into: NodeId) -> GraphResult<()> {
        let Some(record) = self.txn.view().node(from) else {
            return Ok(());
        };
        let mut moves = Vec::new();
        for e in record.outgoing() {
            moves.push((e.rel, true, e.other));
        }
        for e in record.incoming() {
            if e.other != from {
                moves.push((e.rel, false, e.other));
            }
        }
        for (rel, outgoing, other) in moves {
            let Some(r) = self.txn.view().rel(rel) else {
                continue;
            };
            let rel_type = r.rel_type();
            let props: Vec<(PropKeyId, Value)> =
                r.properties().iter().map(|(k, v)| (k, v.clone())).collect();
            self.txn.delete_rel(rel)?;
            let other = if other == from { into } else { other };
            if outgoing {
                self.txn.create_rel_with_ids(into, rel_type, other, props)?;
            } else {
                self.txn.create_rel_with_ids(other, rel_type, into, props)?;
            }
        }
        self.txn.delete_node(from)
    }

    fn resolve(
        &mut self,
        endpoint: &Endpoint,
        own: &[NodeId],
        own_intents: &[NodeIntent],
        dir: &Arc<str>,
    ) -> GraphResult<Resolution> {
        Ok(match endpoint {
            Endpoint::Own(i) => match own.get(*i) {
                Some(node) => Resolution::Node(*node),
                None => match own_intents.get(*i) {
                    Some(intent) => self.find_key(intent.label, intent.key_prop, &intent.key),
                    None => Resolution::Drop,
                },
            },
            Endpoint::Key {
                label,
                key_prop,
                key,
            } => self.find_key(label, key_prop, key),
            Endpoint::Ref { label, target } => self.resolve_ref(label, target, dir)?,
            Endpoint::ConditionOf(condition_id) => {
                let has_condition = self.rel_type("HAS_CONDITION");
                let found = self
                    .txn
                    .view()
                    .find_rel(
                        has_condition,
                        self.keys.id,
                        &Value::from(condition_id.clone()),
                    )
                    .and_then(|r| self.txn.view().rel(r))
                    .map(crate::store::RelRecord::end);
                match found {
                    Some(node) => Resolution::Node(node),
                    None if self.final_pass => Resolution::Drop,
                    None => Resolution::Defer,
                }
            }
            Endpoint::MedicationResource(resource_id) => {
                let label = self.label("Medication");
                let found = self
                    .txn
                    .view()
                    .alias_nodes(
                        label,
                        prefixed_alias(&mut self.scratch, RESOURCE_ALIAS, resource_id),
                    )
                    .first()
                    .copied();
                match found {
                    Some(node) => Resolution::Node(node),
                    None if self.final_pass => Resolution::Drop,
                    None => Resolution::Defer,
                }
            }
        })
    }

    fn find_key(&mut self, label: &'static str, key_prop: &'static str, key: &Value) -> Resolution {
        let label = self.label(label);
        let key_prop = self.prop_key(key_prop);
        match self.txn.view().find_node(label, key_prop, key) {
            Some(node) => Resolution::Node(node),
            None => Resolution::Drop,
        }
    }

    fn resolve_ref(
        &mut self,
        label_name: &'static str,
        target: &RefTarget,
        dir: &Arc<str>,
    ) -> GraphResult<Resolution> {
        let label = self.label(label_name);
        match target {
            RefTarget::Id(id) => {
                if let Some(node) =
                    self.txn
                        .view()
                        .find_node(label, self.keys.id, &Value::from(id.clone()))
                {
                    return Ok(Resolution::Node(node));
                }
            }
            RefTarget::Identifier(ident) => {
                // `smallest_by_id` borrows all of `self`: lend it the buffer.
                let mut buf = std::mem::take(&mut self.scratch);
                let same_dir = self.smallest_by_id(label, scoped_alias(&mut buf, dir, ident));
                self.scratch = buf;
                if let Some(node) = same_dir {
                    return Ok(Resolution::Node(node));
                }
                if !self.final_pass {
                    return Ok(Resolution::Defer);
                }
                if let Some(node) = self.smallest_by_id(label, ident) {
                    return Ok(Resolution::Node(node));
                }
            }
        }
        let reference = target.as_ref_text();
        if let Some(stub) = self
            .txn
            .view()
            .alias_nodes(
                label,
                prefixed_alias(&mut self.scratch, STUB_ALIAS, reference),
            )
            .first()
            .copied()
        {
            return Ok(Resolution::Node(stub));
        }
        let stub = self.txn.create_node_with_ids(
            vec![label],
            vec![
                (self.keys.stub, Value::Boolean(true)),
                (self.keys.reference, Value::from(reference)),
            ],
        )?;
        self.txn.add_alias(
            label,
            prefixed_alias(&mut self.scratch, STUB_ALIAS, reference),
            stub,
        )?;
        self.stats.stubs_created += 1;
        Ok(Resolution::Node(stub))
    }

    /// Among the nodes an alias names, the one with the smallest `id`.
    fn smallest_by_id(&self, label: LabelId, alias: &str) -> Option<NodeId> {
        let view = self.txn.view();
        view.alias_nodes(label, alias)
            .iter()
            .copied()
            .min_by(|a, b| {
                let id_a = view.node(*a).and_then(|r| r.property(self.keys.id));
                let id_b = view.node(*b).and_then(|r| r.property(self.keys.id));
                match (id_a, id_b) {
                    (Some(x), Some(y)) => x.cmp_order(y),
                    _ => a.cmp(b),
                }
            })
    }

    fn apply_rel(
        &mut self,
        intent: &RelIntent,
        own: &[NodeId],
        own_intents: &[NodeIntent],
        dir: &Arc<str>,
    ) -> GraphResult<Option<Deferred>> {
        let from = self.resolve(&intent.from, own, own_intents, dir)?;
        let to = self.resolve(&intent.to, own, own_intents, dir)?;
        let (from, to) = match (from, to) {
            (Resolution::Node(f), Resolution::Node(t)) => (f, t),
            (Resolution::Drop, _) | (_, Resolution::Drop) => {
                *self
                    .stats
                    .unresolved
                    .entry(intent.rel_type.to_owned())
                    .or_default() += 1;
                return Ok(None);
            }
            _ => {
                self.stats.deferred += 1;
                let keyed = |e: &Endpoint| match e {
                    Endpoint::Own(i) => own_intents.get(*i).map_or_else(
                        || e.clone(),
                        |n| Endpoint::Key {
                            label: n.label,
                            key_prop: n.key_prop,
                            key: n.key.clone(),
                        },
                    ),
                    other => other.clone(),
                };
                let mut rel = intent.clone();
                rel.from = keyed(&intent.from);
                rel.to = keyed(&intent.to);
                return Ok(Some(Deferred::Rel {
                    rel,
                    dir: dir.clone(),
                }));
            }
        };
        let rel_type = self.rel_type(intent.rel_type);
        let props: Vec<(PropKeyId, Value)> = intent
            .props
            .iter()
            .map(|(k, v)| (self.prop_key(k), v.clone()))
            .collect();
        let existing = match &intent.identity {
            RelIdentity::Id(id) => {
                let found =
                    self.txn
                        .view()
                        .find_rel(rel_type, self.keys.id, &Value::from(id.clone()));
                match found {
                    Some(rel) => {
                        let same_ends = self
                            .txn
                            .view()
                            .rel(rel)
                            .is_some_and(|r| r.start() == from && r.end() == to);
                        if same_ends {
                            Some(rel)
                        } else {
                            self.txn.delete_rel(rel)?;
                            None
                        }
                    }
                    None => None,
                }
            }
            RelIdentity::Endpoints => self.txn.view().first_rel_between(from, rel_type, to),
            RelIdentity::EndpointsAnd(prop) => {
                let prop = self.prop_key(prop);
                let wanted = props
                    .iter()
                    .find(|(k, _)| *k == prop)
                    .map(|(_, v)| v.clone());
                let view = self.txn.view();
                view.rels_between(from, rel_type, to)
                    .into_iter()
                    .find(|r| view.rel(*r).and_then(|rec| rec.property(prop)).cloned() == wanted)
            }
        };
        if let Some(rel) = existing {
            for (key, value) in props {
                self.txn.set_rel_property_id(rel, key, value)?;
            }
            self.stats.rels_updated += 1;
        } else {
            self.txn.create_rel_with_ids(from, rel_type, to, props)?;
            self.stats.rels_created += 1;
        }
        Ok(None)
    }
}
