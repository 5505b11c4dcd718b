//! Turns the answer of a compiled query into the GraphQL response value:
//! nodes become objects keyed by response keys, temporal values ISO 8601
//! strings, and connections get their edges, cursors and `pageInfo`.

use async_graphql::{Name, Number, Value};
use base64::Engine as _;
use cypher::CypherValue;
use indexmap::IndexMap;

use super::compile::{ConnField, ConnShape, EdgeField, PageField, Shape};

const CURSOR_PREFIX: &str = "offset:";

/// The opaque cursor of the item at `offset`.
pub fn encode_cursor(offset: usize) -> String {
    base64::engine::general_purpose::STANDARD.encode(format!("{CURSOR_PREFIX}{offset}"))
}

/// The offset a cursor names (`None`: not a cursor of this API).
pub fn decode_cursor(cursor: &str) -> Option<usize> {
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(cursor)
        .ok()?;
    let text = String::from_utf8(bytes).ok()?;
    text.strip_prefix(CURSOR_PREFIX)?.parse().ok()
}

/// The response value for `value` read with `shape`.
pub fn assemble(value: &CypherValue, shape: &Shape) -> Value {
    match (shape, value) {
        (_, CypherValue::Null) => Value::Null,
        (Shape::Object(fields), CypherValue::Map(map)) => {
            let mut out = IndexMap::with_capacity(fields.len());
            for (key, field_shape) in fields {
                let v = map.get(key.as_str()).unwrap_or(&CypherValue::Null);
                out.insert(Name::new(key), assemble(v, field_shape));
            }
            Value::Object(out)
        }
        (Shape::Connection(conn), CypherValue::Map(map)) => connection(conn, map),
        // Values, and anything that does not have the expected form.
        (_, v) => plain(v),
    }
}

fn connection(
    conn: &ConnShape,
    map: &std::collections::BTreeMap<std::sync::Arc<str>, CypherValue>,
) -> Value {
    let total = match map.get("total") {
        Some(CypherValue::Integer(n)) => Some(usize::try_from(*n).unwrap_or(0)),
        _ => None,
    };
    let mut items: Vec<&CypherValue> = match map.get("items") {
        Some(CypherValue::List(items)) => items.iter().collect(),
        _ => Vec::new(),
    };
    let has_more = items.len() > conn.limit;
    items.truncate(conn.limit);
    let offset = conn
        .offset
        .unwrap_or_else(|| total.unwrap_or(items.len()).saturating_sub(items.len()));
    let has_next = if conn.reversed {
        false
    } else if conn.offset.is_some() && total.is_some() && !has_more {
        total.is_some_and(|t| offset + items.len() < t)
    } else {
        has_more
    };
    let has_previous = offset > 0;
    let mut out = IndexMap::new();
    for (key, field) in &conn.fields {
        let value = match field {
            ConnField::TotalCount => Value::Number(Number::from(total.unwrap_or(0) as u64)),
            ConnField::Typename(_) => continue,
            ConnField::PageInfo(fields) => {
                let mut page = IndexMap::new();
                for (k, f) in fields {
                    let v = match f {
                        PageField::HasNext => Value::Boolean(has_next),
                        PageField::HasPrevious => Value::Boolean(has_previous),
                        PageField::StartCursor => {
                            if items.is_empty() {
                                Value::Null
                            } else {
                                Value::String(encode_cursor(offset))
                            }
                        }
                        PageField::EndCursor => {
                            if items.is_empty() {
                                Value::Null
                            } else {
                                Value::String(encode_cursor(offset + items.len() - 1))
                            }
                        }
                        PageField::Typename => continue,
                    };
                    page.insert(Name::new(k), v);
                }
                Value::Object(page)
            }
            ConnField::Edges(fields) => Value::List(
                items
                    .iter()
                    .enumerate()
                    .map(|(i, item)| edge(fields, item, offset + i))
                    .collect(),
            ),
        };
        out.insert(Name::new(key), value);
    }
    Value::Object(out)
}

fn edge(fields: &[(String, EdgeField)], item: &CypherValue, offset: usize) -> Value {
    let (node, edge) = match item {
        CypherValue::Map(m) => (m.get("node"), m.get("edge")),
        _ => (None, None),
    };
    let mut out = IndexMap::with_capacity(fields.len());
    for (key, field) in fields {
        let value = match field {
            EdgeField::Cursor => Value::String(encode_cursor(offset)),
            EdgeField::Node(shape) => {
                let v = match node {
                    Some(CypherValue::Map(m)) => m.get(key.as_str()).unwrap_or(&CypherValue::Null),
                    _ => &CypherValue::Null,
                };
                assemble(v, shape)
            }
            EdgeField::Prop => match edge {
                Some(CypherValue::Map(m)) => {
                    plain(m.get(key.as_str()).unwrap_or(&CypherValue::Null))
                }
                _ => Value::Null,
            },
            EdgeField::Typename(_) => continue,
        };
        out.insert(Name::new(key), value);
    }
    Value::Object(out)
}

/// A Cypher value as a GraphQL value (no shape: scalars, lists, maps).
pub fn plain(value: &CypherValue) -> Value {
    match value {
        CypherValue::Null
        | CypherValue::Node(_)
        | CypherValue::Relationship(_)
        | CypherValue::Path(_) => Value::Null,
        CypherValue::Boolean(b) => Value::Boolean(*b),
        CypherValue::Integer(i) => Value::Number(Number::from(*i)),
        CypherValue::Float(x) => Number::from_f64(*x).map_or(Value::Null, Value::Number),
        CypherValue::String(s) => Value::String(s.to_string()),
        CypherValue::List(items) => Value::List(items.iter().map(plain).collect()),
        CypherValue::Map(map) => Value::Object(
            map.iter()
                .map(|(k, v)| (Name::new(k.as_ref()), plain(v)))
                .collect(),
        ),
        CypherValue::Temporal(t) => Value::String(t.to_string()),
    }
}
