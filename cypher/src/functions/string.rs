//! String functions: `toUpper`, `toLower`, `trim`, `lTrim`, `rTrim`,
//! `bTrim`, `replace`, `substring`, `left`, `right`, `split`,
//! `char_length`.
//!
//! Positions and lengths count Unicode characters (code points), as Neo4j
//! does. `reverse` and `size`, which take lists too, are in the list
//! module.

use super::{arg, out_of_range, required_integer, type_error, Outcome};
use crate::value::CypherValue;

/// Dispatch a string function; `None` when `name` is not one.
pub(super) fn call(name: &str, args: &[CypherValue]) -> Option<Outcome> {
    Some(match name {
        "toupper" | "upper" => map_string(name, arg(args, 0), str::to_uppercase),
        "tolower" | "lower" => map_string(name, arg(args, 0), str::to_lowercase),
        "trim" | "btrim" => trim(name, args, Side::Both),
        "ltrim" => trim(name, args, Side::Leading),
        "rtrim" => trim(name, args, Side::Trailing),
        "replace" => replace(args),
        "substring" => substring(args),
        "left" => left_right(name, args, true),
        "right" => left_right(name, args, false),
        "split" => split(args),
        "char_length" | "character_length" => char_length(name, arg(args, 0)),
        _ => return None,
    })
}

/// The string of a string argument: `Ok(None)` for `null`, a type error
/// for anything else.
fn string_arg<'a>(
    function: &str,
    value: &'a CypherValue,
) -> Result<Option<&'a str>, crate::QueryError> {
    match value {
        CypherValue::Null => Ok(None),
        CypherValue::String(s) => Ok(Some(s)),
        other => Err(type_error(function, "String", other)),
    }
}

fn map_string(function: &str, value: &CypherValue, f: impl Fn(&str) -> String) -> Outcome {
    Ok(match string_arg(function, value)? {
        None => CypherValue::Null,
        Some(s) => CypherValue::string(f(s)),
    })
}

fn char_length(function: &str, value: &CypherValue) -> Outcome {
    Ok(match string_arg(function, value)? {
        None => CypherValue::Null,
        Some(s) => CypherValue::Integer(s.chars().count() as i64),
    })
}

/// Which end(s) `trim` works on.
#[derive(Clone, Copy)]
enum Side {
    Leading,
    Trailing,
    Both,
}

/// `trim(s)` removes whitespace; `btrim(s, chars)` (and `ltrim`/`rtrim`
/// with two arguments) removes any of the characters of `chars`.
fn trim(function: &str, args: &[CypherValue], side: Side) -> Outcome {
    let Some(original) = string_arg(function, arg(args, 0))? else {
        return Ok(CypherValue::Null);
    };
    let trimmed = if args.len() > 1 {
        let Some(chars) = string_arg(function, arg(args, 1))? else {
            return Ok(CypherValue::Null);
        };
        let strip = |c: char| chars.contains(c);
        match side {
            Side::Leading => original.trim_start_matches(strip),
            Side::Trailing => original.trim_end_matches(strip),
            Side::Both => original.trim_matches(strip),
        }
    } else {
        match side {
            Side::Leading => original.trim_start(),
            Side::Trailing => original.trim_end(),
            Side::Both => original.trim(),
        }
    };
    Ok(CypherValue::string(trimmed))
}

/// `replace(original, search, replacement)`: every occurrence; `null` if
/// any argument is `null`.
fn replace(args: &[CypherValue]) -> Outcome {
    let original = string_arg("replace", arg(args, 0))?;
    let search = string_arg("replace", arg(args, 1))?;
    let replacement = string_arg("replace", arg(args, 2))?;
    Ok(match (original, search, replacement) {
        (Some(o), Some(s), Some(r)) => CypherValue::string(o.replace(s, r)),
        _ => CypherValue::Null,
    })
}

/// A non-negative position or length argument.
fn non_negative(
    function: &str,
    what: &str,
    value: &CypherValue,
) -> Result<usize, crate::QueryError> {
    let i = required_integer(function, what, value)?;
    usize::try_from(i).map_err(|_| {
        out_of_range(format!(
            "{}(): {what} must not be negative, got {i}",
            super::display_name(function)
        ))
    })
}

/// The byte offset of character `index` (the string's length past the end).
fn byte_offset(s: &str, index: usize) -> usize {
    s.char_indices()
        .nth(index)
        .map_or(s.len(), |(offset, _)| offset)
}

/// `substring(original, start[, length])`, 0-based, in characters.
fn substring(args: &[CypherValue]) -> Outcome {
    let Some(original) = string_arg("substring", arg(args, 0))? else {
        return Ok(CypherValue::Null);
    };
    let start = non_negative("substring", "start", arg(args, 1))?;
    let from = byte_offset(original, start);
    let rest = &original[from..];
    let taken = if args.len() > 2 {
        let length = non_negative("substring", "length", arg(args, 2))?;
        &rest[..byte_offset(rest, length)]
    } else {
        rest
    };
    Ok(CypherValue::string(taken))
}

/// `left(original, length)` / `right(original, length)`.
fn left_right(function: &str, args: &[CypherValue], left: bool) -> Outcome {
    let Some(original) = string_arg(function, arg(args, 0))? else {
        return Ok(CypherValue::Null);
    };
    let length = non_negative(function, "length", arg(args, 1))?;
    let taken = if left {
        &original[..byte_offset(original, length)]
    } else {
        let total = original.chars().count();
        &original[byte_offset(original, total.saturating_sub(length))..]
    };
    Ok(CypherValue::string(taken))
}

/// `split(original, delimiter)`: the delimiter is a string or a list of
/// strings (any of which splits). An empty delimiter splits into
/// characters. Empty pieces, leading and trailing, are kept.
fn split(args: &[CypherValue]) -> Outcome {
    let Some(original) = string_arg("split", arg(args, 0))? else {
        return Ok(CypherValue::Null);
    };
    let delimiters: Vec<&str> = match arg(args, 1) {
        CypherValue::Null => return Ok(CypherValue::Null),
        CypherValue::String(d) => vec![d],
        CypherValue::List(items) => {
            let mut delimiters = Vec::with_capacity(items.len());
            for item in items.iter() {
                match item {
                    CypherValue::String(d) => delimiters.push(&**d),
                    CypherValue::Null => return Ok(CypherValue::Null),
                    other => return Err(type_error("split", "String or List<String>", other)),
                }
            }
            delimiters
        }
        other => return Err(type_error("split", "String or List<String>", other)),
    };
    let delimiters: Vec<&str> = delimiters.into_iter().filter(|d| !d.is_empty()).collect();
    if delimiters.is_empty() {
        return Ok(CypherValue::list(
            original.chars().map(|c| CypherValue::string(c.to_string())),
        ));
    }
    let mut pieces = Vec::new();
    let mut piece_start = 0;
    let mut at = 0;
    while at < original.len() {
        let rest = &original[at..];
        if let Some(d) = delimiters.iter().find(|d| rest.starts_with(**d)) {
            pieces.push(CypherValue::string(&original[piece_start..at]));
            at += d.len();
            piece_start = at;
        } else {
            at += rest.chars().next().map_or(1, char::len_utf8);
        }
    }
    pieces.push(CypherValue::string(&original[piece_start..]));
    Ok(CypherValue::list(pieces))
}

#[cfg(test)]
#[allow(clippy::float_cmp)] // exact results are the point
mod tests {
    use super::*;
    use crate::error::{ErrorDetail, QueryErrorKind};

    fn s(text: &str) -> CypherValue {
        CypherValue::string(text)
    }

    fn run(name: &str, args: &[CypherValue]) -> CypherValue {
        call(name, args)
            .expect("a string function")
            .expect("no error")
    }

    fn fail(name: &str, args: &[CypherValue]) -> crate::QueryError {
        call(name, args)
            .expect("a string function")
            .expect_err("an error")
    }

    fn strings(items: &[&str]) -> CypherValue {
        CypherValue::list(items.iter().map(|t| s(t)))
    }

    #[test]
    fn casing() {
        assert_eq!(run("toupper", &[s("abc ß")]), s("ABC SS"));
        assert_eq!(run("tolower", &[s("AbC")]), s("abc"));
        assert_eq!(run("upper", &[s("x")]), s("X"));
        assert!(run("toupper", &[CypherValue::Null]).is_null());
        let err = fail("tolower", &[CypherValue::Integer(1)]);
        assert_eq!(err.kind, QueryErrorKind::TypeError);
        assert_eq!(err.detail, Some(ErrorDetail::InvalidArgumentType));
    }

    #[test]
    fn trimming() {
        assert_eq!(run("trim", &[s("  a b \t\n")]), s("a b"));
        assert_eq!(run("ltrim", &[s("  a  ")]), s("a  "));
        assert_eq!(run("rtrim", &[s("  a  ")]), s("  a"));
        assert_eq!(run("btrim", &[s("xxyyhelloxyxy"), s("xy")]), s("hello"));
        assert_eq!(run("ltrim", &[s("xxhixx"), s("x")]), s("hixx"));
        assert_eq!(run("rtrim", &[s("xxhixx"), s("x")]), s("xxhi"));
        assert!(run("trim", &[CypherValue::Null]).is_null());
        assert!(run("btrim", &[s("a"), CypherValue::Null]).is_null());
        assert!(call("trim", &[CypherValue::Boolean(true)])
            .expect("known")
            .is_err());
    }

    #[test]
    fn replacing() {
        assert_eq!(run("replace", &[s("hello"), s("l"), s("w")]), s("hewwo"));
        assert_eq!(run("replace", &[s("abc"), s(""), s("-")]), s("-a-b-c-"));
        assert!(run("replace", &[s("a"), CypherValue::Null, s("b")]).is_null());
        assert!(run("replace", &[CypherValue::Null, s("a"), s("b")]).is_null());
    }

    #[test]
    fn substrings() {
        let digits = s("0123456789");
        assert_eq!(
            run("substring", &[digits.clone(), 1.into()]),
            s("123456789")
        );
        assert_eq!(
            run("substring", &[digits.clone(), 1.into(), 3.into()]),
            s("123")
        );
        assert_eq!(run("substring", &[digits.clone(), 20.into()]), s(""));
        assert_eq!(
            run("substring", &[digits.clone(), 8.into(), 10.into()]),
            s("89")
        );
        assert_eq!(run("substring", &[s("héllo"), 1.into(), 2.into()]), s("él"));
        assert!(run("substring", &[CypherValue::Null, 1.into()]).is_null());
        let err = fail("substring", &[digits.clone(), (-1).into()]);
        assert_eq!(err.kind, QueryErrorKind::ArgumentError);
        assert_eq!(err.detail, Some(ErrorDetail::NumberOutOfRange));
        let err = fail("substring", &[digits.clone(), 0.into(), (-1).into()]);
        assert_eq!(err.detail, Some(ErrorDetail::NumberOutOfRange));
        let err = fail("substring", &[digits.clone(), CypherValue::Null]);
        assert_eq!(err.detail, Some(ErrorDetail::InvalidArgumentValue));
        let err = fail("substring", &[digits, CypherValue::Float(1.0)]);
        assert_eq!(err.kind, QueryErrorKind::TypeError);
    }

    #[test]
    fn left_and_right() {
        assert_eq!(run("left", &[s("hello"), 3.into()]), s("hel"));
        assert_eq!(run("right", &[s("hello"), 3.into()]), s("llo"));
        assert_eq!(run("left", &[s("hello"), 30.into()]), s("hello"));
        assert_eq!(run("right", &[s("hello"), 30.into()]), s("hello"));
        assert_eq!(run("right", &[s("añb"), 2.into()]), s("ñb"));
        assert!(run("left", &[CypherValue::Null, 3.into()]).is_null());
        assert!(run("right", &[CypherValue::Null, CypherValue::Null]).is_null());
        assert!(call("left", &[s("a"), CypherValue::Null])
            .expect("known")
            .is_err());
        let err = fail("right", &[s("a"), (-2).into()]);
        assert_eq!(err.detail, Some(ErrorDetail::NumberOutOfRange));
    }

    #[test]
    fn splitting() {
        assert_eq!(
            run("split", &[s("one1two"), s("1")]),
            strings(&["one", "two"])
        );
        assert_eq!(
            run("split", &[s(",a,,b,"), s(",")]),
            strings(&["", "a", "", "b", ""])
        );
        assert_eq!(run("split", &[s("abc"), s("")]), strings(&["a", "b", "c"]));
        assert_eq!(run("split", &[s("a--b"), s("--")]), strings(&["a", "b"]));
        assert_eq!(
            run("split", &[s("a,b;c"), strings(&[",", ";"])]),
            strings(&["a", "b", "c"])
        );
        assert_eq!(run("split", &[s("ñaña"), s("a")]), strings(&["ñ", "ñ", ""]));
        assert!(run("split", &[CypherValue::Null, s(",")]).is_null());
        assert!(run("split", &[s("a"), CypherValue::Null]).is_null());
        assert!(call("split", &[s("a"), 1.into()]).expect("known").is_err());
    }

    #[test]
    fn character_length() {
        assert_eq!(run("char_length", &[s("héllo")]), 5.into());
        assert!(run("character_length", &[CypherValue::Null]).is_null());
    }
}
