//! The embedded property-graph store.

pub mod adjacency;
pub(crate) mod codec;
pub mod cowmap;
pub mod db;
pub mod feed;
pub mod interner;
mod keymap;
pub mod op;
pub mod pvec;
pub mod record;
pub(crate) mod snapshot;
pub mod state;
pub mod txn;
pub(crate) mod wal;

pub use db::{Database, DbOptions, LogCut, RecoveryReport};
pub use feed::{CommitEvent, ListenerId};
pub use interner::StringInterner;
pub use op::{IndexSpec, Op};
pub use record::{NodeRecord, PropertyMap, RelRecord};
pub use state::{GraphState, MemoryEstimate, Neighbor};
pub use txn::WriteTxn;
