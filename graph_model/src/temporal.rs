//! The temporal payloads of [`Value`](crate::Value) beyond plain dates and
//! date-times ([`OffsetTime`], [`ZonedDateTime`], [`DurationValue`]) and the
//! ISO 8601 text of every temporal value, exactly as Neo4j and the openCypher
//! TCK write it:
//!
//! - times as `HH:MM`, then `:SS` when seconds or fractions are present, then
//!   the fraction in groups of three digits (`.645`, `.645876`,
//!   `.645876123`);
//! - offsets as `Z` for UTC, else `±HH:MM`, with `:SS` when needed;
//! - years outside `0000..=9999` with a sign (`+10000`, `-0001`);
//! - durations as `P1Y2M10DT12H45M30.5S`, `PT0S` when zero.

use std::fmt::{self, Write as _};
use std::sync::Arc;

use chrono::{DateTime, Datelike, FixedOffset, NaiveDate, NaiveDateTime, NaiveTime, Timelike};

/// Nanoseconds in a second.
pub const NANOS_PER_SECOND: i64 = 1_000_000_000;
/// Seconds in a day.
pub const SECONDS_PER_DAY: i64 = 86_400;
/// Nanoseconds in a day.
pub const NANOS_PER_DAY: i64 = SECONDS_PER_DAY * NANOS_PER_SECOND;

/// A time of day with a UTC offset (Cypher `Time`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct OffsetTime {
    /// The local time of day.
    pub time: NaiveTime,
    /// The offset from UTC.
    pub offset: FixedOffset,
}

impl OffsetTime {
    /// A time with an offset.
    pub fn new(time: NaiveTime, offset: FixedOffset) -> OffsetTime {
        OffsetTime { time, offset }
    }

    /// Nanoseconds since midnight UTC, without wrapping: `01:00+02:00`
    /// gives minus one hour. Times compare and hash by this.
    pub fn utc_nanos(&self) -> i64 {
        nanos_of_day(self.time) - i64::from(self.offset.local_minus_utc()) * NANOS_PER_SECOND
    }
}

/// A date-time in a named time zone (Cypher `DateTime` with a zone id such
/// as `Europe/Stockholm`). The offset is the zone's offset at that instant,
/// resolved by whoever built the value (the query engine knows the zone
/// rules; the store only keeps the name).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct ZonedDateTime {
    /// The instant, with the zone's offset at that instant.
    pub datetime: DateTime<FixedOffset>,
    /// The IANA zone name.
    pub zone: Arc<str>,
}

/// A Cypher `Duration` as Neo4j keeps it: months, days, seconds and
/// nanoseconds, each independent (a month is not a fixed number of days,
/// nor a day of seconds). Nanoseconds are normalized into `0..10^9`, the
/// seconds carrying the sign (`-0.5` seconds is `-1` second and
/// `500_000_000` nanoseconds), as Neo4j does.
///
/// Durations order as Neo4j sorts them: by their average length (a month
/// being 2,629,746 seconds, a day 86,400), then by nanoseconds, months, days
/// and seconds, so that only identical durations compare equal.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub struct DurationValue {
    months: i64,
    days: i64,
    seconds: i64,
    nanos: i32,
}

impl DurationValue {
    /// The zero duration.
    pub const ZERO: DurationValue = DurationValue {
        months: 0,
        days: 0,
        seconds: 0,
        nanos: 0,
    };

    /// A duration from its four parts, normalizing nanoseconds into seconds;
    /// `None` when the seconds overflow 64 bits.
    pub fn new(months: i64, days: i64, seconds: i64, nanos: i64) -> Option<DurationValue> {
        let seconds = seconds.checked_add(nanos.div_euclid(NANOS_PER_SECOND))?;
        let nanos = nanos.rem_euclid(NANOS_PER_SECOND);
        Some(DurationValue {
            months,
            days,
            seconds,
            nanos: i32::try_from(nanos).ok()?,
        })
    }

    /// Months (years count twelve each).
    pub fn months(&self) -> i64 {
        self.months
    }

    /// Days (weeks count seven each).
    pub fn days(&self) -> i64 {
        self.days
    }

    /// Seconds (hours and minutes included).
    pub fn seconds(&self) -> i64 {
        self.seconds
    }

    /// Nanoseconds within the second, in `0..10^9`.
    pub fn nanos(&self) -> i32 {
        self.nanos
    }

    /// Seconds and nanoseconds as one count of nanoseconds.
    pub fn total_nanos(&self) -> i128 {
        i128::from(self.seconds) * i128::from(NANOS_PER_SECOND) + i128::from(self.nanos)
    }
}

/// Seconds in an average Gregorian month (365.2425 days / 12).
pub const AVG_SECONDS_PER_MONTH: i64 = 2_629_746;

impl DurationValue {
    /// The length in seconds with a month counted as
    /// [`AVG_SECONDS_PER_MONTH`] and a day as [`SECONDS_PER_DAY`].
    pub fn average_seconds(&self) -> i128 {
        i128::from(self.seconds)
            + i128::from(self.days) * i128::from(SECONDS_PER_DAY)
            + i128::from(self.months) * i128::from(AVG_SECONDS_PER_MONTH)
    }
}

impl Ord for DurationValue {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.average_seconds()
            .cmp(&other.average_seconds())
            .then(self.nanos.cmp(&other.nanos))
            .then(self.months.cmp(&other.months))
            .then(self.days.cmp(&other.days))
            .then(self.seconds.cmp(&other.seconds))
    }
}

impl PartialOrd for DurationValue {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl fmt::Display for DurationValue {
    /// `P<y>Y<m>M<d>DT<h>H<m>M<s>.<frac>S`, zero parts left out, `PT0S`
    /// when everything is zero; a negative time part carries its sign on
    /// every unit (`PT-1M-0.001S`).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut out = String::from("P");
        push_part(&mut out, self.months / 12, 'Y');
        push_part(&mut out, self.months % 12, 'M');
        push_part(&mut out, self.days, 'D');
        if self.seconds != 0 || self.nanos != 0 {
            let negative = self.seconds < 0;
            let mut secs = self.seconds;
            let mut nanos = i64::from(self.nanos);
            if negative && nanos != 0 {
                secs += 1;
                nanos -= NANOS_PER_SECOND;
            }
            out.push('T');
            push_part(&mut out, secs / 3600, 'H');
            secs %= 3600;
            push_part(&mut out, secs / 60, 'M');
            secs %= 60;
            if secs != 0 {
                if negative && secs >= 0 && nanos != 0 {
                    out.push('-');
                }
                let _ = write!(out, "{secs}");
                push_fraction(&mut out, nanos.unsigned_abs());
                out.push('S');
            } else if nanos != 0 {
                if negative {
                    out.push('-');
                }
                out.push('0');
                push_fraction(&mut out, nanos.unsigned_abs());
                out.push('S');
            }
        }
        if out.len() == 1 {
            out.push_str("T0S");
        }
        f.write_str(&out)
    }
}

fn push_part(out: &mut String, n: i64, unit: char) {
    if n != 0 {
        let _ = write!(out, "{n}{unit}");
    }
}

/// `.` and the nanoseconds without trailing zeros (nothing when zero).
fn push_fraction(out: &mut String, nanos: u64) {
    if nanos == 0 {
        return;
    }
    let digits = format!("{nanos:09}");
    out.push('.');
    out.push_str(digits.trim_end_matches('0'));
}

/// Nanoseconds since midnight of a time of day.
pub fn nanos_of_day(time: NaiveTime) -> i64 {
    i64::from(time.num_seconds_from_midnight()) * NANOS_PER_SECOND + i64::from(time.nanosecond())
}

/// Writes a year with four digits, signed outside `0000..=9999`.
fn write_year(f: &mut impl fmt::Write, year: i32) -> fmt::Result {
    if year > 9999 {
        write!(f, "+{year}")
    } else if year < 0 {
        write!(f, "-{:04}", year.unsigned_abs())
    } else {
        write!(f, "{year:04}")
    }
}

/// Writes a date as `YYYY-MM-DD`.
pub fn write_date(f: &mut impl fmt::Write, date: NaiveDate) -> fmt::Result {
    write_year(f, date.year())?;
    write!(f, "-{:02}-{:02}", date.month(), date.day())
}

/// Writes a time of day as `HH:MM[:SS[.fff[fff[fff]]]]`.
pub fn write_time(f: &mut impl fmt::Write, time: NaiveTime) -> fmt::Result {
    write!(f, "{:02}:{:02}", time.hour(), time.minute())?;
    let (second, nanos) = (time.second(), time.nanosecond());
    if second == 0 && nanos == 0 {
        return Ok(());
    }
    write!(f, ":{second:02}")?;
    if nanos == 0 {
        Ok(())
    } else if nanos % 1_000_000 == 0 {
        write!(f, ".{:03}", nanos / 1_000_000)
    } else if nanos % 1000 == 0 {
        write!(f, ".{:06}", nanos / 1000)
    } else {
        write!(f, ".{nanos:09}")
    }
}

/// Writes an offset as `Z`, `±HH:MM` or `±HH:MM:SS`.
pub fn write_offset(f: &mut impl fmt::Write, offset: FixedOffset) -> fmt::Result {
    let total = offset.local_minus_utc();
    if total == 0 {
        return f.write_char('Z');
    }
    let sign = if total < 0 { '-' } else { '+' };
    let abs = total.unsigned_abs();
    write!(f, "{sign}{:02}:{:02}", abs / 3600, (abs / 60) % 60)?;
    if !abs.is_multiple_of(60) {
        write!(f, ":{:02}", abs % 60)?;
    }
    Ok(())
}

/// Writes a local date-time as `YYYY-MM-DDTHH:MM...`.
pub fn write_local_datetime(f: &mut impl fmt::Write, dt: NaiveDateTime) -> fmt::Result {
    write_date(f, dt.date())?;
    f.write_char('T')?;
    write_time(f, dt.time())
}

/// Writes a date-time with its offset.
pub fn write_datetime(f: &mut impl fmt::Write, dt: &DateTime<FixedOffset>) -> fmt::Result {
    write_local_datetime(f, dt.naive_local())?;
    write_offset(f, *dt.offset())
}

impl fmt::Display for OffsetTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_time(f, self.time)?;
        write_offset(f, self.offset)
    }
}

impl fmt::Display for ZonedDateTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_datetime(f, &self.datetime)?;
        write!(f, "[{}]", self.zone)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(write: impl Fn(&mut String) -> fmt::Result) -> String {
        let mut s = String::new();
        write(&mut s).expect("writing to a string");
        s
    }

    #[test]
    fn times_keep_only_the_digits_they_need() {
        let t = |h, m, s, n| NaiveTime::from_hms_nano_opt(h, m, s, n).expect("valid");
        assert_eq!(text(|s| write_time(s, t(12, 0, 0, 0))), "12:00");
        assert_eq!(text(|s| write_time(s, t(12, 31, 14, 0))), "12:31:14");
        assert_eq!(
            text(|s| write_time(s, t(12, 31, 14, 645_000_000))),
            "12:31:14.645"
        );
        assert_eq!(
            text(|s| write_time(s, t(12, 31, 14, 645_876_000))),
            "12:31:14.645876"
        );
        assert_eq!(
            text(|s| write_time(s, t(12, 31, 14, 3))),
            "12:31:14.000000003"
        );
        assert_eq!(
            text(|s| write_time(s, t(12, 31, 0, 3))),
            "12:31:00.000000003"
        );
    }

    #[test]
    fn offsets_and_years() {
        let off = |secs| FixedOffset::east_opt(secs).expect("valid");
        assert_eq!(text(|s| write_offset(s, off(0))), "Z");
        assert_eq!(text(|s| write_offset(s, off(3600))), "+01:00");
        assert_eq!(text(|s| write_offset(s, off(-5400))), "-01:30");
        assert_eq!(text(|s| write_offset(s, off(3208))), "+00:53:28");
        let date = |y| NaiveDate::from_ymd_opt(y, 1, 1).expect("valid");
        assert_eq!(text(|s| write_date(s, date(28))), "0028-01-01");
        assert_eq!(text(|s| write_date(s, date(12345))), "+12345-01-01");
        assert_eq!(text(|s| write_date(s, date(-1))), "-0001-01-01");
    }

    #[test]
    fn durations_print_like_neo4j() {
        let d = |m, d, s, n| DurationValue::new(m, d, s, n).expect("in range");
        assert_eq!(d(0, 0, 0, 0).to_string(), "PT0S");
        assert_eq!(
            d(149, 14, 58_390, 1).to_string(),
            "P12Y5M14DT16H13M10.000000001S"
        );
        assert_eq!(d(149, -14, 57_600, 0).to_string(), "P12Y5M-14DT16H");
        assert_eq!(d(0, 0, -2, 1_000_000).to_string(), "PT-1.999S");
        assert_eq!(d(0, 1, 0, -1_000_000).to_string(), "P1DT-0.001S");
        assert_eq!(d(0, 0, -60, -1_000_000).to_string(), "PT-1M-0.001S");
        assert_eq!(d(0, 0, 10, 500_000_000).to_string(), "PT10.5S");
        assert_eq!(d(0, 0, 0, -500_000_000).to_string(), "PT-0.5S");
        assert_eq!(
            d(0, 0, -86_400, 100_000_000).to_string(),
            "PT-23H-59M-59.9S"
        );
        assert_eq!(d(0, 0, -1, 0).seconds(), -1);
        assert_eq!(d(0, 0, 0, -1).nanos(), 999_999_999);
    }

    #[test]
    fn durations_order_by_average_length() {
        let d = |m, d, s| DurationValue::new(m, d, s, 0).expect("in range");
        // One month is longer than 30 days, shorter than 31.
        assert!(d(1, 0, 0) > d(0, 30, 0));
        assert!(d(1, 0, 0) < d(0, 31, 0));
        // Same length, different parts: still ordered, never equal.
        assert_ne!(d(0, 1, 0).cmp(&d(0, 0, 86_400)), std::cmp::Ordering::Equal);
        assert!(d(0, 0, -1) < DurationValue::ZERO);
    }
}
