//! FHIR R4 ingestion: reading exports, mapping resources onto the graph
//! model, resolving references, and loading in transactional batches.
//! The rules are spelled out in `docs/fhir-mapping.md`.

pub mod apply;
pub mod archive;
pub mod geo;
pub mod json;
pub mod load;
pub mod mapping;
pub mod parse;
pub mod resource_types;
pub mod source;

pub use load::{
    ensure_schema, load_paths, thread_cpu_seconds, LoadOptions, LoadReport, LoadTimings, Loader,
    Progress, Rejection, TypeCounts,
};
pub use parse::{parse_record, ParseFailure};
pub use source::InputKind;
