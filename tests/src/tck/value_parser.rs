//! A parser for the TCK's expected-value notation (result tables,
//! parameter tables, procedure tables), producing [`TckValue`]s.
//!
//! The notation (see `tests/tck/README.adoc`, "Format of the expected
//! results"): `null`, `true`/`false`, integers (`-12`), floats (`1.5`,
//! `.5`, `-1e-5`, `2E8`, `NaN`, `Inf`, `-Inf`), strings in single quotes
//! with backslash escapes (`'it\'s'`), lists `[1, 2]`, maps `{k: 1}`
//! (keys may be backticked, as in the empty key of `{``: 1}`), nodes `(:A:B {p: 1})`,
//! relationships `[:T {p: 1}]` and paths `<(:A)-[:R]->(:B)<-[:S]-()>`.
//!
//! Table cells reach this parser after Gherkin's own cell unescaping
//! (`\\` → `\`, `\|` → `|`, `\n` → newline).

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use super::value::{PathDirection, TckNode, TckPath, TckPathStep, TckRelationship, TckValue};

/// Why a value could not be parsed; `offset` counts characters from the
/// start of the input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValueParseError {
    /// Character offset of the problem.
    pub offset: usize,
    /// What was wrong.
    pub message: String,
}

impl fmt::Display for ValueParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "at character {}: {}", self.offset, self.message)
    }
}

impl std::error::Error for ValueParseError {}

/// Parses one complete value; surrounding whitespace is allowed, anything
/// else after the value is an error.
pub fn parse_value(text: &str) -> Result<TckValue, ValueParseError> {
    let mut parser = Parser {
        chars: text.chars().collect(),
        pos: 0,
        depth: 0,
    };
    parser.skip_ws();
    let value = parser.value()?;
    parser.skip_ws();
    if parser.pos < parser.chars.len() {
        return Err(parser.error("unexpected text after the value"));
    }
    Ok(value)
}

/// Nesting deeper than this is rejected rather than risking the stack.
const MAX_DEPTH: usize = 256;

struct Parser {
    chars: Vec<char>,
    pos: usize,
    depth: usize,
}

impl Parser {
    fn error(&self, message: impl Into<String>) -> ValueParseError {
        ValueParseError {
            offset: self.pos,
            message: message.into(),
        }
    }

    fn peek(&self) -> Option<char> {
        self.chars.get(self.pos).copied()
    }

    fn peek_at(&self, ahead: usize) -> Option<char> {
        self.chars.get(self.pos + ahead).copied()
    }

    fn skip_ws(&mut self) {
        while self.peek().is_some_and(char::is_whitespace) {
            self.pos += 1;
        }
    }

    fn starts_with(&self, s: &str) -> bool {
        s.chars()
            .enumerate()
            .all(|(i, c)| self.peek_at(i) == Some(c))
    }

    fn expect(&mut self, c: char) -> Result<(), ValueParseError> {
        if self.peek() == Some(c) {
            self.pos += 1;
            Ok(())
        } else {
            Err(self.error(match self.peek() {
                Some(found) => format!("expected `{c}`, found `{found}`"),
                None => format!("expected `{c}`, found the end of the value"),
            }))
        }
    }

    fn value(&mut self) -> Result<TckValue, ValueParseError> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(self.error("values nested too deeply"));
        }
        let value = self.value_inner();
        self.depth -= 1;
        value
    }

    fn value_inner(&mut self) -> Result<TckValue, ValueParseError> {
        match self.peek() {
            None => Err(self.error("expected a value, found the end of the input")),
            Some('(') => Ok(TckValue::Node(self.node()?)),
            Some('[') => {
                let mut ahead = 1;
                while self.peek_at(ahead).is_some_and(char::is_whitespace) {
                    ahead += 1;
                }
                if self.peek_at(ahead) == Some(':') {
                    Ok(TckValue::Relationship(self.relationship()?))
                } else {
                    self.list()
                }
            }
            Some('<') => Ok(TckValue::Path(self.path()?)),
            Some('{') => Ok(TckValue::Map(self.map()?)),
            Some('\'') => Ok(TckValue::String(self.string()?)),
            Some(c) if c == '-' || c == '.' || c.is_ascii_digit() => self.number(),
            Some(_) => self.word(),
        }
    }

    fn word(&mut self) -> Result<TckValue, ValueParseError> {
        for (word, value) in [
            ("null", TckValue::Null),
            ("true", TckValue::Bool(true)),
            ("false", TckValue::Bool(false)),
            ("NaN", TckValue::Float(f64::NAN)),
            ("Inf", TckValue::Float(f64::INFINITY)),
        ] {
            if self.starts_with(word)
                && !self.peek_at(word.chars().count()).is_some_and(is_name_char)
            {
                self.pos += word.chars().count();
                return Ok(value);
            }
        }
        Err(self.error("expected a value (null, a boolean, a number, a string, a list, a map, a node, a relationship or a path)"))
    }

    fn digits(&mut self) -> usize {
        let start = self.pos;
        while self.peek().is_some_and(|c| c.is_ascii_digit()) {
            self.pos += 1;
        }
        self.pos - start
    }

    fn number(&mut self) -> Result<TckValue, ValueParseError> {
        let start = self.pos;
        if self.peek() == Some('-') {
            self.pos += 1;
            if self.starts_with("Inf") && !self.peek_at(3).is_some_and(is_name_char) {
                self.pos += 3;
                return Ok(TckValue::Float(f64::NEG_INFINITY));
            }
        }
        let int_digits = self.digits();
        let mut is_float = false;
        if self.peek() == Some('.') && self.peek_at(1).is_some_and(|c| c.is_ascii_digit()) {
            self.pos += 1;
            self.digits();
            is_float = true;
        } else if int_digits == 0 {
            return Err(self.error("expected digits"));
        }
        if matches!(self.peek(), Some('e' | 'E')) {
            self.pos += 1;
            if matches!(self.peek(), Some('+' | '-')) {
                self.pos += 1;
            }
            if self.digits() == 0 {
                return Err(self.error("expected the digits of an exponent"));
            }
            is_float = true;
        }
        if self.peek().is_some_and(is_name_char) {
            return Err(self.error("unexpected character in a number"));
        }
        let lexeme: String = self.chars[start..self.pos].iter().collect();
        if is_float {
            lexeme
                .parse::<f64>()
                .map(TckValue::Float)
                .map_err(|e| ValueParseError {
                    offset: start,
                    message: format!("bad float `{lexeme}`: {e}"),
                })
        } else {
            lexeme
                .parse::<i64>()
                .map(TckValue::Integer)
                .map_err(|e| ValueParseError {
                    offset: start,
                    message: format!("bad integer `{lexeme}`: {e}"),
                })
        }
    }

    fn string(&mut self) -> Result<String, ValueParseError> {
        let start = self.pos;
        self.expect('\'')?;
        let mut out = String::new();
        loop {
            match self.peek() {
                None => {
                    return Err(ValueParseError {
                        offset: start,
                        message: "unterminated string".to_owned(),
                    })
                }
                Some('\'') => {
                    self.pos += 1;
                    return Ok(out);
                }
                Some('\\') => {
                    self.pos += 1;
                    let Some(escaped) = self.peek() else {
                        return Err(self.error("unterminated escape in a string"));
                    };
                    self.pos += 1;
                    match escaped {
                        '\'' | '"' | '\\' => out.push(escaped),
                        'n' => out.push('\n'),
                        't' => out.push('\t'),
                        'r' => out.push('\r'),
                        'b' => out.push('\u{8}'),
                        'f' => out.push('\u{c}'),
                        'u' => out.push(self.unicode_escape()?),
                        // Unknown escapes keep their backslash.
                        other => {
                            out.push('\\');
                            out.push(other);
                        }
                    }
                }
                Some(c) => {
                    out.push(c);
                    self.pos += 1;
                }
            }
        }
    }

    fn unicode_escape(&mut self) -> Result<char, ValueParseError> {
        let hex: String = self.chars.iter().skip(self.pos).take(4).collect();
        if hex.len() != 4 || !hex.chars().all(|c| c.is_ascii_hexdigit()) {
            return Err(self.error("expected four hex digits after \\u"));
        }
        self.pos += 4;
        u32::from_str_radix(&hex, 16)
            .ok()
            .and_then(char::from_u32)
            .ok_or_else(|| self.error(format!("\\u{hex} is not a character")))
    }

    fn name(&mut self) -> Result<String, ValueParseError> {
        if self.peek() == Some('`') {
            self.pos += 1;
            let mut out = String::new();
            loop {
                match self.peek() {
                    None => return Err(self.error("unterminated backticked name")),
                    Some('`') if self.peek_at(1) == Some('`') => {
                        out.push('`');
                        self.pos += 2;
                    }
                    Some('`') => {
                        self.pos += 1;
                        return Ok(out);
                    }
                    Some(c) => {
                        out.push(c);
                        self.pos += 1;
                    }
                }
            }
        }
        let start = self.pos;
        while self.peek().is_some_and(is_name_char) {
            self.pos += 1;
        }
        if self.pos == start {
            return Err(self.error("expected a name"));
        }
        Ok(self.chars[start..self.pos].iter().collect())
    }

    fn list(&mut self) -> Result<TckValue, ValueParseError> {
        self.expect('[')?;
        let mut items = Vec::new();
        self.skip_ws();
        if self.peek() == Some(']') {
            self.pos += 1;
            return Ok(TckValue::List(items));
        }
        loop {
            self.skip_ws();
            items.push(self.value()?);
            self.skip_ws();
            match self.peek() {
                Some(',') => self.pos += 1,
                Some(']') => {
                    self.pos += 1;
                    return Ok(TckValue::List(items));
                }
                _ => return Err(self.error("expected `,` or `]` in a list")),
            }
        }
    }

    fn map(&mut self) -> Result<BTreeMap<String, TckValue>, ValueParseError> {
        self.expect('{')?;
        let mut map = BTreeMap::new();
        self.skip_ws();
        if self.peek() == Some('}') {
            self.pos += 1;
            return Ok(map);
        }
        loop {
            self.skip_ws();
            let key_at = self.pos;
            let key = self.name()?;
            self.skip_ws();
            self.expect(':')?;
            self.skip_ws();
            let value = self.value()?;
            if map.insert(key.clone(), value).is_some() {
                return Err(ValueParseError {
                    offset: key_at,
                    message: format!("duplicate key `{key}` in a map"),
                });
            }
            self.skip_ws();
            match self.peek() {
                Some(',') => self.pos += 1,
                Some('}') => {
                    self.pos += 1;
                    return Ok(map);
                }
                _ => return Err(self.error("expected `,` or `}` in a map")),
            }
        }
    }

    fn node(&mut self) -> Result<TckNode, ValueParseError> {
        self.expect('(')?;
        let mut labels = BTreeSet::new();
        self.skip_ws();
        while self.peek() == Some(':') {
            self.pos += 1;
            labels.insert(self.name()?);
            self.skip_ws();
        }
        let properties = if self.peek() == Some('{') {
            self.map()?
        } else {
            BTreeMap::new()
        };
        self.skip_ws();
        self.expect(')')?;
        Ok(TckNode { labels, properties })
    }

    fn relationship(&mut self) -> Result<TckRelationship, ValueParseError> {
        self.expect('[')?;
        self.skip_ws();
        self.expect(':')?;
        let rel_type = self.name()?;
        self.skip_ws();
        let properties = if self.peek() == Some('{') {
            self.map()?
        } else {
            BTreeMap::new()
        };
        self.skip_ws();
        self.expect(']')?;
        Ok(TckRelationship {
            rel_type,
            properties,
        })
    }

    fn path(&mut self) -> Result<TckPath, ValueParseError> {
        self.expect('<')?;
        self.skip_ws();
        let start = self.node()?;
        let mut steps = Vec::new();
        loop {
            self.skip_ws();
            let direction = match self.peek() {
                Some('>') => {
                    self.pos += 1;
                    return Ok(TckPath { start, steps });
                }
                Some('-') => {
                    self.pos += 1;
                    PathDirection::Forward
                }
                Some('<') if self.peek_at(1) == Some('-') => {
                    self.pos += 2;
                    PathDirection::Backward
                }
                _ => return Err(self.error("expected `-[`, `<-[` or `>` in a path")),
            };
            self.skip_ws();
            let relationship = self.relationship()?;
            self.skip_ws();
            match direction {
                PathDirection::Forward => {
                    self.expect('-')?;
                    self.expect('>')?;
                }
                PathDirection::Backward => self.expect('-')?,
            }
            self.skip_ws();
            let node = self.node()?;
            steps.push(TckPathStep {
                relationship,
                direction,
                node,
            });
        }
    }
}

fn is_name_char(c: char) -> bool {
    c.is_alphanumeric() || c == '_' || c == '$'
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tck::value::ListOrder;

    fn parse(text: &str) -> TckValue {
        match parse_value(text) {
            Ok(v) => v,
            Err(e) => panic!("{text:?} failed to parse: {e}"),
        }
    }

    /// Parses, renders, parses the rendering again: both parses are equal
    /// (bit-for-bit for floats, via the canonical key) and the rendering is
    /// stable.
    fn round_trip(text: &str) -> String {
        let first = parse(text);
        let rendered = first.to_string();
        let second = parse(&rendered);
        assert_eq!(
            first.canonical_key(ListOrder::Ordered),
            second.canonical_key(ListOrder::Ordered),
            "{text:?} rendered as {rendered:?}"
        );
        assert_eq!(
            second.to_string(),
            rendered,
            "rendering of {text:?} is not stable"
        );
        rendered
    }

    #[test]
    fn round_trips_every_notation() {
        let samples = [
            ("null", "null"),
            ("true", "true"),
            ("false", "false"),
            ("0", "0"),
            ("-12", "-12"),
            ("9223372036854775807", "9223372036854775807"),
            ("-9223372036854775808", "-9223372036854775808"),
            ("1.5", "1.5"),
            ("-0.0", "-0.0"),
            (".5", "0.5"),
            ("-.1e9", "-100000000.0"),
            ("1e-5", "1e-5"),
            ("2E8", "200000000.0"),
            ("1.2635418652381264e305", "1.2635418652381264e305"),
            ("NaN", "NaN"),
            ("Inf", "Inf"),
            ("-Inf", "-Inf"),
            ("''", "''"),
            ("'abc'", "'abc'"),
            (r"'it\'s'", r"'it\'s'"),
            ("'a\nb'", r"'a\nb'"),
            (r"'a\\b'", r"'a\\b'"),
            (
                "'2015-07-21T21:40:32.142+01:00'",
                "'2015-07-21T21:40:32.142+01:00'",
            ),
            ("'P12Y6MT32H2M20.000000001S'", "'P12Y6MT32H2M20.000000001S'"),
            ("[]", "[]"),
            ("[1, 2.0, 'x', null]", "[1, 2.0, 'x', null]"),
            ("[[1], [[]]]", "[[1], [[]]]"),
            ("{}", "{}"),
            ("{b: 1, a: [true]}", "{a: [true], b: 1}"),
            ("{``: null}", "{``: null}"),
            ("{`a b`: 1}", "{`a b`: 1}"),
            ("()", "()"),
            ("(:A)", "(:A)"),
            ("(:B:A {name: 'x', num: 1})", "(:A:B {name: 'x', num: 1})"),
            ("({time: 10})", "({time: 10})"),
            ("[:T]", "[:T]"),
            ("[:KNOWS {since: 2}]", "[:KNOWS {since: 2}]"),
            ("<()>", "<()>"),
            ("<(:A)-[:T]->(:B)>", "<(:A)-[:T]->(:B)>"),
            ("<(:A)-[:R]->(:B)<-[:S]-()>", "<(:A)-[:R]->(:B)<-[:S]-()>"),
            (
                "[<({time: 20})<-[:T]-({time: 10})>]",
                "[<({time: 20})<-[:T]-({time: 10})>]",
            ),
            ("[(:A), [:T], {k: (:B)}]", "[(:A), [:T], {k: (:B)}]"),
        ];
        for (text, expected) in samples {
            assert_eq!(round_trip(text), expected, "rendering of {text:?}");
        }
    }

    #[test]
    fn distinguishes_integers_from_floats() {
        assert!(matches!(parse("1"), TckValue::Integer(1)));
        assert!(matches!(parse("1.0"), TckValue::Float(_)));
        assert!(matches!(parse("1e2"), TckValue::Float(_)));
        assert!(matches!(parse("-0.0"), TckValue::Float(f) if f.is_sign_negative()));
    }

    #[test]
    fn string_escapes() {
        // The cell `'a\\\\bcn5t\'"\\\\//\\\\"\''` of Literals6 after Gherkin
        // unescaping; the query literal evaluates to this string.
        let value = parse(r#"'a\\bcn5t\'"\\//\\"\''"#);
        assert_eq!(value, TckValue::String(r#"a\bcn5t'"\//\"'"#.to_owned()));
        assert_eq!(parse(r"'\u00e9'"), TckValue::String("é".to_owned()));
    }

    #[test]
    fn rejects_malformed_values() {
        for bad in [
            "",
            "'open",
            "[1, 2",
            "{a 1}",
            "(:A",
            "[:T",
            "<(:A)-[:T]-(:B)>",
            "1.2.3",
            "nul",
            "12abc",
            "9223372036854775808",
            "{a: 1, a: 2}",
            "1 2",
            "<(:A)-[]->()>",
        ] {
            assert!(parse_value(bad).is_err(), "{bad:?} should not parse");
        }
    }
}
