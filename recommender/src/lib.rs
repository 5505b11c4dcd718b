#![doc = include_str!("../README.md")]

pub mod dataset;
pub mod error;
pub mod eval;
pub mod methods;
pub mod projection;
pub mod source;

pub use dataset::{Dataset, Profile};
pub use error::{RecommendError, Result};
pub use eval::{evaluate, EvalOptions, EvalReport, Metrics, MethodResult, Split};
pub use methods::{Method, MethodConfig, Model};
pub use projection::{Neighborhood, Projection};
pub use source::{RowSource, Rows};
