//! Loading the vendored TCK: every `features/**/*.feature` file parsed,
//! its outlines expanded, its steps modelled, plus the named graphs.

use std::path::{Path, PathBuf};

use super::gherkin::{parse_feature, ParseError};
use super::graphs::NamedGraphs;
use super::outline::{expand, ExampleRef};
use super::steps::{parse_step, StepAt};

/// One concrete scenario ready to run.
#[derive(Debug, Clone)]
pub struct Scenario {
    /// The feature file, relative to `features/`, with `/` separators
    /// (`clauses/match/Match1.feature`).
    pub feature_path: String,
    /// The name after `Feature:`.
    pub feature_name: String,
    /// The scenario name, placeholders substituted.
    pub name: String,
    /// The 1-based line of the `Scenario` keyword.
    pub line: usize,
    /// Feature, scenario and examples tags, with `@` (`@skipGrammarCheck`).
    pub tags: Vec<String>,
    /// The example row, for instances of outlines.
    pub example: Option<ExampleRef>,
    /// Background steps then scenario steps.
    pub steps: Vec<StepAt>,
}

impl Scenario {
    /// A unique, stable identifier: feature path, scenario name and, for
    /// outline instances, the example index,
    /// e.g. `expressions/list/List1.feature: [6] Fail when ... (example 2)`.
    pub fn id(&self) -> String {
        match &self.example {
            None => format!("{}: {}", self.feature_path, self.name),
            Some(example) => {
                format!(
                    "{}: {} (example {})",
                    self.feature_path, self.name, example.index
                )
            }
        }
    }

    /// The feature's directory relative to `features/`
    /// (`clauses/match`), which the report groups by.
    pub fn group(&self) -> &str {
        self.feature_path
            .rsplit_once('/')
            .map_or("", |(dir, _)| dir)
    }

    /// Whether the scenario carries `tag` (with or without the `@`).
    pub fn has_tag(&self, tag: &str) -> bool {
        let tag = tag.trim_start_matches('@');
        self.tags.iter().any(|t| t.trim_start_matches('@') == tag)
    }

    /// `file:line` of the scenario (of its example row for outlines).
    pub fn location(&self) -> String {
        let line = self.example.as_ref().map_or(self.line, |e| e.line);
        format!("{}:{line}", self.feature_path)
    }
}

/// Counts for one feature file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeatureInfo {
    /// The path relative to `features/`.
    pub path: String,
    /// The name after `Feature:`.
    pub name: String,
    /// `Scenario` and `Scenario Outline` definitions.
    pub scenario_definitions: usize,
    /// Of which outlines.
    pub outlines: usize,
    /// Concrete scenarios after expanding outlines.
    pub expanded: usize,
}

/// The loaded TCK.
#[derive(Debug, Clone)]
pub struct Suite {
    /// The TCK directory (containing `features/` and `graphs/`).
    pub root: PathBuf,
    /// The feature files, sorted by path.
    pub features: Vec<FeatureInfo>,
    /// All concrete scenarios, in feature-path then file order.
    pub scenarios: Vec<Scenario>,
    /// The named graphs.
    pub graphs: NamedGraphs,
}

/// The vendored TCK: `tests/tck/`.
pub fn default_tck_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tck")
}

/// Parses one feature file's text; `path` is relative to `features/`.
pub fn parse_feature_text(
    path: &str,
    text: &str,
) -> Result<(FeatureInfo, Vec<Scenario>), ParseError> {
    let feature = parse_feature(path, text)?;
    let mut scenarios = Vec::new();
    for expanded in expand(&feature) {
        let steps = expanded
            .steps
            .iter()
            .map(|raw| parse_step(path, raw))
            .collect::<Result<Vec<_>, _>>()?;
        scenarios.push(Scenario {
            feature_path: path.to_owned(),
            feature_name: feature.name.clone(),
            name: expanded.name,
            line: expanded.line,
            tags: expanded.tags,
            example: expanded.example,
            steps,
        });
    }
    let info = FeatureInfo {
        path: path.to_owned(),
        name: feature.name.clone(),
        scenario_definitions: feature.scenarios.len(),
        outlines: feature.scenarios.iter().filter(|s| s.outline).count(),
        expanded: scenarios.len(),
    };
    Ok((info, scenarios))
}

fn collect_feature_files(dir: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_dir() {
            collect_feature_files(&path, out)?;
        } else if path.extension().is_some_and(|e| e == "feature") {
            out.push(path);
        }
    }
    Ok(())
}

impl Suite {
    /// Loads `root/features/**/*.feature` and `root/graphs/`. All parse
    /// errors are returned (one per broken file at most), not just the
    /// first.
    pub fn load(root: &Path) -> Result<Suite, Vec<ParseError>> {
        let features_dir = root.join("features");
        let mut files = Vec::new();
        if let Err(e) = collect_feature_files(&features_dir, &mut files) {
            return Err(vec![ParseError {
                file: features_dir.display().to_string(),
                line: 0,
                message: format!("cannot list feature files: {e}"),
            }]);
        }
        let mut entries: Vec<(String, PathBuf)> = files
            .into_iter()
            .map(|file| {
                let relative = file.strip_prefix(&features_dir).unwrap_or(&file);
                let name = relative
                    .components()
                    .map(|c| c.as_os_str().to_string_lossy().into_owned())
                    .collect::<Vec<_>>()
                    .join("/");
                (name, file)
            })
            .collect();
        entries.sort();
        let mut errors = Vec::new();
        let mut features = Vec::new();
        let mut scenarios = Vec::new();
        for (name, file) in entries {
            let text = match std::fs::read_to_string(&file) {
                Ok(text) => text,
                Err(e) => {
                    errors.push(ParseError {
                        file: name,
                        line: 0,
                        message: format!("cannot read: {e}"),
                    });
                    continue;
                }
            };
            match parse_feature_text(&name, &text) {
                Ok((info, mut expanded)) => {
                    features.push(info);
                    scenarios.append(&mut expanded);
                }
                Err(e) => errors.push(e),
            }
        }
        let graphs = match NamedGraphs::load(&root.join("graphs")) {
            Ok(graphs) => graphs,
            Err(e) => {
                errors.push(e);
                NamedGraphs::default()
            }
        };
        if features.is_empty() && errors.is_empty() {
            errors.push(ParseError {
                file: features_dir.display().to_string(),
                line: 0,
                message: "no .feature files found".to_owned(),
            });
        }
        if errors.is_empty() {
            Ok(Suite {
                root: root.to_owned(),
                features,
                scenarios,
                graphs,
            })
        } else {
            Err(errors)
        }
    }
}
