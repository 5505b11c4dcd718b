//! Expanding a parsed feature into concrete scenarios: background steps
//! first, then the scenario's; each `Scenario Outline` is instantiated once
//! per example row (over all its `Examples` blocks, numbered from 1) with
//! `<name>` placeholders substituted in the scenario name, step texts, doc
//! strings and table cells.

use super::gherkin::{DocString, GherkinFeature, RawStep, TableRow};

/// Which example row an expanded scenario came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExampleRef {
    /// 1-based index over all example rows of the outline.
    pub index: usize,
    /// The 1-based line of the example row.
    pub line: usize,
    /// Placeholder name → value for this row.
    pub values: Vec<(String, String)>,
}

/// A concrete scenario: background plus scenario steps, placeholders
/// substituted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExpandedScenario {
    /// The scenario name (placeholders substituted).
    pub name: String,
    /// Feature, scenario and examples tags.
    pub tags: Vec<String>,
    /// The 1-based line of the `Scenario` keyword.
    pub line: usize,
    /// The example row, for outline instances.
    pub example: Option<ExampleRef>,
    /// Background steps followed by the scenario's steps.
    pub steps: Vec<RawStep>,
}

/// Replaces every `<name>` whose name is a key of `values` in a single
/// pass (substituted text is not scanned again).
pub fn substitute(text: &str, values: &[(String, String)]) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(open) = rest.find('<') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        let replaced = after.find('>').and_then(|close| {
            let name = &after[..close];
            values
                .iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| (v, close))
        });
        if let Some((value, close)) = replaced {
            out.push_str(value);
            rest = &after[close + 1..];
        } else {
            out.push('<');
            rest = after;
        }
    }
    out.push_str(rest);
    out
}

fn substitute_step(step: &RawStep, values: &[(String, String)]) -> RawStep {
    RawStep {
        keyword: step.keyword,
        text: substitute(&step.text, values),
        line: step.line,
        doc_string: step.doc_string.as_ref().map(|d| DocString {
            line: d.line,
            content: substitute(&d.content, values),
        }),
        table: step
            .table
            .iter()
            .map(|row| TableRow {
                line: row.line,
                cells: row.cells.iter().map(|c| substitute(c, values)).collect(),
            })
            .collect(),
    }
}

/// Expands a feature into concrete scenarios (see the module docs).
pub fn expand(feature: &GherkinFeature) -> Vec<ExpandedScenario> {
    let mut out = Vec::new();
    for scenario in &feature.scenarios {
        let base_tags: Vec<String> = feature.tags.iter().chain(&scenario.tags).cloned().collect();
        if !scenario.outline {
            out.push(ExpandedScenario {
                name: scenario.name.clone(),
                tags: base_tags,
                line: scenario.line,
                example: None,
                steps: feature
                    .background
                    .iter()
                    .chain(&scenario.steps)
                    .cloned()
                    .collect(),
            });
            continue;
        }
        let mut index = 0;
        for examples in &scenario.examples {
            for row in &examples.rows {
                index += 1;
                let values: Vec<(String, String)> = examples
                    .header
                    .iter()
                    .cloned()
                    .zip(row.cells.iter().cloned())
                    .collect();
                let mut tags = base_tags.clone();
                tags.extend(examples.tags.iter().cloned());
                out.push(ExpandedScenario {
                    name: substitute(&scenario.name, &values),
                    tags,
                    line: scenario.line,
                    steps: feature
                        .background
                        .iter()
                        .chain(&scenario.steps)
                        .map(|s| substitute_step(s, &values))
                        .collect(),
                    example: Some(ExampleRef {
                        index,
                        line: row.line,
                        values,
                    }),
                });
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tck::gherkin::tests::{parse, SAMPLE};

    #[test]
    fn expands_outlines_with_substitution() {
        let scenarios = expand(&parse(SAMPLE));
        assert_eq!(scenarios.len(), 4);
        assert_eq!(scenarios[0].steps.len(), 4, "background step prepended");
        assert_eq!(scenarios[0].tags, ["@featuretag", "@skip", "@fails"]);
        let second = &scenarios[2];
        assert_eq!(second.name, "[2] Outline path");
        assert_eq!(second.example.as_ref().map(|e| e.index), Some(2));
        let doc = second.steps[1]
            .doc_string
            .as_ref()
            .map(|d| d.content.as_str());
        assert_eq!(doc, Some("RETURN 2 AS v"));
        // A substituted value that looks like a placeholder is left alone.
        assert_eq!(second.steps[2].table[1].cells, ["<(:A)-[:T]->()>"]);
        assert_eq!(scenarios[3].tags, ["@featuretag", "@extra"]);
        assert_eq!(scenarios[3].example.as_ref().map(|e| e.index), Some(3));
    }

    #[test]
    fn substitution_is_single_pass() {
        let values = vec![
            ("a".to_owned(), "<b>".to_owned()),
            ("b".to_owned(), "x".to_owned()),
        ];
        assert_eq!(substitute("<a> <b> <c> a<b", &values), "<b> x <c> a<b");
    }
}
