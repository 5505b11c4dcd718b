//! A parser for the subset of Gherkin the openCypher TCK uses: `Feature`,
//! `Background`, `Scenario`, `Scenario Outline` with `Examples` tables,
//! tags, the step keywords `Given`/`When`/`Then`/`And`/`But`/`*`, doc
//! strings (`"""` or ```` ``` ````) and data tables. Comments (`#` lines)
//! and a feature's free-text description are skipped; any other unexpected
//! line is an error with its file and line.
//!
//! [`super::outline::expand`] turns the parsed feature into concrete
//! scenarios.

use std::fmt;

/// A parse error in a feature file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    /// The file (as given to the parser, usually relative to `features/`).
    pub file: String,
    /// The 1-based line.
    pub line: usize,
    /// What was wrong.
    pub message: String,
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}: {}", self.file, self.line, self.message)
    }
}

impl std::error::Error for ParseError {}

/// A step keyword.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Keyword {
    /// `Given`.
    Given,
    /// `When`.
    When,
    /// `Then`.
    Then,
    /// `And`.
    And,
    /// `But`.
    But,
    /// `*`.
    Star,
}

impl Keyword {
    /// The keyword as written.
    pub fn as_str(self) -> &'static str {
        match self {
            Keyword::Given => "Given",
            Keyword::When => "When",
            Keyword::Then => "Then",
            Keyword::And => "And",
            Keyword::But => "But",
            Keyword::Star => "*",
        }
    }
}

/// One row of a data table or an examples table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableRow {
    /// The 1-based line of the row.
    pub line: usize,
    /// The cells, trimmed and unescaped (`\|`, `\\`, `\n`).
    pub cells: Vec<String>,
}

/// A doc string (`"""` block) attached to a step.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DocString {
    /// The 1-based line of the opening delimiter.
    pub line: usize,
    /// The content, with the delimiter's indentation removed.
    pub content: String,
}

/// A step as written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawStep {
    /// The keyword.
    pub keyword: Keyword,
    /// The text after the keyword, trimmed.
    pub text: String,
    /// The 1-based line.
    pub line: usize,
    /// The attached doc string, if any.
    pub doc_string: Option<DocString>,
    /// The attached data table rows (empty when there is no table).
    pub table: Vec<TableRow>,
}

/// An `Examples:` block of an outline.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Examples {
    /// Tags written above the block.
    pub tags: Vec<String>,
    /// The 1-based line of `Examples:`.
    pub line: usize,
    /// The header row (the placeholder names).
    pub header: Vec<String>,
    /// The example rows.
    pub rows: Vec<TableRow>,
}

/// A scenario or scenario outline as written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawScenario {
    /// The name after `Scenario:`.
    pub name: String,
    /// Tags written above the scenario (with their `@`).
    pub tags: Vec<String>,
    /// The 1-based line of the `Scenario` keyword.
    pub line: usize,
    /// Whether this is a `Scenario Outline`.
    pub outline: bool,
    /// The steps.
    pub steps: Vec<RawStep>,
    /// The examples blocks (outlines only).
    pub examples: Vec<Examples>,
}

/// A parsed feature file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GherkinFeature {
    /// The file name given to the parser.
    pub file: String,
    /// The name after `Feature:`.
    pub name: String,
    /// Tags written above `Feature:`.
    pub tags: Vec<String>,
    /// The 1-based line of `Feature:`.
    pub line: usize,
    /// The background steps, if the feature has a background.
    pub background: Vec<RawStep>,
    /// The scenarios and outlines, in file order.
    pub scenarios: Vec<RawScenario>,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Section {
    BeforeFeature,
    FeatureDescription,
    Background,
    Scenario,
    Examples,
}

struct State {
    file: String,
    feature: Option<GherkinFeature>,
    section: Section,
    pending_tags: Vec<String>,
    pending_tags_line: usize,
}

impl State {
    fn err(&self, line: usize, message: impl Into<String>) -> ParseError {
        ParseError {
            file: self.file.clone(),
            line,
            message: message.into(),
        }
    }

    fn feature_mut(&mut self, line: usize) -> Result<&mut GherkinFeature, ParseError> {
        let file = self.file.clone();
        self.feature.as_mut().ok_or(ParseError {
            file,
            line,
            message: "expected `Feature:` first".to_owned(),
        })
    }

    /// The step list new steps go to.
    fn current_steps(&mut self, line: usize) -> Result<&mut Vec<RawStep>, ParseError> {
        let section = self.section;
        let file = self.file.clone();
        let feature = self.feature_mut(line)?;
        match section {
            Section::Background => Ok(&mut feature.background),
            Section::Scenario => {
                feature
                    .scenarios
                    .last_mut()
                    .map(|s| &mut s.steps)
                    .ok_or(ParseError {
                        file,
                        line,
                        message: "step outside a scenario".to_owned(),
                    })
            }
            Section::Examples => Err(ParseError {
                file,
                line,
                message: "step after `Examples:`".to_owned(),
            }),
            Section::BeforeFeature | Section::FeatureDescription => Err(ParseError {
                file,
                line,
                message: "step outside a scenario or background".to_owned(),
            }),
        }
    }

    fn take_tags(&mut self) -> Vec<String> {
        std::mem::take(&mut self.pending_tags)
    }
}

const STEP_KEYWORDS: [(&str, Keyword); 6] = [
    ("Given ", Keyword::Given),
    ("When ", Keyword::When),
    ("Then ", Keyword::Then),
    ("And ", Keyword::And),
    ("But ", Keyword::But),
    ("* ", Keyword::Star),
];

/// Parses a feature file's text; `file` names it in errors.
pub fn parse_feature(file: &str, text: &str) -> Result<GherkinFeature, ParseError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let lines: Vec<&str> = text.lines().collect();
    let mut state = State {
        file: file.to_owned(),
        feature: None,
        section: Section::BeforeFeature,
        pending_tags: Vec::new(),
        pending_tags_line: 0,
    };
    let mut i = 0;
    while i < lines.len() {
        let line_no = i + 1;
        let raw = lines[i];
        let trimmed = raw.trim();
        i += 1;
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        if trimmed.starts_with('@') {
            parse_tags(&mut state, trimmed, line_no)?;
        } else if let Some(name) = trimmed.strip_prefix("Feature:") {
            if state.feature.is_some() {
                return Err(state.err(line_no, "a second `Feature:`"));
            }
            let tags = state.take_tags();
            state.feature = Some(GherkinFeature {
                file: file.to_owned(),
                name: name.trim().to_owned(),
                tags,
                line: line_no,
                background: Vec::new(),
                scenarios: Vec::new(),
            });
            state.section = Section::FeatureDescription;
        } else if trimmed.starts_with("Background:") {
            if !state.pending_tags.is_empty() {
                return Err(state.err(line_no, "tags are not allowed on `Background:`"));
            }
            let feature = state.feature_mut(line_no)?;
            if !feature.scenarios.is_empty() || !feature.background.is_empty() {
                return Err(state.err(
                    line_no,
                    "`Background:` must come once, before the scenarios",
                ));
            }
            state.section = Section::Background;
        } else if let Some((outline, name)) = scenario_header(trimmed) {
            let tags = state.take_tags();
            state.feature_mut(line_no)?.scenarios.push(RawScenario {
                name: name.trim().to_owned(),
                tags,
                line: line_no,
                outline,
                steps: Vec::new(),
                examples: Vec::new(),
            });
            state.section = Section::Scenario;
        } else if trimmed.starts_with("Examples:") || trimmed.starts_with("Scenarios:") {
            let tags = state.take_tags();
            let section = state.section;
            let file = state.file.clone();
            let feature = state.feature_mut(line_no)?;
            match feature.scenarios.last_mut() {
                Some(scenario)
                    if scenario.outline
                        && matches!(section, Section::Scenario | Section::Examples) =>
                {
                    scenario.examples.push(Examples {
                        tags,
                        line: line_no,
                        header: Vec::new(),
                        rows: Vec::new(),
                    });
                }
                _ => {
                    return Err(ParseError {
                        file,
                        line: line_no,
                        message: "`Examples:` outside a `Scenario Outline`".to_owned(),
                    })
                }
            }
            state.section = Section::Examples;
        } else if trimmed.starts_with('|') {
            let row = TableRow {
                line: line_no,
                cells: split_row(&state, trimmed, line_no)?,
            };
            add_table_row(&mut state, row)?;
        } else if let Some(delimiter) = ["\"\"\"", "```"]
            .into_iter()
            .find(|d| trimmed.starts_with(d))
        {
            let indent = raw.len() - raw.trim_start().len();
            let (content, next) = read_doc_string(&state, &lines, i, indent, delimiter, line_no)?;
            i = next;
            let steps = state.current_steps(line_no)?;
            let Some(step) = steps.last_mut() else {
                return Err(state.err(line_no, "doc string without a step"));
            };
            if step.doc_string.is_some() || !step.table.is_empty() {
                return Err(state.err(line_no, "a step can have one doc string or one table"));
            }
            step.doc_string = Some(DocString {
                line: line_no,
                content,
            });
        } else if let Some((keyword, text)) = STEP_KEYWORDS
            .iter()
            .find_map(|(prefix, keyword)| trimmed.strip_prefix(prefix).map(|rest| (*keyword, rest)))
        {
            let steps = state.current_steps(line_no)?;
            steps.push(RawStep {
                keyword,
                text: text.trim().to_owned(),
                line: line_no,
                doc_string: None,
                table: Vec::new(),
            });
        } else if state.section == Section::FeatureDescription {
            // Free-text feature description.
        } else {
            return Err(state.err(line_no, format!("unexpected line: {trimmed}")));
        }
    }
    if !state.pending_tags.is_empty() {
        return Err(state.err(state.pending_tags_line, "tags not followed by a scenario"));
    }
    let feature = state
        .feature
        .take()
        .ok_or_else(|| state.err(1, "no `Feature:` found"))?;
    validate(&state, &feature)?;
    Ok(feature)
}

fn scenario_header(trimmed: &str) -> Option<(bool, &str)> {
    for (prefix, outline) in [
        ("Scenario Outline:", true),
        ("Scenario Template:", true),
        ("Scenario:", false),
        ("Example:", false),
    ] {
        if let Some(rest) = trimmed.strip_prefix(prefix) {
            return Some((outline, rest));
        }
    }
    None
}

fn parse_tags(state: &mut State, trimmed: &str, line_no: usize) -> Result<(), ParseError> {
    if state.pending_tags.is_empty() {
        state.pending_tags_line = line_no;
    }
    for word in trimmed.split_whitespace() {
        if word.starts_with('#') {
            break;
        }
        if !word.starts_with('@') || word.len() < 2 {
            return Err(state.err(line_no, format!("malformed tag `{word}`")));
        }
        state.pending_tags.push(word.to_owned());
    }
    Ok(())
}

fn add_table_row(state: &mut State, row: TableRow) -> Result<(), ParseError> {
    let line_no = row.line;
    if state.section == Section::Examples {
        let file = state.file.clone();
        let examples = state
            .feature_mut(line_no)?
            .scenarios
            .last_mut()
            .and_then(|s| s.examples.last_mut())
            .ok_or_else(|| ParseError {
                file: file.clone(),
                line: line_no,
                message: "table outside examples".to_owned(),
            })?;
        if examples.header.is_empty() && examples.rows.is_empty() && !row.cells.is_empty() {
            examples.header = row.cells;
        } else if row.cells.len() != examples.header.len() {
            let message = format!(
                "examples row has {} cells, the header {}",
                row.cells.len(),
                examples.header.len()
            );
            return Err(ParseError {
                file,
                line: line_no,
                message,
            });
        } else {
            examples.rows.push(row);
        }
        return Ok(());
    }
    let steps = state.current_steps(line_no)?;
    let Some(step) = steps.last_mut() else {
        return Err(state.err(line_no, "table without a step"));
    };
    if step.doc_string.is_some() {
        return Err(state.err(line_no, "a step can have one doc string or one table"));
    }
    if let Some(first) = step.table.first() {
        if first.cells.len() != row.cells.len() {
            let message = format!(
                "table row has {} cells, the first row {} (line {})",
                row.cells.len(),
                first.cells.len(),
                first.line
            );
            return Err(state.err(line_no, message));
        }
    }
    step.table.push(row);
    Ok(())
}

/// Splits `| a | b |` into trimmed, unescaped cells. A lone `|` is a row
/// with no cells.
fn split_row(state: &State, trimmed: &str, line_no: usize) -> Result<Vec<String>, ParseError> {
    let mut cells = Vec::new();
    let mut chars = trimmed.chars().skip(1).peekable();
    let mut cell = String::new();
    let mut open = false;
    while let Some(c) = chars.next() {
        open = true;
        match c {
            '\\' => match chars.next() {
                Some('|') => cell.push('|'),
                Some('\\') | None => cell.push('\\'),
                Some('n') => cell.push('\n'),
                Some(other) => {
                    cell.push('\\');
                    cell.push(other);
                }
            },
            '|' => {
                cells.push(cell.trim().to_owned());
                cell.clear();
                open = false;
            }
            c => cell.push(c),
        }
    }
    if open && !cell.trim().is_empty() {
        return Err(state.err(line_no, "table row does not end with `|`"));
    }
    Ok(cells)
}

/// Reads a doc string whose opening delimiter is on line `start` (0-based
/// index `start - 1`); returns the content and the index after the closing
/// delimiter.
fn read_doc_string(
    state: &State,
    lines: &[&str],
    mut i: usize,
    indent: usize,
    delimiter: &str,
    open_line: usize,
) -> Result<(String, usize), ParseError> {
    let mut content: Vec<String> = Vec::new();
    while i < lines.len() {
        let raw = lines[i];
        i += 1;
        if raw.trim() == delimiter {
            return Ok((content.join("\n"), i));
        }
        let mut strip = 0;
        for (pos, c) in raw.char_indices() {
            if pos >= indent || !c.is_whitespace() {
                break;
            }
            strip = pos + c.len_utf8();
        }
        let line = &raw[strip..];
        let escaped = if delimiter == "\"\"\"" {
            "\\\"\\\"\\\""
        } else {
            "\\`\\`\\`"
        };
        content.push(line.replace(escaped, delimiter));
    }
    Err(state.err(open_line, "unterminated doc string"))
}

fn validate(state: &State, feature: &GherkinFeature) -> Result<(), ParseError> {
    for scenario in &feature.scenarios {
        if scenario.steps.is_empty() {
            return Err(state.err(scenario.line, "scenario without steps"));
        }
        if scenario.outline {
            if scenario.examples.iter().all(|e| e.rows.is_empty()) {
                return Err(state.err(scenario.line, "scenario outline without example rows"));
            }
            for examples in &scenario.examples {
                if examples.header.is_empty() {
                    return Err(state.err(examples.line, "`Examples:` without a header row"));
                }
            }
        }
    }
    Ok(())
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    pub(crate) const SAMPLE: &str = r#"#encoding: utf-8
@featuretag
Feature: Sample - things
  Some description.

  Background:
    Given an empty graph

  @skip @fails
  Scenario: [1] Plain
    When executing query:
      """
      RETURN 1 AS x,
        '\"\"\"' AS y
      """
    Then the result should be, in any order:
      | x | y       |
      | 1 | 'a\|b' |
    # a comment
    And no side effects

  Scenario Outline: [2] Outline <what>
    When executing query:
      """
      RETURN <expr> AS v
      """
    Then the result should be, in any order:
      | v        |
      | <result> |

    Examples:
      | what | expr  | result |
      | one  | 1     | 1      |
      | path | 2     | <(:A)-[:T]->()> |

    @extra
    Examples:
      | what | expr | result |
      | more | 3    | 3      |
"#;

    pub(crate) fn parse(text: &str) -> GherkinFeature {
        match parse_feature("sample.feature", text) {
            Ok(f) => f,
            Err(e) => panic!("parse failed: {e}"),
        }
    }

    #[test]
    fn parses_the_supported_subset() {
        let feature = parse(SAMPLE);
        assert_eq!(feature.name, "Sample - things");
        assert_eq!(feature.tags, ["@featuretag"]);
        assert_eq!(feature.background.len(), 1);
        assert_eq!(feature.scenarios.len(), 2);
        let plain = &feature.scenarios[0];
        assert_eq!(plain.tags, ["@skip", "@fails"]);
        assert_eq!(plain.line, 10);
        assert_eq!(plain.steps.len(), 3);
        let doc = plain.steps[0]
            .doc_string
            .as_ref()
            .map(|d| d.content.as_str());
        assert_eq!(doc, Some("RETURN 1 AS x,\n  '\"\"\"' AS y"));
        assert_eq!(plain.steps[1].table[1].cells, ["1", "'a|b'"]);
        assert_eq!(plain.steps[1].table[1].line, 18);
        let outline = &feature.scenarios[1];
        assert!(outline.outline);
        assert_eq!(outline.examples.len(), 2);
        assert_eq!(outline.examples[1].tags, ["@extra"]);
    }

    #[test]
    fn empty_table_row_has_no_cells() {
        let text = "Feature: F\n  Scenario: S\n    Given x:\n      |\n";
        let feature = parse(text);
        assert_eq!(feature.scenarios[0].steps[0].table.len(), 1);
        assert!(feature.scenarios[0].steps[0].table[0].cells.is_empty());
    }

    #[test]
    fn reports_errors_with_lines() {
        let cases = [
            (
                "Feature: F\n  Scenario: S\n    Given x\n    whatever\n",
                4,
                "unexpected line",
            ),
            (
                "Feature: F\n  Scenario: S\n    Given x:\n      \"\"\"\n      open\n",
                4,
                "unterminated",
            ),
            (
                "Feature: F\n  Scenario: S\n    Given x:\n      | a | b |\n      | 1 |\n",
                5,
                "cells",
            ),
            (
                "Feature: F\n  Scenario Outline: S\n    Given x\n",
                2,
                "without example rows",
            ),
            ("  Scenario: S\n    Given x\n", 1, "Feature"),
            (
                "Feature: F\n  Scenario: S\n    Given x:\n      | a | b\n",
                4,
                "end with",
            ),
        ];
        for (text, line, fragment) in cases {
            match parse_feature("bad.feature", text) {
                Ok(_) => panic!("{text:?} should not parse"),
                Err(e) => {
                    assert_eq!(e.line, line, "{e}");
                    assert_eq!(e.file, "bad.feature");
                    assert!(e.message.contains(fragment), "{e}");
                }
            }
        }
    }
}
