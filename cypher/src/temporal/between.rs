//! `duration.between(a, b)`, `duration.inMonths`, `duration.inDays` and
//! `duration.inSeconds`.
//!
//! The two values are first made alike, as Neo4j does: a value without a
//! time of day gets midnight (always for `inSeconds`, else only when the
//! other has a time), a value without a date gets the other's date, and a
//! value without a zone gets the other's zone. Then:
//! - `between`: whole months and days between the two dates (the first
//!   moved by them), then the exact time left;
//! - `inMonths`/`inDays`: whole months or days, counting a partial last day
//!   only when complete;
//! - `inSeconds`: the exact time between them.

use chrono::{Datelike, Duration, NaiveDate, NaiveDateTime, NaiveTime};
use graph_model::temporal::{nanos_of_day, NANOS_PER_DAY, NANOS_PER_SECOND};
use graph_model::{DurationValue, Value};

use super::parts::Parts;
use super::zone::fixed;
use super::{invalid, wrong_type};
use crate::error::QueryError;

#[derive(Clone, Copy, PartialEq, Eq)]
enum Unit {
    All,
    Months,
    Days,
    Seconds,
}

/// `duration.<member>(a, b)`; `None` when `member` is not one of these.
pub(crate) fn call(member: &str, args: &[Value]) -> Option<Result<Value, QueryError>> {
    let unit = match member {
        "between" => Unit::All,
        "inmonths" => Unit::Months,
        "indays" => Unit::Days,
        "inseconds" => Unit::Seconds,
        _ => return None,
    };
    let (Some(a), Some(b)) = (args.first(), args.get(1)) else {
        // The caller reports the wrong number of arguments.
        return Some(Ok(Value::Null));
    };
    if a.is_null() || b.is_null() {
        return Some(Ok(Value::Null));
    }
    Some(between(unit, a, b))
}

fn between(unit: Unit, a: &Value, b: &Value) -> Result<Value, QueryError> {
    let parts = |v: &Value| {
        Parts::of(v).ok_or_else(|| {
            wrong_type(format!(
                "duration.between() needs temporal instants, not a {}",
                v.value_type()
            ))
        })
    };
    let (mut from, mut to) = (parts(a)?, parts(b)?);
    align(&mut from, &mut to, unit == Unit::Seconds);
    let overflow = || invalid("duration out of range");
    let duration = match unit {
        Unit::Months => DurationValue::new(months_until(&from, &to), 0, 0, 0),
        Unit::Days => DurationValue::new(0, days_until(&from, &to), 0, 0),
        Unit::Seconds => {
            let nanos = nanos_until(&from, &to);
            seconds_and_nanos(0, 0, nanos)
        }
        Unit::All => {
            let months = months_until(&from, &to);
            move_by(&mut from, months, 0).ok_or_else(overflow)?;
            let days = days_until(&from, &to);
            move_by(&mut from, 0, days).ok_or_else(overflow)?;
            seconds_and_nanos(months, days, nanos_until(&from, &to))
        }
    };
    duration.map(Value::duration).ok_or_else(overflow)
}

fn seconds_and_nanos(months: i64, days: i64, nanos: i128) -> Option<DurationValue> {
    let secs = i64::try_from(nanos.div_euclid(i128::from(NANOS_PER_SECOND))).ok()?;
    let rest = nanos.rem_euclid(i128::from(NANOS_PER_SECOND)) as i64;
    DurationValue::new(months, days, secs, rest)
}

/// Gives each side the parts only the other has.
fn align(a: &mut Parts, b: &mut Parts, time_based: bool) {
    for p in [&mut *a, &mut *b] {
        if time_based && p.date.is_some() && p.time.is_none() {
            p.time = Some(NaiveTime::MIN);
        }
    }
    if a.time.is_some() && b.time.is_none() {
        b.time = Some(NaiveTime::MIN);
    } else if b.time.is_some() && a.time.is_none() {
        a.time = Some(NaiveTime::MIN);
    }
    if a.date.is_some() && b.date.is_none() {
        b.date = a.date;
    } else if b.date.is_some() && a.date.is_none() {
        a.date = b.date;
    }
    if a.zone.is_some() && b.zone.is_none() {
        b.zone = a.zone;
        b.offset = None;
    } else if b.zone.is_some() && a.zone.is_none() {
        a.zone = b.zone;
        a.offset = None;
    }
    for p in [a, b] {
        if let (Some(zone), Some(local), None) = (p.zone, p.local(), p.offset) {
            p.offset = Some(*zone.place(local, None).offset());
        }
        if let (Some(zone), None, Some(time), None) = (p.zone, p.date, p.time, p.offset) {
            let today = super::clock::statement_time().date_naive().and_time(time);
            p.offset = Some(zone.offset_for_local(today));
        }
    }
}

/// `b`'s local date-time seen in `a`'s zone (same instant), when both have
/// zones; else `b`'s own.
fn local_of_b_in_a(a: &Parts, b: &Parts) -> Option<NaiveDateTime> {
    let local = b.local()?;
    match (a.zone, b.offset) {
        (Some(zone), Some(offset)) => {
            let instant = fixed(local, offset);
            Some(
                instant
                    .with_timezone(&zone.offset_at(instant.naive_utc()))
                    .naive_local(),
            )
        }
        _ => Some(local),
    }
}

/// Whole months from `a` to `b` (`java.time` `until(MONTHS)`).
fn months_until(a: &Parts, b: &Parts) -> i64 {
    match (a.date, b.date) {
        (Some(start), Some(_)) => match (a.local(), local_of_b_in_a(a, b)) {
            (Some(from), Some(to)) => {
                let end = adjust_end(from, to);
                month_diff(start, end)
            }
            _ => b.date.map_or(0, |end| month_diff(start, end)),
        },
        _ => 0,
    }
}

/// Whole days from `a` to `b` (`java.time` `until(DAYS)`).
fn days_until(a: &Parts, b: &Parts) -> i64 {
    match (a.date, b.date) {
        (Some(start), Some(_)) => match (a.local(), local_of_b_in_a(a, b)) {
            (Some(from), Some(to)) => (adjust_end(from, to) - start).num_days(),
            _ => b.date.map_or(0, |end| (end - start).num_days()),
        },
        _ => 0,
    }
}

/// The end date counted for whole units: one day less (more) when the end
/// is later (earlier) but its time of day has not reached the start's.
fn adjust_end(from: NaiveDateTime, to: NaiveDateTime) -> NaiveDate {
    let end = to.date();
    if end > from.date() && to.time() < from.time() {
        end.pred_opt().unwrap_or(end)
    } else if end < from.date() && to.time() > from.time() {
        end.succ_opt().unwrap_or(end)
    } else {
        end
    }
}

fn month_diff(start: NaiveDate, end: NaiveDate) -> i64 {
    let packed =
        |d: NaiveDate| (i64::from(d.year()) * 12 + i64::from(d.month0())) * 32 + i64::from(d.day());
    (packed(end) - packed(start)) / 32
}

/// Moves the local date of `p` by months then days, keeping its zone (a
/// named zone may then have another offset).
fn move_by(p: &mut Parts, months: i64, days: i64) -> Option<()> {
    if months == 0 && days == 0 {
        return Some(());
    }
    let date = plus(p.date?, months, days)?;
    p.date = Some(date);
    if let (Some(zone), Some(local)) = (p.zone, p.local()) {
        p.offset = Some(*zone.place(local, p.offset).offset());
    }
    Some(())
}

/// `date` moved by signed months (clamping the day) then days.
fn plus(date: NaiveDate, months: i64, days: i64) -> Option<NaiveDate> {
    let m = chrono::Months::new(u32::try_from(months.unsigned_abs()).ok()?);
    let moved = if months >= 0 {
        date.checked_add_months(m)?
    } else {
        date.checked_sub_months(m)?
    };
    moved.checked_add_signed(Duration::try_days(days)?)
}

/// The exact time from `a` to `b`, in nanoseconds.
fn nanos_until(a: &Parts, b: &Parts) -> i128 {
    match (a.local(), b.local()) {
        (Some(from), Some(to)) => {
            let shift = |offset: Option<chrono::FixedOffset>| {
                offset.map_or(0, |o| i128::from(o.local_minus_utc()))
            };
            let (oa, ob) = if a.zone.is_some() && b.zone.is_some() {
                (shift(a.offset), shift(b.offset))
            } else {
                (0, 0)
            };
            let diff = to.signed_duration_since(from);
            let nanos = i128::from(diff.num_seconds()) * i128::from(NANOS_PER_SECOND)
                + i128::from(diff.subsec_nanos());
            nanos - (ob - oa) * i128::from(NANOS_PER_SECOND)
        }
        _ => match (a.time, b.time) {
            (Some(from), Some(to)) => {
                let mut to_nanos = nanos_of_day(to);
                if let (Some(oa), Some(ob)) = (a.offset, b.offset) {
                    let shift = i64::from(oa.local_minus_utc() - ob.local_minus_utc());
                    to_nanos = (to_nanos + shift * NANOS_PER_SECOND).rem_euclid(NANOS_PER_DAY);
                }
                i128::from(to_nanos - nanos_of_day(from))
            }
            _ => 0,
        },
    }
}
