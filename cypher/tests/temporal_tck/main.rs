//! The openCypher TCK's temporal features (`tests/tck/features/expressions/
//! temporal/Temporal1..10.feature`), run against `cypher::temporal` with a
//! small evaluator until the engine runs them for real: every scenario and
//! every row of every outline, compared with the expected results as the
//! TCK writes them.
//!
//! The test fails when a scenario outside [`KNOWN_FAILURES`] fails, or
//! when one inside it passes (so the list stays honest).

mod eval;

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use eval::{eval, tokenize, Expr, Parser, Row};
use graph_model::Value;

/// Scenarios expected to fail, by feature file and scenario number, with
/// why.
const KNOWN_FAILURES: &[(&str, &str, &str)] = &[
    (
        "Temporal10",
        "[9]",
        "dates beyond chrono's range (±262,143 years)",
    ),
    (
        "Temporal10",
        "[10]",
        "dates beyond chrono's range (±262,143 years)",
    ),
];

fn features_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/tck/features/expressions/temporal")
}

/// One step that runs a query.
#[derive(Clone, Debug)]
enum Step {
    /// A setup or tested query.
    Run(String),
    /// Expected rows (header first), and whether order matters.
    Expect(Vec<Vec<String>>, bool),
}

#[derive(Clone, Debug)]
struct Scenario {
    name: String,
    steps: Vec<Step>,
    examples: Vec<Vec<String>>,
}

fn cells(line: &str) -> Vec<String> {
    let inner = line.trim().trim_start_matches('|').trim_end_matches('|');
    inner.split('|').map(|c| c.trim().to_owned()).collect()
}

fn parse_feature(text: &str) -> Vec<Scenario> {
    let lines: Vec<&str> = text.lines().collect();
    let mut scenarios: Vec<Scenario> = Vec::new();
    let mut i = 0;
    // What the next table belongs to.
    let mut table_for: Option<(bool, bool)> = None; // (is_examples, ordered)
    while i < lines.len() {
        let line = lines[i].trim();
        i += 1;
        if line.starts_with("Scenario") {
            scenarios.push(Scenario {
                name: line
                    .split_once(':')
                    .map_or(line, |(_, n)| n)
                    .trim()
                    .to_owned(),
                steps: Vec::new(),
                examples: Vec::new(),
            });
            table_for = None;
        } else if line == "\"\"\"" {
            let mut body = Vec::new();
            while i < lines.len() && lines[i].trim() != "\"\"\"" {
                body.push(lines[i].trim());
                i += 1;
            }
            i += 1;
            if let Some(s) = scenarios.last_mut() {
                s.steps.push(Step::Run(body.join("\n")));
            }
        } else if line.starts_with("Then the result should be empty") {
            if let Some(s) = scenarios.last_mut() {
                s.steps.push(Step::Expect(Vec::new(), false));
            }
        } else if line.starts_with("Then the result should be") {
            table_for = Some((false, line.contains("in order")));
        } else if line.starts_with("Examples") {
            table_for = Some((true, false));
        } else if line.starts_with("And the side effects") {
            table_for = None;
        } else if line.starts_with('|') {
            let mut rows = vec![cells(line)];
            while i < lines.len() && lines[i].trim().starts_with('|') {
                rows.push(cells(lines[i]));
                i += 1;
            }
            if let (Some(s), Some((is_examples, ordered))) = (scenarios.last_mut(), table_for) {
                if is_examples {
                    s.examples = rows;
                } else {
                    s.steps.push(Step::Expect(rows, ordered));
                }
            }
            table_for = None;
        }
    }
    scenarios
}

/// A labelled node of the tiny graph.
struct Node {
    labels: Vec<String>,
    props: Value,
}

/// Runs one query, returning its rows (column values in order).
fn run_query(query: &str, graph: &mut Vec<Node>) -> Result<Vec<Vec<Value>>, String> {
    let mut p = Parser::new(tokenize(query)?);
    let mut rows: Vec<Row> = vec![Row::new()];
    let mut result = Vec::new();
    while !p.at_end() {
        if p.eat_keyword("CREATE") {
            loop {
                p.expect_punct("(")?;
                let mut labels = Vec::new();
                if !p.is_keyword(":") && matches!(p.peek(), Some(eval::Tok::Ident(_))) {
                    p.ident()?;
                }
                while p.eat_punct(":") {
                    labels.push(p.ident()?);
                }
                let props = if matches!(p.peek(), Some(eval::Tok::Punct("{"))) {
                    p.expr()?
                } else {
                    Expr::Map(Vec::new())
                };
                p.expect_punct(")")?;
                for row in &rows {
                    graph.push(Node {
                        labels: labels.clone(),
                        props: eval(&props, row)?,
                    });
                }
                if !p.eat_punct(",") {
                    break;
                }
            }
        } else if p.eat_keyword("MATCH") {
            loop {
                p.expect_punct("(")?;
                let var = p.ident()?;
                let label = if p.eat_punct(":") {
                    Some(p.ident()?)
                } else {
                    None
                };
                p.expect_punct(")")?;
                let mut next = Vec::new();
                for row in &rows {
                    for node in graph.iter() {
                        if label.as_ref().is_none_or(|l| node.labels.contains(l)) {
                            let mut r = row.clone();
                            r.insert(var.clone(), node.props.clone());
                            next.push(r);
                        }
                    }
                }
                rows = next;
                if !p.eat_punct(",") {
                    break;
                }
            }
        } else if p.eat_keyword("UNWIND") {
            let list = p.expr()?;
            if !p.eat_keyword("AS") {
                return Err("UNWIND without AS".into());
            }
            let var = p.ident()?;
            let mut next = Vec::new();
            for row in &rows {
                if let Value::List(items) = eval(&list, row)? {
                    for item in items.iter() {
                        let mut r = row.clone();
                        r.insert(var.clone(), item.clone());
                        next.push(r);
                    }
                }
            }
            rows = next;
        } else if p.is_keyword("WITH") || p.is_keyword("RETURN") {
            let is_return = p.eat_keyword("RETURN");
            if !is_return {
                p.eat_keyword("WITH");
            }
            let mut items = Vec::new();
            loop {
                let e = p.expr()?;
                let alias = if p.eat_keyword("AS") {
                    Some(p.ident()?)
                } else {
                    None
                };
                items.push((e, alias));
                if !p.eat_punct(",") {
                    break;
                }
            }
            let mut next = Vec::new();
            for row in &rows {
                let mut out = Row::new();
                let mut values = Vec::new();
                for (i, (e, alias)) in items.iter().enumerate() {
                    let v = eval(e, row)?;
                    out.insert(alias.clone().unwrap_or_else(|| format!("#{i}")), v.clone());
                    values.push(v);
                }
                if is_return {
                    result.push(values);
                }
                next.push(out);
            }
            rows = next;
        } else {
            return Err(format!("unsupported clause at {:?}", p.peek()));
        }
    }
    Ok(result)
}

/// A value as the TCK writes it.
fn render(v: &Value) -> String {
    match v {
        Value::Null => "null".into(),
        Value::String(s) => format!("'{s}'"),
        Value::List(items) => format!(
            "[{}]",
            items.iter().map(render).collect::<Vec<_>>().join(", ")
        ),
        Value::Map(m) => format!(
            "{{{}}}",
            m.iter()
                .map(|(k, v)| format!("{k}: {}", render(v)))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        other if other.is_temporal() => format!("'{other}'"),
        other => other.to_string(),
    }
}

/// An expected cell normalized through the same rendering.
fn normalize(cell: &str) -> String {
    let parsed = tokenize(cell).and_then(|toks| {
        let mut p = Parser::new(toks);
        let e = p.expr()?;
        eval(&e, &Row::new())
    });
    parsed.map_or_else(|_| cell.to_owned(), |v| render(&v))
}

/// Runs a scenario with outline values substituted; `Err` describes the
/// first mismatch.
fn run_scenario(steps: &[Step], subst: &BTreeMap<String, String>) -> Result<(), String> {
    let fill = |text: &str| {
        let mut out = text.to_owned();
        for (k, v) in subst {
            out = out.replace(&format!("<{k}>"), v);
        }
        out
    };
    let mut graph = Vec::new();
    let mut last: Option<Vec<Vec<Value>>> = None;
    for step in steps {
        match step {
            Step::Run(query) => {
                let query = fill(query);
                let _clock = cypher::temporal::freeze_clock();
                last = Some(run_query(&query, &mut graph).map_err(|e| format!("{query}: {e}"))?);
            }
            Step::Expect(table, ordered) => {
                let actual = last.take().ok_or("no query ran")?;
                let mut actual: Vec<String> = actual
                    .iter()
                    .map(|r| r.iter().map(render).collect::<Vec<_>>().join(" | "))
                    .collect();
                let mut expected: Vec<String> = table
                    .iter()
                    .skip(1)
                    .map(|r| {
                        r.iter()
                            .map(|c| normalize(&fill(c)))
                            .collect::<Vec<_>>()
                            .join(" | ")
                    })
                    .collect();
                if !ordered {
                    actual.sort();
                    expected.sort();
                }
                if actual != expected {
                    return Err(format!("expected {expected:?}, got {actual:?}"));
                }
            }
        }
    }
    Ok(())
}

#[test]
fn temporal_features() {
    let mut failures = Vec::new();
    let mut report = String::new();
    let (mut total, mut passed) = (0, 0);
    for n in 1..=10 {
        let feature = format!("Temporal{n}");
        let path = features_dir().join(format!("{feature}.feature"));
        let text = std::fs::read_to_string(&path)
            .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
        let (mut f_total, mut f_passed) = (0, 0);
        for scenario in parse_feature(&text) {
            let number = scenario
                .name
                .split_whitespace()
                .next()
                .unwrap_or("")
                .to_owned();
            let runs: Vec<BTreeMap<String, String>> = if scenario.examples.is_empty() {
                vec![BTreeMap::new()]
            } else {
                let header = &scenario.examples[0];
                scenario.examples[1..]
                    .iter()
                    .map(|row| header.iter().cloned().zip(row.iter().cloned()).collect())
                    .collect()
            };
            let mut errors = Vec::new();
            for subst in &runs {
                if let Err(e) = run_scenario(&scenario.steps, subst) {
                    errors.push(e);
                }
            }
            f_total += runs.len();
            f_passed += runs.len() - errors.len();
            let known = KNOWN_FAILURES
                .iter()
                .any(|(f, s, _)| *f == feature && *s == number);
            match (errors.is_empty(), known) {
                (true, false) | (false, true) => {}
                (false, false) => {
                    for e in &errors {
                        failures.push(format!("{feature} {}: {e}", scenario.name));
                    }
                }
                (true, true) => failures.push(format!(
                    "{feature} {} passes: take it off KNOWN_FAILURES",
                    scenario.name
                )),
            }
        }
        let _ = writeln!(report, "{feature}: {f_passed}/{f_total} rows pass");
        total += f_total;
        passed += f_passed;
    }
    println!("{report}all: {passed}/{total} rows pass");
    assert!(total > 900, "only {total} rows found: is the TCK vendored?");
    assert!(
        failures.is_empty(),
        "{} unexpected results:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn examples_from_the_brief() {
    let date = |fields: &[(&str, i64)]| {
        let map: BTreeMap<Arc<str>, Value> = fields
            .iter()
            .map(|(k, v)| (Arc::from(*k), Value::Integer(*v)))
            .collect();
        cypher::temporal::call("date", &[Value::Map(Arc::new(map))])
            .expect("a temporal function")
            .expect("a valid date")
    };
    assert_eq!(
        date(&[("year", 1984), ("week", 10), ("dayOfWeek", 3)]).to_string(),
        "1984-03-07"
    );
    assert!(cypher::temporal::call("nosuchfunction", &[]).is_none());
    assert!(cypher::temporal::call("date", &[Value::Null])
        .expect("a temporal function")
        .expect("null in, null out")
        .is_null());
}
