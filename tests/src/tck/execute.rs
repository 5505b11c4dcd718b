//! Interpreting one scenario's steps against an engine (on the calling
//! thread; [`super::runner`] adds threads, panics and timeouts).
//!
//! The steps run in order: `Given` makes the graph (an empty one, or a
//! named graph built by its scripts), set-up queries must succeed,
//! parameters apply to the queries that follow, `executing query` runs the
//! query under test with a graph snapshot before and after it (when the
//! scenario checks side effects), `executing control query` runs a query
//! without measuring, and each `Then` checks the latest query's outcome.

use std::collections::BTreeMap;
use std::fmt;

use super::compare::compare_result;
use super::engine::{GraphSnapshot, TckEngine, TckError, TckGraph, TckResult};
use super::graphs::NamedGraphs;
use super::steps::{ExpectedError, Step, StepAt};
use super::suite::Scenario;
use super::value::TckValue;

/// How strictly expected errors are matched.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ErrorMatching {
    /// Require the phase (`compile time` / `runtime`) to match; `any time`
    /// always matches.
    pub check_phase: bool,
    /// Require the detail (`InvalidArgumentType`, ...) to match; `*`
    /// always matches.
    pub check_detail: bool,
}

impl Default for ErrorMatching {
    /// Strict: type, phase and detail.
    fn default() -> Self {
        ErrorMatching {
            check_phase: true,
            check_detail: true,
        }
    }
}

/// The step at which a scenario failed and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StepFailure {
    /// The 1-based line of the step.
    pub line: usize,
    /// The step as written.
    pub step: String,
    /// What went wrong (first mismatch, or the unexpected error).
    pub reason: String,
}

impl fmt::Display for StepFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {} `{}`: {}", self.line, self.step, self.reason)
    }
}

struct State<G> {
    graph: Option<G>,
    params: BTreeMap<String, TckValue>,
    last: Option<Result<TckResult, TckError>>,
    before: Option<GraphSnapshot>,
    after: Option<GraphSnapshot>,
}

/// Runs every step of `scenario` on a fresh graph from `engine`.
pub fn run_scenario<E: TckEngine>(
    engine: &E,
    graphs: &NamedGraphs,
    scenario: &Scenario,
    matching: ErrorMatching,
) -> Result<(), StepFailure> {
    let measure = scenario
        .steps
        .iter()
        .any(|s| matches!(s.step, Step::ExpectSideEffects(_)));
    let mut state: State<E::Graph> = State {
        graph: None,
        params: BTreeMap::new(),
        last: None,
        before: None,
        after: None,
    };
    for step in &scenario.steps {
        run_step(engine, graphs, &mut state, step, measure, matching).map_err(|reason| {
            StepFailure {
                line: step.line,
                step: step.text.clone(),
                reason,
            }
        })?;
    }
    Ok(())
}

fn graph<G>(state: &mut State<G>) -> Result<&mut G, String> {
    state
        .graph
        .as_mut()
        .ok_or_else(|| "no graph: the scenario has no `Given` step before this".to_owned())
}

fn last<G>(state: &State<G>) -> Result<&Result<TckResult, TckError>, String> {
    state
        .last
        .as_ref()
        .ok_or_else(|| "no query has been executed before this step".to_owned())
}

fn run_step<E: TckEngine>(
    engine: &E,
    graphs: &NamedGraphs,
    state: &mut State<E::Graph>,
    step: &StepAt,
    measure: bool,
    matching: ErrorMatching,
) -> Result<(), String> {
    match &step.step {
        Step::EmptyGraph | Step::AnyGraph => state.graph = Some(engine.empty_graph()),
        Step::NamedGraph(name) => {
            let statements = graphs
                .statements(name)
                .ok_or_else(|| format!("unknown named graph `{name}`"))?;
            let mut graph = engine.empty_graph();
            for (i, statement) in statements.iter().enumerate() {
                graph.execute(statement, &BTreeMap::new()).map_err(|e| {
                    format!(
                        "building named graph `{name}`: statement {} failed: {e}",
                        i + 1
                    )
                })?;
            }
            state.graph = Some(graph);
        }
        Step::InitQuery(query) => {
            graph(state)?
                .execute(query, &BTreeMap::new())
                .map_err(|e| format!("set-up query failed: {e}"))?;
        }
        Step::Parameters(params) => state.params.clone_from(params),
        Step::Procedure(spec) => graph(state)?
            .register_procedure(spec)
            .map_err(|e| format!("cannot register procedure `{}`: {e}", spec.signature))?,
        Step::ExecuteQuery(query) => {
            let params = state.params.clone();
            let g = graph(state)?;
            let before = if measure {
                Some(
                    g.snapshot()
                        .map_err(|e| format!("measuring the graph before the query: {e}"))?,
                )
            } else {
                None
            };
            let outcome = g.execute(query, &params);
            let after = if measure {
                Some(
                    g.snapshot()
                        .map_err(|e| format!("measuring the graph after the query: {e}"))?,
                )
            } else {
                None
            };
            state.before = before;
            state.after = after;
            state.last = Some(outcome);
        }
        Step::ExecuteControlQuery(query) => {
            let params = state.params.clone();
            let outcome = graph(state)?.execute(query, &params);
            state.last = Some(outcome);
        }
        Step::ExpectResult(expected) => match last(state)? {
            Ok(actual) => compare_result(expected, actual)?,
            Err(e) => return Err(format!("expected a result, got an error: {e}")),
        },
        Step::ExpectEmpty => match last(state)? {
            Ok(actual) if actual.rows.is_empty() => {}
            Ok(actual) => {
                return Err(format!(
                    "expected no rows, got {}; first: {}",
                    actual.rows.len(),
                    super::compare::render_row(&actual.rows[0])
                ))
            }
            Err(e) => return Err(format!("expected an empty result, got an error: {e}")),
        },
        Step::ExpectError(expected) => check_error(expected, last(state)?, matching)?,
        Step::ExpectSideEffects(expected) => {
            let (Some(before), Some(after)) = (&state.before, &state.after) else {
                return Err("no `executing query` step was measured before this step".to_owned());
            };
            let actual = before.diff(after);
            if actual != *expected {
                return Err(format!("expected side effects: {expected}; got: {actual}"));
            }
        }
    }
    Ok(())
}

/// Whether `actual` is the expected error.
pub fn check_error(
    expected: &ExpectedError,
    actual: &Result<TckResult, TckError>,
    matching: ErrorMatching,
) -> Result<(), String> {
    match actual {
        Ok(result) => Err(format!(
            "expected {expected}, but the query succeeded with {} row(s)",
            result.rows.len()
        )),
        Err(error) => {
            let type_ok = error.error_type == expected.error_type;
            let phase_ok = !matching.check_phase || expected.phase.accepts(error.phase);
            let detail_ok =
                !matching.check_detail || expected.detail == "*" || error.detail == expected.detail;
            if type_ok && phase_ok && detail_ok {
                Ok(())
            } else {
                Err(format!("expected {expected}; got {error}"))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tck::engine::{ErrorPhase, Phase};

    #[test]
    fn error_matching_rules() {
        let expected = ExpectedError {
            error_type: "TypeError".into(),
            phase: ErrorPhase::Runtime,
            detail: "InvalidArgumentType".into(),
        };
        let err = |t: &str, p: Phase, d: &str| Err(TckError::new(t, p, d, ""));
        let strict = ErrorMatching::default();
        assert!(check_error(
            &expected,
            &err("TypeError", Phase::Runtime, "InvalidArgumentType"),
            strict
        )
        .is_ok());
        assert!(check_error(
            &expected,
            &err("TypeError", Phase::CompileTime, "InvalidArgumentType"),
            strict
        )
        .is_err());
        assert!(check_error(
            &expected,
            &err("TypeError", Phase::Runtime, "Other"),
            strict
        )
        .is_err());
        assert!(check_error(
            &expected,
            &err("SyntaxError", Phase::Runtime, "InvalidArgumentType"),
            strict
        )
        .is_err());
        assert!(check_error(&expected, &Ok(TckResult::default()), strict).is_err());
        let lenient = ErrorMatching {
            check_phase: false,
            check_detail: false,
        };
        assert!(check_error(
            &expected,
            &err("TypeError", Phase::CompileTime, "Other"),
            lenient
        )
        .is_ok());
        let any = ExpectedError {
            phase: ErrorPhase::AnyTime,
            detail: "*".into(),
            ..expected
        };
        assert!(check_error(
            &any,
            &err("TypeError", Phase::CompileTime, "Whatever"),
            strict
        )
        .is_ok());
    }
}
