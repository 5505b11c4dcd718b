//! Parsing one record's JSON text into a `serde_json::Value`, checking the
//! record limits (nesting depth, string and key length) on the way.
//!
//! The parser is `serde_json`'s; only the visitor that builds the tree is
//! ours. It builds the same `Value` `serde_json`'s own visitor does, and notes
//! while it builds whether any element is over a limit, so an accepted
//! record is never walked a second time for the limits. Only a record that
//! is over a limit is walked again, by [`check_limits`], to name the path
//! of the first offending element.
//!
//! The ingest benchmark's parse-only baseline calls [`parse_record`] too,
//! so both sides parse with exactly the same code.

use std::cell::Cell;
use std::fmt;

use serde::de::{DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Number, Value as Json};

use super::json::{check_limits, Reject, MAX_DEPTH, MAX_STRING_BYTES};

/// Why a record's text did not give a usable JSON tree.
#[derive(Debug)]
pub enum ParseFailure {
    /// Not JSON (`truncated JSON: …`, `invalid JSON: …`).
    Syntax(Reject),
    /// Valid JSON over a limit: the tree (for the resource type and id of
    /// the rejection) and the path and reason of the first violation.
    OverLimit(Box<Json>, Reject),
}

impl ParseFailure {
    /// The rejection, whatever the kind.
    pub fn reject(&self) -> &Reject {
        match self {
            ParseFailure::Syntax(reject) | ParseFailure::OverLimit(_, reject) => reject,
        }
    }
}

/// Parses a record's JSON text, checking the record limits while the tree
/// is built.
pub fn parse_record(body: &[u8]) -> Result<Json, ParseFailure> {
    let over = Cell::new(false);
    let mut deserializer = serde_json::Deserializer::from_slice(body);
    let parsed = Node {
        depth: 1,
        over: &over,
    }
    .deserialize(&mut deserializer)
    .and_then(|json| deserializer.end().map(|()| json));
    let json = match parsed {
        Ok(json) => json,
        Err(e) => {
            let reason = if e.is_eof() {
                format!("truncated JSON: {e}")
            } else {
                format!("invalid JSON: {e}")
            };
            return Err(ParseFailure::Syntax(Reject::at("", reason)));
        }
    };
    if over.get() {
        // Names the path of the violation the visitor saw.
        if let Err(reject) = check_limits(&json) {
            return Err(ParseFailure::OverLimit(Box::new(json), reject));
        }
    }
    Ok(json)
}

/// Builds one JSON element at `depth` (the root is 1), flagging `over`
/// when the element breaks a limit.
#[derive(Clone, Copy)]
struct Node<'a> {
    depth: usize,
    over: &'a Cell<bool>,
}

impl Node<'_> {
    fn child(self) -> Self {
        Node {
            depth: self.depth + 1,
            over: self.over,
        }
    }

    fn container(self) {
        if self.depth > MAX_DEPTH {
            self.over.set(true);
        }
    }

    fn string(self, s: &str) {
        if s.len() > MAX_STRING_BYTES {
            self.over.set(true);
        }
    }
}

impl<'de> DeserializeSeed<'de> for Node<'_> {
    type Value = Json;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Json, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Node<'_> {
    type Value = Json;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any valid JSON value")
    }

    fn visit_bool<E>(self, value: bool) -> Result<Json, E> {
        Ok(Json::Bool(value))
    }

    fn visit_i64<E>(self, value: i64) -> Result<Json, E> {
        Ok(Json::Number(value.into()))
    }

    fn visit_u64<E>(self, value: u64) -> Result<Json, E> {
        Ok(Json::Number(value.into()))
    }

    fn visit_f64<E>(self, value: f64) -> Result<Json, E> {
        Ok(Number::from_f64(value).map_or(Json::Null, Json::Number))
    }

    fn visit_str<E>(self, value: &str) -> Result<Json, E> {
        self.string(value);
        Ok(Json::String(value.to_owned()))
    }

    fn visit_string<E>(self, value: String) -> Result<Json, E> {
        self.string(&value);
        Ok(Json::String(value))
    }

    fn visit_none<E>(self) -> Result<Json, E> {
        Ok(Json::Null)
    }

    fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<Json, D::Error> {
        self.deserialize(deserializer)
    }

    fn visit_unit<E>(self) -> Result<Json, E> {
        Ok(Json::Null)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Json, A::Error> {
        self.container();
        let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0));
        while let Some(item) = seq.next_element_seed(self.child())? {
            items.push(item);
        }
        Ok(Json::Array(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Json, A::Error> {
        self.container();
        let mut object = Map::new();
        while let Some(key) = map.next_key::<String>()? {
            self.string(&key);
            let value = map.next_value_seed(self.child())?;
            // A repeated key keeps its last value, as serde_json's own
            // visitor does.
            object.insert(key, value);
        }
        Ok(Json::Object(object))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn nested(depth: usize) -> String {
        let mut text = String::from(r#"{"resourceType":"Patient","a":"#);
        for _ in 1..depth {
            text.push('[');
        }
        text.push('1');
        for _ in 1..depth {
            text.push(']');
        }
        text.push('}');
        text
    }

    #[test]
    fn builds_what_serde_json_builds() {
        let text = br#"{"resourceType":"Patient","id":"p\u00e9","n":[1,-2,3.5,18446744073709551615],"b":true,"z":null,"o":{"k":"v","k":"w"},"e":[],"m":{}}"#;
        let expected: Json = serde_json::from_slice(text).expect("valid");
        assert_eq!(parse_record(text).expect("valid"), expected);
        // An out-of-range number is the parser's error, with its message.
        let huge = br#"{"n":1e400}"#;
        let error = serde_json::from_slice::<Json>(huge).expect_err("out of range");
        let reject = parse_record(huge).expect_err("out of range");
        let reject = reject.reject();
        assert_eq!(reject.reason, format!("invalid JSON: {error}"));
    }

    #[test]
    fn syntax_errors_keep_serde_json_messages() {
        let truncated = parse_record(br#"{"resourceType":"Pat"#).expect_err("truncated");
        let truncated = truncated.reject();
        assert!(
            truncated.reason.starts_with("truncated JSON: "),
            "{truncated:?}"
        );
        let invalid = parse_record(br#"{"a":1}}"#).expect_err("trailing");
        let invalid = invalid.reject();
        assert!(invalid.reason.starts_with("invalid JSON: "), "{invalid:?}");
        assert_eq!(invalid.path, "");
    }

    #[test]
    fn limits_are_checked_while_parsing() {
        // The root object is depth 1, the innermost array MAX_DEPTH.
        assert!(parse_record(nested(MAX_DEPTH).as_bytes()).is_ok());
        let ParseFailure::OverLimit(json, deep) =
            parse_record(nested(MAX_DEPTH + 1).as_bytes()).expect_err("too deep")
        else {
            panic!("a limit violation expected");
        };
        assert_eq!(json.get("resourceType"), Some(&Json::from("Patient")));
        assert!(deep.reason.contains("nesting deeper than"), "{deep:?}");
        assert!(deep.path.starts_with("Patient.a[0]"), "{deep:?}");
        let long = format!(
            r#"{{"resourceType":"Patient","name":[{{"text":"{}"}}]}}"#,
            "x".repeat(MAX_STRING_BYTES + 1)
        );
        let failure = parse_record(long.as_bytes()).expect_err("too long");
        let reject = failure.reject();
        assert_eq!(reject.path, "Patient.name[0].text");
        let key = format!(r#"{{"{}":1}}"#, "k".repeat(MAX_STRING_BYTES + 1));
        let failure = parse_record(key.as_bytes()).expect_err("key too long");
        let reject = failure.reject();
        assert!(reject.reason.contains("key"), "{reject:?}");
    }
}
