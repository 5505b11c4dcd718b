//! Property values: the one `enum Value` every layer shares.
//!
//! Equality (`==`, `Hash`) is *equivalence* as openCypher defines it for
//! grouping and `DISTINCT`: `1 == 1.0`, `NaN` equals `NaN`, `Null` equals
//! `Null`, date-times are equal when they denote the same instant. The ternary
//! comparison of Cypher expressions (where `null = null` is `null`) lives in
//! the query engine, which builds on [`Value::cmp_order`] and these rules.
//! Times with an offset are likewise equal when they denote the same UTC
//! time of day; a date-time in a named zone equals a date-time with an
//! offset at the same instant. Durations are equal when their months, days
//! and (normalized) seconds are.

use std::cmp::Ordering;
use std::collections::BTreeMap;
use std::fmt;
use std::hash::{Hash, Hasher};
use std::sync::Arc;

use chrono::{DateTime, FixedOffset, NaiveDate, NaiveDateTime, NaiveTime, SecondsFormat};

use crate::temporal::{self, DurationValue, OffsetTime, ZonedDateTime};

/// A property or query value.
///
/// Strings, lists and maps are reference counted so that cloning a value (and
/// so copying a node record on write) never copies their contents.
#[derive(Clone, Debug, Default)]
pub enum Value {
    /// The absence of a value.
    #[default]
    Null,
    /// `true` or `false`.
    Boolean(bool),
    /// A signed 64-bit integer.
    Integer(i64),
    /// A 64-bit IEEE float.
    Float(f64),
    /// A UTF-8 string.
    String(Arc<str>),
    /// A calendar date without time zone.
    Date(NaiveDate),
    /// An instant with the UTC offset it was written with.
    DateTime(DateTime<FixedOffset>),
    /// An ordered list of values.
    List(Arc<[Value]>),
    /// A map from string keys to values, ordered by key.
    Map(Arc<BTreeMap<Arc<str>, Value>>),
    /// A time of day without time zone.
    LocalTime(NaiveTime),
    /// A time of day with a UTC offset.
    Time(OffsetTime),
    /// A date and time of day without time zone.
    LocalDateTime(NaiveDateTime),
    /// An instant in a named time zone (its type is still
    /// [`ValueType::DateTime`]).
    ZonedDateTime(Arc<ZonedDateTime>),
    /// An amount of time in months, days, seconds and nanoseconds.
    Duration(Arc<DurationValue>),
}

/// The type of a [`Value`], for error messages and type checks.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ValueType {
    /// [`Value::Null`]
    Null,
    /// [`Value::Boolean`]
    Boolean,
    /// [`Value::Integer`]
    Integer,
    /// [`Value::Float`]
    Float,
    /// [`Value::String`]
    String,
    /// [`Value::Date`]
    Date,
    /// [`Value::DateTime`] and [`Value::ZonedDateTime`]
    DateTime,
    /// [`Value::List`]
    List,
    /// [`Value::Map`]
    Map,
    /// [`Value::LocalTime`]
    LocalTime,
    /// [`Value::Time`]
    Time,
    /// [`Value::LocalDateTime`]
    LocalDateTime,
    /// [`Value::Duration`]
    Duration,
}

impl fmt::Display for ValueType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name = match self {
            ValueType::Null => "Null",
            ValueType::Boolean => "Boolean",
            ValueType::Integer => "Integer",
            ValueType::Float => "Float",
            ValueType::String => "String",
            ValueType::Date => "Date",
            ValueType::DateTime => "DateTime",
            ValueType::List => "List",
            ValueType::Map => "Map",
            ValueType::LocalTime => "LocalTime",
            ValueType::Time => "Time",
            ValueType::LocalDateTime => "LocalDateTime",
            ValueType::Duration => "Duration",
        };
        f.write_str(name)
    }
}

impl Value {
    /// The type of this value.
    pub fn value_type(&self) -> ValueType {
        match self {
            Value::Null => ValueType::Null,
            Value::Boolean(_) => ValueType::Boolean,
            Value::Integer(_) => ValueType::Integer,
            Value::Float(_) => ValueType::Float,
            Value::String(_) => ValueType::String,
            Value::Date(_) => ValueType::Date,
            Value::DateTime(_) | Value::ZonedDateTime(_) => ValueType::DateTime,
            Value::List(_) => ValueType::List,
            Value::Map(_) => ValueType::Map,
            Value::LocalTime(_) => ValueType::LocalTime,
            Value::Time(_) => ValueType::Time,
            Value::LocalDateTime(_) => ValueType::LocalDateTime,
            Value::Duration(_) => ValueType::Duration,
        }
    }

    /// `true` for dates, times, date-times and durations.
    pub fn is_temporal(&self) -> bool {
        matches!(
            self,
            Value::Date(_)
                | Value::DateTime(_)
                | Value::ZonedDateTime(_)
                | Value::LocalTime(_)
                | Value::Time(_)
                | Value::LocalDateTime(_)
                | Value::Duration(_)
        )
    }

    /// The instant of a date-time (with an offset or a named zone), as
    /// seconds and nanoseconds since the Unix epoch.
    pub fn instant(&self) -> Option<(i64, u32)> {
        let dt = match self {
            Value::DateTime(dt) => dt,
            Value::ZonedDateTime(z) => &z.datetime,
            _ => return None,
        };
        Some((dt.timestamp(), dt.timestamp_subsec_nanos()))
    }

    /// A duration value.
    pub fn duration(duration: DurationValue) -> Value {
        Value::Duration(Arc::new(duration))
    }

    /// `true` for [`Value::Null`].
    pub fn is_null(&self) -> bool {
        matches!(self, Value::Null)
    }

    /// The string, when this is a [`Value::String`].
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::String(s) => Some(s),
            _ => None,
        }
    }

    /// The integer, when this is a [`Value::Integer`].
    pub fn as_integer(&self) -> Option<i64> {
        match self {
            Value::Integer(i) => Some(*i),
            _ => None,
        }
    }

    /// The number as a float, when this is an integer or a float.
    pub fn as_f64(&self) -> Option<f64> {
        match self {
            Value::Integer(i) => Some(*i as f64),
            Value::Float(x) => Some(*x),
            _ => None,
        }
    }

    /// The boolean, when this is a [`Value::Boolean`].
    pub fn as_bool(&self) -> Option<bool> {
        match self {
            Value::Boolean(b) => Some(*b),
            _ => None,
        }
    }

    /// The elements, when this is a [`Value::List`].
    pub fn as_list(&self) -> Option<&[Value]> {
        match self {
            Value::List(items) => Some(items),
            _ => None,
        }
    }

    /// A list value from anything iterable.
    pub fn list(items: impl IntoIterator<Item = Value>) -> Value {
        Value::List(items.into_iter().collect())
    }

    /// A map value from key/value pairs.
    pub fn map<K: Into<Arc<str>>>(entries: impl IntoIterator<Item = (K, Value)>) -> Value {
        Value::Map(Arc::new(
            entries.into_iter().map(|(k, v)| (k.into(), v)).collect(),
        ))
    }

    /// The rank of the value's type in the openCypher global sort order
    /// (maps, lists, strings, booleans, numbers, temporal values, null last
    /// when ascending).
    fn order_rank(&self) -> u8 {
        match self {
            Value::Map(_) => 0,
            Value::List(_) => 1,
            Value::String(_) => 2,
            Value::Boolean(_) => 3,
            Value::Integer(_) | Value::Float(_) => 4,
            Value::Date(_) => 5,
            Value::DateTime(_) | Value::ZonedDateTime(_) => 6,
            Value::LocalDateTime(_) => 7,
            Value::Time(_) => 8,
            Value::LocalTime(_) => 9,
            Value::Duration(_) => 10,
            Value::Null => 11,
        }
    }

    /// The total order used by `ORDER BY` and index ranges: values of
    /// different types order by type; numbers compare by value (with `NaN`
    /// above every other number); date-times by instant; lists and maps
    /// element by element.
    pub fn cmp_order(&self, other: &Value) -> Ordering {
        let by_rank = self.order_rank().cmp(&other.order_rank());
        if by_rank != Ordering::Equal {
            return by_rank;
        }
        match (self, other) {
            (Value::Boolean(a), Value::Boolean(b)) => a.cmp(b),
            (Value::String(a), Value::String(b)) => a.cmp(b),
            (Value::Date(a), Value::Date(b)) => a.cmp(b),
            (
                Value::DateTime(_) | Value::ZonedDateTime(_),
                Value::DateTime(_) | Value::ZonedDateTime(_),
            ) => self.instant().cmp(&other.instant()),
            (Value::LocalDateTime(a), Value::LocalDateTime(b)) => a.cmp(b),
            (Value::Time(a), Value::Time(b)) => a.utc_nanos().cmp(&b.utc_nanos()),
            (Value::LocalTime(a), Value::LocalTime(b)) => a.cmp(b),
            (Value::Duration(a), Value::Duration(b)) => a.cmp(b),
            (Value::List(a), Value::List(b)) => {
                for (x, y) in a.iter().zip(b.iter()) {
                    let ord = x.cmp_order(y);
                    if ord != Ordering::Equal {
                        return ord;
                    }
                }
                a.len().cmp(&b.len())
            }
            (Value::Map(a), Value::Map(b)) => {
                for ((ka, va), (kb, vb)) in a.iter().zip(b.iter()) {
                    let ord = ka.cmp(kb).then_with(|| va.cmp_order(vb));
                    if ord != Ordering::Equal {
                        return ord;
                    }
                }
                a.len().cmp(&b.len())
            }
            (a, b) => compare_numbers(a, b),
        }
    }

    /// Heap bytes owned by this value, for memory reports: a string shared
    /// by several values counts its share.
    pub fn heap_size(&self) -> usize {
        match self {
            Value::String(s) => (16 + s.len()) / Arc::strong_count(s).max(1),
            Value::List(items) => 16 + items.iter().map(|v| 24 + v.heap_size()).sum::<usize>(),
            Value::Map(map) => {
                16 + map
                    .iter()
                    .map(|(k, v)| 48 + k.len() + v.heap_size())
                    .sum::<usize>()
            }
            Value::ZonedDateTime(z) => {
                (16 + 32 + (16 + z.zone.len()) / Arc::strong_count(&z.zone).max(1))
                    / Arc::strong_count(z).max(1)
            }
            Value::Duration(d) => (16 + 32) / Arc::strong_count(d).max(1),
            _ => 0,
        }
    }
}

fn compare_numbers(a: &Value, b: &Value) -> Ordering {
    match (a, b) {
        (Value::Integer(x), Value::Integer(y)) => x.cmp(y),
        (Value::Integer(x), Value::Float(y)) => compare_int_float(*x, *y),
        (Value::Float(x), Value::Integer(y)) => compare_int_float(*y, *x).reverse(),
        (Value::Float(x), Value::Float(y)) => match (x.is_nan(), y.is_nan()) {
            (true, true) => Ordering::Equal,
            (true, false) => Ordering::Greater,
            (false, true) => Ordering::Less,
            (false, false) => x.partial_cmp(y).unwrap_or(Ordering::Equal),
        },
        _ => Ordering::Equal,
    }
}

/// Compares an integer with a float exactly (no rounding of large
/// integers); `NaN` counts as above every integer.
pub fn compare_int_float(int: i64, float: f64) -> Ordering {
    if float.is_nan() {
        return Ordering::Less;
    }
    // i64 range as floats: [-2^63, 2^63).
    if float >= 9_223_372_036_854_775_808.0 {
        return Ordering::Less;
    }
    if float < -9_223_372_036_854_775_808.0 {
        return Ordering::Greater;
    }
    let truncated = float.trunc();
    let truncated_int = truncated as i64;
    match int.cmp(&truncated_int) {
        Ordering::Equal => {
            if float > truncated {
                Ordering::Less
            } else if float < truncated {
                Ordering::Greater
            } else {
                Ordering::Equal
            }
        }
        ord => ord,
    }
}

impl PartialEq for Value {
    fn eq(&self, other: &Value) -> bool {
        match (self, other) {
            (Value::Null, Value::Null) => true,
            (Value::Boolean(a), Value::Boolean(b)) => a == b,
            (Value::String(a), Value::String(b)) => a == b,
            (Value::Date(a), Value::Date(b)) => a == b,
            (
                Value::DateTime(_) | Value::ZonedDateTime(_),
                Value::DateTime(_) | Value::ZonedDateTime(_),
            ) => self.instant() == other.instant(),
            (Value::LocalDateTime(a), Value::LocalDateTime(b)) => a == b,
            (Value::Time(a), Value::Time(b)) => a.utc_nanos() == b.utc_nanos(),
            (Value::LocalTime(a), Value::LocalTime(b)) => a == b,
            (Value::Duration(a), Value::Duration(b)) => a == b,
            (Value::List(a), Value::List(b)) => a == b,
            (Value::Map(a), Value::Map(b)) => a == b,
            (Value::Integer(_) | Value::Float(_), Value::Integer(_) | Value::Float(_)) => {
                compare_numbers(self, other) == Ordering::Equal
            }
            _ => false,
        }
    }
}

impl Eq for Value {}

impl Hash for Value {
    fn hash<H: Hasher>(&self, state: &mut H) {
        match self {
            Value::Null => state.write_u8(0),
            Value::Boolean(b) => {
                state.write_u8(1);
                b.hash(state);
            }
            Value::Integer(i) => {
                state.write_u8(2);
                i.hash(state);
            }
            Value::Float(x) => {
                // Integral floats hash like the equal integer.
                if x.fract() == 0.0 && x.abs() < 9.0e18 {
                    state.write_u8(2);
                    (*x as i64).hash(state);
                } else if x.is_nan() {
                    state.write_u8(3);
                } else {
                    state.write_u8(4);
                    x.to_bits().hash(state);
                }
            }
            Value::String(s) => {
                state.write_u8(5);
                s.hash(state);
            }
            Value::Date(d) => {
                state.write_u8(6);
                d.hash(state);
            }
            Value::DateTime(_) | Value::ZonedDateTime(_) => {
                state.write_u8(7);
                self.instant().hash(state);
            }
            Value::LocalTime(t) => {
                state.write_u8(10);
                t.hash(state);
            }
            Value::Time(t) => {
                state.write_u8(11);
                t.utc_nanos().hash(state);
            }
            Value::LocalDateTime(dt) => {
                state.write_u8(12);
                dt.hash(state);
            }
            Value::Duration(d) => {
                state.write_u8(13);
                d.hash(state);
            }
            Value::List(items) => {
                state.write_u8(8);
                items.len().hash(state);
                for item in items.iter() {
                    item.hash(state);
                }
            }
            Value::Map(map) => {
                state.write_u8(9);
                map.len().hash(state);
                for (k, v) in map.iter() {
                    k.hash(state);
                    v.hash(state);
                }
            }
        }
    }
}

impl fmt::Display for Value {
    /// Cypher-literal-like text: strings quoted, temporal values in ISO 8601
    /// exactly as Neo4j prints them (see [`crate::temporal`]).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Null => f.write_str("null"),
            Value::Boolean(b) => write!(f, "{b}"),
            Value::Integer(i) => write!(f, "{i}"),
            Value::Float(x) => {
                if x.is_finite() && x.fract() == 0.0 && x.abs() < 1e15 {
                    write!(f, "{x:.1}")
                } else {
                    write!(f, "{x}")
                }
            }
            Value::String(s) => write!(f, "'{}'", s.replace('\\', "\\\\").replace('\'', "\\'")),
            Value::Date(d) => temporal::write_date(f, *d),
            Value::DateTime(dt) => temporal::write_datetime(f, dt),
            Value::ZonedDateTime(z) => write!(f, "{z}"),
            Value::LocalTime(t) => temporal::write_time(f, *t),
            Value::Time(t) => write!(f, "{t}"),
            Value::LocalDateTime(dt) => temporal::write_local_datetime(f, *dt),
            Value::Duration(d) => write!(f, "{d}"),
            Value::List(items) => {
                f.write_str("[")?;
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{item}")?;
                }
                f.write_str("]")
            }
            Value::Map(map) => {
                f.write_str("{")?;
                for (i, (k, v)) in map.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{k}: {v}")?;
                }
                f.write_str("}")
            }
        }
    }
}

/// RFC 3339 text of a date-time with its own offset (`Z` for UTC), seconds
/// always, fractional seconds only when present (the canonical graph form;
/// `Display` follows Neo4j instead and drops zero seconds).
pub fn format_datetime(dt: &DateTime<FixedOffset>) -> String {
    dt.to_rfc3339_opts(SecondsFormat::AutoSi, true)
}

impl From<bool> for Value {
    fn from(b: bool) -> Value {
        Value::Boolean(b)
    }
}
impl From<i64> for Value {
    fn from(i: i64) -> Value {
        Value::Integer(i)
    }
}
impl From<i32> for Value {
    fn from(i: i32) -> Value {
        Value::Integer(i64::from(i))
    }
}
impl From<f64> for Value {
    fn from(x: f64) -> Value {
        Value::Float(x)
    }
}
impl From<&str> for Value {
    fn from(s: &str) -> Value {
        Value::String(Arc::from(s))
    }
}
impl From<String> for Value {
    fn from(s: String) -> Value {
        Value::String(Arc::from(s))
    }
}
impl From<Arc<str>> for Value {
    fn from(s: Arc<str>) -> Value {
        Value::String(s)
    }
}
impl From<NaiveDate> for Value {
    fn from(d: NaiveDate) -> Value {
        Value::Date(d)
    }
}
impl From<DateTime<FixedOffset>> for Value {
    fn from(dt: DateTime<FixedOffset>) -> Value {
        Value::DateTime(dt)
    }
}
impl From<NaiveTime> for Value {
    fn from(t: NaiveTime) -> Value {
        Value::LocalTime(t)
    }
}
impl From<OffsetTime> for Value {
    fn from(t: OffsetTime) -> Value {
        Value::Time(t)
    }
}
impl From<NaiveDateTime> for Value {
    fn from(dt: NaiveDateTime) -> Value {
        Value::LocalDateTime(dt)
    }
}
impl From<ZonedDateTime> for Value {
    fn from(z: ZonedDateTime) -> Value {
        Value::ZonedDateTime(Arc::new(z))
    }
}
impl From<DurationValue> for Value {
    fn from(d: DurationValue) -> Value {
        Value::duration(d)
    }
}
impl From<Vec<Value>> for Value {
    fn from(items: Vec<Value>) -> Value {
        Value::List(items.into())
    }
}
impl<T: Into<Value>> From<Option<T>> for Value {
    fn from(v: Option<T>) -> Value {
        v.map_or(Value::Null, Into::into)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::hash_map::DefaultHasher;

    fn hash_of(v: &Value) -> u64 {
        let mut h = DefaultHasher::new();
        v.hash(&mut h);
        h.finish()
    }

    #[test]
    fn numbers_are_equivalent_across_types() {
        assert_eq!(Value::Integer(1), Value::Float(1.0));
        assert_eq!(hash_of(&Value::Integer(1)), hash_of(&Value::Float(1.0)));
        assert_ne!(Value::Integer(1), Value::Float(1.5));
        assert_eq!(Value::Float(f64::NAN), Value::Float(f64::NAN));
        assert_eq!(
            Value::Integer(i64::MAX).cmp_order(&Value::Float(9.3e18)),
            Ordering::Less
        );
    }

    #[test]
    fn datetimes_compare_by_instant() {
        let a = DateTime::parse_from_rfc3339("2020-01-01T10:00:00+02:00").expect("valid");
        let b = DateTime::parse_from_rfc3339("2020-01-01T08:00:00Z").expect("valid");
        assert_eq!(Value::DateTime(a), Value::DateTime(b));
        assert_eq!(hash_of(&Value::DateTime(a)), hash_of(&Value::DateTime(b)));
        assert_eq!(format_datetime(&a), "2020-01-01T10:00:00+02:00");
        assert_eq!(format_datetime(&b), "2020-01-01T08:00:00Z");
    }

    #[test]
    fn global_order_puts_null_last() {
        let mut values = [
            Value::Null,
            Value::Integer(3),
            Value::from("a"),
            Value::Float(1.5),
            Value::Boolean(false),
        ];
        values.sort_by(Value::cmp_order);
        assert_eq!(
            values.iter().map(Value::value_type).collect::<Vec<_>>(),
            [
                ValueType::String,
                ValueType::Boolean,
                ValueType::Float,
                ValueType::Integer,
                ValueType::Null
            ]
        );
    }

    #[test]
    fn temporal_values_display_like_neo4j() {
        let dt = DateTime::parse_from_rfc3339("2015-07-21T21:40:32.142+01:00").expect("valid");
        assert_eq!(
            Value::DateTime(dt).to_string(),
            "2015-07-21T21:40:32.142+01:00"
        );
        let zoned = Value::from(ZonedDateTime {
            datetime: dt,
            zone: Arc::from("Europe/Stockholm"),
        });
        assert_eq!(
            zoned.to_string(),
            "2015-07-21T21:40:32.142+01:00[Europe/Stockholm]"
        );
        assert_eq!(zoned, Value::DateTime(dt));
        assert_eq!(hash_of(&zoned), hash_of(&Value::DateTime(dt)));
        assert_eq!(zoned.value_type().to_string(), "DateTime");
        let t = NaiveTime::from_hms_nano_opt(12, 31, 14, 645_876_123).expect("valid");
        assert_eq!(Value::from(t).to_string(), "12:31:14.645876123");
        let utc = FixedOffset::east_opt(0).expect("valid");
        assert_eq!(
            Value::from(OffsetTime::new(t, utc)).to_string(),
            "12:31:14.645876123Z"
        );
        let local = NaiveDate::from_ymd_opt(2015, 7, 21)
            .expect("valid")
            .and_hms_opt(21, 40, 0)
            .expect("valid");
        assert_eq!(Value::from(local).to_string(), "2015-07-21T21:40");
        assert_eq!(Value::from(local).value_type().to_string(), "LocalDateTime");
        let d = DurationValue::new(14, 10, 45_930, 500_000_000).expect("in range");
        assert_eq!(Value::from(d).to_string(), "P1Y2M10DT12H45M30.5S");
    }

    #[test]
    fn times_compare_in_utc_and_types_stay_grouped() {
        let t = |h| NaiveTime::from_hms_opt(h, 0, 0).expect("valid");
        let off = |h| FixedOffset::east_opt(h * 3600).expect("valid");
        let a = Value::Time(OffsetTime::new(t(12), off(1)));
        let b = Value::Time(OffsetTime::new(t(11), off(0)));
        assert_eq!(a, b);
        assert_eq!(hash_of(&a), hash_of(&b));
        let c = Value::Time(OffsetTime::new(t(12), off(0)));
        assert_eq!(a.cmp_order(&c), Ordering::Less);
        let mut values = [
            Value::from(DurationValue::ZERO),
            Value::LocalTime(t(1)),
            c,
            Value::Null,
            Value::Date(NaiveDate::from_ymd_opt(2000, 1, 1).expect("valid")),
        ];
        values.sort_by(Value::cmp_order);
        assert_eq!(
            values.iter().map(Value::value_type).collect::<Vec<_>>(),
            [
                ValueType::Date,
                ValueType::Time,
                ValueType::LocalTime,
                ValueType::Duration,
                ValueType::Null
            ]
        );
    }

    #[test]
    fn value_stays_small() {
        assert!(std::mem::size_of::<Value>() <= 24);
    }
}
