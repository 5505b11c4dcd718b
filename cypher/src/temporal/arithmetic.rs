//! Arithmetic with durations: `instant ± duration`, `duration ± duration`,
//! `duration * number`, `duration / number`.
//!
//! Adding a duration adds its months, then its days, then its seconds,
//! then its nanoseconds, each only where the value has such a field: a date
//! ignores the time part except for whole days of seconds, a time ignores
//! months and days, and a time wraps around midnight. In a named zone,
//! months and days move the local date-time and seconds move the instant.

use chrono::{Days, Duration, Months, NaiveDate, NaiveDateTime, NaiveTime};
use graph_model::temporal::{NANOS_PER_SECOND, SECONDS_PER_DAY};
use graph_model::{DurationValue, OffsetTime, Value};

use super::invalid;
use super::parts::Parts;
use super::zone::{fixed, Zone};
use crate::error::{ErrorDetail, QueryError};

/// Average days in a month of the Gregorian calendar (365.2425 / 12).
const AVG_DAYS_PER_MONTH: f64 = 365.2425 / 12.0;

/// A duration from fractional months, days, seconds and nanoseconds, each
/// fraction cascading into the next smaller unit (a month being
/// [`AVG_DAYS_PER_MONTH`] days). `None` when out of range or not finite.
pub(crate) fn approximate(
    months: f64,
    days: f64,
    seconds: f64,
    nanos: f64,
) -> Option<DurationValue> {
    let whole = |x: f64| {
        let t = x.trunc();
        (t.is_finite() && t.abs() < 9.2e18).then_some(t)
    };
    let m = whole(months)?;
    let days = days + AVG_DAYS_PER_MONTH * (months - m);
    let d = whole(days)?;
    let seconds = seconds + SECONDS_PER_DAY as f64 * (days - d);
    let s = whole(seconds)?;
    let nanos = nanos + NANOS_PER_SECOND as f64 * (seconds - s);
    let n = whole(nanos)?;
    DurationValue::new(m as i64, d as i64, s as i64, n as i64)
}

fn overflow() -> QueryError {
    QueryError::arithmetic(ErrorDetail::ArithmeticOverflow, "duration out of range")
}

fn out_of_range() -> QueryError {
    invalid("temporal value out of range")
}

/// `a + b`. `None` when the operands are not a temporal combination.
pub fn add(a: &Value, b: &Value) -> Option<Result<Value, QueryError>> {
    match (a, b) {
        (Value::Duration(x), Value::Duration(y)) => Some(combine(x, y, 1)),
        (Value::Duration(d), t) | (t, Value::Duration(d)) => shift_or_null(t, d, 1),
        _ => None,
    }
}

/// `a - b`. `None` when the operands are not a temporal combination.
pub fn subtract(a: &Value, b: &Value) -> Option<Result<Value, QueryError>> {
    match (a, b) {
        (Value::Duration(x), Value::Duration(y)) => Some(combine(x, y, -1)),
        (t, Value::Duration(d)) => shift_or_null(t, d, -1),
        _ => None,
    }
}

/// `a * b` for a duration and a number. `None` otherwise.
pub fn multiply(a: &Value, b: &Value) -> Option<Result<Value, QueryError>> {
    match (a, b) {
        (Value::Duration(dur), factor) | (factor, Value::Duration(dur)) => match factor {
            Value::Null => Some(Ok(Value::Null)),
            Value::Integer(int) => Some(scale_exact(dur, *int)),
            Value::Float(float) => Some(
                approximate(
                    dur.months() as f64 * float,
                    dur.days() as f64 * float,
                    dur.seconds() as f64 * float,
                    f64::from(dur.nanos()) * float,
                )
                .map(Value::duration)
                .ok_or_else(overflow),
            ),
            _ => None,
        },
        _ => None,
    }
}

/// `a / b` for a duration and a number. `None` otherwise.
pub fn divide(a: &Value, b: &Value) -> Option<Result<Value, QueryError>> {
    let Value::Duration(d) = a else {
        return None;
    };
    let divisor = match b {
        Value::Null => return Some(Ok(Value::Null)),
        Value::Integer(i) => *i as f64,
        Value::Float(x) => *x,
        _ => return None,
    };
    if divisor == 0.0 {
        return Some(Err(QueryError::arithmetic(
            ErrorDetail::DivisionByZero,
            "/ by zero",
        )));
    }
    Some(
        approximate(
            d.months() as f64 / divisor,
            d.days() as f64 / divisor,
            d.seconds() as f64 / divisor,
            f64::from(d.nanos()) / divisor,
        )
        .map(Value::duration)
        .ok_or_else(overflow),
    )
}

fn scale_exact(d: &DurationValue, factor: i64) -> Result<Value, QueryError> {
    let mul = |x: i64| x.checked_mul(factor).ok_or_else(overflow);
    DurationValue::new(
        mul(d.months())?,
        mul(d.days())?,
        mul(d.seconds())?,
        mul(i64::from(d.nanos()))?,
    )
    .map(Value::duration)
    .ok_or_else(overflow)
}

fn combine(x: &DurationValue, y: &DurationValue, sign: i64) -> Result<Value, QueryError> {
    let op = |a: i64, b: i64| {
        b.checked_mul(sign)
            .and_then(|b| a.checked_add(b))
            .ok_or_else(overflow)
    };
    DurationValue::new(
        op(x.months(), y.months())?,
        op(x.days(), y.days())?,
        op(x.seconds(), y.seconds())?,
        op(i64::from(x.nanos()), i64::from(y.nanos()))?,
    )
    .map(Value::duration)
    .ok_or_else(overflow)
}

fn shift_or_null(value: &Value, d: &DurationValue, sign: i64) -> Option<Result<Value, QueryError>> {
    if value.is_null() {
        return Some(Ok(Value::Null));
    }
    Parts::of(value)?;
    Some(shift(value, d, sign))
}

/// `value + sign * d`.
pub(crate) fn shift(value: &Value, d: &DurationValue, sign: i64) -> Result<Value, QueryError> {
    let months = d.months().checked_mul(sign).ok_or_else(overflow)?;
    let days = d.days().checked_mul(sign).ok_or_else(overflow)?;
    let seconds = d.seconds().checked_mul(sign).ok_or_else(overflow)?;
    let nanos = i64::from(d.nanos()) * sign;
    let time_shift = || -> Result<Duration, QueryError> {
        Duration::try_seconds(seconds)
            .and_then(|s| s.checked_add(&Duration::nanoseconds(nanos)))
            .ok_or_else(out_of_range)
    };
    Ok(match value {
        Value::Date(date) => {
            let date = plus_days(plus_months(*date, months)?, days)?;
            Value::Date(plus_days(date, seconds / SECONDS_PER_DAY)?)
        }
        Value::LocalTime(t) => Value::LocalTime(wrap(*t, time_shift()?)),
        Value::Time(t) => Value::Time(OffsetTime::new(wrap(t.time, time_shift()?), t.offset)),
        Value::LocalDateTime(dt) => {
            Value::LocalDateTime(plus_local(*dt, months, days, time_shift()?)?)
        }
        Value::DateTime(dt) => {
            let local = plus_local(dt.naive_local(), months, days, time_shift()?)?;
            Value::DateTime(fixed(local, *dt.offset()))
        }
        Value::ZonedDateTime(z) => {
            let zone = Zone::of(value).ok_or_else(out_of_range)?;
            let local = z.datetime.naive_local();
            let local = plus_local(local, months, days, Duration::zero())?;
            let moved = zone.place(local, Some(*z.datetime.offset()));
            let instant = moved
                .checked_add_signed(time_shift()?)
                .ok_or_else(out_of_range)?;
            zone.at_instant(&instant)
        }
        _ => return Err(invalid("not a temporal value")),
    })
}

fn plus_months(date: NaiveDate, months: i64) -> Result<NaiveDate, QueryError> {
    let amount = Months::new(u32::try_from(months.unsigned_abs()).map_err(|_| out_of_range())?);
    if months >= 0 {
        date.checked_add_months(amount)
    } else {
        date.checked_sub_months(amount)
    }
    .ok_or_else(out_of_range)
}

fn plus_days(date: NaiveDate, days: i64) -> Result<NaiveDate, QueryError> {
    let amount = Days::new(days.unsigned_abs());
    if days >= 0 {
        date.checked_add_days(amount)
    } else {
        date.checked_sub_days(amount)
    }
    .ok_or_else(out_of_range)
}

fn plus_local(
    dt: NaiveDateTime,
    months: i64,
    days: i64,
    time: Duration,
) -> Result<NaiveDateTime, QueryError> {
    let date = plus_days(plus_months(dt.date(), months)?, days)?;
    date.and_time(dt.time())
        .checked_add_signed(time)
        .ok_or_else(out_of_range)
}

/// A time of day moved by a duration, wrapping around midnight.
fn wrap(time: NaiveTime, by: Duration) -> NaiveTime {
    let within_day = Duration::nanoseconds(
        by.num_nanoseconds()
            .unwrap_or_else(|| {
                // Only whole days can make it overflow nanoseconds: drop them.
                let secs = by.num_seconds() % SECONDS_PER_DAY;
                secs * NANOS_PER_SECOND + i64::from(by.subsec_nanos())
            })
            .rem_euclid(graph_model::temporal::NANOS_PER_DAY),
    );
    time.overflowing_add_signed(within_day).0
}
