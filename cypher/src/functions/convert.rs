//! Type conversion: `toBoolean`, `toInteger`, `toFloat`, `toString`, their
//! `...OrNull` forms and the list forms (`toIntegerList`, ...).
//!
//! A string that does not hold a value of the target type converts to
//! `null`; a value of a type that cannot convert at all (a list, a map, a
//! node, `toFloat(true)`, ...) is a `TypeError: InvalidArgumentValue`, as
//! the TCK has it, or `null` for the `...OrNull` forms. The list forms
//! convert each element as the `...OrNull` forms do.

use std::fmt::Write as _;

use super::{arg, Outcome};
use crate::error::{ErrorDetail, QueryError};
use crate::value::CypherValue;

/// A conversion of one value: `Ok(None)` when the value converts to
/// `null`, `Err(())` when it cannot convert at all.
type Conversion = fn(&CypherValue) -> Result<Option<CypherValue>, ()>;

/// Dispatch a conversion function; `None` when `name` is not one.
pub(super) fn call(name: &str, args: &[CypherValue]) -> Option<Outcome> {
    let value = arg(args, 0);
    let (target, conversion, how): (&str, Conversion, How) = match name {
        "toboolean" => ("Boolean", to_boolean, How::Strict),
        "tobooleanornull" => ("Boolean", to_boolean, How::OrNull),
        "tobooleanlist" => ("Boolean", to_boolean, How::List),
        "tointeger" => ("Integer", to_integer, How::Strict),
        "tointegerornull" => ("Integer", to_integer, How::OrNull),
        "tointegerlist" => ("Integer", to_integer, How::List),
        "tofloat" => ("Float", to_float, How::Strict),
        "tofloatornull" => ("Float", to_float, How::OrNull),
        "tofloatlist" => ("Float", to_float, How::List),
        "tostring" => ("String", to_string, How::Strict),
        "tostringornull" => ("String", to_string, How::OrNull),
        "tostringlist" => ("String", to_string, How::List),
        _ => return None,
    };
    let or_null = |v: &CypherValue| conversion(v).ok().flatten().unwrap_or_default();
    Some(match how {
        How::Strict => conversion(value)
            .map(Option::unwrap_or_default)
            .map_err(|()| cannot_convert(name, target, value)),
        How::OrNull => Ok(or_null(value)),
        How::List => match value {
            CypherValue::Null => Ok(CypherValue::Null),
            CypherValue::List(items) => Ok(CypherValue::list(items.iter().map(or_null))),
            other => Err(cannot_convert(name, "List", other)),
        },
    })
}

/// Which form of a conversion function.
#[derive(Clone, Copy)]
enum How {
    /// `toX`: unconvertible types are errors.
    Strict,
    /// `toXOrNull`: unconvertible types give `null`.
    OrNull,
    /// `toXList`: a list, converted element by element as `toXOrNull`.
    List,
}

fn cannot_convert(function: &str, target: &str, value: &CypherValue) -> QueryError {
    QueryError::type_error(
        ErrorDetail::InvalidArgumentValue,
        format!(
            "{}(): cannot convert a {} to {target}",
            super::display_name(function),
            value.type_name()
        ),
    )
}

/// Booleans as they are; the strings `true` and `false` (any case,
/// surrounding whitespace ignored); integers: zero is false.
fn to_boolean(value: &CypherValue) -> Result<Option<CypherValue>, ()> {
    Ok(match value {
        CypherValue::Null => None,
        CypherValue::Boolean(b) => Some(CypherValue::Boolean(*b)),
        CypherValue::Integer(i) => Some(CypherValue::Boolean(*i != 0)),
        CypherValue::String(s) => {
            let s = s.trim();
            if s.eq_ignore_ascii_case("true") {
                Some(CypherValue::Boolean(true))
            } else if s.eq_ignore_ascii_case("false") {
                Some(CypherValue::Boolean(false))
            } else {
                None
            }
        }
        _ => return Err(()),
    })
}

/// The integer part of a float, if it fits 64 bits.
fn truncate(x: f64) -> Option<i64> {
    // 2^63 is exactly representable; every float below it and above -2^63
    // (inclusive) truncates into range.
    const LIMIT: f64 = 9_223_372_036_854_775_808.0;
    (-LIMIT..LIMIT).contains(&x).then(|| x.trunc() as i64)
}

/// Integers as they are; floats truncated towards zero (`null` when out of
/// range or not finite); booleans as 1 and 0; strings holding an integer,
/// or a float (truncated).
fn to_integer(value: &CypherValue) -> Result<Option<CypherValue>, ()> {
    Ok(match value {
        CypherValue::Null => None,
        CypherValue::Integer(i) => Some(CypherValue::Integer(*i)),
        CypherValue::Float(x) => truncate(*x).map(CypherValue::Integer),
        CypherValue::Boolean(b) => Some(CypherValue::Integer(i64::from(*b))),
        CypherValue::String(s) => {
            let s = s.trim();
            s.parse::<i64>()
                .ok()
                .or_else(|| parse_float(s).and_then(truncate))
                .map(CypherValue::Integer)
        }
        _ => return Err(()),
    })
}

/// A float in Cypher or Java notation (`1.5`, `-.5`, `1e3`, `NaN`,
/// `Infinity`); `None` otherwise.
fn parse_float(s: &str) -> Option<f64> {
    let unsigned = s.trim_start_matches(['+', '-']);
    let named = unsigned.eq_ignore_ascii_case("nan")
        || unsigned.eq_ignore_ascii_case("inf")
        || unsigned.eq_ignore_ascii_case("infinity");
    if named && unsigned != "NaN" && unsigned != "Infinity" {
        return None;
    }
    s.parse::<f64>().ok()
}

/// Floats as they are; integers widened; strings holding a number.
fn to_float(value: &CypherValue) -> Result<Option<CypherValue>, ()> {
    Ok(match value {
        CypherValue::Null => None,
        CypherValue::Float(x) => Some(CypherValue::Float(*x)),
        CypherValue::Integer(i) => Some(CypherValue::Float(*i as f64)),
        CypherValue::String(s) => parse_float(s.trim()).map(CypherValue::Float),
        _ => return Err(()),
    })
}

/// Strings as they are; numbers, booleans and temporal values as text.
fn to_string(value: &CypherValue) -> Result<Option<CypherValue>, ()> {
    Ok(match value {
        CypherValue::Null => None,
        CypherValue::String(_) => Some(value.clone()),
        CypherValue::Integer(i) => Some(CypherValue::string(i.to_string())),
        CypherValue::Float(x) => Some(CypherValue::string(format_float(*x))),
        CypherValue::Boolean(b) => Some(CypherValue::string(b.to_string())),
        CypherValue::Temporal(t) => Some(CypherValue::string(t.to_string())),
        _ => return Err(()),
    })
}

/// A float as Java's `Double.toString` (and so Neo4j's `toString()`)
/// writes it: `2.3`, `1.0`, `1.0E7`, `1.234E-5`, `NaN`, `Infinity`.
/// Plain notation for magnitudes in `[1e-3, 1e7)`, scientific otherwise;
/// always a digit after the point; the shortest digits that read back as
/// the same float.
pub fn format_float(x: f64) -> String {
    if x.is_nan() {
        return "NaN".to_owned();
    }
    if x.is_infinite() {
        return if x > 0.0 { "Infinity" } else { "-Infinity" }.to_owned();
    }
    let magnitude = x.abs();
    if magnitude == 0.0 || (1e-3..1e7).contains(&magnitude) {
        let mut text = format!("{x}");
        if !text.contains('.') {
            text.push_str(".0");
        }
        return text;
    }
    let scientific = format!("{x:e}");
    let (mantissa, exponent) = scientific.split_once('e').unwrap_or((&scientific, "0"));
    let mut text = String::with_capacity(scientific.len() + 3);
    text.push_str(mantissa);
    if !mantissa.contains('.') {
        text.push_str(".0");
    }
    let _ = write!(text, "E{exponent}");
    text
}

#[cfg(test)]
#[allow(clippy::float_cmp)] // exact results are the point
mod tests {
    use super::*;
    use crate::error::QueryErrorKind;
    use crate::value::Path;
    use graph_model::NodeId;
    use std::sync::Arc;

    fn run(name: &str, value: CypherValue) -> CypherValue {
        call(name, &[value])
            .expect("a conversion")
            .expect("no error")
    }

    fn fail(name: &str, value: CypherValue) -> QueryError {
        call(name, &[value])
            .expect("a conversion")
            .expect_err("an error")
    }

    fn s(text: &str) -> CypherValue {
        CypherValue::string(text)
    }

    /// The values the TCK's failing-conversion scenarios use.
    fn structured() -> Vec<CypherValue> {
        vec![
            CypherValue::list([]),
            CypherValue::map(Vec::<(&str, CypherValue)>::new()),
            CypherValue::Node(NodeId(1)),
            CypherValue::Relationship(graph_model::RelId(1)),
            CypherValue::Path(Arc::new(Path::single(NodeId(1)))),
        ]
    }

    fn assert_conversion_error(err: &QueryError) {
        assert_eq!(err.kind, QueryErrorKind::TypeError);
        assert_eq!(err.detail, Some(ErrorDetail::InvalidArgumentValue));
    }

    #[test]
    fn booleans() {
        assert_eq!(
            run("toboolean", CypherValue::Boolean(false)),
            CypherValue::Boolean(false)
        );
        assert_eq!(run("toboolean", s("true")), CypherValue::Boolean(true));
        assert_eq!(run("toboolean", s("FALSE")), CypherValue::Boolean(false));
        assert_eq!(
            run("toboolean", CypherValue::Integer(0)),
            CypherValue::Boolean(false)
        );
        assert_eq!(
            run("toboolean", CypherValue::Integer(-3)),
            CypherValue::Boolean(true)
        );
        for text in ["", " tru ", "f alse", "yes"] {
            assert!(run("toboolean", s(text)).is_null(), "{text:?}");
        }
        assert!(run("toboolean", CypherValue::Null).is_null());
        let mut bad = structured();
        bad.push(CypherValue::Float(1.0));
        for value in bad {
            assert_conversion_error(&fail("toboolean", value.clone()));
            assert!(run("tobooleanornull", value).is_null());
        }
    }

    #[test]
    fn integers() {
        assert_eq!(
            run("tointeger", CypherValue::Float(82.9)),
            CypherValue::Integer(82)
        );
        assert_eq!(
            run("tointeger", CypherValue::Float(-2.9)),
            CypherValue::Integer(-2)
        );
        assert_eq!(run("tointeger", s("42")), CypherValue::Integer(42));
        assert_eq!(run("tointeger", s("1.7")), CypherValue::Integer(1));
        assert_eq!(run("tointeger", s("2.9")), CypherValue::Integer(2));
        assert_eq!(run("tointeger", s(" 12 ")), CypherValue::Integer(12));
        assert_eq!(run("tointeger", s("1e3")), CypherValue::Integer(1000));
        assert_eq!(
            run("tointeger", CypherValue::Boolean(true)),
            CypherValue::Integer(1)
        );
        for text in ["foo", "", "1e30", "NaN"] {
            assert!(run("tointeger", s(text)).is_null(), "{text:?}");
        }
        assert!(run("tointeger", CypherValue::Float(f64::NAN)).is_null());
        assert!(run("tointeger", CypherValue::Float(1e19)).is_null());
        assert_eq!(
            run(
                "tointeger",
                CypherValue::Float(-9_223_372_036_854_775_808.0)
            ),
            CypherValue::Integer(i64::MIN)
        );
        assert!(run("tointeger", CypherValue::Null).is_null());
        for value in structured() {
            assert_conversion_error(&fail("tointeger", value.clone()));
            assert!(run("tointegerornull", value).is_null());
        }
    }

    #[test]
    fn floats() {
        assert!(
            matches!(run("tofloat", CypherValue::Integer(3)), CypherValue::Float(x) if x == 3.0)
        );
        assert!(
            matches!(run("tofloat", CypherValue::Float(3.4)), CypherValue::Float(x) if x == 3.4)
        );
        assert!(matches!(run("tofloat", s("5")), CypherValue::Float(x) if x == 5.0));
        assert!(matches!(run("tofloat", s("-.5e1")), CypherValue::Float(x) if x == -5.0));
        assert!(matches!(run("tofloat", s("NaN")), CypherValue::Float(x) if x.is_nan()));
        assert!(run("tofloat", s("foo")).is_null());
        assert!(run("tofloat", s("")).is_null());
        assert!(run("tofloat", s("inf")).is_null());
        assert!(run("tofloat", CypherValue::Null).is_null());
        let mut bad = structured();
        bad.push(CypherValue::Boolean(true));
        for value in bad {
            assert_conversion_error(&fail("tofloat", value.clone()));
            assert!(run("tofloatornull", value).is_null());
        }
    }

    #[test]
    fn strings() {
        assert_eq!(run("tostring", CypherValue::Integer(42)), s("42"));
        assert_eq!(run("tostring", CypherValue::Boolean(true)), s("true"));
        assert_eq!(run("tostring", CypherValue::Float(2.3)), s("2.3"));
        assert_eq!(run("tostring", s("apa")), s("apa"));
        assert!(run("tostring", CypherValue::Null).is_null());
        for value in structured() {
            assert_conversion_error(&fail("tostring", value.clone()));
            assert!(run("tostringornull", value).is_null());
        }
    }

    #[test]
    fn temporal_values_convert_to_iso_text() {
        let date = chrono::NaiveDate::from_ymd_opt(2024, 2, 29).expect("a valid date");
        let value = CypherValue::Temporal(graph_model::Value::Date(date));
        assert_eq!(run("tostring", value), s("2024-02-29"));
    }

    #[test]
    fn lists() {
        let mixed = CypherValue::list([
            s("1"),
            CypherValue::Float(2.5),
            s("x"),
            CypherValue::Null,
            CypherValue::list([]),
        ]);
        assert_eq!(
            run("tointegerlist", mixed.clone()),
            CypherValue::list([
                CypherValue::Integer(1),
                CypherValue::Integer(2),
                CypherValue::Null,
                CypherValue::Null,
                CypherValue::Null
            ])
        );
        assert_eq!(
            run("tostringlist", mixed.clone()),
            CypherValue::list([
                s("1"),
                s("2.5"),
                s("x"),
                CypherValue::Null,
                CypherValue::Null
            ])
        );
        assert!(matches!(
            &run("tofloatlist", mixed.clone()).as_list().expect("a list")[..2],
            [CypherValue::Float(a), CypherValue::Float(b)] if *a == 1.0 && *b == 2.5
        ));
        assert_eq!(
            run(
                "tobooleanlist",
                CypherValue::list([s("true"), CypherValue::Integer(0), CypherValue::Float(1.0)])
            ),
            CypherValue::list([
                CypherValue::Boolean(true),
                CypherValue::Boolean(false),
                CypherValue::Null
            ])
        );
        assert!(run("tointegerlist", CypherValue::Null).is_null());
        assert_conversion_error(&fail("tointegerlist", s("1")));
    }

    #[test]
    fn java_float_text() {
        let cases = [
            (1.0, "1.0"),
            (2.3, "2.3"),
            (-0.5, "-0.5"),
            (0.0, "0.0"),
            (-0.0, "-0.0"),
            (0.001, "0.001"),
            (0.000_1, "1.0E-4"),
            (1_234_567.0, "1234567.0"),
            (1e7, "1.0E7"),
            (1.234e-5, "1.234E-5"),
            (-1.5e300, "-1.5E300"),
            (f64::NAN, "NaN"),
            (f64::INFINITY, "Infinity"),
            (f64::NEG_INFINITY, "-Infinity"),
        ];
        for (x, text) in cases {
            assert_eq!(format_float(x), text, "{x}");
        }
    }
}
