//! The model of TCK steps ([`Step`]) and its parser from Gherkin steps.
//!
//! Every step form found in the vendored features is recognised (the
//! keyword `Given`/`When`/`Then`/`And`/`But` does not matter, as in
//! Cucumber):
//!
//! | step text | model |
//! |---|---|
//! | `an empty graph` | [`Step::EmptyGraph`] |
//! | `any graph` | [`Step::AnyGraph`] |
//! | `the <name> graph` | [`Step::NamedGraph`] |
//! | `having executed:` + doc string | [`Step::InitQuery`] |
//! | `parameters are:` + `\| name \| value \|` table | [`Step::Parameters`] |
//! | `there exists a procedure <signature>:` + optional table | [`Step::Procedure`] |
//! | `executing query:` + doc string | [`Step::ExecuteQuery`] |
//! | `executing control query:` + doc string | [`Step::ExecuteControlQuery`] |
//! | `the result should be, in any order:` + table | [`Step::ExpectResult`] |
//! | `the result should be, in order:` + table | [`Step::ExpectResult`] (ordered) |
//! | `the result should be (ignoring element order for lists):` + table | [`Step::ExpectResult`] (lists unordered) |
//! | `the result should be, in order (ignoring element order for lists):` + table | [`Step::ExpectResult`] (both) |
//! | `the result should be empty` | [`Step::ExpectEmpty`] |
//! | `a <Type> should be raised at <compile time\|runtime\|any time>: <Detail>` | [`Step::ExpectError`] |
//! | `the side effects should be:` + `\| +nodes \| 1 \|` table | [`Step::ExpectSideEffects`] |
//! | `no side effects` | [`Step::ExpectSideEffects`] (all zero) |
//!
//! The README's spellings `after having executed:` and `parameter values
//! are:`, and a query written inline after the colon, are accepted too.
//! Any other step text is an error naming the file and line.

use std::collections::BTreeMap;
use std::fmt;

use super::engine::{ErrorPhase, SideEffects};
use super::gherkin::{ParseError, RawStep, TableRow};
use super::value::{ListOrder, TckValue};
use super::value_parser::parse_value;

/// A step with where it came from.
#[derive(Debug, Clone)]
pub struct StepAt {
    /// The 1-based line in the feature file.
    pub line: usize,
    /// The step as written (keyword and text), for messages.
    pub text: String,
    /// What the step means.
    pub step: Step,
}

/// What a step means.
#[derive(Debug, Clone)]
pub enum Step {
    /// `Given an empty graph`.
    EmptyGraph,
    /// `Given any graph` (the runner uses an empty graph).
    AnyGraph,
    /// `Given the binary-tree-1 graph`: a named graph of `tests/tck/graphs/`.
    NamedGraph(String),
    /// `And having executed: """..."""`: a set-up query; it must succeed.
    InitQuery(String),
    /// `And parameters are:`: parameters for the queries that follow.
    Parameters(BTreeMap<String, TckValue>),
    /// `And there exists a procedure ...:`: a procedure to register.
    Procedure(ProcedureSpec),
    /// `When executing query: """..."""`: the query under test; side
    /// effects are measured around it.
    ExecuteQuery(String),
    /// `When executing control query: """..."""`: a query whose result is
    /// checked, without side-effect measurement.
    ExecuteControlQuery(String),
    /// `Then the result should be...:` with a table.
    ExpectResult(ExpectedResult),
    /// `Then the result should be empty`: no rows (columns not checked).
    ExpectEmpty,
    /// `Then a <Type> should be raised at <phase>: <detail>`.
    ExpectError(ExpectedError),
    /// `And the side effects should be:` / `And no side effects`.
    ExpectSideEffects(SideEffects),
}

/// An expected result table.
#[derive(Debug, Clone)]
pub struct ExpectedResult {
    /// Column names, exactly as in the header, in order.
    pub columns: Vec<String>,
    /// Expected rows, one value per column.
    pub rows: Vec<Vec<TckValue>>,
    /// Whether rows must come in this order (`in order`) or form the same
    /// multiset (`in any order`).
    pub ordered: bool,
    /// Whether lists compare ignoring element order.
    pub lists: ListOrder,
}

/// An expected error.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExpectedError {
    /// `SyntaxError`, `TypeError`, ...
    pub error_type: String,
    /// When it must be raised.
    pub phase: ErrorPhase,
    /// The detail, e.g. `InvalidArgumentType`; `*` accepts any detail.
    pub detail: String,
}

impl fmt::Display for ExpectedError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} at {}: {}", self.error_type, self.phase, self.detail)
    }
}

/// A procedure declared by `there exists a procedure name(in :: T?) ::
/// (out :: T?):` with its table of input → output rows.
#[derive(Debug, Clone, PartialEq)]
pub struct ProcedureSpec {
    /// The qualified name, e.g. `test.my.proc`.
    pub name: String,
    /// Input parameters: name and declared type (e.g. `INTEGER?`).
    pub inputs: Vec<(String, String)>,
    /// Output fields: name and declared type.
    pub outputs: Vec<(String, String)>,
    /// The table: each row holds the input values followed by the output
    /// values (columns = inputs then outputs). Calling the procedure with
    /// some inputs yields the outputs of the rows whose inputs equal them.
    pub rows: Vec<Vec<TckValue>>,
    /// The signature as written.
    pub signature: String,
}

struct Ctx<'a> {
    file: &'a str,
    step: &'a RawStep,
}

impl Ctx<'_> {
    fn err(&self, line: usize, message: impl Into<String>) -> ParseError {
        ParseError {
            file: self.file.to_owned(),
            line,
            message: message.into(),
        }
    }

    fn no_attachment(&self) -> Result<(), ParseError> {
        if self.step.doc_string.is_some() || !self.step.table.is_empty() {
            return Err(self.err(self.step.line, "this step takes no doc string or table"));
        }
        Ok(())
    }

    /// The query of a step: its doc string, or the text after the colon.
    fn query(&self, inline: &str) -> Result<String, ParseError> {
        if !self.step.table.is_empty() {
            return Err(self.err(self.step.line, "a query step takes no table"));
        }
        match (&self.step.doc_string, inline.trim()) {
            (Some(doc), "") => Ok(doc.content.clone()),
            (None, inline) if !inline.is_empty() => Ok(inline.to_owned()),
            (Some(_), _) => {
                Err(self.err(self.step.line, "a query both inline and as a doc string"))
            }
            (None, _) => Err(self.err(self.step.line, "missing the query doc string")),
        }
    }

    fn table(&self) -> Result<&[TableRow], ParseError> {
        if self.step.doc_string.is_some() {
            return Err(self.err(self.step.line, "this step takes a table, not a doc string"));
        }
        if self.step.table.is_empty() {
            return Err(self.err(self.step.line, "missing the table"));
        }
        Ok(&self.step.table)
    }

    fn value(&self, row: &TableRow, cell: &str) -> Result<TckValue, ParseError> {
        parse_value(cell).map_err(|e| self.err(row.line, format!("value `{cell}`: {e}")))
    }
}

/// Parses a Gherkin step into the model; unknown step texts are errors.
pub fn parse_step(file: &str, step: &RawStep) -> Result<StepAt, ParseError> {
    let ctx = Ctx { file, step };
    let text = step.text.as_str();
    let parsed = match text {
        "an empty graph" => ctx.no_attachment().map(|()| Step::EmptyGraph)?,
        "any graph" => ctx.no_attachment().map(|()| Step::AnyGraph)?,
        "the result should be empty" => ctx.no_attachment().map(|()| Step::ExpectEmpty)?,
        "no side effects" => ctx
            .no_attachment()
            .map(|()| Step::ExpectSideEffects(SideEffects::default()))?,
        "the side effects should be:" => Step::ExpectSideEffects(side_effects(&ctx)?),
        "parameters are:" | "parameter values are:" => Step::Parameters(parameters(&ctx)?),
        _ => parse_prefixed(&ctx, text)?,
    };
    Ok(StepAt {
        line: step.line,
        text: format!("{} {}", step.keyword.as_str(), text),
        step: parsed,
    })
}

fn parse_prefixed(ctx: &Ctx<'_>, text: &str) -> Result<Step, ParseError> {
    for prefix in ["having executed:", "after having executed:"] {
        if let Some(rest) = text.strip_prefix(prefix) {
            return ctx.query(rest).map(Step::InitQuery);
        }
    }
    if let Some(rest) = text.strip_prefix("executing query:") {
        return ctx.query(rest).map(Step::ExecuteQuery);
    }
    if let Some(rest) = text.strip_prefix("executing control query:") {
        return ctx.query(rest).map(Step::ExecuteControlQuery);
    }
    if let Some(rest) = text.strip_prefix("the result should be") {
        let (ordered, lists) = match rest {
            ", in any order:" => (false, ListOrder::Ordered),
            ", in order:" => (true, ListOrder::Ordered),
            " (ignoring element order for lists):"
            | ", in any order (ignoring element order for lists):" => (false, ListOrder::Unordered),
            ", in order (ignoring element order for lists):" => (true, ListOrder::Unordered),
            _ => return Err(unknown(ctx, text)),
        };
        return expected_result(ctx, ordered, lists).map(Step::ExpectResult);
    }
    if let Some(name) = text
        .strip_prefix("the ")
        .and_then(|r| r.strip_suffix(" graph"))
    {
        if !name.is_empty() && !name.contains(char::is_whitespace) {
            ctx.no_attachment()?;
            return Ok(Step::NamedGraph(name.to_owned()));
        }
    }
    if let Some(signature) = text.strip_prefix("there exists a procedure ") {
        return procedure(ctx, signature).map(Step::Procedure);
    }
    if let Some(expected) = expected_error(text) {
        ctx.no_attachment()?;
        return Ok(Step::ExpectError(expected));
    }
    Err(unknown(ctx, text))
}

fn unknown(ctx: &Ctx<'_>, text: &str) -> ParseError {
    ctx.err(
        ctx.step.line,
        format!("unknown step: {} {text}", ctx.step.keyword.as_str()),
    )
}

/// `a TypeError should be raised at runtime: InvalidArgumentType`.
fn expected_error(text: &str) -> Option<ExpectedError> {
    let rest = text
        .strip_prefix("a ")
        .or_else(|| text.strip_prefix("an "))?;
    let (error_type, rest) = rest.split_once(" should be raised at ")?;
    let (phase, detail) = rest.split_once(':')?;
    let phase = match phase.trim() {
        "compile time" => ErrorPhase::CompileTime,
        "runtime" => ErrorPhase::Runtime,
        "any time" => ErrorPhase::AnyTime,
        _ => return None,
    };
    let detail = detail.trim();
    let valid_name = |s: &str| !s.is_empty() && s.chars().all(|c| c.is_alphanumeric() || c == '_');
    if !valid_name(error_type) || !(detail == "*" || valid_name(detail)) {
        return None;
    }
    Some(ExpectedError {
        error_type: error_type.to_owned(),
        phase,
        detail: detail.to_owned(),
    })
}

fn expected_result(
    ctx: &Ctx<'_>,
    ordered: bool,
    lists: ListOrder,
) -> Result<ExpectedResult, ParseError> {
    let table = ctx.table()?;
    let (header, body) = table
        .split_first()
        .ok_or_else(|| ctx.err(ctx.step.line, "empty table"))?;
    let mut rows = Vec::with_capacity(body.len());
    for row in body {
        let values = row
            .cells
            .iter()
            .map(|cell| ctx.value(row, cell))
            .collect::<Result<Vec<_>, _>>()?;
        rows.push(values);
    }
    Ok(ExpectedResult {
        columns: header.cells.clone(),
        rows,
        ordered,
        lists,
    })
}

fn parameters(ctx: &Ctx<'_>) -> Result<BTreeMap<String, TckValue>, ParseError> {
    let mut params = BTreeMap::new();
    for row in ctx.table()? {
        let [name, value] = row.cells.as_slice() else {
            return Err(ctx.err(row.line, "a parameter row must be `| name | value |`"));
        };
        if params
            .insert(name.clone(), ctx.value(row, value)?)
            .is_some()
        {
            return Err(ctx.err(row.line, format!("parameter `{name}` given twice")));
        }
    }
    Ok(params)
}

fn side_effects(ctx: &Ctx<'_>) -> Result<SideEffects, ParseError> {
    let mut effects = SideEffects::default();
    let mut seen = Vec::new();
    for row in ctx.table()? {
        let [key, count] = row.cells.as_slice() else {
            return Err(ctx.err(row.line, "a side-effect row must be `| +nodes | 1 |`"));
        };
        let count: u64 = count.parse().map_err(|_| {
            ctx.err(
                row.line,
                format!("side-effect count `{count}` is not a number"),
            )
        })?;
        let slot = match key.as_str() {
            "+nodes" => &mut effects.added_nodes,
            "-nodes" => &mut effects.deleted_nodes,
            "+relationships" => &mut effects.added_relationships,
            "-relationships" => &mut effects.deleted_relationships,
            "+labels" => &mut effects.added_labels,
            "-labels" => &mut effects.deleted_labels,
            "+properties" => &mut effects.added_properties,
            "-properties" => &mut effects.deleted_properties,
            other => return Err(ctx.err(row.line, format!("unknown side effect `{other}`"))),
        };
        if seen.contains(key) {
            return Err(ctx.err(row.line, format!("side effect `{key}` given twice")));
        }
        seen.push(key.clone());
        *slot = count;
    }
    Ok(effects)
}

/// `test.my.proc(name :: STRING?, in :: INTEGER?) :: (out :: INTEGER?):`
fn procedure(ctx: &Ctx<'_>, signature: &str) -> Result<ProcedureSpec, ParseError> {
    let line = ctx.step.line;
    let bad = |what: &str| ctx.err(line, format!("procedure signature `{signature}`: {what}"));
    let sig = signature
        .trim()
        .strip_suffix(':')
        .ok_or_else(|| bad("must end with `:`"))?
        .trim();
    let (name, rest) = sig.split_once('(').ok_or_else(|| bad("missing `(`"))?;
    let (inputs, rest) = rest.split_once(')').ok_or_else(|| bad("missing `)`"))?;
    let outputs = rest
        .trim()
        .strip_prefix("::")
        .map(str::trim)
        .and_then(|r| r.strip_prefix('('))
        .and_then(|r| r.strip_suffix(')'))
        .ok_or_else(|| bad("expected `:: (outputs)`"))?;
    let fields = |list: &str| -> Result<Vec<(String, String)>, ParseError> {
        list.split(',')
            .map(str::trim)
            .filter(|f| !f.is_empty())
            .map(|field| {
                field
                    .split_once("::")
                    .map(|(n, t)| (n.trim().to_owned(), t.trim().to_owned()))
                    .filter(|(n, t)| !n.is_empty() && !t.is_empty())
                    .ok_or_else(|| bad(&format!("field `{field}` is not `name :: TYPE`")))
            })
            .collect()
    };
    let name = name.trim();
    if name.is_empty() {
        return Err(bad("missing the name"));
    }
    let inputs = fields(inputs)?;
    let outputs = fields(outputs)?;
    if ctx.step.doc_string.is_some() {
        return Err(ctx.err(line, "a procedure step takes a table, not a doc string"));
    }
    let mut rows = Vec::new();
    if let Some((header, body)) = ctx.step.table.split_first() {
        let expected: Vec<&String> = inputs.iter().chain(&outputs).map(|(n, _)| n).collect();
        let actual: Vec<&String> = header.cells.iter().collect();
        if expected != actual {
            return Err(ctx.err(
                header.line,
                format!("procedure table header {actual:?} differs from the signature's fields {expected:?}"),
            ));
        }
        for row in body {
            rows.push(
                row.cells
                    .iter()
                    .map(|c| ctx.value(row, c))
                    .collect::<Result<Vec<_>, _>>()?,
            );
        }
    }
    Ok(ProcedureSpec {
        name: name.to_owned(),
        inputs,
        outputs,
        rows,
        signature: sig.to_owned(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tck::gherkin::{DocString, Keyword};

    fn raw(text: &str, doc: Option<&str>, table: &[&[&str]]) -> RawStep {
        RawStep {
            keyword: Keyword::And,
            text: text.to_owned(),
            line: 7,
            doc_string: doc.map(|d| DocString {
                line: 8,
                content: d.to_owned(),
            }),
            table: table
                .iter()
                .enumerate()
                .map(|(i, cells)| TableRow {
                    line: 8 + i,
                    cells: cells.iter().map(|c| (*c).to_owned()).collect(),
                })
                .collect(),
        }
    }

    fn step(text: &str, doc: Option<&str>, table: &[&[&str]]) -> Step {
        match parse_step("f.feature", &raw(text, doc, table)) {
            Ok(s) => s.step,
            Err(e) => panic!("{text}: {e}"),
        }
    }

    #[test]
    fn recognises_graph_and_query_steps() {
        assert!(matches!(
            step("an empty graph", None, &[]),
            Step::EmptyGraph
        ));
        assert!(matches!(step("any graph", None, &[]), Step::AnyGraph));
        assert!(
            matches!(step("the binary-tree-1 graph", None, &[]), Step::NamedGraph(n) if n == "binary-tree-1")
        );
        assert!(
            matches!(step("having executed:", Some("CREATE ()"), &[]), Step::InitQuery(q) if q == "CREATE ()")
        );
        assert!(
            matches!(step("executing query: RETURN 1", None, &[]), Step::ExecuteQuery(q) if q == "RETURN 1")
        );
        assert!(matches!(
            step("executing control query:", Some("MATCH (n) RETURN n"), &[]),
            Step::ExecuteControlQuery(_)
        ));
    }

    #[test]
    fn recognises_result_steps() {
        let table: &[&[&str]] = &[&["n", "count(*)"], &["(:A {v: 1})", "2"]];
        let Step::ExpectResult(r) = step("the result should be, in order:", None, table) else {
            panic!("not a result step");
        };
        assert!(r.ordered);
        assert_eq!(r.lists, ListOrder::Ordered);
        assert_eq!(r.columns, ["n", "count(*)"]);
        assert_eq!(r.rows[0][1], TckValue::Integer(2));
        let Step::ExpectResult(r) = step(
            "the result should be (ignoring element order for lists):",
            None,
            table,
        ) else {
            panic!("not a result step");
        };
        assert!(!r.ordered);
        assert_eq!(r.lists, ListOrder::Unordered);
        assert!(matches!(
            step("the result should be empty", None, &[]),
            Step::ExpectEmpty
        ));
    }

    #[test]
    fn recognises_errors_params_side_effects_procedures() {
        let Step::ExpectError(e) = step("a TypeError should be raised at any time: *", None, &[])
        else {
            panic!("not an error step");
        };
        assert_eq!(e.phase, ErrorPhase::AnyTime);
        assert_eq!(e.detail, "*");
        let Step::Parameters(p) = step(
            "parameters are:",
            None,
            &[&["idx", "'name'"], &["n", "1.0"]],
        ) else {
            panic!("not parameters");
        };
        assert_eq!(p["n"], TckValue::Float(1.0));
        let Step::ExpectSideEffects(s) = step(
            "the side effects should be:",
            None,
            &[&["+nodes", "1"], &["-properties", "3"]],
        ) else {
            panic!("not side effects");
        };
        assert_eq!(
            (s.added_nodes, s.deleted_properties, s.added_labels),
            (1, 3, 0)
        );
        let Step::Procedure(p) = step(
            "there exists a procedure test.my.proc(in :: INTEGER?) :: (a :: INTEGER?, b :: INTEGER?) :",
            None,
            &[&["in", "a", "b"], &["1", "2", "3"]],
        ) else {
            panic!("not a procedure");
        };
        assert_eq!(p.name, "test.my.proc");
        assert_eq!(p.outputs.len(), 2);
        assert_eq!(
            p.rows,
            vec![vec![
                TckValue::Integer(1),
                TckValue::Integer(2),
                TckValue::Integer(3)
            ]]
        );
        let Step::Procedure(p) = step(
            "there exists a procedure test.doNothing() :: ():",
            None,
            &[&[]],
        ) else {
            panic!("not a procedure");
        };
        assert!(p.inputs.is_empty() && p.outputs.is_empty() && p.rows.is_empty());
    }

    #[test]
    fn rejects_unknown_and_malformed_steps() {
        type Case<'a> = (&'a str, Option<&'a str>, &'a [&'a [&'a str]]);
        let cases: [Case<'_>; 7] = [
            ("the result should be sorted:", None, &[&["a"]]),
            ("a TypeError should be raised at lunchtime: X", None, &[]),
            ("something else entirely", None, &[]),
            ("executing query:", None, &[]),
            ("the side effects should be:", None, &[&["+widgets", "1"]]),
            (
                "the result should be, in any order:",
                None,
                &[&["a"], &["not a value"]],
            ),
            ("an empty graph", Some("CREATE ()"), &[]),
        ];
        for (text, doc, table) in cases {
            match parse_step("f.feature", &raw(text, doc, table)) {
                Ok(s) => panic!("{text} parsed as {:?}", s.step),
                Err(e) => assert_eq!(e.file, "f.feature", "{e}"),
            }
        }
    }
}
