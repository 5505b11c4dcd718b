//! The function library: scalar functions (string, math, list, type
//! conversion) and aggregation functions over [`CypherValue`](crate::CypherValue).
//!
//! The engine looks functions up by their lower-case name:
//! - [`arity`] gives the allowed argument counts of every function known
//!   here (for the compile-time `InvalidNumberOfArguments` check);
//! - [`call_scalar`] evaluates a function that needs no graph access;
//! - [`is_aggregate`] and [`new_aggregator`] cover the aggregating
//!   functions, fed one row at a time through [`Aggregator`].
//!
//! Functions that read the graph (`id`, `labels`, `type`, `keys` and
//! `properties` of nodes and relationships, `startNode`, `endNode`, ...) and
//! `count(*)` are the engine's. `length`, `nodes` and `relationships` of a
//! path need no graph and are answered here too.
//!
//! Null propagation follows openCypher: a `null` argument gives `null`,
//! except where a function is defined otherwise (`coalesce`, the `length`
//! argument of `left`/`right`/`substring`, which must not be `null`).

mod aggregate;
mod convert;
mod list;
mod math;
mod random;
mod rounding;
mod stats;
mod string;

use std::borrow::Cow;

use crate::error::{ErrorDetail, QueryError, QueryErrorKind};
use crate::value::CypherValue;

pub use aggregate::new_aggregator;
pub use convert::format_float;
pub use list::MAX_RANGE_LEN;

/// An aggregation in progress: one accumulator per group.
pub trait Aggregator: Send {
    /// One row's evaluated arguments (for percentileCont/Disc: [value, percentile]).
    fn update(&mut self, args: &[CypherValue]) -> Result<(), QueryError>;
    /// The result for the group (count → 0 and collect → [] when no rows; sum → 0; others null).
    fn finish(&mut self) -> Result<CypherValue, QueryError>;
}

/// The result of a scalar function call.
type Outcome = Result<CypherValue, QueryError>;

/// Every function known here: name as the manual spells it (looked up
/// without regard to case), minimum and maximum argument count (`None`:
/// any number).
const FUNCTIONS: &[(&str, usize, Option<usize>)] = &[
    // aggregation
    ("count", 1, Some(1)),
    ("sum", 1, Some(1)),
    ("avg", 1, Some(1)),
    ("min", 1, Some(1)),
    ("max", 1, Some(1)),
    ("collect", 1, Some(1)),
    ("stDev", 1, Some(1)),
    ("stDevP", 1, Some(1)),
    ("percentileCont", 2, Some(2)),
    ("percentileDisc", 2, Some(2)),
    // string
    ("toUpper", 1, Some(1)),
    ("upper", 1, Some(1)),
    ("toLower", 1, Some(1)),
    ("lower", 1, Some(1)),
    ("trim", 1, Some(1)),
    ("bTrim", 1, Some(2)),
    ("lTrim", 1, Some(2)),
    ("rTrim", 1, Some(2)),
    ("replace", 3, Some(3)),
    ("substring", 2, Some(3)),
    ("left", 2, Some(2)),
    ("right", 2, Some(2)),
    ("split", 2, Some(2)),
    ("char_length", 1, Some(1)),
    ("character_length", 1, Some(1)),
    // math
    ("abs", 1, Some(1)),
    ("ceil", 1, Some(1)),
    ("floor", 1, Some(1)),
    ("round", 1, Some(3)),
    ("sign", 1, Some(1)),
    ("rand", 0, Some(0)),
    ("sqrt", 1, Some(1)),
    ("exp", 1, Some(1)),
    ("log", 1, Some(1)),
    ("log10", 1, Some(1)),
    ("e", 0, Some(0)),
    ("pi", 0, Some(0)),
    ("sin", 1, Some(1)),
    ("cos", 1, Some(1)),
    ("tan", 1, Some(1)),
    ("cot", 1, Some(1)),
    ("asin", 1, Some(1)),
    ("acos", 1, Some(1)),
    ("atan", 1, Some(1)),
    ("atan2", 2, Some(2)),
    ("haversin", 1, Some(1)),
    ("degrees", 1, Some(1)),
    ("radians", 1, Some(1)),
    ("isNaN", 1, Some(1)),
    // list, map, path
    ("range", 2, Some(3)),
    ("head", 1, Some(1)),
    ("last", 1, Some(1)),
    ("tail", 1, Some(1)),
    ("reverse", 1, Some(1)),
    ("size", 1, Some(1)),
    ("isEmpty", 1, Some(1)),
    ("coalesce", 1, None),
    ("keys", 1, Some(1)),
    ("properties", 1, Some(1)),
    ("length", 1, Some(1)),
    ("nodes", 1, Some(1)),
    ("relationships", 1, Some(1)),
    // type conversion
    ("toBoolean", 1, Some(1)),
    ("toBooleanOrNull", 1, Some(1)),
    ("toInteger", 1, Some(1)),
    ("toIntegerOrNull", 1, Some(1)),
    ("toFloat", 1, Some(1)),
    ("toFloatOrNull", 1, Some(1)),
    ("toString", 1, Some(1)),
    ("toStringOrNull", 1, Some(1)),
    ("toBooleanList", 1, Some(1)),
    ("toIntegerList", 1, Some(1)),
    ("toFloatList", 1, Some(1)),
    ("toStringList", 1, Some(1)),
    // misc
    ("randomUUID", 0, Some(0)),
];

/// The names of the aggregating functions.
const AGGREGATES: &[&str] = &[
    "count",
    "sum",
    "avg",
    "min",
    "max",
    "collect",
    "stdev",
    "stdevp",
    "percentilecont",
    "percentiledisc",
];

/// A scalar function that needs no graph access, by lowercase full name ("toupper", "substring", "tointeger", "coalesce", "range", "head", ...).
/// Returns `None` when `name` is not one of them. Null propagation per openCypher.
///
/// A call with an argument count outside [`arity`] fails with
/// `InvalidNumberOfArguments` (the engine normally rejects it earlier).
pub fn call_scalar(name: &str, args: &[CypherValue]) -> Option<Result<CypherValue, QueryError>> {
    let name = &*lower_case(name);
    if is_aggregate(name) {
        return None;
    }
    let (min, max) = arity(name)?;
    if args.len() < min || max.is_some_and(|max| args.len() > max) {
        return Some(Err(QueryError::new(
            QueryErrorKind::Syntax,
            Some(ErrorDetail::InvalidNumberOfArguments),
            format!(
                "Invalid number of arguments to {}(): {} given, {}",
                display_name(name),
                args.len(),
                expected_count(min, max)
            ),
        )));
    }
    string::call(name, args)
        .or_else(|| math::call(name, args))
        .or_else(|| list::call(name, args))
        .or_else(|| convert::call(name, args))
        .or_else(|| match name {
            "randomuuid" => Some(Ok(CypherValue::string(random::uuid_v4()))),
            _ => None,
        })
}

/// Allowed argument counts (min, max) of a scalar or aggregate function known here, for compile-time `InvalidNumberOfArguments` checks. `None` when unknown.
pub fn arity(name: &str) -> Option<(usize, Option<usize>)> {
    FUNCTIONS
        .iter()
        .find(|(n, _, _)| n.eq_ignore_ascii_case(name))
        .map(|&(_, min, max)| (min, max))
}

/// `true` for count, sum, avg, min, max, collect, stdev, stdevp, percentilecont, percentiledisc.
pub fn is_aggregate(name: &str) -> bool {
    AGGREGATES.contains(&&*lower_case(name))
}

/// `name` in lower case, borrowed when it is already.
fn lower_case(name: &str) -> Cow<'_, str> {
    if name.bytes().any(|b| b.is_ascii_uppercase()) {
        Cow::Owned(name.to_ascii_lowercase())
    } else {
        Cow::Borrowed(name)
    }
}

/// The name of a function as the manual spells it (`toUpper` for
/// `toupper`), for messages.
fn display_name(name: &str) -> &str {
    FUNCTIONS
        .iter()
        .find(|(n, _, _)| n.eq_ignore_ascii_case(name))
        .map_or(name, |(n, _, _)| n)
}

/// "1 expected", "1 to 3 expected", "at least 1 expected".
fn expected_count(min: usize, max: Option<usize>) -> String {
    match max {
        Some(max) if max == min => format!("{min} expected"),
        Some(max) => format!("{min} to {max} expected"),
        None => format!("at least {min} expected"),
    }
}

/// The `i`-th argument, `null` when absent (the arity check guarantees it
/// is present; this keeps the lookup panic-free).
fn arg(args: &[CypherValue], i: usize) -> &CypherValue {
    const NULL: &CypherValue = &CypherValue::Null;
    args.get(i).unwrap_or(NULL)
}

/// `TypeError: InvalidArgumentType` for an argument of the wrong type.
fn type_error(function: &str, expected: &str, got: &CypherValue) -> QueryError {
    QueryError::type_error(
        ErrorDetail::InvalidArgumentType,
        format!(
            "Type mismatch: {}() expected {expected} but was {}",
            display_name(function),
            got.type_name()
        ),
    )
}

/// `ArgumentError: NumberOutOfRange`.
fn out_of_range(message: impl Into<String>) -> QueryError {
    QueryError::argument_error(ErrorDetail::NumberOutOfRange, message)
}

/// `ArgumentError: InvalidArgumentValue`.
fn invalid_value(message: impl Into<String>) -> QueryError {
    QueryError::argument_error(ErrorDetail::InvalidArgumentValue, message)
}

/// An integer argument that must not be `null` (e.g. the length of
/// `left`): `TypeError` for another type, `ArgumentError` for `null`.
fn required_integer(function: &str, what: &str, value: &CypherValue) -> Result<i64, QueryError> {
    match value {
        CypherValue::Integer(i) => Ok(*i),
        CypherValue::Null => Err(invalid_value(format!(
            "{}(): {what} must be an integer, not null",
            display_name(function)
        ))),
        other => Err(type_error(function, "Integer", other)),
    }
}

#[cfg(test)]
#[allow(clippy::float_cmp)] // exact results are the point
mod tests {
    use super::*;

    #[test]
    fn every_scalar_in_the_table_dispatches() {
        for &(name, min, _) in FUNCTIONS {
            let name = &*name.to_ascii_lowercase();
            if is_aggregate(name) {
                assert!(call_scalar(name, &[]).is_none(), "{name}");
                assert!(new_aggregator(name, false).is_some(), "{name}");
                continue;
            }
            let args = vec![CypherValue::Null; min];
            assert!(
                call_scalar(name, &args).is_some(),
                "{name} is not dispatched"
            );
        }
    }

    #[test]
    fn unknown_functions_are_none() {
        assert!(call_scalar("nosuchfunction", &[]).is_none());
        assert!(arity("nosuchfunction").is_none());
        assert!(new_aggregator("nosuchfunction", false).is_none());
        assert!(!is_aggregate("toupper"));
        assert!(is_aggregate("percentileDisc"));
        assert!(new_aggregator("stDevP", false).is_some());
        let upper = call_scalar("toUpper", &[CypherValue::string("a")]).expect("known");
        assert_eq!(upper.expect("ok"), CypherValue::string("A"));
    }

    #[test]
    fn arity_of_known_functions() {
        assert_eq!(arity("substring"), Some((2, Some(3))));
        assert_eq!(arity("coalesce"), Some((1, None)));
        assert_eq!(arity("rand"), Some((0, Some(0))));
        assert_eq!(arity("percentiledisc"), Some((2, Some(2))));
        assert_eq!(arity("count"), Some((1, Some(1))));
        assert_eq!(arity("tointegerornull"), Some((1, Some(1))));
        assert_eq!(display_name("tointegerornull"), "toIntegerOrNull");
    }

    #[test]
    fn aggregates_are_exactly_the_ten() {
        let names: Vec<String> = FUNCTIONS
            .iter()
            .map(|(n, _, _)| n.to_ascii_lowercase())
            .filter(|n| is_aggregate(n))
            .collect();
        assert_eq!(names, AGGREGATES);
    }

    #[test]
    fn wrong_argument_count_is_reported() {
        let err = call_scalar("toupper", &[])
            .expect("known")
            .expect_err("no arguments");
        assert_eq!(err.detail, Some(ErrorDetail::InvalidNumberOfArguments));
        assert_eq!(err.kind, QueryErrorKind::Syntax);
        let err = call_scalar("rand", &[CypherValue::Integer(1)])
            .expect("known")
            .expect_err("one argument");
        assert_eq!(err.detail, Some(ErrorDetail::InvalidNumberOfArguments));
    }

    #[test]
    fn random_uuid_is_a_version_4_uuid() {
        let a = call_scalar("randomuuid", &[]).expect("known").expect("ok");
        let b = call_scalar("randomuuid", &[]).expect("known").expect("ok");
        let text = a.as_str().expect("a string");
        assert_eq!(text.len(), 36);
        assert_eq!(text.as_bytes()[14], b'4');
        assert!(matches!(text.as_bytes()[19], b'8' | b'9' | b'a' | b'b'));
        assert_ne!(a, b);
    }
}
