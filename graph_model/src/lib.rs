#![doc = include_str!("../README.md")]

pub mod canonical;
pub mod error;
pub mod fhir;
pub mod ids;
pub mod stats;
pub mod store;
pub mod symbols;
pub mod temporal;
pub mod value;

pub use error::{FhirError, GraphError, GraphResult};
pub use ids::{Direction, LabelId, NodeId, PropKeyId, RelId, RelTypeId};
pub use stats::GraphStats;
pub use store::{
    CommitEvent, Database, DbOptions, GraphState, ListenerId, NodeRecord, RelRecord, WriteTxn,
};
pub use temporal::{DurationValue, OffsetTime, ZonedDateTime};
pub use value::{Value, ValueType};
