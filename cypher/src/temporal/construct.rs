//! Building temporal values from a map (`date({year: 1984, week: 10})`),
//! from text, or from another temporal value, and durations from a map or
//! text.
//!
//! A map may select parts of other values (`date`, `time`, `datetime`
//! keys) and override single fields of them. Which calendar the date
//! fields use is decided by the fields given: `week`/`dayOfWeek` (where
//! `year` is the week-based year), `ordinalDay`, `quarter`/`dayOfQuarter`,
//! else `month`/`day`; fields not given come from the selected date in the
//! same calendar, else from the start of the period.

use std::collections::BTreeMap;
use std::sync::Arc;

use chrono::{Datelike, NaiveDate, NaiveTime, Timelike};
use graph_model::{DurationValue, Value};

use super::arithmetic::approximate;
use super::clock;
use super::parse;
use super::parts::{self, Parts};
use super::zone::{self, Zone};
use super::{invalid, wrong_type, Kind};
use crate::error::QueryError;

/// `date(x)`, `time(x)`, ...: `x` absent (now), null, a string, a map or a
/// temporal value.
pub(crate) fn call(kind: Kind, arg: Option<&Value>) -> Result<Value, QueryError> {
    match arg {
        None => clock::now(kind, None),
        Some(Value::Null) => Ok(Value::Null),
        Some(Value::String(text)) => parse::parse(kind, text),
        Some(Value::Map(map)) => from_map(kind, map),
        Some(value) => match Parts::of(value) {
            Some(parts) => convert(kind, value, &parts),
            None => Err(wrong_type(format!(
                "{}() cannot be built from a {}",
                kind.name(),
                value.value_type()
            ))),
        },
    }
}

/// Another temporal value as `kind`: its date, time and zone where `kind`
/// has them.
fn convert(kind: Kind, value: &Value, parts: &Parts) -> Result<Value, QueryError> {
    if kind.has_time() && !kind.has_date() && parts.time.is_none() {
        return Err(wrong_type(format!(
            "{}() cannot be built from a {}",
            kind.name(),
            value.value_type()
        )));
    }
    if kind == Kind::DateTime && matches!(value, Value::DateTime(_) | Value::ZonedDateTime(_)) {
        return Ok(value.clone());
    }
    parts.build(kind)
}

/// The fields of a construction map.
#[derive(Default)]
pub(crate) struct Fields {
    pub year: Option<i64>,
    pub quarter: Option<i64>,
    pub month: Option<i64>,
    pub week: Option<i64>,
    pub day: Option<i64>,
    pub ordinal_day: Option<i64>,
    pub day_of_week: Option<i64>,
    pub day_of_quarter: Option<i64>,
    pub hour: Option<i64>,
    pub minute: Option<i64>,
    pub second: Option<i64>,
    pub millisecond: Option<i64>,
    pub microsecond: Option<i64>,
    pub nanosecond: Option<i64>,
    pub epoch_seconds: Option<i64>,
    pub epoch_millis: Option<i64>,
    pub timezone: Option<Zone>,
    pub date: Option<Parts>,
    pub time: Option<Parts>,
    pub datetime: Option<Parts>,
    /// A field was null: the result is null.
    pub has_null: bool,
}

impl Fields {
    /// Reads a map's fields, rejecting unknown keys and wrong types.
    pub(crate) fn read(kind: Kind, map: &BTreeMap<Arc<str>, Value>) -> Result<Fields, QueryError> {
        let mut f = Fields::default();
        for (key, value) in map {
            if value.is_null() {
                f.has_null = true;
                continue;
            }
            let lower = key.to_ascii_lowercase();
            let slot = match lower.as_str() {
                "year" => &mut f.year,
                "quarter" => &mut f.quarter,
                "month" => &mut f.month,
                "week" => &mut f.week,
                "day" => &mut f.day,
                "ordinalday" => &mut f.ordinal_day,
                "dayofweek" | "weekday" => &mut f.day_of_week,
                "dayofquarter" => &mut f.day_of_quarter,
                "hour" => &mut f.hour,
                "minute" => &mut f.minute,
                "second" => &mut f.second,
                "millisecond" => &mut f.millisecond,
                "microsecond" => &mut f.microsecond,
                "nanosecond" => &mut f.nanosecond,
                "epochseconds" if kind == Kind::DateTime => &mut f.epoch_seconds,
                "epochmillis" if kind == Kind::DateTime => &mut f.epoch_millis,
                "timezone" => {
                    let text = value.as_str().ok_or_else(|| {
                        wrong_type(format!(
                            "timezone must be a String, not {}",
                            value.value_type()
                        ))
                    })?;
                    f.timezone = Some(Zone::parse(text)?);
                    continue;
                }
                "date" | "time" | "datetime" => {
                    let parts = Parts::of(value).ok_or_else(|| {
                        wrong_type(format!(
                            "{key} must be a temporal value, not {}",
                            value.value_type()
                        ))
                    })?;
                    match lower.as_str() {
                        "date" => f.date = Some(parts),
                        "time" => f.time = Some(parts),
                        _ => f.datetime = Some(parts),
                    }
                    continue;
                }
                _ => {
                    return Err(invalid(format!(
                        "{}() does not accept the field `{key}`",
                        kind.name()
                    )))
                }
            };
            *slot = Some(integer(key, value)?);
        }
        Ok(f)
    }

    fn has_date_fields(&self) -> bool {
        [
            self.year,
            self.quarter,
            self.month,
            self.week,
            self.day,
            self.ordinal_day,
            self.day_of_week,
            self.day_of_quarter,
        ]
        .iter()
        .any(Option::is_some)
    }

    fn has_time_fields(&self) -> bool {
        [
            self.hour,
            self.minute,
            self.second,
            self.millisecond,
            self.microsecond,
            self.nanosecond,
        ]
        .iter()
        .any(Option::is_some)
    }

    /// The parts selected by the `date`, `time` and `datetime` keys.
    fn selected(&self) -> Parts {
        let dt = self.datetime.unwrap_or_default();
        let date = self.date.and_then(|p| p.date).or(dt.date);
        let time_source = self.time.filter(|p| p.time.is_some());
        let time = time_source.and_then(|p| p.time).or(dt.time);
        let (zone, offset) = match time_source {
            Some(p) => (p.zone, p.offset),
            None => (dt.zone, dt.offset),
        };
        Parts {
            date,
            time,
            zone,
            offset,
        }
    }
}

/// An integer field (an integral float is accepted).
fn integer(key: &str, value: &Value) -> Result<i64, QueryError> {
    match value {
        Value::Integer(i) => Ok(*i),
        Value::Float(x) if x.fract() == 0.0 && x.abs() < 9.0e18 => Ok(*x as i64),
        other => Err(wrong_type(format!(
            "{key} must be an Integer, not {}",
            other.value_type()
        ))),
    }
}

/// How a `timezone` field combines with a zone already selected.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum ZoneMode {
    /// Keep the instant, change the zone (construction).
    Convert,
    /// Keep the local date and time, change the zone (truncation).
    Replace,
}

fn from_map(kind: Kind, map: &BTreeMap<Arc<str>, Value>) -> Result<Value, QueryError> {
    let fields = Fields::read(kind, map)?;
    if fields.has_null {
        return Ok(Value::Null);
    }
    if fields.epoch_seconds.is_some() || fields.epoch_millis.is_some() {
        return from_epoch_fields(&fields);
    }
    let selects = fields.date.is_some() || fields.time.is_some() || fields.datetime.is_some();
    if !selects && !fields.has_date_fields() && !fields.has_time_fields() {
        return clock::now(kind, fields.timezone);
    }
    let base = fields.selected();
    assemble(kind, &fields, &base, ZoneMode::Convert)
}

/// `datetime({epochSeconds: s, nanosecond: n})` or `{epochMillis: ms}`.
fn from_epoch_fields(fields: &Fields) -> Result<Value, QueryError> {
    let (mut secs, mut nanos) = match (fields.epoch_seconds, fields.epoch_millis) {
        (Some(s), _) => (s, 0),
        (None, Some(ms)) => (ms.div_euclid(1000), ms.rem_euclid(1000) * 1_000_000),
        (None, None) => (0, 0),
    };
    nanos += fields.millisecond.unwrap_or(0) * 1_000_000
        + fields.microsecond.unwrap_or(0) * 1000
        + fields.nanosecond.unwrap_or(0);
    secs += nanos.div_euclid(1_000_000_000);
    nanos = nanos.rem_euclid(1_000_000_000);
    let utc = chrono::DateTime::from_timestamp(secs, nanos as u32)
        .ok_or_else(|| invalid("epoch value out of range"))?;
    let zone = fields.timezone.unwrap_or_else(Zone::default_zone);
    Ok(zone.at_instant(&utc.fixed_offset()))
}

/// Builds a value of `kind` from fields over base parts.
pub(crate) fn assemble(
    kind: Kind,
    fields: &Fields,
    base: &Parts,
    mode: ZoneMode,
) -> Result<Value, QueryError> {
    let date = if kind.has_date() {
        Some(compute_date(fields, base.date)?)
    } else {
        None
    };
    let time = if kind.has_time() {
        compute_time(fields, base.time)?
    } else {
        NaiveTime::MIN
    };
    Ok(match kind {
        Kind::Date => Value::Date(require(date)?),
        Kind::LocalTime => Value::LocalTime(time),
        Kind::LocalDateTime => Value::LocalDateTime(require(date)?.and_time(time)),
        Kind::Time => {
            let today = super::clock::statement_time().date_naive().and_time(time);
            let (time, offset) = match (fields.timezone, base.offset) {
                (Some(tz), Some(old)) if mode == ZoneMode::Convert => {
                    let new = tz.offset_for_local(today);
                    let shift = i64::from(new.local_minus_utc() - old.local_minus_utc());
                    (time + chrono::Duration::seconds(shift), new)
                }
                (Some(tz), _) => (time, tz.offset_for_local(today)),
                (None, Some(old)) => (time, old),
                (None, None) => (
                    time,
                    base.zone
                        .map_or_else(zone::utc, |z| z.offset_for_local(today)),
                ),
            };
            Value::Time(graph_model::OffsetTime::new(time, offset))
        }
        Kind::DateTime => {
            let local = require(date)?.and_time(time);
            match (fields.timezone, base.zone) {
                (Some(tz), Some(old)) if mode == ZoneMode::Convert => {
                    tz.at_instant(&old.place(local, base.offset))
                }
                (Some(tz), _) => tz.resolve(local, None),
                (None, Some(old)) => old.resolve(local, base.offset),
                (None, None) => Zone::default_zone().resolve(local, None),
            }
        }
    })
}

fn require(date: Option<NaiveDate>) -> Result<NaiveDate, QueryError> {
    date.ok_or_else(|| invalid("a date is required"))
}

fn range(name: &str, value: i64, min: i64, max: i64) -> Result<u32, QueryError> {
    if (min..=max).contains(&value) {
        Ok(value as u32)
    } else {
        Err(invalid(format!(
            "Invalid value for {name} (valid values {min} - {max}): {value}"
        )))
    }
}

fn compute_date(f: &Fields, base: Option<NaiveDate>) -> Result<NaiveDate, QueryError> {
    if base.is_none() && f.year.is_none() {
        return Err(invalid("year must be specified"));
    }
    let bad = || invalid("Invalid date");
    if f.week.is_some() || f.day_of_week.is_some() {
        let iso = base.map(|b| b.iso_week());
        let year = match f.year {
            Some(y) => parts::year_i32(y)?,
            None => iso.map_or(1970, |w| w.year()),
        };
        let week = f
            .week
            .or_else(|| iso.map(|w| i64::from(w.week())))
            .unwrap_or(1);
        let dow = f
            .day_of_week
            .or_else(|| base.map(|b| i64::from(b.weekday().number_from_monday())))
            .unwrap_or(1);
        let weekday = parts::weekday(dow)
            .ok_or_else(|| invalid(format!("Invalid value for DayOfWeek: {dow}")))?;
        return NaiveDate::from_isoywd_opt(year, range("Week", week, 1, 53)?, weekday).ok_or_else(
            || {
                invalid(format!(
                    "Invalid value for WeekOfWeekBasedYear: week {week} of {year}"
                ))
            },
        );
    }
    let year = match f.year {
        Some(y) => parts::year_i32(y)?,
        None => base.map_or(1970, |b| b.year()),
    };
    if let Some(ordinal) = f.ordinal_day {
        return NaiveDate::from_yo_opt(year, range("DayOfYear", ordinal, 1, 366)?).ok_or_else(bad);
    }
    if f.quarter.is_some() || f.day_of_quarter.is_some() {
        let quarter = f
            .quarter
            .or_else(|| base.map(|b| i64::from(parts::quarter(b))))
            .unwrap_or(1);
        let day = f
            .day_of_quarter
            .or_else(|| base.map(parts::day_of_quarter))
            .unwrap_or(1);
        let quarter = range("QuarterOfYear", quarter, 1, 4)?;
        let start = parts::quarter_start(year, quarter).ok_or_else(bad)?;
        let day = range("DayOfQuarter", day, 1, 92)?;
        let date = start + chrono::Duration::days(i64::from(day) - 1);
        if parts::quarter(date) != quarter {
            return Err(invalid(format!("Invalid value for DayOfQuarter: {day}")));
        }
        return Ok(date);
    }
    let month = f
        .month
        .or_else(|| base.map(|b| i64::from(b.month())))
        .unwrap_or(1);
    let day = f
        .day
        .or_else(|| base.map(|b| i64::from(b.day())))
        .unwrap_or(1);
    NaiveDate::from_ymd_opt(
        year,
        range("MonthOfYear", month, 1, 12)?,
        range("DayOfMonth", day, 1, 31)?,
    )
    .ok_or_else(|| invalid(format!("Invalid date: {year}-{month}-{day}")))
}

fn compute_time(f: &Fields, base: Option<NaiveTime>) -> Result<NaiveTime, QueryError> {
    let pick = |given: Option<i64>, from_base: fn(&NaiveTime) -> u32| {
        given
            .or_else(|| base.map(|b| i64::from(from_base(&b))))
            .unwrap_or(0)
    };
    let hour = range("HourOfDay", pick(f.hour, NaiveTime::hour), 0, 23)?;
    let minute = range("MinuteOfHour", pick(f.minute, NaiveTime::minute), 0, 59)?;
    let second = range("SecondOfMinute", pick(f.second, NaiveTime::second), 0, 59)?;
    let base_nanos = i64::from(base.map_or(0, |b| b.nanosecond()));
    let nanos = match (f.millisecond, f.microsecond, f.nanosecond) {
        (None, None, None) => base_nanos,
        // A nanosecond of more than three digits alone is the whole fraction.
        (None, None, Some(ns)) if !(0..1000).contains(&ns) => {
            i64::from(range("NanoOfSecond", ns, 0, 999_999_999)?)
        }
        (ms, us, ns) => {
            // Fields not given keep the base's digits at their place.
            let ms = match ms {
                Some(ms) => i64::from(range("MilliOfSecond", ms, 0, 999)?) * 1_000_000,
                None => base_nanos / 1_000_000 * 1_000_000,
            };
            let us = match us {
                Some(us) if f.millisecond.is_some() => {
                    i64::from(range("MicroOfSecond", us, 0, 999)?) * 1000
                }
                Some(us) => {
                    // Micros alone may carry the milliseconds too.
                    let us = i64::from(range("MicroOfSecond", us, 0, 999_999)?) * 1000;
                    if us >= 1_000_000 {
                        us - ms
                    } else {
                        us
                    }
                }
                None => base_nanos % 1_000_000 / 1000 * 1000,
            };
            let ns = match ns {
                Some(ns) => i64::from(range("NanoOfSecond", ns, 0, 999)?),
                None => base_nanos % 1000,
            };
            ms + us + ns
        }
    };
    let nanos = u32::try_from(nanos).map_err(|_| invalid("Invalid fraction of second"))?;
    NaiveTime::from_hms_nano_opt(hour, minute, second, nanos).ok_or_else(|| invalid("Invalid time"))
}

/// `duration(x)`: null, a string, a map or a duration.
pub(crate) fn duration(arg: &Value) -> Result<Value, QueryError> {
    match arg {
        Value::Null => Ok(Value::Null),
        Value::Duration(_) => Ok(arg.clone()),
        Value::String(text) => parse::parse_duration(text),
        Value::Map(map) => duration_from_map(map),
        other => Err(wrong_type(format!(
            "duration() cannot be built from a {}",
            other.value_type()
        ))),
    }
}

fn duration_from_map(map: &BTreeMap<Arc<str>, Value>) -> Result<Value, QueryError> {
    // [months, days, seconds, nanos] per unit.
    const UNITS: [(&str, usize, i64); 10] = [
        ("years", 0, 12),
        ("months", 0, 1),
        ("weeks", 1, 7),
        ("days", 1, 1),
        ("hours", 2, 3600),
        ("minutes", 2, 60),
        ("seconds", 2, 1),
        ("milliseconds", 3, 1_000_000),
        ("microseconds", 3, 1000),
        ("nanoseconds", 3, 1),
    ];
    let mut exact = [0i64; 4];
    let mut approx = [0.0f64; 4];
    let mut fractional = false;
    let overflow = || invalid("duration out of range");
    for (key, value) in map {
        let lower = key.to_ascii_lowercase();
        let Some(&(_, slot, factor)) = UNITS.iter().find(|(name, _, _)| *name == lower) else {
            return Err(invalid(format!(
                "duration() does not accept the field `{key}`"
            )));
        };
        match value {
            Value::Null => return Ok(Value::Null),
            Value::Integer(i) => {
                exact[slot] = i
                    .checked_mul(factor)
                    .and_then(|x| exact[slot].checked_add(x))
                    .ok_or_else(overflow)?;
                approx[slot] += *i as f64 * factor as f64;
            }
            Value::Float(x) => {
                fractional = true;
                approx[slot] += x * factor as f64;
            }
            other => {
                return Err(wrong_type(format!(
                    "{key} must be a number, not {}",
                    other.value_type()
                )))
            }
        }
    }
    let duration = if fractional {
        approximate(approx[0], approx[1], approx[2], approx[3])
    } else {
        DurationValue::new(exact[0], exact[1], exact[2], exact[3])
    };
    duration.map(Value::duration).ok_or_else(overflow)
}
