//! Shared test support: finding the openCypher TCK and extracting its
//! queries from the Gherkin feature files.

#![allow(dead_code)]

use std::fs;
use std::path::{Path, PathBuf};

/// One query extracted from a TCK scenario.
#[derive(Debug, Clone)]
pub struct TckQuery {
    /// Feature file it came from.
    pub file: PathBuf,
    /// Scenario title.
    pub scenario: String,
    /// The step that introduced it, e.g. `When executing query:`.
    pub step: String,
    /// The query text (outline placeholders substituted).
    pub query: String,
    /// For the scenario's main query: the detail code when the TCK
    /// expects `SyntaxError ... at compile time: <detail>`.
    pub expected_syntax_error: Option<String>,
}

/// Where the TCK features may be: `$CYPHER_TCK_DIR`, a vendored copy
/// under `tests/tck` (of this crate or of the workspace), or `shared/tck`
/// beside the repository.
pub fn tck_root() -> Option<PathBuf> {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut candidates = Vec::new();
    if let Ok(dir) = std::env::var("CYPHER_TCK_DIR") {
        candidates.push(PathBuf::from(dir));
    }
    candidates.push(manifest.join("tests/tck"));
    candidates.push(manifest.join("../tests/tck"));
    candidates.push(manifest.join("../../shared/tck"));
    candidates.into_iter().find(|dir| {
        let mut files = Vec::new();
        collect_features(dir, &mut files);
        !files.is_empty()
    })
}

fn collect_features(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    let mut entries: Vec<_> = entries.filter_map(Result::ok).map(|e| e.path()).collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            collect_features(&path, out);
        } else if path.extension().is_some_and(|e| e == "feature") {
            out.push(path);
        }
    }
}

/// All queries of all feature files under the TCK root, or `None` when no
/// TCK is present.
pub fn load_tck_queries() -> Option<Vec<TckQuery>> {
    let root = tck_root()?;
    let mut files = Vec::new();
    collect_features(&root, &mut files);
    let mut out = Vec::new();
    for file in files {
        let Ok(text) = fs::read_to_string(&file) else {
            continue;
        };
        extract(&file, &text, &mut out);
    }
    Some(out)
}

struct Scenario {
    title: String,
    /// (step line, doc string)
    docs: Vec<(String, String)>,
    expected: Option<String>,
    examples: Vec<Vec<Vec<String>>>,
}

fn split_row(line: &str) -> Vec<String> {
    let inner = line.trim();
    let inner = inner.strip_prefix('|').unwrap_or(inner);
    let mut cells = Vec::new();
    let mut cur = String::new();
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => match chars.next() {
                Some('|') => cur.push('|'),
                Some('n') => cur.push('\n'),
                Some(other) if other != '\\' => {
                    cur.push('\\');
                    cur.push(other);
                }
                _ => cur.push('\\'),
            },
            '|' => {
                cells.push(cur.trim().to_string());
                cur.clear();
            }
            c => cur.push(c),
        }
    }
    cells
}

fn extract(file: &Path, text: &str, out: &mut Vec<TckQuery>) {
    let lines: Vec<&str> = text.lines().collect();
    let mut scenarios: Vec<Scenario> = Vec::new();
    let mut i = 0;
    let mut last_step = String::new();
    while i < lines.len() {
        let line = lines[i];
        let t = line.trim();
        if t.starts_with("Scenario") {
            scenarios.push(Scenario {
                title: t.to_string(),
                docs: Vec::new(),
                expected: None,
                examples: Vec::new(),
            });
        } else if t.starts_with("\"\"\"") {
            let indent = line.len() - line.trim_start().len();
            let mut body = Vec::new();
            i += 1;
            while i < lines.len() && !lines[i].trim().starts_with("\"\"\"") {
                let l = lines[i];
                let strip = l
                    .char_indices()
                    .take_while(|(j, c)| *j < indent && c.is_whitespace())
                    .count();
                body.push(&l[strip..]);
                i += 1;
            }
            if let Some(s) = scenarios.last_mut() {
                s.docs.push((last_step.clone(), body.join("\n")));
            }
        } else if t.starts_with("Examples") {
            let mut rows = Vec::new();
            while i + 1 < lines.len() && lines[i + 1].trim().starts_with(['|', '#']) {
                i += 1;
                if lines[i].trim().starts_with('|') {
                    rows.push(split_row(lines[i]));
                }
            }
            if let Some(s) = scenarios.last_mut() {
                s.examples.push(rows);
            }
        } else if !t.is_empty() && !t.starts_with('#') && !t.starts_with('|') {
            last_step = t.to_string();
            if t.contains("SyntaxError should be raised at compile time") {
                if let Some(s) = scenarios.last_mut() {
                    s.expected = t.rsplit(':').next().map(|d| d.trim().to_string());
                }
            }
        }
        i += 1;
    }
    for s in scenarios {
        let mut rows: Vec<Vec<(String, String)>> = Vec::new();
        for table in &s.examples {
            let Some((header, body)) = table.split_first() else {
                continue;
            };
            for row in body {
                rows.push(header.iter().cloned().zip(row.iter().cloned()).collect());
            }
        }
        if rows.is_empty() {
            rows.push(Vec::new());
        }
        for row in &rows {
            for (step, doc) in &s.docs {
                let is_main = step.ends_with("executing query:");
                let is_query = is_main
                    || step.ends_with("having executed:")
                    || step.ends_with("executing control query:");
                if !is_query {
                    continue;
                }
                let mut query = doc.clone();
                for (k, v) in row {
                    query = query.replace(&format!("<{k}>"), v);
                }
                out.push(TckQuery {
                    file: file.to_path_buf(),
                    scenario: s.title.clone(),
                    step: step.clone(),
                    query,
                    expected_syntax_error: if is_main { s.expected.clone() } else { None },
                });
            }
        }
    }
}

/// A deterministic pseudo-random generator (`SplitMix64`).
pub struct Rng(pub u64);

impl Rng {
    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `0..n` (`n > 0`).
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % (n as u64)) as usize
    }
}
