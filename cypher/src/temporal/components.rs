//! Component access: `d.year`, `t.timezone`, `dt.epochMillis`,
//! `dur.minutesOfHour`, ...

use chrono::{Datelike, Timelike};
use graph_model::{temporal::write_offset, DurationValue, Value};

use super::invalid;
use super::parts::{self, Parts};
use crate::error::QueryError;

/// The component `key` of a temporal value. `None` when `value` is not
/// temporal; an error when the value has no such component.
pub fn component(value: &Value, key: &str) -> Option<Result<Value, QueryError>> {
    if let Value::Duration(d) = value {
        return Some(duration_component(d, key));
    }
    let parts = Parts::of(value)?;
    Some(instant_component(value, &parts, key).ok_or_else(|| {
        invalid(format!(
            "No such field: {key} (a {} has no component `{key}`)",
            value.value_type()
        ))
    }))
}

fn instant_component(value: &Value, parts: &Parts, key: &str) -> Option<Value> {
    let int = |x: i64| Some(Value::Integer(x));
    let lower = key.to_ascii_lowercase();
    if let Some(date) = parts.date {
        let iso = date.iso_week();
        match lower.as_str() {
            "year" => return int(i64::from(date.year())),
            "quarter" => return int(i64::from(parts::quarter(date))),
            "month" => return int(i64::from(date.month())),
            "week" => return int(i64::from(iso.week())),
            "weekyear" => return int(i64::from(iso.year())),
            "day" => return int(i64::from(date.day())),
            "ordinalday" => return int(i64::from(date.ordinal())),
            "weekday" | "dayofweek" => return int(i64::from(date.weekday().number_from_monday())),
            "dayofquarter" => return int(parts::day_of_quarter(date)),
            _ => {}
        }
    }
    if let Some(time) = parts.time {
        let nanos = i64::from(time.nanosecond());
        match lower.as_str() {
            "hour" => return int(i64::from(time.hour())),
            "minute" => return int(i64::from(time.minute())),
            "second" => return int(i64::from(time.second())),
            "millisecond" => return int(nanos / 1_000_000),
            "microsecond" => return int(nanos / 1000),
            "nanosecond" => return int(nanos),
            _ => {}
        }
    }
    if let Some(offset) = parts.offset {
        let offset_text = || {
            let mut text = String::new();
            // Writing to a String cannot fail.
            let _ = write_offset(&mut text, offset);
            text
        };
        let seconds = i64::from(offset.local_minus_utc());
        match lower.as_str() {
            "timezone" => {
                return Some(match value {
                    Value::ZonedDateTime(z) => Value::String(z.zone.clone()),
                    _ => Value::from(offset_text()),
                })
            }
            "offset" => return Some(Value::from(offset_text())),
            "offsetminutes" => return int(seconds / 60),
            "offsetseconds" => return int(seconds),
            _ => {}
        }
    }
    if let Some((secs, nanos)) = value.instant() {
        match lower.as_str() {
            "epochseconds" => return int(secs),
            "epochmillis" => return int(secs * 1000 + i64::from(nanos) / 1_000_000),
            _ => {}
        }
    }
    None
}

fn duration_component(d: &DurationValue, key: &str) -> Result<Value, QueryError> {
    let (months, days, seconds, nanos) = (d.months(), d.days(), d.seconds(), i64::from(d.nanos()));
    let value = match key.to_ascii_lowercase().as_str() {
        "years" => months / 12,
        "quarters" => months / 3,
        "months" => months,
        "weeks" => days / 7,
        "days" => days,
        "hours" => seconds / 3600,
        "minutes" => seconds / 60,
        "seconds" => seconds,
        "milliseconds" => seconds
            .saturating_mul(1000)
            .saturating_add(nanos / 1_000_000),
        "microseconds" => seconds
            .saturating_mul(1_000_000)
            .saturating_add(nanos / 1000),
        "nanoseconds" => seconds.saturating_mul(1_000_000_000).saturating_add(nanos),
        "quartersofyear" => (months / 3) % 4,
        "monthsofquarter" => months % 3,
        "monthsofyear" => months % 12,
        "daysofweek" => days % 7,
        "minutesofhour" => (seconds / 60) % 60,
        "secondsofminute" => seconds % 60,
        "millisecondsofsecond" => nanos / 1_000_000,
        "microsecondsofsecond" => nanos / 1000,
        "nanosecondsofsecond" => nanos,
        _ => {
            return Err(invalid(format!(
                "No such field: {key} (a Duration has no component `{key}`)"
            )))
        }
    };
    Ok(Value::Integer(value))
}
