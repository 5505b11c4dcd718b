//! List, map and path functions: `range`, `head`, `last`, `tail`,
//! `reverse` (of lists and strings), `size` (of lists and strings),
//! `isEmpty`, `coalesce`, `keys` and `properties` of maps, and `length`,
//! `nodes`, `relationships` of paths.

use std::sync::Arc;

use super::{arg, type_error, Outcome};
use crate::error::{ErrorDetail, QueryError, QueryErrorKind};
use crate::value::CypherValue;

/// The most elements `range()` builds; longer ranges fail with a memory
/// limit error rather than exhausting memory.
pub const MAX_RANGE_LEN: u64 = 10_000_000;

/// Dispatch a list function; `None` when `name` is not one.
pub(super) fn call(name: &str, args: &[CypherValue]) -> Option<Outcome> {
    let first = arg(args, 0);
    Some(
        match name {
            "range" => range(args),
            "head" => list_arg(name, first).map(|l| l.and_then(|l| l.first().cloned())),
            "last" => list_arg(name, first).map(|l| l.and_then(|l| l.last().cloned())),
            "tail" => list_arg(name, first)
                .map(|l| l.map(|l| CypherValue::List(l.get(1..).unwrap_or_default().into()))),
            "reverse" => reverse(first),
            "size" => size(first),
            "isempty" => is_empty(first),
            "coalesce" => Ok(args.iter().find(|a| !a.is_null()).cloned()),
            "keys" => keys(first),
            "properties" => properties(first),
            "length" => length(first),
            "nodes" => path_part(name, first, |p| {
                p.nodes.iter().copied().map(CypherValue::Node).collect()
            }),
            "relationships" => path_part(name, first, |p| {
                p.relationships
                    .iter()
                    .copied()
                    .map(CypherValue::Relationship)
                    .collect()
            }),
            _ => return None,
        }
        .map(Option::unwrap_or_default),
    )
}

/// A list argument: `Ok(None)` for `null`.
fn list_arg<'a>(
    function: &str,
    value: &'a CypherValue,
) -> Result<Option<&'a [CypherValue]>, QueryError> {
    match value {
        CypherValue::Null => Ok(None),
        CypherValue::List(items) => Ok(Some(items)),
        other => Err(type_error(function, "List", other)),
    }
}

/// An argument of `range()`: an integer, or an `ArgumentError:
/// InvalidArgumentType` (as the TCK has it).
fn range_bound(what: &str, value: &CypherValue) -> Result<Option<i64>, QueryError> {
    match value {
        CypherValue::Integer(i) => Ok(Some(*i)),
        CypherValue::Null => Ok(None),
        other => Err(QueryError::argument_error(
            ErrorDetail::InvalidArgumentType,
            format!(
                "range(): {what} must be an integer, but was {}",
                other.type_name()
            ),
        )),
    }
}

/// `range(start, end[, step])`: integers from `start` to `end` inclusive;
/// empty when the step points away from `end`; a zero step is an
/// `ArgumentError: NumberOutOfRange`.
fn range(args: &[CypherValue]) -> Result<Option<CypherValue>, QueryError> {
    let start = range_bound("start", arg(args, 0))?;
    let end = range_bound("end", arg(args, 1))?;
    let step = if args.len() > 2 {
        range_bound("step", arg(args, 2))?
    } else {
        Some(1)
    };
    let (Some(start), Some(end), Some(step)) = (start, end, step) else {
        return Ok(None);
    };
    if step == 0 {
        return Err(QueryError::argument_error(
            ErrorDetail::NumberOutOfRange,
            "range(): step argument must not be zero",
        ));
    }
    let (start, end, step) = (i128::from(start), i128::from(end), i128::from(step));
    let span = end - start;
    let count = if span == 0 || (span > 0) == (step > 0) {
        span / step + 1
    } else {
        0
    };
    let count = count as u128;
    if count > u128::from(MAX_RANGE_LEN) {
        return Err(QueryError::new(
            QueryErrorKind::MemoryLimit,
            None,
            format!("range(): {count} elements are more than the limit of {MAX_RANGE_LEN}"),
        ));
    }
    // Every element lies between start and end, so it fits an i64.
    let items: Vec<CypherValue> = (0..count as i128)
        .map(|i| CypherValue::Integer((start + i * step) as i64))
        .collect();
    Ok(Some(CypherValue::List(items.into())))
}

/// `reverse()` of a list or a string (by characters).
fn reverse(value: &CypherValue) -> Result<Option<CypherValue>, QueryError> {
    match value {
        CypherValue::Null => Ok(None),
        CypherValue::String(s) => Ok(Some(CypherValue::string(
            s.chars().rev().collect::<String>(),
        ))),
        CypherValue::List(items) => Ok(Some(CypherValue::list(items.iter().rev().cloned()))),
        other => Err(type_error("reverse", "String or List", other)),
    }
}

/// `size()` of a list (elements) or a string (characters).
fn size(value: &CypherValue) -> Result<Option<CypherValue>, QueryError> {
    let n = match value {
        CypherValue::Null => return Ok(None),
        CypherValue::String(s) => s.chars().count(),
        CypherValue::List(items) => items.len(),
        other => return Err(type_error("size", "String or List", other)),
    };
    Ok(Some(CypherValue::Integer(n as i64)))
}

/// `isEmpty()` of a list, map or string.
fn is_empty(value: &CypherValue) -> Result<Option<CypherValue>, QueryError> {
    let empty = match value {
        CypherValue::Null => return Ok(None),
        CypherValue::String(s) => s.is_empty(),
        CypherValue::List(items) => items.is_empty(),
        CypherValue::Map(map) => map.is_empty(),
        other => return Err(type_error("isEmpty", "String, List or Map", other)),
    };
    Ok(Some(CypherValue::Boolean(empty)))
}

/// `keys()` of a map, in key order. Nodes and relationships are the
/// engine's; here they are a type error.
fn keys(value: &CypherValue) -> Result<Option<CypherValue>, QueryError> {
    match value {
        CypherValue::Null => Ok(None),
        CypherValue::Map(map) => Ok(Some(CypherValue::list(
            map.keys().map(|k| CypherValue::String(Arc::clone(k))),
        ))),
        other => Err(type_error("keys", "Map, Node or Relationship", other)),
    }
}

/// `properties()` of a map: the map itself.
fn properties(value: &CypherValue) -> Result<Option<CypherValue>, QueryError> {
    match value {
        CypherValue::Null => Ok(None),
        CypherValue::Map(_) => Ok(Some(value.clone())),
        other => Err(type_error("properties", "Map, Node or Relationship", other)),
    }
}

/// `length()` of a path: its number of relationships.
fn length(value: &CypherValue) -> Result<Option<CypherValue>, QueryError> {
    match value {
        CypherValue::Null => Ok(None),
        CypherValue::Path(path) => Ok(Some(CypherValue::Integer(path.len() as i64))),
        other => Err(type_error("length", "Path", other)),
    }
}

fn path_part(
    function: &str,
    value: &CypherValue,
    part: impl Fn(&crate::value::Path) -> Vec<CypherValue>,
) -> Result<Option<CypherValue>, QueryError> {
    match value {
        CypherValue::Null => Ok(None),
        CypherValue::Path(path) => Ok(Some(CypherValue::List(part(path).into()))),
        other => Err(type_error(function, "Path", other)),
    }
}

#[cfg(test)]
#[allow(clippy::float_cmp)] // exact results are the point
mod tests {
    use super::*;
    use crate::value::Path;
    use graph_model::{NodeId, RelId};

    fn i(n: i64) -> CypherValue {
        CypherValue::Integer(n)
    }

    fn ints(items: &[i64]) -> CypherValue {
        CypherValue::list(items.iter().copied().map(i))
    }

    fn run(name: &str, args: &[CypherValue]) -> CypherValue {
        call(name, args)
            .expect("a list function")
            .expect("no error")
    }

    fn fail(name: &str, args: &[CypherValue]) -> QueryError {
        call(name, args)
            .expect("a list function")
            .expect_err("an error")
    }

    #[test]
    fn ranges_with_default_step() {
        assert_eq!(
            run("range", &[i(-1236), i(-1234)]),
            ints(&[-1236, -1235, -1234])
        );
        assert_eq!(run("range", &[i(-1234), i(-1234)]), ints(&[-1234]));
        assert_eq!(run("range", &[i(0), i(-123)]), ints(&[]));
        assert_eq!(run("range", &[i(0), i(-1)]), ints(&[]));
        assert_eq!(run("range", &[i(-1), i(1)]), ints(&[-1, 0, 1]));
        assert_eq!(run("range", &[i(6), i(10)]), ints(&[6, 7, 8, 9, 10]));
    }

    #[test]
    fn ranges_with_explicit_step() {
        let r = |a, b, c| run("range", &[i(a), i(b), i(c)]);
        assert_eq!(r(1381, -3412, -1298), ints(&[1381, 83, -1215, -2513]));
        assert_eq!(r(0, -2000, -1298), ints(&[0, -1298]));
        assert_eq!(r(10, -10, -3), ints(&[10, 7, 4, 1, -2, -5, -8]));
        assert_eq!(r(0, 1, -123), ints(&[]));
        assert_eq!(r(0, -1, 1), ints(&[]));
        assert_eq!(r(0, 0, -1), ints(&[0]));
        assert_eq!(r(0, 1, 2), ints(&[0]));
        assert_eq!(r(-10, 10, 3), ints(&[-10, -7, -4, -1, 2, 5, 8]));
        assert_eq!(r(-3412, 1381, 1298), ints(&[-3412, -2114, -816, 482]));
        assert_eq!(r(i64::MAX - 1, i64::MAX, 5), ints(&[i64::MAX - 1]));
        assert_eq!(
            r(i64::MIN, i64::MAX, i64::MAX),
            ints(&[i64::MIN, -1, i64::MAX - 1])
        );
    }

    #[test]
    fn range_errors() {
        for (a, b) in [(0, 0), (2, 8), (-2, 8), (2, -8)] {
            let err = fail("range", &[i(a), i(b), i(0)]);
            assert_eq!(err.kind, QueryErrorKind::ArgumentError);
            assert_eq!(err.detail, Some(ErrorDetail::NumberOutOfRange));
        }
        let bad = [
            CypherValue::Boolean(true),
            CypherValue::Float(-0.0),
            CypherValue::Float(1.1),
            CypherValue::string("xyz"),
            ints(&[0]),
            CypherValue::map([("start", i(0))]),
        ];
        for value in bad {
            for position in 0..3 {
                let mut args = vec![i(0), i(1), i(1)];
                args[position] = value.clone();
                let err = fail("range", &args);
                assert_eq!(err.kind, QueryErrorKind::ArgumentError, "{args:?}");
                assert_eq!(err.detail, Some(ErrorDetail::InvalidArgumentType));
            }
        }
        let err = fail("range", &[i(0), i(i64::MAX)]);
        assert_eq!(err.kind, QueryErrorKind::MemoryLimit);
        assert!(run("range", &[CypherValue::Null, i(1)]).is_null());
    }

    #[test]
    fn heads_lasts_and_tails() {
        let list = ints(&[1, 2, 3]);
        assert_eq!(run("head", std::slice::from_ref(&list)), i(1));
        assert_eq!(run("last", std::slice::from_ref(&list)), i(3));
        assert_eq!(run("tail", std::slice::from_ref(&list)), ints(&[2, 3]));
        assert!(run("head", &[ints(&[])]).is_null());
        assert!(run("last", &[ints(&[])]).is_null());
        assert_eq!(run("tail", &[ints(&[])]), ints(&[]));
        for name in ["head", "last", "tail"] {
            assert!(run(name, &[CypherValue::Null]).is_null());
            let err = fail(name, &[CypherValue::string("abc")]);
            assert_eq!(err.detail, Some(ErrorDetail::InvalidArgumentType));
        }
    }

    #[test]
    fn reverse_and_size() {
        assert_eq!(
            run("reverse", &[CypherValue::string("raksO")]),
            CypherValue::string("Oskar")
        );
        assert_eq!(run("reverse", &[ints(&[1, 2, 3])]), ints(&[3, 2, 1]));
        assert!(run("reverse", &[CypherValue::Null]).is_null());
        assert_eq!(run("size", &[ints(&[1, 2, 3])]), i(3));
        assert_eq!(run("size", &[CypherValue::string("héllo")]), i(5));
        assert!(run("size", &[CypherValue::Null]).is_null());
        let path = CypherValue::Path(Arc::new(Path::single(NodeId(1))));
        let err = fail("size", &[path]);
        assert_eq!(err.kind, QueryErrorKind::TypeError);
        assert_eq!(err.detail, Some(ErrorDetail::InvalidArgumentType));
        assert!(call("size", &[i(1)]).expect("known").is_err());
    }

    #[test]
    fn emptiness() {
        assert_eq!(run("isempty", &[ints(&[])]), CypherValue::Boolean(true));
        assert_eq!(
            run("isempty", &[CypherValue::string("a")]),
            CypherValue::Boolean(false)
        );
        let empty_map = CypherValue::map(Vec::<(&str, CypherValue)>::new());
        assert_eq!(run("isempty", &[empty_map]), CypherValue::Boolean(true));
        assert!(run("isempty", &[CypherValue::Null]).is_null());
    }

    #[test]
    fn coalescing() {
        assert_eq!(run("coalesce", &[CypherValue::Null, i(2), i(3)]), i(2));
        assert!(run("coalesce", &[CypherValue::Null, CypherValue::Null]).is_null());
        assert_eq!(
            run("coalesce", &[CypherValue::string("x")]),
            CypherValue::string("x")
        );
    }

    #[test]
    fn keys_and_properties_of_maps() {
        let map = CypherValue::map([
            ("name", CypherValue::string("Popeye")),
            ("k", CypherValue::Null),
        ]);
        assert_eq!(
            run("keys", std::slice::from_ref(&map)),
            CypherValue::list([CypherValue::string("k"), CypherValue::string("name")])
        );
        assert_eq!(run("properties", std::slice::from_ref(&map)), map);
        assert!(run("keys", &[CypherValue::Null]).is_null());
        assert!(run("properties", &[CypherValue::Null]).is_null());
        for bad in [i(1), CypherValue::string("Cypher"), ints(&[1])] {
            let err = fail("properties", &[bad]);
            assert_eq!(err.kind, QueryErrorKind::TypeError);
            assert_eq!(err.detail, Some(ErrorDetail::InvalidArgumentType));
        }
    }

    #[test]
    fn paths() {
        let path = CypherValue::Path(Arc::new(Path {
            nodes: vec![NodeId(1), NodeId(2)],
            relationships: vec![RelId(7)],
        }));
        assert_eq!(run("length", std::slice::from_ref(&path)), i(1));
        assert_eq!(
            run("nodes", std::slice::from_ref(&path)),
            CypherValue::list([CypherValue::Node(NodeId(1)), CypherValue::Node(NodeId(2))])
        );
        assert_eq!(
            run("relationships", &[path]),
            CypherValue::list([CypherValue::Relationship(RelId(7))])
        );
        assert!(run("length", &[CypherValue::Null]).is_null());
        let err = fail("length", &[CypherValue::Node(NodeId(1))]);
        assert_eq!(err.detail, Some(ErrorDetail::InvalidArgumentType));
        assert!(call("length", &[CypherValue::string("abc")])
            .expect("known")
            .is_err());
    }
}
