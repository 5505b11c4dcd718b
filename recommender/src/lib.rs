#![doc = include_str!("../README.md")]

pub mod conditions;
pub mod dataset;
pub mod error;
pub mod eval;
pub mod evidence;
pub mod methods;
pub mod projection;
pub mod recommender;
pub mod safety;
pub mod source;

pub use dataset::{Dataset, Profile};
pub use error::{RecommendError, Result};
pub use eval::{evaluate, EvalOptions, EvalReport, MethodResult, Metrics, Split};
pub use evidence::Evidence;
pub use methods::{Method, MethodConfig, Model};
pub use projection::{Neighborhood, Projection};
pub use recommender::{
    BuildStats, OrderCheck, Recommendation, Recommender, RecommenderConfig, SimilarPatient,
};
pub use safety::{AllergyConflict, InteractionFlag, MatchBasis, SafetyTables, Severity};
pub use source::{RowSource, Rows};
