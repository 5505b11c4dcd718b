//! The TCK's named graphs (`Given the binary-tree-1 graph`).
//!
//! As `tests/tck/graphs/named-graphs.adoc` describes, each graph is a
//! folder `graphs/<name>/` with a metadata file `<name>.json` whose
//! `scripts` array names Cypher script files (`<script>.cypher`) that
//! create the graph; statements in a script are separated by `;`. The
//! runner builds a named graph by running those statements, in order, on an
//! empty graph.

use std::collections::BTreeMap;
use std::path::Path;

use super::gherkin::ParseError;

/// The named graphs available to scenarios: name → Cypher statements.
#[derive(Debug, Clone, Default)]
pub struct NamedGraphs {
    graphs: BTreeMap<String, Vec<String>>,
}

fn error(path: &Path, message: impl Into<String>) -> ParseError {
    ParseError {
        file: path.display().to_string(),
        line: 1,
        message: message.into(),
    }
}

impl NamedGraphs {
    /// Loads every graph folder of `graphs_dir` (missing dir: no graphs).
    pub fn load(graphs_dir: &Path) -> Result<Self, ParseError> {
        let mut graphs = BTreeMap::new();
        let Ok(entries) = std::fs::read_dir(graphs_dir) else {
            return Ok(NamedGraphs { graphs });
        };
        let mut dirs: Vec<_> = entries
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| p.is_dir())
            .collect();
        dirs.sort();
        for dir in dirs {
            let Some(name) = dir.file_name().and_then(|n| n.to_str()).map(str::to_owned) else {
                continue;
            };
            let statements = load_graph(&dir, &name)?;
            graphs.insert(name, statements);
        }
        Ok(NamedGraphs { graphs })
    }

    /// A graph given directly (for tests and other sources).
    pub fn insert(&mut self, name: impl Into<String>, statements: Vec<String>) {
        self.graphs.insert(name.into(), statements);
    }

    /// The statements that build graph `name`.
    pub fn statements(&self, name: &str) -> Option<&[String]> {
        self.graphs.get(name).map(Vec::as_slice)
    }

    /// The graph names.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.graphs.keys().map(String::as_str)
    }
}

fn load_graph(dir: &Path, name: &str) -> Result<Vec<String>, ParseError> {
    let metadata_path = dir.join(format!("{name}.json"));
    let scripts: Vec<String> = if metadata_path.exists() {
        let text = std::fs::read_to_string(&metadata_path)
            .map_err(|e| error(&metadata_path, format!("cannot read: {e}")))?;
        let json: serde_json::Value = serde_json::from_str(&text)
            .map_err(|e| error(&metadata_path, format!("invalid JSON: {e}")))?;
        json.get("scripts")
            .and_then(serde_json::Value::as_array)
            .ok_or_else(|| error(&metadata_path, "no `scripts` array"))?
            .iter()
            .map(|s| {
                s.as_str()
                    .map(str::to_owned)
                    .ok_or_else(|| error(&metadata_path, "a script name is not a string"))
            })
            .collect::<Result<_, _>>()?
    } else {
        vec![name.to_owned()]
    };
    let mut statements = Vec::new();
    for script in scripts {
        let path = dir.join(format!("{script}.cypher"));
        let text = std::fs::read_to_string(&path)
            .map_err(|e| error(&path, format!("cannot read: {e}")))?;
        statements.extend(split_statements(&text));
    }
    if statements.is_empty() {
        return Err(error(
            dir,
            format!("named graph `{name}` has no statements"),
        ));
    }
    Ok(statements)
}

/// Splits a script at `;` outside string literals, backticked names and
/// comments; empty statements are dropped.
pub fn split_statements(script: &str) -> Vec<String> {
    let mut statements = Vec::new();
    let mut current = String::new();
    let mut chars = script.chars().peekable();
    let mut quote: Option<char> = None;
    while let Some(c) = chars.next() {
        if let Some(q) = quote {
            current.push(c);
            if c == '\\' && q != '`' {
                if let Some(next) = chars.next() {
                    current.push(next);
                }
            } else if c == q {
                quote = None;
            }
            continue;
        }
        match c {
            '\'' | '"' | '`' => {
                quote = Some(c);
                current.push(c);
            }
            '/' if chars.peek() == Some(&'/') => {
                // Line comment: skip to the end of the line.
                for next in chars.by_ref() {
                    if next == '\n' {
                        current.push('\n');
                        break;
                    }
                }
            }
            ';' => {
                let statement = current.trim();
                if !statement.is_empty() {
                    statements.push(statement.to_owned());
                }
                current.clear();
            }
            c => current.push(c),
        }
    }
    let statement = current.trim();
    if !statement.is_empty() {
        statements.push(statement.to_owned());
    }
    statements
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_outside_strings_and_comments() {
        let script =
            "CREATE (:A {s: 'a;b'});\n// x; y\nCREATE (:`B;C`) ;\n\n;CREATE (:D {s: 'it\\'s;'})";
        assert_eq!(
            split_statements(script),
            [
                "CREATE (:A {s: 'a;b'})",
                "CREATE (:`B;C`)",
                "CREATE (:D {s: 'it\\'s;'})"
            ]
        );
    }

    #[test]
    fn loads_the_vendored_named_graphs() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tck/graphs");
        let graphs = match NamedGraphs::load(&dir) {
            Ok(g) => g,
            Err(e) => panic!("{e}"),
        };
        assert_eq!(
            graphs.names().collect::<Vec<_>>(),
            ["binary-tree-1", "binary-tree-2"]
        );
        for name in ["binary-tree-1", "binary-tree-2"] {
            let statements = graphs.statements(name).unwrap_or_default();
            assert_eq!(statements.len(), 1, "{name}");
            assert!(
                statements[0].starts_with("CREATE (a:A {name: 'a'})"),
                "{name}"
            );
        }
    }
}
