//! The commit feed: listeners told, after each commit, which nodes it
//! changed. Servers use it for subscriptions (new prescriptions and claims,
//! whatever door they came through) and to drop cached answers that a
//! change made stale.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;

use parking_lot::RwLock;

use super::state::GraphState;
use crate::ids::NodeId;

/// What one committed transaction changed.
#[derive(Debug, Clone)]
pub struct CommitEvent {
    /// The transaction's log sequence number.
    pub lsn: u64,
    /// A version that includes the transaction (possibly a newer one).
    pub state: Arc<GraphState>,
    /// Nodes the transaction created, in creation order.
    pub created_nodes: Vec<NodeId>,
    /// Every node whose labels, properties or relationships changed
    /// (created, updated, deleted, or an end of a relationship that was
    /// created, changed or deleted), each once, in first-touched order.
    pub touched_nodes: Vec<NodeId>,
}

/// A registered listener, returned by `Database::subscribe`; pass it to
/// `Database::unsubscribe` to stop.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ListenerId(u64);

type Listener = Arc<dyn Fn(&CommitEvent) + Send + Sync>;

/// The listeners of one database.
#[derive(Default)]
pub(crate) struct Feed {
    listeners: RwLock<Vec<(ListenerId, Listener)>>,
    /// Set while anyone listens: transactions only track touched nodes then.
    active: AtomicBool,
    next_id: AtomicU64,
}

impl Feed {
    pub(crate) fn is_active(&self) -> bool {
        self.active.load(Ordering::Acquire)
    }

    pub(crate) fn subscribe(&self, listener: Listener) -> ListenerId {
        let id = ListenerId(self.next_id.fetch_add(1, Ordering::Relaxed));
        let mut listeners = self.listeners.write();
        listeners.push((id, listener));
        self.active.store(true, Ordering::Release);
        id
    }

    pub(crate) fn unsubscribe(&self, id: ListenerId) -> bool {
        let mut listeners = self.listeners.write();
        let before = listeners.len();
        listeners.retain(|(other, _)| *other != id);
        self.active.store(!listeners.is_empty(), Ordering::Release);
        listeners.len() != before
    }

    pub(crate) fn notify(&self, event: &CommitEvent) {
        let listeners: Vec<Listener> = self
            .listeners
            .read()
            .iter()
            .map(|(_, l)| l.clone())
            .collect();
        for listener in listeners {
            listener(event);
        }
    }
}

/// Nodes touched by one transaction, kept only while someone listens.
#[derive(Debug, Default)]
pub(crate) struct Touched {
    pub(crate) created: Vec<NodeId>,
    pub(crate) nodes: Vec<NodeId>,
    seen: hashbrown::HashSet<NodeId>,
}

impl Touched {
    pub(crate) fn node(&mut self, node: NodeId) {
        if self.seen.insert(node) {
            self.nodes.push(node);
        }
    }

    pub(crate) fn created(&mut self, node: NodeId) {
        self.created.push(node);
        self.node(node);
    }
}
