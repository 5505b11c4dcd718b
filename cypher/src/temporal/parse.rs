//! ISO 8601 text into temporal values, in the forms Neo4j accepts: dates
//! (`2015-07-21`, `20150721`, `2015-07`, `2015-W30-2`, `2015W302`,
//! `2015-202`, `2015`), times (`21:40:32.142`, `214032`, `21`), offsets and
//! zone names (`+01:00`, `-0130`, `Z`, `[Europe/Stockholm]`) and durations
//! (`P1Y2M10DT12H45M30.5S`, `P2.5W`, `P2012-02-02T14:37:21.545`).

use chrono::{FixedOffset, NaiveDate, NaiveTime};
use graph_model::Value;

use super::arithmetic::approximate;
use super::parts::{self, Parts};
use super::zone::{parse_offset, Zone};
use super::{invalid, Kind};
use crate::error::QueryError;

/// Parses `text` as a value of `kind`.
pub(crate) fn parse(kind: Kind, text: &str) -> Result<Value, QueryError> {
    let error = || {
        invalid(format!(
            "Text cannot be parsed to a {}: '{text}'",
            kind.name()
        ))
    };
    let parts = match kind {
        Kind::Date => Parts {
            date: Some(parse_date(text).ok_or_else(error)?),
            ..Parts::default()
        },
        Kind::LocalTime => Parts {
            time: Some(parse_time(text).ok_or_else(error)?),
            ..Parts::default()
        },
        Kind::Time => {
            let (time, suffix) = split_suffix(text);
            let time = parse_time(time).ok_or_else(error)?;
            let zone = parse_zone_suffix(suffix).ok_or_else(error)?;
            Parts {
                time: Some(time),
                zone: zone.zone,
                offset: zone.offset,
                ..Parts::default()
            }
        }
        Kind::LocalDateTime => {
            let (date, time) = split_datetime(text);
            Parts {
                date: Some(parse_date(date).ok_or_else(error)?),
                time: Some(match time {
                    Some(t) => parse_time(t).ok_or_else(error)?,
                    None => NaiveTime::MIN,
                }),
                ..Parts::default()
            }
        }
        Kind::DateTime => {
            let (date, rest) = split_datetime(text);
            let date = parse_date(date).ok_or_else(error)?;
            let (time, zone) = match rest {
                Some(rest) => {
                    let (time, suffix) = split_suffix(rest);
                    (
                        parse_time(time).ok_or_else(error)?,
                        parse_zone_suffix(suffix).ok_or_else(error)?,
                    )
                }
                None => (NaiveTime::MIN, ZoneSuffix::default()),
            };
            Parts {
                date: Some(date),
                time: Some(time),
                zone: zone.zone,
                offset: zone.offset,
            }
        }
    };
    parts.build(kind)
}

/// Splits `date[Ttime...]`.
fn split_datetime(text: &str) -> (&str, Option<&str>) {
    match text.find(['T', 't']) {
        Some(i) => (&text[..i], Some(&text[i + 1..])),
        None => (text, None),
    }
}

/// Splits a time from its offset or zone suffix.
fn split_suffix(text: &str) -> (&str, &str) {
    let i = text.find(['Z', 'z', '+', '-', '[']).unwrap_or(text.len());
    (&text[..i], &text[i..])
}

#[derive(Default)]
struct ZoneSuffix {
    zone: Option<Zone>,
    offset: Option<FixedOffset>,
}

/// Parses `[offset][\[zone name\]]`.
fn parse_zone_suffix(text: &str) -> Option<ZoneSuffix> {
    if text.is_empty() {
        return Some(ZoneSuffix::default());
    }
    let (offset_text, name) = match text.find('[') {
        Some(i) => {
            let name = text[i + 1..].strip_suffix(']')?;
            (&text[..i], Some(name))
        }
        None => (text, None),
    };
    let offset = if offset_text.is_empty() {
        None
    } else {
        Some(parse_offset(offset_text)?)
    };
    let zone = match name {
        Some(name) => Some(Zone::parse(name).ok()?),
        None => offset.map(Zone::Offset),
    };
    Some(ZoneSuffix { zone, offset })
}

/// Parses a date in any of the ISO 8601 forms Neo4j accepts.
pub(crate) fn parse_date(text: &str) -> Option<NaiveDate> {
    let bytes = text.as_bytes();
    let (year, rest) = if matches!(bytes.first(), Some(b'+' | b'-')) {
        let end = 1 + text[1..]
            .find(|c: char| !c.is_ascii_digit())
            .unwrap_or(text.len() - 1);
        if end == 1 {
            return None;
        }
        let year: i64 = text[..end].trim_start_matches('+').parse().ok()?;
        (year, &text[end..])
    } else {
        let digits = text.get(..4)?;
        if !digits.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        (digits.parse().ok()?, &text[4..])
    };
    let year = parts::year_i32(year).ok()?;
    let all_digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    let num = |s: &str| -> Option<u32> { all_digits(s).then(|| s.parse().ok()).flatten() };
    if rest.is_empty() {
        return NaiveDate::from_ymd_opt(year, 1, 1);
    }
    let (dashed, body) = match rest.strip_prefix('-') {
        Some(body) => (true, body),
        None => (false, rest),
    };
    if let Some(week) = body.strip_prefix(['W', 'w']) {
        let (week, day) = match (dashed, week.len()) {
            (_, 2) => (num(week)?, 1),
            (true, 4) if week.as_bytes()[2] == b'-' => (num(&week[..2])?, num(&week[3..])?),
            (false, 3) => (num(&week[..2])?, num(&week[2..])?),
            _ => return None,
        };
        return NaiveDate::from_isoywd_opt(year, week, parts::weekday(i64::from(day))?);
    }
    match (dashed, body.len()) {
        (_, 2) => NaiveDate::from_ymd_opt(year, num(body)?, 1),
        (_, 3) => NaiveDate::from_yo_opt(year, num(body)?),
        (true, 5) if body.as_bytes()[2] == b'-' => {
            NaiveDate::from_ymd_opt(year, num(&body[..2])?, num(&body[3..])?)
        }
        (false, 4) => NaiveDate::from_ymd_opt(year, num(&body[..2])?, num(&body[2..])?),
        _ => None,
    }
}

/// Parses `HH[:MM[:SS[.fff]]]` or `HH[MM[SS[.fff]]]`.
pub(crate) fn parse_time(text: &str) -> Option<NaiveTime> {
    let (main, fraction) = match text.find(['.', ',']) {
        Some(i) => (&text[..i], Some(&text[i + 1..])),
        None => (text, None),
    };
    let fields: Vec<&str> = if main.contains(':') {
        main.split(':').collect()
    } else {
        if main.len() % 2 != 0 {
            return None;
        }
        (0..main.len())
            .step_by(2)
            .map(|i| &main[i..i + 2])
            .collect()
    };
    if fields.is_empty()
        || fields.len() > 3
        || fields
            .iter()
            .any(|f| f.len() != 2 || !f.bytes().all(|b| b.is_ascii_digit()))
    {
        return None;
    }
    let field = |i: usize| fields.get(i).map_or(Some(0), |f| f.parse::<u32>().ok());
    let nanos = match fraction {
        None => 0,
        Some(f) => {
            if fields.len() != 3
                || f.is_empty()
                || f.len() > 9
                || !f.bytes().all(|b| b.is_ascii_digit())
            {
                return None;
            }
            format!("{f:0<9}").parse().ok()?
        }
    };
    NaiveTime::from_hms_nano_opt(field(0)?, field(1)?, field(2)?, nanos)
}

/// Parses an ISO 8601 duration (`P1Y2M3W4DT5H6M7.8S`, fractions allowed on
/// the smallest unit given, or `P<date>T<time>`), optionally signed.
pub(crate) fn parse_duration(text: &str) -> Result<Value, QueryError> {
    let error = || invalid(format!("Text cannot be parsed to a Duration: '{text}'"));
    let (sign, rest) = match text.as_bytes().first() {
        Some(b'-') => (-1.0, &text[1..]),
        Some(b'+') => (1.0, &text[1..]),
        _ => (1.0, text),
    };
    let body = rest.strip_prefix(['P', 'p']).ok_or_else(error)?;
    let value = unit_based(body)
        .or_else(|| date_based(body))
        .ok_or_else(error)?;
    let [m, d, s, n] = value;
    approximate(sign * m, sign * d, sign * s, sign * n)
        .map(Value::duration)
        .ok_or_else(error)
}

/// `nY nM nW nD T nH nM nS` (each optional, in order) as months, days,
/// seconds and nanoseconds.
fn unit_based(body: &str) -> Option<[f64; 4]> {
    let mut totals = [0.0f64; 4];
    let mut rest = body;
    let mut in_time = false;
    // Order of units already seen, to enforce the order.
    let mut last_rank = 0;
    let mut any = false;
    let mut fractional = false;
    while !rest.is_empty() {
        if !in_time && rest.starts_with(['T', 't']) {
            in_time = true;
            rest = &rest[1..];
            if rest.is_empty() {
                return None;
            }
            continue;
        }
        let end = rest.find(|c: char| c.is_ascii_alphabetic())?;
        let (number, unit) = (&rest[..end], rest[end..].chars().next()?);
        rest = &rest[end + 1..];
        if fractional {
            // Only the smallest unit given may have a fraction.
            return None;
        }
        let normalized = number.replace(',', ".");
        if normalized.is_empty()
            || !normalized
                .trim_start_matches(['+', '-'])
                .bytes()
                .all(|b| b.is_ascii_digit() || b == b'.')
        {
            return None;
        }
        fractional = normalized.contains('.');
        let x: f64 = normalized.parse().ok()?;
        let (rank, slot, factor) = match (in_time, unit.to_ascii_uppercase()) {
            (false, 'Y') => (1, 0, 12.0),
            (false, 'M') => (2, 0, 1.0),
            (false, 'W') => (3, 1, 7.0),
            (false, 'D') => (4, 1, 1.0),
            (true, 'H') => (5, 2, 3600.0),
            (true, 'M') => (6, 2, 60.0),
            (true, 'S') => (7, 2, 1.0),
            _ => return None,
        };
        if rank <= last_rank {
            return None;
        }
        last_rank = rank;
        any = true;
        if slot == 2 && rank == 7 && fractional {
            // Seconds keep their fraction exactly, as nanoseconds.
            let negative = normalized.starts_with('-');
            let (whole, frac) = normalized.split_once('.')?;
            if frac.len() > 9 {
                return None;
            }
            let whole: f64 = whole.parse().ok()?;
            let nanos: f64 = format!("{frac:0<9}").parse().ok()?;
            totals[2] += whole;
            totals[3] += if negative { -nanos } else { nanos };
            fractional = false;
            continue;
        }
        totals[slot] += x * factor;
    }
    any.then_some(totals)
}

/// `YYYY-MM-DDThh:mm:ss.fff` or `YYYYMMDDThhmmss.fff` (date or time part
/// optional).
fn date_based(body: &str) -> Option<[f64; 4]> {
    let (date, time) = match body.find(['T', 't']) {
        Some(i) => (&body[..i], Some(&body[i + 1..])),
        None => (body, None),
    };
    let mut months = 0.0;
    let mut days = 0.0;
    if !date.is_empty() {
        let digits: String = date.chars().filter(char::is_ascii_digit).collect();
        let well_formed =
            (date.len() == 10 && date.as_bytes()[4] == b'-' && date.as_bytes()[7] == b'-')
                || (date.len() == 8 && digits.len() == 8);
        if !well_formed || digits.len() != 8 {
            return None;
        }
        let year: f64 = digits[..4].parse().ok()?;
        let month: f64 = digits[4..6].parse().ok()?;
        let day: f64 = digits[6..].parse().ok()?;
        if month > 12.0 || day > 31.0 {
            return None;
        }
        months = year * 12.0 + month;
        days = day;
    }
    let (mut seconds, mut nanos) = (0.0, 0.0);
    if let Some(time) = time {
        let (main, fraction) = match time.find(['.', ',']) {
            Some(i) => (&time[..i], Some(&time[i + 1..])),
            None => (time, None),
        };
        let fields: Vec<&str> = if main.contains(':') {
            main.split(':').collect()
        } else {
            (0..main.len())
                .step_by(2)
                .map(|i| main.get(i..i + 2).unwrap_or(""))
                .collect()
        };
        let mut values = [0.0f64; 3];
        for (i, f) in fields.iter().enumerate() {
            if i > 2 || f.len() != 2 || !f.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            values[i] = f.parse().ok()?;
        }
        if values[0] > 24.0 || values[1] > 60.0 || values[2] > 60.0 {
            return None;
        }
        seconds = values[0] * 3600.0 + values[1] * 60.0 + values[2];
        if let Some(f) = fraction {
            if f.is_empty() || f.len() > 9 || !f.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            nanos = format!("{f:0<9}").parse().ok()?;
        }
    } else if date.is_empty() {
        return None;
    }
    Some([months, days, seconds, nanos])
}
