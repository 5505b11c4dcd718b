//! Tests of the TCK machinery (`tests/src/tck/`): the vendored features all
//! parse, and the runner survives panicking and hanging engines.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use tests::tck::suite::parse_feature_text;
use tests::tck::{
    default_tck_dir, install_panic_hook, EntityId, FailureKind, GraphSnapshot, NamedGraphs,
    NullEngine, Phase, ProcedureSpec, RunConfig, Runner, Scenario, Status, Step, Suite, TckEngine,
    TckError, TckGraph, TckResult, TckValue,
};

fn load_suite() -> Suite {
    match Suite::load(&default_tck_dir()) {
        Ok(suite) => suite,
        Err(errors) => {
            let shown: Vec<String> = errors.iter().map(ToString::to_string).collect();
            panic!(
                "{} feature file(s) failed to parse:\n{}",
                errors.len(),
                shown.join("\n")
            )
        }
    }
}

fn step_kind(step: &Step) -> &'static str {
    match step {
        Step::EmptyGraph => "an empty graph",
        Step::AnyGraph => "any graph",
        Step::NamedGraph(_) => "the <name> graph",
        Step::InitQuery(_) => "having executed",
        Step::Parameters(_) => "parameters are",
        Step::Procedure(_) => "there exists a procedure",
        Step::ExecuteQuery(_) => "executing query",
        Step::ExecuteControlQuery(_) => "executing control query",
        Step::ExpectResult(r) => match (r.ordered, r.lists) {
            (false, tests::tck::ListOrder::Ordered) => "result, in any order",
            (true, tests::tck::ListOrder::Ordered) => "result, in order",
            (false, tests::tck::ListOrder::Unordered) => {
                "result (ignoring element order for lists)"
            }
            (true, tests::tck::ListOrder::Unordered) => {
                "result, in order (ignoring element order for lists)"
            }
        },
        Step::ExpectEmpty => "result should be empty",
        Step::ExpectError(_) => "error should be raised",
        Step::ExpectSideEffects(effects) if *effects == tests::tck::SideEffects::default() => {
            "no side effects / zero side effects"
        }
        Step::ExpectSideEffects(_) => "the side effects should be",
    }
}

#[test]
fn every_vendored_feature_parses_and_expands() {
    let suite = load_suite();
    let definitions: usize = suite.features.iter().map(|f| f.scenario_definitions).sum();
    let outlines: usize = suite.features.iter().map(|f| f.outlines).sum();
    println!(
        "{} features, {} scenario definitions ({} outlines), {} expanded scenarios",
        suite.features.len(),
        definitions,
        outlines,
        suite.scenarios.len()
    );
    assert_eq!(suite.features.len(), 220);
    assert_eq!(definitions, 1615);
    assert_eq!(outlines, 276);
    assert_eq!(suite.scenarios.len(), 3897);

    let ids: BTreeSet<String> = suite.scenarios.iter().map(Scenario::id).collect();
    assert_eq!(
        ids.len(),
        suite.scenarios.len(),
        "scenario ids must be unique"
    );

    // Every step form of the model occurs in the TCK.
    let mut kinds: BTreeMap<&str, usize> = BTreeMap::new();
    for scenario in &suite.scenarios {
        for step in &scenario.steps {
            *kinds.entry(step_kind(&step.step)).or_default() += 1;
        }
    }
    println!("step forms (expanded): {kinds:#?}");
    assert_eq!(kinds.len(), 16, "{kinds:#?}");

    // Tags are kept.
    assert!(suite
        .scenarios
        .iter()
        .any(|s| s.has_tag("@skipGrammarCheck")));
    assert!(suite.scenarios.iter().any(|s| s.has_tag("ignore")));

    // Named graphs referenced exist.
    for scenario in &suite.scenarios {
        for step in &scenario.steps {
            if let Step::NamedGraph(name) = &step.step {
                assert!(suite.graphs.statements(name).is_some(), "{name}");
            }
        }
    }

    // Groups are the feature directories.
    let groups: BTreeSet<&str> = suite.scenarios.iter().map(Scenario::group).collect();
    assert!(groups.contains("clauses/match") && groups.contains("expressions/list"));
    assert_eq!(groups.len(), 37);
}

fn expected_rows(suite: &Suite, id: &str) -> Vec<Vec<TckValue>> {
    let scenario = suite
        .scenarios
        .iter()
        .find(|s| s.id() == id)
        .unwrap_or_else(|| panic!("no scenario {id}"));
    scenario
        .steps
        .iter()
        .find_map(|s| match &s.step {
            Step::ExpectResult(r) => Some(r.rows.clone()),
            _ => None,
        })
        .unwrap_or_else(|| panic!("{id} has no result table"))
}

#[test]
fn tricky_cells_of_the_vendored_features_parse_as_intended() {
    let suite = load_suite();
    // Gherkin unescapes the cell's `\\\\` to `\\`, then the value parser `\\` to `\` and
    // `\'` to `'`: the result equals what the query's literal evaluates to.
    let rows = expected_rows(
        &suite,
        "expressions/literals/Literals6.feature: [5] Return a single-quoted string with escaped characters",
    );
    assert_eq!(rows, [[TckValue::String(r#"a\bcn5t'"\//\"'"#.to_owned())]]);
    // Gherkin turns `\n` in a cell into a newline.
    let rows = expected_rows(
        &suite,
        "expressions/string/String9.feature: [5] Finding strings ending with newline",
    );
    assert_eq!(rows, [[TckValue::String("\nFoo\n".to_owned())]]);
    // NaN, nodes, relationships, paths and maps in one ordered table.
    let rows = expected_rows(
        &suite,
        "clauses/return-orderby/ReturnOrderBy1.feature: [11] ORDER BY should order distinct types in the expected order",
    );
    let rendered: Vec<String> = rows.iter().map(|r| r[0].to_string()).collect();
    assert_eq!(
        rendered,
        [
            "{a: 'map'}",
            "(:N)",
            "[:REL]",
            "['list']",
            "<(:N)-[:REL]->()>",
            "'text'",
            "false",
            "1.5",
            "NaN",
            "null"
        ]
    );
    // Placeholders in result tables are substituted before parsing.
    let temporal = suite
        .scenarios
        .iter()
        .find(|s| s.feature_path == "expressions/temporal/Temporal4.feature")
        .unwrap_or_else(|| panic!("no Temporal4 scenario"));
    let results: Vec<&Vec<Vec<TckValue>>> = temporal
        .steps
        .iter()
        .filter_map(|s| match &s.step {
            Step::ExpectResult(r) => Some(&r.rows),
            _ => None,
        })
        .collect();
    assert_eq!(
        results,
        [&vec![vec![TckValue::String("1984-10-11".to_owned())]]]
    );
}

#[test]
fn unknown_steps_are_reported_with_file_and_line() {
    let text = "Feature: F\n\n  Scenario: S\n    Given an empty graph\n    When executing a query very fast\n";
    match parse_feature_text("x/F.feature", text) {
        Ok(_) => panic!("an unknown step must not parse"),
        Err(e) => {
            assert_eq!((e.file.as_str(), e.line), ("x/F.feature", 5), "{e}");
            assert!(e.message.contains("unknown step"), "{e}");
        }
    }
    let bad_value = "Feature: F\n  Scenario: S\n    Given any graph\n    When executing query:\n      \"\"\"\n      RETURN 1 AS x\n      \"\"\"\n    Then the result should be, in any order:\n      | x |\n      | [1, |\n";
    match parse_feature_text("x/F.feature", bad_value) {
        Ok(_) => panic!("a malformed value must not parse"),
        Err(e) => assert_eq!(e.line, 10, "{e}"),
    }
}

/// A scripted engine: queries are looked up in a table; a query containing
/// `boom` panics, one containing `hang` never returns; `CREATE` adds a node
/// to the snapshot.
struct ScriptedEngine {
    answers: BTreeMap<String, Result<TckResult, TckError>>,
    graphs_made: Arc<AtomicUsize>,
}

struct ScriptedGraph {
    answers: BTreeMap<String, Result<TckResult, TckError>>,
    nodes: i64,
}

impl TckEngine for ScriptedEngine {
    type Graph = ScriptedGraph;

    fn name(&self) -> String {
        "scripted test engine".to_owned()
    }

    fn empty_graph(&self) -> ScriptedGraph {
        self.graphs_made.fetch_add(1, Ordering::Relaxed);
        ScriptedGraph {
            answers: self.answers.clone(),
            nodes: 0,
        }
    }
}

impl TckGraph for ScriptedGraph {
    fn execute(
        &mut self,
        query: &str,
        params: &BTreeMap<String, TckValue>,
    ) -> Result<TckResult, TckError> {
        assert!(!query.contains("boom"), "engine exploded on purpose");
        if query.contains("hang") {
            loop {
                std::thread::sleep(Duration::from_secs(60));
            }
        }
        if query.starts_with("CREATE") {
            self.nodes += 1;
            return Ok(TckResult::default());
        }
        if query == "RETURN $p AS p" {
            return Ok(TckResult {
                columns: vec!["p".into()],
                rows: vec![vec![params.get("p").cloned().unwrap_or(TckValue::Null)]],
            });
        }
        self.answers
            .get(query)
            .cloned()
            .unwrap_or_else(|| Err(TckError::not_implemented(query.to_owned())))
    }

    fn snapshot(&mut self) -> Result<GraphSnapshot, TckError> {
        let mut snapshot = GraphSnapshot::default();
        snapshot.nodes.extend(0..self.nodes);
        for n in 0..self.nodes {
            snapshot
                .properties
                .insert((EntityId::Node(n), "k".into()), TckValue::Integer(n));
        }
        Ok(snapshot)
    }

    fn register_procedure(&mut self, _procedure: &ProcedureSpec) -> Result<(), TckError> {
        Ok(())
    }
}

const FEATURE: &str = r#"Feature: Machinery

  Scenario: [1] passes
    Given any graph
    When executing query:
      """
      RETURN 1 AS x
      """
    Then the result should be, in any order:
      | x |
      | 1 |
    And no side effects

  Scenario: [2] panics
    Given an empty graph
    When executing query:
      """
      RETURN boom
      """
    Then the result should be empty

  Scenario: [3] hangs
    Given an empty graph
    When executing query:
      """
      RETURN hang
      """
    Then the result should be empty

  Scenario: [4] still runs after the hang
    Given an empty graph
    And having executed:
      """
      CREATE ()
      """
    When executing query:
      """
      CREATE ()
      """
    Then the result should be empty
    And the side effects should be:
      | +nodes      | 1 |
      | +properties | 1 |
    When executing control query:
      """
      RETURN 1 AS x
      """
    Then the result should be, in order:
      | x |
      | 1 |

  Scenario: [5] expected error
    Given any graph
    When executing query:
      """
      RETURN wrong
      """
    Then a TypeError should be raised at runtime: InvalidArgumentType

  Scenario: [6] wrong value
    Given any graph
    When executing query:
      """
      RETURN 1 AS x
      """
    Then the result should be, in any order:
      | x   |
      | 1.0 |

  Scenario Outline: [7] parameters <p>
    Given any graph
    And parameters are:
      | p | <p> |
    And there exists a procedure test.proc() :: (out :: INTEGER?):
      | out |
      | 1   |
    When executing query:
      """
      RETURN $p AS p
      """
    Then the result should be, in any order:
      | p   |
      | <p> |

    Examples:
      | p                     |
      | [1, 'a', {k: null}]   |
      | <(:A)-[:T {w: 1}]->()> |

  Scenario: [8] named graph
    Given the tiny graph
    When executing query:
      """
      RETURN 1 AS x
      """
    Then the result should be, in any order:
      | x |
      | 1 |
"#;

fn scripted_engine() -> ScriptedEngine {
    let mut answers = BTreeMap::new();
    answers.insert(
        "RETURN 1 AS x".to_owned(),
        Ok(TckResult {
            columns: vec!["x".into()],
            rows: vec![vec![TckValue::Integer(1)]],
        }),
    );
    answers.insert(
        "RETURN wrong".to_owned(),
        Err(TckError::new(
            "TypeError",
            Phase::Runtime,
            "InvalidArgumentType",
            "as expected",
        )),
    );
    ScriptedEngine {
        answers,
        graphs_made: Arc::new(AtomicUsize::new(0)),
    }
}

#[test]
fn runner_survives_panics_and_hangs() {
    install_panic_hook();
    let (_, scenarios) = match parse_feature_text("machinery/Machinery.feature", FEATURE) {
        Ok(parsed) => parsed,
        Err(e) => panic!("{e}"),
    };
    assert_eq!(scenarios.len(), 9);
    let engine = scripted_engine();
    let graphs_made = Arc::clone(&engine.graphs_made);
    let mut graphs = NamedGraphs::default();
    graphs.insert("tiny", vec!["CREATE (:A)".to_owned()]);
    let config = RunConfig {
        timeout: Duration::from_millis(500),
        ..RunConfig::default()
    };
    let runner = Runner::new(engine, graphs, config);
    let started = Instant::now();
    let report = runner.run(&scenarios);
    assert!(
        started.elapsed() < Duration::from_secs(30),
        "the hang must not block the run"
    );

    let status: Vec<(&str, &Status)> = report
        .outcomes
        .iter()
        .map(|o| (o.id.as_str(), &o.status))
        .collect();
    let kind = |i: usize| match &report.outcomes[i].status {
        Status::Failed { kind, .. } => Some(*kind),
        _ => None,
    };
    assert_eq!(report.outcomes[0].status, Status::Passed, "{status:#?}");
    assert_eq!(kind(1), Some(FailureKind::Panic), "{status:#?}");
    let Status::Failed { reason, .. } = &report.outcomes[1].status else {
        unreachable!()
    };
    assert!(reason.contains("engine exploded on purpose"), "{reason}");
    assert_eq!(kind(2), Some(FailureKind::Timeout), "{status:#?}");
    assert_eq!(report.outcomes[3].status, Status::Passed, "{status:#?}");
    assert_eq!(report.outcomes[4].status, Status::Passed, "{status:#?}");
    assert_eq!(kind(5), Some(FailureKind::Step), "{status:#?}");
    let Status::Failed { reason, .. } = &report.outcomes[5].status else {
        unreachable!()
    };
    assert!(
        reason.contains("missing (1): | 1.0 |") && reason.contains("unexpected (1): | 1 |"),
        "{reason}"
    );
    assert_eq!(report.outcomes[6].status, Status::Passed, "{status:#?}");
    assert_eq!(report.outcomes[7].status, Status::Passed, "{status:#?}");
    assert_eq!(report.outcomes[8].status, Status::Passed, "{status:#?}");
    assert_eq!(
        report.outcomes[6].id,
        "machinery/Machinery.feature: [7] parameters [1, 'a', {k: null}] (example 1)"
    );
    assert_eq!(
        report.overall_line(),
        "overall: 6 passed, 3 failed, 9 total (66.7%)"
    );
    assert_eq!(graphs_made.load(Ordering::Relaxed), 9);

    // Filters select by id.
    let filtered = Runner::new(
        scripted_engine(),
        NamedGraphs::default(),
        RunConfig {
            filter: Some("[5]".into()),
            skip_tags: vec![],
            ..RunConfig::default()
        },
    )
    .run(&scenarios);
    assert_eq!(filtered.outcomes.len(), 1);
    assert_eq!(
        filtered.overall_line(),
        "overall: 1 passed, 0 failed, 1 total (100.0%)"
    );
}

#[test]
fn null_engine_runs_the_whole_suite() {
    install_panic_hook();
    let suite = load_suite();
    let runner = Runner::new(NullEngine, suite.graphs.clone(), RunConfig::default());
    let report = runner.run(&suite.scenarios);
    let overall = report.overall();
    println!("{}", report.overall_line());
    assert_eq!(overall.total(), 3897);
    assert_eq!(overall.passed, 0);
    assert_eq!(report.failure_kinds().get(&FailureKind::Step), Some(&3897));
    assert_eq!(report.groups().len(), 37);
}
