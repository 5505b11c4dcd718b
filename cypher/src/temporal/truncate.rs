//! `date.truncate(unit, value[, map])` and its siblings: the value cut down
//! to the start of its millennium, century, decade, year, week-based year,
//! quarter, month, week, day, hour, minute, second, millisecond or
//! microsecond, then the map's fields set on the result (a `timezone` there
//! replaces the zone, keeping the local date-time).

use chrono::{Datelike, NaiveDate, NaiveTime, Timelike, Weekday};
use graph_model::Value;

use super::construct::{assemble, Fields, ZoneMode};
use super::parts::{self, Parts};
use super::{invalid, wrong_type, Kind};
use crate::error::QueryError;

/// The units, largest first.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Unit {
    Millennium,
    Century,
    Decade,
    Year,
    WeekYear,
    Quarter,
    Month,
    Week,
    Day,
    Hour,
    Minute,
    Second,
    Millisecond,
    Microsecond,
}

impl Unit {
    fn parse(text: &str) -> Option<Unit> {
        Some(match text.to_ascii_lowercase().as_str() {
            "millennium" => Unit::Millennium,
            "century" => Unit::Century,
            "decade" => Unit::Decade,
            "year" => Unit::Year,
            "weekyear" => Unit::WeekYear,
            "quarter" => Unit::Quarter,
            "month" => Unit::Month,
            "week" => Unit::Week,
            "day" => Unit::Day,
            "hour" => Unit::Hour,
            "minute" => Unit::Minute,
            "second" => Unit::Second,
            "millisecond" => Unit::Millisecond,
            "microsecond" => Unit::Microsecond,
            _ => return None,
        })
    }
}

/// `<kind>.truncate(unit, value[, map])`.
pub(crate) fn call(kind: Kind, args: &[Value]) -> Result<Value, QueryError> {
    let (unit, value) = (&args[0], &args[1]);
    let map = args.get(2);
    if unit.is_null() || value.is_null() || map.is_some_and(Value::is_null) {
        return Ok(Value::Null);
    }
    let text = unit
        .as_str()
        .ok_or_else(|| wrong_type(format!("unit must be a String, not {}", unit.value_type())))?;
    let unit = Unit::parse(text).ok_or_else(|| invalid(format!("Unsupported unit: {text}")))?;
    let parts = Parts::of(value).ok_or_else(|| {
        wrong_type(format!(
            "{}.truncate() cannot truncate a {}",
            kind.name(),
            value.value_type()
        ))
    })?;
    if (kind == Kind::Date && unit > Unit::Day)
        || (!kind.has_date() && unit < Unit::Day)
        || (kind.has_date() && parts.date.is_none())
        || (!kind.has_date() && parts.time.is_none() && unit != Unit::Day)
    {
        return Err(invalid(format!(
            "Unit `{text}` cannot truncate a {} to a {}",
            value.value_type(),
            kind.name()
        )));
    }
    let truncated = Parts {
        date: parts.date.map(|d| truncate_date(d, unit)).transpose()?,
        time: Some(truncate_time(parts.time.unwrap_or(NaiveTime::MIN), unit)),
        zone: parts.zone,
        offset: parts.offset,
    };
    let fields = match map {
        Some(Value::Map(map)) => Fields::read(kind, map)?,
        Some(other) => {
            return Err(wrong_type(format!(
                "fields must be a Map, not {}",
                other.value_type()
            )))
        }
        None => Fields::default(),
    };
    if fields.has_null {
        return Ok(Value::Null);
    }
    assemble(kind, &fields, &truncated, ZoneMode::Replace)
}

fn truncate_date(date: NaiveDate, unit: Unit) -> Result<NaiveDate, QueryError> {
    let year = date.year();
    let start_of_year = |y: i32| NaiveDate::from_ymd_opt(y, 1, 1);
    let result = match unit {
        Unit::Millennium => start_of_year(year - year.rem_euclid(1000)),
        Unit::Century => start_of_year(year - year.rem_euclid(100)),
        Unit::Decade => start_of_year(year - year.rem_euclid(10)),
        Unit::Year => start_of_year(year),
        Unit::WeekYear => NaiveDate::from_isoywd_opt(date.iso_week().year(), 1, Weekday::Mon),
        Unit::Quarter => parts::quarter_start(year, parts::quarter(date)),
        Unit::Month => NaiveDate::from_ymd_opt(year, date.month(), 1),
        Unit::Week => {
            NaiveDate::from_isoywd_opt(date.iso_week().year(), date.iso_week().week(), Weekday::Mon)
        }
        _ => Some(date),
    };
    result.ok_or_else(|| invalid("truncated date out of range"))
}

fn truncate_time(time: NaiveTime, unit: Unit) -> NaiveTime {
    let (h, m, s, n) = (time.hour(), time.minute(), time.second(), time.nanosecond());
    let keep = match unit {
        Unit::Hour => (h, 0, 0, 0),
        Unit::Minute => (h, m, 0, 0),
        Unit::Second => (h, m, s, 0),
        Unit::Millisecond => (h, m, s, n - n % 1_000_000),
        Unit::Microsecond => (h, m, s, n - n % 1000),
        _ => (0, 0, 0, 0),
    };
    NaiveTime::from_hms_nano_opt(keep.0, keep.1, keep.2, keep.3).unwrap_or(NaiveTime::MIN)
}
