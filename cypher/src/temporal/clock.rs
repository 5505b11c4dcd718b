//! The current instant (`date()`, `datetime.statement()`, ...) and
//! instants from epoch counts (`datetime.fromepoch`).

use std::cell::Cell;

use chrono::{DateTime, Utc};
use graph_model::Value;

use super::parts::Parts;
use super::zone::Zone;
use super::{invalid, wrong_type, Kind};
use crate::error::QueryError;

thread_local! {
    /// The instant a statement running on this thread started, when frozen.
    static STATEMENT_TIME: Cell<Option<DateTime<Utc>>> = const { Cell::new(None) };
}

/// Freezes the statement clock on this thread until the guard drops:
/// `date()`, `datetime()`, `time.statement()`, `localtime.transaction()`
/// ... all read the same instant meanwhile (as Neo4j's statement clock
/// does), while `x.realtime()` keeps reading the system clock. The engine
/// holds one for each statement it runs; nested guards keep the outer
/// instant.
#[must_use = "the clock is frozen only while the guard lives"]
pub struct ClockGuard {
    previous: Option<DateTime<Utc>>,
}

impl Drop for ClockGuard {
    fn drop(&mut self) {
        STATEMENT_TIME.with(|t| t.set(self.previous));
    }
}

/// See [`ClockGuard`].
pub fn freeze_clock() -> ClockGuard {
    let previous = STATEMENT_TIME.with(Cell::get);
    STATEMENT_TIME.with(|t| t.set(Some(previous.unwrap_or_else(Utc::now))));
    ClockGuard { previous }
}

/// The statement clock: the frozen instant, else the system clock.
pub(crate) fn statement_time() -> DateTime<Utc> {
    STATEMENT_TIME.with(Cell::get).unwrap_or_else(Utc::now)
}

/// The current value of `kind` in `zone` (UTC when absent), by the
/// statement clock.
pub(crate) fn now(kind: Kind, zone: Option<Zone>) -> Result<Value, QueryError> {
    at(kind, zone, statement_time())
}

/// The value of `kind` in `zone` at `instant`.
fn at(kind: Kind, zone: Option<Zone>, instant: DateTime<Utc>) -> Result<Value, QueryError> {
    let zone = zone.unwrap_or_else(Zone::default_zone);
    let instant = instant.fixed_offset();
    let here = zone.at_instant(&instant);
    let parts = Parts::of(&here).ok_or_else(|| invalid("the clock gave no time"))?;
    match kind {
        Kind::DateTime => Ok(here),
        _ => parts.build(kind),
    }
}

/// `x.statement([tz])`, `x.transaction([tz])`, `x.realtime([tz])`: the
/// optional argument is a zone name or offset, or a map with `timezone`.
pub(crate) fn now_with(
    kind: Kind,
    arg: Option<&Value>,
    realtime: bool,
) -> Result<Value, QueryError> {
    let zone = match arg {
        None => None,
        Some(Value::Null) => return Ok(Value::Null),
        Some(Value::String(text)) => Some(Zone::parse(text)?),
        Some(Value::Map(map)) => match map.get("timezone") {
            Some(Value::String(text)) => Some(Zone::parse(text)?),
            None if map.is_empty() => None,
            _ => return Err(invalid("expected a map with only a `timezone` String")),
        },
        Some(other) => {
            return Err(wrong_type(format!(
                "expected a time zone String, not {}",
                other.value_type()
            )))
        }
    };
    if realtime {
        at(kind, zone, Utc::now())
    } else {
        now(kind, zone)
    }
}

/// `datetime.fromepoch(seconds, nanoseconds)`, in UTC.
pub(crate) fn from_epoch(seconds: &Value, nanos: &Value) -> Result<Value, QueryError> {
    let (Some(secs), Some(n)) = (number(seconds)?, number(nanos)?) else {
        return Ok(Value::Null);
    };
    let total = i128::from(secs) * 1_000_000_000 + i128::from(n);
    instant(total)
}

/// `datetime.fromepochmillis(milliseconds)`, in UTC.
pub(crate) fn from_epoch_millis(millis: &Value) -> Result<Value, QueryError> {
    let Some(ms) = number(millis)? else {
        return Ok(Value::Null);
    };
    instant(i128::from(ms) * 1_000_000)
}

fn instant(total_nanos: i128) -> Result<Value, QueryError> {
    let secs = i64::try_from(total_nanos.div_euclid(1_000_000_000))
        .map_err(|_| invalid("epoch value out of range"))?;
    let nanos = total_nanos.rem_euclid(1_000_000_000) as u32;
    let utc =
        DateTime::from_timestamp(secs, nanos).ok_or_else(|| invalid("epoch value out of range"))?;
    Ok(Value::DateTime(utc.fixed_offset()))
}

/// An integer argument (`None` for null).
fn number(value: &Value) -> Result<Option<i64>, QueryError> {
    match value {
        Value::Null => Ok(None),
        Value::Integer(i) => Ok(Some(*i)),
        Value::Float(x) if x.is_finite() => Ok(Some(*x as i64)),
        other => Err(wrong_type(format!(
            "expected an Integer, not {}",
            other.value_type()
        ))),
    }
}
