//! A temporal value taken apart into date, time of day and zone, and put
//! back together as any of the five instant-like types; calendar helpers.

use chrono::{Datelike, FixedOffset, NaiveDate, NaiveDateTime, NaiveTime, Weekday};
use graph_model::{OffsetTime, Value};

use super::zone::{self, Zone};
use super::{invalid, Kind};
use crate::error::QueryError;

/// The parts of a date, time or date-time value. For a date-time the date
/// and time are local; `offset` is the offset in force (for a `Time`, its
/// own), `zone` the zone (named or the same offset).
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Parts {
    /// The (local) date.
    pub date: Option<NaiveDate>,
    /// The (local) time of day.
    pub time: Option<NaiveTime>,
    /// The zone.
    pub zone: Option<Zone>,
    /// The offset in force.
    pub offset: Option<FixedOffset>,
}

impl Parts {
    /// The parts of a temporal value other than a duration.
    pub(crate) fn of(value: &Value) -> Option<Parts> {
        let zone = Zone::of(value);
        Some(match value {
            Value::Date(d) => Parts {
                date: Some(*d),
                ..Parts::default()
            },
            Value::LocalTime(t) => Parts {
                time: Some(*t),
                ..Parts::default()
            },
            Value::Time(t) => Parts {
                time: Some(t.time),
                zone,
                offset: Some(t.offset),
                ..Parts::default()
            },
            Value::LocalDateTime(dt) => Parts {
                date: Some(dt.date()),
                time: Some(dt.time()),
                ..Parts::default()
            },
            Value::DateTime(dt) => Parts {
                date: Some(dt.date_naive()),
                time: Some(dt.time()),
                zone,
                offset: Some(*dt.offset()),
            },
            Value::ZonedDateTime(z) => Parts {
                date: Some(z.datetime.date_naive()),
                time: Some(z.datetime.time()),
                zone,
                offset: Some(*z.datetime.offset()),
            },
            _ => return None,
        })
    }

    /// The local date-time, when there are both a date and a time.
    pub(crate) fn local(&self) -> Option<NaiveDateTime> {
        Some(self.date?.and_time(self.time?))
    }

    /// Builds a value of `kind` from these parts: a missing time is
    /// midnight, a missing zone UTC; a missing date is an error.
    pub(crate) fn build(&self, kind: Kind) -> Result<Value, QueryError> {
        let time = self.time.unwrap_or(NaiveTime::MIN);
        let date = || {
            self.date
                .ok_or_else(|| invalid(format!("Cannot build a {} without a date", kind.name())))
        };
        Ok(match kind {
            Kind::Date => Value::Date(date()?),
            Kind::LocalTime => Value::LocalTime(time),
            Kind::Time => {
                let offset = match (self.offset, self.zone) {
                    (Some(o), _) => o,
                    (None, Some(z)) => z.offset_for_local(
                        self.date
                            .unwrap_or_else(|| super::clock::statement_time().date_naive())
                            .and_time(time),
                    ),
                    (None, None) => zone::utc(),
                };
                Value::Time(OffsetTime::new(time, offset))
            }
            Kind::LocalDateTime => Value::LocalDateTime(date()?.and_time(time)),
            Kind::DateTime => self
                .zone
                .unwrap_or_else(Zone::default_zone)
                .resolve(date()?.and_time(time), self.offset),
        })
    }
}

/// The weekday numbered 1 (Monday) to 7 (Sunday).
pub(crate) fn weekday(n: i64) -> Option<Weekday> {
    Some(match n {
        1 => Weekday::Mon,
        2 => Weekday::Tue,
        3 => Weekday::Wed,
        4 => Weekday::Thu,
        5 => Weekday::Fri,
        6 => Weekday::Sat,
        7 => Weekday::Sun,
        _ => return None,
    })
}

/// The quarter (1 to 4) of a date.
pub(crate) fn quarter(date: NaiveDate) -> u32 {
    (date.month0() / 3) + 1
}

/// The first day of a date's quarter.
pub(crate) fn quarter_start(year: i32, quarter: u32) -> Option<NaiveDate> {
    NaiveDate::from_ymd_opt(year, (quarter.checked_sub(1)?) * 3 + 1, 1)
}

/// The day (1-based) of a date within its quarter.
pub(crate) fn day_of_quarter(date: NaiveDate) -> i64 {
    quarter_start(date.year(), quarter(date)).map_or(1, |start| (date - start).num_days() + 1)
}

/// A year as chrono's `i32`, or an error.
pub(crate) fn year_i32(year: i64) -> Result<i32, QueryError> {
    i32::try_from(year)
        .ok()
        .filter(|y| (-262_000..=262_000).contains(y))
        .ok_or_else(|| invalid(format!("Invalid value for Year: {year}")))
}
