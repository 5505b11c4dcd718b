//! Time zones: fixed offsets and named (IANA) zones, and placing a local
//! date-time in one.

use std::str::FromStr;
use std::sync::Arc;

use chrono::{DateTime, Duration, FixedOffset, LocalResult, NaiveDateTime, Offset, TimeZone, Utc};
use chrono_tz::Tz;
use graph_model::{Value, ZonedDateTime};

use super::invalid;
use crate::error::QueryError;

/// A time zone: a fixed offset or a named zone with its rules.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Zone {
    /// A fixed UTC offset (`+01:00`, `Z`).
    Offset(FixedOffset),
    /// A named zone (`Europe/Stockholm`).
    Named(Tz),
}

/// UTC, the default zone.
pub(crate) fn utc() -> FixedOffset {
    Utc.fix()
}

impl Zone {
    /// UTC, the zone of values built without one.
    pub(crate) fn default_zone() -> Zone {
        Zone::Offset(utc())
    }

    /// Parses `Z`, `±HH`, `±HHMM`, `±HH:MM`, `±HH:MM:SS` or a zone name.
    pub(crate) fn parse(text: &str) -> Result<Zone, QueryError> {
        if let Some(offset) = parse_offset(text) {
            return Ok(Zone::Offset(offset));
        }
        Tz::from_str(text)
            .map(Zone::Named)
            .map_err(|_| invalid(format!("Invalid value for TimeZone: Text '{text}'")))
    }

    /// The zone of a `Time` or `DateTime` value.
    pub(crate) fn of(value: &Value) -> Option<Zone> {
        match value {
            Value::Time(t) => Some(Zone::Offset(t.offset)),
            Value::DateTime(dt) => Some(Zone::Offset(*dt.offset())),
            Value::ZonedDateTime(z) => {
                Some(Tz::from_str(&z.zone).map_or(Zone::Offset(*z.datetime.offset()), Zone::Named))
            }
            _ => None,
        }
    }

    /// The offset in force at a UTC instant.
    pub(crate) fn offset_at(self, utc_time: NaiveDateTime) -> FixedOffset {
        match self {
            Zone::Offset(o) => o,
            Zone::Named(tz) => tz.offset_from_utc_datetime(&utc_time).fix(),
        }
    }

    /// The offset a local date-time gets in this zone (see [`Zone::place`]).
    pub(crate) fn offset_for_local(self, local: NaiveDateTime) -> FixedOffset {
        *self.place(local, None).offset()
    }

    /// Places a local date-time in the zone as `java.time` does: in an
    /// overlap the earlier offset (or `preferred`, when it is one of the
    /// two); in a gap, moved forward by the gap's length.
    pub(crate) fn place(
        self,
        local: NaiveDateTime,
        preferred: Option<FixedOffset>,
    ) -> DateTime<FixedOffset> {
        match self {
            Zone::Offset(o) => fixed(local, o),
            Zone::Named(tz) => match tz.from_local_datetime(&local) {
                LocalResult::Single(dt) => dt.fixed_offset(),
                LocalResult::Ambiguous(early, late) => {
                    let (early, late) = (early.fixed_offset(), late.fixed_offset());
                    if preferred == Some(*late.offset()) {
                        late
                    } else {
                        early
                    }
                }
                LocalResult::None => {
                    let before = tz
                        .offset_from_utc_datetime(&(local - Duration::days(1)))
                        .fix();
                    let instant = local - Duration::seconds(i64::from(before.local_minus_utc()));
                    tz.from_utc_datetime(&instant).fixed_offset()
                }
            },
        }
    }

    /// The date-time value for a local date-time in this zone.
    pub(crate) fn resolve(self, local: NaiveDateTime, preferred: Option<FixedOffset>) -> Value {
        self.value(self.place(local, preferred))
    }

    /// The date-time value of an instant, seen in this zone.
    pub(crate) fn at_instant(self, instant: &DateTime<FixedOffset>) -> Value {
        let utc_time = instant.naive_utc();
        let offset = self.offset_at(utc_time);
        self.value(offset.from_utc_datetime(&utc_time))
    }

    /// Wraps a date-time whose offset is this zone's into a value.
    fn value(self, dt: DateTime<FixedOffset>) -> Value {
        match self {
            Zone::Offset(_) => Value::DateTime(dt),
            Zone::Named(tz) => Value::from(ZonedDateTime {
                datetime: dt,
                zone: Arc::from(tz.name()),
            }),
        }
    }
}

/// A local date-time at a fixed offset (never ambiguous).
pub(crate) fn fixed(local: NaiveDateTime, offset: FixedOffset) -> DateTime<FixedOffset> {
    offset.from_utc_datetime(&(local - Duration::seconds(i64::from(offset.local_minus_utc()))))
}

/// Parses `Z`, `±HH`, `±HHMM`, `±HH:MM`, `±HHMMSS` or `±HH:MM:SS`.
pub(crate) fn parse_offset(text: &str) -> Option<FixedOffset> {
    if text == "Z" || text == "z" {
        return Some(utc());
    }
    let sign = match text.as_bytes().first()? {
        b'+' => 1,
        b'-' => -1,
        _ => return None,
    };
    let rest = &text[1..];
    let digits: String = rest.chars().filter(char::is_ascii_digit).collect();
    let colons = rest.chars().filter(|c| *c == ':').count();
    let well_formed = match (digits.len(), colons) {
        (2, 0) => rest.len() == 2,
        (4, 0) => rest.len() == 4,
        (6, 0) => rest.len() == 6,
        (4, 1) => rest.len() == 5 && rest.as_bytes()[2] == b':',
        (6, 2) => rest.len() == 8 && rest.as_bytes()[2] == b':' && rest.as_bytes()[5] == b':',
        _ => false,
    };
    if !well_formed {
        return None;
    }
    let num = |range: std::ops::Range<usize>| digits.get(range).and_then(|d| d.parse::<i32>().ok());
    let hours = num(0..2)?;
    let minutes = if digits.len() >= 4 { num(2..4)? } else { 0 };
    let seconds = if digits.len() >= 6 { num(4..6)? } else { 0 };
    if hours > 18 || minutes > 59 || seconds > 59 {
        return None;
    }
    let total = hours * 3600 + minutes * 60 + seconds;
    if total > 18 * 3600 {
        return None;
    }
    FixedOffset::east_opt(sign * total)
}
