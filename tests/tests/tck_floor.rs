//! Runs the whole openCypher TCK against the `CareGraph` engine and fails
//! when fewer scenarios pass than the floor in `tests/tck-floor.txt`, or
//! when a directory the issue names falls under 95%.

use tests::tck::caregraph::CareGraphEngine;
use tests::tck::{default_tck_dir, install_panic_hook, RunConfig, Runner, Suite};

/// Directories that must each pass at least 95% of their scenarios.
const CORE_GROUPS: &[&str] = &[
    "clauses/match",
    "clauses/match-where",
    "clauses/return",
    "clauses/return-orderby",
    "clauses/return-skip-limit",
    "clauses/with",
    "clauses/with-where",
    "clauses/unwind",
    "clauses/union",
    "expressions/aggregation",
    "expressions/boolean",
    "expressions/comparison",
    "expressions/null",
    "expressions/list",
    "expressions/map",
    "expressions/string",
];

fn floor() -> usize {
    let path = tests::workspace_root().join("tests/tck-floor.txt");
    let text = std::fs::read_to_string(&path).expect("tests/tck-floor.txt is readable");
    text.lines()
        .filter(|l| !l.trim_start().starts_with('#'))
        .find_map(|l| l.strip_prefix("overall "))
        .and_then(|n| n.trim().parse().ok())
        .expect("tests/tck-floor.txt has a line `overall <count>`")
}

#[test]
fn tck_passes_at_least_the_floor() {
    let suite = Suite::load(&default_tck_dir()).expect("the vendored TCK parses");
    install_panic_hook();
    let runner = Runner::new(CareGraphEngine, suite.graphs.clone(), RunConfig::default());
    let report = runner.run(&suite.scenarios);
    let overall = report.overall();
    for line in report.group_lines() {
        println!("{line}");
    }
    println!("{}", report.overall_line());
    let floor = floor();
    assert!(
        overall.passed >= floor,
        "TCK: {} scenarios pass, below the floor of {floor}; failures:\n{}",
        overall.passed,
        report.failure_lines().join("\n")
    );
    let groups = report.groups();
    for group in CORE_GROUPS {
        let counts = groups.get(group).expect("the group exists in the TCK");
        let ratio = counts.passed as f64 / counts.total() as f64;
        assert!(
            ratio >= 0.95,
            "{group}: {} of {} pass ({:.1}%), below 95%",
            counts.passed,
            counts.total(),
            ratio * 100.0
        );
    }
}
