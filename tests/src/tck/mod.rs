//! The `openCypher` TCK (vendored in `tests/tck/`) as `CareGraph`'s acceptance
//! suite: a Gherkin parser for the subset the TCK uses, a model of its
//! steps, a parser for its expected-value notation, result comparison, the
//! traits an engine adapter implements, and a runner that survives panics
//! and hangs and reports per feature directory.
//!
//! To run the TCK against an engine, implement [`TckEngine`] and
//! [`TckGraph`] for it, then:
//!
//! ```no_run
//! use tests::tck::{default_tck_dir, NullEngine, RunConfig, Runner, Suite};
//!
//! let suite = Suite::load(&default_tck_dir()).expect("the vendored TCK parses");
//! let runner = Runner::new(NullEngine, suite.graphs.clone(), RunConfig::default());
//! let report = runner.run(&suite.scenarios);
//! println!("{}", report.overall_line());
//! ```
//!
//! Modules: [`gherkin`] (feature files → raw scenarios), [`outline`]
//! (background and outline expansion), [`steps`] (step model), [`value`] and [`value_parser`]
//! ([`TckValue`] and its notation), [`compare`] (result comparison),
//! [`engine`] (adapter traits, errors, side effects), [`graphs`] (named
//! graphs), [`suite`] (loading all features), [`execute`] (one scenario's
//! steps), [`runner`] (threads, panics, timeouts), [`report`] (counts,
//! text, JSON), [`null_engine`] (the placeholder engine).

pub mod caregraph;
pub mod compare;
pub mod engine;
pub mod execute;
pub mod gherkin;
pub mod graphs;
pub mod null_engine;
pub mod outline;
pub mod report;
pub mod runner;
pub mod steps;
pub mod suite;
pub mod value;
pub mod value_parser;

pub use engine::{
    EntityId, ErrorPhase, GraphSnapshot, Phase, SideEffects, TckEngine, TckError, TckGraph,
    TckResult,
};
pub use execute::ErrorMatching;
pub use gherkin::ParseError;
pub use graphs::NamedGraphs;
pub use null_engine::NullEngine;
pub use outline::ExampleRef;
pub use report::{Counts, FailureKind, Report, ScenarioOutcome, Status};
pub use runner::{install_panic_hook, RunConfig, Runner};
pub use steps::{ExpectedError, ExpectedResult, ProcedureSpec, Step, StepAt};
pub use suite::{default_tck_dir, FeatureInfo, Scenario, Suite};
pub use value::{
    ListOrder, PathDirection, TckNode, TckPath, TckPathStep, TckRelationship, TckValue,
};
pub use value_parser::{parse_value, ValueParseError};
