//! Calendar arithmetic and FHIR `date` / `dateTime` formatting.
//!
//! Times are kept as Unix seconds (UTC) and written in the local time of a
//! US time zone, with the offset in force at that instant, the way Synthea
//! writes them ("2019-03-04T10:22:31-05:00"). Daylight saving time follows
//! the US federal rules: since 2007 from the second Sunday of March to the
//! first Sunday of November, 1987-2006 from the first Sunday of April to the
//! last Sunday of October, 1967-1986 from the last Sunday of April to the last
//! Sunday of October (the 1974-75 emergency rules are ignored), none before.

/// Seconds in a day.
pub(crate) const DAY: i64 = 86_400;
/// Seconds in an average Gregorian year.
pub(crate) const YEAR: i64 = 31_556_952;

/// A US time zone: standard offset and whether it observes DST.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Tz {
    /// Offset of standard time from UTC, in minutes (e.g. -300 for Eastern).
    pub std_offset_min: i32,
    /// Whether daylight saving time is observed (Arizona and Hawaii do not).
    pub observes_dst: bool,
}

/// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm).
pub(crate) fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = i64::from(month);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(day) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The proleptic Gregorian date of a day count since 1970-01-01.
pub(crate) fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

/// Day of the week, 0 = Sunday.
fn weekday(days: i64) -> i64 {
    (days + 4).rem_euclid(7)
}

/// Day count of the `n`th (1-based) Sunday of a month.
fn nth_sunday(year: i64, month: u32, n: i64) -> i64 {
    let first = days_from_civil(year, month, 1);
    first + (7 - weekday(first)) % 7 + 7 * (n - 1)
}

/// Day count of the last Sunday of a month (`month` < 12).
fn last_sunday(year: i64, month: u32) -> i64 {
    let last = days_from_civil(year, month + 1, 1) - 1;
    last - weekday(last)
}

/// First and last+1 year of the precomputed DST table.
const DST_FIRST_YEAR: i64 = 1967;
const DST_END_YEAR: i64 = 2200;

/// DST period of a year as `[start, end)` in local *standard* time seconds
/// (the same for every US zone), or `None` before 1967.
fn dst_period(year: i64) -> Option<(i64, i64)> {
    let (start_day, end_day) = match year {
        2007.. => (nth_sunday(year, 3, 2), nth_sunday(year, 11, 1)),
        1987..=2006 => (nth_sunday(year, 4, 1), last_sunday(year, 10)),
        1967..=1986 => (last_sunday(year, 4), last_sunday(year, 10)),
        _ => return None,
    };
    // DST starts at 02:00 standard time and ends at 02:00 daylight time
    // (01:00 standard time).
    Some((start_day * DAY + 2 * 3600, end_day * DAY + 3600))
}

/// [`dst_period`] of every year from 1967 to 2199, computed once.
fn dst_table() -> &'static [(i64, i64)] {
    static TABLE: std::sync::OnceLock<Vec<(i64, i64)>> = std::sync::OnceLock::new();
    TABLE.get_or_init(|| {
        (DST_FIRST_YEAR..DST_END_YEAR)
            .map(|y| dst_period(y).unwrap_or((0, 0)))
            .collect()
    })
}

/// Whether a local standard time of `year` falls in daylight saving time.
fn in_dst(year: i64, local_std: i64) -> bool {
    let (start, end) = if (DST_FIRST_YEAR..DST_END_YEAR).contains(&year) {
        dst_table()[(year - DST_FIRST_YEAR) as usize]
    } else {
        match dst_period(year) {
            Some(p) => p,
            None => return false,
        }
    };
    (start..end).contains(&local_std)
}

impl Tz {
    /// The UTC offset, in minutes, in force at `utc` (Unix seconds).
    #[cfg(test)]
    pub(crate) fn offset_minutes(self, utc: i64) -> i32 {
        let std = self.std_offset_min;
        if !self.observes_dst {
            return std;
        }
        let local_std = utc + i64::from(std) * 60;
        let (year, _, _) = civil_from_days(local_std.div_euclid(DAY));
        if in_dst(year, local_std) {
            std + 60
        } else {
            std
        }
    }

    /// Local date, seconds of the day and offset (minutes) at `utc`.
    fn local(self, utc: i64) -> ((i64, u32, u32), u32, i32) {
        let std = self.std_offset_min;
        let local_std = utc + i64::from(std) * 60;
        let days = local_std.div_euclid(DAY);
        let secs = local_std.rem_euclid(DAY);
        let date = civil_from_days(days);
        if self.observes_dst && in_dst(date.0, local_std) {
            if secs + 3600 >= DAY {
                (
                    civil_from_days(days + 1),
                    (secs + 3600 - DAY) as u32,
                    std + 60,
                )
            } else {
                (date, (secs + 3600) as u32, std + 60)
            }
        } else {
            (date, secs as u32, std)
        }
    }
}

fn push_2(buf: &mut Vec<u8>, v: u32) {
    buf.push(b'0' + (v / 10 % 10) as u8);
    buf.push(b'0' + (v % 10) as u8);
}

fn push_year(buf: &mut Vec<u8>, year: i64) {
    let y = year.clamp(0, 9999) as u32;
    push_2(buf, y / 100);
    push_2(buf, y % 100);
}

/// Appends a FHIR `dateTime` with offset (no quotes), e.g.
/// `2019-03-04T10:22:31-05:00`.
pub(crate) fn push_datetime(buf: &mut Vec<u8>, utc: i64, tz: Tz) {
    let ((year, month, day), secs, offset) = tz.local(utc);
    push_year(buf, year);
    buf.push(b'-');
    push_2(buf, month);
    buf.push(b'-');
    push_2(buf, day);
    buf.push(b'T');
    push_2(buf, secs / 3600);
    buf.push(b':');
    push_2(buf, secs / 60 % 60);
    buf.push(b':');
    push_2(buf, secs % 60);
    if offset < 0 {
        buf.push(b'-');
    } else {
        buf.push(b'+');
    }
    let abs = offset.unsigned_abs();
    push_2(buf, abs / 60);
    buf.push(b':');
    push_2(buf, abs % 60);
}

/// Appends a FHIR `date` (no quotes) of the local date at `utc` in `tz`.
pub(crate) fn push_date(buf: &mut Vec<u8>, utc: i64, tz: Tz) {
    let ((year, month, day), _, _) = tz.local(utc);
    push_year(buf, year);
    buf.push(b'-');
    push_2(buf, month);
    buf.push(b'-');
    push_2(buf, day);
}

/// Whole years between two instants (an age).
pub(crate) fn years_between(from: i64, to: i64) -> u32 {
    if to <= from {
        0
    } else {
        ((to - from) / YEAR) as u32
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const EASTERN: Tz = Tz {
        std_offset_min: -300,
        observes_dst: true,
    };
    const ARIZONA: Tz = Tz {
        std_offset_min: -420,
        observes_dst: false,
    };

    fn dt(utc: i64, tz: Tz) -> String {
        let mut buf = Vec::new();
        push_datetime(&mut buf, utc, tz);
        String::from_utf8(buf).expect("ascii")
    }

    fn utc(year: i64, month: u32, day: u32, hour: i64) -> i64 {
        days_from_civil(year, month, day) * DAY + hour * 3600
    }

    #[test]
    fn civil_round_trip() {
        for days in (-40_000..40_000).step_by(7) {
            let (y, m, d) = civil_from_days(days);
            assert_eq!(days_from_civil(y, m, d), days);
        }
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(days_from_civil(2000, 3, 1), 11_017);
    }

    #[test]
    fn formats_with_dst_offsets() {
        // 2019-03-04 15:22:31 UTC is 10:22:31 EST.
        assert_eq!(
            dt(utc(2019, 3, 4, 15) + 22 * 60 + 31, EASTERN),
            "2019-03-04T10:22:31-05:00"
        );
        // July is daylight time in the east, never in Arizona.
        assert_eq!(
            dt(utc(2019, 7, 1, 12), EASTERN),
            "2019-07-01T08:00:00-04:00"
        );
        assert_eq!(
            dt(utc(2019, 7, 1, 12), ARIZONA),
            "2019-07-01T05:00:00-07:00"
        );
        // 2019 DST began 2019-03-10 at 07:00 UTC (02:00 EST).
        assert_eq!(
            dt(utc(2019, 3, 10, 7) - 1, EASTERN),
            "2019-03-10T01:59:59-05:00"
        );
        assert_eq!(
            dt(utc(2019, 3, 10, 7), EASTERN),
            "2019-03-10T03:00:00-04:00"
        );
        // and ended 2019-11-03 at 06:00 UTC (02:00 EDT).
        assert_eq!(
            dt(utc(2019, 11, 3, 6) - 1, EASTERN),
            "2019-11-03T01:59:59-04:00"
        );
        assert_eq!(
            dt(utc(2019, 11, 3, 6), EASTERN),
            "2019-11-03T01:00:00-05:00"
        );
        // 1995 rules: first Sunday of April (April 2nd).
        assert_eq!(
            dt(utc(1995, 4, 1, 12), EASTERN),
            "1995-04-01T07:00:00-05:00"
        );
        assert_eq!(
            dt(utc(1995, 4, 3, 12), EASTERN),
            "1995-04-03T08:00:00-04:00"
        );
        // No DST before 1967.
        assert_eq!(
            dt(utc(1950, 7, 1, 12), EASTERN),
            "1950-07-01T07:00:00-05:00"
        );
    }

    #[test]
    fn local_agrees_with_offset_minutes() {
        let tz = EASTERN;
        let mut t = utc(1960, 1, 1, 0);
        while t < utc(2030, 1, 1, 0) {
            let ((y, m, d), secs, offset) = tz.local(t);
            assert_eq!(offset, tz.offset_minutes(t));
            let local = t + i64::from(offset) * 60;
            assert_eq!((y, m, d), civil_from_days(local.div_euclid(DAY)));
            assert_eq!(i64::from(secs), local.rem_euclid(DAY));
            t += 3_599;
        }
    }

    #[test]
    fn dates_are_local() {
        let mut buf = Vec::new();
        push_date(&mut buf, utc(2001, 1, 1, 2), EASTERN);
        assert_eq!(buf, b"2000-12-31");
    }
}
