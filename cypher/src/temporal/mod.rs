//! Temporal values: construction, parsing, components, truncation,
//! arithmetic and comparison, with the openCypher TCK's semantics (which
//! are Neo4j's, built on `java.time`).
//!
//! The values themselves are [`graph_model::Value`]'s temporal variants;
//! this module is the behaviour:
//! - [`call`]: the functions `date`, `localtime`, `time`, `localdatetime`,
//!   `datetime`, `duration` (from a map, a string or another temporal), their
//!   `.truncate`, `.statement`/`.transaction`/`.realtime` forms,
//!   `datetime.fromepoch[millis]` and `duration.between`/`inMonths`/
//!   `inDays`/`inSeconds`;
//! - [`component`]: `d.year`, `t.timezone`, `dur.minutesOfHour`, ...;
//! - [`add`], [`subtract`], [`multiply`], [`divide`]: arithmetic with
//!   durations;
//! - [`equals`], [`compare`]: ternary comparison.
//!
//! Null arguments give null. Dates are limited to chrono's range (about
//! ±262,000 years), narrower than Neo4j's ±999,999,999.

mod arithmetic;
mod between;
mod clock;
mod components;
mod construct;
mod parse;
mod parts;
mod truncate;
mod zone;

use std::cmp::Ordering;

use graph_model::Value;

use crate::error::{ErrorDetail, QueryError};

pub use arithmetic::{add, divide, multiply, subtract};
pub use clock::{freeze_clock, ClockGuard};
pub use components::component;

/// The five instant-like temporal types (durations aside).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    /// `Date`.
    Date,
    /// `LocalTime`.
    LocalTime,
    /// `Time`.
    Time,
    /// `LocalDateTime`.
    LocalDateTime,
    /// `DateTime`.
    DateTime,
}

impl Kind {
    fn from_name(name: &str) -> Option<Kind> {
        Some(match name {
            "date" => Kind::Date,
            "localtime" => Kind::LocalTime,
            "time" => Kind::Time,
            "localdatetime" => Kind::LocalDateTime,
            "datetime" => Kind::DateTime,
            _ => return None,
        })
    }

    /// The function name.
    fn name(self) -> &'static str {
        match self {
            Kind::Date => "date",
            Kind::LocalTime => "localtime",
            Kind::Time => "time",
            Kind::LocalDateTime => "localdatetime",
            Kind::DateTime => "datetime",
        }
    }

    /// Whether values of this kind have a date.
    fn has_date(self) -> bool {
        matches!(self, Kind::Date | Kind::LocalDateTime | Kind::DateTime)
    }

    /// Whether values of this kind have a time of day.
    fn has_time(self) -> bool {
        !matches!(self, Kind::Date)
    }
}

/// An `ArgumentError` (`InvalidArgumentValue`).
pub(crate) fn invalid(message: impl Into<String>) -> QueryError {
    QueryError::argument_error(ErrorDetail::InvalidArgumentValue, message)
}

/// A `TypeError` (`InvalidArgumentType`).
pub(crate) fn wrong_type(message: impl Into<String>) -> QueryError {
    QueryError::type_error(ErrorDetail::InvalidArgumentType, message)
}

/// Ternary equality; `None` when either side is null. Values of different
/// temporal types are not equal.
pub fn equals(a: &Value, b: &Value) -> Option<bool> {
    if a.is_null() || b.is_null() {
        return None;
    }
    Some(a.value_type() == b.value_type() && a == b)
}

/// Ternary comparison; `None` when either side is null, when the types
/// differ, and for durations (which have no order).
pub fn compare(a: &Value, b: &Value) -> Option<Ordering> {
    if a.is_null() || b.is_null() || matches!(a, Value::Duration(_)) {
        return None;
    }
    (a.value_type() == b.value_type()).then(|| a.cmp_order(b))
}

/// A temporal function call: `name` is the lowercase full name (`date`,
/// `datetime.truncate`, `duration.between`, ...). `None` when `name` is not
/// a temporal function.
pub fn call(name: &str, args: &[Value]) -> Option<Result<Value, QueryError>> {
    let lower = name.to_ascii_lowercase();
    let (base, member) = match lower.split_once('.') {
        Some((base, member)) => (base, Some(member)),
        None => (lower.as_str(), None),
    };
    if base == "duration" {
        return match member {
            None => Some(with_arity(name, args, 1, 1).and_then(|()| construct::duration(&args[0]))),
            Some(unit) => between::call(unit, args).map(|r| {
                with_arity(name, args, 2, 2)?;
                r
            }),
        };
    }
    let kind = Kind::from_name(base)?;
    Some(match member {
        None => with_arity(name, args, 0, 1).and_then(|()| construct::call(kind, args.first())),
        Some("truncate") => with_arity(name, args, 2, 3).and_then(|()| truncate::call(kind, args)),
        Some(clock_name @ ("statement" | "transaction" | "realtime")) => {
            with_arity(name, args, 0, 1)
                .and_then(|()| clock::now_with(kind, args.first(), clock_name == "realtime"))
        }
        Some("fromepoch") if kind == Kind::DateTime => {
            with_arity(name, args, 2, 2).and_then(|()| clock::from_epoch(&args[0], &args[1]))
        }
        Some("fromepochmillis") if kind == Kind::DateTime => {
            with_arity(name, args, 1, 1).and_then(|()| clock::from_epoch_millis(&args[0]))
        }
        Some(_) => return None,
    })
}

fn with_arity(name: &str, args: &[Value], min: usize, max: usize) -> Result<(), QueryError> {
    if (min..=max).contains(&args.len()) {
        Ok(())
    } else {
        Err(QueryError::new(
            crate::error::QueryErrorKind::Syntax,
            Some(ErrorDetail::InvalidNumberOfArguments),
            format!(
                "`{name}` takes {min} to {max} arguments, got {}",
                args.len()
            ),
        ))
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;
    use std::sync::Arc;

    use super::*;
    use crate::error::QueryErrorKind;

    fn map(entries: &[(&str, Value)]) -> Value {
        Value::Map(Arc::new(
            entries
                .iter()
                .map(|(k, v)| (Arc::from(*k), v.clone()))
                .collect::<BTreeMap<_, _>>(),
        ))
    }

    fn run(name: &str, args: &[Value]) -> Result<Value, QueryError> {
        call(name, args).expect("a temporal function")
    }

    #[test]
    fn bad_fields_are_argument_errors() {
        let err = run(
            "date",
            &[map(&[("year", 1984.into()), ("month", 13.into())])],
        )
        .expect_err("month 13");
        assert_eq!(err.kind, QueryErrorKind::ArgumentError);
        let err = run(
            "date",
            &[map(&[("year", 1984.into()), ("fortnight", 1.into())])],
        )
        .expect_err("unknown field");
        assert_eq!(err.detail, Some(ErrorDetail::InvalidArgumentValue));
        let err = run("date", &[Value::Integer(3)]).expect_err("not a date source");
        assert_eq!(err.kind, QueryErrorKind::TypeError);
        let err = run("date", &["2015-13-01".into()]).expect_err("bad text");
        assert_eq!(err.kind, QueryErrorKind::ArgumentError);
        assert!(run(
            "datetime",
            &[map(&[
                ("year", 1984.into()),
                ("timezone", "Mars/Base".into())
            ])]
        )
        .is_err());
        assert!(run("date", &[Value::Null, Value::Null]).is_err());
    }

    #[test]
    fn components_and_operators_reject_what_does_not_apply() {
        let date = run("date", &["2015-07-21".into()]).expect("valid");
        assert!(component(&date, "hour").expect("temporal").is_err());
        assert!(component(&Value::Integer(1), "year").is_none());
        assert!(add(&date, &date).is_none());
        assert!(subtract(&Value::Integer(1), &date).is_none());
        let dur = run("duration", &["P1D".into()]).expect("valid");
        assert!(divide(&dur, &Value::Integer(0)).expect("duration").is_err());
        assert_eq!(compare(&dur, &dur), None);
        assert_eq!(equals(&dur, &dur), Some(true));
        assert_eq!(equals(&date, &Value::Null), None);
        assert_eq!(equals(&date, &dur), Some(false));
        assert_eq!(compare(&date, &dur), None);
    }

    #[test]
    fn the_statement_clock_is_frozen_while_a_guard_lives() {
        let _guard = freeze_clock();
        let a = run("localtime", &[]).expect("now");
        std::thread::sleep(std::time::Duration::from_millis(2));
        let b = run("localtime.statement", &[]).expect("now");
        assert_eq!(a, b);
        let zoned = run("datetime.transaction", &["Europe/Stockholm".into()]).expect("now");
        assert_eq!(
            component(&zoned, "timezone")
                .expect("temporal")
                .expect("a zone"),
            Value::from("Europe/Stockholm")
        );
    }

    #[test]
    fn gaps_and_overlaps_resolve_like_java_time() {
        // 02:30 does not exist on 2017-03-26 in Stockholm: moved to 03:30.
        let gap = run("datetime", &["2017-03-26T02:30[Europe/Stockholm]".into()]).expect("valid");
        assert_eq!(gap.to_string(), "2017-03-26T03:30+02:00[Europe/Stockholm]");
        // 02:30 happens twice on 2017-10-29: the earlier offset.
        let overlap =
            run("datetime", &["2017-10-29T02:30[Europe/Stockholm]".into()]).expect("valid");
        assert_eq!(
            overlap.to_string(),
            "2017-10-29T02:30+02:00[Europe/Stockholm]"
        );
    }
}
