//! Printing a Query API answer: a table that fits the terminal, CSV, or the
//! JSON itself.
//!
//! Cells show a top-level string as it is and everything else in a
//! Cypher-like notation: nodes `(:Label {key: value})`, relationships
//! `[:TYPE {key: value}]`, paths `(:A)-[:T]->(:B)`, lists `[1, "x"]`, maps
//! `{k: 1}`. Temporal values arrive as ISO-8601 strings and print as such.

use std::fmt::Write as _;
use std::io::{self, IsTerminal, Write};

use serde_json::{Map, Value as Json};

use super::Format;

/// The width to fit tables into: the terminal's when stdout is one, else
/// `$COLUMNS` when set, else none (no truncation).
pub fn terminal_width() -> Option<usize> {
    if io::stdout().is_terminal() {
        if let Some((terminal_size::Width(w), _)) = terminal_size::terminal_size() {
            return Some(usize::from(w));
        }
    }
    std::env::var("COLUMNS").ok()?.trim().parse().ok()
}

/// Prints an answer in `format`; tables fit into `width` columns.
pub fn render(
    body: &Json,
    format: Format,
    width: Option<usize>,
    out: &mut dyn Write,
) -> io::Result<()> {
    let fields: Vec<String> = body["data"]["fields"]
        .as_array()
        .map(|f| {
            f.iter()
                .map(|v| v.as_str().unwrap_or("").to_owned())
                .collect()
        })
        .unwrap_or_default();
    let rows: &[Json] = body["data"]["values"].as_array().map_or(&[], Vec::as_slice);
    match format {
        Format::Json => {
            serde_json::to_writer(&mut *out, body)?;
            writeln!(out)
        }
        Format::Csv => {
            if !fields.is_empty() {
                writeln!(out, "{}", csv_line(fields.iter().map(String::as_str)))?;
            }
            for row in rows {
                let cells: Vec<String> = row
                    .as_array()
                    .map(|r| r.iter().map(csv_cell).collect())
                    .unwrap_or_default();
                writeln!(out, "{}", csv_line(cells.iter().map(String::as_str)))?;
            }
            Ok(())
        }
        Format::Table => {
            if !fields.is_empty() {
                let cells: Vec<Vec<String>> = rows
                    .iter()
                    .map(|row| {
                        row.as_array()
                            .map(|r| r.iter().map(|v| one_line(&cell(v))).collect())
                            .unwrap_or_default()
                    })
                    .collect();
                write!(out, "{}", table(&fields, &cells, width))?;
            }
            for key in ["queryPlan", "profiledQueryPlan"] {
                if let Some(plan) = body.get(key) {
                    writeln!(out, "Plan:")?;
                    write!(out, "{}", plan_text(plan))?;
                }
            }
            writeln!(out, "{}", summary(rows.len(), body.get("counters")))
        }
    }
}

/// `1 row`, `3 rows`, then what the query changed.
pub fn summary(rows: usize, counters: Option<&Json>) -> String {
    let mut text = format!("{rows} row{}", if rows == 1 { "" } else { "s" });
    if let Some(counters) = counters {
        let changes: Vec<String> = [
            ("nodesCreated", "Added", "nodes"),
            ("nodesDeleted", "Deleted", "nodes"),
            ("relationshipsCreated", "Created", "relationships"),
            ("relationshipsDeleted", "Deleted", "relationships"),
            ("propertiesSet", "Set", "properties"),
            ("labelsAdded", "Added", "labels"),
            ("labelsRemoved", "Removed", "labels"),
        ]
        .iter()
        .filter_map(|(key, verb, what)| {
            let n = counters.get(*key).and_then(Json::as_u64).unwrap_or(0);
            (n > 0).then(|| format!("{verb} {n} {what}"))
        })
        .collect();
        if !changes.is_empty() {
            text.push_str("; ");
            text.push_str(&changes.join(", "));
        }
    }
    text
}

/// A cell's text: a top-level string as it is, anything else as [`value`].
pub fn cell(value: &Json) -> String {
    match value {
        Json::String(s) => s.clone(),
        other => self::value(other),
    }
}

/// A value in Cypher-like notation (strings quoted).
pub fn value(json: &Json) -> String {
    match json {
        Json::Null => "null".into(),
        Json::Bool(b) => b.to_string(),
        Json::Number(n) => n.to_string(),
        Json::String(s) => Json::String(s.clone()).to_string(),
        Json::Array(items) => {
            if let Some(path) = path_text(items) {
                return path;
            }
            let inner: Vec<String> = items.iter().map(value).collect();
            format!("[{}]", inner.join(", "))
        }
        Json::Object(map) => {
            if is_node(map) {
                node_text(map)
            } else if is_relationship(map) {
                format!("[{}]", relationship_inner(map))
            } else {
                map_text(map)
            }
        }
    }
}

fn is_node(map: &Map<String, Json>) -> bool {
    map.len() == 3
        && map.contains_key("elementId")
        && map.get("labels").is_some_and(Json::is_array)
        && map.get("properties").is_some_and(Json::is_object)
}

fn is_relationship(map: &Map<String, Json>) -> bool {
    map.len() == 5
        && [
            "elementId",
            "startNodeElementId",
            "endNodeElementId",
            "type",
        ]
        .iter()
        .all(|k| map.contains_key(*k))
        && map.get("properties").is_some_and(Json::is_object)
}

fn map_text(map: &Map<String, Json>) -> String {
    let inner: Vec<String> = map
        .iter()
        .map(|(k, v)| format!("{}: {}", key(k), value(v)))
        .collect();
    format!("{{{}}}", inner.join(", "))
}

/// A map key or label, in backticks unless it is a plain identifier.
fn key(name: &str) -> String {
    let plain = name
        .chars()
        .next()
        .is_some_and(|c| c.is_alphabetic() || c == '_')
        && name.chars().all(|c| c.is_alphanumeric() || c == '_');
    if plain {
        name.to_owned()
    } else {
        format!("`{}`", name.replace('`', "``"))
    }
}

fn properties_suffix(map: &Map<String, Json>) -> String {
    match map.get("properties").and_then(Json::as_object) {
        Some(props) if !props.is_empty() => format!(" {}", map_text(props)),
        _ => String::new(),
    }
}

fn node_text(map: &Map<String, Json>) -> String {
    let labels: String = map
        .get("labels")
        .and_then(Json::as_array)
        .map(|ls| {
            ls.iter().fold(String::new(), |mut acc, l| {
                acc.push(':');
                acc.push_str(&key(l.as_str().unwrap_or("")));
                acc
            })
        })
        .unwrap_or_default();
    format!("({labels}{})", properties_suffix(map))
}

fn relationship_inner(map: &Map<String, Json>) -> String {
    let rel_type = map.get("type").and_then(Json::as_str).unwrap_or("");
    format!(":{}{}", key(rel_type), properties_suffix(map))
}

/// A path: alternating nodes and relationships, odd length, at least one
/// relationship; each arrow points the way the relationship does.
fn path_text(items: &[Json]) -> Option<String> {
    if items.len() < 3 || items.len().is_multiple_of(2) {
        return None;
    }
    let mut text = String::new();
    let mut previous_id: Option<&str> = None;
    for (i, item) in items.iter().enumerate() {
        let map = item.as_object()?;
        if i % 2 == 0 {
            if !is_node(map) {
                return None;
            }
            text.push_str(&node_text(map));
            previous_id = map.get("elementId").and_then(Json::as_str);
        } else {
            if !is_relationship(map) {
                return None;
            }
            let start = map.get("startNodeElementId").and_then(Json::as_str);
            let forward = start.is_some() && start == previous_id;
            let inner = relationship_inner(map);
            if forward {
                let _ = write!(text, "-[{inner}]->");
            } else {
                let _ = write!(text, "<-[{inner}]-");
            }
        }
    }
    Some(text)
}

fn one_line(text: &str) -> String {
    text.replace('\r', "\\r")
        .replace('\n', "\\n")
        .replace('\t', "\\t")
}

fn csv_cell(value: &Json) -> String {
    match value {
        Json::Null => String::new(),
        other => cell(other),
    }
}

fn csv_line<'a>(cells: impl Iterator<Item = &'a str>) -> String {
    cells
        .map(|c| {
            if c.contains([',', '"', '\n', '\r']) {
                format!("\"{}\"", c.replace('"', "\"\""))
            } else {
                c.to_owned()
            }
        })
        .collect::<Vec<_>>()
        .join(",")
}

fn width_of(text: &str) -> usize {
    text.chars().count()
}

/// `text` cut to `width` characters, the last one an ellipsis when cut.
fn fit(text: &str, width: usize) -> String {
    if width_of(text) <= width {
        return text.to_owned();
    }
    if width == 0 {
        return String::new();
    }
    let mut cut: String = text.chars().take(width - 1).collect();
    cut.push('…');
    cut
}

/// Column widths: each column's widest cell, the widest columns narrowed
/// (never below 1) until the table fits `limit` characters.
fn column_widths(fields: &[String], rows: &[Vec<String>], limit: Option<usize>) -> Vec<usize> {
    let mut widths: Vec<usize> = fields.iter().map(|f| width_of(f)).collect();
    for row in rows {
        for (w, c) in widths.iter_mut().zip(row) {
            *w = (*w).max(width_of(c));
        }
    }
    let Some(limit) = limit else {
        return widths;
    };
    let borders = 3 * widths.len() + 1;
    let budget = limit.saturating_sub(borders).max(widths.len());
    if widths.iter().sum::<usize>() <= budget {
        return widths;
    }
    // The largest cap with sum(min(w, cap)) <= budget.
    let (mut low, mut high) = (1, widths.iter().copied().max().unwrap_or(1));
    while low < high {
        let mid = (low + high).div_ceil(2);
        if widths.iter().map(|w| (*w).min(mid)).sum::<usize>() <= budget {
            low = mid;
        } else {
            high = mid - 1;
        }
    }
    widths.iter().map(|w| (*w).min(low)).collect()
}

/// A table with a header, one line per row, cells cut with `…` to fit
/// `limit` characters.
pub fn table(fields: &[String], rows: &[Vec<String>], limit: Option<usize>) -> String {
    let widths = column_widths(fields, rows, limit);
    let rule: String = {
        let mut r = String::from("+");
        for w in &widths {
            r.push_str(&"-".repeat(w + 2));
            r.push('+');
        }
        r.push('\n');
        r
    };
    let line = |cells: &mut dyn Iterator<Item = &str>| {
        let mut l = String::from("|");
        for (w, c) in widths.iter().zip(cells) {
            let text = fit(c, *w);
            let pad = w - width_of(&text);
            l.push(' ');
            l.push_str(&text);
            l.push_str(&" ".repeat(pad + 1));
            l.push('|');
        }
        l.push('\n');
        l
    };
    let mut out = rule.clone();
    out.push_str(&line(&mut fields.iter().map(String::as_str)));
    out.push_str(&rule);
    for row in rows {
        out.push_str(&line(&mut row.iter().map(String::as_str)));
    }
    if !rows.is_empty() {
        out.push_str(&rule);
    }
    out
}

/// A plan tree, root first, one operator a line, children indented.
pub fn plan_text(plan: &Json) -> String {
    let mut out = String::new();
    plan_lines(plan, 0, &mut out);
    out
}

fn plan_lines(op: &Json, depth: usize, out: &mut String) {
    let kind = op["operatorType"].as_str().unwrap_or("?");
    out.push_str(&"  ".repeat(depth));
    out.push('+');
    out.push_str(kind);
    if let Some(details) = op["arguments"]["Details"].as_str() {
        out.push_str("  ");
        out.push_str(details);
    }
    if let (Some(records), Some(time)) = (op["records"].as_u64(), op["time"].as_u64()) {
        let _ = write!(out, "  rows={records} time={}us", time / 1_000);
    }
    out.push('\n');
    for child in op["children"].as_array().map_or(&[][..], Vec::as_slice) {
        plan_lines(child, depth + 1, out);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn node(id: &str, label: &str, props: &Json) -> Json {
        json!({"elementId": id, "labels": [label], "properties": props})
    }

    #[test]
    fn cells_use_cypher_notation() {
        let a = node("n:0", "Patient", &json!({"name": "Ann", "age": 42}));
        let b = node("n:1", "City", &json!({}));
        let r = json!({"elementId": "r:0", "startNodeElementId": "n:0", "endNodeElementId": "n:1",
                       "type": "LIVES_IN", "properties": {"since": 2020}});
        assert_eq!(cell(&a), "(:Patient {age: 42, name: \"Ann\"})");
        assert_eq!(cell(&r), "[:LIVES_IN {since: 2020}]");
        assert_eq!(
            cell(&json!([b.clone(), r.clone(), a.clone()])),
            "(:City)<-[:LIVES_IN {since: 2020}]-(:Patient {age: 42, name: \"Ann\"})"
        );
        assert_eq!(cell(&json!("plain")), "plain");
        assert_eq!(
            cell(&json!([1, "x", null, {"odd key": 1.5}])),
            "[1, \"x\", null, {`odd key`: 1.5}]"
        );
    }

    #[test]
    fn tables_fit_the_width() {
        let fields = vec!["name".to_owned(), "note".to_owned()];
        let rows = vec![vec!["Ann".to_owned(), "a rather long note".to_owned()]];
        assert_eq!(
            table(&fields, &rows, None),
            "+------+--------------------+\n\
             | name | note               |\n\
             +------+--------------------+\n\
             | Ann  | a rather long note |\n\
             +------+--------------------+\n"
        );
        assert_eq!(
            table(&fields, &rows, Some(20)),
            "+------+-----------+\n\
             | name | note      |\n\
             +------+-----------+\n\
             | Ann  | a rather… |\n\
             +------+-----------+\n"
        );
    }

    #[test]
    fn csv_quotes_what_needs_it() {
        let body =
            json!({"data": {"fields": ["a", "b"], "values": [["x,y", null], ["say \"hi\"", 2.5]]}});
        let mut out = Vec::new();
        render(&body, Format::Csv, None, &mut out).expect("write");
        assert_eq!(
            String::from_utf8_lossy(&out),
            "a,b\n\"x,y\",\n\"say \"\"hi\"\"\",2.5\n"
        );
    }

    #[test]
    fn summaries_count_rows_and_changes() {
        assert_eq!(summary(1, None), "1 row");
        assert_eq!(
            summary(
                0,
                Some(&json!({"nodesCreated": 2, "propertiesSet": 1, "labelsAdded": 2}))
            ),
            "0 rows; Added 2 nodes, Set 1 properties, Added 2 labels"
        );
    }
}
